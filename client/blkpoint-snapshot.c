/*
 * blkpoint-snapshot.c: the snapshot commands — snapshot-create,
 * snapshot-create-as, snapshot-list, snapshot-dumpxml, snapshot-current,
 * snapshot-info, snapshot-parent and snapshot-delete — for external disk-only snapshots.  Each mirrors
 * the virsh command of the same name (its options, messages and output)
 * and calls the Domain and Snapshot interfaces of org.blkpoint.Blkpoint1.
 */
#include <config.h>

#include <string.h>

#include "blkpoint-checkpoint.h"
#include "blkpoint-output.h"
#include "blkpoint-snapshot.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_IFACE_SNAPSHOT "org.blkpoint.Blkpoint1.Snapshot"

#define BP_OPT_DOMAIN \
    { "domain", BP_OPT_DATA, TRUE, N_("domain name, id or uuid") }


/* ---- the parts without a daemon ---------------------------------------- */

/*
 * Appends the <disk> element the --diskspec value @spec
 * ("DISK[,snapshot=TYPE][,driver=TYPE][,file=PATH]", a doubled comma
 * standing for a comma) stands for, laid out as virsh lays it out, at
 * indentation @indent.  Each key may be given once; anything else fails
 * with virsh's "unable to parse diskspec".
 */
gboolean
bp_snapshot_diskspec_format(GString *buf, const char *spec, guint indent,
                            GError **error)
{
    g_autoptr(GPtrArray) fields = bp_diskspec_split(spec);
    const char *snapshot = NULL, *driver = NULL, *file = NULL;
    g_autofree char *name = NULL;

    for (guint i = 1; i < fields->len; i++) {
        const char *f = g_ptr_array_index(fields, i);

        if (!snapshot && g_str_has_prefix(f, "snapshot="))
            snapshot = f + strlen("snapshot=");
        else if (!driver && g_str_has_prefix(f, "driver="))
            driver = f + strlen("driver=");
        else if (!file && g_str_has_prefix(f, "file="))
            file = f + strlen("file=");
        else
            goto bad;
    }
    if (!*(const char *) g_ptr_array_index(fields, 0))
        goto bad;

    name = bp_xml_escape(g_ptr_array_index(fields, 0));
    g_string_append_printf(buf, "%*s<disk name='%s'", indent, "", name);
    if (snapshot) {
        g_autofree char *v = bp_xml_escape(snapshot);

        g_string_append_printf(buf, " snapshot='%s'", v);
    }
    if (!driver && !file) {
        g_string_append(buf, "/>\n");
        return TRUE;
    }
    g_string_append(buf, ">\n");
    if (driver) {
        g_autofree char *v = bp_xml_escape(driver);

        g_string_append_printf(buf, "%*s<driver type='%s'/>\n", indent + 2, "", v);
    }
    if (file) {
        g_autofree char *v = bp_xml_escape(file);

        g_string_append_printf(buf, "%*s<source file='%s'/>\n", indent + 2, "", v);
    }
    g_string_append_printf(buf, "%*s</disk>\n", indent, "");
    return TRUE;

 bad:
    g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                _("unable to parse diskspec: %s"), spec);
    return FALSE;
}


/* The <domainsnapshot> document snapshot-create-as sends, as virsh
 * builds it (see bp_create_as_xml_build()).  NULL with @error for a bad
 * diskspec. */
char *
bp_snapshot_xml_build(const char *name, const char *description,
                      const char *const *diskspecs, GError **error)
{
    return bp_create_as_xml_build("domainsnapshot", name, description, diskspecs,
                                  bp_snapshot_diskspec_format, error);
}


/* ---- creating -------------------------------------------------------------- */

static const char *const bp_snapshot_create_flags[] = {
    "no-metadata", "disk-only", "reuse-external", "quiesce", "atomic"
};


/* Sends @xml to SnapshotCreate() with the command's flags and prints
 * what virsh prints; @file is where the document came from, if any. */
static gboolean
bp_snapshot_create_xml(BpCtl *ctl, const BpCmd *cmd, BpDomain *dom, const char *xml,
                       const char *file, GError **error)
{
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);
    g_autofree char *name = NULL;

    /* blkpoint has no memory state to save: say so rather than take a
     * snapshot the user did not ask for. */
    if (!bp_cmd_opt_bool(cmd, "disk-only")) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_OPERATION_UNSUPPORTED,
                            _("only external disk-only snapshots are supported; "
                              "use --disk-only"));
        return FALSE;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bp_snapshot_create_flags); i++) {
        if (bp_cmd_opt_bool(cmd, bp_snapshot_create_flags[i]))
            g_variant_dict_insert(&opts, bp_snapshot_create_flags[i], "b", TRUE);
    }
    if (!bp_domain_call_snapshot_create_sync(dom, xml, bp_ctl_options(ctl, &opts),
                                             bp_ctl_call_flags(ctl), BP_CALL_TIMEOUT_LONG,
                                             &name, NULL, error))
        return FALSE;
    if (ctl->json) {
        bp_ctl_print_json_string(ctl, "name", name);
        return TRUE;
    }
    if (file)
        bp_ctl_print_extra(ctl, _("Domain snapshot %s created from '%s'"), name, file);
    else
        bp_ctl_print_extra(ctl, _("Domain snapshot %s created"), name);
    return TRUE;
}


#define BP_OPTS_SNAPSHOT_FLAGS \
    { "no-metadata", BP_OPT_BOOL, FALSE, N_("take snapshot but create no metadata") }, \
    { "disk-only", BP_OPT_BOOL, FALSE, N_("capture disk state but not vm state") }, \
    { "reuse-external", BP_OPT_BOOL, FALSE, N_("reuse any existing external files") }, \
    { "quiesce", BP_OPT_BOOL, FALSE, N_("quiesce guest's file systems") }, \
    { "atomic", BP_OPT_BOOL, FALSE, N_("require atomic operation") }

const BpCmdOptDef bp_opts_snapshot_create[] = {
    BP_OPT_DOMAIN,
    { "xmlfile", BP_OPT_DATA, FALSE, N_("domain snapshot XML") },
    BP_OPTS_SNAPSHOT_FLAGS,
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_snapshot_create(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autofree char *xml = NULL;
    const char *file = NULL;

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), NULL, error)) ||
        !bp_cmd_opt_string_req(cmd, "xmlfile", &file, error))
        return FALSE;
    if (file && !bp_read_file(file, &xml, error))
        return FALSE;
    return bp_snapshot_create_xml(ctl, cmd, dom, xml ? xml : "<domainsnapshot/>", file, error);
}


const BpCmdOptDef bp_opts_snapshot_create_as[] = {
    BP_OPT_DOMAIN,
    { "name", BP_OPT_DATA, FALSE, N_("name of snapshot") },
    { "description", BP_OPT_DATA, FALSE, N_("description of snapshot") },
    { "print-xml", BP_OPT_BOOL, FALSE, N_("print XML document rather than create") },
    BP_OPTS_SNAPSHOT_FLAGS,
    { "diskspec", BP_OPT_ARGV, FALSE,
      N_("disk attributes: disk[,snapshot=type][,driver=type][,file=name]") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_snapshot_create_as(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autofree char *xml = NULL;

    if (bp_cmd_opt_bool(cmd, "no-metadata") && bp_cmd_opt_bool(cmd, "print-xml")) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("--print-xml is incompatible with --no-metadata"));
        return FALSE;
    }
    if (!bp_create_as_prepare(ctl, cmd, bp_snapshot_xml_build, &dom, &xml, error))
        return FALSE;
    if (!xml)
        return TRUE;
    return bp_snapshot_create_xml(ctl, cmd, dom, xml, NULL, error);
}


/* ---- looking up ---------------------------------------------------------------- */

/* The snapshot object path of @name in @dom; the daemon's NoSnapshot
 * message is the only error line, as in virsh. */
static char *
bp_snapshot_lookup(BpCtl *ctl, BpDomain *dom, const char *name, GError **error)
{
    char *path = NULL;

    if (!bp_domain_call_snapshot_lookup_by_name_sync(dom, name, bp_ctl_options(ctl, NULL),
                                                     bp_ctl_call_flags(ctl),
                                                     BP_CALL_TIMEOUT_READ, &path, NULL,
                                                     error))
        return NULL;
    return path;
}


/* Every snapshot of @dom with its properties, oldest first. */
static GPtrArray *
bp_snapshot_collect(BpCtl *ctl, BpDomain *dom, GError **error)
{
    g_autoptr(GPtrArray) list =
        g_ptr_array_new_with_free_func((GDestroyNotify) bp_list_entry_free);
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
    g_auto(GStrv) paths = NULL;

    if (!bp_domain_call_list_snapshots_sync(dom, bp_ctl_options(ctl, NULL),
                                            bp_ctl_call_flags(ctl), BP_CALL_TIMEOUT_READ,
                                            &paths, NULL, error))
        return NULL;
    for (size_t i = 0; paths[i]; i++) {
        BpListEntry *e = g_new0(BpListEntry, 1);

        g_ptr_array_add(list, e);
        e->path = g_strdup(paths[i]);
        if (!(e->props = bp_ctl_get_all(ctl, paths[i], BP_IFACE_SNAPSHOT, error)))
            return NULL;
        e->name = g_strdup(bp_props_string(e->props, "Name"));
        g_hash_table_insert(names, e->path, e->name);
    }
    for (guint i = 0; i < list->len; i++) {
        BpListEntry *e = g_ptr_array_index(list, i);

        e->parent = g_strdup(g_hash_table_lookup(names, bp_props_string(e->props, "Parent")));
    }
    return g_steal_pointer(&list);
}


/* The entry of the snapshot named @want in @list (the current one when
 * @want is NULL); NoSnapshot naming @domname when there is none. */
static BpListEntry *
bp_snapshot_find(GPtrArray *list, const char *want, const char *domname, GError **error)
{
    for (guint i = 0; i < list->len; i++) {
        BpListEntry *e = g_ptr_array_index(list, i);

        if (want ? g_str_equal(e->name, want) : bp_props_bool(e->props, "IsCurrent"))
            return e;
    }
    if (want)
        g_set_error(error, BP_ERROR, BP_ERROR_NO_SNAPSHOT,
                    _("no domain snapshot with matching name '%s' in domain '%s'"),
                    want, domname);
    else
        g_set_error(error, BP_ERROR, BP_ERROR_NO_SNAPSHOT,
                    _("domain '%s' has no current snapshot"), domname);
    return NULL;
}


/* The number of children (or with @descendants, of descendants) of @name. */
static guint
bp_snapshot_count_below(GPtrArray *list, const char *name, gboolean descendants)
{
    guint n = 0;

    for (guint i = 0; i < list->len; i++) {
        BpListEntry *e = g_ptr_array_index(list, i);

        if (g_strcmp0(e->parent, name) != 0)
            continue;
        n++;
        if (descendants)
            n += bp_snapshot_count_below(list, e->name, TRUE);
    }
    return n;
}


/* ---- snapshot-list ---------------------------------------------------------------- */

const BpCmdOptDef bp_opts_snapshot_list[] = {
    BP_OPT_DOMAIN,
    { "parent", BP_OPT_BOOL, FALSE, N_("add a column showing parent snapshot") },
    { "roots", BP_OPT_BOOL, FALSE, N_("list only snapshots without parents") },
    { "leaves", BP_OPT_BOOL, FALSE, N_("list only snapshots without children") },
    { "no-leaves", BP_OPT_BOOL, FALSE,
      N_("list only snapshots that are not leaves (with children)") },
    { "tree", BP_OPT_BOOL, FALSE, N_("list snapshots in a tree") },
    { "from", BP_OPT_DATA, FALSE, N_("limit list to children of given snapshot") },
    { "current", BP_OPT_BOOL, FALSE, N_("limit list to children of current snapshot") },
    { "descendants", BP_OPT_BOOL, FALSE,
      N_("with --from or --current, list all descendants") },
    { "name", BP_OPT_BOOL, FALSE, N_("list snapshot names only") },
    { NULL, 0, FALSE, NULL }
};


/*
 * snapshot-list's refusals, in virsh's order and with its messages,
 * before anything is asked: the checkpoint-list pairs plus --roots with
 * --current, --leaves or --no-leaves with --tree, --descendants without
 * --from or --current.
 */
static gboolean
bp_snapshot_list_check(const BpCmd *cmd, GError **error)
{
    static const char *const pairs[][2] = {
        { "tree", "name" },
        { "parent", "roots" },
        { "parent", "tree" },
        { "roots", "tree" },
        { "roots", "from" },
        { "roots", "current" },
    };
    static const char *const filters[] = { "leaves", "no-leaves" };

    for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
        if (!bp_cmd_exclusive(cmd, pairs[i][0], pairs[i][1], error))
            return FALSE;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(filters); i++) {
        if (bp_cmd_opt_bool(cmd, filters[i]) && bp_cmd_opt_bool(cmd, "tree")) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("--%s and --tree are mutually exclusive"), filters[i]);
            return FALSE;
        }
    }
    if (bp_cmd_opt_bool(cmd, "descendants") && !bp_cmd_opt_bool(cmd, "from") &&
        !bp_cmd_opt_bool(cmd, "current")) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("--descendants requires either --from or --current"));
        return FALSE;
    }
    return TRUE;
}


/* Whether @e is below @start in @list: its child or, with @descendants,
 * any descendant.  @byname maps names to the entries of @list. */
static gboolean
bp_snapshot_is_below(GHashTable *byname, const BpListEntry *e, const char *start,
                     gboolean descendants)
{
    guint depth = g_hash_table_size(byname);

    while (e && e->parent && depth--) {
        if (g_str_equal(e->parent, start))
            return TRUE;
        if (!descendants)
            return FALSE;
        e = g_hash_table_lookup(byname, e->parent);
    }
    return FALSE;
}


/*
 * Narrows @list (every snapshot of the domain) to what @cmd's filters
 * keep: --roots, the children (--descendants: all descendants) of
 * @start, --leaves, --no-leaves (both: nothing, as in libvirt).  With
 * --tree, @start stays, marked as the root to draw from.
 */
static void
bp_snapshot_list_filter(const BpCmd *cmd, GPtrArray *list, const BpListEntry *start)
{
    g_autoptr(GHashTable) byname = g_hash_table_new(g_str_hash, g_str_equal);
    g_autofree gboolean *keep = g_new0(gboolean, list->len + 1);
    gboolean descendants = bp_cmd_opt_bool(cmd, "descendants");
    gboolean leaves = bp_cmd_opt_bool(cmd, "leaves");
    gboolean no_leaves = bp_cmd_opt_bool(cmd, "no-leaves");
    gboolean roots = bp_cmd_opt_bool(cmd, "roots");
    guint i;

    for (i = 0; i < list->len; i++) {
        BpListEntry *e = g_ptr_array_index(list, i);

        g_hash_table_insert(byname, e->name, e);
    }
    for (i = 0; i < list->len; i++) {
        BpListEntry *e = g_ptr_array_index(list, i);
        gboolean leaf = bp_snapshot_count_below(list, e->name, FALSE) == 0;

        if (start && e == start) {
            e->is_from = bp_cmd_opt_bool(cmd, "tree");
            keep[i] = e->is_from;
            continue;
        }
        keep[i] = (!roots || !e->parent) &&
                  (!start || bp_snapshot_is_below(byname, e, start->name, descendants)) &&
                  (!leaves || leaf) && (!no_leaves || !leaf);
    }
    for (i = list->len; i-- > 0;) {
        if (!keep[i])
            g_ptr_array_remove_index(list, i);
    }
}


static gint
bp_snap_entry_cmp(gconstpointer a, gconstpointer b)
{
    const BpListEntry *x = *(BpListEntry *const *) a;
    const BpListEntry *y = *(BpListEntry *const *) b;

    return g_ascii_strcasecmp(x->name, y->name);
}


static void
bp_snapshot_list_json(BpCtl *ctl, GPtrArray *list)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_array(b);
    for (guint i = 0; i < list->len; i++) {
        BpListEntry *e = g_ptr_array_index(list, i);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, e->name);
        json_builder_set_member_name(b, "parent");
        if (e->parent)
            json_builder_add_string_value(b, e->parent);
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, "creation_time");
        json_builder_add_int_value(b, (gint64) MIN(bp_props_uint64(e->props, "CreationTime"),
                                                   (guint64) G_MAXINT64));
        json_builder_set_member_name(b, "state");
        json_builder_add_string_value(b, bp_props_string(e->props, "State"));
        json_builder_set_member_name(b, "current");
        json_builder_add_boolean_value(b, bp_props_bool(e->props, "IsCurrent"));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    bp_ctl_print_json(ctl, json_builder_get_root(b));
}


gboolean
bp_cmd_snapshot_list(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(BpTable) table = NULL;
    g_autofree char *text = NULL;
    g_autofree char *domname = NULL;
    gboolean parent = bp_cmd_opt_bool(cmd, "parent");
    const char *from = bp_cmd_opt_string(cmd, "from");
    gboolean current = bp_cmd_opt_bool(cmd, "current");
    BpListEntry *start = NULL;

    if (!bp_snapshot_list_check(cmd, error) ||
        !(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), &domname,
                                     error)))
        return FALSE;
    if (from && current) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("--from and --current are mutually exclusive"));
        return FALSE;
    }
    if (!(list = bp_snapshot_collect(ctl, dom, error)))
        return FALSE;
    if ((from || current) && !(start = bp_snapshot_find(list, from, domname, error)))
        return FALSE;
    bp_snapshot_list_filter(cmd, list, start);
    /* virsh sorts by name, ignoring case. */
    g_ptr_array_sort(list, bp_snap_entry_cmp);

    if (ctl->json) {
        bp_snapshot_list_json(ctl, list);
        return TRUE;
    }
    if (bp_cmd_opt_bool(cmd, "tree")) {
        bp_ctl_print_list_tree(ctl, list);
        return TRUE;
    }
    if (bp_cmd_opt_bool(cmd, "name")) {
        bp_ctl_print_list_names(ctl, list);
        return TRUE;
    }
    if (parent)
        table = bp_table_new(_("Name"), _("Creation Time"), _("State"), _("Parent"), NULL);
    else
        table = bp_table_new(_("Name"), _("Creation Time"), _("State"), NULL);
    for (guint i = 0; i < list->len; i++) {
        BpListEntry *e = g_ptr_array_index(list, i);
        g_autofree char *when =
            bp_checkpoint_time_format(bp_props_uint64(e->props, "CreationTime"), NULL);

        if (parent)
            bp_table_add_row(table, e->name, when, bp_props_string(e->props, "State"),
                             e->parent ? e->parent : "", NULL);
        else
            bp_table_add_row(table, e->name, when, bp_props_string(e->props, "State"), NULL);
    }
    text = bp_table_format(table, !ctl->opts.quiet);
    bp_ctl_print(ctl, "%s", text);
    return TRUE;
}


/* ---- snapshot-dumpxml, snapshot-current --------------------------------------------- */

/* The document of the snapshot at @path. */
static char *
bp_snapshot_xml_of(BpCtl *ctl, const char *path, gboolean secure, GError **error)
{
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);
    g_autoptr(GVariant) reply = NULL;
    char *xml = NULL;

    if (secure)
        g_variant_dict_insert(&opts, "security-info", "b", TRUE);
    if (!(reply = g_dbus_connection_call_sync(ctl->bus, BP_BUS_NAME, path, BP_IFACE_SNAPSHOT,
                                              "GetXMLDesc",
                                              g_variant_new("(@a{sv})",
                                                            bp_ctl_options(ctl, &opts)),
                                              G_VARIANT_TYPE("(s)"), bp_ctl_call_flags(ctl),
                                              BP_CALL_TIMEOUT_READ, NULL, error)))
        return NULL;
    g_variant_get(reply, "(s)", &xml);
    return xml;
}


const BpCmdOptDef bp_opts_snapshot_dumpxml[] = {
    BP_OPT_DOMAIN,
    { "snapshotname", BP_OPT_DATA, TRUE, N_("snapshot name") },
    { "security-info", BP_OPT_BOOL, FALSE,
      N_("include security sensitive information in XML dump") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_snapshot_dumpxml(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autofree char *path = NULL;
    g_autofree char *xml = NULL;

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), NULL, error)) ||
        !(path = bp_snapshot_lookup(ctl, dom, bp_cmd_opt_string(cmd, "snapshotname"), error)) ||
        !(xml = bp_snapshot_xml_of(ctl, path, bp_cmd_opt_bool(cmd, "security-info"), error)))
        return FALSE;
    return bp_ctl_print_xml(ctl, cmd, xml, error);
}


const BpCmdOptDef bp_opts_snapshot_current[] = {
    BP_OPT_DOMAIN,
    { "name", BP_OPT_BOOL, FALSE, N_("list the name, rather than the full xml") },
    { "security-info", BP_OPT_BOOL, FALSE,
      N_("include security sensitive information in XML dump") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_snapshot_current(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autofree char *domname = NULL;
    g_autofree char *xml = NULL;
    BpListEntry *current = NULL;

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), &domname, error)) ||
        !(list = bp_snapshot_collect(ctl, dom, error)))
        return FALSE;
    for (guint i = 0; i < list->len; i++) {
        BpListEntry *e = g_ptr_array_index(list, i);

        if (bp_props_bool(e->props, "IsCurrent"))
            current = e;
    }
    if (!current) {
        g_set_error(error, BP_ERROR, BP_ERROR_NO_SNAPSHOT,
                    _("domain '%s' has no current snapshot"), domname);
        return FALSE;
    }
    if (bp_cmd_opt_bool(cmd, "name")) {
        if (ctl->json) {
            bp_ctl_print_json_string(ctl, "name", current->name);
        } else {
            bp_ctl_print(ctl, "%s\n", current->name);
        }
        return TRUE;
    }
    if (!(xml = bp_snapshot_xml_of(ctl, current->path, bp_cmd_opt_bool(cmd, "security-info"),
                                   error)))
        return FALSE;
    return bp_ctl_print_xml(ctl, cmd, xml, error);
}


/* ---- snapshot-delete ------------------------------------------------------------------ */

const BpCmdOptDef bp_opts_snapshot_delete[] = {
    BP_OPT_DOMAIN,
    { "snapshotname", BP_OPT_DATA, TRUE, N_("snapshot name") },
    { "children", BP_OPT_BOOL, FALSE, N_("delete snapshot and all children") },
    { "children-only", BP_OPT_BOOL, FALSE, N_("delete children but not snapshot") },
    { "metadata", BP_OPT_BOOL, FALSE,
      N_("delete only libvirt metadata, leaving snapshot contents behind") },
    { NULL, 0, FALSE, NULL }
};


/* Deletes the snapshot at @path (with @metadata, only its record). */
static gboolean
bp_snapshot_delete_one(BpCtl *ctl, const char *path, gboolean metadata, GError **error)
{
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);
    g_autoptr(GVariant) reply = NULL;

    if (metadata)
        g_variant_dict_insert(&opts, "metadata", "b", TRUE);
    reply = g_dbus_connection_call_sync(ctl->bus, BP_BUS_NAME, path, BP_IFACE_SNAPSHOT,
                                        "Delete",
                                        g_variant_new("(@a{sv})",
                                                      bp_ctl_options(ctl, &opts)),
                                        NULL, bp_ctl_call_flags(ctl),
                                        BP_CALL_TIMEOUT_LONG, NULL, error);
    return reply != NULL;
}


/*
 * Deletes every descendant of @name in @list, the deepest first, so that
 * no record is re-parented on the way and the current snapshot, when it
 * is among them, climbs to @name.  One Delete call each: a failure stops
 * there, with the deeper ones already gone.
 */
static gboolean
bp_snapshot_delete_below(BpCtl *ctl, GPtrArray *list, const char *name,
                         gboolean metadata, GError **error)
{
    for (guint i = 0; i < list->len; i++) {
        BpListEntry *e = g_ptr_array_index(list, i);

        if (g_strcmp0(e->parent, name) != 0)
            continue;
        if (!bp_snapshot_delete_below(ctl, list, e->name, metadata, error) ||
            !bp_snapshot_delete_one(ctl, e->path, metadata, error))
            return FALSE;
    }
    return TRUE;
}


gboolean
bp_cmd_snapshot_delete(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autofree char *path = NULL;
    const char *name = bp_cmd_opt_string(cmd, "snapshotname");
    gboolean children_only = bp_cmd_opt_bool(cmd, "children-only");
    gboolean children = children_only || bp_cmd_opt_bool(cmd, "children");
    gboolean metadata = bp_cmd_opt_bool(cmd, "metadata");

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), NULL, error)) ||
        !(path = bp_snapshot_lookup(ctl, dom, name, error)))
        return FALSE;
    if (children) {
        /* The daemon deletes one record at a time; the client walks the
         * tree.  Without --metadata the first Delete is refused there. */
        if (!(list = bp_snapshot_collect(ctl, dom, error)) ||
            !bp_snapshot_delete_below(ctl, list, name, metadata, error))
            return FALSE;
    }
    if (!children_only && !bp_snapshot_delete_one(ctl, path, metadata, error))
        return FALSE;
    /* With --json, nothing on success, as for checkpoint-delete. */
    if (ctl->json)
        return TRUE;
    if (children_only)
        bp_ctl_print_extra(ctl, _("Domain snapshot %s children deleted"), name);
    else
        bp_ctl_print_extra(ctl, _("Domain snapshot %s deleted"), name);
    return TRUE;
}


/* ---- snapshot-info, snapshot-parent ---------------------------------------------------- */

/* The entry of the snapshot the command names (SNAPSHOTNAME, or the
 * current one with --current) in @list; virsh's refusals. */
static BpListEntry *
bp_snapshot_pick(const BpCmd *cmd, GPtrArray *list, const char *domname, GError **error)
{
    const char *want = bp_cmd_opt_string(cmd, "snapshotname");
    gboolean current = bp_cmd_opt_bool(cmd, "current");

    if (want && current) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("--snapshotname and --current are mutually exclusive"));
        return NULL;
    }
    if (!want && !current) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("--snapshotname or --current is required"));
        return NULL;
    }
    return bp_snapshot_find(list, want, domname, error);
}


const BpCmdOptDef bp_opts_snapshot_info[] = {
    BP_OPT_DOMAIN,
    { "snapshotname", BP_OPT_DATA, FALSE, N_("snapshot name") },
    { "current", BP_OPT_BOOL, FALSE, N_("info on current snapshot") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_snapshot_info(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *domname = NULL;
    g_autofree char *children = NULL;
    g_autofree char *descendants = NULL;
    BpListEntry *e;
    guint nchildren, ndescendants;

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), &domname, error)) ||
        !(list = bp_snapshot_collect(ctl, dom, error)) ||
        !(e = bp_snapshot_pick(cmd, list, domname, error)))
        return FALSE;
    nchildren = bp_snapshot_count_below(list, e->name, FALSE);
    ndescendants = bp_snapshot_count_below(list, e->name, TRUE);

    if (ctl->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, e->name);
        json_builder_set_member_name(b, "domain");
        json_builder_add_string_value(b, domname);
        json_builder_set_member_name(b, "current");
        json_builder_add_boolean_value(b, bp_props_bool(e->props, "IsCurrent"));
        json_builder_set_member_name(b, "state");
        json_builder_add_string_value(b, bp_props_string(e->props, "State"));
        json_builder_set_member_name(b, "parent");
        if (e->parent)
            json_builder_add_string_value(b, e->parent);
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, "children");
        json_builder_add_int_value(b, nchildren);
        json_builder_set_member_name(b, "descendants");
        json_builder_add_int_value(b, ndescendants);
        json_builder_end_object(b);
        bp_ctl_print_json(ctl, json_builder_get_root(b));
        return TRUE;
    }

#define FIELD(label, value) \
    do { \
        g_autofree char *line_ = bp_field_format((label), (value)); \
        g_string_append(out, line_); \
    } while (0)

    /* virsh's lines, in its order. */
    FIELD(_("Name:"), e->name);
    FIELD(_("Domain:"), domname);
    FIELD(_("Current:"), bp_props_bool(e->props, "IsCurrent") ? _("yes") : _("no"));
    FIELD(_("State:"), bp_props_string(e->props, "State"));
    FIELD(_("Location:"), _("external"));
    FIELD(_("Parent:"), e->parent ? e->parent : "-");
    children = g_strdup_printf("%u", nchildren);
    FIELD(_("Children:"), children);
    descendants = g_strdup_printf("%u", ndescendants);
    FIELD(_("Descendants:"), descendants);
    FIELD(_("Metadata:"), _("yes"));
#undef FIELD
    bp_ctl_print(ctl, "%s", out->str);
    return TRUE;
}


const BpCmdOptDef bp_opts_snapshot_parent[] = {
    BP_OPT_DOMAIN,
    { "snapshotname", BP_OPT_DATA, FALSE, N_("find parent of snapshot name") },
    { "current", BP_OPT_BOOL, FALSE, N_("find parent of current snapshot") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_snapshot_parent(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autofree char *domname = NULL;
    BpListEntry *e;

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), &domname, error)) ||
        !(list = bp_snapshot_collect(ctl, dom, error)) ||
        !(e = bp_snapshot_pick(cmd, list, domname, error)))
        return FALSE;
    if (!e->parent) {
        g_set_error(error, BP_ERROR, BP_ERROR_NO_SNAPSHOT,
                    _("snapshot '%s' has no parent"), e->name);
        return FALSE;
    }
    if (ctl->json) {
        bp_ctl_print_json_string(ctl, "parent", e->parent);
        return TRUE;
    }
    bp_ctl_print(ctl, "%s\n", e->parent);
    return TRUE;
}
