/*
 * test-jobs-snapshot.c: external disk-only snapshots (src/jobs) on real
 * images, a real catalogue and a real qemu-storage-daemon.
 *
 *   - running two-disk domain with checkpoints c1 (both disks) and c2
 *     (vda only): after the snapshot each overlay is the active layer,
 *     holds recording persistent bitmaps for exactly the checkpoints
 *     valid on its disk, the guest's data reads through the overlay, the
 *     sizes of c1 and c2 count the writes of both layers, the stored
 *     definition and the catalogue record say so; a second snapshot with
 *     vdb excluded; the chain is opened again after a restart;
 *   - never half done: an existing overlay without reuse-external, an
 *     overlay that cannot be created, an overlay QEMU refuses to open, a
 *     transaction QEMU refuses (a qcow2 v2 overlay cannot store bitmaps):
 *     no row, no job, no new node, the old chain, no file of ours left;
 *   - the shut-off domain: qemu-img create and bitmap --add, then a start
 *     opens the new chain with the bitmaps recording;
 *   - reconciliation: a creation killed after the transaction is
 *     finished, one killed before it is undone (a helper process killed
 *     at the step, and job rows put back by hand).
 */
#include <config.h>

#include <string.h>
#include <glib/gstdio.h>

#include "checkpointtest.h"
#include "jobs/bp-snapshot-ops.h"
#include "qemu/bp-qemu-sync.h"
#include "qemutest.h"
#include "testutils.h"
#include "util/bp-error.h"

#define CL 65536


static gint
cmp_str(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *) a, *(char *const *) b);
}


static char *
snap_create(CtDomain *d, const char *xml, unsigned int flags, GError **error)
{
    g_autoptr(BpDomainDef) def = NULL;
    BpSyncCall call;
    char *name;

    bp_sync_call_begin(&call);
    bp_snapshot_ops_create_async(d->store, d->id, d->access, xml, flags,
                                 g_get_real_time() / G_USEC_PER_SEC, NULL,
                                 bp_sync_call_ready, &call);
    name = bp_snapshot_ops_create_finish(bp_sync_call_wait(&call), &def, error);
    bp_sync_call_end(&call);
    if (name) {
        /* What the daemon does: the stored definition is the one to start. */
        g_assert_nonnull(def);
        bp_domain_def_free(d->def);
        d->def = g_steal_pointer(&def);
    }
    return name;
}


static void
snap_reconcile(CtDomain *d, guint expected_changed)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpDomainDef) def = NULL;
    BpSyncCall call;
    guint changed = 0;

    bp_sync_call_begin(&call);
    bp_snapshot_ops_reconcile_async(d->store, d->id, d->access, NULL, bp_sync_call_ready,
                                    &call);
    g_assert_true(bp_snapshot_ops_reconcile_finish(bp_sync_call_wait(&call), &changed,
                                                   &def, &error));
    bp_sync_call_end(&call);
    g_assert_no_error(error);
    g_assert_cmpuint(changed, ==, expected_changed);
    if (def) {
        bp_domain_def_free(d->def);
        d->def = g_steal_pointer(&def);
    }
}


static void
ckpt(CtDomain *d, const char *xml)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *name = ct_create(d, xml, 0, &error);

    g_assert_no_error(error);
}


/* The layer names of @target's chain, top first, as "a b c" (base names). */
static char *
chain_of(BpBlockGraph *graph, const char *target)
{
    BpBlockDisk *disk = bp_block_graph_get_disk(graph, target);
    g_autoptr(GString) str = g_string_new(NULL);

    g_assert_nonnull(disk);
    for (guint i = 0; i < disk->chain->len; i++) {
        BpBlockNode *node = g_ptr_array_index(disk->chain, i);
        g_autofree char *base = g_path_get_basename(node->filename);

        g_string_append_printf(str, "%s%s", i ? " " : "", base);
    }
    return g_string_free(g_steal_pointer(&str), FALSE);
}


/* Bitmap names of layer @layer of @target, sorted, with "!" for one that
 * is not recording or not persistent. */
static char *
bitmaps_of(BpBlockGraph *graph, const char *target, guint layer)
{
    BpBlockDisk *disk = bp_block_graph_get_disk(graph, target);
    BpBlockNode *node = g_ptr_array_index(disk->chain, layer);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) str = g_string_new(NULL);

    for (guint i = 0; i < node->bitmaps->len; i++) {
        BpBitmapInfo *b = g_ptr_array_index(node->bitmaps, i);

        if (!b->name)
            continue;
        g_ptr_array_add(names, g_strdup_printf("%s%s", b->name,
                                               b->recording && b->persistent ? "" : "!"));
    }
    g_ptr_array_sort(names, cmp_str);
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(str, "%s%s", i ? " " : "", (char *) names->pdata[i]);
    return g_string_free(g_steal_pointer(&str), FALSE);
}


static void
assert_chain(CtDomain *d, const char *target, const char *expected)
{
    g_autoptr(BpBlockGraph) graph = ct_graph(d);
    g_autofree char *got = chain_of(graph, target);

    g_assert_cmpstr(got, ==, expected);
}


static void
assert_bitmaps(CtDomain *d, const char *target, guint layer, const char *expected)
{
    g_autoptr(BpBlockGraph) graph = ct_graph(d);
    g_autofree char *got = bitmaps_of(graph, target, layer);

    g_assert_cmpstr(got, ==, expected);
}


/* The stored definition's chain of @target, file base names. */
static char *
stored_chain(CtDomain *d, const char *target)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreDomain) row = bp_store_domain_get(d->store, d->id, &error);
    g_autoptr(BpDomainDef) def = NULL;
    g_autoptr(GString) str = g_string_new(NULL);
    BpStorageSource *src;

    g_assert_no_error(error);
    def = bp_domain_def_parse_string(row->definition, 0, &error);
    g_assert_no_error(error);
    for (src = bp_domain_def_find_disk(def, target)->src; src; src = src->backing) {
        g_autofree char *base = g_path_get_basename(src->path);

        g_string_append_printf(str, "%s%s", str->len ? " " : "", base);
    }
    return g_string_free(g_steal_pointer(&str), FALSE);
}


static guint
snapshot_count(CtDomain *d)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) list = bp_store_snapshot_list(d->store, d->id, &error);

    g_assert_no_error(error);
    return list->len;
}


static void
test_running(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreSnapshot) row = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *name = NULL;
    g_autofree char *chain = NULL;
    g_autofree char *ov_a = NULL;
    g_autofree char *ov_b = NULL;
    BpStoreSnapshotDisk *sd;

    qt_require_tools();
    d = ct_domain_new(dir, "snap", 0);
    ct_domain_start(d);
    sock = ct_domain_nbd_socket(d);
    ckpt(d, "<domaincheckpoint><name>c1</name></domaincheckpoint>");
    ckpt(d, "<domaincheckpoint><name>c2</name><disks><disk name='vda'/>"
         "<disk name='vdb' checkpoint='no'/></disks></domaincheckpoint>");

    /* A: writes into the original images. */
    qt_nbd_write(sock, "vda", 0, CL, 0xa1);
    qt_nbd_write(sock, "vdb", 1 << 20, CL, 0xb1);

    name = snap_create(d, "<domainsnapshot><name>s1</name>"
                       "<description>before B</description></domainsnapshot>", 0, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(name, ==, "s1");
    ov_a = g_build_filename(dir, "vda.s1", NULL);
    ov_b = g_build_filename(dir, "vdb.s1", NULL);
    g_assert_true(g_file_test(ov_a, G_FILE_TEST_IS_REGULAR));
    g_assert_true(g_file_test(ov_b, G_FILE_TEST_IS_REGULAR));
    assert_chain(d, "vda", "vda.s1 vda.qcow2");
    assert_chain(d, "vdb", "vdb.s1 vdb.qcow2");
    /* Exactly the checkpoints valid on each disk, recording, on the overlay;
     * the old layer keeps its own. */
    assert_bitmaps(d, "vda", 0, "c1 c2");
    assert_bitmaps(d, "vdb", 0, "c1");
    assert_bitmaps(d, "vda", 1, "c1 c2");
    assert_bitmaps(d, "vdb", 1, "c1");

    /* B: writes into the overlays. */
    qt_nbd_write(sock, "vda", 4 * CL, 2 * CL, 0xa2);
    qt_nbd_write(sock, "vdb", 0, CL, 0xb2);
    qt_nbd_check(sock, "vda", 0, CL, 0xa1);
    qt_nbd_check(sock, "vda", 4 * CL, 2 * CL, 0xa2);
    qt_nbd_check(sock, "vdb", 1 << 20, CL, 0xb1);
    /* Sizes cover the writes of both layers. */
    g_assert_cmpint(ct_size(d, "c1", "vda"), ==, 3 * CL);
    g_assert_cmpint(ct_size(d, "c1", "vdb"), ==, 2 * CL);
    g_assert_cmpint(ct_size(d, "c2", "vda"), ==, 3 * CL);

    /* The record and the stored definition. */
    row = bp_store_snapshot_get(d->store, d->id, "s1", &error);
    g_assert_no_error(error);
    g_assert_true(row->current);
    g_assert_null(row->parent);
    g_assert_cmpstr(row->state, ==, "disk-snapshot");
    g_assert_cmpstr(row->description, ==, "before B");
    g_assert_nonnull(strstr(row->xml, "<state>disk-snapshot</state>"));
    g_assert_cmpuint(row->disks->len, ==, 2);
    sd = g_ptr_array_index(row->disks, 0);
    g_assert_cmpstr(sd->target, ==, "vda");
    g_assert_cmpstr(sd->file, ==, ov_a);
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    chain = stored_chain(d, "vda");
    g_assert_cmpstr(chain, ==, "vda.s1 vda.qcow2");

    /* s2 without vdb: only vda's chain grows; s1 is its parent. */
    g_clear_pointer(&name, g_free);
    name = snap_create(d, "<domainsnapshot><name>s2</name><disks>"
                       "<disk name='vdb' snapshot='no'/></disks></domainsnapshot>", 0, &error);
    g_assert_no_error(error);
    assert_chain(d, "vda", "vda.s2 vda.s1 vda.qcow2");
    assert_chain(d, "vdb", "vdb.s1 vdb.qcow2");
    assert_bitmaps(d, "vda", 0, "c1 c2");
    g_clear_pointer(&row, bp_store_snapshot_free);
    row = bp_store_snapshot_get(d->store, d->id, "s2", &error);
    g_assert_cmpstr(row->parent, ==, "s1");
    sd = g_ptr_array_index(row->disks, 1);
    g_assert_false(sd->external);
    g_assert_null(sd->file);

    /* A name taken. */
    g_clear_pointer(&name, g_free);
    name = snap_create(d, "<domainsnapshot><name>s1</name></domainsnapshot>", 0, &error);
    g_assert_null(name);
    g_assert_error(error, BP_ERROR, BP_ERROR_EXISTS);
    g_clear_error(&error);

    /* After a restart the stored definition opens the new chain. */
    qt_nbd_write(sock, "vda", 8 * CL, CL, 0xa3);
    ct_domain_stop(d);
    ct_domain_start(d);
    assert_chain(d, "vda", "vda.s2 vda.s1 vda.qcow2");
    assert_chain(d, "vdb", "vdb.s1 vdb.qcow2");
    assert_bitmaps(d, "vda", 0, "c1 c2");
    g_clear_pointer(&sock, g_free);
    sock = ct_domain_nbd_socket(d);
    qt_nbd_check(sock, "vda", 8 * CL, CL, 0xa3);
    qt_nbd_check(sock, "vdb", 0, CL, 0xb2);
    g_assert_cmpint(ct_size(d, "c1", "vda"), ==, 4 * CL);
    ct_domain_stop(d);
}


/* Everything is as before a failed creation. */
static void
assert_untouched(CtDomain *d, const char *vda_chain, guint nsnapshots)
{
    g_autoptr(BpBlockGraph) graph = ct_graph(d);
    g_autofree char *chain = chain_of(graph, "vda");
    g_autofree char *stored = stored_chain(d, "vda");

    g_assert_cmpstr(chain, ==, vda_chain);
    g_assert_cmpstr(stored, ==, vda_chain);
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    g_assert_cmpuint(snapshot_count(d), ==, nsnapshots);
    for (guint i = 0; i < 8; i++) {
        g_autofree char *fmt = g_strdup_printf("bp-vda-%u-fmt", i + 1);
        g_autofree char *file = g_strdup_printf("bp-vdb-%u-file", i + 1);

        g_assert_null(bp_block_graph_lookup(graph, fmt));
        g_assert_null(bp_block_graph_lookup(graph, file));
    }
}


static void
test_failures(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *name = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *exists = NULL;
    g_autofree char *ov_a = NULL;
    g_autofree char *ov_b = NULL;
    g_autofree char *out = NULL;

    qt_require_tools();
    d = ct_domain_new(dir, "fail", 0);
    ct_domain_start(d);
    ckpt(d, "<domaincheckpoint><name>c1</name></domaincheckpoint>");
    ov_a = g_build_filename(dir, "vda.s1", NULL);
    ov_b = g_build_filename(dir, "vdb.s1", NULL);

    /* An existing file is never overwritten without reuse-external. */
    exists = g_build_filename(dir, "exists.qcow2", NULL);
    g_assert_true(g_file_set_contents(exists, "keep", -1, NULL));
    xml = g_strdup_printf("<domainsnapshot><name>s1</name><disks>"
                          "<disk name='vda'><source file='%s'/></disk>"
                          "</disks></domainsnapshot>", exists);
    name = snap_create(d, xml, 0, &error);
    g_assert_null(name);
    g_assert_error(error, BP_ERROR, BP_ERROR_EXISTS);
    g_assert_nonnull(strstr(error->message, exists));
    g_clear_error(&error);
    g_assert_true(g_file_get_contents(exists, &out, NULL, NULL));
    g_assert_cmpstr(out, ==, "keep");
    g_assert_false(g_file_test(ov_b, G_FILE_TEST_EXISTS));
    assert_untouched(d, "vda.qcow2", 0);

    /* An overlay that cannot be created: vda's, created first, goes again. */
    g_clear_pointer(&xml, g_free);
    xml = g_strdup("<domainsnapshot><name>s1</name><disks>"
                   "<disk name='vdb'><source file='/proc/blkpoint-no-such-dir/vdb.s1'/></disk>"
                   "</disks></domainsnapshot>");
    name = snap_create(d, xml, 0, &error);
    g_assert_null(name);
    g_assert_error(error, BP_ERROR, BP_ERROR_IO);
    g_assert_nonnull(strstr(error->message, "/proc/blkpoint-no-such-dir/vdb.s1"));
    g_clear_error(&error);
    g_assert_false(g_file_test(ov_a, G_FILE_TEST_EXISTS));
    assert_untouched(d, "vda.qcow2", 0);

    /* reuse-external of an overlay QEMU cannot open as qcow2: the nodes
     * already added for vda are deleted again; the reused files stay. */
    g_free(qt_qemu_img("create", "-q", "-f", "qcow2", "-b", d->vda, "-F", "qcow2", ov_a, NULL));
    g_assert_true(g_file_set_contents(ov_b, "not an image", -1, NULL));
    name = snap_create(d, "<domainsnapshot><name>s1</name></domainsnapshot>",
                       BP_SNAPSHOT_CREATE_REUSE_EXTERNAL, &error);
    g_assert_null(name);
    g_assert_error(error, BP_ERROR, BP_ERROR_QEMU);
    g_clear_error(&error);
    g_assert_true(g_file_test(ov_a, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(ov_b, G_FILE_TEST_EXISTS));
    assert_untouched(d, "vda.qcow2", 0);

    /* A transaction QEMU refuses: vdb's overlay is qcow2 v2, which cannot
     * store c1; vda is not switched either. */
    g_unlink(ov_b);
    g_free(qt_qemu_img("create", "-q", "-f", "qcow2", "-o", "compat=0.10", "-b", d->vdb,
                       "-F", "qcow2", ov_b, NULL));
    name = snap_create(d, "<domainsnapshot><name>s1</name></domainsnapshot>",
                       BP_SNAPSHOT_CREATE_REUSE_EXTERNAL, &error);
    g_assert_null(name);
    g_assert_error(error, BP_ERROR, BP_ERROR_QEMU);
    g_clear_error(&error);
    assert_untouched(d, "vda.qcow2", 0);
    assert_bitmaps(d, "vda", 0, "c1");

    /* Reused overlays that are right work. */
    g_unlink(ov_b);
    g_free(qt_qemu_img("create", "-q", "-f", "qcow2", "-b", d->vdb, "-F", "qcow2", ov_b, NULL));
    name = snap_create(d, "<domainsnapshot><name>s1</name></domainsnapshot>",
                       BP_SNAPSHOT_CREATE_REUSE_EXTERNAL, &error);
    g_assert_no_error(error);
    assert_chain(d, "vdb", "vdb.s1 vdb.qcow2");
    assert_bitmaps(d, "vdb", 0, "c1");

    /* Busy while another job of the domain (a backup) runs. */
    {
        g_autoptr(BpStoreJob) job = bp_store_job_new(d->id, "backup");

        g_assert_true(bp_store_job_add(d->store, job, &error));
        g_clear_pointer(&name, g_free);
        name = snap_create(d, "<domainsnapshot><name>busy</name></domainsnapshot>", 0, &error);
        g_assert_null(name);
        g_assert_error(error, BP_ERROR, BP_ERROR_BUSY);
        g_clear_error(&error);
        g_assert_true(bp_store_job_remove(d->store, job->id, &error));
    }

    /* quiesce is refused; --no-metadata records nothing but the chain. */
    g_clear_pointer(&name, g_free);
    name = snap_create(d, "", BP_SNAPSHOT_CREATE_QUIESCE, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_OPERATION_UNSUPPORTED);
    g_clear_error(&error);
    name = snap_create(d, "<domainsnapshot><name>nm</name></domainsnapshot>",
                       BP_SNAPSHOT_CREATE_NO_METADATA, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(snapshot_count(d), ==, 1);
    assert_chain(d, "vda", "vda.nm vda.s1 vda.qcow2");
    assert_bitmaps(d, "vda", 0, "c1");
    ct_domain_stop(d);
}


static void
test_offline(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreSnapshot) row = NULL;
    g_autofree char *name = NULL;
    g_autofree char *ov_a = NULL;
    g_autofree char *flags = NULL;
    g_autofree char *sock = NULL;

    qt_require_tools();
    d = ct_domain_new(dir, "off", 0);
    ckpt(d, "<domaincheckpoint><name>c1</name></domaincheckpoint>");
    ckpt(d, "<domaincheckpoint><name>c2</name><disks><disk name='vda'/>"
         "<disk name='vdb' checkpoint='no'/></disks></domaincheckpoint>");
    name = snap_create(d, "<domainsnapshot><name>s1</name></domainsnapshot>", 0, &error);
    g_assert_no_error(error);
    ov_a = g_build_filename(dir, "vda.s1", NULL);
    flags = qt_bitmap_flags(ov_a, "c2");
    g_assert_cmpstr(flags, ==, "auto");
    g_clear_pointer(&flags, g_free);
    flags = qt_bitmap_flags(ov_a, "c1");
    g_assert_cmpstr(flags, ==, "auto");
    row = bp_store_snapshot_get(d->store, d->id, "s1", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(row->state, ==, "shutoff");
    g_assert_cmpuint(ct_jobs(d), ==, 0);

    ct_domain_start(d);
    assert_chain(d, "vda", "vda.s1 vda.qcow2");
    assert_chain(d, "vdb", "vdb.s1 vdb.qcow2");
    assert_bitmaps(d, "vda", 0, "c1 c2");
    assert_bitmaps(d, "vdb", 0, "c1");
    sock = ct_domain_nbd_socket(d);
    qt_nbd_write(sock, "vdb", 0, CL, 0x55);
    g_assert_cmpint(ct_size(d, "c1", "vdb"), ==, CL);
    ct_domain_stop(d);
}


/* The hook that makes a creation stop where a crash would. */
static gboolean hook_hit;
static const char *hook_step;

static void
test_hook(const char *step, const char *snapshot G_GNUC_UNUSED, gpointer data G_GNUC_UNUSED)
{
    if (g_strcmp0(step, hook_step) == 0)
        hook_hit = TRUE;
}


/* A creation whose catalogue step never happened (simulated by putting
 * the job back after a successful creation, with the record and the
 * definitions as they were) is finished by reconciliation; one whose
 * transaction never ran is undone. */
static void
test_reconcile(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreJob) job = NULL;
    g_autoptr(BpStoreDomain) dom = NULL;
    g_autofree char *ov_a = NULL;
    g_autofree char *chain = NULL;
    g_autofree char *name = NULL;

    qt_require_tools();
    d = ct_domain_new(dir, "rec", 0);
    ct_domain_start(d);
    ckpt(d, "<domaincheckpoint><name>c1</name></domaincheckpoint>");
    ov_a = g_build_filename(dir, "vda.s1", NULL);

    /* Undo: a job whose overlay nodes never became active.  The files it
     * names as created are removed. */
    job = bp_store_job_new(d->id, BP_SNAPSHOT_JOB_CREATE);
    job->data = g_strdup_printf("{\"name\":\"s1\",\"xml\":\"<domainsnapshot/>\","
                                "\"state\":\"disk-snapshot\",\"disks\":[{\"target\":\"vda\","
                                "\"file\":\"%s\",\"format\":\"qcow2\",\"node\":\"bp-vda-1-fmt\","
                                "\"file-node\":\"bp-vda-1-file\",\"created\":true}]}", ov_a);
    g_assert_true(bp_store_job_add(d->store, job, &error));
    g_assert_true(g_file_set_contents(ov_a, "", 0, NULL));
    snap_reconcile(d, 1);
    g_assert_false(g_file_test(ov_a, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    g_assert_cmpuint(snapshot_count(d), ==, 0);

    /* Finish: the transaction ran, then the "daemon died" before the
     * catalogue step: the job is put back and the record taken away. */
    hook_step = "create:applied";
    hook_hit = FALSE;
    bp_snapshot_ops_set_test_hook(test_hook, NULL);
    dom = bp_store_domain_get(d->store, d->id, &error);
    g_assert_no_error(error);
    name = snap_create(d, "<domainsnapshot><name>s1</name><disks>"
                       "<disk name='vdb' snapshot='no'/></disks></domainsnapshot>", 0, &error);
    g_assert_no_error(error);
    g_assert_true(hook_hit);
    bp_snapshot_ops_set_test_hook(NULL, NULL);
    g_clear_pointer(&job, bp_store_job_free);
    job = bp_store_job_new(d->id, BP_SNAPSHOT_JOB_CREATE);
    job->data = g_strdup_printf("{\"name\":\"s1\",\"xml\":\"<domainsnapshot><name>s1</name>"
                                "</domainsnapshot>\",\"state\":\"disk-snapshot\","
                                "\"disks\":[{\"target\":\"vda\",\"file\":\"%s\","
                                "\"format\":\"qcow2\",\"node\":\"bp-vda-1-fmt\","
                                "\"file-node\":\"bp-vda-1-file\",\"created\":true}],"
                                "\"all-disks\":[{\"target\":\"vda\",\"file\":\"%s\","
                                "\"format\":\"qcow2\"},{\"target\":\"vdb\"}]}", ov_a, ov_a);
    g_assert_true(bp_store_job_add(d->store, job, &error));
    g_assert_true(bp_store_snapshot_delete(d->store, d->id, "s1", &error));
    g_assert_true(bp_store_domain_update(d->store, dom, &error));
    g_clear_pointer(&chain, g_free);
    chain = stored_chain(d, "vda");
    g_assert_cmpstr(chain, ==, "vda.qcow2");
    snap_reconcile(d, 1);
    g_assert_true(g_file_test(ov_a, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    g_assert_cmpuint(snapshot_count(d), ==, 1);
    g_clear_pointer(&chain, g_free);
    chain = stored_chain(d, "vda");
    g_assert_cmpstr(chain, ==, "vda.s1 vda.qcow2");
    ct_domain_stop(d);
    ct_domain_start(d);
    assert_chain(d, "vda", "vda.s1 vda.qcow2");
    ct_domain_stop(d);
}

/* Runs the crash helper; asserts it was killed at @step. */
static void
crash_at(CtDomain *d, const char *step, const char *xml)
{
    const char *args[] = { step, xml, NULL };

    /* Reconnected as the daemon does: with the definition it knew before. */
    ct_run_crash_helper(d, "snapshot-crash-helper", args);
}


/* A real process killed after the transaction (finished: the overlays
 * are in use and the runtime follows them again) and after the job row
 * (undone: nothing of it stays). */
static void
test_crash(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autofree char *ov = NULL;
    g_autofree char *chain = NULL;
    g_autofree char *sock = NULL;

    qt_require_tools();
    d = ct_domain_new(dir, "crash", 0);
    ct_domain_start(d);
    ckpt(d, "<domaincheckpoint><name>c1</name></domaincheckpoint>");

    crash_at(d, "create:applied", "<domainsnapshot><name>s1</name></domainsnapshot>");
    g_assert_cmpuint(ct_jobs(d), ==, 1);
    g_assert_cmpuint(snapshot_count(d), ==, 0);
    snap_reconcile(d, 1);
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    g_assert_cmpuint(snapshot_count(d), ==, 1);
    chain = stored_chain(d, "vdb");
    g_assert_cmpstr(chain, ==, "vdb.s1 vdb.qcow2");
    assert_chain(d, "vda", "vda.s1 vda.qcow2");
    assert_bitmaps(d, "vda", 0, "c1");
    sock = ct_domain_nbd_socket(d);
    qt_nbd_write(sock, "vda", 0, CL, 0x77);
    g_assert_cmpint(ct_size(d, "c1", "vda"), ==, CL);

    crash_at(d, "create:pending", "<domainsnapshot><name>s2</name></domainsnapshot>");
    g_assert_cmpuint(ct_jobs(d), ==, 1);
    snap_reconcile(d, 1);
    ov = g_build_filename(dir, "vda.s2", NULL);
    g_assert_false(g_file_test(ov, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    g_assert_cmpuint(snapshot_count(d), ==, 1);
    assert_chain(d, "vda", "vda.s1 vda.qcow2");

    /* The stored definition opens what is running. */
    ct_domain_stop(d);
    ct_domain_start(d);
    assert_chain(d, "vda", "vda.s1 vda.qcow2");
    ct_domain_stop(d);
}


/* The same for a shut-off domain: the job's phase decides. */
static void
test_crash_offline(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autoptr(CtDomain) d = NULL;
    g_autofree char *ov1 = NULL;
    g_autofree char *ov2 = NULL;
    g_autofree char *chain = NULL;
    g_autofree char *flags = NULL;

    qt_require_tools();
    d = ct_domain_new(dir, "crashoff", 0);
    ckpt(d, "<domaincheckpoint><name>c1</name></domaincheckpoint>");
    ov1 = g_build_filename(dir, "vda.s1", NULL);
    ov2 = g_build_filename(dir, "vda.s2", NULL);

    crash_at(d, "create:applied", "<domainsnapshot><name>s1</name></domainsnapshot>");
    g_assert_cmpuint(ct_jobs(d), ==, 1);
    snap_reconcile(d, 1);
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    g_assert_cmpuint(snapshot_count(d), ==, 1);
    chain = stored_chain(d, "vda");
    g_assert_cmpstr(chain, ==, "vda.s1 vda.qcow2");
    flags = qt_bitmap_flags(ov1, "c1");
    g_assert_cmpstr(flags, ==, "auto");

    crash_at(d, "create:pending", "<domainsnapshot><name>s2</name></domainsnapshot>");
    g_assert_cmpuint(ct_jobs(d), ==, 1);
    snap_reconcile(d, 1);
    g_assert_false(g_file_test(ov2, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(ct_jobs(d), ==, 0);
    g_assert_cmpuint(snapshot_count(d), ==, 1);
    g_clear_pointer(&chain, g_free);
    chain = stored_chain(d, "vda");
    g_assert_cmpstr(chain, ==, "vda.s1 vda.qcow2");

    ct_domain_start(d);
    assert_chain(d, "vda", "vda.s1 vda.qcow2");
    assert_bitmaps(d, "vda", 0, "c1");
    ct_domain_stop(d);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jobs/snapshot/running", test_running);
    g_test_add_func("/jobs/snapshot/failures", test_failures);
    g_test_add_func("/jobs/snapshot/offline", test_offline);
    g_test_add_func("/jobs/snapshot/reconcile", test_reconcile);
    g_test_add_func("/jobs/snapshot/crash", test_crash);
    g_test_add_func("/jobs/snapshot/crash-offline", test_crash_offline);
    return g_test_run();
}
