/*
 * bp-store-backups.c: the backup history, its per-disk rows and the
 * chains incremental backups form (each links to the backup it builds
 * on).
 */
#include <config.h>

#include "store/bp-store-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

BP_ENUM_IMPL(bp_store_backup_mode, BP_STORE_BACKUP_MODE_LAST, "push", "pull")
BP_ENUM_IMPL(bp_store_backup_kind, BP_STORE_BACKUP_KIND_LAST, "full", "incremental")
BP_ENUM_IMPL(bp_store_backup_status, BP_STORE_BACKUP_STATUS_LAST,
             "running", "completed", "failed", "cancelled")

#define BACKUP_COLUMNS \
    "b.id, b.domain_id, b.mode, b.kind, b.from_checkpoint, b.checkpoint," \
    " b.status, b.error, b.bytes, b.bytes_total, b.start_time, b.end_time," \
    " b.previous_id"


BpStoreBackupDisk *
bp_store_backup_disk_new(const char *target, const char *path, const char *format)
{
    BpStoreBackupDisk *disk = g_new0(BpStoreBackupDisk, 1);

    disk->target = g_strdup(target);
    disk->path = g_strdup(path);
    disk->format = g_strdup(format);
    disk->kind = BP_STORE_BACKUP_KIND_LAST;
    return disk;
}


void
bp_store_backup_disk_free(BpStoreBackupDisk *disk)
{
    if (!disk)
        return;
    g_free(disk->target);
    g_free(disk->path);
    g_free(disk->format);
    g_free(disk->scratch);
    g_free(disk->error);
    g_free(disk);
}


BpStoreBackup *
bp_store_backup_new(gint64 domain_id, BpStoreBackupMode mode, BpStoreBackupKind kind)
{
    BpStoreBackup *backup = g_new0(BpStoreBackup, 1);

    backup->domain_id = domain_id;
    backup->mode = mode;
    backup->kind = kind;
    backup->status = BP_STORE_BACKUP_RUNNING;
    backup->disks = g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_backup_disk_free);
    return backup;
}


void
bp_store_backup_free(BpStoreBackup *backup)
{
    if (!backup)
        return;
    g_free(backup->from_checkpoint);
    g_free(backup->checkpoint);
    g_free(backup->error);
    if (backup->disks)
        g_ptr_array_unref(backup->disks);
    g_free(backup);
}


static BpStoreBackup *
bp_store_backup_from_row(sqlite3_stmt *stmt)
{
    BpStoreBackup *backup = g_new0(BpStoreBackup, 1);

    backup->id = sqlite3_column_int64(stmt, 0);
    backup->domain_id = sqlite3_column_int64(stmt, 1);
    backup->mode = bp_store_column_enum(stmt, 2, bp_store_backup_mode_from_string,
                                        BP_STORE_BACKUP_PUSH);
    backup->kind = bp_store_column_enum(stmt, 3, bp_store_backup_kind_from_string,
                                        BP_STORE_BACKUP_FULL);
    backup->from_checkpoint = bp_store_column_dup(stmt, 4);
    backup->checkpoint = bp_store_column_dup(stmt, 5);
    backup->status = bp_store_column_enum(stmt, 6, bp_store_backup_status_from_string,
                                          BP_STORE_BACKUP_FAILED);
    backup->error = bp_store_column_dup(stmt, 7);
    backup->bytes = sqlite3_column_int64(stmt, 8);
    backup->bytes_total = sqlite3_column_int64(stmt, 9);
    backup->start_time = sqlite3_column_int64(stmt, 10);
    backup->end_time = sqlite3_column_int64(stmt, 11);
    backup->previous_id = sqlite3_column_int64(stmt, 12);
    return backup;
}


/* Fills the disks of each backup in @list. */
static gboolean
bp_store_backup_load_disks(BpStore *store, GPtrArray *list, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    if (list->len == 0)
        return TRUE;
    stmt = bp_store_prepare(store,
                            "SELECT target, path, format, bytes, bytes_total,"
                            " kind, scratch, error"
                            " FROM backup_disks WHERE backup_id = ?1 ORDER BY position",
                            error);
    if (!stmt)
        return FALSE;
    for (guint i = 0; i < list->len; i++) {
        BpStoreBackup *backup = g_ptr_array_index(list, i);
        int rc;

        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, backup->id);
        if (!backup->disks)
            backup->disks =
                g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_backup_disk_free);
        while ((rc = bp_store_step(store, stmt, _("cannot read backup disks"),
                                   error)) == SQLITE_ROW) {
            BpStoreBackupDisk *disk = g_new0(BpStoreBackupDisk, 1);

            disk->target = bp_store_column_dup(stmt, 0);
            disk->path = bp_store_column_dup(stmt, 1);
            disk->format = bp_store_column_dup(stmt, 2);
            disk->bytes = sqlite3_column_int64(stmt, 3);
            disk->bytes_total = sqlite3_column_int64(stmt, 4);
            /* NULL in rows written before schema v3. */
            if (sqlite3_column_type(stmt, 5) == SQLITE_NULL)
                disk->kind = backup->kind;
            else
                disk->kind = bp_store_column_enum(stmt, 5, bp_store_backup_kind_from_string,
                                                  backup->kind);
            disk->scratch = bp_store_column_dup(stmt, 6);
            disk->error = bp_store_column_dup(stmt, 7);
            g_ptr_array_add(backup->disks, disk);
        }
        if (rc < 0)
            return FALSE;
    }
    return TRUE;
}


/* Runs a backup query (parameters bound) into a list with disks. */
static GPtrArray *
bp_store_backup_collect(BpStore *store, sqlite3_stmt *stmt, GError **error)
{
    g_autoptr(GPtrArray) list =
        g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_backup_free);
    int rc;

    while ((rc = bp_store_step(store, stmt, _("cannot list backups"), error)) == SQLITE_ROW)
        g_ptr_array_add(list, bp_store_backup_from_row(stmt));
    if (rc < 0 || !bp_store_backup_load_disks(store, list, error))
        return NULL;
    return g_steal_pointer(&list);
}


static gboolean
bp_store_backup_validate(const BpStoreBackup *backup, GError **error)
{
    g_autoptr(GHashTable) targets = g_hash_table_new(g_str_hash, g_str_equal);

    if (!bp_store_backup_mode_to_string(backup->mode) ||
        !bp_store_backup_kind_to_string(backup->kind) ||
        !bp_store_backup_status_to_string(backup->status)) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("invalid backup mode, kind or status"));
        return FALSE;
    }
    if (backup->kind == BP_STORE_BACKUP_INCREMENTAL && !backup->from_checkpoint) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("an incremental backup needs the checkpoint it starts from"));
        return FALSE;
    }
    for (guint i = 0; backup->disks && i < backup->disks->len; i++) {
        const BpStoreBackupDisk *disk = g_ptr_array_index(backup->disks, i);

        if (!disk->target || !*disk->target) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("disk %u of the backup has no target"), i);
            return FALSE;
        }
        if (!g_hash_table_add(targets, disk->target)) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("disk '%s' is listed twice in the backup"), disk->target);
            return FALSE;
        }
    }
    return TRUE;
}


/* FALSE with BP_ERROR_INVALID_ARGUMENT unless @previous_id is a backup of
 * the domain. */
static gboolean
bp_store_backup_check_previous(BpStore *store, gint64 domain_id, gint64 previous_id,
                               GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    int rc;

    stmt = bp_store_prepare(store,
                            "SELECT 1 FROM backups WHERE id = ?1 AND domain_id = ?2", error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, previous_id);
    sqlite3_bind_int64(stmt, 2, domain_id);
    rc = bp_store_step(store, stmt, _("cannot look up a backup"), error);
    if (rc < 0)
        return FALSE;
    if (rc == SQLITE_DONE) {
        g_autofree char *dom = bp_store_domain_label(store, domain_id);

        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("previous backup %lld is not a backup of domain '%s'"),
                    (long long) previous_id, dom);
        return FALSE;
    }
    return TRUE;
}


static gboolean
bp_store_backup_insert_disks(BpStore *store, gint64 id, BpStoreBackupKind kind,
                             GPtrArray *disks, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    if (!disks || disks->len == 0)
        return TRUE;
    stmt = bp_store_prepare(store,
                            "INSERT INTO backup_disks (backup_id, position, target,"
                            " path, format, bytes, bytes_total, kind, scratch, error)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", error);
    if (!stmt)
        return FALSE;
    for (guint i = 0; i < disks->len; i++) {
        const BpStoreBackupDisk *disk = g_ptr_array_index(disks, i);

        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, i);
        bp_store_bind_text(stmt, 3, disk->target);
        bp_store_bind_text(stmt, 4, disk->path);
        bp_store_bind_text(stmt, 5, disk->format);
        bp_store_bind_int64(stmt, 6, (gint64) disk->bytes);
        bp_store_bind_int64(stmt, 7, (gint64) disk->bytes_total);
        bp_store_bind_text(stmt, 8,
                           bp_store_backup_kind_to_string(disk->kind < BP_STORE_BACKUP_KIND_LAST ?
                                                          disk->kind : kind));
        bp_store_bind_text(stmt, 9, disk->scratch);
        bp_store_bind_text(stmt, 10, disk->error);
        if (!bp_store_step_done(store, stmt, _("cannot add a backup disk"), error))
            return FALSE;
    }
    return TRUE;
}


gboolean
bp_store_backup_add(BpStore *store, BpStoreBackup *backup, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(sqlite3_stmt) stmt = NULL;
    gint64 id;

    if (!bp_store_backup_validate(backup, error))
        return FALSE;
    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if (!bp_store_domain_check(store, backup->domain_id, error))
        return FALSE;
    if (backup->previous_id &&
        !bp_store_backup_check_previous(store, backup->domain_id, backup->previous_id, error))
        return FALSE;
    stmt = bp_store_prepare(store,
                            "INSERT INTO backups (domain_id, mode, kind, from_checkpoint,"
                            " checkpoint, status, error, bytes, bytes_total, start_time,"
                            " end_time, previous_id)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                            error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, backup->domain_id);
    bp_store_bind_text(stmt, 2, bp_store_backup_mode_to_string(backup->mode));
    bp_store_bind_text(stmt, 3, bp_store_backup_kind_to_string(backup->kind));
    bp_store_bind_text(stmt, 4, backup->from_checkpoint);
    bp_store_bind_text(stmt, 5, backup->checkpoint);
    bp_store_bind_text(stmt, 6, bp_store_backup_status_to_string(backup->status));
    bp_store_bind_text(stmt, 7, backup->error);
    bp_store_bind_int64(stmt, 8, (gint64) backup->bytes);
    bp_store_bind_int64(stmt, 9, (gint64) backup->bytes_total);
    bp_store_bind_int64(stmt, 10, backup->start_time);
    bp_store_bind_int64(stmt, 11, backup->end_time);
    bp_store_bind_id(stmt, 12, backup->previous_id);
    if (!bp_store_step_done(store, stmt, _("cannot add a backup"), error))
        return FALSE;
    id = sqlite3_last_insert_rowid(store->db);
    if (!bp_store_backup_insert_disks(store, id, backup->kind, backup->disks, error))
        return FALSE;
    if (!bp_store_txn_commit(txn, error))
        return FALSE;
    backup->id = id;
    return TRUE;
}


/* FALSE with BP_ERROR_NO_BACKUP unless backup @id exists. */
static gboolean
bp_store_backup_check(BpStore *store, gint64 id, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    int rc;

    if (!(stmt = bp_store_prepare(store, "SELECT 1 FROM backups WHERE id = ?1", error)))
        return FALSE;
    sqlite3_bind_int64(stmt, 1, id);
    rc = bp_store_step(store, stmt, _("cannot look up a backup"), error);
    if (rc == SQLITE_DONE)
        g_set_error(error, BP_ERROR, BP_ERROR_NO_BACKUP,
                    _("no backup with id %lld in the catalogue"), (long long) id);
    return rc == SQLITE_ROW;
}


gboolean
bp_store_backup_update(BpStore *store, const BpStoreBackup *backup, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(sqlite3_stmt) stmt = NULL;
    g_autoptr(sqlite3_stmt) disk_stmt = NULL;

    if (!bp_store_backup_status_to_string(backup->status)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("invalid status %d for backup %lld"),
                    backup->status, (long long) backup->id);
        return FALSE;
    }
    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if (!bp_store_backup_check(store, backup->id, error))
        return FALSE;
    stmt = bp_store_prepare(store,
                            "UPDATE backups SET status = ?2, error = ?3, bytes = ?4,"
                            " bytes_total = ?5, end_time = ?6 WHERE id = ?1", error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, backup->id);
    bp_store_bind_text(stmt, 2, bp_store_backup_status_to_string(backup->status));
    bp_store_bind_text(stmt, 3, backup->error);
    bp_store_bind_int64(stmt, 4, (gint64) backup->bytes);
    bp_store_bind_int64(stmt, 5, (gint64) backup->bytes_total);
    bp_store_bind_int64(stmt, 6, backup->end_time);
    if (!bp_store_step_done(store, stmt, _("cannot update a backup"), error))
        return FALSE;

    if (backup->disks && backup->disks->len > 0) {
        disk_stmt = bp_store_prepare(store,
                                     "UPDATE backup_disks SET bytes = ?3, bytes_total = ?4,"
                                     " error = ?5, path = COALESCE(?6, path)"
                                     " WHERE backup_id = ?1 AND target = ?2", error);
        if (!disk_stmt)
            return FALSE;
    }
    for (guint i = 0; backup->disks && i < backup->disks->len; i++) {
        const BpStoreBackupDisk *disk = g_ptr_array_index(backup->disks, i);

        sqlite3_reset(disk_stmt);
        sqlite3_bind_int64(disk_stmt, 1, backup->id);
        bp_store_bind_text(disk_stmt, 2, disk->target);
        bp_store_bind_int64(disk_stmt, 3, (gint64) disk->bytes);
        bp_store_bind_int64(disk_stmt, 4, (gint64) disk->bytes_total);
        bp_store_bind_text(disk_stmt, 5, disk->error);
        bp_store_bind_text(disk_stmt, 6, disk->path);
        if (!bp_store_step_done(store, disk_stmt, _("cannot update a backup disk"), error))
            return FALSE;
        if (sqlite3_changes(store->db) == 0) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("backup %lld has no disk '%s'"),
                        (long long) backup->id, disk->target);
            return FALSE;
        }
    }
    return bp_store_txn_commit(txn, error);
}


BpStoreBackup *
bp_store_backup_get(BpStore *store, gint64 id, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    g_autoptr(GPtrArray) list = NULL;

    stmt = bp_store_prepare(store, "SELECT " BACKUP_COLUMNS " FROM backups b WHERE b.id = ?1",
                            error);
    if (!stmt)
        return NULL;
    sqlite3_bind_int64(stmt, 1, id);
    if (!(list = bp_store_backup_collect(store, stmt, error)))
        return NULL;
    if (list->len == 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_NO_BACKUP,
                    _("no backup with id %lld in the catalogue"), (long long) id);
        return NULL;
    }
    return g_ptr_array_steal_index(list, 0);
}


GPtrArray *
bp_store_backup_list(BpStore *store, gint64 domain_id, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    if (!bp_store_domain_check(store, domain_id, error))
        return NULL;
    stmt = bp_store_prepare(store,
                            "SELECT " BACKUP_COLUMNS " FROM backups b"
                            " WHERE b.domain_id = ?1 ORDER BY b.start_time, b.id", error);
    if (!stmt)
        return NULL;
    sqlite3_bind_int64(stmt, 1, domain_id);
    return bp_store_backup_collect(store, stmt, error);
}


GPtrArray *
bp_store_backup_get_chain(BpStore *store, gint64 id, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    if (!bp_store_backup_check(store, id, error))
        return NULL;
    /* previous_id is fixed when a row is inserted and must name an older
     * row, so the walk ends; the depth bound is for damaged databases. */
    stmt = bp_store_prepare(store,
                            "WITH RECURSIVE chain(id, depth) AS ("
                            "  SELECT ?1, 0"
                            "  UNION ALL"
                            "  SELECT k.previous_id, chain.depth + 1 FROM chain"
                            "  JOIN backups k ON k.id = chain.id"
                            "  WHERE k.previous_id IS NOT NULL AND chain.depth < 1000000)"
                            " SELECT " BACKUP_COLUMNS
                            " FROM chain CROSS JOIN backups b ON b.id = chain.id"
                            " ORDER BY chain.depth DESC", error);
    if (!stmt)
        return NULL;
    sqlite3_bind_int64(stmt, 1, id);
    return bp_store_backup_collect(store, stmt, error);
}


gboolean
bp_store_backup_remove(BpStore *store, gint64 id, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(sqlite3_stmt) dependent = NULL;
    g_autoptr(sqlite3_stmt) drop = NULL;
    int rc;

    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if (!bp_store_backup_check(store, id, error))
        return FALSE;
    dependent = bp_store_prepare(store,
                                 "SELECT id FROM backups WHERE previous_id = ?1"
                                 " AND domain_id = (SELECT domain_id FROM backups WHERE id = ?1)"
                                 " ORDER BY id LIMIT 1", error);
    if (!dependent)
        return FALSE;
    sqlite3_bind_int64(dependent, 1, id);
    rc = bp_store_step(store, dependent, _("cannot look up a backup"), error);
    if (rc < 0)
        return FALSE;
    if (rc == SQLITE_ROW) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("backup %lld cannot be removed: backup %lld builds on it"),
                    (long long) id, (long long) sqlite3_column_int64(dependent, 0));
        return FALSE;
    }
    if (!(drop = bp_store_prepare(store, "DELETE FROM backups WHERE id = ?1", error)))
        return FALSE;
    sqlite3_bind_int64(drop, 1, id);
    if (!bp_store_step_done(store, drop, _("cannot remove a backup"), error))
        return FALSE;
    return bp_store_txn_commit(txn, error);
}
