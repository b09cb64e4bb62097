/*
 * blkpoint-checkpoint.h: the checkpoint commands (checkpoint-create,
 * checkpoint-create-as, checkpoint-list, checkpoint-dumpxml,
 * checkpoint-info, checkpoint-parent, checkpoint-delete, checkpoint-edit):
 * their handlers and options for the command table in blkpoint.c, and the
 * parts that need no daemon, which tests/test-client-checkpoint.c tests.
 *
 * The handlers live in blkpoint-checkpoint.c, blkpoint-checkpoint-list.c
 * and blkpoint-checkpoint-edit.c.
 */
#pragma once

#include "blkpoint-cmd.h"
#include "blkpoint-util.h"

G_BEGIN_DECLS

extern const BpCmdOptDef bp_opts_checkpoint_create[];
extern const BpCmdOptDef bp_opts_checkpoint_create_as[];
extern const BpCmdOptDef bp_opts_checkpoint_list[];
extern const BpCmdOptDef bp_opts_checkpoint_dumpxml[];
extern const BpCmdOptDef bp_opts_checkpoint_edit[];
extern const BpCmdOptDef bp_opts_checkpoint_info[];
extern const BpCmdOptDef bp_opts_checkpoint_parent[];
extern const BpCmdOptDef bp_opts_checkpoint_delete[];

gboolean bp_cmd_checkpoint_create(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_checkpoint_create_as(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_checkpoint_list(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_checkpoint_dumpxml(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_checkpoint_edit(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_checkpoint_info(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_checkpoint_parent(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_checkpoint_delete(BpCtl *ctl, const BpCmd *cmd, GError **error);

/* ---- without a daemon ---- */

char *bp_xml_escape(const char *text);
GPtrArray *bp_diskspec_split(const char *spec);
/* Appends the element a --diskspec value stands for at @indent, with its
 * newline; FALSE with @error for a bad one. */
typedef gboolean (*BpDiskspecFormatFunc)(GString *buf, const char *spec, guint indent,
                                         GError **error);
char *bp_create_as_xml_build(const char *root, const char *name, const char *description,
                             const char *const *diskspecs, BpDiskspecFormatFunc format,
                             GError **error);
typedef char *(*BpCreateAsBuildFunc)(const char *name, const char *description,
                                     const char *const *diskspecs, GError **error);
gboolean bp_create_as_prepare(BpCtl *ctl, const BpCmd *cmd, BpCreateAsBuildFunc build,
                              BpDomain **dom, char **xml, GError **error);
gboolean bp_checkpoint_diskspec_format(GString *buf, const char *spec,
                                       GError **error);
char *bp_checkpoint_xml_build(const char *name, const char *description,
                              const char *const *diskspecs, GError **error);
char *bp_checkpoint_time_format(guint64 when, GTimeZone *tz);
gboolean bp_checkpoint_create_check(const BpCmd *cmd, GError **error);
gboolean bp_checkpoint_list_check(const BpCmd *cmd, GError **error);

/* ---- shared by the checkpoint commands ---- */

BpCheckpoint *bp_checkpoint_lookup(BpCtl *ctl, BpDomain *dom,
                                   const BpCmd *cmd, const char *opt,
                                   char **path, char **name, GError **error);
char *bp_checkpoint_name_of(BpCtl *ctl, const char *path, GError **error);
void bp_checkpoint_json_members(JsonBuilder *b, GVariant *props,
                                const char *parent);

G_END_DECLS
