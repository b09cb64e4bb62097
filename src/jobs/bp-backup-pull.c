/*
 * bp-backup-pull.c: backup-begin in pull mode — the steps push mode does
 * not have (see bp-backup-ops.h for the whole sequence).
 *
 * A pull backup fleeces each disk into a scratch qcow2 whose backing is
 * the live top node (opened by the push steps with "backing" set), starts
 * a "sync": "none" blockdev-backup job per disk in the one transaction
 * that also creates the new checkpoint's bitmaps and the incremental
 * bitmaps (on the scratch node, named like the exported bitmap), and then
 * exports every scratch node read-only over NBD with that bitmap.  QEMU
 * 7.2 runs one NBD server per process: when the domain's QEMU already has
 * one (the storage runtime's, on <runtime dir>/nbd.sock) the exports are
 * added to it, otherwise one is started for the backup and stopped at
 * its end.  The fleecing jobs never end on their own: the backup ends
 * when the consumer has reported every disk (bp_backup_op_finish():
 * completed) or with bp_backup_op_cancel() (cancelled); either way the
 * exports are removed first, then the jobs are cancelled, and the common
 * clean-up removes the nodes, the server we started and the scratch
 * files.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "bp-backup-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

/* Socket of the NBD server blkpoint starts in the runtime directory of a
 * domain whose QEMU has none. */
#define BP_BACKUP_PULL_SOCKET "backup-nbd.sock"
/* QOM id of the TLS credentials of that server. */
#define BP_BACKUP_PULL_TLS_ID "bp-backup-tls"

/* bp_backup_ops_set_pull_config(); NULL members are defaults. */
static struct {
    char *listen_address;
    guint port_min;
    guint port_max;
    char *tls_x509_dir;
    gboolean tls;
    char *scratch_dir;
} bp_pull_config = { NULL, 10809, 10872, NULL, FALSE, NULL };


void
bp_backup_ops_set_pull_config(const BpBackupPullConfig *config)
{
    g_clear_pointer(&bp_pull_config.listen_address, g_free);
    g_clear_pointer(&bp_pull_config.tls_x509_dir, g_free);
    g_clear_pointer(&bp_pull_config.scratch_dir, g_free);
    bp_pull_config.port_min = 10809;
    bp_pull_config.port_max = 10872;
    bp_pull_config.tls = FALSE;
    if (!config)
        return;
    if (config->listen_address && *config->listen_address &&
        !g_str_equal(config->listen_address, "unix"))
        bp_pull_config.listen_address = g_strdup(config->listen_address);
    if (config->port_min && config->port_max >= config->port_min) {
        bp_pull_config.port_min = config->port_min;
        bp_pull_config.port_max = config->port_max;
    }
    if (config->tls_x509_dir && *config->tls_x509_dir)
        bp_pull_config.tls_x509_dir = g_strdup(config->tls_x509_dir);
    bp_pull_config.tls = config->tls;
    if (config->scratch_dir && *config->scratch_dir)
        bp_pull_config.scratch_dir = g_strdup(config->scratch_dir);
}


/* The first port of the configured range on which @host can listen now
 * (another process may still take it before QEMU does), or 0. */
static guint
bp_backup_free_port(const char *host)
{
    g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(host);
    guint port;

    if (!addr)
        addr = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    for (port = bp_pull_config.port_min; port <= bp_pull_config.port_max; port++) {
        g_autoptr(GSocket) sock = g_socket_new(g_inet_address_get_family(addr),
                                               G_SOCKET_TYPE_STREAM,
                                               G_SOCKET_PROTOCOL_TCP, NULL);
        g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(addr, port);

        if (sock && g_socket_bind(sock, sa, TRUE, NULL))
            return port;
    }
    return 0;
}


/* Whether @host is a loopback address or "localhost". */
static gboolean
bp_backup_host_is_loopback(const char *host)
{
    g_autoptr(GInetAddress) addr = NULL;

    if (g_str_equal(host, "localhost"))
        return TRUE;
    if (!(addr = g_inet_address_new_from_string(host)))
        return FALSE;
    return g_inet_address_get_is_loopback(addr);
}


/* The NBD server this backup starts (the domain's QEMU has none). */
static gboolean
bp_backup_pull_own_server(BpBackupOp *op, const char *domain, GError **error)
{
    BpBackupServer *server = op->def->server;
    const char *dir = bp_block_access_get_runtime_dir(op->access);

    /* A shut-off domain: its runtime directory, which holds the
     * temporary daemon's (BP_BACKUP_TEMP_SUBDIR). */
    if (!dir && bp_block_access_get_config(op->access))
        dir = bp_block_access_get_config(op->access)->runtime_dir;

    if (!server && bp_pull_config.listen_address) {
        server = op->def->server = g_new0(BpBackupServer, 1);
        server->transport = BP_BACKUP_TRANSPORT_TCP;
        server->name = g_strdup(bp_pull_config.listen_address);
    } else if (!server) {
        if (!dir) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("domain '%s' has no runtime directory for the NBD socket of "
                          "a pull backup; give <server transport='unix' socket='...'/>"),
                        domain);
            return FALSE;
        }
        server = op->def->server = g_new0(BpBackupServer, 1);
        server->transport = BP_BACKUP_TRANSPORT_UNIX;
        server->socket = g_build_filename(dir, BP_BACKUP_PULL_SOCKET, NULL);
    }
    switch (server->transport) {
    case BP_BACKUP_TRANSPORT_UNIX:
        op->nbd_socket = g_strdup(server->socket);
        break;
    case BP_BACKUP_TRANSPORT_TCP:
        /* Beyond the host, only where the administrator said so. */
        if (!bp_backup_host_is_loopback(server->name) &&
            g_strcmp0(server->name, bp_pull_config.listen_address) != 0) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("the pull-mode NBD server may listen only on a loopback "
                          "address or on nbd_listen_address of blkpointd.conf, not on '%s'"),
                        server->name);
            return FALSE;
        }
        if (server->port == 0 && !(server->port = bp_backup_free_port(server->name))) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("no free TCP port on '%s' between %u and %u (nbd_port_min, "
                          "nbd_port_max of blkpointd.conf) for the pull-mode NBD server"),
                        server->name, bp_pull_config.port_min, bp_pull_config.port_max);
            return FALSE;
        }
        if (bp_pull_config.tls)
            op->def->tls = BP_BACKUP_TLS_YES;
        break;
    default:
        g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                    _("transport '%s' of <server> is not supported for pull backups"),
                    bp_backup_transport_to_string(server->transport));
        return FALSE;
    }
    if (op->def->tls == BP_BACKUP_TLS_YES && !bp_pull_config.tls_x509_dir) {
        g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                    _("TLS for the pull-mode NBD server of domain '%s' needs "
                      "nbd_tls_x509_dir in blkpointd.conf"), domain);
        return FALSE;
    }
    op->nbd_start = TRUE;
    return TRUE;
}


/* Moves the scratch files alignment generated ("<image>.<suffix>") into
 * scratch_dir of blkpointd.conf, when set. */
static void
bp_backup_pull_scratch_dir(BpBackupOp *op)
{
    const BpDomainDef *domdef = bp_block_access_get_def(op->access);
    g_autofree char *suffix = op->chk ? g_strdup(op->chk->name)
                                      : g_strdup_printf("%" G_GINT64_FORMAT, op->now);
    size_t i;

    if (!bp_pull_config.scratch_dir)
        return;
    for (i = 0; i < op->def->ndisks; i++) {
        BpBackupDiskDef *dd = op->def->disks[i];
        BpDiskDef *disk = bp_domain_def_find_disk(domdef, dd->name);
        g_autofree char *generated = NULL;
        g_autofree char *base = NULL;

        if (!dd->backup || !dd->store || !dd->store->path || !disk || !disk->src->path)
            continue;
        generated = g_strdup_printf("%s.%s", disk->src->path, suffix);
        if (!g_str_equal(generated, dd->store->path))
            continue;
        base = g_path_get_basename(generated);
        g_free(dd->store->path);
        dd->store->path = g_build_filename(bp_pull_config.scratch_dir, base, NULL);
    }
}


gboolean
bp_backup_pull_prepare(BpBackupOp *op, GError **error)
{
    const char *domain = bp_block_access_get_def(op->access)->name;
    const char *existing = bp_block_access_get_nbd_socket(op->access);
    BpBackupServer *server = op->def->server;
    size_t i;

    bp_backup_pull_scratch_dir(op);
    if (existing && op->def->tls == BP_BACKUP_TLS_YES) {
        g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                    _("the QEMU of domain '%s' already runs an NBD server without TLS "
                      "on 'unix:%s' and can run only one; tls='yes' cannot be served"),
                    domain, existing);
        return FALSE;
    }
    if (existing) {
        /* One NBD server per QEMU process (7.2): the exports join it. */
        if (server && !(server->transport == BP_BACKUP_TRANSPORT_UNIX &&
                        g_str_equal(server->socket, existing))) {
            g_autofree char *asked = server->transport == BP_BACKUP_TRANSPORT_UNIX ?
                g_strdup_printf("unix:%s", server->socket) :
                server->transport == BP_BACKUP_TRANSPORT_TCP ?
                g_strdup_printf("tcp:%s:%u", server->name, server->port) :
                g_strdup_printf("fd:%s", server->fdgroup);

            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("the QEMU of domain '%s' already runs an NBD server on "
                          "'unix:%s' and can run only one; the pull backup's exports "
                          "are served there, not on '%s' (leave <server> out)"),
                        domain, existing, asked);
            return FALSE;
        }
        if (!server) {
            server = op->def->server = g_new0(BpBackupServer, 1);
            server->transport = BP_BACKUP_TRANSPORT_UNIX;
            server->socket = g_strdup(existing);
        }
        op->nbd_socket = g_strdup(existing);
    } else if (!bp_backup_pull_own_server(op, domain, error)) {
        return FALSE;
    }
    for (i = 0; i < op->def->ndisks; i++) {
        BpBackupDiskDef *dd = op->def->disks[i];

        if (!dd->backup)
            continue;
        /* libvirt names the export after the disk; that name is taken
         * by the storage runtime's own export of the disk. */
        if (!dd->exportname)
            dd->exportname = g_strdup_printf("backup-%s", dd->name);
        if (dd->backupmode == BP_BACKUP_DISK_MODE_INCREMENTAL) {
            if (!dd->exportbitmap)
                dd->exportbitmap = g_strdup_printf("backup-%s", dd->name);
        } else {
            g_clear_pointer(&dd->exportbitmap, g_free);
        }
    }
    return TRUE;
}


/* Adds the NBD server (or, @tls, its credentials object) this backup
 * started to its clean-up record, now that it exists (a server listed
 * before could have been another's: QEMU runs only one). */
static void
bp_backup_pull_remember(BpBackupOp *op, gboolean tls)
{
    g_autoptr(GError) err = NULL;

    if (!op->leftovers || !op->job_id)
        return;
    if (tls)
        bp_backup_leftovers_add_object(op->leftovers, BP_BACKUP_PULL_TLS_ID);
    else
        bp_backup_leftovers_set_nbd_server(op->leftovers, op->nbd_socket);
    if (!bp_backup_leftovers_save(op->leftovers, op->store, op->job_id, &err))
        g_warning("cannot record the NBD server of the pull backup for clean-up: %s",
                  err->message);
}


static void
bp_backup_pull_command_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                          gpointer data)
{
    g_autofree BpBackupCall *call = data;
    BpBackupOp *op = call->op;
    GError *err = NULL;

    if (!bp_qmp_command_finish(op->mon, result, &err)) {
        if (op->step >= STEP_UNEXPORT) {
            bp_backup_cleanup_failed(op, err->message);
            g_error_free(err);
        } else if (op->step == STEP_NBD_START) {
            bp_backup_fail(op, g_error_new(BP_ERROR, BP_ERROR_QEMU,
                                           _("cannot start the NBD server of the pull "
                                             "backup: %s"), err->message));
            g_error_free(err);
        } else {
            bp_backup_fail(op, err);
        }
    } else if (op->step == STEP_NBD_START) {
        op->nbd_started = TRUE;
        bp_backup_pull_remember(op, FALSE);
    } else if (op->step == STEP_EXPORT && call->tgt) {
        call->tgt->exported = TRUE;
    } else if (op->step == STEP_NBD_STOP && op->nbd_started && op->nbd_socket &&
               g_unlink(op->nbd_socket) < 0 && errno != ENOENT) {
        g_warning("cannot remove NBD socket '%s': %s", op->nbd_socket, g_strerror(errno));
    }
    bp_backup_call_done(op);
}


static void
bp_backup_pull_tls_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    g_autofree BpBackupCall *call = data;
    BpBackupOp *op = call->op;
    g_autoptr(GError) err = NULL;

    if (bp_qmp_command_finish(op->mon, result, &err)) {
        op->tls_added = TRUE;
        bp_backup_pull_remember(op, TRUE);
    } else
        bp_backup_fail(op, g_error_new(BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                                       _("cannot load the TLS credentials of the pull-mode "
                                         "NBD server from '%s' (nbd_tls_x509_dir): %s"),
                                       bp_pull_config.tls_x509_dir, err->message));
    bp_backup_call_done(op);
}


/* nbd-server-start's address, in QMP's legacy SocketAddress form. */
static JsonObject *
bp_backup_pull_server_args(const BpBackupServer *server)
{
    JsonObject *args = json_object_new();
    JsonObject *addr = json_object_new();
    JsonObject *data = json_object_new();

    if (server->transport == BP_BACKUP_TRANSPORT_UNIX) {
        json_object_set_string_member(addr, "type", "unix");
        json_object_set_string_member(data, "path", server->socket);
    } else {
        g_autofree char *port = g_strdup_printf("%u", server->port);

        json_object_set_string_member(addr, "type", "inet");
        json_object_set_string_member(data, "host", server->name);
        json_object_set_string_member(data, "port", port);
    }
    json_object_set_object_member(addr, "data", data);
    json_object_set_object_member(args, "addr", addr);
    return args;
}


void
bp_backup_pull_step(BpBackupOp *op, BpBackupTarget *t)
{
    if (!t) {
        switch (op->step) {
        case STEP_NBD_START:
            if (op->nbd_start) {
                g_autoptr(JsonObject) args = bp_backup_pull_server_args(op->def->server);

                if (op->def->tls == BP_BACKUP_TLS_YES) {
                    g_autoptr(JsonObject) creds = json_object_new();

                    /* Server authentication and encryption; clients
                     * are not asked for certificates. */
                    json_object_set_string_member(creds, "qom-type", "tls-creds-x509");
                    json_object_set_string_member(creds, "id", BP_BACKUP_PULL_TLS_ID);
                    json_object_set_string_member(creds, "dir", bp_pull_config.tls_x509_dir);
                    json_object_set_string_member(creds, "endpoint", "server");
                    json_object_set_boolean_member(creds, "verify-peer", FALSE);
                    bp_qmp_command_async(op->mon, "object-add", creds, NULL,
                                         bp_backup_pull_tls_cb, bp_backup_call(op, NULL));
                    json_object_set_string_member(args, "tls-creds", BP_BACKUP_PULL_TLS_ID);
                }
                bp_qmp_command_async(op->mon, "nbd-server-start", args, NULL,
                                     bp_backup_pull_command_cb, bp_backup_call(op, NULL));
            }
            break;
        case STEP_WAIT:
            /* Exported (or failed after the point in time): the jobs
             * run until the end is asked for. */
            if (op->error || op->cancelled || op->finishing)
                bp_backup_pull_stop(op);
            else if (op->started)
                op->started(op, op->started_data);
            break;
        case STEP_NBD_STOP:
            if (op->nbd_started)
                bp_qmp_nbd_server_stop_async(op->mon, NULL, bp_backup_pull_command_cb,
                                             bp_backup_call(op, NULL));
            if (op->tls_added) {
                g_autoptr(JsonObject) args = json_object_new();

                json_object_set_string_member(args, "id", BP_BACKUP_PULL_TLS_ID);
                bp_qmp_command_async(op->mon, "object-del", args, NULL,
                                     bp_backup_pull_command_cb, bp_backup_call(op, NULL));
                op->tls_added = FALSE;
            }
            break;
        default:
            break;
        }
        return;
    }
    switch (op->step) {
    case STEP_EXPORT: {
        const char *bitmaps[] = { t->bitmap, NULL };
        g_autoptr(JsonObject) args = NULL;

        args = bp_qmp_args_export_nbd(t->export_id, t->fmt_node, t->export_name, FALSE,
                                      bitmaps);
        bp_qmp_block_export_add_async(op->mon, args, NULL, bp_backup_pull_command_cb,
                                      bp_backup_call(op, t));
        break;
    }
    case STEP_UNEXPORT:
        if (t->exported) {
            t->exported = FALSE;
            bp_qmp_block_export_del_async(op->mon, t->export_id, TRUE, NULL,
                                          bp_backup_pull_command_cb,
                                          bp_backup_call(op, NULL));
        }
        break;
    default:
        break;
    }
}


/* ---- the end -------------------------------------------------------------- */

static void
bp_backup_pull_cancel_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpBackupOp *op = data;
    g_autoptr(GError) err = NULL;

    if (!bp_qmp_command_finish(op->mon, result, &err))
        g_debug("job-cancel: %s", err->message);
    g_object_unref(op->task);
}


/*
 * The end: every export is deleted (block-export-del, mode "hard"), and
 * only when QEMU has reported each BLOCK_EXPORT_DELETED (a connected
 * client delays it) or after BP_BACKUP_PULL_UNEXPORT_MS are the fleecing
 * jobs cancelled, so that the scratch nodes are free to go afterwards.
 */
#define BP_BACKUP_PULL_UNEXPORT_MS 10000

typedef struct {
    BpBackupOp *op;
    GHashTable *waiting;        /* export ids whose deletion is awaited */
    guint replies;              /* block-export-del answers still due */
    gulong handler;
    guint timer;
    gboolean proceeded;         /* the jobs were cancelled */
} BpBackupPullStop;


static void
bp_backup_pull_cancel_jobs(BpBackupOp *op)
{
    size_t i;

    for (i = 0; i < op->targets->len; i++) {
        BpBackupTarget *t = op->targets->pdata[i];

        if (!t->job_started)
            continue;
        g_object_ref(op->task);
        bp_qmp_job_cancel_async(op->mon, t->job, NULL, bp_backup_pull_cancel_cb, op);
    }
}


/* Cancels the jobs once nothing is awaited (or @force), and frees @stop
 * once no answer is due either. */
static void
bp_backup_pull_stop_check(BpBackupPullStop *stop, gboolean force)
{
    BpBackupOp *op = stop->op;

    if (!stop->proceeded && (force || g_hash_table_size(stop->waiting) == 0)) {
        stop->proceeded = TRUE;
        if (g_hash_table_size(stop->waiting) > 0)
            g_warning("pull backup: exports not deleted after %d ms; ending the jobs anyway",
                      BP_BACKUP_PULL_UNEXPORT_MS);
        g_clear_signal_handler(&stop->handler, op->mon);
        g_clear_handle_id(&stop->timer, g_source_remove);
        bp_backup_pull_cancel_jobs(op);
    }
    if (stop->proceeded && stop->replies == 0) {
        g_hash_table_unref(stop->waiting);
        g_free(stop);
        g_object_unref(op->task);
    }
}


static void
bp_backup_pull_deleted_cb(BpQmpMonitor *mon G_GNUC_UNUSED, const char *name G_GNUC_UNUSED,
                          JsonObject *data, gint64 timestamp G_GNUC_UNUSED, gpointer user_data)
{
    BpBackupPullStop *stop = user_data;
    const char *id = json_object_get_string_member_with_default(data, "id", NULL);

    if (id && g_hash_table_remove(stop->waiting, id))
        bp_backup_pull_stop_check(stop, FALSE);
}


static gboolean
bp_backup_pull_stop_timeout(gpointer data)
{
    BpBackupPullStop *stop = data;

    stop->timer = 0;
    bp_backup_pull_stop_check(stop, TRUE);
    return G_SOURCE_REMOVE;
}


typedef struct {
    BpBackupPullStop *stop;
    char *id;
} BpBackupPullUnexport;


static void
bp_backup_pull_unexport_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpBackupPullUnexport *u = data;
    BpBackupPullStop *stop = u->stop;
    g_autoptr(GError) err = NULL;

    if (!bp_qmp_command_finish(stop->op->mon, result, &err)) {
        /* No deletion event will come for it. */
        if (bp_qmp_monitor_is_closed(stop->op->mon))
            g_debug("pull backup, QEMU gone: block-export-del %s: %s", u->id, err->message);
        else
            g_warning("pull backup: block-export-del %s: %s", u->id, err->message);
        g_hash_table_remove(stop->waiting, u->id);
    }
    stop->replies--;
    g_free(u->id);
    g_free(u);
    bp_backup_pull_stop_check(stop, FALSE);
}


void
bp_backup_pull_stop(BpBackupOp *op)
{
    BpBackupPullStop *stop;
    size_t i;

    if (op->stopping || op->step != STEP_WAIT)
        return;     /* before STEP_WAIT the step hook calls again */
    op->stopping = TRUE;
    stop = g_new0(BpBackupPullStop, 1);
    stop->op = op;
    stop->waiting = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_object_ref(op->task);
    stop->handler = g_signal_connect(op->mon, "event::BLOCK_EXPORT_DELETED",
                                     G_CALLBACK(bp_backup_pull_deleted_cb), stop);
    stop->timer = g_timeout_add(BP_BACKUP_PULL_UNEXPORT_MS, bp_backup_pull_stop_timeout, stop);
    /* No client reads a half-ended snapshot: the exports go first. */
    for (i = 0; i < op->targets->len; i++) {
        BpBackupTarget *t = op->targets->pdata[i];
        BpBackupPullUnexport *u;

        if (!t->exported)
            continue;
        t->exported = FALSE;
        if (bp_qmp_monitor_is_closed(op->mon))
            continue;   /* QEMU gone: its exports with it */
        u = g_new0(BpBackupPullUnexport, 1);
        u->stop = stop;
        u->id = g_strdup(t->export_id);
        g_hash_table_add(stop->waiting, g_strdup(t->export_id));
        stop->replies++;
        bp_qmp_block_export_del_async(op->mon, t->export_id, TRUE, NULL,
                                      bp_backup_pull_unexport_cb, u);
    }
    bp_backup_pull_stop_check(stop, FALSE);
}


gboolean
bp_backup_op_is_pull(BpBackupOp *op)
{
    return op->pull;
}


gboolean
bp_backup_op_set_consumer_bytes(BpBackupOp *op, const char *disk, guint64 bytes,
                                GError **error)
{
    size_t i;

    if (!op->pull) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                            _("only a pull backup is finished by its consumer"));
        return FALSE;
    }
    for (i = 0; i < op->targets->len; i++) {
        BpBackupTarget *t = op->targets->pdata[i];

        if (g_str_equal(t->target, disk)) {
            t->consumer_counted = TRUE;
            t->consumer_bytes = bytes;
            return TRUE;
        }
    }
    g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                _("disk '%s' does not take part in the pull backup"), disk);
    return FALSE;
}


gboolean
bp_backup_op_finish(BpBackupOp *op, GHashTable *outputs, const char *const *disks,
                    GError **error)
{
    g_autoptr(GPtrArray) chosen = g_ptr_array_new();
    GHashTableIter iter;
    gpointer key, value;
    size_t i, j;

    if (!op->pull) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                            _("only a pull backup is finished by its consumer"));
        return FALSE;
    }
    if (op->step != STEP_WAIT || op->stopping || op->error || op->cancelled) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                            _("the pull backup is not serving its exports now"));
        return FALSE;
    }
    for (i = 0; i < op->targets->len; i++) {
        BpBackupTarget *t = op->targets->pdata[i];

        if (!disks || !disks[0] || g_strv_contains(disks, t->target))
            g_ptr_array_add(chosen, t);
    }
    for (j = 0; disks && disks[j]; j++) {
        gboolean found = FALSE;

        for (i = 0; i < op->targets->len; i++)
            found |= g_str_equal(((BpBackupTarget *) op->targets->pdata[i])->target, disks[j]);
        if (!found) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("disk '%s' does not take part in the pull backup"), disks[j]);
            return FALSE;
        }
    }
    if (outputs) {
        g_hash_table_iter_init(&iter, outputs);
        while (g_hash_table_iter_next(&iter, &key, &value)) {
            gboolean found = FALSE;

            for (i = 0; i < chosen->len; i++)
                found |= g_str_equal(((BpBackupTarget *) chosen->pdata[i])->target, key);
            if (!found) {
                g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("output given for disk '%s', which is not being finished"),
                            (const char *) key);
                return FALSE;
            }
            if (!g_path_is_absolute(value)) {
                g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("output '%s' of disk '%s' must be an absolute path"),
                            (const char *) value, (const char *) key);
                return FALSE;
            }
        }
    }
    for (i = 0; i < chosen->len; i++) {
        BpBackupTarget *t = chosen->pdata[i];
        const char *out = outputs ? g_hash_table_lookup(outputs, t->target) : NULL;

        t->finished = TRUE;
        if (out) {
            g_free(t->output);
            t->output = g_strdup(out);
        }
    }
    for (i = 0; i < op->targets->len; i++)
        if (!((BpBackupTarget *) op->targets->pdata[i])->finished)
            return TRUE;
    op->finishing = TRUE;
    bp_backup_pull_stop(op);
    return TRUE;
}
