/*
 * bp-backup-object.c: the backup methods of org.blkpoint.Blkpoint1.Domain
 * (BackupBegin, BackupGetXMLDesc, GetJobInfo, AbortJob, ListBackups) and
 * the org.blkpoint.Blkpoint1.Job object of a running backup.
 *
 * BackupBegin runs in the domain's operation queue until the copies have
 * started (or it failed): the caller hears the errors libvirt reports
 * synchronously (a bad document, an invalid bitmap chain, an existing
 * target).  The queue is then free again while the copies run; a second
 * BackupBegin is refused at once by src/jobs (Busy).  A pull backup
 * answers BackupBegin once its exports serve, and ends with Job.Finish()
 * (completed) or AbortJob()/Job.Cancel() (cancelled).
 */
#include <config.h>

#include "bp-backup-object.h"
#include "bp-daemon.h"
#include "bp-job-object.h"
#include "bp-log.h"
#include "jobs/bp-backup-ops.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_DBUS_JOB_PATH BP_DBUS_ROOT_PATH "/job"
#define BP_BACKUP_KEY "bp-backup-job"
#define BP_BACKUP_COMPLETED_KEY "bp-backup-completed"

/* A backup of one domain, from BackupBegin until it ended. */
typedef struct {
    BpDaemonDomain *dom;        /* a reference */
    BpMethodArgs *args;         /* BackupBegin, until answered */
    BpBackupOp *op;             /* NULL once ended */
    BpJobObject pub;            /* its Job object, once started */
} BpBackupJob;

static const BpMethodOption bp_options_begin[] = {
    { "reuse-external", "b" }, { "fallback-full", "b" }, { NULL, NULL }
};
static const BpMethodOption bp_options_none[] = { { NULL, NULL } };
static const BpMethodOption bp_options_finish[] = {
    { "outputs", "a{ss}" }, { "disks", "as" }, { "bytes", "a{st}" }, { NULL, NULL }
};
static const BpMethodOption bp_options_job_info[] = {
    { "completed", "b" }, { "keep-completed", "b" }, { NULL, NULL }
};


static void
bp_backup_job_free(BpBackupJob *job)
{
    bp_job_object_clear(&job->pub, job);
    g_object_unref(job->dom);
    g_free(job);
}


static BpBackupJob *
bp_backup_job_get(BpDaemonDomain *dom)
{
    return g_object_get_data(G_OBJECT(dom), BP_BACKUP_KEY);
}


/* libvirt's domjobinfo fields of the running job. */
static GVariant *
bp_backup_job_info(BpBackupJob *job)
{
    GVariantBuilder b;
    BpBackupProgress p;

    bp_backup_op_get_progress(job->op, &p);
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", "type", g_variant_new_string("unbounded"));
    g_variant_builder_add(&b, "{sv}", "operation", g_variant_new_string("backup"));
    if (job->pub.path)
        g_variant_builder_add(&b, "{sv}", "job", g_variant_new_object_path(job->pub.path));
    g_variant_builder_add(&b, "{sv}", "time_elapsed",
                          g_variant_new_uint64((g_get_real_time() - p.start_time) / 1000));
    if (p.total && bp_backup_op_is_pull(job->op)) {
        /* The fleecing jobs' progress: what copy-before-write saved. */
        g_variant_builder_add(&b, "{sv}", "disk_temp_used", g_variant_new_uint64(p.processed));
        g_variant_builder_add(&b, "{sv}", "disk_temp_total", g_variant_new_uint64(p.total));
    } else if (p.total) {
        g_variant_builder_add(&b, "{sv}", "disk_total", g_variant_new_uint64(p.total));
        g_variant_builder_add(&b, "{sv}", "disk_processed", g_variant_new_uint64(p.processed));
        g_variant_builder_add(&b, "{sv}", "disk_remaining",
                              g_variant_new_uint64(p.total - MIN(p.processed, p.total)));
    }
    return g_variant_builder_end(&b);
}


static gboolean
bp_backup_job_tick(gpointer data)
{
    BpBackupJob *job = data;
    BpBackupProgress p;

    bp_backup_op_get_progress(job->op, &p);
    bp_job_object_progress(&job->pub, p.processed, p.total);
    return G_SOURCE_CONTINUE;
}


static void
bp_backup_job_cancel(BpBackupJob *job)
{
    bp_backup_op_cancel(job->op);
    bp_job_object_cancelling(&job->pub);
}


static void
bp_backup_cancel_authorized(BpMethodArgs *args)
{
    BpBackupJob *job = bp_backup_job_get(BP_DAEMON_DOMAIN(args->target));

    if (!job || !job->op || !job->pub.iface || !bp_job_get_cancelable(job->pub.iface)) {
        bp_method_fail_literal(args, BP_ERROR_OPERATION_INVALID,
                               _("the backup job cannot be cancelled now"));
        return;
    }
    bp_backup_job_cancel(job);
    bp_method_return(args, NULL);
}


static gboolean
bp_backup_handle_cancel(BpJob *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                        GVariant *options, gpointer user_data)
{
    BpBackupJob *job = user_data;

    return bp_job_object_authorize_cancel(job->dom, invocation, options, NULL,
                                          bp_job_get_started_by_uid(job->pub.iface),
                                          bp_backup_cancel_authorized);
}


static void
bp_backup_finish_authorized(BpMethodArgs *args)
{
    BpBackupJob *job = bp_backup_job_get(BP_DAEMON_DOMAIN(args->target));
    g_autoptr(GHashTable) outputs = NULL;
    g_autoptr(GVariant) out = NULL;
    g_autofree const char **disks = NULL;
    g_autoptr(GError) err = NULL;
    GVariantIter iter;
    const char *disk, *file;

    if (!job || !job->op || job->args) {
        bp_method_fail_literal(args, BP_ERROR_OPERATION_INVALID,
                               _("the backup job has ended"));
        return;
    }
    if ((out = g_variant_lookup_value(args->options, "outputs", G_VARIANT_TYPE("a{ss}")))) {
        outputs = g_hash_table_new(g_str_hash, g_str_equal);
        g_variant_iter_init(&iter, out);
        while (g_variant_iter_next(&iter, "{&s&s}", &disk, &file))
            g_hash_table_insert(outputs, (gpointer) disk, (gpointer) file);
    }
    g_variant_lookup(args->options, "disks", "^a&s", &disks);
    if ((out = g_variant_lookup_value(args->options, "bytes", G_VARIANT_TYPE("a{st}")))) {
        guint64 bytes;

        g_variant_iter_init(&iter, out);
        while (g_variant_iter_next(&iter, "{&st}", &disk, &bytes)) {
            if (!bp_backup_op_set_consumer_bytes(job->op, disk, bytes, &err)) {
                bp_method_fail(args, err);
                return;
            }
        }
    }
    if (!bp_backup_op_finish(job->op, outputs, disks, &err)) {
        bp_method_fail(args, err);
        return;
    }
    bp_method_return(args, NULL);
}


static gboolean
bp_backup_handle_finish(BpJob *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                        GVariant *options, gpointer user_data)
{
    BpBackupJob *job = user_data;

    return bp_daemon_domain_authorize(job->dom, invocation, options, NULL, bp_options_finish,
                                      BP_AUTH_MANAGE, bp_backup_finish_authorized);
}


/* The copies run (push) or the exports serve (pull): the job object
 * appears and BackupBegin is answered. */
static void
bp_backup_started(BpBackupOp *op, gpointer data)
{
    BpBackupJob *job = data;
    BpBackupProgress p;
    g_auto(GStrv) disks = bp_backup_op_get_disks(op);
    BpMethodArgs *args = g_steal_pointer(&job->args);

    bp_backup_op_get_progress(op, &p);
    /* A new job: the record of the previous one goes, as in libvirt. */
    g_object_set_data(G_OBJECT(job->dom), BP_BACKUP_COMPLETED_KEY, NULL);
    bp_job_object_publish(&job->pub, job->dom,
                          g_strdup_printf(BP_DBUS_JOB_PATH "/%" G_GINT64_FORMAT, p.backup_id),
                          bp_backup_op_is_pull(op) ? "backup-pull" : "backup-push",
                          (const char *const *) disks, p.start_time, args->caller_uid);
    g_signal_connect(job->pub.iface, "handle-cancel", G_CALLBACK(bp_backup_handle_cancel), job);
    g_signal_connect(job->pub.iface, "handle-finish", G_CALLBACK(bp_backup_handle_finish), job);
    bp_job_object_start_ticks(&job->pub, bp_backup_job_tick, job);
    bp_log_domain(G_LOG_LEVEL_MESSAGE, bp_daemon_domain_get_name(job->dom),
                  "backup %" G_GINT64_FORMAT " started", p.backup_id);
    bp_method_return(args, g_variant_new("(o)", job->pub.path));
    bp_daemon_domain_op_done(job->dom);
}


static void
bp_backup_done_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpBackupJob *job = data;
    BpDaemonDomain *dom = job->dom;
    g_autoptr(GError) err = NULL;
    GVariantBuilder b;
    gint64 id;
    BpBackupProgress p = { 0 };
    g_auto(GStrv) fallback = NULL;
    gboolean cancelled;
    gboolean pull = FALSE;

    if (job->op) {
        pull = bp_backup_op_is_pull(job->op);
        bp_backup_op_get_progress(job->op, &p);
        fallback = bp_backup_op_get_fallback_disks(job->op);
        if (job->pub.iface)
            bp_backup_job_tick(job);
    }
    g_clear_handle_id(&job->pub.timer, g_source_remove);
    id = bp_backup_ops_begin_finish(result, &err);
    job->op = NULL;
    cancelled = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    bp_checkpoint_table_sync(bp_daemon_domain_get_checkpoints(dom));
    if (job->args) {
        /* It never started: the caller hears why. */
        BpMethodArgs *args = g_steal_pointer(&job->args);

        g_object_steal_data(G_OBJECT(dom), BP_BACKUP_KEY);
        bp_method_fail(args, err);
        bp_daemon_domain_op_done(dom);
        bp_backup_job_free(job);
        return;
    }
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", "type",
                          g_variant_new_string(!err ? "completed" :
                                               cancelled ? "cancelled" : "failed"));
    g_variant_builder_add(&b, "{sv}", "operation", g_variant_new_string("backup"));
    g_variant_builder_add(&b, "{sv}", "time_elapsed",
                          g_variant_new_uint64((g_get_real_time() - p.start_time) / 1000));
    if (p.total && pull) {
        g_variant_builder_add(&b, "{sv}", "disk_temp_used", g_variant_new_uint64(p.processed));
        g_variant_builder_add(&b, "{sv}", "disk_temp_total", g_variant_new_uint64(p.total));
    } else if (p.total) {
        g_variant_builder_add(&b, "{sv}", "disk_total", g_variant_new_uint64(p.total));
        g_variant_builder_add(&b, "{sv}", "disk_processed", g_variant_new_uint64(p.processed));
        g_variant_builder_add(&b, "{sv}", "disk_remaining",
                              g_variant_new_uint64(p.total - MIN(p.processed, p.total)));
    }
    g_variant_builder_add(&b, "{sv}", "success", g_variant_new_boolean(!err));
    if (fallback && fallback[0])
        g_variant_builder_add(&b, "{sv}", "fallback_full",
                              g_variant_new_strv((const char *const *) fallback, -1));
    if (err)
        g_variant_builder_add(&b, "{sv}", "errmsg", g_variant_new_string(err->message));
    g_object_set_data_full(G_OBJECT(dom), BP_BACKUP_COMPLETED_KEY,
                           g_variant_ref_sink(g_variant_builder_end(&b)),
                           (GDestroyNotify) g_variant_unref);
    bp_log_domain(err ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_MESSAGE,
                  bp_daemon_domain_get_name(dom), "backup %" G_GINT64_FORMAT " %s%s%s",
                  id > 0 ? id : p.backup_id, err ? "failed: " : "completed",
                  err ? err->message : "", "");
    bp_job_object_complete(&job->pub, err);
    g_object_steal_data(G_OBJECT(dom), BP_BACKUP_KEY);
    bp_backup_job_free(job);
}


static void
bp_backup_begin_op(BpDaemonDomain *dom, gpointer data)
{
    BpMethodArgs *args = data;
    g_autoptr(BpBlockAccess) access = NULL;
    g_autoptr(GError) err = NULL;
    BpBackupJob *job;
    unsigned int flags = 0;
    g_autofree char *backup_xml = NULL;
    g_autofree char *checkpoint_xml = NULL;
    char **xmls;

    if (!bp_daemon_domain_check_present(dom, args))
        return;
    xmls = g_object_get_data(G_OBJECT(args->invocation), BP_BACKUP_KEY);
    backup_xml = g_strdup(xmls[0]);
    checkpoint_xml = g_strdup(xmls[1]);
    if (!(access = bp_daemon_domain_op_access(dom, args)))
        return;
    if (bp_backup_job_get(dom)) {
        err = g_error_new(BP_ERROR, BP_ERROR_BUSY, _("domain '%s' already has a backup job"),
                          bp_daemon_domain_get_name(dom));
        bp_method_fail(args, err);
        bp_daemon_domain_op_done(dom);
        return;
    }
    if (bp_method_option_bool(args, "reuse-external"))
        flags |= BP_BACKUP_BEGIN_REUSE_EXTERNAL;
    if (bp_method_option_bool(args, "fallback-full"))
        flags |= BP_BACKUP_BEGIN_FALLBACK_FULL;
    job = g_new0(BpBackupJob, 1);
    job->dom = g_object_ref(dom);
    job->args = args;
    g_object_set_data(G_OBJECT(dom), BP_BACKUP_KEY, job);
    job->op = bp_backup_ops_begin_async(bp_daemon_domain_get_daemon(dom)->store,
                                        bp_daemon_domain_get_id(dom), access,
                                        backup_xml, checkpoint_xml, flags,
                                        g_get_real_time() / G_USEC_PER_SEC, NULL,
                                        bp_backup_done_cb, job);
    if (job->op)
        bp_backup_op_set_started_func(job->op, bp_backup_started, job);
}


static void
bp_backup_begin_authorized(BpMethodArgs *args)
{
    bp_daemon_domain_enqueue(BP_DAEMON_DOMAIN(args->target), bp_backup_begin_op, args);
}


static gboolean
bp_backup_handle_begin(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                       const char *backup_xml, const char *checkpoint_xml,
                       GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;
    char **xmls = g_new0(char *, 3);

    xmls[0] = g_strdup(backup_xml);
    xmls[1] = g_strdup(checkpoint_xml);
    g_object_set_data_full(G_OBJECT(invocation), BP_BACKUP_KEY, xmls,
                           (GDestroyNotify) g_strfreev);
    return bp_daemon_domain_authorize(dom, invocation, options, NULL, bp_options_begin,
                                      BP_AUTH_MANAGE, bp_backup_begin_authorized);
}


/* ---- the reading methods and AbortJob ---------------------------------------------- */

static void
bp_backup_get_xml_authorized(BpMethodArgs *args)
{
    BpBackupJob *job = bp_backup_job_get(BP_DAEMON_DOMAIN(args->target));
    g_autofree char *xml = NULL;

    if (!job || !job->op || job->args) {
        bp_method_fail_literal(args, BP_ERROR_NO_BACKUP,
                               _("no backup is running on this domain"));
        return;
    }
    xml = bp_backup_op_get_xml(job->op);
    bp_method_return(args, g_variant_new("(s)", xml));
}


static void
bp_backup_job_info_authorized(BpMethodArgs *args)
{
    BpDaemonDomain *dom = BP_DAEMON_DOMAIN(args->target);
    BpBackupJob *job = bp_backup_job_get(dom);
    gboolean completed = bp_method_option_bool(args, "completed");
    gboolean keep = bp_method_option_bool(args, "keep-completed");
    GVariant *info;

    if (keep && !completed) {
        bp_method_fail_literal(args, BP_ERROR_INVALID_ARGUMENT,
                               _("option 'keep-completed' requires 'completed'"));
        return;
    }
    if (completed) {
        info = g_object_get_data(G_OBJECT(dom), BP_BACKUP_COMPLETED_KEY);
        if (info) {
            info = g_variant_ref(info);
            if (!keep)
                g_object_set_data(G_OBJECT(dom), BP_BACKUP_COMPLETED_KEY, NULL);
            bp_method_return(args, g_variant_new("(@a{sv})", info));
            g_variant_unref(info);
            return;
        }
    } else if (job && job->op && !job->args) {
        bp_method_return(args, g_variant_new("(@a{sv})", bp_backup_job_info(job)));
        return;
    }
    {
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "type", g_variant_new_string("none"));
        bp_method_return(args, g_variant_new("(a{sv})", &b));
    }
}


static void
bp_backup_abort_authorized(BpMethodArgs *args)
{
    BpBackupJob *job = bp_backup_job_get(BP_DAEMON_DOMAIN(args->target));

    if (!job || !job->op || job->args || !bp_job_get_cancelable(job->pub.iface)) {
        bp_method_fail_literal(args, BP_ERROR_OPERATION_INVALID,
                               _("no backup job to abort on this domain"));
        return;
    }
    bp_backup_job_cancel(job);
    bp_method_return(args, NULL);
}


static void
bp_backup_list_authorized(BpMethodArgs *args)
{
    BpDaemonDomain *dom = BP_DAEMON_DOMAIN(args->target);
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) list = NULL;
    GVariantBuilder all;

    if (!(list = bp_store_backup_list(bp_daemon_domain_get_daemon(dom)->store,
                                      bp_daemon_domain_get_id(dom), &err))) {
        bp_method_fail(args, err);
        return;
    }
    g_variant_builder_init(&all, G_VARIANT_TYPE("aa{sv}"));
    for (guint i = 0; i < list->len; i++) {
        BpStoreBackup *bk = list->pdata[i];
        GVariantBuilder one, disks, disk_bytes, results;

        g_variant_builder_init(&one, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_init(&disks, G_VARIANT_TYPE("a(sss)"));
        g_variant_builder_init(&disk_bytes, G_VARIANT_TYPE("a(stt)"));
        g_variant_builder_init(&results, G_VARIANT_TYPE("aa{sv}"));
        for (guint j = 0; j < bk->disks->len; j++) {
            BpStoreBackupDisk *d = bk->disks->pdata[j];
            GVariantBuilder r;

            g_variant_builder_add(&disks, "(sss)", d->target, d->path ? d->path : "",
                                  d->format ? d->format : "");
            g_variant_builder_add(&disk_bytes, "(stt)", d->target, d->bytes,
                                  d->bytes_total);
            g_variant_builder_init(&r, G_VARIANT_TYPE("a{sv}"));
            g_variant_builder_add(&r, "{sv}", "target", g_variant_new_string(d->target));
            g_variant_builder_add(&r, "{sv}", "kind",
                                  g_variant_new_string(bp_store_backup_kind_to_string(d->kind)));
            if (d->error)
                g_variant_builder_add(&r, "{sv}", "error", g_variant_new_string(d->error));
            g_variant_builder_add(&results, "a{sv}", &r);
        }
        g_variant_builder_add(&one, "{sv}", "id", g_variant_new_uint64(bk->id));
        g_variant_builder_add(&one, "{sv}", "mode",
                              g_variant_new_string(bp_store_backup_mode_to_string(bk->mode)));
        g_variant_builder_add(&one, "{sv}", "kind",
                              g_variant_new_string(bp_store_backup_kind_to_string(bk->kind)));
        g_variant_builder_add(&one, "{sv}", "status",
                              g_variant_new_string(bp_store_backup_status_to_string(bk->status)));
        g_variant_builder_add(&one, "{sv}", "incremental",
                              g_variant_new_string(bk->from_checkpoint ? bk->from_checkpoint : ""));
        g_variant_builder_add(&one, "{sv}", "checkpoint",
                              g_variant_new_string(bk->checkpoint ? bk->checkpoint : ""));
        g_variant_builder_add(&one, "{sv}", "previous", g_variant_new_uint64(bk->previous_id));
        g_variant_builder_add(&one, "{sv}", "start_time", g_variant_new_uint64(bk->start_time));
        g_variant_builder_add(&one, "{sv}", "end_time", g_variant_new_uint64(bk->end_time));
        g_variant_builder_add(&one, "{sv}", "bytes", g_variant_new_uint64(bk->bytes));
        g_variant_builder_add(&one, "{sv}", "bytes_total", g_variant_new_uint64(bk->bytes_total));
        g_variant_builder_add(&one, "{sv}", "disks", g_variant_builder_end(&disks));
        g_variant_builder_add(&one, "{sv}", "disk_bytes", g_variant_builder_end(&disk_bytes));
        g_variant_builder_add(&one, "{sv}", "disk_results", g_variant_builder_end(&results));
        if (bk->error)
            g_variant_builder_add(&one, "{sv}", "errmsg", g_variant_new_string(bk->error));
        g_variant_builder_add(&all, "a{sv}", &one);
    }
    bp_method_return(args, g_variant_new("(aa{sv})", &all));
}


#define BP_BACKUP_HANDLER(fn, opts, action, authorized) \
    static gboolean \
    fn(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation, \
       GVariant *options, gpointer user_data) \
    { \
        return bp_daemon_domain_authorize(user_data, invocation, options, NULL, opts, \
                                          action, authorized); \
    }

BP_BACKUP_HANDLER(bp_backup_handle_get_xml, bp_options_none, BP_AUTH_READ,
                  bp_backup_get_xml_authorized)
BP_BACKUP_HANDLER(bp_backup_handle_abort, bp_options_none, BP_AUTH_MANAGE,
                  bp_backup_abort_authorized)
BP_BACKUP_HANDLER(bp_backup_handle_list, bp_options_none, BP_AUTH_READ,
                  bp_backup_list_authorized)


static gboolean
bp_backup_handle_job_info(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                          GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;
    gboolean completed = FALSE, keep = FALSE;

    /* Reading the completed record discards it, which needs manage. */
    g_variant_lookup(options, "completed", "b", &completed);
    g_variant_lookup(options, "keep-completed", "b", &keep);
    return bp_daemon_domain_authorize(dom, invocation, options, NULL, bp_options_job_info,
                                      completed && !keep ? BP_AUTH_MANAGE : BP_AUTH_READ,
                                      bp_backup_job_info_authorized);
}


void
bp_backup_connect_domain_methods(BpDaemonDomain *dom, BpDomain *iface)
{
    g_signal_connect(iface, "handle-backup-begin", G_CALLBACK(bp_backup_handle_begin), dom);
    g_signal_connect(iface, "handle-backup-get-xml-desc",
                     G_CALLBACK(bp_backup_handle_get_xml), dom);
    g_signal_connect(iface, "handle-get-job-info", G_CALLBACK(bp_backup_handle_job_info), dom);
    g_signal_connect(iface, "handle-abort-job", G_CALLBACK(bp_backup_handle_abort), dom);
    g_signal_connect(iface, "handle-list-backups", G_CALLBACK(bp_backup_handle_list), dom);
}
