/*
 * bp-blockjob-reconcile.c: a block commit the daemon was running when it
 * ended (its catalogue job row is still there), settled when the domain
 * is found again.
 *
 * The row's phase says how far the commit got: "running" / "ready" (the
 * QEMU job had not ended), "pivoting" (job-complete was sent),
 * "concluded" (the job ended successfully, the bitmaps were not merged
 * yet), "merged" (only the definition and the cleanup were left).
 *
 * The domain still runs (its QEMU outlived the daemon):
 *   - a QEMU job still running or ready is cancelled and dismissed: the
 *     chain stays as it was;
 *   - when the commit took effect (non-active: top is no longer in the
 *     disk's chain; active: the job ended successfully), the merge of the
 *     committed layers' bitmaps into the base is done now, from the
 *     committed nodes QEMU still has (with the temporary active-write
 *     bitmap when it is still on the base), the committed nodes are
 *     deleted and the definitions lose the layers;
 *   - committed nodes already gone (the merge cannot be redone): the
 *     disk's checkpoints are marked broken with the reason.
 * The domain is not running (its QEMU ended too):
 *   - "running" / "ready": nothing changed;
 *   - "concluded": the commit took effect, the bitmaps were not merged:
 *     the definition loses the layers and the disk's checkpoints are
 *     marked broken (the images' bitmaps are not merged offline);
 *   - "pivoting": whether the switch happened is unknown: the disk's
 *     checkpoints are marked broken and the definition is left alone (a
 *     warning says to check the chain);
 *   - "merged": the definition loses the layers.
 *
 * A block pull (job kind "block-pull") is settled the same way, with
 * "took effect" meaning the first pulled layer is out of the disk's
 * chain.  A pull that took effect before its bitmaps were merged is not
 * redone: the disk's checkpoints are marked broken; after "merged" only
 * the checkpoints the pull loses are.
 */
#include <config.h>

#include "bp-blockjob-priv.h"
#include "bp-domain-run.h"
#include "planner/bp-planner.h"
#include "qemu/bp-qmp-commands.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

typedef struct {
    BpStore *store;             /* borrowed */
    gint64 domain_id;
    BpBlockAccess *access;
    BpQmpMonitor *mon;          /* live only */
    GPtrArray *rows;            /* BpStoreJob* of this domain */
    guint next;
    guint changed;
    BpDomainDef *new_def;

    /* the row being settled */
    BpStoreJob *row;
    char *disk;
    gboolean active;
    char *top_node;
    char *base_node;
    char *top_file;
    char *base_file;
    char *base_format;
    char *job_id;
    gboolean pull;              /* a block pull's row */
    char *pulled_node;          /* pull: the first pulled layer */
    char *pulled_file;
    GPtrArray *lost;            /* pull: char*, checkpoints the pull loses */
    gboolean found;             /* QEMU still had the job */
    gboolean qemu_ok;           /* ... and it ended successfully */
    BpBlockGraph *graph;
    GPtrArray *actions;
    GPtrArray *reopen;
    GPtrArray *gone;
} BpCommitReconcile;


/* Index of node @name in @disk's chain, -1 when not there. */
static int
bp_cr_chain_index(const BpBlockDisk *disk, const char *name)
{
    for (guint i = 0; i < disk->chain->len; i++) {
        if (g_str_equal(((BpBlockNode *) g_ptr_array_index(disk->chain, i))->node_name, name))
            return i;
    }
    return -1;
}


static void
bp_cr_clear_row(BpCommitReconcile *op)
{
    op->row = NULL;
    g_clear_pointer(&op->disk, g_free);
    g_clear_pointer(&op->top_node, g_free);
    g_clear_pointer(&op->base_node, g_free);
    g_clear_pointer(&op->top_file, g_free);
    g_clear_pointer(&op->base_file, g_free);
    g_clear_pointer(&op->base_format, g_free);
    g_clear_pointer(&op->job_id, g_free);
    g_clear_pointer(&op->pulled_node, g_free);
    g_clear_pointer(&op->pulled_file, g_free);
    g_clear_pointer(&op->lost, g_ptr_array_unref);
    op->pull = FALSE;
    g_clear_pointer(&op->graph, bp_block_graph_free);
    g_clear_pointer(&op->actions, g_ptr_array_unref);
    g_clear_pointer(&op->reopen, g_ptr_array_unref);
    g_clear_pointer(&op->gone, g_ptr_array_unref);
    op->found = op->qemu_ok = FALSE;
}


static void
bp_cr_free(BpCommitReconcile *op)
{
    bp_cr_clear_row(op);
    g_clear_pointer(&op->access, bp_block_access_unref);
    g_clear_object(&op->mon);
    g_clear_pointer(&op->rows, g_ptr_array_unref);
    g_clear_pointer(&op->new_def, bp_domain_def_free);
    g_free(op);
}


static void bp_cr_next(GTask *task);


static void
bp_cr_fail(GTask *task, GError *err)
{
    g_task_return_error(task, err);
    g_object_unref(task);
}


/* Marks every checkpoint with a bitmap on the disk broken. */
static gboolean
bp_cr_break_checkpoints(BpCommitReconcile *op, const char *why, GError **error)
{
    g_autoptr(GPtrArray) rows = NULL;
    g_autofree char *reason = g_strdup_printf(op->pull
                                              ? _("a block pull into disk '%s' was "
                                                  "interrupted %s; the checkpoint may miss "
                                                  "writes")
                                              : _("a block commit of disk '%s' was "
                                                  "interrupted %s; the checkpoint may miss "
                                                  "writes"),
                                              op->disk, why);

    if (!(rows = bp_store_checkpoint_list(op->store, op->domain_id, BP_STORE_CHECKPOINTS_ALL,
                                          NULL, BP_STORE_LIST_DISKS, error)))
        return FALSE;
    for (guint i = 0; i < rows->len; i++) {
        const BpStoreCheckpoint *chk = g_ptr_array_index(rows, i);

        for (guint j = 0; chk->disks && j < chk->disks->len; j++) {
            const BpStoreCheckpointDisk *d = g_ptr_array_index(chk->disks, j);

            if (!d->included || g_strcmp0(d->target, op->disk) != 0 ||
                chk->state == BP_STORE_CHECKPOINT_BROKEN)
                continue;
            g_message("domain %s: checkpoint '%s' is broken: %s",
                      bp_block_access_get_def(op->access)->name, chk->name, reason);
            op->changed++;
            if (!bp_store_checkpoint_set_state(op->store, op->domain_id, chk->name,
                                               BP_STORE_CHECKPOINT_BROKEN, reason, error))
                return FALSE;
        }
    }
    return TRUE;
}


/* @def loses the committed (pulled) layers. */
static gboolean
bp_cr_drop(BpCommitReconcile *op, BpDomainDef *def, GError **error)
{
    if (op->pull)
        return bp_blockjob_def_drop_pulled(def, op->disk, op->pulled_file, op->base_file,
                                           op->base_format, error);
    return bp_blockjob_def_drop_layers(def, op->disk, op->top_file, op->base_file,
                                       op->base_format, error);
}


/* The definitions lose the committed layers. */
static gboolean
bp_cr_drop_layers(BpCommitReconcile *op, GError **error)
{
    BpDomainRun *run = bp_block_access_get_run(op->access);
    g_autoptr(BpStoreDomain) dom = NULL;
    g_autoptr(BpDomainDef) def = NULL;

    if (!(dom = bp_store_domain_get(op->store, op->domain_id, error)) ||
        !(def = bp_domain_def_parse_string(dom->definition, 0, error)) ||
        !bp_cr_drop(op, def, error) ||
        !bp_blockjob_store_def(op->store, op->domain_id, def, error))
        return FALSE;
    if (run) {
        BpDomainDef *live = bp_domain_def_copy(bp_domain_run_get_def(run));

        if (!bp_cr_drop(op, live, error)) {
            bp_domain_def_free(live);
            return FALSE;
        }
        bp_domain_run_update_chain(run, live, op->disk,
                                   op->active && !op->pull ? op->base_node : NULL);
    }
    op->changed++;
    g_message("domain %s: the interrupted %s of disk '%s' took effect",
              bp_block_access_get_def(op->access)->name, op->pull ? "pull" : "commit",
              op->disk);
    bp_domain_def_free(op->new_def);
    op->new_def = g_steal_pointer(&def);
    return TRUE;
}


/* The row is settled: removed, then the next one. */
static void
bp_cr_done(GTask *task)
{
    BpCommitReconcile *op = g_task_get_task_data(task);
    GError *err = NULL;

    if (!bp_store_job_remove(op->store, op->row->id, &err)) {
        bp_cr_fail(task, err);
        return;
    }
    bp_cr_clear_row(op);
    bp_cr_next(task);
}


static void bp_cr_del_next(GTask *task);


static void
bp_cr_del_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpCommitReconcile *op = g_task_get_task_data(task);

    bp_qmp_command_finish(op->mon, result, NULL);
    bp_cr_del_next(task);
}


static void
bp_cr_del_next(GTask *task)
{
    BpCommitReconcile *op = g_task_get_task_data(task);
    g_autofree char *node = NULL;
    GError *err = NULL;

    if (!op->gone || op->gone->len == 0) {
        if (!bp_cr_drop_layers(op, &err)) {
            bp_cr_fail(task, err);
            return;
        }
        bp_cr_done(task);
        return;
    }
    node = g_ptr_array_steal_index(op->gone, 0);
    bp_qmp_blockdev_del_async(op->mon, node, NULL, bp_cr_del_cb, task);
}


static void
bp_cr_reopened_ro_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    GError *err = NULL;

    if (!bp_block_access_reopen_finish(result, &err)) {
        bp_cr_fail(task, err);
        return;
    }
    bp_cr_del_next(task);
}


static void
bp_cr_merged_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpCommitReconcile *op = g_task_get_task_data(task);
    GError *err = NULL;

    if (!bp_block_access_apply_finish(result, &err)) {
        bp_cr_fail(task, err);
        return;
    }
    op->changed++;
    bp_block_access_reopen_async(op->access, op->graph, op->reopen, FALSE, NULL,
                                 bp_cr_reopened_ro_cb, task);
}


static void
bp_cr_reopened_rw_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpCommitReconcile *op = g_task_get_task_data(task);
    GError *err = NULL;

    if (!bp_block_access_reopen_finish(result, &err)) {
        bp_cr_fail(task, err);
        return;
    }
    bp_block_access_apply_async(op->access, op->graph, op->actions, NULL,
                                bp_cr_merged_cb, task);
}


/* Live: a pull took effect.  Its pulled nodes (while QEMU still has
 * them) go; the checkpoints are broken unless the merge was done. */
static void
bp_cr_finish_live_pull(GTask *task)
{
    BpCommitReconcile *op = g_task_get_task_data(task);
    const BpBlockDisk *chain = NULL;
    GError *err = NULL;
    gboolean ok;

    if (op->pulled_node && bp_block_graph_lookup(op->graph, op->pulled_node) &&
        !(chain = bp_block_graph_add_disk(op->graph, "bp-reconcile", op->pulled_node, &err)))
        g_clear_error(&err);
    for (guint i = 0; chain && i < chain->chain->len; i++) {
        const BpBlockNode *n = g_ptr_array_index(chain->chain, i);

        if (g_strcmp0(n->node_name, op->base_node) == 0)
            break;
        g_ptr_array_add(op->gone, g_strdup(n->node_name));
        if (n->file_node)
            g_ptr_array_add(op->gone, g_strdup(n->file_node));
    }
    if (g_strcmp0(op->row->phase, "merged") == 0)
        ok = bp_blockjob_pull_break(op->store, op->domain_id,
                                    bp_block_access_get_def(op->access)->name, op->disk,
                                    op->lost, &err);
    else
        ok = bp_cr_break_checkpoints(op, _("after the data was pulled and before the "
                                           "bitmaps were merged"), &err);
    if (!ok) {
        bp_cr_fail(task, err);
        return;
    }
    bp_cr_del_next(task);
}


/* Live: the commit took effect; merge what is not merged yet. */
static void
bp_cr_finish_live(GTask *task)
{
    BpCommitReconcile *op = g_task_get_task_data(task);
    const BpBlockNode *top = bp_block_graph_lookup(op->graph, op->top_node);
    const BpBlockNode *base = bp_block_graph_lookup(op->graph, op->base_node);
    BpPlanMerge merge = { 0 };
    const BpBlockDisk *chain;
    GError *err = NULL;

    op->gone = g_ptr_array_new_with_free_func(g_free);
    if (op->pull) {
        bp_cr_finish_live_pull(task);
        return;
    }
    if (g_strcmp0(op->row->phase, "merged") == 0) {
        bp_cr_del_next(task);
        return;
    }
    if (!top || !base ||
        !(chain = bp_block_graph_add_disk(op->graph, "bp-reconcile", op->top_node, &err)) ||
        bp_cr_chain_index(chain, op->base_node) < 0) {
        g_clear_error(&err);
        if (!bp_cr_break_checkpoints(op, _("after its layers were folded and before their "
                                           "bitmaps were merged"), &err)) {
            bp_cr_fail(task, err);
            return;
        }
        bp_cr_del_next(task);
        return;
    }
    for (guint i = 0; i < chain->chain->len; i++) {
        const BpBlockNode *n = g_ptr_array_index(chain->chain, i);

        if (g_str_equal(n->node_name, op->base_node))
            break;
        g_ptr_array_add(op->gone, g_strdup(n->node_name));
        if (n->file_node)
            g_ptr_array_add(op->gone, g_strdup(n->file_node));
    }
    merge.top = 0;
    merge.base = op->base_node;
    merge.target = op->base_node;
    if (bp_block_node_find_bitmap(base, BP_PLANNER_BITMAP_ACTIVEWRITE)) {
        merge.write_node = op->base_node;
        merge.write_bitmap = BP_PLANNER_BITMAP_ACTIVEWRITE;
    }
    op->actions = g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_action_free);
    op->reopen = g_ptr_array_new_with_free_func(g_free);
    bp_planner_bitmap_merge(op->graph, chain, &merge, op->actions);
    if (base->read_only)
        g_ptr_array_add(op->reopen, g_strdup(op->base_node));
    g_message("domain %s: merging the bitmaps of the interrupted commit of disk '%s'",
              bp_block_access_get_def(op->access)->name, op->disk);
    bp_block_access_reopen_async(op->access, op->graph, op->reopen, TRUE, NULL,
                                 bp_cr_reopened_rw_cb, task);
}


static void
bp_cr_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpCommitReconcile *op = g_task_get_task_data(task);
    const BpBlockDisk *disk;
    gboolean committed;
    GError *err = NULL;

    if (!(op->graph = bp_block_access_read_graph_finish(result, &err))) {
        bp_cr_fail(task, err);
        return;
    }
    disk = bp_block_graph_get_disk(op->graph, op->disk);
    if (op->pull) {
        committed = disk && bp_cr_chain_index(disk, op->pulled_node) < 0;
    } else if (op->active) {
        const char *phase = op->row->phase;

        committed = op->found ? op->qemu_ok
                              : (g_strcmp0(phase, "concluded") == 0 ||
                                 g_strcmp0(phase, "merged") == 0);
    } else {
        committed = disk && bp_cr_chain_index(disk, op->top_node) < 0;
    }
    if (!committed) {
        /* The chain is as it was; a leftover temporary bitmap goes. */
        if (!op->pull && bp_block_graph_lookup(op->graph, op->base_node))
            bp_qmp_bitmap_remove_async(op->mon, op->base_node, BP_PLANNER_BITMAP_ACTIVEWRITE,
                                       NULL, NULL, NULL);
        g_message("domain %s: the interrupted %s of disk '%s' did not take effect; "
                  "the chain is unchanged", bp_block_access_get_def(op->access)->name,
                  op->pull ? "pull" : "commit", op->disk);
        bp_cr_done(task);
        return;
    }
    bp_cr_finish_live(task);
}


static void
bp_cr_dismissed_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpCommitReconcile *op = g_task_get_task_data(task);

    bp_qmp_command_finish(op->mon, result, NULL);
    bp_block_access_read_graph_async(op->access, NULL, bp_cr_graph_cb, task);
}


static void
bp_cr_concluded_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpCommitReconcile *op = g_task_get_task_data(task);
    g_autoptr(BpQmpJobInfo) info = NULL;
    GError *err = NULL;

    if (!(info = bp_qmp_job_wait_finish(op->mon, result, &err))) {
        bp_cr_fail(task, err);
        return;
    }
    /* Cancelled by us unless it had ended already. */
    op->qemu_ok = op->qemu_ok && !info->error;
    bp_qmp_job_dismiss_async(op->mon, op->job_id, NULL, bp_cr_dismissed_cb, task);
}


static void
bp_cr_cancelled_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpCommitReconcile *op = g_task_get_task_data(task);

    bp_qmp_command_finish(op->mon, result, NULL);
    bp_qmp_job_wait_async(op->mon, op->job_id, "concluded", 30000, NULL,
                          bp_cr_concluded_cb, task);
}


static void
bp_cr_jobs_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpCommitReconcile *op = g_task_get_task_data(task);
    g_autoptr(GPtrArray) jobs = NULL;
    GError *err = NULL;

    if (!(jobs = bp_qmp_query_jobs_finish(op->mon, result, &err))) {
        bp_cr_fail(task, err);
        return;
    }
    for (guint i = 0; i < jobs->len; i++) {
        const BpQmpJobInfo *j = g_ptr_array_index(jobs, i);

        if (!g_str_equal(j->id, op->job_id))
            continue;
        op->found = TRUE;
        if (g_str_equal(j->status, "concluded")) {
            op->qemu_ok = !j->error;
            bp_qmp_job_dismiss_async(op->mon, op->job_id, NULL, bp_cr_dismissed_cb, task);
        } else {
            g_message("domain %s: cancelling the block %s of disk '%s' left by the "
                      "previous daemon", bp_block_access_get_def(op->access)->name,
                      op->pull ? "pull" : "commit", op->disk);
            bp_qmp_job_cancel_async(op->mon, op->job_id, NULL, bp_cr_cancelled_cb, task);
        }
        return;
    }
    bp_block_access_read_graph_async(op->access, NULL, bp_cr_graph_cb, task);
}


/* Not running: only the catalogue can be set right. */
static gboolean
bp_cr_offline(BpCommitReconcile *op, GError **error)
{
    const char *phase = op->row->phase ? op->row->phase : "running";

    if (g_str_equal(phase, "running") || g_str_equal(phase, "ready"))
        return TRUE;
    if (g_str_equal(phase, "pivoting")) {
        g_warning("domain %s: the commit of disk '%s' ended with its process while "
                  "switching to %s; check which image holds the newest data",
                  bp_block_access_get_def(op->access)->name, op->disk, op->base_file);
        return bp_cr_break_checkpoints(op, _("while switching to the base"), error);
    }
    if (op->pull && g_str_equal(phase, "concluded") &&
        !bp_cr_break_checkpoints(op, _("after the data was pulled and before the "
                                       "bitmaps were merged"), error))
        return FALSE;
    if (op->pull && g_str_equal(phase, "merged") &&
        !bp_blockjob_pull_break(op->store, op->domain_id,
                                bp_block_access_get_def(op->access)->name, op->disk,
                                op->lost, error))
        return FALSE;
    if (!op->pull && g_str_equal(phase, "concluded") &&
        !bp_cr_break_checkpoints(op, _("after its layers were folded and before their "
                                       "bitmaps were merged"), error))
        return FALSE;
    return bp_cr_drop_layers(op, error);
}


static gboolean
bp_cr_parse(BpCommitReconcile *op, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *o;

    if (!op->row->data || !json_parser_load_from_data(parser, op->row->data, -1, error))
        return FALSE;
    if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                    _("block commit job %lld: its recovery data is not an object"),
                    (long long) op->row->id);
        return FALSE;
    }
    o = json_node_get_object(json_parser_get_root(parser));
    op->disk = g_strdup(json_object_get_string_member_with_default(o, "disk", NULL));
    op->active = json_object_get_boolean_member_with_default(o, "active", FALSE);
    op->top_node = g_strdup(json_object_get_string_member_with_default(o, "top-node", NULL));
    op->base_node = g_strdup(json_object_get_string_member_with_default(o, "base-node", NULL));
    op->top_file = g_strdup(json_object_get_string_member_with_default(o, "top", NULL));
    op->base_file = g_strdup(json_object_get_string_member_with_default(o, "base", NULL));
    op->base_format = g_strdup(json_object_get_string_member_with_default(o, "base-format",
                                                                          NULL));
    op->pull = g_strcmp0(op->row->kind, BP_BLOCKJOB_JOB_PULL) == 0;
    if (op->pull) {
        JsonArray *lost = json_object_has_member(o, "lost")
                          ? json_object_get_array_member(o, "lost") : NULL;

        op->pulled_node = g_strdup(json_object_get_string_member_with_default(o, "pulled-node",
                                                                              NULL));
        op->pulled_file = g_strdup(json_object_get_string_member_with_default(o, "pulled",
                                                                              NULL));
        op->lost = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; lost && i < json_array_get_length(lost); i++)
            g_ptr_array_add(op->lost, g_strdup(json_array_get_string_element(lost, i)));
        if (!op->disk || !op->top_node || !op->top_file || !op->pulled_node ||
            !op->pulled_file) {
            g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                        _("block pull job %lld: its recovery data is incomplete"),
                        (long long) op->row->id);
            return FALSE;
        }
        op->job_id = g_strdup_printf("pull-%s", op->disk);
        return TRUE;
    }
    if (!op->disk || !op->top_node || !op->base_node || !op->top_file || !op->base_file) {
        g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                    _("block commit job %lld: its recovery data is incomplete"),
                    (long long) op->row->id);
        return FALSE;
    }
    op->job_id = g_strdup_printf("commit-%s", op->disk);
    return TRUE;
}


static void
bp_cr_next(GTask *task)
{
    BpCommitReconcile *op = g_task_get_task_data(task);
    GError *err = NULL;

    if (op->next >= op->rows->len) {
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
        return;
    }
    op->row = g_ptr_array_index(op->rows, op->next++);
    if (!bp_cr_parse(op, &err)) {
        /* Nothing can be done with it: say so and drop it. */
        g_warning("domain %s: %s", bp_block_access_get_def(op->access)->name, err->message);
        g_clear_error(&err);
        bp_cr_done(task);
        return;
    }
    if (!op->mon) {
        if (!bp_cr_offline(op, &err)) {
            bp_cr_fail(task, err);
            return;
        }
        bp_cr_done(task);
        return;
    }
    bp_qmp_query_jobs_async(op->mon, NULL, bp_cr_jobs_cb, task);
}


void
bp_blockjob_ops_reconcile_async(BpStore *store, gint64 domain_id, BpBlockAccess *access,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpCommitReconcile *op = g_new0(BpCommitReconcile, 1);
    g_autoptr(GPtrArray) jobs = NULL;
    GError *err = NULL;

    g_task_set_source_tag(task, bp_blockjob_ops_reconcile_async);
    g_task_set_task_data(task, op, (GDestroyNotify) bp_cr_free);
    op->store = store;
    op->domain_id = domain_id;
    op->access = bp_block_access_ref(access);
    op->rows = g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_job_free);
    if (bp_block_access_get_kind(access) == BP_BLOCK_ACCESS_RUN &&
        bp_block_access_get_monitor(access))
        op->mon = g_object_ref(bp_block_access_get_monitor(access));
    if (!(jobs = bp_store_job_list_unfinished(store, &err))) {
        bp_cr_fail(task, err);
        return;
    }
    for (guint i = 0; i < jobs->len; i++) {
        BpStoreJob *job = g_ptr_array_index(jobs, i);

        /* A commit this process runs is not a leftover. */
        if (job->domain_id == domain_id &&
            (g_strcmp0(job->kind, BP_BLOCKJOB_JOB_COMMIT) == 0 ||
             g_strcmp0(job->kind, BP_BLOCKJOB_JOB_PULL) == 0) &&
            !bp_blockjob_ops_is_running(domain_id))
            g_ptr_array_add(op->rows, g_ptr_array_steal_index(jobs, i--));
    }
    bp_cr_next(task);
}


gboolean
bp_blockjob_ops_reconcile_finish(GAsyncResult *result, guint *changed,
                                 BpDomainDef **new_def, GError **error)
{
    BpCommitReconcile *op = g_task_get_task_data(G_TASK(result));

    if (changed)
        *changed = op->changed;
    if (new_def)
        *new_def = g_steal_pointer(&op->new_def);
    return g_task_propagate_boolean(G_TASK(result), error);
}
