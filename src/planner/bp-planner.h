/*
 * bp-planner.h: the bitmap planner (DESIGN §3).
 *
 * Pure functions: a domain's block node graph (BpBlockGraph, read from
 * QEMU or from qemu-img by src/qemu), the catalogue's view of the
 * domain's checkpoints (BpPlanCatalogue, plain structs filled by the
 * caller) and a request go in; QMP transaction actions (BpPlan,
 * bp-plan.h) or a precise GError come out.  No sockets, no SQLite, no
 * clock, no main loop.
 *
 * The model is libvirt's current one (reference libvirt-behaviour.md §3):
 * every checkpoint has one persistent bitmap per included disk, named
 * after it, recording from its creation on.  A checkpoint is usable on a
 * disk when its bitmap is in the top image and in a contiguous run of
 * layers below it, every instance recording, persistent and consistent;
 * "changed since X" is the union of X over that run.  Deleting a
 * checkpoint removes its bitmap from every layer; nothing is merged into
 * other checkpoints (they have been recording all along).
 *
 * Where blkpoint deliberately differs from libvirt, the function's
 * comment says so.
 */
#pragma once

#include "qemu/bp-block-graph.h"
#include "bp-plan.h"

G_BEGIN_DECLS

/* ---- names (issue 6 item 5) --------------------------------------------- */

/*
 * Temporary bitmaps blkpoint creates.  They are transient (never written
 * to an image) and their names are reserved: a checkpoint (whose bitmap
 * carries its name) may not start with one of BP_PLANNER_RESERVED_PREFIXES.
 * The list is the same as src/conf's BP_CHECKPOINT_RESERVED_PREFIXES
 * (tests/test-planner.c checks it).
 */
#define BP_PLANNER_RESERVED_PREFIXES { "blkpoint-", "backup-", NULL }
#define BP_PLANNER_BITMAP_SIZE "blkpoint-size"
#define BP_PLANNER_BITMAP_ACTIVEWRITE "blkpoint-activewrite"
/* Push backups use "backup-<disk target>" on the live top image, as
 * libvirt does: bp_planner_backup_bitmap_name(). */
#define BP_PLANNER_BITMAP_BACKUP_PREFIX "backup-"

/* QEMU refuses longer bitmap names ("Bitmap name too long"). */
#define BP_PLANNER_BITMAP_NAME_MAX 1023

/* TRUE when @name starts with one of the reserved prefixes. */
gboolean bp_planner_bitmap_name_is_reserved(const char *name);
/* "backup-<target>": the temporary bitmap of a push backup of @target. */
char *bp_planner_backup_bitmap_name(const char *target);

/* ---- the catalogue's view ------------------------------------------------ */

typedef struct {
    char *target;           /* disk target, e.g. "vda" */
    char *bitmap;           /* bitmap name; NULL for checkpoint='no' */
    guint64 granularity;    /* create only: bytes, 0 = QEMU's default */
} BpPlanCheckpointDisk;

typedef struct {
    char *name;
    char *parent;           /* NULL for a root */
    GPtrArray *disks;       /* BpPlanCheckpointDisk*, in domain order */
} BpPlanCheckpoint;

typedef struct {
    GPtrArray *checkpoints; /* BpPlanCheckpoint*, parents before children;
                             * siblings in creation order */
} BpPlanCatalogue;

BpPlanCheckpoint *bp_plan_checkpoint_new(const char *name, const char *parent);
/* @bitmap NULL = the disk is not part of the checkpoint. */
void bp_plan_checkpoint_add_disk(BpPlanCheckpoint *chk, const char *target,
                                 const char *bitmap, guint64 granularity);
void bp_plan_checkpoint_free(BpPlanCheckpoint *chk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpPlanCheckpoint, bp_plan_checkpoint_free)
/* The entry for disk @target, or NULL. */
const BpPlanCheckpointDisk *bp_plan_checkpoint_find_disk(const BpPlanCheckpoint *chk,
                                                         const char *target);

BpPlanCatalogue *bp_plan_catalogue_new(void);
/* Takes ownership of @chk. */
void bp_plan_catalogue_add(BpPlanCatalogue *cat, BpPlanCheckpoint *chk);
BpPlanCheckpoint *bp_plan_catalogue_lookup(const BpPlanCatalogue *cat,
                                           const char *name);
/* The checkpoint other than @except whose bitmap on disk @target is
 * @bitmap, or NULL. */
BpPlanCheckpoint *bp_plan_catalogue_bitmap_owner(const BpPlanCatalogue *cat,
                                                 const char *target,
                                                 const char *bitmap,
                                                 const char *except);
void bp_plan_catalogue_free(BpPlanCatalogue *cat);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpPlanCatalogue, bp_plan_catalogue_free)

/* ---- bitmap chains -------------------------------------------------------- */

/*
 * libvirt's qemuBlockBitmapChainIsValid: TRUE when bitmap @name is in the
 * top layer of @disk and in a contiguous run of layers below it (no gap),
 * every instance recording, persistent and not inconsistent.  Busy and
 * granularity are not looked at.  When FALSE and @reason is not NULL,
 * *@reason is a newly allocated sentence saying which layer is at fault
 * and how (missing, gap, not persistent, disabled, inconsistent).
 */
gboolean bp_planner_bitmap_chain_is_valid(const BpBlockDisk *disk,
                                          const char *name,
                                          char **reason);

/* What bp_planner_bitmap_merge() moves where (libvirt's
 * qemuBlockGetBitmapMergeActions arguments). */
typedef struct {
    guint top;                  /* index in the disk's chain to start at */
    const char *base;           /* node to stop at (excluded), NULL = to the end */
    const char *target;         /* node that receives the bitmaps; need not
                                 * be in the graph (a backup scratch, a
                                 * mirror) */
    const char *bitmap;         /* only this bitmap, NULL = every one */
    const char *dst_bitmap;     /* merge into this transient, disabled
                                 * bitmap; NULL = into a persistent,
                                 * recording bitmap of the same name */
    const char *write_node;     /* also merge write_bitmap of this node into
                                 * each, and remove it at the end; NULL = no */
    const char *write_bitmap;
} BpPlanMerge;

/*
 * The one merge primitive every bitmap movement uses: for each bitmap of
 * the top node (the chain's @top entry) that is valid from there down
 * (others are skipped silently), in the reverse of QEMU's order (libvirt
 * builds the list by prepending), adds the destination bitmap to
 * @target when it is missing there (always for @dst_bitmap), with the
 * granularity of the topmost instance, and merges every instance from the
 * top down to @base (excluded) into it.  Appends to @actions.
 */
void bp_planner_bitmap_merge(const BpBlockGraph *graph,
                             const BpBlockDisk *disk,
                             const BpPlanMerge *merge,
                             GPtrArray *actions);

/* ---- checkpoints ---------------------------------------------------------- */

/*
 * checkpoint-create: one block-dirty-bitmap-add {persistent, recording,
 * granularity when the disk asks for one} per disk of @chk that has a
 * bitmap, on the disk's top node, appended to plan->actions (one
 * transaction for all disks).
 *
 * Refused, with nothing appended: a name already in @cat
 * (BP_ERROR_EXISTS); a reserved or too long bitmap name
 * (BP_ERROR_CONFIG_UNSUPPORTED); a disk twice, or one the graph does not
 * have (BP_ERROR_INVALID_ARGUMENT); a top node that is not qcow2
 * (BP_ERROR_CONFIG_UNSUPPORTED) or is read-only
 * (BP_ERROR_OPERATION_INVALID); a bitmap of that name on any layer of
 * the disk (BP_ERROR_EXISTS, naming the checkpoint of @cat that owns it
 * if one does).  libvirt only finds the last case on the top layer, when
 * QEMU refuses the transaction; a stale bitmap further down would silently
 * join the new checkpoint's chain, so blkpoint refuses it up front.
 */
gboolean bp_planner_checkpoint_create(BpPlan *plan,
                                      const BpBlockGraph *graph,
                                      const BpPlanCatalogue *cat,
                                      const BpPlanCheckpoint *chk,
                                      GError **error);

typedef enum {
    BP_PLAN_DELETE_SINGLE,          /* the checkpoint only */
    BP_PLAN_DELETE_CHILDREN,        /* it and all its descendants */
    BP_PLAN_DELETE_CHILDREN_ONLY,   /* its descendants, not itself */
} BpPlanDeleteMode;

/*
 * The checkpoints a delete in @mode discards, in libvirt's order: the
 * descendants pre-order (a child, then its descendants; siblings in
 * catalogue order), then the checkpoint itself.  Borrowed pointers into
 * @cat.  NULL with BP_ERROR_NO_CHECKPOINT when @name is not in @cat.
 */
GPtrArray *bp_planner_checkpoint_delete_list(const BpPlanCatalogue *cat,
                                             const char *name,
                                             BpPlanDeleteMode mode,
                                             GError **error);

/*
 * checkpoint-delete (not --metadata): for each checkpoint of the delete
 * list, each of its disks with a bitmap, each layer of the disk's chain
 * from the top down that has the bitmap, a block-dirty-bitmap-remove,
 * all in one transaction (libvirt sends one per checkpoint); every
 * read-only layer among them goes to plan->reopen, the lowest first (as
 * libvirt orders it).  Validity is not looked at: an inconsistent or
 * disabled bitmap is removed like any other.  Disks the graph no longer
 * has are skipped.
 *
 * Refused, with nothing appended: @name unknown (BP_ERROR_NO_CHECKPOINT);
 * a disk whose chain has the bitmap nowhere
 * (BP_ERROR_CHECKPOINT_INCONSISTENT; libvirt's "bitmap not found", the
 * way out is --metadata); a bitmap that a checkpoint which stays also
 * names on that disk (BP_ERROR_OPERATION_INVALID; libvirt removes it and
 * breaks the other checkpoint); a bitmap in use by a job or an export
 * (BP_ERROR_BUSY; QEMU would refuse the transaction).
 */
gboolean bp_planner_checkpoint_delete(BpPlan *plan,
                                      const BpBlockGraph *graph,
                                      const BpPlanCatalogue *cat,
                                      const char *name,
                                      BpPlanDeleteMode mode,
                                      GError **error);

/*
 * checkpoint-dumpxml --size: for each disk of @chk that has a bitmap, is
 * in the graph and whose chain is valid (others are skipped: no size),
 * a transient disabled bitmap @tmp_name (NULL = BP_PLANNER_BITMAP_SIZE)
 * on the top node holding the union of the chain (plan->actions), listed
 * in plan->tmp_bitmaps: read its "count" (dirty bytes) from
 * query-named-block-nodes, then run plan->after, which removes it.  A
 * transient leftover of that name is removed first (plan->before).
 * Refused: a persistent bitmap of that name on a top node
 * (BP_ERROR_EXISTS).
 */
gboolean bp_planner_checkpoint_size(BpPlan *plan,
                                    const BpBlockGraph *graph,
                                    const BpPlanCheckpoint *chk,
                                    const char *tmp_name,
                                    GError **error);

/*
 * checkpoint-create --redefine: checks @chk against the catalogue and,
 * with @validate (--redefine-validate; @graph then required), against
 * the images.  Refused: a reserved bitmap name
 * (BP_ERROR_CONFIG_UNSUPPORTED); a bitmap another checkpoint of @cat
 * names on the same disk (BP_ERROR_EXISTS: libvirt accepts it, and a
 * later delete of either removes the other's bitmap; oracle report §0
 * item 11); with @validate, a disk of the graph whose chain for the
 * disk's bitmap is not valid (BP_ERROR_CHECKPOINT_INCONSISTENT with the
 * reason; libvirt checks the bitmap named after the checkpoint, which is
 * the same bitmap unless the definition names another one).  Disks the
 * graph does not have are skipped.  Sends nothing: no plan.
 */
gboolean bp_planner_checkpoint_redefine_check(const BpBlockGraph *graph,
                                              const BpPlanCatalogue *cat,
                                              const BpPlanCheckpoint *chk,
                                              gboolean validate,
                                              GError **error);

/* ---- backups -------------------------------------------------------------- */

/*
 * The bitmap of an incremental backup of disk @target since checkpoint
 * bitmap @bitmap: a transient disabled bitmap @tmp_name (NULL =
 * "backup-<target>") on node @node (NULL = the disk's top node: push
 * mode; a pull backup names its scratch node) = the union of @bitmap over
 * its chain (plan->actions: add, then merge), listed in
 * plan->tmp_bitmaps.  When it sits on the disk's own top node,
 * plan->after removes it (run it when the job has ended), and a transient
 * leftover of that name is removed first (plan->before).
 * Refused: @target not in the graph (BP_ERROR_INVALID_ARGUMENT); the
 * chain is not valid (BP_ERROR_CHECKPOINT_INCONSISTENT, with the
 * reason); a persistent bitmap @tmp_name on @node, or one that @plan
 * already adds there (BP_ERROR_EXISTS).
 */
gboolean bp_planner_backup_bitmap(BpPlan *plan,
                                  const BpBlockGraph *graph,
                                  const char *target,
                                  const char *bitmap,
                                  const char *node,
                                  const char *tmp_name,
                                  GError **error);

/* ---- snapshots and block jobs --------------------------------------------- */

/*
 * External snapshot of disk @target onto the new overlay node @overlay:
 * for every bitmap of the current top node whose chain is valid, in
 * QEMU's order, an empty recording persistent bitmap of the same name and
 * granularity on @overlay, then blockdev-snapshot {top, overlay}; all in
 * plan->actions, so that no write goes unrecorded.  (libvirt copies every
 * recording, persistent, consistent bitmap of the top node; the two
 * differ only for a bitmap already broken below the top, which stays
 * unusable either way.)  Refused: @target not in the graph, @overlay
 * already in its chain (BP_ERROR_INVALID_ARGUMENT); @overlay known to
 * the graph and unable to store bitmaps (BP_ERROR_CONFIG_UNSUPPORTED).
 */
gboolean bp_planner_snapshot(BpPlan *plan,
                             const BpBlockGraph *graph,
                             const char *target,
                             const char *overlay,
                             GError **error);

/*
 * Block commit of disk @target from node @top down into node @base (both
 * in its chain, @top above @base).  Every bitmap valid from @top down is
 * carried into @base: added there when missing (persistent, recording,
 * granularity of the topmost instance), and the instances from @top to
 * just above @base merged into it (plan->actions, run after the job
 * completed).  Active commit (@top is the top node): plan->before adds
 * the transient recording bitmap @activewrite (NULL =
 * BP_PLANNER_BITMAP_ACTIVEWRITE) to @base; run it right before
 * job-complete; it catches the writes between the pivot and the merge,
 * is merged into every carried bitmap and removed at the end of
 * plan->actions (if the job fails instead, remove it yourself).
 * Non-active commit: a read-only @base goes to plan->reopen.
 * Refused: unknown disk or nodes, @top not above @base
 * (BP_ERROR_INVALID_ARGUMENT).
 */
gboolean bp_planner_block_commit(BpPlan *plan,
                                 const BpBlockGraph *graph,
                                 const char *target,
                                 const char *top,
                                 const char *base,
                                 const char *activewrite,
                                 GError **error);

/*
 * Block copy (mirror) of disk @target to node @mirror (not part of the
 * disk's chain): plan->before adds @activewrite (NULL =
 * BP_PLANNER_BITMAP_ACTIVEWRITE) to @mirror, right before job-complete;
 * plan->actions (after the pivot) adds every bitmap valid from the top to
 * @mirror and merges into it the instances of the whole chain (@shallow:
 * of the top layer only, the backing chain stays below the mirror) plus
 * @activewrite, which it then removes.
 */
gboolean bp_planner_block_copy(BpPlan *plan,
                               const BpBlockGraph *graph,
                               const char *target,
                               const char *mirror,
                               gboolean shallow,
                               const char *activewrite,
                               GError **error);

/*
 * Block pull (stream into the top) of disk @target down to node @base
 * (NULL = the whole chain): merges into the top node's own bitmaps, for
 * every bitmap valid from the top, the instances of the layers being
 * pulled (plan->actions, after the job completed).  Bitmaps only in the
 * pulled layers are lost, as in libvirt.
 */
gboolean bp_planner_block_pull(BpPlan *plan,
                               const BpBlockGraph *graph,
                               const char *target,
                               const char *base,
                               GError **error);

G_END_DECLS
