/*
 * blkpoint-restore.c: restore, which writes a standalone image of a disk
 * as it was at a backup (Domain.Restore()) and waits for the job.
 *
 *   restore DOMAIN [--disk] D [--output] FILE [--backup ID | --checkpoint C]
 *           [--format qcow2|raw] [--reuse-external] [--wait | --async] [--verbose]
 */
#include <config.h>

#include <stdlib.h>

#include "blkpoint-backup.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

const BpCmdOptDef bp_opts_restore[] = {
    { "domain", BP_OPT_DATA, TRUE, N_("domain name, id or uuid") },
    { "disk", BP_OPT_DATA, TRUE, N_("target of the disk to restore (vda)") },
    { "output", BP_OPT_DATA, TRUE, N_("the image to write; must not exist") },
    { "backup", BP_OPT_STRING, FALSE, N_("the backup's id (see backup-list)") },
    { "checkpoint", BP_OPT_STRING, FALSE,
      N_("the backup that created this checkpoint") },
    { "format", BP_OPT_STRING, FALSE, N_("qcow2 (the default) or raw") },
    { "reuse-external", BP_OPT_BOOL, FALSE,
      N_("write into an existing image of the right size") },
    { "wait", BP_OPT_BOOL, FALSE, N_("wait for the restore to end (the default)") },
    { "async", BP_OPT_BOOL, FALSE, N_("return once the restore has started") },
    { "verbose", BP_OPT_BOOL, FALSE, N_("display the progress") },
    { NULL, 0, FALSE, NULL }
};


/* @path made absolute against the current directory: the daemon has
 * another one.  Newly allocated. */
static char *
bp_restore_absolute(const char *path)
{
    g_autofree char *cwd = NULL;

    if (g_path_is_absolute(path))
        return g_strdup(path);
    cwd = g_get_current_dir();
    return g_build_filename(cwd, path, NULL);
}


gboolean
bp_cmd_restore(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(BpJobWatch) watch = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);
    g_autofree char *real = NULL;
    g_autofree char *output = NULL;
    g_autofree char *job = NULL;
    const char *disk = NULL, *out = NULL, *backup = NULL, *checkpoint = NULL, *format = NULL;
    gboolean wait;

    if (!bp_cmd_exclusive(cmd, "backup", "checkpoint", error) ||
        !bp_cmd_exclusive(cmd, "wait", "async", error) ||
        !bp_cmd_opt_string_req(cmd, "disk", &disk, error) ||
        !bp_cmd_opt_string_req(cmd, "output", &out, error) ||
        !bp_cmd_opt_string_req(cmd, "backup", &backup, error) ||
        !bp_cmd_opt_string_req(cmd, "checkpoint", &checkpoint, error) ||
        !bp_cmd_opt_string_req(cmd, "format", &format, error))
        return FALSE;
    if (!disk || !out) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("command 'restore' requires --%s option"), !disk ? "disk" : "output");
        return FALSE;
    }
    if (backup) {
        guint64 id;

        if (!g_ascii_string_to_unsigned(backup, 10, 1, G_MAXINT64, &id, NULL)) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("invalid backup id '%s': expected a number from backup-list"),
                        backup);
            return FALSE;
        }
        g_variant_dict_insert(&opts, "backup", "t", id);
    }
    if (checkpoint)
        g_variant_dict_insert(&opts, "checkpoint", "s", checkpoint);
    if (format)
        g_variant_dict_insert(&opts, "format", "s", format);
    if (bp_cmd_opt_bool(cmd, "reuse-external"))
        g_variant_dict_insert(&opts, "reuse-external", "b", TRUE);
    wait = !bp_cmd_opt_bool(cmd, "async");
    output = bp_restore_absolute(out);

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), &real, error)))
        return FALSE;
    if (wait)
        watch = bp_ctl_job_watch(ctl);
    if (!bp_domain_call_restore_sync(dom, disk, output, bp_ctl_options(ctl, &opts),
                                     bp_ctl_call_flags(ctl), BP_CALL_TIMEOUT_LONG, &job,
                                     NULL, error)) {
        bp_ctl_context(ctl, _("Failed to restore disk '%s' of domain '%s'"), disk, real);
        return FALSE;
    }
    if (wait) {
        gboolean verbose = bp_cmd_opt_bool(cmd, "verbose") && !ctl->json &&
                           !ctl->opts.quiet;

        if (!bp_ctl_job_wait(ctl, watch, job, verbose ? _("Restore") : NULL, error)) {
            bp_ctl_context(ctl, _("Failed to restore disk '%s' of domain '%s'"), disk, real);
            return FALSE;
        }
    }
    if (ctl->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "job");
        json_builder_add_string_value(b, job);
        json_builder_set_member_name(b, "output");
        json_builder_add_string_value(b, output);
        json_builder_set_member_name(b, "completed");
        json_builder_add_boolean_value(b, wait);
        json_builder_end_object(b);
        bp_ctl_print_json(ctl, json_builder_get_root(b));
    } else if (wait) {
        bp_ctl_print_extra(ctl, _("Disk '%s' of domain '%s' restored to '%s'"), disk, real,
                           output);
    } else {
        bp_ctl_print_extra(ctl, _("Restore of disk '%s' started: %s"), disk, job);
    }
    return TRUE;
}
