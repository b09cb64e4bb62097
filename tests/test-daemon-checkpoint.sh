#!/bin/sh
# Checkpoints end to end, driven with "gdbus call" on a private bus:
# blkpointd from the build tree, a real qemu-storage-daemon, guest writes
# through the NBD exports with qemu-io.
#
# The same sequence runs twice: on a two-disk domain that runs (storage
# runtime; stopped and started in the middle, and the daemon restarted),
# and on a two-disk domain that never runs (offline runtime: qemu-img,
# writes straight into the images, sizes through a read-only
# qemu-storage-daemon); a shorter one on the attach runtime (a
# qemu-storage-daemon this test runs, reached through its QMP socket):
#
#   c1 -> c2 -> c3 with writes between them; for every checkpoint and
#   disk the size GetXMLDesc reports equals exactly the clusters written
#   since it; the tree, CurrentCheckpoint and the objects' properties;
#   the middle checkpoint deleted (c3 moves up, every size still exact);
#   c3's metadata deleted and a new c4 made (its bitmap keeps recording),
#   c3 redefined from its saved XML: a second branch c1 -> {c3, c4};
#   writes; every size exact again.
#
# A bitmap removed while no daemon runs makes its checkpoint
# "inconsistent" when the daemon starts; it is still deleted.  A killed
# qemu-storage-daemon makes the checkpoints "inconsistent", with the reason.
#
# Afterwards, with nothing running, each bitmap is exported read-only by
# a qemu-storage-daemon started here and "nbdinfo --map" must list
# exactly the clusters written since its checkpoint.

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/daemon-testlib.sh"

dt_session_setup qemu-io nbdinfo

root=/org/blkpoint/Blkpoint1
M=org.blkpoint.Blkpoint1.Manager
D=org.blkpoint.Blkpoint1.Domain
C=org.blkpoint.Blkpoint1.Checkpoint
CL=65536

dt_start_daemon "$log" $dargs || dt_finish

# ---- helpers -------------------------------------------------------------

# define NAME RUNTIME: two 16 MiB qcow2 disks, vda and vdb.
define() {
    mkdir -p "$dt_tmp/exp/$1"
    dt_domain_2disks "$1" "$dt_tmp/$1" 16M "<runtime type='$2'/>"
}

# Expected dirty clusters are kept per bitmap (not per checkpoint: a
# bitmap whose metadata is deleted keeps recording) in
# $dt_tmp/exp/DOM/BITMAP.DISK, one cluster number per line.
track() { for _d in vda vdb; do : > "$dt_tmp/exp/$1/$2.$_d"; done; }
untrack() { rm -f "$dt_tmp/exp/$1/$2".*; }

# write DOM DISK OFFSET LENGTH: a guest write (through the NBD export
# when DOM runs, into the image when it does not), recorded for every
# bitmap of DOM.
write() {
    if [ "$(state "$1")" = running ]; then
        qemu-io -f raw "nbd+unix:///$2?socket=$dt_tmp/run/$1/nbd.sock" \
            -c "write -P 0x5a $3 $4" > /dev/null || dt_fail "write $*"
    else
        qemu-io -f qcow2 "$dt_tmp/$1/$2.qcow2" -c "write -P 0x5a $3 $4" > /dev/null ||
            dt_fail "write $*"
    fi
    _first=$(($3 / CL))
    _last=$((($3 + $4 - 1) / CL))
    for _f in "$dt_tmp/exp/$1"/*."$2"; do
        [ -e "$_f" ] || continue
        seq "$_first" "$_last" >> "$_f"
    done
}

expected_clusters() { sort -n -u "$dt_tmp/exp/$1/$2.$3"; }
expected_size() { echo $(($(expected_clusters "$@" | wc -l) * CL)); }

state() { dt_prop "$root/domain/$1" Domain State | sed "s/^(<'\(.*\)'>,)$/\1/"; }
cpath() { echo "$root/domain/$1/checkpoint/$2"; }

# create DOM NAME: CheckpointCreate, which must answer the new object.
create() {
    r=$(dt_call --object-path "$root/domain/$1" --method $D.CheckpointCreate \
        "<domaincheckpoint><name>$2</name></domaincheckpoint>" '{}')
    [ "$r" = "(objectpath '$(cpath "$1" "$2")',)" ] && track "$1" "$2" ||
        dt_fail "$1: CheckpointCreate $2: $r"
}

# check_sizes DOM CHECKPOINT...: the size of each disk of each checkpoint
# is exactly the clusters written since it.
check_sizes() {
    _dom=$1
    shift
    _bad=
    for _c in "$@"; do
        _x=$(dt_call --object-path "$(cpath "$_dom" "$_c")" --method $C.GetXMLDesc \
             "{'size': <true>, 'no-domain': <true>}")
        for _d in vda vdb; do
            _got=$(echo "$_x" | sed -n "s/.*<disk name='$_d' checkpoint='bitmap' bitmap='$_c' size='\([0-9]*\)'.*/\1/p")
            _want=$(expected_size "$_dom" "$_c" "$_d")
            [ "$_got" = "$_want" ] || _bad="$_bad $_c/$_d:$_got!=$_want"
        done
    done
    [ -z "$_bad" ] && dt_pass "$_dom ($(state "$_dom")): sizes of $* exact on vda and vdb" ||
        dt_fail "$_dom sizes:$_bad"
}

# names DOM METHOD-ARGS...: the checkpoint names a list method answers.
names() {
    _p=$1
    shift
    dt_call --object-path "$_p" --method "$@" | tr -d "()[],'" | tr ' ' '\n' |
        sed -n 's|.*/checkpoint/||p' | tr '\n' ' ' | sed 's/ $//'
}

expect_prop() {
    _v=$(dt_prop "$1" "$2" "$3")
    [ "$_v" = "$4" ] || dt_fail "$1 $3: $_v, expected $4"
}

# ---- the sequence ----------------------------------------------------------

# sequence DOM: everything in the header.  The running domain is stopped
# and started after c3 and the daemon restarted after the delete.
sequence() {
    dom=$1
    dp=$root/domain/$dom
    running=no
    [ "$(state "$dom")" = running ] && running=yes

    create "$dom" c1
    write "$dom" vda 0 4096
    write "$dom" vdb 200000 100000           # clusters 3-4
    create "$dom" c2
    write "$dom" vda $((10 * CL)) $CL
    write "$dom" vdb $((4 * CL)) 512          # again cluster 4
    write "$dom" vdb $((20 * CL)) 1
    create "$dom" c3
    write "$dom" vda $((5 * CL + 100)) 10
    check_sizes "$dom" c1 c2 c3

    expect_prop "$(cpath "$dom" c3)" Checkpoint Parent "(<objectpath '$(cpath "$dom" c2)'>,)"
    expect_prop "$(cpath "$dom" c1)" Checkpoint Parent "(<objectpath '/'>,)"
    expect_prop "$(cpath "$dom" c3)" Checkpoint IsCurrent "(<true>,)"
    expect_prop "$(cpath "$dom" c2)" Checkpoint IsCurrent "(<false>,)"
    expect_prop "$(cpath "$dom" c3)" Checkpoint State "(<'valid'>,)"
    expect_prop "$(cpath "$dom" c3)" Checkpoint Disks "(<[('vda', 'bitmap', 'c3'), ('vdb', 'bitmap', 'c3')]>,)"
    expect_prop "$dp" Domain CurrentCheckpoint "(<objectpath '$(cpath "$dom" c3)'>,)"
    r=$(names "$dp" $D.ListCheckpoints "{'topological': <true>}")
    [ "$r" = "c1 c2 c3" ] || dt_fail "$dom ListCheckpoints: $r"
    r=$(names "$(cpath "$dom" c1)" $C.ListChildren "{'descendants': <true>}")
    [ "$r" = "c2 c3" ] || dt_fail "$dom ListChildren descendants: $r"
    r=$(dt_call --object-path "$(cpath "$dom" c1)" --method $C.GetParent '{}')
    dt_expect_error NoCheckpoint "$r" || dt_fail "$dom GetParent of a root: $r"
    r=$(dt_call --object-path "$dp" --method $D.CheckpointLookupByName c2 '{}')
    [ "$r" = "(objectpath '$(cpath "$dom" c2)',)" ] || dt_fail "$dom lookup c2: $r"
    dt_pass "$dom: tree c1 -> c2 -> c3, properties, lookups"

    if [ $running = yes ]; then
        r=$(dt_call --object-path "$dp" --method $D.Shutdown '{}')
        [ "$r" = "()" ] || dt_fail "$dom Shutdown: $r"
        check_sizes "$dom" c1 c2 c3
        r=$(dt_call --object-path "$dp" --method $D.Start '{}')
        [ "$r" = "()" ] || dt_fail "$dom Start: $r"
        write "$dom" vdb $((30 * CL)) $CL
        check_sizes "$dom" c1 c2 c3
        expect_prop "$(cpath "$dom" c1)" Checkpoint State "(<'valid'>,)"
    fi

    # the middle checkpoint goes; c3 moves up to c1, nothing else changes
    r=$(dt_call --object-path "$(cpath "$dom" c2)" --method $C.Delete '{}')
    [ "$r" = "()" ] && untrack "$dom" c2 || dt_fail "$dom delete c2: $r"
    r=$(dt_call --object-path "$(cpath "$dom" c2)" --method $C.GetParent '{}')
    case $r in *UnknownMethod*|*UnknownObject*|*"No such interface"*) ;;
        *) dt_fail "$dom: c2's object is still there: $r" ;; esac
    expect_prop "$(cpath "$dom" c3)" Checkpoint Parent "(<objectpath '$(cpath "$dom" c1)'>,)"
    check_sizes "$dom" c1 c3

    if [ $running = yes ]; then
        dt_stop_daemon
        dt_start_daemon "$log" $dargs || dt_finish
        dt_wait_prop "$dp" Domain State "(<'running'>,)" || dt_fail "$dom after restart"
        expect_prop "$(cpath "$dom" c3)" Checkpoint Parent "(<objectpath '$(cpath "$dom" c1)'>,)"
        check_sizes "$dom" c1 c3
    fi

    # a second branch: c3's metadata goes (its bitmap stays and records),
    # c4 is made under c1, c3 comes back from its XML
    saved=$(dt_call --object-path "$(cpath "$dom" c3)" --method $C.GetXMLDesc \
            "{'security-info': <true>}" | sed "s/^([\"']//; s/[\"'],)\$//")
    saved=$(printf '%b' "$saved")
    r=$(dt_call --object-path "$(cpath "$dom" c3)" --method $C.Delete "{'metadata': <true>}")
    [ "$r" = "()" ] || dt_fail "$dom delete c3 --metadata: $r"
    expect_prop "$dp" Domain CurrentCheckpoint "(<objectpath '$(cpath "$dom" c1)'>,)"
    create "$dom" c4
    r=$(dt_call --object-path "$dp" --method $D.CheckpointCreate "$saved" \
        "{'redefine': <true>, 'redefine-validate': <true>}")
    [ "$r" = "(objectpath '$(cpath "$dom" c3)',)" ] || dt_fail "$dom redefine c3: $r"
    expect_prop "$(cpath "$dom" c3)" Checkpoint State "(<'valid'>,)"
    expect_prop "$(cpath "$dom" c4)" Checkpoint IsCurrent "(<true>,)"
    r=$(names "$(cpath "$dom" c1)" $C.ListChildren '{}')
    [ "$r" = "c3 c4" ] && dt_pass "$dom: second branch c1 -> {c3, c4}" ||
        dt_fail "$dom children of c1: $r"
    write "$dom" vda $((7 * CL)) $((2 * CL))
    write "$dom" vdb 0 1
    check_sizes "$dom" c1 c3 c4
}

# ---- a running domain ---------------------------------------------------------

define vm storage
gdbus monitor --session --dest org.blkpoint.Blkpoint1 > "$dt_tmp/monitor" 2>&1 &
monitor_pid=$!
dt_track $monitor_pid
sleep 0.3
r=$(dt_call --object-path $root/domain/vm --method $D.Start '{}')
[ "$r" = "()" ] || dt_fail "Start vm: $r"
ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(ms)
sequence vm
r=$(dt_call --object-path $root/domain/vm --method $D.Shutdown '{}')
[ "$r" = "()" ] || dt_fail "Shutdown vm: $r"
t1=$(ms)
kill $monitor_pid
mon=$dt_tmp/monitor
grep -q "InterfacesAdded (objectpath '$(cpath vm c1)', {'org.blkpoint.Blkpoint1.Checkpoint': {.*'State': <'valid'>" "$mon" &&
    grep -q "InterfacesRemoved (objectpath '$(cpath vm c2)'" "$mon" &&
    grep -q "^$(cpath vm c2): org.freedesktop.DBus.Properties.PropertiesChanged ('org.blkpoint.Blkpoint1.Checkpoint', {.*'IsCurrent': <false>" "$mon" &&
    grep -q "^$root/domain/vm: org.freedesktop.DBus.Properties.PropertiesChanged ('org.blkpoint.Blkpoint1.Domain', {'CurrentCheckpoint': <objectpath '$(cpath vm c4)'>" "$mon" &&
    dt_pass "InterfacesAdded/Removed and PropertiesChanged for checkpoints" ||
    { dt_fail "signals"; grep -i checkpoint "$mon" | head -20; }
echo "# running sequence: $((t1 - t0)) ms"

# ---- a domain that never runs --------------------------------------------------

define off offline
sequence off
# a checkpoint of a shut-off storage domain, recording once it runs
create vm c5
check_sizes vm c1 c3 c4 c5
r=$(dt_call --object-path $root/domain/vm --method $D.Start '{}')
[ "$r" = "()" ] || dt_fail "Start vm again: $r"
write vm vdb $((40 * CL)) 4096
check_sizes vm c1 c3 c4 c5
r=$(dt_call --object-path $root/domain/vm --method $D.Shutdown '{}')
[ "$r" = "()" ] || dt_fail "Shutdown vm again: $r"
echo "# offline sequence and restart: $(($(ms) - t1)) ms"

# ---- the attach runtime: a QEMU somebody else runs ------------------------------

mkdir -p "$dt_tmp/ext" "$dt_tmp/exp/ext"
for d in vda vdb; do
    "$QEMU_IMG" create -q -f qcow2 "$dt_tmp/ext/$d.qcow2" 16M || exit 99
done
"$QEMU_STORAGE_DAEMON" \
    --blockdev "{\"driver\":\"file\",\"node-name\":\"f0\",\"filename\":\"$dt_tmp/ext/vda.qcow2\"}" \
    --blockdev '{"driver":"qcow2","node-name":"guest0","file":"f0"}' \
    --blockdev "{\"driver\":\"file\",\"node-name\":\"f1\",\"filename\":\"$dt_tmp/ext/vdb.qcow2\"}" \
    --blockdev '{"driver":"qcow2","node-name":"guest1","file":"f1"}' \
    --nbd-server "addr.type=unix,addr.path=$dt_tmp/ext/nbd.sock" \
    --export type=nbd,id=e0,node-name=guest0,name=vda,writable=on \
    --export type=nbd,id=e1,node-name=guest1,name=vdb,writable=on \
    --chardev "socket,id=m,path=$dt_tmp/ext/qmp.sock,server=on,wait=off" \
    --monitor chardev=m > "$dt_tmp/ext/log" 2>&1 &
ext_pid=$!
dt_track $ext_pid
for _i in $(seq 1 100); do [ -S "$dt_tmp/ext/qmp.sock" ] && break; sleep 0.05; done
xml="<domain><name>ext</name><runtime type='attach'><monitor path='$dt_tmp/ext/qmp.sock'/></runtime><devices>"
for d in vda vdb; do
    xml="$xml<disk type='file'><driver type='qcow2'/><source file='$dt_tmp/ext/$d.qcow2'/><target dev='$d'/></disk>"
done
xml="$xml</devices></domain>"
dt_call --object-path $root --method $M.DefineDomain "$xml" '{}' > /dev/null
r=$(dt_call --object-path $root/domain/ext --method $D.Start '{}')
[ "$r" = "()" ] || dt_fail "attach Start: $r"
# ext_write DISK OFFSET LENGTH: through the other QEMU's own exports
ext_write() {
    qemu-io -f raw "nbd+unix:///$1?socket=$dt_tmp/ext/nbd.sock" -c "write -P 0x33 $2 $3" \
        > /dev/null || dt_fail "ext write $*"
    for _f in "$dt_tmp/exp/ext"/*."$1"; do
        [ -e "$_f" ] || continue
        seq $(($2 / CL)) $((($2 + $3 - 1) / CL)) >> "$_f"
    done
}
create ext c1
ext_write vda $((2 * CL)) 10
create ext c2
ext_write vdb $((6 * CL)) $((2 * CL))
check_sizes ext c1 c2
r=$(dt_call --object-path "$(cpath ext c1)" --method $C.Delete '{}')
[ "$r" = "()" ] && untrack ext c1 || dt_fail "ext delete c1: $r"
check_sizes ext c2
r=$(dt_call --object-path $root/domain/ext --method $D.Shutdown '{}')
[ "$r" = "()" ] || dt_fail "attach Shutdown: $r"
# its owner stops it cleanly: the bitmap is written into the image
kill -TERM $ext_pid
wait $ext_pid
case $("$QEMU_IMG" info "$dt_tmp/ext/vdb.qcow2") in
    *"name: c2"*) case $("$QEMU_IMG" info "$dt_tmp/ext/vdb.qcow2") in
        *"name: c1"*) dt_fail "attach: c1 is still in the image" ;;
        *) dt_pass "attach runtime: create, sizes, delete over the other QEMU's monitor" ;;
        esac ;;
    *) dt_fail "attach: c2 did not reach the image" ;;
esac

# ---- the bitmaps themselves, exported read-only ------------------------------

# map_clusters DOM DISK BITMAP: the dirty clusters nbdinfo reports.
map_clusters() {
    _dir=$dt_tmp/map
    rm -rf "$_dir" && mkdir -p "$_dir"
    "$QEMU_STORAGE_DAEMON" \
        --blockdev "{\"driver\":\"file\",\"node-name\":\"f\",\"filename\":\"$dt_tmp/$1/$2.qcow2\",\"read-only\":true}" \
        --blockdev '{"driver":"qcow2","node-name":"t","file":"f","read-only":true}' \
        --nbd-server "addr.type=unix,addr.path=$_dir/nbd.sock" \
        --export "type=nbd,id=e,node-name=t,name=d,bitmaps.0=$3" \
        --daemonize --pidfile "$_dir/qsd.pid" || return 1
    nbdinfo --map="qemu:dirty-bitmap:$3" "nbd+unix:///d?socket=$_dir/nbd.sock" |
        awk -v cl=$CL '$3 == 1 { for (c = $1 / cl; c < ($1 + $2) / cl; c++) print c }'
    kill "$(cat "$_dir/qsd.pid")"
    for _i in $(seq 1 100); do [ -e "$_dir/qsd.pid" ] || break; sleep 0.02; done
}

for spec in vm:c1 vm:c3 vm:c4 vm:c5 off:c1 off:c3 off:c4 ext:c2; do
    dom=${spec%%:*}
    c=${spec#*:}
    for d in vda vdb; do
        got=$(map_clusters "$dom" "$d" "$c" | tr '\n' ' ')
        want=$(expected_clusters "$dom" "$c" "$d" | tr '\n' ' ')
        [ "$got" = "$want" ] || dt_fail "$dom $c $d: nbdinfo --map clusters [$got], expected [$want]"
    done
done
dt_pass "nbdinfo --map of every bitmap lists exactly the clusters written since its checkpoint"

# a bitmap removed while no daemon ran: the next daemon finds out
dt_stop_daemon
"$QEMU_IMG" bitmap --remove "$dt_tmp/vm/vdb.qcow2" c5 || dt_fail "qemu-img bitmap --remove"
dt_start_daemon "$log" $dargs || dt_finish
if dt_wait_prop "$(cpath vm c5)" Checkpoint State "(<'inconsistent'>,)"; then
    case $(dt_prop "$(cpath vm c5)" Checkpoint StateReason) in
        *vdb*c5*) dt_pass "daemon start: a missing bitmap makes its checkpoint inconsistent" ;;
        *) dt_fail "StateReason: $(dt_prop "$(cpath vm c5)" Checkpoint StateReason)" ;;
    esac
else
    dt_fail "c5 after the restart: $(dt_prop "$(cpath vm c5)" Checkpoint State)"
fi
expect_prop "$(cpath vm c1)" Checkpoint State "(<'valid'>,)"
r=$(dt_call --object-path "$(cpath vm c5)" --method $C.Delete '{}')
[ "$r" = "()" ] && [ -z "$("$QEMU_IMG" info "$dt_tmp/vm/vda.qcow2" | grep 'name: c5')" ] &&
    dt_pass "an inconsistent checkpoint is deleted with what is left of its bitmaps" ||
    dt_fail "delete inconsistent c5: $r"

# the domain's qemu-storage-daemon killed: its bitmaps were not written
r=$(dt_call --object-path $root/domain/vm --method $D.Start '{}')
[ "$r" = "()" ] || dt_fail "Start vm for the kill: $r"
pid=$(dt_prop $root/domain/vm Domain Pid | sed 's/^(<uint32 \([0-9]*\)>,)$/\1/')
kill -9 "$pid"
dt_wait_prop $root/domain/vm Domain State "(<'crashed'>,)" || dt_fail "vm not crashed"
expect_prop "$(cpath vm c1)" Checkpoint State "(<'inconsistent'>,)"
case $(dt_prop "$(cpath vm c1)" Checkpoint StateReason) in
    *"signal 9"*) dt_pass "a killed qemu-storage-daemon makes the checkpoints inconsistent" ;;
    *) dt_fail "StateReason after the kill: $(dt_prop "$(cpath vm c1)" Checkpoint StateReason)" ;;
esac

# undefined with its checkpoints' metadata: the objects go too
r=$(dt_call --object-path $root/domain/off --method $D.Undefine "{'checkpoints-metadata': <true>}")
objs=$(dt_call --object-path $root --method org.freedesktop.DBus.ObjectManager.GetManagedObjects)
case "$r:$objs" in
    "():"*"/domain/off"*) dt_fail "objects of off remain after Undefine" ;;
    "():"*"/domain/vm/checkpoint/c4"*) dt_pass "Undefine removes the domain's checkpoint objects" ;;
    *) dt_fail "Undefine off: $r" ;;
esac

grep "CRITICAL" "$log" && dt_fail "criticals in the daemon log"
dt_finish
