/*
 * test-store-checkpoints.c: the checkpoint part of tests/test-store:
 * every checkpoint API, the tree queries against a hand-checked tree,
 * deletion against libvirt's re-parenting and current-pointer rules,
 * refusals, and rollback leaving the database untouched.
 */
#include <config.h>

#include <sys/stat.h>
#include <glib/gstdio.h>

#include "store/bp-store-priv.h"
#include "util/bp-error.h"
#include "testutils.h"
#include "store-testutils.h"


/* ---- Checkpoints ---------------------------------------------------- */

static void
test_checkpoint_add_get(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreCheckpoint) chk = NULL;
    g_autoptr(BpStoreCheckpoint) got = NULL;
    BpStoreCheckpointDisk *disk;
    gint64 dom = bp_store_test_add_domain(f->store, "vm1");

    g_assert_null(bp_store_checkpoint_get_current(f->store, dom, &error));
    g_assert_no_error(error);
    g_assert_cmpint(bp_store_checkpoint_count(f->store, dom, &error), ==, 0);

    chk = bp_store_test_new_checkpoint(dom, "1700000000", NULL, 1700000000);
    chk->description = g_strdup("nightly");
    chk->state = BP_STORE_CHECKPOINT_PENDING;
    chk->current = TRUE;
    g_assert_true(bp_store_checkpoint_add(f->store, chk, &error));
    g_assert_no_error(error);

    got = bp_store_checkpoint_get(f->store, dom, "1700000000", &error);
    g_assert_no_error(error);
    g_assert_cmpint(got->id, ==, chk->id);
    g_assert_cmpint(got->domain_id, ==, dom);
    g_assert_null(got->parent);
    g_assert_cmpint(got->creation_time, ==, 1700000000);
    g_assert_cmpstr(got->description, ==, "nightly");
    g_assert_cmpstr(got->domain_xml, ==, chk->domain_xml);
    g_assert_true(got->current);
    g_assert_cmpint(got->state, ==, BP_STORE_CHECKPOINT_PENDING);
    g_assert_null(got->reason);
    g_assert_cmpuint(got->disks->len, ==, 2);
    disk = g_ptr_array_index(got->disks, 0);
    g_assert_cmpstr(disk->target, ==, "vda");
    g_assert_true(disk->included);
    g_assert_cmpstr(disk->bitmap, ==, "1700000000");
    g_assert_cmpuint(disk->granularity, ==, 65536);
    g_assert_cmpuint(disk->size, ==, 1 << 30);
    disk = g_ptr_array_index(got->disks, 1);
    g_assert_cmpstr(disk->target, ==, "vdb");
    g_assert_false(disk->included);
    g_assert_null(disk->bitmap);

    /* A child created as libvirt does takes over the current pointer. */
    bp_store_test_add_checkpoint(f->store, dom, "next", "1700000000", 1700000100, TRUE);
    g_clear_pointer(&got, bp_store_checkpoint_free);
    got = bp_store_checkpoint_get_current(f->store, dom, &error);
    g_assert_cmpstr(got->name, ==, "next");
    g_assert_cmpstr(got->parent, ==, "1700000000");
    g_assert_cmpuint(got->disks->len, ==, 2);
    /* One not made current leaves it alone. */
    bp_store_test_add_checkpoint(f->store, dom, "side", "1700000000", 1700000200, FALSE);
    g_clear_pointer(&got, bp_store_checkpoint_free);
    got = bp_store_checkpoint_get_current(f->store, dom, &error);
    g_assert_cmpstr(got->name, ==, "next");
    g_assert_cmpint(bp_store_checkpoint_count(f->store, dom, &error), ==, 3);
    g_assert_cmpint(bp_store_test_query_int(f->store->db,
                                            "SELECT count(*) FROM checkpoints WHERE is_current"), ==, 1);

    g_assert_null(bp_store_checkpoint_get(f->store, dom, "missing", &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT);
    g_assert_nonnull(strstr(error->message, "'vm1'"));
    g_assert_nonnull(strstr(error->message, "'missing'"));
}


static void
expect_add_fails(BpStore *store, BpStoreCheckpoint *chk, int code)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *before = bp_store_test_dump_store(store);
    g_autofree char *after = NULL;

    g_assert_false(bp_store_checkpoint_add(store, chk, &error));
    g_assert_error(error, BP_ERROR, code);
    g_test_message("refused as expected: %s", error->message);
    after = bp_store_test_dump_store(store);
    g_assert_cmpstr(before, ==, after);
    g_assert_cmpuint(store->txn_depth, ==, 0);
}


static void
test_checkpoint_refusals(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(BpStoreCheckpoint) chk = NULL;
    gint64 dom = bp_store_test_build_tree(f->store);
    gint64 other = bp_store_test_add_domain(f->store, "vm2");

    /* Names are unique per domain, not across domains. */
    chk = bp_store_test_new_checkpoint(dom, "c", NULL, 100);
    expect_add_fails(f->store, chk, BP_ERROR_EXISTS);
    bp_store_test_add_checkpoint(f->store, other, "c", NULL, 100, TRUE);

    chk->name[0] = 'z';
    g_free(chk->parent);
    chk->parent = g_strdup("missing");
    expect_add_fails(f->store, chk, BP_ERROR_INVALID_ARGUMENT);
    /* A parent of another domain does not count. */
    g_free(chk->parent);
    chk->parent = g_strdup("h");
    chk->domain_id = other;
    expect_add_fails(f->store, chk, BP_ERROR_INVALID_ARGUMENT);
    chk->domain_id = dom;
    g_free(chk->parent);
    chk->parent = g_strdup("z");
    expect_add_fails(f->store, chk, BP_ERROR_INVALID_ARGUMENT);
    g_clear_pointer(&chk->parent, g_free);

    chk->domain_id = 4711;
    expect_add_fails(f->store, chk, BP_ERROR_NO_DOMAIN);
    chk->domain_id = dom;

    g_ptr_array_add(chk->disks, bp_store_checkpoint_disk_new("vda", "z", 0, 0));
    expect_add_fails(f->store, chk, BP_ERROR_INVALID_ARGUMENT);
    g_ptr_array_remove_index(chk->disks, 2);
    ((BpStoreCheckpointDisk *) chk->disks->pdata[1])->included = TRUE;
    expect_add_fails(f->store, chk, BP_ERROR_INVALID_ARGUMENT);
}


/* What the schema refuses even when the code above it would not ask. */
static void
test_checkpoint_schema_guards(BpStoreFixture *f, gconstpointer data)
{
    gint64 dom = bp_store_test_build_tree(f->store);
    gint64 other = bp_store_test_add_domain(f->store, "vm2");
    g_autofree char *before = bp_store_test_dump_store(f->store);
    g_autofree char *after = NULL;
    g_autofree char *sql = NULL;
    sqlite3 *db = bp_store_test_raw_open(f->path);
    char *errmsg = NULL;

    bp_store_test_exec(db, "PRAGMA foreign_keys = ON");
    /* a -> d would make a its own ancestor (d is below a). */
    g_assert_cmpint(sqlite3_exec(db, "UPDATE checkpoints SET parent_id ="
                                 " (SELECT id FROM checkpoints WHERE name = 'd')"
                                 " WHERE name = 'a'", NULL, NULL, &errmsg), ==, SQLITE_CONSTRAINT);
    g_assert_nonnull(strstr(errmsg, "own ancestor"));
    sqlite3_free(errmsg);
    g_assert_cmpint(sqlite3_exec(db, "UPDATE checkpoints SET parent_id = id WHERE name = 'b'",
                                 NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
    /* Two current checkpoints in one domain. */
    g_assert_cmpint(sqlite3_exec(db, "UPDATE checkpoints SET is_current = 1 WHERE name = 'a'",
                                 NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
    /* A parent in another domain. */
    sql = g_strdup_printf("INSERT INTO checkpoints (domain_id, name, parent_id, creation_time, state)"
                          " VALUES (%lld, 'x', (SELECT id FROM checkpoints WHERE name = 'a'), 1, 'ready')",
                          (long long) other);
    g_assert_cmpint(sqlite3_exec(db, sql, NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
    /* Deleting a checkpoint that still has children. */
    g_assert_cmpint(sqlite3_exec(db, "DELETE FROM checkpoints WHERE name = 'c'",
                                 NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
    sqlite3_close(db);

    after = bp_store_test_dump_store(f->store);
    g_assert_cmpstr(before, ==, after);
    (void) dom;
}


static void
test_tree_queries(BpStoreFixture *f, gconstpointer data)
{
    gint64 dom = bp_store_test_build_tree(f->store);
    struct {
        BpStoreCheckpointScope scope;
        const char *of;
        unsigned int flags;
        const char *expected;
    } cases[] = {
        { BP_STORE_CHECKPOINTS_ALL, NULL, 0, "h a b f c e g d" },
        { BP_STORE_CHECKPOINTS_ALL, NULL, BP_STORE_LIST_TOPOLOGICAL, "h a b c d e f g" },
        { BP_STORE_CHECKPOINTS_ROOTS, NULL, 0, "h a" },
        { BP_STORE_CHECKPOINTS_ROOTS, NULL, BP_STORE_LIST_LEAVES, "h" },
        { BP_STORE_CHECKPOINTS_ALL, NULL, BP_STORE_LIST_LEAVES, "h e g d" },
        { BP_STORE_CHECKPOINTS_ALL, NULL, BP_STORE_LIST_NO_LEAVES, "a b f c" },
        { BP_STORE_CHECKPOINTS_ALL, NULL, BP_STORE_LIST_LEAVES | BP_STORE_LIST_TOPOLOGICAL, "h d e g" },
        { BP_STORE_CHECKPOINTS_CHILDREN_OF, "a", 0, "b f" },
        { BP_STORE_CHECKPOINTS_CHILDREN_OF, "b", 0, "c e" },
        { BP_STORE_CHECKPOINTS_CHILDREN_OF, "b", BP_STORE_LIST_LEAVES, "e" },
        { BP_STORE_CHECKPOINTS_CHILDREN_OF, "d", 0, "" },
        { BP_STORE_CHECKPOINTS_DESCENDANTS_OF, "a", 0, "b c d e f g" },
        { BP_STORE_CHECKPOINTS_DESCENDANTS_OF, "b", 0, "c d e" },
        { BP_STORE_CHECKPOINTS_DESCENDANTS_OF, "b", BP_STORE_LIST_LEAVES, "d e" },
        { BP_STORE_CHECKPOINTS_DESCENDANTS_OF, "a", BP_STORE_LIST_NO_LEAVES, "b c f" },
        { BP_STORE_CHECKPOINTS_DESCENDANTS_OF, "h", 0, "" },
        { BP_STORE_CHECKPOINTS_ANCESTORS_OF, "d", 0, "c b a" },
        { BP_STORE_CHECKPOINTS_ANCESTORS_OF, "d", BP_STORE_LIST_TOPOLOGICAL, "a b c" },
        { BP_STORE_CHECKPOINTS_ANCESTORS_OF, "g", 0, "f a" },
        { BP_STORE_CHECKPOINTS_ANCESTORS_OF, "a", 0, "" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = bp_store_test_list_names(f->store, dom, cases[i].scope, cases[i].of,
                                          cases[i].flags);

        g_test_message("case %" G_GSIZE_FORMAT ": scope %d of %s flags 0x%x",
                       i, cases[i].scope, cases[i].of, cases[i].flags);
        g_assert_cmpstr(got, ==, cases[i].expected);
    }
}


static void
test_tree_list_details(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) list = NULL;
    gint64 dom = bp_store_test_build_tree(f->store);
    gint64 other = bp_store_test_add_domain(f->store, "vm2");
    BpStoreCheckpoint *chk;

    /* Another domain's forest does not leak in. */
    bp_store_test_add_checkpoint(f->store, other, "zz", NULL, 1, TRUE);
    bp_store_test_add_checkpoint(f->store, other, "zy", "zz", 2, TRUE);

    list = bp_store_checkpoint_list(f->store, dom, BP_STORE_CHECKPOINTS_ALL, NULL, 0, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, 8);
    chk = g_ptr_array_index(list, 7);
    g_assert_cmpstr(chk->name, ==, "d");
    g_assert_cmpstr(chk->parent, ==, "c");
    g_assert_true(chk->current);
    g_assert_null(chk->disks);
    g_assert_null(chk->domain_xml);
    g_clear_pointer(&list, g_ptr_array_unref);

    list = bp_store_checkpoint_list(f->store, dom, BP_STORE_CHECKPOINTS_DESCENDANTS_OF, "b",
                                    BP_STORE_LIST_DISKS | BP_STORE_LIST_DOMAIN_XML, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < list->len; i++) {
        g_autofree char *xml = NULL;

        chk = g_ptr_array_index(list, i);
        xml = g_strdup_printf("<domain><name>copy-for-%s</name></domain>", chk->name);
        g_assert_cmpuint(chk->disks->len, ==, 2);
        g_assert_cmpstr(((BpStoreCheckpointDisk *) chk->disks->pdata[0])->bitmap, ==, chk->name);
        g_assert_cmpstr(chk->domain_xml, ==, xml);
    }
    g_clear_pointer(&list, g_ptr_array_unref);

    list = bp_store_checkpoint_list(f->store, dom, BP_STORE_CHECKPOINTS_ALL, NULL,
                                    BP_STORE_LIST_LEAVES | BP_STORE_LIST_NO_LEAVES, &error);
    g_assert_null(list);
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    list = bp_store_checkpoint_list(f->store, dom, BP_STORE_CHECKPOINTS_CHILDREN_OF, NULL, 0, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    list = bp_store_checkpoint_list(f->store, dom, BP_STORE_CHECKPOINTS_ROOTS, "a", 0, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    list = bp_store_checkpoint_list(f->store, dom, BP_STORE_CHECKPOINTS_DESCENDANTS_OF, "zz", 0, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT);
    g_clear_error(&error);
    list = bp_store_checkpoint_list(f->store, 4711, BP_STORE_CHECKPOINTS_ALL, NULL, 0, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_DOMAIN);
    g_clear_error(&error);
}


static void
test_checkpoint_state_current(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreCheckpoint) chk = NULL;
    g_autofree char *shape = NULL;
    gint64 dom = bp_store_test_build_tree(f->store);

    g_assert_true(bp_store_checkpoint_set_state(f->store, dom, "c", BP_STORE_CHECKPOINT_BROKEN,
                                                "bitmap 'c' is inconsistent on vda", &error));
    g_assert_no_error(error);
    chk = bp_store_checkpoint_get(f->store, dom, "c", &error);
    g_assert_cmpint(chk->state, ==, BP_STORE_CHECKPOINT_BROKEN);
    g_assert_cmpstr(chk->reason, ==, "bitmap 'c' is inconsistent on vda");
    g_assert_false(bp_store_checkpoint_set_state(f->store, dom, "nope",
                                                 BP_STORE_CHECKPOINT_READY, NULL, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT);
    g_clear_error(&error);

    g_assert_true(bp_store_checkpoint_set_current(f->store, dom, "g", &error));
    shape = bp_store_test_tree_shape(f->store, dom);
    g_assert_cmpstr(shape, ==, "h:- a:- b:a c:b d:c e:b f:a g:f *g");
    g_clear_pointer(&shape, g_free);
    g_assert_true(bp_store_checkpoint_set_current(f->store, dom, NULL, &error));
    shape = bp_store_test_tree_shape(f->store, dom);
    g_assert_cmpstr(shape, ==, "h:- a:- b:a c:b d:c e:b f:a g:f *-");
    g_assert_false(bp_store_checkpoint_set_current(f->store, dom, "nope", &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT);
}


static void
redefine(BpStore *store, gint64 dom, const char *name, const char *parent,
         gboolean expect_current)
{
    g_autoptr(BpStoreCheckpoint) chk = bp_store_test_new_checkpoint(dom, name, parent, 500);
    g_autoptr(GError) error = NULL;
    gboolean became = !expect_current;

    chk->description = g_strdup("redefined");
    chk->current = !expect_current;     /* ignored by redefine */
    g_assert_true(bp_store_checkpoint_redefine(store, chk, &became, &error));
    g_assert_no_error(error);
    g_assert_cmpint(became, ==, expect_current);
}


static void
test_checkpoint_redefine(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreCheckpoint) chk = NULL;
    g_autofree char *shape = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    gint64 dom = bp_store_test_build_tree(f->store);
    gint64 empty = bp_store_test_add_domain(f->store, "vm2");

    /* The first checkpoint redefined into an empty domain becomes current. */
    redefine(f->store, empty, "r1", NULL, TRUE);
    /* A child of the current one becomes current... */
    redefine(f->store, empty, "r2", "r1", TRUE);
    /* ...one elsewhere does not. */
    redefine(f->store, empty, "r3", "r1", FALSE);
    shape = bp_store_test_tree_shape(f->store, empty);
    g_assert_cmpstr(shape, ==, "r1:- r2:r1 r3:r1 *r2");
    g_clear_pointer(&shape, g_free);

    /* Redefining an existing checkpoint replaces its definition and parent
     * but keeps its children: b moves under h with c and e. */
    redefine(f->store, dom, "b", "h", FALSE);
    shape = bp_store_test_tree_shape(f->store, dom);
    g_assert_cmpstr(shape, ==, "h:- b:h c:b d:c e:b a:- f:a g:f *d");
    g_clear_pointer(&shape, g_free);
    chk = bp_store_checkpoint_get(f->store, dom, "b", &error);
    g_assert_cmpstr(chk->description, ==, "redefined");
    g_assert_cmpint(chk->creation_time, ==, 500);
    /* The current checkpoint redefined stays current. */
    redefine(f->store, dom, "d", "c", FALSE);
    shape = bp_store_test_tree_shape(f->store, dom);
    g_assert_cmpstr(shape, ==, "h:- b:h c:b d:c e:b a:- f:a g:f *d");
    g_clear_pointer(&shape, g_free);
    /* A new child of the current one takes over. */
    redefine(f->store, dom, "n", "d", TRUE);

    /* Refusals change nothing: its own parent, a missing parent, a cycle. */
    before = bp_store_test_dump_store(f->store);
    g_clear_pointer(&chk, bp_store_checkpoint_free);
    chk = bp_store_test_new_checkpoint(dom, "b", "b", 1);
    g_assert_false(bp_store_checkpoint_redefine(f->store, chk, NULL, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "own parent"));
    g_clear_error(&error);
    g_free(chk->parent);
    chk->parent = g_strdup("missing");
    g_assert_false(bp_store_checkpoint_redefine(f->store, chk, NULL, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_free(chk->parent);
    chk->parent = g_strdup("d");          /* d is below b */
    g_assert_false(bp_store_checkpoint_redefine(f->store, chk, NULL, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "cycle"));
    g_clear_error(&error);
    after = bp_store_test_dump_store(f->store);
    g_assert_cmpstr(before, ==, after);
}


/* ---- Delete modes (libvirt-behaviour.md §3.5, §2.11) ---------------- */

static void
test_checkpoint_delete(BpStoreFixture *f, gconstpointer data)
{
    const struct {
        BpStoreDeleteMode mode;
        const char *name;
        const char *current;    /* made current before deleting */
        const char *expected;   /* bp_store_test_tree_shape() afterwards */
    } cases[] = {
        /* The children move to the parent; the current pointer stays. */
        { BP_STORE_DELETE_SINGLE, "b", "d", "h:- a:- f:a g:f c:a d:c e:a *d" },
        /* The current one's parent becomes current. */
        { BP_STORE_DELETE_SINGLE, "c", "c", "h:- a:- b:a e:b d:b f:a g:f *b" },
        { BP_STORE_DELETE_SINGLE, "d", "d", "h:- a:- b:a c:b e:b f:a g:f *c" },
        /* A current root leaves no current checkpoint; its children become roots. */
        { BP_STORE_DELETE_SINGLE, "a", "a", "h:- b:- c:b d:c e:b f:- g:f *-" },
        { BP_STORE_DELETE_SINGLE, "h", "d", "a:- b:a c:b d:c e:b f:a g:f *d" },
        /* With children: current inside the subtree -> the parent. */
        { BP_STORE_DELETE_CHILDREN, "b", "d", "h:- a:- f:a g:f *a" },
        { BP_STORE_DELETE_CHILDREN, "b", "b", "h:- a:- f:a g:f *a" },
        { BP_STORE_DELETE_CHILDREN, "b", "g", "h:- a:- f:a g:f *g" },
        { BP_STORE_DELETE_CHILDREN, "a", "d", "h:- *-" },
        /* Children only: current among them -> the checkpoint itself. */
        { BP_STORE_DELETE_CHILDREN_ONLY, "b", "d", "h:- a:- b:a f:a g:f *b" },
        { BP_STORE_DELETE_CHILDREN_ONLY, "b", "b", "h:- a:- b:a f:a g:f *b" },
        { BP_STORE_DELETE_CHILDREN_ONLY, "b", "g", "h:- a:- b:a f:a g:f *g" },
        { BP_STORE_DELETE_CHILDREN_ONLY, "d", "d", "h:- a:- b:a c:b d:c e:b f:a g:f *d" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *shape = NULL;
        gint64 dom;
        gint64 remaining;

        g_test_message("case %" G_GSIZE_FORMAT ": delete %s mode %d (current %s)",
                       i, cases[i].name, cases[i].mode, cases[i].current);
        if (i > 0) {
            g_autoptr(BpStoreDomain) vm1 = bp_store_domain_get_by_name(f->store, "vm1", &error);

            g_assert_true(bp_store_domain_remove(f->store, vm1->id, &error));
        }
        dom = bp_store_test_build_tree(f->store);
        g_assert_true(bp_store_checkpoint_set_current(f->store, dom, cases[i].current, &error));
        g_assert_true(bp_store_checkpoint_delete(f->store, dom, cases[i].name, cases[i].mode,
                                                 &error));
        g_assert_no_error(error);
        shape = bp_store_test_tree_shape(f->store, dom);
        g_assert_cmpstr(shape, ==, cases[i].expected);
        /* The disk rows went with their checkpoints. */
        remaining = bp_store_checkpoint_count(f->store, dom, &error);
        g_assert_cmpint(bp_store_test_query_int(f->store->db,
                                                "SELECT count(*) FROM checkpoint_disks"),
                        ==, 2 * remaining);
        g_assert_true(bp_store_verify(f->store, TRUE, &error));
        g_assert_no_error(error);
    }
}


static void
test_checkpoint_delete_plan(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    gint64 dom = bp_store_test_build_tree(f->store);
    const struct {
        BpStoreDeleteMode mode;
        const char *name;
        const char *expected;
    } cases[] = {
        { BP_STORE_DELETE_SINGLE, "b", "b" },
        { BP_STORE_DELETE_CHILDREN, "b", "c d e b" },
        { BP_STORE_DELETE_CHILDREN_ONLY, "b", "c d e" },
        { BP_STORE_DELETE_CHILDREN, "a", "b c d e f g a" },
        { BP_STORE_DELETE_CHILDREN_ONLY, "h", "" },
    };

    before = bp_store_test_dump_store(f->store);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GPtrArray) plan = NULL;
        g_autofree char *names = NULL;

        plan = bp_store_checkpoint_delete_plan(f->store, dom, cases[i].name, cases[i].mode, &error);
        g_assert_no_error(error);
        names = bp_store_test_names(plan);
        g_assert_cmpstr(names, ==, cases[i].expected);
        for (guint j = 0; j < plan->len; j++) {
            BpStoreCheckpoint *chk = g_ptr_array_index(plan, j);

            g_assert_cmpuint(chk->disks->len, ==, 2);
        }
    }
    after = bp_store_test_dump_store(f->store);
    g_assert_cmpstr(before, ==, after);

    g_assert_null(bp_store_checkpoint_delete_plan(f->store, dom, "zz", BP_STORE_DELETE_CHILDREN,
                                                  &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT);
    g_clear_error(&error);
    g_assert_false(bp_store_checkpoint_delete(f->store, dom, "zz", BP_STORE_DELETE_SINGLE, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT);
}


/* ---- Rollback: a failure at any step leaves the catalogue untouched -- */

/* Installs @trigger_sql, a trigger named test_fault that aborts the
 * statement it fires in, through a second connection: a fault injected in
 * the middle of a store call. */
static void
inject_fault(const char *path, const char *trigger_sql)
{
    sqlite3 *db = bp_store_test_raw_open(path);

    bp_store_test_exec(db, trigger_sql);
    sqlite3_close(db);
}


static void
clear_faults(const char *path)
{
    sqlite3 *db = bp_store_test_raw_open(path);

    bp_store_test_exec(db, "DROP TRIGGER IF EXISTS test_fault");
    sqlite3_close(db);
}


static void
assert_failed_untouched(BpStoreFixture *f, const char *before, gboolean ok, GError *error)
{
    g_autofree char *after = bp_store_test_dump_store(f->store);

    g_assert_false(ok);
    g_assert_nonnull(error);
    g_test_message("failed as injected: %s", error->message);
    g_assert_cmpstr(before, ==, after);
    g_assert_cmpuint(f->store->txn_depth, ==, 0);
    clear_faults(f->path);
}


static void
test_rollback(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreCheckpoint) chk = NULL;
    g_autoptr(BpStoreBackup) backup = NULL;
    g_autofree char *before = NULL;
    gboolean ok;
    gint64 dom = bp_store_test_build_tree(f->store);

    before = bp_store_test_dump_store(f->store);

    /* The second disk row of a new current checkpoint fails: no row, and
     * d is still current. */
    inject_fault(f->path, "CREATE TRIGGER test_fault BEFORE INSERT ON checkpoint_disks"
                 " WHEN NEW.target = 'vdb' BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    chk = bp_store_test_new_checkpoint(dom, "z", "d", 1000);
    chk->current = TRUE;
    ok = bp_store_checkpoint_add(f->store, chk, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_CATALOGUE);
    g_assert_nonnull(strstr(error->message, "injected fault"));
    assert_failed_untouched(f, before, ok, error);
    g_clear_error(&error);

    /* Redefining c: the old disk rows were already deleted when the new
     * ones fail. */
    inject_fault(f->path, "CREATE TRIGGER test_fault BEFORE INSERT ON checkpoint_disks"
                 " WHEN NEW.target = 'vdb' BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    g_clear_pointer(&chk, bp_store_checkpoint_free);
    chk = bp_store_test_new_checkpoint(dom, "c", "a", 1000);
    ok = bp_store_checkpoint_redefine(f->store, chk, NULL, &error);
    assert_failed_untouched(f, before, ok, error);
    g_clear_error(&error);

    /* Deleting b: its children were already re-parented. */
    inject_fault(f->path, "CREATE TRIGGER test_fault BEFORE DELETE ON checkpoints"
                 " WHEN OLD.name = 'b' BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    ok = bp_store_checkpoint_delete(f->store, dom, "b", BP_STORE_DELETE_SINGLE, &error);
    assert_failed_untouched(f, before, ok, error);
    g_clear_error(&error);

    /* Deleting d, the current one: the row is gone when moving the
     * current pointer to c fails. */
    inject_fault(f->path, "CREATE TRIGGER test_fault BEFORE UPDATE OF is_current ON checkpoints"
                 " WHEN NEW.is_current = 1 BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    ok = bp_store_checkpoint_delete(f->store, dom, "d", BP_STORE_DELETE_SINGLE, &error);
    assert_failed_untouched(f, before, ok, error);
    g_clear_error(&error);

    /* A subtree, failing halfway through. */
    inject_fault(f->path, "CREATE TRIGGER test_fault BEFORE DELETE ON checkpoints"
                 " WHEN OLD.name = 'g' BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    ok = bp_store_checkpoint_delete(f->store, dom, "a", BP_STORE_DELETE_CHILDREN, &error);
    assert_failed_untouched(f, before, ok, error);
    g_clear_error(&error);

    /* Removing the domain, failing in the cascade. */
    inject_fault(f->path, "CREATE TRIGGER test_fault BEFORE DELETE ON checkpoint_disks"
                 " WHEN OLD.bitmap = 'f' BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    ok = bp_store_domain_remove(f->store, dom, &error);
    assert_failed_untouched(f, before, ok, error);
    g_clear_error(&error);

    /* A backup update naming a disk the backup does not have: the row was
     * already updated. */
    backup = bp_store_backup_new(dom, BP_STORE_BACKUP_PUSH, BP_STORE_BACKUP_FULL);
    g_ptr_array_add(backup->disks, bp_store_backup_disk_new("vda", "/b/vda", "qcow2"));
    g_assert_true(bp_store_backup_add(f->store, backup, &error));
    g_clear_pointer(&before, g_free);
    before = bp_store_test_dump_store(f->store);
    backup->status = BP_STORE_BACKUP_COMPLETED;
    backup->bytes = 4096;
    g_ptr_array_add(backup->disks, bp_store_backup_disk_new("vdq", NULL, NULL));
    ok = bp_store_backup_update(f->store, backup, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    assert_failed_untouched(f, before, ok, error);
}


void
bp_store_test_register_checkpoint_tests(void)
{
#define ADD(name, fn) \
    g_test_add(name, BpStoreFixture, NULL, bp_store_test_setup, fn, bp_store_test_teardown)
    ADD("/store/checkpoints/add-get", test_checkpoint_add_get);
    ADD("/store/checkpoints/refusals", test_checkpoint_refusals);
    ADD("/store/checkpoints/schema-guards", test_checkpoint_schema_guards);
    ADD("/store/checkpoints/state-current", test_checkpoint_state_current);
    ADD("/store/checkpoints/redefine", test_checkpoint_redefine);
    ADD("/store/tree/queries", test_tree_queries);
    ADD("/store/tree/list-details", test_tree_list_details);
    ADD("/store/delete/modes", test_checkpoint_delete);
    ADD("/store/delete/plan", test_checkpoint_delete_plan);
    ADD("/store/rollback/injected-faults", test_rollback);
#undef ADD
}
