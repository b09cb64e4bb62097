/*
 * bp-xml.c: libxml2 helpers (see bp-xml.h).
 */
#include <config.h>

#include <libxml/relaxng.h>
#include <libxml/xmlsave.h>

#include "bp-error.h"
#include "bp-i18n.h"
#include "bp-buf.h"
#include "bp-xml.h"

/* Parsed schemas, keyed by file name; parsed once per process. */
static GMutex schema_lock;
static GHashTable *schema_cache;


const char *
bp_xml_schema_dir(void)
{
    const char *dir = g_getenv("BP_SCHEMA_DIR");

    return dir && *dir ? dir : PKGDATADIR "/schemas";
}


static void
bp_xml_collect_error(void *data, xmlError *err)
{
    GString *msg = data;
    g_autofree char *text = NULL;

    if (!err || !err->message)
        return;
    /* Only the first few: the rest are usually consequences. */
    if (msg->len > 2048)
        return;
    text = g_strchomp(g_strdup(err->message));
    if (msg->len)
        g_string_append(msg, "; ");
    if (err->line > 0)
        g_string_append_printf(msg, _("line %d: %s"), err->line, text);
    else
        g_string_append(msg, text);
}


/* Returns the cached parsed schema @schema, parsing it on first use. */
static xmlRelaxNG *
bp_xml_get_schema(const char *schema, GError **error)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&schema_lock);
    g_autofree char *path = NULL;
    g_autoptr(GString) msg = g_string_new(NULL);
    xmlRelaxNGParserCtxt *pctxt;
    xmlRelaxNG *rng;

    if (!schema_cache)
        schema_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) xmlRelaxNGFree);
    if ((rng = g_hash_table_lookup(schema_cache, schema)))
        return rng;

    path = g_build_filename(bp_xml_schema_dir(), schema, NULL);
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, BP_ERROR, BP_ERROR_FAILED,
                    _("schema '%s' not found (set BP_SCHEMA_DIR?)"), path);
        return NULL;
    }
    pctxt = xmlRelaxNGNewParserCtxt(path);
    xmlRelaxNGSetParserStructuredErrors(pctxt, bp_xml_collect_error, msg);
    rng = xmlRelaxNGParse(pctxt);
    xmlRelaxNGFreeParserCtxt(pctxt);
    if (!rng) {
        g_set_error(error, BP_ERROR, BP_ERROR_FAILED,
                    _("unable to parse schema '%s': %s"), path, msg->str);
        return NULL;
    }
    g_hash_table_insert(schema_cache, g_strdup(schema), rng);
    return rng;
}


gboolean
bp_xml_validate(xmlDoc *doc,
                const char *what,
                const char *schema,
                GError **error)
{
    g_autoptr(GString) msg = g_string_new(NULL);
    xmlRelaxNGValidCtxt *vctxt;
    xmlRelaxNG *rng;
    int rc;

    if (!(rng = bp_xml_get_schema(schema, error)))
        return FALSE;

    vctxt = xmlRelaxNGNewValidCtxt(rng);
    xmlRelaxNGSetValidStructuredErrors(vctxt, bp_xml_collect_error, msg);
    rc = xmlRelaxNGValidateDoc(vctxt, doc);
    xmlRelaxNGFreeValidCtxt(vctxt);
    if (rc != 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_XML_INVALID,
                    _("%s document does not conform to schema '%s': %s"),
                    what, schema,
                    msg->len ? msg->str : _("unknown validation error"));
        return FALSE;
    }
    return TRUE;
}


typedef struct {
    int line;
    char *message;
} BpXmlFirstError;


static void
bp_xml_first_error(void *data, xmlError *err)
{
    BpXmlFirstError *first = data;

    if (first->message || !err || !err->message)
        return;
    first->line = err->line;
    first->message = g_strchomp(g_strdup(err->message));
}


xmlDoc *
bp_xml_parse(const char *xml,
             const char *what,
             const char *root,
             const char *schema,
             xmlXPathContext **ctxt,
             GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    xmlParserCtxt *pctxt;
    BpXmlFirstError first = { 0, NULL };
    xmlNode *top;
    size_t len;

    if (!xml || !*xml) {
        g_set_error(error, BP_ERROR, BP_ERROR_XML_SYNTAX,
                    _("%s document is empty"), what);
        return NULL;
    }
    len = strlen(xml);
    if (len > G_MAXINT) {
        g_set_error(error, BP_ERROR, BP_ERROR_XML_SYNTAX,
                    _("%s document is too large"), what);
        return NULL;
    }

    if (!(pctxt = xmlNewParserCtxt()))
        g_error("out of memory");
    /* No network access, no entity expansion into the tree, no stderr
     * noise: the first error is captured (libxml2's error globals are
     * per thread). */
    xmlSetStructuredErrorFunc(&first, bp_xml_first_error);
    doc = xmlCtxtReadMemory(pctxt, xml, (int) len, NULL, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (!doc || !pctxt->wellFormed) {
        g_set_error(error, BP_ERROR, BP_ERROR_XML_SYNTAX,
                    _("malformed %s document: line %d: %s"),
                    what, first.line,
                    first.message ? first.message : _("unknown error"));
        g_free(first.message);
        xmlFreeParserCtxt(pctxt);
        return NULL;
    }
    g_free(first.message);
    xmlFreeParserCtxt(pctxt);

    top = xmlDocGetRootElement(doc);
    if (!top || !xmlStrEqual(top->name, BAD_CAST root)) {
        g_set_error(error, BP_ERROR, BP_ERROR_XML_INVALID,
                    _("expecting root element <%s> in %s document, found <%s>"),
                    root, what, top ? (const char *) top->name : "");
        return NULL;
    }

    if (schema && !bp_xml_validate(doc, what, schema, error))
        return NULL;

    if (ctxt) {
        if (!(*ctxt = xmlXPathNewContext(doc)))
            g_error("out of memory");
        (*ctxt)->node = top;
    }
    return g_steal_pointer(&doc);
}


char *
bp_xpath_string(const char *expr, xmlXPathContext *ctxt)
{
    g_autoptr(xmlXPathObject) obj = NULL;
    g_autofree char *full = g_strdup_printf("string(%s)", expr);

    obj = xmlXPathEval(BAD_CAST full, ctxt);
    if (!obj || obj->type != XPATH_STRING || !obj->stringval ||
        !obj->stringval[0])
        return NULL;
    return g_strdup((const char *) obj->stringval);
}


xmlNode *
bp_xpath_node(const char *expr, xmlXPathContext *ctxt)
{
    g_autoptr(xmlXPathObject) obj = xmlXPathEval(BAD_CAST expr, ctxt);

    if (!obj || obj->type != XPATH_NODESET || !obj->nodesetval ||
        obj->nodesetval->nodeNr <= 0)
        return NULL;
    return obj->nodesetval->nodeTab[0];
}


int
bp_xpath_nodes(const char *expr, xmlXPathContext *ctxt, xmlNode ***list)
{
    g_autoptr(xmlXPathObject) obj = xmlXPathEval(BAD_CAST expr, ctxt);
    int n;

    if (list)
        *list = NULL;
    if (!obj || obj->type != XPATH_NODESET)
        return -1;
    if (!obj->nodesetval || obj->nodesetval->nodeNr <= 0)
        return 0;
    n = obj->nodesetval->nodeNr;
    if (list) {
        *list = g_new0(xmlNode *, n);
        memcpy(*list, obj->nodesetval->nodeTab, n * sizeof(xmlNode *));
    }
    return n;
}


char *
bp_xml_prop(xmlNode *node, const char *name)
{
    xmlChar *val = xmlGetNoNsProp(node, BAD_CAST name);
    char *ret;

    if (!val)
        return NULL;
    ret = g_strdup((const char *) val);
    xmlFree(val);
    return ret;
}


char *
bp_xml_content(xmlNode *node)
{
    xmlChar *val = xmlNodeGetContent(node);
    char *ret = NULL;

    if (val && val[0])
        ret = g_strdup((const char *) val);
    xmlFree(val);
    return ret;
}


static gboolean
bp_xml_is_blank(xmlNode *node)
{
    return (node->type == XML_TEXT_NODE && xmlIsBlankNode(node)) ||
           node->type == XML_COMMENT_NODE;
}


/* Appends the attributes and then the namespace declarations of @node,
 * each single-quoted and escaped: libvirt prints a root's own attributes
 * (type=, id=) before its xmlns:qemu=..., unlike libxml2. */
static void
bp_xml_dump_attributes(GString *out, xmlNode *node)
{
    for (xmlAttr *a = node->properties; a; a = a->next) {
        xmlChar *val = xmlNodeListGetString(node->doc, a->children, 1);
        g_autofree char *esc = bp_xml_escape(val ? (const char *) val : "");

        xmlFree(val);
        g_string_append_c(out, ' ');
        if (a->ns && a->ns->prefix)
            g_string_append_printf(out, "%s:", (const char *) a->ns->prefix);
        g_string_append_printf(out, "%s='%s'", (const char *) a->name, esc);
    }
    for (xmlNs *ns = node->nsDef; ns; ns = ns->next) {
        g_autofree char *href = bp_xml_escape((const char *) ns->href);

        if (ns->prefix)
            g_string_append_printf(out, " xmlns:%s='%s'",
                                   (const char *) ns->prefix, href);
        else
            g_string_append_printf(out, " xmlns='%s'", href);
    }
}


/* Prints @node with every text node exactly as parsed and no layout
 * whitespace added: used for mixed content, where re-indenting would
 * change the text. */
static void
bp_xml_node_dump_inline(GString *out, xmlNode *node)
{
    g_autofree char *tag = NULL;

    if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
        g_autofree char *esc = bp_xml_escape((const char *) node->content);

        g_string_append(out, esc);
        return;
    }
    if (node->type != XML_ELEMENT_NODE)
        return;
    tag = node->ns && node->ns->prefix
        ? g_strdup_printf("%s:%s", (const char *) node->ns->prefix,
                          (const char *) node->name)
        : g_strdup((const char *) node->name);
    g_string_append_printf(out, "<%s", tag);
    bp_xml_dump_attributes(out, node);
    if (!node->children) {
        g_string_append(out, "/>");
        return;
    }
    g_string_append_c(out, '>');
    for (xmlNode *c = node->children; c; c = c->next)
        bp_xml_node_dump_inline(out, c);
    g_string_append_printf(out, "</%s>", tag);
}


static void
bp_xml_node_dump_one(GString *out, xmlNode *node, int indent)
{
    gboolean has_elements = FALSE;
    gboolean has_text = FALSE;

    for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            has_elements = TRUE;
        else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
                 !bp_xml_is_blank(c))
            has_text = TRUE;
    }
    if (has_elements && has_text) {
        g_string_append_printf(out, "%*s", indent, "");
        bp_xml_node_dump_inline(out, node);
        g_string_append_c(out, '\n');
        return;
    }

    g_string_append_printf(out, "%*s<", indent, "");
    if (node->ns && node->ns->prefix)
        g_string_append_printf(out, "%s:", (const char *) node->ns->prefix);
    g_string_append(out, (const char *) node->name);
    bp_xml_dump_attributes(out, node);

    if (!has_elements && !has_text) {
        g_string_append(out, "/>\n");
        return;
    }
    if (!has_elements) {
        xmlChar *text = xmlNodeGetContent(node);
        g_autofree char *esc = bp_xml_escape((const char *) text);

        xmlFree(text);
        g_string_append_printf(out, ">%s</", esc);
    } else {
        g_string_append(out, ">\n");
        for (xmlNode *c = node->children; c; c = c->next) {
            if (c->type == XML_ELEMENT_NODE) {
                bp_xml_node_dump_one(out, c, indent + 2);
            } else if ((c->type == XML_TEXT_NODE ||
                        c->type == XML_CDATA_SECTION_NODE) &&
                       !bp_xml_is_blank(c)) {
                g_autofree char *trimmed = g_strstrip(g_strdup((const char *) c->content));
                g_autofree char *esc = bp_xml_escape(trimmed);

                g_string_append_printf(out, "%*s%s\n", indent + 2, "", esc);
            }
        }
        g_string_append_printf(out, "%*s</", indent, "");
    }
    if (node->ns && node->ns->prefix)
        g_string_append_printf(out, "%s:", (const char *) node->ns->prefix);
    g_string_append_printf(out, "%s>\n", (const char *) node->name);
}


char *
bp_xml_node_dump(xmlNode *node, int indent)
{
    GString *out = g_string_new(NULL);

    bp_xml_node_dump_one(out, node, indent);
    return g_string_free(out, FALSE);
}


void
bp_xml_set_error(GError **error, int code, xmlNode *node,
                 const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;
    long line = node ? xmlGetLineNo(node) : -1;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (line > 0)
        g_set_error(error, BP_ERROR, code, _("%s (line %ld)"), msg, line);
    else
        g_set_error_literal(error, BP_ERROR, code, msg);
}


void
bp_xpath_node_restore(BpXPathNodeRestore *r)
{
    if (r->ctxt)
        r->ctxt->node = r->node;
}
