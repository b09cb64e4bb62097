/*
 * bp-manager.c: the org.blkpoint.Blkpoint1.Manager interface (see the
 * header).
 */
#include <config.h>

#include <string.h>

#include "bp-domain-object.h"
#include "bp-log.h"
#include "bp-manager.h"
#include "bp-method.h"
#include "jobs/bp-domain-ops.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

/* What works today; later issues add checkpoint, backup-push, ... */
static const char *const bp_manager_feature_list[] = {
    "runtime-storage", "runtime-attach", NULL
};

static const char *const bp_manager_read_methods[] = {
    "ListDomains", "LookupDomain", NULL
};

static const BpMethodOption bp_options_none[] = { { NULL, NULL } };
static const BpMethodOption bp_options_list[] = {
    { "active", "b" }, { "inactive", "b" },
    { "persistent", "b" }, { "transient", "b" },
    { "with-checkpoint", "b" }, { "without-checkpoint", "b" },
    { NULL, NULL }
};


const char *const *
bp_manager_features(void)
{
    return bp_manager_feature_list;
}


/* ---- DefineDomain ---------------------------------------------------------- */

static void
bp_manager_define_authorized(BpMethodArgs *args)
{
    BpDaemon *daemon = args->daemon;
    g_autoptr(GError) err = NULL;
    g_autoptr(BpDomainDef) def = NULL;
    g_autoptr(BpStoreDomain) row = NULL;
    gboolean has_uuid = FALSE;
    gboolean created = FALSE;
    BpDaemonDomain *dom;

    if (!(def = bp_domain_ops_parse(args->arg, &has_uuid, &err)) ||
        !(row = bp_domain_ops_define(daemon->store, def, has_uuid, &created, &err))) {
        bp_method_fail(args, err);
        return;
    }
    if ((dom = g_hash_table_lookup(daemon->domains, def->name))) {
        bp_daemon_domain_set_def(dom, g_steal_pointer(&def));
    } else {
        g_autoptr(BpDaemonDomain) fresh = bp_daemon_domain_new(daemon, row->id,
                                                               g_steal_pointer(&def));

        bp_daemon_add_domain(daemon, fresh);
        dom = fresh;
    }
    bp_log_domain(G_LOG_LEVEL_MESSAGE, row->name, "%s", created ? "defined" : "redefined");
    bp_method_return(args, g_variant_new("(o)", bp_daemon_domain_get_path(dom)));
}


static gboolean
bp_manager_handle_define_domain(BpManager *manager G_GNUC_UNUSED,
                                GDBusMethodInvocation *invocation,
                                const char *xml, GVariant *options, gpointer user_data)
{
    BpMethodArgs *args = bp_method_args_new(user_data, invocation, NULL, options);

    args->arg = g_strdup(xml);
    bp_method_authorize(args, bp_options_none, BP_AUTH_MANAGE,
                        bp_manager_define_authorized);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}


/* ---- ListDomains ----------------------------------------------------------- */

static gint
bp_manager_compare_names(gconstpointer a, gconstpointer b)
{
    BpDaemonDomain *da = *(BpDaemonDomain *const *) a;
    BpDaemonDomain *db = *(BpDaemonDomain *const *) b;

    return strcmp(bp_daemon_domain_get_name(da), bp_daemon_domain_get_name(db));
}


/* Whether @dom passes the filters of ListDomains; FALSE with @error when
 * the catalogue cannot say. */
static gboolean
bp_manager_domain_matches(BpMethodArgs *args, BpDaemonDomain *dom,
                          gboolean *matches, GError **error)
{
    gboolean active = bp_daemon_domain_is_active(dom);

    *matches = FALSE;
    if ((bp_method_option_bool(args, "active") && !active) ||
        (bp_method_option_bool(args, "inactive") && active) ||
        /* every domain is persistent so far */
        bp_method_option_bool(args, "transient"))
        return TRUE;
    if (bp_method_option_bool(args, "with-checkpoint") ||
        bp_method_option_bool(args, "without-checkpoint")) {
        gint64 n = bp_store_checkpoint_count(args->daemon->store,
                                             bp_daemon_domain_get_id(dom), error);

        if (n < 0)
            return FALSE;
        if ((bp_method_option_bool(args, "with-checkpoint") && n == 0) ||
            (bp_method_option_bool(args, "without-checkpoint") && n > 0))
            return TRUE;
    }
    *matches = TRUE;
    return TRUE;
}


static void
bp_manager_list_authorized(BpMethodArgs *args)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    GVariantBuilder paths;
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, args->daemon->domains);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        g_ptr_array_add(all, value);
    g_ptr_array_sort(all, bp_manager_compare_names);

    g_variant_builder_init(&paths, G_VARIANT_TYPE("ao"));
    for (guint i = 0; i < all->len; i++) {
        BpDaemonDomain *dom = g_ptr_array_index(all, i);
        gboolean matches;

        if (!bp_manager_domain_matches(args, dom, &matches, &err)) {
            g_variant_builder_clear(&paths);
            bp_method_fail(args, err);
            return;
        }
        if (matches)
            g_variant_builder_add(&paths, "o", bp_daemon_domain_get_path(dom));
    }
    bp_method_return(args, g_variant_new("(ao)", &paths));
}


static gboolean
bp_manager_handle_list_domains(BpManager *manager G_GNUC_UNUSED,
                               GDBusMethodInvocation *invocation,
                               GVariant *options, gpointer user_data)
{
    bp_method_authorize(bp_method_args_new(user_data, invocation, NULL, options),
                        bp_options_list, BP_AUTH_READ, bp_manager_list_authorized);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}


/* ---- LookupDomain ---------------------------------------------------------- */

static void
bp_manager_lookup_authorized(BpMethodArgs *args)
{
    BpDaemonDomain *dom = bp_daemon_find_domain(args->daemon, args->arg);
    g_autoptr(GError) err = NULL;

    if (!dom) {
        err = g_error_new(BP_ERROR, BP_ERROR_NO_DOMAIN,
                          _("no domain with matching name or uuid '%s'"), args->arg);
        bp_method_fail(args, err);
        return;
    }
    bp_method_return(args, g_variant_new("(o)", bp_daemon_domain_get_path(dom)));
}


static gboolean
bp_manager_handle_lookup_domain(BpManager *manager G_GNUC_UNUSED,
                                GDBusMethodInvocation *invocation,
                                const char *name, GVariant *options, gpointer user_data)
{
    BpMethodArgs *args = bp_method_args_new(user_data, invocation, NULL, options);

    args->arg = g_strdup(name);
    bp_method_authorize(args, bp_options_none, BP_AUTH_READ, bp_manager_lookup_authorized);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}


BpManager *
bp_manager_object_new(BpDaemon *daemon)
{
    BpManager *manager = bp_manager_skeleton_new();

    bp_manager_set_version(manager, PACKAGE_VERSION);
    bp_manager_set_qemu_version(manager, "");
    {
        g_autoptr(GStrvBuilder) b = g_strv_builder_new();
        g_auto(GStrv) features = NULL;

        g_strv_builder_addv(b, (const char **) bp_manager_feature_list);
        g_strv_builder_add(b, "backup-pull");
        if (daemon->config->nbd_tls_x509_dir)
            g_strv_builder_add(b, "backup-pull-tls");
        features = g_strv_builder_end(b);
        bp_manager_set_features(manager, (const char *const *) features);
    }
    bp_manager_set_max_concurrent_jobs(manager, daemon->config->max_concurrent_jobs);

    g_signal_connect(manager, "handle-define-domain",
                     G_CALLBACK(bp_manager_handle_define_domain), daemon);
    g_signal_connect(manager, "handle-list-domains",
                     G_CALLBACK(bp_manager_handle_list_domains), daemon);
    g_signal_connect(manager, "handle-lookup-domain",
                     G_CALLBACK(bp_manager_handle_lookup_domain), daemon);
    bp_method_connect_unimplemented(daemon, manager, bp_manager_read_methods);
    return manager;
}
