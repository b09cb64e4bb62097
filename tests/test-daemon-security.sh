#!/bin/sh
# Who may call blkpointd.
#
# System bus: a private dbus-daemon configured like the system bus (deny
# by default) with the installed bus policy daemon/org.blkpoint.Blkpoint1.conf,
# and blkpointd --system on it (through DBUS_SYSTEM_BUS_ADDRESS).  There is
# no polkit on that bus, so every refusal comes from the daemon's own
# authorisation code:
#   - an unprivileged user (nobody, through setpriv) may send to the
#     daemon (the bus policy lets it) but every method of the Manager and
#     Domain interfaces, changing or reading, answers AccessDenied, and
#     nothing changes;
#   - the same user can read properties (documented);
#   - root defines, starts and shuts down a domain.
# Session bus: blkpointd --session serves only its own user; another user
# on that bus (nobody here) is refused.
#
# Needs root (to run as nobody) and setpriv; skipped otherwise.

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/daemon-testlib.sh"

XMLLINT=${XMLLINT:-xmllint}
dt_require "$DBUS_DAEMON" "$QEMU_IMG" "$QEMU_STORAGE_DAEMON" "$XMLLINT" gdbus setpriv
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to call as another user"; exit 77; }
[ -x "$blkpointd" ] || { echo "FAIL: $blkpointd not built"; exit 1; }
dt_setup

nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
root=/org/blkpoint/Blkpoint1
M=org.blkpoint.Blkpoint1.Manager
D=org.blkpoint.Blkpoint1.Domain

# Arguments for every in-argument of METHOD in interface file IFACE, as
# gdbus call wants them: a syntactically valid call that a daemon would
# act on if it let the caller through.
call_args() {
    _f=$top_srcdir/src/dbus/org.blkpoint.Blkpoint1.$1.xml
    for _t in $("$XMLLINT" --xpath "//method[@name='$2']/arg[@direction='in']/@type" "$_f" |
                sed 's/ *type="\([^"]*\)"/\1\n/g'); do
        case $_t in
            s) printf '%s\n' vda ;;
            b) printf '%s\n' true ;;
            t) printf '%s\n' 1 ;;
            'a{sv}') printf '%s\n' '{}' ;;
            *) echo "unhandled type $_t" >&2; printf '%s\n' '' ;;
        esac
    done
}

methods() {
    "$XMLLINT" --xpath "//method/@name" \
        "$top_srcdir/src/dbus/org.blkpoint.Blkpoint1.$1.xml" | sed 's/ *name="\([^"]*\)"/\1\n/g'
}

# call_as_nobody PATH IFACE METHOD: every method must be refused.
check_refused() {
    _path=$1 _iface=$2 _m=$3
    # shellcheck disable=SC2046
    set -- $(call_args "$_iface" "$_m")
    _r=$($nobody gdbus call $dt_bus_opt --dest org.blkpoint.Blkpoint1 --object-path "$_path" \
         --method "org.blkpoint.Blkpoint1.$_iface.$_m" "$@" 2>&1)
    if dt_expect_error AccessDenied "$_r"; then
        refused=$((refused + 1))
    else
        dt_fail "nobody calling $_iface.$_m got: $_r"
    fi
}

img=$dt_tmp/vda.qcow2
"$QEMU_IMG" create -q -f qcow2 "$img" 16M || exit 99
domxml="<domain><name>vm1</name><devices><disk type='file'><driver type='qcow2'/><source file='$img'/><target dev='vda'/></disk></devices></domain>"

# ---- system bus ---------------------------------------------------------
dt_bus system system "$top_srcdir/daemon/org.blkpoint.Blkpoint1.conf" ||
    { echo "FAIL: no bus"; exit 1; }
DBUS_SYSTEM_BUS_ADDRESS=$dt_bus_address
export DBUS_SYSTEM_BUS_ADDRESS
dt_bus_opt=--system
log=$dt_tmp/system.log
dt_start_daemon "$log" --system --state-dir "$dt_tmp/state" --runtime-dir "$dt_tmp/run" ||
    dt_finish

r=$(dt_call --object-path $root --method $M.DefineDomain "$domxml" '{}')
[ "$r" = "(objectpath '$root/domain/vm1',)" ] && dt_pass "root defines vm1" || dt_fail "root define: $r"

refused=0
for m in $(methods Manager); do
    check_refused $root Manager "$m"
done
for m in $(methods Domain); do
    check_refused $root/domain/vm1 Domain "$m"
done
expected=$(methods Manager; methods Domain)
expected=$(echo $expected | wc -w)
[ $refused -eq "$expected" ] && [ "$expected" -gt 20 ] &&
    dt_pass "nobody is refused all $refused Manager and Domain methods" ||
    dt_fail "$refused of $expected methods refused"

# a checkpoint (of the shut-off domain) and its methods
r=$(dt_call --object-path $root/domain/vm1 --method $D.CheckpointCreate \
    '<domaincheckpoint><name>c1</name></domaincheckpoint>' '{}')
[ "$r" = "(objectpath '$root/domain/vm1/checkpoint/c1',)" ] && dt_pass "root creates c1" ||
    dt_fail "root CheckpointCreate: $r"
refused=0
for m in $(methods Checkpoint); do
    check_refused $root/domain/vm1/checkpoint/c1 Checkpoint "$m"
done
[ $refused -eq 4 ] && dt_pass "nobody is refused all 4 Checkpoint methods" ||
    dt_fail "$refused of 4 Checkpoint methods refused"
r=$($nobody gdbus call --system --dest org.blkpoint.Blkpoint1 \
    --object-path $root/domain/vm1/checkpoint/c1 \
    --method org.freedesktop.DBus.Properties.Get org.blkpoint.Blkpoint1.Checkpoint State 2>&1)
[ "$r" = "(<'valid'>,)" ] && dt_pass "nobody reads checkpoint properties" ||
    dt_fail "checkpoint property read: $r"

r=$($nobody gdbus call --system --dest org.blkpoint.Blkpoint1 --object-path $root/domain/vm1 \
    --method $D.Start "{'auth.no_user_interaction': <true>}" 2>&1)
case $r in
    *AccessDenied*"user 65534 may not call org.blkpoint.Blkpoint1.Domain.Start"*org.blkpoint.manage*polkit*)
        dt_pass "the refusal names the user, the method, the action and why" ;;
    *) dt_fail "refusal message: $r" ;;
esac
r=$($nobody gdbus call --system --dest org.blkpoint.Blkpoint1 --object-path $root \
    --method $M.ListDomains "{'nonsense': <true>}" 2>&1)
dt_expect_error InvalidArgument "$r" && dt_pass "options are checked before authorisation" ||
    dt_fail "options check: $r"

[ "$(dt_prop $root/domain/vm1 Domain State)" = "(<'shutoff'>,)" ] &&
    [ ! -e "$dt_tmp/run/vm1/qsd.pid" ] && dt_pass "nothing was started" || dt_fail "state changed"
r=$($nobody gdbus call --system --dest org.blkpoint.Blkpoint1 --object-path $root/domain/vm1 \
    --method org.freedesktop.DBus.Properties.Get $D Name 2>&1)
[ "$r" = "(<'vm1'>,)" ] && dt_pass "nobody reads properties" || dt_fail "property read: $r"

r=$(dt_call --object-path $root/domain/vm1 --method $D.Start '{}')
r2=$(dt_call --object-path $root/domain/vm1 --method $D.Shutdown '{}')
r3=$(dt_call --object-path $root/domain/vm1 --method $D.Undefine "{'checkpoints-metadata': <true>}")
[ "$r$r2$r3" = "()()()" ] && dt_pass "root starts, shuts down and undefines vm1" ||
    dt_fail "root: $r $r2 $r3"
dt_stop_daemon || dt_fail "system daemon exit status $?"

# ---- session bus ---------------------------------------------------------
dt_bus session session || { echo "FAIL: no bus"; exit 1; }
DBUS_SESSION_BUS_ADDRESS=$dt_bus_address
export DBUS_SESSION_BUS_ADDRESS
dt_bus_opt=--session
dt_start_daemon "$dt_tmp/session.log" --session --state-dir "$dt_tmp/sstate" \
    --runtime-dir "$dt_tmp/srun" || dt_finish
r=$($nobody gdbus call --session --dest org.blkpoint.Blkpoint1 --object-path $root \
    --method $M.ListDomains '{}' 2>&1)
case $r in
    *AccessDenied*"serves only user 0"*) dt_pass "session daemon refuses another user" ;;
    *) dt_fail "session, nobody: $r" ;;
esac
r=$(dt_call --object-path $root --method $M.ListDomains '{}')
[ "$r" = "(@ao [],)" ] && dt_pass "session daemon serves its own user" || dt_fail "session, root: $r"
dt_stop_daemon || dt_fail "session daemon exit status $?"

dt_finish
