/*
 * blkpoint-help.h: the commands about blkpoint itself (help, version) and
 * the help texts every command shares.
 */
#pragma once

#include "blkpoint-cmd.h"

G_BEGIN_DECLS

extern const BpCmdOptDef bp_opts_help[];

gboolean bp_cmd_help(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_version(BpCtl *ctl, const BpCmd *cmd, GError **error);

char *bp_help_command(const BpCmdDef *def);
char *bp_help_groups(const BpCmdGroup *groups, const BpCmdGroup *only);
char *bp_help_usage(const char *progname);
char *bp_help_wrap(const char *text, const char *indent, size_t width);

void bp_version_print(BpCtl *ctl, gboolean with_daemon);

G_END_DECLS
