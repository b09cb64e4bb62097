/*
 * bp-blockjob-priv.h: between the block job files of src/jobs.
 */
#pragma once

#include "bp-blockjob-ops.h"

G_BEGIN_DECLS

/* The offline commit behind bp_blockjob_ops_commit_async() (see
 * bp-blockjob-ops.h); finished through bp_blockjob_ops_commit_finish(). */
void bp_blockjob_offline_commit_async(BpStore *store, gint64 domain_id,
                                      BpBlockAccess *access, const char *disk,
                                      const char *top, const char *base,
                                      unsigned int flags, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
gboolean bp_blockjob_offline_commit_finish(GAsyncResult *result, gboolean *pivoted,
                                           BpDomainDef **new_def, GError **error);

G_END_DECLS
