/*
 * bp-qsd-cmdline.c: a qemu-storage-daemon's files and command line.
 *
 * Every node is given with the JSON form of --blockdev: the dotted form
 * reads "backing=null" as a node called "null" (qemu-poc.md §10).  Nodes
 * are listed base first, since a node must exist before one above names
 * it.  --chardev/--monitor come last: QSD processes its options in order,
 * so the QMP socket appears only once every node and export is set up, and
 * a failure exits before it appears.  Backing layers are read-only format
 * nodes over auto-read-only protocol nodes, as libvirt does, so they take
 * no write lock yet can be reopened read-write for bitmap maintenance.
 */
#include <config.h>

#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bp-qmp-commands.h"
#include "bp-qsd-cmdline.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"


BpQsdLayout *
bp_qsd_layout_new(const char *runtime_dir, gboolean read_only)
{
    BpQsdLayout *layout = g_new0(BpQsdLayout, 1);

    layout->runtime_dir = g_strdup(runtime_dir);
    layout->qmp_socket = g_build_filename(runtime_dir, "qmp.sock", NULL);
    layout->nbd_socket = g_build_filename(runtime_dir, "nbd.sock", NULL);
    layout->pid_path = g_build_filename(runtime_dir, "qsd.pid", NULL);
    layout->log_path = g_build_filename(runtime_dir, "qsd.log", NULL);
    layout->read_only = read_only;
    layout->export_sockets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    layout->top_nodes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return layout;
}


void
bp_qsd_layout_free(BpQsdLayout *layout)
{
    if (!layout)
        return;
    g_free(layout->runtime_dir);
    g_free(layout->qmp_socket);
    g_free(layout->nbd_socket);
    g_free(layout->pid_path);
    g_free(layout->log_path);
    g_hash_table_unref(layout->export_sockets);
    g_hash_table_unref(layout->top_nodes);
    g_free(layout);
}


char *
bp_qemu_opts_escape(const char *value)
{
    g_auto(GStrv) parts = g_strsplit(value, ",", -1);

    return g_strjoinv(",,", parts);
}


static char *
bp_json_object_to_string(JsonObject *obj)
{
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

    json_node_set_object(node, obj);
    return json_to_string(node, FALSE);
}


static gboolean
bp_format_has_backing(const char *format)
{
    return g_str_equal(format, "qcow2") || g_str_equal(format, "qed");
}


/* Appends the --blockdev options of every layer of @spec, base first
 * (a node must exist before a node above it names it). */
static gboolean
bp_qsd_add_blockdevs(BpQsdLayout *layout, const BpQemuDiskSpec *spec,
                     GPtrArray *argv, GError **error)
{
    gboolean ro_daemon = layout->read_only;

    for (guint k = spec->layers->len; k-- > 0;) {
        BpQemuLayer *layer = bp_qemu_disk_spec_layer(spec, k);
        gboolean writable = k == 0 && !spec->readonly && !ro_daemon;
        g_autoptr(JsonObject) file = json_object_new();
        g_autoptr(JsonObject) fmt = json_object_new();
        g_autofree char *fmt_node = NULL;
        g_autofree char *file_node = NULL;
        g_autofree char *below = NULL;
        GStatBuf sb;

        if (!bp_qemu_disk_spec_node_names(spec, k, &fmt_node, &file_node, error) ||
            (k + 1 < spec->layers->len &&
             !bp_qemu_disk_spec_node_names(spec, k + 1, &below, NULL, error)))
            return FALSE;
        if (below && !bp_format_has_backing(layer->format)) {
            g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                        _("disk '%s': layer %s has format '%s', which cannot have a "
                          "backing image"), spec->target, layer->path, layer->format);
            return FALSE;
        }
        json_object_set_string_member(file, "driver",
                                      g_stat(layer->path, &sb) == 0 && S_ISBLK(sb.st_mode)
                                      ? "host_device" : "file");
        json_object_set_string_member(file, "node-name", file_node);
        json_object_set_string_member(file, "filename", layer->path);
        if (ro_daemon)
            json_object_set_boolean_member(file, "read-only", TRUE);
        else if (!writable)
            json_object_set_boolean_member(file, "auto-read-only", TRUE);

        json_object_set_string_member(fmt, "driver", layer->format);
        json_object_set_string_member(fmt, "node-name", fmt_node);
        json_object_set_string_member(fmt, "file", file_node);
        if (!writable)
            json_object_set_boolean_member(fmt, "read-only", TRUE);
        if (below)
            json_object_set_string_member(fmt, "backing", below);
        else if (bp_format_has_backing(layer->format))
            json_object_set_null_member(fmt, "backing");

        g_ptr_array_add(argv, g_strdup("--blockdev"));
        g_ptr_array_add(argv, bp_json_object_to_string(file));
        g_ptr_array_add(argv, g_strdup("--blockdev"));
        g_ptr_array_add(argv, bp_json_object_to_string(fmt));
        if (k == 0)
            g_hash_table_insert(layout->top_nodes, g_strdup(spec->target), g_strdup(fmt_node));
    }
    return TRUE;
}


static gboolean
bp_socket_path_fits(const char *path, GError **error)
{
    if (strlen(path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("socket path %s is too long for a unix socket (at most %zu bytes)"),
                    path, sizeof(((struct sockaddr_un *) NULL)->sun_path) - 1);
        return FALSE;
    }
    return TRUE;
}


gboolean
bp_qsd_layout_plan_exports(BpQsdLayout *layout, GPtrArray *disks, GError **error)
{
    if (!bp_socket_path_fits(layout->qmp_socket, error) ||
        !bp_socket_path_fits(layout->nbd_socket, error))
        return FALSE;
    if (layout->read_only)
        return TRUE;
    for (guint i = 0; i < disks->len; i++) {
        BpQemuDiskSpec *spec = g_ptr_array_index(disks, i);
        g_autofree char *path = NULL;

        if (spec->export_type == BP_QEMU_EXPORT_NBD) {
            path = g_strdup(layout->nbd_socket);
        } else if (spec->export_type == BP_QEMU_EXPORT_VHOST_USER_BLK) {
            g_autofree char *base = g_strdup_printf("vhost-%s.sock", spec->target);

            path = g_build_filename(layout->runtime_dir, base, NULL);
            if (!bp_socket_path_fits(path, error))
                return FALSE;
        } else {
            continue;
        }
        g_hash_table_insert(layout->export_sockets, g_strdup(spec->target), g_steal_pointer(&path));
    }
    return TRUE;
}


GPtrArray *
bp_qsd_layout_build_argv(BpQsdLayout *layout, const char *qsd, GPtrArray *disks,
                         GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *qmp = bp_qemu_opts_escape(layout->qmp_socket);
    gboolean nbd_server = FALSE;

    g_ptr_array_add(argv, g_strdup(qsd));
    g_ptr_array_add(argv, g_strdup("--pidfile"));
    g_ptr_array_add(argv, g_strdup(layout->pid_path));
    for (guint i = 0; i < disks->len; i++) {
        if (!bp_qsd_add_blockdevs(layout, g_ptr_array_index(disks, i), argv, error))
            return NULL;
    }
    for (guint i = 0; i < disks->len; i++) {
        BpQemuDiskSpec *spec = g_ptr_array_index(disks, i);
        const char *sock = g_hash_table_lookup(layout->export_sockets, spec->target);
        const char *node = g_hash_table_lookup(layout->top_nodes, spec->target);
        g_autofree char *id = bp_qemu_export_id(spec->target);
        g_autoptr(JsonObject) exp = NULL;

        if (!sock)
            continue;
        if (spec->export_type == BP_QEMU_EXPORT_NBD) {
            if (!nbd_server) {
                g_autoptr(JsonObject) server = json_object_new();
                JsonObject *addr = json_object_new();

                json_object_set_string_member(addr, "type", "unix");
                json_object_set_string_member(addr, "path", layout->nbd_socket);
                json_object_set_object_member(server, "addr", addr);
                g_ptr_array_add(argv, g_strdup("--nbd-server"));
                g_ptr_array_add(argv, bp_json_object_to_string(server));
                nbd_server = TRUE;
            }
            exp = bp_qmp_args_export_nbd(id, node, spec->target, !spec->readonly, NULL);
        } else {
            exp = bp_qmp_args_export_vhost_user_blk(id, node, sock, !spec->readonly);
        }
        g_ptr_array_add(argv, g_strdup("--export"));
        g_ptr_array_add(argv, bp_json_object_to_string(exp));
    }
    g_ptr_array_add(argv, g_strdup("--chardev"));
    g_ptr_array_add(argv, g_strdup_printf("socket,id=bp-qmp,path=%s,server=on,wait=off", qmp));
    g_ptr_array_add(argv, g_strdup("--monitor"));
    g_ptr_array_add(argv, g_strdup("chardev=bp-qmp"));
    g_ptr_array_add(argv, NULL);
    return g_steal_pointer(&argv);
}


gboolean
bp_qsd_process_matches(GPid pid, const char *qmp_socket)
{
    g_autofree char *proc = g_strdup_printf("/proc/%d/cmdline", (int) pid);
    g_autofree char *cmdline = NULL;
    g_autofree char *esc = bp_qemu_opts_escape(qmp_socket);
    g_autofree char *needle = g_strdup_printf("path=%s,", esc);
    gsize len = 0;

    if (pid <= 0 || !g_file_get_contents(proc, &cmdline, &len, NULL))
        return FALSE;
    for (gsize off = 0; off < len; off += strlen(cmdline + off) + 1) {
        if (strstr(cmdline + off, needle))
            return TRUE;
    }
    return FALSE;
}
