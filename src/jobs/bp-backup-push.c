/*
 * bp-backup-push.c: backup-begin in push mode (see bp-backup-ops.h for
 * the steps and what a failure leaves).
 *
 * The QMP part is a list of steps; each step sends its commands (one per
 * disk, or one transaction) and the next step starts when every answer
 * is in.  After a failure the remaining work steps are skipped and the
 * clean-up steps run for whatever was set up.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "bp-backup-priv.h"
#include "bp-checkpoint-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"


/* bp_backup_ops_set_test_speed() */
static guint64 bp_backup_test_speed;


void
bp_backup_target_free(BpBackupTarget *t)
{
    g_free(t->target);
    g_free(t->path);
    g_free(t->base_node);
    g_free(t->file_node);
    g_free(t->fmt_node);
    g_free(t->job);
    g_free(t->bitmap);
    g_free(t->backing);
    g_free(t->export_id);
    g_free(t->export_name);
    g_free(t->output);
    g_free(t->fallback);
    g_free(t);
}


void
bp_backup_op_free(BpBackupOp *op)
{
    if (op->poll_id)
        g_source_remove(op->poll_id);
    bp_block_access_unref(op->access);
    bp_block_access_unref(op->offline);
    bp_block_graph_free(op->ckpt_graph);
    if (op->ckpt_plan)
        bp_plan_free(op->ckpt_plan);
    bp_backup_leftovers_free(op->leftovers);
    if (op->def)
        bp_backup_def_free(op->def);
    if (op->chk)
        bp_checkpoint_def_free(op->chk);
    bp_block_graph_free(op->graph);
    if (op->plan)
        bp_plan_free(op->plan);
    g_ptr_array_unref(op->targets);
    g_clear_error(&op->error);
    g_free(op->nbd_socket);
    g_free(op);
}


/* Keeps the first failure. */
void
bp_backup_fail(BpBackupOp *op, GError *error)
{
    if (!op->error)
        op->error = error;
    else
        g_error_free(error);
}


void
bp_backup_return(BpBackupOp *op)
{
    GTask *task = op->task;

    /* A shut-off domain's temporary daemon quits on every path. */
    if (op->temp_open) {
        bp_backup_offline_close(op, bp_backup_return);
        return;
    }
    bp_backup_unregister(op);
    if (op->error && !op->cancelled &&
        g_error_matches(op->error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        /* A QMP call interrupted because blkpoint closed the monitor
         * (the domain destroyed or stopped under the backup): a failure.
         * Only bp_backup_op_cancel() makes a backup cancelled. */
        GError *failed = g_error_new_literal(BP_ERROR, BP_ERROR_QEMU, op->error->message);

        g_error_free(op->error);
        op->error = failed;
    }
    if (op->error)
        g_task_return_error(task, g_steal_pointer(&op->error));
    else
        g_task_return_int(task, op->backup_id);
    g_object_unref(task);
}


/* ---- the catalogue ------------------------------------------------------- */

/* What the QMP steps may create, for the job row (bp-backup-leftovers.h):
 * everything is named before it is created, and a file only once this
 * backup created it.  A pull backup's NBD server and TLS object are
 * added by bp-backup-pull.c once they exist. */
static void
bp_backup_list_leftovers(BpBackupOp *op)
{
    BpBackupLeftovers *lo = bp_backup_leftovers_new();
    size_t i;

    for (i = 0; i < op->targets->len; i++) {
        BpBackupTarget *t = op->targets->pdata[i];

        if (t->created) {
            g_autofree char *create = g_strdup_printf("bp-create-%s", t->target);

            bp_backup_leftovers_add_file(lo, t->path);
            bp_backup_leftovers_add_job(lo, create);
        }
        bp_backup_leftovers_add_job(lo, t->job);
        bp_backup_leftovers_add_node(lo, t->file_node);
        bp_backup_leftovers_add_node(lo, t->fmt_node);
        /* pull: the bitmap is on the scratch node, under its export */
        if (t->bitmap)
            bp_backup_leftovers_add_bitmap(lo, op->pull ? t->fmt_node : t->base_node,
                                           t->bitmap);
        if (t->export_id)
            bp_backup_leftovers_add_export(lo, t->export_id);
    }
    if (op->offline)
        bp_backup_leftovers_set_qsd(lo, bp_block_access_get_config(op->access)->runtime_dir);
    bp_backup_leftovers_free(op->leftovers);
    op->leftovers = lo;
}


/* The backup row, its job and the pending checkpoint, in one transaction. */
gboolean
bp_backup_record(BpBackupOp *op, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(BpStoreBackup) backup = NULL;
    g_autoptr(BpStoreJob) job = bp_store_job_new(op->domain_id, BP_BACKUP_JOB_KIND);
    g_autoptr(BpStoreCheckpoint) row = NULL;
    gboolean incremental = FALSE;
    size_t i;

    for (i = 0; i < op->targets->len; i++)
        incremental |= ((BpBackupTarget *) op->targets->pdata[i])->bitmap != NULL;
    backup = bp_store_backup_new(op->domain_id,
                                 op->pull ? BP_STORE_BACKUP_PULL : BP_STORE_BACKUP_PUSH,
                                 incremental ? BP_STORE_BACKUP_INCREMENTAL
                                             : BP_STORE_BACKUP_FULL);
    if (incremental)
        backup->from_checkpoint = g_strdup(op->def->incremental);
    backup->checkpoint = op->chk ? g_strdup(op->chk->name) : NULL;
    backup->status = BP_STORE_BACKUP_RUNNING;
    backup->start_time = op->now;
    backup->previous_id = op->previous_id;
    for (i = 0; i < op->targets->len; i++) {
        BpBackupTarget *t = op->targets->pdata[i];
        BpStoreBackupDisk *bd = bp_store_backup_disk_new(t->target, op->pull ? NULL : t->path,
                                                         "qcow2");

        if (op->pull)
            bd->scratch = g_strdup(t->path);
        if (incremental)
            bd->kind = t->bitmap ? BP_STORE_BACKUP_INCREMENTAL : BP_STORE_BACKUP_FULL;
        bd->error = g_strdup(t->fallback);
        g_ptr_array_add(backup->disks, bd);
    }
    bp_backup_list_leftovers(op);
    if (!(txn = bp_store_txn_begin(op->store, error)) ||
        !bp_store_backup_add(op->store, backup, error))
        return FALSE;
    job->backup_id = backup->id;
    job->checkpoint = op->chk ? g_strdup(op->chk->name) : NULL;
    job->phase = g_strdup("running");
    job->data = bp_backup_leftovers_to_json(op->leftovers);
    job->start_time = job->update_time = op->now;
    if (!bp_store_job_add(op->store, job, error))
        return FALSE;
    if (op->chk) {
        row = bp_checkpoint_row_from_def(op->domain_id, op->chk,
                                         BP_STORE_CHECKPOINT_PENDING,
                                         op->ckpt_graph ? op->ckpt_graph : op->graph);
        if (!bp_store_checkpoint_add(op->store, row, error))
            return FALSE;
    }
    if (!bp_store_txn_commit(txn, error))
        return FALSE;
    op->backup_id = backup->id;
    op->job_id = job->id;
    return TRUE;
}


/* The outcome: backup row, checkpoint row, job, in one transaction. */
static gboolean
bp_backup_conclude(BpBackupOp *op, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(BpStoreBackup) backup = NULL;
    size_t i;

    if (!(backup = bp_store_backup_get(op->store, op->backup_id, error)))
        return FALSE;
    backup->status = !op->error ? BP_STORE_BACKUP_COMPLETED :
        op->cancelled ? BP_STORE_BACKUP_CANCELLED : BP_STORE_BACKUP_FAILED;
    g_free(backup->error);
    backup->error = op->error ? g_strdup(op->error->message) : NULL;
    backup->end_time = g_get_real_time() / G_USEC_PER_SEC;
    backup->bytes = backup->bytes_total = 0;
    for (i = 0; i < backup->disks->len && i < op->targets->len; i++) {
        BpStoreBackupDisk *d = backup->disks->pdata[i];
        BpBackupTarget *t = op->targets->pdata[i];

        /* A pull backup's consumer knows what it copied; the daemon
         * only sees the copy-before-write into the scratch image. */
        if (t->consumer_counted)
            t->bytes = t->bytes_total = t->consumer_bytes;
        d->bytes = t->bytes;
        d->bytes_total = t->bytes_total;
        if (t->output) {
            g_free(d->path);
            d->path = g_strdup(t->output);
        }
        backup->bytes += t->bytes;
        backup->bytes_total += t->bytes_total;
    }
    if (!(txn = bp_store_txn_begin(op->store, error)) ||
        !bp_store_backup_update(op->store, backup, error) ||
        !bp_store_job_remove(op->store, op->job_id, error))
        return FALSE;
    if (op->chk) {
        if (!op->error) {
            if (!bp_store_checkpoint_set_state(op->store, op->domain_id, op->chk->name,
                                               BP_STORE_CHECKPOINT_READY, NULL, error) ||
                !bp_store_checkpoint_set_current(op->store, op->domain_id,
                                                 op->chk->name, error))
                return FALSE;
        } else if (op->undo_failed) {
            /* Its bitmaps may still be in the images (QEMU went away
             * before they could be removed): the row stays, so that the
             * bitmaps have an owner, but never as a base. */
            g_autofree char *why = g_strdup_printf(_("the backup that created it did not "
                                                     "complete (%s) and its bitmaps could "
                                                     "not be removed; delete it"),
                                                   op->error->message);

            if (!bp_store_checkpoint_set_state(op->store, op->domain_id, op->chk->name,
                                               BP_STORE_CHECKPOINT_BROKEN, why, error))
                return FALSE;
        } else if (!bp_store_checkpoint_delete(op->store, op->domain_id, op->chk->name,
                                               BP_STORE_DELETE_SINGLE, error)) {
            return FALSE;
        }
    }
    return bp_store_txn_commit(txn, error);
}


/* ---- QMP steps ------------------------------------------------------------ */

/* A clean-up command failed: a warning, unless QEMU has gone (the monitor
 * is closed), which bp_backup_cleanup_skip() has reported once. */
void
bp_backup_cleanup_failed(BpBackupOp *op, const char *message)
{
    if (bp_qmp_monitor_is_closed(op->mon))
        g_debug("backup clean-up, QEMU gone: %s", message);
    else
        g_warning("backup clean-up: %s", message);
}


/* Before a QEMU-side clean-up step (STEP_UNEXPORT .. STEP_DEL_FILES):
 * when the QMP monitor is closed (QEMU went away), nothing can be sent
 * any more.  Says so once, notes what could not be undone (the new
 * checkpoint's bitmaps may stay in the images; the NBD server's unix
 * socket is removed here, as its stop would have) and moves @op on to
 * STEP_CLOSE_TEMP; the files still go at STEP_DONE.  Returns whether it
 * skipped. */
static gboolean
bp_backup_cleanup_skip(BpBackupOp *op)
{
    if (op->step < STEP_UNEXPORT || op->step >= STEP_CLOSE_TEMP ||
        !bp_qmp_monitor_is_closed(op->mon))
        return FALSE;
    g_info("backup job %lld: QEMU has gone, skipping the clean-up inside it",
              (long long) op->job_id);
    if (op->step <= STEP_UNDO_CHECKPOINT && op->error && op->chk &&
        op->transaction_done && !op->offline)
        op->undo_failed = TRUE;
    if (op->pull && op->step <= STEP_NBD_STOP && op->nbd_started && op->nbd_socket &&
        g_unlink(op->nbd_socket) < 0 && errno != ENOENT)
        g_warning("cannot remove NBD socket '%s': %s", op->nbd_socket, g_strerror(errno));
    op->step = STEP_CLOSE_TEMP;
    return TRUE;
}


void
bp_backup_call_done(BpBackupOp *op)
{
    if (--op->pending > 0)
        return;
    op->step++;
    bp_backup_step_run(op);
}


static void
bp_backup_command_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    g_autofree BpBackupCall *call = data;
    BpBackupOp *op = call->op;
    GError *err = NULL;

    if (!bp_qmp_command_finish(op->mon, result, &err)) {
        if (op->step >= STEP_UNEXPORT) {
            if (op->step == STEP_UNDO_CHECKPOINT)
                op->undo_failed = TRUE;
            bp_backup_cleanup_failed(op, err->message);
            g_error_free(err);
        } else {
            bp_backup_fail(op, err);
        }
    } else if (call->tgt) {
        if (op->step == STEP_ADD_FILES)
            call->tgt->file_added = TRUE;
        else if (op->step == STEP_ADD_FORMATS)
            call->tgt->fmt_added = TRUE;
    } else if (op->step == STEP_TRANSACTION) {
        size_t i;

        op->transaction_done = TRUE;
        for (i = 0; i < op->targets->len; i++)
            ((BpBackupTarget *) op->targets->pdata[i])->job_started = TRUE;
        if (op->started && !op->pull)     /* pull: once exported */
            op->started(op, op->started_data);
    }
    bp_backup_call_done(op);
}


static void
bp_backup_cancel_cb(GObject *source, GAsyncResult *result, gpointer data);


/*
 * Disk @tgt's copy failed.  QEMU refuses completion-mode "grouped" in a
 * transaction that also adds bitmaps, and the bitmaps must be in the
 * same transaction as the copies (one point in time); so the grouping
 * is done here: the other disks' jobs are cancelled, and the whole
 * backup fails with @tgt's error.
 */
static void
bp_backup_fail_all(BpBackupOp *op, BpBackupTarget *tgt, const char *why)
{
    gboolean first = op->error == NULL;
    size_t i;

    bp_backup_fail(op, g_error_new(BP_ERROR, BP_ERROR_QEMU,
                                   _("backup of disk '%s' failed: %s"), tgt->target, why));
    if (!first)
        return;
    for (i = 0; i < op->targets->len; i++) {
        BpBackupTarget *t = op->targets->pdata[i];

        if (t == tgt)
            continue;
        g_object_ref(op->task);
        bp_qmp_job_cancel_async(op->mon, t->job, NULL, bp_backup_cancel_cb, op);
    }
}


static void
bp_backup_wait_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    g_autofree BpBackupCall *call = data;
    BpBackupOp *op = call->op;
    g_autoptr(BpQmpJobInfo) info = NULL;
    GError *err = NULL;

    if (!(info = bp_qmp_job_wait_finish(op->mon, result, &err))) {
        bp_backup_fail(op, err);
    } else {
        if (op->step == STEP_WAIT) {
            call->tgt->bytes = info->current_progress;
            call->tgt->bytes_total = info->total_progress;
        }
        if (info->error && !(op->pull && op->finishing && op->step == STEP_WAIT)) {
            if (op->cancelled)
                bp_backup_fail(op, g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                               _("backup of disk '%s' was cancelled"),
                                               call->tgt->target));
            else if (op->step == STEP_WAIT)
                bp_backup_fail_all(op, call->tgt, info->error);
            else
                bp_backup_fail(op, g_error_new(BP_ERROR, BP_ERROR_QEMU,
                                               _("cannot format backup target '%s': %s"),
                                               call->tgt->path, info->error));
        }
    }
    bp_backup_call_done(op);
}


BpBackupCall *
bp_backup_call(BpBackupOp *op, BpBackupTarget *tgt)
{
    BpBackupCall *call = g_new0(BpBackupCall, 1);

    call->op = op;
    call->tgt = tgt;
    op->pending++;
    return call;
}


static void
bp_backup_send_actions(BpBackupOp *op, JsonArray *actions, gboolean grouped)
{
    if (json_array_get_length(actions) == 0)
        return;
    bp_qmp_transaction_async(op->mon, actions, grouped, NULL, bp_backup_command_cb,
                             bp_backup_call(op, NULL));
}


static gboolean
bp_backup_poll_cb(gpointer data);


/* Sends the commands of the current step; a step with nothing to send
 * moves on at once. */
void
bp_backup_step_run(BpBackupOp *op)
{
    size_t i;

    for (;;) {
        /* After a failure: jobs that were started are still waited for
         * and dismissed (QEMU keeps them otherwise); the rest of the
         * work is skipped. */
        if (op->error && op->step < STEP_UNEXPORT &&
            op->step != STEP_CREATE_WAIT && op->step != STEP_CREATE_DISMISS &&
            !(op->transaction_done && (op->step == STEP_WAIT || op->step == STEP_DISMISS)))
            op->step = STEP_UNEXPORT;
        bp_backup_cleanup_skip(op);
        op->pending = 1;     /* held while sending */
        if (op->pull)
            bp_backup_pull_step(op, NULL);
        for (i = 0; i < op->targets->len; i++) {
            BpBackupTarget *t = op->targets->pdata[i];
            g_autoptr(JsonObject) o = NULL;
            g_autofree char *id = NULL;

            switch (op->step) {
            case STEP_ADD_FILES:
                o = json_object_new();
                json_object_set_string_member(o, "driver", "file");
                json_object_set_string_member(o, "node-name", t->file_node);
                json_object_set_string_member(o, "filename", t->path);
                bp_qmp_blockdev_add_async(op->mon, o, NULL, bp_backup_command_cb,
                                          bp_backup_call(op, t));
                break;
            case STEP_CREATE:
                if (!t->created)
                    break;
                o = json_object_new();
                json_object_set_string_member(o, "driver", "qcow2");
                json_object_set_string_member(o, "file", t->file_node);
                json_object_set_int_member(o, "size", t->size);
                if (t->backing) {
                    json_object_set_string_member(o, "backing-file", t->backing);
                    json_object_set_string_member(o, "backing-fmt", "qcow2");
                }
                id = g_strdup_printf("bp-create-%s", t->target);
                bp_qmp_blockdev_create_async(op->mon, id, o, NULL, bp_backup_command_cb,
                                             bp_backup_call(op, NULL));
                break;
            case STEP_CREATE_WAIT:
            case STEP_CREATE_DISMISS:
                if (!t->created)
                    break;
                id = g_strdup_printf("bp-create-%s", t->target);
                if (op->step == STEP_CREATE_WAIT)
                    bp_qmp_job_wait_async(op->mon, id, "concluded", BP_QMP_TIMEOUT_NONE,
                                          NULL, bp_backup_wait_cb, bp_backup_call(op, t));
                else
                    bp_qmp_job_dismiss_async(op->mon, id, NULL, bp_backup_command_cb,
                                             bp_backup_call(op, NULL));
                break;
            case STEP_ADD_FORMATS:
                o = json_object_new();
                json_object_set_string_member(o, "driver", "qcow2");
                json_object_set_string_member(o, "node-name", t->fmt_node);
                json_object_set_string_member(o, "file", t->file_node);
                if (op->pull)   /* fleecing: reads fall through to the disk */
                    json_object_set_string_member(o, "backing", t->base_node);
                else
                    json_object_set_null_member(o, "backing");
                bp_qmp_blockdev_add_async(op->mon, o, NULL, bp_backup_command_cb,
                                          bp_backup_call(op, t));
                break;
            case STEP_WAIT:
                bp_qmp_job_wait_async(op->mon, t->job, "concluded", BP_QMP_TIMEOUT_NONE,
                                      NULL, bp_backup_wait_cb, bp_backup_call(op, t));
                break;
            case STEP_DISMISS:
                bp_qmp_job_dismiss_async(op->mon, t->job, NULL, bp_backup_command_cb,
                                         bp_backup_call(op, NULL));
                break;
            case STEP_DEL_FORMATS:
                if (t->fmt_added)
                    bp_qmp_blockdev_del_async(op->mon, t->fmt_node, NULL,
                                              bp_backup_command_cb, bp_backup_call(op, NULL));
                break;
            case STEP_DEL_FILES:
                if (t->file_added)
                    bp_qmp_blockdev_del_async(op->mon, t->file_node, NULL,
                                              bp_backup_command_cb, bp_backup_call(op, NULL));
                break;
            default:
                if (op->pull)
                    bp_backup_pull_step(op, t);
                break;
            }
        }

        switch (op->step) {
        case STEP_BEFORE: {
            g_autoptr(JsonArray) a = bp_plan_actions_to_json(op->plan->before);

            bp_backup_send_actions(op, a, FALSE);
            break;
        }
        case STEP_TRANSACTION: {
            g_autoptr(JsonArray) a = bp_plan_actions_to_json(op->plan->actions);

            for (i = 0; i < op->targets->len; i++) {
                BpBackupTarget *t = op->targets->pdata[i];
                BpQmpBackupArgs args = {
                    .job_id = t->job, .device = t->base_node, .target = t->fmt_node,
                    .sync = op->pull ? "none" : t->bitmap ? "incremental" : "full",
                    .bitmap = op->pull ? NULL : t->bitmap,
                    .speed = bp_backup_test_speed,
                };

                json_array_add_object_element(a, bp_qmp_action_new("blockdev-backup",
                                                                   bp_qmp_args_blockdev_backup(&args)));
            }
            bp_backup_send_actions(op, a, FALSE);
            break;
        }
        case STEP_WAIT:
            op->poll_id = g_timeout_add(250, bp_backup_poll_cb, op);
            break;
        case STEP_DISMISS:
            g_clear_handle_id(&op->poll_id, g_source_remove);
            break;
        case STEP_UNDO_CHECKPOINT:
            /* Offline, the checkpoint's bitmaps come only after the copy. */
            if (op->error && op->chk && op->transaction_done && !op->offline) {
                g_autoptr(GPtrArray) acts =
                    g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_action_free);
                g_autoptr(JsonArray) a = NULL;

                for (i = 0; i < op->chk->ndisks; i++) {
                    BpCheckpointDiskDef *cd = op->chk->disks[i];
                    BpBlockDisk *disk = bp_block_graph_get_disk(op->graph, cd->name);

                    if (cd->bitmap && disk)
                        g_ptr_array_add(acts, bp_plan_action_bitmap_remove(
                            ((BpBlockNode *) disk->chain->pdata[0])->node_name, cd->bitmap));
                }
                a = bp_plan_actions_to_json(acts);
                bp_backup_send_actions(op, a, FALSE);
            }
            break;
        case STEP_AFTER:
            if (op->transaction_done) {
                g_autoptr(JsonArray) a = bp_plan_actions_to_json(op->plan->after);

                bp_backup_send_actions(op, a, FALSE);
            }
            break;
        case STEP_CLOSE_TEMP:
        case STEP_OFFLINE_CHECKPOINT:
            bp_backup_offline_step(op);
            break;
        case STEP_DONE: {
            GError *err = NULL;

            op->pending = 0;
            if (op->backup_id && !bp_backup_conclude(op, &err))
                bp_backup_fail(op, err);
            if (op->error || op->pull) {    /* pull: the scratch images */
                for (i = 0; i < op->targets->len; i++) {
                    BpBackupTarget *t = op->targets->pdata[i];

                    if (t->created && g_unlink(t->path) < 0)
                        g_warning("cannot remove backup target '%s': %s",
                                  t->path, g_strerror(errno));
                }
            }
            bp_backup_return(op);
            return;
        }
        default:
            break;
        }
        if (--op->pending > 0)
            return;
        op->step++;
    }
}


/* ---- progress and cancellation ---------------------------------------------- */

static void
bp_backup_poll_done_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpBackupOp *op = data;
    g_autoptr(GPtrArray) jobs = NULL;
    size_t i, j;

    if (!(jobs = bp_qmp_query_jobs_finish(op->mon, result, NULL)))
        goto out;
    for (i = 0; i < jobs->len; i++) {
        BpQmpJobInfo *info = jobs->pdata[i];

        for (j = 0; j < op->targets->len; j++) {
            BpBackupTarget *t = op->targets->pdata[j];

            if (g_str_equal(info->id, t->job)) {
                t->bytes = info->current_progress;
                t->bytes_total = info->total_progress;
            }
        }
    }
 out:
    g_object_unref(op->task);
}


static gboolean
bp_backup_poll_cb(gpointer data)
{
    BpBackupOp *op = data;

    g_object_ref(op->task);
    bp_qmp_query_jobs_async(op->mon, NULL, bp_backup_poll_done_cb, op);
    return G_SOURCE_CONTINUE;
}


static void
bp_backup_cancel_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpBackupOp *op = data;
    g_autoptr(GError) err = NULL;

    if (!bp_qmp_command_finish(op->mon, result, &err))
        g_debug("job-cancel: %s", err->message);
    g_object_unref(op->task);
}


void
bp_backup_op_cancel(BpBackupOp *op)
{
    size_t i;

    if (op->cancelled)
        return;
    op->cancelled = TRUE;
    if (op->step > STEP_WAIT)
        return;
    if (op->step < STEP_WAIT) {
        /* Not copying yet: stop before the copy starts. */
        bp_backup_fail(op, g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                               _("the backup was cancelled")));
        return;
    }
    if (op->pull) {
        bp_backup_pull_stop(op);
        return;
    }
    /* Grouped: cancelling one cancels all, but ask for each anyway. */
    for (i = 0; i < op->targets->len; i++) {
        g_object_ref(op->task);
        bp_qmp_job_cancel_async(op->mon, ((BpBackupTarget *) op->targets->pdata[i])->job,
                                NULL, bp_backup_cancel_cb, op);
    }
}


void
bp_backup_op_set_started_func(BpBackupOp *op, BpBackupStartedFunc func, gpointer data)
{
    op->started = func;
    op->started_data = data;
}


char *
bp_backup_op_get_xml(BpBackupOp *op)
{
    return bp_backup_def_format_string(op->def, FALSE);
}


GStrv
bp_backup_op_get_disks(BpBackupOp *op)
{
    GStrvBuilder *b = g_strv_builder_new();
    GStrv v;
    size_t i;

    for (i = 0; i < op->targets->len; i++)
        g_strv_builder_add(b, ((BpBackupTarget *) op->targets->pdata[i])->target);
    v = g_strv_builder_end(b);
    g_strv_builder_unref(b);
    return v;
}


GStrv
bp_backup_op_get_fallback_disks(BpBackupOp *op)
{
    GStrvBuilder *b = g_strv_builder_new();
    GStrv v;
    size_t i;

    for (i = 0; i < op->targets->len; i++) {
        BpBackupTarget *t = op->targets->pdata[i];

        if (t->fallback)
            g_strv_builder_add(b, t->target);
    }
    v = g_strv_builder_end(b);
    g_strv_builder_unref(b);
    return v;
}


void
bp_backup_op_get_progress(BpBackupOp *op, BpBackupProgress *progress)
{
    size_t i;

    memset(progress, 0, sizeof(*progress));
    for (i = 0; i < op->targets->len; i++) {
        BpBackupTarget *t = op->targets->pdata[i];

        progress->processed += t->bytes;
        progress->total += t->bytes_total;
    }
    progress->start_time = op->start_us;
    progress->backup_id = op->backup_id;
    progress->cancelling = op->cancelled;
    progress->copying = op->transaction_done;
}


void
bp_backup_ops_set_test_speed(guint64 bytes_per_second)
{
    bp_backup_test_speed = bytes_per_second;
}
