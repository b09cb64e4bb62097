/*
 * blkpoint-blockjob.c: "blockcommit", "blockpull" and "blockjob", with virsh's
 * options and output (see blkpoint-blockjob.h).
 *
 * Waiting (--wait, --pivot, --keep-overlay) polls GetBlockJobInfo() twice
 * a second and listens for the Job object's Completed signal, which says
 * whether the commit succeeded.
 *
 * As virsh, a SIGINT while waiting aborts the block job (BlockJobAbort,
 * asynchronous with --async) and ends with "Commit aborted" or "Pull
 * aborted".  The handler is installed before the call that creates the
 * job: a ^C during that call aborts the job as soon as it is known
 * instead of killing the client and leaving the job running unwatched.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include <glib-unix.h>

#include "blkpoint-blockjob.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

#define BP_IFACE_JOB "org.blkpoint.Blkpoint1.Job"
#define BP_BLOCKJOB_POLL_MS 500

#define BP_OPT_DOMAIN \
    { "domain", BP_OPT_DATA, TRUE, N_("domain name or uuid") }
#define BP_OPT_PATH \
    { "path", BP_OPT_DATA, TRUE, N_("fully-qualified path of disk") }


/* virsh's progress line, on standard error: "\rLABEL: [ 45.00 %]". */
static void
bp_blockjob_progress(const char *label, guint64 remaining, guint64 total)
{
    double progress = 100.0;

    if (remaining != 0 && total != 0) {
        progress = 100.0 - remaining * 100.0 / total;
        if (progress >= 100.0)
            progress = 99.99;
    }
    fflush(stdout);
    fprintf(stderr, "\r%s: [%5.2f %%]", label, (int) (progress * 100) / 100.0);
    fflush(stderr);
}


/* --bandwidth in bytes/s: MiB/s unless --bytes.  FALSE with an error for
 * a value that is not a number or overflows. */
static gboolean
bp_blockjob_bandwidth(const BpCmd *cmd, guint64 *bytes, GError **error)
{
    const char *s = bp_cmd_opt_string(cmd, "bandwidth");
    char *end = NULL;
    guint64 v;

    *bytes = 0;
    if (!s)
        return TRUE;
    errno = 0;
    v = g_ascii_strtoull(s, &end, 10);
    if (errno || !end || *end || *s == '-' || *s == '\0' ||
        (!bp_cmd_opt_bool(cmd, "bytes") && v > (G_MAXUINT64 >> 20))) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("Numeric value '%s' for <bandwidth> option is malformed or out of range"),
                    s);
        return FALSE;
    }
    *bytes = bp_cmd_opt_bool(cmd, "bytes") ? v : v << 20;
    return TRUE;
}


/* --timeout @timeout (seconds, a positive whole number) as a deadline on
 * the monotonic clock, in *@deadline.  FALSE with an error (and
 * *@deadline untouched) for a value that is not such a number or too
 * large. */
static gboolean
bp_blockjob_deadline(const char *timeout, gint64 *deadline, GError **error)
{
    char *end = NULL;
    guint64 secs;

    errno = 0;
    secs = g_ascii_strtoull(timeout, &end, 10);
    if (errno || !end || *end || *timeout == '-' || secs == 0 || secs > G_MAXINT / 1000) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("invalid timeout '%s'"), timeout);
        return FALSE;
    }
    *deadline = g_get_monotonic_time() + (gint64) secs * G_USEC_PER_SEC;
    return TRUE;
}


/* ---- waiting for a job ------------------------------------------------------ */

typedef enum {
    BP_WAIT_FAILED,
    BP_WAIT_READY,
    BP_WAIT_COMPLETED,
    BP_WAIT_CANCELED,
} BpWaitResult;

typedef struct {
    BpDomain *dom;
    const char *path;           /* the disk */
    char *job;                  /* the Job object, once known */
    const char *label;
    gboolean verbose;
    gboolean active;
    gint64 deadline;            /* --timeout: µs, monotonic; 0 = none */
    gboolean async;
    GMainLoop *loop;
    guint poll_id;
    gboolean done;              /* the wait has its result */
    guint sub;
    guint sigint_id;            /* with --wait: SIGINT aborts the job */
    gboolean interrupted;
    GHashTable *ended;          /* job path -> message, "" = success;
                                 * failures are prefixed with "!" */
    BpWaitResult result;
    GError *error;
} BpWait;


static void
bp_wait_completed_cb(GDBusConnection *bus G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
                     const char *path, const char *iface G_GNUC_UNUSED,
                     const char *signal G_GNUC_UNUSED, GVariant *params, gpointer data)
{
    BpWait *w = data;
    const char *msg = NULL;
    gboolean success = FALSE;

    g_variant_get(params, "(b&s)", &success, &msg);
    g_hash_table_insert(w->ended, g_strdup(path),
                        success ? g_strdup("") : g_strconcat("!", msg, NULL));
}


static gboolean bp_wait_poll_cb(gpointer data);


/* SIGINT: remembered, and while the wait runs the job is aborted at once
 * (bp_wait_poll_cb does it). */
static gboolean
bp_wait_sigint_cb(gpointer data)
{
    BpWait *w = data;

    w->interrupted = TRUE;
    if (w->loop)
        bp_wait_poll_cb(w);
    return G_SOURCE_CONTINUE;
}


/* Listens for Completed signals from now on: a job may end before its
 * path is known.  With @blocking, SIGINT is caught from now on too. */
static void
bp_wait_init(BpWait *w, BpCtl *ctl, BpDomain *dom, const char *disk, gboolean blocking)
{
    w->dom = dom;
    w->path = disk;
    w->ended = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    w->sub = g_dbus_connection_signal_subscribe(ctl->bus, BP_BUS_NAME, BP_IFACE_JOB,
                                                "Completed", NULL, NULL,
                                                G_DBUS_SIGNAL_FLAGS_NONE,
                                                bp_wait_completed_cb, w, NULL);
    if (blocking)
        w->sigint_id = g_unix_signal_add(SIGINT, bp_wait_sigint_cb, w);
}


static void
bp_wait_clear(BpWait *w, BpCtl *ctl)
{
    g_dbus_connection_signal_unsubscribe(ctl->bus, w->sub);
    g_clear_handle_id(&w->sigint_id, g_source_remove);
    g_clear_pointer(&w->ended, g_hash_table_unref);
    g_clear_pointer(&w->job, g_free);
}


static void
bp_wait_end(BpWait *w, BpWaitResult result)
{
    w->result = result;
    w->done = TRUE;
    g_main_loop_quit(w->loop);
}


/* One look at the job (from the timer, the first look, or SIGINT): ends
 * the wait when the job ended, is ready (@active), ran out of time or
 * was interrupted (both abort it).  Does nothing once the wait has its
 * result; the caller removes the timer. */
static gboolean
bp_wait_poll_cb(gpointer data)
{
    BpWait *w = data;
    g_autoptr(GVariant) info = NULL;
    const char *ended;
    guint64 cur = 0, end = 0;
    gboolean ready = FALSE;

    if (w->done)
        return G_SOURCE_CONTINUE;
    if ((ended = g_hash_table_lookup(w->ended, w->job))) {
        if (*ended)
            w->error = g_error_new(BP_ERROR, BP_ERROR_QEMU, "%s", ended + 1);
        bp_wait_end(w, *ended ? BP_WAIT_FAILED : BP_WAIT_COMPLETED);
        return G_SOURCE_CONTINUE;
    }
    if (!bp_domain_call_get_block_job_info_sync(w->dom, w->path,
                                                g_variant_new("a{sv}", NULL),
                                                G_DBUS_CALL_FLAGS_NONE, -1, &info,
                                                NULL, &w->error)) {
        bp_wait_end(w, BP_WAIT_FAILED);
        return G_SOURCE_CONTINUE;
    }
    /* Gone: its Completed signal (on its way) says how it ended. */
    if (!g_variant_lookup(info, "end", "t", &end))
        return G_SOURCE_CONTINUE;
    if (w->interrupted || (w->deadline && g_get_monotonic_time() > w->deadline)) {
        GVariantDict opts;
        BpWaitResult result = BP_WAIT_CANCELED;

        g_variant_dict_init(&opts, NULL);
        if (w->async)
            g_variant_dict_insert(&opts, "async", "b", TRUE);
        if (!bp_domain_call_block_job_abort_sync(w->dom, w->path, g_variant_dict_end(&opts),
                                                 G_DBUS_CALL_FLAGS_NONE, G_MAXINT, NULL,
                                                 &w->error))
            result = BP_WAIT_FAILED;
        bp_wait_end(w, result);
        return G_SOURCE_CONTINUE;
    }
    g_variant_lookup(info, "cur", "t", &cur);
    g_variant_lookup(info, "ready", "b", &ready);
    if (w->verbose && end)
        bp_blockjob_progress(w->label, end - MIN(cur, end), end);
    if (w->active && ready)
        bp_wait_end(w, BP_WAIT_READY);
    return G_SOURCE_CONTINUE;
}


/* Waits until the job at @job_path is ready (@active) or has ended. */
static BpWaitResult
bp_blockjob_wait(BpWait *w, const char *job_path, const char *label, gboolean verbose,
                 gboolean active, GError **error)
{
    w->job = g_strdup(job_path);
    w->label = label;
    w->verbose = verbose;
    w->active = active;
    w->loop = g_main_loop_new(NULL, FALSE);
    w->poll_id = g_timeout_add(BP_BLOCKJOB_POLL_MS, bp_wait_poll_cb, w);
    /* Dispatch what came with the reply (a SIGINT during the creating
     * call, a fast job's Completed), then look at once. */
    while (!w->done && g_main_context_iteration(NULL, FALSE))
        ;
    bp_wait_poll_cb(w);
    /* A quit before the loop runs is lost: run only without a result. */
    if (!w->done)
        g_main_loop_run(w->loop);
    g_clear_handle_id(&w->poll_id, g_source_remove);
    g_clear_pointer(&w->loop, g_main_loop_unref);
    if (verbose && (w->result == BP_WAIT_READY || w->result == BP_WAIT_COMPLETED))
        bp_blockjob_progress(label, 0, 1);
    if (w->error)
        g_propagate_error(error, g_steal_pointer(&w->error));
    return w->result;
}


/* ---- blockcommit ---------------------------------------------------------- */

/* --json: {"job": PATH, "status": STATUS}. */
static void
bp_blockcommit_json(BpCtl *ctl, const char *job, const char *status)
{
    g_autoptr(JsonBuilder) b = NULL;

    if (!ctl->json)
        return;
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "job");
    json_builder_add_string_value(b, job);
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, status);
    json_builder_end_object(b);
    bp_ctl_print_json(ctl, json_builder_get_root(b));
}


const BpCmdOptDef bp_opts_blockcommit[] = {
    BP_OPT_DOMAIN,
    BP_OPT_PATH,
    { "bandwidth", BP_OPT_STRING, FALSE, N_("bandwidth limit in MiB/s") },
    { "base", BP_OPT_STRING, FALSE,
      N_("path of base file to commit into (default bottom of chain)") },
    { "shallow", BP_OPT_BOOL, FALSE, N_("use backing file of top as base") },
    { "top", BP_OPT_STRING, FALSE,
      N_("path of top file to commit from (default top of chain)") },
    { "active", BP_OPT_BOOL, FALSE, N_("trigger two-stage active commit of top file") },
    { "delete", BP_OPT_BOOL, FALSE, N_("delete files that were successfully committed") },
    { "wait", BP_OPT_BOOL, FALSE,
      N_("wait for job to complete (with --active, wait for job to sync)") },
    { "verbose", BP_OPT_BOOL, FALSE, N_("with --wait, display the progress") },
    { "pivot", BP_OPT_BOOL, FALSE, N_("implies --active --wait, pivot when commit is synced") },
    { "keep-overlay", BP_OPT_BOOL, FALSE,
      N_("implies --active --wait, quit when commit is synced") },
    { "timeout", BP_OPT_STRING, FALSE,
      N_("implies --wait, abort if copy exceeds timeout (in seconds)") },
    { "async", BP_OPT_BOOL, FALSE, N_("with --wait, don't wait for cancel to finish") },
    { "keep-relative", BP_OPT_BOOL, FALSE,
      N_("keep the backing chain relatively referenced") },
    { "bytes", BP_OPT_BOOL, FALSE,
      N_("the bandwidth limit is in bytes/s rather than MiB/s") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_blockcommit(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    static const char *const flags[] = { "shallow", "delete", "keep-relative" };
    g_autoptr(BpDomain) dom = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);
    g_autofree char *job = NULL;
    gboolean pivot = bp_cmd_opt_bool(cmd, "pivot");
    gboolean finish = bp_cmd_opt_bool(cmd, "keep-overlay");
    gboolean active = bp_cmd_opt_bool(cmd, "active") || pivot || finish;
    const char *timeout = bp_cmd_opt_string(cmd, "timeout");
    gboolean blocking = bp_cmd_opt_bool(cmd, "wait") || pivot || finish || timeout;
    gboolean verbose = bp_cmd_opt_bool(cmd, "verbose");
    const char *path = bp_cmd_opt_string(cmd, "path");
    const char *top = bp_cmd_opt_string(cmd, "top");
    const char *base = bp_cmd_opt_string(cmd, "base");
    guint64 bandwidth;
    BpWaitResult res;
    BpWait w = { 0 };

    if (!bp_cmd_exclusive(cmd, "pivot", "keep-overlay", error) ||
        !bp_blockjob_bandwidth(cmd, &bandwidth, error))
        return FALSE;
    if (timeout && !bp_blockjob_deadline(timeout, &w.deadline, error))
        return FALSE;
    w.async = bp_cmd_opt_bool(cmd, "async");
    if (!blocking && verbose) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("--verbose requires at least one of --timeout, --wait, "
                              "--pivot, or --keep-overlay"));
        return FALSE;
    }
    if (!blocking && bp_cmd_opt_bool(cmd, "async")) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("--async requires at least one of --timeout, --wait, "
                              "--pivot, or --keep-overlay"));
        return FALSE;
    }
    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), NULL, error)))
        return FALSE;
    for (size_t i = 0; i < G_N_ELEMENTS(flags); i++) {
        if (bp_cmd_opt_bool(cmd, flags[i]))
            g_variant_dict_insert(&opts, flags[i], "b", TRUE);
    }
    if (active)
        g_variant_dict_insert(&opts, "active", "b", TRUE);
    if (top)
        g_variant_dict_insert(&opts, "top", "s", top);
    if (base)
        g_variant_dict_insert(&opts, "base", "s", base);
    if (bandwidth)
        g_variant_dict_insert(&opts, "bandwidth", "t", bandwidth);
    bp_wait_init(&w, ctl, dom, path, blocking);
    if (!bp_domain_call_block_commit_sync(dom, path, bp_ctl_options(ctl, &opts),
                                          bp_ctl_call_flags(ctl), BP_CALL_TIMEOUT_LONG,
                                          &job, NULL, error)) {
        bp_wait_clear(&w, ctl);
        return FALSE;
    }

    if (!blocking || g_str_equal(job, "/"))
        bp_wait_clear(&w, ctl);
    if (g_str_equal(job, "/")) {
        /* Shut-off domain: it is already done. */
        if (blocking && verbose)
            bp_blockjob_progress(_("Block commit"), 0, 1);
        if (!blocking)
            bp_ctl_print_extra(ctl, "%s", active ? _("Active Block Commit started")
                                                 : _("Block Commit started"));
        else
            bp_ctl_print_extra(ctl, "\n%s", _("Commit complete"));
        bp_blockcommit_json(ctl, job, "completed");
        return TRUE;
    }
    if (!blocking) {
        bp_ctl_print_extra(ctl, "%s", active ? _("Active Block Commit started")
                                             : _("Block Commit started"));
        bp_blockcommit_json(ctl, job, "started");
        return TRUE;
    }
    res = bp_blockjob_wait(&w, job, _("Block commit"), verbose, active, error);
    bp_wait_clear(&w, ctl);
    if (res == BP_WAIT_CANCELED) {
        bp_ctl_print_extra(ctl, "\n%s", _("Commit aborted"));
        if (error && !*error && w.interrupted)
            g_set_error(error, BP_ERROR, BP_ERROR_CANCELLED,
                        _("the commit of disk %s was interrupted"), path);
        else if (error && !*error)
            g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                        _("the commit of disk %s did not end within %s seconds"),
                        path, timeout);
        return FALSE;
    }
    if (res == BP_WAIT_FAILED) {
        bp_ctl_print_extra(ctl, "\n%s\n", _("Commit failed"));
        return FALSE;
    }
    if (!active || res == BP_WAIT_COMPLETED) {
        bp_ctl_print_extra(ctl, "\n%s", _("Commit complete"));
        bp_blockcommit_json(ctl, job, "completed");
        return TRUE;
    }
    if (pivot || finish) {
        g_auto(GVariantDict) aopts = G_VARIANT_DICT_INIT(NULL);

        if (pivot)
            g_variant_dict_insert(&aopts, "pivot", "b", TRUE);
        if (bp_cmd_opt_bool(cmd, "async"))
            g_variant_dict_insert(&aopts, "async", "b", TRUE);
        if (!bp_domain_call_block_job_abort_sync(dom, path, bp_ctl_options(ctl, &aopts),
                                                 bp_ctl_call_flags(ctl),
                                                 BP_CALL_TIMEOUT_LONG, NULL, error)) {
            bp_ctl_context(ctl, pivot ? _("failed to pivot job for disk %s")
                                      : _("failed to finish job for disk %s"), path);
            return FALSE;
        }
        bp_ctl_print_extra(ctl, "\n%s", pivot ? _("Successfully pivoted")
                                              : _("Commit complete, overlay image kept"));
        bp_blockcommit_json(ctl, job, pivot ? "pivoted" : "overlay-kept");
        return TRUE;
    }
    bp_ctl_print_extra(ctl, "\n%s", _("Now in synchronized phase"));
    bp_blockcommit_json(ctl, job, "ready");
    return TRUE;
}


/* ---- blockpull ------------------------------------------------------------ */

const BpCmdOptDef bp_opts_blockpull[] = {
    BP_OPT_DOMAIN,
    BP_OPT_PATH,
    { "bandwidth", BP_OPT_STRING, FALSE, N_("bandwidth limit in MiB/s") },
    { "base", BP_OPT_STRING, FALSE,
      N_("path of backing file in chain for a partial pull") },
    { "wait", BP_OPT_BOOL, FALSE, N_("wait for job to finish") },
    { "verbose", BP_OPT_BOOL, FALSE, N_("with --wait, display the progress") },
    { "timeout", BP_OPT_STRING, FALSE,
      N_("with --wait, abort if pull exceeds timeout (in seconds)") },
    { "async", BP_OPT_BOOL, FALSE, N_("with --wait, don't wait for cancel to finish") },
    { "keep-relative", BP_OPT_BOOL, FALSE,
      N_("keep the backing chain relatively referenced") },
    { "bytes", BP_OPT_BOOL, FALSE,
      N_("the bandwidth limit is in bytes/s rather than MiB/s") },
    { NULL, 0, FALSE, NULL }
};


gboolean
bp_cmd_blockpull(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);
    g_autofree char *job = NULL;
    gboolean blocking = bp_cmd_opt_bool(cmd, "wait");
    gboolean verbose = bp_cmd_opt_bool(cmd, "verbose");
    const char *timeout = bp_cmd_opt_string(cmd, "timeout");
    const char *path = bp_cmd_opt_string(cmd, "path");
    const char *base = bp_cmd_opt_string(cmd, "base");
    guint64 bandwidth;
    BpWaitResult res;
    BpWait w = { 0 };

    if (!bp_blockjob_bandwidth(cmd, &bandwidth, error))
        return FALSE;
    /* virsh: --verbose, --timeout and --async need --wait. */
    if (!blocking && (verbose || timeout || bp_cmd_opt_bool(cmd, "async"))) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("missing --wait option"));
        return FALSE;
    }
    if (timeout && !bp_blockjob_deadline(timeout, &w.deadline, error))
        return FALSE;
    w.async = bp_cmd_opt_bool(cmd, "async");
    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), NULL, error)))
        return FALSE;
    if (bp_cmd_opt_bool(cmd, "keep-relative"))
        g_variant_dict_insert(&opts, "keep-relative", "b", TRUE);
    if (base)
        g_variant_dict_insert(&opts, "base", "s", base);
    if (bandwidth)
        g_variant_dict_insert(&opts, "bandwidth", "t", bandwidth);
    bp_wait_init(&w, ctl, dom, path, blocking);
    if (!bp_domain_call_block_pull_sync(dom, path, bp_ctl_options(ctl, &opts),
                                        bp_ctl_call_flags(ctl), BP_CALL_TIMEOUT_LONG,
                                        &job, NULL, error)) {
        bp_wait_clear(&w, ctl);
        return FALSE;
    }
    if (!blocking || g_str_equal(job, "/")) {
        bp_wait_clear(&w, ctl);
        if (!blocking) {
            bp_ctl_print_extra(ctl, "%s", _("Block Pull started"));
            bp_blockcommit_json(ctl, job, g_str_equal(job, "/") ? "completed" : "started");
            return TRUE;
        }
        /* Shut-off domain: it is already done. */
        if (verbose)
            bp_blockjob_progress(_("Block Pull"), 0, 1);
        bp_ctl_print_extra(ctl, "\n%s", _("Pull complete"));
        bp_blockcommit_json(ctl, job, "completed");
        return TRUE;
    }
    res = bp_blockjob_wait(&w, job, _("Block Pull"), verbose, FALSE, error);
    bp_wait_clear(&w, ctl);
    if (res == BP_WAIT_CANCELED) {
        bp_ctl_print_extra(ctl, "\n%s", _("Pull aborted"));
        if (error && !*error && w.interrupted)
            g_set_error(error, BP_ERROR, BP_ERROR_CANCELLED,
                        _("the pull into disk %s was interrupted"), path);
        else if (error && !*error)
            g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                        _("the pull into disk %s did not end within %s seconds"),
                        path, timeout);
        return FALSE;
    }
    if (res == BP_WAIT_FAILED) {
        bp_ctl_print_extra(ctl, "\n");
        bp_ctl_context(ctl, "%s", _("Block Pull failed"));
        return FALSE;
    }
    bp_ctl_print_extra(ctl, "\n%s", _("Pull complete"));
    bp_blockcommit_json(ctl, job, "completed");
    return TRUE;
}


/* ---- blockjob ------------------------------------------------------------- */

/* virsh's name of a job type. */
static const char *
bp_blockjob_type_label(const char *type)
{
    if (g_str_equal(type, "pull"))
        return N_("Block Pull");
    if (g_str_equal(type, "active-commit"))
        return N_("Active Block Commit");
    return N_("Block Commit");
}

const BpCmdOptDef bp_opts_blockjob[] = {
    BP_OPT_DOMAIN,
    BP_OPT_PATH,
    { "abort", BP_OPT_BOOL, FALSE, N_("abort the active job on the specified disk") },
    { "async", BP_OPT_BOOL, FALSE, N_("implies --abort; request but don't wait for job end") },
    { "pivot", BP_OPT_BOOL, FALSE, N_("implies --abort; conclude and pivot a copy or commit job") },
    { "info", BP_OPT_BOOL, FALSE, N_("get active job information for the specified disk") },
    { "bytes", BP_OPT_BOOL, FALSE,
      N_("get/set bandwidth in bytes rather than MiB/s") },
    { "raw", BP_OPT_BOOL, FALSE, N_("implies --info; output details rather than human summary") },
    { "bandwidth", BP_OPT_STRING, FALSE, N_("set the bandwidth limit in MiB/s") },
    { NULL, 0, FALSE, NULL }
};


/* "blockjob --info": virsh's summary (or --raw, or --json). */
static gboolean
bp_blockjob_info(BpCtl *ctl, BpDomain *dom, const char *path, gboolean raw,
                 gboolean bytes, GError **error)
{
    g_autoptr(GVariant) info = NULL;
    const char *type = NULL;
    guint64 cur = 0, end = 0, bw = 0;
    gboolean ready = FALSE;

    if (!bp_domain_call_get_block_job_info_sync(dom, path, bp_ctl_options(ctl, NULL),
                                                bp_ctl_call_flags(ctl), BP_CALL_TIMEOUT_READ,
                                                &info, NULL, error))
        return FALSE;
    g_variant_lookup(info, "type", "&s", &type);
    g_variant_lookup(info, "cur", "t", &cur);
    g_variant_lookup(info, "end", "t", &end);
    g_variant_lookup(info, "bandwidth", "t", &bw);
    g_variant_lookup(info, "ready", "b", &ready);
    if (ctl->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        if (type) {
            json_builder_set_member_name(b, "type");
            json_builder_add_string_value(b, type);
            json_builder_set_member_name(b, "bandwidth");
            json_builder_add_int_value(b, bw);
            json_builder_set_member_name(b, "cur");
            json_builder_add_int_value(b, cur);
            json_builder_set_member_name(b, "end");
            json_builder_add_int_value(b, end);
            json_builder_set_member_name(b, "ready");
            json_builder_add_boolean_value(b, ready);
        }
        json_builder_end_object(b);
        bp_ctl_print_json(ctl, json_builder_get_root(b));
        return TRUE;
    }
    if (!type) {
        if (!raw)
            bp_ctl_print_extra(ctl, _("No current block job for %s"), path);
        return TRUE;
    }
    if (raw) {
        /* virsh counts bandwidth in MiB/s here unless --bytes. */
        bp_ctl_print(ctl, " type=%s\n bandwidth=%" G_GUINT64_FORMAT "\n cur=%"
                     G_GUINT64_FORMAT "\n end=%" G_GUINT64_FORMAT "\n",
                     bp_blockjob_type_label(type),
                     bytes ? bw : bw >> 20, cur, end);
        return TRUE;
    }
    bp_blockjob_progress(_(bp_blockjob_type_label(type)),
                         end - MIN(cur, end), end);
    if (bw) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        double val = bw;
        guint u = 0;

        /* virsh's scale: the largest unit the value reaches. */
        while (val >= 1024 && u + 1 < G_N_ELEMENTS(units)) {
            val /= 1024;
            u++;
        }
        bp_ctl_print(ctl, _("    Bandwidth limit: %llu bytes/s (%-.3f %s/s)"),
                     (unsigned long long) bw, val, units[u]);
    }
    bp_ctl_print(ctl, "\n");
    return TRUE;
}


gboolean
bp_cmd_blockjob(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    const char *path = bp_cmd_opt_string(cmd, "path");
    gboolean raw = bp_cmd_opt_bool(cmd, "raw");
    gboolean info = bp_cmd_opt_bool(cmd, "info") || raw;
    gboolean pivot = bp_cmd_opt_bool(cmd, "pivot");
    gboolean async = bp_cmd_opt_bool(cmd, "async");
    gboolean abort = bp_cmd_opt_bool(cmd, "abort") || pivot || async;
    gboolean speed = bp_cmd_opt_string(cmd, "bandwidth") != NULL;
    guint64 bandwidth;

    if ((info && abort) || (info && speed) || (abort && speed)) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("conflict in options: --info, --abort and --bandwidth "
                              "are exclusive"));
        return FALSE;
    }
    if (!bp_blockjob_bandwidth(cmd, &bandwidth, error) ||
        !(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"), NULL, error)))
        return FALSE;
    if (abort) {
        g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);

        if (pivot)
            g_variant_dict_insert(&opts, "pivot", "b", TRUE);
        if (async)
            g_variant_dict_insert(&opts, "async", "b", TRUE);
        return bp_domain_call_block_job_abort_sync(dom, path, bp_ctl_options(ctl, &opts),
                                                   bp_ctl_call_flags(ctl),
                                                   BP_CALL_TIMEOUT_LONG, NULL, error);
    }
    if (speed)
        return bp_domain_call_block_job_set_speed_sync(dom, path, bandwidth,
                                                       bp_ctl_options(ctl, NULL),
                                                       bp_ctl_call_flags(ctl),
                                                       BP_CALL_TIMEOUT_LONG, NULL, error);
    return bp_blockjob_info(ctl, dom, path, raw, bp_cmd_opt_bool(cmd, "bytes"), error);
}
