/*
 * test-planner.c: the bitmap planner on our own scenarios.
 *
 * 1. Golden cases: every tests/plannerdata/<case>.json names a graph
 *    (tests/plannerdata/<graph>.json, format in plannertest.h), may give
 *    a catalogue (else the graph file's), and lists requests.  All
 *    requests go into one plan (so a case shows what one transaction
 *    would carry); each request prints one line ("ok", its result, or
 *    its error), then the plan is printed as JSON.  A failing request
 *    must leave the plan as it was, which the printed plan shows.  The
 *    output is compared with <case>.out; BP_TEST_REGENERATE=1 rewrites
 *    the .out files (review the diff before committing).
 *
 *    Request forms ("op" and its members):
 *      validate   target, bitmap          chain validity and the reason
 *      create     checkpoint {name, parent, disks: [{target, bitmap,
 *                 granularity}]}
 *      delete     name, mode ("single", "children", "children-only")
 *      delete-list name, mode             which checkpoints, in order
 *      size       name (from the catalogue), tmp (optional)
 *      redefine   checkpoint, validate (bool)
 *      backup     target, bitmap, node, tmp (node, tmp optional)
 *      snapshot   target, overlay
 *      commit     target, top, base
 *      copy       target, mirror, shallow
 *      pull       target, base (optional)
 *
 * 2. Unit checks: the JSON printer, the reserved names agree with
 *    src/conf's, temporary names.
 */
#include <config.h>

#include <string.h>

#include "planner/bp-planner.h"
#include "conf/bp-checkpoint-conf.h"   /* only the reserved-prefix macro */
#include "util/bp-error.h"
#include "testutils.h"
#include "plannertest.h"


/* ---- 1. golden cases ------------------------------------------------------ */

static const char *
member_str(JsonObject *obj, const char *name)
{
    return json_object_get_string_member_with_default(obj, name, NULL);
}


static BpPlanDeleteMode
parse_mode(const char *mode)
{
    if (!mode || g_str_equal(mode, "single"))
        return BP_PLAN_DELETE_SINGLE;
    if (g_str_equal(mode, "children"))
        return BP_PLAN_DELETE_CHILDREN;
    if (g_str_equal(mode, "children-only"))
        return BP_PLAN_DELETE_CHILDREN_ONLY;
    g_error("unknown delete mode '%s'", mode);
}


/* Runs one request; appends its line to @out. */
static void
run_request(guint n, JsonObject *req, BpPlan *plan, const BpBlockGraph *graph,
            const BpPlanCatalogue *cat, GString *out)
{
    const char *op = member_str(req, "op");
    g_autoptr(GError) error = NULL;
    g_autofree char *what = NULL;
    gboolean ok = FALSE;

    g_assert_nonnull(op);
    if (g_str_equal(op, "validate")) {
        const BpBlockDisk *disk = bp_block_graph_get_disk(graph, member_str(req, "target"));
        g_autofree char *reason = NULL;

        g_assert_nonnull(disk);
        if (bp_planner_bitmap_chain_is_valid(disk, member_str(req, "bitmap"), &reason))
            g_string_append_printf(out, "request %u validate %s %s: valid\n", n,
                                   disk->target, member_str(req, "bitmap"));
        else
            g_string_append_printf(out, "request %u validate %s %s: invalid: %s\n", n,
                                   disk->target, member_str(req, "bitmap"), reason);
        return;
    }
    if (g_str_equal(op, "delete-list")) {
        g_autoptr(GPtrArray) list =
            bp_planner_checkpoint_delete_list(cat, member_str(req, "name"),
                                              parse_mode(member_str(req, "mode")), &error);

        g_string_append_printf(out, "request %u delete-list %s:", n, member_str(req, "name"));
        if (!list) {
            g_autofree char *msg = plannertest_format_error(error);

            g_string_append_printf(out, " error %s\n", msg);
            return;
        }
        for (guint i = 0; i < list->len; i++)
            g_string_append_printf(out, " %s",
                                   ((BpPlanCheckpoint *) g_ptr_array_index(list, i))->name);
        g_string_append_c(out, '\n');
        return;
    }

    if (g_str_equal(op, "create") || g_str_equal(op, "redefine")) {
        g_autoptr(BpPlanCheckpoint) chk =
            plannertest_checkpoint_from_json(json_object_get_object_member(req, "checkpoint"));

        what = g_strdup_printf("%s %s", op, chk->name);
        if (g_str_equal(op, "create"))
            ok = bp_planner_checkpoint_create(plan, graph, cat, chk, &error);
        else
            ok = bp_planner_checkpoint_redefine_check(
                graph, cat, chk,
                json_object_get_boolean_member_with_default(req, "validate", FALSE), &error);
    } else if (g_str_equal(op, "delete")) {
        what = g_strdup_printf("delete %s %s", member_str(req, "name"),
                               member_str(req, "mode") ? member_str(req, "mode") : "single");
        ok = bp_planner_checkpoint_delete(plan, graph, cat, member_str(req, "name"),
                                          parse_mode(member_str(req, "mode")), &error);
    } else if (g_str_equal(op, "size")) {
        const BpPlanCheckpoint *chk = bp_plan_catalogue_lookup(cat, member_str(req, "name"));

        g_assert_nonnull(chk);
        what = g_strdup_printf("size %s", chk->name);
        ok = bp_planner_checkpoint_size(plan, graph, chk, member_str(req, "tmp"), &error);
    } else if (g_str_equal(op, "backup")) {
        what = g_strdup_printf("backup %s from %s", member_str(req, "target"),
                               member_str(req, "bitmap"));
        ok = bp_planner_backup_bitmap(plan, graph, member_str(req, "target"),
                                      member_str(req, "bitmap"), member_str(req, "node"),
                                      member_str(req, "tmp"), &error);
    } else if (g_str_equal(op, "snapshot")) {
        what = g_strdup_printf("snapshot %s onto %s", member_str(req, "target"),
                               member_str(req, "overlay"));
        ok = bp_planner_snapshot(plan, graph, member_str(req, "target"),
                                 member_str(req, "overlay"), &error);
    } else if (g_str_equal(op, "commit")) {
        what = g_strdup_printf("commit %s %s into %s", member_str(req, "target"),
                               member_str(req, "top"), member_str(req, "base"));
        ok = bp_planner_block_commit(plan, graph, member_str(req, "target"),
                                     member_str(req, "top"), member_str(req, "base"),
                                     NULL, &error);
    } else if (g_str_equal(op, "copy")) {
        gboolean shallow = json_object_get_boolean_member_with_default(req, "shallow", FALSE);

        what = g_strdup_printf("copy %s to %s%s", member_str(req, "target"),
                               member_str(req, "mirror"), shallow ? " shallow" : "");
        ok = bp_planner_block_copy(plan, graph, member_str(req, "target"),
                                   member_str(req, "mirror"), shallow, NULL, &error);
    } else if (g_str_equal(op, "pull")) {
        what = g_strdup_printf("pull %s down to %s", member_str(req, "target"),
                               member_str(req, "base") ? member_str(req, "base") : "(all)");
        ok = bp_planner_block_pull(plan, graph, member_str(req, "target"),
                                   member_str(req, "base"), &error);
    } else {
        g_error("unknown request op '%s'", op);
    }

    if (ok) {
        g_assert_no_error(error);
        g_string_append_printf(out, "request %u %s: ok\n", n, what);
    } else {
        g_autofree char *msg = NULL;

        g_assert_nonnull(error);
        msg = plannertest_format_error(error);
        g_string_append_printf(out, "request %u %s: error %s\n", n, what, msg);
    }
}


static void
test_golden(gconstpointer data)
{
    const char *name = data;
    g_autofree char *rel = g_strdup_printf("plannerdata/%s.json", name);
    g_autofree char *outrel = g_strdup_printf("plannerdata/%s.out", name);
    g_autofree char *path = bp_test_srcpath(rel);
    g_autofree char *outpath = bp_test_srcpath(outrel);
    g_autoptr(JsonNode) doc = plannertest_load_json(path);
    JsonObject *kase = json_node_get_object(doc);
    g_autofree char *graphrel = g_strdup_printf("plannerdata/%s.json",
                                                member_str(kase, "graph"));
    g_autofree char *graphpath = bp_test_srcpath(graphrel);
    g_autoptr(JsonNode) graphdoc = plannertest_load_json(graphpath);
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autoptr(BpPlanCatalogue) cat = NULL;
    g_autoptr(BpPlan) plan = bp_plan_new();
    g_autoptr(JsonNode) planjson = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *pretty = NULL;
    GString *out = g_string_new(NULL);
    g_autofree char *actual = NULL;
    JsonArray *requests;
    JsonNode *catnode;

    graph = plannertest_graph_from_json(json_node_get_object(graphdoc), &error);
    g_assert_no_error(error);
    catnode = json_object_get_member(kase, "catalogue");
    if (!catnode)
        catnode = json_object_get_member(json_node_get_object(graphdoc), "catalogue");
    cat = plannertest_catalogue_from_json(catnode ? json_node_get_array(catnode) : NULL);

    requests = json_object_get_array_member(kase, "requests");
    g_assert_nonnull(requests);
    for (guint i = 0; i < json_array_get_length(requests); i++)
        run_request(i + 1, json_array_get_object_element(requests, i), plan, graph, cat, out);

    planjson = bp_plan_to_json(plan);
    pretty = bp_plan_json_pretty(planjson);
    g_string_append_printf(out, "plan:\n%s\n", pretty);
    actual = g_string_free(out, FALSE);
    bp_test_compare_to_file(actual, outpath);
}


/* ---- 2. unit checks --------------------------------------------------------- */

static void
test_reserved_names(void)
{
    static const char *const planner[] = BP_PLANNER_RESERVED_PREFIXES;
    static const char *const conf[] = BP_CHECKPOINT_RESERVED_PREFIXES;
    g_autofree char *backup = bp_planner_backup_bitmap_name("vda");

    /* The planner's temporary names are what src/conf refuses as
     * checkpoint names. */
    g_assert_cmpuint(g_strv_length((char **) planner), ==, g_strv_length((char **) conf));
    for (guint i = 0; planner[i]; i++)
        g_assert_cmpstr(planner[i], ==, conf[i]);

    g_assert_cmpstr(backup, ==, "backup-vda");
    g_assert_true(bp_planner_bitmap_name_is_reserved(backup));
    g_assert_true(bp_planner_bitmap_name_is_reserved(BP_PLANNER_BITMAP_SIZE));
    g_assert_true(bp_planner_bitmap_name_is_reserved(BP_PLANNER_BITMAP_ACTIVEWRITE));
    g_assert_false(bp_planner_bitmap_name_is_reserved("c1"));
    g_assert_false(bp_planner_bitmap_name_is_reserved("my-backup-1"));
    g_assert_false(bp_planner_bitmap_name_is_reserved(NULL));
}


static void
test_json_pretty(void)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    /* The output of Python's json.dumps(json.loads(IN), indent=2). */
    const char *in =
        "{\"s\": \"a\\\"b\\\\c\\n\\t\\u0001\\u007f\\u00e9\\u20ac\\ud83d\\ude00/\","
        " \"e\": [], \"o\": {}, \"n\": [1, -2, true, false, null, {\"k\": [[]]}]}";
    const char *expected =
        "{\n"
        "  \"s\": \"a\\\"b\\\\c\\n\\t\\u0001\\u007f\\u00e9\\u20ac\\ud83d\\ude00/\",\n"
        "  \"e\": [],\n"
        "  \"o\": {},\n"
        "  \"n\": [\n"
        "    1,\n"
        "    -2,\n"
        "    true,\n"
        "    false,\n"
        "    null,\n"
        "    {\n"
        "      \"k\": [\n"
        "        []\n"
        "      ]\n"
        "    }\n"
        "  ]\n"
        "}";

    g_assert_true(json_parser_load_from_data(parser, in, -1, &error));
    out = bp_plan_json_pretty(json_parser_get_root(parser));
    g_assert_cmpstr(out, ==, expected);
}


static void
test_action_json(void)
{
    g_autoptr(BpPlanAction) add = bp_plan_action_bitmap_add("n1", "c1", TRUE, FALSE, 0);
    g_autoptr(BpPlanAction) merge = bp_plan_action_bitmap_merge("n1", "t");
    g_autoptr(BpPlanAction) copy = NULL;
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autofree char *text = NULL;

    /* libvirt's exact form: "disabled" always, no granularity when 0. */
    json_node_take_object(node, bp_plan_action_to_json(add));
    json_generator_set_root(gen, node);
    text = json_generator_to_data(gen, NULL);
    g_assert_cmpstr(text, ==,
                    "{\"type\":\"block-dirty-bitmap-add\",\"data\":{\"node\":\"n1\","
                    "\"name\":\"c1\",\"persistent\":true,\"disabled\":false}}");
    g_clear_pointer(&text, g_free);

    /* A source on the target's own node stays a {node, name} object. */
    bp_plan_action_add_source(merge, "n1", "a");
    bp_plan_action_add_source(merge, "n2", "a");
    copy = bp_plan_action_copy(merge);
    json_node_take_object(node, bp_plan_action_to_json(copy));
    json_generator_set_root(gen, node);
    text = json_generator_to_data(gen, NULL);
    g_assert_cmpstr(text, ==,
                    "{\"type\":\"block-dirty-bitmap-merge\",\"data\":{\"node\":\"n1\","
                    "\"target\":\"t\",\"bitmaps\":[{\"node\":\"n1\",\"name\":\"a\"},"
                    "{\"node\":\"n2\",\"name\":\"a\"}]}}");
}


static int
compare_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *) a, *(char *const *) b);
}


int
main(int argc, char **argv)
{
    g_autofree char *dir = NULL;
    g_autoptr(GDir) d = NULL;
    g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(g_free);
    const char *entry;

    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/planner/reserved-names", test_reserved_names);
    g_test_add_func("/planner/json-pretty", test_json_pretty);
    g_test_add_func("/planner/action-json", test_action_json);

    dir = bp_test_srcpath("plannerdata");
    d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    while ((entry = g_dir_read_name(d))) {
        if (g_str_has_suffix(entry, ".json"))
            g_ptr_array_add(cases, g_strndup(entry, strlen(entry) - strlen(".json")));
    }
    g_ptr_array_sort(cases, compare_names);
    for (guint i = 0; i < cases->len; i++) {
        const char *name = g_ptr_array_index(cases, i);
        g_autofree char *path = g_strdup_printf("/planner/golden/%s", name);

        g_test_add_data_func(path, name, test_golden);
    }
    g_assert_cmpuint(cases->len, >, 0);
    return g_test_run();
}
