/*
 * bp-store.c: opening the catalogue, connection settings, transactions,
 * statement and error helpers shared by the other bp-store-*.c files.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "store/bp-store-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

/* How long a statement waits for a lock held by another connection (a
 * second daemon, a sqlite3 shell) before failing with "database is locked". */
#define BP_STORE_BUSY_TIMEOUT_MS 5000

/* How many problems bp_store_verify() quotes in its message. */
#define BP_STORE_VERIFY_MAX_REPORT 5

struct _BpStoreTxn {
    BpStore *store;
    guint depth;                /* store->txn_depth right after it began */
    gboolean open;
};


void
bp_store_set_error(BpStore *store, GError **error, const char *what)
{
    g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                _("%s: %s (catalogue %s)"),
                what, sqlite3_errmsg(store->db), store->path);
}


sqlite3_stmt *
bp_store_prepare(BpStore *store, const char *sql, GError **error)
{
    sqlite3_stmt *stmt = NULL;

    /* If SQLite rolled an open transaction back by itself (disk full,
     * I/O error), running on would commit statement by statement. */
    if (store->txn_depth > 0 && sqlite3_get_autocommit(store->db)) {
        g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                    _("the transaction on catalogue %s was rolled back after an earlier error"),
                    store->path);
        return NULL;
    }
    if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        bp_store_set_error(store, error, _("cannot prepare a catalogue query"));
        sqlite3_finalize(stmt);
        return NULL;
    }
    return stmt;
}


int
bp_store_step(BpStore *store, sqlite3_stmt *stmt, const char *what,
              GError **error)
{
    int rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return rc;
    bp_store_set_error(store, error, what);
    return -1;
}


gboolean
bp_store_step_done(BpStore *store, sqlite3_stmt *stmt, const char *what,
                   GError **error)
{
    int rc = bp_store_step(store, stmt, what, error);

    if (rc == SQLITE_ROW) {
        g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                    _("%s: unexpected result row (catalogue %s)"),
                    what, store->path);
        return FALSE;
    }
    return rc == SQLITE_DONE;
}


void
bp_store_bind_text(sqlite3_stmt *stmt, int idx, const char *text)
{
    if (text)
        sqlite3_bind_text(stmt, idx, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt, idx);
}


void
bp_store_bind_int64(sqlite3_stmt *stmt, int idx, gint64 value)
{
    sqlite3_bind_int64(stmt, idx, value);
}


void
bp_store_bind_id(sqlite3_stmt *stmt, int idx, gint64 value)
{
    if (value > 0)
        sqlite3_bind_int64(stmt, idx, value);
    else
        sqlite3_bind_null(stmt, idx);
}


char *
bp_store_column_dup(sqlite3_stmt *stmt, int col)
{
    const unsigned char *text = sqlite3_column_text(stmt, col);

    return text ? g_strdup((const char *) text) : NULL;
}


int
bp_store_column_enum(sqlite3_stmt *stmt, int col,
                     int (*from_string)(const char *str), int fallback)
{
    const char *text = (const char *) sqlite3_column_text(stmt, col);
    int value = from_string(text);

    if (value < 0) {
        g_warning("catalogue holds unknown value '%s'", text ? text : "(null)");
        return fallback;
    }
    return value;
}


/* Runs one PRAGMA that returns a single row and copies its first column. */
static char *
bp_store_pragma_text(BpStore *store, const char *sql, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = bp_store_prepare(store, sql, error);

    if (!stmt)
        return NULL;
    if (bp_store_step(store, stmt, _("cannot configure the catalogue"), error) != SQLITE_ROW) {
        if (error && !*error)
            g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                        _("no answer to '%s' from catalogue %s"), sql, store->path);
        return NULL;
    }
    return bp_store_column_dup(stmt, 0);
}


static gboolean
bp_store_configure(BpStore *store, GError **error)
{
    g_autofree char *journal = NULL;
    g_autofree char *fk = NULL;

    sqlite3_extended_result_codes(store->db, 1);
    sqlite3_busy_timeout(store->db, BP_STORE_BUSY_TIMEOUT_MS);

    if (sqlite3_exec(store->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(store->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
        bp_store_set_error(store, error, _("cannot configure the catalogue"));
        return FALSE;
    }
    if (!(fk = bp_store_pragma_text(store, "PRAGMA foreign_keys", error)))
        return FALSE;
    if (!g_str_equal(fk, "1")) {
        g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                    _("SQLite was built without foreign key support; catalogue %s cannot be used"),
                    store->path);
        return FALSE;
    }
    if (!(journal = bp_store_pragma_text(store, "PRAGMA journal_mode = WAL", error)))
        return FALSE;
    if (g_ascii_strcasecmp(journal, "wal") != 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                    _("cannot switch catalogue %s to WAL journalling (journal mode is '%s')"),
                    store->path, journal);
        return FALSE;
    }
    return TRUE;
}


/* Creates the directory holding @path (0700) and the file itself (0600)
 * when they do not exist, so that SQLite's own files (-wal, -shm), which
 * copy the database's mode, are private too. */
static gboolean
bp_store_prepare_file(const char *path, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    int fd;

    if (g_mkdir_with_parents(dir, 0700) < 0) {
        int err = errno;
        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("cannot create catalogue directory %s: %s"),
                    dir, g_strerror(err));
        return FALSE;
    }
    fd = g_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        int err = errno;
        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("cannot open catalogue %s: %s"), path, g_strerror(err));
        return FALSE;
    }
    close(fd);
    return TRUE;
}


BpStore *
bp_store_open(const char *path, GError **error)
{
    g_autoptr(BpStore) store = NULL;
    int rc;

    if (!path || !*path) {
        g_set_error_literal(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                            _("no catalogue path given"));
        return NULL;
    }
    if (!bp_store_prepare_file(path, error))
        return NULL;

    store = g_new0(BpStore, 1);
    store->path = g_strdup(path);
    rc = sqlite3_open_v2(path, &store->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                         SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (store->db)
            bp_store_set_error(store, error, _("cannot open the catalogue"));
        else
            g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                        _("cannot open catalogue %s: %s"), path, sqlite3_errstr(rc));
        return NULL;
    }
    if (!bp_store_configure(store, error))
        return NULL;
    if (!bp_store_migrate(store->db, store->path, BP_STORE_SCHEMA_VERSION, error))
        return NULL;
    return g_steal_pointer(&store);
}


void
bp_store_close(BpStore *store)
{
    if (!store)
        return;
    if (store->txn_depth > 0)
        g_warning("closing catalogue %s with %u open transaction(s); they are rolled back",
                  store->path, store->txn_depth);
    /* sqlite3_close_v2() rolls back, finalises nothing of ours (every
     * statement is finalised by g_autoptr) and checkpoints the WAL. */
    if (sqlite3_close_v2(store->db) != SQLITE_OK)
        g_warning("cannot close catalogue %s: %s", store->path,
                  sqlite3_errmsg(store->db));
    g_free(store->path);
    g_free(store);
}


const char *
bp_store_get_path(BpStore *store)
{
    return store->path;
}


char *
bp_store_default_path(const char *state_dir, gboolean system_instance)
{
    if (state_dir && *state_dir)
        return g_build_filename(state_dir, BP_STORE_FILE_NAME, NULL);
    if (system_instance)
        return g_build_filename(LOCALSTATEDIR, "lib", "blkpoint",
                                BP_STORE_FILE_NAME, NULL);
    return g_build_filename(g_get_user_state_dir(), "blkpoint",
                            BP_STORE_FILE_NAME, NULL);
}


int
bp_store_get_schema_version(BpStore *store)
{
    return bp_store_read_user_version(store->db);
}


gboolean
bp_store_verify(BpStore *store, gboolean quick, GError **error)
{
    g_autoptr(sqlite3_stmt) integrity = NULL;
    g_autoptr(sqlite3_stmt) fkeys = NULL;
    g_autoptr(GString) problems = g_string_new(NULL);
    guint nproblems = 0;
    int rc;

    integrity = bp_store_prepare(store, quick ? "PRAGMA quick_check" :
                                 "PRAGMA integrity_check", error);
    if (!integrity)
        return FALSE;
    while ((rc = bp_store_step(store, integrity, _("cannot check the catalogue"),
                               error)) == SQLITE_ROW) {
        const char *line = (const char *) sqlite3_column_text(integrity, 0);

        if (g_strcmp0(line, "ok") == 0)
            continue;
        if (nproblems++ < BP_STORE_VERIFY_MAX_REPORT)
            g_string_append_printf(problems, "%s%s", problems->len ? "; " : "", line);
    }
    if (rc < 0)
        return FALSE;

    if (!(fkeys = bp_store_prepare(store, "PRAGMA foreign_key_check", error)))
        return FALSE;
    while ((rc = bp_store_step(store, fkeys, _("cannot check the catalogue"),
                               error)) == SQLITE_ROW) {
        if (nproblems++ < BP_STORE_VERIFY_MAX_REPORT)
            g_string_append_printf(problems, "%srow %lld of %s refers to a missing row of %s",
                                   problems->len ? "; " : "",
                                   (long long) sqlite3_column_int64(fkeys, 1),
                                   (const char *) sqlite3_column_text(fkeys, 0),
                                   (const char *) sqlite3_column_text(fkeys, 2));
    }
    if (rc < 0)
        return FALSE;

    if (nproblems > 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                    _("catalogue %s is damaged (%u problems): %s"),
                    store->path, nproblems, problems->str);
        return FALSE;
    }
    return TRUE;
}


BpStoreTxn *
bp_store_txn_begin(BpStore *store, GError **error)
{
    BpStoreTxn *txn;
    const char *sql = store->txn_depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT bp_txn";

    if (store->txn_depth > 0 && sqlite3_get_autocommit(store->db)) {
        g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                    _("the transaction on catalogue %s was rolled back after an earlier error"),
                    store->path);
        return NULL;
    }
    if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        bp_store_set_error(store, error, _("cannot start a catalogue transaction"));
        return NULL;
    }
    txn = g_new0(BpStoreTxn, 1);
    txn->store = store;
    txn->depth = ++store->txn_depth;
    txn->open = TRUE;
    return txn;
}


gboolean
bp_store_txn_commit(BpStoreTxn *txn, GError **error)
{
    BpStore *store = txn->store;
    const char *sql;

    g_return_val_if_fail(txn->open, FALSE);
    g_return_val_if_fail(txn->depth == store->txn_depth, FALSE);

    if (sqlite3_get_autocommit(store->db)) {
        g_set_error(error, BP_ERROR, BP_ERROR_CATALOGUE,
                    _("the transaction on catalogue %s was rolled back after an earlier error"),
                    store->path);
        return FALSE;
    }
    sql = txn->depth == 1 ? "COMMIT" : "RELEASE bp_txn";
    if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        bp_store_set_error(store, error, _("cannot commit to the catalogue; nothing was changed"));
        return FALSE;
    }
    txn->open = FALSE;
    store->txn_depth--;
    return TRUE;
}


void
bp_store_txn_free(BpStoreTxn *txn)
{
    BpStore *store;

    if (!txn)
        return;
    store = txn->store;
    if (txn->open) {
        g_warn_if_fail(txn->depth == store->txn_depth);
        /* When SQLite already rolled everything back there is nothing
         * left to undo at any level. */
        if (!sqlite3_get_autocommit(store->db)) {
            const char *sql = txn->depth == 1 ? "ROLLBACK" :
                "ROLLBACK TO bp_txn; RELEASE bp_txn";

            if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
                g_warning("cannot roll back on catalogue %s: %s",
                          store->path, sqlite3_errmsg(store->db));
        }
        store->txn_depth--;
    }
    g_free(txn);
}
