/*
 * test-jobs-blockcommit.c: block commit on real qemu-storage-daemon and
 * qcow2 chains, whose checkpoints' bitmaps span the layers.  Every write
 * goes through the NBD export and into a raw model of the disk; after
 * each commit the checkpoint sizes must still equal exactly the clusters
 * written since each checkpoint, and the disk must equal the model
 * (qemu-img compare).
 */
#include <config.h>

#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "blockjobtest.h"
#include "checkpointtest.h"
#include "jobs/bp-backup-ops.h"
#include "jobs/bp-blockjob-ops.h"
#include "jobs/bp-domain-ops.h"
#include "jobs/bp-domain-runtime.h"
#include "qemu/bp-qemu-sync.h"
#include "qemu/bp-qmp-commands.h"
#include "qemutest.h"
#include "testutils.h"
#include "util/bp-error.h"

static BpBlockJob *
bc_commit_speed(Bc *bc, BcRun *r, const char *top, const char *base, guint64 speed,
                unsigned int flags)
{
    BpBlockJob *job;

    memset(r, 0, sizeof(*r));
    job = bp_blockjob_ops_commit_async(bc->d->store, bc->d->id, bc->d->access, "vda", top,
                                       base, speed, flags, NULL, bc_done, r);
    if (job)
        bp_block_job_set_started_func(job, bc_started, bc_ready, r);
    return job;
}


static BpBlockJob *
bc_commit(Bc *bc, BcRun *r, const char *top, const char *base, unsigned int flags)
{
    return bc_commit_speed(bc, r, top, base, 0, flags);
}


typedef struct {
    Bc *bc;
    guint64 off;
    guint n;
    gint *go;                   /* writes while set */
} BcWriter;


static gpointer
bc_writer(gpointer data)
{
    BcWriter *w = data;

    while (g_atomic_int_get(w->go) && w->n < 32) {
        bc_write(w->bc, w->off + (guint64) w->n * CL, CL, 0x40 + w->n);
        w->n++;
    }
    return NULL;
}


/* Between the pivot and the merge the disk writes into the base, where
 * only the temporary bitmap records it for checkpoints the base lacks. */
static void
bc_hook(const char *step, const char *target, gpointer data)
{
    Bc *bc = data;

    if (g_str_equal(step, "concluded") && g_str_equal(target, "vda"))
        bc_write(bc, 13 * MiB, CL, 0x19);
}


static void
test_live(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(GError) error = NULL;
    g_autofree char *ov1 = NULL;
    g_autofree char *vda = NULL;
    BcRun r, r2;
    BpBlockJob *job;
    BpBlockJobInfo info = { 0 };
    BcWriter w = { 0 };
    gint go = 1;
    GThread *thread;
    Bc *bc;

    qt_require_tools();
    bc = bc_new(dir, "bc1");
    bc_build(bc);
    ov1 = g_build_filename(dir, "ov1.qcow2", NULL);
    vda = g_strdup(bc->d->vda);

    /* Without "active", the active layer cannot be the top. */
    job = bc_commit(bc, &r, NULL, NULL, 0);
    g_assert_true(qt_wait(&r.done, 10000));
    g_assert_error(r.error, BP_ERROR, BP_ERROR_OPERATION_INVALID);
    g_clear_error(&r.error);
    /* Base above top. */
    job = bc_commit(bc, &r, vda, ov1, 0);
    g_assert_true(qt_wait(&r.done, 10000));
    g_assert_error(r.error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&r.error);

    /* Non-active: ov1 (vda[1]) into vda.qcow2 (vda[0]). */
    job = bc_commit(bc, &r, "vda[1]", "vda[0]", BP_BLOCK_COMMIT_DELETE);
    g_assert_nonnull(job);
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_no_error(r.error);
    g_assert_true(r.started);
    g_assert_true(r.pivoted);
    bc_take_def(bc, &r);
    g_assert_false(g_file_test(ov1, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(bc_chain_len(bc), ==, 2);
    g_assert_nonnull(bp_domain_def_find_disk(bc->d->def, "vda")->src->backing);
    g_assert_cmpstr(bp_domain_def_find_disk(bc->d->def, "vda")->src->backing->path, ==, vda);
    g_assert_null(bp_domain_def_find_disk(bc->d->def, "vda")->src->backing->backing);
    bc_check_sizes(bc);
    bc_write(bc, 7 * MiB, CL, 0x17);
    bc_check_sizes(bc);

    /* Active commit, pivoted while a writer keeps writing. */
    job = bc_commit(bc, &r, NULL, NULL, BP_BLOCK_COMMIT_ACTIVE);
    g_assert_nonnull(job);
    w.bc = bc;
    w.off = 8 * MiB;
    w.go = &go;
    thread = g_thread_new("writer", bc_writer, &w);
    g_assert_true(qt_wait(&r.ready, 30000));
    g_assert_false(r.done);
    g_assert_true(bp_blockjob_ops_lookup(bc->d->id, "vda") == job);
    bp_block_job_get_info(job, &info);
    g_assert_true(info.active);
    g_assert_true(info.ready);
    g_assert_cmpuint(info.cur, ==, info.end);
    bp_block_job_info_clear(&info);
    /* A checkpoint made while the commit is in sync is carried too. */
    bc_checkpoint(bc, "c3", 3);
    g_usleep(20 * 1000);
    /* A second job on the disk is refused. */
    bc_commit(bc, &r2, NULL, NULL, BP_BLOCK_COMMIT_ACTIVE);
    g_assert_true(qt_wait(&r2.done, 10000));
    g_assert_error(r2.error, BP_ERROR, BP_ERROR_BUSY);
    g_clear_error(&r2.error);
    g_usleep(100 * 1000);
    bp_blockjob_ops_set_test_hook(bc_hook, bc);
    g_assert_true(bp_block_job_end(job, TRUE, &error));
    g_assert_no_error(error);
    g_assert_true(qt_wait(&r.done, 30000));
    bp_blockjob_ops_set_test_hook(NULL, NULL);
    g_usleep(50 * 1000);
    g_atomic_int_set(&go, 0);
    g_thread_join(thread);
    g_assert_no_error(r.error);
    g_assert_true(r.pivoted);
    g_assert_cmpuint(w.n, >, 0);
    g_assert_null(bp_blockjob_ops_lookup(bc->d->id, "vda"));
    bc_take_def(bc, &r);
    g_assert_cmpstr(bp_domain_def_find_disk(bc->d->def, "vda")->src->path, ==, vda);
    g_assert_cmpuint(bc_chain_len(bc), ==, 1);
    {
        g_autoptr(BpBlockGraph) graph = ct_graph(bc->d);

        g_assert_null(ct_bitmap(graph, "vda", 0, "blkpoint-activewrite"));
        g_assert_nonnull(ct_bitmap(graph, "vda", 0, "c2"));
    }
    bc_check_sizes(bc);
    bc_check_size(bc, "c3", 3);
    bc_write(bc, 10 * MiB, CL, 0x18);
    bc_check_sizes(bc);
    bc_check_size(bc, "c3", 3);
    g_assert_cmpuint(ct_jobs(bc->d), ==, 0);

    /* The catalogue's definition opens the short chain again, with the
     * bitmaps stored. */
    bc_stop(bc);
    bc_compare(bc);
    {
        g_autoptr(BpStoreDomain) row = bp_store_domain_get(bc->d->store, bc->d->id, &error);

        g_assert_no_error(error);
        g_assert_null(strstr(row->definition, "ov2.qcow2"));
        g_assert_null(strstr(row->definition, "ov1.qcow2"));
    }
    ct_domain_start(bc->d);
    bc_check_sizes(bc);
    bc_stop(bc);
    bc_free(bc);
    bp_test_rmdir(dir);
}


static void
bc_backup_done(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;

    bp_backup_ops_begin_finish(result, &error);
    *(gboolean *) data = TRUE;
}


/* Like bc_backup_done(), keeping the error. */
static void
bc_backup_refused(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GError **error = data;

    g_assert_cmpint(bp_backup_ops_begin_finish(result, error), <=, 0);
    g_assert_nonnull(*error);
}


static void
test_abort(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(GError) error = NULL;
    BcRun r;
    BpBlockJob *job;
    Bc *bc;

    qt_require_tools();
    bc = bc_new(dir, "bc2");
    bc_build(bc);

    /* Pivot before ready is refused; abort leaves the chain. */
    job = bc_commit(bc, &r, NULL, "vda[1]", BP_BLOCK_COMMIT_ACTIVE);
    g_assert_nonnull(job);
    g_assert_true(qt_wait(&r.ready, 30000));
    bc_write(bc, 9 * MiB, CL, 0x21);
    /* No backup while the commit runs: it would copy from nodes the
     * pivot removes. */
    {
        GError *berr = NULL;

        bp_backup_ops_begin_async(bc->d->store, bc->d->id, bc->d->access, NULL, NULL, 0,
                                  g_get_real_time() / G_USEC_PER_SEC, NULL,
                                  bc_backup_refused, &berr);
        for (guint i = 0; i < 5000 && !berr; i++)
            g_main_context_iteration(NULL, FALSE), g_usleep(1000);
        g_assert_error(berr, BP_ERROR, BP_ERROR_BUSY);
        g_assert_nonnull(strstr(berr->message, "block job"));
        g_clear_error(&berr);
        g_assert_false(bp_backup_ops_is_running(bc->d->id));
    }
    g_assert_true(bp_block_job_end(job, FALSE, &error));
    g_assert_no_error(error);
    g_assert_false(bp_block_job_end(job, TRUE, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID);
    g_clear_error(&error);
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_no_error(r.error);
    g_assert_false(r.pivoted);
    g_assert_null(r.new_def);
    g_assert_cmpuint(bc_chain_len(bc), ==, 3);
    {
        g_autoptr(BpBlockGraph) graph = ct_graph(bc->d);

        g_assert_null(ct_bitmap(graph, "vda", 2, "blkpoint-activewrite"));
        g_assert_null(ct_bitmap(graph, "vda", 1, "blkpoint-activewrite"));
    }
    bc_write(bc, 11 * MiB, CL, 0x22);
    bc_check_sizes(bc);
    g_assert_cmpuint(ct_jobs(bc->d), ==, 0);

    /* A non-active commit held back by its speed limit, cancelled: the
     * chain stays. */
    job = bc_commit_speed(bc, &r, "vda[1]", "vda[0]", 64 * 1024, 0);
    g_assert_nonnull(job);
    g_assert_true(qt_wait(&r.started, 10000));
    g_assert_true(bp_block_job_end(job, FALSE, &error));
    g_assert_no_error(error);
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_error(r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error(&r.error);
    g_assert_false(r.pivoted);
    g_assert_cmpuint(bc_chain_len(bc), ==, 3);
    g_assert_cmpuint(ct_jobs(bc->d), ==, 0);
    bc_check_sizes(bc);

    /* The domain shut down while an active commit is in sync: the
     * commit ends with it, the chain as it was. */
    job = bc_commit(bc, &r, NULL, NULL, BP_BLOCK_COMMIT_ACTIVE);
    g_assert_true(qt_wait(&r.ready, 30000));
    bc_stop(bc);
    g_assert_true(qt_wait(&r.done, 30000));
    g_clear_error(&r.error);
    g_assert_false(r.pivoted);
    g_assert_null(bp_blockjob_ops_lookup(bc->d->id, "vda"));
    g_assert_cmpuint(ct_jobs(bc->d), ==, 0);
    ct_domain_start(bc->d);
    g_assert_cmpuint(bc_chain_len(bc), ==, 3);
    bc_check_sizes(bc);

    /* Busy while a backup runs. */
    bp_backup_ops_set_test_speed(256 * 1024);
    {
        BcRun rb;
        gboolean bdone = FALSE;
        BpBackupOp *op;

        op = bp_backup_ops_begin_async(bc->d->store, bc->d->id, bc->d->access, NULL, NULL, 0,
                                       g_get_real_time() / G_USEC_PER_SEC, NULL,
                                       bc_backup_done, &bdone);
        g_assert_nonnull(op);
        for (guint i = 0; i < 1000 && !bp_backup_ops_is_running(bc->d->id) && !bdone; i++)
            g_main_context_iteration(NULL, FALSE), g_usleep(1000);
        g_assert_true(bp_backup_ops_is_running(bc->d->id));
        bc_commit(bc, &rb, "vda[1]", NULL, 0);
        g_assert_true(qt_wait(&rb.done, 10000));
        g_assert_error(rb.error, BP_ERROR, BP_ERROR_BUSY);
        g_clear_error(&rb.error);
        bp_backup_op_cancel(op);
        g_assert_true(qt_wait(&bdone, 30000));
    }
    bp_backup_ops_set_test_speed(0);

    bc_finish(bc, dir);
}


static void
test_offline(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *ov1 = NULL;
    g_autofree char *ov2 = NULL;
    BcRun r;
    Bc *bc;

    qt_require_tools();
    bc = bc_new(dir, "bc3");
    bc_build(bc);
    bc_stop(bc);
    ov1 = g_build_filename(dir, "ov1.qcow2", NULL);
    ov2 = g_build_filename(dir, "ov2.qcow2", NULL);

    /* Middle layer. */
    g_assert_null(bc_commit(bc, &r, ov1, bc->d->vda, 0));
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_no_error(r.error);
    bc_take_def(bc, &r);
    bc_set_def(bc, bp_domain_def_copy(bc->d->def));
    g_assert_true(g_file_test(ov1, G_FILE_TEST_EXISTS));
    bc_compare(bc);
    ct_domain_start(bc->d);
    g_assert_cmpuint(bc_chain_len(bc), ==, 2);
    bc_check_sizes(bc);
    bc_write(bc, 12 * MiB, CL, 0x31);
    bc_stop(bc);

    /* The active layer, its file deleted. */
    g_assert_null(bc_commit(bc, &r, NULL, NULL, BP_BLOCK_COMMIT_DELETE));
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_no_error(r.error);
    bc_take_def(bc, &r);
    bc_set_def(bc, bp_domain_def_copy(bc->d->def));
    g_assert_false(g_file_test(ov2, G_FILE_TEST_EXISTS));
    g_assert_cmpstr(bp_domain_def_find_disk(bc->d->def, "vda")->src->path, ==, bc->d->vda);
    bc_compare(bc);
    ct_domain_start(bc->d);
    g_assert_cmpuint(bc_chain_len(bc), ==, 1);
    bc_check_sizes(bc);
    bc_stop(bc);
    bc_free(bc);
    bp_test_rmdir(dir);
}


/* ---- leftovers of a previous daemon ------------------------------------------ */

/* The catalogue row a commit of vda from layer file @top to @base leaves
 * in @phase. */
static void
bc_leftover(Bc *bc, gboolean active, const char *top_node, const char *base_node,
            const char *top, const char *base, const char *phase)
{
    bc_add_leftover(bc, BP_BLOCKJOB_JOB_COMMIT, phase,
                    g_strdup_printf("{\"disk\":\"vda\",\"active\":%s,\"top-node\":\"%s\","
                                    "\"base-node\":\"%s\",\"top\":\"%s\",\"base\":\"%s\","
                                    "\"base-format\":\"qcow2\"}",
                                    active ? "true" : "false", top_node, base_node, top, base));
}


static void
test_reconcile(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *ov1 = NULL;
    g_autofree char *ov2 = NULL;
    g_autofree char *args = NULL;
    BpDomainDef *def = NULL;
    Bc *bc;

    qt_require_tools();
    bc = bc_new(dir, "bc4");
    bc_build(bc);
    ov1 = g_build_filename(dir, "ov1.qcow2", NULL);
    ov2 = g_build_filename(dir, "ov2.qcow2", NULL);

    /* An active commit left in the ready phase: cancelled, the chain
     * stays. */
    bc_qmp(bc, "block-commit",
           "{\"job-id\":\"commit-vda\",\"device\":\"bp-vda-2-fmt\","
           "\"base-node\":\"bp-vda-1-fmt\",\"auto-dismiss\":false}");
    bc_qemu_wait(bc, "commit-vda", "ready");
    bc_leftover(bc, TRUE, "bp-vda-2-fmt", "bp-vda-1-fmt", ov2, ov1, "ready");
    bc_reconcile_cancelled(bc, 3, 14 * MiB, 0x41);

    /* A non-active commit that QEMU finished before the daemon could
     * merge: the merge is done now, the definition follows. */
    args = g_strdup_printf("{\"job-id\":\"commit-vda\",\"device\":\"bp-vda-2-fmt\","
                           "\"top-node\":\"bp-vda-1-fmt\",\"base-node\":\"bp-vda-0-fmt\","
                           "\"backing-file\":\"%s\",\"auto-dismiss\":false}", bc->d->vda);
    bc_qmp(bc, "block-commit", args);
    bc_qemu_wait(bc, "commit-vda", "concluded");
    bc_leftover(bc, FALSE, "bp-vda-1-fmt", "bp-vda-0-fmt", ov1, bc->d->vda, "running");
    g_assert_cmpuint(bc_reconcile(bc, &def), >, 0);
    g_assert_nonnull(def);
    g_assert_cmpuint(bc_chain_len(bc), ==, 2);
    {
        g_autofree char *xml = bp_domain_def_format_string(def);

        g_assert_null(strstr(xml, "ov1.qcow2"));
    }
    bp_domain_def_free(bc->d->def);
    bc->d->def = g_steal_pointer(&def);
    {
        g_autoptr(BpBlockGraph) graph = ct_graph(bc->d);

        g_assert_nonnull(ct_bitmap(graph, "vda", 1, "c1"));
    }
    bc_check_sizes(bc);
    bc_write(bc, 15 * MiB, CL, 0x42);
    bc_check_sizes(bc);

    /* Shut off after the fold but before the merge: the definition
     * follows, the checkpoints of the disk are broken. */
    bc_stop(bc);
    g_free(qt_qemu_img("commit", "-q", "-b", bc->d->vda, ov2, NULL));
    bc_leftover(bc, TRUE, "bp-vda-2-fmt", "bp-vda-0-fmt", ov2, bc->d->vda, "concluded");
    bc_reconcile(bc, &def);
    g_assert_nonnull(def);
    g_assert_cmpstr(bp_domain_def_find_disk(def, "vda")->src->path, ==, bc->d->vda);
    bc_set_def(bc, def);
    {
        g_autoptr(BpStoreCheckpoint) row = ct_row(bc->d, "c2");

        g_assert_cmpint(row->state, ==, BP_STORE_CHECKPOINT_BROKEN);
        g_assert_nonnull(strstr(row->reason, "interrupted"));
    }
    bc_compare(bc);
    bc_free(bc);
    bp_test_rmdir(dir);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jobs/blockcommit/live", test_live);
    g_test_add_func("/jobs/blockcommit/abort", test_abort);
    g_test_add_func("/jobs/blockcommit/offline", test_offline);
    g_test_add_func("/jobs/blockcommit/reconcile", test_reconcile);
    return g_test_run();
}
