/*
 * bp-blockjob-common.c: what the live and offline commit and pull share:
 * naming layers, the range of a commit, the definition's new chain, the
 * registry of block jobs and a running job's speed (see
 * bp-blockjob-ops.h).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include "bp-blockjob-priv.h"
#include "qemu/bp-qmp-commands.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

/* "<domain id>/<target>" -> BpBlockJob* (NULL for an offline commit). */
static GHashTable *bp_blockjob_registry;


void
bp_block_job_info_clear(BpBlockJobInfo *info)
{
    g_clear_pointer(&info->disk, g_free);
}


static char *
bp_blockjob_key(gint64 domain_id, const char *target)
{
    return g_strdup_printf("%" G_GINT64_FORMAT "/%s", domain_id, target);
}


gboolean
bp_blockjob_claim(gint64 domain_id, const char *target, BpBlockJob *job,
                  const char *domain_name, GError **error)
{
    char *key = bp_blockjob_key(domain_id, target);

    if (!bp_blockjob_registry)
        bp_blockjob_registry = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (g_hash_table_contains(bp_blockjob_registry, key)) {
        g_free(key);
        g_set_error(error, BP_ERROR, BP_ERROR_BUSY,
                    _("disk '%s' of domain '%s' already has a block job"),
                    target, domain_name);
        return FALSE;
    }
    g_hash_table_insert(bp_blockjob_registry, key, job);
    return TRUE;
}


void
bp_blockjob_release(gint64 domain_id, const char *target)
{
    g_autofree char *key = bp_blockjob_key(domain_id, target);

    if (bp_blockjob_registry)
        g_hash_table_remove(bp_blockjob_registry, key);
}


BpBlockJob *
bp_blockjob_ops_lookup(gint64 domain_id, const char *target)
{
    g_autofree char *key = bp_blockjob_key(domain_id, target);

    if (!bp_blockjob_registry)
        return NULL;
    return g_hash_table_lookup(bp_blockjob_registry, key);
}


gboolean
bp_blockjob_ops_is_running(gint64 domain_id)
{
    g_autofree char *prefix = g_strdup_printf("%" G_GINT64_FORMAT "/", domain_id);
    GHashTableIter it;
    gpointer key;

    if (!bp_blockjob_registry)
        return FALSE;
    g_hash_table_iter_init(&it, bp_blockjob_registry);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        if (g_str_has_prefix(key, prefix))
            return TRUE;
    }
    return FALSE;
}


/* TRUE when @a and @b name the same file (resolving links). */
static gboolean
bp_blockjob_same_file(const char *a, const char *b)
{
    g_autofree char *ra = NULL;
    g_autofree char *rb = NULL;

    if (!a || !b)
        return FALSE;
    if (g_str_equal(a, b))
        return TRUE;
    ra = realpath(a, NULL);
    rb = realpath(b, NULL);
    return ra && rb && g_str_equal(ra, rb);
}


int
bp_blockjob_resolve_layer(const BpBlockGraph *graph, const BpBlockDisk *disk,
                          const char *spec, GError **error)
{
    g_autofree char *prefix = g_strdup_printf("%s[", disk->target);
    guint len = disk->chain->len;

    if (g_str_has_prefix(spec, prefix) && g_str_has_suffix(spec, "]")) {
        const char *num = spec + strlen(prefix);
        char *end = NULL;
        guint64 n;
        g_autofree char *node = NULL;

        errno = 0;
        n = g_ascii_strtoull(num, &end, 10);
        if (errno == 0 && end != num && *end == ']') {
            /* The storage runtime's node of that number, else the
             * position counted from the bottom. */
            node = g_strdup_printf("bp-%s-%" G_GUINT64_FORMAT "-fmt", disk->target, n);
            for (guint i = 0; i < len; i++) {
                const BpBlockNode *l = g_ptr_array_index(disk->chain, i);

                if (g_str_equal(l->node_name, node))
                    return i;
            }
            if (n < len && !bp_block_graph_lookup(graph, node))
                return len - 1 - n;
        }
    } else {
        for (guint i = 0; i < len; i++) {
            const BpBlockNode *l = g_ptr_array_index(disk->chain, i);

            if (bp_blockjob_same_file(l->filename, spec))
                return i;
        }
    }
    g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                _("could not find image '%s' in the backing chain of disk '%s'"),
                spec, disk->target);
    return -1;
}


gboolean
bp_blockjob_commit_range(const BpBlockGraph *graph, const BpBlockDisk *disk,
                         const char *top, const char *base, unsigned int flags,
                         int *top_idx, int *base_idx, GError **error)
{
    int t = 0, b;
    int len = disk->chain->len;

    if (top && (t = bp_blockjob_resolve_layer(graph, disk, top, error)) < 0)
        return FALSE;
    if (len < 2 || t == len - 1) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("could not find base image in chain for '%s'"), disk->target);
        return FALSE;
    }
    if (flags & BP_BLOCK_COMMIT_SHALLOW) {
        b = t + 1;
        if (base && bp_blockjob_resolve_layer(graph, disk, base, error) != b) {
            if (error && !*error)
                g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("base '%s' is not the layer right below top for a shallow "
                              "commit of disk '%s'"), base, disk->target);
            return FALSE;
        }
    } else if (base) {
        if ((b = bp_blockjob_resolve_layer(graph, disk, base, error)) < 0)
            return FALSE;
    } else {
        b = len - 1;
    }
    if (b <= t) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("base '%s' is not below top '%s' in the chain of disk '%s'"),
                    ((BpBlockNode *) g_ptr_array_index(disk->chain, b))->filename,
                    ((BpBlockNode *) g_ptr_array_index(disk->chain, t))->filename,
                    disk->target);
        return FALSE;
    }
    if (t == 0 && !(flags & BP_BLOCK_COMMIT_ACTIVE)) {
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("commit of the active layer of disk '%s' requires the 'active' flag"),
                    disk->target);
        return FALSE;
    }
    *top_idx = t;
    *base_idx = b;
    return TRUE;
}


gboolean
bp_blockjob_def_drop_layers(BpDomainDef *def, const char *target,
                            const char *top_path, const char *base_path,
                            const char *base_format, GError **error)
{
    BpDiskDef *disk = bp_domain_def_find_disk(def, target);
    BpStorageSource **link;
    BpStorageSource **base_link;
    BpStorageSource *cut;

    if (!disk) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("domain '%s' has no disk '%s'"), def->name, target);
        return FALSE;
    }
    for (link = &disk->src; *link; link = &(*link)->backing) {
        if (bp_blockjob_same_file((*link)->path, top_path))
            break;
    }
    if (!*link)
        return TRUE;    /* the definition leaves that part to the images */
    for (base_link = &(*link)->backing; *base_link; base_link = &(*base_link)->backing) {
        if (bp_blockjob_same_file((*base_link)->path, base_path))
            break;
    }
    cut = *link;
    if (*base_link) {
        BpStorageSource *base = *base_link;

        *base_link = NULL;
        base->readonly = cut->readonly;
        *link = base;
    } else {
        /* Base not listed: it becomes the layer, its own backing left to
         * the image. */
        BpStorageSource *base = bp_storage_source_new(cut->type);

        base->path = g_strdup(base_path);
        base->format = g_strdup(base_format);
        base->readonly = cut->readonly;
        *link = base;
    }
    bp_storage_source_free(cut);
    return TRUE;
}


gboolean
bp_blockjob_store_def(BpStore *store, gint64 domain_id, const BpDomainDef *def,
                      GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(BpStoreDomain) dom = NULL;

    if (!(txn = bp_store_txn_begin(store, error)) ||
        !(dom = bp_store_domain_get(store, domain_id, error)))
        return FALSE;
    g_free(dom->definition);
    dom->definition = bp_domain_def_format_string(def);
    if (!bp_store_domain_update(store, dom, error))
        return FALSE;
    return bp_store_txn_commit(txn, error);
}


typedef struct {
    GTask *op;                  /* the job's task, holding the job */
    guint64 bandwidth;
} BpSpeed;


static void
bp_speed_free(BpSpeed *sp)
{
    g_object_unref(sp->op);
    g_free(sp);
}


static void
bp_block_job_speed_cb(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GTask) task = data;
    BpSpeed *sp = g_task_get_task_data(task);
    BpBlockJob *job = g_task_get_task_data(sp->op);
    GError *err = NULL;

    if (!bp_qmp_command_finish(BP_QMP_MONITOR(source), result, &err)) {
        g_task_return_error(task, err);
        return;
    }
    job->bandwidth = sp->bandwidth;
    g_task_return_boolean(task, TRUE);
}


void
bp_block_job_set_speed_async(BpBlockJob *job, guint64 bandwidth,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    BpSpeed *sp = g_new0(BpSpeed, 1);

    sp->op = g_object_ref(job->task);
    sp->bandwidth = bandwidth;
    g_task_set_task_data(task, sp, (GDestroyNotify) bp_speed_free);
    if (job->state == BP_BLOCK_JOB_PREPARING || job->state == BP_BLOCK_JOB_ENDING) {
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                                _("the block job of disk '%s' is not running"),
                                job->target);
        g_object_unref(task);
        return;
    }
    bp_qmp_block_job_set_speed_async(job->mon, job->job_id, bandwidth, cancellable,
                                     bp_block_job_speed_cb, task);
}


gboolean
bp_block_job_set_speed_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}


void
bp_blockjob_gone_layers(const BpBlockDisk *disk, guint from, guint to,
                        GPtrArray **nodes, GPtrArray **files)
{
    if (nodes)
        *nodes = g_ptr_array_new_with_free_func(g_free);
    *files = g_ptr_array_new_with_free_func(g_free);
    for (guint i = from; i < to; i++) {
        const BpBlockNode *n = g_ptr_array_index(disk->chain, i);

        if (nodes) {
            g_ptr_array_add(*nodes, g_strdup(n->node_name));
            if (n->file_node)
                g_ptr_array_add(*nodes, g_strdup(n->file_node));
        }
        g_ptr_array_add(*files, g_strdup(n->filename));
    }
}
