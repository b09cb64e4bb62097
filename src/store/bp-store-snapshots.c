/*
 * bp-store-snapshots.c: external disk snapshots (schema v3): add, look
 * up, list, the current pointer and metadata deletion.  The images are
 * not the catalogue's business; src/jobs creates them.
 */
#include <config.h>

#include <string.h>

#include "store/bp-store-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_STORE_SNAPSHOT_COLUMNS \
    "s.id, s.domain_id, s.name, p.name, s.creation_time, s.description," \
    " s.state, s.xml, s.is_current"


BpStoreSnapshotDisk *
bp_store_snapshot_disk_new(const char *target, const char *file, const char *format)
{
    BpStoreSnapshotDisk *disk = g_new0(BpStoreSnapshotDisk, 1);

    disk->target = g_strdup(target);
    disk->external = file != NULL;
    disk->file = g_strdup(file);
    disk->format = g_strdup(format);
    return disk;
}


void
bp_store_snapshot_disk_free(BpStoreSnapshotDisk *disk)
{
    if (!disk)
        return;
    g_free(disk->target);
    g_free(disk->file);
    g_free(disk->format);
    g_free(disk);
}


BpStoreSnapshot *
bp_store_snapshot_new(gint64 domain_id, const char *name)
{
    BpStoreSnapshot *snap = g_new0(BpStoreSnapshot, 1);

    snap->domain_id = domain_id;
    snap->name = g_strdup(name);
    snap->state = g_strdup("disk-snapshot");
    snap->disks = g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_snapshot_disk_free);
    return snap;
}


void
bp_store_snapshot_free(BpStoreSnapshot *snap)
{
    if (!snap)
        return;
    g_free(snap->name);
    g_free(snap->parent);
    g_free(snap->description);
    g_free(snap->state);
    g_free(snap->xml);
    if (snap->disks)
        g_ptr_array_unref(snap->disks);
    g_free(snap);
}


static BpStoreSnapshot *
bp_store_snapshot_from_row(sqlite3_stmt *stmt)
{
    BpStoreSnapshot *snap = g_new0(BpStoreSnapshot, 1);

    snap->id = sqlite3_column_int64(stmt, 0);
    snap->domain_id = sqlite3_column_int64(stmt, 1);
    snap->name = bp_store_column_dup(stmt, 2);
    snap->parent = bp_store_column_dup(stmt, 3);
    snap->creation_time = sqlite3_column_int64(stmt, 4);
    snap->description = bp_store_column_dup(stmt, 5);
    snap->state = bp_store_column_dup(stmt, 6);
    snap->xml = bp_store_column_dup(stmt, 7);
    snap->current = sqlite3_column_int(stmt, 8) != 0;
    snap->disks = g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_snapshot_disk_free);
    return snap;
}


static gboolean
bp_store_snapshot_load_disks(BpStore *store, BpStoreSnapshot *snap, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    int rc;

    stmt = bp_store_prepare(store,
                            "SELECT target, snapshot, file, format FROM snapshot_disks"
                            " WHERE snapshot_id = ?1 ORDER BY position", error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, snap->id);
    while ((rc = bp_store_step(store, stmt, _("cannot read snapshot disks"),
                               error)) == SQLITE_ROW) {
        BpStoreSnapshotDisk *disk = g_new0(BpStoreSnapshotDisk, 1);
        const char *kind = (const char *) sqlite3_column_text(stmt, 1);

        disk->target = bp_store_column_dup(stmt, 0);
        disk->external = g_strcmp0(kind, "external") == 0;
        disk->file = bp_store_column_dup(stmt, 2);
        disk->format = bp_store_column_dup(stmt, 3);
        g_ptr_array_add(snap->disks, disk);
    }
    return rc >= 0;
}


/* The id of snapshot @name: > 0, 0 when absent, -1 on error (set). */
static gint64
bp_store_snapshot_find(BpStore *store, gint64 domain_id, const char *name,
                       gint64 *parent_id, gboolean *current, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    int rc;

    stmt = bp_store_prepare(store,
                            "SELECT id, parent_id, is_current FROM snapshots"
                            " WHERE domain_id = ?1 AND name = ?2", error);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, domain_id);
    bp_store_bind_text(stmt, 2, name);
    rc = bp_store_step(store, stmt, _("cannot look up a snapshot"), error);
    if (rc < 0)
        return -1;
    if (rc == SQLITE_DONE)
        return 0;
    if (parent_id)
        *parent_id = sqlite3_column_int64(stmt, 1);
    if (current)
        *current = sqlite3_column_int(stmt, 2) != 0;
    return sqlite3_column_int64(stmt, 0);
}


static void
bp_store_snapshot_set_missing(BpStore *store, gint64 domain_id, const char *name,
                              GError **error)
{
    g_autofree char *dom = bp_store_domain_label(store, domain_id);

    g_set_error(error, BP_ERROR, BP_ERROR_NO_SNAPSHOT,
                _("no domain snapshot with matching name '%s' in domain '%s'"), name, dom);
}


/* Makes snapshot @id (0: none) current; inside a transaction. */
static gboolean
bp_store_snapshot_make_current(BpStore *store, gint64 domain_id, gint64 id,
                               GError **error)
{
    g_autoptr(sqlite3_stmt) clear = NULL;
    g_autoptr(sqlite3_stmt) set = NULL;

    /* Two statements, as the partial unique index wants one current row
     * per domain at every moment. */
    clear = bp_store_prepare(store,
                             "UPDATE snapshots SET is_current = 0"
                             " WHERE domain_id = ?1 AND is_current AND id <> ?2", error);
    if (!clear)
        return FALSE;
    sqlite3_bind_int64(clear, 1, domain_id);
    sqlite3_bind_int64(clear, 2, id);
    if (!bp_store_step_done(store, clear, _("cannot change the current snapshot"), error))
        return FALSE;
    if (id <= 0)
        return TRUE;
    set = bp_store_prepare(store,
                           "UPDATE snapshots SET is_current = 1"
                           " WHERE domain_id = ?1 AND id = ?2", error);
    if (!set)
        return FALSE;
    sqlite3_bind_int64(set, 1, domain_id);
    sqlite3_bind_int64(set, 2, id);
    return bp_store_step_done(store, set, _("cannot change the current snapshot"), error);
}


static gboolean
bp_store_snapshot_insert_disks(BpStore *store, gint64 id, GPtrArray *disks,
                               GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    if (!disks || disks->len == 0)
        return TRUE;
    stmt = bp_store_prepare(store,
                            "INSERT INTO snapshot_disks"
                            " (snapshot_id, position, target, snapshot, file, format)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);
    if (!stmt)
        return FALSE;
    for (guint i = 0; i < disks->len; i++) {
        BpStoreSnapshotDisk *disk = g_ptr_array_index(disks, i);

        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, i);
        bp_store_bind_text(stmt, 3, disk->target);
        bp_store_bind_text(stmt, 4, disk->external ? "external" : "no");
        bp_store_bind_text(stmt, 5, disk->external ? disk->file : NULL);
        bp_store_bind_text(stmt, 6, disk->external ? disk->format : NULL);
        if (!bp_store_step_done(store, stmt, _("cannot store a snapshot disk"), error))
            return FALSE;
    }
    return TRUE;
}


gboolean
bp_store_snapshot_add(BpStore *store, BpStoreSnapshot *snap, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(sqlite3_stmt) stmt = NULL;
    gint64 parent_id = 0;
    gint64 found;
    gint64 id;

    if (!snap->name || !*snap->name || !snap->xml) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("a snapshot needs a name and a document"));
        return FALSE;
    }
    if (!(txn = bp_store_txn_begin(store, error)) ||
        !bp_store_domain_check(store, snap->domain_id, error))
        return FALSE;
    if ((found = bp_store_snapshot_find(store, snap->domain_id, snap->name, NULL, NULL,
                                        error)) < 0)
        return FALSE;
    if (found > 0) {
        g_autofree char *dom = bp_store_domain_label(store, snap->domain_id);

        g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                    _("snapshot '%s' already exists in domain '%s'"), snap->name, dom);
        return FALSE;
    }
    if (snap->parent) {
        if ((parent_id = bp_store_snapshot_find(store, snap->domain_id, snap->parent,
                                                NULL, NULL, error)) < 0)
            return FALSE;
        if (parent_id == 0) {
            bp_store_snapshot_set_missing(store, snap->domain_id, snap->parent, error);
            return FALSE;
        }
    }
    stmt = bp_store_prepare(store,
                            "INSERT INTO snapshots (domain_id, name, parent_id,"
                            " creation_time, description, state, xml, is_current)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)", error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, snap->domain_id);
    bp_store_bind_text(stmt, 2, snap->name);
    bp_store_bind_id(stmt, 3, parent_id);
    sqlite3_bind_int64(stmt, 4, snap->creation_time);
    bp_store_bind_text(stmt, 5, snap->description);
    bp_store_bind_text(stmt, 6, snap->state ? snap->state : "disk-snapshot");
    bp_store_bind_text(stmt, 7, snap->xml);
    if (!bp_store_step_done(store, stmt, _("cannot store a snapshot"), error))
        return FALSE;
    id = sqlite3_last_insert_rowid(store->db);
    if (!bp_store_snapshot_insert_disks(store, id, snap->disks, error))
        return FALSE;
    if (snap->current && !bp_store_snapshot_make_current(store, snap->domain_id, id, error))
        return FALSE;
    if (!bp_store_txn_commit(txn, error))
        return FALSE;
    snap->id = id;
    return TRUE;
}


/* Runs @stmt (bound) and returns its rows with their disks. */
static GPtrArray *
bp_store_snapshot_collect(BpStore *store, sqlite3_stmt *stmt, GError **error)
{
    g_autoptr(GPtrArray) list =
        g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_snapshot_free);
    int rc;

    while ((rc = bp_store_step(store, stmt, _("cannot read snapshots"), error)) == SQLITE_ROW)
        g_ptr_array_add(list, bp_store_snapshot_from_row(stmt));
    if (rc < 0)
        return NULL;
    for (guint i = 0; i < list->len; i++) {
        if (!bp_store_snapshot_load_disks(store, g_ptr_array_index(list, i), error))
            return NULL;
    }
    return g_steal_pointer(&list);
}


BpStoreSnapshot *
bp_store_snapshot_get(BpStore *store, gint64 domain_id, const char *name, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    g_autoptr(GPtrArray) list = NULL;

    stmt = bp_store_prepare(store,
                            "SELECT " BP_STORE_SNAPSHOT_COLUMNS " FROM snapshots s"
                            " LEFT JOIN snapshots p ON p.id = s.parent_id"
                            " WHERE s.domain_id = ?1 AND s.name = ?2", error);
    if (!stmt)
        return NULL;
    sqlite3_bind_int64(stmt, 1, domain_id);
    bp_store_bind_text(stmt, 2, name);
    if (!(list = bp_store_snapshot_collect(store, stmt, error)))
        return NULL;
    if (list->len == 0) {
        bp_store_snapshot_set_missing(store, domain_id, name, error);
        return NULL;
    }
    return g_ptr_array_steal_index(list, 0);
}


BpStoreSnapshot *
bp_store_snapshot_get_current(BpStore *store, gint64 domain_id, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    g_autoptr(GPtrArray) list = NULL;

    stmt = bp_store_prepare(store,
                            "SELECT " BP_STORE_SNAPSHOT_COLUMNS " FROM snapshots s"
                            " LEFT JOIN snapshots p ON p.id = s.parent_id"
                            " WHERE s.domain_id = ?1 AND s.is_current", error);
    if (!stmt)
        return NULL;
    sqlite3_bind_int64(stmt, 1, domain_id);
    if (!(list = bp_store_snapshot_collect(store, stmt, error)) || list->len == 0)
        return NULL;
    return g_ptr_array_steal_index(list, 0);
}


GPtrArray *
bp_store_snapshot_list(BpStore *store, gint64 domain_id, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    stmt = bp_store_prepare(store,
                            "SELECT " BP_STORE_SNAPSHOT_COLUMNS " FROM snapshots s"
                            " LEFT JOIN snapshots p ON p.id = s.parent_id"
                            " WHERE s.domain_id = ?1"
                            " ORDER BY s.creation_time, s.id", error);
    if (!stmt)
        return NULL;
    sqlite3_bind_int64(stmt, 1, domain_id);
    return bp_store_snapshot_collect(store, stmt, error);
}


gboolean
bp_store_snapshot_delete(BpStore *store, gint64 domain_id, const char *name,
                         GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(sqlite3_stmt) reparent = NULL;
    g_autoptr(sqlite3_stmt) del = NULL;
    gint64 parent_id = 0;
    gboolean current = FALSE;
    gint64 id;

    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if ((id = bp_store_snapshot_find(store, domain_id, name, &parent_id, &current,
                                     error)) < 0)
        return FALSE;
    if (id == 0) {
        bp_store_snapshot_set_missing(store, domain_id, name, error);
        return FALSE;
    }
    reparent = bp_store_prepare(store,
                                "UPDATE snapshots SET parent_id = ?3"
                                " WHERE domain_id = ?1 AND parent_id = ?2", error);
    if (!reparent)
        return FALSE;
    sqlite3_bind_int64(reparent, 1, domain_id);
    sqlite3_bind_int64(reparent, 2, id);
    bp_store_bind_id(reparent, 3, parent_id);
    if (!bp_store_step_done(store, reparent, _("cannot re-parent snapshots"), error))
        return FALSE;
    del = bp_store_prepare(store, "DELETE FROM snapshots WHERE id = ?1", error);
    if (!del)
        return FALSE;
    sqlite3_bind_int64(del, 1, id);
    if (!bp_store_step_done(store, del, _("cannot delete a snapshot"), error))
        return FALSE;
    if (current && parent_id > 0 &&
        !bp_store_snapshot_make_current(store, domain_id, parent_id, error))
        return FALSE;
    return bp_store_txn_commit(txn, error);
}
