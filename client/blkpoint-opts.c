/*
 * blkpoint-opts.c: parsing blkpoint's global options and a command's
 * options, with virsh's rules and messages (see blkpoint-cmd.h).
 */
#include <config.h>

#include <string.h>
#include <unistd.h>

#include "blkpoint-cmd.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"


void
bp_cmd_free(BpCmd *cmd)
{
    if (!cmd)
        return;
    g_clear_pointer(&cmd->values, g_hash_table_unref);
    g_clear_pointer(&cmd->argv, g_ptr_array_unref);
    g_free(cmd);
}


static const BpCmdOptDef *
bp_cmd_find_opt(const BpCmdDef *def, const char *name)
{
    for (const BpCmdOptDef *o = def->opts; o && o->name; o++) {
        if (g_str_equal(o->name, name))
            return o;
    }
    return NULL;
}


/* Stores @value for @opt; an option may be given once, except the ARGV
 * one, whose values are collected in order. */
static gboolean
bp_cmd_set(BpCmd *cmd, const BpCmdOptDef *opt, const char *value,
           GError **error)
{
    if (opt->type == BP_OPT_ARGV) {
        if (!cmd->argv) {
            cmd->argv = g_ptr_array_new_with_free_func(g_free);
            g_ptr_array_add(cmd->argv, NULL);
        }
        g_ptr_array_insert(cmd->argv, cmd->argv->len - 1, g_strdup(value));
        if (!g_hash_table_contains(cmd->values, opt->name))
            g_hash_table_insert(cmd->values, (gpointer) opt->name,
                                g_strdup(value));
        return TRUE;
    }
    if (g_hash_table_contains(cmd->values, opt->name)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("option --%s already seen"), opt->name);
        return FALSE;
    }
    g_hash_table_insert(cmd->values, (gpointer) opt->name, g_strdup(value));
    return TRUE;
}


/* Gives @value to the first positional option not yet filled, or to the
 * ARGV option, which is never full. */
static gboolean
bp_cmd_set_positional(BpCmd *cmd, const char *value, GError **error)
{
    for (const BpCmdOptDef *o = cmd->def->opts; o && o->name; o++) {
        if ((o->type == BP_OPT_DATA &&
             !g_hash_table_contains(cmd->values, o->name)) ||
            o->type == BP_OPT_ARGV)
            return bp_cmd_set(cmd, o, value, error);
    }
    g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                _("unexpected data '%s'"), value);
    return FALSE;
}


/*
 * Parses the words after the command name (@argv[0] is the first of
 * them) against @def's options.  Returns the parsed command, or NULL with
 * BP_ERROR_INVALID_ARGUMENT.  With --help nothing else is checked, so that
 * "start --help" works without a domain.
 */
BpCmd *
bp_cmd_parse(const BpCmdDef *def, int argc, char **argv, GError **error)
{
    g_autoptr(BpCmd) cmd = g_new0(BpCmd, 1);
    gboolean data_only = FALSE;
    int i;

    cmd->def = def;
    cmd->values = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);

    for (i = 0; i < argc; i++) {
        const char *arg = argv[i];
        g_autofree char *name = NULL;
        const char *eq;
        const BpCmdOptDef *opt;

        if (data_only || arg[0] != '-' || g_str_equal(arg, "-")) {
            if (!bp_cmd_set_positional(cmd, arg, error))
                return NULL;
            continue;
        }
        if (g_str_equal(arg, "--")) {
            data_only = TRUE;
            continue;
        }
        if (arg[1] != '-') {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("command '%s' doesn't support option %s"),
                        def->name, arg);
            return NULL;
        }

        eq = strchr(arg + 2, '=');
        name = eq ? g_strndup(arg + 2, eq - (arg + 2)) : g_strdup(arg + 2);

        if (g_str_equal(name, "json") || g_str_equal(name, "help")) {
            if (eq) {
                g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("invalid '=' after option --%s"), name);
                return NULL;
            }
            if (g_str_equal(name, "json"))
                cmd->json = TRUE;
            else
                cmd->help = TRUE;
            continue;
        }

        if (!(opt = bp_cmd_find_opt(def, name))) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("command '%s' doesn't support option --%s"),
                        def->name, name);
            return NULL;
        }

        if (opt->type == BP_OPT_BOOL) {
            if (eq) {
                g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("invalid '=' after option --%s"), name);
                return NULL;
            }
            if (!bp_cmd_set(cmd, opt, "", error))
                return NULL;
            continue;
        }

        if (eq) {
            if (!bp_cmd_set(cmd, opt, eq + 1, error))
                return NULL;
        } else if (i + 1 < argc) {
            if (!bp_cmd_set(cmd, opt, argv[++i], error))
                return NULL;
        } else {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("expected syntax: --%s <%s>"), opt->name,
                        _("string"));
            return NULL;
        }
    }

    if (cmd->help)
        return g_steal_pointer(&cmd);

    for (const BpCmdOptDef *o = def->opts; o && o->name; o++) {
        if (o->required && !g_hash_table_contains(cmd->values, o->name)) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("command '%s' requires <%s> option"),
                        def->name, o->name);
            return NULL;
        }
    }
    return g_steal_pointer(&cmd);
}


/* Whether the option @name was given. */
gboolean
bp_cmd_opt_bool(const BpCmd *cmd, const char *name)
{
    return g_hash_table_contains(cmd->values, name);
}


/* The value of the option @name, or NULL when it was not given.  The
 * string belongs to @cmd. */
const char *
bp_cmd_opt_string(const BpCmd *cmd, const char *name)
{
    return g_hash_table_lookup(cmd->values, name);
}


/* The values of the command's ARGV option, in the order given and
 * NULL-terminated, or NULL when none was given.  They belong to @cmd. */
const char *const *
bp_cmd_opt_argv(const BpCmd *cmd)
{
    return cmd->argv ? (const char *const *) cmd->argv->pdata : NULL;
}


/*
 * The value of the string option @name in @value (NULL when it was not
 * given), refusing an empty one as virsh's vshCommandOptStringReq does.
 */
gboolean
bp_cmd_opt_string_req(const BpCmd *cmd, const char *name, const char **value,
                      GError **error)
{
    const char *v = bp_cmd_opt_string(cmd, name);

    if (v && !*v) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("Failed to get option '%s': %s"), name,
                    _("Option argument is empty"));
        return FALSE;
    }
    *value = v;
    return TRUE;
}


/* Fails, as virsh's VSH_REQUIRE_OPTION does, when @opt was given without
 * @needed. */
gboolean
bp_cmd_require(const BpCmd *cmd, const char *opt, const char *needed,
               GError **error)
{
    if (bp_cmd_opt_bool(cmd, opt) && !bp_cmd_opt_bool(cmd, needed)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("Option --%s is required by option --%s"), needed, opt);
        return FALSE;
    }
    return TRUE;
}


/* Fails, as virsh's VSH_EXCLUSIVE_OPTIONS does, when both @a and @b were
 * given. */
gboolean
bp_cmd_exclusive(const BpCmd *cmd, const char *a, const char *b,
                 GError **error)
{
    if (bp_cmd_opt_bool(cmd, a) && bp_cmd_opt_bool(cmd, b)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("Options --%s and --%s are mutually exclusive"), a, b);
        return FALSE;
    }
    return TRUE;
}


/* The command called @name in @groups, or NULL. */
const BpCmdDef *
bp_cmd_lookup(const BpCmdGroup *groups, const char *name)
{
    for (const BpCmdGroup *g = groups; g->keyword; g++) {
        for (const BpCmdDef *c = g->cmds; c->name; c++) {
            if (g_str_equal(c->name, name))
                return c;
        }
    }
    return NULL;
}


/* The group whose help keyword is @keyword, or NULL. */
const BpCmdGroup *
bp_cmd_group_lookup(const BpCmdGroup *groups, const char *keyword)
{
    for (const BpCmdGroup *g = groups; g->keyword; g++) {
        if (g_str_equal(g->keyword, keyword))
            return g;
    }
    return NULL;
}


/* Parses "system" or "session" (the values of -c/--connect and of
 * BLKPOINT_CONNECT). */
gboolean
bp_connect_parse(const char *value, BpConnect *connect, GError **error)
{
    if (g_str_equal(value, "system")) {
        *connect = BP_CONNECT_SYSTEM;
        return TRUE;
    }
    if (g_str_equal(value, "session")) {
        *connect = BP_CONNECT_SESSION;
        return TRUE;
    }
    g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                _("unknown connection '%s': use 'system' or 'session'"),
                value);
    return FALSE;
}


/* The bus used without -c: the system bus for root, else the session
 * bus.  BLKPOINT_CONNECT is read by bp_global_parse(). */
BpConnect
bp_connect_default(void)
{
    return geteuid() == 0 ? BP_CONNECT_SYSTEM : BP_CONNECT_SESSION;
}


/* Sets the value of the global option -c/--connect given as @arg (with
 * its value inline after '=' or in @next).  Returns how many words were
 * used, or -1 on error. */
static int
bp_global_connect(const char *arg, const char *inline_value, const char *next,
                  BpGlobalOpts *opts, GError **error)
{
    const char *value = inline_value ? inline_value : next;

    if (!value || !*value) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("option '%s' requires an argument"), arg);
        return -1;
    }
    if (!bp_connect_parse(value, &opts->connect, error))
        return -1;
    return inline_value ? 1 : 2;
}


/*
 * Parses the global options at the start of @argv (argv[0] is the
 * program).  Returns the index of the command word (@argc when there is
 * none), or -1 with BP_ERROR_INVALID_ARGUMENT.  Without -c, the
 * connection comes from BLKPOINT_CONNECT, else bp_connect_default().
 */
int
bp_global_parse(int argc, char **argv, BpGlobalOpts *opts, GError **error)
{
    const char *env = g_getenv("BLKPOINT_CONNECT");
    gboolean connect_given = FALSE;
    int i = 1;

    memset(opts, 0, sizeof(*opts));
    opts->connect = bp_connect_default();

    while (i < argc) {
        const char *arg = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        int used = 1;

        if (arg[0] != '-' || g_str_equal(arg, "-"))
            break;
        if (g_str_equal(arg, "--")) {
            i++;
            break;
        }

        if (g_str_has_prefix(arg, "-c") || g_str_has_prefix(arg, "--connect"))
            connect_given = TRUE;

        if (g_str_equal(arg, "-c") || g_str_equal(arg, "--connect")) {
            used = bp_global_connect(arg, NULL, next, opts, error);
        } else if (g_str_has_prefix(arg, "--connect=")) {
            used = bp_global_connect("--connect", arg + strlen("--connect="),
                                     NULL, opts, error);
        } else if (g_str_has_prefix(arg, "-c")) {
            used = bp_global_connect("-c", arg + 2, NULL, opts, error);
        } else if (g_str_equal(arg, "-q") || g_str_equal(arg, "--quiet")) {
            opts->quiet = TRUE;
        } else if (g_str_equal(arg, "--json")) {
            opts->json = TRUE;
        } else if (g_str_equal(arg, "--no-user-interaction")) {
            opts->no_user_interaction = TRUE;
        } else if (g_str_equal(arg, "-h") || g_str_equal(arg, "--help")) {
            opts->help = TRUE;
        } else if (g_str_equal(arg, "-v") || g_str_equal(arg, "--version")) {
            opts->version = TRUE;
        } else if (g_str_equal(arg, "-V")) {
            opts->version_long = TRUE;
        } else {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("unsupported option '%s'. See --help."), arg);
            return -1;
        }
        if (used < 0)
            return -1;
        i += used;
    }

    if (!connect_given && env && *env &&
        !bp_connect_parse(env, &opts->connect, error)) {
        g_prefix_error(error, "BLKPOINT_CONNECT: ");
        return -1;
    }
    return i;
}
