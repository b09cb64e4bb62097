/*
 * blkpoint-backup.c: backup-begin, backup-dumpxml, domjobinfo and
 * domjobabort.  Each mirrors the virsh command of the same name (options,
 * messages, output) and calls the Domain interface of
 * org.blkpoint.Blkpoint1 (docs/dbus-api.md); backup-begin can also wait
 * for its Job object (blkpoint-job.c), which virsh cannot.
 */
#include <config.h>

#include <string.h>

#include "blkpoint-backup.h"
#include "blkpoint-output.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_OPT_DOMAIN \
    { "domain", BP_OPT_DATA, TRUE, N_("domain name, id or uuid") }

/* virsh's column for the labels of domjobinfo ("%-17s"). */
#define BP_JOBINFO_WIDTH 17


/* ---- the parts without a daemon ---------------------------------------- */

char *
bp_backup_capacity_format(guint64 bytes)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double v = bytes;
    size_t u = 0;

    while (v >= 1024 && u + 1 < G_N_ELEMENTS(units)) {
        v /= 1024;
        u++;
    }
    return g_strdup_printf("%.3f %s", v, units[u]);
}


/* One row: the label padded to virsh's 17 columns, a space, the value. */
static void
bp_jobinfo_row(GString *out, const char *label, const char *value)
{
    size_t w;
    g_autofree char *safe = bp_display_escape(label, &w);

    g_string_append(out, safe);
    for (; w < BP_JOBINFO_WIDTH; w++)
        g_string_append_c(out, ' ');
    g_string_append_printf(out, " %s\n", value);
}


static void
bp_jobinfo_size_row(GString *out, GVariant *info, const char *key, const char *label)
{
    guint64 v;

    if (g_variant_lookup(info, key, "t", &v)) {
        g_autofree char *size = bp_backup_capacity_format(v);

        bp_jobinfo_row(out, label, size);
    }
}


/* virsh's names of the job types. */
static const char *
bp_jobinfo_type_name(const char *type)
{
    static const struct { const char *key; const char *name; } names[] = {
        { "none", N_("None") },
        { "bounded", N_("Bounded") },
        { "unbounded", N_("Unbounded") },
        { "completed", N_("Completed") },
        { "failed", N_("Failed") },
        { "cancelled", N_("Cancelled") },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (g_str_equal(type, names[i].key))
            return _(names[i].name);
    }
    return type;
}


char *
bp_backup_jobinfo_format(GVariant *info)
{
    GString *out = g_string_new(NULL);
    const char *type = "none";
    const char *operation = NULL;
    const char *errmsg = NULL;
    guint64 elapsed;

    g_variant_lookup(info, "type", "&s", &type);
    /* virsh pads these two values to 12 columns ("%-12s"). */
    {
        g_autofree char *v = g_strdup_printf("%-12s", bp_jobinfo_type_name(type));

        bp_jobinfo_row(out, _("Job type:"), v);
    }
    if (g_str_equal(type, "none"))
        return g_string_free(out, FALSE);

    if (g_variant_lookup(info, "operation", "&s", &operation)) {
        g_autofree char *v = g_strdup_printf("%-12s", g_str_equal(operation, "backup")
                                             ? _("Backup") : operation);

        bp_jobinfo_row(out, _("Operation:"), v);
    }
    if (g_variant_lookup(info, "time_elapsed", "t", &elapsed)) {
        g_autofree char *v = g_strdup_printf("%-12" G_GUINT64_FORMAT " ms", elapsed);

        bp_jobinfo_row(out, _("Time elapsed:"), v);
    }
    bp_jobinfo_size_row(out, info, "disk_processed", _("File processed:"));
    bp_jobinfo_size_row(out, info, "disk_remaining", _("File remaining:"));
    bp_jobinfo_size_row(out, info, "disk_total", _("File total:"));
    bp_jobinfo_size_row(out, info, "disk_temp_used", _("Temporary disk space use:"));
    bp_jobinfo_size_row(out, info, "disk_temp_total", _("Temporary disk space total:"));
    if (g_variant_lookup(info, "errmsg", "&s", &errmsg) && *errmsg)
        bp_jobinfo_row(out, _("Error message:"), errmsg);
    return g_string_free(out, FALSE);
}


/* @info as a JSON object: strings, numbers and booleans as they are. */
static JsonNode *
bp_vardict_to_json(GVariant *info)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    GVariantIter iter;
    const char *key;
    GVariant *value;

    json_builder_begin_object(b);
    g_variant_iter_init(&iter, info);
    while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
        json_builder_set_member_name(b, key);
        if (g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN))
            json_builder_add_boolean_value(b, g_variant_get_boolean(value));
        else if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64))
            json_builder_add_int_value(b, (gint64) MIN(g_variant_get_uint64(value),
                                                       (guint64) G_MAXINT64));
        else if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING) ||
                 g_variant_is_of_type(value, G_VARIANT_TYPE_OBJECT_PATH))
            json_builder_add_string_value(b, g_variant_get_string(value, NULL));
        else {
            g_autofree char *text = g_variant_print(value, FALSE);

            json_builder_add_string_value(b, text);
        }
        g_variant_unref(value);
    }
    json_builder_end_object(b);
    return json_builder_get_root(b);
}


/* ---- backup-begin --------------------------------------------------------- */

const BpCmdOptDef bp_opts_backup_begin[] = {
    BP_OPT_DOMAIN,
    { "backupxml", BP_OPT_DATA, FALSE, N_("domain backup XML") },
    { "checkpointxml", BP_OPT_DATA, FALSE, N_("domain checkpoint XML") },
    { "reuse-external", BP_OPT_BOOL, FALSE, N_("reuse files provided by caller") },
    { "fallback-full", BP_OPT_BOOL, FALSE,
      N_("back up in full a disk whose bitmaps cannot serve the incremental backup") },
    { "wait", BP_OPT_BOOL, FALSE,
      N_("wait for the backup to end; fail if it failed or was aborted") },
    { "verbose", BP_OPT_BOOL, FALSE, N_("with --wait, display the progress") },
    { NULL, 0, FALSE, NULL }
};


/*
 * The disks of backup @path (a backup job's object path, whose last
 * component is the backup's id) that fell back to a full copy, with
 * their reasons, from ListBackups()' "disk_results": a new table disk
 * -> reason, empty when none did.  Errors of the call.
 */
static GHashTable *
bp_backup_fallbacks(BpCtl *ctl, BpDomain *dom, const char *path, GError **error)
{
    g_autoptr(GHashTable) found = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                        g_free, g_free);
    g_autoptr(GVariant) list = NULL;
    const char *slash = strrchr(path, '/');
    guint64 id = slash ? g_ascii_strtoull(slash + 1, NULL, 10) : 0;
    GVariantIter iter;
    GVariant *rec;

    if (!bp_domain_call_list_backups_sync(dom, bp_ctl_options(ctl, NULL),
                                          bp_ctl_call_flags(ctl), BP_CALL_TIMEOUT_READ,
                                          &list, NULL, error))
        return NULL;
    g_variant_iter_init(&iter, list);
    while ((rec = g_variant_iter_next_value(&iter))) {
        g_autoptr(GVariant) results = NULL;
        guint64 rid = 0;

        g_variant_lookup(rec, "id", "t", &rid);
        if (rid == id && id &&
            (results = g_variant_lookup_value(rec, "disk_results",
                                              G_VARIANT_TYPE("aa{sv}")))) {
            GVariantIter ri;
            GVariant *r;

            g_variant_iter_init(&ri, results);
            while ((r = g_variant_iter_next_value(&ri))) {
                const char *target = NULL, *kind = NULL, *why = NULL;

                g_variant_lookup(r, "target", "&s", &target);
                g_variant_lookup(r, "kind", "&s", &kind);
                g_variant_lookup(r, "error", "&s", &why);
                if (target && why && g_strcmp0(kind, "full") == 0)
                    g_hash_table_insert(found, g_strdup(target), g_strdup(why));
                g_variant_unref(r);
            }
        }
        g_variant_unref(rec);
    }
    return g_steal_pointer(&found);
}


gboolean
bp_cmd_backup_begin(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(BpJobWatch) watch = NULL;
    g_autofree char *backup_xml = NULL;
    g_autofree char *checkpoint_xml = NULL;
    g_autofree char *path = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);
    const char *backup_file = NULL, *checkpoint_file = NULL;
    gboolean wait = bp_cmd_opt_bool(cmd, "wait");
    gboolean ok = TRUE;
    g_autoptr(GError) job_err = NULL;
    g_autoptr(GHashTable) fallbacks = NULL;
    g_autoptr(GList) fallback_disks = NULL;

    if (!bp_cmd_require(cmd, "verbose", "wait", error) ||
        !bp_cmd_opt_string_req(cmd, "backupxml", &backup_file, error) ||
        !bp_cmd_opt_string_req(cmd, "checkpointxml", &checkpoint_file, error))
        return FALSE;
    if ((backup_file && !bp_read_file(backup_file, &backup_xml, error)) ||
        (checkpoint_file && !bp_read_file(checkpoint_file, &checkpoint_xml, error)))
        return FALSE;
    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), NULL, error)))
        return FALSE;
    if (bp_cmd_opt_bool(cmd, "reuse-external"))
        g_variant_dict_insert(&opts, "reuse-external", "b", TRUE);
    if (bp_cmd_opt_bool(cmd, "fallback-full"))
        g_variant_dict_insert(&opts, "fallback-full", "b", TRUE);

    if (wait)
        watch = bp_ctl_job_watch(ctl);
    if (!bp_domain_call_backup_begin_sync(dom, backup_xml ? backup_xml : "",
                                          checkpoint_xml ? checkpoint_xml : "",
                                          bp_ctl_options(ctl, &opts), bp_ctl_call_flags(ctl),
                                          BP_CALL_TIMEOUT_LONG, &path, NULL, error))
        return FALSE;
    if (!ctl->json)
        bp_ctl_print_extra(ctl, "%s\n", _("Backup started"));

    if (wait) {
        gboolean verbose = bp_cmd_opt_bool(cmd, "verbose") && !ctl->json &&
                           !ctl->opts.quiet;

        ok = bp_ctl_job_wait(ctl, watch, path, verbose ? _("Backup") : NULL, &job_err);
        if (ok && !ctl->json)
            bp_ctl_print_extra(ctl, "%s", _("Backup completed"));
        /* Which disks were copied in full instead, and why. */
        if (ok && bp_cmd_opt_bool(cmd, "fallback-full") &&
            !(fallbacks = bp_backup_fallbacks(ctl, dom, path, error)))
            return FALSE;
        if (fallbacks) {
            fallback_disks = g_list_sort(g_hash_table_get_keys(fallbacks),
                                         (GCompareFunc) g_strcmp0);
            for (GList *l = fallback_disks; l && !ctl->json; l = l->next) {
                g_autofree char *line =
                    g_strdup_printf(_("%s: full backup instead of incremental: %s"),
                                    (const char *) l->data,
                                    (const char *) g_hash_table_lookup(fallbacks, l->data));

                bp_ctl_print(ctl, "%s\n", line);
            }
        }
    }
    if (ctl->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "job");
        json_builder_add_string_value(b, path);
        if (wait) {
            json_builder_set_member_name(b, "success");
            json_builder_add_boolean_value(b, ok);
        }
        if (fallback_disks) {
            json_builder_set_member_name(b, "fallback_full");
            json_builder_begin_object(b);
            for (GList *l = fallback_disks; l; l = l->next) {
                json_builder_set_member_name(b, l->data);
                json_builder_add_string_value(b, g_hash_table_lookup(fallbacks, l->data));
            }
            json_builder_end_object(b);
        }
        json_builder_end_object(b);
        if (ok)
            bp_ctl_print_json(ctl, json_builder_get_root(b));
    }
    if (!ok) {
        g_propagate_error(error, g_steal_pointer(&job_err));
        return FALSE;
    }
    return TRUE;
}


/* ---- backup-dumpxml ------------------------------------------------------- */

const BpCmdOptDef bp_opts_backup_dumpxml[] = {
    BP_OPT_DOMAIN,
    { "xpath", BP_OPT_STRING, FALSE, N_("xpath expression to filter the XML document") },
    { "wrap", BP_OPT_BOOL, FALSE, N_("wrap xpath results in an common root element") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_backup_dumpxml(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autofree char *xml = NULL;

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), NULL, error)) ||
        !bp_domain_call_backup_get_xml_desc_sync(dom, bp_ctl_options(ctl, NULL),
                                                 bp_ctl_call_flags(ctl), BP_CALL_TIMEOUT_READ,
                                                 &xml, NULL, error))
        return FALSE;
    return bp_ctl_print_xml(ctl, cmd, xml, error);
}


/* ---- domjobinfo ----------------------------------------------------------- */

const BpCmdOptDef bp_opts_domjobinfo[] = {
    BP_OPT_DOMAIN,
    { "completed", BP_OPT_BOOL, FALSE, N_("return statistics of a recently completed job") },
    { "keep-completed", BP_OPT_BOOL, FALSE,
      N_("don't destroy statistics of a recently completed job when reading") },
    { "anystats", BP_OPT_BOOL, FALSE, N_("print statistics for any kind of job (even failed ones)") },
    { "rawstats", BP_OPT_BOOL, FALSE, N_("print the raw data returned by the daemon") },
    { NULL, 0, FALSE, NULL }
};


/* --rawstats: every field as the daemon sent it, "key: value". */
static char *
bp_jobinfo_raw_format(GVariant *info)
{
    GString *out = g_string_new(NULL);
    GVariantIter iter;
    const char *key;
    GVariant *value;

    g_variant_iter_init(&iter, info);
    while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
        if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING) ||
            g_variant_is_of_type(value, G_VARIANT_TYPE_OBJECT_PATH)) {
            g_string_append_printf(out, "%s: %s\n", key, g_variant_get_string(value, NULL));
        } else {
            g_autofree char *text = g_variant_print(value, FALSE);

            g_string_append_printf(out, "%s: %s\n", key, text);
        }
        g_variant_unref(value);
    }
    return g_string_free(out, FALSE);
}


gboolean
bp_cmd_domjobinfo(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(GVariant) info = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);
    g_autofree char *text = NULL;

    if (!bp_cmd_require(cmd, "keep-completed", "completed", error) ||
        !(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), NULL, error)))
        return FALSE;
    if (bp_cmd_opt_bool(cmd, "completed"))
        g_variant_dict_insert(&opts, "completed", "b", TRUE);
    if (bp_cmd_opt_bool(cmd, "keep-completed"))
        g_variant_dict_insert(&opts, "keep-completed", "b", TRUE);
    if (!bp_domain_call_get_job_info_sync(dom, bp_ctl_options(ctl, &opts),
                                          bp_ctl_call_flags(ctl), BP_CALL_TIMEOUT_READ,
                                          &info, NULL, error))
        return FALSE;
    if (ctl->json) {
        bp_ctl_print_json(ctl, bp_vardict_to_json(info));
        return TRUE;
    }
    /* --anystats changes nothing: failed jobs' statistics are always
     * shown, since the daemon keeps them. */
    text = bp_cmd_opt_bool(cmd, "rawstats") ? bp_jobinfo_raw_format(info)
                                            : bp_backup_jobinfo_format(info);
    bp_ctl_print(ctl, "%s", text);
    return TRUE;
}


/* ---- domjobabort ---------------------------------------------------------- */

const BpCmdOptDef bp_opts_domjobabort[] = {
    BP_OPT_DOMAIN,
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_domjobabort(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), NULL, error)) ||
        !bp_domain_call_abort_job_sync(dom, bp_ctl_options(ctl, NULL), bp_ctl_call_flags(ctl),
                                       BP_CALL_TIMEOUT_READ, NULL, error))
        return FALSE;
    /* virsh prints nothing: the job ends asynchronously. */
    if (ctl->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_end_object(b);
        bp_ctl_print_json(ctl, json_builder_get_root(b));
    }
    return TRUE;
}
