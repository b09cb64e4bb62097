/*
 * bp-backup-priv.h: what the files of backup-begin share: the operation,
 * its steps and the helpers between preparation (bp-backup-begin.c) and
 * the QMP steps (bp-backup-push.c).
 */
#pragma once

#include "bp-backup-leftovers.h"
#include "bp-backup-ops.h"
#include "conf/bp-backup-conf.h"
#include "conf/bp-checkpoint-conf.h"
#include "planner/bp-planner.h"
#include "qemu/bp-qmp-commands.h"

G_BEGIN_DECLS

typedef enum {
    STEP_ADD_FILES,         /* blockdev-add the protocol nodes */
    STEP_CREATE,            /* blockdev-create qcow2 on the new files */
    STEP_CREATE_WAIT,
    STEP_CREATE_DISMISS,
    STEP_ADD_FORMATS,       /* blockdev-add the qcow2 nodes */
    STEP_NBD_START,         /* pull: nbd-server-start when QEMU has none */
    STEP_BEFORE,            /* the plan's leftover removals */
    STEP_TRANSACTION,       /* bitmaps + blockdev-backup, grouped */
    STEP_EXPORT,            /* pull: block-export-add per disk */
    STEP_WAIT,              /* pull: until Finish or Cancel */
    STEP_DISMISS,
    /* clean-up: always run */
    STEP_UNEXPORT,          /* pull: block-export-del of what is left */
    STEP_UNDO_CHECKPOINT,
    STEP_AFTER,
    STEP_NBD_STOP,          /* pull: nbd-server-stop of a server we started */
    STEP_DEL_FORMATS,
    STEP_DEL_FILES,
    STEP_CLOSE_TEMP,        /* offline: quit the temporary QSD */
    STEP_OFFLINE_CHECKPOINT,/* offline: the new checkpoint by qemu-img */
    STEP_DONE,
} BpBackupStep;

typedef struct {
    char *target;
    char *path;
    char *base_node;        /* the disk's top node */
    char *file_node;
    char *fmt_node;
    char *job;
    char *bitmap;           /* incremental: the transient bitmap */
    char *backing;          /* incremental: backing file of the target */
    char *fallback;         /* why this disk fell back to a full copy */
    guint64 size;
    gboolean created;       /* we created the file */
    gboolean file_added;
    gboolean fmt_added;
    gboolean job_started;
    guint64 bytes;
    guint64 bytes_total;
    /* pull mode (bp-backup-pull.c) */
    char *export_id;
    char *export_name;
    gboolean exported;
    gboolean finished;      /* the consumer reported it */
    char *output;           /* the file the consumer wrote, or NULL */
    gboolean consumer_counted; /* consumer_bytes was reported */
    guint64 consumer_bytes; /* data bytes the consumer copied */
} BpBackupTarget;

struct _BpBackupOp {
    GTask *task;
    BpStore *store;
    gint64 domain_id;
    BpBlockAccess *access;
    BpQmpMonitor *mon;
    unsigned int flags;
    gint64 now;
    BpBackupDef *def;
    BpCheckpointDef *chk;       /* the new checkpoint, or NULL */
    BpBlockGraph *graph;
    BpPlan *plan;
    GPtrArray *targets;         /* BpBackupTarget* */
    gint64 job_id;
    gint64 backup_id;
    gint64 previous_id;
    BpBackupStep step;
    guint pending;
    gboolean transaction_done;  /* the checkpoint bitmaps exist */
    gboolean undo_failed;       /* ... and removing them failed */
    gboolean cancelled;
    guint poll_id;
    gint64 start_us;
    gboolean registered;        /* in bp_backup_busy */
    BpBackupStartedFunc started;
    gpointer started_data;
    GError *error;              /* the first failure */
    /* pull mode (bp-backup-pull.c) */
    gboolean pull;
    gboolean finishing;         /* every disk was reported: ending well */
    gboolean stopping;          /* exports removed, jobs being cancelled */
    gboolean nbd_start;         /* QEMU has no NBD server: start one */
    gboolean nbd_started;
    gboolean tls_added;         /* its TLS credentials object exists */
    char *nbd_socket;           /* unix socket of the server, or NULL (tcp) */
    /* A shut-off domain (bp-backup-offline.c): */
    BpBlockAccess *offline;     /* its OFFLINE access; op->access is then
                                 * the temporary qemu-storage-daemon */
    BpBlockGraph *ckpt_graph;   /* offline: the graph the checkpoint is
                                 * planned on (qemu-img info) */
    BpPlan *ckpt_plan;          /* offline: the new checkpoint's bitmaps */
    gboolean temp_open;         /* the temporary QSD runs */
    BpBackupLeftovers *leftovers; /* what it creates (job row's data) */
};

typedef struct {
    BpBackupOp *op;
    BpBackupTarget *tgt;        /* NULL for a transaction */
} BpBackupCall;

void bp_backup_target_free(BpBackupTarget *t);
void bp_backup_op_free(BpBackupOp *op);
/* Keeps the first failure (takes @error). */
void bp_backup_fail(BpBackupOp *op, GError *error);
/* Ends the task with the backup id or the first failure; the domain is
 * no longer busy. */
void bp_backup_return(BpBackupOp *op);
/* The backup row, its job and the pending checkpoint, in one catalogue
 * transaction; sets op->backup_id and op->job_id. */
gboolean bp_backup_record(BpBackupOp *op, GError **error);
/* One answer of the current step is in; the next step starts after the
 * last one. */
void bp_backup_call_done(BpBackupOp *op);
/* Runs op->step and the ones after it (see BpBackupStep). */
void bp_backup_step_run(BpBackupOp *op);
void bp_backup_cleanup_failed(BpBackupOp *op, const char *message);
/* A pending command of the current step: bp_backup_call() counts it,
 * bp_backup_call_done() ends the step when it was the last one. */
BpBackupCall *bp_backup_call(BpBackupOp *op, BpBackupTarget *tgt);
void bp_backup_call_done(BpBackupOp *op);

/* ---- pull mode (bp-backup-pull.c) ---- */

/* After alignment: the NBD server (the domain's QEMU's own, or one to
 * start), export names and bitmaps; refuses what cannot be served. */
gboolean bp_backup_pull_prepare(BpBackupOp *op, GError **error);
/* Sends the pull-only commands of op->step for @t (NULL: the commands
 * that are not per disk). */
void bp_backup_pull_step(BpBackupOp *op, BpBackupTarget *t);
/* Removes the exports, then cancels the fleecing jobs: the end of a
 * pull backup (Finish, Cancel or a failure). */
void bp_backup_pull_stop(BpBackupOp *op);
/* Removes the domain from the in-process busy table (bp-backup-begin.c). */
void bp_backup_unregister(BpBackupOp *op);
/* Reads the graph op->access gives and goes on with the planning
 * (bp-backup-begin.c). */
void bp_backup_read_graph(BpBackupOp *op);

/* bp-backup-offline.c: a shut-off domain.  Opens the temporary access
 * (after the checkpoint's offline graph was read), then goes on with
 * bp_backup_read_graph(). */
void bp_backup_offline_start(BpBackupOp *op);
/* Runs STEP_CLOSE_TEMP or STEP_OFFLINE_CHECKPOINT (one pending call). */
void bp_backup_offline_step(BpBackupOp *op);
/* Quits the temporary QSD if it still runs, then calls @func(@op). */
void bp_backup_offline_close(BpBackupOp *op, void (*func)(BpBackupOp *op));

G_END_DECLS
