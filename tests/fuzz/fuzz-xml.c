/*
 * fuzz-xml.c: libFuzzer harness for the XML document parsers.
 *
 * Input: one selector byte, then the document.  A document that parses is
 * aligned against a fixed two-disk domain, formatted, and the formatted
 * text must parse again (with the same flags) — a formatter that prints
 * something its own parser refuses is a bug, and aborts.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/bp-backup-conf.h"
#include "conf/bp-checkpoint-conf.h"
#include "conf/bp-domain-conf.h"
#include "conf/bp-snapshot-conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static BpDomainDef *
fuzz_domain(void)
{
    static BpDomainDef *dom;

    if (!dom) {
        dom = bp_domain_def_new("fuzz");
        bp_domain_def_add_disk(dom, bp_disk_def_new("vda", BP_STORAGE_TYPE_FILE,
                                                    "/fuzz/vda.qcow2", "qcow2"));
        bp_domain_def_add_disk(dom, bp_disk_def_new("vdb", BP_STORAGE_TYPE_FILE,
                                                    "/fuzz/vdb.qcow2", "qcow2"));
    }
    return dom;
}


static void
fuzz_domain_doc(const char *xml)
{
    g_autoptr(BpDomainDef) def = NULL;
    g_autoptr(BpDomainDef) again = NULL;
    g_autofree char *out = NULL;

    if (!(def = bp_domain_def_parse_string(xml, 0, NULL)))
        return;
    out = bp_domain_def_format_string(def);
    if (!(again = bp_domain_def_parse_string(out, 0, NULL)))
        abort();
}


static void
fuzz_checkpoint(const char *xml, gboolean redefine)
{
    g_autoptr(BpCheckpointDef) def = NULL;
    g_autoptr(BpCheckpointDef) again = NULL;
    g_autofree char *out = NULL;
    unsigned int flags = redefine ? BP_CHECKPOINT_PARSE_REDEFINE : 0;

    if (!(def = bp_checkpoint_def_parse_string(xml, flags, 1525889631, NULL)))
        return;
    if (!redefine) {
        bp_domain_def_free(def->dom);
        def->dom = bp_domain_def_copy(fuzz_domain());
        if (!bp_checkpoint_def_align_disks(def, NULL, NULL) ||
            !bp_checkpoint_def_assign_bitmap_names(def, NULL))
            return;
    }
    out = bp_checkpoint_def_format(def, BP_CHECKPOINT_FORMAT_SIZE);
    if (!(again = bp_checkpoint_def_parse_string(out, BP_CHECKPOINT_PARSE_REDEFINE,
                                                 1525889631, NULL)))
        abort();
}


static void
fuzz_backup(const char *xml, gboolean internal)
{
    g_autoptr(BpBackupDef) def = NULL;
    g_autoptr(BpBackupDef) again = NULL;
    g_autofree char *out = NULL;
    unsigned int flags = internal ? BP_BACKUP_PARSE_INTERNAL : 0;

    if (!(def = bp_backup_def_parse_string(xml, flags, NULL)))
        return;
    /* Status documents are written from a running job, whose disks all
     * have a state; aligning would add stateless disks, so only requests
     * are aligned. */
    if (!internal && !bp_backup_def_align_disks(def, fuzz_domain(), "SUFFIX", NULL))
        return;
    out = bp_backup_def_format_string(def, internal);
    if (!(again = bp_backup_def_parse_string(out, flags, NULL)))
        abort();
}


static void
fuzz_snapshot(const char *xml)
{
    g_autoptr(BpSnapshotDef) def = NULL;
    g_autofree char *out = NULL;

    if (!(def = bp_snapshot_def_parse_string(xml, 0, 1525889631, NULL)))
        return;
    out = bp_snapshot_def_format(def, 0);
    (void) out;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = NULL;

    if (size < 2 || size > 64 * 1024)
        return 0;
    xml = g_strndup((const char *) data + 1, size - 1);

    switch (data[0]) {
    case 'd': fuzz_domain_doc(xml); break;
    case 'c': fuzz_checkpoint(xml, FALSE); break;
    case 'C': fuzz_checkpoint(xml, TRUE); break;
    case 'b': fuzz_backup(xml, FALSE); break;
    case 'B': fuzz_backup(xml, TRUE); break;
    case 's': fuzz_snapshot(xml); break;
    default: break;
    }
    return 0;
}
