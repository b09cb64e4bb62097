/*
 * store-crash-ops.h: the random catalogue operations of the crash test.
 *
 * Operation @k is chosen by a generator seeded with (@seed, @k) and by
 * the catalogue's content, nothing else: applied to two catalogues with
 * the same content it makes the same change (or the same refusal).  That
 * lets the test replay what the killed helper reported on a reference
 * catalogue and compare the two row for row.
 */
#pragma once

#include "store/bp-store.h"

/* Applies operation @k.  TRUE when it committed a change; FALSE with
 * @error when the store refused it (some operations are meant to be
 * refused, some fail halfway through their transaction), in which case
 * nothing changed.  @what (optional) receives a description. */
gboolean bp_store_crash_op(BpStore *store, guint32 seed, guint64 k,
                           char **what, GError **error);
