/*
 * checkpointtest.c: see checkpointtest.h.
 */
#include <config.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "checkpointtest.h"
#include "jobs/bp-domain-ops.h"
#include "jobs/bp-domain-runtime.h"
#include "qemu/bp-qemu-sync.h"
#include "qemutest.h"
#include "util/bp-error.h"


static char *
ct_domain_xml(CtDomain *d)
{
    g_autofree char *backing = NULL;

    if (d->vda_base)
        backing = g_strdup_printf("      <backingStore type='file'>\n"
                                  "        <format type='qcow2'/>\n"
                                  "        <source file='%s'/>\n"
                                  "        <backingStore/>\n"
                                  "      </backingStore>\n", d->vda_base);
    return g_strdup_printf("<domain>\n"
                           "  <name>%s</name>\n"
                           "  <devices>\n"
                           "    <disk type='file'>\n"
                           "      <driver type='qcow2'/>\n"
                           "      <source file='%s'/>\n"
                           "%s"
                           "      <target dev='vda'/>\n"
                           "    </disk>\n"
                           "    <disk type='file'>\n"
                           "      <driver type='qcow2'/>\n"
                           "      <source file='%s'/>\n"
                           "      <target dev='vdb'/>\n"
                           "    </disk>\n"
                           "  </devices>\n"
                           "</domain>\n", d->name, d->vda, backing ? backing : "", d->vdb);
}


static BpQemuRuntimeConfig *
ct_config(CtDomain *d, const BpDomainDef *def)
{
    g_autofree char *root = g_build_filename(d->dir, "run", NULL);

    return bp_domain_runtime_config(def, root);
}


static void
ct_offline(CtDomain *d)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpQemuRuntimeConfig) config = ct_config(d, d->def);

    g_clear_pointer(&d->access, bp_block_access_unref);
    d->access = bp_block_access_new_offline(d->def, config, &error);
    g_assert_no_error(error);
}


static CtDomain *
ct_domain_alloc(const char *dir, const char *name)
{
    CtDomain *d = g_new0(CtDomain, 1);
    g_autofree char *db = g_build_filename(dir, BP_STORE_FILE_NAME, NULL);
    g_autoptr(GError) error = NULL;

    d->dir = g_strdup(dir);
    d->name = g_strdup(name);
    d->vda = g_build_filename(dir, "vda.qcow2", NULL);
    d->vdb = g_build_filename(dir, "vdb.qcow2", NULL);
    d->store = bp_store_open(db, &error);
    g_assert_no_error(error);
    return d;
}


CtDomain *
ct_domain_new(const char *dir, const char *name, unsigned int flags)
{
    CtDomain *d = ct_domain_alloc(dir, name);
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreDomain) row = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *out = NULL;
    g_autofree char *p = NULL;

    if (flags & CT_CHAIN) {
        d->vda_base = qt_image(dir, "vda-base.qcow2", "16M", NULL);
        p = qt_image(dir, "vda.qcow2", "16M", d->vda_base);
    } else {
        p = qt_image(dir, "vda.qcow2", "16M", NULL);
    }
    if (flags & CT_VDB_V2)
        out = qt_qemu_img("create", "-q", "-f", "qcow2", "-o", "compat=0.10", d->vdb,
                          "16M", NULL);
    else
        out = qt_qemu_img("create", "-q", "-f", "qcow2", d->vdb, "16M", NULL);
    xml = ct_domain_xml(d);
    d->def = bp_domain_ops_parse(xml, NULL, &error);
    g_assert_no_error(error);
    row = bp_domain_ops_define(d->store, d->def, TRUE, NULL, &error);
    g_assert_no_error(error);
    d->id = row->id;
    ct_offline(d);
    return d;
}


static void
ct_take_run(CtDomain *d, BpDomainRun *run)
{
    d->run = run;
    g_clear_pointer(&d->access, bp_block_access_unref);
    d->access = bp_block_access_new_run(run);
}


CtDomain *
ct_domain_open(const char *dir, const char *name)
{
    CtDomain *d = ct_domain_alloc(dir, name);
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreDomain) row = NULL;

    row = bp_store_domain_get_by_name(d->store, name, &error);
    g_assert_no_error(error);
    d->id = row->id;
    d->def = bp_domain_def_parse_string(row->definition, 0, &error);
    g_assert_no_error(error);
    if (row->state == BP_STORE_DOMAIN_RUNNING) {
        g_autoptr(BpQemuRuntimeConfig) config = ct_config(d, d->def);
        BpSyncCall call;
        BpDomainRun *run;

        bp_sync_call_begin(&call);
        bp_domain_run_reconnect_async(d->def, config, (GPid) row->pid, row->monitor_path,
                                      NULL, bp_sync_call_ready, &call);
        run = bp_domain_run_reconnect_finish(bp_sync_call_wait(&call), &error);
        bp_sync_call_end(&call);
        g_assert_no_error(error);
        ct_take_run(d, run);
    } else {
        ct_offline(d);
    }
    d->opened = TRUE;
    return d;
}


/* The end of a test that left its domain running: shuts it down without
 * asserting anything (the test may be failing already); SIGKILL when
 * QEMU does not quit. */
static void
ct_domain_shutdown_quietly(CtDomain *d)
{
    g_autoptr(GError) error = NULL;
    BpSyncCall call;
    GPid pid = bp_domain_run_get_pid(d->run);
    gboolean ok;

    if (!bp_domain_run_is_running(d->run))
        return;
    bp_sync_call_begin(&call);
    bp_domain_run_shutdown_async(d->run, bp_sync_call_ready, &call);
    ok = bp_domain_run_shutdown_finish(d->run, bp_sync_call_wait(&call), &error);
    bp_sync_call_end(&call);
    if (!ok && pid > 0 && bp_domain_run_is_running(d->run)) {
        g_test_message("domain %s: shutdown at the end of the test failed (%s); killing %d",
                       d->name, error->message, (int) pid);
        kill(pid, SIGKILL);
    }
}


void
ct_domain_free(CtDomain *d)
{
    if (!d)
        return;
    if (d->run && !d->opened)
        ct_domain_shutdown_quietly(d);
    if (d->run)
        bp_domain_run_detach(d->run);
    g_clear_object(&d->run);
    bp_block_access_unref(d->access);
    bp_domain_def_free(d->def);
    bp_store_close(d->store);
    g_free(d->dir);
    g_free(d->name);
    g_free(d->vda);
    g_free(d->vda_base);
    g_free(d->vdb);
    g_free(d);
}


void
ct_domain_start(CtDomain *d)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpQemuRuntimeConfig) config = ct_config(d, d->def);
    BpSyncCall call;
    BpDomainRun *run;

    bp_sync_call_begin(&call);
    bp_domain_run_start_async(d->def, config, NULL, bp_sync_call_ready, &call);
    run = bp_domain_run_start_finish(bp_sync_call_wait(&call), &error);
    bp_sync_call_end(&call);
    g_assert_no_error(error);
    g_assert_true(bp_domain_ops_record_running(d->store, d->id, bp_domain_run_get_pid(run),
                                               bp_domain_run_get_monitor_path(run), &error));
    g_assert_no_error(error);
    ct_take_run(d, run);
}


void
ct_domain_stop(CtDomain *d)
{
    g_autoptr(GError) error = NULL;
    BpSyncCall call;

    g_assert_nonnull(d->run);
    bp_sync_call_begin(&call);
    bp_domain_run_shutdown_async(d->run, bp_sync_call_ready, &call);
    g_assert_true(bp_domain_run_shutdown_finish(d->run, bp_sync_call_wait(&call), &error));
    bp_sync_call_end(&call);
    g_assert_no_error(error);
    g_assert_true(bp_domain_run_get_exit_clean(d->run));
    g_assert_true(bp_domain_ops_record_stopped(d->store, d->id, TRUE, NULL, NULL, &error));
    g_assert_no_error(error);
    g_clear_object(&d->run);
    ct_offline(d);
}


void
ct_domain_detach(CtDomain *d)
{
    g_assert_nonnull(d->run);
    bp_domain_run_detach(d->run);
    g_clear_object(&d->run);
    g_clear_pointer(&d->access, bp_block_access_unref);
}


void
ct_domain_kill(CtDomain *d)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpDomainRun) run = g_object_ref(d->run);

    g_test_expect_message("blkpoint-qemu", G_LOG_LEVEL_WARNING, "*killed by signal 9*");
    kill(bp_domain_run_get_pid(run), SIGKILL);
    while (bp_domain_run_is_running(run))
        g_main_context_iteration(NULL, TRUE);
    g_test_assert_expected_messages();
    g_assert_false(bp_domain_run_get_exit_clean(run));
    g_assert_true(bp_domain_ops_record_stopped(d->store, d->id, FALSE,
                                               bp_domain_run_get_exit_message(run),
                                               bp_domain_run_get_def(run), &error));
    g_assert_no_error(error);
    ct_domain_offline(d);
}


void
ct_domain_reconnect(CtDomain *d)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreDomain) row = NULL;
    g_autoptr(BpQemuRuntimeConfig) config = ct_config(d, d->def);
    BpSyncCall call;
    BpDomainRun *run;

    row = bp_store_domain_get(d->store, d->id, &error);
    g_assert_no_error(error);
    bp_sync_call_begin(&call);
    bp_domain_run_reconnect_async(d->def, config, (GPid) row->pid, row->monitor_path,
                                  NULL, bp_sync_call_ready, &call);
    run = bp_domain_run_reconnect_finish(bp_sync_call_wait(&call), &error);
    bp_sync_call_end(&call);
    g_assert_no_error(error);
    ct_take_run(d, run);
}


void
ct_domain_offline(CtDomain *d)
{
    g_clear_object(&d->run);
    ct_offline(d);
}


char *
ct_domain_nbd_socket(CtDomain *d)
{
    return g_build_filename(d->dir, "run", d->name, "nbd.sock", NULL);
}


/* ---- synchronous operations -------------------------------------------------- */

char *
ct_create(CtDomain *d, const char *xml, unsigned int flags, GError **error)
{
    BpSyncCall call;
    char *name;

    bp_sync_call_begin(&call);
    bp_checkpoint_ops_create_async(d->store, d->id, d->access, xml, flags,
                                   g_get_real_time() / G_USEC_PER_SEC, NULL,
                                   bp_sync_call_ready, &call);
    name = bp_checkpoint_ops_create_finish(bp_sync_call_wait(&call), error);
    bp_sync_call_end(&call);
    return name;
}


gboolean
ct_delete(CtDomain *d, const char *name, unsigned int flags, GError **error)
{
    BpSyncCall call;
    gboolean ok;

    bp_sync_call_begin(&call);
    bp_checkpoint_ops_delete_async(d->store, d->id, d->access, name, flags, NULL,
                                   bp_sync_call_ready, &call);
    ok = bp_checkpoint_ops_delete_finish(bp_sync_call_wait(&call), error);
    bp_sync_call_end(&call);
    return ok;
}


char *
ct_xml(CtDomain *d, const char *name, unsigned int flags, GError **error)
{
    BpSyncCall call;
    char *xml;

    bp_sync_call_begin(&call);
    bp_checkpoint_ops_get_xml_async(d->store, d->id, d->access, name, flags, NULL,
                                    bp_sync_call_ready, &call);
    xml = bp_checkpoint_ops_get_xml_finish(bp_sync_call_wait(&call), error);
    bp_sync_call_end(&call);
    return xml;
}


gboolean
ct_reconcile(CtDomain *d, guint *changed, GError **error)
{
    BpSyncCall call;
    gboolean ok;

    bp_sync_call_begin(&call);
    bp_checkpoint_ops_reconcile_async(d->store, d->id, d->access, NULL,
                                      bp_sync_call_ready, &call);
    ok = bp_checkpoint_ops_reconcile_finish(bp_sync_call_wait(&call), changed, error);
    bp_sync_call_end(&call);
    return ok;
}


BpBlockGraph *
ct_graph(CtDomain *d)
{
    g_autoptr(GError) error = NULL;
    BpSyncCall call;
    BpBlockGraph *graph;

    bp_sync_call_begin(&call);
    bp_block_access_read_graph_async(d->access, NULL, bp_sync_call_ready, &call);
    graph = bp_block_access_read_graph_finish(bp_sync_call_wait(&call), &error);
    bp_sync_call_end(&call);
    g_assert_no_error(error);
    return graph;
}


BpStoreCheckpoint *
ct_row(CtDomain *d, const char *name)
{
    g_autoptr(GError) error = NULL;
    BpStoreCheckpoint *row = bp_store_checkpoint_get(d->store, d->id, name, &error);

    if (!row)
        g_assert_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT);
    return row;
}


guint
ct_jobs(CtDomain *d)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) jobs = bp_store_job_list_unfinished(d->store, &error);

    g_assert_no_error(error);
    return jobs->len;
}


BpBitmapInfo *
ct_bitmap(BpBlockGraph *graph, const char *target, guint layer, const char *name)
{
    return qt_bitmap(graph, target, layer, name);
}


gint64
ct_xml_size(const char *xml, const char *target)
{
    g_autofree char *needle = g_strdup_printf("<disk name='%s'", target);
    const char *disk = strstr(xml, needle);
    const char *end = disk ? strstr(disk, "/>") : NULL;
    const char *size = disk ? strstr(disk, "size='") : NULL;

    if (!size || size > end)
        return -1;
    return g_ascii_strtoll(size + strlen("size='"), NULL, 10);
}


gint64
ct_size(CtDomain *d, const char *name, const char *target)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = ct_xml(d, name, BP_CHECKPOINT_XML_SIZE | BP_CHECKPOINT_XML_NO_DOMAIN,
                                  &error);

    g_assert_no_error(error);
    return ct_xml_size(xml, target);
}


void
ct_crash_hook(const char *step, const char *what G_GNUC_UNUSED, gpointer data)
{
    if (g_str_equal(step, (const char *) data))
        raise(SIGKILL);
}


void
ct_run_crash_helper(CtDomain *d, const char *helper, const char *const *args)
{
    g_autofree char *path = g_test_build_filename(G_TEST_BUILT, helper, NULL);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    gboolean running = d->run != NULL;
    int status = 0;

    g_ptr_array_add(argv, path);
    g_ptr_array_add(argv, d->dir);
    g_ptr_array_add(argv, d->name);
    for (; *args; args++)
        g_ptr_array_add(argv, (gpointer) *args);
    g_ptr_array_add(argv, NULL);
    if (running)
        ct_domain_detach(d);
    g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                 &status, &error);
    g_assert_no_error(error);
    g_assert_true(WIFSIGNALED(status));
    g_assert_cmpint(WTERMSIG(status), ==, SIGKILL);
    if (running)
        ct_domain_reconnect(d);
}


void
ct_backup_done_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    CtBackupResult *r = data;

    r->id = bp_backup_ops_begin_finish(result, &r->error);
    r->done = TRUE;
}


BpBackupOp *
ct_backup_begin(CtDomain *d, const char *bxml, const char *cxml, unsigned int flags,
                CtBackupResult *r)
{
    return bp_backup_ops_begin_async(d->store, d->id, d->access, bxml, cxml, flags,
                                     g_get_real_time() / G_USEC_PER_SEC, NULL,
                                     ct_backup_done_cb, r);
}


gint64
ct_backup_end(CtBackupResult *r, guint timeout_ms, GError **error)
{
    g_assert_true(qt_wait(&r->done, timeout_ms));
    if (r->error) {
        g_propagate_error(error, g_steal_pointer(&r->error));
        return -1;
    }
    return r->id;
}


gboolean
ct_backup_wait_copying(BpBackupOp *op, CtBackupResult *r)
{
    BpBackupProgress p = { 0 };

    while (!r->done) {
        bp_backup_op_get_progress(op, &p);
        if (p.copying)
            return TRUE;
        g_main_context_iteration(NULL, TRUE);
    }
    return FALSE;
}


BpStoreBackup *
ct_backup_row(CtDomain *d, gint64 id)
{
    g_autoptr(GError) error = NULL;
    BpStoreBackup *b = bp_store_backup_get(d->store, id, &error);

    g_assert_no_error(error);
    return b;
}


guint
ct_backup_count(CtDomain *d)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) list = bp_store_backup_list(d->store, d->id, &error);

    g_assert_no_error(error);
    return list->len;
}
