/*
 * bp-storage-security-conf.h: the security parts of an image description
 * that libvirt allows inside a disk <source> and inside a backup
 * <target>/<scratch>: per-image <seclabel> overrides and the LUKS
 * <encryption> of an image the daemon creates.
 *
 * Both are parsed into structs and printed back in libvirt's canonical
 * form (attribute order, relabel='yes' made explicit, UUIDs in lower-case
 * 8-4-4-4-12 form), not echoed verbatim.
 */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "util/bp-buf.h"
#include "util/bp-enum.h"

G_BEGIN_DECLS

/* <seclabel [model='M'] [relabel='yes|no'] [labelskip='yes|no']>
 *   [<label>L</label>]
 * </seclabel> */
typedef struct {
    char *model;            /* NULL: applies to the domain's only model */
    gboolean relabel;       /* default TRUE */
    gboolean labelskip;     /* status: the label was deliberately skipped */
    char *label;            /* NULL when none; never set with relabel='no' */
} BpSeclabel;

void bp_seclabel_free(BpSeclabel *seclabel);

/*
 * Parses every <seclabel> child of ctxt->node into a new array (*list,
 * *nlist; both left empty when there is none).  Errors are
 * BP_ERROR_XML_INVALID with the line of the offending <seclabel>; on error
 * nothing is returned.
 */
gboolean bp_seclabels_parse(xmlXPathContext *ctxt,
                            BpSeclabel ***list,
                            size_t *nlist,
                            GError **error);
void bp_seclabels_format(BpBuf *buf, BpSeclabel *const *list, size_t nlist);
void bp_seclabels_free(BpSeclabel **list, size_t nlist);


typedef enum {
    BP_ENCRYPTION_FORMAT_DEFAULT,
    BP_ENCRYPTION_FORMAT_QCOW,
    BP_ENCRYPTION_FORMAT_LUKS,
    BP_ENCRYPTION_FORMAT_LUKS2,

    BP_ENCRYPTION_FORMAT_LAST
} BpEncryptionFormat;
BP_ENUM_DECL(bp_encryption_format);

typedef enum {
    BP_ENCRYPTION_ENGINE_DEFAULT,
    BP_ENCRYPTION_ENGINE_QEMU,
    BP_ENCRYPTION_ENGINE_LIBRBD,

    BP_ENCRYPTION_ENGINE_LAST
} BpEncryptionEngine;
BP_ENUM_DECL(bp_encryption_engine);

/* <secret type='passphrase' uuid='U'/> or usage='NAME' (exactly one). */
typedef struct {
    char *uuid;             /* canonical lower-case form, or NULL */
    char *usage;            /* or NULL */
} BpEncryptionSecret;

typedef struct {
    BpEncryptionFormat format;
    BpEncryptionEngine engine;
    BpEncryptionSecret *secrets;
    size_t nsecrets;
    /* LUKS only: <cipher name size [mode] [hash]/> <ivgen name [hash]/> */
    char *cipher_name;      /* NULL = no <cipher> */
    unsigned int cipher_size;
    char *cipher_mode;
    char *cipher_hash;
    char *ivgen_name;       /* NULL = no <ivgen> */
    char *ivgen_hash;
} BpEncryption;

/*
 * Parses the <encryption> element @node.  Returns a new definition, or
 * NULL with BP_ERROR_XML_INVALID (missing or malformed values) or
 * BP_ERROR_CONFIG_UNSUPPORTED (an unknown format, engine or secret type),
 * each message naming the value and the line.
 */
BpEncryption *bp_encryption_parse(xmlNode *node,
                                  xmlXPathContext *ctxt,
                                  GError **error);
void bp_encryption_format(BpBuf *buf, const BpEncryption *enc);
void bp_encryption_free(BpEncryption *enc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpEncryption, bp_encryption_free)


G_END_DECLS
