/*
 * testutils.c: helpers shared by the C tests (see testutils.h).
 */
#include <config.h>

#include <glib/gstdio.h>
#include <errno.h>
#include <stdio.h>
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


char *
bp_test_mkdtemp(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("blkpoint-test-XXXXXX", &error);

    g_assert_no_error(error);
    return dir;
}


void
bp_test_rmdir(const char *path)
{
    g_autofree char *cmd = NULL;

    if (!path || !*path || g_str_equal(path, "/"))
        return;
    cmd = g_strdup_printf("rm -rf '%s'", path);
    g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL);
}
