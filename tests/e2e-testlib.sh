# e2e-testlib.sh: shared by the end-to-end tests that drive the client
# from the build tree against blkpointd activated on a private session
# bus (client-testlib.sh) and domains run by real qemu-storage-daemons.
# Sourced, not run.
#
# The caller sets top_srcdir and top_builddir (make check does), then
# calls e2e_init; the rest of the test runs in $tmp.  Every process the
# test leaves behind is stopped when the shell exits: a backup-begin
# begin_bg left running, every qemu-storage-daemon whose command line
# names $tmp (the daemon never stops the domains it started), whatever
# the test's own e2e_cleanup_extra function stops (if it defines one),
# the daemon (SIGTERM, then a look for sanitizer reports in its log,
# which fail the test) and the bus; then $tmp is removed.

DBUS_DAEMON=${DBUS_DAEMON:-dbus-daemon}
QEMU_IMG=${QEMU_IMG:-qemu-img}
QEMU_IO=${QEMU_IO:-qemu-io}
QEMU_STORAGE_DAEMON=${QEMU_STORAGE_DAEMON:-qemu-storage-daemon}
BP_SCHEMA_DIR=${BP_SCHEMA_DIR:-$top_srcdir/xml-schemas}
export QEMU_IMG QEMU_STORAGE_DAEMON BP_SCHEMA_DIR

blkpoint=$top_builddir/client/blkpoint
blkpointd=$top_builddir/daemon/blkpointd

failures=0
tmp=
bus_pid=
qsd_pid=
bg_pid=

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

e2e_cleanup() {
    [ -n "$bg_pid" ] && kill "$bg_pid" 2>/dev/null
    if [ -n "$tmp" ]; then
        for _p in $(pgrep -f "qemu-storage-daemon.*$tmp" 2>/dev/null); do
            kill -9 "$_p" 2>/dev/null
        done
    fi
    command -v e2e_cleanup_extra >/dev/null 2>&1 && e2e_cleanup_extra
    # SIGTERM, so that a sanitizer build's daemon reports its leaks; a
    # report in its log fails the test (the log goes with $tmp).
    _san=0
    if [ -n "$bus_pid" ]; then
        client_bus_stop || _san=1
    fi
    [ -n "$tmp" ] && rm -rf "$tmp"
    [ $_san -eq 0 ] || exit 1
}

# e2e_init TAG PROGRAM...: skips the test (77) unless every PROGRAM (and
# the bus, qemu-img and qemu-storage-daemon) is found; fails it unless
# blkpoint and blkpointd are built.  Creates $tmp (/tmp/bp-TAG.XXXXXX,
# short: sockets live below it), changes into it, sets the messages to
# English and TZ to $e2e_tz (UTC unless set), and starts the session bus
# that activates the daemon (which inherits this environment).
e2e_init() {
    _tag=$1
    shift
    for _p in "$DBUS_DAEMON" "$QEMU_IMG" "$QEMU_STORAGE_DAEMON" "$@"; do
        case $_p in no|"") echo "SKIP: a program configure looks for is missing"; exit 77 ;; esac
        command -v "$_p" >/dev/null 2>&1 || { echo "SKIP: $_p not found"; exit 77; }
    done
    for _p in "$blkpoint" "$blkpointd"; do
        [ -x "$_p" ] || { echo "FAIL: $_p was not built"; exit 1; }
    done
    tmp=$(mktemp -d "/tmp/bp-$_tag.XXXXXX") || exit 99
    trap e2e_cleanup EXIT
    trap 'exit 1' INT TERM
    LC_ALL=C.UTF-8
    TZ=${e2e_tz:-UTC}
    export LC_ALL TZ
    unset LANGUAGE BLKPOINT_CONNECT VISUAL EDITOR
    cd "$tmp" || exit 99
    . "$top_srcdir/tests/client-testlib.sh"
    client_bus_start
}

# expect TEXT [WHAT]: standard output is exactly TEXT (printf format),
# nothing on standard error (anything, when the test set e2e_stderr_ok=1
# for commands that report progress there), and the command (bp)
# succeeded.
expect() {
    printf "$1" >want
    if [ $rc -ne 0 ] || ! cmp -s out want ||
       { [ -s err ] && [ "${e2e_stderr_ok:-0}" != 1 ]; }; then
        fail "${2:-output}: rc=$rc, stdout/want:
$(cat out)
----
$(cat want)
---- stderr: $(cat err)"
        return 1
    fi
    return 0
}

# expect_fail LINE...: exit status 1, exactly these "error:" lines on
# standard error (as virsh prints them), and the empty line that ends the
# command on standard output.
expect_fail() {
    : >want
    for _l in "$@"; do printf 'error: %s\n' "$_l" >>want; done
    if [ $rc -ne 1 ] || ! cmp -s err want || [ "$(od -An -c out | tr -d ' ')" != '\n' ]; then
        fail "expected failure: rc=$rc, stderr/want:
$(cat err)
----
$(cat want)
---- stdout: $(cat out)"
        return 1
    fi
    return 0
}

# e2e_domain_2disks [UUID]: defines vm1 (storage runtime) with two empty
# 16 MiB qcow2 disks $tmp/vda.qcow2 and $tmp/vdb.qcow2, starts it, sets
# $qsd_pid and the NBD URIs $export_vda and $export_vdb; the test ends
# (exit 1) when any of that fails.
e2e_domain_2disks() {
    for _d in vda vdb; do
        "$QEMU_IMG" create -q -f qcow2 "$tmp/$_d.qcow2" 16M || exit 99
    done
    {
        echo "<domain>"
        echo "  <name>vm1</name>"
        [ -n "${1:-}" ] && echo "  <uuid>$1</uuid>"
        echo "  <devices>"
        for _d in vda vdb; do
            echo "    <disk type='file' device='disk'>"
            echo "      <driver type='qcow2'/>"
            echo "      <source file='$tmp/$_d.qcow2'/>"
            echo "      <target dev='$_d'/>"
            echo "    </disk>"
        done
        echo "  </devices>"
        echo "</domain>"
    } >vm1.xml
    bp define vm1.xml
    expect "Domain 'vm1' defined from 'vm1.xml'\n\n" define || exit 1
    bp start vm1
    expect "Domain 'vm1' started\n\n" start || exit 1
    qsd_pid=$("$blkpoint" -c session dominfo vm1 --json | jq -r .pid)
    bp -q domblklist vm1
    export_vda=$(awk '$1 == "vda" { print $3 }' out)
    export_vdb=$(awk '$1 == "vdb" { print $3 }' out)
    [ -n "$export_vda" ] && [ -n "$export_vdb" ] || { fail "no exports: $(cat out)"; exit 1; }
}

# e2e_export DISK: the NBD URI of DISK (vda or vdb) of vm1.
e2e_export() { eval echo "\"\$export_$1\""; }

# nbdwrite DISK OFFSET_KIB LENGTH_KIB: writes random data there through
# the disk's NBD export and nothing else: nbdcopy copies a sparse image
# whose only data is that range, and --destination-is-zero makes it skip
# the holes.
nbdwrite() {
    rm -f wr.raw
    truncate -s 16M wr.raw
    dd if=/dev/urandom of=wr.raw bs=1K seek="$2" count="$3" conv=notrunc status=none
    nbdcopy --destination-is-zero wr.raw "$(e2e_export "$1")" 2>nbd.err ||
        fail "nbdcopy to $1: $(cat nbd.err)"
}

# snap TAG: each disk as it is now, as raw files $tmp/DISK-TAG.raw.
snap() {
    for _d in vda vdb; do
        nbdcopy "$(e2e_export $_d)" "$tmp/$_d-$1.raw" 2>nbd.err ||
            fail "copy of $_d at $1: $(cat nbd.err)"
    done
}

# begin_bg TAG ARGS...: backup-begin vm1 ARGS --wait in the background
# (stdout TAG.out, stderr TAG.err, pid $bg_pid); returns once the backup
# runs (domjobinfo: Unbounded, in out) or has already ended; fails (1)
# when it did neither within 10 s.
begin_bg() {
    _tag=$1
    shift
    "$blkpoint" -c session backup-begin vm1 "$@" --wait >"$_tag.out" 2>"$_tag.err" &
    bg_pid=$!
    for _i in $(seq 1 200); do
        "$blkpoint" -c session domjobinfo vm1 >out 2>&1
        grep -q Unbounded out && return 0
        kill -0 "$bg_pid" 2>/dev/null || return 0
        sleep 0.05
    done
    fail "$_tag: the backup never showed up in domjobinfo"
    return 1
}

# end_bg: waits for the background backup-begin; its status in $rc.
end_bg() {
    wait "$bg_pid"
    rc=$?
    bg_pid=
}

# e2e_finish: prints the number of failures (and, if any, the end of the
# daemon's log) and exits 0 when there were none, 1 otherwise.
e2e_finish() {
    if [ "$failures" -ne 0 ]; then
        echo "---- daemon log"
        tail -n 100 "$tmp/daemon.log" 2>/dev/null
    fi
    echo "$failures failure(s)"
    [ "$failures" -eq 0 ] || exit 1
    exit 0
}
