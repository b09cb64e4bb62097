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
#include "bp-job-object.h"
#include "bp-log.h"
#include "bp-restore-object.h"
#include "jobs/bp-restore.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_DBUS_RESTORE_PATH BP_DBUS_ROOT_PATH "/job/restore_"

typedef struct {
    BpDaemonDomain *dom;        /* a reference */
    BpRestoreOp *op;            /* NULL once ended */
    char *target;
    BpJobObject pub;            /* its Job object */
} BpRestoreJob;

static const BpMethodOption bp_options_restore[] = {
    { "backup", "t" }, { "checkpoint", "s" }, { "format", "s" },
    { "reuse-external", "b" }, { NULL, NULL }
};

/* Restores get their own numbers: their paths must not meet backups'. */
static guint bp_restore_serial;
/* Running restores by object path, for Cancel() after authorisation. */
static GHashTable *bp_restore_jobs;


static void
bp_restore_job_free(BpRestoreJob *job)
{
    if (job->pub.path && bp_restore_jobs)
        g_hash_table_remove(bp_restore_jobs, job->pub.path);
    bp_job_object_clear(&job->pub, job);
    g_free(job->target);
    g_object_unref(job->dom);
    g_free(job);
}


static gboolean
bp_restore_job_tick(gpointer data)
{
    BpRestoreJob *job = data;
    guint64 processed, total;

    if (!job->op)
        return G_SOURCE_CONTINUE;
    bp_restore_op_get_progress(job->op, &processed, &total);
    bp_job_object_progress(&job->pub, processed, total);
    return G_SOURCE_CONTINUE;
}


static void
bp_restore_done_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpRestoreJob *job = data;
    g_autoptr(GError) err = NULL;

    bp_restore_job_tick(job);
    job->op = NULL;
    bp_restore_finish(result, &err);
    bp_log_domain(err ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_MESSAGE,
                  bp_daemon_domain_get_name(job->dom), "restore into %s %s%s", job->target,
                  err ? "failed: " : "completed", err ? err->message : "");
    bp_job_object_complete(&job->pub, err);
    bp_restore_job_free(job);
}


static void
bp_restore_cancel_authorized(BpMethodArgs *args)
{
    const char *path = g_dbus_method_invocation_get_object_path(args->invocation);
    BpRestoreJob *job = bp_restore_jobs ? g_hash_table_lookup(bp_restore_jobs, path) : NULL;

    if (!job || !job->op || !bp_job_get_cancelable(job->pub.iface)) {
        bp_method_fail_literal(args, BP_ERROR_OPERATION_INVALID,
                               _("the restore job cannot be cancelled now"));
        return;
    }
    bp_restore_op_cancel(job->op);
    bp_job_object_cancelling(&job->pub);
    bp_method_return(args, NULL);
}


static gboolean
bp_restore_handle_cancel(BpJob *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                         GVariant *options, gpointer user_data)
{
    BpRestoreJob *job = user_data;

    /* The job may end while polkit decides: the authorised part looks
     * it up again by path. */
    return bp_job_object_authorize_cancel(job->dom, invocation, options, NULL,
                                          bp_job_get_started_by_uid(job->pub.iface),
                                          bp_restore_cancel_authorized);
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

    disks[0] = disk;
    bp_job_object_publish(&job->pub, dom,
                          g_strdup_printf(BP_DBUS_RESTORE_PATH "%u", ++bp_restore_serial),
                          "restore", disks, g_get_real_time(), args->caller_uid);
    if (!bp_restore_jobs)
        bp_restore_jobs = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(bp_restore_jobs, job->pub.path, job);
    g_signal_connect(job->pub.iface, "handle-cancel", G_CALLBACK(bp_restore_handle_cancel),
                     job);
    bp_job_object_start_ticks(&job->pub, bp_restore_job_tick, job);
    bp_log_domain(G_LOG_LEVEL_MESSAGE, bp_daemon_domain_get_name(dom),
                  "restore of disk %s from backup %" G_GINT64_FORMAT " into %s started",
                  disk, plan->backup_id, target);
    bp_method_return(args, g_variant_new("(o)", job->pub.path));
}


static gboolean
bp_restore_handle(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                  const char *disk G_GNUC_UNUSED, const char *target G_GNUC_UNUSED,
                  GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;

    return bp_daemon_domain_authorize(dom, invocation, options, NULL, bp_options_restore,
                                      BP_AUTH_MANAGE, bp_restore_authorized);
}


void
bp_restore_connect_domain_methods(BpDaemonDomain *dom, BpDomain *iface)
{
    g_signal_connect(iface, "handle-restore", G_CALLBACK(bp_restore_handle), dom);
}
