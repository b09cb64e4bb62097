/*
 * bp-log.c: the daemon's log writer (see the header).
 */
#include <config.h>

#include <stdio.h>
#include <unistd.h>

#include "bp-log.h"

static BpLogLevel bp_log_level = BP_LOG_MESSAGE;

static const char *const bp_log_level_names[] = {
    "error", "warning", "message", "info", "debug",
};


gboolean
bp_log_level_from_string(const char *name, BpLogLevel *level)
{
    for (size_t i = 0; i < G_N_ELEMENTS(bp_log_level_names); i++) {
        if (name && g_str_equal(name, bp_log_level_names[i])) {
            *level = (BpLogLevel) i;
            return TRUE;
        }
    }
    return FALSE;
}


static BpLogLevel
bp_log_level_of(GLogLevelFlags flags)
{
    if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        return BP_LOG_ERROR;
    if (flags & G_LOG_LEVEL_WARNING)
        return BP_LOG_WARNING;
    if (flags & G_LOG_LEVEL_MESSAGE)
        return BP_LOG_MESSAGE;
    if (flags & G_LOG_LEVEL_INFO)
        return BP_LOG_INFO;
    return BP_LOG_DEBUG;
}


static const char *
bp_log_field_domain(const GLogField *fields, gsize n_fields)
{
    for (gsize i = 0; i < n_fields; i++) {
        if (g_str_equal(fields[i].key, "GLIB_DOMAIN"))
            return fields[i].value;
    }
    return NULL;
}


static GLogWriterOutput
bp_log_writer(GLogLevelFlags flags, const GLogField *fields, gsize n_fields,
              gpointer user_data G_GNUC_UNUSED)
{
    BpLogLevel level = bp_log_level_of(flags);
    g_autofree char *line = NULL;

    if (level > bp_log_level) {
        /* G_MESSAGES_DEBUG can still ask for debug and info messages. */
        if (level < BP_LOG_INFO ||
            g_log_writer_default_would_drop(flags & G_LOG_LEVEL_MASK,
                                            bp_log_field_domain(fields, n_fields)))
            return G_LOG_WRITER_HANDLED;
    }
    if (g_log_writer_is_journald(STDERR_FILENO) &&
        g_log_writer_journald(flags, fields, n_fields, NULL) == G_LOG_WRITER_HANDLED)
        return G_LOG_WRITER_HANDLED;

    line = g_log_writer_format_fields(flags, fields, n_fields,
                                      g_log_writer_supports_color(STDERR_FILENO));
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
    return G_LOG_WRITER_HANDLED;
}


void
bp_log_init(BpLogLevel level)
{
    static gsize installed = 0;

    bp_log_level = level;
    if (g_once_init_enter(&installed)) {
        g_log_set_writer_func(bp_log_writer, NULL, NULL);
        g_once_init_leave(&installed, 1);
    }
}


void
bp_log_set_level(BpLogLevel level)
{
    bp_log_level = level;
}


BpLogLevel
bp_log_get_level(void)
{
    return bp_log_level;
}


void
bp_log_domain(GLogLevelFlags level, const char *domain, const char *format, ...)
{
    g_autofree char *msg = NULL;
    va_list args;

    va_start(args, format);
    msg = g_strdup_vprintf(format, args);
    va_end(args);
    g_log_structured(G_LOG_DOMAIN, level,
                     "BLKPOINT_DOMAIN", domain,
                     "MESSAGE", "%s: %s", domain, msg);
}
