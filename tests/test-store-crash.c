/*
 * test-store-crash.c: the catalogue survives SIGKILL at any moment.
 *
 * A helper process (store-crash-helper) runs random catalogue operations
 * and journals "BEGIN k" / "DONE k" (or "FAIL k" for a refusal) around
 * each, fsync'ed.  We kill it with SIGKILL after a random delay, many
 * times, each run continuing on the same database.  After every kill:
 *
 *  - the database opens with bp_store_open();
 *  - PRAGMA integrity_check says ok and PRAGMA foreign_key_check reports
 *    nothing (checked on a separate plain connection first);
 *  - its rows are exactly those of a reference catalogue to which we
 *    applied the same operations (the generator is deterministic): every
 *    DONE operation present, no operation that never began, and the one
 *    in flight either entirely present or entirely absent.
 *
 * BP_STORE_CRASH_ITERATIONS overrides the number of kills (default 200);
 * the helper's seed follows the GTest seed (--seed to replay a run).
 */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "store/bp-store-priv.h"
#include "testutils.h"
#include "store-testutils.h"
#include "store-crash-ops.h"

#define DEFAULT_ITERATIONS 200
/* One kill in five lands at a random moment up to this long after the
 * helper was started (often while it starts up or creates the schema);
 * the others up to MAX_DELAY_US after its first operation began, so that
 * a slow or busy machine still gets kills in the middle of operations. */
#define MAX_START_DELAY_US 25000
#define MAX_DELAY_US 10000
#define STARTUP_TIMEOUT_US (10 * G_USEC_PER_SEC)

typedef struct {
    gint64 last_ended;          /* highest k with DONE or FAIL, -1 if none */
    gint64 in_flight;           /* k with BEGIN but no end, -1 if none */
    GHashTable *done;           /* k -> GINT_TO_POINTER(TRUE for DONE, FALSE for FAIL) */
} Journal;


static void
journal_clear(Journal *j)
{
    g_clear_pointer(&j->done, g_hash_table_unref);
}


/* Reads the helper's journal; only complete lines count.  Checks that
 * the operations from @first on appear in order, each ended before the
 * next began. */
static void
journal_read(const char *path, guint64 first, Journal *j)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GError) error = NULL;
    gint64 expect = first;
    gsize n;

    j->last_ended = -1;
    j->in_flight = -1;
    j->done = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    if (!g_file_get_contents(path, &text, NULL, &error)) {
        g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
        return;
    }
    lines = g_strsplit(text, "\n", -1);
    n = g_strv_length(lines);
    /* The last element follows the last newline: empty, or cut off. */
    for (gsize i = 0; i + 1 < n; i++) {
        char word[8];
        guint64 k;

        g_assert_cmpint(sscanf(lines[i], "%7s %" G_GUINT64_FORMAT, word, &k), ==, 2);
        g_assert_cmpint((gint64) k, ==, expect);
        if (g_str_equal(word, "BEGIN")) {
            g_assert_cmpint(j->in_flight, ==, -1);
            j->in_flight = k;
        } else {
            gint64 *key = g_new(gint64, 1);

            g_assert_true(g_str_equal(word, "DONE") || g_str_equal(word, "FAIL"));
            g_assert_cmpint(j->in_flight, ==, (gint64) k);
            *key = k;
            g_hash_table_insert(j->done, key, GINT_TO_POINTER(g_str_equal(word, "DONE")));
            j->in_flight = -1;
            j->last_ended = k;
            expect = k + 1;
        }
    }
}


/* Waits until the helper has journalled its first BEGIN. */
static void
wait_for_first_op(const char *journal)
{
    gint64 deadline = g_get_monotonic_time() + STARTUP_TIMEOUT_US;
    GStatBuf st;

    while (g_stat(journal, &st) < 0 || st.st_size == 0) {
        if (g_get_monotonic_time() > deadline)
            g_error("the crash helper did not start an operation within %d s",
                    (int) (STARTUP_TIMEOUT_US / G_USEC_PER_SEC));
        g_usleep(100);
    }
}


/* Applies operation @k to the reference; its outcome must match what the
 * helper reported (@expect_ok). */
static void
replay(BpStore *ref, guint32 seed, guint64 k, gboolean expect_ok)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *what = NULL;
    gboolean ok = bp_store_crash_op(ref, seed, k, &what, &error);

    if (ok != expect_ok)
        g_error("op %" G_GUINT64_FORMAT " (%s): helper said %s, replay %s (%s)",
                k, what, expect_ok ? "DONE" : "FAIL", ok ? "committed" : "failed",
                error ? error->message : "no error");
}


/* Integrity as plain SQLite sees it, before the store touches the file
 * (which does not exist yet when the first helper died very early). */
static void
check_integrity(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *stmt = NULL;

    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return;
    db = bp_store_test_raw_open(path);
    g_assert_cmpint(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
    g_assert_cmpstr((const char *) sqlite3_column_text(stmt, 0), ==, "ok");
    g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_DONE);
    sqlite3_finalize(stmt);
    g_assert_cmpint(sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_DONE);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}


static void
test_crash(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *db = g_build_filename(dir, "crash.db", NULL);
    g_autofree char *refpath = g_build_filename(dir, "reference.db", NULL);
    g_autofree char *journal = g_build_filename(dir, "journal", NULL);
    g_autofree char *helper = g_test_build_filename(G_TEST_BUILT, "store-crash-helper", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStore) ref = NULL;
    const char *env = g_getenv("BP_STORE_CRASH_ITERATIONS");
    guint iterations = env ? (guint) g_ascii_strtoull(env, NULL, 10) : DEFAULT_ITERATIONS;
    guint32 seed = g_test_rand_int();
    guint64 next = 0;
    guint present = 0, absent = 0, between = 0, refusals = 0;

    g_test_message("helper seed %u, %u kills", seed, iterations);
    ref = bp_store_open(refpath, &error);
    g_assert_no_error(error);

    for (guint i = 0; i < iterations; i++) {
        g_autoptr(GSubprocess) proc = NULL;
        g_autoptr(BpStore) actual = NULL;
        g_autofree char *first = g_strdup_printf("%" G_GUINT64_FORMAT, next);
        g_autofree char *seedstr = g_strdup_printf("%u", seed);
        g_autofree char *got = NULL;
        g_autofree char *want = NULL;
        const char *argv[] = { helper, db, journal, seedstr, first, NULL };
        Journal j = { 0 };

        g_unlink(journal);
        proc = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_NONE, &error);
        g_assert_no_error(error);
        if (g_test_rand_int_range(0, 5) == 0) {
            g_usleep(g_test_rand_int_range(0, MAX_START_DELAY_US));
        } else {
            wait_for_first_op(journal);
            g_usleep(g_test_rand_int_range(0, MAX_DELAY_US));
        }
        g_subprocess_force_exit(proc);
        g_assert_true(g_subprocess_wait(proc, NULL, &error));
        g_assert_no_error(error);
        if (!g_subprocess_get_if_signaled(proc))
            g_error("the helper exited by itself (status %d) in run %u",
                    g_subprocess_get_status(proc), i);
        g_assert_cmpint(g_subprocess_get_term_sig(proc), ==, SIGKILL);

        journal_read(journal, next, &j);
        for (gint64 k = next; k <= j.last_ended; k++) {
            gboolean ok = GPOINTER_TO_INT(g_hash_table_lookup(j.done, &k));

            replay(ref, seed, k, ok);
            if (!ok)
                refusals++;
        }

        check_integrity(db);
        actual = bp_store_open(db, &error);
        g_assert_no_error(error);
        g_assert_cmpint(bp_store_get_schema_version(actual), ==, BP_STORE_SCHEMA_VERSION);
        got = bp_store_test_dump(actual->db);
        want = bp_store_test_dump(ref->db);

        if (j.in_flight < 0) {
            g_assert_cmpstr(got, ==, want);
            between++;
            next = j.last_ended + 1 > (gint64) next ? (guint64) (j.last_ended + 1) : next;
        } else if (g_str_equal(got, want)) {
            /* Killed before its commit: entirely absent; run it again. */
            absent++;
            next = j.in_flight;
        } else {
            /* Killed after its commit: entirely present. */
            g_free(want);
            replay(ref, seed, j.in_flight, TRUE);
            want = bp_store_test_dump(ref->db);
            g_assert_cmpstr(got, ==, want);
            present++;
            next = j.in_flight + 1;
        }
        journal_clear(&j);
    }

    g_test_message("%" G_GUINT64_FORMAT " operations (%u refused as intended); "
                   "kills: %u with an operation in flight that was absent, %u present, "
                   "%u between operations", next, refusals, absent, present, between);
    /* The test is only worth something if kills hit operations in flight
     * and the runs got somewhere. */
    g_assert_cmpuint(absent + present, >=, iterations / 4);
    g_assert_cmpuint(next, >=, iterations / 2);
    g_assert_true(bp_store_verify(ref, FALSE, &error));
    g_assert_no_error(error);

    g_clear_pointer(&ref, bp_store_close);
    bp_test_rmdir(dir);
}


/* The generator really is deterministic: the same operations on two
 * fresh catalogues give the same rows. */
static void
test_replay_deterministic(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *p1 = g_build_filename(dir, "one.db", NULL);
    g_autofree char *p2 = g_build_filename(dir, "two.db", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStore) s1 = bp_store_open(p1, &error);
    g_autoptr(BpStore) s2 = bp_store_open(p2, &error);
    g_autofree char *d1 = NULL;
    g_autofree char *d2 = NULL;
    guint32 seed = g_test_rand_int();
    guint committed = 0;

    g_assert_no_error(error);
    /* One in a shared transaction, to go fast; the other op by op. */
    {
        g_autoptr(BpStoreTxn) txn = bp_store_txn_begin(s1, &error);

        for (guint64 k = 0; k < 300; k++) {
            g_autoptr(GError) e1 = NULL;
            g_autoptr(GError) e2 = NULL;
            gboolean ok1 = bp_store_crash_op(s1, seed, k, NULL, &e1);
            gboolean ok2 = bp_store_crash_op(s2, seed, k, NULL, &e2);

            g_assert_cmpint(ok1, ==, ok2);
            committed += ok1;
        }
        g_assert_true(bp_store_txn_commit(txn, &error));
    }
    d1 = bp_store_test_dump(s1->db);
    d2 = bp_store_test_dump(s2->db);
    g_assert_cmpstr(d1, ==, d2);
    g_assert_cmpuint(committed, >, 200);
    g_clear_pointer(&s1, bp_store_close);
    g_clear_pointer(&s2, bp_store_close);
    bp_test_rmdir(dir);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/store/crash/deterministic-ops", test_replay_deterministic);
    g_test_add_func("/store/crash/sigkill", test_crash);
    return g_test_run();
}
