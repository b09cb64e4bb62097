/*
 * blkpoint-checkpoint.c: the checkpoint commands but checkpoint-list and
 * checkpoint-edit (which have files of their own), and what the three
 * files share.  Each command mirrors the virsh command of the same name
 * (its options, messages and output) and calls the Domain and Checkpoint
 * interfaces of org.blkpoint.Blkpoint1 (docs/dbus-api.md).
 */
#include <config.h>

#include <string.h>

#include "blkpoint-checkpoint.h"
#include "blkpoint-output.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"


/* ---- the parts without a daemon ---------------------------------------- */

/*
 * @text escaped for XML text and attribute values as virsh escapes what
 * it puts into a document: the five special characters as entities, and
 * control characters other than tab, newline and carriage return (which
 * XML cannot carry) dropped.  Newly allocated.
 */
char *
bp_xml_escape(const char *text)
{
    GString *out = g_string_new(NULL);

    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '"':
            g_string_append(out, "&quot;");
            break;
        case '\'':
            g_string_append(out, "&apos;");
            break;
        default:
            if ((guchar) *p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                break;
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}


/* Splits @spec at its commas, a doubled comma standing for a comma inside
 * a field (virsh's rule for --diskspec); an array of new strings, the
 * first the disk. */
GPtrArray *
bp_diskspec_split(const char *spec)
{
    GPtrArray *fields = g_ptr_array_new_with_free_func(g_free);
    GString *field = g_string_new(NULL);

    for (const char *p = spec; *p; p++) {
        if (*p != ',') {
            g_string_append_c(field, *p);
        } else if (p[1] == ',') {
            g_string_append_c(field, ',');
            p++;
        } else {
            g_ptr_array_add(fields, g_string_free(field, FALSE));
            field = g_string_new(NULL);
        }
    }
    g_ptr_array_add(fields, g_string_free(field, FALSE));
    return fields;
}


/*
 * Appends the <disk/> element that the --diskspec value @spec
 * ("DISK[,checkpoint=TYPE][,bitmap=NAME]") stands for to @buf, on one
 * line without indentation or newline.  Each key may be given once; any
 * other field fails with virsh's "unable to parse diskspec" and
 * BP_ERROR_INVALID_ARGUMENT.  Values are not checked here: the daemon
 * validates the document.
 */
gboolean
bp_checkpoint_diskspec_format(GString *buf, const char *spec, GError **error)
{
    g_autoptr(GPtrArray) fields = bp_diskspec_split(spec);
    const char *checkpoint = NULL;
    const char *bitmap = NULL;
    g_autofree char *name = NULL;

    for (guint i = 1; i < fields->len; i++) {
        const char *f = g_ptr_array_index(fields, i);

        if (!checkpoint && g_str_has_prefix(f, "checkpoint=")) {
            checkpoint = f + strlen("checkpoint=");
        } else if (!bitmap && g_str_has_prefix(f, "bitmap=")) {
            bitmap = f + strlen("bitmap=");
        } else {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("unable to parse diskspec: %s"), spec);
            return FALSE;
        }
    }

    name = bp_xml_escape(g_ptr_array_index(fields, 0));
    g_string_append_printf(buf, "<disk name='%s'", name);
    if (checkpoint) {
        g_autofree char *v = bp_xml_escape(checkpoint);

        g_string_append_printf(buf, " checkpoint='%s'", v);
    }
    if (bitmap) {
        g_autofree char *v = bp_xml_escape(bitmap);

        g_string_append_printf(buf, " bitmap='%s'", v);
    }
    g_string_append(buf, "/>");
    return TRUE;
}


/*
 * The document a *-create-as command sends, laid out as virsh lays it
 * out: <@root> with <name> and <description> when given (NULL: left
 * out), and <disks> when @diskspecs (NULL-terminated, may be NULL) has
 * any, each appended by @format at indentation 4.  Returns it newly
 * allocated, or NULL with @error from @format for a bad diskspec.
 */
char *
bp_create_as_xml_build(const char *root, const char *name, const char *description,
                       const char *const *diskspecs, BpDiskspecFormatFunc format,
                       GError **error)
{
    g_autoptr(GString) buf = g_string_new(NULL);

    g_string_append_printf(buf, "<%s>\n", root);
    if (name) {
        g_autofree char *v = bp_xml_escape(name);

        g_string_append_printf(buf, "  <name>%s</name>\n", v);
    }
    if (description) {
        g_autofree char *v = bp_xml_escape(description);

        g_string_append_printf(buf, "  <description>%s</description>\n", v);
    }
    if (diskspecs && *diskspecs) {
        g_string_append(buf, "  <disks>\n");
        for (const char *const *d = diskspecs; *d; d++) {
            if (!format(buf, *d, 4, error))
                return NULL;
        }
        g_string_append(buf, "  </disks>\n");
    }
    g_string_append_printf(buf, "</%s>\n", root);
    return g_string_free(g_steal_pointer(&buf), FALSE);
}


/* bp_checkpoint_diskspec_format() on a line of its own. */
static gboolean
bp_checkpoint_diskspec_line(GString *buf, const char *spec, guint indent, GError **error)
{
    g_string_append_printf(buf, "%*s", indent, "");
    if (!bp_checkpoint_diskspec_format(buf, spec, error))
        return FALSE;
    g_string_append_c(buf, '\n');
    return TRUE;
}


/* The <domaincheckpoint> document checkpoint-create-as sends (see
 * bp_create_as_xml_build()). */
char *
bp_checkpoint_xml_build(const char *name, const char *description,
                        const char *const *diskspecs, GError **error)
{
    return bp_create_as_xml_build("domaincheckpoint", name, description, diskspecs,
                                  bp_checkpoint_diskspec_line, error);
}


/*
 * What checkpoint-create-as and snapshot-create-as share: finds the
 * domain of --domain (virsh does so even for --print-xml), builds the
 * document from --name, --description and the --diskspec values with
 * @build, and with --print-xml prints it (as {"xml": ...} with --json)
 * instead of sending it.  Returns FALSE with @error on failure; else
 * sets *@dom and *@xml (new references) when the document is to be
 * sent, and leaves *@xml NULL when --print-xml printed it.
 */
gboolean
bp_create_as_prepare(BpCtl *ctl, const BpCmd *cmd, BpCreateAsBuildFunc build,
                     BpDomain **dom, char **xml, GError **error)
{
    g_autoptr(BpDomain) d = NULL;
    g_autofree char *doc = NULL;
    const char *name = NULL;
    const char *desc = NULL;

    if (!(d = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), NULL, error)) ||
        !bp_cmd_opt_string_req(cmd, "name", &name, error) ||
        !bp_cmd_opt_string_req(cmd, "description", &desc, error) ||
        !(doc = build(name, desc, bp_cmd_opt_argv(cmd), error)))
        return FALSE;
    if (bp_cmd_opt_bool(cmd, "print-xml")) {
        if (ctl->json)
            bp_ctl_print_json_string(ctl, "xml", doc);
        else
            bp_ctl_print(ctl, "%s\n", doc);
        return TRUE;
    }
    *dom = g_steal_pointer(&d);
    *xml = g_steal_pointer(&doc);
    return TRUE;
}


/*
 * A creation time (seconds since the epoch) as checkpoint-list shows it:
 * "%Y-%m-%d %H:%M:%S %z" in @tz, or in local time when @tz is NULL.
 * Newly allocated; a time GDateTime cannot represent is shown as the
 * number.
 */
char *
bp_checkpoint_time_format(guint64 when, GTimeZone *tz)
{
    g_autoptr(GTimeZone) zone = tz ? g_time_zone_ref(tz) : g_time_zone_new_local();
    g_autoptr(GDateTime) utc = NULL;
    g_autoptr(GDateTime) local = NULL;

    if (when <= G_MAXINT64)
        utc = g_date_time_new_from_unix_utc((gint64) when);
    if (utc)
        local = g_date_time_to_timezone(utc, zone);
    if (!local)
        return g_strdup_printf("%" G_GUINT64_FORMAT, when);
    return g_date_time_format(local, "%Y-%m-%d %H:%M:%S %z");
}


/* checkpoint-create's refusals before anything is asked. */
gboolean
bp_checkpoint_create_check(const BpCmd *cmd, GError **error)
{
    return bp_cmd_require(cmd, "redefine-validate", "redefine", error);
}


/* ---- shared ---------------------------------------------------------------- */

/*
 * Finds the checkpoint named by the option @opt of @cmd in the domain
 * @dom and returns a proxy for it; its object path and name go to @path
 * and @name (newly allocated) when they are non-NULL.  As in virsh, a
 * failure records no context: the daemon's message ("no domain
 * checkpoint with matching name 'c9'") is the only error line.
 */
BpCheckpoint *
bp_checkpoint_lookup(BpCtl *ctl, BpDomain *dom, const BpCmd *cmd,
                     const char *opt, char **path, char **name,
                     GError **error)
{
    const char *want = NULL;
    g_autofree char *p = NULL;
    BpCheckpoint *chk;

    if (!bp_cmd_opt_string_req(cmd, opt, &want, error))
        return NULL;
    if (!want) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("--%s is required"), opt);
        return NULL;
    }
    if (!bp_domain_call_checkpoint_lookup_by_name_sync(dom, want,
                                                       bp_ctl_options(ctl, NULL),
                                                       bp_ctl_call_flags(ctl),
                                                       BP_CALL_TIMEOUT_READ,
                                                       &p, NULL, error) ||
        !(chk = bp_ctl_checkpoint_proxy(ctl, p, error)))
        return NULL;
    if (name)
        *name = g_strdup(want);
    if (path)
        *path = g_steal_pointer(&p);
    return chk;
}


/* The name of the checkpoint at @path, newly allocated. */
char *
bp_checkpoint_name_of(BpCtl *ctl, const char *path, GError **error)
{
    g_autoptr(GVariant) v = bp_ctl_get_property(ctl, path, BP_IFACE_CHECKPOINT,
                                                "Name", error);

    return v ? g_variant_dup_string(v, NULL) : NULL;
}


static void
bp_json_string_or_null(JsonBuilder *b, const char *member, const char *value)
{
    json_builder_set_member_name(b, member);
    if (value && *value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}


/*
 * Adds the members of a JSON checkpoint object from its D-Bus properties
 * @props and its parent's name (NULL for a root): name, parent,
 * creation_time, description, current, state, state_reason, disks.
 */
void
bp_checkpoint_json_members(JsonBuilder *b, GVariant *props, const char *parent)
{
    g_autoptr(GVariant) disks = NULL;
    const char *target, *type, *bitmap;
    GVariantIter iter;

    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, bp_props_string(props, "Name"));
    bp_json_string_or_null(b, "parent", parent);
    json_builder_set_member_name(b, "creation_time");
    json_builder_add_int_value(b, (gint64) MIN(bp_props_uint64(props, "CreationTime"),
                                               (guint64) G_MAXINT64));
    bp_json_string_or_null(b, "description", bp_props_string(props, "Description"));
    json_builder_set_member_name(b, "current");
    json_builder_add_boolean_value(b, bp_props_bool(props, "IsCurrent"));
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, bp_props_string(props, "State"));
    bp_json_string_or_null(b, "state_reason", bp_props_string(props, "StateReason"));

    json_builder_set_member_name(b, "disks");
    json_builder_begin_array(b);
    disks = props ? g_variant_lookup_value(props, "Disks", G_VARIANT_TYPE("a(sss)"))
                  : NULL;
    if (disks) {
        g_variant_iter_init(&iter, disks);
        while (g_variant_iter_next(&iter, "(&s&s&s)", &target, &type, &bitmap)) {
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "target");
            json_builder_add_string_value(b, target);
            json_builder_set_member_name(b, "checkpoint");
            json_builder_add_string_value(b, type);
            bp_json_string_or_null(b, "bitmap", bitmap);
            json_builder_end_object(b);
        }
    }
    json_builder_end_array(b);
}


/* ---- checkpoint-create, checkpoint-create-as ----------------------------- */

#define BP_OPT_DOMAIN \
    { "domain", BP_OPT_DATA, TRUE, N_("domain name or uuid") }
#define BP_OPT_CHECKPOINT(help) \
    { "checkpointname", BP_OPT_DATA, TRUE, help }

const BpCmdOptDef bp_opts_checkpoint_create[] = {
    BP_OPT_DOMAIN,
    { "xmlfile", BP_OPT_DATA, FALSE, N_("domain checkpoint XML") },
    { "redefine", BP_OPT_BOOL, FALSE,
      N_("redefine metadata for existing checkpoint") },
    { "redefine-validate", BP_OPT_BOOL, FALSE,
      N_("validate the redefined checkpoint") },
    { "quiesce", BP_OPT_BOOL, FALSE, N_("quiesce guest's file systems") },
    { NULL, 0, FALSE, NULL }
};


/* Sends @xml to CheckpointCreate() with @opts (cleared) and prints what
 * virsh prints; @file is the file the document came from, if any. */
static gboolean
bp_checkpoint_create_xml(BpCtl *ctl, BpDomain *dom, const char *xml,
                         GVariantDict *opts, const char *file, GError **error)
{
    g_autofree char *path = NULL;
    g_autofree char *name = NULL;

    if (!bp_domain_call_checkpoint_create_sync(dom, xml,
                                               bp_ctl_options(ctl, opts),
                                               bp_ctl_call_flags(ctl),
                                               BP_CALL_TIMEOUT_LONG, &path,
                                               NULL, error) ||
        !(name = bp_checkpoint_name_of(ctl, path, error)))
        return FALSE;

    if (ctl->json) {
        bp_ctl_print_json_string(ctl, "name", name);
        return TRUE;
    }
    /* No newline: virsh's sentence ends with the command's empty line. */
    if (file)
        bp_ctl_print_extra(ctl, _("Domain checkpoint %s created from '%s'"),
                           name, file);
    else
        bp_ctl_print_extra(ctl, _("Domain checkpoint %s created"), name);
    return TRUE;
}


gboolean
bp_cmd_checkpoint_create(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    static const char *const flags[] = { "redefine", "redefine-validate", "quiesce" };
    g_autoptr(BpDomain) dom = NULL;
    g_autofree char *xml = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);
    const char *file = NULL;

    if (!bp_checkpoint_create_check(cmd, error) ||
        !(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"),
                                     NULL, error)) ||
        !bp_cmd_opt_string_req(cmd, "xmlfile", &file, error))
        return FALSE;
    /* Without a file, the empty document: named after the time, every
     * disk. */
    if (file && !bp_read_file(file, &xml, error))
        return FALSE;
    for (size_t i = 0; i < G_N_ELEMENTS(flags); i++) {
        if (bp_cmd_opt_bool(cmd, flags[i]))
            g_variant_dict_insert(&opts, flags[i], "b", TRUE);
    }
    return bp_checkpoint_create_xml(ctl, dom, xml ? xml : "", &opts, file, error);
}


const BpCmdOptDef bp_opts_checkpoint_create_as[] = {
    BP_OPT_DOMAIN,
    { "name", BP_OPT_DATA, FALSE, N_("name of checkpoint") },
    { "description", BP_OPT_DATA, FALSE, N_("description of checkpoint") },
    { "print-xml", BP_OPT_BOOL, FALSE, N_("print XML document rather than create") },
    { "quiesce", BP_OPT_BOOL, FALSE, N_("quiesce guest's file systems") },
    { "diskspec", BP_OPT_ARGV, FALSE,
      N_("disk attributes: disk[,checkpoint=type][,bitmap=name]") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_checkpoint_create_as(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autofree char *xml = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);

    if (!bp_create_as_prepare(ctl, cmd, bp_checkpoint_xml_build, &dom, &xml, error))
        return FALSE;
    if (!xml)
        return TRUE;
    if (bp_cmd_opt_bool(cmd, "quiesce"))
        g_variant_dict_insert(&opts, "quiesce", "b", TRUE);
    return bp_checkpoint_create_xml(ctl, dom, xml, &opts, NULL, error);
}


/* ---- checkpoint-dumpxml ---------------------------------------------------- */

const BpCmdOptDef bp_opts_checkpoint_dumpxml[] = {
    BP_OPT_DOMAIN,
    BP_OPT_CHECKPOINT(N_("checkpoint name")),
    { "security-info", BP_OPT_BOOL, FALSE,
      N_("include security sensitive information in XML dump") },
    { "no-domain", BP_OPT_BOOL, FALSE, N_("exclude <domain> from XML") },
    { "size", BP_OPT_BOOL, FALSE, N_("include backup size estimate in XML dump") },
    { "xpath", BP_OPT_STRING, FALSE, N_("xpath expression to filter the XML document") },
    { "wrap", BP_OPT_BOOL, FALSE,
      N_("wrap xpath results in an common root element") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_checkpoint_dumpxml(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    static const char *const flags[] = { "security-info", "no-domain", "size" };
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(BpCheckpoint) chk = NULL;
    g_autofree char *xml = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);

    if (!bp_cmd_require(cmd, "wrap", "xpath", error) ||
        !(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"),
                                     NULL, error)) ||
        !(chk = bp_checkpoint_lookup(ctl, dom, cmd, "checkpointname", NULL,
                                     NULL, error)))
        return FALSE;
    for (size_t i = 0; i < G_N_ELEMENTS(flags); i++) {
        if (bp_cmd_opt_bool(cmd, flags[i]))
            g_variant_dict_insert(&opts, flags[i], "b", TRUE);
    }

    /* The size is asked from QEMU: as long as any call to it. */
    if (!bp_checkpoint_call_get_xml_desc_sync(chk, bp_ctl_options(ctl, &opts),
                                              bp_ctl_call_flags(ctl),
                                              bp_cmd_opt_bool(cmd, "size")
                                              ? BP_CALL_TIMEOUT_LONG
                                              : BP_CALL_TIMEOUT_READ,
                                              &xml, NULL, error))
        return FALSE;

    return bp_ctl_print_xml(ctl, cmd, xml, error);
}


/* ---- checkpoint-info ------------------------------------------------------- */

const BpCmdOptDef bp_opts_checkpoint_info[] = {
    BP_OPT_DOMAIN,
    BP_OPT_CHECKPOINT(N_("checkpoint name")),
    { NULL, 0, FALSE, NULL }
};


/* How many children (or with @descendants, descendants) @chk has. */
static gboolean
bp_checkpoint_count_children(BpCtl *ctl, BpCheckpoint *chk,
                             gboolean descendants, guint *count,
                             GError **error)
{
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);
    g_auto(GStrv) children = NULL;

    if (descendants)
        g_variant_dict_insert(&opts, "descendants", "b", TRUE);
    if (!bp_checkpoint_call_list_children_sync(chk, bp_ctl_options(ctl, &opts),
                                               bp_ctl_call_flags(ctl),
                                               BP_CALL_TIMEOUT_READ, &children,
                                               NULL, error))
        return FALSE;
    *count = g_strv_length(children);
    return TRUE;
}


/* The name of the parent the Parent property @props names, NULL for a
 * root (FALSE only when the parent's name cannot be read). */
static gboolean
bp_checkpoint_parent_name(BpCtl *ctl, GVariant *props, char **parent,
                          GError **error)
{
    const char *path = bp_props_string(props, "Parent");

    *parent = NULL;
    if (!*path || g_str_equal(path, "/"))
        return TRUE;
    return (*parent = bp_checkpoint_name_of(ctl, path, error)) != NULL;
}


gboolean
bp_cmd_checkpoint_info(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(BpCheckpoint) chk = NULL;
    g_autoptr(GVariant) props = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *domain = NULL;
    g_autofree char *path = NULL;
    g_autofree char *name = NULL;
    g_autofree char *parent = NULL;
    g_autofree char *children_s = NULL;
    g_autofree char *descendants_s = NULL;
    g_autofree char *created = NULL;
    const char *reason;
    guint children = 0;
    guint descendants = 0;

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"),
                                     &domain, error)) ||
        !(chk = bp_checkpoint_lookup(ctl, dom, cmd, "checkpointname", &path,
                                     &name, error)) ||
        !(props = bp_ctl_get_all(ctl, path, BP_IFACE_CHECKPOINT, error)) ||
        !bp_checkpoint_parent_name(ctl, props, &parent, error) ||
        !bp_checkpoint_count_children(ctl, chk, FALSE, &children, error) ||
        !bp_checkpoint_count_children(ctl, chk, TRUE, &descendants, error))
        return FALSE;

    if (ctl->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        bp_checkpoint_json_members(b, props, parent);
        json_builder_set_member_name(b, "domain");
        json_builder_add_string_value(b, domain);
        json_builder_set_member_name(b, "children");
        json_builder_add_int_value(b, children);
        json_builder_set_member_name(b, "descendants");
        json_builder_add_int_value(b, descendants);
        json_builder_end_object(b);
        bp_ctl_print_json(ctl, json_builder_get_root(b));
        return TRUE;
    }

#define FIELD(label, value) \
    do { \
        g_autofree char *line_ = bp_field_format((label), (value)); \
        g_string_append(out, line_); \
    } while (0)

    /* virsh's five lines, then what blkpoint knows besides. */
    FIELD(_("Name:"), name);
    FIELD(_("Domain:"), domain);
    FIELD(_("Parent:"), parent ? parent : "-");
    children_s = g_strdup_printf("%u", children);
    FIELD(_("Children:"), children_s);
    descendants_s = g_strdup_printf("%u", descendants);
    FIELD(_("Descendants:"), descendants_s);
    created = bp_checkpoint_time_format(bp_props_uint64(props, "CreationTime"), NULL);
    FIELD(_("Creation Time:"), created);
    FIELD(_("Current:"), bp_props_bool(props, "IsCurrent") ? _("yes") : _("no"));
    FIELD(_("State:"), bp_props_string(props, "State"));
    reason = bp_props_string(props, "StateReason");
    if (*reason)
        FIELD(_("Reason:"), reason);
#undef FIELD

    bp_ctl_print(ctl, "%s", out->str);
    return TRUE;
}


/* ---- checkpoint-parent ----------------------------------------------------- */

const BpCmdOptDef bp_opts_checkpoint_parent[] = {
    BP_OPT_DOMAIN,
    BP_OPT_CHECKPOINT(N_("find parent of checkpoint name")),
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_checkpoint_parent(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(BpCheckpoint) chk = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *name = NULL;
    g_autofree char *path = NULL;
    g_autofree char *parent = NULL;

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"),
                                     NULL, error)) ||
        !(chk = bp_checkpoint_lookup(ctl, dom, cmd, "checkpointname", NULL,
                                     &name, error)))
        return FALSE;

    if (!bp_checkpoint_call_get_parent_sync(chk, bp_ctl_options(ctl, NULL),
                                            bp_ctl_call_flags(ctl),
                                            BP_CALL_TIMEOUT_READ, &path,
                                            NULL, &err)) {
        /* A root: virsh's own message rather than the daemon's. */
        if (g_error_matches(err, BP_ERROR, BP_ERROR_NO_CHECKPOINT)) {
            g_set_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT,
                        _("checkpoint '%s' has no parent"), name);
            return FALSE;
        }
        g_propagate_error(error, g_steal_pointer(&err));
        return FALSE;
    }
    if (!(parent = bp_checkpoint_name_of(ctl, path, error)))
        return FALSE;

    if (ctl->json) {
        bp_ctl_print_json_string(ctl, "parent", parent);
        return TRUE;
    }
    /* As virsh: no newline; the command's empty line ends it. */
    bp_ctl_print(ctl, "%s", parent);
    return TRUE;
}


/* ---- checkpoint-delete ----------------------------------------------------- */

const BpCmdOptDef bp_opts_checkpoint_delete[] = {
    BP_OPT_DOMAIN,
    BP_OPT_CHECKPOINT(N_("checkpoint name")),
    { "children", BP_OPT_BOOL, FALSE, N_("delete checkpoint and all children") },
    { "children-only", BP_OPT_BOOL, FALSE, N_("delete children but not checkpoint") },
    { "metadata", BP_OPT_BOOL, FALSE,
      N_("delete only the catalogue's records, leaving the bitmaps in the images") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_checkpoint_delete(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    static const char *const flags[] = { "children", "children-only", "metadata" };
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(BpCheckpoint) chk = NULL;
    g_autofree char *name = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"),
                                     NULL, error)) ||
        !(chk = bp_checkpoint_lookup(ctl, dom, cmd, "checkpointname", NULL,
                                     &name, error)))
        return FALSE;
    /* --children with --children-only is the daemon's to refuse, as it
     * is libvirt's. */
    for (size_t i = 0; i < G_N_ELEMENTS(flags); i++) {
        if (bp_cmd_opt_bool(cmd, flags[i]))
            g_variant_dict_insert(&opts, flags[i], "b", TRUE);
    }

    if (!bp_checkpoint_call_delete_sync(chk, bp_ctl_options(ctl, &opts),
                                        bp_ctl_call_flags(ctl),
                                        BP_CALL_TIMEOUT_LONG, NULL, error)) {
        bp_ctl_context(ctl, _("Failed to delete checkpoint %s"), name);
        return FALSE;
    }
    if (bp_cmd_opt_bool(cmd, "children-only"))
        bp_ctl_print_extra(ctl, _("Domain checkpoint %s children deleted\n"), name);
    else
        bp_ctl_print_extra(ctl, _("Domain checkpoint %s deleted\n"), name);
    return TRUE;
}
