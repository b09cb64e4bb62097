/*
 * bp-buf.c: indented string buffer for XML output (see bp-buf.h).
 */
#include <config.h>

#include <string.h>

#include "bp-buf.h"


void
bp_buf_clear(BpBuf *buf)
{
    if (buf->str)
        g_string_free(buf->str, TRUE);
    buf->str = NULL;
}


void
bp_buf_init_child(BpBuf *child, const BpBuf *parent)
{
    child->str = NULL;
    child->indent = parent->indent + 2;
}


void
bp_buf_adjust_indent(BpBuf *buf, int delta)
{
    buf->indent = MAX(0, buf->indent + delta);
}


gboolean
bp_buf_is_empty(const BpBuf *buf)
{
    return !buf->str || buf->str->len == 0;
}


const char *
bp_buf_str(const BpBuf *buf)
{
    return buf->str ? buf->str->str : "";
}


char *
bp_buf_steal(BpBuf *buf)
{
    char *ret = buf->str ? g_string_free(buf->str, FALSE) : g_strdup("");

    buf->str = NULL;
    return ret;
}


static void
bp_buf_prepare(BpBuf *buf)
{
    if (!buf->str)
        buf->str = g_string_new(NULL);
    if (buf->indent > 0 &&
        (buf->str->len == 0 || buf->str->str[buf->str->len - 1] == '\n')) {
        for (int i = 0; i < buf->indent; i++)
            g_string_append_c(buf->str, ' ');
    }
}


void
bp_buf_add(BpBuf *buf, const char *text)
{
    if (!text || !*text)
        return;
    bp_buf_prepare(buf);
    g_string_append(buf->str, text);
}


void
bp_buf_addf(BpBuf *buf, const char *fmt, ...)
{
    va_list ap;

    bp_buf_prepare(buf);
    va_start(ap, fmt);
    g_string_append_vprintf(buf->str, fmt, ap);
    va_end(ap);
}


char *
bp_xml_escape(const char *str)
{
    GString *out = g_string_sized_new(strlen(str) + 8);

    for (const char *p = str; *p; p++) {
        switch (*p) {
        case '<': g_string_append(out, "&lt;"); break;
        case '>': g_string_append(out, "&gt;"); break;
        case '&': g_string_append(out, "&amp;"); break;
        case '"': g_string_append(out, "&quot;"); break;
        case '\'': g_string_append(out, "&apos;"); break;
        default:
            /* Control characters other than tab/newline/CR are not
             * allowed in XML 1.0 at all: drop them. */
            if ((unsigned char) *p < 0x20 &&
                *p != '\t' && *p != '\n' && *p != '\r')
                break;
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}


void
bp_buf_escape(BpBuf *buf, const char *fmt, const char *str)
{
    g_autofree char *esc = NULL;
    const char *pos;

    if (!str)
        return;
    esc = bp_xml_escape(str);
    pos = strstr(fmt, "%s");
    g_return_if_fail(pos != NULL);
    bp_buf_prepare(buf);
    g_string_append_len(buf->str, fmt, pos - fmt);
    g_string_append(buf->str, esc);
    g_string_append(buf->str, pos + 2);
}


void
bp_buf_add_buf(BpBuf *buf, const BpBuf *other)
{
    if (bp_buf_is_empty(other))
        return;
    if (!buf->str)
        buf->str = g_string_new(NULL);
    g_string_append(buf->str, other->str->str);
}


void
bp_xml_format_element(BpBuf *buf, const char *name,
                      BpBuf *attr, BpBuf *child)
{
    if (bp_buf_is_empty(attr) && (!child || bp_buf_is_empty(child)))
        goto cleanup;

    bp_buf_addf(buf, "<%s", name);
    bp_buf_add_buf(buf, attr);
    if (child && !bp_buf_is_empty(child)) {
        g_string_append(buf->str, ">\n");
        bp_buf_add_buf(buf, child);
        bp_buf_addf(buf, "</%s>\n", name);
    } else {
        g_string_append(buf->str, "/>\n");
    }

 cleanup:
    bp_buf_clear(attr);
    if (child)
        bp_buf_clear(child);
}
