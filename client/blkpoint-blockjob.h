/*
 * blkpoint-blockjob.h: "blockcommit", "blockpull" and "blockjob" (virsh's
 * block job commands; commit and pull jobs exist in blkpoint).
 */
#pragma once

#include "blkpoint-cmd.h"
#include "blkpoint-util.h"

G_BEGIN_DECLS

extern const BpCmdOptDef bp_opts_blockcommit[];
extern const BpCmdOptDef bp_opts_blockpull[];
extern const BpCmdOptDef bp_opts_blockjob[];

gboolean bp_cmd_blockcommit(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_blockpull(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_blockjob(BpCtl *ctl, const BpCmd *cmd, GError **error);

G_END_DECLS
