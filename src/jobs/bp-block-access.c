/*
 * bp-block-access.c: a domain's bitmaps over QMP or qemu-img (see the
 * header).
 */
#include <config.h>

#include "bp-block-access.h"
#include "bp-domain-runtime.h"
#include "planner/bp-plan.h"
#include "qemu/bp-qmp-commands.h"
#include "qemu/bp-runtime-offline.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

struct _BpBlockAccess {
    BpBlockAccessKind kind;
    BpDomainDef *def;
    BpQemuRuntimeConfig *config;    /* OFFLINE, STORAGE */
    GPtrArray *specs;               /* OFFLINE, STORAGE: BpQemuDiskSpec* */
    BpDomainRun *run;               /* RUN */
    BpQemuStorage *storage;         /* STORAGE */
};


static void
bp_block_access_clear(BpBlockAccess *access)
{
    bp_domain_def_free(access->def);
    bp_qemu_runtime_config_free(access->config);
    if (access->specs)
        g_ptr_array_unref(access->specs);
    g_clear_object(&access->run);
    g_clear_object(&access->storage);
}


static BpBlockAccess *
bp_block_access_alloc(BpBlockAccessKind kind, const BpDomainDef *def)
{
    BpBlockAccess *access = g_atomic_rc_box_new0(BpBlockAccess);

    access->kind = kind;
    access->def = bp_domain_def_copy(def);
    return access;
}


BpBlockAccess *
bp_block_access_new_run(BpDomainRun *run)
{
    BpBlockAccess *access = bp_block_access_alloc(BP_BLOCK_ACCESS_RUN,
                                                  bp_domain_run_get_def(run));

    access->run = g_object_ref(run);
    return access;
}


BpBlockAccess *
bp_block_access_new_offline(const BpDomainDef *def, const BpQemuRuntimeConfig *config,
                            GError **error)
{
    g_autoptr(GPtrArray) specs = NULL;
    BpBlockAccess *access;

    if (!(specs = bp_domain_runtime_disk_specs(def, error)))
        return NULL;
    access = bp_block_access_alloc(BP_BLOCK_ACCESS_OFFLINE, def);
    access->config = bp_qemu_runtime_config_copy(config);
    access->specs = g_steal_pointer(&specs);
    return access;
}


BpBlockAccess *
bp_block_access_ref(BpBlockAccess *access)
{
    return g_atomic_rc_box_acquire(access);
}


void
bp_block_access_unref(BpBlockAccess *access)
{
    if (access)
        g_atomic_rc_box_release_full(access, (GDestroyNotify) bp_block_access_clear);
}


BpBlockAccessKind
bp_block_access_get_kind(BpBlockAccess *access)
{
    return access->kind;
}


gboolean
bp_block_access_is_live(BpBlockAccess *access)
{
    return access->kind != BP_BLOCK_ACCESS_OFFLINE;
}


const BpDomainDef *
bp_block_access_get_def(BpBlockAccess *access)
{
    return access->def;
}


const char *
bp_block_access_get_nbd_socket(BpBlockAccess *access)
{
    return access->kind == BP_BLOCK_ACCESS_RUN ? bp_domain_run_get_nbd_socket(access->run)
                                               : NULL;
}


const char *
bp_block_access_get_runtime_dir(BpBlockAccess *access)
{
    switch (access->kind) {
    case BP_BLOCK_ACCESS_RUN:
        return bp_domain_run_get_runtime_dir(access->run);
    case BP_BLOCK_ACCESS_STORAGE:
        return access->config->runtime_dir;
    case BP_BLOCK_ACCESS_OFFLINE:
    default:
        return NULL;
    }
}


const BpQemuRuntimeConfig *
bp_block_access_get_config(BpBlockAccess *access)
{
    return access->config;
}


BpDomainRun *
bp_block_access_get_run(BpBlockAccess *access)
{
    return access->run;
}


BpQmpMonitor *
bp_block_access_get_monitor(BpBlockAccess *access)
{
    switch (access->kind) {
    case BP_BLOCK_ACCESS_RUN:
        return bp_domain_run_get_monitor(access->run);
    case BP_BLOCK_ACCESS_STORAGE:
        return bp_qemu_storage_get_monitor(access->storage);
    case BP_BLOCK_ACCESS_OFFLINE:
    default:
        return NULL;
    }
}


/* A live access whose monitor is gone: the domain stopped meanwhile. */
static BpQmpMonitor *
bp_block_access_require_monitor(BpBlockAccess *access, GError **error)
{
    BpQmpMonitor *mon = bp_block_access_get_monitor(access);

    if (!mon)
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("domain '%s' is no longer running"), access->def->name);
    return mon;
}


/* ---- the graph ------------------------------------------------------------ */

static void
bp_block_access_graph_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpBlockAccess *access = g_task_get_task_data(task);
    GError *err = NULL;
    BpBlockGraph *graph = NULL;

    switch (access->kind) {
    case BP_BLOCK_ACCESS_RUN:
        graph = bp_domain_run_read_graph_finish(BP_DOMAIN_RUN(source), result, &err);
        break;
    case BP_BLOCK_ACCESS_STORAGE:
        graph = bp_qemu_storage_read_graph_finish(BP_QEMU_STORAGE(source), result, &err);
        break;
    case BP_BLOCK_ACCESS_OFFLINE:
        graph = bp_qemu_offline_read_graph_finish(result, &err);
        break;
    }
    if (!graph)
        g_task_return_error(task, err);
    else
        g_task_return_pointer(task, graph, (GDestroyNotify) bp_block_graph_free);
}


void
bp_block_access_read_graph_async(BpBlockAccess *access,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);

    g_task_set_source_tag(task, bp_block_access_read_graph_async);
    g_task_set_task_data(task, bp_block_access_ref(access),
                         (GDestroyNotify) bp_block_access_unref);
    switch (access->kind) {
    case BP_BLOCK_ACCESS_RUN:
        bp_domain_run_read_graph_async(access->run, cancellable,
                                       bp_block_access_graph_cb, task);
        break;
    case BP_BLOCK_ACCESS_STORAGE:
        bp_qemu_storage_read_graph_async(access->storage, cancellable,
                                         bp_block_access_graph_cb, task);
        break;
    case BP_BLOCK_ACCESS_OFFLINE:
        bp_qemu_offline_read_graph_async(access->config,
                                         (BpQemuDiskSpec *const *) access->specs->pdata,
                                         access->specs->len, cancellable,
                                         bp_block_access_graph_cb, task);
        break;
    }
}


BpBlockGraph *
bp_block_access_read_graph_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


/* ---- applying actions --------------------------------------------------- */

/* One qemu-img bitmap call. */
typedef struct {
    char *image;
    char *format;
    char *bitmap;
    BpQemuImgBitmapOp op;
    char *source;
    char *source_image;
    char *source_format;
} BpImgCall;


static void
bp_img_call_free(BpImgCall *call)
{
    g_free(call->image);
    g_free(call->format);
    g_free(call->bitmap);
    g_free(call->source);
    g_free(call->source_image);
    g_free(call->source_format);
    g_free(call);
}


typedef struct {
    BpBlockAccess *access;
    GPtrArray *calls;           /* BpImgCall*: offline */
    guint next;
} BpApply;


static void
bp_apply_free(BpApply *apply)
{
    bp_block_access_unref(apply->access);
    if (apply->calls)
        g_ptr_array_unref(apply->calls);
    g_free(apply);
}


static BpBlockNode *
bp_apply_node(const BpBlockGraph *graph, const char *name, GError **error)
{
    BpBlockNode *node = bp_block_graph_lookup(graph, name);

    if (!node || !node->filename)
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("no image for block node '%s'"), name);
    return node;
}


static BpImgCall *
bp_img_call_new(const BpBlockNode *node, const char *bitmap, BpQemuImgBitmapAction action)
{
    BpImgCall *call = g_new0(BpImgCall, 1);

    call->image = g_strdup(node->filename);
    call->format = g_strdup(node->driver);
    call->bitmap = g_strdup(bitmap);
    call->op.action = action;
    return call;
}


/* Refuses @action offline; returns NULL for the caller to return. */
static GPtrArray *
bp_apply_unsupported(const BpPlanAction *action, const BpBlockNode *node, GError **error)
{
    g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_UNSUPPORTED,
                _("%s of bitmap '%s' on %s needs a running domain"),
                bp_plan_action_type_to_string(action->type),
                action->name ? action->name : "", node->filename);
    return NULL;
}


/* The qemu-img calls for @actions; NULL with BP_ERROR_OPERATION_UNSUPPORTED
 * for what only a live QEMU can do. */
static GPtrArray *
bp_apply_img_calls(const BpBlockGraph *graph, const GPtrArray *actions, GError **error)
{
    g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func((GDestroyNotify) bp_img_call_free);

    for (guint i = 0; i < actions->len; i++) {
        const BpPlanAction *action = g_ptr_array_index(actions, i);
        BpBlockNode *node;
        BpImgCall *call;

        if (!(node = bp_apply_node(graph, action->node, error)))
            return NULL;
        switch (action->type) {
        case BP_PLAN_ACTION_BITMAP_ADD:
            if (!action->persistent)
                return bp_apply_unsupported(action, node, error);
            call = bp_img_call_new(node, action->name, BP_QEMU_IMG_BITMAP_ADD);
            call->op.granularity = action->granularity;
            call->op.disabled = action->disabled;
            g_ptr_array_add(calls, call);
            break;
        case BP_PLAN_ACTION_BITMAP_REMOVE:
            g_ptr_array_add(calls, bp_img_call_new(node, action->name,
                                                   BP_QEMU_IMG_BITMAP_REMOVE));
            break;
        case BP_PLAN_ACTION_BITMAP_MERGE:
            for (guint k = 0; k < i; k++) {
                const BpPlanAction *prev = g_ptr_array_index(actions, k);

                if (prev->type == BP_PLAN_ACTION_BITMAP_ADD && !prev->persistent &&
                    g_str_equal(prev->node, action->node) &&
                    g_str_equal(prev->name, action->name))
                    return bp_apply_unsupported(action, node, error);
            }
            for (guint k = 0; k < action->sources->len; k++) {
                const BpPlanBitmapRef *src = g_ptr_array_index(action->sources, k);
                BpBlockNode *from;

                if (!(from = bp_apply_node(graph, src->node, error)))
                    return NULL;
                call = bp_img_call_new(node, action->name, BP_QEMU_IMG_BITMAP_MERGE);
                call->source = g_strdup(src->name);
                if (from != node) {
                    call->source_image = g_strdup(from->filename);
                    call->source_format = g_strdup(from->driver);
                }
                g_ptr_array_add(calls, call);
            }
            break;
        case BP_PLAN_ACTION_BLOCKDEV_SNAPSHOT:
        case BP_PLAN_ACTION_LAST:
        default:
            return bp_apply_unsupported(action, node, error);
        }
    }
    return g_steal_pointer(&calls);
}


static void bp_apply_img_next(GTask *task);


static void
bp_apply_img_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    GError *err = NULL;

    if (!bp_qemu_offline_bitmap_finish(result, &err)) {
        g_task_return_error(task, err);
        g_object_unref(task);
        return;
    }
    bp_apply_img_next(task);
}


static void
bp_apply_img_next(GTask *task)
{
    BpApply *apply = g_task_get_task_data(task);
    BpImgCall *call;

    if (apply->next == apply->calls->len) {
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
        return;
    }
    call = g_ptr_array_index(apply->calls, apply->next++);
    call->op.source = call->source;
    call->op.source_image = call->source_image;
    call->op.source_format = call->source_format;
    bp_qemu_offline_bitmap_async(apply->access->config, call->image, call->format,
                                 call->bitmap, &call->op, 1,
                                 g_task_get_cancellable(task), bp_apply_img_cb, task);
}


static void
bp_apply_qmp_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    GError *err = NULL;

    if (!bp_qmp_command_finish(BP_QMP_MONITOR(source), result, &err))
        g_task_return_error(task, err);
    else
        g_task_return_boolean(task, TRUE);
}


void
bp_block_access_apply_async(BpBlockAccess *access,
                            const BpBlockGraph *graph,
                            const GPtrArray *actions,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpApply *apply = g_new0(BpApply, 1);
    GError *err = NULL;

    g_task_set_source_tag(task, bp_block_access_apply_async);
    apply->access = bp_block_access_ref(access);
    g_task_set_task_data(task, apply, (GDestroyNotify) bp_apply_free);

    if (!actions || actions->len == 0) {
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
        return;
    }
    if (bp_block_access_is_live(access)) {
        BpQmpMonitor *mon = bp_block_access_require_monitor(access, &err);
        g_autoptr(JsonArray) json = NULL;

        if (!mon) {
            g_task_return_error(task, err);
            g_object_unref(task);
            return;
        }
        json = bp_plan_actions_to_json(actions);
        bp_qmp_transaction_async(mon, json, FALSE, cancellable, bp_apply_qmp_cb, task);
        return;
    }
    if (!(apply->calls = bp_apply_img_calls(graph, actions, &err))) {
        g_task_return_error(task, err);
        g_object_unref(task);
        return;
    }
    bp_apply_img_next(task);
}


gboolean
bp_block_access_apply_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}


/* ---- reopening ------------------------------------------------------------ */

void
bp_block_access_reopen_async(BpBlockAccess *access,
                             const BpBlockGraph *graph,
                             const GPtrArray *nodes,
                             gboolean read_write,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    g_autoptr(JsonArray) options = json_array_new();
    BpQmpMonitor *mon;
    GError *err = NULL;

    g_task_set_source_tag(task, bp_block_access_reopen_async);
    if (!bp_block_access_is_live(access) || !nodes || nodes->len == 0) {
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
        return;
    }
    if (!(mon = bp_block_access_require_monitor(access, &err))) {
        g_task_return_error(task, err);
        g_object_unref(task);
        return;
    }
    for (guint i = 0; i < nodes->len; i++) {
        const char *name = g_ptr_array_index(nodes, i);
        BpBlockNode *node = bp_block_graph_lookup(graph, name);
        JsonObject *obj;

        if (!node) {
            g_task_return_new_error(task, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                                    _("cannot reopen block node '%s': not in the graph"),
                                    name);
            g_object_unref(task);
            return;
        }
        /* blockdev-reopen resets what it is not given: name the
         * children the node has, and its backing (or null). */
        obj = json_object_new();
        json_object_set_string_member(obj, "driver", node->driver);
        json_object_set_string_member(obj, "node-name", node->node_name);
        if (node->file_node)
            json_object_set_string_member(obj, "file", node->file_node);
        if (node->backing_node)
            json_object_set_string_member(obj, "backing", node->backing_node);
        else if (g_strcmp0(node->driver, "qcow2") == 0)
            json_object_set_null_member(obj, "backing");
        json_object_set_boolean_member(obj, "read-only", !read_write);
        json_array_add_object_element(options, obj);
    }
    bp_qmp_blockdev_reopen_async(mon, options, cancellable, bp_apply_qmp_cb, task);
}


gboolean
bp_block_access_reopen_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}


/* ---- the short-lived read-only qemu-storage-daemon ------------------------ */

static void
bp_block_access_open_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                        gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpBlockAccess *offline = g_task_get_task_data(task);
    BpBlockAccess *live;
    BpQemuStorage *st;
    GError *err = NULL;

    if (!(st = bp_qemu_storage_start_finish(result, &err))) {
        g_prefix_error(&err, _("cannot open the disks of domain '%s' read-only: "),
                       offline->def->name);
        g_task_return_error(task, err);
        return;
    }
    live = bp_block_access_alloc(BP_BLOCK_ACCESS_STORAGE, offline->def);
    live->config = bp_qemu_runtime_config_copy(offline->config);
    live->specs = g_ptr_array_ref(offline->specs);
    live->storage = st;
    g_task_return_pointer(task, live, (GDestroyNotify) bp_block_access_unref);
}


void
bp_block_access_open_live_async(BpBlockAccess *access,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    g_autoptr(BpQemuRuntimeConfig) config = NULL;

    g_task_set_source_tag(task, bp_block_access_open_live_async);
    if (bp_block_access_is_live(access)) {
        g_task_return_pointer(task, bp_block_access_ref(access),
                              (GDestroyNotify) bp_block_access_unref);
        g_object_unref(task);
        return;
    }
    g_task_set_task_data(task, bp_block_access_ref(access),
                         (GDestroyNotify) bp_block_access_unref);
    config = bp_qemu_runtime_config_copy(access->config);
    g_free(config->runtime_dir);
    config->runtime_dir = g_build_filename(access->config->runtime_dir, "ro", NULL);
    bp_qemu_offline_open_async(config, (BpQemuDiskSpec *const *) access->specs->pdata,
                               access->specs->len, cancellable,
                               bp_block_access_open_cb, task);
}


BpBlockAccess *
bp_block_access_open_live_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


static void
bp_block_access_stop_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    g_autoptr(GError) err = NULL;

    if (!bp_qemu_storage_stop_finish(BP_QEMU_STORAGE(source), result, &err))
        g_debug("read-only qemu-storage-daemon: %s", err->message);
    g_task_return_boolean(task, TRUE);
}


void
bp_block_access_close_async(BpBlockAccess *access,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
    GTask *task = g_task_new(NULL, NULL, callback, user_data);

    g_task_set_source_tag(task, bp_block_access_close_async);
    if (access->kind != BP_BLOCK_ACCESS_STORAGE) {
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
        return;
    }
    bp_qemu_storage_stop_async(access->storage, NULL, bp_block_access_stop_cb, task);
}


void
bp_block_access_close_finish(GAsyncResult *result)
{
    g_task_propagate_boolean(G_TASK(result), NULL);
}
