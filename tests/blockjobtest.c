/*
 * blockjobtest.c: the fixtures the block job tests share (see
 * blockjobtest.h).
 */
#include <config.h>

#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "blockjobtest.h"
#include "jobs/bp-domain-ops.h"
#include "jobs/bp-domain-runtime.h"
#include "qemu/bp-qemu-sync.h"
#include "qemu/bp-qmp-commands.h"
#include "qemutest.h"
#include "testutils.h"


void
bc_write(Bc *bc, guint64 off, gsize len, guint8 byte)
{
    g_autofree char *sock = ct_domain_nbd_socket(bc->d);
    g_autofree guint8 *buf = g_malloc(len);
    int fd;

    g_mutex_lock(&bc->lock);
    qt_nbd_write(sock, "vda", off, len, byte);
    memset(buf, byte, len);
    fd = g_open(bc->model, O_WRONLY, 0);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pwrite(fd, buf, len, off), ==, (gssize) len);
    close(fd);
    for (guint64 c = off / CL; c * CL < off + len; c++) {
        for (guint i = 0; i < G_N_ELEMENTS(bc->since); i++) {
            if (bc->since[i])
                g_hash_table_add(bc->since[i], GSIZE_TO_POINTER(c));
        }
    }
    g_mutex_unlock(&bc->lock);
}


/* Checkpoint @name (index @i) counts exactly the clusters written since. */
void
bc_check_size(Bc *bc, const char *name, guint i)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = ct_xml(bc->d, name, BP_CHECKPOINT_XML_SIZE, &error);

    g_assert_no_error(error);
    g_assert_cmpint(ct_xml_size(xml, "vda"), ==,
                    (gint64) g_hash_table_size(bc->since[i]) * CL);
}


void
bc_checkpoint(Bc *bc, const char *name, guint i)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = g_strdup_printf("<domaincheckpoint><name>%s</name>"
                                           "</domaincheckpoint>", name);
    g_autofree char *got = NULL;

    g_mutex_lock(&bc->lock);
    got = ct_create(bc->d, xml, 0, &error);
    g_assert_no_error(error);
    bc->since[i] = g_hash_table_new(NULL, NULL);
    g_mutex_unlock(&bc->lock);
}


void
bc_set_def(Bc *bc, BpDomainDef *def)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreDomain) row = NULL;
    g_autofree char *root = g_build_filename(bc->d->dir, "run", NULL);
    g_autoptr(BpQemuRuntimeConfig) config = bp_domain_runtime_config(def, root);

    row = bp_domain_ops_define(bc->d->store, def, TRUE, NULL, &error);
    g_assert_no_error(error);
    bp_domain_def_free(bc->d->def);
    bc->d->def = def;
    g_clear_pointer(&bc->d->access, bp_block_access_unref);
    bc->d->access = bp_block_access_new_offline(def, config, &error);
    g_assert_no_error(error);
}


void
bc_stop(Bc *bc)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *root = g_build_filename(bc->d->dir, "run", NULL);
    g_autoptr(BpQemuRuntimeConfig) config = bp_domain_runtime_config(bc->d->def, root);

    ct_domain_stop(bc->d);
    g_clear_object(&bc->d->run);
    g_clear_pointer(&bc->d->access, bp_block_access_unref);
    bc->d->access = bp_block_access_new_offline(bc->d->def, config, &error);
    g_assert_no_error(error);
}


/* On the shut-off domain: a new overlay on vda with a recording bitmap
 * for each of @bitmaps, and the definition's chain one layer longer. */
char *
bc_overlay(Bc *bc, const char *name, const char *const *bitmaps)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(bc->d->dir, name, NULL);
    BpDomainDef *def = bp_domain_def_copy(bc->d->def);
    BpDiskDef *disk = bp_domain_def_find_disk(def, "vda");
    BpStorageSource *src = bp_storage_source_new(BP_STORAGE_TYPE_FILE);

    g_free(qt_qemu_img("create", "-q", "-f", "qcow2", "-b", disk->src->path, "-F", "qcow2",
                       path, "16M", NULL));
    for (guint i = 0; bitmaps && bitmaps[i]; i++)
        g_free(qt_qemu_img("bitmap", "--add", path, bitmaps[i], NULL));
    src->path = g_strdup(path);
    src->format = g_strdup("qcow2");
    src->backing = disk->src;
    src->backing_known = TRUE;
    disk->src = src;
    bc_set_def(bc, def);
    return g_steal_pointer(&path);
}


/* The disk equals the model (shut-off domain). */
void
bc_compare(Bc *bc)
{
    const BpDiskDef *disk = bp_domain_def_find_disk(bc->d->def, "vda");

    g_free(qt_qemu_img("compare", "-q", "-f", "qcow2", "-F", "raw", disk->src->path,
                       bc->model, NULL));
}


guint
bc_chain_len(Bc *bc)
{
    g_autoptr(BpBlockGraph) graph = ct_graph(bc->d);

    return bp_block_graph_get_disk(graph, "vda")->chain->len;
}


void
bc_started(BpBlockJob *job G_GNUC_UNUSED, gpointer data)
{
    ((BcRun *) data)->started = TRUE;
}


void
bc_ready(BpBlockJob *job G_GNUC_UNUSED, gpointer data)
{
    ((BcRun *) data)->ready = TRUE;
}


void
bc_done(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BcRun *r = data;

    bp_blockjob_ops_commit_finish(result, &r->pivoted, &r->new_def, &r->error);
    r->done = TRUE;
}


void
bc_take_def(Bc *bc, BcRun *r)
{
    g_assert_nonnull(r->new_def);
    bp_domain_def_free(bc->d->def);
    bc->d->def = g_steal_pointer(&r->new_def);
}


Bc *
bc_new(const char *dir, const char *name)
{
    Bc *bc = g_new0(Bc, 1);

    g_mutex_init(&bc->lock);
    bc->d = ct_domain_new(dir, name, 0);
    bc->model = g_build_filename(dir, "model.raw", NULL);
    g_free(qt_qemu_img("create", "-q", "-f", "raw", bc->model, "16M", NULL));
    return bc;
}


void
bc_free(Bc *bc)
{
    for (guint i = 0; i < G_N_ELEMENTS(bc->since); i++)
        g_clear_pointer(&bc->since[i], g_hash_table_unref);
    ct_domain_free(bc->d);
    g_mutex_clear(&bc->lock);
    g_free(bc->model);
    g_free(bc);
}


/*
 * vda = base <- ov1 <- ov2, c0 in all three layers, c1 in ov1 and ov2,
 * c2 in ov2 only, writes in every layer (some overwriting older ones).
 */
void
bc_build(Bc *bc)
{
    static const char *const c0[] = { "c0", NULL };
    static const char *const c01[] = { "c0", "c1", NULL };
    g_autofree char *ov1 = NULL;
    g_autofree char *ov2 = NULL;

    ct_domain_start(bc->d);
    bc_write(bc, 0, 2 * MiB, 0x10);
    bc_checkpoint(bc, "c0", 0);
    bc_write(bc, 1 * MiB, CL, 0x11);
    bc_stop(bc);
    ov1 = bc_overlay(bc, "ov1.qcow2", c0);
    ct_domain_start(bc->d);
    bc_write(bc, 3 * MiB, 2 * CL, 0x12);
    bc_checkpoint(bc, "c1", 1);
    bc_write(bc, 4 * MiB, CL, 0x13);
    bc_write(bc, 1 * MiB, CL, 0x14);
    bc_stop(bc);
    ov2 = bc_overlay(bc, "ov2.qcow2", c01);
    ct_domain_start(bc->d);
    bc_write(bc, 5 * MiB, CL, 0x15);
    bc_checkpoint(bc, "c2", 2);
    bc_write(bc, 6 * MiB, 3 * CL, 0x16);
    g_assert_cmpuint(bc_chain_len(bc), ==, 3);
    bc_check_size(bc, "c0", 0);
    bc_check_size(bc, "c1", 1);
    bc_check_size(bc, "c2", 2);
}


void
bc_check_sizes(Bc *bc)
{
    bc_check_size(bc, "c0", 0);
    bc_check_size(bc, "c1", 1);
    bc_check_size(bc, "c2", 2);
}


void
bc_qemu_wait(Bc *bc, const char *job_id, const char *status)
{
    BpQmpMonitor *mon = bp_block_access_get_monitor(bc->d->access);
    g_autoptr(GError) error = NULL;
    g_autoptr(BpQmpJobInfo) info = NULL;
    BpSyncCall call;

    bp_sync_call_begin(&call);
    bp_qmp_job_wait_async(mon, job_id, status, 30000, NULL, bp_sync_call_ready, &call);
    info = bp_qmp_job_wait_finish(mon, bp_sync_call_wait(&call), &error);
    bp_sync_call_end(&call);
    g_assert_no_error(error);
    g_assert_cmpstr(info->status, ==, status);
}


guint
bc_reconcile(Bc *bc, BpDomainDef **new_def)
{
    g_autoptr(GError) error = NULL;
    BpSyncCall call;
    guint changed = 0;

    bp_sync_call_begin(&call);
    bp_blockjob_ops_reconcile_async(bc->d->store, bc->d->id, bc->d->access, NULL,
                                    bp_sync_call_ready, &call);
    g_assert_true(bp_blockjob_ops_reconcile_finish(bp_sync_call_wait(&call), &changed,
                                                   new_def, &error));
    bp_sync_call_end(&call);
    g_assert_no_error(error);
    g_assert_cmpuint(ct_jobs(bc->d), ==, 0);
    return changed;
}


void
bc_qmp(Bc *bc, const char *command, const char *args)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(qt_qmp(bp_block_access_get_monitor(bc->d->access), command, args, &error));
    g_assert_no_error(error);
}


void
bc_add_leftover(Bc *bc, const char *kind, const char *phase, char *data)
{
    g_autoptr(BpStoreJob) row = bp_store_job_new(bc->d->id, kind);
    g_autoptr(GError) error = NULL;

    row->phase = g_strdup(phase);
    row->data = data;
    g_assert_true(bp_store_job_add(bc->d->store, row, &error));
    g_assert_no_error(error);
}


void
bc_reconcile_cancelled(Bc *bc, guint len, guint64 off, guint8 byte)
{
    BpDomainDef *def = NULL;

    bc_reconcile(bc, &def);
    g_assert_null(def);
    g_assert_cmpuint(bc_chain_len(bc), ==, len);
    bc_write(bc, off, CL, byte);
    bc_check_sizes(bc);
}


void
bc_finish(Bc *bc, const char *dir)
{
    bc_stop(bc);
    bc_compare(bc);
    bc_free(bc);
    bp_test_rmdir(dir);
}
