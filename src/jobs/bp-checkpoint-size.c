/*
 * bp-checkpoint-size.c: checkpoint-dumpxml --size (libvirt behaviour
 * reference §3.6): a temporary bitmap per disk holding the union of the
 * checkpoint's bitmap chain, its dirty count read back, the temporary
 * bitmaps removed.  A domain that is not running is opened read-only in a
 * short-lived qemu-storage-daemon for it.
 */
#include <config.h>

#include "bp-checkpoint-priv.h"
#include "bp-domain-ops.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

typedef struct {
    BpStore *store;
    gint64 domain_id;
    BpBlockAccess *access;
    BpBlockAccess *live;        /* @access, or the read-only QSD */
    unsigned int flags;
    BpStoreCheckpoint *row;
    BpCheckpointDef *def;
    BpBlockGraph *graph;
    BpPlan *plan;
    GError *error;              /* the first failure, reported at the end */
} BpCkptSize;


static void
bp_ckpt_size_free(BpCkptSize *op)
{
    bp_block_access_unref(op->access);
    bp_block_access_unref(op->live);
    bp_store_checkpoint_free(op->row);
    bp_checkpoint_def_free(op->def);
    bp_block_graph_free(op->graph);
    if (op->plan)
        bp_plan_free(op->plan);
    g_clear_error(&op->error);
    g_free(op);
}


/* Ends the task: the document, or the first failure. */
static void
bp_ckpt_size_finish_task(GTask *task)
{
    BpCkptSize *op = g_task_get_task_data(task);

    if (op->error) {
        g_task_return_error(task, g_steal_pointer(&op->error));
    } else {
        if (op->def->dom && !(op->flags & BP_CHECKPOINT_XML_SECURE))
            bp_domain_ops_strip_secrets(op->def->dom);
        g_task_return_pointer(task, bp_checkpoint_def_format(op->def, op->flags), g_free);
    }
    g_object_unref(task);
}


static void
bp_ckpt_size_closed_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                       gpointer user_data)
{
    bp_block_access_close_finish(result);
    bp_ckpt_size_finish_task(user_data);
}


static void
bp_ckpt_size_close(GTask *task)
{
    BpCkptSize *op = g_task_get_task_data(task);

    if (!op->live || op->live == op->access) {
        bp_ckpt_size_finish_task(task);
        return;
    }
    bp_block_access_close_async(op->live, bp_ckpt_size_closed_cb, task);
}


static void
bp_ckpt_size_after_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                      gpointer user_data)
{
    GTask *task = user_data;
    BpCkptSize *op = g_task_get_task_data(task);
    g_autoptr(GError) err = NULL;

    /* A leftover is removed by the next size request (plan->before). */
    if (!bp_block_access_apply_finish(result, &err))
        g_warning("domain %s: cannot remove the temporary size bitmaps: %s",
                  bp_block_access_get_def(op->access)->name, err->message);
    bp_ckpt_size_close(task);
}


static void
bp_ckpt_size_after(GTask *task)
{
    BpCkptSize *op = g_task_get_task_data(task);

    bp_block_access_apply_async(op->live, op->graph, op->plan->after,
                                g_task_get_cancellable(task), bp_ckpt_size_after_cb, task);
}


/* The temporary bitmaps are there: their counts are the sizes. */
static void
bp_ckpt_size_counted_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                        gpointer user_data)
{
    GTask *task = user_data;
    BpCkptSize *op = g_task_get_task_data(task);
    g_autoptr(BpBlockGraph) graph = NULL;

    if (!(graph = bp_block_access_read_graph_finish(result, &op->error))) {
        bp_ckpt_size_after(task);
        return;
    }
    for (guint i = 0; i < op->plan->tmp_bitmaps->len; i++) {
        const BpPlanTmpBitmap *tmp = g_ptr_array_index(op->plan->tmp_bitmaps, i);
        BpBlockNode *node = bp_block_graph_lookup(graph, tmp->node);
        BpBitmapInfo *bitmap = node ? bp_block_node_find_bitmap(node, tmp->name) : NULL;
        BpCheckpointDiskDef *disk = bp_checkpoint_def_find_disk(op->def, tmp->target);

        if (!bitmap || !bitmap->count_known || !disk)
            continue;
        disk->size = bitmap->count;
        disk->size_valid = TRUE;
    }
    bp_ckpt_size_after(task);
}


static void
bp_ckpt_size_merged_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                       gpointer user_data)
{
    GTask *task = user_data;
    BpCkptSize *op = g_task_get_task_data(task);

    if (!bp_block_access_apply_finish(result, &op->error)) {
        bp_ckpt_size_close(task);
        return;
    }
    bp_block_access_read_graph_async(op->live, g_task_get_cancellable(task),
                                     bp_ckpt_size_counted_cb, task);
}


static void
bp_ckpt_size_cleaned_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                        gpointer user_data)
{
    GTask *task = user_data;
    BpCkptSize *op = g_task_get_task_data(task);

    if (!bp_block_access_apply_finish(result, &op->error)) {
        bp_ckpt_size_close(task);
        return;
    }
    bp_block_access_apply_async(op->live, op->graph, op->plan->actions,
                                g_task_get_cancellable(task), bp_ckpt_size_merged_cb, task);
}


static void
bp_ckpt_size_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                      gpointer user_data)
{
    GTask *task = user_data;
    BpCkptSize *op = g_task_get_task_data(task);
    g_autoptr(BpPlanCheckpoint) chk = NULL;

    if (!(op->graph = bp_block_access_read_graph_finish(result, &op->error))) {
        bp_ckpt_size_close(task);
        return;
    }
    chk = bp_checkpoint_plan_from_row(op->row);
    op->plan = bp_plan_new();
    if (!bp_planner_checkpoint_size(op->plan, op->graph, chk, NULL, &op->error) ||
        op->plan->tmp_bitmaps->len == 0) {
        bp_ckpt_size_close(task);
        return;
    }
    bp_block_access_apply_async(op->live, op->graph, op->plan->before,
                                g_task_get_cancellable(task), bp_ckpt_size_cleaned_cb, task);
}


static void
bp_ckpt_size_live_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                     gpointer user_data)
{
    GTask *task = user_data;
    BpCkptSize *op = g_task_get_task_data(task);

    if (!(op->live = bp_block_access_open_live_finish(result, &op->error))) {
        bp_ckpt_size_finish_task(task);
        return;
    }
    bp_block_access_read_graph_async(op->live, g_task_get_cancellable(task),
                                     bp_ckpt_size_graph_cb, task);
}


void
bp_checkpoint_ops_get_xml_async(BpStore *store,
                                gint64 domain_id,
                                BpBlockAccess *access,
                                const char *name,
                                unsigned int flags,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpCkptSize *op = g_new0(BpCkptSize, 1);

    g_task_set_source_tag(task, bp_checkpoint_ops_get_xml_async);
    op->store = store;
    op->domain_id = domain_id;
    op->access = access ? bp_block_access_ref(access) : NULL;
    op->flags = flags;
    g_task_set_task_data(task, op, (GDestroyNotify) bp_ckpt_size_free);

    if (!(op->row = bp_store_checkpoint_get(store, domain_id, name, &op->error)) ||
        !(op->def = bp_checkpoint_def_from_row(op->row, &op->error)) ||
        !(flags & BP_CHECKPOINT_XML_SIZE)) {
        bp_ckpt_size_finish_task(task);
        return;
    }
    if (!access) {
        op->error = g_error_new(BP_ERROR, BP_ERROR_OPERATION_INVALID,
                                _("cannot compute the size of checkpoint '%s': the "
                                  "domain's disks cannot be reached"), name);
        bp_ckpt_size_finish_task(task);
        return;
    }
    bp_block_access_open_live_async(access, cancellable, bp_ckpt_size_live_cb, task);
}


char *
bp_checkpoint_ops_get_xml_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}
