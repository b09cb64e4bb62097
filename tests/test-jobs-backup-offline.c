/*
 * test-jobs-backup-offline.c: push backups of a shut-off two-disk domain
 * (through the temporary read-only qemu-storage-daemon), the fallback to
 * a full copy, the failure of one disk, and the clean-up after a crash
 * in the middle of a backup, with real images, qemu-storage-daemon and
 * catalogue:
 *
 *   - offline full backup creating c1, then offline incremental from c1
 *     creating c2: each target chain equals the disk image (qemu-img
 *     compare), the incremental copies only the written clusters, the
 *     checkpoints are ready with their bitmaps in the images and the
 *     exact size; the domain counts as busy (no start) while the backup
 *     runs, and is shut off with no temporary daemon left afterwards;
 *   - a checkpoint bitmap removed from one disk: the incremental fails
 *     with a named error and leaves nothing; with fallback-full that
 *     disk is copied in full (no backing file) and recorded so, the
 *     other stays incremental, both restore equal; an inconsistent
 *     bitmap (its QSD killed) is a named error too;
 *   - one disk's target runs out of space during the copy (a tiny
 *     tmpfs; skipped when it cannot be mounted): the whole backup
 *     fails, no new checkpoint, no files, no temporary daemon;
 *   - the process running a backup is SIGKILLed while copying (running
 *     domain and shut-off domain): reconciliation leaves no QEMU job,
 *     node, temporary bitmap or temporary daemon, removes the target
 *     files, records the backup failed and drops its checkpoint; the
 *     next incremental from the old base restores exactly; a temporary
 *     daemon that no record names (its backup died before writing its
 *     rows) is stopped by reconciliation too.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include "checkpointtest.h"
#include "jobs/bp-backup-leftovers.h"
#include "jobs/bp-backup-ops.h"
#include "jobs/bp-domain-ops.h"
#include "qemu/bp-qemu-sync.h"
#include "qemu/bp-qmp-commands.h"
#include "qemu/bp-qsd-cmdline.h"
#include "qemutest.h"
#include "testutils.h"
#include "util/bp-error.h"

#define CL 65536


/* Runs a backup to the end.  While it runs, the domain is busy. */
static gint64
run_backup(CtDomain *d, const char *bxml, const char *cxml, unsigned int flags,
           GError **error)
{
    CtBackupResult r = { 0 };
    BpBackupOp *op;
    gint64 id;

    op = ct_backup_begin(d, bxml, cxml, flags, &r);
    if (op)
        g_assert_true(bp_backup_ops_is_running(d->id));
    id = ct_backup_end(&r, 60000, error);
    g_assert_false(bp_backup_ops_is_running(d->id));
    return id;
}


/* Writes @len bytes of @a at @off_a to vda and of @b at @off_b to vdb,
 * starting and stopping the domain around it. */
static void
write_disks(CtDomain *d, guint64 off_a, guint8 a, guint64 off_b, guint8 b, size_t len)
{
    g_autofree char *sock = NULL;

    ct_domain_start(d);
    sock = ct_domain_nbd_socket(d);
    qt_nbd_write(sock, "vda", off_a, len, a);
    qt_nbd_write(sock, "vdb", off_b, len, b);
    ct_domain_stop(d);
}


/* The image @image equals the chain topped by @target. */
static void
assert_same(const char *image, const char *target)
{
    g_autofree char *o = qt_qemu_img("compare", "-q", "-f", "qcow2", "-F", "qcow2",
                                     image, target, NULL);
}


/* The backing file of @image, or NULL. */
static char *
backing_of(const char *image)
{
    g_autofree char *out = qt_qemu_img("info", "-U", "--output=json", image, NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    JsonObject *o;

    g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
    o = json_node_get_object(json_parser_get_root(parser));
    return g_strdup(json_object_get_string_member_with_default(o, "backing-filename", NULL));
}


static char *
target_path(const char *image, const char *suffix)
{
    return g_strdup_printf("%s.%s", image, suffix);
}


/* No temporary qemu-storage-daemon of a backup runs for @d. */
static void
assert_no_temp_qsd(CtDomain *d)
{
    g_autofree char *rt = g_build_filename(d->dir, "run", d->name, BP_BACKUP_TEMP_SUBDIR,
                                           NULL);
    g_autoptr(BpQsdLayout) layout = bp_qsd_layout_new(rt, TRUE);
    g_autofree char *text = NULL;

    if (g_file_get_contents(layout->pid_path, &text, NULL, NULL)) {
        GPid pid = (GPid) g_ascii_strtoll(text, NULL, 10);

        g_assert_false(pid > 1 && bp_qsd_process_matches(pid, layout->qmp_socket));
    }
}


static BpStoreBackupDisk *
backup_disk(BpStoreBackup *b, const char *target)
{
    for (guint i = 0; i < b->disks->len; i++) {
        BpStoreBackupDisk *bd = b->disks->pdata[i];

        if (g_str_equal(bd->target, target))
            return bd;
    }
    g_assert_not_reached();
}


/* c1: a full offline backup creating it, after data was written. */
static void
full_c1(CtDomain *d)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *fa = target_path(d->vda, "c1");
    g_autofree char *fb = target_path(d->vdb, "c1");
    gint64 id;

    write_disks(d, 0, 0xa1, 0, 0xb1, 4 << 20);
    id = run_backup(d, NULL, "<domaincheckpoint><name>c1</name></domaincheckpoint>", 0,
                    &error);
    g_assert_no_error(error);
    g_assert_cmpint(id, >, 0);
    assert_same(d->vda, fa);
    assert_same(d->vdb, fb);
}


static void
test_offline_push(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreCheckpoint) row = NULL;
    g_autoptr(BpStoreBackup) b = NULL;
    g_autofree char *fa1 = NULL, *fa2 = NULL, *fb2 = NULL, *back = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *flags = NULL;
    gint64 id;

    qt_require_tools();
    d = ct_domain_new(dir, "off1", 0);
    full_c1(d);
    g_assert_null(d->run);
    assert_no_temp_qsd(d);
    row = ct_row(d, "c1");
    g_assert_cmpint(row->state, ==, BP_STORE_CHECKPOINT_READY);
    g_clear_pointer(&row, bp_store_checkpoint_free);
    flags = qt_bitmap_flags(d->vda, "c1");
    g_assert_cmpstr(flags, ==, "auto");
    g_clear_pointer(&flags, g_free);
    flags = qt_bitmap_flags(d->vdb, "c1");
    g_assert_cmpstr(flags, ==, "auto");
    fa1 = target_path(d->vda, "c1");
    g_assert_null(backing_of(fa1));

    /* Nothing written since c1: size 0.  Then one cluster per disk. */
    xml = ct_xml(d, "c1", BP_CHECKPOINT_XML_SIZE, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ct_xml_size(xml, "vda"), ==, 0);
    g_clear_pointer(&xml, g_free);
    write_disks(d, 0, 0xa2, 8 * CL, 0xb2, CL);
    xml = ct_xml(d, "c1", BP_CHECKPOINT_XML_SIZE, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ct_xml_size(xml, "vda"), ==, CL);
    g_assert_cmpint(ct_xml_size(xml, "vdb"), ==, CL);
    g_clear_pointer(&xml, g_free);

    id = run_backup(d, "<domainbackup><incremental>c1</incremental></domainbackup>",
                    "<domaincheckpoint><name>c2</name></domaincheckpoint>", 0, &error);
    g_assert_no_error(error);
    fa2 = target_path(d->vda, "c2");
    fb2 = target_path(d->vdb, "c2");
    back = backing_of(fa2);
    g_assert_cmpstr(back, ==, fa1);
    assert_same(d->vda, fa2);
    assert_same(d->vdb, fb2);
    b = ct_backup_row(d, id);
    g_assert_cmpint(b->status, ==, BP_STORE_BACKUP_COMPLETED);
    g_assert_cmpint(b->kind, ==, BP_STORE_BACKUP_INCREMENTAL);
    g_assert_cmpuint(backup_disk(b, "vda")->bytes_total, ==, CL);
    g_assert_cmpuint(backup_disk(b, "vdb")->bytes_total, ==, CL);
    g_assert_cmpint(backup_disk(b, "vda")->kind, ==, BP_STORE_BACKUP_INCREMENTAL);

    /* c2 is current and ready; nothing written since it. */
    row = ct_row(d, "c2");
    g_assert_cmpint(row->state, ==, BP_STORE_CHECKPOINT_READY);
    xml = ct_xml(d, "c2", BP_CHECKPOINT_XML_SIZE, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ct_xml_size(xml, "vdb"), ==, 0);
    g_assert_null(d->run);
    assert_no_temp_qsd(d);
    g_assert_cmpuint(ct_jobs(d), ==, 0);

    /* A second backup while one runs is refused (throttled so that the
     * first is still copying). */
    {
        CtBackupResult r = { 0 }, r2 = { 0 };
        BpBackupOp *op;

        bp_backup_ops_set_test_speed(1 << 20);
        g_autofree char *fa3 = target_path(d->vda, "c3");
        g_autofree char *fb3 = target_path(d->vdb, "c3");

        op = ct_backup_begin(d, NULL, "<domaincheckpoint><name>c3</name></domaincheckpoint>",
                             0, &r);
        g_assert_nonnull(op);
        g_assert_true(ct_backup_wait_copying(op, &r));
        g_assert_true(bp_backup_ops_is_running(d->id));
        g_assert_null(ct_backup_begin(d, NULL, NULL, 0, &r2));
        g_assert_true(qt_wait(&r2.done, 1000));
        g_assert_error(r2.error, BP_ERROR, BP_ERROR_BUSY);
        g_clear_error(&r2.error);
        bp_backup_op_cancel(op);
        g_assert_true(qt_wait(&r.done, 30000));
        bp_backup_ops_set_test_speed(0);
        g_assert_error(r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
        g_clear_error(&r.error);
        assert_no_temp_qsd(d);
        g_assert_false(bp_backup_ops_is_running(d->id));
        /* Nothing of it is left; c2 is still the current checkpoint. */
        g_assert_false(g_file_test(fa3, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(fb3, G_FILE_TEST_EXISTS));
        g_assert_null(ct_row(d, "c3"));
        g_assert_null(qt_bitmap_flags(d->vda, "c3"));
        g_assert_cmpuint(ct_jobs(d), ==, 0);
        {
            g_autoptr(BpStoreCheckpoint) cur = bp_store_checkpoint_get_current(d->store, d->id,
                                                                              &error);

            g_assert_no_error(error);
            g_assert_cmpstr(cur->name, ==, "c2");
        }
    }
    bp_test_rmdir(dir);
}


/* vda is a two-layer chain: the temporary daemon opens the whole chain
 * and the backups equal the chain's contents. */
static void
test_offline_chain(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *fa2 = NULL, *o = NULL;
    g_autofree char *flags = NULL;

    qt_require_tools();
    /* data in the backing layer: written, then committed down */
    d = ct_domain_new(dir, "chain", CT_CHAIN);
    write_disks(d, 0, 0xa0, 0, 0xb0, 6 << 20);
    o = qt_qemu_img("commit", "-q", d->vda, NULL);
    full_c1(d);
    write_disks(d, 9 * CL, 0xa7, 9 * CL, 0xb7, CL);
    run_backup(d, "<domainbackup><incremental>c1</incremental></domainbackup>",
               "<domaincheckpoint><name>c2</name></domaincheckpoint>", 0, &error);
    g_assert_no_error(error);
    fa2 = target_path(d->vda, "c2");
    assert_same(d->vda, fa2);
    g_assert_null(qt_bitmap_flags(d->vda_base, "c2"));
    flags = qt_bitmap_flags(d->vda, "c2");
    g_assert_cmpstr(flags, ==, "auto");
    assert_no_temp_qsd(d);
    bp_test_rmdir(dir);
}


static void
test_offline_fallback(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreBackup) b = NULL;
    g_autofree char *fa1 = NULL, *fa2 = NULL, *fb2 = NULL, *o = NULL;
    g_autofree char *ba = NULL, *bb = NULL;
    g_autofree char *vdb_flags = NULL;
    const char *incr = "<domainbackup><incremental>c1</incremental></domainbackup>";
    const char *c2 = "<domaincheckpoint><name>c2</name></domaincheckpoint>";
    guint n;
    gint64 id;

    qt_require_tools();
    d = ct_domain_new(dir, "off2", 0);
    full_c1(d);
    write_disks(d, 2 * CL, 0xa2, 3 * CL, 0xb2, CL);
    o = qt_qemu_img("bitmap", "--remove", d->vdb, "c1", NULL);
    n = ct_backup_count(d);

    /* Without fallback: a named error, nothing left. */
    g_assert_cmpint(run_backup(d, incr, c2, 0, &error), ==, -1);
    g_assert_error(error, BP_ERROR, BP_ERROR_CHECKPOINT_INCONSISTENT);
    g_assert_nonnull(strstr(error->message, "'c1'"));
    g_assert_nonnull(strstr(error->message, "'vdb'"));
    g_clear_error(&error);
    fa2 = target_path(d->vda, "c2");
    fb2 = target_path(d->vdb, "c2");
    g_assert_false(g_file_test(fa2, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(fb2, G_FILE_TEST_EXISTS));
    g_assert_null(ct_row(d, "c2"));
    g_assert_null(qt_bitmap_flags(d->vda, "c2"));
    g_assert_cmpuint(ct_backup_count(d), ==, n);
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    assert_no_temp_qsd(d);

    /* With it: vdb in full, vda incremental. */
    id = run_backup(d, incr, c2, BP_BACKUP_BEGIN_FALLBACK_FULL, &error);
    g_assert_no_error(error);
    fa1 = target_path(d->vda, "c1");
    ba = backing_of(fa2);
    bb = backing_of(fb2);
    g_assert_cmpstr(ba, ==, fa1);
    g_assert_null(bb);
    assert_same(d->vda, fa2);
    assert_same(d->vdb, fb2);
    b = ct_backup_row(d, id);
    g_assert_cmpint(b->kind, ==, BP_STORE_BACKUP_INCREMENTAL);
    g_assert_cmpint(backup_disk(b, "vda")->kind, ==, BP_STORE_BACKUP_INCREMENTAL);
    g_assert_null(backup_disk(b, "vda")->error);
    g_assert_cmpint(backup_disk(b, "vdb")->kind, ==, BP_STORE_BACKUP_FULL);
    g_assert_nonnull(strstr(backup_disk(b, "vdb")->error, "'c1'"));
    g_assert_cmpuint(backup_disk(b, "vda")->bytes_total, ==, CL);
    g_assert_cmpuint(backup_disk(b, "vdb")->bytes_total, >=, 4 << 20);
    g_clear_pointer(&b, bp_store_backup_free);
    vdb_flags = qt_bitmap_flags(d->vdb, "c2");
    g_assert_cmpstr(vdb_flags, ==, "auto");

    /* An inconsistent bitmap: c2's, after its QSD was killed. */
    {
        g_autofree char *sock = NULL;
        g_autofree char *flags = NULL;
        g_autofree char *fa3 = target_path(d->vda, "c3");

        ct_domain_start(d);
        sock = ct_domain_nbd_socket(d);
        qt_nbd_write(sock, "vda", 5 * CL, CL, 0xa3);
        ct_domain_kill(d);
        flags = qt_bitmap_flags(d->vda, "c2");
        g_assert_nonnull(strstr(flags, "in-use"));

        g_assert_cmpint(run_backup(d, "<domainbackup><incremental>c2</incremental>"
                                   "</domainbackup>",
                                   "<domaincheckpoint><name>c3</name></domaincheckpoint>",
                                   0, &error), ==, -1);
        g_assert_error(error, BP_ERROR, BP_ERROR_CHECKPOINT_INCONSISTENT);
        g_assert_nonnull(strstr(error->message, "'c2'"));
        g_assert_nonnull(strstr(error->message, "'vda'"));
        g_clear_error(&error);
        g_assert_false(g_file_test(fa3, G_FILE_TEST_EXISTS));
        g_assert_null(ct_row(d, "c3"));

        /* With fallback both disks are copied in full and equal. */
        id = run_backup(d, "<domainbackup><incremental>c2</incremental></domainbackup>",
                        "<domaincheckpoint><name>c3</name></domaincheckpoint>",
                        BP_BACKUP_BEGIN_FALLBACK_FULL, &error);
        g_assert_no_error(error);
        b = ct_backup_row(d, id);
        g_assert_cmpint(backup_disk(b, "vda")->kind, ==, BP_STORE_BACKUP_FULL);
        g_assert_cmpint(backup_disk(b, "vdb")->kind, ==, BP_STORE_BACKUP_FULL);
        g_assert_null(backing_of(fa3));
        assert_same(d->vda, fa3);
    }
    assert_no_temp_qsd(d);
    bp_test_rmdir(dir);
}


/* vdb's target on a 1 MiB tmpfs: its copy fails with ENOSPC midway. */
static void
test_offline_disk_failure(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *mnt = g_build_filename(dir, "small", NULL);
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *ta = NULL, *tb = NULL;
    g_autoptr(GPtrArray) list = NULL;
    BpStoreBackup *last;

    qt_require_tools();
    g_assert_cmpint(g_mkdir(mnt, 0700), ==, 0);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") < 0) {
        g_test_skip("cannot mount a small tmpfs (needs root)");
        bp_test_rmdir(dir);
        return;
    }
    d = ct_domain_new(dir, "off3", 0);
    full_c1(d);
    ta = g_build_filename(dir, "ta.qcow2", NULL);
    tb = g_build_filename(mnt, "tb.qcow2", NULL);
    xml = g_strdup_printf("<domainbackup><disks>"
                          "<disk name='vda' type='file'><target file='%s'/></disk>"
                          "<disk name='vdb' type='file'><target file='%s'/></disk>"
                          "</disks></domainbackup>", ta, tb);
    bp_backup_ops_set_test_speed(2 << 20);
    g_assert_cmpint(run_backup(d, xml, "<domaincheckpoint><name>c2</name></domaincheckpoint>",
                               0, &error), ==, -1);
    bp_backup_ops_set_test_speed(0);
    g_assert_error(error, BP_ERROR, BP_ERROR_QEMU);
    g_assert_nonnull(strstr(error->message, "'vdb'"));
    g_clear_error(&error);
    g_assert_false(g_file_test(ta, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(tb, G_FILE_TEST_EXISTS));
    g_assert_null(ct_row(d, "c2"));
    g_assert_null(qt_bitmap_flags(d->vda, "c2"));
    g_assert_null(qt_bitmap_flags(d->vdb, "c2"));
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    assert_no_temp_qsd(d);
    list = bp_store_backup_list(d->store, d->id, &error);
    g_assert_no_error(error);
    last = list->pdata[list->len - 1];
    g_assert_cmpint(last->status, ==, BP_STORE_BACKUP_FAILED);
    /* vda's copy was cancelled before it was through. */
    g_assert_cmpuint(backup_disk(last, "vda")->bytes, <, 4 << 20);
    g_assert_cmpint(umount2(mnt, MNT_DETACH), ==, 0);
    bp_test_rmdir(dir);
}


/* ---- crash in the middle of a backup --------------------------------------- */

/* Runs the backup crash helper on @d; asserts it was killed. */
static void
crash_backup(CtDomain *d, const char *bxml, const char *cxml)
{
    const char *args[] = { bxml, cxml, NULL };

    ct_run_crash_helper(d, "backup-crash-helper", args);
}


/* What a killed backup of c1 -> c2 left must be gone after
 * reconciliation; then an incremental from c1 restores exactly. */
static void
check_after_crash(CtDomain *d, const char *tag)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autofree char *fa2 = target_path(d->vda, "c2");
    g_autofree char *fb2 = target_path(d->vdb, "c2");
    g_autofree char *fa = target_path(d->vda, tag);
    g_autofree char *fb = target_path(d->vdb, tag);
    g_autofree char *cxml = g_strdup_printf("<domaincheckpoint><name>%s</name>"
                                            "</domaincheckpoint>", tag);
    BpStoreBackup *last;
    guint changed = 0;

    g_assert_cmpuint(ct_jobs(d), ==, 1);
    g_assert_true(g_file_test(fa2, G_FILE_TEST_EXISTS));
    ct_reconcile(d, &changed, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(changed, >=, 3);
    g_assert_false(g_file_test(fa2, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(fb2, G_FILE_TEST_EXISTS));
    g_assert_null(ct_row(d, "c2"));
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    assert_no_temp_qsd(d);
    list = bp_store_backup_list(d->store, d->id, &error);
    g_assert_no_error(error);
    last = list->pdata[list->len - 1];
    g_assert_cmpint(last->status, ==, BP_STORE_BACKUP_FAILED);

    if (d->run) {
        g_autoptr(BpBlockGraph) graph = ct_graph(d);
        g_autoptr(GPtrArray) jobs = NULL;
        BpQmpMonitor *mon = bp_block_access_get_monitor(d->access);
        BpSyncCall call;

        g_assert_null(bp_block_graph_lookup(graph, "bp-backup-vda"));
        g_assert_null(bp_block_graph_lookup(graph, "bp-backup-vda-file"));
        g_assert_null(bp_block_graph_lookup(graph, "bp-backup-vdb"));
        g_assert_null(bp_block_graph_lookup(graph, "bp-backup-vdb-file"));
        g_assert_null(ct_bitmap(graph, "vda", 0, "backup-vda"));
        g_assert_null(ct_bitmap(graph, "vdb", 0, "backup-vdb"));
        g_assert_null(ct_bitmap(graph, "vda", 0, "c2"));
        g_assert_nonnull(ct_bitmap(graph, "vda", 0, "c1"));
        bp_sync_call_begin(&call);
        bp_qmp_query_jobs_async(mon, NULL, bp_sync_call_ready, &call);
        jobs = bp_qmp_query_jobs_finish(mon, bp_sync_call_wait(&call), &error);
        bp_sync_call_end(&call);
        g_assert_no_error(error);
        g_assert_cmpuint(jobs->len, ==, 0);
        ct_domain_stop(d);
    }
    g_assert_null(qt_bitmap_flags(d->vda, "c2"));
    g_assert_null(qt_bitmap_flags(d->vdb, "c2"));

    /* The old base still gives an exact incremental (offline now). */
    write_disks(d, 6 * CL, 0xa5, 7 * CL, 0xb5, CL);
    run_backup(d, "<domainbackup><incremental>c1</incremental></domainbackup>", cxml, 0,
               &error);
    g_assert_no_error(error);
    assert_same(d->vda, fa);
    assert_same(d->vdb, fb);
}


static void
test_crash_running(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;

    qt_require_tools();
    d = ct_domain_new(dir, "crash1", 0);
    full_c1(d);
    write_disks(d, 0, 0xa2, 0, 0xb2, 4 << 20);
    ct_domain_start(d);
    crash_backup(d, "<domainbackup><incremental>c1</incremental></domainbackup>",
                 "<domaincheckpoint><name>c2</name></domaincheckpoint>");
    check_after_crash(d, "c3");
    bp_test_rmdir(dir);
}


static void
test_crash_offline(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;

    qt_require_tools();
    d = ct_domain_new(dir, "crash2", 0);
    full_c1(d);
    write_disks(d, 0, 0xa2, 0, 0xb2, 4 << 20);
    crash_backup(d, "<domainbackup><incremental>c1</incremental></domainbackup>",
                 "<domaincheckpoint><name>c2</name></domaincheckpoint>");
    check_after_crash(d, "c3");
    bp_test_rmdir(dir);
}


/* A temporary daemon whose backup died before writing its rows (so no
 * record names it) is stopped by reconciliation all the same, even on a
 * domain without checkpoints or jobs. */
static void
test_stale_temp_daemon(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *rt = NULL;
    g_autofree char *chardev = NULL;
    g_autofree char *pidfile = NULL;
    g_autofree char *blockdev = NULL;
    g_autoptr(BpQsdLayout) layout = NULL;
    const char *qsd = g_getenv("QEMU_STORAGE_DAEMON");
    GPid child;
    guint changed = 0;
    int i;

    qt_require_tools();
    d = ct_domain_new(dir, "stale", 0);
    rt = g_build_filename(dir, "run", d->name, BP_BACKUP_TEMP_SUBDIR, NULL);
    g_assert_cmpint(g_mkdir_with_parents(rt, 0700), ==, 0);
    layout = bp_qsd_layout_new(rt, TRUE);
    chardev = g_strdup_printf("socket,id=qmp,path=%s,server=on,wait=off", layout->qmp_socket);
    blockdev = g_strdup_printf("driver=file,node-name=f,filename=%s,read-only=on", d->vda);
    {
        const char *argv[] = { qsd, "--chardev", chardev, "--monitor", "chardev=qmp",
                               "--blockdev", blockdev, "--pidfile", layout->pid_path, NULL };

        g_assert_true(g_spawn_async(NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
                                    G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &child, &error));
        g_assert_no_error(error);
    }
    for (i = 0; i < 200 && !g_file_test(layout->pid_path, G_FILE_TEST_EXISTS); i++)
        g_usleep(10 * 1000);
    g_assert_true(bp_qsd_process_matches(child, layout->qmp_socket));

    g_assert_true(ct_reconcile(d, &changed, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(changed, ==, 1);
    assert_no_temp_qsd(d);
    g_assert_false(bp_qsd_process_matches(child, layout->qmp_socket));
    waitpid(child, NULL, 0);
    g_spawn_close_pid(child);
    bp_test_rmdir(dir);
}


/* The record of what a backup creates survives the catalogue (JSON) and
 * refuses what it did not write. */
static void
test_leftovers_json(void)
{
    g_autoptr(BpBackupLeftovers) lo = bp_backup_leftovers_new();
    g_autoptr(BpBackupLeftovers) back = NULL;
    g_autoptr(BpBackupLeftovers) empty = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *json = NULL;
    g_autofree char *again = NULL;
    const char *bad[] = { "[1]", "{\"files\": [1]}", "{\"bitmaps\": [{\"node\": \"n\"}]}",
                          "{\"bitmaps\": \"x\"}", "{\"bitmaps\": [1]}", "not json",
                          "{\"objects\": [true]}" };

    g_assert_true(bp_backup_leftovers_is_empty(lo));
    bp_backup_leftovers_add_file(lo, "/t/vda.c1");
    bp_backup_leftovers_add_node(lo, "bp-backup-vda-file");
    bp_backup_leftovers_add_node(lo, "bp-backup-vda");
    bp_backup_leftovers_add_job(lo, "bp-backup-vda");
    bp_backup_leftovers_add_bitmap(lo, "bp-vda-0-fmt", "backup-vda");
    bp_backup_leftovers_add_export(lo, "bp-pull-vda");
    bp_backup_leftovers_set_qsd(lo, "/run/x/backup");
    bp_backup_leftovers_set_nbd_server(lo, "/run/x/backup-nbd.sock");
    bp_backup_leftovers_add_object(lo, "bp-backup-tls");
    g_assert_false(bp_backup_leftovers_is_empty(lo));
    json = bp_backup_leftovers_to_json(lo);
    g_assert_nonnull(strstr(json, "\"backup-vda\""));
    g_assert_nonnull(strstr(json, "\"bp-backup-tls\""));
    g_assert_nonnull(strstr(json, "\"/run/x/backup-nbd.sock\""));
    back = bp_backup_leftovers_from_json(json, &error);
    g_assert_no_error(error);
    again = bp_backup_leftovers_to_json(back);
    g_assert_cmpstr(json, ==, again);
    empty = bp_backup_leftovers_from_json(NULL, &error);
    g_assert_no_error(error);
    g_assert_true(bp_backup_leftovers_is_empty(empty));
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_null(bp_backup_leftovers_from_json(bad[i], &error));
        g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
        g_clear_error(&error);
    }
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jobs/backup-offline/leftovers-json", test_leftovers_json);
    g_test_add_func("/jobs/backup-offline/push", test_offline_push);
    g_test_add_func("/jobs/backup-offline/chain", test_offline_chain);
    g_test_add_func("/jobs/backup-offline/fallback", test_offline_fallback);
    g_test_add_func("/jobs/backup-offline/disk-failure", test_offline_disk_failure);
    g_test_add_func("/jobs/backup-offline/crash-running", test_crash_running);
    g_test_add_func("/jobs/backup-offline/crash-offline", test_crash_offline);
    g_test_add_func("/jobs/backup-offline/stale-temp-daemon", test_stale_temp_daemon);
    return g_test_run();
}
