/*
 * bp-snapshot-ops.h: external disk-only snapshots of a domain,
 * independent of D-Bus.
 *
 * What "virsh snapshot-create --disk-only" does with libvirt's qemu
 * driver (reference §3.7), for a running domain (QMP) and for one that
 * is not running (qemu-img):
 *
 *   running:  for each disk: blockdev-add of the overlay's file node,
 *             blockdev-create qcow2 (backing file = the current top,
 *             with its format), job-dismiss, blockdev-add of the qcow2
 *             node with "backing": null; then ONE transaction: for every
 *             disk, block-dirty-bitmap-add on the overlay (persistent,
 *             recording, same granularity) for every bitmap whose chain
 *             is valid on it (bp_planner_snapshot()) and blockdev-snapshot.
 *   shut off: qemu-img create -f qcow2 -b TOP -F FMT OVERLAY, then
 *             qemu-img bitmap --add -g GRAN OVERLAY NAME for the same
 *             bitmaps.
 *
 * Overlay files blkpoint creates are opened O_CREAT|O_EXCL|O_NOFOLLOW
 * first, so an existing file or a symbolic link is never overwritten;
 * with REUSE_EXTERNAL the file must exist and is used as it is.
 *
 * Never half done.  A creation is
 *
 *   1. one catalogue transaction: a job row "snapshot-create" whose data
 *      names the overlays, their nodes and which files it creates;
 *   2. the overlays and the transaction above (or the qemu-img calls;
 *      the job's phase becomes "applied" after the last one);
 *   3. one catalogue transaction: the snapshot row (unless NO_METADATA;
 *      it becomes current), the domain's stored definition with every
 *      overlay as its disk's new <source>, the job removed.  The running
 *      domain's definition and status file follow.
 *
 * A failure in 2 deletes the overlay nodes that were added and the files
 * that were created, and removes the job: the old chain stays, nothing
 * is recorded.  A daemon that dies between the steps leaves the job for
 * bp_snapshot_ops_reconcile_async().
 */
#pragma once

#include <gio/gio.h>

#include "bp-block-access.h"
#include "store/bp-store.h"

G_BEGIN_DECLS

/* The job kind of a creation under way (bp-store.h jobs). */
#define BP_SNAPSHOT_JOB_CREATE "snapshot-create"

typedef enum {
    BP_SNAPSHOT_CREATE_NO_METADATA = 1 << 0,    /* no catalogue record */
    BP_SNAPSHOT_CREATE_REUSE_EXTERNAL = 1 << 1, /* overlays exist already */
    BP_SNAPSHOT_CREATE_QUIESCE = 1 << 2,        /* refused: no guest agent */
} BpSnapshotCreateFlags;

/*
 * snapshot-create of @xml ("" or NULL: every disk, default names) on
 * domain @domain_id, reached through @access (RUN or OFFLINE).  @now
 * (seconds since the epoch) is the creation time and the default name.
 * The document is validated against the schema and aligned with the
 * domain's disks (bp_snapshot_def_align_disks()); its parent is the
 * current snapshot.
 *
 * Returns the snapshot's name; *@new_def (optional) receives the
 * domain's persistent definition as stored now (caller owns it).
 * Errors: BP_ERROR_XML_SYNTAX, BP_ERROR_XML_INVALID,
 * BP_ERROR_CONFIG_UNSUPPORTED, BP_ERROR_EXISTS (snapshot name, or an
 * overlay file without REUSE_EXTERNAL), BP_ERROR_INVALID_ARGUMENT
 * (REUSE_EXTERNAL and a missing file), BP_ERROR_OPERATION_UNSUPPORTED
 * (QUIESCE), BP_ERROR_IO (the overlay cannot be created), BP_ERROR_QEMU,
 * BP_ERROR_TIMEOUT, BP_ERROR_CATALOGUE.
 */
void bp_snapshot_ops_create_async(BpStore *store,
                                  gint64 domain_id,
                                  BpBlockAccess *access,
                                  const char *xml,
                                  unsigned int flags,
                                  gint64 now,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
char *bp_snapshot_ops_create_finish(GAsyncResult *result,
                                    BpDomainDef **new_def,
                                    GError **error);

/*
 * Reconciliation of a creation interrupted by a crash (a
 * "snapshot-create" job left in the catalogue for @domain_id):
 *
 *   running (@access RUN): every overlay is the active layer of its disk
 *     in QEMU's graph → the creation is finished (step 3 above); else
 *     overlay nodes QEMU still has are deleted, the files the job created
 *     removed, the job dropped;
 *   shut off (@access OFFLINE or NULL): phase "applied" → finished; else
 *     the files the job created are removed and the job dropped.
 *
 * *@changed (optional) is the number of jobs settled.  A running domain
 * is only finished when the runtime's top nodes can follow: the caller
 * reconciles after the domain was reconnected.  Errors: those of the
 * catalogue and of QEMU; what could not be settled stays.
 */
void bp_snapshot_ops_reconcile_async(BpStore *store,
                                     gint64 domain_id,
                                     BpBlockAccess *access,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
gboolean bp_snapshot_ops_reconcile_finish(GAsyncResult *result, guint *changed,
                                          BpDomainDef **new_def, GError **error);

/*
 * The check "virsh undefine" makes: a domain with snapshot records is
 * only undefined with @snapshots_metadata (the records then go with the
 * domain; the overlays stay).  BP_ERROR_OPERATION_INVALID with libvirt's
 * message, BP_ERROR_CATALOGUE.
 */
gboolean bp_snapshot_ops_undefine_check(BpStore *store, gint64 domain_id,
                                        gboolean snapshots_metadata, GError **error);

/* Same values as BP_SNAPSHOT_FORMAT_*. */
typedef enum {
    BP_SNAPSHOT_XML_SECURE = 1 << 0,
} BpSnapshotXmlFlags;

/* snapshot-dumpxml: the stored document of @name.  BP_ERROR_NO_SNAPSHOT. */
char *bp_snapshot_ops_get_xml(BpStore *store, gint64 domain_id, const char *name,
                              unsigned int flags, GError **error);

/*
 * For tests only: @hook is called with a step name and the snapshot at
 * the points where a crash matters ("create:pending" after the job row is
 * committed, "create:applied" after the QMP transaction or the last
 * qemu-img call); NULL removes it.
 */
typedef void (*BpSnapshotOpsHook)(const char *step, const char *snapshot, gpointer data);
void bp_snapshot_ops_set_test_hook(BpSnapshotOpsHook hook, gpointer data);

G_END_DECLS
