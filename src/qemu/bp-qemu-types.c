/*
 * bp-qemu-types.c: disk specs, runtime configuration, node names.
 */
#include <config.h>

#include <string.h>

#include "bp-qemu-types.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

BP_ENUM_IMPL(bp_qemu_export_type, BP_QEMU_EXPORT_LAST,
             "nbd", "vhost-user-blk", "none")


static void
bp_qemu_layer_free(BpQemuLayer *layer)
{
    g_free(layer->path);
    g_free(layer->format);
    g_free(layer->node_name);
    g_free(layer);
}


BpQemuDiskSpec *
bp_qemu_disk_spec_new(const char *target, BpQemuExportType export_type)
{
    BpQemuDiskSpec *spec = g_new0(BpQemuDiskSpec, 1);

    spec->target = g_strdup(target);
    spec->layers = g_ptr_array_new_with_free_func((GDestroyNotify) bp_qemu_layer_free);
    spec->export_type = export_type;
    return spec;
}


void
bp_qemu_disk_spec_add_layer(BpQemuDiskSpec *spec, const char *path,
                            const char *format, const char *node_name)
{
    BpQemuLayer *layer = g_new0(BpQemuLayer, 1);

    layer->path = g_strdup(path);
    layer->format = g_strdup(format);
    layer->node_name = g_strdup(node_name);
    g_ptr_array_add(spec->layers, layer);
}


BpQemuDiskSpec *
bp_qemu_disk_spec_copy(const BpQemuDiskSpec *spec)
{
    BpQemuDiskSpec *copy = bp_qemu_disk_spec_new(spec->target, spec->export_type);

    copy->chain_complete = spec->chain_complete;
    copy->readonly = spec->readonly;
    for (guint i = 0; i < spec->layers->len; i++) {
        BpQemuLayer *layer = bp_qemu_disk_spec_layer(spec, i);

        bp_qemu_disk_spec_add_layer(copy, layer->path, layer->format, layer->node_name);
    }
    return copy;
}


void
bp_qemu_disk_spec_free(BpQemuDiskSpec *spec)
{
    if (!spec)
        return;
    g_free(spec->target);
    g_ptr_array_unref(spec->layers);
    g_free(spec);
}


BpQemuRuntimeConfig *
bp_qemu_runtime_config_new(const char *domain, const char *runtime_dir)
{
    BpQemuRuntimeConfig *config = g_new0(BpQemuRuntimeConfig, 1);

    config->domain = g_strdup(domain);
    config->runtime_dir = g_strdup(runtime_dir);
    return config;
}


BpQemuRuntimeConfig *
bp_qemu_runtime_config_copy(const BpQemuRuntimeConfig *config)
{
    BpQemuRuntimeConfig *copy = bp_qemu_runtime_config_new(config->domain,
                                                           config->runtime_dir);

    copy->qsd_path = g_strdup(config->qsd_path);
    copy->qemu_img_path = g_strdup(config->qemu_img_path);
    copy->start_timeout_ms = config->start_timeout_ms;
    copy->stop_timeout_ms = config->stop_timeout_ms;
    return copy;
}


void
bp_qemu_runtime_config_free(BpQemuRuntimeConfig *config)
{
    if (!config)
        return;
    g_free(config->domain);
    g_free(config->runtime_dir);
    g_free(config->qsd_path);
    g_free(config->qemu_img_path);
    g_free(config);
}


static const char *
bp_qemu_pick_program(const char *explicit_path, const char *env,
                     const char *configured, const char *what, GError **error)
{
    const char *path = explicit_path;

    if (!path || !*path)
        path = g_getenv(env);
    if (!path || !*path)
        path = configured;
    if (!path || !*path || g_str_equal(path, "no")) {
        g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                    _("%s is not available: install it or set %s"), what, env);
        return NULL;
    }
    return path;
}


const char *
bp_qemu_runtime_config_qsd(const BpQemuRuntimeConfig *config, GError **error)
{
    return bp_qemu_pick_program(config ? config->qsd_path : NULL, "QEMU_STORAGE_DAEMON",
                                BP_QEMU_STORAGE_DAEMON, "qemu-storage-daemon", error);
}


const char *
bp_qemu_runtime_config_qemu_img(const BpQemuRuntimeConfig *config, GError **error)
{
    return bp_qemu_pick_program(config ? config->qemu_img_path : NULL, "QEMU_IMG",
                                BP_QEMU_IMG, "qemu-img", error);
}


gboolean
bp_qemu_node_name_is_valid(const char *name)
{
    size_t len = name ? strlen(name) : 0;

    if (len == 0 || len > BP_QEMU_NODE_NAME_MAX || !g_ascii_isalpha(name[0]))
        return FALSE;
    for (size_t i = 1; i < len; i++) {
        if (!g_ascii_isalnum(name[i]) && !strchr("-._", name[i]))
            return FALSE;
    }
    return TRUE;
}


char *
bp_qemu_node_name(const char *target, guint index, gboolean file, GError **error)
{
    g_autofree char *name = g_strdup_printf("bp-%s-%u-%s", target, index,
                                            file ? "file" : "fmt");

    if (!bp_qemu_node_name_is_valid(name)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("disk target '%s' cannot be turned into a QEMU node name "
                      "('%s' is invalid or longer than %d characters)"),
                    target, name, BP_QEMU_NODE_NAME_MAX);
        return NULL;
    }
    return g_steal_pointer(&name);
}


gboolean
bp_qemu_disk_spec_node_names(const BpQemuDiskSpec *spec, guint i,
                             char **format_node, char **file_node,
                             GError **error)
{
    BpQemuLayer *layer = bp_qemu_disk_spec_layer(spec, i);
    guint index = spec->layers->len - 1 - i;
    g_autofree char *fmt = NULL;
    g_autofree char *file = NULL;

    if (layer->node_name) {
        fmt = g_strdup(layer->node_name);
        file = g_strconcat(layer->node_name, "-file", NULL);
        if (!bp_qemu_node_name_is_valid(fmt) || !bp_qemu_node_name_is_valid(file)) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("node name '%s' of disk '%s' is invalid or too long "
                          "(at most %d characters with '-file' appended)"),
                        layer->node_name, spec->target, BP_QEMU_NODE_NAME_MAX);
            return FALSE;
        }
    } else {
        if (!(fmt = bp_qemu_node_name(spec->target, index, FALSE, error)) ||
            !(file = bp_qemu_node_name(spec->target, index, TRUE, error)))
            return FALSE;
    }
    if (format_node)
        *format_node = g_steal_pointer(&fmt);
    if (file_node)
        *file_node = g_steal_pointer(&file);
    return TRUE;
}


char *
bp_qemu_export_id(const char *target)
{
    return g_strconcat("bp-exp-", target, NULL);
}
