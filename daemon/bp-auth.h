/*
 * bp-auth.h: who may call which method.
 *
 * Every D-Bus method of blkpointd is authorised before it does anything:
 *
 * - Session bus: only the user the daemon runs as is served; any other
 *   caller (root included) gets Error.AccessDenied.
 * - System bus: callers with UID 0, or the daemon's own UID, are always
 *   allowed.  Everybody else is asked about through polkit: the daemon
 *   calls org.freedesktop.PolicyKit1.Authority.CheckAuthorization itself
 *   (no polkit library), with the caller's bus name as subject and the
 *   action org.blkpoint.manage (methods that change something) or
 *   org.blkpoint.read (methods that only read).  Job.Cancel asks for
 *   org.blkpoint.read only when the caller started the job.
 * - When polkit cannot be asked (not installed, not running, an error),
 *   such callers are refused for both actions: fail closed.  polkit's
 *   defaults let only a user with an active local session read, and only
 *   polkit can tell who that is.
 *
 * The caller's UID comes from the bus (GetConnectionUnixUser), never
 * from the message.  Checks are asynchronous, so an interactive polkit
 * prompt does not block the daemon.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
    BP_AUTH_READ,       /* org.blkpoint.read */
    BP_AUTH_MANAGE,     /* org.blkpoint.manage */
} BpAuthAction;

typedef struct _BpAuth BpAuth;

/* An authoriser for calls arriving on @connection, the system bus when
 * @system_bus.  Reference-counted: pending checks keep it alive. */
BpAuth *bp_auth_new(GDBusConnection *connection, gboolean system_bus);
BpAuth *bp_auth_ref(BpAuth *auth);
void bp_auth_unref(BpAuth *auth);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpAuth, bp_auth_unref)

/* The polkit action id of @action. */
const char *bp_auth_action_id(BpAuthAction action);

/* No user: the starter of an operation that records none. */
#define BP_AUTH_NO_UID ((guint32) -1)

/*
 * The action a caller with UID @caller_uid needs for a method that asks
 * for @action on something started by @starter_uid (BP_AUTH_NO_UID when
 * nobody in particular): the user who started a job may cancel it with
 * org.blkpoint.read, anybody else needs @action.  Pure: no bus, no polkit.
 */
BpAuthAction bp_auth_action_for_caller(BpAuthAction action, guint32 caller_uid,
                                       guint32 starter_uid);

/* Called once the caller is authorised, with the caller's UID. */
typedef void (*BpAuthFunc)(GDBusMethodInvocation *invocation, guint32 caller_uid,
                           gpointer user_data);

/*
 * Authorises @invocation for @action, lowered by
 * bp_auth_action_for_caller() when the caller is @starter_uid (pass
 * BP_AUTH_NO_UID when the method has no starter).  When allowed, @func is
 * called from the main loop with the invocation, the caller's UID and
 * @user_data, and must answer the call.  When refused, the call is answered with Error.AccessDenied saying
 * who, which method and why, and @func is not called.  Either way
 * @destroy (if any) is called on @user_data afterwards.  @interactive
 * lets polkit ask the caller to authenticate (the method's
 * "auth.no_user_interaction" option turns it off).
 */
void bp_auth_check(BpAuth *auth, GDBusMethodInvocation *invocation,
                   BpAuthAction action, guint32 starter_uid, gboolean interactive,
                   BpAuthFunc func, gpointer user_data, GDestroyNotify destroy);

G_END_DECLS
