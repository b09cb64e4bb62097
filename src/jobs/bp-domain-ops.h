/*
 * bp-domain-ops.h: what defining, undefining and running a domain means
 * for the catalogue, independent of D-Bus.
 *
 * The daemon's D-Bus handlers unpack their arguments and call these; the
 * rules (virsh's define and undefine semantics, what is recorded when a
 * domain starts or stops) live here so that they can be tested without a
 * bus.  Every function that changes the catalogue is one transaction.
 */
#pragma once

#include <glib.h>

#include "conf/bp-domain-conf.h"
#include "qemu/bp-qemu-types.h"
#include "store/bp-store.h"

G_BEGIN_DECLS

/*
 * Parses and validates a domain document from a caller (a D-Bus client,
 * a file).  The XML is checked against the schema; the name must be a
 * valid domain name.  @has_uuid (optional) tells whether the document
 * named a UUID (otherwise a random one was generated).  Errors:
 * BP_ERROR_XML_SYNTAX (with the line), BP_ERROR_XML_INVALID,
 * BP_ERROR_INVALID_ARGUMENT for an empty document.
 */
BpDomainDef *bp_domain_ops_parse(const char *xml, gboolean *has_uuid,
                                 GError **error);

/*
 * Defines @def in the catalogue, as "virsh define" does: a new name is
 * added; a name that exists is updated when the UUIDs agree (or the
 * document had none, @has_uuid FALSE: the existing UUID is kept and
 * written into @def).  A name that exists with another UUID, or a UUID
 * that belongs to another name, fails with BP_ERROR_EXISTS.  The row's
 * runtime state (running, pid, monitor) is left as it is.  Returns the
 * stored row (caller owns it); @created says whether it is new.
 */
BpStoreDomain *bp_domain_ops_define(BpStore *store, BpDomainDef *def,
                                    gboolean has_uuid, gboolean *created,
                                    GError **error);

/*
 * Removes domain @id from the catalogue, as "virsh undefine" does.
 * Refused with BP_ERROR_OPERATION_INVALID while the catalogue records it
 * running, and when it has checkpoints unless @checkpoints_metadata is
 * set (then its checkpoint records go too; bitmaps stay in the images).
 */
gboolean bp_domain_ops_undefine(BpStore *store, gint64 id,
                                gboolean checkpoints_metadata, GError **error);

/* Records that domain @id runs: its process (0 when not ours) and the
 * QMP socket a restarted daemon reconnects to. */
gboolean bp_domain_ops_record_running(BpStore *store, gint64 id, GPid pid,
                                      const char *monitor_path, GError **error);

/*
 * Records that domain @id stopped.  When @clean is FALSE (the process
 * died or was killed, so the persistent bitmaps of its writable images
 * were not written: those added while it ran are lost, the others are
 * left "in use"), every ready checkpoint with a bitmap on a disk that
 * @running (the definition as it ran; NULL: the catalogue's) opened
 * read-write is marked broken with @reason, so that no incremental
 * backup trusts a bitmap that may have missed writes.  Checkpoints whose
 * disks were all read-only or excluded keep their state; pending and
 * deleting ones are left to checkpoint reconciliation.
 */
gboolean bp_domain_ops_record_stopped(BpStore *store, gint64 id,
                                      gboolean clean, const char *reason,
                                      const BpDomainDef *running,
                                      GError **error);

/*
 * The definition as running: a copy of @def whose disks' backing chains
 * are those the runtime opened (@specs, BpQemuDiskSpec* as returned by the
 * runtime, matched by target).  Chains the definition already ends
 * explicitly are kept as written.
 */
BpDomainDef *bp_domain_ops_live_def(const BpDomainDef *def, GPtrArray *specs);

/*
 * The document "virsh dumpxml" prints for @def.  Without @secure, secrets
 * a full libvirt definition may carry inline (graphics passwords, HTTP
 * cookies of network disks) are left out, as libvirt does without
 * VIR_DOMAIN_XML_SECURE.
 */
char *bp_domain_ops_format_xml(const BpDomainDef *def, gboolean secure);
/* Removes those secrets from @def itself. */
void bp_domain_ops_strip_secrets(BpDomainDef *def);

/*
 * The definition a running domain was started with is kept in its runtime
 * directory as "domain.xml", so that a restarted daemon reconnects with the
 * disks that are really open even after a redefinition.  Save writes it
 * (mode 0600); load returns NULL without an error when there is none.
 */
gboolean bp_domain_ops_save_status(const BpDomainDef *def, const char *runtime_dir,
                                   GError **error);
BpDomainDef *bp_domain_ops_load_status(const char *runtime_dir, GError **error);
void bp_domain_ops_remove_status(const char *runtime_dir);

G_END_DECLS
