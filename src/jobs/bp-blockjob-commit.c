/*
 * bp-blockjob-commit.c: block commit on a running domain, with the
 * committed layers' bitmaps carried into the base (the QMP sequence is in
 * bp-blockjob-ops.h).  A block pull runs on the same job (job->pull):
 * only its preparation and start are its own (bp-blockjob-pull.c).
 */
#include <config.h>

#include <glib/gstdio.h>

#include "bp-backup-ops.h"
#include "bp-blockjob-ops.h"
#include "bp-blockjob-priv.h"
#include "bp-domain-run.h"
#include "planner/bp-planner.h"
#include "qemu/bp-qmp-commands.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

static void
bp_block_job_free(BpBlockJob *job)
{
    g_clear_handle_id(&job->poll_id, g_source_remove);
    if (job->registered)
        bp_blockjob_release(job->domain_id, job->target);
    g_clear_pointer(&job->access, bp_block_access_unref);
    g_clear_object(&job->mon);
    g_free(job->domain_name);
    g_free(job->disk_spec);
    g_free(job->target);
    g_free(job->top_spec);
    g_free(job->base_spec);
    g_free(job->job_id);
    g_free(job->phase);
    g_clear_pointer(&job->graph, bp_block_graph_free);
    g_clear_pointer(&job->plan, bp_plan_free);
    g_free(job->active_node);
    g_free(job->top_node);
    g_free(job->base_node);
    g_free(job->top_file);
    g_free(job->base_file);
    g_free(job->base_format);
    g_clear_pointer(&job->gone_nodes, g_ptr_array_unref);
    g_clear_pointer(&job->gone_files, g_ptr_array_unref);
    g_free(job->pulled_file);
    g_clear_pointer(&job->lost, g_ptr_array_unref);
    g_clear_pointer(&job->new_def, bp_domain_def_free);
    g_free(job);
}


/* Ends the operation: drops the catalogue's job row (a commit that
 * failed or was abandoned leaves the chain as it was) and returns. */
static void
bp_block_job_return(BpBlockJob *job, GError *err)
{
    GTask *task = job->task;
    g_autoptr(GError) store_err = NULL;

    g_clear_handle_id(&job->poll_id, g_source_remove);
    if (err && job->store_id &&
        (g_strcmp0(job->phase, "pivoting") == 0 || g_strcmp0(job->phase, "concluded") == 0)) {
        /* QEMU may have switched or folded the chain: the next daemon
         * start settles it from the row (bp-blockjob-reconcile.c). */
        g_warning("domain %s: the %s of disk '%s' ended in phase %s: %s",
                  job->domain_name, job->pull ? "pull" : "commit", job->target,
                  job->phase, err->message);
        job->store_id = 0;
    }
    if (job->store_id &&
        !bp_store_job_remove(job->store, job->store_id, &store_err))
        g_warning("domain %s: %s", job->domain_name, store_err->message);
    job->store_id = 0;
    if (job->registered) {
        bp_blockjob_release(job->domain_id, job->target);
        job->registered = FALSE;
    }
    if (err)
        g_task_return_error(task, err);
    else
        g_task_return_boolean(task, TRUE);
    g_object_unref(task);
}


/* TRUE (and the operation ended) when it was cancelled before the QEMU
 * job started. */
static gboolean
bp_block_job_check_cancel(BpBlockJob *job)
{
    GCancellable *cancellable = g_task_get_cancellable(job->task);
    GError *err = NULL;

    if (!g_cancellable_set_error_if_cancelled(cancellable, &err))
        return FALSE;
    bp_block_job_return(job, err);
    return TRUE;
}


/* ---- catalogue ------------------------------------------------------------ */

static gboolean
bp_block_job_record(BpBlockJob *job, GError **error)
{
    g_autoptr(BpStoreJob) row = bp_store_job_new(job->domain_id,
                                                 job->pull ? BP_BLOCKJOB_JOB_PULL
                                                 : BP_BLOCKJOB_JOB_COMMIT);
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "disk");
    json_builder_add_string_value(b, job->target);
    json_builder_set_member_name(b, "active");
    json_builder_add_boolean_value(b, job->active);
    json_builder_set_member_name(b, "top-node");
    json_builder_add_string_value(b, job->top_node);
    json_builder_set_member_name(b, "top");
    json_builder_add_string_value(b, job->top_file);
    if (job->base_node) {
        /* A pull of the whole chain has no base. */
        json_builder_set_member_name(b, "base-node");
        json_builder_add_string_value(b, job->base_node);
        json_builder_set_member_name(b, "base");
        json_builder_add_string_value(b, job->base_file);
        json_builder_set_member_name(b, "base-format");
        json_builder_add_string_value(b, job->base_format);
    }
    if (job->pull) {
        json_builder_set_member_name(b, "pulled");
        json_builder_add_string_value(b, job->pulled_file);
        json_builder_set_member_name(b, "pulled-node");
        json_builder_add_string_value(b, g_ptr_array_index(job->gone_nodes, 0));
        json_builder_set_member_name(b, "lost");
        json_builder_begin_array(b);
        for (guint i = 0; i < job->lost->len; i++)
            json_builder_add_string_value(b, g_ptr_array_index(job->lost, i));
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);

    row->phase = g_strdup("running");
    row->data = json_generator_to_data(gen, NULL);
    row->start_time = row->update_time = g_get_real_time() / G_USEC_PER_SEC;
    if (!bp_store_job_add(job->store, row, error))
        return FALSE;
    job->store_id = row->id;
    return TRUE;
}


static void
bp_block_job_set_phase(BpBlockJob *job, const char *phase)
{
    g_autoptr(BpStoreJob) row = NULL;
    g_autoptr(GError) err = NULL;

    g_free(job->phase);
    job->phase = g_strdup(phase);
    if (!job->store_id || !(row = bp_store_job_get(job->store, job->store_id, &err))) {
        if (err)
            g_warning("domain %s: %s", job->domain_name, err->message);
        return;
    }
    g_free(row->phase);
    row->phase = g_strdup(phase);
    row->update_time = g_get_real_time() / G_USEC_PER_SEC;
    if (!bp_store_job_update(job->store, row, &err))
        g_warning("domain %s: %s", job->domain_name, err->message);
}


/* ---- the end: the new chain everywhere --------------------------------------- */

/* @def loses the committed (pulled) layers. */
static gboolean
bp_block_job_drop(BpBlockJob *job, BpDomainDef *def, GError **error)
{
    if (job->pull)
        return bp_blockjob_def_drop_pulled(def, job->target, job->pulled_file,
                                           job->base_file, job->base_format, error);
    return bp_blockjob_def_drop_layers(def, job->target, job->top_file, job->base_file,
                                       job->base_format, error);
}


/* The persistent and live definitions lose the committed layers (a
 * pull's lost checkpoints are marked broken); files go with DELETE. */
static void
bp_block_job_finish_chain(BpBlockJob *job)
{
    BpDomainRun *run = bp_block_access_get_run(job->access);
    g_autoptr(BpStoreDomain) dom = NULL;
    g_autoptr(BpDomainDef) def = NULL;
    GError *err = NULL;

    if (run) {
        BpDomainDef *live = bp_domain_def_copy(bp_domain_run_get_def(run));

        if (!bp_block_job_drop(job, live, &err)) {
            bp_domain_def_free(live);
            bp_block_job_return(job, err);
            return;
        }
        bp_domain_run_update_chain(run, live, job->target,
                                   job->active && !job->pull ? job->base_node : NULL);
    }
    if (!(dom = bp_store_domain_get(job->store, job->domain_id, &err)) ||
        !(def = bp_domain_def_parse_string(dom->definition, 0, &err)) ||
        !bp_block_job_drop(job, def, &err) ||
        !bp_blockjob_store_def(job->store, job->domain_id, def, &err) ||
        (job->pull && !bp_blockjob_pull_break(job->store, job->domain_id, job->domain_name,
                                              job->target, job->lost, &err))) {
        bp_block_job_return(job, err);
        return;
    }
    job->new_def = g_steal_pointer(&def);
    job->pivoted = TRUE;
    if (job->flags & BP_BLOCK_COMMIT_DELETE) {
        for (guint i = 0; i < job->gone_files->len; i++) {
            const char *path = g_ptr_array_index(job->gone_files, i);

            if (g_unlink(path) < 0)
                g_warning("domain %s: cannot delete committed image %s: %s",
                          job->domain_name, path, g_strerror(errno));
        }
    }
    bp_block_job_return(job, NULL);
}


static void bp_block_job_del_next(BpBlockJob *job);


static void
bp_block_job_del_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpBlockJob *job = data;
    g_autoptr(GError) err = NULL;

    /* A node QEMU named itself (attach runtime) may refuse: the commit
     * is done either way. */
    if (!bp_qmp_command_finish(job->mon, result, &err))
        g_message("domain %s: %s", job->domain_name, err->message);
    bp_block_job_del_next(job);
}


/* blockdev-del of the committed nodes, one at a time, top first. */
static void
bp_block_job_del_next(BpBlockJob *job)
{
    g_autofree char *node = NULL;

    if (job->gone_nodes->len == 0) {
        bp_block_job_finish_chain(job);
        return;
    }
    node = g_ptr_array_steal_index(job->gone_nodes, 0);
    bp_qmp_blockdev_del_async(job->mon, node, NULL, bp_block_job_del_cb, job);
}


/* ---- merging the bitmaps ----------------------------------------------------- */

static void
bp_block_job_reopen_ro_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                          gpointer data)
{
    BpBlockJob *job = data;
    GError *err = NULL;

    if (!bp_block_access_reopen_finish(result, &err)) {
        bp_block_job_return(job, err);
        return;
    }
    bp_block_job_del_next(job);
}


static void
bp_block_job_merged_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpBlockJob *job = data;
    GError *err = NULL;

    if (!bp_block_access_apply_finish(result, &err)) {
        if (job->pull)
            g_prefix_error(&err, _("the pull into disk '%s' succeeded, but the pulled "
                                   "layers' bitmaps could not be merged into the top: "),
                           job->target);
        else
            g_prefix_error(&err, _("the commit of disk '%s' succeeded, but its bitmaps "
                                   "could not be merged into the base: "), job->target);
        bp_block_job_return(job, err);
        return;
    }
    bp_block_job_set_phase(job, "merged");
    bp_block_access_reopen_async(job->access, job->graph, job->plan->reopen, FALSE,
                                 NULL, bp_block_job_reopen_ro_cb, job);
}


static void
bp_block_job_reopen_rw_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                          gpointer data)
{
    BpBlockJob *job = data;
    GError *err = NULL;

    if (!bp_block_access_reopen_finish(result, &err)) {
        bp_block_job_return(job, err);
        return;
    }
    bp_block_access_apply_async(job->access, job->graph, job->plan->actions, NULL,
                                bp_block_job_merged_cb, job);
}


static BpBlockJobHook bp_block_job_hook;
static gpointer bp_block_job_hook_data;


void
bp_blockjob_ops_set_test_hook(BpBlockJobHook hook, gpointer data)
{
    bp_block_job_hook = hook;
    bp_block_job_hook_data = data;
}


/* Index of node @name in @disk's chain, -1 when not there. */
static int
bp_block_job_chain_index(const BpBlockDisk *disk, const char *name)
{
    for (guint i = 0; i < disk->chain->len; i++) {
        if (g_str_equal(((BpBlockNode *) g_ptr_array_index(disk->chain, i))->node_name, name))
            return i;
    }
    return -1;
}


/*
 * The bitmaps as they are now (a checkpoint may have been created or
 * deleted while the job ran): a new plan from @graph, which the job then
 * owns.  Non-active commit after the job: the committed nodes are out of
 * the disk's chain but QEMU still has them, with their backing links
 * down to the base.  Active commit before the pivot: the disk's chain.
 * Keeps the plan made at the start when @graph lacks what is needed.
 */
static void
bp_block_job_replan(BpBlockJob *job, BpBlockGraph *graph)
{
    g_autoptr(BpBlockGraph) owned = graph;
    g_autoptr(BpPlan) plan = bp_plan_new();
    g_autoptr(GError) err = NULL;
    const BpBlockNode *base = bp_block_graph_lookup(graph, job->base_node);
    const BpBlockDisk *chain;

    if (!base)
        return;
    if (job->active) {
        if (!bp_planner_block_commit(plan, graph, job->target, job->top_node, job->base_node,
                                     NULL, &err)) {
            g_message("domain %s: keeping the first plan: %s", job->domain_name, err->message);
            return;
        }
    } else {
        BpPlanMerge merge = { 0 };

        if (!bp_block_graph_lookup(graph, job->top_node) ||
            !(chain = bp_block_graph_add_disk(graph, "bp-commit", job->top_node, &err)) ||
            bp_block_job_chain_index(chain, job->base_node) < 0)
            return;
        merge.top = 0;
        merge.base = job->base_node;
        merge.target = job->base_node;
        bp_planner_bitmap_merge(graph, chain, &merge, plan->actions);
        if (base->read_only)
            g_ptr_array_add(plan->reopen, g_strdup(job->base_node));
    }
    bp_plan_free(job->plan);
    job->plan = g_steal_pointer(&plan);
    bp_block_graph_free(job->graph);
    job->graph = g_steal_pointer(&owned);
}


static void
bp_block_job_merge_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                            gpointer data)
{
    BpBlockJob *job = data;
    BpBlockGraph *graph = result ? bp_block_access_read_graph_finish(result, NULL) : NULL;

    if (graph)
        bp_block_job_replan(job, graph);
    if (job->active) {
        /* The base is the active layer now, read-write already. */
        bp_block_access_apply_async(job->access, job->graph, job->plan->actions, NULL,
                                    bp_block_job_merged_cb, job);
        return;
    }
    bp_block_access_reopen_async(job->access, job->graph, job->plan->reopen, TRUE,
                                 NULL, bp_block_job_reopen_rw_cb, job);
}


/* Pull: planned at the start, checked against the bitmaps as they are
 * now; the top is writable, the pulled nodes are still there for the
 * merges' sources. */
static void
bp_block_job_pull_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                           gpointer data)
{
    BpBlockJob *job = data;
    BpBlockGraph *graph = bp_block_access_read_graph_finish(result, NULL);

    if (graph)
        bp_block_job_refresh_pull(job, graph);
    bp_block_access_apply_async(job->access, job->graph, job->plan->actions, NULL,
                                bp_block_job_merged_cb, job);
}


/* The job concluded successfully: carry the bitmaps down. */
static void
bp_block_job_merge(BpBlockJob *job)
{
    if (bp_block_job_hook)
        bp_block_job_hook("concluded", job->target, bp_block_job_hook_data);
    bp_block_job_set_phase(job, "concluded");
    if (job->pull) {
        bp_block_access_read_graph_async(job->access, NULL, bp_block_job_pull_graph_cb, job);
        return;
    }
    if (job->active) {
        /* Planned right before the pivot. */
        bp_block_job_merge_graph_cb(NULL, NULL, job);
        return;
    }
    bp_block_access_read_graph_async(job->access, NULL, bp_block_job_merge_graph_cb, job);
}


/* ---- the QEMU job ------------------------------------------------------------- */

typedef struct {
    BpBlockJob *job;
    BpQmpJobInfo *info;
} BpDismiss;


static void
bp_block_job_dismissed_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpDismiss *d = data;
    BpBlockJob *job = d->job;
    g_autoptr(BpQmpJobInfo) info = d->info;
    g_autoptr(GError) err = NULL;

    g_free(d);
    if (!bp_qmp_command_finish(job->mon, result, &err))
        g_message("domain %s: %s", job->domain_name, err->message);
    if (job->active && job->pivot && info->error) {
        /* The temporary bitmap is on the base: drop it (an error is
         * harmless, it is transient). */
        bp_qmp_bitmap_remove_async(job->mon, job->base_node,
                                   BP_PLANNER_BITMAP_ACTIVEWRITE, NULL, NULL, NULL);
    }
    if (job->active && !job->pivot) {
        /* Abandoned (cancelled jobs conclude with an error): the chain
         * is as it was. */
        bp_block_job_return(job, NULL);
        return;
    }
    if (info->error && job->cancelled) {
        bp_block_job_return(job, g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                             job->pull
                                             ? _("block pull of disk '%s' cancelled")
                                             : _("block commit of disk '%s' cancelled"),
                                             job->target));
        return;
    }
    if (info->error) {
        /* QEMU says it failed: the chain is as it was. */
        bp_block_job_set_phase(job, "failed");
        bp_block_job_return(job, g_error_new(BP_ERROR, BP_ERROR_QEMU,
                                             job->pull
                                             ? _("block pull of disk '%s' failed: %s")
                                             : _("block commit of disk '%s' failed: %s"),
                                             job->target, info->error));
        return;
    }
    bp_block_job_merge(job);
}


static void
bp_block_job_concluded(BpBlockJob *job, BpQmpJobInfo *info)
{
    BpDismiss *d = g_new0(BpDismiss, 1);

    job->state = BP_BLOCK_JOB_ENDING;
    if (info->total_progress > 0) {
        job->end = info->total_progress;
        job->cur = info->current_progress;
    }
    d->job = job;
    d->info = info;
    bp_qmp_job_dismiss_async(job->mon, job->job_id, NULL, bp_block_job_dismissed_cb, d);
}


static void
bp_block_job_concluded_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpBlockJob *job = data;
    GError *err = NULL;
    BpQmpJobInfo *info;

    if (!(info = bp_qmp_job_wait_finish(job->mon, result, &err))) {
        bp_block_job_return(job, err);
        return;
    }
    bp_block_job_concluded(job, info);
}


static void
bp_block_job_wait_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpBlockJob *job = data;
    GError *err = NULL;
    BpQmpJobInfo *info;

    if (!(info = bp_qmp_job_wait_finish(job->mon, result, &err))) {
        bp_block_job_return(job, err);
        return;
    }
    if (g_str_equal(info->status, "ready") && job->state == BP_BLOCK_JOB_RUNNING) {
        job->state = BP_BLOCK_JOB_READY;
        job->cur = job->end = MAX(info->total_progress, 0);
        bp_block_job_set_phase(job, "ready");
        bp_qmp_job_info_free(info);
        /* Until it concludes: pivoted, abandoned, or ended by QEMU (an
         * error, the process quitting). */
        bp_qmp_job_wait_async(job->mon, job->job_id, "concluded", BP_QMP_TIMEOUT_NONE, NULL,
                              bp_block_job_concluded_cb, job);
        if (job->ready)
            job->ready(job, job->func_data);
        return;
    }
    bp_block_job_concluded(job, info);
}


static void
bp_block_job_poll_done_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    g_autoptr(GTask) task = data;
    BpBlockJob *job = g_task_get_task_data(task);
    g_autoptr(GPtrArray) jobs = NULL;

    job->polling = FALSE;
    if (!(jobs = bp_qmp_query_jobs_finish(job->mon, result, NULL)))
        return;
    for (guint i = 0; i < jobs->len; i++) {
        const BpQmpJobInfo *info = g_ptr_array_index(jobs, i);

        if (g_str_equal(info->id, job->job_id) && info->total_progress > 0) {
            job->cur = info->current_progress;
            job->end = info->total_progress;
        }
    }
}


static gboolean
bp_block_job_poll_cb(gpointer data)
{
    BpBlockJob *job = data;

    if (!job->polling && job->state == BP_BLOCK_JOB_RUNNING) {
        job->polling = TRUE;
        /* The reply may come after the operation returned: the task
         * (which owns the job) is held until then. */
        bp_qmp_query_jobs_async(job->mon, NULL, bp_block_job_poll_done_cb,
                                g_object_ref(job->task));
    }
    return G_SOURCE_CONTINUE;
}


static void
bp_block_job_started_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpBlockJob *job = data;
    GError *err = NULL;

    if (!bp_qmp_command_finish(job->mon, result, &err)) {
        bp_block_job_return(job, err);
        return;
    }
    job->state = BP_BLOCK_JOB_RUNNING;
    job->start_time = g_get_real_time();
    if (job->started)
        job->started(job, job->func_data);
    job->poll_id = g_timeout_add(BP_BLOCKJOB_POLL_MS, bp_block_job_poll_cb, job);
    bp_qmp_job_wait_async(job->mon, job->job_id, job->active ? "ready" : "concluded",
                          BP_QMP_TIMEOUT_NONE, NULL, bp_block_job_wait_cb, job);
}


/* backing-file for a non-active commit: the base's file name, relative
 * to the directory of the layer above top when asked and possible. */
static char *
bp_block_job_backing_name(BpBlockJob *job, const BpBlockDisk *disk, int top_idx)
{
    if ((job->flags & BP_BLOCK_COMMIT_RELATIVE) && top_idx > 0) {
        const BpBlockNode *above = g_ptr_array_index(disk->chain, top_idx - 1);
        g_autofree char *d1 = g_path_get_dirname(above->filename);
        g_autofree char *d2 = g_path_get_dirname(job->base_file);

        if (g_str_equal(d1, d2))
            return g_path_get_basename(job->base_file);
    }
    return g_strdup(job->base_file);
}


static gboolean
bp_block_job_prepare(BpBlockJob *job, BpBlockGraph *graph, GError **error)
{
    const BpDomainDef *def = bp_block_access_get_def(job->access);
    const BpDiskDef *ddef = bp_domain_def_find_disk_by_name_or_path(def, job->disk_spec);
    const BpBlockDisk *disk;
    const BpBlockNode *n;
    int top_idx, base_idx;

    if (!ddef || !(disk = bp_block_graph_get_disk(graph, ddef->dst))) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("domain '%s' has no disk '%s'"), job->domain_name, job->disk_spec);
        return FALSE;
    }
    if (ddef->src->readonly) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("disk '%s' of domain '%s' is read-only"), ddef->dst, job->domain_name);
        return FALSE;
    }
    job->target = g_strdup(ddef->dst);
    if (!bp_blockjob_claim(job->domain_id, job->target, job, job->domain_name, error))
        return FALSE;
    job->registered = TRUE;
    if (job->pull)
        return bp_block_job_prepare_pull(job, graph, disk, error);
    if (!bp_blockjob_commit_range(graph, disk, job->top_spec, job->base_spec, job->flags,
                                  &top_idx, &base_idx, error))
        return FALSE;
    job->active = top_idx == 0;
    job->active_node = g_strdup(((BpBlockNode *) g_ptr_array_index(disk->chain, 0))->node_name);
    n = g_ptr_array_index(disk->chain, top_idx);
    job->top_node = g_strdup(n->node_name);
    job->top_file = g_strdup(n->filename);
    n = g_ptr_array_index(disk->chain, base_idx);
    job->base_node = g_strdup(n->node_name);
    job->base_file = g_strdup(n->filename);
    job->base_format = g_strdup(n->driver);
    bp_blockjob_gone_layers(disk, top_idx, base_idx, &job->gone_nodes, &job->gone_files);
    job->plan = bp_plan_new();
    if (!bp_planner_block_commit(job->plan, graph, job->target, job->top_node,
                                 job->base_node, NULL, error))
        return FALSE;
    job->job_id = g_strdup_printf("commit-%s", job->target);
    return TRUE;
}


static void
bp_block_job_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpBlockJob *job = data;
    GError *err = NULL;
    g_autofree char *backing = NULL;
    BpQmpCommitArgs args = { 0 };
    const BpBlockDisk *disk;

    job->graph = bp_block_access_read_graph_finish(result, &err);
    if (!job->graph || !bp_block_job_prepare(job, job->graph, &err) ||
        !bp_block_job_record(job, &err)) {
        bp_block_job_return(job, err);
        return;
    }
    if (bp_block_job_check_cancel(job))
        return;
    if (job->pull) {
        bp_block_job_start_pull(job, bp_block_job_started_cb);
        return;
    }
    disk = bp_block_graph_get_disk(job->graph, job->target);
    args.job_id = job->job_id;
    args.device = job->active_node;
    args.base_node = job->base_node;
    args.speed = job->bandwidth;
    if (!job->active) {
        int top_idx = -1;

        for (guint i = 0; i < disk->chain->len; i++) {
            if (g_str_equal(((BpBlockNode *) g_ptr_array_index(disk->chain, i))->node_name,
                            job->top_node))
                top_idx = i;
        }
        backing = bp_block_job_backing_name(job, disk, top_idx);
        args.top_node = job->top_node;
        args.backing_file = backing;
    }
    bp_qmp_block_commit_async(job->mon, &args, NULL, bp_block_job_started_cb, job);
}


BpBlockJob *
bp_blockjob_ops_commit_async(BpStore *store, gint64 domain_id, BpBlockAccess *access,
                             const char *disk, const char *top, const char *base,
                             guint64 bandwidth, unsigned int flags,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
    if (!bp_block_access_is_live(access)) {
        bp_blockjob_offline_commit_async(store, domain_id, access, disk, top, base, flags,
                                         cancellable, callback, user_data);
        return NULL;
    }
    return bp_block_job_launch(store, domain_id, access, FALSE, disk, top, base, bandwidth,
                               flags, cancellable, callback, user_data);
}


BpBlockJob *
bp_block_job_launch(BpStore *store, gint64 domain_id, BpBlockAccess *access,
                    gboolean pull, const char *disk, const char *top, const char *base,
                    guint64 bandwidth, unsigned int flags, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data)
{
    BpBlockJob *job;
    GTask *task;
    GError *err = NULL;

    task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, bp_blockjob_ops_commit_async);
    job = g_new0(BpBlockJob, 1);
    g_task_set_task_data(task, job, (GDestroyNotify) bp_block_job_free);
    job->task = task;
    job->store = store;
    job->domain_id = domain_id;
    job->access = bp_block_access_ref(access);
    job->domain_name = g_strdup(bp_block_access_get_def(access)->name);
    job->disk_spec = g_strdup(disk);
    job->top_spec = g_strdup(top);
    job->base_spec = g_strdup(base);
    job->flags = flags;
    job->bandwidth = bandwidth;
    job->pull = pull;

    if (bp_block_access_get_kind(access) != BP_BLOCK_ACCESS_RUN ||
        !bp_block_access_get_monitor(access)) {
        err = g_error_new(BP_ERROR, BP_ERROR_OPERATION_INVALID,
                          _("domain '%s' is not running"), job->domain_name);
    } else if (bp_backup_ops_is_running(domain_id)) {
        err = g_error_new(BP_ERROR, BP_ERROR_BUSY,
                          pull ? _("domain '%s' has a backup job; a block pull must wait "
                                   "until it ended")
                          : _("domain '%s' has a backup job; a block commit must wait "
                              "until it ended"), job->domain_name);
    }
    if (err) {
        /* Answered from the main loop, as any other outcome. */
        g_task_return_error(task, err);
        g_object_unref(task);
        return job;
    }
    job->mon = g_object_ref(bp_block_access_get_monitor(access));
    bp_block_access_read_graph_async(access, NULL, bp_block_job_graph_cb, job);
    return job;
}


gboolean
bp_blockjob_ops_commit_finish(GAsyncResult *result, gboolean *pivoted,
                              BpDomainDef **new_def, GError **error)
{
    GTask *task = G_TASK(result);
    BpBlockJob *job;

    if (pivoted)
        *pivoted = FALSE;
    if (new_def)
        *new_def = NULL;
    if (g_task_get_source_tag(task) != bp_blockjob_ops_commit_async)
        return bp_blockjob_offline_commit_finish(result, pivoted, new_def, error);
    if (!g_task_propagate_boolean(task, error))
        return FALSE;
    job = g_task_get_task_data(task);
    if (pivoted)
        *pivoted = job->pivoted;
    if (new_def)
        *new_def = g_steal_pointer(&job->new_def);
    return TRUE;
}


void
bp_block_job_set_started_func(BpBlockJob *job, BpBlockJobFunc started,
                              BpBlockJobFunc ready, gpointer data)
{
    job->started = started;
    job->ready = ready;
    job->func_data = data;
}


const char *
bp_block_job_get_disk(BpBlockJob *job)
{
    return job->target;
}


void
bp_block_job_get_info(BpBlockJob *job, BpBlockJobInfo *info)
{
    info->disk = g_strdup(job->target);
    info->active = job->active;
    info->pull = job->pull;
    info->ready = job->state == BP_BLOCK_JOB_READY;
    info->cur = job->cur;
    info->end = job->end;
    info->bandwidth = job->bandwidth;
    info->start_time = job->start_time;
    info->store_id = job->store_id;
}


static void
bp_block_job_end_sent_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpBlockJob *job = data;
    GError *err = NULL;

    if (!bp_qmp_command_finish(job->mon, result, &err)) {
        if (job->pivot)
            bp_qmp_bitmap_remove_async(job->mon, job->base_node,
                                       BP_PLANNER_BITMAP_ACTIVEWRITE, NULL, NULL, NULL);
        /* The job is still there: let it be ended again. */
        job->state = job->active ? BP_BLOCK_JOB_READY : BP_BLOCK_JOB_RUNNING;
        job->pivot = job->cancelled = FALSE;
        if (job->active)
            bp_block_job_set_phase(job, "ready");
        g_warning("domain %s: %s", job->domain_name, err->message);
        g_error_free(err);
        return;
    }
    /* The wait started when the job became ready (or, non-active, when
     * it started) sees it conclude. */
}


static void
bp_block_job_before_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpBlockJob *job = data;
    GError *err = NULL;

    if (!bp_block_access_apply_finish(result, &err)) {
        job->state = BP_BLOCK_JOB_READY;
        job->pivot = FALSE;
        g_warning("domain %s: cannot pivot disk '%s': %s", job->domain_name, job->target,
                  err->message);
        g_error_free(err);
        return;
    }
    bp_block_job_set_phase(job, "pivoting");
    bp_qmp_job_complete_async(job->mon, job->job_id, NULL, bp_block_job_end_sent_cb, job);
}


static void
bp_block_job_pivot_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                            gpointer data)
{
    BpBlockJob *job = data;
    BpBlockGraph *graph = bp_block_access_read_graph_finish(result, NULL);

    if (graph)
        bp_block_job_replan(job, graph);
    bp_block_access_apply_async(job->access, job->graph, job->plan->before, NULL,
                                bp_block_job_before_cb, job);
}


gboolean
bp_block_job_end(BpBlockJob *job, gboolean pivot, GError **error)
{
    if (job->state == BP_BLOCK_JOB_ENDING || job->state == BP_BLOCK_JOB_PREPARING) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("the block job of disk '%s' is already ending"), job->target);
        return FALSE;
    }
    if (pivot && job->state != BP_BLOCK_JOB_READY) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("the block job of disk '%s' is not ready to pivot yet"), job->target);
        return FALSE;
    }
    job->state = BP_BLOCK_JOB_ENDING;
    job->pivot = pivot;
    job->cancelled = !pivot && !job->active;
    if (pivot) {
        /* The bitmaps as they are now, the temporary recording bitmap on
         * the base, then the switch. */
        bp_block_access_read_graph_async(job->access, NULL, bp_block_job_pivot_graph_cb, job);
        return TRUE;
    }
    bp_qmp_job_cancel_async(job->mon, job->job_id, NULL, bp_block_job_end_sent_cb, job);
    return TRUE;
}
