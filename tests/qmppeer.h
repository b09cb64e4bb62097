/*
 * qmppeer.h: a scripted QMP peer for the monitor's tests.
 *
 * The peer runs in a thread on the other end of a socketpair (or accepts
 * on a listening unix socket first) and plays QEMU's part of a scenario
 * with blocking reads and writes.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "qemu/bp-qmp-monitor.h"

/* What QEMU 7.2 sends first. */
#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, " \
                 "\"major\": 7}, \"package\": \"test\"}, \"capabilities\": [\"oob\"]}}"

typedef struct _Peer Peer;
typedef void (*PeerScript)(Peer *peer, gpointer data);

struct _Peer {
    int fd;
    int listen_fd;              /* unix-socket mode: accept first */
    GString *buf;
    GThread *thread;
    PeerScript script;
    gpointer data;
};

/* Writes all of @text (a client gone away is ignored). */
void peer_write(Peer *peer, const char *text, size_t len);
/* One line (CRLF appended). */
void peer_sendf(Peer *peer, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Next command from the client; NULL at EOF. */
JsonObject *peer_recv(Peer *peer);
const char *cmd_id(JsonObject *cmd);
const char *cmd_name(JsonObject *cmd);
JsonObject *cmd_args(JsonObject *cmd);
/* Greeting + qmp_capabilities. */
void peer_greet(Peer *peer);
void peer_reply_empty(Peer *peer, JsonObject *cmd);
/* The thread function: accepts when listening, then runs the script. */
gpointer peer_thread(gpointer user_data);
/* Waits for the script's end and frees @peer. */
void peer_join(Peer *peer);
/* The peer closes its end (QEMU exiting). */
void peer_hangup(Peer *peer);
/* A peer for @script with no socket yet. */
Peer *peer_new(PeerScript script, gpointer data);
/* A monitor talking to @script over a socketpair (handshake not done);
 * the peer's thread runs. */
BpQmpMonitor *monitor_with_peer(PeerScript script, gpointer data, Peer **peer_out);
/* The monitor's handshake, waited for. */
gboolean handshake(BpQmpMonitor *mon, guint timeout_ms, GError **error);
