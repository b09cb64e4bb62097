/*
 * bp-xml.h: libxml2 helpers — safe parsing, RelaxNG validation, XPath
 * lookups and error reporting with line numbers.
 *
 * Every document blkpoint accepts goes through bp_xml_parse(): no network,
 * no external entities, and (unless the caller opts out for internal
 * documents) validation against the named schema in BP_SCHEMA_DIR
 * (default $(pkgdatadir)/schemas).
 */
#pragma once

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)

/* Where the RelaxNG schemas are: $BP_SCHEMA_DIR or the installed folder. */
const char *bp_xml_schema_dir(void);

/*
 * Parses @xml (a NUL-terminated document) whose root must be @root.
 * @what names the document in messages (e.g. "domainbackup").  When
 * @schema is non-NULL (e.g. "domainbackup.rng") the document is validated
 * against it.  On success returns the document and, if @ctxt is given, an
 * XPath context whose node is the root element.  On failure returns NULL
 * with BP_ERROR_XML_SYNTAX (with the line) or BP_ERROR_XML_INVALID (with
 * the line of the first offending element).
 */
xmlDoc *bp_xml_parse(const char *xml,
                     const char *what,
                     const char *root,
                     const char *schema,
                     xmlXPathContext **ctxt,
                     GError **error);

/* Validates @doc against @schema (a file name in bp_xml_schema_dir()). */
gboolean bp_xml_validate(xmlDoc *doc,
                         const char *what,
                         const char *schema,
                         GError **error);

/* XPath lookups relative to ctxt->node.  _string returns a newly allocated
 * string or NULL when the result is empty; _node the first match or NULL;
 * _nodes the number of matches (filling *list with a g_free-able array,
 * NULL when there is none) or -1 on an invalid expression. */
char *bp_xpath_string(const char *expr, xmlXPathContext *ctxt);
xmlNode *bp_xpath_node(const char *expr, xmlXPathContext *ctxt);
int bp_xpath_nodes(const char *expr, xmlXPathContext *ctxt, xmlNode ***list);

/* Attribute @name of @node as a newly allocated string, or NULL. */
char *bp_xml_prop(xmlNode *node, const char *name);

/* The text content of @node (newly allocated; NULL when empty). */
char *bp_xml_content(xmlNode *node);

/* Serialises @node and its children in libvirt's canonical layout
 * (2-space indentation starting at @indent, single-quoted attributes,
 * blank text and comments dropped), so that parts of a document we do not
 * model (e.g. the rest of a full libvirt <domain>) are printed back
 * unchanged. */
char *bp_xml_node_dump(xmlNode *node, int indent);

/* Sets @error to BP_ERROR/@code with the formatted message followed by
 * " (line N)" when @node carries a line number. */
void bp_xml_set_error(GError **error, int code, xmlNode *node,
                      const char *fmt, ...) G_GNUC_PRINTF(4, 5);

/* Saves ctxt->node and puts it back at the end of the enclosing scope. */
typedef struct {
    xmlXPathContext *ctxt;
    xmlNode *node;
} BpXPathNodeRestore;
void bp_xpath_node_restore(BpXPathNodeRestore *r);
#define BP_XPATH_NODE_AUTORESTORE(_ctxt) \
    G_GNUC_UNUSED __attribute__((cleanup(bp_xpath_node_restore))) \
    BpXPathNodeRestore _bp_ctxt_restore = { (_ctxt), (_ctxt)->node }

G_END_DECLS
