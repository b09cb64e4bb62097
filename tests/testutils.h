/*
 * testutils.h: helpers shared by the C tests.
 */
#pragma once

#include <glib.h>

/* Absolute path of a file under tests/ in the source tree. */
char *bp_test_srcpath(const char *relpath);

/* Absolute path of a file in the conformance corpus; NULL (and the test
 * marked skipped) when the corpus is not available. */
char *bp_test_conformance_path(const char *relpath);

/* Compares @actual with the content of @golden_path; on mismatch prints a
 * unified diff and fails the test.  With BP_TEST_REGENERATE=1 the golden
 * file is rewritten instead (only for files in the source tree). */
void bp_test_compare_to_file(const char *actual, const char *golden_path);

/* A fresh temporary directory, removed recursively by bp_test_rmdir().
 * A reaper process kills every qemu-storage-daemon naming a file below it
 * when the test program ends (a failed assertion included). */
char *bp_test_mkdtemp(void);
/* Fails the running test (g_test_fail) when a qemu-storage-daemon naming
 * a file below @dir still runs, after killing it. */
void bp_test_assert_no_qsd(const char *dir);
/* bp_test_assert_no_qsd(@path), then removes @path recursively. */
void bp_test_rmdir(const char *path);
