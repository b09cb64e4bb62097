/*
 * blkpoint-progress.h: the progress display of long client commands
 * (backup-begin --wait --verbose, restore --verbose, backup-pull).
 *
 * A BpProgress is fed (processed, total) byte counts as often as the
 * caller likes and decides itself what to print, on stderr as virsh
 * prints its job progress:
 *
 *   - on a terminal, one line redrawn in place:
 *       "Backup: [ 45.12 %]  1.2 GiB of 2.7 GiB  120.5 MiB/s  ETA 0:13"
 *     and at the end "Backup: [100 %]  2.7 GiB in 23.1 s" and a newline;
 *     the percentage never shows 100 before the end (virsh's rule);
 *   - otherwise (a file, a pipe, a log) plain lines
 *       "Backup: 45.12 % (1.2 GiB of 2.7 GiB, 120.5 MiB/s, ETA 0:13)"
 *     one when the job enters a new tenth of the total, but never more
 *     than one a second, and always a last line at the end.
 *
 * A total of 0 means "not known yet": the bar shows the bytes only.  A
 * total may grow while the job runs (QEMU learns of new writes).
 *
 * The rate is the average since the first update; the ETA follows from
 * it and the bytes left.
 */
#pragma once

#include <stdio.h>

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BpProgress BpProgress;

/*
 * A progress display labelled @label (translated by the caller, "Backup")
 * writing to stderr; terminal mode when stderr is a terminal.
 */
BpProgress *bp_ctl_progress_new(const char *label);

/*
 * The same, writing to @out (not closed) in terminal mode when @tty is
 * TRUE; @now_us, when non-NULL, replaces g_get_monotonic_time() (tests).
 */
BpProgress *bp_ctl_progress_new_full(const char *label, FILE *out,
                                     gboolean tty, gint64 (*now_us)(void));

/* Reports that @processed of @total bytes (0: unknown) are done. */
void bp_ctl_progress_update(BpProgress *p, guint64 processed, guint64 total);

/*
 * The same as a plain callback, for copy loops that report through a
 * function pointer (the libnbd copier): @opaque is the BpProgress.
 * Always returns TRUE ("go on").
 */
gboolean bp_ctl_progress_cb(guint64 processed, guint64 total, gpointer opaque);

/*
 * Ends the display: on success the 100 % line with the bytes and the
 * time taken; on failure the line as it stands, then a newline.  Later
 * updates are ignored.
 */
void bp_ctl_progress_finish(BpProgress *p, gboolean success);

/* Frees @p; finishes it as failed first if that was not done. */
void bp_ctl_progress_free(BpProgress *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpProgress, bp_ctl_progress_free)

/* @bytes with a binary unit and one decimal ("1.2 GiB", "512 B");
 * newly allocated. */
char *bp_ctl_progress_size(guint64 bytes);

G_END_DECLS
