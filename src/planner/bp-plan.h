/*
 * bp-plan.h: what the planner returns — QMP transaction actions as small
 * C structs, grouped into a plan, and their JSON form.
 *
 * A plan is carried out in this order by whoever owns the monitor (the
 * planner itself never talks to QEMU):
 *
 *   1. for each node in @reopen: blockdev-reopen read-write;
 *   2. @before as one "transaction" (when not empty): the removal of a
 *      leftover temporary bitmap, or the step that must happen before a
 *      block job's job-complete (adding the active-write bitmap);
 *   3. @actions as one "transaction" (sent even when empty if the caller
 *      wants libvirt's exact traffic; skipping an empty one is fine);
 *   4. whatever the caller does with the result (read a bitmap's count,
 *      run the backup job, ...);
 *   5. @after as one "transaction" (when not empty): drop temporary
 *      bitmaps;
 *   6. for each node in @reopen, in the same order: blockdev-reopen
 *      read-only.
 *
 * The planners append to a plan and leave it untouched when they fail, so
 * several requests (one checkpoint for all disks plus one backup bitmap
 * per disk) end up in one transaction and share one point in time.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "util/bp-enum.h"

G_BEGIN_DECLS

typedef enum {
    BP_PLAN_ACTION_BITMAP_ADD,          /* block-dirty-bitmap-add */
    BP_PLAN_ACTION_BITMAP_REMOVE,       /* block-dirty-bitmap-remove */
    BP_PLAN_ACTION_BITMAP_MERGE,        /* block-dirty-bitmap-merge */
    BP_PLAN_ACTION_BLOCKDEV_SNAPSHOT,   /* blockdev-snapshot */

    BP_PLAN_ACTION_LAST
} BpPlanActionType;

/* A bitmap by node and name (a merge source). */
typedef struct {
    char *node;
    char *name;
} BpPlanBitmapRef;

typedef struct {
    BpPlanActionType type;
    char *node;             /* the node acted on (SNAPSHOT: the old top) */
    char *name;             /* ADD, REMOVE: the bitmap; MERGE: the target */
    gboolean persistent;    /* ADD */
    gboolean disabled;      /* ADD */
    guint64 granularity;    /* ADD: bytes, 0 = QEMU's default */
    GPtrArray *sources;     /* MERGE: BpPlanBitmapRef*, in merge order */
    char *overlay;          /* SNAPSHOT: the new top */
} BpPlanAction;

/* A temporary bitmap a plan creates: the caller reads it (size) or hands
 * it to a job (backup) and the plan's @after drops it. */
typedef struct {
    char *target;           /* disk target, e.g. "vda" */
    char *node;             /* node that holds it */
    char *name;
} BpPlanTmpBitmap;

typedef struct {
    GPtrArray *reopen;      /* char*: node names */
    GPtrArray *before;      /* BpPlanAction* */
    GPtrArray *actions;     /* BpPlanAction* */
    GPtrArray *after;       /* BpPlanAction* */
    GPtrArray *tmp_bitmaps; /* BpPlanTmpBitmap* */
} BpPlan;

/* The QMP action names: "block-dirty-bitmap-add", ... */
BP_ENUM_DECL(bp_plan_action_type);

BpPlanAction *bp_plan_action_bitmap_add(const char *node, const char *name,
                                        gboolean persistent, gboolean disabled,
                                        guint64 granularity);
BpPlanAction *bp_plan_action_bitmap_remove(const char *node, const char *name);
/* A merge into @target on @node with no sources yet; add them with
 * bp_plan_action_add_source(). */
BpPlanAction *bp_plan_action_bitmap_merge(const char *node, const char *target);
void bp_plan_action_add_source(BpPlanAction *merge, const char *node,
                               const char *name);
BpPlanAction *bp_plan_action_blockdev_snapshot(const char *node,
                                               const char *overlay);
BpPlanAction *bp_plan_action_copy(const BpPlanAction *action);
void bp_plan_action_free(BpPlanAction *action);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpPlanAction, bp_plan_action_free)

/*
 * The {"type": ..., "data": {...}} object for a "transaction", with the
 * members in the order libvirt sends them: bitmap-add always carries
 * "persistent" and "disabled" and carries "granularity" last and only when
 * set; every merge source is a {"node", "name"} object, even on the
 * target's own node.  (QEMU accepts the shorter forms that
 * bp_qmp_args_bitmap_add()/_merge() build just the same; the planner uses
 * this one so that its output compares byte for byte with libvirt's.)
 */
JsonObject *bp_plan_action_to_json(const BpPlanAction *action);
/* A JSON array of bp_plan_action_to_json() objects. */
JsonArray *bp_plan_actions_to_json(const GPtrArray *actions);

BpPlan *bp_plan_new(void);
void bp_plan_free(BpPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BpPlan, bp_plan_free)

/* TRUE when carrying out @plan would send nothing at all. */
gboolean bp_plan_is_empty(const BpPlan *plan);

/* Moves everything in @part to the end of @plan's lists (reopen entries
 * already in @plan are not repeated) and frees @part. */
void bp_plan_append(BpPlan *plan, BpPlan *part);

/*
 * The whole plan as one JSON object: {"reopen": [...], "before": [...],
 * "transaction": [...], "after": [...], "temporary-bitmaps": [...]},
 * where every member but "transaction" is left out when empty.
 */
JsonNode *bp_plan_to_json(const BpPlan *plan);

/*
 * @node printed the way Python's json.dumps(indent=2) prints it (which is
 * also how libvirt's test harness prints its expected outputs): two
 * spaces per level, ": " between key and value, "[]" and "{}" for empty
 * containers, non-ASCII escaped as \uXXXX.  Members in insertion order.
 * No trailing newline.
 */
char *bp_plan_json_pretty(JsonNode *node);

G_END_DECLS
