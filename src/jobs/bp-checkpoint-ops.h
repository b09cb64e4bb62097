/*
 * bp-checkpoint-ops.h: checkpoints of a domain, independent of D-Bus.
 *
 * What "virsh checkpoint-*" does, for a running domain (QMP) and for one
 * that is not running (qemu-img): create, redefine, delete, list, dumpxml
 * (with sizes), and the reconciliation that puts the catalogue and the
 * images back in agreement after a crash.  The rules are libvirt's
 * (docs/, the libvirt behaviour reference §2.4-2.11 and §3.1-3.6), with
 * the differences the functions below name.
 *
 * Never half done.  A checkpoint is created as
 *
 *   1. one catalogue transaction: the checkpoint row, state "pending",
 *      and a job row "checkpoint-create" naming it;
 *   2. the bitmaps: one QMP transaction (running), or one qemu-img
 *      bitmap --add per disk (not running);
 *   3. one catalogue transaction: state "ready", current, job removed.
 *
 * A failure in 2 or 3 removes the bitmaps of that name that step 2 may
 * have added and the row; a process that dies between the steps leaves
 * the pending row and its job for bp_checkpoint_ops_reconcile_async(),
 * which looks at the bitmaps actually present: all there, the checkpoint
 * is kept; none, the row goes; some, they are removed and the row goes.
 * Deleting marks the rows "deleting" first; a deletion interrupted after
 * that is finished by reconciliation (the bitmaps left are removed, then
 * the rows).  So there is never a bitmap without a checkpoint, nor a
 * usable checkpoint without its bitmaps.
 *
 * All functions run on the thread-default main context and use the
 * catalogue from it only; @store must outlive the operation.
 */
#pragma once

#include <gio/gio.h>

#include "bp-block-access.h"
#include "store/bp-store.h"

G_BEGIN_DECLS

/* The job kind of a creation under way (bp-store.h jobs). */
#define BP_CHECKPOINT_JOB_CREATE "checkpoint-create"

typedef enum {
    BP_CHECKPOINT_CREATE_REDEFINE = 1 << 0,
    BP_CHECKPOINT_CREATE_REDEFINE_VALIDATE = 1 << 1,
    BP_CHECKPOINT_CREATE_QUIESCE = 1 << 2,   /* refused, as libvirt's qemu driver does */
} BpCheckpointCreateFlags;

/*
 * checkpoint-create of @xml ("" or NULL for an empty document) on domain
 * @domain_id, whose disks @access reaches.  @now (seconds since the
 * epoch) is the creation time and the default name.
 *
 * New checkpoint: parsed and validated against the schema, its parent is
 * the current checkpoint, <domain> is a copy of @access's definition, the
 * disks are aligned with it, and the planner's bitmaps are added as
 * described above; it becomes current.  Unlike libvirt, a domain that is
 * not running gets its checkpoint too (qemu-img).
 *
 * REDEFINE: records the document (name and creationTime required) with
 * libvirt's checks (parent, cycles, uuid), without touching any bitmap.
 * Refused when a disk's bitmap belongs to another checkpoint
 * (BP_ERROR_EXISTS: libvirt accepts that and a later delete removes the
 * other checkpoint's bitmap).  With REDEFINE_VALIDATE every bitmap's
 * chain must be valid (BP_ERROR_CHECKPOINT_INCONSISTENT).  Without it
 * the images are still looked at when they can be read: the checkpoint
 * is stored "ready" or "broken" with the reason, or "pending" when the
 * images could not be read.
 *
 * Returns the checkpoint's name.  Errors: BP_ERROR_XML_SYNTAX,
 * BP_ERROR_XML_INVALID, BP_ERROR_CONFIG_UNSUPPORTED, BP_ERROR_EXISTS,
 * BP_ERROR_INVALID_ARGUMENT (REDEFINE_VALIDATE without REDEFINE, parent
 * problems), BP_ERROR_OPERATION_UNSUPPORTED (QUIESCE),
 * BP_ERROR_OPERATION_INVALID, BP_ERROR_CHECKPOINT_INCONSISTENT,
 * BP_ERROR_BUSY, BP_ERROR_QEMU, BP_ERROR_TIMEOUT, BP_ERROR_CATALOGUE.
 */
void bp_checkpoint_ops_create_async(BpStore *store,
                                    gint64 domain_id,
                                    BpBlockAccess *access,
                                    const char *xml,
                                    unsigned int flags,
                                    gint64 now,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data);
char *bp_checkpoint_ops_create_finish(GAsyncResult *result, GError **error);

typedef enum {
    BP_CHECKPOINT_DELETE_CHILDREN = 1 << 0,
    BP_CHECKPOINT_DELETE_CHILDREN_ONLY = 1 << 1,
    BP_CHECKPOINT_DELETE_METADATA = 1 << 2,
} BpCheckpointDeleteFlags;

/*
 * checkpoint-delete @name: the checkpoint (CHILDREN: with its
 * descendants; CHILDREN_ONLY: its descendants only) loses its bitmaps on
 * every layer of every disk (read-only backing layers are reopened
 * read-write for it and back) and its catalogue rows, with libvirt's
 * re-parenting and current rules.  METADATA removes the rows only
 * (@access may then be NULL).  Unlike libvirt, a checkpoint already
 * "inconsistent" whose bitmap is gone from a disk is deleted anyway
 * (the bitmaps that remain are removed), and a domain that is not
 * running is handled with qemu-img.  Errors: BP_ERROR_NO_CHECKPOINT,
 * BP_ERROR_INVALID_ARGUMENT (CHILDREN with CHILDREN_ONLY), the
 * planner's (BP_ERROR_CHECKPOINT_INCONSISTENT for a bitmap missing from
 * a usable checkpoint, BP_ERROR_OPERATION_INVALID, BP_ERROR_BUSY), those
 * of QEMU or qemu-img (nothing was deleted), BP_ERROR_CATALOGUE_PARTIAL
 * (the bitmaps are gone, the rows stay "deleting" until reconciliation).
 */
void bp_checkpoint_ops_delete_async(BpStore *store,
                                    gint64 domain_id,
                                    BpBlockAccess *access,
                                    const char *name,
                                    unsigned int flags,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data);
gboolean bp_checkpoint_ops_delete_finish(GAsyncResult *result, GError **error);

/* Same values as BP_CHECKPOINT_FORMAT_* of bp-checkpoint-conf.h. */
typedef enum {
    BP_CHECKPOINT_XML_SECURE = 1 << 0,
    BP_CHECKPOINT_XML_NO_DOMAIN = 1 << 1,
    BP_CHECKPOINT_XML_SIZE = 1 << 2,
} BpCheckpointXmlFlags;

/*
 * checkpoint-dumpxml: the <domaincheckpoint> document of @name in
 * libvirt's layout.  Without SECURE, secrets of the embedded domain are
 * left out.  SIZE needs the async form.  Errors: BP_ERROR_NO_CHECKPOINT,
 * BP_ERROR_CATALOGUE.
 */
char *bp_checkpoint_ops_get_xml(BpStore *store, gint64 domain_id,
                                const char *name, unsigned int flags,
                                GError **error);

/*
 * The same with SIZE: every disk whose bitmap chain is valid gets
 * size= the bytes written since the checkpoint (the planner's size plan:
 * a temporary bitmap holding the union of the chain, its dirty count,
 * then removed).  A domain that is not running is opened read-only in a
 * short-lived qemu-storage-daemon for it (libvirt refuses).  Errors: as
 * above, and those of QEMU.
 */
void bp_checkpoint_ops_get_xml_async(BpStore *store,
                                     gint64 domain_id,
                                     BpBlockAccess *access,
                                     const char *name,
                                     unsigned int flags,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
char *bp_checkpoint_ops_get_xml_finish(GAsyncResult *result, GError **error);

typedef enum {
    BP_CHECKPOINT_LIST_ROOTS = 1 << 0,
    BP_CHECKPOINT_LIST_DESCENDANTS = 1 << 1,
    BP_CHECKPOINT_LIST_TOPOLOGICAL = 1 << 2,
    BP_CHECKPOINT_LIST_LEAVES = 1 << 3,
    BP_CHECKPOINT_LIST_NO_LEAVES = 1 << 4,
} BpCheckpointListFlags;

/*
 * checkpoint-list: names (char*) of the domain's checkpoints, or with
 * @from of its children (DESCENDANTS: all below it).  Sorted by name
 * unless TOPOLOGICAL (parents before children, siblings by creation).
 * LEAVES with NO_LEAVES gives an empty list, as in libvirt; ROOTS with
 * @from is BP_ERROR_INVALID_ARGUMENT.  BP_ERROR_NO_CHECKPOINT for an
 * unknown @from.
 */
GPtrArray *bp_checkpoint_ops_list(BpStore *store, gint64 domain_id,
                                  const char *from, unsigned int flags,
                                  GError **error);

/*
 * Reconciliation (daemon start, domain start): for a creation
 * interrupted (a "checkpoint-create" job left; a "backup" job left by
 * an interrupted backup always removes its new checkpoint and marks the
 * backup failed), keeps, or removes with
 * its partial bitmaps, the pending row as described above; finishes
 * deletions left "deleting"; checks every "ready" and "pending"
 * checkpoint's bitmap chains and marks those that are not valid
 * "broken" with the reason (a broken checkpoint is never made ready
 * again: it may have missed writes).  @changed (optional) is set to the
 * number of checkpoints whose row changed.  A domain without checkpoints
 * or jobs is not looked at.  On a failure (the graph cannot be read,
 * QEMU refuses a removal) what could not be settled stays for the next
 * time.
 */
void bp_checkpoint_ops_reconcile_async(BpStore *store,
                                       gint64 domain_id,
                                       BpBlockAccess *access,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data);
gboolean bp_checkpoint_ops_reconcile_finish(GAsyncResult *result, guint *changed,
                                            GError **error);

/*
 * For tests only: @hook is called with a step name and the checkpoint at
 * the points where a crash matters ("create:pending" after the pending
 * row is committed, "create:applied" after the bitmaps were added,
 * "delete:marked", "delete:applied"); NULL removes it.
 */
typedef void (*BpCheckpointOpsHook)(const char *step, const char *checkpoint,
                                    gpointer data);
void bp_checkpoint_ops_set_test_hook(BpCheckpointOpsHook hook, gpointer data);

G_END_DECLS
