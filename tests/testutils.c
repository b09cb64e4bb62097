/*
 * testutils.c: helpers shared by the C tests (see testutils.h).
 */
#include <config.h>

#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutils.h"


char *
bp_test_srcpath(const char *relpath)
{
    const char *src = g_getenv("G_TEST_SRCDIR");

    return g_build_filename(src ? src : ".", relpath, NULL);
}


char *
bp_test_conformance_path(const char *relpath)
{
    const char *dir = g_getenv("BP_CONFORMANCE_DIR");
    g_autofree char *path = NULL;

    if (!dir || !g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        g_test_skip("conformance corpus not available (BP_CONFORMANCE_DIR)");
        return NULL;
    }
    path = g_build_filename(dir, relpath, NULL);
    return g_steal_pointer(&path);
}


static void
bp_test_print_diff(const char *expected_path, const char *actual)
{
    g_autofree char *tmp = NULL;
    g_autofree char *out = NULL;
    g_autofree char *cmd = NULL;
    int fd = g_file_open_tmp("bp-actual-XXXXXX", &tmp, NULL);

    if (fd < 0)
        return;
    close(fd);
    if (!g_file_set_contents(tmp, actual, -1, NULL))
        return;
    cmd = g_strdup_printf("diff -u '%s' '%s'", expected_path, tmp);
    g_spawn_command_line_sync(cmd, &out, NULL, NULL, NULL);
    g_test_message("%s", out ? out : "");
    g_unlink(tmp);
}


void
bp_test_compare_to_file(const char *actual, const char *golden_path)
{
    g_autofree char *expected = NULL;
    g_autoptr(GError) error = NULL;

    if (g_strcmp0(g_getenv("BP_TEST_REGENERATE"), "1") == 0) {
        g_assert_true(g_file_set_contents(golden_path, actual, -1, &error));
        return;
    }
    if (!g_file_get_contents(golden_path, &expected, NULL, &error)) {
        g_test_message("cannot read golden file: %s", error->message);
        g_test_fail();
        return;
    }
    if (g_strcmp0(expected, actual) != 0) {
        g_test_message("output differs from %s", golden_path);
        bp_test_print_diff(golden_path, actual);
        g_test_fail();
    }
}


/* The reaper of @dir: a shell that waits for the end of its standard
 * input (the write end stays open in this process only, close-on-exec)
 * and then kills every qemu-storage-daemon whose command line names a
 * file below @dir.  It runs when the test program ends however it ends,
 * a g_assert() abort included. */
#define BP_TEST_REAPER \
    "read _ 2>/dev/null\n" \
    "for p in /proc/[0-9]*; do\n" \
    "    case \"$(tr '\\0' ' ' <\"$p/cmdline\" 2>/dev/null)\" in\n" \
    "        *qemu-storage-daemo[n]\\ *\"$1\"/*) kill -9 \"${p#/proc/}\" 2>/dev/null ;;\n" \
    "    esac\n" \
    "done\n"


static void
bp_test_reaper_start(const char *dir)
{
    const char *argv[] = { "/bin/sh", "-c", BP_TEST_REAPER, "bp-test-reaper", dir, NULL };
    g_autoptr(GError) error = NULL;
    int in = -1;

    if (!g_spawn_async_with_pipes(NULL, (char **) argv, NULL,
                                  G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                  NULL, NULL, NULL, &in, NULL, NULL, &error)) {
        g_printerr("cannot start the reaper of %s: %s\n", dir, error->message);
        return;
    }
    /* Kept open (and out of every child) until this process ends. */
    if (fcntl(in, F_SETFD, FD_CLOEXEC) < 0)
        g_printerr("cannot set close-on-exec: %s\n", g_strerror(errno));
}


char *
bp_test_mkdtemp(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("blkpoint-test-XXXXXX", &error);

    g_assert_no_error(error);
    bp_test_reaper_start(dir);
    return dir;
}


/* The pids of the running qemu-storage-daemons whose command line names
 * a file below @dir (zombies have none). */
static GArray *
bp_test_qsd_pids(const char *dir)
{
    GArray *pids = g_array_new(FALSE, FALSE, sizeof(int));
    g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
    g_autofree char *below = g_strconcat(dir, "/", NULL);
    const char *ent;

    while (proc && (ent = g_dir_read_name(proc))) {
        g_autofree char *path = NULL;
        g_autofree char *cmdline = NULL;
        gsize len = 0;
        gboolean qsd = FALSE, names = FALSE;
        int pid;

        if (!g_ascii_isdigit(*ent))
            continue;
        pid = atoi(ent);
        path = g_strdup_printf("/proc/%s/cmdline", ent);
        if (!g_file_get_contents(path, &cmdline, &len, NULL) || len == 0)
            continue;
        for (gsize off = 0; off < len; off += strlen(cmdline + off) + 1) {
            const char *arg = cmdline + off;

            if (off == 0)
                qsd = g_str_has_suffix(arg, "qemu-storage-daemon");
            else if (strstr(arg, below))
                names = TRUE;
        }
        if (qsd && names)
            g_array_append_val(pids, pid);
    }
    return pids;
}


void
bp_test_assert_no_qsd(const char *dir)
{
    g_autoptr(GArray) pids = bp_test_qsd_pids(dir);

    for (guint i = 0; i < pids->len; i++) {
        int pid = g_array_index(pids, int, i);

        g_test_message("qemu-storage-daemon %d of %s survived the test; killed", pid, dir);
        kill(pid, SIGKILL);
    }
    if (pids->len > 0)
        g_test_fail();
}


void
bp_test_rmdir(const char *path)
{
    g_autofree char *cmd = NULL;

    if (!path || !*path || g_str_equal(path, "/"))
        return;
    bp_test_assert_no_qsd(path);
    cmd = g_strdup_printf("rm -rf '%s'", path);
    g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL);
}
