/*
 * blkpoint-output.c: tables, aligned fields and JSON (see
 * blkpoint-output.h for the layout rules).
 */
#include <config.h>

#include <stdarg.h>
#include <string.h>

#include "blkpoint-output.h"


struct _BpTable {
    guint ncols;
    GPtrArray *rows;   /* of GStrv; rows[0] is the header */
};


/*
 * Returns @str made safe for a terminal, and its width in display
 * columns in @width: control characters and bytes that are not UTF-8
 * become "\xNN" (4 columns), wide characters count 2, combining marks 0.
 */
char *
bp_display_escape(const char *str, size_t *width)
{
    GString *out = g_string_new(NULL);
    const char *p = str ? str : "";
    const char *end = p + strlen(p);

    *width = 0;
    while (p < end) {
        gunichar c = g_utf8_get_char_validated(p, end - p);

        if (c == (gunichar) -1 || c == (gunichar) -2 || g_unichar_iscntrl(c)) {
            /* One byte at a time for invalid input; a control character
             * is one byte in UTF-8 except the C1 controls (two). */
            size_t len = (c == (gunichar) -1 || c == (gunichar) -2) ? 1
                         : (size_t) (g_utf8_next_char(p) - p);

            for (size_t i = 0; i < len; i++) {
                g_string_append_printf(out, "\\x%02x", (guchar) p[i]);
                *width += 4;
            }
            p += len;
            continue;
        }
        g_string_append_len(out, p, g_utf8_next_char(p) - p);
        if (g_unichar_iszerowidth(c))
            ;
        else if (g_unichar_iswide(c))
            *width += 2;
        else
            *width += 1;
        p = g_utf8_next_char(p);
    }
    return g_string_free(out, FALSE);
}


static GStrv
bp_table_collect(const char *first, va_list ap)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();

    for (const char *cell = first; cell; cell = va_arg(ap, const char *))
        g_strv_builder_add(b, cell);
    return g_strv_builder_end(b);
}


/* A new table with the given column headers (already translated),
 * terminated by NULL. */
BpTable *
bp_table_new(const char *header, ...)
{
    BpTable *table = g_new0(BpTable, 1);
    va_list ap;
    GStrv row;

    va_start(ap, header);
    row = bp_table_collect(header, ap);
    va_end(ap);

    table->ncols = g_strv_length(row);
    table->rows = g_ptr_array_new_with_free_func((GDestroyNotify) g_strfreev);
    g_ptr_array_add(table->rows, row);
    return table;
}


/* Appends a row; it must have as many cells as the table has columns (a
 * programming error otherwise).  NULL cells are not allowed; use "-". */
void
bp_table_add_row(BpTable *table, const char *cell, ...)
{
    va_list ap;
    GStrv row;

    va_start(ap, cell);
    row = bp_table_collect(cell, ap);
    va_end(ap);

    g_assert(g_strv_length(row) == table->ncols);
    g_ptr_array_add(table->rows, row);
}


void
bp_table_free(BpTable *table)
{
    if (!table)
        return;
    g_ptr_array_unref(table->rows);
    g_free(table);
}


/* Returns the table laid out as text, one line per row; with @header the
 * header line and the dashed line come first. */
char *
bp_table_format(BpTable *table, gboolean header)
{
    GString *out = g_string_new(NULL);
    guint nrows = table->rows->len;
    g_autofree size_t *maxw = g_new0(size_t, table->ncols);
    g_autofree size_t *widths = g_new0(size_t, (gsize) nrows * table->ncols);
    g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);

    /* Escape every cell once and measure it. */
    for (guint r = 0; r < nrows; r++) {
        GStrv row = g_ptr_array_index(table->rows, r);

        for (guint c = 0; c < table->ncols; c++) {
            size_t w;

            g_ptr_array_add(cells, bp_display_escape(row[c], &w));
            widths[r * table->ncols + c] = w;
            /* The header counts for the widths only when printed. */
            if ((r > 0 || header) && w > maxw[c])
                maxw[c] = w;
        }
    }

    for (guint r = header ? 0 : 1; r < nrows; r++) {
        for (guint c = 0; c < table->ncols; c++) {
            g_string_append_c(out, ' ');
            g_string_append(out, g_ptr_array_index(cells, r * table->ncols + c));
            if (c + 1 < table->ncols) {
                size_t pad = maxw[c] - widths[r * table->ncols + c] + 2;

                for (size_t i = 0; i < pad; i++)
                    g_string_append_c(out, ' ');
            }
        }
        g_string_append_c(out, '\n');

        if (r == 0) {
            for (guint c = 0; c < table->ncols; c++) {
                for (size_t i = 0; i < maxw[c] + 3; i++)
                    g_string_append_c(out, '-');
            }
            g_string_append_c(out, '\n');
        }
    }
    return g_string_free(out, FALSE);
}


/* One "Label:         value" line: @label (translated, with its colon)
 * padded to BP_FIELD_WIDTH display columns, a space, @value, newline.  A
 * longer label pushes the value right, as printf("%-15s %s") does. */
char *
bp_field_format(const char *label, const char *value)
{
    size_t width, vwidth;
    g_autofree char *lab = bp_display_escape(label, &width);
    g_autofree char *val = bp_display_escape(value, &vwidth);
    GString *out = g_string_new(lab);

    for (; width < BP_FIELD_WIDTH; width++)
        g_string_append_c(out, ' ');
    g_string_append_printf(out, " %s\n", val);
    return g_string_free(out, FALSE);
}


/* @node as indented JSON text with a final newline. */
char *
bp_json_format(JsonNode *node)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autofree char *text = NULL;

    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    json_generator_set_root(gen, node);
    text = json_generator_to_data(gen, NULL);
    return g_strconcat(text, "\n", NULL);
}


/* Draws the node @id and, below it, its descendants (the nodes whose
 * parent is its name, in table order); @last is the index of the last
 * child of @id's parent (@id itself for a root).  @indent is what every
 * line of this subtree starts with; it is restored before returning. */
static void
bp_tree_node(GString *out, GString *indent, const char *const *names,
             const char *const *parents, guint n, guint id, guint last,
             gboolean root, guint depth)
{
    gint last_child = -1;

    g_string_append_printf(out, "%s%s%s\n", indent->str, root ? "" : "+- ",
                           names[id]);
    if (!root)
        g_string_append(indent, id == last ? "  " : "| ");

    /* A loop in the parents would never end: no tree is deeper than the
     * number of its nodes. */
    for (guint i = 0; i < n && depth < n; i++) {
        if (parents[i] && g_str_equal(parents[i], names[id]))
            last_child = (gint) i;
    }
    if (last_child >= 0)
        g_string_append_printf(out, "%s  |\n", indent->str);

    g_string_append(indent, "  ");
    for (guint i = 0; last_child >= 0 && i < n; i++) {
        if (parents[i] && g_str_equal(parents[i], names[id]))
            bp_tree_node(out, indent, names, parents, n, i, last_child,
                         FALSE, depth + 1);
    }
    g_string_truncate(indent, indent->len - 2);

    /* The last leaf of a branch is followed by an (indented) empty line. */
    if (last_child < 0 && id == last)
        g_string_append_printf(out, "%s\n", indent->str);
    if (!root)
        g_string_truncate(indent, indent->len - 2);
}


/*
 * Draws the forest of @n nodes: @names[i] is a node's name and
 * @parents[i] its parent's name, NULL for a root.  Each root is drawn in
 * table order, with its children in table order below it (see the
 * header for the layout).  Returns the text, newly allocated.
 */
char *
bp_tree_format(const char *const *names, const char *const *parents, guint n)
{
    GString *out = g_string_new(NULL);
    g_autoptr(GString) indent = g_string_new(NULL);

    for (guint i = 0; i < n; i++) {
        if (!parents[i])
            bp_tree_node(out, indent, names, parents, n, i, i, TRUE, 0);
    }
    return g_string_free(out, FALSE);
}
