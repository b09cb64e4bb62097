/*
 * testconfutils.h: helpers shared by the src/conf tests.
 */
#pragma once

#include <glib.h>

/* The content of @path (fails the test when unreadable). */
char *bp_test_load(const char *path);

/* Fails unless @error is BP_ERROR/@code and its message contains every
 * string of the NULL-terminated @subs (when @subs is not NULL). */
void bp_test_assert_error(const GError *error, int code,
                          const char *const *subs);

/* Compares @actual with the file @path byte for byte and fails with both
 * texts on a mismatch; never rewrites @path (for reference data that is
 * not ours, like the libvirt corpus). */
void bp_test_compare_exact(const char *actual, const char *path);

/* @str with every @from replaced by @to. */
char *bp_test_replace(const char *str, const char *from, const char *to);
