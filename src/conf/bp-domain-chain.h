/*
 * bp-domain-chain.h: changing a disk's backing chain in a domain
 * definition, as an external snapshot (and its inverse, a block commit)
 * does, so that the stored definition opens the chain the images have.
 */
#pragma once

#include <glib.h>

#include "bp-domain-conf.h"

G_BEGIN_DECLS

/*
 * Puts a new layer @path (@type, @format) on top of disk @target of
 * @def: it becomes the disk's <source>, and the old source with its
 * whole chain its <backingStore>, one element longer.  The disk's
 * <readonly/> stays with the top.  The new chain ends where the old one
 * did (explicitly or not).  Errors: BP_ERROR_INVALID_ARGUMENT for an
 * unknown target or an empty drive (nothing to put an overlay on).
 */
gboolean bp_domain_disk_push_overlay(BpDomainDef *def,
                                     const char *target,
                                     BpStorageType type,
                                     const char *path,
                                     const char *format,
                                     GError **error);

G_END_DECLS
