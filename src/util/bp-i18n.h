/*
 * bp-i18n.h: gettext wiring shared by every layer.
 *
 * Include this (never <libintl.h> directly) in any file that shows a
 * message to a person; it provides _(), N_() and C_().  config.h defines
 * GETTEXT_PACKAGE.
 */
#pragma once

#include <config.h>
#include <glib/gi18n-lib.h>

void bp_i18n_init(void);
