/*
 * test-store.c: unit tests for src/store, the SQLite catalogue, on real
 * database files: opening and migrations (from tests/storedata fixtures),
 * domains, transactions, backups, jobs and the integrity check.  The
 * checkpoint tests are in test-store-checkpoints.c, linked into the same
 * program.
 */
#include <config.h>

#include <sys/stat.h>
#include <glib/gstdio.h>

#include "store/bp-store-priv.h"
#include "util/bp-error.h"
#include "testutils.h"
#include "store-testutils.h"


/* ---- Opening and migrations ---------------------------------------- */

static void
test_open_create(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_path_get_dirname(f->path);
    g_autofree char *wal = g_strconcat(f->path, "-wal", NULL);
    g_autofree char *path = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    GStatBuf st;

    g_assert_cmpint(g_stat(dir, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0700);
    g_assert_cmpint(g_stat(f->path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);

    g_assert_cmpint(bp_store_get_schema_version(f->store), ==, BP_STORE_SCHEMA_VERSION);
    g_assert_cmpstr(bp_store_get_path(f->store), ==, f->path);
    g_assert_cmpint(bp_store_test_query_int(f->store->db, "PRAGMA foreign_keys"), ==, 1);
    g_assert_cmpint(bp_store_test_query_int(f->store->db, "PRAGMA synchronous"), ==, 2);
    g_assert_cmpint(bp_store_test_query_int(f->store->db, "PRAGMA busy_timeout"), >, 0);
    g_assert_cmpint(bp_store_test_query_int(f->store->db,
                                            "SELECT journal_mode = 'wal' FROM pragma_journal_mode"),
                    ==, 1);

    bp_store_test_build_tree(f->store);
    g_assert_cmpint(g_stat(wal, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    g_assert_true(bp_store_verify(f->store, FALSE, &error));
    g_assert_no_error(error);

    /* Everything is still there after closing and opening again. */
    before = bp_store_test_dump_store(f->store);
    g_clear_pointer(&f->store, bp_store_close);
    f->store = bp_store_open(f->path, &error);
    g_assert_no_error(error);
    after = bp_store_test_dump_store(f->store);
    g_assert_cmpstr(before, ==, after);

    g_assert_cmpstr((path = bp_store_default_path("/srv/bp", TRUE)), ==, "/srv/bp/blkpoint.db");
    g_clear_pointer(&path, g_free);
    path = bp_store_default_path(NULL, TRUE);
    g_assert_true(g_str_has_prefix(path, LOCALSTATEDIR "/"));
    g_assert_true(g_str_has_suffix(path, "/lib/blkpoint/blkpoint.db"));
    g_clear_pointer(&path, g_free);
    path = bp_store_default_path(NULL, FALSE);
    g_assert_true(g_str_has_prefix(path, g_get_user_state_dir()));
    g_assert_true(g_str_has_suffix(path, "/blkpoint/blkpoint.db"));
}


static void
test_open_refusals(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *future = g_build_filename(dir, "future.db", NULL);
    g_autofree char *garbage = g_build_filename(dir, "garbage.db", NULL);
    g_autofree char *blocked = g_build_filename(dir, "file", "blkpoint.db", NULL);
    g_autofree char *blocker = g_build_filename(dir, "file", NULL);
    g_autoptr(GError) error = NULL;
    BpStore *store;
    sqlite3 *db;

    db = NULL;
    g_assert_cmpint(sqlite3_open(future, &db), ==, SQLITE_OK);
    bp_store_test_exec(db, "CREATE TABLE t (x); PRAGMA user_version = 99;");
    sqlite3_close(db);
    store = bp_store_open(future, &error);
    g_assert_null(store);
    g_assert_error(error, BP_ERROR, BP_ERROR_CATALOGUE);
    g_assert_nonnull(strstr(error->message, "99"));
    g_assert_nonnull(strstr(error->message, future));
    g_clear_error(&error);

    g_assert_true(g_file_set_contents(garbage, "this is not an SQLite database, not at all\n",
                                      -1, NULL));
    store = bp_store_open(garbage, &error);
    g_assert_null(store);
    g_assert_error(error, BP_ERROR, BP_ERROR_CATALOGUE);
    g_clear_error(&error);

    g_assert_true(g_file_set_contents(blocker, "", -1, NULL));
    store = bp_store_open(blocked, &error);
    g_assert_null(store);
    g_assert_error(error, BP_ERROR, BP_ERROR_IO);
    g_clear_error(&error);

    bp_test_rmdir(dir);
}


/* Loads tests/storedata/NAME into a new database file at @path. */
static void
load_fixture(const char *name, const char *path)
{
    g_autofree char *src = bp_test_srcpath(name);
    g_autofree char *sql = NULL;
    g_autoptr(GError) error = NULL;
    sqlite3 *db = NULL;

    g_assert_true(g_file_get_contents(src, &sql, NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
    bp_store_test_exec(db, sql);
    sqlite3_close(db);
}


static char *
schema_of(sqlite3 *db)
{
    GString *out = g_string_new(NULL);
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint(sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, sql FROM sqlite_master"
                                       " ORDER BY type, name", -1, &stmt, NULL), ==, SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        for (int c = 0; c < 4; c++) {
            const char *text = (const char *) sqlite3_column_text(stmt, c);
            g_string_append_printf(out, "%s\n", text ? text : "NULL");
        }
    }
    sqlite3_finalize(stmt);
    return g_string_free(out, FALSE);
}


/* Migration 1 from an empty database writes exactly the schema of the v1
 * fixture, so the fixture the v2 test starts from is what v1 wrote. */
static void
test_migrate_v0_v1(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *fresh = g_build_filename(dir, "fresh.db", NULL);
    g_autofree char *fixture = g_build_filename(dir, "fixture.db", NULL);
    g_autofree char *schema_fresh = NULL;
    g_autofree char *schema_fixture = NULL;
    g_autoptr(GError) error = NULL;
    sqlite3 *db = NULL;

    g_assert_cmpint(sqlite3_open(fresh, &db), ==, SQLITE_OK);
    g_assert_cmpint(bp_store_read_user_version(db), ==, 0);
    g_assert_true(bp_store_migrate(db, fresh, 1, &error));
    g_assert_no_error(error);
    g_assert_cmpint(bp_store_read_user_version(db), ==, 1);
    schema_fresh = schema_of(db);
    sqlite3_close(db);

    load_fixture("storedata/v1.sql", fixture);
    db = bp_store_test_raw_open(fixture);
    g_assert_cmpint(bp_store_read_user_version(db), ==, 1);
    schema_fixture = schema_of(db);
    sqlite3_close(db);

    g_assert_cmpstr(schema_fresh, ==, schema_fixture);
    g_assert_nonnull(strstr(schema_fresh, "checkpoints_no_cycle"));
    bp_test_rmdir(dir);
}


static void
test_migrate_v1_v2(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *path = g_build_filename(dir, "v1.db", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStore) store = NULL;
    g_autoptr(BpStoreDomain) vm1 = NULL;
    g_autoptr(BpStoreCheckpoint) current = NULL;
    g_autoptr(BpStoreCheckpoint) c4 = NULL;
    g_autoptr(GPtrArray) chain = NULL;
    g_autoptr(GPtrArray) jobs = NULL;
    g_autoptr(BpStoreBackup) b1 = NULL;
    g_autofree char *names = NULL;

    load_fixture("storedata/v1.sql", path);
    store = bp_store_open(path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(bp_store_get_schema_version(store), ==, BP_STORE_SCHEMA_VERSION);
    g_assert_true(bp_store_verify(store, FALSE, &error));
    g_assert_no_error(error);

    /* v3: per-disk results and the snapshot tables. */
    g_assert_cmpint(bp_store_test_query_int(store->db,
                                            "SELECT count(*) FROM pragma_table_info('backup_disks')"
                                            " WHERE name IN ('kind', 'scratch', 'error')"), ==, 3);
    g_assert_cmpint(bp_store_test_query_int(store->db,
                                            "SELECT count(*) FROM sqlite_master"
                                            " WHERE name IN ('snapshots', 'snapshot_disks')"), ==, 2);

    /* The new column and index exist, the data survived. */
    g_assert_cmpint(bp_store_test_query_int(store->db,
                                            "SELECT count(*) FROM pragma_table_info('backups')"
                                            " WHERE name = 'bytes_total'"), ==, 1);
    g_assert_cmpint(bp_store_test_query_int(store->db,
                                            "SELECT count(*) FROM sqlite_master"
                                            " WHERE name = 'backups_domain_time'"), ==, 1);

    vm1 = bp_store_domain_get_by_name(store, "vm1", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(vm1->uuid, ==, "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
    g_assert_cmpint(vm1->state, ==, BP_STORE_DOMAIN_RUNNING);
    g_assert_cmpint(vm1->pid, ==, 4242);
    g_assert_cmpstr(vm1->monitor_path, ==, "/run/blkpoint/vm1/qmp.sock");

    current = bp_store_checkpoint_get_current(store, vm1->id, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(current->name, ==, "c3");
    g_assert_cmpstr(current->parent, ==, "c2");
    g_assert_cmpuint(current->disks->len, ==, 2);
    names = bp_store_test_list_names(store, vm1->id, BP_STORE_CHECKPOINTS_ALL, NULL, BP_STORE_LIST_TOPOLOGICAL);
    g_assert_cmpstr(names, ==, "c1 c2 c4 c3");
    c4 = bp_store_checkpoint_get(store, vm1->id, "c4", &error);
    g_assert_no_error(error);
    g_assert_cmpint(c4->state, ==, BP_STORE_CHECKPOINT_BROKEN);
    g_assert_cmpstr(c4->reason, ==, "bitmap 'c4' missing in vda");
    g_assert_null(c4->domain_xml);

    chain = bp_store_backup_get_chain(store, 3, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(chain->len, ==, 3);
    b1 = g_ptr_array_steal_index(chain, 0);
    g_assert_cmpint(b1->id, ==, 1);
    g_assert_cmpuint(b1->bytes, ==, 5368709120);
    g_assert_cmpuint(b1->bytes_total, ==, 0);
    g_assert_cmpuint(b1->disks->len, ==, 2);
    /* Rows from before v3 take their backup's kind. */
    g_assert_cmpint(((BpStoreBackupDisk *) b1->disks->pdata[0])->kind, ==, b1->kind);
    g_assert_null(((BpStoreBackupDisk *) b1->disks->pdata[0])->scratch);

    jobs = bp_store_job_list_unfinished(store, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(jobs->len, ==, 1);
    g_assert_cmpstr(((BpStoreJob *) jobs->pdata[0])->phase, ==, "exporting");

    g_clear_pointer(&store, bp_store_close);
    bp_test_rmdir(dir);
}


/* A migration that fails is rolled back as a whole: the database stays at
 * the previous version, without half of the new schema. */
static void
test_migrate_failure(void)
{
    g_autofree char *dir = bp_test_mkdtemp();
    g_autofree char *path = g_build_filename(dir, "v1.db", NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    BpStore *store;
    sqlite3 *db;

    load_fixture("storedata/v1.sql", path);
    db = bp_store_test_raw_open(path);
    /* Something already holds the name migration 2 creates. */
    bp_store_test_exec(db, "CREATE INDEX backups_domain_time ON jobs (start_time)");
    before = bp_store_test_dump(db);
    sqlite3_close(db);

    store = bp_store_open(path, &error);
    g_assert_null(store);
    g_assert_error(error, BP_ERROR, BP_ERROR_CATALOGUE);
    g_assert_nonnull(strstr(error->message, "version 2"));

    db = bp_store_test_raw_open(path);
    g_assert_cmpint(bp_store_read_user_version(db), ==, 1);
    g_assert_cmpint(bp_store_test_query_int(db, "SELECT count(*) FROM pragma_table_info('backups')"
                                            " WHERE name = 'bytes_total'"), ==, 0);
    after = bp_store_test_dump(db);
    g_assert_cmpstr(before, ==, after);
    sqlite3_close(db);
    bp_test_rmdir(dir);
}


/* ---- Domains -------------------------------------------------------- */

static void
test_domains(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreDomain) dom = NULL;
    g_autoptr(BpStoreDomain) copy = NULL;
    g_autoptr(GPtrArray) list = NULL;
    gint64 vm1 = bp_store_test_add_domain(f->store, "vm1");
    gint64 vm0 = bp_store_test_add_domain(f->store, "vm0");

    dom = bp_store_domain_get(f->store, vm1, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(dom->name, ==, "vm1");
    g_assert_cmpstr(dom->runtime, ==, "storage");
    g_assert_cmpint(dom->state, ==, BP_STORE_DOMAIN_SHUTOFF);

    /* Runtime state for reattaching after a restart. */
    dom->state = BP_STORE_DOMAIN_RUNNING;
    dom->pid = 31337;
    dom->monitor_path = g_strdup("/run/user/1000/blkpoint/vm1/qmp.sock");
    g_free(dom->name);
    dom->name = g_strdup("vm1-renamed");
    g_assert_true(bp_store_domain_update(f->store, dom, &error));
    g_assert_no_error(error);
    copy = bp_store_domain_get_by_uuid(f->store, dom->uuid, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(copy->name, ==, "vm1-renamed");
    g_assert_cmpint(copy->state, ==, BP_STORE_DOMAIN_RUNNING);
    g_assert_cmpint(copy->pid, ==, 31337);
    g_assert_cmpstr(copy->monitor_path, ==, dom->monitor_path);
    g_clear_pointer(&copy, bp_store_domain_free);
    copy = bp_store_domain_get_by_name(f->store, "vm1-renamed", &error);
    g_assert_no_error(error);
    g_assert_cmpint(copy->id, ==, vm1);
    g_clear_pointer(&copy, bp_store_domain_free);

    list = bp_store_domain_list(f->store, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, 2);
    g_assert_cmpstr(((BpStoreDomain *) list->pdata[0])->name, ==, "vm0");
    g_assert_cmpstr(((BpStoreDomain *) list->pdata[1])->name, ==, "vm1-renamed");

    /* Names and uuids are unique. */
    copy = bp_store_domain_get(f->store, vm0, &error);
    g_free(copy->name);
    copy->name = g_strdup("vm1-renamed");
    g_assert_false(bp_store_domain_update(f->store, copy, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_EXISTS);
    g_clear_error(&error);
    copy->id = 0;
    g_free(copy->name);
    copy->name = g_strdup("other");
    g_assert_false(bp_store_domain_add(f->store, copy, &error));  /* vm0's uuid */
    g_assert_error(error, BP_ERROR, BP_ERROR_EXISTS);
    g_assert_nonnull(strstr(error->message, "vm0"));
    g_clear_error(&error);

    g_assert_null(bp_store_domain_get_by_name(f->store, "nope", &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_DOMAIN);
    g_clear_error(&error);
    g_assert_null(bp_store_domain_get(f->store, 4711, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_DOMAIN);
    g_clear_error(&error);
    g_assert_false(bp_store_domain_remove(f->store, 4711, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_DOMAIN);
    g_clear_error(&error);

    g_assert_true(bp_store_domain_remove(f->store, vm0, &error));
    g_assert_no_error(error);
    g_clear_pointer(&list, g_ptr_array_unref);
    list = bp_store_domain_list(f->store, &error);
    g_assert_cmpuint(list->len, ==, 1);
}


static void
test_domain_remove_cascades(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreBackup) backup = NULL;
    g_autoptr(BpStoreJob) job = NULL;
    gint64 vm1 = bp_store_test_build_tree(f->store);
    gint64 vm2 = bp_store_test_add_domain(f->store, "vm2");

    bp_store_test_add_checkpoint(f->store, vm2, "a", NULL, 1, TRUE);
    backup = bp_store_backup_new(vm1, BP_STORE_BACKUP_PUSH, BP_STORE_BACKUP_FULL);
    g_ptr_array_add(backup->disks, bp_store_backup_disk_new("vda", "/b/vda.qcow2", "qcow2"));
    g_assert_true(bp_store_backup_add(f->store, backup, &error));
    job = bp_store_job_new(vm1, "backup");
    job->backup_id = backup->id;
    g_assert_true(bp_store_job_add(f->store, job, &error));
    g_assert_no_error(error);

    g_assert_true(bp_store_domain_remove(f->store, vm1, &error));
    g_assert_no_error(error);
    g_assert_cmpint(bp_store_test_query_int(f->store->db, "SELECT count(*) FROM checkpoints"), ==, 1);
    g_assert_cmpint(bp_store_test_query_int(f->store->db, "SELECT count(*) FROM checkpoint_disks"), ==, 2);
    g_assert_cmpint(bp_store_test_query_int(f->store->db, "SELECT count(*) FROM backups"), ==, 0);
    g_assert_cmpint(bp_store_test_query_int(f->store->db, "SELECT count(*) FROM backup_disks"), ==, 0);
    g_assert_cmpint(bp_store_test_query_int(f->store->db, "SELECT count(*) FROM jobs"), ==, 0);
    g_assert_true(bp_store_verify(f->store, FALSE, &error));
    g_assert_no_error(error);
}


static void
test_transactions(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *before = bp_store_test_dump_store(f->store);
    g_autofree char *after = NULL;
    g_autoptr(GPtrArray) list = NULL;
    BpStoreTxn *outer;
    BpStoreTxn *inner;
    gint64 dom;

    /* Calls inside an outer transaction are not committed until it is. */
    outer = bp_store_txn_begin(f->store, &error);
    g_assert_no_error(error);
    dom = bp_store_test_add_domain(f->store, "vm1");
    bp_store_test_add_checkpoint(f->store, dom, "a", NULL, 1, TRUE);
    bp_store_txn_free(outer);
    after = bp_store_test_dump_store(f->store);
    g_assert_cmpstr(before, ==, after);
    g_clear_pointer(&after, g_free);

    /* An inner savepoint rolled back; the outer one commits the rest. */
    outer = bp_store_txn_begin(f->store, &error);
    bp_store_test_add_domain(f->store, "kept");
    inner = bp_store_txn_begin(f->store, &error);
    g_assert_no_error(error);
    bp_store_test_add_domain(f->store, "dropped");
    bp_store_txn_free(inner);
    inner = bp_store_txn_begin(f->store, &error);
    bp_store_test_add_domain(f->store, "kept-too");
    g_assert_true(bp_store_txn_commit(inner, &error));
    bp_store_txn_free(inner);
    g_assert_true(bp_store_txn_commit(outer, &error));
    g_assert_no_error(error);
    bp_store_txn_free(outer);
    list = bp_store_domain_list(f->store, &error);
    g_assert_cmpuint(list->len, ==, 2);
    g_assert_cmpstr(((BpStoreDomain *) list->pdata[0])->name, ==, "kept");
    g_assert_cmpstr(((BpStoreDomain *) list->pdata[1])->name, ==, "kept-too");

    /* A failing call inside an outer transaction undoes only itself. */
    outer = bp_store_txn_begin(f->store, &error);
    bp_store_test_add_domain(f->store, "vm3");
    g_assert_false(bp_store_domain_remove(f->store, 4711, &error));
    g_clear_error(&error);
    g_assert_true(bp_store_txn_commit(outer, &error));
    bp_store_txn_free(outer);
    g_clear_pointer(&list, g_ptr_array_unref);
    list = bp_store_domain_list(f->store, &error);
    g_assert_cmpuint(list->len, ==, 3);
}


/* ---- Backups and jobs ---------------------------------------------- */

static BpStoreBackup *
add_backup(BpStore *store, gint64 dom, BpStoreBackupKind kind, const char *from,
           gint64 previous, gint64 start)
{
    g_autoptr(BpStoreBackup) backup = bp_store_backup_new(dom, BP_STORE_BACKUP_PUSH, kind);
    g_autoptr(GError) error = NULL;
    g_autofree char *vda = g_strdup_printf("/backup/%lld-vda.qcow2", (long long) start);

    backup->from_checkpoint = g_strdup(from);
    backup->checkpoint = g_strdup_printf("cp%lld", (long long) start);
    backup->previous_id = previous;
    backup->start_time = start;
    backup->bytes_total = 1 << 20;
    g_ptr_array_add(backup->disks, bp_store_backup_disk_new("vda", vda, "qcow2"));
    g_ptr_array_add(backup->disks, bp_store_backup_disk_new("vdb", NULL, NULL));
    g_assert_true(bp_store_backup_add(store, backup, &error));
    g_assert_no_error(error);
    return g_steal_pointer(&backup);
}


static void
test_backups(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreBackup) full = NULL;
    g_autoptr(BpStoreBackup) inc1 = NULL;
    g_autoptr(BpStoreBackup) inc2 = NULL;
    g_autoptr(BpStoreBackup) other = NULL;
    g_autoptr(BpStoreBackup) got = NULL;
    g_autoptr(BpStoreBackup) bad = NULL;
    g_autoptr(GPtrArray) chain = NULL;
    g_autoptr(GPtrArray) list = NULL;
    BpStoreBackupDisk *disk;
    gint64 dom = bp_store_test_add_domain(f->store, "vm1");
    gint64 dom2 = bp_store_test_add_domain(f->store, "vm2");

    full = add_backup(f->store, dom, BP_STORE_BACKUP_FULL, NULL, 0, 100);
    inc1 = add_backup(f->store, dom, BP_STORE_BACKUP_INCREMENTAL, "cp100", full->id, 200);
    inc2 = add_backup(f->store, dom, BP_STORE_BACKUP_INCREMENTAL, "cp200", inc1->id, 300);
    other = add_backup(f->store, dom2, BP_STORE_BACKUP_FULL, NULL, 0, 150);

    /* Progress and the end of a backup. */
    inc2->status = BP_STORE_BACKUP_FAILED;
    inc2->error = g_strdup("NBD server went away");
    inc2->bytes = 12345;
    inc2->end_time = 310;
    ((BpStoreBackupDisk *) inc2->disks->pdata[1])->bytes = 12345;
    ((BpStoreBackupDisk *) inc2->disks->pdata[1])->bytes_total = 65536;
    ((BpStoreBackupDisk *) inc2->disks->pdata[1])->error = g_strdup("target directory removed");
    ((BpStoreBackupDisk *) inc2->disks->pdata[1])->path = g_strdup("/pulled/vdb.qcow2");
    g_assert_true(bp_store_backup_update(f->store, inc2, &error));
    g_assert_no_error(error);
    got = bp_store_backup_get(f->store, inc2->id, &error);
    g_assert_no_error(error);
    g_assert_cmpint(got->status, ==, BP_STORE_BACKUP_FAILED);
    g_assert_cmpstr(got->error, ==, "NBD server went away");
    g_assert_cmpuint(got->bytes, ==, 12345);
    g_assert_cmpuint(got->bytes_total, ==, 1 << 20);
    g_assert_cmpint(got->end_time, ==, 310);
    g_assert_cmpint(got->kind, ==, BP_STORE_BACKUP_INCREMENTAL);
    g_assert_cmpstr(got->from_checkpoint, ==, "cp200");
    g_assert_cmpstr(got->checkpoint, ==, "cp300");
    g_assert_cmpint(got->previous_id, ==, inc1->id);
    g_assert_cmpuint(got->disks->len, ==, 2);
    disk = g_ptr_array_index(got->disks, 0);
    g_assert_cmpstr(disk->target, ==, "vda");
    g_assert_cmpstr(disk->path, ==, "/backup/300-vda.qcow2");
    g_assert_cmpstr(disk->format, ==, "qcow2");
    g_assert_cmpuint(disk->bytes, ==, 0);
    g_assert_null(disk->error);
    g_assert_cmpint(disk->kind, ==, BP_STORE_BACKUP_INCREMENTAL);
    disk = g_ptr_array_index(got->disks, 1);
    g_assert_cmpstr(disk->path, ==, "/pulled/vdb.qcow2");
    g_assert_cmpstr(disk->error, ==, "target directory removed");
    g_assert_cmpuint(disk->bytes, ==, 12345);
    g_assert_cmpuint(disk->bytes_total, ==, 65536);

    /* An update without a path keeps the stored one. */
    g_clear_pointer(&((BpStoreBackupDisk *) inc2->disks->pdata[1])->path, g_free);
    g_assert_true(bp_store_backup_update(f->store, inc2, &error));
    g_clear_pointer(&got, bp_store_backup_free);
    got = bp_store_backup_get(f->store, inc2->id, &error);
    g_assert_cmpstr(((BpStoreBackupDisk *) got->disks->pdata[1])->path, ==, "/pulled/vdb.qcow2");

    /* A disk of an incremental backup that fell back to a full copy, and
     * a pull backup's scratch image. */
    {
        g_autoptr(BpStoreBackup) pull = bp_store_backup_new(dom, BP_STORE_BACKUP_PULL,
                                                            BP_STORE_BACKUP_INCREMENTAL);
        BpStoreBackupDisk *d = bp_store_backup_disk_new("vda", NULL, "qcow2");

        pull->from_checkpoint = g_strdup("cp300");
        pull->start_time = 400;
        d->kind = BP_STORE_BACKUP_FULL;
        d->scratch = g_strdup("/scratch/vda.qcow2");
        d->error = g_strdup("bitmap 'cp300' missing in vda");
        g_ptr_array_add(pull->disks, d);
        g_ptr_array_add(pull->disks, bp_store_backup_disk_new("vdb", NULL, NULL));
        g_assert_true(bp_store_backup_add(f->store, pull, &error));
        g_assert_no_error(error);
        g_clear_pointer(&got, bp_store_backup_free);
        got = bp_store_backup_get(f->store, pull->id, &error);
        g_assert_no_error(error);
        g_assert_cmpint(got->mode, ==, BP_STORE_BACKUP_PULL);
        d = got->disks->pdata[0];
        g_assert_cmpint(d->kind, ==, BP_STORE_BACKUP_FULL);
        g_assert_cmpstr(d->scratch, ==, "/scratch/vda.qcow2");
        g_assert_cmpstr(d->error, ==, "bitmap 'cp300' missing in vda");
        d = got->disks->pdata[1];
        g_assert_cmpint(d->kind, ==, BP_STORE_BACKUP_INCREMENTAL);
        g_assert_null(d->scratch);
        g_assert_true(bp_store_backup_remove(f->store, pull->id, &error));
    }

    chain = bp_store_backup_get_chain(f->store, inc2->id, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(chain->len, ==, 3);
    g_assert_cmpint(((BpStoreBackup *) chain->pdata[0])->id, ==, full->id);
    g_assert_cmpint(((BpStoreBackup *) chain->pdata[1])->id, ==, inc1->id);
    g_assert_cmpint(((BpStoreBackup *) chain->pdata[2])->id, ==, inc2->id);
    g_assert_cmpuint(((BpStoreBackup *) chain->pdata[2])->disks->len, ==, 2);
    g_clear_pointer(&chain, g_ptr_array_unref);
    chain = bp_store_backup_get_chain(f->store, full->id, &error);
    g_assert_cmpuint(chain->len, ==, 1);

    list = bp_store_backup_list(f->store, dom, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, 3);
    g_assert_cmpint(((BpStoreBackup *) list->pdata[0])->start_time, ==, 100);
    g_assert_cmpint(((BpStoreBackup *) list->pdata[2])->start_time, ==, 300);

    /* Refusals. */
    bad = bp_store_backup_new(dom, BP_STORE_BACKUP_PULL, BP_STORE_BACKUP_INCREMENTAL);
    g_assert_false(bp_store_backup_add(f->store, bad, &error));     /* no from_checkpoint */
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    bad->from_checkpoint = g_strdup("cp100");
    bad->previous_id = other->id;                               /* another domain's */
    g_assert_false(bp_store_backup_add(f->store, bad, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    bad->previous_id = 0;
    g_ptr_array_add(bad->disks, bp_store_backup_disk_new("vda", "/s1", NULL));
    g_ptr_array_add(bad->disks, bp_store_backup_disk_new("vda", "/s2", NULL));
    g_assert_false(bp_store_backup_add(f->store, bad, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_null(bp_store_backup_get(f->store, 4711, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_BACKUP);
    g_clear_error(&error);
    g_assert_null(bp_store_backup_get_chain(f->store, 4711, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_BACKUP);
    g_clear_error(&error);

    /* The base of a chain stays while something builds on it. */
    g_assert_false(bp_store_backup_remove(f->store, inc1->id, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID);
    g_clear_error(&error);
    g_assert_true(bp_store_backup_remove(f->store, inc2->id, &error));
    g_assert_true(bp_store_backup_remove(f->store, inc1->id, &error));
    g_assert_no_error(error);
    g_assert_cmpint(bp_store_test_query_int(f->store->db, "SELECT count(*) FROM backup_disks"),
                    ==, 4);
}


static void
test_jobs(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreBackup) backup = NULL;
    g_autoptr(BpStoreJob) job1 = NULL;
    g_autoptr(BpStoreJob) job2 = NULL;
    g_autoptr(BpStoreJob) job3 = NULL;
    g_autoptr(BpStoreJob) got = NULL;
    g_autoptr(GPtrArray) list = NULL;
    gint64 dom = bp_store_test_add_domain(f->store, "vm1");
    gint64 dom2 = bp_store_test_add_domain(f->store, "vm2");

    backup = add_backup(f->store, dom, BP_STORE_BACKUP_FULL, NULL, 0, 100);
    job1 = bp_store_job_new(dom, "backup");
    job1->backup_id = backup->id;
    job1->checkpoint = g_strdup("cp100");
    job1->phase = g_strdup("starting");
    job1->start_time = job1->update_time = 100;
    g_assert_true(bp_store_job_add(f->store, job1, &error));
    job2 = bp_store_job_new(dom2, "checkpoint-delete");
    job2->start_time = 50;
    g_assert_true(bp_store_job_add(f->store, job2, &error));
    job3 = bp_store_job_new(dom2, "backup");
    job3->start_time = 70;
    job3->status = BP_STORE_JOB_COMPLETED;
    g_assert_true(bp_store_job_add(f->store, job3, &error));
    g_assert_no_error(error);

    g_free(job1->phase);
    job1->phase = g_strdup("exporting");
    job1->data = g_strdup("{\"export\":\"vda\"}");
    job1->status = BP_STORE_JOB_CANCELLING;
    job1->update_time = 105;
    g_assert_true(bp_store_job_update(f->store, job1, &error));
    g_assert_no_error(error);
    got = bp_store_job_get(f->store, job1->id, &error);
    g_assert_cmpstr(got->kind, ==, "backup");
    g_assert_cmpstr(got->phase, ==, "exporting");
    g_assert_cmpstr(got->data, ==, "{\"export\":\"vda\"}");
    g_assert_cmpstr(got->checkpoint, ==, "cp100");
    g_assert_cmpint(got->status, ==, BP_STORE_JOB_CANCELLING);
    g_assert_cmpint(got->backup_id, ==, backup->id);
    g_assert_cmpint(got->update_time, ==, 105);

    /* Unfinished jobs of every domain, oldest first. */
    list = bp_store_job_list_unfinished(f->store, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, 2);
    g_assert_cmpint(((BpStoreJob *) list->pdata[0])->id, ==, job2->id);
    g_assert_cmpint(((BpStoreJob *) list->pdata[1])->id, ==, job1->id);

    /* A job cannot point at another domain's backup. */
    job2->backup_id = backup->id;
    g_assert_false(bp_store_job_update(f->store, job2, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);

    /* Removing the backup record detaches the job from it. */
    g_assert_true(bp_store_backup_remove(f->store, backup->id, &error));
    g_clear_pointer(&got, bp_store_job_free);
    got = bp_store_job_get(f->store, job1->id, &error);
    g_assert_cmpint(got->backup_id, ==, 0);

    g_assert_true(bp_store_job_remove(f->store, job1->id, &error));
    g_assert_null(bp_store_job_get(f->store, job1->id, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_BACKUP);
    g_clear_error(&error);
    g_assert_false(bp_store_job_remove(f->store, job1->id, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_BACKUP);
    g_clear_error(&error);
    g_assert_false(bp_store_job_update(f->store, job1, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_BACKUP);
}


static void
test_verify_detects_damage(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    sqlite3 *db;

    bp_store_test_build_tree(f->store);
    g_assert_true(bp_store_verify(f->store, FALSE, &error));
    g_assert_no_error(error);

    /* Written behind the store's back with foreign keys off. */
    db = bp_store_test_raw_open(f->path);
    bp_store_test_exec(db, "PRAGMA foreign_keys = OFF;"
                       "INSERT INTO checkpoint_disks (checkpoint_id, position, target, included)"
                       " VALUES (4711, 0, 'vda', 0)");
    sqlite3_close(db);
    g_assert_false(bp_store_verify(f->store, TRUE, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_CATALOGUE);
    g_assert_nonnull(strstr(error->message, "checkpoint_disks"));
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

#define ADD(name, fn) \
    g_test_add(name, BpStoreFixture, NULL, bp_store_test_setup, fn, bp_store_test_teardown)
    ADD("/store/open/create", test_open_create);
    g_test_add_func("/store/open/refusals", test_open_refusals);
    g_test_add_func("/store/migrate/v0-to-v1", test_migrate_v0_v1);
    g_test_add_func("/store/migrate/v1-to-v2", test_migrate_v1_v2);
    g_test_add_func("/store/migrate/failure-rolls-back", test_migrate_failure);
    ADD("/store/domains/api", test_domains);
    ADD("/store/domains/remove-cascades", test_domain_remove_cascades);
    bp_store_test_register_checkpoint_tests();
    bp_store_test_register_snapshot_tests();
    ADD("/store/rollback/transactions", test_transactions);
    ADD("/store/backups", test_backups);
    ADD("/store/jobs", test_jobs);
    ADD("/store/verify", test_verify_detects_damage);
#undef ADD

    return g_test_run();
}
