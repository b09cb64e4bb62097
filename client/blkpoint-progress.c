/*
 * blkpoint-progress.c: the progress display of long client commands (see
 * blkpoint-progress.h for what it prints and when).
 */
#include <config.h>

#include <unistd.h>

#include "blkpoint-progress.h"
#include "util/bp-i18n.h"

/* Plain mode: at most one line a second. */
#define BP_PROGRESS_PLAIN_INTERVAL_US G_USEC_PER_SEC
/* Terminal mode: redraw at most ten times a second. */
#define BP_PROGRESS_TTY_INTERVAL_US (G_USEC_PER_SEC / 10)

struct _BpProgress {
    char *label;
    FILE *out;
    gboolean tty;
    gint64 (*now_us)(void);
    gint64 start;          /* time of the first update, 0 before it */
    gint64 last_print;     /* time of the last line or redraw, 0: none */
    int last_tenth;        /* plain mode: the tenth last printed, -1: none */
    size_t last_width;     /* terminal mode: length of the line drawn */
    guint64 processed;
    guint64 total;
    gboolean finished;
};


BpProgress *
bp_ctl_progress_new_full(const char *label, FILE *out, gboolean tty,
                         gint64 (*now_us)(void))
{
    BpProgress *p = g_new0(BpProgress, 1);

    p->label = g_strdup(label);
    p->out = out;
    p->tty = tty;
    p->now_us = now_us ? now_us : g_get_monotonic_time;
    p->last_tenth = -1;
    return p;
}


BpProgress *
bp_ctl_progress_new(const char *label)
{
    return bp_ctl_progress_new_full(label, stderr, isatty(STDERR_FILENO),
                                    NULL);
}


char *
bp_ctl_progress_size(guint64 bytes)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double v = bytes;
    size_t u = 0;

    if (bytes < 1024)
        return g_strdup_printf("%" G_GUINT64_FORMAT " B", bytes);
    v /= 1024;
    while (v >= 1024 && u + 1 < G_N_ELEMENTS(units)) {
        v /= 1024;
        u++;
    }
    return g_strdup_printf("%.1f %s", v, units[u]);
}


/* Percentage shown while running, truncated to two decimals so that it
 * never shows 100 before the end (virsh's rule). */
static double
bp_progress_percent(const BpProgress *p)
{
    guint64 hundredths;

    if (p->total == 0)
        return 0;
    hundredths = (guint64) ((double) MIN(p->processed, p->total) * 10000.0 /
                            (double) p->total);
    return MIN(hundredths, 9999) / 100.0;
}


/* "1.2 GiB of 2.7 GiB, 120.5 MiB/s, ETA 0:13" with @sep between the
 * parts (", " or "  "); parts not known yet are left out. */
static char *
bp_progress_details(const BpProgress *p, gint64 now, const char *sep)
{
    GString *out = g_string_new(NULL);
    g_autofree char *done = bp_ctl_progress_size(p->processed);
    gint64 elapsed = now - p->start;
    double rate = 0;

    if (p->total) {
        g_autofree char *total = bp_ctl_progress_size(p->total);

        /* Translators: bytes done "of" bytes in all, "1.2 GiB of 2.7 GiB" */
        g_string_append_printf(out, _("%s of %s"), done, total);
    } else {
        g_string_append(out, done);
    }
    if (elapsed > 0 && p->processed > 0)
        rate = (double) p->processed * G_USEC_PER_SEC / (double) elapsed;
    if (rate >= 1) {
        g_autofree char *r = bp_ctl_progress_size((guint64) rate);

        g_string_append_printf(out, "%s%s/s", sep, r);
        if (p->total > p->processed) {
            guint64 eta = (guint64) ((double) (p->total - p->processed) / rate);

            g_string_append(out, sep);
            /* Translators: estimated time left, minutes:seconds */
            g_string_append_printf(out, _("ETA %llu:%02u"),
                                   (unsigned long long) (eta / 60), (unsigned) (eta % 60));
        }
    }
    return g_string_free(out, FALSE);
}


/* Terminal mode: draws the line again over the previous one. */
static void
bp_progress_redraw(BpProgress *p, const char *line)
{
    size_t len = g_utf8_strlen(line, -1);

    fprintf(p->out, "\r%s", line);
    for (size_t i = len; i < p->last_width; i++)
        fputc(' ', p->out);
    p->last_width = len;
    fflush(p->out);
}


void
bp_ctl_progress_update(BpProgress *p, guint64 processed, guint64 total)
{
    gint64 now = p->now_us();
    g_autofree char *details = NULL;
    g_autofree char *line = NULL;
    double pct;

    if (p->finished)
        return;
    if (!p->start)
        p->start = now;
    p->processed = processed;
    p->total = total;
    pct = bp_progress_percent(p);

    if (p->tty) {
        if (p->last_print && now - p->last_print < BP_PROGRESS_TTY_INTERVAL_US)
            return;
        details = bp_progress_details(p, now, "  ");
        if (total)
            line = g_strdup_printf("%s: [%6.2f %%]  %s", p->label, pct, details);
        else
            line = g_strdup_printf("%s: [  ?   %%]  %s", p->label, details);
        bp_progress_redraw(p, line);
    } else {
        int tenth = total ? (int) (pct / 10) : 0;

        if (tenth <= p->last_tenth ||
            (p->last_print &&
             now - p->last_print < BP_PROGRESS_PLAIN_INTERVAL_US))
            return;
        p->last_tenth = tenth;
        details = bp_progress_details(p, now, ", ");
        if (total)
            fprintf(p->out, "%s: %.2f %% (%s)\n", p->label, pct, details);
        else
            fprintf(p->out, "%s: (%s)\n", p->label, details);
        fflush(p->out);
    }
    p->last_print = now;
}


gboolean
bp_ctl_progress_cb(guint64 processed, guint64 total, gpointer opaque)
{
    bp_ctl_progress_update(opaque, processed, total);
    return TRUE;
}


void
bp_ctl_progress_finish(BpProgress *p, gboolean success)
{
    gint64 now = p->now_us();
    g_autofree char *line = NULL;

    if (p->finished)
        return;
    p->finished = TRUE;
    if (!p->start)
        p->start = now;

    if (success) {
        guint64 bytes = MAX(p->processed, p->total);
        g_autofree char *size = bp_ctl_progress_size(bytes);
        double secs = (double) (now - p->start) / G_USEC_PER_SEC;

        /* Translators: "2.7 GiB in 23.1 s": bytes copied and time taken */
        line = g_strdup_printf(_("%s: [100 %%]  %s in %.1f s"), p->label,
                               size, secs);
        if (p->tty) {
            bp_progress_redraw(p, line);
            fputc('\n', p->out);
        } else {
            fprintf(p->out, "%s\n", line);
        }
    } else if (p->tty && p->last_width) {
        /* Leave the last state on screen; the error follows below it. */
        fputc('\n', p->out);
    }
    fflush(p->out);
}


void
bp_ctl_progress_free(BpProgress *p)
{
    if (!p)
        return;
    bp_ctl_progress_finish(p, FALSE);
    g_free(p->label);
    g_free(p);
}
