/*
 * test-daemon-auth.c: which polkit action a caller needs, without a bus
 * or polkit (the decision of bp_auth_action_for_caller()).
 *
 * - The user who started a job may cancel it with org.blkpoint.read;
 *   another user, root included, still needs org.blkpoint.manage.
 * - A method without a starter (BP_AUTH_NO_UID) keeps its action, even
 *   for a caller whose UID is the "no user" value itself.
 * - Read stays read for anybody.
 */
#include <config.h>

#include "daemon/bp-auth.h"


static void
test_starter_reads(void)
{
    g_assert_cmpint(bp_auth_action_for_caller(BP_AUTH_MANAGE, 1000, 1000), ==, BP_AUTH_READ);
    g_assert_cmpint(bp_auth_action_for_caller(BP_AUTH_MANAGE, 0, 0), ==, BP_AUTH_READ);
    g_assert_cmpstr(bp_auth_action_id(bp_auth_action_for_caller(BP_AUTH_MANAGE, 4242, 4242)),
                    ==, "org.blkpoint.read");
}


static void
test_others_manage(void)
{
    g_assert_cmpint(bp_auth_action_for_caller(BP_AUTH_MANAGE, 1001, 1000), ==, BP_AUTH_MANAGE);
    g_assert_cmpint(bp_auth_action_for_caller(BP_AUTH_MANAGE, 0, 1000), ==, BP_AUTH_MANAGE);
    g_assert_cmpint(bp_auth_action_for_caller(BP_AUTH_MANAGE, 1000, 0), ==, BP_AUTH_MANAGE);
    g_assert_cmpstr(bp_auth_action_id(bp_auth_action_for_caller(BP_AUTH_MANAGE, 1, 2)),
                    ==, "org.blkpoint.manage");
}


static void
test_no_starter(void)
{
    g_assert_cmpint(bp_auth_action_for_caller(BP_AUTH_MANAGE, 1000, BP_AUTH_NO_UID),
                    ==, BP_AUTH_MANAGE);
    /* A caller the bus could not name never matches "nobody". */
    g_assert_cmpint(bp_auth_action_for_caller(BP_AUTH_MANAGE, BP_AUTH_NO_UID, BP_AUTH_NO_UID),
                    ==, BP_AUTH_MANAGE);
}


static void
test_read_stays_read(void)
{
    g_assert_cmpint(bp_auth_action_for_caller(BP_AUTH_READ, 1000, 1000), ==, BP_AUTH_READ);
    g_assert_cmpint(bp_auth_action_for_caller(BP_AUTH_READ, 1001, 1000), ==, BP_AUTH_READ);
    g_assert_cmpint(bp_auth_action_for_caller(BP_AUTH_READ, 1000, BP_AUTH_NO_UID),
                    ==, BP_AUTH_READ);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/daemon/auth/starter-reads", test_starter_reads);
    g_test_add_func("/daemon/auth/others-manage", test_others_manage);
    g_test_add_func("/daemon/auth/no-starter", test_no_starter);
    g_test_add_func("/daemon/auth/read-stays-read", test_read_stays_read);
    return g_test_run();
}
