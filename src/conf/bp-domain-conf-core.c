/*
 * bp-domain-conf-core.c: the in-memory part of the domain model (see
 * bp-domain-conf.h): enum tables, constructors, lookups, frees and the
 * moment name rule.  Parsing and formatting live in bp-domain-conf.c.
 */
#include <config.h>

#include <string.h>

#include "bp-domain-conf.h"

BP_ENUM_IMPL(bp_storage_type, BP_STORAGE_TYPE_LAST,
             "file", "block", "other")

BP_ENUM_IMPL(bp_disk_export, BP_DISK_EXPORT_LAST,
             "nbd", "vhost-user-blk", "none")

BP_ENUM_IMPL(bp_runtime, BP_RUNTIME_LAST,
             "storage", "attach", "offline")


/* Frees @src and every layer below it. */
void
bp_storage_source_free(BpStorageSource *src)
{
    while (src) {
        BpStorageSource *next = src->backing;

        g_free(src->path);
        g_free(src->format);
        g_free(src->node_name);
        g_free(src);
        src = next;
    }
}


void
bp_disk_def_free(BpDiskDef *disk)
{
    if (!disk)
        return;
    g_free(disk->dst);
    g_free(disk->device);
    bp_storage_source_free(disk->src);
    g_free(disk);
}


/*
 * A disk named @dst (device 'disk') whose top layer has @type, @path
 * (NULL = no media) and @format (NULL = unknown); no backing chain is
 * known.  Returns a new disk, never NULL.
 */
BpDiskDef *
bp_disk_def_new(const char *dst, BpStorageType type,
                const char *path, const char *format)
{
    BpDiskDef *disk = g_new0(BpDiskDef, 1);

    disk->dst = g_strdup(dst);
    disk->device = g_strdup("disk");
    disk->src = g_new0(BpStorageSource, 1);
    disk->src->type = type;
    disk->src->path = g_strdup(path);
    disk->src->format = g_strdup(format);
    disk->export_type = BP_DISK_EXPORT_NBD;
    return disk;
}


/* A definition named @name with a fresh random UUID, the storage runtime
 * and no disks. */
BpDomainDef *
bp_domain_def_new(const char *name)
{
    BpDomainDef *def = g_new0(BpDomainDef, 1);

    def->name = g_strdup(name);
    def->uuid = g_uuid_string_random();
    def->runtime = BP_RUNTIME_STORAGE;
    return def;
}


void
bp_domain_def_add_disk(BpDomainDef *def, BpDiskDef *disk)
{
    def->disks = g_renew(BpDiskDef *, def->disks, def->ndisks + 1);
    def->disks[def->ndisks++] = disk;
}


void
bp_domain_def_free(BpDomainDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->uuid);
    g_free(def->description);
    g_free(def->monitor_path);
    for (size_t i = 0; i < def->ndisks; i++)
        bp_disk_def_free(def->disks[i]);
    g_free(def->disks);
    if (def->doc)
        xmlFreeDoc(def->doc);
    g_free(def);
}


BpDiskDef *
bp_domain_def_find_disk(const BpDomainDef *def, const char *dst)
{
    if (!dst)
        return NULL;
    for (size_t i = 0; i < def->ndisks; i++) {
        if (g_strcmp0(def->disks[i]->dst, dst) == 0)
            return def->disks[i];
    }
    return NULL;
}


gboolean
bp_disk_def_is_empty(const BpDiskDef *disk)
{
    return !disk->src || !disk->src->path || !*disk->src->path;
}


gboolean
bp_name_is_valid(const char *name)
{
    size_t len;

    if (!name || !*name)
        return FALSE;
    len = strlen(name);
    if (len > 255)
        return FALSE;
    if (!g_ascii_isalnum(name[0]) && name[0] != '_' && name[0] != '-')
        return FALSE;
    for (size_t i = 1; i < len; i++) {
        if (!g_ascii_isalnum(name[i]) &&
            name[i] != '_' && name[i] != '-' && name[i] != '.')
            return FALSE;
    }
    return TRUE;
}
