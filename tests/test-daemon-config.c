/*
 * test-daemon-config.c: blkpointd's settings.
 *
 * - The installed blkpointd.conf, with every key uncommented, gives
 *   exactly the built-in defaults (so the file documents the truth).
 * - Where the state and runtime directories come from: the command line,
 *   then the file, then systemd's $STATE_DIRECTORY/$RUNTIME_DIRECTORY,
 *   then the XDG or system defaults.
 * - Bad values stop the daemon with a message naming the file, group and
 *   key; unknown keys are only warned about.
 */
#include <config.h>

#include <glib/gstdio.h>
#include <string.h>

#include "daemon/bp-daemon-config.h"
#include "testutils.h"
#include "util/bp-error.h"


static char *
write_conf(const char *dir, const char *text)
{
    char *path = g_build_filename(dir, "blkpointd.conf", NULL);

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}


static void
test_installed_file_is_defaults(void)
{
    const char *builddir = g_getenv("top_builddir");
    g_autofree char *installed = NULL;
    g_autofree char *text = NULL;
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *path = NULL;
    g_autoptr(GRegex) re = NULL;
    g_autofree char *uncommented = NULL;
    g_autoptr(BpDaemonConfig) defaults = bp_daemon_config_new(TRUE);
    g_autoptr(BpDaemonConfig) config = bp_daemon_config_new(TRUE);
    g_autoptr(GError) err = NULL;

    if (!builddir) {
        g_test_skip("top_builddir not set");
        return;
    }
    installed = g_build_filename(builddir, "daemon", "blkpointd.conf", NULL);
    g_assert_true(g_file_get_contents(installed, &text, NULL, NULL));

    /* As installed (all commented out): the defaults. */
    g_assert_true(bp_daemon_config_load(config, installed, TRUE, &err));
    g_assert_no_error(err);
    g_assert_null(config->state_dir);
    g_assert_cmpuint(config->max_concurrent_jobs, ==, defaults->max_concurrent_jobs);

    /* Every "#key=value" line made active: still the defaults. */
    re = g_regex_new("^#([a-z0-9_]+=)", G_REGEX_MULTILINE, 0, NULL);
    uncommented = g_regex_replace(re, text, -1, 0, "\\1", 0, NULL);
    g_assert_cmpstr(uncommented, !=, text);
    path = write_conf(dir, uncommented);
    g_clear_pointer(&config, bp_daemon_config_free);
    config = bp_daemon_config_new(TRUE);
    g_assert_true(bp_daemon_config_load(config, path, TRUE, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(config->state_dir, ==, LOCALSTATEDIR "/lib/blkpoint");
    g_assert_cmpstr(config->runtime_dir, ==, RUNSTATEDIR "/blkpoint");
    g_assert_cmpint(config->log_level, ==, defaults->log_level);
    g_assert_cmpuint(config->max_concurrent_jobs, ==, defaults->max_concurrent_jobs);
    g_assert_cmpstr(config->qemu_storage_daemon, ==, "qemu-storage-daemon");
    g_assert_cmpstr(config->qemu_img, ==, "qemu-img");
    g_assert_cmpuint(config->stop_timeout, ==, defaults->stop_timeout);
    g_assert_cmpuint(config->qmp_command_timeout, ==, defaults->qmp_command_timeout);
    g_assert_cmpstr(config->nbd_listen_address, ==, defaults->nbd_listen_address);
    g_assert_cmpuint(config->nbd_port_min, ==, defaults->nbd_port_min);
    g_assert_cmpuint(config->nbd_port_max, ==, defaults->nbd_port_max);
    g_assert_null(config->nbd_tls_x509_dir);
    g_assert_cmpint(config->nbd_tls, ==, defaults->nbd_tls);
    g_assert_null(config->scratch_dir);
    g_assert_cmpstr(config->config_path, ==, path);
    bp_test_rmdir(dir);
}


static void
clear_dir_env(void)
{
    g_unsetenv("STATE_DIRECTORY");
    g_unsetenv("RUNTIME_DIRECTORY");
    g_unsetenv("XDG_STATE_HOME");
    g_unsetenv("XDG_RUNTIME_DIR");
}


static void
test_dirs(void)
{
    g_autoptr(BpDaemonConfig) c = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *home_state = g_build_filename(g_get_home_dir(), ".local", "state",
                                                   "blkpoint", NULL);
    g_autofree char *cwd = g_get_current_dir();
    g_autofree char *rel = g_build_filename(cwd, "st", NULL);

    clear_dir_env();

    /* system defaults */
    c = bp_daemon_config_new(TRUE);
    g_assert_true(bp_daemon_config_resolve_dirs(c, NULL, NULL, &err));
    g_assert_cmpstr(c->state_dir, ==, LOCALSTATEDIR "/lib/blkpoint");
    g_assert_cmpstr(c->runtime_dir, ==, RUNSTATEDIR "/blkpoint");
    g_clear_pointer(&c, bp_daemon_config_free);

    /* under systemd: the first of its directories */
    g_setenv("STATE_DIRECTORY", "/srv/st:/srv/other", TRUE);
    g_setenv("RUNTIME_DIRECTORY", "/srv/rt", TRUE);
    c = bp_daemon_config_new(TRUE);
    g_assert_true(bp_daemon_config_resolve_dirs(c, NULL, NULL, &err));
    g_assert_cmpstr(c->state_dir, ==, "/srv/st");
    g_assert_cmpstr(c->runtime_dir, ==, "/srv/rt");
    g_clear_pointer(&c, bp_daemon_config_free);

    /* the file wins over systemd, the command line over both; relative
     * command-line paths are made absolute */
    c = bp_daemon_config_new(TRUE);
    c->state_dir = g_strdup("/etc-said/state");
    c->runtime_dir = g_strdup("/etc-said/run");
    g_assert_true(bp_daemon_config_resolve_dirs(c, "st", NULL, &err));
    g_assert_cmpstr(c->state_dir, ==, rel);
    g_assert_cmpstr(c->runtime_dir, ==, "/etc-said/run");
    g_clear_pointer(&c, bp_daemon_config_free);
    clear_dir_env();

    /* session: XDG */
    g_setenv("XDG_STATE_HOME", "/x/state", TRUE);
    g_setenv("XDG_RUNTIME_DIR", "/x/run", TRUE);
    c = bp_daemon_config_new(FALSE);
    g_assert_true(bp_daemon_config_resolve_dirs(c, NULL, NULL, &err));
    g_assert_cmpstr(c->state_dir, ==, "/x/state/blkpoint");
    g_assert_cmpstr(c->runtime_dir, ==, "/x/run/blkpoint");
    g_clear_pointer(&c, bp_daemon_config_free);

    /* session without XDG_STATE_HOME: ~/.local/state; without a runtime
     * directory: an error unless one is given */
    clear_dir_env();
    c = bp_daemon_config_new(FALSE);
    g_assert_false(bp_daemon_config_resolve_dirs(c, NULL, NULL, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(err->message, "XDG_RUNTIME_DIR"));
    g_clear_error(&err);
    g_assert_true(bp_daemon_config_resolve_dirs(c, NULL, "/r", &err));
    g_assert_cmpstr(c->state_dir, ==, home_state);
    g_assert_cmpstr(c->runtime_dir, ==, "/r");
}


/* Loads @text and expects an error mentioning every string in @needles. */
static void
expect_bad(const char *text, const char *const *needles)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *path = write_conf(dir, text);
    g_autoptr(BpDaemonConfig) c = bp_daemon_config_new(TRUE);
    g_autoptr(GError) err = NULL;

    g_assert_false(bp_daemon_config_load(c, path, TRUE, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(err->message, path));
    for (size_t i = 0; needles[i]; i++) {
        if (!strstr(err->message, needles[i]))
            g_error("'%s' not in: %s", needles[i], err->message);
    }
    bp_test_rmdir(dir);
}


static void
test_bad_values(void)
{
    expect_bad("[daemon]\nmax_concurrent_jobs=many\n",
               (const char *[]) { "[daemon]", "max_concurrent_jobs", NULL });
    expect_bad("[daemon]\nlog_level=loud\n",
               (const char *[]) { "log_level", "'loud'", NULL });
    expect_bad("[daemon]\nstate_dir=relative/dir\n",
               (const char *[]) { "state_dir", "absolute", NULL });
    expect_bad("[qemu]\nstop_timeout=0\n",
               (const char *[]) { "[qemu]", "stop_timeout", NULL });
    expect_bad("[backup]\nnbd_port_min=2000\nnbd_port_max=1000\n",
               (const char *[]) { "nbd_port_max", NULL });
    expect_bad("[backup]\nnbd_tls=true\n",
               (const char *[]) { "nbd_tls", "nbd_tls_x509_dir", NULL });
    expect_bad("[backup]\nnbd_tls=perhaps\n",
               (const char *[]) { "[backup]", "nbd_tls", NULL });
    expect_bad("not a key file\n", (const char *[]) { NULL });
}


static void
test_unknown_and_missing(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *path = write_conf(dir, "[daemon]\ncolour=blue\nlog_level=debug\n"
                                            "[extra]\nx=1\n");
    g_autofree char *missing = g_build_filename(dir, "nope.conf", NULL);
    g_autoptr(BpDaemonConfig) c = bp_daemon_config_new(FALSE);
    g_autoptr(GError) err = NULL;

    g_test_expect_message("blkpoint", G_LOG_LEVEL_WARNING, "*unknown key 'colour'*");
    g_test_expect_message("blkpoint", G_LOG_LEVEL_WARNING, "*unknown group [extra]*");
    g_assert_true(bp_daemon_config_load(c, path, TRUE, &err));
    g_test_assert_expected_messages();
    g_assert_no_error(err);
    g_assert_cmpint(c->log_level, ==, BP_LOG_DEBUG);

    /* the default file may be absent, a file named on the command line not */
    g_assert_true(bp_daemon_config_load(c, missing, FALSE, &err));
    g_assert_false(bp_daemon_config_load(c, missing, TRUE, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(err->message, missing));
    bp_test_rmdir(dir);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/daemon/config/installed-file", test_installed_file_is_defaults);
    g_test_add_func("/daemon/config/dirs", test_dirs);
    g_test_add_func("/daemon/config/bad-values", test_bad_values);
    g_test_add_func("/daemon/config/unknown-and-missing", test_unknown_and_missing);
    return g_test_run();
}
