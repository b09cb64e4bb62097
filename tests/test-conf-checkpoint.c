/*
 * test-conf-checkpoint.c: <domaincheckpoint> parsing, alignment, redefine
 * checks and formatting.
 *
 * 1. The libvirt corpus (qemudomaincheckpointxml2xml{in,out}), driven the
 *    way libvirt's tests/qemudomaincheckpointxml2xmltest.c drives it and
 *    compared byte for byte with libvirt's expected output.
 * 2. Our golden cases in confdata/checkpoint/{in,out}: alignment against
 *    the fake domain confdata/checkpoint/domain.xml, redefinition.
 * 3. Error cases: each bad input gives the expected code and message.
 */
#include <config.h>

#include <string.h>

#include "conf/bp-checkpoint-conf.h"
#include "util/bp-error.h"
#include "testutils.h"
#include "testconfutils.h"

/* ------------------------------------------------------------------ */
/* 1. libvirt corpus                                                   */
/* ------------------------------------------------------------------ */

/* The flags of libvirt's harness, same meaning. */
enum {
    TEST_REDEFINE = 1 << 0,   /* parse with the REDEFINE flag */
    TEST_PARENT = 1 << 1,     /* hard-code parent 1525111885 after parse */
    TEST_VDA_BITMAP = 1 << 2, /* hard-code disk vda with bitmap = name */
    TEST_SIZE = 1 << 3,       /* size 1048576 on disk 0, format with SIZE */
    TEST_INVALID = 1 << 4,    /* the input must fail to parse */
};

typedef struct {
    const char *name;
    const char *indir;
    const char *outdir;
    gint64 creation_time;     /* libvirt's mocked clock */
    unsigned int flags;
} CorpusCase;

#define CORPUS_IN "qemudomaincheckpointxml2xmlin"
#define CORPUS_OUT "qemudomaincheckpointxml2xmlout"

/* The list in libvirt's mymain(), in its order. */
static const CorpusCase corpus_cases[] = {
    /* DO_TEST_OUT: a normal user redefine, out -> out */
    { "redefine", CORPUS_OUT, CORPUS_OUT, 0, TEST_REDEFINE },
    /* DO_TEST_INOUT */
    { "empty", CORPUS_IN, CORPUS_OUT, 1525889631, TEST_VDA_BITMAP },
    { "disk-default", CORPUS_IN, CORPUS_OUT, 1525889631, TEST_PARENT | TEST_VDA_BITMAP },
    { "sample", CORPUS_IN, CORPUS_OUT, 1525889631, TEST_PARENT | TEST_VDA_BITMAP },
    { "size", CORPUS_IN, CORPUS_OUT, 1553648510, TEST_PARENT | TEST_VDA_BITMAP | TEST_SIZE },
    /* DO_TEST_INVALID */
    { "disk-invalid", CORPUS_IN, NULL, 0, TEST_INVALID },
    { "name-invalid", CORPUS_IN, NULL, 0, TEST_INVALID },
};


/*
 * libvirt's testCompareXMLToXMLFiles.  Its harness builds no domain and
 * does not align: TEST_VDA_BITMAP stands in for alignment against a
 * domain whose only disk is vda, and a checkpoint parsed without
 * REDEFINE has no <domain>, so it formats without one.  libvirt always
 * validates checkpoint input against the schema; so do we here.
 */
static void
test_corpus(gconstpointer data)
{
    const CorpusCase *tc = data;
    g_autofree char *inrel = g_strdup_printf("%s/%s.xml", tc->indir, tc->name);
    g_autofree char *inpath = NULL;
    g_autofree char *inxml = NULL;
    g_autofree char *actual = NULL;
    g_autoptr(BpCheckpointDef) def = NULL;
    g_autoptr(GError) error = NULL;
    unsigned int parseflags = BP_CHECKPOINT_PARSE_VALIDATE;
    unsigned int formatflags = BP_CHECKPOINT_FORMAT_SECURE;

    if (!(inpath = bp_test_conformance_path(inrel)))
        return;
    inxml = bp_test_load(inpath);

    if (tc->flags & TEST_REDEFINE)
        parseflags |= BP_CHECKPOINT_PARSE_REDEFINE;

    def = bp_checkpoint_def_parse_string(inxml, parseflags, tc->creation_time,
                                         &error);
    if (tc->flags & TEST_INVALID) {
        /* both are schema violations (a nameless disk, "../escape") */
        g_assert_null(def);
        bp_test_assert_error(error, BP_ERROR_XML_INVALID, NULL);
        return;
    }
    g_assert_no_error(error);
    g_assert_nonnull(def);

    if (!(tc->flags & TEST_REDEFINE))
        g_assert_cmpint(def->creation_time, ==, tc->creation_time);

    if (tc->flags & TEST_PARENT) {
        g_assert_null(def->parent);
        def->parent = g_strdup("1525111885");
    }
    if (tc->flags & TEST_VDA_BITMAP) {
        BpCheckpointDiskDef *disk;

        if (def->ndisks == 0)
            bp_checkpoint_def_add_disk(def,
                                       bp_checkpoint_disk_def_new("vda",
                                                                  BP_CHECKPOINT_TYPE_BITMAP,
                                                                  NULL));
        disk = def->disks[0];
        g_assert_cmpstr(disk->name, ==, "vda");
        g_assert_null(disk->bitmap);
        disk->bitmap = g_strdup(def->name);
    }
    if (tc->flags & TEST_SIZE) {
        def->disks[0]->size = 1048576;
        def->disks[0]->size_valid = TRUE;
        formatflags |= BP_CHECKPOINT_FORMAT_SIZE;
    }

    actual = bp_checkpoint_def_format(def, formatflags);
    {
        g_autofree char *outrel = g_strdup_printf("%s/%s.xml", tc->outdir, tc->name);
        g_autofree char *outpath = bp_test_conformance_path(outrel);

        if (outpath)
            bp_test_compare_exact(actual, outpath);
    }
}


/* The two expected-invalid output files of the corpus carry libvirt's
 * legacy <active> element: the schema refuses them, as libvirt's schema
 * test does. */
static void
test_corpus_internal_invalid(void)
{
    static const char *const names[] = {
        "internal-active-invalid", "internal-inactive-invalid",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *rel = g_strdup_printf(CORPUS_OUT "/%s.xml", names[i]);
        g_autofree char *path = bp_test_conformance_path(rel);
        g_autofree char *xml = NULL;
        g_autoptr(BpCheckpointDef) def = NULL;
        g_autoptr(GError) error = NULL;

        if (!path)
            return;
        xml = bp_test_load(path);
        def = bp_checkpoint_def_parse_string(xml, BP_CHECKPOINT_PARSE_REDEFINE |
                                             BP_CHECKPOINT_PARSE_VALIDATE,
                                             0, &error);
        g_assert_null(def);
        bp_test_assert_error(error, BP_ERROR_XML_INVALID,
                             (const char *const[]) { "active", NULL });
    }
}


/* libvirt's redefine.xml again, now through the full redefine path: the
 * embedded domain aligns to the same four disks. */
static void
test_corpus_redefine_prep(void)
{
    g_autofree char *path = bp_test_conformance_path(CORPUS_OUT "/redefine.xml");
    g_autofree char *xml = NULL;
    g_autofree char *actual = NULL;
    g_autoptr(BpCheckpointDef) def = NULL;
    g_autoptr(GError) error = NULL;

    if (!path)
        return;
    xml = bp_test_load(path);
    def = bp_checkpoint_def_parse_string(xml, BP_CHECKPOINT_PARSE_REDEFINE |
                                         BP_CHECKPOINT_PARSE_VALIDATE, 0, &error);
    g_assert_no_error(error);
    g_assert_nonnull(def->dom);
    g_assert_cmpuint(def->dom->ndisks, ==, 4);
    g_assert_cmpstr(def->dom->uuid, ==, "c7a5fdbd-edaf-9455-926a-d65c16db1809");
    g_assert_true(bp_checkpoint_def_redefine_prep(def, def->dom, NULL, NULL, &error));
    g_assert_no_error(error);
    actual = bp_checkpoint_def_format(def, BP_CHECKPOINT_FORMAT_SECURE);
    bp_test_compare_exact(actual, path);
}


/* ------------------------------------------------------------------ */
/* Shared fixtures: the fake domain and the existing checkpoint tree   */
/* ------------------------------------------------------------------ */

static BpDomainDef *
load_fake_domain(void)
{
    g_autofree char *path = bp_test_srcpath("confdata/checkpoint/domain.xml");
    g_autofree char *xml = bp_test_load(path);
    g_autoptr(GError) error = NULL;
    BpDomainDef *dom = bp_domain_def_parse_string(xml, BP_DOMAIN_PARSE_VALIDATE,
                                                  &error);

    g_assert_no_error(error);
    return dom;
}


/* Existing checkpoints for the redefine checks: c1 <- c2 <- c3, and a
 * broken branch whose parent is gone: orphan -> missing. */
static const char *const existing_tree[][2] = {
    { "c1", NULL },
    { "c2", "c1" },
    { "c3", "c2" },
    { "orphan", "missing" },
};


static gboolean
lookup_existing(const char *name, char **parent, gpointer opaque)
{
    G_GNUC_UNUSED const char *unused = opaque;

    for (size_t i = 0; i < G_N_ELEMENTS(existing_tree); i++) {
        if (g_str_equal(existing_tree[i][0], name)) {
            *parent = g_strdup(existing_tree[i][1]);
            return TRUE;
        }
    }
    return FALSE;
}


/* ------------------------------------------------------------------ */
/* 2. Golden cases                                                     */
/* ------------------------------------------------------------------ */

typedef enum {
    STEP_CREATE,      /* parse, dom = copy of the fake domain, align */
    STEP_REDEFINE,    /* parse with REDEFINE, redefine_prep */
} GoldenStep;

typedef struct {
    const char *name;
    GoldenStep step;
    unsigned int formatflags;
} GoldenCase;

#define GOLDEN_NOW 1700000000

static const GoldenCase golden_cases[] = {
    /* no <disks>: a bitmap on every writable disk with media; readonly
     * and empty drives get checkpoint='no'; the domain is stored */
    { "all-default", STEP_CREATE, 0 },
    /* a disk named by its source path becomes its target; unlisted
     * disks get checkpoint='no' */
    { "by-path", STEP_CREATE, BP_CHECKPOINT_FORMAT_NO_DOMAIN },
    /* explicit checkpoint='no', and a listed disk without checkpoint= */
    { "excluded", STEP_CREATE, BP_CHECKPOINT_FORMAT_NO_DOMAIN },
    /* readonly and empty drives may be listed with checkpoint='no' */
    { "readonly-listed-no", STEP_CREATE, BP_CHECKPOINT_FORMAT_NO_DOMAIN },
    /* an explicit bitmap equal to the name is fine */
    { "bitmap-explicit", STEP_CREATE, BP_CHECKPOINT_FORMAT_NO_DOMAIN },
    /* on creation, creationTime, parent and <domain> are ignored */
    { "create-ignores", STEP_CREATE, BP_CHECKPOINT_FORMAT_NO_DOMAIN },
    /* text that needs escaping */
    { "escape", STEP_CREATE, BP_CHECKPOINT_FORMAT_NO_DOMAIN },
    /* redefine with the domain: aligned against the embedded domain */
    { "redefine-domain", STEP_REDEFINE, 0 },
    /* redefine without a domain: only bitmap names are filled in, the
     * disk list stays as given */
    { "redefine-nodomain", STEP_REDEFINE, 0 },
};


static void
test_golden(gconstpointer data)
{
    const GoldenCase *tc = data;
    g_autofree char *inrel = g_strdup_printf("confdata/checkpoint/in/%s.xml", tc->name);
    g_autofree char *outrel = g_strdup_printf("confdata/checkpoint/out/%s.xml", tc->name);
    g_autofree char *inpath = bp_test_srcpath(inrel);
    g_autofree char *outpath = bp_test_srcpath(outrel);
    g_autofree char *xml = bp_test_load(inpath);
    g_autofree char *actual = NULL;
    g_autoptr(BpDomainDef) dom = load_fake_domain();
    g_autoptr(BpCheckpointDef) def = NULL;
    g_autoptr(GError) error = NULL;
    unsigned int flags = BP_CHECKPOINT_PARSE_VALIDATE;

    if (tc->step == STEP_REDEFINE)
        flags |= BP_CHECKPOINT_PARSE_REDEFINE;
    def = bp_checkpoint_def_parse_string(xml, flags, GOLDEN_NOW, &error);
    g_assert_no_error(error);

    if (tc->step == STEP_CREATE) {
        g_assert_cmpint(def->creation_time, ==, GOLDEN_NOW);
        g_assert_null(def->dom);
        def->dom = bp_domain_def_copy(dom);
        g_assert_true(bp_checkpoint_def_align_disks(def, NULL, &error));
    } else {
        g_assert_true(bp_checkpoint_def_redefine_prep(def, dom, lookup_existing,
                                                      NULL, &error));
    }
    g_assert_no_error(error);

    actual = bp_checkpoint_def_format(def, tc->formatflags);
    bp_test_compare_to_file(actual, outpath);

    /* What we print, we read back (as a redefinition) to the same. */
    {
        g_autoptr(BpCheckpointDef) again = NULL;
        g_autofree char *actual2 = NULL;

        again = bp_checkpoint_def_parse_string(actual,
                                               BP_CHECKPOINT_PARSE_REDEFINE |
                                               BP_CHECKPOINT_PARSE_VALIDATE,
                                               0, &error);
        g_assert_no_error(error);
        actual2 = bp_checkpoint_def_format(again, tc->formatflags);
        g_assert_cmpstr(actual2, ==, actual);
    }
}


/* Alignment fills in what libvirt fills in, checked on the struct. */
static void
test_align_struct(void)
{
    g_autoptr(BpDomainDef) dom = load_fake_domain();
    g_autoptr(BpCheckpointDef) def = NULL;
    g_autoptr(BpCheckpointDef) copy = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;

    def = bp_checkpoint_def_parse_string("<domaincheckpoint><name>c9</name>"
                                         "<disks><disk name='vdb'/></disks>"
                                         "</domaincheckpoint>", 0, 42, &error);
    g_assert_no_error(error);
    g_assert_cmpint(def->creation_time, ==, 42);
    g_assert_cmpuint(def->ndisks, ==, 1);
    g_assert_cmpint(def->disks[0]->type, ==, BP_CHECKPOINT_TYPE_BITMAP);
    g_assert_null(def->disks[0]->bitmap);

    g_assert_true(bp_checkpoint_def_align_disks(def, dom, &error));
    g_assert_no_error(error);
    g_assert_null(def->dom);
    g_assert_cmpuint(def->ndisks, ==, dom->ndisks);
    for (size_t i = 0; i < def->ndisks; i++) {
        g_assert_cmpstr(def->disks[i]->name, ==, dom->disks[i]->dst);
        if (g_str_equal(def->disks[i]->name, "vdb")) {
            g_assert_cmpint(def->disks[i]->type, ==, BP_CHECKPOINT_TYPE_BITMAP);
            g_assert_cmpstr(def->disks[i]->bitmap, ==, "c9");
        } else {
            g_assert_cmpint(def->disks[i]->type, ==, BP_CHECKPOINT_TYPE_NO);
            g_assert_null(def->disks[i]->bitmap);
        }
    }
    g_assert_nonnull(bp_checkpoint_def_find_disk(def, "vdb"));
    g_assert_null(bp_checkpoint_def_find_disk(def, "vdz"));

    copy = bp_checkpoint_def_copy(def);
    a = bp_checkpoint_def_format(def, 0);
    b = bp_checkpoint_def_format(copy, 0);
    g_assert_cmpstr(a, ==, b);
}


static void
test_reserved_names(void)
{
    g_assert_true(bp_checkpoint_name_is_reserved("blkpoint-tmp"));
    g_assert_true(bp_checkpoint_name_is_reserved("backup-vda"));
    g_assert_false(bp_checkpoint_name_is_reserved("backups"));
    g_assert_false(bp_checkpoint_name_is_reserved("my-backup-1"));
    g_assert_false(bp_checkpoint_name_is_reserved(NULL));
}


/* ------------------------------------------------------------------ */
/* 3. Error cases                                                      */
/* ------------------------------------------------------------------ */

typedef enum {
    FAIL_PARSE,       /* bp_checkpoint_def_parse_string fails */
    FAIL_ALIGN,       /* parse (creation) succeeds, align fails */
    FAIL_REDEFINE,    /* parse (REDEFINE) succeeds, redefine_prep fails */
} FailStage;

typedef struct {
    const char *name;
    const char *xml;
    unsigned int parseflags;
    FailStage stage;
    int code;
    const char *subs[4];          /* NULL-terminated (at most 3) */
} ErrorCase;

#define V BP_CHECKPOINT_PARSE_VALIDATE
#define R BP_CHECKPOINT_PARSE_REDEFINE
#define FAKE_UUID "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"

static const ErrorCase error_cases[] = {
    { "malformed",
      "<domaincheckpoint>\n  <name>c1</name>\n  <disks>\n</domaincheckpoint>\n",
      V, FAIL_PARSE, BP_ERROR_XML_SYNTAX, { "line 4", NULL } },
    { "wrong-root", "<domainbackup/>", V, FAIL_PARSE, BP_ERROR_XML_INVALID,
      { "domaincheckpoint", "domainbackup", NULL } },
    /* the corpus's name-invalid.xml, with and without the schema */
    { "name-escape-schema",
      "<domaincheckpoint>\n  <name>../escape</name>\n</domaincheckpoint>\n",
      V, FAIL_PARSE, BP_ERROR_XML_INVALID, { "line 2", NULL } },
    { "name-escape-code",
      "<domaincheckpoint>\n  <name>../escape</name>\n</domaincheckpoint>\n",
      0, FAIL_PARSE, BP_ERROR_XML_INVALID, { "'../escape'", "line 2", NULL } },
    { "name-slash", "<domaincheckpoint><name>a/b</name></domaincheckpoint>",
      0, FAIL_PARSE, BP_ERROR_XML_INVALID, { "'a/b'", NULL } },
    /* blkpoint: reserved for temporary bitmaps (not a libvirt rule) */
    { "reserved-blkpoint",
      "<domaincheckpoint>\n  <name>blkpoint-1</name>\n</domaincheckpoint>\n",
      V, FAIL_PARSE, BP_ERROR_CONFIG_UNSUPPORTED,
      { "'blkpoint-1'", "reserved", "line 2" } },
    { "reserved-backup",
      "<domaincheckpoint><name>backup-vda</name><creationTime>1</creationTime>"
      "</domaincheckpoint>",
      V | R, FAIL_PARSE, BP_ERROR_CONFIG_UNSUPPORTED, { "'backup-vda'", "reserved", NULL } },
    { "disk-no-name",
      "<domaincheckpoint>\n  <disks>\n    <disk checkpoint='no'/>\n  </disks>\n"
      "</domaincheckpoint>\n",
      0, FAIL_PARSE, BP_ERROR_XML_INVALID, { "without name", "line 3", NULL } },
    { "disk-bad-type",
      "<domaincheckpoint><disks><disk name='vda' checkpoint='default'/></disks>"
      "</domaincheckpoint>",
      0, FAIL_PARSE, BP_ERROR_XML_INVALID, { "'default'", "'vda'", NULL } },
    { "disk-no-with-bitmap",
      "<domaincheckpoint><disks><disk name='vda' checkpoint='no' bitmap='x'/>"
      "</disks></domaincheckpoint>",
      0, FAIL_PARSE, BP_ERROR_XML_INVALID, { "'vda'", "checkpoint='no'", NULL } },
    { "redefine-no-name",
      "<domaincheckpoint><creationTime>1</creationTime></domaincheckpoint>",
      V | R, FAIL_PARSE, BP_ERROR_XML_INVALID,
      { "a redefined checkpoint must have a name", NULL } },
    /* libvirt reports this one as an internal error; for us it is a
     * document that lacks a required element */
    { "redefine-no-time", "<domaincheckpoint><name>c5</name></domaincheckpoint>",
      V | R, FAIL_PARSE, BP_ERROR_XML_INVALID,
      { "missing creationTime from existing checkpoint", NULL } },
    { "unknown-disk",
      "<domaincheckpoint><disks><disk name='vdz'/></disks></domaincheckpoint>",
      V, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED, { "no disk named 'vdz'", NULL } },
    { "unknown-path",
      "<domaincheckpoint><disks><disk name='/nowhere.qcow2'/></disks></domaincheckpoint>",
      V, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED,
      { "no disk named '/nowhere.qcow2'", NULL } },
    { "duplicate-disk",
      "<domaincheckpoint><disks><disk name='vda'/>"
      "<disk name='/var/lib/blkpoint/images/vm1-vda.qcow2'/></disks></domaincheckpoint>",
      V, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED,
      { "disk '/var/lib/blkpoint/images/vm1-vda.qcow2' specified twice", NULL } },
    { "too-many-disks",
      "<domaincheckpoint><disks><disk name='vda'/><disk name='vdb'/>"
      "<disk name='vdc'/><disk name='sda'/><disk name='sdb'/><disk name='vdd'/>"
      "</disks></domaincheckpoint>",
      V, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED,
      { "too many disk checkpoint requests for domain", NULL } },
    { "readonly-disk",
      "<domaincheckpoint><disks><disk name='sda'/></disks></domaincheckpoint>",
      V, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED, { "disk 'sda' is empty or readonly", NULL } },
    { "empty-disk",
      "<domaincheckpoint><disks><disk name='sdb' checkpoint='bitmap'/></disks>"
      "</domaincheckpoint>",
      V, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED, { "disk 'sdb' is empty or readonly", NULL } },
    { "bitmap-not-name",
      "<domaincheckpoint><name>c7</name><disks>"
      "<disk name='/var/lib/blkpoint/images/vm1-vda.qcow2' bitmap='other'/>"
      "</disks></domaincheckpoint>",
      V, FAIL_ALIGN, BP_ERROR_CONFIG_UNSUPPORTED,
      { "bitmap for disk 'vda' must match checkpoint name 'c7'", NULL } },
    /* blkpoint checks this on redefine as well (libvirt: creation only) */
    { "redefine-bitmap-not-name",
      "<domaincheckpoint><name>c7</name><creationTime>5</creationTime><disks>"
      "<disk name='vda' bitmap='c6'/></disks></domaincheckpoint>",
      V | R, FAIL_REDEFINE, BP_ERROR_CONFIG_UNSUPPORTED,
      { "bitmap for disk 'vda' must match checkpoint name 'c7'", NULL } },
    { "own-parent",
      "<domaincheckpoint><name>c1</name><parent><name>c1</name></parent>"
      "<creationTime>5</creationTime></domaincheckpoint>",
      V | R, FAIL_REDEFINE, BP_ERROR_INVALID_ARGUMENT,
      { "cannot set moment c1 as its own parent", NULL } },
    { "missing-parent",
      "<domaincheckpoint><name>c9</name><parent><name>c8</name></parent>"
      "<creationTime>5</creationTime></domaincheckpoint>",
      V | R, FAIL_REDEFINE, BP_ERROR_INVALID_ARGUMENT,
      { "parent c8 for moment c9 not found", NULL } },
    { "cycle",
      "<domaincheckpoint><name>c1</name><parent><name>c3</name></parent>"
      "<creationTime>5</creationTime></domaincheckpoint>",
      V | R, FAIL_REDEFINE, BP_ERROR_INVALID_ARGUMENT,
      { "parent c2 would create cycle to c1", NULL } },
    { "uuid-mismatch",
      "<domaincheckpoint><name>c4</name><creationTime>5</creationTime>"
      "<domain><name>vm1</name><uuid>00000000-0000-0000-0000-000000000001</uuid>"
      "<devices><disk type='file'><source file='/a.qcow2'/><target dev='vda'/></disk>"
      "</devices></domain></domaincheckpoint>",
      V | R, FAIL_REDEFINE, BP_ERROR_INVALID_ARGUMENT,
      { "definition for checkpoint c4 must use uuid " FAKE_UUID, NULL } },
    { "redefine-domain-no-disks",
      "<domaincheckpoint><name>c4</name><creationTime>5</creationTime>"
      "<domain><name>vm1</name><uuid>" FAKE_UUID "</uuid></domain>"
      "</domaincheckpoint>",
      V | R, FAIL_REDEFINE, BP_ERROR_CONFIG_UNSUPPORTED,
      { "domain must have at least one disk to perform checkpoints", NULL } },
    { "redefine-domain-invalid",
      "<domaincheckpoint><name>c4</name><creationTime>5</creationTime>\n"
      "<domain><name>vm1</name>\n<devices><disk type='file'>"
      "<source file='/a'/></disk></devices></domain></domaincheckpoint>",
      R, FAIL_PARSE, BP_ERROR_XML_INVALID, { "target dev", "line 3", NULL } },
};


static void
test_error(gconstpointer data)
{
    const ErrorCase *tc = data;
    g_autoptr(BpDomainDef) dom = load_fake_domain();
    g_autoptr(BpCheckpointDef) def = NULL;
    g_autoptr(GError) error = NULL;

    def = bp_checkpoint_def_parse_string(tc->xml, tc->parseflags, GOLDEN_NOW, &error);
    if (tc->stage == FAIL_PARSE) {
        g_assert_null(def);
        bp_test_assert_error(error, tc->code, tc->subs);
        return;
    }
    g_assert_no_error(error);
    g_assert_nonnull(def);

    if (tc->stage == FAIL_ALIGN) {
        g_assert_false(bp_checkpoint_def_align_disks(def, dom, &error));
    } else {
        g_assert_false(bp_checkpoint_def_redefine_prep(def, dom, lookup_existing,
                                                       NULL, &error));
    }
    bp_test_assert_error(error, tc->code, tc->subs);
}


/* Alignment without any domain is an internal error, as in libvirt. */
static void
test_align_no_domain(void)
{
    g_autoptr(BpCheckpointDef) def = bp_checkpoint_def_new();
    g_autoptr(BpDomainDef) empty = bp_domain_def_new("nodisks");
    g_autoptr(GError) error = NULL;

    def->name = g_strdup("c1");
    g_assert_false(bp_checkpoint_def_align_disks(def, NULL, &error));
    bp_test_assert_error(error, BP_ERROR_FAILED,
                         (const char *const[]) { "missing domain in checkpoint", NULL });
    g_clear_error(&error);

    g_assert_false(bp_checkpoint_def_align_disks(def, empty, &error));
    bp_test_assert_error(error, BP_ERROR_CONFIG_UNSUPPORTED,
                         (const char *const[]) {
                             "domain must have at least one disk", NULL });
}


/* A broken existing tree (a missing grand-parent) does not block a
 * redefinition, as in libvirt (which only warns). */
static void
test_redefine_broken_tree(void)
{
    g_autoptr(BpCheckpointDef) def = NULL;
    g_autoptr(GError) error = NULL;

    def = bp_checkpoint_def_parse_string("<domaincheckpoint><name>c10</name>"
                                         "<parent><name>orphan</name></parent>"
                                         "<creationTime>5</creationTime>"
                                         "</domaincheckpoint>",
                                         BP_CHECKPOINT_PARSE_REDEFINE, 0, &error);
    g_assert_no_error(error);
    g_assert_true(bp_checkpoint_def_redefine_prep(def, NULL, lookup_existing,
                                                  NULL, &error));
    g_assert_no_error(error);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(corpus_cases); i++) {
        g_autofree char *path = g_strdup_printf("/conf/checkpoint/libvirt/%s/%s",
                                                corpus_cases[i].indir ==
                                                corpus_cases[i].outdir
                                                ? "out-out" : "in-out",
                                                corpus_cases[i].name);

        g_test_add_data_func(path, &corpus_cases[i], test_corpus);
    }
    g_test_add_func("/conf/checkpoint/libvirt/internal-invalid",
                    test_corpus_internal_invalid);
    g_test_add_func("/conf/checkpoint/libvirt/redefine-prep",
                    test_corpus_redefine_prep);

    for (size_t i = 0; i < G_N_ELEMENTS(golden_cases); i++) {
        g_autofree char *path = g_strdup_printf("/conf/checkpoint/golden/%s",
                                                golden_cases[i].name);

        g_test_add_data_func(path, &golden_cases[i], test_golden);
    }
    g_test_add_func("/conf/checkpoint/align-struct", test_align_struct);
    g_test_add_func("/conf/checkpoint/reserved-names", test_reserved_names);
    g_test_add_func("/conf/checkpoint/align-no-domain", test_align_no_domain);
    g_test_add_func("/conf/checkpoint/redefine-broken-tree", test_redefine_broken_tree);

    for (size_t i = 0; i < G_N_ELEMENTS(error_cases); i++) {
        g_autofree char *path = g_strdup_printf("/conf/checkpoint/error/%s",
                                                error_cases[i].name);

        g_test_add_data_func(path, &error_cases[i], test_error);
    }

    return g_test_run();
}
