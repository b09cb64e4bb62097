/*
 * store-crash-helper.c: the process test-store-crash kills.
 *
 *   store-crash-helper DB JOURNAL SEED FIRST [COUNT]
 *
 * Opens the catalogue DB and runs operations FIRST, FIRST+1, ... of the
 * generator in store-crash-ops.c (COUNT of them, or until killed).
 * Around each one it appends a line to JOURNAL and fsyncs it:
 * "BEGIN k" before the call, then "DONE k" when the call returned
 * success (committed) or "FAIL k" when the store refused it.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store-crash-ops.h"


static void
journal(int fd, const char *word, guint64 k)
{
    char line[64];
    int len = g_snprintf(line, sizeof(line), "%s %" G_GUINT64_FORMAT "\n", word, k);

    /* One write per line, so a kill never interleaves two lines; a kill
     * in the middle leaves a line without its newline, which the reader
     * ignores. */
    if (write(fd, line, len) != len || fdatasync(fd) < 0) {
        g_printerr("store-crash-helper: cannot write the journal: %s\n", g_strerror(errno));
        exit(3);
    }
}


int
main(int argc, char **argv)
{
    g_autoptr(BpStore) store = NULL;
    g_autoptr(GError) error = NULL;
    guint32 seed;
    guint64 first;
    guint64 count = 0;
    int fd;

    if (argc != 5 && argc != 6) {
        g_printerr("usage: %s DB JOURNAL SEED FIRST [COUNT]\n", argv[0]);
        return 2;
    }
    seed = (guint32) g_ascii_strtoull(argv[3], NULL, 10);
    first = g_ascii_strtoull(argv[4], NULL, 10);
    if (argc == 6)
        count = g_ascii_strtoull(argv[5], NULL, 10);

    fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        g_printerr("store-crash-helper: cannot open %s: %s\n", argv[2], g_strerror(errno));
        return 2;
    }
    if (!(store = bp_store_open(argv[1], &error))) {
        g_printerr("store-crash-helper: %s\n", error->message);
        return 2;
    }
    for (guint64 k = first; count == 0 || k < first + count; k++) {
        g_autoptr(GError) op_error = NULL;
        gboolean ok;

        journal(fd, "BEGIN", k);
        ok = bp_store_crash_op(store, seed, k, NULL, &op_error);
        journal(fd, ok ? "DONE" : "FAIL", k);
    }
    close(fd);
    return 0;
}
