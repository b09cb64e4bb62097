/*
 * bp-domain-object.c: the org.blkpoint.Blkpoint1.Domain objects (see the
 * header).  Handlers unpack, queue, call into src/jobs and answer.
 */
#include <config.h>

#include "bp-backup-object.h"
#include "bp-restore-object.h"
#include "bp-blockjob-object.h"
#include "bp-daemon.h"
#include "bp-domain-object.h"
#include "bp-log.h"
#include "bp-method.h"
#include "jobs/bp-backup-ops.h"
#include "bp-snapshot-object.h"
#include "jobs/bp-domain-ops.h"
#include "jobs/bp-domain-run.h"
#include "jobs/bp-domain-runtime.h"
#include "jobs/bp-snapshot-ops.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_STATE_SHUTOFF "shutoff"
#define BP_STATE_STARTING "starting"
#define BP_STATE_RUNNING "running"
#define BP_STATE_STOPPING "stopping"
#define BP_STATE_CRASHED "crashed"

typedef struct {
    BpDomainOpFunc func;
    gpointer data;
} BpDomainOp;

struct _BpDaemonDomain {
    GObject parent_instance;

    BpDaemon *daemon;               /* not owned: it outlives its domains */
    gint64 id;
    BpDomainDef *def;               /* the persistent definition */
    char *path;
    BpObjectSkeleton *object;
    BpDomain *iface;                /* the interface skeleton */
    BpCheckpointTable *checkpoints; /* its checkpoints' objects */

    BpDomainRun *run;               /* while running */
    gulong stopped_handler;

    gboolean busy;                  /* an operation runs */
    GQueue ops;                     /* BpDomainOp* waiting */
    gboolean removed;               /* undefined */

    GPid reconnect_pid;
    char *reconnect_monitor;
};

G_DEFINE_TYPE(BpDaemonDomain, bp_daemon_domain, G_TYPE_OBJECT)

/* Domain methods that only read (the others need org.blkpoint.manage). */
static const char *const bp_domain_read_methods[] = {
    "GetXMLDesc", "ListDisks", "CheckpointLookupByName", "ListCheckpoints",
    "BackupGetXMLDesc", "ListBackups", "GetJobInfo", "GetBlockJobInfo",
    "SnapshotLookupByName", "ListSnapshots", NULL
};

static const BpMethodOption bp_options_none[] = { { NULL, NULL } };
static const BpMethodOption bp_options_destroy[] = { { "graceful", "b" }, { NULL, NULL } };
static const BpMethodOption bp_options_undefine[] = {
    { "checkpoints-metadata", "b" }, { "snapshots-metadata", "b" }, { NULL, NULL }
};
static const BpMethodOption bp_options_xml_desc[] = {
    { "inactive", "b" }, { "security-info", "b" }, { NULL, NULL }
};
static const BpMethodOption bp_options_list_disks[] = { { "inactive", "b" }, { NULL, NULL } };


/* ---- accessors and properties ------------------------------------------ */

gint64
bp_daemon_domain_get_id(BpDaemonDomain *dom)
{
    return dom->id;
}


const char *
bp_daemon_domain_get_name(BpDaemonDomain *dom)
{
    return dom->def->name;
}


const char *
bp_daemon_domain_get_uuid(BpDaemonDomain *dom)
{
    return dom->def->uuid;
}


const char *
bp_daemon_domain_get_path(BpDaemonDomain *dom)
{
    return dom->path;
}


GDBusObjectSkeleton *
bp_daemon_domain_get_object(BpDaemonDomain *dom)
{
    return G_DBUS_OBJECT_SKELETON(dom->object);
}


gboolean
bp_daemon_domain_is_active(BpDaemonDomain *dom)
{
    return !g_str_equal(bp_domain_get_state(dom->iface), BP_STATE_SHUTOFF);
}


char *
bp_daemon_domain_checkpoint_path(const char *domain_path, const char *name)
{
    g_autofree char *escaped = g_dbus_escape_object_path(name);

    return g_strdup_printf("%s/checkpoint/%s", domain_path, escaped);
}


static void
bp_daemon_domain_set_state(BpDaemonDomain *dom, const char *state)
{
    if (!g_str_equal(bp_domain_get_state(dom->iface), state))
        bp_log_domain(G_LOG_LEVEL_INFO, dom->def->name, "state %s -> %s",
                      bp_domain_get_state(dom->iface), state);
    bp_domain_set_state(dom->iface, state);
    bp_domain_set_pid(dom->iface, dom->run ? (guint) bp_domain_run_get_pid(dom->run) : 0);
    bp_domain_set_runtime(dom->iface,
                          bp_runtime_to_string(dom->run ? bp_domain_run_get_runtime(dom->run)
                                                        : dom->def->runtime));
}


BpDaemon *
bp_daemon_domain_get_daemon(BpDaemonDomain *dom)
{
    return dom->daemon;
}


BpDomain *
bp_daemon_domain_get_iface(BpDaemonDomain *dom)
{
    return dom->iface;
}


BpCheckpointTable *
bp_daemon_domain_get_checkpoints(BpDaemonDomain *dom)
{
    return dom->checkpoints;
}


BpBlockAccess *
bp_daemon_domain_block_access(BpDaemonDomain *dom, GError **error)
{
    g_autoptr(BpQemuRuntimeConfig) config = NULL;

    if (dom->run && bp_domain_run_is_running(dom->run))
        return bp_block_access_new_run(dom->run);
    config = bp_daemon_runtime_config(dom->daemon, dom->def);
    return bp_block_access_new_offline(dom->def, config, error);
}



BpBlockAccess *
bp_daemon_domain_op_access(BpDaemonDomain *dom, BpMethodArgs *args)
{
    g_autoptr(GError) err = NULL;
    BpBlockAccess *access = bp_daemon_domain_block_access(dom, &err);

    if (!access) {
        bp_method_fail(args, err);
        bp_daemon_domain_op_done(dom);
    }
    return access;
}

/* Answers after flushing property changes, so that a client sees
 * PropertiesChanged before the reply. */
static void
bp_daemon_domain_return(BpDaemonDomain *dom, BpMethodArgs *args, GVariant *value)
{
    g_dbus_interface_skeleton_flush(G_DBUS_INTERFACE_SKELETON(dom->iface));
    bp_method_return(args, value);
}


static void
bp_daemon_domain_fail(BpDaemonDomain *dom, BpMethodArgs *args, const GError *error)
{
    g_dbus_interface_skeleton_flush(G_DBUS_INTERFACE_SKELETON(dom->iface));
    bp_method_fail(args, error);
}


/* ---- the operation queue ------------------------------------------------- */

static void bp_daemon_domain_next_op(BpDaemonDomain *dom);


void
bp_daemon_domain_enqueue(BpDaemonDomain *dom, BpDomainOpFunc func, gpointer data)
{
    BpDomainOp *op = g_new0(BpDomainOp, 1);

    op->func = func;
    op->data = data;
    g_queue_push_tail(&dom->ops, op);
    bp_daemon_busy_begin(dom->daemon);
    if (!dom->busy)
        bp_daemon_domain_next_op(dom);
}


static void
bp_daemon_domain_next_op(BpDaemonDomain *dom)
{
    g_autofree BpDomainOp *op = g_queue_pop_head(&dom->ops);

    if (!op)
        return;
    dom->busy = TRUE;
    /* The operation holds the domain until bp_daemon_domain_op_done(),
     * even when its answer drops the caller's reference. */
    g_object_ref(dom);
    op->func(dom, op->data);
}


/* Every operation ends here, after answering its call. */
void
bp_daemon_domain_op_done(BpDaemonDomain *dom)
{
    g_autoptr(BpDaemonDomain) hold = dom;   /* the operation's reference */

    dom->busy = FALSE;
    bp_daemon_domain_next_op(dom);
    bp_daemon_busy_end(dom->daemon);
}


/* A domain undefined while the operation waited answers NoDomain
 * instead of running it. */
gboolean
bp_daemon_domain_check_present(BpDaemonDomain *dom, BpMethodArgs *args)
{
    g_autoptr(GError) err = NULL;

    if (!dom->removed)
        return TRUE;
    err = g_error_new(BP_ERROR, BP_ERROR_NO_DOMAIN,
                      _("domain '%s' was undefined"), dom->def->name);
    bp_method_fail(args, err);
    bp_daemon_domain_op_done(dom);
    return FALSE;
}


static gboolean
bp_daemon_domain_is_running(BpDaemonDomain *dom)
{
    return dom->run && bp_domain_run_is_running(dom->run);
}


/* ---- the runtime going away ---------------------------------------------- */

static void
bp_daemon_domain_run_stopped(BpDomainRun *run, gboolean requested, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;
    gboolean clean = bp_domain_run_get_exit_clean(run);
    const char *msg = bp_domain_run_get_exit_message(run);
    g_autofree char *rundir = bp_domain_runtime_dir(dom->def, dom->daemon->config->runtime_dir);
    g_autoptr(GError) err = NULL;

    bp_log_domain(clean ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_WARNING, dom->def->name,
                  "%s", msg ? msg : "stopped");
    if (!bp_domain_ops_record_stopped(dom->daemon->store, dom->id, clean, msg,
                                      bp_domain_run_get_def(run), &err))
        bp_log_domain(G_LOG_LEVEL_WARNING, dom->def->name,
                      "cannot record that the domain stopped: %s", err->message);
    bp_domain_ops_remove_status(rundir);

    g_signal_handler_disconnect(run, dom->stopped_handler);
    dom->stopped_handler = 0;
    g_clear_object(&dom->run);
    bp_daemon_domain_set_state(dom, requested ? BP_STATE_SHUTOFF : BP_STATE_CRASHED);
    /* An unclean exit may have broken checkpoints. */
    bp_checkpoint_table_sync(dom->checkpoints);
}


static void
bp_daemon_domain_take_run(BpDaemonDomain *dom, BpDomainRun *run)
{
    dom->run = run;
    dom->stopped_handler = g_signal_connect(run, "stopped",
                                            G_CALLBACK(bp_daemon_domain_run_stopped), dom);
    bp_daemon_domain_set_state(dom, BP_STATE_RUNNING);
}


/* ---- Start --------------------------------------------------------------- */

static void
bp_daemon_domain_start_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                          gpointer user_data)
{
    BpMethodArgs *args = user_data;
    g_autoptr(BpDaemonDomain) dom = g_object_ref(BP_DAEMON_DOMAIN(args->target));
    g_autoptr(GError) err = NULL;
    BpDomainRun *run;

    if (!(run = bp_domain_run_start_finish(result, &err))) {
        bp_log_domain(G_LOG_LEVEL_WARNING, dom->def->name, "start failed: %s", err->message);
        bp_daemon_domain_set_state(dom, BP_STATE_SHUTOFF);
        bp_daemon_domain_fail(dom, args, err);
        bp_daemon_domain_op_done(dom);
        return;
    }
    if (!bp_domain_ops_record_running(dom->daemon->store, dom->id,
                                      bp_domain_run_get_pid(run),
                                      bp_domain_run_get_monitor_path(run), &err)) {
        /* Unrecorded, a restarted daemon would never find it again. */
        bp_log_domain(G_LOG_LEVEL_WARNING, dom->def->name,
                      "started, but cannot record it; stopping it again: %s", err->message);
        bp_domain_run_destroy_async(run, FALSE, NULL, NULL);
        g_object_unref(run);
        bp_daemon_domain_set_state(dom, BP_STATE_SHUTOFF);
        bp_daemon_domain_fail(dom, args, err);
        bp_daemon_domain_op_done(dom);
        return;
    }
    bp_daemon_domain_take_run(dom, run);
    bp_log_domain(G_LOG_LEVEL_MESSAGE, dom->def->name, "started (%s runtime, pid %d)",
                  bp_runtime_to_string(dom->def->runtime), bp_domain_run_get_pid(run));
    /* Queued before the answer, so it runs before what the caller
     * asks next. */
    bp_checkpoint_queue_reconcile(dom);
    bp_daemon_domain_return(dom, args, NULL);
    bp_daemon_domain_op_done(dom);
    bp_daemon_refresh_qemu_version(dom->daemon);
}


static void
bp_daemon_domain_start_op(BpDaemonDomain *dom, gpointer data)
{
    BpMethodArgs *args = data;
    g_autoptr(BpQemuRuntimeConfig) config = NULL;

    if (!bp_daemon_domain_check_present(dom, args))
        return;
    if (bp_daemon_domain_is_running(dom)) {
        g_autoptr(GError) err = g_error_new(BP_ERROR, BP_ERROR_OPERATION_INVALID,
                                            _("domain '%s' is already running"),
                                            dom->def->name);
        bp_method_fail(args, err);
        bp_daemon_domain_op_done(dom);
        return;
    }
    if (bp_backup_ops_is_running(dom->id)) {
        g_autoptr(GError) err = g_error_new(BP_ERROR, BP_ERROR_BUSY,
                                            _("domain '%s' cannot be started while a backup "
                                              "of its shut-off disks runs; start it when the "
                                              "backup has ended or abort the backup"),
                                            dom->def->name);
        bp_method_fail(args, err);
        bp_daemon_domain_op_done(dom);
        return;
    }
    bp_daemon_domain_set_state(dom, BP_STATE_STARTING);
    config = bp_daemon_runtime_config(dom->daemon, dom->def);
    bp_domain_run_start_async(dom->def, config, NULL, bp_daemon_domain_start_cb, args);
}


static void
bp_daemon_domain_start_authorized(BpMethodArgs *args)
{
    bp_daemon_domain_enqueue(BP_DAEMON_DOMAIN(args->target), bp_daemon_domain_start_op, args);
}


static gboolean
bp_daemon_domain_handle_start(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                              GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;

    return bp_daemon_domain_authorize(dom, invocation, options, NULL, bp_options_none,
                                      BP_AUTH_MANAGE, bp_daemon_domain_start_authorized);
}


/* ---- Shutdown and Destroy ------------------------------------------------ */

/* FALSE (and the call answered) when there is nothing to stop. */
static gboolean
bp_daemon_domain_check_running(BpDaemonDomain *dom, BpMethodArgs *args)
{
    g_autoptr(GError) err = NULL;

    if (bp_daemon_domain_is_running(dom))
        return TRUE;
    err = g_error_new(BP_ERROR, BP_ERROR_OPERATION_INVALID,
                      _("domain '%s' is not running"), dom->def->name);
    bp_method_fail(args, err);
    bp_daemon_domain_op_done(dom);
    return FALSE;
}


static void
bp_daemon_domain_shutdown_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    BpMethodArgs *args = user_data;
    BpDomainRun *run = BP_DOMAIN_RUN(source);
    g_autoptr(BpDaemonDomain) dom = g_object_ref(BP_DAEMON_DOMAIN(args->target));
    g_autoptr(GError) err = NULL;

    if (!bp_domain_run_shutdown_finish(run, result, &err)) {
        bp_daemon_domain_fail(dom, args, err);
    } else if (!bp_domain_run_get_exit_clean(run)) {
        /* It had to be killed: say so, the bitmaps are lost. */
        err = g_error_new(BP_ERROR, BP_ERROR_TIMEOUT, "%s",
                          bp_domain_run_get_exit_message(run));
        bp_daemon_domain_fail(dom, args, err);
    } else {
        bp_daemon_domain_return(dom, args, NULL);
    }
    bp_daemon_domain_op_done(dom);
}


static void
bp_daemon_domain_shutdown_op(BpDaemonDomain *dom, gpointer data)
{
    BpMethodArgs *args = data;

    if (!bp_daemon_domain_check_present(dom, args) ||
        !bp_daemon_domain_check_running(dom, args))
        return;
    bp_daemon_domain_set_state(dom, BP_STATE_STOPPING);
    bp_domain_run_shutdown_async(dom->run, bp_daemon_domain_shutdown_cb, args);
}


static void
bp_daemon_domain_shutdown_authorized(BpMethodArgs *args)
{
    bp_daemon_domain_enqueue(BP_DAEMON_DOMAIN(args->target), bp_daemon_domain_shutdown_op, args);
}


static gboolean
bp_daemon_domain_handle_shutdown(BpDomain *iface G_GNUC_UNUSED,
                                 GDBusMethodInvocation *invocation,
                                 GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;

    return bp_daemon_domain_authorize(dom, invocation, options, NULL, bp_options_none,
                                      BP_AUTH_MANAGE, bp_daemon_domain_shutdown_authorized);
}


static void
bp_daemon_domain_destroy_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    BpMethodArgs *args = user_data;
    BpDomainRun *run = BP_DOMAIN_RUN(source);
    g_autoptr(BpDaemonDomain) dom = g_object_ref(BP_DAEMON_DOMAIN(args->target));
    g_autoptr(GError) err = NULL;

    if (!bp_domain_run_destroy_finish(run, result, &err)) {
        /* graceful and it did not exit: it still runs */
        if (bp_domain_run_is_running(run))
            bp_daemon_domain_set_state(dom, BP_STATE_RUNNING);
        bp_daemon_domain_fail(dom, args, err);
    } else {
        bp_daemon_domain_return(dom, args, NULL);
    }
    bp_daemon_domain_op_done(dom);
}


static void
bp_daemon_domain_destroy_op(BpDaemonDomain *dom, gpointer data)
{
    BpMethodArgs *args = data;

    if (!bp_daemon_domain_check_present(dom, args))
        return;
    if (!dom->run && g_str_equal(bp_domain_get_state(dom->iface), BP_STATE_CRASHED)) {
        /* Nothing left to stop; only the state to clean up. */
        bp_daemon_domain_set_state(dom, BP_STATE_SHUTOFF);
        bp_daemon_domain_return(dom, args, NULL);
        bp_daemon_domain_op_done(dom);
        return;
    }
    if (!bp_daemon_domain_check_running(dom, args))
        return;
    bp_daemon_domain_set_state(dom, BP_STATE_STOPPING);
    bp_domain_run_destroy_async(dom->run, bp_method_option_bool(args, "graceful"),
                                bp_daemon_domain_destroy_cb, args);
}


static void
bp_daemon_domain_destroy_authorized(BpMethodArgs *args)
{
    bp_daemon_domain_enqueue(BP_DAEMON_DOMAIN(args->target), bp_daemon_domain_destroy_op, args);
}


static gboolean
bp_daemon_domain_handle_destroy(BpDomain *iface G_GNUC_UNUSED,
                                GDBusMethodInvocation *invocation,
                                GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;

    return bp_daemon_domain_authorize(dom, invocation, options, NULL, bp_options_destroy,
                                      BP_AUTH_MANAGE, bp_daemon_domain_destroy_authorized);
}


/* ---- Undefine ------------------------------------------------------------ */

static void
bp_daemon_domain_undefine_op(BpDaemonDomain *dom, gpointer data)
{
    BpMethodArgs *args = data;
    g_autoptr(GError) err = NULL;

    if (!bp_daemon_domain_check_present(dom, args))
        return;
    if (dom->run) {
        err = g_error_new(BP_ERROR, BP_ERROR_OPERATION_INVALID,
                          _("cannot undefine domain '%s' while it is running; "
                            "shut it down or destroy it first"), dom->def->name);
    } else if (bp_snapshot_ops_undefine_check(dom->daemon->store, dom->id,
                                              bp_method_option_bool(args, "snapshots-metadata"),
                                              &err)) {
        bp_domain_ops_undefine(dom->daemon->store, dom->id,
                               bp_method_option_bool(args, "checkpoints-metadata"), &err);
    }
    if (err) {
        bp_method_fail(args, err);
    } else {
        bp_log_domain(G_LOG_LEVEL_MESSAGE, dom->def->name, "undefined");
        dom->removed = TRUE;
        bp_checkpoint_table_clear(dom->checkpoints);
        bp_snapshot_table_clear(dom);
        bp_daemon_remove_domain(dom->daemon, dom);
        bp_method_return(args, NULL);
    }
    bp_daemon_domain_op_done(dom);
}


static void
bp_daemon_domain_undefine_authorized(BpMethodArgs *args)
{
    bp_daemon_domain_enqueue(BP_DAEMON_DOMAIN(args->target), bp_daemon_domain_undefine_op, args);
}


static gboolean
bp_daemon_domain_handle_undefine(BpDomain *iface G_GNUC_UNUSED,
                                 GDBusMethodInvocation *invocation,
                                 GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;

    return bp_daemon_domain_authorize(dom, invocation, options, NULL, bp_options_undefine,
                                      BP_AUTH_MANAGE, bp_daemon_domain_undefine_authorized);
}


/* ---- GetXMLDesc and ListDisks -------------------------------------------- */

/* The definition a reading method describes. */
static const BpDomainDef *
bp_daemon_domain_view(BpDaemonDomain *dom, BpMethodArgs *args)
{
    if (dom->run && !bp_method_option_bool(args, "inactive"))
        return bp_domain_run_get_def(dom->run);
    return dom->def;
}


static void
bp_daemon_domain_get_xml_desc_authorized(BpMethodArgs *args)
{
    BpDaemonDomain *dom = BP_DAEMON_DOMAIN(args->target);
    g_autofree char *xml = NULL;

    xml = bp_domain_ops_format_xml(bp_daemon_domain_view(dom, args),
                                   bp_method_option_bool(args, "security-info"));
    bp_method_return(args, g_variant_new("(s)", xml));
}


static gboolean
bp_daemon_domain_handle_get_xml_desc(BpDomain *iface G_GNUC_UNUSED,
                                     GDBusMethodInvocation *invocation,
                                     GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;
    gboolean secure = FALSE;

    /* Secrets are for those who may change the domain anyway. */
    g_variant_lookup(options, "security-info", "b", &secure);
    return bp_daemon_domain_authorize(dom, invocation, options, NULL, bp_options_xml_desc,
                                      secure ? BP_AUTH_MANAGE : BP_AUTH_READ,
                                      bp_daemon_domain_get_xml_desc_authorized);
}


static void
bp_daemon_domain_list_disks_authorized(BpMethodArgs *args)
{
    BpDaemonDomain *dom = BP_DAEMON_DOMAIN(args->target);
    const BpDomainDef *def = bp_daemon_domain_view(dom, args);
    gboolean live = def != dom->def;
    GVariantBuilder disks;

    g_variant_builder_init(&disks, G_VARIANT_TYPE("a(ssssss)"));
    for (size_t i = 0; i < def->ndisks; i++) {
        const BpDiskDef *disk = def->disks[i];
        g_autofree char *export = live ? bp_domain_run_get_export(dom->run, disk->dst) : NULL;

        g_variant_builder_add(&disks, "(ssssss)", disk->dst,
                              bp_storage_type_to_string(disk->src->type),
                              disk->device ? disk->device : "disk",
                              disk->src->path ? disk->src->path : "",
                              disk->src->format ? disk->src->format : "",
                              export ? export : "");
    }
    bp_method_return(args, g_variant_new("(a(ssssss))", &disks));
}


static gboolean
bp_daemon_domain_handle_list_disks(BpDomain *iface G_GNUC_UNUSED,
                                   GDBusMethodInvocation *invocation,
                                   GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;

    return bp_daemon_domain_authorize(dom, invocation, options, NULL, bp_options_list_disks,
                                      BP_AUTH_READ, bp_daemon_domain_list_disks_authorized);
}


/* ---- reconnecting after a restart -------------------------------------- */

static void
bp_daemon_domain_reconnect_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                              gpointer user_data)
{
    g_autoptr(BpDaemonDomain) dom = user_data;
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) rec = NULL;
    g_autofree char *rundir = NULL;
    BpDomainRun *run;

    if ((run = bp_domain_run_reconnect_finish(result, &err))) {
        bp_daemon_domain_take_run(dom, run);
        bp_log_domain(G_LOG_LEVEL_MESSAGE, dom->def->name,
                      "reconnected to the running domain (pid %d)",
                      bp_domain_run_get_pid(run));
        bp_daemon_domain_op_done(dom);
        return;
    }
    /* It ended while no daemon watched: for our own qemu-storage-daemon
     * nobody can tell whether it wrote its bitmaps. */
    bp_log_domain(G_LOG_LEVEL_WARNING, dom->def->name,
                  "no longer running, recorded as shut off: %s", err->message);
    if (!bp_domain_ops_record_stopped(dom->daemon->store, dom->id,
                                      dom->def->runtime != BP_RUNTIME_STORAGE,
                                      err->message, NULL, &rec))
        bp_log_domain(G_LOG_LEVEL_WARNING, dom->def->name,
                      "cannot record that the domain stopped: %s", rec->message);
    rundir = bp_domain_runtime_dir(dom->def, dom->daemon->config->runtime_dir);
    bp_domain_ops_remove_status(rundir);
    bp_daemon_domain_set_state(dom, BP_STATE_SHUTOFF);
    bp_daemon_domain_op_done(dom);
}


static void
bp_daemon_domain_reconnect_op(BpDaemonDomain *dom, gpointer data G_GNUC_UNUSED)
{
    g_autofree char *rundir = bp_domain_runtime_dir(dom->def, dom->daemon->config->runtime_dir);
    g_autoptr(GError) err = NULL;
    g_autoptr(BpDomainDef) started = NULL;
    g_autoptr(BpQemuRuntimeConfig) config = NULL;

    /* The definition it runs with, which a redefinition may have changed
     * since in the catalogue. */
    if (!(started = bp_domain_ops_load_status(rundir, &err))) {
        if (err)
            bp_log_domain(G_LOG_LEVEL_WARNING, dom->def->name, "%s", err->message);
        started = bp_domain_def_copy(dom->def);
    }
    config = bp_daemon_runtime_config(dom->daemon, started);
    bp_domain_run_reconnect_async(started, config, dom->reconnect_pid, dom->reconnect_monitor,
                                  NULL, bp_daemon_domain_reconnect_cb, g_object_ref(dom));
}


void
bp_daemon_domain_reconnect(BpDaemonDomain *dom, GPid pid, const char *monitor_path)
{
    dom->reconnect_pid = pid;
    g_free(dom->reconnect_monitor);
    dom->reconnect_monitor = g_strdup(monitor_path);
    /* As the catalogue says, until found otherwise. */
    bp_domain_set_state(dom->iface, BP_STATE_RUNNING);
    bp_domain_set_pid(dom->iface, (guint) pid);
    bp_daemon_domain_enqueue(dom, bp_daemon_domain_reconnect_op, NULL);
}


void
bp_daemon_domain_detach(BpDaemonDomain *dom)
{
    if (!dom->run)
        return;
    g_signal_handler_disconnect(dom->run, dom->stopped_handler);
    dom->stopped_handler = 0;
    bp_domain_run_detach(dom->run);
    g_clear_object(&dom->run);
}


void
bp_daemon_domain_set_def(BpDaemonDomain *dom, BpDomainDef *def)
{
    bp_domain_def_free(dom->def);
    dom->def = def;
    if (!dom->run)
        bp_domain_set_runtime(dom->iface, bp_runtime_to_string(def->runtime));
}


/* ---- the object ------------------------------------------------------------ */

BpDaemonDomain *
bp_daemon_domain_new(BpDaemon *daemon, gint64 id, BpDomainDef *def)
{
    BpDaemonDomain *dom = g_object_new(BP_TYPE_DAEMON_DOMAIN, NULL);
    g_autofree char *escaped = g_dbus_escape_object_path(def->name);
    const char *none[] = { NULL };

    dom->daemon = daemon;
    dom->id = id;
    dom->def = def;
    dom->path = g_strdup_printf(BP_DBUS_DOMAIN_PATH "/%s", escaped);
    dom->object = bp_object_skeleton_new(dom->path);
    dom->iface = bp_domain_skeleton_new();

    bp_domain_set_name(dom->iface, def->name);
    bp_domain_set_uuid(dom->iface, def->uuid);
    bp_domain_set_state(dom->iface, BP_STATE_SHUTOFF);
    bp_domain_set_runtime(dom->iface, bp_runtime_to_string(def->runtime));
    bp_domain_set_persistent(dom->iface, TRUE);
    bp_domain_set_autostart(dom->iface, FALSE);
    bp_domain_set_pid(dom->iface, 0);
    bp_domain_set_jobs(dom->iface, none);
    bp_domain_set_current_checkpoint(dom->iface, "/");
    dom->checkpoints = bp_checkpoint_table_new(dom);

    g_signal_connect(dom->iface, "handle-start",
                     G_CALLBACK(bp_daemon_domain_handle_start), dom);
    g_signal_connect(dom->iface, "handle-shutdown",
                     G_CALLBACK(bp_daemon_domain_handle_shutdown), dom);
    g_signal_connect(dom->iface, "handle-destroy",
                     G_CALLBACK(bp_daemon_domain_handle_destroy), dom);
    g_signal_connect(dom->iface, "handle-undefine",
                     G_CALLBACK(bp_daemon_domain_handle_undefine), dom);
    g_signal_connect(dom->iface, "handle-get-xml-desc",
                     G_CALLBACK(bp_daemon_domain_handle_get_xml_desc), dom);
    g_signal_connect(dom->iface, "handle-list-disks",
                     G_CALLBACK(bp_daemon_domain_handle_list_disks), dom);
    bp_checkpoint_connect_domain_methods(dom, dom->iface);
    bp_snapshot_connect_domain_methods(dom, dom->iface);
    bp_backup_connect_domain_methods(dom, dom->iface);
    bp_restore_connect_domain_methods(dom, dom->iface);
    bp_blockjob_connect_domain_methods(dom, dom->iface);
    bp_method_connect_unimplemented(daemon, dom->iface, bp_domain_read_methods);

    bp_object_skeleton_set_domain(dom->object, dom->iface);
    return dom;
}


static void
bp_daemon_domain_dispose(GObject *object)
{
    BpDaemonDomain *dom = BP_DAEMON_DOMAIN(object);

    bp_daemon_domain_detach(dom);
    g_clear_pointer(&dom->checkpoints, bp_checkpoint_table_free);
    if (dom->iface)
        g_signal_handlers_disconnect_by_data(dom->iface, dom);
    g_clear_object(&dom->iface);
    g_clear_object(&dom->object);
    G_OBJECT_CLASS(bp_daemon_domain_parent_class)->dispose(object);
}


static void
bp_daemon_domain_finalize(GObject *object)
{
    BpDaemonDomain *dom = BP_DAEMON_DOMAIN(object);

    /* Only a daemon that gave up waiting for its operations gets here
     * with some still queued; they are dropped unanswered. */
    g_queue_clear_full(&dom->ops, g_free);
    bp_domain_def_free(dom->def);
    g_free(dom->path);
    g_free(dom->reconnect_monitor);
    G_OBJECT_CLASS(bp_daemon_domain_parent_class)->finalize(object);
}


static void
bp_daemon_domain_init(BpDaemonDomain *dom)
{
    g_queue_init(&dom->ops);
}


static void
bp_daemon_domain_class_init(BpDaemonDomainClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = bp_daemon_domain_dispose;
    object_class->finalize = bp_daemon_domain_finalize;
}


/* The domain's Jobs without @path, and with it at the end when @add. */
static void
bp_daemon_domain_update_jobs(BpDaemonDomain *dom, const char *path, gboolean add)
{
    const char *const *old = bp_domain_get_jobs(dom->iface);
    g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func(g_free);
    gboolean found = FALSE;

    for (guint i = 0; old && old[i]; i++) {
        if (g_str_equal(old[i], path))
            found = TRUE;
        else
            g_ptr_array_add(jobs, g_strdup(old[i]));
    }
    if (found == add)
        return;
    if (add)
        g_ptr_array_add(jobs, g_strdup(path));
    g_ptr_array_add(jobs, NULL);
    bp_domain_set_jobs(dom->iface, (const char *const *) jobs->pdata);
}


void
bp_daemon_domain_add_job(BpDaemonDomain *dom, const char *path)
{
    bp_daemon_domain_update_jobs(dom, path, TRUE);
}


void
bp_daemon_domain_remove_job(BpDaemonDomain *dom, const char *path)
{
    bp_daemon_domain_update_jobs(dom, path, FALSE);
}


gboolean
bp_daemon_domain_authorize(BpDaemonDomain *dom, GDBusMethodInvocation *invocation,
                           GVariant *options, const char *arg, const BpMethodOption *allowed,
                           BpAuthAction action, BpMethodFunc func)
{
    BpMethodArgs *args = bp_method_args_new(dom->daemon, invocation, dom, options);

    args->arg = g_strdup(arg);
    bp_method_authorize(args, allowed, action, func);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}
