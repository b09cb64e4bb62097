/*
 * bench-store.c: the catalogue benchmark behind docs/performance.md.
 * Not a test: nothing here passes or fails.  Build and run with
 * `make bench`, or run tests/bench/bench-store [OPTIONS] by hand.
 *
 * It fills a catalogue with N domains of M checkpoints each (two disk
 * rows and a copy of the domain definition per checkpoint, a mostly
 * linear history with some branches, a backup history, a few unfinished
 * jobs), then measures, each with a baseline taken in the same run:
 *
 *  - start: open the database and load what the daemon needs (domains
 *    with runtime state, each domain's current checkpoint, unfinished
 *    jobs) -- against loading every checkpoint of every domain and
 *    building each tree in C, which is what a daemon without SQL queries
 *    (libvirt reading its checkpoint XML files) does at start;
 *  - one durable checkpoint create (synchronous=FULL, one transaction
 *    with its disk rows and the current pointer) -- against the same
 *    create with synchronous=OFF, i.e. what the fsyncs cost;
 *  - listing one domain's checkpoints, and listing them in topological
 *    order and building the tree -- against fetching the rows with a
 *    plain query and ordering/building the tree in C; plus the
 *    ancestors of the deepest checkpoint by recursive CTE against the
 *    same walk done in C over all rows;
 *  - peak memory (getrusage maxrss) after the start measurements and
 *    after the load-everything baseline.
 *
 * Populating runs in a child process so that it does not count in the
 * measuring process's peak memory.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "store/bp-store-priv.h"

static int opt_domains = 100;
static int opt_checkpoints = 1000;
static int opt_repeat = 21;
static int opt_creates = 200;
static char *opt_dir = NULL;
static gboolean opt_keep = FALSE;

static GOptionEntry bench_options[] = {
    { "domains", 'd', 0, G_OPTION_ARG_INT, &opt_domains, "Number of domains (100)", "N" },
    { "checkpoints", 'c', 0, G_OPTION_ARG_INT, &opt_checkpoints, "Checkpoints per domain (1000)", "M" },
    { "repeat", 'r', 0, G_OPTION_ARG_INT, &opt_repeat, "Repetitions of each read measurement (21)", "R" },
    { "creates", 'n', 0, G_OPTION_ARG_INT, &opt_creates, "Durable creates to time (200)", "K" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_dir, "Directory for the database (a new temporary one)", "DIR" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep, "Keep the database afterwards", NULL },
    { NULL }
};

/* A domain definition of realistic size (~1 KiB), copied into every
 * checkpoint as libvirt does. */
static const char bench_domain_xml[] =
    "<domain type='kvm'>\n"
    "  <name>%s</name>\n"
    "  <uuid>%s</uuid>\n"
    "  <memory unit='KiB'>4194304</memory>\n"
    "  <vcpu placement='static'>4</vcpu>\n"
    "  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>\n"
    "  <devices>\n"
    "    <disk type='file' device='disk'>\n"
    "      <driver name='qemu' type='qcow2' discard='unmap'/>\n"
    "      <source file='/var/lib/libvirt/images/%s-system.qcow2'/>\n"
    "      <backingStore/>\n"
    "      <target dev='vda' bus='virtio'/>\n"
    "    </disk>\n"
    "    <disk type='file' device='disk'>\n"
    "      <driver name='qemu' type='qcow2'/>\n"
    "      <source file='/var/lib/libvirt/images/%s-data.qcow2'/>\n"
    "      <backingStore/>\n"
    "      <target dev='vdb' bus='virtio'/>\n"
    "    </disk>\n"
    "    <interface type='network'><source network='default'/><model type='virtio'/></interface>\n"
    "    <console type='pty'/>\n"
    "  </devices>\n"
    "</domain>\n";


static gint64
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (gint64) ts.tv_sec * G_GINT64_CONSTANT(1000000000) + ts.tv_nsec;
}


static int
cmp_gint64(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *) a;
    gint64 y = *(const gint64 *) b;

    return x < y ? -1 : x > y;
}


typedef struct {
    double median_ms;
    double p90_ms;
    double max_ms;
} BenchStats;


static BenchStats
stats_of(GArray *samples)
{
    BenchStats st;
    gint64 *v = (gint64 *) samples->data;
    guint n = samples->len;

    g_array_sort(samples, cmp_gint64);
    st.median_ms = v[n / 2] / 1e6;
    st.p90_ms = v[MIN(n - 1, n * 9 / 10)] / 1e6;
    st.max_ms = v[n - 1] / 1e6;
    return st;
}


static long
maxrss_kib(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}


static void
die(GError *error)
{
    g_printerr("bench-store: %s\n", error ? error->message : "failed");
    exit(1);
}


/* ---- Populating --------------------------------------------------- */

static void
populate(const char *path)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStore) store = bp_store_open(path, &error);
    g_autoptr(GRand) rand = g_rand_new_with_seed(20261122);

    if (!store)
        die(error);
    for (int d = 0; d < opt_domains; d++) {
        g_autoptr(BpStoreTxn) txn = bp_store_txn_begin(store, &error);
        g_autoptr(BpStoreDomain) dom = bp_store_domain_new();
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        gint64 previous_backup = 0;

        if (!txn)
            die(error);
        dom->name = g_strdup_printf("vm%03d", d);
        dom->uuid = g_strdup_printf("6f1b0c2e-0000-4000-8000-%012d", d);
        dom->definition = g_strdup_printf(bench_domain_xml, dom->name, dom->uuid,
                                          dom->name, dom->name);
        dom->runtime = g_strdup(d % 3 ? "storage" : "offline");
        dom->state = d % 3 ? BP_STORE_DOMAIN_RUNNING : BP_STORE_DOMAIN_SHUTOFF;
        dom->pid = d % 3 ? 10000 + d : 0;
        if (!bp_store_domain_add(store, dom, &error))
            die(error);

        for (int c = 0; c < opt_checkpoints; c++) {
            g_autoptr(BpStoreCheckpoint) chk = NULL;
            char *name = g_strdup_printf("%d", 1700000000 + c * 3600);

            chk = bp_store_checkpoint_new(dom->id, name);
            /* Mostly a chain (each new checkpoint under the current
             * one); now and then a branch from an older one. */
            if (c > 0)
                chk->parent = g_strdup(g_rand_int_range(rand, 0, 50) ?
                                       g_ptr_array_index(names, c - 1) :
                                       g_ptr_array_index(names, g_rand_int_range(rand, 0, c)));
            chk->creation_time = 1700000000 + c * 3600;
            chk->current = TRUE;
            chk->state = BP_STORE_CHECKPOINT_READY;
            chk->domain_xml = g_strdup(dom->definition);
            g_ptr_array_add(chk->disks, bp_store_checkpoint_disk_new("vda", name, 65536,
                                                                     G_GUINT64_CONSTANT(53687091200)));
            g_ptr_array_add(chk->disks, bp_store_checkpoint_disk_new("vdb", name, 65536,
                                                                     G_GUINT64_CONSTANT(214748364800)));
            if (!bp_store_checkpoint_add(store, chk, &error))
                die(error);
            g_ptr_array_add(names, name);

            if (c % 33 == 0) {
                g_autoptr(BpStoreBackup) backup =
                    bp_store_backup_new(dom->id, BP_STORE_BACKUP_PUSH,
                                        previous_backup ? BP_STORE_BACKUP_INCREMENTAL :
                                        BP_STORE_BACKUP_FULL);

                backup->from_checkpoint = previous_backup && c > 0 ?
                    g_strdup(g_ptr_array_index(names, c - 1)) : NULL;
                backup->checkpoint = g_strdup(name);
                backup->previous_id = previous_backup;
                backup->status = BP_STORE_BACKUP_COMPLETED;
                backup->start_time = chk->creation_time;
                backup->end_time = chk->creation_time + 60;
                g_ptr_array_add(backup->disks, bp_store_backup_disk_new("vda", "/backup/vda.qcow2",
                                                                        "qcow2"));
                if (!bp_store_backup_add(store, backup, &error))
                    die(error);
                previous_backup = backup->id;
            }
        }
        if (d % 10 == 0) {
            g_autoptr(BpStoreJob) job = bp_store_job_new(dom->id, "backup");

            job->backup_id = previous_backup;
            job->phase = g_strdup("exporting");
            if (!bp_store_job_add(store, job, &error))
                die(error);
        }
        if (!bp_store_txn_commit(txn, &error))
            die(error);
    }
}


/* ---- Start -------------------------------------------------------- */

/* What the daemon loads at start: every domain (definition and runtime
 * state, to reattach), its current checkpoint, the unfinished jobs. */
static gint64
start_ours(const char *path, guint *loaded)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStore) store = NULL;
    g_autoptr(GPtrArray) domains = NULL;
    g_autoptr(GPtrArray) currents = g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_checkpoint_free);
    g_autoptr(GPtrArray) jobs = NULL;
    gint64 t0 = now_ns();
    gint64 t1;

    if (!(store = bp_store_open(path, &error)) ||
        !(domains = bp_store_domain_list(store, &error)))
        die(error);
    for (guint i = 0; i < domains->len; i++) {
        BpStoreDomain *dom = g_ptr_array_index(domains, i);
        BpStoreCheckpoint *current = bp_store_checkpoint_get_current(store, dom->id, &error);

        if (error)
            die(error);
        if (current)
            g_ptr_array_add(currents, current);
    }
    if (!(jobs = bp_store_job_list_unfinished(store, &error)))
        die(error);
    t1 = now_ns();
    *loaded = domains->len + currents->len + jobs->len;
    return t1 - t0;
}


typedef struct {
    char *name;
    GNode *node;
} BenchTreeEntry;


/* Builds a GNode forest from checkpoints whose parents come first (a
 * topological list): one pass with a name -> node table. */
static GNode *
tree_from_topological(GPtrArray *list)
{
    g_autoptr(GHashTable) nodes = g_hash_table_new(g_str_hash, g_str_equal);
    GNode *root = g_node_new(NULL);

    for (guint i = 0; i < list->len; i++) {
        BpStoreCheckpoint *chk = g_ptr_array_index(list, i);
        GNode *parent = chk->parent ? g_hash_table_lookup(nodes, chk->parent) : root;
        GNode *node = g_node_append_data(parent ? parent : root, chk);

        g_hash_table_insert(nodes, chk->name, node);
    }
    return root;
}


static int
cmp_checkpoint_ctime(gconstpointer a, gconstpointer b)
{
    const BpStoreCheckpoint *x = *(BpStoreCheckpoint *const *) a;
    const BpStoreCheckpoint *y = *(BpStoreCheckpoint *const *) b;

    if (x->creation_time != y->creation_time)
        return x->creation_time < y->creation_time ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}


/* The naive way: rows in any order, tree built in C (sort by creation,
 * a name table, attach each node to its parent). */
static GNode *
tree_naive(GPtrArray *rows)
{
    g_autoptr(GHashTable) nodes = g_hash_table_new(g_str_hash, g_str_equal);
    GNode *root = g_node_new(NULL);

    g_ptr_array_sort(rows, cmp_checkpoint_ctime);
    for (guint i = 0; i < rows->len; i++) {
        BpStoreCheckpoint *chk = g_ptr_array_index(rows, i);

        g_hash_table_insert(nodes, chk->name, g_node_new(chk));
    }
    for (guint i = 0; i < rows->len; i++) {
        BpStoreCheckpoint *chk = g_ptr_array_index(rows, i);
        GNode *node = g_hash_table_lookup(nodes, chk->name);
        GNode *parent = chk->parent ? g_hash_table_lookup(nodes, chk->parent) : NULL;

        g_node_append(parent ? parent : root, node);
    }
    return root;
}


/* Every checkpoint of one domain (or of all, @dom = 0) with a plain
 * query, disks and domain copy included when @full. */
static GPtrArray *
load_rows(BpStore *store, gint64 dom, gboolean full)
{
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify) bp_store_checkpoint_free);
    g_autoptr(sqlite3_stmt) stmt = NULL;
    g_autoptr(GError) error = NULL;

    /* Two statements, so that the one-domain query uses its index. */
    if (dom > 0)
        stmt = bp_store_prepare(store,
                                "SELECT " BP_STORE_CHECKPOINT_COLUMNS
                                " FROM checkpoints c" BP_STORE_CHECKPOINT_PARENT_JOIN
                                " WHERE c.domain_id = ?1", &error);
    else
        stmt = bp_store_prepare(store,
                                "SELECT " BP_STORE_CHECKPOINT_COLUMNS
                                " FROM checkpoints c" BP_STORE_CHECKPOINT_PARENT_JOIN,
                                &error);
    if (!stmt)
        die(error);
    if (dom > 0)
        sqlite3_bind_int64(stmt, 1, dom);
    sqlite3_bind_int(stmt, 9, full);
    while (sqlite3_step(stmt) == SQLITE_ROW)
        g_ptr_array_add(rows, bp_store_checkpoint_from_row(stmt));
    if (full && !bp_store_checkpoint_load_disks(store, (BpStoreCheckpoint **) rows->pdata,
                                                rows->len, &error))
        die(error);
    return g_steal_pointer(&rows);
}


/* The load-everything start: open, every checkpoint of every domain with
 * its disks and domain copy, one tree per domain. */
static gint64
start_naive(const char *path, guint *loaded)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStore) store = NULL;
    g_autoptr(GPtrArray) domains = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(GHashTable) per_domain = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
                                                             (GDestroyNotify) g_ptr_array_unref);
    GList *trees = NULL;
    gint64 t0 = now_ns();
    gint64 t1;

    if (!(store = bp_store_open(path, &error)) ||
        !(domains = bp_store_domain_list(store, &error)))
        die(error);
    rows = load_rows(store, 0, TRUE);
    for (guint i = 0; i < rows->len; i++) {
        BpStoreCheckpoint *chk = g_ptr_array_index(rows, i);
        GPtrArray *mine = g_hash_table_lookup(per_domain, &chk->domain_id);

        if (!mine) {
            mine = g_ptr_array_new();
            g_hash_table_insert(per_domain, &chk->domain_id, mine);
        }
        g_ptr_array_add(mine, chk);
    }
    for (guint i = 0; i < domains->len; i++) {
        BpStoreDomain *dom = g_ptr_array_index(domains, i);
        GPtrArray *mine = g_hash_table_lookup(per_domain, &dom->id);

        if (mine)
            trees = g_list_prepend(trees, tree_naive(mine));
    }
    t1 = now_ns();
    *loaded = rows->len;
    g_list_free_full(trees, (GDestroyNotify) g_node_destroy);
    return t1 - t0;
}


/* ---- Durable create --------------------------------------------------- */

static GArray *
time_creates(BpStore *store, gint64 dom, const char *prefix, int count)
{
    GArray *samples = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GError) error = NULL;
    g_autoptr(BpStoreDomain) domain = bp_store_domain_get(store, dom, &error);

    if (!domain)
        die(error);
    for (int i = 0; i < count; i++) {
        g_autofree char *name = g_strdup_printf("%s-%d", prefix, i);
        g_autoptr(BpStoreCheckpoint) chk = bp_store_checkpoint_new(dom, name);
        g_autoptr(BpStoreCheckpoint) current = NULL;
        gint64 t0;

        /* The caller's part, as in checkpoint-create: parent = current. */
        current = bp_store_checkpoint_get_current(store, dom, &error);
        chk->parent = current ? g_strdup(current->name) : NULL;
        chk->creation_time = 1800000000 + i;
        chk->current = TRUE;
        chk->domain_xml = g_strdup(domain->definition);
        g_ptr_array_add(chk->disks, bp_store_checkpoint_disk_new("vda", name, 65536, 1));
        g_ptr_array_add(chk->disks, bp_store_checkpoint_disk_new("vdb", name, 65536, 1));
        t0 = now_ns();
        if (!bp_store_checkpoint_add(store, chk, &error))
            die(error);
        g_array_append_val(samples, (gint64) { now_ns() - t0 });
    }
    return samples;
}


/* ---- Main ------------------------------------------------------------- */

static void
print_machine(const char *dir)
{
    g_autofree char *cpuinfo = NULL;
    g_autofree char *cmd = g_strdup_printf("df -T '%s'", dir);
    g_autofree char *df = NULL;
    struct utsname un;
    const char *model = "unknown";
    g_auto(GStrv) lines = NULL;

    if (g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
        lines = g_strsplit(cpuinfo, "\n", -1);
        for (int i = 0; lines[i]; i++) {
            if (g_str_has_prefix(lines[i], "model name")) {
                model = strchr(lines[i], ':') ? strchr(lines[i], ':') + 2 : lines[i];
                break;
            }
        }
    }
    uname(&un);
    printf("- machine: %s, %ld CPUs online, kernel %s %s\n", model,
           sysconf(_SC_NPROCESSORS_ONLN), un.sysname, un.release);
    printf("- SQLite %s, GLib %u.%u.%u\n", sqlite3_libversion(),
           glib_major_version, glib_minor_version, glib_micro_version);
    if (g_spawn_command_line_sync(cmd, &df, NULL, NULL, NULL) && df) {
        g_auto(GStrv) dflines = g_strsplit(df, "\n", -1);

        if (dflines[0] && dflines[1])
            printf("- database directory %s on: `%s`\n", dir, g_strstrip(dflines[1]));
    }
}


int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new("- blkpoint catalogue benchmark");
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *path = NULL;
    g_autoptr(BpStore) store = NULL;
    g_autoptr(GArray) start_samples = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) naive_samples = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) list_samples = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) tree_samples = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) tree_naive_samples = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) anc_samples = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) anc_naive_samples = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) durable = NULL;
    g_autoptr(GArray) nosync = NULL;
    g_autoptr(BpStoreDomain) probe = NULL;
    guint loaded = 0, loaded_naive = 0, listed = 0, depth = 0;
    long rss_start, rss_naive;
    gint64 t0, populate_ns;
    pid_t pid;
    int status;
    BenchStats st;
    struct stat sb;

    g_option_context_add_main_entries(ctx, bench_options, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        die(error);
    dir = opt_dir ? g_strdup(opt_dir) : g_dir_make_tmp("bp-bench-XXXXXX", &error);
    if (!dir)
        die(error);
    path = g_build_filename(dir, "bench.db", NULL);
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_printerr("bench-store: %s exists; give an empty --dir\n", path);
        return 1;
    }

    t0 = now_ns();
    pid = fork();
    if (pid == 0) {
        populate(path);
        _exit(0);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        g_printerr("bench-store: populating failed\n");
        return 1;
    }
    populate_ns = now_ns() - t0;
    stat(path, &sb);

    printf("## Catalogue benchmark\n\n");
    printf("- command: `%s --domains %d --checkpoints %d --repeat %d --creates %d`\n",
           argv[0], opt_domains, opt_checkpoints, opt_repeat, opt_creates);
    print_machine(dir);
    printf("- catalogue: %d domains x %d checkpoints (2 disk rows and a %zu-byte domain copy each),"
           " %.1f MiB, filled in %.1f s\n\n", opt_domains, opt_checkpoints,
           strlen(bench_domain_xml) + 100, sb.st_size / 1048576.0, populate_ns / 1e9);

    /* Start, ours first so that the peak memory after it is ours alone. */
    for (int i = 0; i < opt_repeat; i++) {
        gint64 ns = start_ours(path, &loaded);
        g_array_append_val(start_samples, ns);
    }
    rss_start = maxrss_kib();

    /* The rest on one open store. */
    if (!(store = bp_store_open(path, &error)))
        die(error);
    if (!(probe = bp_store_domain_get_by_name(store, "vm050", &error)) &&
        !(probe = bp_store_domain_get_by_name(store, "vm000", &error)))
        die(error);
    for (int i = 0; i < opt_repeat; i++) {
        g_autoptr(GPtrArray) list = NULL;
        g_autoptr(GPtrArray) topo = NULL;
        g_autoptr(GPtrArray) rows = NULL;
        g_autoptr(GPtrArray) anc = NULL;
        g_autoptr(GPtrArray) leaves = NULL;
        GNode *tree;
        gint64 ns;
        BpStoreCheckpoint *deepest = NULL;
        guint walked = 0;

        t0 = now_ns();
        if (!(list = bp_store_checkpoint_list(store, probe->id, BP_STORE_CHECKPOINTS_ALL,
                                              NULL, 0, &error)))
            die(error);
        ns = now_ns() - t0;
        g_array_append_val(list_samples, ns);
        listed = list->len;

        t0 = now_ns();
        if (!(topo = bp_store_checkpoint_list(store, probe->id, BP_STORE_CHECKPOINTS_ALL,
                                              NULL, BP_STORE_LIST_TOPOLOGICAL, &error)))
            die(error);
        tree = tree_from_topological(topo);
        ns = now_ns() - t0;
        g_array_append_val(tree_samples, ns);
        g_node_destroy(tree);

        t0 = now_ns();
        rows = load_rows(store, probe->id, FALSE);
        tree = tree_naive(rows);
        ns = now_ns() - t0;
        g_array_append_val(tree_naive_samples, ns);
        g_node_destroy(tree);
        g_clear_pointer(&rows, g_ptr_array_unref);

        /* The deepest checkpoint: the last one of the main chain. */
        leaves = bp_store_checkpoint_list(store, probe->id, BP_STORE_CHECKPOINTS_ALL, NULL,
                                          BP_STORE_LIST_LEAVES, &error);
        deepest = g_ptr_array_index(leaves, leaves->len - 1);
        t0 = now_ns();
        if (!(anc = bp_store_checkpoint_list(store, probe->id, BP_STORE_CHECKPOINTS_ANCESTORS_OF,
                                             deepest->name, 0, &error)))
            die(error);
        ns = now_ns() - t0;
        g_array_append_val(anc_samples, ns);
        depth = anc->len;

        t0 = now_ns();
        {
            g_autoptr(GHashTable) by_name = g_hash_table_new(g_str_hash, g_str_equal);
            BpStoreCheckpoint *cur;

            rows = load_rows(store, probe->id, FALSE);
            for (guint j = 0; j < rows->len; j++) {
                BpStoreCheckpoint *chk = g_ptr_array_index(rows, j);
                g_hash_table_insert(by_name, chk->name, chk);
            }
            cur = g_hash_table_lookup(by_name, deepest->name);
            while (cur && cur->parent) {
                cur = g_hash_table_lookup(by_name, cur->parent);
                walked++;
            }
        }
        ns = now_ns() - t0;
        g_array_append_val(anc_naive_samples, ns);
        g_assert(walked == depth);
    }

    durable = time_creates(store, probe->id, "durable", opt_creates);
    sqlite3_exec(store->db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    nosync = time_creates(store, probe->id, "nosync", opt_creates);
    sqlite3_exec(store->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
    g_clear_pointer(&store, bp_store_close);

    for (int i = 0; i < MAX(3, opt_repeat / 4); i++) {
        gint64 ns = start_naive(path, &loaded_naive);
        g_array_append_val(naive_samples, ns);
    }
    rss_naive = maxrss_kib();

    printf("| Measurement | blkpoint | median | p90 | max | baseline (same run) | median | p90 | max |\n");
    printf("|---|---|---:|---:|---:|---|---:|---:|---:|\n");
    st = stats_of(start_samples);
    printf("| start: open + load (%d runs) | %u rows: domains, current checkpoints, unfinished jobs"
           " | %.2f ms | %.2f ms | %.2f ms",
           opt_repeat, loaded, st.median_ms, st.p90_ms, st.max_ms);
    st = stats_of(naive_samples);
    printf(" | load every checkpoint (%u, with disks and domain copy) and build every tree in C"
           " (%u runs) | %.1f ms | %.1f ms | %.1f ms |\n",
           loaded_naive, naive_samples->len, st.median_ms, st.p90_ms, st.max_ms);
    st = stats_of(durable);
    printf("| one checkpoint create, durable (%d) | synchronous=FULL, 1 txn: row, 2 disk rows, current"
           " | %.3f ms | %.3f ms | %.3f ms", opt_creates, st.median_ms, st.p90_ms, st.max_ms);
    st = stats_of(nosync);
    printf(" | the same with synchronous=OFF (not durable) | %.3f ms | %.3f ms | %.3f ms |\n",
           st.median_ms, st.p90_ms, st.max_ms);
    st = stats_of(list_samples);
    printf("| list one domain's checkpoints (%d runs) | %u rows by creation | %.2f ms | %.2f ms | %.2f ms"
           " | – | | | |\n", opt_repeat, listed, st.median_ms, st.p90_ms, st.max_ms);
    st = stats_of(tree_samples);
    printf("| list topological + build the tree | recursive CTE, one pass in C | %.2f ms | %.2f ms | %.2f ms",
           st.median_ms, st.p90_ms, st.max_ms);
    st = stats_of(tree_naive_samples);
    printf(" | plain SELECT, sort and link in C | %.2f ms | %.2f ms | %.2f ms |\n",
           st.median_ms, st.p90_ms, st.max_ms);
    st = stats_of(anc_samples);
    printf("| ancestors of the deepest checkpoint (%u) | recursive CTE | %.2f ms | %.2f ms | %.2f ms",
           depth, st.median_ms, st.p90_ms, st.max_ms);
    st = stats_of(anc_naive_samples);
    printf(" | load the domain's rows, walk in C | %.2f ms | %.2f ms | %.2f ms |\n",
           st.median_ms, st.p90_ms, st.max_ms);
    printf("\nPeak memory (getrusage maxrss of the measuring process): %.1f MiB after the"
           " start measurements, %.1f MiB after the load-everything baseline.\n",
           rss_start / 1024.0, rss_naive / 1024.0);

    if (!opt_keep) {
        g_autofree char *wal = g_strconcat(path, "-wal", NULL);
        g_autofree char *shm = g_strconcat(path, "-shm", NULL);

        unlink(path);
        unlink(wal);
        unlink(shm);
        if (!opt_dir)
            rmdir(dir);
    } else {
        printf("\n(database kept at %s)\n", path);
    }
    return 0;
}
