/*
 * test-jobs-backup-pull.c: the ends of pull backups that the D-Bus test
 * (tests/test-daemon-backup-pull.sh) cannot reach in time, on a real
 * qemu-storage-daemon with the real catalogue:
 *
 *   - Finish before the exports serve, and Finish of a push backup, are
 *     refused (BP_ERROR_OPERATION_INVALID);
 *   - cancelled at once, before the exports: the backup never reports
 *     "started", ends cancelled, and its new checkpoint (row and
 *     bitmaps), scratch files, nodes, exports and QEMU jobs are gone;
 *   - an export QEMU refuses (its name is taken by the storage runtime's
 *     own export of the disk) fails the backup after its point in time:
 *     the same nothing-left check, and the base checkpoint still works;
 *   - an existing scratch file is refused and left alone;
 *   - finished disk by disk: only the last Finish ends the backup, and
 *     the reported files are recorded per disk;
 *   - reuse-external: existing scratch images are used and kept.
 */
#include <config.h>

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>

#include "checkpointtest.h"
#include "jobs/bp-backup-ops.h"
#include "jobs/bp-domain-ops.h"
#include "qemu/bp-qemu-sync.h"
#include "qemu/bp-qmp-commands.h"
#include "qemutest.h"
#include "testutils.h"
#include "util/bp-error.h"

#define CL 65536

typedef struct {
    gboolean done;
    gboolean started;
    gint64 id;
    GError *error;
} PlResult;


static void
pl_done_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    PlResult *r = data;

    r->id = bp_backup_ops_begin_finish(result, &r->error);
    r->done = TRUE;
}


static void
pl_started(BpBackupOp *op G_GNUC_UNUSED, gpointer data)
{
    ((PlResult *) data)->started = TRUE;
}


static BpBackupOp *
pl_begin(CtDomain *d, const char *bxml, const char *cxml, PlResult *r)
{
    BpBackupOp *op = bp_backup_ops_begin_async(d->store, d->id, d->access, bxml, cxml, 0,
                                               g_get_real_time() / G_USEC_PER_SEC, NULL,
                                               pl_done_cb, r);

    if (op)
        bp_backup_op_set_started_func(op, pl_started, r);
    return op;
}


/* The exports of the domain's QEMU, sorted, space-separated. */
static char *
pl_exports(CtDomain *d)
{
    g_autofree char *sock = ct_domain_nbd_socket(d);
    g_autofree char *uri = g_strdup_printf("nbd+unix:///?socket=%s", sock);
    const char *argv[] = { "nbdinfo", "--list", uri, NULL };
    g_autofree char *out = NULL;
    g_autoptr(GString) names = g_string_new(NULL);
    g_auto(GStrv) lines = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, NULL,
                               &error));
    g_assert_no_error(error);
    lines = g_strsplit(out, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        const char *name = lines[i] + strlen("export=\"");

        if (g_str_has_prefix(lines[i], "export=\"") && strchr(name, '"'))
            g_string_append_printf(names, "%.*s ", (int) (strchr(name, '"') - name), name);
    }
    return g_string_free(g_steal_pointer(&names), FALSE);
}


/* Nothing of a pull backup is left: nodes, temporary bitmaps, jobs,
 * exports, scratch files @suffix. */
static void
pl_assert_nothing_left(CtDomain *d, const char *suffix)
{
    g_autoptr(BpBlockGraph) graph = ct_graph(d);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) jobs = NULL;
    g_autofree char *exports = pl_exports(d);
    g_autofree char *sa = g_strdup_printf("%s.%s", d->vda, suffix);
    g_autofree char *sb = g_strdup_printf("%s.%s", d->vdb, suffix);
    BpQmpMonitor *mon = bp_block_access_get_monitor(d->access);
    BpSyncCall call;

    g_assert_null(bp_block_graph_lookup(graph, "bp-backup-vda"));
    g_assert_null(bp_block_graph_lookup(graph, "bp-backup-vda-file"));
    g_assert_null(bp_block_graph_lookup(graph, "bp-backup-vdb"));
    bp_sync_call_begin(&call);
    bp_qmp_query_jobs_async(mon, NULL, bp_sync_call_ready, &call);
    jobs = bp_qmp_query_jobs_finish(mon, bp_sync_call_wait(&call), &error);
    bp_sync_call_end(&call);
    g_assert_no_error(error);
    g_assert_cmpuint(jobs->len, ==, 0);
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    g_assert_cmpstr(exports, ==, "vda vdb ");
    g_assert_false(g_file_test(sa, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(sb, G_FILE_TEST_EXISTS));
}


/* The catalogue state of checkpoint @name; -1 when it has no row. */
static int
pl_state(CtDomain *d, const char *name)
{
    g_autoptr(BpStoreCheckpoint) row = ct_row(d, name);

    return row ? (int) row->state : -1;
}


static void
test_pull_ends(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autoptr(GHashTable) outputs = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(BpStoreBackup) got = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *taken = NULL;
    PlResult r = { 0 };
    BpBackupOp *op;
    const char *only_vda[] = { "vda", NULL };
    const char *only_vdb[] = { "vdb", NULL };

    qt_require_tools();
    d = ct_domain_new(dir, "pl", 0);
    ct_domain_start(d);
    sock = ct_domain_nbd_socket(d);
    qt_nbd_write(sock, "vda", 0, 4 * CL, 0xa1);

    /* A base checkpoint from a pull backup finished at once. */
    op = pl_begin(d, "<domainbackup mode='pull'/>",
                  "<domaincheckpoint><name>c1</name></domaincheckpoint>", &r);
    g_assert_nonnull(op);
    g_assert_false(bp_backup_op_finish(op, NULL, NULL, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID);     /* not serving yet */
    g_clear_error(&error);
    while (!r.started && !r.done)
        g_main_context_iteration(NULL, TRUE);
    g_assert_true(r.started);
    g_assert_true(bp_backup_op_is_pull(op));
    g_assert_true(bp_backup_op_finish(op, NULL, NULL, &error));
    g_assert_no_error(error);
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_no_error(r.error);
    g_assert_cmpint(pl_state(d, "c1"), ==, BP_STORE_CHECKPOINT_READY);
    pl_assert_nothing_left(d, "c1");

    /* Cancelled before the exports serve. */
    memset(&r, 0, sizeof(r));
    op = pl_begin(d, "<domainbackup mode='pull'><incremental>c1</incremental></domainbackup>",
                  "<domaincheckpoint><name>c2</name></domaincheckpoint>", &r);
    g_assert_nonnull(op);
    bp_backup_op_cancel(op);
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_false(r.started);
    g_assert_error(r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error(&r.error);
    g_assert_cmpint(pl_state(d, "c2"), ==, -1);
    graph = ct_graph(d);
    g_assert_null(ct_bitmap(graph, "vda", 0, "c2"));
    g_assert_null(ct_bitmap(graph, "vdb", 0, "c2"));
    g_clear_pointer(&graph, bp_block_graph_free);
    pl_assert_nothing_left(d, "c2");

    /* An export name QEMU refuses: after the point in time. */
    memset(&r, 0, sizeof(r));
    op = pl_begin(d, "<domainbackup mode='pull'><incremental>c1</incremental><disks>"
                  "<disk name='vda' exportname='vda'/><disk name='vdb'/></disks></domainbackup>",
                  "<domaincheckpoint><name>c3</name></domaincheckpoint>", &r);
    g_assert_nonnull(op);
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_false(r.started);
    g_assert_nonnull(r.error);
    g_test_message("refused export: %s", r.error->message);
    g_clear_error(&r.error);
    g_assert_cmpint(pl_state(d, "c3"), ==, -1);
    graph = ct_graph(d);
    g_assert_null(ct_bitmap(graph, "vda", 0, "c3"));
    g_assert_nonnull(ct_bitmap(graph, "vda", 0, "c1"));
    g_clear_pointer(&graph, bp_block_graph_free);
    pl_assert_nothing_left(d, "c3");

    /* An existing scratch file. */
    taken = g_strdup_printf("%s.c4", d->vdb);
    g_assert_true(g_file_set_contents(taken, "mine", -1, NULL));
    memset(&r, 0, sizeof(r));
    op = pl_begin(d, "<domainbackup mode='pull'/>",
                  "<domaincheckpoint><name>c4</name></domaincheckpoint>", &r);
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_error(r.error, BP_ERROR, BP_ERROR_EXISTS);
    g_clear_error(&r.error);
    {
        g_autofree char *content = NULL;

        g_assert_true(g_file_get_contents(taken, &content, NULL, NULL));
        g_assert_cmpstr(content, ==, "mine");
    }
    g_assert_cmpint(g_unlink(taken), ==, 0);
    g_assert_cmpint(pl_state(d, "c4"), ==, -1);

    /* Disk by disk; a push backup cannot be finished. */
    memset(&r, 0, sizeof(r));
    op = pl_begin(d, "<domainbackup mode='pull'><incremental>c1</incremental></domainbackup>",
                  "<domaincheckpoint><name>c5</name></domaincheckpoint>", &r);
    g_assert_nonnull(op);
    while (!r.started && !r.done)
        g_main_context_iteration(NULL, TRUE);
    g_assert_true(r.started);
    g_hash_table_insert(outputs, (gpointer) "vda", (gpointer) "/backups/vda.inc");
    g_assert_false(bp_backup_op_finish(op, outputs, only_vdb, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);    /* vda is not finished */
    g_clear_error(&error);
    g_assert_true(bp_backup_op_finish(op, outputs, only_vda, &error));
    g_assert_no_error(error);
    g_assert_false(qt_wait(&r.done, 300));
    g_assert_cmpint(pl_state(d, "c5"), ==, BP_STORE_CHECKPOINT_PENDING);
    g_assert_true(bp_backup_op_finish(op, NULL, only_vdb, &error));
    g_assert_no_error(error);
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_no_error(r.error);
    g_assert_cmpint(pl_state(d, "c5"), ==, BP_STORE_CHECKPOINT_READY);
    got = bp_store_backup_get(d->store, r.id, &error);
    g_assert_no_error(error);
    g_assert_cmpint(got->mode, ==, BP_STORE_BACKUP_PULL);
    g_assert_cmpint(got->status, ==, BP_STORE_BACKUP_COMPLETED);
    g_assert_cmpstr(((BpStoreBackupDisk *) got->disks->pdata[0])->path, ==, "/backups/vda.inc");
    g_assert_null(((BpStoreBackupDisk *) got->disks->pdata[1])->path);
    g_assert_nonnull(((BpStoreBackupDisk *) got->disks->pdata[1])->scratch);
    pl_assert_nothing_left(d, "c5");

    /* reuse-external: the scratch images exist, are used and stay. */
    {
        g_autofree char *ra = g_build_filename(dir, "scratch-a.qcow2", NULL);
        g_autofree char *rb = g_build_filename(dir, "scratch-b.qcow2", NULL);
        g_autofree char *rxml = g_strdup_printf(
            "<domainbackup mode='pull'><disks>"
            "<disk name='vda' type='file'><scratch file='%s'/></disk>"
            "<disk name='vdb' type='file'><scratch file='%s'/></disk>"
            "</disks></domainbackup>", ra, rb);
        g_autofree char *o = qt_qemu_img("create", "-q", "-f", "qcow2", ra, "16M", NULL);

        g_free(o);
        o = qt_qemu_img("create", "-q", "-f", "qcow2", rb, "16M", NULL);
        memset(&r, 0, sizeof(r));
        op = bp_backup_ops_begin_async(d->store, d->id, d->access, rxml, NULL,
                                       BP_BACKUP_BEGIN_REUSE_EXTERNAL,
                                       g_get_real_time() / G_USEC_PER_SEC, NULL, pl_done_cb, &r);
        g_assert_nonnull(op);
        bp_backup_op_set_started_func(op, pl_started, &r);
        while (!r.started && !r.done)
            g_main_context_iteration(NULL, TRUE);
        g_assert_true(r.started);
        g_assert_true(bp_backup_op_finish(op, NULL, NULL, &error));
        g_assert_no_error(error);
        g_assert_true(qt_wait(&r.done, 30000));
        g_assert_no_error(r.error);
        g_assert_true(g_file_test(ra, G_FILE_TEST_IS_REGULAR));
        g_assert_true(g_file_test(rb, G_FILE_TEST_IS_REGULAR));
    }

    memset(&r, 0, sizeof(r));
    op = pl_begin(d, NULL, NULL, &r);
    g_assert_nonnull(op);
    g_assert_false(bp_backup_op_is_pull(op));
    g_assert_false(bp_backup_op_finish(op, NULL, NULL, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID);
    g_clear_error(&error);
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_no_error(r.error);

    /* QEMU dies while the exports serve: the backup failed, nobody
     * cancelled it (the monitor closing on the exit once made its QMP
     * calls, and so the backup, end as cancelled). */
    {
        BpDomainRun *run;
        GLogLevelFlags fatal;

        memset(&r, 0, sizeof(r));
        op = pl_begin(d, "<domainbackup mode='pull'/>",
                      "<domaincheckpoint><name>c7</name></domaincheckpoint>", &r);
        g_assert_nonnull(op);
        while (!r.started && !r.done)
            g_main_context_iteration(NULL, TRUE);
        g_assert_true(r.started);
        run = g_object_ref(d->run);
        /* QEMU's exit and the clean-up (each command it cannot send)
         * warn, in an order that depends on which is seen first. */
        fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
        kill(bp_domain_run_get_pid(run), SIGKILL);
        g_assert_true(qt_wait(&r.done, 30000));
        while (bp_domain_run_is_running(run))
            g_main_context_iteration(NULL, TRUE);
        g_log_set_always_fatal(fatal);
        g_assert_nonnull(r.error);
        g_assert_false(g_error_matches(r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
        g_clear_error(&r.error);
        g_assert_true(bp_domain_ops_record_stopped(d->store, d->id, FALSE,
                                                   bp_domain_run_get_exit_message(run),
                                                   bp_domain_run_get_def(run), &error));
        g_assert_no_error(error);
        g_object_unref(run);
        ct_domain_offline(d);
    }

    bp_test_rmdir(dir);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jobs/backup-pull/ends", test_pull_ends);
    return g_test_run();
}
