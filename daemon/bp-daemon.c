/*
 * bp-daemon.c: the daemon's objects, domain table and lifecycle (see the
 * header).
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "bp-blockjob-object.h"
#include "bp-daemon.h"
#include "bp-domain-object.h"
#include "bp-log.h"
#include "bp-manager.h"
#include "jobs/bp-backup-ops.h"
#include "bp-snapshot-object.h"
#include "jobs/bp-domain-runtime.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

/* How long a stopping daemon waits for operations in flight beyond the
 * stop timeout of a domain. */
#define BP_DAEMON_STOP_GRACE_S 15


static void
bp_daemon_quit(BpDaemon *daemon)
{
    if (daemon->loop)
        g_main_loop_quit(daemon->loop);
}


/* ---- the domain table ------------------------------------------------------ */

BpDaemonDomain *
bp_daemon_find_domain(BpDaemon *daemon, const char *name)
{
    g_autofree char *uuid = NULL;
    BpDaemonDomain *dom;
    GHashTableIter iter;
    gpointer value;

    if (!name)
        return NULL;
    if ((dom = g_hash_table_lookup(daemon->domains, name)))
        return dom;
    if (!(uuid = bp_uuid_canonicalize(name)))
        return NULL;
    g_hash_table_iter_init(&iter, daemon->domains);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        if (g_str_equal(bp_daemon_domain_get_uuid(value), uuid))
            return value;
    }
    return NULL;
}


void
bp_daemon_add_domain(BpDaemon *daemon, BpDaemonDomain *dom)
{
    g_hash_table_insert(daemon->domains, g_strdup(bp_daemon_domain_get_name(dom)),
                        g_object_ref(dom));
    g_dbus_object_manager_server_export(daemon->objman, bp_daemon_domain_get_object(dom));
    bp_checkpoint_table_sync(bp_daemon_domain_get_checkpoints(dom));
    bp_snapshot_table_sync(dom);
}


void
bp_daemon_remove_domain(BpDaemon *daemon, BpDaemonDomain *dom)
{
    g_autoptr(BpDaemonDomain) hold = g_object_ref(dom);

    g_dbus_object_manager_server_unexport(daemon->objman, bp_daemon_domain_get_path(dom));
    g_hash_table_remove(daemon->domains, bp_daemon_domain_get_name(dom));
}


/* Loads every domain of the catalogue; those it records as running are
 * found again in the background.  A definition that no longer parses is
 * reported and skipped rather than stopping the daemon. */
static gboolean
bp_daemon_load_domains(BpDaemon *daemon, GError **error)
{
    g_autoptr(GPtrArray) rows = NULL;

    if (!(rows = bp_store_domain_list(daemon->store, error)))
        return FALSE;
    for (guint i = 0; i < rows->len; i++) {
        BpStoreDomain *row = g_ptr_array_index(rows, i);
        g_autoptr(GError) err = NULL;
        g_autoptr(BpDaemonDomain) dom = NULL;
        BpDomainDef *def;

        if (!(def = bp_domain_def_parse_string(row->definition, 0, &err))) {
            bp_log_domain(G_LOG_LEVEL_WARNING, row->name,
                          "the catalogue's definition does not parse, domain skipped: %s",
                          err->message);
            continue;
        }
        dom = bp_daemon_domain_new(daemon, row->id, def);
        bp_daemon_add_domain(daemon, dom);
        if (row->state == BP_STORE_DOMAIN_RUNNING)
            bp_daemon_domain_reconnect(dom, (GPid) row->pid, row->monitor_path);
        /* After the reconnection, so that a running domain is asked
         * over QMP and one that is not has its images read; interrupted
         * commits and snapshots first, so that the checkpoints see the
         * settled chains. */
        bp_blockjob_queue_reconcile(dom);
        bp_snapshot_queue_reconcile(dom);
        bp_checkpoint_queue_reconcile(dom);
    }
    g_debug("%u domains in the catalogue", rows->len);
    return TRUE;
}


/* ---- configuration for the runtimes --------------------------------------- */

/* A program named in blkpointd.conf: a bare name is looked up in PATH. */
static char *
bp_daemon_program(const char *name)
{
    char *found;

    if (!name)
        return NULL;
    if (strchr(name, '/'))
        return g_strdup(name);
    found = g_find_program_in_path(name);
    return found ? found : g_strdup(name);
}


BpQemuRuntimeConfig *
bp_daemon_runtime_config(BpDaemon *daemon, const BpDomainDef *def)
{
    BpQemuRuntimeConfig *config = bp_domain_runtime_config(def, daemon->config->runtime_dir);

    config->qsd_path = bp_daemon_program(daemon->config->qemu_storage_daemon);
    config->qemu_img_path = bp_daemon_program(daemon->config->qemu_img);
    config->stop_timeout_ms = daemon->config->stop_timeout * 1000;
    return config;
}


static void
bp_daemon_qemu_version_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(BpManager) manager = user_data;
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL;
    const char *version = NULL;
    g_autofree char *value = NULL;

    if (g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result, &out, NULL, &err) &&
        g_subprocess_get_successful(G_SUBPROCESS(source)) && out &&
        (version = strstr(out, "version "))) {
        version += strlen("version ");
        value = g_strndup(version, strcspn(version, " \n("));
    }
    if (err)
        g_debug("qemu-storage-daemon --version: %s", err->message);
    bp_manager_set_qemu_version(manager, value ? value : "");
}


void
bp_daemon_refresh_qemu_version(BpDaemon *daemon)
{
    g_autoptr(BpQemuRuntimeConfig) config = bp_qemu_runtime_config_new("-", "/");
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GError) err = NULL;
    const char *qsd;

    config->qsd_path = bp_daemon_program(daemon->config->qemu_storage_daemon);
    if (!(qsd = bp_qemu_runtime_config_qsd(config, &err)) ||
        !(proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                  G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                  &err, qsd, "--version", NULL))) {
        g_debug("no qemu-storage-daemon version: %s", err->message);
        bp_manager_set_qemu_version(daemon->manager, "");
        return;
    }
    g_subprocess_communicate_utf8_async(proc, NULL, NULL, bp_daemon_qemu_version_cb,
                                        g_object_ref(daemon->manager));
}


/* ---- creation ---------------------------------------------------------------- */

BpDaemon *
bp_daemon_new(BpDaemonConfig *config, GDBusConnection *connection, GError **error)
{
    BpDaemon *daemon = g_new0(BpDaemon, 1);
    g_autofree char *db = NULL;

    daemon->config = config;
    daemon->conn = g_object_ref(connection);
    daemon->domains = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
    daemon->loop = g_main_loop_new(NULL, FALSE);

    if (g_mkdir_with_parents(config->runtime_dir, 0700) < 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("cannot create runtime directory %s: %s"),
                    config->runtime_dir, g_strerror(errno));
        bp_daemon_free(daemon);
        return NULL;
    }
    db = bp_store_default_path(config->state_dir, config->system);
    if (!(daemon->store = bp_store_open(db, error))) {
        bp_daemon_free(daemon);
        return NULL;
    }
    daemon->auth = bp_auth_new(connection, config->system);
    {
        BpBackupPullConfig pull = {
            .listen_address = config->nbd_listen_address,
            .port_min = config->nbd_port_min, .port_max = config->nbd_port_max,
            .tls_x509_dir = config->nbd_tls_x509_dir, .tls = config->nbd_tls,
            .scratch_dir = config->scratch_dir,
        };

        bp_backup_ops_set_pull_config(&pull);
    }

    /* The manager at the object manager's own path: exported directly,
     * since the object manager only exports paths below its own. */
    daemon->manager = bp_manager_object_new(daemon);
    if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(daemon->manager),
                                          connection, BP_DBUS_ROOT_PATH, error)) {
        bp_daemon_free(daemon);
        return NULL;
    }
    daemon->objman = g_dbus_object_manager_server_new(BP_DBUS_ROOT_PATH);
    if (!bp_daemon_load_domains(daemon, error)) {
        bp_daemon_free(daemon);
        return NULL;
    }
    g_dbus_object_manager_server_set_connection(daemon->objman, connection);
    bp_daemon_refresh_qemu_version(daemon);
    g_message("catalogue %s, runtime directory %s", db, config->runtime_dir);
    return daemon;
}


void
bp_daemon_free(BpDaemon *daemon)
{
    GHashTableIter iter;
    gpointer value;

    if (!daemon)
        return;
    /* Running domains run on; only our connections to them close. */
    g_hash_table_iter_init(&iter, daemon->domains);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        bp_daemon_domain_detach(value);
    if (daemon->owner_id)
        g_bus_unown_name(daemon->owner_id);
    if (daemon->closed_handler)
        g_signal_handler_disconnect(daemon->conn, daemon->closed_handler);
    if (daemon->stop_deadline) {
        g_source_destroy(daemon->stop_deadline);
        g_source_unref(daemon->stop_deadline);
    }
    if (daemon->objman)
        g_dbus_object_manager_server_set_connection(daemon->objman, NULL);
    g_clear_object(&daemon->objman);
    if (daemon->manager)
        g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(daemon->manager));
    g_clear_object(&daemon->manager);
    g_hash_table_unref(daemon->domains);
    g_clear_pointer(&daemon->auth, bp_auth_unref);
    g_clear_pointer(&daemon->store, bp_store_close);
    /* The last answers must reach their callers. */
    if (!g_dbus_connection_is_closed(daemon->conn))
        g_dbus_connection_flush_sync(daemon->conn, NULL, NULL);
    g_object_unref(daemon->conn);
    g_main_loop_unref(daemon->loop);
    bp_daemon_config_free(daemon->config);
    g_free(daemon);
}


/* ---- running and stopping ------------------------------------------------------ */

void
bp_daemon_busy_begin(BpDaemon *daemon)
{
    daemon->busy++;
}


void
bp_daemon_busy_end(BpDaemon *daemon)
{
    g_return_if_fail(daemon->busy > 0);
    if (--daemon->busy == 0 && daemon->stopping)
        bp_daemon_quit(daemon);
}


static gboolean
bp_daemon_stop_deadline_cb(gpointer user_data)
{
    BpDaemon *daemon = user_data;

    g_warning("%u domain operations still in flight; exiting without them", daemon->busy);
    g_clear_pointer(&daemon->stop_deadline, g_source_unref);
    bp_daemon_quit(daemon);
    return G_SOURCE_REMOVE;
}


void
bp_daemon_stop(BpDaemon *daemon, int exit_status)
{
    if (daemon->stopping)
        return;
    daemon->stopping = TRUE;
    daemon->exit_status = exit_status;
    if (daemon->owner_id) {
        g_bus_unown_name(daemon->owner_id);
        daemon->owner_id = 0;
    }
    if (daemon->busy == 0) {
        bp_daemon_quit(daemon);
        return;
    }
    g_message("stopping: waiting for %u domain operations to finish", daemon->busy);
    daemon->stop_deadline = g_timeout_source_new_seconds(daemon->config->stop_timeout +
                                                         BP_DAEMON_STOP_GRACE_S);
    g_source_set_callback(daemon->stop_deadline, bp_daemon_stop_deadline_cb, daemon, NULL);
    g_source_attach(daemon->stop_deadline, NULL);
}


static void
bp_daemon_name_acquired(GDBusConnection *conn G_GNUC_UNUSED, const char *name,
                        gpointer user_data)
{
    BpDaemon *daemon = user_data;

    daemon->name_acquired = TRUE;
    g_message("blkpointd %s serves %s on the %s bus", PACKAGE_VERSION, name,
              daemon->config->system ? "system" : "session");
}


static void
bp_daemon_name_lost(GDBusConnection *conn, const char *name, gpointer user_data)
{
    BpDaemon *daemon = user_data;

    if (!conn || g_dbus_connection_is_closed(conn))
        return;             /* "closed" says why */
    if (!daemon->name_acquired) {
        g_warning(_("cannot own %s on the %s bus: another blkpointd owns it "
                    "(use --replace to take over) or the bus policy does not allow it"),
                  name, daemon->config->system ? "system" : "session");
        bp_daemon_stop(daemon, 1);
        return;
    }
    g_message("another blkpointd took over %s; exiting, domains keep running", name);
    bp_daemon_stop(daemon, 0);
}


static void
bp_daemon_connection_closed(GDBusConnection *conn G_GNUC_UNUSED,
                            gboolean remote_peer_vanished G_GNUC_UNUSED,
                            GError *error, gpointer user_data)
{
    BpDaemon *daemon = user_data;

    g_warning("lost the bus connection%s%s; exiting, domains keep running",
              error ? ": " : "", error ? error->message : "");
    bp_daemon_stop(daemon, 2);
}


static gboolean
bp_daemon_on_signal(gpointer user_data)
{
    BpDaemon *daemon = user_data;

    g_message("signal received: stopping; running domains keep running");
    bp_daemon_stop(daemon, 0);
    return G_SOURCE_CONTINUE;
}


int
bp_daemon_run(BpDaemon *daemon, gboolean replace)
{
    GBusNameOwnerFlags flags = G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT;
    guint sigterm, sigint;

    if (replace)
        flags |= G_BUS_NAME_OWNER_FLAGS_REPLACE;
    g_dbus_connection_set_exit_on_close(daemon->conn, FALSE);
    daemon->closed_handler = g_signal_connect(daemon->conn, "closed",
                                              G_CALLBACK(bp_daemon_connection_closed),
                                              daemon);
    sigterm = g_unix_signal_add(SIGTERM, bp_daemon_on_signal, daemon);
    sigint = g_unix_signal_add(SIGINT, bp_daemon_on_signal, daemon);
    daemon->owner_id = g_bus_own_name_on_connection(daemon->conn, BP_DBUS_NAME, flags,
                                                    bp_daemon_name_acquired,
                                                    bp_daemon_name_lost, daemon, NULL);
    if (!daemon->stopping || daemon->busy > 0)
        g_main_loop_run(daemon->loop);
    g_source_remove(sigterm);
    g_source_remove(sigint);
    g_message("exiting with status %d", daemon->exit_status);
    return daemon->exit_status;
}
