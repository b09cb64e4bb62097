/*
 * bp-snapshot-conf.h: the <domainsnapshot> document, restricted to what
 * blkpoint does — external, disk-only snapshots: each selected disk gets
 * a new qcow2 overlay on top of its chain; there is no memory state and
 * no internal (qcow2 savevm) snapshot.
 *
 * Semantics follow libvirt's snapshot_conf.c (parsing, alignment, default
 * overlay names) and the disk-only path of its qemu driver (state,
 * qcow2 default, "nothing selected").  Documents asking for what blkpoint
 * does not do (memory state, internal snapshots, manual mode) are refused
 * with BP_ERROR_CONFIG_UNSUPPORTED and a message that says so.
 *
 * Typical creation:
 *   def = bp_snapshot_def_parse_string(xml, BP_SNAPSHOT_PARSE_VALIDATE,
 *                                      now, &err);
 *   def->dom = bp_domain_def_copy(domdef);
 *   bp_snapshot_def_align_disks(def, NULL, active ? BP_SNAPSHOT_ALIGN_ACTIVE : 0,
 *                               &err);
 */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "util/bp-enum.h"
#include "bp-domain-conf.h"
#include "bp-moment-conf.h"

G_BEGIN_DECLS

/* The subset of libvirt's virDomainSnapshotState a disk-only snapshot
 * has: "disk-snapshot" (taken while running) or "shutoff". */
typedef enum {
    BP_SNAPSHOT_STATE_NONE,
    BP_SNAPSHOT_STATE_DISK_SNAPSHOT,
    BP_SNAPSHOT_STATE_SHUTOFF,

    BP_SNAPSHOT_STATE_LAST
} BpSnapshotState;
BP_ENUM_DECL(bp_snapshot_state);

typedef struct {
    char *name;                  /* target dev (a path before alignment) */
    BpSnapshotLocation snapshot; /* EXTERNAL or NO after alignment */
    BpStorageSource *src;        /* the overlay: type file|block, path,
                                  * format (qcow2); never NULL */
} BpSnapshotDiskDef;

typedef struct {
    char *name;
    char *description;
    char *parent;
    gint64 creation_time;
    BpSnapshotState state;
    BpSnapshotLocation memory;   /* DEFAULT (not given) or NO */
    BpSnapshotDiskDef **disks;
    size_t ndisks;
    BpDomainDef *dom;
    xmlDoc *extra;               /* <inactiveDomain> and <cookie> of a
                                  * redefined libvirt snapshot, printed back
                                  * unchanged; NULL when none */
} BpSnapshotDef;

typedef enum {
    /* Redefine: name, creationTime and state are required; parent,
     * <domain>, <inactiveDomain> and <cookie> are read. */
    BP_SNAPSHOT_PARSE_REDEFINE = 1 << 0,
    /* Validate against domainsnapshot.rng. */
    BP_SNAPSHOT_PARSE_VALIDATE = 1 << 1,
} BpSnapshotParseFlags;

/* Same value as libvirt's VIR_DOMAIN_SNAPSHOT_XML_SECURE. */
typedef enum {
    BP_SNAPSHOT_FORMAT_SECURE = 1 << 0,   /* nothing to hide in our model */
} BpSnapshotFormatFlags;

typedef enum {
    /* The domain is running: the snapshot's state is disk-snapshot
     * (otherwise shutoff). */
    BP_SNAPSHOT_ALIGN_ACTIVE = 1 << 0,
} BpSnapshotAlignFlags;

/*
 * Parses a <domainsnapshot> document.  @now (seconds since the epoch) is
 * the creation time, and the default name, of a new snapshot; ignored
 * with REDEFINE.  Unsupported features (memory state, internal or manual
 * disk snapshots, full-system states) are reported as
 * BP_ERROR_CONFIG_UNSUPPORTED even before schema validation; other
 * errors are BP_ERROR_XML_SYNTAX / BP_ERROR_XML_INVALID (with the line).
 */
BpSnapshotDef *bp_snapshot_def_parse_string(const char *xml,
                                            unsigned int flags,
                                            gint64 now,
                                            GError **error);

/*
 * Aligns the disks against @domdef (or def->dom when NULL), as libvirt's
 * virDomainSnapshotAlignDisks with external as the default location,
 * followed by the disk-only checks of its qemu driver.  Afterwards
 * def->disks lists every domain disk in domain order by target name:
 * listed disks as asked, unlisted ones with the domain disk's snapshot=
 * default, else external (empty drives and, through the domain's
 * readonly default, readonly ones: no).  External overlays default to
 * qcow2 and to the file name "<source without extension>.<snapshot
 * name>", which needs the source to be an existing regular file.  Sets
 * the memory location to no and, when the state is not set yet, the
 * state from @flags.  Errors: BP_ERROR_FAILED (no domain), otherwise
 * BP_ERROR_CONFIG_UNSUPPORTED with libvirt's messages.  def->dom is not
 * changed.
 */
gboolean bp_snapshot_def_align_disks(BpSnapshotDef *def,
                                     const BpDomainDef *domdef,
                                     unsigned int flags,
                                     GError **error);

/* Redefine checks: the parent through @lookup (as for checkpoints), the
 * embedded domain's uuid against @domdef.  BP_ERROR_INVALID_ARGUMENT. */
gboolean bp_snapshot_def_redefine_prep(BpSnapshotDef *def,
                                       const BpDomainDef *domdef,
                                       BpMomentLookupFunc lookup,
                                       gpointer opaque,
                                       GError **error);

/* Formats @def in libvirt's element order.  Never fails. */
char *bp_snapshot_def_format(const BpSnapshotDef *def, unsigned int flags);

BpSnapshotDef *bp_snapshot_def_new(void);
BpSnapshotDiskDef *bp_snapshot_disk_def_new(const char *name,
                                            BpSnapshotLocation snapshot,
                                            BpStorageType type,
                                            const char *path,
                                            const char *format);
void bp_snapshot_def_add_disk(BpSnapshotDef *def, BpSnapshotDiskDef *disk);
void bp_snapshot_disk_def_free(BpSnapshotDiskDef *disk);
void bp_snapshot_def_free(BpSnapshotDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpSnapshotDef, bp_snapshot_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpSnapshotDiskDef, bp_snapshot_disk_def_free)

/* The disk entry named @name, or NULL. */
BpSnapshotDiskDef *bp_snapshot_def_find_disk(const BpSnapshotDef *def,
                                             const char *name);

G_END_DECLS
