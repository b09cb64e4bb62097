/*
 * test-qmp-monitor.c: the QMP monitor against a scripted peer.
 *
 * The peer (qmppeer.c) plays QEMU's part of each scenario: greeting,
 * replies in any order, events between replies, errors, replies that
 * never come, a reply cut off by the peer closing its end.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "qemu/bp-qemu-sync.h"
#include "qemu/bp-qmp-commands.h"
#include "qemu/bp-qmp-monitor.h"
#include "util/bp-error.h"
#include "testutils.h"
#include "qmppeer.h"


/* ---- basic exchange ----------------------------------------------------- */

static void
script_basic(Peer *peer, gpointer data)
{
    g_autoptr(JsonObject) cmd = NULL;

    peer_greet(peer);
    cmd = peer_recv(peer);
    g_assert_cmpstr(cmd_name(cmd), ==, "query-version");
    g_assert_false(json_object_has_member(cmd, "arguments"));
    peer_sendf(peer, "{\"return\": {\"qemu\": {\"major\": 7}, \"package\": \"x\"}, "
               "\"id\": \"%s\"}", cmd_id(cmd));
    g_assert_null(peer_recv(peer));
}


static void
test_basic(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQmpMonitor) mon = NULL;
    g_autoptr(JsonNode) ret = NULL;
    Peer *peer;
    int major, minor, micro;

    mon = monitor_with_peer(script_basic, NULL, &peer);
    g_assert_false(bp_qmp_monitor_is_ready(mon));
    /* Commands before the handshake are refused, not queued. */
    ret = bp_qmp_monitor_command_sync(mon, "query-version", NULL, &err);
    g_assert_null(ret);
    g_assert_error(err, BP_ERROR, BP_ERROR_OPERATION_INVALID);
    g_clear_error(&err);

    g_assert_true(handshake(mon, 0, &err));
    g_assert_no_error(err);
    g_assert_true(bp_qmp_monitor_is_ready(mon));
    g_assert_true(bp_qmp_monitor_get_version(mon, &major, &minor, &micro));
    g_assert_cmpint(major, ==, 7);
    g_assert_cmpint(minor, ==, 2);
    g_assert_cmpint(micro, ==, 22);

    ret = bp_qmp_monitor_command_sync(mon, "query-version", NULL, &err);
    g_assert_no_error(err);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(ret));
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(ret), "package"),
                    ==, "x");
    g_assert_cmpuint(bp_qmp_monitor_get_pending(mon), ==, 0);
    bp_qmp_monitor_close(mon);
    peer_join(peer);
}


/* QEMU 7.2 sends its greeting twice to a client that connected while the
 * monitor was being set up: the second one is ignored, before and after
 * qmp_capabilities. */
static void
script_double_greeting(Peer *peer, gpointer data)
{
    g_autoptr(JsonObject) cmd = NULL;

    peer_sendf(peer, GREETING);
    peer_sendf(peer, GREETING);
    cmd = peer_recv(peer);
    g_assert_nonnull(cmd);
    g_assert_cmpstr(cmd_name(cmd), ==, "qmp_capabilities");
    peer_reply_empty(peer, cmd);
    peer_sendf(peer, GREETING);
    g_clear_pointer(&cmd, json_object_unref);
    cmd = peer_recv(peer);
    g_assert_nonnull(cmd);
    g_assert_cmpstr(cmd_name(cmd), ==, "query-version");
    peer_sendf(peer, "{\"return\": {}, \"id\": \"%s\"}", cmd_id(cmd));
    g_assert_null(peer_recv(peer));
}


static void
test_double_greeting(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQmpMonitor) mon = NULL;
    g_autoptr(JsonNode) ret = NULL;
    Peer *peer;

    mon = monitor_with_peer(script_double_greeting, NULL, &peer);
    g_assert_true(handshake(mon, 0, &err));
    g_assert_no_error(err);
    ret = bp_qmp_monitor_command_sync(mon, "query-version", NULL, &err);
    g_assert_no_error(err);
    g_assert_nonnull(ret);
    g_assert_false(bp_qmp_monitor_is_closed(mon));
    bp_qmp_monitor_close(mon);
    peer_join(peer);
}


/* ---- many in flight, replies out of order, events in between ------------- */

#define N_IN_FLIGHT 64

static void
script_in_flight(Peer *peer, gpointer data)
{
    g_autoptr(GPtrArray) cmds = g_ptr_array_new_with_free_func((GDestroyNotify) json_object_unref);

    peer_greet(peer);
    for (int i = 0; i < N_IN_FLIGHT; i++) {
        JsonObject *cmd = peer_recv(peer);

        g_assert_nonnull(cmd);
        g_ptr_array_add(cmds, cmd);
    }
    /* Answer in reverse order, with events between the replies. */
    for (int i = N_IN_FLIGHT - 1; i >= 0; i--) {
        JsonObject *cmd = g_ptr_array_index(cmds, i);
        gint64 n = json_object_get_int_member(cmd_args(cmd), "n");

        if (i % 8 == 0)
            peer_sendf(peer, "{\"event\": \"JOB_STATUS_CHANGE\", \"data\": "
                       "{\"id\": \"job%d\", \"status\": \"running\"}, "
                       "\"timestamp\": {\"seconds\": 100, \"microseconds\": 5}}", i);
        if (i % 16 == 0)
            peer_sendf(peer, "{\"event\": \"BLOCK_JOB_READY\", \"data\": {\"device\": \"j\"}}");
        peer_sendf(peer, "{\"return\": {\"n\": %" G_GINT64_FORMAT "}, \"id\": \"%s\"}",
                   n * 10, cmd_id(cmd));
    }
    g_assert_null(peer_recv(peer));
}


typedef struct {
    int done;
    int wrong;
} InFlight;

typedef struct {
    InFlight *state;
    gint64 n;
} InFlightCall;


static void
in_flight_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    InFlightCall *call = user_data;
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = bp_qmp_monitor_command_finish(BP_QMP_MONITOR(source),
                                                            result, &err);

    g_assert_no_error(err);
    if (json_object_get_int_member(json_node_get_object(ret), "n") != call->n * 10)
        call->state->wrong++;
    call->state->done++;
    g_free(call);
}


typedef struct {
    int job_events;
    int all_events;
    int ready_events;
    gint64 last_timestamp;
} EventCounts;


static void
count_job_event(BpQmpMonitor *mon, const char *name, JsonObject *data,
                gint64 timestamp, gpointer user_data)
{
    EventCounts *counts = user_data;

    g_assert_cmpstr(name, ==, "JOB_STATUS_CHANGE");
    g_assert_true(g_str_has_prefix(json_object_get_string_member(data, "id"), "job"));
    counts->job_events++;
    counts->last_timestamp = timestamp;
}


static void
count_any_event(BpQmpMonitor *mon, const char *name, JsonObject *data,
                gint64 timestamp, gpointer user_data)
{
    EventCounts *counts = user_data;

    g_assert_nonnull(data);
    counts->all_events++;
    if (g_str_equal(name, "BLOCK_JOB_READY")) {
        counts->ready_events++;
        g_assert_cmpint(timestamp, ==, -1);
    }
}


static void
test_in_flight(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQmpMonitor) mon = NULL;
    InFlight state = { 0 };
    EventCounts counts = { 0 };
    gulong h_unused;
    Peer *peer;

    mon = monitor_with_peer(script_in_flight, NULL, &peer);
    g_assert_true(handshake(mon, 0, &err));
    g_signal_connect(mon, "event::JOB_STATUS_CHANGE", G_CALLBACK(count_job_event), &counts);
    g_signal_connect(mon, "event", G_CALLBACK(count_any_event), &counts);
    /* A subscriber to an event that never comes gets nothing. */
    h_unused = g_signal_connect(mon, "event::BLOCK_JOB_ERROR",
                                G_CALLBACK(count_job_event), &counts);

    for (int i = 0; i < N_IN_FLIGHT; i++) {
        g_autoptr(JsonObject) args = json_object_new();
        InFlightCall *call = g_new0(InFlightCall, 1);

        call->state = &state;
        call->n = i;
        json_object_set_int_member(args, "n", i);
        bp_qmp_monitor_command_async(mon, "echo", args, BP_QMP_TIMEOUT_DEFAULT,
                                     NULL, in_flight_cb, call);
    }
    g_assert_cmpuint(bp_qmp_monitor_get_pending(mon), ==, N_IN_FLIGHT);
    while (state.done < N_IN_FLIGHT)
        g_main_context_iteration(NULL, TRUE);
    g_assert_cmpint(state.wrong, ==, 0);
    g_assert_cmpint(counts.job_events, ==, N_IN_FLIGHT / 8);
    g_assert_cmpint(counts.ready_events, ==, N_IN_FLIGHT / 16);
    g_assert_cmpint(counts.all_events, ==, N_IN_FLIGHT / 8 + N_IN_FLIGHT / 16);
    g_assert_cmpint(counts.last_timestamp, ==, 100 * G_USEC_PER_SEC + 5);
    g_signal_handler_disconnect(mon, h_unused);
    g_assert_cmpuint(bp_qmp_monitor_get_pending(mon), ==, 0);
    bp_qmp_monitor_close(mon);
    peer_join(peer);
}


/* ---- errors ----------------------------------------------------------------- */

static void
script_error(Peer *peer, gpointer data)
{
    g_autoptr(JsonObject) c1 = NULL;
    g_autoptr(JsonObject) c2 = NULL;

    peer_greet(peer);
    c1 = peer_recv(peer);
    peer_sendf(peer, "{\"id\": \"%s\", \"error\": {\"class\": \"GenericError\", "
               "\"desc\": \"Bitmap already exists: b1\"}}", cmd_id(c1));
    /* A reply to nobody and an unknown message are ignored. */
    peer_sendf(peer, "{\"return\": {}, \"id\": \"nobody\"}");
    peer_sendf(peer, "{\"something\": 1}");
    c2 = peer_recv(peer);
    peer_reply_empty(peer, c2);
    g_assert_null(peer_recv(peer));
}


static void
test_error(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQmpMonitor) mon = NULL;
    g_autoptr(JsonNode) ret = NULL;
    Peer *peer;

    mon = monitor_with_peer(script_error, NULL, &peer);
    g_assert_true(handshake(mon, 0, &err));
    ret = bp_qmp_monitor_command_sync(mon, "block-dirty-bitmap-add", NULL, &err);
    g_assert_null(ret);
    g_assert_error(err, BP_ERROR, BP_ERROR_QEMU);
    g_assert_nonnull(strstr(err->message, "Bitmap already exists: b1"));
    g_assert_nonnull(strstr(err->message, "block-dirty-bitmap-add"));
    g_clear_error(&err);
    /* The connection survives a refused command. */
    ret = bp_qmp_monitor_command_sync(mon, "query-jobs", NULL, &err);
    g_assert_no_error(err);
    g_assert_nonnull(ret);
    g_assert_false(bp_qmp_monitor_is_closed(mon));
    bp_qmp_monitor_close(mon);
    peer_join(peer);
}


/* ---- EOF in the middle of a reply -------------------------------------------- */

static void
script_eof_mid_reply(Peer *peer, gpointer data)
{
    JsonObject *cmds[3];

    peer_greet(peer);
    for (int i = 0; i < 3; i++)
        cmds[i] = peer_recv(peer);
    peer_reply_empty(peer, cmds[0]);
    peer_write(peer, "{\"return\": {\"half", 17);
    peer_hangup(peer);
    for (int i = 0; i < 3; i++)
        json_object_unref(cmds[i]);
}


typedef struct {
    int ok;
    int failed;
    int closed;
    gboolean mentions_middle;
} EofState;


static void
eof_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    EofState *st = user_data;
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = bp_qmp_monitor_command_finish(BP_QMP_MONITOR(source),
                                                            result, &err);

    if (ret) {
        st->ok++;
        return;
    }
    g_assert_error(err, BP_ERROR, BP_ERROR_QEMU);
    /* Every pending caller is failed before "closed" is emitted. */
    g_assert_cmpint(st->closed, ==, 0);
    if (strstr(err->message, "middle"))
        st->mentions_middle = TRUE;
    st->failed++;
}


static void
eof_closed_cb(BpQmpMonitor *mon, const GError *error, gpointer user_data)
{
    EofState *st = user_data;

    g_assert_nonnull(error);
    g_assert_cmpuint(bp_qmp_monitor_get_pending(mon), ==, 0);
    st->closed++;
}


static void
test_eof_mid_reply(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQmpMonitor) mon = NULL;
    g_autoptr(JsonNode) ret = NULL;
    EofState st = { 0 };
    Peer *peer;

    mon = monitor_with_peer(script_eof_mid_reply, NULL, &peer);
    g_assert_true(handshake(mon, 0, &err));
    g_signal_connect(mon, "closed", G_CALLBACK(eof_closed_cb), &st);
    for (int i = 0; i < 3; i++)
        bp_qmp_monitor_command_async(mon, "cmd", NULL, BP_QMP_TIMEOUT_NONE, NULL,
                                     eof_cb, &st);
    while (st.ok + st.failed < 3 || st.closed == 0)
        g_main_context_iteration(NULL, TRUE);
    g_assert_cmpint(st.ok, ==, 1);
    g_assert_cmpint(st.failed, ==, 2);
    g_assert_true(st.mentions_middle);
    g_assert_cmpint(st.closed, ==, 1);
    g_assert_true(bp_qmp_monitor_is_closed(mon));
    g_assert_nonnull(bp_qmp_monitor_get_close_error(mon));

    /* Afterwards, commands fail at once instead of hanging. */
    ret = bp_qmp_monitor_command_sync(mon, "cmd", NULL, &err);
    g_assert_null(ret);
    g_assert_error(err, BP_ERROR, BP_ERROR_QEMU);
    /* Closing again is harmless and emits nothing. */
    bp_qmp_monitor_close(mon);
    g_assert_cmpint(st.closed, ==, 1);
    peer_join(peer);
}


/* ---- clean EOF while idle, and EOF during the handshake ------------------------ */

static void
script_greet_then_exit(Peer *peer, gpointer data)
{
    peer_greet(peer);
    peer_hangup(peer);
}


static void
script_die_before_capabilities(Peer *peer, gpointer data)
{
    g_autoptr(JsonObject) cmd = NULL;

    peer_sendf(peer, GREETING);
    cmd = peer_recv(peer);
    peer_write(peer, "{\"ret", 5);
    peer_hangup(peer);
}


static void
closed_flag_cb(BpQmpMonitor *mon, const GError *error, gpointer user_data)
{
    *(gboolean *) user_data = TRUE;
}


static void
test_peer_exit(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQmpMonitor) mon = NULL;
    g_autoptr(BpQmpMonitor) mon2 = NULL;
    gboolean closed = FALSE;
    Peer *peer;

    mon = monitor_with_peer(script_greet_then_exit, NULL, &peer);
    g_signal_connect(mon, "closed", G_CALLBACK(closed_flag_cb), &closed);
    g_assert_true(handshake(mon, 0, &err));
    g_assert_true(bp_sync_wait_flag(&closed, 10000));
    g_assert_error(bp_qmp_monitor_get_close_error(mon), BP_ERROR, BP_ERROR_QEMU);
    g_assert_nonnull(strstr(bp_qmp_monitor_get_close_error(mon)->message, "closed by QEMU"));
    peer_join(peer);

    mon2 = monitor_with_peer(script_die_before_capabilities, NULL, &peer);
    g_assert_false(handshake(mon2, 0, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_QEMU);
    g_assert_true(bp_qmp_monitor_is_closed(mon2));
    peer_join(peer);
}


/* ---- timeouts --------------------------------------------------------------------- */

static void
script_timeout(Peer *peer, gpointer data)
{
    g_autoptr(JsonObject) slow = NULL;
    g_autoptr(JsonObject) fast = NULL;

    peer_greet(peer);
    slow = peer_recv(peer);
    /* The client gives up on "slow" and sends "fast"; only then do we
     * answer both, the late one first. */
    fast = peer_recv(peer);
    g_assert_cmpstr(cmd_name(fast), ==, "fast");
    peer_reply_empty(peer, slow);
    peer_reply_empty(peer, fast);
    g_assert_null(peer_recv(peer));
}


static void
script_silent(Peer *peer, gpointer data)
{
    /* Says nothing, like a QMP socket already serving another client. */
    g_assert_null(peer_recv(peer));
}


static void
test_timeout(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQmpMonitor) mon = NULL;
    g_autoptr(BpQmpMonitor) mon2 = NULL;
    g_autoptr(JsonNode) ret = NULL;
    BpSyncCall call;
    gint64 start;
    Peer *peer;

    mon = monitor_with_peer(script_timeout, NULL, &peer);
    g_assert_true(handshake(mon, 0, &err));

    start = g_get_monotonic_time();
    bp_sync_call_begin(&call);
    bp_qmp_monitor_command_async(mon, "slow", NULL, 150, NULL, bp_sync_call_ready, &call);
    ret = bp_qmp_monitor_command_finish(mon, bp_sync_call_wait(&call), &err);
    bp_sync_call_end(&call);
    g_assert_null(ret);
    g_assert_error(err, BP_ERROR, BP_ERROR_TIMEOUT);
    g_assert_nonnull(strstr(err->message, "'slow'"));
    g_assert_cmpint(g_get_monotonic_time() - start, >=, 150 * 1000);
    g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
    g_clear_error(&err);
    g_assert_cmpuint(bp_qmp_monitor_get_pending(mon), ==, 0);

    /* The late reply to "slow" is dropped; "fast" gets its own. */
    ret = bp_qmp_monitor_command_sync(mon, "fast", NULL, &err);
    g_assert_no_error(err);
    g_assert_nonnull(ret);
    g_assert_false(bp_qmp_monitor_is_closed(mon));
    bp_qmp_monitor_close(mon);
    peer_join(peer);

    /* No greeting at all. */
    mon2 = monitor_with_peer(script_silent, NULL, &peer);
    start = g_get_monotonic_time();
    g_assert_false(handshake(mon2, 200, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_TIMEOUT);
    g_assert_nonnull(strstr(err->message, "another client"));
    g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
    g_assert_true(bp_qmp_monitor_is_closed(mon2));
    peer_join(peer);
}


/* ---- cancellation ----------------------------------------------------------------- */

static void
script_cancel(Peer *peer, gpointer data)
{
    g_autoptr(JsonObject) c1 = NULL;
    g_autoptr(JsonObject) c2 = NULL;

    peer_greet(peer);
    c1 = peer_recv(peer);
    c2 = peer_recv(peer);
    peer_reply_empty(peer, c1);
    peer_reply_empty(peer, c2);
    g_assert_null(peer_recv(peer));
}


static gboolean
cancel_idle(gpointer user_data)
{
    g_cancellable_cancel(user_data);
    return G_SOURCE_REMOVE;
}


static void
test_cancel(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQmpMonitor) mon = NULL;
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    g_autoptr(JsonNode) ret = NULL;
    BpSyncCall call;
    Peer *peer;

    mon = monitor_with_peer(script_cancel, NULL, &peer);
    g_assert_true(handshake(mon, 0, &err));
    bp_sync_call_begin(&call);
    bp_qmp_monitor_command_async(mon, "c1", NULL, BP_QMP_TIMEOUT_NONE, cancellable,
                                 bp_sync_call_ready, &call);
    g_idle_add(cancel_idle, cancellable);
    ret = bp_qmp_monitor_command_finish(mon, bp_sync_call_wait(&call), &err);
    bp_sync_call_end(&call);
    g_assert_null(ret);
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error(&err);
    ret = bp_qmp_monitor_command_sync(mon, "c2", NULL, &err);
    g_assert_no_error(err);
    bp_qmp_monitor_close(mon);
    peer_join(peer);
}


/* ---- a large reply arriving in pieces, and garbage ------------------------------- */

#define BIG_COUNT 20000

static void
script_big(Peer *peer, gpointer data)
{
    g_autoptr(JsonObject) cmd = NULL;
    g_autoptr(GString) reply = g_string_new("{\"return\": [");

    peer_greet(peer);
    cmd = peer_recv(peer);
    for (int i = 0; i < BIG_COUNT; i++)
        g_string_append_printf(reply, "%s{\"name\": \"bitmap-%05d\", \"count\": %d}",
                               i ? ", " : "", i, i);
    g_string_append_printf(reply, "], \"id\": \"%s\"}\n", cmd_id(cmd));
    for (gsize off = 0; off < reply->len; off += 4093) {
        peer_write(peer, reply->str + off, MIN(4093, reply->len - off));
        if (off % (4093 * 64) == 0)
            g_usleep(1000);
    }
    /* Then something that is not JSON: the monitor must give up. */
    peer_sendf(peer, "this is not json");
    g_assert_null(peer_recv(peer));
}


static void
test_big_and_garbage(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQmpMonitor) mon = NULL;
    g_autoptr(JsonNode) ret = NULL;
    gboolean closed = FALSE;
    JsonArray *array;
    Peer *peer;

    mon = monitor_with_peer(script_big, NULL, &peer);
    g_signal_connect(mon, "closed", G_CALLBACK(closed_flag_cb), &closed);
    g_assert_true(handshake(mon, 0, &err));
    ret = bp_qmp_monitor_command_sync(mon, "query-named-block-nodes", NULL, &err);
    g_assert_no_error(err);
    array = json_node_get_array(ret);
    g_assert_cmpuint(json_array_get_length(array), ==, BIG_COUNT);
    g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(array, BIG_COUNT - 1),
                                               "count"), ==, BIG_COUNT - 1);
    g_assert_true(bp_sync_wait_flag(&closed, 10000));
    g_assert_error(bp_qmp_monitor_get_close_error(mon), BP_ERROR, BP_ERROR_QEMU);
    g_assert_nonnull(strstr(bp_qmp_monitor_get_close_error(mon)->message, "JSON"));
    peer_join(peer);
}


/* ---- unix socket connect, typed wrappers, job wait -------------------------------- */

static void
script_wrappers(Peer *peer, gpointer data)
{
    JsonObject *cmd;
    JsonObject *args;
    JsonArray *arr;

    peer_greet(peer);

    cmd = peer_recv(peer);
    g_assert_cmpstr(cmd_name(cmd), ==, "block-dirty-bitmap-add");
    args = cmd_args(cmd);
    g_assert_cmpstr(json_object_get_string_member(args, "node"), ==, "bp-vda-0-fmt");
    g_assert_cmpstr(json_object_get_string_member(args, "name"), ==, "cp1");
    g_assert_cmpint(json_object_get_int_member(args, "granularity"), ==, 131072);
    g_assert_true(json_object_get_boolean_member(args, "persistent"));
    g_assert_false(json_object_has_member(args, "disabled"));
    peer_reply_empty(peer, cmd);
    json_object_unref(cmd);

    cmd = peer_recv(peer);
    g_assert_cmpstr(cmd_name(cmd), ==, "transaction");
    args = cmd_args(cmd);
    arr = json_object_get_array_member(args, "actions");
    g_assert_cmpuint(json_array_get_length(arr), ==, 2);
    g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(arr, 0), "type"),
                    ==, "block-dirty-bitmap-merge");
    {
        JsonObject *merge = json_object_get_object_member(json_array_get_object_element(arr, 0),
                                                          "data");
        JsonArray *bitmaps = json_object_get_array_member(merge, "bitmaps");

        g_assert_cmpstr(json_array_get_string_element(bitmaps, 0), ==, "cp1");
        g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(bitmaps, 1),
                                                      "node"), ==, "bp-vda-0-fmt");
    }
    {
        JsonObject *backup = json_object_get_object_member(json_array_get_object_element(arr, 1),
                                                           "data");

        g_assert_false(json_object_get_boolean_member(backup, "auto-dismiss"));
        g_assert_cmpstr(json_object_get_string_member(backup, "sync"), ==, "incremental");
    }
    g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(args, "properties"),
                                                  "completion-mode"), ==, "grouped");
    peer_reply_empty(peer, cmd);
    json_object_unref(cmd);

    /* job wait: the first query shows the job running; then events. */
    cmd = peer_recv(peer);
    g_assert_cmpstr(cmd_name(cmd), ==, "query-jobs");
    peer_sendf(peer, "{\"return\": [{\"id\": \"bk\", \"type\": \"backup\", \"status\": "
               "\"running\", \"current-progress\": 1, \"total-progress\": 10}], "
               "\"id\": \"%s\"}", cmd_id(cmd));
    json_object_unref(cmd);
    peer_sendf(peer, "{\"event\": \"JOB_STATUS_CHANGE\", \"data\": {\"id\": \"other\", "
               "\"status\": \"concluded\"}}");
    peer_sendf(peer, "{\"event\": \"JOB_STATUS_CHANGE\", \"data\": {\"id\": \"bk\", "
               "\"status\": \"concluded\"}}");
    cmd = peer_recv(peer);
    g_assert_cmpstr(cmd_name(cmd), ==, "query-jobs");
    peer_sendf(peer, "{\"return\": [{\"id\": \"bk\", \"type\": \"backup\", \"status\": "
               "\"concluded\", \"current-progress\": 10, \"total-progress\": 10, "
               "\"error\": \"Input/output error\"}], \"id\": \"%s\"}", cmd_id(cmd));
    json_object_unref(cmd);

    cmd = peer_recv(peer);
    g_assert_cmpstr(cmd_name(cmd), ==, "job-dismiss");
    g_assert_cmpstr(json_object_get_string_member(cmd_args(cmd), "id"), ==, "bk");
    peer_reply_empty(peer, cmd);
    json_object_unref(cmd);

    /* quit: QEMU exits before its reply gets out. */
    cmd = peer_recv(peer);
    g_assert_cmpstr(cmd_name(cmd), ==, "quit");
    json_object_unref(cmd);
    peer_hangup(peer);
}


static void
test_connect_and_wrappers(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQmpMonitor) mon = NULL;
    g_autoptr(BpQmpJobInfo) info = NULL;
    g_autoptr(JsonArray) actions = json_array_new();
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *path = g_build_filename(dir, "qmp.sock", NULL);
    BpQmpBitmapRef sources[] = { { NULL, "cp1" }, { "bp-vda-0-fmt", "cp1" } };
    BpQmpBackupArgs backup = {
        .job_id = "bk", .device = "bp-vda-1-fmt", .target = "tgt",
        .sync = "incremental", .bitmap = "tmp",
    };
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    Peer *peer = peer_new(script_wrappers, NULL);
    BpSyncCall call;

    peer->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    g_assert_cmpint(bind(peer->listen_fd, (struct sockaddr *) &sun, sizeof(sun)), ==, 0);
    g_assert_cmpint(listen(peer->listen_fd, 1), ==, 0);
    peer->thread = g_thread_new("qmp-peer", peer_thread, peer);

    bp_sync_call_begin(&call);
    bp_qmp_monitor_connect_async(path, 0, NULL, bp_sync_call_ready, &call);
    mon = bp_qmp_monitor_connect_finish(bp_sync_call_wait(&call), &err);
    bp_sync_call_end(&call);
    g_assert_no_error(err);
    g_assert_true(bp_qmp_monitor_is_ready(mon));
    g_assert_cmpstr(bp_qmp_monitor_get_name(mon), ==, path);

    bp_sync_call_begin(&call);
    bp_qmp_bitmap_add_async(mon, "bp-vda-0-fmt", "cp1", 131072, TRUE, FALSE, NULL,
                            bp_sync_call_ready, &call);
    g_assert_true(bp_qmp_command_finish(mon, bp_sync_call_wait(&call), &err));
    bp_sync_call_end(&call);

    json_array_add_object_element(actions,
        bp_qmp_action_new("block-dirty-bitmap-merge",
                          bp_qmp_args_bitmap_merge("bp-vda-1-fmt", "tmp", sources, 2)));
    json_array_add_object_element(actions,
        bp_qmp_action_new("blockdev-backup", bp_qmp_args_blockdev_backup(&backup)));
    bp_sync_call_begin(&call);
    bp_qmp_transaction_async(mon, actions, TRUE, NULL, bp_sync_call_ready, &call);
    g_assert_true(bp_qmp_command_finish(mon, bp_sync_call_wait(&call), &err));
    bp_sync_call_end(&call);

    bp_sync_call_begin(&call);
    bp_qmp_job_wait_async(mon, "bk", "concluded", 10000, NULL, bp_sync_call_ready, &call);
    info = bp_qmp_job_wait_finish(mon, bp_sync_call_wait(&call), &err);
    bp_sync_call_end(&call);
    g_assert_no_error(err);
    g_assert_cmpstr(info->status, ==, "concluded");
    g_assert_cmpstr(info->error, ==, "Input/output error");
    g_assert_cmpint(info->total_progress, ==, 10);

    bp_sync_call_begin(&call);
    bp_qmp_job_dismiss_async(mon, "bk", NULL, bp_sync_call_ready, &call);
    g_assert_true(bp_qmp_command_finish(mon, bp_sync_call_wait(&call), &err));
    bp_sync_call_end(&call);

    bp_sync_call_begin(&call);
    bp_qmp_quit_async(mon, NULL, bp_sync_call_ready, &call);
    g_assert_true(bp_qmp_command_finish(mon, bp_sync_call_wait(&call), &err));
    g_assert_no_error(err);
    bp_sync_call_end(&call);
    g_assert_true(bp_qmp_monitor_is_closed(mon));

    /* On a closed monitor, quit is an error, not a success. */
    bp_sync_call_begin(&call);
    bp_qmp_quit_async(mon, NULL, bp_sync_call_ready, &call);
    g_assert_false(bp_qmp_command_finish(mon, bp_sync_call_wait(&call), &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_QEMU);
    bp_sync_call_end(&call);

    peer_join(peer);
    bp_test_rmdir(dir);
}


static void
test_connect_refused(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQmpMonitor) mon = NULL;
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *path = g_build_filename(dir, "missing.sock", NULL);
    BpSyncCall call;

    bp_sync_call_begin(&call);
    bp_qmp_monitor_connect_async(path, 0, NULL, bp_sync_call_ready, &call);
    mon = bp_qmp_monitor_connect_finish(bp_sync_call_wait(&call), &err);
    bp_sync_call_end(&call);
    g_assert_null(mon);
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(err->message, path));
    bp_test_rmdir(dir);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp/basic", test_basic);
    g_test_add_func("/qmp/double-greeting", test_double_greeting);
    g_test_add_func("/qmp/in-flight", test_in_flight);
    g_test_add_func("/qmp/error", test_error);
    g_test_add_func("/qmp/eof-mid-reply", test_eof_mid_reply);
    g_test_add_func("/qmp/peer-exit", test_peer_exit);
    g_test_add_func("/qmp/timeout", test_timeout);
    g_test_add_func("/qmp/cancel", test_cancel);
    g_test_add_func("/qmp/big-reply-and-garbage", test_big_and_garbage);
    g_test_add_func("/qmp/connect-and-wrappers", test_connect_and_wrappers);
    g_test_add_func("/qmp/connect-refused", test_connect_refused);
    return g_test_run();
}
