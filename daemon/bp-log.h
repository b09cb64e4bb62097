/*
 * bp-log.h: where blkpointd's messages go.
 *
 * Everything is logged through GLib's structured logging (g_message(),
 * g_warning(), g_debug(), ... or bp_log_domain() with the domain as a
 * journal field).  The writer installed here sends records to the
 * journal when stderr is connected to it (systemd), else formats them on
 * stderr; nothing is ever written to stdout.  Records below the chosen
 * level are dropped, except that G_MESSAGES_DEBUG still enables debug
 * and info messages for the log domains it names, as in every GLib
 * program.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    BP_LOG_ERROR,
    BP_LOG_WARNING,
    BP_LOG_MESSAGE,
    BP_LOG_INFO,
    BP_LOG_DEBUG,
} BpLogLevel;

/* Parses a level name (error, warning, message, info, debug); FALSE when
 * @name is none of them. */
gboolean bp_log_level_from_string(const char *name, BpLogLevel *level);

/* Installs the writer (once per process) and sets the level. */
void bp_log_init(BpLogLevel level);
void bp_log_set_level(BpLogLevel level);
BpLogLevel bp_log_get_level(void);

/* Logs @format at @level with the field BLKPOINT_DOMAIN=@domain, so that
 * "journalctl BLKPOINT_DOMAIN=vm1" shows one domain's history. */
void bp_log_domain(GLogLevelFlags level, const char *domain,
                   const char *format, ...) G_GNUC_PRINTF(3, 4);

G_END_DECLS
