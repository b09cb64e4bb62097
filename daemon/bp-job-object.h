/*
 * bp-job-object.h: the org.blkpoint.Blkpoint1.Job object of a running
 * operation (a backup, a restore): published while it runs, with its
 * progress refreshed four times a second, and withdrawn once it ended,
 * after its final State and the Completed signal.
 *
 * The operation's own record embeds a BpJobObject (zeroed before
 * publishing) and owns it: bp_job_object_clear() when the record goes.
 */
#pragma once

#include <gio/gio.h>

#include "bp-method.h"
#include "dbus/bp-dbus-generated.h"

G_BEGIN_DECLS

typedef struct _BpDaemonDomain BpDaemonDomain;

typedef struct {
    BpDaemonDomain *dom;        /* a reference, once published */
    char *path;                 /* NULL until published */
    BpObjectSkeleton *object;
    BpJob *iface;
    guint timer;                /* the progress ticks */
    guint64 last_bytes;         /* for the rate */
    gint64 last_time;
} BpJobObject;

/*
 * Exports the Job object @path (taken) on the daemon's object manager:
 * the @operation ("backup-push", "restore", ...) of @dom on @disks
 * (NULL-terminated), State "running", Cancelable, StartTime @start_time
 * (µs since the epoch), StartedByUID @started_by_uid; and adds it to the
 * domain's Jobs.  Handlers are connected by the caller on @job->iface.
 * bp_job_object_start_ticks() then calls @tick (with @data) at once and
 * every 250 ms until bp_job_object_complete() or _clear(); @tick should
 * call bp_job_object_progress() and return G_SOURCE_CONTINUE.
 */
void bp_job_object_publish(BpJobObject *job, BpDaemonDomain *dom, char *path,
                           const char *operation, const char *const *disks,
                           gint64 start_time, guint32 started_by_uid);
void bp_job_object_start_ticks(BpJobObject *job, GSourceFunc tick, gpointer data);

/* Sets BytesProcessed and BytesTotal, and Rate and ExpectedEndTime from
 * what was processed since the previous call. */
void bp_job_object_progress(BpJobObject *job, guint64 processed, guint64 total);

/* Marks State "cancelling" and no longer Cancelable (the caller has
 * asked the operation to stop). */
void bp_job_object_cancelling(BpJobObject *job);

/*
 * The operation ended (successfully when @err is NULL): stops the ticks,
 * sets State (completed, cancelled for G_IO_ERROR_CANCELLED, failed) and
 * Cancelable false, flushes, emits Completed(success, message), unexports
 * the object and removes it from the domain's Jobs.  The members stay
 * until bp_job_object_clear().
 */
void bp_job_object_complete(BpJobObject *job, const GError *err);

/* bp_job_object_complete() with the final @state and the Completed
 * arguments given (a block commit abandoned on request ends "cancelled"
 * yet successful). */
void bp_job_object_end(BpJobObject *job, const char *state, gboolean success,
                       const char *message);

/*
 * The body of a Job's "handle-cancel" handler: authorises the call on
 * @dom for org.blkpoint.manage, or org.blkpoint.read when the caller is
 * @starter_uid (the job's StartedByUID), with only the common options,
 * then calls @func with @arg (copied; may be NULL) as args->arg.  Returns
 * G_DBUS_METHOD_INVOCATION_HANDLED.
 */
gboolean bp_job_object_authorize_cancel(BpDaemonDomain *dom,
                                        GDBusMethodInvocation *invocation,
                                        GVariant *options, const char *arg,
                                        guint32 starter_uid,
                                        BpMethodFunc func);

/* Stops the ticks, disconnects the handlers whose data is
 * @handler_data, and frees the members (not @job itself). */
void bp_job_object_clear(BpJobObject *job, gpointer handler_data);

G_END_DECLS
