#!/bin/sh
# Backups of a shut-off domain over D-Bus on a private bus: blkpointd from
# the build tree (copies throttled with BP_TEST_BACKUP_SPEED so that the
# test can act while one runs), a real qemu-storage-daemon, two disks.
#
#   data written while running, then shut off; BackupBegin (full, c1) of
#   the shut-off domain: Start while it copies is refused (Busy), the
#   domain stays shut off; the targets equal the images (qemu-img
#   compare); c1's bitmaps are in the images;
#   vdb's c1 bitmap removed with qemu-img: the incremental is refused with
#   CheckpointInconsistent naming c1 and vdb and leaves no file; with
#   "fallback-full" vdb is copied in full (no backing file), vda
#   incrementally, and ListBackups' disk_results say so; the client's
#   backup-begin --fallback-full --wait reports the fallback disk with its
#   reason and backup-list --details each disk's kind and reason;
#   blkpointd SIGKILLed during an offline backup and started again: no
#   temporary qemu-storage-daemon left, the target files removed, the
#   backup failed, its checkpoint gone; the next incremental from the
#   old base restores equal; the same for a backup of the running domain
#   (its QEMU job and nodes gone after the reconnect, so that the next
#   backup works and restores equal).

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/daemon-testlib.sh"

dt_session_setup qemu-io
blkpoint=$top_builddir/client/blkpoint
# 8 MiB/s: a full copy of a 16 MiB disk takes about two seconds.
BP_TEST_BACKUP_SPEED=$((8 << 20))
export BP_TEST_BACKUP_SPEED

root=/org/blkpoint/Blkpoint1
M=org.blkpoint.Blkpoint1.Manager
D=org.blkpoint.Blkpoint1.Domain
dom=$root/domain/off
CL=65536
dir=$dt_tmp/off
sock=$dt_tmp/run/off/nbd.sock
tmpqmp=$dt_tmp/run/off/backup/qmp.sock

dt_start_daemon "$log" $dargs || dt_finish

dt_domain_2disks off "$dir" 16M

write() { dt_nbd_write "$sock" "$@"; }
start() {
    r=$(dt_call --object-path $dom --method $D.Start '{}')
    [ "$r" = "()" ] || dt_fail "start: $r"
}
stop() {
    r=$(dt_call --object-path $dom --method $D.Shutdown '{}')
    [ "$r" = "()" ] || dt_fail "shutdown: $r"
}
state() { dt_prop $dom Domain State; }
# wait_end TAG: waits for the running backup's end; succeeds when it
# completed.
wait_end() {
    dt_wait_job_end $dom "{'completed': <true>}" 400
    case $info in
        *"'success': <true>"*) return 0 ;;
        *) dt_fail "$1: $info"; return 1 ;;
    esac
}
# same TAG SUFFIX: each image equals its backup chain.
same() {
    for d in vda vdb; do
        "$QEMU_IMG" compare -q -f qcow2 -F qcow2 "$dir/$d.qcow2" "$dir/$d.qcow2.$2" &&
            dt_pass "$1: $d backup equals the image" || dt_fail "$1: $d backup differs"
    done
}
# temp_qsd: prints the pid of a temporary qemu-storage-daemon, if any.
temp_qsd() { pgrep -f -- "$tmpqmp" || true; }
# wait_copying FILE TAG: waits (10 s at most) until the running backup has
# created FILE and reports copied data (disk_processed > 0), so that a kill
# after it interrupts a backup that really copies; a failed check if not.
wait_copying() {
    for _i in $(seq 1 200); do
        if [ -e "$1" ]; then
            info=$(dt_call --object-path $dom --method $D.GetJobInfo '{}')
            case $info in
                *"'disk_processed': <uint64 0>"*) ;;
                *"'disk_processed': <uint64 "*) return 0 ;;
            esac
        fi
        sleep 0.05
    done
    dt_fail "$2: no target $1 or no copied data within 10 s: ${info:-}"
    return 1
}

start
write vda 0 $((32 * CL)) 0xa1
write vdb $((100 * CL)) $((3 * CL)) 0xb1
stop
[ "$(state)" = "(<'shutoff'>,)" ] || dt_fail "not shut off: $(state)"

# Full backup of the shut-off domain; Start while it copies is Busy.
r=$(dt_call --object-path $dom --method $D.BackupBegin "" \
    "<domaincheckpoint><name>c1</name></domaincheckpoint>" '{}')
case $r in "(objectpath '"*) ;; *) dt_fail "offline BackupBegin: $r" ;; esac
[ -n "$(temp_qsd)" ] && dt_pass "a temporary qemu-storage-daemon reads the disks" ||
    dt_fail "no temporary qemu-storage-daemon while the backup runs"
r=$(dt_call --object-path $dom --method $D.Start '{}')
dt_expect_error Busy "$r" && dt_pass "Start during the offline backup: Busy" ||
    dt_fail "Start during the offline backup: $r"
[ "$(state)" = "(<'shutoff'>,)" ] && dt_pass "the domain stays shut off" ||
    dt_fail "state during the backup: $(state)"
wait_end full && dt_pass "offline full backup completed"
same full c1
[ -z "$(temp_qsd)" ] && dt_pass "the temporary qemu-storage-daemon has quit" ||
    dt_fail "temporary qemu-storage-daemon still runs"
case $("$QEMU_IMG" info "$dir/vda.qcow2") in
    *"name: c1"*) dt_pass "c1's bitmap is in the image" ;;
    *) dt_fail "no c1 bitmap: $("$QEMU_IMG" info "$dir/vda.qcow2")" ;;
esac

# More data; vdb's c1 bitmap goes.
start
write vda $((2 * CL)) $CL 0xa2
write vdb $((7 * CL)) $CL 0xb2
stop
"$QEMU_IMG" bitmap --remove "$dir/vdb.qcow2" c1 || dt_fail "qemu-img bitmap --remove"
inc="<domainbackup><incremental>c1</incremental></domainbackup>"
r=$(dt_call --object-path $dom --method $D.BackupBegin "$inc" \
    "<domaincheckpoint><name>c2</name></domaincheckpoint>" '{}')
if dt_expect_error CheckpointInconsistent "$r"; then
    case $r in *"'c1'"*"'vdb'"*) dt_pass "broken chain: named error" ;;
        *) dt_fail "broken chain error does not name c1 and vdb: $r" ;; esac
else
    dt_fail "broken chain: $r"
fi
[ ! -e "$dir/vda.qcow2.c2" ] && [ ! -e "$dir/vdb.qcow2.c2" ] &&
    dt_pass "refused backup left no file" || dt_fail "refused backup left files"
r=$(dt_call --object-path $dom --method $D.BackupBegin "$inc" \
    "<domaincheckpoint><name>c2</name></domaincheckpoint>" "{'fallback-full': <true>}")
case $r in "(objectpath '"*) ;; *) dt_fail "fallback BackupBegin: $r" ;; esac
wait_end fallback && dt_pass "fallback backup completed"
case $info in
    *"'fallback_full': <['vdb']>"*) dt_pass "completed job info names the fallback disk" ;;
    *) dt_fail "completed job info: $info" ;;
esac
same fallback c2
case $("$QEMU_IMG" info "$dir/vdb.qcow2.c2") in
    *"backing file"*) dt_fail "vdb's fallback target has a backing file" ;;
    *) dt_pass "vdb's fallback target has no backing file" ;;
esac
case $("$QEMU_IMG" info "$dir/vda.qcow2.c2") in
    *"backing file: $dir/vda.qcow2.c1"*) dt_pass "vda stayed incremental" ;;
    *) dt_fail "vda's target: $("$QEMU_IMG" info "$dir/vda.qcow2.c2")" ;;
esac
list=$(dt_call --object-path $dom --method $D.ListBackups '{}')
case $list in
    *"{'target': <'vda'>, 'kind': <'incremental'>"*"{'target': <'vdb'>, 'kind': <'full'>"*"'error': <\"checkpoint 'c1'"*)
        dt_pass "ListBackups: per-disk kinds and the fallback's reason" ;;
    *) dt_fail "ListBackups disk_results: $list" ;;
esac

# The same through the client: backup-begin --fallback-full --wait (no
# new checkpoint) names the disk copied in full and why; backup-list
# --details shows each disk's kind and fallback reason.
printf '%s\n' "$inc" >"$dt_tmp/inc.xml"
out=$(LC_ALL=C "$blkpoint" -c session backup-begin off "$dt_tmp/inc.xml" --fallback-full \
      --wait 2>&1) || dt_fail "blkpoint backup-begin --fallback-full: $out"
case $out in
    *"vdb: full backup instead of incremental: checkpoint 'c1' cannot be the base of an incremental backup of disk 'vdb'"*)
        case $out in *"vda: full backup"*) dt_fail "vda reported as a fallback: $out" ;;
            *) dt_pass "backup-begin --fallback-full --wait reports vdb's fallback" ;; esac ;;
    *) dt_fail "backup-begin --fallback-full: $out" ;;
esac
out=$(LC_ALL=C "$blkpoint" -c session backup-list off --details 2>&1)
if echo "$out" | grep -q "^ *Id .* Kind .* Disk .* Size  *Fallback *\$" &&
   echo "$out" | grep -q "^ *3  .* push  *full  *c1  *-  *completed  *vdb  .*  checkpoint 'c1' cannot be the base" &&
   echo "$out" | grep -q "^ *3  .* push  *incremental  *c1  *-  *completed  *vda  .*iB  *- *\$" &&
   echo "$out" | grep -q "^ *1  .* push  *full  *-  *c1  *completed  *vdb  .* MiB  *- *\$"; then
    dt_pass "backup-list --details: each disk's kind and fallback reason"
else
    dt_fail "backup-list --details: $out"
fi

# blkpointd killed during an offline backup.
start
write vda 0 $((128 * CL)) 0xa3
stop
BP_TEST_BACKUP_SPEED=$((1 << 20))
dt_stop_daemon
dt_start_daemon "$log" $dargs || dt_finish
inc2="<domainbackup><incremental>c2</incremental></domainbackup>"
r=$(dt_call --object-path $dom --method $D.BackupBegin "$inc2" \
    "<domaincheckpoint><name>c3</name></domaincheckpoint>" '{}')
case $r in "(objectpath '"*) ;; *) dt_fail "BackupBegin before the kill: $r" ;; esac
wait_copying "$dir/vda.qcow2.c3" "offline backup before the kill"
kill -KILL "$dt_daemon_pid"
wait "$dt_daemon_pid" 2>/dev/null
BP_TEST_BACKUP_SPEED=$((8 << 20))
dt_start_daemon "$log" $dargs || dt_finish
dt_wait_prop $dom Domain State "(<'shutoff'>,)" || dt_fail "after restart: $(state)"
for _i in $(seq 1 100); do
    list=$(dt_call --object-path $dom --method $D.ListBackups '{}')
    case $list in *"'status': <'failed'>, 'incremental': <'c2'>, 'checkpoint': <'c3'>"*) break ;; esac
    sleep 0.1
done
case $list in
    *"'status': <'failed'>, 'incremental': <'c2'>, 'checkpoint': <'c3'>"*) dt_pass "interrupted backup recorded failed" ;;
    *) dt_fail "interrupted backup: $list" ;;
esac
[ -z "$(temp_qsd)" ] && dt_pass "no temporary qemu-storage-daemon after the restart" ||
    dt_fail "temporary qemu-storage-daemon left: $(temp_qsd)"
[ ! -e "$dir/vda.qcow2.c3" ] && [ ! -e "$dir/vdb.qcow2.c3" ] &&
    dt_pass "interrupted backup's target files removed" || dt_fail "target files left"
r=$(dt_call --object-path $dom --method $D.CheckpointLookupByName c3 '{}')
dt_expect_error NoCheckpoint "$r" && dt_pass "interrupted backup's checkpoint removed" ||
    dt_fail "c3: $r"
case $("$QEMU_IMG" info "$dir/vda.qcow2") in
    *"name: c3"*) dt_fail "c3's bitmap is in the image" ;;
esac
r=$(dt_call --object-path $dom --method $D.BackupBegin "$inc2" \
    "<domaincheckpoint><name>c4</name></domaincheckpoint>" '{}')
case $r in "(objectpath '"*) ;; *) dt_fail "BackupBegin after the restart: $r" ;; esac
wait_end after-restart && dt_pass "incremental from c2 after the restart completed"
same after-restart c4

# blkpointd killed during a backup of the running domain: after the
# restart (reconnect, reconcile) its QEMU job and nodes are gone, which
# the next backup needs (the same job id and node names).
start
write vda 0 $((128 * CL)) 0xa5
BP_TEST_BACKUP_SPEED=$((1 << 20))
dt_stop_daemon
dt_start_daemon "$log" $dargs || dt_finish
dt_wait_prop $dom Domain State "(<'running'>,)" || dt_fail "not running: $(state)"
inc4="<domainbackup><incremental>c4</incremental></domainbackup>"
r=$(dt_call --object-path $dom --method $D.BackupBegin "$inc4" \
    "<domaincheckpoint><name>c5</name></domaincheckpoint>" '{}')
case $r in "(objectpath '"*) ;; *) dt_fail "running BackupBegin before the kill: $r" ;; esac
wait_copying "$dir/vda.qcow2.c5" "running backup before the kill"
kill -KILL "$dt_daemon_pid"
wait "$dt_daemon_pid" 2>/dev/null
BP_TEST_BACKUP_SPEED=$((8 << 20))
dt_start_daemon "$log" $dargs || dt_finish
dt_wait_prop $dom Domain State "(<'running'>,)" || dt_fail "after restart: $(state)"
for _i in $(seq 1 100); do
    list=$(dt_call --object-path $dom --method $D.ListBackups '{}')
    case $list in *"'status': <'failed'>, 'incremental': <'c4'>, 'checkpoint': <'c5'>"*) break ;; esac
    sleep 0.1
done
case $list in
    *"'status': <'failed'>, 'incremental': <'c4'>, 'checkpoint': <'c5'>"*)
        dt_pass "interrupted backup of the running domain recorded failed" ;;
    *) dt_fail "interrupted running backup: $list" ;;
esac
[ ! -e "$dir/vda.qcow2.c5" ] && [ ! -e "$dir/vdb.qcow2.c5" ] &&
    dt_pass "its target files removed" || dt_fail "running backup's target files left"
r=$(dt_call --object-path $dom --method $D.CheckpointLookupByName c5 '{}')
dt_expect_error NoCheckpoint "$r" && dt_pass "its checkpoint removed" || dt_fail "c5: $r"
for d in vda vdb; do
    "$QEMU_IMG" convert -f raw -O raw "nbd+unix:///$d?socket=$sock" "$dir/$d-t6.raw" ||
        dt_fail "copy $d"
done
r=$(dt_call --object-path $dom --method $D.BackupBegin "$inc4" \
    "<domaincheckpoint><name>c6</name></domaincheckpoint>" '{}')
case $r in "(objectpath '"*) ;; *) dt_fail "BackupBegin after the restart: $r" ;; esac
wait_end running-after-restart &&
    dt_pass "the next backup of the running domain completed (no job or node left)"
for d in vda vdb; do
    "$QEMU_IMG" compare -q -f raw -F qcow2 "$dir/$d-t6.raw" "$dir/$d.qcow2.c6" &&
        dt_pass "running-after-restart: $d backup equals the disk" ||
        dt_fail "running-after-restart: $d backup differs"
done
r=$(dt_call --object-path $dom --method $D.Destroy '{}')

dt_finish
