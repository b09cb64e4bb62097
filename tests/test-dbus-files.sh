#!/bin/sh
# The D-Bus API files and the daemon's system integration files are what
# the tools that consume them accept:
#
#   - the introspection XML is well-formed and valid against D-Bus's DTD,
#     and the bindings generated from it were built;
#   - a real dbus-daemon loads the bus policy, and the policy does what it
#     says: root may own the name, other users may not, anybody may call
#     the name's own interfaces and the standard ones, nothing else;
#   - dbus-daemon reads the activation file and offers the name;
#   - the polkit policy is valid against polkit's DTD, has both actions
#     and carries the translations from po/;
#   - the systemd unit is Type=dbus with the right bus name, leaves
#     domains running (KillMode=process, RuntimeDirectoryPreserve=yes),
#     and systemd-analyze finds nothing wrong in it;
#   - blkpointd.conf has every key commented out with a value.
#
# Checks whose tool is missing are reported and skipped; the test as a
# whole is skipped (77) only when none of them could run.

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
XMLLINT=${XMLLINT:-xmllint}
DBUS_DAEMON=${DBUS_DAEMON:-dbus-daemon}
[ "$XMLLINT" = no ] && XMLLINT=
[ "$DBUS_DAEMON" = no ] && DBUS_DAEMON=

failures=0
ran=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bp-dbus-files.XXXXXX")
bus_pid=
owner_pid=

cleanup() {
    [ -n "$owner_pid" ] && kill "$owner_pid" 2>/dev/null
    [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
skip() { echo "skip: $*"; }

have() { command -v "$1" >/dev/null 2>&1; }

# The built files ("make check" builds "all" first).
built() { echo "$top_builddir/$1"; }

service=$(built daemon/org.blkpoint.Blkpoint1.service)
unit=$(built daemon/blkpointd.service)
policy=$(built daemon/org.blkpoint.policy)
conf=$(built daemon/blkpointd.conf)
buspolicy=$top_srcdir/daemon/org.blkpoint.Blkpoint1.conf
for f in "$service" "$unit" "$policy" "$conf" "$buspolicy"; do
    [ -f "$f" ] || fail "missing $f"
done

# ---- introspection XML ------------------------------------------------
ifaces="Manager Domain Checkpoint Job"
if [ -n "$XMLLINT" ]; then
    ran=$((ran + 1))
    dtd=/usr/share/xml/dbus-1/introspect.dtd
    for i in $ifaces; do
        f=$top_srcdir/src/dbus/org.blkpoint.Blkpoint1.$i.xml
        if [ -f "$dtd" ]; then
            "$XMLLINT" --noout --dtdvalid "$dtd" "$f" || fail "$f is not valid introspection XML"
        else
            "$XMLLINT" --noout "$f" || fail "$f is not well-formed"
        fi
        n=$("$XMLLINT" --xpath 'count(/node/interface)' "$f")
        name=$("$XMLLINT" --xpath 'string(/node/interface/@name)' "$f")
        [ "$n" = 1 ] && [ "$name" = "org.blkpoint.Blkpoint1.$i" ] ||
            fail "$f must hold exactly org.blkpoint.Blkpoint1.$i (has $n: $name)"
    done
    pass "introspection XML parses$( [ -f "$dtd" ] && echo ' and is valid against introspect.dtd')"
else
    skip "xmllint not found: introspection XML not checked"
fi

hdr=$top_builddir/src/dbus/bp-dbus-generated.h
if [ -f "$hdr" ] && [ -f "$top_builddir/src/dbus/libbp-dbus.la" ]; then
    ran=$((ran + 1))
    for sym in bp_manager_call_define_domain_sync bp_domain_call_backup_begin_sync \
               bp_checkpoint_call_delete_sync bp_job_emit_completed \
               bp_object_manager_client_new_sync bp_domain_call_get_xml_desc_sync; do
        grep -q "$sym" "$hdr" || fail "$hdr lacks $sym"
    done
    pass "generated bindings built (src/dbus/libbp-dbus.la)"
else
    fail "generated bindings not built ($hdr, src/dbus/libbp-dbus.la)"
fi

# ---- bus policy, on a real dbus-daemon ---------------------------------
# A bus that, like the system bus, denies owning names and calling
# methods unless a policy allows it; our policy is included as a file.
# Not root: this user stands in for root as far as owning goes.
write_bus_conf() {
    # $1 = output file, $2 = policy file to include
    {
        echo '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"'
        echo ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">'
        echo '<busconfig>'
        echo "  <listen>unix:dir=$tmp</listen>"
        echo '  <auth>EXTERNAL</auth>'
        echo "  <servicedir>$tmp/services</servicedir>"
        echo '  <policy context="default">'
        echo '    <allow user="*"/>'
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
        echo '  </policy>'
        if [ "$(id -u)" != 0 ]; then
            echo "  <policy user=\"$(id -un)\">"
            echo '    <allow own="org.blkpoint.Blkpoint1"/>'
            echo '  </policy>'
        fi
        echo "  <include>$2</include>"
        echo '</busconfig>'
    } > "$1"
}

bus_call() {
    # bus_call ADDRESS DEST PATH METHOD ARGS...
    _addr=$1 _dest=$2 _path=$3 _method=$4
    shift 4
    gdbus call --address "$_addr" --dest "$_dest" --object-path "$_path" \
        --method "$_method" "$@" 2>&1
}

owner=$top_builddir/tests/bp-dbus-test-owner
if [ -n "$DBUS_DAEMON" ] && have gdbus && [ -x "$owner" ]; then
    ran=$((ran + 1))
    mkdir -p "$tmp/services"
    cp "$service" "$tmp/services/"

    # The check can fail: a broken policy file stops dbus-daemon.
    sed 's|</busconfig>|<policy>|' "$buspolicy" > "$tmp/broken.conf"
    write_bus_conf "$tmp/bus-broken.conf" "$tmp/broken.conf"
    if "$DBUS_DAEMON" --fork --config-file="$tmp/bus-broken.conf" \
            --print-pid=4 4>"$tmp/broken.pid" >/dev/null 2>&1 </dev/null; then
        kill "$(cat "$tmp/broken.pid")" 2>/dev/null
        fail "dbus-daemon accepted a broken policy; the policy check proves nothing"
    fi

    write_bus_conf "$tmp/bus.conf" "$buspolicy"
    "$DBUS_DAEMON" --fork --config-file="$tmp/bus.conf" \
        --print-address=3 3>"$tmp/address" --print-pid=4 4>"$tmp/bus.pid" \
        2>"$tmp/bus.err" </dev/null
    bus_pid=$(cat "$tmp/bus.pid" 2>/dev/null)
    addr=$(head -n 1 "$tmp/address" 2>/dev/null)
    if [ -z "$addr" ]; then
        fail "dbus-daemon did not start with the bus policy: $(cat "$tmp/bus.err")"
    else
        pass "dbus-daemon loads org.blkpoint.Blkpoint1.conf"

        # The activation file is read and offers the name.
        out=$(bus_call "$addr" org.freedesktop.DBus /org/freedesktop/DBus \
              org.freedesktop.DBus.ListActivatableNames)
        case $out in
            *"'org.blkpoint.Blkpoint1'"*) pass "dbus-daemon offers org.blkpoint.Blkpoint1 for activation" ;;
            *) fail "activation file not picked up: $out" ;;
        esac

        # Root (or our stand-in) owns the name.
        "$owner" "$addr" > "$tmp/owner.out" 2>"$tmp/owner.err" &
        owner_pid=$!
        i=0
        while [ ! -s "$tmp/owner.out" ] && [ $i -lt 100 ]; do
            kill -0 $owner_pid 2>/dev/null || break
            sleep 0.1; i=$((i + 1))
        done
        if [ "$(cat "$tmp/owner.out")" != acquired ]; then
            fail "the policy does not let $(id -un) own the name: $(cat "$tmp/owner.out" "$tmp/owner.err")"
        else
            pass "$(id -un) owns org.blkpoint.Blkpoint1"
        fi

        # Anybody may use the name's interfaces and the standard ones ...
        out=$(bus_call "$addr" org.blkpoint.Blkpoint1 /org/blkpoint/Blkpoint1 \
              org.freedesktop.DBus.Properties.Get org.blkpoint.Blkpoint1.Manager Version)
        case $out in
            *"<'"*"'>"*) pass "Properties.Get passes the policy" ;;
            *) fail "Properties.Get refused: $out" ;;
        esac
        for m in org.freedesktop.DBus.Introspectable.Introspect \
                 org.freedesktop.DBus.ObjectManager.GetManagedObjects \
                 org.freedesktop.DBus.Peer.Ping; do
            out=$(bus_call "$addr" org.blkpoint.Blkpoint1 /org/blkpoint/Blkpoint1 "$m")
            case $out in
                *AccessDenied*|*Error*) fail "$m refused: $out" ;;
                *) pass "$m passes the policy" ;;
            esac
        done
        # ... a method of ours reaches the daemon (which, being idle, does
        # not implement it: UnknownMethod, not AccessDenied) ...
        out=$(bus_call "$addr" org.blkpoint.Blkpoint1 /org/blkpoint/Blkpoint1 \
              org.blkpoint.Blkpoint1.Manager.ListDomains '{}')
        case $out in
            *AccessDenied*) fail "Manager.ListDomains refused by the bus: $out" ;;
            *) pass "Manager.ListDomains passes the policy" ;;
        esac
        # ... and nothing else does.
        out=$(bus_call "$addr" org.blkpoint.Blkpoint1 /org/blkpoint/Blkpoint1 \
              org.blkpoint.Blkpoint1.Secret.Method)
        case $out in
            *AccessDenied*) pass "other interfaces are refused by the bus" ;;
            *) fail "a call to an undeclared interface was let through: $out" ;;
        esac

        # Another user may call but not own.
        if [ "$(id -u)" = 0 ] && have setpriv; then
            chmod 755 "$tmp"
            out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
                  gdbus call --address "$addr" --dest org.blkpoint.Blkpoint1 \
                  --object-path /org/blkpoint/Blkpoint1 \
                  --method org.freedesktop.DBus.Properties.Get \
                  org.blkpoint.Blkpoint1.Manager Version 2>&1)
            case $out in
                *"<'"*"'>"*) pass "an unprivileged user may call" ;;
                *) fail "an unprivileged user may not call: $out" ;;
            esac
            kill "$owner_pid" 2>/dev/null; wait "$owner_pid" 2>/dev/null; owner_pid=
            # (with a policy that let it own the name, the owner would
            # serve until killed)
            out=$(timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
                  "$owner" "$addr" 2>&1)
            case $out in
                *denied*) pass "an unprivileged user may not own the name" ;;
                *) fail "an unprivileged user could own the name: $out" ;;
            esac
        else
            skip "not root or no setpriv: unprivileged owner/caller not checked"
        fi
    fi
    [ -n "$owner_pid" ] && { kill "$owner_pid" 2>/dev/null; wait "$owner_pid" 2>/dev/null; owner_pid=; }
    [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null; bus_pid=
else
    skip "dbus-daemon, gdbus or $owner missing: bus policy not run"
fi

# ---- activation file -----------------------------------------------------
ran=$((ran + 1))
grep -qx '\[D-BUS Service\]' "$service" || fail "$service: no [D-BUS Service] group"
grep -qx 'Name=org.blkpoint.Blkpoint1' "$service" || fail "$service: wrong Name="
grep -qx 'SystemdService=blkpointd.service' "$service" || fail "$service: wrong SystemdService="
grep -qx 'User=root' "$service" || fail "$service: wrong User="
grep -Eqx 'Exec=/.*/sbin/blkpointd --system' "$service" || fail "$service: Exec= is not the installed blkpointd --system"
grep -q '@' "$service" && fail "$service: unsubstituted placeholder"
pass "activation file names org.blkpoint.Blkpoint1 and blkpointd.service"

# ---- polkit ----------------------------------------------------------------
if [ -n "$XMLLINT" ]; then
    ran=$((ran + 1))
    pdtd=/usr/share/polkit-1/policyconfig-1.dtd
    if [ -f "$pdtd" ]; then
        "$XMLLINT" --noout --dtdvalid "$pdtd" "$policy" || fail "$policy is not valid against $pdtd"
    else
        "$XMLLINT" --noout "$policy" || fail "$policy is not well-formed"
    fi
    ids=$("$XMLLINT" --xpath '/policyconfig/action/@id' "$policy" | tr -s ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')
    [ "$ids" = 'id="org.blkpoint.manage" id="org.blkpoint.read" ' ] ||
        fail "$policy has actions '$ids', want org.blkpoint.manage and org.blkpoint.read"
    for a in manage read; do
        for e in description message; do
            n=$("$XMLLINT" --xpath "count(/policyconfig/action[@id='org.blkpoint.$a']/$e[not(@xml:lang)])" "$policy")
            [ "$n" = 1 ] || fail "org.blkpoint.$a: $n untranslated <$e>"
        done
    done
    # Every language in po/LINGUAS with a translation shows up.
    for lang in $(sed 's/#.*//' "$top_srcdir/po/LINGUAS"); do
        if grep -q 'Manage disk checkpoints and backups' "$top_srcdir/po/$lang.po" &&
           ! grep -A1 'Manage disk checkpoints and backups' "$top_srcdir/po/$lang.po" | grep -q 'msgstr ""'; then
            n=$("$XMLLINT" --xpath "count(//description[@xml:lang='$lang'])" "$policy")
            [ "$n" = 2 ] || fail "$policy: $n <description xml:lang='$lang'>, want 2 (msgfmt did not merge po/$lang.po)"
        fi
    done
    pass "polkit policy valid, actions org.blkpoint.manage and org.blkpoint.read, translations merged"
else
    skip "xmllint not found: polkit policy not checked"
fi

# ---- systemd unit ----------------------------------------------------------
ran=$((ran + 1))
for line in 'Type=dbus' 'BusName=org.blkpoint.Blkpoint1' 'KillMode=process' \
            'StateDirectory=blkpoint' 'RuntimeDirectory=blkpoint' \
            'RuntimeDirectoryPreserve=yes' 'ProtectSystem=strict' \
            'NoNewPrivileges=yes' 'PrivateTmp=yes'; do
    grep -qx "$line" "$unit" || fail "$unit lacks $line"
done
grep -Eqx 'ExecStart=/.*/sbin/blkpointd --system' "$unit" || fail "$unit: ExecStart= is not the installed blkpointd --system"
grep -qx 'PrivateDevices=yes' "$unit" && fail "$unit: PrivateDevices=yes hides block-device disks"
grep -q '@' "$unit" && fail "$unit: unsubstituted placeholder"
if have systemd-analyze; then
    # The daemon is not installed: verify a copy that starts /bin/true.
    sed 's|^ExecStart=.*|ExecStart=/bin/true|' "$unit" > "$tmp/blkpointd.service"
    out=$(cd "$tmp" && systemd-analyze verify --man=no ./blkpointd.service 2>&1)
    [ -z "$out" ] && pass "systemd-analyze verify finds nothing" ||
        fail "systemd-analyze verify: $out"
else
    skip "systemd-analyze not found: unit syntax not verified"
fi
pass "systemd unit: Type=dbus, KillMode=process, directories preserved, hardened"

# ---- blkpointd.conf --------------------------------------------------------
ran=$((ran + 1))
active=$(grep -Ev '^[[:space:]]*(#|$)' "$conf" | grep -Ev '^\[[a-z]+\]$')
[ -z "$active" ] && pass "blkpointd.conf: nothing but groups is active" ||
    fail "blkpointd.conf has active lines: $active"
keys=$(sed -n 's/^#\([a-z0-9_]*\)=.*/\1/p' "$conf")
[ "$(echo "$keys" | wc -l)" -ge 10 ] || fail "blkpointd.conf: only $(echo "$keys" | wc -l) keys"
dups=$(echo "$keys" | sort | uniq -d)
[ -z "$dups" ] || fail "blkpointd.conf: keys listed twice: $dups"
grep -q '@' "$conf" && fail "$conf: unsubstituted placeholder"
for k in state_dir runtime_dir qemu_storage_daemon qemu_img stop_timeout \
         qmp_command_timeout nbd_tls_x509_dir nbd_listen_address log_level \
         max_concurrent_jobs; do
    echo "$keys" | grep -qx "$k" || fail "blkpointd.conf lacks key $k"
done
pass "blkpointd.conf: $(echo "$keys" | wc -l) keys, all commented out with defaults"

echo "$failures failure(s)"
[ $ran -eq 0 ] && exit 77
[ $failures -eq 0 ]
