/*
 * bp-restore-object.h: Domain.Restore() and the Job object of a running
 * restore (see bp-restore-object.c).
 */
#pragma once

#include "bp-domain-object.h"

G_BEGIN_DECLS

/* Connects Restore of @iface, the interface of @dom. */
void bp_restore_connect_domain_methods(BpDaemonDomain *dom, BpDomain *iface);

G_END_DECLS
