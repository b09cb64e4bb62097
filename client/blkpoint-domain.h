/*
 * blkpoint-domain.h: the domain commands (define, undefine, start,
 * shutdown, destroy, list, dominfo, dumpxml, domblklist): their handlers
 * and options, for the command table in blkpoint.c.
 */
#pragma once

#include "blkpoint-cmd.h"

G_BEGIN_DECLS

extern const BpCmdOptDef bp_opts_define[];
extern const BpCmdOptDef bp_opts_undefine[];
extern const BpCmdOptDef bp_opts_start[];
extern const BpCmdOptDef bp_opts_domain_only[];
extern const BpCmdOptDef bp_opts_destroy[];
extern const BpCmdOptDef bp_opts_list[];
extern const BpCmdOptDef bp_opts_dumpxml[];
extern const BpCmdOptDef bp_opts_domblklist[];

gboolean bp_cmd_define(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_undefine(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_start(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_shutdown(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_destroy(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_list(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_dominfo(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_dumpxml(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_domblklist(BpCtl *ctl, const BpCmd *cmd, GError **error);

const char *bp_domain_state_display(const char *state);

G_END_DECLS
