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

#include "bp-checkpoint-object.h"
#include "bp-method.h"
#include "conf/bp-domain-conf.h"
#include "jobs/bp-block-access.h"

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

BpDaemon *bp_daemon_domain_get_daemon(BpDaemonDomain *dom);
BpDomain *bp_daemon_domain_get_iface(BpDaemonDomain *dom);
BpCheckpointTable *bp_daemon_domain_get_checkpoints(BpDaemonDomain *dom);

/*
 * The operation queue: @func runs when the operations queued before it
 * have ended, and must end with bp_daemon_domain_op_done() (after
 * answering its call, if it has one).
 */
typedef void (*BpDomainOpFunc)(BpDaemonDomain *dom, gpointer data);
void bp_daemon_domain_enqueue(BpDaemonDomain *dom, BpDomainOpFunc func, gpointer data);
void bp_daemon_domain_op_done(BpDaemonDomain *dom);
/* FALSE (the call answered NoDomain and the operation ended) when the
 * domain was undefined while the operation waited. */
gboolean bp_daemon_domain_check_present(BpDaemonDomain *dom, BpMethodArgs *args);

/* How the domain's bitmaps are reached now: its running runtime, else
 * its images (offline).  BP_ERROR_CONFIG_UNSUPPORTED for a disk that
 * cannot be opened. */
BpBlockAccess *bp_daemon_domain_block_access(BpDaemonDomain *dom, GError **error);
/* The same for a queued operation answering @args: NULL (the call
 * answered with the reason and the operation ended) when there is none. */
BpBlockAccess *bp_daemon_domain_op_access(BpDaemonDomain *dom, BpMethodArgs *args);

/* The path of checkpoint @name of the domain at @domain_path. */
char *bp_daemon_domain_checkpoint_path(const char *domain_path, const char *name);

/*
 * Adds @path to the domain's Jobs property (a running job of any kind:
 * backup, restore, block job) or removes it; PropertiesChanged follows
 * from the skeleton.  Adding a path already listed, or removing one that
 * is not, changes nothing.
 */
void bp_daemon_domain_add_job(BpDaemonDomain *dom, const char *path);
void bp_daemon_domain_remove_job(BpDaemonDomain *dom, const char *path);

/*
 * The body of a "handle-*" handler of a method called on @dom (or on an
 * object of it): packs the call, with @arg (copied; NULL for none) as
 * args->arg, and hands it to bp_method_authorize() with @allowed,
 * @action and @func.  Returns G_DBUS_METHOD_INVOCATION_HANDLED, for the
 * handler to return.
 */
gboolean bp_daemon_domain_authorize(BpDaemonDomain *dom, GDBusMethodInvocation *invocation,
                                    GVariant *options, const char *arg,
                                    const BpMethodOption *allowed, BpAuthAction action,
                                    BpMethodFunc func);

G_END_DECLS
