/*
 * bp-domain-run.h: a running domain, whatever its runtime.
 *
 * One object per running domain hides whether its block layer is a
 * qemu-storage-daemon we launched (storage runtime) or a QEMU somebody
 * else runs (attach runtime): it is started or found again, shut down or
 * destroyed, and it reports once, with the "stopped" signal, that the
 * domain no longer runs, whether asked to or not.  The offline runtime
 * never runs: starting such a domain fails with
 * BP_ERROR_OPERATION_UNSUPPORTED.
 *
 * Nothing here writes the catalogue (bp-domain-ops.h does); the status
 * file in the runtime directory is written on start.
 */
#pragma once

#include <gio/gio.h>

#include "conf/bp-domain-conf.h"
#include "qemu/bp-block-graph.h"
#include "qemu/bp-qemu-types.h"

G_BEGIN_DECLS

#define BP_TYPE_DOMAIN_RUN (bp_domain_run_get_type())
G_DECLARE_FINAL_TYPE(BpDomainRun, bp_domain_run, BP, DOMAIN_RUN, GObject)

/*
 * Starts @def with @config (its runtime_dir is the domain's runtime
 * directory): storage launches qemu-storage-daemon with every disk's
 * chain and exports; attach connects to the definition's QMP socket and
 * matches the disks.  On success the definition as started is saved in
 * the runtime directory.  Errors: BP_ERROR_OPERATION_UNSUPPORTED
 * (offline runtime), BP_ERROR_CONFIG_UNSUPPORTED (no disk to open, a
 * storage type that cannot be opened), and those of the runtimes
 * (BP_ERROR_QEMU, BP_ERROR_BUSY, BP_ERROR_EXISTS, BP_ERROR_TIMEOUT, ...).
 */
void bp_domain_run_start_async(const BpDomainDef *def,
                               const BpQemuRuntimeConfig *config,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
BpDomainRun *bp_domain_run_start_finish(GAsyncResult *result, GError **error);

/*
 * Finds a domain that a previous daemon left running: @pid and
 * @monitor_path as recorded when it started (@pid 0 for the attach
 * runtime).  @def should be the definition it was started with
 * (bp_domain_ops_load_status()).  Fails with BP_ERROR_QEMU when the
 * process is gone.
 */
void bp_domain_run_reconnect_async(const BpDomainDef *def,
                                   const BpQemuRuntimeConfig *config,
                                   GPid pid,
                                   const char *monitor_path,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data);
BpDomainRun *bp_domain_run_reconnect_finish(GAsyncResult *result, GError **error);

/*
 * Stops the domain cleanly: storage: QMP quit (bitmaps are written), then
 * SIGKILL after the stop timeout; attach: closes our monitor connection
 * only.  Completes once "stopped" was emitted; the outcome is in
 * bp_domain_run_get_exit_clean()/_message().
 */
void bp_domain_run_shutdown_async(BpDomainRun *run,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
gboolean bp_domain_run_shutdown_finish(BpDomainRun *run, GAsyncResult *result,
                                       GError **error);

/*
 * Stops the domain at once: storage: SIGTERM, then SIGKILL when it has
 * not exited within the stop timeout; with @graceful no SIGKILL is sent
 * and the call fails with BP_ERROR_TIMEOUT instead (the domain keeps
 * running).  Attach: closes our monitor connection.
 */
void bp_domain_run_destroy_async(BpDomainRun *run,
                                 gboolean graceful,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
gboolean bp_domain_run_destroy_finish(BpDomainRun *run, GAsyncResult *result,
                                      GError **error);

/* Lets go of the domain without stopping it (the daemon exits): closes
 * the monitor connection; no "stopped" signal follows. */
void bp_domain_run_detach(BpDomainRun *run);

gboolean bp_domain_run_is_running(BpDomainRun *run);
BpRuntimeType bp_domain_run_get_runtime(BpDomainRun *run);
/* The storage runtime's qemu-storage-daemon, 0 for attach. */
GPid bp_domain_run_get_pid(BpDomainRun *run);
/* The QMP socket a restarted daemon reconnects to. */
const char *bp_domain_run_get_monitor_path(BpDomainRun *run);
/* The definition as running (chains as opened). */
const BpDomainDef *bp_domain_run_get_def(BpDomainRun *run);
/* Where @target is served: an NBD URI, a vhost-user-blk socket path, or
 * NULL (not exported, attach runtime). */
char *bp_domain_run_get_export(BpDomainRun *run, const char *target);
/* The unix socket of the NBD server the domain's QEMU already runs (the
 * storage runtime's, when a disk is exported over NBD), else NULL. */
const char *bp_domain_run_get_nbd_socket(BpDomainRun *run);
/* The domain's runtime directory (ours, for either runtime). */
const char *bp_domain_run_get_runtime_dir(BpDomainRun *run);
/* The QMP connection to the domain's block layer; NULL when not
 * running. */
BpQmpMonitor *bp_domain_run_get_monitor(BpDomainRun *run);
/* Reads the node graph with every disk's chain resolved (the runtime's
 * read_graph).  BP_ERROR_OPERATION_INVALID when the domain no longer
 * runs. */
void bp_domain_run_read_graph_async(BpDomainRun *run,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data);
BpBlockGraph *bp_domain_run_read_graph_finish(BpDomainRun *run,
                                              GAsyncResult *result,
                                              GError **error);
/* After "stopped": whether the images were closed properly (bitmaps
 * written), and a one-line description for logs. */
/*
 * After a block job changed a disk's chain: @live (taken) becomes the
 * running definition (and the status file a reconnect reads is
 * rewritten), and the runtime learns that disk @target's active layer is
 * now node @top_node (NULL: unchanged).
 */
void bp_domain_run_update_chain(BpDomainRun *run, BpDomainDef *live,
                                const char *target, const char *top_node);
gboolean bp_domain_run_get_exit_clean(BpDomainRun *run);
const char *bp_domain_run_get_exit_message(BpDomainRun *run);

/*
 * Signal "stopped": void (*)(BpDomainRun *run, gboolean requested,
 * gpointer user_data), emitted once when the domain stops running:
 * @requested is TRUE after shutdown or destroy, FALSE when the process
 * died or the attached QEMU went away.
 */

G_END_DECLS
