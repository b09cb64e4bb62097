/*
 * bp-job-object.c: a running operation's Job object (see the header).
 */
#include <config.h>

#include "bp-daemon.h"
#include "bp-domain-object.h"
#include "bp-job-object.h"

#define BP_JOB_TICK_MS 250


void
bp_job_object_publish(BpJobObject *job, BpDaemonDomain *dom, char *path,
                      const char *operation, const char *const *disks,
                      gint64 start_time, guint32 started_by_uid)
{
    BpDaemon *daemon = bp_daemon_domain_get_daemon(dom);

    job->dom = g_object_ref(dom);
    job->path = path;
    job->object = bp_object_skeleton_new(job->path);
    job->iface = bp_job_skeleton_new();
    bp_job_set_operation(job->iface, operation);
    bp_job_set_domain(job->iface, bp_daemon_domain_get_path(dom));
    bp_job_set_disks(job->iface, disks);
    bp_job_set_state(job->iface, "running");
    bp_job_set_start_time(job->iface, start_time);
    bp_job_set_cancelable(job->iface, TRUE);
    bp_job_set_started_by_uid(job->iface, started_by_uid);
    bp_object_skeleton_set_job(job->object, job->iface);
    g_dbus_object_manager_server_export(daemon->objman, G_DBUS_OBJECT_SKELETON(job->object));
    bp_daemon_domain_add_job(dom, job->path);
}


void
bp_job_object_start_ticks(BpJobObject *job, GSourceFunc tick, gpointer data)
{
    job->last_time = g_get_real_time();
    tick(data);
    job->timer = g_timeout_add(BP_JOB_TICK_MS, tick, data);
}


void
bp_job_object_progress(BpJobObject *job, guint64 processed, guint64 total)
{
    gint64 now = g_get_real_time();
    guint64 rate = 0;

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
}


void
bp_job_object_cancelling(BpJobObject *job)
{
    bp_job_set_state(job->iface, "cancelling");
    bp_job_set_cancelable(job->iface, FALSE);
}


void
bp_job_object_end(BpJobObject *job, const char *state, gboolean success, const char *message)
{
    BpDaemon *daemon = bp_daemon_domain_get_daemon(job->dom);

    g_clear_handle_id(&job->timer, g_source_remove);
    bp_job_set_state(job->iface, state);
    bp_job_set_cancelable(job->iface, FALSE);
    g_dbus_interface_skeleton_flush(G_DBUS_INTERFACE_SKELETON(job->iface));
    bp_job_emit_completed(job->iface, success, message ? message : "");
    g_dbus_object_manager_server_unexport(daemon->objman, job->path);
    bp_daemon_domain_remove_job(job->dom, job->path);
}


void
bp_job_object_complete(BpJobObject *job, const GError *err)
{
    gboolean cancelled = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED);

    bp_job_object_end(job, !err ? "completed" : cancelled ? "cancelled" : "failed",
                      !err, err ? err->message : "");
}


gboolean
bp_job_object_authorize_cancel(BpDaemonDomain *dom, GDBusMethodInvocation *invocation,
                               GVariant *options, const char *arg, guint32 starter_uid,
                               BpMethodFunc func)
{
    static const BpMethodOption none[] = { { NULL, NULL } };
    BpMethodArgs *args;

    args = bp_method_args_new(bp_daemon_domain_get_daemon(dom), invocation, dom, options);
    args->arg = g_strdup(arg);
    args->starter_uid = starter_uid;
    bp_method_authorize(args, none, BP_AUTH_MANAGE, func);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}


void
bp_job_object_clear(BpJobObject *job, gpointer handler_data)
{
    g_clear_handle_id(&job->timer, g_source_remove);
    if (job->iface)
        g_signal_handlers_disconnect_by_data(job->iface, handler_data);
    g_clear_object(&job->iface);
    g_clear_object(&job->object);
    g_clear_pointer(&job->path, g_free);
    g_clear_object(&job->dom);
}
