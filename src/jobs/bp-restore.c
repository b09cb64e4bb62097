/*
 * bp-restore.c: choosing the backup to restore, checking its chain, and
 * flattening it with qemu-img convert (see bp-restore.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bp-restore.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

/* qemu-img's messages kept for the error, at most. */
#define BP_RESTORE_MESSAGE_MAX 4096

void
bp_restore_plan_free(BpRestorePlan *plan)
{
    if (!plan)
        return;
    g_free(plan->disk);
    g_free(plan->image);
    g_free(plan->format);
    if (plan->chain)
        g_ptr_array_unref(plan->chain);
    g_free(plan);
}


static BpStoreBackupDisk *
bp_restore_find_disk(const BpStoreBackup *bk, const char *disk)
{
    for (guint i = 0; i < bk->disks->len; i++) {
        BpStoreBackupDisk *d = bk->disks->pdata[i];

        if (g_str_equal(d->target, disk))
            return d;
    }
    return NULL;
}


/* Whether @bk can be picked by default or by checkpoint for @disk. */
static gboolean
bp_restore_candidate(const BpStoreBackup *bk, const char *disk, const char *checkpoint)
{
    if (bk->status != BP_STORE_BACKUP_COMPLETED || !bp_restore_find_disk(bk, disk))
        return FALSE;
    return !checkpoint || g_strcmp0(bk->checkpoint, checkpoint) == 0;
}


/* The backup the caller asked for, newly allocated. */
static BpStoreBackup *
bp_restore_choose(BpStore *store, gint64 domain_id, const char *disk, gint64 backup_id,
                  const char *checkpoint, GError **error)
{
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(BpStoreBackup) bk = NULL;

    if (backup_id > 0) {
        g_autoptr(GError) err = NULL;

        bk = bp_store_backup_get(store, backup_id, &err);
        if (!bk || bk->domain_id != domain_id) {
            if (err && !g_error_matches(err, BP_ERROR, BP_ERROR_NO_BACKUP)) {
                g_propagate_error(error, g_steal_pointer(&err));
                return NULL;
            }
            g_set_error(error, BP_ERROR, BP_ERROR_NO_BACKUP,
                        _("no backup %lld of this domain"), (long long) backup_id);
            return NULL;
        }
        if (!bp_restore_find_disk(bk, disk)) {
            g_set_error(error, BP_ERROR, BP_ERROR_NO_BACKUP,
                        _("backup %lld does not include disk '%s'"),
                        (long long) backup_id, disk);
            return NULL;
        }
        if (bk->status != BP_STORE_BACKUP_COMPLETED) {
            g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                        _("backup %lld is %s, not completed"), (long long) backup_id,
                        bp_store_backup_status_to_string(bk->status));
            return NULL;
        }
        return g_steal_pointer(&bk);
    }

    if (!(list = bp_store_backup_list(store, domain_id, error)))
        return NULL;
    for (guint i = list->len; i-- > 0;) {
        BpStoreBackup *cand = list->pdata[i];

        if (bp_restore_candidate(cand, disk, checkpoint))
            return g_ptr_array_steal_index(list, i);
    }
    if (checkpoint)
        g_set_error(error, BP_ERROR, BP_ERROR_NO_BACKUP,
                    _("no completed backup of disk '%s' created checkpoint '%s'"),
                    disk, checkpoint);
    else
        g_set_error(error, BP_ERROR, BP_ERROR_NO_BACKUP,
                    _("no completed backup includes disk '%s'"), disk);
    return NULL;
}


BpRestorePlan *
bp_restore_plan_new(BpStore *store, gint64 domain_id, const char *disk, gint64 backup_id,
                    const char *checkpoint, GError **error)
{
    g_autoptr(BpStoreBackup) bk = NULL;
    g_autoptr(GPtrArray) chain = NULL;
    g_autoptr(BpRestorePlan) plan = g_new0(BpRestorePlan, 1);

    if (!(bk = bp_restore_choose(store, domain_id, disk, backup_id, checkpoint, error)) ||
        !(chain = bp_store_backup_get_chain(store, bk->id, error)))
        return NULL;

    plan->backup_id = bk->id;
    plan->disk = g_strdup(disk);
    plan->chain = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < chain->len; i++) {
        BpStoreBackup *link = chain->pdata[i];
        BpStoreBackupDisk *d = bp_restore_find_disk(link, disk);

        if (!d)
            continue;     /* the disk was not in that backup */
        if (!d->path || !*d->path) {
            g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                        link->mode == BP_STORE_BACKUP_PULL
                        ? _("backup %lld of disk %s was pulled by a client "
                            "that did not report its output")
                        : _("backup %lld of disk %s records no image"),
                        (long long) link->id, disk);
            return NULL;
        }
        if (!g_file_test(d->path, G_FILE_TEST_EXISTS)) {
            g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                        _("image '%s' of backup %lld (disk %s) is missing: "
                          "backup %lld cannot be restored"),
                        d->path, (long long) link->id, disk, (long long) bk->id);
            return NULL;
        }
        g_ptr_array_add(plan->chain, g_strdup(d->path));
        if (link == chain->pdata[chain->len - 1]) {
            plan->image = g_strdup(d->path);
            plan->format = g_strdup(d->format && *d->format ? d->format : "qcow2");
        }
    }
    if (!plan->image) {
        /* The chain's last element is @bk, which has the disk. */
        g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                    _("the catalogue's chain of backup %lld is damaged"),
                    (long long) bk->id);
        return NULL;
    }
    return g_steal_pointer(&plan);
}


/* ---- running qemu-img convert ---------------------------------------------- */

struct _BpRestoreOp {
    GTask *task;
    GSubprocess *proc;
    GInputStream *out;
    GString *text;           /* qemu-img's output that is not progress */
    GString *pending;        /* unparsed tail of the output */
    char *target;
    gboolean created;        /* we created the target: remove it on failure */
    gboolean cancelled;
    guint64 total;
    guint64 processed;
};


double
bp_restore_parse_progress(const char *text)
{
    const char *p = text;
    const char *last = NULL;
    double v;

    while ((p = strchr(p, '('))) {
        if (strstr(p, "/100%)"))
            last = p;
        p++;
    }
    if (!last)
        return -1;
    v = g_ascii_strtod(last + 1, NULL);
    return CLAMP(v, 0, 100) / 100.0;
}


static void
bp_restore_op_free(BpRestoreOp *op)
{
    g_clear_object(&op->proc);
    g_clear_object(&op->out);
    g_string_free(op->text, TRUE);
    g_string_free(op->pending, TRUE);
    g_free(op->target);
    g_free(op);
}


/* Takes what qemu-img printed: progress updates "(P/100%)" separated by
 * carriage returns, and any other line kept for the error message. */
static void
bp_restore_consume(BpRestoreOp *op, const char *data, gsize len)
{
    char *cut;

    g_string_append_len(op->pending, data, len);
    while ((cut = strpbrk(op->pending->str, "\r\n"))) {
        g_autofree char *piece = g_strndup(op->pending->str, cut - op->pending->str);
        double f = bp_restore_parse_progress(piece);
        g_autofree char *stripped = g_strstrip(g_strdup(piece));

        if (f >= 0)
            op->processed = (guint64) (f * (double) op->total);
        else if (*stripped && op->text->len < BP_RESTORE_MESSAGE_MAX)
            g_string_append_printf(op->text, "%s%s", op->text->len ? "; " : "", stripped);
        g_string_erase(op->pending, 0, cut - op->pending->str + 1);
    }
}


static void
bp_restore_wait_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpRestoreOp *op = data;
    g_autoptr(GTask) task = op->task;
    g_autoptr(GError) err = NULL;

    g_subprocess_wait_finish(op->proc, result, &err);
    bp_restore_consume(op, "\n", 1);
    if (!err && !op->cancelled && g_subprocess_get_successful(op->proc)) {
        op->processed = op->total;
        g_task_return_boolean(task, TRUE);
        return;
    }
    if (op->created)
        g_unlink(op->target);
    if (op->cancelled)
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                _("the restore was cancelled"));
    else if (err)
        g_task_return_error(task, g_steal_pointer(&err));
    else
        g_task_return_new_error(task, BP_ERROR, BP_ERROR_QEMU,
                                _("qemu-img convert into '%s' failed: %s"), op->target,
                                op->text->len ? op->text->str : _("no message"));
}


static void
bp_restore_read_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    BpRestoreOp *op = data;
    g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish(op->out, result, NULL);
    gsize len;
    const char *chunk;

    if (bytes && (chunk = g_bytes_get_data(bytes, &len)) && len > 0) {
        bp_restore_consume(op, chunk, len);
        g_input_stream_read_bytes_async(op->out, 4096, G_PRIORITY_DEFAULT, NULL,
                                        bp_restore_read_cb, op);
        return;
    }
    /* End of output (or a read error): qemu-img is ending. */
    g_subprocess_wait_async(op->proc, NULL, bp_restore_wait_cb, op);
}


/* The virtual size of @image (format @format), from qemu-img info. */
static gboolean
bp_restore_virtual_size(const char *qemu_img, const char *image, const char *format,
                        guint64 *size, GError **error)
{
    const char *argv[] = { qemu_img, "info", "--output=json", "-f", format, image, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err_text = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;
    JsonNode *root;
    int status = 0;

    if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                      &err_text, &status, &err) ||
        !g_spawn_check_wait_status(status, NULL)) {
        g_set_error(error, BP_ERROR, BP_ERROR_QEMU, _("cannot read image '%s': %s"), image,
                    err ? err->message : g_strstrip(err_text));
        return FALSE;
    }
    if (!json_parser_load_from_data(parser, out, -1, NULL) ||
        !(root = json_parser_get_root(parser)) || !JSON_NODE_HOLDS_OBJECT(root) ||
        !json_object_has_member(json_node_get_object(root), "virtual-size")) {
        g_set_error(error, BP_ERROR, BP_ERROR_QEMU,
                    _("qemu-img info of '%s' gave no virtual size"), image);
        return FALSE;
    }
    *size = json_object_get_int_member(json_node_get_object(root), "virtual-size");
    return TRUE;
}


/* Creates @target exclusively, not following a symlink: the placeholder
 * qemu-img then formats. */
static gboolean
bp_restore_create_target(const char *target, GError **error)
{
    int fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int saved = errno;

    if (fd < 0) {
        g_set_error(error, BP_ERROR, saved == EEXIST ? BP_ERROR_EXISTS : BP_ERROR_IO,
                    saved == EEXIST ? _("restore target '%s' already exists")
                                    : _("cannot create restore target '%s': %s"),
                    target, g_strerror(saved));
        return FALSE;
    }
    close(fd);
    return TRUE;
}


BpRestoreOp *
bp_restore_start(const BpQemuRuntimeConfig *config, const BpRestorePlan *plan,
                 const char *target, const char *format, BpRestoreFlags flags,
                 GAsyncReadyCallback callback, gpointer user_data, GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    const char *qemu_img;
    GSubprocess *proc;
    BpRestoreOp *op;
    guint64 total = 0;
    gboolean reuse = (flags & BP_RESTORE_REUSE_EXTERNAL) != 0;

    if (!format)
        format = "qcow2";
    if (!g_str_equal(format, "qcow2") && !g_str_equal(format, "raw")) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("unsupported restore format '%s': use qcow2 or raw"), format);
        return NULL;
    }
    if (!g_path_is_absolute(target)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("restore target '%s' is not an absolute path"), target);
        return NULL;
    }
    if (!(qemu_img = bp_qemu_runtime_config_qemu_img(config, error)) ||
        !bp_restore_virtual_size(qemu_img, plan->image, plan->format, &total, error))
        return NULL;
    if (reuse) {
        if (!g_file_test(target, G_FILE_TEST_IS_REGULAR)) {
            g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                        _("restore target '%s' must exist with reuse-external"), target);
            return NULL;
        }
    } else if (!bp_restore_create_target(target, error)) {
        return NULL;
    }

    g_ptr_array_add(argv, (gpointer) qemu_img);
    g_ptr_array_add(argv, (gpointer) "convert");
    g_ptr_array_add(argv, (gpointer) "-p");
    /* convert's default output cache mode, "unsafe", never flushes: the
     * restore would report success with its image still in the page
     * cache.  "writeback" flushes before qemu-img exits. */
    g_ptr_array_add(argv, (gpointer) "-t");
    g_ptr_array_add(argv, (gpointer) "writeback");
    if (reuse)
        g_ptr_array_add(argv, (gpointer) "-n");
    g_ptr_array_add(argv, (gpointer) "-f");
    g_ptr_array_add(argv, plan->format);
    g_ptr_array_add(argv, (gpointer) "-O");
    g_ptr_array_add(argv, (gpointer) format);
    g_ptr_array_add(argv, plan->image);
    g_ptr_array_add(argv, (gpointer) target);
    g_ptr_array_add(argv, NULL);
    proc = g_subprocess_newv((const char *const *) argv->pdata,
                             G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                             error);
    if (!proc) {
        if (!reuse)
            g_unlink(target);
        return NULL;
    }

    op = g_new0(BpRestoreOp, 1);
    op->text = g_string_new(NULL);
    op->pending = g_string_new(NULL);
    op->target = g_strdup(target);
    op->created = !reuse;
    op->total = total;
    op->proc = proc;
    op->task = g_task_new(NULL, NULL, callback, user_data);
    g_task_set_source_tag(op->task, bp_restore_start);
    g_task_set_task_data(op->task, op, (GDestroyNotify) bp_restore_op_free);
    op->out = g_object_ref(g_subprocess_get_stdout_pipe(op->proc));
    g_input_stream_read_bytes_async(op->out, 4096, G_PRIORITY_DEFAULT, NULL,
                                    bp_restore_read_cb, op);
    return op;
}


void
bp_restore_op_get_progress(BpRestoreOp *op, guint64 *processed, guint64 *total)
{
    *processed = op->processed;
    *total = op->total;
}


void
bp_restore_op_cancel(BpRestoreOp *op)
{
    if (op->cancelled)
        return;
    op->cancelled = TRUE;
    g_subprocess_send_signal(op->proc, SIGTERM);
}


gboolean
bp_restore_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}
