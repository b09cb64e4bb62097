/*
 * blkpoint-backup-pull.h: the consumer side of pull-mode backups:
 * backup-pull (copies the exports of a running pull backup into qcow2
 * files with libnbd and reports them) and backup-finish (reports files a
 * third-party consumer wrote), for the command table in blkpoint.c.
 */
#pragma once

#include "blkpoint-cmd.h"
#include "blkpoint-util.h"

G_BEGIN_DECLS

extern const BpCmdOptDef bp_opts_backup_pull[];
extern const BpCmdOptDef bp_opts_backup_finish[];

gboolean bp_cmd_backup_pull(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_backup_finish(BpCtl *ctl, const BpCmd *cmd, GError **error);

/* ---- without a daemon ---- */

/* One disk of a pull backup, as BackupGetXMLDesc() describes it. */
typedef struct {
    char *name;
    char *uri;              /* the export: nbd+unix:///NAME?socket=S, nbd://H:P/NAME,
                             * or nbds... with TLS */
    char *bitmap;           /* incremental: the exported bitmap, else NULL */
    char *incremental;      /* incremental: the base checkpoint, else NULL */
} BpPullDisk;

void bp_pull_disk_free(BpPullDisk *disk);

/* The participating disks of the pull backup document @xml (a
 * GPtrArray of BpPullDisk, freed with the array), or NULL with
 * BP_ERROR_OPERATION_INVALID for a push backup and BP_ERROR_XML_* for a
 * document that is not one.  A server with tls='yes' gets nbds URIs
 * with ?tls-certificates=@tls_dir, which must hold ca-cert.pem
 * (BP_ERROR_INVALID_ARGUMENT when it is NULL or does not): libnbd
 * verifies the server only with a CA certificate. */
GPtrArray *bp_pull_disks_from_xml(const char *xml, const char *tls_dir, GError **error);

/* "DIR/DOMAIN-DISK-ID.qcow2" (newly allocated). */
char *bp_pull_output_name(const char *dir, const char *domain,
                          const char *disk, const char *id);

G_END_DECLS
