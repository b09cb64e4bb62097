/*
 * plannertest.c: reading planner test inputs (see plannertest.h).
 */
#include <config.h>

#include <string.h>

#include "plannertest.h"
#include "testutils.h"
#include "util/bp-error.h"


JsonNode *
plannertest_load_json(const char *path)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;

    if (!json_parser_load_from_file(parser, path, &error))
        g_error("cannot parse %s: %s", path, error->message);
    return json_node_copy(json_parser_get_root(parser));
}


BpBlockGraph *
plannertest_graph_from_json(JsonObject *doc, GError **error)
{
    JsonArray *nodes = json_object_get_array_member(doc, "nodes");
    JsonArray *disks = json_object_get_array_member(doc, "disks");
    g_autoptr(JsonNode) named = json_node_new(JSON_NODE_ARRAY);
    g_autoptr(JsonNode) block_graph = json_node_new(JSON_NODE_OBJECT);
    JsonObject *bg = json_object_new();
    JsonArray *gnodes = json_array_new();
    JsonArray *edges = json_array_new();
    g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(BpBlockGraph) graph = NULL;

    json_node_set_array(named, nodes);
    for (guint i = 0; i < json_array_get_length(nodes); i++) {
        JsonObject *n = json_array_get_object_element(nodes, i);
        const char *name = json_object_get_string_member(n, "node-name");
        JsonObject *g = json_object_new();

        json_object_set_int_member(g, "id", i + 1);
        json_object_set_string_member(g, "type", "block-driver");
        json_object_set_string_member(g, "name", name);
        json_array_add_object_element(gnodes, g);
        g_hash_table_insert(ids, (gpointer) name, GUINT_TO_POINTER(i + 1));
    }
    for (guint i = 0; i < json_array_get_length(nodes); i++) {
        JsonObject *n = json_array_get_object_element(nodes, i);
        const char *backing = json_object_get_string_member_with_default(n, "backing", NULL);
        JsonObject *e;

        if (!backing)
            continue;
        if (!g_hash_table_contains(ids, backing))
            g_error("node '%s' has unknown backing node '%s'",
                    json_object_get_string_member(n, "node-name"), backing);
        e = json_object_new();
        json_object_set_int_member(e, "parent", i + 1);
        json_object_set_int_member(e, "child",
                                   GPOINTER_TO_UINT(g_hash_table_lookup(ids, backing)));
        json_object_set_string_member(e, "name", "backing");
        json_array_add_object_element(edges, e);
    }
    json_object_set_array_member(bg, "nodes", gnodes);
    json_object_set_array_member(bg, "edges", edges);
    json_node_take_object(block_graph, bg);

    if (!(graph = bp_block_graph_parse(named, block_graph, error)))
        return NULL;
    for (guint i = 0; disks && i < json_array_get_length(disks); i++) {
        JsonObject *d = json_array_get_object_element(disks, i);

        if (!bp_block_graph_add_disk(graph, json_object_get_string_member(d, "target"),
                                     json_object_get_string_member(d, "top"), error))
            return NULL;
    }
    return g_steal_pointer(&graph);
}


BpBlockGraph *
plannertest_load_graph(const char *name)
{
    g_autofree char *rel = g_strdup_printf("plannerdata/%s.json", name);
    g_autofree char *path = bp_test_srcpath(rel);
    g_autoptr(JsonNode) doc = plannertest_load_json(path);
    g_autoptr(GError) error = NULL;
    BpBlockGraph *graph = plannertest_graph_from_json(json_node_get_object(doc), &error);

    g_assert_no_error(error);
    return graph;
}


BpPlanCheckpoint *
plannertest_checkpoint_from_json(JsonObject *obj)
{
    JsonArray *disks = json_object_get_array_member(obj, "disks");
    BpPlanCheckpoint *chk =
        bp_plan_checkpoint_new(json_object_get_string_member(obj, "name"),
                               json_object_get_string_member_with_default(obj, "parent",
                                                                          NULL));

    for (guint i = 0; disks && i < json_array_get_length(disks); i++) {
        JsonObject *d = json_array_get_object_element(disks, i);

        bp_plan_checkpoint_add_disk(chk, json_object_get_string_member(d, "target"),
                                    json_object_get_string_member_with_default(d, "bitmap",
                                                                               NULL),
                                    json_object_get_int_member_with_default(d, "granularity",
                                                                            0));
    }
    return chk;
}


BpPlanCatalogue *
plannertest_catalogue_from_json(JsonArray *array)
{
    BpPlanCatalogue *cat = bp_plan_catalogue_new();

    for (guint i = 0; array && i < json_array_get_length(array); i++)
        bp_plan_catalogue_add(cat,
                              plannertest_checkpoint_from_json(
                                  json_array_get_object_element(array, i)));
    return cat;
}


char *
plannertest_format_error(const GError *error)
{
    const char *name = error->domain == BP_ERROR ? bp_error_dbus_name(error->code) : NULL;
    const char *dot = name ? strrchr(name, '.') : NULL;

    return g_strdup_printf("%s: %s", dot ? dot + 1 : "?", error->message);
}


gboolean
plannertest_compare_corpus(const char *actual, const char *relpath)
{
    g_autofree char *path = bp_test_conformance_path(relpath);
    g_autofree char *expected = NULL;

    if (!path || !g_file_test(path, G_FILE_TEST_EXISTS))
        return FALSE;
    g_assert_true(g_file_get_contents(path, &expected, NULL, NULL));
    if (!g_str_equal(expected, actual)) {
        g_test_message("output differs from %s\n--- expected\n%s--- actual\n%s",
                       path, expected, actual);
        g_test_fail();
    }
    return TRUE;
}
