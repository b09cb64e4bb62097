/*
 * test-jobs-restore.c: src/jobs/bp-restore.c with a real catalogue and
 * the real qemu-img.
 *
 *   - the choice of the backup (by id, by the checkpoint it created, the
 *     newest completed by default) and every refusal: unknown id, another
 *     domain's backup, a disk it lacks, a failed backup, a missing image
 *     anywhere in the chain (named), a pull backup whose consumer did not
 *     report its output;
 *   - a real chain (full qcow2, an incremental on top) flattened to raw
 *     and qcow2, equal to the top (qemu-img compare), standalone;
 *   - an existing target or a symlink refused and left alone; cancel
 *     removes the partial target; qemu-img's -p output parsed.
 */
#include <config.h>

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "jobs/bp-restore.h"
#include "qemutest.h"
#include "store-testutils.h"
#include "util/bp-error.h"

typedef struct {
    BpStoreFixture st;
    gint64 dom;
    char *img[5];            /* index = backup id */
} Fixture;


static gint64
add_backup(Fixture *f, BpStoreBackupMode mode, BpStoreBackupKind kind, const char *from,
           const char *checkpoint, gint64 previous, BpStoreBackupStatus status,
           const char *vda_path)
{
    g_autoptr(BpStoreBackup) bk = bp_store_backup_new(f->dom, mode, kind);
    g_autoptr(GError) err = NULL;

    bk->from_checkpoint = g_strdup(from);
    bk->checkpoint = g_strdup(checkpoint);
    bk->previous_id = previous;
    bk->start_time = 1000 + previous;
    g_ptr_array_add(bk->disks, bp_store_backup_disk_new("vda", vda_path, "qcow2"));
    g_assert_true(bp_store_backup_add(f->st.store, bk, &err));
    g_assert_no_error(err);
    bk->status = status;
    bk->end_time = bk->start_time + 1;
    g_assert_true(bp_store_backup_update(f->st.store, bk, &err));
    g_assert_no_error(err);
    return bk->id;
}


/*
 * Backups of vm1's vda: 1 full (c1), 2 incremental from c1 (c2) on 1,
 * 3 failed incremental on 2, 4 pull incremental from c2 on 2 without a
 * reported output.  Images 1 and 2 are a real chain (64 KiB of 0x11 at
 * 0 in the full, 64 KiB of 0x22 at 1 MiB in the incremental).
 */
static void
setup(Fixture *f, gconstpointer data)
{
    bp_store_test_setup(&f->st, data);
    f->dom = bp_store_test_add_domain(f->st.store, "vm1");
    bp_store_test_add_domain(f->st.store, "vm2");
    f->img[1] = qt_image(f->st.dir, "full.qcow2", "4M", NULL);
    f->img[2] = qt_image(f->st.dir, "inc.qcow2", "4M", f->img[1]);
    f->img[3] = g_build_filename(f->st.dir, "failed.qcow2", NULL);
    {
        g_autofree char *a = g_strdup_printf("write -P 0x11 0 64k");
        g_autofree char *b = g_strdup_printf("write -P 0x22 1M 64k");
        const char *argv1[] = { "qemu-io", "-f", "qcow2", "-c", a, f->img[1], NULL };
        const char *argv2[] = { "qemu-io", "-f", "qcow2", "-c", b, f->img[2], NULL };
        int status;

        g_assert_true(g_spawn_sync(NULL, (char **) argv1, NULL, G_SPAWN_SEARCH_PATH |
                                   G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                                   &status, NULL));
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        g_assert_true(g_spawn_sync(NULL, (char **) argv2, NULL, G_SPAWN_SEARCH_PATH |
                                   G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                                   &status, NULL));
        g_assert_true(g_spawn_check_wait_status(status, NULL));
    }
    g_assert_cmpint(add_backup(f, BP_STORE_BACKUP_PUSH, BP_STORE_BACKUP_FULL, NULL, "c1", 0,
                               BP_STORE_BACKUP_COMPLETED, f->img[1]), ==, 1);
    g_assert_cmpint(add_backup(f, BP_STORE_BACKUP_PUSH, BP_STORE_BACKUP_INCREMENTAL, "c1",
                               "c2", 1, BP_STORE_BACKUP_COMPLETED, f->img[2]), ==, 2);
    g_assert_cmpint(add_backup(f, BP_STORE_BACKUP_PUSH, BP_STORE_BACKUP_INCREMENTAL, "c2",
                               NULL, 2, BP_STORE_BACKUP_FAILED, f->img[3]), ==, 3);
}


static void
teardown(Fixture *f, gconstpointer data)
{
    for (size_t i = 0; i < G_N_ELEMENTS(f->img); i++)
        g_free(f->img[i]);
    bp_store_test_teardown(&f->st, data);
}


static void
test_choose(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpRestorePlan) plan = NULL;
    gint64 other;

    /* Default: the newest completed one with the disk (not the failed 3). */
    plan = bp_restore_plan_new(f->st.store, f->dom, "vda", 0, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpint(plan->backup_id, ==, 2);
    g_assert_cmpstr(plan->image, ==, f->img[2]);
    g_assert_cmpstr(plan->format, ==, "qcow2");
    g_assert_cmpuint(plan->chain->len, ==, 2);
    g_assert_cmpstr(plan->chain->pdata[0], ==, f->img[1]);
    g_clear_pointer(&plan, bp_restore_plan_free);

    plan = bp_restore_plan_new(f->st.store, f->dom, "vda", 0, "c1", &err);
    g_assert_no_error(err);
    g_assert_cmpint(plan->backup_id, ==, 1);
    g_assert_cmpuint(plan->chain->len, ==, 1);
    g_clear_pointer(&plan, bp_restore_plan_free);

    plan = bp_restore_plan_new(f->st.store, f->dom, "vda", 1, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(plan->image, ==, f->img[1]);
    g_clear_pointer(&plan, bp_restore_plan_free);

#define REFUSED(code, id, ckpt, disk, text) do { \
        g_clear_error(&err); \
        g_assert_null(bp_restore_plan_new(f->st.store, f->dom, disk, id, ckpt, &err)); \
        g_assert_error(err, BP_ERROR, code); \
        if (!strstr(err->message, text)) \
            g_error("'%s' lacks '%s'", err->message, text); \
    } while (0)

    REFUSED(BP_ERROR_NO_BACKUP, 99, NULL, "vda", "no backup 99 of this domain");
    REFUSED(BP_ERROR_NO_BACKUP, 0, "c9", "vda", "created checkpoint 'c9'");
    REFUSED(BP_ERROR_NO_BACKUP, 0, NULL, "vdb", "no completed backup includes disk 'vdb'");
    REFUSED(BP_ERROR_NO_BACKUP, 1, NULL, "vdb", "backup 1 does not include disk 'vdb'");
    REFUSED(BP_ERROR_OPERATION_INVALID, 3, NULL, "vda", "backup 3 is failed, not completed");

    /* Another domain's backup is not this domain's. */
    other = f->dom;
    f->dom = other + 1;
    REFUSED(BP_ERROR_NO_BACKUP, 1, NULL, "vda", "no backup 1 of this domain");
    f->dom = other;

    /* A missing image anywhere in the chain is named. */
    {
        g_autofree char *moved = g_strconcat(f->img[1], ".away", NULL);

        g_assert_cmpint(g_rename(f->img[1], moved), ==, 0);
        REFUSED(BP_ERROR_OPERATION_INVALID, 2, NULL, "vda", f->img[1]);
        g_assert_nonnull(strstr(err->message, "of backup 1 (disk vda) is missing"));
        g_assert_cmpint(g_rename(moved, f->img[1]), ==, 0);
    }

    /* A pull backup whose consumer did not say where it wrote. */
    g_assert_cmpint(add_backup(f, BP_STORE_BACKUP_PULL, BP_STORE_BACKUP_INCREMENTAL, "c2",
                               "c4", 2, BP_STORE_BACKUP_COMPLETED, NULL), ==, 4);
    REFUSED(BP_ERROR_OPERATION_INVALID, 0, NULL, "vda",
            "backup 4 of disk vda was pulled by a client that did not report its output");
#undef REFUSED
}


static void
restore_done(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    *(GAsyncResult **) data = g_object_ref(result);
}


/* Runs a restore to its end; with @cancel, cancels it at once. */
static gboolean
restore_run(const BpRestorePlan *plan, const char *target, const char *format,
            BpRestoreFlags flags, gboolean cancel, guint64 *total, GError **error)
{
    GAsyncResult *result = NULL;
    BpRestoreOp *op;
    gboolean ok;
    guint64 processed = 0;

    if (!(op = bp_restore_start(NULL, plan, target, format, flags, restore_done, &result,
                                error)))
        return FALSE;
    bp_restore_op_get_progress(op, &processed, total);
    g_assert_cmpuint(processed, ==, 0);
    if (cancel)
        bp_restore_op_cancel(op);
    while (!result)
        g_main_context_iteration(NULL, TRUE);
    ok = bp_restore_finish(result, error);
    g_object_unref(result);
    return ok;
}


static void
test_run(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpRestorePlan) plan = NULL;
    g_autofree char *raw = g_build_filename(f->st.dir, "out.raw", NULL);
    g_autofree char *qcow = g_build_filename(f->st.dir, "out.qcow2", NULL);
    g_autofree char *link = g_build_filename(f->st.dir, "link.qcow2", NULL);
    g_autofree char *gone = g_build_filename(f->st.dir, "gone.qcow2", NULL);
    g_autofree char *info = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    guint64 total = 0;

    plan = bp_restore_plan_new(f->st.store, f->dom, "vda", 2, NULL, &err);
    g_assert_no_error(err);

    g_assert_true(restore_run(plan, raw, "raw", 0, FALSE, &total, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(total, ==, 4 << 20);
    g_free(qt_qemu_img("compare", "-q", "-f", "raw", "-F", "qcow2", raw, f->img[2], NULL));

    g_assert_true(restore_run(plan, qcow, "qcow2", 0, FALSE, &total, &err));
    g_assert_no_error(err);
    g_free(qt_qemu_img("compare", "-q", "-f", "qcow2", "-F", "qcow2", qcow, f->img[2], NULL));
    info = qt_qemu_img("info", "--output=json", qcow, NULL);
    g_assert_null(strstr(info, "backing-filename"));

    /* An existing target, and a symlink (even to nothing), are refused
     * and left as they were. */
    g_assert_true(g_file_get_contents(raw, &before, NULL, NULL));
    g_assert_false(restore_run(plan, raw, "raw", 0, FALSE, &total, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_EXISTS);
    g_clear_error(&err);
    g_assert_true(g_file_get_contents(raw, &after, NULL, NULL));
    g_assert_cmpstr(before, ==, after);
    g_assert_cmpint(symlink(gone, link), ==, 0);
    g_assert_false(restore_run(plan, link, "qcow2", 0, FALSE, &total, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_EXISTS);
    g_clear_error(&err);
    g_assert_false(g_file_test(gone, G_FILE_TEST_EXISTS));

    /* reuse-external writes into the existing image. */
    g_assert_true(restore_run(plan, raw, "raw", BP_RESTORE_REUSE_EXTERNAL, FALSE, &total,
                              &err));
    g_assert_no_error(err);

    /* Bad arguments. */
    g_assert_false(restore_run(plan, "rel.qcow2", "qcow2", 0, FALSE, &total, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&err);
    g_assert_false(restore_run(plan, gone, "vmdk", 0, FALSE, &total, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&err);

    /* Cancelled: fails as cancelled, the partial target is removed. */
    g_assert_false(restore_run(plan, gone, "qcow2", 0, TRUE, &total, &err));
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_false(g_file_test(gone, G_FILE_TEST_EXISTS));
}


static void
test_parse_progress(void)
{
    g_assert_cmpfloat(bp_restore_parse_progress(""), ==, -1);
    g_assert_cmpfloat(bp_restore_parse_progress("qemu-img: error (x)"), ==, -1);
    g_assert_cmpfloat_with_epsilon(bp_restore_parse_progress("    (45.12/100%)"), 0.4512,
                                   1e-9);
    g_assert_cmpfloat_with_epsilon(bp_restore_parse_progress("    (1.00/100%)\r    (100.00/100%)"),
                                   1.0, 1e-9);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qt_require_tools();
    g_test_add_func("/jobs/restore/parse-progress", test_parse_progress);
    g_test_add("/jobs/restore/choose", Fixture, NULL, setup, test_choose, teardown);
    g_test_add("/jobs/restore/run", Fixture, NULL, setup, test_run, teardown);
    return g_test_run();
}
