/*
 * test-store.c: unit tests for src/store, the SQLite catalogue, on real
 * database files: opening and migrations (from tests/storedata fixtures),
 * every API, the checkpoint tree queries against a hand-checked tree,
 * deletion against libvirt's re-parenting and current-pointer rules,
 * refusals, and rollback leaving the database untouched.
 */
#include <config.h>

#include <sys/stat.h>
#include <glib/gstdio.h>

#include "store/bp-store-priv.h"
#include "util/bp-error.h"
#include "testutils.h"
#include "store-testutils.h"

typedef struct {
    char *dir;
    char *path;
    BpStore *store;
} Fixture;


static void
fixture_setup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    f->dir = bp_test_mkdtemp();
    f->path = g_build_filename(f->dir, "state", "blkpoint", BP_STORE_FILE_NAME, NULL);
    f->store = bp_store_open(f->path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(f->store);
}


static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    if (f->store)
        g_assert_cmpuint(f->store->txn_depth, ==, 0);
    bp_store_close(f->store);
    bp_test_rmdir(f->dir);
    g_free(f->dir);
    g_free(f->path);
}


static gint64
add_domain(BpStore *store, const char *name)
{
    g_autoptr(BpStoreDomain) dom = bp_store_domain_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_MD5, name, -1);

    dom->name = g_strdup(name);
    dom->uuid = g_strdup_printf("%.8s-%.4s-%.4s-%.4s-%.12s",
                                sum, sum + 8, sum + 12, sum + 16, sum + 20);
    dom->definition = g_strdup_printf("<domain><name>%s</name></domain>", name);
    dom->runtime = g_strdup("storage");
    g_assert_true(bp_store_domain_add(store, dom, &error));
    g_assert_no_error(error);
    g_assert_cmpint(dom->id, >, 0);
    return dom->id;
}


/* A checkpoint with disks vda (bitmap = its name) and vdb (not included). */
static BpStoreCheckpoint *
new_checkpoint(gint64 dom, const char *name, const char *parent, gint64 ctime)
{
    BpStoreCheckpoint *chk = bp_store_checkpoint_new(dom, name);
    BpStoreCheckpointDisk *vdb = bp_store_checkpoint_disk_new("vdb", NULL, 0, 0);

    chk->parent = g_strdup(parent);
    chk->creation_time = ctime;
    chk->state = BP_STORE_CHECKPOINT_READY;
    chk->domain_xml = g_strdup_printf("<domain><name>copy-for-%s</name></domain>", name);
    g_ptr_array_add(chk->disks, bp_store_checkpoint_disk_new("vda", name, 65536, 1 << 30));
    g_ptr_array_add(chk->disks, vdb);
    return chk;
}


static void
add_checkpoint(BpStore *store, gint64 dom, const char *name, const char *parent,
               gint64 ctime, gboolean current)
{
    g_autoptr(BpStoreCheckpoint) chk = new_checkpoint(dom, name, parent, ctime);
    g_autoptr(GError) error = NULL;

    chk->current = current;
    g_assert_true(bp_store_checkpoint_add(store, chk, &error));
    g_assert_no_error(error);
    g_assert_cmpint(chk->id, >, 0);
}


/* The hand-checked tree (creation time in brackets), current d:
 *
 *   h (5)          a (10)
 *                  +-- b (20)
 *                  |   +-- c (40)
 *                  |   |   +-- d (70)
 *                  |   +-- e (50)
 *                  +-- f (30)
 *                      +-- g (60)
 */
static gint64
build_tree(BpStore *store)
{
    gint64 dom = add_domain(store, "vm1");

    /* Each becomes current, as a checkpoint created by libvirt does. */
    add_checkpoint(store, dom, "h", NULL, 5, TRUE);
    add_checkpoint(store, dom, "a", NULL, 10, TRUE);
    add_checkpoint(store, dom, "b", "a", 20, TRUE);
    add_checkpoint(store, dom, "f", "a", 30, TRUE);
    add_checkpoint(store, dom, "c", "b", 40, TRUE);
    add_checkpoint(store, dom, "e", "b", 50, TRUE);
    add_checkpoint(store, dom, "g", "f", 60, TRUE);
    add_checkpoint(store, dom, "d", "c", 70, TRUE);
    return dom;
}


/* "a b c" from a list of checkpoints. */
static char *
names_of(GPtrArray *list)
{
    g_autoptr(GString) out = g_string_new(NULL);

    for (guint i = 0; i < list->len; i++) {
        BpStoreCheckpoint *chk = g_ptr_array_index(list, i);

        g_string_append_printf(out, "%s%s", i ? " " : "", chk->name);
    }
    return g_strdup(out->str);
}


static char *
list_names(BpStore *store, gint64 dom, BpStoreCheckpointScope scope,
           const char *of, unsigned int flags)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) list = bp_store_checkpoint_list(store, dom, scope, of, flags, &error);

    g_assert_no_error(error);
    g_assert_nonnull(list);
    return names_of(list);
}


/* The forest as "name:parent" in topological order, then "*current". */
static char *
tree_shape(BpStore *store, gint64 dom)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    const char *current = "-";

    list = bp_store_checkpoint_list(store, dom, BP_STORE_CHECKPOINTS_ALL, NULL,
                                    BP_STORE_LIST_TOPOLOGICAL, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < list->len; i++) {
        BpStoreCheckpoint *chk = g_ptr_array_index(list, i);

        g_string_append_printf(out, "%s:%s ", chk->name, chk->parent ? chk->parent : "-");
        if (chk->current) {
            g_assert_true(g_str_equal(current, "-"));
            current = chk->name;
        }
    }
    g_string_append_printf(out, "*%s", current);
    return g_strdup(out->str);
}


static char *
dump(BpStore *store)
{
    return bp_store_test_dump(store->db);
}


/* ---- Opening and migrations ---------------------------------------- */

static void
test_open_create(Fixture *f, gconstpointer data)
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

    build_tree(f->store);
    g_assert_cmpint(g_stat(wal, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    g_assert_true(bp_store_verify(f->store, FALSE, &error));
    g_assert_no_error(error);

    /* Everything is still there after closing and opening again. */
    before = dump(f->store);
    g_clear_pointer(&f->store, bp_store_close);
    f->store = bp_store_open(f->path, &error);
    g_assert_no_error(error);
    after = dump(f->store);
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
    g_assert_cmpint(bp_store_get_schema_version(store), ==, 2);
    g_assert_true(bp_store_verify(store, FALSE, &error));
    g_assert_no_error(error);

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
    names = list_names(store, vm1->id, BP_STORE_CHECKPOINTS_ALL, NULL, BP_STORE_LIST_TOPOLOGICAL);
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
test_domains(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreDomain) dom = NULL;
    g_autoptr(BpStoreDomain) copy = NULL;
    g_autoptr(GPtrArray) list = NULL;
    gint64 vm1 = add_domain(f->store, "vm1");
    gint64 vm0 = add_domain(f->store, "vm0");

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
test_domain_remove_cascades(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreBackup) backup = NULL;
    g_autoptr(BpStoreJob) job = NULL;
    gint64 vm1 = build_tree(f->store);
    gint64 vm2 = add_domain(f->store, "vm2");

    add_checkpoint(f->store, vm2, "a", NULL, 1, TRUE);
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


/* ---- Checkpoints ---------------------------------------------------- */

static void
test_checkpoint_add_get(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreCheckpoint) chk = NULL;
    g_autoptr(BpStoreCheckpoint) got = NULL;
    BpStoreCheckpointDisk *disk;
    gint64 dom = add_domain(f->store, "vm1");

    g_assert_null(bp_store_checkpoint_get_current(f->store, dom, &error));
    g_assert_no_error(error);
    g_assert_cmpint(bp_store_checkpoint_count(f->store, dom, &error), ==, 0);

    chk = new_checkpoint(dom, "1700000000", NULL, 1700000000);
    chk->description = g_strdup("nightly");
    chk->state = BP_STORE_CHECKPOINT_PENDING;
    chk->current = TRUE;
    g_assert_true(bp_store_checkpoint_add(f->store, chk, &error));
    g_assert_no_error(error);

    got = bp_store_checkpoint_get(f->store, dom, "1700000000", &error);
    g_assert_no_error(error);
    g_assert_cmpint(got->id, ==, chk->id);
    g_assert_cmpint(got->domain_id, ==, dom);
    g_assert_null(got->parent);
    g_assert_cmpint(got->creation_time, ==, 1700000000);
    g_assert_cmpstr(got->description, ==, "nightly");
    g_assert_cmpstr(got->domain_xml, ==, chk->domain_xml);
    g_assert_true(got->current);
    g_assert_cmpint(got->state, ==, BP_STORE_CHECKPOINT_PENDING);
    g_assert_null(got->reason);
    g_assert_cmpuint(got->disks->len, ==, 2);
    disk = g_ptr_array_index(got->disks, 0);
    g_assert_cmpstr(disk->target, ==, "vda");
    g_assert_true(disk->included);
    g_assert_cmpstr(disk->bitmap, ==, "1700000000");
    g_assert_cmpuint(disk->granularity, ==, 65536);
    g_assert_cmpuint(disk->size, ==, 1 << 30);
    disk = g_ptr_array_index(got->disks, 1);
    g_assert_cmpstr(disk->target, ==, "vdb");
    g_assert_false(disk->included);
    g_assert_null(disk->bitmap);

    /* A child created as libvirt does takes over the current pointer. */
    add_checkpoint(f->store, dom, "next", "1700000000", 1700000100, TRUE);
    g_clear_pointer(&got, bp_store_checkpoint_free);
    got = bp_store_checkpoint_get_current(f->store, dom, &error);
    g_assert_cmpstr(got->name, ==, "next");
    g_assert_cmpstr(got->parent, ==, "1700000000");
    g_assert_cmpuint(got->disks->len, ==, 2);
    /* One not made current leaves it alone. */
    add_checkpoint(f->store, dom, "side", "1700000000", 1700000200, FALSE);
    g_clear_pointer(&got, bp_store_checkpoint_free);
    got = bp_store_checkpoint_get_current(f->store, dom, &error);
    g_assert_cmpstr(got->name, ==, "next");
    g_assert_cmpint(bp_store_checkpoint_count(f->store, dom, &error), ==, 3);
    g_assert_cmpint(bp_store_test_query_int(f->store->db,
                                            "SELECT count(*) FROM checkpoints WHERE is_current"), ==, 1);

    g_assert_null(bp_store_checkpoint_get(f->store, dom, "missing", &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT);
    g_assert_nonnull(strstr(error->message, "'vm1'"));
    g_assert_nonnull(strstr(error->message, "'missing'"));
}


static void
expect_add_fails(BpStore *store, BpStoreCheckpoint *chk, int code)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *before = dump(store);
    g_autofree char *after = NULL;

    g_assert_false(bp_store_checkpoint_add(store, chk, &error));
    g_assert_error(error, BP_ERROR, code);
    g_test_message("refused as expected: %s", error->message);
    after = dump(store);
    g_assert_cmpstr(before, ==, after);
    g_assert_cmpuint(store->txn_depth, ==, 0);
}


static void
test_checkpoint_refusals(Fixture *f, gconstpointer data)
{
    g_autoptr(BpStoreCheckpoint) chk = NULL;
    gint64 dom = build_tree(f->store);
    gint64 other = add_domain(f->store, "vm2");

    /* Names are unique per domain, not across domains. */
    chk = new_checkpoint(dom, "c", NULL, 100);
    expect_add_fails(f->store, chk, BP_ERROR_EXISTS);
    add_checkpoint(f->store, other, "c", NULL, 100, TRUE);

    chk->name[0] = 'z';
    g_free(chk->parent);
    chk->parent = g_strdup("missing");
    expect_add_fails(f->store, chk, BP_ERROR_INVALID_ARGUMENT);
    /* A parent of another domain does not count. */
    g_free(chk->parent);
    chk->parent = g_strdup("h");
    chk->domain_id = other;
    expect_add_fails(f->store, chk, BP_ERROR_INVALID_ARGUMENT);
    chk->domain_id = dom;
    g_free(chk->parent);
    chk->parent = g_strdup("z");
    expect_add_fails(f->store, chk, BP_ERROR_INVALID_ARGUMENT);
    g_clear_pointer(&chk->parent, g_free);

    chk->domain_id = 4711;
    expect_add_fails(f->store, chk, BP_ERROR_NO_DOMAIN);
    chk->domain_id = dom;

    g_ptr_array_add(chk->disks, bp_store_checkpoint_disk_new("vda", "z", 0, 0));
    expect_add_fails(f->store, chk, BP_ERROR_INVALID_ARGUMENT);
    g_ptr_array_remove_index(chk->disks, 2);
    ((BpStoreCheckpointDisk *) chk->disks->pdata[1])->included = TRUE;
    expect_add_fails(f->store, chk, BP_ERROR_INVALID_ARGUMENT);
}


/* What the schema refuses even when the code above it would not ask. */
static void
test_checkpoint_schema_guards(Fixture *f, gconstpointer data)
{
    gint64 dom = build_tree(f->store);
    gint64 other = add_domain(f->store, "vm2");
    g_autofree char *before = dump(f->store);
    g_autofree char *after = NULL;
    g_autofree char *sql = NULL;
    sqlite3 *db = bp_store_test_raw_open(f->path);
    char *errmsg = NULL;

    bp_store_test_exec(db, "PRAGMA foreign_keys = ON");
    /* a -> d would make a its own ancestor (d is below a). */
    g_assert_cmpint(sqlite3_exec(db, "UPDATE checkpoints SET parent_id ="
                                 " (SELECT id FROM checkpoints WHERE name = 'd')"
                                 " WHERE name = 'a'", NULL, NULL, &errmsg), ==, SQLITE_CONSTRAINT);
    g_assert_nonnull(strstr(errmsg, "own ancestor"));
    sqlite3_free(errmsg);
    g_assert_cmpint(sqlite3_exec(db, "UPDATE checkpoints SET parent_id = id WHERE name = 'b'",
                                 NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
    /* Two current checkpoints in one domain. */
    g_assert_cmpint(sqlite3_exec(db, "UPDATE checkpoints SET is_current = 1 WHERE name = 'a'",
                                 NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
    /* A parent in another domain. */
    sql = g_strdup_printf("INSERT INTO checkpoints (domain_id, name, parent_id, creation_time, state)"
                          " VALUES (%lld, 'x', (SELECT id FROM checkpoints WHERE name = 'a'), 1, 'ready')",
                          (long long) other);
    g_assert_cmpint(sqlite3_exec(db, sql, NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
    /* Deleting a checkpoint that still has children. */
    g_assert_cmpint(sqlite3_exec(db, "DELETE FROM checkpoints WHERE name = 'c'",
                                 NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
    sqlite3_close(db);

    after = dump(f->store);
    g_assert_cmpstr(before, ==, after);
    (void) dom;
}


static void
test_tree_queries(Fixture *f, gconstpointer data)
{
    gint64 dom = build_tree(f->store);
    struct {
        BpStoreCheckpointScope scope;
        const char *of;
        unsigned int flags;
        const char *expected;
    } cases[] = {
        { BP_STORE_CHECKPOINTS_ALL, NULL, 0, "h a b f c e g d" },
        { BP_STORE_CHECKPOINTS_ALL, NULL, BP_STORE_LIST_TOPOLOGICAL, "h a b c d e f g" },
        { BP_STORE_CHECKPOINTS_ROOTS, NULL, 0, "h a" },
        { BP_STORE_CHECKPOINTS_ROOTS, NULL, BP_STORE_LIST_LEAVES, "h" },
        { BP_STORE_CHECKPOINTS_ALL, NULL, BP_STORE_LIST_LEAVES, "h e g d" },
        { BP_STORE_CHECKPOINTS_ALL, NULL, BP_STORE_LIST_NO_LEAVES, "a b f c" },
        { BP_STORE_CHECKPOINTS_ALL, NULL, BP_STORE_LIST_LEAVES | BP_STORE_LIST_TOPOLOGICAL, "h d e g" },
        { BP_STORE_CHECKPOINTS_CHILDREN_OF, "a", 0, "b f" },
        { BP_STORE_CHECKPOINTS_CHILDREN_OF, "b", 0, "c e" },
        { BP_STORE_CHECKPOINTS_CHILDREN_OF, "b", BP_STORE_LIST_LEAVES, "e" },
        { BP_STORE_CHECKPOINTS_CHILDREN_OF, "d", 0, "" },
        { BP_STORE_CHECKPOINTS_DESCENDANTS_OF, "a", 0, "b c d e f g" },
        { BP_STORE_CHECKPOINTS_DESCENDANTS_OF, "b", 0, "c d e" },
        { BP_STORE_CHECKPOINTS_DESCENDANTS_OF, "b", BP_STORE_LIST_LEAVES, "d e" },
        { BP_STORE_CHECKPOINTS_DESCENDANTS_OF, "a", BP_STORE_LIST_NO_LEAVES, "b c f" },
        { BP_STORE_CHECKPOINTS_DESCENDANTS_OF, "h", 0, "" },
        { BP_STORE_CHECKPOINTS_ANCESTORS_OF, "d", 0, "c b a" },
        { BP_STORE_CHECKPOINTS_ANCESTORS_OF, "d", BP_STORE_LIST_TOPOLOGICAL, "a b c" },
        { BP_STORE_CHECKPOINTS_ANCESTORS_OF, "g", 0, "f a" },
        { BP_STORE_CHECKPOINTS_ANCESTORS_OF, "a", 0, "" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = list_names(f->store, dom, cases[i].scope, cases[i].of,
                                          cases[i].flags);

        g_test_message("case %" G_GSIZE_FORMAT ": scope %d of %s flags 0x%x",
                       i, cases[i].scope, cases[i].of, cases[i].flags);
        g_assert_cmpstr(got, ==, cases[i].expected);
    }
}


static void
test_tree_list_details(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) list = NULL;
    gint64 dom = build_tree(f->store);
    gint64 other = add_domain(f->store, "vm2");
    BpStoreCheckpoint *chk;

    /* Another domain's forest does not leak in. */
    add_checkpoint(f->store, other, "zz", NULL, 1, TRUE);
    add_checkpoint(f->store, other, "zy", "zz", 2, TRUE);

    list = bp_store_checkpoint_list(f->store, dom, BP_STORE_CHECKPOINTS_ALL, NULL, 0, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, 8);
    chk = g_ptr_array_index(list, 7);
    g_assert_cmpstr(chk->name, ==, "d");
    g_assert_cmpstr(chk->parent, ==, "c");
    g_assert_true(chk->current);
    g_assert_null(chk->disks);
    g_assert_null(chk->domain_xml);
    g_clear_pointer(&list, g_ptr_array_unref);

    list = bp_store_checkpoint_list(f->store, dom, BP_STORE_CHECKPOINTS_DESCENDANTS_OF, "b",
                                    BP_STORE_LIST_DISKS | BP_STORE_LIST_DOMAIN_XML, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < list->len; i++) {
        g_autofree char *xml = NULL;

        chk = g_ptr_array_index(list, i);
        xml = g_strdup_printf("<domain><name>copy-for-%s</name></domain>", chk->name);
        g_assert_cmpuint(chk->disks->len, ==, 2);
        g_assert_cmpstr(((BpStoreCheckpointDisk *) chk->disks->pdata[0])->bitmap, ==, chk->name);
        g_assert_cmpstr(chk->domain_xml, ==, xml);
    }
    g_clear_pointer(&list, g_ptr_array_unref);

    list = bp_store_checkpoint_list(f->store, dom, BP_STORE_CHECKPOINTS_ALL, NULL,
                                    BP_STORE_LIST_LEAVES | BP_STORE_LIST_NO_LEAVES, &error);
    g_assert_null(list);
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    list = bp_store_checkpoint_list(f->store, dom, BP_STORE_CHECKPOINTS_CHILDREN_OF, NULL, 0, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    list = bp_store_checkpoint_list(f->store, dom, BP_STORE_CHECKPOINTS_ROOTS, "a", 0, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    list = bp_store_checkpoint_list(f->store, dom, BP_STORE_CHECKPOINTS_DESCENDANTS_OF, "zz", 0, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT);
    g_clear_error(&error);
    list = bp_store_checkpoint_list(f->store, 4711, BP_STORE_CHECKPOINTS_ALL, NULL, 0, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_DOMAIN);
    g_clear_error(&error);
}


static void
test_checkpoint_state_current(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreCheckpoint) chk = NULL;
    g_autofree char *shape = NULL;
    gint64 dom = build_tree(f->store);

    g_assert_true(bp_store_checkpoint_set_state(f->store, dom, "c", BP_STORE_CHECKPOINT_BROKEN,
                                                "bitmap 'c' is inconsistent on vda", &error));
    g_assert_no_error(error);
    chk = bp_store_checkpoint_get(f->store, dom, "c", &error);
    g_assert_cmpint(chk->state, ==, BP_STORE_CHECKPOINT_BROKEN);
    g_assert_cmpstr(chk->reason, ==, "bitmap 'c' is inconsistent on vda");
    g_assert_false(bp_store_checkpoint_set_state(f->store, dom, "nope",
                                                 BP_STORE_CHECKPOINT_READY, NULL, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT);
    g_clear_error(&error);

    g_assert_true(bp_store_checkpoint_set_current(f->store, dom, "g", &error));
    shape = tree_shape(f->store, dom);
    g_assert_cmpstr(shape, ==, "h:- a:- b:a c:b d:c e:b f:a g:f *g");
    g_clear_pointer(&shape, g_free);
    g_assert_true(bp_store_checkpoint_set_current(f->store, dom, NULL, &error));
    shape = tree_shape(f->store, dom);
    g_assert_cmpstr(shape, ==, "h:- a:- b:a c:b d:c e:b f:a g:f *-");
    g_assert_false(bp_store_checkpoint_set_current(f->store, dom, "nope", &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT);
}


static void
redefine(BpStore *store, gint64 dom, const char *name, const char *parent,
         gboolean expect_current)
{
    g_autoptr(BpStoreCheckpoint) chk = new_checkpoint(dom, name, parent, 500);
    g_autoptr(GError) error = NULL;
    gboolean became = !expect_current;

    chk->description = g_strdup("redefined");
    chk->current = !expect_current;     /* ignored by redefine */
    g_assert_true(bp_store_checkpoint_redefine(store, chk, &became, &error));
    g_assert_no_error(error);
    g_assert_cmpint(became, ==, expect_current);
}


static void
test_checkpoint_redefine(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreCheckpoint) chk = NULL;
    g_autofree char *shape = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    gint64 dom = build_tree(f->store);
    gint64 empty = add_domain(f->store, "vm2");

    /* The first checkpoint redefined into an empty domain becomes current. */
    redefine(f->store, empty, "r1", NULL, TRUE);
    /* A child of the current one becomes current... */
    redefine(f->store, empty, "r2", "r1", TRUE);
    /* ...one elsewhere does not. */
    redefine(f->store, empty, "r3", "r1", FALSE);
    shape = tree_shape(f->store, empty);
    g_assert_cmpstr(shape, ==, "r1:- r2:r1 r3:r1 *r2");
    g_clear_pointer(&shape, g_free);

    /* Redefining an existing checkpoint replaces its definition and parent
     * but keeps its children: b moves under h with c and e. */
    redefine(f->store, dom, "b", "h", FALSE);
    shape = tree_shape(f->store, dom);
    g_assert_cmpstr(shape, ==, "h:- b:h c:b d:c e:b a:- f:a g:f *d");
    g_clear_pointer(&shape, g_free);
    chk = bp_store_checkpoint_get(f->store, dom, "b", &error);
    g_assert_cmpstr(chk->description, ==, "redefined");
    g_assert_cmpint(chk->creation_time, ==, 500);
    /* The current checkpoint redefined stays current. */
    redefine(f->store, dom, "d", "c", FALSE);
    shape = tree_shape(f->store, dom);
    g_assert_cmpstr(shape, ==, "h:- b:h c:b d:c e:b a:- f:a g:f *d");
    g_clear_pointer(&shape, g_free);
    /* A new child of the current one takes over. */
    redefine(f->store, dom, "n", "d", TRUE);

    /* Refusals change nothing: its own parent, a missing parent, a cycle. */
    before = dump(f->store);
    g_clear_pointer(&chk, bp_store_checkpoint_free);
    chk = new_checkpoint(dom, "b", "b", 1);
    g_assert_false(bp_store_checkpoint_redefine(f->store, chk, NULL, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "own parent"));
    g_clear_error(&error);
    g_free(chk->parent);
    chk->parent = g_strdup("missing");
    g_assert_false(bp_store_checkpoint_redefine(f->store, chk, NULL, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_free(chk->parent);
    chk->parent = g_strdup("d");          /* d is below b */
    g_assert_false(bp_store_checkpoint_redefine(f->store, chk, NULL, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "cycle"));
    g_clear_error(&error);
    after = dump(f->store);
    g_assert_cmpstr(before, ==, after);
}


/* ---- Delete modes (libvirt-behaviour.md §3.5, §2.11) ---------------- */

static void
test_checkpoint_delete(Fixture *f, gconstpointer data)
{
    const struct {
        BpStoreDeleteMode mode;
        const char *name;
        const char *current;    /* made current before deleting */
        const char *expected;   /* tree_shape() afterwards */
    } cases[] = {
        /* The children move to the parent; the current pointer stays. */
        { BP_STORE_DELETE_SINGLE, "b", "d", "h:- a:- f:a g:f c:a d:c e:a *d" },
        /* The current one's parent becomes current. */
        { BP_STORE_DELETE_SINGLE, "c", "c", "h:- a:- b:a e:b d:b f:a g:f *b" },
        { BP_STORE_DELETE_SINGLE, "d", "d", "h:- a:- b:a c:b e:b f:a g:f *c" },
        /* A current root leaves no current checkpoint; its children become roots. */
        { BP_STORE_DELETE_SINGLE, "a", "a", "h:- b:- c:b d:c e:b f:- g:f *-" },
        { BP_STORE_DELETE_SINGLE, "h", "d", "a:- b:a c:b d:c e:b f:a g:f *d" },
        /* With children: current inside the subtree -> the parent. */
        { BP_STORE_DELETE_CHILDREN, "b", "d", "h:- a:- f:a g:f *a" },
        { BP_STORE_DELETE_CHILDREN, "b", "b", "h:- a:- f:a g:f *a" },
        { BP_STORE_DELETE_CHILDREN, "b", "g", "h:- a:- f:a g:f *g" },
        { BP_STORE_DELETE_CHILDREN, "a", "d", "h:- *-" },
        /* Children only: current among them -> the checkpoint itself. */
        { BP_STORE_DELETE_CHILDREN_ONLY, "b", "d", "h:- a:- b:a f:a g:f *b" },
        { BP_STORE_DELETE_CHILDREN_ONLY, "b", "b", "h:- a:- b:a f:a g:f *b" },
        { BP_STORE_DELETE_CHILDREN_ONLY, "b", "g", "h:- a:- b:a f:a g:f *g" },
        { BP_STORE_DELETE_CHILDREN_ONLY, "d", "d", "h:- a:- b:a c:b d:c e:b f:a g:f *d" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *shape = NULL;
        gint64 dom;
        gint64 remaining;

        g_test_message("case %" G_GSIZE_FORMAT ": delete %s mode %d (current %s)",
                       i, cases[i].name, cases[i].mode, cases[i].current);
        if (i > 0) {
            g_autoptr(BpStoreDomain) vm1 = bp_store_domain_get_by_name(f->store, "vm1", &error);

            g_assert_true(bp_store_domain_remove(f->store, vm1->id, &error));
        }
        dom = build_tree(f->store);
        g_assert_true(bp_store_checkpoint_set_current(f->store, dom, cases[i].current, &error));
        g_assert_true(bp_store_checkpoint_delete(f->store, dom, cases[i].name, cases[i].mode,
                                                 &error));
        g_assert_no_error(error);
        shape = tree_shape(f->store, dom);
        g_assert_cmpstr(shape, ==, cases[i].expected);
        /* The disk rows went with their checkpoints. */
        remaining = bp_store_checkpoint_count(f->store, dom, &error);
        g_assert_cmpint(bp_store_test_query_int(f->store->db,
                                                "SELECT count(*) FROM checkpoint_disks"),
                        ==, 2 * remaining);
        g_assert_true(bp_store_verify(f->store, TRUE, &error));
        g_assert_no_error(error);
    }
}


static void
test_checkpoint_delete_plan(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    gint64 dom = build_tree(f->store);
    const struct {
        BpStoreDeleteMode mode;
        const char *name;
        const char *expected;
    } cases[] = {
        { BP_STORE_DELETE_SINGLE, "b", "b" },
        { BP_STORE_DELETE_CHILDREN, "b", "c d e b" },
        { BP_STORE_DELETE_CHILDREN_ONLY, "b", "c d e" },
        { BP_STORE_DELETE_CHILDREN, "a", "b c d e f g a" },
        { BP_STORE_DELETE_CHILDREN_ONLY, "h", "" },
    };

    before = dump(f->store);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GPtrArray) plan = NULL;
        g_autofree char *names = NULL;

        plan = bp_store_checkpoint_delete_plan(f->store, dom, cases[i].name, cases[i].mode, &error);
        g_assert_no_error(error);
        names = names_of(plan);
        g_assert_cmpstr(names, ==, cases[i].expected);
        for (guint j = 0; j < plan->len; j++) {
            BpStoreCheckpoint *chk = g_ptr_array_index(plan, j);

            g_assert_cmpuint(chk->disks->len, ==, 2);
        }
    }
    after = dump(f->store);
    g_assert_cmpstr(before, ==, after);

    g_assert_null(bp_store_checkpoint_delete_plan(f->store, dom, "zz", BP_STORE_DELETE_CHILDREN,
                                                  &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT);
    g_clear_error(&error);
    g_assert_false(bp_store_checkpoint_delete(f->store, dom, "zz", BP_STORE_DELETE_SINGLE, &error));
    g_assert_error(error, BP_ERROR, BP_ERROR_NO_CHECKPOINT);
}


/* ---- Rollback: a failure at any step leaves the catalogue untouched -- */

/* Installs a trigger (through a second connection, as a fault injector)
 * that aborts any statement touching what @when_sql selects. */
static void
inject_fault(const char *path, const char *trigger_sql)
{
    sqlite3 *db = bp_store_test_raw_open(path);

    bp_store_test_exec(db, trigger_sql);
    sqlite3_close(db);
}


static void
clear_faults(const char *path)
{
    sqlite3 *db = bp_store_test_raw_open(path);

    bp_store_test_exec(db, "DROP TRIGGER IF EXISTS test_fault");
    sqlite3_close(db);
}


static void
assert_failed_untouched(Fixture *f, const char *before, gboolean ok, GError *error)
{
    g_autofree char *after = dump(f->store);

    g_assert_false(ok);
    g_assert_nonnull(error);
    g_test_message("failed as injected: %s", error->message);
    g_assert_cmpstr(before, ==, after);
    g_assert_cmpuint(f->store->txn_depth, ==, 0);
    clear_faults(f->path);
}


static void
test_rollback(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreCheckpoint) chk = NULL;
    g_autoptr(BpStoreBackup) backup = NULL;
    g_autofree char *before = NULL;
    gboolean ok;
    gint64 dom = build_tree(f->store);

    before = dump(f->store);

    /* The second disk row of a new current checkpoint fails: no row, and
     * d is still current. */
    inject_fault(f->path, "CREATE TRIGGER test_fault BEFORE INSERT ON checkpoint_disks"
                 " WHEN NEW.target = 'vdb' BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    chk = new_checkpoint(dom, "z", "d", 1000);
    chk->current = TRUE;
    ok = bp_store_checkpoint_add(f->store, chk, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_CATALOGUE);
    g_assert_nonnull(strstr(error->message, "injected fault"));
    assert_failed_untouched(f, before, ok, error);
    g_clear_error(&error);

    /* Redefining c: the old disk rows were already deleted when the new
     * ones fail. */
    inject_fault(f->path, "CREATE TRIGGER test_fault BEFORE INSERT ON checkpoint_disks"
                 " WHEN NEW.target = 'vdb' BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    g_clear_pointer(&chk, bp_store_checkpoint_free);
    chk = new_checkpoint(dom, "c", "a", 1000);
    ok = bp_store_checkpoint_redefine(f->store, chk, NULL, &error);
    assert_failed_untouched(f, before, ok, error);
    g_clear_error(&error);

    /* Deleting b: its children were already re-parented. */
    inject_fault(f->path, "CREATE TRIGGER test_fault BEFORE DELETE ON checkpoints"
                 " WHEN OLD.name = 'b' BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    ok = bp_store_checkpoint_delete(f->store, dom, "b", BP_STORE_DELETE_SINGLE, &error);
    assert_failed_untouched(f, before, ok, error);
    g_clear_error(&error);

    /* Deleting d, the current one: the row is gone when moving the
     * current pointer to c fails. */
    inject_fault(f->path, "CREATE TRIGGER test_fault BEFORE UPDATE OF is_current ON checkpoints"
                 " WHEN NEW.is_current = 1 BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    ok = bp_store_checkpoint_delete(f->store, dom, "d", BP_STORE_DELETE_SINGLE, &error);
    assert_failed_untouched(f, before, ok, error);
    g_clear_error(&error);

    /* A subtree, failing halfway through. */
    inject_fault(f->path, "CREATE TRIGGER test_fault BEFORE DELETE ON checkpoints"
                 " WHEN OLD.name = 'g' BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    ok = bp_store_checkpoint_delete(f->store, dom, "a", BP_STORE_DELETE_CHILDREN, &error);
    assert_failed_untouched(f, before, ok, error);
    g_clear_error(&error);

    /* Removing the domain, failing in the cascade. */
    inject_fault(f->path, "CREATE TRIGGER test_fault BEFORE DELETE ON checkpoint_disks"
                 " WHEN OLD.bitmap = 'f' BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    ok = bp_store_domain_remove(f->store, dom, &error);
    assert_failed_untouched(f, before, ok, error);
    g_clear_error(&error);

    /* A backup update naming a disk the backup does not have: the row was
     * already updated. */
    backup = bp_store_backup_new(dom, BP_STORE_BACKUP_PUSH, BP_STORE_BACKUP_FULL);
    g_ptr_array_add(backup->disks, bp_store_backup_disk_new("vda", "/b/vda", "qcow2"));
    g_assert_true(bp_store_backup_add(f->store, backup, &error));
    g_clear_pointer(&before, g_free);
    before = dump(f->store);
    backup->status = BP_STORE_BACKUP_COMPLETED;
    backup->bytes = 4096;
    g_ptr_array_add(backup->disks, bp_store_backup_disk_new("vdq", NULL, NULL));
    ok = bp_store_backup_update(f->store, backup, &error);
    g_assert_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT);
    assert_failed_untouched(f, before, ok, error);
}


static void
test_transactions(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *before = dump(f->store);
    g_autofree char *after = NULL;
    g_autoptr(GPtrArray) list = NULL;
    BpStoreTxn *outer;
    BpStoreTxn *inner;
    gint64 dom;

    /* Calls inside an outer transaction are not committed until it is. */
    outer = bp_store_txn_begin(f->store, &error);
    g_assert_no_error(error);
    dom = add_domain(f->store, "vm1");
    add_checkpoint(f->store, dom, "a", NULL, 1, TRUE);
    bp_store_txn_free(outer);
    after = dump(f->store);
    g_assert_cmpstr(before, ==, after);
    g_clear_pointer(&after, g_free);

    /* An inner savepoint rolled back; the outer one commits the rest. */
    outer = bp_store_txn_begin(f->store, &error);
    add_domain(f->store, "kept");
    inner = bp_store_txn_begin(f->store, &error);
    g_assert_no_error(error);
    add_domain(f->store, "dropped");
    bp_store_txn_free(inner);
    inner = bp_store_txn_begin(f->store, &error);
    add_domain(f->store, "kept-too");
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
    add_domain(f->store, "vm3");
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
test_backups(Fixture *f, gconstpointer data)
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
    gint64 dom = add_domain(f->store, "vm1");
    gint64 dom2 = add_domain(f->store, "vm2");

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
    disk = g_ptr_array_index(got->disks, 1);
    g_assert_null(disk->path);
    g_assert_cmpuint(disk->bytes, ==, 12345);
    g_assert_cmpuint(disk->bytes_total, ==, 65536);

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
test_jobs(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreBackup) backup = NULL;
    g_autoptr(BpStoreJob) job1 = NULL;
    g_autoptr(BpStoreJob) job2 = NULL;
    g_autoptr(BpStoreJob) job3 = NULL;
    g_autoptr(BpStoreJob) got = NULL;
    g_autoptr(GPtrArray) list = NULL;
    gint64 dom = add_domain(f->store, "vm1");
    gint64 dom2 = add_domain(f->store, "vm2");

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
test_verify_detects_damage(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    sqlite3 *db;

    build_tree(f->store);
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

#define ADD(name, fn) g_test_add(name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/store/open/create", test_open_create);
    g_test_add_func("/store/open/refusals", test_open_refusals);
    g_test_add_func("/store/migrate/v0-to-v1", test_migrate_v0_v1);
    g_test_add_func("/store/migrate/v1-to-v2", test_migrate_v1_v2);
    g_test_add_func("/store/migrate/failure-rolls-back", test_migrate_failure);
    ADD("/store/domains/api", test_domains);
    ADD("/store/domains/remove-cascades", test_domain_remove_cascades);
    ADD("/store/checkpoints/add-get", test_checkpoint_add_get);
    ADD("/store/checkpoints/refusals", test_checkpoint_refusals);
    ADD("/store/checkpoints/schema-guards", test_checkpoint_schema_guards);
    ADD("/store/checkpoints/state-current", test_checkpoint_state_current);
    ADD("/store/checkpoints/redefine", test_checkpoint_redefine);
    ADD("/store/tree/queries", test_tree_queries);
    ADD("/store/tree/list-details", test_tree_list_details);
    ADD("/store/delete/modes", test_checkpoint_delete);
    ADD("/store/delete/plan", test_checkpoint_delete_plan);
    ADD("/store/rollback/injected-faults", test_rollback);
    ADD("/store/rollback/transactions", test_transactions);
    ADD("/store/backups", test_backups);
    ADD("/store/jobs", test_jobs);
    ADD("/store/verify", test_verify_detects_damage);
#undef ADD

    return g_test_run();
}
