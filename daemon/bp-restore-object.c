/*
 * bp-restore-object.c: Domain.Restore() and the org.blkpoint.Blkpoint1.Job
 * object of a running restore.
 *
 * A restore only reads backup images from the catalogue and writes a new
 * file: it does not need the domain running and does not enter its
 * operation queue, so it may run beside a backup.  The choice of the
 * backup, the chain check and the copy are src/jobs/bp-restore.c; this
 * file is the D-Bus side: options, the Job object (Operation "restore",
 * progress every 250 ms, Cancel()) and its Completed signal.
 */
#include <config.h>

#include "bp-daemon.h"
#include "bp-log.h"
#include "bp-restore-object.h"
#include "jobs/bp-restore.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_DBUS_RESTORE_PATH BP_DBUS_ROOT_PATH "/job/restore_"

typedef struct {
    BpDaemonDomain *dom;        /* a reference */
    BpRestoreOp *op;            /* NULL once ended */
    char *path;
    char *target;
    BpObjectSkeleton *object;
    BpJob *iface;
    guint timer;
    guint64 last_bytes;
    gint64 last_time;
} BpRestoreJob;

static const BpMethodOption bp_options_restore[] = {
    { "backup", "t" }, { "checkpoint", "s" }, { "format", "s" },
    { "reuse-external", "b" }, { NULL, NULL }
};
static const BpMethodOption bp_options_none[] = { { NULL, NULL } };

/* Restores get their own numbers: their paths must not meet backups'. */
static guint bp_restore_serial;
/* Running restores by object path, for Cancel() after authorisation. */
static GHashTable *bp_restore_jobs;


static void
bp_restore_job_free(BpRestoreJob *job)
{
    if (job->path && bp_restore_jobs)
        g_hash_table_remove(bp_restore_jobs, job->path);
    if (job->timer)
        g_source_remove(job->timer);
    if (job->iface)
        g_signal_handlers_disconnect_by_data(job->iface, job);
    g_clear_object(&job->iface);
    g_clear_object(&job->object);
    g_free(job->path);
    g_free(job->target);
    g_object_unref(job->dom);
    g_free(job);
}


static gboolean
bp_restore_job_tick(gpointer data)
{
    BpRestoreJob *job = data;
    gint64 now = g_get_real_time();
    guint64 processed, total, rate = 0;

    if (!job->op)
        return G_SOURCE_CONTINUE;
    bp_restore_op_get_progress(job->op, &processed, &total);
    if (now > job->last_time && processed >= job->last_bytes)
        rate = (processed - job->last_bytes) * G_USEC_PER_SEC / (now - job->last_time);
    job->last_bytes = processed;
    job->last_time = now;
    bp_job_set_bytes_processed(job->iface, processed);
    bp_job_set_bytes_total(job->iface, total);
    bp_job_set_rate(job->iface, rate);
    bp_job_set_expected_end_time(job->iface, rate && total > processed ?
                                 now + (gint64) ((total - processed) * G_USEC_PER_SEC / rate)
                                 : 0);
    return G_SOURCE_CONTINUE;
}


static void
bp_restore_done_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpRestoreJob *job = data;
    BpDaemon *daemon = bp_daemon_domain_get_daemon(job->dom);
    g_autoptr(GError) err = NULL;
    gboolean cancelled;

    bp_restore_job_tick(job);
    job->op = NULL;
    bp_restore_finish(result, &err);
    cancelled = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    bp_log_domain(err ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_MESSAGE,
                  bp_daemon_domain_get_name(job->dom), "restore into %s %s%s", job->target,
                  err ? "failed: " : "completed", err ? err->message : "");
    bp_job_set_state(job->iface, !err ? "completed" : cancelled ? "cancelled" : "failed");
    bp_job_set_cancelable(job->iface, FALSE);
    g_dbus_interface_skeleton_flush(G_DBUS_INTERFACE_SKELETON(job->iface));
    bp_job_emit_completed(job->iface, !err, err ? err->message : "");
    g_dbus_object_manager_server_unexport(daemon->objman, job->path);
    bp_restore_job_free(job);
}


static void
bp_restore_cancel_authorized(BpMethodArgs *args)
{
    const char *path = g_dbus_method_invocation_get_object_path(args->invocation);
    BpRestoreJob *job = bp_restore_jobs ? g_hash_table_lookup(bp_restore_jobs, path) : NULL;

    if (!job || !job->op || !bp_job_get_cancelable(job->iface)) {
        bp_method_fail_literal(args, BP_ERROR_OPERATION_INVALID,
                               _("the restore job cannot be cancelled now"));
        return;
    }
    bp_restore_op_cancel(job->op);
    bp_job_set_state(job->iface, "cancelling");
    bp_job_set_cancelable(job->iface, FALSE);
    bp_method_return(args, NULL);
}


static gboolean
bp_restore_handle_cancel(BpJob *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                         GVariant *options, gpointer user_data)
{
    BpRestoreJob *job = user_data;

    /* The job may end while polkit decides: the authorised part looks
     * it up again by path. */
    bp_method_authorize(bp_method_args_new(bp_daemon_domain_get_daemon(job->dom), invocation,
                                           job->dom, options),
                        bp_options_none, BP_AUTH_MANAGE, bp_restore_cancel_authorized);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}


static void
bp_restore_authorized(BpMethodArgs *args)
{
    BpDaemonDomain *dom = BP_DAEMON_DOMAIN(args->target);
    BpDaemon *daemon = bp_daemon_domain_get_daemon(dom);
    BpQemuRuntimeConfig config = { 0 };
    g_autoptr(BpRestorePlan) plan = NULL;
    g_autoptr(GError) err = NULL;
    const char *disk, *target;
    const char *checkpoint = NULL, *format = NULL;
    const char *disks[] = { NULL, NULL };
    guint64 backup_id = 0;
    BpRestoreJob *job;

    g_variant_get(g_dbus_method_invocation_get_parameters(args->invocation), "(&s&s@a{sv})",
                  &disk, &target, NULL);
    g_variant_lookup(args->options, "backup", "t", &backup_id);
    g_variant_lookup(args->options, "checkpoint", "&s", &checkpoint);
    g_variant_lookup(args->options, "format", "&s", &format);
    if (backup_id && checkpoint) {
        bp_method_fail_literal(args, BP_ERROR_INVALID_ARGUMENT,
                               _("options 'backup' and 'checkpoint' exclude each other"));
        return;
    }
    if (!(plan = bp_restore_plan_new(daemon->store, bp_daemon_domain_get_id(dom), disk,
                                     (gint64) MIN(backup_id, (guint64) G_MAXINT64),
                                     checkpoint, &err))) {
        bp_method_fail(args, err);
        return;
    }

    job = g_new0(BpRestoreJob, 1);
    job->dom = g_object_ref(dom);
    job->target = g_strdup(target);
    config.qemu_img_path = daemon->config->qemu_img;
    job->op = bp_restore_start(&config, plan, target, format,
                               bp_method_option_bool(args, "reuse-external")
                               ? BP_RESTORE_REUSE_EXTERNAL : 0,
                               bp_restore_done_cb, job, &err);
    if (!job->op) {
        bp_restore_job_free(job);
        bp_method_fail(args, err);
        return;
    }

    job->path = g_strdup_printf(BP_DBUS_RESTORE_PATH "%u", ++bp_restore_serial);
    if (!bp_restore_jobs)
        bp_restore_jobs = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(bp_restore_jobs, job->path, job);
    job->object = bp_object_skeleton_new(job->path);
    job->iface = bp_job_skeleton_new();
    disks[0] = disk;
    bp_job_set_operation(job->iface, "restore");
    bp_job_set_domain(job->iface, bp_daemon_domain_get_path(dom));
    bp_job_set_disks(job->iface, disks);
    bp_job_set_state(job->iface, "running");
    bp_job_set_start_time(job->iface, g_get_real_time());
    bp_job_set_cancelable(job->iface, TRUE);
    g_signal_connect(job->iface, "handle-cancel", G_CALLBACK(bp_restore_handle_cancel), job);
    bp_object_skeleton_set_job(job->object, job->iface);
    g_dbus_object_manager_server_export(daemon->objman, G_DBUS_OBJECT_SKELETON(job->object));
    job->last_time = g_get_real_time();
    bp_restore_job_tick(job);
    job->timer = g_timeout_add(250, bp_restore_job_tick, job);
    bp_log_domain(G_LOG_LEVEL_MESSAGE, bp_daemon_domain_get_name(dom),
                  "restore of disk %s from backup %" G_GINT64_FORMAT " into %s started",
                  disk, plan->backup_id, target);
    bp_method_return(args, g_variant_new("(o)", job->path));
}


static gboolean
bp_restore_handle(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                  const char *disk G_GNUC_UNUSED, const char *target G_GNUC_UNUSED,
                  GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;

    bp_method_authorize(bp_method_args_new(bp_daemon_domain_get_daemon(dom), invocation,
                                           dom, options),
                        bp_options_restore, BP_AUTH_MANAGE, bp_restore_authorized);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}


void
bp_restore_connect_domain_methods(BpDaemonDomain *dom, BpDomain *iface)
{
    g_signal_connect(iface, "handle-restore", G_CALLBACK(bp_restore_handle), dom);
}
