/*
 * bp-daemon-config.h: blkpointd's settings: the defaults, blkpointd.conf
 * (a GLib key file, see blkpointd.conf(5)), the environment systemd sets,
 * and the command line, in increasing order of precedence.
 */
#pragma once

#include <glib.h>

#include "bp-log.h"

G_BEGIN_DECLS

typedef struct {
    gboolean system;            /* system bus instance (else session) */
    char *config_path;          /* the file read, NULL when none was */

    /* [daemon] */
    char *state_dir;            /* absolute; the catalogue lives here */
    char *runtime_dir;          /* absolute; sockets of running domains */
    BpLogLevel log_level;
    guint max_concurrent_jobs;  /* 0 = no limit */

    /* [qemu] */
    char *qemu_storage_daemon;  /* NULL: $QEMU_STORAGE_DAEMON, PATH, configure's */
    char *qemu_img;             /* NULL: likewise */
    guint stop_timeout;         /* seconds */
    guint qmp_command_timeout;  /* seconds */

    /* [backup] */
    char *nbd_listen_address;
    guint nbd_port_min;
    guint nbd_port_max;
    char *nbd_tls_x509_dir;     /* NULL: no TLS */
    gboolean nbd_tls;
    char *scratch_dir;          /* NULL: next to each image */
} BpDaemonConfig;

/* The defaults of a system (@system TRUE) or session instance; the
 * directories are left NULL until bp_daemon_config_resolve_dirs(). */
BpDaemonConfig *bp_daemon_config_new(gboolean system);
void bp_daemon_config_free(BpDaemonConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpDaemonConfig, bp_daemon_config_free)

/* The file read when --config is not given: SYSCONFDIR/blkpoint/blkpointd.conf
 * for the system instance, $XDG_CONFIG_HOME/blkpoint/blkpointd.conf (or
 * ~/.config/...) for a session one. */
char *bp_daemon_config_default_path(gboolean system);

/*
 * Reads @path over the current values.  A missing file is not an error
 * unless @must_exist (the file was named on the command line).  Unknown
 * groups and keys are logged and ignored; a value that does not parse or
 * is out of range fails with BP_ERROR_INVALID_ARGUMENT naming the file,
 * the group and the key.
 */
gboolean bp_daemon_config_load(BpDaemonConfig *config, const char *path,
                               gboolean must_exist, GError **error);

/*
 * Settles the state and runtime directories: @cli_state_dir and
 * @cli_runtime_dir (the command line) win, then the file's values, then
 * $STATE_DIRECTORY / $RUNTIME_DIRECTORY (set by systemd from the unit's
 * StateDirectory= and RuntimeDirectory=; the first entry when there are
 * several), then the defaults: LOCALSTATEDIR/lib/blkpoint and
 * RUNSTATEDIR/blkpoint for the system instance, $XDG_STATE_HOME/blkpoint
 * (~/.local/state/blkpoint) and $XDG_RUNTIME_DIR/blkpoint for a session
 * one.  Relative paths are made absolute against the current directory.
 * Fails with BP_ERROR_INVALID_ARGUMENT when a session instance has no
 * $XDG_RUNTIME_DIR and no runtime directory was given.
 */
gboolean bp_daemon_config_resolve_dirs(BpDaemonConfig *config,
                                       const char *cli_state_dir,
                                       const char *cli_runtime_dir,
                                       GError **error);

G_END_DECLS
