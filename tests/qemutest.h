/*
 * qemutest.h: helpers for the tests that run the real qemu-img and
 * qemu-storage-daemon (test-qemu-storage, test-qemu-offline).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "qemu/bp-block-graph.h"
#include "qemu/bp-runtime-storage.h"

/* Prints a TAP skip plan and exits when $QEMU_IMG or
 * $QEMU_STORAGE_DAEMON does not name an executable. */
void qt_require_tools(void);

/* Runs qemu-img with the NULL-terminated arguments and returns its
 * standard output; the test fails when it fails. */
char *qt_qemu_img(const char *first, ...) G_GNUC_NULL_TERMINATED;

/* Creates a qcow2 image @name in @dir (on top of @backing, a qcow2, if
 * not NULL) and returns its path. */
char *qt_image(const char *dir, const char *name, const char *size, const char *backing);

/* Flags of bitmap @name in @image as qemu-img info prints them, joined
 * with ',' ("" when it has none), or NULL when the image has no such
 * bitmap. */
char *qt_bitmap_flags(const char *image, const char *name);
/* Its granularity from qemu-img info, 0 when absent. */
guint64 qt_bitmap_granularity(const char *image, const char *name);

/* Synchronous wrappers of the runtime. */
BpQemuStorage *qt_start(const BpQemuRuntimeConfig *config, BpQemuDiskSpec **disks,
                        size_t ndisks, BpQemuStorageStartFlags flags, GError **error);
void qt_stop(BpQemuStorage *st);
BpBlockGraph *qt_graph(BpQemuStorage *st);
/* Runs @command with @json_args (a JSON object text or NULL). */
gboolean qt_qmp(BpQmpMonitor *mon, const char *command, const char *json_args,
                GError **error);

/* The bitmap @name of layer @layer (0 = active) of @target. */
BpBitmapInfo *qt_bitmap(BpBlockGraph *graph, const char *target, guint layer,
                        const char *name);

/* Writes @len bytes of @byte at @offset through the NBD export @export
 * served on @socket, with libnbd. */
void qt_nbd_write(const char *socket, const char *export, guint64 offset,
                  size_t len, guint8 byte);
/* Reads @len bytes at @offset and checks they all equal @byte. */
void qt_nbd_check(const char *socket, const char *export, guint64 offset,
                  size_t len, guint8 byte);

/* Iterates the main context until *@flag or @timeout_ms. */
gboolean qt_wait(const gboolean *flag, guint timeout_ms);
