/*
 * checkpointtest.h: a domain with real images, a real catalogue and,
 * when started, a real qemu-storage-daemon, for the checkpoint tests
 * (test-jobs-checkpoint and its crash helper).
 *
 * Layout below @dir: vda.qcow2 (or vda-base.qcow2 + vda.qcow2 with
 * CT_CHAIN), vdb.qcow2, blkpoint.db, run/<name>/ (sockets).
 */
#pragma once

#include "jobs/bp-backup-ops.h"
#include "jobs/bp-checkpoint-ops.h"
#include "jobs/bp-domain-run.h"
#include "store/bp-store.h"

typedef enum {
    CT_CHAIN = 1 << 0,      /* vda is a two-layer chain */
    CT_VDB_V2 = 1 << 1,     /* vdb is qcow2 v2 (compat=0.10): no persistent bitmaps */
} CtFlags;

typedef struct {
    char *dir;
    char *name;
    char *vda;              /* vda's top image */
    char *vda_base;         /* its backing image with CT_CHAIN, else NULL */
    char *vdb;
    BpStore *store;
    gint64 id;
    BpDomainDef *def;
    BpDomainRun *run;       /* while started here */
    BpBlockAccess *access;  /* the run's, or offline; NULL while detached */
    gboolean opened;        /* by ct_domain_open(): another process owns it */
} CtDomain;

/* Creates the images (16 MiB each) and defines domain @name in a new
 * catalogue; the domain is shut off (offline access). */
CtDomain *ct_domain_new(const char *dir, const char *name, unsigned int flags);
/* Opens what ct_domain_new() created (another process): the domain is
 * found again when the catalogue records it running, else offline. */
CtDomain *ct_domain_open(const char *dir, const char *name);
/* Frees @d.  A domain ct_domain_new() made that still runs is shut down
 * first (killed if that fails): no qemu-storage-daemon outlives its test.
 * One that ct_domain_open() found running (a helper process) is left
 * running for the process that owns it. */
void ct_domain_free(CtDomain *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CtDomain, ct_domain_free)

/* Starts it on the storage runtime and records it running. */
void ct_domain_start(CtDomain *d);
/* Shuts it down cleanly and records it shut off. */
void ct_domain_stop(CtDomain *d);
/* Lets go of the running domain (its QSD keeps running) so that another
 * process can connect; ct_domain_reconnect() takes it back. */
void ct_domain_detach(CtDomain *d);
void ct_domain_reconnect(CtDomain *d);
/* Forgets the run without stopping it (it has stopped by itself) and
 * uses the offline access. */
void ct_domain_offline(CtDomain *d);
/* SIGKILLs the running domain's qemu-storage-daemon (its warning is
 * expected), waits for the run to notice, records the unclean stop as the
 * daemon does and uses the offline access. */
void ct_domain_kill(CtDomain *d);
/* The NBD socket of the running domain. */
char *ct_domain_nbd_socket(CtDomain *d);

/* Synchronous forms of the operations on @d's access. */
char *ct_create(CtDomain *d, const char *xml, unsigned int flags, GError **error);
gboolean ct_delete(CtDomain *d, const char *name, unsigned int flags, GError **error);
char *ct_xml(CtDomain *d, const char *name, unsigned int flags, GError **error);
gboolean ct_reconcile(CtDomain *d, guint *changed, GError **error);
BpBlockGraph *ct_graph(CtDomain *d);

/* The catalogue row of @name, or NULL when there is none. */
BpStoreCheckpoint *ct_row(CtDomain *d, const char *name);
/* Number of unfinished jobs of the domain. */
guint ct_jobs(CtDomain *d);
/* The bitmap @name on layer @layer (0 = top) of @target, or NULL. */
BpBitmapInfo *ct_bitmap(BpBlockGraph *graph, const char *target, guint layer,
                        const char *name);
/* The size= of disk @target in a checkpoint document, -1 when absent. */
gint64 ct_xml_size(const char *xml, const char *target);
/* The size= of disk @target in checkpoint @name's document (with sizes,
 * without the domain); the test fails when the document cannot be made;
 * -1 when the disk has no size. */
gint64 ct_size(CtDomain *d, const char *name, const char *target);

/* ---- crashes at a step ---------------------------------------------------- */

/* A test hook for bp_checkpoint_ops_set_test_hook() and its siblings:
 * SIGKILLs the process when @step equals @data (the step name given on
 * a crash helper's command line). */
void ct_crash_hook(const char *step, const char *what, gpointer data);

/* Runs the crash helper program @helper (built beside the test) with
 * @d's directory, @d's name and the NULL-terminated @args; a running @d
 * is detached for it and reconnected after.  The test fails unless the
 * helper was killed by SIGKILL. */
void ct_run_crash_helper(CtDomain *d, const char *helper, const char *const *args);

/* ---- backups ---------------------------------------------------------------- */

/* What bp_backup_ops_begin_async() reported: set by ct_backup_done_cb. */
typedef struct {
    gboolean done;
    gint64 id;              /* the backup's row, when it completed */
    GError *error;          /* owned; when it did not */
} CtBackupResult;

/* A GAsyncReadyCallback for bp_backup_ops_begin_async() whose user data
 * is a CtBackupResult. */
void ct_backup_done_cb(GObject *source, GAsyncResult *result, gpointer data);
/* Starts a backup of @d (now as its creation time) reporting into @r;
 * returns the running operation or NULL when it was refused at once (@r
 * says why once done). */
BpBackupOp *ct_backup_begin(CtDomain *d, const char *bxml, const char *cxml,
                            unsigned int flags, CtBackupResult *r);
/* Waits up to @timeout_ms (the test fails after) for @r; returns the
 * backup's id, or -1 with @error set from the failure. */
gint64 ct_backup_end(CtBackupResult *r, guint timeout_ms, GError **error);
/* Iterates the main context until the running backup @op copies (TRUE)
 * or @r says it ended (FALSE). */
gboolean ct_backup_wait_copying(BpBackupOp *op, CtBackupResult *r);
/* The catalogue row of backup @id (the test fails when absent). */
BpStoreBackup *ct_backup_row(CtDomain *d, gint64 id);
/* The number of backups of @d in the catalogue. */
guint ct_backup_count(CtDomain *d);
