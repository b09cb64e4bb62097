/*
 * bp-qemu-sync.c: run an asynchronous call to completion (tests, tools).
 */
#include <config.h>

#include "bp-qemu-sync.h"


void
bp_sync_call_begin(BpSyncCall *call)
{
    call->context = g_main_context_ref_thread_default();
    call->result = NULL;
}


void
bp_sync_call_ready(GObject *source, GAsyncResult *result, gpointer user_data)
{
    BpSyncCall *call = user_data;

    g_assert(call->result == NULL);
    call->result = g_object_ref(result);
}


GAsyncResult *
bp_sync_call_wait(BpSyncCall *call)
{
    while (!call->result)
        g_main_context_iteration(call->context, TRUE);
    return call->result;
}


void
bp_sync_call_end(BpSyncCall *call)
{
    g_clear_object(&call->result);
    g_clear_pointer(&call->context, g_main_context_unref);
}


static gboolean
bp_sync_timeout_cb(gpointer user_data)
{
    gboolean *expired = user_data;

    *expired = TRUE;
    return G_SOURCE_REMOVE;
}


gboolean
bp_sync_wait_flag(const gboolean *flag, guint timeout_ms)
{
    g_autoptr(GMainContext) context = g_main_context_ref_thread_default();
    g_autoptr(GSource) timeout = g_timeout_source_new(timeout_ms);
    gboolean expired = FALSE;

    g_source_set_callback(timeout, bp_sync_timeout_cb, &expired, NULL);
    g_source_attach(timeout, context);
    while (!*flag && !expired)
        g_main_context_iteration(context, TRUE);
    g_source_destroy(timeout);
    return *flag;
}
