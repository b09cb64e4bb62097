/*
 * bp-object-table.c: catalogue rows as D-Bus objects (see the header).
 */
#include <config.h>

#include "bp-daemon.h"
#include "bp-domain-object.h"
#include "bp-object-table.h"

struct _BpObjectTable {
    BpDaemonDomain *dom;                /* not owned: it owns the table */
    const BpObjectTableClass *klass;
    GHashTable *objects;                /* name -> BpObjectEntry* */
};


static void
bp_object_entry_free(BpObjectEntry *entry)
{
    if (entry->iface)
        g_signal_handlers_disconnect_by_data(entry->iface, entry);
    g_clear_object(&entry->iface);
    g_clear_object(&entry->object);
    g_free(entry->name);
    g_free(entry->path);
    g_free(entry);
}


BpObjectTable *
bp_object_table_new(BpDaemonDomain *dom, const BpObjectTableClass *klass)
{
    BpObjectTable *table = g_new0(BpObjectTable, 1);

    table->dom = dom;
    table->klass = klass;
    table->objects = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                           (GDestroyNotify) bp_object_entry_free);
    return table;
}


void
bp_object_table_free(BpObjectTable *table)
{
    if (!table)
        return;
    g_hash_table_unref(table->objects);
    g_free(table);
}


static void
bp_object_table_unexport(BpObjectTable *table, BpObjectEntry *entry)
{
    BpDaemon *daemon = bp_daemon_domain_get_daemon(table->dom);

    if (daemon->objman)
        g_dbus_object_manager_server_unexport(daemon->objman, entry->path);
}


void
bp_object_table_clear(BpObjectTable *table)
{
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, table->objects);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        bp_object_table_unexport(table, value);
        g_hash_table_iter_remove(&iter);
    }
}


static BpObjectEntry *
bp_object_entry_new(BpObjectTable *table, const char *name)
{
    BpObjectEntry *entry = g_new0(BpObjectEntry, 1);

    entry->dom = table->dom;
    entry->name = g_strdup(name);
    entry->path = table->klass->path(bp_daemon_domain_get_path(table->dom), name);
    entry->object = bp_object_skeleton_new(entry->path);
    table->klass->init(entry);
    return entry;
}


const char *
bp_object_table_sync(BpObjectTable *table, GPtrArray *rows, gconstpointer current_row)
{
    BpDaemon *daemon = bp_daemon_domain_get_daemon(table->dom);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    const char *current = NULL;
    GHashTableIter iter;
    gpointer key, value;

    for (guint i = 0; i < rows->len; i++) {
        gconstpointer row = g_ptr_array_index(rows, i);
        const char *name = table->klass->row_name(row);
        BpObjectEntry *entry = g_hash_table_lookup(table->objects, name);
        gboolean fresh = entry == NULL;

        if (fresh) {
            entry = bp_object_entry_new(table, name);
            g_hash_table_insert(table->objects, entry->name, entry);
        }
        table->klass->update(entry, row);
        if (fresh)
            g_dbus_object_manager_server_export(daemon->objman,
                                                G_DBUS_OBJECT_SKELETON(entry->object));
        else
            g_dbus_interface_skeleton_flush(entry->iface);
        g_hash_table_add(seen, entry->name);
        if (row == current_row)
            current = entry->path;
    }
    g_hash_table_iter_init(&iter, table->objects);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        if (g_hash_table_contains(seen, key))
            continue;
        bp_object_table_unexport(table, value);
        g_hash_table_iter_remove(&iter);
    }
    return current;
}
