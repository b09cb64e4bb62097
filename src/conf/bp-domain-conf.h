/*
 * bp-domain-conf.h: the <domain> document — the part of a libvirt domain
 * definition blkpoint uses (name, uuid, description, disks with their
 * backing chains, and how the domain's block layer is reached).
 *
 * A definition may be a plain one (a name and disks) or a full libvirt
 * definition.  The parsed document is kept: formatting prints the kept
 * tree in libvirt's layout, with the modelled fields written back into it,
 * so everything we do not model comes back unchanged.
 */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "util/bp-buf.h"
#include "util/bp-enum.h"

G_BEGIN_DECLS

typedef enum {
    BP_STORAGE_TYPE_FILE,
    BP_STORAGE_TYPE_BLOCK,
    BP_STORAGE_TYPE_OTHER,      /* network, volume, dir, nvme ...: kept, not usable */

    BP_STORAGE_TYPE_LAST
} BpStorageType;
BP_ENUM_DECL(bp_storage_type);

typedef struct _BpStorageSource BpStorageSource;
struct _BpStorageSource {
    BpStorageType type;
    char *path;                 /* <source file|dev>; NULL = empty (no media) */
    char *format;               /* <driver type> / <format type>; NULL = unknown */
    char *node_name;            /* attach runtime: QEMU node name to match (optional) */
    gboolean readonly;          /* <readonly/> (top layer only) */
    BpStorageSource *backing;   /* next layer down, or NULL */
    gboolean backing_known;     /* TRUE when the chain ends explicitly
                                 * (<backingStore/>), FALSE when not given */
};

typedef enum {
    BP_DISK_EXPORT_NBD,         /* storage runtime default: NBD on a unix socket */
    BP_DISK_EXPORT_VHOST_USER_BLK,
    BP_DISK_EXPORT_NONE,

    BP_DISK_EXPORT_LAST
} BpDiskExport;
BP_ENUM_DECL(bp_disk_export);

/* Where a disk's snapshot goes (libvirt's virDomainSnapshotLocation):
 * the <disk snapshot='...'> default of a domain disk, and the per-disk
 * choice in a <domainsnapshot>.  blkpoint only takes external ones. */
typedef enum {
    BP_SNAPSHOT_LOCATION_DEFAULT,
    BP_SNAPSHOT_LOCATION_NO,
    BP_SNAPSHOT_LOCATION_INTERNAL,
    BP_SNAPSHOT_LOCATION_EXTERNAL,
    BP_SNAPSHOT_LOCATION_MANUAL,

    BP_SNAPSHOT_LOCATION_LAST
} BpSnapshotLocation;
BP_ENUM_DECL(bp_snapshot_location);

typedef struct {
    char *dst;                  /* <target dev>: the disk's name everywhere */
    char *device;               /* disk | cdrom | floppy | lun (default disk) */
    BpStorageSource *src;       /* never NULL */
    BpDiskExport export_type;   /* storage runtime only (the disk's own
                                 * <export>, else the runtime's default);
                                 * BP_DISK_EXPORT_NONE for other runtimes */
    BpSnapshotLocation snapshot; /* <disk snapshot=...>; like libvirt, a
                                  * readonly disk without it gets NO */
} BpDiskDef;

typedef enum {
    BP_RUNTIME_STORAGE,         /* embedded default: one qemu-storage-daemon per domain */
    BP_RUNTIME_ATTACH,          /* a QEMU somebody else runs; we talk to its QMP socket */
    BP_RUNTIME_OFFLINE,         /* never started: qemu-img only */

    BP_RUNTIME_LAST
} BpRuntimeType;
BP_ENUM_DECL(bp_runtime);

typedef struct {
    char *name;
    char *uuid;                 /* canonical lower-case 8-4-4-4-12; generated if absent */
    char *description;
    BpRuntimeType runtime;
    char *monitor_path;         /* attach: absolute path of the QMP socket */
    BpDiskExport export_default; /* storage: <runtime><export type/>, else NBD */
    BpDiskDef **disks;          /* in document order */
    size_t ndisks;
    xmlDoc *doc;                /* the parsed document, for printing back */
} BpDomainDef;

typedef enum {
    BP_DOMAIN_PARSE_VALIDATE = 1 << 0,   /* check against domain.rng */
} BpDomainParseFlags;

BpDomainDef *bp_domain_def_parse_string(const char *xml,
                                        unsigned int flags,
                                        GError **error);
/* Parses the <domain> element @node of another document (e.g. the copy
 * embedded in a checkpoint); the result owns a copy of the subtree. */
BpDomainDef *bp_domain_def_parse_node(xmlNode *node,
                                      unsigned int flags,
                                      GError **error);
/* Appends the definition to @buf at the buffer's indentation. */
void bp_domain_def_format(BpBuf *buf, const BpDomainDef *def);
char *bp_domain_def_format_string(const BpDomainDef *def);
BpDomainDef *bp_domain_def_copy(const BpDomainDef *def);
/* Copies of one disk, one layer chain (the whole chain below @src). */
BpDiskDef *bp_disk_def_copy(const BpDiskDef *disk);
BpStorageSource *bp_storage_source_copy(const BpStorageSource *src);
/* A new empty layer of @type (no path, no format, chain unknown). */
BpStorageSource *bp_storage_source_new(BpStorageType type);
void bp_domain_def_free(BpDomainDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpDomainDef, bp_domain_def_free)

/* Creates a minimal definition in memory (no document); used by tests and
 * harnesses that build fake domains.  Disks are added with
 * bp_domain_def_add_disk(), which takes ownership of @disk. */
BpDomainDef *bp_domain_def_new(const char *name);
void bp_domain_def_add_disk(BpDomainDef *def, BpDiskDef *disk);
BpDiskDef *bp_disk_def_new(const char *dst, BpStorageType type,
                           const char *path, const char *format);
void bp_disk_def_free(BpDiskDef *disk);
void bp_storage_source_free(BpStorageSource *src);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpDiskDef, bp_disk_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpStorageSource, bp_storage_source_free)

/* Lookups: by target name, or by target name or absolute source path
 * (NULL when none or when a path matches several disks). */
BpDiskDef *bp_domain_def_find_disk(const BpDomainDef *def, const char *dst);
BpDiskDef *bp_domain_def_find_disk_by_name_or_path(const BpDomainDef *def,
                                                   const char *name);
/* TRUE when the disk has no media (no source path). */
gboolean bp_disk_def_is_empty(const BpDiskDef *disk);

/* libvirt's moment name rule: [a-zA-Z0-9_-][a-zA-Z0-9_.-]*, at most 255
 * bytes; used for checkpoint and snapshot names. */
gboolean bp_name_is_valid(const char *name);

/* The domain name rule: 1..255 bytes, no '/', no newline or carriage
 * return, not starting with '.' (the name becomes a directory name in
 * the catalogue and the runtime directory). */
gboolean bp_domain_name_is_valid(const char *name);

/* Canonicalises a UUID given as 32 hex digits, optionally with dashes
 * between them and blanks around (libvirt's virUUIDParse rules), into
 * lower-case 8-4-4-4-12.  Returns NULL when @str is not a UUID. */
char *bp_uuid_canonicalize(const char *str);

G_END_DECLS
