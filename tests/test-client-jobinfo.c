/*
 * test-client-jobinfo.c: domjobinfo's text (client/blkpoint-backup.c)
 * for the dictionaries GetJobInfo() returns, laid out as virsh lays out
 * its own: labels padded to 17 columns, job type and operation padded
 * to 12, "N ms" after a padded number, sizes as vshPrettyCapacity prints
 * them ("%.3f" and a binary unit).
 */
#include <config.h>

#include "client/blkpoint-backup.h"


static GVariant *
parse(const char *text)
{
    g_autoptr(GError) err = NULL;
    GVariant *v = g_variant_parse(G_VARIANT_TYPE("a{sv}"), text, NULL, NULL, &err);

    g_assert_no_error(err);
    return v;
}


static void
test_capacity(void)
{
    struct { guint64 bytes; const char *text; } cases[] = {
        { 0, "0.000 B" }, { 1023, "1023.000 B" }, { 1024, "1.000 KiB" },
        { 1ULL << 30, "1.000 GiB" }, { 479ULL << 20, "479.000 MiB" },
        { (1ULL << 20) + (1ULL << 19), "1.500 MiB" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *s = bp_backup_capacity_format(cases[i].bytes);

        g_assert_cmpstr(s, ==, cases[i].text);
    }
}


static void
test_format(void)
{
    struct { const char *info; const char *text; } cases[] = {
        { "{'type': <'none'>}",
          "Job type:         None        \n" },
        { "{'type': <'unbounded'>, 'operation': <'backup'>, 'job': <objectpath '/j/1'>,"
          " 'time_elapsed': <uint64 460>, 'disk_total': <uint64 2147483648>,"
          " 'disk_processed': <uint64 502267904>, 'disk_remaining': <uint64 1645215744>}",
          "Job type:         Unbounded   \n"
          "Operation:        Backup      \n"
          "Time elapsed:     460          ms\n"
          "File processed:   479.000 MiB\n"
          "File remaining:   1.532 GiB\n"
          "File total:       2.000 GiB\n" },
        { "{'type': <'unbounded'>, 'operation': <'backup'>, 'time_elapsed': <uint64 7>,"
          " 'disk_temp_used': <uint64 0>, 'disk_temp_total': <uint64 335544320>}",
          "Job type:         Unbounded   \n"
          "Operation:        Backup      \n"
          "Time elapsed:     7            ms\n"
          "Temporary disk space use: 0.000 B\n"
          "Temporary disk space total: 320.000 MiB\n" },
        { "{'type': <'cancelled'>, 'operation': <'backup'>, 'time_elapsed': <uint64 900>,"
          " 'success': <false>, 'errmsg': <'Operation canceled'>}",
          "Job type:         Cancelled   \n"
          "Operation:        Backup      \n"
          "Time elapsed:     900          ms\n"
          "Error message:    Operation canceled\n" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GVariant) info = parse(cases[i].info);
        g_autofree char *text = bp_backup_jobinfo_format(info);

        g_assert_cmpstr(text, ==, cases[i].text);
    }
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client/jobinfo/capacity", test_capacity);
    g_test_add_func("/client/jobinfo/format", test_format);
    return g_test_run();
}
