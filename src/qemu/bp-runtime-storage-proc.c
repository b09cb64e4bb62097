/*
 * bp-runtime-storage-proc.c: supervising a domain's qemu-storage-daemon
 * process — noticing its exit at once (child watch for our own child,
 * pidfd or polling for one a previous blkpointd started), recording how
 * it ended, and signalling it.
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
#include "bp-runtime-storage-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"


void
bp_storage_clear_source(GSource **source)
{
    if (*source) {
        g_source_destroy(*source);
        g_source_unref(*source);
        *source = NULL;
    }
}


void
bp_qemu_exit_info_free(BpQemuExitInfo *info)
{
    if (!info)
        return;
    g_free(info->message);
    g_free(info);
}


BpQemuStorage *
bp_qemu_storage_new(const BpQemuRuntimeConfig *config, BpQemuStorageStartFlags flags)
{
    BpQemuStorage *st = g_object_new(BP_TYPE_QEMU_STORAGE, NULL);

    st->config = bp_qemu_runtime_config_copy(config);
    st->flags = flags;
    st->context = g_main_context_ref_thread_default();
    st->layout = bp_qsd_layout_new(config->runtime_dir,
                                   flags & BP_QEMU_STORAGE_START_READ_ONLY);
    return st;
}


/* The last lines QSD wrote in this run, on one line (for messages). */
char *
bp_qemu_storage_log_tail(BpQemuStorage *st)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GPtrArray) kept = g_ptr_array_new();
    guint n;

    if (!g_file_get_contents(st->layout->log_path, &text, &len, NULL) || (goffset) len <= st->log_start)
        return g_strdup(_("no output"));
    lines = g_strsplit(text + st->log_start, "\n", -1);
    n = g_strv_length(lines);
    for (guint i = n > 4 ? n - 4 : 0; i < n; i++) {
        char *line = g_strstrip(lines[i]);

        if (*line)
            g_ptr_array_add(kept, line);
    }
    g_ptr_array_add(kept, NULL);
    return g_strjoinv("; ", (char **) kept->pdata);
}


/* Records the exit (once), completes stop requests and emits "exited".
 * @status and @signum are -1/0 when unknown. */
static void
bp_qemu_storage_exited(BpQemuStorage *st, int status, int signum)
{
    g_autoptr(BpQemuStorage) hold = g_object_ref(st);
    g_autoptr(GPtrArray) tasks = NULL;
    BpQemuExitInfo *info;
    g_autofree char *how = NULL;

    if (!st->running)
        return;
    st->running = FALSE;
    info = g_new0(BpQemuExitInfo, 1);
    info->requested = st->stop_requested;
    info->killed = st->killed;
    info->exit_status = status;
    info->term_signal = signum;
    if (st->flags & BP_QEMU_STORAGE_START_READ_ONLY)
        info->clean = TRUE;     /* nothing was open for writing */
    else if (st->is_child)
        info->clean = status == 0 && !st->killed;
    else
        info->clean = st->stop_requested && (st->quit_acked || st->term_sent) && !st->killed;

    if (signum > 0)
        how = g_strdup_printf(_("was killed by signal %d (%s)"), signum, g_strsignal(signum));
    else if (status >= 0)
        how = g_strdup_printf(_("exited with status %d"), status);
    else
        how = g_strdup(_("exited (status unknown: not started by this daemon)"));
    if (info->clean) {
        info->message = g_strdup_printf(_("qemu-storage-daemon of domain %s (pid %d) %s; "
                                          "its bitmaps are consistent"),
                                        st->config->domain, st->pid, how);
    } else {
        g_autofree char *tail = bp_qemu_storage_log_tail(st);

        info->message = g_strdup_printf(_("qemu-storage-daemon of domain %s (pid %d) %s%s; "
                                          "bitmaps of writable images are now inconsistent "
                                          "(last output: %s)"),
                                        st->config->domain, st->pid, how,
                                        st->killed ? _(" after it ignored quit")
                                        : st->stop_requested ? "" : _(" unexpectedly"),
                                        tail);
    }
    st->exit_info = info;
    /* A failed start is reported to the caller of start, not logged. */
    if (info->clean || st->starting)
        g_debug("%s", info->message);
    else
        g_warning("%s", info->message);

    bp_storage_clear_source(&st->exit_source);
    bp_storage_clear_source(&st->stop_timeout);
    if (st->pidfd >= 0) {
        close(st->pidfd);
        st->pidfd = -1;
    }
    /* Not G_IO_ERROR_CANCELLED: the commands of a job in flight fail
     * because QEMU went, which is no cancel of the job. */
    if (st->mon)
        bp_qmp_monitor_close_with_error(st->mon, g_error_new_literal(BP_ERROR, BP_ERROR_QEMU,
                                                                     info->message));

    tasks = g_steal_pointer(&st->stop_tasks);
    st->stop_tasks = g_ptr_array_new_with_free_func(g_object_unref);
    for (guint i = 0; i < tasks->len; i++)
        g_task_return_boolean(g_ptr_array_index(tasks, i), TRUE);

    g_signal_emit_by_name(st, "exited");
}


void
bp_qemu_storage_weak_free(gpointer data)
{
    g_weak_ref_clear(data);
    g_free(data);
}


/* Our QSD child exited and is reaped.  The watch outlives a dropped
 * object (QSD lives on without us) so that the child is still reaped. */
void
bp_qemu_storage_child_exited_cb(GPid pid, int wait_status, gpointer user_data)
{
    g_autoptr(BpQemuStorage) st = g_weak_ref_get(user_data);

    if (!st)
        return;
    if (WIFSIGNALED(wait_status))
        bp_qemu_storage_exited(st, -1, WTERMSIG(wait_status));
    else
        bp_qemu_storage_exited(st, WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1, 0);
}


/* A QSD that is not our child exited: its exit status is unknown, so
 * whether it shut down cleanly depends on its reply to quit.  That reply
 * may still sit unread in the QMP socket when the exit watch fires first
 * (both become ready in the same main loop iteration): read it now. */
static void
bp_qemu_storage_foreign_exited(BpQemuStorage *st)
{
    g_autoptr(BpQemuStorage) hold = g_object_ref(st);

    if (st->mon)
        bp_qmp_monitor_drain(st->mon);
    bp_qemu_storage_exited(st, -1, 0);
}


static gboolean
bp_qemu_storage_pidfd_cb(int fd, GIOCondition cond, gpointer user_data)
{
    bp_qemu_storage_foreign_exited(user_data);
    return G_SOURCE_REMOVE;
}


static gboolean
bp_qemu_storage_poll_cb(gpointer user_data)
{
    BpQemuStorage *st = user_data;

    if (kill(st->pid, 0) < 0 && errno == ESRCH) {
        bp_qemu_storage_foreign_exited(st);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}


/* Watches a QSD that is not our child: a pidfd becomes readable the
 * moment the process exits; without pidfd support we poll. */
void
bp_qemu_storage_watch_pid(BpQemuStorage *st)
{
#ifdef SYS_pidfd_open
    st->pidfd = syscall(SYS_pidfd_open, st->pid, 0);
#endif
    if (st->pidfd >= 0) {
        st->exit_source = g_unix_fd_source_new(st->pidfd, G_IO_IN);
        g_source_set_callback(st->exit_source, G_SOURCE_FUNC(bp_qemu_storage_pidfd_cb),
                              st, NULL);
    } else {
        st->exit_source = g_timeout_source_new(100);
        g_source_set_callback(st->exit_source, bp_qemu_storage_poll_cb, st, NULL);
    }
    g_source_attach(st->exit_source, st->context);
}


void
bp_qemu_storage_signal(BpQemuStorage *st, int signum)
{
    if (!st->running)
        return;
    /* A child is reaped only by our watch, which marks it not running
     * first: its pid cannot have been reused yet. */
    if (st->is_child)
        kill(st->pid, signum);
    else if (bp_qemu_storage_process_matches(st->pid, st->layout->qmp_socket))
        kill(st->pid, signum);
}



gboolean
bp_qemu_storage_process_matches(GPid pid, const char *qmp_socket)
{
    return bp_qsd_process_matches(pid, qmp_socket);
}
