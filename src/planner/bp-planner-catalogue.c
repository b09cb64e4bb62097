/*
 * bp-planner-catalogue.c: the catalogue's view of a domain's checkpoints
 * as the planner sees it, and the reserved bitmap names.
 */
#include <config.h>

#include "bp-planner.h"

static const char *const bp_planner_reserved[] = BP_PLANNER_RESERVED_PREFIXES;


gboolean
bp_planner_bitmap_name_is_reserved(const char *name)
{
    for (size_t i = 0; name && bp_planner_reserved[i]; i++) {
        if (g_str_has_prefix(name, bp_planner_reserved[i]))
            return TRUE;
    }
    return FALSE;
}


char *
bp_planner_backup_bitmap_name(const char *target)
{
    return g_strconcat(BP_PLANNER_BITMAP_BACKUP_PREFIX, target, NULL);
}


static void
bp_plan_checkpoint_disk_free(BpPlanCheckpointDisk *disk)
{
    if (!disk)
        return;
    g_free(disk->target);
    g_free(disk->bitmap);
    g_free(disk);
}


BpPlanCheckpoint *
bp_plan_checkpoint_new(const char *name, const char *parent)
{
    BpPlanCheckpoint *chk = g_new0(BpPlanCheckpoint, 1);

    chk->name = g_strdup(name);
    chk->parent = g_strdup(parent);
    chk->disks = g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_checkpoint_disk_free);
    return chk;
}


void
bp_plan_checkpoint_add_disk(BpPlanCheckpoint *chk, const char *target,
                            const char *bitmap, guint64 granularity)
{
    BpPlanCheckpointDisk *disk = g_new0(BpPlanCheckpointDisk, 1);

    disk->target = g_strdup(target);
    disk->bitmap = g_strdup(bitmap);
    disk->granularity = granularity;
    g_ptr_array_add(chk->disks, disk);
}


void
bp_plan_checkpoint_free(BpPlanCheckpoint *chk)
{
    if (!chk)
        return;
    g_free(chk->name);
    g_free(chk->parent);
    g_ptr_array_unref(chk->disks);
    g_free(chk);
}


const BpPlanCheckpointDisk *
bp_plan_checkpoint_find_disk(const BpPlanCheckpoint *chk, const char *target)
{
    for (guint i = 0; i < chk->disks->len; i++) {
        const BpPlanCheckpointDisk *disk = g_ptr_array_index(chk->disks, i);

        if (g_str_equal(disk->target, target))
            return disk;
    }
    return NULL;
}


BpPlanCatalogue *
bp_plan_catalogue_new(void)
{
    BpPlanCatalogue *cat = g_new0(BpPlanCatalogue, 1);

    cat->checkpoints = g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_checkpoint_free);
    return cat;
}


void
bp_plan_catalogue_add(BpPlanCatalogue *cat, BpPlanCheckpoint *chk)
{
    g_ptr_array_add(cat->checkpoints, chk);
}


BpPlanCheckpoint *
bp_plan_catalogue_lookup(const BpPlanCatalogue *cat, const char *name)
{
    for (guint i = 0; cat && name && i < cat->checkpoints->len; i++) {
        BpPlanCheckpoint *chk = g_ptr_array_index(cat->checkpoints, i);

        if (g_str_equal(chk->name, name))
            return chk;
    }
    return NULL;
}


BpPlanCheckpoint *
bp_plan_catalogue_bitmap_owner(const BpPlanCatalogue *cat, const char *target,
                               const char *bitmap, const char *except)
{
    for (guint i = 0; cat && bitmap && i < cat->checkpoints->len; i++) {
        BpPlanCheckpoint *chk = g_ptr_array_index(cat->checkpoints, i);
        const BpPlanCheckpointDisk *disk;

        if (g_strcmp0(chk->name, except) == 0)
            continue;
        disk = bp_plan_checkpoint_find_disk(chk, target);
        if (disk && g_strcmp0(disk->bitmap, bitmap) == 0)
            return chk;
    }
    return NULL;
}


void
bp_plan_catalogue_free(BpPlanCatalogue *cat)
{
    if (!cat)
        return;
    g_ptr_array_unref(cat->checkpoints);
    g_free(cat);
}
