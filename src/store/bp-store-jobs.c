/*
 * bp-store-jobs.c: jobs in flight, recorded so that a daemon restarted
 * after a crash can finish them or clean up after them (remove a
 * checkpoint a failed backup created, a scratch file, an export).
 */
#include <config.h>

#include "store/bp-store-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

BP_ENUM_IMPL(bp_store_job_status, BP_STORE_JOB_STATUS_LAST,
             "running", "cancelling", "completed", "failed", "cancelled")

#define JOB_COLUMNS \
    "id, domain_id, kind, status, phase, backup_id, checkpoint, data," \
    " start_time, update_time"


BpStoreJob *
bp_store_job_new(gint64 domain_id, const char *kind)
{
    BpStoreJob *job = g_new0(BpStoreJob, 1);

    job->domain_id = domain_id;
    job->kind = g_strdup(kind);
    job->status = BP_STORE_JOB_RUNNING;
    return job;
}


void
bp_store_job_free(BpStoreJob *job)
{
    if (!job)
        return;
    g_free(job->kind);
    g_free(job->phase);
    g_free(job->checkpoint);
    g_free(job->data);
    g_free(job);
}


static BpStoreJob *
bp_store_job_from_row(sqlite3_stmt *stmt)
{
    BpStoreJob *job = g_new0(BpStoreJob, 1);

    job->id = sqlite3_column_int64(stmt, 0);
    job->domain_id = sqlite3_column_int64(stmt, 1);
    job->kind = bp_store_column_dup(stmt, 2);
    job->status = bp_store_column_enum(stmt, 3, bp_store_job_status_from_string,
                                       BP_STORE_JOB_FAILED);
    job->phase = bp_store_column_dup(stmt, 4);
    job->backup_id = sqlite3_column_int64(stmt, 5);
    job->checkpoint = bp_store_column_dup(stmt, 6);
    job->data = bp_store_column_dup(stmt, 7);
    job->start_time = sqlite3_column_int64(stmt, 8);
    job->update_time = sqlite3_column_int64(stmt, 9);
    return job;
}


static gboolean
bp_store_job_validate(const BpStoreJob *job, GError **error)
{
    if (!job->kind || !*job->kind) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("a job needs a kind"));
        return FALSE;
    }
    if (!bp_store_job_status_to_string(job->status)) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("invalid status %d for a %s job"), job->status, job->kind);
        return FALSE;
    }
    return TRUE;
}


/* FALSE with BP_ERROR_INVALID_ARGUMENT unless backup @backup_id (if
 * any) belongs to the job's domain. */
static gboolean
bp_store_job_check_backup(BpStore *store, const BpStoreJob *job, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    int rc;

    if (job->backup_id <= 0)
        return TRUE;
    stmt = bp_store_prepare(store,
                            "SELECT 1 FROM backups WHERE id = ?1 AND domain_id = ?2", error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, job->backup_id);
    sqlite3_bind_int64(stmt, 2, job->domain_id);
    rc = bp_store_step(store, stmt, _("cannot look up a backup"), error);
    if (rc == SQLITE_DONE)
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("backup %lld of the %s job is not a backup of its domain"),
                    (long long) job->backup_id, job->kind);
    return rc == SQLITE_ROW;
}


/* FALSE with BP_ERROR_NO_BACKUP unless job->id is a job of job->domain_id. */
static gboolean
bp_store_job_check(BpStore *store, const BpStoreJob *job, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    int rc;

    stmt = bp_store_prepare(store, "SELECT 1 FROM jobs WHERE id = ?1 AND domain_id = ?2",
                            error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, job->id);
    sqlite3_bind_int64(stmt, 2, job->domain_id);
    rc = bp_store_step(store, stmt, _("cannot look up a job"), error);
    if (rc == SQLITE_DONE)
        g_set_error(error, BP_ERROR, BP_ERROR_NO_BACKUP,
                    _("no job with id %lld in the catalogue"), (long long) job->id);
    return rc == SQLITE_ROW;
}


gboolean
bp_store_job_add(BpStore *store, BpStoreJob *job, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(sqlite3_stmt) stmt = NULL;
    gint64 id;

    if (!bp_store_job_validate(job, error))
        return FALSE;
    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if (!bp_store_domain_check(store, job->domain_id, error) ||
        !bp_store_job_check_backup(store, job, error))
        return FALSE;
    stmt = bp_store_prepare(store,
                            "INSERT INTO jobs (domain_id, kind, status, phase, backup_id,"
                            " checkpoint, data, start_time, update_time)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, job->domain_id);
    bp_store_bind_text(stmt, 2, job->kind);
    bp_store_bind_text(stmt, 3, bp_store_job_status_to_string(job->status));
    bp_store_bind_text(stmt, 4, job->phase);
    bp_store_bind_id(stmt, 5, job->backup_id);
    bp_store_bind_text(stmt, 6, job->checkpoint);
    bp_store_bind_text(stmt, 7, job->data);
    bp_store_bind_int64(stmt, 8, job->start_time);
    bp_store_bind_int64(stmt, 9, job->update_time);
    if (!bp_store_step_done(store, stmt, _("cannot add a job"), error))
        return FALSE;
    id = sqlite3_last_insert_rowid(store->db);
    if (!bp_store_txn_commit(txn, error))
        return FALSE;
    job->id = id;
    return TRUE;
}


/* Runs @stmt (?1 = job id) and reports a missing job. */
static gboolean
bp_store_job_change(BpStore *store, sqlite3_stmt *stmt, gint64 id,
                    const char *what, GError **error)
{
    if (!bp_store_step_done(store, stmt, what, error))
        return FALSE;
    if (sqlite3_changes(store->db) == 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_NO_BACKUP,
                    _("no job with id %lld in the catalogue"), (long long) id);
        return FALSE;
    }
    return TRUE;
}


gboolean
bp_store_job_update(BpStore *store, const BpStoreJob *job, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(sqlite3_stmt) stmt = NULL;

    if (!bp_store_job_validate(job, error))
        return FALSE;
    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if (!bp_store_job_check(store, job, error) ||
        !bp_store_job_check_backup(store, job, error))
        return FALSE;
    stmt = bp_store_prepare(store,
                            "UPDATE jobs SET status = ?2, phase = ?3, backup_id = ?4,"
                            " checkpoint = ?5, data = ?6, update_time = ?7"
                            " WHERE id = ?1 AND domain_id = ?8", error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, job->id);
    bp_store_bind_text(stmt, 2, bp_store_job_status_to_string(job->status));
    bp_store_bind_text(stmt, 3, job->phase);
    bp_store_bind_id(stmt, 4, job->backup_id);
    bp_store_bind_text(stmt, 5, job->checkpoint);
    bp_store_bind_text(stmt, 6, job->data);
    bp_store_bind_int64(stmt, 7, job->update_time);
    sqlite3_bind_int64(stmt, 8, job->domain_id);
    if (!bp_store_job_change(store, stmt, job->id, _("cannot update a job"), error))
        return FALSE;
    return bp_store_txn_commit(txn, error);
}


BpStoreJob *
bp_store_job_get(BpStore *store, gint64 id, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    int rc;

    stmt = bp_store_prepare(store, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1", error);
    if (!stmt)
        return NULL;
    sqlite3_bind_int64(stmt, 1, id);
    rc = bp_store_step(store, stmt, _("cannot look up a job"), error);
    if (rc == SQLITE_DONE)
        g_set_error(error, BP_ERROR, BP_ERROR_NO_BACKUP,
                    _("no job with id %lld in the catalogue"), (long long) id);
    if (rc != SQLITE_ROW)
        return NULL;
    return bp_store_job_from_row(stmt);
}


gboolean
bp_store_job_remove(BpStore *store, gint64 id, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(sqlite3_stmt) stmt = NULL;

    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if (!(stmt = bp_store_prepare(store, "DELETE FROM jobs WHERE id = ?1", error)))
        return FALSE;
    sqlite3_bind_int64(stmt, 1, id);
    if (!bp_store_job_change(store, stmt, id, _("cannot remove a job"), error))
        return FALSE;
    return bp_store_txn_commit(txn, error);
}


GPtrArray *
bp_store_job_list_unfinished(BpStore *store, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    g_autoptr(GPtrArray) list =
        g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_job_free);
    int rc;

    stmt = bp_store_prepare(store,
                            "SELECT " JOB_COLUMNS " FROM jobs"
                            " WHERE status IN ('running', 'cancelling')"
                            " ORDER BY start_time, id", error);
    if (!stmt)
        return NULL;
    while ((rc = bp_store_step(store, stmt, _("cannot list jobs"), error)) == SQLITE_ROW)
        g_ptr_array_add(list, bp_store_job_from_row(stmt));
    if (rc < 0)
        return NULL;
    return g_steal_pointer(&list);
}
