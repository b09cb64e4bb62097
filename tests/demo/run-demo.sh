#!/bin/sh
# The README's first quick-start command ends here (.ci/run demo).
#
# It runs what exists today, for real:
#  1. the XML layer on the example documents: schema + semantic
#     validation, libvirt's defaults and disk alignment against the
#     example domain, a round trip that must give back the same document,
#     and the errors a user gets for common mistakes;
#  2. the daemon and the client on a private D-Bus: a two-disk demo domain
#     defined and started on the embedded qemu-storage-daemon runtime,
#     data written through its NBD exports, the daemon restarted while the
#     domain runs, and a clean shutdown;
#  3. the backup job: checkpoint c1 with a full push backup, an incremental
#     push backup since c1 (creating c2) and an incremental pull backup
#     since c2 (creating c3) read by backup-pull over libnbd, the guest
#     writing right after each start; every disk restored at c1, c2 and c3
#     and compared byte for byte with a copy taken at that point; a report
#     of the bytes each backup copied (exactly what changed) and the times.
set -e
build=${1:-$(cd "$(dirname "$0")/../.." && pwd)/_build}
top=$(cd "$(dirname "$0")/../.." && pwd)
tool=$build/client/blkpoint-xml-validate
ex=$top/docs/examples
export BP_SCHEMA_DIR="$top/xml-schemas"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export QEMU_IMG=${QEMU_IMG:-qemu-img}
export QEMU_STORAGE_DAEMON=${QEMU_STORAGE_DAEMON:-qemu-storage-daemon}

step() { printf '\n== %s\n' "$*"; }

step "validating every example in docs/examples"
for f in "$ex"/*.xml; do
    "$tool" "$f"
done

step "the domain, printed back in libvirt's layout"
"$tool" --format "$ex/domain.xml" | tee "$tmp/domain.xml"

step "checkpoint request aligned against the domain (libvirt's defaults filled in)"
"$tool" --format --domain "$tmp/domain.xml" "$ex/checkpoint.xml" \
    > "$tmp/checkpoint.xml"
sed -n '1,/<domain>/p' "$tmp/checkpoint.xml"
echo "  ... (the domain definition at creation time follows)"

step "incremental push backup request aligned (generated target names)"
"$tool" --format --domain "$tmp/domain.xml" --suffix c2 \
    "$ex/backup-push-incremental.xml" | tee "$tmp/backup.xml"

step "round trip: the stored forms parse back to the same bytes"
"$tool" --format --redefine "$tmp/checkpoint.xml" > "$tmp/checkpoint2.xml"
cmp "$tmp/checkpoint.xml" "$tmp/checkpoint2.xml"
"$tool" --format --domain "$tmp/domain.xml" "$tmp/backup.xml" > "$tmp/backup2.xml"
cmp "$tmp/backup.xml" "$tmp/backup2.xml"
echo "checkpoint and backup documents are fixed points"

step "what a user sees for common mistakes"
bad() {
    printf '%s\n' "$2" > "$tmp/bad.xml"
    printf -- '- %s:\n  ' "$1"
    if "$tool" --domain "$tmp/domain.xml" "$tmp/bad.xml" 2>&1; then
        echo "UNEXPECTEDLY ACCEPTED"; exit 1
    fi
}
bad "unknown disk" "<domainbackup>
  <disks>
    <disk name='vdz'/>
  </disks>
</domainbackup>"
bad "name escaping a directory" "<domaincheckpoint>
  <name>../escape</name>
</domaincheckpoint>"
bad "incremental without a checkpoint" "<domainbackup>
  <disks>
    <disk name='vda' backupmode='incremental'/>
  </disks>
</domainbackup>"
bad "relative socket path" "<domainbackup mode='pull'>
  <server transport='unix' socket='backup.sock'/>
</domainbackup>"
bad "malformed XML" "<domainbackup>
  <disks>
</domainbackup>"

# ---- 2. daemon + client on a private bus -----------------------------------
blkpoint=$build/client/blkpoint
blkpointd=$build/daemon/blkpointd
demo=$(mktemp -d /tmp/bp-demo.XXXXXX)
daemon_pid=
bus_pid=
cleanup() {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
    # the domain's qemu-storage-daemon outlives blkpointd by design
    for p in $(pgrep -f "qemu-storage-daemon.*$demo" 2>/dev/null); do kill "$p"; done
    [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
    rm -rf "$tmp" "$demo"
}
trap cleanup EXIT

start_daemon() {
    "$blkpointd" --session --state-dir "$demo/state" --runtime-dir "$demo/run" \
        2>>"$demo/blkpointd.log" &
    daemon_pid=$!
    for _ in $(seq 50); do
        "$blkpoint" -q list --all >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "blkpointd did not come up:"; cat "$demo/blkpointd.log"; exit 1
}

step "a private session bus and blkpointd from the build tree"
dbus-daemon --session --fork --print-address=3 --print-pid=4 \
    3>"$demo/bus.addr" 4>"$demo/bus.pid"
DBUS_SESSION_BUS_ADDRESS=$(cat "$demo/bus.addr"); export DBUS_SESSION_BUS_ADDRESS
bus_pid=$(cat "$demo/bus.pid")
export BLKPOINT_CONNECT=session
start_daemon
"$blkpoint" version

step "a demo domain with two qcow2 disks"
mkdir -p "$demo/images"
qemu-img create -q -f qcow2 "$demo/images/demo-root.qcow2" 64M
qemu-img create -q -f qcow2 "$demo/images/demo-data.qcow2" 32M
sed -e "s|/var/lib/blkpoint/images|$demo/images|" "$ex/domain.xml" > "$demo/demo.xml"
"$blkpoint" define "$demo/demo.xml"
"$blkpoint" start demo
"$blkpoint" list --all
"$blkpoint" domblklist demo --details

step "guest writes through the NBD exports (nbdcopy)"
head -c 8M /dev/urandom > "$demo/root.bin"
head -c 4M /dev/urandom > "$demo/data.bin"
sock=$demo/run/demo/nbd.sock
nbdcopy "$demo/root.bin" "nbd+unix:///vda?socket=$sock"
nbdcopy "$demo/data.bin" "nbd+unix:///vdb?socket=$sock"
echo "wrote 8 MiB to vda and 4 MiB to vdb"

# ---- 3. the backup job --------------------------------------------------------
# The guest keeps writing right after each backup has started; each
# backup must still restore to the disk as it was at its point in time,
# which copy_disks saved just before (nothing else writes in between).
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f s", b - a }'; }
copy_disks() {   # copy_disks TAG: the disks as they are now, as raw files
    for d in vda vdb; do
        nbdcopy "nbd+unix:///$d?socket=$sock" "$demo/ref-$1-$d.raw"
    done
}
guest_write() {  # guest_write DISK OFFSET LENGTH PATTERN
    qemu-io -f raw -c "write -P $4 $2 $3" "nbd+unix:///$1?socket=$sock" >/dev/null
}
wait_job() {     # wait_job: until the domain's backup job has ended
    for _ in $(seq 600); do
        "$blkpoint" domjobinfo demo | grep -q '^Job type: *None' && break
        sleep 0.1
    done
    "$blkpoint" domjobinfo demo --completed --keep-completed | tee "$demo/jobinfo.txt"
    grep -q '^Job type: *Completed' "$demo/jobinfo.txt" ||
        { echo "the backup did not complete"; cat "$demo/blkpointd.log"; exit 1; }
}
own_bytes() {    # allocated bytes of an image's own layer
    qemu-img map --output=json "$1" |
        awk -F'[:,]' '/"depth": 0/ && /"data": true/ {
            for (i = 1; i < NF; i++) if ($i ~ /"length"/) n += $(i + 1) } END { print n + 0 }'
}
mkdir -p "$demo/backup"
cat > "$demo/full.xml" <<XML
<domainbackup>
  <disks>
    <disk name='vda' type='file'>
      <target file='$demo/backup/vda.full.qcow2'/>
      <driver type='qcow2'/>
    </disk>
    <disk name='vdb' type='file'>
      <target file='$demo/backup/vdb.full.qcow2'/>
      <driver type='qcow2'/>
    </disk>
  </disks>
</domainbackup>
XML
cat > "$demo/inc.xml" <<XML
<domainbackup mode='push'>
  <incremental>c1</incremental>
  <disks>
    <disk name='vda' type='file'>
      <target file='$demo/backup/vda.inc-c2.qcow2'/>
      <driver type='qcow2'/>
    </disk>
    <disk name='vdb' type='file'>
      <target file='$demo/backup/vdb.inc-c2.qcow2'/>
      <driver type='qcow2'/>
    </disk>
  </disks>
</domainbackup>
XML
cat > "$demo/pull.xml" <<XML
<domainbackup mode='pull'>
  <incremental>c2</incremental>
</domainbackup>
XML
for c in c1 c2 c3; do
    printf '<domaincheckpoint>\n  <name>%s</name>\n</domaincheckpoint>\n' $c > "$demo/$c.xml"
done

step "checkpoint c1 + full push backup of both disks, the guest writing on"
copy_disks c1
t0=$(now)
"$blkpoint" backup-begin demo "$demo/full.xml" "$demo/c1.xml"
guest_write vda 4M 2M 0x11
guest_write vdb 1M 1M 0x22
wait_job
t_full=$(elapsed "$t0" "$(now)")

step "more writes, then an incremental push backup since c1 creating c2"
guest_write vda 0 1M 0x33
guest_write vdb 3M 512K 0x44
copy_disks c2
t0=$(now)
"$blkpoint" backup-begin demo "$demo/inc.xml" "$demo/c2.xml"
guest_write vda 1M 1M 0x55
wait_job
t_inc=$(elapsed "$t0" "$(now)")
echo "backing chain of the incremental backup of vda:"
qemu-img info --backing-chain "$demo/backup/vda.inc-c2.qcow2" | grep '^image:'

step "an incremental pull backup since c2 creating c3, read with backup-pull (libnbd)"
guest_write vda 6M 256K 0x66
copy_disks c3
t0=$(now)
"$blkpoint" backup-begin demo "$demo/pull.xml" "$demo/c3.xml"
"$blkpoint" backup-dumpxml demo
guest_write vda 6M 1M 0x77
guest_write vdb 0 1M 0x78
"$blkpoint" backup-pull demo --output-dir "$demo/backup"
wait_job
t_pull=$(elapsed "$t0" "$(now)")
"$blkpoint" checkpoint-list demo --tree
"$blkpoint" backup-list demo --details
pulled=$("$blkpoint" --json backup-list demo |
    jq -r '.[-1].disks[] | "\(.target)=\(.bytes)"' | tr '\n' ' ')
echo "backup-pull reported copying: $pulled"
[ "$pulled" = "vda=1310720 vdb=0 " ] ||
    { echo "the catalogue does not hold what backup-pull copied"; exit 1; }
"$blkpoint" checkpoint-dumpxml demo c3 --no-domain --size | tee "$demo/c3.xml"
grep -q "name='vda' checkpoint='bitmap' bitmap='c3' size='1048576'" "$demo/c3.xml" &&
    grep -q "name='vdb' checkpoint='bitmap' bitmap='c3' size='1048576'" "$demo/c3.xml" ||
    { echo "c3 does not track exactly the 1 MiB written to each disk since it"; exit 1; }

step "restore every disk at c1, c2 and c3 and compare byte for byte"
t0=$(now)
for c in c1 c2 c3; do
    for d in vda vdb; do
        "$blkpoint" -q restore demo --disk $d --checkpoint $c \
            --output "$demo/restored-$c-$d.qcow2"
        qemu-img compare -q -f qcow2 -F raw "$demo/restored-$c-$d.qcow2" \
            "$demo/ref-$c-$d.raw" ||
            { echo "restore of $d at $c differs from the disk at that point"; exit 1; }
        echo "$d at $c: restored image identical to the disk at that point"
    done
done
t_restore=$(elapsed "$t0" "$(now)")

step "report"
pulled_vda=$(ls "$demo"/backup/demo-vda-*.qcow2)
pulled_vdb=$(ls "$demo"/backup/demo-vdb-*.qcow2)
printf '%-28s %14s %14s %10s\n' "backup" "vda (bytes)" "vdb (bytes)" "time"
printf '%-28s %14s %14s %10s\n' "full push (c1)" \
    "$(own_bytes "$demo/backup/vda.full.qcow2")" "$(own_bytes "$demo/backup/vdb.full.qcow2")" "$t_full"
printf '%-28s %14s %14s %10s\n' "incremental push (c1->c2)" \
    "$(own_bytes "$demo/backup/vda.inc-c2.qcow2")" "$(own_bytes "$demo/backup/vdb.inc-c2.qcow2")" "$t_inc"
printf '%-28s %14s %14s %10s\n' "incremental pull (c2->c3)" \
    "$(own_bytes "$pulled_vda")" "$(own_bytes "$pulled_vdb")" "$t_pull"
echo "6 restores compared byte for byte in $t_restore"
[ "$(own_bytes "$demo/backup/vda.inc-c2.qcow2")" -eq 3145728 ] &&
    [ "$(own_bytes "$demo/backup/vdb.inc-c2.qcow2")" -eq 1572864 ] &&
    [ "$(own_bytes "$pulled_vda")" -eq 1310720 ] &&
    [ "$(own_bytes "$pulled_vdb")" -eq 0 ] ||
    { echo "an incremental backup copied more (or less) than what changed"; exit 1; }
echo "each incremental copied exactly the clusters written since its base"

step "blkpointd restarts; the domain keeps running"
pid_before=$("$blkpoint" --json dominfo demo | sed -n 's/.*"pid" *: *\([0-9]*\).*/\1/p')
kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true
daemon_pid=
start_daemon
"$blkpoint" dominfo demo
pid_after=$("$blkpoint" --json dominfo demo | sed -n 's/.*"pid" *: *\([0-9]*\).*/\1/p')
[ -n "$pid_before" ] && [ "$pid_before" = "$pid_after" ] ||
    { echo "the domain did not survive the daemon restart ($pid_before/$pid_after)"; exit 1; }
echo "same qemu-storage-daemon (pid $pid_after) before and after"

step "shutdown: the checkpoints' bitmaps are persisted in the images"
"$blkpoint" shutdown demo
for _ in $(seq 50); do
    "$blkpoint" -q list --inactive --name | grep -qx demo && break
    sleep 0.1
done
"$blkpoint" -q list --inactive --name | grep -qx demo ||
    { echo "the domain did not shut down"; exit 1; }
qemu-img info "$demo/images/demo-root.qcow2" | sed -n '/bitmaps:/,/refcount/p'
"$blkpoint" checkpoint-delete demo c1 --children
"$blkpoint" undefine demo

printf '\n== demo finished: checkpoints, full and incremental push and pull backups, restore: all byte for byte\n'
