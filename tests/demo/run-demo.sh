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
#     domain runs, a clean shutdown, and the data checked byte for byte in
#     the images, with a checkpoint whose bitmap tracks exactly what changed.
# Backups join when they exist (issue 7).
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

step "checkpoint c1, then 1 MiB more on vda only"
"$blkpoint" checkpoint-create-as demo c1 "after the first writes"
echo
head -c 1M /dev/urandom > "$demo/more.bin"
nbdcopy "$demo/more.bin" "nbd+unix:///vda?socket=$sock"
"$blkpoint" checkpoint-list demo --tree
"$blkpoint" checkpoint-dumpxml demo c1 --no-domain --size | tee "$demo/c1.xml"
grep -q "name='vda' checkpoint='bitmap' bitmap='c1' size='1048576'" "$demo/c1.xml" &&
    grep -q "name='vdb' checkpoint='bitmap' bitmap='c1' size='0'" "$demo/c1.xml" ||
    { echo "c1 does not track exactly the 1 MiB written since it"; exit 1; }
echo "c1 tracks exactly what changed since it: 1 MiB on vda, nothing on vdb"

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

step "shutdown, then check the images byte for byte"
"$blkpoint" shutdown demo
for _ in $(seq 50); do
    "$blkpoint" -q list --inactive --name | grep -qx demo && break
    sleep 0.1
done
"$blkpoint" -q list --inactive --name | grep -qx demo ||
    { echo "the domain did not shut down"; exit 1; }
qemu-img info "$demo/images/demo-root.qcow2" | sed -n '/bitmaps:/,/refcount/p'
qemu-img convert -f qcow2 -O raw "$demo/images/demo-root.qcow2" "$demo/root.raw"
qemu-img convert -f qcow2 -O raw "$demo/images/demo-data.qcow2" "$demo/data.raw"
cmp -n 1048576 "$demo/more.bin" "$demo/root.raw"
cmp -i 1048576 -n 7340032 "$demo/root.bin" "$demo/root.raw"
cmp -n 4194304 "$demo/data.bin" "$demo/data.raw"
echo "vda and vdb hold exactly what was written; c1's bitmap was persisted"
"$blkpoint" checkpoint-delete demo c1
"$blkpoint" undefine demo

printf '\n== demo finished: XML layer, daemon, client, storage runtime and checkpoints work end to end\n'
