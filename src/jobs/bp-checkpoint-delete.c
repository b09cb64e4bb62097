/*
 * bp-checkpoint-delete.c: checkpoint-delete (see bp-checkpoint-ops.h).
 *
 * The rows to delete are marked "deleting" (one transaction), the
 * planner's removals run (one QMP transaction, with backing layers
 * reopened read-write around it; offline one qemu-img call per layer),
 * and the rows go (one transaction, with libvirt's re-parenting).  When
 * the removals fail the marks are taken back; when the process dies
 * after marking, reconciliation finishes the deletion.
 */
#include <config.h>

#include "bp-blockjob-ops.h"
#include "bp-checkpoint-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

typedef struct {
    BpStore *store;
    gint64 domain_id;
    BpBlockAccess *access;
    char *name;
    unsigned int flags;
    GPtrArray *rows;            /* BpStoreCheckpoint*: every checkpoint */
    GPtrArray *victims;         /* BpStoreCheckpoint* borrowed from @rows */
    BpBlockGraph *graph;
    BpPlan *plan;
} BpCkptDelete;


static void
bp_ckpt_delete_free(BpCkptDelete *op)
{
    bp_block_access_unref(op->access);
    g_free(op->name);
    if (op->rows)
        g_ptr_array_unref(op->rows);
    if (op->victims)
        g_ptr_array_unref(op->victims);
    bp_block_graph_free(op->graph);
    if (op->plan)
        bp_plan_free(op->plan);
    g_free(op);
}


static void
bp_ckpt_delete_return(GTask *task, GError *error)
{
    if (error)
        g_task_return_error(task, error);
    else
        g_task_return_boolean(task, TRUE);
    g_object_unref(task);
}


static BpStoreDeleteMode
bp_ckpt_delete_store_mode(unsigned int flags)
{
    if (flags & BP_CHECKPOINT_DELETE_CHILDREN)
        return BP_STORE_DELETE_CHILDREN;
    if (flags & BP_CHECKPOINT_DELETE_CHILDREN_ONLY)
        return BP_STORE_DELETE_CHILDREN_ONLY;
    return BP_STORE_DELETE_SINGLE;
}


static BpPlanDeleteMode
bp_ckpt_delete_plan_mode(unsigned int flags)
{
    if (flags & BP_CHECKPOINT_DELETE_CHILDREN)
        return BP_PLAN_DELETE_CHILDREN;
    if (flags & BP_CHECKPOINT_DELETE_CHILDREN_ONLY)
        return BP_PLAN_DELETE_CHILDREN_ONLY;
    return BP_PLAN_DELETE_SINGLE;
}


/* Marks every victim "deleting" (@restore FALSE) or gives each its
 * state and reason back (@restore TRUE), in one transaction. */
static gboolean
bp_ckpt_delete_mark(BpCkptDelete *op, gboolean restore, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;

    if (!(txn = bp_store_txn_begin(op->store, error)))
        return FALSE;
    for (guint i = 0; i < op->victims->len; i++) {
        const BpStoreCheckpoint *row = g_ptr_array_index(op->victims, i);

        if (!bp_store_checkpoint_set_state(op->store, op->domain_id, row->name,
                                           restore ? row->state : BP_STORE_CHECKPOINT_DELETING,
                                           restore ? row->reason : NULL, error))
            return FALSE;
    }
    return bp_store_txn_commit(txn, error);
}


static void
bp_ckpt_delete_applied_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                          gpointer user_data)
{
    GTask *task = user_data;
    BpCkptDelete *op = g_task_get_task_data(task);
    GError *err = NULL;
    g_autoptr(GError) restore = NULL;

    if (!bp_checkpoint_run_actions_finish(result, &err)) {
        if (!bp_ckpt_delete_mark(op, TRUE, &restore))
            g_warning("domain %s: checkpoints stay 'deleting' after a failed delete: %s",
                      bp_block_access_get_def(op->access)->name, restore->message);
        g_prefix_error(&err, _("cannot delete the bitmaps of checkpoint '%s': "), op->name);
        bp_ckpt_delete_return(task, err);
        return;
    }
    bp_checkpoint_hook("delete:applied", op->name);
    if (!bp_store_checkpoint_delete(op->store, op->domain_id, op->name,
                                    bp_ckpt_delete_store_mode(op->flags), &restore)) {
        err = g_error_new(BP_ERROR, BP_ERROR_CATALOGUE_PARTIAL,
                          _("the bitmaps of checkpoint '%s' were removed, but its record "
                            "was not (it stays 'deleting' until the daemon finishes it): %s"),
                          op->name, restore->message);
        bp_ckpt_delete_return(task, err);
        return;
    }
    bp_ckpt_delete_return(task, NULL);
}


static void
bp_ckpt_delete_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                        gpointer user_data)
{
    GTask *task = user_data;
    BpCkptDelete *op = g_task_get_task_data(task);
    g_autoptr(BpPlanCatalogue) cat = NULL;
    g_autoptr(GPtrArray) list = NULL;
    GError *err = NULL;

    if (!(op->graph = bp_block_access_read_graph_finish(result, &err))) {
        bp_ckpt_delete_return(task, err);
        return;
    }
    cat = bp_checkpoint_catalogue(op->rows, op->graph);
    op->plan = bp_plan_new();
    if (!bp_planner_checkpoint_delete(op->plan, op->graph, cat, op->name,
                                      bp_ckpt_delete_plan_mode(op->flags), &err) ||
        !(list = bp_planner_checkpoint_delete_list(cat, op->name,
                                                   bp_ckpt_delete_plan_mode(op->flags),
                                                   &err))) {
        bp_ckpt_delete_return(task, err);
        return;
    }
    op->victims = g_ptr_array_new();
    for (guint i = 0; i < list->len; i++) {
        const BpPlanCheckpoint *chk = g_ptr_array_index(list, i);

        g_ptr_array_add(op->victims, bp_checkpoint_rows_find(op->rows, chk->name));
    }
    if (!bp_ckpt_delete_mark(op, FALSE, &err)) {
        bp_ckpt_delete_return(task, err);
        return;
    }
    bp_checkpoint_hook("delete:marked", op->name);
    bp_checkpoint_run_actions_async(op->access, op->graph, op->plan->reopen,
                                    op->plan->actions, g_task_get_cancellable(task),
                                    bp_ckpt_delete_applied_cb, task);
}


void
bp_checkpoint_ops_delete_async(BpStore *store,
                               gint64 domain_id,
                               BpBlockAccess *access,
                               const char *name,
                               unsigned int flags,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpCkptDelete *op = g_new0(BpCkptDelete, 1);
    GError *err = NULL;

    g_task_set_source_tag(task, bp_checkpoint_ops_delete_async);
    op->store = store;
    op->domain_id = domain_id;
    op->access = access ? bp_block_access_ref(access) : NULL;
    op->name = g_strdup(name);
    op->flags = flags;
    g_task_set_task_data(task, op, (GDestroyNotify) bp_ckpt_delete_free);

    if ((flags & BP_CHECKPOINT_DELETE_CHILDREN) &&
        (flags & BP_CHECKPOINT_DELETE_CHILDREN_ONLY)) {
        bp_ckpt_delete_return(task, g_error_new_literal(BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                                                        _("deleting the children and deleting "
                                                          "only the children are mutually "
                                                          "exclusive")));
        return;
    }
    if (!(op->rows = bp_checkpoint_rows(store, domain_id, &err))) {
        bp_ckpt_delete_return(task, err);
        return;
    }
    if (!bp_checkpoint_rows_find(op->rows, name)) {
        g_autoptr(BpStoreCheckpoint) none = bp_store_checkpoint_get(store, domain_id, name,
                                                                    &err);

        bp_ckpt_delete_return(task, err);
        return;
    }
    if (flags & BP_CHECKPOINT_DELETE_METADATA) {
        bp_store_checkpoint_delete(store, domain_id, name,
                                   bp_ckpt_delete_store_mode(flags), &err);
        bp_ckpt_delete_return(task, err);
        return;
    }
    if (!access) {
        bp_ckpt_delete_return(task, g_error_new(BP_ERROR, BP_ERROR_OPERATION_INVALID,
                                                _("cannot delete the bitmaps of checkpoint "
                                                  "'%s': the domain's disks cannot be "
                                                  "reached"), name));
        return;
    }
    if (bp_blockjob_ops_is_running(domain_id)) {
        /* The job holds the backing chain: reopening a layer of it to
         * remove a bitmap can crash QEMU (7.2, block-stream). */
        bp_ckpt_delete_return(task, g_error_new(BP_ERROR, BP_ERROR_BUSY,
                                                _("cannot delete checkpoint '%s' while a "
                                                  "block job runs on the domain's disks"),
                                                name));
        return;
    }
    bp_block_access_read_graph_async(access, cancellable, bp_ckpt_delete_graph_cb, task);
}


gboolean
bp_checkpoint_ops_delete_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}
