/*
 * bp-nbd-copy.c: copy the extents of an NBD export into a qcow2 image
 * through a qemu-nbd child, with libnbd's asynchronous API.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "nbd/bp-nbd-copy.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_NBD_DEFAULT_IN_FLIGHT 8
#define BP_NBD_DEFAULT_REQUEST (4 * 1024 * 1024)
#define BP_NBD_MAX_ZERO_REQUEST (G_GUINT64_CONSTANT(1) << 30)

typedef struct _BpNbdCopy BpNbdCopy;

/* One piece of an extent, from the read (or zero) until its write is
 * done.  It holds one slot of source connection @src for all that time,
 * which bounds the memory in buffers to in_flight * request_size per
 * connection. */
typedef struct {
    BpNbdCopy *copy;
    guint64 offset;
    guint64 length;
    BpNbdExtentKind kind;
    guint src;
    char *buf;
} BpNbdReq;

struct _BpNbdCopy {
    struct nbd_handle **src;
    guint nsrc;
    struct nbd_handle *dst;
    const BpNbdCopyOptions *opts;
    guint *busy;          /* slots in use per source connection */
    guint busy_total;
    GQueue ready;         /* reads done, their writes not yet issued */
    GPtrArray *live;      /* every BpNbdReq not yet freed */
    guint64 done;
    guint64 total;
    int err;              /* first failure: errno of the request */
    const char *err_op;
    guint64 err_offset;
};


static void
bp_nbd_req_free(BpNbdReq *req)
{
    BpNbdCopy *copy = req->copy;

    copy->busy[req->src]--;
    copy->busy_total--;
    g_ptr_array_remove_fast(copy->live, req);
    g_free(req->buf);
    g_free(req);
}


static void
bp_nbd_copy_fail(BpNbdCopy *copy, const char *op, guint64 offset, int err)
{
    if (copy->err)
        return;
    copy->err = err ? err : EIO;
    copy->err_op = op;
    copy->err_offset = offset;
}


static int
bp_nbd_read_done(void *opaque, int *error)
{
    BpNbdReq *req = opaque;

    if (*error) {
        bp_nbd_copy_fail(req->copy, "read", req->offset, *error);
        bp_nbd_req_free(req);
    } else {
        g_queue_push_tail(&req->copy->ready, req);
    }
    return 1;
}


static int
bp_nbd_write_done(void *opaque, int *error)
{
    BpNbdReq *req = opaque;
    BpNbdCopy *copy = req->copy;

    if (*error) {
        bp_nbd_copy_fail(copy, req->kind == BP_NBD_EXTENT_ZERO ? "zero" : "write",
                         req->offset, *error);
    } else {
        copy->done += req->length;
        if (copy->opts->progress)
            copy->opts->progress(copy->done, copy->total, copy->opts->progress_data);
    }
    bp_nbd_req_free(req);
    return 1;
}


/* Issues the write of a read piece, or the zero of a zero piece. */
static void
bp_nbd_issue_write(BpNbdCopy *copy, BpNbdReq *req)
{
    nbd_completion_callback cb = { .callback = bp_nbd_write_done, .user_data = req };
    int64_t cookie;

    if (req->kind == BP_NBD_EXTENT_ZERO)
        cookie = nbd_aio_zero(copy->dst, req->length, req->offset, cb, 0);
    else
        cookie = nbd_aio_pwrite(copy->dst, req->buf, req->length, req->offset, cb, 0);
    if (cookie < 0) {
        bp_nbd_copy_fail(copy, req->kind == BP_NBD_EXTENT_ZERO ? "zero" : "write",
                         req->offset, nbd_get_errno());
        bp_nbd_req_free(req);
    }
}


static BpNbdReq *
bp_nbd_req_new(BpNbdCopy *copy, guint64 offset, guint64 length, BpNbdExtentKind kind)
{
    BpNbdReq *req = g_new0(BpNbdReq, 1);
    guint best = 0;

    for (guint i = 1; i < copy->nsrc; i++) {
        if (copy->busy[i] < copy->busy[best])
            best = i;
    }
    req->copy = copy;
    req->offset = offset;
    req->length = length;
    req->kind = kind;
    req->src = best;
    copy->busy[best]++;
    copy->busy_total++;
    g_ptr_array_add(copy->live, req);
    return req;
}


static gboolean
bp_nbd_slot_free(BpNbdCopy *copy, guint in_flight)
{
    for (guint i = 0; i < copy->nsrc; i++) {
        if (copy->busy[i] < in_flight)
            return TRUE;
    }
    return FALSE;
}


/* Waits for any handle to be ready and lets libnbd make progress,
 * which runs the completion callbacks.  Returns FALSE (with @error) when
 * a connection failed. */
static gboolean
bp_nbd_poll(BpNbdCopy *copy, GError **error)
{
    guint n = copy->nsrc + 1;
    g_autofree struct pollfd *fds = g_new0(struct pollfd, n);

    for (guint i = 0; i < n; i++) {
        struct nbd_handle *h = i < copy->nsrc ? copy->src[i] : copy->dst;
        unsigned dir = nbd_aio_get_direction(h);

        fds[i].fd = nbd_aio_get_fd(h);
        if (dir & LIBNBD_AIO_DIRECTION_READ)
            fds[i].events |= POLLIN;
        if (dir & LIBNBD_AIO_DIRECTION_WRITE)
            fds[i].events |= POLLOUT;
    }
    if (poll(fds, n, -1) < 0) {
        if (errno == EINTR)
            return TRUE;
        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("waiting for the NBD connections failed: %s"), g_strerror(errno));
        return FALSE;
    }
    for (guint i = 0; i < n; i++) {
        struct nbd_handle *h = i < copy->nsrc ? copy->src[i] : copy->dst;
        int r = 0;

        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
            r = nbd_aio_notify_read(h);
        else if (fds[i].revents & POLLOUT)
            r = nbd_aio_notify_write(h);
        if (r < 0) {
            if (i < copy->nsrc)
                g_set_error(error, BP_ERROR, BP_ERROR_IO,
                            _("NBD connection to the backup source failed: %s"),
                            nbd_get_error());
            else
                g_set_error(error, BP_ERROR, BP_ERROR_IO,
                            _("NBD connection to the backup output failed: %s"),
                            nbd_get_error());
            return FALSE;
        }
    }
    return TRUE;
}


static gboolean
bp_nbd_copy_sync(BpNbdCopy *copy, const BpNbdExtentList *list, guint64 request,
                 gboolean write_zeroes, GError **error)
{
    g_autofree char *buf = g_malloc(request);

    for (guint i = 0; i < list->extents->len; i++) {
        const BpNbdExtent *ext = &g_array_index(list->extents, BpNbdExtent, i);
        guint64 step = ext->kind == BP_NBD_EXTENT_ZERO ? BP_NBD_MAX_ZERO_REQUEST : request;

        if (ext->kind == BP_NBD_EXTENT_ZERO && !write_zeroes)
            continue;
        for (guint64 off = ext->offset; off < ext->offset + ext->length; off += step) {
            guint64 len = MIN(step, ext->offset + ext->length - off);
            int r;

            if (ext->kind == BP_NBD_EXTENT_ZERO) {
                r = nbd_zero(copy->dst, len, off, 0);
            } else {
                r = nbd_pread(copy->src[0], buf, len, off, 0);
                if (r == 0)
                    r = nbd_pwrite(copy->dst, buf, len, off, 0);
            }
            if (r < 0) {
                g_set_error(error, BP_ERROR, BP_ERROR_IO,
                            _("copying %llu bytes at offset %llu failed: %s"),
                            (unsigned long long) len, (unsigned long long) off,
                            nbd_get_error());
                return FALSE;
            }
            copy->done += len;
            if (copy->opts->progress)
                copy->opts->progress(copy->done, copy->total, copy->opts->progress_data);
        }
    }
    return TRUE;
}


/* The largest request both ends accept, at most @wanted. */
static guint64
bp_nbd_request_size(struct nbd_handle **src, guint nsrc, struct nbd_handle *dst,
                    guint64 wanted)
{
    guint64 size = wanted ? wanted : BP_NBD_DEFAULT_REQUEST;

    for (guint i = 0; i <= nsrc; i++) {
        int64_t max = nbd_get_block_size(i < nsrc ? src[i] : dst, LIBNBD_SIZE_MAXIMUM);

        if (max > 0 && (guint64) max < size)
            size = max;
    }
    return MAX(size, 512);
}


gboolean
bp_nbd_copy_extents(struct nbd_handle **src, guint nsrc, struct nbd_handle *dst,
                    const BpNbdExtentList *list, gboolean write_zeroes,
                    const BpNbdCopyOptions *opts, GError **error)
{
    BpNbdCopy copy = { 0 };
    guint in_flight = opts->in_flight ? opts->in_flight : BP_NBD_DEFAULT_IN_FLIGHT;
    guint64 request = bp_nbd_request_size(src, nsrc, dst, opts->request_size);
    guint idx = 0;
    guint64 pos = 0;
    gboolean ok = TRUE;

    g_return_val_if_fail(nsrc > 0, FALSE);

    copy.src = src;
    copy.nsrc = nsrc;
    copy.dst = dst;
    copy.opts = opts;
    copy.total = list->data_bytes + (write_zeroes ? list->zero_bytes : 0);
    if (opts->synchronous)
        return bp_nbd_copy_sync(&copy, list, request, write_zeroes, error);

    copy.busy = g_new0(guint, nsrc);
    copy.live = g_ptr_array_new();
    g_queue_init(&copy.ready);

    while (ok) {
        BpNbdReq *req;

        while ((req = g_queue_pop_head(&copy.ready))) {
            if (copy.err)
                bp_nbd_req_free(req);
            else
                bp_nbd_issue_write(&copy, req);
        }
        while (!copy.err && idx < list->extents->len && bp_nbd_slot_free(&copy, in_flight)) {
            const BpNbdExtent *ext = &g_array_index(list->extents, BpNbdExtent, idx);
            guint64 step = ext->kind == BP_NBD_EXTENT_ZERO ? BP_NBD_MAX_ZERO_REQUEST : request;
            guint64 off = ext->offset + pos;
            guint64 len = MIN(step, ext->length - pos);

            pos += len;
            if (pos == ext->length) {
                idx++;
                pos = 0;
            }
            if (ext->kind == BP_NBD_EXTENT_ZERO && !write_zeroes)
                continue;
            req = bp_nbd_req_new(&copy, off, len, ext->kind);
            if (ext->kind == BP_NBD_EXTENT_ZERO) {
                bp_nbd_issue_write(&copy, req);
            } else {
                nbd_completion_callback cb = { .callback = bp_nbd_read_done,
                                               .user_data = req };

                req->buf = g_malloc(len);
                if (nbd_aio_pread(src[req->src], req->buf, len, off, cb, 0) < 0) {
                    bp_nbd_copy_fail(&copy, "read", off, nbd_get_errno());
                    bp_nbd_req_free(req);
                }
            }
        }
        if (copy.busy_total == 0)
            break;
        if (g_queue_is_empty(&copy.ready))
            ok = bp_nbd_poll(&copy, error);
    }

    if (ok && copy.err) {
        if (g_str_equal(copy.err_op, "read"))
            g_set_error(error, BP_ERROR, BP_ERROR_IO,
                        _("reading the backup source at offset %llu failed: %s"),
                        (unsigned long long) copy.err_offset, g_strerror(copy.err));
        else
            g_set_error(error, BP_ERROR, BP_ERROR_IO,
                        _("writing the backup output at offset %llu failed: %s"),
                        (unsigned long long) copy.err_offset, g_strerror(copy.err));
        ok = FALSE;
    }
    /* After a failed connection libnbd no longer calls back: the pieces
     * still in flight are ours to free (the caller closes the handles). */
    while (copy.live->len > 0)
        bp_nbd_req_free(g_ptr_array_index(copy.live, copy.live->len - 1));
    g_queue_clear(&copy.ready);
    g_ptr_array_unref(copy.live);
    g_free(copy.busy);
    return ok;
}


/* Creates @path with O_EXCL (never replacing a file, never following a
 * symbolic link) and then lets qemu-img format it as a qcow2 of @size
 * bytes on top of @backing. */
static gboolean
bp_nbd_create_output(const BpNbdCopyOptions *opts, guint64 size, GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int status = 0;
    int fd;

    fd = open(opts->output, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int saved = errno;

        g_set_error(error, BP_ERROR, saved == EEXIST ? BP_ERROR_EXISTS : BP_ERROR_IO,
                    _("cannot create backup output '%s': %s"), opts->output,
                    g_strerror(saved));
        return FALSE;
    }
    close(fd);

    g_ptr_array_add(argv, g_strdup(opts->qemu_img ? opts->qemu_img : BP_QEMU_IMG));
    g_ptr_array_add(argv, g_strdup("create"));
    g_ptr_array_add(argv, g_strdup("-q"));
    g_ptr_array_add(argv, g_strdup("-f"));
    g_ptr_array_add(argv, g_strdup("qcow2"));
    if (opts->backing) {
        g_ptr_array_add(argv, g_strdup("-b"));
        g_ptr_array_add(argv, g_canonicalize_filename(opts->backing, NULL));
        g_ptr_array_add(argv, g_strdup("-F"));
        g_ptr_array_add(argv, g_strdup("qcow2"));
    }
    g_ptr_array_add(argv, g_strdup(opts->output));
    g_ptr_array_add(argv, g_strdup_printf("%" G_GUINT64_FORMAT, size));
    g_ptr_array_add(argv, NULL);

    if (!g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH,
                      NULL, NULL, &out, &err, &status, error)) {
        unlink(opts->output);
        return FALSE;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("qemu-img could not create backup output '%s': %s"),
                    opts->output, g_strstrip(err));
        unlink(opts->output);
        return FALSE;
    }
    return TRUE;
}


/* A libnbd handle on a qemu-nbd child serving @path (qcow2, writable)
 * through socket activation; the child exits when the handle shuts
 * down. */
static struct nbd_handle *
bp_nbd_open_output(const BpNbdCopyOptions *opts, GError **error)
{
    struct nbd_handle *dst = nbd_create();
    char *argv[] = {
        (char *) (opts->qemu_nbd ? opts->qemu_nbd : "qemu-nbd"),
        (char *) "-f", (char *) "qcow2",
        (char *) "--discard=unmap",
        (char *) opts->output,
        NULL,
    };

    if (!dst || nbd_connect_systemd_socket_activation(dst, argv) < 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("cannot serve backup output '%s' with %s: %s"),
                    opts->output, argv[0], nbd_get_error());
        if (dst)
            nbd_close(dst);
        return NULL;
    }
    return dst;
}


/* Flushes and closes @dst; qemu-nbd then closes the image and exits. */
static gboolean
bp_nbd_close_output(struct nbd_handle *dst, const char *output, GError **error)
{
    gboolean ok = TRUE;

    if (nbd_flush(dst, 0) < 0 || nbd_shutdown(dst, 0) < 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("cannot flush backup output '%s': %s"), output, nbd_get_error());
        ok = FALSE;
    }
    nbd_close(dst);
    return ok;
}


gboolean
bp_nbd_copy(const BpNbdCopyOptions *opts, BpNbdCopyResult *result, GError **error)
{
    g_autoptr(BpNbdExtentList) list = NULL;
    g_autoptr(GPtrArray) src = g_ptr_array_new_with_free_func((GDestroyNotify) nbd_close);
    struct nbd_handle *dst = NULL;
    struct nbd_handle *first;
    guint want = opts->connections ? opts->connections : 1;
    gboolean created = FALSE;
    gboolean ok = FALSE;

    if (!(first = bp_nbd_open(opts->uri, opts->bitmap, error)))
        return FALSE;
    g_ptr_array_add(src, first);
    if (!(list = bp_nbd_extents_query(first, opts->bitmap, 0, error)))
        return FALSE;
    if (opts->synchronous || nbd_can_multi_conn(first) <= 0)
        want = 1;
    while (src->len < want) {
        struct nbd_handle *h = bp_nbd_open(opts->uri, NULL, error);

        if (!h)
            return FALSE;
        g_ptr_array_add(src, h);
    }

    if (!(created = bp_nbd_create_output(opts, list->size, error)))
        goto out;
    if (!(dst = bp_nbd_open_output(opts, error)))
        goto out;
    ok = bp_nbd_copy_extents((struct nbd_handle **) src->pdata, src->len, dst, list,
                             opts->backing != NULL, opts, error);
    if (!bp_nbd_close_output(dst, opts->output, ok ? error : NULL))
        ok = FALSE;

    if (ok && result) {
        result->size = list->size;
        result->data_bytes = list->data_bytes;
        result->zero_bytes = opts->backing ? list->zero_bytes : 0;
        result->connections = src->len;
        result->extents = list->extents->len;
    }

 out:
    if (!ok && created)
        unlink(opts->output);
    return ok;
}
