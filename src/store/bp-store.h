/*
 * bp-store.h: the catalogue, blkpointd's one SQLite database.
 *
 * Everything the daemon must remember across restarts lives here:
 * domains (with what is needed to reattach to their runtime), the
 * checkpoint forest of each domain with one row per checkpoint and disk,
 * backups with their per-disk targets, and the jobs in flight.  Nothing
 * else in the tree opens the database or holds SQL.
 *
 * Contract for every function below that changes the catalogue: it is one
 * transaction.  When it returns FALSE (or 0, or NULL) with @error set,
 * nothing was changed.  SQLite failures use BP_ERROR_CATALOGUE; refusals
 * use the specific code (BP_ERROR_EXISTS, BP_ERROR_NO_DOMAIN,
 * BP_ERROR_NO_CHECKPOINT, BP_ERROR_NO_BACKUP, BP_ERROR_INVALID_ARGUMENT,
 * BP_ERROR_OPERATION_INVALID).  This module never returns
 * BP_ERROR_CATALOGUE_PARTIAL; that code is for callers that committed a
 * change here and then failed in a later step.
 *
 * Several calls can be made atomic together with bp_store_txn_begin():
 * inside an open transaction every call becomes a savepoint, and nothing
 * reaches the disk until the outermost transaction commits.
 *
 * Threads: a BpStore is not thread-safe.  The daemon opens one and uses it
 * only from its main thread (the GLib main loop); worker threads hand
 * their results back to the main thread.  The SQLite connection is opened
 * with SQLITE_OPEN_NOMUTEX accordingly.
 *
 * Row structs are plain data: the caller owns every pointer in a struct it
 * receives and frees it with the matching _free() function (or g_autoptr).
 * Lists are GPtrArrays that free their elements.  Times are seconds since
 * the epoch; sizes are bytes.
 */
#pragma once

#include <glib.h>

#include "util/bp-enum.h"

G_BEGIN_DECLS

/* The schema version this code writes (PRAGMA user_version). */
#define BP_STORE_SCHEMA_VERSION 3

/* The database file's name inside a state directory. */
#define BP_STORE_FILE_NAME "blkpoint.db"

typedef struct _BpStore BpStore;

/* Opens (creating if needed) the catalogue at @path.  Missing parent
 * directories are created with mode 0700 and a new database file with
 * mode 0600.  Sets WAL journalling, synchronous=FULL (a commit is on disk
 * when it returns), foreign keys and a busy timeout, then brings the
 * schema to BP_STORE_SCHEMA_VERSION, one transaction per migration.
 * A database written by a newer blkpoint is refused.  Returns NULL with
 * BP_ERROR_CATALOGUE (or BP_ERROR_IO for the directory) on failure. */
BpStore *bp_store_open(const char *path, GError **error);
void bp_store_close(BpStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpStore, bp_store_close)

const char *bp_store_get_path(BpStore *store);

/* The catalogue's path: @state_dir/blkpoint.db when @state_dir is given,
 * else LOCALSTATEDIR/lib/blkpoint/blkpoint.db for the system instance or
 * $XDG_STATE_HOME/blkpoint/blkpoint.db for a per-user (session bus) one. */
char *bp_store_default_path(const char *state_dir, gboolean system_instance);

/* The schema version of the open database (PRAGMA user_version). */
int bp_store_get_schema_version(BpStore *store);

/* Runs PRAGMA integrity_check (or quick_check when @quick) and
 * PRAGMA foreign_key_check.  FALSE with BP_ERROR_CATALOGUE naming the
 * first problems when either reports anything. */
gboolean bp_store_verify(BpStore *store, gboolean quick, GError **error);


/* ---- Transactions ---------------------------------------------------- */

typedef struct _BpStoreTxn BpStoreTxn;

/* Starts a write transaction (BEGIN IMMEDIATE), or a savepoint when one is
 * already open.  Every transaction must end with bp_store_txn_commit() or
 * be freed; freeing an uncommitted one rolls it back, so
 * g_autoptr(BpStoreTxn) gives "all or nothing" on every return path.
 * Transactions nest strictly: commit or free the inner one first. */
BpStoreTxn *bp_store_txn_begin(BpStore *store, GError **error);
/* Commits (or releases the savepoint).  On failure nothing was committed
 * and the transaction is rolled back when @txn is freed.  Either way
 * @txn must still be freed. */
gboolean bp_store_txn_commit(BpStoreTxn *txn, GError **error);
void bp_store_txn_free(BpStoreTxn *txn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpStoreTxn, bp_store_txn_free)


/* ---- Domains --------------------------------------------------------- */

typedef enum {
    BP_STORE_DOMAIN_SHUTOFF,
    BP_STORE_DOMAIN_RUNNING,

    BP_STORE_DOMAIN_STATE_LAST
} BpStoreDomainState;
BP_ENUM_DECL(bp_store_domain_state);

typedef struct {
    gint64 id;                  /* row id, set by bp_store_domain_add() */
    char *uuid;                 /* unique */
    char *name;                 /* unique */
    char *definition;           /* the <domain> XML */
    char *runtime;              /* runtime kind: "storage", "attach", "offline" */
    BpStoreDomainState state;   /* what the daemon last knew */
    gint64 pid;                 /* our qemu-storage-daemon, 0 when none */
    char *monitor_path;         /* QMP socket to reattach to, or NULL */
} BpStoreDomain;

BpStoreDomain *bp_store_domain_new(void);
void bp_store_domain_free(BpStoreDomain *dom);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpStoreDomain, bp_store_domain_free)

/* Inserts @dom (its id is ignored) and stores the new id in dom->id.
 * BP_ERROR_EXISTS when the name or uuid is taken. */
gboolean bp_store_domain_add(BpStore *store, BpStoreDomain *dom, GError **error);
/* Lookups: NULL with BP_ERROR_NO_DOMAIN when absent. */
BpStoreDomain *bp_store_domain_get(BpStore *store, gint64 id, GError **error);
BpStoreDomain *bp_store_domain_get_by_name(BpStore *store, const char *name,
                                           GError **error);
BpStoreDomain *bp_store_domain_get_by_uuid(BpStore *store, const char *uuid,
                                           GError **error);
/* All domains ordered by name. */
GPtrArray *bp_store_domain_list(BpStore *store, GError **error);
/* Rewrites every field of the row dom->id.  BP_ERROR_NO_DOMAIN,
 * BP_ERROR_EXISTS (name or uuid of another domain). */
gboolean bp_store_domain_update(BpStore *store, const BpStoreDomain *dom,
                                GError **error);
/* Removes the domain with its checkpoints, backups and jobs. */
gboolean bp_store_domain_remove(BpStore *store, gint64 id, GError **error);


/* ---- Checkpoints ----------------------------------------------------- */

typedef enum {
    BP_STORE_CHECKPOINT_PENDING,   /* recorded, bitmaps not yet confirmed */
    BP_STORE_CHECKPOINT_READY,     /* bitmaps exist and are usable */
    BP_STORE_CHECKPOINT_BROKEN,    /* unusable; the reason says why */
    BP_STORE_CHECKPOINT_DELETING,  /* bitmap removal under way */

    BP_STORE_CHECKPOINT_STATE_LAST
} BpStoreCheckpointState;
BP_ENUM_DECL(bp_store_checkpoint_state);

typedef struct {
    char *target;               /* disk target, e.g. "vda" */
    gboolean included;          /* checkpoint='bitmap' (TRUE) or 'no' */
    char *bitmap;               /* bitmap name; NULL when not included */
    guint64 granularity;        /* bitmap granularity, 0 = unknown */
    guint64 size;               /* disk virtual size at creation, 0 = unknown */
} BpStoreCheckpointDisk;

typedef struct {
    gint64 id;                  /* row id */
    gint64 domain_id;
    char *name;                 /* unique within the domain */
    char *parent;               /* parent's name, NULL for a root */
    gint64 creation_time;
    char *description;
    char *domain_xml;           /* the domain definition at creation */
    gboolean current;
    BpStoreCheckpointState state;
    char *reason;               /* why it is broken, or NULL */
    GPtrArray *disks;           /* BpStoreCheckpointDisk*, in domain order */
} BpStoreCheckpoint;

BpStoreCheckpointDisk *bp_store_checkpoint_disk_new(const char *target,
                                                    const char *bitmap,
                                                    guint64 granularity,
                                                    guint64 size);
void bp_store_checkpoint_disk_free(BpStoreCheckpointDisk *disk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpStoreCheckpointDisk, bp_store_checkpoint_disk_free)
/* A new checkpoint with an empty disk list. */
BpStoreCheckpoint *bp_store_checkpoint_new(gint64 domain_id, const char *name);
void bp_store_checkpoint_free(BpStoreCheckpoint *chk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpStoreCheckpoint, bp_store_checkpoint_free)

/* Adds a new checkpoint and its disk rows in one transaction and stores
 * the row id in chk->id.  chk->parent must name an existing checkpoint of
 * the domain or be NULL (the caller chooses it; libvirt uses the current
 * one).  When chk->current is TRUE the new checkpoint becomes the
 * domain's current one and the previous current one loses the flag.
 * BP_ERROR_NO_DOMAIN, BP_ERROR_EXISTS (name taken),
 * BP_ERROR_INVALID_ARGUMENT (parent missing, duplicate disk target,
 * included disk without bitmap). */
gboolean bp_store_checkpoint_add(BpStore *store, BpStoreCheckpoint *chk,
                                 GError **error);

/* libvirt's REDEFINE: when a checkpoint named chk->name exists, its
 * parent, creation time, description, domain copy, state, reason and
 * disks are replaced and its children stay attached; otherwise it is
 * added.  chk->current is ignored: the checkpoint becomes current when
 * its parent is the current checkpoint or when the domain has no current
 * checkpoint, as libvirt does.  @became_current (optional) tells which.
 * BP_ERROR_INVALID_ARGUMENT for its own parent, a missing parent or a
 * parent that would create a cycle. */
gboolean bp_store_checkpoint_redefine(BpStore *store, BpStoreCheckpoint *chk,
                                      gboolean *became_current,
                                      GError **error);

/* One checkpoint with its disks and domain copy; NULL with
 * BP_ERROR_NO_CHECKPOINT when absent. */
BpStoreCheckpoint *bp_store_checkpoint_get(BpStore *store, gint64 domain_id,
                                           const char *name, GError **error);
/* The current checkpoint (with disks), or NULL without an error when the
 * domain has none. */
BpStoreCheckpoint *bp_store_checkpoint_get_current(BpStore *store,
                                                   gint64 domain_id,
                                                   GError **error);
/* Number of checkpoints of the domain, -1 on error. */
gint64 bp_store_checkpoint_count(BpStore *store, gint64 domain_id,
                                 GError **error);

gboolean bp_store_checkpoint_set_state(BpStore *store, gint64 domain_id,
                                       const char *name,
                                       BpStoreCheckpointState state,
                                       const char *reason, GError **error);
/* Makes @name the current checkpoint; NULL clears the current pointer. */
gboolean bp_store_checkpoint_set_current(BpStore *store, gint64 domain_id,
                                         const char *name, GError **error);

typedef enum {
    BP_STORE_CHECKPOINTS_ALL,             /* every checkpoint */
    BP_STORE_CHECKPOINTS_ROOTS,           /* those without a parent */
    BP_STORE_CHECKPOINTS_CHILDREN_OF,     /* direct children of @of */
    BP_STORE_CHECKPOINTS_DESCENDANTS_OF,  /* all below @of, pre-order */
    BP_STORE_CHECKPOINTS_ANCESTORS_OF,    /* parent of @of up to its root */
} BpStoreCheckpointScope;

typedef enum {
    BP_STORE_LIST_LEAVES      = 1 << 0,  /* only checkpoints without children */
    BP_STORE_LIST_NO_LEAVES   = 1 << 1,  /* only checkpoints with children */
    BP_STORE_LIST_TOPOLOGICAL = 1 << 2,  /* parents before children (pre-order,
                                          * siblings by creation); for
                                          * ANCESTORS_OF: root first */
    BP_STORE_LIST_DISKS       = 1 << 3,  /* fill chk->disks */
    BP_STORE_LIST_DOMAIN_XML  = 1 << 4,  /* fill chk->domain_xml */
} BpStoreListFlags;

/* Lists a domain's checkpoints, answered by SQL (recursive queries), so
 * only the requested rows are read.  Without TOPOLOGICAL the order is
 * creation time (then id) except for DESCENDANTS_OF, which is always
 * pre-order, and ANCESTORS_OF, nearest first.  @of names the checkpoint
 * for the *_OF scopes (BP_ERROR_NO_CHECKPOINT when absent) and must be
 * NULL otherwise.  LEAVES with NO_LEAVES is BP_ERROR_INVALID_ARGUMENT.
 * Returns a GPtrArray of BpStoreCheckpoint* (disks NULL unless DISKS). */
GPtrArray *bp_store_checkpoint_list(BpStore *store, gint64 domain_id,
                                    BpStoreCheckpointScope scope,
                                    const char *of, unsigned int flags,
                                    GError **error);

typedef enum {
    BP_STORE_DELETE_SINGLE,         /* the checkpoint; its children move to
                                     * its parent (or become roots) */
    BP_STORE_DELETE_CHILDREN,       /* the checkpoint and all its descendants */
    BP_STORE_DELETE_CHILDREN_ONLY,  /* all its descendants, not itself */
} BpStoreDeleteMode;

/* The checkpoints bp_store_checkpoint_delete() would remove, with their
 * disks, in the order libvirt discards them (descendants pre-order, then
 * the checkpoint itself).  Changes nothing.  A caller deleting for real
 * removes these bitmaps first; libvirt's --metadata mode skips that step:
 * the catalogue change is the same either way. */
GPtrArray *bp_store_checkpoint_delete_plan(BpStore *store, gint64 domain_id,
                                           const char *name,
                                           BpStoreDeleteMode mode,
                                           GError **error);
/* Deletes as libvirt does (reference §3.5): SINGLE re-parents the
 * children to the deleted checkpoint's parent and, when it was current,
 * makes its parent current (none for a root).  CHILDREN: when the current
 * checkpoint is in the removed subtree, the parent becomes current.
 * CHILDREN_ONLY: when the current checkpoint was a descendant, @name
 * becomes current.  One transaction. */
gboolean bp_store_checkpoint_delete(BpStore *store, gint64 domain_id,
                                    const char *name, BpStoreDeleteMode mode,
                                    GError **error);


/* ---- Backups --------------------------------------------------------- */

typedef enum {
    BP_STORE_BACKUP_PUSH,
    BP_STORE_BACKUP_PULL,

    BP_STORE_BACKUP_MODE_LAST
} BpStoreBackupMode;
BP_ENUM_DECL(bp_store_backup_mode);

typedef enum {
    BP_STORE_BACKUP_FULL,
    BP_STORE_BACKUP_INCREMENTAL,

    BP_STORE_BACKUP_KIND_LAST
} BpStoreBackupKind;
BP_ENUM_DECL(bp_store_backup_kind);

typedef enum {
    BP_STORE_BACKUP_RUNNING,
    BP_STORE_BACKUP_COMPLETED,
    BP_STORE_BACKUP_FAILED,
    BP_STORE_BACKUP_CANCELLED,

    BP_STORE_BACKUP_STATUS_LAST
} BpStoreBackupStatus;
BP_ENUM_DECL(bp_store_backup_status);

typedef struct {
    char *target;               /* disk target, e.g. "vda" */
    char *path;                 /* push: target image; pull: the image its
                                 * consumer wrote, NULL until reported */
    char *format;               /* image format, or NULL */
    guint64 bytes;              /* bytes copied so far */
    guint64 bytes_total;        /* bytes to copy (schema v2) */
    /* Schema v3.  kind: this disk's copy; BP_STORE_BACKUP_KIND_LAST when
     * adding means "the backup's kind" (a disk of an incremental backup
     * may fall back to a full copy); reading always gives the actual one. */
    BpStoreBackupKind kind;
    char *scratch;              /* pull: the scratch image, else NULL */
    char *error;                /* why this disk failed, or a note (the
                                 * reason of a fallback to full), or NULL */
} BpStoreBackupDisk;

typedef struct {
    gint64 id;
    gint64 domain_id;
    BpStoreBackupMode mode;
    BpStoreBackupKind kind;
    char *from_checkpoint;      /* incremental: the checkpoint it starts from */
    char *checkpoint;           /* the checkpoint created with it, or NULL */
    BpStoreBackupStatus status;
    char *error;                /* why it failed, or NULL */
    guint64 bytes;              /* bytes copied */
    guint64 bytes_total;        /* bytes to copy (schema v2) */
    gint64 start_time;
    gint64 end_time;            /* 0 while running */
    gint64 previous_id;         /* the backup this one builds on, 0 = none */
    GPtrArray *disks;           /* BpStoreBackupDisk* */
} BpStoreBackup;

BpStoreBackupDisk *bp_store_backup_disk_new(const char *target, const char *path,
                                            const char *format);
void bp_store_backup_disk_free(BpStoreBackupDisk *disk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpStoreBackupDisk, bp_store_backup_disk_free)
BpStoreBackup *bp_store_backup_new(gint64 domain_id, BpStoreBackupMode mode,
                                   BpStoreBackupKind kind);
void bp_store_backup_free(BpStoreBackup *backup);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpStoreBackup, bp_store_backup_free)

/* Inserts the backup and its disks; stores the new id in backup->id.
 * BP_ERROR_NO_DOMAIN; BP_ERROR_INVALID_ARGUMENT for an incremental
 * backup without from_checkpoint, a duplicate disk target, or a
 * previous_id that is not a backup of the same domain. */
gboolean bp_store_backup_add(BpStore *store, BpStoreBackup *backup,
                             GError **error);
/* Writes status, error, bytes, bytes_total and end_time of backup->id and
 * bytes, bytes_total and error of each disk listed (matched by target),
 * and its path when not NULL (a pull consumer reports the file it wrote;
 * NULL keeps the stored one).  The other fields are fixed when the backup
 * is added.  BP_ERROR_NO_BACKUP;
 * BP_ERROR_INVALID_ARGUMENT for a disk the backup does not have. */
gboolean bp_store_backup_update(BpStore *store, const BpStoreBackup *backup,
                                GError **error);
/* One backup with its disks; BP_ERROR_NO_BACKUP when absent. */
BpStoreBackup *bp_store_backup_get(BpStore *store, gint64 id, GError **error);
/* The domain's backups, oldest first, with their disks. */
GPtrArray *bp_store_backup_list(BpStore *store, gint64 domain_id,
                                GError **error);
/* The chain that backup @id restores from: following previous_id down to
 * the backup that has none, returned oldest first (ending with @id). */
GPtrArray *bp_store_backup_get_chain(BpStore *store, gint64 id, GError **error);
/* Removes a backup record; BP_ERROR_OPERATION_INVALID while another
 * backup builds on it. */
gboolean bp_store_backup_remove(BpStore *store, gint64 id, GError **error);


/* ---- Snapshots (schema v3) ---------------------------------------------- */

/* One disk of an external disk-only snapshot, in domain order. */
typedef struct {
    char *target;               /* disk target, e.g. "vda" */
    gboolean external;          /* snapshot='external' (TRUE) or 'no' */
    char *file;                 /* the overlay; NULL when not external */
    char *format;               /* the overlay's format ("qcow2"), or NULL */
} BpStoreSnapshotDisk;

typedef struct {
    gint64 id;                  /* row id, set by bp_store_snapshot_add() */
    gint64 domain_id;
    char *name;                 /* unique within the domain */
    char *parent;               /* parent's name, NULL for a root */
    gint64 creation_time;
    char *description;
    char *state;                /* "disk-snapshot" or "shutoff" */
    char *xml;                  /* the <domainsnapshot> document */
    gboolean current;
    GPtrArray *disks;           /* BpStoreSnapshotDisk* */
} BpStoreSnapshot;

BpStoreSnapshotDisk *bp_store_snapshot_disk_new(const char *target,
                                                const char *file,
                                                const char *format);
void bp_store_snapshot_disk_free(BpStoreSnapshotDisk *disk);
/* A new snapshot with an empty disk list and state "disk-snapshot". */
BpStoreSnapshot *bp_store_snapshot_new(gint64 domain_id, const char *name);
void bp_store_snapshot_free(BpStoreSnapshot *snap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpStoreSnapshot, bp_store_snapshot_free)

/*
 * Adds @snap and its disks in one transaction (a savepoint inside an
 * open one) and stores the new id in snap->id.  snap->parent, when set,
 * must name a snapshot of the domain.  With snap->current the domain's
 * previous current snapshot stops being current.  Errors:
 * BP_ERROR_NO_DOMAIN, BP_ERROR_EXISTS (name taken), BP_ERROR_NO_SNAPSHOT
 * (unknown parent), BP_ERROR_CATALOGUE.
 */
gboolean bp_store_snapshot_add(BpStore *store, BpStoreSnapshot *snap,
                               GError **error);
/* One snapshot with its disks; NULL with BP_ERROR_NO_SNAPSHOT when absent. */
BpStoreSnapshot *bp_store_snapshot_get(BpStore *store, gint64 domain_id,
                                       const char *name, GError **error);
/* The current snapshot, or NULL without an error when there is none. */
BpStoreSnapshot *bp_store_snapshot_get_current(BpStore *store, gint64 domain_id,
                                               GError **error);
/* Every snapshot of the domain with its disks, by creation time then
 * name (so parents come before their children). */
GPtrArray *bp_store_snapshot_list(BpStore *store, gint64 domain_id,
                                  GError **error);
/*
 * Forgets snapshot @name (its metadata only; no image is touched), as
 * libvirt's snapshot-delete --metadata: its children move to its
 * parent, and when it was current its parent becomes current.  Errors:
 * BP_ERROR_NO_SNAPSHOT, BP_ERROR_CATALOGUE.
 */
gboolean bp_store_snapshot_delete(BpStore *store, gint64 domain_id,
                                  const char *name, GError **error);


/* ---- Jobs ------------------------------------------------------------ */

typedef enum {
    BP_STORE_JOB_RUNNING,
    BP_STORE_JOB_CANCELLING,
    BP_STORE_JOB_COMPLETED,
    BP_STORE_JOB_FAILED,
    BP_STORE_JOB_CANCELLED,

    BP_STORE_JOB_STATUS_LAST
} BpStoreJobStatus;
BP_ENUM_DECL(bp_store_job_status);

typedef struct {
    gint64 id;
    gint64 domain_id;
    char *kind;                 /* "backup", "checkpoint-create", ... (src/jobs) */
    BpStoreJobStatus status;
    char *phase;                /* the last step the job reached, or NULL */
    gint64 backup_id;           /* the backup it runs, 0 = none */
    char *checkpoint;           /* the checkpoint it creates or deletes */
    char *data;                 /* what recovery needs (JSON, owned by src/jobs) */
    gint64 start_time;
    gint64 update_time;
} BpStoreJob;

BpStoreJob *bp_store_job_new(gint64 domain_id, const char *kind);
void bp_store_job_free(BpStoreJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpStoreJob, bp_store_job_free)

/* Inserts the job and stores the new id in job->id.  BP_ERROR_NO_DOMAIN;
 * BP_ERROR_INVALID_ARGUMENT when backup_id is not a backup of the domain. */
gboolean bp_store_job_add(BpStore *store, BpStoreJob *job, GError **error);
/* Writes status, phase, backup_id, checkpoint, data and update_time of
 * job->id, which must be a job of job->domain_id (BP_ERROR_NO_BACKUP,
 * the code for an unknown job). */
gboolean bp_store_job_update(BpStore *store, const BpStoreJob *job,
                             GError **error);
/* BP_ERROR_NO_BACKUP when there is no job @id. */
BpStoreJob *bp_store_job_get(BpStore *store, gint64 id, GError **error);
gboolean bp_store_job_remove(BpStore *store, gint64 id, GError **error);
/* Jobs still running or cancelling, of every domain, oldest first: what a
 * restarted daemon must finish or clean up. */
GPtrArray *bp_store_job_list_unfinished(BpStore *store, GError **error);

G_END_DECLS
