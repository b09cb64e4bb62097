/*
 * bp-store-domains.c: the domains table.
 */
#include <config.h>

#include "store/bp-store-priv.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"

BP_ENUM_IMPL(bp_store_domain_state, BP_STORE_DOMAIN_STATE_LAST,
             "shutoff", "running")

#define DOMAIN_COLUMNS "id, uuid, name, definition, runtime, state, pid, monitor_path"


BpStoreDomain *
bp_store_domain_new(void)
{
    return g_new0(BpStoreDomain, 1);
}


void
bp_store_domain_free(BpStoreDomain *dom)
{
    if (!dom)
        return;
    g_free(dom->uuid);
    g_free(dom->name);
    g_free(dom->definition);
    g_free(dom->runtime);
    g_free(dom->monitor_path);
    g_free(dom);
}


static BpStoreDomain *
bp_store_domain_from_row(sqlite3_stmt *stmt)
{
    BpStoreDomain *dom = bp_store_domain_new();

    dom->id = sqlite3_column_int64(stmt, 0);
    dom->uuid = bp_store_column_dup(stmt, 1);
    dom->name = bp_store_column_dup(stmt, 2);
    dom->definition = bp_store_column_dup(stmt, 3);
    dom->runtime = bp_store_column_dup(stmt, 4);
    dom->state = bp_store_column_enum(stmt, 5, bp_store_domain_state_from_string,
                                      BP_STORE_DOMAIN_SHUTOFF);
    dom->pid = sqlite3_column_int64(stmt, 6);
    dom->monitor_path = bp_store_column_dup(stmt, 7);
    return dom;
}


char *
bp_store_domain_label(BpStore *store, gint64 domain_id)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;

    if (sqlite3_prepare_v2(store->db, "SELECT name FROM domains WHERE id = ?1",
                           -1, &stmt, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, domain_id);
        if (sqlite3_step(stmt) == SQLITE_ROW)
            return bp_store_column_dup(stmt, 0);
    }
    return g_strdup_printf("#%" G_GINT64_FORMAT, domain_id);
}


gboolean
bp_store_domain_check(BpStore *store, gint64 domain_id, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    int rc;

    stmt = bp_store_prepare(store, "SELECT 1 FROM domains WHERE id = ?1", error);
    if (!stmt)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, domain_id);
    rc = bp_store_step(store, stmt, _("cannot look up a domain"), error);
    if (rc < 0)
        return FALSE;
    if (rc == SQLITE_DONE) {
        g_set_error(error, BP_ERROR, BP_ERROR_NO_DOMAIN,
                    _("no domain with id %lld in the catalogue"),
                    (long long) domain_id);
        return FALSE;
    }
    return TRUE;
}


/* Fails with BP_ERROR_EXISTS when another domain than @self_id already
 * uses @name or @uuid. */
static gboolean
bp_store_domain_check_unique(BpStore *store, gint64 self_id, const char *name,
                             const char *uuid, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    int rc;

    stmt = bp_store_prepare(store,
                            "SELECT name, uuid FROM domains"
                            " WHERE (name = ?1 OR uuid = ?2) AND id IS NOT ?3",
                            error);
    if (!stmt)
        return FALSE;
    bp_store_bind_text(stmt, 1, name);
    bp_store_bind_text(stmt, 2, uuid);
    bp_store_bind_id(stmt, 3, self_id);
    rc = bp_store_step(store, stmt, _("cannot look up a domain"), error);
    if (rc < 0)
        return FALSE;
    if (rc == SQLITE_ROW) {
        const char *other = (const char *) sqlite3_column_text(stmt, 0);

        if (g_strcmp0(other, name) == 0)
            g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                        _("domain '%s' already exists"), name);
        else
            g_set_error(error, BP_ERROR, BP_ERROR_EXISTS,
                        _("domain '%s' already uses uuid %s"), other, uuid);
        return FALSE;
    }
    return TRUE;
}


static gboolean
bp_store_domain_validate(const BpStoreDomain *dom, GError **error)
{
    if (!dom->name || !*dom->name || !dom->uuid || !*dom->uuid ||
        !dom->definition || !dom->runtime) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("domain '%s' lacks a name, uuid, definition or runtime"),
                    dom->name ? dom->name : "");
        return FALSE;
    }
    if (!bp_store_domain_state_to_string(dom->state) || dom->pid < 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("domain '%s' has an invalid runtime state"), dom->name);
        return FALSE;
    }
    return TRUE;
}


gboolean
bp_store_domain_add(BpStore *store, BpStoreDomain *dom, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(sqlite3_stmt) stmt = NULL;
    gint64 id;

    if (!bp_store_domain_validate(dom, error))
        return FALSE;
    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if (!bp_store_domain_check_unique(store, 0, dom->name, dom->uuid, error))
        return FALSE;
    stmt = bp_store_prepare(store,
                            "INSERT INTO domains (uuid, name, definition, runtime,"
                            " state, pid, monitor_path)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", error);
    if (!stmt)
        return FALSE;
    bp_store_bind_text(stmt, 1, dom->uuid);
    bp_store_bind_text(stmt, 2, dom->name);
    bp_store_bind_text(stmt, 3, dom->definition);
    bp_store_bind_text(stmt, 4, dom->runtime);
    bp_store_bind_text(stmt, 5, bp_store_domain_state_to_string(dom->state));
    bp_store_bind_int64(stmt, 6, dom->pid);
    bp_store_bind_text(stmt, 7, dom->monitor_path);
    if (!bp_store_step_done(store, stmt, _("cannot add a domain"), error))
        return FALSE;
    id = sqlite3_last_insert_rowid(store->db);
    if (!bp_store_txn_commit(txn, error))
        return FALSE;
    dom->id = id;
    return TRUE;
}


/* Runs a one-row domain query whose ?1 is bound by the caller. */
static BpStoreDomain *
bp_store_domain_fetch(BpStore *store, sqlite3_stmt *stmt, const char *what_key,
                      GError **error)
{
    int rc = bp_store_step(store, stmt, _("cannot look up a domain"), error);

    if (rc < 0)
        return NULL;
    if (rc == SQLITE_DONE) {
        g_set_error(error, BP_ERROR, BP_ERROR_NO_DOMAIN,
                    _("no domain %s in the catalogue"), what_key);
        return NULL;
    }
    return bp_store_domain_from_row(stmt);
}


BpStoreDomain *
bp_store_domain_get(BpStore *store, gint64 id, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    g_autofree char *key = g_strdup_printf(_("with id %lld"), (long long) id);

    stmt = bp_store_prepare(store, "SELECT " DOMAIN_COLUMNS " FROM domains WHERE id = ?1",
                            error);
    if (!stmt)
        return NULL;
    sqlite3_bind_int64(stmt, 1, id);
    return bp_store_domain_fetch(store, stmt, key, error);
}


BpStoreDomain *
bp_store_domain_get_by_name(BpStore *store, const char *name, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    g_autofree char *key = g_strdup_printf(_("named '%s'"), name);

    stmt = bp_store_prepare(store, "SELECT " DOMAIN_COLUMNS " FROM domains WHERE name = ?1",
                            error);
    if (!stmt)
        return NULL;
    bp_store_bind_text(stmt, 1, name);
    return bp_store_domain_fetch(store, stmt, key, error);
}


BpStoreDomain *
bp_store_domain_get_by_uuid(BpStore *store, const char *uuid, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    g_autofree char *key = g_strdup_printf(_("with uuid %s"), uuid);

    stmt = bp_store_prepare(store, "SELECT " DOMAIN_COLUMNS " FROM domains WHERE uuid = ?1",
                            error);
    if (!stmt)
        return NULL;
    bp_store_bind_text(stmt, 1, uuid);
    return bp_store_domain_fetch(store, stmt, key, error);
}


GPtrArray *
bp_store_domain_list(BpStore *store, GError **error)
{
    g_autoptr(sqlite3_stmt) stmt = NULL;
    g_autoptr(GPtrArray) list =
        g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_domain_free);
    int rc;

    stmt = bp_store_prepare(store, "SELECT " DOMAIN_COLUMNS " FROM domains ORDER BY name",
                            error);
    if (!stmt)
        return NULL;
    while ((rc = bp_store_step(store, stmt, _("cannot list domains"), error)) == SQLITE_ROW)
        g_ptr_array_add(list, bp_store_domain_from_row(stmt));
    if (rc < 0)
        return NULL;
    return g_steal_pointer(&list);
}


gboolean
bp_store_domain_update(BpStore *store, const BpStoreDomain *dom, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(sqlite3_stmt) stmt = NULL;

    if (!bp_store_domain_validate(dom, error))
        return FALSE;
    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if (!bp_store_domain_check(store, dom->id, error) ||
        !bp_store_domain_check_unique(store, dom->id, dom->name, dom->uuid, error))
        return FALSE;
    stmt = bp_store_prepare(store,
                            "UPDATE domains SET uuid = ?2, name = ?3, definition = ?4,"
                            " runtime = ?5, state = ?6, pid = ?7, monitor_path = ?8"
                            " WHERE id = ?1", error);
    if (!stmt)
        return FALSE;
    bp_store_bind_int64(stmt, 1, dom->id);
    bp_store_bind_text(stmt, 2, dom->uuid);
    bp_store_bind_text(stmt, 3, dom->name);
    bp_store_bind_text(stmt, 4, dom->definition);
    bp_store_bind_text(stmt, 5, dom->runtime);
    bp_store_bind_text(stmt, 6, bp_store_domain_state_to_string(dom->state));
    bp_store_bind_int64(stmt, 7, dom->pid);
    bp_store_bind_text(stmt, 8, dom->monitor_path);
    if (!bp_store_step_done(store, stmt, _("cannot update a domain"), error))
        return FALSE;
    return bp_store_txn_commit(txn, error);
}


gboolean
bp_store_domain_remove(BpStore *store, gint64 id, GError **error)
{
    g_autoptr(BpStoreTxn) txn = NULL;
    g_autoptr(sqlite3_stmt) stmt = NULL;

    if (!(txn = bp_store_txn_begin(store, error)))
        return FALSE;
    if (!bp_store_domain_check(store, id, error))
        return FALSE;
    /* One statement: the cascades to checkpoints, their disks, backups and
     * jobs happen inside it, and the checkpoint parent keys are checked
     * when it ends, after every row of the domain is gone. */
    if (!(stmt = bp_store_prepare(store, "DELETE FROM domains WHERE id = ?1", error)))
        return FALSE;
    sqlite3_bind_int64(stmt, 1, id);
    if (!bp_store_step_done(store, stmt, _("cannot remove a domain"), error))
        return FALSE;
    return bp_store_txn_commit(txn, error);
}
