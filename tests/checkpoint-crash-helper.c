/*
 * checkpoint-crash-helper.c: runs one checkpoint operation on a domain
 * made by checkpointtest.c and SIGKILLs itself at a chosen step, so
 * that test-jobs-checkpoint can check what reconciliation makes of it.
 *
 *   checkpoint-crash-helper DIR DOMAIN STEP create XML
 *   checkpoint-crash-helper DIR DOMAIN STEP delete CHECKPOINT
 *
 * STEP is a name the operations pass to their test hook
 * ("create:pending", "create:applied", "delete:marked",
 * "delete:applied").  Exit status: killed by SIGKILL at STEP; 0 when
 * the operation ended without reaching it; 1 when it failed; 2 for bad
 * arguments.
 */
#include <config.h>

#include <stdio.h>

#include "checkpointtest.h"


int
main(int argc, char **argv)
{
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    gboolean ok;

    if (argc != 6) {
        fprintf(stderr, "usage: %s DIR DOMAIN STEP create XML|delete CHECKPOINT\n", argv[0]);
        return 2;
    }
    d = ct_domain_open(argv[1], argv[2]);
    bp_checkpoint_ops_set_test_hook(ct_crash_hook, argv[3]);
    if (g_str_equal(argv[4], "create")) {
        g_autofree char *name = ct_create(d, argv[5], 0, &error);

        ok = name != NULL;
    } else if (g_str_equal(argv[4], "delete")) {
        ok = ct_delete(d, argv[5], 0, &error);
    } else {
        fprintf(stderr, "%s: unknown operation %s\n", argv[0], argv[4]);
        return 2;
    }
    if (!ok) {
        fprintf(stderr, "%s: %s\n", argv[0], error->message);
        return 1;
    }
    return 0;
}
