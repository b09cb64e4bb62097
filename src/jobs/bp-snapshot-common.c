/*
 * bp-snapshot-common.c: the parts of snapshot creation that creation and
 * reconciliation share (see bp-snapshot-priv.h).
 */
#include <config.h>

#include <errno.h>
#include <glib/gstdio.h>

#include "bp-snapshot-priv.h"
#include "bp-domain-run.h"
#include "conf/bp-domain-chain.h"
#include "qemu/bp-qmp-commands.h"
#include "qemu/bp-runtime-offline.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

static BpSnapshotOpsHook bp_snapshot_test_hook;
static gpointer bp_snapshot_test_hook_data;


void
bp_snapshot_ops_set_test_hook(BpSnapshotOpsHook hook, gpointer data)
{
    bp_snapshot_test_hook = hook;
    bp_snapshot_test_hook_data = data;
}


void
bp_snapshot_hook(const char *step, const char *snapshot)
{
    if (bp_snapshot_test_hook)
        bp_snapshot_test_hook(step, snapshot, bp_snapshot_test_hook_data);
}


void
bp_snap_disk_free(BpSnapDisk *disk)
{
    if (!disk)
        return;
    g_free(disk->target);
    g_free(disk->path);
    g_free(disk->format);
    g_free(disk->fmt_node);
    g_free(disk->file_node);
    g_free(disk->create_job);
    g_free(disk);
}


void
bp_snap_record_free(BpSnapRecord *rec)
{
    if (!rec)
        return;
    g_free(rec->name);
    g_free(rec->parent);
    g_free(rec->description);
    g_free(rec->state);
    g_free(rec->xml);
    if (rec->disks)
        g_ptr_array_unref(rec->disks);
    if (rec->all_disks)
        g_ptr_array_unref(rec->all_disks);
    g_free(rec);
}


/* ---- the job data ------------------------------------------------------------ */

static void
bp_snap_set_string(JsonObject *o, const char *name, const char *value)
{
    if (value)
        json_object_set_string_member(o, name, value);
}


char *
bp_snap_record_to_json(const BpSnapRecord *rec)
{
    g_autoptr(JsonObject) o = json_object_new();
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    JsonArray *disks = json_array_new();
    JsonArray *all = json_array_new();

    bp_snap_set_string(o, "name", rec->name);
    bp_snap_set_string(o, "parent", rec->parent);
    bp_snap_set_string(o, "description", rec->description);
    json_object_set_int_member(o, "creation-time", rec->creation_time);
    bp_snap_set_string(o, "state", rec->state);
    bp_snap_set_string(o, "xml", rec->xml);
    json_object_set_boolean_member(o, "no-metadata", rec->no_metadata);
    for (guint i = 0; i < rec->disks->len; i++) {
        const BpSnapDisk *d = g_ptr_array_index(rec->disks, i);
        JsonObject *dj = json_object_new();

        bp_snap_set_string(dj, "target", d->target);
        bp_snap_set_string(dj, "file", d->path);
        bp_snap_set_string(dj, "format", d->format);
        json_object_set_string_member(dj, "type", bp_storage_type_to_string(d->type));
        bp_snap_set_string(dj, "node", d->fmt_node);
        bp_snap_set_string(dj, "file-node", d->file_node);
        json_object_set_boolean_member(dj, "created", d->create);
        json_array_add_object_element(disks, dj);
    }
    for (guint i = 0; i < rec->all_disks->len; i++) {
        const BpStoreSnapshotDisk *d = g_ptr_array_index(rec->all_disks, i);
        JsonObject *dj = json_object_new();

        bp_snap_set_string(dj, "target", d->target);
        bp_snap_set_string(dj, "file", d->file);
        bp_snap_set_string(dj, "format", d->format);
        json_array_add_object_element(all, dj);
    }
    json_object_set_array_member(o, "disks", disks);
    json_object_set_array_member(o, "all-disks", all);
    json_node_set_object(root, o);
    return json_to_string(root, FALSE);
}


static char *
bp_snap_get_string(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE)
        return NULL;
    return g_strdup(json_node_get_string(n));
}


BpSnapRecord *
bp_snap_record_from_json(const char *data, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(BpSnapRecord) rec = g_new0(BpSnapRecord, 1);
    JsonNode *root;
    JsonObject *o;
    JsonArray *arr;

    rec->disks = g_ptr_array_new_with_free_func((GDestroyNotify) bp_snap_disk_free);
    rec->all_disks =
        g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_snapshot_disk_free);
    if (!data || !json_parser_load_from_data(parser, data, -1, NULL) ||
        !(root = json_parser_get_root(parser)) || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_CATALOGUE,
                            _("the record of an interrupted snapshot creation is damaged"));
        return NULL;
    }
    o = json_node_get_object(root);
    rec->name = bp_snap_get_string(o, "name");
    rec->parent = bp_snap_get_string(o, "parent");
    rec->description = bp_snap_get_string(o, "description");
    rec->creation_time = json_object_get_int_member_with_default(o, "creation-time", 0);
    rec->state = bp_snap_get_string(o, "state");
    rec->xml = bp_snap_get_string(o, "xml");
    rec->no_metadata = json_object_get_boolean_member_with_default(o, "no-metadata", FALSE);
    if (!rec->name || !rec->xml || !json_object_has_member(o, "disks")) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_CATALOGUE,
                            _("the record of an interrupted snapshot creation is damaged"));
        return NULL;
    }
    arr = json_object_get_array_member(o, "disks");
    for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
        JsonObject *dj = json_array_get_object_element(arr, i);
        BpSnapDisk *d = g_new0(BpSnapDisk, 1);
        g_autofree char *type = bp_snap_get_string(dj, "type");
        int t = type ? bp_storage_type_from_string(type) : BP_STORAGE_TYPE_FILE;

        d->target = bp_snap_get_string(dj, "target");
        d->path = bp_snap_get_string(dj, "file");
        d->format = bp_snap_get_string(dj, "format");
        d->type = t < 0 ? BP_STORAGE_TYPE_FILE : t;
        d->fmt_node = bp_snap_get_string(dj, "node");
        d->file_node = bp_snap_get_string(dj, "file-node");
        d->create = json_object_get_boolean_member_with_default(dj, "created", FALSE);
        g_ptr_array_add(rec->disks, d);
    }
    arr = json_object_has_member(o, "all-disks") ?
        json_object_get_array_member(o, "all-disks") : NULL;
    for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
        JsonObject *dj = json_array_get_object_element(arr, i);
        g_autofree char *target = bp_snap_get_string(dj, "target");
        g_autofree char *file = bp_snap_get_string(dj, "file");
        g_autofree char *format = bp_snap_get_string(dj, "format");

        g_ptr_array_add(rec->all_disks, bp_store_snapshot_disk_new(target, file, format));
    }
    return g_steal_pointer(&rec);
}


/* ---- step 3 ------------------------------------------------------------------ */

/* Pushes every overlay of @rec onto @def; disks @def lacks are skipped
 * when @skip_missing. */
static gboolean
bp_snap_push_all(BpDomainDef *def, const BpSnapRecord *rec, gboolean skip_missing,
                 GError **error)
{
    for (guint i = 0; i < rec->disks->len; i++) {
        const BpSnapDisk *d = g_ptr_array_index(rec->disks, i);

        if (skip_missing && !bp_domain_def_find_disk(def, d->target))
            continue;
        if (!bp_domain_disk_push_overlay(def, d->target, d->type, d->path, d->format, error))
            return FALSE;
    }
    return TRUE;
}


gboolean
bp_snap_commit(BpStore *store, gint64 domain_id, gint64 job_id,
               const BpSnapRecord *rec, BpDomainRun *run,
               BpDomainDef **new_def, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(BpStoreDomain) row = NULL;
    g_autoptr(BpDomainDef) def = NULL;

    if (!(txn = bp_store_txn_begin(store, error)) ||
        !(row = bp_store_domain_get(store, domain_id, error)) ||
        !(def = bp_domain_def_parse_string(row->definition, 0, error)) ||
        !bp_snap_push_all(def, rec, TRUE, error))
        return FALSE;
    g_free(row->definition);
    row->definition = bp_domain_def_format_string(def);
    if (!bp_store_domain_update(store, row, error))
        return FALSE;
    if (!rec->no_metadata) {
        g_autoptr(BpStoreSnapshot) snap = bp_store_snapshot_new(domain_id, rec->name);

        snap->parent = g_strdup(rec->parent);
        snap->description = g_strdup(rec->description);
        snap->creation_time = rec->creation_time;
        g_free(snap->state);
        snap->state = g_strdup(rec->state ? rec->state : "disk-snapshot");
        snap->xml = g_strdup(rec->xml);
        snap->current = TRUE;
        for (guint i = 0; i < rec->all_disks->len; i++) {
            const BpStoreSnapshotDisk *d = g_ptr_array_index(rec->all_disks, i);

            g_ptr_array_add(snap->disks,
                            bp_store_snapshot_disk_new(d->target, d->file, d->format));
        }
        if (!bp_store_snapshot_add(store, snap, error))
            return FALSE;
    }
    if (job_id > 0 && !bp_store_job_remove(store, job_id, error))
        return FALSE;
    if (!bp_store_txn_commit(txn, error))
        return FALSE;

    if (run) {
        g_autoptr(BpDomainDef) live = bp_domain_def_copy(bp_domain_run_get_def(run));
        g_autoptr(GError) err = NULL;

        if (!bp_snap_push_all(live, rec, TRUE, &err)) {
            g_warning("domain %s: %s", live->name, err->message);
        } else {
            for (guint i = 0; i < rec->disks->len; i++) {
                const BpSnapDisk *d = g_ptr_array_index(rec->disks, i);

                bp_domain_run_update_chain(run, bp_domain_def_copy(live), d->target,
                                           d->fmt_node);
            }
        }
    }
    if (new_def)
        *new_def = g_steal_pointer(&def);
    return TRUE;
}


void
bp_snap_remove_files(GPtrArray *disks, gboolean only_created_now)
{
    for (guint i = 0; i < disks->len; i++) {
        BpSnapDisk *d = g_ptr_array_index(disks, i);

        if (!d->create || (only_created_now && !d->file_created))
            continue;
        if (g_unlink(d->path) < 0 && errno != ENOENT)
            g_warning("cannot remove the overlay '%s' of disk %s: %s",
                      d->path, d->target, g_strerror(errno));
        d->file_created = FALSE;
    }
}


/* ---- the command runner -------------------------------------------------------- */

void
bp_snap_cmd_free(BpSnapCmd *cmd)
{
    if (!cmd)
        return;
    g_free(cmd->command);
    if (cmd->args)
        json_object_unref(cmd->args);
    g_free(cmd->job);
    g_strfreev(cmd->argv);
    g_free(cmd->image);
    g_free(cmd);
}


BpSnapCmd *
bp_snap_cmd_qmp(const char *command, JsonObject *args, gboolean *done)
{
    BpSnapCmd *cmd = g_new0(BpSnapCmd, 1);

    cmd->kind = BP_SNAP_CMD_QMP;
    cmd->command = g_strdup(command);
    cmd->args = args;
    cmd->done = done;
    return cmd;
}


BpSnapCmd *
bp_snap_cmd_wait(const char *job)
{
    BpSnapCmd *cmd = g_new0(BpSnapCmd, 1);

    cmd->kind = BP_SNAP_CMD_WAIT;
    cmd->job = g_strdup(job);
    return cmd;
}


BpSnapCmd *
bp_snap_cmd_img(const char *image, gboolean *done, ...)
{
    BpSnapCmd *cmd = g_new0(BpSnapCmd, 1);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    const char *arg;
    va_list ap;

    cmd->kind = BP_SNAP_CMD_IMG;
    cmd->image = g_strdup(image);
    cmd->done = done;
    va_start(ap, done);
    while ((arg = va_arg(ap, const char *)))
        g_ptr_array_add(argv, g_strdup(arg));
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    cmd->argv = (char **) g_ptr_array_free(g_steal_pointer(&argv), FALSE);
    return cmd;
}


typedef struct {
    BpQmpMonitor *mon;
    BpQemuRuntimeConfig *config;
    GPtrArray *cmds;
    guint next;
} BpSnapRun;


static void
bp_snap_run_free(BpSnapRun *r)
{
    g_clear_object(&r->mon);
    bp_qemu_runtime_config_free(r->config);
    g_ptr_array_unref(r->cmds);
    g_free(r);
}


static void bp_snap_run_next(GTask *task);


/* One command ended with @err (NULL: success). */
static void
bp_snap_run_step_done(GTask *task, GError *err)
{
    BpSnapRun *r = g_task_get_task_data(task);
    BpSnapCmd *cmd = g_ptr_array_index(r->cmds, r->next - 1);

    if (err) {
        if (!cmd->ignore_error) {
            g_task_return_error(task, err);
            g_object_unref(task);
            return;
        }
        g_debug("ignored: %s", err->message);
        g_error_free(err);
    } else if (cmd->done) {
        *cmd->done = TRUE;
    }
    bp_snap_run_next(task);
}


static void
bp_snap_run_qmp_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpSnapRun *r = g_task_get_task_data(task);
    GError *err = NULL;

    bp_qmp_command_finish(r->mon, result, &err);
    bp_snap_run_step_done(task, err);
}


static void
bp_snap_run_wait_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpSnapRun *r = g_task_get_task_data(task);
    g_autoptr(BpQmpJobInfo) info = NULL;
    GError *err = NULL;

    if ((info = bp_qmp_job_wait_finish(r->mon, result, &err)) && info->error)
        err = g_error_new(BP_ERROR, BP_ERROR_QEMU, "%s", info->error);
    bp_snap_run_step_done(task, err);
}


static void
bp_snap_run_img_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    g_autofree char *out = NULL;
    GError *err = NULL;

    out = bp_qemu_img_run_finish(result, &err);
    bp_snap_run_step_done(task, err);
}


static void
bp_snap_run_next(GTask *task)
{
    BpSnapRun *r = g_task_get_task_data(task);
    BpSnapCmd *cmd;

    if (r->next >= r->cmds->len) {
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
        return;
    }
    cmd = g_ptr_array_index(r->cmds, r->next++);
    if (cmd->kind != BP_SNAP_CMD_IMG && !r->mon) {
        bp_snap_run_step_done(task, g_error_new_literal(BP_ERROR, BP_ERROR_OPERATION_INVALID,
                                                        _("the domain is no longer running")));
        return;
    }
    switch (cmd->kind) {
    case BP_SNAP_CMD_QMP:
        bp_qmp_command_async(r->mon, cmd->command, cmd->args, NULL, bp_snap_run_qmp_cb, task);
        break;
    case BP_SNAP_CMD_WAIT:
        bp_qmp_job_wait_async(r->mon, cmd->job, "concluded", BP_QMP_TIMEOUT_NONE, NULL,
                              bp_snap_run_wait_cb, task);
        break;
    case BP_SNAP_CMD_IMG:
    default:
        bp_qemu_img_run_async(r->config, (const char *const *) cmd->argv, cmd->image, NULL,
                              bp_snap_run_img_cb, task);
        break;
    }
}


void
bp_snap_run_async(BpQmpMonitor *mon, const BpQemuRuntimeConfig *config,
                  GPtrArray *cmds, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpSnapRun *r = g_new0(BpSnapRun, 1);

    g_task_set_source_tag(task, bp_snap_run_async);
    r->mon = mon ? g_object_ref(mon) : NULL;
    r->config = config ? bp_qemu_runtime_config_copy(config) : NULL;
    r->cmds = cmds;
    g_task_set_task_data(task, r, (GDestroyNotify) bp_snap_run_free);
    bp_snap_run_next(task);
}


gboolean
bp_snap_run_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}


static BpSnapCmd *
bp_snap_cmd_del(const char *node)
{
    JsonObject *args = json_object_new();
    BpSnapCmd *cmd;

    json_object_set_string_member(args, "node-name", node);
    cmd = bp_snap_cmd_qmp("blockdev-del", args, NULL);
    cmd->ignore_error = TRUE;
    return cmd;
}


GPtrArray *
bp_snap_undo_cmds(GPtrArray *disks, const BpBlockGraph *graph)
{
    GPtrArray *cmds = g_ptr_array_new_with_free_func((GDestroyNotify) bp_snap_cmd_free);

    for (guint i = 0; i < disks->len; i++) {
        BpSnapDisk *d = g_ptr_array_index(disks, i);
        gboolean fmt = d->fmt_added || (graph && bp_block_graph_lookup(graph, d->fmt_node));

        if (d->fmt_node && fmt)
            g_ptr_array_add(cmds, bp_snap_cmd_del(d->fmt_node));
    }
    /* The protocol nodes after every format node that used them. */
    for (guint i = 0; i < disks->len; i++) {
        BpSnapDisk *d = g_ptr_array_index(disks, i);

        /* The graph lists format nodes only: a protocol node left
         * behind is deleted blindly (an error is ignored). */
        if (d->file_node && (d->file_added || graph))
            g_ptr_array_add(cmds, bp_snap_cmd_del(d->file_node));
    }
    return cmds;
}


/* ---- undefine ------------------------------------------------------------------ */

gboolean
bp_snapshot_ops_undefine_check(BpStore *store, gint64 domain_id,
                               gboolean snapshots_metadata, GError **error)
{
    g_autoptr(GPtrArray) list = NULL;

    if (snapshots_metadata)
        return TRUE;
    if (!(list = bp_store_snapshot_list(store, domain_id, error)))
        return FALSE;
    if (list->len > 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("cannot delete inactive domain with %u snapshots"), list->len);
        return FALSE;
    }
    return TRUE;
}


/* ---- dumpxml ------------------------------------------------------------------- */

char *
bp_snapshot_ops_get_xml(BpStore *store, gint64 domain_id, const char *name,
                        unsigned int flags G_GNUC_UNUSED, GError **error)
{
    g_autoptr(BpStoreSnapshot) snap = NULL;

    if (!(snap = bp_store_snapshot_get(store, domain_id, name, error)))
        return NULL;
    return g_steal_pointer(&snap->xml);
}
