/*
 * bp-block-access.h: where a domain's bitmaps are changed, whether the
 * domain runs or not.
 *
 * The checkpoint operations read a node graph, hand it to the planner
 * and carry out the planned actions.  A block access hides how:
 *
 *   - RUN: a running domain (storage or attach runtime): the graph is
 *     read over QMP and a list of actions is one QMP "transaction", so it
 *     happens completely or not at all;
 *   - OFFLINE: a domain that is not running: the graph comes from
 *     qemu-img info and each action is one qemu-img bitmap call, in
 *     order, stopping at the first failure (so a failure can leave the
 *     earlier actions done: the caller reads the graph again to see);
 *   - STORAGE: a short-lived read-only qemu-storage-daemon for a domain
 *     that is not running (bp_block_access_open_live_async()), for what
 *     qemu-img cannot do: dirty counts of temporary bitmaps.  Nothing
 *     persistent can be changed through it.
 *
 * A block access is reference counted and used from one main context.
 */
#pragma once

#include <gio/gio.h>

#include "bp-domain-run.h"
#include "conf/bp-domain-conf.h"
#include "qemu/bp-block-graph.h"
#include "qemu/bp-qemu-types.h"

G_BEGIN_DECLS

typedef enum {
    BP_BLOCK_ACCESS_RUN,
    BP_BLOCK_ACCESS_OFFLINE,
    BP_BLOCK_ACCESS_STORAGE,
} BpBlockAccessKind;

typedef struct _BpBlockAccess BpBlockAccess;

/* The running domain @run (a reference is taken). */
BpBlockAccess *bp_block_access_new_run(BpDomainRun *run);

/* Domain @def, not running: its images through qemu-img, with the
 * programs of @config (whose runtime directory a read-only
 * qemu-storage-daemon would use).  BP_ERROR_CONFIG_UNSUPPORTED for a
 * disk that cannot be opened (bp_domain_runtime_disk_specs()). */
BpBlockAccess *bp_block_access_new_offline(const BpDomainDef *def,
                                           const BpQemuRuntimeConfig *config,
                                           GError **error);

BpBlockAccess *bp_block_access_ref(BpBlockAccess *access);
void bp_block_access_unref(BpBlockAccess *access);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpBlockAccess, bp_block_access_unref)

BpBlockAccessKind bp_block_access_get_kind(BpBlockAccess *access);
/* TRUE for RUN and STORAGE: a QEMU holds the images. */
gboolean bp_block_access_is_live(BpBlockAccess *access);
/* The definition the disks come from: as running (RUN) or the
 * persistent one. */
const BpDomainDef *bp_block_access_get_def(BpBlockAccess *access);
/* The QMP connection (RUN, STORAGE), else NULL. */
BpQmpMonitor *bp_block_access_get_monitor(BpBlockAccess *access);
/* The unix socket of the NBD server the domain's QEMU already runs (RUN
 * only: the storage runtime's), else NULL; and the directory for the
 * domain's sockets (RUN: the runtime directory, STORAGE: the read-only
 * daemon's), else NULL. */
const char *bp_block_access_get_nbd_socket(BpBlockAccess *access);
const char *bp_block_access_get_runtime_dir(BpBlockAccess *access);
/* RUN: the running domain (borrowed); otherwise NULL. */
BpDomainRun *bp_block_access_get_run(BpBlockAccess *access);
/* OFFLINE, STORAGE: the programs and runtime directory; otherwise NULL. */
const BpQemuRuntimeConfig *bp_block_access_get_config(BpBlockAccess *access);

/* Reads the node graph of every disk.  Errors: those of the runtime
 * (BP_ERROR_QEMU, BP_ERROR_OPERATION_INVALID when the domain stopped),
 * offline those of qemu-img (BP_ERROR_BUSY for an image another process
 * holds). */
void bp_block_access_read_graph_async(BpBlockAccess *access,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data);
BpBlockGraph *bp_block_access_read_graph_finish(GAsyncResult *result,
                                                GError **error);

/*
 * Carries out @actions (BpPlanAction*, see bp-plan.h; copied) on the
 * nodes of @graph: live, one QMP transaction (nothing is sent for an
 * empty list); offline, one qemu-img bitmap call per action, where only
 * persistent bitmaps exist (a transient add or a merge into a transient
 * bitmap fails with BP_ERROR_OPERATION_UNSUPPORTED before anything
 * runs).  Errors: BP_ERROR_QEMU (QEMU or qemu-img refused; its
 * message), BP_ERROR_TIMEOUT (QEMU did not answer: the outcome is
 * unknown), BP_ERROR_BUSY, BP_ERROR_INVALID_ARGUMENT (a node the graph
 * does not have).
 */
void bp_block_access_apply_async(BpBlockAccess *access,
                                 const BpBlockGraph *graph,
                                 const GPtrArray *actions,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
gboolean bp_block_access_apply_finish(GAsyncResult *result, GError **error);

/*
 * Reopens the nodes @nodes (node names of @graph) read-write
 * (@read_write) or read-only again, in one blockdev-reopen, with the
 * options the graph knows (driver, file and backing children).  Offline
 * and for an empty list this does nothing.  Reopening read-only writes
 * the node's persistent bitmaps into its image.
 */
void bp_block_access_reopen_async(BpBlockAccess *access,
                                  const BpBlockGraph *graph,
                                  const GPtrArray *nodes,
                                  gboolean read_write,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
gboolean bp_block_access_reopen_finish(GAsyncResult *result, GError **error);

/*
 * A live access to the same disks: @access itself (a new reference)
 * when it is live, else a read-only qemu-storage-daemon started for the
 * domain's disks in "<runtime dir>/ro" (STORAGE).  Close it with
 * bp_block_access_close_async() when done.
 */
void bp_block_access_open_live_async(BpBlockAccess *access,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
BpBlockAccess *bp_block_access_open_live_finish(GAsyncResult *result,
                                                GError **error);
/* Stops the read-only qemu-storage-daemon of a STORAGE access; nothing
 * for the others.  Never fails. */
void bp_block_access_close_async(BpBlockAccess *access,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
void bp_block_access_close_finish(GAsyncResult *result);

G_END_DECLS
