/*
 * test-client-backup-pull.c: what backup-pull reads from the backup's
 * document without a daemon: the export URI for each transport, the
 * bitmap and base of incremental disks only, disks not taking part
 * skipped, a push document refused; and the --output-dir file names.
 */
#include <config.h>

#include <glib/gstdio.h>

#include "client/blkpoint-backup-pull.h"
#include "testutils.h"
#include "util/bp-error.h"


static BpPullDisk *
disk_at(GPtrArray *disks, guint i)
{
    g_assert_cmpuint(i, <, disks->len);
    return disks->pdata[i];
}


static void
test_unix(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) disks = bp_pull_disks_from_xml(
        "<domainbackup mode='pull'>\n"
        "  <incremental>c1</incremental>\n"
        "  <server transport='unix' socket='/run/bp/my dom/nbd.sock'/>\n"
        "  <disks>\n"
        "    <disk name='vda' backup='yes' type='file' backupmode='incremental' incremental='c1'"
        " exportname='backup-vda' exportbitmap='backup-vda'>\n"
        "      <scratch file='/i/vda.qcow2.c2'/>\n"
        "    </disk>\n"
        "    <disk name='vdb' backup='yes' type='file' backupmode='full' exportname='b b'>\n"
        "      <scratch file='/i/vdb.qcow2.c2'/>\n"
        "    </disk>\n"
        "    <disk name='vdc' backup='no'/>\n"
        "  </disks>\n"
        "</domainbackup>\n", NULL, &error);

    g_assert_no_error(error);
    g_assert_cmpuint(disks->len, ==, 2);
    g_assert_cmpstr(disk_at(disks, 0)->name, ==, "vda");
    g_assert_cmpstr(disk_at(disks, 0)->uri, ==,
                    "nbd+unix:///backup-vda?socket=/run/bp/my%20dom/nbd.sock");
    g_assert_cmpstr(disk_at(disks, 0)->bitmap, ==, "backup-vda");
    g_assert_cmpstr(disk_at(disks, 0)->incremental, ==, "c1");
    g_assert_cmpstr(disk_at(disks, 1)->uri, ==,
                    "nbd+unix:///b%20b?socket=/run/bp/my%20dom/nbd.sock");
    g_assert_null(disk_at(disks, 1)->bitmap);
    g_assert_null(disk_at(disks, 1)->incremental);
}


static void
test_tcp(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) v4 = bp_pull_disks_from_xml(
        "<domainbackup mode='pull'><server name='127.0.0.1' port='10809'/><disks>"
        "<disk name='vda' backup='yes' backupmode='full' exportname='backup-vda'/>"
        "</disks></domainbackup>", NULL, &error);
    g_autoptr(GPtrArray) v6 = NULL;

    g_assert_no_error(error);
    g_assert_cmpstr(disk_at(v4, 0)->uri, ==, "nbd://127.0.0.1:10809/backup-vda");
    v6 = bp_pull_disks_from_xml(
        "<domainbackup mode='pull'><server transport='tcp' name='::1'/><disks>"
        "<disk name='vda' backup='yes' backupmode='full' exportname='e'/>"
        "</disks></domainbackup>", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(disk_at(v6, 0)->uri, ==, "nbd://[::1]/e");
}


static void
test_tls(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *certs = g_build_filename(dir, "my certs", NULL);
    g_autofree char *ca = g_build_filename(certs, "ca-cert.pem", NULL);
    g_autofree char *want = NULL;
    g_autofree char *want_tcp = NULL;
    g_autofree char *esc = NULL;
    g_autoptr(GPtrArray) u = NULL;
    g_autoptr(GPtrArray) t = NULL;
    GPtrArray *none;
    const char *unix_xml =
        "<domainbackup mode='pull'><server transport='unix' socket='/s' tls='yes'/><disks>"
        "<disk name='vda' backup='yes' backupmode='full' exportname='e'/>"
        "</disks></domainbackup>";

    /* Without a CA certificate libnbd would not verify the server. */
    none = bp_pull_disks_from_xml(unix_xml, NULL, &error);
    g_assert_null(none);
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    none = bp_pull_disks_from_xml(unix_xml, certs, &error);
    g_assert_null(none);
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);

    g_assert_cmpint(g_mkdir(certs, 0700), ==, 0);
    g_assert_true(g_file_set_contents(ca, "x", -1, NULL));
    u = bp_pull_disks_from_xml(unix_xml, certs, &error);
    g_assert_no_error(error);
    esc = g_uri_escape_string(certs, "/", FALSE);
    want = g_strdup_printf("nbds+unix:///e?socket=/s&tls-certificates=%s", esc);
    g_assert_cmpstr(disk_at(u, 0)->uri, ==, want);
    t = bp_pull_disks_from_xml(
        "<domainbackup mode='pull'><server name='h' port='1' tls='yes'/><disks>"
        "<disk name='vda' backup='yes' backupmode='full' exportname='e'/>"
        "</disks></domainbackup>", certs, &error);
    g_assert_no_error(error);
    want_tcp = g_strdup_printf("nbds://h:1/e?tls-certificates=%s", esc);
    g_assert_cmpstr(disk_at(t, 0)->uri, ==, want_tcp);
    g_assert_cmpint(g_unlink(ca), ==, 0);
    bp_test_rmdir(dir);
}


static void
test_refused(void)
{
    g_autoptr(GError) error = NULL;
    GPtrArray *disks;

    disks = bp_pull_disks_from_xml("<domainbackup><disks><disk name='vda' backup='yes'/>"
                                   "</disks></domainbackup>", NULL, &error);
    g_assert_null(disks);
    g_assert_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID);
    g_clear_error(&error);
    disks = bp_pull_disks_from_xml("<domainbackup mode='pull'><disks>"
                                   "<disk name='vda' backup='yes' exportname='e'/>"
                                   "</disks></domainbackup>", NULL, &error);
    g_assert_null(disks);
    g_assert_error(error, BP_ERROR, BP_ERROR_XML_INVALID);
    g_clear_error(&error);
    disks = bp_pull_disks_from_xml("<domainbackup mode='pull'><server transport='fd' "
                                   "fdgroup='g'/><disks><disk name='vda' backup='yes' "
                                   "exportname='e'/></disks></domainbackup>", NULL, &error);
    g_assert_null(disks);
    g_assert_error(error, BP_ERROR, BP_ERROR_OPERATION_UNSUPPORTED);
    g_clear_error(&error);
    disks = bp_pull_disks_from_xml("<domainbackup mode='pull'", NULL, &error);
    g_assert_null(disks);
    g_assert_error(error, BP_ERROR, BP_ERROR_XML_SYNTAX);
}


static void
test_output_name(void)
{
    g_autofree char *name = bp_pull_output_name("/b", "vm1", "vda", "7");

    g_assert_cmpstr(name, ==, "/b/vm1-vda-7.qcow2");
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client/backup-pull/unix", test_unix);
    g_test_add_func("/client/backup-pull/tcp", test_tcp);
    g_test_add_func("/client/backup-pull/tls", test_tls);
    g_test_add_func("/client/backup-pull/refused", test_refused);
    g_test_add_func("/client/backup-pull/output-name", test_output_name);
    return g_test_run();
}
