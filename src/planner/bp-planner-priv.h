/*
 * bp-planner-priv.h: helpers shared by the planner's source files.
 */
#pragma once

#include "bp-planner.h"

G_BEGIN_DECLS

/* "'node' (file)" or "'node'": how messages name a layer. */
char *bp_planner_layer_describe(const BpBlockNode *node);

/* The disk's active layer (chain[0]); the chain is never empty. */
BpBlockNode *bp_planner_disk_top(const BpBlockDisk *disk);

/* The disk @target with a non-empty chain, or NULL with
 * BP_ERROR_INVALID_ARGUMENT. */
BpBlockDisk *bp_planner_get_disk(const BpBlockGraph *graph, const char *target,
                                 GError **error);

/* Index of node @node_name in the disk's chain, -1 when absent. */
int bp_planner_chain_index(const BpBlockDisk *disk, const char *node_name);

/* bp_planner_bitmap_chain_is_valid() on the chain from entry @start down. */
gboolean bp_planner_chain_valid_from(const BpBlockDisk *disk, guint start,
                                     const char *name, char **reason);

/* Before a temporary bitmap @tmp_name goes onto @node_name: a transient
 * leftover of that name is removed in part->before; a persistent one is
 * BP_ERROR_EXISTS. */
gboolean bp_planner_tmp_bitmap_prepare(BpPlan *part, const BpBlockGraph *graph,
                                       const char *node_name, const char *tmp_name,
                                       GError **error);

G_END_DECLS
