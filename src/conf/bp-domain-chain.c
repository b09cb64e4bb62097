/*
 * bp-domain-chain.c: backing chain edits of a domain definition (see
 * the header).
 */
#include <config.h>

#include "bp-domain-chain.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"


gboolean
bp_domain_disk_push_overlay(BpDomainDef *def,
                            const char *target,
                            BpStorageType type,
                            const char *path,
                            const char *format,
                            GError **error)
{
    BpDiskDef *disk = bp_domain_def_find_disk(def, target);
    BpStorageSource *top;

    if (!disk) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("domain '%s' has no disk '%s'"), def->name, target);
        return FALSE;
    }
    if (bp_disk_def_is_empty(disk)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("disk '%s' of domain '%s' has no media to put an overlay on"),
                    target, def->name);
        return FALSE;
    }
    top = bp_storage_source_new(type);
    top->path = g_strdup(path);
    top->format = g_strdup(format);
    top->readonly = disk->src->readonly;
    top->backing = disk->src;
    top->backing_known = TRUE;
    disk->src->readonly = FALSE;
    disk->src = top;
    return TRUE;
}
