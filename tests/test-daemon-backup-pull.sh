#!/bin/sh
# Pull backups end to end: blkpointd from the build tree on a private bus,
# a real qemu-storage-daemon (storage runtime, two disks exported over
# NBD on the runtime's own server), guest writes through those exports
# with qemu-io, and blkpoint backup-pull (libnbd) as the consumer.
#
#   pattern A written; a copy of each disk taken (nothing writes); a pull
#   BackupBegin (full, new checkpoint c1); as soon as it answered pattern
#   B overwrites some of A and a background writer keeps writing while
#   the disks are pulled (all after the point in time); a second
#   BackupBegin is refused at once (Busy); the exports sit on the
#   domain's own NBD server; backup-pull of each disk (one with --output,
#   one with --output-dir) reports it with Job.Finish(), and the backup
#   completes only after the second; each pulled file restores to the
#   copy (qemu-img compare); c1 is usable only then;
#   an incremental pull from c1 (new c2): the exported bitmap is
#   qemu:dirty-bitmap:backup-vda and marks exactly the clusters written
#   since c1, each pulled file holds exactly those clusters (qemu-img
#   map) on top of the full (found in the catalogue), and its chain
#   restores to the copy taken at the incremental's start;
#   blkpoint restore of the pulled chain equals the disk at c2;
#   domjobabort before Finish: the backup is cancelled, c3 is gone with its
#   bitmaps, the scratch images and the exports are removed; Finish with
#   bad arguments; a <server> other than the domain's own is refused;
#   tls='yes' on that server and an existing scratch file are refused;
#   a domain whose QEMU has no NBD server (its disks are exported as
#   vhost-user-blk): the backup starts one (unix socket in the runtime
#   directory, then TCP with TLS on 127.0.0.1 on a port of the configured
#   range) and stops it; backup-finish for a third-party consumer.
#   blkpointd.conf sets scratch_dir, the port range and the x509 folder;
#   the domain destroyed while a pull backup serves: the backup fails and
#   its checkpoint stays inconsistent (it owns the bitmaps left behind)
#   until deleted;
#   blkpointd SIGKILLed while a TCP+TLS pull backup of that domain serves:
#   after the restart the server is stopped, the TLS object, exports and
#   scratch files gone, the backup failed, its checkpoint removed, and a
#   new TLS pull backup works;
#   the domain shut off: an incremental pull through the temporary
#   read-only qemu-storage-daemon (exports on a server the backup starts,
#   Start refused with Busy while it serves) pulls nothing new, its chain
#   equals the disk, and the new checkpoint's bitmaps are in the images.

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/daemon-testlib.sh"

dt_require "$DBUS_DAEMON" "$QEMU_IMG" "$QEMU_STORAGE_DAEMON" gdbus qemu-io qemu-nbd nbdinfo openssl
blkpoint=$top_builddir/client/blkpoint
[ -x "$blkpointd" ] && [ -x "$blkpoint" ] || { echo "FAIL: blkpointd/blkpoint not built"; exit 1; }
dt_setup

dt_session_bus
scr=$dt_tmp/scratch
port=$((20000 + $$ % 20000))
mkdir -p "$scr"
# TLS material for the NBD server a backup starts: a CA, a server
# certificate for 127.0.0.1, and the CA alone for the client.
pki=$dt_tmp/pki
mkdir -p "$pki/server" "$pki/client"
(
    cd "$pki" &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out server/ca-cert.pem \
        -days 2 -subj /CN=blkpoint-test-ca &&
    openssl req -newkey rsa:2048 -nodes -keyout server/server-key.pem -out server.csr \
        -subj /CN=localhost &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >ext &&
    openssl x509 -req -in server.csr -CA server/ca-cert.pem -CAkey ca-key.pem \
        -CAcreateserial -out server/server-cert.pem -days 2 -extfile ext &&
    cp server/ca-cert.pem client/
) >/dev/null 2>&1 || { echo "FAIL: cannot make TLS certificates with openssl"; exit 1; }
{
    echo "[backup]"
    echo "nbd_port_min=$port"
    echo "nbd_port_max=$((port + 20))"
    echo "nbd_tls_x509_dir=$pki/server"
    echo "scratch_dir=$scr"
} >"$dt_tmp/blkpointd.conf"
dargs="--session --config $dt_tmp/blkpointd.conf --state-dir $dt_tmp/state --runtime-dir $dt_tmp/run"

root=/org/blkpoint/Blkpoint1
M=org.blkpoint.Blkpoint1.Manager
D=org.blkpoint.Blkpoint1.Domain
J=org.blkpoint.Blkpoint1.Job
dom=$root/domain/bk
CL=65536
dir=$dt_tmp/bk
sock=$dt_tmp/run/bk/nbd.sock

dt_start_daemon "$log" $dargs || dt_finish

mkdir -p "$dir" "$dir/out" "$dir/inc"
for d in vda vdb; do
    "$QEMU_IMG" create -q -f qcow2 "$dir/$d.qcow2" 64M || exit 99
done
# domain_xml NAME DIR EXPORT
domain_xml() {
    _x="<domain><name>$1</name><runtime type='storage'><export type='$3'/></runtime><devices>"
    for _d in vda vdb; do
        _x="$_x<disk type='file'><driver type='qcow2'/>"
        _x="$_x<source file='$2/$_d.qcow2'/><target dev='$_d'/></disk>"
    done
    echo "$_x</devices></domain>"
}
r=$(dt_call --object-path $root --method $M.DefineDomain "$(domain_xml bk "$dir" nbd)" '{}')
[ "$r" = "(objectpath '$dom',)" ] || dt_fail "define: $r"
r=$(dt_call --object-path $dom --method $D.Start '{}')
[ "$r" = "()" ] || dt_fail "start: $r"

bp() { "$blkpoint" -c session "$@" >"$dt_tmp/out" 2>"$dt_tmp/err"; rc=$?; }
write() { dt_nbd_write "$sock" "$@"; }
snap() { dt_nbd_snap "$sock" "$dir" "$1"; }
# begin TAG BACKUPXML CHECKPOINTXML: a pull BackupBegin; sets $job.
begin() {
    r=$(dt_call --object-path $dom --method $D.BackupBegin "$2" "$3" '{}')
    job=$(echo "$r" | sed -n "s/^(objectpath '\(.*\)',)$/\1/p")
    [ -n "$job" ] || { dt_fail "$1: BackupBegin: $r"; return 1; }
}
# ended TAG EXPECTED [DOMAIN]: waits for the completed job info of
# DOMAIN's object path (default bk's), which must match.
ended() {
    _dom=${3:-$dom}
    dt_wait_job_end $_dom "{'completed': <true>, 'keep-completed': <true>}"
    case $info in
        *"$2"*) dt_pass "$1: ended ($2)" ;;
        *) dt_fail "$1: $info" ;;
    esac
    dt_call --object-path $_dom --method $D.GetJobInfo "{'completed': <true>}" >/dev/null
}
# restored TAG DISK FILE: the chain of FILE equals the copy DISK-TAG.raw.
restored() {
    "$QEMU_IMG" convert -O raw "$3" "$dir/$2-$1-restored.raw" &&
    "$QEMU_IMG" compare -q -f raw -F raw "$dir/$2-$1.raw" "$dir/$2-$1-restored.raw" &&
        dt_pass "$1: pulled $2 restores to the disk at the point in time" ||
        dt_fail "$1: pulled $2 differs from the disk at the point in time"
}
# own_data FILE: bytes of data clusters in FILE itself (not its backing).
own_data() {
    "$QEMU_IMG" map --output=json "$1" | grep '"depth": 0' | grep '"data": true' |
        sed 's/.*"length": \([0-9]*\).*/\1/' | awk '{s += $1} END {print s + 0}'
}
exports() {
    nbdinfo --list "nbd+unix:///?socket=$1" 2>&1 | sed -n 's/^export="\(.*\)":$/\1/p' | sort | tr '\n' ' '
}
checkpoints() {
    bp checkpoint-list bk --name
    grep -v '^$' "$dt_tmp/out" | sort | tr '\n' ' '
}
# The background writer: the same clusters (vda 10-17, vdb 50-53) again
# and again through NBD until $dir/stop exists; counts its rounds.
writer() {
    n=0
    while [ ! -e "$dir/stop" ]; do
        qemu-io -f raw "nbd+unix:///vda?socket=$sock" -c "write -P 0xcc $((10 * CL)) $((8 * CL))" \
            >/dev/null 2>&1
        qemu-io -f raw "nbd+unix:///vdb?socket=$sock" -c "write -P 0xcd $((50 * CL)) $((4 * CL))" \
            >/dev/null 2>&1
        n=$((n + 1))
        echo $n >"$dir/rounds"
    done
}

# ---- full pull with c1 -------------------------------------------------------
write vda 0 $((64 * CL)) 0xa1
write vdb $((100 * CL)) $((3 * CL)) 0xb1
snap t1
t0=$(date +%s%N)
begin full "<domainbackup mode='pull'/>" "<domaincheckpoint><name>c1</name></domaincheckpoint>"
t_begin=$(date +%s%N)
# Past the point in time: pattern B over A, and the writer.
write vda 0 $((8 * CL)) 0xee
write vdb $((40 * CL)) $((8 * CL)) 0xef
writer &
writer_pid=$!
dt_track $writer_pid

s0=$(date +%s%N)
r=$(dt_call --object-path $dom --method $D.BackupBegin "<domainbackup mode='pull'/>" "" '{}')
s1=$(date +%s%N)
dt_expect_error Busy "$r" && [ $(( (s1 - s0) / 1000000 )) -lt 2000 ] &&
    dt_pass "second backup refused at once ($(( (s1 - s0) / 1000000 )) ms): $r" ||
    dt_fail "second backup: $r"

[ "$(exports "$sock")" = "backup-vda backup-vdb vda vdb " ] &&
    dt_pass "the backup's exports join the domain's own NBD server" ||
    dt_fail "exports: $(exports "$sock")"
xml=$(dt_call --object-path $dom --method $D.BackupGetXMLDesc '{}')
case $xml in
    *"<server transport='unix' socket='$sock'/>"*"exportname='backup-vda'"*) dt_pass "dumpxml names the server and exports" ;;
    *) dt_fail "dumpxml: $xml" ;;
esac
case $(nbdinfo --list "nbd+unix:///backup-vda?socket=$sock" 2>&1) in
    *dirty-bitmap*) dt_fail "a full pull export carries a bitmap" ;;
    *base:allocation*) dt_pass "full pull export: base:allocation only" ;;
    *) dt_fail "nbdinfo on the full export" ;;
esac
case $(checkpoints) in *c1*) dt_fail "c1 listed before the backup completed: $(checkpoints)" ;; esac

bp backup-pull bk --disk vda --output "$dir/full-vda.qcow2" --connections 2 --requests 4
[ $rc = 0 ] && dt_pass "backup-pull vda: $(cat "$dt_tmp/out")" ||
    dt_fail "backup-pull vda: $(cat "$dt_tmp/err")"
info=$(dt_call --object-path $dom --method $D.GetJobInfo '{}')
case $info in
    *"'type': <'unbounded'>"*) dt_pass "one disk reported: the backup still serves" ;;
    *) dt_fail "after one disk: $info" ;;
esac
bp backup-pull bk --disk vdb --output-dir "$dir/out"
[ $rc = 0 ] && dt_pass "backup-pull vdb: $(cat "$dt_tmp/out")" ||
    dt_fail "backup-pull vdb: $(cat "$dt_tmp/err")"
t_full=$(date +%s%N)
ended full "'success': <true>"
touch "$dir/stop"
wait $writer_pid
rm -f "$dir/stop"
[ "$(cat "$dir/rounds" 2>/dev/null || echo 0)" -ge 1 ] &&
    dt_pass "the writer wrote $(cat "$dir/rounds") rounds during the pull" ||
    dt_fail "the writer never finished a round"
restored t1 vda "$dir/full-vda.qcow2"
restored t1 vdb "$dir/out/bk-vdb-1.qcow2"
case $(checkpoints) in *c1*) dt_pass "c1 usable once the backup completed" ;; *) dt_fail "no c1: $(checkpoints)" ;; esac
[ "$(exports "$sock")" = "vda vdb " ] && dt_pass "exports removed" || dt_fail "exports left: $(exports "$sock")"
[ -z "$(ls "$scr")" ] && dt_pass "scratch images removed" || dt_fail "scratch left: $(ls "$scr")"
list=$(dt_call --object-path $dom --method $D.ListBackups '{}')
case $list in
    *"'mode': <'pull'>"*"'status': <'completed'>"*"('vda', '$dir/full-vda.qcow2', 'qcow2'), ('vdb', '$dir/out/bk-vdb-1.qcow2', 'qcow2')"*)
        dt_pass "catalogue: completed pull backup with the pulled files" ;;
    *) dt_fail "list: $list" ;;
esac

# ---- incremental pull from c1 with c2 -----------------------------------------
write vdb $((200 * CL)) $CL 0xb3
snap t2
# This one through the client, as a user would start it.
echo "<domainbackup mode='pull'><incremental>c1</incremental></domainbackup>" >"$dt_tmp/inc.xml"
echo "<domaincheckpoint><name>c2</name></domaincheckpoint>" >"$dt_tmp/c2.xml"
bp backup-begin bk "$dt_tmp/inc.xml" "$dt_tmp/c2.xml"
[ $rc = 0 ] && grep -q "Backup started" "$dt_tmp/out" || dt_fail "backup-begin: $(cat "$dt_tmp/err")"
write vda 0 $((8 * CL)) 0xdd
write vdb $((300 * CL)) $CL 0xde
# Dirty since c1: vda 0-7 (B), 10-17 (writer); vdb 40-47 (B), 50-53 (writer), 200.
map=$(nbdinfo --map=qemu:dirty-bitmap:backup-vda "nbd+unix:///backup-vda?socket=$sock" 2>&1 |
      awk '$3 == 1 {printf "%s+%s ", $1, $2}')
[ "$map" = "0+$((8 * CL)) $((10 * CL))+$((8 * CL)) " ] &&
    dt_pass "qemu:dirty-bitmap:backup-vda marks exactly what was written since c1" ||
    dt_fail "dirty map of vda: $map"
bp backup-pull bk --output-dir "$dir/inc" --json
[ $rc = 0 ] && dt_pass "backup-pull of both disks: $(cat "$dt_tmp/out")" ||
    dt_fail "backup-pull incremental: $(cat "$dt_tmp/err")"
t_inc=$(date +%s%N)
ended inc "'success': <true>"
restored t2 vda "$dir/inc/bk-vda-2.qcow2"
restored t2 vdb "$dir/inc/bk-vdb-2.qcow2"
[ "$(own_data "$dir/inc/bk-vda-2.qcow2")" = $((16 * CL)) ] &&
    [ "$(own_data "$dir/inc/bk-vdb-2.qcow2")" = $((13 * CL)) ] &&
    dt_pass "incremental files hold exactly the dirty clusters (16 and 13)" ||
    dt_fail "incremental holds $(own_data "$dir/inc/bk-vda-2.qcow2") / $(own_data "$dir/inc/bk-vdb-2.qcow2") bytes"
case $("$QEMU_IMG" info "$dir/inc/bk-vdb-2.qcow2") in
    *"backing file: $dir/out/bk-vdb-1.qcow2"*) dt_pass "incremental sits on the full pulled file (catalogue)" ;;
    *) dt_fail "backing: $("$QEMU_IMG" info "$dir/inc/bk-vdb-2.qcow2")" ;;
esac
case $(checkpoints) in "c1 c2 ") dt_pass "c2 usable" ;; *) dt_fail "checkpoints: $(checkpoints)" ;; esac
# blkpoint restore finds the pulled files in the catalogue.
for d in vda vdb; do
    bp restore bk $d "$dir/$d-t2-restore.raw" --checkpoint c2 --format raw
    [ $rc = 0 ] && "$QEMU_IMG" compare -q -f raw -F raw "$dir/$d-t2.raw" "$dir/$d-t2-restore.raw" &&
        dt_pass "restore --checkpoint c2 of $d equals the disk at that point" ||
        dt_fail "restore $d: rc=$rc $(cat "$dt_tmp/err")"
done

# ---- abort before Finish --------------------------------------------------------
write vdb $((500 * CL)) $CL 0xb5
begin abort "<domainbackup mode='pull'><incremental>c2</incremental></domainbackup>" \
    "<domaincheckpoint><name>c3</name></domaincheckpoint>"
scratch=$(ls "$scr" | tr '\n' ' ')
[ "$scratch" = "vda.qcow2.c3 vdb.qcow2.c3 " ] && dt_pass "scratch images in scratch_dir" ||
    dt_fail "scratch images: $scratch"
r=$(dt_call --object-path "$job" --method $J.Finish "{'disks': <['vdc']>}")
dt_expect_error InvalidArgument "$r" && dt_pass "Finish of an unknown disk refused" || dt_fail "Finish vdc: $r"
r=$(dt_call --object-path "$job" --method $J.Finish "{'outputs': <{'vda': 'rel.qcow2'}>}")
dt_expect_error InvalidArgument "$r" && dt_pass "Finish with a relative output refused" || dt_fail "Finish rel: $r"
# A client still connected when the backup is aborted: it is
# disconnected, and every export and node still goes without a warning.
# The reader reads once (its answer in holder.out proves the connection)
# and then stays connected until its input ends.
{ echo "read 0 512"; sleep 10; } |
    qemu-io -r -f raw "nbd+unix:///backup-vda?socket=$sock" >"$dt_tmp/holder.out" 2>&1 &
holder=$!
dt_track $holder
for _i in $(seq 1 200); do
    grep -q "^qemu-io> read 512/512 bytes" "$dt_tmp/holder.out" && break
    sleep 0.05
done
grep -q "^qemu-io> read 512/512 bytes" "$dt_tmp/holder.out" &&
    kill -0 $holder 2>/dev/null && dt_pass "a reader is connected to the export before the abort" ||
    dt_fail "the reader did not connect within 10 s: $(cat "$dt_tmp/holder.out")"
warnings=$(grep -c 'clean-up' "$log")
bp domjobabort bk
[ $rc = 0 ] || dt_fail "domjobabort: $(cat "$dt_tmp/err")"
ended abort "'type': <'cancelled'>"
[ "$(grep -c 'clean-up' "$log")" = "$warnings" ] &&
    dt_pass "aborted with a client connected: every node removed without a warning" ||
    dt_fail "clean-up warnings: $(grep 'clean-up' "$log")"
case $(checkpoints) in "c1 c2 ") dt_pass "aborted: c3 removed" ;; *) dt_fail "after abort: $(checkpoints)" ;; esac
r=$(dt_call --object-path $dom --method $D.CheckpointCreate "<domaincheckpoint><name>c3</name></domaincheckpoint>" '{}')
case $r in
    *objectpath*) dt_pass "c3's bitmaps are gone from QEMU (a new c3 can be created)" ;;
    *) dt_fail "new c3: $r" ;;
esac
[ -z "$(ls "$scr")" ] && dt_pass "aborted: scratch images removed" || dt_fail "scratch left: $(ls "$scr")"
[ "$(exports "$sock")" = "vda vdb " ] && dt_pass "aborted: no export left" || dt_fail "exports left: $(exports "$sock")"
r=$(dt_call --object-path "$job" --method $J.Finish '{}')
case $r in *Error*) dt_pass "Finish after the end refused" ;; *) dt_fail "Finish after abort: $r" ;; esac
list=$(dt_call --object-path $dom --method $D.ListBackups '{}')
case $list in
    *"'status': <'cancelled'>"*) dt_pass "catalogue: aborted pull recorded as cancelled" ;;
    *) dt_fail "list: $list" ;;
esac
bp backup-pull bk --output-dir "$dir"
[ $rc != 0 ] && grep -q "no backup is running" "$dt_tmp/err" && dt_pass "backup-pull without a backup refused" ||
    dt_fail "backup-pull without backup: rc=$rc $(cat "$dt_tmp/err")"

# ---- refusals -----------------------------------------------------------------------
r=$(dt_call --object-path $dom --method $D.BackupBegin "<domainbackup mode='pull'><server name='127.0.0.1' port='10809'/></domainbackup>" "" '{}')
case $r in
    *ConfigUnsupported*"unix:$sock"*"tcp:127.0.0.1:10809"*) dt_pass "another <server> refused, naming both" ;;
    *) dt_fail "other server: $r" ;;
esac
r=$(dt_call --object-path $dom --method $D.BackupBegin "<domainbackup mode='pull'><server transport='unix' socket='$sock' tls='yes'/></domainbackup>" "" '{}')
dt_expect_error ConfigUnsupported "$r" && dt_pass "tls='yes' on the domain's own server (no TLS) refused" ||
    dt_fail "tls: $r"
r=$(dt_call --object-path $dom --method $D.BackupBegin "<domainbackup mode='pull'><disks><disk name='vda' type='file'><scratch file='$dir/vda.qcow2'/></disk></disks></domainbackup>" "" '{}')
dt_expect_error Exists "$r" && dt_pass "a scratch file that exists (the disk itself) refused" ||
    dt_fail "existing scratch: $r"
[ -z "$(ls "$dir" | grep -v '\.\(qcow2\|raw\)$' | grep -v '^\(out\|inc\|rounds\)$')" ] ||
    dt_fail "files left after refusals: $(ls "$dir")"
r=$(dt_call --object-path $dom --method $D.Destroy '{}')

# ---- a QEMU without an NBD server -------------------------------------------------
nd=$dt_tmp/nd
ndom=$root/domain/nd
mkdir -p "$nd"
for d in vda vdb; do
    "$QEMU_IMG" create -q -f qcow2 "$nd/$d.qcow2" 16M || exit 99
    qemu-io -f qcow2 "$nd/$d.qcow2" -c "write -P 0x77 $CL $((3 * CL))" >/dev/null || exit 99
    "$QEMU_IMG" convert -O raw "$nd/$d.qcow2" "$nd/$d-ref.raw" || exit 99
done
r=$(dt_call --object-path $root --method $M.DefineDomain "$(domain_xml nd "$nd" vhost-user-blk)" '{}')
[ "$r" = "(objectpath '$ndom',)" ] || dt_fail "define nd: $r"
r=$(dt_call --object-path $ndom --method $D.Start '{}')
[ "$r" = "()" ] || dt_fail "start nd: $r"
own=$dt_tmp/run/nd/backup-nbd.sock
r=$(dt_call --object-path $ndom --method $D.BackupBegin "<domainbackup mode='pull'/>" "" '{}')
case $r in *objectpath*) ;; *) dt_fail "nd: BackupBegin: $r" ;; esac
[ "$(exports "$own")" = "backup-vda backup-vdb " ] &&
    dt_pass "no NBD server in QEMU: one started on $own" || dt_fail "nd exports: $(exports "$own")"
bp backup-pull nd --output-dir "$nd"
[ $rc = 0 ] || dt_fail "nd backup-pull: $(cat "$dt_tmp/err")"
for d in vda vdb; do
    "$QEMU_IMG" compare -q -f raw "$nd/$d-ref.raw" "$(ls "$nd"/nd-$d-*.qcow2)" &&
        dt_pass "nd: pulled $d equals the disk" || dt_fail "nd: pulled $d differs"
done
for _i in $(seq 1 100); do [ -e "$own" ] || break; sleep 0.05; done
[ ! -e "$own" ] && dt_pass "the server the backup started is stopped" || dt_fail "$own left"
case $(dt_prop $root Manager Features) in
    *"'backup-pull', 'backup-pull-tls'"*) dt_pass "Features: backup-pull, backup-pull-tls" ;;
    *) dt_fail "Features: $(dt_prop $root Manager Features)" ;;
esac
r=$(dt_call --object-path $ndom --method $D.BackupBegin "<domainbackup mode='pull'><server name='127.0.0.1' tls='yes'/></domainbackup>" "" '{}')
case $r in *objectpath*) ;; *) dt_fail "nd tcp: BackupBegin: $r" ;; esac
xml=$(dt_call --object-path $ndom --method $D.BackupGetXMLDesc '{}')
case $xml in
    *"port='$port'"*) dt_pass "TCP port taken from nbd_port_min..nbd_port_max" ;;
    *) dt_fail "nd tcp xml: $xml" ;;
esac
case $(nbdinfo --list "nbd://127.0.0.1:$port" 2>&1) in
    *backup-vda*) dt_fail "TLS server answered a client without TLS" ;;
    *) dt_pass "TLS required on TCP" ;;
esac
bp backup-pull nd --disk vdb --output "$nd/tcp-vdb.qcow2"
[ $rc != 0 ] && grep -q -- --tls-dir "$dt_tmp/err" && dt_pass "backup-pull of a TLS server without a CA refused" ||
    dt_fail "backup-pull without --tls-dir: rc=$rc $(cat "$dt_tmp/err")"
mkdir -p "$pki/other"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/other/key.pem" -out "$pki/other/ca-cert.pem" \
    -days 2 -subj /CN=another-ca >/dev/null 2>&1
bp backup-pull nd --disk vdb --output "$nd/tcp-vdb.qcow2" --tls-dir "$pki/other"
[ $rc != 0 ] && [ ! -e "$nd/tcp-vdb.qcow2" ] && dt_pass "a server certificate of another CA refused" ||
    dt_fail "backup-pull trusted a certificate of another CA: $(cat "$dt_tmp/err")"
bp backup-pull nd --disk vdb --output "$nd/tcp-vdb.qcow2" --tls-dir "$pki/client"
[ $rc = 0 ] && "$QEMU_IMG" compare -q -f raw "$nd/vdb-ref.raw" "$nd/tcp-vdb.qcow2" &&
    dt_pass "pulled over TCP with TLS" || dt_fail "tls pull: $(cat "$dt_tmp/err")"
bp backup-finish nd --output vda="$nd/elsewhere.qcow2"
[ $rc = 0 ] || dt_fail "backup-finish: $(cat "$dt_tmp/err")"
for _i in $(seq 1 200); do
    info=$(dt_call --object-path $ndom --method $D.GetJobInfo "{'completed': <true>}")
    case $info in *"'type': <'none'>"*) sleep 0.05 ;; *) break ;; esac
done
case $info in *"'success': <true>"*) dt_pass "backup-finish completed the backup" ;; *) dt_fail "nd tcp: $info" ;; esac
case $(dt_call --object-path $ndom --method $D.ListBackups '{}') in
    *"('vda', '$nd/elsewhere.qcow2', 'qcow2'), ('vdb', '$nd/tcp-vdb.qcow2', 'qcow2')"*) dt_pass "backup-finish recorded the reported file" ;;
    *) dt_fail "nd list: $(dt_call --object-path $ndom --method $D.ListBackups '{}')" ;;
esac
nbdinfo --list "nbd://127.0.0.1:$port" >/dev/null 2>&1 && dt_fail "TCP server still listening"

# The domain goes away while a pull backup serves: the backup fails; the
# new checkpoint's bitmaps could not be removed, so it stays, unusable,
# until deleted.
r=$(dt_call --object-path $ndom --method $D.BackupBegin "<domainbackup mode='pull'/>" "<domaincheckpoint><name>cx</name></domaincheckpoint>" '{}')
case $r in *objectpath*) ;; *) dt_fail "nd cx: BackupBegin: $r" ;; esac
r=$(dt_call --object-path $ndom --method $D.Destroy '{}')
for _i in $(seq 1 200); do
    info=$(dt_call --object-path $ndom --method $D.GetJobInfo "{'completed': <true>}")
    case $info in *"'type': <'none'>"*) sleep 0.05 ;; *) break ;; esac
done
case $info in *"'type': <'failed'>"*) dt_pass "destroyed while serving: the backup failed" ;; *) dt_fail "destroyed: $info" ;; esac
bp checkpoint-info nd cx
grep -q "State: *inconsistent" "$dt_tmp/out" && grep -q "did not complete" "$dt_tmp/out" &&
    dt_pass "its checkpoint stays, inconsistent, owning the bitmaps left in the images" ||
    dt_fail "cx after destroy: $(cat "$dt_tmp/out" "$dt_tmp/err")"
[ -z "$(ls "$scr")" ] && dt_pass "destroyed: scratch images removed" || dt_fail "scratch left: $(ls "$scr")"
r=$(dt_call --object-path $ndom --method $D.Start '{}')
bp checkpoint-delete nd cx
[ $rc = 0 ] || dt_fail "delete cx: $(cat "$dt_tmp/err")"
r=$(dt_call --object-path $ndom --method $D.CheckpointCreate "<domaincheckpoint><name>cx</name></domaincheckpoint>" '{}')
case $r in *objectpath*) dt_pass "after deleting it, its bitmaps are gone (cx can be created again)" ;; *) dt_fail "new cx: $r" ;; esac
r=$(dt_call --object-path $ndom --method $D.Destroy '{}')

# ---- blkpointd killed while a pull backup serves ---------------------------------
# nd's QEMU has no NBD server: the backup started one (TCP with TLS, and
# its TLS credentials object).  After SIGKILL and a restart, the QEMU
# that kept running has neither any more, nor the exports; the scratch
# files are gone, the backup failed, its checkpoint removed; a new TLS
# pull backup (the same server and object again) works.
r=$(dt_call --object-path $ndom --method $D.Start '{}')
[ "$r" = "()" ] || dt_fail "start nd again: $r"
r=$(dt_call --object-path $ndom --method $D.BackupBegin "<domainbackup mode='pull'><server name='127.0.0.1' tls='yes'/></domainbackup>" "<domaincheckpoint><name>ck</name></domaincheckpoint>" '{}')
case $r in *objectpath*) ;; *) dt_fail "nd ck: BackupBegin: $r" ;; esac
xml=$(dt_call --object-path $ndom --method $D.BackupGetXMLDesc '{}')
kport=$(echo "$xml" | sed -n "s/.*port='\([0-9]*\)'.*/\1/p")
[ -n "$kport" ] && [ -n "$(ls "$scr")" ] || dt_fail "nd ck: no port or scratch: $xml"
kill -KILL "$dt_daemon_pid"
wait "$dt_daemon_pid" 2>/dev/null
nbdinfo --list "nbds://127.0.0.1:$kport/?tls-certificates=$pki/client" >/dev/null 2>&1 ||
    dt_fail "the killed backup's TLS server was not serving"
dt_start_daemon "$log" $dargs || dt_finish
dt_wait_prop $ndom Domain State "(<'running'>,)" || dt_fail "nd after restart: $(dt_prop $ndom Domain State)"
for _i in $(seq 1 100); do
    list=$(dt_call --object-path $ndom --method $D.ListBackups '{}')
    case $list in *"'status': <'failed'>, 'incremental': <''>, 'checkpoint': <'ck'>"*) break ;; esac
    sleep 0.1
done
case $list in
    *"'status': <'failed'>, 'incremental': <''>, 'checkpoint': <'ck'>"*) dt_pass "killed pull backup recorded failed" ;;
    *) dt_fail "killed pull backup: $list" ;;
esac
r=$(dt_call --object-path $ndom --method $D.CheckpointLookupByName ck '{}')
dt_expect_error NoCheckpoint "$r" && dt_pass "killed pull backup's checkpoint removed" || dt_fail "ck: $r"
[ -z "$(ls "$scr")" ] && dt_pass "killed pull backup's scratch files removed" || dt_fail "scratch left: $(ls "$scr")"
nbdinfo --list "nbds://127.0.0.1:$kport/?tls-certificates=$pki/client" >/dev/null 2>&1 &&
    dt_fail "the killed backup's NBD server still serves" ||
    dt_pass "the killed backup's NBD server was stopped"
r=$(dt_call --object-path $ndom --method $D.BackupBegin "<domainbackup mode='pull'><server name='127.0.0.1' tls='yes'/></domainbackup>" "<domaincheckpoint><name>ck</name></domaincheckpoint>" '{}')
case $r in *objectpath*) dt_pass "a new TLS pull backup starts (server and TLS object were removed)" ;;
    *) dt_fail "TLS pull after the restart: $r" ;; esac
rm -f "$nd/ck-vdb.qcow2"
bp backup-pull nd --disk vda --output "$nd/ck-vda.qcow2" --tls-dir "$pki/client"
[ $rc = 0 ] || dt_fail "ck vda pull: $(cat "$dt_tmp/err")"
bp backup-pull nd --disk vdb --output "$nd/ck-vdb.qcow2" --tls-dir "$pki/client"
[ $rc = 0 ] && "$QEMU_IMG" compare -q -f raw "$nd/vdb-ref.raw" "$nd/ck-vdb.qcow2" &&
    dt_pass "after the restart: pulled vdb equals the disk" || dt_fail "ck pull: $(cat "$dt_tmp/err")"
ended ck "'success': <true>" $ndom
r=$(dt_call --object-path $ndom --method $D.Shutdown '{}')
[ "$r" = "()" ] || dt_fail "shutdown nd: $r"

# ---- a shut-off domain -------------------------------------------------------------
# A temporary read-only qemu-storage-daemon without an NBD server: the
# backup starts one on a unix socket in the runtime directory; Start is
# Busy while it serves; the new checkpoint's bitmaps are in the images
# after Finish; nothing is left.
dt_wait_prop $ndom Domain State "(<'shutoff'>,)" || dt_fail "nd not shut off"
r=$(dt_call --object-path $ndom --method $D.BackupBegin "<domainbackup mode='pull'><incremental>ck</incremental></domainbackup>" "<domaincheckpoint><name>coff</name></domaincheckpoint>" '{}')
case $r in *objectpath*) ;; *) dt_fail "offline pull: BackupBegin: $r" ;; esac
[ "$(exports "$own")" = "backup-vda backup-vdb " ] &&
    dt_pass "shut off: the backup's exports on $own" || dt_fail "offline exports: $(exports "$own")"
r=$(dt_call --object-path $ndom --method $D.Start '{}')
dt_expect_error Busy "$r" && dt_pass "Start while a shut-off domain's pull backup serves: Busy" ||
    dt_fail "Start during the offline pull: $r"
mkdir -p "$nd/off"
bp backup-pull nd --output-dir "$nd/off" --backing "$nd/ck-vda.qcow2" --disk vda
[ $rc = 0 ] || dt_fail "offline backup-pull vda: $(cat "$dt_tmp/err")"
bp backup-pull nd --output-dir "$nd/off" --backing "$nd/ck-vdb.qcow2" --disk vdb
[ $rc = 0 ] || dt_fail "offline backup-pull vdb: $(cat "$dt_tmp/err")"
ended offline "'success': <true>" $ndom
for d in vda vdb; do
    f=$(ls "$nd"/off/nd-$d-*.qcow2)
    [ "$(own_data "$f")" = 0 ] && "$QEMU_IMG" compare -q -f raw "$nd/$d-ref.raw" "$f" &&
        dt_pass "shut off: incremental $d pulled nothing new and its chain equals the disk" ||
        dt_fail "shut off: $d: $(own_data "$f") own bytes, or it differs"
    case $("$QEMU_IMG" info "$nd/$d.qcow2") in
        *"name: coff"*) dt_pass "shut off: coff's bitmap is in $d's image" ;;
        *) dt_fail "no coff bitmap in $d" ;;
    esac
done
[ ! -e "$own" ] && [ -z "$(ls "$scr")" ] && [ -z "$(pgrep -f -- "$dt_tmp/run/nd/backup/")" ] &&
    dt_pass "shut off: no socket, scratch file or temporary daemon left" ||
    dt_fail "shut off leftovers: $(ls "$own" "$scr" 2>&1)"

echo "figures: full pull begin $(( (t_begin - t0) / 1000000 )) ms; begin to completed (2x64 MiB, writer running) $(( (t_full - t0) / 1000000 )) ms; incremental (29 dirty clusters) begin to completed $(( (t_inc - t_full) / 1000000 )) ms (wall, includes qemu-img copies)"
dt_finish
