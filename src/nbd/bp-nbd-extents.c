/*
 * bp-nbd-extents.c: block status of an NBD export into a copy list.
 */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "nbd/bp-nbd-extents.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_NBD_ALLOCATION "base:allocation"
#define BP_NBD_BITMAP_PREFIX "qemu:dirty-bitmap:"

/* The protocol's count is 32 bits; stay well inside and aligned. */
#define BP_NBD_MAX_STATUS_CHUNK (G_GUINT64_CONSTANT(1) << 31)

/* One answer of one context: a list of (end, flags) pairs starting at
 * the offset the request was made for. */
typedef struct {
    guint64 start;
    GArray *alloc;   /* of BpNbdRun */
    GArray *dirty;   /* of BpNbdRun */
    gboolean bad;
} BpNbdStatusReply;

typedef struct {
    guint64 end;
    guint32 flags;
} BpNbdRun;


void
bp_nbd_extent_list_free(BpNbdExtentList *list)
{
    if (!list)
        return;
    if (list->extents)
        g_array_unref(list->extents);
    g_free(list);
}


struct nbd_handle *
bp_nbd_open(const char *uri, const char *bitmap, GError **error)
{
    struct nbd_handle *nbd = nbd_create();
    g_autofree char *bitmap_ctx = NULL;

    if (!nbd) {
        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("cannot create an NBD handle: %s"), nbd_get_error());
        return NULL;
    }
    if (bitmap)
        bitmap_ctx = g_strconcat(BP_NBD_BITMAP_PREFIX, bitmap, NULL);

    /* The URI may name a TLS certificates directory
     * (?tls-certificates=DIR), which libnbd refuses by default. */
    if (nbd_set_uri_allow_local_file(nbd, true) < 0 ||
        nbd_add_meta_context(nbd, BP_NBD_ALLOCATION) < 0 ||
        (bitmap_ctx && nbd_add_meta_context(nbd, bitmap_ctx) < 0) ||
        nbd_connect_uri(nbd, uri) < 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("cannot connect to NBD export '%s': %s"), uri, nbd_get_error());
        nbd_close(nbd);
        return NULL;
    }
    if (nbd_can_meta_context(nbd, BP_NBD_ALLOCATION) <= 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("NBD export '%s' does not report '%s'"), uri, BP_NBD_ALLOCATION);
        nbd_close(nbd);
        return NULL;
    }
    if (bitmap_ctx && nbd_can_meta_context(nbd, bitmap_ctx) <= 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("NBD export '%s' does not export dirty bitmap '%s'"), uri, bitmap);
        nbd_close(nbd);
        return NULL;
    }
    return nbd;
}


static int
bp_nbd_status_cb(void *opaque, const char *metacontext, uint64_t offset,
                 uint32_t *entries, size_t nr_entries, int *error)
{
    BpNbdStatusReply *reply = opaque;
    GArray *runs;
    guint64 pos = offset;

    if (*error) {
        reply->bad = TRUE;
        return 0;
    }
    if (g_str_equal(metacontext, BP_NBD_ALLOCATION))
        runs = reply->alloc;
    else if (g_str_has_prefix(metacontext, BP_NBD_BITMAP_PREFIX))
        runs = reply->dirty;
    else
        return 0;

    if (offset != reply->start || nr_entries % 2 != 0 || runs->len > 0) {
        reply->bad = TRUE;
        return 0;
    }
    for (size_t i = 0; i < nr_entries; i += 2) {
        BpNbdRun run = { pos + entries[i], entries[i + 1] };

        if (entries[i] == 0) {
            reply->bad = TRUE;
            return 0;
        }
        g_array_append_val(runs, run);
        pos = run.end;
    }
    return 0;
}


static void
bp_nbd_list_add(BpNbdExtentList *list, guint64 offset, guint64 length,
                BpNbdExtentKind kind)
{
    BpNbdExtent ext = { offset, length, kind };

    if (length == 0)
        return;
    if (kind == BP_NBD_EXTENT_DATA)
        list->data_bytes += length;
    else
        list->zero_bytes += length;
    if (list->extents->len > 0) {
        BpNbdExtent *last = &g_array_index(list->extents, BpNbdExtent,
                                           list->extents->len - 1);

        if (last->kind == kind && last->offset + last->length == offset) {
            last->length += length;
            return;
        }
    }
    g_array_append_val(list->extents, ext);
}


/* Intersects the allocation runs with the dirty runs (when incremental)
 * from @reply->start up to the end both contexts cover, appends the
 * result to @list and returns that end (@reply->start if none). */
static guint64
bp_nbd_merge_reply(BpNbdExtentList *list, BpNbdStatusReply *reply, guint64 limit)
{
    guint64 pos = reply->start;
    guint ia = 0, id = 0;

    while (pos < limit && ia < reply->alloc->len &&
           (!list->incremental || id < reply->dirty->len)) {
        BpNbdRun *a = &g_array_index(reply->alloc, BpNbdRun, ia);
        guint64 end = MIN(a->end, limit);
        gboolean copy = TRUE;

        if (list->incremental) {
            BpNbdRun *d = &g_array_index(reply->dirty, BpNbdRun, id);

            end = MIN(end, d->end);
            copy = (d->flags & 1) != 0;   /* NBD_STATE_DIRTY */
            if (d->end == end)
                id++;
        }
        if (copy)
            bp_nbd_list_add(list, pos, end - pos,
                            (a->flags & LIBNBD_STATE_ZERO) ?
                            BP_NBD_EXTENT_ZERO : BP_NBD_EXTENT_DATA);
        if (a->end == end)
            ia++;
        pos = end;
    }
    return pos;
}


BpNbdExtentList *
bp_nbd_extents_query(struct nbd_handle *nbd, const char *bitmap,
                     guint64 chunk, GError **error)
{
    g_autoptr(BpNbdExtentList) list = g_new0(BpNbdExtentList, 1);
    int64_t size = nbd_get_size(nbd);
    guint64 pos = 0;

    if (size < 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("cannot get the size of the NBD export: %s"), nbd_get_error());
        return NULL;
    }
    if (chunk == 0 || chunk > BP_NBD_MAX_STATUS_CHUNK)
        chunk = BP_NBD_MAX_STATUS_CHUNK;
    list->size = size;
    list->incremental = bitmap != NULL;
    list->extents = g_array_new(FALSE, FALSE, sizeof(BpNbdExtent));

    while (pos < list->size) {
        BpNbdStatusReply reply = { pos, NULL, NULL, FALSE };
        guint64 count = MIN(chunk, list->size - pos);
        nbd_extent_callback cb = { .callback = bp_nbd_status_cb, .user_data = &reply };
        guint64 next;

        reply.alloc = g_array_new(FALSE, FALSE, sizeof(BpNbdRun));
        reply.dirty = g_array_new(FALSE, FALSE, sizeof(BpNbdRun));
        list->queries++;
        if (nbd_block_status(nbd, count, pos, cb, 0) < 0) {
            g_set_error(error, BP_ERROR, BP_ERROR_IO,
                        _("block status of the NBD export at offset %llu failed: %s"),
                        (unsigned long long) pos, nbd_get_error());
            next = pos;
        } else if (reply.bad) {
            g_set_error(error, BP_ERROR, BP_ERROR_IO,
                        _("the NBD server sent an invalid block status reply at offset %llu"),
                        (unsigned long long) pos);
            next = pos;
        } else {
            next = bp_nbd_merge_reply(list, &reply, pos + count);
            if (next == pos)
                g_set_error(error, BP_ERROR, BP_ERROR_IO,
                            _("the NBD server sent no block status at offset %llu"),
                            (unsigned long long) pos);
        }
        g_array_unref(reply.alloc);
        g_array_unref(reply.dirty);
        if (next == pos)
            return NULL;
        pos = next;
    }
    return g_steal_pointer(&list);
}
