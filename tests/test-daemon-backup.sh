#!/bin/sh
# Push backups end to end over D-Bus on a private bus: blkpointd from the
# build tree, a real qemu-storage-daemon (storage runtime), two disks,
# guest writes through the NBD exports with qemu-io.
#
#   data written; a copy of each disk taken (nothing writes); BackupBegin
#   (full) creating checkpoint c1; as soon as it answered, a writer keeps
#   writing through NBD while the copy runs (those writes are after the
#   point in time and must not be in the backup); the Job object's
#   Completed signal; restore (qemu-img convert of the target) equals the
#   copy byte for byte (qemu-img compare);
#   the same for an incremental from c1 creating c2 (its target's backing
#   file is the full's target; only the dirty clusters were copied) and a
#   differential from c1; an existing target refused and untouched; an
#   unknown base refused; GetJobInfo with "completed" (read once);
#   ListBackups; BackupGetXMLDesc and AbortJob without a backup refused.
# (Cancelling before the copy, the busy refusal and a broken bitmap chain are
# covered by tests/test-jobs-backup.c; over D-Bus the copy of these small
# disks ends before a second call could arrive.)

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/daemon-testlib.sh"

dt_session_setup qemu-io

root=/org/blkpoint/Blkpoint1
M=org.blkpoint.Blkpoint1.Manager
D=org.blkpoint.Blkpoint1.Domain
dom=$root/domain/bk
CL=65536
dir=$dt_tmp/bk
sock=$dt_tmp/run/bk/nbd.sock

dt_start_daemon "$log" $dargs || dt_finish

dt_domain_2disks bk "$dir" 64M
dt_domain_start bk

write() { dt_nbd_write "$sock" "$@"; }
snap() { dt_nbd_snap "$sock" "$dir" "$1"; }
# begin TAG BACKUPXML CHECKPOINTXML: BackupBegin, then a writer through
# NBD while the copy runs, then waits for the end.  Prints the job path.
begin() {
    gdbus monitor --session --dest org.blkpoint.Blkpoint1 > "$dt_tmp/monitor.$1" 2>&1 &
    mon=$!
    sleep 0.2
    r=$(dt_call --object-path $dom --method $D.BackupBegin "$2" "$3" '{}')
    job=$(echo "$r" | sed -n "s/^(objectpath '\(.*\)',)$/\1/p")
    [ -n "$job" ] || { dt_fail "$1: BackupBegin: $r"; return 1; }
    # After the answer: past the point in time.
    i=0
    while [ $i -lt 8 ]; do
        write vda $((i * CL)) $CL 0xee
        write vdb $((40 * CL + i * CL)) 4096 0xef
        i=$((i + 1))
    done
    dt_wait_job_end $dom "{'completed': <true>, 'keep-completed': <true>}"
    sleep 0.2
    kill $mon 2>/dev/null
    wait $mon 2>/dev/null
    case $info in
        *"'success': <true>"*) dt_pass "$1: completed ($info)" ;;
        *) dt_fail "$1: $info"; return 1 ;;
    esac
    grep -q "^$job: org.blkpoint.Blkpoint1.Job.Completed (true, '')" "$dt_tmp/monitor.$1" &&
        grep -q "'State': <'completed'>" "$dt_tmp/monitor.$1" &&
        dt_pass "$1: the job object reported its end (Completed signal)" ||
        dt_fail "$1: no Completed signal: $(cat "$dt_tmp/monitor.$1")"
    [ "$(dt_prop $dom Domain Jobs)" = "(<@ao []>,)" ] || dt_fail "$1: Jobs: $(dt_prop $dom Domain Jobs)"
}
# same TAG TARGETPREFIX: each disk's backup equals its copy at TAG.
same() {
    for d in vda vdb; do
        "$QEMU_IMG" convert -O raw "$2$d$3" "$dir/$d-$1-restored.raw" &&
        "$QEMU_IMG" compare -q -f raw -F raw "$dir/$d-$1.raw" "$dir/$d-$1-restored.raw" ||
            { dt_fail "$1: restored $d differs"; continue; }
        dt_pass "$1: restored $d equals the disk at the point in time"
    done
}

r=$(dt_call --object-path $dom --method $D.BackupGetXMLDesc '{}')
dt_expect_error NoBackup "$r" || dt_fail "BackupGetXMLDesc without backup: $r"
r=$(dt_call --object-path $dom --method $D.AbortJob '{}')
dt_expect_error OperationInvalid "$r" || dt_fail "AbortJob without backup: $r"

# Full + c1.
write vda 0 $((64 * CL)) 0xa1
write vdb $((100 * CL)) $((3 * CL)) 0xb1
snap t1
t0=$(date +%s%N)
begin full "" "<domaincheckpoint><name>c1</name></domaincheckpoint>"
t1=$(date +%s%N)
same t1 "$dir/" ".qcow2.c1"

# The writer has stopped; more writes before the incremental.
write vdb $((200 * CL)) $CL 0xb3
snap t2
begin inc "<domainbackup><incremental>c1</incremental></domainbackup>" \
    "<domaincheckpoint><name>c2</name></domaincheckpoint>"
t2=$(date +%s%N)
same t2 "$dir/" ".qcow2.c2"
case $("$QEMU_IMG" info "$dir/vda.qcow2.c2") in
    *"backing file: $dir/vda.qcow2.c1"*) dt_pass "incremental target backed by the full" ;;
    *) dt_fail "incremental backing: $("$QEMU_IMG" info "$dir/vda.qcow2.c2")" ;;
esac
# Dirty since c1: vda clusters 0-7 (writer), vdb 40-47 (writer) and 200.
list=$(dt_call --object-path $dom --method $D.ListBackups '{}')
case $list in
    *"'bytes': <uint64 $((17 * CL))>"*) dt_pass "incremental copied only the dirty clusters (17)" ;;
    *) dt_fail "incremental bytes: $list" ;;
esac
alloc=$("$QEMU_IMG" map --output=json "$dir/vdb.qcow2.c2" | grep '"depth": 0' | grep '"data": true' |
        sed 's/.*"length": \([0-9]*\).*/\1/' | awk '{s += $1} END {print s + 0}')
[ "$alloc" = $((9 * CL)) ] && dt_pass "vdb incremental target holds 9 clusters" ||
    dt_fail "vdb incremental target holds $alloc bytes"

# Differential from c1 (no new checkpoint): vda 0-7, vdb 40-47, 200.
snap t3
begin diff "<domainbackup><incremental>c1</incremental><disks><disk name='vda' type='file'><target file='$dir/vda.diff'/></disk><disk name='vdb' type='file'><target file='$dir/vdb.diff'/></disk></disks></domainbackup>" ""
same t3 "$dir/" ".diff"

# An existing target is refused and left alone.
r=$(dt_call --object-path $dom --method $D.BackupBegin "<domainbackup><incremental>c1</incremental><disks><disk name='vda' type='file'><target file='$dir/vda.diff'/></disk><disk name='vdb' type='file'><target file='$dir/vdb.diff'/></disk></disks></domainbackup>" "" '{}')
dt_expect_error Exists "$r" && dt_pass "existing target refused" || dt_fail "existing target: $r"
same t3 "$dir/" ".diff"

# An unknown base checkpoint.
r=$(dt_call --object-path $dom --method $D.BackupBegin "<domainbackup><incremental>nosuch</incremental></domainbackup>" "" '{}')
dt_expect_error NoCheckpoint "$r" && dt_pass "unknown base refused" || dt_fail "unknown base: $r"

info=$(dt_call --object-path $dom --method $D.GetJobInfo "{'completed': <true>}")
case $info in *"'operation': <'backup'>"*"'success': <true>"*) ;; *) dt_fail "completed info: $info" ;; esac
info=$(dt_call --object-path $dom --method $D.GetJobInfo "{'completed': <true>}")
case $info in *"'type': <'none'>"*) dt_pass "completed job info read once" ;; *) dt_fail "info kept: $info" ;; esac
n=$(echo "$list" | grep -o "'status': <'completed'>" | wc -l)
[ "$n" = 2 ] && dt_pass "catalogue: two completed backups before the differential" || dt_fail "list: $list"
echo "figures: wall time per BackupBegin step, including the writer and 0.4 s of signal-monitor set-up: full (2x64 MiB) $(( (t1 - t0) / 1000000 )) ms, incremental $(( (t2 - t1) / 1000000 )) ms; the copy itself: see time_elapsed above"

r=$(dt_call --object-path $dom --method $D.Destroy '{}')
dt_finish
