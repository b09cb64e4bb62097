/*
 * bp-snapshot-create.c: snapshot-create --disk-only (see
 * bp-snapshot-ops.h for the steps and what a failure leaves).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "bp-snapshot-priv.h"
#include "conf/bp-snapshot-conf.h"
#include "planner/bp-planner.h"
#include "qemu/bp-qemu-types.h"
#include "qemu/bp-qmp-commands.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

typedef struct {
    BpStore *store;
    gint64 domain_id;
    BpBlockAccess *access;
    unsigned int flags;
    gint64 now;
    BpSnapshotDef *def;
    BpSnapRecord *rec;
    BpBlockGraph *graph;
    BpPlan *plan;
    gint64 job_id;
    BpDomainDef *new_def;
    GError *error;              /* the failure being cleaned up after */
} BpSnapCreate;


static void
bp_snap_create_free(BpSnapCreate *op)
{
    bp_block_access_unref(op->access);
    bp_snapshot_def_free(op->def);
    bp_snap_record_free(op->rec);
    bp_block_graph_free(op->graph);
    if (op->plan)
        bp_plan_free(op->plan);
    bp_domain_def_free(op->new_def);
    g_clear_error(&op->error);
    g_free(op);
}


static void
bp_snap_create_fail(GTask *task, GError *error)
{
    g_task_return_error(task, error);
    g_object_unref(task);
}


static gboolean
bp_snap_create_is_live(BpSnapCreate *op)
{
    return bp_block_access_get_kind(op->access) == BP_BLOCK_ACCESS_RUN;
}


/* ---- preparing ----------------------------------------------------------------- */

/* The checks on the overlay files that need no QEMU. */
static gboolean
bp_snap_check_file(const BpSnapDisk *d, gboolean reuse, GError **error)
{
    GStatBuf st;

    if (g_lstat(d->path, &st) == 0) {
        if (!reuse) {
            g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                        _("external snapshot file for disk %s already exists: %s "
                          "(use reuse-external to take it as it is)"),
                        d->target, d->path);
            return FALSE;
        }
        return TRUE;
    }
    if (reuse) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("cannot reuse the external snapshot file for disk %s: "
                      "'%s' does not exist"),
                    d->target, d->path);
        return FALSE;
    }
    if (d->type != BP_STORAGE_TYPE_FILE) {
        g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                    _("cannot create the block device '%s' for disk %s: "
                      "block overlays must exist (reuse-external)"),
                    d->path, d->target);
        return FALSE;
    }
    return TRUE;
}


/* BP_ERROR_BUSY while another job (a backup) of the domain is under way:
 * its nodes and bitmaps are those of the current chain.  (libvirt
 * waits for its job lock and then fails the same way.) */
static gboolean
bp_snap_check_idle(BpSnapCreate *op, GError **error)
{
    g_autoptr(GPtrArray) jobs = NULL;

    if (!(jobs = bp_store_job_list_unfinished(op->store, error)))
        return FALSE;
    for (guint i = 0; i < jobs->len; i++) {
        const BpStoreJob *job = g_ptr_array_index(jobs, i);

        if (job->domain_id != op->domain_id)
            continue;
        g_set_error(error, BP_ERROR, BP_ERROR_BUSY,
                    _("cannot take a snapshot of domain '%s' while its %s job runs"),
                    bp_block_access_get_def(op->access)->name, job->kind);
        return FALSE;
    }
    return TRUE;
}


/* Name, parent, alignment, and the record of what is going to happen. */
static gboolean
bp_snap_create_prepare(BpSnapCreate *op, GError **error)
{
    const BpDomainDef *domdef = bp_block_access_get_def(op->access);
    gboolean reuse = (op->flags & BP_SNAPSHOT_CREATE_REUSE_EXTERNAL) != 0;
    g_autoptr(BpStoreSnapshot) current = NULL;
    g_autoptr(GHashTable) paths = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GError) local = NULL;
    BpSnapRecord *rec;

    if (!bp_snap_check_idle(op, error))
        return FALSE;
    if (!(op->flags & BP_SNAPSHOT_CREATE_NO_METADATA)) {
        g_autoptr(BpStoreSnapshot) existing =
            bp_store_snapshot_get(op->store, op->domain_id, op->def->name, &local);

        if (existing) {
            g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                        _("snapshot '%s' already exists in domain '%s'"),
                        op->def->name, domdef->name);
            return FALSE;
        }
        if (!g_error_matches(local, BP_ERROR, BP_ERROR_NO_SNAPSHOT)) {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        g_clear_error(&local);
        current = bp_store_snapshot_get_current(op->store, op->domain_id, &local);
        if (local) {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
    }
    g_free(op->def->parent);
    op->def->parent = current ? g_strdup(current->name) : NULL;
    bp_domain_def_free(op->def->dom);
    op->def->dom = bp_domain_def_copy(domdef);
    if (!bp_snapshot_def_align_disks(op->def, NULL,
                                     bp_snap_create_is_live(op) ? BP_SNAPSHOT_ALIGN_ACTIVE : 0,
                                     error))
        return FALSE;

    op->rec = rec = g_new0(BpSnapRecord, 1);
    rec->disks = g_ptr_array_new_with_free_func((GDestroyNotify) bp_snap_disk_free);
    rec->all_disks =
        g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_snapshot_disk_free);
    rec->name = g_strdup(op->def->name);
    rec->parent = g_strdup(op->def->parent);
    rec->description = g_strdup(op->def->description);
    rec->creation_time = op->def->creation_time;
    rec->state = g_strdup(bp_snapshot_state_to_string(op->def->state));
    rec->no_metadata = (op->flags & BP_SNAPSHOT_CREATE_NO_METADATA) != 0;
    rec->xml = bp_snapshot_def_format(op->def, 0);
    for (size_t i = 0; i < op->def->ndisks; i++) {
        const BpSnapshotDiskDef *sd = op->def->disks[i];
        gboolean external = sd->snapshot == BP_SNAPSHOT_LOCATION_EXTERNAL;
        BpSnapDisk *d;

        g_ptr_array_add(rec->all_disks,
                        bp_store_snapshot_disk_new(sd->name,
                                                   external ? sd->src->path : NULL,
                                                   external ? sd->src->format : NULL));
        if (!external)
            continue;
        d = g_new0(BpSnapDisk, 1);
        d->target = g_strdup(sd->name);
        d->path = g_strdup(sd->src->path);
        d->format = g_strdup(sd->src->format ? sd->src->format : "qcow2");
        d->type = sd->src->type;
        d->create = !reuse;
        g_ptr_array_add(rec->disks, d);
        if (!g_path_is_absolute(d->path)) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("the overlay of disk %s must be an absolute path: '%s'"),
                        d->target, d->path);
            return FALSE;
        }
        if (g_strcmp0(d->format, "qcow2") != 0) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("the overlay of disk %s is '%s'; only qcow2 overlays are "
                          "supported"),
                        d->target, d->format);
            return FALSE;
        }
        if (!g_hash_table_add(paths, d->path)) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("two disks cannot share the overlay '%s'"), d->path);
            return FALSE;
        }
        if (!bp_snap_check_file(d, reuse, error))
            return FALSE;
    }
    if (rec->disks->len == 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                    _("snapshot '%s' of domain '%s' selects no disk: nothing to do"),
                    op->def->name, domdef->name);
        return FALSE;
    }
    return TRUE;
}


/* Node names for the overlays: the runtime's scheme for the next layer
 * (so a restart names them the same), the first free one. */
static gboolean
bp_snap_name_nodes(BpSnapCreate *op, GError **error)
{
    for (guint i = 0; i < op->rec->disks->len; i++) {
        BpSnapDisk *d = g_ptr_array_index(op->rec->disks, i);
        BpBlockDisk *bd = bp_block_graph_get_disk(op->graph, d->target);
        guint index = bd ? bd->chain->len : 0;

        if (!bd) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("disk '%s' is not open in the block layer"), d->target);
            return FALSE;
        }
        d->create_job = g_strdup_printf("bp-snap-%s", d->target);

        for (;; index++) {
            g_autofree char *fmt = bp_qemu_node_name(d->target, index, FALSE, error);
            g_autofree char *file = NULL;

            if (!fmt || !(file = bp_qemu_node_name(d->target, index, TRUE, error)))
                return FALSE;
            if (bp_block_graph_lookup(op->graph, fmt) || bp_block_graph_lookup(op->graph, file))
                continue;
            d->fmt_node = g_steal_pointer(&fmt);
            d->file_node = g_steal_pointer(&file);
            break;
        }
    }
    return TRUE;
}


/* Step 1: the job row that says a creation is under way. */
static gboolean
bp_snap_create_record(BpSnapCreate *op, GError **error)
{
    g_autoptr(BpStoreJob) job = bp_store_job_new(op->domain_id, BP_SNAPSHOT_JOB_CREATE);

    job->phase = g_strdup("pending");
    job->start_time = job->update_time = op->now;
    job->data = bp_snap_record_to_json(op->rec);
    if (!bp_store_job_add(op->store, job, error))
        return FALSE;
    op->job_id = job->id;
    return TRUE;
}


/* Creates the overlay files blkpoint owns, empty, never following a
 * link and never replacing a file. */
static gboolean
bp_snap_create_files(BpSnapCreate *op, GError **error)
{
    for (guint i = 0; i < op->rec->disks->len; i++) {
        BpSnapDisk *d = g_ptr_array_index(op->rec->disks, i);
        int fd;

        if (!d->create)
            continue;
        fd = open(d->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            int saved = errno;

            g_set_error(error, BP_ERROR, saved == EEXIST ? BP_ERROR_EXISTS : BP_ERROR_IO,
                        _("cannot create the overlay '%s' of disk %s: %s"),
                        d->path, d->target, g_strerror(saved));
            return FALSE;
        }
        close(fd);
        d->file_created = TRUE;
    }
    return TRUE;
}


/* ---- undoing ------------------------------------------------------------------ */

static void
bp_snap_create_forget(GTask *task)
{
    BpSnapCreate *op = g_task_get_task_data(task);
    g_autoptr(GError) err = NULL;

    bp_snap_remove_files(op->rec->disks, TRUE);
    if (op->job_id > 0 && !bp_store_job_remove(op->store, op->job_id, &err))
        g_warning("domain %s: cannot drop the record of snapshot '%s' (%s); the daemon "
                  "reconciles it later", bp_block_access_get_def(op->access)->name,
                  op->rec->name, err->message);
    bp_snap_create_fail(task, g_steal_pointer(&op->error));
}


static void
bp_snap_create_undo_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    g_autoptr(GError) err = NULL;

    if (!bp_snap_run_finish(result, &err))
        g_debug("undoing a snapshot: %s", err->message);
    bp_snap_create_forget(task);
}


/* Step 2 failed with @error: the nodes that were added go, then the
 * files, then the job.  (A QEMU that refused the transaction rolled it
 * back: the old chain is active.) */
static void
bp_snap_create_undo(GTask *task, GError *error)
{
    BpSnapCreate *op = g_task_get_task_data(task);
    g_autoptr(GPtrArray) undo = NULL;
    GPtrArray *cmds;

    op->error = error;
    if (!bp_snap_create_is_live(op)) {
        bp_snap_create_forget(task);
        return;
    }
    cmds = g_ptr_array_new_with_free_func((GDestroyNotify) bp_snap_cmd_free);
    /* A blockdev-create job that failed waits to be dismissed. */
    for (guint i = 0; i < op->rec->disks->len; i++) {
        BpSnapDisk *d = g_ptr_array_index(op->rec->disks, i);
        JsonObject *o;
        BpSnapCmd *cmd;

        if (!d->create || !d->file_added)
            continue;
        o = json_object_new();
        json_object_set_string_member(o, "id", d->create_job);
        cmd = bp_snap_cmd_qmp("job-dismiss", o, NULL);
        cmd->ignore_error = TRUE;
        g_ptr_array_add(cmds, cmd);
    }
    undo = bp_snap_undo_cmds(op->rec->disks, NULL);
    g_ptr_array_extend_and_steal(cmds, g_steal_pointer(&undo));
    bp_snap_run_async(bp_block_access_get_monitor(op->access), NULL,
                      cmds, NULL, bp_snap_create_undo_cb, task);
}


/* ---- finishing ------------------------------------------------------------------ */

static void
bp_snap_create_commit(GTask *task)
{
    BpSnapCreate *op = g_task_get_task_data(task);
    GError *err = NULL;

    bp_snapshot_hook("create:applied", op->rec->name);
    if (!bp_snap_commit(op->store, op->domain_id, op->job_id, op->rec,
                        bp_block_access_get_run(op->access), &op->new_def, &err)) {
        /* The overlays are in use now: the job stays, and reconciliation
         * finishes the record. */
        g_prefix_error(&err, _("snapshot '%s' was taken but could not be recorded: "),
                       op->rec->name);
        err->code = BP_ERROR_CATALOGUE_PARTIAL;
        bp_snap_create_fail(task, err);
        return;
    }
    g_task_return_pointer(task, g_strdup(op->rec->name), g_free);
    g_object_unref(task);
}


static void
bp_snap_create_applied_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                          gpointer data)
{
    GTask *task = data;
    BpSnapCreate *op = g_task_get_task_data(task);
    GError *err = NULL;

    if (!bp_snap_run_finish(result, &err)) {
        g_prefix_error(&err, _("cannot create snapshot '%s': "), op->rec->name);
        bp_snap_create_undo(task, err);
        return;
    }
    if (!bp_snap_create_is_live(op)) {
        g_autoptr(BpStoreJob) job = bp_store_job_get(op->store, op->job_id, NULL);

        if (job) {
            g_free(job->phase);
            job->phase = g_strdup("applied");
            if (!bp_store_job_update(op->store, job, &err)) {
                bp_snap_create_undo(task, err);
                return;
            }
        }
    }
    bp_snap_create_commit(task);
}


/* ---- running: the commands ------------------------------------------------------ */

static GPtrArray *
bp_snap_live_cmds(BpSnapCreate *op)
{
    GPtrArray *cmds = g_ptr_array_new_with_free_func((GDestroyNotify) bp_snap_cmd_free);
    JsonObject *o;

    for (guint i = 0; i < op->rec->disks->len; i++) {
        BpSnapDisk *d = g_ptr_array_index(op->rec->disks, i);
        BpBlockDisk *bd = bp_block_graph_get_disk(op->graph, d->target);
        BpBlockNode *top = g_ptr_array_index(bd->chain, 0);
        const char *job = d->create_job;

        o = json_object_new();
        json_object_set_string_member(o, "driver",
                                      d->type == BP_STORAGE_TYPE_BLOCK ? "host_device" : "file");
        json_object_set_string_member(o, "node-name", d->file_node);
        json_object_set_string_member(o, "filename", d->path);
        g_ptr_array_add(cmds, bp_snap_cmd_qmp("blockdev-add", o, &d->file_added));
        if (d->create) {
            JsonObject *opts = json_object_new();
            JsonObject *args = json_object_new();
            BpSnapCmd *dismiss;

            json_object_set_string_member(opts, "driver", "qcow2");
            json_object_set_string_member(opts, "file", d->file_node);
            json_object_set_int_member(opts, "size", top->virtual_size);
            json_object_set_string_member(opts, "backing-file", top->filename);
            json_object_set_string_member(opts, "backing-fmt", top->driver);
            json_object_set_string_member(args, "job-id", job);
            json_object_set_object_member(args, "options", opts);
            g_ptr_array_add(cmds, bp_snap_cmd_qmp("blockdev-create", args, NULL));
            g_ptr_array_add(cmds, bp_snap_cmd_wait(job));
            o = json_object_new();
            json_object_set_string_member(o, "id", job);
            dismiss = bp_snap_cmd_qmp("job-dismiss", o, NULL);
            g_ptr_array_add(cmds, dismiss);
        }
        o = json_object_new();
        json_object_set_string_member(o, "driver", "qcow2");
        json_object_set_string_member(o, "node-name", d->fmt_node);
        json_object_set_string_member(o, "file", d->file_node);
        json_object_set_null_member(o, "backing");
        g_ptr_array_add(cmds, bp_snap_cmd_qmp("blockdev-add", o, &d->fmt_added));
    }
    o = json_object_new();
    json_object_set_array_member(o, "actions", bp_plan_actions_to_json(op->plan->actions));
    g_ptr_array_add(cmds, bp_snap_cmd_qmp("transaction", o, NULL));
    return cmds;
}


/* Offline: qemu-img create of every overlay, then its bitmaps. */
static GPtrArray *
bp_snap_offline_cmds(BpSnapCreate *op)
{
    GPtrArray *cmds = g_ptr_array_new_with_free_func((GDestroyNotify) bp_snap_cmd_free);

    for (guint i = 0; i < op->rec->disks->len; i++) {
        BpSnapDisk *d = g_ptr_array_index(op->rec->disks, i);
        BpBlockDisk *bd = bp_block_graph_get_disk(op->graph, d->target);
        BpBlockNode *top = g_ptr_array_index(bd->chain, 0);

        if (d->create)
            g_ptr_array_add(cmds, bp_snap_cmd_img(d->path, NULL, "create", "-q", "-f", "qcow2",
                                                  "-b", top->filename, "-F", top->driver,
                                                  d->path, NULL));
        for (guint j = 0; j < op->plan->actions->len; j++) {
            const BpPlanAction *a = g_ptr_array_index(op->plan->actions, j);
            g_autofree char *gran = NULL;

            if (a->type != BP_PLAN_ACTION_BITMAP_ADD || g_strcmp0(a->node, d->fmt_node) != 0)
                continue;
            gran = g_strdup_printf("%" G_GUINT64_FORMAT, a->granularity ? a->granularity : 65536);
            g_ptr_array_add(cmds, bp_snap_cmd_img(d->path, NULL, "bitmap", "--add", "-g", gran,
                                                  "-f", "qcow2", d->path, a->name, NULL));
        }
    }
    return cmds;
}


static void
bp_snap_create_graph_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpSnapCreate *op = g_task_get_task_data(task);
    GPtrArray *cmds;
    GError *err = NULL;

    if (!(op->graph = bp_block_access_read_graph_finish(result, &err)) ||
        !bp_snap_name_nodes(op, &err)) {
        bp_snap_create_fail(task, err);
        return;
    }
    op->plan = bp_plan_new();
    for (guint i = 0; i < op->rec->disks->len; i++) {
        BpSnapDisk *d = g_ptr_array_index(op->rec->disks, i);

        if (!bp_planner_snapshot(op->plan, op->graph, d->target, d->fmt_node, &err)) {
            bp_snap_create_fail(task, err);
            return;
        }
    }
    /* The job data carries the node names: record after naming them. */
    if (!bp_snap_create_record(op, &err)) {
        bp_snap_create_fail(task, err);
        return;
    }
    bp_snapshot_hook("create:pending", op->rec->name);
    if (!bp_snap_create_files(op, &err)) {
        bp_snap_create_undo(task, err);
        return;
    }
    if (bp_snap_create_is_live(op))
        cmds = bp_snap_live_cmds(op);
    else
        cmds = bp_snap_offline_cmds(op);
    bp_snap_run_async(bp_block_access_get_monitor(op->access),
                      bp_block_access_get_config(op->access), cmds,
                      g_task_get_cancellable(task), bp_snap_create_applied_cb, task);
}


/* ---- the entry point ------------------------------------------------------------ */

void
bp_snapshot_ops_create_async(BpStore *store,
                             gint64 domain_id,
                             BpBlockAccess *access,
                             const char *xml,
                             unsigned int flags,
                             gint64 now,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpSnapCreate *op = g_new0(BpSnapCreate, 1);
    GError *err = NULL;

    g_task_set_source_tag(task, bp_snapshot_ops_create_async);
    op->store = store;
    op->domain_id = domain_id;
    op->access = bp_block_access_ref(access);
    op->flags = flags;
    op->now = now;
    g_task_set_task_data(task, op, (GDestroyNotify) bp_snap_create_free);

    if (flags & BP_SNAPSHOT_CREATE_QUIESCE) {
        bp_snap_create_fail(task, g_error_new_literal(BP_ERROR, BP_ERROR_OPERATION_UNSUPPORTED,
                                                      _("quiescing a snapshot is not supported: "
                                                        "there is no guest agent")));
        return;
    }
    if (bp_block_access_get_kind(access) == BP_BLOCK_ACCESS_STORAGE) {
        bp_snap_create_fail(task, g_error_new_literal(BP_ERROR, BP_ERROR_OPERATION_INVALID,
                                                      _("a snapshot cannot be taken through a "
                                                        "read-only block layer")));
        return;
    }
    if (!(op->def = bp_snapshot_def_parse_string(xml && *xml ? xml : "<domainsnapshot/>",
                                                 BP_SNAPSHOT_PARSE_VALIDATE, now, &err)) ||
        !bp_snap_create_prepare(op, &err)) {
        bp_snap_create_fail(task, err);
        return;
    }
    bp_block_access_read_graph_async(access, cancellable, bp_snap_create_graph_cb, task);
}


char *
bp_snapshot_ops_create_finish(GAsyncResult *result, BpDomainDef **new_def, GError **error)
{
    GTask *task = G_TASK(result);
    BpSnapCreate *op = g_task_get_task_data(task);
    char *name = g_task_propagate_pointer(task, error);

    if (name && new_def)
        *new_def = g_steal_pointer(&op->new_def);
    return name;
}
