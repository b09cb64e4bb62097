/*
 * test-util.c: unit tests for src/util (errors, buffer, XML parsing).
 */
#include <config.h>

#include <gio/gio.h>

#include "util/bp-buf.h"
#include "util/bp-enum.h"
#include "util/bp-error.h"
#include "util/bp-xml.h"

typedef enum { COLOUR_RED, COLOUR_GREEN, COLOUR_LAST } Colour;
BP_ENUM_DECL(colour);
BP_ENUM_IMPL(colour, COLOUR_LAST, "red", "green")


static void
test_error_names(void)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    bp_error_register_dbus();
    for (int i = 0; i < BP_ERROR_NUM_ENTRIES; i++) {
        const char *name = bp_error_dbus_name(i);
        g_autoptr(GError) local = NULL;
        g_autoptr(GError) back = NULL;
        g_autofree char *remote = NULL;

        g_assert_nonnull(name);
        g_assert_true(g_str_has_prefix(name, "org.blkpoint.Blkpoint1.Error."));
        g_assert_true(g_dbus_is_interface_name(name));
        g_assert_false(g_hash_table_contains(seen, name));
        g_hash_table_add(seen, (gpointer) name);

        /* A BP_ERROR crossing the bus keeps its code. */
        local = g_error_new_literal(BP_ERROR, i, "boom");
        remote = g_dbus_error_encode_gerror(local);
        g_assert_cmpstr(remote, ==, name);
        back = g_dbus_error_new_for_dbus_error(name, "boom");
        g_assert_error(back, BP_ERROR, i);
    }
    g_assert_null(bp_error_dbus_name(BP_ERROR_NUM_ENTRIES));
}


static void
test_enum(void)
{
    g_assert_cmpstr(colour_to_string(COLOUR_GREEN), ==, "green");
    g_assert_null(colour_to_string(COLOUR_LAST));
    g_assert_cmpint(colour_from_string("red"), ==, COLOUR_RED);
    g_assert_cmpint(colour_from_string("blue"), ==, -1);
    g_assert_cmpint(colour_from_string(NULL), ==, -1);
}


static void
test_buf_format(void)
{
    g_auto(BpBuf) buf = BP_BUF_INIT;
    g_auto(BpBuf) attr = BP_BUF_INIT;
    g_auto(BpBuf) child = BP_BUF_INIT;
    g_auto(BpBuf) empty = BP_BUF_INIT;
    g_autofree char *out = NULL;

    bp_buf_add(&buf, "<disks>\n");
    bp_buf_adjust_indent(&buf, 2);
    bp_buf_init_child(&child, &buf);
    bp_buf_escape(&attr, " name='%s'", "a'b<&>\"c");
    bp_buf_addf(&child, "<driver type='%s'/>\n", "qcow2");
    bp_xml_format_element(&buf, "disk", &attr, &child);
    bp_buf_escape(&attr, " name='%s'", "vdb");
    bp_xml_format_element(&buf, "disk", &attr, NULL);
    bp_xml_format_element(&buf, "nothing", &empty, NULL);
    bp_buf_adjust_indent(&buf, -2);
    bp_buf_add(&buf, "</disks>\n");
    out = bp_buf_steal(&buf);
    g_assert_cmpstr(out, ==,
                    "<disks>\n"
                    "  <disk name='a&apos;b&lt;&amp;&gt;&quot;c'>\n"
                    "    <driver type='qcow2'/>\n"
                    "  </disk>\n"
                    "  <disk name='vdb'/>\n"
                    "</disks>\n");
}


static void
test_xml_syntax_error(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = NULL;

    doc = bp_xml_parse("<domainbackup>\n  <disks>\n    <disk name=vda/>\n</domainbackup>\n",
                       "domainbackup", "domainbackup", NULL, NULL, &error);
    g_assert_null(doc);
    g_assert_error(error, BP_ERROR, BP_ERROR_XML_SYNTAX);
    g_assert_nonnull(strstr(error->message, "line 3"));
    g_clear_error(&error);

    doc = bp_xml_parse("", "domainbackup", "domainbackup", NULL, NULL, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_XML_SYNTAX);
    g_clear_error(&error);

    doc = bp_xml_parse("<domain/>", "domainbackup", "domainbackup", NULL,
                       NULL, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_XML_INVALID);
    g_assert_nonnull(strstr(error->message, "<domain>"));
}


static void
test_xml_no_entities(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autofree char *name = NULL;
    const char *xxe =
        "<?xml version='1.0'?>\n"
        "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>\n"
        "<x><name>&e;</name></x>\n";

    /* External entities are never loaded into the document. */
    doc = bp_xml_parse(xxe, "x", "x", NULL, &ctxt, &error);
    if (doc) {
        name = bp_xpath_string("./name", ctxt);
        g_assert_true(name == NULL || !strstr(name, "root:"));
    }
}


static void
test_xml_schema_error(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = NULL;

    doc = bp_xml_parse("<domaincheckpoint>\n"
                       "  <name>../escape</name>\n"
                       "</domaincheckpoint>\n",
                       "domaincheckpoint", "domaincheckpoint",
                       "domaincheckpoint.rng", NULL, &error);
    g_assert_null(doc);
    g_assert_error(error, BP_ERROR, BP_ERROR_XML_INVALID);
    g_assert_nonnull(strstr(error->message, "line 2"));
}


static void
test_xml_node_dump(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autofree char *out = NULL;
    xmlNode *node;

    doc = bp_xml_parse("<a>\n    <b x='1'>\n      <c/>\n    </b>\n</a>\n",
                       "a", "a", NULL, &ctxt, &error);
    g_assert_no_error(error);
    node = bp_xpath_node("./b", ctxt);
    g_assert_nonnull(node);
    out = bp_xml_node_dump(node, 2);
    g_assert_cmpstr(out, ==, "  <b x='1'>\n    <c/>\n  </b>\n");
}


/* Mixed content keeps its text exactly (found by fuzzing: re-indenting
 * it changed a domain's name). */
static void
test_xml_node_dump_mixed(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autofree char *out = NULL;

    doc = bp_xml_parse("<a>\n  <n> <n x=\"1\">v&amp;</n>w</n>\n</a>", "a", "a",
                       NULL, &ctxt, &error);
    g_assert_no_error(error);
    out = bp_xml_node_dump(bp_xpath_node("./n", ctxt), 2);
    g_assert_cmpstr(out, ==, "  <n> <n x='1'>v&amp;</n>w</n>\n");
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/util/error/dbus-names", test_error_names);
    g_test_add_func("/util/enum", test_enum);
    g_test_add_func("/util/buf/format", test_buf_format);
    g_test_add_func("/util/xml/syntax-error", test_xml_syntax_error);
    g_test_add_func("/util/xml/no-entities", test_xml_no_entities);
    g_test_add_func("/util/xml/schema-error", test_xml_schema_error);
    g_test_add_func("/util/xml/node-dump", test_xml_node_dump);
    g_test_add_func("/util/xml/node-dump-mixed", test_xml_node_dump_mixed);
    return g_test_run();
}
