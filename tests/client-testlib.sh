# client-testlib.sh: shared by the client's end-to-end tests (sourced).
#
# Before sourcing: $tmp (a short temporary directory, the current
# directory), $blkpointd, $blkpoint and $DBUS_DAEMON.  client_bus_start
# starts a private session bus there that activates blkpointd from the
# build tree as the system bus would, and sets $bus_pid and
# DBUS_SESSION_BUS_ADDRESS; daemon_pid prints the pid owning the name;
# bp runs the client on that bus with its output in out/err and its
# status in $rc.

client_bus_start() {
    mkdir -p bus services
    # The bus gives activated services no stderr: keep the daemon's log.
    cat >services/blkpointd.sh <<EOF
#!/bin/sh
exec "$blkpointd" --session --state-dir "$tmp/state" --runtime-dir "$tmp/run" \\
    --verbose 2>>"$tmp/daemon.log"
EOF
    chmod +x services/blkpointd.sh
    cat >services/org.blkpoint.Blkpoint1.service <<EOF
[D-BUS Service]
Name=org.blkpoint.Blkpoint1
Exec=$tmp/services/blkpointd.sh
EOF
    cat >bus/bus.conf <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$tmp/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
    # The activated daemon inherits the bus's environment.
    "$DBUS_DAEMON" --config-file=bus/bus.conf --fork --print-address=3 --print-pid=4 \
        3>bus/address 4>bus/pid || { echo "FAIL: dbus-daemon"; exit 1; }
    bus_pid=$(cat bus/pid)
    DBUS_SESSION_BUS_ADDRESS=$(head -n 1 bus/address)
    export DBUS_SESSION_BUS_ADDRESS
}

daemon_pid() {
    gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
        --method org.freedesktop.DBus.GetConnectionUnixProcessID org.blkpoint.Blkpoint1 2>/dev/null |
        sed -n 's/^(uint32 \([0-9]*\),)$/\1/p'
}

# bp ARGS...: the client on this bus; output in out, err; status in $rc.
bp() {
    "$blkpoint" -c session "$@" >out 2>err
    rc=$?
}

# client_sanitizer_check: 1, after printing them, when a log in $tmp (the
# activated daemons' stderr) holds a report of AddressSanitizer,
# LeakSanitizer or UBSan (an --enable-asan build); 0 otherwise.  Those
# logs are removed with $tmp, so the cleanup must call this first.
client_sanitizer_check() {
    _san=0
    for _f in "$tmp"/*.log; do
        [ -f "$_f" ] || continue
        if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
                -e 'runtime error:' "$_f"; then
            echo "FAIL: sanitizer report in $(basename "$_f"):"
            grep -A 30 -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
                -e 'runtime error:' "$_f" | head -n 200
            _san=1
        fi
    done
    return $_san
}

# client_bus_stop: stops the activated daemon (SIGTERM, so that it runs
# its exit path and a sanitizer build checks for leaks; SIGKILL if it is
# still there after 10 s) and the bus; then client_sanitizer_check.
client_bus_stop() {
    _p=$(daemon_pid)
    if [ -n "$_p" ]; then
        kill -TERM "$_p" 2>/dev/null
        _gone=
        for _i in $(seq 1 100); do
            # gone, or a zombie its parent has not reaped yet
            case $( (cat "/proc/$_p/stat") 2>/dev/null) in
                ""|*") Z "*) _gone=1; break ;;
            esac
            sleep 0.1
        done
        [ -n "$_gone" ] || kill -9 "$_p" 2>/dev/null
    fi
    [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
    client_sanitizer_check
}
