/*
 * bp-snapshot-reconcile.c: settling snapshot creations a crash
 * interrupted (see bp-snapshot-ops.h).
 *
 * The rules, per "snapshot-create" job left in the catalogue:
 *
 *   - running domain: QEMU's graph decides.  The transaction is atomic:
 *     either every overlay is the active layer of its disk (finish: the
 *     record and the definitions), or none is (undo: the overlay nodes
 *     QEMU still has are deleted, the files the job created removed).
 *   - domain not running, job of a running domain ("disk-snapshot"): QEMU
 *     may have written into the overlays before it went away, so they are
 *     never thrown away once they exist: every overlay file exists and
 *     is not empty → finish; else undo.
 *   - domain not running, job of a shut-off domain: the phase decides
 *     ("applied" after the last qemu-img call → finish, else undo).
 */
#include <config.h>

#include <glib/gstdio.h>

#include "bp-snapshot-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

typedef struct {
    BpStore *store;
    gint64 domain_id;
    BpBlockAccess *access;      /* may be NULL */
    GPtrArray *jobs;            /* BpStoreJob* of this domain */
    guint next;
    BpStoreJob *job;            /* the one being settled (in @jobs) */
    BpSnapRecord *rec;
    guint changed;
    BpDomainDef *new_def;
    GError *error;              /* the first failure */
} BpSnapReconcile;


static void
bp_snap_reconcile_free(BpSnapReconcile *r)
{
    if (r->access)
        bp_block_access_unref(r->access);
    g_ptr_array_unref(r->jobs);
    bp_snap_record_free(r->rec);
    bp_domain_def_free(r->new_def);
    g_clear_error(&r->error);
    g_free(r);
}


static void bp_snap_reconcile_next(GTask *task);


static void
bp_snap_reconcile_note(BpSnapReconcile *r, GError *err)
{
    if (!r->error)
        r->error = err;
    else
        g_error_free(err);
}


static void
bp_snap_reconcile_finish_one(GTask *task, gboolean keep)
{
    BpSnapReconcile *r = g_task_get_task_data(task);
    GError *err = NULL;

    if (keep) {
        BpDomainRun *run = r->access ? bp_block_access_get_run(r->access) : NULL;
        BpDomainDef *def = NULL;

        if (bp_snap_commit(r->store, r->domain_id, r->job->id, r->rec, run, &def, &err)) {
            bp_domain_def_free(r->new_def);
            r->new_def = def;
            r->changed++;
            g_message("snapshot '%s' interrupted by a restart: finished", r->rec->name);
        } else {
            bp_snap_reconcile_note(r, err);
        }
    } else {
        bp_snap_remove_files(r->rec->disks, FALSE);
        if (bp_store_job_remove(r->store, r->job->id, &err)) {
            r->changed++;
            g_message("snapshot '%s' interrupted by a restart: undone", r->rec->name);
        } else {
            bp_snap_reconcile_note(r, err);
        }
    }
    bp_snap_reconcile_next(task);
}


static void
bp_snap_reconcile_undo_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                          gpointer data)
{
    GTask *task = data;
    g_autoptr(GError) err = NULL;

    /* An overlay QEMU refuses to delete is in use: the snapshot happened
     * although the graph as we read it (from the old top) did not show
     * it.  Its data must stay: finish instead. */
    if (!bp_snap_run_finish(result, &err)) {
        g_message("an overlay of an interrupted snapshot is in use (%s): keeping it",
                  err->message);
        bp_snap_reconcile_finish_one(task, TRUE);
        return;
    }
    bp_snap_reconcile_finish_one(task, FALSE);
}


static void
bp_snap_reconcile_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                           gpointer data)
{
    GTask *task = data;
    BpSnapReconcile *r = g_task_get_task_data(task);
    g_autoptr(BpBlockGraph) graph = NULL;
    GPtrArray *cmds;
    gboolean all = TRUE;
    GError *err = NULL;

    if (!(graph = bp_block_access_read_graph_finish(result, &err))) {
        bp_snap_reconcile_note(r, err);
        bp_snap_reconcile_next(task);
        return;
    }
    for (guint i = 0; i < r->rec->disks->len; i++) {
        BpSnapDisk *d = g_ptr_array_index(r->rec->disks, i);
        BpBlockDisk *bd = bp_block_graph_get_disk(graph, d->target);
        BpBlockNode *top = bd && bd->chain->len ? g_ptr_array_index(bd->chain, 0) : NULL;

        if (!top || g_strcmp0(top->node_name, d->fmt_node) != 0)
            all = FALSE;
    }
    if (all) {
        bp_snap_reconcile_finish_one(task, TRUE);
        return;
    }
    cmds = bp_snap_undo_cmds(r->rec->disks, graph);
    /* Format nodes first: their deletion must succeed (see the callback). */
    for (guint i = 0; i < cmds->len; i++) {
        BpSnapCmd *cmd = g_ptr_array_index(cmds, i);
        const char *node = json_object_get_string_member(cmd->args, "node-name");

        if (g_str_has_suffix(node, "-fmt"))
            cmd->ignore_error = FALSE;
    }
    bp_snap_run_async(bp_block_access_get_monitor(r->access), NULL, cmds, NULL,
                      bp_snap_reconcile_undo_cb, task);
}


/* Offline: whether every overlay exists and is not empty. */
static gboolean
bp_snap_reconcile_files_exist(const BpSnapRecord *rec)
{
    for (guint i = 0; i < rec->disks->len; i++) {
        const BpSnapDisk *d = g_ptr_array_index(rec->disks, i);
        GStatBuf st;

        if (g_stat(d->path, &st) < 0 || st.st_size == 0)
            return FALSE;
    }
    return TRUE;
}


static void
bp_snap_reconcile_next(GTask *task)
{
    BpSnapReconcile *r = g_task_get_task_data(task);
    GError *err = NULL;

    g_clear_pointer(&r->rec, bp_snap_record_free);
    if (r->next >= r->jobs->len) {
        if (r->error)
            g_task_return_error(task, g_steal_pointer(&r->error));
        else
            g_task_return_boolean(task, TRUE);
        g_object_unref(task);
        return;
    }
    r->job = g_ptr_array_index(r->jobs, r->next++);
    if (!(r->rec = bp_snap_record_from_json(r->job->data, &err))) {
        /* Nothing to go by: the job goes, the files stay. */
        g_warning("domain #%" G_GINT64_FORMAT ": %s; dropping it", r->domain_id, err->message);
        g_error_free(err);
        if (!bp_store_job_remove(r->store, r->job->id, &err))
            bp_snap_reconcile_note(r, err);
        bp_snap_reconcile_next(task);
        return;
    }
    if (r->access && bp_block_access_get_kind(r->access) == BP_BLOCK_ACCESS_RUN) {
        bp_block_access_read_graph_async(r->access, NULL, bp_snap_reconcile_graph_cb, task);
        return;
    }
    if (g_strcmp0(r->rec->state, "shutoff") == 0)
        bp_snap_reconcile_finish_one(task, g_strcmp0(r->job->phase, "applied") == 0);
    else
        bp_snap_reconcile_finish_one(task, bp_snap_reconcile_files_exist(r->rec));
}


void
bp_snapshot_ops_reconcile_async(BpStore *store,
                                gint64 domain_id,
                                BpBlockAccess *access,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpSnapReconcile *r = g_new0(BpSnapReconcile, 1);
    g_autoptr(GPtrArray) all = NULL;
    GError *err = NULL;

    g_task_set_source_tag(task, bp_snapshot_ops_reconcile_async);
    r->store = store;
    r->domain_id = domain_id;
    r->access = access ? bp_block_access_ref(access) : NULL;
    r->jobs = g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_job_free);
    g_task_set_task_data(task, r, (GDestroyNotify) bp_snap_reconcile_free);
    if (!(all = bp_store_job_list_unfinished(store, &err))) {
        g_task_return_error(task, err);
        g_object_unref(task);
        return;
    }
    for (guint i = 0; i < all->len; i++) {
        BpStoreJob *job = g_ptr_array_index(all, i);

        if (job->domain_id == domain_id && g_strcmp0(job->kind, BP_SNAPSHOT_JOB_CREATE) == 0)
            g_ptr_array_add(r->jobs, g_ptr_array_steal_index(all, i--));
    }
    bp_snap_reconcile_next(task);
}


gboolean
bp_snapshot_ops_reconcile_finish(GAsyncResult *result, guint *changed,
                                 BpDomainDef **new_def, GError **error)
{
    GTask *task = G_TASK(result);
    BpSnapReconcile *r = g_task_get_task_data(task);

    if (changed)
        *changed = r->changed;
    if (new_def)
        *new_def = g_steal_pointer(&r->new_def);
    return g_task_propagate_boolean(task, error);
}
