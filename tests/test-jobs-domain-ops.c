/*
 * test-jobs-domain-ops.c: the rules behind DefineDomain, Undefine and the
 * records of a running domain, on a real catalogue (no bus):
 *
 * - define: new name, redefinition with and without a UUID, another UUID
 *   under a taken name and a taken UUID under another name are refused;
 * - undefine: refused while the catalogue says running, refused with
 *   checkpoints unless checkpoints-metadata;
 * - an unclean stop marks every checkpoint broken, a clean one does not;
 * - the live definition spells out the chain the runtime opened;
 * - dumpxml leaves out inline secrets unless asked for them;
 * - the status file round-trips.
 */
#include <config.h>

#include <string.h>

#include "jobs/bp-domain-ops.h"
#include "testutils.h"
#include "util/bp-error.h"

#define UUID_A "00000000-0000-4000-8000-00000000000a"
#define UUID_B "00000000-0000-4000-8000-00000000000b"

typedef struct {
    char *dir;
    BpStore *store;
} Fixture;


static void
setup(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
    g_autofree char *db = NULL;
    g_autoptr(GError) err = NULL;

    f->dir = bp_test_mkdtemp();
    db = g_build_filename(f->dir, "blkpoint.db", NULL);
    f->store = bp_store_open(db, &err);
    g_assert_no_error(err);
}


static void
teardown(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
    bp_store_close(f->store);
    bp_test_rmdir(f->dir);
    g_free(f->dir);
}


static char *
domain_xml(const char *name, const char *uuid)
{
    return g_strdup_printf("<domain>\n"
                           "  <name>%s</name>\n"
                           "%s%s%s"
                           "  <devices>\n"
                           "    <disk type='file'>\n"
                           "      <driver type='qcow2'/>\n"
                           "      <source file='/images/%s.qcow2'/>\n"
                           "      <target dev='vda'/>\n"
                           "    </disk>\n"
                           "  </devices>\n"
                           "</domain>\n",
                           name, uuid ? "  <uuid>" : "", uuid ? uuid : "",
                           uuid ? "</uuid>\n" : "", name);
}


/* Parses and defines; returns the row or NULL with @error. */
static BpStoreDomain *
define(Fixture *f, const char *name, const char *uuid, gboolean *created, GError **error)
{
    g_autofree char *xml = domain_xml(name, uuid);
    g_autoptr(BpDomainDef) def = NULL;
    gboolean has_uuid = FALSE;

    def = bp_domain_ops_parse(xml, &has_uuid, error);
    g_assert_no_error(*error);
    g_assert_cmpint(has_uuid, ==, uuid != NULL);
    return bp_domain_ops_define(f->store, def, has_uuid, created, error);
}


static void
test_define(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpStoreDomain) a = NULL;
    g_autoptr(BpStoreDomain) again = NULL;
    g_autoptr(BpStoreDomain) same = NULL;
    g_autoptr(BpStoreDomain) stored = NULL;
    BpStoreDomain *refused;
    gboolean created = FALSE;

    a = define(f, "vm1", UUID_A, &created, &err);
    g_assert_no_error(err);
    g_assert_true(created);
    g_assert_cmpstr(a->uuid, ==, UUID_A);
    g_assert_cmpstr(a->runtime, ==, "storage");

    /* Without a UUID: the existing one is kept and written into the
     * stored definition. */
    again = define(f, "vm1", NULL, &created, &err);
    g_assert_no_error(err);
    g_assert_false(created);
    g_assert_cmpint(again->id, ==, a->id);
    stored = bp_store_domain_get(f->store, a->id, &err);
    g_assert_no_error(err);
    g_assert_nonnull(strstr(stored->definition, "<uuid>" UUID_A "</uuid>"));

    same = define(f, "vm1", UUID_A, &created, &err);
    g_assert_no_error(err);
    g_assert_false(created);

    refused = define(f, "vm1", UUID_B, &created, &err);
    g_assert_null(refused);
    g_assert_error(err, BP_ERROR, BP_ERROR_EXISTS);
    g_assert_nonnull(strstr(err->message, "'vm1'"));
    g_assert_nonnull(strstr(err->message, UUID_A));
    g_clear_error(&err);

    refused = define(f, "vm2", UUID_A, &created, &err);
    g_assert_null(refused);
    g_assert_error(err, BP_ERROR, BP_ERROR_EXISTS);
    g_assert_nonnull(strstr(err->message, "'vm1'"));
    g_clear_error(&err);

    /* Nothing of the refused ones reached the catalogue. */
    g_clear_pointer(&stored, bp_store_domain_free);
    stored = bp_store_domain_get_by_name(f->store, "vm2", &err);
    g_assert_null(stored);
    g_assert_error(err, BP_ERROR, BP_ERROR_NO_DOMAIN);
}


static void
test_parse_errors(void)
{
    g_autoptr(GError) err = NULL;
    BpDomainDef *def;

    def = bp_domain_ops_parse("", NULL, &err);
    g_assert_null(def);
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&err);

    def = bp_domain_ops_parse("<domain>\n<name>x</name>\n<devices>\n</domain>", NULL, &err);
    g_assert_null(def);
    g_assert_error(err, BP_ERROR, BP_ERROR_XML_SYNTAX);
    g_assert_nonnull(strstr(err->message, "line 4"));
    g_clear_error(&err);

    def = bp_domain_ops_parse("<domain><name>../x</name></domain>", NULL, &err);
    g_assert_null(def);
    g_assert_error(err, BP_ERROR, BP_ERROR_XML_INVALID);
}


static void
add_checkpoint(Fixture *f, gint64 dom, const char *name)
{
    g_autoptr(BpStoreCheckpoint) chk = bp_store_checkpoint_new(dom, name);
    g_autoptr(GError) err = NULL;

    g_ptr_array_add(chk->disks, bp_store_checkpoint_disk_new("vda", name, 65536, 0));
    chk->state = BP_STORE_CHECKPOINT_READY;
    g_assert_true(bp_store_checkpoint_add(f->store, chk, &err));
    g_assert_no_error(err);
}


static BpStoreCheckpointState
checkpoint_state(Fixture *f, gint64 dom, const char *name, char **reason)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpStoreCheckpoint) chk = bp_store_checkpoint_get(f->store, dom, name, &err);

    g_assert_no_error(err);
    if (reason)
        *reason = g_strdup(chk->reason);
    return chk->state;
}


static void
test_runtime_records_and_undefine(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpStoreDomain) a = define(f, "vm1", NULL, NULL, &err);
    g_autoptr(BpStoreDomain) row = NULL;
    g_autofree char *reason = NULL;

    g_assert_no_error(err);
    add_checkpoint(f, a->id, "c1");
    add_checkpoint(f, a->id, "c2");

    g_assert_true(bp_domain_ops_record_running(f->store, a->id, 4242, "/run/x/qmp.sock", &err));
    row = bp_store_domain_get(f->store, a->id, &err);
    g_assert_cmpint(row->state, ==, BP_STORE_DOMAIN_RUNNING);
    g_assert_cmpint(row->pid, ==, 4242);
    g_assert_cmpstr(row->monitor_path, ==, "/run/x/qmp.sock");

    /* Refused while running, whatever the options. */
    g_assert_false(bp_domain_ops_undefine(f->store, a->id, TRUE, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_OPERATION_INVALID);
    g_assert_nonnull(strstr(err->message, "running"));
    g_clear_error(&err);

    /* A clean stop leaves the checkpoints alone. */
    g_assert_true(bp_domain_ops_record_stopped(f->store, a->id, TRUE, "quit", NULL, &err));
    g_assert_cmpint(checkpoint_state(f, a->id, "c1", NULL), ==, BP_STORE_CHECKPOINT_READY);
    g_clear_pointer(&row, bp_store_domain_free);
    row = bp_store_domain_get(f->store, a->id, &err);
    g_assert_cmpint(row->state, ==, BP_STORE_DOMAIN_SHUTOFF);
    g_assert_cmpint(row->pid, ==, 0);
    g_assert_null(row->monitor_path);

    /* An unclean one breaks every checkpoint with a bitmap on a written
     * disk, saying why; one that excluded every disk lost nothing. */
    {
        g_autoptr(BpStoreCheckpoint) chk = bp_store_checkpoint_new(a->id, "c3");

        g_ptr_array_add(chk->disks, bp_store_checkpoint_disk_new("vda", NULL, 0, 0));
        chk->state = BP_STORE_CHECKPOINT_READY;
        g_assert_true(bp_store_checkpoint_add(f->store, chk, &err));
    }
    g_assert_true(bp_domain_ops_record_running(f->store, a->id, 4243, "/run/x/qmp.sock", &err));
    g_assert_true(bp_domain_ops_record_stopped(f->store, a->id, FALSE, "killed by signal 9",
                                               NULL, &err));
    g_assert_no_error(err);
    g_assert_cmpint(checkpoint_state(f, a->id, "c3", NULL), ==, BP_STORE_CHECKPOINT_READY);
    g_assert_cmpint(checkpoint_state(f, a->id, "c1", &reason), ==, BP_STORE_CHECKPOINT_BROKEN);
    g_assert_cmpstr(reason, ==, "killed by signal 9");
    g_assert_cmpint(checkpoint_state(f, a->id, "c2", NULL), ==, BP_STORE_CHECKPOINT_BROKEN);

    /* Checkpoints need checkpoints-metadata. */
    g_assert_false(bp_domain_ops_undefine(f->store, a->id, FALSE, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_OPERATION_INVALID);
    g_assert_nonnull(strstr(err->message, "3 checkpoints"));
    g_clear_error(&err);
    g_assert_true(bp_domain_ops_undefine(f->store, a->id, TRUE, &err));
    g_assert_no_error(err);
    g_clear_pointer(&row, bp_store_domain_free);
    row = bp_store_domain_get(f->store, a->id, &err);
    g_assert_null(row);
    g_assert_error(err, BP_ERROR, BP_ERROR_NO_DOMAIN);
}


static void
test_live_def(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *xml = domain_xml("vm1", UUID_A);
    g_autoptr(BpDomainDef) def = bp_domain_ops_parse(xml, NULL, &err);
    g_autoptr(BpDomainDef) live = NULL;
    g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func((GDestroyNotify) bp_qemu_disk_spec_free);
    g_autofree char *out = NULL;
    BpQemuDiskSpec *spec = bp_qemu_disk_spec_new("vda", BP_QEMU_EXPORT_NBD);
    const char *expect =
        "      <source file='/images/vm1.qcow2'/>\n"
        "      <backingStore type='file'>\n"
        "        <format type='qcow2'/>\n"
        "        <source file='/images/base.qcow2'/>\n"
        "        <backingStore type='file'>\n"
        "          <format type='raw'/>\n"
        "          <source file='/images/base.raw'/>\n"
        "          <backingStore/>\n"
        "        </backingStore>\n"
        "      </backingStore>\n";

    g_assert_no_error(err);
    bp_qemu_disk_spec_add_layer(spec, "/images/vm1.qcow2", "qcow2", NULL);
    bp_qemu_disk_spec_add_layer(spec, "/images/base.qcow2", "qcow2", NULL);
    bp_qemu_disk_spec_add_layer(spec, "/images/base.raw", "raw", NULL);
    g_ptr_array_add(specs, spec);
    live = bp_domain_ops_live_def(def, specs);
    out = bp_domain_def_format_string(live);
    if (!strstr(out, expect))
        g_error("live definition lacks the chain:\n%s", out);
    /* the persistent definition is untouched */
    g_assert_null(def->disks[0]->src->backing);
}


static void
test_format_secrets(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpDomainDef) def = NULL;
    g_autofree char *open_xml = NULL;
    g_autofree char *secure_xml = NULL;

    def = bp_domain_ops_parse(
        "<domain type='kvm'>\n"
        "  <name>g</name>\n"
        "  <memory>1024</memory>\n"
        "  <devices>\n"
        "    <disk type='file'>\n"
        "      <driver type='qcow2'/>\n"
        "      <source file='/images/g.qcow2'/>\n"
        "      <target dev='vda'/>\n"
        "    </disk>\n"
        "    <graphics type='vnc' port='-1' passwd='sesame'/>\n"
        "  </devices>\n"
        "</domain>\n", NULL, &err);
    g_assert_no_error(err);
    open_xml = bp_domain_ops_format_xml(def, FALSE);
    secure_xml = bp_domain_ops_format_xml(def, TRUE);
    g_assert_null(strstr(open_xml, "sesame"));
    g_assert_nonnull(strstr(open_xml, "<graphics type='vnc' port='-1'/>"));
    g_assert_nonnull(strstr(secure_xml, "passwd='sesame'"));
}


static void
test_status_file(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *rundir = g_build_filename(dir, "run", "vm1", NULL);
    g_autofree char *xml = domain_xml("vm1", UUID_A);
    g_autoptr(GError) err = NULL;
    g_autoptr(BpDomainDef) def = bp_domain_ops_parse(xml, NULL, &err);
    g_autoptr(BpDomainDef) back = NULL;
    g_autoptr(BpDomainDef) none = NULL;

    g_assert_null(bp_domain_ops_load_status(rundir, &err));
    g_assert_no_error(err);
    g_assert_true(bp_domain_ops_save_status(def, rundir, &err));
    g_assert_no_error(err);
    back = bp_domain_ops_load_status(rundir, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(back->uuid, ==, UUID_A);
    g_assert_cmpstr(back->disks[0]->src->path, ==, "/images/vm1.qcow2");
    bp_domain_ops_remove_status(rundir);
    none = bp_domain_ops_load_status(rundir, &err);
    g_assert_null(none);
    g_assert_no_error(err);
    bp_test_rmdir(dir);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/jobs/domain-ops/define", Fixture, NULL, setup, test_define, teardown);
    g_test_add_func("/jobs/domain-ops/parse-errors", test_parse_errors);
    g_test_add("/jobs/domain-ops/runtime-records", Fixture, NULL, setup,
               test_runtime_records_and_undefine, teardown);
    g_test_add_func("/jobs/domain-ops/live-def", test_live_def);
    g_test_add_func("/jobs/domain-ops/format-secrets", test_format_secrets);
    g_test_add_func("/jobs/domain-ops/status-file", test_status_file);
    return g_test_run();
}
