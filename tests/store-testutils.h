/*
 * store-testutils.h: helpers shared by the catalogue tests.
 */
#pragma once

#include <sqlite3.h>
#include <glib.h>

#include "store/bp-store.h"

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

/* A fresh catalogue in a temporary directory, for g_test_add(). */
typedef struct {
    char *dir;
    char *path;
    BpStore *store;
} BpStoreFixture;
void bp_store_test_setup(BpStoreFixture *f, gconstpointer data);
void bp_store_test_teardown(BpStoreFixture *f, gconstpointer data);

/* A domain named @name (uuid derived from it); returns its id. */
gint64 bp_store_test_add_domain(BpStore *store, const char *name);
/* A checkpoint with disks vda (bitmap = its name) and vdb (not included). */
BpStoreCheckpoint *bp_store_test_new_checkpoint(gint64 dom, const char *name,
                                                const char *parent, gint64 ctime);
void bp_store_test_add_checkpoint(BpStore *store, gint64 dom, const char *name,
                                  const char *parent, gint64 ctime, gboolean current);
/* Domain "vm1" with the hand-checked tree drawn in store-testutils.c. */
gint64 bp_store_test_build_tree(BpStore *store);
/* "a b c" from a list of checkpoints, or from a list query. */
char *bp_store_test_names(GPtrArray *list);
char *bp_store_test_list_names(BpStore *store, gint64 dom, BpStoreCheckpointScope scope,
                               const char *of, unsigned int flags);
/* The forest as "name:parent ..." in topological order, then "*current". */
char *bp_store_test_tree_shape(BpStore *store, gint64 dom);
/* bp_store_test_dump() through the store's own connection. */
char *bp_store_test_dump_store(BpStore *store);

/* The checkpoint, tree, delete and rollback tests (test-store-checkpoints.c). */
void bp_store_test_register_checkpoint_tests(void);
/* The snapshot tests (test-store-snapshots.c). */
void bp_store_test_register_snapshot_tests(void);
