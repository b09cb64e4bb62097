/*
 * test-conf-snapshot.c: <domainsnapshot> for external disk-only
 * snapshots — parsing, alignment against a domain (libvirt's defaults and
 * generated overlay names), formatting, redefinition and every error.
 *
 * Generated overlay names need the disks' sources to exist as regular
 * files (libvirt checks with stat()), so the fake domain
 * confdata/snapshot/domain.xml names files in a temporary directory: the
 * golden files write it as @DIR@.
 */
#include <config.h>

#include <glib/gstdio.h>
#include <string.h>

#include "conf/bp-domain-chain.h"
#include "conf/bp-snapshot-conf.h"
#include "util/bp-error.h"
#include "testutils.h"
#include "testconfutils.h"

#define NOW 1700000000

/* The temporary directory standing for @DIR@. */
static char *tmpdir;


static char *
with_dir(const char *text)
{
    return bp_test_replace(text, "@DIR@", tmpdir);
}


static char *
without_dir(const char *text)
{
    return bp_test_replace(text, tmpdir, "@DIR@");
}


static BpDomainDef *
load_fake_domain(void)
{
    g_autofree char *path = bp_test_srcpath("confdata/snapshot/domain.xml");
    g_autofree char *raw = bp_test_load(path);
    g_autofree char *xml = with_dir(raw);
    g_autoptr(GError) error = NULL;
    BpDomainDef *dom = bp_domain_def_parse_string(xml, BP_DOMAIN_PARSE_VALIDATE,
                                                  &error);

    g_assert_no_error(error);
    return dom;
}


/* The sources of the fake domain's disks, as empty regular files. */
static void
make_images(void)
{
    static const char *const files[] = {
        "vm1-vda.qcow2", "data.d/vdb", "install.iso",
    };
    g_autofree char *sub = g_build_filename(tmpdir, "data.d", NULL);

    g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = g_build_filename(tmpdir, files[i], NULL);

        g_assert_true(g_file_set_contents(path, "", 0, NULL));
    }
}


static const char *const existing_tree[][2] = {
    { "s0", NULL },
    { "s1", "s0" },
};


static gboolean
lookup_existing(const char *name, char **parent, gpointer opaque G_GNUC_UNUSED)
{
    for (size_t i = 0; i < G_N_ELEMENTS(existing_tree); i++) {
        if (g_str_equal(existing_tree[i][0], name)) {
            *parent = g_strdup(existing_tree[i][1]);
            return TRUE;
        }
    }
    return FALSE;
}


/* ------------------------------------------------------------------ */
/* Golden cases                                                        */
/* ------------------------------------------------------------------ */

typedef enum {
    STEP_CREATE,            /* parse, dom = fake domain, align (offline) */
    STEP_CREATE_ACTIVE,     /* the same for a running domain */
    STEP_REDEFINE,          /* parse with REDEFINE, redefine_prep */
} GoldenStep;

typedef struct {
    const char *name;
    GoldenStep step;
    gboolean validate;      /* check against domainsnapshot.rng */
} GoldenCase;

static const GoldenCase golden_cases[] = {
    /* nothing given: name = creation time; every disk with media that is
     * neither readonly nor snapshot='no' in the domain gets a qcow2
     * overlay <source without extension>.<name> (the extension of a
     * directory name is kept); offline: state shutoff; the domain is
     * stored */
    { "defaults", STEP_CREATE, TRUE },
    /* running domain: state disk-snapshot; <memory snapshot='no'/> */
    { "named-active", STEP_CREATE_ACTIVE, TRUE },
    /* explicit overlay for one disk, another one excluded */
    { "explicit", STEP_CREATE, TRUE },
    /* a disk named by its path; a <source> alone means external */
    { "by-path", STEP_CREATE, TRUE },
    /* a qcow2 overlay on a block device */
    { "block-overlay", STEP_CREATE, TRUE },
    /* a libvirt dump: state, parent, domain, inactiveDomain and cookie
     * come back */
    { "redefine", STEP_REDEFINE, TRUE },
};


static void
test_golden(gconstpointer data)
{
    const GoldenCase *tc = data;
    g_autofree char *inrel = g_strdup_printf("confdata/snapshot/in/%s.xml", tc->name);
    g_autofree char *outrel = g_strdup_printf("confdata/snapshot/out/%s.xml", tc->name);
    g_autofree char *inpath = bp_test_srcpath(inrel);
    g_autofree char *outpath = bp_test_srcpath(outrel);
    g_autofree char *raw = bp_test_load(inpath);
    g_autofree char *xml = with_dir(raw);
    g_autofree char *formatted = NULL;
    g_autofree char *actual = NULL;
    g_autoptr(BpDomainDef) dom = load_fake_domain();
    g_autoptr(BpSnapshotDef) def = NULL;
    g_autoptr(BpSnapshotDef) again = NULL;
    g_autofree char *formatted2 = NULL;
    g_autoptr(GError) error = NULL;
    unsigned int flags = tc->validate ? BP_SNAPSHOT_PARSE_VALIDATE : 0;

    if (tc->step == STEP_REDEFINE)
        flags |= BP_SNAPSHOT_PARSE_REDEFINE;
    def = bp_snapshot_def_parse_string(xml, flags, NOW, &error);
    g_assert_no_error(error);

    if (tc->step == STEP_REDEFINE) {
        g_assert_true(bp_snapshot_def_redefine_prep(def, dom, lookup_existing,
                                                    NULL, &error));
    } else {
        g_assert_cmpint(def->creation_time, ==, NOW);
        g_assert_cmpint(def->state, ==, BP_SNAPSHOT_STATE_NONE);
        def->dom = bp_domain_def_copy(dom);
        g_assert_true(bp_snapshot_def_align_disks(def, NULL,
                                                  tc->step == STEP_CREATE_ACTIVE
                                                  ? BP_SNAPSHOT_ALIGN_ACTIVE : 0,
                                                  &error));
    }
    g_assert_no_error(error);

    formatted = bp_snapshot_def_format(def, BP_SNAPSHOT_FORMAT_SECURE);
    actual = without_dir(formatted);
    bp_test_compare_to_file(actual, outpath);

    /* what we print reads back, as a redefinition, to the same */
    again = bp_snapshot_def_parse_string(formatted,
                                         BP_SNAPSHOT_PARSE_REDEFINE |
                                         (tc->validate ? BP_SNAPSHOT_PARSE_VALIDATE : 0),
                                         0, &error);
    g_assert_no_error(error);
    formatted2 = bp_snapshot_def_format(again, 0);
    g_assert_cmpstr(formatted2, ==, formatted);
}


/* The model after alignment, checked field by field. */
static void
test_align_struct(void)
{
    g_autoptr(BpDomainDef) dom = load_fake_domain();
    g_autoptr(BpSnapshotDef) def = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *vda = NULL;
    BpSnapshotDiskDef *disk;

    def = bp_snapshot_def_parse_string("<domainsnapshot><name>x1</name><disks>"
                                       "<disk name='vdb' snapshot='no'/>"
                                       "</disks></domainsnapshot>", 0, 7, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(def->ndisks, ==, 1);
    g_assert_cmpint(def->disks[0]->snapshot, ==, BP_SNAPSHOT_LOCATION_NO);
    g_assert_cmpint(def->memory, ==, BP_SNAPSHOT_LOCATION_DEFAULT);

    g_assert_true(bp_snapshot_def_align_disks(def, dom, BP_SNAPSHOT_ALIGN_ACTIVE, &error));
    g_assert_no_error(error);
    g_assert_null(def->dom);
    g_assert_cmpint(def->state, ==, BP_SNAPSHOT_STATE_DISK_SNAPSHOT);
    g_assert_cmpint(def->memory, ==, BP_SNAPSHOT_LOCATION_NO);
    g_assert_cmpuint(def->ndisks, ==, dom->ndisks);
    for (size_t i = 0; i < def->ndisks; i++)
        g_assert_cmpstr(def->disks[i]->name, ==, dom->disks[i]->dst);

    disk = bp_snapshot_def_find_disk(def, "vda");
    vda = g_build_filename(tmpdir, "vm1-vda.x1", NULL);
    g_assert_cmpint(disk->snapshot, ==, BP_SNAPSHOT_LOCATION_EXTERNAL);
    g_assert_cmpint(disk->src->type, ==, BP_STORAGE_TYPE_FILE);
    g_assert_cmpstr(disk->src->path, ==, vda);
    g_assert_cmpstr(disk->src->format, ==, "qcow2");
    for (size_t i = 1; i < def->ndisks; i++) {
        g_assert_cmpint(def->disks[i]->snapshot, ==, BP_SNAPSHOT_LOCATION_NO);
        g_assert_null(def->disks[i]->src->path);
    }
    g_assert_null(bp_snapshot_def_find_disk(def, "vdz"));
}


/* Two sources that differ only in their extension would get the same
 * overlay: refused, naming both disks. */
static void
test_name_collision(void)
{
    g_autoptr(BpDomainDef) dom = bp_domain_def_new("twins");
    g_autoptr(BpSnapshotDef) def = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *a = g_build_filename(tmpdir, "twin.qcow2", NULL);
    g_autofree char *b = g_build_filename(tmpdir, "twin.raw", NULL);

    g_assert_true(g_file_set_contents(a, "", 0, NULL));
    g_assert_true(g_file_set_contents(b, "", 0, NULL));
    bp_domain_def_add_disk(dom, bp_disk_def_new("vda", BP_STORAGE_TYPE_FILE, a, "qcow2"));
    bp_domain_def_add_disk(dom, bp_disk_def_new("vdb", BP_STORAGE_TYPE_FILE, b, "raw"));

    def = bp_snapshot_def_parse_string("<domainsnapshot><name>t</name></domainsnapshot>",
                                       0, NOW, &error);
    g_assert_no_error(error);
    g_assert_false(bp_snapshot_def_align_disks(def, dom, 0, &error));
    bp_test_assert_error(error, BP_ERROR_CONFIG_UNSUPPORTED,
                         (const char *const[]) {
                             "cannot generate external snapshot name for disk 'vdb': collision with disk 'vda'",
                             NULL });
}


/* libvirt only generates names next to existing regular files. */
static void
test_source_not_regular(void)
{
    g_autoptr(BpDomainDef) dom = bp_domain_def_new("odd");
    g_autoptr(GError) error = NULL;
    g_autofree char *missing = g_build_filename(tmpdir, "missing.qcow2", NULL);
    g_autofree char *dir = g_build_filename(tmpdir, "data.d", NULL);
    const char *sources[] = { missing, dir };

    for (size_t i = 0; i < G_N_ELEMENTS(sources); i++) {
        g_autoptr(BpDomainDef) d = bp_domain_def_new("odd");
        g_autoptr(BpSnapshotDef) def = NULL;

        bp_domain_def_add_disk(d, bp_disk_def_new("vda", BP_STORAGE_TYPE_FILE,
                                                  sources[i], "qcow2"));
        def = bp_snapshot_def_parse_string("<domainsnapshot/>", 0, NOW, &error);
        g_assert_no_error(error);
        g_assert_false(bp_snapshot_def_align_disks(def, d, 0, &error));
        bp_test_assert_error(error, BP_ERROR_CONFIG_UNSUPPORTED,
                             (const char *const[]) {
                                 "source for disk 'vda' is not a regular file; refusing to generate external snapshot name",
                                 NULL });
        g_clear_error(&error);
    }

    /* a disk that is neither file nor block cannot take an overlay */
    bp_domain_def_add_disk(dom, bp_disk_def_new("vda", BP_STORAGE_TYPE_OTHER, NULL, "raw"));
    {
        g_autoptr(BpSnapshotDef) def = NULL;

        def = bp_snapshot_def_parse_string("<domainsnapshot><disks><disk name='vda'>"
                                           "<source file='/o/vda.qcow2'/></disk>"
                                           "</disks></domainsnapshot>", 0, NOW, &error);
        g_assert_no_error(error);
        g_assert_false(bp_snapshot_def_align_disks(def, dom, 0, &error));
        bp_test_assert_error(error, BP_ERROR_CONFIG_UNSUPPORTED,
                             (const char *const[]) { "disk 'vda'",
                                                     "neither a file nor a block device",
                                                     NULL });
    }
}


static void
test_align_no_domain(void)
{
    g_autoptr(BpSnapshotDef) def = bp_snapshot_def_new();
    g_autoptr(BpDomainDef) empty = bp_domain_def_new("nodisks");
    g_autoptr(GError) error = NULL;

    def->name = g_strdup("s");
    g_assert_false(bp_snapshot_def_align_disks(def, NULL, 0, &error));
    bp_test_assert_error(error, BP_ERROR_FAILED,
                         (const char *const[]) { "missing domain in snapshot", NULL });
    g_clear_error(&error);

    /* libvirt: a domain without disks has nothing to snapshot */
    g_assert_false(bp_snapshot_def_align_disks(def, empty, 0, &error));
    bp_test_assert_error(error, BP_ERROR_CONFIG_UNSUPPORTED,
                         (const char *const[]) { "nothing selected for snapshot", NULL });
}


/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

typedef enum {
    FAIL_PARSE,
    FAIL_ALIGN,
    FAIL_REDEFINE,
} FailStage;

typedef struct {
    const char *name;
    const char *xml;
    unsigned int flags;
    FailStage stage;
    int code;
    const char *subs[4];
} ErrorCase;

#define V BP_SNAPSHOT_PARSE_VALIDATE
#define R BP_SNAPSHOT_PARSE_REDEFINE

static const ErrorCase error_cases[] = {
    { "malformed", "<domainsnapshot>\n<name>s</name>\n<disks>\n</domainsnapshot>",
      V, FAIL_PARSE, BP_ERROR_XML_SYNTAX, { "line 4", NULL } },
    { "wrong-root", "<domaincheckpoint/>", V, FAIL_PARSE, BP_ERROR_XML_INVALID,
      { "<domainsnapshot>", NULL } },
    /* Not libvirt's behaviour but blkpoint's scope: memory state and
     * internal snapshots are refused with a clear message, before the
     * schema (which refuses them too, less clearly) */
    { "memory-internal",
      "<domainsnapshot>\n  <memory snapshot='internal'/>\n</domainsnapshot>",
      V, FAIL_PARSE, BP_ERROR_CONFIG_UNSUPPORTED,
      { "memory snapshot='internal'", "disk-only", "line 2" } },
    { "memory-file",
      "<domainsnapshot>\n  <memory snapshot='external' file='/save/vm1.mem'/>\n"
      "</domainsnapshot>",
      V, FAIL_PARSE, BP_ERROR_CONFIG_UNSUPPORTED,
      { "memory state file '/save/vm1.mem'", "line 2", NULL } },
    /* internal snapshots: refused */
    { "disk-internal",
      "<domainsnapshot><disks>\n<disk name='vda' snapshot='internal'/></disks>"
      "</domainsnapshot>",
      V, FAIL_PARSE, BP_ERROR_CONFIG_UNSUPPORTED,
      { "internal snapshot of disk 'vda'", "external disk-only", "line 2" } },
    { "disk-internal-noschema",
      "<domainsnapshot><disks><disk name='vda' snapshot='internal'/></disks>"
      "</domainsnapshot>",
      0, FAIL_PARSE, BP_ERROR_CONFIG_UNSUPPORTED, { "internal snapshot of disk 'vda'", NULL } },
    { "disk-manual",
      "<domainsnapshot><disks><disk name='vdb' snapshot='manual'/></disks>"
      "</domainsnapshot>",
      V, FAIL_PARSE, BP_ERROR_CONFIG_UNSUPPORTED, { "manual snapshot of disk 'vdb'", NULL } },
    { "disk-unknown-location",
      "<domainsnapshot><disks><disk name='vdb' snapshot='maybe'/></disks>"
      "</domainsnapshot>",
      0, FAIL_PARSE, BP_ERROR_XML_INVALID, { "'maybe'", "'vdb'", NULL } },
    { "state-running",
      "<domainsnapshot><name>s</name>\n<state>running</state>"
      "<creationTime>1</creationTime></domainsnapshot>",
      V | R, FAIL_PARSE, BP_ERROR_CONFIG_UNSUPPORTED,
      { "snapshot state 'running'", "disk-only", "line 2" } },
    { "name-escape", "<domainsnapshot>\n<name>../escape</name></domainsnapshot>",
      0, FAIL_PARSE, BP_ERROR_XML_INVALID, { "invalid snapshot name '../escape'", "line 2", NULL } },
    { "name-escape-schema", "<domainsnapshot>\n<name>../escape</name></domainsnapshot>",
      V, FAIL_PARSE, BP_ERROR_XML_INVALID, { "domainsnapshot.rng", "line 2", NULL } },
    { "redefine-no-name",
      "<domainsnapshot><creationTime>1</creationTime><state>shutoff</state>"
      "</domainsnapshot>",
      V | R, FAIL_PARSE, BP_ERROR_XML_INVALID, { "a redefined snapshot must have a name", NULL } },
    { "redefine-no-time",
      "<domainsnapshot><name>s</name><state>shutoff</state></domainsnapshot>",
      V | R, FAIL_PARSE, BP_ERROR_XML_INVALID,
      { "missing creationTime from existing snapshot", NULL } },
    { "redefine-no-state",
      "<domainsnapshot><name>s</name><creationTime>1</creationTime></domainsnapshot>",
      V | R, FAIL_PARSE, BP_ERROR_XML_INVALID, { "missing state from existing snapshot", NULL } },
    { "relative-overlay",
      "<domainsnapshot><disks><disk name='vda'>\n<source file='vda.qcow2'/></disk>"
      "</disks></domainsnapshot>",
      0, FAIL_PARSE, BP_ERROR_XML_INVALID,
      { "disk snapshot image path 'vda.qcow2' must be absolute", "line 2", NULL } },
    { "network-overlay",
      "<domainsnapshot><disks><disk name='vda' type='network'/></disks></domainsnapshot>",
      0, FAIL_PARSE, BP_ERROR_CONFIG_UNSUPPORTED, { "unsupported disk snapshot type 'network'", NULL } },
    /* libvirt: an internal error; for us an invalid document */
    { "disk-no-name",
      "<domainsnapshot><disks>\n<disk snapshot='no'/></disks></domainsnapshot>",
      0, FAIL_PARSE, BP_ERROR_XML_INVALID, { "missing name from disk snapshot element", "line 2", NULL } },
    { "unknown-disk",
      "<domainsnapshot><disks><disk name='vdz'/></disks></domainsnapshot>",
      V, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED, { "no disk named 'vdz'", NULL } },
    { "duplicate-disk",
      "<domainsnapshot><disks><disk name='vda'/><disk name='vda' snapshot='no'/></disks>"
      "</domainsnapshot>",
      V, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED, { "disk 'vda' specified twice", NULL } },
    { "too-many-disks",
      "<domainsnapshot><disks><disk name='vda'/><disk name='vdb'/><disk name='vdc'/>"
      "<disk name='sda'/><disk name='sdb'/><disk name='vdd'/></disks></domainsnapshot>",
      V, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED, { "too many disk snapshot requests for domain", NULL } },
    /* an overlay file for a disk that is not snapshotted (the schema
     * refuses it already) */
    { "file-needs-external",
      "<domainsnapshot><disks><disk name='vdb' snapshot='no'>"
      "<source file='/o/vdb.qcow2'/></disk></disks></domainsnapshot>",
      0, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED,
      { "file '/o/vdb.qcow2' for disk 'vdb' requires use of external snapshot mode", NULL } },
    /* libvirt also accepts qed overlays; blkpoint only qcow2 (bitmaps) */
    { "raw-overlay",
      "<domainsnapshot><disks><disk name='vda'><driver type='raw'/></disk></disks>"
      "</domainsnapshot>",
      0, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED,
      { "external snapshot format for disk vda is unsupported: raw", NULL } },
    { "nothing-selected",
      "<domainsnapshot><disks><disk name='vda' snapshot='no'/><disk name='vdb' snapshot='no'/>"
      "</disks></domainsnapshot>",
      V, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED, { "nothing selected for snapshot", NULL } },
    { "empty-drive-external",
      "<domainsnapshot><disks><disk name='sdb' snapshot='external'/></disks></domainsnapshot>",
      V, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED,
      { "cannot generate external snapshot name for disk 'sdb' without source", NULL } },
    { "block-no-name",
      "<domainsnapshot><disks><disk name='vda' snapshot='external' type='block'/>"
      "</disks></domainsnapshot>",
      0, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED,
      { "cannot generate external snapshot name for disk 'vda' on a 'block' device", NULL } },
    { "block-source-default-name",
      "<domainsnapshot><disks><disk name='vdc' snapshot='external'/></disks></domainsnapshot>",
      V, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED,
      { "source for disk 'vdc' is not a regular file", NULL } },
    { "own-parent",
      "<domainsnapshot><name>s1</name><parent><name>s1</name></parent>"
      "<creationTime>1</creationTime><state>shutoff</state></domainsnapshot>",
      V | R, FAIL_REDEFINE, BP_ERROR_INVALID_ARGUMENT, { "cannot set moment s1 as its own parent", NULL } },
    { "cycle",
      "<domainsnapshot><name>s0</name><parent><name>s1</name></parent>"
      "<creationTime>1</creationTime><state>shutoff</state></domainsnapshot>",
      V | R, FAIL_REDEFINE, BP_ERROR_INVALID_ARGUMENT, { "parent s1 would create cycle to s0", NULL } },
    { "missing-parent",
      "<domainsnapshot><name>s5</name><parent><name>s9</name></parent>"
      "<creationTime>1</creationTime><state>shutoff</state></domainsnapshot>",
      V | R, FAIL_REDEFINE, BP_ERROR_INVALID_ARGUMENT, { "parent s9 for moment s5 not found", NULL } },
    { "uuid-mismatch",
      "<domainsnapshot><name>s5</name><creationTime>1</creationTime><state>shutoff</state>"
      "<domain><name>vm1</name><uuid>00000000-0000-0000-0000-000000000002</uuid></domain>"
      "</domainsnapshot>",
      V | R, FAIL_REDEFINE, BP_ERROR_INVALID_ARGUMENT,
      { "definition for snapshot s5 must use uuid 4dea22b3-1d52-d8f3-2516-782e98ab3fa0", NULL } },
};


static void
test_error(gconstpointer data)
{
    const ErrorCase *tc = data;
    g_autoptr(BpDomainDef) dom = load_fake_domain();
    g_autoptr(BpSnapshotDef) def = NULL;
    g_autoptr(GError) error = NULL;

    def = bp_snapshot_def_parse_string(tc->xml, tc->flags, NOW, &error);
    if (tc->stage == FAIL_PARSE) {
        g_assert_null(def);
        bp_test_assert_error(error, tc->code, tc->subs);
        return;
    }
    g_assert_no_error(error);
    if (tc->stage == FAIL_ALIGN)
        g_assert_false(bp_snapshot_def_align_disks(def, dom, 0, &error));
    else
        g_assert_false(bp_snapshot_def_redefine_prep(def, dom, lookup_existing,
                                                     NULL, &error));
    bp_test_assert_error(error, tc->code, tc->subs);
}

/* The stored definition after a snapshot opens the longer chain: the
 * overlay is the source, the old chain its backingStore, the rest of
 * the document unchanged, and it survives formatting and parsing. */
static void
test_push_overlay(void)
{
    const char *xml =
        "<domain>\n"
        "  <name>vm1</name>\n"
        "  <devices>\n"
        "    <disk type='file' device='disk'>\n"
        "      <driver name='qemu' type='qcow2' cache='none'/>\n"
        "      <source file='/img/vda.qcow2'/>\n"
        "      <backingStore type='file'>\n"
        "        <format type='raw'/>\n"
        "        <source file='/img/base.raw'/>\n"
        "        <backingStore/>\n"
        "      </backingStore>\n"
        "      <target dev='vda' bus='virtio'/>\n"
        "    </disk>\n"
        "    <disk type='file' device='disk'>\n"
        "      <driver name='qemu' type='qcow2'/>\n"
        "      <source file='/img/vdb.qcow2'/>\n"
        "      <target dev='vdb' bus='virtio'/>\n"
        "    </disk>\n"
        "  </devices>\n"
        "</domain>\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(BpDomainDef) def = bp_domain_def_parse_string(xml, 0, &error);
    g_autoptr(BpDomainDef) again = NULL;
    g_autofree char *out = NULL;
    BpStorageSource *src;

    g_assert_no_error(error);
    g_assert_true(bp_domain_disk_push_overlay(def, "vda", BP_STORAGE_TYPE_FILE,
                                              "/img/vda.s1", "qcow2", &error));
    g_assert_true(bp_domain_disk_push_overlay(def, "vdb", BP_STORAGE_TYPE_FILE,
                                              "/img/vdb.s1", "qcow2", &error));
    g_assert_no_error(error);
    g_assert_false(bp_domain_disk_push_overlay(def, "vdz", BP_STORAGE_TYPE_FILE,
                                               "/img/x", "qcow2", &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    out = bp_domain_def_format_string(def);
    g_assert_nonnull(strstr(out, "cache='none'"));
    again = bp_domain_def_parse_string(out, 0, &error);
    g_assert_no_error(error);
    src = bp_domain_def_find_disk(again, "vda")->src;
    g_assert_cmpstr(src->path, ==, "/img/vda.s1");
    g_assert_cmpstr(src->format, ==, "qcow2");
    g_assert_cmpstr(src->backing->path, ==, "/img/vda.qcow2");
    g_assert_cmpstr(src->backing->format, ==, "qcow2");
    g_assert_cmpstr(src->backing->backing->path, ==, "/img/base.raw");
    g_assert_cmpstr(src->backing->backing->format, ==, "raw");
    g_assert_null(src->backing->backing->backing);
    g_assert_true(src->backing->backing->backing_known);
    src = bp_domain_def_find_disk(again, "vdb")->src;
    g_assert_cmpstr(src->path, ==, "/img/vdb.s1");
    g_assert_cmpstr(src->backing->path, ==, "/img/vdb.qcow2");
    /* The original end of the chain was not given: still not known. */
    g_assert_null(src->backing->backing);
    g_assert_false(src->backing->backing_known);
}


int
main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    tmpdir = bp_test_mkdtemp();
    make_images();

    for (size_t i = 0; i < G_N_ELEMENTS(golden_cases); i++) {
        g_autofree char *path = g_strdup_printf("/conf/snapshot/golden/%s",
                                                golden_cases[i].name);

        g_test_add_data_func(path, &golden_cases[i], test_golden);
    }
    g_test_add_func("/conf/snapshot/align-struct", test_align_struct);
    g_test_add_func("/conf/snapshot/push-overlay", test_push_overlay);
    g_test_add_func("/conf/snapshot/name-collision", test_name_collision);
    g_test_add_func("/conf/snapshot/source-not-regular", test_source_not_regular);
    g_test_add_func("/conf/snapshot/align-no-domain", test_align_no_domain);
    for (size_t i = 0; i < G_N_ELEMENTS(error_cases); i++) {
        g_autofree char *path = g_strdup_printf("/conf/snapshot/error/%s",
                                                error_cases[i].name);

        g_test_add_data_func(path, &error_cases[i], test_error);
    }

    ret = g_test_run();
    bp_test_rmdir(tmpdir);
    g_free(tmpdir);
    return ret;
}
