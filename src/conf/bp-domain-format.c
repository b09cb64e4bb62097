/*
 * bp-domain-format.c: printing a <domain> definition.
 *
 * A definition keeps the document it was parsed from.  Formatting works
 * on a copy of that tree: every modelled field (name, uuid, description,
 * runtime, disks with their chains) is compared with what the tree says
 * and written into it only where it differs, new elements going where
 * libvirt would print them.  The tree is then dumped in libvirt's layout.
 * So a definition that was not changed prints back exactly as libvirt
 * printed it, unknown parts included, and a changed one keeps everything
 * it did not change.  A definition built in memory starts from an empty
 * <domain/>.
 */
#include <config.h>

#include <string.h>

#include "util/bp-xml.h"
#include "bp-domain-conf.h"
#include "bp-domain-conf-priv.h"

/* Elements that libvirt prints before the one being inserted. */
static const char *const bp_after_name[] = { "name", NULL };
static const char *const bp_before_description[] = {
    "name", "uuid", "genid", "title", NULL
};
static const char *const bp_before_runtime[] = {
    "name", "uuid", "genid", "title", "description", "metadata", NULL
};
static const char *const bp_none[] = { NULL };
static const char *const bp_after_driver[] = { "driver", NULL };
static const char *const bp_after_format[] = { "format", NULL };
static const char *const bp_before_disk_backing[] = { "driver", "source", NULL };
static const char *const bp_before_layer_backing[] = { "format", "source", NULL };
static const char *const bp_before_target[] = {
    "driver", "source", "backingStore", "backenddomain", "geometry",
    "blockio", NULL
};
static const char *const bp_before_readonly[] = {
    "driver", "source", "backingStore", "backenddomain", "geometry",
    "blockio", "target", "iotune", NULL
};


static gboolean
bp_name_in(const xmlChar *name, const char *const *list)
{
    for (size_t i = 0; list[i]; i++) {
        if (xmlStrEqual(name, BAD_CAST list[i]))
            return TRUE;
    }
    return FALSE;
}


/* Creates <@name/> in @parent after the last child named in @preceding,
 * or before the first element child when there is none. */
static xmlNode *
bp_xml_insert(xmlNode *parent, const char *name, const char *const *preceding)
{
    xmlNode *node = xmlNewDocNode(parent->doc, NULL, BAD_CAST name, NULL);
    xmlNode *after = NULL;
    xmlNode *first = xmlFirstElementChild(parent);

    if (!node)
        g_error("out of memory");
    for (xmlNode *c = first; c; c = xmlNextElementSibling(c)) {
        if (bp_name_in(c->name, preceding))
            after = c;
    }
    if (after)
        xmlAddNextSibling(after, node);
    else if (first)
        xmlAddPrevSibling(first, node);
    else
        xmlAddChild(parent, node);
    return node;
}


/* Appends <@name/> as the last child of @parent. */
static xmlNode *
bp_xml_append(xmlNode *parent, const char *name)
{
    xmlNode *node = xmlNewDocNode(parent->doc, NULL, BAD_CAST name, NULL);

    if (!node)
        g_error("out of memory");
    xmlAddChild(parent, node);
    return node;
}


static xmlNode *
bp_xml_ensure(xmlNode *parent, const char *name, const char *const *preceding)
{
    xmlNode *node = bp_domain_xml_child(parent, name);

    return node ? node : bp_xml_insert(parent, name, preceding);
}


static void
bp_xml_remove(xmlNode *node)
{
    if (!node)
        return;
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}


static void
bp_xml_set_prop(xmlNode *node, const char *name, const char *value)
{
    if (value)
        xmlSetProp(node, BAD_CAST name, BAD_CAST value);
    else
        xmlUnsetProp(node, BAD_CAST name);
}


/* Replaces the content of @node by the literal @text. */
static void
bp_xml_set_text(xmlNode *node, const char *text)
{
    while (node->children)
        bp_xml_remove(node->children);
    xmlNodeAddContent(node, BAD_CAST text);
}


/* Removes @node when it has neither attributes nor element children. */
static void
bp_xml_remove_if_bare(xmlNode *node)
{
    if (node && !node->properties && !xmlFirstElementChild(node))
        bp_xml_remove(node);
}


/* Sets the text of child <@name> of @parent to @value (creating it after
 * @preceding), or removes the child when @value is NULL; only when the
 * tree's text differs. */
static void
bp_sync_text_child(xmlNode *parent, const char *name, const char *value,
                   const char *const *preceding)
{
    xmlNode *node = bp_domain_xml_child(parent, name);
    g_autofree char *cur = node ? bp_xml_content(node) : NULL;

    if (g_strcmp0(cur, value) == 0)
        return;
    if (!value) {
        bp_xml_remove(node);
        return;
    }
    if (!node)
        node = bp_xml_insert(parent, name, preceding);
    bp_xml_set_text(node, value);
}


/* ------------------------------------------------------------------ */
/* Disks                                                               */
/* ------------------------------------------------------------------ */

static void
bp_sync_layer(xmlNode *node, const BpStorageSource *src, gboolean top);


/* Makes @node (a fresh or end-marker <backingStore>) a layer of @type. */
static void
bp_layer_start(xmlNode *node, BpStorageType type)
{
    if (type != BP_STORAGE_TYPE_OTHER)
        xmlSetProp(node, BAD_CAST "type", BAD_CAST bp_storage_type_to_string(type));
}


static void
bp_sync_backing(xmlNode *node, const BpStorageSource *src, gboolean top)
{
    xmlNode *bs = bp_domain_xml_child(node, "backingStore");
    const char *const *preceding = top ? bp_before_disk_backing
                                       : bp_before_layer_backing;

    if (src->backing) {
        if (!bs) {
            bs = bp_xml_insert(node, "backingStore", preceding);
            bp_layer_start(bs, src->backing->type);
        } else if (bp_domain_xml_is_chain_end(bs)) {
            bp_layer_start(bs, src->backing->type);
        }
        bp_sync_layer(bs, src->backing, FALSE);
    } else if (src->backing_known) {
        if (bs && !bp_domain_xml_is_chain_end(bs)) {
            bp_xml_remove(bs);
            bs = NULL;
        }
        if (!bs)
            bp_xml_insert(node, "backingStore", preceding);
    } else {
        bp_xml_remove(bs);
    }
}


static void
bp_sync_source(xmlNode *node, const BpStorageSource *src, gboolean top)
{
    const char *attr = src->type == BP_STORAGE_TYPE_BLOCK ? "dev" : "file";
    const char *other = src->type == BP_STORAGE_TYPE_BLOCK ? "file" : "dev";
    xmlNode *source = bp_domain_xml_child(node, "source");
    g_autofree char *cur = source ? bp_xml_prop(source, attr) : NULL;

    if (src->type == BP_STORAGE_TYPE_OTHER)
        return;
    if (cur && !*cur)
        g_clear_pointer(&cur, g_free);
    if (g_strcmp0(cur, src->path) == 0 &&
        !(source && xmlHasProp(source, BAD_CAST other)))
        return;

    if (src->path) {
        if (!source)
            source = bp_xml_insert(node, "source",
                                   top ? bp_after_driver : bp_after_format);
        xmlSetProp(source, BAD_CAST attr, BAD_CAST src->path);
        xmlUnsetProp(source, BAD_CAST other);
    } else if (source) {
        xmlUnsetProp(source, BAD_CAST attr);
        xmlUnsetProp(source, BAD_CAST other);
        bp_xml_remove_if_bare(source);
    }
}


static void
bp_sync_format(xmlNode *node, const BpStorageSource *src, gboolean top)
{
    const char *name = top ? "driver" : "format";
    xmlNode *fmt = bp_domain_xml_child(node, name);
    g_autofree char *cur = fmt ? bp_xml_prop(fmt, "type") : NULL;

    if (g_strcmp0(cur, src->format) == 0)
        return;
    if (src->format) {
        if (!fmt)
            fmt = bp_xml_insert(node, name, bp_none);
        xmlSetProp(fmt, BAD_CAST "type", BAD_CAST src->format);
    } else if (fmt) {
        xmlUnsetProp(fmt, BAD_CAST "type");
        /* <format> means nothing without type=; <driver> may hold more */
        if (top)
            bp_xml_remove_if_bare(fmt);
        else
            bp_xml_remove(fmt);
    }
}


/* Writes layer @src (and those below) into @node: a <disk> when @top,
 * otherwise a <backingStore>. */
static void
bp_sync_layer(xmlNode *node, const BpStorageSource *src, gboolean top)
{
    BpStorageType type = bp_domain_xml_storage_type(node);
    xmlNode *source = bp_domain_xml_child(node, "source");
    g_autofree char *path = NULL;

    if (source && type != BP_STORAGE_TYPE_OTHER)
        path = bp_xml_prop(source, type == BP_STORAGE_TYPE_BLOCK ? "dev" : "file");

    if (src->type != BP_STORAGE_TYPE_OTHER && type != src->type)
        xmlSetProp(node, BAD_CAST "type",
                   BAD_CAST bp_storage_type_to_string(src->type));
    bp_sync_format(node, src, top);
    bp_sync_source(node, src, top);
    /* a layer that now holds another image loses libvirt's index= */
    if (!top && src->type != BP_STORAGE_TYPE_OTHER &&
        g_strcmp0(path, src->path) != 0)
        xmlUnsetProp(node, BAD_CAST "index");
    bp_sync_backing(node, src, top);
}


static void
bp_sync_disk(xmlNode *node, const BpDomainDef *def, const BpDiskDef *disk)
{
    g_autofree char *device = bp_xml_prop(node, "device");
    g_autofree char *snapshot = NULL;
    xmlNode *target = bp_xml_ensure(node, "target", bp_before_target);
    g_autofree char *dev = bp_xml_prop(target, "dev");
    xmlNode *readonly;
    xmlNode *child;
    BpSnapshotLocation cur_snapshot;

    if (g_strcmp0(device ? device : "disk", disk->device) != 0)
        bp_xml_set_prop(node, "device", disk->device);
    if (g_strcmp0(dev, disk->dst) != 0)
        xmlSetProp(target, BAD_CAST "dev", BAD_CAST disk->dst);

    bp_sync_layer(node, disk->src, TRUE);

    readonly = bp_domain_xml_child(node, "readonly");
    if (disk->src->readonly && !readonly)
        bp_xml_insert(node, "readonly", bp_before_readonly);
    else if (!disk->src->readonly && readonly)
        bp_xml_remove(readonly);

    /* The location the tree means, with libvirt's readonly default. */
    snapshot = bp_xml_prop(node, "snapshot");
    cur_snapshot = snapshot ? bp_snapshot_location_from_string(snapshot)
                            : disk->src->readonly ? BP_SNAPSHOT_LOCATION_NO
                                                  : BP_SNAPSHOT_LOCATION_DEFAULT;
    if ((int) cur_snapshot != (int) disk->snapshot) {
        bp_xml_set_prop(node, "snapshot",
                        disk->snapshot == BP_SNAPSHOT_LOCATION_DEFAULT ? NULL :
                        bp_snapshot_location_to_string(disk->snapshot));
    }

    child = bp_domain_xml_child(node, "export");
    if (def->runtime != BP_RUNTIME_STORAGE) {
        bp_xml_remove(child);
    } else {
        g_autofree char *type = child ? bp_xml_prop(child, "type") : NULL;
        int cur = type ? bp_disk_export_from_string(type) : (int) def->export_default;

        if (cur != (int) disk->export_type &&
            disk->export_type != BP_DISK_EXPORT_NONE) {
            if (!child)
                child = bp_xml_append(node, "export");
            xmlSetProp(child, BAD_CAST "type",
                       BAD_CAST bp_disk_export_to_string(disk->export_type));
        }
    }

    child = bp_domain_xml_child(node, "node");
    if (def->runtime != BP_RUNTIME_ATTACH) {
        bp_xml_remove(child);
    } else {
        g_autofree char *cur = child ? bp_xml_prop(child, "name") : NULL;

        if (g_strcmp0(cur, disk->src->node_name) != 0) {
            if (!disk->src->node_name) {
                bp_xml_remove(child);
            } else {
                if (!child)
                    child = bp_xml_append(node, "node");
                xmlSetProp(child, BAD_CAST "name", BAD_CAST disk->src->node_name);
            }
        }
    }
}


/* Where a disk that the tree does not have yet goes: before the first
 * disk, else after <emulator>, else first. */
static xmlNode *
bp_new_disk_node(xmlNode *devices, const BpDiskDef *disk)
{
    xmlNode *node = xmlNewDocNode(devices->doc, NULL, BAD_CAST "disk", NULL);
    xmlNode *first_disk = bp_domain_xml_child(devices, "disk");
    xmlNode *emulator = bp_domain_xml_child(devices, "emulator");
    xmlNode *first = xmlFirstElementChild(devices);

    if (!node)
        g_error("out of memory");
    if (disk->src->type != BP_STORAGE_TYPE_OTHER)
        xmlSetProp(node, BAD_CAST "type",
                   BAD_CAST bp_storage_type_to_string(disk->src->type));
    xmlSetProp(node, BAD_CAST "device", BAD_CAST disk->device);

    if (first_disk)
        xmlAddPrevSibling(first_disk, node);
    else if (emulator)
        xmlAddNextSibling(emulator, node);
    else if (first)
        xmlAddPrevSibling(first, node);
    else
        xmlAddChild(devices, node);
    return node;
}


static void
bp_sync_disks(xmlNode *root, const BpDomainDef *def)
{
    xmlNode *devices = bp_domain_xml_child(root, "devices");
    g_autoptr(GPtrArray) nodes = g_ptr_array_new();
    xmlNode *prev = NULL;

    if (!devices && def->ndisks == 0)
        return;
    if (!devices)
        devices = bp_xml_append(root, "devices");

    for (xmlNode *c = xmlFirstElementChild(devices); c; c = xmlNextElementSibling(c)) {
        if (xmlStrEqual(c->name, BAD_CAST "disk"))
            g_ptr_array_add(nodes, c);
    }

    for (size_t i = 0; i < def->ndisks; i++) {
        const BpDiskDef *disk = def->disks[i];
        xmlNode *node = NULL;

        for (guint j = 0; j < nodes->len; j++) {
            xmlNode *cand = g_ptr_array_index(nodes, j);
            g_autofree char *dev = bp_xml_prop(bp_domain_xml_child(cand, "target"), "dev");

            if (g_strcmp0(dev, disk->dst) == 0) {
                node = cand;
                g_ptr_array_remove_index(nodes, j);
                break;
            }
        }

        if (!node) {
            node = bp_new_disk_node(devices, disk);
            if (prev)
                xmlAddNextSibling(prev, node);
        } else if (prev && xmlNextElementSibling(prev) != node) {
            xmlAddNextSibling(prev, node);
        }
        bp_sync_disk(node, def, disk);
        prev = node;
    }

    /* Disks the definition no longer has. */
    for (guint j = 0; j < nodes->len; j++)
        bp_xml_remove(g_ptr_array_index(nodes, j));
}


/* ------------------------------------------------------------------ */
/* Domain                                                              */
/* ------------------------------------------------------------------ */

static void
bp_sync_runtime(xmlNode *root, const BpDomainDef *def)
{
    xmlNode *node = bp_domain_xml_child(root, "runtime");
    g_autofree char *type = node ? bp_xml_prop(node, "type") : NULL;
    xmlNode *monitor = bp_domain_xml_child(node, "monitor");
    xmlNode *export = bp_domain_xml_child(node, "export");
    g_autofree char *path = monitor ? bp_xml_prop(monitor, "path") : NULL;
    g_autofree char *exp = export ? bp_xml_prop(export, "type") : NULL;
    int cur_type = type ? bp_runtime_from_string(type) : BP_RUNTIME_STORAGE;
    int cur_export = exp ? bp_disk_export_from_string(exp) : BP_DISK_EXPORT_NBD;

    if (cur_type == (int) def->runtime &&
        (def->runtime != BP_RUNTIME_ATTACH ||
         g_strcmp0(path, def->monitor_path) == 0) &&
        (def->runtime != BP_RUNTIME_STORAGE ||
         cur_export == (int) def->export_default))
        return;

    if (!node)
        node = bp_xml_insert(root, "runtime", bp_before_runtime);
    while (node->children)
        bp_xml_remove(node->children);
    xmlSetProp(node, BAD_CAST "type", BAD_CAST bp_runtime_to_string(def->runtime));
    if (def->runtime == BP_RUNTIME_ATTACH && def->monitor_path) {
        monitor = bp_xml_append(node, "monitor");
        xmlSetProp(monitor, BAD_CAST "path", BAD_CAST def->monitor_path);
    } else if (def->runtime == BP_RUNTIME_STORAGE &&
               def->export_default != BP_DISK_EXPORT_NBD &&
               def->export_default != BP_DISK_EXPORT_NONE) {
        export = bp_xml_append(node, "export");
        xmlSetProp(export, BAD_CAST "type",
                   BAD_CAST bp_disk_export_to_string(def->export_default));
    }
}


static void
bp_sync_uuid(xmlNode *root, const BpDomainDef *def)
{
    xmlNode *node = bp_domain_xml_child(root, "uuid");
    g_autofree char *text = node ? bp_xml_content(node) : NULL;
    g_autofree char *cur = bp_uuid_canonicalize(text);

    if (!def->uuid) {
        bp_xml_remove(node);
        return;
    }
    if (g_strcmp0(cur, def->uuid) == 0 && g_strcmp0(text, def->uuid) == 0)
        return;
    if (!node)
        node = bp_xml_insert(root, "uuid", bp_after_name);
    bp_xml_set_text(node, def->uuid);
}


/* A document holding the definition's tree with the model written in;
 * the caller frees it. */
static xmlDoc *
bp_domain_def_build_doc(const BpDomainDef *def)
{
    xmlDoc *doc;
    xmlNode *root;

    if (def->doc) {
        if (!(doc = xmlCopyDoc(def->doc, 1)))
            g_error("out of memory");
        root = xmlDocGetRootElement(doc);
    } else {
        if (!(doc = xmlNewDoc(BAD_CAST "1.0")) ||
            !(root = xmlNewDocNode(doc, NULL, BAD_CAST "domain", NULL)))
            g_error("out of memory");
        xmlDocSetRootElement(doc, root);
    }

    bp_sync_text_child(root, "name", def->name, bp_none);
    bp_sync_uuid(root, def);
    bp_sync_text_child(root, "description", def->description,
                       bp_before_description);
    bp_sync_runtime(root, def);
    bp_sync_disks(root, def);
    return doc;
}


void
bp_domain_def_format(BpBuf *buf, const BpDomainDef *def)
{
    g_autoptr(xmlDoc) doc = bp_domain_def_build_doc(def);
    g_autofree char *dump = bp_xml_node_dump(xmlDocGetRootElement(doc),
                                                buf->indent);
    BpBuf raw = BP_BUF_INIT;

    /* the dump is already indented: append it verbatim */
    bp_buf_add(&raw, dump);
    bp_buf_add_buf(buf, &raw);
    bp_buf_clear(&raw);
}


char *
bp_domain_def_format_string(const BpDomainDef *def)
{
    g_autoptr(xmlDoc) doc = bp_domain_def_build_doc(def);

    return bp_xml_node_dump(xmlDocGetRootElement(doc), 0);
}
