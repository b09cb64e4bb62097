/*
 * test-qemu-offline.c: the offline runtime (qemu-img, and the short-lived
 * read-only qemu-storage-daemon) on real images, checked with qemu-img
 * info and with bitmap counts read from QEMU.
 */
#include <config.h>

#include <signal.h>
#include <string.h>

#include "qemu/bp-qemu-sync.h"
#include "qemu/bp-runtime-offline.h"
#include "qemu/bp-runtime-storage.h"
#include "util/bp-error.h"
#include "qemutest.h"
#include "testutils.h"

#define KiB 1024
#define MiB (1024 * 1024)


static gboolean
offline_bitmap(const BpQemuRuntimeConfig *config, const char *image, const char *bitmap,
               const BpQemuImgBitmapOp *ops, size_t nops, GError **error)
{
    BpSyncCall call;
    gboolean ok;

    bp_sync_call_begin(&call);
    bp_qemu_offline_bitmap_async(config, image, "qcow2", bitmap, ops, nops, NULL,
                                 bp_sync_call_ready, &call);
    ok = bp_qemu_offline_bitmap_finish(bp_sync_call_wait(&call), error);
    bp_sync_call_end(&call);
    return ok;
}


/* One operation without arguments. */
static gboolean
offline_op(const BpQemuRuntimeConfig *config, const char *image, const char *bitmap,
           BpQemuImgBitmapAction action, GError **error)
{
    BpQemuImgBitmapOp op = { .action = action };

    return offline_bitmap(config, image, bitmap, &op, 1, error);
}


static BpBlockGraph *
offline_graph(const BpQemuRuntimeConfig *config, BpQemuDiskSpec **disks, size_t n,
              GError **error)
{
    BpSyncCall call;
    BpBlockGraph *graph;

    bp_sync_call_begin(&call);
    bp_qemu_offline_read_graph_async(config, disks, n, NULL, bp_sync_call_ready, &call);
    graph = bp_qemu_offline_read_graph_finish(bp_sync_call_wait(&call), error);
    bp_sync_call_end(&call);
    return graph;
}


static BpQemuStorage *
offline_open(const BpQemuRuntimeConfig *config, BpQemuDiskSpec **disks, size_t n)
{
    g_autoptr(GError) err = NULL;
    BpSyncCall call;
    BpQemuStorage *st;

    bp_sync_call_begin(&call);
    bp_qemu_offline_open_async(config, disks, n, NULL, bp_sync_call_ready, &call);
    st = bp_qemu_storage_start_finish(bp_sync_call_wait(&call), &err);
    bp_sync_call_end(&call);
    g_assert_no_error(err);
    return st;
}


static BpQemuDiskSpec *
spec_top(const char *path)
{
    BpQemuDiskSpec *spec = bp_qemu_disk_spec_new("vda", BP_QEMU_EXPORT_NBD);

    bp_qemu_disk_spec_add_layer(spec, path, NULL, NULL);
    return spec;
}


static void
test_graph(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *base = qt_image(dir, "base.qcow2", "16M", NULL);
    g_autofree char *top = qt_image(dir, "top.qcow2", "16M", base);
    g_autoptr(BpQemuRuntimeConfig) config = bp_qemu_runtime_config_new("vm", dir);
    g_autoptr(BpQemuDiskSpec) spec = spec_top(top);
    g_autoptr(BpQemuDiskSpec) named = spec_top(top);
    g_autoptr(BpQemuDiskSpec) wrong = bp_qemu_disk_spec_new("vda", BP_QEMU_EXPORT_NBD);
    g_autoptr(BpQemuDiskSpec) full = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autofree char *dump = NULL;
    g_autofree char *expected = NULL;
    BpQemuImgBitmapOp add_off[] = {
        { .action = BP_QEMU_IMG_BITMAP_ADD, .granularity = 131072, .disabled = TRUE },
    };
    BpSyncCall call;

    g_free(qt_qemu_img("bitmap", "--add", base, "b-auto", NULL));
    g_assert_true(offline_bitmap(config, base, "b-off", add_off, 1, &err));
    g_assert_true(offline_op(config, top, "t1", BP_QEMU_IMG_BITMAP_ADD, &err));
    g_assert_no_error(err);

    graph = offline_graph(config, &spec, 1, &err);
    g_assert_no_error(err);
    dump = bp_block_graph_dump(graph);
    expected = g_strdup_printf(
        "disk vda\n"
        "  bp-vda-1-fmt qcow2 rw size=16777216 cluster=65536 file=%s\n"
        "    bitmap t1 gran=65536 record=1 busy=0 persistent=1 inconsistent=0 count=?\n"
        "  bp-vda-0-fmt qcow2 rw size=16777216 cluster=65536 file=%s\n"
        "    bitmap b-auto gran=65536 record=1 busy=0 persistent=1 inconsistent=0 count=?\n"
        "    bitmap b-off gran=131072 record=0 busy=0 persistent=1 inconsistent=0 count=?\n",
        top, base);
    g_assert_cmpstr(dump, ==, expected);
    g_clear_pointer(&graph, bp_block_graph_free);

    /* An explicit node name replaces the scheme for its layer. */
    g_free(bp_qemu_disk_spec_layer(named, 0)->node_name);
    bp_qemu_disk_spec_layer(named, 0)->node_name = g_strdup("mytop");
    graph = offline_graph(config, &named, 1, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(((BpBlockNode *) g_ptr_array_index(
                        bp_block_graph_get_disk(graph, "vda")->chain, 0))->node_name, ==, "mytop");
    g_assert_nonnull(bp_block_graph_lookup(graph, "bp-vda-0-fmt"));
    g_clear_pointer(&graph, bp_block_graph_free);

    /* Completing the chain: the backing file and every format. */
    bp_sync_call_begin(&call);
    bp_qemu_offline_complete_chain_async(config, spec, NULL, bp_sync_call_ready, &call);
    full = bp_qemu_offline_complete_chain_finish(bp_sync_call_wait(&call), &err);
    bp_sync_call_end(&call);
    g_assert_no_error(err);
    g_assert_true(full->chain_complete);
    g_assert_cmpuint(full->layers->len, ==, 2);
    g_assert_cmpstr(bp_qemu_disk_spec_layer(full, 1)->path, ==, base);
    g_assert_cmpstr(bp_qemu_disk_spec_layer(full, 0)->format, ==, "qcow2");
    g_assert_cmpstr(bp_qemu_disk_spec_layer(full, 1)->format, ==, "qcow2");

    /* A definition that disagrees with the images is refused. */
    wrong->chain_complete = TRUE;
    bp_qemu_disk_spec_add_layer(wrong, top, "qcow2", NULL);
    bp_qemu_disk_spec_add_layer(wrong, top, "qcow2", NULL);
    graph = offline_graph(config, &wrong, 1, &err);
    g_assert_null(graph);
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_test_message("%s", err->message);
    bp_test_rmdir(dir);
}


static void
test_bitmap_ops(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *rt = g_build_filename(dir, "run", NULL);
    g_autofree char *base = qt_image(dir, "base.qcow2", "16M", NULL);
    g_autofree char *top = NULL;
    g_autofree char *flags = NULL;
    g_autoptr(BpQemuRuntimeConfig) config = bp_qemu_runtime_config_new("vm", rt);
    g_autoptr(BpQemuDiskSpec) base_spec = spec_top(base);
    g_autoptr(BpQemuDiskSpec) top_spec = NULL;
    g_autoptr(BpQemuStorage) st = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    BpQemuImgBitmapOp add_g[] = { { .action = BP_QEMU_IMG_BITMAP_ADD, .granularity = 131072 } };
    BpQemuImgBitmapOp add_d[] = { { .action = BP_QEMU_IMG_BITMAP_ADD, .disabled = TRUE } };
    BpQemuImgBitmapOp merge_backing[] = {
        { .action = BP_QEMU_IMG_BITMAP_ADD },
        { .action = BP_QEMU_IMG_BITMAP_MERGE, .source = "b0", .source_image = NULL,
          .source_format = "qcow2" },
    };
    BpQemuImgBitmapOp merge_local[] = {
        { .action = BP_QEMU_IMG_BITMAP_ADD, .disabled = TRUE },
        { .action = BP_QEMU_IMG_BITMAP_MERGE, .source = "m" },
    };
    const BpQemuExitInfo *info;

    /* add with a granularity, add disabled, disable, enable, remove */
    g_assert_true(offline_bitmap(config, base, "g", add_g, 1, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(qt_bitmap_granularity(base, "g"), ==, 131072);
    flags = qt_bitmap_flags(base, "g");
    g_assert_cmpstr(flags, ==, "auto");
    g_clear_pointer(&flags, g_free);
    g_assert_true(offline_bitmap(config, base, "d", add_d, 1, &err));
    flags = qt_bitmap_flags(base, "d");
    g_assert_cmpstr(flags, ==, "");
    g_clear_pointer(&flags, g_free);
    g_assert_true(offline_op(config, base, "g", BP_QEMU_IMG_BITMAP_DISABLE, &err));
    flags = qt_bitmap_flags(base, "g");
    g_assert_cmpstr(flags, ==, "");
    g_clear_pointer(&flags, g_free);
    g_assert_true(offline_op(config, base, "g", BP_QEMU_IMG_BITMAP_ENABLE, &err));
    flags = qt_bitmap_flags(base, "g");
    g_assert_cmpstr(flags, ==, "auto");
    g_clear_pointer(&flags, g_free);
    g_assert_true(offline_op(config, base, "d", BP_QEMU_IMG_BITMAP_REMOVE, &err));
    g_assert_null(qt_bitmap_flags(base, "d"));
    g_assert_no_error(err);

    /* Dirty bits in the base: a running domain writes two clusters. */
    st = qt_start(config, &base_spec, 1, BP_QEMU_STORAGE_START_DEFAULT, &err);
    g_assert_no_error(err);
    g_assert_true(qt_qmp(bp_qemu_storage_get_monitor(st), "block-dirty-bitmap-add",
                         "{\"node\": \"bp-vda-0-fmt\", \"name\": \"b0\", \"persistent\": true}",
                         &err));
    qt_nbd_write(bp_qemu_storage_get_nbd_socket(st), "vda", 0, 64 * KiB, 0x44);
    qt_nbd_write(bp_qemu_storage_get_nbd_socket(st), "vda", 1 * MiB, 64 * KiB, 0x45);
    qt_stop(st);
    g_clear_object(&st);

    /* A snapshot's overlay gets the base's bits merged in offline, from
     * the backing file, and a second bitmap merged from the first. */
    top = qt_image(dir, "top.qcow2", "16M", base);
    merge_backing[1].source_image = base;
    g_assert_true(offline_bitmap(config, top, "m", merge_backing, 2, &err));
    g_assert_no_error(err);
    g_assert_true(offline_bitmap(config, top, "m2", merge_local, 2, &err));
    g_assert_no_error(err);
    g_assert_true(offline_op(config, base, "b0", BP_QEMU_IMG_BITMAP_CLEAR, &err));
    g_assert_no_error(err);

    /* Counts need QEMU: a read-only QSD that takes no write lock. */
    top_spec = spec_top(top);
    st = offline_open(config, &top_spec, 1);
    g_assert_null(bp_qemu_storage_get_export_socket(st, "vda"));
    graph = qt_graph(st);
    g_assert_true(((BpBlockNode *) g_ptr_array_index(
                       bp_block_graph_get_disk(graph, "vda")->chain, 0))->read_only);
    g_assert_cmpuint(qt_bitmap(graph, "vda", 0, "m")->count, ==, 128 * KiB);
    g_assert_true(qt_bitmap(graph, "vda", 0, "m")->recording);
    g_assert_cmpuint(qt_bitmap(graph, "vda", 0, "m2")->count, ==, 128 * KiB);
    g_assert_false(qt_bitmap(graph, "vda", 0, "m2")->recording);
    g_assert_cmpuint(qt_bitmap(graph, "vda", 1, "b0")->count, ==, 0);
    g_assert_cmpuint(qt_bitmap(graph, "vda", 1, "g")->granularity, ==, 131072);
    g_clear_pointer(&graph, bp_block_graph_free);

    /* Meanwhile reading is shared, changing is refused. */
    graph = offline_graph(config, &top_spec, 1, &err);
    g_assert_no_error(err);
    g_clear_pointer(&graph, bp_block_graph_free);
    g_assert_false(offline_op(config, top, "m", BP_QEMU_IMG_BITMAP_CLEAR, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_BUSY);
    g_clear_error(&err);

    /* Even killed, a read-only QSD leaves every bitmap consistent. */
    kill(bp_qemu_storage_get_pid(st), SIGKILL);
    while (bp_qemu_storage_is_running(st))
        g_main_context_iteration(NULL, TRUE);
    info = bp_qemu_storage_get_exit_info(st);
    g_assert_true(info->clean);
    g_assert_cmpint(info->term_signal, ==, SIGKILL);
    flags = qt_bitmap_flags(top, "m");
    g_assert_cmpstr(flags, ==, "auto");
    bp_test_rmdir(dir);
}


static void
test_locked(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *rt = g_build_filename(dir, "run", NULL);
    g_autofree char *img = qt_image(dir, "disk.qcow2", "16M", NULL);
    g_autoptr(BpQemuRuntimeConfig) config = bp_qemu_runtime_config_new("vm", rt);
    g_autoptr(BpQemuDiskSpec) spec = spec_top(img);
    g_autoptr(BpQemuStorage) st = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;

    st = qt_start(config, &spec, 1, BP_QEMU_STORAGE_START_DEFAULT, &err);
    g_assert_no_error(err);

    g_assert_false(offline_op(config, img, "cp", BP_QEMU_IMG_BITMAP_ADD, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_BUSY);
    g_assert_nonnull(strstr(err->message, img));
    g_assert_nonnull(strstr(err->message, "lock"));
    g_test_message("%s", err->message);
    g_clear_error(&err);
    graph = offline_graph(config, &spec, 1, &err);
    g_assert_null(graph);
    g_assert_error(err, BP_ERROR, BP_ERROR_BUSY);
    g_clear_error(&err);

    qt_stop(st);
    g_assert_true(offline_op(config, img, "cp", BP_QEMU_IMG_BITMAP_ADD, &err));
    g_assert_no_error(err);
    graph = offline_graph(config, &spec, 1, &err);
    g_assert_no_error(err);
    g_assert_nonnull(qt_bitmap(graph, "vda", 0, "cp"));
    bp_test_rmdir(dir);
}


static void
test_errors(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *img = qt_image(dir, "disk.qcow2", "16M", NULL);
    g_autofree char *other = qt_image(dir, "other.qcow2", "16M", NULL);
    g_autoptr(BpQemuRuntimeConfig) config = bp_qemu_runtime_config_new("vm", dir);
    g_autoptr(BpQemuRuntimeConfig) noimg = bp_qemu_runtime_config_new("vm", dir);
    BpQemuImgBitmapOp two_sources[] = {
        { .action = BP_QEMU_IMG_BITMAP_MERGE, .source = "a", .source_image = img },
        { .action = BP_QEMU_IMG_BITMAP_MERGE, .source = "b", .source_image = other },
    };

    g_assert_false(offline_bitmap(config, img, "x", two_sources, 2, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&err);

    /* qemu-img's own complaint comes through. */
    g_assert_false(offline_op(config, img, "nosuch", BP_QEMU_IMG_BITMAP_ENABLE, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_QEMU);
    g_assert_nonnull(strstr(err->message, "nosuch"));
    g_test_message("%s", err->message);
    g_clear_error(&err);

    noimg->qemu_img_path = g_build_filename(dir, "no-such-qemu-img", NULL);
    g_assert_false(offline_op(noimg, img, "x", BP_QEMU_IMG_BITMAP_ADD, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_QEMU);
    g_assert_nonnull(strstr(err->message, "no-such-qemu-img"));
    bp_test_rmdir(dir);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qt_require_tools();
    g_test_add_func("/offline/graph", test_graph);
    g_test_add_func("/offline/bitmap-ops", test_bitmap_ops);
    g_test_add_func("/offline/locked", test_locked);
    g_test_add_func("/offline/errors", test_errors);
    return g_test_run();
}
