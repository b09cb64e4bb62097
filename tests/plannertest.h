/*
 * plannertest.h: reading planner test inputs (tests/plannerdata/).
 *
 * A graph file is a JSON object:
 *   "comment": string or array of strings (ignored),
 *   "nodes": query-named-block-nodes entries ("node-name", "drv", "ro",
 *            "file", "image", "dirty-bitmaps") with one extra member,
 *            "backing": the node name of the layer below, if any,
 *   "disks": [{"target": "vda", "top": "<node-name>"}, ...].
 * The nodes go through the real parser (bp_block_graph_parse) together
 * with an x-debug-query-block-graph reply made from the "backing" links.
 *
 * A catalogue is an array of checkpoints, parents first:
 *   {"name": "c2", "parent": "c1" or null,
 *    "disks": [{"target": "vda", "bitmap": "c2" or null,
 *               "granularity": 65536 (optional)}, ...]}
 */
#pragma once

#include <json-glib/json-glib.h>

#include "planner/bp-planner.h"

/* Parses the JSON file @path; fails the test when it cannot. */
JsonNode *plannertest_load_json(const char *path);

BpBlockGraph *plannertest_graph_from_json(JsonObject *doc, GError **error);
/* The graph file tests/plannerdata/@name.json. */
BpBlockGraph *plannertest_load_graph(const char *name);

BpPlanCheckpoint *plannertest_checkpoint_from_json(JsonObject *obj);
BpPlanCatalogue *plannertest_catalogue_from_json(JsonArray *array);

/* "CheckpointInconsistent: <message>" (the D-Bus error name's last part). */
char *plannertest_format_error(const GError *error);

/* Compares @actual with the corpus file @relpath byte for byte (never
 * rewrites it); skips when the corpus is absent.  Returns FALSE when the
 * file does not exist, so callers can tell "no upstream file". */
gboolean plannertest_compare_corpus(const char *actual, const char *relpath);
