/*
 * bp-method.h: what every D-Bus method of blkpointd does before and
 * after its own work: check the options dictionary, authorise the caller
 * (bp-auth.h), refuse calls while the daemon shuts down, and answer with
 * a result or a named error.
 *
 * A handler packs its arguments into a BpMethodArgs and hands it to
 * bp_method_authorize(); the function it names runs once the caller is
 * authorised and owns the arguments from then on: it must end with
 * bp_method_return() or bp_method_fail(), which answer the call and free
 * them.
 */
#pragma once

#include <gio/gio.h>

#include "bp-auth.h"

G_BEGIN_DECLS

typedef struct _BpDaemon BpDaemon;

typedef struct {
    const char *key;            /* virsh's long option name without dashes */
    const char *type;           /* its GVariant type string, "b", "s", "t" */
} BpMethodOption;

typedef struct {
    BpDaemon *daemon;
    GDBusMethodInvocation *invocation;  /* the call; answered exactly once */
    GObject *target;            /* the object called (a domain), or NULL */
    GVariant *options;          /* a{sv}, checked */
    char *arg;                  /* the method's string argument, if any */
    gboolean flag;              /* the method's boolean argument, if any */
    guint32 starter_uid;        /* who started the job called, or BP_AUTH_NO_UID */
    guint32 caller_uid;         /* the caller's UID, once authorised */
} BpMethodArgs;

typedef void (*BpMethodFunc)(BpMethodArgs *args);

BpMethodArgs *bp_method_args_new(BpDaemon *daemon, GDBusMethodInvocation *invocation,
                                 gpointer target, GVariant *options);

/*
 * Checks the options against @allowed (terminated by a { NULL } entry;
 * "auth.no_user_interaction" is always accepted), refuses the call while
 * the daemon stops, authorises the caller for @action (read suffices for
 * the user args->starter_uid, see bp_auth_action_for_caller()), sets
 * args->caller_uid, and then calls
 * @func with @args (which it then owns).  Any refusal answers the call
 * (InvalidArgument, Failed, AccessDenied) and frees @args.
 */
void bp_method_authorize(BpMethodArgs *args, const BpMethodOption *allowed,
                         BpAuthAction action, BpMethodFunc func);

/* The boolean option @key, FALSE when absent. */
gboolean bp_method_option_bool(BpMethodArgs *args, const char *key);

/* A boolean option and the flag it sets. */
typedef struct {
    const char *key;
    unsigned int flag;
} BpMethodFlag;

/* The OR of the flags of @table (terminated by { NULL }) whose boolean
 * option is set in the call. */
unsigned int bp_method_option_flags(BpMethodArgs *args, const BpMethodFlag *table);

/* Answers with @value (a tuple matching the method's out arguments, or
 * NULL for none; floating references are sunk) and frees @args. */
void bp_method_return(BpMethodArgs *args, GVariant *value);
/* Answers with @error as a named D-Bus error (errors outside BP_ERROR
 * become Error.Failed with the same message) and frees @args. */
void bp_method_fail(BpMethodArgs *args, const GError *error);
void bp_method_fail_literal(BpMethodArgs *args, int code, const char *message);

/* Answers an invocation that has no BpMethodArgs with @error, as above. */
void bp_method_invocation_fail(GDBusMethodInvocation *invocation, const GError *error);

/*
 * Every "handle-*" signal of @iface that has no handler yet gets one that
 * authorises the caller (org.blkpoint.read for the methods named in
 * @read_methods, org.blkpoint.manage for the others) and then answers
 * Error.OperationUnsupported: the method is part of the API but not
 * implemented yet.  Call after connecting the real handlers.
 */
void bp_method_connect_unimplemented(BpDaemon *daemon, gpointer iface,
                                     const char *const *read_methods);

G_END_DECLS
