#!/bin/sh
# The checkpoint commands of blkpoint end to end: the client from the
# build tree against blkpointd (activated on a private session bus) and a
# real qemu-storage-daemon running a domain with two disks; data is
# written through the domain's NBD exports with nbdcopy.
#
#   running domain: checkpoint-create-as c1 -> writes -> checkpoint-create
#   c2 from a file -> writes -> c3 (vda only) -> checkpoint-list in every
#   layout -> checkpoint-info, -parent, -dumpxml (--no-domain, --size: the
#   bytes written since each checkpoint, per disk) -> delete c2 (the
#   others' sizes unchanged) -> redefine c2 from its dump -> edit with a
#   sed script (changed, unchanged, renamed, failing editor) ->
#   delete --children-only -> the errors;
#   shut-off domain: the same commands through the offline runtime.
#
# Outputs are compared with the exact text virsh prints for the same
# command (messages, tables, the tree, the empty line that ends each
# command, -q), exit statuses are checked, --json documents are read with
# jq, and the bash completion completes checkpoint names from the daemon.

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

for p in "$DBUS_DAEMON" "$QEMU_IMG" "$QEMU_STORAGE_DAEMON" nbdcopy jq; do
    case $p in no|"") echo "SKIP: a program configure looks for is missing"; exit 77 ;; esac
    command -v "$p" >/dev/null 2>&1 || { echo "SKIP: $p not found"; exit 77; }
done
for p in "$blkpoint" "$blkpointd"; do
    [ -x "$p" ] || { echo "FAIL: $p was not built"; exit 1; }
done

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# Short: the bus and the domain's sockets live below it.
tmp=$(mktemp -d /tmp/bp-cc.XXXXXX) || exit 99
bus_pid=
qsd_pid=
cleanup() {
    # The domain's qemu-storage-daemon outlives the daemon by design;
    # killed only if the pid is still the one of this test's directory.
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

# Messages in English; creation times in a fixed zone (POSIX rule, no
# tzdata needed), also for date(1), which gives the expected texts.
export LC_ALL=C.UTF-8 TZ=EET-2EEST,M3.5.0/3,M10.5.0/4
unset LANGUAGE BLKPOINT_CONNECT VISUAL EDITOR
cd "$tmp" || exit 99

# ---- a session bus that activates blkpointd from the build tree ----------------
. "$top_srcdir/tests/client-testlib.sh"
client_bus_start

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

# expect_fail LINE... : exit status 1, exactly these "error:" lines on
# standard error, and the empty line that ends the command on standard
# output.
expect_fail() {
    : >want
    for l in "$@"; do printf 'error: %s\n' "$l" >>want; done
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

# when NAME: the creation time of checkpoint NAME of vm1 as virsh prints
# it, formatted by date(1) from the time the daemon reports.
when() {
    _t=$("$blkpoint" -c session checkpoint-list vm1 --json |
         jq -r ".[] | select(.name == \"$1\") | .creation_time")
    date -d "@$_t" '+%Y-%m-%d %H:%M:%S %z'
}

# nbdwrite DISK OFFSET LENGTH: writes LENGTH bytes of random data at
# OFFSET (in KiB, both) through the disk's NBD export and nothing else:
# nbdcopy copies a sparse image whose only data is that range, and
# --destination-is-zero makes it skip the holes.
nbdwrite() {
    rm -f wr.raw
    truncate -s 16M wr.raw
    dd if=/dev/urandom of=wr.raw bs=1K seek="$2" count="$3" conv=notrunc status=none
    nbdcopy --destination-is-zero wr.raw "$(eval echo \"\$export_$1\")" 2>nbd.err ||
        fail "nbdcopy to $1: $(cat nbd.err)"
}

# size CHECKPOINT DISK: the size= checkpoint-dumpxml --size reports.
size() {
    "$blkpoint" -c session -q checkpoint-dumpxml vm1 "$1" --no-domain --size \
        --xpath "string(//disk[@name='$2']/@size)"
}

for d in vda vdb; do
    "$QEMU_IMG" create -q -f qcow2 "$tmp/$d.qcow2" 16M || exit 99
done
cat >vm1.xml <<EOF
<domain>
  <name>vm1</name>
  <uuid>0e8a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b</uuid>
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
expect "Domain 'vm1' defined from 'vm1.xml'\n\n" define || exit 1
bp start vm1
expect "Domain 'vm1' started\n\n" start || exit 1
qsd_pid=$("$blkpoint" -c session dominfo vm1 --json | jq -r .pid)
bp -q domblklist vm1
export_vda=$(awk '$1 == "vda" { print $3 }' out)
export_vdb=$(awk '$1 == "vdb" { print $3 }' out)
[ -n "$export_vda" ] && [ -n "$export_vdb" ] || { fail "no exports: $(cat out)"; exit 1; }

# ==== a running domain ==========================================================

bp checkpoint-list vm1
expect ' Name   Creation Time\n-----------------------\n\n' "checkpoint-list, none" &&
    pass "checkpoint-list of a domain without checkpoints: the empty table"

# Written before any checkpoint: counted by none.
nbdwrite vda 8192 1024

start=$(date +%s)
bp checkpoint-create-as vm1 c1 "first checkpoint"
expect "Domain checkpoint c1 created\n" "checkpoint-create-as c1" &&
    pass "checkpoint-create-as: virsh's sentence, ended by the command's empty line"

# Written after c1.
nbdwrite vda 0 1024
nbdwrite vdb 2048 128

cat >c2.xml <<EOF
<domaincheckpoint>
  <name>c2</name>
  <description>second</description>
</domaincheckpoint>
EOF
bp checkpoint-create vm1 c2.xml
expect "Domain checkpoint c2 created from 'c2.xml'\n" "checkpoint-create c2.xml" &&
    pass "checkpoint-create from a file"

# Written after c2.
nbdwrite vda 4096 64

bp -q checkpoint-create-as vm1 --name c3 --diskspec vda --diskspec vdb,checkpoint=no
expect "" "checkpoint-create-as -q" && pass "-q: nothing printed"
end=$(date +%s)

bp checkpoint-create-as vm1 c9 "not & made" vda,bitmap=c9 vdb,checkpoint=no --print-xml
expect "<domaincheckpoint>
  <name>c9</name>
  <description>not &amp; made</description>
  <disks>
    <disk name='vda' bitmap='c9'/>
    <disk name='vdb' checkpoint='no'/>
  </disks>
</domaincheckpoint>

\n" "checkpoint-create-as --print-xml" && pass "--print-xml: virsh's document, positional diskspecs"

# ---- checkpoint-list ------------------------------------------------------------
t1=$(when c1) t2=$(when c2) t3=$(when c3)
bp checkpoint-list vm1 --json
[ "$(jq -r 'map(.name) | join(" ")' out)" = "c1 c2 c3" ] &&
    [ "$(jq -r 'map(.parent // "-") | join(" ")' out)" = "- c1 c2" ] &&
    [ "$(jq -r 'map(select(.current)) | map(.name) | join(" ")' out)" = c3 ] &&
    [ "$(jq -r 'map(.state) | unique | join(" ")' out)" = valid ] &&
    [ "$(jq -r '.[0].description' out)" = "first checkpoint" ] &&
    [ "$(jq -r '.[2].disks | map("\(.target)=\(.checkpoint)/\(.bitmap)") | join(" ")' out)" = \
      "vda=bitmap/c3 vdb=no/null" ] &&
    [ "$(jq -r "map(select(.creation_time < $start or .creation_time > $end)) | length" out)" = 0 ] &&
    pass "checkpoint-list --json: names, parents, current, state, disks, times" ||
    fail "checkpoint-list --json: $(cat out)"

bp checkpoint-list vm1
expect " Name   Creation Time
-----------------------------------
 c1     $t1
 c2     $t2
 c3     $t3

" "checkpoint-list" && pass "checkpoint-list: virsh's table, local time as %Y-%m-%d %H:%M:%S %z"
bp checkpoint-list vm1 --parent
expect "$(printf ' %-4s   %-25s   %s\n' Name 'Creation Time' Parent)
$(printf '%44s' '' | tr ' ' -)
$(printf ' %-4s   %-25s   %s' c1 "$t1" '')
$(printf ' %-4s   %-25s   %s' c2 "$t2" c1)
$(printf ' %-4s   %-25s   %s' c3 "$t3" c2)

" "checkpoint-list --parent" && pass "checkpoint-list --parent: the Parent column, empty for a root"
bp checkpoint-list vm1 --tree
expect "c1
  |
  +- c2
      |
      +- c3
        

" "checkpoint-list --tree" && pass "checkpoint-list --tree: virsh's drawing"
bp checkpoint-list vm1 --name
expect "c1\nc2\nc3\n\n" "checkpoint-list --name"
bp -q checkpoint-list vm1 --roots --name
expect "c1\n" "checkpoint-list --roots"
bp -q checkpoint-list vm1 --leaves --name
expect "c3\n" "checkpoint-list --leaves"
bp -q checkpoint-list vm1 --no-leaves --topological --name
expect "c1\nc2\n" "checkpoint-list --no-leaves --topological"
bp -q checkpoint-list vm1 --leaves --no-leaves --name
expect "" "checkpoint-list --leaves --no-leaves"
bp -q checkpoint-list vm1 --from c1 --name
expect "c2\n" "checkpoint-list --from"
bp -q checkpoint-list vm1 c1 --descendants --topological --name
expect "c2\nc3\n" "checkpoint-list FROM --descendants"
bp -q checkpoint-list vm1 --from c2 --tree
expect "c2\n  |\n  +- c3\n    \n" "checkpoint-list --from --tree"
bp -q checkpoint-list vm1 --roots
expect " c1   $t1\n" "checkpoint-list -q: no header" &&
    pass "checkpoint-list: --roots, --leaves, --no-leaves, --topological, --from, --descendants"

# ---- checkpoint-info, checkpoint-parent -----------------------------------------------
bp checkpoint-info vm1 c2
expect "Name:           c2
Domain:         vm1
Parent:         c1
Children:       1
Descendants:    1
Creation Time:  $t2
Current:        no
State:          valid

" "checkpoint-info c2" && pass "checkpoint-info: virsh's five lines and blkpoint's three"
bp checkpoint-info 0e8a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b c1 --json
[ "$(jq -r '"\(.name) \(.domain) \(.parent) \(.children) \(.descendants) \(.current) \(.description)"' out)" = \
  "c1 vm1 null 1 2 false first checkpoint" ] ||
    fail "checkpoint-info --json (domain by UUID): $(cat out)"
bp -q checkpoint-info vm1 c3
grep -qx "Current:        yes" out && grep -qx "Parent:         c2" out &&
    grep -qx "Descendants:    0" out || fail "checkpoint-info c3: $(cat out)"

bp checkpoint-parent vm1 c3
expect "c2\n" "checkpoint-parent"
bp -q checkpoint-parent vm1 c2
expect "c1" "checkpoint-parent -q: virsh prints no newline"
bp checkpoint-parent vm1 c2 --json
[ "$(jq -r .parent out)" = c1 ] || fail "checkpoint-parent --json: $(cat out)"
bp checkpoint-parent vm1 c1
expect_fail "checkpoint 'c1' has no parent" && pass "checkpoint-parent, and a root's error"

# ---- checkpoint-dumpxml ------------------------------------------------------------
bp -q checkpoint-dumpxml vm1 c2 --no-domain
grep -q '<name>c2</name>' out && grep -q '<description>second</description>' out &&
    grep -q '<parent>' out && ! grep -q '<domain[ >]' out &&
    grep -q "<disk name='vda' checkpoint='bitmap' bitmap='c2'" out ||
    fail "checkpoint-dumpxml --no-domain: $(cat out)"
bp -q checkpoint-dumpxml vm1 c2
grep -q '<domain' out && grep -q "$tmp/vdb.qcow2" out || fail "checkpoint-dumpxml (with the domain): $(cat out)"
cp out c2-saved.xml
bp checkpoint-dumpxml vm1 c2 --json
jq -j .xml out | cmp -s - c2-saved.xml || fail "checkpoint-dumpxml --json: $(cat out)"
bp -q checkpoint-dumpxml vm1 c3 --xpath "string(//disk[@name='vdb']/@checkpoint)"
expect "no\n" "checkpoint-dumpxml --xpath"

# What each checkpoint's bitmaps counted: exactly the bytes written since.
sizes() {
    printf '%s' "c1: $(size c1 vda) $(size c1 vdb); c2: $(size c2 vda) $(size c2 vdb); c3: $(size c3 vda)"
}
got=$(sizes)
want="c1: 1114112 131072; c2: 65536 0; c3: 0"
[ "$got" = "$want" ] && pass "checkpoint-dumpxml --size: the bytes written since each checkpoint, per disk" ||
    fail "checkpoint-dumpxml --size: '$got', want '$want'"
bp -q checkpoint-dumpxml vm1 c3 --no-domain --size
grep -q "<disk name='vda' checkpoint='bitmap' bitmap='c3' size='0'/>" out &&
    grep -q "<disk name='vdb' checkpoint='no'/>" out || fail "checkpoint-dumpxml --size c3: $(cat out)"

# ---- checkpoint-delete, redefine ------------------------------------------------------
bp checkpoint-delete vm1 c2
expect "Domain checkpoint c2 deleted\n\n" "checkpoint-delete c2" && pass "checkpoint-delete"
bp -q checkpoint-list vm1 --tree
expect "c1\n  |\n  +- c3\n    \n" "the tree after deleting c2"
bp -q checkpoint-parent vm1 c3
expect "c1" "c3 moved up to c1"
got=$(printf '%s' "c1: $(size c1 vda) $(size c1 vdb); c3: $(size c3 vda)")
[ "$got" = "c1: 1114112 131072; c3: 0" ] &&
    pass "deleting the middle checkpoint leaves the others' sizes exact" ||
    fail "sizes after deleting c2: '$got'"

# c2 back from its dump: the catalogue's record only (its bitmaps are
# gone, so validating refuses it).
bp checkpoint-create vm1 c2-saved.xml --redefine --redefine-validate
[ $rc -eq 1 ] && grep -q "c2" err || fail "redefine --redefine-validate without bitmaps: rc=$rc $(cat err)"
bp checkpoint-create vm1 c2-saved.xml --redefine
expect "Domain checkpoint c2 created from 'c2-saved.xml'\n" "checkpoint-create --redefine" &&
    pass "checkpoint-create --redefine from a dumped XML"
bp -q checkpoint-list vm1 --parent --name
expect "c1\nc2\nc3\n" "list after redefine"
bp -q checkpoint-parent vm1 c2
expect "c1" "the redefined c2's parent"
bp -q checkpoint-list vm1 --tree
expect "c1\n  |\n  +- c2\n  +- c3\n    \n" "two branches after redefine" &&
    pass "the redefined c2 is a second branch under c1"
bp -q checkpoint-info vm1 c2 --json
[ "$(jq -r .current out)" = false ] || fail "the redefined c2 became current: $(cat out)"
bp checkpoint-delete vm1 c2 --metadata
expect "Domain checkpoint c2 deleted\n\n" "checkpoint-delete --metadata"

# ---- checkpoint-edit ----------------------------------------------------------------
EDITOR="sed -i s/first/edited/" bp checkpoint-edit vm1 c1
expect "Checkpoint c1 edited.\n\n" "checkpoint-edit with a sed script" &&
    pass "checkpoint-edit: the editor's change is redefined"
bp -q checkpoint-dumpxml vm1 c1 --xpath 'string(/domaincheckpoint/description)'
expect "edited checkpoint\n" "the edited description"
[ "$(size c1 vda)" = 1114112 ] || fail "c1 after the edit: size $(size c1 vda)"
EDITOR=true bp checkpoint-edit vm1 c1
expect "Checkpoint c1 XML configuration not changed.\n\n" "checkpoint-edit, unchanged"
VISUAL="sed -i s/edited/visual/" EDITOR=false bp checkpoint-edit vm1 c1 --json
[ "$(jq -r '"\(.name) \(.changed)"' out)" = "c1 true" ] || fail "checkpoint-edit --json with VISUAL: $(cat out)"
EDITOR="sed -i 's/<name>c1</<name>c7</'" bp checkpoint-edit vm1 c1
expect_fail "Cannot rename checkpoint c1 to c7" "Failed to update c1" &&
    pass "checkpoint-edit refuses a rename with virsh's messages"
EDITOR=false bp checkpoint-edit vm1 c1
expect_fail "Failed to update c1" "the editor 'false' failed: Child process exited with code 1"
bp -q checkpoint-list vm1 --name
expect "c1\nc3\n" "nothing renamed or added by the refused edits"

# ---- the completion asks the daemon ---------------------------------------------------------
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
    got=$(complete_words blkpoint -c session checkpoint-info vm1 "")
    [ "$got" = "c1 c3 " ] || fail "completion of a checkpoint: '$got'"
    got=$(complete_words blkpoint -c session checkpoint-list vm1 --from c)
    [ "$got" = "c1 c3 " ] || fail "completion of --from: '$got'"
    got=$(complete_words blkpoint -c session checkpoint-create-as vm1 c4 --diskspec v)
    [ "$got" = "vda vdb " ] || fail "completion of --diskspec: '$got'"
    pass "the completion completes checkpoints and diskspecs from the daemon"
fi

# ---- errors ---------------------------------------------------------------------------------
bp checkpoint-info vm1 nosuch
[ $rc -eq 1 ] && [ "$(wc -l <err)" -eq 1 ] && grep -q "nosuch" err &&
    [ "$(od -An -c out | tr -d ' ')" = '\n' ] ||
    fail "checkpoint-info of an unknown checkpoint: rc=$rc $(cat err)"
nocheckpoint=$(cat err)
bp checkpoint-delete vm1 nosuch
[ $rc -eq 1 ] && [ "$(cat err)" = "$nocheckpoint" ] ||
    fail "checkpoint-delete of an unknown checkpoint: one line, as virsh: $(cat err)"
bp checkpoint-dumpxml vm1 nosuch --json
[ $rc -eq 1 ] && [ "$(jq -r .error.name out)" = org.blkpoint.Blkpoint1.Error.NoCheckpoint ] &&
    [ "$(jq -r '.error.context // "none"' out)" = none ] ||
    fail "checkpoint-dumpxml --json of an unknown checkpoint: $(cat out)"
bp checkpoint-create-as nosuch c5
expect_fail "failed to get domain 'nosuch'" "no domain with matching name or uuid 'nosuch'"
bp checkpoint-create-as vm1 c1
[ $rc -eq 1 ] && [ "$(wc -l <err)" -eq 1 ] && grep -q "c1" err ||
    fail "checkpoint-create-as of an existing name: rc=$rc $(cat err)"
bp checkpoint-create-as vm1 c5 --diskspec vda,frob=1
expect_fail "unable to parse diskspec: vda,frob=1"
bp checkpoint-create vm1 missing.xml
expect_fail "Failed to open file 'missing.xml': No such file or directory"
bp checkpoint-create vm1 --quiesce
[ $rc -eq 1 ] && [ "$(wc -l <err)" -eq 1 ] || fail "checkpoint-create --quiesce: rc=$rc $(cat err)"
bp checkpoint-delete vm1 c1 --children --children-only
[ $rc -eq 1 ] && [ "$(head -n 1 err)" = "error: Failed to delete checkpoint c1" ] &&
    [ "$(wc -l <err)" -eq 2 ] ||
    fail "checkpoint-delete --children --children-only: rc=$rc $(cat err)"
bp checkpoint-list vm1 --tree --leaves
expect_fail "--leaves and --tree are mutually exclusive"
bp -q checkpoint-list vm1 --name
expect "c1\nc3\n" "nothing changed by the failed commands" &&
    pass "errors: exit status 1, virsh's lines, nothing changed"

# ---- delete --children-only ------------------------------------------------------------------
bp -q checkpoint-create-as vm1 c4
bp checkpoint-delete vm1 c1 --children-only
expect "Domain checkpoint c1 children deleted\n\n" "checkpoint-delete --children-only"
bp -q checkpoint-list vm1 --name
expect "c1\n" "only c1 left"
bp -q checkpoint-info vm1 c1 --json
[ "$(jq -r '"\(.children) \(.current)"' out)" = "0 true" ] ||
    fail "c1 after --children-only: $(cat out)"
[ "$(size c1 vda)" = 1114112 ] && pass "checkpoint-delete --children-only keeps c1 exact" ||
    fail "c1 after --children-only: size $(size c1 vda)"

# ==== the same on the shut-off domain (offline runtime) =========================================
bp -q shutdown vm1
expect "" shutdown
qsd_pid=
bp checkpoint-create-as vm1 c5 "offline" --diskspec vdb
expect "Domain checkpoint c5 created\n" "checkpoint-create-as on a shut-off domain" &&
    pass "checkpoint-create-as on the shut-off domain"
bp -q checkpoint-list vm1 --tree
expect "c1\n  |\n  +- c5\n    \n" "the tree, shut off"
bp -q checkpoint-info vm1 c5
grep -qx "Parent:         c1" out && grep -qx "Current:        yes" out &&
    grep -qx "State:          valid" out || fail "checkpoint-info c5 (shut off): $(cat out)"
bp -q checkpoint-parent vm1 c5
expect "c1" "checkpoint-parent, shut off"
bp -q checkpoint-dumpxml vm1 c5 --no-domain --xpath "string(//disk[@name='vda']/@checkpoint)"
expect "no\n" "checkpoint-dumpxml, shut off"
# Unlike libvirt, sizes of a shut-off domain too (from its images).
got=$(printf '%s' "c1: $(size c1 vda) $(size c1 vdb); c5: $(size c5 vda)/$(size c5 vdb)")
[ "$got" = "c1: 1114112 131072; c5: /0" ] &&
    pass "checkpoint-dumpxml --size on the shut-off domain" ||
    fail "checkpoint-dumpxml --size, shut off: '$got'"
EDITOR="sed -i s/offline/edited-offline/" bp checkpoint-edit vm1 c5
expect "Checkpoint c5 edited.\n\n" "checkpoint-edit, shut off"
bp checkpoint-delete vm1 c5
expect "Domain checkpoint c5 deleted\n\n" "checkpoint-delete, shut off"
bp -q checkpoint-list vm1 --name
expect "c1\n" "after deleting c5, shut off" &&
    pass "list, info, parent, dumpxml, edit and delete on the shut-off domain"

# The bitmaps written while shut off are those of the images: c1 still
# counts what was written while it ran, and c6 nothing.
bp -q checkpoint-create-as vm1 c6
bp -q start vm1
qsd_pid=$("$blkpoint" -c session dominfo vm1 --json | jq -r .pid)
got=$(printf '%s' "c1: $(size c1 vda) $(size c1 vdb); c6: $(size c6 vda) $(size c6 vdb)")
[ "$got" = "c1: 1114112 131072; c6: 0 0" ] &&
    pass "checkpoints made and kept while shut off record once the domain runs" ||
    fail "sizes after a restart: '$got'"
bp -q destroy vm1
qsd_pid=

if [ $failures -ne 0 ]; then
    echo "---- daemon log"
    tail -n 100 daemon.log
fi
echo "$failures failure(s)"
[ $failures -eq 0 ]
