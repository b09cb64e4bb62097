/*
 * bp-runtime-attach.h: a domain whose block layer lives in a QEMU that
 * somebody else started (qemu-system-* or qemu-storage-daemon).
 *
 * We connect to the QMP socket the domain names, match each disk to the
 * block node of its active layer — by the layer's node name when the
 * domain gives one, else by the image's file name — and otherwise only
 * send commands.  Nothing is launched, stopped or killed: detaching
 * closes our QMP connection and the QEMU runs on.  Remember that a QMP
 * socket serves one client at a time; the owner must give blkpoint a
 * monitor of its own.
 */
#pragma once

#include <gio/gio.h>

#include "bp-block-graph.h"
#include "bp-qemu-types.h"
#include "bp-qmp-monitor.h"

G_BEGIN_DECLS

#define BP_TYPE_QEMU_ATTACH (bp_qemu_attach_get_type())
G_DECLARE_FINAL_TYPE(BpQemuAttach, bp_qemu_attach, BP, QEMU_ATTACH, GObject)

/*
 * Connects to @qmp_socket and matches @disks.  @timeout_ms bounds the
 * wait for the greeting (0 = default).  Fails with BP_ERROR_TIMEOUT (no
 * greeting: often another client holds the socket), a G_IO_ERROR from
 * connecting, BP_ERROR_INVALID_ARGUMENT (a disk matches no node or
 * several) or BP_ERROR_QEMU.
 */
void bp_qemu_attach_async(const char *domain,
                          const char *qmp_socket,
                          BpQemuDiskSpec *const *disks,
                          size_t ndisks,
                          guint timeout_ms,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data);
BpQemuAttach *bp_qemu_attach_finish(GAsyncResult *result, GError **error);

/* Reads the node graph with every disk's chain resolved. */
void bp_qemu_attach_read_graph_async(BpQemuAttach *attach,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
BpBlockGraph *bp_qemu_attach_read_graph_finish(BpQemuAttach *attach,
                                               GAsyncResult *result,
                                               GError **error);

/* The QMP connection, NULL once it is closed. */
BpQmpMonitor *bp_qemu_attach_get_monitor(BpQemuAttach *attach);
const char *bp_qemu_attach_get_qmp_socket(BpQemuAttach *attach);
const char *bp_qemu_attach_get_top_node(BpQemuAttach *attach, const char *target);
void bp_qemu_attach_set_top_node(BpQemuAttach *attach, const char *target,
                                 const char *node_name);
gboolean bp_qemu_attach_is_connected(BpQemuAttach *attach);

/* Closes our QMP connection; the QEMU keeps running.  Idempotent. */
void bp_qemu_attach_detach(BpQemuAttach *attach);

/*
 * Signal "disconnected": void (*)(BpQemuAttach *attach, const GError *why,
 * gpointer user_data), emitted once when the connection ends for any
 * reason other than bp_qemu_attach_detach() (typically: the QEMU exited).
 */

G_END_DECLS
