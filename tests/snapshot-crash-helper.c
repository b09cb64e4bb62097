/*
 * snapshot-crash-helper.c: takes one snapshot of a domain made by
 * checkpointtest.c and SIGKILLs itself at a chosen step, so that
 * test-jobs-snapshot can check what reconciliation makes of it.
 *
 *   snapshot-crash-helper DIR DOMAIN STEP XML
 *
 * STEP is a name bp-snapshot-ops.h passes to its test hook
 * ("create:pending", "create:applied").  Exit status: killed by SIGKILL
 * at STEP; 0 when the snapshot was taken without reaching it; 1 when it
 * failed; 2 for bad arguments.
 */
#include <config.h>

#include <stdio.h>

#include "checkpointtest.h"
#include "jobs/bp-snapshot-ops.h"
#include "qemu/bp-qemu-sync.h"


int
main(int argc, char **argv)
{
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *name = NULL;
    BpSyncCall call;

    if (argc != 5) {
        fprintf(stderr, "usage: %s DIR DOMAIN STEP XML\n", argv[0]);
        return 2;
    }
    d = ct_domain_open(argv[1], argv[2]);
    bp_snapshot_ops_set_test_hook(ct_crash_hook, argv[3]);
    bp_sync_call_begin(&call);
    bp_snapshot_ops_create_async(d->store, d->id, d->access, argv[4], 0,
                                 g_get_real_time() / G_USEC_PER_SEC, NULL,
                                 bp_sync_call_ready, &call);
    name = bp_snapshot_ops_create_finish(bp_sync_call_wait(&call), NULL, &error);
    bp_sync_call_end(&call);
    if (!name) {
        fprintf(stderr, "%s: %s\n", argv[0], error->message);
        return 1;
    }
    return 0;
}
