/*
 * blkpoint-backup.h: the backup commands (backup-begin, backup-dumpxml,
 * backup-list, domjobinfo, domjobabort) and restore: their handlers and
 * options for the command table in blkpoint.c, the parts that need no
 * daemon (tested by tests/test-client-progress.c and the end-to-end
 * script), and waiting for a Job object (blkpoint-job.c).
 *
 * The handlers live in blkpoint-backup.c (backup-begin, backup-dumpxml,
 * domjobinfo, domjobabort), blkpoint-backup-list.c and
 * blkpoint-restore.c.
 */
#pragma once

#include "blkpoint-cmd.h"
#include "blkpoint-util.h"

G_BEGIN_DECLS

#define BP_IFACE_JOB "org.blkpoint.Blkpoint1.Job"

extern const BpCmdOptDef bp_opts_backup_begin[];
extern const BpCmdOptDef bp_opts_backup_dumpxml[];
extern const BpCmdOptDef bp_opts_backup_list[];
extern const BpCmdOptDef bp_opts_domjobinfo[];
extern const BpCmdOptDef bp_opts_domjobabort[];
extern const BpCmdOptDef bp_opts_restore[];

gboolean bp_cmd_backup_begin(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_backup_dumpxml(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_backup_list(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_domjobinfo(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_domjobabort(BpCtl *ctl, const BpCmd *cmd, GError **error);
gboolean bp_cmd_restore(BpCtl *ctl, const BpCmd *cmd, GError **error);

/* ---- without a daemon ---- */

/* virsh's vshPrettyCapacity: @bytes as "%.3f UNIT" with the largest
 * binary unit (B, KiB, ... EiB) under which the value is >= 1.  Newly
 * allocated. */
char *bp_backup_capacity_format(guint64 bytes);

/* The domjobinfo text for the GetJobInfo() dictionary @info, laid out
 * as virsh lays out its own.  Newly allocated. */
char *bp_backup_jobinfo_format(GVariant *info);

/* ---- waiting for a Job object (blkpoint-job.c) ---- */

/* Subscribes to the Completed signal of every job of the daemon; call
 * it BEFORE the method that creates the job, so that a job ending at
 * once is not missed.  From then on SIGINT is caught: one that comes
 * before bp_ctl_job_wait() cancels the job when the wait begins.
 * Returns the subscription handle for bp_ctl_job_wait(). */
typedef struct _BpJobWatch BpJobWatch;
BpJobWatch *bp_ctl_job_watch(BpCtl *ctl);
void bp_ctl_job_watch_free(BpJobWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpJobWatch, bp_ctl_job_watch_free)

/*
 * Waits until the job at @path has emitted Completed.  With @label
 * (translated, e.g. "Backup") a progress display on stderr follows the
 * job's BytesProcessed/BytesTotal (read every 250 ms).  SIGINT cancels
 * the job (Job.Cancel()) and waits on for its end, as virsh's --wait
 * does.  Returns TRUE when the job succeeded; FALSE with @error set to
 * the job's message (BP_ERROR_OPERATION_FAILED), or a D-Bus error.
 */
gboolean bp_ctl_job_wait(BpCtl *ctl, BpJobWatch *watch, const char *path,
                         const char *label, GError **error);

G_END_DECLS
