/*
 * bp-domain-runtime.c: domain definition -> runtime input (see the header).
 */
#include <config.h>

#include "util/bp-error.h"
#include "util/bp-i18n.h"
#include "bp-domain-runtime.h"


/* The parser has already resolved the runtime's default into each disk. */
static BpQemuExportType
bp_domain_runtime_export(const BpDiskDef *disk)
{
    switch (disk->export_type) {
    case BP_DISK_EXPORT_VHOST_USER_BLK:
        return BP_QEMU_EXPORT_VHOST_USER_BLK;
    case BP_DISK_EXPORT_NONE:
        return BP_QEMU_EXPORT_NONE;
    case BP_DISK_EXPORT_NBD:
    case BP_DISK_EXPORT_LAST:
    default:
        return BP_QEMU_EXPORT_NBD;
    }
}


GPtrArray *
bp_domain_runtime_disk_specs(const BpDomainDef *def, GError **error)
{
    g_autoptr(GPtrArray) specs =
        g_ptr_array_new_with_free_func((GDestroyNotify) bp_qemu_disk_spec_free);

    for (size_t i = 0; i < def->ndisks; i++) {
        const BpDiskDef *disk = def->disks[i];
        g_autoptr(BpQemuDiskSpec) spec = NULL;
        const BpStorageSource *src;
        const BpStorageSource *last = NULL;

        if (bp_disk_def_is_empty(disk))
            continue;

        spec = bp_qemu_disk_spec_new(disk->dst,
                                     bp_domain_runtime_export(disk));
        spec->readonly = disk->src->readonly;
        for (src = disk->src; src; src = src->backing) {
            if (src->type != BP_STORAGE_TYPE_FILE &&
                src->type != BP_STORAGE_TYPE_BLOCK) {
                g_set_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED,
                            _("disk '%s' of domain '%s': only file and block storage can be opened, not '%s'"),
                            disk->dst, def->name,
                            bp_storage_type_to_string(src->type));
                return NULL;
            }
            bp_qemu_disk_spec_add_layer(spec, src->path, src->format,
                                        src->node_name);
            last = src;
        }
        /* The chain is complete only when the definition ends it
         * explicitly (<backingStore/>); otherwise the images are asked. */
        spec->chain_complete = last && last->backing_known && !last->backing;
        g_ptr_array_add(specs, g_steal_pointer(&spec));
    }
    return g_steal_pointer(&specs);
}


char *
bp_domain_runtime_dir(const BpDomainDef *def, const char *runtime_root)
{
    return g_build_filename(runtime_root, def->name, NULL);
}


BpQemuRuntimeConfig *
bp_domain_runtime_config(const BpDomainDef *def, const char *runtime_root)
{
    g_autofree char *dir = bp_domain_runtime_dir(def, runtime_root);

    return bp_qemu_runtime_config_new(def->name, dir);
}
