/*
 * bp-checkpoint-common.c: what the checkpoint operations share (see
 * bp-checkpoint-priv.h), and the listing and formatting queries.
 */
#include <config.h>

#include <string.h>

#include "bp-checkpoint-priv.h"
#include "bp-domain-ops.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

static BpCheckpointOpsHook bp_checkpoint_test_hook;
static gpointer bp_checkpoint_test_hook_data;


void
bp_checkpoint_ops_set_test_hook(BpCheckpointOpsHook hook, gpointer data)
{
    bp_checkpoint_test_hook = hook;
    bp_checkpoint_test_hook_data = data;
}


void
bp_checkpoint_hook(const char *step, const char *checkpoint)
{
    if (bp_checkpoint_test_hook)
        bp_checkpoint_test_hook(step, checkpoint, bp_checkpoint_test_hook_data);
}


/* ---- rows and views ------------------------------------------------------ */

GPtrArray *
bp_checkpoint_rows(BpStore *store, gint64 domain_id, GError **error)
{
    return bp_store_checkpoint_list(store, domain_id, BP_STORE_CHECKPOINTS_ALL, NULL,
                                    BP_STORE_LIST_TOPOLOGICAL | BP_STORE_LIST_DISKS,
                                    error);
}


BpStoreCheckpoint *
bp_checkpoint_rows_find(GPtrArray *rows, const char *name)
{
    for (guint i = 0; rows && i < rows->len; i++) {
        BpStoreCheckpoint *row = g_ptr_array_index(rows, i);

        if (g_str_equal(row->name, name))
            return row;
    }
    return NULL;
}


gboolean
bp_checkpoint_disk_has_bitmap(const BpBlockGraph *graph, const char *target,
                              const char *bitmap)
{
    BpBlockDisk *disk = bp_block_graph_get_disk(graph, target);

    for (guint i = 0; disk && i < disk->chain->len; i++) {
        if (bp_block_node_find_bitmap(g_ptr_array_index(disk->chain, i), bitmap))
            return TRUE;
    }
    return FALSE;
}


BpPlanCheckpoint *
bp_checkpoint_plan_from_row(const BpStoreCheckpoint *row)
{
    BpPlanCheckpoint *chk = bp_plan_checkpoint_new(row->name, row->parent);

    for (guint i = 0; row->disks && i < row->disks->len; i++) {
        const BpStoreCheckpointDisk *disk = g_ptr_array_index(row->disks, i);

        bp_plan_checkpoint_add_disk(chk, disk->target,
                                    disk->included ? disk->bitmap : NULL,
                                    disk->granularity);
    }
    return chk;
}


BpPlanCatalogue *
bp_checkpoint_catalogue(GPtrArray *rows, const BpBlockGraph *graph)
{
    BpPlanCatalogue *cat = bp_plan_catalogue_new();

    for (guint i = 0; i < rows->len; i++) {
        const BpStoreCheckpoint *row = g_ptr_array_index(rows, i);
        BpPlanCheckpoint *chk = bp_plan_checkpoint_new(row->name, row->parent);
        gboolean unusable = row->state != BP_STORE_CHECKPOINT_READY;

        for (guint k = 0; row->disks && k < row->disks->len; k++) {
            const BpStoreCheckpointDisk *disk = g_ptr_array_index(row->disks, k);
            const char *bitmap = disk->included ? disk->bitmap : NULL;

            if (bitmap && graph && unusable &&
                bp_block_graph_get_disk(graph, disk->target) &&
                !bp_checkpoint_disk_has_bitmap(graph, disk->target, bitmap))
                bitmap = NULL;
            bp_plan_checkpoint_add_disk(chk, disk->target, bitmap, disk->granularity);
        }
        bp_plan_catalogue_add(cat, chk);
    }
    return cat;
}


BpPlanCheckpoint *
bp_checkpoint_plan_from_def(const BpCheckpointDef *def)
{
    BpPlanCheckpoint *chk = bp_plan_checkpoint_new(def->name, def->parent);

    for (size_t i = 0; i < def->ndisks; i++) {
        const BpCheckpointDiskDef *disk = def->disks[i];

        bp_plan_checkpoint_add_disk(chk, disk->name,
                                    disk->type == BP_CHECKPOINT_TYPE_NO ? NULL : disk->bitmap,
                                    0);
    }
    return chk;
}


BpStoreCheckpoint *
bp_checkpoint_row_from_def(gint64 domain_id, const BpCheckpointDef *def,
                           BpStoreCheckpointState state, const BpBlockGraph *graph)
{
    BpStoreCheckpoint *row = bp_store_checkpoint_new(domain_id, def->name);

    row->parent = g_strdup(def->parent);
    row->creation_time = def->creation_time;
    row->description = g_strdup(def->description);
    row->domain_xml = def->dom ? bp_domain_def_format_string(def->dom) : NULL;
    row->state = state;
    for (size_t i = 0; i < def->ndisks; i++) {
        const BpCheckpointDiskDef *disk = def->disks[i];
        BpBlockDisk *gdisk = graph ? bp_block_graph_get_disk(graph, disk->name) : NULL;
        guint64 size = 0;

        if (gdisk && gdisk->chain->len)
            size = ((BpBlockNode *) g_ptr_array_index(gdisk->chain, 0))->virtual_size;
        g_ptr_array_add(row->disks,
                        bp_store_checkpoint_disk_new(disk->name,
                                                     disk->type == BP_CHECKPOINT_TYPE_NO
                                                     ? NULL : disk->bitmap,
                                                     0, size));
    }
    return row;
}


BpCheckpointDef *
bp_checkpoint_def_from_row(const BpStoreCheckpoint *row, GError **error)
{
    g_autoptr(BpCheckpointDef) def = bp_checkpoint_def_new();

    def->name = g_strdup(row->name);
    def->parent = g_strdup(row->parent);
    def->description = g_strdup(row->description);
    def->creation_time = row->creation_time;
    for (guint i = 0; row->disks && i < row->disks->len; i++) {
        const BpStoreCheckpointDisk *disk = g_ptr_array_index(row->disks, i);

        bp_checkpoint_def_add_disk(def,
                                   bp_checkpoint_disk_def_new(disk->target,
                                                              disk->included
                                                              ? BP_CHECKPOINT_TYPE_BITMAP
                                                              : BP_CHECKPOINT_TYPE_NO,
                                                              disk->included
                                                              ? disk->bitmap : NULL));
    }
    if (row->domain_xml && *row->domain_xml) {
        if (!(def->dom = bp_domain_def_parse_string(row->domain_xml, 0, error))) {
            g_prefix_error(error, _("the domain stored with checkpoint '%s': "), row->name);
            return NULL;
        }
    }
    return g_steal_pointer(&def);
}


char *
bp_checkpoint_invalid_reason(const BpBlockGraph *graph, const BpStoreCheckpoint *row)
{
    for (guint i = 0; row->disks && i < row->disks->len; i++) {
        const BpStoreCheckpointDisk *disk = g_ptr_array_index(row->disks, i);
        BpBlockDisk *gdisk;
        g_autofree char *why = NULL;

        if (!disk->included || !disk->bitmap)
            continue;
        /* A disk the domain no longer has is not held against it, as
         * libvirt does for unplugged disks. */
        if (!(gdisk = bp_block_graph_get_disk(graph, disk->target)))
            continue;
        if (!bp_planner_bitmap_chain_is_valid(gdisk, disk->bitmap, &why))
            return g_strdup_printf(_("disk '%s': %s"), disk->target,
                                   why ? why : _("bitmap chain is not valid"));
    }
    return NULL;
}


void
bp_checkpoint_removals(const BpBlockGraph *graph, const BpStoreCheckpoint *row,
                       gboolean top_only, GPtrArray *actions, GPtrArray *reopen)
{
    for (guint i = 0; row->disks && i < row->disks->len; i++) {
        const BpStoreCheckpointDisk *disk = g_ptr_array_index(row->disks, i);
        BpBlockDisk *gdisk;

        if (!disk->included || !disk->bitmap ||
            !(gdisk = bp_block_graph_get_disk(graph, disk->target)))
            continue;
        for (guint k = 0; k < gdisk->chain->len && (!top_only || k == 0); k++) {
            BpBlockNode *node = g_ptr_array_index(gdisk->chain, k);

            if (!bp_block_node_find_bitmap(node, disk->bitmap))
                continue;
            g_ptr_array_add(actions, bp_plan_action_bitmap_remove(node->node_name,
                                                                  disk->bitmap));
            if (reopen && node->read_only &&
                !g_ptr_array_find_with_equal_func(reopen, node->node_name,
                                                  g_str_equal, NULL))
                g_ptr_array_insert(reopen, 0, g_strdup(node->node_name));
        }
    }
}


/* ---- running actions with reopens ---------------------------------------- */

typedef struct {
    BpBlockAccess *access;
    BpBlockGraph *graph;        /* borrowed: the caller keeps it alive */
    GPtrArray *reopen;
    GPtrArray *actions;
    GError *error;              /* the apply's failure, reported after the
                                 * read-only reopen */
} BpRunActions;


static void
bp_run_actions_free(BpRunActions *run)
{
    bp_block_access_unref(run->access);
    g_ptr_array_unref(run->reopen);
    g_ptr_array_unref(run->actions);
    g_clear_error(&run->error);
    g_free(run);
}


static void
bp_run_actions_ro_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpRunActions *run = g_task_get_task_data(task);
    g_autoptr(GError) err = NULL;

    if (!bp_block_access_reopen_finish(result, &err))
        g_warning("domain %s: cannot reopen block nodes read-only again: %s",
                  bp_block_access_get_def(run->access)->name, err->message);
    if (run->error)
        g_task_return_error(task, g_steal_pointer(&run->error));
    else
        g_task_return_boolean(task, TRUE);
}


static void
bp_run_actions_apply_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                        gpointer user_data)
{
    GTask *task = user_data;
    BpRunActions *run = g_task_get_task_data(task);

    bp_block_access_apply_finish(result, &run->error);
    bp_block_access_reopen_async(run->access, run->graph, run->reopen, FALSE,
                                 g_task_get_cancellable(task), bp_run_actions_ro_cb, task);
}


static void
bp_run_actions_rw_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    BpRunActions *run = g_task_get_task_data(task);
    GError *err = NULL;

    if (!bp_block_access_reopen_finish(result, &err)) {
        g_prefix_error(&err, _("cannot reopen backing layers read-write: "));
        g_task_return_error(task, err);
        g_object_unref(task);
        return;
    }
    bp_block_access_apply_async(run->access, run->graph, run->actions,
                                g_task_get_cancellable(task), bp_run_actions_apply_cb, task);
}


void
bp_checkpoint_run_actions_async(BpBlockAccess *access,
                                const BpBlockGraph *graph,
                                const GPtrArray *reopen,
                                const GPtrArray *actions,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpRunActions *run = g_new0(BpRunActions, 1);

    g_task_set_source_tag(task, bp_checkpoint_run_actions_async);
    run->access = bp_block_access_ref(access);
    run->graph = (BpBlockGraph *) graph;
    run->reopen = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; reopen && i < reopen->len; i++)
        g_ptr_array_add(run->reopen, g_strdup(g_ptr_array_index(reopen, i)));
    run->actions = g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_action_free);
    for (guint i = 0; actions && i < actions->len; i++)
        g_ptr_array_add(run->actions, bp_plan_action_copy(g_ptr_array_index(actions, i)));
    g_task_set_task_data(task, run, (GDestroyNotify) bp_run_actions_free);
    bp_block_access_reopen_async(access, graph, run->reopen, TRUE, cancellable,
                                 bp_run_actions_rw_cb, task);
}


gboolean
bp_checkpoint_run_actions_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}


/* ---- queries ---------------------------------------------------------------- */

static gint
bp_checkpoint_name_cmp(gconstpointer a, gconstpointer b)
{
    const char *x = *(const char *const *) a;
    const char *y = *(const char *const *) b;
    int r = g_ascii_strcasecmp(x, y);

    return r ? r : strcmp(x, y);
}


GPtrArray *
bp_checkpoint_ops_list(BpStore *store, gint64 domain_id, const char *from,
                       unsigned int flags, GError **error)
{
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    BpStoreCheckpointScope scope = BP_STORE_CHECKPOINTS_ALL;
    unsigned int sflags = 0;

    if (from && (flags & BP_CHECKPOINT_LIST_ROOTS)) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("listing the roots and the children of a checkpoint "
                              "are mutually exclusive"));
        return NULL;
    }
    if ((flags & BP_CHECKPOINT_LIST_LEAVES) && (flags & BP_CHECKPOINT_LIST_NO_LEAVES))
        return g_steal_pointer(&names);
    if (from)
        scope = (flags & BP_CHECKPOINT_LIST_DESCENDANTS) ? BP_STORE_CHECKPOINTS_DESCENDANTS_OF
                                                         : BP_STORE_CHECKPOINTS_CHILDREN_OF;
    else if (flags & BP_CHECKPOINT_LIST_ROOTS)
        scope = BP_STORE_CHECKPOINTS_ROOTS;
    if (flags & BP_CHECKPOINT_LIST_TOPOLOGICAL)
        sflags |= BP_STORE_LIST_TOPOLOGICAL;
    if (flags & BP_CHECKPOINT_LIST_LEAVES)
        sflags |= BP_STORE_LIST_LEAVES;
    if (flags & BP_CHECKPOINT_LIST_NO_LEAVES)
        sflags |= BP_STORE_LIST_NO_LEAVES;
    if (!(rows = bp_store_checkpoint_list(store, domain_id, scope, from, sflags, error)))
        return NULL;
    for (guint i = 0; i < rows->len; i++)
        g_ptr_array_add(names, g_strdup(((BpStoreCheckpoint *) rows->pdata[i])->name));
    if (!(flags & BP_CHECKPOINT_LIST_TOPOLOGICAL))
        g_ptr_array_sort(names, bp_checkpoint_name_cmp);
    return g_steal_pointer(&names);
}


char *
bp_checkpoint_ops_get_xml(BpStore *store, gint64 domain_id, const char *name,
                          unsigned int flags, GError **error)
{
    g_autoptr(BpStoreCheckpoint) row = NULL;
    g_autoptr(BpCheckpointDef) def = NULL;

    if (!(row = bp_store_checkpoint_get(store, domain_id, name, error)) ||
        !(def = bp_checkpoint_def_from_row(row, error)))
        return NULL;
    if (def->dom && !(flags & BP_CHECKPOINT_XML_SECURE))
        bp_domain_ops_strip_secrets(def->dom);
    return bp_checkpoint_def_format(def, flags & ~BP_CHECKPOINT_XML_SIZE);
}
