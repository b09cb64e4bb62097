/*
 * bp-block-graph.c: a domain's block node graph as C structs.
 */
#include <config.h>

#include <stdlib.h>

#include "bp-block-graph.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

/* Longer backing chains than this are treated as a loop. */
#define BP_BLOCK_CHAIN_MAX 1024


BpBitmapInfo *
bp_bitmap_info_new(const char *name)
{
    BpBitmapInfo *bitmap = g_new0(BpBitmapInfo, 1);

    bitmap->name = g_strdup(name);
    return bitmap;
}


void
bp_bitmap_info_free(BpBitmapInfo *bitmap)
{
    if (!bitmap)
        return;
    g_free(bitmap->name);
    g_free(bitmap);
}


BpBlockNode *
bp_block_node_new(const char *node_name, const char *driver)
{
    BpBlockNode *node = g_new0(BpBlockNode, 1);

    node->node_name = g_strdup(node_name);
    node->driver = g_strdup(driver);
    node->bitmaps = g_ptr_array_new_with_free_func((GDestroyNotify) bp_bitmap_info_free);
    return node;
}


void
bp_block_node_free(BpBlockNode *node)
{
    if (!node)
        return;
    g_free(node->node_name);
    g_free(node->driver);
    g_free(node->filename);
    g_free(node->file_node);
    g_free(node->backing_node);
    g_ptr_array_unref(node->bitmaps);
    g_free(node);
}


static void
bp_block_disk_free(BpBlockDisk *disk)
{
    g_free(disk->target);
    g_ptr_array_unref(disk->chain);
    g_free(disk);
}


BpBlockGraph *
bp_block_graph_new(void)
{
    BpBlockGraph *graph = g_new0(BpBlockGraph, 1);

    graph->nodes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) bp_block_node_free);
    graph->disks = g_ptr_array_new_with_free_func((GDestroyNotify) bp_block_disk_free);
    return graph;
}


void
bp_block_graph_free(BpBlockGraph *graph)
{
    if (!graph)
        return;
    /* Disks borrow nodes: drop them first. */
    g_ptr_array_unref(graph->disks);
    g_hash_table_unref(graph->nodes);
    g_free(graph);
}


void
bp_block_graph_add_node(BpBlockGraph *graph, BpBlockNode *node)
{
    g_hash_table_replace(graph->nodes, node->node_name, node);
}


BpBlockNode *
bp_block_graph_lookup(const BpBlockGraph *graph, const char *node_name)
{
    return node_name ? g_hash_table_lookup(graph->nodes, node_name) : NULL;
}


BpBlockDisk *
bp_block_graph_get_disk(const BpBlockGraph *graph, const char *target)
{
    for (guint i = 0; i < graph->disks->len; i++) {
        BpBlockDisk *disk = g_ptr_array_index(graph->disks, i);

        if (g_str_equal(disk->target, target))
            return disk;
    }
    return NULL;
}


BpBitmapInfo *
bp_block_node_find_bitmap(const BpBlockNode *node, const char *name)
{
    for (guint i = 0; i < node->bitmaps->len; i++) {
        BpBitmapInfo *bitmap = g_ptr_array_index(node->bitmaps, i);

        if (g_strcmp0(bitmap->name, name) == 0)
            return bitmap;
    }
    return NULL;
}


gboolean
bp_block_node_check_persistent_bitmap(const BpBlockNode *node, GError **error)
{
    if (g_strcmp0(node->driver, "qcow2") != 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("block node '%s' (%s) cannot store persistent bitmaps; only qcow2 can"),
                    node->node_name, node->driver);
        return FALSE;
    }
    if (node->read_only) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("block node '%s' is read-only: QEMU would drop a persistent bitmap "
                      "added to it; reopen it read-write first"), node->node_name);
        return FALSE;
    }
    return TRUE;
}


static BpBitmapInfo *
bp_bitmap_info_parse(JsonObject *obj)
{
    BpBitmapInfo *bitmap =
        bp_bitmap_info_new(json_object_get_string_member_with_default(obj, "name", NULL));

    bitmap->granularity = json_object_get_int_member_with_default(obj, "granularity", 0);
    bitmap->recording = json_object_get_boolean_member_with_default(obj, "recording", FALSE);
    bitmap->busy = json_object_get_boolean_member_with_default(obj, "busy", FALSE);
    bitmap->persistent = json_object_get_boolean_member_with_default(obj, "persistent", FALSE);
    /* QEMU only sends "inconsistent" when it is true. */
    bitmap->inconsistent = json_object_get_boolean_member_with_default(obj, "inconsistent",
                                                                       FALSE);
    bitmap->count = json_object_get_int_member_with_default(obj, "count", 0);
    bitmap->count_known = TRUE;
    return bitmap;
}


static BpBlockNode *
bp_block_node_parse(JsonObject *obj)
{
    const char *name = json_object_get_string_member_with_default(obj, "node-name", NULL);
    BpBlockNode *node;
    JsonNode *member;

    if (!name || !*name)
        return NULL;
    node = bp_block_node_new(name, json_object_get_string_member_with_default(obj, "drv", ""));
    node->read_only = json_object_get_boolean_member_with_default(obj, "ro", FALSE);
    node->filename = g_strdup(json_object_get_string_member_with_default(obj, "file", NULL));

    member = json_object_get_member(obj, "image");
    if (member && JSON_NODE_HOLDS_OBJECT(member)) {
        JsonObject *image = json_node_get_object(member);

        node->virtual_size = json_object_get_int_member_with_default(image, "virtual-size", 0);
        node->cluster_size = json_object_get_int_member_with_default(image, "cluster-size", 0);
    }

    member = json_object_get_member(obj, "dirty-bitmaps");
    if (member && JSON_NODE_HOLDS_ARRAY(member)) {
        JsonArray *array = json_node_get_array(member);

        for (guint i = 0; i < json_array_get_length(array); i++) {
            JsonNode *el = json_array_get_element(array, i);

            if (JSON_NODE_HOLDS_OBJECT(el))
                g_ptr_array_add(node->bitmaps, bp_bitmap_info_parse(json_node_get_object(el)));
        }
    }
    return node;
}


/* Fills file_node/backing_node from the edges of x-debug-query-block-graph. */
static gboolean
bp_block_graph_parse_edges(BpBlockGraph *graph, JsonNode *block_graph, GError **error)
{
    g_autoptr(GHashTable) ids = g_hash_table_new(g_int64_hash, g_int64_equal);
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
    JsonObject *obj;
    JsonArray *nodes;
    JsonArray *edges;

    if (!JSON_NODE_HOLDS_OBJECT(block_graph) ||
        !json_object_has_member((obj = json_node_get_object(block_graph)), "nodes") ||
        !json_object_has_member(obj, "edges")) {
        g_set_error(error, BP_ERROR, BP_ERROR_QEMU,
                    _("reply of 'x-debug-query-block-graph' has no nodes and edges"));
        return FALSE;
    }
    nodes = json_object_get_array_member(obj, "nodes");
    edges = json_object_get_array_member(obj, "edges");

    for (guint i = 0; nodes && i < json_array_get_length(nodes); i++) {
        JsonObject *n = json_array_get_object_element(nodes, i);
        gint64 *key;

        if (!n || g_strcmp0(json_object_get_string_member_with_default(n, "type", ""),
                            "block-driver") != 0)
            continue;
        key = g_new(gint64, 1);
        *key = json_object_get_int_member_with_default(n, "id", -1);
        g_ptr_array_add(keys, key);
        g_hash_table_insert(ids, key,
                            (gpointer) json_object_get_string_member_with_default(n, "name", ""));
    }
    for (guint i = 0; edges && i < json_array_get_length(edges); i++) {
        JsonObject *e = json_array_get_object_element(edges, i);
        gint64 parent_id, child_id;
        const char *role;
        BpBlockNode *parent;
        const char *child;

        if (!e)
            continue;
        parent_id = json_object_get_int_member_with_default(e, "parent", -1);
        child_id = json_object_get_int_member_with_default(e, "child", -1);
        role = json_object_get_string_member_with_default(e, "name", "");
        parent = bp_block_graph_lookup(graph, g_hash_table_lookup(ids, &parent_id));
        child = g_hash_table_lookup(ids, &child_id);
        if (!parent || !child)
            continue;
        if (g_str_equal(role, "file")) {
            g_free(parent->file_node);
            parent->file_node = g_strdup(child);
        } else if (g_str_equal(role, "backing")) {
            g_free(parent->backing_node);
            parent->backing_node = g_strdup(child);
        }
    }
    return TRUE;
}


BpBlockGraph *
bp_block_graph_parse(JsonNode *named_nodes, JsonNode *block_graph, GError **error)
{
    g_autoptr(BpBlockGraph) graph = bp_block_graph_new();
    GHashTableIter iter;
    BpBlockNode *node;
    JsonArray *array;

    if (!named_nodes || !JSON_NODE_HOLDS_ARRAY(named_nodes)) {
        g_set_error(error, BP_ERROR, BP_ERROR_QEMU,
                    _("reply of 'query-named-block-nodes' is not an array"));
        return NULL;
    }
    array = json_node_get_array(named_nodes);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        JsonNode *el = json_array_get_element(array, i);

        if (JSON_NODE_HOLDS_OBJECT(el) && (node = bp_block_node_parse(json_node_get_object(el))))
            bp_block_graph_add_node(graph, node);
    }
    if (!bp_block_graph_parse_edges(graph, block_graph, error))
        return NULL;

    /* A format node's own "file" is a json: pseudo-filename as soon as
     * options were given explicitly: take its protocol child's. */
    g_hash_table_iter_init(&iter, graph->nodes);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *) &node)) {
        BpBlockNode *child = bp_block_graph_lookup(graph, node->file_node);

        if (child && child->filename && !g_str_has_prefix(child->filename, "json:")) {
            g_free(node->filename);
            node->filename = g_strdup(child->filename);
        }
    }
    return g_steal_pointer(&graph);
}


BpBlockDisk *
bp_block_graph_add_disk(BpBlockGraph *graph, const char *target, const char *top_node,
                        GError **error)
{
    BpBlockDisk *disk;
    g_autoptr(GPtrArray) chain = g_ptr_array_new();
    BpBlockNode *node = bp_block_graph_lookup(graph, top_node);

    if (!node) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("disk '%s': QEMU has no block node named '%s'"),
                    target, top_node ? top_node : "(none)");
        return NULL;
    }
    for (; node; node = bp_block_graph_lookup(graph, node->backing_node)) {
        if (chain->len >= BP_BLOCK_CHAIN_MAX) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("disk '%s': the backing chain below '%s' loops"),
                        target, top_node);
            return NULL;
        }
        g_ptr_array_add(chain, node);
    }
    disk = g_new0(BpBlockDisk, 1);
    disk->target = g_strdup(target);
    disk->chain = g_steal_pointer(&chain);
    g_ptr_array_add(graph->disks, disk);
    return disk;
}


/* @path with symbolic links resolved when it exists, else as given. */
static char *
bp_block_canonical_path(const char *path)
{
    char *real = realpath(path, NULL);
    char *ret;

    if (!real)
        return g_canonicalize_filename(path, "/");
    ret = g_strdup(real);
    free(real);
    return ret;
}


BpBlockNode *
bp_block_graph_find_by_filename(const BpBlockGraph *graph, const char *path,
                                GError **error)
{
    g_autofree char *want = bp_block_canonical_path(path);
    g_autoptr(GPtrArray) hits = g_ptr_array_new();
    GHashTableIter iter;
    BpBlockNode *node;
    BpBlockNode *found = NULL;

    g_hash_table_iter_init(&iter, graph->nodes);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *) &node)) {
        g_autofree char *have = NULL;

        if (!node->filename || g_str_has_prefix(node->filename, "json:"))
            continue;
        /* A filter reports its child's file name: a backup's
         * copy-before-write filter above the disk is not the disk. */
        if (node->driver && (g_str_equal(node->driver, "copy-before-write") ||
                             g_str_equal(node->driver, "throttle") ||
                             g_str_equal(node->driver, "snapshot-access")))
            continue;
        have = bp_block_canonical_path(node->filename);
        if (g_str_equal(have, want))
            g_ptr_array_add(hits, node);
    }
    /* Drop protocol nodes whose format node also matched. */
    for (guint i = 0; i < hits->len; i++) {
        BpBlockNode *hit = g_ptr_array_index(hits, i);
        gboolean is_child = FALSE;

        for (guint j = 0; j < hits->len; j++) {
            BpBlockNode *other = g_ptr_array_index(hits, j);

            if (other != hit && g_strcmp0(other->file_node, hit->node_name) == 0)
                is_child = TRUE;
        }
        if (is_child)
            continue;
        if (found) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("image %s is opened by several block nodes ('%s', '%s'); "
                          "give the node name"),
                        path, found->node_name, hit->node_name);
            return NULL;
        }
        found = hit;
    }
    if (!found)
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("no block node of QEMU opens image %s"), path);
    return found;
}


/* ---- reading from QEMU ------------------------------------------------- */

typedef struct {
    GPtrArray *targets;         /* char* */
    GPtrArray *tops;            /* char* */
    JsonNode *named_nodes;
    JsonNode *block_graph;
    GError *error;
    int outstanding;
} BpBlockGraphRead;


static void
bp_block_graph_read_free(BpBlockGraphRead *read)
{
    g_ptr_array_unref(read->targets);
    g_ptr_array_unref(read->tops);
    g_clear_pointer(&read->named_nodes, json_node_unref);
    g_clear_pointer(&read->block_graph, json_node_unref);
    g_clear_error(&read->error);
    g_free(read);
}


static void
bp_block_graph_read_cb(GObject *source, GAsyncResult *result, gpointer user_data,
                       gboolean is_graph)
{
    g_autoptr(GTask) task = user_data;
    BpBlockGraphRead *read = g_task_get_task_data(task);
    g_autoptr(BpBlockGraph) graph = NULL;
    GError *err = NULL;
    JsonNode *ret = bp_qmp_monitor_command_finish(BP_QMP_MONITOR(source), result, &err);

    if (!ret) {
        if (!read->error)
            read->error = err;
        else
            g_error_free(err);
    } else if (is_graph) {
        read->block_graph = ret;
    } else {
        read->named_nodes = ret;
    }
    if (--read->outstanding > 0)
        return;

    if (read->error) {
        g_task_return_error(task, g_steal_pointer(&read->error));
        return;
    }
    if (!(graph = bp_block_graph_parse(read->named_nodes, read->block_graph, &err))) {
        g_task_return_error(task, err);
        return;
    }
    for (guint i = 0; i < read->targets->len; i++) {
        if (!bp_block_graph_add_disk(graph, g_ptr_array_index(read->targets, i),
                                     g_ptr_array_index(read->tops, i), &err)) {
            g_task_return_error(task, err);
            return;
        }
    }
    g_task_return_pointer(task, g_steal_pointer(&graph), (GDestroyNotify) bp_block_graph_free);
}


static void
bp_block_graph_nodes_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    bp_block_graph_read_cb(source, result, user_data, FALSE);
}


static void
bp_block_graph_edges_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    bp_block_graph_read_cb(source, result, user_data, TRUE);
}


void
bp_block_graph_read_async(BpQmpMonitor *mon,
                          const BpBlockDiskRef *disks,
                          size_t ndisks,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
    GTask *task = g_task_new(mon, cancellable, callback, user_data);
    BpBlockGraphRead *read = g_new0(BpBlockGraphRead, 1);
    g_autoptr(JsonObject) args = json_object_new();

    g_task_set_source_tag(task, bp_block_graph_read_async);
    read->targets = g_ptr_array_new_with_free_func(g_free);
    read->tops = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < ndisks; i++) {
        g_ptr_array_add(read->targets, g_strdup(disks[i].target));
        g_ptr_array_add(read->tops, g_strdup(disks[i].top_node));
    }
    read->outstanding = 2;
    g_task_set_task_data(task, read, (GDestroyNotify) bp_block_graph_read_free);

    json_object_set_boolean_member(args, "flat", TRUE);
    bp_qmp_monitor_command_async(mon, "query-named-block-nodes", args,
                                 BP_QMP_TIMEOUT_DEFAULT, cancellable,
                                 bp_block_graph_nodes_cb, g_object_ref(task));
    bp_qmp_monitor_command_async(mon, "x-debug-query-block-graph", NULL,
                                 BP_QMP_TIMEOUT_DEFAULT, cancellable,
                                 bp_block_graph_edges_cb, task);
}


BpBlockGraph *
bp_block_graph_read_finish(BpQmpMonitor *mon, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, mon), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


void
bp_block_graph_read_task_cb(GObject *source, GAsyncResult *result, gpointer task)
{
    g_autoptr(GTask) owned = task;
    BpBlockGraph *graph;
    GError *err = NULL;

    if (!(graph = bp_block_graph_read_finish(BP_QMP_MONITOR(source), result, &err)))
        g_task_return_error(owned, err);
    else
        g_task_return_pointer(owned, graph, (GDestroyNotify) bp_block_graph_free);
}


/* ---- text rendering ---------------------------------------------------- */

static int
bp_bitmap_cmp(gconstpointer a, gconstpointer b)
{
    const BpBitmapInfo *x = *(BpBitmapInfo *const *) a;
    const BpBitmapInfo *y = *(BpBitmapInfo *const *) b;

    return g_strcmp0(x->name, y->name);
}


char *
bp_block_graph_dump(const BpBlockGraph *graph)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < graph->disks->len; i++) {
        BpBlockDisk *disk = g_ptr_array_index(graph->disks, i);

        g_string_append_printf(out, "disk %s\n", disk->target);
        for (guint j = 0; j < disk->chain->len; j++) {
            BpBlockNode *node = g_ptr_array_index(disk->chain, j);
            g_autoptr(GPtrArray) sorted = g_ptr_array_new();

            g_string_append_printf(out, "  %s %s %s size=%" G_GUINT64_FORMAT
                                   " cluster=%" G_GUINT64_FORMAT " file=%s\n",
                                   node->node_name, node->driver,
                                   node->read_only ? "ro" : "rw",
                                   node->virtual_size, node->cluster_size,
                                   node->filename ? node->filename : "-");
            for (guint k = 0; k < node->bitmaps->len; k++)
                g_ptr_array_add(sorted, g_ptr_array_index(node->bitmaps, k));
            g_ptr_array_sort(sorted, bp_bitmap_cmp);
            for (guint k = 0; k < sorted->len; k++) {
                BpBitmapInfo *b = g_ptr_array_index(sorted, k);
                g_autofree char *count = b->count_known
                    ? g_strdup_printf("%" G_GUINT64_FORMAT, b->count) : g_strdup("?");

                g_string_append_printf(out, "    bitmap %s gran=%" G_GUINT64_FORMAT
                                       " record=%d busy=%d persistent=%d"
                                       " inconsistent=%d count=%s\n",
                                       b->name ? b->name : "(anonymous)",
                                       b->granularity, b->recording, b->busy,
                                       b->persistent, b->inconsistent, count);
            }
        }
    }
    return g_string_free(out, FALSE);
}
