/*
 * bp-backup-offline.c: backups of a shut-off domain (see bp-backup-ops.h):
 * the temporary read-only qemu-storage-daemon the push steps run
 * through, and the new checkpoint's bitmaps added with qemu-img once
 * the copy is done and the daemon has quit.
 */
#include <config.h>

#include "bp-backup-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"


/* ---- the temporary access --------------------------------------------------- */

void
bp_backup_access_open_async(BpBlockAccess *offline,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
    bp_block_access_open_live_in_async(offline, BP_BACKUP_TEMP_SUBDIR, cancellable,
                                       callback, user_data);
}


BpBlockAccess *
bp_backup_access_open_finish(GAsyncResult *result, GError **error)
{
    return bp_block_access_open_live_finish(result, error);
}


void
bp_backup_access_close_async(BpBlockAccess *temp,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
    bp_block_access_close_async(temp, callback, user_data);
}


void
bp_backup_access_close_finish(GAsyncResult *result)
{
    bp_block_access_close_finish(result);
}


/* ---- opening ------------------------------------------------------------------ */

static void
bp_backup_offline_open_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                          gpointer data)
{
    BpBackupOp *op = data;
    BpBlockAccess *temp;
    GError *err = NULL;

    if (!(temp = bp_backup_access_open_finish(result, &err))) {
        bp_backup_fail(op, err);
        bp_backup_return(op);
        return;
    }
    bp_block_access_unref(op->access);
    op->access = temp;
    op->mon = bp_block_access_get_monitor(temp);
    op->temp_open = TRUE;
    if (op->error) {            /* cancelled meanwhile */
        bp_backup_return(op);
        return;
    }
    bp_backup_read_graph(op);
}


static void
bp_backup_offline_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                           gpointer data)
{
    BpBackupOp *op = data;
    GError *err = NULL;

    if (!(op->ckpt_graph = bp_block_access_read_graph_finish(result, &err))) {
        bp_backup_fail(op, err);
        bp_backup_return(op);
        return;
    }
    bp_backup_access_open_async(op->offline, NULL, bp_backup_offline_open_cb, op);
}


void
bp_backup_offline_start(BpBackupOp *op)
{
    /* qemu-img info: the graph the new checkpoint is planned on (its
     * bitmaps go in with qemu-img), and a check that no other process
     * holds the images for writing. */
    bp_block_access_read_graph_async(op->offline, NULL, bp_backup_offline_graph_cb, op);
}


/* ---- closing ------------------------------------------------------------------- */

typedef struct {
    BpBackupOp *op;
    void (*func)(BpBackupOp *op);
} BpBackupOfflineClose;


static void
bp_backup_offline_closed_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                            gpointer data)
{
    g_autofree BpBackupOfflineClose *c = data;

    bp_backup_access_close_finish(result);
    c->func(c->op);
}


void
bp_backup_offline_close(BpBackupOp *op, void (*func)(BpBackupOp *op))
{
    BpBackupOfflineClose *c;

    if (!op->temp_open) {
        func(op);
        return;
    }
    op->temp_open = FALSE;
    c = g_new0(BpBackupOfflineClose, 1);
    c->op = op;
    c->func = func;
    bp_backup_access_close_async(op->access, bp_backup_offline_closed_cb, c);
}


/* ---- the new checkpoint -------------------------------------------------------- */

/* The checkpoint plan's actions in order (borrowed pointers). */
static GPtrArray *
bp_backup_offline_ckpt_actions(BpBackupOp *op)
{
    GPtrArray *all = g_ptr_array_new();
    GPtrArray *parts[] = { op->ckpt_plan->before, op->ckpt_plan->actions,
                           op->ckpt_plan->after };

    for (size_t k = 0; k < G_N_ELEMENTS(parts); k++)
        for (guint i = 0; i < parts[k]->len; i++)
            g_ptr_array_add(all, parts[k]->pdata[i]);
    return all;
}


static void
bp_backup_offline_undone_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                            gpointer data)
{
    BpBackupOp *op = data;
    g_autoptr(GError) err = NULL;

    if (!bp_block_access_apply_finish(result, &err))
        g_debug("removing the bitmaps of checkpoint '%s': %s", op->chk->name, err->message);
    bp_backup_call_done(op);
}


static void
bp_backup_offline_added_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                           gpointer data)
{
    BpBackupOp *op = data;
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GPtrArray) undo = NULL;
    GError *err = NULL;

    if (bp_block_access_apply_finish(result, &err)) {
        bp_backup_call_done(op);
        return;
    }
    g_prefix_error(&err, _("cannot add the bitmaps of checkpoint '%s': "), op->chk->name);
    bp_backup_fail(op, err);
    /* The adds before the failing one happened: take them back (a
     * bitmap that is not there makes this stop early, which is fine
     * since the adds ran in order). */
    all = bp_backup_offline_ckpt_actions(op);
    undo = g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_action_free);
    for (guint i = 0; i < all->len; i++) {
        const BpPlanAction *a = all->pdata[i];

        if (a->type == BP_PLAN_ACTION_BITMAP_ADD)
            g_ptr_array_add(undo, bp_plan_action_bitmap_remove(a->node, a->name));
    }
    bp_block_access_apply_async(op->offline, op->ckpt_graph, undo, NULL,
                                bp_backup_offline_undone_cb, op);
}


static void
bp_backup_offline_step_closed(BpBackupOp *op)
{
    bp_backup_call_done(op);
}


void
bp_backup_offline_step(BpBackupOp *op)
{
    g_autoptr(GPtrArray) all = NULL;

    switch (op->step) {
    case STEP_CLOSE_TEMP:
        if (!op->temp_open)
            return;
        op->pending++;
        bp_backup_offline_close(op, bp_backup_offline_step_closed);
        break;
    case STEP_OFFLINE_CHECKPOINT:
        if (!op->offline || !op->chk || !op->ckpt_plan || op->error)
            return;
        op->pending++;
        all = bp_backup_offline_ckpt_actions(op);
        bp_block_access_apply_async(op->offline, op->ckpt_graph, all, NULL,
                                    bp_backup_offline_added_cb, op);
        break;
    default:
        break;
    }
}
