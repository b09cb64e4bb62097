/*
 * store-testutils.h: helpers shared by the catalogue tests.
 */
#pragma once

#include <sqlite3.h>
#include <glib.h>

/* Every row of every catalogue table as text, in primary key order: two
 * dumps are equal exactly when the catalogues hold the same rows.  Reads
 * through @db, which may be the store's own connection or another one. */
char *bp_store_test_dump(sqlite3 *db);

/* Opens a plain second connection to @path (no store involved). */
sqlite3 *bp_store_test_raw_open(const char *path);

/* Runs SQL on a raw connection and fails the test if it fails. */
void bp_store_test_exec(sqlite3 *db, const char *sql);

/* The single integer result of @sql. */
gint64 bp_store_test_query_int(sqlite3 *db, const char *sql);
