#!/bin/sh
# External disk-only snapshots end to end: the client from the build tree
# against blkpointd (activated on a private session bus) and a real
# qemu-storage-daemon running a domain with two disks; guest writes go
# through the NBD exports with qemu-io, backups are started over D-Bus.
#
#   running: write X; full push backup creating c1 (both disks);
#   checkpoint c2 (vda only); write A; snapshot-create-as s1; write B ->
#   the overlays exist, dumpxml shows the longer chains, the sizes of c1
#   and c2 are exactly the bytes of A and B on each disk (both layers);
#   an incremental push backup from c1 restores (on top of the full)
#   byte-equal to the disk and creates c3 (on the overlays only); s2 with
#   vdb excluded; writes; an incremental from c3 restores equal too;
#   snapshot-list (table,
#   --parent, --name, --tree), snapshot-current, snapshot-dumpxml,
#   --print-xml; an existing overlay refused without --reuse-external and
#   left alone; an overlay that cannot be created leaves no file, no
#   record and the old chains; a daemon restart keeps everything;
#   snapshot-delete without --metadata refused, with it only the record
#   goes; after shutdown the overlays hold the carried bitmaps;
#   shut off: snapshot-create-as with qemu-img, then start opens the new
#   chain and the checkpoints still count writes;
#   attach runtime (a qemu-storage-daemon the test starts): the same
#   snapshot over its monitor; its export follows the overlay.

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

for p in "$DBUS_DAEMON" "$QEMU_IMG" "$QEMU_STORAGE_DAEMON" qemu-io jq gdbus; do
    case $p in no|"") echo "SKIP: a program configure looks for is missing"; exit 77 ;; esac
    command -v "$p" >/dev/null 2>&1 || { echo "SKIP: $p not found"; exit 77; }
done
for p in "$blkpoint" "$blkpointd"; do
    [ -x "$p" ] || { echo "FAIL: $p was not built"; exit 1; }
done

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

tmp=$(mktemp -d /tmp/bp-sn.XXXXXX) || exit 99
bus_pid=
qsd_pid=
cleanup() {
    if [ -n "$qsd_pid" ]; then
        case $( (tr '\0' ' ' <"/proc/$qsd_pid/cmdline") 2>/dev/null) in
            *qemu-storage-daemon*"$tmp"*) kill -9 "$qsd_pid" 2>/dev/null ;;
        esac
    fi
    san=0
    if [ -n "$bus_pid" ]; then
        client_bus_stop || san=1
    fi
    rm -rf "$tmp"
    [ $san -eq 0 ] || exit 1
}
trap cleanup EXIT
trap 'exit 1' INT TERM

export LC_ALL=C.UTF-8 TZ=UTC
unset LANGUAGE BLKPOINT_CONNECT
cd "$tmp" || exit 99

. "$top_srcdir/tests/client-testlib.sh"
client_bus_start

CL=65536
dom=/org/blkpoint/Blkpoint1/domain/vm1
D=org.blkpoint.Blkpoint1.Domain

# expect TEXT [WHAT]: standard output is exactly TEXT (printf format),
# nothing on standard error, and the command succeeded.
expect() {
    printf "$1" >want
    if [ $rc -ne 0 ] || ! cmp -s out want || [ -s err ]; then
        fail "${2:-output}: rc=$rc, stdout/want:
$(cat out)
----
$(cat want)
---- stderr: $(cat err)"
        return 1
    fi
    return 0
}

# refused WHAT TEXT: the command failed and said TEXT (a part of it).
refused() {
    if [ $rc -ne 1 ] || ! grep -qF -- "$2" err; then
        fail "$1: rc=$rc, stderr: $(cat err)"
        return 1
    fi
    return 0
}

# write DISK OFFSET LENGTH PATTERN (bytes) through the NBD export.
write() {
    qemu-io -f raw "nbd+unix:///$1?socket=$tmp/run/vm1/nbd.sock" \
        -c "write -P $4 $2 $3" >/dev/null || fail "write $*"
}

# copy TAG: each disk as the guest sees it now.
copy() {
    for d in vda vdb; do
        "$QEMU_IMG" convert -f raw -O raw "nbd+unix:///$d?socket=$tmp/run/vm1/nbd.sock" \
            "$tmp/$d-$1.raw" || fail "copy $d at $1"
    done
}

# size CHECKPOINT DISK: the size= checkpoint-dumpxml --size reports.
size() {
    "$blkpoint" -c session -q checkpoint-dumpxml vm1 "$1" --no-domain --size \
        --xpath "string(//disk[@name='$2']/@size)"
}

# chain DISK: the disk's source and backing files in the live definition.
chain() {
    "$blkpoint" -c session -q dumpxml vm1 ${2:-} \
        --xpath "//disk[target/@dev='$1']//source/@file" |
        sed 's/^ *file="\(.*\)"$/\1/' | sed "s|^$tmp/||" | tr '\n' ' '
}

# backup NAME BACKUPXML CHECKPOINTXML: a push backup over D-Bus, waited for.
backup() {
    r=$(gdbus call --session --dest org.blkpoint.Blkpoint1 --object-path $dom \
        --method $D.BackupBegin "$2" "$3" '{}' 2>&1)
    case $r in "(objectpath "*) ;; *) fail "$1: BackupBegin: $r"; return 1 ;; esac
    for _i in $(seq 1 300); do
        info=$(gdbus call --session --dest org.blkpoint.Blkpoint1 --object-path $dom \
               --method $D.GetJobInfo "{'completed': <true>}" 2>&1)
        case $info in *"'type': <'none'>"*) sleep 0.05 ;; *) break ;; esac
    done
    case $info in
        *"'success': <true>"*) return 0 ;;
        *) fail "$1: $info"; return 1 ;;
    esac
}

# targets PREFIX: the <disks> of a backup into PREFIX-vda.qcow2, PREFIX-vdb.qcow2.
targets() {
    printf "<disks>"
    for d in vda vdb; do
        printf "<disk name='%s' type='file'><target file='%s'/><driver type='qcow2'/></disk>" \
            "$d" "$tmp/$1-$d.qcow2"
    done
    printf "</disks>"
}

for d in vda vdb; do
    "$QEMU_IMG" create -q -f qcow2 "$tmp/$d.qcow2" 16M || exit 99
done
cat >vm1.xml <<EOF
<domain>
  <name>vm1</name>
  <devices>
    <disk type='file' device='disk'>
      <driver type='qcow2'/>
      <source file='$tmp/vda.qcow2'/>
      <target dev='vda'/>
    </disk>
    <disk type='file' device='disk'>
      <driver type='qcow2'/>
      <source file='$tmp/vdb.qcow2'/>
      <target dev='vdb'/>
    </disk>
  </devices>
</domain>
EOF
bp define vm1.xml
bp start vm1
expect "Domain 'vm1' started\n\n" start || exit 1
qsd_pid=$("$blkpoint" -c session dominfo vm1 --json | jq -r .pid)

# ==== running ===================================================================

bp snapshot-list vm1
expect ' Name   Creation Time   State\n-------------------------------\n\n' \
    "snapshot-list, none" && pass "snapshot-list without snapshots: the empty table"
bp snapshot-current vm1
refused "snapshot-current, none" "domain 'vm1' has no current snapshot" &&
    pass "snapshot-current without snapshots refused"

# X, then a full backup creating c1 (both disks), then c2 (vda only).
write vda 0 $CL 0x11
write vdb 0 $CL 0x12
backup full "<domainbackup>$(targets full)</domainbackup>" \
    "<domaincheckpoint><name>c1</name></domaincheckpoint>"
bp -q checkpoint-create-as vm1 c2 --diskspec vda --diskspec vdb,checkpoint=no
[ $rc -eq 0 ] || fail "c2: $(cat err)"

# A: into the original images.
write vda $((2 * CL)) $CL 0xa1
write vdb $((4 * CL)) $CL 0xb1

bp snapshot-create-as vm1 s1 "before B"
refused "without --disk-only" "use --disk-only" &&
    pass "snapshot-create-as without --disk-only refused"
bp snapshot-create-as vm1 s1 "before B" --disk-only
expect "Domain snapshot s1 created\n" "snapshot-create-as s1" &&
    pass "snapshot-create-as: virsh's sentence"
[ -f "$tmp/vda.s1" ] && [ -f "$tmp/vdb.s1" ] &&
    pass "overlays named like libvirt's: vda.s1, vdb.s1" || fail "overlays: $(ls "$tmp")"
got="$(chain vda)| $(chain vdb)| $(chain vda --inactive)"
[ "$got" = "vda.s1 vda.qcow2 | vdb.s1 vdb.qcow2 | vda.s1 vda.qcow2 " ] &&
    pass "live and stored definitions show the chains one longer" ||
    fail "chains after s1: '$got'"

# B: into the overlays.
write vda $((6 * CL)) $((2 * CL)) 0xa2
write vdb $((10 * CL)) $CL 0xb2
got="c1: $(size c1 vda) $(size c1 vdb); c2: $(size c2 vda)/$(size c2 vdb)"
[ "$got" = "c1: $((3 * CL)) $((2 * CL)); c2: $((3 * CL))/" ] &&
    pass "checkpoint sizes count the writes of both layers, per disk" ||
    fail "sizes after s1: '$got'"

# An incremental from c1 restores equal to the disk.
copy t2
backup inc "<domainbackup><incremental>c1</incremental>$(targets inc)</domainbackup>" \
    "<domaincheckpoint><name>c3</name></domaincheckpoint>"
for d in vda vdb; do
    "$QEMU_IMG" convert -O raw "$tmp/inc-$d.qcow2" "$tmp/$d-inc.raw" &&
    "$QEMU_IMG" compare -q -f raw -F raw "$tmp/$d-t2.raw" "$tmp/$d-inc.raw" &&
        pass "incremental from c1 across the snapshot: restored $d equals the disk" ||
        fail "incremental from c1: restored $d differs"
done

# s2: vdb excluded.
bp snapshot-create-as vm1 --name s2 --disk-only --diskspec vdb,snapshot=no
expect "Domain snapshot s2 created\n" "snapshot-create-as s2"
got="$(chain vda)| $(chain vdb)"
[ "$got" = "vda.s2 vda.s1 vda.qcow2 | vdb.s1 vdb.qcow2 " ] &&
    pass "snapshot=no leaves vdb's chain alone" || fail "chains after s2: '$got'"

# c3 was created by a backup on the overlays only; D goes into s2's.
write vda $((9 * CL)) $CL 0xd1
write vdb $((13 * CL)) $CL 0xd2
copy t3
backup inc3 "<domainbackup><incremental>c3</incremental>$(targets inc3)</domainbackup>" ""
for d in vda vdb; do
    "$QEMU_IMG" convert -O raw "$tmp/inc3-$d.qcow2" "$tmp/$d-inc3.raw" &&
    "$QEMU_IMG" compare -q -f raw -F raw "$tmp/$d-t3.raw" "$tmp/$d-inc3.raw" &&
        pass "incremental from c3 (taken on an overlay) across s2: restored $d equals the disk" ||
        fail "incremental from c3: restored $d differs"
done
got="c1: $(size c1 vda) $(size c1 vdb); c3: $(size c3 vda) $(size c3 vdb)"
[ "$got" = "c1: $((4 * CL)) $((3 * CL)); c3: $CL $CL" ] &&
    pass "sizes across two snapshots" || fail "sizes after s2: '$got'"

t1=$("$blkpoint" -c session snapshot-list vm1 --json | jq -r '.[] | select(.name == "s1") | .creation_time')
t2=$("$blkpoint" -c session snapshot-list vm1 --json | jq -r '.[] | select(.name == "s2") | .creation_time')
w1=$(date -d "@$t1" '+%Y-%m-%d %H:%M:%S %z')
w2=$(date -d "@$t2" '+%Y-%m-%d %H:%M:%S %z')
bp snapshot-list vm1
expect " Name   Creation Time               State\n---------------------------------------------------\n s1     $w1   disk-snapshot\n s2     $w2   disk-snapshot\n\n" \
    "snapshot-list" && pass "snapshot-list: virsh's table"
bp snapshot-list vm1 --parent
expect " Name   Creation Time               State           Parent\n------------------------------------------------------------\n s1     $w1   disk-snapshot   \n s2     $w2   disk-snapshot   s1\n\n" \
    "snapshot-list --parent" && pass "snapshot-list --parent"
bp -q snapshot-list vm1 --name
expect "s1\ns2\n" "snapshot-list --name"
bp snapshot-list vm1 --tree
expect "s1\n  |\n  +- s2\n    \n\n" "snapshot-list --tree" && pass "snapshot-list --tree"
bp -q snapshot-current vm1 --name
expect "s2\n" "snapshot-current --name" && pass "snapshot-current --name"
bp snapshot-info vm1 s1
expect "Name:           s1\nDomain:         vm1\nCurrent:        no\nState:          disk-snapshot\nLocation:       external\nParent:         -\nChildren:       1\nDescendants:    1\nMetadata:       yes\n\n" \
    "snapshot-info" && pass "snapshot-info: virsh's lines"
bp -q snapshot-parent vm1 --current
expect "s1\n" "snapshot-parent --current"
bp snapshot-parent vm1 s1
refused "snapshot-parent of a root" "snapshot 's1' has no parent" &&
    pass "snapshot-parent"
bp -q snapshot-dumpxml vm1 s1
grep -q "<name>s1</name>" out && grep -q "<description>before B</description>" out &&
    grep -q "<state>disk-snapshot</state>" out && grep -q "file='$tmp/vda.s1'" out &&
    pass "snapshot-dumpxml" || fail "snapshot-dumpxml: $(cat out) $(cat err)"
bp snapshot-create-as vm1 s9 --print-xml --diskspec vda,file=/x/y,driver=qcow2 --diskspec vdb,snapshot=no
expect "<domainsnapshot>\n  <name>s9</name>\n  <disks>\n    <disk name='vda'>\n      <driver type='qcow2'/>\n      <source file='/x/y'/>\n    </disk>\n    <disk name='vdb' snapshot='no'/>\n  </disks>\n</domainsnapshot>\n\n\n" \
    "--print-xml" && pass "snapshot-create-as --print-xml: virsh's document"

bp snapshot-create-as vm1 s9 --print-xml --diskspec vda,bogus=1
refused "bad diskspec" "unable to parse diskspec: vda,bogus=1" &&
bp snapshot-create-as vm1 s9 --print-xml --no-metadata
refused "--print-xml --no-metadata" "--print-xml is incompatible with --no-metadata" &&
bp snapshot-create-as vm1 s9 --disk-only --quiesce
refused "--quiesce" "quiescing a snapshot is not supported" &&
    pass "snapshot-create-as refusals: a bad diskspec, --print-xml with --no-metadata, --quiesce"

# An existing file is never overwritten without --reuse-external.
printf keep >"$tmp/exists.img"
bp snapshot-create-as vm1 s3 --disk-only --diskspec "vda,file=$tmp/exists.img" --diskspec vdb,snapshot=no
refused "existing overlay" "already exists" &&
    [ "$(cat "$tmp/exists.img")" = keep ] &&
    pass "an existing overlay file is refused and left alone"
# An overlay that cannot be created: vda's, created first, goes again.
bp snapshot-create-as vm1 s3 --disk-only --diskspec "vdb,file=/proc/bp-none/vdb.s3"
refused "uncreatable overlay" "/proc/bp-none/vdb.s3"
got="$(chain vda)| $(chain vdb)| $(chain vda --inactive)"
[ ! -e "$tmp/vda.s3" ] && [ "$got" = "vda.s2 vda.s1 vda.qcow2 | vdb.s1 vdb.qcow2 | vda.s2 vda.s1 vda.qcow2 " ] &&
    [ "$("$blkpoint" -c session -q snapshot-list vm1 --name | tr '\n' ' ')" = "s1 s2 " ] &&
    pass "a failed snapshot leaves no overlay, no record and the old chains" ||
    fail "after a failed snapshot: '$got' $(ls "$tmp")"

# A daemon restart keeps the snapshots and the running chains.
kill "$(daemon_pid)"
for _i in $(seq 1 100); do [ -z "$(daemon_pid)" ] && break; sleep 0.05; done
bp -q snapshot-list vm1 --name
expect "s1\ns2\n" "snapshot-list after a restart"
got="$(chain vda)| $(chain vdb)"
[ "$got" = "vda.s2 vda.s1 vda.qcow2 | vdb.s1 vdb.qcow2 " ] &&
    [ "$(size c1 vda)" = $((4 * CL)) ] &&
    pass "after a daemon restart: snapshots, chains and checkpoints as before" ||
    fail "after a daemon restart: '$got' c1 vda $(size c1 vda)"

# Over D-Bus: the objects, their properties and the named errors.
bp --json snapshot-dumpxml vm1 nosuch
[ $rc -eq 1 ] && [ "$(jq -r .error.name out)" = org.blkpoint.Blkpoint1.Error.NoSnapshot ] &&
    pass "an unknown snapshot is Error.NoSnapshot" || fail "unknown snapshot: $(cat out)"
bp --json snapshot-delete vm1 s1
[ $rc -eq 1 ] && [ "$(jq -r .error.name out)" = org.blkpoint.Blkpoint1.Error.OperationUnsupported ] &&
    pass "Delete without metadata is Error.OperationUnsupported" || fail "delete: $(cat out)"
props=$(gdbus call --session --dest org.blkpoint.Blkpoint1 --object-path $dom/snapshot/s2 \
        --method org.freedesktop.DBus.Properties.GetAll org.blkpoint.Blkpoint1.Snapshot 2>&1)
case $props in
    *"'Parent': <objectpath '$dom/snapshot/s1'>"*"'IsCurrent': <true>"*"'Disks': <[('vda', 'external', '$tmp/vda.s2'), ('vdb', 'no', '')]>"*)
        pass "the Snapshot object's properties" ;;
    *) fail "Snapshot properties: $props" ;;
esac

# Deleting: metadata only.
bp snapshot-delete vm1 s1
refused "snapshot-delete without --metadata" "not supported" &&
    pass "snapshot-delete without --metadata refused"
bp snapshot-delete vm1 s1 --metadata
expect "Domain snapshot s1 deleted\n" "snapshot-delete --metadata"
bp -q snapshot-list vm1 --parent
[ -f "$tmp/vda.s1" ] && [ "$(chain vda)" = "vda.s2 vda.s1 vda.qcow2 " ] &&
    grep -q "^ s2 .* disk-snapshot *$" out && ! grep -q s1 out &&
    pass "snapshot-delete --metadata forgets the record only" ||
    fail "after snapshot-delete: $(cat out) $(chain vda)"

# A checkpoint deleted across the chain: its bitmap goes from every layer
# (the read-only backing layers are reopened read-write for it).
bp checkpoint-delete vm1 c2
expect "Domain checkpoint c2 deleted\n\n" "checkpoint-delete c2 across the snapshots"

# After a clean shutdown the overlays hold the carried bitmaps.
bp -q shutdown vm1
qsd_pid=
bitmaps() {
    "$QEMU_IMG" info --output=json "$tmp/$1" |
        jq -r '[."format-specific".data.bitmaps // [] | .[] | .name] | sort | join(",")'
}
got="vda: $(bitmaps vda.qcow2); vda.s1: $(bitmaps vda.s1); vda.s2: $(bitmaps vda.s2); vdb.s1: $(bitmaps vdb.s1)"
[ "$got" = "vda: c1; vda.s1: c1,c3; vda.s2: c1,c3; vdb.s1: c1,c3" ] &&
    pass "every overlay has a bitmap for each checkpoint valid on its disk; c2 gone from all" ||
    fail "bitmaps in the overlays: '$got'"

# ==== shut off ===================================================================

bp snapshot-create-as vm1 s4 --disk-only
expect "Domain snapshot s4 created\n" "snapshot-create-as, shut off"
got="$(bitmaps vda.s4)/$(bitmaps vdb.s4)"
[ "$got" = "c1,c3/c1,c3" ] && pass "shut off: qemu-img create and bitmap --add" ||
    fail "shut-off overlays: '$got' $(ls "$tmp")"
bp -q snapshot-list vm1 --parent
grep -q "^ s4 .* shutoff  *s2$" out && pass "shut off: state shutoff, parent s2" ||
    fail "snapshot-list after s4: $(cat out)"
bp -q start vm1
qsd_pid=$("$blkpoint" -c session dominfo vm1 --json | jq -r .pid)
got="$(chain vda)| $(chain vdb)"
[ "$got" = "vda.s4 vda.s2 vda.s1 vda.qcow2 | vdb.s4 vdb.s1 vdb.qcow2 " ] &&
    pass "start opens the chain of the shut-off snapshot" || fail "chains after s4: '$got'"
write vdb $((12 * CL)) $CL 0xc2
got="$(size c1 vda) $(size c1 vdb)"
[ "$got" = "$((4 * CL)) $((4 * CL))" ] &&
    pass "checkpoints keep counting on the new overlays" || fail "sizes after s4: '$got'"
bp -q destroy vm1
qsd_pid=

# undefine keeps snapshot records unless told, as virsh does.
bp undefine vm1 --checkpoints-metadata
refused "undefine with snapshots" "cannot delete inactive domain with 2 snapshots" &&
    pass "undefine refused while snapshot records exist"
bp undefine vm1 --checkpoints-metadata --snapshots-metadata
expect "Domain 'vm1' has been undefined\n\n" "undefine --snapshots-metadata" &&
    [ -f "$tmp/vda.s4" ] && pass "undefine --snapshots-metadata: records gone, overlays kept"

# ==== attach runtime: a QEMU somebody else runs ===================================

mkdir -p "$tmp/ext"
for d in vda vdb; do
    "$QEMU_IMG" create -q -f qcow2 "$tmp/ext/$d.qcow2" 16M || exit 99
done
"$QEMU_STORAGE_DAEMON" \
    --blockdev "{\"driver\":\"file\",\"node-name\":\"f0\",\"filename\":\"$tmp/ext/vda.qcow2\"}" \
    --blockdev '{"driver":"qcow2","node-name":"guest0","file":"f0"}' \
    --blockdev "{\"driver\":\"file\",\"node-name\":\"f1\",\"filename\":\"$tmp/ext/vdb.qcow2\"}" \
    --blockdev '{"driver":"qcow2","node-name":"guest1","file":"f1"}' \
    --nbd-server "addr.type=unix,addr.path=$tmp/ext/nbd.sock" \
    --export type=nbd,id=e0,node-name=guest0,name=vda,writable=on \
    --export type=nbd,id=e1,node-name=guest1,name=vdb,writable=on \
    --chardev "socket,id=m,path=$tmp/ext/qmp.sock,server=on,wait=off" \
    --monitor chardev=m >"$tmp/ext/log" 2>&1 &
qsd_pid=$!
for _i in $(seq 1 100); do [ -S "$tmp/ext/qmp.sock" ] && break; sleep 0.05; done
{
    echo "<domain><name>ext</name>"
    echo "<runtime type='attach'><monitor path='$tmp/ext/qmp.sock'/></runtime><devices>"
    for d in vda vdb; do
        echo "<disk type='file'><driver type='qcow2'/><source file='$tmp/ext/$d.qcow2'/>"
        echo "<target dev='$d'/></disk>"
    done
    echo "</devices></domain>"
} >ext.xml
ext_write() {
    qemu-io -f raw "nbd+unix:///$1?socket=$tmp/ext/nbd.sock" -c "write -P 0x33 $2 $3" \
        >/dev/null || fail "ext write $*"
}
bp -q define ext.xml
bp -q start ext
bp -q checkpoint-create-as ext c1
ext_write vda 0 $CL
bp snapshot-create-as ext s1 --disk-only --diskspec vdb,snapshot=no
expect "Domain snapshot s1 created\n" "attach: snapshot-create-as"
ext_write vda $((3 * CL)) $CL
got=$("$blkpoint" -c session -q dumpxml ext --xpath "//disk[target/@dev='vda']//source/@file" |
      sed 's/^ *file="\(.*\)"$/\1/' | sed "s|^$tmp/ext/||" | tr '\n' ' ')
size_ext=$("$blkpoint" -c session -q checkpoint-dumpxml ext c1 --no-domain --size \
           --xpath "string(//disk[@name='vda']/@size)")
[ "$got" = "vda.s1 vda.qcow2 " ] && [ "$size_ext" = $((2 * CL)) ] &&
    pass "attach runtime: the other QEMU's disk gets the overlay, c1 counts both layers" ||
    fail "attach: chain '$got', c1 size '$size_ext'"
bp -q shutdown ext
# Its owner stops it cleanly: the bitmaps reach the images.
kill -TERM $qsd_pid
wait $qsd_pid
qsd_pid=
got="$(bitmaps ext/vda.s1)|$("$QEMU_IMG" info --output=json "$tmp/ext/vda.s1" |
                            jq -r '."full-backing-filename"')"
[ "$got" = "c1|$tmp/ext/vda.qcow2" ] &&
    pass "attach runtime: the overlay holds c1 and backs onto the old image" ||
    fail "attach overlay: '$got'"

if [ $failures -ne 0 ]; then
    echo "---- daemon log"
    tail -n 60 daemon.log
fi
echo "$failures failure(s)"
[ $failures -eq 0 ]
