/*
 * bp-qmp-monitor.c: a QMP client on the GLib main loop (see the header).
 *
 * Wire format: QMP sends one JSON object per line.  We read whatever the
 * socket has, cut complete lines off the input buffer and dispatch each:
 * the greeting ({"QMP": ...}), replies ({"return"|"error", "id"}) and
 * events ({"event", "data", "timestamp"}).  Commands are written through
 * an output buffer that is drained when the socket is writable, so a
 * slow peer never blocks the main loop.
 */
#include <config.h>

#include <string.h>
#include <gio/gunixsocketaddress.h>

#include "bp-qmp-monitor.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

/* A reply larger than this without a newline is not QMP. */
#define BP_QMP_MAX_LINE (64u * 1024 * 1024)

typedef enum {
    BP_QMP_STATE_GREETING,      /* waiting for {"QMP": ...} */
    BP_QMP_STATE_GREETED,       /* greeting seen, handshake not started */
    BP_QMP_STATE_NEGOTIATING,   /* qmp_capabilities sent */
    BP_QMP_STATE_READY,
    BP_QMP_STATE_CLOSED,
} BpQmpState;

typedef struct _BpQmpPending BpQmpPending;
typedef void (*BpQmpInternalDone)(BpQmpMonitor *mon, JsonNode *ret, GError *error);

struct _BpQmpPending {
    BpQmpMonitor *mon;          /* borrowed: the task holds a reference */
    GTask *task;                /* caller's task, or NULL for internal */
    BpQmpInternalDone internal; /* set for the monitor's own commands */
    char *id;
    char *command;
    guint timeout_ms;
    GSource *timeout;
    GSource *cancel;
};

struct _BpQmpMonitor {
    GObject parent_instance;

    GSocket *socket;
    GIOStream *stream;          /* keeps a GSocketConnection alive, may be NULL */
    char *name;
    GMainContext *context;
    GSource *read_source;
    GSource *write_source;
    GString *inbuf;
    GByteArray *outbuf;

    BpQmpState state;
    GHashTable *pending;        /* id -> BpQmpPending (owned) */
    guint64 next_id;
    guint default_timeout_ms;

    JsonObject *greeting;
    GTask *handshake;
    GSource *handshake_timeout;
    GSource *handshake_cancel;
    guint handshake_timeout_ms;
    GError *close_error;
};

enum {
    SIGNAL_EVENT,
    SIGNAL_CLOSED,
    N_SIGNALS
};
static guint bp_qmp_monitor_signals[N_SIGNALS];

G_DEFINE_TYPE(BpQmpMonitor, bp_qmp_monitor, G_TYPE_OBJECT)

static gboolean bp_qmp_monitor_flush(BpQmpMonitor *mon);


static void
bp_clear_source(GSource **source)
{
    if (*source) {
        g_source_destroy(*source);
        g_source_unref(*source);
        *source = NULL;
    }
}


static void
bp_qmp_pending_free(BpQmpPending *pending)
{
    bp_clear_source(&pending->timeout);
    bp_clear_source(&pending->cancel);
    g_clear_object(&pending->task);
    g_free(pending->id);
    g_free(pending->command);
    g_free(pending);
}


/* Removes @pending from the table and completes it with @ret or @error
 * (exactly one is set; @error is consumed). */
static void
bp_qmp_pending_complete(BpQmpPending *pending, JsonNode *ret, GError *error)
{
    BpQmpMonitor *mon = pending->mon;

    g_hash_table_steal(mon->pending, pending->id);
    bp_clear_source(&pending->timeout);
    bp_clear_source(&pending->cancel);
    if (pending->internal) {
        pending->internal(mon, ret, error);
        g_clear_error(&error);
    } else if (error) {
        g_task_return_error(pending->task, error);
    } else {
        g_task_return_pointer(pending->task, json_node_ref(ret),
                              (GDestroyNotify) json_node_unref);
    }
    bp_qmp_pending_free(pending);
}


static gboolean
bp_qmp_pending_timeout_cb(gpointer user_data)
{
    BpQmpPending *pending = user_data;

    bp_qmp_pending_complete(pending, NULL,
                            g_error_new(BP_ERROR, BP_ERROR_TIMEOUT,
                                        _("QEMU did not answer '%s' on %s within %u ms"),
                                        pending->command, pending->mon->name,
                                        pending->timeout_ms));
    return G_SOURCE_REMOVE;
}


static gboolean
bp_qmp_pending_cancel_cb(GCancellable *cancellable, gpointer user_data)
{
    BpQmpPending *pending = user_data;

    bp_qmp_pending_complete(pending, NULL,
                            g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                        _("QMP command '%s' on %s was cancelled"),
                                        pending->command, pending->mon->name));
    return G_SOURCE_REMOVE;
}


/* Queues one command; the reply completes @pending. */
static void
bp_qmp_monitor_send(BpQmpMonitor *mon,
                    BpQmpPending *pending,
                    JsonObject *arguments,
                    GCancellable *cancellable)
{
    g_autoptr(JsonObject) msg = json_object_new();
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    g_autofree char *text = NULL;

    pending->mon = mon;
    pending->id = g_strdup_printf("bp-%" G_GUINT64_FORMAT, ++mon->next_id);
    json_object_set_string_member(msg, "execute", pending->command);
    if (arguments)
        json_object_set_object_member(msg, "arguments", json_object_ref(arguments));
    json_object_set_string_member(msg, "id", pending->id);
    json_node_set_object(root, msg);
    text = json_to_string(root, FALSE);

    g_hash_table_insert(mon->pending, pending->id, pending);
    if (pending->timeout_ms != BP_QMP_TIMEOUT_NONE) {
        pending->timeout = g_timeout_source_new(pending->timeout_ms);
        g_source_set_callback(pending->timeout, bp_qmp_pending_timeout_cb,
                              pending, NULL);
        g_source_attach(pending->timeout, mon->context);
    }
    if (cancellable) {
        pending->cancel = g_cancellable_source_new(cancellable);
        g_source_set_callback(pending->cancel,
                              G_SOURCE_FUNC(bp_qmp_pending_cancel_cb),
                              pending, NULL);
        g_source_attach(pending->cancel, mon->context);
    }

    g_byte_array_append(mon->outbuf, (const guint8 *) text, strlen(text));
    g_byte_array_append(mon->outbuf, (const guint8 *) "\n", 1);
    bp_qmp_monitor_flush(mon);
}


static gboolean
bp_qmp_monitor_write_cb(GSocket *socket, GIOCondition cond, gpointer user_data)
{
    BpQmpMonitor *mon = user_data;

    bp_qmp_monitor_flush(mon);
    return G_SOURCE_CONTINUE;   /* flush destroys the source when done */
}


/* Writes as much of the output buffer as the socket takes.  Returns
 * FALSE when the connection broke (it is then closed). */
static gboolean
bp_qmp_monitor_flush(BpQmpMonitor *mon)
{
    while (mon->outbuf->len > 0) {
        g_autoptr(GError) err = NULL;
        gssize n = g_socket_send(mon->socket, (const char *) mon->outbuf->data,
                                 mon->outbuf->len, NULL, &err);

        if (n < 0) {
            if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
                if (!mon->write_source) {
                    mon->write_source = g_socket_create_source(mon->socket,
                                                               G_IO_OUT, NULL);
                    g_source_set_callback(mon->write_source,
                                          G_SOURCE_FUNC(bp_qmp_monitor_write_cb),
                                          mon, NULL);
                    g_source_attach(mon->write_source, mon->context);
                }
                return TRUE;
            }
            bp_qmp_monitor_close_with_error(mon,
                g_error_new(BP_ERROR, BP_ERROR_QEMU,
                            _("writing to QMP socket %s failed: %s"),
                            mon->name, err->message));
            return FALSE;
        }
        g_byte_array_remove_range(mon->outbuf, 0, n);
    }
    bp_clear_source(&mon->write_source);
    return TRUE;
}


static void
bp_qmp_monitor_handshake_done(BpQmpMonitor *mon, GError *error)
{
    g_autoptr(GTask) task = g_steal_pointer(&mon->handshake);

    bp_clear_source(&mon->handshake_timeout);
    bp_clear_source(&mon->handshake_cancel);
    if (!task) {
        g_clear_error(&error);
        return;
    }
    if (error)
        g_task_return_error(task, error);
    else
        g_task_return_boolean(task, TRUE);
}


static void
bp_qmp_monitor_capabilities_done(BpQmpMonitor *mon, JsonNode *ret, GError *error)
{
    if (error) {
        bp_qmp_monitor_close_with_error(mon,
            g_error_new(BP_ERROR, BP_ERROR_QEMU,
                        _("QMP capabilities negotiation with %s failed: %s"),
                        mon->name, error->message));
        return;
    }
    mon->state = BP_QMP_STATE_READY;
    bp_qmp_monitor_handshake_done(mon, NULL);
}


static void
bp_qmp_monitor_negotiate(BpQmpMonitor *mon)
{
    BpQmpPending *pending = g_new0(BpQmpPending, 1);

    mon->state = BP_QMP_STATE_NEGOTIATING;
    pending->internal = bp_qmp_monitor_capabilities_done;
    pending->command = g_strdup("qmp_capabilities");
    pending->timeout_ms = BP_QMP_TIMEOUT_NONE;   /* the handshake timeout covers it */
    bp_qmp_monitor_send(mon, pending, NULL, NULL);
}


static void
bp_qmp_monitor_handle_reply(BpQmpMonitor *mon, JsonObject *obj)
{
    const char *id = json_object_get_string_member_with_default(obj, "id", NULL);
    BpQmpPending *pending = id ? g_hash_table_lookup(mon->pending, id) : NULL;
    JsonObject *err;

    if (!pending) {
        /* Late reply to a command that timed out or was cancelled. */
        g_debug("QMP %s: dropping reply with unknown id %s", mon->name,
                id ? id : "(none)");
        return;
    }
    if (json_object_has_member(obj, "return")) {
        bp_qmp_pending_complete(pending, json_object_get_member(obj, "return"), NULL);
        return;
    }
    err = json_object_get_object_member(obj, "error");
    bp_qmp_pending_complete(pending, NULL,
        g_error_new(BP_ERROR, BP_ERROR_QEMU, _("QEMU refused '%s' on %s: %s"),
                    pending->command, mon->name,
                    err ? json_object_get_string_member_with_default(err, "desc",
                                                                     "no description")
                        : "malformed error reply"));
}


static void
bp_qmp_monitor_handle_event(BpQmpMonitor *mon, JsonObject *obj)
{
    const char *name = json_object_get_string_member_with_default(obj, "event", NULL);
    g_autoptr(JsonObject) data = NULL;
    JsonObject *ts;
    gint64 timestamp = -1;
    JsonNode *node;

    if (!name)
        return;
    node = json_object_get_member(obj, "data");
    if (node && JSON_NODE_HOLDS_OBJECT(node))
        data = json_object_ref(json_node_get_object(node));
    else
        data = json_object_new();
    node = json_object_get_member(obj, "timestamp");
    if (node && JSON_NODE_HOLDS_OBJECT(node)) {
        ts = json_node_get_object(node);
        timestamp = json_object_get_int_member_with_default(ts, "seconds", 0) * G_USEC_PER_SEC +
                    json_object_get_int_member_with_default(ts, "microseconds", 0);
    }
    g_signal_emit(mon, bp_qmp_monitor_signals[SIGNAL_EVENT],
                  g_quark_from_string(name), name, data, timestamp);
}


static void
bp_qmp_monitor_handle_line(BpQmpMonitor *mon, const char *line)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) root = json_from_string(line, &err);
    JsonObject *obj;

    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        bp_qmp_monitor_close_with_error(mon,
            g_error_new(BP_ERROR, BP_ERROR_QEMU,
                        _("QMP peer %s sent something that is not a JSON object: %s"),
                        mon->name, err ? err->message : line));
        return;
    }
    obj = json_node_get_object(root);

    if (json_object_has_member(obj, "QMP")) {
        JsonNode *qmp = json_object_get_member(obj, "QMP");

        if (!JSON_NODE_HOLDS_OBJECT(qmp)) {
            bp_qmp_monitor_close_with_error(mon,
                g_error_new(BP_ERROR, BP_ERROR_QEMU,
                            _("QMP peer %s sent an unexpected greeting"), mon->name));
            return;
        }
        if (mon->state != BP_QMP_STATE_GREETING) {
            /* QEMU 7.2 greets twice a client that connects while the
             * monitor is being set up (right after the socket appears). */
            g_debug("QMP %s: ignoring a repeated greeting", mon->name);
            return;
        }
        mon->greeting = json_object_ref(json_node_get_object(qmp));
        mon->state = BP_QMP_STATE_GREETED;
        if (mon->handshake)
            bp_qmp_monitor_negotiate(mon);
        return;
    }
    if (mon->state == BP_QMP_STATE_GREETING) {
        bp_qmp_monitor_close_with_error(mon,
            g_error_new(BP_ERROR, BP_ERROR_QEMU,
                        _("QMP peer %s did not start with a greeting; is this a QMP socket?"),
                        mon->name));
        return;
    }
    if (json_object_has_member(obj, "event"))
        bp_qmp_monitor_handle_event(mon, obj);
    else if (json_object_has_member(obj, "return") ||
             json_object_has_member(obj, "error"))
        bp_qmp_monitor_handle_reply(mon, obj);
    else
        g_debug("QMP %s: ignoring unknown message %s", mon->name, line);
}


/* Dispatches every complete line in the input buffer.  Stops early when a
 * handler closed the monitor. */
static void
bp_qmp_monitor_process_input(BpQmpMonitor *mon)
{
    char *nl;

    while (mon->state != BP_QMP_STATE_CLOSED &&
           (nl = memchr(mon->inbuf->str, '\n', mon->inbuf->len))) {
        gsize len = nl - mon->inbuf->str;
        g_autofree char *line = g_strndup(mon->inbuf->str, len);

        g_string_erase(mon->inbuf, 0, len + 1);
        g_strstrip(line);
        if (*line)
            bp_qmp_monitor_handle_line(mon, line);
    }
    if (mon->state != BP_QMP_STATE_CLOSED && mon->inbuf->len > BP_QMP_MAX_LINE) {
        bp_qmp_monitor_close_with_error(mon,
            g_error_new(BP_ERROR, BP_ERROR_QEMU,
                        _("QMP peer %s sent more than %u bytes without a line end"),
                        mon->name, BP_QMP_MAX_LINE));
    }
}


static void
bp_qmp_monitor_eof(BpQmpMonitor *mon)
{
    g_autofree char *rest = g_strstrip(g_strdup(mon->inbuf->str));

    if (*rest) {
        bp_qmp_monitor_close_with_error(mon,
            g_error_new(BP_ERROR, BP_ERROR_QEMU,
                        _("QMP connection to %s closed in the middle of a message "
                          "(%zu bytes of it received); did QEMU die?"),
                        mon->name, strlen(rest)));
    } else {
        bp_qmp_monitor_close_with_error(mon,
            g_error_new(BP_ERROR, BP_ERROR_QEMU,
                        _("QMP connection to %s closed by QEMU"), mon->name));
    }
}


static gboolean
bp_qmp_monitor_read_cb(GSocket *socket, GIOCondition cond, gpointer user_data)
{
    g_autoptr(BpQmpMonitor) mon = g_object_ref(user_data);
    char buf[65536];

    while (mon->state != BP_QMP_STATE_CLOSED) {
        g_autoptr(GError) err = NULL;
        gssize n = g_socket_receive(socket, buf, sizeof(buf), NULL, &err);

        if (n < 0) {
            if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                break;
            bp_qmp_monitor_close_with_error(mon,
                g_error_new(BP_ERROR, BP_ERROR_QEMU,
                            _("reading from QMP socket %s failed: %s"),
                            mon->name, err->message));
            break;
        }
        if (n == 0) {
            bp_qmp_monitor_eof(mon);
            break;
        }
        g_string_append_len(mon->inbuf, buf, n);
        bp_qmp_monitor_process_input(mon);
    }
    return mon->state == BP_QMP_STATE_CLOSED ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}


/* Tears the connection down, fails the handshake and every pending
 * command with a copy of @error (consumed) and emits "closed". */
void
bp_qmp_monitor_close_with_error(BpQmpMonitor *mon, GError *error)
{
    g_autoptr(BpQmpMonitor) hold = NULL;
    g_autoptr(GList) pending = NULL;

    if (mon->state == BP_QMP_STATE_CLOSED) {
        g_error_free(error);
        return;
    }
    hold = g_object_ref(mon);
    g_debug("QMP %s: closing: %s", mon->name, error->message);
    mon->state = BP_QMP_STATE_CLOSED;
    mon->close_error = error;
    bp_clear_source(&mon->read_source);
    bp_clear_source(&mon->write_source);
    g_byte_array_set_size(mon->outbuf, 0);
    if (mon->stream)
        g_io_stream_close(mon->stream, NULL, NULL);
    g_socket_close(mon->socket, NULL);

    bp_qmp_monitor_handshake_done(mon, g_error_copy(error));
    pending = g_hash_table_get_values(mon->pending);
    for (GList *l = pending; l; l = l->next)
        bp_qmp_pending_complete(l->data, NULL, g_error_copy(error));

    g_signal_emit(mon, bp_qmp_monitor_signals[SIGNAL_CLOSED], 0, mon->close_error);
}


BpQmpMonitor *
bp_qmp_monitor_new(GSocket *socket, const char *name)
{
    BpQmpMonitor *mon = g_object_new(BP_TYPE_QMP_MONITOR, NULL);

    mon->socket = g_object_ref(socket);
    mon->name = g_strdup(name ? name : "QMP peer");
    mon->context = g_main_context_ref_thread_default();
    g_socket_set_blocking(socket, FALSE);
    mon->read_source = g_socket_create_source(socket, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                              NULL);
    g_source_set_callback(mon->read_source, G_SOURCE_FUNC(bp_qmp_monitor_read_cb),
                          mon, NULL);
    g_source_attach(mon->read_source, mon->context);
    return mon;
}


static gboolean
bp_qmp_monitor_handshake_timeout_cb(gpointer user_data)
{
    BpQmpMonitor *mon = user_data;

    if (mon->state == BP_QMP_STATE_GREETING) {
        bp_qmp_monitor_close_with_error(mon,
            g_error_new(BP_ERROR, BP_ERROR_TIMEOUT,
                        _("no QMP greeting from %s within %u ms; is another client "
                          "connected to this socket?"),
                        mon->name, mon->handshake_timeout_ms));
    } else {
        bp_qmp_monitor_close_with_error(mon,
            g_error_new(BP_ERROR, BP_ERROR_TIMEOUT,
                        _("QMP capabilities negotiation with %s did not finish within %u ms"),
                        mon->name, mon->handshake_timeout_ms));
    }
    return G_SOURCE_REMOVE;
}


static gboolean
bp_qmp_monitor_handshake_cancel_cb(GCancellable *cancellable, gpointer user_data)
{
    BpQmpMonitor *mon = user_data;

    bp_qmp_monitor_close_with_error(mon,
        g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                    _("QMP handshake with %s was cancelled"), mon->name));
    return G_SOURCE_REMOVE;
}


void
bp_qmp_monitor_handshake_async(BpQmpMonitor *mon,
                               guint timeout_ms,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(mon, cancellable, callback, user_data);

    g_task_set_source_tag(task, bp_qmp_monitor_handshake_async);
    if (mon->state == BP_QMP_STATE_CLOSED) {
        g_task_return_error(task, g_error_copy(mon->close_error));
        return;
    }
    if (mon->handshake || mon->state >= BP_QMP_STATE_NEGOTIATING) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                                _("QMP handshake with %s was already started"),
                                mon->name);
        return;
    }
    mon->handshake = g_steal_pointer(&task);
    mon->handshake_timeout_ms = timeout_ms ? timeout_ms : BP_QMP_DEFAULT_GREETING_TIMEOUT_MS;
    mon->handshake_timeout = g_timeout_source_new(mon->handshake_timeout_ms);
    g_source_set_callback(mon->handshake_timeout, bp_qmp_monitor_handshake_timeout_cb,
                          mon, NULL);
    g_source_attach(mon->handshake_timeout, mon->context);
    if (cancellable) {
        mon->handshake_cancel = g_cancellable_source_new(cancellable);
        g_source_set_callback(mon->handshake_cancel,
                              G_SOURCE_FUNC(bp_qmp_monitor_handshake_cancel_cb),
                              mon, NULL);
        g_source_attach(mon->handshake_cancel, mon->context);
    }
    if (mon->state == BP_QMP_STATE_GREETED)
        bp_qmp_monitor_negotiate(mon);
}


gboolean
bp_qmp_monitor_handshake_finish(BpQmpMonitor *mon,
                                GAsyncResult *result,
                                GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, mon), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}


typedef struct {
    char *path;
    guint timeout_ms;
} BpQmpConnectData;


static void
bp_qmp_connect_data_free(BpQmpConnectData *data)
{
    g_free(data->path);
    g_free(data);
}


static void
bp_qmp_monitor_connect_handshake_cb(GObject *source, GAsyncResult *result,
                                    gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpQmpMonitor *mon = BP_QMP_MONITOR(source);
    GError *err = NULL;

    if (!bp_qmp_monitor_handshake_finish(mon, result, &err)) {
        g_task_return_error(task, err);
        return;
    }
    g_task_return_pointer(task, g_object_ref(mon), g_object_unref);
}


static void
bp_qmp_monitor_connect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpQmpConnectData *data = g_task_get_task_data(task);
    g_autoptr(GSocketConnection) conn = NULL;
    g_autoptr(BpQmpMonitor) mon = NULL;
    GCancellable *cancellable;
    GError *err = NULL;

    conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(source), result, &err);
    if (!conn) {
        /* Keep the GIOError code: callers retry on NOT_FOUND/REFUSED. */
        g_prefix_error(&err, _("cannot connect to QMP socket %s: "), data->path);
        g_task_return_error(task, err);
        return;
    }
    mon = bp_qmp_monitor_new(g_socket_connection_get_socket(conn), data->path);
    mon->stream = G_IO_STREAM(g_steal_pointer(&conn));
    cancellable = g_task_get_cancellable(task);
    bp_qmp_monitor_handshake_async(mon, data->timeout_ms, cancellable,
                                   bp_qmp_monitor_connect_handshake_cb,
                                   g_steal_pointer(&task));
}


void
bp_qmp_monitor_connect_async(const char *path,
                             guint timeout_ms,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    BpQmpConnectData *data = g_new0(BpQmpConnectData, 1);

    g_task_set_source_tag(task, bp_qmp_monitor_connect_async);
    data->path = g_strdup(path);
    data->timeout_ms = timeout_ms;
    g_task_set_task_data(task, data, (GDestroyNotify) bp_qmp_connect_data_free);
    g_socket_client_connect_async(client, G_SOCKET_CONNECTABLE(addr), cancellable,
                                  bp_qmp_monitor_connect_cb, g_steal_pointer(&task));
}


BpQmpMonitor *
bp_qmp_monitor_connect_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


void
bp_qmp_monitor_command_async(BpQmpMonitor *mon,
                             const char *command,
                             JsonObject *arguments,
                             guint timeout_ms,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(mon, cancellable, callback, user_data);
    BpQmpPending *pending;

    g_task_set_source_tag(task, bp_qmp_monitor_command_async);
    if (mon->state == BP_QMP_STATE_CLOSED) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_QEMU,
                                _("cannot send '%s': %s"), command,
                                mon->close_error->message);
        return;
    }
    if (mon->state != BP_QMP_STATE_READY) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                                _("cannot send '%s': QMP handshake with %s not done"),
                                command, mon->name);
        return;
    }
    pending = g_new0(BpQmpPending, 1);
    pending->task = g_steal_pointer(&task);
    pending->command = g_strdup(command);
    pending->timeout_ms = timeout_ms == BP_QMP_TIMEOUT_DEFAULT ? mon->default_timeout_ms
                                                               : timeout_ms;
    bp_qmp_monitor_send(mon, pending, arguments, cancellable);
}


JsonNode *
bp_qmp_monitor_command_finish(BpQmpMonitor *mon,
                              GAsyncResult *result,
                              GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, mon), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


static void
bp_qmp_monitor_sync_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GAsyncResult **out = user_data;

    *out = g_object_ref(result);
}


JsonNode *
bp_qmp_monitor_command_sync(BpQmpMonitor *mon,
                            const char *command,
                            JsonObject *arguments,
                            GError **error)
{
    g_autoptr(GAsyncResult) result = NULL;

    g_main_context_push_thread_default(mon->context);
    bp_qmp_monitor_command_async(mon, command, arguments, BP_QMP_TIMEOUT_DEFAULT,
                                 NULL, bp_qmp_monitor_sync_cb, &result);
    while (!result)
        g_main_context_iteration(mon->context, TRUE);
    g_main_context_pop_thread_default(mon->context);
    return bp_qmp_monitor_command_finish(mon, result, error);
}


void
bp_qmp_monitor_close(BpQmpMonitor *mon)
{
    bp_qmp_monitor_close_with_error(mon,
        g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                    _("QMP connection to %s was closed by blkpoint"), mon->name));
}


void
bp_qmp_monitor_drain(BpQmpMonitor *mon)
{
    if (mon->state != BP_QMP_STATE_CLOSED)
        bp_qmp_monitor_read_cb(mon->socket, G_IO_IN, mon);
}


gboolean
bp_qmp_monitor_is_ready(BpQmpMonitor *mon)
{
    return mon->state == BP_QMP_STATE_READY;
}


gboolean
bp_qmp_monitor_is_closed(BpQmpMonitor *mon)
{
    return mon->state == BP_QMP_STATE_CLOSED;
}


const GError *
bp_qmp_monitor_get_close_error(BpQmpMonitor *mon)
{
    return mon->close_error;
}


const char *
bp_qmp_monitor_get_name(BpQmpMonitor *mon)
{
    return mon->name;
}


GMainContext *
bp_qmp_monitor_get_context(BpQmpMonitor *mon)
{
    return mon->context;
}


JsonObject *
bp_qmp_monitor_get_greeting(BpQmpMonitor *mon)
{
    return mon->greeting;
}


gboolean
bp_qmp_monitor_get_version(BpQmpMonitor *mon, int *major, int *minor, int *micro)
{
    JsonNode *node;
    JsonObject *qemu;

    if (!mon->greeting)
        return FALSE;
    node = json_object_get_member(mon->greeting, "version");
    if (!node || !JSON_NODE_HOLDS_OBJECT(node))
        return FALSE;
    node = json_object_get_member(json_node_get_object(node), "qemu");
    if (!node || !JSON_NODE_HOLDS_OBJECT(node))
        return FALSE;
    qemu = json_node_get_object(node);
    *major = json_object_get_int_member_with_default(qemu, "major", 0);
    *minor = json_object_get_int_member_with_default(qemu, "minor", 0);
    *micro = json_object_get_int_member_with_default(qemu, "micro", 0);
    return TRUE;
}


guint
bp_qmp_monitor_get_pending(BpQmpMonitor *mon)
{
    guint n = g_hash_table_size(mon->pending);

    /* qmp_capabilities is ours, not the caller's. */
    if (mon->state == BP_QMP_STATE_NEGOTIATING && n > 0)
        n--;
    return n;
}


void
bp_qmp_monitor_set_default_timeout(BpQmpMonitor *mon, guint timeout_ms)
{
    mon->default_timeout_ms = timeout_ms ? timeout_ms : BP_QMP_DEFAULT_COMMAND_TIMEOUT_MS;
}


static void
bp_qmp_monitor_dispose(GObject *object)
{
    BpQmpMonitor *mon = BP_QMP_MONITOR(object);

    /* Pending tasks hold references, so nothing can be pending here. */
    bp_clear_source(&mon->read_source);
    bp_clear_source(&mon->write_source);
    bp_clear_source(&mon->handshake_timeout);
    bp_clear_source(&mon->handshake_cancel);
    if (mon->state != BP_QMP_STATE_CLOSED) {
        mon->state = BP_QMP_STATE_CLOSED;
        if (mon->stream)
            g_io_stream_close(mon->stream, NULL, NULL);
        if (mon->socket)
            g_socket_close(mon->socket, NULL);
    }
    g_clear_object(&mon->stream);
    g_clear_object(&mon->socket);
    G_OBJECT_CLASS(bp_qmp_monitor_parent_class)->dispose(object);
}


static void
bp_qmp_monitor_finalize(GObject *object)
{
    BpQmpMonitor *mon = BP_QMP_MONITOR(object);

    g_hash_table_unref(mon->pending);
    g_string_free(mon->inbuf, TRUE);
    g_byte_array_unref(mon->outbuf);
    g_clear_pointer(&mon->greeting, json_object_unref);
    g_clear_error(&mon->close_error);
    g_clear_pointer(&mon->context, g_main_context_unref);
    g_free(mon->name);
    G_OBJECT_CLASS(bp_qmp_monitor_parent_class)->finalize(object);
}


static void
bp_qmp_monitor_init(BpQmpMonitor *mon)
{
    mon->inbuf = g_string_new(NULL);
    mon->outbuf = g_byte_array_new();
    mon->pending = g_hash_table_new(g_str_hash, g_str_equal);
    mon->default_timeout_ms = BP_QMP_DEFAULT_COMMAND_TIMEOUT_MS;
    mon->state = BP_QMP_STATE_GREETING;
}


static void
bp_qmp_monitor_class_init(BpQmpMonitorClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = bp_qmp_monitor_dispose;
    object_class->finalize = bp_qmp_monitor_finalize;

    bp_qmp_monitor_signals[SIGNAL_EVENT] =
        g_signal_new("event", G_TYPE_FROM_CLASS(klass),
                     G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                     0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                     G_TYPE_STRING, JSON_TYPE_OBJECT, G_TYPE_INT64);
    bp_qmp_monitor_signals[SIGNAL_CLOSED] =
        g_signal_new("closed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                     0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                     G_TYPE_ERROR);
}
