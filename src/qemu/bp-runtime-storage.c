/*
 * bp-runtime-storage.c: one qemu-storage-daemon per running domain: its
 * launch, supervision, graceful stop and reconnection (the command line
 * itself is built in bp-qsd-cmdline.c).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "bp-qmp-commands.h"
#include "bp-qsd-cmdline.h"
#include "bp-runtime-offline.h"
#include "bp-runtime-storage.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_STORAGE_DEFAULT_TIMEOUT_MS 10000u
#define BP_STORAGE_CONNECT_RETRY_MS 20u

#include "bp-runtime-storage-priv.h"

enum {
    SIGNAL_EXITED,
    N_SIGNALS
};
static guint bp_qemu_storage_signals[N_SIGNALS];

G_DEFINE_TYPE(BpQemuStorage, bp_qemu_storage, G_TYPE_OBJECT)


/* ---- start --------------------------------------------------------------- */

typedef struct {
    BpQemuStorage *st;
    GPtrArray *specs;           /* input BpQemuDiskSpec* */
    guint next;
    gint64 deadline;            /* monotonic */
    GSource *retry;
} BpStorageStart;


static void
bp_storage_start_free(BpStorageStart *start)
{
    bp_storage_clear_source(&start->retry);
    g_clear_object(&start->st);
    g_ptr_array_unref(start->specs);
    g_free(start);
}


/* Fails the start; a QSD we launched is killed (it never served anyone). */
static void
bp_storage_start_fail(GTask *task, GError *error)
{
    BpStorageStart *start = g_task_get_task_data(task);

    if (start->st->running)
        bp_qemu_storage_signal(start->st, SIGKILL);
    g_task_return_error(task, error);
    g_object_unref(task);
}


static void
bp_storage_child_setup(gpointer user_data)
{
    sigset_t all;

    /* Its own session (a terminal's ^C must not reach it), sockets and
     * files private to us, and no signal mask inherited from GLib. */
    setsid();
    umask(0177);
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
}


/* Refuses to start over a QSD that still serves this runtime directory
 * (checked first: its images are locked, which would hide the cause). */
static gboolean
bp_storage_check_not_running(BpQemuStorage *st, GError **error)
{
    g_autofree char *pidtext = NULL;
    GPid old;

    if (!g_file_get_contents(st->layout->pid_path, &pidtext, NULL, NULL))
        return TRUE;
    old = (GPid) g_ascii_strtoll(pidtext, NULL, 10);
    if (bp_qemu_storage_process_matches(old, st->layout->qmp_socket)) {
        g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                    _("a qemu-storage-daemon (pid %d) still serves domain %s in %s; "
                      "reconnect to it instead"),
                    old, st->config->domain, st->config->runtime_dir);
        return FALSE;
    }
    return TRUE;
}


static gboolean
bp_storage_prepare_dir(BpQemuStorage *st, GError **error)
{
    const char *dir = st->config->runtime_dir;
    const char *stale[] = { st->layout->qmp_socket, st->layout->nbd_socket, NULL };

    if (g_mkdir_with_parents(dir, 0700) < 0 || g_chmod(dir, 0700) < 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("cannot create runtime directory %s: %s"), dir, g_strerror(errno));
        return FALSE;
    }
    /* Checked again: another start may have won the race meanwhile. */
    if (!bp_storage_check_not_running(st, error))
        return FALSE;
    for (size_t i = 0; stale[i]; i++)
        g_unlink(stale[i]);
    for (guint i = 0; i < st->disks->len; i++) {
        const char *sock = g_hash_table_lookup(st->layout->export_sockets,
                                               ((BpQemuDiskSpec *) g_ptr_array_index(st->disks, i))->target);
        if (sock)
            g_unlink(sock);
    }
    return TRUE;
}


static gboolean
bp_storage_spawn(BpQemuStorage *st, GError **error)
{
    g_autoptr(GPtrArray) argv = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *banner = NULL;
    GWeakRef *weak;
    const char *qsd;
    GStatBuf sb;
    gboolean ok;
    int logfd;

    if (!(qsd = bp_qemu_runtime_config_qsd(st->config, error)) ||
        !bp_qsd_layout_plan_exports(st->layout, st->disks, error) ||
        !(argv = bp_qsd_layout_build_argv(st->layout, qsd, st->disks, error)) ||
        !bp_storage_prepare_dir(st, error))
        return FALSE;

    logfd = g_open(st->layout->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (logfd < 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_IO, _("cannot open %s: %s"),
                    st->layout->log_path, g_strerror(errno));
        return FALSE;
    }
    st->log_start = fstat(logfd, &sb) == 0 ? sb.st_size : 0;
    banner = g_strdup_printf("--- blkpoint starts qemu-storage-daemon for domain %s\n",
                             st->config->domain);
    if (write(logfd, banner, strlen(banner)) > 0)
        st->log_start += strlen(banner);

    /* Not GSubprocess: it reaps in GLib's worker thread and then forgets
     * the pid, so a QSD that fails at once (e.g. an image is locked) may
     * have no pid left to read by the time spawn returns.  Here the child
     * stays unreaped until our own watch, in our context, collects it. */
    ok = g_spawn_async_with_pipes_and_fds("/", (const char *const *) argv->pdata, NULL,
                                          G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                          bp_storage_child_setup, NULL,
                                          -1, logfd, logfd, NULL, NULL, 0,
                                          &st->pid, NULL, NULL, NULL, &err);
    close(logfd);
    if (!ok) {
        g_set_error(error, BP_ERROR, BP_ERROR_QEMU, _("cannot run %s: %s"), qsd, err->message);
        return FALSE;
    }
    st->is_child = TRUE;
    st->running = TRUE;
    st->starting = TRUE;
    weak = g_new0(GWeakRef, 1);
    g_weak_ref_init(weak, st);
    st->child_watch = g_child_watch_source_new(st->pid);
    g_source_set_callback(st->child_watch, G_SOURCE_FUNC(bp_qemu_storage_child_exited_cb),
                          weak, bp_qemu_storage_weak_free);
    g_source_attach(st->child_watch, st->context);
    g_debug("domain %s: started qemu-storage-daemon pid %d", st->config->domain, st->pid);
    return TRUE;
}


static void bp_storage_start_connect(GTask *task);


static gboolean
bp_storage_start_retry_cb(gpointer user_data)
{
    GTask *task = user_data;
    BpStorageStart *start = g_task_get_task_data(task);

    bp_storage_clear_source(&start->retry);
    bp_storage_start_connect(task);
    return G_SOURCE_REMOVE;
}


static void
bp_storage_start_graph_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    BpStorageStart *start = g_task_get_task_data(task);
    g_autoptr(BpBlockGraph) graph = NULL;
    GError *err = NULL;

    graph = bp_qemu_storage_read_graph_finish(start->st, result, &err);
    if (!graph) {
        g_prefix_error(&err, _("qemu-storage-daemon of domain %s started, but its nodes "
                               "are not as expected: "), start->st->config->domain);
        bp_storage_start_fail(task, err);
        return;
    }
    start->st->starting = FALSE;
    g_task_return_pointer(task, g_steal_pointer(&start->st), g_object_unref);
    g_object_unref(task);
}


static void
bp_storage_start_connect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    BpStorageStart *start = g_task_get_task_data(task);
    BpQemuStorage *st = start->st;
    g_autoptr(GError) err = NULL;
    GHashTableIter iter;
    const char *sock;

    st->mon = bp_qmp_monitor_connect_finish(result, &err);
    if (st->mon) {
        /* umask made them 0600 already; make sure whatever QSD did. */
        g_chmod(st->layout->qmp_socket, 0600);
        g_hash_table_iter_init(&iter, st->layout->export_sockets);
        while (g_hash_table_iter_next(&iter, NULL, (gpointer *) &sock))
            g_chmod(sock, 0600);
        bp_qemu_storage_read_graph_async(st, g_task_get_cancellable(task),
                                         bp_storage_start_graph_cb, task);
        return;
    }
    if (!st->running) {
        g_autofree char *tail = bp_qemu_storage_log_tail(st);

        bp_storage_start_fail(task,
            g_error_new(BP_ERROR, strstr(tail, " lock") ? BP_ERROR_BUSY : BP_ERROR_QEMU,
                        _("qemu-storage-daemon for domain %s failed to start: %s"),
                        st->config->domain, tail));
        return;
    }
    if (g_get_monotonic_time() >= start->deadline) {
        bp_storage_start_fail(task,
            g_error_new(BP_ERROR, BP_ERROR_TIMEOUT,
                        _("qemu-storage-daemon for domain %s did not open %s in time: %s"),
                        st->config->domain, st->layout->qmp_socket, err->message));
        return;
    }
    if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
        g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)) {
        /* Not listening yet: QSD is still opening images. */
        start->retry = g_timeout_source_new(BP_STORAGE_CONNECT_RETRY_MS);
        g_source_set_callback(start->retry, bp_storage_start_retry_cb, task, NULL);
        g_source_attach(start->retry, st->context);
        return;
    }
    bp_storage_start_fail(task, g_steal_pointer(&err));
}


static void
bp_storage_start_connect(GTask *task)
{
    BpStorageStart *start = g_task_get_task_data(task);
    gint64 left_ms = (start->deadline - g_get_monotonic_time()) / 1000;

    bp_qmp_monitor_connect_async(start->st->layout->qmp_socket, MAX(left_ms, 1),
                                 g_task_get_cancellable(task),
                                 bp_storage_start_connect_cb, task);
}


static void bp_storage_start_next_chain(GTask *task);


static void
bp_storage_start_chain_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    BpStorageStart *start = g_task_get_task_data(task);
    BpQemuDiskSpec *full;
    GError *err = NULL;

    if (!(full = bp_qemu_offline_complete_chain_finish(result, &err))) {
        bp_storage_start_fail(task, err);
        return;
    }
    g_ptr_array_add(start->st->disks, full);
    bp_storage_start_next_chain(task);
}


static void
bp_storage_start_next_chain(GTask *task)
{
    BpStorageStart *start = g_task_get_task_data(task);
    GError *err = NULL;

    if (start->next < start->specs->len) {
        bp_qemu_offline_complete_chain_async(start->st->config,
                                             g_ptr_array_index(start->specs, start->next++),
                                             g_task_get_cancellable(task),
                                             bp_storage_start_chain_cb, task);
        return;
    }
    if (!bp_storage_spawn(start->st, &err)) {
        bp_storage_start_fail(task, err);
        return;
    }
    start->deadline = g_get_monotonic_time() +
        (gint64) (start->st->config->start_timeout_ms ? start->st->config->start_timeout_ms
                                                      : BP_STORAGE_DEFAULT_TIMEOUT_MS) * 1000;
    bp_storage_start_connect(task);
}


void
bp_qemu_storage_start_async(const BpQemuRuntimeConfig *config,
                            BpQemuDiskSpec *const *disks,
                            size_t ndisks,
                            BpQemuStorageStartFlags flags,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpStorageStart *start = g_new0(BpStorageStart, 1);
    GError *err = NULL;

    g_task_set_source_tag(task, bp_qemu_storage_start_async);
    start->st = bp_qemu_storage_new(config, flags);
    start->specs = g_ptr_array_new_with_free_func((GDestroyNotify) bp_qemu_disk_spec_free);
    for (size_t i = 0; i < ndisks; i++)
        g_ptr_array_add(start->specs, bp_qemu_disk_spec_copy(disks[i]));
    g_task_set_task_data(task, start, (GDestroyNotify) bp_storage_start_free);
    if (ndisks == 0) {
        bp_storage_start_fail(task, g_error_new(BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                                                _("domain %s has no disk to open"),
                                                config->domain));
        return;
    }
    if (!bp_storage_check_not_running(start->st, &err)) {
        bp_storage_start_fail(task, err);
        return;
    }
    bp_storage_start_next_chain(task);
}


BpQemuStorage *
bp_qemu_storage_start_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


/* ---- reconnect ------------------------------------------------------------- */

static void
bp_storage_reconnect_graph_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpQemuStorage *st = g_task_get_task_data(task);
    g_autoptr(BpBlockGraph) graph = NULL;
    GError *err = NULL;

    if (!(graph = bp_block_graph_read_finish(st->mon, result, &err))) {
        g_task_return_error(task, err);
        return;
    }
    for (guint i = 0; i < st->disks->len; i++) {
        BpQemuDiskSpec *spec = g_ptr_array_index(st->disks, i);
        BpQemuLayer *top = bp_qemu_disk_spec_layer(spec, 0);
        BpBlockNode *node = top->node_name ? bp_block_graph_lookup(graph, top->node_name)
                                           : bp_block_graph_find_by_filename(graph, top->path,
                                                                              &err);

        if (!node) {
            if (!err)
                err = g_error_new(BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                                  _("disk '%s': qemu-storage-daemon has no node '%s'"),
                                  spec->target, top->node_name);
            g_prefix_error(&err, _("reconnecting to domain %s: "), st->config->domain);
            g_task_return_error(task, err);
            return;
        }
        g_hash_table_insert(st->layout->top_nodes, g_strdup(spec->target), g_strdup(node->node_name));
    }
    g_task_return_pointer(task, g_object_ref(st), g_object_unref);
}


static void
bp_storage_reconnect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpQemuStorage *st = g_task_get_task_data(task);
    GCancellable *cancellable;
    GError *err = NULL;

    if (!(st->mon = bp_qmp_monitor_connect_finish(result, &err))) {
        g_task_return_error(task, err);
        return;
    }
    cancellable = g_task_get_cancellable(task);
    bp_block_graph_read_async(st->mon, NULL, 0, cancellable,
                              bp_storage_reconnect_graph_cb, g_steal_pointer(&task));
}


void
bp_qemu_storage_reconnect_async(const BpQemuRuntimeConfig *config,
                                BpQemuDiskSpec *const *disks,
                                size_t ndisks,
                                GPid pid,
                                const char *qmp_socket,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_autoptr(BpQemuStorage) st = bp_qemu_storage_new(config, BP_QEMU_STORAGE_START_DEFAULT);
    GError *err = NULL;

    g_task_set_source_tag(task, bp_qemu_storage_reconnect_async);
    g_free(st->layout->qmp_socket);
    st->layout->qmp_socket = g_strdup(qmp_socket);
    st->pid = pid;
    for (size_t i = 0; i < ndisks; i++)
        g_ptr_array_add(st->disks, bp_qemu_disk_spec_copy(disks[i]));
    g_task_set_task_data(task, g_object_ref(st), g_object_unref);

    if (!bp_qemu_storage_process_matches(pid, qmp_socket)) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_QEMU,
                                _("the qemu-storage-daemon of domain %s (pid %d, QMP %s) "
                                  "is no longer running"),
                                config->domain, pid, qmp_socket);
        return;
    }
    if (!bp_qsd_layout_plan_exports(st->layout, st->disks, &err)) {
        g_task_return_error(task, err);
        return;
    }
    st->running = TRUE;
    bp_qemu_storage_watch_pid(st);
    bp_qmp_monitor_connect_async(qmp_socket, st->config->start_timeout_ms, cancellable,
                                 bp_storage_reconnect_cb, g_steal_pointer(&task));
}


BpQemuStorage *
bp_qemu_storage_reconnect_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


/* ---- stop -------------------------------------------------------------------- */

static gboolean
bp_storage_stop_timeout_cb(gpointer user_data)
{
    BpQemuStorage *st = user_data;

    bp_storage_clear_source(&st->stop_timeout);
    g_warning("qemu-storage-daemon of domain %s (pid %d) did not exit after quit; killing it",
              st->config->domain, st->pid);
    st->killed = TRUE;
    bp_qemu_storage_signal(st, SIGKILL);
    return G_SOURCE_REMOVE;
}


static void
bp_storage_quit_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(BpQemuStorage) st = user_data;
    g_autoptr(GError) err = NULL;

    if (bp_qmp_command_finish(BP_QMP_MONITOR(source), result, &err)) {
        st->quit_acked = TRUE;
        return;
    }
    /* QMP refused or broke: SIGTERM makes QSD shut down just as cleanly. */
    g_debug("domain %s: quit failed (%s), sending SIGTERM", st->config->domain, err->message);
    st->term_sent = TRUE;
    bp_qemu_storage_signal(st, SIGTERM);
}


void
bp_qemu_storage_stop_async(BpQemuStorage *st,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
    GTask *task = g_task_new(st, cancellable, callback, user_data);
    guint timeout = st->config->stop_timeout_ms ? st->config->stop_timeout_ms
                                                : BP_STORAGE_DEFAULT_TIMEOUT_MS;

    g_task_set_source_tag(task, bp_qemu_storage_stop_async);
    if (!st->running) {
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
        return;
    }
    g_ptr_array_add(st->stop_tasks, task);
    if (st->stop_requested)
        return;
    st->stop_requested = TRUE;
    if (st->mon && bp_qmp_monitor_is_ready(st->mon)) {
        bp_qmp_quit_async(st->mon, NULL, bp_storage_quit_cb, g_object_ref(st));
    } else {
        st->term_sent = TRUE;
        bp_qemu_storage_signal(st, SIGTERM);
    }
    st->stop_timeout = g_timeout_source_new(timeout);
    g_source_set_callback(st->stop_timeout, bp_storage_stop_timeout_cb, st, NULL);
    g_source_attach(st->stop_timeout, st->context);
}


gboolean
bp_qemu_storage_stop_finish(BpQemuStorage *st, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, st), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}


void
bp_qemu_storage_kill(BpQemuStorage *st, int signum)
{
    if (!st->running)
        return;
    st->stop_requested = TRUE;
    if (signum == SIGKILL)
        st->killed = TRUE;
    else
        st->term_sent = TRUE;
    bp_qemu_storage_signal(st, signum);
}


/* ---- graph and accessors ---------------------------------------------------- */

void
bp_qemu_storage_read_graph_async(BpQemuStorage *st,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
    GTask *task = g_task_new(st, cancellable, callback, user_data);
    g_autofree BpBlockDiskRef *refs = g_new0(BpBlockDiskRef, st->disks->len + 1);

    g_task_set_source_tag(task, bp_qemu_storage_read_graph_async);
    if (!st->mon || bp_qmp_monitor_is_closed(st->mon)) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                                _("domain %s: qemu-storage-daemon is not running"),
                                st->config->domain);
        g_object_unref(task);
        return;
    }
    for (guint i = 0; i < st->disks->len; i++) {
        BpQemuDiskSpec *spec = g_ptr_array_index(st->disks, i);

        refs[i].target = spec->target;
        refs[i].top_node = g_hash_table_lookup(st->layout->top_nodes, spec->target);
    }
    bp_block_graph_read_async(st->mon, refs, st->disks->len, cancellable,
                              bp_block_graph_read_task_cb, task);
}


BpBlockGraph *
bp_qemu_storage_read_graph_finish(BpQemuStorage *st, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, st), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


gboolean
bp_qemu_storage_is_running(BpQemuStorage *st)
{
    return st->running;
}


gboolean
bp_qemu_storage_is_child(BpQemuStorage *st)
{
    return st->is_child;
}


GPid
bp_qemu_storage_get_pid(BpQemuStorage *st)
{
    return st->pid;
}


BpQmpMonitor *
bp_qemu_storage_get_monitor(BpQemuStorage *st)
{
    return st->mon && !bp_qmp_monitor_is_closed(st->mon) ? st->mon : NULL;
}


const char *
bp_qemu_storage_get_qmp_socket(BpQemuStorage *st)
{
    return st->layout->qmp_socket;
}


const char *
bp_qemu_storage_get_nbd_socket(BpQemuStorage *st)
{
    return st->layout->nbd_socket;
}


const char *
bp_qemu_storage_get_log_path(BpQemuStorage *st)
{
    return st->layout->log_path;
}


const char *
bp_qemu_storage_get_export_socket(BpQemuStorage *st, const char *target)
{
    return g_hash_table_lookup(st->layout->export_sockets, target);
}


char *
bp_qemu_storage_get_export_uri(BpQemuStorage *st, const char *target)
{
    for (guint i = 0; i < st->disks->len; i++) {
        BpQemuDiskSpec *spec = g_ptr_array_index(st->disks, i);

        if (g_str_equal(spec->target, target) &&
            spec->export_type == BP_QEMU_EXPORT_NBD &&
            g_hash_table_contains(st->layout->export_sockets, target))
            return g_strdup_printf("nbd+unix:///%s?socket=%s", target, st->layout->nbd_socket);
    }
    return NULL;
}


const char *
bp_qemu_storage_get_top_node(BpQemuStorage *st, const char *target)
{
    return g_hash_table_lookup(st->layout->top_nodes, target);
}


void
bp_qemu_storage_set_top_node(BpQemuStorage *st, const char *target, const char *node_name)
{
    g_hash_table_insert(st->layout->top_nodes, g_strdup(target), g_strdup(node_name));
}


GPtrArray *
bp_qemu_storage_get_disks(BpQemuStorage *st)
{
    return st->disks;
}


const BpQemuExitInfo *
bp_qemu_storage_get_exit_info(BpQemuStorage *st)
{
    return st->exit_info;
}


static void
bp_qemu_storage_dispose(GObject *object)
{
    BpQemuStorage *st = BP_QEMU_STORAGE(object);

    /* Dropping the object never stops QSD: stop it explicitly.  The child
     * watch stays attached (it only holds a weak reference) to reap it. */
    g_clear_pointer(&st->child_watch, g_source_unref);
    bp_storage_clear_source(&st->exit_source);
    bp_storage_clear_source(&st->stop_timeout);
    if (st->pidfd >= 0) {
        close(st->pidfd);
        st->pidfd = -1;
    }
    if (st->mon) {
        bp_qmp_monitor_close(st->mon);
        g_clear_object(&st->mon);
    }
    G_OBJECT_CLASS(bp_qemu_storage_parent_class)->dispose(object);
}


static void
bp_qemu_storage_finalize(GObject *object)
{
    BpQemuStorage *st = BP_QEMU_STORAGE(object);

    bp_qemu_runtime_config_free(st->config);
    g_ptr_array_unref(st->disks);
    g_ptr_array_unref(st->stop_tasks);
    bp_qemu_exit_info_free(st->exit_info);
    g_main_context_unref(st->context);
    bp_qsd_layout_free(st->layout);
    G_OBJECT_CLASS(bp_qemu_storage_parent_class)->finalize(object);
}


static void
bp_qemu_storage_init(BpQemuStorage *st)
{
    st->disks = g_ptr_array_new_with_free_func((GDestroyNotify) bp_qemu_disk_spec_free);
    st->stop_tasks = g_ptr_array_new_with_free_func(g_object_unref);
    st->pidfd = -1;
}


static void
bp_qemu_storage_class_init(BpQemuStorageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = bp_qemu_storage_dispose;
    object_class->finalize = bp_qemu_storage_finalize;

    bp_qemu_storage_signals[SIGNAL_EXITED] =
        g_signal_new("exited", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                     0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}
