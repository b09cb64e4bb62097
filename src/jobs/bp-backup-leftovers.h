/*
 * bp-backup-leftovers.h: what a backup creates, written down before it is
 * needed, so that a backup cut short by the end of its process can be
 * cleaned up by the next one.
 *
 * A backup (push or pull) fills a BpBackupLeftovers with every thing it
 * may create and stores it in its catalogue job row's "data" column
 * (bp_backup_leftovers_save(), or the JSON of
 * bp_backup_leftovers_to_json() in the row it adds) BEFORE it creates
 * anything in QEMU (the NBD server and objects: see below).  Items are names only; listing a thing that never
 * came to exist is harmless, since clean-up ignores what is not there:
 *
 *   - files: target or scratch images THIS backup created (O_EXCL).  A
 *     file is listed only once its exclusive creation succeeded: a file
 *     listed "in advance" could be the user's own when the creation then
 *     fails with EEXIST, and clean-up deletes files;
 *   - nodes: blockdev-add'ed node names, deleted in the reverse order of
 *     listing (list a protocol node before the format node over it);
 *   - jobs: QEMU job ids (block jobs, blockdev-create jobs): cancelled,
 *     waited for (up to 10 s) and dismissed;
 *   - bitmaps: temporary bitmaps (node, name) that are not a checkpoint's;
 *   - exports: block-export ids (pull mode), deleted with force;
 *   - nbd_server: the NBD server a pull backup started in the domain's
 *     QEMU (which had none), stopped with nbd-server-stop; listed only
 *     once it was started (QEMU runs one per process, and a server
 *     listed in advance could be somebody else's); its unix socket, if
 *     any, is deleted with the files;
 *   - objects: QOM objects (the NBD server's TLS credentials), deleted
 *     with object-del once the server stopped; listed once added;
 *   - qsd: the runtime directory of a temporary qemu-storage-daemon
 *     (offline backups): its process (qsd.pid there, if its command line
 *     still names that directory's QMP socket) gets SIGTERM, SIGKILL
 *     after 5 s; the main loop runs meanwhile.
 *
 * bp_backup_leftovers_clean_async() undoes the lot in the order exports,
 * NBD server, objects, jobs, bitmaps, nodes (when a QMP monitor of the
 * domain's QEMU is given and no temporary daemon is listed: those items
 * then lived in that daemon), the temporary qemu-storage-daemon, then
 * the files and the NBD server's socket.  It never fails: what cannot be
 * removed is logged.  The catalogue rows (backup failed, checkpoint
 * removed) are the caller's (bp_checkpoint_ops_reconcile_async()).
 */
#pragma once

#include <gio/gio.h>

#include "qemu/bp-qmp-monitor.h"
#include "store/bp-store.h"

G_BEGIN_DECLS

typedef struct _BpBackupLeftovers BpBackupLeftovers;

BpBackupLeftovers *bp_backup_leftovers_new(void);
void bp_backup_leftovers_free(BpBackupLeftovers *lo);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpBackupLeftovers, bp_backup_leftovers_free)

void bp_backup_leftovers_add_file(BpBackupLeftovers *lo, const char *path);
void bp_backup_leftovers_add_node(BpBackupLeftovers *lo, const char *node);
void bp_backup_leftovers_add_job(BpBackupLeftovers *lo, const char *id);
void bp_backup_leftovers_add_bitmap(BpBackupLeftovers *lo, const char *node,
                                    const char *name);
void bp_backup_leftovers_add_export(BpBackupLeftovers *lo, const char *id);
void bp_backup_leftovers_set_qsd(BpBackupLeftovers *lo, const char *runtime_dir);
/* The backup started the NBD server; @socket: its unix socket file, or
 * NULL (TCP). */
void bp_backup_leftovers_set_nbd_server(BpBackupLeftovers *lo, const char *socket);
void bp_backup_leftovers_add_object(BpBackupLeftovers *lo, const char *id);
/* Whether anything at all is listed. */
gboolean bp_backup_leftovers_is_empty(const BpBackupLeftovers *lo);

/* The JSON object stored in the job row (a new string). */
char *bp_backup_leftovers_to_json(const BpBackupLeftovers *lo);
/* Parses what bp_backup_leftovers_to_json() wrote; NULL or "" gives an
 * empty list.  BP_ERROR_INVALID_ARGUMENT for text that is not such an
 * object. */
BpBackupLeftovers *bp_backup_leftovers_from_json(const char *data, GError **error);
/* Writes @lo into the data column of job @job_id (the other columns are
 * kept).  Errors of the catalogue. */
gboolean bp_backup_leftovers_save(const BpBackupLeftovers *lo, BpStore *store,
                                  gint64 job_id, GError **error);

/*
 * Removes what @lo lists (see above).  @mon: the QEMU that holds the
 * domain's disks now, or NULL when none runs (then only the temporary
 * qemu-storage-daemon and the files are dealt with).  Never fails; the
 * callback gets the number of things actually removed through
 * bp_backup_leftovers_clean_finish().
 */
void bp_backup_leftovers_clean_async(const BpBackupLeftovers *lo,
                                     BpQmpMonitor *mon,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
guint bp_backup_leftovers_clean_finish(GAsyncResult *result);

/*
 * The same for every interrupted backup in @jobs (BpStoreJob*; only
 * kind "backup" rows with data are looked at), one after the other,
 * through @mon (NULL when the domain does not run).  A data column that
 * cannot be parsed is logged and skipped.  Then, when @temp_qsd_dir is
 * not NULL, a temporary qemu-storage-daemon still running there is
 * stopped too (one whose backup ended before it could write its record).
 * Never fails; the total is given by bp_backup_leftovers_clean_finish().
 */
void bp_backup_leftovers_clean_jobs_async(GPtrArray *jobs,
                                          BpQmpMonitor *mon,
                                          const char *temp_qsd_dir,
                                          GAsyncReadyCallback callback,
                                          gpointer user_data);

G_END_DECLS
