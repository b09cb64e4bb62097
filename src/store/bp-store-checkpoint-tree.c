/*
 * bp-store-checkpoint-tree.c: questions about a domain's checkpoint
 * forest (roots, leaves, children, descendants, ancestors, topological
 * order) and deletion with libvirt's re-parenting rules.
 *
 * Every question is one SQL statement, with recursive common table
 * expressions for the transitive ones, so answering it reads the rows it
 * returns (and their index entries), not the whole forest.
 */
#include <config.h>

#include "store/bp-store-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

/* A bound on recursion, in case a damaged database ever held a cycle
 * (the schema's trigger prevents one). */
#define BP_STORE_MAX_DEPTH "1000000"

/* ?4: only leaves; ?5: only checkpoints that have children. */
#define LEAF_FILTER \
    " AND (?4 = 0 OR NOT EXISTS (SELECT 1 FROM checkpoints l" \
    "      WHERE l.domain_id = c.domain_id AND l.parent_id = c.id))" \
    " AND (?5 = 0 OR EXISTS (SELECT 1 FROM checkpoints l" \
    "      WHERE l.domain_id = c.domain_id AND l.parent_id = c.id))"

/* Every checkpoint (?2 = 0), or those whose parent IS ?3 (NULL: the
 * roots), by creation. */
static const char bp_store_sql_flat[] =
    "SELECT " BP_STORE_CHECKPOINT_COLUMNS
    " FROM checkpoints c" BP_STORE_CHECKPOINT_PARENT_JOIN
    " WHERE c.domain_id = ?1 AND (?2 = 0 OR c.parent_id IS ?3)" LEAF_FILTER
    " ORDER BY c.creation_time, c.id";

/* Depth-first pre-order below ?3 (NULL: the whole forest).  The ORDER BY
 * inside the recursive part makes SQLite's queue a priority queue: the
 * deepest pending row comes out first, so a checkpoint's subtree is
 * finished before its next sibling, and siblings come out by creation.
 * That extraction order is only kept when the recursive table is read
 * alone (joined, SQLite may drop the ORDER BY as irrelevant and hand the
 * rows out in the order they were queued), so "ordered" numbers the rows
 * as they come out, and the outer query sorts on that number. */
static const char bp_store_sql_dfs[] =
    "WITH RECURSIVE tree(id, depth, ctime) AS ("
    "  SELECT id, 0, creation_time FROM checkpoints"
    "  WHERE domain_id = ?1 AND parent_id IS ?3"
    "  UNION ALL"
    "  SELECT k.id, tree.depth + 1, k.creation_time FROM tree"
    "  JOIN checkpoints k ON k.domain_id = ?1 AND k.parent_id = tree.id"
    "  WHERE tree.depth < " BP_STORE_MAX_DEPTH
    "  ORDER BY 2 DESC, 3, 1),"
    " ordered(id, seq) AS (SELECT id, row_number() OVER () FROM tree)"
    " SELECT " BP_STORE_CHECKPOINT_COLUMNS
    " FROM ordered JOIN checkpoints c ON c.id = ordered.id"
    BP_STORE_CHECKPOINT_PARENT_JOIN
    " WHERE 1" LEAF_FILTER
    " ORDER BY ordered.seq";

/* The ancestors of ?3, nearest first, or root first when ?6. */
static const char bp_store_sql_ancestors[] =
    "WITH RECURSIVE up(id, depth) AS ("
    "  SELECT parent_id, 1 FROM checkpoints"
    "  WHERE domain_id = ?1 AND id = ?3 AND parent_id IS NOT NULL"
    "  UNION ALL"
    "  SELECT k.parent_id, up.depth + 1 FROM up JOIN checkpoints k ON k.id = up.id"
    "  WHERE k.parent_id IS NOT NULL AND up.depth < " BP_STORE_MAX_DEPTH ")"
    " SELECT " BP_STORE_CHECKPOINT_COLUMNS
    " FROM up CROSS JOIN checkpoints c ON c.id = up.id"
    BP_STORE_CHECKPOINT_PARENT_JOIN
    " WHERE 1" LEAF_FILTER
    " ORDER BY CASE WHEN ?6 THEN -up.depth ELSE up.depth END";

/* The subtree rooted at ?2 (itself included) as "sub(id)". */
#define SUBTREE_CTE \
    "WITH RECURSIVE sub(id) AS (" \
    "  SELECT ?2" \
    "  UNION ALL" \
    "  SELECT k.id FROM sub JOIN checkpoints k" \
    "  ON k.domain_id = ?1 AND k.parent_id = sub.id)"


static gboolean
bp_store_checkpoint_list_check(BpStoreCheckpointScope scope, const char *of,
                               unsigned int flags, GError **error)
{
    gboolean needs_of = scope == BP_STORE_CHECKPOINTS_CHILDREN_OF ||
        scope == BP_STORE_CHECKPOINTS_DESCENDANTS_OF ||
        scope == BP_STORE_CHECKPOINTS_ANCESTORS_OF;

    if (scope > BP_STORE_CHECKPOINTS_ANCESTORS_OF) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("unknown checkpoint list scope %d"), scope);
        return FALSE;
    }
    if (needs_of != (of != NULL)) {
        if (needs_of)
            g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                                _("listing children, descendants or ancestors needs a checkpoint name"));
        else
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("checkpoint '%s' given for a list of all, or of the roots"), of);
        return FALSE;
    }
    if ((flags & BP_STORE_LIST_LEAVES) && (flags & BP_STORE_LIST_NO_LEAVES)) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("listing only leaves and only non-leaves are mutually exclusive"));
        return FALSE;
    }
    return TRUE;
}


/* Runs a list statement (all parameters bound) into a new array. */
static GPtrArray *
bp_store_checkpoint_collect(BpStore *store, sqlite3_stmt *stmt, gboolean disks,
                            GError **error)
{
    g_autoptr(GPtrArray) list =
        g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_checkpoint_free);
    int rc;

    while ((rc = bp_store_step(store, stmt, _("cannot list checkpoints"), error)) == SQLITE_ROW)
        g_ptr_array_add(list, bp_store_checkpoint_from_row(stmt));
    if (rc < 0)
        return NULL;
    if (disks && !bp_store_checkpoint_load_disks(store, (BpStoreCheckpoint **) list->pdata,
                                                 list->len, error))
        return NULL;
    return g_steal_pointer(&list);
}


GPtrArray *
bp_store_checkpoint_list(BpStore *store, gint64 domain_id,
                         BpStoreCheckpointScope scope, const char *of,
                         unsigned int flags, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    BpStoreCheckpointRef ref = { 0 };
    gboolean restrict_parent = FALSE;
    const char *sql = bp_store_sql_flat;

    if (!bp_store_checkpoint_list_check(scope, of, flags, error))
        return NULL;
    if (!bp_store_domain_check(store, domain_id, error))
        return NULL;
    if (of && !bp_store_checkpoint_require(store, domain_id, of, &ref, error))
        return NULL;

    switch (scope) {
    case BP_STORE_CHECKPOINTS_ALL:
        if (flags & BP_STORE_LIST_TOPOLOGICAL)
            sql = bp_store_sql_dfs;
        break;
    case BP_STORE_CHECKPOINTS_ROOTS:
    case BP_STORE_CHECKPOINTS_CHILDREN_OF:
        restrict_parent = TRUE;
        break;
    case BP_STORE_CHECKPOINTS_DESCENDANTS_OF:
        sql = bp_store_sql_dfs;
        break;
    case BP_STORE_CHECKPOINTS_ANCESTORS_OF:
        sql = bp_store_sql_ancestors;
        break;
    }

    if (!(stmt = bp_store_prepare(store, sql, error)))
        return NULL;
    sqlite3_bind_int64(stmt, 1, domain_id);
    sqlite3_bind_int(stmt, 2, restrict_parent ? 1 : 0);
    bp_store_bind_id(stmt, 3, ref.id);
    sqlite3_bind_int(stmt, 4, (flags & BP_STORE_LIST_LEAVES) ? 1 : 0);
    sqlite3_bind_int(stmt, 5, (flags & BP_STORE_LIST_NO_LEAVES) ? 1 : 0);
    sqlite3_bind_int(stmt, 6, (flags & BP_STORE_LIST_TOPOLOGICAL) ? 1 : 0);
    sqlite3_bind_int(stmt, 9, (flags & BP_STORE_LIST_DOMAIN_XML) ? 1 : 0);
    return bp_store_checkpoint_collect(store, stmt, flags & BP_STORE_LIST_DISKS, error);
}


GPtrArray *
bp_store_checkpoint_delete_plan(BpStore *store, gint64 domain_id,
                                const char *name, BpStoreDeleteMode mode,
                                GError **error)
{
    g_autoptr(GPtrArray) plan = NULL;

    if (mode > BP_STORE_DELETE_CHILDREN_ONLY) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("unknown checkpoint delete mode %d"), mode);
        return NULL;
    }
    if (mode == BP_STORE_DELETE_SINGLE) {
        plan = g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_checkpoint_free);
    } else {
        plan = bp_store_checkpoint_list(store, domain_id, BP_STORE_CHECKPOINTS_DESCENDANTS_OF,
                                        name, BP_STORE_LIST_DISKS, error);
        if (!plan)
            return NULL;
    }
    if (mode != BP_STORE_DELETE_CHILDREN_ONLY) {
        BpStoreCheckpoint *chk = bp_store_checkpoint_get(store, domain_id, name, error);

        if (!chk)
            return NULL;
        g_ptr_array_add(plan, chk);
    }
    return g_steal_pointer(&plan);
}


/* Sets *@found when the current checkpoint is in the subtree of @id
 * (with @id itself unless @exclude_root). */
static gboolean
bp_store_checkpoint_current_in_subtree(BpStore *store, gint64 domain_id, gint64 id,
                                       gboolean exclude_root, gboolean *found,
                                       GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    stmt = bp_store_prepare(store,
                            SUBTREE_CTE
                            " SELECT EXISTS (SELECT 1 FROM sub JOIN checkpoints c ON c.id = sub.id"
                            " WHERE c.is_current AND sub.id IS NOT ?3)", error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, domain_id);
    sqlite3_bind_int64(stmt, 2, id);
    bp_store_bind_id(stmt, 3, exclude_root ? id : 0);
    if (bp_store_step(store, stmt, _("cannot walk the checkpoint tree"), error) != SQLITE_ROW)
        return FALSE;
    *found = sqlite3_column_int(stmt, 0) != 0;
    return TRUE;
}


/* Deletes the subtree of @id in one statement (disk rows cascade; the
 * parent keys are checked when the statement ends, when every row of the
 * subtree is gone). */
static gboolean
bp_store_checkpoint_delete_subtree(BpStore *store, gint64 domain_id, gint64 id,
                                   gboolean exclude_root, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    stmt = bp_store_prepare(store,
                            "DELETE FROM checkpoints WHERE id IN ("
                            SUBTREE_CTE " SELECT id FROM sub WHERE id IS NOT ?3)",
                            error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, domain_id);
    sqlite3_bind_int64(stmt, 2, id);
    bp_store_bind_id(stmt, 3, exclude_root ? id : 0);
    return bp_store_step_done(store, stmt, _("cannot delete checkpoints"), error);
}


/* SINGLE: the children move to the deleted checkpoint's parent (or
 * become roots), then the row goes. */
static gboolean
bp_store_checkpoint_delete_single(BpStore *store, gint64 domain_id,
                                  const BpStoreCheckpointRef *ref, GError **error)
{
    g_autoptr(sqlite3_stmt) reparent = NULL;
    g_autoptr(sqlite3_stmt) drop = NULL;

    reparent = bp_store_prepare(store,
                                "UPDATE checkpoints SET parent_id = ?3"
                                " WHERE domain_id = ?1 AND parent_id = ?2", error);
    if (!reparent)
        return FALSE;
    sqlite3_bind_int64(reparent, 1, domain_id);
    sqlite3_bind_int64(reparent, 2, ref->id);
    bp_store_bind_id(reparent, 3, ref->parent_id);
    if (!bp_store_step_done(store, reparent, _("cannot re-parent checkpoints"), error))
        return FALSE;

    drop = bp_store_prepare(store, "DELETE FROM checkpoints WHERE id = ?1", error);
    if (!drop)
        return FALSE;
    sqlite3_bind_int64(drop, 1, ref->id);
    return bp_store_step_done(store, drop, _("cannot delete a checkpoint"), error);
}


gboolean
bp_store_checkpoint_delete(BpStore *store, gint64 domain_id, const char *name,
                           BpStoreDeleteMode mode, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    BpStoreCheckpointRef ref;
    gboolean current_below = FALSE;

    if (mode > BP_STORE_DELETE_CHILDREN_ONLY) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("unknown checkpoint delete mode %d"), mode);
        return FALSE;
    }
    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if (!bp_store_checkpoint_require(store, domain_id, name, &ref, error))
        return FALSE;

    switch (mode) {
    case BP_STORE_DELETE_SINGLE:
        if (!bp_store_checkpoint_delete_single(store, domain_id, &ref, error))
            return FALSE;
        /* The current checkpoint's parent takes over; a root leaves
         * none (its row, and so the flag, is gone). */
        if (ref.current && ref.parent_id &&
            !bp_store_checkpoint_make_current(store, domain_id, ref.parent_id, error))
            return FALSE;
        break;

    case BP_STORE_DELETE_CHILDREN:
        if (!bp_store_checkpoint_current_in_subtree(store, domain_id, ref.id, FALSE,
                                                    &current_below, error) ||
            !bp_store_checkpoint_delete_subtree(store, domain_id, ref.id, FALSE, error))
            return FALSE;
        if (current_below && ref.parent_id &&
            !bp_store_checkpoint_make_current(store, domain_id, ref.parent_id, error))
            return FALSE;
        break;

    case BP_STORE_DELETE_CHILDREN_ONLY:
        if (!bp_store_checkpoint_current_in_subtree(store, domain_id, ref.id, TRUE,
                                                    &current_below, error) ||
            !bp_store_checkpoint_delete_subtree(store, domain_id, ref.id, TRUE, error))
            return FALSE;
        if (current_below &&
            !bp_store_checkpoint_make_current(store, domain_id, ref.id, error))
            return FALSE;
        break;
    }
    return bp_store_txn_commit(txn, error);
}
