/*
 * bp-planner-checkpoint.c: checkpoint create, delete and redefine.
 */
#include <config.h>

#include <string.h>

#include "bp-planner-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"


/* Refuses names blkpoint keeps for its temporary bitmaps, and names QEMU
 * cannot store. */
static gboolean
bp_planner_check_bitmap_name(const char *chkname, const char *bitmap, GError **error)
{
    if (bp_planner_bitmap_name_is_reserved(bitmap)) {
        g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                    _("bitmap name '%s' of checkpoint '%s' is reserved: names starting "
                      "with 'blkpoint-' or 'backup-' are used for temporary bitmaps"),
                    bitmap, chkname);
        return FALSE;
    }
    if (strlen(bitmap) > BP_PLANNER_BITMAP_NAME_MAX) {
        g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                    _("bitmap name of checkpoint '%s' is longer than %d bytes, "
                      "which QEMU cannot store"),
                    chkname, BP_PLANNER_BITMAP_NAME_MAX);
        return FALSE;
    }
    return TRUE;
}


static gboolean
bp_planner_check_checkpoint_name(const char *name, GError **error)
{
    if (bp_planner_bitmap_name_is_reserved(name)) {
        g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                    _("checkpoint name '%s' is reserved: names starting with 'blkpoint-' "
                      "or 'backup-' are used for temporary bitmaps"),
                    name);
        return FALSE;
    }
    return TRUE;
}


/* A new bitmap @bitmap for disk @disk must not meet an old one of that
 * name anywhere in the chain. */
static gboolean
bp_planner_check_bitmap_absent(const BpBlockDisk *disk, const BpPlanCatalogue *cat,
                               const char *bitmap, GError **error)
{
    for (guint i = 0; i < disk->chain->len; i++) {
        const BpBlockNode *node = g_ptr_array_index(disk->chain, i);
        g_autofree char *layer = NULL;
        const BpPlanCheckpoint *owner;

        if (!bp_block_node_find_bitmap(node, bitmap))
            continue;
        layer = bp_planner_layer_describe(node);
        owner = bp_plan_catalogue_bitmap_owner(cat, disk->target, bitmap, NULL);
        if (owner)
            g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                        _("layer %s of disk '%s' already has bitmap '%s', which belongs "
                          "to checkpoint '%s'"),
                        layer, disk->target, bitmap, owner->name);
        else
            g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                        _("layer %s of disk '%s' already has a bitmap '%s' that no "
                          "checkpoint owns; remove it (qemu-img bitmap --remove) or choose "
                          "another name"),
                        layer, disk->target, bitmap);
        return FALSE;
    }
    return TRUE;
}


gboolean
bp_planner_checkpoint_create(BpPlan *plan,
                             const BpBlockGraph *graph,
                             const BpPlanCatalogue *cat,
                             const BpPlanCheckpoint *chk,
                             GError **error)
{
    g_autoptr(BpPlan) part = bp_plan_new();

    if (bp_plan_catalogue_lookup(cat, chk->name)) {
        g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                    _("checkpoint '%s' already exists"), chk->name);
        return FALSE;
    }
    if (!bp_planner_check_checkpoint_name(chk->name, error))
        return FALSE;

    for (guint i = 0; i < chk->disks->len; i++) {
        const BpPlanCheckpointDisk *cd = g_ptr_array_index(chk->disks, i);
        g_autofree char *layer = NULL;
        BpBlockDisk *disk;
        BpBlockNode *top;

        for (guint j = 0; j < i; j++) {
            const BpPlanCheckpointDisk *other = g_ptr_array_index(chk->disks, j);

            if (g_str_equal(other->target, cd->target)) {
                g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("disk '%s' is listed twice in checkpoint '%s'"),
                            cd->target, chk->name);
                return FALSE;
            }
        }
        if (!cd->bitmap)
            continue;
        if (!bp_planner_check_bitmap_name(chk->name, cd->bitmap, error) ||
            !(disk = bp_planner_get_disk(graph, cd->target, error)))
            return FALSE;
        top = bp_planner_disk_top(disk);
        layer = bp_planner_layer_describe(top);
        if (g_strcmp0(top->driver, "qcow2") != 0) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("checkpoint for disk '%s' is impossible: its top layer %s is "
                          "'%s', and only qcow2 images can store bitmaps"),
                        cd->target, layer, top->driver ? top->driver : "");
            return FALSE;
        }
        if (top->read_only) {
            g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                        _("checkpoint for disk '%s' is impossible: its top layer %s is "
                          "read-only"),
                        cd->target, layer);
            return FALSE;
        }
        if (!bp_planner_check_bitmap_absent(disk, cat, cd->bitmap, error))
            return FALSE;
        g_ptr_array_add(part->actions,
                        bp_plan_action_bitmap_add(top->node_name, cd->bitmap, TRUE, FALSE,
                                                  cd->granularity));
    }
    bp_plan_append(plan, g_steal_pointer(&part));
    return TRUE;
}


/* Appends the descendants of @name to @out, pre-order.  @depth guards
 * against a catalogue with a cycle. */
static void
bp_planner_collect_descendants(const BpPlanCatalogue *cat, const char *name,
                               GPtrArray *out, guint depth)
{
    if (depth > cat->checkpoints->len)
        return;
    for (guint i = 0; i < cat->checkpoints->len; i++) {
        BpPlanCheckpoint *chk = g_ptr_array_index(cat->checkpoints, i);

        if (g_strcmp0(chk->parent, name) != 0 || g_str_equal(chk->name, name))
            continue;
        g_ptr_array_add(out, chk);
        bp_planner_collect_descendants(cat, chk->name, out, depth + 1);
    }
}


GPtrArray *
bp_planner_checkpoint_delete_list(const BpPlanCatalogue *cat,
                                  const char *name,
                                  BpPlanDeleteMode mode,
                                  GError **error)
{
    BpPlanCheckpoint *chk = bp_plan_catalogue_lookup(cat, name);
    g_autoptr(GPtrArray) list = g_ptr_array_new();

    if (!chk) {
        g_set_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT,
                    _("no checkpoint named '%s'"), name);
        return NULL;
    }
    if (mode != BP_PLAN_DELETE_SINGLE)
        bp_planner_collect_descendants(cat, chk->name, list, 0);
    if (mode != BP_PLAN_DELETE_CHILDREN_ONLY)
        g_ptr_array_add(list, chk);
    return g_steal_pointer(&list);
}


/* The checkpoint not in @doomed that names @bitmap on disk @target. */
static const BpPlanCheckpoint *
bp_planner_surviving_owner(const BpPlanCatalogue *cat, GPtrArray *doomed,
                           const char *target, const char *bitmap)
{
    for (guint i = 0; i < cat->checkpoints->len; i++) {
        const BpPlanCheckpoint *chk = g_ptr_array_index(cat->checkpoints, i);
        const BpPlanCheckpointDisk *cd;

        if (g_ptr_array_find(doomed, chk, NULL))
            continue;
        cd = bp_plan_checkpoint_find_disk(chk, target);
        if (cd && g_strcmp0(cd->bitmap, bitmap) == 0)
            return chk;
    }
    return NULL;
}


/* The removals of one checkpoint's bitmap on one disk. */
static gboolean
bp_planner_discard_disk(BpPlan *part, const BpPlanCheckpoint *chk,
                        const BpBlockDisk *disk, const char *bitmap,
                        GError **error)
{
    gboolean found = FALSE;

    for (guint i = 0; i < disk->chain->len; i++) {
        const BpBlockNode *node = g_ptr_array_index(disk->chain, i);
        const BpBitmapInfo *b = bp_block_node_find_bitmap(node, bitmap);

        if (!b)
            continue;
        found = TRUE;
        if (b->busy) {
            g_autofree char *layer = bp_planner_layer_describe(node);

            g_set_error(error, BP_ERROR, BP_ERROR_BUSY,
                        _("bitmap '%s' in layer %s of disk '%s' is in use by a job or an "
                          "export; checkpoint '%s' cannot be deleted now"),
                        bitmap, layer, disk->target, chk->name);
            return FALSE;
        }
        g_ptr_array_add(part->actions, bp_plan_action_bitmap_remove(node->node_name, bitmap));
        /* libvirt prepends: the lowest layer is reopened first. */
        if (node->read_only &&
            !g_ptr_array_find_with_equal_func(part->reopen, node->node_name,
                                              g_str_equal, NULL))
            g_ptr_array_insert(part->reopen, 0, g_strdup(node->node_name));
    }
    if (!found) {
        g_set_error(error, BP_ERROR, BP_ERROR_CHECKPOINT_INCONSISTENT,
                    _("bitmap '%s' of checkpoint '%s' is not in the backing chain of disk "
                      "'%s'; delete only the checkpoint's metadata (--metadata)"),
                    bitmap, chk->name, disk->target);
        return FALSE;
    }
    return TRUE;
}


gboolean
bp_planner_checkpoint_delete(BpPlan *plan,
                             const BpBlockGraph *graph,
                             const BpPlanCatalogue *cat,
                             const char *name,
                             BpPlanDeleteMode mode,
                             GError **error)
{
    g_autoptr(BpPlan) part = bp_plan_new();
    g_autoptr(GPtrArray) doomed = bp_planner_checkpoint_delete_list(cat, name, mode, error);
    g_autoptr(GHashTable) done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    if (!doomed)
        return FALSE;
    for (guint i = 0; i < doomed->len; i++) {
        const BpPlanCheckpoint *chk = g_ptr_array_index(doomed, i);

        for (guint j = 0; j < chk->disks->len; j++) {
            const BpPlanCheckpointDisk *cd = g_ptr_array_index(chk->disks, j);
            const BpPlanCheckpoint *owner;
            BpBlockDisk *disk;
            char *key;

            if (!cd->bitmap)
                continue;
            if (!(disk = bp_block_graph_get_disk(graph, cd->target)))
                continue;   /* unplugged since: nothing to remove, as in libvirt */
            if ((owner = bp_planner_surviving_owner(cat, doomed, cd->target, cd->bitmap))) {
                g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                            _("bitmap '%s' of disk '%s' also belongs to checkpoint '%s', "
                              "which is not being deleted; removing it would break that "
                              "checkpoint"),
                            cd->bitmap, cd->target, owner->name);
                return FALSE;
            }
            /* Two doomed checkpoints naming one bitmap: remove it once. */
            key = g_strdup_printf("%s/%s", cd->target, cd->bitmap);
            if (!g_hash_table_add(done, key))
                continue;
            if (!bp_planner_discard_disk(part, chk, disk, cd->bitmap, error))
                return FALSE;
        }
    }
    bp_plan_append(plan, g_steal_pointer(&part));
    return TRUE;
}


gboolean
bp_planner_checkpoint_redefine_check(const BpBlockGraph *graph,
                                     const BpPlanCatalogue *cat,
                                     const BpPlanCheckpoint *chk,
                                     gboolean validate,
                                     GError **error)
{
    g_return_val_if_fail(!validate || graph, FALSE);

    if (!bp_planner_check_checkpoint_name(chk->name, error))
        return FALSE;
    for (guint i = 0; i < chk->disks->len; i++) {
        const BpPlanCheckpointDisk *cd = g_ptr_array_index(chk->disks, i);
        const BpPlanCheckpoint *owner;
        g_autofree char *reason = NULL;
        BpBlockDisk *disk;

        if (!cd->bitmap)
            continue;
        if (!bp_planner_check_bitmap_name(chk->name, cd->bitmap, error))
            return FALSE;
        if ((owner = bp_plan_catalogue_bitmap_owner(cat, cd->target, cd->bitmap, chk->name))) {
            g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                        _("bitmap '%s' of disk '%s' belongs to checkpoint '%s'; checkpoint "
                          "'%s' cannot be redefined to use it (deleting either would remove "
                          "the other's bitmap)"),
                        cd->bitmap, cd->target, owner->name, chk->name);
            return FALSE;
        }
        if (!validate || !(disk = bp_block_graph_get_disk(graph, cd->target)) ||
            disk->chain->len == 0)
            continue;
        if (!bp_planner_bitmap_chain_is_valid(disk, cd->bitmap, &reason)) {
            g_set_error(error, BP_ERROR, BP_ERROR_CHECKPOINT_INCONSISTENT,
                        _("checkpoint '%s' does not match the images: %s"),
                        chk->name, reason);
            return FALSE;
        }
    }
    return TRUE;
}
