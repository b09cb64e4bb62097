/*
 * bp-snapshot-object.h: the snapshots of one domain on the bus.
 *
 * Each snapshot recorded in the catalogue is an object at
 * /org/blkpoint/Blkpoint1/domain/NAME/snapshot/SNAPSHOT with the
 * org.blkpoint.Blkpoint1.Snapshot interface.  The table of a domain's
 * snapshot objects hangs on its BpDaemonDomain (object data), so that the
 * domain object only connects, syncs and clears it.
 *
 * The snapshot methods of the Domain interface (SnapshotCreate,
 * SnapshotLookupByName, ListSnapshots) live here too.  Creation runs in
 * the domain's operation queue.
 */
#pragma once

#include <gio/gio.h>

#include "dbus/bp-dbus-generated.h"

G_BEGIN_DECLS

typedef struct _BpDaemonDomain BpDaemonDomain;

/* Creates the domain's (empty) snapshot table and connects the snapshot
 * methods of the Domain interface @iface.  Call before
 * bp_method_connect_unimplemented(). */
void bp_snapshot_connect_domain_methods(BpDaemonDomain *dom, BpDomain *iface);

/* Exports, updates or unexports snapshot objects to match the catalogue.
 * A catalogue failure is logged and leaves the objects as they were. */
void bp_snapshot_table_sync(BpDaemonDomain *dom);

/* Unexports every snapshot object (the domain was undefined). */
void bp_snapshot_table_clear(BpDaemonDomain *dom);

/* Queues settling snapshot creations a crash interrupted (daemon start),
 * followed by a sync of the objects. */
void bp_snapshot_queue_reconcile(BpDaemonDomain *dom);

/* The path of snapshot @name of the domain at @domain_path. */
char *bp_snapshot_object_path(const char *domain_path, const char *name);

G_END_DECLS
