/*
 * bp-enum.h: enum <-> string tables with a _LAST sentinel.
 *
 *   BP_ENUM_DECL(bp_backup_mode)                   in the header
 *   BP_ENUM_IMPL(bp_backup_mode, BP_BACKUP_MODE_LAST, "default", "push", "pull")
 *
 * gives bp_backup_mode_to_string(int) (NULL when out of range) and
 * bp_backup_mode_from_string(const char *) (-1 when unknown).  The number
 * of strings is checked against the sentinel at compile time.
 */
#pragma once

#include <glib.h>

#define BP_ENUM_DECL(name) \
    const char *name##_to_string(int value); \
    int name##_from_string(const char *str)

#define BP_ENUM_IMPL(name, last, ...) \
    static const char *const name##_strings[] = { __VA_ARGS__ }; \
    G_STATIC_ASSERT(G_N_ELEMENTS(name##_strings) == (last)); \
    const char * \
    name##_to_string(int value) \
    { \
        if (value < 0 || value >= (int) (last)) \
            return NULL; \
        return name##_strings[value]; \
    } \
    int \
    name##_from_string(const char *str) \
    { \
        if (!str) \
            return -1; \
        for (int i = 0; i < (int) (last); i++) { \
            if (g_str_equal(name##_strings[i], str)) \
                return i; \
        } \
        return -1; \
    }
