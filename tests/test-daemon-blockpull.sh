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
. "$top_srcdir/tests/e2e-testlib.sh"
. "$top_srcdir/tests/blockjob-testlib.sh"
e2e_init bpull qemu-io jq
e2e_stderr_ok=1     # --wait --verbose prints progress there

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
restart_daemon
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
interrupt_wait "the slow pull" 'Block Pull: \[' \
    blockpull vm1 vda --bandwidth 1 --bytes --wait
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

ext_setup
bp blockpull ext vda --wait
expect "\nPull complete\n" "attach: blockpull --wait" &&
    [ "$("$blkpoint" -c session -q dumpxml ext --xpath "count(//disk//source)")" = 1 ] &&
    pass "attach runtime: the whole chain pulled into the top" ||
    fail "attach: $(cat err)"
ext_finish pull

e2e_finish
