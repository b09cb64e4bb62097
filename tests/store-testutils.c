/*
 * store-testutils.c: helpers shared by the catalogue tests.
 */
#include <config.h>

#include "store-testutils.h"

/* Fixed queries, one per table, in a fixed order. */
static const char *const bp_store_test_tables[] = {
    "SELECT 'domain', * FROM domains ORDER BY id",
    "SELECT 'checkpoint', * FROM checkpoints ORDER BY id",
    "SELECT 'checkpoint_disk', * FROM checkpoint_disks ORDER BY checkpoint_id, target",
    "SELECT 'backup', * FROM backups ORDER BY id",
    "SELECT 'backup_disk', * FROM backup_disks ORDER BY backup_id, target",
    "SELECT 'job', * FROM jobs ORDER BY id",
};


char *
bp_store_test_dump(sqlite3 *db)
{
    GString *out = g_string_new(NULL);

    for (gsize t = 0; t < G_N_ELEMENTS(bp_store_test_tables); t++) {
        sqlite3_stmt *stmt = NULL;
        int rc;

        g_assert_cmpint(sqlite3_prepare_v2(db, bp_store_test_tables[t], -1, &stmt, NULL),
                        ==, SQLITE_OK);
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(stmt); c++) {
                const char *text = (const char *) sqlite3_column_text(stmt, c);

                g_string_append_printf(out, "%s%s", c ? "|" : "", text ? text : "NULL");
            }
            g_string_append_c(out, '\n');
        }
        g_assert_cmpint(rc, ==, SQLITE_DONE);
        sqlite3_finalize(stmt);
    }
    return g_string_free(out, FALSE);
}


sqlite3 *
bp_store_test_raw_open(const char *path)
{
    sqlite3 *db = NULL;

    g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}


void
bp_store_test_exec(sqlite3 *db, const char *sql)
{
    char *errmsg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &errmsg) != SQLITE_OK)
        g_error("'%s' failed: %s", sql, errmsg);
}


gint64
bp_store_test_query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    gint64 value;

    g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
    value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
}
