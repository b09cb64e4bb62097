/*
 * bp-qmp-monitor.h: a QMP client on the GLib main loop.
 *
 * One BpQmpMonitor is one connection to one QMP socket (a QMP chardev
 * serves a single client at a time, so there is exactly one per QEMU).
 * The monitor reads the greeting, negotiates with qmp_capabilities and
 * then sends commands, each tagged with its own "id", so that any number
 * may be in flight at once and replies are matched to their callers
 * whatever order they arrive in.  Events are delivered through the
 * detailed "event" signal (detail = the event name), so a subscriber
 * connects to "event::BLOCK_JOB_COMPLETED" to get only those.
 *
 * Every command has a timeout.  When the peer closes the connection or
 * dies, even in the middle of a reply, every pending caller gets an error,
 * "closed" is emitted once, and later commands fail at once: nothing
 * waits forever.
 *
 * All I/O happens on the thread-default main context current when the
 * monitor was created; the object is not thread-safe.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define BP_TYPE_QMP_MONITOR (bp_qmp_monitor_get_type())
G_DECLARE_FINAL_TYPE(BpQmpMonitor, bp_qmp_monitor, BP, QMP_MONITOR, GObject)

/* Timeout values for bp_qmp_monitor_command_async(). */
#define BP_QMP_TIMEOUT_DEFAULT 0u          /* the monitor's default */
#define BP_QMP_TIMEOUT_NONE G_MAXUINT      /* wait as long as it takes */

/* The default per-command and greeting timeouts, in milliseconds. */
#define BP_QMP_DEFAULT_COMMAND_TIMEOUT_MS 30000u
#define BP_QMP_DEFAULT_GREETING_TIMEOUT_MS 5000u

/*
 * Wraps an already connected stream socket (e.g. one end of a socketpair,
 * or a connected unix socket).  The monitor takes a reference on @socket,
 * switches it to non-blocking mode and starts reading at once; call
 * bp_qmp_monitor_handshake_async() before sending commands.  @name says
 * which peer this is in messages (typically the socket path).
 */
BpQmpMonitor *bp_qmp_monitor_new(GSocket *socket, const char *name);

/*
 * Waits for the QMP greeting and negotiates capabilities.  Fails with
 * BP_ERROR_TIMEOUT when no greeting arrives within @timeout_ms (0 = the
 * default; the usual cause is another client already holding the QMP
 * socket), BP_ERROR_QEMU when the peer is not speaking QMP or closes the
 * connection.  On failure the monitor is closed.
 */
void bp_qmp_monitor_handshake_async(BpQmpMonitor *mon,
                                    guint timeout_ms,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data);
gboolean bp_qmp_monitor_handshake_finish(BpQmpMonitor *mon,
                                         GAsyncResult *result,
                                         GError **error);

/*
 * Connects to the QMP unix socket at @path and does the handshake.
 * The finish function returns a ready monitor (full reference) or NULL
 * with the error set.
 */
void bp_qmp_monitor_connect_async(const char *path,
                                  guint timeout_ms,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
BpQmpMonitor *bp_qmp_monitor_connect_finish(GAsyncResult *result,
                                            GError **error);

/*
 * Sends @command with @arguments (may be NULL; the monitor takes its own
 * reference).  @timeout_ms is BP_QMP_TIMEOUT_DEFAULT, BP_QMP_TIMEOUT_NONE or
 * a number of milliseconds.  The finish function returns the "return"
 * member of the reply (a new reference, never NULL on success) or NULL
 * with BP_ERROR_QEMU (QEMU refused: the message is QEMU's "desc"),
 * BP_ERROR_TIMEOUT, G_IO_ERROR_CANCELLED, or BP_ERROR_QEMU for a closed
 * connection.  A reply arriving after a timeout or cancellation is
 * dropped; note that QEMU may still have executed the command.
 */
void bp_qmp_monitor_command_async(BpQmpMonitor *mon,
                                  const char *command,
                                  JsonObject *arguments,
                                  guint timeout_ms,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
JsonNode *bp_qmp_monitor_command_finish(BpQmpMonitor *mon,
                                        GAsyncResult *result,
                                        GError **error);

/*
 * Runs one command and iterates the monitor's main context until it
 * completes.  For tests and command-line tools only: never call it from
 * a callback of the daemon's main loop.
 */
JsonNode *bp_qmp_monitor_command_sync(BpQmpMonitor *mon,
                                      const char *command,
                                      JsonObject *arguments,
                                      GError **error);

/* Closes the connection: pending commands fail with G_IO_ERROR_CANCELLED
 * ("closed" is emitted with that error).  Idempotent. */
void bp_qmp_monitor_close(BpQmpMonitor *mon);

/* The same with @error (consumed) as the reason: what pending commands
 * fail with when the connection goes for another reason than a request
 * of blkpoint (the QEMU process exited).  Idempotent. */
void bp_qmp_monitor_close_with_error(BpQmpMonitor *mon, GError *error);

/* Reads and dispatches, right now, everything the peer has already sent
 * (replies, events, end of file) without waiting for the main loop.  For
 * a peer known to have exited: its last words (e.g. the reply to quit)
 * are then seen before its exit is acted upon.  Never blocks. */
void bp_qmp_monitor_drain(BpQmpMonitor *mon);

gboolean bp_qmp_monitor_is_ready(BpQmpMonitor *mon);
gboolean bp_qmp_monitor_is_closed(BpQmpMonitor *mon);
/* Why the connection closed, or NULL while it is open (borrowed). */
const GError *bp_qmp_monitor_get_close_error(BpQmpMonitor *mon);
const char *bp_qmp_monitor_get_name(BpQmpMonitor *mon);
GMainContext *bp_qmp_monitor_get_context(BpQmpMonitor *mon);
/* The greeting's "QMP" object (borrowed; NULL before the handshake). */
JsonObject *bp_qmp_monitor_get_greeting(BpQmpMonitor *mon);
/* QEMU's version from the greeting, e.g. 7 2 22; FALSE if unknown. */
gboolean bp_qmp_monitor_get_version(BpQmpMonitor *mon,
                                    int *major, int *minor, int *micro);
/* Number of commands sent and not yet answered (or timed out). */
guint bp_qmp_monitor_get_pending(BpQmpMonitor *mon);

void bp_qmp_monitor_set_default_timeout(BpQmpMonitor *mon, guint timeout_ms);

/*
 * Signals:
 *   "event" (detailed by event name):
 *       void (*)(BpQmpMonitor *mon, const char *name, JsonObject *data,
 *                gint64 timestamp_us, gpointer user_data)
 *     @data is never NULL (an empty object when the event has none).
 *   "closed":
 *       void (*)(BpQmpMonitor *mon, const GError *error, gpointer user_data)
 *     emitted once, after every pending command has been failed.
 */

G_END_DECLS
