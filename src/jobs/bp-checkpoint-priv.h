/*
 * bp-checkpoint-priv.h: what the files of the checkpoint operations
 * share: conversions between catalogue rows, checkpoint documents and the
 * planner's view, bitmap look-ups in a graph, and the test hook.
 */
#pragma once

#include "bp-checkpoint-ops.h"
#include "conf/bp-checkpoint-conf.h"
#include "planner/bp-planner.h"

G_BEGIN_DECLS

/* Calls the test hook, if one is set. */
void bp_checkpoint_hook(const char *step, const char *checkpoint);

/* Every checkpoint of the domain with its disks, parents before
 * children (siblings by creation). */
GPtrArray *bp_checkpoint_rows(BpStore *store, gint64 domain_id, GError **error);
/* The row named @name in @rows, or NULL. */
BpStoreCheckpoint *bp_checkpoint_rows_find(GPtrArray *rows, const char *name);

/*
 * The planner's view of @rows.  With @graph, a checkpoint that is
 * already unusable (broken, deleting) or still pending does not claim
 * the disks whose chain has its bitmap nowhere, so that deleting it
 * removes what is left instead of failing.
 */
BpPlanCatalogue *bp_checkpoint_catalogue(GPtrArray *rows, const BpBlockGraph *graph);
/* The planner's view of one row or one (aligned) document. */
BpPlanCheckpoint *bp_checkpoint_plan_from_row(const BpStoreCheckpoint *row);
BpPlanCheckpoint *bp_checkpoint_plan_from_def(const BpCheckpointDef *def);

/* The catalogue row for @def (aligned; its dom set), state @state; disk
 * sizes from @graph when given. */
BpStoreCheckpoint *bp_checkpoint_row_from_def(gint64 domain_id,
                                              const BpCheckpointDef *def,
                                              BpStoreCheckpointState state,
                                              const BpBlockGraph *graph);
/* The document of a row (dom parsed from the stored domain copy). */
BpCheckpointDef *bp_checkpoint_def_from_row(const BpStoreCheckpoint *row,
                                            GError **error);

/* NULL when bitmap @bitmap's chain is valid on every disk of @row that
 * has one and that @graph knows, else the reason (newly allocated),
 * naming the disk. */
char *bp_checkpoint_invalid_reason(const BpBlockGraph *graph,
                                   const BpStoreCheckpoint *row);

/* Whether any layer of disk @target holds bitmap @bitmap. */
gboolean bp_checkpoint_disk_has_bitmap(const BpBlockGraph *graph, const char *target,
                                       const char *bitmap);

/* Appends to @actions a block-dirty-bitmap-remove for every layer of
 * every disk of @row that holds its bitmap, and to @reopen (when not
 * NULL) each of those layers that is read-only, lowest first, once.
 * With @top_only, only the top layer is looked at. */
void bp_checkpoint_removals(const BpBlockGraph *graph, const BpStoreCheckpoint *row,
                            gboolean top_only, GPtrArray *actions, GPtrArray *reopen);

/*
 * Carries out, on @access: reopen @reopen read-write, apply @actions,
 * reopen @reopen read-only (also after a failure of the apply).  The
 * error is the first failure; a failure of the final reopen alone is
 * only logged (the bitmaps were changed).
 */
void bp_checkpoint_run_actions_async(BpBlockAccess *access,
                                     const BpBlockGraph *graph,
                                     const GPtrArray *reopen,
                                     const GPtrArray *actions,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
gboolean bp_checkpoint_run_actions_finish(GAsyncResult *result, GError **error);

G_END_DECLS
