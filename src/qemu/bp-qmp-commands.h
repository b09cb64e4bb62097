/*
 * bp-qmp-commands.h: typed wrappers for the QMP commands blkpoint uses.
 *
 * Every wrapper has the shape of bp_qmp_monitor_command_async() with the
 * arguments spelled out.  Commands that return nothing of interest are
 * finished with bp_qmp_command_finish(); queries have their own finish
 * function returning parsed structs.
 *
 * The bp_qmp_args_*() builders return the "arguments" object of a command
 * and the bp_qmp_action_*() builders a {"type", "data"} entry for a
 * "transaction", so that a planner can assemble transactions without a
 * monitor and the same arguments go out either way.
 *
 * Jobs: every job we start has "auto-dismiss": false, so a finished job
 * stays in query-jobs with its error until we dismiss it ourselves
 * (qemu-poc.md §10: with the default, a failed job vanishes).
 */
#pragma once

#include "bp-qmp-monitor.h"

G_BEGIN_DECLS

/* ---- generic ---------------------------------------------------------- */

/* Sends @command and ignores the returned value.  Finish with
 * bp_qmp_command_finish(). */
void bp_qmp_command_async(BpQmpMonitor *mon,
                          const char *command,
                          JsonObject *arguments,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data);
/* TRUE when QEMU accepted the command; otherwise FALSE with the error
 * of bp_qmp_monitor_command_finish(). */
gboolean bp_qmp_command_finish(BpQmpMonitor *mon,
                               GAsyncResult *result,
                               GError **error);

/* ---- bitmaps ---------------------------------------------------------- */

typedef struct {
    const char *node;           /* NULL = the target's node */
    const char *name;
} BpQmpBitmapRef;

/* @granularity 0 = QEMU's default (the cluster size). */
JsonObject *bp_qmp_args_bitmap_add(const char *node, const char *name,
                                   guint64 granularity, gboolean persistent,
                                   gboolean disabled);
/* For remove, clear, enable and disable: {"node", "name"}. */
JsonObject *bp_qmp_args_bitmap(const char *node, const char *name);
JsonObject *bp_qmp_args_bitmap_merge(const char *node, const char *target,
                                     const BpQmpBitmapRef *sources,
                                     size_t nsources);

void bp_qmp_bitmap_add_async(BpQmpMonitor *mon, const char *node,
                             const char *name, guint64 granularity,
                             gboolean persistent, gboolean disabled,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
void bp_qmp_bitmap_remove_async(BpQmpMonitor *mon, const char *node,
                                const char *name, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
void bp_qmp_bitmap_clear_async(BpQmpMonitor *mon, const char *node,
                               const char *name, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
void bp_qmp_bitmap_enable_async(BpQmpMonitor *mon, const char *node,
                                const char *name, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
void bp_qmp_bitmap_disable_async(BpQmpMonitor *mon, const char *node,
                                 const char *name, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
void bp_qmp_bitmap_merge_async(BpQmpMonitor *mon, const char *node,
                               const char *target,
                               const BpQmpBitmapRef *sources, size_t nsources,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);

/* ---- block nodes ------------------------------------------------------ */

/* @options is the whole blockdev-add argument object. */
void bp_qmp_blockdev_add_async(BpQmpMonitor *mon, JsonObject *options,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
void bp_qmp_blockdev_del_async(BpQmpMonitor *mon, const char *node,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
/* Starts a blockdev-create job @job_id; wait for it with bp_qmp_job_wait_async(). */
void bp_qmp_blockdev_create_async(BpQmpMonitor *mon, const char *job_id,
                                  JsonObject *options,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
/* @options: array of blockdev-add style objects, one per node to reopen. */
void bp_qmp_blockdev_reopen_async(BpQmpMonitor *mon, JsonArray *options,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
JsonObject *bp_qmp_args_blockdev_snapshot(const char *node, const char *overlay);
void bp_qmp_blockdev_snapshot_async(BpQmpMonitor *mon, const char *node,
                                    const char *overlay,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);

/* ---- jobs ------------------------------------------------------------- */

typedef struct {
    const char *job_id;
    const char *device;         /* source node */
    const char *target;         /* target node */
    const char *sync;           /* "full", "incremental", "bitmap", "none", "top" */
    const char *bitmap;         /* for incremental/bitmap */
    const char *bitmap_mode;    /* "on-success", "never", "always"; NULL = default */
    const char *filter_node_name;
    guint64 speed;              /* bytes/s, 0 = unlimited */
    gboolean compress;
} BpQmpBackupArgs;

JsonObject *bp_qmp_args_blockdev_backup(const BpQmpBackupArgs *args);
void bp_qmp_blockdev_backup_async(BpQmpMonitor *mon, const BpQmpBackupArgs *args,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);

typedef struct {
    const char *job_id;
    const char *device;         /* the active layer (or any node above top) */
    const char *top_node;       /* NULL = active commit */
    const char *base_node;
    const char *backing_file;   /* written into the overlay; NULL = keep QEMU's */
    const char *filter_node_name;
    guint64 speed;
} BpQmpCommitArgs;

void bp_qmp_block_commit_async(BpQmpMonitor *mon, const BpQmpCommitArgs *args,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);

typedef struct {
    const char *job_id;
    const char *device;         /* the node data is pulled into (the top) */
    const char *base_node;      /* NULL = pull the whole chain */
    const char *backing_file;   /* written into the top; NULL = QEMU's choice */
    guint64 speed;
} BpQmpStreamArgs;

/* block-stream with auto-dismiss false. */
void bp_qmp_block_stream_async(BpQmpMonitor *mon, const BpQmpStreamArgs *args,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
void bp_qmp_job_complete_async(BpQmpMonitor *mon, const char *id,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
void bp_qmp_job_cancel_async(BpQmpMonitor *mon, const char *id,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
void bp_qmp_job_dismiss_async(BpQmpMonitor *mon, const char *id,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
void bp_qmp_block_job_cancel_async(BpQmpMonitor *mon, const char *device,
                                   gboolean force, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);

/* block-job-set-speed {device: @id, speed: @speed} (bytes/s, 0 = none). */
void bp_qmp_block_job_set_speed_async(BpQmpMonitor *mon, const char *id,
                                      guint64 speed, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);

typedef struct {
    char *id;
    char *type;                 /* "backup", "commit", "create", ... */
    char *status;               /* "running", "ready", "concluded", ... */
    gint64 current_progress;
    gint64 total_progress;
    char *error;                /* NULL when the job did not fail */
} BpQmpJobInfo;

void bp_qmp_job_info_free(BpQmpJobInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpQmpJobInfo, bp_qmp_job_info_free)

void bp_qmp_query_jobs_async(BpQmpMonitor *mon, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
/* A GPtrArray of BpQmpJobInfo (freed with the array). */
GPtrArray *bp_qmp_query_jobs_finish(BpQmpMonitor *mon, GAsyncResult *result,
                                    GError **error);

/*
 * Waits until job @id reaches @status ("ready", "concluded", ...) or
 * concludes, whichever comes first, and returns its query-jobs entry at
 * that point (so status "concluded" with error set means it failed).
 * The job must have been started with auto-dismiss off.  Fails with
 * BP_ERROR_NO_BACKUP when no such job exists, BP_ERROR_TIMEOUT after
 * @timeout_ms (BP_QMP_TIMEOUT_NONE = wait forever).
 */
void bp_qmp_job_wait_async(BpQmpMonitor *mon, const char *id,
                           const char *status, guint timeout_ms,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
BpQmpJobInfo *bp_qmp_job_wait_finish(BpQmpMonitor *mon, GAsyncResult *result,
                                     GError **error);

/* ---- transactions ----------------------------------------------------- */

/* {"type": @type, "data": @data}; takes ownership of @data. */
JsonObject *bp_qmp_action_new(const char *type, JsonObject *data);
/* Runs @actions (an array of bp_qmp_action_new() objects) atomically;
 * @grouped sets completion-mode "grouped" for the jobs it starts. */
void bp_qmp_transaction_async(BpQmpMonitor *mon, JsonArray *actions,
                              gboolean grouped, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);

/* ---- exports ---------------------------------------------------------- */

void bp_qmp_nbd_server_start_unix_async(BpQmpMonitor *mon, const char *path,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data);
void bp_qmp_nbd_server_stop_async(BpQmpMonitor *mon, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
/* @bitmaps: NULL-terminated bitmap names to publish as
 * qemu:dirty-bitmap:NAME contexts, or NULL. */
JsonObject *bp_qmp_args_export_nbd(const char *id, const char *node,
                                   const char *name, gboolean writable,
                                   const char *const *bitmaps);
JsonObject *bp_qmp_args_export_vhost_user_blk(const char *id, const char *node,
                                             const char *socket_path,
                                             gboolean writable);
/* @args from one of the two builders above. */
void bp_qmp_block_export_add_async(BpQmpMonitor *mon, JsonObject *args,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
void bp_qmp_block_export_del_async(BpQmpMonitor *mon, const char *id,
                                   gboolean force, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);

/* ---- devices and the process ------------------------------------------ */

typedef struct {
    char *device;               /* BlockBackend name ("" for anonymous) */
    char *qdev;                 /* guest device path, NULL if none */
    char *node_name;            /* root node of the inserted medium, NULL if empty */
    char *filename;
} BpQmpBlockInfo;

void bp_qmp_block_info_free(BpQmpBlockInfo *info);

void bp_qmp_query_block_async(BpQmpMonitor *mon, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
/* A GPtrArray of BpQmpBlockInfo. */
GPtrArray *bp_qmp_query_block_finish(BpQmpMonitor *mon, GAsyncResult *result,
                                     GError **error);

void bp_qmp_quit_async(BpQmpMonitor *mon, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data);

G_END_DECLS
