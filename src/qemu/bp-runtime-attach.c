/*
 * bp-runtime-attach.c: a QEMU somebody else runs (see the header).
 */
#include <config.h>

#include "bp-runtime-attach.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

struct _BpQemuAttach {
    GObject parent_instance;

    char *domain;
    char *qmp_socket;
    GPtrArray *disks;           /* BpQemuDiskSpec* */
    GHashTable *top_nodes;      /* target -> node name */
    BpQmpMonitor *mon;
    gulong closed_handler;
    gboolean detaching;
};

enum {
    SIGNAL_DISCONNECTED,
    N_SIGNALS
};
static guint bp_qemu_attach_signals[N_SIGNALS];

G_DEFINE_TYPE(BpQemuAttach, bp_qemu_attach, G_TYPE_OBJECT)


static void
bp_qemu_attach_closed_cb(BpQmpMonitor *mon, const GError *error, gpointer user_data)
{
    BpQemuAttach *attach = user_data;

    if (attach->detaching)
        return;
    g_warning("domain %s: lost the QMP connection to %s: %s",
              attach->domain, attach->qmp_socket, error->message);
    g_signal_emit(attach, bp_qemu_attach_signals[SIGNAL_DISCONNECTED], 0, error);
}


/* Matches every disk to the node of its active layer. */
static gboolean
bp_qemu_attach_match(BpQemuAttach *attach, BpBlockGraph *graph, GError **error)
{
    for (guint i = 0; i < attach->disks->len; i++) {
        BpQemuDiskSpec *spec = g_ptr_array_index(attach->disks, i);
        BpQemuLayer *top;
        BpBlockNode *node;

        if (spec->layers->len == 0) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("domain %s: disk '%s' names neither an image nor a node"),
                        attach->domain, spec->target);
            return FALSE;
        }
        top = bp_qemu_disk_spec_layer(spec, 0);
        if (top->node_name) {
            if (!(node = bp_block_graph_lookup(graph, top->node_name))) {
                g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("domain %s: disk '%s': QEMU at %s has no block node '%s'"),
                            attach->domain, spec->target, attach->qmp_socket,
                            top->node_name);
                return FALSE;
            }
        } else if (!(node = bp_block_graph_find_by_filename(graph, top->path, error))) {
            g_prefix_error(error, _("domain %s: disk '%s': "), attach->domain, spec->target);
            return FALSE;
        }
        g_hash_table_insert(attach->top_nodes, g_strdup(spec->target),
                            g_strdup(node->node_name));
    }
    return TRUE;
}


static void
bp_qemu_attach_graph_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpQemuAttach *attach = g_task_get_task_data(task);
    g_autoptr(BpBlockGraph) graph = NULL;
    GError *err = NULL;

    if (!(graph = bp_block_graph_read_finish(attach->mon, result, &err)) ||
        !bp_qemu_attach_match(attach, graph, &err)) {
        bp_qemu_attach_detach(attach);
        g_task_return_error(task, err);
        return;
    }
    g_task_return_pointer(task, g_object_ref(attach), g_object_unref);
}


static void
bp_qemu_attach_connect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpQemuAttach *attach = g_task_get_task_data(task);
    GCancellable *cancellable;
    GError *err = NULL;

    if (!(attach->mon = bp_qmp_monitor_connect_finish(result, &err))) {
        g_prefix_error(&err, _("domain %s: "), attach->domain);
        g_task_return_error(task, err);
        return;
    }
    attach->closed_handler = g_signal_connect(attach->mon, "closed",
                                              G_CALLBACK(bp_qemu_attach_closed_cb), attach);
    cancellable = g_task_get_cancellable(task);
    bp_block_graph_read_async(attach->mon, NULL, 0, cancellable,
                              bp_qemu_attach_graph_cb, g_steal_pointer(&task));
}


void
bp_qemu_attach_async(const char *domain,
                     const char *qmp_socket,
                     BpQemuDiskSpec *const *disks,
                     size_t ndisks,
                     guint timeout_ms,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpQemuAttach *attach = g_object_new(BP_TYPE_QEMU_ATTACH, NULL);

    g_task_set_source_tag(task, bp_qemu_attach_async);
    attach->domain = g_strdup(domain);
    attach->qmp_socket = g_strdup(qmp_socket);
    for (size_t i = 0; i < ndisks; i++)
        g_ptr_array_add(attach->disks, bp_qemu_disk_spec_copy(disks[i]));
    g_task_set_task_data(task, attach, g_object_unref);
    bp_qmp_monitor_connect_async(qmp_socket, timeout_ms, cancellable,
                                 bp_qemu_attach_connect_cb, task);
}


BpQemuAttach *
bp_qemu_attach_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


void
bp_qemu_attach_read_graph_async(BpQemuAttach *attach,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
    GTask *task = g_task_new(attach, cancellable, callback, user_data);
    g_autofree BpBlockDiskRef *refs = g_new0(BpBlockDiskRef, attach->disks->len + 1);

    g_task_set_source_tag(task, bp_qemu_attach_read_graph_async);
    if (!bp_qemu_attach_is_connected(attach)) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                                _("domain %s: not connected to QEMU at %s"),
                                attach->domain, attach->qmp_socket);
        g_object_unref(task);
        return;
    }
    for (guint i = 0; i < attach->disks->len; i++) {
        BpQemuDiskSpec *spec = g_ptr_array_index(attach->disks, i);

        refs[i].target = spec->target;
        refs[i].top_node = g_hash_table_lookup(attach->top_nodes, spec->target);
    }
    bp_block_graph_read_async(attach->mon, refs, attach->disks->len, cancellable,
                              bp_block_graph_read_task_cb, task);
}


BpBlockGraph *
bp_qemu_attach_read_graph_finish(BpQemuAttach *attach, GAsyncResult *result,
                                 GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, attach), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


BpQmpMonitor *
bp_qemu_attach_get_monitor(BpQemuAttach *attach)
{
    return bp_qemu_attach_is_connected(attach) ? attach->mon : NULL;
}


const char *
bp_qemu_attach_get_qmp_socket(BpQemuAttach *attach)
{
    return attach->qmp_socket;
}


const char *
bp_qemu_attach_get_top_node(BpQemuAttach *attach, const char *target)
{
    return g_hash_table_lookup(attach->top_nodes, target);
}


void
bp_qemu_attach_set_top_node(BpQemuAttach *attach, const char *target, const char *node_name)
{
    g_hash_table_insert(attach->top_nodes, g_strdup(target), g_strdup(node_name));
}


gboolean
bp_qemu_attach_is_connected(BpQemuAttach *attach)
{
    return attach->mon && !bp_qmp_monitor_is_closed(attach->mon);
}


void
bp_qemu_attach_detach(BpQemuAttach *attach)
{
    if (!attach->mon)
        return;
    attach->detaching = TRUE;
    g_clear_signal_handler(&attach->closed_handler, attach->mon);
    bp_qmp_monitor_close(attach->mon);
}


static void
bp_qemu_attach_dispose(GObject *object)
{
    BpQemuAttach *attach = BP_QEMU_ATTACH(object);

    bp_qemu_attach_detach(attach);
    g_clear_object(&attach->mon);
    G_OBJECT_CLASS(bp_qemu_attach_parent_class)->dispose(object);
}


static void
bp_qemu_attach_finalize(GObject *object)
{
    BpQemuAttach *attach = BP_QEMU_ATTACH(object);

    g_free(attach->domain);
    g_free(attach->qmp_socket);
    g_ptr_array_unref(attach->disks);
    g_hash_table_unref(attach->top_nodes);
    G_OBJECT_CLASS(bp_qemu_attach_parent_class)->finalize(object);
}


static void
bp_qemu_attach_init(BpQemuAttach *attach)
{
    attach->disks = g_ptr_array_new_with_free_func((GDestroyNotify) bp_qemu_disk_spec_free);
    attach->top_nodes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}


static void
bp_qemu_attach_class_init(BpQemuAttachClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = bp_qemu_attach_dispose;
    object_class->finalize = bp_qemu_attach_finalize;

    bp_qemu_attach_signals[SIGNAL_DISCONNECTED] =
        g_signal_new("disconnected", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                     0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}
