/*
 * bp-block-graph.h: a domain's block node graph as C structs.
 *
 * Read from a live QEMU with query-named-block-nodes (node data and dirty
 * bitmaps) plus x-debug-query-block-graph (which node is whose "file" and
 * "backing" child: node data alone names the backing *file*, and with
 * explicit node options even that turns into a json: pseudo-filename).
 * The offline runtime builds the same structs from qemu-img info.
 *
 * For each disk the graph holds its chain from the active layer down to
 * the base, format nodes only; protocol nodes are reachable through
 * file_node.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "bp-qmp-monitor.h"

G_BEGIN_DECLS

typedef struct {
    char *name;                 /* NULL for a job's internal bitmap */
    guint64 granularity;
    gboolean recording;
    gboolean busy;              /* in use by a job or an export */
    gboolean persistent;
    gboolean inconsistent;      /* left in use by a crash: only removal works */
    gboolean count_known;       /* FALSE when read offline with qemu-img */
    guint64 count;              /* dirty bytes */
} BpBitmapInfo;

typedef struct {
    char *node_name;
    char *driver;               /* "qcow2", "raw", "file", "throttle", ... */
    char *filename;             /* the image file; for a format node, its
                                 * protocol child's file name */
    char *file_node;            /* protocol ("file") child, or NULL */
    char *backing_node;         /* backing child, or NULL */
    gboolean read_only;
    guint64 virtual_size;
    guint64 cluster_size;       /* 0 when the format has no clusters */
    GPtrArray *bitmaps;         /* BpBitmapInfo* */
} BpBlockNode;

typedef struct {
    char *target;
    GPtrArray *chain;           /* BpBlockNode* borrowed from the graph,
                                 * active layer first */
} BpBlockDisk;

typedef struct {
    GHashTable *nodes;          /* node name -> BpBlockNode* (owned) */
    GPtrArray *disks;           /* BpBlockDisk* in the order added */
} BpBlockGraph;

/* A disk to resolve: its target and the node name of its active layer. */
typedef struct {
    const char *target;
    const char *top_node;
} BpBlockDiskRef;

BpBlockGraph *bp_block_graph_new(void);
void bp_block_graph_free(BpBlockGraph *graph);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpBlockGraph, bp_block_graph_free)

/* Takes ownership of @node; replaces a node of the same name. */
void bp_block_graph_add_node(BpBlockGraph *graph, BpBlockNode *node);
BpBlockNode *bp_block_node_new(const char *node_name, const char *driver);
void bp_block_node_free(BpBlockNode *node);
BpBitmapInfo *bp_bitmap_info_new(const char *name);
void bp_bitmap_info_free(BpBitmapInfo *bitmap);

/*
 * Builds a graph from the return values of query-named-block-nodes
 * ({"flat": true}) and x-debug-query-block-graph.  Fails with
 * BP_ERROR_QEMU when either is not shaped as QEMU 7.2 sends it.
 */
BpBlockGraph *bp_block_graph_parse(JsonNode *named_nodes,
                                   JsonNode *block_graph,
                                   GError **error);

/*
 * Resolves the chain of a disk whose active layer is @top_node by
 * following backing children; the disk is added to @graph (which owns
 * it).  Fails with BP_ERROR_INVALID_ARGUMENT when @top_node is not in the
 * graph or the backing links loop.
 */
BpBlockDisk *bp_block_graph_add_disk(BpBlockGraph *graph,
                                     const char *target,
                                     const char *top_node,
                                     GError **error);

BpBlockNode *bp_block_graph_lookup(const BpBlockGraph *graph, const char *node_name);
BpBlockDisk *bp_block_graph_get_disk(const BpBlockGraph *graph, const char *target);
BpBitmapInfo *bp_block_node_find_bitmap(const BpBlockNode *node, const char *name);

/*
 * Whether a persistent bitmap added to @node now would reach its image.
 * FALSE with BP_ERROR_OPERATION_INVALID when the node is read-only (QEMU
 * 7.2 accepts the add and silently drops the bitmap when the node is
 * closed, qemu-poc.md §9: reopen it read-write first) or its format
 * cannot store bitmaps (only qcow2 can).
 */
gboolean bp_block_node_check_persistent_bitmap(const BpBlockNode *node,
                                               GError **error);

/*
 * The node that opens image @path as a disk layer: the format node whose
 * protocol child has that file name (or the protocol node itself when it
 * has no format node above it).  Symbolic links are resolved on both
 * sides.  NULL with BP_ERROR_INVALID_ARGUMENT when no node or more than
 * one node opens the file.
 */
BpBlockNode *bp_block_graph_find_by_filename(const BpBlockGraph *graph,
                                             const char *path,
                                             GError **error);

/*
 * Reads the graph from a live QEMU and resolves @disks (may be empty).
 * Both queries go out at once.
 */
void bp_block_graph_read_async(BpQmpMonitor *mon,
                               const BpBlockDiskRef *disks,
                               size_t ndisks,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
BpBlockGraph *bp_block_graph_read_finish(BpQmpMonitor *mon,
                                         GAsyncResult *result,
                                         GError **error);

/* A GAsyncReadyCallback for bp_block_graph_read_async() whose user data is
 * a GTask (consumed): returns the graph (freed with bp_block_graph_free)
 * or the error through it.  For wrappers that read a runtime's graph. */
void bp_block_graph_read_task_cb(GObject *source, GAsyncResult *result,
                                 gpointer task);

/* A stable text rendering of the disks, their chains and bitmaps (for
 * tests, logs and golden files). */
char *bp_block_graph_dump(const BpBlockGraph *graph);

G_END_DECLS
