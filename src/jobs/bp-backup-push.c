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
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "bp-backup-ops.h"
#include "bp-checkpoint-priv.h"
#include "conf/bp-backup-conf.h"
#include "qemu/bp-qmp-commands.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

typedef enum {
    STEP_ADD_FILES,         /* blockdev-add the protocol nodes */
    STEP_CREATE,            /* blockdev-create qcow2 on the new files */
    STEP_CREATE_WAIT,
    STEP_CREATE_DISMISS,
    STEP_ADD_FORMATS,       /* blockdev-add the qcow2 nodes */
    STEP_BEFORE,            /* the plan's leftover removals */
    STEP_TRANSACTION,       /* bitmaps + blockdev-backup, grouped */
    STEP_WAIT,
    STEP_DISMISS,
    /* clean-up: always run */
    STEP_UNDO_CHECKPOINT,
    STEP_AFTER,
    STEP_DEL_FORMATS,
    STEP_DEL_FILES,
    STEP_DONE,
} BpBackupStep;

typedef struct {
    char *target;
    char *path;
    char *base_node;        /* the disk's top node */
    char *file_node;
    char *fmt_node;
    char *job;
    char *bitmap;           /* incremental: the transient bitmap */
    char *backing;          /* incremental: backing file of the target */
    guint64 size;
    gboolean created;       /* we created the file */
    gboolean file_added;
    gboolean fmt_added;
    gboolean job_started;
    guint64 bytes;
    guint64 bytes_total;
} BpBackupTarget;

struct _BpBackupOp {
    GTask *task;
    BpStore *store;
    gint64 domain_id;
    BpBlockAccess *access;
    BpQmpMonitor *mon;
    unsigned int flags;
    gint64 now;
    BpBackupDef *def;
    BpCheckpointDef *chk;       /* the new checkpoint, or NULL */
    BpBlockGraph *graph;
    BpPlan *plan;
    GPtrArray *targets;         /* BpBackupTarget* */
    gint64 job_id;
    gint64 backup_id;
    gint64 previous_id;
    BpBackupStep step;
    guint pending;
    gboolean transaction_done;  /* the checkpoint bitmaps exist */
    gboolean cancelled;
    guint poll_id;
    gint64 start_us;
    gboolean registered;        /* in bp_backup_busy */
    BpBackupStartedFunc started;
    gpointer started_data;
    GError *error;              /* the first failure */
};

typedef struct {
    BpBackupOp *op;
    BpBackupTarget *tgt;        /* NULL for a transaction */
} BpBackupCall;

static void bp_backup_step_run(BpBackupOp *op);

/* Domains (gint64 ids) with a backup under way in this process: the
 * catalogue's job row is written only once the graph was read. */
static GHashTable *bp_backup_busy;

/* bp_backup_ops_set_test_speed() */
static guint64 bp_backup_test_speed;


static void
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
    g_free(t);
}


static void
bp_backup_op_free(BpBackupOp *op)
{
    if (op->poll_id)
        g_source_remove(op->poll_id);
    bp_block_access_unref(op->access);
    if (op->def)
        bp_backup_def_free(op->def);
    if (op->chk)
        bp_checkpoint_def_free(op->chk);
    bp_block_graph_free(op->graph);
    if (op->plan)
        bp_plan_free(op->plan);
    g_ptr_array_unref(op->targets);
    g_clear_error(&op->error);
    g_free(op);
}


/* Keeps the first failure. */
static void
bp_backup_fail(BpBackupOp *op, GError *error)
{
    if (!op->error)
        op->error = error;
    else
        g_error_free(error);
}


static void
bp_backup_return(BpBackupOp *op)
{
    GTask *task = op->task;

    if (op->registered)
        g_hash_table_remove(bp_backup_busy, &op->domain_id);
    op->registered = FALSE;
    if (op->error)
        g_task_return_error(task, g_steal_pointer(&op->error));
    else
        g_task_return_int(task, op->backup_id);
    g_object_unref(task);
}


/* ---- the catalogue ------------------------------------------------------- */

/* The backup row, its job and the pending checkpoint, in one transaction. */
static gboolean
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
    backup = bp_store_backup_new(op->domain_id, BP_STORE_BACKUP_PUSH,
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

        g_ptr_array_add(backup->disks, bp_store_backup_disk_new(t->target, t->path, "qcow2"));
    }
    if (!(txn = bp_store_txn_begin(op->store, error)) ||
        !bp_store_backup_add(op->store, backup, error))
        return FALSE;
    job->backup_id = backup->id;
    job->checkpoint = op->chk ? g_strdup(op->chk->name) : NULL;
    job->phase = g_strdup("running");
    job->start_time = job->update_time = op->now;
    if (!bp_store_job_add(op->store, job, error))
        return FALSE;
    if (op->chk) {
        row = bp_checkpoint_row_from_def(op->domain_id, op->chk,
                                         BP_STORE_CHECKPOINT_PENDING, op->graph);
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

        d->bytes = t->bytes;
        d->bytes_total = t->bytes_total;
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
        } else if (!bp_store_checkpoint_delete(op->store, op->domain_id, op->chk->name,
                                               BP_STORE_DELETE_SINGLE, error)) {
            return FALSE;
        }
    }
    return bp_store_txn_commit(txn, error);
}


/* ---- QMP steps ------------------------------------------------------------ */

static void
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
        if (op->step >= STEP_UNDO_CHECKPOINT) {
            g_warning("backup clean-up: %s", err->message);
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
        if (op->started)
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
        if (info->error) {
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


static BpBackupCall *
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
static void
bp_backup_step_run(BpBackupOp *op)
{
    size_t i;

    for (;;) {
        /* After a failure: jobs that were started are still waited for
         * and dismissed (QEMU keeps them otherwise); the rest of the
         * work is skipped. */
        if (op->error && op->step < STEP_UNDO_CHECKPOINT &&
            op->step != STEP_CREATE_WAIT && op->step != STEP_CREATE_DISMISS &&
            !(op->transaction_done && (op->step == STEP_WAIT || op->step == STEP_DISMISS)))
            op->step = STEP_UNDO_CHECKPOINT;
        op->pending = 1;     /* held while sending */
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
                    .sync = t->bitmap ? "incremental" : "full", .bitmap = t->bitmap,
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
            if (op->error && op->chk && op->transaction_done) {
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
        case STEP_DONE: {
            GError *err = NULL;

            op->pending = 0;
            if (op->backup_id && !bp_backup_conclude(op, &err))
                bp_backup_fail(op, err);
            if (op->error) {
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


/* ---- preparation ------------------------------------------------------------- */

/* Creates @path exclusively, never through a symlink. */
static gboolean
bp_backup_create_file(const char *path, GError **error)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0) {
        int e = errno;

        g_set_error(error, BP_ERROR, e == EEXIST ? BP_ERROR_EXISTS : BP_ERROR_FAILED,
                    _("cannot create backup target '%s': %s"), path, g_strerror(e));
        return FALSE;
    }
    close(fd);
    return TRUE;
}


/* The completed backup that created checkpoint @name, or NULL. */
static BpStoreBackup *
bp_backup_find_creator(BpStore *store, gint64 domain_id, const char *name)
{
    g_autoptr(GPtrArray) list = bp_store_backup_list(store, domain_id, NULL);
    size_t i;

    if (!list)
        return NULL;
    g_ptr_array_set_free_func(list, NULL);
    for (i = list->len; i > 0; i--) {
        BpStoreBackup *b = list->pdata[i - 1];

        if (b->checkpoint && g_str_equal(b->checkpoint, name) &&
            b->status == BP_STORE_BACKUP_COMPLETED) {
            list->pdata[i - 1] = NULL;
            for (i = 0; i < list->len; i++)
                if (list->pdata[i])
                    bp_store_backup_free(list->pdata[i]);
            return b;
        }
    }
    for (i = 0; i < list->len; i++)
        bp_store_backup_free(list->pdata[i]);
    return NULL;
}


/* Plans one participating disk; @creator is the backup that created the
 * base checkpoint (or NULL). */
static gboolean
bp_backup_plan_disk(BpBackupOp *op, BpBackupDiskDef *dd, const BpStoreBackup *creator,
                    GError **error)
{
    BpBackupTarget *t = g_new0(BpBackupTarget, 1);
    BpBlockDisk *disk = bp_block_graph_get_disk(op->graph, dd->name);
    BpBlockNode *top;
    size_t i;

    g_ptr_array_add(op->targets, t);
    t->target = g_strdup(dd->name);
    t->path = g_strdup(dd->store->path);
    if (!disk || disk->chain->len == 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("disk '%s' is not attached to the running domain"), dd->name);
        return FALSE;
    }
    if (dd->store->format && !g_str_equal(dd->store->format, "qcow2")) {
        g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                    _("backup target of disk '%s' must be qcow2, not '%s'"),
                    dd->name, dd->store->format);
        return FALSE;
    }
    top = disk->chain->pdata[0];
    t->base_node = g_strdup(top->node_name);
    t->size = top->virtual_size;
    t->file_node = g_strdup_printf("bp-backup-%s-file", dd->name);
    t->fmt_node = g_strdup_printf("bp-backup-%s", dd->name);
    t->job = g_strdup_printf("bp-backup-%s", dd->name);

    if (dd->backupmode == BP_BACKUP_DISK_MODE_INCREMENTAL) {
        g_autoptr(BpStoreCheckpoint) base = NULL;
        const char *bitmap = NULL;
        g_autoptr(GError) local = NULL;

        if (!(base = bp_store_checkpoint_get(op->store, op->domain_id, dd->incremental,
                                             error)))
            return FALSE;
        for (i = 0; i < base->disks->len; i++) {
            BpStoreCheckpointDisk *cd = base->disks->pdata[i];

            if (g_str_equal(cd->target, dd->name))
                bitmap = cd->bitmap;
        }
        if (base->state != BP_STORE_CHECKPOINT_READY || !bitmap) {
            g_set_error(error, BP_ERROR, BP_ERROR_CHECKPOINT_INCONSISTENT,
                        _("checkpoint '%s' cannot be the base of an incremental backup "
                          "of disk '%s': %s"), dd->incremental, dd->name,
                        !bitmap ? _("the checkpoint does not include the disk")
                                : base->reason ? base->reason
                                : _("the checkpoint is not ready"));
            return FALSE;
        }
        t->bitmap = bp_planner_backup_bitmap_name(dd->name);
        if (!bp_planner_backup_bitmap(op->plan, op->graph, dd->name, bitmap, NULL,
                                      t->bitmap, &local)) {
            g_set_error(error, BP_ERROR, local->code,
                        _("checkpoint '%s' cannot be the base of an incremental backup "
                          "of disk '%s': %s"), dd->incremental, dd->name, local->message);
            return FALSE;
        }
        if (creator) {
            for (i = 0; i < creator->disks->len; i++) {
                BpStoreBackupDisk *bd = creator->disks->pdata[i];

                if (g_str_equal(bd->target, dd->name))
                    t->backing = g_strdup(bd->path);
            }
        }
    }
    if (op->flags & BP_BACKUP_BEGIN_REUSE_EXTERNAL) {
        if (!g_file_test(t->path, G_FILE_TEST_EXISTS)) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("backup target '%s' of disk '%s' does not exist "
                          "(required with reuse-external)"), t->path, dd->name);
            return FALSE;
        }
        return TRUE;
    }
    return TRUE;
}


static void
bp_backup_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpBackupOp *op = data;
    g_autoptr(BpStoreBackup) creator = NULL;
    GError *err = NULL;
    size_t i;

    if (!(op->graph = bp_block_access_read_graph_finish(result, &err))) {
        bp_backup_fail(op, err);
        bp_backup_return(op);
        return;
    }
    op->plan = bp_plan_new();
    if (op->chk) {
        g_autoptr(GPtrArray) rows = NULL;
        g_autoptr(BpPlanCatalogue) cat = NULL;
        g_autoptr(BpPlanCheckpoint) pc = NULL;

        if (!(rows = bp_checkpoint_rows(op->store, op->domain_id, &err))) {
            bp_backup_fail(op, err);
            bp_backup_return(op);
            return;
        }
        cat = bp_checkpoint_catalogue(rows, NULL);
        pc = bp_checkpoint_plan_from_def(op->chk);
        if (!bp_planner_checkpoint_create(op->plan, op->graph, cat, pc, &err)) {
            bp_backup_fail(op, err);
            bp_backup_return(op);
            return;
        }
    }
    if (op->def->incremental) {
        creator = bp_backup_find_creator(op->store, op->domain_id, op->def->incremental);
        if (creator)
            op->previous_id = creator->id;
    }
    for (i = 0; i < op->def->ndisks; i++) {
        BpBackupDiskDef *dd = op->def->disks[i];

        if (!dd->backup)
            continue;
        if (!bp_backup_plan_disk(op, dd, creator, &err)) {
            bp_backup_fail(op, err);
            bp_backup_return(op);
            return;
        }
    }
    if (op->targets->len == 0) {
        bp_backup_fail(op, g_error_new_literal(BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                                               _("no disk takes part in the backup")));
        bp_backup_return(op);
        return;
    }
    /* The files last, so that a refusal above leaves nothing behind. */
    if (!(op->flags & BP_BACKUP_BEGIN_REUSE_EXTERNAL)) {
        for (i = 0; i < op->targets->len; i++) {
            BpBackupTarget *t = op->targets->pdata[i];

            if (!bp_backup_create_file(t->path, &err)) {
                bp_backup_fail(op, err);
                op->step = STEP_DONE;
                bp_backup_step_run(op);
                return;
            }
            t->created = TRUE;
        }
    }
    if (!bp_backup_record(op, &err)) {
        bp_backup_fail(op, err);
        op->step = STEP_DONE;
        bp_backup_step_run(op);
        return;
    }
    op->step = STEP_ADD_FILES;
    bp_backup_step_run(op);
}


/* Parses the documents and aligns them with the domain. */
static gboolean
bp_backup_prepare(BpBackupOp *op, const char *backup_xml, const char *checkpoint_xml,
                  GError **error)
{
    const BpDomainDef *domdef = bp_block_access_get_def(op->access);
    g_autoptr(GPtrArray) jobs = NULL;
    g_autoptr(BpStoreCheckpoint) current = NULL;
    g_autoptr(BpStoreCheckpoint) existing = NULL;
    g_autofree char *suffix = NULL;
    GError *local = NULL;
    size_t i;

    if (!bp_backup_busy)
        bp_backup_busy = g_hash_table_new(g_int64_hash, g_int64_equal);
    if (g_hash_table_contains(bp_backup_busy, &op->domain_id)) {
        g_set_error(error, BP_ERROR, BP_ERROR_BUSY,
                    _("domain '%s' already has a backup job"), domdef->name);
        return FALSE;
    }
    if (!(jobs = bp_store_job_list_unfinished(op->store, error)))
        return FALSE;
    for (i = 0; i < jobs->len; i++) {
        BpStoreJob *job = jobs->pdata[i];

        if (job->domain_id == op->domain_id && g_str_equal(job->kind, BP_BACKUP_JOB_KIND)) {
            g_set_error(error, BP_ERROR, BP_ERROR_BUSY,
                        _("domain '%s' already has a backup job (backup %lld)"),
                        domdef->name, (long long) job->backup_id);
            return FALSE;
        }
    }
    if (!bp_block_access_is_live(op->access) ||
        bp_block_access_get_kind(op->access) != BP_BLOCK_ACCESS_RUN) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("domain '%s' is not running"), domdef->name);
        return FALSE;
    }
    if (!(op->def = bp_backup_def_parse_string(backup_xml && *backup_xml ? backup_xml
                                               : "<domainbackup/>",
                                               BP_BACKUP_PARSE_VALIDATE, error)))
        return FALSE;
    if (op->def->mode != BP_BACKUP_MODE_PUSH) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_UNSUPPORTED,
                    _("pull mode backups are not supported yet"));
        return FALSE;
    }
    if (checkpoint_xml && *checkpoint_xml) {
        if (!(op->chk = bp_checkpoint_def_parse_string(checkpoint_xml,
                                                       BP_CHECKPOINT_PARSE_VALIDATE,
                                                       op->now, error)))
            return FALSE;
        existing = bp_store_checkpoint_get(op->store, op->domain_id, op->chk->name, &local);
        if (existing) {
            g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                        _("checkpoint '%s' already exists in domain '%s'"),
                        op->chk->name, domdef->name);
            return FALSE;
        }
        g_clear_error(&local);
        current = bp_store_checkpoint_get_current(op->store, op->domain_id, &local);
        if (local) {
            g_propagate_error(error, local);
            return FALSE;
        }
        g_free(op->chk->parent);
        op->chk->parent = current ? g_strdup(current->name) : NULL;
        bp_domain_def_free(op->chk->dom);
        op->chk->dom = bp_domain_def_copy(domdef);
        if (!bp_checkpoint_def_align_disks(op->chk, NULL, error))
            return FALSE;
        suffix = g_strdup(op->chk->name);
    } else {
        suffix = g_strdup_printf("%" G_GINT64_FORMAT, op->now);
    }
    if (!bp_backup_def_align_disks(op->def, domdef, suffix, error))
        return FALSE;
    g_hash_table_add(bp_backup_busy, &op->domain_id);
    op->registered = TRUE;
    return TRUE;
}


BpBackupOp *
bp_backup_ops_begin_async(BpStore *store,
                          gint64 domain_id,
                          BpBlockAccess *access,
                          const char *backup_xml,
                          const char *checkpoint_xml,
                          unsigned int flags,
                          gint64 now,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
    BpBackupOp *op = g_new0(BpBackupOp, 1);
    GError *err = NULL;

    op->task = g_task_new(NULL, NULL, callback, user_data);
    g_task_set_source_tag(op->task, bp_backup_ops_begin_async);
    g_task_set_task_data(op->task, op, (GDestroyNotify) bp_backup_op_free);
    op->store = store;
    op->domain_id = domain_id;
    op->access = bp_block_access_ref(access);
    op->mon = bp_block_access_get_monitor(access);
    op->flags = flags;
    op->now = now;
    op->start_us = g_get_real_time();
    op->targets = g_ptr_array_new_with_free_func((GDestroyNotify) bp_backup_target_free);

    if (!bp_backup_prepare(op, backup_xml, checkpoint_xml, &err)) {
        bp_backup_fail(op, err);
        bp_backup_return(op);
        return NULL;
    }
    (void) cancellable;     /* cancel with bp_backup_op_cancel() */
    bp_block_access_read_graph_async(access, NULL, bp_backup_graph_cb, op);
    return op;
}


gboolean
bp_backup_ops_is_running(gint64 domain_id)
{
    return bp_backup_busy && g_hash_table_contains(bp_backup_busy, &domain_id);
}


void
bp_backup_ops_set_test_speed(guint64 bytes_per_second)
{
    bp_backup_test_speed = bytes_per_second;
}


gint64
bp_backup_ops_begin_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), -1);
    return g_task_propagate_int(G_TASK(result), error);
}
