/*
 * bp-blockjob-object.c: the block job methods of
 * org.blkpoint.Blkpoint1.Domain (BlockCommit, BlockPull, BlockJobAbort,
 * BlockJobSetSpeed, GetBlockJobInfo) and the org.blkpoint.Blkpoint1.Job
 * object of a running commit or pull (the same machinery), a BpJobObject
 * like a backup's or a restore's.
 *
 * BlockCommit runs in the domain's operation queue until QEMU runs the
 * job (or it failed), then answers with the Job object; the queue is free
 * again while the job runs.  On a shut-off domain the commit is done with
 * qemu-img inside the queue and the reply ("/" for the job) comes when it
 * is over.
 */
#include <config.h>

#include "bp-blockjob-object.h"
#include "bp-daemon.h"
#include "bp-job-object.h"
#include "bp-log.h"
#include "jobs/bp-blockjob-ops.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_DBUS_JOB_PATH BP_DBUS_ROOT_PATH "/job"
#define BP_BLOCKJOB_KEY_PREFIX "bp-blockjob-"

/* One commit, from BlockCommit until it ended. */
typedef struct {
    BpDaemonDomain *dom;        /* a reference */
    BpMethodArgs *args;         /* BlockCommit, until answered */
    BpBlockJob *job;            /* NULL once ended, or offline */
    char *target;
    BpJobObject jobobj;         /* published once QEMU runs the job */
    GPtrArray *waiters;         /* BpMethodArgs*: BlockJobAbort calls to answer at the end */
    gboolean pull;              /* BlockPull rather than BlockCommit */
} BpCommitObj;

static const BpMethodOption bp_options_commit[] = {
    { "base", "s" }, { "top", "s" }, { "shallow", "b" }, { "active", "b" },
    { "delete", "b" }, { "keep-relative", "b" }, { "bandwidth", "t" }, { NULL, NULL }
};
static const BpMethodFlag bp_flags_commit[] = {
    { "shallow", BP_BLOCK_COMMIT_SHALLOW }, { "active", BP_BLOCK_COMMIT_ACTIVE },
    { "delete", BP_BLOCK_COMMIT_DELETE }, { "keep-relative", BP_BLOCK_COMMIT_RELATIVE },
    { NULL, 0 }
};
static const BpMethodOption bp_options_pull[] = {
    { "base", "s" }, { "keep-relative", "b" }, { "bandwidth", "t" }, { NULL, NULL }
};
static const BpMethodFlag bp_flags_pull[] = {
    { "keep-relative", BP_BLOCK_COMMIT_RELATIVE }, { NULL, 0 }
};
static const BpMethodOption bp_options_abort[] = {
    { "pivot", "b" }, { "async", "b" }, { NULL, NULL }
};
static const BpMethodOption bp_options_none[] = { { NULL, NULL } };


static void
bp_commit_obj_free(BpCommitObj *obj)
{
    bp_job_object_clear(&obj->jobobj, obj);
    if (obj->waiters)
        g_ptr_array_unref(obj->waiters);
    g_free(obj->target);
    g_object_unref(obj->dom);
    g_free(obj);
}


static char *
bp_commit_key(const char *target)
{
    return g_strconcat(BP_BLOCKJOB_KEY_PREFIX, target, NULL);
}


/* The disk's target for @disk (a target or a source path), or NULL. */
static char *
bp_blockjob_target(BpDaemonDomain *dom, const char *disk)
{
    g_autoptr(BpBlockAccess) access = bp_daemon_domain_block_access(dom, NULL);
    const BpDiskDef *d;

    if (!access)
        return NULL;
    d = bp_domain_def_find_disk_by_name_or_path(bp_block_access_get_def(access), disk);
    return d ? g_strdup(d->dst) : NULL;
}


static BpCommitObj *
bp_commit_obj_get(BpDaemonDomain *dom, const char *target)
{
    g_autofree char *key = NULL;

    if (!target)
        return NULL;
    key = bp_commit_key(target);
    return g_object_get_data(G_OBJECT(dom), key);
}


static gboolean
bp_commit_obj_tick(gpointer data)
{
    BpCommitObj *obj = data;
    BpBlockJobInfo info = { 0 };

    if (!obj->job)
        return G_SOURCE_CONTINUE;
    bp_block_job_get_info(obj->job, &info);
    bp_job_object_progress(&obj->jobobj, info.cur, info.end);
    bp_block_job_info_clear(&info);
    return G_SOURCE_CONTINUE;
}


static void
bp_commit_cancel_authorized(BpMethodArgs *args)
{
    const char *path = g_dbus_method_invocation_get_object_path(args->invocation);
    BpDaemonDomain *dom = BP_DAEMON_DOMAIN(args->target);
    BpCommitObj *obj = bp_commit_obj_get(dom, args->arg);
    g_autoptr(GError) err = NULL;

    /* The job may have ended while polkit decided: it is looked up again,
     * by its disk, and must still be this object's. */
    if (obj && g_strcmp0(obj->jobobj.path, path) != 0)
        obj = NULL;
    if (!obj || !obj->job || !bp_block_job_end(obj->job, FALSE, &err)) {
        if (!err)
            err = g_error_new(BP_ERROR, BP_ERROR_OPERATION_INVALID,
                              _("the block job cannot be cancelled now"));
        bp_method_fail(args, err);
        return;
    }
    bp_job_object_cancelling(&obj->jobobj);
    bp_method_return(args, NULL);
}


static gboolean
bp_commit_handle_cancel(BpJob *iface, GDBusMethodInvocation *invocation,
                        GVariant *options, gpointer user_data)
{
    BpCommitObj *obj = user_data;

    return bp_job_object_authorize_cancel(obj->dom, invocation, options, obj->target,
                                          bp_job_get_started_by_uid(iface),
                                          bp_commit_cancel_authorized);
}


/* QEMU runs the job: the Job object appears and BlockCommit is answered. */
static void
bp_commit_started(BpBlockJob *job, gpointer data)
{
    BpCommitObj *obj = data;
    BpBlockJobInfo info = { 0 };
    const char *disks[] = { obj->target, NULL };
    BpMethodArgs *args = g_steal_pointer(&obj->args);

    bp_block_job_get_info(job, &info);
    bp_job_object_publish(&obj->jobobj, obj->dom,
                          g_strdup_printf(BP_DBUS_JOB_PATH "/blockjob%" G_GINT64_FORMAT,
                                          info.store_id),
                          info.pull ? "block-pull" :
                          info.active ? "active-block-commit" : "block-commit",
                          disks, info.start_time, args->caller_uid);
    g_signal_connect(obj->jobobj.iface, "handle-cancel", G_CALLBACK(bp_commit_handle_cancel),
                     obj);
    bp_block_job_info_clear(&info);
    bp_job_object_start_ticks(&obj->jobobj, bp_commit_obj_tick, obj);
    bp_log_domain(G_LOG_LEVEL_MESSAGE, bp_daemon_domain_get_name(obj->dom),
                  "block %s of disk %s started", obj->pull ? "pull" : "commit", obj->target);
    g_dbus_interface_skeleton_flush(G_DBUS_INTERFACE_SKELETON(obj->jobobj.iface));
    bp_method_return(args, g_variant_new("(o)", obj->jobobj.path));
    bp_daemon_domain_op_done(obj->dom);
}


static void
bp_commit_ready(BpBlockJob *job G_GNUC_UNUSED, gpointer data)
{
    BpCommitObj *obj = data;

    bp_commit_obj_tick(obj);
    bp_job_set_state(obj->jobobj.iface, "ready");
    bp_log_domain(G_LOG_LEVEL_MESSAGE, bp_daemon_domain_get_name(obj->dom),
                  "block commit of disk %s is ready to pivot", obj->target);
}


static void
bp_commit_done_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpCommitObj *obj = data;
    BpDaemonDomain *dom = obj->dom;
    g_autoptr(GError) err = NULL;
    g_autofree char *key = bp_commit_key(obj->target);
    BpDomainDef *new_def = NULL;
    gboolean pivoted = FALSE;
    gboolean ok;

    if (obj->jobobj.iface)
        bp_commit_obj_tick(obj);
    ok = bp_blockjob_ops_commit_finish(result, &pivoted, &new_def, &err);
    obj->job = NULL;
    if (new_def)
        bp_daemon_domain_set_def(dom, new_def);
    bp_checkpoint_table_sync(bp_daemon_domain_get_checkpoints(dom));
    if (g_object_get_data(G_OBJECT(dom), key) == obj)
        g_object_steal_data(G_OBJECT(dom), key);
    bp_log_domain(ok ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_WARNING,
                  bp_daemon_domain_get_name(dom), "block %s of disk %s %s%s",
                  obj->pull ? "pull" : "commit", obj->target,
                  !ok ? "failed: " : pivoted ? "completed" : "abandoned",
                  err ? err->message : "");
    if (obj->args) {
        /* It never started (or it ran offline): the caller hears now. */
        BpMethodArgs *args = g_steal_pointer(&obj->args);

        if (ok)
            bp_method_return(args, g_variant_new("(o)", "/"));
        else
            bp_method_fail(args, err);
        bp_daemon_domain_op_done(dom);
        bp_commit_obj_free(obj);
        return;
    }
    /* An abandoned active commit did what was asked, yet ends "cancelled". */
    bp_job_object_end(&obj->jobobj,
                      g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
                      (ok && !pivoted) ? "cancelled" : !ok ? "failed" : "completed",
                      ok, err ? err->message : "");
    for (guint i = 0; i < obj->waiters->len; i++) {
        BpMethodArgs *w = g_ptr_array_index(obj->waiters, i);

        /* An abort that cancelled the job did what it was asked. */
        if (ok || g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            bp_method_return(w, NULL);
        else
            bp_method_fail(w, err);
    }
    g_ptr_array_set_size(obj->waiters, 0);
    bp_commit_obj_free(obj);
}


static void
bp_commit_op(BpDaemonDomain *dom, gpointer data)
{
    BpMethodArgs *args = data;
    g_autoptr(BpBlockAccess) access = NULL;
    g_autofree char *key = NULL;
    GVariant *opts = args->options;
    const char *top = NULL, *base = NULL;
    guint64 bandwidth = 0;
    BpCommitObj *obj;

    if (!bp_daemon_domain_check_present(dom, args))
        return;
    if (!(access = bp_daemon_domain_op_access(dom, args)))
        return;
    g_variant_lookup(opts, "top", "&s", &top);
    g_variant_lookup(opts, "base", "&s", &base);
    g_variant_lookup(opts, "bandwidth", "t", &bandwidth);
    obj = g_new0(BpCommitObj, 1);
    obj->pull = g_object_get_data(G_OBJECT(args->invocation), "bp-pull") != NULL;
    obj->dom = g_object_ref(dom);
    obj->args = args;
    obj->waiters = g_ptr_array_new();
    obj->target = bp_blockjob_target(dom, args->arg);
    if (!obj->target)
        obj->target = g_strdup(args->arg);
    key = bp_commit_key(obj->target);
    if (!g_object_get_data(G_OBJECT(dom), key))
        g_object_set_data(G_OBJECT(dom), key, obj);
    if (obj->pull)
        obj->job = bp_blockjob_ops_pull_async(bp_daemon_domain_get_daemon(dom)->store,
                                              bp_daemon_domain_get_id(dom), access, args->arg,
                                              base && *base ? base : NULL, bandwidth,
                                              bp_method_option_flags(args, bp_flags_pull),
                                              NULL, bp_commit_done_cb, obj);
    else
        obj->job = bp_blockjob_ops_commit_async(bp_daemon_domain_get_daemon(dom)->store,
                                                bp_daemon_domain_get_id(dom), access,
                                                args->arg, top && *top ? top : NULL,
                                                base && *base ? base : NULL, bandwidth,
                                                bp_method_option_flags(args, bp_flags_commit),
                                                NULL, bp_commit_done_cb, obj);
    if (obj->job)
        bp_block_job_set_started_func(obj->job, bp_commit_started, bp_commit_ready, obj);
}


static void
bp_commit_authorized(BpMethodArgs *args)
{
    bp_daemon_domain_enqueue(BP_DAEMON_DOMAIN(args->target), bp_commit_op, args);
}


static gboolean
bp_blockjob_handle_commit(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                          const char *disk, GVariant *options, gpointer user_data)
{
    return bp_daemon_domain_authorize(user_data, invocation, options, disk, bp_options_commit,
                                      BP_AUTH_MANAGE, bp_commit_authorized);
}


/* BlockPull: the same object and queue as BlockCommit, told apart by a
 * mark on the invocation. */
static gboolean
bp_blockjob_handle_pull(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                        const char *disk, GVariant *options, gpointer user_data)
{
    g_object_set_data(G_OBJECT(invocation), "bp-pull", GINT_TO_POINTER(1));
    return bp_daemon_domain_authorize(user_data, invocation, options, disk, bp_options_pull,
                                      BP_AUTH_MANAGE, bp_commit_authorized);
}


/* ---- the other methods --------------------------------------------------------- */

/* The running commit of @args->arg, or NULL after answering
 * OperationInvalid. */
static BpCommitObj *
bp_blockjob_require(BpMethodArgs *args)
{
    BpDaemonDomain *dom = BP_DAEMON_DOMAIN(args->target);
    g_autofree char *target = bp_blockjob_target(dom, args->arg);
    BpCommitObj *obj = bp_commit_obj_get(dom, target);
    g_autofree char *msg = NULL;

    if (obj && obj->job && !obj->args)
        return obj;
    msg = g_strdup_printf(_("disk '%s' of domain '%s' has no block job"), args->arg,
                          bp_daemon_domain_get_name(dom));
    bp_method_fail_literal(args, BP_ERROR_OPERATION_INVALID, msg);
    return NULL;
}


static void
bp_blockjob_abort_authorized(BpMethodArgs *args)
{
    BpCommitObj *obj = bp_blockjob_require(args);
    gboolean pivot = bp_method_option_bool(args, "pivot");
    g_autoptr(GError) err = NULL;

    if (!obj)
        return;
    if (!bp_block_job_end(obj->job, pivot, &err)) {
        bp_method_fail(args, err);
        return;
    }
    bp_job_object_cancelling(&obj->jobobj);
    if (bp_method_option_bool(args, "async"))
        bp_method_return(args, NULL);
    else
        g_ptr_array_add(obj->waiters, args);
}


static void
bp_blockjob_speed_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpMethodArgs *args = data;
    g_autoptr(GError) err = NULL;

    if (!bp_block_job_set_speed_finish(result, &err))
        bp_method_fail(args, err);
    else
        bp_method_return(args, NULL);
}


static void
bp_blockjob_speed_authorized(BpMethodArgs *args)
{
    BpCommitObj *obj = bp_blockjob_require(args);
    guint64 *bw = g_object_get_data(G_OBJECT(args->invocation), "bp-bandwidth");

    if (!obj)
        return;
    bp_block_job_set_speed_async(obj->job, *bw, NULL, bp_blockjob_speed_cb, args);
}


static void
bp_blockjob_info_authorized(BpMethodArgs *args)
{
    BpDaemonDomain *dom = BP_DAEMON_DOMAIN(args->target);
    g_autofree char *target = bp_blockjob_target(dom, args->arg);
    BpCommitObj *obj = bp_commit_obj_get(dom, target);
    BpBlockJobInfo info = { 0 };
    GVariantBuilder b;

    if (!target) {
        g_autofree char *msg = g_strdup_printf(_("domain '%s' has no disk '%s'"),
                                               bp_daemon_domain_get_name(dom), args->arg);

        bp_method_fail_literal(args, BP_ERROR_INVALID_ARGUMENT, msg);
        return;
    }
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    if (obj && obj->job && obj->jobobj.path) {
        bp_block_job_get_info(obj->job, &info);
        g_variant_builder_add(&b, "{sv}", "type",
                              g_variant_new_string(info.pull ? "pull" :
                                                   info.active ? "active-commit" : "commit"));
        g_variant_builder_add(&b, "{sv}", "job", g_variant_new_object_path(obj->jobobj.path));
        g_variant_builder_add(&b, "{sv}", "bandwidth", g_variant_new_uint64(info.bandwidth));
        g_variant_builder_add(&b, "{sv}", "cur", g_variant_new_uint64(info.cur));
        g_variant_builder_add(&b, "{sv}", "end", g_variant_new_uint64(info.end));
        g_variant_builder_add(&b, "{sv}", "ready", g_variant_new_boolean(info.ready));
        bp_block_job_info_clear(&info);
    }
    bp_method_return(args, g_variant_new("(a{sv})", &b));
}


#define BP_BLOCKJOB_HANDLER(fn, opts, action, authorized) \
    static gboolean \
    fn(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation, \
       const char *disk, GVariant *options, gpointer user_data) \
    { \
        return bp_daemon_domain_authorize(user_data, invocation, options, disk, opts, \
                                          action, authorized); \
    }

BP_BLOCKJOB_HANDLER(bp_blockjob_handle_abort, bp_options_abort, BP_AUTH_MANAGE,
                    bp_blockjob_abort_authorized)
BP_BLOCKJOB_HANDLER(bp_blockjob_handle_info, bp_options_none, BP_AUTH_READ,
                    bp_blockjob_info_authorized)


static gboolean
bp_blockjob_handle_speed(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                         const char *disk, guint64 bandwidth, GVariant *options,
                         gpointer user_data)
{
    g_object_set_data_full(G_OBJECT(invocation), "bp-bandwidth",
                           g_memdup2(&bandwidth, sizeof(bandwidth)), g_free);
    return bp_daemon_domain_authorize(user_data, invocation, options, disk, bp_options_none,
                                      BP_AUTH_MANAGE, bp_blockjob_speed_authorized);
}


/* ---- leftovers of a previous daemon -------------------------------------------- */

static void
bp_blockjob_reconcile_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpDaemonDomain *dom = data;
    g_autoptr(GError) err = NULL;
    BpDomainDef *new_def = NULL;
    guint changed = 0;

    if (!bp_blockjob_ops_reconcile_finish(result, &changed, &new_def, &err))
        bp_log_domain(G_LOG_LEVEL_WARNING, bp_daemon_domain_get_name(dom),
                      "interrupted block commits not settled: %s", err->message);
    else if (changed)
        bp_log_domain(G_LOG_LEVEL_MESSAGE, bp_daemon_domain_get_name(dom),
                      "settled interrupted block commits (%u changes)", changed);
    if (new_def)
        bp_daemon_domain_set_def(dom, new_def);
    bp_checkpoint_table_sync(bp_daemon_domain_get_checkpoints(dom));
    bp_daemon_domain_op_done(dom);
}


static void
bp_blockjob_reconcile_op(BpDaemonDomain *dom, gpointer data G_GNUC_UNUSED)
{
    g_autoptr(BpBlockAccess) access = NULL;
    g_autoptr(GError) err = NULL;

    if (!(access = bp_daemon_domain_block_access(dom, &err))) {
        bp_log_domain(G_LOG_LEVEL_WARNING, bp_daemon_domain_get_name(dom),
                      "interrupted block commits not settled: %s", err->message);
        bp_daemon_domain_op_done(dom);
        return;
    }
    bp_blockjob_ops_reconcile_async(bp_daemon_domain_get_daemon(dom)->store,
                                    bp_daemon_domain_get_id(dom), access, NULL,
                                    bp_blockjob_reconcile_cb, dom);
}


void
bp_blockjob_queue_reconcile(BpDaemonDomain *dom)
{
    bp_daemon_domain_enqueue(dom, bp_blockjob_reconcile_op, NULL);
}


void
bp_blockjob_connect_domain_methods(BpDaemonDomain *dom, BpDomain *iface)
{
    g_signal_connect(iface, "handle-block-commit", G_CALLBACK(bp_blockjob_handle_commit), dom);
    g_signal_connect(iface, "handle-block-pull", G_CALLBACK(bp_blockjob_handle_pull), dom);
    g_signal_connect(iface, "handle-block-job-abort", G_CALLBACK(bp_blockjob_handle_abort), dom);
    g_signal_connect(iface, "handle-block-job-set-speed",
                     G_CALLBACK(bp_blockjob_handle_speed), dom);
    g_signal_connect(iface, "handle-get-block-job-info", G_CALLBACK(bp_blockjob_handle_info),
                     dom);
}
