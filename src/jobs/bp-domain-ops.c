/*
 * bp-domain-ops.c: define, undefine and the runtime records of a domain
 * (see the header).
 */
#include <config.h>

#include <errno.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <libxml/xpath.h>

#include "bp-domain-ops.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_STATUS_FILE "domain.xml"


/* Whether the root element of the parsed document has a <uuid> child. */
static gboolean
bp_domain_doc_has_uuid(const BpDomainDef *def)
{
    xmlNode *root = def->doc ? xmlDocGetRootElement(def->doc) : NULL;

    for (xmlNode *n = root ? root->children : NULL; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "uuid"))
            return TRUE;
    }
    return FALSE;
}


BpDomainDef *
bp_domain_ops_parse(const char *xml, gboolean *has_uuid, GError **error)
{
    g_autoptr(BpDomainDef) def = NULL;

    if (!xml || !*xml) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("the domain document is empty"));
        return NULL;
    }
    if (!(def = bp_domain_def_parse_string(xml, BP_DOMAIN_PARSE_VALIDATE, error)))
        return NULL;
    if (has_uuid)
        *has_uuid = bp_domain_doc_has_uuid(def);
    return g_steal_pointer(&def);
}


BpStoreDomain *
bp_domain_ops_define(BpStore *store, BpDomainDef *def, gboolean has_uuid,
                     gboolean *created, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(BpStoreDomain) dom = NULL;
    g_autoptr(BpStoreDomain) other = NULL;
    g_autoptr(GError) err = NULL;

    if (!(txn = bp_store_txn_begin(store, error)))
        return NULL;

    dom = bp_store_domain_get_by_name(store, def->name, &err);
    if (!dom && !g_error_matches(err, BP_ERROR, BP_ERROR_NO_DOMAIN)) {
        g_propagate_error(error, g_steal_pointer(&err));
        return NULL;
    }
    g_clear_error(&err);

    if (dom && !has_uuid) {
        /* No UUID in the document: it is the existing domain's. */
        g_free(def->uuid);
        def->uuid = g_strdup(dom->uuid);
    }
    if (dom && !g_str_equal(dom->uuid, def->uuid)) {
        g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                    _("domain '%s' already exists with uuid %s"),
                    dom->name, dom->uuid);
        return NULL;
    }

    other = bp_store_domain_get_by_uuid(store, def->uuid, &err);
    if (!other && !g_error_matches(err, BP_ERROR, BP_ERROR_NO_DOMAIN)) {
        g_propagate_error(error, g_steal_pointer(&err));
        return NULL;
    }
    if (other && !g_str_equal(other->name, def->name)) {
        g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                    _("domain '%s' is already defined with uuid %s"),
                    other->name, other->uuid);
        return NULL;
    }

    if (!dom) {
        dom = bp_store_domain_new();
        dom->name = g_strdup(def->name);
        dom->uuid = g_strdup(def->uuid);
        dom->state = BP_STORE_DOMAIN_SHUTOFF;
    }
    g_free(dom->definition);
    dom->definition = bp_domain_def_format_string(def);
    g_free(dom->runtime);
    dom->runtime = g_strdup(bp_runtime_to_string(def->runtime));

    if (created)
        *created = dom->id == 0;
    if (dom->id == 0) {
        if (!bp_store_domain_add(store, dom, error))
            return NULL;
    } else if (!bp_store_domain_update(store, dom, error)) {
        return NULL;
    }
    if (!bp_store_txn_commit(txn, error))
        return NULL;
    return g_steal_pointer(&dom);
}


gboolean
bp_domain_ops_undefine(BpStore *store, gint64 id, gboolean checkpoints_metadata,
                       GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(BpStoreDomain) dom = NULL;
    gint64 nchk;

    if (!(txn = bp_store_txn_begin(store, error)) ||
        !(dom = bp_store_domain_get(store, id, error)))
        return FALSE;
    if (dom->state == BP_STORE_DOMAIN_RUNNING) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("cannot undefine domain '%s' while it is running; "
                      "shut it down or destroy it first"), dom->name);
        return FALSE;
    }
    if ((nchk = bp_store_checkpoint_count(store, id, error)) < 0)
        return FALSE;
    if (nchk > 0 && !checkpoints_metadata) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    ngettext("cannot undefine domain '%s': it has %u checkpoint; "
                             "use checkpoints-metadata to forget it",
                             "cannot undefine domain '%s': it has %u checkpoints; "
                             "use checkpoints-metadata to forget them",
                             (unsigned long) nchk),
                    dom->name, (guint) nchk);
        return FALSE;
    }
    if (!bp_store_domain_remove(store, id, error))
        return FALSE;
    return bp_store_txn_commit(txn, error);
}


/* Sets the runtime fields of row @id (state, pid, monitor), in one
 * transaction. */
static gboolean
bp_domain_ops_update_runtime(BpStore *store, gint64 id, BpStoreDomainState state,
                             GPid pid, const char *monitor_path, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(BpStoreDomain) dom = NULL;

    if (!(txn = bp_store_txn_begin(store, error)) ||
        !(dom = bp_store_domain_get(store, id, error)))
        return FALSE;
    dom->state = state;
    dom->pid = pid;
    g_free(dom->monitor_path);
    dom->monitor_path = g_strdup(monitor_path);
    if (!bp_store_domain_update(store, dom, error))
        return FALSE;
    return bp_store_txn_commit(txn, error);
}


gboolean
bp_domain_ops_record_running(BpStore *store, gint64 id, GPid pid,
                             const char *monitor_path, GError **error)
{
    return bp_domain_ops_update_runtime(store, id, BP_STORE_DOMAIN_RUNNING,
                                        pid, monitor_path, error);
}


/* Whether checkpoint @chk has a bitmap on a disk of @def that is opened
 * read-write (a disk @def does not have counts as one). */
static gboolean
bp_domain_ops_checkpoint_on_rw_disk(const BpStoreCheckpoint *chk, const BpDomainDef *def)
{
    for (guint i = 0; chk->disks && i < chk->disks->len; i++) {
        const BpStoreCheckpointDisk *disk = g_ptr_array_index(chk->disks, i);
        const BpDiskDef *domdisk;

        if (!disk->included)
            continue;
        domdisk = def ? bp_domain_def_find_disk(def, disk->target) : NULL;
        if (!domdisk || (!bp_disk_def_is_empty(domdisk) && !domdisk->src->readonly))
            return TRUE;
    }
    return FALSE;
}


gboolean
bp_domain_ops_record_stopped(BpStore *store, gint64 id, gboolean clean,
                             const char *reason, const BpDomainDef *running,
                             GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(GPtrArray) chks = NULL;
    g_autoptr(BpStoreDomain) dom = NULL;
    g_autoptr(BpDomainDef) stored = NULL;

    if (!(txn = bp_store_txn_begin(store, error)) ||
        !bp_domain_ops_update_runtime(store, id, BP_STORE_DOMAIN_SHUTOFF, 0, NULL, error))
        return FALSE;
    if (!clean) {
        if (!running) {
            if (!(dom = bp_store_domain_get(store, id, error)))
                return FALSE;
            /* An unparsable definition: every disk counts as written. */
            stored = bp_domain_def_parse_string(dom->definition, 0, NULL);
            running = stored;
        }
        if (!(chks = bp_store_checkpoint_list(store, id, BP_STORE_CHECKPOINTS_ALL,
                                              NULL, BP_STORE_LIST_DISKS, error)))
            return FALSE;
        for (guint i = 0; i < chks->len; i++) {
            BpStoreCheckpoint *chk = g_ptr_array_index(chks, i);

            if (chk->state != BP_STORE_CHECKPOINT_READY ||
                !bp_domain_ops_checkpoint_on_rw_disk(chk, running))
                continue;
            if (!bp_store_checkpoint_set_state(store, id, chk->name,
                                               BP_STORE_CHECKPOINT_BROKEN,
                                               reason, error))
                return FALSE;
        }
    }
    return bp_store_txn_commit(txn, error);
}


/* The type of the layer at @path: a block device or a file. */
static BpStorageType
bp_domain_ops_layer_type(const char *path)
{
    GStatBuf sb;

    if (g_stat(path, &sb) == 0 && S_ISBLK(sb.st_mode))
        return BP_STORAGE_TYPE_BLOCK;
    return BP_STORAGE_TYPE_FILE;
}


BpDomainDef *
bp_domain_ops_live_def(const BpDomainDef *def, GPtrArray *specs)
{
    BpDomainDef *live = bp_domain_def_copy(def);

    for (guint i = 0; specs && i < specs->len; i++) {
        const BpQemuDiskSpec *spec = g_ptr_array_index(specs, i);
        BpDiskDef *disk = bp_domain_def_find_disk(live, spec->target);
        BpStorageSource *src;
        BpStorageSource *last = NULL;
        guint n = 0;

        if (!disk || bp_disk_def_is_empty(disk))
            continue;
        /* Walk the layers the definition names; fill in what it left to
         * the images. */
        for (src = disk->src; src && n < spec->layers->len; src = src->backing, n++) {
            const BpQemuLayer *layer = bp_qemu_disk_spec_layer(spec, n);

            if (!src->format && layer->format)
                src->format = g_strdup(layer->format);
            last = src;
        }
        if (!last || (last->backing_known && !last->backing))
            continue;
        for (; n < spec->layers->len; n++) {
            const BpQemuLayer *layer = bp_qemu_disk_spec_layer(spec, n);
            BpStorageSource *next = bp_storage_source_new(bp_domain_ops_layer_type(layer->path));

            next->path = g_strdup(layer->path);
            next->format = g_strdup(layer->format);
            last->backing = next;
            last->backing_known = TRUE;
            last = next;
        }
        last->backing_known = TRUE;
    }
    return live;
}


void
bp_domain_ops_strip_secrets(BpDomainDef *def)
{
    xmlXPathContext *ctxt;
    xmlXPathObject *obj;

    if (!def->doc)
        return;
    ctxt = xmlXPathNewContext(def->doc);
    obj = ctxt ? xmlXPathEvalExpression(BAD_CAST "//graphics/@passwd | //source/cookies/cookie",
                                        ctxt) : NULL;
    for (int i = 0; obj && obj->nodesetval && i < obj->nodesetval->nodeNr; i++) {
        xmlNode *node = obj->nodesetval->nodeTab[i];

        obj->nodesetval->nodeTab[i] = NULL;
        if (node->type == XML_ATTRIBUTE_NODE) {
            xmlRemoveProp((xmlAttr *) node);
        } else {
            xmlUnlinkNode(node);
            xmlFreeNode(node);
        }
    }
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctxt);
}


char *
bp_domain_ops_format_xml(const BpDomainDef *def, gboolean secure)
{
    g_autoptr(BpDomainDef) copy = NULL;

    if (secure || !def->doc)
        return bp_domain_def_format_string(def);
    copy = bp_domain_def_copy(def);
    bp_domain_ops_strip_secrets(copy);
    return bp_domain_def_format_string(copy);
}


gboolean
bp_domain_ops_save_status(const BpDomainDef *def, const char *runtime_dir,
                          GError **error)
{
    g_autofree char *path = g_build_filename(runtime_dir, BP_STATUS_FILE, NULL);
    g_autofree char *xml = bp_domain_def_format_string(def);
    g_autoptr(GError) err = NULL;

    if (g_mkdir_with_parents(runtime_dir, 0700) < 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("cannot create runtime directory %s: %s"),
                    runtime_dir, g_strerror(errno));
        return FALSE;
    }
    if (!g_file_set_contents_full(path, xml, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                  0600, &err)) {
        g_set_error(error, BP_ERROR, BP_ERROR_IO, _("cannot write %s: %s"),
                    path, err->message);
        return FALSE;
    }
    return TRUE;
}


BpDomainDef *
bp_domain_ops_load_status(const char *runtime_dir, GError **error)
{
    g_autofree char *path = g_build_filename(runtime_dir, BP_STATUS_FILE, NULL);
    g_autofree char *xml = NULL;
    g_autoptr(GError) err = NULL;
    BpDomainDef *def;

    if (!g_file_get_contents(path, &xml, NULL, &err)) {
        if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return NULL;
        g_set_error(error, BP_ERROR, BP_ERROR_IO, _("cannot read %s: %s"),
                    path, err->message);
        return NULL;
    }
    if (!(def = bp_domain_def_parse_string(xml, 0, error)))
        g_prefix_error(error, "%s: ", path);
    return def;
}


void
bp_domain_ops_remove_status(const char *runtime_dir)
{
    g_autofree char *path = g_build_filename(runtime_dir, BP_STATUS_FILE, NULL);

    g_unlink(path);
}
