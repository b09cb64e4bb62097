#!/bin/sh
# Block pull end to end: the client from the build tree against blkpointd
# (activated on a private session bus) and a real qemu-storage-daemon.
# vda is a three-layer qcow2 chain built on the shut-off domain (qemu-img
# create -b, qemu-img bitmap --add, define with the explicit chain):
#
#   ov2.qcow2   c0 c1 c3      (the active layer; c3 only here)
#   ov1.qcow2   c0 c1 c2      (c2 only here: its bitmap is not in ov2)
#   vda.qcow2   c0
#
# Every write goes through the NBD export with qemu-io and into a raw
# model of the disk; per checkpoint the clusters written since it are
# tracked.  Checked:
#   blockpull --base vda.qcow2 --wait --verbose (virsh's texts) pulls ov1
#   into ov2: the definition and ov2's header lose ov1; c0, c1 and c3
#   count exactly the bytes written since each (also after more writes);
#   c2 is reported broken with a reason (checkpoint-info); a restarted
#   daemon finds the short chain;
#   a slow pull (--bandwidth 1 --bytes): blockjob --json / --raw and the
#   Job object (GetBlockJobInfo, Operation) show a pull, a second pull is
#   refused, blockjob --abort and --wait --timeout leave the chain;
#   blockpull while a pull backup runs is refused;
#   the shut-off domain pulled whole with qemu-img rebase: the disk stands
#   alone, c0, c1, c3 and c4 (made in the top only) still exact;
#   qemu-img compare against the model after each pull.  Then the attach
#   runtime: a qemu-storage-daemon this test runs with a two-layer chain
#   (node names of its own), blockpull of the whole chain, c0 still exact.

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

for p in "$DBUS_DAEMON" "$QEMU_IMG" "$QEMU_STORAGE_DAEMON" qemu-io jq; do
    case $p in no|"") echo "SKIP: a program configure looks for is missing"; exit 77 ;; esac
    command -v "$p" >/dev/null 2>&1 || { echo "SKIP: $p not found"; exit 77; }
done
for p in "$blkpoint" "$blkpointd"; do
    [ -x "$p" ] || { echo "FAIL: $p was not built"; exit 1; }
done

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

tmp=$(mktemp -d /tmp/bp-bpull.XXXXXX) || exit 99
bus_pid=
qsd_pid=
ext_pid=
cleanup() {
    [ -n "$ext_pid" ] && kill -9 "$ext_pid" 2>/dev/null
    if [ -n "$qsd_pid" ]; then
        case $( (tr '\0' ' ' <"/proc/$qsd_pid/cmdline") 2>/dev/null) in
            *qemu-storage-daemon*"$tmp"*) kill -9 "$qsd_pid" 2>/dev/null ;;
        esac
    fi
    if [ -n "$bus_pid" ]; then
        p=$(daemon_pid)
        [ -n "$p" ] && kill -9 "$p" 2>/dev/null
        kill "$bus_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

export LC_ALL=C.UTF-8
unset LANGUAGE BLKPOINT_CONNECT
cd "$tmp" || exit 99

. "$top_srcdir/tests/client-testlib.sh"
client_bus_start

# expect TEXT [WHAT]: standard output is exactly TEXT (printf format) and
# the command succeeded.
expect() {
    printf "$1" >want
    if [ $rc -ne 0 ] || ! cmp -s out want; then
        fail "${2:-output}: rc=$rc, stdout/want:
$(cat out)
----
$(cat want)
---- stderr: $(cat err)"
        return 1
    fi
    return 0
}

CL=65536
# since.NAME: the clusters written since checkpoint NAME, one per line.
live=
# w OFFSET_IN_CLUSTERS COUNT PATTERN: write through NBD and into the model.
w() {
    qemu-io -f raw "$export_vda" -c "write -P $3 $(($1 * CL)) $(($2 * CL))" >/dev/null ||
        fail "write at cluster $1"
    qemu-io -f raw model.raw -c "write -P $3 $(($1 * CL)) $(($2 * CL))" >/dev/null ||
        exit 99
    for c in $live; do
        i=0
        while [ $i -lt "$2" ]; do
            echo $(($1 + i)) >>"since.$c"
            i=$((i + 1))
        done
        sort -nu "since.$c" >since.tmp && mv since.tmp "since.$c"
    done
}
size() {
    "$blkpoint" -c session -q checkpoint-dumpxml vm1 "$1" --no-domain --size \
        --xpath "string(//disk[@name='vda']/@size)"
}
# check_sizes WHAT CHECKPOINT...: each counts exactly the clusters written since.
check_sizes() {
    what=$1
    shift
    got=
    want=
    for c in "$@"; do
        got="$got $(size "$c")"
        want="$want $(($(wc -l <"since.$c") * CL))"
    done
    [ "$got" = "$want" ] && pass "$what: checkpoint sizes$got" ||
        fail "$what: checkpoint sizes '$got', written since: '$want'"
}
checkpoint() {
    bp -q checkpoint-create-as vm1 "$1"
    [ $rc -eq 0 ] || fail "checkpoint $1: $(cat err)"
    : >"since.$1"
    live="$live $1"
}
start() {
    bp -q start vm1
    [ $rc -eq 0 ] || { fail "start: $(cat err)"; exit 1; }
    qsd_pid=$("$blkpoint" -c session dominfo vm1 --json 2>/dev/null | jq -r .pid 2>/dev/null)
    bp -q domblklist vm1
    export_vda=$(awk '$1 == "vda" { print $3 }' out)
}
stop() {
    bp -q shutdown vm1
    [ $rc -eq 0 ] || fail "shutdown: $(cat err)"
    qsd_pid=
}
# define TOP [LAYER...]: vm1 with vda = TOP over the explicit chain LAYER...
define() {
    chain="<source file='$tmp/$1'/>"
    shift
    tail=
    for l in "$@"; do
        chain="$chain<backingStore type='file'><format type='qcow2'/><source file='$tmp/$l'/>"
        tail="$tail</backingStore>"
    done
    cat >vm1.xml <<EOF
<domain><name>vm1</name><devices>
<disk type='file'><driver type='qcow2'/>$chain<backingStore/>$tail<target dev='vda'/></disk>
</devices></domain>
EOF
    bp -q define vm1.xml
    [ $rc -eq 0 ] || { fail "define: $(cat err)"; exit 1; }
}
# overlay NAME BACKING BITMAP...: a new qcow2 overlay with recording bitmaps.
overlay() {
    n=$1
    b=$2
    shift 2
    "$QEMU_IMG" create -q -f qcow2 -b "$tmp/$b" -F qcow2 "$tmp/$n" 16M || exit 99
    for bm in "$@"; do
        "$QEMU_IMG" bitmap --add "$tmp/$n" "$bm" || exit 99
    done
}
source_of() {
    "$blkpoint" -c session -q dumpxml vm1 --xpath "string(//disk/source/@file)"
}
layers() {
    "$blkpoint" -c session -q dumpxml vm1 --xpath "count(//disk//source)"
}
backing_of() {
    "$QEMU_IMG" info -U --output=json "$tmp/$1" | jq -r '."backing-filename" // "none"'
}
# state NAME: "STATE|REASON" from checkpoint-info.
state() {
    "$blkpoint" -c session -q checkpoint-info vm1 "$1" >info.out 2>&1
    printf '%s|%s' "$(sed -n 's/^State: *//p' info.out)" "$(sed -n 's/^Reason: *//p' info.out)"
}
# compare IMAGE WHAT: the image (shut-off domain) equals the model.
compare() {
    "$QEMU_IMG" compare -q -f qcow2 -F raw "$tmp/$1" model.raw &&
        pass "$2: the disk equals the model of every write" || fail "$2: qemu-img compare"
}

"$QEMU_IMG" create -q -f qcow2 vda.qcow2 16M || exit 99
"$QEMU_IMG" create -q -f raw model.raw 16M || exit 99
define vda.qcow2
start
w 0 16 0x10
checkpoint c0
w 20 1 0x11
stop
overlay ov1.qcow2 vda.qcow2 c0
define ov1.qcow2 vda.qcow2
start
w 30 2 0x12
checkpoint c1
w 40 1 0x13
checkpoint c2
w 20 1 0x14
w 42 3 0x15
stop
# c2 is not carried into ov2: its bitmap lives only in the layer pulled.
overlay ov2.qcow2 ov1.qcow2 c0 c1
define ov2.qcow2 ov1.qcow2 vda.qcow2
start
w 50 1 0x16
checkpoint c3
w 31 1 0x17
w 52 1 0x18
check_sizes "three layers" c0 c1 c3

# ---- live pull of the middle layer ----------------------------------------------------

bp blockpull vm1 vda --base "$tmp/vda.qcow2" --wait --verbose
expect "\nPull complete\n" "blockpull --wait" &&
    grep -q 'Block Pull: \[100.00 %\]' err &&
    pass "blockpull --wait --verbose: virsh's texts"
[ "$(layers)" = 2 ] && [ "$(source_of)" = "$tmp/ov2.qcow2" ] &&
    pass "the definition lost the pulled layer" ||
    fail "after the pull: $(source_of), $(layers) layers"
[ "$(backing_of ov2.qcow2)" = "$tmp/vda.qcow2" ] && pass "ov2's backing file is now the base" ||
    fail "ov2's backing: $(backing_of ov2.qcow2)"
check_sizes "after the pull" c0 c1 c3
st=$(state c2)
case $st in
    inconsistent\|?*) pass "c2, whose bitmap only the pulled layer had, is invalid: ${st#*|}" ;;
    *) fail "c2 after the pull: '$st'" ;;
esac
w 60 1 0x19
w 0 1 0x1a
check_sizes "writes after the pull" c0 c1 c3

# The daemon restarts while the domain runs: it finds the short chain.
p=$(daemon_pid)
kill "$p"
for _i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
[ "$(layers)" = 2 ] && [ "$(source_of)" = "$tmp/ov2.qcow2" ] &&
    pass "a restarted daemon reconnects to the pulled disk" ||
    fail "after the daemon restart: $(source_of), $(layers) layers"
w 61 1 0x1b
check_sizes "a write after the daemon restart" c0 c1 c3

# ---- a slow pull: blockjob --info, Busy, --abort ----------------------------------------

stop
compare ov2.qcow2 "live pull"
overlay ov3.qcow2 ov2.qcow2 c0 c1 c3
define ov3.qcow2 ov2.qcow2 vda.qcow2
start
w 70 1 0x1b
bp blockpull vm1 vda --bandwidth 1 --bytes
expect "Block Pull started\n" "blockpull without --wait" && pass "blockpull: Block Pull started"
bp blockjob vm1 vda --json
[ $rc -eq 0 ] && jq -e '.type == "pull"' out >/dev/null &&
    pass "blockjob --json: a pull" || fail "blockjob --json: $(cat out) $(cat err)"
bp blockjob vm1 vda --raw
[ $rc -eq 0 ] && [ "$(sed -n 1p out)" = " type=Block Pull" ] &&
    pass "blockjob --raw: Block Pull" || fail "blockjob --raw: $(cat out)"
r=$(gdbus call --session --dest org.blkpoint.Blkpoint1 \
    --object-path /org/blkpoint/Blkpoint1/domain/vm1 \
    --method org.blkpoint.Blkpoint1.Domain.GetBlockJobInfo vda '{}' 2>&1)
job=$(printf '%s' "$r" | sed -n "s/.*'job': <objectpath '\([^']*\)'>.*/\1/p")
op=$(gdbus call --session --dest org.blkpoint.Blkpoint1 --object-path "${job:-/}" \
    --method org.freedesktop.DBus.Properties.Get org.blkpoint.Blkpoint1.Job Operation 2>&1)
[ "$op" = "(<'block-pull'>,)" ] && pass "the Job object's Operation is block-pull" ||
    fail "Job object: $r / $op"
bp blockpull vm1 vda
[ $rc -eq 1 ] && grep -q 'already has a block job' err &&
    pass "a second pull on the disk is refused" || fail "second pull: rc=$rc $(cat err)"
bp blockjob vm1 vda --abort
expect "\n" "blockjob --abort" && [ "$(source_of)" = "$tmp/ov3.qcow2" ] &&
    [ "$(layers)" = 3 ] && [ "$(backing_of ov3.qcow2)" = "$tmp/ov2.qcow2" ] &&
    pass "blockjob --abort leaves the chain" ||
    fail "after the abort: $(source_of), $(layers) layers"
check_sizes "after the abort" c0 c1 c3

bp blockpull vm1 vda --bandwidth 1 --bytes --wait --timeout 1
[ $rc -eq 1 ] && grep -q 'Pull aborted' out && [ "$(layers)" = 3 ] &&
    [ "$(backing_of ov3.qcow2)" = "$tmp/ov2.qcow2" ] &&
    pass "blockpull --wait --timeout: Pull aborted, the chain stays" ||
    fail "--timeout: rc=$rc $(cat out) $(cat err)"
check_sizes "after the timeout" c0 c1 c3

# ^C during blockpull --wait aborts the job, as virsh does.
"$blkpoint" -c session blockpull vm1 vda --bandwidth 1 --bytes --wait >int.out 2>int.err &
int_pid=$!
for _i in $(seq 1 200); do
    "$blkpoint" -c session blockjob vm1 vda >out 2>&1
    grep -q 'Block Pull: \[' out && break
    kill -0 "$int_pid" 2>/dev/null || break
    sleep 0.05
done
grep -q 'Block Pull: \[' out || fail "the slow pull never showed up: $(cat out int.out int.err)"
kill -INT "$int_pid"
wait "$int_pid"
rc=$?
printf "\nPull aborted\n" >want
[ $rc -eq 1 ] && cmp -s int.out want && grep -q '^error: the pull into disk vda was interrupted$' int.err &&
    [ "$(layers)" = 3 ] && [ "$(backing_of ov3.qcow2)" = "$tmp/ov2.qcow2" ] &&
    pass "^C during blockpull --wait: Pull aborted, exit 1, the chain stays" ||
    fail "interrupted blockpull --wait: rc=$rc $(cat int.out int.err)"
bp blockjob vm1 vda
expect "No current block job for vda\n" "blockjob after the interrupted pull" &&
    pass "^C during blockpull --wait: no job left"

echo "<domainbackup mode='pull'/>" >bk.xml
bp -q backup-begin vm1 bk.xml
[ $rc -eq 0 ] || fail "backup-begin: $(cat err)"
bp blockpull vm1 vda --wait
[ $rc -eq 1 ] && grep -q 'backup job' err && [ "$(layers)" = 3 ] &&
    pass "blockpull while a backup runs: refused" || fail "pull during a backup: rc=$rc $(cat err)"
bp -q domjobabort vm1
[ $rc -eq 0 ] || fail "domjobabort: $(cat err)"

# ---- offline: the whole chain into the top ----------------------------------------------

w 71 1 0x1c
checkpoint c4
w 72 2 0x1d
w 0 1 0x1e
stop
bp blockpull vm1 vda --wait
expect "\nPull complete\n" "offline blockpull" &&
    [ "$(layers)" = 1 ] && [ "$(backing_of ov3.qcow2)" = none ] &&
    pass "offline blockpull with qemu-img rebase: the disk stands alone" ||
    fail "offline: $(layers) layers, backing $(backing_of ov3.qcow2)"
compare ov3.qcow2 "offline pull"
start
check_sizes "after the offline pull" c0 c1 c3 c4
w 73 1 0x1f
check_sizes "a write after the offline pull" c0 c1 c3 c4
stop

# ---- the attach runtime: a qemu-storage-daemon this test runs ------------------------

mkdir -p ext
"$QEMU_IMG" create -q -f qcow2 ext/base.qcow2 16M || exit 99
cat >ext.xml <<EOF
<domain><name>ext</name><runtime type='attach'><monitor path='$tmp/ext/qmp.sock'/></runtime>
<devices><disk type='file'><driver type='qcow2'/><source file='$tmp/ext/base.qcow2'/>
<backingStore/><target dev='vda'/></disk></devices></domain>
EOF
bp -q define ext.xml
bp -q checkpoint-create-as ext c0
[ $rc -eq 0 ] || fail "offline checkpoint on the attach domain: $(cat err)"
"$QEMU_IMG" create -q -f qcow2 -b "$tmp/ext/base.qcow2" -F qcow2 ext/ov.qcow2 16M || exit 99
"$QEMU_IMG" bitmap --add ext/ov.qcow2 c0 || exit 99
sed -e "s|<source file='$tmp/ext/base.qcow2'/>|<source file='$tmp/ext/ov.qcow2'/><backingStore type='file'><format type='qcow2'/><source file='$tmp/ext/base.qcow2'/><backingStore/></backingStore>|" \
    -e "s|^<backingStore/><target|<target|" ext.xml >ext2.xml
bp -q define ext2.xml
[ $rc -eq 0 ] || fail "redefine the attach domain: $(cat err)"
"$QEMU_STORAGE_DAEMON" \
    --blockdev "{\"driver\":\"file\",\"node-name\":\"f0\",\"filename\":\"$tmp/ext/base.qcow2\"}" \
    --blockdev '{"driver":"qcow2","node-name":"n0","file":"f0","read-only":true}' \
    --blockdev "{\"driver\":\"file\",\"node-name\":\"f1\",\"filename\":\"$tmp/ext/ov.qcow2\"}" \
    --blockdev '{"driver":"qcow2","node-name":"n1","file":"f1","backing":"n0"}' \
    --nbd-server "addr.type=unix,addr.path=$tmp/ext/nbd.sock" \
    --export type=nbd,id=e1,node-name=n1,name=vda,writable=on \
    --chardev "socket,id=m,path=$tmp/ext/qmp.sock,server=on,wait=off" \
    --monitor chardev=m >ext/log 2>&1 &
ext_pid=$!
for _i in $(seq 1 100); do [ -S ext/qmp.sock ] && break; sleep 0.05; done
bp -q start ext
[ $rc -eq 0 ] || fail "attach start: $(cat err)"
for o in 1 2 3; do
    qemu-io -f raw "nbd+unix:///vda?socket=$tmp/ext/nbd.sock" -c "write -P 0x5$o $((o * CL)) $CL" \
        >/dev/null || fail "ext write"
done
bp blockpull ext vda --wait
expect "\nPull complete\n" "attach: blockpull --wait" &&
    [ "$("$blkpoint" -c session -q dumpxml ext --xpath "count(//disk//source)")" = 1 ] &&
    pass "attach runtime: the whole chain pulled into the top" ||
    fail "attach: $(cat err)"
qemu-io -f raw "nbd+unix:///vda?socket=$tmp/ext/nbd.sock" -c "write -P 0x54 $((4 * CL)) $CL" \
    >/dev/null || fail "ext write after the pull"
got=$("$blkpoint" -c session -q checkpoint-dumpxml ext c0 --no-domain --size \
      --xpath "string(//disk[@name='vda']/@size)")
[ "$got" = $((4 * CL)) ] && pass "attach runtime: c0 counts every write across the pull" ||
    fail "attach: c0 size $got, want $((4 * CL))"
bp -q destroy ext
kill "$ext_pid" 2>/dev/null
wait "$ext_pid" 2>/dev/null
ext_pid=

if [ $failures -ne 0 ]; then
    echo "---- daemon log"
    tail -n 60 daemon.log
fi
echo "$failures failure(s)"
[ $failures -eq 0 ]
