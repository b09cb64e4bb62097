/*
 * test-jobs-domain-runtime.c: a <domain> definition runs on the storage
 * runtime.  Unit cases check how definitions become disk specs; the
 * integration case starts a plain two-disk definition (one disk a
 * three-layer chain spelled out in <backingStore>, the other left for the
 * images to describe) on a real qemu-storage-daemon, writes through the
 * exports with libnbd, and checks the node graph and the data.
 */
#include <config.h>

#include <glib/gstdio.h>

#include "conf/bp-domain-conf.h"
#include "jobs/bp-domain-runtime.h"
#include "qemutest.h"
#include "testutils.h"
#include "util/bp-error.h"


static GPtrArray *
specs_from(const char *xml, GError **error)
{
    g_autoptr(BpDomainDef) def = NULL;

    def = bp_domain_def_parse_string(xml, BP_DOMAIN_PARSE_VALIDATE, error);
    g_assert_no_error(*error);
    return bp_domain_runtime_disk_specs(def, error);
}


static void
test_specs(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) specs = NULL;
    BpQemuDiskSpec *s;

    specs = specs_from(
        "<domain>\n"
        "  <name>d1</name>\n"
        "  <runtime type='storage'>\n"
        "    <export type='vhost-user-blk'/>\n"
        "  </runtime>\n"
        "  <devices>\n"
        "    <disk type='file'>\n"
        "      <driver type='qcow2'/>\n"
        "      <source file='/i/top.qcow2'/>\n"
        "      <backingStore type='file'>\n"
        "        <format type='qcow2'/>\n"
        "        <source file='/i/base.qcow2'/>\n"
        "        <backingStore/>\n"
        "      </backingStore>\n"
        "      <target dev='vda'/>\n"
        "    </disk>\n"
        "    <disk type='file' device='cdrom'>\n"
        "      <target dev='sda'/>\n"
        "      <readonly/>\n"
        "    </disk>\n"
        "    <disk type='block'>\n"
        "      <driver type='raw'/>\n"
        "      <source dev='/dev/vg/data'/>\n"
        "      <target dev='vdb'/>\n"
        "      <export type='nbd'/>\n"
        "      <readonly/>\n"
        "    </disk>\n"
        "  </devices>\n"
        "</domain>\n", &error);
    g_assert_no_error(error);
    /* the empty cdrom is not opened */
    g_assert_cmpuint(specs->len, ==, 2);

    s = specs->pdata[0];
    g_assert_cmpstr(s->target, ==, "vda");
    g_assert_cmpint(s->export_type, ==, BP_QEMU_EXPORT_VHOST_USER_BLK);
    g_assert_cmpuint(s->layers->len, ==, 2);
    g_assert_cmpstr(bp_qemu_disk_spec_layer(s, 0)->path, ==, "/i/top.qcow2");
    g_assert_cmpstr(bp_qemu_disk_spec_layer(s, 1)->path, ==, "/i/base.qcow2");
    g_assert_cmpstr(bp_qemu_disk_spec_layer(s, 1)->format, ==, "qcow2");
    g_assert_true(s->chain_complete);
    g_assert_false(s->readonly);

    s = specs->pdata[1];
    g_assert_cmpstr(s->target, ==, "vdb");
    /* the disk's own <export> wins over the runtime's default */
    g_assert_cmpint(s->export_type, ==, BP_QEMU_EXPORT_NBD);
    g_assert_cmpuint(s->layers->len, ==, 1);
    g_assert_false(s->chain_complete);
    g_assert_true(s->readonly);
}


static void
test_specs_unsupported(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpDomainDef) def = NULL;
    g_autoptr(GPtrArray) specs = NULL;

    def = bp_domain_def_parse_string(
        "<domain>\n"
        "  <name>d2</name>\n"
        "  <devices>\n"
        "    <disk type='network'>\n"
        "      <driver type='raw'/>\n"
        "      <source protocol='nbd' name='x'/>\n"
        "      <target dev='vdc'/>\n"
        "    </disk>\n"
        "  </devices>\n"
        "</domain>\n", 0, &error);
    g_assert_no_error(error);
    specs = bp_domain_runtime_disk_specs(def, &error);
    g_assert_null(specs);
    g_assert_error(error, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED);
    g_assert_nonnull(strstr(error->message, "'vdc'"));
    g_assert_nonnull(strstr(error->message, "'d2'"));
}


static void
test_run_plain_definition(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *base = qt_image(dir, "base.qcow2", "16M", NULL);
    g_autofree char *mid = qt_image(dir, "mid.qcow2", "16M", base);
    g_autofree char *top = qt_image(dir, "top.qcow2", "16M", mid);
    g_autofree char *data = qt_image(dir, "data.qcow2", "8M", NULL);
    g_autofree char *rundir = g_build_filename(dir, "run", NULL);
    g_autofree char *xml = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(BpDomainDef) def = NULL;
    g_autoptr(GPtrArray) specs = NULL;
    g_autoptr(BpQemuRuntimeConfig) config = NULL;
    g_autoptr(BpQemuStorage) st = NULL;
    g_autoptr(BpBlockGraph) graph = NULL;
    BpBlockDisk *disk;
    const char *sock;

    qt_require_tools();

    /* vda's chain spelled out; vdb left for the image to describe */
    xml = g_strdup_printf(
        "<domain>\n"
        "  <name>plain</name>\n"
        "  <devices>\n"
        "    <disk type='file'>\n"
        "      <driver type='qcow2'/>\n"
        "      <source file='%s'/>\n"
        "      <backingStore type='file'>\n"
        "        <format type='qcow2'/>\n"
        "        <source file='%s'/>\n"
        "        <backingStore type='file'>\n"
        "          <format type='qcow2'/>\n"
        "          <source file='%s'/>\n"
        "          <backingStore/>\n"
        "        </backingStore>\n"
        "      </backingStore>\n"
        "      <target dev='vda'/>\n"
        "    </disk>\n"
        "    <disk type='file'>\n"
        "      <driver type='qcow2'/>\n"
        "      <source file='%s'/>\n"
        "      <target dev='vdb'/>\n"
        "    </disk>\n"
        "  </devices>\n"
        "</domain>\n", top, mid, base, data);
    def = bp_domain_def_parse_string(xml, BP_DOMAIN_PARSE_VALIDATE, &error);
    g_assert_no_error(error);
    specs = bp_domain_runtime_disk_specs(def, &error);
    g_assert_no_error(error);
    config = bp_domain_runtime_config(def, rundir);
    g_assert_true(g_str_has_suffix(config->runtime_dir, "/run/plain"));

    st = qt_start(config, (BpQemuDiskSpec **) specs->pdata, specs->len,
                  BP_QEMU_STORAGE_START_DEFAULT, &error);
    g_assert_no_error(error);
    g_assert_nonnull(st);

    /* every layer opened under the stable names, top first */
    graph = qt_graph(st);
    disk = bp_block_graph_get_disk(graph, "vda");
    g_assert_nonnull(disk);
    g_assert_cmpuint(disk->chain->len, ==, 3);
    g_assert_cmpstr(((BpBlockNode *) disk->chain->pdata[0])->node_name, ==, "bp-vda-2-fmt");
    g_assert_cmpstr(((BpBlockNode *) disk->chain->pdata[2])->node_name, ==, "bp-vda-0-fmt");
    g_assert_cmpstr(((BpBlockNode *) disk->chain->pdata[2])->filename, ==, base);
    disk = bp_block_graph_get_disk(graph, "vdb");
    g_assert_nonnull(disk);
    g_assert_cmpuint(disk->chain->len, ==, 1);

    /* "guest" writes through the NBD exports land and read back */
    sock = bp_qemu_storage_get_nbd_socket(st);
    qt_nbd_write(sock, "vda", 1 << 20, 65536, 0xa5);
    qt_nbd_write(sock, "vdb", 0, 4096, 0x5a);
    qt_nbd_check(sock, "vda", 1 << 20, 65536, 0xa5);
    qt_nbd_check(sock, "vdb", 0, 4096, 0x5a);
    qt_nbd_check(sock, "vda", 0, 65536, 0x00);

    qt_stop(st);
    g_assert_true(bp_qemu_storage_get_exit_info(st)->clean);

    /* the writes went to the top image, not the backing layers */
    {
        g_autofree char *map = qt_qemu_img("map", "--output=json", "-f", "qcow2",
                                           mid, NULL);
        g_assert_null(strstr(map, "\"data\": true"));
    }
    bp_test_rmdir(dir);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jobs/domain-runtime/specs", test_specs);
    g_test_add_func("/jobs/domain-runtime/unsupported", test_specs_unsupported);
    g_test_add_func("/jobs/domain-runtime/run-plain-definition",
                    test_run_plain_definition);
    return g_test_run();
}
