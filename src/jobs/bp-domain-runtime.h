/*
 * bp-domain-runtime.h: from a domain definition (src/conf) to what the
 * QEMU runtimes take (src/qemu).
 *
 * This is the one place that knows both models: which disks a runtime
 * opens, how their chains and exports are described, and which runtime
 * directory a domain gets.
 */
#pragma once

#include <glib.h>

#include "conf/bp-domain-conf.h"
#include "qemu/bp-qemu-types.h"

G_BEGIN_DECLS

/*
 * Builds one BpQemuDiskSpec per disk of @def that the block layer opens,
 * in domain order, into a new array (element free function set).
 *
 * Empty drives (a cdrom without media) are left out.  Each disk's layers
 * are its <source> and the <backingStore> chain below it; when the chain
 * does not end in an explicit <backingStore/>, the rest is read from the
 * images by the runtime.  The export is the disk's <export>, else the
 * runtime's default, else NBD (resolved by the parser).  Disks whose storage is neither a file nor
 * a block device fail with BP_ERROR_CONFIG_UNSUPPORTED naming the disk.
 */
GPtrArray *bp_domain_runtime_disk_specs(const BpDomainDef *def,
                                        GError **error);

/* The runtime directory of @def below @runtime_root: "<root>/<name>". */
char *bp_domain_runtime_dir(const BpDomainDef *def, const char *runtime_root);

/* A runtime configuration for @def with its directory below
 * @runtime_root; programs and timeouts at their defaults. */
BpQemuRuntimeConfig *bp_domain_runtime_config(const BpDomainDef *def,
                                              const char *runtime_root);

G_END_DECLS
