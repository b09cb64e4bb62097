/*
 * bp-buf.h: a GString with indentation, for formatting XML the way
 * libvirt prints it (2-space steps, single quotes, empty elements elided).
 *
 *   BpBuf attr = BP_BUF_INIT, child = BP_BUF_INIT;
 *   bp_buf_init_child(&child, buf);
 *   bp_buf_escape(&attr, " name='%s'", disk->name);
 *   bp_buf_addf(&child, "<driver type='%s'/>\n", fmt);
 *   bp_xml_format_element(buf, "disk", &attr, &child);
 *
 * Text added at the start of a line is prefixed with the current
 * indentation.  Attribute buffers are written on the element's line.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    GString *str;   /* NULL until something is added */
    int indent;     /* spaces added at the start of each line */
} BpBuf;

#define BP_BUF_INIT { NULL, 0 }

void bp_buf_clear(BpBuf *buf);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BpBuf, bp_buf_clear)

/* Makes @child an empty buffer indented one step more than @parent. */
void bp_buf_init_child(BpBuf *child, const BpBuf *parent);
void bp_buf_adjust_indent(BpBuf *buf, int delta);
gboolean bp_buf_is_empty(const BpBuf *buf);
const char *bp_buf_str(const BpBuf *buf);
/* Returns the content (never NULL) and empties @buf. */
char *bp_buf_steal(BpBuf *buf);

void bp_buf_add(BpBuf *buf, const char *text);
void bp_buf_addf(BpBuf *buf, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Adds @fmt with its single %s replaced by @str escaped for XML; does
 * nothing when @str is NULL. */
void bp_buf_escape(BpBuf *buf, const char *fmt, const char *str);
/* Appends @other verbatim (its own indentation is kept). */
void bp_buf_add_buf(BpBuf *buf, const BpBuf *other);

/* Writes <name attr/> or <name attr>\n child</name>, or nothing when both
 * buffers are empty; clears both buffers. */
void bp_xml_format_element(BpBuf *buf, const char *name,
                           BpBuf *attr, BpBuf *child);

/* Escapes @str for use in XML text or a quoted attribute value. */
char *bp_xml_escape(const char *str);

G_END_DECLS
