/*
 * bp-daemon.h: the daemon as a whole: its settings, the catalogue, the bus
 * connection with the objects it exports, the table of domains, and the
 * orderly stop.
 *
 * Objects: the manager (org.blkpoint.Blkpoint1.Manager, bp-manager.h) at
 * /org/blkpoint/Blkpoint1, which is also the path of the
 * GDBusObjectManagerServer that exports one object per domain
 * (bp-domain-object.h) below it.  Everything runs in the main thread's
 * main loop; the catalogue is used from there only.
 *
 * Stopping (SIGTERM, SIGINT, losing the bus): the bus name is released,
 * new calls are refused, operations in flight (a start, a shutdown) are
 * allowed to finish and be recorded, and then the main loop ends.
 * Running domains are not stopped: their monitor connections are closed
 * and the next daemon reconnects to them.
 */
#pragma once

#include <gio/gio.h>

#include "bp-auth.h"
#include "bp-daemon-config.h"
#include "dbus/bp-dbus-generated.h"
#include "qemu/bp-qemu-types.h"
#include "store/bp-store.h"
#include "conf/bp-domain-conf.h"

G_BEGIN_DECLS

#define BP_DBUS_NAME "org.blkpoint.Blkpoint1"
#define BP_DBUS_ROOT_PATH "/org/blkpoint/Blkpoint1"
#define BP_DBUS_DOMAIN_PATH BP_DBUS_ROOT_PATH "/domain"

typedef struct _BpDaemonDomain BpDaemonDomain;

typedef struct _BpDaemon BpDaemon;
struct _BpDaemon {
    BpDaemonConfig *config;
    GDBusConnection *conn;
    BpStore *store;
    BpAuth *auth;
    GDBusObjectManagerServer *objman;
    BpManager *manager;         /* the manager's skeleton */
    GHashTable *domains;        /* name -> BpDaemonDomain* (a reference) */

    GMainLoop *loop;
    guint owner_id;
    gulong closed_handler;
    gboolean name_acquired;
    gboolean stopping;          /* no new calls; quit when idle */
    guint busy;                 /* domain operations in flight */
    GSource *stop_deadline;
    int exit_status;
};

/*
 * Opens the catalogue in the configured state directory, exports the
 * manager and one object per domain it holds on @connection, and starts
 * reconnecting the domains it records as running.  Takes @config.
 * Returns NULL with BP_ERROR_CATALOGUE or BP_ERROR_IO when the catalogue
 * cannot be opened, or a GDBus error when exporting fails.
 */
BpDaemon *bp_daemon_new(BpDaemonConfig *config, GDBusConnection *connection,
                        GError **error);
void bp_daemon_free(BpDaemon *daemon);

/* Asks for the bus name (taking it over from another daemon with
 * @replace) and runs the main loop until the daemon stops.  Returns the
 * exit status: 0 after a signal or a handover to a --replace daemon, 1
 * when the name could not be owned, 2 when the bus connection was lost. */
int bp_daemon_run(BpDaemon *daemon, gboolean replace);

/* Starts the orderly stop described above, with @exit_status (only the
 * first call counts). */
void bp_daemon_stop(BpDaemon *daemon, int exit_status);

/* Domain operations in flight: the daemon does not exit while any is. */
void bp_daemon_busy_begin(BpDaemon *daemon);
void bp_daemon_busy_end(BpDaemon *daemon);

/* The domain called @name, else the one whose UUID is @name (in any
 * spelling bp_uuid_canonicalize() accepts); NULL when none. */
BpDaemonDomain *bp_daemon_find_domain(BpDaemon *daemon, const char *name);
/* Adds @dom (takes a reference) and exports it. */
void bp_daemon_add_domain(BpDaemon *daemon, BpDaemonDomain *dom);
/* Unexports @dom and drops it from the table. */
void bp_daemon_remove_domain(BpDaemon *daemon, BpDaemonDomain *dom);

/* The runtime configuration of @def: its runtime directory and the
 * configured programs and timeouts. */
BpQemuRuntimeConfig *bp_daemon_runtime_config(BpDaemon *daemon, const BpDomainDef *def);

/* Rereads the version of the configured qemu-storage-daemon in the
 * background and updates the manager's QemuVersion property. */
void bp_daemon_refresh_qemu_version(BpDaemon *daemon);

G_END_DECLS
