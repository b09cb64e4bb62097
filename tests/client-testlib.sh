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
