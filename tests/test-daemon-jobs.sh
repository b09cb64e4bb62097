#!/bin/sh
# Job objects of every kind on one domain, over D-Bus on a private bus:
# blkpointd from the build tree, a real qemu-storage-daemon, vda a qcow2
# overlay over mid over base, vdb a plain qcow2.  Backups are throttled
# (BP_TEST_BACKUP_SPEED), restores run through a qemu-img wrapper that
# waits 3 s before converting, and the block commit is an active commit
# with a bandwidth limit (it stays until cancelled), so that they overlap.
#
#   a full backup: its Job's StartedByUID is `id -u`, the domain's Jobs
#   lists it while it runs and is empty after; then a second backup and a
#   restore at once (a backup and a block commit exclude each other): Jobs
#   lists both, each leaves when it ended, the restore wrote the backup;
#   then a bandwidth-limited commit of mid into base: while it copies,
#   one GetAll of its Job shows Rate > 0 and ExpectedEndTime > StartTime,
#   and once it ended the object is gone; then an active commit and
#   another restore at once: Jobs lists both, the commit stays until
#   Job.Cancel (by its starter), and its object is gone after;
#   every Job's StartedByUID is `id -u`; PropertiesChanged for Jobs seen
#   (gdbus monitor) with the restore and the commit in it, and the final
#   empty list.  Then, as root with setpriv: a session daemon of user
#   nobody, whose offline backup says StartedByUID 65534 (run as root,
#   0 could not tell the recorded UID from the old constant) and which it
#   cancels.  The read-for-the-starter rule itself needs polkit on the
#   system bus: tests/test-daemon-auth.c covers its decision.

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/daemon-testlib.sh"

dt_session_setup qemu-io

root=/org/blkpoint/Blkpoint1
D=org.blkpoint.Blkpoint1.Domain
J=org.blkpoint.Blkpoint1.Job
dom=$root/domain/jb
dir=$dt_tmp/jb
sock=$dt_tmp/run/jb/nbd.sock
uid=$(id -u)
none="(<@ao []>,)"
M=1048576

mkdir -p "$dir"
cat > "$dt_tmp/slow-qemu-img" <<EOF
#!/bin/sh
[ "\$1" = convert ] && sleep 3
exec "$QEMU_IMG" "\$@"
EOF
chmod +x "$dt_tmp/slow-qemu-img"
printf '[qemu]\nqemu_img = %s\n' "$dt_tmp/slow-qemu-img" > "$dt_tmp/blkpointd.conf"
BP_TEST_BACKUP_SPEED=$((4 * M))
export BP_TEST_BACKUP_SPEED

dt_start_daemon "$log" $dargs --config "$dt_tmp/blkpointd.conf" || dt_finish
gdbus monitor --session --dest org.blkpoint.Blkpoint1 > "$dt_tmp/monitor" 2>&1 &
mon=$!
dt_track $mon

"$QEMU_IMG" create -q -f qcow2 "$dir/base.qcow2" 16M || exit 99
"$QEMU_IMG" create -q -f qcow2 -b "$dir/base.qcow2" -F qcow2 "$dir/mid.qcow2" 16M || exit 99
qemu-io -f qcow2 "$dir/mid.qcow2" -c "write -P 0xa0 $((4 * M)) $((4 * M))" >/dev/null || exit 99
"$QEMU_IMG" create -q -f qcow2 -b "$dir/mid.qcow2" -F qcow2 "$dir/vda.qcow2" 16M || exit 99
"$QEMU_IMG" create -q -f qcow2 "$dir/vdb.qcow2" 16M || exit 99
x="<domain><name>jb</name><runtime type='storage'/><devices>"
x="$x<disk type='file'><driver type='qcow2'/><source file='$dir/vda.qcow2'/>"
x="$x<backingStore type='file'><format type='qcow2'/><source file='$dir/mid.qcow2'/>"
x="$x<backingStore type='file'><format type='qcow2'/><source file='$dir/base.qcow2'/>"
x="$x<backingStore/></backingStore></backingStore><target dev='vda'/></disk>"
x="$x<disk type='file'><driver type='qcow2'/><source file='$dir/vdb.qcow2'/>"
x="$x<target dev='vdb'/></disk></devices></domain>"
r=$(dt_call --object-path $root --method org.blkpoint.Blkpoint1.Manager.DefineDomain "$x" '{}')
[ "$r" = "(objectpath '$dom',)" ] || { dt_fail "define: $r"; dt_finish; }
dt_domain_start jb
dt_nbd_write "$sock" vda 0 $((4 * M)) 0xa1
dt_nbd_write "$sock" vdb 0 $((12 * M)) 0xb1

# jprop GETALL NAME: the number a Properties.GetAll answer gives for NAME.
jprop() { echo "$1" | sed -n "s/.*'$2': <uint64 \([0-9]*\)>.*/\1/p"; }
# jobpath ANSWER: the object path of a (objectpath '...',) answer.
jobpath() { echo "$1" | sed -n "s/^(objectpath '\(.*\)',)$/\1/p"; }
# has_job PATH: the domain's Jobs lists PATH now.
has_job() { case $(dt_prop $dom Domain Jobs) in *"'$1'"*) return 0 ;; esac; return 1; }
# wait_gone PATH: up to 20 s for Jobs to drop PATH.
wait_gone() {
    for _i in $(seq 1 400); do
        has_job "$1" || return 0
        sleep 0.05
    done
    return 1
}
started_by() {
    r=$(dt_prop "$2" Job StartedByUID)
    [ "$r" = "(<uint32 $uid>,)" ] && dt_pass "$1: StartedByUID is $uid" ||
        dt_fail "$1: StartedByUID $r, not $uid"
}

# A full backup alone.
r=$(dt_call --object-path $dom --method $D.BackupBegin "" \
        "<domaincheckpoint><name>c1</name></domaincheckpoint>" '{}')
b1=$(jobpath "$r")
[ -n "$b1" ] || { dt_fail "BackupBegin: $r"; dt_finish; }
started_by backup "$b1"
r=$(dt_prop $dom Domain Jobs)
[ "$r" = "(<[objectpath '$b1']>,)" ] && dt_pass "Jobs lists the running backup" ||
    dt_fail "Jobs while the backup runs: $r"
dt_wait_job_end $dom "{'completed': <true>}" 400
case $info in *"'success': <true>"*) ;; *) dt_fail "backup 1: $info" ;; esac
[ "$(dt_prop $dom Domain Jobs)" = "$none" ] && dt_pass "Jobs empty once the backup ended" ||
    dt_fail "Jobs after the backup: $(dt_prop $dom Domain Jobs)"

# A second backup (vdb only) and a restore at once.
dt_nbd_write "$sock" vdb $((12 * M)) $((4 * M)) 0xb2
r=$(dt_call --object-path $dom --method $D.BackupBegin \
        "<domainbackup><disks><disk name='vda' backup='no'/><disk name='vdb' type='file'><target file='$dir/vdb.full2'/></disk></disks></domainbackup>" "" '{}')
b2=$(jobpath "$r")
[ -n "$b2" ] || dt_fail "second BackupBegin: $r"
r=$(dt_call --object-path $dom --method $D.Restore vdb "$dir/vdb.restored" \
        "{'checkpoint': <'c1'>}")
rs=$(jobpath "$r")
case $rs in $root/job/restore_*) ;; *) dt_fail "Restore: $r" ;; esac
r=$(dt_prop $dom Domain Jobs)
case $r in
    *"'$b2'"*"'$rs'"*) dt_pass "Jobs lists the backup and the restore: $r" ;;
    *) dt_fail "Jobs with a backup and a restore running: $r" ;;
esac
started_by restore "$rs"
started_by "second backup" "$b2"
dt_wait_job_end $dom "{'completed': <true>}" 400
case $info in *"'success': <true>"*) ;; *) dt_fail "backup 2: $info" ;; esac
wait_gone "$b2" && dt_pass "the backup left Jobs when it ended" || dt_fail "backup still in Jobs"
wait_gone "$rs" && dt_pass "the restore left Jobs when it ended" || dt_fail "restore still in Jobs"
"$QEMU_IMG" compare -q "$dir/vdb.restored" "$dir/vdb.qcow2.c1" &&
    dt_pass "the restore wrote the backup" || dt_fail "restored vdb differs from its backup"

# A commit of mid into base, 4 MiB at 1 MiB/s (QEMU copies 512 KiB at
# a time, so it progresses, unlike an active commit, which copies in one
# burst and then waits out its limit).
r=$(dt_call --object-path $dom --method $D.BlockCommit vda \
        "{'top': <'$dir/mid.qcow2'>, 'bandwidth': <uint64 $M>}")
bc=$(jobpath "$r")
[ -n "$bc" ] || { dt_fail "BlockCommit of mid: $r"; dt_finish; }
# One Properties.GetAll of the commit while it copies (up to 3 s): Rate
# in bytes/s and ExpectedEndTime after StartTime, from the same sample.
rate_ok=
for _i in $(seq 1 60); do
    all=$(dt_call --object-path "$bc" --method org.freedesktop.DBus.Properties.GetAll $J)
    rate=$(jprop "$all" Rate)
    st=$(jprop "$all" StartTime)
    eet=$(jprop "$all" ExpectedEndTime)
    case $all in *"'State': <'running'>"*) ;; *) break ;; esac
    if [ "${rate:-0}" -gt 0 ] && [ "${eet:-0}" -gt "${st:-0}" ]; then
        rate_ok=1
        break
    fi
    sleep 0.05
done
[ -n "$rate_ok" ] &&
    dt_pass "the running commit publishes Rate $rate B/s, ExpectedEndTime $eet > StartTime $st" ||
    dt_fail "no Rate/ExpectedEndTime while the commit ran: $all"
wait_gone "$bc" && dt_pass "the commit of mid left Jobs when it ended" ||
    dt_fail "commit of mid still in Jobs"
r=$(dt_prop "$bc" Job Rate)
case $r in
    *Error*) dt_pass "the commit's Job object is gone once it ended" ;;
    *) dt_fail "the commit's Job object still answers: $r" ;;
esac
dt_call --object-path $root --method org.freedesktop.DBus.ObjectManager.GetManagedObjects |
    grep -q "'$bc'" && dt_fail "GetManagedObjects still lists $bc" ||
    dt_pass "GetManagedObjects no longer lists the commit"

# An active commit (bandwidth-limited; it waits in "ready" for an end)
# and another restore at once.
r=$(dt_call --object-path $dom --method $D.BlockCommit vda \
        "{'active': <true>, 'bandwidth': <uint64 $M>}")
bc=$(jobpath "$r")
[ -n "$bc" ] || { dt_fail "BlockCommit: $r"; dt_finish; }
r=$(dt_call --object-path $dom --method $D.Restore vdb "$dir/vdb.restored2" \
        "{'checkpoint': <'c1'>}")
rs2=$(jobpath "$r")
case $rs2 in $root/job/restore_*) ;; *) dt_fail "Restore: $r" ;; esac
r=$(dt_prop $dom Domain Jobs)
case $r in
    *"'$bc'"*"'$rs2'"*) dt_pass "Jobs lists the commit and the restore: $r" ;;
    *) dt_fail "Jobs with a commit and a restore running: $r" ;;
esac
started_by blockcommit "$bc"
wait_gone "$rs2" && dt_pass "the second restore left Jobs when it ended" ||
    dt_fail "second restore still in Jobs"
has_job "$bc" && dt_pass "the commit stays in Jobs after the restore ended" ||
    dt_fail "commit missing from Jobs: $(dt_prop $dom Domain Jobs)"
r=$(dt_call --object-path "$bc" --method $J.Cancel '{}')
[ "$r" = "()" ] && dt_pass "Job.Cancel of the commit by its starter" || dt_fail "Cancel: $r"
dt_wait_prop $dom Domain Jobs "$none" && dt_pass "Jobs empty once every job ended" ||
    dt_fail "Jobs at the end: $(dt_prop $dom Domain Jobs)"
r=$(dt_prop "$bc" Job Rate)
case $r in
    *Error*) dt_pass "the active commit's Job object is gone once it ended" ;;
    *) dt_fail "the active commit's Job object still answers: $r" ;;
esac
dt_call --object-path $root --method org.freedesktop.DBus.ObjectManager.GetManagedObjects |
    grep -q "'$bc'" && dt_fail "GetManagedObjects still lists $bc" ||
    dt_pass "GetManagedObjects no longer lists the active commit"

sleep 0.3
kill $mon 2>/dev/null
wait $mon 2>/dev/null
pc=$(grep "^$dom: org.freedesktop.DBus.Properties.PropertiesChanged" "$dt_tmp/monitor" | grep "'Jobs'")
echo "$pc" | grep -q "'$rs'" && echo "$pc" | grep -q "'$bc'" &&
    dt_pass "PropertiesChanged for Jobs with the restore and the commit" ||
    dt_fail "PropertiesChanged of Jobs: $pc"
echo "$pc" | tail -n 1 | grep -q "'Jobs': <@ao \[\]>" &&
    dt_pass "the last PropertiesChanged of Jobs is the empty list" ||
    dt_fail "last PropertiesChanged of Jobs: $(echo "$pc" | tail -n 1)"

r=$(dt_call --object-path $dom --method $D.Destroy '{}')

# Run as root, the UIDs above are 0, which is also what StartedByUID said
# before it was recorded.  So, when root and setpriv are there: a session
# daemon of user nobody (65534), a shut-off domain of that user, and an
# offline backup started by it must say 65534, and it may cancel it.
if [ "$uid" != 0 ] || ! dt_have setpriv; then
    echo "skipped: StartedByUID of another user (needs root and setpriv)"
    dt_finish
fi
nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
dt_stop_daemon
dt_wait_name absent || dt_fail "the root daemon did not leave the bus"
chmod 711 "$dt_tmp"
nb=$dt_tmp/nb
mkdir -p "$nb"
chown 65534:65534 "$nb"
$nobody "$QEMU_IMG" create -q -f qcow2 "$nb/vda.qcow2" 16M || exit 99
$nobody "$QEMU_IMG" create -q -f qcow2 "$nb/vdb.qcow2" 16M || exit 99
$nobody qemu-io -f qcow2 "$nb/vda.qcow2" -c "write -P 0xc1 0 $((8 * M))" >/dev/null || exit 99
HOME=$nb XDG_CONFIG_HOME=$nb/config $nobody "$blkpointd" --session --state-dir "$nb/state" --runtime-dir "$nb/run" \
    2>>"$dt_tmp/nobody.log" &
dt_daemon_pid=$!
dt_track $dt_daemon_pid
dt_wait_name present || { dt_fail "blkpointd as nobody"; cat "$dt_tmp/nobody.log"; dt_finish; }
nb_call() { $nobody gdbus call --session --dest org.blkpoint.Blkpoint1 "$@" 2>&1; }
x="<domain><name>nb</name><devices>"
for d in vda vdb; do
    x="$x<disk type='file'><driver type='qcow2'/><source file='$nb/$d.qcow2'/>"
    x="$x<target dev='$d'/></disk>"
done
x="$x</devices></domain>"
r=$(nb_call --object-path $root --method org.blkpoint.Blkpoint1.Manager.DefineDomain "$x" '{}')
[ "$r" = "(objectpath '$root/domain/nb',)" ] || { dt_fail "define as nobody: $r"; dt_finish; }
r=$(nb_call --object-path $root/domain/nb --method $D.BackupBegin "" "" '{}')
b=$(jobpath "$r")
[ -n "$b" ] || { dt_fail "BackupBegin as nobody: $r"; dt_finish; }
r=$(nb_call --object-path "$b" --method org.freedesktop.DBus.Properties.Get $J StartedByUID)
[ "$r" = "(<uint32 65534>,)" ] && dt_pass "a backup started by nobody: StartedByUID 65534" ||
    dt_fail "StartedByUID of nobody's backup: $r"
r=$(nb_call --object-path "$b" --method $J.Cancel '{}')
[ "$r" = "()" ] && dt_pass "nobody cancels its own backup" || dt_fail "Cancel as nobody: $r"
dt_finish
