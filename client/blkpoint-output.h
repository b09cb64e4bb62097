/*
 * blkpoint-output.h: how the client lays out what it prints.
 *
 * Tables are laid out as virsh lays them out: every cell preceded by one
 * space, columns padded to their widest cell plus two spaces, a dashed
 * line of (width + 3) per column under the header, no header in quiet
 * mode.  Widths are display columns, so translated headers and names in
 * any script line up; control characters are shown as \xNN.
 *
 * Key/value output ("dominfo") pads the label to 15 display columns and
 * puts one space before the value, as virsh's "%-15s %s" does.
 *
 * Trees ("checkpoint-list --tree") are drawn as virsh's vshTreePrint
 * draws them: a root at the left margin, each child on a line of its
 * own as "+- NAME" under a "|" line, "|" connecting later siblings, and
 * an empty (indented) line after the last leaf of each branch.
 *
 * JSON is printed with json-glib, indented by two spaces, one document
 * per command.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _BpTable BpTable;

BpTable *bp_table_new(const char *header, ...) G_GNUC_NULL_TERMINATED;
void bp_table_add_row(BpTable *table, const char *cell, ...)
    G_GNUC_NULL_TERMINATED;
char *bp_table_format(BpTable *table, gboolean header);
void bp_table_free(BpTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpTable, bp_table_free)

#define BP_FIELD_WIDTH 15

char *bp_field_format(const char *label, const char *value);

char *bp_display_escape(const char *str, size_t *width);

char *bp_json_format(JsonNode *node);

char *bp_tree_format(const char *const *names, const char *const *parents,
                     guint n);

G_END_DECLS
