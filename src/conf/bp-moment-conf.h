/*
 * bp-moment-conf.h: what <domaincheckpoint> and <domainsnapshot> have in
 * common (libvirt's "moments"): name, description, creation time, parent,
 * the embedded <domain>, and the checks a redefined moment goes through
 * against the existing tree.
 */
#pragma once

#include <glib.h>
#include <libxml/xpath.h>

#include "util/bp-buf.h"
#include "bp-domain-conf.h"

G_BEGIN_DECLS

typedef enum {
    BP_MOMENT_CHECKPOINT,
    BP_MOMENT_SNAPSHOT,
} BpMomentKind;

/* The header fields, as parsed by bp_moment_parse_common(). */
typedef struct {
    char *name;
    char *description;
    char *parent;
    gint64 creation_time;
} BpMomentCommon;

/*
 * Answers "does moment @name exist, and what is its parent?" for the
 * redefine checks: returns TRUE when @name exists, with *@parent set to a
 * newly allocated parent name (NULL for a root).  The catalogue provides
 * it; tests pass a table.
 */
typedef gboolean (*BpMomentLookupFunc)(const char *name,
                                       char **parent,
                                       gpointer opaque);

/*
 * Reads <name>, <description>, and — when @redefine — <creationTime>
 * (required) and <parent><name> from ctxt->node.  On creation the
 * document's creationTime and parent are ignored, creation_time is @now
 * (seconds since the epoch; the caller's clock, so tests can fix it) and
 * the name defaults to it in decimal.  Names must follow
 * bp_name_is_valid().  On failure returns FALSE, sets @error and leaves
 * @out partially filled (the caller frees it).
 */
gboolean bp_moment_parse_common(BpMomentKind kind,
                                xmlXPathContext *ctxt,
                                gboolean redefine,
                                gint64 now,
                                BpMomentCommon *out,
                                GError **error);

/* Prints <parent><name>@parent</name></parent> when @parent is set. */
void bp_moment_format_parent(BpBuf *buf, const char *parent);

/*
 * libvirt's virDomainMomentCheckCycles: @parent must not be @name, must
 * exist, and following parents from it must never reach @name.  A chain
 * that breaks off (a missing grand-parent) is accepted, as in libvirt.
 * Errors are BP_ERROR_INVALID_ARGUMENT.
 */
gboolean bp_moment_check_cycles(BpMomentKind kind,
                                const char *name,
                                const char *parent,
                                BpMomentLookupFunc lookup,
                                gpointer opaque,
                                GError **error);

/*
 * libvirt's uuid check of a redefined moment: the embedded domain (when
 * there is one) must be the domain @domdef.  BP_ERROR_INVALID_ARGUMENT.
 */
gboolean bp_moment_check_uuid(BpMomentKind kind,
                              const char *name,
                              const BpDomainDef *embedded,
                              const BpDomainDef *domdef,
                              GError **error);

void bp_moment_common_clear(BpMomentCommon *common);

G_END_DECLS
