/*
 * bp-qmp-commands.c: typed wrappers for the QMP commands blkpoint uses.
 */
#include <config.h>

#include "bp-qmp-commands.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"


/* ---- generic ---------------------------------------------------------- */

static void
bp_qmp_command_void_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    g_autoptr(JsonNode) ret = NULL;
    GError *err = NULL;

    ret = bp_qmp_monitor_command_finish(BP_QMP_MONITOR(source), result, &err);
    if (!ret)
        g_task_return_error(task, err);
    else
        g_task_return_boolean(task, TRUE);
}


/* Sends @command with @arguments (consumed) and finishes with a boolean. */
static void
bp_qmp_command_take(BpQmpMonitor *mon,
                    const char *command,
                    JsonObject *arguments,
                    GCancellable *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer user_data)
{
    g_autoptr(JsonObject) args = arguments;
    GTask *task = g_task_new(mon, cancellable, callback, user_data);

    g_task_set_source_tag(task, bp_qmp_command_async);
    bp_qmp_monitor_command_async(mon, command, args, BP_QMP_TIMEOUT_DEFAULT,
                                 cancellable, bp_qmp_command_void_cb, task);
}


void
bp_qmp_command_async(BpQmpMonitor *mon,
                     const char *command,
                     JsonObject *arguments,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
    bp_qmp_command_take(mon, command, arguments ? json_object_ref(arguments) : NULL,
                        cancellable, callback, user_data);
}


gboolean
bp_qmp_command_finish(BpQmpMonitor *mon, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, mon), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}


static void
bp_json_set_string_opt(JsonObject *obj, const char *member, const char *value)
{
    if (value)
        json_object_set_string_member(obj, member, value);
}


/* ---- bitmaps ---------------------------------------------------------- */

JsonObject *
bp_qmp_args_bitmap(const char *node, const char *name)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, "node", node);
    json_object_set_string_member(args, "name", name);
    return args;
}


JsonObject *
bp_qmp_args_bitmap_add(const char *node, const char *name, guint64 granularity,
                       gboolean persistent, gboolean disabled)
{
    JsonObject *args = bp_qmp_args_bitmap(node, name);

    if (granularity)
        json_object_set_int_member(args, "granularity", granularity);
    json_object_set_boolean_member(args, "persistent", persistent);
    if (disabled)
        json_object_set_boolean_member(args, "disabled", TRUE);
    return args;
}


JsonObject *
bp_qmp_args_bitmap_merge(const char *node, const char *target,
                         const BpQmpBitmapRef *sources, size_t nsources)
{
    JsonObject *args = json_object_new();
    JsonArray *bitmaps = json_array_new();

    for (size_t i = 0; i < nsources; i++) {
        if (!sources[i].node || g_str_equal(sources[i].node, node)) {
            json_array_add_string_element(bitmaps, sources[i].name);
        } else {
            JsonObject *ref = bp_qmp_args_bitmap(sources[i].node, sources[i].name);

            json_array_add_object_element(bitmaps, ref);
        }
    }
    json_object_set_string_member(args, "node", node);
    json_object_set_string_member(args, "target", target);
    json_object_set_array_member(args, "bitmaps", bitmaps);
    return args;
}


void
bp_qmp_bitmap_add_async(BpQmpMonitor *mon, const char *node, const char *name,
                        guint64 granularity, gboolean persistent, gboolean disabled,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
    bp_qmp_command_take(mon, "block-dirty-bitmap-add",
                        bp_qmp_args_bitmap_add(node, name, granularity,
                                               persistent, disabled),
                        cancellable, callback, user_data);
}


void
bp_qmp_bitmap_remove_async(BpQmpMonitor *mon, const char *node, const char *name,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
    bp_qmp_command_take(mon, "block-dirty-bitmap-remove", bp_qmp_args_bitmap(node, name),
                        cancellable, callback, user_data);
}


void
bp_qmp_bitmap_clear_async(BpQmpMonitor *mon, const char *node, const char *name,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
    bp_qmp_command_take(mon, "block-dirty-bitmap-clear", bp_qmp_args_bitmap(node, name),
                        cancellable, callback, user_data);
}


void
bp_qmp_bitmap_enable_async(BpQmpMonitor *mon, const char *node, const char *name,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
    bp_qmp_command_take(mon, "block-dirty-bitmap-enable", bp_qmp_args_bitmap(node, name),
                        cancellable, callback, user_data);
}


void
bp_qmp_bitmap_disable_async(BpQmpMonitor *mon, const char *node, const char *name,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
    bp_qmp_command_take(mon, "block-dirty-bitmap-disable", bp_qmp_args_bitmap(node, name),
                        cancellable, callback, user_data);
}


void
bp_qmp_bitmap_merge_async(BpQmpMonitor *mon, const char *node, const char *target,
                          const BpQmpBitmapRef *sources, size_t nsources,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
    bp_qmp_command_take(mon, "block-dirty-bitmap-merge",
                        bp_qmp_args_bitmap_merge(node, target, sources, nsources),
                        cancellable, callback, user_data);
}


/* ---- block nodes ------------------------------------------------------ */

void
bp_qmp_blockdev_add_async(BpQmpMonitor *mon, JsonObject *options,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
    bp_qmp_command_async(mon, "blockdev-add", options, cancellable, callback, user_data);
}


void
bp_qmp_blockdev_del_async(BpQmpMonitor *mon, const char *node,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, "node-name", node);
    bp_qmp_command_take(mon, "blockdev-del", args, cancellable, callback, user_data);
}


void
bp_qmp_blockdev_create_async(BpQmpMonitor *mon, const char *job_id,
                             JsonObject *options, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
    JsonObject *args = json_object_new();

    /* blockdev-create has no auto-dismiss option: its job always waits
     * for job-dismiss. */
    json_object_set_string_member(args, "job-id", job_id);
    json_object_set_object_member(args, "options", json_object_ref(options));
    bp_qmp_command_take(mon, "blockdev-create", args, cancellable, callback, user_data);
}


void
bp_qmp_blockdev_reopen_async(BpQmpMonitor *mon, JsonArray *options,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
    JsonObject *args = json_object_new();

    json_object_set_array_member(args, "options", json_array_ref(options));
    bp_qmp_command_take(mon, "blockdev-reopen", args, cancellable, callback, user_data);
}


JsonObject *
bp_qmp_args_blockdev_snapshot(const char *node, const char *overlay)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, "node", node);
    json_object_set_string_member(args, "overlay", overlay);
    return args;
}


void
bp_qmp_blockdev_snapshot_async(BpQmpMonitor *mon, const char *node,
                               const char *overlay, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
    bp_qmp_command_take(mon, "blockdev-snapshot",
                        bp_qmp_args_blockdev_snapshot(node, overlay),
                        cancellable, callback, user_data);
}


/* ---- jobs ------------------------------------------------------------- */

JsonObject *
bp_qmp_args_blockdev_backup(const BpQmpBackupArgs *a)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, "job-id", a->job_id);
    json_object_set_string_member(args, "device", a->device);
    json_object_set_string_member(args, "target", a->target);
    json_object_set_string_member(args, "sync", a->sync);
    bp_json_set_string_opt(args, "bitmap", a->bitmap);
    bp_json_set_string_opt(args, "bitmap-mode", a->bitmap_mode);
    bp_json_set_string_opt(args, "filter-node-name", a->filter_node_name);
    if (a->speed)
        json_object_set_int_member(args, "speed", a->speed);
    if (a->compress)
        json_object_set_boolean_member(args, "compress", TRUE);
    json_object_set_boolean_member(args, "auto-dismiss", FALSE);
    return args;
}


void
bp_qmp_blockdev_backup_async(BpQmpMonitor *mon, const BpQmpBackupArgs *args,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
    bp_qmp_command_take(mon, "blockdev-backup", bp_qmp_args_blockdev_backup(args),
                        cancellable, callback, user_data);
}


void
bp_qmp_block_commit_async(BpQmpMonitor *mon, const BpQmpCommitArgs *a,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, "job-id", a->job_id);
    json_object_set_string_member(args, "device", a->device);
    bp_json_set_string_opt(args, "top-node", a->top_node);
    bp_json_set_string_opt(args, "base-node", a->base_node);
    bp_json_set_string_opt(args, "backing-file", a->backing_file);
    bp_json_set_string_opt(args, "filter-node-name", a->filter_node_name);
    if (a->speed)
        json_object_set_int_member(args, "speed", a->speed);
    json_object_set_boolean_member(args, "auto-dismiss", FALSE);
    bp_qmp_command_take(mon, "block-commit", args, cancellable, callback, user_data);
}


void
bp_qmp_block_stream_async(BpQmpMonitor *mon, const BpQmpStreamArgs *a,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, "job-id", a->job_id);
    json_object_set_string_member(args, "device", a->device);
    bp_json_set_string_opt(args, "base-node", a->base_node);
    bp_json_set_string_opt(args, "backing-file", a->backing_file);
    if (a->speed)
        json_object_set_int_member(args, "speed", a->speed);
    json_object_set_boolean_member(args, "auto-dismiss", FALSE);
    bp_qmp_command_take(mon, "block-stream", args, cancellable, callback, user_data);
}


void
bp_qmp_block_job_set_speed_async(BpQmpMonitor *mon, const char *id, guint64 speed,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, "device", id);
    json_object_set_int_member(args, "speed", speed);
    bp_qmp_command_take(mon, "block-job-set-speed", args, cancellable, callback, user_data);
}


static void
bp_qmp_job_command(BpQmpMonitor *mon, const char *command, const char *id,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, "id", id);
    bp_qmp_command_take(mon, command, args, cancellable, callback, user_data);
}


void
bp_qmp_job_complete_async(BpQmpMonitor *mon, const char *id,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
    bp_qmp_job_command(mon, "job-complete", id, cancellable, callback, user_data);
}


void
bp_qmp_job_cancel_async(BpQmpMonitor *mon, const char *id,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
    bp_qmp_job_command(mon, "job-cancel", id, cancellable, callback, user_data);
}


void
bp_qmp_job_dismiss_async(BpQmpMonitor *mon, const char *id,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
    bp_qmp_job_command(mon, "job-dismiss", id, cancellable, callback, user_data);
}


void
bp_qmp_block_job_cancel_async(BpQmpMonitor *mon, const char *device, gboolean force,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, "device", device);
    if (force)
        json_object_set_boolean_member(args, "force", TRUE);
    bp_qmp_command_take(mon, "block-job-cancel", args, cancellable, callback, user_data);
}


void
bp_qmp_job_info_free(BpQmpJobInfo *info)
{
    if (!info)
        return;
    g_free(info->id);
    g_free(info->type);
    g_free(info->status);
    g_free(info->error);
    g_free(info);
}


static BpQmpJobInfo *
bp_qmp_job_info_parse(JsonObject *obj)
{
    BpQmpJobInfo *info = g_new0(BpQmpJobInfo, 1);

    info->id = g_strdup(json_object_get_string_member_with_default(obj, "id", ""));
    info->type = g_strdup(json_object_get_string_member_with_default(obj, "type", ""));
    info->status = g_strdup(json_object_get_string_member_with_default(obj, "status", ""));
    info->current_progress = json_object_get_int_member_with_default(obj, "current-progress", 0);
    info->total_progress = json_object_get_int_member_with_default(obj, "total-progress", 0);
    info->error = g_strdup(json_object_get_string_member_with_default(obj, "error", NULL));
    return info;
}


/* Calls @parse on each object element of the array reply @ret; returns
 * the array or NULL with BP_ERROR_QEMU when the reply is not an array. */
static GPtrArray *
bp_qmp_parse_array(BpQmpMonitor *mon, const char *command, JsonNode *ret,
                   gpointer (*parse)(JsonObject *), GDestroyNotify free_func,
                   GError **error)
{
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(free_func);
    JsonArray *array;

    if (!JSON_NODE_HOLDS_ARRAY(ret)) {
        g_set_error(error, BP_ERROR, BP_ERROR_QEMU,
                    _("reply of '%s' on %s is not an array"),
                    command, bp_qmp_monitor_get_name(mon));
        return NULL;
    }
    array = json_node_get_array(ret);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        JsonNode *el = json_array_get_element(array, i);

        if (JSON_NODE_HOLDS_OBJECT(el))
            g_ptr_array_add(list, parse(json_node_get_object(el)));
    }
    return g_steal_pointer(&list);
}


static void
bp_qmp_query_jobs_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpQmpMonitor *mon = BP_QMP_MONITOR(source);
    g_autoptr(JsonNode) ret = NULL;
    GPtrArray *list;
    GError *err = NULL;

    ret = bp_qmp_monitor_command_finish(mon, result, &err);
    if (ret)
        list = bp_qmp_parse_array(mon, "query-jobs", ret,
                                  (gpointer (*)(JsonObject *)) bp_qmp_job_info_parse,
                                  (GDestroyNotify) bp_qmp_job_info_free, &err);
    if (!ret || !list) {
        g_task_return_error(task, err);
        return;
    }
    g_task_return_pointer(task, list, (GDestroyNotify) g_ptr_array_unref);
}


void
bp_qmp_query_jobs_async(BpQmpMonitor *mon, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(mon, cancellable, callback, user_data);

    g_task_set_source_tag(task, bp_qmp_query_jobs_async);
    bp_qmp_monitor_command_async(mon, "query-jobs", NULL, BP_QMP_TIMEOUT_DEFAULT,
                                 cancellable, bp_qmp_query_jobs_cb, task);
}


GPtrArray *
bp_qmp_query_jobs_finish(BpQmpMonitor *mon, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, mon), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


/* ---- waiting for a job ------------------------------------------------- */

typedef struct {
    BpQmpMonitor *mon;
    char *id;
    char *status;
    gulong event_handler;
    gulong closed_handler;
    GSource *timeout;
    GSource *cancel;
    guint timeout_ms;
    gboolean querying;          /* a query-jobs is in flight */
    gboolean requery;           /* a status change came in meanwhile */
    gboolean done;
} BpQmpJobWait;


static void
bp_qmp_job_wait_free(BpQmpJobWait *wait)
{
    g_free(wait->id);
    g_free(wait->status);
    g_free(wait);
}


/* Completes the wait once: disconnects everything, returns @info or
 * @error (both consumed). */
static void
bp_qmp_job_wait_return(GTask *task, BpQmpJobInfo *info, GError *error)
{
    BpQmpJobWait *wait = g_task_get_task_data(task);

    if (wait->done) {
        bp_qmp_job_info_free(info);
        g_clear_error(&error);
        return;
    }
    wait->done = TRUE;
    g_clear_signal_handler(&wait->event_handler, wait->mon);
    g_clear_signal_handler(&wait->closed_handler, wait->mon);
    if (wait->timeout) {
        g_source_destroy(wait->timeout);
        g_clear_pointer(&wait->timeout, g_source_unref);
    }
    if (wait->cancel) {
        g_source_destroy(wait->cancel);
        g_clear_pointer(&wait->cancel, g_source_unref);
    }
    if (error)
        g_task_return_error(task, error);
    else
        g_task_return_pointer(task, info, (GDestroyNotify) bp_qmp_job_info_free);
    /* The task was kept alive by the handlers/sources reference. */
    g_object_unref(task);
}


static void bp_qmp_job_wait_query(GTask *task);


static void
bp_qmp_job_wait_query_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpQmpJobWait *wait = g_task_get_task_data(task);
    g_autoptr(GPtrArray) jobs = NULL;
    GError *err = NULL;

    wait->querying = FALSE;
    if (wait->done)
        return;
    jobs = bp_qmp_query_jobs_finish(wait->mon, result, &err);
    if (!jobs) {
        bp_qmp_job_wait_return(task, NULL, err);
        return;
    }
    for (guint i = 0; i < jobs->len; i++) {
        BpQmpJobInfo *info = g_ptr_array_index(jobs, i);

        if (!g_str_equal(info->id, wait->id))
            continue;
        if (g_str_equal(info->status, wait->status) ||
            g_str_equal(info->status, "concluded")) {
            bp_qmp_job_wait_return(task, g_ptr_array_steal_index(jobs, i), NULL);
        } else if (wait->requery) {
            bp_qmp_job_wait_query(task);
        }
        return;
    }
    bp_qmp_job_wait_return(task, NULL,
                           g_error_new(BP_ERROR, BP_ERROR_NO_BACKUP,
                                       _("no job '%s' on %s (it was dismissed or never started)"),
                                       wait->id, bp_qmp_monitor_get_name(wait->mon)));
}


static void
bp_qmp_job_wait_query(GTask *task)
{
    BpQmpJobWait *wait = g_task_get_task_data(task);

    if (wait->querying) {
        wait->requery = TRUE;
        return;
    }
    wait->querying = TRUE;
    wait->requery = FALSE;
    bp_qmp_query_jobs_async(wait->mon, NULL, bp_qmp_job_wait_query_cb,
                            g_object_ref(task));
}


static void
bp_qmp_job_wait_event_cb(BpQmpMonitor *mon, const char *name, JsonObject *data,
                         gint64 timestamp, gpointer user_data)
{
    GTask *task = user_data;
    BpQmpJobWait *wait = g_task_get_task_data(task);

    if (g_strcmp0(json_object_get_string_member_with_default(data, "id", NULL),
                  wait->id) == 0)
        bp_qmp_job_wait_query(task);
}


static void
bp_qmp_job_wait_closed_cb(BpQmpMonitor *mon, const GError *error, gpointer user_data)
{
    bp_qmp_job_wait_return(user_data, NULL, g_error_copy(error));
}


static gboolean
bp_qmp_job_wait_timeout_cb(gpointer user_data)
{
    GTask *task = user_data;
    BpQmpJobWait *wait = g_task_get_task_data(task);

    bp_qmp_job_wait_return(task, NULL,
                           g_error_new(BP_ERROR, BP_ERROR_TIMEOUT,
                                       _("job '%s' on %s did not reach '%s' within %u ms"),
                                       wait->id, bp_qmp_monitor_get_name(wait->mon),
                                       wait->status, wait->timeout_ms));
    return G_SOURCE_REMOVE;
}


static gboolean
bp_qmp_job_wait_cancel_cb(GCancellable *cancellable, gpointer user_data)
{
    GTask *task = user_data;
    BpQmpJobWait *wait = g_task_get_task_data(task);

    bp_qmp_job_wait_return(task, NULL,
                           g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                       _("waiting for job '%s' was cancelled"), wait->id));
    return G_SOURCE_REMOVE;
}


void
bp_qmp_job_wait_async(BpQmpMonitor *mon, const char *id, const char *status,
                      guint timeout_ms, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(mon, cancellable, callback, user_data);
    BpQmpJobWait *wait = g_new0(BpQmpJobWait, 1);
    GMainContext *context = bp_qmp_monitor_get_context(mon);

    g_task_set_source_tag(task, bp_qmp_job_wait_async);
    wait->mon = mon;
    wait->id = g_strdup(id);
    wait->status = g_strdup(status);
    wait->timeout_ms = timeout_ms;
    g_task_set_task_data(task, wait, (GDestroyNotify) bp_qmp_job_wait_free);

    if (bp_qmp_monitor_is_closed(mon)) {
        g_task_return_error(task, g_error_copy(bp_qmp_monitor_get_close_error(mon)));
        g_object_unref(task);
        return;
    }
    /* Subscribe before the first query so no transition is missed. */
    wait->event_handler = g_signal_connect(mon, "event::JOB_STATUS_CHANGE",
                                           G_CALLBACK(bp_qmp_job_wait_event_cb), task);
    wait->closed_handler = g_signal_connect(mon, "closed",
                                            G_CALLBACK(bp_qmp_job_wait_closed_cb), task);
    if (timeout_ms != BP_QMP_TIMEOUT_NONE) {
        wait->timeout = g_timeout_source_new(timeout_ms ? timeout_ms
                                                        : BP_QMP_DEFAULT_COMMAND_TIMEOUT_MS);
        g_source_set_callback(wait->timeout, bp_qmp_job_wait_timeout_cb, task, NULL);
        g_source_attach(wait->timeout, context);
    }
    if (cancellable) {
        wait->cancel = g_cancellable_source_new(cancellable);
        g_source_set_callback(wait->cancel, G_SOURCE_FUNC(bp_qmp_job_wait_cancel_cb),
                              task, NULL);
        g_source_attach(wait->cancel, context);
    }
    bp_qmp_job_wait_query(task);
}


BpQmpJobInfo *
bp_qmp_job_wait_finish(BpQmpMonitor *mon, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, mon), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


/* ---- transactions ----------------------------------------------------- */

JsonObject *
bp_qmp_action_new(const char *type, JsonObject *data)
{
    JsonObject *action = json_object_new();

    json_object_set_string_member(action, "type", type);
    json_object_set_object_member(action, "data", data);
    return action;
}


void
bp_qmp_transaction_async(BpQmpMonitor *mon, JsonArray *actions, gboolean grouped,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
    JsonObject *args = json_object_new();

    json_object_set_array_member(args, "actions", json_array_ref(actions));
    if (grouped) {
        JsonObject *props = json_object_new();

        json_object_set_string_member(props, "completion-mode", "grouped");
        json_object_set_object_member(args, "properties", props);
    }
    bp_qmp_command_take(mon, "transaction", args, cancellable, callback, user_data);
}


/* ---- exports ---------------------------------------------------------- */

void
bp_qmp_nbd_server_start_unix_async(BpQmpMonitor *mon, const char *path,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
    JsonObject *args = json_object_new();
    JsonObject *addr = json_object_new();
    JsonObject *data = json_object_new();

    /* QMP takes the legacy SocketAddress form here (qemu-poc.md §10). */
    json_object_set_string_member(data, "path", path);
    json_object_set_string_member(addr, "type", "unix");
    json_object_set_object_member(addr, "data", data);
    json_object_set_object_member(args, "addr", addr);
    bp_qmp_command_take(mon, "nbd-server-start", args, cancellable, callback, user_data);
}


void
bp_qmp_nbd_server_stop_async(BpQmpMonitor *mon, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
    bp_qmp_command_take(mon, "nbd-server-stop", NULL, cancellable, callback, user_data);
}


JsonObject *
bp_qmp_args_export_nbd(const char *id, const char *node, const char *name,
                       gboolean writable, const char *const *bitmaps)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, "type", "nbd");
    json_object_set_string_member(args, "id", id);
    json_object_set_string_member(args, "node-name", node);
    bp_json_set_string_opt(args, "name", name);
    json_object_set_boolean_member(args, "writable", writable);
    if (bitmaps && bitmaps[0]) {
        JsonArray *list = json_array_new();

        for (size_t i = 0; bitmaps[i]; i++)
            json_array_add_string_element(list, bitmaps[i]);
        json_object_set_array_member(args, "bitmaps", list);
    }
    return args;
}


JsonObject *
bp_qmp_args_export_vhost_user_blk(const char *id, const char *node,
                                  const char *socket_path, gboolean writable)
{
    JsonObject *args = json_object_new();
    JsonObject *addr = json_object_new();

    json_object_set_string_member(addr, "type", "unix");
    json_object_set_string_member(addr, "path", socket_path);
    json_object_set_string_member(args, "type", "vhost-user-blk");
    json_object_set_string_member(args, "id", id);
    json_object_set_string_member(args, "node-name", node);
    json_object_set_object_member(args, "addr", addr);
    json_object_set_boolean_member(args, "writable", writable);
    return args;
}


void
bp_qmp_block_export_add_async(BpQmpMonitor *mon, JsonObject *args,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
    bp_qmp_command_async(mon, "block-export-add", args, cancellable, callback, user_data);
}


void
bp_qmp_block_export_del_async(BpQmpMonitor *mon, const char *id, gboolean force,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
    JsonObject *args = json_object_new();

    json_object_set_string_member(args, "id", id);
    if (force)
        json_object_set_string_member(args, "mode", "hard");
    bp_qmp_command_take(mon, "block-export-del", args, cancellable, callback, user_data);
}


/* ---- devices and the process ------------------------------------------ */

void
bp_qmp_block_info_free(BpQmpBlockInfo *info)
{
    if (!info)
        return;
    g_free(info->device);
    g_free(info->qdev);
    g_free(info->node_name);
    g_free(info->filename);
    g_free(info);
}


static BpQmpBlockInfo *
bp_qmp_block_info_parse(JsonObject *obj)
{
    BpQmpBlockInfo *info = g_new0(BpQmpBlockInfo, 1);
    JsonNode *inserted = json_object_get_member(obj, "inserted");

    info->device = g_strdup(json_object_get_string_member_with_default(obj, "device", ""));
    info->qdev = g_strdup(json_object_get_string_member_with_default(obj, "qdev", NULL));
    if (inserted && JSON_NODE_HOLDS_OBJECT(inserted)) {
        JsonObject *ins = json_node_get_object(inserted);

        info->node_name = g_strdup(json_object_get_string_member_with_default(ins, "node-name", NULL));
        info->filename = g_strdup(json_object_get_string_member_with_default(ins, "file", NULL));
    }
    return info;
}


static void
bp_qmp_query_block_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpQmpMonitor *mon = BP_QMP_MONITOR(source);
    g_autoptr(JsonNode) ret = NULL;
    GPtrArray *list = NULL;
    GError *err = NULL;

    ret = bp_qmp_monitor_command_finish(mon, result, &err);
    if (ret)
        list = bp_qmp_parse_array(mon, "query-block", ret,
                                  (gpointer (*)(JsonObject *)) bp_qmp_block_info_parse,
                                  (GDestroyNotify) bp_qmp_block_info_free, &err);
    if (!list) {
        g_task_return_error(task, err);
        return;
    }
    g_task_return_pointer(task, list, (GDestroyNotify) g_ptr_array_unref);
}


void
bp_qmp_query_block_async(BpQmpMonitor *mon, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(mon, cancellable, callback, user_data);

    g_task_set_source_tag(task, bp_qmp_query_block_async);
    bp_qmp_monitor_command_async(mon, "query-block", NULL, BP_QMP_TIMEOUT_DEFAULT,
                                 cancellable, bp_qmp_query_block_cb, task);
}


GPtrArray *
bp_qmp_query_block_finish(BpQmpMonitor *mon, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, mon), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


static void
bp_qmp_quit_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpQmpMonitor *mon = BP_QMP_MONITOR(source);
    g_autoptr(JsonNode) ret = NULL;
    GError *err = NULL;

    gboolean was_closed = GPOINTER_TO_INT(g_task_get_task_data(task));

    ret = bp_qmp_monitor_command_finish(mon, result, &err);
    /* QEMU may close the connection before its reply reaches us: for
     * quit, a connection closed by the peer is the expected outcome. */
    if (!ret && !was_closed && g_error_matches(err, BP_ERROR, BP_ERROR_QEMU) &&
        bp_qmp_monitor_is_closed(mon)) {
        g_clear_error(&err);
    }
    if (err)
        g_task_return_error(task, err);
    else
        g_task_return_boolean(task, TRUE);
}


void
bp_qmp_quit_async(BpQmpMonitor *mon, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(mon, cancellable, callback, user_data);

    g_task_set_source_tag(task, bp_qmp_command_async);
    g_task_set_task_data(task, GINT_TO_POINTER(bp_qmp_monitor_is_closed(mon)), NULL);
    bp_qmp_monitor_command_async(mon, "quit", NULL, BP_QMP_TIMEOUT_DEFAULT,
                                 cancellable, bp_qmp_quit_cb, task);
}
