/*
 * test-jobs-checkpoint.c: the checkpoint operations (src/jobs) on real
 * images, a real catalogue and a real qemu-storage-daemon.
 *
 *   - running two-disk domain: create, the bitmaps (recording,
 *     persistent, default granularity) on both top images, tree and
 *     current, sizes equal to the clusters written since, delete with
 *     re-parenting, redefine (broken, refused with validate, a foreign
 *     bitmap refused), errors;
 *   - never half done: a transaction QEMU refuses (a qcow2 v2 disk; a
 *     bitmap of that name appearing on one disk) leaves no row, no job,
 *     no bitmap of ours; the same offline (qemu-img stopping half way);
 *   - a process killed after the pending row, after the transaction,
 *     after marking a deletion, after the removals (the crash helper):
 *     reconciliation removes or keeps the checkpoint and finishes the
 *     deletion; a partial creation loses its bitmaps;
 *   - the shut-off domain: create and delete with qemu-img, sizes through
 *     a read-only qemu-storage-daemon, a bitmap removed behind our back
 *     marks the checkpoint broken;
 *   - a backing layer: delete reopens it read-write and back;
 *   - an unclean exit breaks exactly the checkpoints on written disks,
 *     and such checkpoints can still be deleted.
 */
#include <config.h>

#include <string.h>

#include "checkpointtest.h"
#include "jobs/bp-domain-ops.h"
#include "qemu/bp-qmp-commands.h"
#include "qemutest.h"
#include "testutils.h"
#include "util/bp-error.h"

#define CL 65536    /* the default bitmap granularity of these images */


static char *
create_ok(CtDomain *d, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = g_strdup_printf("<domaincheckpoint><name>%s</name>"
                                           "</domaincheckpoint>", name);
    char *got = ct_create(d, xml, 0, &error);

    g_assert_no_error(error);
    g_assert_cmpstr(got, ==, name);
    return got;
}


static void
assert_state(CtDomain *d, const char *name, BpStoreCheckpointState state,
             const char *reason_part)
{
    g_autoptr(BpStoreCheckpoint) row = ct_row(d, name);

    g_assert_nonnull(row);
    g_assert_cmpstr(bp_store_checkpoint_state_to_string(row->state), ==,
                    bp_store_checkpoint_state_to_string(state));
    if (reason_part) {
        g_assert_nonnull(row->reason);
        g_assert_nonnull(strstr(row->reason, reason_part));
    }
}


/* No bitmap @name on any layer of either disk. */
static void
assert_no_bitmap(CtDomain *d, const char *name)
{
    g_autoptr(BpBlockGraph) graph = ct_graph(d);
    const char *targets[] = { "vda", "vdb" };

    for (size_t i = 0; i < G_N_ELEMENTS(targets); i++) {
        BpBlockDisk *disk = bp_block_graph_get_disk(graph, targets[i]);

        for (guint k = 0; k < disk->chain->len; k++)
            g_assert_null(ct_bitmap(graph, targets[i], k, name));
    }
}


static void
assert_names(GPtrArray *names, const char *expected)
{
    g_autoptr(GString) got = g_string_new(NULL);

    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(got, "%s%s", i ? " " : "", (char *) names->pdata[i]);
    g_assert_cmpstr(got->str, ==, expected);
}


static void
test_running(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autoptr(BpStoreCheckpoint) row = NULL;
    g_autoptr(GPtrArray) names = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *c1 = NULL;
    g_autofree char *c2 = NULL;
    g_autofree char *saved = NULL;
    g_autofree char *name = NULL;
    g_autofree char *flags = NULL;
    BpBitmapInfo *b;

    qt_require_tools();
    d = ct_domain_new(dir, "run1", 0);
    ct_domain_start(d);
    sock = ct_domain_nbd_socket(d);

    c1 = create_ok(d, "c1");
    row = ct_row(d, "c1");
    g_assert_cmpint(row->state, ==, BP_STORE_CHECKPOINT_READY);
    g_assert_true(row->current);
    g_assert_null(row->parent);
    g_assert_cmpuint(row->disks->len, ==, 2);
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    graph = ct_graph(d);
    for (guint i = 0; i < 2; i++) {
        b = ct_bitmap(graph, i ? "vdb" : "vda", 0, "c1");
        g_assert_nonnull(b);
        g_assert_true(b->recording);
        g_assert_true(b->persistent);
        g_assert_false(b->inconsistent);
        g_assert_cmpuint(b->granularity, ==, CL);
        g_assert_cmpuint(b->count, ==, 0);
    }

    /* vda: one cluster; vdb: 70 KiB at 1 MiB = two clusters */
    qt_nbd_write(sock, "vda", 0, 4096, 0xa1);
    qt_nbd_write(sock, "vdb", 1 << 20, 70 * 1024, 0xb1);
    c2 = create_ok(d, "c2");
    g_clear_pointer(&row, bp_store_checkpoint_free);
    row = ct_row(d, "c2");
    g_assert_cmpstr(row->parent, ==, "c1");
    g_assert_true(row->current);
    g_clear_pointer(&row, bp_store_checkpoint_free);
    row = ct_row(d, "c1");
    g_assert_false(row->current);
    qt_nbd_write(sock, "vda", 2 << 20, CL, 0xa2);

    g_assert_cmpint(ct_size(d, "c1", "vda"), ==, 2 * CL);
    g_assert_cmpint(ct_size(d, "c1", "vdb"), ==, 2 * CL);
    g_assert_cmpint(ct_size(d, "c2", "vda"), ==, CL);
    g_assert_cmpint(ct_size(d, "c2", "vdb"), ==, 0);
    g_clear_pointer(&graph, bp_block_graph_free);
    graph = ct_graph(d);
    g_assert_null(ct_bitmap(graph, "vda", 0, "blkpoint-size"));
    g_assert_cmpuint(ct_bitmap(graph, "vda", 0, "c1")->count, ==, 2 * CL);

    names = bp_checkpoint_ops_list(d->store, d->id, NULL, 0, &error);
    assert_names(names, "c1 c2");
    g_clear_pointer(&names, g_ptr_array_unref);
    names = bp_checkpoint_ops_list(d->store, d->id, NULL, BP_CHECKPOINT_LIST_LEAVES, &error);
    assert_names(names, "c2");
    g_clear_pointer(&names, g_ptr_array_unref);
    names = bp_checkpoint_ops_list(d->store, d->id, "c1", 0, &error);
    assert_names(names, "c2");
    g_clear_pointer(&names, g_ptr_array_unref);
    names = bp_checkpoint_ops_list(d->store, d->id, NULL,
                                   BP_CHECKPOINT_LIST_LEAVES | BP_CHECKPOINT_LIST_NO_LEAVES,
                                   &error);
    assert_names(names, "");
    g_assert_no_error(error);

    /* errors: a taken name, a reserved one, an unknown disk */
    g_assert_null(ct_create(d, "<domaincheckpoint><name>c2</name></domaincheckpoint>", 0,
                            &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_EXISTS);
    g_clear_error(&error);
    g_assert_null(ct_create(d, "<domaincheckpoint><name>backup-vda</name></domaincheckpoint>",
                            0, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED);
    g_clear_error(&error);
    g_assert_null(ct_create(d, "<domaincheckpoint><name>c3</name><disks>"
                            "<disk name='vdz'/></disks></domaincheckpoint>", 0, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED);
    g_clear_error(&error);
    g_assert_null(ct_row(d, "c3"));

    /* delete c1: c2 becomes a root and keeps counting */
    saved = ct_xml(d, "c1", BP_CHECKPOINT_XML_SECURE, &error);
    g_assert_no_error(error);
    g_assert_true(ct_delete(d, "c1", 0, &error));
    g_assert_no_error(error);
    g_assert_null(ct_row(d, "c1"));
    g_clear_pointer(&row, bp_store_checkpoint_free);
    row = ct_row(d, "c2");
    g_assert_null(row->parent);
    assert_no_bitmap(d, "c1");
    g_assert_cmpint(ct_size(d, "c2", "vda"), ==, CL);

    /* redefining c1: its bitmaps are gone; validate refuses, plain
     * redefine records it broken */
    g_assert_null(ct_create(d, saved, BP_CHECKPOINT_CREATE_REDEFINE |
                            BP_CHECKPOINT_CREATE_REDEFINE_VALIDATE, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_CHECKPOINT_INCONSISTENT);
    g_clear_error(&error);
    g_assert_null(ct_row(d, "c1"));
    name = ct_create(d, saved, BP_CHECKPOINT_CREATE_REDEFINE, &error);
    g_assert_no_error(error);
    assert_state(d, "c1", BP_STORE_CHECKPOINT_BROKEN, "vda");

    /* a definition naming another checkpoint's bitmap is refused */
    g_assert_null(ct_create(d, "<domaincheckpoint><name>c8</name>"
                            "<creationTime>1</creationTime><disks>"
                            "<disk name='vda' bitmap='c2'/></disks></domaincheckpoint>",
                            BP_CHECKPOINT_CREATE_REDEFINE, &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
    g_assert_null(ct_row(d, "c8"));

    /* the broken c1 (no bitmap anywhere) can be deleted without
     * --metadata; then c2 is alone */
    g_assert_true(ct_delete(d, "c1", 0, &error));
    g_assert_no_error(error);
    g_assert_cmpint(ct_size(d, "c2", "vda"), ==, CL);

    ct_domain_stop(d);
    flags = qt_bitmap_flags(d->vda, "c2");
    g_assert_cmpstr(flags, ==, "auto");
    g_free(flags);
    flags = qt_bitmap_flags(d->vdb, "c1");
    g_assert_null(flags);
    bp_test_rmdir(dir);
}


static void
injected_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    gboolean *done = user_data;
    g_autoptr(GError) error = NULL;

    g_assert_true(bp_qmp_command_finish(BP_QMP_MONITOR(source), result, &error));
    g_assert_no_error(error);
    *done = TRUE;
}


/* Sends a bitmap-add of the checkpoint's name on vdb: QEMU runs it
 * before the transaction that follows.  (Waiting for the answer here
 * would wait inside the dispatch of the monitor's own source.) */
static void
inject_bitmap(const char *step, const char *checkpoint, gpointer data)
{
    CtDomain *d = data;

    if (!g_str_equal(step, "create:pending"))
        return;
    bp_qmp_bitmap_add_async(bp_block_access_get_monitor(d->access), "bp-vdb-0-fmt",
                            checkpoint, 0, FALSE, FALSE, NULL, injected_cb,
                            g_object_get_data(G_OBJECT(d->run), "injected"));
}


static void
test_create_fails(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *dir2 = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(CtDomain) e = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    gboolean injected = FALSE;

    qt_require_tools();
    /* vdb cannot store persistent bitmaps: QEMU refuses the transaction */
    d = ct_domain_new(dir, "v2", CT_VDB_V2);
    ct_domain_start(d);
    g_assert_null(ct_create(d, "<domaincheckpoint><name>c1</name></domaincheckpoint>", 0,
                            &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_QEMU);
    g_clear_error(&error);
    g_assert_null(ct_row(d, "c1"));
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    assert_no_bitmap(d, "c1");

    /* ...and qemu-img stops at vdb: the bitmap it added to vda goes */
    ct_domain_stop(d);
    g_assert_null(ct_create(d, "<domaincheckpoint><name>c1</name></domaincheckpoint>", 0,
                            &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
    g_assert_null(ct_row(d, "c1"));
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    assert_no_bitmap(d, "c1");
    bp_test_rmdir(dir);

    /* a bitmap of that name appears on vdb after the pending row: the
     * transaction fails, nothing of ours is left, the other bitmap is
     * not ours to remove */
    e = ct_domain_new(dir2, "inj", 0);
    ct_domain_start(e);
    g_object_set_data(G_OBJECT(e->run), "injected", &injected);
    bp_checkpoint_ops_set_test_hook(inject_bitmap, e);
    g_assert_null(ct_create(e, "<domaincheckpoint><name>c1</name></domaincheckpoint>", 0,
                            &error));
    bp_checkpoint_ops_set_test_hook(NULL, NULL);
    g_assert_true(injected);
    g_assert_error(error, BP_ERROR, BP_ERROR_QEMU);
    g_clear_error(&error);
    g_assert_null(ct_row(e, "c1"));
    g_assert_cmpuint(ct_jobs(e), ==, 0);
    graph = ct_graph(e);
    g_assert_null(ct_bitmap(graph, "vda", 0, "c1"));
    g_assert_nonnull(ct_bitmap(graph, "vdb", 0, "c1"));
    /* and the planner now refuses the name up front */
    g_assert_null(ct_create(e, "<domaincheckpoint><name>c1</name></domaincheckpoint>", 0,
                            &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_EXISTS);
    ct_domain_stop(e);
    bp_test_rmdir(dir2);
}


/* Runs the crash helper; asserts it was killed at @step. */
static void
crash_at(CtDomain *d, const char *step, const char *op, const char *arg)
{
    const char *args[] = { step, op, arg, NULL };

    ct_run_crash_helper(d, "checkpoint-crash-helper", args);
}


static void
reconcile_ok(CtDomain *d, guint expect_changed)
{
    g_autoptr(GError) error = NULL;
    guint changed = 0;

    g_assert_true(ct_reconcile(d, &changed, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(changed, ==, expect_changed);
}


/* A pending row with its creation job, as a crash after step 1 leaves. */
static void
fake_pending(CtDomain *d, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreJob) job = bp_store_job_new(d->id, BP_CHECKPOINT_JOB_CREATE);
    g_autoptr(BpStoreCheckpoint) row = bp_store_checkpoint_new(d->id, name);

    job->checkpoint = g_strdup(name);
    row->state = BP_STORE_CHECKPOINT_PENDING;
    g_ptr_array_add(row->disks, bp_store_checkpoint_disk_new("vda", name, 0, 0));
    g_ptr_array_add(row->disks, bp_store_checkpoint_disk_new("vdb", name, 0, 0));
    g_assert_true(bp_store_job_add(d->store, job, &error));
    g_assert_true(bp_store_checkpoint_add(d->store, row, &error));
    g_assert_no_error(error);
}


static void
test_crash_running(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autofree char *c2 = NULL;
    g_autoptr(BpStoreCheckpoint) row = NULL;
    const char *doc = "<domaincheckpoint><name>c1</name></domaincheckpoint>";

    qt_require_tools();
    d = ct_domain_new(dir, "crash", 0);
    ct_domain_start(d);

    /* killed after the pending row: nothing was added, the row goes */
    crash_at(d, "create:pending", "create", doc);
    assert_state(d, "c1", BP_STORE_CHECKPOINT_PENDING, NULL);
    g_assert_cmpuint(ct_jobs(d), ==, 1);
    assert_no_bitmap(d, "c1");
    reconcile_ok(d, 1);
    g_assert_null(ct_row(d, "c1"));
    g_assert_cmpuint(ct_jobs(d), ==, 0);

    /* killed after the transaction: the bitmaps are there, it stays */
    crash_at(d, "create:applied", "create", doc);
    assert_state(d, "c1", BP_STORE_CHECKPOINT_PENDING, NULL);
    reconcile_ok(d, 1);
    assert_state(d, "c1", BP_STORE_CHECKPOINT_READY, NULL);
    row = ct_row(d, "c1");
    g_assert_true(row->current);
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    graph = ct_graph(d);
    g_assert_nonnull(ct_bitmap(graph, "vda", 0, "c1"));
    g_assert_nonnull(ct_bitmap(graph, "vdb", 0, "c1"));
    /* nothing more to do the next time */
    reconcile_ok(d, 0);

    /* partial: the bitmap made it to one disk only */
    fake_pending(d, "c9");
    g_assert_true(qt_qmp(bp_block_access_get_monitor(d->access), "block-dirty-bitmap-add",
                         "{\"node\": \"bp-vda-0-fmt\", \"name\": \"c9\", "
                         "\"persistent\": true}", &error));
    g_assert_no_error(error);
    reconcile_ok(d, 1);
    g_assert_null(ct_row(d, "c9"));
    assert_no_bitmap(d, "c9");
    assert_state(d, "c1", BP_STORE_CHECKPOINT_READY, NULL);

    /* killed after marking a deletion, and after its removals: either
     * way reconciliation finishes it */
    c2 = create_ok(d, "c2");
    crash_at(d, "delete:marked", "delete", "c1");
    assert_state(d, "c1", BP_STORE_CHECKPOINT_DELETING, NULL);
    reconcile_ok(d, 1);
    g_assert_null(ct_row(d, "c1"));
    assert_no_bitmap(d, "c1");
    g_clear_pointer(&row, bp_store_checkpoint_free);
    row = ct_row(d, "c2");
    g_assert_null(row->parent);
    g_assert_true(row->current);

    crash_at(d, "delete:applied", "delete", "c2");
    assert_state(d, "c2", BP_STORE_CHECKPOINT_DELETING, NULL);
    assert_no_bitmap(d, "c2");
    reconcile_ok(d, 1);
    g_assert_null(ct_row(d, "c2"));
    g_clear_pointer(&row, bp_store_checkpoint_free);
    row = bp_store_checkpoint_get_current(d->store, d->id, &error);
    g_assert_null(row);
    g_assert_no_error(error);

    ct_domain_stop(d);
    bp_test_rmdir(dir);
}


static void
test_offline(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *c1 = NULL;
    g_autofree char *c2 = NULL;
    g_autofree char *flags = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *out = NULL;
    g_autoptr(BpStoreCheckpoint) row = NULL;

    qt_require_tools();
    d = ct_domain_new(dir, "off", 0);

    /* created with qemu-img while shut off, recording once started */
    c1 = create_ok(d, "c1");
    assert_state(d, "c1", BP_STORE_CHECKPOINT_READY, NULL);
    flags = qt_bitmap_flags(d->vda, "c1");
    g_assert_cmpstr(flags, ==, "auto");
    g_clear_pointer(&flags, g_free);
    flags = qt_bitmap_flags(d->vdb, "c1");
    g_assert_cmpstr(flags, ==, "auto");
    g_clear_pointer(&flags, g_free);
    g_assert_cmpuint(qt_bitmap_granularity(d->vda, "c1"), ==, CL);
    g_assert_cmpint(ct_size(d, "c1", "vda"), ==, 0);

    ct_domain_start(d);
    reconcile_ok(d, 0);
    sock = ct_domain_nbd_socket(d);
    qt_nbd_write(sock, "vda", 3 * CL, 2 * CL, 0xc1);
    qt_nbd_write(sock, "vdb", 0, 512, 0xc2);
    ct_domain_stop(d);

    /* sizes of a shut-off domain, through a read-only QSD */
    g_assert_cmpint(ct_size(d, "c1", "vda"), ==, 2 * CL);
    g_assert_cmpint(ct_size(d, "c1", "vdb"), ==, CL);
    c2 = create_ok(d, "c2");
    g_assert_cmpint(ct_size(d, "c2", "vda"), ==, 0);
    reconcile_ok(d, 0);

    /* offline delete with qemu-img */
    g_assert_true(ct_delete(d, "c1", 0, &error));
    g_assert_no_error(error);
    g_assert_null(qt_bitmap_flags(d->vda, "c1"));
    g_assert_null(qt_bitmap_flags(d->vdb, "c1"));
    row = ct_row(d, "c2");
    g_assert_null(row->parent);

    /* a partial creation offline */
    fake_pending(d, "c9");
    out = qt_qemu_img("bitmap", "--add", d->vdb, "c9", NULL);
    reconcile_ok(d, 1);
    g_assert_null(ct_row(d, "c9"));
    g_assert_null(qt_bitmap_flags(d->vdb, "c9"));

    /* a bitmap removed behind our back: broken, saying where */
    g_free(out);
    out = qt_qemu_img("bitmap", "--remove", d->vdb, "c2", NULL);
    reconcile_ok(d, 1);
    assert_state(d, "c2", BP_STORE_CHECKPOINT_BROKEN, "vdb");
    /* never made ready again */
    reconcile_ok(d, 0);
    assert_state(d, "c2", BP_STORE_CHECKPOINT_BROKEN, NULL);
    /* deleted anyway: the bitmap that is left goes */
    g_assert_true(ct_delete(d, "c2", 0, &error));
    g_assert_no_error(error);
    g_assert_null(qt_bitmap_flags(d->vda, "c2"));
    bp_test_rmdir(dir);
}


static void
test_backing_layer(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autofree char *out = NULL;
    g_autofree char *name = NULL;
    const char *doc = "<domaincheckpoint><name>c1</name><creationTime>1000</creationTime>"
                      "<disks><disk name='vda'/><disk name='vdb' checkpoint='no'/></disks>"
                      "</domaincheckpoint>";

    qt_require_tools();
    d = ct_domain_new(dir, "chain", CT_CHAIN);
    /* c1's bitmap in both layers of vda, as after an external snapshot */
    out = qt_qemu_img("bitmap", "--add", d->vda_base, "c1", NULL);
    g_free(out);
    out = qt_qemu_img("bitmap", "--add", d->vda, "c1", NULL);
    name = ct_create(d, doc, BP_CHECKPOINT_CREATE_REDEFINE, &error);
    g_assert_no_error(error);
    assert_state(d, "c1", BP_STORE_CHECKPOINT_READY, NULL);

    ct_domain_start(d);
    g_free(name);
    name = ct_create(d, doc, BP_CHECKPOINT_CREATE_REDEFINE |
                     BP_CHECKPOINT_CREATE_REDEFINE_VALIDATE, &error);
    g_assert_no_error(error);
    graph = ct_graph(d);
    g_assert_nonnull(ct_bitmap(graph, "vda", 1, "c1"));
    g_assert_true(((BpBlockNode *) bp_block_graph_get_disk(graph, "vda")->chain->pdata[1])->read_only);
    g_assert_true(ct_delete(d, "c1", 0, &error));
    g_assert_no_error(error);
    g_clear_pointer(&graph, bp_block_graph_free);
    graph = ct_graph(d);
    g_assert_null(ct_bitmap(graph, "vda", 0, "c1"));
    g_assert_null(ct_bitmap(graph, "vda", 1, "c1"));
    /* reopened read-only again */
    g_assert_true(((BpBlockNode *) bp_block_graph_get_disk(graph, "vda")->chain->pdata[1])->read_only);
    ct_domain_stop(d);
    g_assert_null(qt_bitmap_flags(d->vda_base, "c1"));
    g_assert_null(qt_bitmap_flags(d->vda, "c1"));
    bp_test_rmdir(dir);
}


static void
test_unclean_exit(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *c0 = NULL;
    g_autofree char *c1 = NULL;
    g_autofree char *flags = NULL;
    g_autofree char *name = NULL;

    qt_require_tools();
    d = ct_domain_new(dir, "dirty", 0);
    c0 = create_ok(d, "c0");                        /* in the images */
    name = ct_create(d, "<domaincheckpoint><name>cx</name><disks>"
                     "<disk name='vda' checkpoint='no'/><disk name='vdb' checkpoint='no'/>"
                     "</disks></domaincheckpoint>", 0, &error);
    g_assert_no_error(error);
    ct_domain_start(d);
    c1 = create_ok(d, "c1");                        /* only in QEMU's memory */

    ct_domain_kill(d);

    assert_state(d, "c0", BP_STORE_CHECKPOINT_BROKEN, NULL);
    assert_state(d, "c1", BP_STORE_CHECKPOINT_BROKEN, NULL);
    assert_state(d, "cx", BP_STORE_CHECKPOINT_READY, NULL);
    flags = qt_bitmap_flags(d->vda, "c0");
    g_assert_cmpstr(flags, ==, "in-use,auto");
    g_assert_null(qt_bitmap_flags(d->vda, "c1"));
    reconcile_ok(d, 0);

    /* both can be deleted without --metadata */
    g_assert_true(ct_delete(d, "c1", 0, &error));
    g_assert_no_error(error);
    g_assert_true(ct_delete(d, "c0", 0, &error));
    g_assert_no_error(error);
    g_assert_null(qt_bitmap_flags(d->vda, "c0"));
    bp_test_rmdir(dir);
}


/* c1 -> c2 -> {c3, c4 -> c5}: children-only, then children. */
static void
test_delete_children(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) names = NULL;
    g_autoptr(BpStoreCheckpoint) row = NULL;
    g_autofree char *c1 = NULL, *c2 = NULL, *c3 = NULL, *c4 = NULL, *c5 = NULL, *c6 = NULL;
    g_autofree char *sock = NULL;

    qt_require_tools();
    d = ct_domain_new(dir, "tree", 0);
    ct_domain_start(d);
    sock = ct_domain_nbd_socket(d);
    c1 = create_ok(d, "c1");
    c2 = create_ok(d, "c2");
    c3 = create_ok(d, "c3");
    g_assert_true(bp_store_checkpoint_set_current(d->store, d->id, "c2", &error));
    c4 = create_ok(d, "c4");
    c5 = create_ok(d, "c5");
    qt_nbd_write(sock, "vdb", 0, CL, 0x11);

    names = bp_checkpoint_ops_list(d->store, d->id, NULL, BP_CHECKPOINT_LIST_TOPOLOGICAL,
                                   &error);
    assert_names(names, "c1 c2 c3 c4 c5");
    g_clear_pointer(&names, g_ptr_array_unref);
    names = bp_checkpoint_ops_list(d->store, d->id, "c2", BP_CHECKPOINT_LIST_DESCENDANTS,
                                   &error);
    assert_names(names, "c3 c4 c5");
    g_clear_pointer(&names, g_ptr_array_unref);
    names = bp_checkpoint_ops_list(d->store, d->id, NULL, BP_CHECKPOINT_LIST_ROOTS, &error);
    assert_names(names, "c1");
    g_clear_pointer(&names, g_ptr_array_unref);
    names = bp_checkpoint_ops_list(d->store, d->id, NULL, BP_CHECKPOINT_LIST_NO_LEAVES,
                                   &error);
    assert_names(names, "c1 c2 c4");
    g_clear_pointer(&names, g_ptr_array_unref);
    g_assert_null(bp_checkpoint_ops_list(d->store, d->id, "c2", BP_CHECKPOINT_LIST_ROOTS,
                                         &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);

    g_assert_false(ct_delete(d, "c2", BP_CHECKPOINT_DELETE_CHILDREN |
                             BP_CHECKPOINT_DELETE_CHILDREN_ONLY, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_false(ct_delete(d, "c9", 0, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT);
    g_clear_error(&error);

    /* children-only: c3, c4, c5 go (one transaction), c2 becomes current */
    g_assert_true(ct_delete(d, "c2", BP_CHECKPOINT_DELETE_CHILDREN_ONLY, &error));
    g_assert_no_error(error);
    names = bp_checkpoint_ops_list(d->store, d->id, NULL, BP_CHECKPOINT_LIST_TOPOLOGICAL,
                                   &error);
    assert_names(names, "c1 c2");
    g_clear_pointer(&names, g_ptr_array_unref);
    row = ct_row(d, "c2");
    g_assert_true(row->current);
    assert_no_bitmap(d, "c3");
    assert_no_bitmap(d, "c4");
    assert_no_bitmap(d, "c5");
    g_assert_cmpint(ct_size(d, "c2", "vdb"), ==, CL);

    /* metadata only: the bitmap stays */
    g_assert_true(ct_delete(d, "c2", BP_CHECKPOINT_DELETE_METADATA, &error));
    g_assert_no_error(error);
    g_assert_null(ct_row(d, "c2"));
    {
        g_autoptr(BpBlockGraph) graph = ct_graph(d);

        g_assert_nonnull(ct_bitmap(graph, "vda", 0, "c2"));
    }
    /* children: c1 and everything below */
    c6 = create_ok(d, "c6");
    g_assert_true(ct_delete(d, "c1", BP_CHECKPOINT_DELETE_CHILDREN, &error));
    g_assert_no_error(error);
    names = bp_checkpoint_ops_list(d->store, d->id, NULL, 0, &error);
    assert_names(names, "");
    assert_no_bitmap(d, "c1");
    assert_no_bitmap(d, "c6");
    ct_domain_stop(d);
    bp_test_rmdir(dir);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jobs/checkpoint/running", test_running);
    g_test_add_func("/jobs/checkpoint/delete-children", test_delete_children);
    g_test_add_func("/jobs/checkpoint/create-fails", test_create_fails);
    g_test_add_func("/jobs/checkpoint/crash-running", test_crash_running);
    g_test_add_func("/jobs/checkpoint/offline", test_offline);
    g_test_add_func("/jobs/checkpoint/backing-layer", test_backing_layer);
    g_test_add_func("/jobs/checkpoint/unclean-exit", test_unclean_exit);
    return g_test_run();
}
