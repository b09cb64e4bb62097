/*
 * bench-nbd-copy.c: the pull-mode copy benchmark behind the "Pull-mode
 * copy" section of docs/performance.md.  Not a test: nothing here passes
 * or fails.  Run with `make bench-nbd` or tests/bench/bench-nbd-copy
 * [--size-mib N] [--dirty-percent P] [--extent-kib K] [--repeat R].
 *
 * It creates a qcow2 source of --size-mib with an enabled dirty bitmap,
 * writes --dirty-percent of it as extents of --extent-kib at random
 * places (fixed seed), exports it read-only with qemu-nbd -B, and pulls
 * an incremental backup (onto an empty backing qcow2) with bp_nbd_copy():
 * the baseline is one extent piece at a time with blocking nbd_pread and
 * nbd_pwrite (the per-extent qemu-io loop of the 2020 pull-mode talk,
 * minus its process start-ups), then 1, 8 and 16 requests in flight on
 * one connection and 16 in flight on each of 4 connections.  Each
 * figure is the median of --repeat runs; the source stays in the page
 * cache, so this measures the copy machinery, not the disk.
 */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nbd/bp-nbd-copy.h"
#include "tests/testutils.h"

static int opt_size_mib = 1024;
static int opt_dirty_percent = 10;
static int opt_extent_kib = 128;
static int opt_repeat = 3;


static void
run_or_die(char **argv)
{
    g_autoptr(GError) err = NULL;
    int status;

    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                      NULL, NULL, &status, &err) ||
        !g_spawn_check_wait_status(status, &err))
        g_error("%s: %s", argv[0], err->message);
}


static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}


int
main(int argc, char **argv)
{
    GOptionEntry entries[] = {
        { "size-mib", 0, 0, G_OPTION_ARG_INT, &opt_size_mib, "export size (MiB)", "N" },
        { "dirty-percent", 0, 0, G_OPTION_ARG_INT, &opt_dirty_percent, "dirty share", "P" },
        { "extent-kib", 0, 0, G_OPTION_ARG_INT, &opt_extent_kib, "dirty extent size", "K" },
        { "repeat", 0, 0, G_OPTION_ARG_INT, &opt_repeat, "runs per mode", "R" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    struct {
        const char *name;
        gboolean sync;
        guint in_flight;
        guint conns;
    } modes[] = {
        { "baseline: blocking pread+pwrite per extent", TRUE, 1, 1 },
        { "aio, 1 in flight, 1 connection", FALSE, 1, 1 },
        { "aio, 8 in flight, 1 connection", FALSE, 8, 1 },
        { "aio, 16 in flight, 1 connection", FALSE, 16, 1 },
        { "aio, 16 in flight x 4 connections", FALSE, 16, 4 },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- pull-mode copy benchmark");
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) io = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *qemu_img = NULL, *qemu_nbd = NULL, *qemu_io = NULL;
    g_autofree char *dir = NULL, *src = NULL, *prev = NULL, *out = NULL;
    g_autofree char *sock = NULL, *uri = NULL, *size = NULL;
    guint64 slots, dirty, extent;
    g_autofree guint8 *taken = NULL;
    GRand *rand;
    GPid pid;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err))
        g_error("%s", err->message);
    qemu_img = g_find_program_in_path("qemu-img");
    qemu_nbd = g_find_program_in_path("qemu-nbd");
    qemu_io = g_find_program_in_path("qemu-io");
    if (!qemu_img || !qemu_nbd || !qemu_io)
        g_error("qemu-img, qemu-nbd and qemu-io are needed");

    dir = bp_test_mkdtemp();
    src = g_build_filename(dir, "src.qcow2", NULL);
    prev = g_build_filename(dir, "prev.qcow2", NULL);
    out = g_build_filename(dir, "out.qcow2", NULL);
    sock = g_build_filename(dir, "nbd.sock", NULL);
    uri = g_strdup_printf("nbd+unix:///?socket=%s", sock);
    size = g_strdup_printf("%dM", opt_size_mib);

    run_or_die((char *[]) { qemu_img, (char *) "create", (char *) "-q", (char *) "-f",
                            (char *) "qcow2", src, size, NULL });
    run_or_die((char *[]) { qemu_img, (char *) "create", (char *) "-q", (char *) "-f",
                            (char *) "qcow2", prev, size, NULL });
    run_or_die((char *[]) { qemu_img, (char *) "bitmap", (char *) "--add",
                            (char *) "--enable", src, (char *) "b0", NULL });

    /* Random non-overlapping extents, --dirty-percent of the export. */
    extent = (guint64) opt_extent_kib * 1024;
    slots = (guint64) opt_size_mib * 1024 * 1024 / extent;
    dirty = slots * opt_dirty_percent / 100;
    taken = g_new0(guint8, slots);
    rand = g_rand_new_with_seed(7);
    g_ptr_array_add(io, g_strdup(qemu_io));
    g_ptr_array_add(io, g_strdup("-f"));
    g_ptr_array_add(io, g_strdup("qcow2"));
    for (guint64 i = 0; i < dirty; i++) {
        guint64 s;

        do {
            s = g_rand_int_range(rand, 0, slots);
        } while (taken[s]);
        taken[s] = 1;
        g_ptr_array_add(io, g_strdup("-c"));
        g_ptr_array_add(io, g_strdup_printf("write -P %u %llu %llu",
                                            (unsigned) (i % 250) + 1,
                                            (unsigned long long) (s * extent),
                                            (unsigned long long) extent));
    }
    g_rand_free(rand);
    g_ptr_array_add(io, g_strdup(src));
    g_ptr_array_add(io, NULL);
    run_or_die((char **) io->pdata);

    if (!g_spawn_async(NULL, (char *[]) { qemu_nbd, (char *) "-r", (char *) "-t",
                                          (char *) "-e", (char *) "16", (char *) "-f",
                                          (char *) "qcow2", (char *) "-B", (char *) "b0",
                                          (char *) "--socket", sock, src, NULL },
                       NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &err))
        g_error("qemu-nbd: %s", err->message);
    for (int i = 0; i < 500 && !g_file_test(sock, G_FILE_TEST_EXISTS); i++)
        g_usleep(10000);
    g_usleep(100000);

    printf("export %d MiB, %d%% dirty in %llu extents of %d KiB, median of %d runs\n",
           opt_size_mib, opt_dirty_percent, (unsigned long long) dirty, opt_extent_kib,
           opt_repeat);
    for (guint m = 0; m < G_N_ELEMENTS(modes); m++) {
        g_autofree double *secs = g_new0(double, opt_repeat);
        BpNbdCopyResult res = { 0 };

        for (int r = 0; r < opt_repeat; r++) {
            BpNbdCopyOptions opts = { 0 };
            gint64 t0;

            opts.uri = uri;
            opts.bitmap = "b0";
            opts.output = out;
            opts.backing = prev;
            opts.in_flight = modes[m].in_flight;
            opts.connections = modes[m].conns;
            opts.synchronous = modes[m].sync;
            unlink(out);
            t0 = g_get_monotonic_time();
            if (!bp_nbd_copy(&opts, &res, &err))
                g_error("copy: %s", err->message);
            secs[r] = (g_get_monotonic_time() - t0) / 1e6;
        }
        qsort(secs, opt_repeat, sizeof(double), cmp_double);
        printf("%-45s %8.3f s  %8.1f MB/s  (%u connection%s)\n", modes[m].name,
               secs[opt_repeat / 2], res.data_bytes / 1e6 / secs[opt_repeat / 2],
               res.connections, res.connections == 1 ? "" : "s");
    }

    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    bp_test_rmdir(dir);
    return 0;
}
