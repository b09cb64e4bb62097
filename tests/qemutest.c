/*
 * qemutest.c: helpers for the tests that run the real QEMU tools.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libnbd.h>

#include "qemu/bp-qemu-sync.h"
#include "qemu/bp-qmp-commands.h"
#include "qemutest.h"


void
qt_require_tools(void)
{
    const char *vars[] = { "QEMU_IMG", "QEMU_STORAGE_DAEMON" };

    for (size_t i = 0; i < G_N_ELEMENTS(vars); i++) {
        const char *path = g_getenv(vars[i]);

        if (!path || !*path || !g_file_test(path, G_FILE_TEST_IS_EXECUTABLE)) {
            printf("1..0 # SKIP %s is not set to an executable (%s)\n",
                   vars[i], path ? path : "unset");
            exit(0);
        }
    }
}


char *
qt_qemu_img(const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;
    int status = 0;
    va_list ap;

    g_ptr_array_add(argv, (gpointer) g_getenv("QEMU_IMG"));
    va_start(ap, first);
    for (const char *arg = first; arg; arg = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer) arg);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                 &out, &err, &status, &error);
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("qemu-img %s failed: %s", first, err);
    return g_steal_pointer(&out);
}


char *
qt_image(const char *dir, const char *name, const char *size, const char *backing)
{
    char *path = g_build_filename(dir, name, NULL);
    g_autofree char *out = NULL;

    if (backing)
        out = qt_qemu_img("create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2",
                          path, size, NULL);
    else
        out = qt_qemu_img("create", "-q", "-f", "qcow2", path, size, NULL);
    return path;
}


static JsonObject *
qt_find_bitmap(JsonNode *root, const char *name)
{
    JsonObject *img = json_node_get_object(root);
    JsonObject *spec = json_object_get_object_member(img, "format-specific");
    JsonObject *data = spec ? json_object_get_object_member(spec, "data") : NULL;
    JsonArray *bitmaps;

    if (!data || !json_object_has_member(data, "bitmaps"))
        return NULL;
    bitmaps = json_object_get_array_member(data, "bitmaps");
    for (guint i = 0; i < json_array_get_length(bitmaps); i++) {
        JsonObject *b = json_array_get_object_element(bitmaps, i);

        if (g_str_equal(json_object_get_string_member(b, "name"), name))
            return b;
    }
    return NULL;
}


char *
qt_bitmap_flags(const char *image, const char *name)
{
    g_autofree char *out = qt_qemu_img("info", "--output=json", image, NULL);
    g_autoptr(JsonNode) root = json_from_string(out, NULL);
    g_autoptr(GPtrArray) flags = g_ptr_array_new();
    JsonObject *b = qt_find_bitmap(root, name);
    JsonArray *arr;

    if (!b)
        return NULL;
    arr = json_object_get_array_member(b, "flags");
    for (guint i = 0; i < json_array_get_length(arr); i++)
        g_ptr_array_add(flags, (gpointer) json_array_get_string_element(arr, i));
    g_ptr_array_add(flags, NULL);
    return g_strjoinv(",", (char **) flags->pdata);
}


guint64
qt_bitmap_granularity(const char *image, const char *name)
{
    g_autofree char *out = qt_qemu_img("info", "--output=json", image, NULL);
    g_autoptr(JsonNode) root = json_from_string(out, NULL);
    JsonObject *b = qt_find_bitmap(root, name);

    return b ? json_object_get_int_member(b, "granularity") : 0;
}


BpQemuStorage *
qt_start(const BpQemuRuntimeConfig *config, BpQemuDiskSpec **disks, size_t ndisks,
         BpQemuStorageStartFlags flags, GError **error)
{
    BpSyncCall call;
    BpQemuStorage *st;

    bp_sync_call_begin(&call);
    bp_qemu_storage_start_async(config, disks, ndisks, flags, NULL, bp_sync_call_ready, &call);
    st = bp_qemu_storage_start_finish(bp_sync_call_wait(&call), error);
    bp_sync_call_end(&call);
    return st;
}


void
qt_stop(BpQemuStorage *st)
{
    g_autoptr(GError) error = NULL;
    BpSyncCall call;

    bp_sync_call_begin(&call);
    bp_qemu_storage_stop_async(st, NULL, bp_sync_call_ready, &call);
    g_assert_true(bp_qemu_storage_stop_finish(st, bp_sync_call_wait(&call), &error));
    g_assert_no_error(error);
    bp_sync_call_end(&call);
    g_assert_false(bp_qemu_storage_is_running(st));
    g_assert_nonnull(bp_qemu_storage_get_exit_info(st));
}


BpBlockGraph *
qt_graph(BpQemuStorage *st)
{
    g_autoptr(GError) error = NULL;
    BpSyncCall call;
    BpBlockGraph *graph;

    bp_sync_call_begin(&call);
    bp_qemu_storage_read_graph_async(st, NULL, bp_sync_call_ready, &call);
    graph = bp_qemu_storage_read_graph_finish(st, bp_sync_call_wait(&call), &error);
    bp_sync_call_end(&call);
    g_assert_no_error(error);
    return graph;
}


gboolean
qt_qmp(BpQmpMonitor *mon, const char *command, const char *json_args, GError **error)
{
    g_autoptr(JsonNode) args = json_args ? json_from_string(json_args, NULL) : NULL;
    BpSyncCall call;
    gboolean ok;

    bp_sync_call_begin(&call);
    bp_qmp_command_async(mon, command, args ? json_node_get_object(args) : NULL, NULL,
                         bp_sync_call_ready, &call);
    ok = bp_qmp_command_finish(mon, bp_sync_call_wait(&call), error);
    bp_sync_call_end(&call);
    return ok;
}


BpBitmapInfo *
qt_bitmap(BpBlockGraph *graph, const char *target, guint layer, const char *name)
{
    BpBlockDisk *disk = bp_block_graph_get_disk(graph, target);

    g_assert_nonnull(disk);
    g_assert_cmpuint(layer, <, disk->chain->len);
    return bp_block_node_find_bitmap(g_ptr_array_index(disk->chain, layer), name);
}


static struct nbd_handle *
qt_nbd_open(const char *socket, const char *export)
{
    struct nbd_handle *nbd = nbd_create();

    g_assert_nonnull(nbd);
    if (nbd_set_export_name(nbd, export) < 0 || nbd_connect_unix(nbd, socket) < 0)
        g_error("NBD connection to %s (%s) failed: %s", socket, export, nbd_get_error());
    return nbd;
}


void
qt_nbd_write(const char *socket, const char *export, guint64 offset, size_t len,
             guint8 byte)
{
    struct nbd_handle *nbd = qt_nbd_open(socket, export);
    g_autofree guint8 *buf = g_malloc(len);

    memset(buf, byte, len);
    if (nbd_pwrite(nbd, buf, len, offset, 0) < 0 || nbd_flush(nbd, 0) < 0)
        g_error("NBD write to %s failed: %s", export, nbd_get_error());
    nbd_shutdown(nbd, 0);
    nbd_close(nbd);
}


void
qt_nbd_check(const char *socket, const char *export, guint64 offset, size_t len,
             guint8 byte)
{
    struct nbd_handle *nbd = qt_nbd_open(socket, export);
    g_autofree guint8 *buf = g_malloc(len);

    if (nbd_pread(nbd, buf, len, offset, 0) < 0)
        g_error("NBD read from %s failed: %s", export, nbd_get_error());
    for (size_t i = 0; i < len; i++)
        g_assert_cmpuint(buf[i], ==, byte);
    nbd_shutdown(nbd, 0);
    nbd_close(nbd);
}


gboolean
qt_wait(const gboolean *flag, guint timeout_ms)
{
    return bp_sync_wait_flag(flag, timeout_ms);
}
