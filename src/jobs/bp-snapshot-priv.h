/*
 * bp-snapshot-priv.h: what the files of the snapshot operations share:
 * the per-disk plan of a creation, its JSON form in the job row (what
 * reconciliation reads back), the final catalogue step, and a runner for
 * a list of QMP or qemu-img commands.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "bp-snapshot-ops.h"

G_BEGIN_DECLS

/* One disk that gets an overlay. */
typedef struct {
    char *target;
    char *path;                 /* the overlay file */
    char *format;               /* its format: qcow2 */
    BpStorageType type;         /* file (block devices are reused only) */
    char *fmt_node;             /* running: its format node */
    char *file_node;            /* running: its protocol node */
    gboolean create;            /* blkpoint creates the file */
    char *create_job;           /* running: the blockdev-create job id */
    /* what is done so far (not in the job data) */
    gboolean file_created;
    gboolean file_added;
    gboolean fmt_added;
} BpSnapDisk;

void bp_snap_disk_free(BpSnapDisk *disk);

/* What step 3 records, and what the job row keeps for reconciliation. */
typedef struct {
    char *name;
    char *parent;               /* the current snapshot at creation, or NULL */
    char *description;
    gint64 creation_time;
    char *state;                /* "disk-snapshot" or "shutoff" */
    char *xml;                  /* the snapshot document */
    gboolean no_metadata;
    GPtrArray *disks;           /* BpSnapDisk*: the external ones */
    GPtrArray *all_disks;       /* BpStoreSnapshotDisk*: every disk, domain order */
} BpSnapRecord;

void bp_snap_record_free(BpSnapRecord *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpSnapRecord, bp_snap_record_free)

/* The job data (JSON text) of @rec, and back. */
char *bp_snap_record_to_json(const BpSnapRecord *rec);
BpSnapRecord *bp_snap_record_from_json(const char *data, GError **error);

/*
 * Step 3: in one catalogue transaction the snapshot row (unless
 * no_metadata), the domain's stored definition with every overlay pushed
 * on its disk (disks the stored definition no longer has are skipped),
 * and the removal of job @job_id.  Then, for a running domain (@run not
 * NULL), its live definition and top nodes.  *@new_def (optional): the
 * stored definition as now.
 */
gboolean bp_snap_commit(BpStore *store, gint64 domain_id, gint64 job_id,
                        const BpSnapRecord *rec, BpDomainRun *run,
                        BpDomainDef **new_def, GError **error);

/* Removes the overlay files of @disks that were created by blkpoint
 * (create set); missing files are fine.  Logs what cannot be removed. */
void bp_snap_remove_files(GPtrArray *disks, gboolean only_created_now);

/* ---- a sequential command runner ------------------------------------- */

typedef enum {
    BP_SNAP_CMD_QMP,            /* command + args */
    BP_SNAP_CMD_WAIT,           /* wait for job @job to conclude, fail with its error */
    BP_SNAP_CMD_IMG,            /* qemu-img @argv on image @image */
} BpSnapCmdKind;

typedef struct {
    BpSnapCmdKind kind;
    char *command;
    JsonObject *args;
    char *job;
    char **argv;
    char *image;
    gboolean *done;             /* set TRUE when the command succeeded */
    gboolean ignore_error;      /* go on after a failure */
} BpSnapCmd;

void bp_snap_cmd_free(BpSnapCmd *cmd);
BpSnapCmd *bp_snap_cmd_qmp(const char *command, JsonObject *args, gboolean *done);
BpSnapCmd *bp_snap_cmd_wait(const char *job);
BpSnapCmd *bp_snap_cmd_img(const char *image, gboolean *done, ...) G_GNUC_NULL_TERMINATED;

/* Runs @cmds (taken) in order on @mon or with @config's qemu-img, stopping
 * at the first failure that is not ignored. */
void bp_snap_run_async(BpQmpMonitor *mon, const BpQemuRuntimeConfig *config,
                       GPtrArray *cmds, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data);
gboolean bp_snap_run_finish(GAsyncResult *result, GError **error);

/* The commands that take away what a creation added on a running domain:
 * blockdev-del of the format and file nodes of @disks that are known to
 * be added (or, with @unknown, that @graph has), errors ignored. */
GPtrArray *bp_snap_undo_cmds(GPtrArray *disks, const BpBlockGraph *graph);

void bp_snapshot_hook(const char *step, const char *snapshot);

G_END_DECLS
