/*
 * bp-manager.h: the org.blkpoint.Blkpoint1.Manager interface at
 * /org/blkpoint/Blkpoint1: defining, listing and finding domains, and the
 * daemon's own properties.
 */
#pragma once

#include "bp-daemon.h"

G_BEGIN_DECLS

/* The manager's skeleton with its properties set and its handlers
 * connected; the daemon exports it. */
BpManager *bp_manager_object_new(BpDaemon *daemon);

/* The capabilities this daemon implements (the Features property). */
const char *const *bp_manager_features(void);

G_END_DECLS
