/*
 * bp-store-migrate.c: the catalogue schema and its ordered migrations.
 *
 * PRAGMA user_version holds the schema version.  Migration N takes a
 * database at version N-1 to N; each runs in its own transaction together
 * with the user_version update, so a crash leaves the database at one
 * version or the next, never between.  Never edit a released migration:
 * add the next one, and a fixture of the previous version under
 * tests/storedata/ to test it from.
 */
#include <config.h>

#include "store/bp-store-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

/* Version 1: the initial schema.
 *
 * - Names are unique per domain (UNIQUE (domain_id, name)).
 * - A parent belongs to the same domain: the composite foreign key
 *   (domain_id, parent_id) -> (domain_id, id).
 * - At most one current checkpoint per domain: a partial unique index.
 * - No checkpoint is its own ancestor: CHECK for the direct case, and a
 *   trigger walking the ancestors of the new parent on every re-parenting
 *   (an insert cannot close a cycle: nothing refers to the new row yet).
 * - Deleting a checkpoint that still has children fails (the parent key is
 *   NO ACTION, checked at the end of each statement), so re-parenting is
 *   explicit; deleting a domain cascades to everything it owns.
 */
static const char bp_store_schema_v1[] =
    "CREATE TABLE domains (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  uuid TEXT NOT NULL UNIQUE,\n"
    "  name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),\n"
    "  definition TEXT NOT NULL,\n"
    "  runtime TEXT NOT NULL,\n"
    "  state TEXT NOT NULL DEFAULT 'shutoff' CHECK (state IN ('shutoff', 'running')),\n"
    "  pid INTEGER NOT NULL DEFAULT 0 CHECK (pid >= 0),\n"
    "  monitor_path TEXT\n"
    ");\n"
    "CREATE TABLE checkpoints (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  domain_id INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,\n"
    "  name TEXT NOT NULL CHECK (length(name) > 0),\n"
    "  parent_id INTEGER CHECK (parent_id IS NULL OR parent_id <> id),\n"
    "  creation_time INTEGER NOT NULL,\n"
    "  description TEXT,\n"
    "  domain_xml TEXT,\n"
    "  is_current INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1)),\n"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'ready', 'broken', 'deleting')),\n"
    "  reason TEXT,\n"
    "  UNIQUE (domain_id, name),\n"
    "  UNIQUE (domain_id, id),\n"
    "  FOREIGN KEY (domain_id, parent_id) REFERENCES checkpoints (domain_id, id)\n"
    ");\n"
    "CREATE INDEX checkpoints_parent ON checkpoints (domain_id, parent_id);\n"
    "CREATE UNIQUE INDEX checkpoints_current ON checkpoints (domain_id) WHERE is_current;\n"
    "CREATE TRIGGER checkpoints_no_cycle BEFORE UPDATE OF parent_id ON checkpoints\n"
    "  WHEN NEW.parent_id IS NOT NULL\n"
    "BEGIN\n"
    "  SELECT RAISE(ABORT, 'checkpoint would become its own ancestor')\n"
    "  WHERE NEW.id IN (\n"
    "    WITH RECURSIVE up(id) AS (\n"
    "      SELECT NEW.parent_id\n"
    "      UNION\n"
    "      SELECT c.parent_id FROM checkpoints c JOIN up ON c.id = up.id\n"
    "      WHERE c.parent_id IS NOT NULL)\n"
    "    SELECT id FROM up);\n"
    "END;\n"
    "CREATE TABLE checkpoint_disks (\n"
    "  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,\n"
    "  position INTEGER NOT NULL,\n"
    "  target TEXT NOT NULL,\n"
    "  included INTEGER NOT NULL CHECK (included IN (0, 1)),\n"
    "  bitmap TEXT,\n"
    "  granularity INTEGER NOT NULL DEFAULT 0 CHECK (granularity >= 0),\n"
    "  size INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),\n"
    "  PRIMARY KEY (checkpoint_id, target),\n"
    "  CHECK (included = 0 OR bitmap IS NOT NULL)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE backups (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  domain_id INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,\n"
    "  mode TEXT NOT NULL CHECK (mode IN ('push', 'pull')),\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('full', 'incremental')),\n"
    "  from_checkpoint TEXT,\n"
    "  checkpoint TEXT,\n"
    "  status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),\n"
    "  error TEXT,\n"
    "  bytes INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),\n"
    "  start_time INTEGER NOT NULL,\n"
    "  end_time INTEGER NOT NULL DEFAULT 0,\n"
    "  previous_id INTEGER CHECK (previous_id IS NULL OR previous_id <> id),\n"
    "  UNIQUE (domain_id, id),\n"
    "  FOREIGN KEY (domain_id, previous_id) REFERENCES backups (domain_id, id),\n"
    "  CHECK (kind = 'full' OR from_checkpoint IS NOT NULL)\n"
    ");\n"
    "CREATE INDEX backups_previous ON backups (domain_id, previous_id);\n"
    "CREATE TABLE backup_disks (\n"
    "  backup_id INTEGER NOT NULL REFERENCES backups (id) ON DELETE CASCADE,\n"
    "  position INTEGER NOT NULL,\n"
    "  target TEXT NOT NULL,\n"
    "  path TEXT,\n"
    "  format TEXT,\n"
    "  bytes INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),\n"
    "  PRIMARY KEY (backup_id, target)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE jobs (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  domain_id INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,\n"
    "  kind TEXT NOT NULL,\n"
    "  status TEXT NOT NULL CHECK (status IN ('running', 'cancelling', 'completed', 'failed', 'cancelled')),\n"
    "  phase TEXT,\n"
    "  backup_id INTEGER REFERENCES backups (id) ON DELETE SET NULL,\n"
    "  checkpoint TEXT,\n"
    "  data TEXT,\n"
    "  start_time INTEGER NOT NULL,\n"
    "  update_time INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX jobs_domain ON jobs (domain_id);\n"
    "CREATE INDEX jobs_backup ON jobs (backup_id);\n"
    "PRAGMA user_version = 1;\n";

/* Version 2: progress totals, and an index for the per-domain backup
 * history.  Version 1 listed a domain's backups (and cascaded a domain's
 * removal into them) by scanning the whole table. */
static const char bp_store_schema_v2[] =
    "ALTER TABLE backups ADD COLUMN bytes_total INTEGER NOT NULL DEFAULT 0\n"
    "  CHECK (bytes_total >= 0);\n"
    "ALTER TABLE backup_disks ADD COLUMN bytes_total INTEGER NOT NULL DEFAULT 0\n"
    "  CHECK (bytes_total >= 0);\n"
    "CREATE INDEX backups_domain_time ON backups (domain_id, start_time);\n"
    "PRAGMA user_version = 2;\n";

/* Version 3: per-disk results of a backup (a disk may fall back to a
 * full copy, or fail with its own reason; a pull backup has a scratch
 * image besides the file its consumer wrote), and the disk snapshots. */
static const char bp_store_schema_v3[] =
    "ALTER TABLE backup_disks ADD COLUMN kind TEXT\n"
    "  CHECK (kind IS NULL OR kind IN ('full', 'incremental'));\n"
    "ALTER TABLE backup_disks ADD COLUMN scratch TEXT;\n"
    "ALTER TABLE backup_disks ADD COLUMN error TEXT;\n"
    "CREATE TABLE snapshots (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  domain_id INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,\n"
    "  name TEXT NOT NULL CHECK (length(name) > 0),\n"
    "  parent_id INTEGER CHECK (parent_id IS NULL OR parent_id <> id),\n"
    "  creation_time INTEGER NOT NULL,\n"
    "  description TEXT,\n"
    "  state TEXT NOT NULL DEFAULT 'disk-snapshot',\n"
    "  xml TEXT NOT NULL,\n"
    "  is_current INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1)),\n"
    "  UNIQUE (domain_id, name),\n"
    "  UNIQUE (domain_id, id),\n"
    "  FOREIGN KEY (domain_id, parent_id) REFERENCES snapshots (domain_id, id)\n"
    ");\n"
    "CREATE UNIQUE INDEX snapshots_one_current ON snapshots (domain_id)\n"
    "  WHERE is_current = 1;\n"
    "CREATE TABLE snapshot_disks (\n"
    "  snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,\n"
    "  position INTEGER NOT NULL,\n"
    "  target TEXT NOT NULL,\n"
    "  snapshot TEXT NOT NULL CHECK (snapshot IN ('external', 'no')),\n"
    "  file TEXT,\n"
    "  format TEXT,\n"
    "  PRIMARY KEY (snapshot_id, target),\n"
    "  CHECK (snapshot = 'no' OR file IS NOT NULL)\n"
    ") WITHOUT ROWID;\n"
    "PRAGMA user_version = 3;\n";

/* migrations[i] takes version i to version i + 1. */
static const char *const bp_store_migrations[] = {
    bp_store_schema_v1,
    bp_store_schema_v2,
    bp_store_schema_v3,
};

G_STATIC_ASSERT(G_N_ELEMENTS(bp_store_migrations) == BP_STORE_SCHEMA_VERSION);


int
bp_store_read_user_version(sqlite3 *db)
{
    sqlite3_stmt *stmt = NULL;
    int version = -1;

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return version;
}


/* Runs migration @to (from @to - 1) in one transaction. */
static gboolean
bp_store_migrate_one(sqlite3 *db, const char *path, int to, GError **error)
{
    char *errmsg = NULL;

    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &errmsg) != SQLITE_OK)
        goto fail;
    /* Another process may have migrated while we waited for the lock. */
    if (bp_store_read_user_version(db) != to - 1) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return TRUE;
    }
    if (sqlite3_exec(db, bp_store_migrations[to - 1], NULL, NULL, &errmsg) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, &errmsg) != SQLITE_OK) {
        if (!sqlite3_get_autocommit(db))
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        goto fail;
    }
    return TRUE;

 fail:
    g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                _("cannot upgrade catalogue %s to schema version %d: %s"),
                path, to, errmsg ? errmsg : sqlite3_errmsg(db));
    sqlite3_free(errmsg);
    return FALSE;
}


gboolean
bp_store_migrate(sqlite3 *db, const char *path, int target_version,
                 GError **error)
{
    int version = bp_store_read_user_version(db);

    g_return_val_if_fail(target_version <= BP_STORE_SCHEMA_VERSION, FALSE);

    if (version < 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                    _("cannot read the schema version of catalogue %s: %s"),
                    path, sqlite3_errmsg(db));
        return FALSE;
    }
    if (version > BP_STORE_SCHEMA_VERSION) {
        g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                    _("catalogue %s has schema version %d, newer than this blkpoint understands (%d)"),
                    path, version, BP_STORE_SCHEMA_VERSION);
        return FALSE;
    }
    for (int to = version + 1; to <= target_version; to++) {
        if (!bp_store_migrate_one(db, path, to, error))
            return FALSE;
    }
    return TRUE;
}
