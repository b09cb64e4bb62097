/*
 * bp-qsd-cmdline.h: where a domain's qemu-storage-daemon keeps its
 * sockets and files, and the command line that opens its disks.
 * Internal to src/qemu (the storage runtime); pure, so it is tested
 * without starting anything.
 */
#pragma once

#include <glib.h>

#include "bp-qemu-types.h"

G_BEGIN_DECLS

typedef struct {
    char *runtime_dir;
    char *qmp_socket;           /* <runtime_dir>/qmp.sock */
    char *nbd_socket;           /* <runtime_dir>/nbd.sock */
    char *pid_path;             /* <runtime_dir>/qsd.pid */
    char *log_path;             /* <runtime_dir>/qsd.log */
    gboolean read_only;         /* every node read-only, no exports */
    GHashTable *export_sockets; /* target -> socket path of its export */
    GHashTable *top_nodes;      /* target -> node name of its active layer */
} BpQsdLayout;

BpQsdLayout *bp_qsd_layout_new(const char *runtime_dir, gboolean read_only);
void bp_qsd_layout_free(BpQsdLayout *layout);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpQsdLayout, bp_qsd_layout_free)

/* Decides each disk's export socket; fails with BP_ERROR_INVALID_ARGUMENT
 * when a socket path does not fit in a sockaddr_un. */
gboolean bp_qsd_layout_plan_exports(BpQsdLayout *layout, GPtrArray *disks,
                                    GError **error);

/*
 * The NULL-terminated argv for @qsd serving @disks (complete chains,
 * formats known), after bp_qsd_layout_plan_exports().  Records each
 * disk's active node in layout->top_nodes.  Fails with
 * BP_ERROR_INVALID_ARGUMENT (node names) or BP_ERROR_CONFIG_UNSUPPORTED
 * (a format that cannot have a backing image above another layer).
 */
GPtrArray *bp_qsd_layout_build_argv(BpQsdLayout *layout, const char *qsd,
                                    GPtrArray *disks, GError **error);

/* QemuOpts escaping: commas doubled. */
char *bp_qemu_opts_escape(const char *value);

/* TRUE when @pid runs and its command line serves QMP on @qmp_socket. */
gboolean bp_qsd_process_matches(GPid pid, const char *qmp_socket);

G_END_DECLS
