# blockjob-testlib.sh: shared by the block job end-to-end tests
# (test-daemon-blockcommit.sh, test-daemon-blockpull.sh).  Sourced, not
# run, after e2e-testlib.sh: the functions use bp, fail, pass,
# $blkpoint, $tmp and $QEMU_IMG from there (after e2e_init), and CL (the
# cluster size) from the test.
#
# vm1 has one disk, vda, whose chain the test builds on the shut-off
# domain; the attach-runtime functions run a domain "ext" on a
# qemu-storage-daemon the test starts itself ($ext_pid, which
# e2e_cleanup_extra below kills when the test ends early).

ext_pid=
e2e_cleanup_extra() { [ -n "$ext_pid" ] && kill -9 "$ext_pid" 2>/dev/null; }

# size NAME: the size (bytes written since) of checkpoint NAME on vda.
size() {
    "$blkpoint" -c session -q checkpoint-dumpxml vm1 "$1" --no-domain --size \
        --xpath "string(//disk[@name='vda']/@size)"
}

# start: starts vm1 (the test ends when that fails); sets $qsd_pid and
# $export_vda, the NBD URI of vda.
start() {
    bp -q start vm1
    [ $rc -eq 0 ] || { fail "start: $(cat err)"; exit 1; }
    qsd_pid=$("$blkpoint" -c session dominfo vm1 --json 2>/dev/null | jq -r .pid 2>/dev/null)
    bp -q domblklist vm1
    export_vda=$(awk '$1 == "vda" { print $3 }' out)
}

# stop: shuts vm1 down.
stop() {
    bp -q shutdown vm1
    [ $rc -eq 0 ] || fail "shutdown: $(cat err)"
    qsd_pid=
}

# define TOP [LAYER...]: vm1 with vda = TOP over the explicit chain LAYER...
define() {
    chain="<source file='$tmp/$1'/>"
    shift
    tail=
    for l in "$@"; do
        chain="$chain<backingStore type='file'><format type='qcow2'/><source file='$tmp/$l'/>"
        tail="$tail</backingStore>"
    done
    cat >vm1.xml <<EOF
<domain><name>vm1</name><devices>
<disk type='file'><driver type='qcow2'/>$chain<backingStore/>$tail<target dev='vda'/></disk>
</devices></domain>
EOF
    bp -q define vm1.xml
    [ $rc -eq 0 ] || { fail "define: $(cat err)"; exit 1; }
}

# overlay NAME BACKING BITMAP...: a new qcow2 overlay with recording bitmaps.
overlay() {
    n=$1
    b=$2
    shift 2
    "$QEMU_IMG" create -q -f qcow2 -b "$tmp/$b" -F qcow2 "$tmp/$n" 16M || exit 99
    for bm in "$@"; do
        "$QEMU_IMG" bitmap --add "$tmp/$n" "$bm" || exit 99
    done
}

# source_of: the top image of vda as the definition says.
source_of() {
    "$blkpoint" -c session -q dumpxml vm1 --xpath "string(//disk/source/@file)"
}

# layers: the number of images in vda's chain as the definition says.
layers() {
    "$blkpoint" -c session -q dumpxml vm1 --xpath "count(//disk//source)"
}

# restart_daemon: stops the daemon (SIGTERM) and waits for it to exit; the
# next client call activates a new one.
restart_daemon() {
    _dp=$(daemon_pid)
    kill "$_dp"
    for _i in $(seq 1 100); do kill -0 "$_dp" 2>/dev/null || break; sleep 0.05; done
}

# interrupt_wait WHAT PATTERN COMMAND ARGS...: runs blkpoint COMMAND ARGS
# (a slow --wait) in the background (stdout int.out, stderr int.err),
# waits until blockjob vm1 vda shows PATTERN (or the command ended), then
# sends it SIGINT and waits for it: its exit status in $rc.  Fails WHAT
# when the job never showed up.
interrupt_wait() {
    _what=$1
    _pat=$2
    shift 2
    "$blkpoint" -c session "$@" >int.out 2>int.err &
    _int_pid=$!
    for _i in $(seq 1 200); do
        "$blkpoint" -c session blockjob vm1 vda >out 2>&1
        grep -q "$_pat" out && break
        kill -0 "$_int_pid" 2>/dev/null || break
        sleep 0.05
    done
    grep -q "$_pat" out || fail "$_what never showed up: $(cat out int.out int.err)"
    kill -INT "$_int_pid"
    wait "$_int_pid"
    rc=$?
}

# ext_write OCTET: qemu-io writes pattern 0x5OCTET at cluster OCTET of
# ext's vda through its NBD export.
ext_write() {
    qemu-io -f raw "nbd+unix:///vda?socket=$tmp/ext/nbd.sock" \
        -c "write -P 0x5$1 $(($1 * CL)) $CL" >/dev/null
}

# ext_setup: the attach runtime.  Defines "ext" (vda: ext/ov.qcow2 over
# ext/base.qcow2) with checkpoint c0 made offline on the base and carried
# into the overlay, runs a qemu-storage-daemon with that chain under node
# names of its own ($ext_pid), starts (attaches) ext and writes clusters
# 1 to 3 through the export.
ext_setup() {
    mkdir -p ext
    "$QEMU_IMG" create -q -f qcow2 ext/base.qcow2 16M || exit 99
    cat >ext.xml <<EOF
<domain><name>ext</name><runtime type='attach'><monitor path='$tmp/ext/qmp.sock'/></runtime>
<devices><disk type='file'><driver type='qcow2'/><source file='$tmp/ext/base.qcow2'/>
<backingStore/><target dev='vda'/></disk></devices></domain>
EOF
    bp -q define ext.xml
    bp -q checkpoint-create-as ext c0
    [ $rc -eq 0 ] || fail "offline checkpoint on the attach domain: $(cat err)"
    "$QEMU_IMG" create -q -f qcow2 -b "$tmp/ext/base.qcow2" -F qcow2 ext/ov.qcow2 16M || exit 99
    "$QEMU_IMG" bitmap --add ext/ov.qcow2 c0 || exit 99
    sed -e "s|<source file='$tmp/ext/base.qcow2'/>|<source file='$tmp/ext/ov.qcow2'/><backingStore type='file'><format type='qcow2'/><source file='$tmp/ext/base.qcow2'/><backingStore/></backingStore>|" \
        -e "s|^<backingStore/><target|<target|" ext.xml >ext2.xml
    bp -q define ext2.xml
    [ $rc -eq 0 ] || fail "redefine the attach domain: $(cat err)"
    "$QEMU_STORAGE_DAEMON" \
        --blockdev "{\"driver\":\"file\",\"node-name\":\"f0\",\"filename\":\"$tmp/ext/base.qcow2\"}" \
        --blockdev '{"driver":"qcow2","node-name":"n0","file":"f0","read-only":true}' \
        --blockdev "{\"driver\":\"file\",\"node-name\":\"f1\",\"filename\":\"$tmp/ext/ov.qcow2\"}" \
        --blockdev '{"driver":"qcow2","node-name":"n1","file":"f1","backing":"n0"}' \
        --nbd-server "addr.type=unix,addr.path=$tmp/ext/nbd.sock" \
        --export type=nbd,id=e1,node-name=n1,name=vda,writable=on \
        --chardev "socket,id=m,path=$tmp/ext/qmp.sock,server=on,wait=off" \
        --monitor chardev=m >ext/log 2>&1 &
    ext_pid=$!
    for _i in $(seq 1 100); do [ -S ext/qmp.sock ] && break; sleep 0.05; done
    bp -q start ext
    [ $rc -eq 0 ] || fail "attach start: $(cat err)"
    for o in 1 2 3; do
        ext_write $o || fail "ext write"
    done
}

# ext_finish WHAT: after the job, writes cluster 4 and checks that c0
# counts all four clusters written (WHAT names the job), then destroys
# ext and stops its qemu-storage-daemon.
ext_finish() {
    ext_write 4 || fail "ext write after the $1"
    got=$("$blkpoint" -c session -q checkpoint-dumpxml ext c0 --no-domain --size \
          --xpath "string(//disk[@name='vda']/@size)")
    [ "$got" = $((4 * CL)) ] && pass "attach runtime: c0 counts every write across the $1" ||
        fail "attach: c0 size $got, want $((4 * CL))"
    bp -q destroy ext
    kill "$ext_pid" 2>/dev/null
    wait "$ext_pid" 2>/dev/null
    ext_pid=
}
