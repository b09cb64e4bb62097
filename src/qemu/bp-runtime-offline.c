/*
 * bp-runtime-offline.c: qemu-img for domains that are not running.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "bp-runtime-offline.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"


/* ---- running qemu-img ----------------------------------------------------- */

typedef struct {
    char *image;
    char *subcommand;
} BpQemuImgRun;


static void
bp_qemu_img_run_free(BpQemuImgRun *run)
{
    g_free(run->image);
    g_free(run->subcommand);
    g_free(run);
}


/* qemu-img's message on one line, without its "qemu-img: " prefixes. */
static char *
bp_qemu_img_one_line(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
    g_autoptr(GPtrArray) kept = g_ptr_array_new();

    for (size_t i = 0; lines[i]; i++) {
        char *line = g_strstrip(lines[i]);

        if (g_str_has_prefix(line, "qemu-img: "))
            line += strlen("qemu-img: ");
        if (*line)
            g_ptr_array_add(kept, line);
    }
    g_ptr_array_add(kept, NULL);
    return g_strjoinv("; ", (char **) kept->pdata);
}


static void
bp_qemu_img_run_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    BpQemuImgRun *run = g_task_get_task_data(task);
    GSubprocess *proc = G_SUBPROCESS(source);
    g_autofree char *out = NULL;
    g_autofree char *err_text = NULL;
    g_autofree char *msg = NULL;
    GError *err = NULL;

    if (!g_subprocess_communicate_utf8_finish(proc, result, &out, &err_text, &err)) {
        g_task_return_error(task, err);
        return;
    }
    if (g_subprocess_get_successful(proc)) {
        g_task_return_pointer(task, g_steal_pointer(&out), g_free);
        return;
    }
    msg = bp_qemu_img_one_line(err_text);
    if (strstr(msg, " lock")) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_BUSY,
                                _("image %s is in use by another process; "
                                  "refusing to open it offline (%s)"),
                                run->image, msg);
    } else {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_QEMU,
                                _("qemu-img %s failed on %s: %s"),
                                run->subcommand, run->image,
                                *msg ? msg : _("no message"));
    }
}


void
bp_qemu_img_run_async(const BpQemuRuntimeConfig *config,
                      const char *const *args,
                      const char *image,
                      GCancellable *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GSubprocess) proc = NULL;
    BpQemuImgRun *run = g_new0(BpQemuImgRun, 1);
    const char *qemu_img;
    GError *err = NULL;

    g_task_set_source_tag(task, bp_qemu_img_run_async);
    run->image = g_strdup(image);
    run->subcommand = g_strdup(args[0]);
    g_task_set_task_data(task, run, (GDestroyNotify) bp_qemu_img_run_free);

    if (!(qemu_img = bp_qemu_runtime_config_qemu_img(config, &err))) {
        g_task_return_error(task, err);
        g_object_unref(task);
        return;
    }
    g_ptr_array_add(argv, (gpointer) qemu_img);
    for (size_t i = 0; args[i]; i++)
        g_ptr_array_add(argv, (gpointer) args[i]);
    g_ptr_array_add(argv, NULL);

    proc = g_subprocess_newv((const char *const *) argv->pdata,
                             G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                             &err);
    if (!proc) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_QEMU,
                                _("cannot run %s: %s"), qemu_img, err->message);
        g_error_free(err);
        g_object_unref(task);
        return;
    }
    g_subprocess_communicate_utf8_async(proc, NULL, cancellable, bp_qemu_img_run_cb, task);
}


char *
bp_qemu_img_run_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


/* ---- qemu-img info --------------------------------------------------------- */

static void
bp_qemu_offline_info_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    g_autofree char *out = NULL;
    g_autoptr(JsonNode) root = NULL;
    GError *err = NULL;

    if (!(out = bp_qemu_img_run_finish(result, &err))) {
        g_task_return_error(task, err);
        return;
    }
    root = json_from_string(out, &err);
    if (!root || !JSON_NODE_HOLDS_ARRAY(root) ||
        json_array_get_length(json_node_get_array(root)) == 0) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_QEMU,
                                _("qemu-img info on %s printed no image chain: %s"),
                                (const char *) g_task_get_task_data(task),
                                err ? err->message : out);
        g_clear_error(&err);
        return;
    }
    g_task_return_pointer(task, g_steal_pointer(&root), (GDestroyNotify) json_node_unref);
}


void
bp_qemu_offline_image_info_async(const BpQemuRuntimeConfig *config,
                                 const char *path,
                                 const char *format,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    const char *with_format[] = { "info", "--output=json", "--backing-chain",
                                  "-f", format, path, NULL };
    const char *probing[] = { "info", "--output=json", "--backing-chain", path, NULL };

    g_task_set_source_tag(task, bp_qemu_offline_image_info_async);
    g_task_set_task_data(task, g_strdup(path), g_free);
    bp_qemu_img_run_async(config, format ? with_format : probing, path, cancellable,
                          bp_qemu_offline_info_cb, task);
}


JsonNode *
bp_qemu_offline_image_info_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


static char *
bp_offline_canonical(const char *path)
{
    char *real = realpath(path, NULL);
    char *ret;

    if (!real)
        return g_canonicalize_filename(path, "/");
    ret = g_strdup(real);
    free(real);
    return ret;
}


/* Checks that the given layers of @spec are the first entries of @info
 * and returns how many entries make up the disk's chain. */
static gboolean
bp_offline_match_chain(const BpQemuDiskSpec *spec, JsonArray *info, guint *nlayers,
                       GError **error)
{
    guint have = json_array_get_length(info);

    if (spec->chain_complete && have < spec->layers->len) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("disk '%s' lists %u layers but the images chain only %u"),
                    spec->target, spec->layers->len, have);
        return FALSE;
    }
    for (guint i = 0; i < spec->layers->len && i < have; i++) {
        JsonObject *img = json_array_get_object_element(info, i);
        const char *file = img ? json_object_get_string_member_with_default(img, "filename", "")
                               : "";
        g_autofree char *want = bp_offline_canonical(bp_qemu_disk_spec_layer(spec, i)->path);
        g_autofree char *got = bp_offline_canonical(file);

        if (!g_str_equal(want, got)) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("disk '%s': layer %u is %s in the definition but %s in the images"),
                        spec->target, i, bp_qemu_disk_spec_layer(spec, i)->path, file);
            return FALSE;
        }
    }
    if (spec->layers->len > have) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("disk '%s' lists %u layers but the images chain only %u"),
                    spec->target, spec->layers->len, have);
        return FALSE;
    }
    *nlayers = spec->chain_complete ? spec->layers->len : have;
    return TRUE;
}


/* ---- completing a chain --------------------------------------------------- */

static gboolean
bp_offline_spec_is_complete(const BpQemuDiskSpec *spec)
{
    if (!spec->chain_complete || spec->layers->len == 0)
        return FALSE;
    for (guint i = 0; i < spec->layers->len; i++) {
        if (!bp_qemu_disk_spec_layer(spec, i)->format)
            return FALSE;
    }
    return TRUE;
}


static void
bp_offline_complete_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    const BpQemuDiskSpec *spec = g_task_get_task_data(task);
    g_autoptr(JsonNode) info = NULL;
    g_autoptr(BpQemuDiskSpec) full = NULL;
    JsonArray *array;
    guint n;
    GError *err = NULL;

    if (!(info = bp_qemu_offline_image_info_finish(result, &err))) {
        g_task_return_error(task, err);
        return;
    }
    array = json_node_get_array(info);
    if (!bp_offline_match_chain(spec, array, &n, &err)) {
        g_task_return_error(task, err);
        return;
    }
    full = bp_qemu_disk_spec_new(spec->target, spec->export_type);
    full->readonly = spec->readonly;
    full->chain_complete = TRUE;
    for (guint i = 0; i < n; i++) {
        JsonObject *img = json_array_get_object_element(array, i);
        BpQemuLayer *given = i < spec->layers->len ? bp_qemu_disk_spec_layer(spec, i) : NULL;
        const char *format = given && given->format ? given->format
            : json_object_get_string_member_with_default(img, "format", NULL);

        bp_qemu_disk_spec_add_layer(full,
                                    given ? given->path
                                          : json_object_get_string_member(img, "filename"),
                                    format, given ? given->node_name : NULL);
    }
    g_task_return_pointer(task, g_steal_pointer(&full), (GDestroyNotify) bp_qemu_disk_spec_free);
}


void
bp_qemu_offline_complete_chain_async(const BpQemuRuntimeConfig *config,
                                     const BpQemuDiskSpec *spec,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpQemuLayer *top;

    g_task_set_source_tag(task, bp_qemu_offline_complete_chain_async);
    g_task_set_task_data(task, bp_qemu_disk_spec_copy(spec),
                         (GDestroyNotify) bp_qemu_disk_spec_free);
    if (spec->layers->len == 0) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                                _("disk '%s' has no image"), spec->target);
        g_object_unref(task);
        return;
    }
    if (bp_offline_spec_is_complete(spec)) {
        g_task_return_pointer(task, bp_qemu_disk_spec_copy(spec),
                              (GDestroyNotify) bp_qemu_disk_spec_free);
        g_object_unref(task);
        return;
    }
    top = bp_qemu_disk_spec_layer(spec, 0);
    bp_qemu_offline_image_info_async(config, top->path, top->format, cancellable,
                                     bp_offline_complete_cb, task);
}


BpQemuDiskSpec *
bp_qemu_offline_complete_chain_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


/* ---- the offline graph ----------------------------------------------------- */

static void
bp_offline_parse_bitmaps(BpBlockNode *node, JsonObject *img)
{
    JsonNode *spec = json_object_get_member(img, "format-specific");
    JsonObject *data;
    JsonArray *bitmaps;

    if (!spec || !JSON_NODE_HOLDS_OBJECT(spec))
        return;
    data = json_object_get_object_member(json_node_get_object(spec), "data");
    if (!data || !json_object_has_member(data, "bitmaps"))
        return;
    bitmaps = json_object_get_array_member(data, "bitmaps");
    for (guint i = 0; bitmaps && i < json_array_get_length(bitmaps); i++) {
        JsonObject *b = json_array_get_object_element(bitmaps, i);
        JsonArray *flags;
        BpBitmapInfo *info;

        if (!b)
            continue;
        info = bp_bitmap_info_new(json_object_get_string_member_with_default(b, "name", NULL));
        info->granularity = json_object_get_int_member_with_default(b, "granularity", 0);
        info->persistent = TRUE;
        flags = json_object_has_member(b, "flags") ? json_object_get_array_member(b, "flags")
                                                   : NULL;
        for (guint j = 0; flags && j < json_array_get_length(flags); j++) {
            const char *flag = json_array_get_string_element(flags, j);

            if (g_strcmp0(flag, "auto") == 0)
                info->recording = TRUE;
            else if (g_strcmp0(flag, "in-use") == 0)
                info->inconsistent = TRUE;
        }
        g_ptr_array_add(node->bitmaps, info);
    }
}


gboolean
bp_qemu_offline_graph_add_disk(BpBlockGraph *graph, const BpQemuDiskSpec *spec,
                               JsonNode *info, GError **error)
{
    g_autoptr(BpQemuDiskSpec) named = NULL;
    JsonArray *array;
    g_autofree char *top = NULL;
    guint n;

    if (!JSON_NODE_HOLDS_ARRAY(info)) {
        g_set_error(error, BP_ERROR, BP_ERROR_QEMU,
                    _("qemu-img info output for disk '%s' is not an array"), spec->target);
        return FALSE;
    }
    array = json_node_get_array(info);
    if (!bp_offline_match_chain(spec, array, &n, error))
        return FALSE;

    /* Name the layers exactly as the storage runtime would. */
    named = bp_qemu_disk_spec_new(spec->target, spec->export_type);
    for (guint i = 0; i < n; i++) {
        JsonObject *img = json_array_get_object_element(array, i);
        BpQemuLayer *given = i < spec->layers->len ? bp_qemu_disk_spec_layer(spec, i) : NULL;

        bp_qemu_disk_spec_add_layer(named, json_object_get_string_member(img, "filename"),
                                    json_object_get_string_member(img, "format"),
                                    given ? given->node_name : NULL);
    }
    for (guint i = 0; i < n; i++) {
        JsonObject *img = json_array_get_object_element(array, i);
        g_autofree char *fmt = NULL;
        g_autofree char *file = NULL;
        g_autofree char *below = NULL;
        BpBlockNode *node;

        if (!bp_qemu_disk_spec_node_names(named, i, &fmt, &file, error) ||
            (i + 1 < n && !bp_qemu_disk_spec_node_names(named, i + 1, &below, NULL, error)))
            return FALSE;
        node = bp_block_node_new(fmt, json_object_get_string_member_with_default(img, "format",
                                                                                 ""));
        node->filename = g_strdup(bp_qemu_disk_spec_layer(named, i)->path);
        node->file_node = g_steal_pointer(&file);
        node->backing_node = g_steal_pointer(&below);
        node->virtual_size = json_object_get_int_member_with_default(img, "virtual-size", 0);
        node->cluster_size = json_object_get_int_member_with_default(img, "cluster-size", 0);
        bp_offline_parse_bitmaps(node, img);
        if (i == 0)
            top = g_strdup(fmt);
        bp_block_graph_add_node(graph, node);
    }
    return bp_block_graph_add_disk(graph, spec->target, top, error) != NULL;
}


typedef struct {
    BpQemuRuntimeConfig *config;
    GPtrArray *disks;           /* BpQemuDiskSpec* */
    guint next;
    BpBlockGraph *graph;
} BpOfflineGraphRead;


static void
bp_offline_graph_read_free(BpOfflineGraphRead *read)
{
    bp_qemu_runtime_config_free(read->config);
    g_ptr_array_unref(read->disks);
    bp_block_graph_free(read->graph);
    g_free(read);
}


static void bp_offline_graph_next(GTask *task);


static void
bp_offline_graph_info_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    BpOfflineGraphRead *read = g_task_get_task_data(task);
    g_autoptr(JsonNode) info = NULL;
    GError *err = NULL;

    if (!(info = bp_qemu_offline_image_info_finish(result, &err)) ||
        !bp_qemu_offline_graph_add_disk(read->graph,
                                        g_ptr_array_index(read->disks, read->next - 1),
                                        info, &err)) {
        g_task_return_error(task, err);
        g_object_unref(task);
        return;
    }
    bp_offline_graph_next(task);
}


/* One qemu-img process per disk, one after the other. */
static void
bp_offline_graph_next(GTask *task)
{
    BpOfflineGraphRead *read = g_task_get_task_data(task);
    BpQemuDiskSpec *spec;
    BpQemuLayer *top;

    if (read->next == read->disks->len) {
        g_task_return_pointer(task, g_steal_pointer(&read->graph),
                              (GDestroyNotify) bp_block_graph_free);
        g_object_unref(task);
        return;
    }
    spec = g_ptr_array_index(read->disks, read->next++);
    if (spec->layers->len == 0) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                                _("disk '%s' has no image"), spec->target);
        g_object_unref(task);
        return;
    }
    top = bp_qemu_disk_spec_layer(spec, 0);
    bp_qemu_offline_image_info_async(read->config, top->path, top->format,
                                     g_task_get_cancellable(task),
                                     bp_offline_graph_info_cb, task);
}


void
bp_qemu_offline_read_graph_async(const BpQemuRuntimeConfig *config,
                                 BpQemuDiskSpec *const *disks,
                                 size_t ndisks,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpOfflineGraphRead *read = g_new0(BpOfflineGraphRead, 1);

    g_task_set_source_tag(task, bp_qemu_offline_read_graph_async);
    read->config = bp_qemu_runtime_config_copy(config);
    read->disks = g_ptr_array_new_with_free_func((GDestroyNotify) bp_qemu_disk_spec_free);
    for (size_t i = 0; i < ndisks; i++)
        g_ptr_array_add(read->disks, bp_qemu_disk_spec_copy(disks[i]));
    read->graph = bp_block_graph_new();
    g_task_set_task_data(task, read, (GDestroyNotify) bp_offline_graph_read_free);
    bp_offline_graph_next(task);
}


BpBlockGraph *
bp_qemu_offline_read_graph_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}


/* ---- qemu-img bitmap -------------------------------------------------------- */

static void
bp_offline_bitmap_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    g_autofree char *out = NULL;
    GError *err = NULL;

    if (!(out = bp_qemu_img_run_finish(result, &err)))
        g_task_return_error(task, err);
    else
        g_task_return_boolean(task, TRUE);
}


void
bp_qemu_offline_bitmap_async(const BpQemuRuntimeConfig *config,
                             const char *image,
                             const char *format,
                             const char *bitmap,
                             const BpQemuImgBitmapOp *ops,
                             size_t nops,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
    const BpQemuImgBitmapOp *merge_from = NULL;
    guint64 granularity = 0;

    g_task_set_source_tag(task, bp_qemu_offline_bitmap_async);
    g_ptr_array_add(args, g_strdup("bitmap"));
    for (size_t i = 0; i < nops; i++) {
        const BpQemuImgBitmapOp *op = &ops[i];

        switch (op->action) {
        case BP_QEMU_IMG_BITMAP_ADD:
            g_ptr_array_add(args, g_strdup("--add"));
            if (op->disabled)
                g_ptr_array_add(args, g_strdup("--disable"));
            granularity = op->granularity;
            break;
        case BP_QEMU_IMG_BITMAP_REMOVE:
            g_ptr_array_add(args, g_strdup("--remove"));
            break;
        case BP_QEMU_IMG_BITMAP_CLEAR:
            g_ptr_array_add(args, g_strdup("--clear"));
            break;
        case BP_QEMU_IMG_BITMAP_ENABLE:
            g_ptr_array_add(args, g_strdup("--enable"));
            break;
        case BP_QEMU_IMG_BITMAP_DISABLE:
            g_ptr_array_add(args, g_strdup("--disable"));
            break;
        case BP_QEMU_IMG_BITMAP_MERGE:
            /* qemu-img takes one -b/-F per call. */
            if (merge_from && g_strcmp0(merge_from->source_image, op->source_image) != 0) {
                g_task_return_new_error(task, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                                        _("bitmap '%s' of %s: one qemu-img call can merge "
                                          "from only one other image"), bitmap, image);
                g_object_unref(task);
                return;
            }
            merge_from = op;
            g_ptr_array_add(args, g_strdup("--merge"));
            g_ptr_array_add(args, g_strdup(op->source));
            break;
        }
    }
    if (merge_from && merge_from->source_image) {
        g_ptr_array_add(args, g_strdup("-b"));
        g_ptr_array_add(args, g_strdup(merge_from->source_image));
        if (merge_from->source_format) {
            g_ptr_array_add(args, g_strdup("-F"));
            g_ptr_array_add(args, g_strdup(merge_from->source_format));
        }
    }
    if (granularity) {
        g_ptr_array_add(args, g_strdup("-g"));
        g_ptr_array_add(args, g_strdup_printf("%" G_GUINT64_FORMAT, granularity));
    }
    if (format) {
        g_ptr_array_add(args, g_strdup("-f"));
        g_ptr_array_add(args, g_strdup(format));
    }
    g_ptr_array_add(args, g_strdup(image));
    g_ptr_array_add(args, g_strdup(bitmap));
    g_ptr_array_add(args, NULL);
    bp_qemu_img_run_async(config, (const char *const *) args->pdata, image, cancellable,
                          bp_offline_bitmap_cb, task);
}


gboolean
bp_qemu_offline_bitmap_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}


/* ---- the short-lived read-only QSD ------------------------------------------ */

void
bp_qemu_offline_open_async(const BpQemuRuntimeConfig *config,
                           BpQemuDiskSpec *const *disks,
                           size_t ndisks,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
    bp_qemu_storage_start_async(config, disks, ndisks, BP_QEMU_STORAGE_START_READ_ONLY,
                                cancellable, callback, user_data);
}
