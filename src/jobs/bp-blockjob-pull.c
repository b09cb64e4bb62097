/*
 * bp-blockjob-pull.c: what is particular to a block pull; the job itself
 * (progress, abort, bitmaps, definitions) is the commit's machinery in
 * bp-blockjob-commit.c (see bp-blockjob-ops.h).
 */
#include <config.h>

#include "bp-blockjob-priv.h"
#include "planner/bp-planner.h"
#include "qemu/bp-qmp-commands.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"


/* Whether @node carries bitmap @name. */
static gboolean
bp_pull_has_bitmap(const BpBlockDisk *disk, guint idx, const char *name)
{
    return bp_block_node_find_bitmap(g_ptr_array_index(disk->chain, idx), name) != NULL;
}


GPtrArray *
bp_blockjob_pull_lost(BpStore *store, gint64 domain_id, const BpBlockDisk *disk,
                      int base_idx, GError **error)
{
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(GPtrArray) lost = g_ptr_array_new_with_free_func(g_free);
    guint end = base_idx > 0 ? (guint) base_idx : disk->chain->len;

    if (!(rows = bp_store_checkpoint_list(store, domain_id, BP_STORE_CHECKPOINTS_ALL,
                                          NULL, BP_STORE_LIST_DISKS, error)))
        return NULL;
    for (guint i = 0; i < rows->len; i++) {
        const BpStoreCheckpoint *chk = g_ptr_array_index(rows, i);

        if (chk->state == BP_STORE_CHECKPOINT_BROKEN)
            continue;
        for (guint j = 0; chk->disks && j < chk->disks->len; j++) {
            const BpStoreCheckpointDisk *d = g_ptr_array_index(chk->disks, j);
            gboolean pulled = FALSE;

            if (!d->included || !d->bitmap || g_strcmp0(d->target, disk->target) != 0 ||
                bp_pull_has_bitmap(disk, 0, d->bitmap))
                continue;
            for (guint k = 1; k < end && !pulled; k++)
                pulled = bp_pull_has_bitmap(disk, k, d->bitmap);
            if (pulled)
                g_ptr_array_add(lost, g_strdup(chk->name));
        }
    }
    return g_steal_pointer(&lost);
}


gboolean
bp_blockjob_pull_break(BpStore *store, gint64 domain_id, const char *domain_name,
                       const char *target, GPtrArray *names, GError **error)
{
    g_autofree char *reason = NULL;

    if (!names || names->len == 0)
        return TRUE;
    reason = g_strdup_printf(_("its bitmap on disk '%s' was only in backing layers that "
                               "a block pull removed; the writes recorded there are lost"),
                             target);
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        g_autoptr(BpStoreCheckpoint) row = NULL;
        g_autoptr(GError) missing = NULL;

        /* Deleted (or already broken) while the pull ran: nothing to say. */
        if (!(row = bp_store_checkpoint_get(store, domain_id, name, &missing)) &&
            !g_error_matches(missing, BP_ERROR, BP_ERROR_NO_CHECKPOINT)) {
            g_propagate_error(error, g_steal_pointer(&missing));
            return FALSE;
        }
        if (!row || row->state == BP_STORE_CHECKPOINT_BROKEN)
            continue;
        g_message("domain %s: checkpoint '%s' is broken: %s", domain_name, name, reason);
        if (!bp_store_checkpoint_set_state(store, domain_id, name,
                                           BP_STORE_CHECKPOINT_BROKEN, reason, error))
            return FALSE;
    }
    return TRUE;
}


gboolean
bp_blockjob_def_drop_pulled(BpDomainDef *def, const char *target,
                            const char *pulled_path, const char *base_path,
                            const char *base_format, GError **error)
{
    BpDiskDef *disk = bp_domain_def_find_disk(def, target);

    if (!disk) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("domain '%s' has no disk '%s'"), def->name, target);
        return FALSE;
    }
    if (!disk->src)
        return TRUE;
    if (!base_path) {
        /* The whole chain was pulled: the top stands alone. */
        g_clear_pointer(&disk->src->backing, bp_storage_source_free);
        disk->src->backing_known = TRUE;
        return TRUE;
    }
    if (!disk->src->backing)
        return TRUE;    /* the chain is left to the images */
    return bp_blockjob_def_drop_layers(def, target, pulled_path, base_path, base_format,
                                       error);
}


gboolean
bp_blockjob_pull_range(const BpBlockGraph *graph, const BpBlockDisk *disk,
                       const char *base, const char *domain_name, int *base_idx,
                       GError **error)
{
    *base_idx = -1;
    if (disk->chain->len < 2) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("disk '%s' of domain '%s' has no backing chain to pull"),
                    disk->target, domain_name);
        return FALSE;
    }
    if (!base)
        return TRUE;
    if ((*base_idx = bp_blockjob_resolve_layer(graph, disk, base, error)) < 0)
        return FALSE;
    if (*base_idx <= 1) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    *base_idx == 0
                    ? _("base '%s' is the top layer of disk '%s': nothing is below it to "
                        "pull")
                    : _("base '%s' is right below the top layer of disk '%s': there is "
                        "nothing to pull"), base, disk->target);
        return FALSE;
    }
    return TRUE;
}


gboolean
bp_block_job_prepare_pull(BpBlockJob *job, const BpBlockGraph *graph,
                          const BpBlockDisk *disk, GError **error)
{
    const BpBlockNode *n;
    int base_idx = -1;
    guint end;

    if (!bp_blockjob_pull_range(graph, disk, job->base_spec, job->domain_name, &base_idx,
                                error))
        return FALSE;
    job->active = FALSE;
    n = g_ptr_array_index(disk->chain, 0);
    job->active_node = g_strdup(n->node_name);
    job->top_node = g_strdup(n->node_name);
    job->top_file = g_strdup(n->filename);
    job->pulled_file = g_strdup(((BpBlockNode *) g_ptr_array_index(disk->chain, 1))->filename);
    if (base_idx > 0) {
        n = g_ptr_array_index(disk->chain, base_idx);
        job->base_node = g_strdup(n->node_name);
        job->base_file = g_strdup(n->filename);
        job->base_format = g_strdup(n->driver);
    }
    end = base_idx > 0 ? (guint) base_idx : disk->chain->len;
    bp_blockjob_gone_layers(disk, 1, end, &job->gone_nodes, &job->gone_files);
    job->plan = bp_plan_new();
    if (!bp_planner_block_pull(job->plan, graph, job->target, job->base_node, error) ||
        !(job->lost = bp_blockjob_pull_lost(job->store, job->domain_id, disk, base_idx,
                                            error)))
        return FALSE;
    job->job_id = g_strdup_printf("pull-%s", job->target);
    return TRUE;
}


void
bp_block_job_refresh_pull(BpBlockJob *job, BpBlockGraph *graph)
{
    GPtrArray *actions = job->plan->actions;

    for (guint i = actions->len; i-- > 0;) {
        BpPlanAction *act = g_ptr_array_index(actions, i);
        const BpBlockNode *target;

        if (act->type != BP_PLAN_ACTION_BITMAP_MERGE)
            continue;
        for (guint k = act->sources ? act->sources->len : 0; k-- > 0;) {
            const BpPlanBitmapRef *src = g_ptr_array_index(act->sources, k);
            const BpBlockNode *node = bp_block_graph_lookup(graph, src->node);

            if (!node || !bp_block_node_find_bitmap(node, src->name))
                g_ptr_array_remove_index(act->sources, k);
        }
        target = bp_block_graph_lookup(graph, act->node);
        if (!target || !bp_block_node_find_bitmap(target, act->name) ||
            !act->sources || act->sources->len == 0) {
            g_message("domain %s: bitmap '%s' changed during the pull of disk '%s'; "
                      "not merging it", job->domain_name, act->name, job->target);
            g_ptr_array_remove_index(actions, i);
        }
    }
    bp_block_graph_free(job->graph);
    job->graph = graph;
}


void
bp_block_job_start_pull(BpBlockJob *job, GAsyncReadyCallback callback)
{
    BpQmpStreamArgs args = { 0 };
    g_autofree char *backing = NULL;

    if (job->base_file) {
        backing = g_strdup(job->base_file);
        if (job->flags & BP_BLOCK_COMMIT_RELATIVE) {
            g_autofree char *d1 = g_path_get_dirname(job->top_file);
            g_autofree char *d2 = g_path_get_dirname(job->base_file);

            if (g_str_equal(d1, d2)) {
                g_free(backing);
                backing = g_path_get_basename(job->base_file);
            }
        }
    }
    args.job_id = job->job_id;
    args.device = job->top_node;
    args.base_node = job->base_node;
    args.backing_file = backing;
    args.speed = job->bandwidth;
    bp_qmp_block_stream_async(job->mon, &args, NULL, callback, job);
}


BpBlockJob *
bp_blockjob_ops_pull_async(BpStore *store, gint64 domain_id, BpBlockAccess *access,
                           const char *disk, const char *base, guint64 bandwidth,
                           unsigned int flags, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
    flags &= BP_BLOCK_COMMIT_RELATIVE;
    if (!bp_block_access_is_live(access)) {
        bp_blockjob_offline_pull_async(store, domain_id, access, disk, base, flags,
                                       cancellable, callback, user_data);
        return NULL;
    }
    return bp_block_job_launch(store, domain_id, access, TRUE, disk, NULL, base, bandwidth,
                               flags, cancellable, callback, user_data);
}
