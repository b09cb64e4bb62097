/*
 * test-client-progress.c: the client's progress display (client/
 * blkpoint-progress.c) in both modes, with a clock the test moves.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "client/blkpoint-progress.h"

static gint64 fake_now;

static gint64
fake_clock(void)
{
    return fake_now;
}


/* Runs @steps (processed, total, time in ms) through a display writing
 * to a memory stream and returns what it wrote. */
static char *
run_progress(gboolean tty, const guint64 (*steps)[3], size_t n,
             gboolean success)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    BpProgress *p;

    g_assert_nonnull(out);
    p = bp_ctl_progress_new_full("Backup", out, tty, fake_clock);
    for (size_t i = 0; i < n; i++) {
        fake_now = 1000000 + (gint64) steps[i][2] * 1000;
        bp_ctl_progress_update(p, steps[i][0], steps[i][1]);
    }
    fake_now += 500000;
    bp_ctl_progress_finish(p, success);
    bp_ctl_progress_free(p);
    fclose(out);
    return buf;
}


static guint
count_lines(const char *text)
{
    guint n = 0;

    for (const char *c = text; *c; c++)
        n += *c == '\n';
    return n;
}


static void
test_size(void)
{
    struct { guint64 bytes; const char *text; } cases[] = {
        { 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" },
        { 1536, "1.5 KiB" }, { 3ULL << 30, "3.0 GiB" },
        { G_MAXUINT64, "16.0 EiB" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *s = bp_ctl_progress_size(cases[i].bytes);

        g_assert_cmpstr(s, ==, cases[i].text);
    }
}


/* Plain mode: a line per new tenth, at most one a second, a last line. */
static void
test_plain(void)
{
    const guint64 M = 1ULL << 20;
    guint64 steps[200][3];
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;

    /* 200 updates over 20 s, 0.5 % each: 10 tenths crossed. */
    for (size_t i = 0; i < 200; i++) {
        steps[i][0] = (guint64) i * M;
        steps[i][1] = 200 * M;
        steps[i][2] = i * 100;
    }
    out = run_progress(FALSE, (const guint64 (*)[3]) steps, 200, TRUE);
    g_assert_null(strchr(out, '\r'));
    lines = g_strsplit(out, "\n", -1);
    g_assert_cmpuint(count_lines(out), ==, 11);
    g_assert_cmpstr(lines[0], ==, "Backup: 0.00 % (0 B of 200.0 MiB)");
    g_assert_true(g_str_has_prefix(lines[1], "Backup: 10.00 % (20.0 MiB of 200.0 MiB, "));
    /* 20 MiB in 2 s: 10 MiB/s, 18 s left. */
    g_assert_true(g_str_has_suffix(lines[1], "10.0 MiB/s, ETA 0:18)"));
    g_assert_true(g_str_has_prefix(lines[9], "Backup: 90.00 % "));
    g_assert_true(g_str_has_prefix(lines[10], "Backup: [100 %]  200.0 MiB in "));

    /* Fast updates: at most one line a second even when tenths fly by. */
    for (size_t i = 0; i < 100; i++) {
        steps[i][0] = (guint64) i * 2 * M;
        steps[i][1] = 200 * M;
        steps[i][2] = i * 10;    /* 100 updates within one second */
    }
    g_free(out);
    out = run_progress(FALSE, (const guint64 (*)[3]) steps, 100, FALSE);
    g_assert_cmpuint(count_lines(out), ==, 1);
    g_assert_false(strstr(out, "100 %"));
}


/* Terminal mode: one line redrawn, never 100 % before the end. */
static void
test_tty(void)
{
    const guint64 steps[][3] = {
        { 0, 1000, 0 }, { 451200, 1000000, 200 }, { 999999, 1000000, 400 },
        { 1000000, 1000000, 401 },   /* within 0.1 s: not drawn */
    };
    g_autofree char *out = run_progress(TRUE, steps, G_N_ELEMENTS(steps), TRUE);
    g_auto(GStrv) draws = g_strsplit(out, "\r", -1);

    g_assert_cmpuint(count_lines(out), ==, 1);
    g_assert_true(g_str_has_suffix(out, "\n"));
    g_assert_cmpuint(g_strv_length(draws), ==, 5);
    g_assert_true(g_str_has_prefix(draws[1], "Backup: [  0.00 %]  0 B of 1000 B"));
    g_assert_true(g_str_has_prefix(draws[2], "Backup: [ 45.12 %]  440.6 KiB of 976.6 KiB  "));
    g_assert_true(strstr(draws[2], "ETA 0:00"));
    g_assert_true(g_str_has_prefix(draws[3], "Backup: [ 99.99 %]"));
    g_assert_true(g_str_has_prefix(draws[4], "Backup: [100 %]  976.6 KiB in 0.9 s"));
    /* A shorter line blanks what the longer one left behind. */
    g_assert_cmpuint(strlen(draws[4]), >=, strlen(draws[3]));

    /* Unknown total, then failure: no 100 % line, but a newline. */
    {
        const guint64 unknown[][3] = { { 4096, 0, 0 } };
        g_autofree char *o2 = run_progress(TRUE, unknown, 1, FALSE);

        g_assert_cmpstr(o2, ==, "\rBackup: [  ?   %]  4.0 KiB\n");
    }
}


/* The callback form the libnbd copier uses. */
static void
test_callback(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    g_autofree char *text = NULL;
    BpProgress *p = bp_ctl_progress_new_full("Pull", out, FALSE, fake_clock);

    fake_now = 5000000;
    g_assert_true(bp_ctl_progress_cb(50, 100, p));
    bp_ctl_progress_free(p);
    fclose(out);
    text = buf;
    g_assert_cmpstr(text, ==, "Pull: 50.00 % (50 B of 100 B)\n");
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client/progress/size", test_size);
    g_test_add_func("/client/progress/plain", test_plain);
    g_test_add_func("/client/progress/tty", test_tty);
    g_test_add_func("/client/progress/callback", test_callback);
    return g_test_run();
}
