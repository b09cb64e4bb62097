/*
 * blkpoint-domain.c: the domain commands.  Each mirrors the virsh command
 * of the same name (its options, messages and output) and makes the
 * matching org.blkpoint.Blkpoint1 call (docs/dbus-api.md).
 */
#include <config.h>

#include "blkpoint-domain.h"
#include "blkpoint-output.h"
#include "blkpoint-util.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"
#include "util/bp-xml.h"

/* The State property as virsh words it ("shut off", "running", ...),
 * translated; a state this client does not know is shown as it is. */
const char *
bp_domain_state_display(const char *state)
{
    if (g_str_equal(state, "shutoff"))
        return _("shut off");
    if (g_str_equal(state, "running"))
        return _("running");
    if (g_str_equal(state, "starting"))
        return _("starting");
    if (g_str_equal(state, "stopping"))
        return _("in shutdown");
    if (g_str_equal(state, "crashed"))
        return _("crashed");
    return state;
}


/* The Id column: the process ID of a running storage domain's
 * qemu-storage-daemon, "-" when nothing runs (newly allocated). */
static char *
bp_domain_id_display(GVariant *props)
{
    guint32 pid = bp_props_uint(props, "Pid");

    return pid ? g_strdup_printf("%u", pid) : g_strdup("-");
}


/* Adds the members every JSON domain object has. */
static void
bp_domain_json_members(JsonBuilder *b, GVariant *props)
{
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, bp_props_string(props, "Name"));
    json_builder_set_member_name(b, "uuid");
    json_builder_add_string_value(b, bp_props_string(props, "UUID"));
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, bp_props_string(props, "State"));
    json_builder_set_member_name(b, "runtime");
    json_builder_add_string_value(b, bp_props_string(props, "Runtime"));
    json_builder_set_member_name(b, "persistent");
    json_builder_add_boolean_value(b, bp_props_bool(props, "Persistent"));
    json_builder_set_member_name(b, "autostart");
    json_builder_add_boolean_value(b, bp_props_bool(props, "Autostart"));
    json_builder_set_member_name(b, "pid");
    json_builder_add_int_value(b, bp_props_uint(props, "Pid"));
}


/* ---- define, undefine, start, shutdown, destroy ---------------------- */

const BpCmdOptDef bp_opts_define[] = {
    { "file", BP_OPT_DATA, TRUE, N_("file containing an XML domain description") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_define(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    const char *file = bp_cmd_opt_string(cmd, "file");
    g_autofree char *xml = NULL;
    g_autofree char *path = NULL;
    g_autoptr(GVariant) name = NULL;

    if (!bp_read_file(file, &xml, error) ||
        !bp_ctl_connect(ctl, error))
        return FALSE;

    if (!bp_manager_call_define_domain_sync(ctl->manager, xml,
                                            bp_ctl_options(ctl, NULL),
                                            bp_ctl_call_flags(ctl),
                                            BP_CALL_TIMEOUT_LONG, &path,
                                            NULL, error) ||
        !(name = bp_ctl_get_property(ctl, path, BP_IFACE_DOMAIN, "Name",
                                     error))) {
        bp_ctl_context(ctl, _("Failed to define domain from '%s'"), file);
        return FALSE;
    }
    bp_ctl_print_extra(ctl, _("Domain '%s' defined from '%s'\n"),
                       g_variant_get_string(name, NULL), file);
    return TRUE;
}


#define BP_OPT_DOMAIN(help) \
    { "domain", BP_OPT_DATA, TRUE, help }

const BpCmdOptDef bp_opts_undefine[] = {
    BP_OPT_DOMAIN(N_("domain name or uuid")),
    { "checkpoints-metadata", BP_OPT_BOOL, FALSE,
      N_("remove all domain checkpoint metadata (the bitmaps stay in the images)") },
    { "snapshots-metadata", BP_OPT_BOOL, FALSE,
      N_("remove all domain snapshot metadata (the overlays stay in the chains)") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_undefine(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autofree char *name = NULL;
    g_autoptr(BpDomain) dom = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"),
                                     &name, error)))
        return FALSE;
    if (bp_cmd_opt_bool(cmd, "checkpoints-metadata"))
        g_variant_dict_insert(&opts, "checkpoints-metadata", "b", TRUE);
    if (bp_cmd_opt_bool(cmd, "snapshots-metadata"))
        g_variant_dict_insert(&opts, "snapshots-metadata", "b", TRUE);

    if (!bp_domain_call_undefine_sync(dom, bp_ctl_options(ctl, &opts),
                                      bp_ctl_call_flags(ctl),
                                      BP_CALL_TIMEOUT_LONG, NULL, error)) {
        bp_ctl_context(ctl, _("Failed to undefine domain '%s'"), name);
        return FALSE;
    }
    bp_ctl_print_extra(ctl, _("Domain '%s' has been undefined\n"), name);
    return TRUE;
}


const BpCmdOptDef bp_opts_start[] = {
    BP_OPT_DOMAIN(N_("name of the inactive domain")),
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_start(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autofree char *name = NULL;
    g_autoptr(BpDomain) dom = NULL;

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"),
                                     &name, error)))
        return FALSE;

    if (!bp_domain_call_start_sync(dom, bp_ctl_options(ctl, NULL),
                                   bp_ctl_call_flags(ctl),
                                   BP_CALL_TIMEOUT_LONG, NULL, error)) {
        bp_ctl_context(ctl, _("Failed to start domain '%s'"), name);
        return FALSE;
    }
    bp_ctl_print_extra(ctl, _("Domain '%s' started\n"), name);
    return TRUE;
}


const BpCmdOptDef bp_opts_domain_only[] = {
    BP_OPT_DOMAIN(N_("domain name or uuid")),
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_shutdown(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autofree char *name = NULL;
    g_autoptr(BpDomain) dom = NULL;

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"),
                                     &name, error)))
        return FALSE;

    if (!bp_domain_call_shutdown_sync(dom, bp_ctl_options(ctl, NULL),
                                      bp_ctl_call_flags(ctl),
                                      BP_CALL_TIMEOUT_LONG, NULL, error)) {
        bp_ctl_context(ctl, _("Failed to shutdown domain '%s'"), name);
        return FALSE;
    }
    bp_ctl_print_extra(ctl, _("Domain '%s' is being shutdown\n"), name);
    return TRUE;
}


const BpCmdOptDef bp_opts_destroy[] = {
    BP_OPT_DOMAIN(N_("domain name or uuid")),
    { "graceful", BP_OPT_BOOL, FALSE,
      N_("terminate gracefully: SIGTERM only, never SIGKILL") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_destroy(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autofree char *name = NULL;
    g_autoptr(BpDomain) dom = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"),
                                     &name, error)))
        return FALSE;
    if (bp_cmd_opt_bool(cmd, "graceful"))
        g_variant_dict_insert(&opts, "graceful", "b", TRUE);

    if (!bp_domain_call_destroy_sync(dom, bp_ctl_options(ctl, &opts),
                                     bp_ctl_call_flags(ctl),
                                     BP_CALL_TIMEOUT_LONG, NULL, error)) {
        bp_ctl_context(ctl, _("Failed to destroy domain '%s'"), name);
        return FALSE;
    }
    bp_ctl_print_extra(ctl, _("Domain '%s' destroyed\n"), name);
    return TRUE;
}


/* ---- list ------------------------------------------------------------ */

const BpCmdOptDef bp_opts_list[] = {
    { "inactive", BP_OPT_BOOL, FALSE, N_("list inactive domains") },
    { "all", BP_OPT_BOOL, FALSE, N_("list inactive & active domains") },
    { "transient", BP_OPT_BOOL, FALSE, N_("list transient domains") },
    { "persistent", BP_OPT_BOOL, FALSE, N_("list persistent domains") },
    { "with-checkpoint", BP_OPT_BOOL, FALSE,
      N_("list domains with existing checkpoint") },
    { "without-checkpoint", BP_OPT_BOOL, FALSE,
      N_("list domains without a checkpoint") },
    { "uuid", BP_OPT_BOOL, FALSE, N_("list uuid's only") },
    { "name", BP_OPT_BOOL, FALSE, N_("list domain names only") },
    { NULL, 0, FALSE, NULL }
};


/* Running domains first, then the others; by name within each, ignoring
 * case (virsh orders running domains by Id, which blkpoint has not). */
static gint
bp_domain_props_compare(gconstpointer a, gconstpointer b)
{
    GVariant *pa = *(GVariant *const *) a;
    GVariant *pb = *(GVariant *const *) b;
    gboolean ia = g_str_equal(bp_props_string(pa, "State"), "shutoff");
    gboolean ib = g_str_equal(bp_props_string(pb, "State"), "shutoff");
    g_autofree char *na = NULL;
    g_autofree char *nb = NULL;
    int c;

    if (ia != ib)
        return ia ? 1 : -1;
    na = g_utf8_casefold(bp_props_string(pa, "Name"), -1);
    nb = g_utf8_casefold(bp_props_string(pb, "Name"), -1);
    if ((c = g_utf8_collate(na, nb)) != 0)
        return c;
    return strcmp(bp_props_string(pa, "Name"), bp_props_string(pb, "Name"));
}


/* The properties of every domain ListDomains() returns for the filters
 * of @cmd, sorted for display. */
static GPtrArray *
bp_list_collect(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    static const char *const filters[] = {
        "persistent", "transient", "with-checkpoint", "without-checkpoint",
    };
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);
    g_auto(GStrv) paths = NULL;
    g_autoptr(GPtrArray) list = NULL;

    if (!bp_cmd_opt_bool(cmd, "all")) {
        g_variant_dict_insert(&opts, bp_cmd_opt_bool(cmd, "inactive")
                                     ? "inactive" : "active", "b", TRUE);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(filters); i++) {
        if (bp_cmd_opt_bool(cmd, filters[i]))
            g_variant_dict_insert(&opts, filters[i], "b", TRUE);
    }

    if (!bp_ctl_connect(ctl, error))
        return NULL;
    if (!bp_manager_call_list_domains_sync(ctl->manager,
                                           bp_ctl_options(ctl, &opts),
                                           bp_ctl_call_flags(ctl),
                                           BP_CALL_TIMEOUT_READ, &paths,
                                           NULL, error)) {
        bp_ctl_context(ctl, _("Failed to list domains"));
        return NULL;
    }

    list = g_ptr_array_new_with_free_func((GDestroyNotify) g_variant_unref);
    for (size_t i = 0; paths[i]; i++) {
        g_autoptr(GError) err = NULL;
        GVariant *props = bp_ctl_get_all(ctl, paths[i], BP_IFACE_DOMAIN, &err);

        if (!props) {
            /* Undefined since the list was made: skip it, as virsh does. */
            if (g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
                g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE) ||
                g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD))
                continue;
            g_propagate_error(error, g_steal_pointer(&err));
            bp_ctl_context(ctl, _("Failed to list domains"));
            return NULL;
        }
        g_ptr_array_add(list, props);
    }
    g_ptr_array_sort(list, bp_domain_props_compare);
    return g_steal_pointer(&list);
}


gboolean
bp_cmd_list(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    gboolean opt_name = bp_cmd_opt_bool(cmd, "name");
    gboolean opt_uuid = bp_cmd_opt_bool(cmd, "uuid");
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(BpTable) table = NULL;
    g_autofree char *text = NULL;

    if (!(list = bp_list_collect(ctl, cmd, error)))
        return FALSE;

    if (ctl->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_array(b);
        for (guint i = 0; i < list->len; i++) {
            json_builder_begin_object(b);
            bp_domain_json_members(b, g_ptr_array_index(list, i));
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        bp_ctl_print_json(ctl, json_builder_get_root(b));
        return TRUE;
    }

    if (opt_name || opt_uuid) {
        for (guint i = 0; i < list->len; i++) {
            GVariant *props = g_ptr_array_index(list, i);

            if (opt_uuid && opt_name)
                bp_ctl_print(ctl, "%s %s\n", bp_props_string(props, "UUID"),
                             bp_props_string(props, "Name"));
            else
                bp_ctl_print(ctl, "%s\n", bp_props_string(props, opt_uuid
                                                          ? "UUID" : "Name"));
        }
        return TRUE;
    }

    table = bp_table_new(_("Id"), _("Name"), _("State"), NULL);
    for (guint i = 0; i < list->len; i++) {
        GVariant *props = g_ptr_array_index(list, i);
        g_autofree char *id = bp_domain_id_display(props);

        bp_table_add_row(table, id, bp_props_string(props, "Name"),
                         bp_domain_state_display(bp_props_string(props, "State")),
                         NULL);
    }
    text = bp_table_format(table, !ctl->opts.quiet);
    bp_ctl_print(ctl, "%s", text);
    return TRUE;
}


/* ---- dominfo --------------------------------------------------------- */

/*
 * The number of checkpoints of the domain at @path and the name of its
 * current one (NULL for none), from the object manager: every checkpoint
 * is an object whose Domain property is the domain's path.  One call,
 * whichever checkpoint methods the daemon implements.
 */
static gboolean
bp_dominfo_checkpoints(BpCtl *ctl, const char *path, GVariant *props,
                       guint *count, char **current, GError **error)
{
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) objects = NULL;
    const char *cur = bp_props_string(props, "CurrentCheckpoint");
    const char *opath;
    GVariant *ifaces;
    GVariantIter iter;

    if (!(reply = g_dbus_connection_call_sync(ctl->bus, BP_BUS_NAME,
                                              BP_MANAGER_PATH,
                                              "org.freedesktop.DBus.ObjectManager",
                                              "GetManagedObjects", NULL,
                                              G_VARIANT_TYPE("(a{oa{sa{sv}}})"),
                                              G_DBUS_CALL_FLAGS_NONE,
                                              BP_CALL_TIMEOUT_READ, NULL,
                                              error)))
        return FALSE;

    *count = 0;
    *current = NULL;
    objects = g_variant_get_child_value(reply, 0);
    g_variant_iter_init(&iter, objects);
    while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", &opath, &ifaces)) {
        g_autoptr(GVariant) owned = ifaces;
        g_autoptr(GVariant) chk = g_variant_lookup_value(ifaces, BP_IFACE_CHECKPOINT,
                                                         G_VARIANT_TYPE("a{sv}"));

        if (!chk || !g_str_equal(bp_props_string(chk, "Domain"), path))
            continue;
        (*count)++;
        if (g_str_equal(opath, cur)) {
            g_free(*current);
            *current = g_strdup(bp_props_string(chk, "Name"));
        }
    }
    return TRUE;
}


gboolean
bp_cmd_dominfo(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(GVariant) props = NULL;
    g_autofree char *current = NULL;
    g_autofree char *id = NULL;
    g_autofree char *checkpoints = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    const char *path;
    guint count = 0;

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"),
                                     NULL, error)))
        return FALSE;
    path = g_dbus_proxy_get_object_path(G_DBUS_PROXY(dom));
    if (!(props = bp_ctl_get_all(ctl, path, BP_IFACE_DOMAIN, error)) ||
        !bp_dominfo_checkpoints(ctl, path, props, &count, &current, error))
        return FALSE;

    if (ctl->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        bp_domain_json_members(b, props);
        json_builder_set_member_name(b, "checkpoints");
        json_builder_add_int_value(b, count);
        json_builder_set_member_name(b, "current_checkpoint");
        if (current)
            json_builder_add_string_value(b, current);
        else
            json_builder_add_null_value(b);
        json_builder_end_object(b);
        bp_ctl_print_json(ctl, json_builder_get_root(b));
        return TRUE;
    }

#define FIELD(label, value) \
    do { \
        g_autofree char *line_ = bp_field_format((label), (value)); \
        g_string_append(out, line_); \
    } while (0)

    id = bp_domain_id_display(props);
    FIELD(_("Id:"), id);
    FIELD(_("Name:"), bp_props_string(props, "Name"));
    FIELD(_("UUID:"), bp_props_string(props, "UUID"));
    FIELD(_("State:"), bp_domain_state_display(bp_props_string(props, "State")));
    FIELD(_("Runtime:"), bp_props_string(props, "Runtime"));
    FIELD(_("Persistent:"), bp_props_bool(props, "Persistent") ? _("yes") : _("no"));
    FIELD(_("Autostart:"),
          bp_props_bool(props, "Autostart") ? _("enable") : _("disable"));
    if (current)
        checkpoints = g_strdup_printf(_("%u (current: %s)"), count, current);
    else
        checkpoints = g_strdup_printf("%u", count);
    FIELD(_("Checkpoints:"), checkpoints);
#undef FIELD

    bp_ctl_print(ctl, "%s", out->str);
    return TRUE;
}


/* ---- dumpxml --------------------------------------------------------- */

const BpCmdOptDef bp_opts_dumpxml[] = {
    BP_OPT_DOMAIN(N_("domain name or uuid")),
    { "inactive", BP_OPT_BOOL, FALSE, N_("show inactive defined XML") },
    { "security-info", BP_OPT_BOOL, FALSE,
      N_("include security sensitive information in XML dump") },
    { "xpath", BP_OPT_STRING, FALSE, N_("xpath expression to filter the XML document") },
    { "wrap", BP_OPT_BOOL, FALSE,
      N_("wrap xpath results in an common root element") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_dumpxml(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autofree char *xml = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);

    if (!bp_cmd_require(cmd, "wrap", "xpath", error))
        return FALSE;
    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"),
                                     NULL, error)))
        return FALSE;
    if (bp_cmd_opt_bool(cmd, "inactive"))
        g_variant_dict_insert(&opts, "inactive", "b", TRUE);
    if (bp_cmd_opt_bool(cmd, "security-info"))
        g_variant_dict_insert(&opts, "security-info", "b", TRUE);

    if (!bp_domain_call_get_xml_desc_sync(dom, bp_ctl_options(ctl, &opts),
                                          bp_ctl_call_flags(ctl),
                                          BP_CALL_TIMEOUT_READ, &xml,
                                          NULL, error))
        return FALSE;

    return bp_ctl_print_xml(ctl, cmd, xml, error);
}


/* ---- domblklist ------------------------------------------------------ */

const BpCmdOptDef bp_opts_domblklist[] = {
    BP_OPT_DOMAIN(N_("domain name or uuid")),
    { "inactive", BP_OPT_BOOL, FALSE,
      N_("get inactive rather than running configuration") },
    { "details", BP_OPT_BOOL, FALSE,
      N_("additionally display the type, device, format and export") },
    { NULL, 0, FALSE, NULL }
};


/* @s, or "-" when it is empty (virsh's NULLSTR_MINUS). */
static const char *
bp_or_minus(const char *s)
{
    return s && *s ? s : "-";
}


gboolean
bp_cmd_domblklist(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    gboolean details = bp_cmd_opt_bool(cmd, "details");
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(GVariant) disks = NULL;
    g_autoptr(BpTable) table = NULL;
    g_autofree char *text = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);
    const char *target, *type, *device, *source, *format, *export;
    gboolean any_export = FALSE;
    GVariantIter iter;

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"),
                                     NULL, error)))
        return FALSE;
    if (bp_cmd_opt_bool(cmd, "inactive"))
        g_variant_dict_insert(&opts, "inactive", "b", TRUE);
    if (!bp_domain_call_list_disks_sync(dom, bp_ctl_options(ctl, &opts),
                                        bp_ctl_call_flags(ctl),
                                        BP_CALL_TIMEOUT_READ, &disks,
                                        NULL, error))
        return FALSE;

    if (ctl->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        const char *const keys[] = { "target", "type", "device", "source",
                                     "format", "export" };

        json_builder_begin_array(b);
        g_variant_iter_init(&iter, disks);
        while (g_variant_iter_next(&iter, "(&s&s&s&s&s&s)", &target, &type,
                                   &device, &source, &format, &export)) {
            const char *const values[] = { target, type, device, source,
                                           format, export };

            json_builder_begin_object(b);
            for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
                json_builder_set_member_name(b, keys[i]);
                if (*values[i])
                    json_builder_add_string_value(b, values[i]);
                else
                    json_builder_add_null_value(b);
            }
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        bp_ctl_print_json(ctl, json_builder_get_root(b));
        return TRUE;
    }

    /* virsh's two columns, and the export where the domain has one. */
    g_variant_iter_init(&iter, disks);
    while (g_variant_iter_next(&iter, "(&s&s&s&s&s&s)", &target, &type,
                               &device, &source, &format, &export))
        any_export |= *export != '\0';

    if (details)
        table = bp_table_new(_("Type"), _("Device"), _("Target"), _("Source"),
                             _("Format"), _("Export"), NULL);
    else if (any_export)
        table = bp_table_new(_("Target"), _("Source"), _("Export"), NULL);
    else
        table = bp_table_new(_("Target"), _("Source"), NULL);

    g_variant_iter_init(&iter, disks);
    while (g_variant_iter_next(&iter, "(&s&s&s&s&s&s)", &target, &type,
                               &device, &source, &format, &export)) {
        if (details)
            bp_table_add_row(table, type, device, target, bp_or_minus(source),
                             bp_or_minus(format), bp_or_minus(export), NULL);
        else if (any_export)
            bp_table_add_row(table, target, bp_or_minus(source),
                             bp_or_minus(export), NULL);
        else
            bp_table_add_row(table, target, bp_or_minus(source), NULL);
    }
    text = bp_table_format(table, !ctl->opts.quiet);
    bp_ctl_print(ctl, "%s", text);
    return TRUE;
}
