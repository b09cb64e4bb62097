/*
 * blkpoint-backup-pull.c: backup-pull and backup-finish.
 *
 * backup-pull is blkpoint's own consumer of a pull-mode backup (started
 * with backup-begin and a <domainbackup mode='pull'> document): it reads
 * the running backup's document (BackupGetXMLDesc) for the NBD server,
 * the export and bitmap names and whether each disk is full or
 * incremental, copies each chosen disk with libnbd (src/nbd: only the
 * allocated extents of a full disk, only the dirty ones of an
 * incremental disk, zeroes as holes, several requests in flight over
 * several connections) into a new qcow2, and reports the files with
 * Job.Finish().  The backup completes when every disk was reported, so
 * the disks may be pulled one call at a time (--disk).
 *
 * An incremental file sits on the previous backup of the disk: --backing,
 * or by default the file recorded for that disk by the completed backup
 * that created the base checkpoint (ListBackups), so the chain of files
 * restores the disk (qemu-img convert of the newest).
 *
 * backup-finish is for other consumers: it reports the files they wrote.
 */
#include <config.h>

#include <string.h>

#include "blkpoint-backup-pull.h"
#include "blkpoint-progress.h"
#include "nbd/bp-nbd-copy.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"
#include "util/bp-xml.h"


/* ---- the parts without a daemon ----------------------------------------- */

void
bp_pull_disk_free(BpPullDisk *disk)
{
    if (!disk)
        return;
    g_free(disk->name);
    g_free(disk->uri);
    g_free(disk->bitmap);
    g_free(disk->incremental);
    g_free(disk);
}


/* The URI of export @name on the server described by <server> @node;
 * with TLS, the certificates in @tls_dir (NULL: libnbd's default). */
static char *
bp_pull_uri(xmlNode *node, const char *name, const char *tls_dir, GError **error)
{
    g_autofree char *transport = bp_xml_prop(node, "transport");
    g_autofree char *tls = bp_xml_prop(node, "tls");
    gboolean secure = g_strcmp0(tls, "yes") == 0;
    g_autofree char *esc = g_uri_escape_string(name, NULL, FALSE);
    g_autofree char *certs = NULL;

    if (secure && tls_dir) {
        g_autofree char *cesc = g_uri_escape_string(tls_dir, "/", FALSE);

        certs = g_strdup_printf("tls-certificates=%s", cesc);
    }
    if (secure && !tls_dir) {
        /* libnbd 1.14 does not verify the server without a CA
         * certificate: encryption alone is not enough. */
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("the backup's NBD server uses TLS: give --tls-dir with the "
                              "certificate of the CA that signed it (ca-cert.pem)"));
        return NULL;
    }

    if (transport && g_str_equal(transport, "unix")) {
        g_autofree char *socket = bp_xml_prop(node, "socket");
        g_autofree char *sesc = NULL;

        if (!socket) {
            g_set_error_literal(error, BP_ERROR, BP_ERROR_XML_INVALID,
                                _("the backup's <server> has no socket"));
            return NULL;
        }
        sesc = g_uri_escape_string(socket, "/", FALSE);
        return g_strdup_printf("%s:///%s?socket=%s%s%s", secure ? "nbds+unix" : "nbd+unix",
                               esc, sesc, certs ? "&" : "", certs ? certs : "");
    }
    if (!transport || g_str_equal(transport, "tcp")) {
        g_autofree char *host = bp_xml_prop(node, "name");
        g_autofree char *port = bp_xml_prop(node, "port");

        if (!host) {
            g_set_error_literal(error, BP_ERROR, BP_ERROR_XML_INVALID,
                                _("the backup's <server> has no host name"));
            return NULL;
        }
        return g_strdup_printf(strchr(host, ':') ? "%s://[%s]%s%s/%s%s%s"
                                                 : "%s://%s%s%s/%s%s%s",
                               secure ? "nbds" : "nbd", host, port ? ":" : "",
                               port ? port : "", esc, certs ? "?" : "", certs ? certs : "");
    }
    g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_UNSUPPORTED,
                _("backup-pull cannot connect to an NBD server with transport '%s'"),
                transport);
    return NULL;
}


GPtrArray *
bp_pull_disks_from_xml(const char *xml, const char *tls_dir, GError **error)
{
    g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func((GDestroyNotify) bp_pull_disk_free);
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autofree char *mode = NULL;
    g_autofree xmlNode **nodes = NULL;
    xmlNode *server;
    int n, i;

    if (tls_dir) {
        g_autofree char *ca = g_build_filename(tls_dir, "ca-cert.pem", NULL);

        if (!g_file_test(ca, G_FILE_TEST_IS_REGULAR)) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("no CA certificate '%s' (--tls-dir)"), ca);
            return NULL;
        }
    }
    if (!(doc = bp_xml_parse(xml, "domainbackup", "domainbackup", NULL, &ctxt, error)))
        return NULL;
    mode = bp_xml_prop(ctxt->node, "mode");
    if (!mode || !g_str_equal(mode, "pull")) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                            _("the running backup is not a pull backup"));
        return NULL;
    }
    if (!(server = bp_xpath_node("./server", ctxt))) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_XML_INVALID,
                            _("the backup document has no <server>"));
        return NULL;
    }
    n = bp_xpath_nodes("./disks/disk[@backup='yes']", ctxt, &nodes);
    for (i = 0; i < n; i++) {
        BpPullDisk *d = g_new0(BpPullDisk, 1);
        g_autofree char *export = bp_xml_prop(nodes[i], "exportname");
        g_autofree char *mode_d = bp_xml_prop(nodes[i], "backupmode");

        g_ptr_array_add(disks, d);
        d->name = bp_xml_prop(nodes[i], "name");
        if (!d->name || !export) {
            g_set_error_literal(error, BP_ERROR, BP_ERROR_XML_INVALID,
                                _("a disk of the backup document has no name or export name"));
            return NULL;
        }
        if (mode_d && g_str_equal(mode_d, "incremental")) {
            d->bitmap = bp_xml_prop(nodes[i], "exportbitmap");
            d->incremental = bp_xml_prop(nodes[i], "incremental");
        }
        if (!(d->uri = bp_pull_uri(server, export, tls_dir, error))) {
            return NULL;
        }
    }
    return g_steal_pointer(&disks);
}


char *
bp_pull_output_name(const char *dir, const char *domain, const char *disk, const char *id)
{
    g_autofree char *base = g_strdup_printf("%s-%s-%s.qcow2", domain, disk, id);

    return g_build_filename(dir, base, NULL);
}


/* ---- progress -------------------------------------------------------------- */

/* The copier's progress into the client's display (@data, a BpProgress,
 * or NULL when quiet); called from the copying thread, which alone uses
 * the display until the copy has returned. */
static void
bp_pull_progress(guint64 done, guint64 total, gpointer data)
{
    if (data)
        bp_ctl_progress_update(data, done, total);
}


/* ---- talking to the daemon --------------------------------------------------- */

/* The running backup's job object path (GetJobInfo's "job"). */
static char *
bp_pull_job_path(BpCtl *ctl, BpDomain *dom, const char *domain, GError **error)
{
    g_autoptr(GVariant) info = NULL;
    const char *path = NULL;

    if (!bp_domain_call_get_job_info_sync(dom, bp_ctl_options(ctl, NULL),
                                          bp_ctl_call_flags(ctl), BP_CALL_TIMEOUT_READ,
                                          &info, NULL, error))
        return NULL;
    if (!g_variant_lookup(info, "job", "&o", &path)) {
        g_set_error(error, BP_ERROR, BP_ERROR_NO_BACKUP,
                    _("no backup is running on domain '%s'"), domain);
        return NULL;
    }
    return g_strdup(path);
}


/* The file the completed backup that created checkpoint @checkpoint
 * recorded for disk @disk, or NULL. */
static char *
bp_pull_previous_file(BpCtl *ctl, BpDomain *dom, const char *checkpoint, const char *disk,
                      GError **error)
{
    g_autoptr(GVariant) list = NULL;
    g_autofree char *found = NULL;
    GVariantIter iter;
    GVariant *one;

    if (!bp_domain_call_list_backups_sync(dom, bp_ctl_options(ctl, NULL),
                                          bp_ctl_call_flags(ctl), BP_CALL_TIMEOUT_READ,
                                          &list, NULL, error))
        return NULL;
    g_variant_iter_init(&iter, list);
    while ((one = g_variant_iter_next_value(&iter))) {
        const char *status = NULL, *chk = NULL;
        g_autoptr(GVariant) disks = NULL;

        g_variant_lookup(one, "status", "&s", &status);
        g_variant_lookup(one, "checkpoint", "&s", &chk);
        disks = g_variant_lookup_value(one, "disks", G_VARIANT_TYPE("a(sss)"));
        if (status && g_str_equal(status, "completed") && chk &&
            g_str_equal(chk, checkpoint) && disks) {
            GVariantIter di;
            const char *target, *path, *format;

            g_variant_iter_init(&di, disks);
            while (g_variant_iter_next(&di, "(&s&s&s)", &target, &path, &format)) {
                if (g_str_equal(target, disk) && *path) {
                    g_free(found);
                    found = g_strdup(path);
                }
            }
        }
        g_variant_unref(one);
    }
    if (!found)
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("incremental pull of disk '%s' from checkpoint '%s' needs the backup "
                      "it builds on, and no completed backup that created '%s' recorded a "
                      "file for that disk; give --backing"), disk, checkpoint, checkpoint);
    return g_steal_pointer(&found);
}


/* Job.Finish() with @outputs (disk -> file; NULL: every disk, no files)
 * and @copied (disk -> guint64 * bytes of data copied, or NULL). */
static gboolean
bp_pull_finish(BpCtl *ctl, const char *job_path, GHashTable *outputs, GHashTable *copied,
               GError **error)
{
    g_autoptr(BpJob) job = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);

    if (!(job = bp_job_proxy_new_sync(ctl->bus,
                                      G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                      G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                      BP_BUS_NAME, job_path, NULL, error)))
        return FALSE;
    if (outputs && g_hash_table_size(outputs) > 0) {
        GVariantBuilder out, disks;
        GHashTableIter iter;
        gpointer key, value;

        g_variant_builder_init(&out, G_VARIANT_TYPE("a{ss}"));
        g_variant_builder_init(&disks, G_VARIANT_TYPE("as"));
        g_hash_table_iter_init(&iter, outputs);
        while (g_hash_table_iter_next(&iter, &key, &value)) {
            g_variant_builder_add(&out, "{ss}", key, value);
            g_variant_builder_add(&disks, "s", key);
        }
        g_variant_dict_insert_value(&opts, "outputs", g_variant_builder_end(&out));
        g_variant_dict_insert_value(&opts, "disks", g_variant_builder_end(&disks));
    }
    if (copied && g_hash_table_size(copied) > 0) {
        GVariantBuilder bytes;
        GHashTableIter iter;
        gpointer key, value;

        g_variant_builder_init(&bytes, G_VARIANT_TYPE("a{st}"));
        g_hash_table_iter_init(&iter, copied);
        while (g_hash_table_iter_next(&iter, &key, &value))
            g_variant_builder_add(&bytes, "{st}", key, *(guint64 *) value);
        g_variant_dict_insert_value(&opts, "bytes", g_variant_builder_end(&bytes));
    }
    return bp_job_call_finish_sync(job, bp_ctl_options(ctl, &opts), bp_ctl_call_flags(ctl),
                                   BP_CALL_TIMEOUT_READ, NULL, error);
}


/* ---- backup-pull -------------------------------------------------------------- */

const BpCmdOptDef bp_opts_backup_pull[] = {
    { "domain", BP_OPT_DATA, TRUE, N_("domain name or uuid") },
    { "disk", BP_OPT_STRING, FALSE, N_("pull only this disk (default: every disk)") },
    { "output", BP_OPT_STRING, FALSE, N_("qcow2 file to create (one disk)") },
    { "output-dir", BP_OPT_STRING, FALSE,
      N_("directory for DOMAIN-DISK-BACKUPID.qcow2 files") },
    { "backing", BP_OPT_STRING, FALSE,
      N_("previous backup the incremental file sits on (one disk)") },
    { "connections", BP_OPT_STRING, FALSE, N_("NBD connections per disk (default 1)") },
    { "requests", BP_OPT_STRING, FALSE, N_("requests in flight per connection (default 8)") },
    { "tls-dir", BP_OPT_STRING, FALSE,
      N_("directory with the CA certificate ca-cert.pem of a server with TLS") },
    { NULL, 0, FALSE, NULL }
};


static gboolean
bp_pull_uint_opt(const BpCmd *cmd, const char *name, guint max, guint *value, GError **error)
{
    const char *s = bp_cmd_opt_string(cmd, name);
    guint64 v;

    *value = 0;
    if (!s)
        return TRUE;
    if (!g_ascii_string_to_unsigned(s, 10, 1, max, &v, NULL)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("invalid value '%s' of --%s: expected 1 to %u"), s, name, max);
        return FALSE;
    }
    *value = v;
    return TRUE;
}


gboolean
bp_cmd_backup_pull(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(GPtrArray) disks = NULL;
    g_autoptr(GPtrArray) chosen = g_ptr_array_new();
    g_autoptr(GHashTable) outputs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    g_autoptr(GHashTable) copied = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    g_autoptr(JsonBuilder) json = json_builder_new();
    g_autofree char *domain = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *job_path = NULL;
    const char *only = bp_cmd_opt_string(cmd, "disk");
    const char *output = bp_cmd_opt_string(cmd, "output");
    const char *dir = bp_cmd_opt_string(cmd, "output-dir");
    const char *backing = bp_cmd_opt_string(cmd, "backing");
    guint connections, requests;
    size_t i;

    if (!bp_cmd_exclusive(cmd, "output", "output-dir", error) ||
        !bp_pull_uint_opt(cmd, "connections", 64, &connections, error) ||
        !bp_pull_uint_opt(cmd, "requests", 1024, &requests, error))
        return FALSE;
    if (!output && !dir) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("backup-pull needs --output FILE or --output-dir DIR"));
        return FALSE;
    }
    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), &domain, error)) ||
        !bp_domain_call_backup_get_xml_desc_sync(dom, bp_ctl_options(ctl, NULL),
                                                 bp_ctl_call_flags(ctl), BP_CALL_TIMEOUT_READ,
                                                 &xml, NULL, error) ||
        !(job_path = bp_pull_job_path(ctl, dom, domain, error)) ||
        !(disks = bp_pull_disks_from_xml(xml, bp_cmd_opt_string(cmd, "tls-dir"), error)))
        return FALSE;
    for (i = 0; i < disks->len; i++) {
        BpPullDisk *d = disks->pdata[i];

        if (!only || g_str_equal(only, d->name))
            g_ptr_array_add(chosen, d);
    }
    if (chosen->len == 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    only ? _("disk '%s' does not take part in the backup of domain '%s'")
                         : _("no disk takes part in the backup of domain '%s'%s"),
                    only ? only : domain, only ? domain : "");
        return FALSE;
    }
    if ((output || backing) && chosen->len > 1) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("--output and --backing name one disk's files: "
                              "give --disk, or use --output-dir"));
        return FALSE;
    }

    json_builder_begin_array(json);
    for (i = 0; i < chosen->len; i++) {
        BpPullDisk *d = chosen->pdata[i];
        g_autoptr(BpProgress) progress = NULL;
        BpNbdCopyOptions opts = { 0 };
        BpNbdCopyResult res = { 0 };
        g_autofree char *out = NULL;
        g_autofree char *prev = NULL;
        gint64 t0;
        double secs;

        if (output) {
            out = g_canonicalize_filename(output, NULL);
        } else {
            g_autofree char *id = g_path_get_basename(job_path);
            g_autofree char *name = bp_pull_output_name(dir, domain, d->name, id);

            out = g_canonicalize_filename(name, NULL);
        }
        if (d->incremental) {
            if (backing)
                prev = g_canonicalize_filename(backing, NULL);
            else if (!(prev = bp_pull_previous_file(ctl, dom, d->incremental, d->name, error)))
                return FALSE;
            if (!g_file_test(prev, G_FILE_TEST_IS_REGULAR)) {
                g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("backing file '%s' of the incremental pull of disk '%s' "
                              "does not exist"), prev, d->name);
                return FALSE;
            }
        } else if (backing) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("--backing given, but disk '%s' is backed up in full"), d->name);
            return FALSE;
        }
        opts.uri = d->uri;
        opts.bitmap = d->bitmap;
        opts.output = out;
        opts.backing = prev;
        opts.connections = connections;
        opts.in_flight = requests;
        if (!ctl->opts.quiet && !ctl->json) {
            g_autofree char *label = g_strdup_printf(_("Pull %s"), d->name);

            progress = bp_ctl_progress_new(label);
        }
        opts.progress = bp_pull_progress;
        opts.progress_data = progress;
        t0 = g_get_monotonic_time();
        if (!bp_nbd_copy(&opts, &res, error)) {
            if (progress)
                bp_ctl_progress_finish(progress, FALSE);
            g_prefix_error(error, _("backup-pull of disk '%s': "), d->name);
            return FALSE;
        }
        if (progress)
            bp_ctl_progress_finish(progress, TRUE);
        secs = (g_get_monotonic_time() - t0) / (double) G_USEC_PER_SEC;
        g_hash_table_insert(outputs, d->name, g_strdup(out));
        g_hash_table_insert(copied, d->name, g_memdup2(&res.data_bytes, sizeof(guint64)));
        if (ctl->json) {
            json_builder_begin_object(json);
            json_builder_set_member_name(json, "disk");
            json_builder_add_string_value(json, d->name);
            json_builder_set_member_name(json, "output");
            json_builder_add_string_value(json, out);
            json_builder_set_member_name(json, "backing");
            json_builder_add_string_value(json, prev);
            json_builder_set_member_name(json, "incremental");
            json_builder_add_boolean_value(json, d->bitmap != NULL);
            json_builder_set_member_name(json, "data_bytes");
            json_builder_add_int_value(json, res.data_bytes);
            json_builder_set_member_name(json, "zero_bytes");
            json_builder_add_int_value(json, res.zero_bytes);
            json_builder_set_member_name(json, "extents");
            json_builder_add_int_value(json, res.extents);
            json_builder_set_member_name(json, "connections");
            json_builder_add_int_value(json, res.connections);
            json_builder_set_member_name(json, "seconds");
            json_builder_add_double_value(json, secs);
            json_builder_end_object(json);
        } else {
            /* Translators: "%u extents" and "%u connections" come from the
             * two following messages. */
            g_autofree char *extents = g_strdup_printf(ngettext("%u extent", "%u extents",
                                                                res.extents),
                                                       res.extents);
            g_autofree char *conns = g_strdup_printf(ngettext("%u connection",
                                                              "%u connections",
                                                              res.connections),
                                                     res.connections);

            bp_ctl_print(ctl, _("Disk %s: %s copy of %llu bytes of data and %llu bytes of "
                                "zeroes (%s, %s) into %s in %.2f s\n"),
                         d->name, d->bitmap ? _("incremental") : _("full"),
                         (unsigned long long) res.data_bytes,
                         (unsigned long long) res.zero_bytes, extents, conns, out, secs);
        }
    }
    json_builder_end_array(json);
    if (!bp_pull_finish(ctl, job_path, outputs, copied, error)) {
        g_prefix_error(error, _("the files were written but the backup was not told: "));
        return FALSE;
    }
    if (ctl->json)
        bp_ctl_print_json(ctl, json_builder_get_root(json));
    else
        bp_ctl_print(ctl, _("Reported to backup job %s\n"), job_path);
    return TRUE;
}


/* ---- backup-finish --------------------------------------------------------------- */

const BpCmdOptDef bp_opts_backup_finish[] = {
    { "domain", BP_OPT_DATA, TRUE, N_("domain name or uuid") },
    { "output", BP_OPT_ARGV, FALSE,
      N_("DISK=FILE: the file written for a disk (repeatable; default every disk, no files)") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_backup_finish(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(GHashTable) outputs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autofree char *domain = NULL;
    g_autofree char *job_path = NULL;
    const char *const *argv = bp_cmd_opt_argv(cmd);
    size_t i;

    for (i = 0; argv && argv[i]; i++) {
        const char *eq = strchr(argv[i], '=');

        if (!eq || eq == argv[i] || !eq[1]) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("invalid --output '%s': expected DISK=FILE"), argv[i]);
            return FALSE;
        }
        g_hash_table_insert(outputs, g_strndup(argv[i], eq - argv[i]),
                            g_canonicalize_filename(eq + 1, NULL));
    }
    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), &domain, error)) ||
        !(job_path = bp_pull_job_path(ctl, dom, domain, error)) ||
        !bp_pull_finish(ctl, job_path, outputs, NULL, error))
        return FALSE;
    if (!ctl->json)
        bp_ctl_print(ctl, _("Reported to backup job %s\n"), job_path);
    return TRUE;
}
