/*
 * bp-snapshot-conf.c: <domainsnapshot> for external disk-only snapshots
 * (see bp-snapshot-conf.h).
 */
#include <config.h>

#include <string.h>
#include <sys/stat.h>

#include "util/bp-error.h"
#include "util/bp-i18n.h"
#include "util/bp-xml.h"
#include "bp-domain-conf-priv.h"
#include "bp-snapshot-conf.h"

BP_ENUM_IMPL(bp_snapshot_state, BP_SNAPSHOT_STATE_LAST,
             "nostate", "disk-snapshot", "shutoff")


/* ------------------------------------------------------------------ */
/* Model                                                               */
/* ------------------------------------------------------------------ */

BpSnapshotDef *
bp_snapshot_def_new(void)
{
    return g_new0(BpSnapshotDef, 1);
}


BpSnapshotDiskDef *
bp_snapshot_disk_def_new(const char *name,
                         BpSnapshotLocation snapshot,
                         BpStorageType type,
                         const char *path,
                         const char *format)
{
    BpSnapshotDiskDef *disk = g_new0(BpSnapshotDiskDef, 1);

    disk->name = g_strdup(name);
    disk->snapshot = snapshot;
    disk->src = bp_storage_source_new(type);
    disk->src->path = g_strdup(path);
    disk->src->format = g_strdup(format);
    return disk;
}


void
bp_snapshot_def_add_disk(BpSnapshotDef *def, BpSnapshotDiskDef *disk)
{
    def->disks = g_renew(BpSnapshotDiskDef *, def->disks, def->ndisks + 1);
    def->disks[def->ndisks++] = disk;
}


void
bp_snapshot_disk_def_free(BpSnapshotDiskDef *disk)
{
    if (!disk)
        return;
    g_free(disk->name);
    bp_storage_source_free(disk->src);
    g_free(disk);
}


void
bp_snapshot_def_free(BpSnapshotDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->description);
    g_free(def->parent);
    for (size_t i = 0; i < def->ndisks; i++)
        bp_snapshot_disk_def_free(def->disks[i]);
    g_free(def->disks);
    bp_domain_def_free(def->dom);
    if (def->extra)
        xmlFreeDoc(def->extra);
    g_free(def);
}


BpSnapshotDiskDef *
bp_snapshot_def_find_disk(const BpSnapshotDef *def, const char *name)
{
    for (size_t i = 0; i < def->ndisks; i++) {
        if (g_strcmp0(def->disks[i]->name, name) == 0)
            return def->disks[i];
    }
    return NULL;
}


/* ------------------------------------------------------------------ */
/* What blkpoint does not do                                           */
/* ------------------------------------------------------------------ */

static gboolean
bp_snapshot_location_unsupported(BpSnapshotLocation loc,
                                 const char *disk,
                                 xmlNode *node,
                                 GError **error)
{
    if (loc == BP_SNAPSHOT_LOCATION_INTERNAL) {
        bp_xml_set_error(error, BP_ERROR_CONFIG_UNSUPPORTED, node,
                         _("internal snapshot of disk '%s' is not supported: blkpoint takes external disk-only snapshots"),
                         disk);
        return TRUE;
    }
    if (loc == BP_SNAPSHOT_LOCATION_MANUAL) {
        bp_xml_set_error(error, BP_ERROR_CONFIG_UNSUPPORTED, node,
                         _("manual snapshot of disk '%s' is not supported: blkpoint takes external disk-only snapshots"),
                         disk);
        return TRUE;
    }
    return FALSE;
}


/*
 * Refuses the features blkpoint does not implement before the schema
 * would (with a less helpful message): memory state, internal and manual
 * disk snapshots, and (on redefine) full-system snapshot states.
 */
static gboolean
bp_snapshot_check_supported(xmlXPathContext *ctxt,
                            gboolean redefine,
                            GError **error)
{
    g_autofree xmlNode **disks = NULL;
    xmlNode *memory = bp_xpath_node("./memory", ctxt);
    int n;

    if (memory) {
        g_autofree char *loc = bp_xml_prop(memory, "snapshot");
        g_autofree char *file = bp_xml_prop(memory, "file");

        if (file) {
            bp_xml_set_error(error, BP_ERROR_CONFIG_UNSUPPORTED, memory,
                             _("memory state file '%s' is not supported: blkpoint takes disk-only snapshots"),
                             file);
            return FALSE;
        }
        if (loc && !g_str_equal(loc, "no")) {
            bp_xml_set_error(error, BP_ERROR_CONFIG_UNSUPPORTED, memory,
                             _("memory snapshot='%s' is not supported: blkpoint takes disk-only snapshots"),
                             loc);
            return FALSE;
        }
    }

    if (redefine) {
        g_autofree char *state = bp_xpath_string("./state", ctxt);

        if (state && bp_snapshot_state_from_string(state) <= BP_SNAPSHOT_STATE_NONE) {
            bp_xml_set_error(error, BP_ERROR_CONFIG_UNSUPPORTED,
                             bp_xpath_node("./state", ctxt),
                             _("snapshot state '%s' is not supported: blkpoint only handles disk-only snapshots"),
                             state);
            return FALSE;
        }
    }

    if ((n = bp_xpath_nodes("./disks/disk", ctxt, &disks)) < 0)
        g_error("invalid XPath expression");
    for (int i = 0; i < n; i++) {
        g_autofree char *loc = bp_xml_prop(disks[i], "snapshot");
        g_autofree char *name = bp_xml_prop(disks[i], "name");

        if (loc && bp_snapshot_location_unsupported(bp_snapshot_location_from_string(loc),
                                                    name ? name : "", disks[i],
                                                    error))
            return FALSE;
    }
    return TRUE;
}


/* ------------------------------------------------------------------ */
/* Parser                                                              */
/* ------------------------------------------------------------------ */

static BpSnapshotDiskDef *
bp_snapshot_disk_def_parse(const char *snapname,
                           xmlNode *node,
                           GError **error)
{
    g_autoptr(BpSnapshotDiskDef) disk = g_new0(BpSnapshotDiskDef, 1);
    g_autofree char *loc = NULL;
    g_autofree char *type = NULL;
    xmlNode *source = bp_domain_xml_child(node, "source");
    xmlNode *driver = bp_domain_xml_child(node, "driver");

    if (!xmlStrEqual(node->name, BAD_CAST "disk")) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("unexpected element <%s> in <disks> of snapshot '%s'"),
                         (const char *) node->name, snapname);
        return NULL;
    }
    if (!(disk->name = bp_xml_prop(node, "name")) || !*disk->name) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("missing name from disk snapshot element"));
        return NULL;
    }

    if ((loc = bp_xml_prop(node, "snapshot"))) {
        int val = bp_snapshot_location_from_string(loc);

        if (val <= BP_SNAPSHOT_LOCATION_DEFAULT) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("unknown snapshot location '%s' for disk '%s' in snapshot '%s'"),
                             loc, disk->name, snapname);
            return NULL;
        }
        if (bp_snapshot_location_unsupported(val, disk->name, node, error))
            return NULL;
        disk->snapshot = val;
    }

    type = bp_xml_prop(node, "type");
    if (!type || g_str_equal(type, "file")) {
        disk->src = bp_storage_source_new(BP_STORAGE_TYPE_FILE);
    } else if (g_str_equal(type, "block")) {
        disk->src = bp_storage_source_new(BP_STORAGE_TYPE_BLOCK);
    } else {
        bp_xml_set_error(error, BP_ERROR_CONFIG_UNSUPPORTED, node,
                         _("unsupported disk snapshot type '%s' for disk '%s' (file or block)"),
                         type, disk->name);
        return NULL;
    }

    if (source) {
        disk->src->path = bp_xml_prop(source,
                                      disk->src->type == BP_STORAGE_TYPE_BLOCK
                                      ? "dev" : "file");
        if (disk->src->path && !g_path_is_absolute(disk->src->path)) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, source,
                             _("disk snapshot image path '%s' must be absolute"),
                             disk->src->path);
            return NULL;
        }
    }
    if (driver)
        disk->src->format = bp_xml_prop(driver, "type");

    if (disk->snapshot == BP_SNAPSHOT_LOCATION_DEFAULT &&
        (disk->src->path || disk->src->format))
        disk->snapshot = BP_SNAPSHOT_LOCATION_EXTERNAL;

    return g_steal_pointer(&disk);
}


/* Keeps copies of <inactiveDomain> and <cookie> for printing back. */
static void
bp_snapshot_keep_extra(BpSnapshotDef *def, xmlXPathContext *ctxt)
{
    static const char *const names[] = { "inactiveDomain", "cookie" };

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *expr = g_strdup_printf("./%s", names[i]);
        xmlNode *node = bp_xpath_node(expr, ctxt);
        xmlNode *copy;

        if (!node)
            continue;
        if (!def->extra) {
            xmlNode *root;

            if (!(def->extra = xmlNewDoc(BAD_CAST "1.0")) ||
                !(root = xmlNewDocNode(def->extra, NULL, BAD_CAST "extra", NULL)))
                g_error("out of memory");
            xmlDocSetRootElement(def->extra, root);
        }
        if (!(copy = xmlDocCopyNode(node, def->extra, 1)))
            g_error("out of memory");
        xmlAddChild(xmlDocGetRootElement(def->extra), copy);
    }
}


static gboolean
bp_snapshot_def_parse_redefine(BpSnapshotDef *def,
                               xmlXPathContext *ctxt,
                               GError **error)
{
    g_autofree char *state = bp_xpath_string("./state", ctxt);
    xmlNode *dom = bp_xpath_node("./domain", ctxt);

    if (!state) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_XML_INVALID,
                            _("missing state from existing snapshot"));
        return FALSE;
    }
    def->state = bp_snapshot_state_from_string(state);

    /* Old libvirt snapshots carry only <domain><uuid/></domain>: no
     * definition to parse (libvirt leaves it out too). */
    if (dom && bp_domain_xml_child(dom, "name") &&
        !(def->dom = bp_domain_def_parse_node(dom, 0, error)))
        return FALSE;

    bp_snapshot_keep_extra(def, ctxt);
    return TRUE;
}


BpSnapshotDef *
bp_snapshot_def_parse_string(const char *xml,
                             unsigned int flags,
                             gint64 now,
                             GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autoptr(BpSnapshotDef) def = bp_snapshot_def_new();
    g_autofree xmlNode **nodes = NULL;
    BpMomentCommon common = { 0 };
    gboolean redefine = !!(flags & BP_SNAPSHOT_PARSE_REDEFINE);
    xmlNode *memory;
    gboolean ok;
    int n;

    if (!(doc = bp_xml_parse(xml, "domainsnapshot", "domainsnapshot", NULL,
                             &ctxt, error)))
        return NULL;
    if (!bp_snapshot_check_supported(ctxt, redefine, error))
        return NULL;
    if ((flags & BP_SNAPSHOT_PARSE_VALIDATE) &&
        !bp_xml_validate(doc, "domainsnapshot", "domainsnapshot.rng", error))
        return NULL;

    ok = bp_moment_parse_common(BP_MOMENT_SNAPSHOT, ctxt, redefine, now,
                                &common, error);
    def->name = g_steal_pointer(&common.name);
    def->description = g_steal_pointer(&common.description);
    def->parent = g_steal_pointer(&common.parent);
    def->creation_time = common.creation_time;
    if (!ok)
        return NULL;

    if (redefine && !bp_snapshot_def_parse_redefine(def, ctxt, error))
        return NULL;

    /* Only snapshot='no' (or nothing) is left after the checks above. */
    if ((memory = bp_xpath_node("./memory", ctxt)) &&
        xmlHasProp(memory, BAD_CAST "snapshot"))
        def->memory = BP_SNAPSHOT_LOCATION_NO;
    /* a redefined disk-only or offline snapshot has no memory state */
    if (redefine)
        def->memory = BP_SNAPSHOT_LOCATION_NO;

    if ((n = bp_xpath_nodes("./disks/*", ctxt, &nodes)) < 0)
        g_error("invalid XPath expression");
    for (int i = 0; i < n; i++) {
        BpSnapshotDiskDef *disk = bp_snapshot_disk_def_parse(def->name,
                                                             nodes[i], error);

        if (!disk)
            return NULL;
        bp_snapshot_def_add_disk(def, disk);
    }

    return g_steal_pointer(&def);
}


/* ------------------------------------------------------------------ */
/* Alignment                                                           */
/* ------------------------------------------------------------------ */

/* libvirt's virDomainSnapshotDefAssignExternalNames. */
static gboolean
bp_snapshot_assign_external_names(BpSnapshotDef *def,
                                  const BpDomainDef *domdef,
                                  GError **error)
{
    for (size_t i = 0; i < def->ndisks; i++) {
        BpSnapshotDiskDef *disk = def->disks[i];
        const char *origpath;
        g_autofree char *base = NULL;
        char *dot;
        struct stat sb;

        if (disk->snapshot != BP_SNAPSHOT_LOCATION_EXTERNAL || disk->src->path)
            continue;

        if (disk->src->type != BP_STORAGE_TYPE_FILE) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("cannot generate external snapshot name for disk '%s' on a '%s' device"),
                        disk->name, bp_storage_type_to_string(disk->src->type));
            return FALSE;
        }
        if (!(origpath = domdef->disks[i]->src->path)) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("cannot generate external snapshot name for disk '%s' without source"),
                        disk->name);
            return FALSE;
        }
        if (stat(origpath, &sb) < 0 || !S_ISREG(sb.st_mode)) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("source for disk '%s' is not a regular file; refusing to generate external snapshot name"),
                        disk->name);
            return FALSE;
        }

        /* drop the extension of the file name (not of a directory) */
        base = g_strdup(origpath);
        if ((dot = strrchr(base, '.')) && !strchr(dot, '/'))
            *dot = '\0';
        disk->src->path = g_strdup_printf("%s.%s", base, def->name);

        for (size_t j = 0; j < i; j++) {
            if (g_strcmp0(disk->src->path, def->disks[j]->src->path) == 0) {
                g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                            _("cannot generate external snapshot name for disk '%s': collision with disk '%s'"),
                            disk->name, def->disks[j]->name);
                return FALSE;
            }
        }
    }
    return TRUE;
}


/* The checks of libvirt's qemuSnapshotPrepare that apply to external
 * disk-only snapshots. */
static gboolean
bp_snapshot_prepare(BpSnapshotDef *def,
                    const BpDomainDef *domdef,
                    GError **error)
{
    size_t external = 0;

    for (size_t i = 0; i < def->ndisks; i++) {
        BpSnapshotDiskDef *disk = def->disks[i];

        if (bp_snapshot_location_unsupported(disk->snapshot, disk->name,
                                             NULL, error))
            return FALSE;
        if (disk->snapshot != BP_SNAPSHOT_LOCATION_EXTERNAL)
            continue;

        if (!disk->src->format) {
            disk->src->format = g_strdup("qcow2");
        } else if (!g_str_equal(disk->src->format, "qcow2")) {
            /* libvirt also takes qed; QEMU deprecated it and it cannot
             * carry dirty bitmaps */
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("external snapshot format for disk %s is unsupported: %s"),
                        disk->name, disk->src->format);
            return FALSE;
        }
        if (domdef->disks[i]->src->type == BP_STORAGE_TYPE_OTHER) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("external snapshots are not supported on disk '%s': it is neither a file nor a block device"),
                        disk->name);
            return FALSE;
        }
        external++;
    }

    if (!external) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                            _("nothing selected for snapshot"));
        return FALSE;
    }
    return TRUE;
}


gboolean
bp_snapshot_def_align_disks(BpSnapshotDef *def,
                            const BpDomainDef *domdef,
                            unsigned int flags,
                            GError **error)
{
    g_autoptr(GHashTable) map = NULL;
    g_autofree BpSnapshotDiskDef **olddisks = NULL;
    g_autofree BpSnapshotDiskDef **newdisks = NULL;

    if (!domdef)
        domdef = def->dom;
    if (!domdef) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_FAILED,
                            _("missing domain in snapshot"));
        return FALSE;
    }
    if (def->ndisks > domdef->ndisks) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                            _("too many disk snapshot requests for domain"));
        return FALSE;
    }

    map = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < def->ndisks; i++) {
        BpSnapshotDiskDef *snapdisk = def->disks[i];
        BpDiskDef *domdisk = bp_domain_def_find_disk_by_name_or_path(domdef,
                                                                     snapdisk->name);

        if (!domdisk) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("no disk named '%s'"), snapdisk->name);
            return FALSE;
        }
        if (g_hash_table_contains(map, domdisk->dst)) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("disk '%s' specified twice"), snapdisk->name);
            return FALSE;
        }
        g_hash_table_insert(map, domdisk->dst, snapdisk);

        if (snapdisk->snapshot == BP_SNAPSHOT_LOCATION_DEFAULT)
            snapdisk->snapshot = domdisk->snapshot != BP_SNAPSHOT_LOCATION_DEFAULT
                                 ? domdisk->snapshot : BP_SNAPSHOT_LOCATION_EXTERNAL;

        if (snapdisk->src->path &&
            snapdisk->snapshot != BP_SNAPSHOT_LOCATION_EXTERNAL) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("file '%s' for disk '%s' requires use of external snapshot mode"),
                        snapdisk->src->path, snapdisk->name);
            return FALSE;
        }
    }

    newdisks = g_new0(BpSnapshotDiskDef *, domdef->ndisks + 1);
    for (size_t i = 0; i < domdef->ndisks; i++) {
        BpDiskDef *domdisk = domdef->disks[i];
        BpSnapshotDiskDef *existing = g_hash_table_lookup(map, domdisk->dst);
        BpSnapshotLocation loc;

        if (existing) {
            if (!g_str_equal(existing->name, domdisk->dst)) {
                g_free(existing->name);
                existing->name = g_strdup(domdisk->dst);
            }
            newdisks[i] = existing;
            continue;
        }

        /* Don't snapshot empty drives; otherwise the domain's default. */
        if (bp_disk_def_is_empty(domdisk))
            loc = BP_SNAPSHOT_LOCATION_NO;
        else if (domdisk->snapshot != BP_SNAPSHOT_LOCATION_DEFAULT)
            loc = domdisk->snapshot;
        else
            loc = BP_SNAPSHOT_LOCATION_EXTERNAL;
        newdisks[i] = bp_snapshot_disk_def_new(domdisk->dst, loc,
                                               BP_STORAGE_TYPE_FILE, NULL, NULL);
    }

    /* the entries moved to newdisks; only the old array goes */
    olddisks = g_steal_pointer(&def->disks);
    def->disks = g_steal_pointer(&newdisks);
    def->ndisks = domdef->ndisks;

    if (!bp_snapshot_assign_external_names(def, domdef, error) ||
        !bp_snapshot_prepare(def, domdef, error))
        return FALSE;

    def->memory = BP_SNAPSHOT_LOCATION_NO;
    if (def->state == BP_SNAPSHOT_STATE_NONE)
        def->state = (flags & BP_SNAPSHOT_ALIGN_ACTIVE)
                     ? BP_SNAPSHOT_STATE_DISK_SNAPSHOT : BP_SNAPSHOT_STATE_SHUTOFF;
    return TRUE;
}


gboolean
bp_snapshot_def_redefine_prep(BpSnapshotDef *def,
                              const BpDomainDef *domdef,
                              BpMomentLookupFunc lookup,
                              gpointer opaque,
                              GError **error)
{
    if (!bp_moment_check_cycles(BP_MOMENT_SNAPSHOT, def->name, def->parent,
                                lookup, opaque, error))
        return FALSE;
    return bp_moment_check_uuid(BP_MOMENT_SNAPSHOT, def->name, def->dom,
                                domdef, error);
}


/* ------------------------------------------------------------------ */
/* Formatter                                                           */
/* ------------------------------------------------------------------ */

static void
bp_snapshot_disk_def_format(BpBuf *buf, const BpSnapshotDiskDef *disk)
{
    g_auto(BpBuf) attr = BP_BUF_INIT;
    g_auto(BpBuf) child = BP_BUF_INIT;

    if (!disk->name)
        return;
    bp_buf_init_child(&child, buf);
    bp_buf_escape(&attr, " name='%s'", disk->name);
    if (disk->snapshot != BP_SNAPSHOT_LOCATION_DEFAULT)
        bp_buf_addf(&attr, " snapshot='%s'",
                    bp_snapshot_location_to_string(disk->snapshot));
    if (disk->src->path || disk->src->format) {
        bp_buf_addf(&attr, " type='%s'", bp_storage_type_to_string(disk->src->type));
        bp_buf_escape(&child, "<driver type='%s'/>\n", disk->src->format);
        if (disk->src->type == BP_STORAGE_TYPE_BLOCK)
            bp_buf_escape(&child, "<source dev='%s'/>\n", disk->src->path);
        else
            bp_buf_escape(&child, "<source file='%s'/>\n", disk->src->path);
    }
    bp_xml_format_element(buf, "disk", &attr, &child);
}


char *
bp_snapshot_def_format(const BpSnapshotDef *def,
                       unsigned int flags G_GNUC_UNUSED)
{
    g_auto(BpBuf) buf = BP_BUF_INIT;

    bp_buf_add(&buf, "<domainsnapshot>\n");
    bp_buf_adjust_indent(&buf, 2);

    bp_buf_escape(&buf, "<name>%s</name>\n", def->name);
    bp_buf_escape(&buf, "<description>%s</description>\n", def->description);
    if (def->state != BP_SNAPSHOT_STATE_NONE)
        bp_buf_addf(&buf, "<state>%s</state>\n",
                    bp_snapshot_state_to_string(def->state));
    bp_moment_format_parent(&buf, def->parent);
    if (def->creation_time)
        bp_buf_addf(&buf, "<creationTime>%" G_GINT64_FORMAT "</creationTime>\n",
                    def->creation_time);
    if (def->memory != BP_SNAPSHOT_LOCATION_DEFAULT)
        bp_buf_addf(&buf, "<memory snapshot='%s'/>\n",
                    bp_snapshot_location_to_string(def->memory));

    if (def->ndisks) {
        bp_buf_add(&buf, "<disks>\n");
        bp_buf_adjust_indent(&buf, 2);
        for (size_t i = 0; i < def->ndisks; i++)
            bp_snapshot_disk_def_format(&buf, def->disks[i]);
        bp_buf_adjust_indent(&buf, -2);
        bp_buf_add(&buf, "</disks>\n");
    }

    /* SECURE: the domain model holds no secrets, so both forms match. */
    if (def->dom)
        bp_domain_def_format(&buf, def->dom);

    if (def->extra) {
        for (xmlNode *c = xmlFirstElementChild(xmlDocGetRootElement(def->extra));
             c; c = xmlNextElementSibling(c)) {
            g_autofree char *dump = bp_xml_node_dump(c, buf.indent);
            BpBuf raw = BP_BUF_INIT;

            bp_buf_add(&raw, dump);
            bp_buf_add_buf(&buf, &raw);
            bp_buf_clear(&raw);
        }
    }

    bp_buf_adjust_indent(&buf, -2);
    bp_buf_add(&buf, "</domainsnapshot>\n");
    return bp_buf_steal(&buf);
}
