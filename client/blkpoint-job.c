/*
 * blkpoint-job.c: waiting for an org.blkpoint.Blkpoint1.Job object to end
 * (backup-begin --wait, restore), with the progress display and SIGINT
 * turned into Job.Cancel().
 *
 * The Completed signal is subscribed to before the job is created: the
 * daemon answers the creating call before it can emit Completed, and the
 * bus keeps the order, so the signal is never missed.  A job whose object
 * disappears without Completed (the daemon went away) fails the wait.
 * Completed ends the wait as it arrives; the poll every BP_JOB_POLL_MS
 * only updates the progress and notices a vanished job.
 *
 * SIGINT is caught from the watch on too: a ^C while the creating call
 * runs, before the wait began, cancels the job as soon as it is known
 * instead of killing the client and leaving the job running unwatched.
 */
#include <config.h>

#include <signal.h>

#include <glib-unix.h>

#include "blkpoint-backup.h"
#include "blkpoint-progress.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_JOB_POLL_MS 250

typedef struct {
    char *path;
    gboolean success;
    char *message;
} BpJobEnd;

typedef struct _BpJobWait BpJobWait;

struct _BpJobWatch {
    BpCtl *ctl;
    guint sub;
    GList *ended;        /* BpJobEnd*: Completed signals received */
    guint sigint_id;
    gboolean interrupted; /* SIGINT came before the wait began */
    BpJobWait *wait;     /* the wait running, if any */
};


static void bp_job_wait_interrupt(BpJobWait *w);
static void bp_job_wait_seen(BpJobWait *w, const char *path);


static void
bp_job_end_free(gpointer data)
{
    BpJobEnd *end = data;

    g_free(end->path);
    g_free(end->message);
    g_free(end);
}


static void
bp_job_completed_cb(GDBusConnection *conn G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
                    const char *path, const char *iface G_GNUC_UNUSED,
                    const char *signal G_GNUC_UNUSED, GVariant *params, gpointer data)
{
    BpJobWatch *watch = data;
    BpJobEnd *end;

    if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(bs)")))
        return;
    end = g_new0(BpJobEnd, 1);
    end->path = g_strdup(path);
    g_variant_get(params, "(bs)", &end->success, &end->message);
    watch->ended = g_list_append(watch->ended, end);
    if (watch->wait)
        bp_job_wait_seen(watch->wait, path);
}


static gboolean
bp_job_watch_sigint(gpointer data)
{
    BpJobWatch *watch = data;

    if (watch->wait)
        bp_job_wait_interrupt(watch->wait);
    else
        watch->interrupted = TRUE;
    return G_SOURCE_CONTINUE;
}


BpJobWatch *
bp_ctl_job_watch(BpCtl *ctl)
{
    BpJobWatch *watch = g_new0(BpJobWatch, 1);

    watch->ctl = ctl;
    watch->sub = g_dbus_connection_signal_subscribe(ctl->bus, BP_BUS_NAME, BP_IFACE_JOB,
                                                    "Completed", NULL, NULL,
                                                    G_DBUS_SIGNAL_FLAGS_NONE,
                                                    bp_job_completed_cb, watch, NULL);
    watch->sigint_id = g_unix_signal_add(SIGINT, bp_job_watch_sigint, watch);
    return watch;
}


void
bp_ctl_job_watch_free(BpJobWatch *watch)
{
    if (!watch)
        return;
    g_dbus_connection_signal_unsubscribe(watch->ctl->bus, watch->sub);
    g_clear_handle_id(&watch->sigint_id, g_source_remove);
    g_list_free_full(watch->ended, bp_job_end_free);
    g_free(watch);
}


static BpJobEnd *
bp_job_watch_find(BpJobWatch *watch, const char *path)
{
    for (GList *l = watch->ended; l; l = l->next) {
        BpJobEnd *end = l->data;

        if (g_str_equal(end->path, path))
            return end;
    }
    return NULL;
}


struct _BpJobWait {
    BpCtl *ctl;
    BpJobWatch *watch;
    const char *path;
    BpProgress *progress;
    GMainLoop *loop;
    gboolean interrupted;
    guint missing;       /* polls that found the object gone */
    gboolean done;       /* Completed seen, or given up */
    GError *error;
};


/* The Completed signal of job @path arrived while @w runs: the wait for
 * that job ends at once, not at the next poll. */
static void
bp_job_wait_seen(BpJobWait *w, const char *path)
{
    if (g_str_equal(path, w->path))
        g_main_loop_quit(w->loop);
}


static void
bp_job_wait_stop(BpJobWait *w)
{
    w->done = TRUE;
    g_main_loop_quit(w->loop);
}


static gboolean
bp_job_wait_poll(gpointer data)
{
    BpJobWait *w = data;
    g_autoptr(GVariant) props = NULL;
    g_autoptr(GError) err = NULL;

    if (w->done)
        return G_SOURCE_CONTINUE;
    if (bp_job_watch_find(w->watch, w->path)) {
        bp_job_wait_stop(w);
        return G_SOURCE_CONTINUE;
    }
    if (!(props = bp_ctl_get_all(w->ctl, w->path, BP_IFACE_JOB, &err))) {
        /* Gone: Completed may still be on its way; give it a second. */
        if (++w->missing > 1000 / BP_JOB_POLL_MS) {
            g_set_error(&w->error, BP_ERROR, BP_ERROR_FAILED,
                        _("job %s ended without reporting its result"), w->path);
            bp_job_wait_stop(w);
        }
        return G_SOURCE_CONTINUE;
    }
    if (w->progress)
        bp_ctl_progress_update(w->progress, bp_props_uint64(props, "BytesProcessed"),
                               bp_props_uint64(props, "BytesTotal"));
    return G_SOURCE_CONTINUE;
}


/* SIGINT: ask the job to stop and keep waiting for its end. */
static void
bp_job_wait_interrupt(BpJobWait *w)
{
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GError) err = NULL;

    if (w->interrupted)
        return;
    w->interrupted = TRUE;
    reply = g_dbus_connection_call_sync(w->ctl->bus, BP_BUS_NAME, w->path, BP_IFACE_JOB,
                                        "Cancel", g_variant_new("(@a{sv})",
                                                                bp_ctl_options(w->ctl, NULL)),
                                        NULL, G_DBUS_CALL_FLAGS_NONE, BP_CALL_TIMEOUT_READ,
                                        NULL, &err);
    if (!reply && !w->error) {
        g_autofree char *msg = bp_error_message(err);

        g_set_error(&w->error, BP_ERROR, BP_ERROR_CANCELLED,
                    _("interrupted, and the job could not be cancelled: %s"), msg);
        bp_job_wait_stop(w);
    }
}


gboolean
bp_ctl_job_wait(BpCtl *ctl, BpJobWatch *watch, const char *path,
                const char *label, GError **error)
{
    BpJobWait w = { 0 };
    g_autoptr(BpProgress) progress = NULL;
    BpJobEnd *end;
    guint poll_id;

    w.ctl = ctl;
    w.watch = watch;
    w.path = path;
    w.loop = g_main_loop_new(NULL, FALSE);
    if (label)
        w.progress = progress = bp_ctl_progress_new(label);

    poll_id = g_timeout_add(BP_JOB_POLL_MS, bp_job_wait_poll, &w);
    watch->wait = &w;
    /* Dispatch what arrived with the reply (a fast job's Completed, a
     * SIGINT), then look at once. */
    while (g_main_context_iteration(NULL, FALSE))
        ;
    if (watch->interrupted)
        bp_job_wait_interrupt(&w);
    bp_job_wait_poll(&w);
    /* A quit before the loop runs is lost: look for the end first. */
    if (!w.done && !bp_job_watch_find(watch, path))
        g_main_loop_run(w.loop);
    watch->wait = NULL;
    g_source_remove(poll_id);
    g_main_loop_unref(w.loop);

    if ((end = bp_job_watch_find(watch, path))) {
        if (progress)
            bp_ctl_progress_finish(progress, end->success);
        if (end->success) {
            g_clear_error(&w.error);
            return TRUE;
        }
        g_clear_error(&w.error);
        g_set_error_literal(error, BP_ERROR,
                            w.interrupted ? BP_ERROR_CANCELLED : BP_ERROR_FAILED,
                            *end->message ? end->message : _("the job failed"));
        return FALSE;
    }
    if (progress)
        bp_ctl_progress_finish(progress, FALSE);
    g_propagate_error(error, w.error);
    return FALSE;
}
