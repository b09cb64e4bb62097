/*
 * bp-backup-leftovers.c: the list of what a backup creates and its
 * clean-up after a crash (see bp-backup-leftovers.h).
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>

#include "bp-backup-leftovers.h"
#include "bp-backup-ops.h"
#include "qemu/bp-qmp-commands.h"
#include "qemu/bp-qsd-cmdline.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_LEFTOVER_JOB_WAIT_MS 10000
#define BP_LEFTOVER_QSD_WAIT_MS 5000

struct _BpBackupLeftovers {
    GPtrArray *files;
    GPtrArray *nodes;
    GPtrArray *jobs;
    GPtrArray *bitmap_nodes;
    GPtrArray *bitmap_names;
    GPtrArray *exports;
    GPtrArray *objects;
    gboolean nbd_server;
    char *nbd_socket;
    char *qsd;
};


BpBackupLeftovers *
bp_backup_leftovers_new(void)
{
    BpBackupLeftovers *lo = g_new0(BpBackupLeftovers, 1);

    lo->files = g_ptr_array_new_with_free_func(g_free);
    lo->nodes = g_ptr_array_new_with_free_func(g_free);
    lo->jobs = g_ptr_array_new_with_free_func(g_free);
    lo->bitmap_nodes = g_ptr_array_new_with_free_func(g_free);
    lo->bitmap_names = g_ptr_array_new_with_free_func(g_free);
    lo->exports = g_ptr_array_new_with_free_func(g_free);
    lo->objects = g_ptr_array_new_with_free_func(g_free);
    return lo;
}


void
bp_backup_leftovers_free(BpBackupLeftovers *lo)
{
    if (!lo)
        return;
    g_ptr_array_unref(lo->files);
    g_ptr_array_unref(lo->nodes);
    g_ptr_array_unref(lo->jobs);
    g_ptr_array_unref(lo->bitmap_nodes);
    g_ptr_array_unref(lo->bitmap_names);
    g_ptr_array_unref(lo->exports);
    g_ptr_array_unref(lo->objects);
    g_free(lo->nbd_socket);
    g_free(lo->qsd);
    g_free(lo);
}


static BpBackupLeftovers *
bp_backup_leftovers_copy(const BpBackupLeftovers *lo)
{
    BpBackupLeftovers *c = bp_backup_leftovers_new();
    GPtrArray *from[] = { lo->files, lo->nodes, lo->jobs, lo->bitmap_nodes,
                          lo->bitmap_names, lo->exports, lo->objects };
    GPtrArray *to[] = { c->files, c->nodes, c->jobs, c->bitmap_nodes,
                        c->bitmap_names, c->exports, c->objects };

    for (size_t k = 0; k < G_N_ELEMENTS(from); k++)
        for (guint i = 0; i < from[k]->len; i++)
            g_ptr_array_add(to[k], g_strdup(from[k]->pdata[i]));
    c->qsd = g_strdup(lo->qsd);
    c->nbd_server = lo->nbd_server;
    c->nbd_socket = g_strdup(lo->nbd_socket);
    return c;
}


void
bp_backup_leftovers_add_file(BpBackupLeftovers *lo, const char *path)
{
    g_ptr_array_add(lo->files, g_strdup(path));
}


void
bp_backup_leftovers_add_node(BpBackupLeftovers *lo, const char *node)
{
    g_ptr_array_add(lo->nodes, g_strdup(node));
}


void
bp_backup_leftovers_add_job(BpBackupLeftovers *lo, const char *id)
{
    g_ptr_array_add(lo->jobs, g_strdup(id));
}


void
bp_backup_leftovers_add_bitmap(BpBackupLeftovers *lo, const char *node, const char *name)
{
    g_ptr_array_add(lo->bitmap_nodes, g_strdup(node));
    g_ptr_array_add(lo->bitmap_names, g_strdup(name));
}


void
bp_backup_leftovers_add_export(BpBackupLeftovers *lo, const char *id)
{
    g_ptr_array_add(lo->exports, g_strdup(id));
}


void
bp_backup_leftovers_set_qsd(BpBackupLeftovers *lo, const char *runtime_dir)
{
    g_free(lo->qsd);
    lo->qsd = g_strdup(runtime_dir);
}


void
bp_backup_leftovers_set_nbd_server(BpBackupLeftovers *lo, const char *socket)
{
    lo->nbd_server = TRUE;
    g_free(lo->nbd_socket);
    lo->nbd_socket = g_strdup(socket);
}


void
bp_backup_leftovers_add_object(BpBackupLeftovers *lo, const char *id)
{
    g_ptr_array_add(lo->objects, g_strdup(id));
}


gboolean
bp_backup_leftovers_is_empty(const BpBackupLeftovers *lo)
{
    return lo->files->len == 0 && lo->nodes->len == 0 && lo->jobs->len == 0 &&
        lo->bitmap_nodes->len == 0 && lo->exports->len == 0 && !lo->qsd &&
        lo->objects->len == 0 && !lo->nbd_server;
}


/* ---- JSON ---------------------------------------------------------------- */

static void
bp_leftovers_add_strings(JsonBuilder *b, const char *member, GPtrArray *list)
{
    json_builder_set_member_name(b, member);
    json_builder_begin_array(b);
    for (guint i = 0; i < list->len; i++)
        json_builder_add_string_value(b, list->pdata[i]);
    json_builder_end_array(b);
}


char *
bp_backup_leftovers_to_json(const BpBackupLeftovers *lo)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    bp_leftovers_add_strings(b, "files", lo->files);
    bp_leftovers_add_strings(b, "nodes", lo->nodes);
    bp_leftovers_add_strings(b, "jobs", lo->jobs);
    json_builder_set_member_name(b, "bitmaps");
    json_builder_begin_array(b);
    for (guint i = 0; i < lo->bitmap_nodes->len; i++) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "node");
        json_builder_add_string_value(b, lo->bitmap_nodes->pdata[i]);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, lo->bitmap_names->pdata[i]);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    bp_leftovers_add_strings(b, "exports", lo->exports);
    bp_leftovers_add_strings(b, "objects", lo->objects);
    if (lo->nbd_server) {
        json_builder_set_member_name(b, "nbd_server");
        json_builder_add_boolean_value(b, TRUE);
    }
    if (lo->nbd_socket) {
        json_builder_set_member_name(b, "nbd_socket");
        json_builder_add_string_value(b, lo->nbd_socket);
    }
    if (lo->qsd) {
        json_builder_set_member_name(b, "qsd");
        json_builder_add_string_value(b, lo->qsd);
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}


static gboolean
bp_leftovers_get_strings(JsonObject *o, const char *member, GPtrArray *list,
                         GError **error)
{
    JsonArray *a;

    if (!json_object_has_member(o, member))
        return TRUE;
    if (!JSON_NODE_HOLDS_ARRAY(json_object_get_member(o, member)))
        goto bad;
    a = json_object_get_array_member(o, member);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *n = json_array_get_element(a, i);

        if (json_node_get_value_type(n) != G_TYPE_STRING)
            goto bad;
        g_ptr_array_add(list, g_strdup(json_node_get_string(n)));
    }
    return TRUE;

 bad:
    g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                _("backup clean-up record: '%s' is not a list of strings"), member);
    return FALSE;
}


BpBackupLeftovers *
bp_backup_leftovers_from_json(const char *data, GError **error)
{
    g_autoptr(BpBackupLeftovers) lo = bp_backup_leftovers_new();
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(GError) local = NULL;
    JsonObject *o;
    JsonNode *root;

    if (!data || !*data)
        return g_steal_pointer(&lo);
    parser = json_parser_new();
    if (!json_parser_load_from_data(parser, data, -1, &local)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("backup clean-up record is not JSON: %s"), local->message);
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("backup clean-up record is not a JSON object"));
        return NULL;
    }
    o = json_node_get_object(root);
    if (!bp_leftovers_get_strings(o, "files", lo->files, error) ||
        !bp_leftovers_get_strings(o, "nodes", lo->nodes, error) ||
        !bp_leftovers_get_strings(o, "jobs", lo->jobs, error) ||
        !bp_leftovers_get_strings(o, "exports", lo->exports, error) ||
        !bp_leftovers_get_strings(o, "objects", lo->objects, error))
        return NULL;
    if (json_object_has_member(o, "nbd_server") &&
        json_object_get_boolean_member_with_default(o, "nbd_server", FALSE))
        bp_backup_leftovers_set_nbd_server(
            lo, json_object_get_string_member_with_default(o, "nbd_socket", NULL));
    if (json_object_has_member(o, "bitmaps")) {
        JsonNode *list = json_object_get_member(o, "bitmaps");
        JsonArray *a = JSON_NODE_HOLDS_ARRAY(list) ? json_node_get_array(list) : NULL;

        /* Not a list: one round that fails below. */
        for (guint i = 0; !a || i < json_array_get_length(a); i++) {
            JsonNode *elem = a ? json_array_get_element(a, i) : NULL;
            JsonObject *b = elem && JSON_NODE_HOLDS_OBJECT(elem) ? json_node_get_object(elem)
                                                                : NULL;
            const char *node = b ? json_object_get_string_member_with_default(b, "node", NULL)
                                 : NULL;
            const char *name = b ? json_object_get_string_member_with_default(b, "name", NULL)
                                 : NULL;

            if (!node || !name) {
                g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                                    _("backup clean-up record: 'bitmaps' is not a list "
                                      "of objects with a node and a name"));
                return NULL;
            }
            bp_backup_leftovers_add_bitmap(lo, node, name);
        }
    }
    if (json_object_has_member(o, "qsd"))
        lo->qsd = g_strdup(json_object_get_string_member_with_default(o, "qsd", NULL));
    return g_steal_pointer(&lo);
}


gboolean
bp_backup_leftovers_save(const BpBackupLeftovers *lo, BpStore *store, gint64 job_id,
                         GError **error)
{
    g_autoptr(BpStoreJob) job = NULL;

    if (!(job = bp_store_job_get(store, job_id, error)))
        return FALSE;
    g_free(job->data);
    job->data = bp_backup_leftovers_to_json(lo);
    job->update_time = g_get_real_time() / G_USEC_PER_SEC;
    return bp_store_job_update(store, job, error);
}


/* ---- clean-up -------------------------------------------------------------- */

typedef enum {
    LO_EXPORT_DEL,
    LO_NBD_STOP,
    LO_OBJECT_DEL,
    LO_JOB_CANCEL,
    LO_JOB_WAIT,
    LO_JOB_DISMISS,
    LO_BITMAP_REMOVE,
    LO_NODE_DEL,
} BpLeftoverKind;

typedef struct {
    BpLeftoverKind kind;
    const char *a;
    const char *b;
} BpLeftoverCmd;

typedef struct {
    BpBackupLeftovers *lo;
    BpQmpMonitor *mon;
    GArray *cmds;               /* BpLeftoverCmd */
    guint next;
    guint removed;
    GPid qsd_pid;               /* the temporary daemon being stopped */
    gint64 qsd_deadline;
    gboolean qsd_killed;
} BpLeftoverClean;


static void
bp_leftover_clean_free(BpLeftoverClean *c)
{
    bp_backup_leftovers_free(c->lo);
    g_clear_object(&c->mon);
    g_array_unref(c->cmds);
    g_free(c);
}


static void
bp_leftover_add_cmd(BpLeftoverClean *c, BpLeftoverKind kind, const char *a, const char *b)
{
    BpLeftoverCmd cmd = { kind, a, b };

    g_array_append_val(c->cmds, cmd);
}


/* Whether process @pid is gone (or a zombie: it holds nothing). */
static gboolean
bp_leftover_process_gone(GPid pid)
{
    g_autofree char *stat_path = g_strdup_printf("/proc/%d/stat", (int) pid);
    g_autofree char *stat = NULL;
    const char *p;

    if (kill(pid, 0) < 0 && errno == ESRCH)
        return TRUE;
    if (g_file_get_contents(stat_path, &stat, NULL, NULL) &&
        (p = strrchr(stat, ')')) && p[1] == ' ' && p[2] == 'Z')
        return TRUE;
    return FALSE;
}


/* The pid of the temporary qemu-storage-daemon of runtime directory
 * @dir when it still runs (checked against its QMP socket, so that a
 * reused pid is left alone), else 0. */
static GPid
bp_leftover_qsd_pid(const char *dir)
{
    g_autoptr(BpQsdLayout) layout = bp_qsd_layout_new(dir, TRUE);
    g_autofree char *text = NULL;
    GPid pid;

    if (!g_file_get_contents(layout->pid_path, &text, NULL, NULL))
        return 0;
    pid = (GPid) g_ascii_strtoll(text, NULL, 10);
    if (pid <= 1 || !bp_qsd_process_matches(pid, layout->qmp_socket))
        return 0;
    return pid;
}


static void
bp_leftover_qsd_forget(const char *dir)
{
    g_autoptr(BpQsdLayout) layout = bp_qsd_layout_new(dir, TRUE);

    g_unlink(layout->qmp_socket);
    g_unlink(layout->pid_path);
}


static void bp_leftover_clean_files(GTask *task);


/* Polls the terminated temporary daemon; SIGKILL when SIGTERM was not
 * enough in time, and gives up a second later. */
static gboolean
bp_leftover_qsd_poll_cb(gpointer data)
{
    GTask *task = data;
    BpLeftoverClean *c = g_task_get_task_data(task);
    gint64 now = g_get_monotonic_time();

    if (!bp_leftover_process_gone(c->qsd_pid)) {
        if (now < c->qsd_deadline)
            return G_SOURCE_CONTINUE;
        if (!c->qsd_killed) {
            kill(c->qsd_pid, SIGKILL);
            c->qsd_killed = TRUE;
            c->qsd_deadline = now + G_USEC_PER_SEC;
            return G_SOURCE_CONTINUE;
        }
        g_warning("the temporary qemu-storage-daemon (pid %d) of an interrupted backup "
                  "does not exit", (int) c->qsd_pid);
    } else {
        c->removed++;
    }
    bp_leftover_qsd_forget(c->lo->qsd);
    bp_leftover_clean_files(task);
    return G_SOURCE_REMOVE;
}


static void bp_leftover_clean_next(GTask *task);


static void
bp_leftover_cmd_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpLeftoverClean *c = g_task_get_task_data(task);
    const BpLeftoverCmd *cmd = &g_array_index(c->cmds, BpLeftoverCmd, c->next - 1);
    g_autoptr(GError) err = NULL;

    if (cmd->kind == LO_JOB_WAIT) {
        g_autoptr(BpQmpJobInfo) info = bp_qmp_job_wait_finish(c->mon, result, &err);
    } else if (bp_qmp_command_finish(c->mon, result, &err)) {
        if (cmd->kind != LO_JOB_CANCEL)
            c->removed++;
    }
    if (err)
        g_debug("backup clean-up: %s", err->message);
    bp_leftover_clean_next(task);
}


/* Sends the next command; after the last one, stops the temporary QSD
 * and deletes the files. */
static void
bp_leftover_clean_next(GTask *task)
{
    BpLeftoverClean *c = g_task_get_task_data(task);
    GSource *poll;

    if (c->mon && c->next < c->cmds->len) {
        const BpLeftoverCmd *cmd = &g_array_index(c->cmds, BpLeftoverCmd, c->next++);

        switch (cmd->kind) {
        case LO_EXPORT_DEL:
            bp_qmp_block_export_del_async(c->mon, cmd->a, TRUE, NULL, bp_leftover_cmd_cb, task);
            break;
        case LO_NBD_STOP:
            bp_qmp_nbd_server_stop_async(c->mon, NULL, bp_leftover_cmd_cb, task);
            break;
        case LO_OBJECT_DEL: {
            g_autoptr(JsonObject) args = json_object_new();

            json_object_set_string_member(args, "id", cmd->a);
            bp_qmp_command_async(c->mon, "object-del", args, NULL, bp_leftover_cmd_cb, task);
            break;
        }
        case LO_JOB_CANCEL:
            bp_qmp_job_cancel_async(c->mon, cmd->a, NULL, bp_leftover_cmd_cb, task);
            break;
        case LO_JOB_WAIT:
            bp_qmp_job_wait_async(c->mon, cmd->a, "concluded", BP_LEFTOVER_JOB_WAIT_MS, NULL,
                                  bp_leftover_cmd_cb, task);
            break;
        case LO_JOB_DISMISS:
            bp_qmp_job_dismiss_async(c->mon, cmd->a, NULL, bp_leftover_cmd_cb, task);
            break;
        case LO_BITMAP_REMOVE:
            bp_qmp_bitmap_remove_async(c->mon, cmd->a, cmd->b, NULL, bp_leftover_cmd_cb, task);
            break;
        case LO_NODE_DEL:
            bp_qmp_blockdev_del_async(c->mon, cmd->a, NULL, bp_leftover_cmd_cb, task);
            break;
        }
        return;
    }
    if (c->lo->qsd && (c->qsd_pid = bp_leftover_qsd_pid(c->lo->qsd)) > 0) {
        g_message("stopping the temporary qemu-storage-daemon (pid %d) of an "
                  "interrupted backup", (int) c->qsd_pid);
        kill(c->qsd_pid, SIGTERM);
        c->qsd_deadline = g_get_monotonic_time() + BP_LEFTOVER_QSD_WAIT_MS * 1000;
        poll = g_timeout_source_new(50);
        g_source_set_callback(poll, bp_leftover_qsd_poll_cb, task, NULL);
        g_source_attach(poll, g_task_get_context(task));
        g_source_unref(poll);
        return;
    }
    bp_leftover_clean_files(task);
}


/* Deletes the files, last (the daemon that held them has gone). */
static void
bp_leftover_clean_files(GTask *task)
{
    BpLeftoverClean *c = g_task_get_task_data(task);

    for (guint i = 0; i < c->lo->files->len; i++) {
        const char *path = c->lo->files->pdata[i];

        if (g_unlink(path) == 0) {
            c->removed++;
            g_message("removed backup target '%s' of an interrupted backup", path);
        } else if (errno != ENOENT) {
            g_warning("cannot remove '%s' of an interrupted backup: %s",
                      path, g_strerror(errno));
        }
    }
    /* The server is stopped (or its QEMU gone): a unix socket stays. */
    if (c->lo->nbd_socket) {
        if (g_unlink(c->lo->nbd_socket) == 0)
            c->removed++;
        else if (errno != ENOENT)
            g_warning("cannot remove NBD socket '%s' of an interrupted backup: %s",
                      c->lo->nbd_socket, g_strerror(errno));
    }
    g_task_return_int(task, c->removed);
    g_object_unref(task);
}


void
bp_backup_leftovers_clean_async(const BpBackupLeftovers *lo,
                                BpQmpMonitor *mon,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
    GTask *task = g_task_new(NULL, NULL, callback, user_data);
    BpLeftoverClean *c = g_new0(BpLeftoverClean, 1);
    BpBackupLeftovers *l;
    guint i;

    g_task_set_source_tag(task, bp_backup_leftovers_clean_async);
    c->lo = l = bp_backup_leftovers_copy(lo);
    /* A backup through a temporary daemon created its nodes, jobs,
     * exports and server there, never in the domain's own QEMU (which
     * may run by now, with a server of its own). */
    c->mon = mon && !l->qsd ? g_object_ref(mon) : NULL;
    c->cmds = g_array_new(FALSE, FALSE, sizeof(BpLeftoverCmd));
    g_task_set_task_data(task, c, (GDestroyNotify) bp_leftover_clean_free);
    for (i = 0; i < l->exports->len; i++)
        bp_leftover_add_cmd(c, LO_EXPORT_DEL, l->exports->pdata[i], NULL);
    if (l->nbd_server)
        bp_leftover_add_cmd(c, LO_NBD_STOP, NULL, NULL);
    for (i = 0; i < l->objects->len; i++)
        bp_leftover_add_cmd(c, LO_OBJECT_DEL, l->objects->pdata[i], NULL);
    for (i = 0; i < l->jobs->len; i++)
        bp_leftover_add_cmd(c, LO_JOB_CANCEL, l->jobs->pdata[i], NULL);
    for (i = 0; i < l->jobs->len; i++) {
        bp_leftover_add_cmd(c, LO_JOB_WAIT, l->jobs->pdata[i], NULL);
        bp_leftover_add_cmd(c, LO_JOB_DISMISS, l->jobs->pdata[i], NULL);
    }
    for (i = 0; i < l->bitmap_nodes->len; i++)
        bp_leftover_add_cmd(c, LO_BITMAP_REMOVE, l->bitmap_nodes->pdata[i],
                            l->bitmap_names->pdata[i]);
    for (i = l->nodes->len; i > 0; i--)
        bp_leftover_add_cmd(c, LO_NODE_DEL, l->nodes->pdata[i - 1], NULL);
    bp_leftover_clean_next(task);
}


guint
bp_backup_leftovers_clean_finish(GAsyncResult *result)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), 0);
    return (guint) g_task_propagate_int(G_TASK(result), NULL);
}


/* ---- every interrupted backup of a domain ----------------------------------- */

typedef struct {
    GPtrArray *jobs;
    BpQmpMonitor *mon;
    char *temp_qsd_dir;         /* looked at after the jobs, or NULL */
    guint next;
    guint removed;
} BpLeftoverJobs;


static void
bp_leftover_jobs_free(BpLeftoverJobs *lj)
{
    g_ptr_array_unref(lj->jobs);
    g_clear_object(&lj->mon);
    g_free(lj->temp_qsd_dir);
    g_free(lj);
}


static void bp_leftover_jobs_next(GTask *task);


static void
bp_leftover_jobs_cb(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
    GTask *task = data;
    BpLeftoverJobs *lj = g_task_get_task_data(task);

    lj->removed += bp_backup_leftovers_clean_finish(result);
    bp_leftover_jobs_next(task);
}


static void
bp_leftover_jobs_next(GTask *task)
{
    BpLeftoverJobs *lj = g_task_get_task_data(task);

    while (lj->next < lj->jobs->len) {
        const BpStoreJob *job = lj->jobs->pdata[lj->next++];
        g_autoptr(BpBackupLeftovers) lo = NULL;
        g_autoptr(GError) err = NULL;

        if (g_strcmp0(job->kind, BP_BACKUP_JOB_KIND) != 0 || !job->data)
            continue;
        if (!(lo = bp_backup_leftovers_from_json(job->data, &err))) {
            g_warning("job %lld: %s", (long long) job->id, err->message);
            continue;
        }
        if (bp_backup_leftovers_is_empty(lo))
            continue;
        bp_backup_leftovers_clean_async(lo, lj->mon, bp_leftover_jobs_cb, task);
        return;
    }
    if (lj->temp_qsd_dir) {
        g_autoptr(BpBackupLeftovers) lo = bp_backup_leftovers_new();

        bp_backup_leftovers_set_qsd(lo, lj->temp_qsd_dir);
        g_clear_pointer(&lj->temp_qsd_dir, g_free);
        bp_backup_leftovers_clean_async(lo, NULL, bp_leftover_jobs_cb, task);
        return;
    }
    g_task_return_int(task, lj->removed);
    g_object_unref(task);
}


void
bp_backup_leftovers_clean_jobs_async(GPtrArray *jobs,
                                     BpQmpMonitor *mon,
                                     const char *temp_qsd_dir,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
    GTask *task = g_task_new(NULL, NULL, callback, user_data);
    BpLeftoverJobs *lj = g_new0(BpLeftoverJobs, 1);

    g_task_set_source_tag(task, bp_backup_leftovers_clean_async);
    lj->jobs = g_ptr_array_ref(jobs);
    lj->mon = mon ? g_object_ref(mon) : NULL;
    lj->temp_qsd_dir = g_strdup(temp_qsd_dir);
    g_task_set_task_data(task, lj, (GDestroyNotify) bp_leftover_jobs_free);
    bp_leftover_jobs_next(task);
}
