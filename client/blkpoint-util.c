/*
 * blkpoint-util.c: the client's connection to blkpointd, its printing and
 * its error reporting (see blkpoint-util.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "blkpoint-output.h"
#include "blkpoint-util.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"
#include "util/bp-xml.h"

/* The largest XML file the client sends, as virsh's limit. */
#define BP_MAX_XML_FILE (10 * 1024 * 1024)


BpCtl *
bp_ctl_new(const BpGlobalOpts *opts, const BpCmdGroup *groups)
{
    BpCtl *ctl = g_new0(BpCtl, 1);

    ctl->opts = *opts;
    ctl->json = opts->json;
    ctl->groups = groups;
    return ctl;
}


void
bp_ctl_free(BpCtl *ctl)
{
    if (!ctl)
        return;
    g_clear_object(&ctl->manager);
    g_clear_object(&ctl->bus);
    g_free(ctl->context);
    g_free(ctl);
}


/*
 * Connects to the bus the options chose and makes sure blkpointd answers
 * there (starting it through D-Bus activation if it is activatable), so
 * that an absent daemon is reported once, as "failed to connect to the
 * daemon", rather than as the failure of the first call.  Idempotent.
 */
gboolean
bp_ctl_connect(BpCtl *ctl, GError **error)
{
    GBusType type = ctl->opts.connect == BP_CONNECT_SYSTEM
                    ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION;
    g_autoptr(GVariant) reply = NULL;

    if (ctl->manager)
        return TRUE;

    if (!(ctl->bus = g_bus_get_sync(type, NULL, error)) ||
        !(reply = g_dbus_connection_call_sync(ctl->bus, BP_BUS_NAME,
                                              BP_MANAGER_PATH,
                                              "org.freedesktop.DBus.Peer",
                                              "Ping", NULL, NULL,
                                              G_DBUS_CALL_FLAGS_NONE,
                                              BP_CALL_TIMEOUT_READ,
                                              NULL, error)) ||
        !(ctl->manager = bp_manager_proxy_new_sync(
              ctl->bus,
              G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
              G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
              BP_BUS_NAME, BP_MANAGER_PATH, NULL, error))) {
        g_clear_object(&ctl->bus);
        bp_ctl_context(ctl, _("failed to connect to the daemon"));
        return FALSE;
    }
    return TRUE;
}


/* Prints a result on standard output. */
void
bp_ctl_print(BpCtl *ctl G_GNUC_UNUSED, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}


/* Prints an informational line ("Domain 'vm1' started") on standard
 * output, unless -q or --json. */
void
bp_ctl_print_extra(BpCtl *ctl, const char *fmt, ...)
{
    va_list ap;

    if (ctl->opts.quiet || ctl->json)
        return;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}


/* Prints @node (consumed) as the command's JSON document. */
void
bp_ctl_print_json(BpCtl *ctl G_GNUC_UNUSED, JsonNode *node)
{
    g_autofree char *text = bp_json_format(node);

    json_node_unref(node);
    fputs(text, stdout);
}


/* Prints the --json answer {"@key": @value} of a command that answers
 * with one string. */
void
bp_ctl_print_json_string(BpCtl *ctl, const char *key, const char *value)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, value);
    json_builder_end_object(b);
    bp_ctl_print_json(ctl, json_builder_get_root(b));
}


/* Records the line virsh prints before the error itself ("failed to get
 * domain 'vm1'"); the first one recorded wins. */
void
bp_ctl_context(BpCtl *ctl, const char *fmt, ...)
{
    va_list ap;

    if (ctl->context)
        return;
    va_start(ap, fmt);
    ctl->context = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}


/* The message of @error as a person should read it: a remote error
 * without GDBus's "GDBus.Error:NAME: " prefix. */
char *
bp_error_message(const GError *error)
{
    g_autoptr(GError) copy = g_error_copy(error);

    g_dbus_error_strip_remote_error(copy);
    return g_strdup(copy->message);
}


/* The D-Bus error name for @error: the remote name when it came from the
 * bus, the BP_ERROR name of a client-side error, GDBus's name for its own
 * errors (org.freedesktop.DBus.Error.*), else Error.Failed. */
char *
bp_error_name(const GError *error)
{
    char *remote = g_dbus_error_get_remote_error(error);

    if (remote)
        return remote;
    if (error->domain == BP_ERROR && bp_error_dbus_name(error->code))
        return g_strdup(bp_error_dbus_name(error->code));
    if (error->domain == G_DBUS_ERROR)
        return g_dbus_error_encode_gerror(error);
    return g_strdup(bp_error_dbus_name(BP_ERROR_FAILED));
}


/*
 * Reports a failed command as virsh does: "error: CONTEXT" (if any) and
 * "error: MESSAGE" on standard error.  With --json, standard output also
 * gets {"error": {"name": ..., "message": ..., "context": ...}}.
 */
void
bp_ctl_report_error(BpCtl *ctl, const GError *error)
{
    g_autofree char *message = bp_error_message(error);

    fflush(stdout);
    if (ctl->context)
        fprintf(stderr, _("error: %s\n"), ctl->context);
    fprintf(stderr, _("error: %s\n"), message);

    if (ctl->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *name = bp_error_name(error);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "error");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, name);
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, message);
        if (ctl->context) {
            json_builder_set_member_name(b, "context");
            json_builder_add_string_value(b, ctl->context);
        }
        json_builder_end_object(b);
        json_builder_end_object(b);
        bp_ctl_print_json(ctl, json_builder_get_root(b));
    }
}


/*
 * The options argument of a method call: the entries of @dict (may be
 * NULL; it is cleared) plus "auth.no_user_interaction" with
 * --no-user-interaction.  Returns a floating a{sv}.
 */
GVariant *
bp_ctl_options(BpCtl *ctl, GVariantDict *dict)
{
    g_auto(GVariantDict) own = G_VARIANT_DICT_INIT(NULL);

    if (!dict)
        dict = &own;
    if (ctl->opts.no_user_interaction)
        g_variant_dict_insert(dict, "auth.no_user_interaction", "b", TRUE);
    return g_variant_dict_end(dict);
}


/* Call flags: polkit may ask for a password unless
 * --no-user-interaction. */
GDBusCallFlags
bp_ctl_call_flags(BpCtl *ctl)
{
    return ctl->opts.no_user_interaction
           ? G_DBUS_CALL_FLAGS_NONE
           : G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION;
}


/* A proxy for the domain object at @path (no round trip). */
BpDomain *
bp_ctl_domain_proxy(BpCtl *ctl, const char *path, GError **error)
{
    return bp_domain_proxy_new_sync(ctl->bus,
                                    G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                    G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                    BP_BUS_NAME, path, NULL, error);
}


/* A proxy for the checkpoint object at @path (no round trip). */
BpCheckpoint *
bp_ctl_checkpoint_proxy(BpCtl *ctl, const char *path, GError **error)
{
    return bp_checkpoint_proxy_new_sync(ctl->bus,
                                        G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                        G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                        BP_BUS_NAME, path, NULL, error);
}


/*
 * Every object the daemon exports with the interface @iface and its
 * properties, in one ObjectManager call: a new table of object path
 * (char *) to a{sv} (GVariant *), both owned by the table.
 */
GHashTable *
bp_ctl_objects(BpCtl *ctl, const char *iface, GError **error)
{
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) objects = NULL;
    g_autoptr(GHashTable) table = NULL;
    const char *path;
    GVariant *ifaces;
    GVariantIter iter;

    if (!(reply = g_dbus_connection_call_sync(ctl->bus, BP_BUS_NAME,
                                              BP_MANAGER_PATH,
                                              "org.freedesktop.DBus.ObjectManager",
                                              "GetManagedObjects", NULL,
                                              G_VARIANT_TYPE("(a{oa{sa{sv}}})"),
                                              G_DBUS_CALL_FLAGS_NONE,
                                              BP_CALL_TIMEOUT_READ, NULL,
                                              error)))
        return NULL;

    table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                  (GDestroyNotify) g_variant_unref);
    objects = g_variant_get_child_value(reply, 0);
    g_variant_iter_init(&iter, objects);
    while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", &path, &ifaces)) {
        g_autoptr(GVariant) owned = ifaces;
        GVariant *props = g_variant_lookup_value(ifaces, iface,
                                                 G_VARIANT_TYPE("a{sv}"));

        if (props)
            g_hash_table_insert(table, g_strdup(path), props);
    }
    return g_steal_pointer(&table);
}


/*
 * Finds the domain @name (a name or UUID, as virsh takes it) and returns
 * a proxy for it; its real name goes to @real_name (newly allocated) when
 * that is non-NULL.  On failure records virsh's "failed to get domain"
 * context.
 */
BpDomain *
bp_ctl_lookup_domain(BpCtl *ctl, const char *name, char **real_name,
                     GError **error)
{
    g_autofree char *path = NULL;
    g_autoptr(BpDomain) dom = NULL;

    if (!bp_ctl_connect(ctl, error))
        return NULL;

    if (!bp_manager_call_lookup_domain_sync(ctl->manager, name,
                                            bp_ctl_options(ctl, NULL),
                                            bp_ctl_call_flags(ctl),
                                            BP_CALL_TIMEOUT_READ, &path,
                                            NULL, error) ||
        !(dom = bp_ctl_domain_proxy(ctl, path, error))) {
        bp_ctl_context(ctl, _("failed to get domain '%s'"), name);
        return NULL;
    }

    if (real_name) {
        g_autoptr(GVariant) v = bp_ctl_get_property(ctl, path, BP_IFACE_DOMAIN,
                                                    "Name", error);

        if (!v) {
            bp_ctl_context(ctl, _("failed to get domain '%s'"), name);
            return NULL;
        }
        *real_name = g_variant_dup_string(v, NULL);
    }
    return g_steal_pointer(&dom);
}


/* All properties of @iface on @path, as an a{sv} (fresh from the daemon,
 * not a proxy's cache). */
GVariant *
bp_ctl_get_all(BpCtl *ctl, const char *path, const char *iface,
               GError **error)
{
    g_autoptr(GVariant) reply = NULL;
    GVariant *props;

    if (!(reply = g_dbus_connection_call_sync(ctl->bus, BP_BUS_NAME, path,
                                              "org.freedesktop.DBus.Properties",
                                              "GetAll",
                                              g_variant_new("(s)", iface),
                                              G_VARIANT_TYPE("(a{sv})"),
                                              G_DBUS_CALL_FLAGS_NONE,
                                              BP_CALL_TIMEOUT_READ, NULL,
                                              error)))
        return NULL;
    g_variant_get(reply, "(@a{sv})", &props);
    return props;
}


/* One property of @iface on @path (the value, not the variant around it). */
GVariant *
bp_ctl_get_property(BpCtl *ctl, const char *path, const char *iface,
                    const char *name, GError **error)
{
    g_autoptr(GVariant) reply = NULL;
    GVariant *value;

    if (!(reply = g_dbus_connection_call_sync(ctl->bus, BP_BUS_NAME, path,
                                              "org.freedesktop.DBus.Properties",
                                              "Get",
                                              g_variant_new("(ss)", iface, name),
                                              G_VARIANT_TYPE("(v)"),
                                              G_DBUS_CALL_FLAGS_NONE,
                                              BP_CALL_TIMEOUT_READ, NULL,
                                              error)))
        return NULL;
    g_variant_get(reply, "(v)", &value);
    return value;
}


/* Property @key of an a{sv}, or "" (or FALSE, or 0) when it is missing or
 * of another type: a newer daemon may drop nothing, an older one may not
 * have everything. */
const char *
bp_props_string(GVariant *props, const char *key)
{
    const char *s = NULL;

    if (props && (g_variant_lookup(props, key, "&s", &s) ||
                  g_variant_lookup(props, key, "&o", &s)))
        return s;
    return "";
}


gboolean
bp_props_bool(GVariant *props, const char *key)
{
    gboolean b = FALSE;

    if (props)
        g_variant_lookup(props, key, "b", &b);
    return b;
}


guint32
bp_props_uint(GVariant *props, const char *key)
{
    guint32 u = 0;

    if (props)
        g_variant_lookup(props, key, "u", &u);
    return u;
}


guint64
bp_props_uint64(GVariant *props, const char *key)
{
    guint64 t = 0;

    if (props)
        g_variant_lookup(props, key, "t", &t);
    return t;
}


/* Reads the XML file @path into @contents, with virsh's message when it
 * cannot (BP_ERROR_IO). */
gboolean
bp_read_file(const char *path, char **contents, GError **error)
{
    g_autoptr(GString) buf = g_string_new(NULL);
    int fd;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        int err = errno;

        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("Failed to open file '%s': %s"), path, g_strerror(err));
        return FALSE;
    }
    for (;;) {
        char chunk[65536];
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;

            close(fd);
            g_set_error(error, BP_ERROR, BP_ERROR_IO,
                        _("Failed to read file '%s': %s"), path, g_strerror(err));
            return FALSE;
        }
        if (n == 0)
            break;
        if (buf->len + n > BP_MAX_XML_FILE) {
            close(fd);
            g_set_error(error, BP_ERROR, BP_ERROR_IO,
                        _("File '%s' is larger than %d bytes"), path,
                        BP_MAX_XML_FILE);
            return FALSE;
        }
        g_string_append_len(buf, chunk, n);
    }
    close(fd);
    if (memchr(buf->str, '\0', buf->len) || !g_utf8_validate(buf->str, buf->len, NULL)) {
        g_set_error(error, BP_ERROR, BP_ERROR_XML_SYNTAX,
                    _("File '%s' is not a UTF-8 text file"), path);
        return FALSE;
    }
    *contents = g_string_free(g_steal_pointer(&buf), FALSE);
    return TRUE;
}


G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlBuffer, xmlBufferFree)


/* Appends what @node is worth printing: an element or a whole document
 * as indented XML, anything else (attribute, text) as its text. */
static void
bp_xpath_append_node(GString *out, xmlDoc *doc, xmlNode *node)
{
    if (node->type == XML_ELEMENT_NODE) {
        g_autoptr(xmlBuffer) buf = xmlBufferCreate();

        xmlNodeDump(buf, doc, node, 0, 1);
        g_string_append_len(out, (const char *) xmlBufferContent(buf),
                            xmlBufferLength(buf));
    } else if (node->type == XML_DOCUMENT_NODE) {
        bp_xpath_append_node(out, doc, xmlDocGetRootElement(doc));
    } else {
        xmlChar *content = xmlNodeGetContent(node);

        g_string_append(out, content ? (const char *) content : "");
        xmlFree(content);
    }
    g_string_append_c(out, '\n');
}


/*
 * Evaluates @expr on the document @xml and returns what it selects, one
 * result per line, as virsh's --xpath does; with @wrap the selected
 * nodes are printed as children of one <nodes> element.
 */
char *
bp_xpath_filter(const char *xml, const char *expr, gboolean wrap,
                GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autoptr(xmlXPathObject) obj = NULL;
    g_autoptr(GString) out = g_string_new(NULL);

    if (!(doc = xmlReadMemory(xml, (int) strlen(xml), NULL, NULL,
                              XML_PARSE_NONET | XML_PARSE_NOBLANKS |
                              XML_PARSE_NOERROR | XML_PARSE_NOWARNING))) {
        g_set_error(error, BP_ERROR, BP_ERROR_XML_SYNTAX,
                    _("the daemon sent an XML document that cannot be parsed"));
        return NULL;
    }
    ctxt = xmlXPathNewContext(doc);
    if (!(obj = xmlXPathEval((const xmlChar *) expr, ctxt))) {
        g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                    _("XPath evaluation of '%s' failed"), expr);
        return NULL;
    }

    if (obj->type != XPATH_NODESET) {
        xmlChar *s = xmlXPathCastToString(obj);

        g_string_append_printf(out, "%s\n", (const char *) s);
        xmlFree(s);
        return g_string_free(g_steal_pointer(&out), FALSE);
    }

    if (wrap) {
        g_autoptr(xmlDoc) wrapped = xmlNewDoc((const xmlChar *) "1.0");
        xmlNode *root = xmlNewNode(NULL, (const xmlChar *) "nodes");

        xmlDocSetRootElement(wrapped, root);
        for (int i = 0; obj->nodesetval && i < obj->nodesetval->nodeNr; i++) {
            xmlNode *n = obj->nodesetval->nodeTab[i];

            if (n->type == XML_ATTRIBUTE_NODE) {
                xmlChar *content = xmlNodeGetContent(n);

                xmlAddChild(root, xmlNewText(content));
                xmlFree(content);
            } else {
                xmlAddChild(root, xmlDocCopyNode(n->type == XML_DOCUMENT_NODE
                                                 ? xmlDocGetRootElement(doc) : n,
                                                 wrapped, 1));
            }
        }
        bp_xpath_append_node(out, wrapped, root);
        return g_string_free(g_steal_pointer(&out), FALSE);
    }

    for (int i = 0; obj->nodesetval && i < obj->nodesetval->nodeNr; i++)
        bp_xpath_append_node(out, doc, obj->nodesetval->nodeTab[i]);
    return g_string_free(g_steal_pointer(&out), FALSE);
}


gboolean
bp_ctl_print_xml(BpCtl *ctl, const BpCmd *cmd, const char *xml, GError **error)
{
    const char *xpath = bp_cmd_opt_string(cmd, "xpath");
    g_autofree char *shown = NULL;

    if (xpath) {
        if (!(shown = bp_xpath_filter(xml, xpath, bp_cmd_opt_bool(cmd, "wrap"),
                                      error)))
            return FALSE;
    } else {
        shown = g_str_has_suffix(xml, "\n") ? g_strdup(xml)
                                            : g_strconcat(xml, "\n", NULL);
    }

    if (ctl->json) {
        bp_ctl_print_json_string(ctl, "xml", shown);
        return TRUE;
    }
    bp_ctl_print(ctl, "%s", shown);
    return TRUE;
}


void
bp_list_entry_free(BpListEntry *e)
{
    g_free(e->path);
    g_clear_pointer(&e->props, g_variant_unref);
    g_free(e->name);
    g_free(e->parent);
    g_free(e);
}


void
bp_ctl_print_list_tree(BpCtl *ctl, GPtrArray *list)
{
    g_autofree const char **names = g_new0(const char *, list->len + 1);
    g_autofree const char **parents = g_new0(const char *, list->len + 1);
    g_autofree char *text = NULL;

    for (guint i = 0; i < list->len; i++) {
        BpListEntry *e = g_ptr_array_index(list, i);

        names[i] = e->name;
        parents[i] = e->is_from ? NULL : e->parent;
    }
    text = bp_tree_format(names, parents, list->len);
    bp_ctl_print(ctl, "%s", text);
}


void
bp_ctl_print_list_names(BpCtl *ctl, GPtrArray *list)
{
    for (guint i = 0; i < list->len; i++)
        bp_ctl_print(ctl, "%s\n", ((BpListEntry *) g_ptr_array_index(list, i))->name);
}
