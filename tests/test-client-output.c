/*
 * test-client-output.c: how blkpoint lays out what it prints.
 *
 * - tables as virsh's vshTable lays them out (the expected texts are
 *   virsh's own output for the same cells), with and without the header,
 *   with wide and control characters;
 * - "dominfo" fields padded like printf("%-15s %s");
 * - JSON documents that parse back to what was built;
 * - the help of a command (NAME, SYNOPSIS, OPTIONS) and text wrapping;
 * - D-Bus errors turned back into BP_ERROR codes, names and messages
 *   without GDBus's prefix.
 */
#include <config.h>

#include <locale.h>

#include "client/blkpoint-domain.h"
#include "client/blkpoint-help.h"
#include "client/blkpoint-output.h"
#include "client/blkpoint-util.h"
#include "util/bp-error.h"


/* virsh list, run on a host with one running and one stopped domain. */
static void
test_table_virsh_list(void)
{
    g_autoptr(BpTable) t = bp_table_new("Id", "Name", "State", NULL);
    g_autofree char *text = NULL;
    g_autofree char *quiet = NULL;

    bp_table_add_row(t, "1", "vm1", "running", NULL);
    bp_table_add_row(t, "-", "vm2", "shut off", NULL);
    text = bp_table_format(t, TRUE);
    g_assert_cmpstr(text, ==,
                    " Id   Name   State\n"
                    "-----------------------\n"
                    " 1    vm1    running\n"
                    " -    vm2    shut off\n");

    /* Quiet: no header, and the header no longer widens the columns. */
    quiet = bp_table_format(t, FALSE);
    g_assert_cmpstr(quiet, ==,
                    " 1   vm1   running\n"
                    " -   vm2   shut off\n");
}


/* An empty table is its header and dashes only. */
static void
test_table_empty(void)
{
    g_autoptr(BpTable) t = bp_table_new("Target", "Source", NULL);
    g_autofree char *text = bp_table_format(t, TRUE);
    g_autofree char *quiet = bp_table_format(t, FALSE);

    g_assert_cmpstr(text, ==,
                    " Target   Source\n"
                    "------------------\n");
    g_assert_cmpstr(quiet, ==, "");
}


/* Columns line up by display width: a wide character counts two
 * columns, a combining mark none, a tab is shown as \x09. */
static void
test_table_widths(void)
{
    g_autoptr(BpTable) t = bp_table_new("Name", "State", NULL);
    g_autofree char *text = NULL;

    bp_table_add_row(t, "\xe6\x97\xa5\xe6\x9c\xac", "running", NULL);  /* two wide */
    bp_table_add_row(t, "e\xcc\x81t\xc3\xa9", "running", NULL);        /* e + combining acute */
    bp_table_add_row(t, "a\tb", "x", NULL);
    text = bp_table_format(t, TRUE);
    g_assert_cmpstr(text, ==,
                    " Name     State\n"
                    "-------------------\n"
                    " \xe6\x97\xa5\xe6\x9c\xac     running\n"
                    " e\xcc\x81t\xc3\xa9      running\n"
                    " a\\x09b   x\n");
}


static void
test_display_escape(void)
{
    size_t w;
    g_autofree char *a = bp_display_escape("plain", &w);
    g_autofree char *b = NULL;
    g_autofree char *c = NULL;

    g_assert_cmpstr(a, ==, "plain");
    g_assert_cmpuint(w, ==, 5);
    b = bp_display_escape("bad\xff", &w);            /* not UTF-8 */
    g_assert_cmpstr(b, ==, "bad\\xff");
    g_assert_cmpuint(w, ==, 7);
    c = bp_display_escape(NULL, &w);
    g_assert_cmpstr(c, ==, "");
    g_assert_cmpuint(w, ==, 0);
}


/* dominfo: labels padded to 15 columns and one space, as "%-15s %s". */
static void
test_field_alignment(void)
{
    g_autofree char *name = bp_field_format("Name:", "vm1");
    g_autofree char *exact = bp_field_format("Security label:", "x");
    g_autofree char *longer = bp_field_format("A longer label:", "y");
    g_autofree char *wide = bp_field_format("\xe7\x8a\xb6\xe6\x80\x81:", "z");
    g_autofree char *expect = g_strdup_printf("%-15s %s\n", "Name:", "vm1");

    g_assert_cmpstr(name, ==, expect);
    g_assert_cmpstr(name, ==, "Name:           vm1\n");
    g_assert_cmpstr(exact, ==, "Security label: x\n");
    g_assert_cmpstr(longer, ==, "A longer label: y\n");
    /* Two wide characters and a colon are 5 columns: 10 spaces pad to 15,
     * then the separating one. */
    g_assert_cmpstr(wide, ==, "\xe7\x8a\xb6\xe6\x80\x81:           z\n");
}


static void
test_json_format(void)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;
    JsonObject *o;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, "vm \"1\"");
    json_builder_set_member_name(b, "pid");
    json_builder_add_int_value(b, 42);
    json_builder_set_member_name(b, "current_checkpoint");
    json_builder_add_null_value(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);

    text = bp_json_format(root);
    g_assert_true(g_str_has_suffix(text, "}\n"));
    g_assert_nonnull(strstr(text, "\n  \"pid\" : 42"));
    g_assert_true(json_parser_load_from_data(p, text, -1, &err));
    g_assert_no_error(err);
    o = json_node_get_object(json_parser_get_root(p));
    g_assert_cmpstr(json_object_get_string_member(o, "name"), ==, "vm \"1\"");
    g_assert_cmpint(json_object_get_int_member(o, "pid"), ==, 42);
    g_assert_true(json_object_get_null_member(o, "current_checkpoint"));
}


/* The daemon's states in virsh's words. */
static void
test_state_display(void)
{
    g_assert_cmpstr(bp_domain_state_display("shutoff"), ==, "shut off");
    g_assert_cmpstr(bp_domain_state_display("running"), ==, "running");
    g_assert_cmpstr(bp_domain_state_display("stopping"), ==, "in shutdown");
    g_assert_cmpstr(bp_domain_state_display("crashed"), ==, "crashed");
    g_assert_cmpstr(bp_domain_state_display("starting"), ==, "starting");
    g_assert_cmpstr(bp_domain_state_display("paused"), ==, "paused");
}


static void
test_help_wrap(void)
{
    g_autofree char *text = bp_help_wrap("one two three four five", "  ", 12);

    g_assert_cmpstr(text, ==, "  one two\n  three four\n  five\n");
}


/* The help of "domblklist": virsh's sections, every option, and the
 * positional domain shown both ways. */
static void
test_help_command(void)
{
    const BpCmdDef def = { "domblklist", bp_cmd_domblklist, bp_opts_domblklist,
                           "list all domain blocks", "Get the summary." };
    g_autofree char *text = bp_help_command(&def);

    g_assert_true(g_str_has_prefix(text,
                                   "  NAME\n"
                                   "    domblklist - list all domain blocks\n"
                                   "\n"
                                   "  SYNOPSIS\n"
                                   "    domblklist <domain> [--inactive] [--details] [--json]\n"
                                   "\n"
                                   "  DESCRIPTION\n"
                                   "    Get the summary.\n"
                                   "\n"
                                   "  OPTIONS\n"
                                   "    [--domain] <string>  domain name or uuid\n"
                                   "    --inactive       get inactive"));
    g_assert_nonnull(strstr(text, "\n    --details        additionally"));
    g_assert_nonnull(strstr(text, "\n    --json           print the result as JSON\n"));
}


/* Named errors from the daemon come back as BP_ERROR codes; the message
 * loses GDBus's prefix and the name survives for --json. */
static void
test_error_mapping(void)
{
    g_autoptr(GError) remote = NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(GError) unmapped = NULL;
    g_autoptr(GError) other = NULL;
    g_autofree char *msg = NULL;
    g_autofree char *name = NULL;
    g_autofree char *lname = NULL;
    g_autofree char *uname = NULL;
    g_autofree char *umsg = NULL;
    g_autofree char *oname = NULL;

    bp_error_register_dbus();
    remote = g_dbus_error_new_for_dbus_error("org.blkpoint.Blkpoint1.Error.NoDomain",
                                             "no domain with matching name 'x'");
    g_assert_error(remote, BP_ERROR, BP_ERROR_NO_DOMAIN);
    g_assert_true(g_str_has_prefix(remote->message, "GDBus.Error:"));
    msg = bp_error_message(remote);
    g_assert_cmpstr(msg, ==, "no domain with matching name 'x'");
    name = bp_error_name(remote);
    g_assert_cmpstr(name, ==, "org.blkpoint.Blkpoint1.Error.NoDomain");

    local = g_error_new(BP_ERROR, BP_ERROR_INVALID_ARGUMENT, "bad");
    lname = bp_error_name(local);
    g_assert_cmpstr(lname, ==, "org.blkpoint.Blkpoint1.Error.InvalidArgument");

    unmapped = g_dbus_error_new_for_dbus_error("org.freedesktop.DBus.Error.ServiceUnknown",
                                               "not provided by any .service files");
    uname = bp_error_name(unmapped);
    umsg = bp_error_message(unmapped);
    g_assert_cmpstr(uname, ==, "org.freedesktop.DBus.Error.ServiceUnknown");
    g_assert_cmpstr(umsg, ==, "not provided by any .service files");

    other = g_error_new(G_FILE_ERROR, G_FILE_ERROR_NOENT, "gone");
    oname = bp_error_name(other);
    g_assert_cmpstr(oname, ==, "org.blkpoint.Blkpoint1.Error.Failed");
}


int
main(int argc, char **argv)
{
    /* Display widths need a UTF-8 locale; messages stay untranslated. */
    setlocale(LC_ALL, "C.UTF-8");
    g_setenv("LANGUAGE", "C", TRUE);
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/client/output/table/virsh-list", test_table_virsh_list);
    g_test_add_func("/client/output/table/empty", test_table_empty);
    g_test_add_func("/client/output/table/widths", test_table_widths);
    g_test_add_func("/client/output/escape", test_display_escape);
    g_test_add_func("/client/output/field-alignment", test_field_alignment);
    g_test_add_func("/client/output/json", test_json_format);
    g_test_add_func("/client/output/state", test_state_display);
    g_test_add_func("/client/output/help-wrap", test_help_wrap);
    g_test_add_func("/client/output/help-command", test_help_command);
    g_test_add_func("/client/output/errors", test_error_mapping);
    return g_test_run();
}
