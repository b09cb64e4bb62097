/*
 * blkpoint-checkpoint-list.c: checkpoint-list, with virsh's options,
 * refusals and layouts: the table of names and creation times (with
 * --parent a Parent column), names only (--name) and the tree (--tree).
 *
 * The daemon filters and orders (ListCheckpoints, or ListChildren of the
 * --from checkpoint); the properties of every checkpoint come in one
 * ObjectManager call.  Like virsh, the client sorts by name itself,
 * ignoring case, unless --topological.
 */
#include <config.h>

#include <string.h>

#include "blkpoint-checkpoint.h"
#include "blkpoint-output.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

const BpCmdOptDef bp_opts_checkpoint_list[] = {
    { "domain", BP_OPT_DATA, TRUE, N_("domain name or uuid") },
    { "parent", BP_OPT_BOOL, FALSE, N_("add a column showing parent checkpoint") },
    { "roots", BP_OPT_BOOL, FALSE, N_("list only checkpoints without parents") },
    { "leaves", BP_OPT_BOOL, FALSE, N_("list only checkpoints without children") },
    { "no-leaves", BP_OPT_BOOL, FALSE,
      N_("list only checkpoints that are not leaves (with children)") },
    { "tree", BP_OPT_BOOL, FALSE, N_("list checkpoints in a tree") },
    { "from", BP_OPT_DATA, FALSE, N_("limit list to children of given checkpoint") },
    { "descendants", BP_OPT_BOOL, FALSE, N_("with --from, list all descendants") },
    { "name", BP_OPT_BOOL, FALSE, N_("list checkpoint names only") },
    { "topological", BP_OPT_BOOL, FALSE,
      N_("sort list topologically rather than by name") },
    { NULL, 0, FALSE, NULL }
};


/*
 * checkpoint-list's refusals, in virsh's order and with its messages,
 * before anything is asked: --tree with --name, --parent with --roots or
 * --tree, --roots with --tree or --from, --leaves or --no-leaves with
 * --tree, --descendants without --from.
 */
gboolean
bp_checkpoint_list_check(const BpCmd *cmd, GError **error)
{
    static const char *const pairs[][2] = {
        { "tree", "name" },
        { "parent", "roots" },
        { "parent", "tree" },
        { "roots", "tree" },
        { "roots", "from" },
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
    if (bp_cmd_opt_bool(cmd, "descendants") && !bp_cmd_opt_bool(cmd, "from")) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("--descendants requires --from"));
        return FALSE;
    }
    return TRUE;
}


/* By name ignoring ASCII case, then byte-wise, as virsh's vshStrcasecmp
 * sort (which leaves equal-ignoring-case names in any order). */
static gint
bp_chk_entry_compare(gconstpointer a, gconstpointer b)
{
    const BpListEntry *ea = *(BpListEntry *const *) a;
    const BpListEntry *eb = *(BpListEntry *const *) b;
    int c = g_ascii_strcasecmp(ea->name, eb->name);

    return c ? c : strcmp(ea->name, eb->name);
}


/*
 * The entry for the checkpoint at @path, from @objects (the daemon's
 * checkpoint objects) or, for one created since, asked on its own.
 * NULL with @error when it cannot be read (deleted meanwhile, for one).
 */
static BpListEntry *
bp_chk_entry_new(BpCtl *ctl, GHashTable *objects, const char *path,
                 GError **error)
{
    g_autoptr(GVariant) props = NULL;
    GVariant *known = g_hash_table_lookup(objects, path);
    const char *parent;
    BpListEntry *e;

    if (known)
        props = g_variant_ref(known);
    else if (!(props = bp_ctl_get_all(ctl, path, BP_IFACE_CHECKPOINT, error)))
        return NULL;

    e = g_new0(BpListEntry, 1);
    e->path = g_strdup(path);
    e->name = g_strdup(bp_props_string(props, "Name"));
    parent = bp_props_string(props, "Parent");
    if (*parent && !g_str_equal(parent, "/")) {
        GVariant *pprops = g_hash_table_lookup(objects, parent);

        e->parent = pprops ? g_strdup(bp_props_string(pprops, "Name"))
                           : bp_checkpoint_name_of(ctl, parent, NULL);
    }
    e->props = g_steal_pointer(&props);
    return e;
}


/* The object paths the daemon lists for @cmd's filters: the domain's
 * checkpoints, or the children of @from. */
static gboolean
bp_checkpoint_list_paths(BpCtl *ctl, const BpCmd *cmd, BpDomain *dom,
                         BpCheckpoint *from, char ***paths, GError **error)
{
    static const char *const common[] = { "topological", "leaves", "no-leaves" };
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);
    gboolean ok;

    for (size_t i = 0; i < G_N_ELEMENTS(common); i++) {
        if (bp_cmd_opt_bool(cmd, common[i]))
            g_variant_dict_insert(&opts, common[i], "b", TRUE);
    }
    if (from) {
        if (bp_cmd_opt_bool(cmd, "descendants"))
            g_variant_dict_insert(&opts, "descendants", "b", TRUE);
        ok = bp_checkpoint_call_list_children_sync(from, bp_ctl_options(ctl, &opts),
                                                   bp_ctl_call_flags(ctl),
                                                   BP_CALL_TIMEOUT_READ, paths,
                                                   NULL, error);
    } else {
        if (bp_cmd_opt_bool(cmd, "roots"))
            g_variant_dict_insert(&opts, "roots", "b", TRUE);
        ok = bp_domain_call_list_checkpoints_sync(dom, bp_ctl_options(ctl, &opts),
                                                  bp_ctl_call_flags(ctl),
                                                  BP_CALL_TIMEOUT_READ, paths,
                                                  NULL, error);
    }
    if (!ok)
        bp_ctl_context(ctl, _("unexpected problem querying checkpoints"));
    return ok;
}


/* The list to show, in the order to show it; with --tree and --from, the
 * --from checkpoint itself is in it, as a root. */
static GPtrArray *
bp_checkpoint_list_collect(BpCtl *ctl, const BpCmd *cmd, BpDomain *dom,
                           BpCheckpoint *from, const char *from_path,
                           GError **error)
{
    g_autoptr(GHashTable) objects = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_auto(GStrv) paths = NULL;

    if (!bp_checkpoint_list_paths(ctl, cmd, dom, from, &paths, error))
        return NULL;
    if (!(objects = bp_ctl_objects(ctl, BP_IFACE_CHECKPOINT, error))) {
        bp_ctl_context(ctl, _("unexpected problem querying checkpoints"));
        return NULL;
    }

    list = g_ptr_array_new_with_free_func((GDestroyNotify) bp_list_entry_free);
    for (size_t i = 0; paths[i]; i++) {
        g_autoptr(GError) err = NULL;
        BpListEntry *e = bp_chk_entry_new(ctl, objects, paths[i], &err);

        /* Deleted since the list was made: left out. */
        if (!e)
            continue;
        g_ptr_array_add(list, e);
    }
    if (from && bp_cmd_opt_bool(cmd, "tree")) {
        BpListEntry *e = bp_chk_entry_new(ctl, objects, from_path, error);

        if (!e)
            return NULL;
        e->is_from = TRUE;
        g_ptr_array_add(list, e);
    }
    if (!bp_cmd_opt_bool(cmd, "topological"))
        g_ptr_array_sort(list, bp_chk_entry_compare);
    return g_steal_pointer(&list);
}


static void
bp_checkpoint_list_json(BpCtl *ctl, GPtrArray *list)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_array(b);
    for (guint i = 0; i < list->len; i++) {
        BpListEntry *e = g_ptr_array_index(list, i);

        json_builder_begin_object(b);
        bp_checkpoint_json_members(b, e->props, e->parent);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    bp_ctl_print_json(ctl, json_builder_get_root(b));
}


gboolean
bp_cmd_checkpoint_list(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(BpCheckpoint) from = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(BpTable) table = NULL;
    g_autofree char *from_path = NULL;
    g_autofree char *text = NULL;
    gboolean parent = bp_cmd_opt_bool(cmd, "parent");

    if (!bp_checkpoint_list_check(cmd, error) ||
        !(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"),
                                     NULL, error)))
        return FALSE;
    if (bp_cmd_opt_bool(cmd, "from") &&
        !(from = bp_checkpoint_lookup(ctl, dom, cmd, "from", &from_path,
                                      NULL, error)))
        return FALSE;
    if (!(list = bp_checkpoint_list_collect(ctl, cmd, dom, from, from_path,
                                            error)))
        return FALSE;

    if (ctl->json) {
        bp_checkpoint_list_json(ctl, list);
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
        table = bp_table_new(_("Name"), _("Creation Time"), _("Parent"), NULL);
    else
        table = bp_table_new(_("Name"), _("Creation Time"), NULL);
    for (guint i = 0; i < list->len; i++) {
        BpListEntry *e = g_ptr_array_index(list, i);
        g_autofree char *when =
            bp_checkpoint_time_format(bp_props_uint64(e->props, "CreationTime"),
                                      NULL);

        if (parent)
            bp_table_add_row(table, e->name, when, e->parent ? e->parent : "",
                             NULL);
        else
            bp_table_add_row(table, e->name, when, NULL);
    }
    text = bp_table_format(table, !ctl->opts.quiet);
    bp_ctl_print(ctl, "%s", text);
    return TRUE;
}
