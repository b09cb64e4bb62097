/*
 * test-store-snapshots.c: the snapshot part of tests/test-store: add,
 * look up, list, the one-current rule, metadata deletion with libvirt's
 * re-parenting, refusals, and that a failed add changes nothing.
 */
#include <config.h>

#include "store/bp-store-priv.h"
#include "util/bp-error.h"
#include "testutils.h"
#include "store-testutils.h"


static BpStoreSnapshot *
test_new_snapshot(gint64 dom, const char *name, const char *parent, gint64 ctime,
                  gboolean current)
{
    BpStoreSnapshot *snap = bp_store_snapshot_new(dom, name);

    snap->parent = g_strdup(parent);
    snap->creation_time = ctime;
    snap->current = current;
    snap->xml = g_strdup_printf("<domainsnapshot><name>%s</name></domainsnapshot>", name);
    g_ptr_array_add(snap->disks,
                    bp_store_snapshot_disk_new("vda", "/img/vda.s", "qcow2"));
    g_ptr_array_add(snap->disks, bp_store_snapshot_disk_new("vdb", NULL, NULL));
    return snap;
}


static void
test_add(BpStore *store, gint64 dom, const char *name, const char *parent,
         gint64 ctime, gboolean current)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreSnapshot) snap = test_new_snapshot(dom, name, parent, ctime, current);

    g_assert_true(bp_store_snapshot_add(store, snap, &error));
    g_assert_no_error(error);
    g_assert_cmpint(snap->id, >, 0);
}


/* "name:parent ..." by creation, then "*current". */
static char *
test_shape(BpStore *store, gint64 dom)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) list = bp_store_snapshot_list(store, dom, &error);
    g_autoptr(GString) str = g_string_new(NULL);
    const char *current = "-";

    g_assert_no_error(error);
    for (guint i = 0; i < list->len; i++) {
        BpStoreSnapshot *snap = g_ptr_array_index(list, i);

        g_string_append_printf(str, "%s:%s ", snap->name, snap->parent ? snap->parent : "-");
        if (snap->current)
            current = snap->name;
    }
    g_string_append_printf(str, "*%s", current);
    return g_string_free(g_steal_pointer(&str), FALSE);
}


static void
test_snapshot_add_get(BpStoreFixture *f, gconstpointer data G_GNUC_UNUSED)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreSnapshot) got = NULL;
    g_autoptr(BpStoreSnapshot) cur = NULL;
    g_autoptr(BpStoreSnapshot) snap = NULL;
    g_autofree char *shape = NULL;
    BpStoreSnapshotDisk *disk;
    gint64 dom = bp_store_test_add_domain(f->store, "vm1");

    g_assert_null(bp_store_snapshot_get_current(f->store, dom, &error));
    g_assert_no_error(error);

    snap = test_new_snapshot(dom, "s1", NULL, 1700000000, TRUE);
    snap->description = g_strdup("before upgrade");
    snap->state = (g_free(snap->state), g_strdup("shutoff"));
    g_assert_true(bp_store_snapshot_add(f->store, snap, &error));
    g_assert_no_error(error);

    got = bp_store_snapshot_get(f->store, dom, "s1", &error);
    g_assert_no_error(error);
    g_assert_cmpint(got->id, ==, snap->id);
    g_assert_null(got->parent);
    g_assert_cmpint(got->creation_time, ==, 1700000000);
    g_assert_cmpstr(got->description, ==, "before upgrade");
    g_assert_cmpstr(got->state, ==, "shutoff");
    g_assert_cmpstr(got->xml, ==, snap->xml);
    g_assert_true(got->current);
    g_assert_cmpuint(got->disks->len, ==, 2);
    disk = g_ptr_array_index(got->disks, 0);
    g_assert_cmpstr(disk->target, ==, "vda");
    g_assert_true(disk->external);
    g_assert_cmpstr(disk->file, ==, "/img/vda.s");
    g_assert_cmpstr(disk->format, ==, "qcow2");
    disk = g_ptr_array_index(got->disks, 1);
    g_assert_cmpstr(disk->target, ==, "vdb");
    g_assert_false(disk->external);
    g_assert_null(disk->file);

    /* A child made current takes the pointer; one that is not leaves it. */
    test_add(f->store, dom, "s2", "s1", 1700000100, TRUE);
    test_add(f->store, dom, "s3", "s1", 1700000200, FALSE);
    cur = bp_store_snapshot_get_current(f->store, dom, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(cur->name, ==, "s2");
    g_assert_cmpstr(cur->parent, ==, "s1");
    shape = test_shape(f->store, dom);
    g_assert_cmpstr(shape, ==, "s1:- s2:s1 s3:s1 *s2");
    g_assert_cmpint(bp_store_test_query_int(f->store->db,
                                            "SELECT count(*) FROM snapshots WHERE is_current"),
                    ==, 1);

    /* Another domain's snapshots are its own. */
    g_clear_pointer(&shape, g_free);
    shape = test_shape(f->store, bp_store_test_add_domain(f->store, "vm2"));
    g_assert_cmpstr(shape, ==, "*-");
}


static void
test_snapshot_refusals(BpStoreFixture *f, gconstpointer data G_GNUC_UNUSED)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreSnapshot) dup = NULL;
    g_autoptr(BpStoreSnapshot) orphan = NULL;
    g_autoptr(BpStoreSnapshot) nodom = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    gint64 dom = bp_store_test_add_domain(f->store, "vm1");

    test_add(f->store, dom, "s1", NULL, 1, TRUE);
    before = bp_store_test_dump_store(f->store);

    dup = test_new_snapshot(dom, "s1", NULL, 2, TRUE);
    g_assert_false(bp_store_snapshot_add(f->store, dup, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_EXISTS);
    g_assert_nonnull(strstr(error->message, "'s1'"));
    g_clear_error(&error);

    orphan = test_new_snapshot(dom, "s2", "nosuch", 2, TRUE);
    g_assert_false(bp_store_snapshot_add(f->store, orphan, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_SNAPSHOT);
    g_assert_nonnull(strstr(error->message, "'nosuch'"));
    g_clear_error(&error);

    nodom = test_new_snapshot(dom + 100, "s3", NULL, 2, TRUE);
    g_assert_false(bp_store_snapshot_add(f->store, nodom, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_DOMAIN);
    g_clear_error(&error);

    g_assert_null(bp_store_snapshot_get(f->store, dom, "nosuch", &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_SNAPSHOT);
    g_clear_error(&error);
    g_assert_false(bp_store_snapshot_delete(f->store, dom, "nosuch", &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_SNAPSHOT);

    after = bp_store_test_dump_store(f->store);
    g_assert_cmpstr(before, ==, after);
}


static void
test_snapshot_delete(BpStoreFixture *f, gconstpointer data G_GNUC_UNUSED)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *shape = NULL;
    gint64 dom = bp_store_test_add_domain(f->store, "vm1");

    test_add(f->store, dom, "s1", NULL, 1, TRUE);
    test_add(f->store, dom, "s2", "s1", 2, TRUE);
    test_add(f->store, dom, "s3", "s2", 3, TRUE);
    test_add(f->store, dom, "s4", "s2", 4, FALSE);

    /* A middle one: its children move to its parent. */
    g_assert_true(bp_store_snapshot_delete(f->store, dom, "s2", &error));
    g_assert_no_error(error);
    shape = test_shape(f->store, dom);
    g_assert_cmpstr(shape, ==, "s1:- s3:s1 s4:s1 *s3");
    g_assert_cmpint(bp_store_test_query_int(f->store->db,
                                            "SELECT count(*) FROM snapshot_disks"), ==, 6);

    /* The current one: its parent becomes current. */
    g_assert_true(bp_store_snapshot_delete(f->store, dom, "s3", &error));
    g_clear_pointer(&shape, g_free);
    shape = test_shape(f->store, dom);
    g_assert_cmpstr(shape, ==, "s1:- s4:s1 *s1");

    /* A root: its children become roots. */
    g_assert_true(bp_store_snapshot_delete(f->store, dom, "s1", &error));
    g_clear_pointer(&shape, g_free);
    shape = test_shape(f->store, dom);
    g_assert_cmpstr(shape, ==, "s4:- *-");
    g_assert_cmpint(bp_store_test_query_int(f->store->db,
                                            "SELECT count(*) FROM snapshot_disks"), ==, 2);

    /* Removing the domain takes its snapshots along. */
    g_assert_true(bp_store_domain_remove(f->store, dom, &error));
    g_assert_no_error(error);
    g_assert_cmpint(bp_store_test_query_int(f->store->db,
                                            "SELECT count(*) FROM snapshots"), ==, 0);
    g_assert_cmpint(bp_store_test_query_int(f->store->db,
                                            "SELECT count(*) FROM snapshot_disks"), ==, 0);
}


void
bp_store_test_register_snapshot_tests(void)
{
#define ADD(name, fn) \
    g_test_add(name, BpStoreFixture, NULL, bp_store_test_setup, fn, bp_store_test_teardown)
    ADD("/store/snapshot/add-get", test_snapshot_add_get);
    ADD("/store/snapshot/refusals", test_snapshot_refusals);
    ADD("/store/snapshot/delete", test_snapshot_delete);
#undef ADD
}
