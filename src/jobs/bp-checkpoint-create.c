/*
 * bp-checkpoint-create.c: checkpoint-create and its --redefine (see
 * bp-checkpoint-ops.h for the steps and what a failure leaves).
 */
#include <config.h>

#include "bp-checkpoint-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

typedef struct {
    BpStore *store;
    gint64 domain_id;
    BpBlockAccess *access;
    unsigned int flags;
    gint64 now;
    BpCheckpointDef *def;
    BpBlockGraph *graph;
    BpPlan *plan;
    gint64 job_id;
    GError *error;              /* the failure being cleaned up after */
} BpCkptCreate;


static void
bp_ckpt_create_free(BpCkptCreate *op)
{
    bp_block_access_unref(op->access);
    bp_checkpoint_def_free(op->def);
    bp_block_graph_free(op->graph);
    if (op->plan)
        bp_plan_free(op->plan);
    g_clear_error(&op->error);
    g_free(op);
}


/* Ends the task with the checkpoint's name. */
static void
bp_ckpt_create_done(GTask *task)
{
    BpCkptCreate *op = g_task_get_task_data(task);

    g_task_return_pointer(task, g_strdup(op->def->name), g_free);
    g_object_unref(task);
}


static void
bp_ckpt_create_fail(GTask *task, GError *error)
{
    g_task_return_error(task, error);
    g_object_unref(task);
}


/* The moment look-up of the redefine checks, answered by the catalogue. */
static gboolean
bp_ckpt_lookup(const char *name, char **parent, gpointer opaque)
{
    BpCkptCreate *op = opaque;
    g_autoptr(BpStoreCheckpoint) row = NULL;

    if (!(row = bp_store_checkpoint_get(op->store, op->domain_id, name, NULL)))
        return FALSE;
    *parent = g_steal_pointer(&row->parent);
    return TRUE;
}


/* ---- undoing a creation ------------------------------------------------------ */

/* Removes the pending row and its job in one transaction. */
static gboolean
bp_ckpt_create_forget(BpCkptCreate *op, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;

    if (!(txn = bp_store_txn_begin(op->store, error)) ||
        !bp_store_checkpoint_delete(op->store, op->domain_id, op->def->name,
                                    BP_STORE_DELETE_SINGLE, error) ||
        !bp_store_job_remove(op->store, op->job_id, error))
        return FALSE;
    return bp_store_txn_commit(txn, error);
}


/* The undo could not finish: the pending row and its job stay for
 * reconciliation; the caller hears the original failure. */
static void
bp_ckpt_create_undo_failed(GTask *task, GError *why)
{
    BpCkptCreate *op = g_task_get_task_data(task);

    g_warning("domain %s: cannot undo the creation of checkpoint '%s' (%s); "
              "it stays pending until the daemon reconciles it",
              bp_block_access_get_def(op->access)->name, op->def->name, why->message);
    g_error_free(why);
    bp_ckpt_create_fail(task, g_steal_pointer(&op->error));
}


static void
bp_ckpt_create_undo_applied_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                               gpointer user_data)
{
    GTask *task = user_data;
    BpCkptCreate *op = g_task_get_task_data(task);
    GError *err = NULL;

    if (!bp_checkpoint_run_actions_finish(result, &err) ||
        !bp_ckpt_create_forget(op, &err)) {
        bp_ckpt_create_undo_failed(task, err);
        return;
    }
    bp_ckpt_create_fail(task, g_steal_pointer(&op->error));
}


static void
bp_ckpt_create_undo_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                             gpointer user_data)
{
    GTask *task = user_data;
    BpCkptCreate *op = g_task_get_task_data(task);
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autoptr(BpStoreCheckpoint) row = NULL;
    g_autoptr(GPtrArray) actions =
        g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_action_free);
    GError *err = NULL;

    if (!(graph = bp_block_access_read_graph_finish(result, &err))) {
        bp_ckpt_create_undo_failed(task, err);
        return;
    }
    /* The planner made sure no layer had a bitmap of this name: those on
     * the top layers now are the ones this creation added. */
    row = bp_checkpoint_row_from_def(op->domain_id, op->def, BP_STORE_CHECKPOINT_PENDING,
                                     NULL);
    bp_checkpoint_removals(graph, row, TRUE, actions, NULL);
    g_clear_pointer(&op->graph, bp_block_graph_free);
    op->graph = g_steal_pointer(&graph);
    bp_checkpoint_run_actions_async(op->access, op->graph, NULL, actions,
                                    g_task_get_cancellable(task),
                                    bp_ckpt_create_undo_applied_cb, task);
}


/* Step 2 or 3 failed with @error: remove what step 2 added, then the
 * row.  A QEMU that answered with an error has rolled its transaction
 * back, so there is nothing to remove; after anything else (a timeout,
 * qemu-img stopping half way, the catalogue failing after the bitmaps
 * were added) the graph is read again to find out. */
static void
bp_ckpt_create_undo(GTask *task, GError *error, gboolean applied)
{
    BpCkptCreate *op = g_task_get_task_data(task);
    GError *err = NULL;

    op->error = error;
    if (!applied && bp_block_access_is_live(op->access) &&
        g_error_matches(error, BP_ERROR, BP_ERROR_QEMU)) {
        if (!bp_ckpt_create_forget(op, &err)) {
            bp_ckpt_create_undo_failed(task, err);
            return;
        }
        bp_ckpt_create_fail(task, g_steal_pointer(&op->error));
        return;
    }
    bp_block_access_read_graph_async(op->access, g_task_get_cancellable(task),
                                     bp_ckpt_create_undo_graph_cb, task);
}


/* ---- creating ---------------------------------------------------------------- */

/* Step 3: ready, current, job done, in one transaction. */
static gboolean
bp_ckpt_create_commit(BpCkptCreate *op, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;

    if (!(txn = bp_store_txn_begin(op->store, error)) ||
        !bp_store_checkpoint_set_state(op->store, op->domain_id, op->def->name,
                                       BP_STORE_CHECKPOINT_READY, NULL, error) ||
        !bp_store_checkpoint_set_current(op->store, op->domain_id, op->def->name, error) ||
        !bp_store_job_remove(op->store, op->job_id, error))
        return FALSE;
    return bp_store_txn_commit(txn, error);
}


static void
bp_ckpt_create_applied_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                          gpointer user_data)
{
    GTask *task = user_data;
    BpCkptCreate *op = g_task_get_task_data(task);
    GError *err = NULL;

    if (!bp_block_access_apply_finish(result, &err)) {
        g_prefix_error(&err, _("cannot create the bitmaps of checkpoint '%s': "),
                       op->def->name);
        bp_ckpt_create_undo(task, err, FALSE);
        return;
    }
    bp_checkpoint_hook("create:applied", op->def->name);
    if (!bp_ckpt_create_commit(op, &err)) {
        bp_ckpt_create_undo(task, err, TRUE);
        return;
    }
    bp_ckpt_create_done(task);
}


/* Step 1: the pending row and the job that says a creation is under
 * way, in one transaction. */
static gboolean
bp_ckpt_create_record(BpCkptCreate *op, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(BpStoreJob) job = bp_store_job_new(op->domain_id, BP_CHECKPOINT_JOB_CREATE);
    g_autoptr(BpStoreCheckpoint) row = NULL;

    job->checkpoint = g_strdup(op->def->name);
    job->phase = g_strdup("pending");
    job->start_time = job->update_time = op->now;
    row = bp_checkpoint_row_from_def(op->domain_id, op->def, BP_STORE_CHECKPOINT_PENDING,
                                     op->graph);
    if (!(txn = bp_store_txn_begin(op->store, error)) ||
        !bp_store_job_add(op->store, job, error) ||
        !bp_store_checkpoint_add(op->store, row, error) ||
        !bp_store_txn_commit(txn, error))
        return FALSE;
    op->job_id = job->id;
    return TRUE;
}


static void
bp_ckpt_create_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                        gpointer user_data)
{
    GTask *task = user_data;
    BpCkptCreate *op = g_task_get_task_data(task);
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(BpPlanCatalogue) cat = NULL;
    g_autoptr(BpPlanCheckpoint) chk = NULL;
    GError *err = NULL;

    if (!(op->graph = bp_block_access_read_graph_finish(result, &err)) ||
        !(rows = bp_checkpoint_rows(op->store, op->domain_id, &err))) {
        bp_ckpt_create_fail(task, err);
        return;
    }
    cat = bp_checkpoint_catalogue(rows, NULL);
    chk = bp_checkpoint_plan_from_def(op->def);
    op->plan = bp_plan_new();
    if (!bp_planner_checkpoint_create(op->plan, op->graph, cat, chk, &err) ||
        !bp_ckpt_create_record(op, &err)) {
        bp_ckpt_create_fail(task, err);
        return;
    }
    bp_checkpoint_hook("create:pending", op->def->name);
    bp_block_access_apply_async(op->access, op->graph, op->plan->actions,
                                g_task_get_cancellable(task), bp_ckpt_create_applied_cb, task);
}


/* The checks that need neither the images nor QEMU. */
static gboolean
bp_ckpt_create_prepare(BpCkptCreate *op, GError **error)
{
    g_autoptr(BpStoreCheckpoint) current = NULL;
    g_autoptr(BpStoreCheckpoint) existing = NULL;
    g_autoptr(GError) local = NULL;

    existing = bp_store_checkpoint_get(op->store, op->domain_id, op->def->name, &local);
    if (existing) {
        g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                    _("checkpoint '%s' already exists in domain '%s'"),
                    op->def->name, bp_block_access_get_def(op->access)->name);
        return FALSE;
    }
    if (!g_error_matches(local, BP_ERROR, BP_ERROR_NO_CHECKPOINT)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    g_clear_error(&local);
    current = bp_store_checkpoint_get_current(op->store, op->domain_id, &local);
    if (local) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    g_free(op->def->parent);
    op->def->parent = current ? g_strdup(current->name) : NULL;
    bp_domain_def_free(op->def->dom);
    op->def->dom = bp_domain_def_copy(bp_block_access_get_def(op->access));
    return bp_checkpoint_def_align_disks(op->def, NULL, error);
}


/* ---- redefining ---------------------------------------------------------------- */

static void
bp_ckpt_redefine_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                          gpointer user_data)
{
    GTask *task = user_data;
    BpCkptCreate *op = g_task_get_task_data(task);
    gboolean validate = (op->flags & BP_CHECKPOINT_CREATE_REDEFINE_VALIDATE) != 0;
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(BpPlanCatalogue) cat = NULL;
    g_autoptr(BpPlanCheckpoint) chk = NULL;
    g_autoptr(BpStoreCheckpoint) row = NULL;
    g_autofree char *reason = NULL;
    GError *err = NULL;

    if (!(op->graph = bp_block_access_read_graph_finish(result, &err))) {
        if (validate) {
            bp_ckpt_create_fail(task, err);
            return;
        }
        /* Not looked at yet: "pending" until reconciliation can. */
        g_debug("redefining checkpoint '%s' without looking at the images: %s",
                op->def->name, err->message);
        g_clear_error(&err);
    }
    if (!(rows = bp_checkpoint_rows(op->store, op->domain_id, &err))) {
        bp_ckpt_create_fail(task, err);
        return;
    }
    cat = bp_checkpoint_catalogue(rows, NULL);
    chk = bp_checkpoint_plan_from_def(op->def);
    if (!bp_planner_checkpoint_redefine_check(op->graph, cat, chk, validate && op->graph,
                                              &err)) {
        bp_ckpt_create_fail(task, err);
        return;
    }
    row = bp_checkpoint_row_from_def(op->domain_id, op->def, BP_STORE_CHECKPOINT_PENDING,
                                     op->graph);
    if (op->graph) {
        reason = bp_checkpoint_invalid_reason(op->graph, row);
        row->state = reason ? BP_STORE_CHECKPOINT_BROKEN : BP_STORE_CHECKPOINT_READY;
        row->reason = g_steal_pointer(&reason);
    }
    if (!bp_store_checkpoint_redefine(op->store, row, NULL, &err)) {
        bp_ckpt_create_fail(task, err);
        return;
    }
    bp_ckpt_create_done(task);
}


/* ---- the entry point ------------------------------------------------------------ */

void
bp_checkpoint_ops_create_async(BpStore *store,
                               gint64 domain_id,
                               BpBlockAccess *access,
                               const char *xml,
                               unsigned int flags,
                               gint64 now,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpCkptCreate *op = g_new0(BpCkptCreate, 1);
    gboolean redefine = (flags & BP_CHECKPOINT_CREATE_REDEFINE) != 0;
    unsigned int parse_flags = BP_CHECKPOINT_PARSE_VALIDATE;
    GError *err = NULL;

    g_task_set_source_tag(task, bp_checkpoint_ops_create_async);
    op->store = store;
    op->domain_id = domain_id;
    op->access = bp_block_access_ref(access);
    op->flags = flags;
    op->now = now;
    g_task_set_task_data(task, op, (GDestroyNotify) bp_ckpt_create_free);

    if (flags & BP_CHECKPOINT_CREATE_QUIESCE) {
        bp_ckpt_create_fail(task, g_error_new_literal(BP_ERROR, BP_ERROR_OPERATION_UNSUPPORTED,
                                                      _("quiescing a checkpoint is not supported: "
                                                        "there is no guest agent")));
        return;
    }
    if ((flags & BP_CHECKPOINT_CREATE_REDEFINE_VALIDATE) && !redefine) {
        bp_ckpt_create_fail(task, g_error_new_literal(BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                                                      _("validating a checkpoint definition "
                                                        "requires redefining it")));
        return;
    }
    if (redefine)
        parse_flags |= BP_CHECKPOINT_PARSE_REDEFINE;
    if (!(op->def = bp_checkpoint_def_parse_string(xml && *xml ? xml : "<domaincheckpoint/>",
                                                   parse_flags, now, &err))) {
        bp_ckpt_create_fail(task, err);
        return;
    }
    if (redefine) {
        if (!bp_checkpoint_def_redefine_prep(op->def, bp_block_access_get_def(access),
                                             bp_ckpt_lookup, op, &err)) {
            bp_ckpt_create_fail(task, err);
            return;
        }
        bp_block_access_read_graph_async(access, cancellable, bp_ckpt_redefine_graph_cb, task);
        return;
    }
    if (!bp_ckpt_create_prepare(op, &err)) {
        bp_ckpt_create_fail(task, err);
        return;
    }
    bp_block_access_read_graph_async(access, cancellable, bp_ckpt_create_graph_cb, task);
}


char *
bp_checkpoint_ops_create_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}
