/*
 * bp-domain-conf.c: the <domain> model (see bp-domain-conf.h) — enum
 * tables, constructors, copies, lookups, the name rules and the parser.
 * Formatting (writing the model back into the kept document) lives in
 * bp-domain-format.c.
 */
#include <config.h>

#include <string.h>

#include "util/bp-error.h"
#include "util/bp-i18n.h"
#include "util/bp-xml.h"
#include "bp-domain-conf.h"
#include "bp-domain-conf-priv.h"

BP_ENUM_IMPL(bp_storage_type, BP_STORAGE_TYPE_LAST,
             "file", "block", "other")

BP_ENUM_IMPL(bp_disk_export, BP_DISK_EXPORT_LAST,
             "nbd", "vhost-user-blk", "none")

BP_ENUM_IMPL(bp_runtime, BP_RUNTIME_LAST,
             "storage", "attach", "offline")

BP_ENUM_IMPL(bp_snapshot_location, BP_SNAPSHOT_LOCATION_LAST,
             "default", "no", "internal", "external", "manual")

/* libvirt's <disk device='...'> values. */
static const char *const bp_disk_devices[] = {
    "disk", "cdrom", "floppy", "lun", NULL
};

/* A backing chain deeper than this is refused (libxml2 itself stops
 * nesting at 256 levels; QEMU chains of that length are pathological). */
#define BP_MAX_CHAIN_DEPTH 200


/* ------------------------------------------------------------------ */
/* Constructors, copies, frees                                         */
/* ------------------------------------------------------------------ */

BpStorageSource *
bp_storage_source_new(BpStorageType type)
{
    BpStorageSource *src = g_new0(BpStorageSource, 1);

    src->type = type;
    return src;
}


/* Frees @src and every layer below it. */
void
bp_storage_source_free(BpStorageSource *src)
{
    while (src) {
        BpStorageSource *next = src->backing;

        g_free(src->path);
        g_free(src->format);
        g_free(src->node_name);
        g_free(src);
        src = next;
    }
}


BpStorageSource *
bp_storage_source_copy(const BpStorageSource *src)
{
    BpStorageSource *ret = NULL;
    BpStorageSource **tail = &ret;

    for (; src; src = src->backing) {
        BpStorageSource *layer = g_new0(BpStorageSource, 1);

        layer->type = src->type;
        layer->path = g_strdup(src->path);
        layer->format = g_strdup(src->format);
        layer->node_name = g_strdup(src->node_name);
        layer->readonly = src->readonly;
        layer->backing_known = src->backing_known;
        *tail = layer;
        tail = &layer->backing;
    }
    return ret;
}


void
bp_disk_def_free(BpDiskDef *disk)
{
    if (!disk)
        return;
    g_free(disk->dst);
    g_free(disk->device);
    bp_storage_source_free(disk->src);
    g_free(disk);
}


/*
 * A disk named @dst (device 'disk') whose top layer has @type, @path
 * (NULL = no media) and @format (NULL = unknown); no backing chain is
 * known; export NBD, snapshot location default.  Never returns NULL.
 */
BpDiskDef *
bp_disk_def_new(const char *dst, BpStorageType type,
                const char *path, const char *format)
{
    BpDiskDef *disk = g_new0(BpDiskDef, 1);

    disk->dst = g_strdup(dst);
    disk->device = g_strdup("disk");
    disk->src = bp_storage_source_new(type);
    disk->src->path = g_strdup(path);
    disk->src->format = g_strdup(format);
    disk->export_type = BP_DISK_EXPORT_NBD;
    disk->snapshot = BP_SNAPSHOT_LOCATION_DEFAULT;
    return disk;
}


BpDiskDef *
bp_disk_def_copy(const BpDiskDef *disk)
{
    BpDiskDef *ret = g_new0(BpDiskDef, 1);

    ret->dst = g_strdup(disk->dst);
    ret->device = g_strdup(disk->device);
    ret->src = bp_storage_source_copy(disk->src);
    ret->export_type = disk->export_type;
    ret->snapshot = disk->snapshot;
    return ret;
}


/* A definition named @name with a fresh random UUID, the storage
 * runtime, no disks and no document. */
BpDomainDef *
bp_domain_def_new(const char *name)
{
    BpDomainDef *def = g_new0(BpDomainDef, 1);

    def->name = g_strdup(name);
    def->uuid = g_uuid_string_random();
    def->runtime = BP_RUNTIME_STORAGE;
    def->export_default = BP_DISK_EXPORT_NBD;
    return def;
}


void
bp_domain_def_add_disk(BpDomainDef *def, BpDiskDef *disk)
{
    def->disks = g_renew(BpDiskDef *, def->disks, def->ndisks + 1);
    def->disks[def->ndisks++] = disk;
}


void
bp_domain_def_free(BpDomainDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->uuid);
    g_free(def->description);
    g_free(def->monitor_path);
    for (size_t i = 0; i < def->ndisks; i++)
        bp_disk_def_free(def->disks[i]);
    g_free(def->disks);
    if (def->doc)
        xmlFreeDoc(def->doc);
    g_free(def);
}


BpDomainDef *
bp_domain_def_copy(const BpDomainDef *def)
{
    BpDomainDef *ret = g_new0(BpDomainDef, 1);

    ret->name = g_strdup(def->name);
    ret->uuid = g_strdup(def->uuid);
    ret->description = g_strdup(def->description);
    ret->runtime = def->runtime;
    ret->monitor_path = g_strdup(def->monitor_path);
    ret->export_default = def->export_default;
    for (size_t i = 0; i < def->ndisks; i++)
        bp_domain_def_add_disk(ret, bp_disk_def_copy(def->disks[i]));
    if (def->doc && !(ret->doc = xmlCopyDoc(def->doc, 1)))
        g_error("out of memory");
    return ret;
}


/* ------------------------------------------------------------------ */
/* Lookups and rules                                                   */
/* ------------------------------------------------------------------ */

BpDiskDef *
bp_domain_def_find_disk(const BpDomainDef *def, const char *dst)
{
    if (!dst)
        return NULL;
    for (size_t i = 0; i < def->ndisks; i++) {
        if (g_str_equal(def->disks[i]->dst, dst))
            return def->disks[i];
    }
    return NULL;
}


/*
 * libvirt's virDomainDiskByName(def, name, allow_ambiguous=false): a name
 * without a leading '/' is a target; otherwise it is matched against the
 * top layer's source path and must match exactly one disk.
 */
BpDiskDef *
bp_domain_def_find_disk_by_name_or_path(const BpDomainDef *def,
                                        const char *name)
{
    BpDiskDef *candidate = NULL;

    if (!name)
        return NULL;
    if (name[0] != '/')
        return bp_domain_def_find_disk(def, name);

    for (size_t i = 0; i < def->ndisks; i++) {
        if (g_strcmp0(def->disks[i]->src->path, name) != 0)
            continue;
        if (candidate)
            return NULL;
        candidate = def->disks[i];
    }
    return candidate;
}


/* Like libvirt's virStorageSourceIsEmpty: a local (file or block) disk
 * without a path.  Disks of other types are never considered empty. */
gboolean
bp_disk_def_is_empty(const BpDiskDef *disk)
{
    return disk->src->type != BP_STORAGE_TYPE_OTHER && !disk->src->path;
}


gboolean
bp_name_is_valid(const char *name)
{
    size_t len;

    if (!name || !*name)
        return FALSE;
    len = strlen(name);
    if (len > 255)
        return FALSE;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];

        if (g_ascii_isalnum(c) || c == '_' || c == '-')
            continue;
        if (c == '.' && i > 0)
            continue;
        return FALSE;
    }
    return TRUE;
}


gboolean
bp_domain_name_is_valid(const char *name)
{
    if (!name || !*name || name[0] == '.')
        return FALSE;
    if (strlen(name) > 255)
        return FALSE;
    return strpbrk(name, "/\n\r") == NULL;
}


char *
bp_uuid_canonicalize(const char *str)
{
    guint8 bytes[16];
    const char *p = str;
    size_t i = 0;

    if (!str)
        return NULL;
    while (g_ascii_isspace(*p))
        p++;
    while (i < G_N_ELEMENTS(bytes)) {
        if (*p == '-' || *p == ' ') {
            p++;
            continue;
        }
        if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1]))
            return NULL;
        bytes[i++] = (guint8) (g_ascii_xdigit_value(p[0]) * 16 +
                               g_ascii_xdigit_value(p[1]));
        p += 2;
    }
    while (*p) {
        if (!g_ascii_isspace(*p))
            return NULL;
        p++;
    }
    return g_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                           "%02x%02x%02x%02x%02x%02x",
                           bytes[0], bytes[1], bytes[2], bytes[3],
                           bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11],
                           bytes[12], bytes[13], bytes[14], bytes[15]);
}


/* ------------------------------------------------------------------ */
/* Tree helpers shared with bp-domain-format.c                         */
/* ------------------------------------------------------------------ */

xmlNode *
bp_domain_xml_child(xmlNode *parent, const char *name)
{
    for (xmlNode *c = parent ? xmlFirstElementChild(parent) : NULL; c;
         c = xmlNextElementSibling(c)) {
        if (xmlStrEqual(c->name, BAD_CAST name))
            return c;
    }
    return NULL;
}


/* The type= of a <disk> or <backingStore> as libvirt reads it: absent
 * means file. */
BpStorageType
bp_domain_xml_storage_type(xmlNode *node)
{
    g_autofree char *type = bp_xml_prop(node, "type");

    if (!type || g_str_equal(type, "file"))
        return BP_STORAGE_TYPE_FILE;
    if (g_str_equal(type, "block"))
        return BP_STORAGE_TYPE_BLOCK;
    return BP_STORAGE_TYPE_OTHER;
}


/* An end-of-chain marker: a <backingStore> with neither a type= nor any
 * child element (libvirt: "terminator does not have a type"). */
gboolean
bp_domain_xml_is_chain_end(xmlNode *node)
{
    return !xmlHasProp(node, BAD_CAST "type") && !xmlFirstElementChild(node);
}


/* ------------------------------------------------------------------ */
/* Parser                                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *domname;
    BpRuntimeType runtime;
} BpDomainParseCtx;


/* Parses the layer described by @node (a <disk> when @top, otherwise a
 * <backingStore> that is not an end marker) and everything below it. */
static BpStorageSource *
bp_storage_source_parse(const BpDomainParseCtx *pc,
                        const char *dst,
                        xmlNode *node,
                        gboolean top,
                        int depth,
                        GError **error)
{
    g_autoptr(BpStorageSource) src = NULL;
    xmlNode *fmt = bp_domain_xml_child(node, top ? "driver" : "format");
    xmlNode *source = bp_domain_xml_child(node, "source");
    xmlNode *backing = bp_domain_xml_child(node, "backingStore");

    if (depth > BP_MAX_CHAIN_DEPTH) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("backing chain of disk '%s' in domain '%s' is deeper than %d layers"),
                         dst, pc->domname, BP_MAX_CHAIN_DEPTH);
        return NULL;
    }

    src = bp_storage_source_new(bp_domain_xml_storage_type(node));
    if (fmt)
        src->format = bp_xml_prop(fmt, "type");
    if (!top && fmt && !src->format) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, fmt,
                         _("<format> without type= in the backing chain of disk '%s' in domain '%s'"),
                         dst, pc->domname);
        return NULL;
    }

    if (source && src->type != BP_STORAGE_TYPE_OTHER) {
        const char *attr = src->type == BP_STORAGE_TYPE_BLOCK ? "dev" : "file";

        src->path = bp_xml_prop(source, attr);
        if (src->path && !*src->path)
            g_clear_pointer(&src->path, g_free);
        if (src->path && !g_path_is_absolute(src->path)) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, source,
                             _("source path '%s' of disk '%s' in domain '%s' must be absolute"),
                             src->path, dst, pc->domname);
            return NULL;
        }
    }

    if (!top && src->type != BP_STORAGE_TYPE_OTHER && !src->path) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("backing image of disk '%s' in domain '%s' has no source"),
                         dst, pc->domname);
        return NULL;
    }

    if (backing) {
        src->backing_known = TRUE;
        if (!bp_domain_xml_is_chain_end(backing) &&
            !(src->backing = bp_storage_source_parse(pc, dst, backing, FALSE,
                                                     depth + 1, error)))
            return NULL;
    }

    return g_steal_pointer(&src);
}


static gboolean
bp_disk_device_is_known(const char *device)
{
    for (size_t i = 0; bp_disk_devices[i]; i++) {
        if (g_str_equal(bp_disk_devices[i], device))
            return TRUE;
    }
    return FALSE;
}


static BpDiskExport
bp_disk_export_parse(const BpDomainParseCtx *pc,
                     const char *what,
                     xmlNode *node,
                     GError **error)
{
    g_autofree char *type = bp_xml_prop(node, "type");
    int val = bp_disk_export_from_string(type);

    if (val < 0 || val == BP_DISK_EXPORT_NONE) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("unknown export type '%s' for %s in domain '%s'"),
                         type ? type : "", what, pc->domname);
        return BP_DISK_EXPORT_LAST;
    }
    return val;
}


static BpDiskDef *
bp_disk_def_parse(const BpDomainParseCtx *pc,
                  const BpDomainDef *def,
                  xmlNode *node,
                  GError **error)
{
    g_autoptr(BpDiskDef) disk = g_new0(BpDiskDef, 1);
    xmlNode *target = bp_domain_xml_child(node, "target");
    xmlNode *export = bp_domain_xml_child(node, "export");
    xmlNode *nodename = bp_domain_xml_child(node, "node");
    g_autofree char *snapshot = NULL;

    if (!target || !(disk->dst = bp_xml_prop(target, "dev")) || !*disk->dst) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, target ? target : node,
                         _("disk in domain '%s' has no <target dev='...'/>"),
                         pc->domname);
        return NULL;
    }
    if (bp_domain_def_find_disk(def, disk->dst)) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, target,
                         _("disk '%s' specified twice in domain '%s'"),
                         disk->dst, pc->domname);
        return NULL;
    }

    if (!(disk->device = bp_xml_prop(node, "device")))
        disk->device = g_strdup("disk");
    if (!bp_disk_device_is_known(disk->device)) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("unknown device type '%s' for disk '%s' in domain '%s'"),
                         disk->device, disk->dst, pc->domname);
        return NULL;
    }

    if (!(disk->src = bp_storage_source_parse(pc, disk->dst, node, TRUE, 0, error)))
        return NULL;
    disk->src->readonly = bp_domain_xml_child(node, "readonly") != NULL;

    /* libvirt: only removable media may be empty. */
    if (bp_disk_def_is_empty(disk) &&
        !g_str_equal(disk->device, "cdrom") &&
        !g_str_equal(disk->device, "floppy")) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("disk '%s' in domain '%s' has no source (only cdrom and floppy devices may be empty)"),
                         disk->dst, pc->domname);
        return NULL;
    }

    if ((snapshot = bp_xml_prop(node, "snapshot"))) {
        int loc = bp_snapshot_location_from_string(snapshot);

        if (loc <= BP_SNAPSHOT_LOCATION_DEFAULT) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("unknown snapshot location '%s' for disk '%s' in domain '%s'"),
                             snapshot, disk->dst, pc->domname);
            return NULL;
        }
        disk->snapshot = loc;
    } else if (disk->src->readonly) {
        /* libvirt's post-parse default: readonly disks are not snapshotted */
        disk->snapshot = BP_SNAPSHOT_LOCATION_NO;
    }

    if (pc->runtime == BP_RUNTIME_STORAGE) {
        disk->export_type = def->export_default;
        if (export) {
            g_autofree char *what = g_strdup_printf(_("disk '%s'"), disk->dst);

            disk->export_type = bp_disk_export_parse(pc, what, export, error);
            if (disk->export_type == BP_DISK_EXPORT_LAST)
                return NULL;
        }
    } else {
        disk->export_type = BP_DISK_EXPORT_NONE;
        if (export) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, export,
                             _("<export> of disk '%s' in domain '%s' needs the storage runtime"),
                             disk->dst, pc->domname);
            return NULL;
        }
    }

    if (nodename) {
        if (pc->runtime != BP_RUNTIME_ATTACH) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, nodename,
                             _("<node> of disk '%s' in domain '%s' needs the attach runtime"),
                             disk->dst, pc->domname);
            return NULL;
        }
        disk->src->node_name = bp_xml_prop(nodename, "name");
        if (!disk->src->node_name || !*disk->src->node_name) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, nodename,
                             _("<node> of disk '%s' in domain '%s' has no name"),
                             disk->dst, pc->domname);
            return NULL;
        }
    }

    return g_steal_pointer(&disk);
}


static gboolean
bp_domain_def_parse_runtime(BpDomainDef *def,
                            xmlXPathContext *ctxt,
                            GError **error)
{
    g_autofree xmlNode **nodes = NULL;
    g_autofree char *type = NULL;
    xmlNode *node;
    xmlNode *child;
    int n = bp_xpath_nodes("./runtime", ctxt, &nodes);
    int val;

    def->runtime = BP_RUNTIME_STORAGE;
    def->export_default = BP_DISK_EXPORT_NBD;
    if (n <= 0)
        return TRUE;
    node = nodes[0];
    if (n > 1) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, nodes[1],
                         _("domain '%s' has more than one <runtime>"), def->name);
        return FALSE;
    }

    type = bp_xml_prop(node, "type");
    if ((val = bp_runtime_from_string(type)) < 0) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("unknown runtime type '%s' in domain '%s' (expected storage, attach or offline)"),
                         type ? type : "", def->name);
        return FALSE;
    }
    def->runtime = val;

    for (child = xmlFirstElementChild(node); child; child = xmlNextElementSibling(child)) {
        gboolean ok = FALSE;

        if (def->runtime == BP_RUNTIME_ATTACH &&
            xmlStrEqual(child->name, BAD_CAST "monitor") && !def->monitor_path)
            ok = TRUE;
        if (def->runtime == BP_RUNTIME_STORAGE &&
            xmlStrEqual(child->name, BAD_CAST "export"))
            ok = TRUE;
        if (!ok) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, child,
                             _("unexpected <%s> in the %s runtime of domain '%s'"),
                             (const char *) child->name, type, def->name);
            return FALSE;
        }
        if (def->runtime == BP_RUNTIME_STORAGE) {
            BpDomainParseCtx pc = { def->name, def->runtime };

            def->export_default = bp_disk_export_parse(&pc, _("the runtime"),
                                                       child, error);
            if (def->export_default == BP_DISK_EXPORT_LAST)
                return FALSE;
            continue;
        }
        def->monitor_path = bp_xml_prop(child, "path");
        if (!def->monitor_path || !g_path_is_absolute(def->monitor_path)) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, child,
                             _("monitor path '%s' of domain '%s' must be absolute"),
                             def->monitor_path ? def->monitor_path : "",
                             def->name);
            return FALSE;
        }
    }

    if (def->runtime == BP_RUNTIME_ATTACH && !def->monitor_path) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("attach runtime of domain '%s' needs <monitor path='...'/>"),
                         def->name);
        return FALSE;
    }
    return TRUE;
}


/* Refuses a second <name>, <uuid>, <description>, <devices> or <runtime>
 * directly under <domain> (the schema does too, but documents parsed
 * without it must not be read one way and written back another: a second
 * <devices> would have its disks printed twice).  Found by fuzzing. */
static gboolean
bp_domain_check_singletons(xmlNode *root, GError **error)
{
    static const char *const singletons[] = {
        "name", "uuid", "description", "devices", "runtime", NULL
    };

    for (size_t i = 0; singletons[i]; i++) {
        xmlNode *first = NULL;

        for (xmlNode *c = xmlFirstElementChild(root); c; c = xmlNextElementSibling(c)) {
            if (c->ns || !xmlStrEqual(c->name, BAD_CAST singletons[i]))
                continue;
            if (first) {
                bp_xml_set_error(error, BP_ERROR_XML_INVALID, c,
                                 _("domain definition has more than one <%s> element"),
                                 singletons[i]);
                return FALSE;
            }
            first = c;
        }
    }
    return TRUE;
}


/* Parses the root element of @doc, which the result takes over. */
static BpDomainDef *
bp_domain_def_parse_doc(xmlDoc *doc, GError **error)
{
    g_autoptr(BpDomainDef) def = g_new0(BpDomainDef, 1);
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autofree xmlNode **disks = NULL;
    g_autofree char *uuid = NULL;
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *node;
    int n;

    def->doc = doc;
    if (!(ctxt = xmlXPathNewContext(doc)))
        g_error("out of memory");
    ctxt->node = root;

    if (!bp_domain_check_singletons(root, error))
        return NULL;

    node = bp_domain_xml_child(root, "name");
    if (!(def->name = bp_xpath_string("./name", ctxt))) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node ? node : root,
                         _("domain definition has no <name>"));
        return NULL;
    }
    if (!bp_domain_name_is_valid(def->name)) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("invalid domain name '%s': it must not be empty, start with '.', or contain '/' or a newline"),
                         def->name);
        return NULL;
    }

    if ((uuid = bp_xpath_string("./uuid", ctxt))) {
        if (!(def->uuid = bp_uuid_canonicalize(uuid))) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID,
                             bp_domain_xml_child(root, "uuid"),
                             _("malformed uuid '%s' in domain '%s'"),
                             uuid, def->name);
            return NULL;
        }
    } else {
        def->uuid = g_uuid_string_random();
    }

    def->description = bp_xpath_string("./description", ctxt);

    if (!bp_domain_def_parse_runtime(def, ctxt, error))
        return NULL;

    if ((n = bp_xpath_nodes("./devices/disk", ctxt, &disks)) < 0)
        g_error("invalid XPath expression");
    for (int i = 0; i < n; i++) {
        BpDomainParseCtx pc = { def->name, def->runtime };
        BpDiskDef *disk = bp_disk_def_parse(&pc, def, disks[i], error);

        if (!disk)
            return NULL;
        bp_domain_def_add_disk(def, disk);
    }

    return g_steal_pointer(&def);
}


BpDomainDef *
bp_domain_def_parse_string(const char *xml,
                           unsigned int flags,
                           GError **error)
{
    xmlDoc *doc;
    BpDomainDef *def;

    doc = bp_xml_parse(xml, "domain", "domain",
                       (flags & BP_DOMAIN_PARSE_VALIDATE) ? "domain.rng" : NULL,
                       NULL, error);
    if (!doc)
        return NULL;
    if (!(def = bp_domain_def_parse_doc(doc, error)))
        return NULL;   /* the half-built definition freed @doc */
    return def;
}


BpDomainDef *
bp_domain_def_parse_node(xmlNode *node,
                         unsigned int flags,
                         GError **error)
{
    xmlDoc *doc;
    xmlNode *copy;

    if (!node || node->type != XML_ELEMENT_NODE ||
        !xmlStrEqual(node->name, BAD_CAST "domain")) {
        g_set_error(error, BP_ERROR, BP_ERROR_XML_INVALID,
                    _("expecting a <domain> element, found <%s>"),
                    node && node->name ? (const char *) node->name : "");
        return NULL;
    }

    /* The copy keeps the line numbers of the original document, so that
     * messages point into what the user wrote. */
    if (!(doc = xmlNewDoc(BAD_CAST "1.0")) ||
        !(copy = xmlDocCopyNode(node, doc, 1)))
        g_error("out of memory");
    xmlDocSetRootElement(doc, copy);

    if ((flags & BP_DOMAIN_PARSE_VALIDATE) &&
        !bp_xml_validate(doc, "domain", "domain.rng", error)) {
        xmlFreeDoc(doc);
        return NULL;
    }
    return bp_domain_def_parse_doc(doc, error);
}
