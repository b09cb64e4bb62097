/*
 * backup-crash-helper.c: starts a throttled push backup of a domain made
 * by checkpointtest.c and SIGKILLs itself once the copies run (a pull
 * backup: once its exports serve), so that test-jobs-backup-offline and
 * test-jobs-backup-pull can check what reconciliation makes of it.
 *
 *   backup-crash-helper DIR DOMAIN BACKUPXML CHECKPOINTXML
 *
 * Exit status: killed by SIGKILL while copying or serving; 0 when the backup ended
 * before; 1 when it failed; 2 for bad arguments.
 */
#include <config.h>

#include <signal.h>
#include <stdio.h>

#include "checkpointtest.h"
#include "jobs/bp-backup-ops.h"

/* Pull: whether the exports serve (the point in time has passed). */
static gboolean helper_serving;


static void
helper_started(BpBackupOp *op, gpointer data G_GNUC_UNUSED)
{
    if (bp_backup_op_is_pull(op))
        helper_serving = TRUE;
}


int
main(int argc, char **argv)
{
    g_autoptr(CtDomain) d = NULL;
    CtBackupResult r = { 0 };
    BpBackupProgress p = { 0 };
    BpBackupOp *op;
    gint64 until = 0;

    if (argc != 5) {
        fprintf(stderr, "usage: %s DIR DOMAIN BACKUPXML CHECKPOINTXML\n", argv[0]);
        return 2;
    }
    d = ct_domain_open(argv[1], argv[2]);
    bp_backup_ops_set_test_speed(1 << 20);
    op = ct_backup_begin(d, argv[3], argv[4], 0, &r);
    if (op)
        bp_backup_op_set_started_func(op, helper_started, NULL);
    while (!r.done) {
        g_main_context_iteration(NULL, !p.copying);
        if (r.done)
            break;
        bp_backup_op_get_progress(op, &p);
        if (bp_backup_op_is_pull(op))
            p.copying = helper_serving;
        /* Let the copies write a little before dying. */
        if (p.copying && until == 0)
            until = g_get_monotonic_time() + 300 * 1000;
        if (until && g_get_monotonic_time() >= until)
            raise(SIGKILL);
        if (p.copying)
            g_usleep(10 * 1000);
    }
    if (r.error) {
        fprintf(stderr, "%s: %s\n", argv[0], r.error->message);
        return 1;
    }
    return 0;
}
