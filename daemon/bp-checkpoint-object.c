/*
 * bp-checkpoint-object.c: checkpoint objects and the checkpoint methods
 * (see the header).
 */
#include <config.h>

#include "bp-checkpoint-object.h"
#include "bp-daemon.h"
#include "bp-domain-object.h"
#include "bp-log.h"
#include "bp-method.h"
#include "bp-object-table.h"
#include "jobs/bp-checkpoint-ops.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

/* Wraps the objects so that bp-domain-object.c keeps its own type. */
struct _BpCheckpointTable {
    BpDaemonDomain *dom;        /* not owned: it owns the table */
    BpObjectTable *objects;     /* of checkpoint objects */
};

static const char *const bp_checkpoint_read_methods[] = {
    "GetXMLDesc", "GetParent", "ListChildren", NULL
};

static const BpMethodOption bp_options_create[] = {
    { "redefine", "b" }, { "redefine-validate", "b" }, { "quiesce", "b" }, { NULL, NULL }
};
static const BpMethodOption bp_options_none[] = { { NULL, NULL } };
static const BpMethodOption bp_options_list[] = {
    { "roots", "b" }, { "topological", "b" }, { "leaves", "b" }, { "no-leaves", "b" },
    { NULL, NULL }
};
static const BpMethodOption bp_options_children[] = {
    { "descendants", "b" }, { "topological", "b" }, { "leaves", "b" }, { "no-leaves", "b" },
    { NULL, NULL }
};
static const BpMethodOption bp_options_xml[] = {
    { "security-info", "b" }, { "no-domain", "b" }, { "size", "b" }, { NULL, NULL }
};
static const BpMethodOption bp_options_delete[] = {
    { "children", "b" }, { "children-only", "b" }, { "metadata", "b" }, { NULL, NULL }
};


static BpDaemon *
bp_checkpoint_daemon(BpMethodArgs *args)
{
    return args->daemon;
}


static BpDaemonDomain *
bp_checkpoint_domain(BpMethodArgs *args)
{
    return BP_DAEMON_DOMAIN(args->target);
}


/* ---- the table ------------------------------------------------------------- */

static void bp_checkpoint_connect_methods(BpObjectEntry *obj);


/* The State property for a catalogue state. */
static const char *
bp_checkpoint_state_name(BpStoreCheckpointState state)
{
    switch (state) {
    case BP_STORE_CHECKPOINT_READY:
        return "valid";
    case BP_STORE_CHECKPOINT_PENDING:
        return "pending";
    case BP_STORE_CHECKPOINT_DELETING:
        return "deleting";
    case BP_STORE_CHECKPOINT_BROKEN:
    case BP_STORE_CHECKPOINT_STATE_LAST:
    default:
        return "inconsistent";
    }
}


static void
bp_checkpoint_obj_update(BpObjectEntry *obj, gconstpointer data)
{
    const BpStoreCheckpoint *row = data;
    BpCheckpoint *iface = BP_CHECKPOINT(obj->iface);
    const char *dompath = bp_daemon_domain_get_path(obj->dom);
    g_autofree char *parent = row->parent ? bp_daemon_domain_checkpoint_path(dompath,
                                                                             row->parent)
                                          : g_strdup("/");
    GVariantBuilder disks;

    bp_checkpoint_set_parent(iface, parent);
    bp_checkpoint_set_creation_time(iface, (guint64) MAX(row->creation_time, 0));
    bp_checkpoint_set_description(iface, row->description ? row->description : "");
    bp_checkpoint_set_is_current(iface, row->current);
    bp_checkpoint_set_state(iface, bp_checkpoint_state_name(row->state));
    bp_checkpoint_set_state_reason(iface,
                                   row->state == BP_STORE_CHECKPOINT_BROKEN && row->reason
                                   ? row->reason : "");
    g_variant_builder_init(&disks, G_VARIANT_TYPE("a(sss)"));
    for (guint i = 0; row->disks && i < row->disks->len; i++) {
        const BpStoreCheckpointDisk *disk = g_ptr_array_index(row->disks, i);

        g_variant_builder_add(&disks, "(sss)", disk->target,
                              disk->included ? "bitmap" : "no",
                              disk->included && disk->bitmap ? disk->bitmap : "");
    }
    bp_checkpoint_set_disks(iface, g_variant_builder_end(&disks));
}


static void
bp_checkpoint_obj_init(BpObjectEntry *obj)
{
    BpCheckpoint *iface = bp_checkpoint_skeleton_new();

    obj->iface = G_DBUS_INTERFACE_SKELETON(iface);
    bp_checkpoint_set_name(iface, obj->name);
    bp_checkpoint_set_domain(iface, bp_daemon_domain_get_path(obj->dom));
    bp_checkpoint_connect_methods(obj);
    bp_object_skeleton_set_checkpoint(obj->object, iface);
}


static const char *
bp_checkpoint_row_name(gconstpointer row)
{
    return ((const BpStoreCheckpoint *) row)->name;
}


static const BpObjectTableClass bp_checkpoint_table_class = {
    .path = bp_daemon_domain_checkpoint_path,
    .init = bp_checkpoint_obj_init,
    .update = bp_checkpoint_obj_update,
    .row_name = bp_checkpoint_row_name,
};


BpCheckpointTable *
bp_checkpoint_table_new(BpDaemonDomain *dom)
{
    BpCheckpointTable *table = g_new0(BpCheckpointTable, 1);

    table->dom = dom;
    table->objects = bp_object_table_new(dom, &bp_checkpoint_table_class);
    return table;
}


void
bp_checkpoint_table_free(BpCheckpointTable *table)
{
    if (!table)
        return;
    bp_object_table_free(table->objects);
    g_free(table);
}


void
bp_checkpoint_table_clear(BpCheckpointTable *table)
{
    bp_object_table_clear(table->objects);
}


void
bp_checkpoint_table_sync(BpCheckpointTable *table)
{
    BpDaemonDomain *dom = table->dom;
    BpDaemon *daemon = bp_daemon_domain_get_daemon(dom);
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    const BpStoreCheckpoint *current_row = NULL;
    const char *current;

    rows = bp_store_checkpoint_list(daemon->store, bp_daemon_domain_get_id(dom),
                                    BP_STORE_CHECKPOINTS_ALL, NULL,
                                    BP_STORE_LIST_TOPOLOGICAL | BP_STORE_LIST_DISKS, &err);
    if (!rows) {
        bp_log_domain(G_LOG_LEVEL_WARNING, bp_daemon_domain_get_name(dom),
                      "cannot read the checkpoints: %s", err->message);
        return;
    }
    for (guint i = 0; i < rows->len; i++) {
        const BpStoreCheckpoint *row = g_ptr_array_index(rows, i);

        if (row->current)
            current_row = row;
    }
    current = bp_object_table_sync(table->objects, rows, current_row);
    bp_domain_set_current_checkpoint(bp_daemon_domain_get_iface(dom), current ? current : "/");
    g_dbus_interface_skeleton_flush(G_DBUS_INTERFACE_SKELETON(bp_daemon_domain_get_iface(dom)));
}


/* ---- reconciliation ------------------------------------------------------------ */

static void
bp_checkpoint_reconcile_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                           gpointer user_data)
{
    BpDaemonDomain *dom = user_data;
    g_autoptr(GError) err = NULL;
    guint changed = 0;

    if (!bp_checkpoint_ops_reconcile_finish(result, &changed, &err))
        bp_log_domain(G_LOG_LEVEL_WARNING, bp_daemon_domain_get_name(dom),
                      "checkpoints not reconciled: %s", err->message);
    else if (changed)
        bp_log_domain(G_LOG_LEVEL_MESSAGE, bp_daemon_domain_get_name(dom),
                      "reconciled %u checkpoints with the images", changed);
    bp_checkpoint_table_sync(bp_daemon_domain_get_checkpoints(dom));
    bp_daemon_domain_op_done(dom);
}


static void
bp_checkpoint_reconcile_op(BpDaemonDomain *dom, gpointer data G_GNUC_UNUSED)
{
    BpDaemon *daemon = bp_daemon_domain_get_daemon(dom);
    g_autoptr(BpBlockAccess) access = NULL;
    g_autoptr(GError) err = NULL;

    if (!(access = bp_daemon_domain_block_access(dom, &err))) {
        bp_log_domain(G_LOG_LEVEL_WARNING, bp_daemon_domain_get_name(dom),
                      "checkpoints not reconciled: %s", err->message);
        bp_daemon_domain_op_done(dom);
        return;
    }
    bp_checkpoint_ops_reconcile_async(daemon->store, bp_daemon_domain_get_id(dom), access,
                                      NULL, bp_checkpoint_reconcile_cb, dom);
}


void
bp_checkpoint_queue_reconcile(BpDaemonDomain *dom)
{
    bp_daemon_domain_enqueue(dom, bp_checkpoint_reconcile_op, NULL);
}


/* ---- answers --------------------------------------------------------------------- */

/* Ends a queued checkpoint operation: objects in step, the answer, the
 * next operation. */
static void
bp_checkpoint_op_end(BpMethodArgs *args, GVariant *value, const GError *error)
{
    g_autoptr(BpDaemonDomain) dom = g_object_ref(bp_checkpoint_domain(args));

    bp_checkpoint_table_sync(bp_daemon_domain_get_checkpoints(dom));
    if (error)
        bp_method_fail(args, error);
    else
        bp_method_return(args, value);
    bp_daemon_domain_op_done(dom);
}


/* An object path list from checkpoint names. */
static GVariant *
bp_checkpoint_paths(BpDaemonDomain *dom, GPtrArray *names)
{
    GVariantBuilder paths;

    g_variant_builder_init(&paths, G_VARIANT_TYPE("ao"));
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = bp_daemon_domain_checkpoint_path(bp_daemon_domain_get_path(dom),
                                                                 names->pdata[i]);

        g_variant_builder_add(&paths, "o", path);
    }
    return g_variant_new("(ao)", &paths);
}


/* Starts a queued operation: the block access, or the call answered. */
static BpBlockAccess *
bp_checkpoint_op_access(BpMethodArgs *args)
{
    g_autoptr(GError) err = NULL;
    BpBlockAccess *access = bp_daemon_domain_block_access(bp_checkpoint_domain(args), &err);

    if (!access)
        bp_checkpoint_op_end(args, NULL, err);
    return access;
}


/* ---- Domain.CheckpointCreate ------------------------------------------------- */

static void
bp_checkpoint_create_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                        gpointer user_data)
{
    BpMethodArgs *args = user_data;
    BpDaemonDomain *dom = bp_checkpoint_domain(args);
    g_autoptr(GError) err = NULL;
    g_autofree char *name = NULL;
    g_autofree char *path = NULL;

    if (!(name = bp_checkpoint_ops_create_finish(result, &err))) {
        bp_checkpoint_op_end(args, NULL, err);
        return;
    }
    bp_log_domain(G_LOG_LEVEL_MESSAGE, bp_daemon_domain_get_name(dom), "checkpoint %s %s",
                  name, bp_method_option_bool(args, "redefine") ? "redefined" : "created");
    path = bp_daemon_domain_checkpoint_path(bp_daemon_domain_get_path(dom), name);
    bp_checkpoint_op_end(args, g_variant_new("(o)", path), NULL);
}


static void
bp_checkpoint_create_op(BpDaemonDomain *dom, gpointer data)
{
    static const BpMethodFlag create_flags[] = {
        { "redefine", BP_CHECKPOINT_CREATE_REDEFINE },
        { "redefine-validate", BP_CHECKPOINT_CREATE_REDEFINE_VALIDATE },
        { "quiesce", BP_CHECKPOINT_CREATE_QUIESCE },
        { NULL, 0 }
    };
    BpMethodArgs *args = data;
    g_autoptr(BpBlockAccess) access = NULL;

    if (!bp_daemon_domain_check_present(dom, args) ||
        !(access = bp_checkpoint_op_access(args)))
        return;
    bp_checkpoint_ops_create_async(bp_checkpoint_daemon(args)->store,
                                   bp_daemon_domain_get_id(dom), access, args->arg,
                                   bp_method_option_flags(args, create_flags),
                                   g_get_real_time() / G_USEC_PER_SEC, NULL,
                                   bp_checkpoint_create_cb, args);
}


static void
bp_checkpoint_create_authorized(BpMethodArgs *args)
{
    bp_daemon_domain_enqueue(bp_checkpoint_domain(args), bp_checkpoint_create_op, args);
}


static gboolean
bp_checkpoint_handle_create(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                            const char *xml, GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;

    return bp_daemon_domain_authorize(dom, invocation, options, xml, bp_options_create,
                                      BP_AUTH_MANAGE, bp_checkpoint_create_authorized);
}


/* ---- Domain.CheckpointLookupByName and ListCheckpoints ------------------------ */

static void
bp_checkpoint_lookup_authorized(BpMethodArgs *args)
{
    BpDaemonDomain *dom = bp_checkpoint_domain(args);
    g_autoptr(GError) err = NULL;
    g_autoptr(BpStoreCheckpoint) row = NULL;
    g_autofree char *path = NULL;

    if (!(row = bp_store_checkpoint_get(args->daemon->store, bp_daemon_domain_get_id(dom),
                                        args->arg, &err))) {
        bp_method_fail(args, err);
        return;
    }
    path = bp_daemon_domain_checkpoint_path(bp_daemon_domain_get_path(dom), row->name);
    bp_method_return(args, g_variant_new("(o)", path));
}


static gboolean
bp_checkpoint_handle_lookup(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                            const char *name, GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;

    return bp_daemon_domain_authorize(dom, invocation, options, name, bp_options_none,
                                      BP_AUTH_READ, bp_checkpoint_lookup_authorized);
}


/* The list flags of a ListCheckpoints or ListChildren call. */
static const BpMethodFlag bp_checkpoint_list_flags[] = {
    { "roots", BP_CHECKPOINT_LIST_ROOTS },
    { "descendants", BP_CHECKPOINT_LIST_DESCENDANTS },
    { "topological", BP_CHECKPOINT_LIST_TOPOLOGICAL },
    { "leaves", BP_CHECKPOINT_LIST_LEAVES },
    { "no-leaves", BP_CHECKPOINT_LIST_NO_LEAVES },
    { NULL, 0 }
};


/* ListCheckpoints (args->arg NULL) and Checkpoint.ListChildren. */
static void
bp_checkpoint_list_authorized(BpMethodArgs *args)
{
    BpDaemonDomain *dom = bp_checkpoint_domain(args);
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) names = NULL;

    names = bp_checkpoint_ops_list(args->daemon->store, bp_daemon_domain_get_id(dom),
                                   args->arg, bp_method_option_flags(args, bp_checkpoint_list_flags), &err);
    if (!names) {
        bp_method_fail(args, err);
        return;
    }
    bp_method_return(args, bp_checkpoint_paths(dom, names));
}


static gboolean
bp_checkpoint_handle_list(BpDomain *iface G_GNUC_UNUSED, GDBusMethodInvocation *invocation,
                          GVariant *options, gpointer user_data)
{
    BpDaemonDomain *dom = user_data;

    return bp_daemon_domain_authorize(dom, invocation, options, NULL, bp_options_list,
                                      BP_AUTH_READ, bp_checkpoint_list_authorized);
}


void
bp_checkpoint_connect_domain_methods(BpDaemonDomain *dom, BpDomain *iface)
{
    g_signal_connect(iface, "handle-checkpoint-create",
                     G_CALLBACK(bp_checkpoint_handle_create), dom);
    g_signal_connect(iface, "handle-checkpoint-lookup-by-name",
                     G_CALLBACK(bp_checkpoint_handle_lookup), dom);
    g_signal_connect(iface, "handle-list-checkpoints",
                     G_CALLBACK(bp_checkpoint_handle_list), dom);
}


/* ---- Checkpoint.GetXMLDesc ------------------------------------------------------ */

static const BpMethodFlag bp_checkpoint_xml_flags[] = {
    { "security-info", BP_CHECKPOINT_XML_SECURE },
    { "no-domain", BP_CHECKPOINT_XML_NO_DOMAIN },
    { "size", BP_CHECKPOINT_XML_SIZE },
    { NULL, 0 }
};


static void
bp_checkpoint_size_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer user_data)
{
    BpMethodArgs *args = user_data;
    g_autoptr(GError) err = NULL;
    g_autofree char *xml = bp_checkpoint_ops_get_xml_finish(result, &err);

    bp_checkpoint_op_end(args, xml ? g_variant_new("(s)", xml) : NULL, err);
}


/* With "size": temporary bitmaps, so in the queue. */
static void
bp_checkpoint_size_op(BpDaemonDomain *dom, gpointer data)
{
    BpMethodArgs *args = data;
    g_autoptr(BpBlockAccess) access = NULL;

    if (!bp_daemon_domain_check_present(dom, args) ||
        !(access = bp_checkpoint_op_access(args)))
        return;
    bp_checkpoint_ops_get_xml_async(args->daemon->store, bp_daemon_domain_get_id(dom),
                                    access, args->arg, bp_method_option_flags(args, bp_checkpoint_xml_flags), NULL,
                                    bp_checkpoint_size_cb, args);
}


static void
bp_checkpoint_xml_authorized(BpMethodArgs *args)
{
    BpDaemonDomain *dom = bp_checkpoint_domain(args);
    g_autoptr(GError) err = NULL;
    g_autofree char *xml = NULL;

    if (bp_method_option_bool(args, "size")) {
        bp_daemon_domain_enqueue(dom, bp_checkpoint_size_op, args);
        return;
    }
    if (!(xml = bp_checkpoint_ops_get_xml(args->daemon->store, bp_daemon_domain_get_id(dom),
                                          args->arg, bp_method_option_flags(args, bp_checkpoint_xml_flags), &err))) {
        bp_method_fail(args, err);
        return;
    }
    bp_method_return(args, g_variant_new("(s)", xml));
}


/* The Checkpoint methods' handlers: the call's target is the domain, its
 * string argument the checkpoint's name. */
static gboolean
bp_checkpoint_handle_get_xml_desc(BpCheckpoint *iface G_GNUC_UNUSED,
                                  GDBusMethodInvocation *invocation,
                                  GVariant *options, gpointer user_data)
{
    BpObjectEntry *obj = user_data;
    gboolean secure = FALSE;

    /* Secrets are for those who may change the domain anyway. */
    g_variant_lookup(options, "security-info", "b", &secure);
    return bp_daemon_domain_authorize(obj->dom, invocation, options, obj->name, bp_options_xml,
                                      secure ? BP_AUTH_MANAGE : BP_AUTH_READ,
                                      bp_checkpoint_xml_authorized);
}


/* ---- Checkpoint.Delete ------------------------------------------------------------ */

static void
bp_checkpoint_delete_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result,
                        gpointer user_data)
{
    BpMethodArgs *args = user_data;
    g_autoptr(GError) err = NULL;

    if (bp_checkpoint_ops_delete_finish(result, &err))
        bp_log_domain(G_LOG_LEVEL_MESSAGE, bp_daemon_domain_get_name(bp_checkpoint_domain(args)),
                      "checkpoint %s deleted%s", args->arg,
                      bp_method_option_bool(args, "children") ? " with its children"
                      : bp_method_option_bool(args, "children-only") ? " (children only)"
                      : "");
    bp_checkpoint_op_end(args, NULL, err);
}


static void
bp_checkpoint_delete_op(BpDaemonDomain *dom, gpointer data)
{
    static const BpMethodFlag delete_flags[] = {
        { "children", BP_CHECKPOINT_DELETE_CHILDREN },
        { "children-only", BP_CHECKPOINT_DELETE_CHILDREN_ONLY },
        { "metadata", BP_CHECKPOINT_DELETE_METADATA },
        { NULL, 0 }
    };
    BpMethodArgs *args = data;
    g_autoptr(BpBlockAccess) access = NULL;
    unsigned int flags;

    if (!bp_daemon_domain_check_present(dom, args))
        return;
    flags = bp_method_option_flags(args, delete_flags);
    /* --metadata leaves the images alone: no access to them needed */
    if (!(flags & BP_CHECKPOINT_DELETE_METADATA) &&
        !(access = bp_checkpoint_op_access(args)))
        return;
    bp_checkpoint_ops_delete_async(args->daemon->store, bp_daemon_domain_get_id(dom), access,
                                   args->arg, flags, NULL, bp_checkpoint_delete_cb, args);
}


static void
bp_checkpoint_delete_authorized(BpMethodArgs *args)
{
    bp_daemon_domain_enqueue(bp_checkpoint_domain(args), bp_checkpoint_delete_op, args);
}


static gboolean
bp_checkpoint_handle_delete(BpCheckpoint *iface G_GNUC_UNUSED,
                            GDBusMethodInvocation *invocation,
                            GVariant *options, gpointer user_data)
{
    BpObjectEntry *obj = user_data;

    return bp_daemon_domain_authorize(obj->dom, invocation, options, obj->name,
                                      bp_options_delete, BP_AUTH_MANAGE,
                                      bp_checkpoint_delete_authorized);
}


/* ---- Checkpoint.GetParent and ListChildren --------------------------------------- */

static void
bp_checkpoint_parent_authorized(BpMethodArgs *args)
{
    BpDaemonDomain *dom = bp_checkpoint_domain(args);
    g_autoptr(GError) err = NULL;
    g_autoptr(BpStoreCheckpoint) row = NULL;
    g_autofree char *path = NULL;

    if (!(row = bp_store_checkpoint_get(args->daemon->store, bp_daemon_domain_get_id(dom),
                                        args->arg, &err))) {
        bp_method_fail(args, err);
        return;
    }
    if (!row->parent) {
        err = g_error_new(BP_ERROR, BP_ERROR_NO_CHECKPOINT,
                          _("checkpoint '%s' does not have a parent"), row->name);
        bp_method_fail(args, err);
        return;
    }
    path = bp_daemon_domain_checkpoint_path(bp_daemon_domain_get_path(dom), row->parent);
    bp_method_return(args, g_variant_new("(o)", path));
}


static gboolean
bp_checkpoint_handle_get_parent(BpCheckpoint *iface G_GNUC_UNUSED,
                                GDBusMethodInvocation *invocation,
                                GVariant *options, gpointer user_data)
{
    BpObjectEntry *obj = user_data;

    return bp_daemon_domain_authorize(obj->dom, invocation, options, obj->name, bp_options_none,
                                      BP_AUTH_READ, bp_checkpoint_parent_authorized);
}


static gboolean
bp_checkpoint_handle_list_children(BpCheckpoint *iface G_GNUC_UNUSED,
                                   GDBusMethodInvocation *invocation,
                                   GVariant *options, gpointer user_data)
{
    BpObjectEntry *obj = user_data;

    return bp_daemon_domain_authorize(obj->dom, invocation, options, obj->name,
                                      bp_options_children, BP_AUTH_READ,
                                      bp_checkpoint_list_authorized);
}


static void
bp_checkpoint_connect_methods(BpObjectEntry *obj)
{
    BpDaemon *daemon = bp_daemon_domain_get_daemon(obj->dom);

    g_signal_connect(obj->iface, "handle-get-xml-desc",
                     G_CALLBACK(bp_checkpoint_handle_get_xml_desc), obj);
    g_signal_connect(obj->iface, "handle-delete",
                     G_CALLBACK(bp_checkpoint_handle_delete), obj);
    g_signal_connect(obj->iface, "handle-get-parent",
                     G_CALLBACK(bp_checkpoint_handle_get_parent), obj);
    g_signal_connect(obj->iface, "handle-list-children",
                     G_CALLBACK(bp_checkpoint_handle_list_children), obj);
    bp_method_connect_unimplemented(daemon, obj->iface, bp_checkpoint_read_methods);
}
