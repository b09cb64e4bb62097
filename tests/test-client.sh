#!/bin/sh
# blkpoint end to end: the client from the build tree against blkpointd
# from the build tree on a private session bus, which starts the daemon
# by D-Bus activation as the system bus would; a real qemu-storage-daemon
# runs the domain and data is written through its NBD export.
#
#   define -> list -> dominfo -> start -> list/dominfo/domblklist (the
#   export) -> nbdcopy through the export -> dumpxml (against the defined
#   file's normalised form) -> errors -> a daemon restart while the domain
#   runs -> shutdown (the data is in the image) -> start/destroy ->
#   undefine.
#
# Every output is compared with the exact text virsh prints for the same
# command (messages, tables, the empty line that ends each command, -q),
# exit statuses are checked, --json documents are read with jq, and the
# bash completion completes domains and disks by asking the daemon.

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
validate=$top_builddir/client/blkpoint-xml-validate

for p in "$DBUS_DAEMON" "$QEMU_IMG" "$QEMU_STORAGE_DAEMON" nbdcopy jq; do
    case $p in no|"") echo "SKIP: a program configure looks for is missing"; exit 77 ;; esac
    command -v "$p" >/dev/null 2>&1 || { echo "SKIP: $p not found"; exit 77; }
done
for p in "$blkpoint" "$blkpointd" "$validate"; do
    [ -x "$p" ] || { echo "FAIL: $p was not built"; exit 1; }
done

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# Short: the bus and the domains' sockets live below it.
tmp=$(mktemp -d /tmp/bp-ct.XXXXXX) || exit 99
bus_pid=
qsd_pid=
sys_pid=
cleanup() {
    # The domain's qemu-storage-daemon outlives the daemon by design.
    # Only if the pid is still that qemu-storage-daemon (its command line
    # names this test's directory).
    if [ -n "$qsd_pid" ]; then
        case $( (tr '\0' ' ' <"/proc/$qsd_pid/cmdline") 2>/dev/null) in
            *qemu-storage-daemon*"$tmp"*) kill -9 "$qsd_pid" 2>/dev/null ;;
        esac
    fi
    [ -n "$sys_pid" ] && kill -9 "$sys_pid" 2>/dev/null
    [ -f "$tmp/sysbus/pid" ] && kill "$(cat "$tmp/sysbus/pid")" 2>/dev/null
    san=0
    if [ -n "$bus_pid" ]; then
        client_bus_stop || san=1
    fi
    rm -rf "$tmp"
    [ $san -eq 0 ] || exit 1
}
# A process that runs and is not a zombie (whose command line is empty).
alive() { [ -n "$( (tr -d '\0' <"/proc/$1/cmdline") 2>/dev/null)" ]; }
trap cleanup EXIT
trap 'exit 1' INT TERM

export LC_ALL=C.UTF-8
unset LANGUAGE BLKPOINT_CONNECT
cd "$tmp" || exit 99

# ---- a session bus that activates blkpointd from the build tree ----------------
. "$top_srcdir/tests/client-testlib.sh"
client_bus_start

# expect TEXT: standard output is exactly TEXT (printf format) and the
# command succeeded.
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

# expect_fail LINE1 LINE2: exit status 1, the two "error:" lines virsh
# prints, and the empty line on standard output.
expect_fail() {
    printf 'error: %s\nerror: %s\n' "$1" "$2" >want
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

img=$tmp/vda.qcow2
"$QEMU_IMG" create -q -f qcow2 "$img" 16M || exit 99
uuid=6e5d1a36-4f6b-4c8e-9a07-5b1c2f3d4e50
cat >vm1.xml <<EOF
<domain>
  <name>vm1</name>
  <uuid>$uuid</uuid>
  <devices>
    <disk type='file' device='disk'>
      <driver type='qcow2'/>
      <source file='$img'/>
      <target dev='vda'/>
    </disk>
  </devices>
</domain>
EOF

# ---- activation, empty list, define ----------------------------------------------
bp list
expect ' Id   Name   State\n--------------------\n\n' "list, no domain" &&
    pass "the first call activates blkpointd; list shows the empty table"
[ -n "$(daemon_pid)" ] || fail "no daemon owns org.blkpoint.Blkpoint1 after the first call"

bp define vm1.xml
expect "Domain 'vm1' defined from 'vm1.xml'\n\n" define && pass "define"
bp -q define vm1.xml
expect "" "define -q (a redefinition)" && pass "-q: no message, no empty line"

bp list
expect ' Id   Name   State\n--------------------\n\n' "list (running only)"
bp list --all
expect ' Id   Name   State\n-----------------------\n -    vm1    shut off\n\n' "list --all" &&
    pass "list --all: the stopped domain, Id '-'"
bp list --inactive --name
expect 'vm1\n\n' "list --inactive --name"
bp -q list --all --uuid --name
expect "$uuid vm1\n" "list --uuid --name"
bp -q list --all
expect ' -   vm1   shut off\n' "list -q: no header"

bp dominfo vm1
expect "Id:             -
Name:           vm1
UUID:           $uuid
State:          shut off
Runtime:        storage
Persistent:     yes
Autostart:      disable
Checkpoints:    0

" "dominfo (shut off)" && pass "dominfo of a stopped domain"
bp dominfo "$uuid"
grep -q '^Name:           vm1$' out || fail "dominfo by UUID: $(cat out)"

w=$(printf '%s' "$img" | wc -c)
bp domblklist vm1
expect " Target   Source\n$(printf "%$((9 + w + 3))s" "" | tr ' ' -)\n vda      $img\n\n" \
    "domblklist (shut off)" && pass "domblklist of a stopped domain: virsh's two columns"

# ---- start --------------------------------------------------------------------------------
bp start vm1
expect "Domain 'vm1' started\n\n" start && pass "start"
pid=$("$blkpoint" -c session dominfo vm1 --json | jq -r .pid)
qsd_pid=$pid
case $(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null) in
    *qemu-storage-daemon*) pass "dominfo --json: pid $pid is the qemu-storage-daemon" ;;
    *) fail "dominfo --json pid '$pid' is not a qemu-storage-daemon" ;;
esac
idw=$(printf '%s' "$pid" | wc -c)
pad=$(printf "%$((idw - 2))s" "")
dash=$(printf "%$((idw + 3 + 7 + 10))s" "" | tr ' ' -)
bp list
expect " Id$pad   Name   State\n$dash\n $pid   vm1    running\n\n" "list (running)" &&
    pass "list: the running domain with its Id"
bp dominfo vm1
grep -qx "Id:             $pid" out && grep -qx "State:          running" out ||
    fail "dominfo (running): $(cat out)"

bp -q domblklist vm1
export_uri=$(awk '{ print $3 }' out)
[ "$export_uri" = "nbd+unix:///vda?socket=$tmp/run/vm1/nbd.sock" ] ||
    fail "domblklist: export '$export_uri' in $(cat out)"
bp domblklist vm1
expect " Target   Source$(printf "%$((w - 6))s" "")   Export
$(printf "%$((9 + w + 3 + ${#export_uri} + 3))s" "" | tr ' ' -)
 vda      $img   $export_uri

" "domblklist (running)" && pass "domblklist: the NBD export of the running domain"
bp domblklist vm1 --details
grep -q "^ file   disk     vda      $img   qcow2    $export_uri\$" out ||
    fail "domblklist --details: $(cat out)"
bp domblklist vm1 --json
[ "$(jq -r '.[0].export' out)" = "$export_uri" ] && [ "$(jq -r '.[0].format' out)" = qcow2 ] &&
    [ "$(jq -r 'length' out)" = 1 ] || fail "domblklist --json: $(cat out)"

# Guest data through the export.
head -c 1048576 /dev/urandom >data.bin
nbdcopy data.bin "$export_uri" 2>nbdcopy.err && pass "nbdcopy wrote 1 MiB through $export_uri" ||
    fail "nbdcopy: $(cat nbdcopy.err)"

# ---- dumpxml ------------------------------------------------------------------------------
"$validate" --format vm1.xml >normalised.xml || fail "blkpoint-xml-validate --format vm1.xml"
bp -q dumpxml vm1 --inactive
cmp -s out normalised.xml && pass "dumpxml --inactive is the defined file, normalised" ||
    fail "dumpxml --inactive differs: $(diff normalised.xml out)"
bp -q dumpxml vm1
grep -q '<backingStore/>' out && grep -v '<backingStore/>' out | cmp -s - normalised.xml &&
    pass "dumpxml of the running domain: the definition with its (empty) backing chain" ||
    fail "dumpxml (live) differs: $(diff normalised.xml out)"
bp -q dumpxml vm1 --xpath 'string(/domain/uuid)'
expect "$uuid\n" "dumpxml --xpath"
bp -q dumpxml vm1 --xpath '//disk/target' --wrap
expect '<nodes>\n  <target dev="vda"/>\n</nodes>\n' "dumpxml --xpath --wrap"
bp dumpxml vm1 --json
jq -j .xml out | grep -v '<backingStore/>' | cmp -s - normalised.xml ||
    fail "dumpxml --json: $(cat out)"

# ---- JSON ------------------------------------------------------------------------------------
bp list --all --json
[ "$(jq -r '.[0] | "\(.name) \(.uuid) \(.state) \(.runtime) \(.persistent) \(.pid)"' out)" = \
  "vm1 $uuid running storage true $pid" ] && pass "list --json" || fail "list --json: $(cat out)"
bp --json version
[ "$(jq -r .client out)" = "$(jq -r .daemon out)" ] && [ "$(jq -r .qemu out)" != null ] ||
    fail "version --json: $(cat out)"
bp version
grep -q '^Daemon: blkpointd ' out && grep -q '^QEMU: qemu-storage-daemon ' out ||
    fail "version: $(cat out)"

# ---- errors --------------------------------------------------------------------------------
bp dominfo nosuch
expect_fail "failed to get domain 'nosuch'" "no domain with matching name or uuid 'nosuch'" &&
    pass "an unknown domain: virsh's two error lines, exit status 1"
bp dominfo nosuch --json
[ $rc -eq 1 ] && [ "$(jq -r .error.name out)" = org.blkpoint.Blkpoint1.Error.NoDomain ] &&
    [ "$(jq -r .error.context out)" = "failed to get domain 'nosuch'" ] ||
    fail "dominfo --json of an unknown domain: $(cat out)"
bp start vm1
expect_fail "Failed to start domain 'vm1'" "domain 'vm1' is already running" &&
    pass "start of a running domain fails with the daemon's message"
bp --json start vm1
[ "$(jq -r .error.name out)" = org.blkpoint.Blkpoint1.Error.OperationInvalid ] ||
    fail "start --json of a running domain: $(cat out)"
bp undefine vm1
[ $rc -eq 1 ] && grep -qx "error: Failed to undefine domain 'vm1'" err ||
    fail "undefine of a running domain: rc=$rc $(cat err)"
printf '<domain>\n  <name>bad</name>\n' >bad.xml
bp define bad.xml
[ $rc -eq 1 ] && [ "$(head -n 1 err)" = "error: Failed to define domain from 'bad.xml'" ] ||
    fail "define of a broken file: rc=$rc $(cat err)"

# ---- the bash completion asks the daemon -----------------------------------------------------
if command -v bash >/dev/null 2>&1; then
    complete_words() {
        PATH=$top_builddir/client:$PATH bash -c '
            . "$1"; shift
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
            COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            _blkpoint
            printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
        ' bash "$top_srcdir/client/blkpoint.bash-completion" "$@" 2>&1
    }
    got=$(complete_words blkpoint -c session dominfo v)
    [ "$got" = "vm1 " ] || fail "completion of a domain: '$got'"
    got=$(complete_words blkpoint -c session blockcommit vm1 "")
    [ "$got" = "vda " ] || fail "completion of a disk: '$got'"
    pass "the completion completes domains and disks from the daemon"
fi

# ---- a daemon restart while the domain runs ----------------------------------------------------
dpid=$(daemon_pid)
kill -TERM "$dpid"
for i in $(seq 1 100); do
    [ -z "$(daemon_pid)" ] && break
    sleep 0.1
done
[ -z "$(daemon_pid)" ] || fail "blkpointd did not exit on SIGTERM"
alive "$pid" || fail "the domain's qemu-storage-daemon died with the daemon"
# The next call activates a new daemon, which finds the domain running.
bp -q list
expect " $pid   vm1   running\n" "list after a daemon restart" &&
    [ "$(daemon_pid)" != "$dpid" ] &&
    pass "a new daemon (activated) reports the domain running with the same qemu-storage-daemon"

# ---- shutdown, destroy, undefine -----------------------------------------------------------------
bp shutdown vm1
expect "Domain 'vm1' is being shutdown\n\n" shutdown && pass "shutdown"
bp -q list --all
expect ' -   vm1   shut off\n' "list after shutdown"
"$QEMU_IMG" compare -q -f raw -F qcow2 data.bin "$img" 2>/dev/null
[ $? -eq 0 ] && pass "the image holds what nbdcopy wrote" ||
    fail "the image differs from what was written through the export"
bp shutdown vm1
expect_fail "Failed to shutdown domain 'vm1'" "domain 'vm1' is not running"

bp -q start vm1
expect "" "start -q"
qsd_pid=$("$blkpoint" -c session dominfo vm1 --json | jq -r .pid)
bp destroy vm1
expect "Domain 'vm1' destroyed\n\n" destroy && pass "destroy"
bp -q dominfo vm1
grep -qx "State:          shut off" out || fail "dominfo after destroy: $(cat out)"

bp undefine vm1
expect "Domain 'vm1' has been undefined\n\n" undefine && pass "undefine"
bp -q list --all --name
expect "" "list after undefine"
bp dominfo vm1
[ $rc -eq 1 ] && grep -qx "error: failed to get domain 'vm1'" err ||
    fail "dominfo after undefine: rc=$rc $(cat err)"

# ---- the system bus: root by default, and an unprivileged caller -------------------------
# A bus of type "system" with blkpointd's bus policy; no polkit runs on
# it, so the daemon refuses every caller but root.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
    mkdir -p sysbus
    chmod 755 "$tmp" sysbus
    cat >sysbus/bus.conf <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:dir=$tmp/sysbus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
  </policy>
  <include>$top_srcdir/daemon/org.blkpoint.Blkpoint1.conf</include>
</busconfig>
EOF
    "$DBUS_DAEMON" --config-file=sysbus/bus.conf --fork --print-address=3 \
        --print-pid=4 3>sysbus/address 4>sysbus/pid || fail "the system bus did not start"
    DBUS_SYSTEM_BUS_ADDRESS=$(head -n 1 sysbus/address)
    export DBUS_SYSTEM_BUS_ADDRESS
    "$blkpointd" --system --state-dir "$tmp/sysstate" --runtime-dir "$tmp/sysrun" \
        2>>system.log &
    sys_pid=$!
    for i in $(seq 1 100); do
        "$blkpoint" -q list >/dev/null 2>&1 && break
        sleep 0.1
    done

    # No -c: root talks to the system bus.
    "$blkpoint" define vm1.xml >out 2>err
    rc=$?
    expect "Domain 'vm1' defined from 'vm1.xml'\n\n" "define on the system bus as root" &&
        pass "root's default connection is the system bus"

    nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
    $nobody "$blkpoint" -c system --no-user-interaction start vm1 >out 2>err
    rc=$?
    [ $rc -eq 1 ] && [ "$(head -n 1 err)" = "error: failed to get domain 'vm1'" ] &&
        grep -q "^error: user 65534 may not call org.blkpoint.Blkpoint1.Manager.LookupDomain" err ||
        fail "nobody's start: rc=$rc $(cat err)"
    $nobody "$blkpoint" -c system --json define vm1.xml >out 2>err
    [ "$(jq -r .error.name out)" = org.blkpoint.Blkpoint1.Error.AccessDenied ] &&
        [ "$(jq -r .error.context out)" = "Failed to define domain from 'vm1.xml'" ] &&
        pass "an unprivileged caller is refused, and told so, with the AccessDenied name" ||
        fail "nobody's define --json: $(cat out) $(cat err)"
    # Nothing changed: root still sees one stopped domain.
    "$blkpoint" -q list --all >out 2>err
    rc=$?
    expect ' -   vm1   shut off\n' "list on the system bus after the refusals"
    kill -TERM "$sys_pid"
    wait "$sys_pid" 2>/dev/null
    sys_pid=
else
    echo "skip: not root or no setpriv: the system bus part is not run"
fi

if [ $failures -ne 0 ]; then
    echo "---- daemon log"
    cat daemon.log
    [ -f system.log ] && { echo "---- system daemon log"; cat system.log; }
fi
echo "$failures failure(s)"
[ $failures -eq 0 ]
