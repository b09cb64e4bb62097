/*
 * bp-moment-conf.c: the parts checkpoints and snapshots share (see
 * bp-moment-conf.h).
 */
#include <config.h>

#include "util/bp-error.h"
#include "util/bp-i18n.h"
#include "util/bp-xml.h"
#include "bp-moment-conf.h"


void
bp_moment_common_clear(BpMomentCommon *common)
{
    g_clear_pointer(&common->name, g_free);
    g_clear_pointer(&common->description, g_free);
    g_clear_pointer(&common->parent, g_free);
    common->creation_time = 0;
}


static gboolean
bp_moment_check_name(BpMomentKind kind,
                     const char *name,
                     xmlNode *node,
                     GError **error)
{
    if (bp_name_is_valid(name))
        return TRUE;
    bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                     kind == BP_MOMENT_CHECKPOINT
                     ? _("invalid checkpoint name '%s': use letters, digits, '_', '-' and '.' (not first), at most 255 bytes")
                     : _("invalid snapshot name '%s': use letters, digits, '_', '-' and '.' (not first), at most 255 bytes"),
                     name);
    return FALSE;
}


gboolean
bp_moment_parse_common(BpMomentKind kind,
                       xmlXPathContext *ctxt,
                       gboolean redefine,
                       gint64 now,
                       BpMomentCommon *out,
                       GError **error)
{
    xmlNode *name_node = bp_xpath_node("./name", ctxt);

    out->name = bp_xpath_string("./name", ctxt);
    if (!out->name && redefine) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_XML_INVALID,
                            kind == BP_MOMENT_CHECKPOINT
                            ? _("a redefined checkpoint must have a name")
                            : _("a redefined snapshot must have a name"));
        return FALSE;
    }
    if (out->name && !bp_moment_check_name(kind, out->name, name_node, error))
        return FALSE;

    out->description = bp_xpath_string("./description", ctxt);

    if (redefine) {
        g_autofree char *ctime = bp_xpath_string("./creationTime", ctxt);
        xmlNode *parent_node = bp_xpath_node("./parent/name", ctxt);

        if (!ctime ||
            !g_ascii_string_to_signed(ctime, 10, G_MININT64, G_MAXINT64,
                                      &out->creation_time, NULL)) {
            g_set_error_literal(error, BP_ERROR, BP_ERROR_XML_INVALID,
                                kind == BP_MOMENT_CHECKPOINT
                                ? _("missing creationTime from existing checkpoint")
                                : _("missing creationTime from existing snapshot"));
            return FALSE;
        }
        out->parent = bp_xpath_string("./parent/name", ctxt);
        if (out->parent &&
            !bp_moment_check_name(kind, out->parent, parent_node, error))
            return FALSE;
    } else {
        /* libvirt's virDomainMomentDefPostParse */
        out->creation_time = now;
        if (!out->name)
            out->name = g_strdup_printf("%" G_GINT64_FORMAT, now);
    }
    return TRUE;
}


void
bp_moment_format_parent(BpBuf *buf, const char *parent)
{
    if (!parent)
        return;
    bp_buf_add(buf, "<parent>\n");
    bp_buf_adjust_indent(buf, 2);
    bp_buf_escape(buf, "<name>%s</name>\n", parent);
    bp_buf_adjust_indent(buf, -2);
    bp_buf_add(buf, "</parent>\n");
}


gboolean
bp_moment_check_cycles(BpMomentKind kind G_GNUC_UNUSED,
                       const char *name,
                       const char *parent,
                       BpMomentLookupFunc lookup,
                       gpointer opaque,
                       GError **error)
{
    g_autofree char *cur = NULL;
    g_autofree char *up = NULL;
    guint steps = 0;

    if (!parent)
        return TRUE;
    if (g_str_equal(name, parent)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("cannot set moment %s as its own parent"), name);
        return FALSE;
    }
    if (!lookup || !lookup(parent, &up, opaque)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("parent %s for moment %s not found"), parent, name);
        return FALSE;
    }
    cur = g_strdup(parent);
    while (up) {
        g_autofree char *next = NULL;

        if (g_str_equal(up, name)) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("parent %s would create cycle to %s"), cur, name);
            return FALSE;
        }
        /* A tree that is already broken (a missing ancestor, or a loop
         * among the existing moments) stops the walk, as in libvirt. */
        if (!lookup(up, &next, opaque) || ++steps > 100000)
            break;
        g_free(cur);
        cur = g_steal_pointer(&up);
        up = g_steal_pointer(&next);
    }
    return TRUE;
}


gboolean
bp_moment_check_uuid(BpMomentKind kind,
                     const char *name,
                     const BpDomainDef *embedded,
                     const BpDomainDef *domdef,
                     GError **error)
{
    if (!embedded || !domdef)
        return TRUE;
    if (g_strcmp0(embedded->uuid, domdef->uuid) == 0)
        return TRUE;
    g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                kind == BP_MOMENT_CHECKPOINT
                ? _("definition for checkpoint %s must use uuid %s")
                : _("definition for snapshot %s must use uuid %s"),
                name, domdef->uuid);
    return FALSE;
}
