/*
 * bp-blockjob-priv.h: between the block job files of src/jobs.
 */
#pragma once

#include "bp-blockjob-ops.h"

G_BEGIN_DECLS

/* The offline commit behind bp_blockjob_ops_commit_async() (see
 * bp-blockjob-ops.h); finished through bp_blockjob_ops_commit_finish(). */
void bp_blockjob_offline_commit_async(BpStore *store, gint64 domain_id,
                                      BpBlockAccess *access, const char *disk,
                                      const char *top, const char *base,
                                      unsigned int flags, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
gboolean bp_blockjob_offline_commit_finish(GAsyncResult *result, gboolean *pivoted,
                                           BpDomainDef **new_def, GError **error);

/* ---- the live job (bp-blockjob-commit.c), shared with the pull ---- */

#include "planner/bp-plan.h"
#include "qemu/bp-qmp-monitor.h"

#define BP_BLOCKJOB_POLL_MS 250

typedef enum {
    BP_BLOCK_JOB_PREPARING,
    BP_BLOCK_JOB_RUNNING,
    BP_BLOCK_JOB_READY,
    BP_BLOCK_JOB_ENDING,
} BpBlockJobState;

struct _BpBlockJob {
    GTask *task;                /* owns this struct (task data) */
    BpStore *store;             /* borrowed: outlives the operation */
    gint64 domain_id;
    BpBlockAccess *access;
    BpQmpMonitor *mon;
    char *domain_name;
    char *disk_spec;
    char *target;               /* NULL until resolved */
    char *top_spec;
    char *base_spec;
    char *job_id;
    unsigned int flags;
    guint64 bandwidth;
    gboolean active;
    gboolean pull;              /* a block pull (block-stream into the top) */
    gboolean registered;

    BpBlockGraph *graph;        /* before the job */
    BpPlan *plan;
    char *active_node;
    char *top_node;
    char *base_node;
    char *top_file;
    char *base_file;
    char *base_format;
    GPtrArray *gone_nodes;      /* char*: format and file nodes to delete */
    GPtrArray *gone_files;      /* char*: image files of the committed layers */
    char *pulled_file;          /* pull: the first layer below the top */
    GPtrArray *lost;            /* pull: char*, checkpoints whose bitmap only the
                                 * pulled layers hold */

    BpBlockJobState state;
    gboolean pivot;
    gboolean cancelled;         /* a non-active commit was cancelled */
    char *phase;                /* as recorded in the catalogue */
    guint64 cur;
    guint64 end;
    gint64 start_time;
    gint64 store_id;
    guint poll_id;
    gboolean polling;

    BpBlockJobFunc started;
    BpBlockJobFunc ready;
    gpointer func_data;

    gboolean pivoted;
    BpDomainDef *new_def;
};



/*
 * Starts a live block job of kind @pull (FALSE: commit) as documented for
 * bp_blockjob_ops_commit_async() and bp_blockjob_ops_pull_async(); for a
 * pull @top is unused and @base may be NULL (the whole chain).  NULL
 * when @access is not live (the caller goes offline).
 */
BpBlockJob *bp_block_job_launch(BpStore *store, gint64 domain_id, BpBlockAccess *access,
                                gboolean pull, const char *disk, const char *top,
                                const char *base, guint64 bandwidth, unsigned int flags,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data);

/*
 * The range of a pull of @disk: *@base_idx is @base's index in the chain
 * (-1 without @base: the whole chain).  BP_ERROR_INVALID_ARGUMENT when
 * there is nothing to pull (no backing chain, @base is the top or right
 * below it) or @base is not in the chain.
 */
gboolean bp_blockjob_pull_range(const BpBlockGraph *graph, const BpBlockDisk *disk,
                                const char *base, const char *domain_name, int *base_idx,
                                GError **error);

/*
 * The layers @from to @to - 1 of @disk's chain (0 = the active layer),
 * those a job removes: their file names in *@files and, unless @nodes is
 * NULL, the names of their format and file nodes in *@nodes, as new
 * arrays of strings the caller owns.
 */
void bp_blockjob_gone_layers(const BpBlockDisk *disk, guint from, guint to,
                             GPtrArray **nodes, GPtrArray **files);

/* Pull: fills the job's nodes, files, plan and lost checkpoints from
 * @graph for disk @disk (bp-blockjob-pull.c). */
gboolean bp_block_job_prepare_pull(BpBlockJob *job, const BpBlockGraph *graph,
                                   const BpBlockDisk *disk, GError **error);
/* Pull, after the job: drops from the plan the merges whose bitmaps
 * went while it ran (a checkpoint deleted); takes @graph, which becomes
 * the job's. */
void bp_block_job_refresh_pull(BpBlockJob *job, BpBlockGraph *graph);
/* Pull: sends block-stream; @callback as for bp_qmp_command_finish(). */
void bp_block_job_start_pull(BpBlockJob *job, GAsyncReadyCallback callback);

/*
 * The names of the checkpoints (ready ones, with a bitmap on disk
 * @target) whose bitmap lives in none of the layers a pull of @disk down
 * to chain index @base_idx (-1: the whole chain) keeps in the top, but
 * in one of the layers it removes: those are lost.  NULL on error.
 */
GPtrArray *bp_blockjob_pull_lost(BpStore *store, gint64 domain_id,
                                 const BpBlockDisk *disk, int base_idx, GError **error);

/* Marks checkpoints @names of domain @domain_id broken: their bitmap
 * went with the layers a block pull of disk @target removed. */
gboolean bp_blockjob_pull_break(BpStore *store, gint64 domain_id, const char *domain_name,
                                const char *target, GPtrArray *names, GError **error);

/*
 * The definition after a pull of disk @target: the layers below the top
 * down to just above @base_path go (@pulled_path is the first of them);
 * a NULL @base_path (the whole chain pulled) ends the chain explicitly.
 */
gboolean bp_blockjob_def_drop_pulled(BpDomainDef *def, const char *target,
                                     const char *pulled_path, const char *base_path,
                                     const char *base_format, GError **error);

/* The offline pull behind bp_blockjob_ops_pull_async(); finished through
 * bp_blockjob_ops_commit_finish(). */
void bp_blockjob_offline_pull_async(BpStore *store, gint64 domain_id,
                                    BpBlockAccess *access, const char *disk,
                                    const char *base, unsigned int flags,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);

G_END_DECLS
