/*
 * bp-method.c: options, authorisation and answers of D-Bus methods (see
 * the header).
 */
#include <config.h>

#include "bp-daemon.h"
#include "bp-method.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_OPTION_NO_INTERACTION "auth.no_user_interaction"


BpMethodArgs *
bp_method_args_new(BpDaemon *daemon, GDBusMethodInvocation *invocation,
                   gpointer target, GVariant *options)
{
    BpMethodArgs *args = g_new0(BpMethodArgs, 1);

    args->daemon = daemon;
    args->invocation = invocation;
    args->target = target ? g_object_ref(target) : NULL;
    args->starter_uid = BP_AUTH_NO_UID;
    args->caller_uid = BP_AUTH_NO_UID;
    args->options = options ? g_variant_ref(options) : g_variant_ref_sink(g_variant_new("a{sv}", NULL));
    return args;
}


static void
bp_method_args_free(BpMethodArgs *args)
{
    g_clear_object(&args->target);
    g_variant_unref(args->options);
    g_free(args->arg);
    g_free(args);
}


static char *
bp_method_name(GDBusMethodInvocation *invocation)
{
    return g_strdup(g_dbus_method_invocation_get_method_name(invocation));
}


/* FALSE (with @error) when @options has a key @allowed does not list or
 * a value of another type. */
static gboolean
bp_method_check_options(GDBusMethodInvocation *invocation, GVariant *options,
                        const BpMethodOption *allowed, GError **error)
{
    g_autofree char *method = bp_method_name(invocation);
    GVariantIter iter;
    const char *key;
    GVariant *value;

    g_variant_iter_init(&iter, options);
    while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
        g_autoptr(GVariant) owned = value;
        const char *type = NULL;

        if (g_str_equal(key, BP_OPTION_NO_INTERACTION))
            type = "b";
        for (size_t i = 0; !type && allowed && allowed[i].key; i++) {
            if (g_str_equal(key, allowed[i].key))
                type = allowed[i].type;
        }
        if (!type) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("unknown option '%s' for %s"), key, method);
            return FALSE;
        }
        if (!g_str_equal(g_variant_get_type_string(value), type)) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("option '%s' of %s must be of type '%s', not '%s'"),
                        key, method, type, g_variant_get_type_string(value));
            return FALSE;
        }
    }
    return TRUE;
}


static gboolean
bp_method_refuse_if_stopping(BpMethodArgs *args)
{
    if (!args->daemon->stopping)
        return FALSE;
    bp_method_fail_literal(args, BP_ERROR_FAILED,
                           _("blkpointd is shutting down and accepts no new calls"));
    return TRUE;
}


typedef struct {
    BpMethodArgs *args;
    BpMethodFunc func;
} BpMethodPending;


static void
bp_method_pending_free(gpointer data)
{
    BpMethodPending *pending = data;

    /* Still set: the call was refused and has been answered by bp-auth. */
    if (pending->args) {
        pending->args->invocation = NULL;
        bp_method_args_free(pending->args);
    }
    g_free(pending);
}


static void
bp_method_authorized(GDBusMethodInvocation *invocation G_GNUC_UNUSED, guint32 caller_uid,
                     gpointer data)
{
    BpMethodPending *pending = data;
    BpMethodArgs *args = g_steal_pointer(&pending->args);

    args->caller_uid = caller_uid;
    if (bp_method_refuse_if_stopping(args))
        return;
    pending->func(args);
}


void
bp_method_authorize(BpMethodArgs *args, const BpMethodOption *allowed,
                    BpAuthAction action, BpMethodFunc func)
{
    g_autoptr(GError) err = NULL;
    BpMethodPending *pending;

    if (!bp_method_check_options(args->invocation, args->options, allowed, &err)) {
        bp_method_fail(args, err);
        return;
    }
    if (bp_method_refuse_if_stopping(args))
        return;
    pending = g_new0(BpMethodPending, 1);
    pending->args = args;
    pending->func = func;
    bp_auth_check(args->daemon->auth, args->invocation, action, args->starter_uid,
                  !bp_method_option_bool(args, BP_OPTION_NO_INTERACTION),
                  bp_method_authorized, pending, bp_method_pending_free);
}


gboolean
bp_method_option_bool(BpMethodArgs *args, const char *key)
{
    gboolean value = FALSE;

    g_variant_lookup(args->options, key, "b", &value);
    return value;
}


unsigned int
bp_method_option_flags(BpMethodArgs *args, const BpMethodFlag *table)
{
    unsigned int flags = 0;

    for (; table->key; table++) {
        if (bp_method_option_bool(args, table->key))
            flags |= table->flag;
    }
    return flags;
}


void
bp_method_return(BpMethodArgs *args, GVariant *value)
{
    g_dbus_method_invocation_return_value(args->invocation, value);
    bp_method_args_free(args);
}


void
bp_method_invocation_fail(GDBusMethodInvocation *invocation, const GError *error)
{
    if (error->domain == BP_ERROR)
        g_dbus_method_invocation_return_gerror(invocation, error);
    else
        g_dbus_method_invocation_return_error_literal(invocation, BP_ERROR,
                                                      BP_ERROR_FAILED, error->message);
}


void
bp_method_fail(BpMethodArgs *args, const GError *error)
{
    bp_method_invocation_fail(args->invocation, error);
    bp_method_args_free(args);
}


void
bp_method_fail_literal(BpMethodArgs *args, int code, const char *message)
{
    g_dbus_method_invocation_return_error_literal(args->invocation, BP_ERROR,
                                                  code, message);
    bp_method_args_free(args);
}


/* ---- methods of the API that are not implemented yet ------------------ */

typedef struct {
    BpDaemon *daemon;
    const char *const *read_methods;
} BpUnimplemented;


static void
bp_method_unsupported(BpMethodArgs *args)
{
    g_autoptr(GError) err = NULL;

    err = g_error_new(BP_ERROR, BP_ERROR_OPERATION_UNSUPPORTED,
                      _("%s.%s is not implemented yet"),
                      g_dbus_method_invocation_get_interface_name(args->invocation),
                      g_dbus_method_invocation_get_method_name(args->invocation));
    bp_method_fail(args, err);
}


static void
bp_method_unimplemented_marshal(GClosure *closure, GValue *return_value,
                                guint n_param_values, const GValue *param_values,
                                gpointer hint G_GNUC_UNUSED,
                                gpointer marshal_data G_GNUC_UNUSED)
{
    BpUnimplemented *unimpl = closure->data;
    GDBusMethodInvocation *invocation;
    const char *method;
    BpMethodArgs *args;

    g_return_if_fail(n_param_values >= 2);
    invocation = g_value_get_object(&param_values[1]);
    method = g_dbus_method_invocation_get_method_name(invocation);
    /* The handler's reference to the invocation is ours to consume. */
    args = bp_method_args_new(unimpl->daemon, invocation, NULL, NULL);
    bp_method_authorize(args, NULL,
                        g_strv_contains(unimpl->read_methods, method)
                        ? BP_AUTH_READ : BP_AUTH_MANAGE,
                        bp_method_unsupported);
    if (return_value)
        g_value_set_boolean(return_value, TRUE);
}


static void
bp_method_unimplemented_free(gpointer data, GClosure *closure G_GNUC_UNUSED)
{
    g_free(data);
}


void
bp_method_connect_unimplemented(BpDaemon *daemon, gpointer iface,
                                const char *const *read_methods)
{
    guint n = 0;
    GType type;

    /* The handle-* signals are declared on the interface type. */
    type = G_TYPE_FROM_INSTANCE(iface);
    for (GType t = type; t; t = g_type_parent(t)) {
        g_autofree GType *ifaces = g_type_interfaces(t, NULL);

        for (GType *i = ifaces; i && *i; i++) {
            g_autofree guint *more = g_signal_list_ids(*i, &n);

            for (guint k = 0; k < n; k++) {
                GSignalQuery query;
                BpUnimplemented *unimpl;
                GClosure *closure;

                g_signal_query(more[k], &query);
                if (!g_str_has_prefix(query.signal_name, "handle-") ||
                    g_signal_has_handler_pending(iface, more[k], 0, TRUE))
                    continue;
                unimpl = g_new0(BpUnimplemented, 1);
                unimpl->daemon = daemon;
                unimpl->read_methods = read_methods;
                closure = g_closure_new_simple(sizeof(GClosure), unimpl);
                g_closure_add_finalize_notifier(closure, unimpl,
                                                bp_method_unimplemented_free);
                g_closure_set_marshal(closure, bp_method_unimplemented_marshal);
                g_signal_connect_closure_by_id(iface, more[k], 0, closure, FALSE);
            }
        }
    }
}
