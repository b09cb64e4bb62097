/*
 * bp-runtime-storage.h: the embedded runtime — one qemu-storage-daemon
 * (QSD) per running domain, launched and supervised by blkpointd.
 *
 * Starting a domain launches QSD as a child in its own session, with
 * every layer of every disk's chain opened with an explicit node name
 * (bp-qemu-types.h), each disk exported to its consumer (NBD on
 * <runtime_dir>/nbd.sock with the target as export name, or
 * vhost-user-blk on <runtime_dir>/vhost-<target>.sock), and a QMP socket
 * <runtime_dir>/qmp.sock.  The sockets are created with mode 0600 and the
 * runtime directory with 0700.  QSD's output goes to
 * <runtime_dir>/qsd.log and its pid to <runtime_dir>/qsd.pid.
 *
 * Stopping sends QMP "quit" (SIGTERM if QMP is gone), which makes QSD
 * close every image and so write its persistent bitmaps; if it has not
 * exited after stop_timeout_ms it is killed with SIGKILL, and the exit is
 * recorded as unclean.  Any exit is noticed at once ("exited" signal) and
 * described by a BpQemuExitInfo: after an unclean exit every bitmap of
 * every image that was open read-write is inconsistent (qemu-poc.md §9).
 *
 * QSD does not die with blkpointd: dropping the last reference to a
 * BpQemuStorage only closes our QMP connection.  A restarted daemon finds
 * it again with bp_qemu_storage_reconnect_async() from what it recorded
 * (pid and QMP socket path).  Nothing here writes the catalogue.
 */
#pragma once

#include <gio/gio.h>

#include "bp-block-graph.h"
#include "bp-qemu-types.h"
#include "bp-qmp-monitor.h"

G_BEGIN_DECLS

#define BP_TYPE_QEMU_STORAGE (bp_qemu_storage_get_type())
G_DECLARE_FINAL_TYPE(BpQemuStorage, bp_qemu_storage, BP, QEMU_STORAGE, GObject)

typedef enum {
    BP_QEMU_STORAGE_START_DEFAULT = 0,
    /* Every node read-only (file nodes too: only shared locks are taken,
     * bitmaps are never marked in use) and no exports: the offline
     * runtime's short-lived QSD. */
    BP_QEMU_STORAGE_START_READ_ONLY = 1 << 0,
} BpQemuStorageStartFlags;

typedef struct {
    gboolean clean;             /* images were closed properly, so persistent
                                 * bitmaps were written (always TRUE for a
                                 * read-only daemon: nothing was open rw) */
    gboolean requested;         /* blkpoint asked it to stop */
    gboolean killed;            /* blkpoint had to SIGKILL it */
    int exit_status;            /* -1 when unknown (not our child) */
    int term_signal;            /* the signal that killed it, 0 if none/unknown */
    char *message;              /* one line for logs and the catalogue */
} BpQemuExitInfo;

/*
 * Launches QSD for @disks (at least one).  Chains that are not complete
 * in the specs are read from the images first (qemu-img info), which also
 * refuses images another process holds.  The finish function returns the
 * running storage once its QMP connection is ready, or NULL with:
 * BP_ERROR_EXISTS (a QSD still runs for this runtime directory: reconnect
 * instead), BP_ERROR_BUSY (an image is locked by another process),
 * BP_ERROR_INVALID_ARGUMENT (bad node name, path too long for a socket),
 * BP_ERROR_CONFIG_UNSUPPORTED, BP_ERROR_TIMEOUT or BP_ERROR_QEMU (QSD
 * failed; its own message is included).
 */
void bp_qemu_storage_start_async(const BpQemuRuntimeConfig *config,
                                 BpQemuDiskSpec *const *disks,
                                 size_t ndisks,
                                 BpQemuStorageStartFlags flags,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
BpQemuStorage *bp_qemu_storage_start_finish(GAsyncResult *result,
                                            GError **error);

/*
 * Finds a QSD started earlier (by a previous blkpointd) again: checks that
 * @pid is alive and is the QSD serving @qmp_socket, connects to it and
 * matches each disk to its active layer (by the layer's node name when
 * given, else by file name).  Fails with BP_ERROR_QEMU when the process is
 * gone (the caller records an unclean exit) or does not answer.
 */
void bp_qemu_storage_reconnect_async(const BpQemuRuntimeConfig *config,
                                     BpQemuDiskSpec *const *disks,
                                     size_t ndisks,
                                     GPid pid,
                                     const char *qmp_socket,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
BpQemuStorage *bp_qemu_storage_reconnect_finish(GAsyncResult *result,
                                                GError **error);

/* TRUE when @pid is running and is the QSD listening on @qmp_socket. */
gboolean bp_qemu_storage_process_matches(GPid pid, const char *qmp_socket);

/*
 * Stops QSD gracefully (see above).  Completes when the process has
 * exited; the finish function returns TRUE and the outcome is in
 * bp_qemu_storage_get_exit_info().  Stopping a storage that already
 * exited completes at once.
 */
void bp_qemu_storage_stop_async(BpQemuStorage *storage,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
gboolean bp_qemu_storage_stop_finish(BpQemuStorage *storage,
                                     GAsyncResult *result,
                                     GError **error);

/*
 * Sends @signum (SIGTERM or SIGKILL) to QSD as a requested stop, without
 * QMP: the exit info then says the stop was asked for.  SIGTERM lets QSD
 * close its images, so bitmaps are written; SIGKILL leaves them
 * inconsistent.  Completion is the "exited" signal.  No-op once exited.
 */
void bp_qemu_storage_kill(BpQemuStorage *st, int signum);

/* Reads the node graph with every disk's chain resolved. */
void bp_qemu_storage_read_graph_async(BpQemuStorage *storage,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data);
BpBlockGraph *bp_qemu_storage_read_graph_finish(BpQemuStorage *storage,
                                                GAsyncResult *result,
                                                GError **error);

gboolean bp_qemu_storage_is_running(BpQemuStorage *storage);
/* TRUE when this process launched it (exit status known). */
gboolean bp_qemu_storage_is_child(BpQemuStorage *storage);
GPid bp_qemu_storage_get_pid(BpQemuStorage *storage);
/* The QMP connection; NULL once it is closed. */
BpQmpMonitor *bp_qemu_storage_get_monitor(BpQemuStorage *storage);
const char *bp_qemu_storage_get_qmp_socket(BpQemuStorage *storage);
const char *bp_qemu_storage_get_nbd_socket(BpQemuStorage *storage);
const char *bp_qemu_storage_get_log_path(BpQemuStorage *storage);
/* The socket of @target's export (nbd.sock or its vhost-user socket);
 * NULL when the disk is not exported or unknown. */
const char *bp_qemu_storage_get_export_socket(BpQemuStorage *storage,
                                              const char *target);
/* nbd+unix:///<target>?socket=<nbd.sock> for an NBD-exported disk, else NULL. */
char *bp_qemu_storage_get_export_uri(BpQemuStorage *storage, const char *target);
/* The node name of @target's active layer. */
const char *bp_qemu_storage_get_top_node(BpQemuStorage *storage, const char *target);
/* After an external snapshot or a commit, records the new active layer. */
void bp_qemu_storage_set_top_node(BpQemuStorage *storage, const char *target,
                                  const char *node_name);
/* The disks as started (chains completed); BpQemuDiskSpec*. */
GPtrArray *bp_qemu_storage_get_disks(BpQemuStorage *storage);
/* NULL while running. */
const BpQemuExitInfo *bp_qemu_storage_get_exit_info(BpQemuStorage *storage);

/*
 * Signal "exited": void (*)(BpQemuStorage *storage, gpointer user_data),
 * emitted once, as soon as the process has exited (expected or not);
 * the exit info is set by then.
 */

G_END_DECLS
