/*
 * testconfutils.c: helpers shared by the src/conf tests.
 */
#include <config.h>

#include <string.h>

#include "util/bp-error.h"
#include "testconfutils.h"


char *
bp_test_load(const char *path)
{
    g_autoptr(GError) error = NULL;
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, &error))
        g_error("cannot read %s: %s", path, error->message);
    return text;
}


void
bp_test_assert_error(const GError *error, int code, const char *const *subs)
{
    if (!error) {
        g_test_message("expected error code %d, but the call succeeded", code);
        g_test_fail();
        return;
    }
    if (error->domain != BP_ERROR || error->code != code) {
        g_test_message("expected error code %d, got %s/%d: %s", code,
                       g_quark_to_string(error->domain), error->code,
                       error->message);
        g_test_fail();
        return;
    }
    for (size_t i = 0; subs && subs[i]; i++) {
        if (!strstr(error->message, subs[i])) {
            g_test_message("error message '%s' lacks '%s'",
                           error->message, subs[i]);
            g_test_fail();
        }
    }
}


void
bp_test_compare_exact(const char *actual, const char *path)
{
    g_autofree char *expected = bp_test_load(path);

    if (g_strcmp0(expected, actual) != 0) {
        g_test_message("output differs from %s\n--- expected\n%s--- actual\n%s",
                       path, expected, actual);
        g_test_fail();
    }
}


char *
bp_test_replace(const char *str, const char *from, const char *to)
{
    g_auto(GStrv) parts = g_strsplit(str, from, -1);

    return g_strjoinv(to, parts);
}
