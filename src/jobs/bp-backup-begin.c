/*
 * bp-backup-begin.c: backup-begin up to the first QMP step: the checks,
 * the documents, the plan, the target files and the catalogue rows (see
 * bp-backup-ops.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "bp-backup-priv.h"
#include "bp-blockjob-ops.h"
#include "bp-checkpoint-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

/* Domains (gint64 ids) with a backup under way in this process: the
 * catalogue's job row is written only once the graph was read. */
static GHashTable *bp_backup_busy;


void
bp_backup_unregister(BpBackupOp *op)
{
    if (op->registered)
        g_hash_table_remove(bp_backup_busy, &op->domain_id);
    op->registered = FALSE;
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


static gboolean
bp_backup_plan_incremental(BpBackupOp *op, BpBackupDiskDef *dd, BpBackupTarget *t,
                           const BpStoreBackup *creator, GError **error);


/* Plans one participating disk; @creator is the backup that created the
 * base checkpoint (or NULL).  With BP_BACKUP_BEGIN_FALLBACK_FULL, an
 * incremental disk whose chain is invalid becomes a full copy. */
static gboolean
bp_backup_plan_disk(BpBackupOp *op, BpBackupDiskDef *dd, const BpStoreBackup *creator,
                    GError **error)
{
    BpBackupTarget *t = g_new0(BpBackupTarget, 1);
    BpBlockDisk *disk = bp_block_graph_get_disk(op->graph, dd->name);
    BpBlockNode *top;

    g_ptr_array_add(op->targets, t);
    t->target = g_strdup(dd->name);
    t->path = g_strdup(dd->store->path);
    if (!disk || disk->chain->len == 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("disk '%s' is not in the domain's block graph"), dd->name);
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
    t->export_name = g_strdup(dd->exportname);
    if (op->pull)
        t->export_id = g_strdup_printf("bp-pull-%s", dd->name);

    if (dd->backupmode == BP_BACKUP_DISK_MODE_INCREMENTAL) {
        g_autoptr(GError) invalid = NULL;

        if (!bp_backup_plan_incremental(op, dd, t, creator, &invalid)) {
            if (!(op->flags & BP_BACKUP_BEGIN_FALLBACK_FULL) ||
                invalid->code != BP_ERROR_CHECKPOINT_INCONSISTENT) {
                g_propagate_error(error, g_steal_pointer(&invalid));
                return FALSE;
            }
            /* A full copy of this disk instead: no bitmap, no backing. */
            g_message("backup of disk '%s' falls back to a full copy: %s",
                      dd->name, invalid->message);
            t->fallback = g_strdup(invalid->message);
            g_clear_pointer(&t->bitmap, g_free);
            g_clear_pointer(&t->backing, g_free);
            /* backup-dumpxml tells what is done for this disk */
            dd->backupmode = BP_BACKUP_DISK_MODE_FULL;
            g_clear_pointer(&dd->incremental, g_free);
        }
    }
    if ((op->flags & BP_BACKUP_BEGIN_REUSE_EXTERNAL) &&
        !g_file_test(t->path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("backup target '%s' of disk '%s' does not exist "
                      "(required with reuse-external)"), t->path, dd->name);
        return FALSE;
    }
    return TRUE;
}


/* The incremental part of bp_backup_plan_disk(): the base checkpoint,
 * the temporary bitmap over its chain (added to op->plan only when the
 * whole chain is valid) and the target's backing file.  An invalid base
 * or chain is BP_ERROR_CHECKPOINT_INCONSISTENT naming checkpoint, disk
 * and reason. */
static gboolean
bp_backup_plan_incremental(BpBackupOp *op, BpBackupDiskDef *dd, BpBackupTarget *t,
                           const BpStoreBackup *creator, GError **error)
{
    g_autoptr(BpPlan) part = bp_plan_new();
    g_autoptr(BpStoreCheckpoint) base = NULL;
    g_autoptr(GError) local = NULL;
    const char *bitmap = NULL;
    size_t i;

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
    /* Pull: on the scratch node, under the exported name (libvirt). */
    t->bitmap = op->pull ? g_strdup(dd->exportbitmap)
                         : bp_planner_backup_bitmap_name(dd->name);
    if (!bp_planner_backup_bitmap(part, op->graph, dd->name, bitmap,
                                  op->pull ? t->fmt_node : NULL, t->bitmap, &local)) {
        g_set_error(error, BP_ERROR, local->code,
                    _("checkpoint '%s' cannot be the base of an incremental backup "
                      "of disk '%s': %s"), dd->incremental, dd->name, local->message);
        return FALSE;
    }
    if (creator && !op->pull) {
        for (i = 0; i < creator->disks->len; i++) {
            BpStoreBackupDisk *bd = creator->disks->pdata[i];

            if (g_str_equal(bd->target, dd->name))
                t->backing = g_strdup(bd->path);
        }
    }
    bp_plan_append(op->plan, g_steal_pointer(&part));
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
        /* Offline, the checkpoint is planned on the images (qemu-img)
         * and carried out after the copy (bp-backup-offline.c). */
        if (op->offline)
            op->ckpt_plan = bp_plan_new();
        if (!bp_planner_checkpoint_create(op->offline ? op->ckpt_plan : op->plan,
                                          op->offline ? op->ckpt_graph : op->graph,
                                          cat, pc, &err)) {
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
    /* A commit changes the chains (and moves the bitmaps) under the
     * backup's nodes. */
    if (bp_blockjob_ops_is_running(op->domain_id)) {
        g_set_error(error, BP_ERROR, BP_ERROR_BUSY,
                    _("domain '%s' has a block job; a backup can start when it has ended"),
                    domdef->name);
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
    if (bp_block_access_get_kind(op->access) == BP_BLOCK_ACCESS_STORAGE) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("domain '%s': a backup needs the domain's own access, "
                      "not a temporary one"), domdef->name);
        return FALSE;
    }
    if (!(op->def = bp_backup_def_parse_string(backup_xml && *backup_xml ? backup_xml
                                               : "<domainbackup/>",
                                               BP_BACKUP_PARSE_VALIDATE, error)))
        return FALSE;
    op->pull = op->def->mode == BP_BACKUP_MODE_PULL;
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
    if (op->pull && !bp_backup_pull_prepare(op, error))
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
    if (bp_block_access_get_kind(access) == BP_BLOCK_ACCESS_OFFLINE) {
        op->offline = bp_block_access_ref(access);
        op->mon = NULL;
        bp_backup_offline_start(op);
    } else {
        bp_backup_read_graph(op);
    }
    return op;
}


void
bp_backup_read_graph(BpBackupOp *op)
{
    bp_block_access_read_graph_async(op->access, NULL, bp_backup_graph_cb, op);
}


gboolean
bp_backup_ops_is_running(gint64 domain_id)
{
    return bp_backup_busy && g_hash_table_contains(bp_backup_busy, &domain_id);
}


gint64
bp_backup_ops_begin_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), -1);
    return g_task_propagate_int(G_TASK(result), error);
}
