#!/bin/sh
# Block commit end to end: the client from the build tree against
# blkpointd (activated on a private session bus) and a real
# qemu-storage-daemon; vda is a three-layer qcow2 chain built on the
# shut-off domain (qemu-img create -b, qemu-img bitmap --add, define with
# the longer <backingStore> chain), with checkpoints whose bitmaps span
# the layers.  Every write goes through the NBD export with qemu-io and
# into a raw model of the disk with the same pattern.
#
#   non-active blockcommit --wait --verbose (virsh's texts; sizes of c0
#   and c1 still exactly the bytes written since each; the definition
#   loses the layer); blockjob without a job; active commit --wait, a
#   write in the synchronized phase, blockjob --info, blockjob --pivot
#   (sizes include every write, the source is the base); a new overlay,
#   active commit abandoned with blockjob --abort (chain unchanged);
#   offline blockcommit of the shut-off domain (qemu-img), --delete;
#   finally the disk equals the model (qemu-img compare); ^C during a
#   slow (--bandwidth) non-active blockcommit --wait aborts the job
#   ("Commit aborted", exit 1, no job left, chain unchanged).  Then the attach
#   runtime: a qemu-storage-daemon this test runs with a two-layer chain
#   (node names of its own), blockcommit --pivot, c0 still exact.

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/e2e-testlib.sh"
. "$top_srcdir/tests/blockjob-testlib.sh"
e2e_init bc qemu-io jq
e2e_stderr_ok=1     # --wait --verbose and --info print progress there

CL=65536
# written[N]: the clusters written since checkpoint N, as a sorted list.
since0=
since1=
# w OFFSET_IN_CLUSTERS COUNT PATTERN: write through NBD and into the model.
w() {
    qemu-io -f raw "$export_vda" -c "write -P $3 $(($1 * CL)) $(($2 * CL))" >/dev/null ||
        fail "write at cluster $1"
    qemu-io -f raw model.raw -c "write -P $3 $(($1 * CL)) $(($2 * CL))" >/dev/null ||
        exit 99
    i=0
    while [ $i -lt "$2" ]; do
        c=$(($1 + i))
        [ "${have0:-}" ] && since0=$(printf '%s\n%s\n' "$since0" "$c" | sort -nu | sed '/^$/d')
        [ "${have1:-}" ] && since1=$(printf '%s\n%s\n' "$since1" "$c" | sort -nu | sed '/^$/d')
        i=$((i + 1))
    done
}
count() { [ -z "$1" ] && echo 0 || printf '%s\n' "$1" | wc -l; }
# check_sizes WHAT: c0 and c1 count exactly the clusters written since.
check_sizes() {
    got="$(size c0) $(size c1)"
    want="$(($(count "$since0") * CL)) $(($(count "$since1") * CL))"
    [ "$got" = "$want" ] && pass "$1: checkpoint sizes $got" ||
        fail "$1: checkpoint sizes '$got', written since: '$want'"
}

"$QEMU_IMG" create -q -f qcow2 vda.qcow2 16M || exit 99
"$QEMU_IMG" create -q -f raw model.raw 16M || exit 99
define vda.qcow2
start
w 0 16 0x10
bp -q checkpoint-create-as vm1 c0
have0=1
w 20 1 0x11
stop
overlay ov1.qcow2 vda.qcow2 c0
define ov1.qcow2 vda.qcow2
start
w 30 2 0x12
bp -q checkpoint-create-as vm1 c1
have1=1
w 40 1 0x13
w 20 1 0x14
stop
overlay ov2.qcow2 ov1.qcow2 c0 c1
define ov2.qcow2 ov1.qcow2 vda.qcow2
start
w 50 1 0x15
check_sizes "three layers"

# ---- non-active commit --------------------------------------------------------

bp blockcommit vm1 vda --top "$tmp/ov1.qcow2" --base "$tmp/vda.qcow2" --wait --verbose
expect "\nCommit complete\n" "blockcommit --wait" &&
    grep -q 'Block commit: \[100.00 %\]' err &&
    pass "non-active blockcommit --wait --verbose: virsh's texts"
[ "$(layers)" = 2 ] && pass "the definition lost the committed layer" ||
    fail "layers after the commit: $(layers)"
check_sizes "after the non-active commit"
w 60 1 0x16
check_sizes "a write after the non-active commit"

bp blockjob vm1 vda
expect "No current block job for vda\n" "blockjob without a job" &&
    pass "blockjob: no current block job"

bp blockjob vm1 vda --json
[ $rc -eq 0 ] && jq -e 'length == 0' out >/dev/null && pass "blockjob --json without a job: {}" ||
    fail "blockjob --json: $(cat out)"

# ---- active commit with pivot ---------------------------------------------------

bp blockcommit vm1 vda --active --wait
expect "\nNow in synchronized phase\n" "blockcommit --active --wait" &&
    pass "active blockcommit --wait: synchronized phase"
w 70 2 0x17
bp blockjob vm1 vda --info
expect "\n\n" "blockjob --info" && grep -q 'Active Block Commit: \[100.00 %\]' err &&
    pass "blockjob --info: the active commit at 100 %"
bp blockjob vm1 vda --bandwidth 1
expect "\n" "blockjob --bandwidth"
bp blockjob vm1 vda
expect "    Bandwidth limit: 1048576 bytes/s (1.000 MiB/s)\n\n" "blockjob --info with a limit" &&
    pass "blockjob --bandwidth, and --info shows the limit"
bp blockjob vm1 vda --raw
[ $rc -eq 0 ] && [ "$(sed -n 1,2p out)" = " type=Active Block Commit
 bandwidth=1" ] && grep -q '^ cur=[0-9]*$' out && grep -q '^ end=[0-9]*$' out &&
    pass "blockjob --raw" || fail "blockjob --raw: $(cat out)"
bp blockcommit vm1 vda --active
[ $rc -eq 1 ] && grep -q 'already has a block job' err &&
    pass "a second commit on the disk is refused" || fail "second commit: rc=$rc $(cat err)"
bp blockjob vm1 vda --json
[ $rc -eq 0 ] && jq -e '.type == "active-commit" and .ready and .cur == .end' out >/dev/null &&
    pass "blockjob --json: the ready active commit" || fail "blockjob --json: $(cat out)"
bp blockjob vm1 vda --pivot
expect "\n" "blockjob --pivot" && pass "blockjob --pivot"
[ "$(source_of)" = "$tmp/vda.qcow2" ] && [ "$(layers)" = 1 ] &&
    pass "after the pivot the disk is the base" ||
    fail "after the pivot: $(source_of), $(layers) layers"
check_sizes "after the active commit"
w 80 1 0x18
check_sizes "a write after the pivot"

# The daemon restarts while the domain runs: it finds the short chain.
restart_daemon
[ "$(source_of)" = "$tmp/vda.qcow2" ] && pass "a restarted daemon reconnects to the committed disk" ||
    fail "after the daemon restart: $(source_of)"
check_sizes "after a daemon restart"
w 81 1 0x1c
check_sizes "a write after the daemon restart"

# ---- an active commit abandoned ------------------------------------------------------

stop
overlay ov3.qcow2 vda.qcow2 c0 c1
define ov3.qcow2 vda.qcow2
start
w 90 1 0x19
bp blockcommit vm1 vda --pivot --verbose
expect "\nSuccessfully pivoted\n" "blockcommit --pivot" &&
    pass "blockcommit --pivot: successfully pivoted"
stop
overlay ov4.qcow2 vda.qcow2 c0 c1
define ov4.qcow2 vda.qcow2
start
w 100 1 0x1a
bp blockcommit vm1 vda --active --wait
expect "\nNow in synchronized phase\n" "blockcommit --active --wait (2)"
bp blockjob vm1 vda --abort
expect "\n" "blockjob --abort" && [ "$(source_of)" = "$tmp/ov4.qcow2" ] &&
    [ "$(layers)" = 2 ] && pass "blockjob --abort leaves the chain" ||
    fail "after the abort: $(source_of), $(layers) layers"
w 101 1 0x1b
check_sizes "after the abort"


# ---- offline ------------------------------------------------------------------------

stop
bp blockcommit vm1 vda --wait --delete
expect "\nCommit complete\n" "offline blockcommit" &&
    [ "$(source_of)" = "$tmp/vda.qcow2" ] && [ ! -e "$tmp/ov4.qcow2" ] &&
    pass "offline blockcommit with qemu-img, --delete" ||
    fail "offline: $(source_of) $(ls)"
"$QEMU_IMG" compare -q -f qcow2 -F raw vda.qcow2 model.raw &&
    pass "the disk equals the model of every write" || fail "qemu-img compare"
start
check_sizes "after the offline commit"
stop

# ---- ^C during blockcommit --wait aborts the job, as virsh does ----------------------
# 8 MiB in the middle layer, committed at 1 MiB/s.
overlay ov5.qcow2 vda.qcow2 c0 c1
define ov5.qcow2 vda.qcow2
start
w 128 128 0x1d
stop
overlay ov6.qcow2 ov5.qcow2 c0 c1
define ov6.qcow2 ov5.qcow2 vda.qcow2
start
interrupt_wait "the slow commit" 'Block Commit: \[' \
    blockcommit vm1 vda --top "$tmp/ov5.qcow2" --base "$tmp/vda.qcow2" --wait --bandwidth 1
printf "\nCommit aborted\n" >want
[ $rc -eq 1 ] && cmp -s int.out want && grep -q '^error: the commit of disk vda was interrupted$' int.err &&
    pass "^C during blockcommit --wait: Commit aborted, exit 1" ||
    fail "interrupted blockcommit --wait: rc=$rc $(cat int.out int.err)"
bp blockjob vm1 vda
expect "No current block job for vda\n" "blockjob after the interrupted commit" &&
    [ "$(source_of)" = "$tmp/ov6.qcow2" ] && [ "$(layers)" = 3 ] &&
    pass "^C during blockcommit --wait: no job left, the chain unchanged" ||
    fail "after ^C: $(source_of), $(layers) layers"
check_sizes "after the interrupted commit"
stop

# ---- the attach runtime: a qemu-storage-daemon this test runs ------------------------

ext_setup
bp blockcommit ext vda --pivot
expect "\nSuccessfully pivoted\n" "attach: blockcommit --pivot" &&
    [ "$("$blkpoint" -c session -q dumpxml ext --xpath "string(//disk/source/@file)")" = "$tmp/ext/base.qcow2" ] &&
    pass "attach runtime: active commit pivoted to the base" ||
    fail "attach: $(cat err)"
ext_finish commit

e2e_finish
