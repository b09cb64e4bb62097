/*
 * blkpoint-snapshot.h: the snapshot commands (snapshot-create,
 * snapshot-create-as, snapshot-list, snapshot-dumpxml, snapshot-current,
 * snapshot-info, snapshot-parent, snapshot-delete): handlers and options for the command table in
 * blkpoint.c, and the document building that needs no daemon.
 */
#pragma once

#include "blkpoint-cmd.h"
#include "blkpoint-util.h"

G_BEGIN_DECLS

extern const BpCmdOptDef bp_opts_snapshot_create[];
extern const BpCmdOptDef bp_opts_snapshot_create_as[];
extern const BpCmdOptDef bp_opts_snapshot_list[];
extern const BpCmdOptDef bp_opts_snapshot_dumpxml[];
extern const BpCmdOptDef bp_opts_snapshot_current[];
extern const BpCmdOptDef bp_opts_snapshot_delete[];
extern const BpCmdOptDef bp_opts_snapshot_info[];
extern const BpCmdOptDef bp_opts_snapshot_parent[];

gboolean bp_cmd_snapshot_create(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_snapshot_create_as(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_snapshot_list(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_snapshot_dumpxml(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_snapshot_current(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_snapshot_delete(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_snapshot_info(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_snapshot_parent(BpCtl *ctl, const BpCmd *cmd, GError **error);

/* ---- without a daemon ---- */

gboolean bp_snapshot_diskspec_format(GString *buf, const char *spec, guint indent,
                                     GError **error);
char *bp_snapshot_xml_build(const char *name, const char *description,
                            const char *const *diskspecs, GError **error);

G_END_DECLS
