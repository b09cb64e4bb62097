/*
 * bench-dirty.c: the "guest" of tests/bench/bench-backup.sh.  Not a test.
 *
 *   bench-dirty URI {--percent P | --bytes N} [--cluster-kib K] [--seed S]
 *
 * Writes incompressible data (a fresh pseudo-random buffer per cluster)
 * into distinct clusters of --cluster-kib chosen at random (seeded)
 * across the whole NBD export URI: --percent of its clusters, or --bytes
 * rounded up to whole clusters.  Flushes, then prints the number of
 * clusters written.  Exits non-zero (with the reason) on any error.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include <glib.h>
#include <libnbd.h>

static double opt_percent = -1;
static gint64 opt_bytes = -1;
static int opt_cluster_kib = 64;
static int opt_seed = 1;


int
main(int argc, char **argv)
{
    GOptionEntry entries[] = {
        { "percent", 0, 0, G_OPTION_ARG_DOUBLE, &opt_percent, "share of clusters to write", "P" },
        { "bytes", 0, 0, G_OPTION_ARG_INT64, &opt_bytes, "bytes to write", "N" },
        { "cluster-kib", 0, 0, G_OPTION_ARG_INT, &opt_cluster_kib, "cluster size (KiB)", "K" },
        { "seed", 0, 0, G_OPTION_ARG_INT, &opt_seed, "random seed", "S" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("URI - write random clusters");
    g_autoptr(GError) err = NULL;
    g_autofree guint8 *taken = NULL;
    g_autofree guint32 *buf = NULL;
    struct nbd_handle *nbd;
    guint64 cluster, slots, count;
    gint64 size;
    GRand *rand;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "bench-dirty: %s\n", err->message);
        return 2;
    }
    if (argc != 2 || (opt_percent < 0) == (opt_bytes < 0) || opt_cluster_kib <= 0) {
        fprintf(stderr, "bench-dirty: one URI and one of --percent or --bytes needed\n");
        return 2;
    }

    if (!(nbd = nbd_create()) || nbd_connect_uri(nbd, argv[1]) < 0 ||
        (size = nbd_get_size(nbd)) < 0) {
        fprintf(stderr, "bench-dirty: %s: %s\n", argv[1], nbd_get_error());
        return 1;
    }
    cluster = (guint64) opt_cluster_kib * 1024;
    slots = size / cluster;
    if (opt_percent >= 0)
        count = (guint64) (slots * opt_percent / 100);
    else
        count = (opt_bytes + cluster - 1) / cluster;
    if (count > slots) {
        fprintf(stderr, "bench-dirty: %llu clusters asked, the export has %llu\n",
                (unsigned long long) count, (unsigned long long) slots);
        return 2;
    }

    taken = g_new0(guint8, slots);
    buf = g_new(guint32, cluster / 4);
    rand = g_rand_new_with_seed(opt_seed);
    for (guint64 i = 0; i < count; i++) {
        guint64 s;

        do {
            s = g_rand_int_range(rand, 0, slots);
        } while (taken[s]);
        taken[s] = 1;
        for (guint64 j = 0; j < cluster / 4; j++)
            buf[j] = g_rand_int(rand);
        if (nbd_pwrite(nbd, buf, cluster, s * cluster, 0) < 0) {
            fprintf(stderr, "bench-dirty: write at %llu: %s\n",
                    (unsigned long long) (s * cluster), nbd_get_error());
            return 1;
        }
    }
    g_rand_free(rand);
    if (nbd_flush(nbd, 0) < 0 || nbd_shutdown(nbd, 0) < 0) {
        fprintf(stderr, "bench-dirty: flush: %s\n", nbd_get_error());
        return 1;
    }
    nbd_close(nbd);
    printf("%llu\n", (unsigned long long) count);
    return 0;
}
