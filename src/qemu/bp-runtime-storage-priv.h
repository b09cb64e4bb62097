/*
 * bp-runtime-storage-priv.h: what the two halves of the storage runtime
 * share — bp-runtime-storage.c (start, reconnect, stop, accessors) and
 * bp-runtime-storage-proc.c (supervising the qemu-storage-daemon process:
 * exit watches, signals, the exit record).  Not for use outside them.
 */
#pragma once

#include "bp-qmp-monitor.h"
#include "bp-qsd-cmdline.h"
#include "bp-runtime-storage.h"

struct _BpQemuStorage {
    GObject parent_instance;

    BpQemuRuntimeConfig *config;
    BpQemuStorageStartFlags flags;
    GPtrArray *disks;           /* BpQemuDiskSpec* */
    GMainContext *context;

    GPid pid;
    gboolean is_child;
    GSource *child_watch;       /* reaps our child, even after we are dropped */
    int pidfd;
    GSource *exit_source;       /* pidfd watch or liveness poll */

    BpQsdLayout *layout;        /* sockets, files, node names */
    goffset log_start;          /* where this run's output begins */
    BpQmpMonitor *mon;

    gboolean running;
    gboolean starting;          /* launched, QMP not ready yet */
    gboolean stop_requested;
    gboolean quit_acked;
    gboolean term_sent;
    gboolean killed;
    BpQemuExitInfo *exit_info;
    GPtrArray *stop_tasks;      /* GTask* completed at exit */
    GSource *stop_timeout;
};

/* Removes and unrefs *@source, if any. */
void bp_storage_clear_source(GSource **source);
void bp_qemu_exit_info_free(BpQemuExitInfo *info);

/* A new, not yet started storage object. */
BpQemuStorage *bp_qemu_storage_new(const BpQemuRuntimeConfig *config,
                                   BpQemuStorageStartFlags flags);

/* The last lines QSD wrote to its log in this run (for error messages). */
char *bp_qemu_storage_log_tail(BpQemuStorage *st);

/* Child watch of a QSD we launched; holds a weak reference to @st (freed
 * with bp_qemu_storage_weak_free) so it keeps reaping after @st is gone. */
void bp_qemu_storage_weak_free(gpointer data);
void bp_qemu_storage_child_exited_cb(GPid pid, int wait_status, gpointer user_data);

/* Watches a QSD that is not our child (pidfd, else polling). */
void bp_qemu_storage_watch_pid(BpQemuStorage *st);

/* Sends @signum to the running QSD, if it still runs. */
void bp_qemu_storage_signal(BpQemuStorage *st, int signum);
