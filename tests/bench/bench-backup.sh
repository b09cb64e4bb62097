#!/bin/sh
# bench-backup.sh: the end-to-end backup benchmark behind the "Backups end
# to end" section of docs/performance.md.  Not a test: it measures, and
# fails only when a measured run produced a wrong backup.  Run with
# `make bench-backup` (part of `make bench`; BENCH_BACKUP_ARGS passes
# options) or by hand:
#
#   top_srcdir=SRC top_builddir=BUILD sh tests/bench/bench-backup.sh
#       [--repeat N] [--size-mib N] [--dirty-percent P] [--two-disks] [--keep]
#
# A private dbus-daemon, blkpointd and blkpoint from the build tree, and
# a domain on the embedded storage runtime (qemu-storage-daemon) with one
# qcow2 disk of --size-mib (1 GiB) filled with random data.  The guest is
# tests/bench/bench-dirty, which writes fresh random data into clusters
# of 64 KiB chosen at random through the disk's NBD export.  Each figure
# is the median of --repeat runs (3); each blkpoint figure stands next to
# a baseline measured in the same run:
#
#  full push         backup-begin --wait of the whole disk, against
#                    `qemu-img convert -O qcow2` of the disk image while
#                    the domain is shut off, then `sync` of the copy (the
#                    machine's copy speed; a push backup's target is
#                    flushed to the disk before the backup completes);
#                    and, taking turns with each backup, nbdcopy of the
#                    running disk's NBD export into a qcow2 served by
#                    qemu-nbd, then `sync` of the copy;
#  full push, 2 disks  (--two-disks) a second disk like the first, both
#                    in one backup, against two such copies at once;
#  incremental push  --dirty-percent (10) of the clusters dirty, against
#                    the full push above;
#  restore           blkpoint restore of the full + incremental chain,
#                    against `qemu-img convert -O qcow2` of that chain;
#  incremental pull  --dirty-percent dirty; both copies read the same
#                    pull export of one backup: first the per-extent loop
#                    of the 2020 pull-mode talk (nbdinfo --map of the
#                    qemu:dirty-bitmap context, one `qemu-io -C` read per
#                    dirty extent through a qcow2 whose backing file is
#                    the export, then `qemu-img rebase -u` onto the
#                    previous backup), then blkpoint backup-pull (libnbd,
#                    8 requests in flight), which completes the backup;
#  tiny incremental  1 MiB dirty: backup-begin --wait to Completed, the
#                    cost of the client, D-Bus and daemon path, against
#                    one no-op client round trip (blkpoint domjobinfo).
#
# Every measured run is checked before its time counts: each backup (or
# the chain it ends) and each restored image is compared with the disk
# (qemu-img compare through the disk's NBD export, nothing writing), and
# each incremental must hold exactly the clusters written since its base.

set -u

repeat=3
size_mib=1024
dirty=10
keep=
two=
while [ $# -gt 0 ]; do
    case $1 in
        --repeat) repeat=$2; shift 2 ;;
        --size-mib) size_mib=$2; shift 2 ;;
        --dirty-percent) dirty=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        --two-disks) two=1; shift ;;
        *) echo "usage: $0 [--repeat N] [--size-mib N] [--dirty-percent P] [--two-disks] [--keep]" >&2
           exit 2 ;;
    esac
done

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
QEMU_IMG=${QEMU_IMG:-qemu-img}
QEMU_STORAGE_DAEMON=${QEMU_STORAGE_DAEMON:-qemu-storage-daemon}
DBUS_DAEMON=${DBUS_DAEMON:-dbus-daemon}
BP_SCHEMA_DIR=${BP_SCHEMA_DIR:-$top_srcdir/xml-schemas}
export QEMU_IMG QEMU_STORAGE_DAEMON BP_SCHEMA_DIR
blkpoint=$top_builddir/client/blkpoint
blkpointd=$top_builddir/daemon/blkpointd
dirtier=$top_builddir/tests/bench/bench-dirty
for p in "$QEMU_IMG" "$QEMU_STORAGE_DAEMON" "$DBUS_DAEMON" qemu-io qemu-nbd nbdinfo nbdcopy; do
    command -v "$p" >/dev/null 2>&1 || { echo "bench-backup: $p not found" >&2; exit 77; }
done
for p in "$blkpoint" "$blkpointd" "$dirtier"; do
    [ -x "$p" ] || { echo "bench-backup: $p not built (make check builds it)" >&2; exit 1; }
done

# Short: the NBD socket lives below it.
dir=$(mktemp -d /tmp/bp-bench.XXXXXX) || exit 1
daemon_pid=
bus_pid=
qsd_pid=
cleanup() {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
    # the domain's qemu-storage-daemon outlives blkpointd by design
    [ -n "$qsd_pid" ] && kill "$qsd_pid" 2>/dev/null
    [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
    if [ -n "$keep" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

die() { echo "bench-backup: $*" >&2; [ -f "$dir/blkpointd.log" ] && tail -20 "$dir/blkpointd.log" >&2; exit 1; }
now() { date +%s%N; }
# settle: write back what earlier steps left dirty in the page cache, so
# that no measurement pays for another's writes
settle() { sync; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
# median LIST: the middle value of the numbers in LIST (the upper one of an even count)
median() { printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { print v[int(NR / 2) + 1] }'; }
bp() { "$blkpoint" -q "$@" >"$dir/out" 2>"$dir/err" || die "blkpoint $*: $(cat "$dir/err")"; }
# same DISK-OR-CHAIN WHAT: the image (with its backing chain) equals the disk now
same() {
    "$QEMU_IMG" compare -q -f qcow2 -F raw "$1" "$disk_uri" ||
        die "WRONG RESULT: $2 ($1) differs from the disk"
}
# own_bytes IMAGE: allocated bytes of the image's own layer
own_bytes() {
    "$QEMU_IMG" map --output=json "$1" |
        awk -F'[:,]' '/"depth": 0/ && /"data": true/ {
            for (i = 1; i < NF; i++) if ($i ~ /"length"/) n += $(i + 1) } END { print n + 0 }'
}
backup_xml() {   # backup_xml MODE BASE TARGET: a one-disk backup document
    printf "<domainbackup mode='%s'>\n" "$1"
    [ -n "$2" ] && printf '  <incremental>%s</incremental>\n' "$2"
    if [ -n "$3" ]; then
        printf "  <disks>\n    <disk name='vda' type='file'>\n"
        printf "      <target file='%s'/>\n      <driver type='qcow2'/>\n" "$3"
        printf "    </disk>\n  </disks>\n"
    else
        printf "  <disks>\n    <disk name='vda'/>\n  </disks>\n"
    fi
    printf '</domainbackup>\n'
}
checkpoint_xml() { printf '<domaincheckpoint>\n  <name>%s</name>\n</domaincheckpoint>\n' "$1"; }
# push NAME BASE TARGET: a push backup creating checkpoint NAME, waited for
push() {
    backup_xml push "$2" "$3" >"$dir/b.xml"
    checkpoint_xml "$1" >"$dir/c.xml"
    bp backup-begin vm "$dir/b.xml" "$dir/c.xml" --wait
}
dirty() {        # dirty SEED ARGS...: the guest writes; prints the clusters written
    "$dirtier" "$disk_uri" --seed "$@" || die "bench-dirty failed"
}

cl=65536
size=$((size_mib * 1024 * 1024))
mkdir -p "$dir/images" "$dir/backup" "$dir/out.d"
cpus=$(nproc 2>/dev/null || echo "?")
echo "blkpoint end-to-end backup benchmark: one ${size_mib} MiB qcow2 disk, $dirty % dirty" \
     "in 64 KiB clusters, median of $repeat runs, $cpus CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$("$QEMU_IMG" --version | head -1); $(nbdinfo --version 2>/dev/null | head -1)"

# ---- the disk, and the baseline copy while the domain is shut off ---------
img=$dir/images/vda.qcow2
head -c "$size" /dev/urandom >"$dir/fill.raw"
"$QEMU_IMG" convert -O qcow2 "$dir/fill.raw" "$img" || die "qemu-img convert of the fill"
rm -f "$dir/fill.raw"
img2=$dir/images/vdb.qcow2
if [ -n "$two" ]; then
    head -c "$size" /dev/urandom >"$dir/fill.raw"
    "$QEMU_IMG" convert -O qcow2 "$dir/fill.raw" "$img2" || die "qemu-img convert of the fill"
    rm -f "$dir/fill.raw"
fi
t_conv=
t_conv2=
for i in $(seq "$repeat"); do
    rm -f "$dir/conv.qcow2"
    settle
    t0=$(now)
    "$QEMU_IMG" convert -O qcow2 "$img" "$dir/conv.qcow2" || die "baseline qemu-img convert"
    sync "$dir/conv.qcow2"
    t_conv="$t_conv $(ms "$t0" "$(now)")"
    "$QEMU_IMG" compare -q "$img" "$dir/conv.qcow2" || die "WRONG RESULT: baseline copy differs"
    [ -n "$two" ] || continue
    rm -f "$dir/conv.qcow2" "$dir/conv2.qcow2"
    settle
    t0=$(now)
    "$QEMU_IMG" convert -O qcow2 "$img" "$dir/conv.qcow2" & c1=$!
    "$QEMU_IMG" convert -O qcow2 "$img2" "$dir/conv2.qcow2" || die "baseline qemu-img convert"
    wait $c1 || die "baseline qemu-img convert"
    sync "$dir/conv.qcow2" "$dir/conv2.qcow2"
    t_conv2="$t_conv2 $(ms "$t0" "$(now)")"
    "$QEMU_IMG" compare -q "$img2" "$dir/conv2.qcow2" || die "WRONG RESULT: baseline copy differs"
done
rm -f "$dir/conv.qcow2" "$dir/conv2.qcow2"

# ---- a private bus, blkpointd and the domain --------------------------------
"$DBUS_DAEMON" --session --fork --print-address=3 --print-pid=4 \
    3>"$dir/bus.addr" 4>"$dir/bus.pid" || die "no dbus-daemon"
DBUS_SESSION_BUS_ADDRESS=$(cat "$dir/bus.addr"); export DBUS_SESSION_BUS_ADDRESS
bus_pid=$(cat "$dir/bus.pid")
export BLKPOINT_CONNECT=session
"$blkpointd" --session --state-dir "$dir/state" --runtime-dir "$dir/run" \
    2>>"$dir/blkpointd.log" &
daemon_pid=$!
for _ in $(seq 50); do
    "$blkpoint" -q list --all >/dev/null 2>&1 && break
    sleep 0.1
done
cat >"$dir/vm.xml" <<XML
<domain>
  <name>vm</name>
  <devices>
    <disk type='file' device='disk'>
      <driver type='qcow2'/>
      <source file='$img'/>
      <target dev='vda'/>
    </disk>
$([ -n "$two" ] && printf "    <disk type='file' device='disk'>
      <driver type='qcow2'/>
      <source file='%s'/>
      <target dev='vdb'/>
    </disk>" "$img2")
  </devices>
</domain>
XML
bp define "$dir/vm.xml"
bp start vm
qsd_pid=$("$blkpoint" --json dominfo vm | sed -n 's/.*"pid" *: *\([0-9]*\).*/\1/p')
sock=$dir/run/vm/nbd.sock
disk_uri="nbd+unix:///vda?socket=$sock"
[ -S "$sock" ] || die "no NBD socket at $sock"

# ---- full push --------------------------------------------------------------
t_full=
t_nbdcopy=
full_bp() {
    f=$dir/backup/full-$i.qcow2
    settle
    t0=$(now)
    push "f$i" "" "$f"
    t_full="$t_full $(ms "$t0" "$(now)")"
    same "$f" "full push backup $i"
    [ "$i" -lt "$repeat" ] && rm -f "$f"
}
full_nbdcopy() {
    rm -f "$dir/nbdcopy.qcow2"
    settle
    t0=$(now)
    "$QEMU_IMG" create -q -f qcow2 "$dir/nbdcopy.qcow2" "$size" &&
        nbdcopy "$disk_uri" -- [ qemu-nbd -f qcow2 "$dir/nbdcopy.qcow2" ] &&
        sync "$dir/nbdcopy.qcow2" || die "baseline nbdcopy"
    t_nbdcopy="$t_nbdcopy $(ms "$t0" "$(now)")"
    same "$dir/nbdcopy.qcow2" "nbdcopy of the export $i"
    rm -f "$dir/nbdcopy.qcow2"
}
for i in $(seq "$repeat"); do
    if [ $((i % 2)) = 1 ]; then full_bp; full_nbdcopy; else full_nbdcopy; full_bp; fi
done
prev_ckpt=f$repeat

# ---- full push of two disks ---------------------------------------------------
t_full2=
if [ -n "$two" ]; then
    for i in $(seq "$repeat"); do
        cat >"$dir/b.xml" <<XML
<domainbackup>
  <disks>
    <disk name='vda' type='file'>
      <target file='$dir/backup/two-vda.qcow2'/>
      <driver type='qcow2'/>
    </disk>
    <disk name='vdb' type='file'>
      <target file='$dir/backup/two-vdb.qcow2'/>
      <driver type='qcow2'/>
    </disk>
  </disks>
</domainbackup>
XML
        settle
        t0=$(now)
        bp backup-begin vm "$dir/b.xml" --wait
        t_full2="$t_full2 $(ms "$t0" "$(now)")"
        same "$dir/backup/two-vda.qcow2" "two-disk full push $i (vda)"
        "$QEMU_IMG" compare -q -f qcow2 -F raw "$dir/backup/two-vdb.qcow2" \
            "nbd+unix:///vdb?socket=$sock" || die "WRONG RESULT: two-disk full push $i (vdb) differs"
        rm -f "$dir/backup/two-vda.qcow2" "$dir/backup/two-vdb.qcow2"
    done
fi
prev_file=$dir/backup/full-$repeat.qcow2

# ---- incremental push ---------------------------------------------------------
t_inc=
inc_bytes=0
for i in $(seq "$repeat"); do
    n=$(dirty $((100 + i)) --percent "$dirty")
    f=$dir/backup/inc-$i.qcow2
    settle
    t0=$(now)
    push "i$i" "$prev_ckpt" "$f"
    t_inc="$t_inc $(ms "$t0" "$(now)")"
    [ "$(own_bytes "$f")" = $((n * cl)) ] ||
        die "WRONG RESULT: incremental $i holds $(own_bytes "$f") bytes, $n clusters were written"
    same "$f" "incremental push backup $i (chain)"
    inc_bytes=$((n * cl))
    prev_ckpt=i$i
    prev_file=$f
done

# ---- restore of the chain full + incrementals -----------------------------
t_rest=
t_rconv=
restore_bp() {
    settle
    t0=$(now)
    bp restore vm vda "$dir/restored.qcow2" --checkpoint "$prev_ckpt"
    t_rest="$t_rest $(ms "$t0" "$(now)")"
    same "$dir/restored.qcow2" "restore $i"
}
restore_convert() {
    settle
    t0=$(now)
    # -t writeback, as restore does: the output is flushed before exit
    "$QEMU_IMG" convert -t writeback -O qcow2 "$prev_file" "$dir/rconv.qcow2" ||
        die "qemu-img convert of the chain"
    t_rconv="$t_rconv $(ms "$t0" "$(now)")"
    same "$dir/rconv.qcow2" "qemu-img convert of the chain $i"
}
for i in $(seq "$repeat"); do
    rm -f "$dir/restored.qcow2" "$dir/rconv.qcow2"
    # each goes first in every other run: what ran just before slows the
    # next a little (the host's write-back), and neither should get it
    if [ $((i % 2)) = 1 ]; then restore_bp; restore_convert; else restore_convert; restore_bp; fi
done
chain_len=$("$QEMU_IMG" info --backing-chain "$prev_file" | grep -c '^image:')
rm -f "$dir/restored.qcow2" "$dir/rconv.qcow2"

# ---- incremental pull: the per-extent loop, then backup-pull --------------
t_loop=
t_pull=
pull_bytes=0
extents=
export_uri="nbd+unix:///backup-vda?socket=$sock"
for i in $(seq "$repeat"); do
    n=$(dirty $((200 + i)) --percent "$dirty")
    backup_xml pull "$prev_ckpt" "" >"$dir/b.xml"
    checkpoint_xml "p$i" >"$dir/c.xml"
    bp backup-begin vm "$dir/b.xml" "$dir/c.xml"
    loop=$dir/backup/loop-$i.qcow2
    settle
    t0=$(now)
    "$QEMU_IMG" create -q -f qcow2 -F raw -b "$export_uri" "$loop" || die "qemu-img create $loop"
    nbdinfo --map=qemu:dirty-bitmap:backup-vda "$export_uri" >"$dir/map" || die "nbdinfo --map"
    while read -r off len type _rest; do
        [ "$type" = 1 ] || continue
        qemu-io -C -f qcow2 -c "read $off $len" "$loop" >/dev/null || die "qemu-io read $off $len"
    done <"$dir/map"
    "$QEMU_IMG" rebase -u -F qcow2 -b "$prev_file" "$loop" || die "qemu-img rebase $loop"
    t_loop="$t_loop $(ms "$t0" "$(now)")"
    extents=$(awk '$3 == 1' "$dir/map" | wc -l)
    f=$dir/backup/pull-$i.qcow2
    settle
    t0=$(now)
    bp backup-pull vm --disk vda --output "$f"
    t_pull="$t_pull $(ms "$t0" "$(now)")"
    "$blkpoint" domjobinfo vm --completed | grep -q '^Job type: *Completed' ||
        die "pull backup $i did not complete"
    [ "$(own_bytes "$f")" = $((n * cl)) ] && [ "$(own_bytes "$loop")" = $((n * cl)) ] ||
        die "WRONG RESULT: pull $i: backup-pull $(own_bytes "$f"), loop $(own_bytes "$loop") bytes; $n clusters written"
    same "$f" "backup-pull $i (chain)"
    same "$loop" "per-extent loop $i (chain)"
    pull_bytes=$((n * cl))
    prev_ckpt=p$i
    prev_file=$f
done

# ---- tiny incremental: the path's own cost -----------------------------------
t_tiny=
t_noop=
t_job=
for i in $(seq "$repeat"); do
    n=$(dirty $((300 + i)) --bytes 1048576)
    f=$dir/backup/tiny-$i.qcow2
    settle
    t0=$(now)
    push "t$i" "$prev_ckpt" "$f"
    t_tiny="$t_tiny $(ms "$t0" "$(now)")"
    job=$("$blkpoint" domjobinfo vm --completed | awk -F: '/^Time elapsed/ { print $2 + 0 }')
    t_job="$t_job ${job:-0}"
    [ "$(own_bytes "$f")" = $((n * cl)) ] || die "WRONG RESULT: tiny incremental $i"
    same "$f" "tiny incremental $i (chain)"
    t0=$(now)
    bp domjobinfo vm
    t_noop="$t_noop $(ms "$t0" "$(now)")"
    prev_ckpt=t$i
    prev_file=$f
done

# ---- report -------------------------------------------------------------------
rate() { awk -v b="$1" -v m="$2" 'BEGIN { if (m > 0) printf "%.0f MB/s", b / 1e6 / (m / 1e3); else print "-" }'; }
sec() { awk -v m="$1" 'BEGIN { printf "%.2f s", m / 1e3 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.1fx", b / a; else print "-" }'; }
row() { printf '%-46s %9s %10s   %-40s %9s %10s %7s\n' "$@"; }
m_conv=$(median "$t_conv"); m_full=$(median "$t_full"); m_inc=$(median "$t_inc")
m_rest=$(median "$t_rest"); m_rconv=$(median "$t_rconv")
m_loop=$(median "$t_loop"); m_pull=$(median "$t_pull")
m_tiny=$(median "$t_tiny"); m_noop=$(median "$t_noop"); m_job=$(median "$t_job")
echo
row "blkpoint" "time" "rate" "baseline, same run" "time" "rate" "speed"
row "full push, $size_mib MiB (backup-begin --wait)" "$(sec "$m_full")" "$(rate "$size" "$m_full")" \
    "qemu-img convert -O qcow2 + sync, off" "$(sec "$m_conv")" "$(rate "$size" "$m_conv")" "$(ratio "$m_full" "$m_conv")"
row "" "" "" "nbdcopy of the export to qemu-nbd + sync" "$(sec "$(median "$t_nbdcopy")")" \
    "$(rate "$size" "$(median "$t_nbdcopy")")" "$(ratio "$m_full" "$(median "$t_nbdcopy")")"
[ -n "$two" ] &&
    row "full push, 2 disks x $size_mib MiB" "$(sec "$(median "$t_full2")")" \
        "$(rate $((2 * size)) "$(median "$t_full2")")" \
        "two such copies at once" "$(sec "$(median "$t_conv2")")" \
        "$(rate $((2 * size)) "$(median "$t_conv2")")" "$(ratio "$(median "$t_full2")" "$(median "$t_conv2")")"
row "incremental push, $dirty % ($((inc_bytes / 1048576)) MiB)" "$(sec "$m_inc")" "$(rate "$inc_bytes" "$m_inc")" \
    "the full push above" "$(sec "$m_full")" "$(rate "$size" "$m_full")" "$(ratio "$m_inc" "$m_full")"
row "restore of a chain of $chain_len (blkpoint restore)" "$(sec "$m_rest")" "$(rate "$size" "$m_rest")" \
    "qemu-img convert -O qcow2 of the chain" "$(sec "$m_rconv")" "$(rate "$size" "$m_rconv")" "$(ratio "$m_rest" "$m_rconv")"
row "incremental pull, $dirty % (backup-pull)" "$(sec "$m_pull")" "$(rate "$pull_bytes" "$m_pull")" \
    "per-extent qemu-io loop ($extents extents)" "$(sec "$m_loop")" "$(rate "$pull_bytes" "$m_loop")" "$(ratio "$m_pull" "$m_loop")"
row "tiny incremental, 1 MiB (begin to Completed)" "$(sec "$m_tiny")" "" \
    "one no-op client call (domjobinfo)" "$(sec "$m_noop")" "" ""
echo "the tiny backup's job, as the daemon times it: $m_job ms (median)"
echo "speed: how many times faster blkpoint is than its baseline (below 1x: slower)"
echo "runs (ms): convert$t_conv; full$t_full; nbdcopy$t_nbdcopy;${two:+ 2 converts$t_conv2; 2-disk full$t_full2;} inc$t_inc; restore$t_rest; chain convert$t_rconv;" \
     "loop$t_loop; pull$t_pull; tiny$t_tiny; no-op$t_noop"
echo "every backup, chain and restored image above was compared with the disk: identical"
