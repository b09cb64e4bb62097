/*
 * bp-checkpoint-reconcile.c: putting the catalogue and the images back
 * in agreement (see bp_checkpoint_ops_reconcile_async()).
 *
 * One graph read, then at most one batch of bitmap removals (the partial
 * bitmaps of interrupted creations, what interrupted deletions left),
 * then one catalogue transaction with every row change.
 */
#include <config.h>

#include "bp-backup-leftovers.h"
#include "bp-backup-ops.h"
#include "bp-checkpoint-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

typedef struct {
    BpStore *store;
    gint64 domain_id;
    BpBlockAccess *access;
    GPtrArray *rows;            /* BpStoreCheckpoint* */
    GPtrArray *jobs;            /* BpStoreJob*: this domain's creations and
                                 * interrupted backups */
    BpBlockGraph *graph;
    GPtrArray *actions;         /* BpPlanAction*: removals */
    GPtrArray *reopen;          /* char* */
    GHashTable *drop;           /* names of pending rows to remove */
    guint changed;
} BpCkptReconcile;


static void
bp_ckpt_reconcile_free(BpCkptReconcile *op)
{
    bp_block_access_unref(op->access);
    if (op->rows)
        g_ptr_array_unref(op->rows);
    if (op->jobs)
        g_ptr_array_unref(op->jobs);
    bp_block_graph_free(op->graph);
    g_ptr_array_unref(op->actions);
    g_ptr_array_unref(op->reopen);
    g_hash_table_unref(op->drop);
    g_free(op);
}


static void
bp_ckpt_reconcile_return(GTask *task, GError *error)
{
    if (error)
        g_task_return_error(task, error);
    else
        g_task_return_boolean(task, TRUE);
    g_object_unref(task);
}


/* The backup @id was interrupted (the process running it ended): its
 * row says failed. */
static gboolean
bp_ckpt_reconcile_backup_failed(BpCkptReconcile *op, gint64 id, GError **error)
{
    g_autoptr(BpStoreBackup) backup = NULL;

    if (!(backup = bp_store_backup_get(op->store, id, error)))
        return FALSE;
    if (backup->status != BP_STORE_BACKUP_RUNNING)
        return TRUE;
    op->changed++;
    g_message("domain %s: backup %lld was interrupted; recorded as failed",
              bp_block_access_get_def(op->access)->name, (long long) id);
    backup->status = BP_STORE_BACKUP_FAILED;
    g_free(backup->error);
    backup->error = g_strdup(_("interrupted: the process running the backup ended"));
    backup->end_time = g_get_real_time() / G_USEC_PER_SEC;
    return bp_store_backup_update(op->store, backup, error);
}


/* How many of @row's disks that the graph knows have its bitmap on
 * their top layer (*@present) out of how many (*@total). */
static void
bp_ckpt_count_top_bitmaps(const BpBlockGraph *graph, const BpStoreCheckpoint *row,
                          guint *present, guint *total)
{
    *present = *total = 0;
    for (guint i = 0; row->disks && i < row->disks->len; i++) {
        const BpStoreCheckpointDisk *disk = g_ptr_array_index(row->disks, i);
        BpBlockDisk *gdisk;

        if (!disk->included || !disk->bitmap ||
            !(gdisk = bp_block_graph_get_disk(graph, disk->target)) ||
            gdisk->chain->len == 0)
            continue;
        (*total)++;
        if (bp_block_node_find_bitmap(g_ptr_array_index(gdisk->chain, 0), disk->bitmap))
            (*present)++;
    }
}


/* Makes @row current when the checkpoint that was current when it was
 * created (its parent) still is, or none is. */
static gboolean
bp_ckpt_reconcile_current(BpCkptReconcile *op, const BpStoreCheckpoint *row, GError **error)
{
    g_autoptr(BpStoreCheckpoint) current = NULL;
    g_autoptr(GError) local = NULL;

    current = bp_store_checkpoint_get_current(op->store, op->domain_id, &local);
    if (local) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    if (current && g_strcmp0(current->name, row->parent) != 0)
        return TRUE;
    return bp_store_checkpoint_set_current(op->store, op->domain_id, row->name, error);
}


/* Sets @row's state from its chains: ready, or broken with the reason.
 * A broken checkpoint stays broken. */
static gboolean
bp_ckpt_reconcile_validity(BpCkptReconcile *op, const BpStoreCheckpoint *row,
                           GError **error)
{
    g_autofree char *reason = bp_checkpoint_invalid_reason(op->graph, row);
    BpStoreCheckpointState state = reason ? BP_STORE_CHECKPOINT_BROKEN
                                          : BP_STORE_CHECKPOINT_READY;

    if (state == row->state)
        return TRUE;
    op->changed++;
    g_message("domain %s: checkpoint '%s' is %s%s%s",
              bp_block_access_get_def(op->access)->name, row->name,
              bp_store_checkpoint_state_to_string(state), reason ? ": " : "",
              reason ? reason : "");
    return bp_store_checkpoint_set_state(op->store, op->domain_id, row->name, state,
                                         reason, error);
}


/* The row changes, in one transaction.  @removed says whether the
 * removals were carried out (otherwise interrupted creations and
 * deletions are left for the next time). */
static gboolean
bp_ckpt_reconcile_commit(BpCkptReconcile *op, gboolean removed, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(GHashTable) settled = g_hash_table_new(g_str_hash, g_str_equal);

    if (!(txn = bp_store_txn_begin(op->store, error)))
        return FALSE;

    for (guint i = 0; removed && i < op->jobs->len; i++) {
        const BpStoreJob *job = g_ptr_array_index(op->jobs, i);
        BpStoreCheckpoint *row = job->checkpoint ? bp_checkpoint_rows_find(op->rows,
                                                                           job->checkpoint)
                                                 : NULL;

        if (row && row->state == BP_STORE_CHECKPOINT_PENDING) {
            g_hash_table_add(settled, row->name);
            if (g_hash_table_contains(op->drop, row->name)) {
                op->changed++;
                g_message("domain %s: checkpoint '%s' was not finished; removed",
                          bp_block_access_get_def(op->access)->name, row->name);
                if (!bp_store_checkpoint_delete(op->store, op->domain_id, row->name,
                                                BP_STORE_DELETE_SINGLE, error))
                    return FALSE;
            } else {
                if (!bp_ckpt_reconcile_validity(op, row, error) ||
                    !bp_ckpt_reconcile_current(op, row, error))
                    return FALSE;
            }
        }
        if (g_str_equal(job->kind, BP_BACKUP_JOB_KIND) && job->backup_id &&
            !bp_ckpt_reconcile_backup_failed(op, job->backup_id, error))
            return FALSE;
        if (!bp_store_job_remove(op->store, job->id, error))
            return FALSE;
    }

    /* Interrupted deletions, children before parents, each with the
     * re-parenting of a single delete: the same tree and current
     * checkpoint as the interrupted delete would have left. */
    for (guint i = op->rows->len; removed && i-- > 0;) {
        const BpStoreCheckpoint *row = g_ptr_array_index(op->rows, i);

        if (row->state != BP_STORE_CHECKPOINT_DELETING)
            continue;
        op->changed++;
        g_hash_table_add(settled, row->name);
        if (!bp_store_checkpoint_delete(op->store, op->domain_id, row->name,
                                        BP_STORE_DELETE_SINGLE, error))
            return FALSE;
    }

    for (guint i = 0; i < op->rows->len; i++) {
        const BpStoreCheckpoint *row = g_ptr_array_index(op->rows, i);

        if (g_hash_table_contains(settled, row->name) ||
            (row->state != BP_STORE_CHECKPOINT_READY &&
             row->state != BP_STORE_CHECKPOINT_PENDING))
            continue;
        /* A pending row whose creation job is gone was redefined before
         * the images could be looked at. */
        if (!bp_ckpt_reconcile_validity(op, row, error))
            return FALSE;
    }
    return bp_store_txn_commit(txn, error);
}


static void
bp_ckpt_reconcile_removed_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                             gpointer user_data)
{
    GTask *task = user_data;
    BpCkptReconcile *op = g_task_get_task_data(task);
    GError *err = NULL;
    GError *commit = NULL;
    gboolean removed;

    removed = bp_checkpoint_run_actions_finish(result, &err);
    if (!bp_ckpt_reconcile_commit(op, removed, &commit)) {
        g_clear_error(&err);
        err = commit;
    }
    bp_ckpt_reconcile_return(task, err);
}


static void
bp_ckpt_reconcile_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                           gpointer user_data)
{
    GTask *task = user_data;
    BpCkptReconcile *op = g_task_get_task_data(task);
    GError *err = NULL;

    if (!(op->graph = bp_block_access_read_graph_finish(result, &err))) {
        g_prefix_error(&err, _("cannot check the checkpoints of domain '%s': "),
                       bp_block_access_get_def(op->access)->name);
        bp_ckpt_reconcile_return(task, err);
        return;
    }

    /* Interrupted creations: all bitmaps there, the row stays (and is
     * checked below); some or none, they go with the row. */
    for (guint i = 0; i < op->jobs->len; i++) {
        const BpStoreJob *job = g_ptr_array_index(op->jobs, i);
        BpStoreCheckpoint *row = job->checkpoint ? bp_checkpoint_rows_find(op->rows,
                                                                           job->checkpoint)
                                                 : NULL;
        guint present, total;

        if (!row || row->state != BP_STORE_CHECKPOINT_PENDING)
            continue;
        bp_ckpt_count_top_bitmaps(op->graph, row, &present, &total);
        /* A checkpoint created with a backup is only usable when the
         * backup concluded; an interrupted one never did. */
        if (present == total && !g_str_equal(job->kind, BP_BACKUP_JOB_KIND))
            continue;
        g_hash_table_add(op->drop, row->name);
        bp_checkpoint_removals(op->graph, row, TRUE, op->actions, NULL);
    }
    /* Interrupted deletions: what is left of their bitmaps. */
    for (guint i = 0; i < op->rows->len; i++) {
        const BpStoreCheckpoint *row = g_ptr_array_index(op->rows, i);

        if (row->state == BP_STORE_CHECKPOINT_DELETING)
            bp_checkpoint_removals(op->graph, row, FALSE, op->actions, op->reopen);
    }
    bp_checkpoint_run_actions_async(op->access, op->graph, op->reopen, op->actions,
                                    g_task_get_cancellable(task),
                                    bp_ckpt_reconcile_removed_cb, task);
}


static void
bp_ckpt_reconcile_cleaned_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                             gpointer user_data)
{
    GTask *task = user_data;
    BpCkptReconcile *op = g_task_get_task_data(task);
    guint removed = bp_backup_leftovers_clean_finish(result);

    if (removed > 0) {
        op->changed += removed;
        g_message("domain %s: removed %u things interrupted backups had created",
                  bp_block_access_get_def(op->access)->name, removed);
    }
    if (op->rows->len == 0 && op->jobs->len == 0) {
        bp_ckpt_reconcile_return(task, NULL);
        return;
    }
    bp_block_access_read_graph_async(op->access, g_task_get_cancellable(task),
                                     bp_ckpt_reconcile_graph_cb, task);
}


void
bp_checkpoint_ops_reconcile_async(BpStore *store,
                                  gint64 domain_id,
                                  BpBlockAccess *access,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpCkptReconcile *op = g_new0(BpCkptReconcile, 1);
    g_autoptr(GPtrArray) jobs = NULL;
    g_autofree char *stale = NULL;
    GError *err = NULL;

    g_task_set_source_tag(task, bp_checkpoint_ops_reconcile_async);
    op->store = store;
    op->domain_id = domain_id;
    op->access = bp_block_access_ref(access);
    op->actions = g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_action_free);
    op->reopen = g_ptr_array_new_with_free_func(g_free);
    op->drop = g_hash_table_new(g_str_hash, g_str_equal);
    op->jobs = g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_job_free);
    g_task_set_task_data(task, op, (GDestroyNotify) bp_ckpt_reconcile_free);

    if (!(op->rows = bp_checkpoint_rows(store, domain_id, &err)) ||
        !(jobs = bp_store_job_list_unfinished(store, &err))) {
        bp_ckpt_reconcile_return(task, err);
        return;
    }
    for (guint i = 0; i < jobs->len; i++) {
        BpStoreJob *job = g_ptr_array_index(jobs, i);

        if (job->domain_id == domain_id &&
            (g_strcmp0(job->kind, BP_CHECKPOINT_JOB_CREATE) == 0 ||
             (g_strcmp0(job->kind, BP_BACKUP_JOB_KIND) == 0 &&
              !bp_backup_ops_is_running(domain_id))))
            g_ptr_array_add(op->jobs, g_ptr_array_steal_index(jobs, i--));
    }
    /* What interrupted backups created goes first, so that the graph
     * read below no longer has their nodes and temporary bitmaps; a
     * shut-off domain's temporary daemon goes even without a record
     * (its backup ended before it wrote its rows). */
    if (bp_block_access_get_kind(access) == BP_BLOCK_ACCESS_OFFLINE &&
        !bp_backup_ops_is_running(domain_id))
        stale = g_build_filename(bp_block_access_get_config(access)->runtime_dir,
                                 BP_BACKUP_TEMP_SUBDIR, NULL);
    bp_backup_leftovers_clean_jobs_async(op->jobs, bp_block_access_get_monitor(access),
                                         stale, bp_ckpt_reconcile_cleaned_cb, task);
}


gboolean
bp_checkpoint_ops_reconcile_finish(GAsyncResult *result, guint *changed, GError **error)
{
    BpCkptReconcile *op = g_task_get_task_data(G_TASK(result));

    g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
    if (changed)
        *changed = op->changed;
    return g_task_propagate_boolean(G_TASK(result), error);
}
