# daemon-testlib.sh: shared by the tests that run blkpointd from the build
# tree on a private dbus-daemon.  Sourced, not run.
#
# The caller sets top_srcdir and top_builddir (make check does) and calls
# dt_setup first; everything is created below $dt_tmp and removed, with
# every process started here, when the shell exits.

DBUS_DAEMON=${DBUS_DAEMON:-dbus-daemon}
QEMU_IMG=${QEMU_IMG:-qemu-img}
QEMU_STORAGE_DAEMON=${QEMU_STORAGE_DAEMON:-qemu-storage-daemon}
BP_SCHEMA_DIR=${BP_SCHEMA_DIR:-$top_srcdir/xml-schemas}
export QEMU_IMG QEMU_STORAGE_DAEMON BP_SCHEMA_DIR

blkpointd=$top_builddir/daemon/blkpointd
dt_failures=0
dt_tmp=
dt_pids=

dt_fail() { echo "FAIL: $*"; dt_failures=$((dt_failures + 1)); }
dt_pass() { echo "ok: $*"; }

dt_have() { command -v "$1" >/dev/null 2>&1; }

# dt_require PROGRAM...: skip the whole test (77) when one is missing.
dt_require() {
    for _p in "$@"; do
        case $_p in
            no|"") echo "SKIP: a required program was not found by configure"; exit 77 ;;
        esac
        dt_have "$_p" || { echo "SKIP: $_p not found"; exit 77; }
    done
}

dt_cleanup() {
    for _p in $dt_pids; do
        kill -9 "$_p" 2>/dev/null
    done
    # Domains a failed test left running (the daemon never stops them).
    if [ -n "$dt_tmp" ]; then
        for _f in $(find "$dt_tmp" -name qsd.pid 2>/dev/null); do
            _p=$(cat "$_f")
            # only if that pid is still a process of this test
            tr '\0' ' ' < "/proc/$_p/cmdline" 2>/dev/null | grep -q "$dt_tmp" &&
                kill -9 "$_p" 2>/dev/null
        done
    fi
    [ -n "$dt_tmp" ] && rm -rf "$dt_tmp"
}

dt_setup() {
    # Short: sockets live below it (108 bytes at most).
    dt_tmp=$(mktemp -d /tmp/bp-dt.XXXXXX) || exit 99
    trap dt_cleanup EXIT
    trap 'exit 1' INT TERM
}

# dt_track PID: killed at exit if still running.
dt_track() { dt_pids="$dt_pids $1"; }

# dt_bus NAME TYPE [INCLUDE]: starts a private dbus-daemon of TYPE
# (session|system) listening in $dt_tmp/NAME, on which any user may
# connect; with INCLUDE (a policy file) the bus denies owning names and
# method calls unless that policy allows them, like the system bus.
# Sets $dt_bus_address.  (Not for $(...): the bus must be tracked by
# this shell to be stopped at exit.)
dt_bus() {
    _dir=$dt_tmp/$1
    mkdir -p "$_dir" && chmod 755 "$dt_tmp" "$_dir"
    {
        echo '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"'
        echo ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">'
        echo '<busconfig>'
        echo "  <type>$2</type>"
        echo "  <listen>unix:dir=$_dir</listen>"
        echo '  <auth>EXTERNAL</auth>'
        echo '  <policy context="default">'
        echo '    <allow user="*"/>'
        if [ -n "${3:-}" ]; then
            echo '    <deny own="*"/>'
            echo '    <deny send_type="method_call"/>'
            echo '    <allow send_type="signal"/>'
            echo '    <allow send_requested_reply="true" send_type="method_return"/>'
            echo '    <allow send_requested_reply="true" send_type="error"/>'
            echo '    <allow receive_type="method_call"/>'
            echo '    <allow receive_type="method_return"/>'
            echo '    <allow receive_type="error"/>'
            echo '    <allow receive_type="signal"/>'
            echo '    <allow send_destination="org.freedesktop.DBus"'
            echo '           send_interface="org.freedesktop.DBus"/>'
        else
            echo '    <allow send_destination="*" eavesdrop="true"/>'
            echo '    <allow eavesdrop="true"/>'
            echo '    <allow own="*"/>'
        fi
        echo '  </policy>'
        [ -n "${3:-}" ] && echo "  <include>$3</include>"
        echo '</busconfig>'
    } > "$_dir/bus.conf"
    "$DBUS_DAEMON" --config-file="$_dir/bus.conf" --fork \
        --print-address=3 --print-pid=4 3>"$_dir/address" 4>"$_dir/pid" || return 1
    dt_track "$(cat "$_dir/pid")"
    dt_bus_address=$(head -n 1 "$_dir/address")
}

# dt_call ARGS...: gdbus call on $dt_bus_opt (--session or --system) to the
# daemon; prints the answer or the error on stdout.
dt_call() {
    gdbus call $dt_bus_opt --dest org.blkpoint.Blkpoint1 "$@" 2>&1
}

# dt_wait_name [present|absent]: waits up to 10 s for the daemon's name.
dt_wait_name() {
    _want=${1:-present}
    for _i in $(seq 1 200); do
        _r=$(gdbus call $dt_bus_opt --dest org.freedesktop.DBus \
                 --object-path /org/freedesktop/DBus \
                 --method org.freedesktop.DBus.NameHasOwner org.blkpoint.Blkpoint1 2>&1)
        case "$_want:$_r" in
            present:"(true,)"|absent:"(false,)") return 0 ;;
        esac
        sleep 0.05
    done
    return 1
}

# dt_start_daemon LOG ARGS...: starts blkpointd in the background with
# ARGS, logging to LOG; sets $dt_daemon_pid and waits for the name.
dt_start_daemon() {
    _log=$1
    shift
    "$blkpointd" "$@" 2>>"$_log" &
    dt_daemon_pid=$!
    dt_track "$dt_daemon_pid"
    dt_wait_name present || { dt_fail "blkpointd $* did not take the bus name"; cat "$_log"; return 1; }
}

# dt_stop_daemon: SIGTERM, then waits for the exit; returns its status.
dt_stop_daemon() {
    kill -TERM "$dt_daemon_pid"
    wait "$dt_daemon_pid"
}

# dt_expect_error NAME ANSWER: the answer is the named error.
dt_expect_error() {
    case $2 in
        *"GDBus.Error:org.blkpoint.Blkpoint1.Error.$1:"*) return 0 ;;
    esac
    return 1
}

# dt_prop PATH INTERFACE PROPERTY: the property's value as gdbus prints it.
dt_prop() {
    dt_call --object-path "$1" --method org.freedesktop.DBus.Properties.Get \
        "org.blkpoint.Blkpoint1.$2" "$3"
}

# dt_wait_prop PATH INTERFACE PROPERTY VALUE: polls for up to 10 s.
dt_wait_prop() {
    for _i in $(seq 1 200); do
        [ "$(dt_prop "$1" "$2" "$3")" = "$4" ] && return 0
        sleep 0.05
    done
    return 1
}

# dt_session_bus: a private session bus (dt_bus bus session) for this
# shell and gdbus (DBUS_SESSION_BUS_ADDRESS, $dt_bus_opt); sets $log (the
# daemon's log) and $dargs, the arguments that run blkpointd on it with
# its state and runtime directories below $dt_tmp.  Ends the test (1)
# when the bus does not start.
dt_session_bus() {
    dt_bus bus session || { echo "FAIL: no bus"; exit 1; }
    DBUS_SESSION_BUS_ADDRESS=$dt_bus_address
    export DBUS_SESSION_BUS_ADDRESS
    dt_bus_opt=--session
    log=$dt_tmp/daemon.log
    dargs="--session --state-dir $dt_tmp/state --runtime-dir $dt_tmp/run"
}

# dt_session_setup PROGRAM...: what the session-bus tests start with:
# skips (77) unless the bus, qemu-img, qemu-storage-daemon, gdbus and
# every PROGRAM are found, fails unless blkpointd is built, then dt_setup
# and dt_session_bus.
dt_session_setup() {
    dt_require "$DBUS_DAEMON" "$QEMU_IMG" "$QEMU_STORAGE_DAEMON" gdbus "$@"
    [ -x "$blkpointd" ] || { echo "FAIL: $blkpointd not built"; exit 1; }
    dt_setup
    dt_session_bus
}

# dt_domain_2disks NAME DIR SIZE [RUNTIME]: creates DIR/vda.qcow2 and
# DIR/vdb.qcow2 (qcow2, SIZE, empty) and defines domain NAME with them
# over D-Bus; RUNTIME is its <runtime> element (default: the storage
# runtime).  A refused definition is a failed check.
dt_domain_2disks() {
    mkdir -p "$2"
    _x="<domain><name>$1</name>${4:-<runtime type='storage'/>}<devices>"
    for _d in vda vdb; do
        "$QEMU_IMG" create -q -f qcow2 "$2/$_d.qcow2" "$3" || exit 99
        _x="$_x<disk type='file'><driver type='qcow2'/>"
        _x="$_x<source file='$2/$_d.qcow2'/><target dev='$_d'/></disk>"
    done
    _x="$_x</devices></domain>"
    _r=$(dt_call --object-path /org/blkpoint/Blkpoint1 \
             --method org.blkpoint.Blkpoint1.Manager.DefineDomain "$_x" '{}')
    [ "$_r" = "(objectpath '/org/blkpoint/Blkpoint1/domain/$1',)" ] || dt_fail "define $1: $_r"
}

# dt_domain_start NAME: Start over D-Bus; a refusal is a failed check.
dt_domain_start() {
    _r=$(dt_call --object-path "/org/blkpoint/Blkpoint1/domain/$1" \
             --method org.blkpoint.Blkpoint1.Domain.Start '{}')
    [ "$_r" = "()" ] || dt_fail "start $1: $_r"
}

# dt_nbd_write SOCKET DISK OFFSET LENGTH PATTERN: a guest write (bytes)
# through the NBD export DISK of the server at SOCKET.
dt_nbd_write() {
    qemu-io -f raw "nbd+unix:///$2?socket=$1" -c "write -P $5 $3 $4" >/dev/null ||
        dt_fail "write $2 $3 $4 $5"
}

# dt_nbd_snap SOCKET DIR TAG: each disk (vda, vdb) of the NBD server at
# SOCKET as it is now, as DIR/DISK-TAG.raw.
dt_nbd_snap() {
    for _d in vda vdb; do
        "$QEMU_IMG" convert -f raw -O raw "nbd+unix:///$_d?socket=$1" "$2/$_d-$3.raw" ||
            dt_fail "copy $_d at $3"
    done
}

# dt_wait_job_end DOMPATH OPTIONS [TRIES]: polls GetJobInfo(OPTIONS, a
# GVariant dictionary such as "{'completed': <true>}") every 50 ms, TRIES
# times at most (default 200), until it reports a job; sets $info to the
# last answer.
dt_wait_job_end() {
    for _i in $(seq 1 "${3:-200}"); do
        info=$(dt_call --object-path "$1" --method org.blkpoint.Blkpoint1.Domain.GetJobInfo "$2")
        case $info in *"'type': <'none'>"*) sleep 0.05 ;; *) break ;; esac
    done
}

# dt_sanitizer_check: a failed check, with the report, for every log below
# $dt_tmp (the daemons' stderr) that holds a report of AddressSanitizer,
# LeakSanitizer or UBSan (an --enable-asan build).  The logs go with
# $dt_tmp at exit, so dt_finish calls this.
dt_sanitizer_check() {
    for _f in $(find "$dt_tmp" -name '*.log' 2>/dev/null); do
        if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
                -e 'runtime error:' "$_f"; then
            dt_fail "sanitizer report in ${_f#"$dt_tmp"/}"
            grep -A 30 -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
                -e 'runtime error:' "$_f" | head -n 200
        fi
    done
}

# dt_finish: stops the daemon started last if it still runs (SIGTERM, so
# that it goes through its exit path and a sanitizer build looks for
# leaks; SIGKILL after 10 s), checks the logs, exits 1 if a check failed.
dt_finish() {
    if [ -n "${dt_daemon_pid:-}" ] && kill -0 "$dt_daemon_pid" 2>/dev/null; then
        kill -TERM "$dt_daemon_pid" 2>/dev/null
        for _i in $(seq 1 100); do
            case $( (cat "/proc/$dt_daemon_pid/stat") 2>/dev/null) in
                ""|*") Z "*) break ;;
            esac
            sleep 0.1
        done
        kill -9 "$dt_daemon_pid" 2>/dev/null
        wait "$dt_daemon_pid" 2>/dev/null
    fi
    [ -n "$dt_tmp" ] && dt_sanitizer_check
    if [ "$dt_failures" -ne 0 ]; then
        echo "$dt_failures check(s) failed"
        exit 1
    fi
    exit 0
}
