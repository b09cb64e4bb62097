/*
 * bp-store-checkpoints.c: checkpoint rows and their disks: add, redefine,
 * look up, state and the current pointer.  Tree queries and deletion are
 * in bp-store-checkpoint-tree.c.
 */
#include <config.h>

#include <string.h>

#include "store/bp-store-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

BP_ENUM_IMPL(bp_store_checkpoint_state, BP_STORE_CHECKPOINT_STATE_LAST,
             "pending", "ready", "broken", "deleting")


BpStoreCheckpointDisk *
bp_store_checkpoint_disk_new(const char *target, const char *bitmap,
                             guint64 granularity, guint64 size)
{
    BpStoreCheckpointDisk *disk = g_new0(BpStoreCheckpointDisk, 1);

    disk->target = g_strdup(target);
    disk->bitmap = g_strdup(bitmap);
    disk->included = bitmap != NULL;
    disk->granularity = granularity;
    disk->size = size;
    return disk;
}


void
bp_store_checkpoint_disk_free(BpStoreCheckpointDisk *disk)
{
    if (!disk)
        return;
    g_free(disk->target);
    g_free(disk->bitmap);
    g_free(disk);
}


BpStoreCheckpoint *
bp_store_checkpoint_new(gint64 domain_id, const char *name)
{
    BpStoreCheckpoint *chk = g_new0(BpStoreCheckpoint, 1);

    chk->domain_id = domain_id;
    chk->name = g_strdup(name);
    chk->disks = g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_checkpoint_disk_free);
    return chk;
}


void
bp_store_checkpoint_free(BpStoreCheckpoint *chk)
{
    if (!chk)
        return;
    g_free(chk->name);
    g_free(chk->parent);
    g_free(chk->description);
    g_free(chk->domain_xml);
    g_free(chk->reason);
    if (chk->disks)
        g_ptr_array_unref(chk->disks);
    g_free(chk);
}


BpStoreCheckpoint *
bp_store_checkpoint_from_row(sqlite3_stmt *stmt)
{
    BpStoreCheckpoint *chk = g_new0(BpStoreCheckpoint, 1);

    chk->id = sqlite3_column_int64(stmt, 0);
    chk->domain_id = sqlite3_column_int64(stmt, 1);
    chk->name = bp_store_column_dup(stmt, 2);
    chk->parent = bp_store_column_dup(stmt, 3);
    chk->creation_time = sqlite3_column_int64(stmt, 4);
    chk->description = bp_store_column_dup(stmt, 5);
    chk->domain_xml = bp_store_column_dup(stmt, 6);
    chk->current = sqlite3_column_int(stmt, 7) != 0;
    chk->state = bp_store_column_enum(stmt, 8, bp_store_checkpoint_state_from_string,
                                      BP_STORE_CHECKPOINT_BROKEN);
    chk->reason = bp_store_column_dup(stmt, 9);
    return chk;
}


int
bp_store_checkpoint_find(BpStore *store, gint64 domain_id, const char *name,
                         BpStoreCheckpointRef *ref, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    int rc;

    stmt = bp_store_prepare(store,
                            "SELECT id, parent_id, is_current FROM checkpoints"
                            " WHERE domain_id = ?1 AND name = ?2", error);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, domain_id);
    bp_store_bind_text(stmt, 2, name);
    rc = bp_store_step(store, stmt, _("cannot look up a checkpoint"), error);
    if (rc < 0)
        return -1;
    if (rc == SQLITE_DONE)
        return 0;
    ref->id = sqlite3_column_int64(stmt, 0);
    ref->parent_id = sqlite3_column_int64(stmt, 1);
    ref->current = sqlite3_column_int(stmt, 2) != 0;
    return 1;
}


gboolean
bp_store_checkpoint_require(BpStore *store, gint64 domain_id, const char *name,
                            BpStoreCheckpointRef *ref, GError **error)
{
    int found = bp_store_checkpoint_find(store, domain_id, name, ref, error);

    if (found == 0) {
        g_autofree char *dom = bp_store_domain_label(store, domain_id);

        g_set_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT,
                    _("no domain checkpoint with matching name '%s' in domain '%s'"), name, dom);
    }
    return found == 1;
}


gboolean
bp_store_checkpoint_load_disks(BpStore *store, BpStoreCheckpoint **chks, guint n,
                               GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    if (n == 0)
        return TRUE;
    stmt = bp_store_prepare(store,
                            "SELECT target, included, bitmap, granularity, size"
                            " FROM checkpoint_disks WHERE checkpoint_id = ?1"
                            " ORDER BY position", error);
    if (!stmt)
        return FALSE;
    for (guint i = 0; i < n; i++) {
        BpStoreCheckpoint *chk = chks[i];
        int rc;

        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, chk->id);
        if (chk->disks)
            g_ptr_array_set_size(chk->disks, 0);
        else
            chk->disks =
                g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_checkpoint_disk_free);
        while ((rc = bp_store_step(store, stmt, _("cannot read checkpoint disks"),
                                   error)) == SQLITE_ROW) {
            BpStoreCheckpointDisk *disk = g_new0(BpStoreCheckpointDisk, 1);

            disk->target = bp_store_column_dup(stmt, 0);
            disk->included = sqlite3_column_int(stmt, 1) != 0;
            disk->bitmap = bp_store_column_dup(stmt, 2);
            disk->granularity = sqlite3_column_int64(stmt, 3);
            disk->size = sqlite3_column_int64(stmt, 4);
            g_ptr_array_add(chk->disks, disk);
        }
        if (rc < 0)
            return FALSE;
    }
    return TRUE;
}


gboolean
bp_store_checkpoint_make_current(BpStore *store, gint64 domain_id, gint64 id,
                                 GError **error)
{
    g_autoptr(sqlite3_stmt) clear = NULL;
    g_autoptr(sqlite3_stmt) set = NULL;

    /* Two statements: the partial unique index allows one current row
     * per domain at every moment, also within one UPDATE. */
    clear = bp_store_prepare(store,
                             "UPDATE checkpoints SET is_current = 0"
                             " WHERE domain_id = ?1 AND is_current AND id <> ?2", error);
    if (!clear)
        return FALSE;
    sqlite3_bind_int64(clear, 1, domain_id);
    sqlite3_bind_int64(clear, 2, id);
    if (!bp_store_step_done(store, clear, _("cannot change the current checkpoint"), error))
        return FALSE;
    if (id <= 0)
        return TRUE;
    set = bp_store_prepare(store,
                           "UPDATE checkpoints SET is_current = 1"
                           " WHERE domain_id = ?1 AND id = ?2", error);
    if (!set)
        return FALSE;
    sqlite3_bind_int64(set, 1, domain_id);
    sqlite3_bind_int64(set, 2, id);
    return bp_store_step_done(store, set, _("cannot change the current checkpoint"), error);
}


/* Checks what SQL would refuse anyway, to say it in words. */
static gboolean
bp_store_checkpoint_validate(const BpStoreCheckpoint *chk, GError **error)
{
    g_autoptr(GHashTable) targets = g_hash_table_new(g_str_hash, g_str_equal);

    if (!chk->name || !*chk->name) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("a checkpoint needs a name"));
        return FALSE;
    }
    if (!bp_store_checkpoint_state_to_string(chk->state)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("invalid state %d for checkpoint '%s'"), chk->state, chk->name);
        return FALSE;
    }
    if (g_strcmp0(chk->name, chk->parent) == 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("cannot set checkpoint '%s' as its own parent"), chk->name);
        return FALSE;
    }
    for (guint i = 0; chk->disks && i < chk->disks->len; i++) {
        const BpStoreCheckpointDisk *disk = g_ptr_array_index(chk->disks, i);

        if (!disk->target || !*disk->target) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("disk %u of checkpoint '%s' has no target"), i, chk->name);
            return FALSE;
        }
        if (!g_hash_table_add(targets, disk->target)) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("disk '%s' is listed twice in checkpoint '%s'"),
                        disk->target, chk->name);
            return FALSE;
        }
        if (disk->included && !disk->bitmap) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("disk '%s' of checkpoint '%s' is included but has no bitmap"),
                        disk->target, chk->name);
            return FALSE;
        }
    }
    return TRUE;
}


static gboolean
bp_store_checkpoint_insert_disks(BpStore *store, gint64 id, GPtrArray *disks,
                                 GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    if (!disks || disks->len == 0)
        return TRUE;
    stmt = bp_store_prepare(store,
                            "INSERT INTO checkpoint_disks (checkpoint_id, position,"
                            " target, included, bitmap, granularity, size)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", error);
    if (!stmt)
        return FALSE;
    for (guint i = 0; i < disks->len; i++) {
        const BpStoreCheckpointDisk *disk = g_ptr_array_index(disks, i);

        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, i);
        bp_store_bind_text(stmt, 3, disk->target);
        sqlite3_bind_int(stmt, 4, disk->included ? 1 : 0);
        bp_store_bind_text(stmt, 5, disk->included ? disk->bitmap : NULL);
        bp_store_bind_int64(stmt, 6, (gint64) disk->granularity);
        bp_store_bind_int64(stmt, 7, (gint64) disk->size);
        if (!bp_store_step_done(store, stmt, _("cannot add a checkpoint disk"), error))
            return FALSE;
    }
    return TRUE;
}


/* Resolves chk->parent to a row id (0 for none): BP_ERROR_INVALID_ARGUMENT
 * when it does not exist, as libvirt reports it. */
static gboolean
bp_store_checkpoint_resolve_parent(BpStore *store, const BpStoreCheckpoint *chk,
                                   BpStoreCheckpointRef *parent, GError **error)
{
    int found;

    memset(parent, 0, sizeof(*parent));
    if (!chk->parent)
        return TRUE;
    found = bp_store_checkpoint_find(store, chk->domain_id, chk->parent, parent, error);
    if (found < 0)
        return FALSE;
    if (found == 0) {
        g_autofree char *dom = bp_store_domain_label(store, chk->domain_id);

        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("parent '%s' for checkpoint '%s' not found in domain '%s'"),
                    chk->parent, chk->name, dom);
        return FALSE;
    }
    return TRUE;
}


/* Inserts the checkpoint row (not current) and returns its id, 0 on error. */
static gint64
bp_store_checkpoint_insert(BpStore *store, const BpStoreCheckpoint *chk,
                           gint64 parent_id, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    stmt = bp_store_prepare(store,
                            "INSERT INTO checkpoints (domain_id, name, parent_id,"
                            " creation_time, description, domain_xml, state, reason)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", error);
    if (!stmt)
        return 0;
    sqlite3_bind_int64(stmt, 1, chk->domain_id);
    bp_store_bind_text(stmt, 2, chk->name);
    bp_store_bind_id(stmt, 3, parent_id);
    sqlite3_bind_int64(stmt, 4, chk->creation_time);
    bp_store_bind_text(stmt, 5, chk->description);
    bp_store_bind_text(stmt, 6, chk->domain_xml);
    bp_store_bind_text(stmt, 7, bp_store_checkpoint_state_to_string(chk->state));
    bp_store_bind_text(stmt, 8, chk->reason);
    if (!bp_store_step_done(store, stmt, _("cannot add a checkpoint"), error))
        return 0;
    return sqlite3_last_insert_rowid(store->db);
}


gboolean
bp_store_checkpoint_add(BpStore *store, BpStoreCheckpoint *chk, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    BpStoreCheckpointRef existing;
    BpStoreCheckpointRef parent;
    gint64 id;
    int found;

    if (!bp_store_checkpoint_validate(chk, error))
        return FALSE;
    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if (!bp_store_domain_check(store, chk->domain_id, error))
        return FALSE;
    found = bp_store_checkpoint_find(store, chk->domain_id, chk->name, &existing, error);
    if (found < 0)
        return FALSE;
    if (found > 0) {
        g_autofree char *dom = bp_store_domain_label(store, chk->domain_id);

        g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                    _("checkpoint '%s' already exists in domain '%s'"), chk->name, dom);
        return FALSE;
    }
    if (!bp_store_checkpoint_resolve_parent(store, chk, &parent, error))
        return FALSE;
    if (!(id = bp_store_checkpoint_insert(store, chk, parent.id, error)))
        return FALSE;
    if (!bp_store_checkpoint_insert_disks(store, id, chk->disks, error))
        return FALSE;
    if (chk->current && !bp_store_checkpoint_make_current(store, chk->domain_id, id, error))
        return FALSE;
    if (!bp_store_txn_commit(txn, error))
        return FALSE;
    chk->id = id;
    return TRUE;
}


/* Sets *@cycle when making @new_parent_id the parent of @id would make
 * @id its own ancestor: when @id is @new_parent_id or one of its
 * ancestors.  (The schema's trigger refuses it too; this says it in
 * words.) */
static gboolean
bp_store_checkpoint_would_cycle(BpStore *store, gint64 id, gint64 new_parent_id,
                                gboolean *cycle, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    stmt = bp_store_prepare(store,
                            "WITH RECURSIVE up(id) AS ("
                            "  SELECT ?1"
                            "  UNION"
                            "  SELECT k.parent_id FROM up JOIN checkpoints k ON k.id = up.id"
                            "  WHERE k.parent_id IS NOT NULL)"
                            " SELECT EXISTS (SELECT 1 FROM up WHERE id = ?2)", error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, new_parent_id);
    sqlite3_bind_int64(stmt, 2, id);
    if (bp_store_step(store, stmt, _("cannot walk the checkpoint tree"), error) != SQLITE_ROW)
        return FALSE;
    *cycle = sqlite3_column_int(stmt, 0) != 0;
    return TRUE;
}


/* Rewrites the definition of the existing row @id (keeping its children). */
static gboolean
bp_store_checkpoint_replace(BpStore *store, gint64 id, const BpStoreCheckpoint *chk,
                            gint64 parent_id, GError **error)
{
    g_autoptr(sqlite3_stmt) update = NULL;
    g_autoptr(sqlite3_stmt) drop = NULL;

    update = bp_store_prepare(store,
                              "UPDATE checkpoints SET parent_id = ?2, creation_time = ?3,"
                              " description = ?4, domain_xml = ?5, state = ?6, reason = ?7"
                              " WHERE id = ?1", error);
    if (!update)
        return FALSE;
    sqlite3_bind_int64(update, 1, id);
    bp_store_bind_id(update, 2, parent_id);
    sqlite3_bind_int64(update, 3, chk->creation_time);
    bp_store_bind_text(update, 4, chk->description);
    bp_store_bind_text(update, 5, chk->domain_xml);
    bp_store_bind_text(update, 6, bp_store_checkpoint_state_to_string(chk->state));
    bp_store_bind_text(update, 7, chk->reason);
    if (!bp_store_step_done(store, update, _("cannot redefine a checkpoint"), error))
        return FALSE;
    drop = bp_store_prepare(store, "DELETE FROM checkpoint_disks WHERE checkpoint_id = ?1",
                            error);
    if (!drop)
        return FALSE;
    sqlite3_bind_int64(drop, 1, id);
    if (!bp_store_step_done(store, drop, _("cannot redefine a checkpoint"), error))
        return FALSE;
    return bp_store_checkpoint_insert_disks(store, id, chk->disks, error);
}


/* TRUE in *@has when the domain has a current checkpoint. */
static gboolean
bp_store_checkpoint_has_current(BpStore *store, gint64 domain_id, gboolean *has,
                                GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    stmt = bp_store_prepare(store,
                            "SELECT EXISTS (SELECT 1 FROM checkpoints"
                            " WHERE domain_id = ?1 AND is_current)", error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, domain_id);
    if (bp_store_step(store, stmt, _("cannot look up the current checkpoint"), error) != SQLITE_ROW)
        return FALSE;
    *has = sqlite3_column_int(stmt, 0) != 0;
    return TRUE;
}


gboolean
bp_store_checkpoint_redefine(BpStore *store, BpStoreCheckpoint *chk,
                             gboolean *became_current, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    BpStoreCheckpointRef existing = { 0 };
    BpStoreCheckpointRef parent;
    gboolean has_current = FALSE;
    gboolean update_current;
    gint64 id;
    int found;

    if (!bp_store_checkpoint_validate(chk, error))
        return FALSE;
    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if (!bp_store_domain_check(store, chk->domain_id, error))
        return FALSE;
    if (!bp_store_checkpoint_resolve_parent(store, chk, &parent, error))
        return FALSE;
    found = bp_store_checkpoint_find(store, chk->domain_id, chk->name, &existing, error);
    if (found < 0)
        return FALSE;
    if (found > 0 && parent.id) {
        gboolean cycle = FALSE;

        if (!bp_store_checkpoint_would_cycle(store, existing.id, parent.id, &cycle, error))
            return FALSE;
        if (cycle) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("parent '%s' would create a cycle to checkpoint '%s'"),
                        chk->parent, chk->name);
            return FALSE;
        }
    }
    if (!bp_store_checkpoint_has_current(store, chk->domain_id, &has_current, error))
        return FALSE;
    update_current = (parent.id && parent.current) || !has_current;

    if (found > 0) {
        id = existing.id;
        if (!bp_store_checkpoint_replace(store, id, chk, parent.id, error))
            return FALSE;
    } else {
        if (!(id = bp_store_checkpoint_insert(store, chk, parent.id, error)))
            return FALSE;
        if (!bp_store_checkpoint_insert_disks(store, id, chk->disks, error))
            return FALSE;
    }
    if (update_current &&
        !bp_store_checkpoint_make_current(store, chk->domain_id, id, error))
        return FALSE;
    if (!bp_store_txn_commit(txn, error))
        return FALSE;
    chk->id = id;
    chk->current = update_current || existing.current;
    if (became_current)
        *became_current = update_current;
    return TRUE;
}


/* Runs a one-checkpoint query (with ?9 bound by us) and loads the disks. */
static BpStoreCheckpoint *
bp_store_checkpoint_fetch(BpStore *store, sqlite3_stmt *stmt, GError **error)
{
    g_autoptr(BpStoreCheckpoint) chk = NULL;
    int rc;

    sqlite3_bind_int(stmt, 9, 1);
    rc = bp_store_step(store, stmt, _("cannot look up a checkpoint"), error);
    if (rc != SQLITE_ROW)
        return NULL;
    chk = bp_store_checkpoint_from_row(stmt);
    if (!bp_store_checkpoint_load_disks(store, &chk, 1, error))
        return NULL;
    return g_steal_pointer(&chk);
}


BpStoreCheckpoint *
bp_store_checkpoint_get(BpStore *store, gint64 domain_id, const char *name,
                        GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    g_autoptr(GError) local = NULL;
    BpStoreCheckpoint *chk;

    stmt = bp_store_prepare(store,
                            "SELECT " BP_STORE_CHECKPOINT_COLUMNS
                            " FROM checkpoints c" BP_STORE_CHECKPOINT_PARENT_JOIN
                            " WHERE c.domain_id = ?1 AND c.name = ?2", error);
    if (!stmt)
        return NULL;
    sqlite3_bind_int64(stmt, 1, domain_id);
    bp_store_bind_text(stmt, 2, name);
    if (!(chk = bp_store_checkpoint_fetch(store, stmt, &local))) {
        if (local) {
            g_propagate_error(error, g_steal_pointer(&local));
        } else {
            g_autofree char *dom = bp_store_domain_label(store, domain_id);

            g_set_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT,
                        _("no domain checkpoint with matching name '%s' in domain '%s'"), name, dom);
        }
    }
    return chk;
}


BpStoreCheckpoint *
bp_store_checkpoint_get_current(BpStore *store, gint64 domain_id, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    stmt = bp_store_prepare(store,
                            "SELECT " BP_STORE_CHECKPOINT_COLUMNS
                            " FROM checkpoints c" BP_STORE_CHECKPOINT_PARENT_JOIN
                            " WHERE c.domain_id = ?1 AND c.is_current", error);
    if (!stmt)
        return NULL;
    sqlite3_bind_int64(stmt, 1, domain_id);
    return bp_store_checkpoint_fetch(store, stmt, error);
}


gint64
bp_store_checkpoint_count(BpStore *store, gint64 domain_id, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    stmt = bp_store_prepare(store, "SELECT count(*) FROM checkpoints WHERE domain_id = ?1",
                            error);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, domain_id);
    if (bp_store_step(store, stmt, _("cannot count checkpoints"), error) != SQLITE_ROW)
        return -1;
    return sqlite3_column_int64(stmt, 0);
}


gboolean
bp_store_checkpoint_set_state(BpStore *store, gint64 domain_id, const char *name,
                              BpStoreCheckpointState state, const char *reason,
                              GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(sqlite3_stmt) stmt = NULL;
    BpStoreCheckpointRef ref;

    if (!bp_store_checkpoint_state_to_string(state)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("invalid state %d for checkpoint '%s'"), state, name);
        return FALSE;
    }
    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if (!bp_store_checkpoint_require(store, domain_id, name, &ref, error))
        return FALSE;
    stmt = bp_store_prepare(store, "UPDATE checkpoints SET state = ?2, reason = ?3 WHERE id = ?1",
                            error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, ref.id);
    bp_store_bind_text(stmt, 2, bp_store_checkpoint_state_to_string(state));
    bp_store_bind_text(stmt, 3, reason);
    if (!bp_store_step_done(store, stmt, _("cannot change a checkpoint's state"), error))
        return FALSE;
    return bp_store_txn_commit(txn, error);
}


gboolean
bp_store_checkpoint_set_current(BpStore *store, gint64 domain_id, const char *name,
                                GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    BpStoreCheckpointRef ref = { 0 };

    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if (!bp_store_domain_check(store, domain_id, error))
        return FALSE;
    if (name && !bp_store_checkpoint_require(store, domain_id, name, &ref, error))
        return FALSE;
    if (!bp_store_checkpoint_make_current(store, domain_id, ref.id, error))
        return FALSE;
    return bp_store_txn_commit(txn, error);
}
