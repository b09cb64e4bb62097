/*
 * store-testutils.c: helpers shared by the catalogue tests.
 */
#include <config.h>

#include "store/bp-store-priv.h"
#include "testutils.h"
#include "store-testutils.h"

/* Fixed queries, one per table, in a fixed order. */
static const char *const bp_store_test_tables[] = {
    "SELECT 'domain', * FROM domains ORDER BY id",
    "SELECT 'checkpoint', * FROM checkpoints ORDER BY id",
    "SELECT 'checkpoint_disk', * FROM checkpoint_disks ORDER BY checkpoint_id, target",
    "SELECT 'backup', * FROM backups ORDER BY id",
    "SELECT 'backup_disk', * FROM backup_disks ORDER BY backup_id, target",
    "SELECT 'job', * FROM jobs ORDER BY id",
};


char *
bp_store_test_dump(sqlite3 *db)
{
    GString *out = g_string_new(NULL);

    for (gsize t = 0; t < G_N_ELEMENTS(bp_store_test_tables); t++) {
        sqlite3_stmt *stmt = NULL;
        int rc;

        g_assert_cmpint(sqlite3_prepare_v2(db, bp_store_test_tables[t], -1, &stmt, NULL),
                        ==, SQLITE_OK);
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(stmt); c++) {
                const char *text = (const char *) sqlite3_column_text(stmt, c);

                g_string_append_printf(out, "%s%s", c ? "|" : "", text ? text : "NULL");
            }
            g_string_append_c(out, '\n');
        }
        g_assert_cmpint(rc, ==, SQLITE_DONE);
        sqlite3_finalize(stmt);
    }
    return g_string_free(out, FALSE);
}


sqlite3 *
bp_store_test_raw_open(const char *path)
{
    sqlite3 *db = NULL;

    g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}


void
bp_store_test_exec(sqlite3 *db, const char *sql)
{
    char *errmsg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &errmsg) != SQLITE_OK)
        g_error("'%s' failed: %s", sql, errmsg);
}


gint64
bp_store_test_query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    gint64 value;

    g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
    value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
}


void
bp_store_test_setup(BpStoreFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    f->dir = bp_test_mkdtemp();
    f->path = g_build_filename(f->dir, "state", "blkpoint", BP_STORE_FILE_NAME, NULL);
    f->store = bp_store_open(f->path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(f->store);
}


void
bp_store_test_teardown(BpStoreFixture *f, gconstpointer data)
{
    if (f->store)
        g_assert_cmpuint(f->store->txn_depth, ==, 0);
    bp_store_close(f->store);
    bp_test_rmdir(f->dir);
    g_free(f->dir);
    g_free(f->path);
}


gint64
bp_store_test_add_domain(BpStore *store, const char *name)
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
BpStoreCheckpoint *
bp_store_test_new_checkpoint(gint64 dom, const char *name, const char *parent, gint64 ctime)
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


void
bp_store_test_add_checkpoint(BpStore *store, gint64 dom, const char *name, const char *parent,
               gint64 ctime, gboolean current)
{
    g_autoptr(BpStoreCheckpoint) chk = bp_store_test_new_checkpoint(dom, name, parent, ctime);
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
gint64
bp_store_test_build_tree(BpStore *store)
{
    gint64 dom = bp_store_test_add_domain(store, "vm1");

    /* Each becomes current, as a checkpoint created by libvirt does. */
    bp_store_test_add_checkpoint(store, dom, "h", NULL, 5, TRUE);
    bp_store_test_add_checkpoint(store, dom, "a", NULL, 10, TRUE);
    bp_store_test_add_checkpoint(store, dom, "b", "a", 20, TRUE);
    bp_store_test_add_checkpoint(store, dom, "f", "a", 30, TRUE);
    bp_store_test_add_checkpoint(store, dom, "c", "b", 40, TRUE);
    bp_store_test_add_checkpoint(store, dom, "e", "b", 50, TRUE);
    bp_store_test_add_checkpoint(store, dom, "g", "f", 60, TRUE);
    bp_store_test_add_checkpoint(store, dom, "d", "c", 70, TRUE);
    return dom;
}


/* "a b c" from a list of checkpoints. */
char *
bp_store_test_names(GPtrArray *list)
{
    g_autoptr(GString) out = g_string_new(NULL);

    for (guint i = 0; i < list->len; i++) {
        BpStoreCheckpoint *chk = g_ptr_array_index(list, i);

        g_string_append_printf(out, "%s%s", i ? " " : "", chk->name);
    }
    return g_strdup(out->str);
}


char *
bp_store_test_list_names(BpStore *store, gint64 dom, BpStoreCheckpointScope scope,
           const char *of, unsigned int flags)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) list = bp_store_checkpoint_list(store, dom, scope, of, flags, &error);

    g_assert_no_error(error);
    g_assert_nonnull(list);
    return bp_store_test_names(list);
}


/* The forest as "name:parent" in topological order, then "*current". */
char *
bp_store_test_tree_shape(BpStore *store, gint64 dom)
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


char *
bp_store_test_dump_store(BpStore *store)
{
    return bp_store_test_dump(store->db);
}
