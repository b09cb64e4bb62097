/*
 * main.c: blkpointd, the blkpoint daemon: options, configuration, bus
 * connection, then the main loop (bp-daemon.h).
 */
#include <config.h>

#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include "bp-daemon.h"
#include "jobs/bp-backup-ops.h"
#include "bp-daemon-config.h"
#include "bp-log.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"


static void
bp_main_error(const char *format, ...) G_GNUC_PRINTF(1, 2);


/* A start-up error, on stderr (the log may not be set up yet). */
static void
bp_main_error(const char *format, ...)
{
    g_autofree char *msg = NULL;
    va_list args;

    va_start(args, format);
    msg = g_strdup_vprintf(format, args);
    va_end(args);
    fprintf(stderr, "blkpointd: %s\n", msg);
}


int
main(int argc, char **argv)
{
    gboolean opt_system = FALSE;
    gboolean opt_session = FALSE;
    gboolean opt_replace = FALSE;
    gboolean opt_verbose = FALSE;
    gboolean opt_version = FALSE;
    g_autofree char *opt_config = NULL;
    g_autofree char *opt_state_dir = NULL;
    g_autofree char *opt_runtime_dir = NULL;
    const GOptionEntry entries[] = {
        { "system", 0, 0, G_OPTION_ARG_NONE, &opt_system,
          N_("Serve on the system bus (default for root)"), NULL },
        { "session", 0, 0, G_OPTION_ARG_NONE, &opt_session,
          N_("Serve on the session bus (default for other users)"), NULL },
        { "replace", 0, 0, G_OPTION_ARG_NONE, &opt_replace,
          N_("Take the bus name over from a running blkpointd"), NULL },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
          N_("Log debug messages"), NULL },
        { "config", 0, 0, G_OPTION_ARG_FILENAME, &opt_config,
          N_("Read the configuration from FILE"), N_("FILE") },
        { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_state_dir,
          N_("Keep the catalogue in DIR"), N_("DIR") },
        { "runtime-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_runtime_dir,
          N_("Keep sockets of running domains in DIR"), N_("DIR") },
        { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
          N_("Print the version and exit"), NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL }
    };
    g_autoptr(GOptionContext) context = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(BpDaemonConfig) config = NULL;
    g_autoptr(GDBusConnection) conn = NULL;
    g_autofree char *config_path = NULL;
    gboolean system;
    BpDaemon *daemon;
    int status;

    bp_i18n_init();
    bp_log_init(BP_LOG_MESSAGE);

    context = g_option_context_new(NULL);
    g_option_context_set_summary(context, _("The blkpoint daemon: checkpoints and "
                                            "backups of QEMU disks over D-Bus."));
    g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
    if (!g_option_context_parse(context, &argc, &argv, &err)) {
        bp_main_error("%s", err->message);
        return 1;
    }
    if (opt_version) {
        printf("blkpointd %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (argc > 1) {
        bp_main_error(_("unexpected argument '%s'"), argv[1]);
        return 1;
    }
    if (opt_system && opt_session) {
        bp_main_error(_("--system and --session exclude each other"));
        return 1;
    }
    system = opt_system || (!opt_session && geteuid() == 0);

    config = bp_daemon_config_new(system);
    config_path = opt_config ? g_strdup(opt_config) : bp_daemon_config_default_path(system);
    if (!bp_daemon_config_load(config, config_path, opt_config != NULL, &err) ||
        !bp_daemon_config_resolve_dirs(config, opt_state_dir, opt_runtime_dir, &err)) {
        bp_main_error("%s", err->message);
        return 1;
    }
    bp_log_set_level(opt_verbose ? BP_LOG_DEBUG : config->log_level);
    bp_error_register_dbus();
    /* For the test suite only: slow push backups down so that a test can
     * look at a running one (domjobinfo, backup-dumpxml, domjobabort). */
    if (g_getenv("BP_TEST_BACKUP_SPEED"))
        bp_backup_ops_set_test_speed(g_ascii_strtoull(g_getenv("BP_TEST_BACKUP_SPEED"),
                                                      NULL, 10));

    conn = g_bus_get_sync(system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION, NULL, &err);
    if (!conn) {
        bp_main_error(_("cannot connect to the %s bus: %s"),
                      system ? "system" : "session", err->message);
        return 1;
    }
    if (!(daemon = bp_daemon_new(g_steal_pointer(&config), conn, &err))) {
        bp_main_error("%s", err->message);
        return 1;
    }
    status = bp_daemon_run(daemon, opt_replace);
    bp_daemon_free(daemon);
    return status;
}
