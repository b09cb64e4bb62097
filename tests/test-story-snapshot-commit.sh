#!/bin/sh
# The whole story of issue 8 on a real qemu-storage-daemon with two disks:
# checkpoints and incremental backups across external snapshots and block
# commits (the 2020 talk "Mixing backups with external snapshots").
#
#   full backup creating c0; writes; snapshot s1; writes; incremental
#   from c0 (holds the writes of both layers) creating c1; writes;
#   snapshot s2; writes; non-active commit of the middle layer (s1) into
#   the base; writes; active commit with pivot while a writer keeps
#   writing; incremental from c0 and from c1; delete c0 across what is
#   left of the chain; then a bitmap removed behind blkpoint's back.
#
# Every write is logged (disk, 64 KiB-aligned offset, length) with a
# sequence number, so each checkpoint's size is checked against exactly
# the clusters written since it, at every step.  Each backup is restored
# and compared byte for byte (qemu-img compare) with a copy of the disk
# taken at its point in time, the disks being written right after the
# start.

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
DBUS_DAEMON=${DBUS_DAEMON:-dbus-daemon}
QEMU_IMG=${QEMU_IMG:-qemu-img}
QEMU_IO=${QEMU_IO:-qemu-io}
QEMU_STORAGE_DAEMON=${QEMU_STORAGE_DAEMON:-qemu-storage-daemon}
BP_SCHEMA_DIR=${BP_SCHEMA_DIR:-$top_srcdir/xml-schemas}
export QEMU_IMG QEMU_STORAGE_DAEMON BP_SCHEMA_DIR

blkpoint=$top_builddir/client/blkpoint
blkpointd=$top_builddir/daemon/blkpointd

for p in "$DBUS_DAEMON" "$QEMU_IMG" "$QEMU_IO" "$QEMU_STORAGE_DAEMON" nbdcopy jq; do
    case $p in no|"") echo "SKIP: a program configure looks for is missing"; exit 77 ;; esac
    command -v "$p" >/dev/null 2>&1 || { echo "SKIP: $p not found"; exit 77; }
done
for p in "$blkpoint" "$blkpointd"; do
    [ -x "$p" ] || { echo "FAIL: $p was not built"; exit 1; }
done

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

tmp=$(mktemp -d /tmp/bp-story.XXXXXX) || exit 99
bus_pid=
writer_pid=
cleanup() {
    [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null
    for p in $(pgrep -f "qemu-storage-daemon.*$tmp" 2>/dev/null); do kill -9 "$p"; done
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
. "$top_srcdir/tests/client-testlib.sh"
client_bus_start

K=65536
seq_no=0
: >writes.log

# write DISK CLUSTER COUNT: COUNT clusters of fresh data at cluster CLUSTER
# (64 KiB units) through the domain's NBD export, logged.
write() {
    seq_no=$((seq_no + 1))
    _pat=$(( (seq_no * 37) % 250 + 1 ))
    "$QEMU_IO" -f raw -c "write -P $_pat $(($2 * K)) $(($3 * K))" \
        "$(eval echo \"\$export_$1\")" >/dev/null 2>io.err ||
        fail "write to $1: $(cat io.err)"
    echo "$seq_no $1 $2 $3" >>writes.log
}
# mark NAME: remember the write sequence at a checkpoint's creation.
mark() { eval "mark_$1=$seq_no"; }
# expected NAME DISK: bytes written to DISK since checkpoint NAME (union
# of the clusters).
expected() {
    awk -v since="$(eval echo \"\$mark_$1\")" -v disk="$2" -v K=$K '
        $1 > since && $2 == disk { for (c = $3; c < $3 + $4; c++) hit[c] = 1 }
        END { n = 0; for (c in hit) n++; print n * K }' writes.log
}
# check_size NAME WHEN: checkpoint NAME's size on each disk is exactly
# what was written since it.
check_size() {
    bp checkpoint-dumpxml vm1 "$1" --no-domain --size
    if [ $rc -ne 0 ]; then
        fail "$2: checkpoint-dumpxml $1 --size: $(cat err)"
        return
    fi
    for d in vda vdb; do
        _want=$(expected "$1" $d)
        _got=$(sed -n "s/.*name='$d' checkpoint='bitmap' bitmap='$1' size='\([0-9]*\)'.*/\1/p" out)
        [ "$_got" = "$_want" ] &&
            pass "$2: $1 on $d records exactly the $_want bytes written since it" ||
            fail "$2: $1 on $d: size '$_got', written since: $_want"
    done
}
# snap TAG: each disk as it is now.
snap() {
    for d in vda vdb; do
        nbdcopy "$(eval echo \"\$export_$d\")" "$d-$1.raw" 2>nbd.err ||
            fail "copy of $d at $1: $(cat nbd.err)"
    done
}
# backup TAG XML [CHECKPOINTXML]: copies the disks, starts the backup,
# writes to both disks at once, waits for the end.
backup() {
    _tag=$1
    shift
    snap "$_tag"
    "$blkpoint" -c session backup-begin vm1 "$@" --wait >"$_tag.out" 2>"$_tag.err" &
    _bg=$!
    for _i in $(seq 1 200); do
        "$blkpoint" -c session domjobinfo vm1 2>/dev/null | grep -q Unbounded && break
        kill -0 "$_bg" 2>/dev/null || break
        sleep 0.05
    done
    write vda 200 2
    write vdb 100 1
    wait "$_bg" && pass "$_tag: backup completed" ||
        fail "$_tag: backup-begin --wait: $(cat "$_tag.err")"
}
# restored TAG DISK FILE: the file (a backup chain's top) restores to the
# disk as it was at TAG.
restored() {
    rm -f "r-$1-$2.qcow2"
    bp restore vm1 --disk "$2" --output "$tmp/r-$1-$2.qcow2" --backup "$3"
    if [ $rc -ne 0 ]; then
        fail "restore of $2 from backup $3: $(cat err)"
        return
    fi
    "$QEMU_IMG" compare -q -f qcow2 -F raw "r-$1-$2.qcow2" "$2-$1.raw" &&
        pass "$1: $2 restored from backup $3 equals the disk at that point" ||
        fail "$1: $2 restored from backup $3 differs from the disk at that point"
}
last_backup_id() {
    "$blkpoint" -c session backup-list vm1 --json | jq -r '.[-1].id'
}
chain_of() {   # chain_of DISK: the files of the disk's chain, top first
    "$blkpoint" -c session dumpxml vm1 |
        awk -v d="$1" '/<disk/ { n = 0; split("", f) }
            /<source file=/ { match($0, /file=.[^"'"'"']*/); f[n++] = substr($0, RSTART + 6, RLENGTH - 6) }
            /<target dev=/ && $0 ~ "dev=.\"?" d { for (i = 0; i < n; i++) printf "%s ", f[i]; print "" }'
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
bp -q domblklist vm1
export_vda=$(awk '$1 == "vda" { print $3 }' out)
export_vdb=$(awk '$1 == "vdb" { print $3 }' out)
[ -n "$export_vda" ] && [ -n "$export_vdb" ] || { fail "no exports: $(cat out)"; exit 1; }

mkdir -p bk
bxml() {   # bxml FILE TAG [INCREMENTAL]: a push backup document
    {
        echo "<domainbackup mode='push'>"
        [ -n "${3:-}" ] && echo "  <incremental>$3</incremental>"
        echo "  <disks>"
        for d in vda vdb; do
            echo "    <disk name='$d' type='file'><target file='$tmp/bk/$d.$2.qcow2'/><driver type='qcow2'/></disk>"
        done
        echo "  </disks>"
        echo "</domainbackup>"
    } >"$1"
}
cxml() { printf '<domaincheckpoint><name>%s</name></domaincheckpoint>\n' "$2" >"$1"; }

# ---- 1. full backup creating c0 ------------------------------------------------
write vda 0 32
write vdb 0 16
bxml full.xml full
cxml c0.xml c0
mark c0
backup full full.xml c0.xml
full_id=$(last_backup_id)
restored full vda "$full_id"
restored full vdb "$full_id"
check_size c0 "after the full backup"

# ---- 2. writes, snapshot s1, writes ---------------------------------------------
write vda 40 4
write vdb 20 2
bp snapshot-create-as vm1 s1 --disk-only
[ $rc -eq 0 ] && pass "snapshot s1 taken: $(head -n 1 out)" || fail "snapshot s1: $(cat err)"
set -- $(chain_of vda)
[ $# -eq 2 ] && pass "vda's chain is two layers after s1: $*" || fail "vda's chain after s1: $*"
write vda 42 4      # overlaps the layer below
write vdb 60 3
check_size c0 "across snapshot s1"

# ---- 3. incremental from c0 creating c1: the writes of both layers -------------
bxml inc1.xml inc1 c0
cxml c1.xml c1
mark c1
backup inc1 inc1.xml c1.xml
inc1_id=$(last_backup_id)
restored inc1 vda "$inc1_id"
restored inc1 vdb "$inc1_id"
check_size c0 "after the incremental from c0"
check_size c1 "after the incremental creating c1"

# ---- 4. writes, snapshot s2, writes, non-active commit of s1 --------------------
write vda 80 2
bp snapshot-create-as vm1 s2 --disk-only
[ $rc -eq 0 ] && pass "snapshot s2 taken" || fail "snapshot s2: $(cat err)"
write vda 81 2
write vdb 70 1
for d in vda vdb; do
    set -- $(chain_of $d)
    [ $# -eq 3 ] || fail "$d's chain before the commit: $*"
    bp blockcommit vm1 $d --top "$2" --base "$3" --wait --verbose
    [ $rc -eq 0 ] && pass "non-active commit of $d's middle layer" ||
        fail "blockcommit $d --top $2: $(cat err)"
    set -- $(chain_of $d)
    [ $# -eq 2 ] && pass "$d's chain is two layers after the commit" ||
        fail "$d's chain after the commit: $*"
done
check_size c0 "after the non-active commit"
check_size c1 "after the non-active commit"
write vda 90 1
write vdb 90 1

# ---- 5. active commit with pivot while a writer writes ----------------------------
(
    i=0
    while [ $i -lt 12 ]; do
        seq=$((1000 + i))
        "$QEMU_IO" -f raw -c "write -P $((i + 3)) $(((120 + i) * K)) $K" "$export_vda" >/dev/null 2>&1 &&
            echo "$seq vda $((120 + i)) 1" >>writes.log
        "$QEMU_IO" -f raw -c "write -P $((i + 5)) $(((140 + i) * K)) $K" "$export_vdb" >/dev/null 2>&1 &&
            echo "$seq vdb $((140 + i)) 1" >>writes.log
        i=$((i + 1))
        sleep 0.05
    done
) &
writer_pid=$!
for d in vda vdb; do
    bp blockcommit vm1 $d --active --pivot --wait --verbose
    [ $rc -eq 0 ] && grep -q "Successfully pivoted" out &&
        pass "active commit of $d pivoted while the writer wrote" ||
        fail "active commit of $d: rc=$rc $(cat out err)"
    set -- $(chain_of $d)
    [ $# -eq 1 ] && pass "$d is a single layer again" || fail "$d's chain after the active commit: $*"
done
wait "$writer_pid"
writer_pid=
seq_no=2000     # after the writer's numbers
[ "$(grep -c '^10[0-9][0-9] ' writes.log)" -eq 24 ] || fail "the writer's writes did not all succeed"
check_size c0 "after the active commit"
check_size c1 "after the active commit"

# ---- 6. incremental from c0 and from c1 ------------------------------------------
bxml inc0b.xml inc0b c0
backup inc0b inc0b.xml
id=$(last_backup_id)
restored inc0b vda "$id"
restored inc0b vdb "$id"
bxml inc1b.xml inc1b c1
backup inc1b inc1b.xml
id=$(last_backup_id)
restored inc1b vda "$id"
restored inc1b vdb "$id"
for d in vda vdb; do
    backing=$("$QEMU_IMG" info --output=json "bk/$d.inc1b.qcow2" | jq -r '."backing-filename" // ""')
    [ "$backing" = "$tmp/bk/$d.inc1.qcow2" ] &&
        pass "$d's incremental from c1 is backed by the backup that created c1" ||
        fail "$d's incremental from c1 has backing '$backing'"
done

# ---- 7. delete c0 across the remaining chain ---------------------------------------
bp checkpoint-delete vm1 c0
[ $rc -eq 0 ] && pass "c0 deleted" || fail "checkpoint-delete c0: $(cat err)"
for d in vda vdb; do
    "$QEMU_IMG" info --force-share --output=json "$d.qcow2" | jq -r '.["format-specific"].data.bitmaps[]?.name' >bm
    grep -qx c0 bm && fail "c0's bitmap is still in $d.qcow2" || pass "c0's bitmap is gone from $d"
    grep -qx c1 bm && pass "c1's bitmap stays in $d" || fail "c1's bitmap vanished from $d"
done
check_size c1 "after deleting c0"
bp checkpoint-info vm1 c1
grep -q "^State: *valid" out && pass "c1 is still valid" || fail "c1's state: $(cat out)"

# ---- 8. a bitmap removed behind blkpoint's back: reported, with the reason ---------
bp shutdown vm1
for _ in $(seq 50); do
    "$blkpoint" -c session -q list --inactive --name | grep -qx vm1 && break
    sleep 0.1
done
"$QEMU_IMG" bitmap --remove vdb.qcow2 c1 || fail "qemu-img bitmap --remove"
bp start vm1
[ $rc -eq 0 ] || fail "start after the bitmap removal: $(cat err)"
bp checkpoint-info vm1 c1
grep -q "^State: *inconsistent" out && grep -q "^Reason:.*vdb" out &&
    pass "c1 reported invalid with the reason: $(sed -n 's/^Reason: *//p' out)" ||
    fail "c1 after losing its bitmap on vdb: $(cat out)"
bxml inc1c.xml inc1c c1
bp backup-begin vm1 inc1c.xml
[ $rc -ne 0 ] && grep -q "c1" err && grep -q "vdb" err &&
    pass "an incremental from c1 is refused, naming the checkpoint and the disk" ||
    fail "incremental from a broken c1: rc=$rc $(cat err)"
bp destroy vm1

[ $failures -eq 0 ] && echo "all story checks passed" || echo "$failures failures"
[ $failures -eq 0 ]
