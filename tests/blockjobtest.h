/*
 * blockjobtest.h: fixtures shared by the block job tests
 * (test-jobs-blockcommit, test-jobs-blockpull): a domain on real
 * qemu-storage-daemon whose vda chain is built layer by layer, with
 * every write made through NBD and into a raw model, and the clusters
 * written since each checkpoint counted.
 */
#pragma once

#include "checkpointtest.h"
#include "jobs/bp-blockjob-ops.h"

G_BEGIN_DECLS

#define KiB 1024
#define CL (64 * KiB)
#define MiB (1024 * 1024)

typedef struct {
    CtDomain *d;
    char *model;                /* raw copy of what vda should hold */
    GHashTable *since[4];       /* cluster offsets written since c0, c1, c2, c3 */
    GMutex lock;                /* a write (with its accounting) or a checkpoint */
} Bc;

typedef struct {
    gboolean started;
    gboolean ready;
    gboolean done;
    gboolean pivoted;
    BpDomainDef *new_def;
    GError *error;
} BcRun;

/* Writes @len bytes of @byte at @off through the NBD export and into the
 * model, and counts the clusters for every checkpoint made so far. */
void bc_write(Bc *bc, guint64 off, gsize len, guint8 byte);
/* Checkpoint @name (index @i) counts exactly the clusters written since. */
void bc_check_size(Bc *bc, const char *name, guint i);
/* Creates checkpoint @name; @i is its index in since[]. */
void bc_checkpoint(Bc *bc, const char *name, guint i);
/* Defines @def (taken) and makes the access offline on it. */
void bc_set_def(Bc *bc, BpDomainDef *def);
/* Stops the domain; the access becomes offline. */
void bc_stop(Bc *bc);
/* On the shut-off domain: a new overlay on vda with a recording bitmap
 * for each of @bitmaps, and the definition's chain one layer longer. */
char *bc_overlay(Bc *bc, const char *name, const char *const *bitmaps);
/* The disk equals the model (shut-off domain). */
void bc_compare(Bc *bc);
/* The length of vda's chain as the graph shows it. */
guint bc_chain_len(Bc *bc);
/* Started, ready and done functions filling a BcRun. */
void bc_started(BpBlockJob *job, gpointer data);
void bc_ready(BpBlockJob *job, gpointer data);
void bc_done(GObject *source, GAsyncResult *result, gpointer data);
/* The domain's definition becomes the job's new one. */
void bc_take_def(Bc *bc, BcRun *r);
/* A domain @name in @dir with one qcow2 disk, and its raw model. */
Bc *bc_new(const char *dir, const char *name);
void bc_free(Bc *bc);
/* The end of a test: stops the domain, checks that the disk equals the
 * model, frees @bc and removes the test's directory @dir. */
void bc_finish(Bc *bc, const char *dir);
/*
 * vda = base <- ov1 <- ov2, c0 in all three layers, c1 in ov1 and ov2,
 * c2 in ov2 only, writes in every layer (some overwriting older ones).
 */
void bc_build(Bc *bc);
/* c0, c1 and c2 count exactly what was written since. */
void bc_check_sizes(Bc *bc);
/* Waits for QEMU job @job_id to reach @status. */
void bc_qemu_wait(Bc *bc, const char *job_id, const char *status);
/* Runs the block job reconciliation; how many things changed. */
guint bc_reconcile(Bc *bc, BpDomainDef **new_def);
/* Runs QMP @command with @args (a JSON object text) on the domain's
 * monitor behind the daemon's back, as a job a previous daemon started;
 * any error fails the test. */
void bc_qmp(Bc *bc, const char *command, const char *args);
/* Adds to the catalogue the row a previous daemon left for a block job
 * of @kind (BP_BLOCKJOB_JOB_*) in @phase with @data (its JSON text,
 * taken). */
void bc_add_leftover(Bc *bc, const char *kind, const char *phase, char *data);
/* Reconciles a leftover that must be cancelled: no new definition, vda's
 * chain still @len layers, and a later write counted by c0, c1 and c2. */
void bc_reconcile_cancelled(Bc *bc, guint len, guint64 off, guint8 byte);

G_END_DECLS
