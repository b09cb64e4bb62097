/*
 * bp-blockjob-offline.c: block commit of a domain that is not running,
 * with qemu-img (see bp-blockjob-ops.h):
 *
 *   qemu-img commit -q -f FMT -b BASE TOP
 *   qemu-img rebase -q -u -f FMT -b BASE -F BASEFMT ABOVE    (non-active)
 *   qemu-img bitmap --merge NAME -b LAYER -F FMT BASE NAME   (per bitmap
 *       and committed layer, after a --add of the bitmaps base lacks)
 *
 * qemu-img commit writes into base with its recording bitmaps loaded, so
 * they get the committed clusters marked; those clusters were written
 * after every checkpoint whose bitmap the committed layers carry, so
 * that only repeats what the merge brings.
 *
 * Block pull:
 *
 *   qemu-img bitmap --disable -f FMT TOP NAME   (each recording bitmap)
 *   qemu-img rebase -q -f FMT -b BASE -F BASEFMT TOP    (-b "": all)
 *   qemu-img bitmap --enable -f FMT TOP NAME
 *   qemu-img bitmap --merge NAME -b LAYER -F FMT TOP NAME
 *
 * The safe-mode rebase copies the pulled clusters into the top; with its
 * bitmaps recording, every one of them would count as written since
 * each checkpoint, so they pause meanwhile; the merges then bring
 * exactly what the pulled layers recorded.
 */
#include <config.h>

#include <errno.h>
#include <glib/gstdio.h>

#include "bp-blockjob-priv.h"
#include "planner/bp-planner.h"
#include "qemu/bp-runtime-offline.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

typedef struct {
    BpStore *store;             /* borrowed: outlives the operation */
    gint64 domain_id;
    BpBlockAccess *access;
    char *domain_name;
    char *disk_spec;
    char *top_spec;
    char *base_spec;
    unsigned int flags;
    char *target;
    gboolean registered;
    BpBlockGraph *graph;
    GPtrArray *actions;         /* BpPlanAction* */
    char *top_file;
    char *top_format;
    char *above_file;           /* NULL: active layer committed */
    char *above_format;
    char *base_file;
    char *base_format;
    GPtrArray *gone_files;
    BpDomainDef *new_def;

    gboolean pull;
    char *pulled_file;          /* pull: the first layer below the top */
    GPtrArray *paused;          /* pull: char*, the top's bitmaps to pause */
    guint next;                 /* pull: index in paused */
    gboolean resuming;          /* pull: enabling them again */
    GError *failed;             /* pull: why it stopped before the resume */
    GPtrArray *lost;            /* pull: char*, checkpoints to mark broken */
} BpOfflineCommit;


static void
bp_offline_commit_free(BpOfflineCommit *op)
{
    if (op->registered)
        bp_blockjob_release(op->domain_id, op->target);
    g_clear_pointer(&op->access, bp_block_access_unref);
    g_free(op->domain_name);
    g_free(op->disk_spec);
    g_free(op->top_spec);
    g_free(op->base_spec);
    g_free(op->target);
    g_clear_pointer(&op->graph, bp_block_graph_free);
    g_clear_pointer(&op->actions, g_ptr_array_unref);
    g_free(op->top_file);
    g_free(op->top_format);
    g_free(op->above_file);
    g_free(op->above_format);
    g_free(op->base_file);
    g_free(op->base_format);
    g_clear_pointer(&op->gone_files, g_ptr_array_unref);
    g_clear_pointer(&op->new_def, bp_domain_def_free);
    g_free(op->pulled_file);
    g_clear_pointer(&op->paused, g_ptr_array_unref);
    g_clear_pointer(&op->lost, g_ptr_array_unref);
    g_clear_error(&op->failed);
    g_free(op);
}


static void
bp_offline_fail(GTask *task, GError *err)
{
    g_task_return_error(task, err);
    g_object_unref(task);
}


/* The new definition in the catalogue, files deleted when asked. */
static void
bp_offline_finish(GTask *task)
{
    BpOfflineCommit *op = g_task_get_task_data(task);
    g_autoptr(BpStoreDomain) dom = NULL;
    g_autoptr(BpDomainDef) def = NULL;
    GError *err = NULL;

    if (!(dom = bp_store_domain_get(op->store, op->domain_id, &err)) ||
        !(def = bp_domain_def_parse_string(dom->definition, 0, &err)) ||
        !(op->pull
          ? bp_blockjob_def_drop_pulled(def, op->target, op->pulled_file, op->base_file,
                                        op->base_format, &err)
          : bp_blockjob_def_drop_layers(def, op->target, op->top_file, op->base_file,
                                        op->base_format, &err)) ||
        !bp_blockjob_store_def(op->store, op->domain_id, def, &err) ||
        (op->pull && !bp_blockjob_pull_break(op->store, op->domain_id, op->domain_name,
                                             op->target, op->lost, &err))) {
        bp_offline_fail(task, err);
        return;
    }
    op->new_def = g_steal_pointer(&def);
    if (op->flags & BP_BLOCK_COMMIT_DELETE) {
        for (guint i = 0; i < op->gone_files->len; i++) {
            const char *path = g_ptr_array_index(op->gone_files, i);

            if (g_unlink(path) < 0)
                g_warning("domain %s: cannot delete committed image %s: %s",
                          op->domain_name, path, g_strerror(errno));
        }
    }
    g_task_return_boolean(task, TRUE);
    g_object_unref(task);
}


static void
bp_offline_merged_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpOfflineCommit *op = g_task_get_task_data(task);
    GError *err = NULL;

    if (!bp_block_access_apply_finish(result, &err)) {
        if (op->pull)
            g_prefix_error(&err, _("the pull into disk '%s' succeeded, but the pulled "
                                   "layers' bitmaps could not be merged into the top: "),
                           op->target);
        else
            g_prefix_error(&err, _("the commit of disk '%s' succeeded, but its bitmaps "
                                   "could not be merged into the base: "), op->target);
        bp_offline_fail(task, err);
        return;
    }
    bp_offline_finish(task);
}


static void
bp_offline_merge(GTask *task)
{
    BpOfflineCommit *op = g_task_get_task_data(task);

    bp_block_access_apply_async(op->access, op->graph, op->actions, NULL,
                                bp_offline_merged_cb, task);
}


static void
bp_offline_rebased_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    g_autofree char *out = NULL;
    GError *err = NULL;

    if (!(out = bp_qemu_img_run_finish(result, &err))) {
        bp_offline_fail(task, err);
        return;
    }
    bp_offline_merge(task);
}


static void
bp_offline_committed_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpOfflineCommit *op = g_task_get_task_data(task);
    g_autofree char *out = NULL;
    g_autofree char *backing = NULL;
    GError *err = NULL;

    if (!(out = bp_qemu_img_run_finish(result, &err))) {
        bp_offline_fail(task, err);
        return;
    }
    if (!op->above_file) {
        bp_offline_merge(task);
        return;
    }
    backing = g_strdup(op->base_file);
    if (op->flags & BP_BLOCK_COMMIT_RELATIVE) {
        g_autofree char *d1 = g_path_get_dirname(op->above_file);
        g_autofree char *d2 = g_path_get_dirname(op->base_file);

        if (g_str_equal(d1, d2)) {
            g_free(backing);
            backing = g_path_get_basename(op->base_file);
        }
    }
    {
        const char *args[] = { "rebase", "-q", "-u", "-f", op->above_format,
                               "-b", backing, "-F", op->base_format,
                               op->above_file, NULL };

        bp_qemu_img_run_async(bp_block_access_get_config(op->access), args,
                              op->above_file, NULL, bp_offline_rebased_cb, task);
    }
}


/* Finds the disk @op names (op->disk_spec, a target or a source path) in
 * the definition and in op->graph, and claims it for @op's job
 * (op->target set, op->registered TRUE).  Returns the disk in op->graph
 * (owned by it), or NULL with an error when the domain has no such disk
 * or the disk already has a job. */
static const BpBlockDisk *
bp_offline_claim_disk(BpOfflineCommit *op, GError **error)
{
    const BpDomainDef *def = bp_block_access_get_def(op->access);
    const BpDiskDef *ddef = bp_domain_def_find_disk_by_name_or_path(def, op->disk_spec);
    const BpBlockDisk *disk;

    if (!ddef || !(disk = bp_block_graph_get_disk(op->graph, ddef->dst))) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("domain '%s' has no disk '%s'"), op->domain_name, op->disk_spec);
        return NULL;
    }
    op->target = g_strdup(ddef->dst);
    if (!bp_blockjob_claim(op->domain_id, op->target, NULL, op->domain_name, error))
        return NULL;
    op->registered = TRUE;
    return disk;
}


static gboolean
bp_offline_prepare(BpOfflineCommit *op, GError **error)
{
    const BpBlockDisk *disk;
    const BpBlockNode *n;
    BpPlanMerge merge = { 0 };
    int top_idx, base_idx;

    if (!(disk = bp_offline_claim_disk(op, error)))
        return FALSE;
    /* Offline nothing writes: the active layer is just another layer. */
    if (!bp_blockjob_commit_range(op->graph, disk, op->top_spec, op->base_spec,
                                  op->flags | BP_BLOCK_COMMIT_ACTIVE,
                                  &top_idx, &base_idx, error))
        return FALSE;
    n = g_ptr_array_index(disk->chain, top_idx);
    op->top_file = g_strdup(n->filename);
    op->top_format = g_strdup(n->driver);
    if (top_idx > 0) {
        n = g_ptr_array_index(disk->chain, top_idx - 1);
        op->above_file = g_strdup(n->filename);
        op->above_format = g_strdup(n->driver);
    }
    n = g_ptr_array_index(disk->chain, base_idx);
    op->base_file = g_strdup(n->filename);
    op->base_format = g_strdup(n->driver);
    bp_blockjob_gone_layers(disk, top_idx, base_idx, NULL, &op->gone_files);
    merge.top = top_idx;
    merge.base = n->node_name;
    merge.target = n->node_name;
    op->actions = g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_action_free);
    bp_planner_bitmap_merge(op->graph, disk, &merge, op->actions);
    return TRUE;
}


static void
bp_offline_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpOfflineCommit *op = g_task_get_task_data(task);
    GError *err = NULL;

    if (!(op->graph = bp_block_access_read_graph_finish(result, &err)) ||
        !bp_offline_prepare(op, &err)) {
        bp_offline_fail(task, err);
        return;
    }
    {
        const char *args[] = { "commit", "-q", "-f", op->top_format, "-b", op->base_file,
                               op->top_file, NULL };

        bp_qemu_img_run_async(bp_block_access_get_config(op->access), args, op->top_file,
                              NULL, bp_offline_committed_cb, task);
    }
}


/* ---- pull ------------------------------------------------------------------ */

static void bp_offline_pull_step(GTask *task);


static void
bp_offline_pull_step_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpOfflineCommit *op = g_task_get_task_data(task);
    g_autofree char *out = NULL;
    GError *err = NULL;

    if (!(out = bp_qemu_img_run_finish(result, &err))) {
        if (!op->failed && op->resuming && op->next == 0) {
            /* The rebase failed: the backing file is unchanged, so is what
             * the disk reads; the bitmaps are resumed before failing. */
            op->failed = err;
        } else if (!op->failed && !op->resuming) {
            op->failed = err;
            op->resuming = TRUE;
            op->next = 0;
        } else {
            g_prefix_error(&err, _("the bitmaps of disk '%s' may be left disabled: "),
                           op->target);
            g_clear_error(&op->failed);
            bp_offline_fail(task, err);
            return;
        }
    }
    bp_offline_pull_step(task);
}


/* One qemu-img call after the other: pause the top's recording bitmaps,
 * rebase, resume them, then the merges. */
static void
bp_offline_pull_step(GTask *task)
{
    BpOfflineCommit *op = g_task_get_task_data(task);
    const BpQemuRuntimeConfig *config = bp_block_access_get_config(op->access);

    if (op->next < op->paused->len) {
        const char *name = g_ptr_array_index(op->paused, op->next++);
        const char *args[] = { "bitmap", op->resuming ? "--enable" : "--disable",
                               "-f", op->top_format, op->top_file, name, NULL };

        bp_qemu_img_run_async(config, args, op->top_file, NULL, bp_offline_pull_step_cb,
                              task);
        return;
    }
    if (op->failed) {
        bp_offline_fail(task, g_steal_pointer(&op->failed));
        return;
    }
    if (!op->resuming) {
        /* Without a base: -b "" (the top stands alone). */
        const char *args[] = { "rebase", "-q", "-f", op->top_format,
                               "-b", "", op->top_file, NULL, NULL, NULL };

        if (op->base_file) {
            args[5] = op->base_file;
            args[6] = "-F";
            args[7] = op->base_format;
            args[8] = op->top_file;
        }

        op->resuming = TRUE;
        op->next = 0;
        bp_qemu_img_run_async(config, args, op->top_file, NULL, bp_offline_pull_step_cb,
                              task);
        return;
    }
    bp_offline_merge(task);
}


static gboolean
bp_offline_prepare_pull(BpOfflineCommit *op, GError **error)
{
    const BpBlockDisk *disk;
    const BpBlockNode *n;
    g_autoptr(BpPlan) plan = bp_plan_new();
    int base_idx = -1;
    guint end;

    if (!(disk = bp_offline_claim_disk(op, error)))
        return FALSE;
    if (!bp_blockjob_pull_range(op->graph, disk, op->base_spec, op->domain_name,
                                &base_idx, error))
        return FALSE;
    if (base_idx > 0) {
        n = g_ptr_array_index(disk->chain, base_idx);
        op->base_file = g_strdup(n->filename);
        op->base_format = g_strdup(n->driver);
    }
    n = g_ptr_array_index(disk->chain, 0);
    op->top_file = g_strdup(n->filename);
    op->top_format = g_strdup(n->driver);
    op->paused = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; n->bitmaps && i < n->bitmaps->len; i++) {
        const BpBitmapInfo *bm = g_ptr_array_index(n->bitmaps, i);

        if (bm->name && bm->recording && bm->persistent && !bm->inconsistent)
            g_ptr_array_add(op->paused, g_strdup(bm->name));
    }
    op->pulled_file = g_strdup(((BpBlockNode *) g_ptr_array_index(disk->chain, 1))->filename);
    end = base_idx > 0 ? (guint) base_idx : disk->chain->len;
    bp_blockjob_gone_layers(disk, 1, end, NULL, &op->gone_files);
    if (!bp_planner_block_pull(plan, op->graph, op->target,
                               base_idx > 0
                               ? ((BpBlockNode *) g_ptr_array_index(disk->chain,
                                                                    base_idx))->node_name
                               : NULL, error) ||
        !(op->lost = bp_blockjob_pull_lost(op->store, op->domain_id, disk, base_idx, error)))
        return FALSE;
    op->actions = g_steal_pointer(&plan->actions);
    plan->actions = g_ptr_array_new();
    return TRUE;
}


static void
bp_offline_pull_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpOfflineCommit *op = g_task_get_task_data(task);
    GError *err = NULL;

    if (!(op->graph = bp_block_access_read_graph_finish(result, &err)) ||
        !bp_offline_prepare_pull(op, &err)) {
        bp_offline_fail(task, err);
        return;
    }
    bp_offline_pull_step(task);
}


static GTask *
bp_offline_new(BpStore *store, gint64 domain_id, BpBlockAccess *access, const char *disk,
               const char *top, const char *base, unsigned int flags,
               GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpOfflineCommit *op = g_new0(BpOfflineCommit, 1);

    g_task_set_source_tag(task, bp_blockjob_offline_commit_async);
    g_task_set_task_data(task, op, (GDestroyNotify) bp_offline_commit_free);
    op->store = store;
    op->domain_id = domain_id;
    op->access = bp_block_access_ref(access);
    op->domain_name = g_strdup(bp_block_access_get_def(access)->name);
    op->disk_spec = g_strdup(disk);
    op->top_spec = g_strdup(top);
    op->base_spec = g_strdup(base);
    op->flags = flags;
    if (bp_block_access_get_kind(access) != BP_BLOCK_ACCESS_OFFLINE) {
        bp_offline_fail(task, g_error_new(BP_ERROR, BP_ERROR_OPERATION_INVALID,
                                          _("domain '%s' is not running"),
                                          op->domain_name));
        return NULL;
    }
    return task;
}


void
bp_blockjob_offline_pull_async(BpStore *store, gint64 domain_id, BpBlockAccess *access,
                               const char *disk, const char *base, unsigned int flags,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
    GTask *task = bp_offline_new(store, domain_id, access, disk, NULL, base, flags,
                                 cancellable, callback, user_data);

    if (!task)
        return;
    ((BpOfflineCommit *) g_task_get_task_data(task))->pull = TRUE;
    bp_block_access_read_graph_async(access, NULL, bp_offline_pull_graph_cb, task);
}


void
bp_blockjob_offline_commit_async(BpStore *store, gint64 domain_id, BpBlockAccess *access,
                                 const char *disk, const char *top, const char *base,
                                 unsigned int flags, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = bp_offline_new(store, domain_id, access, disk, top, base, flags,
                                 cancellable, callback, user_data);

    if (task)
        bp_block_access_read_graph_async(access, NULL, bp_offline_graph_cb, task);
}


gboolean
bp_blockjob_offline_commit_finish(GAsyncResult *result, gboolean *pivoted,
                                  BpDomainDef **new_def, GError **error)
{
    BpOfflineCommit *op;

    if (!g_task_propagate_boolean(G_TASK(result), error))
        return FALSE;
    op = g_task_get_task_data(G_TASK(result));
    if (pivoted)
        *pivoted = TRUE;
    if (new_def)
        *new_def = g_steal_pointer(&op->new_def);
    return TRUE;
}
