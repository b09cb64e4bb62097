/*
 * bp-checkpoint-conf.h: the <domaincheckpoint> document.
 *
 * Input of checkpoint-create (and of backup-begin's checkpoint),
 * output of checkpoint-dumpxml, and the stored form of a checkpoint in
 * the catalogue.  Semantics follow libvirt's checkpoint_conf.c: see
 * docs/ and the libvirt behaviour reference §1.2.
 *
 * Typical creation:
 *   def = bp_checkpoint_def_parse_string(xml, BP_CHECKPOINT_PARSE_VALIDATE,
 *                                        now, &err);
 *   def->parent = g_strdup(current);          (the catalogue's current one)
 *   def->dom = bp_domain_def_copy(domdef);
 *   bp_checkpoint_def_align_disks(def, NULL, &err);
 * Redefinition:
 *   def = bp_checkpoint_def_parse_string(xml, REDEFINE | VALIDATE, 0, &err);
 *   bp_checkpoint_def_redefine_prep(def, domdef, lookup, opaque, &err);
 */
#pragma once

#include <glib.h>

#include "util/bp-enum.h"
#include "bp-domain-conf.h"
#include "bp-moment-conf.h"

G_BEGIN_DECLS

/* libvirt's virDomainCheckpointType: strings "default", "no", "bitmap". */
typedef enum {
    BP_CHECKPOINT_TYPE_DEFAULT,
    BP_CHECKPOINT_TYPE_NO,
    BP_CHECKPOINT_TYPE_BITMAP,

    BP_CHECKPOINT_TYPE_LAST
} BpCheckpointType;
BP_ENUM_DECL(bp_checkpoint_type);

typedef struct {
    char *name;             /* target dev, or an absolute source path before
                             * alignment */
    BpCheckpointType type;  /* BITMAP when a listed disk omits checkpoint= */
    char *bitmap;           /* bitmap name; NULL until aligned */
    guint64 size;           /* output only, with BP_CHECKPOINT_FORMAT_SIZE */
    gboolean size_valid;
} BpCheckpointDiskDef;

typedef struct {
    char *name;
    char *description;
    char *parent;           /* parent checkpoint name, NULL for a root */
    gint64 creation_time;   /* seconds since the epoch */
    BpCheckpointDiskDef **disks;
    size_t ndisks;
    BpDomainDef *dom;       /* the domain as it was, or NULL */
} BpCheckpointDef;

typedef enum {
    /* Redefine (checkpoint-create --redefine, loading the catalogue):
     * name and creationTime are required; parent and <domain> are read. */
    BP_CHECKPOINT_PARSE_REDEFINE = 1 << 0,
    /* Validate against domaincheckpoint.rng (libvirt always does for
     * user input). */
    BP_CHECKPOINT_PARSE_VALIDATE = 1 << 1,
} BpCheckpointParseFlags;

/* Same values as libvirt's VIR_DOMAIN_CHECKPOINT_XML_*. */
typedef enum {
    BP_CHECKPOINT_FORMAT_SECURE = 1 << 0,    /* nothing to hide in our model */
    BP_CHECKPOINT_FORMAT_NO_DOMAIN = 1 << 1, /* omit <domain> */
    BP_CHECKPOINT_FORMAT_SIZE = 1 << 2,      /* print size= where known */
} BpCheckpointFormatFlags;

/* Checkpoint names starting with these are refused (BP_ERROR_CONFIG_
 * UNSUPPORTED): blkpoint and libvirt use them for temporary bitmaps
 * (e.g. push backups add "backup-<disk>" to the live image), and a
 * checkpoint's bitmap carries the checkpoint's name. */
#define BP_CHECKPOINT_RESERVED_PREFIXES { "blkpoint-", "backup-", NULL }

/*
 * Parses a <domaincheckpoint> document.  @now (seconds since the epoch)
 * is the creation time of a new checkpoint, and its name when the
 * document has none; it is ignored with REDEFINE.  Returns NULL with
 * BP_ERROR_XML_SYNTAX (malformed), BP_ERROR_XML_INVALID (schema, missing
 * or invalid values; with the line) or BP_ERROR_CONFIG_UNSUPPORTED (a
 * reserved name).
 */
BpCheckpointDef *bp_checkpoint_def_parse_string(const char *xml,
                                                unsigned int flags,
                                                gint64 now,
                                                GError **error);

/*
 * libvirt's virDomainCheckpointAlignDisks against @domdef (or def->dom
 * when @domdef is NULL): afterwards def->disks lists every domain disk in
 * domain order, by target name; disks not listed get checkpoint='no'
 * unless the document listed none (then every writable disk with media
 * gets a bitmap); bitmap names default to the checkpoint name and any
 * other bitmap name is refused.  Errors: BP_ERROR_FAILED (no domain),
 * BP_ERROR_CONFIG_UNSUPPORTED (everything else, libvirt's messages).
 * def->dom is not changed.
 */
gboolean bp_checkpoint_def_align_disks(BpCheckpointDef *def,
                                       const BpDomainDef *domdef,
                                       GError **error);

/* Gives every bitmap disk without a bitmap name the checkpoint's name and
 * refuses bitmap names that differ from it (libvirt's qemu driver:
 * "bitmap for disk '%s' must match checkpoint name '%s'"). */
gboolean bp_checkpoint_def_assign_bitmap_names(BpCheckpointDef *def,
                                               GError **error);

/*
 * libvirt's virDomainCheckpointRedefinePrep, minus the catalogue update:
 * checks the parent (own parent, missing, cycle) through @lookup, the
 * embedded domain's uuid against @domdef, then aligns the disks against
 * the embedded domain when there is one, otherwise only assigns bitmap
 * names.  Errors are BP_ERROR_INVALID_ARGUMENT, or those of alignment.
 */
gboolean bp_checkpoint_def_redefine_prep(BpCheckpointDef *def,
                                         const BpDomainDef *domdef,
                                         BpMomentLookupFunc lookup,
                                         gpointer opaque,
                                         GError **error);

/* Formats @def in libvirt's element order (name, description, parent,
 * creationTime, disks, domain).  Never fails. */
char *bp_checkpoint_def_format(const BpCheckpointDef *def, unsigned int flags);

BpCheckpointDef *bp_checkpoint_def_new(void);
BpCheckpointDiskDef *bp_checkpoint_disk_def_new(const char *name,
                                                BpCheckpointType type,
                                                const char *bitmap);
void bp_checkpoint_def_add_disk(BpCheckpointDef *def, BpCheckpointDiskDef *disk);
BpCheckpointDef *bp_checkpoint_def_copy(const BpCheckpointDef *def);
void bp_checkpoint_disk_def_free(BpCheckpointDiskDef *disk);
void bp_checkpoint_def_free(BpCheckpointDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpCheckpointDef, bp_checkpoint_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpCheckpointDiskDef, bp_checkpoint_disk_def_free)

/* The disk entry named @name (after alignment: a target), or NULL. */
BpCheckpointDiskDef *bp_checkpoint_def_find_disk(const BpCheckpointDef *def,
                                                 const char *name);

/* TRUE when @name starts with a reserved prefix. */
gboolean bp_checkpoint_name_is_reserved(const char *name);

G_END_DECLS
