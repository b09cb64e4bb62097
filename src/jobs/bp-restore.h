/*
 * bp-restore.h: restoring a disk from the catalogue's backups into a
 * standalone image (Domain.Restore()).
 *
 * A push backup's target image of a disk is a qcow2 whose backing file
 * is the same disk's image of the backup it builds on (previous_id), down
 * to a full backup; its top equals the disk at the backup's point in
 * time.  A restore picks a backup, checks that every image of that chain
 * exists, and flattens the top with "qemu-img convert -p" into the
 * target, reporting progress from qemu-img's percentages.
 *
 * Pull backups restore the same way once their consumer reported the
 * file it wrote (the catalogue's disk path); a pull backup without one
 * cannot be restored.
 */
#pragma once

#include <gio/gio.h>

#include "qemu/bp-qemu-types.h"
#include "store/bp-store.h"

G_BEGIN_DECLS

/* What a restore reads: one disk of one backup and its chain. */
typedef struct {
    gint64 backup_id;
    char *disk;              /* the disk's target name */
    char *image;             /* the top image (the chosen backup's) */
    char *format;            /* its format */
    GPtrArray *chain;        /* char*: every image of the chain, base first */
} BpRestorePlan;

void bp_restore_plan_free(BpRestorePlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpRestorePlan, bp_restore_plan_free)

/*
 * Chooses the backup of disk @disk of domain @domain_id to restore: the
 * backup @backup_id when > 0; else the newest completed backup that
 * created checkpoint @checkpoint when non-NULL; else the newest
 * completed backup that includes the disk.  Then checks that each image
 * of its chain (the catalogue's previous_id links) is recorded and
 * exists.
 *
 * Errors: BP_ERROR_NO_BACKUP (no such backup of this domain, it lacks the
 * disk, or none matches), BP_ERROR_OPERATION_INVALID (the backup did not
 * complete; an image of the chain is missing, naming it; a pull backup
 * whose consumer did not report its output), BP_ERROR_CATALOGUE.
 */
BpRestorePlan *bp_restore_plan_new(BpStore *store, gint64 domain_id, const char *disk,
                                   gint64 backup_id, const char *checkpoint,
                                   GError **error);

typedef struct _BpRestoreOp BpRestoreOp;

typedef enum {
    BP_RESTORE_REUSE_EXTERNAL = 1 << 0,  /* write into the existing @target */
} BpRestoreFlags;

/*
 * Starts writing @plan's image flattened into @target (absolute) in
 * @format ("qcow2" or "raw"), with the qemu-img of @config.  The target
 * is created exclusively (an existing file or symlink is refused with
 * BP_ERROR_EXISTS) unless BP_RESTORE_REUSE_EXTERNAL, which requires it to
 * exist.  Returns the operation, valid until @callback has run (call
 * bp_restore_finish() there), or NULL with @error (BP_ERROR_EXISTS,
 * BP_ERROR_INVALID_ARGUMENT, BP_ERROR_IO, BP_ERROR_QEMU) without calling
 * @callback.
 */
BpRestoreOp *bp_restore_start(const BpQemuRuntimeConfig *config, const BpRestorePlan *plan,
                              const char *target, const char *format, BpRestoreFlags flags,
                              GAsyncReadyCallback callback, gpointer user_data,
                              GError **error);

/* Bytes written so far and in all (the image's virtual size). */
void bp_restore_op_get_progress(BpRestoreOp *op, guint64 *processed, guint64 *total);

/* Stops qemu-img; the restore then fails with G_IO_ERROR_CANCELLED and a
 * target it created is removed. */
void bp_restore_op_cancel(BpRestoreOp *op);

/*
 * The outcome: TRUE, or FALSE with G_IO_ERROR_CANCELLED or BP_ERROR_QEMU
 * (qemu-img's message).  A target the restore created is removed on
 * failure.
 */
gboolean bp_restore_finish(GAsyncResult *result, GError **error);

/* qemu-img -p output: the last "(P/100%)" in @text as a fraction of 1,
 * or -1 when there is none. */
double bp_restore_parse_progress(const char *text);

G_END_DECLS
