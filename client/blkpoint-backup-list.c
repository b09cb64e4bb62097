/*
 * blkpoint-backup-list.c: backup-list, the catalogue's backups of a
 * domain (Domain.ListBackups()).  virsh has no such command; the table
 * follows checkpoint-list's layout.
 *
 *  Id   Start time                  Mode   Kind          Base   Checkpoint   Status      Size
 * ---------------------------------------------------------------------------------------------
 *  1    2026-11-22 03:50:01 +0000   push   full          -      c1           completed   64.0 MiB
 *
 * --details (or --disks) shows one row per disk of each backup instead,
 * with three more columns, Disk, Image and Fallback (why an incremental
 * backup copied that disk in full, else "-"), the disk's kind as Kind and
 * its bytes as Size.  --json prints the records as the daemon sent them,
 * each disk with its kind and fallback reason.
 */
#include <config.h>

#include "blkpoint-backup.h"
#include "blkpoint-checkpoint.h"
#include "blkpoint-output.h"
#include "blkpoint-progress.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

const BpCmdOptDef bp_opts_backup_list[] = {
    { "domain", BP_OPT_DATA, TRUE, N_("domain name, id or uuid") },
    { "details", BP_OPT_BOOL, FALSE,
      N_("show each disk's image, size, kind and fallback reason") },
    { "disks", BP_OPT_BOOL, FALSE, N_("the same as --details") },
    { NULL, 0, FALSE, NULL }
};


static const char *
bp_str_or_dash(const char *s)
{
    return s && *s ? s : "-";
}


/* The bytes a disk of @rec copied, from its "disk_bytes" (a(stt)). */
static guint64
bp_backup_disk_bytes(GVariant *rec, const char *target)
{
    g_autoptr(GVariant) list = g_variant_lookup_value(rec, "disk_bytes",
                                                      G_VARIANT_TYPE("a(stt)"));
    GVariantIter iter;
    const char *t;
    guint64 bytes, total;

    if (!list)
        return 0;
    g_variant_iter_init(&iter, list);
    while (g_variant_iter_next(&iter, "(&stt)", &t, &bytes, &total)) {
        if (g_str_equal(t, target))
            return bytes;
    }
    return 0;
}


/* Disk @target's "kind" and "error" (its fallback reason) in the
 * "disk_results" of @rec; NULL when not given.  Borrowed from @rec. */
static void
bp_backup_disk_result(GVariant *rec, const char *target, const char **kind,
                      const char **why)
{
    g_autoptr(GVariant) results = g_variant_lookup_value(rec, "disk_results",
                                                         G_VARIANT_TYPE("aa{sv}"));
    gsize i;

    *kind = *why = NULL;
    for (i = 0; results && i < g_variant_n_children(results); i++) {
        g_autoptr(GVariant) r = g_variant_get_child_value(results, i);
        const char *t = NULL;

        if (g_variant_lookup(r, "target", "&s", &t) && g_str_equal(t, target)) {
            /* the strings live as long as @rec, which holds @results */
            g_variant_lookup(r, "kind", "&s", kind);
            g_variant_lookup(r, "error", "&s", why);
            return;
        }
    }
}


static void
bp_backup_list_json_disks(JsonBuilder *b, GVariant *rec)
{
    g_autoptr(GVariant) disks = g_variant_lookup_value(rec, "disks", G_VARIANT_TYPE("a(sss)"));
    GVariantIter iter;
    const char *target, *image, *format, *kind, *why;

    json_builder_set_member_name(b, "disks");
    json_builder_begin_array(b);
    if (disks) {
        g_variant_iter_init(&iter, disks);
        while (g_variant_iter_next(&iter, "(&s&s&s)", &target, &image, &format)) {
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "target");
            json_builder_add_string_value(b, target);
            json_builder_set_member_name(b, "image");
            json_builder_add_string_value(b, image);
            json_builder_set_member_name(b, "format");
            json_builder_add_string_value(b, format);
            json_builder_set_member_name(b, "bytes");
            json_builder_add_int_value(b, (gint64) MIN(bp_backup_disk_bytes(rec, target),
                                                       (guint64) G_MAXINT64));
            bp_backup_disk_result(rec, target, &kind, &why);
            if (kind) {
                json_builder_set_member_name(b, "kind");
                json_builder_add_string_value(b, kind);
            }
            if (why) {
                json_builder_set_member_name(b, "fallback");
                json_builder_add_string_value(b, why);
            }
            json_builder_end_object(b);
        }
    }
    json_builder_end_array(b);
}


/* The records as a JSON array: every scalar key as sent, "disks" as
 * objects with their bytes. */
static JsonNode *
bp_backup_list_json(GVariant *list)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    GVariantIter iter;
    GVariant *rec;

    json_builder_begin_array(b);
    g_variant_iter_init(&iter, list);
    while ((rec = g_variant_iter_next_value(&iter))) {
        GVariantIter fields;
        const char *key;
        GVariant *value;

        json_builder_begin_object(b);
        g_variant_iter_init(&fields, rec);
        while (g_variant_iter_next(&fields, "{&sv}", &key, &value)) {
            if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64)) {
                json_builder_set_member_name(b, key);
                json_builder_add_int_value(b, (gint64) MIN(g_variant_get_uint64(value),
                                                           (guint64) G_MAXINT64));
            } else if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)) {
                json_builder_set_member_name(b, key);
                json_builder_add_string_value(b, g_variant_get_string(value, NULL));
            }
            g_variant_unref(value);
        }
        bp_backup_list_json_disks(b, rec);
        json_builder_end_object(b);
        g_variant_unref(rec);
    }
    json_builder_end_array(b);
    return json_builder_get_root(b);
}


static const char *
bp_lookup_str(GVariant *rec, const char *key)
{
    const char *v = NULL;

    g_variant_lookup(rec, key, "&s", &v);
    return v;
}


static guint64
bp_lookup_u64(GVariant *rec, const char *key)
{
    guint64 v = 0;

    g_variant_lookup(rec, key, "t", &v);
    return v;
}


gboolean
bp_cmd_backup_list(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(GVariant) list = NULL;
    g_autoptr(BpTable) table = NULL;
    g_autofree char *text = NULL;
    gboolean details = bp_cmd_opt_bool(cmd, "details") || bp_cmd_opt_bool(cmd, "disks");
    GVariantIter iter;
    GVariant *rec;

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), NULL, error)) ||
        !bp_domain_call_list_backups_sync(dom, bp_ctl_options(ctl, NULL),
                                          bp_ctl_call_flags(ctl), BP_CALL_TIMEOUT_READ,
                                          &list, NULL, error))
        return FALSE;
    if (ctl->json) {
        bp_ctl_print_json(ctl, bp_backup_list_json(list));
        return TRUE;
    }

    if (details)
        table = bp_table_new(_("Id"), _("Start time"), _("Mode"), _("Kind"), _("Base"),
                             _("Checkpoint"), _("Status"), _("Disk"), _("Image"),
                             _("Size"), _("Fallback"), NULL);
    else
        table = bp_table_new(_("Id"), _("Start time"), _("Mode"), _("Kind"), _("Base"),
                             _("Checkpoint"), _("Status"), _("Size"), NULL);
    g_variant_iter_init(&iter, list);
    while ((rec = g_variant_iter_next_value(&iter))) {
        g_autofree char *id = g_strdup_printf("%" G_GUINT64_FORMAT, bp_lookup_u64(rec, "id"));
        g_autofree char *when = bp_checkpoint_time_format(bp_lookup_u64(rec, "start_time"),
                                                          NULL);
        const char *mode = bp_str_or_dash(bp_lookup_str(rec, "mode"));
        const char *kind = bp_str_or_dash(bp_lookup_str(rec, "kind"));
        const char *base = bp_str_or_dash(bp_lookup_str(rec, "incremental"));
        const char *chk = bp_str_or_dash(bp_lookup_str(rec, "checkpoint"));
        const char *status = bp_str_or_dash(bp_lookup_str(rec, "status"));

        if (details) {
            g_autoptr(GVariant) disks = g_variant_lookup_value(rec, "disks",
                                                               G_VARIANT_TYPE("a(sss)"));
            GVariantIter di;
            const char *target, *image, *format;

            /* One row per disk, the backup's columns repeated. */
            if (!disks)
                disks = g_variant_ref_sink(g_variant_new_array(G_VARIANT_TYPE("(sss)"),
                                                               NULL, 0));
            g_variant_iter_init(&di, disks);
            while (g_variant_iter_next(&di, "(&s&s&s)", &target, &image, &format)) {
                g_autofree char *dsize =
                    bp_ctl_progress_size(bp_backup_disk_bytes(rec, target));
                const char *dkind, *why;

                bp_backup_disk_result(rec, target, &dkind, &why);
                bp_table_add_row(table, id, when, mode, dkind ? dkind : kind, base, chk,
                                 status, target, bp_str_or_dash(image), dsize,
                                 bp_str_or_dash(why), NULL);
            }
        } else {
            g_autofree char *size = bp_ctl_progress_size(bp_lookup_u64(rec, "bytes"));

            bp_table_add_row(table, id, when, mode, kind, base, chk, status, size, NULL);
        }
        g_variant_unref(rec);
    }
    text = bp_table_format(table, !ctl->opts.quiet);
    bp_ctl_print(ctl, "%s", text);
    return TRUE;
}
