/*
 * bp-domain-run.c: a running domain on the storage or attach runtime
 * (see the header).
 */
#include <config.h>

#include <signal.h>

#include "bp-domain-ops.h"
#include "bp-domain-run.h"
#include "bp-domain-runtime.h"
#include "qemu/bp-runtime-attach.h"
#include "qemu/bp-runtime-storage.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_DOMAIN_RUN_DEFAULT_TIMEOUT_MS 10000u

struct _BpDomainRun {
    GObject parent_instance;

    BpRuntimeType runtime;
    BpDomainDef *def;               /* as running */
    BpQemuRuntimeConfig *config;
    BpQemuStorage *storage;         /* storage runtime */
    BpQemuAttach *attach;           /* attach runtime */
    gulong handler;                 /* "exited" / "disconnected" */
    char *monitor_path;

    gboolean running;
    gboolean stop_requested;
    gboolean exit_clean;
    char *exit_message;
    GPtrArray *stop_tasks;          /* GTask*: shutdown/destroy waiting */
    GSource *destroy_timer;
    gboolean destroy_graceful;
};

enum {
    SIGNAL_STOPPED,
    N_SIGNALS
};
static guint bp_domain_run_signals[N_SIGNALS];

G_DEFINE_TYPE(BpDomainRun, bp_domain_run, G_TYPE_OBJECT)


static void
bp_domain_run_clear_timer(BpDomainRun *run)
{
    if (run->destroy_timer) {
        g_source_destroy(run->destroy_timer);
        g_clear_pointer(&run->destroy_timer, g_source_unref);
    }
}


/* The runtime went away: records how, tells the listeners, then
 * completes the shutdown and destroy calls waiting for it (in that order,
 * so that their callers find the new state already recorded). */
static void
bp_domain_run_stopped(BpDomainRun *run, gboolean clean, const char *message)
{
    g_autoptr(BpDomainRun) hold = g_object_ref(run);
    g_autoptr(GPtrArray) tasks = NULL;

    if (!run->running)
        return;
    run->running = FALSE;
    run->exit_clean = clean;
    g_free(run->exit_message);
    run->exit_message = g_strdup(message);
    bp_domain_run_clear_timer(run);

    g_signal_emit(run, bp_domain_run_signals[SIGNAL_STOPPED], 0, run->stop_requested);

    tasks = g_steal_pointer(&run->stop_tasks);
    run->stop_tasks = g_ptr_array_new_with_free_func(g_object_unref);
    for (guint i = 0; i < tasks->len; i++)
        g_task_return_boolean(g_ptr_array_index(tasks, i), TRUE);
}


static void
bp_domain_run_storage_exited(BpQemuStorage *st, gpointer user_data)
{
    BpDomainRun *run = user_data;
    const BpQemuExitInfo *info = bp_qemu_storage_get_exit_info(st);

    bp_domain_run_stopped(run, info ? info->clean : FALSE,
                          info ? info->message : NULL);
}


static void
bp_domain_run_attach_disconnected(BpQemuAttach *attach G_GNUC_UNUSED,
                                  const GError *why, gpointer user_data)
{
    BpDomainRun *run = user_data;
    g_autofree char *msg = NULL;

    msg = g_strdup_printf(_("the QEMU monitor of domain %s closed: %s"),
                          run->def->name, why ? why->message : _("end of file"));
    /* Whether that QEMU wrote its bitmaps is its own business: nothing
     * we could have done differently. */
    bp_domain_run_stopped(run, TRUE, msg);
}


static BpDomainRun *
bp_domain_run_new(const BpDomainDef *def, const BpQemuRuntimeConfig *config)
{
    BpDomainRun *run = g_object_new(BP_TYPE_DOMAIN_RUN, NULL);

    run->runtime = def->runtime;
    run->def = bp_domain_def_copy(def);
    run->config = bp_qemu_runtime_config_copy(config);
    return run;
}


/* ---- start and reconnect -------------------------------------------------- */

typedef struct {
    BpDomainRun *run;
    GPtrArray *specs;
    gboolean save_status;
} BpDomainRunStart;


static void
bp_domain_run_start_free(BpDomainRunStart *start)
{
    g_clear_object(&start->run);
    g_clear_pointer(&start->specs, g_ptr_array_unref);
    g_free(start);
}


/* Ends a successful start or reconnect: the run is live from here on. */
static void
bp_domain_run_started(GTask *task)
{
    BpDomainRunStart *start = g_task_get_task_data(task);
    BpDomainRun *run = start->run;
    g_autoptr(GError) err = NULL;

    if (run->storage) {
        BpDomainDef *live = bp_domain_ops_live_def(run->def,
                                                   bp_qemu_storage_get_disks(run->storage));

        bp_domain_def_free(run->def);
        run->def = live;
        run->monitor_path = g_strdup(bp_qemu_storage_get_qmp_socket(run->storage));
        run->handler = g_signal_connect(run->storage, "exited",
                                        G_CALLBACK(bp_domain_run_storage_exited), run);
        if (!bp_qemu_storage_is_running(run->storage)) {
            /* It died before we listened: report that exit now. */
            const BpQemuExitInfo *info = bp_qemu_storage_get_exit_info(run->storage);

            g_task_return_new_error(task, BP_ERROR, BP_ERROR_QEMU, "%s",
                                    info ? info->message : _("qemu-storage-daemon exited"));
            return;
        }
    } else {
        run->monitor_path = g_strdup(bp_qemu_attach_get_qmp_socket(run->attach));
        run->handler = g_signal_connect(run->attach, "disconnected",
                                        G_CALLBACK(bp_domain_run_attach_disconnected), run);
    }
    run->running = TRUE;
    if (start->save_status &&
        !bp_domain_ops_save_status(run->def, run->config->runtime_dir, &err))
        g_warning("domain %s: %s", run->def->name, err->message);
    g_task_return_pointer(task, g_object_ref(run), g_object_unref);
}


static void
bp_domain_run_storage_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                         gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpDomainRunStart *start = g_task_get_task_data(task);
    GError *err = NULL;

    if (g_task_get_source_tag(task) == bp_domain_run_start_async)
        start->run->storage = bp_qemu_storage_start_finish(result, &err);
    else
        start->run->storage = bp_qemu_storage_reconnect_finish(result, &err);
    if (!start->run->storage) {
        g_task_return_error(task, err);
        return;
    }
    bp_domain_run_started(task);
}


static void
bp_domain_run_attach_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                        gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpDomainRunStart *start = g_task_get_task_data(task);
    GError *err = NULL;

    if (!(start->run->attach = bp_qemu_attach_finish(result, &err))) {
        g_prefix_error(&err, _("cannot attach to domain %s: "), start->run->def->name);
        g_task_return_error(task, err);
        return;
    }
    bp_domain_run_started(task);
}


/* Common part of start and reconnect: the task, its data and the disks;
 * NULL when the task has already failed. */
static GTask *
bp_domain_run_prepare(const BpDomainDef *def, const BpQemuRuntimeConfig *config,
                      gpointer tag, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    BpDomainRunStart *start = g_new0(BpDomainRunStart, 1);
    GError *err = NULL;

    g_task_set_source_tag(task, tag);
    g_task_set_task_data(task, start, (GDestroyNotify) bp_domain_run_start_free);
    start->run = bp_domain_run_new(def, config);

    if (def->runtime == BP_RUNTIME_OFFLINE) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_OPERATION_UNSUPPORTED,
                                _("domain '%s' uses the offline runtime and cannot be started; "
                                  "its checkpoints and backups work without starting it"),
                                def->name);
        return NULL;
    }
    if (!(start->specs = bp_domain_runtime_disk_specs(def, &err))) {
        g_task_return_error(task, err);
        return NULL;
    }
    if (start->specs->len == 0) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                                _("domain '%s' has no disk with media to open"),
                                def->name);
        return NULL;
    }
    return g_steal_pointer(&task);
}


void
bp_domain_run_start_async(const BpDomainDef *def,
                          const BpQemuRuntimeConfig *config,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
    GTask *task = bp_domain_run_prepare(def, config, bp_domain_run_start_async,
                                        cancellable, callback, user_data);
    BpDomainRunStart *start;

    if (!task)
        return;
    start = g_task_get_task_data(task);
    start->save_status = TRUE;
    if (def->runtime == BP_RUNTIME_STORAGE) {
        bp_qemu_storage_start_async(config,
                                    (BpQemuDiskSpec *const *) start->specs->pdata,
                                    start->specs->len,
                                    BP_QEMU_STORAGE_START_DEFAULT, cancellable,
                                    bp_domain_run_storage_cb, task);
    } else {
        bp_qemu_attach_async(def->name, def->monitor_path,
                             (BpQemuDiskSpec *const *) start->specs->pdata,
                             start->specs->len, config->start_timeout_ms,
                             cancellable, bp_domain_run_attach_cb, task);
    }
}


BpDomainRun *
bp_domain_run_start_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


void
bp_domain_run_reconnect_async(const BpDomainDef *def,
                              const BpQemuRuntimeConfig *config,
                              GPid pid,
                              const char *monitor_path,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
    GTask *task = bp_domain_run_prepare(def, config, bp_domain_run_reconnect_async,
                                        cancellable, callback, user_data);
    BpDomainRunStart *start;

    if (!task)
        return;
    start = g_task_get_task_data(task);
    if (def->runtime == BP_RUNTIME_STORAGE) {
        if (pid <= 0 || !monitor_path) {
            g_task_return_new_error(task, BP_ERROR, BP_ERROR_QEMU,
                                    _("no qemu-storage-daemon was recorded for domain %s"),
                                    def->name);
            g_object_unref(task);
            return;
        }
        bp_qemu_storage_reconnect_async(config,
                                        (BpQemuDiskSpec *const *) start->specs->pdata,
                                        start->specs->len, pid, monitor_path,
                                        cancellable, bp_domain_run_storage_cb, task);
    } else {
        bp_qemu_attach_async(def->name, monitor_path ? monitor_path : def->monitor_path,
                             (BpQemuDiskSpec *const *) start->specs->pdata,
                             start->specs->len, config->start_timeout_ms,
                             cancellable, bp_domain_run_attach_cb, task);
    }
}


BpDomainRun *
bp_domain_run_reconnect_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


/* ---- shutdown and destroy --------------------------------------------------- */

static void
bp_domain_run_stop_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) err = NULL;

    /* The outcome arrives through "exited"; a failure here only means
     * the storage was already gone. */
    if (!bp_qemu_storage_stop_finish(BP_QEMU_STORAGE(source), result, &err))
        g_debug("stop: %s", err->message);
}


/* Queues @task until the domain has stopped; FALSE when it already has
 * (the task is then completed). */
static gboolean
bp_domain_run_wait_stop(BpDomainRun *run, GTask *task)
{
    if (!run->running) {
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
        return FALSE;
    }
    run->stop_requested = TRUE;
    g_ptr_array_add(run->stop_tasks, task);
    return TRUE;
}


static void
bp_domain_run_detach_attach(BpDomainRun *run)
{
    g_autofree char *msg = NULL;

    msg = g_strdup_printf(_("disconnected from the QEMU of domain %s, which keeps running"),
                          run->def->name);
    g_signal_handler_disconnect(run->attach, run->handler);
    run->handler = 0;
    bp_qemu_attach_detach(run->attach);
    bp_domain_run_stopped(run, TRUE, msg);
}


void
bp_domain_run_shutdown_async(BpDomainRun *run,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
    GTask *task = g_task_new(run, NULL, callback, user_data);

    g_task_set_source_tag(task, bp_domain_run_shutdown_async);
    if (!bp_domain_run_wait_stop(run, task))
        return;
    if (run->storage)
        bp_qemu_storage_stop_async(run->storage, NULL, bp_domain_run_stop_cb, NULL);
    else
        bp_domain_run_detach_attach(run);
}


gboolean
bp_domain_run_shutdown_finish(BpDomainRun *run, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, run), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}


static gboolean
bp_domain_run_destroy_timeout_cb(gpointer user_data)
{
    BpDomainRun *run = user_data;
    g_autoptr(GPtrArray) tasks = NULL;

    g_clear_pointer(&run->destroy_timer, g_source_unref);
    if (!run->destroy_graceful) {
        g_warning("domain %s: qemu-storage-daemon (pid %d) ignored SIGTERM; killing it",
                  run->def->name, bp_qemu_storage_get_pid(run->storage));
        bp_qemu_storage_kill(run->storage, SIGKILL);
        return G_SOURCE_REMOVE;
    }
    tasks = g_steal_pointer(&run->stop_tasks);
    run->stop_tasks = g_ptr_array_new_with_free_func(g_object_unref);
    for (guint i = 0; i < tasks->len; i++)
        g_task_return_new_error(g_ptr_array_index(tasks, i), BP_ERROR, BP_ERROR_TIMEOUT,
                                _("qemu-storage-daemon of domain %s (pid %d) did not exit "
                                  "after SIGTERM within %u ms"),
                                run->def->name, bp_qemu_storage_get_pid(run->storage),
                                run->config->stop_timeout_ms ? run->config->stop_timeout_ms
                                : BP_DOMAIN_RUN_DEFAULT_TIMEOUT_MS);
    return G_SOURCE_REMOVE;
}


void
bp_domain_run_destroy_async(BpDomainRun *run,
                            gboolean graceful,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
    GTask *task = g_task_new(run, NULL, callback, user_data);
    guint timeout = run->config->stop_timeout_ms ? run->config->stop_timeout_ms
                                                 : BP_DOMAIN_RUN_DEFAULT_TIMEOUT_MS;

    g_task_set_source_tag(task, bp_domain_run_destroy_async);
    if (!bp_domain_run_wait_stop(run, task))
        return;
    if (!run->storage) {
        bp_domain_run_detach_attach(run);
        return;
    }
    bp_qemu_storage_kill(run->storage, SIGTERM);
    if (!run->destroy_timer) {
        run->destroy_graceful = graceful;
        run->destroy_timer = g_timeout_source_new(timeout);
        g_source_set_callback(run->destroy_timer, bp_domain_run_destroy_timeout_cb,
                              run, NULL);
        g_source_attach(run->destroy_timer, g_main_context_get_thread_default());
    }
}


gboolean
bp_domain_run_destroy_finish(BpDomainRun *run, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, run), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}


void
bp_domain_run_detach(BpDomainRun *run)
{
    if (!run->running)
        return;
    run->running = FALSE;
    bp_domain_run_clear_timer(run);
    if (run->storage) {
        g_signal_handler_disconnect(run->storage, run->handler);
        run->handler = 0;
        /* Dropping it closes our QMP connection; the process runs on. */
        g_clear_object(&run->storage);
    } else if (run->attach) {
        g_signal_handler_disconnect(run->attach, run->handler);
        run->handler = 0;
        bp_qemu_attach_detach(run->attach);
    }
}


/* ---- accessors ----------------------------------------------------------- */

gboolean
bp_domain_run_is_running(BpDomainRun *run)
{
    return run->running;
}


BpRuntimeType
bp_domain_run_get_runtime(BpDomainRun *run)
{
    return run->runtime;
}


GPid
bp_domain_run_get_pid(BpDomainRun *run)
{
    return run->storage ? bp_qemu_storage_get_pid(run->storage) : 0;
}


const char *
bp_domain_run_get_monitor_path(BpDomainRun *run)
{
    return run->monitor_path;
}


const BpDomainDef *
bp_domain_run_get_def(BpDomainRun *run)
{
    return run->def;
}


char *
bp_domain_run_get_export(BpDomainRun *run, const char *target)
{
    char *uri;

    if (!run->storage || !run->running)
        return NULL;
    if ((uri = bp_qemu_storage_get_export_uri(run->storage, target)))
        return uri;
    return g_strdup(bp_qemu_storage_get_export_socket(run->storage, target));
}


const char *
bp_domain_run_get_nbd_socket(BpDomainRun *run)
{
    size_t i;

    if (!run->storage || !run->running)
        return NULL;
    for (i = 0; i < run->def->ndisks; i++) {
        g_autofree char *uri = bp_qemu_storage_get_export_uri(run->storage,
                                                              run->def->disks[i]->dst);

        if (uri)
            return bp_qemu_storage_get_nbd_socket(run->storage);
    }
    return NULL;
}


const char *
bp_domain_run_get_runtime_dir(BpDomainRun *run)
{
    return run->config ? run->config->runtime_dir : NULL;
}


BpQmpMonitor *
bp_domain_run_get_monitor(BpDomainRun *run)
{
    if (!run->running)
        return NULL;
    if (run->storage)
        return bp_qemu_storage_get_monitor(run->storage);
    return run->attach ? bp_qemu_attach_get_monitor(run->attach) : NULL;
}


static void
bp_domain_run_graph_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    GError *err = NULL;
    BpBlockGraph *graph;

    if (BP_IS_QEMU_STORAGE(source))
        graph = bp_qemu_storage_read_graph_finish(BP_QEMU_STORAGE(source), result, &err);
    else
        graph = bp_qemu_attach_read_graph_finish(BP_QEMU_ATTACH(source), result, &err);
    if (!graph)
        g_task_return_error(task, err);
    else
        g_task_return_pointer(task, graph, (GDestroyNotify) bp_block_graph_free);
}


void
bp_domain_run_read_graph_async(BpDomainRun *run,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
    GTask *task = g_task_new(run, cancellable, callback, user_data);

    g_task_set_source_tag(task, bp_domain_run_read_graph_async);
    if (!run->running) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                                _("domain '%s' is not running"), run->def->name);
        g_object_unref(task);
        return;
    }
    if (run->storage)
        bp_qemu_storage_read_graph_async(run->storage, cancellable,
                                         bp_domain_run_graph_cb, task);
    else
        bp_qemu_attach_read_graph_async(run->attach, cancellable,
                                        bp_domain_run_graph_cb, task);
}


BpBlockGraph *
bp_domain_run_read_graph_finish(BpDomainRun *run, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, run), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


void
bp_domain_run_update_chain(BpDomainRun *run, BpDomainDef *live,
                           const char *target, const char *top_node)
{
    g_autoptr(GError) err = NULL;

    bp_domain_def_free(run->def);
    run->def = live;
    if (top_node && run->storage)
        bp_qemu_storage_set_top_node(run->storage, target, top_node);
    else if (top_node && run->attach)
        bp_qemu_attach_set_top_node(run->attach, target, top_node);
    if (run->storage &&
        !bp_domain_ops_save_status(run->def, run->config->runtime_dir, &err))
        g_warning("domain %s: %s", run->def->name, err->message);
}


gboolean
bp_domain_run_get_exit_clean(BpDomainRun *run)
{
    return run->exit_clean;
}


const char *
bp_domain_run_get_exit_message(BpDomainRun *run)
{
    return run->exit_message;
}


static void
bp_domain_run_dispose(GObject *object)
{
    BpDomainRun *run = BP_DOMAIN_RUN(object);

    bp_domain_run_clear_timer(run);
    if (run->storage && run->handler)
        g_signal_handler_disconnect(run->storage, run->handler);
    if (run->attach && run->handler)
        g_signal_handler_disconnect(run->attach, run->handler);
    run->handler = 0;
    g_clear_object(&run->storage);
    g_clear_object(&run->attach);
    G_OBJECT_CLASS(bp_domain_run_parent_class)->dispose(object);
}


static void
bp_domain_run_finalize(GObject *object)
{
    BpDomainRun *run = BP_DOMAIN_RUN(object);

    bp_domain_def_free(run->def);
    bp_qemu_runtime_config_free(run->config);
    g_free(run->monitor_path);
    g_free(run->exit_message);
    g_ptr_array_unref(run->stop_tasks);
    G_OBJECT_CLASS(bp_domain_run_parent_class)->finalize(object);
}


static void
bp_domain_run_init(BpDomainRun *run)
{
    run->stop_tasks = g_ptr_array_new_with_free_func(g_object_unref);
}


static void
bp_domain_run_class_init(BpDomainRunClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = bp_domain_run_dispose;
    object_class->finalize = bp_domain_run_finalize;

    bp_domain_run_signals[SIGNAL_STOPPED] =
        g_signal_new("stopped", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                     0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}
