/*
 * bp-qemu-types.h: what a runtime is given — the disks of a domain with
 * their image chains, and where the runtime keeps its sockets — plus the
 * node naming scheme.
 *
 * These are src/qemu's own input types; the daemon fills them from the
 * domain definition (src/conf), so this layer does not depend on it.
 *
 * Node names (QEMU allows at most 31 characters):
 *
 *     bp-<target>-<n>-fmt     the format node (qcow2, raw) of layer n
 *     bp-<target>-<n>-file    its protocol node (file, host_device)
 *
 * n counts from the base of the chain (the base is 0, the active layer
 * is nlayers - 1), so an overlay added by an external snapshot gets the
 * next number and every existing layer keeps its name across snapshots
 * and restarts.  A layer may carry an explicit node name instead: that
 * names its format node, and "<name>-file" its protocol node.  Targets
 * are short (vda, sdb); the limit is 21 characters below ten layers, 20
 * below a hundred.
 */
#pragma once

#include <glib.h>

#include "util/bp-enum.h"

G_BEGIN_DECLS

#define BP_QEMU_NODE_NAME_MAX 31

typedef enum {
    BP_QEMU_EXPORT_NBD,             /* NBD on <runtime_dir>/nbd.sock, export name = target */
    BP_QEMU_EXPORT_VHOST_USER_BLK,  /* <runtime_dir>/vhost-<target>.sock */
    BP_QEMU_EXPORT_NONE,

    BP_QEMU_EXPORT_LAST
} BpQemuExportType;
BP_ENUM_DECL(bp_qemu_export_type);

typedef struct {
    char *path;                 /* absolute image path */
    char *format;               /* "qcow2", "raw"...; NULL = ask qemu-img */
    char *node_name;            /* explicit format node name, or NULL */
} BpQemuLayer;

typedef struct {
    char *target;               /* the disk's name: vda, sdb */
    GPtrArray *layers;          /* BpQemuLayer*, the active layer first */
    gboolean chain_complete;    /* TRUE: @layers is the whole chain; FALSE:
                                 * the rest is read from the images */
    gboolean readonly;
    BpQemuExportType export_type;
} BpQemuDiskSpec;

BpQemuDiskSpec *bp_qemu_disk_spec_new(const char *target,
                                      BpQemuExportType export_type);
/* Appends one layer below the ones already added. */
void bp_qemu_disk_spec_add_layer(BpQemuDiskSpec *spec,
                                 const char *path,
                                 const char *format,
                                 const char *node_name);
BpQemuDiskSpec *bp_qemu_disk_spec_copy(const BpQemuDiskSpec *spec);
void bp_qemu_disk_spec_free(BpQemuDiskSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpQemuDiskSpec, bp_qemu_disk_spec_free)

static inline BpQemuLayer *
bp_qemu_disk_spec_layer(const BpQemuDiskSpec *spec, guint i)
{
    return g_ptr_array_index(spec->layers, i);
}

typedef struct {
    char *domain;               /* for messages */
    char *runtime_dir;          /* sockets, pid and log files; created 0700 */
    char *qsd_path;             /* NULL: $QEMU_STORAGE_DAEMON, else configure's */
    char *qemu_img_path;        /* NULL: $QEMU_IMG, else configure's */
    guint start_timeout_ms;     /* 0 = 10 s */
    guint stop_timeout_ms;      /* 0 = 10 s: quit, then SIGKILL */
} BpQemuRuntimeConfig;

BpQemuRuntimeConfig *bp_qemu_runtime_config_new(const char *domain,
                                                const char *runtime_dir);
BpQemuRuntimeConfig *bp_qemu_runtime_config_copy(const BpQemuRuntimeConfig *config);
void bp_qemu_runtime_config_free(BpQemuRuntimeConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpQemuRuntimeConfig, bp_qemu_runtime_config_free)

/* The programs to run, or NULL with BP_ERROR_CONFIG_UNSUPPORTED when
 * none is configured. */
const char *bp_qemu_runtime_config_qsd(const BpQemuRuntimeConfig *config,
                                       GError **error);
const char *bp_qemu_runtime_config_qemu_img(const BpQemuRuntimeConfig *config,
                                            GError **error);

/* QEMU's rule: a letter, then letters, digits, '-', '.', '_'; <= 31. */
gboolean bp_qemu_node_name_is_valid(const char *name);

/* The scheme above for layer @index (0 = base) of @target; NULL with
 * BP_ERROR_INVALID_ARGUMENT when the name would be invalid or too long. */
char *bp_qemu_node_name(const char *target, guint index, gboolean file,
                        GError **error);

/* Format and protocol node names of layer @i (0 = active layer) of
 * @spec, honouring explicit names. */
gboolean bp_qemu_disk_spec_node_names(const BpQemuDiskSpec *spec, guint i,
                                      char **format_node, char **file_node,
                                      GError **error);

/* "bp-exp-<target>": the id of the disk's export. */
char *bp_qemu_export_id(const char *target);

G_END_DECLS
