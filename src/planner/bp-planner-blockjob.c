/*
 * bp-planner-blockjob.c: bitmaps across external snapshots and block jobs
 * (commit, copy, pull).
 */
#include <config.h>

#include "bp-planner-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"


gboolean
bp_planner_snapshot(BpPlan *plan,
                    const BpBlockGraph *graph,
                    const char *target,
                    const char *overlay,
                    GError **error)
{
    g_autoptr(BpPlan) part = bp_plan_new();
    const BpBlockNode *ov = bp_block_graph_lookup(graph, overlay);
    BpBlockDisk *disk;
    BpBlockNode *top;

    if (!(disk = bp_planner_get_disk(graph, target, error)))
        return FALSE;
    if (bp_planner_chain_index(disk, overlay) >= 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("node '%s' is already a layer of disk '%s'; it cannot become its "
                      "new overlay"),
                    overlay, target);
        return FALSE;
    }
    if (ov && g_strcmp0(ov->driver, "qcow2") != 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                    _("overlay '%s' for disk '%s' is '%s', and only qcow2 images can "
                      "store bitmaps"),
                    overlay, target, ov->driver ? ov->driver : "");
        return FALSE;
    }
    top = bp_planner_disk_top(disk);
    for (guint i = 0; i < top->bitmaps->len; i++) {
        const BpBitmapInfo *b = g_ptr_array_index(top->bitmaps, i);

        if (!b->name || !bp_planner_bitmap_chain_is_valid(disk, b->name, NULL))
            continue;
        g_ptr_array_add(part->actions,
                        bp_plan_action_bitmap_add(overlay, b->name, TRUE, FALSE,
                                                  b->granularity));
    }
    g_ptr_array_add(part->actions, bp_plan_action_blockdev_snapshot(top->node_name, overlay));
    bp_plan_append(plan, g_steal_pointer(&part));
    return TRUE;
}


/* Index of node @name in @disk's chain, or -1 with an error. */
static int
bp_planner_require_layer(const BpBlockDisk *disk, const char *name, GError **error)
{
    int idx = bp_planner_chain_index(disk, name);

    if (idx < 0)
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("node '%s' is not a layer of disk '%s'"),
                    name ? name : "", disk->target);
    return idx;
}


gboolean
bp_planner_block_commit(BpPlan *plan,
                        const BpBlockGraph *graph,
                        const char *target,
                        const char *top,
                        const char *base,
                        const char *activewrite,
                        GError **error)
{
    g_autoptr(BpPlan) part = bp_plan_new();
    BpBlockDisk *disk;
    BpBlockNode *base_node;
    BpPlanMerge merge = { 0 };
    int top_idx, base_idx;

    if (!activewrite)
        activewrite = BP_PLANNER_BITMAP_ACTIVEWRITE;
    if (!(disk = bp_planner_get_disk(graph, target, error)) ||
        (top_idx = bp_planner_require_layer(disk, top, error)) < 0 ||
        (base_idx = bp_planner_require_layer(disk, base, error)) < 0)
        return FALSE;
    if (top_idx >= base_idx) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("cannot commit disk '%s' from '%s' into '%s': the base must be "
                      "below the top"),
                    target, top, base);
        return FALSE;
    }
    base_node = g_ptr_array_index(disk->chain, base_idx);

    merge.top = top_idx;
    merge.base = base;
    merge.target = base;
    if (top_idx == 0) {
        /* Active commit: the guest writes into the base from the pivot on. */
        if (!bp_planner_tmp_bitmap_prepare(part, graph, base, activewrite, error))
            return FALSE;
        g_ptr_array_add(part->before,
                        bp_plan_action_bitmap_add(base, activewrite, FALSE, FALSE, 0));
        merge.write_node = base;
        merge.write_bitmap = activewrite;
    } else if (base_node->read_only) {
        g_ptr_array_add(part->reopen, g_strdup(base));
    }
    bp_planner_bitmap_merge(graph, disk, &merge, part->actions);
    bp_plan_append(plan, g_steal_pointer(&part));
    return TRUE;
}


gboolean
bp_planner_block_copy(BpPlan *plan,
                      const BpBlockGraph *graph,
                      const char *target,
                      const char *mirror,
                      gboolean shallow,
                      const char *activewrite,
                      GError **error)
{
    g_autoptr(BpPlan) part = bp_plan_new();
    BpBlockDisk *disk;
    BpPlanMerge merge = { 0 };

    if (!activewrite)
        activewrite = BP_PLANNER_BITMAP_ACTIVEWRITE;
    if (!(disk = bp_planner_get_disk(graph, target, error)))
        return FALSE;
    if (bp_planner_chain_index(disk, mirror) >= 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("node '%s' is already a layer of disk '%s'; it cannot be the "
                      "mirror"),
                    mirror, target);
        return FALSE;
    }
    if (!bp_planner_tmp_bitmap_prepare(part, graph, mirror, activewrite, error))
        return FALSE;
    g_ptr_array_add(part->before, bp_plan_action_bitmap_add(mirror, activewrite, FALSE, FALSE, 0));

    merge.top = 0;
    if (shallow && disk->chain->len > 1)
        merge.base = ((BpBlockNode *) g_ptr_array_index(disk->chain, 1))->node_name;
    merge.target = mirror;
    merge.write_node = mirror;
    merge.write_bitmap = activewrite;
    bp_planner_bitmap_merge(graph, disk, &merge, part->actions);
    bp_plan_append(plan, g_steal_pointer(&part));
    return TRUE;
}


gboolean
bp_planner_block_pull(BpPlan *plan,
                      const BpBlockGraph *graph,
                      const char *target,
                      const char *base,
                      GError **error)
{
    g_autoptr(BpPlan) part = bp_plan_new();
    BpBlockDisk *disk;
    BpPlanMerge merge = { 0 };

    if (!(disk = bp_planner_get_disk(graph, target, error)))
        return FALSE;
    if (base) {
        int idx = bp_planner_require_layer(disk, base, error);

        if (idx < 0)
            return FALSE;
        if (idx == 0) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("cannot pull disk '%s' down to its own top layer '%s'"),
                        target, base);
            return FALSE;
        }
    }
    merge.top = 0;
    merge.base = base;
    merge.target = bp_planner_disk_top(disk)->node_name;
    bp_planner_bitmap_merge(graph, disk, &merge, part->actions);
    bp_plan_append(plan, g_steal_pointer(&part));
    return TRUE;
}
