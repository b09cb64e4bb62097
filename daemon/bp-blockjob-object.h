/*
 * bp-blockjob-object.h: the block job methods of a domain object
 * (BlockCommit, BlockJobAbort, BlockJobSetSpeed, GetBlockJobInfo) and
 * the Job object of a running commit.
 */
#pragma once

#include "bp-domain-object.h"

G_BEGIN_DECLS

/* Connects the block job methods of @iface to domain @dom; call before
 * bp_method_connect_unimplemented(). */
void bp_blockjob_connect_domain_methods(BpDaemonDomain *dom, BpDomain *iface);

/* Queues settling the block commits a previous daemon left unfinished
 * (bp_blockjob_ops_reconcile_async()); queue it before the checkpoints'
 * reconciliation, which then sees the settled chain. */
void bp_blockjob_queue_reconcile(BpDaemonDomain *dom);

G_END_DECLS
