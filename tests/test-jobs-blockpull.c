/*
 * test-jobs-blockpull.c: block pull on real qemu-storage-daemon and qcow2
 * chains whose checkpoints' bitmaps span the layers (the fixtures of
 * blockjobtest.h).  After each pull the checkpoints kept count exactly
 * the clusters written since each, the one whose bitmap only a pulled
 * layer had is broken with the reason, and the disk equals the model.
 */
#include <config.h>

#include "blockjobtest.h"
#include "qemu/bp-qemu-sync.h"
#include "qemutest.h"
#include "testutils.h"
#include "util/bp-error.h"


static BpBlockJob *
bp_pull(Bc *bc, BcRun *r, const char *base, guint64 speed)
{
    BpBlockJob *job;

    memset(r, 0, sizeof(*r));
    job = bp_blockjob_ops_pull_async(bc->d->store, bc->d->id, bc->d->access, "vda", base,
                                     speed, 0, NULL, bc_done, r);
    if (job)
        bp_block_job_set_started_func(job, bc_started, bc_ready, r);
    return job;
}


/* vda's definition: the top's path and how many layers it lists. */
static guint
bp_def_layers(Bc *bc, const char **top)
{
    const BpDiskDef *disk = bp_domain_def_find_disk(bc->d->def, "vda");
    guint n = 0;

    *top = disk->src->path;
    for (const BpStorageSource *s = disk->src; s; s = s->backing)
        n++;
    return n;
}


static void
test_live(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *ov2 = NULL;
    g_autofree char *ov3 = NULL;
    g_autofree char *args = NULL;
    static const char *const c012[] = { "c0", "c1", "c2", NULL };
    const char *top;
    BcRun r;
    Bc *bc;

    qt_require_tools();
    bc = bc_new(dir, "bp1");
    bc_build(bc);
    ov2 = g_build_filename(dir, "ov2.qcow2", NULL);

    /* The top is no base. */
    bp_pull(bc, &r, ov2, 0);
    g_assert_true(qt_wait(&r.done, 10000));
    g_assert_error(r.error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&r.error);
    /* Nothing between the top and ov1 (vda[1]). */
    bp_pull(bc, &r, "vda[1]", 0);
    g_assert_true(qt_wait(&r.done, 10000));
    g_assert_error(r.error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&r.error);
    g_assert_cmpuint(bc_chain_len(bc), ==, 3);

    /* ov1 (vda[1]) into ov2, down to vda.qcow2 (vda[0]). */
    g_assert_nonnull(bp_pull(bc, &r, "vda[0]", 0));
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_no_error(r.error);
    g_assert_true(r.started);
    g_assert_true(r.pivoted);
    bc_take_def(bc, &r);
    g_assert_cmpuint(bc_chain_len(bc), ==, 2);
    g_assert_cmpuint(bp_def_layers(bc, &top), ==, 2);
    g_assert_cmpstr(top, ==, ov2);
    g_assert_cmpstr(bp_domain_def_find_disk(bc->d->def, "vda")->src->backing->path, ==,
                    bc->d->vda);
    g_assert_null(bp_blockjob_ops_lookup(bc->d->id, "vda"));
    bc_check_sizes(bc);
    bc_write(bc, 7 * MiB, CL, 0x17);
    bc_write(bc, 0, CL, 0x18);
    bc_check_sizes(bc);

    /* c2 dropped from a new top behind the catalogue's back (it still
     * says ready): its bitmap is then only in ov2, which a pull of the
     * whole chain removes.  It is lost, and marked so. */
    bc_stop(bc);
    ov3 = bc_overlay(bc, "ov3.qcow2", c012);
    ct_domain_start(bc->d);
    bc_write(bc, 8 * MiB, CL, 0x19);
    {
        g_autoptr(BpBlockGraph) graph = ct_graph(bc->d);
        const BpBlockNode *node = g_ptr_array_index(bp_block_graph_get_disk(graph, "vda")->chain,
                                                    0);
        g_autofree char *rm = g_strdup_printf("{\"node\":\"%s\",\"name\":\"c2\"}",
                                              node->node_name);

        bc_qmp(bc, "block-dirty-bitmap-remove", rm);
    }
    g_assert_nonnull(bp_pull(bc, &r, NULL, 0));
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_no_error(r.error);
    bc_take_def(bc, &r);
    g_assert_cmpuint(bc_chain_len(bc), ==, 1);
    g_assert_cmpuint(bp_def_layers(bc, &top), ==, 1);
    g_assert_cmpstr(top, ==, ov3);
    g_assert_true(bp_domain_def_find_disk(bc->d->def, "vda")->src->backing_known);
    bc_check_size(bc, "c0", 0);
    bc_check_size(bc, "c1", 1);
    {
        g_autoptr(BpStoreCheckpoint) row = ct_row(bc->d, "c2");

        g_assert_cmpint(row->state, ==, BP_STORE_CHECKPOINT_BROKEN);
        g_assert_nonnull(strstr(row->reason, "block pull"));
    }
    {
        g_autoptr(BpStoreCheckpoint) row = ct_row(bc->d, "c1");

        g_assert_cmpint(row->state, ==, BP_STORE_CHECKPOINT_READY);
    }
    bc_write(bc, 9 * MiB, CL, 0x1a);
    bc_check_size(bc, "c0", 0);
    bc_check_size(bc, "c1", 1);
    bc_stop(bc);
    bc_compare(bc);
    args = qt_qemu_img("info", "-U", "--output=json", ov3, NULL);
    g_assert_null(strstr(args, "backing-filename"));
    bc_free(bc);
    bp_test_rmdir(dir);
}


static void
test_abort(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(GError) error = NULL;
    BpBlockJobInfo info = { 0 };
    BpBlockJob *job;
    BcRun r, r2;
    Bc *bc;

    qt_require_tools();
    bc = bc_new(dir, "bp2");
    bc_build(bc);
    /* 1 byte/s: the job stays running until cancelled. */
    job = bp_pull(bc, &r, NULL, 1);
    g_assert_nonnull(job);
    g_assert_true(qt_wait(&r.started, 10000));
    g_assert_true(bp_blockjob_ops_lookup(bc->d->id, "vda") == job);
    bp_block_job_get_info(job, &info);
    g_assert_true(info.pull);
    g_assert_false(info.active);
    g_assert_cmpuint(info.bandwidth, ==, 1);
    bp_block_job_info_clear(&info);
    g_assert_cmpint(ct_jobs(bc->d), ==, 1);
    /* Pivoting a pull makes no sense. */
    g_assert_false(bp_block_job_end(job, TRUE, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID);
    g_clear_error(&error);
    /* A second job on the disk is refused. */
    bp_pull(bc, &r2, NULL, 0);
    g_assert_true(qt_wait(&r2.done, 10000));
    g_assert_error(r2.error, BP_ERROR, BP_ERROR_BUSY);
    g_clear_error(&r2.error);
    bc_write(bc, 10 * MiB, CL, 0x20);
    g_assert_true(bp_block_job_end(job, FALSE, &error));
    g_assert_no_error(error);
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_error(r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error(&r.error);
    g_assert_false(r.pivoted);
    g_assert_null(r.new_def);
    g_assert_cmpuint(bc_chain_len(bc), ==, 3);
    g_assert_cmpint(ct_jobs(bc->d), ==, 0);
    bc_check_sizes(bc);
    bc_finish(bc, dir);
}


/* A checkpoint created while the pull runs is carried; deleting one is
 * refused until the job ended. */
static void
test_checkpoints_during(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(GError) error = NULL;
    BpBlockJob *job;
    BpSyncCall call;
    BcRun r;
    Bc *bc;

    qt_require_tools();
    bc = bc_new(dir, "bp5");
    bc_build(bc);
    job = bp_pull(bc, &r, "vda[0]", 1);
    g_assert_nonnull(job);
    g_assert_true(qt_wait(&r.started, 10000));
    /* Removing bitmaps would reopen layers the job holds. */
    g_assert_false(ct_delete(bc->d, "c1", 0, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_BUSY);
    g_clear_error(&error);
    bc_checkpoint(bc, "c3", 3);
    bc_write(bc, 12 * MiB, 2 * CL, 0x22);
    bp_sync_call_begin(&call);
    bp_block_job_set_speed_async(job, 0, NULL, bp_sync_call_ready, &call);
    g_assert_true(bp_block_job_set_speed_finish(bp_sync_call_wait(&call), &error));
    bp_sync_call_end(&call);
    g_assert_no_error(error);
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_no_error(r.error);
    bc_take_def(bc, &r);
    g_assert_cmpuint(bc_chain_len(bc), ==, 2);
    bc_check_sizes(bc);
    bc_check_size(bc, "c3", 3);
    bc_write(bc, 13 * MiB, CL, 0x23);
    bc_check_sizes(bc);
    bc_check_size(bc, "c3", 3);
    g_assert_true(ct_delete(bc->d, "c1", 0, &error));
    g_assert_no_error(error);
    bc_check_size(bc, "c0", 0);
    bc_finish(bc, dir);
}


static void
test_offline(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *ov2 = NULL;
    const char *top;
    BcRun r;
    Bc *bc;

    qt_require_tools();
    bc = bc_new(dir, "bp3");
    bc_build(bc);
    ov2 = g_build_filename(dir, "ov2.qcow2", NULL);
    bc_stop(bc);
    g_assert_null(bp_pull(bc, &r, "vda[0]", 0));
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_no_error(r.error);
    bc_take_def(bc, &r);
    g_assert_cmpuint(bp_def_layers(bc, &top), ==, 2);
    g_assert_cmpstr(top, ==, ov2);
    bc_compare(bc);
    ct_domain_start(bc->d);
    g_assert_cmpuint(bc_chain_len(bc), ==, 2);
    /* c2 lives in the top only: the rebase's copying must not count. */
    bc_check_sizes(bc);
    bc_write(bc, 11 * MiB, CL, 0x21);
    bc_check_sizes(bc);
    bc_free(bc);
    bp_test_rmdir(dir);
}


/* The catalogue row a pull of vda (top node bp-vda-2-fmt, ov1 =
 * bp-vda-1-fmt pulled, down to @base) leaves in @phase. */
static void
bp_leftover(Bc *bc, const char *ov2, const char *ov1, const char *phase)
{
    bc_add_leftover(bc, BP_BLOCKJOB_JOB_PULL, phase,
                    g_strdup_printf("{\"disk\":\"vda\",\"active\":false,"
                                    "\"top-node\":\"bp-vda-2-fmt\",\"top\":\"%s\","
                                    "\"base-node\":\"bp-vda-0-fmt\",\"base\":\"%s\","
                                    "\"base-format\":\"qcow2\",\"pulled\":\"%s\","
                                    "\"pulled-node\":\"bp-vda-1-fmt\",\"lost\":[]}",
                                    ov2, bc->d->vda, ov1));
}


static void
test_reconcile(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *ov1 = NULL;
    g_autofree char *ov2 = NULL;
    g_autofree char *args = NULL;
    BpDomainDef *def = NULL;
    const char *top;
    Bc *bc;

    qt_require_tools();
    bc = bc_new(dir, "bp4");
    bc_build(bc);
    ov1 = g_build_filename(dir, "ov1.qcow2", NULL);
    ov2 = g_build_filename(dir, "ov2.qcow2", NULL);

    /* A pull still running: cancelled, the chain stays. */
    bc_qmp(bc, "block-stream",
           "{\"job-id\":\"pull-vda\",\"device\":\"bp-vda-2-fmt\","
           "\"base-node\":\"bp-vda-0-fmt\",\"speed\":1,"
           "\"auto-dismiss\":false}");
    bp_leftover(bc, ov2, ov1, "running");
    bc_reconcile_cancelled(bc, 3, 12 * MiB, 0x30);

    /* QEMU finished the pull, the daemon ended before the merge: the
     * definition follows, the disk's checkpoints are broken. */
    args = g_strdup_printf("{\"job-id\":\"pull-vda\",\"device\":\"bp-vda-2-fmt\","
                           "\"base-node\":\"bp-vda-0-fmt\",\"backing-file\":\"%s\","
                           "\"auto-dismiss\":false}", bc->d->vda);
    bc_qmp(bc, "block-stream", args);
    bc_qemu_wait(bc, "pull-vda", "concluded");
    bp_leftover(bc, ov2, ov1, "concluded");
    g_assert_cmpuint(bc_reconcile(bc, &def), >, 0);
    g_assert_nonnull(def);
    bp_domain_def_free(bc->d->def);
    bc->d->def = g_steal_pointer(&def);
    g_assert_cmpuint(bc_chain_len(bc), ==, 2);
    g_assert_cmpuint(bp_def_layers(bc, &top), ==, 2);
    {
        g_autoptr(BpStoreCheckpoint) row = ct_row(bc->d, "c1");

        g_assert_cmpint(row->state, ==, BP_STORE_CHECKPOINT_BROKEN);
        g_assert_nonnull(strstr(row->reason, "pull"));
    }
    {
        g_autoptr(BpBlockGraph) graph = ct_graph(bc->d);

        /* The pulled node is gone from QEMU too. */
        g_assert_null(bp_block_graph_lookup(graph, "bp-vda-1-fmt"));
    }
    bc_finish(bc, dir);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jobs/blockpull/live", test_live);
    g_test_add_func("/jobs/blockpull/abort", test_abort);
    g_test_add_func("/jobs/blockpull/checkpoints-during", test_checkpoints_during);
    g_test_add_func("/jobs/blockpull/offline", test_offline);
    g_test_add_func("/jobs/blockpull/reconcile", test_reconcile);
    return g_test_run();
}
