/*
 * test-conf-domain.c: the <domain> document — parsing (what the model
 * holds), formatting (the kept document printed back in libvirt's layout
 * with changed fields written into it), definitions built in memory,
 * lookups, name rules, and every error.
 *
 * Golden files: confdata/domain/in/NAME.xml -> out/NAME.xml, except
 * full-libvirt whose expected output is its input.
 */
#include <config.h>

#include <string.h>

#include "conf/bp-domain-conf.h"
#include "util/bp-error.h"
#include "util/bp-xml.h"
#include "testutils.h"
#include "testconfutils.h"

#define FIXED_UUID "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


static BpDomainDef *
parse_file(const char *rel, GError **error)
{
    g_autofree char *path = bp_test_srcpath(rel);
    g_autofree char *xml = bp_test_load(path);

    return bp_domain_def_parse_string(xml, BP_DOMAIN_PARSE_VALIDATE, error);
}


/* ------------------------------------------------------------------ */
/* Golden round trips                                                  */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *name;
    gboolean unchanged;        /* expected output is the input itself */
    gboolean generated_uuid;   /* input has no uuid: fix the generated one */
} GoldenCase;

static const GoldenCase golden_cases[] = {
    /* a blkpoint-style minimal domain: the generated uuid is written
     * back after <name> */
    { "plain", FALSE, TRUE },
    /* a complete libvirt definition comes back byte for byte */
    { "full-libvirt", TRUE, FALSE },
    /* nested chains, an explicit end, an open end; hand-written input is
     * printed in libvirt's layout (single quotes, 2 spaces, no comments) */
    { "backing-chain", FALSE, FALSE },
    { "runtime-attach", TRUE, FALSE },
    { "runtime-offline", TRUE, FALSE },
    { "runtime-storage", TRUE, FALSE },
    /* cdrom with and without media, floppy, a network disk (kept as is) */
    { "removable", TRUE, FALSE },
    /* libvirt prints the root's attributes before its xmlns: */
    { "qemu-namespace", TRUE, FALSE },
    /* a bare upper-case uuid is printed in canonical form */
    { "uuid-bare", FALSE, FALSE },
};


static void
test_golden(gconstpointer data)
{
    const GoldenCase *tc = data;
    g_autofree char *inrel = g_strdup_printf("confdata/domain/in/%s.xml", tc->name);
    g_autofree char *outrel = g_strdup_printf("confdata/domain/%s/%s.xml",
                                              tc->unchanged ? "in" : "out",
                                              tc->name);
    g_autofree char *outpath = bp_test_srcpath(outrel);
    g_autoptr(BpDomainDef) def = NULL;
    g_autoptr(BpDomainDef) again = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *actual = NULL;
    g_autofree char *actual2 = NULL;

    def = parse_file(inrel, &error);
    g_assert_no_error(error);
    g_assert_nonnull(def->doc);

    if (tc->generated_uuid) {
        g_autofree char *canon = bp_uuid_canonicalize(def->uuid);

        /* g_uuid_string_random() gives the canonical form */
        g_assert_cmpstr(canon, ==, def->uuid);
        g_free(def->uuid);
        def->uuid = g_strdup(FIXED_UUID);
    }

    actual = bp_domain_def_format_string(def);
    if (tc->unchanged)
        bp_test_compare_exact(actual, outpath);
    else
        bp_test_compare_to_file(actual, outpath);

    /* The output is a valid document that formats to itself. */
    again = bp_domain_def_parse_string(actual, BP_DOMAIN_PARSE_VALIDATE, &error);
    g_assert_no_error(error);
    actual2 = bp_domain_def_format_string(again);
    g_assert_cmpstr(actual2, ==, actual);
}


/* ------------------------------------------------------------------ */
/* What the model holds                                                */
/* ------------------------------------------------------------------ */

static void
test_parse_chain(void)
{
    g_autoptr(BpDomainDef) def = NULL;
    g_autoptr(GError) error = NULL;
    BpStorageSource *src;
    BpDiskDef *disk;

    def = parse_file("confdata/domain/in/backing-chain.xml", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(def->name, ==, "chains");
    g_assert_cmpstr(def->uuid, ==, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    g_assert_null(def->description);
    g_assert_cmpint(def->runtime, ==, BP_RUNTIME_STORAGE);
    g_assert_cmpuint(def->ndisks, ==, 3);

    disk = def->disks[0];
    g_assert_cmpstr(disk->dst, ==, "vda");
    g_assert_cmpstr(disk->device, ==, "disk");
    g_assert_cmpint(disk->export_type, ==, BP_DISK_EXPORT_NBD);
    g_assert_cmpint(disk->snapshot, ==, BP_SNAPSHOT_LOCATION_DEFAULT);
    src = disk->src;
    g_assert_cmpint(src->type, ==, BP_STORAGE_TYPE_FILE);
    g_assert_cmpstr(src->path, ==, "/images/vda.snap2");
    g_assert_cmpstr(src->format, ==, "qcow2");
    g_assert_true(src->backing_known);
    src = src->backing;
    g_assert_cmpstr(src->path, ==, "/images/vda.snap1");
    g_assert_cmpstr(src->format, ==, "qcow2");
    g_assert_true(src->backing_known);
    src = src->backing;
    g_assert_cmpstr(src->path, ==, "/images/vda.img");
    g_assert_cmpstr(src->format, ==, "raw");
    g_assert_true(src->backing_known);
    g_assert_null(src->backing);

    disk = def->disks[1];
    g_assert_cmpint(disk->src->type, ==, BP_STORAGE_TYPE_FILE);  /* type= omitted */
    src = disk->src->backing;
    g_assert_nonnull(src);
    g_assert_cmpint(src->type, ==, BP_STORAGE_TYPE_BLOCK);
    g_assert_cmpstr(src->path, ==, "/dev/vg0/vdb-base");
    g_assert_false(src->backing_known);
    g_assert_null(src->backing);

    disk = def->disks[2];
    g_assert_cmpint(disk->src->type, ==, BP_STORAGE_TYPE_BLOCK);
    g_assert_cmpstr(disk->src->path, ==, "/dev/vg0/vdc");
    g_assert_false(disk->src->backing_known);
    g_assert_false(bp_disk_def_is_empty(disk));
}


static void
test_parse_runtimes(void)
{
    g_autoptr(BpDomainDef) attach = NULL;
    g_autoptr(BpDomainDef) offline = NULL;
    g_autoptr(BpDomainDef) storage = NULL;
    g_autoptr(GError) error = NULL;

    attach = parse_file("confdata/domain/in/runtime-attach.xml", &error);
    g_assert_no_error(error);
    g_assert_cmpint(attach->runtime, ==, BP_RUNTIME_ATTACH);
    g_assert_cmpstr(attach->monitor_path, ==, "/run/vm/attached/qmp.sock");
    g_assert_cmpstr(attach->disks[0]->src->node_name, ==, "drive-virtio-disk0");
    g_assert_null(attach->disks[1]->src->node_name);
    g_assert_cmpint(attach->disks[0]->export_type, ==, BP_DISK_EXPORT_NONE);

    offline = parse_file("confdata/domain/in/runtime-offline.xml", &error);
    g_assert_no_error(error);
    g_assert_cmpint(offline->runtime, ==, BP_RUNTIME_OFFLINE);
    g_assert_null(offline->monitor_path);
    g_assert_cmpint(offline->disks[0]->export_type, ==, BP_DISK_EXPORT_NONE);

    storage = parse_file("confdata/domain/in/runtime-storage.xml", &error);
    g_assert_no_error(error);
    g_assert_cmpint(storage->runtime, ==, BP_RUNTIME_STORAGE);
    g_assert_cmpint(storage->export_default, ==, BP_DISK_EXPORT_VHOST_USER_BLK);
    g_assert_cmpint(storage->disks[0]->export_type, ==, BP_DISK_EXPORT_VHOST_USER_BLK);
    g_assert_cmpint(storage->disks[1]->export_type, ==, BP_DISK_EXPORT_NBD);
}


static void
test_parse_removable(void)
{
    g_autoptr(BpDomainDef) def = NULL;
    g_autoptr(GError) error = NULL;

    def = parse_file("confdata/domain/in/removable.xml", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(def->ndisks, ==, 5);
    /* explicit snapshot='no' */
    g_assert_cmpint(def->disks[0]->snapshot, ==, BP_SNAPSHOT_LOCATION_NO);
    /* readonly cdrom with media: libvirt's default snapshot='no' */
    g_assert_cmpstr(def->disks[1]->device, ==, "cdrom");
    g_assert_true(def->disks[1]->src->readonly);
    g_assert_false(bp_disk_def_is_empty(def->disks[1]));
    g_assert_cmpint(def->disks[1]->snapshot, ==, BP_SNAPSHOT_LOCATION_NO);
    /* empty drives */
    g_assert_true(bp_disk_def_is_empty(def->disks[2]));
    g_assert_true(bp_disk_def_is_empty(def->disks[3]));
    g_assert_false(def->disks[3]->src->readonly);
    g_assert_cmpint(def->disks[3]->snapshot, ==, BP_SNAPSHOT_LOCATION_DEFAULT);
    /* network: kept, but not modelled (and never "empty") */
    g_assert_cmpint(def->disks[4]->src->type, ==, BP_STORAGE_TYPE_OTHER);
    g_assert_null(def->disks[4]->src->path);
    g_assert_cmpstr(def->disks[4]->src->format, ==, "raw");
    g_assert_false(bp_disk_def_is_empty(def->disks[4]));
}


/* Each parse of a uuid-less definition gets its own uuid. */
static void
test_generated_uuid(void)
{
    g_autoptr(BpDomainDef) a = NULL;
    g_autoptr(BpDomainDef) b = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    g_autofree char *expect = NULL;

    a = parse_file("confdata/domain/in/plain.xml", &error);
    g_assert_no_error(error);
    b = parse_file("confdata/domain/in/plain.xml", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(a->uuid, !=, b->uuid);
    out = bp_domain_def_format_string(a);
    expect = g_strdup_printf("  <name>vm1</name>\n  <uuid>%s</uuid>\n", a->uuid);
    g_assert_nonnull(strstr(out, expect));
}


/* ------------------------------------------------------------------ */
/* Definitions changed or built in memory                              */
/* ------------------------------------------------------------------ */

/* What an external snapshot and a hot-plug do to a libvirt definition:
 * only the touched elements change, everything else stays. */
static void
test_modified(void)
{
    g_autoptr(BpDomainDef) def = NULL;
    g_autoptr(BpDomainDef) orig = NULL;
    g_autoptr(BpDomainDef) again = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *outpath = bp_test_srcpath("confdata/domain/out/modified.xml");
    g_autofree char *orig_out = NULL;
    g_autofree char *orig_out2 = NULL;
    g_autofree char *actual = NULL;
    g_autofree char *actual2 = NULL;
    BpStorageSource *overlay;
    BpDiskDef *vdb;

    def = parse_file("confdata/domain/in/full-libvirt.xml", &error);
    g_assert_no_error(error);
    orig = bp_domain_def_copy(def);
    orig_out = bp_domain_def_format_string(orig);

    /* external snapshot of vda: a new qcow2 overlay on top */
    overlay = bp_storage_source_new(BP_STORAGE_TYPE_FILE);
    overlay->path = g_strdup("/var/lib/libvirt/images/fedora40.snap1");
    overlay->format = g_strdup("qcow2");
    overlay->backing = def->disks[0]->src;
    overlay->backing_known = TRUE;
    def->disks[0]->src = overlay;

    /* new description, no title change */
    g_free(def->description);
    def->description = g_strdup("after the snapshot");

    /* the cdrom goes, a data disk comes (on a block device, readonly) */
    bp_disk_def_free(def->disks[1]);
    vdb = bp_disk_def_new("vdb", BP_STORAGE_TYPE_BLOCK, "/dev/vg0/data", "raw");
    vdb->src->readonly = TRUE;
    vdb->snapshot = BP_SNAPSHOT_LOCATION_NO;
    def->disks[1] = vdb;

    actual = bp_domain_def_format_string(def);
    bp_test_compare_to_file(actual, outpath);

    /* the copy taken before is independent */
    orig_out2 = bp_domain_def_format_string(orig);
    g_assert_cmpstr(orig_out, ==, orig_out2);

    /* the output reads back to the same model */
    again = bp_domain_def_parse_string(actual, BP_DOMAIN_PARSE_VALIDATE, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(again->disks[0]->src->path, ==, "/var/lib/libvirt/images/fedora40.snap1");
    g_assert_cmpstr(again->disks[0]->src->backing->path, ==,
                    "/var/lib/libvirt/images/fedora40.qcow2");
    g_assert_cmpstr(again->disks[0]->src->backing->backing->path, ==,
                    "/var/lib/libvirt/images/fedora40-base.qcow2");
    g_assert_true(again->disks[0]->src->backing->backing->backing_known);
    g_assert_true(again->disks[1]->src->readonly);
    g_assert_cmpint(again->disks[1]->snapshot, ==, BP_SNAPSHOT_LOCATION_NO);
    actual2 = bp_domain_def_format_string(again);
    g_assert_cmpstr(actual2, ==, actual);
}


/* The chain shrinks (block commit), the runtime changes, a disk moves. */
static void
test_modified_chain(void)
{
    g_autoptr(BpDomainDef) def = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *outpath = bp_test_srcpath("confdata/domain/out/modified-chain.xml");
    g_autofree char *actual = NULL;
    BpStorageSource *mid;
    BpDiskDef *tmp;

    def = parse_file("confdata/domain/in/backing-chain.xml", &error);
    g_assert_no_error(error);

    /* commit vda.snap1 into vda.img: the middle layer disappears */
    mid = def->disks[0]->src->backing;
    def->disks[0]->src->backing = mid->backing;
    mid->backing = NULL;
    bp_storage_source_free(mid);

    /* vdb's chain becomes known to end below its base */
    def->disks[1]->src->backing->backing_known = TRUE;

    /* vdb and vdc swap places */
    tmp = def->disks[1];
    def->disks[1] = def->disks[2];
    def->disks[2] = tmp;

    def->runtime = BP_RUNTIME_ATTACH;
    def->monitor_path = g_strdup("/run/chains/qmp.sock");
    def->disks[0]->src->node_name = g_strdup("vda-top");

    actual = bp_domain_def_format_string(def);
    bp_test_compare_to_file(actual, outpath);
}


static void
test_built(void)
{
    g_autoptr(BpDomainDef) def = bp_domain_def_new("built");
    g_autoptr(BpDomainDef) again = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *outpath = bp_test_srcpath("confdata/domain/out/built.xml");
    g_autofree char *actual = NULL;
    g_autofree char *actual2 = NULL;
    BpDiskDef *disk;
    BpStorageSource *base;

    g_assert_nonnull(def->uuid);
    g_assert_null(def->doc);
    g_free(def->uuid);
    def->uuid = g_strdup(FIXED_UUID);
    def->description = g_strdup("made in memory");

    disk = bp_disk_def_new("vda", BP_STORAGE_TYPE_FILE, "/images/built.qcow2", "qcow2");
    base = bp_storage_source_new(BP_STORAGE_TYPE_FILE);
    base->path = g_strdup("/images/built-base.raw");
    base->format = g_strdup("raw");
    base->backing_known = TRUE;
    disk->src->backing = base;
    disk->src->backing_known = TRUE;
    disk->export_type = BP_DISK_EXPORT_VHOST_USER_BLK;
    bp_domain_def_add_disk(def, disk);

    disk = bp_disk_def_new("sdb", BP_STORAGE_TYPE_FILE, NULL, NULL);
    g_free(disk->device);
    disk->device = g_strdup("cdrom");
    disk->src->readonly = TRUE;
    disk->snapshot = BP_SNAPSHOT_LOCATION_NO;
    bp_domain_def_add_disk(def, disk);

    disk = bp_disk_def_new("vdc", BP_STORAGE_TYPE_BLOCK, "/dev/vg0/built", NULL);
    bp_domain_def_add_disk(def, disk);

    actual = bp_domain_def_format_string(def);
    bp_test_compare_to_file(actual, outpath);

    again = bp_domain_def_parse_string(actual, BP_DOMAIN_PARSE_VALIDATE, &error);
    g_assert_no_error(error);
    g_assert_cmpint(again->disks[0]->export_type, ==, BP_DISK_EXPORT_VHOST_USER_BLK);
    g_assert_cmpint(again->disks[2]->export_type, ==, BP_DISK_EXPORT_NBD);
    g_assert_true(again->disks[0]->src->backing->backing_known);
    actual2 = bp_domain_def_format_string(again);
    g_assert_cmpstr(actual2, ==, actual);
}


/* bp_domain_def_format() indents the whole definition at the buffer's
 * level, as a checkpoint embeds it. */
static void
test_format_indent(void)
{
    g_autoptr(BpDomainDef) def = bp_domain_def_new("x");
    g_auto(BpBuf) buf = BP_BUF_INIT;
    g_autofree char *out = NULL;

    g_free(def->uuid);
    def->uuid = g_strdup(FIXED_UUID);
    bp_buf_add(&buf, "<outer>\n");
    bp_buf_adjust_indent(&buf, 2);
    bp_domain_def_format(&buf, def);
    bp_buf_adjust_indent(&buf, -2);
    bp_buf_add(&buf, "</outer>\n");
    out = bp_buf_steal(&buf);
    g_assert_cmpstr(out, ==,
                    "<outer>\n"
                    "  <domain>\n"
                    "    <name>x</name>\n"
                    "    <uuid>" FIXED_UUID "</uuid>\n"
                    "  </domain>\n"
                    "</outer>\n");
}


/* A <domain> inside another document: messages give lines of the outer
 * document; the result owns its copy. */
static void
test_parse_node(void)
{
    const char *outer =
        "<wrapper>\n"
        "  <domain>\n"
        "    <name>inner</name>\n"
        "    <devices>\n"
        "      <disk type='file'><source file='/x.qcow2'/><target dev='vda'/></disk>\n"
        "      <disk type='file'><source file='/y.qcow2'/><target dev='vda'/></disk>\n"
        "    </devices>\n"
        "  </domain>\n"
        "</wrapper>\n";
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autoptr(BpDomainDef) def = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *fixed = NULL;

    doc = bp_xml_parse(outer, "wrapper", "wrapper", NULL, &ctxt, &error);
    g_assert_no_error(error);
    def = bp_domain_def_parse_node(bp_xpath_node("./domain", ctxt), 0, &error);
    g_assert_null(def);
    bp_test_assert_error(error, BP_ERROR_XML_INVALID,
                         (const char *const[]) { "disk 'vda' specified twice",
                                                 "line 6", NULL });
    g_clear_error(&error);

    def = bp_domain_def_parse_node(bp_xpath_node("./domain/name", ctxt), 0, &error);
    g_assert_null(def);
    bp_test_assert_error(error, BP_ERROR_XML_INVALID,
                         (const char *const[]) { "<name>", NULL });
    g_clear_error(&error);

    fixed = bp_test_replace(outer, "/y.qcow2'/><target dev='vda'", "/y.qcow2'/><target dev='vdb'");
    g_clear_pointer(&ctxt, xmlXPathFreeContext);
    g_clear_pointer(&doc, xmlFreeDoc);
    doc = bp_xml_parse(fixed, "wrapper", "wrapper", NULL, &ctxt, &error);
    g_assert_no_error(error);
    def = bp_domain_def_parse_node(bp_xpath_node("./domain", ctxt),
                                   BP_DOMAIN_PARSE_VALIDATE, &error);
    g_assert_no_error(error);
    g_clear_pointer(&ctxt, xmlXPathFreeContext);
    g_clear_pointer(&doc, xmlFreeDoc);
    g_assert_cmpuint(def->ndisks, ==, 2);
    g_assert_cmpstr(def->disks[1]->src->path, ==, "/y.qcow2");
}


/* ------------------------------------------------------------------ */
/* Lookups and rules                                                   */
/* ------------------------------------------------------------------ */

static void
test_lookup(void)
{
    g_autoptr(BpDomainDef) def = bp_domain_def_new("lookup");

    bp_domain_def_add_disk(def, bp_disk_def_new("vda", BP_STORAGE_TYPE_FILE, "/a.qcow2", "qcow2"));
    bp_domain_def_add_disk(def, bp_disk_def_new("vdb", BP_STORAGE_TYPE_FILE, "/shared.img", "raw"));
    bp_domain_def_add_disk(def, bp_disk_def_new("vdc", BP_STORAGE_TYPE_FILE, "/shared.img", "raw"));
    bp_domain_def_add_disk(def, bp_disk_def_new("sda", BP_STORAGE_TYPE_FILE, NULL, NULL));

    g_assert_true(bp_domain_def_find_disk(def, "vdb") == def->disks[1]);
    g_assert_null(bp_domain_def_find_disk(def, "/a.qcow2"));
    g_assert_null(bp_domain_def_find_disk(def, NULL));
    g_assert_true(bp_domain_def_find_disk_by_name_or_path(def, "vda") == def->disks[0]);
    g_assert_true(bp_domain_def_find_disk_by_name_or_path(def, "/a.qcow2") == def->disks[0]);
    /* ambiguous path */
    g_assert_null(bp_domain_def_find_disk_by_name_or_path(def, "/shared.img"));
    /* a name without '/' is a target, never a path */
    g_assert_null(bp_domain_def_find_disk_by_name_or_path(def, "a.qcow2"));
    g_assert_null(bp_domain_def_find_disk_by_name_or_path(def, "/nowhere"));
    g_assert_true(bp_disk_def_is_empty(def->disks[3]));
    g_assert_false(bp_disk_def_is_empty(def->disks[0]));
}


static void
test_names(void)
{
    static const char *const moment_ok[] = {
        "c1", "1525889631", "_x", "-x", "a.b.c", "nightly-2024.05_01", NULL
    };
    static const char *const moment_bad[] = {
        "", ".hidden", "../escape", "a/b", "a b", "a\nb", "é", NULL
    };
    static const char *const domain_ok[] = {
        "vm1", "my vm", "x.y", "Ωmega", "a..b", NULL
    };
    static const char *const domain_bad[] = {
        "", ".", "..", ".hidden", "a/b", "a\nb", "a\rb", NULL
    };
    g_autofree char *long_name = g_strnfill(256, 'a');

    for (size_t i = 0; moment_ok[i]; i++)
        g_assert_true(bp_name_is_valid(moment_ok[i]));
    for (size_t i = 0; moment_bad[i]; i++)
        g_assert_false(bp_name_is_valid(moment_bad[i]));
    g_assert_false(bp_name_is_valid(NULL));
    g_assert_false(bp_name_is_valid(long_name));
    long_name[255] = '\0';
    g_assert_true(bp_name_is_valid(long_name));

    for (size_t i = 0; domain_ok[i]; i++)
        g_assert_true(bp_domain_name_is_valid(domain_ok[i]));
    for (size_t i = 0; domain_bad[i]; i++)
        g_assert_false(bp_domain_name_is_valid(domain_bad[i]));
    g_assert_false(bp_domain_name_is_valid(NULL));
}


static void
test_uuid(void)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        { "8B2C4E0A6F1D4C3B9A572D1E0F6A7B9C", "8b2c4e0a-6f1d-4c3b-9a57-2d1e0f6a7b9c" },
        { "8b2c4e0a-6f1d-4c3b-9a57-2d1e0f6a7b9c", "8b2c4e0a-6f1d-4c3b-9a57-2d1e0f6a7b9c" },
        { "  8b2c-4e0a6f1d4c3b9a572d1e0f6a7b9c \n", "8b2c4e0a-6f1d-4c3b-9a57-2d1e0f6a7b9c" },
        { "8b2c4e0a6f1d4c3b9a572d1e0f6a7b9", NULL },     /* 31 digits */
        { "8b2c4e0a6f1d4c3b9a572d1e0f6a7b9c0", NULL },   /* 33 digits */
        { "8b2c4e0a6f1d4c3b9a572d1e0f6a7b9g", NULL },
        { "", NULL },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = bp_uuid_canonicalize(cases[i].in);

        g_assert_cmpstr(out, ==, cases[i].out);
    }
    g_assert_null(bp_uuid_canonicalize(NULL));
}


static void
test_enums(void)
{
    g_assert_cmpstr(bp_storage_type_to_string(BP_STORAGE_TYPE_BLOCK), ==, "block");
    g_assert_cmpstr(bp_runtime_to_string(BP_RUNTIME_ATTACH), ==, "attach");
    g_assert_cmpint(bp_disk_export_from_string("vhost-user-blk"), ==,
                    BP_DISK_EXPORT_VHOST_USER_BLK);
    g_assert_cmpint(bp_snapshot_location_from_string("external"), ==,
                    BP_SNAPSHOT_LOCATION_EXTERNAL);
    g_assert_cmpint(bp_snapshot_location_from_string("bogus"), ==, -1);
}


/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *name;
    const char *xml;
    unsigned int flags;
    int code;
    const char *subs[4];
} ErrorCase;

#define DISK(dev, file) \
    "<disk type='file'><source file='" file "'/><target dev='" dev "'/></disk>"
#define V BP_DOMAIN_PARSE_VALIDATE

static const ErrorCase error_cases[] = {
    { "malformed", "<domain>\n  <name>vm1</name>\n  <devices>\n</domain>\n",
      0, BP_ERROR_XML_SYNTAX, { "line 4", NULL } },
    { "empty", "", 0, BP_ERROR_XML_SYNTAX, { "empty", NULL } },
    { "wrong-root", "<domaincheckpoint/>", 0, BP_ERROR_XML_INVALID,
      { "<domain>", "<domaincheckpoint>", NULL } },
    { "schema", "<domain>\n  <name>vm1</name>\n  <uuid>zz</uuid>\n</domain>\n",
      V, BP_ERROR_XML_INVALID, { "domain.rng", "line 3", NULL } },
    /* found by fuzzing: read one way, written back another */
    { "two-devices",
      "<domain>\n  <name>d</name>\n  <devices/>\n  <devices/>\n</domain>", 0,
      BP_ERROR_XML_INVALID, { "more than one <devices> element", "line 4", NULL } },
    { "two-names",
      "<domain>\n  <name>d</name>\n  <name>e</name>\n</domain>", 0,
      BP_ERROR_XML_INVALID, { "more than one <name> element", "line 3", NULL } },
    { "no-name", "<domain>\n  <devices/>\n</domain>", 0, BP_ERROR_XML_INVALID,
      { "no <name>", "line 1", NULL } },
    { "name-slash", "<domain>\n  <name>a/b</name>\n</domain>", 0, BP_ERROR_XML_INVALID,
      { "invalid domain name 'a/b'", "line 2", NULL } },
    /* stricter than libvirt (which only refuses '/'): a leading dot
     * would make a hidden directory in the catalogue */
    { "name-dot", "<domain><name>.hidden</name></domain>", 0, BP_ERROR_XML_INVALID,
      { "invalid domain name '.hidden'", NULL } },
    { "name-escape", "<domain><name>../escape</name></domain>", 0, BP_ERROR_XML_INVALID,
      { "'../escape'", NULL } },
    { "bad-uuid", "<domain><name>vm1</name>\n<uuid>1234</uuid></domain>", 0,
      BP_ERROR_XML_INVALID, { "malformed uuid '1234'", "line 2", NULL } },
    { "missing-target",
      "<domain><name>vm1</name><devices>\n"
      "<disk type='file'>\n<source file='/a.qcow2'/>\n</disk></devices></domain>",
      0, BP_ERROR_XML_INVALID, { "no <target dev=", "'vm1'", "line 2" } },
    { "missing-target-schema",
      "<domain><name>vm1</name><devices>\n"
      "<disk type='file'>\n<source file='/a.qcow2'/>\n</disk></devices></domain>",
      /* libxml2 reports the failed interleave on <domain> */
      V, BP_ERROR_XML_INVALID, { "domain.rng", "line 1", NULL } },
    /* libvirt words it "target 'vda' duplicated for disk sources ..." */
    { "duplicate-target",
      "<domain><name>vm1</name><devices>\n" DISK("vda", "/a.qcow2") "\n"
      DISK("vda", "/b.qcow2") "\n</devices></domain>",
      V, BP_ERROR_XML_INVALID, { "disk 'vda' specified twice", "line 3", NULL } },
    { "relative-source",
      "<domain><name>vm1</name><devices>\n" DISK("vda", "a.qcow2")
      "</devices></domain>",
      0, BP_ERROR_XML_INVALID, { "source path 'a.qcow2'", "absolute", "line 2" } },
    { "relative-backing",
      "<domain><name>vm1</name><devices><disk type='file'><source file='/a'/>\n"
      "<backingStore type='file'><format type='qcow2'/><source file='b'/></backingStore>"
      "<target dev='vda'/></disk></devices></domain>",
      0, BP_ERROR_XML_INVALID, { "source path 'b'", "line 2", NULL } },
    { "backing-no-source",
      "<domain><name>vm1</name><devices><disk type='file'><source file='/a'/>\n"
      "<backingStore type='file'><format type='qcow2'/></backingStore>"
      "<target dev='vda'/></disk></devices></domain>",
      0, BP_ERROR_XML_INVALID, { "backing image of disk 'vda'", "no source", "line 2" } },
    { "disk-without-source",
      "<domain><name>vm1</name><devices>\n<disk type='file' device='disk'>"
      "<target dev='vda'/></disk></devices></domain>",
      0, BP_ERROR_XML_INVALID, { "disk 'vda'", "no source", "line 2" } },
    { "unknown-device",
      "<domain><name>vm1</name><devices><disk type='file' device='tape'>"
      "<source file='/a'/><target dev='vda'/></disk></devices></domain>",
      0, BP_ERROR_XML_INVALID, { "'tape'", "'vda'", NULL } },
    { "unknown-snapshot",
      "<domain><name>vm1</name><devices><disk type='file' snapshot='sometimes'>"
      "<source file='/a'/><target dev='vda'/></disk></devices></domain>",
      0, BP_ERROR_XML_INVALID, { "'sometimes'", "'vda'", NULL } },
    { "runtime-unknown",
      "<domain><name>vm1</name>\n<runtime type='cloud'/></domain>",
      0, BP_ERROR_XML_INVALID, { "unknown runtime type 'cloud'", "line 2", NULL } },
    { "runtime-twice",
      "<domain><name>vm1</name><runtime type='offline'/>\n<runtime type='offline'/></domain>",
      0, BP_ERROR_XML_INVALID, { "more than one <runtime>", "line 2", NULL } },
    { "monitor-relative",
      "<domain><name>vm1</name>\n<runtime type='attach'>\n"
      "<monitor path='qmp.sock'/></runtime></domain>",
      0, BP_ERROR_XML_INVALID,
      { "monitor path 'qmp.sock' of domain 'vm1' must be absolute", "line 3", NULL } },
    { "monitor-relative-schema",
      "<domain><name>vm1</name>\n<runtime type='attach'>\n"
      "<monitor path='qmp.sock'/></runtime></domain>",
      V, BP_ERROR_XML_INVALID, { "domain.rng", NULL } },
    { "monitor-missing",
      "<domain><name>vm1</name>\n<runtime type='attach'/></domain>",
      0, BP_ERROR_XML_INVALID, { "needs <monitor", "line 2", NULL } },
    { "monitor-in-storage",
      "<domain><name>vm1</name><runtime type='storage'>\n<monitor path='/q'/>"
      "</runtime></domain>",
      0, BP_ERROR_XML_INVALID, { "unexpected <monitor>", "line 2", NULL } },
    { "export-unknown",
      "<domain><name>vm1</name><runtime type='storage'>\n<export type='iscsi'/>"
      "</runtime></domain>",
      0, BP_ERROR_XML_INVALID, { "unknown export type 'iscsi'", "line 2", NULL } },
    { "export-in-attach",
      "<domain><name>vm1</name><runtime type='attach'><monitor path='/q'/></runtime>"
      "<devices><disk type='file'><source file='/a'/><target dev='vda'/>\n"
      "<export type='nbd'/></disk></devices></domain>",
      0, BP_ERROR_XML_INVALID, { "<export> of disk 'vda'", "storage runtime", "line 2" } },
    { "node-in-storage",
      "<domain><name>vm1</name><devices><disk type='file'><source file='/a'/>"
      "<target dev='vda'/>\n<node name='n1'/></disk></devices></domain>",
      0, BP_ERROR_XML_INVALID, { "<node> of disk 'vda'", "attach runtime", "line 2" } },
};


static void
test_error(gconstpointer data)
{
    const ErrorCase *tc = data;
    g_autoptr(BpDomainDef) def = NULL;
    g_autoptr(GError) error = NULL;

    def = bp_domain_def_parse_string(tc->xml, tc->flags, &error);
    g_assert_null(def);
    bp_test_assert_error(error, tc->code, tc->subs);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(golden_cases); i++) {
        g_autofree char *path = g_strdup_printf("/conf/domain/golden/%s",
                                                golden_cases[i].name);

        g_test_add_data_func(path, &golden_cases[i], test_golden);
    }
    g_test_add_func("/conf/domain/parse/chain", test_parse_chain);
    g_test_add_func("/conf/domain/parse/runtimes", test_parse_runtimes);
    g_test_add_func("/conf/domain/parse/removable", test_parse_removable);
    g_test_add_func("/conf/domain/parse/generated-uuid", test_generated_uuid);
    g_test_add_func("/conf/domain/parse/node", test_parse_node);
    g_test_add_func("/conf/domain/format/modified", test_modified);
    g_test_add_func("/conf/domain/format/modified-chain", test_modified_chain);
    g_test_add_func("/conf/domain/format/built", test_built);
    g_test_add_func("/conf/domain/format/indent", test_format_indent);
    g_test_add_func("/conf/domain/lookup", test_lookup);
    g_test_add_func("/conf/domain/names", test_names);
    g_test_add_func("/conf/domain/uuid", test_uuid);
    g_test_add_func("/conf/domain/enums", test_enums);

    for (size_t i = 0; i < G_N_ELEMENTS(error_cases); i++) {
        g_autofree char *path = g_strdup_printf("/conf/domain/error/%s",
                                                error_cases[i].name);

        g_test_add_data_func(path, &error_cases[i], test_error);
    }

    return g_test_run();
}
