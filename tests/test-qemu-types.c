/*
 * test-qemu-types.c: the pure parts of src/qemu — node naming, the
 * qemu-storage-daemon command line, and parsing QEMU's node graph from
 * replies shaped like QEMU 7.2's.
 */
#include <config.h>

#include <string.h>

#include "qemu/bp-block-graph.h"
#include "qemu/bp-qemu-types.h"
#include "qemu/bp-qsd-cmdline.h"
#include "util/bp-error.h"


static void
test_node_names(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BpQemuDiskSpec) spec = bp_qemu_disk_spec_new("vda", BP_QEMU_EXPORT_NBD);
    g_autofree char *name = NULL;
    g_autofree char *fmt = NULL;
    g_autofree char *file = NULL;

    name = bp_qemu_node_name("vda", 0, FALSE, &err);
    g_assert_cmpstr(name, ==, "bp-vda-0-fmt");
    g_clear_pointer(&name, g_free);
    /* 31 characters is the limit: a 21-character target fits. */
    name = bp_qemu_node_name("abcdefghijklmnopqrstu", 9, TRUE, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(strlen(name), ==, 31);
    g_clear_pointer(&name, g_free);
    g_assert_null(bp_qemu_node_name("abcdefghijklmnopqrstuv", 9, TRUE, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&err);
    g_assert_null(bp_qemu_node_name("v da", 0, FALSE, &err));
    g_clear_error(&err);
    g_assert_false(bp_qemu_node_name_is_valid("1abc"));
    g_assert_false(bp_qemu_node_name_is_valid(""));
    g_assert_true(bp_qemu_node_name_is_valid("a.b_c-d"));

    /* Layers count from the base; explicit names win. */
    bp_qemu_disk_spec_add_layer(spec, "/i/top", "qcow2", NULL);
    bp_qemu_disk_spec_add_layer(spec, "/i/mid", "qcow2", "mid");
    bp_qemu_disk_spec_add_layer(spec, "/i/base", "qcow2", NULL);
    g_assert_true(bp_qemu_disk_spec_node_names(spec, 0, &fmt, &file, &err));
    g_assert_cmpstr(fmt, ==, "bp-vda-2-fmt");
    g_assert_cmpstr(file, ==, "bp-vda-2-file");
    g_clear_pointer(&fmt, g_free);
    g_clear_pointer(&file, g_free);
    g_assert_true(bp_qemu_disk_spec_node_names(spec, 1, &fmt, &file, &err));
    g_assert_cmpstr(fmt, ==, "mid");
    g_assert_cmpstr(file, ==, "mid-file");
    g_clear_pointer(&fmt, g_free);
    g_clear_pointer(&file, g_free);
    g_assert_true(bp_qemu_disk_spec_node_names(spec, 2, &fmt, NULL, &err));
    g_assert_cmpstr(fmt, ==, "bp-vda-0-fmt");
    g_assert_cmpstr(bp_qemu_export_type_to_string(BP_QEMU_EXPORT_VHOST_USER_BLK), ==,
                    "vhost-user-blk");
}


static char *
joined_argv(BpQsdLayout *layout, GPtrArray *disks, GError **error)
{
    g_autoptr(GPtrArray) argv = NULL;

    if (!bp_qsd_layout_plan_exports(layout, disks, error) ||
        !(argv = bp_qsd_layout_build_argv(layout, "qsd", disks, error)))
        return NULL;
    return g_strjoinv(" ", (char **) argv->pdata);
}


static void
test_qsd_argv(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func((GDestroyNotify) bp_qemu_disk_spec_free);
    g_autoptr(BpQsdLayout) layout = bp_qsd_layout_new("/run/bp/a,b", FALSE);
    g_autoptr(BpQsdLayout) ro = bp_qsd_layout_new("/run/bp/ro", TRUE);
    g_autoptr(BpQsdLayout) deep = NULL;
    g_autofree char *cmd = NULL;
    g_autofree char *longdir = g_strnfill(100, 'x');
    BpQemuDiskSpec *vda = bp_qemu_disk_spec_new("vda", BP_QEMU_EXPORT_NBD);
    BpQemuDiskSpec *vdb = bp_qemu_disk_spec_new("vdb", BP_QEMU_EXPORT_VHOST_USER_BLK);
    const char *base_blockdev =
        "{\"driver\":\"qcow2\",\"node-name\":\"bp-vda-0-fmt\",\"file\":\"bp-vda-0-file\","
        "\"read-only\":true,\"backing\":null}";
    const char *base_file =
        "{\"driver\":\"file\",\"node-name\":\"bp-vda-0-file\",\"filename\":\"/i/base\","
        "\"auto-read-only\":true}";

    bp_qemu_disk_spec_add_layer(vda, "/i/top", "qcow2", NULL);
    bp_qemu_disk_spec_add_layer(vda, "/i/base", "qcow2", NULL);
    bp_qemu_disk_spec_add_layer(vdb, "/i/raw", "raw", NULL);
    vdb->readonly = TRUE;
    g_ptr_array_add(disks, vda);
    g_ptr_array_add(disks, vdb);

    cmd = joined_argv(layout, disks, &err);
    g_assert_no_error(err);
    g_test_message("%s", cmd);
    g_assert_nonnull(strstr(cmd, base_file));
    g_assert_nonnull(strstr(cmd, base_blockdev));
    /* the base comes before the node that names it */
    g_assert_true(strstr(cmd, base_blockdev) < strstr(cmd, "\"backing\":\"bp-vda-0-fmt\""));
    g_assert_nonnull(strstr(cmd, "{\"driver\":\"raw\",\"node-name\":\"bp-vdb-0-fmt\","
                                 "\"file\":\"bp-vdb-0-file\",\"read-only\":true}"));
    g_assert_nonnull(strstr(cmd, "\"type\":\"nbd\",\"id\":\"bp-exp-vda\",\"node-name\":"
                                 "\"bp-vda-1-fmt\",\"name\":\"vda\",\"writable\":true"));
    g_assert_nonnull(strstr(cmd, "\"type\":\"vhost-user-blk\",\"id\":\"bp-exp-vdb\""));
    g_assert_nonnull(strstr(cmd, "\"writable\":false"));
    /* QemuOpts doubles the comma of the path; the QMP chardev is last. */
    g_assert_true(g_str_has_suffix(cmd, "--chardev socket,id=bp-qmp,path=/run/bp/a,,b/qmp.sock,"
                                        "server=on,wait=off --monitor chardev=bp-qmp"));
    g_assert_cmpstr(g_hash_table_lookup(layout->top_nodes, "vda"), ==, "bp-vda-1-fmt");
    g_assert_cmpstr(g_hash_table_lookup(layout->export_sockets, "vdb"), ==,
                    "/run/bp/a,b/vhost-vdb.sock");
    g_clear_pointer(&cmd, g_free);

    /* read-only daemon: every node read-only, no exports */
    cmd = joined_argv(ro, disks, &err);
    g_assert_no_error(err);
    g_assert_null(strstr(cmd, "--export"));
    g_assert_null(strstr(cmd, "--nbd-server"));
    g_assert_null(strstr(cmd, "auto-read-only"));
    g_assert_nonnull(strstr(cmd, "{\"driver\":\"file\",\"node-name\":\"bp-vda-1-file\","
                                 "\"filename\":\"/i/top\",\"read-only\":true}"));
    g_clear_pointer(&cmd, g_free);

    /* a raw layer cannot sit on a backing image */
    bp_qemu_disk_spec_add_layer(vdb, "/i/under", "raw", NULL);
    g_assert_null(joined_argv(layout, disks, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_CONFIG_UNSUPPORTED);
    g_clear_error(&err);

    /* socket paths must fit in sockaddr_un */
    deep = bp_qsd_layout_new(longdir, FALSE);
    g_assert_null(joined_argv(deep, disks, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(err->message, "too long"));
}


/* Shaped like QEMU 7.2's replies: a format node's "file" is a json:
 * pseudo-filename, a backup job's bitmap has no name. */
static const char graph_nodes_json[] =
    "[{\"node-name\": \"top\", \"drv\": \"qcow2\", \"ro\": false,"
    "  \"file\": \"json:{\\\"driver\\\": \\\"qcow2\\\"}\","
    "  \"image\": {\"virtual-size\": 67108864, \"cluster-size\": 65536},"
    "  \"dirty-bitmaps\": [{\"name\": \"cp1\", \"recording\": true, \"persistent\": true,"
    "    \"busy\": false, \"granularity\": 65536, \"count\": 327680},"
    "    {\"recording\": true, \"persistent\": false, \"busy\": true,"
    "    \"granularity\": 65536, \"count\": 0}]},"
    " {\"node-name\": \"top-file\", \"drv\": \"file\", \"ro\": false, \"file\": \"/img/top.qcow2\","
    "  \"image\": {\"virtual-size\": 197120}},"
    " {\"node-name\": \"base\", \"drv\": \"qcow2\", \"ro\": true, \"file\": \"/img/base.qcow2\","
    "  \"image\": {\"virtual-size\": 67108864, \"cluster-size\": 65536},"
    "  \"dirty-bitmaps\": [{\"name\": \"old\", \"recording\": false, \"persistent\": true,"
    "    \"busy\": false, \"granularity\": 65536, \"count\": 0, \"inconsistent\": true}]},"
    " {\"node-name\": \"base-file\", \"drv\": \"file\", \"ro\": false, \"file\": \"/img/base.qcow2\"},"
    " {\"node-name\": \"loop1\", \"drv\": \"qcow2\", \"ro\": false, \"file\": \"/img/l1\"},"
    " {\"node-name\": \"loop2\", \"drv\": \"qcow2\", \"ro\": false, \"file\": \"/img/l2\"}]";
static const char graph_edges_json[] =
    "{\"nodes\": [{\"name\": \"top\", \"type\": \"block-driver\", \"id\": 2},"
    "  {\"name\": \"top-file\", \"type\": \"block-driver\", \"id\": 6},"
    "  {\"name\": \"base\", \"type\": \"block-driver\", \"id\": 5},"
    "  {\"name\": \"base-file\", \"type\": \"block-driver\", \"id\": 4},"
    "  {\"name\": \"loop1\", \"type\": \"block-driver\", \"id\": 7},"
    "  {\"name\": \"loop2\", \"type\": \"block-driver\", \"id\": 8},"
    "  {\"name\": \"\", \"type\": \"block-backend\", \"id\": 1}],"
    " \"edges\": [{\"name\": \"file\", \"parent\": 2, \"child\": 6},"
    "  {\"name\": \"backing\", \"parent\": 2, \"child\": 5},"
    "  {\"name\": \"file\", \"parent\": 5, \"child\": 4},"
    "  {\"name\": \"root\", \"parent\": 1, \"child\": 2},"
    "  {\"name\": \"backing\", \"parent\": 7, \"child\": 8},"
    "  {\"name\": \"backing\", \"parent\": 8, \"child\": 7}]}";


static void
test_graph_parse(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) nodes = json_from_string(graph_nodes_json, &err);
    g_autoptr(JsonNode) edges = json_from_string(graph_edges_json, &err);
    g_autoptr(BpBlockGraph) graph = NULL;
    g_autoptr(JsonNode) not_array = json_from_string("{}", NULL);
    g_autofree char *dump = NULL;
    BpBlockNode *node;

    g_assert_no_error(err);
    graph = bp_block_graph_parse(nodes, edges, &err);
    g_assert_no_error(err);
    g_assert_nonnull(bp_block_graph_add_disk(graph, "vda", "top", &err));
    dump = bp_block_graph_dump(graph);
    g_assert_cmpstr(dump, ==,
        "disk vda\n"
        "  top qcow2 rw size=67108864 cluster=65536 file=/img/top.qcow2\n"
        "    bitmap (anonymous) gran=65536 record=1 busy=1 persistent=0 inconsistent=0 count=0\n"
        "    bitmap cp1 gran=65536 record=1 busy=0 persistent=1 inconsistent=0 count=327680\n"
        "  base qcow2 ro size=67108864 cluster=65536 file=/img/base.qcow2\n"
        "    bitmap old gran=65536 record=0 busy=0 persistent=1 inconsistent=1 count=0\n");
    node = bp_block_graph_find_by_filename(graph, "/img/top.qcow2", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(node->node_name, ==, "top");
    node = bp_block_graph_find_by_filename(graph, "/img/base.qcow2", &err);
    g_assert_cmpstr(node->node_name, ==, "base");
    g_assert_null(bp_block_graph_find_by_filename(graph, "/img/none", &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&err);
    g_assert_null(bp_block_graph_add_disk(graph, "vdb", "nosuch", &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&err);
    g_assert_null(bp_block_graph_add_disk(graph, "vdc", "loop1", &err));
    g_assert_nonnull(strstr(err->message, "loops"));
    g_clear_error(&err);
    g_assert_null(bp_block_graph_parse(not_array, edges, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_QEMU);
    g_clear_error(&err);
    g_assert_null(bp_block_graph_parse(nodes, not_array, &err));
    g_assert_error(err, BP_ERROR, BP_ERROR_QEMU);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qemu/node-names", test_node_names);
    g_test_add_func("/qemu/qsd-argv", test_qsd_argv);
    g_test_add_func("/qemu/graph-parse", test_graph_parse);
    return g_test_run();
}
