/*
 * bp-backup-conf.c: the <domainbackup> document (see bp-backup-conf.h).
 *
 * Parsing, alignment with the domain and formatting follow libvirt's
 * backup_conf.c behaviour: the same defaults, error conditions and output
 * layout, so documents written for libvirt (and libvirt's own test corpus)
 * give the same results here.
 */
#include <config.h>

#include <string.h>

#include "util/bp-error.h"
#include "util/bp-i18n.h"
#include "util/bp-xml.h"
#include "bp-backup-conf.h"

/* NBD limits a string (export name) to 4096 bytes; QEMU limits a dirty
 * bitmap name to 1023 bytes. */
#define BP_BACKUP_EXPORT_NAME_MAX 4096
#define BP_BACKUP_BITMAP_NAME_MAX 1023

BP_ENUM_IMPL(bp_backup_mode, BP_BACKUP_MODE_LAST,
             "default", "push", "pull")

BP_ENUM_IMPL(bp_backup_transport, BP_BACKUP_TRANSPORT_LAST,
             "tcp", "unix", "fd")

BP_ENUM_IMPL(bp_backup_disk_mode, BP_BACKUP_DISK_MODE_LAST,
             "", "full", "incremental")

BP_ENUM_IMPL(bp_backup_disk_state, BP_BACKUP_DISK_STATE_LAST,
             "", "running", "complete", "failed", "cancelling", "cancelled")

/* Storage types libvirt knows but a backup cannot use (anything else is
 * an unknown type). */
static const char *const bp_backup_unusable_store_types[] = {
    "dir", "network", "volume", "nvme", "vhostuser", "vhostvdpa", NULL
};

/* Image formats accepted in <driver type>; the same list as the schema. */
static const char *const bp_backup_store_formats[] = {
    "raw", "qcow2", "qcow", "qed", "vmdk", "vpc", "vhd", "vhdx", "vdi",
    "luks", "dmg", "cloop", "bochs", "parallels", "ploop", "cow", "iso",
    "fat", "dir", NULL
};


void
bp_backup_store_free(BpBackupStore *store)
{
    if (!store)
        return;
    g_free(store->path);
    g_free(store->format);
    bp_seclabels_free(store->seclabels, store->nseclabels);
    bp_encryption_free(store->encryption);
    g_free(store);
}


void
bp_backup_disk_def_free(BpBackupDiskDef *disk)
{
    if (!disk)
        return;
    g_free(disk->name);
    g_free(disk->incremental);
    g_free(disk->exportname);
    g_free(disk->exportbitmap);
    bp_backup_store_free(disk->store);
    g_free(disk);
}


void
bp_backup_def_free(BpBackupDef *def)
{
    if (!def)
        return;
    g_free(def->incremental);
    if (def->server) {
        g_free(def->server->name);
        g_free(def->server->socket);
        g_free(def->server->fdgroup);
        g_free(def->server);
    }
    for (size_t i = 0; i < def->ndisks; i++)
        bp_backup_disk_def_free(def->disks[i]);
    g_free(def->disks);
    g_free(def->tls_alias);
    g_free(def->tls_secret_alias);
    g_free(def);
}


BpBackupDiskDef *
bp_backup_def_find_disk(const BpBackupDef *def, const char *name)
{
    for (size_t i = 0; i < def->ndisks; i++) {
        if (g_strcmp0(def->disks[i]->name, name) == 0)
            return def->disks[i];
    }
    return NULL;
}


static void
bp_backup_def_append_disk(BpBackupDef *def, BpBackupDiskDef *disk)
{
    def->disks = g_renew(BpBackupDiskDef *, def->disks, def->ndisks + 1);
    def->disks[def->ndisks++] = disk;
}


/* ---------------------------------------------------------------------- */
/* Parsing                                                                */
/* ---------------------------------------------------------------------- */

/* A guest disk target as the schema's diskTarget:
 * (ioemu:)?(fd|hd|sd|vd|xvd|ubd)[a-zA-Z0-9_]+ */
static gboolean
bp_backup_disk_name_is_valid(const char *name)
{
    static const char *const prefixes[] = {
        "fd", "hd", "sd", "vd", "xvd", "ubd", NULL
    };
    const char *rest = NULL;

    if (g_str_has_prefix(name, "ioemu:"))
        name += strlen("ioemu:");
    for (size_t i = 0; prefixes[i]; i++) {
        if (g_str_has_prefix(name, prefixes[i])) {
            rest = name + strlen(prefixes[i]);
            break;
        }
    }
    if (!rest || !*rest)
        return FALSE;
    for (; *rest; rest++) {
        if (!g_ascii_isalnum(*rest) && *rest != '_')
            return FALSE;
    }
    return TRUE;
}


static gboolean
bp_str_in_list(const char *str, const char *const *list)
{
    for (size_t i = 0; list[i]; i++) {
        if (g_str_equal(str, list[i]))
            return TRUE;
    }
    return FALSE;
}


/* Unsigned decimal no larger than @max, digits only. */
static gboolean
bp_backup_parse_uint(const char *str, guint64 max, unsigned int *value)
{
    guint64 v;

    if (!str || !g_ascii_isdigit(*str) ||
        !g_ascii_string_to_unsigned(str, 10, 0, max, &v, NULL))
        return FALSE;
    *value = (unsigned int) v;
    return TRUE;
}


/*
 * Checks that the value of attribute @attr of disk @disk is a name that can
 * be handed to QEMU and NBD clients as is: not empty, at most @maxlen
 * bytes, no '/' and no control characters.
 */
static gboolean
bp_backup_check_export_token(xmlNode *node,
                             const char *attr,
                             const char *value,
                             size_t maxlen,
                             const char *disk,
                             GError **error)
{
    g_autofree char *shown = NULL;

    if (!value)
        return TRUE;
    shown = g_strescape(value, NULL);
    if (!*value) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("%s of disk '%s' is empty: give a name or leave the attribute out"),
                         attr, disk);
        return FALSE;
    }
    if (strlen(value) > maxlen) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("%s '%s' of disk '%s' is longer than %zu bytes"),
                         attr, shown, disk, maxlen);
        return FALSE;
    }
    for (const char *p = value; *p; p++) {
        if (*p == '/' || g_ascii_iscntrl(*p)) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("invalid %s '%s' of disk '%s': '/' and control characters are not allowed"),
                             attr, shown, disk);
            return FALSE;
        }
    }
    return TRUE;
}


/* Parses <server> (@node) into def->server and def->tls. */
static gboolean
bp_backup_server_parse(BpBackupDef *def, xmlNode *node, GError **error)
{
    g_autofree char *transport = bp_xml_prop(node, "transport");
    g_autofree char *port = NULL;
    g_autofree char *tls = NULL;
    BpBackupServer *server = g_new0(BpBackupServer, 1);
    int val;

    def->server = server;
    server->transport = BP_BACKUP_TRANSPORT_TCP;
    if (transport) {
        if (g_str_equal(transport, "rdma")) {
            bp_xml_set_error(error, BP_ERROR_CONFIG_UNSUPPORTED, node,
                             _("transport rdma is not supported for <server>"));
            return FALSE;
        }
        if ((val = bp_backup_transport_from_string(transport)) < 0) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("unknown transport '%s' of <server>: expected 'tcp', 'unix' or 'fd'"),
                             transport);
            return FALSE;
        }
        server->transport = val;
    }

    server->socket = bp_xml_prop(node, "socket");
    if (server->transport == BP_BACKUP_TRANSPORT_UNIX) {
        if (!server->socket) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("missing socket path for unix transport of <server>"));
            return FALSE;
        }
        if (!g_path_is_absolute(server->socket)) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("backup socket path '%s' must be absolute"),
                             server->socket);
            return FALSE;
        }
    } else if (server->socket) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("transport '%s' of <server> does not take a socket attribute"),
                         bp_backup_transport_to_string(server->transport));
        return FALSE;
    }

    if (server->transport == BP_BACKUP_TRANSPORT_FD) {
        server->fdgroup = bp_xml_prop(node, "fdgroup");
        if (!server->fdgroup || !*server->fdgroup) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("missing fdgroup for fd transport of <server>"));
            return FALSE;
        }
    }

    if (server->transport == BP_BACKUP_TRANSPORT_TCP) {
        if (!(server->name = bp_xml_prop(node, "name"))) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("missing host name for tcp transport of <server>"));
            return FALSE;
        }
        port = bp_xml_prop(node, "port");
        if (port && !bp_backup_parse_uint(port, 65535, &server->port)) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("invalid port '%s' of <server>: expected 0 to 65535"),
                             port);
            return FALSE;
        }
    }

    if ((tls = bp_xml_prop(node, "tls"))) {
        if (g_str_equal(tls, "yes")) {
            def->tls = BP_BACKUP_TLS_YES;
        } else if (g_str_equal(tls, "no")) {
            def->tls = BP_BACKUP_TLS_NO;
        } else {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("invalid value '%s' for attribute 'tls' of <server>: expected 'yes' or 'no'"),
                             tls);
            return FALSE;
        }
    }
    return TRUE;
}


/* The type and format of the store of disk @name (from its type= and
 * <driver type>), before its <target>/<scratch> is read. */
static BpBackupStore *
bp_backup_store_new(xmlNode *node,
                    xmlXPathContext *ctxt,
                    const char *name,
                    gboolean push,
                    gboolean internal,
                    GError **error)
{
    g_autofree char *type = bp_xml_prop(node, "type");
    g_autofree char *format = bp_xpath_string("./driver/@type", ctxt);
    g_autofree char *idx = internal ? bp_xml_prop(node, "index") : NULL;
    BpBackupStore *store = g_new0(BpBackupStore, 1);

    store->type = BP_STORAGE_TYPE_FILE;
    if (type) {
        if (g_str_equal(type, "block")) {
            store->type = BP_STORAGE_TYPE_BLOCK;
        } else if (bp_str_in_list(type, bp_backup_unusable_store_types)) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("unsupported disk backup type '%s'"), type);
            goto error;
        } else if (!g_str_equal(type, "file")) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("unknown storage type '%s' of disk '%s'"),
                             type, name);
            goto error;
        }
    }

    if (format) {
        if (!bp_str_in_list(format, bp_backup_store_formats)) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("unknown storage format '%s' of disk '%s'"),
                             format, name);
            goto error;
        }
        if (!push && !g_str_equal(format, "qcow2")) {
            bp_xml_set_error(error, BP_ERROR_CONFIG_UNSUPPORTED, node,
                             _("pull mode backup for disk '%s' requires qcow2 driver"),
                             name);
            goto error;
        }
        store->format = g_steal_pointer(&format);
    }

    if (idx && !bp_backup_parse_uint(idx, G_MAXUINT, &store->index)) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("invalid disk index '%s' of disk '%s'"), idx, name);
        goto error;
    }
    return store;

 error:
    bp_backup_store_free(store);
    return NULL;
}


/* Reads the <target> or <scratch> element @node into @store. */
static gboolean
bp_backup_store_parse_source(BpBackupStore *store,
                             xmlNode *node,
                             xmlXPathContext *ctxt,
                             const char *name,
                             GError **error)
{
    BP_XPATH_NODE_AUTORESTORE(ctxt);
    xmlNode *enc;

    ctxt->node = node;
    store->path = bp_xml_prop(node, store->type == BP_STORAGE_TYPE_BLOCK ?
                                    "dev" : "file");
    /* An empty path means "no path", as in libvirt: one is generated. */
    if (store->path && !*store->path)
        g_clear_pointer(&store->path, g_free);
    if (store->path && !g_path_is_absolute(store->path)) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("backup %s path '%s' of disk '%s' must be absolute"),
                         (const char *) node->name, store->path, name);
        return FALSE;
    }

    if (!bp_seclabels_parse(ctxt, &store->seclabels, &store->nseclabels, error))
        return FALSE;

    if ((enc = bp_xpath_node("./encryption", ctxt)) &&
        !(store->encryption = bp_encryption_parse(enc, ctxt, error)))
        return FALSE;
    return TRUE;
}


/* Parses one <disk> element @node of <disks>. */
static BpBackupDiskDef *
bp_backup_disk_def_parse(xmlNode *node,
                         xmlXPathContext *ctxt,
                         gboolean push,
                         gboolean internal,
                         GError **error)
{
    BP_XPATH_NODE_AUTORESTORE(ctxt);
    g_autoptr(GError) err = NULL;
    g_autofree char *backup = NULL;
    g_autofree char *backupmode = NULL;
    g_autofree char *state = NULL;
    BpBackupDiskDef *disk = g_new0(BpBackupDiskDef, 1);
    xmlNode *src;
    int val;

    ctxt->node = node;
    if (!(disk->name = bp_xml_prop(node, "name"))) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("missing name from disk backup element"));
        goto error;
    }
    if (!bp_backup_disk_name_is_valid(disk->name)) {
        g_autofree char *shown = g_strescape(disk->name, NULL);

        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("invalid disk name '%s' in backup definition: expected a disk target such as 'vda'"),
                         shown);
        goto error;
    }

    disk->backup = TRUE;
    if ((backup = bp_xml_prop(node, "backup"))) {
        if (g_str_equal(backup, "no")) {
            disk->backup = FALSE;
        } else if (!g_str_equal(backup, "yes")) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("invalid value '%s' for attribute 'backup' of disk '%s': expected 'yes' or 'no'"),
                             backup, disk->name);
            goto error;
        }
    }
    /* Like libvirt: nothing else is read from an excluded disk. */
    if (!disk->backup)
        return disk;

    if (!push) {
        disk->exportname = bp_xml_prop(node, "exportname");
        disk->exportbitmap = bp_xml_prop(node, "exportbitmap");
        if (!bp_backup_check_export_token(node, "exportname", disk->exportname,
                                          BP_BACKUP_EXPORT_NAME_MAX,
                                          disk->name, error) ||
            !bp_backup_check_export_token(node, "exportbitmap", disk->exportbitmap,
                                          BP_BACKUP_BITMAP_NAME_MAX,
                                          disk->name, error))
            goto error;
    }

    if ((backupmode = bp_xml_prop(node, "backupmode"))) {
        if ((val = bp_backup_disk_mode_from_string(backupmode)) < 0) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("invalid backupmode '%s' of disk '%s': expected 'full' or 'incremental'"),
                             backupmode, disk->name);
            goto error;
        }
        disk->backupmode = val;
    }

    disk->incremental = bp_xml_prop(node, "incremental");
    if (disk->incremental && !bp_name_is_valid(disk->incremental)) {
        g_autofree char *shown = g_strescape(disk->incremental, NULL);

        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("invalid checkpoint name '%s' in attribute 'incremental' of disk '%s'"),
                         shown, disk->name);
        goto error;
    }

    if (internal) {
        if (!(state = bp_xml_prop(node, "state"))) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("missing state of disk '%s' in backup status"),
                             disk->name);
            goto error;
        }
        if ((val = bp_backup_disk_state_from_string(state)) < 0) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("invalid state '%s' of disk '%s' in backup status"),
                             state, disk->name);
            goto error;
        }
        disk->state = val;
    }

    if (!(disk->store = bp_backup_store_new(node, ctxt, disk->name,
                                            push, internal, error)))
        goto error;

    if ((src = bp_xpath_node(push ? "./target" : "./scratch", ctxt)) &&
        !bp_backup_store_parse_source(disk->store, src, ctxt, disk->name, error))
        goto error;

    return disk;

 error:
    bp_backup_disk_def_free(disk);
    return NULL;
}


static BpBackupDef *
bp_backup_def_parse(xmlXPathContext *ctxt, gboolean internal, GError **error)
{
    g_autoptr(BpBackupDef) def = g_new0(BpBackupDef, 1);
    g_autofree char *mode = bp_xml_prop(ctxt->node, "mode");
    g_autofree xmlNode **nodes = NULL;
    xmlNode *node;
    gboolean push;
    int val;
    int n;

    def->mode = BP_BACKUP_MODE_PUSH;
    if (mode) {
        /* "default" is an internal value, not a mode one can ask for */
        if ((val = bp_backup_mode_from_string(mode)) <= 0) {
            bp_xml_set_error(error, BP_ERROR_CONFIG_UNSUPPORTED, ctxt->node,
                             _("unknown backup mode '%s'"), mode);
            return NULL;
        }
        def->mode = val;
    }
    push = def->mode == BP_BACKUP_MODE_PUSH;

    def->incremental = bp_xpath_string("./incremental", ctxt);
    if (def->incremental && !bp_name_is_valid(def->incremental)) {
        g_autofree char *shown = g_strescape(def->incremental, NULL);

        bp_xml_set_error(error, BP_ERROR_XML_INVALID,
                         bp_xpath_node("./incremental", ctxt),
                         _("invalid checkpoint name '%s' in <incremental>"),
                         shown);
        return NULL;
    }

    if ((node = bp_xpath_node("./server", ctxt))) {
        if (def->mode != BP_BACKUP_MODE_PULL) {
            bp_xml_set_error(error, BP_ERROR_CONFIG_UNSUPPORTED, node,
                             _("use of <server> requires pull mode backup"));
            return NULL;
        }
        if (!bp_backup_server_parse(def, node, error))
            return NULL;
    }

    if ((n = bp_xpath_nodes("./disks/*", ctxt, &nodes)) > 0) {
        def->disks = g_new0(BpBackupDiskDef *, n);
        for (int i = 0; i < n; i++) {
            if (!(def->disks[i] = bp_backup_disk_def_parse(nodes[i], ctxt, push,
                                                           internal, error)))
                return NULL;
            def->ndisks++;
        }
    }

    if (internal) {
        def->tls_secret_alias =
            bp_xpath_string("./privateData/objects/secret[@type='tlskey']/@alias", ctxt);
        def->tls_alias =
            bp_xpath_string("./privateData/objects/TLSx509/@alias", ctxt);
    }

    return g_steal_pointer(&def);
}


BpBackupDef *
bp_backup_def_parse_string(const char *xml,
                           unsigned int flags,
                           GError **error)
{
    gboolean internal = (flags & BP_BACKUP_PARSE_INTERNAL) != 0;
    gboolean validate = !internal && (flags & BP_BACKUP_PARSE_VALIDATE);
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;

    g_autoptr(BpBackupDef) def = NULL;

    /* The semantic checks run before the schema: their messages name the
     * offending value, where libxml2's RelaxNG errors often only say
     * "Extra element in interleave".  The schema then catches the rest. */
    if (!(doc = bp_xml_parse(xml, "domainbackup", "domainbackup", NULL,
                             &ctxt, error)))
        return NULL;
    if (!(def = bp_backup_def_parse(ctxt, internal, error)))
        return NULL;
    if (validate &&
        !bp_xml_validate(doc, "domainbackup", "domainbackup.rng", error))
        return NULL;
    return g_steal_pointer(&def);
}


/* ---------------------------------------------------------------------- */
/* Alignment with the domain                                              */
/* ---------------------------------------------------------------------- */

/*
 * Gives participating disk @disk (of domain disk @domdisk) a store when it
 * has none or one without a path: "<source path>.<suffix>", type file.
 */
static gboolean
bp_backup_assign_store(BpBackupDiskDef *disk,
                       const BpDiskDef *domdisk,
                       const char *suffix,
                       GError **error)
{
    if (bp_disk_def_is_empty(domdisk)) {
        /* libvirt reports this only when a store was given; without one
         * there would be nothing to derive a name from either. */
        g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                    _("disk '%s' has no media"), disk->name);
        return FALSE;
    }

    if (disk->store && disk->store->path)
        return TRUE;

    if (domdisk->src->type != BP_STORAGE_TYPE_FILE) {
        g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                    _("refusing to generate file name for disk '%s'"),
                    disk->name);
        return FALSE;
    }
    if (!disk->store)
        disk->store = g_new0(BpBackupStore, 1);
    disk->store->type = BP_STORAGE_TYPE_FILE;
    disk->store->path = g_strdup_printf("%s.%s", domdisk->src->path, suffix);
    return TRUE;
}


gboolean
bp_backup_def_align_disks(BpBackupDef *def,
                          const BpDomainDef *domdef,
                          const char *suffix,
                          GError **error)
{
    g_autoptr(GHashTable) listed = g_hash_table_new(g_str_hash, g_str_equal);
    size_t nlisted = def->ndisks;
    gboolean backup_all = nlisted == 0;

    g_return_val_if_fail(suffix != NULL, FALSE);

    if (domdef->ndisks == 0) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                            _("domain must have at least one disk to perform backup"));
        return FALSE;
    }

    /* The listed disks, in the order given. */
    for (size_t i = 0; i < nlisted; i++) {
        BpBackupDiskDef *disk = def->disks[i];
        const BpDiskDef *domdisk = bp_domain_def_find_disk(domdef, disk->name);

        if (!domdisk) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("no disk named '%s'"), disk->name);
            return FALSE;
        }
        if (!g_hash_table_add(listed, disk->name)) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("disk '%s' specified twice"), disk->name);
            return FALSE;
        }
        if (disk->backupmode == BP_BACKUP_DISK_MODE_INCREMENTAL &&
            !disk->incremental && !def->incremental) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("'incremental' backup mode of disk '%s' requires setting 'incremental' field for disk or backup"),
                        disk->name);
            return FALSE;
        }
        if (disk->backup && !bp_backup_assign_store(disk, domdisk, suffix, error))
            return FALSE;
    }

    /* Then the domain's other disks, in domain order: all of those with
     * media that can be written when nothing was listed, else none. */
    for (size_t i = 0; i < domdef->ndisks; i++) {
        const BpDiskDef *domdisk = domdef->disks[i];
        BpBackupDiskDef *disk;

        if (g_hash_table_contains(listed, domdisk->dst))
            continue;

        disk = g_new0(BpBackupDiskDef, 1);
        disk->name = g_strdup(domdisk->dst);
        bp_backup_def_append_disk(def, disk);

        if (backup_all && !bp_disk_def_is_empty(domdisk) &&
            !domdisk->src->readonly) {
            disk->backup = TRUE;
            if (!bp_backup_assign_store(disk, domdisk, suffix, error))
                return FALSE;
        }
    }

    /* Resolve the mode of every disk from the top-level checkpoint. */
    for (size_t i = 0; i < def->ndisks; i++) {
        BpBackupDiskDef *disk = def->disks[i];

        if (disk->backupmode == BP_BACKUP_DISK_MODE_DEFAULT) {
            if (def->incremental || disk->incremental)
                disk->backupmode = BP_BACKUP_DISK_MODE_INCREMENTAL;
            else
                disk->backupmode = BP_BACKUP_DISK_MODE_FULL;
        }
        if (!disk->incremental &&
            disk->backupmode == BP_BACKUP_DISK_MODE_INCREMENTAL)
            disk->incremental = g_strdup(def->incremental);
    }
    return TRUE;
}


/* ---------------------------------------------------------------------- */
/* Formatting                                                             */
/* ---------------------------------------------------------------------- */

/* <target> or <scratch> (@element) of @store. */
static void
bp_backup_store_format(BpBuf *buf, const BpBackupStore *store,
                       const char *element)
{
    g_auto(BpBuf) attr = BP_BUF_INIT;
    g_auto(BpBuf) child = BP_BUF_INIT;

    bp_buf_init_child(&child, buf);
    if (store->type == BP_STORAGE_TYPE_BLOCK)
        bp_buf_escape(&attr, " dev='%s'", store->path);
    else
        bp_buf_escape(&attr, " file='%s'", store->path);
    bp_seclabels_format(&child, store->seclabels, store->nseclabels);
    if (store->encryption)
        bp_encryption_format(&child, store->encryption);
    bp_xml_format_element(buf, element, &attr, &child);
}


static void
bp_backup_disk_def_format(BpBuf *buf,
                          const BpBackupDiskDef *disk,
                          gboolean push,
                          gboolean internal)
{
    g_auto(BpBuf) attr = BP_BUF_INIT;
    g_auto(BpBuf) child = BP_BUF_INIT;
    const BpBackupStore *store = disk->store;

    bp_buf_init_child(&child, buf);
    bp_buf_escape(&attr, " name='%s'", disk->name);
    bp_buf_addf(&attr, " backup='%s'", disk->backup ? "yes" : "no");
    if (internal && disk->state != BP_BACKUP_DISK_STATE_NONE)
        bp_buf_addf(&attr, " state='%s'",
                    bp_backup_disk_state_to_string(disk->state));

    if (disk->backup) {
        if (store)
            bp_buf_addf(&attr, " type='%s'", bp_storage_type_to_string(store->type));
        if (disk->backupmode != BP_BACKUP_DISK_MODE_DEFAULT)
            bp_buf_addf(&attr, " backupmode='%s'",
                        bp_backup_disk_mode_to_string(disk->backupmode));
        bp_buf_escape(&attr, " incremental='%s'", disk->incremental);
        bp_buf_escape(&attr, " exportname='%s'", disk->exportname);
        bp_buf_escape(&attr, " exportbitmap='%s'", disk->exportbitmap);
        if (store && store->index != 0)
            bp_buf_addf(&attr, " index='%u'", store->index);

        if (store) {
            bp_buf_escape(&child, "<driver type='%s'/>\n", store->format);
            bp_backup_store_format(&child, store, push ? "target" : "scratch");
        }
    }

    bp_xml_format_element(buf, "disk", &attr, &child);
}


static void
bp_backup_def_format_private(BpBuf *buf, const BpBackupDef *def)
{
    g_auto(BpBuf) none = BP_BUF_INIT;
    g_auto(BpBuf) priv = BP_BUF_INIT;
    g_auto(BpBuf) objects = BP_BUF_INIT;

    bp_buf_init_child(&priv, buf);
    bp_buf_init_child(&objects, &priv);
    bp_buf_escape(&objects, "<secret type='tlskey' alias='%s'/>\n",
                  def->tls_secret_alias);
    bp_buf_escape(&objects, "<TLSx509 alias='%s'/>\n", def->tls_alias);
    bp_xml_format_element(&priv, "objects", &none, &objects);
    bp_xml_format_element(buf, "privateData", &none, &priv);
}


void
bp_backup_def_format(BpBuf *buf, const BpBackupDef *def, gboolean internal)
{
    g_auto(BpBuf) attr = BP_BUF_INIT;
    g_auto(BpBuf) child = BP_BUF_INIT;
    g_auto(BpBuf) server = BP_BUF_INIT;
    g_auto(BpBuf) disks = BP_BUF_INIT;
    g_auto(BpBuf) none = BP_BUF_INIT;

    bp_buf_init_child(&child, buf);
    bp_buf_init_child(&disks, &child);

    bp_buf_addf(&attr, " mode='%s'", bp_backup_mode_to_string(def->mode));
    bp_buf_escape(&child, "<incremental>%s</incremental>\n", def->incremental);

    if (def->server) {
        bp_buf_addf(&server, " transport='%s'",
                    bp_backup_transport_to_string(def->server->transport));
        if (def->tls != BP_BACKUP_TLS_DEFAULT)
            bp_buf_addf(&server, " tls='%s'",
                        def->tls == BP_BACKUP_TLS_YES ? "yes" : "no");
        bp_buf_escape(&server, " name='%s'", def->server->name);
        if (def->server->port)
            bp_buf_addf(&server, " port='%u'", def->server->port);
        bp_buf_escape(&server, " socket='%s'", def->server->socket);
        bp_buf_escape(&server, " fdgroup='%s'", def->server->fdgroup);
        bp_xml_format_element(&child, "server", &server, NULL);
    }

    for (size_t i = 0; i < def->ndisks; i++)
        bp_backup_disk_def_format(&disks, def->disks[i],
                                  def->mode == BP_BACKUP_MODE_PUSH, internal);
    bp_xml_format_element(&child, "disks", &none, &disks);

    if (internal)
        bp_backup_def_format_private(&child, def);

    bp_xml_format_element(buf, "domainbackup", &attr, &child);
}


char *
bp_backup_def_format_string(const BpBackupDef *def, gboolean internal)
{
    g_auto(BpBuf) buf = BP_BUF_INIT;

    bp_backup_def_format(&buf, def, internal);
    return bp_buf_steal(&buf);
}
