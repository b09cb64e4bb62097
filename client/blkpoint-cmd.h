/*
 * blkpoint-cmd.h: commands, their options, and parsing a command line.
 *
 * A command is a BpCmdDef in the table of client/blkpoint.c: a name, a
 * handler, the options it takes and its help.  The command line after the
 * command name is parsed against the options the way virsh parses it:
 *
 *   - BP_OPT_DATA options are positional: words that are not options fill
 *     them in table order; each can also be given as "--name VALUE";
 *   - BP_OPT_STRING options need "--name VALUE" or "--name=VALUE";
 *   - BP_OPT_BOOL options are "--name";
 *   - a BP_OPT_ARGV option (at most one per command, after the
 *     BP_OPT_DATA ones) takes every positional word left over, and may
 *     also be given as "--name VALUE" any number of times;
 *   - "--" makes every later word positional;
 *   - "--json" and "--help" are accepted by every command.
 *
 * Every error is BP_ERROR_INVALID_ARGUMENT with virsh's wording.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    BP_OPT_BOOL,    /* --name */
    BP_OPT_STRING,  /* --name VALUE */
    BP_OPT_DATA,    /* VALUE or --name VALUE, positional in table order */
    BP_OPT_ARGV,    /* VALUE... or --name VALUE..., repeatable */
} BpOptType;

typedef struct {
    const char *name;    /* long name, without the dashes */
    BpOptType type;
    gboolean required;
    const char *help;    /* one line, marked with N_() */
} BpCmdOptDef;

/* A parsed command line: the values of the options given. */
typedef struct _BpCmd BpCmd;

typedef struct _BpCtl BpCtl;
typedef struct _BpCmdDef BpCmdDef;

/* Runs the command; returns FALSE with @error set when it failed.  What it
 * printed before failing stays printed. */
typedef gboolean (*BpCmdHandler)(BpCtl *ctl, const BpCmd *cmd, GError **error);

struct _BpCmdDef {
    const char *name;
    BpCmdHandler handler;
    const BpCmdOptDef *opts;  /* terminated by an entry with name NULL */
    const char *help;         /* one line for the command list, N_() */
    const char *desc;         /* the DESCRIPTION paragraph, N_() */
};

typedef struct {
    const char *keyword;      /* "domain": what "help domain" takes */
    const char *name;         /* "Domain Management", N_() */
    const BpCmdDef *cmds;     /* terminated by an entry with name NULL */
} BpCmdGroup;

struct _BpCmd {
    const BpCmdDef *def;
    GHashTable *values;       /* option name -> value ("" for BOOL; the
                               * first value for ARGV) */
    GPtrArray *argv;          /* the values of the ARGV option, in order,
                               * NULL-terminated; NULL when none */
    gboolean json;            /* --json after the command */
    gboolean help;            /* --help after the command */
};

BpCmd *bp_cmd_parse(const BpCmdDef *def, int argc, char **argv,
                    GError **error);
void bp_cmd_free(BpCmd *cmd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpCmd, bp_cmd_free)

gboolean bp_cmd_opt_bool(const BpCmd *cmd, const char *name);
const char *bp_cmd_opt_string(const BpCmd *cmd, const char *name);
const char *const *bp_cmd_opt_argv(const BpCmd *cmd);
gboolean bp_cmd_opt_string_req(const BpCmd *cmd, const char *name,
                               const char **value, GError **error);
gboolean bp_cmd_require(const BpCmd *cmd, const char *opt,
                        const char *needed, GError **error);
gboolean bp_cmd_exclusive(const BpCmd *cmd, const char *a, const char *b,
                          GError **error);

const BpCmdDef *bp_cmd_lookup(const BpCmdGroup *groups, const char *name);
const BpCmdGroup *bp_cmd_group_lookup(const BpCmdGroup *groups,
                                      const char *keyword);

/* Which bus the client talks to. */
typedef enum {
    BP_CONNECT_SYSTEM,
    BP_CONNECT_SESSION,
} BpConnect;

gboolean bp_connect_parse(const char *value, BpConnect *connect,
                          GError **error);
BpConnect bp_connect_default(void);

/* The options before the command. */
typedef struct {
    BpConnect connect;
    gboolean quiet;
    gboolean json;
    gboolean no_user_interaction;
    gboolean help;
    gboolean version;         /* -v: the client's version only */
    gboolean version_long;    /* -V: client and daemon */
} BpGlobalOpts;

int bp_global_parse(int argc, char **argv, BpGlobalOpts *opts,
                    GError **error);

G_END_DECLS
