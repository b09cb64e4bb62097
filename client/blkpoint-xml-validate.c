/*
 * blkpoint-xml-validate: check a blkpoint/libvirt XML document without a
 * daemon, and optionally print it the way blkpoint stores it.
 *
 *   blkpoint-xml-validate [--domain DOMAIN.xml] [--format] [--redefine]
 *                         [--internal] [--suffix S] [--now SECONDS] FILE
 *
 * The document kind is taken from the root element.  Every document goes
 * through the same three steps as in the daemon: well-formedness, the
 * RelaxNG schema, and the semantic parser; with --domain, checkpoint,
 * backup and snapshot requests are also aligned against the domain's
 * disks (defaults filled in exactly as blkpointd fills them).
 *
 * Exit status: 0 valid, 1 invalid, 2 usage or I/O error.
 */
#include <config.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf/bp-backup-conf.h"
#include "conf/bp-checkpoint-conf.h"
#include "conf/bp-domain-conf.h"
#include "conf/bp-snapshot-conf.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"
#include "util/bp-xml.h"

typedef struct {
    const char *domain_file;
    gboolean format;
    gboolean redefine;
    gboolean internal;
    const char *suffix;
    gint64 now;
} BpValidateOptions;


/* Returns the name of the root element of @xml (newly allocated), or NULL
 * with an error when the document is not well-formed. */
static char *
bp_validate_root_name(const char *xml, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    xmlNode *root;

    /* Parse once without a schema only to learn the root's name; the
     * document parser then repeats the full check. */
    if (!(doc = xmlReadMemory(xml, (int) strlen(xml), NULL, NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR |
                              XML_PARSE_NOWARNING))) {
        g_autoptr(xmlDoc) again = bp_xml_parse(xml, "XML", "?", NULL, NULL,
                                                error);
        return NULL;
    }
    root = xmlDocGetRootElement(doc);
    if (!root) {
        g_set_error(error, BP_ERROR, BP_ERROR_XML_SYNTAX,
                    _("document has no root element"));
        return NULL;
    }
    return g_strdup((const char *) root->name);
}


static char *
bp_validate_domain(const char *xml, BpValidateOptions *opts, GError **error)
{
    g_autoptr(BpDomainDef) def = NULL;

    if (!(def = bp_domain_def_parse_string(xml, BP_DOMAIN_PARSE_VALIDATE, error)))
        return NULL;
    return bp_domain_def_format_string(def);
}


static char *
bp_validate_checkpoint(const char *xml, BpDomainDef *dom,
                       BpValidateOptions *opts, GError **error)
{
    g_autoptr(BpCheckpointDef) def = NULL;
    unsigned int flags = BP_CHECKPOINT_PARSE_VALIDATE;

    if (opts->redefine)
        flags |= BP_CHECKPOINT_PARSE_REDEFINE;
    if (!(def = bp_checkpoint_def_parse_string(xml, flags, opts->now, error)))
        return NULL;
    if (dom && !opts->redefine) {
        bp_domain_def_free(def->dom);
        def->dom = bp_domain_def_copy(dom);
        if (!bp_checkpoint_def_align_disks(def, NULL, error) ||
            !bp_checkpoint_def_assign_bitmap_names(def, error))
            return NULL;
    }
    return bp_checkpoint_def_format(def, 0);
}


static char *
bp_validate_backup(const char *xml, BpDomainDef *dom,
                   BpValidateOptions *opts, GError **error)
{
    g_autoptr(BpBackupDef) def = NULL;
    g_autofree char *suffix = NULL;
    unsigned int flags = opts->internal ? BP_BACKUP_PARSE_INTERNAL
                                        : BP_BACKUP_PARSE_VALIDATE;

    if (!(def = bp_backup_def_parse_string(xml, flags, error)))
        return NULL;
    if (dom) {
        suffix = opts->suffix ? g_strdup(opts->suffix)
                              : g_strdup_printf("%" G_GINT64_FORMAT, opts->now);
        if (!bp_backup_def_align_disks(def, dom, suffix, error))
            return NULL;
    }
    return bp_backup_def_format_string(def, opts->internal);
}


static char *
bp_validate_snapshot(const char *xml, BpDomainDef *dom,
                     BpValidateOptions *opts, GError **error)
{
    g_autoptr(BpSnapshotDef) def = NULL;
    unsigned int flags = BP_SNAPSHOT_PARSE_VALIDATE;

    if (opts->redefine)
        flags |= BP_SNAPSHOT_PARSE_REDEFINE;
    if (!(def = bp_snapshot_def_parse_string(xml, flags, opts->now, error)))
        return NULL;
    if (dom && !bp_snapshot_def_align_disks(def, dom, 0, error))
        return NULL;
    return bp_snapshot_def_format(def, 0);
}


/* Validates the document in @file; returns its formatted form. */
static char *
bp_validate_file(const char *file, BpValidateOptions *opts, GError **error)
{
    g_autofree char *xml = NULL;
    g_autofree char *root = NULL;
    g_autofree char *domxml = NULL;
    g_autoptr(BpDomainDef) dom = NULL;

    if (!g_file_get_contents(file, &xml, NULL, error))
        return NULL;
    if (opts->domain_file) {
        if (!g_file_get_contents(opts->domain_file, &domxml, NULL, error))
            return NULL;
        if (!(dom = bp_domain_def_parse_string(domxml, BP_DOMAIN_PARSE_VALIDATE,
                                               error))) {
            g_prefix_error(error, "%s: ", opts->domain_file);
            return NULL;
        }
    }
    if (!(root = bp_validate_root_name(xml, error)))
        return NULL;

    if (g_str_equal(root, "domain"))
        return bp_validate_domain(xml, opts, error);
    if (g_str_equal(root, "domaincheckpoint"))
        return bp_validate_checkpoint(xml, dom, opts, error);
    if (g_str_equal(root, "domainbackup"))
        return bp_validate_backup(xml, dom, opts, error);
    if (g_str_equal(root, "domainsnapshot"))
        return bp_validate_snapshot(xml, dom, opts, error);

    g_set_error(error, BP_ERROR, BP_ERROR_XML_INVALID,
                _("unknown document kind <%s>: expected domain, "
                  "domaincheckpoint, domainbackup or domainsnapshot"), root);
    return NULL;
}


int
main(int argc, char **argv)
{
    BpValidateOptions opts = { 0 };
    g_autoptr(GOptionContext) octx = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    g_autofree char *domain_file = NULL;
    g_autofree char *suffix = NULL;
    gint64 now = -1;
    const GOptionEntry entries[] = {
        { "domain", 'd', 0, G_OPTION_ARG_FILENAME, &domain_file,
          N_("Align the document's disks against this domain definition"),
          N_("FILE") },
        { "format", 'f', 0, G_OPTION_ARG_NONE, &opts.format,
          N_("Print the document the way blkpoint stores it"), NULL },
        { "redefine", 0, 0, G_OPTION_ARG_NONE, &opts.redefine,
          N_("Parse a checkpoint or snapshot as a redefinition"), NULL },
        { "internal", 0, 0, G_OPTION_ARG_NONE, &opts.internal,
          N_("Parse a backup as internal status XML"), NULL },
        { "suffix", 0, 0, G_OPTION_ARG_STRING, &suffix,
          N_("Suffix for generated backup file names (default: the time)"),
          N_("SUFFIX") },
        { "now", 0, 0, G_OPTION_ARG_INT64, &now,
          N_("Use this creation time (seconds since the epoch)"),
          N_("SECONDS") },
        { NULL }
    };

    bp_i18n_init();
    octx = g_option_context_new(_("FILE — validate a blkpoint XML document"));
    g_option_context_add_main_entries(octx, entries, GETTEXT_PACKAGE);
    g_option_context_set_translation_domain(octx, GETTEXT_PACKAGE);
    if (!g_option_context_parse(octx, &argc, &argv, &error)) {
        g_printerr("%s\n", error->message);
        return 2;
    }
    if (argc != 2) {
        g_printerr(_("expected exactly one FILE; see --help\n"));
        return 2;
    }
    opts.domain_file = domain_file;
    opts.suffix = suffix;
    opts.now = now >= 0 ? now : g_get_real_time() / G_USEC_PER_SEC;

    if (!(out = bp_validate_file(argv[1], &opts, &error))) {
        g_printerr(_("%s fails to validate: %s\n"), argv[1], error->message);
        return error->domain == BP_ERROR ? 1 : 2;
    }
    if (opts.format)
        fputs(out, stdout);
    else
        g_print(_("%s validates\n"), argv[1]);
    return 0;
}
