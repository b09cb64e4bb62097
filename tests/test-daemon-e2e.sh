#!/bin/sh
# blkpointd end to end, driven with "gdbus call" as a management stack
# would: the daemon from the build tree on a private session bus, a real
# qemu-storage-daemon for the storage runtime, data written through the
# NBD export with nbdcopy.
#
#   - define (and redefine), with virsh's rules on names and UUIDs;
#   - start: State goes starting -> running with PropertiesChanged, the
#     disk is exported, ListDomains/LookupDomain/GetXMLDesc/ListDisks
#     describe it;
#   - errors are named D-Bus errors (unknown domain, bad XML with its
#     line, typo in an option, offline runtime, undefine while running);
#   - SIGTERM stops the daemon but not the domain: its qemu-storage-daemon
#     keeps serving; a new daemon reports it running and still manages it
#     (shutdown works; the persistent bitmap is written, not left in use);
#   - a qemu-storage-daemon that dies is noticed (State "crashed"), and one
#     that died while no daemon ran is recorded shut off;
#   - undefine removes the object;
#   - the attach runtime: start connects to somebody else's QEMU,
#     reconnects after a restart, shutdown only detaches, and that QEMU
#     exiting is noticed;
#   - a Start in flight when SIGTERM arrives is finished, answered and
#     recorded (the name is released at once); --replace hands running
#     domains to the new daemon.

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/daemon-testlib.sh"

dt_session_setup nbdcopy

root=/org/blkpoint/Blkpoint1
vm1=$root/domain/vm1
M=org.blkpoint.Blkpoint1.Manager
D=org.blkpoint.Blkpoint1.Domain

img=$dt_tmp/vda.qcow2
"$QEMU_IMG" create -q -f qcow2 "$img" 16M || exit 99
# A persistent bitmap, as a checkpoint would leave: it must come back
# written ("auto"), never "in-use", after every clean stop.
"$QEMU_IMG" bitmap --add "$img" c1 || exit 99

cat > "$dt_tmp/vm1.xml" <<EOF
<domain>
  <name>vm1</name>
  <devices>
    <disk type='file' device='disk'>
      <driver type='qcow2'/>
      <source file='$img'/>
      <target dev='vda'/>
    </disk>
  </devices>
</domain>
EOF

# The flags of bitmap c1, as qemu-img info lists them: "auto", or
# "in-use auto" while a QEMU has the image open or after a crash.
bitmap_flags() {
    "$QEMU_IMG" info -U "$img" | tr -s ' \n' '  ' |
        sed -n 's/.*flags: \(.*\) name: c1 .*/\1/p' | sed 's/\[[0-9]*\]: //g'
}

# A process that has not exited (an exited child of a dead daemon may
# stay a zombie here, with an empty command line).
alive() { [ -n "$(tr -d '\0' < "/proc/$1/cmdline" 2>/dev/null)" ]; }

dt_start_daemon "$log" $dargs || dt_finish

# ---- the manager ------------------------------------------------------
version=$("$blkpointd" --version | sed 's/^blkpointd //')
r=$(dt_call --object-path $root --method org.freedesktop.DBus.Properties.Get $M Version)
[ "$r" = "(<'$version'>,)" ] && dt_pass "Version is $version" || dt_fail "Version: $r"
r=$(dt_call --object-path $root --method org.freedesktop.DBus.Properties.Get $M QemuVersion)
case $r in "(<'"[0-9]*) dt_pass "QemuVersion $r" ;; *) dt_fail "QemuVersion: $r" ;; esac

# ---- define -------------------------------------------------------------
r=$(dt_call --object-path $root --method $M.DefineDomain "$(cat "$dt_tmp/vm1.xml")" '{}')
[ "$r" = "(objectpath '$vm1',)" ] && dt_pass "DefineDomain -> $vm1" || dt_fail "DefineDomain: $r"
uuid=$(dt_prop $vm1 Domain UUID | sed "s/^(<'\(.*\)'>,)$/\1/")
# The same document again (no UUID): a redefinition keeping the UUID.
r=$(dt_call --object-path $root --method $M.DefineDomain "$(cat "$dt_tmp/vm1.xml")" '{}')
[ "$r" = "(objectpath '$vm1',)" ] && [ "$(dt_prop $vm1 Domain UUID)" = "(<'$uuid'>,)" ] &&
    dt_pass "redefinition keeps UUID $uuid" || dt_fail "redefine: $r"
r=$(dt_call --object-path $root --method $M.DefineDomain \
    "$(sed 's|<name>vm1</name>|&<uuid>00000000-0000-4000-8000-000000000001</uuid>|' "$dt_tmp/vm1.xml")" '{}')
dt_expect_error Exists "$r" && case $r in *"'vm1' already exists with uuid $uuid"*) true ;; *) false ;; esac &&
    dt_pass "another UUID under the same name: Exists" || dt_fail "other uuid: $r"
r=$(dt_call --object-path $root --method $M.DefineDomain \
    "$(sed "s|<name>vm1</name>|<name>vm2</name><uuid>$uuid</uuid>|" "$dt_tmp/vm1.xml")" '{}')
dt_expect_error Exists "$r" && dt_pass "the same UUID under another name: Exists" ||
    dt_fail "uuid taken: $r"
r=$(dt_call --object-path $root --method $M.DefineDomain "$(printf '<domain>\n  <name>bad</name>\n  <devices>\n</domain>\n')" '{}')
dt_expect_error XmlSyntax "$r" && case $r in *"line 4"*) true ;; *) false ;; esac &&
    dt_pass "malformed XML: XmlSyntax at line 4" || dt_fail "bad XML: $r"
r=$(dt_call --object-path $root --method $M.DefineDomain '<domain><name>a/b</name></domain>' '{}')
dt_expect_error XmlInvalid "$r" && dt_pass "name with '/': XmlInvalid" || dt_fail "bad name: $r"
r=$(dt_call --object-path $root --method $M.LookupDomain nosuch '{}')
dt_expect_error NoDomain "$r" && dt_pass "LookupDomain of an unknown name: NoDomain" ||
    dt_fail "lookup: $r"
r=$(dt_call --object-path $root --method $M.LookupDomain "$(echo "$uuid" | tr a-f A-F)" '{}')
[ "$r" = "(objectpath '$vm1',)" ] && dt_pass "LookupDomain by UUID" || dt_fail "lookup uuid: $r"
r=$(dt_call --object-path $root --method $M.ListDomains "{'activ': <true>}")
dt_expect_error InvalidArgument "$r" && dt_pass "unknown option: InvalidArgument" ||
    dt_fail "option typo: $r"

cat > "$dt_tmp/off.xml" <<EOF
<domain>
  <name>off-1</name>
  <runtime type='offline'/>
  <devices>
    <disk type='file'><driver type='qcow2'/><source file='$img'/><target dev='vda'/></disk>
  </devices>
</domain>
EOF
r=$(dt_call --object-path $root --method $M.DefineDomain "$(cat "$dt_tmp/off.xml")" '{}')
[ "$r" = "(objectpath '$root/domain/off_2d1',)" ] && dt_pass "escaped object path $r" ||
    dt_fail "offline define: $r"
r=$(dt_call --object-path $root/domain/off_2d1 --method $D.Start '{}')
dt_expect_error OperationUnsupported "$r" && dt_pass "Start of an offline domain: OperationUnsupported" ||
    dt_fail "offline start: $r"

# ---- start, watched ---------------------------------------------------
gdbus monitor --session --dest org.blkpoint.Blkpoint1 --object-path $vm1 > "$dt_tmp/monitor" 2>&1 &
monitor_pid=$!
dt_track $monitor_pid
sleep 0.3
r=$(dt_call --object-path $vm1 --method $D.Start '{}')
[ "$r" = "()" ] && dt_pass "Start" || dt_fail "Start: $r"
[ "$(dt_prop $vm1 Domain State)" = "(<'running'>,)" ] && dt_pass "State running" ||
    dt_fail "State after Start: $(dt_prop $vm1 Domain State)"
pid=$(dt_prop $vm1 Domain Pid | sed 's/^(<uint32 \([0-9]*\)>,)$/\1/')
alive "$pid" && dt_pass "qemu-storage-daemon runs as pid $pid" || dt_fail "Pid $pid"
flags=$(bitmap_flags)
[ "$flags" = "in-use auto" ] && dt_pass "bitmap c1 is in use while running" ||
    dt_fail "bitmap c1 flags while running: $flags"
for _i in $(seq 1 40); do grep -q "'running'" "$dt_tmp/monitor" && break; sleep 0.05; done
if grep -q "PropertiesChanged ('org.blkpoint.Blkpoint1.Domain', {'State': <'starting'>" "$dt_tmp/monitor" &&
   grep -q "PropertiesChanged ('org.blkpoint.Blkpoint1.Domain', {.*'State': <'running'>" "$dt_tmp/monitor"; then
    dt_pass "PropertiesChanged: State starting, then running"
else
    dt_fail "PropertiesChanged not seen:"; cat "$dt_tmp/monitor"
fi
kill $monitor_pid 2>/dev/null

r=$(dt_call --object-path $vm1 --method $D.Start '{}')
dt_expect_error OperationInvalid "$r" && dt_pass "second Start: OperationInvalid" || dt_fail "2nd start: $r"
r=$(dt_call --object-path $vm1 --method $D.Undefine '{}')
dt_expect_error OperationInvalid "$r" && dt_pass "Undefine while running: OperationInvalid" ||
    dt_fail "undefine running: $r"

r=$(dt_call --object-path $root --method $M.ListDomains '{}')
[ "$r" = "([objectpath '$root/domain/off_2d1', '$vm1'],)" ] && dt_pass "ListDomains, sorted" ||
    dt_fail "ListDomains: $r"
r=$(dt_call --object-path $root --method $M.ListDomains "{'active': <true>}")
[ "$r" = "([objectpath '$vm1'],)" ] && dt_pass "ListDomains active" || dt_fail "active: $r"
r=$(dt_call --object-path $root --method $M.ListDomains "{'inactive': <true>}")
[ "$r" = "([objectpath '$root/domain/off_2d1'],)" ] && dt_pass "ListDomains inactive" ||
    dt_fail "inactive: $r"

sock=$dt_tmp/run/vm1/nbd.sock
uri="nbd+unix:///vda?socket=$sock"
r=$(dt_call --object-path $vm1 --method $D.ListDisks '{}')
[ "$r" = "([('vda', 'file', 'disk', '$img', 'qcow2', '$uri')],)" ] &&
    dt_pass "ListDisks shows the export $uri" || dt_fail "ListDisks: $r"
r=$(dt_call --object-path $vm1 --method $D.ListDisks "{'inactive': <true>}")
[ "$r" = "([('vda', 'file', 'disk', '$img', 'qcow2', '')],)" ] &&
    dt_pass "ListDisks inactive: no export" || dt_fail "ListDisks inactive: $r"
r=$(dt_call --object-path $vm1 --method $D.GetXMLDesc '{}')
case $r in
    *"<name>vm1</name>"*"<uuid>$uuid</uuid>"*"<source file='$img'/>"*"<backingStore/>"*)
        dt_pass "GetXMLDesc: the live definition with its chain" ;;
    *) dt_fail "GetXMLDesc: $r" ;;
esac

# "Guest" data through the export.
head -c 1048576 /dev/urandom > "$dt_tmp/data1"
head -c 1048576 /dev/urandom > "$dt_tmp/data2"
nbdcopy "$dt_tmp/data1" "$uri" && dt_pass "wrote 1 MiB through the NBD export" ||
    dt_fail "nbdcopy into $uri"

# ---- the daemon stops, the domain does not ----------------------------
dt_stop_daemon
st=$?
[ $st -eq 0 ] && dt_pass "blkpointd exits 0 on SIGTERM" || dt_fail "exit status $st"
alive "$pid" && dt_pass "qemu-storage-daemon $pid still runs" ||
    dt_fail "qemu-storage-daemon died with the daemon"
nbdcopy "$dt_tmp/data2" "$uri" && dt_pass "the export still serves without a daemon" ||
    dt_fail "export gone without the daemon"

dt_start_daemon "$log" $dargs || dt_finish
dt_wait_prop $vm1 Domain Pid "(<uint32 $pid>,)" &&
    [ "$(dt_prop $vm1 Domain State)" = "(<'running'>,)" ] &&
    dt_pass "a new daemon reports vm1 running as pid $pid" ||
    dt_fail "after restart: $(dt_prop $vm1 Domain State) $(dt_prop $vm1 Domain Pid)"
r=$(dt_call --object-path $vm1 --method $D.ListDisks '{}')
case $r in *"$uri"*) dt_pass "the export is known again" ;; *) dt_fail "ListDisks after restart: $r" ;; esac
r=$(dt_call --object-path $vm1 --method $D.Shutdown '{}')
[ "$r" = "()" ] && dt_pass "Shutdown through the new daemon" || dt_fail "Shutdown: $r"
[ "$(dt_prop $vm1 Domain State)" = "(<'shutoff'>,)" ] && [ "$(dt_prop $vm1 Domain Pid)" = "(<uint32 0>,)" ] &&
    dt_pass "State shutoff, Pid 0" || dt_fail "after shutdown: $(dt_prop $vm1 Domain State)"
alive "$pid" && dt_fail "qemu-storage-daemon $pid still runs" ||
    dt_pass "qemu-storage-daemon $pid is gone"
flags=$(bitmap_flags)
[ "$flags" = "auto" ] && dt_pass "bitmap c1 written back (flags $flags)" ||
    dt_fail "bitmap c1 flags after shutdown: $flags"
"$QEMU_IMG" convert -U -O raw "$img" "$dt_tmp/out.raw" &&
    cmp -s "$dt_tmp/data2" "$dt_tmp/out.raw" -n 1048576 &&
    dt_pass "the image holds what was written" || dt_fail "image contents differ"

# ---- destroy, crash ---------------------------------------------------
r=$(dt_call --object-path $vm1 --method $D.Start '{}')
r2=$(dt_call --object-path $vm1 --method $D.Destroy '{}')
[ "$r" = "()" ] && [ "$r2" = "()" ] && [ "$(dt_prop $vm1 Domain State)" = "(<'shutoff'>,)" ] &&
    dt_pass "Start, Destroy" || dt_fail "destroy: $r $r2"
r=$(dt_call --object-path $vm1 --method $D.Destroy '{}')
dt_expect_error OperationInvalid "$r" && dt_pass "Destroy of a shut off domain: OperationInvalid" ||
    dt_fail "destroy shutoff: $r"

dt_call --object-path $vm1 --method $D.Start '{}' >/dev/null
pid=$(dt_prop $vm1 Domain Pid | sed 's/^(<uint32 \([0-9]*\)>,)$/\1/')
kill -9 "$pid"
dt_wait_prop $vm1 Domain State "(<'crashed'>,)" && dt_pass "SIGKILLed qemu-storage-daemon: crashed" ||
    dt_fail "after kill: $(dt_prop $vm1 Domain State)"
grep -q "vm1: .*killed by signal 9.*inconsistent" "$log" && dt_pass "the unclean exit is logged" ||
    dt_fail "no log of the unclean exit"
r=$(dt_call --object-path $vm1 --method $D.Destroy '{}')
[ "$r" = "()" ] && [ "$(dt_prop $vm1 Domain State)" = "(<'shutoff'>,)" ] &&
    dt_pass "Destroy cleans up a crashed domain" || dt_fail "destroy crashed: $r"

# The process dies while no daemon watches.
dt_call --object-path $vm1 --method $D.Start '{}' >/dev/null
pid=$(dt_prop $vm1 Domain Pid | sed 's/^(<uint32 \([0-9]*\)>,)$/\1/')
dt_stop_daemon
kill -9 "$pid"
sleep 0.1
dt_start_daemon "$log" $dargs || dt_finish
dt_wait_prop $vm1 Domain State "(<'shutoff'>,)" &&
    dt_pass "died while the daemon was away: recorded shut off" ||
    dt_fail "after restart with dead qsd: $(dt_prop $vm1 Domain State)"
grep -q "vm1: no longer running, recorded as shut off" "$log" && dt_pass "and logged" ||
    dt_fail "not logged"

# ---- undefine -----------------------------------------------------------
r=$(dt_call --object-path $vm1 --method $D.Undefine '{}')
[ "$r" = "()" ] && dt_pass "Undefine" || dt_fail "Undefine: $r"
r=$(dt_call --object-path $root --method $M.LookupDomain vm1 '{}')
dt_expect_error NoDomain "$r" && dt_pass "undefined domain: NoDomain" || dt_fail "lookup after undefine: $r"
r=$(dt_call --object-path $root --method org.freedesktop.DBus.ObjectManager.GetManagedObjects)
case $r in *"$vm1"*) dt_fail "object still exported: $r" ;; *) dt_pass "object removed" ;; esac

# ---- attach runtime: a QEMU somebody else runs ----------------------------
img4=$dt_tmp/ext.qcow2
"$QEMU_IMG" create -q -f qcow2 "$img4" 16M || exit 99
mkdir -p "$dt_tmp/ext"
"$QEMU_STORAGE_DAEMON" \
    --blockdev "{\"driver\":\"file\",\"node-name\":\"f0\",\"filename\":\"$img4\"}" \
    --blockdev '{"driver":"qcow2","node-name":"guest0","file":"f0"}' \
    --chardev "socket,id=m,path=$dt_tmp/ext/qmp.sock,server=on,wait=off" \
    --monitor chardev=m > "$dt_tmp/ext/log" 2>&1 &
ext_pid=$!
dt_track $ext_pid
for _i in $(seq 1 100); do [ -S "$dt_tmp/ext/qmp.sock" ] && break; sleep 0.05; done
cat > "$dt_tmp/ext.xml" <<EOF
<domain>
  <name>ext</name>
  <devices>
    <disk type='file'><driver type='qcow2'/><source file='$img4'/><target dev='vda'/></disk>
  </devices>
  <runtime type='attach'>
    <monitor path='$dt_tmp/ext/qmp.sock'/>
  </runtime>
</domain>
EOF
ext=$root/domain/ext
dt_call --object-path $root --method $M.DefineDomain "$(cat "$dt_tmp/ext.xml")" '{}' >/dev/null
r=$(dt_call --object-path $ext --method $D.Start '{}')
[ "$r" = "()" ] && [ "$(dt_prop $ext Domain State)" = "(<'running'>,)" ] &&
    [ "$(dt_prop $ext Domain Runtime)" = "(<'attach'>,)" ] &&
    [ "$(dt_prop $ext Domain Pid)" = "(<uint32 0>,)" ] &&
    dt_pass "attach: Start connects to the QEMU's monitor" || dt_fail "attach start: $r"
r=$(dt_call --object-path $ext --method $D.ListDisks '{}')
[ "$r" = "([('vda', 'file', 'disk', '$img4', 'qcow2', '')],)" ] &&
    dt_pass "attach: ListDisks, nothing exported by us" || dt_fail "attach ListDisks: $r"
dt_stop_daemon
dt_start_daemon "$log" $dargs || dt_finish
dt_wait_prop $ext Domain State "(<'running'>,)" && dt_pass "attach: reconnected after a restart" ||
    dt_fail "attach after restart: $(dt_prop $ext Domain State)"
r=$(dt_call --object-path $ext --method $D.Shutdown '{}')
[ "$r" = "()" ] && [ "$(dt_prop $ext Domain State)" = "(<'shutoff'>,)" ] && alive $ext_pid &&
    dt_pass "attach: Shutdown detaches, the QEMU keeps running" || dt_fail "attach shutdown: $r"
dt_call --object-path $ext --method $D.Start '{}' >/dev/null
kill -TERM $ext_pid
dt_wait_prop $ext Domain State "(<'crashed'>,)" &&
    dt_pass "attach: the QEMU going away is noticed (crashed)" ||
    dt_fail "attach after the QEMU exited: $(dt_prop $ext Domain State)"

# ---- a start in flight when SIGTERM arrives ------------------------------
# A qemu-storage-daemon that takes a second to come up keeps Start busy.
printf '#!/bin/sh\nsleep 1\nexec "%s" "$@"\n' "$QEMU_STORAGE_DAEMON" > "$dt_tmp/slow-qsd"
chmod +x "$dt_tmp/slow-qsd"
printf '[qemu]\nqemu_storage_daemon=%s\n' "$dt_tmp/slow-qsd" > "$dt_tmp/slow.conf"
img3=$dt_tmp/vm3.qcow2
"$QEMU_IMG" create -q -f qcow2 "$img3" 16M || exit 99
vm3=$root/domain/vm3
dt_stop_daemon
dt_start_daemon "$log" $dargs --config "$dt_tmp/slow.conf" || dt_finish
dt_call --object-path $root --method $M.DefineDomain \
    "$(sed -e 's|<name>vm1</name>|<name>vm3</name>|' -e "s|$img|$img3|" "$dt_tmp/vm1.xml")" '{}' >/dev/null
dt_call --object-path $vm3 --method $D.Start '{}' > "$dt_tmp/start.out" &
start_call=$!
dt_wait_prop $vm3 Domain State "(<'starting'>,)" || dt_fail "vm3 never starting"
stopped_at=$(date +%s)
kill -TERM "$dt_daemon_pid"
dt_wait_name absent && dt_pass "SIGTERM releases the name at once" || dt_fail "name kept"
r=$(dt_call --object-path $root --method $M.ListDomains '{}')
case $r in *Error*) dt_pass "no new calls while stopping" ;; *) dt_fail "call while stopping: $r" ;; esac
wait $start_call
[ "$(cat "$dt_tmp/start.out")" = "()" ] && dt_pass "the Start in flight finished and was answered" ||
    dt_fail "Start in flight: $(cat "$dt_tmp/start.out")"
wait "$dt_daemon_pid"
st=$?
[ $st -eq 0 ] && dt_pass "then the daemon exits 0 (after $(( $(date +%s) - stopped_at )) s)" ||
    dt_fail "exit status $st"
dt_start_daemon "$log" $dargs || dt_finish
dt_wait_prop $vm3 Domain State "(<'running'>,)" && [ "$(dt_prop $vm3 Domain Pid)" != "(<uint32 0>,)" ] &&
    dt_pass "the domain started during the stop was recorded: running after restart" ||
    dt_fail "vm3 after restart: $(dt_prop $vm3 Domain State)"

# ---- --replace hands the domains over -----------------------------------
old_pid=$dt_daemon_pid
"$blkpointd" $dargs --replace 2>>"$log" &
dt_daemon_pid=$!
dt_track "$dt_daemon_pid"
wait "$old_pid"
st=$?
[ $st -eq 0 ] && dt_pass "--replace: the old daemon exits 0" || dt_fail "old daemon exit $st"
dt_wait_name present || dt_fail "no daemon after --replace"
dt_wait_prop $vm3 Domain State "(<'running'>,)" &&
    r=$(dt_call --object-path $vm3 --method $D.Shutdown '{}') && [ "$r" = "()" ] &&
    dt_pass "the new daemon manages vm3 (Shutdown)" || dt_fail "after --replace: $r"

dt_stop_daemon || dt_fail "last daemon's exit status $?"
grep -q "CRITICAL\|ERROR" "$log" && { dt_fail "criticals in the log:"; grep "CRITICAL\|ERROR" "$log"; }
dt_finish
