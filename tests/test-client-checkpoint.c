/*
 * test-client-checkpoint.c: the parts of the checkpoint commands that
 * need no daemon.
 *
 * - the tree of checkpoint-list --tree, drawn as virsh's vshTreePrint
 *   draws it (chains, branches, several roots, table order, a loop in
 *   the parents that must not hang);
 * - creation times in virsh's "%Y-%m-%d %H:%M:%S %z", in a given zone,
 *   across a daylight saving change, and in the local zone from TZ;
 * - checkpoint-create-as: --diskspec parsed with virsh's rules (doubled
 *   commas, each key once, its message for anything else), the XML laid
 *   out as virsh lays it out and accepted by the real domaincheckpoint
 *   schema, and its command line (positional name, description and
 *   diskspecs);
 * - the option refusals of checkpoint-list and checkpoint-create, each
 *   with virsh's message, and the combinations virsh allows.
 */
#include <config.h>

#include <locale.h>

#include "client/blkpoint-checkpoint.h"
#include "client/blkpoint-help.h"
#include "client/blkpoint-output.h"
#include "util/bp-error.h"
#include "util/bp-xml.h"

static const BpCmdDef def_list = {
    "checkpoint-list", bp_cmd_checkpoint_list, bp_opts_checkpoint_list, "", ""
};
static const BpCmdDef def_create = {
    "checkpoint-create", bp_cmd_checkpoint_create, bp_opts_checkpoint_create, "", ""
};
static const BpCmdDef def_create_as = {
    "checkpoint-create-as", bp_cmd_checkpoint_create_as,
    bp_opts_checkpoint_create_as, "", ""
};


/* Parses @line (words separated by spaces) as the arguments of @def. */
static BpCmd *
parse(const BpCmdDef *def, const char *line, GError **error)
{
    g_auto(GStrv) argv = *line ? g_strsplit(line, " ", -1) : g_new0(char *, 1);

    return bp_cmd_parse(def, (int) g_strv_length(argv), argv, error);
}


/* ---- tree ------------------------------------------------------------- */

static void
check_tree(const char *const *names, const char *const *parents, guint n,
           const char *want)
{
    g_autofree char *got = bp_tree_format(names, parents, n);

    g_assert_cmpstr(got, ==, want);
}


static void
test_tree_chain(void)
{
    const char *names[] = { "c1", "c2", "c3" };
    const char *parents[] = { NULL, "c1", "c2" };

    check_tree(names, parents, 3,
               "c1\n"
               "  |\n"
               "  +- c2\n"
               "      |\n"
               "      +- c3\n"
               "        \n");
    /* A single checkpoint: its name and the empty line of a last leaf. */
    check_tree(names, parents, 1, "c1\n\n");
    /* Nothing. */
    check_tree(names, parents, 0, "");
}


static void
test_tree_branches(void)
{
    /* c1 has c2 and c4; c2 has c3; c5 is a second root; a table order
     * that is not the tree's. */
    const char *names[] = { "c4", "c1", "c5", "c2", "c3" };
    const char *parents[] = { "c1", NULL, NULL, "c1", "c2" };

    check_tree(names, parents, 5,
               "c1\n"
               "  |\n"
               "  +- c4\n"
               "  +- c2\n"
               "      |\n"
               "      +- c3\n"
               "        \n"
               "c5\n"
               "\n");
}


static void
test_tree_siblings_with_children(void)
{
    /* A child that is not the last one draws "|" for the ones after it,
     * down its whole subtree. */
    const char *names[] = { "a", "b", "b1", "b2", "c", "c1" };
    const char *parents[] = { NULL, "a", "b", "b", "a", "c" };

    check_tree(names, parents, 6,
               "a\n"
               "  |\n"
               "  +- b\n"
               "  |   |\n"
               "  |   +- b1\n"
               "  |   +- b2\n"
               "  |     \n"
               "  +- c\n"
               "      |\n"
               "      +- c1\n"
               "        \n");
}


static void
test_tree_loop(void)
{
    /* The daemon never sends a loop; if it did, the drawing ends. */
    const char *names[] = { "r", "x", "y" };
    const char *parents[] = { NULL, "y", "x" };
    const char *self[] = { "s" };
    const char *self_parent[] = { "s" };
    const char *twins[] = { "a", "a" };
    const char *twin_parents[] = { NULL, "a" };
    g_autofree char *got = bp_tree_format(names, parents, 3);
    g_autofree char *none = bp_tree_format(self, self_parent, 1);
    g_autofree char *deep = bp_tree_format(twins, twin_parents, 2);

    /* Only the root is drawn: x and y hang on each other, not on it. */
    g_assert_cmpstr(got, ==, "r\n\n");
    g_assert_cmpstr(none, ==, "");
    /* A node that is its own descendant (two of one name): drawn no
     * deeper than the number of nodes. */
    g_assert_cmpstr(deep, ==, "a\n  |\n  +- a\n      |\n      +- a\n        \n");
}


/* ---- time ------------------------------------------------------------- */

static void
test_time(void)
{
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(GTimeZone) plus2 = g_time_zone_new_identifier("+02:00");
    g_autoptr(GTimeZone) cet = g_time_zone_new_identifier("CET-1CEST,M3.5.0,M10.5.0/3");
    g_autoptr(GTimeZone) west = g_time_zone_new_identifier("-05:30");
    struct {
        guint64 when;
        GTimeZone *tz;
        const char *want;
    } cases[] = {
        { 1714551072, utc, "2024-05-01 08:11:12 +0000" },
        { 1714551072, plus2, "2024-05-01 10:11:12 +0200" },
        /* Summer and winter time in one zone. */
        { 1714551072, cet, "2024-05-01 10:11:12 +0200" },
        { 1733054400, cet, "2024-12-01 13:00:00 +0100" },
        /* Negative offsets; the previous day. */
        { 0, west, "1969-12-31 18:30:00 -0530" },
        /* Beyond what a date can be: the number itself. */
        { G_MAXUINT64, utc, "18446744073709551615" },
    };

    g_assert_nonnull(plus2);
    g_assert_nonnull(cet);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = bp_checkpoint_time_format(cases[i].when, cases[i].tz);

        g_assert_cmpstr(got, ==, cases[i].want);
    }
}


static void
test_time_local(void)
{
    g_autofree char *got = NULL;

    /* main() set TZ before anything asked for the local zone. */
    got = bp_checkpoint_time_format(1733054400, NULL);
    g_assert_cmpstr(got, ==, "2024-12-01 14:00:00 +0200");
}


/* ---- checkpoint-create-as --------------------------------------------- */

static void
test_diskspec(void)
{
    static const struct {
        const char *spec;
        const char *want;    /* NULL: refused */
    } cases[] = {
        { "vda", "<disk name='vda'/>" },
        { "vda,checkpoint=no", "<disk name='vda' checkpoint='no'/>" },
        { "vda,bitmap=b1", "<disk name='vda' bitmap='b1'/>" },
        /* Attributes in virsh's order, whatever the order given. */
        { "vdb,bitmap=c1,checkpoint=bitmap",
          "<disk name='vdb' checkpoint='bitmap' bitmap='c1'/>" },
        /* A path as the disk; a doubled comma is a comma. */
        { "/var/lib/a,,b.qcow2,checkpoint=no",
          "<disk name='/var/lib/a,b.qcow2' checkpoint='no'/>" },
        /* Escaped, so no value can change the document's structure. */
        { "v'd<a,bitmap=x&y\"",
          "<disk name='v&apos;d&lt;a' bitmap='x&amp;y&quot;'/>" },
        { "vda,checkpoint=no,checkpoint=bitmap", NULL },
        { "vda,bitmap=a,bitmap=b", NULL },
        { "vda,size=10", NULL },
        { "vda,", NULL },
        { "vda,Checkpoint=no", NULL },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GString) buf = g_string_new(NULL);
        g_autoptr(GError) err = NULL;
        gboolean ok = bp_checkpoint_diskspec_format(buf, cases[i].spec, &err);

        g_test_message("%s", cases[i].spec);
        if (cases[i].want) {
            g_assert_no_error(err);
            g_assert_true(ok);
            g_assert_cmpstr(buf->str, ==, cases[i].want);
        } else {
            g_autofree char *msg = g_strdup_printf("unable to parse diskspec: %s",
                                                   cases[i].spec);

            g_assert_false(ok);
            g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
            g_assert_cmpstr(err->message, ==, msg);
        }
    }
}


/* The document is one the daemon's schema accepts. */
static void
assert_schema_valid(const char *xml)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(xmlDoc) doc = bp_xml_parse(xml, "domaincheckpoint",
                                         "domaincheckpoint",
                                         "domaincheckpoint.rng", NULL, &err);

    g_assert_no_error(err);
    g_assert_nonnull(doc);
}


static void
test_xml_build(void)
{
    const char *const specs[] = { "vda", "vdb,checkpoint=no", NULL };
    const char *const bad[] = { "vda", "vdb,frob", NULL };
    g_autoptr(GError) err = NULL;
    g_autofree char *full = bp_checkpoint_xml_build("c1", "before the upgrade & more",
                                                    specs, &err);
    g_autofree char *empty = NULL;
    g_autofree char *named = NULL;
    g_autofree char *refused = NULL;

    g_assert_no_error(err);
    g_assert_cmpstr(full, ==,
                    "<domaincheckpoint>\n"
                    "  <name>c1</name>\n"
                    "  <description>before the upgrade &amp; more</description>\n"
                    "  <disks>\n"
                    "    <disk name='vda'/>\n"
                    "    <disk name='vdb' checkpoint='no'/>\n"
                    "  </disks>\n"
                    "</domaincheckpoint>\n");
    assert_schema_valid(full);

    empty = bp_checkpoint_xml_build(NULL, NULL, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(empty, ==, "<domaincheckpoint>\n</domaincheckpoint>\n");
    assert_schema_valid(empty);

    named = bp_checkpoint_xml_build("nightly.2024-05-01", NULL, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(named, ==, "<domaincheckpoint>\n"
                    "  <name>nightly.2024-05-01</name>\n"
                    "</domaincheckpoint>\n");
    assert_schema_valid(named);

    refused = bp_checkpoint_xml_build("c1", NULL, bad, &err);
    g_assert_null(refused);
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_assert_cmpstr(err->message, ==, "unable to parse diskspec: vdb,frob");
}


static void
test_create_as_command_line(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpCmd) a = parse(&def_create_as, "vm1 c1 desc vda,checkpoint=no vdb", &err);
    g_autoptr(BpCmd) b = NULL;
    g_autoptr(BpCmd) c = NULL;
    g_autoptr(BpCmd) d = NULL;
    const char *const *argv;
    const char *v = NULL;

    g_assert_no_error(err);
    g_assert_cmpstr(bp_cmd_opt_string(a, "domain"), ==, "vm1");
    g_assert_cmpstr(bp_cmd_opt_string(a, "name"), ==, "c1");
    g_assert_cmpstr(bp_cmd_opt_string(a, "description"), ==, "desc");
    argv = bp_cmd_opt_argv(a);
    g_assert_nonnull(argv);
    g_assert_cmpstr(argv[0], ==, "vda,checkpoint=no");
    g_assert_cmpstr(argv[1], ==, "vdb");
    g_assert_null(argv[2]);
    g_assert_true(bp_cmd_opt_bool(a, "diskspec"));

    /* Named, repeated, mixed with a positional one; name left out. */
    b = parse(&def_create_as, "--diskspec vda vm1 --diskspec=vdb,bitmap=x --print-xml", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(bp_cmd_opt_string(b, "domain"), ==, "vm1");
    g_assert_null(bp_cmd_opt_string(b, "name"));
    argv = bp_cmd_opt_argv(b);
    g_assert_cmpstr(argv[0], ==, "vda");
    g_assert_cmpstr(argv[1], ==, "vdb,bitmap=x");
    g_assert_null(argv[2]);
    g_assert_true(bp_cmd_opt_bool(b, "print-xml"));

    /* Without diskspecs. */
    c = parse(&def_create_as, "vm1 --name c2", &err);
    g_assert_no_error(err);
    g_assert_null(bp_cmd_opt_argv(c));
    g_assert_false(bp_cmd_opt_bool(c, "diskspec"));

    /* An empty name is refused as virsh refuses it. */
    d = parse(&def_create_as, "vm1 --name=", &err);
    g_assert_no_error(err);
    g_assert_false(bp_cmd_opt_string_req(d, "name", &v, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_assert_cmpstr(err->message, ==,
                    "Failed to get option 'name': Option argument is empty");
    g_clear_error(&err);
    g_assert_true(bp_cmd_opt_string_req(d, "description", &v, &err));
    g_assert_null(v);
}


static void
test_help_argv(void)
{
    g_autofree char *help = bp_help_command(&def_create_as);

    g_assert_nonnull(strstr(help, "    checkpoint-create-as <domain> [<name>] "
                                  "[<description>] [--print-xml] [--quiesce] "
                                  "[<diskspec>]... [--json]\n"));
    g_assert_nonnull(strstr(help, "    [--diskspec] <string>  disk attributes: "));
}


/* ---- refusals ---------------------------------------------------------- */

static void
test_list_exclusions(void)
{
    static const struct {
        const char *line;
        const char *message;   /* NULL: accepted */
    } cases[] = {
        { "vm1 --tree --name", "Options --tree and --name are mutually exclusive" },
        { "vm1 --parent --roots", "Options --parent and --roots are mutually exclusive" },
        { "vm1 --tree --parent", "Options --parent and --tree are mutually exclusive" },
        { "vm1 --roots --tree", "Options --roots and --tree are mutually exclusive" },
        { "vm1 --roots --from c1", "Options --roots and --from are mutually exclusive" },
        { "vm1 --roots c1", "Options --roots and --from are mutually exclusive" },
        { "vm1 --tree --leaves", "--leaves and --tree are mutually exclusive" },
        { "vm1 --no-leaves --tree", "--no-leaves and --tree are mutually exclusive" },
        { "vm1 --descendants", "--descendants requires --from" },
        { "vm1 --descendants --leaves", "--descendants requires --from" },
        /* virsh checks in its order: the first pair found wins. */
        { "vm1 --tree --name --parent --roots",
          "Options --tree and --name are mutually exclusive" },
        { "vm1 --tree --leaves --descendants",
          "--leaves and --tree are mutually exclusive" },
        /* What virsh allows. */
        { "vm1", NULL },
        { "vm1 --parent --name", NULL },
        { "vm1 --roots --name --topological", NULL },
        { "vm1 --tree --topological", NULL },
        { "vm1 --tree --from c1 --descendants", NULL },
        { "vm1 c1 --descendants", NULL },
        { "vm1 --leaves --no-leaves", NULL },
        { "vm1 --parent --leaves --from c1", NULL },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(BpCmd) cmd = parse(&def_list, cases[i].line, &err);

        g_test_message("checkpoint-list %s", cases[i].line);
        g_assert_no_error(err);
        if (cases[i].message) {
            g_assert_false(bp_checkpoint_list_check(cmd, &err));
            g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
            g_assert_cmpstr(err->message, ==, cases[i].message);
        } else {
            g_assert_true(bp_checkpoint_list_check(cmd, &err));
            g_assert_no_error(err);
        }
    }
}


static void
test_create_refusals(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpCmd) a = parse(&def_create, "vm1 c.xml --redefine-validate", &err);
    g_autoptr(BpCmd) b = NULL;
    g_autoptr(BpCmd) c = NULL;

    g_assert_no_error(err);
    g_assert_cmpstr(bp_cmd_opt_string(a, "xmlfile"), ==, "c.xml");
    g_assert_false(bp_checkpoint_create_check(a, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_assert_cmpstr(err->message, ==,
                    "Option --redefine is required by option --redefine-validate");
    g_clear_error(&err);

    b = parse(&def_create, "vm1 c.xml --redefine --redefine-validate", &err);
    g_assert_no_error(err);
    g_assert_true(bp_checkpoint_create_check(b, &err));
    c = parse(&def_create, "vm1", &err);
    g_assert_no_error(err);
    g_assert_true(bp_checkpoint_create_check(c, &err));
    g_assert_no_error(err);
}


int
main(int argc, char **argv)
{
    /* Eastern European time: +0200 in winter, before anything asks for
     * the local zone. */
    g_setenv("TZ", "EET-2EEST,M3.5.0/3,M10.5.0/4", TRUE);
    setlocale(LC_ALL, "C.UTF-8");
    g_setenv("LANGUAGE", "C", TRUE);
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/client/checkpoint/tree/chain", test_tree_chain);
    g_test_add_func("/client/checkpoint/tree/branches", test_tree_branches);
    g_test_add_func("/client/checkpoint/tree/siblings", test_tree_siblings_with_children);
    g_test_add_func("/client/checkpoint/tree/loop", test_tree_loop);
    g_test_add_func("/client/checkpoint/time", test_time);
    g_test_add_func("/client/checkpoint/time-local", test_time_local);
    g_test_add_func("/client/checkpoint/diskspec", test_diskspec);
    g_test_add_func("/client/checkpoint/xml-build", test_xml_build);
    g_test_add_func("/client/checkpoint/create-as-command-line", test_create_as_command_line);
    g_test_add_func("/client/checkpoint/help-argv", test_help_argv);
    g_test_add_func("/client/checkpoint/list-exclusions", test_list_exclusions);
    g_test_add_func("/client/checkpoint/create-refusals", test_create_refusals);
    return g_test_run();
}
