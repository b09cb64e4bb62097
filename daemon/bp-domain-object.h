/*
 * bp-domain-object.h: one exported domain.
 *
 * Each domain of the catalogue is an object at
 * /org/blkpoint/Blkpoint1/domain/NAME (NAME escaped with
 * g_dbus_escape_object_path()) with the org.blkpoint.Blkpoint1.Domain
 * interface.  It keeps the persistent definition, the running domain
 * (bp-domain-run.h) when there is one, and the interface's properties in
 * step with both.
 *
 * Operations that change the domain (start, shutdown, destroy, undefine,
 * reconnecting after a daemon restart) run one at a time, in the order
 * they were authorised, like the job lock of a libvirt domain; reading
 * methods answer at once.
 */
#pragma once

#include <gio/gio.h>

#include "conf/bp-domain-conf.h"

G_BEGIN_DECLS

typedef struct _BpDaemon BpDaemon;

#define BP_TYPE_DAEMON_DOMAIN (bp_daemon_domain_get_type())
G_DECLARE_FINAL_TYPE(BpDaemonDomain, bp_daemon_domain, BP, DAEMON_DOMAIN, GObject)

/* A domain object for catalogue row @id with definition @def (taken),
 * not yet exported (bp_daemon_add_domain() does that). */
BpDaemonDomain *bp_daemon_domain_new(BpDaemon *daemon, gint64 id, BpDomainDef *def);

gint64 bp_daemon_domain_get_id(BpDaemonDomain *dom);
const char *bp_daemon_domain_get_name(BpDaemonDomain *dom);
const char *bp_daemon_domain_get_uuid(BpDaemonDomain *dom);
const char *bp_daemon_domain_get_path(BpDaemonDomain *dom);
GDBusObjectSkeleton *bp_daemon_domain_get_object(BpDaemonDomain *dom);
/* TRUE unless the State is "shutoff". */
gboolean bp_daemon_domain_is_active(BpDaemonDomain *dom);

/* Replaces the persistent definition (a redefinition with the same name
 * and UUID); a running domain keeps running as it was started. */
void bp_daemon_domain_set_def(BpDaemonDomain *dom, BpDomainDef *def);

/* Queues finding the domain again after a daemon restart: the catalogue
 * said it ran with process @pid and QMP socket @monitor_path.  When that
 * is no longer so the domain is recorded shut off (and, for the storage
 * runtime, its exit as unclean). */
void bp_daemon_domain_reconnect(BpDaemonDomain *dom, GPid pid, const char *monitor_path);

/* The daemon exits: lets go of the running domain without stopping it. */
void bp_daemon_domain_detach(BpDaemonDomain *dom);

/* The path of checkpoint @name of the domain at @domain_path. */
char *bp_daemon_domain_checkpoint_path(const char *domain_path, const char *name);

G_END_DECLS
