/*
 * store-crash-ops.c: the random catalogue operations of the crash test
 * (see store-crash-ops.h).
 */
#include <config.h>

#include "store-crash-ops.h"

/* What an operation returns besides TRUE/FALSE: it does not apply to the
 * catalogue as it is (nothing to delete, ...), try another one. */
#define OP_NOT_APPLICABLE -1

typedef int (*BpCrashOpFunc)(BpStore *store, GRand *rand, guint64 k,
                             const BpStoreDomain *dom, GString *what, GError **error);


static gpointer
pick(GRand *rand, GPtrArray *list)
{
    if (!list || list->len == 0)
        return NULL;
    return g_ptr_array_index(list, g_rand_int_range(rand, 0, list->len));
}


static GPtrArray *
all_checkpoints(BpStore *store, gint64 dom)
{
    return bp_store_checkpoint_list(store, dom, BP_STORE_CHECKPOINTS_ALL, NULL, 0, NULL);
}


static void
add_disks(BpStoreCheckpoint *chk, GRand *rand)
{
    int ndisks = g_rand_int_range(rand, 1, 4);
    const char *targets[] = { "vda", "vdb", "vdc" };

    for (int i = 0; i < ndisks; i++) {
        gboolean included = i == 0 || g_rand_boolean(rand);

        g_ptr_array_add(chk->disks,
                        bp_store_checkpoint_disk_new(targets[i], included ? chk->name : NULL,
                                                     65536u << g_rand_int_range(rand, 0, 4),
                                                     (guint64) g_rand_int_range(rand, 1, 1000) << 20));
    }
}


static int
op_domain_add(BpStore *store, GRand *rand, guint64 k, const BpStoreDomain *unused,
              GString *what, GError **error)
{
    g_autoptr(BpStoreDomain) dom = bp_store_domain_new();

    dom->name = g_strdup_printf("dom%" G_GUINT64_FORMAT, k);
    dom->uuid = g_strdup_printf("00000000-0000-4000-8000-%012" G_GINT64_MODIFIER "x", k);
    dom->definition = g_strdup_printf("<domain><name>%s</name></domain>", dom->name);
    dom->runtime = g_strdup(g_rand_boolean(rand) ? "storage" : "offline");
    g_string_printf(what, "add domain %s", dom->name);
    return bp_store_domain_add(store, dom, error);
}


static int
op_checkpoint_add(BpStore *store, GRand *rand, guint64 k, const BpStoreDomain *dom,
                  GString *what, GError **error)
{
    g_autofree char *name = g_strdup_printf("c%" G_GUINT64_FORMAT, k);
    g_autoptr(BpStoreCheckpoint) chk = bp_store_checkpoint_new(dom->id, name);
    g_autoptr(BpStoreCheckpoint) current = bp_store_checkpoint_get_current(store, dom->id, NULL);
    g_autoptr(GPtrArray) all = all_checkpoints(store, dom->id);
    BpStoreCheckpoint *parent = g_rand_int_range(rand, 0, 5) ? current : pick(rand, all);

    chk->parent = g_strdup(parent ? parent->name : NULL);
    chk->creation_time = k;
    chk->current = g_rand_int_range(rand, 0, 10) != 0;
    chk->state = g_rand_boolean(rand) ? BP_STORE_CHECKPOINT_READY : BP_STORE_CHECKPOINT_PENDING;
    chk->domain_xml = g_strdup_printf("<domain><name>%s</name><!-- %s --></domain>",
                                      dom->name, name);
    add_disks(chk, rand);
    g_string_printf(what, "add checkpoint %s under %s in %s", name,
                    chk->parent ? chk->parent : "(root)", dom->name);
    return bp_store_checkpoint_add(store, chk, error);
}


/* Redefines an existing checkpoint under a parent outside its subtree,
 * or a new one anywhere. */
static int
op_checkpoint_redefine(BpStore *store, GRand *rand, guint64 k, const BpStoreDomain *dom,
                       GString *what, GError **error)
{
    g_autoptr(GPtrArray) all = all_checkpoints(store, dom->id);
    g_autoptr(GPtrArray) below = NULL;
    g_autoptr(GPtrArray) candidates = g_ptr_array_new();
    g_autoptr(BpStoreCheckpoint) chk = NULL;
    BpStoreCheckpoint *target = NULL;
    BpStoreCheckpoint *parent;

    if (g_rand_boolean(rand))
        target = pick(rand, all);
    if (target) {
        below = bp_store_checkpoint_list(store, dom->id, BP_STORE_CHECKPOINTS_DESCENDANTS_OF,
                                         target->name, 0, NULL);
        for (guint i = 0; all && i < all->len; i++) {
            BpStoreCheckpoint *c = g_ptr_array_index(all, i);
            gboolean excluded = c == target;

            for (guint j = 0; below && j < below->len && !excluded; j++)
                excluded = g_str_equal(((BpStoreCheckpoint *) below->pdata[j])->name, c->name);
            if (!excluded)
                g_ptr_array_add(candidates, c);
        }
        chk = bp_store_checkpoint_new(dom->id, target->name);
    } else {
        g_autofree char *name = g_strdup_printf("r%" G_GUINT64_FORMAT, k);

        chk = bp_store_checkpoint_new(dom->id, name);
        for (guint i = 0; all && i < all->len; i++)
            g_ptr_array_add(candidates, all->pdata[i]);
    }
    parent = g_rand_int_range(rand, 0, 4) ? pick(rand, candidates) : NULL;
    chk->parent = g_strdup(parent ? parent->name : NULL);
    chk->creation_time = k;
    chk->description = g_strdup_printf("redefined by op %" G_GUINT64_FORMAT, k);
    chk->state = BP_STORE_CHECKPOINT_READY;
    add_disks(chk, rand);
    g_string_printf(what, "redefine %s under %s in %s", chk->name,
                    chk->parent ? chk->parent : "(root)", dom->name);
    return bp_store_checkpoint_redefine(store, chk, NULL, error);
}


/* Tries to hang a checkpoint below one of its descendants: refused. */
static int
op_checkpoint_cycle(BpStore *store, GRand *rand, guint64 k, const BpStoreDomain *dom,
                    GString *what, GError **error)
{
    g_autoptr(GPtrArray) inner = bp_store_checkpoint_list(store, dom->id,
                                                          BP_STORE_CHECKPOINTS_ALL, NULL,
                                                          BP_STORE_LIST_NO_LEAVES, NULL);
    g_autoptr(GPtrArray) below = NULL;
    g_autoptr(BpStoreCheckpoint) chk = NULL;
    BpStoreCheckpoint *target = pick(rand, inner);
    BpStoreCheckpoint *parent;

    if (!target)
        return OP_NOT_APPLICABLE;
    below = bp_store_checkpoint_list(store, dom->id, BP_STORE_CHECKPOINTS_DESCENDANTS_OF,
                                     target->name, 0, NULL);
    parent = pick(rand, below);
    chk = bp_store_checkpoint_new(dom->id, target->name);
    chk->parent = g_strdup(parent->name);
    chk->creation_time = k;
    g_string_printf(what, "redefine %s under its descendant %s (must be refused)",
                    chk->name, chk->parent);
    return bp_store_checkpoint_redefine(store, chk, NULL, error);
}


static int
op_checkpoint_state(BpStore *store, GRand *rand, guint64 k, const BpStoreDomain *dom,
                    GString *what, GError **error)
{
    g_autoptr(GPtrArray) all = all_checkpoints(store, dom->id);
    BpStoreCheckpoint *chk = pick(rand, all);
    BpStoreCheckpointState state = g_rand_int_range(rand, 0, BP_STORE_CHECKPOINT_STATE_LAST);
    g_autofree char *reason = g_strdup_printf("op %" G_GUINT64_FORMAT, k);

    if (!chk)
        return OP_NOT_APPLICABLE;
    g_string_printf(what, "set %s to %s", chk->name, bp_store_checkpoint_state_to_string(state));
    return bp_store_checkpoint_set_state(store, dom->id, chk->name, state,
                                         state == BP_STORE_CHECKPOINT_BROKEN ? reason : NULL,
                                         error);
}


static int
op_checkpoint_current(BpStore *store, GRand *rand, guint64 k, const BpStoreDomain *dom,
                      GString *what, GError **error)
{
    g_autoptr(GPtrArray) all = all_checkpoints(store, dom->id);
    BpStoreCheckpoint *chk = g_rand_int_range(rand, 0, 5) ? pick(rand, all) : NULL;

    g_string_printf(what, "make %s current", chk ? chk->name : "nothing");
    return bp_store_checkpoint_set_current(store, dom->id, chk ? chk->name : NULL, error);
}


static int
op_checkpoint_delete(BpStore *store, GRand *rand, guint64 k, const BpStoreDomain *dom,
                     GString *what, GError **error)
{
    g_autoptr(GPtrArray) all = all_checkpoints(store, dom->id);
    BpStoreCheckpoint *chk = pick(rand, all);
    BpStoreDeleteMode mode = g_rand_int_range(rand, 0, 3);

    if (!chk)
        return OP_NOT_APPLICABLE;
    g_string_printf(what, "delete %s (mode %d)", chk->name, mode);
    return bp_store_checkpoint_delete(store, dom->id, chk->name, mode, error);
}


static int
op_backup_add(BpStore *store, GRand *rand, guint64 k, const BpStoreDomain *dom,
              GString *what, GError **error)
{
    g_autoptr(GPtrArray) backups = bp_store_backup_list(store, dom->id, NULL);
    g_autoptr(BpStoreBackup) backup = NULL;
    BpStoreBackup *last = backups && backups->len ? g_ptr_array_index(backups, backups->len - 1) : NULL;
    gboolean full = !last || g_rand_int_range(rand, 0, 3) == 0;
    int ndisks = g_rand_int_range(rand, 1, 3);

    backup = bp_store_backup_new(dom->id, g_rand_boolean(rand) ? BP_STORE_BACKUP_PUSH :
                                 BP_STORE_BACKUP_PULL,
                                 full ? BP_STORE_BACKUP_FULL : BP_STORE_BACKUP_INCREMENTAL);
    if (!full) {
        backup->from_checkpoint = g_strdup_printf("c%u", g_rand_int_range(rand, 0, 1000));
        backup->previous_id = last->id;
    }
    backup->checkpoint = g_strdup_printf("c%" G_GUINT64_FORMAT, k);
    backup->start_time = k;
    backup->bytes_total = g_rand_int_range(rand, 1, 1 << 30);
    for (int i = 0; i < ndisks; i++) {
        g_autofree char *path = g_strdup_printf("/backup/%" G_GUINT64_FORMAT "-%d.qcow2", k, i);

        g_ptr_array_add(backup->disks,
                        bp_store_backup_disk_new(i ? "vdb" : "vda", path, "qcow2"));
    }
    g_string_printf(what, "add %s backup in %s", full ? "full" : "incremental", dom->name);
    return bp_store_backup_add(store, backup, error);
}


/* Updates a backup; sometimes names a disk it does not have, which fails
 * after the backup row was already updated. */
static int
op_backup_update(BpStore *store, GRand *rand, guint64 k, const BpStoreDomain *dom,
                 GString *what, GError **error)
{
    g_autoptr(GPtrArray) backups = bp_store_backup_list(store, dom->id, NULL);
    BpStoreBackup *backup = pick(rand, backups);

    if (!backup)
        return OP_NOT_APPLICABLE;
    backup->status = g_rand_int_range(rand, 0, BP_STORE_BACKUP_STATUS_LAST);
    backup->bytes = k;
    backup->end_time = k;
    g_clear_pointer(&backup->error, g_free);
    if (backup->status == BP_STORE_BACKUP_FAILED)
        backup->error = g_strdup_printf("failed in op %" G_GUINT64_FORMAT, k);
    for (guint i = 0; i < backup->disks->len; i++)
        ((BpStoreBackupDisk *) backup->disks->pdata[i])->bytes = k + i;
    if (g_rand_int_range(rand, 0, 6) == 0)
        g_ptr_array_add(backup->disks, bp_store_backup_disk_new("vdz", NULL, NULL));
    g_string_printf(what, "update backup %" G_GINT64_FORMAT " to %s", backup->id,
                    bp_store_backup_status_to_string(backup->status));
    return bp_store_backup_update(store, backup, error);
}


static int
op_job_add(BpStore *store, GRand *rand, guint64 k, const BpStoreDomain *dom,
           GString *what, GError **error)
{
    g_autoptr(GPtrArray) backups = bp_store_backup_list(store, dom->id, NULL);
    g_autoptr(BpStoreJob) job = bp_store_job_new(dom->id, g_rand_boolean(rand) ? "backup" :
                                                 "checkpoint-delete");
    BpStoreBackup *backup = pick(rand, backups);

    job->backup_id = backup ? backup->id : 0;
    job->phase = g_strdup("starting");
    job->data = g_strdup_printf("{\"op\":%" G_GUINT64_FORMAT "}", k);
    job->start_time = job->update_time = k;
    g_string_printf(what, "add %s job in %s", job->kind, dom->name);
    return bp_store_job_add(store, job, error);
}


static int
op_job_update(BpStore *store, GRand *rand, guint64 k, const BpStoreDomain *unused,
              GString *what, GError **error)
{
    g_autoptr(GPtrArray) jobs = bp_store_job_list_unfinished(store, NULL);
    BpStoreJob *job = pick(rand, jobs);

    if (!job)
        return OP_NOT_APPLICABLE;
    job->status = g_rand_int_range(rand, 0, BP_STORE_JOB_STATUS_LAST);
    g_free(job->phase);
    job->phase = g_strdup_printf("phase-%" G_GUINT64_FORMAT, k);
    job->update_time = k;
    g_string_printf(what, "update job %" G_GINT64_FORMAT, job->id);
    return bp_store_job_update(store, job, error);
}


static int
op_job_remove(BpStore *store, GRand *rand, guint64 k, const BpStoreDomain *unused,
              GString *what, GError **error)
{
    g_autoptr(GPtrArray) jobs = bp_store_job_list_unfinished(store, NULL);
    BpStoreJob *job = pick(rand, jobs);

    if (!job)
        return OP_NOT_APPLICABLE;
    g_string_printf(what, "remove job %" G_GINT64_FORMAT, job->id);
    return bp_store_job_remove(store, job->id, error);
}


static int
op_domain_update(BpStore *store, GRand *rand, guint64 k, const BpStoreDomain *dom,
                 GString *what, GError **error)
{
    g_autoptr(BpStoreDomain) copy = bp_store_domain_get(store, dom->id, NULL);

    copy->state = copy->state == BP_STORE_DOMAIN_RUNNING ? BP_STORE_DOMAIN_SHUTOFF :
        BP_STORE_DOMAIN_RUNNING;
    copy->pid = copy->state == BP_STORE_DOMAIN_RUNNING ? (gint64) k : 0;
    g_free(copy->monitor_path);
    copy->monitor_path = g_strdup_printf("/run/blkpoint/%s-%u.sock", copy->name,
                                         g_rand_int_range(rand, 0, 100));
    g_string_printf(what, "update domain %s", dom->name);
    return bp_store_domain_update(store, copy, error);
}


static int
op_domain_remove(BpStore *store, GRand *rand, guint64 k, const BpStoreDomain *dom,
                 GString *what, GError **error)
{
    g_autoptr(GPtrArray) domains = bp_store_domain_list(store, NULL);

    if (!domains || domains->len <= 2)
        return OP_NOT_APPLICABLE;
    g_string_printf(what, "remove domain %s", dom->name);
    return bp_store_domain_remove(store, dom->id, error);
}


/* Cumulative weights (out of 100) of the operations on an existing domain. */
static const struct {
    int upto;
    BpCrashOpFunc func;
} bp_crash_ops[] = {
    { 30, op_checkpoint_add },
    { 38, op_checkpoint_redefine },
    { 41, op_checkpoint_cycle },
    { 47, op_checkpoint_state },
    { 51, op_checkpoint_current },
    { 61, op_checkpoint_delete },
    { 71, op_backup_add },
    { 79, op_backup_update },
    { 86, op_job_add },
    { 92, op_job_update },
    { 96, op_job_remove },
    { 99, op_domain_update },
    { 100, op_domain_remove },
};


gboolean
bp_store_crash_op(BpStore *store, guint32 seed, guint64 k, char **what, GError **error)
{
    guint32 key[3] = { seed, (guint32) k, (guint32) (k >> 32) };
    g_autoptr(GRand) rand = g_rand_new_with_seed_array(key, G_N_ELEMENTS(key));
    g_autoptr(GPtrArray) domains = bp_store_domain_list(store, error);
    g_autoptr(GString) desc = g_string_new(NULL);
    BpStoreDomain *dom;
    int dice;
    int rc = OP_NOT_APPLICABLE;

    if (!domains)
        return FALSE;
    dice = g_rand_int_range(rand, 0, 100);
    if (domains->len == 0 || (dice < 4 && domains->len < 6)) {
        rc = op_domain_add(store, rand, k, NULL, desc, error);
    } else {
        dom = pick(rand, domains);
        dice = g_rand_int_range(rand, 0, 100);
        for (gsize i = 0; i < G_N_ELEMENTS(bp_crash_ops); i++) {
            if (dice < bp_crash_ops[i].upto) {
                rc = bp_crash_ops[i].func(store, rand, k, dom, desc, error);
                break;
            }
        }
        if (rc == OP_NOT_APPLICABLE)
            rc = op_checkpoint_add(store, rand, k, dom, desc, error);
    }
    if (what)
        *what = g_strdup(desc->str);
    return rc == TRUE;
}
