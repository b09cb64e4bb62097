/*
 * test-planner-libvirt.c: the planner against libvirt's bitmap scenarios
 * (tests/qemublocktest.c and tests/qemublocktestdata/ upstream).
 *
 * The node graphs are the .json files of tests/plannerdata/libvirt/, converted once
 * from the corpus model's scenario data (see convert-bitmapmodel.py
 * there).  The expected outputs are read from the conformance corpus
 * (BP_CONFORMANCE_DIR/qemublocktestdata): model-generated/ has all of
 * them, upstream-verbatim/ the ones transcribed from libvirt; the output
 * must equal both byte for byte.  Everything is skipped when the corpus
 * is absent.  The cases and their parameters are those of libvirt's
 * mymain(), in its order; the planner is driven through its public
 * functions (not only the merge primitive), printed the way libvirt's
 * harness prints.
 */
#include <config.h>

#include "planner/bp-planner.h"
#include "util/bp-error.h"
#include "testutils.h"
#include "plannertest.h"

#define CORPUS "qemublocktestdata/"

/* libvirt's harness: fixed names of the fake nodes and bitmaps. */
#define TARGET_NODE "target_node"
#define TARGET_BITMAP "target-bitmap-name"
#define MIRROR_NODE "mirror-format-node"
#define ACTIVEWRITE "libvirt-tmp-activewrite"


static BpBlockGraph *
load_scenario(const char *scenario)
{
    g_autofree char *name = g_strdup_printf("libvirt/%s", scenario);

    return plannertest_load_graph(name);
}


static BpBlockDisk *
vda(BpBlockGraph *graph)
{
    BpBlockDisk *disk = bp_block_graph_get_disk(graph, "vda");

    g_assert_nonnull(disk);
    g_assert_cmpuint(disk->chain->len, ==, 5);
    return disk;
}


/* Pretty JSON of @actions plus a newline, as json.dumps(indent=2) + "\n". */
static char *
format_actions(GPtrArray *actions)
{
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_ARRAY);
    g_autofree char *text = NULL;

    json_node_take_array(node, bp_plan_actions_to_json(actions));
    text = bp_plan_json_pretty(node);
    return g_strconcat(text, "\n", NULL);
}


/* Compares with model-generated/ and, where it exists, upstream-verbatim/. */
static void
compare_both(const char *actual, const char *relpath)
{
    g_autofree char *model = g_strconcat(CORPUS "model-generated/", relpath, NULL);
    g_autofree char *upstream = g_strconcat(CORPUS "upstream-verbatim/", relpath, NULL);

    if (!plannertest_compare_corpus(actual, model)) {
        if (!g_test_failed())
            g_test_skip("expected output not in the corpus");
        return;
    }
    if (plannertest_compare_corpus(actual, upstream))
        g_test_message("also identical to upstream-verbatim/%s", relpath);
}


/* ---- bitmap validity (TEST_BITMAP_VALIDATE) ------------------------------ */

static void
test_validate(void)
{
    g_autofree char *path = bp_test_conformance_path(CORPUS "model-generated/bitmap-validate.txt");
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    guint checked = 0;

    if (!path)
        return;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) f = NULL;
        g_autoptr(BpBlockGraph) graph = NULL;
        g_autofree char *reason = NULL;
        gboolean valid;

        if (!*lines[i])
            continue;
        f = g_strsplit(lines[i], " ", 3);
        g_assert_cmpuint(g_strv_length(f), ==, 3);
        graph = load_scenario(f[0]);
        valid = bp_planner_bitmap_chain_is_valid(vda(graph), f[1], &reason);
        g_test_message("%s %s %s%s%s", f[0], f[1], valid ? "true" : "false",
                       reason ? ": " : "", reason ? reason : "");
        g_assert_cmpstr(valid ? "true" : "false", ==, f[2]);
        /* A reason exactly when invalid. */
        g_assert_true(valid == (reason == NULL));
        checked++;
    }
    g_assert_cmpuint(checked, ==, 20);
}


/* ---- backupmerge (TEST_BACKUP_BITMAP_CALCULATE) --------------------------- */

typedef struct {
    const char *name;
    const char *incremental;
    const char *scenario;
} BackupCase;

static const BackupCase backup_cases[] = {
    { "empty", "a", "empty" },
    { "basic-flat", "current", "basic" },
    { "basic-intermediate", "d", "basic" },
    { "basic-deep", "a", "basic" },
    { "snapshots-flat", "current", "snapshots" },
    { "snapshots-intermediate", "d", "snapshots" },
    { "snapshots-deep", "a", "snapshots" },
};


static void
test_backup(gconstpointer data)
{
    const BackupCase *c = data;
    g_autoptr(BpBlockGraph) graph = load_scenario(c->scenario);
    g_autoptr(GPtrArray) prim = g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_action_free);
    g_autoptr(BpPlan) plan = bp_plan_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *relpath = g_strdup_printf("backupmerge/%s-out.json", c->name);
    g_autofree char *expected_prim = NULL;
    BpPlanMerge merge = {
        .target = TARGET_NODE, .bitmap = c->incremental, .dst_bitmap = TARGET_BITMAP,
    };

    /* What libvirt's test calls: the merge primitive. */
    bp_planner_bitmap_merge(graph, vda(graph), &merge, prim);
    expected_prim = format_actions(prim);
    compare_both(expected_prim, relpath);

    /* The planner's backup function checks the chain first, as libvirt's
     * caller (qemuBackupDiskPrepareDataOne) does, so a missing bitmap is
     * an error instead of an empty list; otherwise the same actions. */
    if (!bp_planner_backup_bitmap(plan, graph, "vda", c->incremental, TARGET_NODE,
                                  TARGET_BITMAP, &error)) {
        g_assert_error(error, BP_ERROR, BP_ERROR_CHECKPOINT_INCONSISTENT);
        g_assert_cmpuint(prim->len, ==, 0);
        g_assert_true(bp_plan_is_empty(plan));
    } else {
        g_autofree char *actual = format_actions(plan->actions);

        g_assert_cmpstr(actual, ==, expected_prim);
        g_assert_cmpuint(plan->tmp_bitmaps->len, ==, 1);
        /* On a node outside the chain (a scratch): no removal planned. */
        g_assert_cmpuint(plan->after->len, ==, 0);
    }
}


/* ---- checkpointdelete (TEST_CHECKPOINT_DELETE) ----------------------------- */

typedef struct {
    const char *name;
    const char *scenario;
    const char *bitmap;
} DeleteCase;

static const DeleteCase delete_cases[] = {
    { "empty", "empty", "a" },
    { "basic-noparent", "basic", "a" },
    { "basic-intermediate1", "basic", "b" },
    { "basic-intermediate2", "basic", "c" },
    { "basic-intermediate3", "basic", "d" },
    { "basic-current", "basic", "current" },
    { "snapshots-noparent", "snapshots", "a" },
    { "snapshots-intermediate1", "snapshots", "b" },
    { "snapshots-intermediate2", "snapshots", "c" },
    { "snapshots-intermediate3", "snapshots", "d" },
    { "snapshots-current", "snapshots", "current" },
    { "synthetic-noparent", "synthetic", "a" },
    { "synthetic-intermediate1", "synthetic", "b" },
    { "synthetic-intermediate2", "synthetic", "c" },
    { "synthetic-intermediate3", "synthetic", "d" },
    { "synthetic-current", "synthetic", "current" },
};


static void
test_delete(gconstpointer data)
{
    const DeleteCase *c = data;
    g_autoptr(BpBlockGraph) graph = load_scenario(c->scenario);
    g_autoptr(BpPlanCatalogue) cat = bp_plan_catalogue_new();
    g_autoptr(BpPlan) plan = bp_plan_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *relpath = g_strdup_printf("checkpointdelete/%s-out.json", c->name);
    g_autofree char *actual = NULL;
    const char *names[] = { "a", "b", "c", "d", "current" };
    const char *parent = NULL;

    /* The catalogue libvirt's scenario names suggest: a -> b -> c -> d ->
     * current, each checkpoint owning the bitmap of its name on vda. */
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        BpPlanCheckpoint *chk = bp_plan_checkpoint_new(names[i], parent);

        bp_plan_checkpoint_add_disk(chk, "vda", names[i], 0);
        bp_plan_catalogue_add(cat, chk);
        parent = names[i];
    }

    if (!bp_planner_checkpoint_delete(plan, graph, cat, c->bitmap, BP_PLAN_DELETE_SINGLE,
                                      &error)) {
        /* libvirt's test prints NULL for "no actions" (its error path). */
        g_assert_error(error, BP_ERROR, BP_ERROR_CHECKPOINT_INCONSISTENT);
        g_assert_true(bp_plan_is_empty(plan));
        actual = g_strdup("NULL\n");
    } else {
        GString *out = g_string_new(NULL);
        g_autofree char *json = format_actions(plan->actions);

        g_string_append(out, json);
        if (plan->reopen->len)
            g_string_append(out, "reopen nodes:\n");
        for (guint i = 0; i < plan->reopen->len; i++)
            g_string_append_printf(out, "%s\n", (char *) g_ptr_array_index(plan->reopen, i));
        actual = g_string_free(out, FALSE);
    }
    compare_both(actual, relpath);
}


/* ---- bitmapblockcopy (TEST_BITMAP_BLOCKCOPY) ------------------------------- */

typedef struct {
    const char *name;
    gboolean shallow;
    const char *scenario;
} CopyCase;

static const CopyCase copy_cases[] = {
    { "empty-shallow", TRUE, "empty" },
    { "empty-deep", FALSE, "empty" },
    { "basic-shallow", TRUE, "basic" },
    { "basic-deep", FALSE, "basic" },
    { "snapshots-shallow", TRUE, "snapshots" },
    { "snapshots-deep", FALSE, "snapshots" },
};


static void
test_copy(gconstpointer data)
{
    const CopyCase *c = data;
    g_autoptr(BpBlockGraph) graph = load_scenario(c->scenario);
    g_autoptr(BpPlan) plan = bp_plan_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *relpath = g_strdup_printf("bitmapblockcopy/%s-out.json", c->name);
    g_autofree char *actual = NULL;

    g_assert_true(bp_planner_block_copy(plan, graph, "vda", MIRROR_NODE, c->shallow,
                                        ACTIVEWRITE, &error));
    g_assert_no_error(error);
    /* The pivot step: the active-write bitmap on the mirror. */
    g_assert_cmpuint(plan->before->len, ==, 1);
    actual = plan->actions->len ? format_actions(plan->actions) : g_strdup("");
    compare_both(actual, relpath);
}


/* ---- bitmapblockcommit (TEST_BITMAP_BLOCKCOMMIT) --------------------------- */

typedef struct {
    char *name;
    guint top;                  /* 1-based layer numbers, as libvirt's test */
    guint base;
    const char *scenario;
} CommitCase;


static void
commit_case_free(gpointer data)
{
    CommitCase *c = data;

    g_free(c->name);
    g_free(c);
}


static void
test_commit(gconstpointer data)
{
    const CommitCase *c = data;
    g_autoptr(BpBlockGraph) graph = load_scenario(c->scenario);
    BpBlockDisk *disk = vda(graph);
    g_autoptr(BpPlan) plan = bp_plan_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *relpath = g_strdup_printf("bitmapblockcommit/%s", c->name);
    g_autofree char *json = NULL;
    g_autofree char *actual = NULL;
    const BpBlockNode *top = g_ptr_array_index(disk->chain, c->top - 1);
    const BpBlockNode *base = g_ptr_array_index(disk->chain, c->base - 1);

    g_assert_true(bp_planner_block_commit(plan, graph, "vda", top->node_name,
                                          base->node_name, ACTIVEWRITE, &error));
    g_assert_no_error(error);
    if (c->top == 1) {
        /* Active commit: the pivot adds the active-write bitmap; the base
         * is the active layer then, nothing to reopen. */
        g_assert_cmpuint(plan->before->len, ==, 1);
        g_assert_cmpuint(plan->reopen->len, ==, 0);
    } else {
        /* libvirt reopens the (read-only) base around the merge. */
        g_assert_cmpuint(plan->before->len, ==, 0);
        g_assert_cmpuint(plan->reopen->len, ==, 1);
        g_assert_cmpstr(g_ptr_array_index(plan->reopen, 0), ==, base->node_name);
    }
    json = plan->actions->len ? format_actions(plan->actions) : g_strdup("");
    /* sic: libvirt's harness prints "bitmpas" */
    actual = g_strconcat("merge bitmpas:\n", json, NULL);
    compare_both(actual, relpath);
}


int
main(int argc, char **argv)
{
    static const struct {
        const char *name;
        guint top, base;
        const char *scenario;
    } commit_fixed[] = {
        { "empty", 1, 2, "empty" },
        { "basic-1-2", 1, 2, "basic" },
        { "basic-1-3", 1, 3, "basic" },
        { "basic-2-3", 2, 3, "basic" },
    };

    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/planner/libvirt/bitmap-validate", test_validate);
    for (guint i = 0; i < G_N_ELEMENTS(backup_cases); i++) {
        g_autofree char *path = g_strdup_printf("/planner/libvirt/backupmerge/%s",
                                                backup_cases[i].name);

        g_test_add_data_func(path, &backup_cases[i], test_backup);
    }
    for (guint i = 0; i < G_N_ELEMENTS(delete_cases); i++) {
        g_autofree char *path = g_strdup_printf("/planner/libvirt/checkpointdelete/%s",
                                                delete_cases[i].name);

        g_test_add_data_func(path, &delete_cases[i], test_delete);
    }
    for (guint i = 0; i < G_N_ELEMENTS(copy_cases); i++) {
        g_autofree char *path = g_strdup_printf("/planner/libvirt/bitmapblockcopy/%s",
                                                copy_cases[i].name);

        g_test_add_data_func(path, &copy_cases[i], test_copy);
    }
    for (guint i = 0; i < G_N_ELEMENTS(commit_fixed); i++) {
        CommitCase *c = g_new0(CommitCase, 1);
        g_autofree char *path = NULL;

        c->name = g_strdup(commit_fixed[i].name);
        c->scenario = commit_fixed[i].scenario;
        c->top = commit_fixed[i].top;
        c->base = commit_fixed[i].base;
        path = g_strdup_printf("/planner/libvirt/bitmapblockcommit/%s", c->name);
        g_test_add_data_func_full(path, c, test_commit, commit_case_free);
    }
    for (guint t = 1; t <= 4; t++) {
        for (guint b = t + 1; b <= 5; b++) {
            CommitCase *c = g_new0(CommitCase, 1);
            g_autofree char *path = NULL;

            c->name = g_strdup_printf("snapshots-%u-%u", t, b);
            c->scenario = "snapshots";
            c->top = t;
            c->base = b;
            path = g_strdup_printf("/planner/libvirt/bitmapblockcommit/%s", c->name);
            g_test_add_data_func_full(path, c, test_commit, commit_case_free);
        }
    }
    return g_test_run();
}
