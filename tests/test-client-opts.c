/*
 * test-client-opts.c: blkpoint's command lines, parsed with the option
 * tables the commands really use.
 *
 * - a command's options: positional and named data, --opt=value, booleans,
 *   "--", --json and --help everywhere, and each of virsh's refusals with
 *   its message;
 * - the global options before the command: -c/--connect in every
 *   spelling, BLKPOINT_CONNECT, -q, --json, -v/-V, and what is refused.
 */
#include <config.h>

#include <locale.h>
#include <unistd.h>

#include "client/blkpoint-cmd.h"
#include "client/blkpoint-domain.h"
#include "util/bp-error.h"

static const BpCmdDef def_dumpxml = { "dumpxml", bp_cmd_dumpxml, bp_opts_dumpxml, "", "" };
static const BpCmdDef def_list = { "list", bp_cmd_list, bp_opts_list, "", "" };
static const BpCmdDef def_destroy = { "destroy", bp_cmd_destroy, bp_opts_destroy, "", "" };


/* Parses @line (words separated by spaces) as the arguments of @def. */
static BpCmd *
parse(const BpCmdDef *def, const char *line, GError **error)
{
    g_auto(GStrv) argv = *line ? g_strsplit(line, " ", -1) : g_new0(char *, 1);

    return bp_cmd_parse(def, (int) g_strv_length(argv), argv, error);
}


static void
test_positional(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpCmd) a = parse(&def_dumpxml, "vm1 --inactive", &err);
    g_autoptr(BpCmd) b = NULL;
    g_autoptr(BpCmd) c = NULL;

    g_assert_no_error(err);
    g_assert_cmpstr(bp_cmd_opt_string(a, "domain"), ==, "vm1");
    g_assert_true(bp_cmd_opt_bool(a, "inactive"));
    g_assert_false(bp_cmd_opt_bool(a, "security-info"));
    g_assert_null(bp_cmd_opt_string(a, "xpath"));
    g_assert_false(a->json);

    /* Named data option, options before the data, --opt=value. */
    b = parse(&def_dumpxml, "--xpath=/domain/name --domain vm2 --wrap --json", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(bp_cmd_opt_string(b, "domain"), ==, "vm2");
    g_assert_cmpstr(bp_cmd_opt_string(b, "xpath"), ==, "/domain/name");
    g_assert_true(bp_cmd_opt_bool(b, "wrap"));
    g_assert_true(b->json);

    /* After "--" a word that looks like an option is data. */
    c = parse(&def_dumpxml, "--inactive -- --odd-name", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(bp_cmd_opt_string(c, "domain"), ==, "--odd-name");
}


/* Each refusal, with virsh's message. */
static void
test_refusals(void)
{
    static const struct {
        const BpCmdDef *def;
        const char *line;
        const char *message;
    } cases[] = {
        { &def_dumpxml, "", "command 'dumpxml' requires <domain> option" },
        { &def_dumpxml, "vm1 vm2", "unexpected data 'vm2'" },
        { &def_dumpxml, "vm1 --bogus", "command 'dumpxml' doesn't support option --bogus" },
        { &def_dumpxml, "vm1 -x", "command 'dumpxml' doesn't support option -x" },
        { &def_dumpxml, "vm1 --xpath", "expected syntax: --xpath <string>" },
        { &def_dumpxml, "vm1 --inactive --inactive", "option --inactive already seen" },
        { &def_dumpxml, "vm1 --domain vm2", "option --domain already seen" },
        { &def_dumpxml, "vm1 --inactive=yes", "invalid '=' after option --inactive" },
        { &def_list, "vm1", "unexpected data 'vm1'" },
        { &def_list, "--json=1", "invalid '=' after option --json" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(BpCmd) cmd = parse(cases[i].def, cases[i].line, &err);

        g_test_message("%s %s", cases[i].def->name, cases[i].line);
        g_assert_null(cmd);
        g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
        g_assert_cmpstr(err->message, ==, cases[i].message);
    }
}


/* --help needs no required option; --json and --help exist everywhere. */
static void
test_help_and_json(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpCmd) a = parse(&def_destroy, "--help", &err);
    g_autoptr(BpCmd) b = NULL;

    g_assert_no_error(err);
    g_assert_true(a->help);
    b = parse(&def_destroy, "--graceful vm1 --json", &err);
    g_assert_no_error(err);
    g_assert_true(b->json);
    g_assert_true(bp_cmd_opt_bool(b, "graceful"));
    g_assert_cmpstr(bp_cmd_opt_string(b, "domain"), ==, "vm1");
}


static void
test_exclusive(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpCmd) a = parse(&def_list, "--name --uuid", &err);

    g_assert_no_error(err);
    g_assert_true(bp_cmd_exclusive(a, "name", "all", &err));
    g_assert_no_error(err);
    g_assert_false(bp_cmd_exclusive(a, "name", "uuid", &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_assert_cmpstr(err->message, ==, "Options --name and --uuid are mutually exclusive");
}


/* Parses global options from @line; returns the command's index. */
static int
global(const char *line, BpGlobalOpts *opts, GError **error)
{
    g_autofree char *full = g_strconcat("blkpoint ", line, NULL);
    g_auto(GStrv) argv = g_strsplit(full, " ", -1);

    return bp_global_parse((int) g_strv_length(argv), argv, opts, error);
}


static void
test_global(void)
{
    g_autoptr(GError) err = NULL;
    BpGlobalOpts o;
    const char *const spellings[] = {
        "-c session list", "--connect session list",
        "--connect=session list", "-csession list",
    };

    g_unsetenv("BLKPOINT_CONNECT");
    for (size_t i = 0; i < G_N_ELEMENTS(spellings); i++) {
        g_assert_cmpint(global(spellings[i], &o, &err), ==,
                        g_str_has_prefix(spellings[i], "-c ") ||
                        g_str_has_prefix(spellings[i], "--connect ") ? 3 : 2);
        g_assert_no_error(err);
        g_assert_cmpint(o.connect, ==, BP_CONNECT_SESSION);
    }

    g_assert_cmpint(global("-q --json --no-user-interaction -c system dominfo vm1",
                           &o, &err), ==, 6);
    g_assert_no_error(err);
    g_assert_true(o.quiet);
    g_assert_true(o.json);
    g_assert_true(o.no_user_interaction);
    g_assert_cmpint(o.connect, ==, BP_CONNECT_SYSTEM);

    /* Options after the command are the command's. */
    g_assert_cmpint(global("list -q", &o, &err), ==, 1);
    g_assert_false(o.quiet);

    g_assert_cmpint(global("-v", &o, &err), ==, 2);
    g_assert_true(o.version);
    g_assert_cmpint(global("-V", &o, &err), ==, 2);
    g_assert_true(o.version_long);
    g_assert_cmpint(global("--help", &o, &err), ==, 2);
    g_assert_true(o.help);
    g_assert_no_error(err);

    /* Without -c: the environment, else by user. */
    g_assert_cmpint(global("list", &o, &err), ==, 1);
    g_assert_cmpint(o.connect, ==, geteuid() == 0 ? BP_CONNECT_SYSTEM
                                                  : BP_CONNECT_SESSION);
    g_setenv("BLKPOINT_CONNECT", geteuid() == 0 ? "session" : "system", TRUE);
    g_assert_cmpint(global("list", &o, &err), ==, 1);
    g_assert_cmpint(o.connect, ==, geteuid() == 0 ? BP_CONNECT_SESSION
                                                  : BP_CONNECT_SYSTEM);
    /* ... and -c wins over the environment. */
    g_assert_cmpint(global("-c system list", &o, &err), ==, 3);
    g_assert_cmpint(o.connect, ==, BP_CONNECT_SYSTEM);
    g_assert_no_error(err);

    g_setenv("BLKPOINT_CONNECT", "qemu:///system", TRUE);
    /* A wrong value does not matter when -c is given ... */
    g_assert_cmpint(global("--connect=session list", &o, &err), ==, 2);
    g_assert_no_error(err);
    g_assert_cmpint(o.connect, ==, BP_CONNECT_SESSION);
    /* ... and is an error when it is used. */
    g_assert_cmpint(global("list", &o, &err), ==, -1);
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_assert_cmpstr(err->message, ==, "BLKPOINT_CONNECT: unknown connection "
                    "'qemu:///system': use 'system' or 'session'");
    g_clear_error(&err);
    g_unsetenv("BLKPOINT_CONNECT");
}


static void
test_global_refusals(void)
{
    static const struct {
        const char *line;
        const char *message;
    } cases[] = {
        { "-c", "option '-c' requires an argument" },
        { "--connect= list", "option '--connect' requires an argument" },
        { "-c remote list", "unknown connection 'remote': use 'system' or 'session'" },
        { "--bogus list", "unsupported option '--bogus'. See --help." },
        { "-x list", "unsupported option '-x'. See --help." },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        BpGlobalOpts o;

        g_test_message("%s", cases[i].line);
        g_assert_cmpint(global(cases[i].line, &o, &err), ==, -1);
        g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
        g_assert_cmpstr(err->message, ==, cases[i].message);
    }
}


int
main(int argc, char **argv)
{
    setlocale(LC_ALL, "C.UTF-8");
    g_setenv("LANGUAGE", "C", TRUE);
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/client/opts/positional", test_positional);
    g_test_add_func("/client/opts/refusals", test_refusals);
    g_test_add_func("/client/opts/help-json", test_help_and_json);
    g_test_add_func("/client/opts/exclusive", test_exclusive);
    g_test_add_func("/client/opts/global", test_global);
    g_test_add_func("/client/opts/global-refusals", test_global_refusals);
    return g_test_run();
}
