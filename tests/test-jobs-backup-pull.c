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
 *   - reuse-external: existing scratch images are used and kept;
 *   - a shut-off two-disk domain (temporary read-only qemu-storage-daemon,
 *     with an NBD server the backup starts in the domain's runtime
 *     directory): full pull creating c1, pulled with the libnbd consumer
 *     (src/nbd), restores equal to the images; an aborted incremental
 *     leaves nothing and c2 never appears; the incremental from c1 pulls
 *     exactly the written clusters and its chain restores equal; the
 *     domain counts as busy (no Start) while the backup serves; the
 *     checkpoint bitmaps are in the images afterwards;
 *   - the process serving a pull backup is SIGKILLed (backup-crash-helper;
 *     running and shut-off domain): reconciliation removes the exports,
 *     scratch nodes, fleecing jobs and bitmaps from the QEMU that still
 *     runs (or stops the temporary daemon and removes its NBD socket),
 *     deletes the scratch files, records the backup failed and drops
 *     its new checkpoint; the next incremental pull from the old base
 *     restores equal;
 *   - the clean-up record's NBD server and QOM object are stopped and
 *     deleted in a running QEMU, the server's socket file removed.
 */
#include <config.h>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include "checkpointtest.h"
#include "jobs/bp-backup-leftovers.h"
#include "jobs/bp-backup-ops.h"
#include "nbd/bp-nbd-copy.h"
#include "qemu/bp-qsd-cmdline.h"
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


/* The exports of the domain's QEMU in nbdinfo's order, space-separated. */
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


/* Counts (in the guint @data) and prints a warning. */
static void
pl_count_warning(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
    (*(guint *) data)++;
    g_log_default_handler(domain, level, message, NULL);
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
        guint warnings = 0;
        guint handler;

        memset(&r, 0, sizeof(r));
        op = pl_begin(d, "<domainbackup mode='pull'/>",
                      "<domaincheckpoint><name>c7</name></domaincheckpoint>", &r);
        g_assert_nonnull(op);
        while (!r.started && !r.done)
            g_main_context_iteration(NULL, TRUE);
        g_assert_true(r.started);
        run = g_object_ref(d->run);
        /* QEMU's exit warns (blkpoint-qemu, in an order that depends on
         * which is seen first); the clean-up skips what it can no longer
         * send to QEMU without a warning per command: none from the
         * jobs (domain "blkpoint"). */
        fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
        handler = g_log_set_handler("blkpoint", G_LOG_LEVEL_WARNING, pl_count_warning,
                                    &warnings);
        kill(bp_domain_run_get_pid(run), SIGKILL);
        g_assert_true(qt_wait(&r.done, 30000));
        while (bp_domain_run_is_running(run))
            g_main_context_iteration(NULL, TRUE);
        g_log_remove_handler("blkpoint", handler);
        g_log_set_always_fatal(fatal);
        g_assert_cmpuint(warnings, ==, 0);
        {
            /* The files still go. */
            g_autofree char *sa = g_strdup_printf("%s.c7", d->vda);
            g_autofree char *sb = g_strdup_printf("%s.c7", d->vdb);

            g_assert_false(g_file_test(sa, G_FILE_TEST_EXISTS));
            g_assert_false(g_file_test(sb, G_FILE_TEST_EXISTS));
        }
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


/* ---- shut-off domains, crashes ---------------------------------------------- */

/* Writes @len bytes of @a at @off_a to vda and of @b at @off_b to vdb:
 * through the running domain's exports, or starting and stopping it. */
static void
pl_write(CtDomain *d, guint64 off_a, guint8 a, guint64 off_b, guint8 b, size_t len)
{
    gboolean running = d->run != NULL;
    g_autofree char *sock = NULL;

    if (!running)
        ct_domain_start(d);
    sock = ct_domain_nbd_socket(d);
    qt_nbd_write(sock, "vda", off_a, len, a);
    qt_nbd_write(sock, "vdb", off_b, len, b);
    if (!running)
        ct_domain_stop(d);
}


/* The socket the pull backup of @d is served on: the storage runtime's,
 * or (shut off) the server the backup starts in the runtime directory. */
static char *
pl_socket(CtDomain *d)
{
    if (d->run)
        return ct_domain_nbd_socket(d);
    return g_build_filename(d->dir, "run", d->name, "backup-nbd.sock", NULL);
}


/* Starts a pull backup and iterates until its exports serve. */
static BpBackupOp *
pl_serve(CtDomain *d, const char *bxml, const char *cxml, PlResult *r)
{
    BpBackupOp *op;

    memset(r, 0, sizeof(*r));
    op = pl_begin(d, bxml, cxml, r);
    g_assert_nonnull(op);
    while (!r->started && !r->done)
        g_main_context_iteration(NULL, TRUE);
    g_assert_no_error(r->error);
    g_assert_true(r->started);
    return op;
}


/* Finish of every disk; waits for the end. */
static void
pl_finish(BpBackupOp *op, PlResult *r)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(bp_backup_op_finish(op, NULL, NULL, &error));
    g_assert_no_error(error);
    g_assert_true(qt_wait(&r->done, 30000));
    g_assert_no_error(r->error);
}


static char *
pl_output(const char *image, const char *tag)
{
    return g_strdup_printf("%s.pulled-%s", image, tag);
}


/* Pulls both disks of the serving backup into "<image>.pulled-@tag"
 * (on top of "<image>.pulled-@base", reading the dirty bitmap, when
 * @base is not NULL) with the libnbd consumer; returns the data bytes
 * copied. */
static guint64
pl_pull(CtDomain *d, const char *tag, const char *base)
{
    g_autofree char *sock = pl_socket(d);
    const char *disks[] = { "vda", "vdb" };
    const char *images[] = { d->vda, d->vdb };
    guint64 bytes = 0;

    for (guint i = 0; i < G_N_ELEMENTS(disks); i++) {
        g_autofree char *uri = g_strdup_printf("nbd+unix:///backup-%s?socket=%s",
                                               disks[i], sock);
        g_autofree char *bitmap = base ? g_strdup_printf("backup-%s", disks[i]) : NULL;
        g_autofree char *out = pl_output(images[i], tag);
        g_autofree char *backing = base ? pl_output(images[i], base) : NULL;
        BpNbdCopyOptions o = {
            .uri = uri, .bitmap = bitmap, .output = out, .backing = backing,
            .qemu_img = g_getenv("QEMU_IMG"),
        };
        BpNbdCopyResult res = { 0 };
        g_autoptr(GError) error = NULL;

        g_assert_true(bp_nbd_copy(&o, &res, &error));
        g_assert_no_error(error);
        bytes += res.data_bytes;
    }
    return bytes;
}


/* Both pulled chains "@tag" equal the disks now. */
static void
pl_assert_restores(CtDomain *d, const char *tag)
{
    const char *images[] = { d->vda, d->vdb };

    for (guint i = 0; i < G_N_ELEMENTS(images); i++) {
        g_autofree char *out = pl_output(images[i], tag);
        g_autofree char *o = qt_qemu_img("compare", "-q", "-U", "-f", "qcow2", "-F", "qcow2",
                                         images[i], out, NULL);
    }
}


/* A shut-off domain's pull backup left nothing: no temporary daemon, no
 * NBD socket, no scratch files @suffix, no job row, not busy. */
static void
pl_assert_offline_clean(CtDomain *d, const char *suffix)
{
    g_autofree char *rt = g_build_filename(d->dir, "run", d->name, BP_BACKUP_TEMP_SUBDIR,
                                           NULL);
    g_autoptr(BpQsdLayout) layout = bp_qsd_layout_new(rt, TRUE);
    g_autofree char *sock = pl_socket(d);
    g_autofree char *sa = g_strdup_printf("%s.%s", d->vda, suffix);
    g_autofree char *sb = g_strdup_printf("%s.%s", d->vdb, suffix);
    g_autofree char *text = NULL;

    if (g_file_get_contents(layout->pid_path, &text, NULL, NULL)) {
        GPid pid = (GPid) g_ascii_strtoll(text, NULL, 10);

        g_assert_false(pid > 1 && bp_qsd_process_matches(pid, layout->qmp_socket));
    }
    g_assert_false(g_file_test(sock, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(sa, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(sb, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    g_assert_false(bp_backup_ops_is_running(d->id));
}


static void
test_pull_offline(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *flags = NULL;
    g_autoptr(BpStoreBackup) got = NULL;
    g_autoptr(GError) error = NULL;
    PlResult r;
    BpBackupOp *op;

    qt_require_tools();
    d = ct_domain_new(dir, "plo", 0);
    pl_write(d, 0, 0xa1, 0, 0xb1, 4 << 20);
    g_assert_null(d->run);

    /* Full, creating c1; the domain is busy while the backup serves. */
    op = pl_serve(d, "<domainbackup mode='pull'/>",
                  "<domaincheckpoint><name>c1</name></domaincheckpoint>", &r);
    g_assert_true(bp_backup_ops_is_running(d->id));
    sock = pl_socket(d);
    g_assert_true(g_file_test(sock, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(pl_pull(d, "c1", NULL), ==, 2 * (4 << 20));
    g_assert_cmpint(pl_state(d, "c1"), ==, BP_STORE_CHECKPOINT_PENDING);
    g_assert_null(qt_bitmap_flags(d->vda, "c1"));
    pl_finish(op, &r);
    g_assert_cmpint(pl_state(d, "c1"), ==, BP_STORE_CHECKPOINT_READY);
    flags = qt_bitmap_flags(d->vda, "c1");
    g_assert_nonnull(flags);
    g_clear_pointer(&flags, g_free);
    flags = qt_bitmap_flags(d->vdb, "c1");
    g_assert_nonnull(flags);
    g_clear_pointer(&flags, g_free);
    pl_assert_offline_clean(d, "c1");
    pl_assert_restores(d, "c1");
    got = bp_store_backup_get(d->store, r.id, &error);
    g_assert_no_error(error);
    g_assert_cmpint(got->mode, ==, BP_STORE_BACKUP_PULL);
    g_assert_cmpint(got->status, ==, BP_STORE_BACKUP_COMPLETED);

    /* An aborted incremental: c2 never appears, nothing is left. */
    pl_write(d, 6 * CL, 0xa2, 9 * CL, 0xb2, CL);
    op = pl_serve(d, "<domainbackup mode='pull'><incremental>c1</incremental></domainbackup>",
                  "<domaincheckpoint><name>c2</name></domaincheckpoint>", &r);
    g_assert_true(g_file_test(sock, G_FILE_TEST_EXISTS));
    bp_backup_op_cancel(op);
    g_assert_true(qt_wait(&r.done, 30000));
    g_assert_error(r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error(&r.error);
    g_assert_cmpint(pl_state(d, "c2"), ==, -1);
    g_assert_null(qt_bitmap_flags(d->vda, "c2"));
    g_assert_null(qt_bitmap_flags(d->vdb, "c2"));
    pl_assert_offline_clean(d, "c2");

    /* The incremental from c1 pulls exactly the written clusters. */
    op = pl_serve(d, "<domainbackup mode='pull'><incremental>c1</incremental></domainbackup>",
                  "<domaincheckpoint><name>c2</name></domaincheckpoint>", &r);
    g_assert_cmpuint(pl_pull(d, "c2", "c1"), ==, 2 * CL);
    pl_finish(op, &r);
    g_assert_cmpint(pl_state(d, "c2"), ==, BP_STORE_CHECKPOINT_READY);
    flags = qt_bitmap_flags(d->vdb, "c2");
    g_assert_nonnull(flags);
    pl_assert_offline_clean(d, "c2");
    pl_assert_restores(d, "c2");
    bp_test_rmdir(dir);
}


/* Runs backup-crash-helper on @d; asserts it was killed while serving. */
static void
pl_crash(CtDomain *d, const char *bxml, const char *cxml)
{
    g_autofree char *helper = g_test_build_filename(G_TEST_BUILT, "backup-crash-helper",
                                                    NULL);
    const char *argv[] = { helper, d->dir, d->name, bxml, cxml, NULL };
    g_autoptr(GError) error = NULL;
    gboolean running = d->run != NULL;
    int status = 0;

    if (running)
        ct_domain_detach(d);
    g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                 &status, &error);
    g_assert_no_error(error);
    g_assert_true(WIFSIGNALED(status));
    g_assert_cmpint(WTERMSIG(status), ==, SIGKILL);
    if (running)
        ct_domain_reconnect(d);
}


static void
test_pull_crash(gconstpointer data)
{
    gboolean running = GPOINTER_TO_INT(data);
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autofree char *sa = NULL;
    g_autofree char *sb = NULL;
    g_autofree char *sock = NULL;
    BpStoreBackup *last;
    PlResult r;
    BpBackupOp *op;
    guint changed = 0;

    qt_require_tools();
    d = ct_domain_new(dir, running ? "plc1" : "plc2", 0);
    if (running)
        ct_domain_start(d);
    pl_write(d, 0, 0xa1, 0, 0xb1, 4 << 20);
    op = pl_serve(d, "<domainbackup mode='pull'/>",
                  "<domaincheckpoint><name>c1</name></domaincheckpoint>", &r);
    pl_pull(d, "c1", NULL);
    pl_finish(op, &r);
    pl_write(d, 0, 0xa2, 3 * CL, 0xb2, 2 * CL);

    pl_crash(d, "<domainbackup mode='pull'><incremental>c1</incremental></domainbackup>",
             "<domaincheckpoint><name>c2</name></domaincheckpoint>");
    sa = g_strdup_printf("%s.c2", d->vda);
    sb = g_strdup_printf("%s.c2", d->vdb);
    sock = pl_socket(d);
    g_assert_cmpuint(ct_jobs(d), ==, 1);
    g_assert_true(g_file_test(sa, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(sock, G_FILE_TEST_EXISTS));
    if (running) {
        g_autofree char *exports = pl_exports(d);

        g_assert_cmpstr(exports, ==, "vda vdb backup-vda backup-vdb ");
    }

    g_assert_true(ct_reconcile(d, &changed, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(changed, >=, 3);
    g_assert_null(ct_row(d, "c2"));
    g_assert_cmpint(pl_state(d, "c1"), ==, BP_STORE_CHECKPOINT_READY);
    list = bp_store_backup_list(d->store, d->id, &error);
    g_assert_no_error(error);
    last = list->pdata[list->len - 1];
    g_assert_cmpint(last->status, ==, BP_STORE_BACKUP_FAILED);
    g_assert_cmpstr(last->checkpoint, ==, "c2");
    if (running) {
        g_autoptr(BpBlockGraph) graph = ct_graph(d);

        /* the storage runtime's own server stays */
        g_assert_true(g_file_test(sock, G_FILE_TEST_EXISTS));
        g_assert_null(ct_bitmap(graph, "vda", 0, "c2"));
        g_assert_null(ct_bitmap(graph, "vda", 0, "backup-vda"));
        g_assert_null(ct_bitmap(graph, "vdb", 0, "backup-vdb"));
        g_assert_nonnull(ct_bitmap(graph, "vda", 0, "c1"));
        pl_assert_nothing_left(d, "c2");
    } else {
        g_assert_null(qt_bitmap_flags(d->vda, "c2"));
        pl_assert_offline_clean(d, "c2");
    }

    /* The old base still gives an exact incremental pull. */
    op = pl_serve(d, "<domainbackup mode='pull'><incremental>c1</incremental></domainbackup>",
                  "<domaincheckpoint><name>c3</name></domaincheckpoint>", &r);
    g_assert_cmpuint(pl_pull(d, "c3", "c1"), ==, 4 * CL);
    pl_finish(op, &r);
    g_assert_cmpint(pl_state(d, "c3"), ==, BP_STORE_CHECKPOINT_READY);
    pl_assert_restores(d, "c3");
    if (running)
        ct_domain_stop(d);
    bp_test_rmdir(dir);
}


/* The record's NBD server and object are stopped and deleted in the
 * running QEMU; the server's socket file goes too.  A record of a
 * backup through a temporary daemon never touches the domain's QEMU. */
static void
test_leftovers_server(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(BpBackupLeftovers) lo = bp_backup_leftovers_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *stale = NULL;
    g_autofree char *other = NULL;
    g_autofree char *start = NULL;
    BpQmpMonitor *mon;
    BpSyncCall call;
    guint removed;

    qt_require_tools();
    d = ct_domain_new(dir, "pls", 0);
    ct_domain_start(d);
    mon = bp_block_access_get_monitor(d->access);
    g_assert_true(qt_qmp(mon, "object-add",
                         "{\"qom-type\": \"secret\", \"id\": \"bp-test-obj\", \"data\": \"x\"}",
                         &error));
    g_assert_no_error(error);
    stale = g_build_filename(dir, "stale.sock", NULL);
    g_assert_true(g_file_set_contents(stale, "", 0, NULL));
    bp_backup_leftovers_set_nbd_server(lo, stale);
    bp_backup_leftovers_add_object(lo, "bp-test-obj");
    g_assert_false(bp_backup_leftovers_is_empty(lo));

    {
        g_autoptr(BpBackupLeftovers) temp = bp_backup_leftovers_new();
        g_autofree char *gone = g_build_filename(dir, "no-such-qsd", NULL);

        bp_backup_leftovers_set_qsd(temp, gone);
        bp_backup_leftovers_set_nbd_server(temp, NULL);
        bp_backup_leftovers_add_object(temp, "bp-test-obj");
        bp_sync_call_begin(&call);
        bp_backup_leftovers_clean_async(temp, mon, bp_sync_call_ready, &call);
        removed = bp_backup_leftovers_clean_finish(bp_sync_call_wait(&call));
        bp_sync_call_end(&call);
        g_assert_cmpuint(removed, ==, 0);
    }

    bp_sync_call_begin(&call);
    bp_backup_leftovers_clean_async(lo, mon, bp_sync_call_ready, &call);
    removed = bp_backup_leftovers_clean_finish(bp_sync_call_wait(&call));
    bp_sync_call_end(&call);
    g_assert_cmpuint(removed, ==, 3);
    g_assert_false(g_file_test(stale, G_FILE_TEST_EXISTS));
    /* the object is gone, and a new server can start: the old stopped */
    g_assert_false(qt_qmp(mon, "object-del", "{\"id\": \"bp-test-obj\"}", &error));
    g_clear_error(&error);
    other = g_build_filename(dir, "other.sock", NULL);
    start = g_strdup_printf("{\"addr\": {\"type\": \"unix\", \"data\": {\"path\": \"%s\"}}}",
                            other);
    g_assert_true(qt_qmp(mon, "nbd-server-start", start, &error));
    g_assert_no_error(error);
    ct_domain_stop(d);
    bp_test_rmdir(dir);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jobs/backup-pull/ends", test_pull_ends);
    g_test_add_func("/jobs/backup-pull/offline", test_pull_offline);
    g_test_add_data_func("/jobs/backup-pull/crash-running", GINT_TO_POINTER(TRUE),
                         test_pull_crash);
    g_test_add_data_func("/jobs/backup-pull/crash-offline", GINT_TO_POINTER(FALSE),
                         test_pull_crash);
    g_test_add_func("/jobs/backup-pull/leftovers-server", test_leftovers_server);
    return g_test_run();
}
