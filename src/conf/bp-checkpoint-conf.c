/*
 * bp-checkpoint-conf.c: <domaincheckpoint> parsing, alignment against the
 * domain, redefine checks and formatting (see bp-checkpoint-conf.h).
 */
#include <config.h>

#include <string.h>

#include "util/bp-error.h"
#include "util/bp-i18n.h"
#include "util/bp-xml.h"
#include "bp-checkpoint-conf.h"

BP_ENUM_IMPL(bp_checkpoint_type, BP_CHECKPOINT_TYPE_LAST,
             "default", "no", "bitmap")

static const char *const bp_checkpoint_reserved[] = BP_CHECKPOINT_RESERVED_PREFIXES;


/* ------------------------------------------------------------------ */
/* Model                                                               */
/* ------------------------------------------------------------------ */

BpCheckpointDef *
bp_checkpoint_def_new(void)
{
    return g_new0(BpCheckpointDef, 1);
}


BpCheckpointDiskDef *
bp_checkpoint_disk_def_new(const char *name,
                           BpCheckpointType type,
                           const char *bitmap)
{
    BpCheckpointDiskDef *disk = g_new0(BpCheckpointDiskDef, 1);

    disk->name = g_strdup(name);
    disk->type = type;
    disk->bitmap = g_strdup(bitmap);
    return disk;
}


void
bp_checkpoint_def_add_disk(BpCheckpointDef *def, BpCheckpointDiskDef *disk)
{
    def->disks = g_renew(BpCheckpointDiskDef *, def->disks, def->ndisks + 1);
    def->disks[def->ndisks++] = disk;
}


void
bp_checkpoint_disk_def_free(BpCheckpointDiskDef *disk)
{
    if (!disk)
        return;
    g_free(disk->name);
    g_free(disk->bitmap);
    g_free(disk);
}


static void
bp_checkpoint_def_clear_disks(BpCheckpointDef *def)
{
    for (size_t i = 0; i < def->ndisks; i++)
        bp_checkpoint_disk_def_free(def->disks[i]);
    g_clear_pointer(&def->disks, g_free);
    def->ndisks = 0;
}


void
bp_checkpoint_def_free(BpCheckpointDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->description);
    g_free(def->parent);
    bp_checkpoint_def_clear_disks(def);
    bp_domain_def_free(def->dom);
    g_free(def);
}


BpCheckpointDef *
bp_checkpoint_def_copy(const BpCheckpointDef *def)
{
    BpCheckpointDef *ret = bp_checkpoint_def_new();

    ret->name = g_strdup(def->name);
    ret->description = g_strdup(def->description);
    ret->parent = g_strdup(def->parent);
    ret->creation_time = def->creation_time;
    for (size_t i = 0; i < def->ndisks; i++) {
        const BpCheckpointDiskDef *disk = def->disks[i];
        BpCheckpointDiskDef *copy = bp_checkpoint_disk_def_new(disk->name,
                                                               disk->type,
                                                               disk->bitmap);

        copy->size = disk->size;
        copy->size_valid = disk->size_valid;
        bp_checkpoint_def_add_disk(ret, copy);
    }
    if (def->dom)
        ret->dom = bp_domain_def_copy(def->dom);
    return ret;
}


BpCheckpointDiskDef *
bp_checkpoint_def_find_disk(const BpCheckpointDef *def, const char *name)
{
    for (size_t i = 0; i < def->ndisks; i++) {
        if (g_strcmp0(def->disks[i]->name, name) == 0)
            return def->disks[i];
    }
    return NULL;
}


gboolean
bp_checkpoint_name_is_reserved(const char *name)
{
    for (size_t i = 0; name && bp_checkpoint_reserved[i]; i++) {
        if (g_str_has_prefix(name, bp_checkpoint_reserved[i]))
            return TRUE;
    }
    return FALSE;
}


/* ------------------------------------------------------------------ */
/* Parser                                                              */
/* ------------------------------------------------------------------ */

static BpCheckpointDiskDef *
bp_checkpoint_disk_def_parse(const char *chkname,
                             xmlNode *node,
                             GError **error)
{
    g_autoptr(BpCheckpointDiskDef) disk = g_new0(BpCheckpointDiskDef, 1);
    g_autofree char *type = NULL;

    if (!xmlStrEqual(node->name, BAD_CAST "disk")) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("unexpected element <%s> in <disks> of checkpoint '%s'"),
                         (const char *) node->name, chkname);
        return NULL;
    }
    if (!(disk->name = bp_xml_prop(node, "name")) || !*disk->name) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("disk without name in checkpoint '%s'"), chkname);
        return NULL;
    }

    /* An omitted checkpoint= on a listed disk means bitmap. */
    disk->type = BP_CHECKPOINT_TYPE_BITMAP;
    if ((type = bp_xml_prop(node, "checkpoint"))) {
        int val = bp_checkpoint_type_from_string(type);

        if (val <= BP_CHECKPOINT_TYPE_DEFAULT) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("unknown checkpoint type '%s' for disk '%s' in checkpoint '%s'"),
                             type, disk->name, chkname);
            return NULL;
        }
        disk->type = val;
    }

    disk->bitmap = bp_xml_prop(node, "bitmap");
    if (disk->bitmap && (!*disk->bitmap || strpbrk(disk->bitmap, "\n\r"))) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("invalid bitmap name '%s' for disk '%s' in checkpoint '%s'"),
                         disk->bitmap, disk->name, chkname);
        return NULL;
    }
    if (disk->bitmap && disk->type == BP_CHECKPOINT_TYPE_NO) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("disk '%s' in checkpoint '%s' has checkpoint='no' and a bitmap name"),
                         disk->name, chkname);
        return NULL;
    }
    /* size= is output only: ignored, as libvirt does */

    return g_steal_pointer(&disk);
}


BpCheckpointDef *
bp_checkpoint_def_parse_string(const char *xml,
                               unsigned int flags,
                               gint64 now,
                               GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autoptr(BpCheckpointDef) def = bp_checkpoint_def_new();
    g_autofree xmlNode **nodes = NULL;
    BpMomentCommon common = { 0 };
    gboolean redefine = !!(flags & BP_CHECKPOINT_PARSE_REDEFINE);
    gboolean ok;
    int n;

    /* The semantic checks run first and the schema last (see
     * bp_backup_def_parse_string): their messages name the value. */
    doc = bp_xml_parse(xml, "domaincheckpoint", "domaincheckpoint", NULL,
                       &ctxt, error);
    if (!doc)
        return NULL;

    ok = bp_moment_parse_common(BP_MOMENT_CHECKPOINT, ctxt, redefine, now,
                                &common, error);
    def->name = g_steal_pointer(&common.name);
    def->description = g_steal_pointer(&common.description);
    def->parent = g_steal_pointer(&common.parent);
    def->creation_time = common.creation_time;
    if (!ok)
        return NULL;

    if (bp_checkpoint_name_is_reserved(def->name)) {
        bp_xml_set_error(error, BP_ERROR_CONFIG_UNSUPPORTED,
                         bp_xpath_node("./name", ctxt),
                         _("checkpoint name '%s' is reserved: names starting with 'blkpoint-' or 'backup-' are used for temporary bitmaps"),
                         def->name);
        return NULL;
    }

    if (redefine) {
        xmlNode *dom = bp_xpath_node("./domain", ctxt);

        /* the checkpoint schema already covers the embedded domain */
        if (dom && !(def->dom = bp_domain_def_parse_node(dom, 0, error)))
            return NULL;
    }

    if ((n = bp_xpath_nodes("./disks/*", ctxt, &nodes)) < 0)
        g_error("invalid XPath expression");
    for (int i = 0; i < n; i++) {
        BpCheckpointDiskDef *disk = bp_checkpoint_disk_def_parse(def->name,
                                                                 nodes[i], error);

        if (!disk)
            return NULL;
        bp_checkpoint_def_add_disk(def, disk);
    }

    if ((flags & BP_CHECKPOINT_PARSE_VALIDATE) &&
        !bp_xml_validate(doc, "domaincheckpoint", "domaincheckpoint.rng", error))
        return NULL;
    return g_steal_pointer(&def);
}


/* ------------------------------------------------------------------ */
/* Alignment and redefinition                                          */
/* ------------------------------------------------------------------ */

gboolean
bp_checkpoint_def_assign_bitmap_names(BpCheckpointDef *def, GError **error)
{
    for (size_t i = 0; i < def->ndisks; i++) {
        BpCheckpointDiskDef *disk = def->disks[i];

        if (disk->type != BP_CHECKPOINT_TYPE_BITMAP)
            continue;
        if (!disk->bitmap) {
            disk->bitmap = g_strdup(def->name);
        } else if (g_strcmp0(disk->bitmap, def->name) != 0) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("bitmap for disk '%s' must match checkpoint name '%s'"),
                        disk->name, def->name);
            return FALSE;
        }
    }
    return TRUE;
}


gboolean
bp_checkpoint_def_align_disks(BpCheckpointDef *def,
                              const BpDomainDef *domdef,
                              GError **error)
{
    g_autoptr(GHashTable) map = NULL;
    g_autofree BpCheckpointDiskDef **olddisks = NULL;
    g_autofree BpCheckpointDiskDef **newdisks = NULL;
    BpCheckpointType checkpoint_default = BP_CHECKPOINT_TYPE_NO;

    if (!domdef)
        domdef = def->dom;
    if (!domdef) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_FAILED,
                            _("missing domain in checkpoint"));
        return FALSE;
    }
    if (def->ndisks > domdef->ndisks) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                            _("too many disk checkpoint requests for domain"));
        return FALSE;
    }
    if (domdef->ndisks == 0) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                            _("domain must have at least one disk to perform checkpoints"));
        return FALSE;
    }

    /* <disks> omitted: a bitmap on every writable disk with media;
     * otherwise only the listed disks. */
    if (def->ndisks == 0)
        checkpoint_default = BP_CHECKPOINT_TYPE_BITMAP;

    /* Validate the request before touching @def; entries stay owned by
     * def->disks until the new list is complete. */
    map = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < def->ndisks; i++) {
        BpCheckpointDiskDef *chkdisk = def->disks[i];
        BpDiskDef *domdisk = bp_domain_def_find_disk_by_name_or_path(domdef,
                                                                     chkdisk->name);

        if (!domdisk) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("no disk named '%s'"), chkdisk->name);
            return FALSE;
        }
        if (g_hash_table_contains(map, domdisk->dst)) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("disk '%s' specified twice"), chkdisk->name);
            return FALSE;
        }
        g_hash_table_insert(map, domdisk->dst, chkdisk);

        if ((bp_disk_def_is_empty(domdisk) || domdisk->src->readonly) &&
            chkdisk->type != BP_CHECKPOINT_TYPE_NO) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("disk '%s' is empty or readonly"), chkdisk->name);
            return FALSE;
        }
    }

    newdisks = g_new0(BpCheckpointDiskDef *, domdef->ndisks);
    for (size_t i = 0; i < domdef->ndisks; i++) {
        BpDiskDef *domdisk = domdef->disks[i];
        BpCheckpointDiskDef *existing = g_hash_table_lookup(map, domdisk->dst);

        if (existing) {
            /* convert a path to the target name */
            if (!g_str_equal(existing->name, domdisk->dst)) {
                g_free(existing->name);
                existing->name = g_strdup(domdisk->dst);
            }
            newdisks[i] = existing;
            continue;
        }

        /* Empty and readonly drives get no bitmap. */
        newdisks[i] = bp_checkpoint_disk_def_new(
            domdisk->dst,
            bp_disk_def_is_empty(domdisk) || domdisk->src->readonly
            ? BP_CHECKPOINT_TYPE_NO : checkpoint_default,
            NULL);
    }

    /* Every old entry is now in newdisks (the map is injective): only
     * the old array goes. */
    olddisks = g_steal_pointer(&def->disks);
    def->disks = g_steal_pointer(&newdisks);
    def->ndisks = domdef->ndisks;

    return bp_checkpoint_def_assign_bitmap_names(def, error);
}


gboolean
bp_checkpoint_def_redefine_prep(BpCheckpointDef *def,
                                const BpDomainDef *domdef,
                                BpMomentLookupFunc lookup,
                                gpointer opaque,
                                GError **error)
{
    if (!bp_moment_check_cycles(BP_MOMENT_CHECKPOINT, def->name, def->parent,
                                lookup, opaque, error))
        return FALSE;

    if (def->dom) {
        if (!bp_moment_check_uuid(BP_MOMENT_CHECKPOINT, def->name,
                                  def->dom, domdef, error))
            return FALSE;
        return bp_checkpoint_def_align_disks(def, def->dom, error);
    }
    return bp_checkpoint_def_assign_bitmap_names(def, error);
}


/* ------------------------------------------------------------------ */
/* Formatter                                                           */
/* ------------------------------------------------------------------ */

char *
bp_checkpoint_def_format(const BpCheckpointDef *def, unsigned int flags)
{
    g_auto(BpBuf) buf = BP_BUF_INIT;

    bp_buf_add(&buf, "<domaincheckpoint>\n");
    bp_buf_adjust_indent(&buf, 2);

    bp_buf_escape(&buf, "<name>%s</name>\n", def->name);
    bp_buf_escape(&buf, "<description>%s</description>\n", def->description);
    bp_moment_format_parent(&buf, def->parent);
    if (def->creation_time)
        bp_buf_addf(&buf, "<creationTime>%" G_GINT64_FORMAT "</creationTime>\n",
                    def->creation_time);

    if (def->ndisks) {
        bp_buf_add(&buf, "<disks>\n");
        bp_buf_adjust_indent(&buf, 2);
        for (size_t i = 0; i < def->ndisks; i++) {
            const BpCheckpointDiskDef *disk = def->disks[i];

            if (!disk->name)
                continue;
            bp_buf_escape(&buf, "<disk name='%s'", disk->name);
            if (disk->type != BP_CHECKPOINT_TYPE_DEFAULT)
                bp_buf_addf(&buf, " checkpoint='%s'",
                            bp_checkpoint_type_to_string(disk->type));
            if (disk->bitmap) {
                bp_buf_escape(&buf, " bitmap='%s'", disk->bitmap);
                if ((flags & BP_CHECKPOINT_FORMAT_SIZE) && disk->size_valid)
                    bp_buf_addf(&buf, " size='%" G_GUINT64_FORMAT "'", disk->size);
            }
            bp_buf_add(&buf, "/>\n");
        }
        bp_buf_adjust_indent(&buf, -2);
        bp_buf_add(&buf, "</disks>\n");
    }

    /* SECURE: the domain model holds no secrets, so both forms match. */
    if (def->dom && !(flags & BP_CHECKPOINT_FORMAT_NO_DOMAIN))
        bp_domain_def_format(&buf, def->dom);

    bp_buf_adjust_indent(&buf, -2);
    bp_buf_add(&buf, "</domaincheckpoint>\n");
    return bp_buf_steal(&buf);
}
