/*
 * qmppeer.c: a scripted QMP peer for the monitor's tests (qmppeer.h).
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qemu/bp-qemu-sync.h"
#include "qmppeer.h"

void
peer_write(Peer *peer, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(peer->fd, text, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return;             /* the client went away; the script ends soon */
        text += n;
        len -= n;
    }
}


void
peer_sendf(Peer *peer, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *line = NULL;
    g_autofree char *full = NULL;

    va_start(ap, fmt);
    line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    full = g_strconcat(line, "\r\n", NULL);
    peer_write(peer, full, strlen(full));
}


/* Next command from the client; NULL at EOF. */
JsonObject *
peer_recv(Peer *peer)
{
    for (;;) {
        char *nl = memchr(peer->buf->str, '\n', peer->buf->len);
        char chunk[4096];
        ssize_t n;

        if (nl) {
            g_autofree char *line = g_strndup(peer->buf->str, nl - peer->buf->str);
            g_autoptr(JsonNode) root = NULL;

            g_string_erase(peer->buf, 0, nl - peer->buf->str + 1);
            root = json_from_string(line, NULL);
            g_assert_nonnull(root);
            g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
            return json_object_ref(json_node_get_object(root));
        }
        n = read(peer->fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL;
        g_string_append_len(peer->buf, chunk, n);
    }
}


const char *
cmd_id(JsonObject *cmd)
{
    return json_object_get_string_member(cmd, "id");
}


const char *
cmd_name(JsonObject *cmd)
{
    return json_object_get_string_member(cmd, "execute");
}


JsonObject *
cmd_args(JsonObject *cmd)
{
    return json_object_get_object_member(cmd, "arguments");
}


/* Greeting + qmp_capabilities. */
void
peer_greet(Peer *peer)
{
    g_autoptr(JsonObject) cmd = NULL;

    peer_sendf(peer, GREETING);
    cmd = peer_recv(peer);
    g_assert_nonnull(cmd);
    g_assert_cmpstr(cmd_name(cmd), ==, "qmp_capabilities");
    peer_sendf(peer, "{\"return\": {}, \"id\": \"%s\"}", cmd_id(cmd));
}


void
peer_reply_empty(Peer *peer, JsonObject *cmd)
{
    peer_sendf(peer, "{\"return\": {}, \"id\": \"%s\"}", cmd_id(cmd));
}


gpointer
peer_thread(gpointer user_data)
{
    Peer *peer = user_data;

    if (peer->listen_fd >= 0) {
        peer->fd = accept(peer->listen_fd, NULL, NULL);
        g_assert_cmpint(peer->fd, >=, 0);
    }
    peer->script(peer, peer->data);
    return NULL;
}


void
peer_join(Peer *peer)
{
    g_thread_join(peer->thread);
    if (peer->fd >= 0)
        close(peer->fd);
    if (peer->listen_fd >= 0)
        close(peer->listen_fd);
    g_string_free(peer->buf, TRUE);
    g_free(peer);
}


/* The peer closes its end (QEMU exiting). */
void
peer_hangup(Peer *peer)
{
    close(peer->fd);
    peer->fd = -1;
}


Peer *
peer_new(PeerScript script, gpointer data)
{
    Peer *peer = g_new0(Peer, 1);

    peer->fd = -1;
    peer->listen_fd = -1;
    peer->buf = g_string_new(NULL);
    peer->script = script;
    peer->data = data;
    return peer;
}


/* A monitor talking to @script over a socketpair (handshake not done). */
BpQmpMonitor *
monitor_with_peer(PeerScript script, gpointer data, Peer **peer_out)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GSocket) sock = NULL;
    Peer *peer = peer_new(script, data);
    int sv[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    sock = g_socket_new_from_fd(sv[0], &err);
    g_assert_no_error(err);
    peer->fd = sv[1];
    peer->thread = g_thread_new("qmp-peer", peer_thread, peer);
    *peer_out = peer;
    return bp_qmp_monitor_new(sock, "scripted peer");
}


gboolean
handshake(BpQmpMonitor *mon, guint timeout_ms, GError **error)
{
    BpSyncCall call;
    gboolean ok;

    bp_sync_call_begin(&call);
    bp_qmp_monitor_handshake_async(mon, timeout_ms, NULL, bp_sync_call_ready, &call);
    ok = bp_qmp_monitor_handshake_finish(mon, bp_sync_call_wait(&call), error);
    bp_sync_call_end(&call);
    return ok;
}
