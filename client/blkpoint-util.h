/*
 * blkpoint-util.h: the client's state for one run (BpCtl): which bus, the
 * connection to blkpointd, printing, and reporting errors the way virsh
 * reports them.
 *
 * The client talks to the daemon only over D-Bus, through the proxies
 * gdbus-codegen generates from the XML in src/dbus and plain GDBus calls for
 * the standard interfaces (Properties, ObjectManager, Peer).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "blkpoint-cmd.h"
#include "dbus/bp-dbus-generated.h"

G_BEGIN_DECLS

#define BP_BUS_NAME "org.blkpoint.Blkpoint1"
#define BP_MANAGER_PATH "/org/blkpoint/Blkpoint1"
#define BP_IFACE_MANAGER "org.blkpoint.Blkpoint1.Manager"
#define BP_IFACE_DOMAIN "org.blkpoint.Blkpoint1.Domain"
#define BP_IFACE_CHECKPOINT "org.blkpoint.Blkpoint1.Checkpoint"

struct _BpCtl {
    BpGlobalOpts opts;
    gboolean json;               /* --json before or after the command */
    const BpCmdGroup *groups;    /* the command table, for "help" */
    GDBusConnection *bus;
    BpManager *manager;
    char *context;               /* virsh's first "error:" line, if any */
};

BpCtl *bp_ctl_new(const BpGlobalOpts *opts, const BpCmdGroup *groups);
void bp_ctl_free(BpCtl *ctl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpCtl, bp_ctl_free)

gboolean bp_ctl_connect(BpCtl *ctl, GError **error);

void bp_ctl_print(BpCtl *ctl, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void bp_ctl_print_extra(BpCtl *ctl, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void bp_ctl_print_json(BpCtl *ctl, JsonNode *node);
void bp_ctl_print_json_string(BpCtl *ctl, const char *key, const char *value);
void bp_ctl_context(BpCtl *ctl, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void bp_ctl_report_error(BpCtl *ctl, const GError *error);

char *bp_error_message(const GError *error);
char *bp_error_name(const GError *error);

GVariant *bp_ctl_options(BpCtl *ctl, GVariantDict *dict);
GDBusCallFlags bp_ctl_call_flags(BpCtl *ctl);

/* How long calls may take: reads answer at once, lifecycle changes wait
 * for qemu-storage-daemon. */
#define BP_CALL_TIMEOUT_READ -1
#define BP_CALL_TIMEOUT_LONG G_MAXINT

BpDomain *bp_ctl_lookup_domain(BpCtl *ctl, const char *name,
                               char **real_name, GError **error);
BpDomain *bp_ctl_domain_proxy(BpCtl *ctl, const char *path, GError **error);
BpCheckpoint *bp_ctl_checkpoint_proxy(BpCtl *ctl, const char *path,
                                      GError **error);
GHashTable *bp_ctl_objects(BpCtl *ctl, const char *iface, GError **error);
GVariant *bp_ctl_get_all(BpCtl *ctl, const char *path, const char *iface,
                         GError **error);
GVariant *bp_ctl_get_property(BpCtl *ctl, const char *path,
                              const char *iface, const char *name,
                              GError **error);

const char *bp_props_string(GVariant *props, const char *key);
gboolean bp_props_bool(GVariant *props, const char *key);
guint32 bp_props_uint(GVariant *props, const char *key);
guint64 bp_props_uint64(GVariant *props, const char *key);

gboolean bp_read_file(const char *path, char **contents, GError **error);

char *bp_xpath_filter(const char *xml, const char *expr, gboolean wrap,
                      GError **error);

/* Prints the document @xml as the dumpxml commands do: filtered by the
 * command's --xpath (and --wrap) when given, ending in a newline, or as
 * {"xml": ...} with --json. */
gboolean bp_ctl_print_xml(BpCtl *ctl, const BpCmd *cmd, const char *xml,
                          GError **error);

/* One object a *-list command shows (a checkpoint, a snapshot). */
typedef struct {
    char *path;
    GVariant *props;            /* its properties */
    char *name;
    char *parent;               /* its parent's name, NULL for a root */
    gboolean is_from;           /* a root of --tree whatever its parent
                                 * (checkpoint-list --from) */
} BpListEntry;

void bp_list_entry_free(BpListEntry *e);
/* Prints @list (BpListEntry *) as --tree shows it, in its order. */
void bp_ctl_print_list_tree(BpCtl *ctl, GPtrArray *list);
/* Prints the names of @list (BpListEntry *), one a line (--name). */
void bp_ctl_print_list_names(BpCtl *ctl, GPtrArray *list);

G_END_DECLS
