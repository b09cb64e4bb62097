/*
 * bp-backup-ops.h: backup-begin of a running or shut-off domain,
 * independent of D-Bus.
 *
 * Push and pull mode.  A push backup runs as:
 *
 *   1. checks: the domain has no backup job already, in this process
 *      or in the catalogue (BP_ERROR_BUSY at once), the documents parse, the disks align (the target suffix is
 *      the new checkpoint's name, else the start time), every incremental
 *      disk's bitmap chain is valid (BP_ERROR_CHECKPOINT_INCONSISTENT
 *      naming the checkpoint, the disk and why);
 *   2. the target files are created with O_CREAT|O_EXCL|O_NOFOLLOW (an
 *      existing file is refused with BP_ERROR_EXISTS unless
 *      BP_BACKUP_BEGIN_REUSE_EXTERNAL), formatted qcow2 by blockdev-create;
 *      an incremental target's backing file is that disk's target of the
 *      completed backup that created the base checkpoint, when the
 *      catalogue has one;
 *   3. one catalogue transaction: a job row "backup", the backup row
 *      (running) with its disks, and the new checkpoint "pending";
 *   4. one QMP transaction: the new checkpoint's bitmaps, the incremental
 *      bitmaps (transient, disabled, merged over the chain), one
 *      blockdev-backup per disk (auto-dismiss off).  QEMU refuses
 *      completion-mode "grouped" together with bitmap actions, so the
 *      grouping is ours: when one disk's job fails, the others are
 *      cancelled and the whole backup fails;
 *   5. the jobs are waited for and dismissed, the temporary bitmaps and
 *      the target nodes removed;
 *   6. success: the checkpoint becomes ready and current, the backup row
 *      completed with its bytes.  Failure or cancellation: the new
 *      checkpoint's bitmaps and row are removed (libvirt keeps them), the
 *      backup row says failed/cancelled with the reason, and the target
 *      files this backup created are deleted.
 *
 * A pull backup (bp-backup-pull.c) differs in steps 2, 4 and 5: the
 * scratch images are created the same way and opened with the disk's top
 * node as backing; an NBD server is started only when the domain's QEMU
 * has none (QEMU 7.2 runs one per process; the storage runtime's serves
 * the backup's exports too); the transaction starts one "sync": "none"
 * blockdev-backup per disk (copy-before-write into the scratch image)
 * and puts each incremental bitmap on the scratch node under its
 * exportbitmap name; then each scratch node is exported read-only as
 * exportname (default "backup-<disk>") with that bitmap.  The backup
 * then serves until bp_backup_op_finish() has been called for every
 * disk (completed) or bp_backup_op_cancel() (cancelled, the new
 * checkpoint removed); the exports, nodes, the server it started and
 * the scratch files are removed in both cases.
 *
 * Fallback to full (BP_BACKUP_BEGIN_FALLBACK_FULL): a disk whose bitmap
 * chain cannot serve the incremental (the base checkpoint is not ready
 * or lacks the disk, or its bitmap chain is invalid: missing, not
 * recording, inconsistent) is copied in full instead: its target has no
 * backing file, its catalogue disk says kind "full" with the reason in
 * its error.  The other disks stay incremental.  Without the flag such a
 * disk fails the backup at once with BP_ERROR_CHECKPOINT_INCONSISTENT,
 * before anything was created.
 *
 * A shut-off domain (@access OFFLINE) is backed up the same way, push or
 * pull, through a temporary access (bp_backup_access_open_async()): a
 * read-only qemu-storage-daemon over its chains, without exports or NBD
 * server, which the backup quits at its end, whatever the outcome.  A
 * pull backup therefore starts its own NBD server there (the <server>
 * asked for, else BpBackupPullConfig's, else a unix socket
 * "backup-nbd.sock" in the domain's runtime directory, next to the
 * daemon's BP_BACKUP_TEMP_SUBDIR); Finish or Cancel ends the serving
 * before the daemon quits.  QEMU would accept but
 * silently lose a persistent bitmap added to a read-only node, so the
 * new checkpoint's bitmaps are not in the QMP transaction: they are
 * added with qemu-img bitmap once the copy succeeded and the daemon has
 * quit (for a pull backup: after the consumer finished).  Nothing writes
 * to a shut-off domain in between (the domain
 * cannot be started while the backup runs: bp_backup_ops_is_running()),
 * so this is still the backup's point in time.  A failure or cancel
 * thus never has checkpoint bitmaps to undo; if adding them fails the
 * backup fails and those already added are removed again.
 *
 * What a backup creates is listed in its job row's data
 * (bp-backup-leftovers.h) in the catalogue transaction of step 3, before
 * anything is created in QEMU: the target (push) or scratch (pull)
 * files it created (just before, with O_EXCL), the target or scratch
 * nodes, the job ids (copies, fleecing jobs), the temporary bitmaps (on
 * the scratch nodes for pull), the NBD export ids (pull), and for a
 * shut-off domain the temporary daemon's directory.  The NBD server a
 * pull backup starts and its TLS credentials object are added to the
 * record (bp_backup_leftovers_save()) once QEMU has created them, since
 * QEMU runs one server per process and a server listed in advance could
 * be another's; a death in between leaves that server running.
 * A backup interrupted by the end of the process (its "backup" job row
 * left) is settled by bp_checkpoint_ops_reconcile_async(): those are
 * removed (from the QEMU still running: exports, server, object, jobs,
 * bitmaps, nodes; by terminating the temporary daemon; by deleting the
 * files and the server's unix socket), the backup row says failed and the
 * new checkpoint goes with its bitmaps, since its backup never
 * concluded.  Dying between steps 2 and 3 leaves empty target files
 * that no record names (a file is only listed once it is ours, so that
 * clean-up never deletes someone else's); a shut-off domain's temporary
 * daemon started before step 3 is found by its directory
 * (BP_BACKUP_TEMP_SUBDIR) and stopped all the same.
 */
#pragma once

#include <gio/gio.h>

#include "bp-block-access.h"
#include "store/bp-store.h"

G_BEGIN_DECLS

/* The job kind of a backup in the catalogue. */
#define BP_BACKUP_JOB_KIND "backup"

typedef enum {
    BP_BACKUP_BEGIN_REUSE_EXTERNAL = 1 << 0,
    /* an incremental disk whose bitmap chain is invalid is copied in full */
    BP_BACKUP_BEGIN_FALLBACK_FULL = 1 << 1,
} BpBackupBeginFlags;

/* The subdirectory of the domain's runtime directory where the temporary
 * qemu-storage-daemon of a backup of a shut-off domain runs. */
#define BP_BACKUP_TEMP_SUBDIR "backup"

typedef struct _BpBackupOp BpBackupOp;

/* Progress of a running backup, summed over its disks. */
typedef struct {
    guint64 processed;
    guint64 total;
    gint64 start_time;          /* µs, g_get_real_time() */
    gint64 backup_id;           /* 0 until recorded */
    gboolean cancelling;
    gboolean copying;           /* the point in time has passed */
} BpBackupProgress;

/*
 * Starts backup-begin of @backup_xml (NULL or "" = a full push backup of
 * every disk) with the optional new checkpoint @checkpoint_xml on domain
 * @domain_id, which @access (RUN, or OFFLINE for a shut-off domain)
 * reaches.  @now (seconds) is
 * the start time.  Returns the operation (owned by the task; valid until
 * the callback has run), or NULL when it failed at once (the callback
 * still runs with the error).  Cancel it with bp_backup_op_cancel()
 * (@cancellable is reserved and not used yet).  The result is the backup's catalogue id.
 */
BpBackupOp *bp_backup_ops_begin_async(BpStore *store,
                                      gint64 domain_id,
                                      BpBlockAccess *access,
                                      const char *backup_xml,
                                      const char *checkpoint_xml,
                                      unsigned int flags,
                                      gint64 now,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data);
gint64 bp_backup_ops_begin_finish(GAsyncResult *result, GError **error);

/* @func is called once, when the point in time has passed and the
 * copies run (the catalogue row exists by then). */
typedef void (*BpBackupStartedFunc)(BpBackupOp *op, gpointer data);
void bp_backup_op_set_started_func(BpBackupOp *op, BpBackupStartedFunc func,
                                   gpointer data);
/* The aligned <domainbackup> document (every default filled in). */
char *bp_backup_op_get_xml(BpBackupOp *op);
/* The target names of the disks taking part. */
GStrv bp_backup_op_get_disks(BpBackupOp *op);
/* The target names of the incremental disks copied in full instead
 * (BP_BACKUP_BEGIN_FALLBACK_FULL); an empty vector when none. */
GStrv bp_backup_op_get_fallback_disks(BpBackupOp *op);

/* The progress so far (refreshed from query-jobs while copying). */
void bp_backup_op_get_progress(BpBackupOp *op, BpBackupProgress *progress);
/* Asks QEMU to cancel the copy; the operation then ends with
 * G_IO_ERROR_CANCELLED and undoes itself. */
void bp_backup_op_cancel(BpBackupOp *op);

/* Whether @op is a pull backup. */
gboolean bp_backup_op_is_pull(BpBackupOp *op);
/*
 * The consumer of pull backup @op reports disks @disks (NULL or empty:
 * every disk of the backup) as copied; @outputs (disk -> absolute path
 * of the image it wrote, or NULL) is recorded as those disks' backup
 * files.  When every disk of the backup has been reported, the backup
 * ends as completed: the exports go, the fleecing jobs are cancelled,
 * the new checkpoint becomes ready and current.  Errors (nothing
 * changes): BP_ERROR_OPERATION_INVALID (a push backup, or not serving
 * now), BP_ERROR_INVALID_ARGUMENT (a disk not in the backup, an output
 * for a disk not being finished, a relative output path).
 */
gboolean bp_backup_op_finish(BpBackupOp *op, GHashTable *outputs,
                             const char *const *disks, GError **error);
/*
 * The consumer of pull backup @op says how many bytes of data it copied
 * from disk @disk: recorded as that disk's bytes (ListBackups(),
 * backup-list) instead of what the fleecing job copied into the scratch
 * image, which is all the daemon sees by itself.  Call it before
 * bp_backup_op_finish() for that disk.  BP_ERROR_OPERATION_INVALID (a
 * push backup), BP_ERROR_INVALID_ARGUMENT (a disk not in the backup).
 */
gboolean bp_backup_op_set_consumer_bytes(BpBackupOp *op, const char *disk, guint64 bytes,
                                         GError **error);

/* Whether this process runs a backup of domain @domain_id now. */
/*
 * Temporary access for a backup of a shut-off domain: a read-only
 * qemu-storage-daemon over every disk's chain of @offline (an OFFLINE
 * access), in "<runtime dir>/" BP_BACKUP_TEMP_SUBDIR, with no exports:
 * a read-only open takes shared locks only and never marks bitmaps in
 * use, so a crash of it leaves the images as they were.  Through it,
 * QMP can add target nodes (their own files, writable), transient
 * bitmaps, block jobs, an NBD server and NBD exports (pull mode); persistent bitmaps of
 * the disks cannot be changed (add them offline, see above).  The
 * result is a STORAGE access (bp_block_access_get_config()->runtime_dir names
 * its directory, for the leftovers record).  Errors: those of starting
 * qemu-storage-daemon, BP_ERROR_BUSY when another process holds an
 * image for writing.  Close it with bp_backup_access_close_async() on
 * every path (success, failure, cancel).  The caller keeps the domain
 * registered as busy (see bp_backup_ops_is_running()) while it is open.
 */
void bp_backup_access_open_async(BpBlockAccess *offline,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
BpBlockAccess *bp_backup_access_open_finish(GAsyncResult *result, GError **error);
/* Quits the temporary daemon (never fails; a no-op for other accesses). */
void bp_backup_access_close_async(BpBlockAccess *temp,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
void bp_backup_access_close_finish(GAsyncResult *result);

/* Whether this process runs a backup of domain @domain_id now (a
 * shut-off domain must not be started then). */
gboolean bp_backup_ops_is_running(gint64 domain_id);

/* The [backup] settings of blkpointd.conf that pull backups use. */
typedef struct {
    /* An NBD server the backup starts (the domain's QEMU has none) when
     * the document has no <server>: NULL or "unix" = a unix socket in
     * the domain's runtime directory, else TCP on this address (which
     * may then be a non-loopback one). */
    const char *listen_address;
    guint port_min;             /* TCP ports tried when none is given */
    guint port_max;
    const char *tls_x509_dir;   /* ca-cert.pem, server-cert.pem, server-key.pem;
                                 * NULL: tls='yes' is refused */
    gboolean tls;               /* every TCP server uses TLS */
    const char *scratch_dir;    /* generated scratch files go here; NULL:
                                 * next to each disk's image */
} BpBackupPullConfig;

/* Sets (copies) the settings for the pull backups started from now on;
 * NULL restores the defaults. */
void bp_backup_ops_set_pull_config(const BpBackupPullConfig *config);

/* For tests only: every copy started from now on is limited to
 * @bytes_per_second (0 = unlimited), so that a test can act while it
 * runs. */
void bp_backup_ops_set_test_speed(guint64 bytes_per_second);

G_END_DECLS
