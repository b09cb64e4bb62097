/*
 * bp-backup-conf.h: the <domainbackup> document — input of backup-begin,
 * output of backup-dumpxml, and (with the internal flag) the status record
 * of a running backup.
 *
 * Semantics follow libvirt's virDomainBackupDef exactly: the same
 * defaults, the same alignment of the listed disks with the domain's
 * (bp_backup_def_align_disks), the same output layout.  blkpoint adds a
 * few checks of its own at parse time (names that end up in file names,
 * NBD export names and qcow2 bitmap names must be safe); see
 * bp_backup_def_parse_string().
 *
 * Typical use (backup-begin):
 *
 *   def = bp_backup_def_parse_string(xml, BP_BACKUP_PARSE_VALIDATE, &err);
 *   bp_backup_def_align_disks(def, domdef, suffix, &err);
 *   ... run the job, filling exportname/exportbitmap/index/state ...
 *   status = bp_backup_def_format_string(def, TRUE);
 */
#pragma once

#include <glib.h>

#include "util/bp-buf.h"
#include "util/bp-enum.h"
#include "bp-domain-conf.h"
#include "bp-storage-security-conf.h"

G_BEGIN_DECLS

typedef enum {
    BP_BACKUP_MODE_DEFAULT,     /* never in a parsed definition */
    BP_BACKUP_MODE_PUSH,
    BP_BACKUP_MODE_PULL,

    BP_BACKUP_MODE_LAST
} BpBackupMode;
BP_ENUM_DECL(bp_backup_mode);

/* How the pull-mode NBD server listens.  (libvirt also knows 'rdma',
 * which it refuses for backups; so do we, by name.) */
typedef enum {
    BP_BACKUP_TRANSPORT_TCP,
    BP_BACKUP_TRANSPORT_UNIX,
    BP_BACKUP_TRANSPORT_FD,     /* a listening socket handed over beforehand */

    BP_BACKUP_TRANSPORT_LAST
} BpBackupTransport;
BP_ENUM_DECL(bp_backup_transport);

typedef enum {
    BP_BACKUP_TLS_DEFAULT,      /* attribute absent: not printed */
    BP_BACKUP_TLS_YES,
    BP_BACKUP_TLS_NO,

    BP_BACKUP_TLS_LAST
} BpBackupTls;

typedef struct {
    BpBackupTransport transport;
    char *name;                 /* tcp: host name or address */
    unsigned int port;          /* tcp: 0 = not given */
    char *socket;               /* unix: absolute path */
    char *fdgroup;              /* fd: name the socket was handed over under */
} BpBackupServer;

typedef enum {
    BP_BACKUP_DISK_MODE_DEFAULT,    /* resolved by alignment */
    BP_BACKUP_DISK_MODE_FULL,
    BP_BACKUP_DISK_MODE_INCREMENTAL,

    BP_BACKUP_DISK_MODE_LAST
} BpBackupDiskMode;
BP_ENUM_DECL(bp_backup_disk_mode);

/* Per-disk progress; only in status XML (BP_BACKUP_PARSE_INTERNAL). */
typedef enum {
    BP_BACKUP_DISK_STATE_NONE,
    BP_BACKUP_DISK_STATE_RUNNING,
    BP_BACKUP_DISK_STATE_COMPLETE,
    BP_BACKUP_DISK_STATE_FAILED,
    BP_BACKUP_DISK_STATE_CANCELLING,
    BP_BACKUP_DISK_STATE_CANCELLED,

    BP_BACKUP_DISK_STATE_LAST
} BpBackupDiskState;
BP_ENUM_DECL(bp_backup_disk_state);

/* The image a disk is copied into: <target> (push) or <scratch> (pull). */
typedef struct {
    BpStorageType type;         /* BP_STORAGE_TYPE_FILE or _BLOCK */
    char *path;                 /* file= / dev=; NULL until generated */
    char *format;               /* <driver type>; NULL = not given (qcow2) */
    unsigned int index;         /* index='N' (status XML); 0 = none */
    BpSeclabel **seclabels;
    size_t nseclabels;
    BpEncryption *encryption;   /* or NULL */
} BpBackupStore;

typedef struct {
    char *name;                 /* the domain disk's <target dev> */
    gboolean backup;            /* backup='yes' (default) or 'no' */
    BpBackupDiskMode backupmode;
    char *incremental;          /* checkpoint to back up from, or NULL */
    char *exportname;           /* pull only */
    char *exportbitmap;         /* pull only */
    BpBackupDiskState state;    /* status XML only */
    BpBackupStore *store;       /* NULL when backup='no' */
} BpBackupDiskDef;

typedef struct {
    BpBackupMode mode;          /* PUSH or PULL once parsed */
    char *incremental;          /* <incremental>: checkpoint name, or NULL */
    BpBackupServer *server;     /* pull only; NULL when absent */
    BpBackupTls tls;
    BpBackupDiskDef **disks;    /* as listed; after alignment every domain
                                 * disk, listed ones first */
    size_t ndisks;
    /* status XML only: aliases of the TLS objects of the NBD server */
    char *tls_alias;
    char *tls_secret_alias;
} BpBackupDef;

typedef enum {
    /* Status XML: per-disk state= (required) and index=, <privateData>.
     * Never validated against the schema (it refuses those). */
    BP_BACKUP_PARSE_INTERNAL = 1 << 0,
    /* Validate against domainbackup.rng first (ignored with INTERNAL). */
    BP_BACKUP_PARSE_VALIDATE = 1 << 1,
} BpBackupParseFlags;

/*
 * Parses a <domainbackup> document.  Returns a new definition (free with
 * bp_backup_def_free) or NULL with:
 *  - BP_ERROR_XML_SYNTAX: not well-formed (with the line);
 *  - BP_ERROR_XML_INVALID: schema violation, a missing or malformed value
 *    (with the value and the line), an unsafe name (a disk name that is
 *    not a disk target, a checkpoint name that is not a valid moment name,
 *    an export or bitmap name that is empty, too long or has '/' or
 *    control characters, a relative socket or target path);
 *  - BP_ERROR_CONFIG_UNSUPPORTED: unknown mode, <server> in push mode,
 *    rdma transport, a pull-mode scratch that is not qcow2.
 */
BpBackupDef *bp_backup_def_parse_string(const char *xml,
                                        unsigned int flags,
                                        GError **error);

/*
 * libvirt's virDomainBackupAlignDisks: checks the listed disks against
 * @domdef and completes the definition.
 *  - every listed disk must name a domain disk, once;
 *  - a participating disk without a target/scratch path gets
 *    "<source path>.<suffix>" (type file) — refused for non-file disks;
 *  - disks of the domain that are not listed are appended in domain
 *    order, with backup='no' — unless no <disks> was given at all: then
 *    every disk with media that is not read-only takes part;
 *  - backupmode and incremental are resolved from the top-level
 *    <incremental>.
 * Errors are BP_ERROR_CONFIG_UNSUPPORTED with libvirt's messages.  On
 * error @def may be partly aligned: discard it.
 */
gboolean bp_backup_def_align_disks(BpBackupDef *def,
                                   const BpDomainDef *domdef,
                                   const char *suffix,
                                   GError **error);

/* Appends the definition to @buf in libvirt's layout; @internal adds the
 * status-only fields (per-disk state=, <privateData>). */
void bp_backup_def_format(BpBuf *buf, const BpBackupDef *def, gboolean internal);
char *bp_backup_def_format_string(const BpBackupDef *def, gboolean internal);

/* The entry for disk @name, or NULL. */
BpBackupDiskDef *bp_backup_def_find_disk(const BpBackupDef *def,
                                         const char *name);

void bp_backup_store_free(BpBackupStore *store);
void bp_backup_disk_def_free(BpBackupDiskDef *disk);
void bp_backup_def_free(BpBackupDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpBackupDef, bp_backup_def_free)

G_END_DECLS
