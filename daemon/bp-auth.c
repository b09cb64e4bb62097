/*
 * bp-auth.c: caller authorisation through the bus and polkit (see the
 * header).
 */
#include <config.h>

#include <unistd.h>

#include "bp-auth.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_POLKIT_NAME "org.freedesktop.PolicyKit1"
#define BP_POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define BP_POLKIT_IFACE "org.freedesktop.PolicyKit1.Authority"

/* CheckAuthorization flags: AllowUserInteraction. */
#define BP_POLKIT_ALLOW_USER_INTERACTION 0x1

struct _BpAuth {
    gint ref;
    GDBusConnection *conn;
    gboolean system_bus;
    uid_t self;
};

typedef struct {
    BpAuth *auth;
    GDBusMethodInvocation *invocation;
    BpAuthAction action;
    gboolean interactive;
    BpAuthFunc func;
    gpointer user_data;
    GDestroyNotify destroy;
    guint32 uid;
    guint32 starter_uid;
} BpAuthCall;


BpAuth *
bp_auth_new(GDBusConnection *connection, gboolean system_bus)
{
    BpAuth *auth = g_new0(BpAuth, 1);

    auth->ref = 1;
    auth->conn = g_object_ref(connection);
    auth->system_bus = system_bus;
    auth->self = geteuid();
    return auth;
}


BpAuth *
bp_auth_ref(BpAuth *auth)
{
    g_atomic_int_inc(&auth->ref);
    return auth;
}


void
bp_auth_unref(BpAuth *auth)
{
    if (!auth || !g_atomic_int_dec_and_test(&auth->ref))
        return;
    g_object_unref(auth->conn);
    g_free(auth);
}


const char *
bp_auth_action_id(BpAuthAction action)
{
    return action == BP_AUTH_MANAGE ? "org.blkpoint.manage" : "org.blkpoint.read";
}


BpAuthAction
bp_auth_action_for_caller(BpAuthAction action, guint32 caller_uid, guint32 starter_uid)
{
    if (starter_uid != BP_AUTH_NO_UID && caller_uid == starter_uid)
        return BP_AUTH_READ;
    return action;
}


static void
bp_auth_call_free(BpAuthCall *call)
{
    if (call->destroy)
        call->destroy(call->user_data);
    g_object_unref(call->invocation);
    bp_auth_unref(call->auth);
    g_free(call);
}


/* "org.blkpoint.Blkpoint1.Domain.Start" */
static char *
bp_auth_method_name(GDBusMethodInvocation *invocation)
{
    return g_strdup_printf("%s.%s",
                           g_dbus_method_invocation_get_interface_name(invocation),
                           g_dbus_method_invocation_get_method_name(invocation));
}


static void
bp_auth_allow(BpAuthCall *call)
{
    call->func(call->invocation, call->uid, call->user_data);
    bp_auth_call_free(call);
}


/* Answers the call with AccessDenied: "user U may not call M (action A): why". */
static void
bp_auth_deny(BpAuthCall *call, const char *why)
{
    g_autofree char *method = bp_auth_method_name(call->invocation);

    g_message("refused %s to uid %u (%s): %s", method, call->uid,
              g_dbus_method_invocation_get_sender(call->invocation), why);
    g_dbus_method_invocation_return_error(call->invocation, BP_ERROR,
                                          BP_ERROR_ACCESS_DENIED,
                                          _("user %u may not call %s (polkit action %s): %s"),
                                          call->uid, method,
                                          bp_auth_action_id(call->action), why);
    bp_auth_call_free(call);
}


static void
bp_auth_polkit_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    BpAuthCall *call = user_data;
    g_autoptr(GError) err = NULL;
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) details = NULL;
    gboolean authorized = FALSE;
    gboolean challenge = FALSE;

    reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &err);
    if (!reply) {
        g_autofree char *remote = g_dbus_error_get_remote_error(err);
        g_autofree char *why = NULL;

        g_dbus_error_strip_remote_error(err);
        if (remote && (g_str_equal(remote, "org.freedesktop.DBus.Error.ServiceUnknown") ||
                       g_str_equal(remote, "org.freedesktop.DBus.Error.NameHasNoOwner")))
            why = g_strdup(_("polkit is not available on this bus to authorise the call"));
        else
            why = g_strdup_printf(_("polkit could not be asked: %s"), err->message);
        bp_auth_deny(call, why);
        return;
    }
    g_variant_get(reply, "((bb@a{ss}))", &authorized, &challenge, &details);
    if (authorized)
        bp_auth_allow(call);
    else if (challenge)
        bp_auth_deny(call, _("polkit requires authentication, and the call did not allow it"));
    else
        bp_auth_deny(call, _("polkit did not authorise it"));
}


static void
bp_auth_ask_polkit(BpAuthCall *call)
{
    GVariantBuilder subject;
    GVariantBuilder details;
    const char *sender = g_dbus_method_invocation_get_sender(call->invocation);

    g_variant_builder_init(&subject, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&subject, "{sv}", "name", g_variant_new_string(sender));
    g_variant_builder_init(&details, G_VARIANT_TYPE("a{ss}"));
    g_dbus_connection_call(call->auth->conn, BP_POLKIT_NAME, BP_POLKIT_PATH,
                           BP_POLKIT_IFACE, "CheckAuthorization",
                           g_variant_new("((sa{sv})sa{ss}us)",
                                         "system-bus-name", &subject,
                                         bp_auth_action_id(call->action), &details,
                                         (guint32) (call->interactive
                                                    ? BP_POLKIT_ALLOW_USER_INTERACTION : 0),
                                         ""),
                           G_VARIANT_TYPE("((bba{ss}))"),
                           G_DBUS_CALL_FLAGS_NONE,
                           /* A person may take a while to type a password. */
                           call->interactive ? G_MAXINT : -1,
                           NULL, bp_auth_polkit_cb, call);
}


static void
bp_auth_uid_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    BpAuthCall *call = user_data;
    g_autoptr(GError) err = NULL;
    g_autoptr(GVariant) reply = NULL;
    g_autofree char *why = NULL;

    reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &err);
    if (!reply) {
        g_dbus_error_strip_remote_error(err);
        call->uid = (guint32) -1;
        why = g_strdup_printf(_("the bus cannot tell who the caller is: %s"), err->message);
        bp_auth_deny(call, why);
        return;
    }
    g_variant_get(reply, "(u)", &call->uid);
    call->action = bp_auth_action_for_caller(call->action, call->uid, call->starter_uid);

    if (!call->auth->system_bus) {
        if (call->uid == call->auth->self) {
            bp_auth_allow(call);
        } else {
            why = g_strdup_printf(_("this session daemon serves only user %u"),
                                  (guint) call->auth->self);
            bp_auth_deny(call, why);
        }
        return;
    }
    if (call->uid == 0 || call->uid == call->auth->self) {
        bp_auth_allow(call);
        return;
    }
    bp_auth_ask_polkit(call);
}


void
bp_auth_check(BpAuth *auth, GDBusMethodInvocation *invocation,
              BpAuthAction action, guint32 starter_uid, gboolean interactive,
              BpAuthFunc func, gpointer user_data, GDestroyNotify destroy)
{
    BpAuthCall *call = g_new0(BpAuthCall, 1);
    const char *sender = g_dbus_method_invocation_get_sender(invocation);

    call->auth = bp_auth_ref(auth);
    call->invocation = g_object_ref(invocation);
    call->action = action;
    call->interactive = interactive;
    call->func = func;
    call->user_data = user_data;
    call->destroy = destroy;
    call->uid = BP_AUTH_NO_UID;
    call->starter_uid = starter_uid;

    if (!sender) {
        bp_auth_deny(call, _("the call came without a sender on the bus"));
        return;
    }
    g_dbus_connection_call(auth->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "GetConnectionUnixUser",
                           g_variant_new("(s)", sender), G_VARIANT_TYPE("(u)"),
                           G_DBUS_CALL_FLAGS_NONE, -1, NULL, bp_auth_uid_cb, call);
}
