/*
 * bp-object-table.h: the D-Bus objects of a domain that mirror catalogue
 * rows one to one, by name (its checkpoints, its snapshots).
 *
 * A table is told the rows as they are now (bp_object_table_sync()): it
 * exports an object for each new name, updates the properties of the
 * others (flushed at once, so that PropertiesChanged goes out) and
 * unexports the objects whose row is gone.  Objects are never edited one
 * by one elsewhere.  The kind of object is given by a BpObjectTableClass.
 */
#pragma once

#include <gio/gio.h>

#include "dbus/bp-dbus-generated.h"

G_BEGIN_DECLS

typedef struct _BpDaemonDomain BpDaemonDomain;
typedef struct _BpObjectTable BpObjectTable;

/* One exported object.  Its fields are read-only for the class. */
typedef struct {
    BpDaemonDomain *dom;            /* not owned: it owns the table */
    char *name;                     /* the row's name */
    char *path;                     /* the object path */
    BpObjectSkeleton *object;
    GDBusInterfaceSkeleton *iface;  /* the kind's interface, set by init */
} BpObjectEntry;

typedef struct {
    /* The object path of @name below the domain at @domain_path. */
    char *(*path)(const char *domain_path, const char *name);
    /* Creates @entry->iface (a reference the entry keeps), sets its
     * constant properties, connects its method handlers with @entry as
     * their data and puts it on @entry->object. */
    void (*init)(BpObjectEntry *entry);
    /* Sets @entry's properties from @row (one of the rows given to
     * bp_object_table_sync()). */
    void (*update)(BpObjectEntry *entry, gconstpointer row);
    /* The name of @row. */
    const char *(*row_name)(gconstpointer row);
} BpObjectTableClass;

/* An empty table of objects of @klass (static, not copied) for @dom. */
BpObjectTable *bp_object_table_new(BpDaemonDomain *dom, const BpObjectTableClass *klass);
/* Frees the table and its objects without unexporting them (see
 * bp_object_table_clear()); NULL is accepted. */
void bp_object_table_free(BpObjectTable *table);
/* Unexports and forgets every object. */
void bp_object_table_clear(BpObjectTable *table);

/*
 * Makes the objects match @rows (an array of the rows the class reads,
 * in the order to export new ones): new names are exported, existing
 * ones updated and flushed, missing ones unexported.  Returns the path
 * of the object of @current_row (compared by pointer), or NULL when it
 * is NULL or not among @rows; it belongs to the table.
 */
const char *bp_object_table_sync(BpObjectTable *table, GPtrArray *rows,
                                 gconstpointer current_row);

G_END_DECLS
