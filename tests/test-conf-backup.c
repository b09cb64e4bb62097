/*
 * test-conf-backup.c: the <domainbackup> document.
 *
 *  - /conf/backup/corpus/NAME: libvirt's own domainbackupxml2xml test
 *    pairs (read from BP_CONFORMANCE_DIR, never copied here), driven the
 *    way libvirt's genericxml2xmltest drives them: a fake domain with one
 *    qcow2 file disk /fake/<name>.qcow2 per listed disk plus vdextradisk,
 *    alignment with the suffix "SUFFIX", output compared byte for byte;
 *  - /conf/backup/golden/NAME: our own pairs, tests/confdata/backup/
 *    NAME-in.xml -> NAME-out.xml;
 *  - every output above must be a fixed point: parsing it again (with
 *    schema validation unless it is status XML), aligning and formatting
 *    gives the same bytes;
 *  - /conf/backup/error/NAME: documents and domains that must be refused,
 *    with the error code and a part of the message (the offending value,
 *    and the line for parse errors).  Cases marked "differs:" are refused
 *    by blkpoint but accepted by libvirt (without schema validation, or
 *    until backup start); the rest behave as in libvirt.
 */
#include <config.h>

#include <string.h>

#include "conf/bp-backup-conf.h"
#include "util/bp-error.h"
#include "testutils.h"

/* ---------------------------------------------------------------------- */
/* Fake domains                                                           */
/* ---------------------------------------------------------------------- */

typedef struct {
    const char *dst;
    BpStorageType type;
    const char *path;           /* NULL: no media */
    const char *format;
    gboolean readonly;
} TestDisk;

#define F BP_STORAGE_TYPE_FILE
#define B BP_STORAGE_TYPE_BLOCK

/* Two qcow2 disks, a block disk, an empty cdrom, a read-only ISO. */
static const TestDisk dom_std[] = {
    { "vda", F, "/images/vm1-vda.qcow2", "qcow2", FALSE },
    { "vdb", F, "/images/vm1-vdb.qcow2", "qcow2", FALSE },
    { "sda", B, "/dev/mapper/vm1-data", "raw", FALSE },
    { "hdc", F, NULL, "raw", TRUE },
    { "vdr", F, "/images/tools.iso", "raw", TRUE },
    { NULL, 0, NULL, NULL, FALSE }
};

/* The same without the block disk: every disk can get a generated name. */
static const TestDisk dom_files[] = {
    { "vda", F, "/images/vm1-vda.qcow2", "qcow2", FALSE },
    { "vdb", F, "/images/vm1-vdb.qcow2", "qcow2", FALSE },
    { "hdc", F, NULL, "raw", TRUE },
    { "vdr", F, "/images/tools.iso", "raw", TRUE },
    { NULL, 0, NULL, NULL, FALSE }
};

static const TestDisk dom_none[] = {
    { NULL, 0, NULL, NULL, FALSE }
};

#undef F
#undef B


static BpDomainDef *
test_domain_new(const TestDisk *disks)
{
    BpDomainDef *def = bp_domain_def_new("vm1");

    for (const TestDisk *d = disks; d->dst; d++) {
        BpDiskDef *disk = bp_disk_def_new(d->dst, d->type, d->path, d->format);

        disk->src->readonly = d->readonly;
        if (!d->path) {
            g_free(disk->device);
            disk->device = g_strdup("cdrom");
        }
        bp_domain_def_add_disk(def, disk);
    }
    return def;
}


/* libvirt's harness domain: /fake/<name>.qcow2 for every listed disk, then
 * vdextradisk. */
static BpDomainDef *
test_fake_domain_new(const BpBackupDef *backup)
{
    BpDomainDef *def = bp_domain_def_new("fake");
    const char *extra = "vdextradisk";

    for (size_t i = 0; i <= backup->ndisks; i++) {
        const char *name = i < backup->ndisks ? backup->disks[i]->name : extra;
        g_autofree char *path = g_strdup_printf("/fake/%s.qcow2", name);

        bp_domain_def_add_disk(def, bp_disk_def_new(name, BP_STORAGE_TYPE_FILE,
                                                    path, "qcow2"));
    }
    return def;
}


static char *
test_read_file(const char *path)
{
    g_autoptr(GError) error = NULL;
    char *content = NULL;

    g_file_get_contents(path, &content, NULL, &error);
    g_assert_no_error(error);
    return content;
}


/*
 * Parses @xml with @flags, aligns it with @domain (or with libvirt's fake
 * domain when @domain is NULL) using @suffix and formats it.
 */
static char *
test_parse_align_format(const char *xml,
                        unsigned int flags,
                        const BpDomainDef *domain,
                        const char *suffix)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpBackupDef) def = NULL;
    g_autoptr(BpDomainDef) fake = NULL;

    def = bp_backup_def_parse_string(xml, flags, &error);
    g_assert_no_error(error);
    g_assert_nonnull(def);
    if (!domain)
        domain = fake = test_fake_domain_new(def);
    g_assert_true(bp_backup_def_align_disks(def, domain, suffix, &error));
    g_assert_no_error(error);
    return bp_backup_def_format_string(def, (flags & BP_BACKUP_PARSE_INTERNAL) != 0);
}


/* The output of a run, parsed, aligned and formatted again, must not
 * change: everything alignment adds is read back as given. */
static void
test_fixed_point(const char *output,
                 unsigned int flags,
                 const BpDomainDef *domain,
                 const char *suffix)
{
    g_autofree char *again = NULL;

    if (!(flags & BP_BACKUP_PARSE_INTERNAL))
        flags |= BP_BACKUP_PARSE_VALIDATE;
    /* A different suffix proves that nothing is generated twice. */
    again = test_parse_align_format(output, flags, domain, suffix);
    g_assert_cmpstr(again, ==, output);
}


/* ---------------------------------------------------------------------- */
/* libvirt's corpus                                                       */
/* ---------------------------------------------------------------------- */

typedef struct {
    const char *name;
    gboolean internal;
} CorpusCase;

static const CorpusCase corpus_cases[] = {
    { "empty", FALSE },
    { "backup-pull", FALSE },
    { "backup-pull-unix", FALSE },
    { "backup-pull-fd", FALSE },
    { "backup-pull-seclabel", FALSE },
    { "backup-pull-encrypted", FALSE },
    { "backup-push", FALSE },
    { "backup-push-seclabel", FALSE },
    { "backup-push-encrypted", FALSE },
    { "backup-pull-internal-invalid", TRUE },
};


static void
test_corpus(gconstpointer data)
{
    const CorpusCase *c = data;
    g_autofree char *rel_in = g_strdup_printf("domainbackupxml2xmlin/%s.xml", c->name);
    g_autofree char *rel_out = g_strdup_printf("domainbackupxml2xmlout/%s.xml", c->name);
    g_autofree char *path_in = NULL;
    g_autofree char *path_out = NULL;
    g_autofree char *input = NULL;
    g_autofree char *expected = NULL;
    g_autofree char *actual = NULL;
    g_autoptr(BpBackupDef) def = NULL;
    g_autoptr(BpDomainDef) fake = NULL;
    g_autoptr(GError) error = NULL;
    /* libvirt validates everything but status XML */
    unsigned int flags = c->internal ? BP_BACKUP_PARSE_INTERNAL
                                     : BP_BACKUP_PARSE_VALIDATE;

    if (!(path_in = bp_test_conformance_path(rel_in)))
        return;
    path_out = bp_test_conformance_path(rel_out);
    input = test_read_file(path_in);
    expected = test_read_file(path_out);

    def = bp_backup_def_parse_string(input, flags, &error);
    g_assert_no_error(error);
    fake = test_fake_domain_new(def);
    g_assert_true(bp_backup_def_align_disks(def, fake, "SUFFIX", &error));
    g_assert_no_error(error);
    actual = bp_backup_def_format_string(def, c->internal);

    /* Compared here, never through the regenerating helper: the corpus
     * is upstream's and must not be rewritten. */
    g_assert_cmpstr(actual, ==, expected);

    test_fixed_point(actual, flags, fake, "OTHER");
}


/* ---------------------------------------------------------------------- */
/* Our own pairs                                                          */
/* ---------------------------------------------------------------------- */

typedef struct {
    const char *name;
    const TestDisk *domain;
    const char *suffix;
    unsigned int flags;
} GoldenCase;

static const GoldenCase golden_cases[] = {
    { "pull-unix", dom_std, "1700000000", BP_BACKUP_PARSE_VALIDATE },
    { "push-differential", dom_files, "SUFFIX", BP_BACKUP_PARSE_VALIDATE },
    { "push-overrides", dom_std, "cp4", BP_BACKUP_PARSE_VALIDATE },
    { "push-excluded", dom_std, "SUFFIX", BP_BACKUP_PARSE_VALIDATE },
    { "push-no-disks", dom_files, "cp2", BP_BACKUP_PARSE_VALIDATE },
    { "pull-status", dom_std, "SUFFIX", BP_BACKUP_PARSE_INTERNAL },
};


static void
test_golden(gconstpointer data)
{
    const GoldenCase *c = data;
    g_autofree char *rel_in = g_strdup_printf("confdata/backup/%s-in.xml", c->name);
    g_autofree char *rel_out = g_strdup_printf("confdata/backup/%s-out.xml", c->name);
    g_autofree char *path_in = bp_test_srcpath(rel_in);
    g_autofree char *path_out = bp_test_srcpath(rel_out);
    g_autofree char *input = test_read_file(path_in);
    g_autofree char *actual = NULL;
    g_autoptr(BpDomainDef) domain = test_domain_new(c->domain);

    actual = test_parse_align_format(input, c->flags, domain, c->suffix);
    bp_test_compare_to_file(actual, path_out);
    test_fixed_point(actual, c->flags, domain, "OTHER");
}


/* ---------------------------------------------------------------------- */
/* Errors                                                                 */
/* ---------------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *xml;
    unsigned int flags;
    const TestDisk *domain;     /* NULL: dom_std */
    int code;
    const char *message;        /* a part of the message */
} ErrorCase;

#define V BP_BACKUP_PARSE_VALIDATE
#define I BP_BACKUP_PARSE_INTERNAL
#define PULL_HEAD "<domainbackup mode='pull'>\n" \
                  "  <server name='localhost' port='10809'/>\n"

static const ErrorCase error_cases[] = {
    /* -- not XML, wrong document, schema -- */
    { "malformed", "<domainbackup>\n  <disks>\n</domainbackup>\n", V, NULL,
      BP_ERROR_XML_SYNTAX, "line 3" },
    { "empty-string", "", V, NULL, BP_ERROR_XML_SYNTAX, "empty" },
    { "wrong-root", "<domaincheckpoint/>", 0, NULL,
      BP_ERROR_XML_INVALID, "<domaincheckpoint>" },
    /* the semantic checks run before the schema, so the value is named */
    { "schema-mode", "<domainbackup\n mode='bogus'/>", V, NULL,
      BP_ERROR_CONFIG_UNSUPPORTED, "unknown backup mode 'bogus' (line 2)" },
    /* inside <interleave> libxml2 names only some line of the document */
    { "schema-disk-attr",
      "<domainbackup>\n  <disks>\n    <disk name='vda' backup='maybe'/>\n"
      "  </disks>\n</domainbackup>", V, NULL, BP_ERROR_XML_INVALID, "line " },
    { "schema-status-fields",
      "<domainbackup>\n  <disks>\n    <disk name='vda' state='running'/>\n"
      "  </disks>\n</domainbackup>", V, NULL, BP_ERROR_XML_INVALID, "line " },

    /* -- top level -- */
    { "mode-unknown", "<domainbackup mode='bogus'/>", 0, NULL,
      BP_ERROR_CONFIG_UNSUPPORTED, "unknown backup mode 'bogus'" },
    { "mode-default", "<domainbackup mode='default'/>", 0, NULL,
      BP_ERROR_CONFIG_UNSUPPORTED, "unknown backup mode 'default'" },
    { "push-server",
      "<domainbackup>\n  <server name='localhost' port='10809'/>\n</domainbackup>",
      0, NULL, BP_ERROR_CONFIG_UNSUPPORTED,
      "use of <server> requires pull mode backup (line 2)" },
    /* differs: any text is a checkpoint name for libvirt */
    { "incremental-name", "<domainbackup>\n<incremental>../cp1</incremental>\n</domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "'../cp1' in <incremental> (line 2)" },

    /* -- server -- */
    { "server-rdma",
      "<domainbackup mode='pull'><server transport='rdma' name='h'/></domainbackup>",
      0, NULL, BP_ERROR_CONFIG_UNSUPPORTED,
      "transport rdma is not supported for <server>" },
    { "server-transport",
      "<domainbackup mode='pull'><server transport='udp' name='h'/></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "'udp'" },
    { "server-unix-relative",
      "<domainbackup mode='pull'><server transport='unix' socket='run/x.sock'/></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID,
      "backup socket path 'run/x.sock' must be absolute (line 1)" },
    { "server-unix-relative-validated",
      "<domainbackup mode='pull'><server transport='unix' socket='run/x.sock'/></domainbackup>",
      V, NULL, BP_ERROR_XML_INVALID, "line 1" },
    { "server-unix-no-socket",
      "<domainbackup mode='pull'><server transport='unix'/></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "missing socket path" },
    { "server-tcp-socket",
      "<domainbackup mode='pull'><server name='h' socket='/x'/></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "transport 'tcp'" },
    { "server-tcp-no-name",
      "<domainbackup mode='pull'><server port='10809'/></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "missing host name" },
    /* differs: libvirt takes any unsigned int */
    { "server-port",
      "<domainbackup mode='pull'><server name='h' port='70000'/></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "invalid port '70000'" },
    { "server-port-sign",
      "<domainbackup mode='pull'><server name='h' port='+1'/></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "invalid port '+1'" },
    { "server-fd-no-group",
      "<domainbackup mode='pull'><server transport='fd'/></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "missing fdgroup" },
    { "server-tls",
      "<domainbackup mode='pull'><server name='h' tls='maybe'/></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "'maybe' for attribute 'tls'" },

    /* -- disks -- */
    { "disk-no-name",
      "<domainbackup>\n  <disks>\n    <disk backup='yes'/>\n  </disks>\n</domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "missing name from disk backup element (line 3)" },
    /* differs: only the schema checks this in libvirt */
    { "disk-name-path",
      "<domainbackup><disks><disk name='/images/vm1-vda.qcow2'/></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "invalid disk name '/images/vm1-vda.qcow2'" },
    { "disk-name-dotdot",
      "<domainbackup><disks><disk name='vd../x' backup='no'/></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "invalid disk name 'vd../x'" },
    { "disk-backup",
      "<domainbackup><disks><disk name='vda' backup='maybe'/></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "'maybe' for attribute 'backup' of disk 'vda'" },
    { "disk-backupmode",
      "<domainbackup><disks><disk name='vda' backupmode='partial'/></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "invalid backupmode 'partial' of disk 'vda'" },
    /* differs: any text is a checkpoint name for libvirt */
    { "disk-incremental-name",
      "<domainbackup><disks><disk name='vda' incremental='a/b'/></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "'a/b' in attribute 'incremental' of disk 'vda'" },
    { "disk-type-network",
      "<domainbackup><disks><disk name='vda' type='network'/></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "unsupported disk backup type 'network'" },
    { "disk-type-unknown",
      "<domainbackup><disks><disk name='vda' type='floppy'/></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "unknown storage type 'floppy' of disk 'vda'" },
    { "disk-format-unknown",
      "<domainbackup><disks><disk name='vda'><driver type='qcow3'/></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "unknown storage format 'qcow3' of disk 'vda'" },
    /* differs: libvirt refuses it only when the backup starts */
    { "pull-raw-scratch",
      PULL_HEAD "  <disks><disk name='vda'><driver type='raw'/></disk></disks>\n</domainbackup>",
      0, NULL, BP_ERROR_CONFIG_UNSUPPORTED,
      "pull mode backup for disk 'vda' requires qcow2 driver" },
    { "pull-raw-scratch-validated",
      PULL_HEAD "  <disks><disk name='vda'><driver type='raw'/></disk></disks>\n</domainbackup>",
      V, NULL, BP_ERROR_CONFIG_UNSUPPORTED,
      "pull mode backup for disk 'vda' requires qcow2 driver (line 3)" },
    /* differs: only the schema checks this in libvirt */
    { "target-relative",
      "<domainbackup><disks><disk name='vda'><target file='vda.qcow2'/></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "backup target path 'vda.qcow2' of disk 'vda' must be absolute" },
    { "scratch-relative",
      PULL_HEAD "<disks><disk name='vda'><scratch file='s.qcow2'/></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "backup scratch path 's.qcow2'" },

    /* -- export and bitmap names (pull) -- */
    /* differs: libvirt passes any export name on to QEMU */
    { "exportname-slash",
      PULL_HEAD "<disks><disk name='vda' exportname='a/b'/></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "invalid exportname 'a/b' of disk 'vda'" },
    /* differs: libvirt passes any export name on to QEMU */
    { "exportname-empty",
      PULL_HEAD "<disks><disk name='vda' exportname=''/></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "exportname of disk 'vda' is empty" },
    /* differs: libvirt passes any bitmap name on to QEMU */
    { "exportbitmap-control",
      PULL_HEAD "<disks><disk name='vda' exportbitmap='bm&#x9;x'/></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "invalid exportbitmap 'bm\\tx' of disk 'vda'" },
    /* differs: allowed by the schema, refused by the parser */
    { "exportbitmap-slash-validated",
      PULL_HEAD "<disks><disk name='vda' exportbitmap='x/y'/></disks></domainbackup>",
      V, NULL, BP_ERROR_XML_INVALID, "invalid exportbitmap 'x/y'" },

    /* -- seclabel and encryption -- */
    { "seclabel-relabel",
      "<domainbackup><disks><disk name='vda'><target file='/t'>\n"
      "<seclabel relabel='sometimes'/></target></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "'sometimes' for attribute 'relabel' of <seclabel>: expected 'yes' or 'no' (line 2)" },
    { "seclabel-label-norelabel",
      "<domainbackup><disks><disk name='vda'><target file='/t'>"
      "<seclabel model='selinux' relabel='no'><label>x</label></seclabel>"
      "</target></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "model 'selinux' has a <label> although relabel='no'" },
    { "seclabel-duplicate",
      "<domainbackup><disks><disk name='vda'><target file='/t'>"
      "<seclabel model='dac' relabel='no'/><seclabel model='dac' relabel='no'/>"
      "</target></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "a second <seclabel> for security model 'dac'" },
    { "encryption-no-format",
      "<domainbackup><disks><disk name='vda'><target file='/t'>"
      "<encryption/></target></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "<encryption> has no format" },
    { "encryption-format",
      "<domainbackup><disks><disk name='vda'><target file='/t'>"
      "<encryption format='veracrypt'/></target></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_CONFIG_UNSUPPORTED, "unknown encryption format 'veracrypt'" },
    { "encryption-engine",
      "<domainbackup><disks><disk name='vda'><target file='/t'>"
      "<encryption format='luks' engine='default'/></target></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "invalid encryption engine 'default'" },
    { "secret-type",
      "<domainbackup><disks><disk name='vda'><target file='/t'><encryption format='luks'>"
      "<secret type='ceph' usage='x'/></encryption></target></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_CONFIG_UNSUPPORTED, "unsupported encryption secret type 'ceph'" },
    { "secret-both",
      "<domainbackup><disks><disk name='vda'><target file='/t'><encryption format='luks'>"
      "<secret type='passphrase' usage='x' uuid='0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f'/>"
      "</encryption></target></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "both uuid" },
    { "secret-none",
      "<domainbackup><disks><disk name='vda'><target file='/t'><encryption format='luks'>"
      "<secret type='passphrase'/></encryption></target></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "needs a uuid or a usage" },
    { "secret-uuid",
      "<domainbackup><disks><disk name='vda'><target file='/t'><encryption format='luks'>"
      "<secret type='passphrase' uuid='0a81f5b2-8403'/></encryption></target></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "invalid secret uuid '0a81f5b2-8403'" },
    { "cipher-size",
      "<domainbackup><disks><disk name='vda'><target file='/t'><encryption format='luks'>"
      "<cipher name='aes' size='big'/></encryption></target></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "invalid size 'big' of encryption <cipher> 'aes'" },
    { "cipher-no-size",
      "<domainbackup><disks><disk name='vda'><target file='/t'><encryption format='luks'>"
      "<cipher name='aes'/></encryption></target></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "<cipher> 'aes' has no size" },
    { "ivgen-no-cipher",
      "<domainbackup><disks><disk name='vda'><target file='/t'><encryption format='luks'>"
      "<ivgen name='plain64'/></encryption></target></disk></disks></domainbackup>",
      0, NULL, BP_ERROR_XML_INVALID, "<ivgen> needs a <cipher>" },

    /* -- status XML -- */
    { "status-no-state",
      "<domainbackup><disks><disk name='vda'/></disks></domainbackup>",
      I, NULL, BP_ERROR_XML_INVALID, "missing state of disk 'vda'" },
    { "status-bad-state",
      "<domainbackup><disks><disk name='vda' state='paused'/></disks></domainbackup>",
      I, NULL, BP_ERROR_XML_INVALID, "invalid state 'paused' of disk 'vda'" },
    { "status-bad-index",
      "<domainbackup><disks><disk name='vda' state='running' index='-1'/></disks></domainbackup>",
      I, NULL, BP_ERROR_XML_INVALID, "invalid disk index '-1' of disk 'vda'" },

    /* -- alignment with the domain (libvirt's messages) -- */
    { "align-no-domain-disks", "<domainbackup/>", V, dom_none,
      BP_ERROR_CONFIG_UNSUPPORTED, "domain must have at least one disk to perform backup" },
    { "align-unknown-disk",
      "<domainbackup><disks><disk name='vdz'/></disks></domainbackup>", V, NULL,
      BP_ERROR_CONFIG_UNSUPPORTED, "no disk named 'vdz'" },
    { "align-twice",
      "<domainbackup><disks><disk name='vda'/><disk name='vdb'/><disk name='vda' backup='no'/>"
      "</disks></domainbackup>", V, NULL,
      BP_ERROR_CONFIG_UNSUPPORTED, "disk 'vda' specified twice" },
    { "align-incremental-no-checkpoint",
      "<domainbackup><disks><disk name='vdb' type='file' backupmode='incremental'/>"
      "</disks></domainbackup>", V, NULL, BP_ERROR_CONFIG_UNSUPPORTED,
      "'incremental' backup mode of disk 'vdb' requires setting 'incremental' field for disk or backup" },
    { "align-excluded-incremental-no-checkpoint",
      "<domainbackup><disks><disk name='vdb' backup='no' backupmode='incremental'/>"
      "</disks></domainbackup>", 0, NULL, BP_ERROR_NUM_ENTRIES, NULL },
    { "align-no-media",
      "<domainbackup><disks><disk name='hdc'/></disks></domainbackup>", V, NULL,
      BP_ERROR_CONFIG_UNSUPPORTED, "disk 'hdc' has no media" },
    { "align-block-generated",
      "<domainbackup><disks><disk name='sda'/></disks></domainbackup>", V, NULL,
      BP_ERROR_CONFIG_UNSUPPORTED, "refusing to generate file name for disk 'sda'" },
    { "align-block-all", "<domainbackup/>", V, NULL,
      BP_ERROR_CONFIG_UNSUPPORTED, "refusing to generate file name for disk 'sda'" },
};

#undef V
#undef I
#undef PULL_HEAD


static void
test_error(gconstpointer data)
{
    const ErrorCase *c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(BpBackupDef) def = NULL;
    g_autoptr(BpDomainDef) domain = test_domain_new(c->domain ? c->domain : dom_std);

    def = bp_backup_def_parse_string(c->xml, c->flags, &error);
    if (def) {
        g_assert_no_error(error);
        if (bp_backup_def_align_disks(def, domain, "SUFFIX", &error))
            g_assert_no_error(error);
    }

    /* BP_ERROR_NUM_ENTRIES marks a case that must be accepted. */
    if (c->code == BP_ERROR_NUM_ENTRIES) {
        g_assert_no_error(error);
        return;
    }
    g_assert_error(error, BP_ERROR, c->code);
    if (!strstr(error->message, c->message)) {
        g_test_message("message \"%s\" lacks \"%s\"", error->message, c->message);
        g_test_fail();
    }
}


/* ---------------------------------------------------------------------- */
/* Smaller pieces                                                         */
/* ---------------------------------------------------------------------- */

static void
test_uuid(void)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        { "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f", "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f" },
        { "0A81F5B284037B23C8D621CCC2F80D6F", "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f" },
        { " 0a81f5b2 8403 7b23 c8d6 21ccc2f80d6f ", "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f" },
        { "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6", NULL },
        { "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f0", NULL },
        { "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6g", NULL },
        { "0a8-1f5b2-8403-7b23-c8d6-21ccc2f80d6f", NULL },
        { "", NULL },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = bp_uuid_canonicalize(cases[i].in);

        g_assert_cmpstr(out, ==, cases[i].out);
    }
}


static void
test_name_is_valid(void)
{
    g_autofree char *longest = g_strnfill(255, 'a');
    g_autofree char *too_long = g_strnfill(256, 'a');

    g_assert_true(bp_name_is_valid("1525889631"));
    g_assert_true(bp_name_is_valid("cp-1.2_x"));
    g_assert_true(bp_name_is_valid("-x"));
    g_assert_true(bp_name_is_valid(longest));
    g_assert_false(bp_name_is_valid(too_long));
    g_assert_false(bp_name_is_valid(""));
    g_assert_false(bp_name_is_valid(NULL));
    g_assert_false(bp_name_is_valid(".hidden"));
    g_assert_false(bp_name_is_valid("../escape"));
    g_assert_false(bp_name_is_valid("a/b"));
    g_assert_false(bp_name_is_valid("a b"));
}


/* The disks alignment appends are owned by the definition and come in
 * domain order; listed disks keep their place. */
static void
test_align_order(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpBackupDef) def = NULL;
    g_autoptr(BpDomainDef) domain = test_domain_new(dom_std);
    static const char *const expected[] = { "vdr", "vdb", "vda", "sda", "hdc" };

    def = bp_backup_def_parse_string("<domainbackup><disks>"
                                     "<disk name='vdr'/><disk name='vdb'/>"
                                     "</disks></domainbackup>",
                                     BP_BACKUP_PARSE_VALIDATE, &error);
    g_assert_no_error(error);
    g_assert_true(bp_backup_def_align_disks(def, domain, "S", &error));
    g_assert_cmpuint(def->ndisks, ==, G_N_ELEMENTS(expected));
    for (size_t i = 0; i < def->ndisks; i++)
        g_assert_cmpstr(def->disks[i]->name, ==, expected[i]);
    g_assert_true(bp_backup_def_find_disk(def, "vdr")->backup);
    g_assert_cmpstr(bp_backup_def_find_disk(def, "vdr")->store->path, ==,
                    "/images/tools.iso.S");
    g_assert_false(bp_backup_def_find_disk(def, "vda")->backup);
    g_assert_null(bp_backup_def_find_disk(def, "vda")->store);
    g_assert_null(bp_backup_def_find_disk(def, "vdz"));
}


/* Status XML is never checked against the public schema, which refuses
 * state= and <privateData>: VALIDATE is ignored with INTERNAL. */
static void
test_internal_ignores_validate(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpBackupDef) def = NULL;
    const char *xml = "<domainbackup><disks>"
                      "<disk name='vda' state='complete' index='3'/>"
                      "</disks><privateData><objects><TLSx509 alias='t'/>"
                      "</objects></privateData></domainbackup>";

    def = bp_backup_def_parse_string(xml, BP_BACKUP_PARSE_INTERNAL |
                                     BP_BACKUP_PARSE_VALIDATE, &error);
    g_assert_no_error(error);
    g_assert_cmpint(def->disks[0]->state, ==, BP_BACKUP_DISK_STATE_COMPLETE);
    g_assert_cmpuint(def->disks[0]->store->index, ==, 3);
    g_assert_cmpstr(def->tls_alias, ==, "t");
    g_assert_null(def->tls_secret_alias);
    g_clear_pointer(&def, bp_backup_def_free);

    /* without INTERNAL the same fields are a schema violation ... */
    def = bp_backup_def_parse_string(xml, BP_BACKUP_PARSE_VALIDATE, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_XML_INVALID);
    g_assert_null(def);
    g_clear_error(&error);

    /* ... and, unvalidated, are ignored: index and <privateData> are only
     * read from status XML */
    def = bp_backup_def_parse_string(xml, 0, &error);
    g_assert_no_error(error);
    g_assert_cmpint(def->disks[0]->state, ==, BP_BACKUP_DISK_STATE_NONE);
    g_assert_cmpuint(def->disks[0]->store->index, ==, 0);
    g_assert_null(def->tls_alias);
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(corpus_cases); i++) {
        g_autofree char *path = g_strdup_printf("/conf/backup/corpus/%s",
                                                corpus_cases[i].name);

        g_test_add_data_func(path, &corpus_cases[i], test_corpus);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(golden_cases); i++) {
        g_autofree char *path = g_strdup_printf("/conf/backup/golden/%s",
                                                golden_cases[i].name);

        g_test_add_data_func(path, &golden_cases[i], test_golden);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(error_cases); i++) {
        g_autofree char *path = g_strdup_printf("/conf/backup/error/%s",
                                                error_cases[i].name);

        g_test_add_data_func(path, &error_cases[i], test_error);
    }
    g_test_add_func("/conf/backup/uuid", test_uuid);
    g_test_add_func("/conf/backup/name-is-valid", test_name_is_valid);
    g_test_add_func("/conf/backup/align-order", test_align_order);
    g_test_add_func("/conf/backup/internal-ignores-validate",
                    test_internal_ignores_validate);

    return g_test_run();
}
