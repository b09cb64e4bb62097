/*
 * test-jobs-backup.c: push backups of a running two-disk domain on a
 * real qemu-storage-daemon, with the real catalogue:
 *
 *   - full backup creating checkpoint c1; data written after the point
 *     in time (while the copy runs) is not in it; the target equals a
 *     copy of the disk taken at the point in time (qemu-img compare);
 *   - incremental from c1 creating c2: the target's backing file is the
 *     full backup's target, the chain equals the disk at its point in
 *     time, and only the dirty clusters were copied;
 *   - differential from c1 again (no new checkpoint);
 *   - a second backup while one runs is refused at once (BP_ERROR_BUSY);
 *   - an existing target file is refused and left alone;
 *   - cancelled before the copy: the new checkpoint is gone with its
 *     bitmaps, the target file is removed, the backup row says cancelled;
 *   - a broken bitmap chain: a named error (checkpoint, disk, why);
 *   - cancelled during the copy (throttled with the test speed): the new
 *     checkpoint and its bitmaps, the targets, the nodes and the QEMU
 *     jobs are gone, the row says cancelled; a target that cannot be
 *     created leaves nothing either; the base still gives exact
 *     incrementals afterwards.
 */
#include <config.h>

#include <string.h>
#include <glib/gstdio.h>

#include "checkpointtest.h"
#include "jobs/bp-backup-ops.h"
#include "qemu/bp-qemu-sync.h"
#include "qemu/bp-qmp-commands.h"
#include "qemutest.h"
#include "testutils.h"
#include "util/bp-error.h"

#define CL 65536


/* Copies the disk @target as it is now (nothing writes) to a raw file. */
static char *
snap_copy(CtDomain *d, const char *target, const char *tag)
{
    g_autofree char *sock = ct_domain_nbd_socket(d);
    g_autofree char *uri = g_strdup_printf("nbd+unix:///%s?socket=%s", target, sock);
    char *out = g_strdup_printf("%s/%s-%s.raw", d->dir, target, tag);
    g_autofree char *o = qt_qemu_img("convert", "-f", "raw", "-O", "raw", uri, out, NULL);

    return out;
}


static void
assert_same(const char *raw, const char *backup)
{
    g_autofree char *o = qt_qemu_img("compare", "-f", "raw", "-F", "qcow2", raw, backup, NULL);
}


/* Runs a backup to the end; with @write_during, writes @write_during's
 * byte to both disks once the point in time has passed. */
static gint64
run_backup(CtDomain *d, const char *bxml, const char *cxml, guint8 write_during,
           GError **error)
{
    CtBackupResult r = { 0 };
    CtBackupResult r2 = { 0 };
    BpBackupOp *op;

    op = ct_backup_begin(d, bxml, cxml, 0, &r);
    if (op) {
        /* A second one is refused at once. */
        g_assert_null(ct_backup_begin(d, NULL, NULL, 0, &r2));
        g_assert_true(qt_wait(&r2.done, 1000));
        g_assert_error(r2.error, BP_ERROR, BP_ERROR_BUSY);
        g_clear_error(&r2.error);
        if (write_during) {
            g_autofree char *sock = ct_domain_nbd_socket(d);

            ct_backup_wait_copying(op, &r);
            qt_nbd_write(sock, "vda", 0, CL, write_during);
            qt_nbd_write(sock, "vdb", 8 * CL, CL, write_during);
        }
    }
    return ct_backup_end(&r, 30000, error);
}


static void
test_push(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *a1 = NULL, *b1 = NULL, *a2 = NULL, *b2 = NULL, *a3 = NULL, *b3 = NULL;
    g_autofree char *fa1 = NULL, *fb1 = NULL, *fa2 = NULL, *fb2 = NULL;
    g_autofree char *info = NULL;
    g_autofree char *dxml = NULL;
    g_autoptr(BpStoreBackup) full = NULL;
    g_autoptr(BpStoreBackup) inc = NULL;
    g_autoptr(BpStoreBackup) diff = NULL;
    g_autoptr(BpStoreCheckpoint) row = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    gint64 id;

    qt_require_tools();
    d = ct_domain_new(dir, "bk1", 0);
    ct_domain_start(d);
    sock = ct_domain_nbd_socket(d);

    /* Full, creating c1. */
    qt_nbd_write(sock, "vda", 0, 4 * CL, 0xa1);
    qt_nbd_write(sock, "vdb", 16 * CL, 3 * CL, 0xb1);
    a1 = snap_copy(d, "vda", "t1");
    b1 = snap_copy(d, "vdb", "t1");
    id = run_backup(d, NULL, "<domaincheckpoint><name>c1</name></domaincheckpoint>",
                    0xa2, &error);
    g_assert_no_error(error);
    fa1 = g_strdup_printf("%s.c1", d->vda);
    fb1 = g_strdup_printf("%s.c1", d->vdb);
    assert_same(a1, fa1);
    assert_same(b1, fb1);
    full = bp_store_backup_get(d->store, id, &error);
    g_assert_no_error(error);
    g_assert_cmpint(full->status, ==, BP_STORE_BACKUP_COMPLETED);
    g_assert_cmpint(full->kind, ==, BP_STORE_BACKUP_FULL);
    g_assert_cmpstr(full->checkpoint, ==, "c1");
    g_assert_cmpuint(full->disks->len, ==, 2);
    g_assert_cmpuint(full->bytes, >, 0);
    row = ct_row(d, "c1");
    g_assert_cmpint(row->state, ==, BP_STORE_CHECKPOINT_READY);
    g_assert_true(row->current);
    g_clear_pointer(&row, bp_store_checkpoint_free);
    g_assert_cmpuint(ct_jobs(d), ==, 0);

    /* Incremental from c1, creating c2; 0xa2 was written during the full. */
    qt_nbd_write(sock, "vdb", 20 * CL, CL, 0xb3);
    a2 = snap_copy(d, "vda", "t2");
    b2 = snap_copy(d, "vdb", "t2");
    id = run_backup(d, "<domainbackup><incremental>c1</incremental></domainbackup>",
                    "<domaincheckpoint><name>c2</name></domaincheckpoint>", 0xa4, &error);
    g_assert_no_error(error);
    fa2 = g_strdup_printf("%s.c2", d->vda);
    fb2 = g_strdup_printf("%s.c2", d->vdb);
    assert_same(a2, fa2);
    assert_same(b2, fb2);
    info = qt_qemu_img("info", "--output=json", fa2, NULL);
    g_assert_nonnull(strstr(info, fa1));   /* backing = the full's target */
    inc = bp_store_backup_get(d->store, id, &error);
    g_assert_no_error(error);
    g_assert_cmpint(inc->kind, ==, BP_STORE_BACKUP_INCREMENTAL);
    g_assert_cmpstr(inc->from_checkpoint, ==, "c1");
    g_assert_cmpint(inc->previous_id, ==, full->id);
    /* Dirty since c1: vda one cluster, vdb two clusters; nothing more. */
    for (guint i = 0; i < inc->disks->len; i++) {
        BpStoreBackupDisk *bd = inc->disks->pdata[i];

        g_assert_cmpuint(bd->bytes, ==, g_str_equal(bd->target, "vda") ? CL : 2 * CL);
    }

    /* Differential from c1 again, no new checkpoint. */
    a3 = snap_copy(d, "vda", "t3");
    b3 = snap_copy(d, "vdb", "t3");
    id = run_backup(d, "<domainbackup><incremental>c1</incremental><disks>"
                    "<disk name='vda' type='file'><target file='DIR/da'/></disk>"
                    "<disk name='vdb' type='file'><target file='DIR/db'/></disk>"
                    "</disks></domainbackup>", NULL, 0, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_XML_INVALID);   /* relative path */
    g_clear_error(&error);
    dxml = g_strdup_printf("<domainbackup><incremental>c1</incremental><disks>"
                           "<disk name='vda' type='file'><target file='%s/da'/></disk>"
                           "<disk name='vdb' type='file'><target file='%s/db'/></disk>"
                           "</disks></domainbackup>", dir, dir);
    id = run_backup(d, dxml, NULL, 0, &error);
    g_assert_no_error(error);
    {
        g_autofree char *da = g_build_filename(dir, "da", NULL);
        g_autofree char *db = g_build_filename(dir, "db", NULL);

        assert_same(a3, da);
        assert_same(b3, db);
        diff = bp_store_backup_get(d->store, id, &error);
        g_assert_no_error(error);
        g_assert_null(diff->checkpoint);
        g_assert_cmpint(diff->previous_id, ==, full->id);
        /* Since c1: vda 2 clusters (0xa2, 0xa4 on the same one: 1), vdb 3. */
        for (guint i = 0; i < diff->disks->len; i++) {
            BpStoreBackupDisk *bd = diff->disks->pdata[i];

            g_assert_cmpuint(bd->bytes, ==, g_str_equal(bd->target, "vda") ? CL : 2 * CL);
        }

        /* The same targets again: refused, files untouched. */
        id = run_backup(d, dxml, NULL, 0, &error);
        g_assert_error(error, BP_ERROR, BP_ERROR_EXISTS);
        g_clear_error(&error);
        assert_same(a3, da);
    }

    /* Cancelled before the copy: c3 and its bitmaps gone, target removed. */
    {
        CtBackupResult r = { 0 };
        BpBackupOp *op;
        g_autofree char *fa3 = g_strdup_printf("%s.c3", d->vda);
        g_autoptr(GPtrArray) list = NULL;
        BpStoreBackup *last;

        op = ct_backup_begin(d, "<domainbackup><incremental>c2</incremental></domainbackup>",
                             "<domaincheckpoint><name>c3</name></domaincheckpoint>", 0,
                             &r);
        g_assert_nonnull(op);
        bp_backup_op_cancel(op);
        g_assert_true(qt_wait(&r.done, 30000));
        g_assert_error(r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
        g_clear_error(&r.error);
        g_assert_null(ct_row(d, "c3"));
        g_assert_false(g_file_test(fa3, G_FILE_TEST_EXISTS));
        graph = ct_graph(d);
        g_assert_null(ct_bitmap(graph, "vda", 0, "c3"));
        g_assert_null(ct_bitmap(graph, "vda", 0, "backup-vda"));
        g_assert_nonnull(ct_bitmap(graph, "vda", 0, "c2"));
        g_assert_cmpuint(ct_jobs(d), ==, 0);
        list = bp_store_backup_list(d->store, d->id, &error);
        g_assert_no_error(error);
        last = list->pdata[list->len - 1];
        g_assert_cmpint(last->status, ==, BP_STORE_BACKUP_CANCELLED);
        row = ct_row(d, "c2");
        g_assert_true(row->current);
        g_clear_pointer(&row, bp_store_checkpoint_free);
    }

    /* A broken chain: c1's bitmap removed from vdb behind our back. */
    {
        g_autoptr(GError) qerr = NULL;
        BpBlockDisk *disk = bp_block_graph_get_disk(graph, "vdb");
        g_autofree char *args = g_strdup_printf("{\"node\": \"%s\", \"name\": \"c1\"}",
                                                ((BpBlockNode *) disk->chain->pdata[0])->node_name);

        g_assert_true(qt_qmp(bp_block_access_get_monitor(d->access),
                             "block-dirty-bitmap-remove", args, &qerr));
        id = run_backup(d, "<domainbackup><incremental>c1</incremental></domainbackup>",
                        NULL, 0, &error);
        g_assert_error(error, BP_ERROR, BP_ERROR_CHECKPOINT_INCONSISTENT);
        g_assert_nonnull(strstr(error->message, "'c1'"));
        g_assert_nonnull(strstr(error->message, "'vdb'"));
        g_test_message("%s", error->message);
    }
    ct_domain_stop(d);
    bp_test_rmdir(dir);
}


/* The graph has no node and QEMU no job left from a backup. */
static void
assert_no_leftovers(CtDomain *d)
{
    g_autoptr(BpBlockGraph) graph = ct_graph(d);
    g_autoptr(GError) error = NULL;
    BpSyncCall call;
    g_autoptr(GPtrArray) jobs = NULL;
    BpQmpMonitor *mon = bp_block_access_get_monitor(d->access);

    g_assert_null(bp_block_graph_lookup(graph, "bp-backup-vda"));
    g_assert_null(bp_block_graph_lookup(graph, "bp-backup-vda-file"));
    g_assert_null(bp_block_graph_lookup(graph, "bp-backup-vdb"));
    g_assert_null(ct_bitmap(graph, "vda", 0, "backup-vda"));
    bp_sync_call_begin(&call);
    bp_qmp_query_jobs_async(mon, NULL, bp_sync_call_ready, &call);
    jobs = bp_qmp_query_jobs_finish(mon, bp_sync_call_wait(&call), &error);
    bp_sync_call_end(&call);
    g_assert_no_error(error);
    g_assert_cmpuint(jobs->len, ==, 0);
    g_assert_cmpuint(ct_jobs(d), ==, 0);
}


/* Cancelled while copying (throttled so that it is still running), and
 * a target that cannot be created. */
static void
test_abort(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *a1 = NULL, *b1 = NULL;
    g_autofree char *fa1 = NULL, *fb1 = NULL, *fa2 = NULL, *fb2 = NULL;
    g_autofree char *bad = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    CtBackupResult r = { 0 };
    BpBackupOp *op;
    gint64 id;

    qt_require_tools();
    d = ct_domain_new(dir, "bk2", 0);
    ct_domain_start(d);
    sock = ct_domain_nbd_socket(d);
    qt_nbd_write(sock, "vda", 0, 8 << 20, 0xa1);
    qt_nbd_write(sock, "vdb", 0, 8 << 20, 0xb1);

    id = run_backup(d, NULL, "<domaincheckpoint><name>c1</name></domaincheckpoint>", 0, &error);
    g_assert_no_error(error);
    qt_nbd_write(sock, "vda", 0, 8 << 20, 0xa2);    /* 8 s at the test speed */

    /* Cancel during the copy. */
    bp_backup_ops_set_test_speed(1 << 20);
    op = ct_backup_begin(d, "<domainbackup><incremental>c1</incremental></domainbackup>",
                         "<domaincheckpoint><name>c2</name></domaincheckpoint>", 0, &r);
    g_assert_nonnull(op);
    g_assert_true(ct_backup_wait_copying(op, &r));
    qt_nbd_write(sock, "vda", 0, 8 << 20, 0xa3);   /* keeps the copy busy */
    bp_backup_op_cancel(op);
    g_assert_true(qt_wait(&r.done, 30000));
    bp_backup_ops_set_test_speed(0);
    g_assert_error(r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error(&r.error);
    fa2 = g_strdup_printf("%s.c2", d->vda);
    fb2 = g_strdup_printf("%s.c2", d->vdb);
    g_assert_false(g_file_test(fa2, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(fb2, G_FILE_TEST_EXISTS));
    g_assert_null(ct_row(d, "c2"));
    graph = ct_graph(d);
    g_assert_null(ct_bitmap(graph, "vda", 0, "c2"));
    g_assert_null(ct_bitmap(graph, "vdb", 0, "c2"));
    assert_no_leftovers(d);
    list = bp_store_backup_list(d->store, d->id, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, 2);
    g_assert_cmpint(((BpStoreBackup *) list->pdata[1])->status, ==, BP_STORE_BACKUP_CANCELLED);
    g_clear_pointer(&list, g_ptr_array_unref);

    /* vdb's target directory does not exist: nothing is left behind,
     * not even vda's target. */
    bad = g_strdup_printf("<domainbackup><disks>"
                          "<disk name='vda' type='file'><target file='%s/va'/></disk>"
                          "<disk name='vdb' type='file'><target file='%s/gone/vb'/></disk>"
                          "</disks></domainbackup>", dir, dir);
    run_backup(d, bad, "<domaincheckpoint><name>c3</name></domaincheckpoint>", 0, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_FAILED);
    g_assert_nonnull(strstr(error->message, "/gone/vb"));
    g_clear_error(&error);
    {
        g_autofree char *va = g_build_filename(dir, "va", NULL);

        g_assert_false(g_file_test(va, G_FILE_TEST_EXISTS));
    }
    g_assert_null(ct_row(d, "c3"));
    assert_no_leftovers(d);

    /* reuse-external: the files exist and are formatted; they are
     * used as they are, and a missing one is refused. */
    {
        g_autofree char *ra = g_build_filename(dir, "ra.qcow2", NULL);
        g_autofree char *rb = g_build_filename(dir, "rb.qcow2", NULL);
        g_autofree char *rxml = g_strdup_printf("<domainbackup><disks>"
                                                "<disk name='vda' type='file'><target file='%s'/></disk>"
                                                "<disk name='vdb' type='file'><target file='%s'/></disk>"
                                                "</disks></domainbackup>", ra, rb);
        g_autofree char *o = NULL;
        g_autofree char *ca = NULL, *cb = NULL;
        CtBackupResult rr = { 0 };

        op = ct_backup_begin(d, rxml, NULL, BP_BACKUP_BEGIN_REUSE_EXTERNAL, &rr);
        g_assert_true(qt_wait(&rr.done, 30000));
        g_assert_error(rr.error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
        g_clear_error(&rr.error);
        o = qt_qemu_img("create", "-q", "-f", "qcow2", ra, "16M", NULL);
        g_free(o);
        o = qt_qemu_img("create", "-q", "-f", "qcow2", rb, "16M", NULL);
        ca = snap_copy(d, "vda", "r");
        cb = snap_copy(d, "vdb", "r");
        rr.done = FALSE;
        op = ct_backup_begin(d, rxml, NULL, BP_BACKUP_BEGIN_REUSE_EXTERNAL, &rr);
        g_assert_nonnull(op);
        g_assert_true(qt_wait(&rr.done, 30000));
        g_assert_no_error(rr.error);
        assert_same(ca, ra);
        assert_same(cb, rb);
        assert_no_leftovers(d);
    }

    /* c1 is still a good base: the incremental after all this equals
     * the disks, and c1 is still current. */
    a1 = snap_copy(d, "vda", "t9");
    b1 = snap_copy(d, "vdb", "t9");
    id = run_backup(d, "<domainbackup><incremental>c1</incremental></domainbackup>",
                    "<domaincheckpoint><name>c4</name></domaincheckpoint>", 0, &error);
    g_assert_no_error(error);
    g_assert_cmpint(id, >, 0);
    fa1 = g_strdup_printf("%s.c4", d->vda);
    fb1 = g_strdup_printf("%s.c4", d->vdb);
    assert_same(a1, fa1);
    assert_same(b1, fb1);
    assert_no_leftovers(d);
    ct_domain_stop(d);
    bp_test_rmdir(dir);
}


/* A backup interrupted by the end of its process (its catalogue rows
 * as bp_backup_record() left them, the bitmaps of its new checkpoint
 * in place): reconciliation drops the checkpoint with its bitmaps and
 * records the backup failed. */
static void
test_interrupted(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreBackup) backup = NULL;
    g_autoptr(BpStoreJob) job = NULL;
    g_autoptr(BpStoreBackup) got = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autoptr(BpStoreCheckpoint) row = NULL;
    g_autofree char *c1 = NULL;
    g_autofree char *c2 = NULL;
    guint changed = 0;

    qt_require_tools();
    d = ct_domain_new(dir, "bk3", 0);
    ct_domain_start(d);
    c1 = ct_create(d, "<domaincheckpoint><name>c1</name></domaincheckpoint>", 0, &error);
    g_assert_no_error(error);
    c2 = ct_create(d, "<domaincheckpoint><name>c2</name></domaincheckpoint>", 0, &error);
    g_assert_no_error(error);
    g_assert_true(bp_store_checkpoint_set_state(d->store, d->id, "c2",
                                                BP_STORE_CHECKPOINT_PENDING, NULL, &error));
    backup = bp_store_backup_new(d->id, BP_STORE_BACKUP_PUSH, BP_STORE_BACKUP_FULL);
    backup->checkpoint = g_strdup("c2");
    backup->start_time = 1;
    g_ptr_array_add(backup->disks, bp_store_backup_disk_new("vda", "/nonexistent/t", "qcow2"));
    g_assert_true(bp_store_backup_add(d->store, backup, &error));
    job = bp_store_job_new(d->id, BP_BACKUP_JOB_KIND);
    job->backup_id = backup->id;
    job->checkpoint = g_strdup("c2");
    g_assert_true(bp_store_job_add(d->store, job, &error));

    g_assert_true(ct_reconcile(d, &changed, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(changed, >=, 2);
    g_assert_null(ct_row(d, "c2"));
    row = ct_row(d, "c1");
    g_assert_cmpint(row->state, ==, BP_STORE_CHECKPOINT_READY);
    graph = ct_graph(d);
    g_assert_null(ct_bitmap(graph, "vda", 0, "c2"));
    g_assert_null(ct_bitmap(graph, "vdb", 0, "c2"));
    g_assert_nonnull(ct_bitmap(graph, "vda", 0, "c1"));
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    got = bp_store_backup_get(d->store, backup->id, &error);
    g_assert_no_error(error);
    g_assert_cmpint(got->status, ==, BP_STORE_BACKUP_FAILED);
    g_assert_nonnull(got->error);
    ct_domain_stop(d);
    bp_test_rmdir(dir);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jobs/backup/push", test_push);
    g_test_add_func("/jobs/backup/abort", test_abort);
    g_test_add_func("/jobs/backup/interrupted", test_interrupted);
    return g_test_run();
}
