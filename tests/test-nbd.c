/*
 * test-nbd.c: the pull-mode consumer (src/nbd) against real qemu-nbd
 * exports of real qcow2 images, without the daemon.
 *
 * The scenario of a pull backup: a source image gets data, a full
 * backup is pulled; a dirty bitmap is added and enabled, more data (and
 * zeroes over old data) is written; the image is exported with the
 * bitmap and an incremental backup on top of the full one is pulled.
 * The tests run in order and share the images.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "nbd/bp-nbd-copy.h"
#include "nbd/bp-nbd-extents.h"
#include "util/bp-error.h"
#include "testutils.h"

#define KiB (G_GUINT64_CONSTANT(1024))
#define MiB (1024 * KiB)

static const char *qemu_img;
static char *qemu_nbd;
static char *qemu_io;
static char *dir;
static char *src_img;
static char *sock;
static char *uri;
static GPid export_pid;


static char *
find_tool(const char *env, const char *name)
{
    const char *path = g_getenv(env);

    if (path && *path && g_file_test(path, G_FILE_TEST_IS_EXECUTABLE))
        return g_strdup(path);
    return g_find_program_in_path(name);
}


/* Runs argv; returns its exit status and stdout (when @out). */
static int
run(char **out, const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *errtext = NULL;
    g_autofree char *outtext = NULL;
    const char *arg;
    int status = 0;
    va_list ap;

    va_start(ap, first);
    for (arg = first; arg; arg = va_arg(ap, const char *))
        g_ptr_array_add(argv, (char *) arg);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **) argv->pdata, NULL, 0, NULL, NULL,
                               &outtext, &errtext, &status, &err));
    g_assert_no_error(err);
    if (!WIFEXITED(status))
        g_error("%s died: %s", first, errtext);
    if (WEXITSTATUS(status) > 1)
        g_error("%s %s failed: %s", first, (char *) argv->pdata[1], errtext);
    if (out)
        *out = g_steal_pointer(&outtext);
    return WEXITSTATUS(status);
}


static void
qemu_io_cmd(const char *cmd)
{
    g_assert_cmpint(run(NULL, qemu_io, "-f", "qcow2", "-c", cmd, src_img, NULL), ==, 0);
}


/* Exports the source read-only (with @bitmap if not NULL) on the
 * socket, accepting several clients, and waits until it answers. */
static void
export_start(const char *bitmap)
{
    g_autoptr(GError) err = NULL;
    const char *argv[16];
    int n = 0;

    argv[n++] = qemu_nbd;
    argv[n++] = "-r";
    argv[n++] = "-t";
    argv[n++] = "-e";
    argv[n++] = "8";
    argv[n++] = "-f";
    argv[n++] = "qcow2";
    argv[n++] = "-x";
    argv[n++] = "vda";
    if (bitmap) {
        argv[n++] = "-B";
        argv[n++] = bitmap;
    }
    argv[n++] = "--socket";
    argv[n++] = sock;
    argv[n++] = src_img;
    argv[n] = NULL;
    unlink(sock);
    g_assert_true(g_spawn_async(NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                NULL, NULL, &export_pid, &err));
    g_assert_no_error(err);
    for (int i = 0; i < 500; i++) {
        struct nbd_handle *h;

        if (g_file_test(sock, G_FILE_TEST_EXISTS)) {
            h = nbd_create();
            if (nbd_connect_uri(h, uri) == 0) {
                nbd_shutdown(h, 0);
                nbd_close(h);
                return;
            }
            nbd_close(h);
        }
        g_usleep(10000);
    }
    g_error("qemu-nbd did not start on %s", sock);
}


static void
export_stop(void)
{
    int status;

    kill(export_pid, SIGTERM);
    waitpid(export_pid, &status, 0);
    g_spawn_close_pid(export_pid);
    export_pid = 0;
}


/* "start+length" of each range of @image (alone, no backing) for which
 * @want says yes, adjacent ranges merged; the ranges are in KiB. */
typedef gboolean (*MapFilter)(JsonObject *entry);

static char *
map_ranges(const char *image, MapFilter want)
{
    g_autofree char *out = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;
    g_autoptr(GString) s = g_string_new("");
    JsonArray *arr;
    guint64 rs = 0, re = 0;
    gboolean open = FALSE;

    run(&out, qemu_img, "map", "--output=json", "-f", "qcow2", image, NULL);
    g_assert_true(json_parser_load_from_data(parser, out, -1, &err));
    arr = json_node_get_array(json_parser_get_root(parser));
    for (guint i = 0; i <= json_array_get_length(arr); i++) {
        JsonObject *e = i < json_array_get_length(arr) ?
            json_array_get_object_element(arr, i) : NULL;
        guint64 start = e ? json_object_get_int_member(e, "start") : 0;
        guint64 len = e ? json_object_get_int_member(e, "length") : 0;

        if (e && want(e)) {
            if (open && re == start) {
                re += len;
                continue;
            }
            if (open)
                g_string_append_printf(s, "%s%" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT,
                                       s->len ? "," : "", rs / KiB, (re - rs) / KiB);
            rs = start;
            re = start + len;
            open = TRUE;
        } else if (open) {
            g_string_append_printf(s, "%s%" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT,
                                   s->len ? "," : "", rs / KiB, (re - rs) / KiB);
            open = FALSE;
        }
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}


static gboolean
map_is_data(JsonObject *e)
{
    return json_object_get_boolean_member(e, "data");
}


static gboolean
map_is_own(JsonObject *e)
{
    return json_object_get_int_member(e, "depth") == 0 &&
        json_object_get_boolean_member(e, "present");
}


static gboolean
map_is_own_zero(JsonObject *e)
{
    return map_is_own(e) && json_object_get_boolean_member(e, "zero") &&
        !json_object_get_boolean_member(e, "data");
}


/* The copy list as "K|Z start+length" in KiB. */
static char *
format_extents(const BpNbdExtentList *list)
{
    g_autoptr(GString) s = g_string_new("");

    for (guint i = 0; i < list->extents->len; i++) {
        const BpNbdExtent *e = &g_array_index(list->extents, BpNbdExtent, i);

        g_string_append_printf(s, "%s%c%" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT,
                               i ? "," : "", e->kind == BP_NBD_EXTENT_ZERO ? 'Z' : 'D',
                               e->offset / KiB, e->length / KiB);
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}


static int
compare_images(const char *a, const char *b)
{
    return run(NULL, qemu_img, "compare", "-q", "-f", "qcow2", "-F", "qcow2", a, b, NULL);
}


typedef struct {
    guint64 last;
    guint64 total;
    guint calls;
    gboolean backwards;
} Progress;

static void
progress_cb(guint64 done, guint64 total, gpointer data)
{
    Progress *p = data;

    if (done < p->last)
        p->backwards = TRUE;
    p->last = done;
    p->total = total;
    p->calls++;
}


/* Full backup of a sparse source: equal, and exactly as sparse. */
static void
test_full(void)
{
    g_autofree char *full = g_build_filename(dir, "full.qcow2", NULL);
    g_autofree char *ranges = NULL;
    g_autoptr(GError) err = NULL;
    BpNbdCopyOptions opts = { 0 };
    BpNbdCopyResult res = { 0 };
    Progress prog = { 0 };

    run(NULL, qemu_img, "create", "-q", "-f", "qcow2", "-o", "cluster_size=65536",
        src_img, "64M", NULL);
    qemu_io_cmd("write -P 0x11 0 1M");
    qemu_io_cmd("write -P 0x22 10M 512k");
    qemu_io_cmd("write -P 0x33 40M 64k");

    export_start(NULL);
    opts.uri = uri;
    opts.output = full;
    opts.in_flight = 1;
    opts.qemu_img = qemu_img;
    opts.qemu_nbd = qemu_nbd;
    opts.progress = progress_cb;
    opts.progress_data = &prog;
    g_assert_true(bp_nbd_copy(&opts, &res, &err));
    g_assert_no_error(err);
    export_stop();

    g_assert_cmpuint(res.size, ==, 64 * MiB);
    g_assert_cmpuint(res.data_bytes, ==, 1 * MiB + 512 * KiB + 64 * KiB);
    g_assert_cmpuint(res.zero_bytes, ==, 0);
    g_assert_cmpuint(prog.last, ==, res.data_bytes);
    g_assert_cmpuint(prog.total, ==, res.data_bytes);
    g_assert_false(prog.backwards);

    g_assert_cmpint(compare_images(src_img, full), ==, 0);
    ranges = map_ranges(full, map_is_data);
    g_assert_cmpstr(ranges, ==, "0+1024,10240+512,40960+64");
}


static void
dirty_the_source(void)
{
    static gboolean done;

    if (done)
        return;
    done = TRUE;
    run(NULL, qemu_img, "bitmap", "--add", "--enable", "-f", "qcow2", src_img, "bitmap0", NULL);
    qemu_io_cmd("write -P 0x44 2M 256k");
    qemu_io_cmd("write -P 0x55 20484k 100k");   /* 20M+4k: not cluster aligned */
    qemu_io_cmd("write -z 10M 128k");           /* zeroes over data of the full */
    qemu_io_cmd("write -P 0x66 65472k 64k");    /* the last cluster */
}


/* The copy list of the dirty bitmap, split into data and zero by
 * base:allocation, and the same whatever the block status chunk. */
static void
test_extents(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpNbdExtentList) whole = NULL;
    g_autoptr(BpNbdExtentList) chunked = NULL;
    g_autoptr(BpNbdExtentList) all = NULL;
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;
    struct nbd_handle *h;

    dirty_the_source();
    export_start("bitmap0");

    h = bp_nbd_open(uri, "bitmap0", &err);
    g_assert_no_error(err);
    whole = bp_nbd_extents_query(h, "bitmap0", 0, &err);
    g_assert_no_error(err);
    chunked = bp_nbd_extents_query(h, "bitmap0", 1 * MiB, &err);
    g_assert_no_error(err);
    all = bp_nbd_extents_query(h, NULL, 3 * MiB + 4 * KiB, &err);
    g_assert_no_error(err);
    nbd_close(h);

    a = format_extents(whole);
    b = format_extents(chunked);
    g_assert_cmpstr(a, ==, "D2048+256,Z10240+128,D20480+128,D65472+64");
    g_assert_cmpstr(b, ==, a);
    g_assert_cmpuint(chunked->queries, >=, 64);
    g_assert_cmpuint(whole->data_bytes, ==, 448 * KiB);
    g_assert_cmpuint(whole->zero_bytes, ==, 128 * KiB);

    /* Full: every byte is listed, as data or zero, in order. */
    g_assert_cmpuint(all->data_bytes + all->zero_bytes, ==, 64 * MiB);
    g_assert_cmpuint(all->data_bytes, ==, (1024 + 256 + 384 + 128 + 64 + 64) * KiB);

    /* A bitmap the export does not have is refused by name. */
    h = bp_nbd_open(uri, "nosuch", &err);
    g_assert_null(h);
    g_assert_error(err, BP_ERROR, BP_ERROR_OPERATION_INVALID);
    g_assert_nonnull(strstr(err->message, "nosuch"));
    export_stop();
}


/* Incremental on top of the full: the chain equals the source, and the
 * new image holds exactly the dirty clusters. */
static void
test_incremental(void)
{
    g_autofree char *full = g_build_filename(dir, "full.qcow2", NULL);
    g_autofree char *inc = g_build_filename(dir, "inc.qcow2", NULL);
    g_autofree char *own = NULL;
    g_autofree char *zero = NULL;
    g_autoptr(GError) err = NULL;
    BpNbdCopyOptions opts = { 0 };
    BpNbdCopyResult res = { 0 };
    Progress prog = { 0 };

    dirty_the_source();
    export_start("bitmap0");
    opts.uri = uri;
    opts.bitmap = "bitmap0";
    opts.output = inc;
    opts.backing = full;
    opts.in_flight = 8;
    opts.connections = 4;
    opts.request_size = 64 * KiB;
    opts.qemu_img = qemu_img;
    opts.qemu_nbd = qemu_nbd;
    opts.progress = progress_cb;
    opts.progress_data = &prog;
    g_assert_true(bp_nbd_copy(&opts, &res, &err));
    g_assert_no_error(err);
    export_stop();

    g_assert_cmpuint(res.connections, ==, 4);
    g_assert_cmpuint(res.data_bytes, ==, 448 * KiB);
    g_assert_cmpuint(res.zero_bytes, ==, 128 * KiB);
    g_assert_cmpuint(prog.last, ==, prog.total);
    g_assert_cmpuint(prog.total, ==, 576 * KiB);
    g_assert_cmpuint(prog.calls, ==, 8);  /* 7 pieces of 64k, one zero */
    g_assert_false(prog.backwards);

    g_assert_cmpint(compare_images(src_img, inc), ==, 0);
    g_assert_cmpint(compare_images(src_img, full), ==, 1);
    g_assert_cmpint(run(NULL, qemu_img, "check", "-q", inc, NULL), ==, 0);

    own = map_ranges(inc, map_is_own);
    g_assert_cmpstr(own, ==, "2048+256,10240+128,20480+128,65472+64");
    zero = map_ranges(inc, map_is_own_zero);
    g_assert_cmpstr(zero, ==, "10240+128");
}


/* A full backup of the changed source: the zeroed range stays a hole. */
static void
test_full_sparse_zero(void)
{
    g_autofree char *full2 = g_build_filename(dir, "full2.qcow2", NULL);
    g_autofree char *ranges = NULL;
    g_autoptr(GError) err = NULL;
    BpNbdCopyOptions opts = { 0 };

    dirty_the_source();
    export_start(NULL);
    opts.uri = uri;
    opts.output = full2;
    opts.connections = 2;
    opts.qemu_img = qemu_img;
    opts.qemu_nbd = qemu_nbd;
    g_assert_true(bp_nbd_copy(&opts, NULL, &err));
    g_assert_no_error(err);

    /* The output exists now: a second copy must not touch it. */
    g_assert_false(bp_nbd_copy(&opts, NULL, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_EXISTS);
    export_stop();

    g_assert_cmpint(compare_images(src_img, full2), ==, 0);
    ranges = map_ranges(full2, map_is_data);
    g_assert_cmpstr(ranges, ==, "0+1024,2048+256,10368+384,20480+128,40960+64,65472+64");
}


int
main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    qemu_img = g_getenv("QEMU_IMG");
    qemu_nbd = find_tool("QEMU_NBD", "qemu-nbd");
    qemu_io = find_tool("QEMU_IO", "qemu-io");
    if (!qemu_img || !g_file_test(qemu_img, G_FILE_TEST_IS_EXECUTABLE) ||
        !qemu_nbd || !qemu_io) {
        printf("1..0 # SKIP qemu-img, qemu-nbd or qemu-io not found\n");
        return 0;
    }
    dir = bp_test_mkdtemp();
    src_img = g_build_filename(dir, "src.qcow2", NULL);
    sock = g_build_filename(dir, "nbd.sock", NULL);
    uri = g_strdup_printf("nbd+unix:///vda?socket=%s", sock);

    g_test_add_func("/nbd/full", test_full);
    g_test_add_func("/nbd/extents", test_extents);
    g_test_add_func("/nbd/incremental", test_incremental);
    g_test_add_func("/nbd/full-sparse-zero", test_full_sparse_zero);
    ret = g_test_run();

    if (export_pid)
        export_stop();
    bp_test_rmdir(dir);
    return ret;
}
