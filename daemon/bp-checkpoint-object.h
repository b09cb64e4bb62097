/*
 * bp-checkpoint-object.h: the checkpoints of one domain on the bus.
 *
 * Each checkpoint of the catalogue is an object at
 * /org/blkpoint/Blkpoint1/domain/NAME/checkpoint/CHECKPOINT with the
 * org.blkpoint.Blkpoint1.Checkpoint interface.  A domain keeps one table
 * of them; bp_checkpoint_table_sync() brings the objects and their
 * properties (and the domain's CurrentCheckpoint) in step with the
 * catalogue after anything that may have changed it: objects come and go
 * with InterfacesAdded/InterfacesRemoved, properties emit
 * PropertiesChanged.
 *
 * The checkpoint methods of the Domain interface (CheckpointCreate,
 * CheckpointLookupByName, ListCheckpoints) and those of each Checkpoint
 * live here too.  Handlers unpack, call src/jobs (bp-checkpoint-ops.h)
 * and answer; what changes bitmaps runs in the domain's operation queue.
 */
#pragma once

#include <gio/gio.h>

#include "dbus/bp-dbus-generated.h"

G_BEGIN_DECLS

typedef struct _BpDaemonDomain BpDaemonDomain;
typedef struct _BpCheckpointTable BpCheckpointTable;

/* An empty table for @dom (which owns it and outlives it). */
BpCheckpointTable *bp_checkpoint_table_new(BpDaemonDomain *dom);
/* Frees the table (the objects are left to the object manager). */
void bp_checkpoint_table_free(BpCheckpointTable *table);
/* Unexports every object (the domain was undefined). */
void bp_checkpoint_table_clear(BpCheckpointTable *table);

/* Reads the domain's checkpoints from the catalogue and exports, updates
 * or unexports objects to match; sets the domain's CurrentCheckpoint.
 * Property changes are flushed before it returns.  A catalogue failure
 * is logged and leaves the objects as they were. */
void bp_checkpoint_table_sync(BpCheckpointTable *table);

/* Connects the checkpoint methods of the Domain interface @iface.  Call
 * before bp_method_connect_unimplemented(). */
void bp_checkpoint_connect_domain_methods(BpDaemonDomain *dom, BpDomain *iface);

/* Queues a reconciliation of the domain's checkpoints with its images
 * (daemon start, domain start), followed by a sync of the objects. */
void bp_checkpoint_queue_reconcile(BpDaemonDomain *dom);

G_END_DECLS
