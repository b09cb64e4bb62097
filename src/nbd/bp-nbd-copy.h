/*
 * bp-nbd-copy.h: the pull-mode backup consumer.  Copies the extents of
 * an NBD export (all of it, or what a dirty bitmap marks) into a new
 * qcow2 image, optionally on top of the previous backup, with many
 * requests in flight over one or more connections.
 */
#pragma once

#include <glib.h>
#include <libnbd.h>

#include "nbd/bp-nbd-extents.h"

/* Called from the copying thread after each completed request. */
typedef void (*BpNbdProgressFunc)(guint64 done, guint64 total, gpointer user_data);

typedef struct {
    const char *uri;          /* the export to back up */
    const char *bitmap;       /* its dirty bitmap, NULL for a full backup */
    const char *output;       /* qcow2 to create; must not exist */
    const char *backing;      /* qcow2 the output sits on, or NULL */
    guint in_flight;          /* requests in flight per connection (0: 8) */
    guint connections;        /* source connections (0: 1); capped to 1
                               * unless the server allows multi-conn */
    guint64 request_size;     /* bytes per read (0: 4 MiB; capped by the
                               * servers' maximum block size) */
    gboolean synchronous;     /* baseline: one extent piece at a time with
                               * blocking nbd_pread/nbd_pwrite */
    const char *qemu_img;     /* NULL: the one found at configure time */
    const char *qemu_nbd;     /* NULL: "qemu-nbd" from $PATH */
    BpNbdProgressFunc progress;
    gpointer progress_data;
} BpNbdCopyOptions;

typedef struct {
    guint64 size;             /* export size */
    guint64 data_bytes;       /* bytes read and written */
    guint64 zero_bytes;       /* bytes written as zeroes / holes */
    guint connections;        /* source connections actually used */
    guint extents;            /* entries of the copy list */
} BpNbdCopyResult;

/* Backs up @opts->uri into @opts->output: queries the extents
 * (bp_nbd_extents_query()), creates the output with qemu-img (backing
 * @opts->backing, format qcow2, never replacing an existing file),
 * serves it with a qemu-nbd child and writes through it the data
 * extents (nbd_aio_pread -> nbd_aio_pwrite) and, when there is a backing
 * file, the zero extents (nbd_aio_zero, which may punch holes) so they
 * do not show the older data; clean ranges are left unallocated and read
 * through to the backing file.  Fills @result (may be NULL).  On failure
 * the output is removed and @error says which offset or step failed. */
gboolean bp_nbd_copy(const BpNbdCopyOptions *opts, BpNbdCopyResult *result,
                     GError **error);

/* The engine of bp_nbd_copy(): copies @list from the @nsrc handles of
 * @src to @dst (one handle) with @opts->in_flight requests per source
 * handle; @write_zeroes says whether ZERO extents are written.  Does not
 * flush @dst.  Exposed for the benchmark. */
gboolean bp_nbd_copy_extents(struct nbd_handle **src, guint nsrc,
                             struct nbd_handle *dst, const BpNbdExtentList *list,
                             gboolean write_zeroes, const BpNbdCopyOptions *opts,
                             GError **error);
