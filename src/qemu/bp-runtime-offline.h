/*
 * bp-runtime-offline.h: the block layer of a domain that is not running.
 *
 * Bitmaps are changed with `qemu-img bitmap` and the graph is read with
 * `qemu-img info --output=json --backing-chain`.  qemu-img takes the same
 * image locks QEMU does, so an image that a running process holds is
 * refused with BP_ERROR_BUSY and a message naming the image; nothing here
 * uses -U (force-share) to get around that.
 *
 * What qemu-img cannot do (bitmap dirty counts, backup jobs) needs a live
 * block layer: bp_qemu_offline_open_async() starts a short-lived
 * qemu-storage-daemon with every node read-only and no exports — a
 * read-only open takes only shared locks and never marks bitmaps in use.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "bp-block-graph.h"
#include "bp-qemu-types.h"
#include "bp-runtime-storage.h"

G_BEGIN_DECLS

/*
 * Runs qemu-img with @args (NULL-terminated, without the program name);
 * @image names the image in messages.  The finish function returns
 * qemu-img's standard output, or NULL with BP_ERROR_BUSY (the image is
 * locked by another process), BP_ERROR_QEMU (qemu-img failed; its
 * message is included) or BP_ERROR_CONFIG_UNSUPPORTED (no qemu-img).
 */
void bp_qemu_img_run_async(const BpQemuRuntimeConfig *config,
                           const char *const *args,
                           const char *image,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data);
char *bp_qemu_img_run_finish(GAsyncResult *result, GError **error);

/* qemu-img info --backing-chain of @path: the JSON array, active layer
 * first.  @format may be NULL (probe). */
void bp_qemu_offline_image_info_async(const BpQemuRuntimeConfig *config,
                                      const char *path,
                                      const char *format,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data);
JsonNode *bp_qemu_offline_image_info_finish(GAsyncResult *result, GError **error);

/*
 * Returns a copy of @spec whose layers are the whole chain with every
 * format known: when the spec is not marked chain_complete (or a format
 * is missing) the chain is read from the images.  Given layers must
 * agree with the images (BP_ERROR_INVALID_ARGUMENT otherwise).
 */
void bp_qemu_offline_complete_chain_async(const BpQemuRuntimeConfig *config,
                                          const BpQemuDiskSpec *spec,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer user_data);
BpQemuDiskSpec *bp_qemu_offline_complete_chain_finish(GAsyncResult *result,
                                                      GError **error);

/*
 * The graph of the disks as stored in the images: every layer named as
 * the storage runtime would name it, virtual size, cluster size and the
 * persistent bitmaps (recording = "auto" flag, inconsistent = "in-use"
 * flag, count unknown).  read_only is FALSE: nothing has them open.
 */
void bp_qemu_offline_read_graph_async(const BpQemuRuntimeConfig *config,
                                      BpQemuDiskSpec *const *disks,
                                      size_t ndisks,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data);
BpBlockGraph *bp_qemu_offline_read_graph_finish(GAsyncResult *result,
                                                GError **error);

/* Parses one disk's qemu-img info --backing-chain array into @graph
 * (exposed for tests). */
gboolean bp_qemu_offline_graph_add_disk(BpBlockGraph *graph,
                                        const BpQemuDiskSpec *spec,
                                        JsonNode *info,
                                        GError **error);

typedef enum {
    BP_QEMU_IMG_BITMAP_ADD,     /* uses granularity and disabled */
    BP_QEMU_IMG_BITMAP_REMOVE,
    BP_QEMU_IMG_BITMAP_CLEAR,
    BP_QEMU_IMG_BITMAP_ENABLE,
    BP_QEMU_IMG_BITMAP_DISABLE,
    BP_QEMU_IMG_BITMAP_MERGE,   /* uses source, source_image, source_format */
} BpQemuImgBitmapAction;

typedef struct {
    BpQemuImgBitmapAction action;
    guint64 granularity;        /* ADD: 0 = qemu-img's default (cluster size) */
    gboolean disabled;          /* ADD: create it not recording */
    const char *source;         /* MERGE: bitmap to merge from */
    const char *source_image;   /* MERGE: another image (e.g. the backing
                                 * file), NULL = the same image */
    const char *source_format;  /* MERGE: its format */
} BpQemuImgBitmapOp;

/*
 * Applies @ops, in order, to bitmap @bitmap of @image in one qemu-img
 * call (so they succeed or fail together as far as qemu-img allows).
 */
void bp_qemu_offline_bitmap_async(const BpQemuRuntimeConfig *config,
                                  const char *image,
                                  const char *format,
                                  const char *bitmap,
                                  const BpQemuImgBitmapOp *ops,
                                  size_t nops,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
gboolean bp_qemu_offline_bitmap_finish(GAsyncResult *result, GError **error);

/*
 * Starts a short-lived read-only qemu-storage-daemon for @disks in
 * config->runtime_dir (no exports; jobs add what they need over QMP).
 * Finish with bp_qemu_storage_start_finish(); stop it with
 * bp_qemu_storage_stop_async().
 */
void bp_qemu_offline_open_async(const BpQemuRuntimeConfig *config,
                                BpQemuDiskSpec *const *disks,
                                size_t ndisks,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);

G_END_DECLS
