/*
 * test-qemu-storage.c: the storage and attach runtimes against the real
 * qemu-storage-daemon, with guest writes through the NBD export (libnbd)
 * and the results checked in QEMU's graph and with qemu-img.
 */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "qemu/bp-qemu-sync.h"
#include "qemu/bp-qmp-commands.h"
#include "qemu/bp-runtime-attach.h"
#include "qemu/bp-runtime-storage.h"
#include "util/bp-error.h"
#include "qemutest.h"
#include "testutils.h"

#define MiB (1024 * 1024)
#define KiB 1024


/* A 64 MiB qcow2 whose only data is 64 KiB of 0x5a at 40 MiB. */
static char *
make_base(const char *dir)
{
    g_autofree char *raw = g_build_filename(dir, "base.raw", NULL);
    char *base = g_build_filename(dir, "base.qcow2", NULL);
    g_autofree guint8 *buf = g_malloc(64 * KiB);
    g_autofree char *out = NULL;
    int fd = g_open(raw, O_CREAT | O_WRONLY, 0600);

    g_assert_cmpint(fd, >=, 0);
    memset(buf, 0x5a, 64 * KiB);
    g_assert_cmpint(ftruncate(fd, 64 * MiB), ==, 0);
    g_assert_cmpint(pwrite(fd, buf, 64 * KiB, 40 * MiB), ==, 64 * KiB);
    close(fd);
    out = qt_qemu_img("convert", "-q", "-f", "raw", "-O", "qcow2", raw, base, NULL);
    g_unlink(raw);
    return base;
}


static void
assert_private_socket(const char *path)
{
    GStatBuf sb;

    g_assert_cmpint(g_stat(path, &sb), ==, 0);
    g_assert_true(S_ISSOCK(sb.st_mode));
    g_assert_cmpint(sb.st_mode & 0777, ==, 0600);
}


static void
exited_cb(BpQemuStorage *st, gpointer user_data)
{
    *(gboolean *) user_data = TRUE;
}


typedef struct {
    char *dir;
    char *top, *mid, *base, *vdb;
    BpQemuRuntimeConfig *config;
    BpQemuDiskSpec *disks[2];
} Domain;


/* vda: a three-layer qcow2 chain given in full, NBD export; vdb: one
 * qcow2 whose format is probed, vhost-user-blk export. */
static void
domain_init(Domain *d)
{
    g_autofree char *rt = NULL;
    g_autofree char *out = NULL;

    d->dir = bp_test_mkdtemp();
    rt = g_build_filename(d->dir, "run", NULL);
    d->base = make_base(d->dir);
    d->mid = qt_image(d->dir, "mid.qcow2", "64M", d->base);
    d->top = qt_image(d->dir, "top.qcow2", "64M", d->mid);
    d->vdb = qt_image(d->dir, "vdb.qcow2", "32M", NULL);
    out = qt_qemu_img("bitmap", "--add", d->base, "bb", NULL);
    d->config = bp_qemu_runtime_config_new("vm1", rt);
    d->config->stop_timeout_ms = 10000;

    d->disks[0] = bp_qemu_disk_spec_new("vda", BP_QEMU_EXPORT_NBD);
    d->disks[0]->chain_complete = TRUE;
    bp_qemu_disk_spec_add_layer(d->disks[0], d->top, "qcow2", NULL);
    bp_qemu_disk_spec_add_layer(d->disks[0], d->mid, "qcow2", NULL);
    bp_qemu_disk_spec_add_layer(d->disks[0], d->base, "qcow2", NULL);
    d->disks[1] = bp_qemu_disk_spec_new("vdb", BP_QEMU_EXPORT_VHOST_USER_BLK);
    bp_qemu_disk_spec_add_layer(d->disks[1], d->vdb, NULL, NULL);
}


static void
domain_clear(Domain *d)
{
    bp_test_rmdir(d->dir);
    g_free(d->dir);
    g_free(d->top);
    g_free(d->mid);
    g_free(d->base);
    g_free(d->vdb);
    bp_qemu_runtime_config_free(d->config);
    bp_qemu_disk_spec_free(d->disks[0]);
    bp_qemu_disk_spec_free(d->disks[1]);
}


static void
test_lifecycle(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQemuStorage) st = NULL;
    g_autoptr(BpQemuStorage) st2 = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autoptr(BpQmpJobInfo) job = NULL;
    g_autofree char *dump = NULL;
    g_autofree char *expected = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *target = NULL;
    g_autofree char *flags = NULL;
    g_autofree char *out = NULL;
    g_autofree char *tgt_json = NULL;
    BpQmpBackupArgs backup = { .job_id = "bk1", .target = "bk-tgt", .sync = "full" };
    const BpQemuExitInfo *info;
    BpBitmapInfo *b;
    BpQmpMonitor *mon;
    BpSyncCall call;
    GStatBuf sb;
    Domain d = { 0 };

    domain_init(&d);
    st = qt_start(d.config, d.disks, 2, BP_QEMU_STORAGE_START_DEFAULT, &err);
    g_assert_no_error(err);
    g_assert_true(bp_qemu_storage_is_running(st));
    g_assert_true(bp_qemu_storage_is_child(st));
    g_assert_cmpint(bp_qemu_storage_get_pid(st), >, 0);
    g_assert_true(bp_qemu_storage_process_matches(bp_qemu_storage_get_pid(st),
                                                  bp_qemu_storage_get_qmp_socket(st)));
    g_assert_cmpint(g_stat(d.config->runtime_dir, &sb), ==, 0);
    g_assert_cmpint(sb.st_mode & 0777, ==, 0700);
    assert_private_socket(bp_qemu_storage_get_qmp_socket(st));
    assert_private_socket(bp_qemu_storage_get_nbd_socket(st));
    assert_private_socket(bp_qemu_storage_get_export_socket(st, "vdb"));
    g_assert_true(g_str_has_suffix(bp_qemu_storage_get_export_socket(st, "vdb"),
                                   "/vhost-vdb.sock"));
    uri = bp_qemu_storage_get_export_uri(st, "vda");
    g_assert_true(g_str_has_prefix(uri, "nbd+unix:///vda?socket="));
    g_assert_null(bp_qemu_storage_get_export_uri(st, "vdb"));
    g_assert_cmpstr(bp_qemu_storage_get_top_node(st, "vda"), ==, "bp-vda-2-fmt");
    g_assert_cmpstr(bp_qemu_storage_get_top_node(st, "vdb"), ==, "bp-vdb-0-fmt");

    /* Every layer has its own named node; backing layers are read-only
     * and the bitmap in the base is addressable. */
    graph = qt_graph(st);
    dump = bp_block_graph_dump(graph);
    expected = g_strdup_printf(
        "disk vda\n"
        "  bp-vda-2-fmt qcow2 rw size=67108864 cluster=65536 file=%s\n"
        "  bp-vda-1-fmt qcow2 ro size=67108864 cluster=65536 file=%s\n"
        "  bp-vda-0-fmt qcow2 ro size=67108864 cluster=65536 file=%s\n"
        "    bitmap bb gran=65536 record=1 busy=0 persistent=1 inconsistent=0 count=0\n"
        "disk vdb\n"
        "  bp-vdb-0-fmt qcow2 rw size=33554432 cluster=65536 file=%s\n",
        d.top, d.mid, d.base, d.vdb);
    g_assert_cmpstr(dump, ==, expected);
    g_assert_cmpstr(((BpBlockNode *) g_ptr_array_index(
                        bp_block_graph_get_disk(graph, "vda")->chain, 0))->file_node,
                    ==, "bp-vda-2-file");
    /* QEMU would accept a persistent bitmap on the read-only base and
     * drop it at close: the guard says no, the active layer is fine. */
    g_assert_false(bp_block_node_check_persistent_bitmap(
                       bp_block_graph_lookup(graph, "bp-vda-0-fmt"), &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_OPERATION_INVALID);
    g_assert_nonnull(strstr(err->message, "bp-vda-0-fmt"));
    g_clear_error(&err);
    g_assert_true(bp_block_node_check_persistent_bitmap(
                      bp_block_graph_lookup(graph, "bp-vda-2-fmt"), &err));
    g_assert_false(bp_block_node_check_persistent_bitmap(
                       bp_block_graph_lookup(graph, "bp-vda-2-file"), &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_OPERATION_INVALID);
    g_clear_error(&err);
    g_clear_pointer(&graph, bp_block_graph_free);

    mon = bp_qemu_storage_get_monitor(st);
    g_assert_true(qt_qmp(mon, "block-dirty-bitmap-add",
                         "{\"node\": \"bp-vda-2-fmt\", \"name\": \"cp1\", \"persistent\": true}",
                         &err));
    g_assert_true(qt_qmp(mon, "block-dirty-bitmap-add",
                         "{\"node\": \"bp-vdb-0-fmt\", \"name\": \"cp1\", \"persistent\": true,"
                         " \"granularity\": 131072}", &err));
    g_assert_no_error(err);

    /* Guest writes: 64 KiB, 100 KiB over two clusters, one byte, 4 KiB. */
    qt_nbd_write(bp_qemu_storage_get_nbd_socket(st), "vda", 0, 64 * KiB, 0xaa);
    qt_nbd_write(bp_qemu_storage_get_nbd_socket(st), "vda", 10 * MiB, 100 * KiB, 0xbb);
    qt_nbd_write(bp_qemu_storage_get_nbd_socket(st), "vda", 20971865, 1, 0xcc);
    qt_nbd_write(bp_qemu_storage_get_nbd_socket(st), "vda", 30 * MiB, 4 * KiB, 0xdd);
    qt_nbd_check(bp_qemu_storage_get_nbd_socket(st), "vda", 0, 64 * KiB, 0xaa);
    /* The base's data shows through mid and top. */
    qt_nbd_check(bp_qemu_storage_get_nbd_socket(st), "vda", 40 * MiB, 64 * KiB, 0x5a);

    graph = qt_graph(st);
    b = qt_bitmap(graph, "vda", 0, "cp1");
    g_assert_nonnull(b);
    g_assert_cmpuint(b->count, ==, 64 * KiB + 128 * KiB + 64 * KiB + 64 * KiB);
    g_assert_true(b->recording && b->persistent && !b->busy && !b->inconsistent);
    g_assert_cmpuint(qt_bitmap(graph, "vda", 2, "bb")->count, ==, 0);
    g_assert_cmpuint(qt_bitmap(graph, "vdb", 0, "cp1")->count, ==, 0);
    g_assert_cmpuint(qt_bitmap(graph, "vdb", 0, "cp1")->granularity, ==, 131072);
    g_clear_pointer(&graph, bp_block_graph_free);

    /* A push backup through the typed wrappers; QEMU keeps the finished
     * job until we dismiss it. */
    target = qt_image(d.dir, "backup.qcow2", "64M", NULL);
    tgt_json = g_strdup_printf("{\"driver\": \"qcow2\", \"node-name\": \"bk-tgt\", "
                               "\"file\": {\"driver\": \"file\", \"filename\": \"%s\"}}",
                               target);
    g_assert_true(qt_qmp(mon, "blockdev-add", tgt_json, &err));
    backup.device = bp_qemu_storage_get_top_node(st, "vda");
    bp_sync_call_begin(&call);
    bp_qmp_blockdev_backup_async(mon, &backup, NULL, bp_sync_call_ready, &call);
    g_assert_true(bp_qmp_command_finish(mon, bp_sync_call_wait(&call), &err));
    bp_sync_call_end(&call);
    bp_sync_call_begin(&call);
    bp_qmp_job_wait_async(mon, "bk1", "concluded", 30000, NULL, bp_sync_call_ready, &call);
    job = bp_qmp_job_wait_finish(mon, bp_sync_call_wait(&call), &err);
    bp_sync_call_end(&call);
    g_assert_no_error(err);
    g_assert_cmpstr(job->status, ==, "concluded");
    g_assert_null(job->error);
    bp_sync_call_begin(&call);
    bp_qmp_job_dismiss_async(mon, "bk1", NULL, bp_sync_call_ready, &call);
    g_assert_true(bp_qmp_command_finish(mon, bp_sync_call_wait(&call), &err));
    bp_sync_call_end(&call);
    g_assert_true(qt_qmp(mon, "blockdev-del", "{\"node-name\": \"bk-tgt\"}", &err));
    out = qt_qemu_img("compare", "-q", "-f", "qcow2", "-F", "raw", target, uri, NULL);
    g_clear_pointer(&out, g_free);

    /* Clean stop: quit, and the bitmaps reach the images. */
    qt_stop(st);
    info = bp_qemu_storage_get_exit_info(st);
    g_assert_true(info->clean);
    g_assert_true(info->requested);
    g_assert_false(info->killed);
    g_assert_cmpint(info->exit_status, ==, 0);
    g_assert_null(bp_qemu_storage_get_monitor(st));
    flags = qt_bitmap_flags(d.top, "cp1");
    g_assert_cmpstr(flags, ==, "auto");
    g_clear_pointer(&flags, g_free);
    g_assert_cmpuint(qt_bitmap_granularity(d.vdb, "cp1"), ==, 131072);
    flags = qt_bitmap_flags(d.base, "bb");
    g_assert_cmpstr(flags, ==, "auto");
    g_assert_null(qt_bitmap_flags(d.mid, "cp1"));

    /* Started again, the bitmap still has its bits and keeps recording. */
    st2 = qt_start(d.config, d.disks, 2, BP_QEMU_STORAGE_START_DEFAULT, &err);
    g_assert_no_error(err);
    graph = qt_graph(st2);
    b = qt_bitmap(graph, "vda", 0, "cp1");
    g_assert_cmpuint(b->count, ==, 320 * KiB);
    g_assert_true(b->recording && b->persistent && !b->inconsistent);
    g_clear_pointer(&graph, bp_block_graph_free);
    qt_nbd_write(bp_qemu_storage_get_nbd_socket(st2), "vda", 50 * MiB, 64 * KiB, 0xee);
    graph = qt_graph(st2);
    g_assert_cmpuint(qt_bitmap(graph, "vda", 0, "cp1")->count, ==, 384 * KiB);
    qt_stop(st2);
    g_assert_true(bp_qemu_storage_get_exit_info(st2)->clean);
    domain_clear(&d);
}


static void
test_sigkill(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQemuStorage) st = NULL;
    g_autoptr(BpQemuStorage) st2 = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autofree char *flags = NULL;
    const BpQemuExitInfo *info;
    BpBitmapInfo *b;
    gboolean exited = FALSE;
    gint64 t0, latency;
    Domain d = { 0 };

    domain_init(&d);
    g_free(qt_qemu_img("bitmap", "--add", d.top, "old", NULL));
    st = qt_start(d.config, d.disks, 1, BP_QEMU_STORAGE_START_DEFAULT, &err);
    g_assert_no_error(err);
    g_assert_true(qt_qmp(bp_qemu_storage_get_monitor(st), "block-dirty-bitmap-add",
                         "{\"node\": \"bp-vda-2-fmt\", \"name\": \"new\", \"persistent\": true}",
                         &err));
    qt_nbd_write(bp_qemu_storage_get_nbd_socket(st), "vda", 0, 64 * KiB, 0x11);
    g_signal_connect(st, "exited", G_CALLBACK(exited_cb), &exited);

    g_test_expect_message("blkpoint-qemu", G_LOG_LEVEL_WARNING, "*unexpectedly*");
    t0 = g_get_monotonic_time();
    g_assert_cmpint(kill(bp_qemu_storage_get_pid(st), SIGKILL), ==, 0);
    g_assert_true(qt_wait(&exited, 10000));
    latency = g_get_monotonic_time() - t0;
    g_test_assert_expected_messages();
    g_test_message("SIGKILL noticed after %.1f ms", latency / 1000.0);
    g_assert_cmpint(latency, <, G_USEC_PER_SEC);

    info = bp_qemu_storage_get_exit_info(st);
    g_assert_false(info->clean);
    g_assert_false(info->requested);
    g_assert_cmpint(info->term_signal, ==, SIGKILL);
    g_assert_nonnull(strstr(info->message, "inconsistent"));
    g_assert_false(bp_qemu_storage_is_running(st));
    g_assert_null(bp_qemu_storage_get_monitor(st));

    /* On disk: the bitmap loaded at open is left in use, the one added
     * at runtime never got there. */
    flags = qt_bitmap_flags(d.top, "old");
    g_assert_nonnull(strstr(flags, "in-use"));
    g_assert_null(qt_bitmap_flags(d.top, "new"));

    st2 = qt_start(d.config, d.disks, 1, BP_QEMU_STORAGE_START_DEFAULT, &err);
    g_assert_no_error(err);
    graph = qt_graph(st2);
    b = qt_bitmap(graph, "vda", 0, "old");
    g_assert_nonnull(b);
    g_assert_true(b->inconsistent);
    g_assert_false(b->recording);
    g_assert_null(qt_bitmap(graph, "vda", 0, "new"));
    g_clear_pointer(&graph, bp_block_graph_free);
    /* Only removal works on an inconsistent bitmap. */
    g_assert_false(qt_qmp(bp_qemu_storage_get_monitor(st2), "block-dirty-bitmap-enable",
                          "{\"node\": \"bp-vda-2-fmt\", \"name\": \"old\"}", &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_QEMU);
    g_assert_nonnull(strstr(err->message, "inconsistent"));
    g_clear_error(&err);
    g_assert_true(qt_qmp(bp_qemu_storage_get_monitor(st2), "block-dirty-bitmap-remove",
                         "{\"node\": \"bp-vda-2-fmt\", \"name\": \"old\"}", &err));
    qt_stop(st2);
    g_assert_true(bp_qemu_storage_get_exit_info(st2)->clean);
    g_assert_null(qt_bitmap_flags(d.top, "old"));
    domain_clear(&d);
}


static void
reconnect(Domain *d, GPid pid, const char *qmp, BpQemuStorage **out, GError **error)
{
    BpSyncCall call;

    bp_sync_call_begin(&call);
    bp_qemu_storage_reconnect_async(d->config, d->disks, 2, pid, qmp, NULL,
                                    bp_sync_call_ready, &call);
    *out = bp_qemu_storage_reconnect_finish(bp_sync_call_wait(&call), error);
    bp_sync_call_end(&call);
}


static void
test_reconnect(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQemuStorage) st = NULL;
    g_autoptr(BpQemuStorage) again = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autofree char *qmp = NULL;
    g_autofree char *flags = NULL;
    const BpQemuExitInfo *info;
    gboolean exited = FALSE;
    GPid pid;
    Domain d = { 0 };

    domain_init(&d);
    st = qt_start(d.config, d.disks, 2, BP_QEMU_STORAGE_START_DEFAULT, &err);
    g_assert_no_error(err);
    g_assert_true(qt_qmp(bp_qemu_storage_get_monitor(st), "block-dirty-bitmap-add",
                         "{\"node\": \"bp-vda-2-fmt\", \"name\": \"cp1\", \"persistent\": true}",
                         &err));
    qt_nbd_write(bp_qemu_storage_get_nbd_socket(st), "vda", 0, 64 * KiB, 0x22);
    pid = bp_qemu_storage_get_pid(st);
    qmp = g_strdup(bp_qemu_storage_get_qmp_socket(st));

    /* The daemon goes away (here: drops its object); QSD must not. */
    g_clear_object(&st);
    g_usleep(100 * 1000);
    g_assert_cmpint(kill(pid, 0), ==, 0);
    g_assert_true(bp_qemu_storage_process_matches(pid, qmp));

    /* A second start on the same runtime directory is refused. */
    again = qt_start(d.config, d.disks, 2, BP_QEMU_STORAGE_START_DEFAULT, &err);
    g_assert_null(again);
    g_assert_error(err, BP_ERROR, BP_ERROR_EXISTS);
    g_clear_error(&err);

    reconnect(&d, pid, qmp, &st, &err);
    g_assert_no_error(err);
    g_assert_false(bp_qemu_storage_is_child(st));
    g_assert_cmpint(bp_qemu_storage_get_pid(st), ==, pid);
    g_assert_cmpstr(bp_qemu_storage_get_top_node(st, "vda"), ==, "bp-vda-2-fmt");
    g_assert_cmpstr(bp_qemu_storage_get_top_node(st, "vdb"), ==, "bp-vdb-0-fmt");
    qt_nbd_write(bp_qemu_storage_get_nbd_socket(st), "vda", 1 * MiB, 64 * KiB, 0x33);
    graph = qt_graph(st);
    g_assert_cmpuint(qt_bitmap(graph, "vda", 0, "cp1")->count, ==, 128 * KiB);
    g_assert_cmpuint(bp_block_graph_get_disk(graph, "vda")->chain->len, ==, 3);

    g_signal_connect(st, "exited", G_CALLBACK(exited_cb), &exited);
    qt_stop(st);
    g_assert_true(exited);
    info = bp_qemu_storage_get_exit_info(st);
    g_assert_true(info->clean);
    g_assert_cmpint(info->exit_status, ==, -1);   /* not our child */
    flags = qt_bitmap_flags(d.top, "cp1");
    g_assert_cmpstr(flags, ==, "auto");

    /* Reconnecting to a QSD that is gone fails and says so. */
    g_clear_object(&st);
    reconnect(&d, pid, qmp, &st, &err);
    g_assert_null(st);
    g_assert_error(err, BP_ERROR, BP_ERROR_QEMU);
    g_assert_nonnull(strstr(err->message, "no longer running"));
    domain_clear(&d);
}


static void
test_start_errors(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQemuStorage) st = NULL;
    g_autoptr(BpQemuStorage) other = NULL;
    g_autoptr(BpQemuRuntimeConfig) config2 = NULL;
    g_autoptr(BpQemuDiskSpec) explicit_spec = bp_qemu_disk_spec_new("vda", BP_QEMU_EXPORT_NBD);
    g_autoptr(BpQemuDiskSpec) probed = bp_qemu_disk_spec_new("vda", BP_QEMU_EXPORT_NBD);
    g_autoptr(BpQemuDiskSpec) longname = bp_qemu_disk_spec_new("a-target-name-far-too-long",
                                                               BP_QEMU_EXPORT_NBD);
    g_autofree char *rt2 = NULL;
    g_autofree char *img = NULL;
    Domain d = { 0 };

    domain_init(&d);
    img = qt_image(d.dir, "single.qcow2", "16M", NULL);
    explicit_spec->chain_complete = TRUE;
    bp_qemu_disk_spec_add_layer(explicit_spec, img, "qcow2", NULL);
    bp_qemu_disk_spec_add_layer(probed, img, NULL, NULL);
    bp_qemu_disk_spec_add_layer(longname, img, "qcow2", NULL);
    longname->chain_complete = TRUE;

    st = qt_start(d.config, &explicit_spec, 1, BP_QEMU_STORAGE_START_DEFAULT, &err);
    g_assert_no_error(err);
    rt2 = g_build_filename(d.dir, "run2", NULL);
    config2 = bp_qemu_runtime_config_new("vm2", rt2);

    /* The image is held: qemu-img refuses to read it for the chain... */
    other = qt_start(config2, &probed, 1, BP_QEMU_STORAGE_START_DEFAULT, &err);
    g_assert_null(other);
    g_assert_error(err, BP_ERROR, BP_ERROR_BUSY);
    g_assert_nonnull(strstr(err->message, img));
    g_clear_error(&err);
    /* ...and a second QSD cannot lock it. */
    other = qt_start(config2, &explicit_spec, 1, BP_QEMU_STORAGE_START_DEFAULT, &err);
    g_assert_null(other);
    g_assert_error(err, BP_ERROR, BP_ERROR_BUSY);
    g_assert_nonnull(strstr(err->message, "lock"));
    g_test_message("second QSD: %s", err->message);
    g_clear_error(&err);

    other = qt_start(config2, &longname, 1, BP_QEMU_STORAGE_START_DEFAULT, &err);
    g_assert_null(other);
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(err->message, "a-target-name-far-too-long"));
    g_clear_error(&err);

    qt_stop(st);
    domain_clear(&d);
}


/* A QSD that dies at once (here: a stand-in that reports a lock failure
 * and exits) may be gone before the spawn call returns.  Each start must
 * still know its pid, report the failure with QSD's output and reap the
 * child; it once read a pid that GLib had already forgotten and crashed
 * (on a loaded machine, in the "second QSD cannot lock it" start above). */
static void
test_start_dies_at_once(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *rt = g_build_filename(dir, "run", NULL);
    g_autofree char *img = qt_image(dir, "disk.qcow2", "1M", NULL);
    g_autofree char *fake = g_build_filename(dir, "fake-qsd", NULL);
    g_autoptr(BpQemuRuntimeConfig) config = bp_qemu_runtime_config_new("vm", rt);
    g_autoptr(BpQemuDiskSpec) spec = bp_qemu_disk_spec_new("vda", BP_QEMU_EXPORT_NBD);
    g_autoptr(GError) err = NULL;
    const char *script =
        "#!/bin/sh\n"
        "echo 'fake-qsd: Failed to get \"write\" lock' >&2\n"
        "exit 1\n";

    g_assert_true(g_file_set_contents(fake, script, -1, &err));
    g_assert_cmpint(g_chmod(fake, 0700), ==, 0);
    config->qsd_path = g_strdup(fake);
    spec->chain_complete = TRUE;
    bp_qemu_disk_spec_add_layer(spec, img, "qcow2", NULL);

    for (int i = 0; i < 50; i++) {
        g_autoptr(BpQemuStorage) st = qt_start(config, &spec, 1,
                                               BP_QEMU_STORAGE_START_DEFAULT, &err);

        g_assert_null(st);
        g_assert_error(err, BP_ERROR, BP_ERROR_BUSY);
        g_assert_nonnull(strstr(err->message, "fake-qsd: Failed to get \"write\" lock"));
        g_clear_error(&err);
    }
    /* Every stand-in was reaped: no child of ours is left. */
    g_assert_cmpint(waitpid(-1, NULL, WNOHANG), ==, -1);
    bp_test_rmdir(dir);
}


/* A QSD that does not react to quit (stopped with SIGSTOP) is killed
 * after the stop timeout, and the exit is recorded as unclean. */
static void
test_stop_timeout(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQemuStorage) st = NULL;
    const BpQemuExitInfo *info;
    gint64 t0;
    Domain d = { 0 };

    domain_init(&d);
    d.config->stop_timeout_ms = 300;
    st = qt_start(d.config, d.disks, 1, BP_QEMU_STORAGE_START_DEFAULT, &err);
    g_assert_no_error(err);
    g_assert_cmpint(kill(bp_qemu_storage_get_pid(st), SIGSTOP), ==, 0);
    g_test_expect_message("blkpoint-qemu", G_LOG_LEVEL_WARNING, "*did not exit after quit*");
    g_test_expect_message("blkpoint-qemu", G_LOG_LEVEL_WARNING, "*ignored quit*");
    t0 = g_get_monotonic_time();
    qt_stop(st);
    g_test_assert_expected_messages();
    g_assert_cmpint(g_get_monotonic_time() - t0, >=, 300 * 1000);
    info = bp_qemu_storage_get_exit_info(st);
    g_assert_false(info->clean);
    g_assert_true(info->requested);
    g_assert_true(info->killed);
    g_assert_cmpint(info->term_signal, ==, SIGKILL);
    domain_clear(&d);
}


/* Helper mode of this program: start the domain, print the pid and QMP
 * socket of its QSD, and die the way a crashing daemon does. */
static int
helper_start_and_crash(const char *runtime_dir, const char *image)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQemuRuntimeConfig) config = bp_qemu_runtime_config_new("vm", runtime_dir);
    g_autoptr(BpQemuDiskSpec) spec = bp_qemu_disk_spec_new("vda", BP_QEMU_EXPORT_NBD);
    BpQemuStorage *st;

    bp_qemu_disk_spec_add_layer(spec, image, "qcow2", NULL);
    spec->chain_complete = TRUE;
    st = qt_start(config, &spec, 1, BP_QEMU_STORAGE_START_DEFAULT, &err);
    if (!st) {
        fprintf(stderr, "%s\n", err->message);
        return 1;
    }
    printf("%d %s\n", bp_qemu_storage_get_pid(st), bp_qemu_storage_get_qmp_socket(st));
    fflush(stdout);
    raise(SIGKILL);
    return 1;
}


static void
test_daemon_crash(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQemuStorage) st = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autoptr(BpQemuRuntimeConfig) config = NULL;
    g_autoptr(BpQemuDiskSpec) spec = bp_qemu_disk_spec_new("vda", BP_QEMU_EXPORT_NBD);
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *rt = g_build_filename(dir, "run", NULL);
    g_autofree char *img = qt_image(dir, "disk.qcow2", "16M", NULL);
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *nbd = NULL;
    g_autofree char *out = NULL;
    g_auto(GStrv) fields = NULL;
    const char *argv[] = { self, "--start-and-crash", rt, img, NULL };
    BpSyncCall call;
    int status;
    GPid pid;

    g_free(qt_qemu_img("bitmap", "--add", img, "cp1", NULL));
    g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                 &status, &err);
    g_assert_no_error(err);
    g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    fields = g_strsplit(g_strstrip(out), " ", 2);
    g_assert_cmpuint(g_strv_length(fields), ==, 2);
    pid = atoi(fields[0]);

    /* The daemon is gone; its domain runs on and still takes writes. */
    g_assert_true(bp_qemu_storage_process_matches(pid, fields[1]));
    nbd = g_build_filename(rt, "nbd.sock", NULL);
    qt_nbd_write(nbd, "vda", 0, 64 * KiB, 0x66);

    config = bp_qemu_runtime_config_new("vm", rt);
    bp_qemu_disk_spec_add_layer(spec, img, "qcow2", NULL);
    bp_sync_call_begin(&call);
    bp_qemu_storage_reconnect_async(config, &spec, 1, pid, fields[1], NULL,
                                    bp_sync_call_ready, &call);
    st = bp_qemu_storage_reconnect_finish(bp_sync_call_wait(&call), &err);
    bp_sync_call_end(&call);
    g_assert_no_error(err);
    graph = qt_graph(st);
    g_assert_cmpuint(qt_bitmap(graph, "vda", 0, "cp1")->count, ==, 64 * KiB);
    g_assert_false(qt_bitmap(graph, "vda", 0, "cp1")->inconsistent);
    qt_stop(st);
    g_assert_true(bp_qemu_storage_get_exit_info(st)->clean);
    g_free(out);
    out = qt_bitmap_flags(img, "cp1");
    g_assert_cmpstr(out, ==, "auto");
    bp_test_rmdir(dir);
}


/* ---- the typed wrappers against QEMU ----------------------------------------- */

#define RUN(mon, call_expr) G_STMT_START { \
    BpSyncCall _c; \
    g_autoptr(GError) _e = NULL; \
    bp_sync_call_begin(&_c); \
    call_expr; \
    if (!bp_qmp_command_finish((mon), bp_sync_call_wait(&_c), &_e)) \
        g_error("%s: %s", #call_expr, _e->message); \
    bp_sync_call_end(&_c); \
} G_STMT_END
#define CB bp_sync_call_ready, &_c


static BpQmpJobInfo *
wait_job(BpQmpMonitor *mon, const char *id, const char *status)
{
    g_autoptr(GError) err = NULL;
    BpQmpJobInfo *info;
    BpSyncCall call;

    bp_sync_call_begin(&call);
    bp_qmp_job_wait_async(mon, id, status, 30000, NULL, bp_sync_call_ready, &call);
    info = bp_qmp_job_wait_finish(mon, bp_sync_call_wait(&call), &err);
    bp_sync_call_end(&call);
    g_assert_no_error(err);
    return info;
}


static JsonObject *
qcow2_options(const char *node, const char *file_node, const char *path)
{
    JsonObject *opts = json_object_new();
    JsonObject *file = json_object_new();

    json_object_set_string_member(file, "driver", "file");
    json_object_set_string_member(file, "node-name", file_node);
    json_object_set_string_member(file, "filename", path);
    json_object_set_string_member(opts, "driver", "qcow2");
    json_object_set_string_member(opts, "node-name", node);
    json_object_set_object_member(opts, "file", file);
    json_object_set_null_member(opts, "backing");
    return opts;
}


static void
test_wrappers(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQemuStorage) st = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autoptr(JsonObject) tgt = NULL;
    g_autoptr(JsonObject) ovl = NULL;
    g_autoptr(JsonObject) create = json_object_new();
    g_autoptr(JsonArray) actions = json_array_new();
    g_autoptr(JsonArray) reopen = json_array_new();
    g_autoptr(JsonObject) exp = NULL;
    g_autoptr(GPtrArray) blocks = NULL;
    g_autofree char *created = NULL;
    g_autofree char *target = NULL;
    g_autofree char *overlay = NULL;
    g_autofree char *ov_fmt = NULL;
    g_autofree char *ov_file = NULL;
    g_autofree char *nbd2 = NULL;
    BpQmpBackupArgs slow = { .job_id = "bk-slow", .target = "bk-tgt", .sync = "full",
                             .speed = 1 };
    BpQmpCommitArgs commit = { .job_id = "commit1" };
    BpQmpJobInfo *info;
    BpQmpMonitor *mon;
    BpBlockDisk *disk;
    BpSyncCall call;
    GStatBuf sb;
    Domain d = { 0 };

    domain_init(&d);
    st = qt_start(d.config, d.disks, 1, BP_QEMU_STORAGE_START_DEFAULT, &err);
    g_assert_no_error(err);
    mon = bp_qemu_storage_get_monitor(st);

    /* blockdev-create: a job that makes a 1 MiB file. */
    created = g_build_filename(d.dir, "created.img", NULL);
    json_object_set_string_member(create, "driver", "file");
    json_object_set_string_member(create, "filename", created);
    json_object_set_int_member(create, "size", MiB);
    RUN(mon, bp_qmp_blockdev_create_async(mon, "create1", create, NULL, CB));
    info = wait_job(mon, "create1", "concluded");
    g_assert_null(info->error);
    g_assert_cmpstr(info->type, ==, "create");
    bp_qmp_job_info_free(info);
    RUN(mon, bp_qmp_job_dismiss_async(mon, "create1", NULL, CB));
    g_assert_cmpint(g_stat(created, &sb), ==, 0);
    g_assert_cmpint(sb.st_size, ==, MiB);

    /* A backup held back by its speed limit, cancelled two ways. */
    target = qt_image(d.dir, "target.qcow2", "64M", NULL);
    tgt = qcow2_options("bk-tgt", "bk-tgt-file", target);
    RUN(mon, bp_qmp_blockdev_add_async(mon, tgt, NULL, CB));
    slow.device = "bp-vda-2-fmt";
    RUN(mon, bp_qmp_blockdev_backup_async(mon, &slow, NULL, CB));
    RUN(mon, bp_qmp_job_cancel_async(mon, "bk-slow", NULL, CB));
    info = wait_job(mon, "bk-slow", "concluded");
    g_assert_nonnull(info->error);
    bp_qmp_job_info_free(info);
    RUN(mon, bp_qmp_job_dismiss_async(mon, "bk-slow", NULL, CB));
    RUN(mon, bp_qmp_blockdev_backup_async(mon, &slow, NULL, CB));
    RUN(mon, bp_qmp_block_job_cancel_async(mon, "bk-slow", TRUE, NULL, CB));
    info = wait_job(mon, "bk-slow", "concluded");
    g_assert_cmpstr(info->status, ==, "concluded");
    bp_qmp_job_info_free(info);
    RUN(mon, bp_qmp_job_dismiss_async(mon, "bk-slow", NULL, CB));
    RUN(mon, bp_qmp_blockdev_del_async(mon, "bk-tgt", NULL, CB));

    /* External snapshot: the overlay gets its bitmap in the same
     * transaction, and is named as the next layer. */
    overlay = g_build_filename(d.dir, "overlay.qcow2", NULL);
    g_free(qt_qemu_img("create", "-q", "-f", "qcow2", "-u", "-b", d.top, "-F", "qcow2",
                       overlay, "64M", NULL));
    ov_fmt = bp_qemu_node_name("vda", 3, FALSE, &err);
    ov_file = bp_qemu_node_name("vda", 3, TRUE, &err);
    g_assert_cmpstr(ov_fmt, ==, "bp-vda-3-fmt");
    ovl = qcow2_options(ov_fmt, ov_file, overlay);
    RUN(mon, bp_qmp_blockdev_add_async(mon, ovl, NULL, CB));
    json_array_add_object_element(actions,
        bp_qmp_action_new("block-dirty-bitmap-add",
                          bp_qmp_args_bitmap_add(ov_fmt, "cp1", 0, TRUE, FALSE)));
    json_array_add_object_element(actions,
        bp_qmp_action_new("blockdev-snapshot",
                          bp_qmp_args_blockdev_snapshot("bp-vda-2-fmt", ov_fmt)));
    RUN(mon, bp_qmp_transaction_async(mon, actions, FALSE, NULL, CB));
    bp_qemu_storage_set_top_node(st, "vda", ov_fmt);
    qt_nbd_write(bp_qemu_storage_get_nbd_socket(st), "vda", 2 * MiB, 64 * KiB, 0x77);
    graph = qt_graph(st);
    disk = bp_block_graph_get_disk(graph, "vda");
    g_assert_cmpuint(disk->chain->len, ==, 4);
    g_assert_true(((BpBlockNode *) g_ptr_array_index(disk->chain, 1))->read_only);
    g_assert_cmpuint(qt_bitmap(graph, "vda", 0, "cp1")->count, ==, 64 * KiB);
    g_clear_pointer(&graph, bp_block_graph_free);

    /* blockdev-reopen the old top read-write and back. */
    {
        g_autoptr(JsonObject) rw = qcow2_options("bp-vda-2-fmt", "bp-vda-2-file", d.top);

        json_object_set_string_member(rw, "file", "bp-vda-2-file");
        json_object_set_string_member(rw, "backing", "bp-vda-1-fmt");
        json_object_set_boolean_member(rw, "read-only", FALSE);
        json_array_add_object_element(reopen, json_object_ref(rw));
        RUN(mon, bp_qmp_blockdev_reopen_async(mon, reopen, NULL, CB));
        graph = qt_graph(st);
        g_assert_false(((BpBlockNode *) g_ptr_array_index(
                            bp_block_graph_get_disk(graph, "vda")->chain, 1))->read_only);
        g_clear_pointer(&graph, bp_block_graph_free);
        json_object_set_boolean_member(rw, "read-only", TRUE);
        RUN(mon, bp_qmp_blockdev_reopen_async(mon, reopen, NULL, CB));
    }

    /* Active commit back into the old top: READY, then complete. */
    commit.device = ov_fmt;
    commit.base_node = "bp-vda-2-fmt";
    RUN(mon, bp_qmp_block_commit_async(mon, &commit, NULL, CB));
    info = wait_job(mon, "commit1", "ready");
    g_assert_cmpstr(info->status, ==, "ready");
    bp_qmp_job_info_free(info);
    RUN(mon, bp_qmp_job_complete_async(mon, "commit1", NULL, CB));
    info = wait_job(mon, "commit1", "concluded");
    g_assert_null(info->error);
    bp_qmp_job_info_free(info);
    RUN(mon, bp_qmp_job_dismiss_async(mon, "commit1", NULL, CB));
    RUN(mon, bp_qmp_blockdev_del_async(mon, ov_fmt, NULL, CB));
    bp_qemu_storage_set_top_node(st, "vda", "bp-vda-2-fmt");
    graph = qt_graph(st);
    g_assert_cmpuint(bp_block_graph_get_disk(graph, "vda")->chain->len, ==, 3);
    g_assert_null(bp_block_graph_lookup(graph, ov_fmt));
    g_clear_pointer(&graph, bp_block_graph_free);
    qt_nbd_check(bp_qemu_storage_get_nbd_socket(st), "vda", 2 * MiB, 64 * KiB, 0x77);

    /* Exports: a read-only one of the base, then a new NBD server. */
    exp = bp_qmp_args_export_nbd("exp-base", "bp-vda-0-fmt", "base", FALSE, NULL);
    RUN(mon, bp_qmp_block_export_add_async(mon, exp, NULL, CB));
    qt_nbd_check(bp_qemu_storage_get_nbd_socket(st), "base", 40 * MiB, 64 * KiB, 0x5a);
    RUN(mon, bp_qmp_block_export_del_async(mon, "exp-base", FALSE, NULL, CB));
    RUN(mon, bp_qmp_block_export_del_async(mon, "bp-exp-vda", TRUE, NULL, CB));
    RUN(mon, bp_qmp_nbd_server_stop_async(mon, NULL, CB));
    nbd2 = g_build_filename(d.config->runtime_dir, "nbd2.sock", NULL);
    RUN(mon, bp_qmp_nbd_server_start_unix_async(mon, nbd2, NULL, CB));
    g_clear_pointer(&exp, json_object_unref);
    exp = bp_qmp_args_export_nbd("again", "bp-vda-2-fmt", "vda", TRUE, NULL);
    RUN(mon, bp_qmp_block_export_add_async(mon, exp, NULL, CB));
    qt_nbd_check(nbd2, "vda", 0, 4 * KiB, 0x00);

    bp_sync_call_begin(&call);
    bp_qmp_query_block_async(mon, NULL, bp_sync_call_ready, &call);
    blocks = bp_qmp_query_block_finish(mon, bp_sync_call_wait(&call), &err);
    bp_sync_call_end(&call);
    g_assert_no_error(err);
    g_assert_nonnull(blocks);

    qt_stop(st);
    g_assert_true(bp_qemu_storage_get_exit_info(st)->clean);
    domain_clear(&d);
}


/* ---- attach ---------------------------------------------------------------- */

static void
disconnected_cb(BpQemuAttach *attach, const GError *why, gpointer user_data)
{
    *(gboolean *) user_data = TRUE;
}


static BpQemuAttach *
attach(const char *qmp, BpQemuDiskSpec *spec, guint timeout_ms, GError **error)
{
    BpSyncCall call;
    BpQemuAttach *at;

    bp_sync_call_begin(&call);
    bp_qemu_attach_async("guest", qmp, &spec, 1, timeout_ms, NULL, bp_sync_call_ready, &call);
    at = bp_qemu_attach_finish(bp_sync_call_wait(&call), error);
    bp_sync_call_end(&call);
    return at;
}


static void
test_attach(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GSubprocess) qsd = NULL;
    g_autoptr(BpQemuAttach) at = NULL;
    g_autoptr(BpQemuAttach) second = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autoptr(BpQemuDiskSpec) by_file = bp_qemu_disk_spec_new("vda", BP_QEMU_EXPORT_NONE);
    g_autoptr(BpQemuDiskSpec) by_name = bp_qemu_disk_spec_new("vda", BP_QEMU_EXPORT_NONE);
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *base = qt_image(dir, "b.qcow2", "16M", NULL);
    g_autofree char *top = qt_image(dir, "t.qcow2", "16M", base);
    g_autofree char *qmp = g_build_filename(dir, "qemu.qmp", NULL);
    g_autofree char *b0 = g_strdup_printf("{\"driver\": \"qcow2\", \"node-name\": \"b0\", "
                                          "\"read-only\": true, \"backing\": null, \"file\": "
                                          "{\"driver\": \"file\", \"filename\": \"%s\"}}", base);
    g_autofree char *t0 = g_strdup_printf("{\"driver\": \"qcow2\", \"node-name\": \"guest-disk\","
                                          " \"backing\": \"b0\", \"file\": "
                                          "{\"driver\": \"file\", \"filename\": \"%s\"}}", top);
    g_autofree char *chardev = g_strdup_printf("socket,id=m,path=%s,server=on,wait=off", qmp);
    BpBlockDisk *disk;
    gboolean disconnected = FALSE;

    /* Somebody else's QEMU, with node names of its own.  Not on our
     * stdout: if an assertion aborts the test, this QSD lives on and
     * would keep the TAP driver's pipe open (make check hangs). */
    qsd = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &err, g_getenv("QEMU_STORAGE_DAEMON"),
                           "--blockdev", b0, "--blockdev", t0, "--chardev", chardev,
                           "--monitor", "chardev=m", NULL);
    g_assert_no_error(err);
    for (int i = 0; i < 500 && !g_file_test(qmp, G_FILE_TEST_EXISTS); i++)
        g_usleep(10 * 1000);

    bp_qemu_disk_spec_add_layer(by_file, top, NULL, NULL);
    at = attach(qmp, by_file, 0, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(bp_qemu_attach_get_top_node(at, "vda"), ==, "guest-disk");
    {
        BpSyncCall call;

        bp_sync_call_begin(&call);
        bp_qemu_attach_read_graph_async(at, NULL, bp_sync_call_ready, &call);
        graph = bp_qemu_attach_read_graph_finish(at, bp_sync_call_wait(&call), &err);
        bp_sync_call_end(&call);
    }
    g_assert_no_error(err);
    disk = bp_block_graph_get_disk(graph, "vda");
    g_assert_cmpuint(disk->chain->len, ==, 2);
    g_assert_cmpstr(((BpBlockNode *) g_ptr_array_index(disk->chain, 0))->filename, ==, top);
    g_assert_cmpstr(((BpBlockNode *) g_ptr_array_index(disk->chain, 1))->node_name, ==, "b0");
    g_assert_true(((BpBlockNode *) g_ptr_array_index(disk->chain, 1))->read_only);

    /* The socket serves one client: a second one gets no greeting. */
    bp_qemu_disk_spec_add_layer(by_name, NULL, NULL, "guest-disk");
    second = attach(qmp, by_name, 300, &err);
    g_assert_null(second);
    g_assert_error(err, BP_ERROR, BP_ERROR_TIMEOUT);
    g_clear_error(&err);

    /* Detaching leaves the QEMU running. */
    bp_qemu_attach_detach(at);
    g_assert_false(bp_qemu_attach_is_connected(at));
    g_usleep(100 * 1000);
    g_assert_nonnull(g_subprocess_get_identifier(qsd));   /* still running */

    second = attach(qmp, by_name, 0, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(bp_qemu_attach_get_top_node(second, "vda"), ==, "guest-disk");
    bp_qemu_attach_detach(second);
    g_clear_object(&second);

    g_clear_object(&at);
    {
        g_autofree char *elsewhere = qt_image(dir, "other.qcow2", "1M", NULL);
        g_autoptr(BpQemuDiskSpec) missing = bp_qemu_disk_spec_new("vda", BP_QEMU_EXPORT_NONE);

        bp_qemu_disk_spec_add_layer(missing, elsewhere, NULL, NULL);
        at = attach(qmp, missing, 0, &err);
        g_assert_null(at);
        g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
        g_assert_nonnull(strstr(err->message, elsewhere));
        g_clear_error(&err);
    }

    /* When the owner stops its QEMU, we notice. */
    at = attach(qmp, by_file, 0, &err);
    g_assert_no_error(err);
    g_signal_connect(at, "disconnected", G_CALLBACK(disconnected_cb), &disconnected);
    g_test_expect_message("blkpoint-qemu", G_LOG_LEVEL_WARNING, "*lost the QMP connection*");
    g_subprocess_send_signal(qsd, SIGTERM);
    g_assert_true(qt_wait(&disconnected, 10000));
    g_test_assert_expected_messages();
    g_assert_true(g_subprocess_wait(qsd, NULL, &err));
    g_assert_true(g_subprocess_get_successful(qsd));
    bp_test_rmdir(dir);
}


int
main(int argc, char **argv)
{
    if (argc == 4 && g_str_equal(argv[1], "--start-and-crash"))
        return helper_start_and_crash(argv[2], argv[3]);
    g_test_init(&argc, &argv, NULL);
    qt_require_tools();
    g_test_add_func("/storage/lifecycle", test_lifecycle);
    g_test_add_func("/storage/sigkill", test_sigkill);
    g_test_add_func("/storage/reconnect", test_reconnect);
    g_test_add_func("/storage/start-errors", test_start_errors);
    g_test_add_func("/storage/start-dies-at-once", test_start_dies_at_once);
    g_test_add_func("/storage/stop-timeout", test_stop_timeout);
    g_test_add_func("/storage/daemon-crash", test_daemon_crash);
    g_test_add_func("/storage/wrappers", test_wrappers);
    g_test_add_func("/storage/attach", test_attach);
    return g_test_run();
}
