/*
 * bp-snapshot-object.c: snapshot objects and the snapshot methods (see
 * the header).
 */
#include <config.h>

#include "bp-daemon.h"
#include "bp-domain-object.h"
#include "bp-log.h"
#include "bp-method.h"
#include "bp-object-table.h"
#include "bp-snapshot-object.h"
#include "jobs/bp-snapshot-ops.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_SNAPSHOT_TABLE_KEY "bp-snapshot-table"

static const char *const bp_snapshot_read_methods[] = { "GetXMLDesc", NULL };

static const BpMethodOption bp_options_create[] = {
    { "disk-only", "b" }, { "atomic", "b" }, { "no-metadata", "b" },
    { "reuse-external", "b" }, { "quiesce", "b" }, { NULL, NULL }
};
static const BpMethodOption bp_options_none[] = { { NULL, NULL } };
static const BpMethodOption bp_options_xml[] = { { "security-info", "b" }, { NULL, NULL } };
static const BpMethodOption bp_options_delete[] = { { "metadata", "b" }, { NULL, NULL } };


static BpDaemonDomain *
bp_snapshot_domain(BpMethodArgs *args)
{
    return BP_DAEMON_DOMAIN(args->target);
}


char *
bp_snapshot_object_path(const char *domain_path, const char *name)
{
    g_autofree char *escaped = g_dbus_escape_object_path(name);

    return g_strdup_printf("%s/snapshot/%s", domain_path, escaped);
}


/* ---- the table ------------------------------------------------------------- */

static void bp_snapshot_connect_methods(BpObjectEntry *obj);


static BpObjectTable *
bp_snapshot_table_get(BpDaemonDomain *dom)
{
    return g_object_get_data(G_OBJECT(dom), BP_SNAPSHOT_TABLE_KEY);
}


void
bp_snapshot_table_clear(BpDaemonDomain *dom)
{
    BpObjectTable *table = bp_snapshot_table_get(dom);

    if (table)
        bp_object_table_clear(table);
}


static void
bp_snapshot_obj_update(BpObjectEntry *obj, gconstpointer data)
{
    const BpStoreSnapshot *row = data;
    BpSnapshot *iface = BP_SNAPSHOT(obj->iface);
    const char *dompath = bp_daemon_domain_get_path(obj->dom);
    g_autofree char *parent = row->parent ? bp_snapshot_object_path(dompath, row->parent)
                                          : g_strdup("/");
    GVariantBuilder disks;

    bp_snapshot_set_parent(iface, parent);
    bp_snapshot_set_creation_time(iface, (guint64) MAX(row->creation_time, 0));
    bp_snapshot_set_description(iface, row->description ? row->description : "");
    bp_snapshot_set_state(iface, row->state ? row->state : "");
    bp_snapshot_set_is_current(iface, row->current);
    g_variant_builder_init(&disks, G_VARIANT_TYPE("a(sss)"));
    for (guint i = 0; row->disks && i < row->disks->len; i++) {
        const BpStoreSnapshotDisk *disk = g_ptr_array_index(row->disks, i);

        g_variant_builder_add(&disks, "(sss)", disk->target,
                              disk->external ? "external" : "no",
                              disk->external && disk->file ? disk->file : "");
    }
    bp_snapshot_set_disks(iface, g_variant_builder_end(&disks));
}


static void
bp_snapshot_obj_init(BpObjectEntry *obj)
{
    BpSnapshot *iface = bp_snapshot_skeleton_new();

    obj->iface = G_DBUS_INTERFACE_SKELETON(iface);
    bp_snapshot_set_name(iface, obj->name);
    bp_snapshot_set_domain(iface, bp_daemon_domain_get_path(obj->dom));
    bp_snapshot_connect_methods(obj);
    bp_object_skeleton_set_snapshot(obj->object, iface);
}


static const char *
bp_snapshot_row_name(gconstpointer row)
{
    return ((const BpStoreSnapshot *) row)->name;
}


static const BpObjectTableClass bp_snapshot_table_class = {
    .path = bp_snapshot_object_path,
    .init = bp_snapshot_obj_init,
    .update = bp_snapshot_obj_update,
    .row_name = bp_snapshot_row_name,
};


void
bp_snapshot_table_sync(BpDaemonDomain *dom)
{
    BpObjectTable *table = bp_snapshot_table_get(dom);
    BpDaemon *daemon = bp_daemon_domain_get_daemon(dom);
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) rows = NULL;

    if (!table)
        return;
    if (!(rows = bp_store_snapshot_list(daemon->store, bp_daemon_domain_get_id(dom), &err))) {
        bp_log_domain(G_LOG_LEVEL_WARNING, bp_daemon_domain_get_name(dom),
                      "cannot read the snapshots: %s", err->message);
        return;
    }
    bp_object_table_sync(table, rows, NULL);
}


/* ---- reconciliation ------------------------------------------------------------ */

static void
bp_snapshot_reconcile_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                         gpointer user_data)
{
    BpDaemonDomain *dom = user_data;
    g_autoptr(GError) err = NULL;
    BpDomainDef *def = NULL;
    guint changed = 0;

    if (!bp_snapshot_ops_reconcile_finish(result, &changed, &def, &err))
        bp_log_domain(G_LOG_LEVEL_WARNING, bp_daemon_domain_get_name(dom),
                      "interrupted snapshots not settled: %s", err->message);
    else if (changed)
        bp_log_domain(G_LOG_LEVEL_MESSAGE, bp_daemon_domain_get_name(dom),
                      "settled %u interrupted snapshot creations", changed);
    if (def)
        bp_daemon_domain_set_def(dom, def);
    bp_snapshot_table_sync(dom);
    bp_daemon_domain_op_done(dom);
}


static void
bp_snapshot_reconcile_op(BpDaemonDomain *dom, gpointer data G_GNUC_UNUSED)
{
    BpDaemon *daemon = bp_daemon_domain_get_daemon(dom);
    g_autoptr(BpBlockAccess) access = NULL;
    g_autoptr(GError) err = NULL;

    /* Without an access the shut-off rules apply (they need none). */
    if (!(access = bp_daemon_domain_block_access(dom, &err)))
        bp_log_domain(G_LOG_LEVEL_INFO, bp_daemon_domain_get_name(dom),
                      "snapshots reconciled without the images: %s", err->message);
    bp_snapshot_ops_reconcile_async(daemon->store, bp_daemon_domain_get_id(dom), access,
                                    NULL, bp_snapshot_reconcile_cb, dom);
}


void
bp_snapshot_queue_reconcile(BpDaemonDomain *dom)
{
    bp_daemon_domain_enqueue(dom, bp_snapshot_reconcile_op, NULL);
}


/* ---- Domain.SnapshotCreate ------------------------------------------------------ */

static void
bp_snapshot_create_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer user_data)
{
    BpMethodArgs *args = user_data;
    g_autoptr(BpDaemonDomain) dom = g_object_ref(bp_snapshot_domain(args));
    g_autoptr(GError) err = NULL;
    g_autofree char *name = NULL;
    BpDomainDef *def = NULL;

    name = bp_snapshot_ops_create_finish(result, &def, &err);
    if (def)
        bp_daemon_domain_set_def(dom, def);
    bp_snapshot_table_sync(dom);
    if (!name) {
        bp_method_fail(args, err);
    } else {
        bp_log_domain(G_LOG_LEVEL_MESSAGE, bp_daemon_domain_get_name(dom),
                      "snapshot %s created", name);
        bp_method_return(args, g_variant_new("(s)", name));
    }
    bp_daemon_domain_op_done(dom);
}


static void
bp_snapshot_create_op(BpDaemonDomain *dom, gpointer data)
{
    static const BpMethodFlag create_flags[] = {
        { "no-metadata", BP_SNAPSHOT_CREATE_NO_METADATA },
        { "reuse-external", BP_SNAPSHOT_CREATE_REUSE_EXTERNAL },
        { "quiesce", BP_SNAPSHOT_CREATE_QUIESCE },
        { NULL, 0 }
    };
    BpMethodArgs *args = data;
    g_autoptr(BpBlockAccess) access = NULL;

    if (!bp_daemon_domain_check_present(dom, args))
        return;
    if (!(access = bp_daemon_domain_op_access(dom, args)))
        return;
    bp_snapshot_ops_create_async(args->daemon->store, bp_daemon_domain_get_id(dom), access,
                                 args->arg, bp_method_option_flags(args, create_flags),
                                 g_get_real_time() / G_USEC_PER_SEC, NULL,
                                 bp_snapshot_create_cb, args);
}


static void
bp_snapshot_create_authorized(BpMethodArgs *args)
{
    bp_daemon_domain_enqueue(bp_snapshot_domain(args), bp_snapshot_create_op, args);
}


static gboolean
bp_snapshot_handle_create(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                          const char *xml, GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;

    return bp_daemon_domain_authorize(dom, invocation, options, xml, bp_options_create,
                                      BP_AUTH_MANAGE, bp_snapshot_create_authorized);
}


/* ---- Domain.SnapshotLookupByName and ListSnapshots ----------------------------- */

static void
bp_snapshot_lookup_authorized(BpMethodArgs *args)
{
    BpDaemonDomain *dom = bp_snapshot_domain(args);
    g_autoptr(GError) err = NULL;
    g_autoptr(BpStoreSnapshot) row = NULL;
    g_autofree char *path = NULL;

    if (!(row = bp_store_snapshot_get(args->daemon->store, bp_daemon_domain_get_id(dom),
                                      args->arg, &err))) {
        bp_method_fail(args, err);
        return;
    }
    path = bp_snapshot_object_path(bp_daemon_domain_get_path(dom), row->name);
    bp_method_return(args, g_variant_new("(o)", path));
}


static gboolean
bp_snapshot_handle_lookup(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                          const char *name, GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;

    return bp_daemon_domain_authorize(dom, invocation, options, name, bp_options_none,
                                      BP_AUTH_READ, bp_snapshot_lookup_authorized);
}


static void
bp_snapshot_list_authorized(BpMethodArgs *args)
{
    BpDaemonDomain *dom = bp_snapshot_domain(args);
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    GVariantBuilder paths;

    if (!(rows = bp_store_snapshot_list(args->daemon->store, bp_daemon_domain_get_id(dom),
                                        &err))) {
        bp_method_fail(args, err);
        return;
    }
    g_variant_builder_init(&paths, G_VARIANT_TYPE("ao"));
    for (guint i = 0; i < rows->len; i++) {
        const BpStoreSnapshot *row = g_ptr_array_index(rows, i);
        g_autofree char *path = bp_snapshot_object_path(bp_daemon_domain_get_path(dom),
                                                        row->name);

        g_variant_builder_add(&paths, "o", path);
    }
    bp_method_return(args, g_variant_new("(ao)", &paths));
}


static gboolean
bp_snapshot_handle_list(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                        GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;

    return bp_daemon_domain_authorize(dom, invocation, options, NULL, bp_options_none,
                                      BP_AUTH_READ, bp_snapshot_list_authorized);
}


void
bp_snapshot_connect_domain_methods(BpDaemonDomain *dom, BpDomain *iface)
{
    g_object_set_data_full(G_OBJECT(dom), BP_SNAPSHOT_TABLE_KEY,
                           bp_object_table_new(dom, &bp_snapshot_table_class),
                           (GDestroyNotify) bp_object_table_free);
    g_signal_connect(iface, "handle-snapshot-create",
                     G_CALLBACK(bp_snapshot_handle_create), dom);
    g_signal_connect(iface, "handle-snapshot-lookup-by-name",
                     G_CALLBACK(bp_snapshot_handle_lookup), dom);
    g_signal_connect(iface, "handle-list-snapshots",
                     G_CALLBACK(bp_snapshot_handle_list), dom);
}


/* ---- Snapshot.GetXMLDesc and Delete ------------------------------------------------ */

static void
bp_snapshot_xml_authorized(BpMethodArgs *args)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *xml = NULL;

    if (!(xml = bp_snapshot_ops_get_xml(args->daemon->store,
                                        bp_daemon_domain_get_id(bp_snapshot_domain(args)),
                                        args->arg, 0, &err))) {
        bp_method_fail(args, err);
        return;
    }
    bp_method_return(args, g_variant_new("(s)", xml));
}


static gboolean
bp_snapshot_handle_get_xml_desc(BpSnapshot *iface G_GNUC_UNUSED,
                                GDBusMethodInvocation *invocation,
                                GVariant *options, gpointer user_data)
{
    BpObjectEntry *obj = user_data;

    return bp_daemon_domain_authorize(obj->dom, invocation, options, obj->name, bp_options_xml,
                                      BP_AUTH_READ, bp_snapshot_xml_authorized);
}


static void
bp_snapshot_delete_op(BpDaemonDomain *dom, gpointer data)
{
    BpMethodArgs *args = data;
    g_autoptr(GError) err = NULL;

    if (!bp_daemon_domain_check_present(dom, args))
        return;
    if (!bp_store_snapshot_delete(args->daemon->store, bp_daemon_domain_get_id(dom),
                                  args->arg, &err)) {
        bp_method_fail(args, err);
    } else {
        bp_log_domain(G_LOG_LEVEL_MESSAGE, bp_daemon_domain_get_name(dom),
                      "snapshot %s metadata deleted", args->arg);
        bp_snapshot_table_sync(dom);
        bp_method_return(args, NULL);
    }
    bp_daemon_domain_op_done(dom);
}


static void
bp_snapshot_delete_authorized(BpMethodArgs *args)
{
    if (!bp_method_option_bool(args, "metadata")) {
        g_autoptr(GError) err =
            g_error_new(BP_ERROR, BP_ERROR_OPERATION_UNSUPPORTED,
                        _("deleting the data of external snapshot '%s' is not supported; "
                          "delete its metadata only (\"metadata\"), and merge the "
                          "overlays with a block commit"), args->arg);

        bp_method_fail(args, err);
        return;
    }
    bp_daemon_domain_enqueue(bp_snapshot_domain(args), bp_snapshot_delete_op, args);
}


static gboolean
bp_snapshot_handle_delete(BpSnapshot *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                          GVariant *options, gpointer user_data)
{
    BpObjectEntry *obj = user_data;

    return bp_daemon_domain_authorize(obj->dom, invocation, options, obj->name,
                                      bp_options_delete, BP_AUTH_MANAGE,
                                      bp_snapshot_delete_authorized);
}


static void
bp_snapshot_connect_methods(BpObjectEntry *obj)
{
    BpDaemon *daemon = bp_daemon_domain_get_daemon(obj->dom);

    g_signal_connect(obj->iface, "handle-get-xml-desc",
                     G_CALLBACK(bp_snapshot_handle_get_xml_desc), obj);
    g_signal_connect(obj->iface, "handle-delete",
                     G_CALLBACK(bp_snapshot_handle_delete), obj);
    bp_method_connect_unimplemented(daemon, obj->iface, bp_snapshot_read_methods);
}
