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

#include "dbus/bp-dbus-generated.h"

G_BEGIN_DECLS

typedef struct _BpDaemon BpDaemon;

typedef struct {
    char *path;                 /* NULL until published */
    BpObjectSkeleton *object;
    BpJob *iface;
    guint timer;                /* the progress ticks */
    guint64 last_bytes;         /* for the rate */
    gint64 last_time;
} BpJobObject;

/*
 * Exports the Job object @path (taken) on @daemon's object manager: the
 * @operation ("backup-push", "restore", ...) of the domain at
 * @domain_path on @disks (NULL-terminated), State "running", Cancelable,
 * StartTime @start_time (µs since the epoch).  Handlers are connected by
 * the caller on @job->iface.  Then calls @tick (with @data) at once and
 * every 250 ms until bp_job_object_complete() or _clear(); @tick should
 * call bp_job_object_progress() and return G_SOURCE_CONTINUE.
 */
void bp_job_object_publish(BpJobObject *job, BpDaemon *daemon, char *path,
                           const char *operation, const char *domain_path,
                           const char *const *disks, gint64 start_time);
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
 * Cancelable false, flushes, emits Completed(success, message) and
 * unexports the object.  The members stay until bp_job_object_clear().
 */
void bp_job_object_complete(BpJobObject *job, BpDaemon *daemon, const GError *err);

/* Stops the ticks, disconnects the handlers whose data is
 * @handler_data, and frees the members (not @job itself). */
void bp_job_object_clear(BpJobObject *job, gpointer handler_data);

G_END_DECLS
