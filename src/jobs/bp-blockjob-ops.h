/*
 * bp-blockjob-ops.h: block commit with checkpoints kept valid (issue 8).
 *
 * A commit folds the layers from "top" down to just above "base" of a
 * disk's backing chain into "base".  The bitmaps of the committed layers
 * are carried into the base (the planner's bp_planner_block_commit()),
 * so every checkpoint that was valid on the disk stays valid and still
 * counts every write made since it.
 *
 * Running domain (storage or attach runtime), QMP:
 *
 *   non-active (top below the active layer):
 *     block-commit {job-id, device: active node, top-node, base-node,
 *                   backing-file: base's file name, auto-dismiss: false}
 *     ... JOB_STATUS_CHANGE concluded; job-dismiss
 *     blockdev-reopen base read-write (when it is read-only)
 *     transaction [add missing bitmaps on base; merge each bitmap's
 *                  instances from top down to base (excluded) into base]
 *     blockdev-reopen base read-only
 *     blockdev-del of every committed format node and its file node
 *
 *   active (top is the active layer; "active" flag):
 *     block-commit {job-id, device: active node, base-node, auto-dismiss: false}
 *     ... ready; the job waits for bp_block_job_pivot() or _abort()
 *     pivot: transaction [block-dirty-bitmap-add blkpoint-activewrite
 *                         on base, transient, recording]; job-complete;
 *            ... concluded; job-dismiss; transaction [add missing
 *            bitmaps; merge top..base(excl) + activewrite into base;
 *            remove activewrite]; blockdev-del of the old layers
 *     abort: job-cancel ... concluded; job-dismiss (chain unchanged;
 *            activewrite was never added)
 *
 * Shut-off domain: qemu-img commit -b BASE TOP (the layers in between
 * go into base too), qemu-img rebase -u of the layer above top onto
 * base (non-active), then the bitmap merges as qemu-img bitmap --merge
 * calls (bp_block_access_apply_async()).
 *
 * After success the domain's persistent definition in the catalogue
 * (and, running, the live one) loses the committed layers, and with
 * BP_BLOCK_COMMIT_DELETE their files are removed.
 *
 * Block pull (bp_blockjob_ops_pull_async()) copies the data of the layers
 * below the active one, down to just above "base" (or of the whole
 * chain), into the active layer, as libvirt's blockpull.  The planner's
 * bp_planner_block_pull() merges the pulled layers' instances of every
 * bitmap the active layer has into it; a checkpoint whose bitmap only the
 * pulled layers had is lost, and marked broken with the reason.
 *
 *   running: block-stream {job-id, device: active node, base-node,
 *              backing-file, auto-dismiss: false} ... concluded;
 *            job-dismiss; transaction [merges into the active node];
 *            blockdev-del of the pulled nodes
 *   shut off: qemu-img bitmap --disable of the top's recording bitmaps,
 *            qemu-img rebase -b BASE -F FMT TOP (safe mode: copies the
 *            pulled data), --enable again, then the merges as qemu-img
 *            bitmap --merge calls
 */
#pragma once

#include <gio/gio.h>

#include "bp-block-access.h"
#include "store/bp-store.h"

G_BEGIN_DECLS

/* The catalogue's job kind of a commit in flight. */
#define BP_BLOCKJOB_JOB_COMMIT "block-commit"
/* ... and of a pull. */
#define BP_BLOCKJOB_JOB_PULL "block-pull"

typedef enum {
    BP_BLOCK_COMMIT_SHALLOW = 1 << 0,       /* base = the layer below top */
    BP_BLOCK_COMMIT_ACTIVE = 1 << 1,        /* top may be the active layer */
    BP_BLOCK_COMMIT_DELETE = 1 << 2,        /* delete committed files after success */
    BP_BLOCK_COMMIT_RELATIVE = 1 << 3,      /* keep backing names relative */
} BpBlockCommitFlags;

typedef struct _BpBlockJob BpBlockJob;

typedef struct {
    char *disk;                 /* target name */
    gboolean active;            /* active commit */
    gboolean pull;              /* a block pull, not a commit */
    gboolean ready;             /* in sync, can be pivoted */
    guint64 cur;                /* progress, bytes */
    guint64 end;
    guint64 bandwidth;          /* bytes/s, 0 = unlimited */
    gint64 start_time;          /* µs, g_get_real_time() */
    gint64 store_id;            /* catalogue job row */
} BpBlockJobInfo;

void bp_block_job_info_clear(BpBlockJobInfo *info);

/*
 * Commits disk @disk (target name or source path) of the domain reached
 * through @access, from @top to @base ("vda[N]" or a path; NULL:
 * top = the active layer, base = the bottom of the chain).  @bandwidth
 * in bytes per second (0 = unlimited); @flags: BpBlockCommitFlags.
 *
 * Live: returns the job (owned by the operation; valid until the
 * callback ran) and calls the started function (set it right away)
 * once QEMU runs the job; @callback runs when the commit has ended:
 * completed (and, for an active commit, pivoted or abandoned).  Offline:
 * returns NULL; @callback runs when everything is done.
 *
 * Errors: BP_ERROR_INVALID_ARGUMENT (no such disk or layer, base not
 * below top), BP_ERROR_OPERATION_INVALID (top is the active layer
 * without ACTIVE; a read-only disk), BP_ERROR_BUSY (a backup runs or the
 * disk has a block job), BP_ERROR_QEMU, BP_ERROR_CATALOGUE.
 */
BpBlockJob *bp_blockjob_ops_commit_async(BpStore *store,
                                         gint64 domain_id,
                                         BpBlockAccess *access,
                                         const char *disk,
                                         const char *top,
                                         const char *base,
                                         guint64 bandwidth,
                                         unsigned int flags,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer user_data);
/*
 * Pulls into the active layer of disk @disk the layers below it down to
 * just above @base ("vda[N]" or a path; NULL: the whole chain, the disk
 * ends up without backing), as described at the top.  @flags:
 * BP_BLOCK_COMMIT_RELATIVE only.  Returns and calls back as
 * bp_blockjob_ops_commit_async() (no ready phase; finish it with
 * bp_blockjob_ops_commit_finish()).  Errors: as for a commit, and
 * BP_ERROR_INVALID_ARGUMENT for a base that is the top itself or a disk
 * without backing chain.
 */
BpBlockJob *bp_blockjob_ops_pull_async(BpStore *store,
                                       gint64 domain_id,
                                       BpBlockAccess *access,
                                       const char *disk,
                                       const char *base,
                                       guint64 bandwidth,
                                       unsigned int flags,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data);

/*
 * TRUE when the commit is over: *@pivoted (optional) says whether the
 * chain changed (FALSE: an active commit was abandoned, the chain is as
 * it was).  *@new_def (optional) receives the domain's new persistent
 * definition when it changed (already stored in the catalogue).
 */
gboolean bp_blockjob_ops_commit_finish(GAsyncResult *result, gboolean *pivoted,
                                       BpDomainDef **new_def, GError **error);

typedef void (*BpBlockJobFunc)(BpBlockJob *job, gpointer data);
/* Called once when QEMU runs the job, and (@ready) when an active commit
 * became ready. */
void bp_block_job_set_started_func(BpBlockJob *job, BpBlockJobFunc started,
                                   BpBlockJobFunc ready, gpointer data);

void bp_block_job_get_info(BpBlockJob *job, BpBlockJobInfo *info);
const char *bp_block_job_get_disk(BpBlockJob *job);

/* The job of disk @target of domain @domain_id, or NULL. */
BpBlockJob *bp_blockjob_ops_lookup(gint64 domain_id, const char *target);
/* Whether domain @domain_id has any block job. */
gboolean bp_blockjob_ops_is_running(gint64 domain_id);

/*
 * Ends an active commit: switch to the base (@pivot) or abandon it.
 * BP_ERROR_OPERATION_INVALID when pivoting a job that is not ready, or
 * when the job is already ending.  The commit's own callback reports the
 * outcome.
 */
gboolean bp_block_job_end(BpBlockJob *job, gboolean pivot, GError **error);

/* block-job-set-speed. */
void bp_block_job_set_speed_async(BpBlockJob *job, guint64 bandwidth,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean bp_block_job_set_speed_finish(GAsyncResult *result, GError **error);

/*
 * Settles the block commits of domain @domain_id that a previous daemon
 * left unfinished (their catalogue job rows), as described at the top of
 * bp-blockjob-reconcile.c: a running QEMU job is cancelled, a commit that
 * took effect gets its bitmaps merged (when the domain still runs) or
 * the disk's checkpoints marked broken (when not), and the definitions
 * follow the chain.  *@changed: how many things were changed; *@new_def:
 * the domain's new persistent definition, when it changed.
 */
void bp_blockjob_ops_reconcile_async(BpStore *store, gint64 domain_id,
                                     BpBlockAccess *access, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
gboolean bp_blockjob_ops_reconcile_finish(GAsyncResult *result, guint *changed,
                                          BpDomainDef **new_def, GError **error);

/* For tests: called at @step ("concluded": the QEMU job has ended, the
 * bitmaps are not merged yet) of a live commit of disk @target. */
typedef void (*BpBlockJobHook)(const char *step, const char *target, gpointer data);
void bp_blockjob_ops_set_test_hook(BpBlockJobHook hook, gpointer data);

/* ---- shared with the offline path (bp-blockjob-common.c) ---- */

/*
 * Resolves @spec ("vda[N]": N counted from the bottom layer, 0, upwards,
 * as the storage runtime numbers its nodes; or an image path) to a
 * layer of @disk's chain; its index in the chain (0 = active layer), or
 * -1 with BP_ERROR_INVALID_ARGUMENT.
 */
int bp_blockjob_resolve_layer(const BpBlockGraph *graph, const BpBlockDisk *disk,
                              const char *spec, GError **error);

/*
 * The chain indexes of a commit of @disk: top (default: the active
 * layer) and base (default: the bottom; with SHALLOW: the layer below
 * top), checked as documented for bp_blockjob_ops_commit_async().
 */
gboolean bp_blockjob_commit_range(const BpBlockGraph *graph, const BpBlockDisk *disk,
                                  const char *top, const char *base,
                                  unsigned int flags, int *top_idx, int *base_idx,
                                  GError **error);

/*
 * Drops the layers with image files @top_path down to just above
 * @base_path from disk @target of @def.  When the definition lists
 * neither (the chain is left to the images) nothing changes, except that
 * an active commit (@top_path is the disk's source) makes @base_path the
 * source.
 */
gboolean bp_blockjob_def_drop_layers(BpDomainDef *def, const char *target,
                                     const char *top_path, const char *base_path,
                                     const char *base_format, GError **error);

/* Stores @def as domain @domain_id's definition.  */
gboolean bp_blockjob_store_def(BpStore *store, gint64 domain_id,
                               const BpDomainDef *def, GError **error);

/* Registry used by the live and offline paths. */
gboolean bp_blockjob_claim(gint64 domain_id, const char *target, BpBlockJob *job,
                           const char *domain_name, GError **error);
void bp_blockjob_release(gint64 domain_id, const char *target);

G_END_DECLS
