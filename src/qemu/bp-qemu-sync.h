/*
 * bp-qemu-sync.h: run an asynchronous call to completion.
 *
 * For tests and command-line tools that have no main loop of their own:
 *
 *     BpSyncCall call;
 *     bp_sync_call_begin(&call);
 *     bp_qmp_bitmap_add_async(mon, ..., bp_sync_call_ready, &call);
 *     ok = bp_qmp_command_finish(mon, bp_sync_call_wait(&call), &error);
 *     bp_sync_call_end(&call);
 *
 * The thread-default main context is iterated until the callback has run.
 * The daemon never uses this: it would re-enter its own main loop.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
    GMainContext *context;
    GAsyncResult *result;
} BpSyncCall;

void bp_sync_call_begin(BpSyncCall *call);
/* The GAsyncReadyCallback to pass, with @call as its user data. */
void bp_sync_call_ready(GObject *source, GAsyncResult *result, gpointer call);
/* Iterates until the result is there; returns it (owned by @call). */
GAsyncResult *bp_sync_call_wait(BpSyncCall *call);
void bp_sync_call_end(BpSyncCall *call);

/* Iterates the thread-default context until *@flag is TRUE or
 * @timeout_ms passed; returns *@flag. */
gboolean bp_sync_wait_flag(const gboolean *flag, guint timeout_ms);

G_END_DECLS
