/*
 * bp-planner-bitmaps.c: bitmap chain validity, the merge primitive, and
 * the temporary bitmaps built from it (incremental backup, size).
 */
#include <config.h>

#include "bp-planner-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"


char *
bp_planner_layer_describe(const BpBlockNode *node)
{
    if (node->filename && *node->filename)
        return g_strdup_printf("'%s' (%s)", node->node_name, node->filename);
    return g_strdup_printf("'%s'", node->node_name);
}


BpBlockNode *
bp_planner_disk_top(const BpBlockDisk *disk)
{
    return g_ptr_array_index(disk->chain, 0);
}


BpBlockDisk *
bp_planner_get_disk(const BpBlockGraph *graph, const char *target, GError **error)
{
    BpBlockDisk *disk = bp_block_graph_get_disk(graph, target);

    if (!disk || disk->chain->len == 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("disk '%s' is not in the domain's block node graph"), target);
        return NULL;
    }
    return disk;
}


int
bp_planner_chain_index(const BpBlockDisk *disk, const char *node_name)
{
    for (guint i = 0; node_name && i < disk->chain->len; i++) {
        const BpBlockNode *node = g_ptr_array_index(disk->chain, i);

        if (g_str_equal(node->node_name, node_name))
            return (int) i;
    }
    return -1;
}


gboolean
bp_planner_chain_valid_from(const BpBlockDisk *disk, guint start,
                            const char *name, char **reason)
{
    gboolean found = FALSE;
    const BpBlockNode *missing = NULL;  /* first layer without it, below a found one */

    for (guint i = start; i < disk->chain->len; i++) {
        const BpBlockNode *node = g_ptr_array_index(disk->chain, i);
        const BpBitmapInfo *b = bp_block_node_find_bitmap(node, name);
        g_autofree char *layer = NULL;

        if (!b) {
            if (!found) {
                if (reason) {
                    layer = bp_planner_layer_describe(node);
                    *reason = g_strdup_printf(_("bitmap '%s' is missing from the top layer %s "
                                                "of disk '%s'"),
                                              name, layer, disk->target);
                }
                return FALSE;
            }
            if (!missing)
                missing = node;
            continue;
        }
        if (missing) {
            if (reason) {
                g_autofree char *gap = bp_planner_layer_describe(missing);

                layer = bp_planner_layer_describe(node);
                *reason = g_strdup_printf(_("bitmap '%s' of disk '%s' is missing from layer %s "
                                            "but present in layer %s below it"),
                                          name, disk->target, gap, layer);
            }
            return FALSE;
        }
        if (b->inconsistent || !b->persistent || !b->recording) {
            if (reason) {
                layer = bp_planner_layer_describe(node);
                if (b->inconsistent)
                    *reason = g_strdup_printf(_("bitmap '%s' in layer %s of disk '%s' is "
                                                "inconsistent (the image was not closed "
                                                "cleanly)"),
                                              name, layer, disk->target);
                else if (!b->persistent)
                    *reason = g_strdup_printf(_("bitmap '%s' in layer %s of disk '%s' is not "
                                                "persistent"),
                                              name, layer, disk->target);
                else
                    *reason = g_strdup_printf(_("bitmap '%s' in layer %s of disk '%s' is "
                                                "disabled (not recording)"),
                                              name, layer, disk->target);
            }
            return FALSE;
        }
        found = TRUE;
    }
    if (!found && reason)
        *reason = g_strdup_printf(_("disk '%s' has no layers below the starting point"),
                                  disk->target);
    return found;
}


gboolean
bp_planner_bitmap_chain_is_valid(const BpBlockDisk *disk, const char *name, char **reason)
{
    return bp_planner_chain_valid_from(disk, 0, name, reason);
}


void
bp_planner_bitmap_merge(const BpBlockGraph *graph,
                        const BpBlockDisk *disk,
                        const BpPlanMerge *merge,
                        GPtrArray *actions)
{
    const BpBlockNode *top;
    const BpBlockNode *target = bp_block_graph_lookup(graph, merge->target);
    g_autoptr(GPtrArray) cands = g_ptr_array_new();

    g_return_if_fail(merge->top < disk->chain->len);
    top = g_ptr_array_index(disk->chain, merge->top);

    for (guint i = 0; i < top->bitmaps->len; i++) {
        const BpBitmapInfo *b = g_ptr_array_index(top->bitmaps, i);

        if (!b->name || (merge->bitmap && !g_str_equal(b->name, merge->bitmap)))
            continue;
        if (bp_planner_chain_valid_from(disk, merge->top, b->name, NULL))
            g_ptr_array_add(cands, b->name);
    }

    /* libvirt collects the candidates by prepending: newest QEMU entry
     * last.  The order only matters for comparing with its output. */
    for (guint c = cands->len; c-- > 0;) {
        const char *cur = g_ptr_array_index(cands, c);
        const char *dst = merge->dst_bitmap ? merge->dst_bitmap : cur;
        g_autoptr(BpPlanAction) add = NULL;
        BpPlanAction *act = bp_plan_action_bitmap_merge(merge->target, dst);
        guint64 gran = 0;

        for (guint i = merge->top; i < disk->chain->len; i++) {
            const BpBlockNode *node = g_ptr_array_index(disk->chain, i);
            const BpBitmapInfo *b;

            if (merge->base && g_str_equal(node->node_name, merge->base))
                break;
            if (!(b = bp_block_node_find_bitmap(node, cur)))
                continue;
            if (gran == 0)
                gran = b->granularity;
            bp_plan_action_add_source(act, node->node_name, cur);
        }
        if (merge->dst_bitmap || !target || !bp_block_node_find_bitmap(target, cur))
            g_ptr_array_add(actions,
                            bp_plan_action_bitmap_add(merge->target, dst,
                                                      merge->dst_bitmap == NULL,
                                                      merge->dst_bitmap != NULL, gran));
        if (merge->write_node)
            bp_plan_action_add_source(act, merge->write_node, merge->write_bitmap);
        g_ptr_array_add(actions, act);
    }
    if (merge->write_node)
        g_ptr_array_add(actions,
                        bp_plan_action_bitmap_remove(merge->write_node, merge->write_bitmap));
}


gboolean
bp_planner_tmp_bitmap_prepare(BpPlan *part, const BpBlockGraph *graph,
                              const char *node_name, const char *tmp_name,
                              GError **error)
{
    const BpBlockNode *node = bp_block_graph_lookup(graph, node_name);
    const BpBitmapInfo *old = node ? bp_block_node_find_bitmap(node, tmp_name) : NULL;

    if (!old)
        return TRUE;
    if (old->persistent) {
        g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                    _("node '%s' already has a persistent bitmap '%s', the name of a "
                      "temporary bitmap; remove it first"),
                    node_name, tmp_name);
        return FALSE;
    }
    /* A transient leftover (our daemon stopped before removing it, QEMU
     * kept running): it goes first, as libvirt does for its size bitmap. */
    g_ptr_array_add(part->before, bp_plan_action_bitmap_remove(node_name, tmp_name));
    return TRUE;
}


static void
bp_plan_add_tmp_bitmap(BpPlan *plan, const char *target, const char *node,
                       const char *name)
{
    BpPlanTmpBitmap *tmp = g_new0(BpPlanTmpBitmap, 1);

    tmp->target = g_strdup(target);
    tmp->node = g_strdup(node);
    tmp->name = g_strdup(name);
    g_ptr_array_add(plan->tmp_bitmaps, tmp);
}


gboolean
bp_planner_backup_bitmap(BpPlan *plan,
                         const BpBlockGraph *graph,
                         const char *target,
                         const char *bitmap,
                         const char *node,
                         const char *tmp_name,
                         GError **error)
{
    g_autoptr(BpPlan) part = bp_plan_new();
    g_autofree char *default_name = NULL;
    g_autofree char *reason = NULL;
    BpBlockDisk *disk;
    const char *top;
    BpPlanMerge merge = { 0 };

    if (!(disk = bp_planner_get_disk(graph, target, error)))
        return FALSE;
    if (!bp_planner_bitmap_chain_is_valid(disk, bitmap, &reason)) {
        g_set_error(error, BP_ERROR, BP_ERROR_CHECKPOINT_INCONSISTENT,
                    _("cannot back up disk '%s' incrementally from bitmap '%s': %s"),
                    target, bitmap, reason);
        return FALSE;
    }
    top = bp_planner_disk_top(disk)->node_name;
    if (!node)
        node = top;
    if (!tmp_name)
        tmp_name = default_name = bp_planner_backup_bitmap_name(target);
    for (guint i = 0; i < plan->tmp_bitmaps->len; i++) {
        const BpPlanTmpBitmap *tmp = g_ptr_array_index(plan->tmp_bitmaps, i);

        if (g_str_equal(tmp->node, node) && g_str_equal(tmp->name, tmp_name)) {
            g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                        _("the plan already puts a temporary bitmap '%s' on node '%s'"),
                        tmp_name, node);
            return FALSE;
        }
    }
    if (!bp_planner_tmp_bitmap_prepare(part, graph, node, tmp_name, error))
        return FALSE;

    merge.target = node;
    merge.bitmap = bitmap;
    merge.dst_bitmap = tmp_name;
    bp_planner_bitmap_merge(graph, disk, &merge, part->actions);
    bp_plan_add_tmp_bitmap(part, target, node, tmp_name);
    if (g_str_equal(node, top))
        g_ptr_array_add(part->after, bp_plan_action_bitmap_remove(node, tmp_name));
    bp_plan_append(plan, g_steal_pointer(&part));
    return TRUE;
}


gboolean
bp_planner_checkpoint_size(BpPlan *plan,
                           const BpBlockGraph *graph,
                           const BpPlanCheckpoint *chk,
                           const char *tmp_name,
                           GError **error)
{
    g_autoptr(BpPlan) part = bp_plan_new();

    if (!tmp_name)
        tmp_name = BP_PLANNER_BITMAP_SIZE;
    for (guint i = 0; i < chk->disks->len; i++) {
        const BpPlanCheckpointDisk *cd = g_ptr_array_index(chk->disks, i);
        BpBlockDisk *disk;
        const char *top;
        BpPlanMerge merge = { 0 };

        if (!cd->bitmap || !(disk = bp_block_graph_get_disk(graph, cd->target)) ||
            disk->chain->len == 0 ||
            !bp_planner_bitmap_chain_is_valid(disk, cd->bitmap, NULL))
            continue;   /* no size for this disk, as in libvirt */
        top = bp_planner_disk_top(disk)->node_name;
        if (!bp_planner_tmp_bitmap_prepare(part, graph, top, tmp_name, error))
            return FALSE;
        merge.target = top;
        merge.bitmap = cd->bitmap;
        merge.dst_bitmap = tmp_name;
        bp_planner_bitmap_merge(graph, disk, &merge, part->actions);
        bp_plan_add_tmp_bitmap(part, cd->target, top, tmp_name);
        g_ptr_array_add(part->after, bp_plan_action_bitmap_remove(top, tmp_name));
    }
    bp_plan_append(plan, g_steal_pointer(&part));
    return TRUE;
}
