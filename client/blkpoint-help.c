/*
 * blkpoint-help.c: "help", "version" and the texts of --help, laid out as
 * virsh lays out its own.
 */
#include <config.h>

#include <string.h>

#include "blkpoint-help.h"
#include "blkpoint-output.h"
#include "blkpoint-util.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_HELP_WIDTH 76


/* Word-wraps @text (translated) into lines of at most @width display
 * columns, each starting with @indent and ending with a newline. */
char *
bp_help_wrap(const char *text, const char *indent, size_t width)
{
    GString *out = g_string_new(NULL);
    g_auto(GStrv) words = g_strsplit_set(text, " \n", -1);
    size_t col = 0;

    for (size_t i = 0; words[i]; i++) {
        size_t w;
        g_autofree char *word = bp_display_escape(words[i], &w);

        if (!*words[i])
            continue;
        if (col > 0 && col + 1 + w > width) {
            g_string_append_c(out, '\n');
            col = 0;
        }
        if (col == 0) {
            g_string_append(out, indent);
            col = strlen(indent);
        } else {
            g_string_append_c(out, ' ');
            col++;
        }
        g_string_append(out, word);
        col += w;
    }
    if (col > 0)
        g_string_append_c(out, '\n');
    return g_string_free(out, FALSE);
}


/* How an option is written in OPTIONS, and in SYNOPSIS (newly allocated). */
static char *
bp_help_opt_form(const BpCmdOptDef *o, gboolean synopsis)
{
    switch (o->type) {
    case BP_OPT_BOOL:
        return synopsis ? g_strdup_printf("[--%s]", o->name)
                        : g_strdup_printf("--%s", o->name);
    case BP_OPT_STRING:
        if (synopsis)
            return g_strdup_printf(o->required ? "--%s <%s>" : "[--%s <%s>]",
                                   o->name, _("string"));
        return g_strdup_printf("--%s <%s>", o->name, _("string"));
    case BP_OPT_DATA:
        if (synopsis)
            return g_strdup_printf(o->required ? "<%s>" : "[<%s>]", o->name);
        return g_strdup_printf("[--%s] <%s>", o->name, _("string"));
    case BP_OPT_ARGV:
        if (synopsis)
            return g_strdup_printf(o->required ? "<%s>..." : "[<%s>]...",
                                   o->name);
        return g_strdup_printf("[--%s] <%s>", o->name, _("string"));
    }
    g_assert_not_reached();
}


/* The full help of one command: NAME, SYNOPSIS, DESCRIPTION, OPTIONS. */
char *
bp_help_command(const BpCmdDef *def)
{
    GString *out = g_string_new(NULL);
    g_autofree char *desc = NULL;

    g_string_append_printf(out, "  %s\n", _("NAME"));
    g_string_append_printf(out, "    %s - %s\n", def->name, _(def->help));

    g_string_append_printf(out, "\n  %s\n", _("SYNOPSIS"));
    g_string_append_printf(out, "    %s", def->name);
    for (const BpCmdOptDef *o = def->opts; o && o->name; o++) {
        g_autofree char *form = bp_help_opt_form(o, TRUE);

        g_string_append_printf(out, " %s", form);
    }
    g_string_append_printf(out, " [--json]\n");

    if (def->desc && *def->desc) {
        desc = bp_help_wrap(_(def->desc), "    ", BP_HELP_WIDTH);
        g_string_append_printf(out, "\n  %s\n%s", _("DESCRIPTION"), desc);
    }

    g_string_append_printf(out, "\n  %s\n", _("OPTIONS"));
    for (const BpCmdOptDef *o = def->opts; o && o->name; o++) {
        g_autofree char *form = bp_help_opt_form(o, FALSE);
        size_t w;
        g_autofree char *safe = bp_display_escape(form, &w);

        g_string_append_printf(out, "    %s", safe);
        for (; w < 15; w++)
            g_string_append_c(out, ' ');
        g_string_append_printf(out, "  %s\n", _(o->help));
    }
    g_string_append_printf(out, "    %-15s  %s\n", "--json",
                           _("print the result as JSON"));
    g_string_append_c(out, '\n');
    return g_string_free(out, FALSE);
}


/* One group's heading and command lines; commands not implemented yet
 * are left out. */
static void
bp_help_group(GString *out, const BpCmdGroup *g)
{
    g_string_append_printf(out, _(" %s (help keyword '%s'):\n"), _(g->name),
                           g->keyword);
    for (const BpCmdDef *c = g->cmds; c->name; c++) {
        if (c->handler)
            g_string_append_printf(out, "    %-30s %s\n", c->name, _(c->help));
    }
    g_string_append_c(out, '\n');
}


/* The list of commands, by group, or only the group @only. */
char *
bp_help_groups(const BpCmdGroup *groups, const BpCmdGroup *only)
{
    GString *out = g_string_new(NULL);

    if (only) {
        bp_help_group(out, only);
        return g_string_free(out, FALSE);
    }
    g_string_append_printf(out, "%s\n\n", _("Grouped commands:"));
    for (const BpCmdGroup *g = groups; g->keyword; g++) {
        gboolean any = FALSE;

        for (const BpCmdDef *c = g->cmds; c->name; c++)
            any |= c->handler != NULL;
        if (any)
            bp_help_group(out, g);
    }
    return g_string_free(out, FALSE);
}


/* The first part of "blkpoint --help": how to call it and the global
 * options. */
char *
bp_help_usage(const char *progname)
{
    GString *out = g_string_new(NULL);

    g_string_append_printf(out, "\n%s [%s]... <%s> [%s...]\n\n", progname,
                           _("options"), _("command"), _("args"));
    g_string_append_printf(out, "  %s\n", _("options:"));
    g_string_append_printf(out, "    %-28s %s\n", "-c | --connect=BUS",
                           _("the daemon's bus: system or session"));
    g_string_append_printf(out, "    %-28s %s\n", "-h | --help",
                           _("this help"));
    g_string_append_printf(out, "    %-28s %s\n", "--json",
                           _("print results as JSON"));
    g_string_append_printf(out, "    %-28s %s\n", "--no-user-interaction",
                           _("never let polkit ask for a password"));
    g_string_append_printf(out, "    %-28s %s\n", "-q | --quiet",
                           _("quiet mode"));
    g_string_append_printf(out, "    %-28s %s\n", "-v | --version",
                           _("print the client's version"));
    g_string_append_printf(out, "    %-28s %s\n", "-V",
                           _("print the client's and the daemon's versions"));
    g_string_append_printf(out, "\n  %s\n\n", _("commands:"));
    return g_string_free(out, FALSE);
}


/* ---- help ------------------------------------------------------------ */

const BpCmdOptDef bp_opts_help[] = {
    { "command", BP_OPT_DATA, FALSE, N_("Prints global help, command specific help, or help for a group of related commands") },
    { NULL, 0, FALSE, NULL }
};


static void
bp_help_json_opts(JsonBuilder *b, const BpCmdDef *c)
{
    static const char *const types[] = { "bool", "string", "data", "argv" };

    json_builder_begin_array(b);
    for (const BpCmdOptDef *o = c->opts; o && o->name; o++) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, o->name);
        json_builder_set_member_name(b, "type");
        json_builder_add_string_value(b, types[o->type]);
        json_builder_set_member_name(b, "required");
        json_builder_add_boolean_value(b, o->required);
        json_builder_set_member_name(b, "help");
        json_builder_add_string_value(b, _(o->help));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}


static void
bp_help_json_cmd(JsonBuilder *b, const BpCmdGroup *g, const BpCmdDef *c,
                 gboolean full)
{
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, c->name);
    json_builder_set_member_name(b, "group");
    json_builder_add_string_value(b, g->keyword);
    json_builder_set_member_name(b, "implemented");
    json_builder_add_boolean_value(b, c->handler != NULL);
    json_builder_set_member_name(b, "help");
    json_builder_add_string_value(b, _(c->help));
    if (full) {
        json_builder_set_member_name(b, "description");
        json_builder_add_string_value(b, c->desc ? _(c->desc) : "");
        json_builder_set_member_name(b, "options");
        bp_help_json_opts(b, c);
    }
    json_builder_end_object(b);
}


gboolean
bp_cmd_help(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    const char *topic = bp_cmd_opt_string(cmd, "command");
    const BpCmdDef *def = NULL;
    const BpCmdGroup *group = NULL;
    const BpCmdGroup *def_group = NULL;
    g_autofree char *text = NULL;

    if (topic) {
        for (const BpCmdGroup *g = ctl->groups; g->keyword && !def; g++) {
            for (const BpCmdDef *c = g->cmds; c->name; c++) {
                if (g_str_equal(c->name, topic)) {
                    def = c;
                    def_group = g;
                    break;
                }
            }
        }
        if (!def)
            group = bp_cmd_group_lookup(ctl->groups, topic);
        if (!def && !group) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("command or command group '%s' doesn't exist"),
                        topic);
            return FALSE;
        }
        if (def && !def->handler) {
            g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_UNSUPPORTED,
                        _("command '%s' is not implemented yet"), topic);
            return FALSE;
        }
    }

    if (ctl->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        if (def) {
            bp_help_json_cmd(b, def_group, def, TRUE);
        } else {
            json_builder_begin_array(b);
            for (const BpCmdGroup *g = ctl->groups; g->keyword; g++) {
                if (group && g != group)
                    continue;
                for (const BpCmdDef *c = g->cmds; c->name; c++)
                    bp_help_json_cmd(b, g, c, FALSE);
            }
            json_builder_end_array(b);
        }
        bp_ctl_print_json(ctl, json_builder_get_root(b));
        return TRUE;
    }

    text = def ? bp_help_command(def) : bp_help_groups(ctl->groups, group);
    bp_ctl_print(ctl, "%s", text);
    return TRUE;
}


/* ---- version --------------------------------------------------------- */

/* Prints the client's version and, if @with_daemon, the daemon's and its
 * QEMU's; returns FALSE (with @error) when the daemon cannot be asked. */
static gboolean
bp_version_show(BpCtl *ctl, gboolean fail_without_daemon, GError **error)
{
    g_autoptr(GVariant) props = NULL;
    const char *qemu = NULL;

    if (bp_ctl_connect(ctl, error))
        props = bp_ctl_get_all(ctl, BP_MANAGER_PATH, BP_IFACE_MANAGER, error);
    if (!props && fail_without_daemon)
        return FALSE;
    g_clear_error(error);
    if (props)
        qemu = bp_props_string(props, "QemuVersion");

    if (ctl->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "client");
        json_builder_add_string_value(b, PACKAGE_VERSION);
        json_builder_set_member_name(b, "daemon");
        if (props)
            json_builder_add_string_value(b, bp_props_string(props, "Version"));
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, "qemu");
        if (qemu && *qemu)
            json_builder_add_string_value(b, qemu);
        else
            json_builder_add_null_value(b);
        json_builder_end_object(b);
        bp_ctl_print_json(ctl, json_builder_get_root(b));
        return TRUE;
    }

    bp_ctl_print(ctl, _("Client: blkpoint %s\n"), PACKAGE_VERSION);
    if (props)
        bp_ctl_print(ctl, _("Daemon: blkpointd %s\n"),
                     bp_props_string(props, "Version"));
    if (qemu && *qemu)
        bp_ctl_print(ctl, _("QEMU: qemu-storage-daemon %s\n"), qemu);
    return TRUE;
}


/* -V: the versions, the daemon's only when it answers. */
void
bp_version_print(BpCtl *ctl, gboolean with_daemon)
{
    if (with_daemon) {
        bp_version_show(ctl, FALSE, NULL);
        return;
    }
    if (ctl->json) {
        bp_ctl_print_json_string(ctl, "client", PACKAGE_VERSION);
        return;
    }
    bp_ctl_print(ctl, "%s\n", PACKAGE_VERSION);
}


gboolean
bp_cmd_version(BpCtl *ctl, const BpCmd *cmd G_GNUC_UNUSED, GError **error)
{
    return bp_version_show(ctl, TRUE, error);
}
