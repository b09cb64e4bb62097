#!/bin/sh
# The backup commands of blkpoint end to end: the client from the build
# tree against blkpointd (activated on a private session bus, its push
# copies slowed to BP_TEST_BACKUP_SPEED so that a running backup can be
# looked at) and a real qemu-storage-daemon running a domain with two
# disks; guest data is written through the NBD exports with nbdcopy.
#
#   data; a copy of each disk (nothing writes); backup-begin --wait
#   --verbose of a full backup creating c1 in the background, and while it
#   runs: a writer (after the point in time), domjobinfo (Unbounded, the
#   numbers), backup-dumpxml, a second backup-begin (refused, exit 1);
#   its end ("Backup completed", plain progress lines on a non-terminal
#   stderr), domjobinfo --completed [--keep-completed] (processed ==
#   total), read once;
#   the same for an incremental from c1 creating c2 and a differential
#   from c1 creating c3, then an incremental from c3 (chain full ->
#   differential -> it);
#   backup-list, its table and --details checked field by field against
#   what was done, --json;
#   restore of each backup (--backup, --checkpoint, the default newest;
#   qcow2 and raw) compared byte for byte with the copies (qemu-img
#   compare); restore onto an existing file refused (file untouched);
#   restore with the middle image of a chain missing names that file;
#   domjobabort of a running backup: backup-begin --wait fails (exit 1),
#   Cancelled in domjobinfo --completed, no new checkpoint, no target;
#   the same when backup-begin --wait is interrupted (SIGINT).

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
DBUS_DAEMON=${DBUS_DAEMON:-dbus-daemon}
QEMU_IMG=${QEMU_IMG:-qemu-img}
QEMU_STORAGE_DAEMON=${QEMU_STORAGE_DAEMON:-qemu-storage-daemon}
BP_SCHEMA_DIR=${BP_SCHEMA_DIR:-$top_srcdir/xml-schemas}
export QEMU_IMG QEMU_STORAGE_DAEMON BP_SCHEMA_DIR

blkpoint=$top_builddir/client/blkpoint
blkpointd=$top_builddir/daemon/blkpointd

for p in "$DBUS_DAEMON" "$QEMU_IMG" "$QEMU_STORAGE_DAEMON" nbdcopy jq; do
    case $p in no|"") echo "SKIP: a program configure looks for is missing"; exit 77 ;; esac
    command -v "$p" >/dev/null 2>&1 || { echo "SKIP: $p not found"; exit 77; }
done
for p in "$blkpoint" "$blkpointd"; do
    [ -x "$p" ] || { echo "FAIL: $p was not built"; exit 1; }
done

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

tmp=$(mktemp -d /tmp/bp-cb.XXXXXX) || exit 99
bus_pid=
qsd_pid=
bg_pid=
cleanup() {
    [ -n "$bg_pid" ] && kill "$bg_pid" 2>/dev/null
    if [ -n "$qsd_pid" ]; then
        case $( (tr '\0' ' ' <"/proc/$qsd_pid/cmdline") 2>/dev/null) in
            *qemu-storage-daemon*"$tmp"*) kill -9 "$qsd_pid" 2>/dev/null ;;
        esac
    fi
    san=0
    if [ -n "$bus_pid" ]; then
        client_bus_stop || san=1
    fi
    rm -rf "$tmp"
    [ $san -eq 0 ] || exit 1
}
trap cleanup EXIT
trap 'exit 1' INT TERM

export LC_ALL=C.UTF-8 TZ=UTC
unset LANGUAGE BLKPOINT_CONNECT
cd "$tmp" || exit 99

# 16 MiB disks copied at 4 MiB/s per disk: a full backup runs ~4 s.
BP_TEST_BACKUP_SPEED=$((4 * 1024 * 1024))
export BP_TEST_BACKUP_SPEED
. "$top_srcdir/tests/client-testlib.sh"
client_bus_start

MiB=1048576

# nbdwrite DISK OFFSET_KIB LENGTH_KIB: random data there, nothing else.
nbdwrite() {
    rm -f wr.raw
    truncate -s 16M wr.raw
    dd if=/dev/urandom of=wr.raw bs=1K seek="$2" count="$3" conv=notrunc status=none
    nbdcopy --destination-is-zero wr.raw "$(eval echo \"\$export_$1\")" 2>nbd.err ||
        fail "nbdcopy to $1: $(cat nbd.err)"
}
# snap TAG: each disk as it is now, as raw files.
snap() {
    for d in vda vdb; do
        nbdcopy "$(eval echo \"\$export_$d\")" "$tmp/$d-$1.raw" 2>nbd.err ||
            fail "copy of $d at $1: $(cat nbd.err)"
    done
}
# field LABEL: the value domjobinfo printed (in out) for LABEL.
field() {
    sed -n "s/^$1: *//p" out | sed 's/ *$//'
}
bytes_of() {   # "1.500 MiB" -> bytes (rounded)
    echo "$1" | awk -v M=$MiB '{ u = $2; v = $1;
        f = (u == "B") ? 1 : (u == "KiB") ? 1024 : (u == "MiB") ? M : (u == "GiB") ? M * 1024 : 0;
        printf "%d\n", v * f + 0.5 }'
}

# begin_bg TAG ARGS...: backup-begin ARGS --wait --verbose in the
# background (stdout TAG.out, stderr TAG.err); returns once the backup
# runs (domjobinfo: Unbounded) or has already ended.
begin_bg() {
    _tag=$1
    shift
    "$blkpoint" -c session backup-begin vm1 "$@" --wait --verbose >"$_tag.out" 2>"$_tag.err" &
    bg_pid=$!
    for _i in $(seq 1 200); do
        "$blkpoint" -c session domjobinfo vm1 >out 2>&1
        grep -q Unbounded out && return 0
        kill -0 "$bg_pid" 2>/dev/null || return 0
        sleep 0.05
    done
    fail "$_tag: the backup never showed up in domjobinfo"
}
# end_bg TAG: waits for the background backup-begin; its status in $rc.
end_bg() {
    wait "$bg_pid"
    rc=$?
    bg_pid=
}

for d in vda vdb; do
    "$QEMU_IMG" create -q -f qcow2 "$tmp/$d.qcow2" 16M || exit 99
done
cat >vm1.xml <<EOF
<domain>
  <name>vm1</name>
  <devices>
    <disk type='file' device='disk'>
      <driver type='qcow2'/><source file='$tmp/vda.qcow2'/><target dev='vda'/>
    </disk>
    <disk type='file' device='disk'>
      <driver type='qcow2'/><source file='$tmp/vdb.qcow2'/><target dev='vdb'/>
    </disk>
  </devices>
</domain>
EOF
bp define vm1.xml
[ $rc -eq 0 ] || { fail "define: $(cat err)"; exit 1; }
bp start vm1
[ $rc -eq 0 ] || { fail "start: $(cat err)"; exit 1; }
qsd_pid=$("$blkpoint" -c session dominfo vm1 --json | jq -r .pid)
bp -q domblklist vm1
export_vda=$(awk '$1 == "vda" { print $3 }' out)
export_vdb=$(awk '$1 == "vdb" { print $3 }' out)
[ -n "$export_vda" ] && [ -n "$export_vdb" ] || { fail "no exports: $(cat out)"; exit 1; }

# ---- nothing running ------------------------------------------------------------
bp domjobinfo vm1
[ $rc -eq 0 ] && [ "$(cat out)" = "$(printf 'Job type:         None        \n\n')" ] &&
    pass "domjobinfo without a job: virsh's 'Job type: None'" ||
    fail "domjobinfo without job: rc=$rc $(cat out) $(cat err)"
bp backup-dumpxml vm1
[ $rc -eq 1 ] && grep -q "^error: no backup is running on this domain" err &&
    pass "backup-dumpxml without a backup: error, exit 1" || fail "dumpxml no job: $rc $(cat err)"
bp domjobabort vm1
[ $rc -eq 1 ] && grep -q "^error: no backup job to abort" err &&
    pass "domjobabort without a job: error, exit 1" || fail "abort no job: $rc $(cat err)"

# ---- full backup creating c1 --------------------------------------------------------
nbdwrite vda 0 4096
nbdwrite vdb 8192 512
snap t1
echo "<domaincheckpoint><name>c1</name></domaincheckpoint>" >c1.xml
begin_bg full --checkpointxml c1.xml
# Past the point in time: must not be in the backup.
nbdwrite vda 1024 256
nbdwrite vdb 12288 64

# The totals appear once QEMU reported them.
for _i in $(seq 1 40); do
    bp domjobinfo vm1
    grep -q '^File total:' out && break
    sleep 0.05
done
if [ $rc -eq 0 ] && [ "$(field 'Job type')" = Unbounded ] && [ "$(field 'Operation')" = Backup ]; then
    total=$(bytes_of "$(field 'File total')")
    done_=$(bytes_of "$(field 'File processed')")
    left=$(bytes_of "$(field 'File remaining')")
    ms=$(field 'Time elapsed' | awk '{print $1}')
    [ "$total" = $((32 * MiB)) ] && [ $((done_ + left)) -ge $((total - 2048)) ] &&
        [ $((done_ + left)) -le $((total + 2048)) ] && [ "$done_" -lt "$total" ] &&
        [ "$ms" -ge 0 ] &&
        pass "domjobinfo while running: Unbounded, Backup, processed + remaining = total = 32 MiB" ||
        fail "domjobinfo numbers: $(cat out)"
    grep -q '^Time elapsed:     [0-9]* *ms$' out && pass "domjobinfo: 'Time elapsed: N ms'" ||
        fail "time elapsed row: $(cat out)"
else
    fail "domjobinfo while running: rc=$rc $(cat out) $(cat err)"
fi
bp backup-dumpxml vm1
[ $rc -eq 0 ] && grep -q "<domainbackup" out && grep -q "vda.qcow2.c1" out &&
    pass "backup-dumpxml while running: the live document with the generated targets" ||
    fail "backup-dumpxml: rc=$rc $(cat out) $(cat err)"
bp backup-dumpxml vm1 --xpath "string(//disk[@name='vdb']/target/@file)"
[ "$(head -n 1 out)" = "$tmp/vdb.qcow2.c1" ] && pass "backup-dumpxml --xpath" ||
    fail "dumpxml xpath: $(cat out) $(cat err)"
bp backup-begin vm1
[ $rc -eq 1 ] && grep -q "^error: domain 'vm1' already has a backup job" err &&
    pass "a second backup-begin while one runs: refused at once, exit 1" ||
    fail "second backup-begin: rc=$rc $(cat out) $(cat err)"

end_bg full
[ $rc -eq 0 ] && [ "$(cat full.out)" = "$(printf 'Backup started\nBackup completed\n')" ] &&
    pass "backup-begin --wait: 'Backup started', 'Backup completed', exit 0" ||
    fail "backup-begin --wait: rc=$rc $(cat full.out) $(cat full.err)"
# Plain progress on a non-terminal: "Backup: P % (...)" lines, at most
# one per tenth and per second, then the 100 % line.
n=$(grep -c '^Backup: [0-9]*\.[0-9][0-9] % (.* of 32\.0 MiB' full.err)
if [ "$n" -ge 2 ] && [ "$n" -le 11 ] && ! grep -q "$(printf '\r')" full.err &&
    tail -n 1 full.err | grep -q '^Backup: \[100 %\]  32\.0 MiB in [0-9.]* s$'; then
    pass "non-terminal progress: $n plain lines and the 100 % line"
else
    fail "progress output: $(cat full.err)"
fi

bp domjobinfo vm1 --completed --keep-completed
[ "$(field 'Job type')" = Completed ] && [ "$(field 'File processed')" = "$(field 'File total')" ] &&
    [ "$(field 'File total')" = "32.000 MiB" ] && [ "$(field 'File remaining')" = "0.000 B" ] &&
    pass "domjobinfo --completed: Completed, processed == total == 32 MiB" ||
    fail "completed info: $(cat out)"
bp domjobinfo vm1 --completed
grep -q '^Job type:         Completed' out || fail "completed (read): $(cat out)"
bp domjobinfo vm1 --completed
grep -q '^Job type:         None' out && pass "the completed record is read once" ||
    fail "completed record kept: $(cat out)"
bp domjobinfo vm1 --keep-completed
[ $rc -eq 1 ] && pass "--keep-completed without --completed refused" || fail "keep alone: $rc"

# ---- incremental from c1 creating c2 -------------------------------------------------
nbdwrite vdb 4096 128
snap t2
printf '<domainbackup><incremental>c1</incremental></domainbackup>\n' >inc.xml
echo "<domaincheckpoint><name>c2</name></domaincheckpoint>" >c2.xml
begin_bg inc inc.xml c2.xml
nbdwrite vda 2048 64
end_bg inc
[ $rc -eq 0 ] && pass "incremental from c1 with checkpoint c2" || fail "inc: $(cat inc.out inc.err)"

# ---- differential from c1 creating c3, explicit targets ----------------------------------
nbdwrite vda 6144 64
snap t3
cat >diff.xml <<EOF
<domainbackup><incremental>c1</incremental><disks>
  <disk name='vda' type='file'><target file='$tmp/diff-vda.qcow2'/><driver type='qcow2'/></disk>
  <disk name='vdb' type='file'><target file='$tmp/diff-vdb.qcow2'/><driver type='qcow2'/></disk>
</disks></domainbackup>
EOF
echo "<domaincheckpoint><name>c3</name></domaincheckpoint>" >c3.xml
begin_bg diff diff.xml c3.xml
nbdwrite vdb 0 64
end_bg diff
[ $rc -eq 0 ] && pass "differential from c1 with checkpoint c3" || fail "diff: $(cat diff.out diff.err)"

# ---- incremental from c3 (chain: full -> differential -> this) -------------------------
nbdwrite vda 8192 64
snap t4
printf '<domainbackup><incremental>c3</incremental></domainbackup>\n' >inc4.xml
begin_bg inc4 inc4.xml
end_bg inc4
[ $rc -eq 0 ] && pass "incremental from c3" || fail "inc4: $(cat inc4.out inc4.err)"

# ---- backup-list ---------------------------------------------------------------------------
bp backup-list vm1 --json
list=$(cat out)
chk() {   # chk ID FIELD VALUE
    v=$(echo "$list" | jq -r ".[] | select(.id == $1) | .$2")
    [ "$v" = "$3" ] || fail "backup $1: $2 is '$v', not '$3'"
}
chk 1 kind full; chk 1 incremental ""; chk 1 checkpoint c1; chk 1 previous 0
chk 2 kind incremental; chk 2 incremental c1; chk 2 checkpoint c2; chk 2 previous 1
chk 3 kind incremental; chk 3 incremental c1; chk 3 checkpoint c3; chk 3 previous 1
chk 4 kind incremental; chk 4 incremental c3; chk 4 checkpoint ""; chk 4 previous 3
for i in 1 2 3 4; do chk $i mode push; chk $i status completed; done
chk 1 bytes $((32 * MiB))
[ "$(echo "$list" | jq -r '.[2].disks[0].image')" = "$tmp/diff-vda.qcow2" ] ||
    fail "json disks: $list"
[ "$(echo "$list" | jq 'length')" = 4 ] && pass "backup-list --json: the four backups as done" ||
    fail "backup-list json: $list"

bp backup-list vm1
start1=$(date -u -d "@$(echo "$list" | jq -r '.[0].start_time')" '+%Y-%m-%d %H:%M:%S +0000')
head -n 1 out | grep -q '^ Id   Start time                  Mode   Kind          Base   Checkpoint   Status      Size *$' &&
    sed -n 2p out | grep -q '^-----*$' &&
    sed -n 3p out | grep -q "^ 1    $start1   push   full          -      c1           completed   32.0 MiB *\$" &&
    sed -n 6p out | grep -q "^ 4    .*   push   incremental   c3     -            completed   " &&
    pass "backup-list: the table, field by field" || fail "backup-list table: $(cat out)"

bp backup-list vm1 --details
[ "$(grep -c ' push ' out)" = 8 ] &&
    grep -q "^ 1 .* vdb    $tmp/vdb.qcow2.c1  *16.0 MiB *\$" out &&
    grep -q "^ 3 .* vda    $tmp/diff-vda.qcow2 " out &&
    pass "backup-list --details: one row per disk with image and bytes" ||
    fail "backup-list --details: $(cat out)"

# ---- restore ---------------------------------------------------------------------------------
# restored TAG DISK FILE FMT: FILE equals the copy of DISK at TAG.
restored() {
    "$QEMU_IMG" compare -q -f raw -F "$4" "$tmp/$2-$1.raw" "$3" 2>cmp.err
}
bp restore vm1 --disk vda --output r1-vda.qcow2 --backup 1
[ $rc -eq 0 ] && grep -q "^Disk 'vda' of domain 'vm1' restored to '$tmp/r1-vda.qcow2'" out &&
    restored t1 vda r1-vda.qcow2 qcow2 &&
    [ -z "$("$QEMU_IMG" info r1-vda.qcow2 | grep 'backing file')" ] &&
    pass "restore --backup 1 (full): a standalone qcow2 equal to vda at the backup" ||
    fail "restore full vda: rc=$rc $(cat out err cmp.err)"
bp restore vm1 --disk vdb --output r1-vdb.raw --checkpoint c1 --format raw
[ $rc -eq 0 ] && restored t1 vdb r1-vdb.raw raw &&
    pass "restore --checkpoint c1 --format raw (full, vdb)" || fail "restore full vdb: $(cat err cmp.err)"
for d in vda vdb; do
    bp restore vm1 --disk $d --output r2-$d.qcow2 --checkpoint c2 --verbose
    [ $rc -eq 0 ] && restored t2 $d r2-$d.qcow2 qcow2 &&
        pass "restore --checkpoint c2 (incremental), $d" || fail "restore inc $d: $(cat err cmp.err)"
    grep -q '^Restore: \[100 %\]  16\.0 MiB in' err && pass "restore --verbose: the progress display" ||
        fail "restore progress: $(cat err)"
    bp restore vm1 --disk $d --output r3-$d.raw --backup 3 --format raw
    [ $rc -eq 0 ] && restored t3 $d r3-$d.raw raw &&
        pass "restore --backup 3 (differential), $d" || fail "restore diff $d: $(cat err cmp.err)"
    bp restore vm1 --disk $d --output r4-$d.qcow2
    [ $rc -eq 0 ] && restored t4 $d r4-$d.qcow2 qcow2 &&
        pass "restore of the newest (incremental on the differential), $d" ||
        fail "restore newest $d: $(cat err cmp.err)"
done

cp r1-vda.qcow2 keep.qcow2
bp restore vm1 --disk vda --output r1-vda.qcow2 --backup 2
[ $rc -eq 1 ] && grep -q "already exists" err && cmp -s keep.qcow2 r1-vda.qcow2 &&
    pass "restore onto an existing file: refused, file untouched" ||
    fail "restore existing: rc=$rc $(cat err)"
bp restore vm1 --disk vdc --output rx.qcow2
[ $rc -eq 1 ] && grep -q "no completed backup includes disk 'vdc'" err && [ ! -e rx.qcow2 ] &&
    pass "restore of an unknown disk: refused" || fail "restore vdc: $(cat err)"

mv diff-vda.qcow2 away.qcow2
bp restore vm1 --disk vda --output r5.qcow2 --backup 4
[ $rc -eq 1 ] && grep -q "image '$tmp/diff-vda.qcow2' of backup 3 (disk vda) is missing" err &&
    [ ! -e r5.qcow2 ] &&
    pass "restore with the middle image of the chain missing: the error names it" ||
    fail "missing middle: rc=$rc $(cat err)"
mv away.qcow2 diff-vda.qcow2

# ---- domjobabort ---------------------------------------------------------------------------
echo "<domaincheckpoint><name>c9</name></domaincheckpoint>" >c9.xml
begin_bg abort --checkpointxml c9.xml
bp domjobabort vm1
[ $rc -eq 0 ] && [ "$(cat out)" = "" ] || [ "$(od -An -c out | tr -d ' ')" = '\n' ] ||
    fail "domjobabort: rc=$rc $(cat out) $(cat err)"
end_bg abort
[ $rc -eq 1 ] && grep -q '^error: ' abort.err && pass "backup-begin --wait of an aborted backup: exit 1" ||
    fail "aborted --wait: rc=$rc $(cat abort.out abort.err)"
bp domjobinfo vm1 --completed --keep-completed
grep -q '^Job type:         Cancelled' out && pass "domjobinfo --completed after abort: Cancelled" ||
    fail "abort info: $(cat out)"
bp checkpoint-list vm1 --name
grep -q '^c9$' out && fail "aborted backup left checkpoint c9" || pass "abort: no checkpoint c9"
ls "$tmp"/*.c9 >/dev/null 2>&1 && fail "abort left targets: $(ls "$tmp"/*.c9)" ||
    pass "abort: no target files"
[ "$("$blkpoint" -c session backup-list vm1 --json | jq -r '.[4].status')" = cancelled ] &&
    pass "backup-list: the aborted backup is 'cancelled'" || fail "abort status"

# Interrupting backup-begin --wait aborts the backup (as virsh's --wait).
echo "<domaincheckpoint><name>c10</name></domaincheckpoint>" >c10.xml
begin_bg sigint --checkpointxml c10.xml
kill -INT "$bg_pid"
end_bg sigint
[ $rc -eq 1 ] || fail "interrupted --wait: exit status $rc"
bp domjobinfo vm1 --completed
grep -q '^Job type:         Cancelled' out &&
    [ -z "$("$blkpoint" -c session checkpoint-list vm1 --name | grep c10)" ] &&
    pass "^C during backup-begin --wait: the backup is aborted, no checkpoint, exit 1" ||
    fail "sigint: $(cat out sigint.out sigint.err)"

bp destroy vm1
qsd_pid=
echo "failures: $failures"
[ $failures -eq 0 ]
