/*
 * bp-store-priv.h: what the files of src/store share, and nothing else
 * includes: the connection, statement helpers, error mapping and the
 * migration entry point (also used by the migration tests).
 */
#pragma once

#include <sqlite3.h>

#include "store/bp-store.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

struct _BpStore {
    sqlite3 *db;
    char *path;
    guint txn_depth;            /* open transactions (1) and savepoints (>1) */
};

/* Reports the connection's last SQLite error as BP_ERROR_CATALOGUE:
 * "@what: <sqlite message> (catalogue <path>)".  @what is translated by
 * the caller and says what was being done. */
void bp_store_set_error(BpStore *store, GError **error, const char *what);

/* Prepares one static SQL statement; NULL with BP_ERROR_CATALOGUE. */
sqlite3_stmt *bp_store_prepare(BpStore *store, const char *sql, GError **error);

/* Steps @stmt: SQLITE_ROW or SQLITE_DONE, or -1 with @error set (what
 * names the operation for the message). */
int bp_store_step(BpStore *store, sqlite3_stmt *stmt, const char *what,
                  GError **error);
/* Steps a statement that returns no rows; FALSE with @error set. */
gboolean bp_store_step_done(BpStore *store, sqlite3_stmt *stmt,
                            const char *what, GError **error);

/* Binding: NULL strings bind SQL NULL; the text is copied. */
void bp_store_bind_text(sqlite3_stmt *stmt, int idx, const char *text);
void bp_store_bind_int64(sqlite3_stmt *stmt, int idx, gint64 value);
/* Binds @value, or NULL when it is 0 (optional row references). */
void bp_store_bind_id(sqlite3_stmt *stmt, int idx, gint64 value);

/* Column text as a new string, NULL for SQL NULL. */
char *bp_store_column_dup(sqlite3_stmt *stmt, int col);
/* Column text mapped through an enum's from_string; @fallback when the
 * text is unknown (the schema's CHECK constraints make that impossible). */
int bp_store_column_enum(sqlite3_stmt *stmt, int col,
                         int (*from_string)(const char *str), int fallback);

/* The domain's name for messages ("#ID" when it has none). */
char *bp_store_domain_label(BpStore *store, gint64 domain_id);
/* TRUE when the domain exists; FALSE with BP_ERROR_NO_DOMAIN or
 * BP_ERROR_CATALOGUE otherwise. */
gboolean bp_store_domain_check(BpStore *store, gint64 domain_id, GError **error);

/* ---- Checkpoints: shared by bp-store-checkpoints.c and
 * bp-store-checkpoint-tree.c ---- */

/* The columns bp_store_checkpoint_from_row() reads, for a query over
 * "checkpoints c LEFT JOIN checkpoints p ON p.id = c.parent_id".  Every
 * such statement binds ?9: whether to read the domain copy. */
#define BP_STORE_CHECKPOINT_COLUMNS \
    "c.id, c.domain_id, c.name, p.name, c.creation_time, c.description," \
    " CASE WHEN ?9 THEN c.domain_xml END, c.is_current, c.state, c.reason"
#define BP_STORE_CHECKPOINT_PARENT_JOIN \
    " LEFT JOIN checkpoints p ON p.id = c.parent_id"

typedef struct {
    gint64 id;
    gint64 parent_id;           /* 0 for a root */
    gboolean current;
} BpStoreCheckpointRef;

/* Finds @name in the domain: 1 (and @ref filled), 0 when absent, -1 on a
 * SQLite error (set). */
int bp_store_checkpoint_find(BpStore *store, gint64 domain_id, const char *name,
                             BpStoreCheckpointRef *ref, GError **error);
/* Like _find(), but absence is BP_ERROR_NO_CHECKPOINT. */
gboolean bp_store_checkpoint_require(BpStore *store, gint64 domain_id,
                                     const char *name, BpStoreCheckpointRef *ref,
                                     GError **error);
BpStoreCheckpoint *bp_store_checkpoint_from_row(sqlite3_stmt *stmt);
/* Fills chks[i]->disks from their rows, for i < @n. */
gboolean bp_store_checkpoint_load_disks(BpStore *store, BpStoreCheckpoint **chks,
                                        guint n, GError **error);
/* Makes checkpoint @id (0: none) the domain's current one.  Must run
 * inside a transaction. */
gboolean bp_store_checkpoint_make_current(BpStore *store, gint64 domain_id,
                                          gint64 id, GError **error);

/* Brings @db (at @path, for messages) from its user_version to
 * @target_version, one transaction per step.  Used by bp_store_open()
 * with BP_STORE_SCHEMA_VERSION and by tests with older versions. */
gboolean bp_store_migrate(sqlite3 *db, const char *path, int target_version,
                          GError **error);
/* PRAGMA user_version of @db, or -1. */
int bp_store_read_user_version(sqlite3 *db);

G_END_DECLS
