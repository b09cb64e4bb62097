/*
 * bp-nbd-extents.h: which parts of an NBD export a pull-mode backup
 * must copy.
 *
 * A full backup asks the server for "base:allocation" and copies what
 * is not known to read as zero; an incremental one asks for
 * "qemu:dirty-bitmap:NAME" as well and copies only the dirty ranges,
 * each split into data and zero by the allocation context.
 */
#pragma once

#include <glib.h>
#include <libnbd.h>

typedef enum {
    BP_NBD_EXTENT_DATA,   /* read from the export and write */
    BP_NBD_EXTENT_ZERO,   /* reads as zero: becomes a hole / zero cluster */
} BpNbdExtentKind;

typedef struct {
    guint64 offset;
    guint64 length;
    BpNbdExtentKind kind;
} BpNbdExtent;

/* The ranges to copy, sorted, not overlapping, adjacent ranges of the
 * same kind merged.  Ranges that need not be copied (clean, or - for a
 * full backup - unallocated zero) are absent from @extents, except that
 * a full backup still lists zero ranges so that a caller may decide. */
typedef struct {
    guint64 size;         /* export size */
    gboolean incremental; /* built from a dirty bitmap */
    GArray *extents;      /* of BpNbdExtent */
    guint64 data_bytes;   /* sum of DATA lengths */
    guint64 zero_bytes;   /* sum of ZERO lengths */
    guint queries;        /* block status round trips used */
} BpNbdExtentList;

void bp_nbd_extent_list_free(BpNbdExtentList *list);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpNbdExtentList, bp_nbd_extent_list_free)

/* Opens a read-only libnbd handle on @uri (nbd://, nbd+unix://, nbds://
 * with ?tls-certificates=DIR, ...)
 * asking for "base:allocation" and, when @bitmap is not NULL, for
 * "qemu:dirty-bitmap:@bitmap".  Fails with BP_ERROR_IO when it cannot
 * connect and BP_ERROR_OPERATION_INVALID when the server does not offer
 * a requested context.  The caller closes the handle with nbd_close(). */
struct nbd_handle *bp_nbd_open(const char *uri, const char *bitmap, GError **error);

/* Walks the whole export of @nbd (opened by bp_nbd_open() with the same
 * @bitmap) with block status requests of at most @chunk bytes each (0:
 * the largest the protocol allows), continuing from wherever the server
 * stopped answering, and returns the extents to copy.  With @bitmap the
 * list holds only dirty ranges.  Returns NULL and sets @error
 * (BP_ERROR_IO) when a request fails or the server answers nonsense. */
BpNbdExtentList *bp_nbd_extents_query(struct nbd_handle *nbd, const char *bitmap,
                                      guint64 chunk, GError **error);
