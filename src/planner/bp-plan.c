/*
 * bp-plan.c: planned QMP actions, plans, and their JSON form.
 */
#include <config.h>

#include "bp-plan.h"
#include "qemu/bp-qmp-commands.h"

BP_ENUM_IMPL(bp_plan_action_type, BP_PLAN_ACTION_LAST,
             "block-dirty-bitmap-add",
             "block-dirty-bitmap-remove",
             "block-dirty-bitmap-merge",
             "blockdev-snapshot")


/* ---- actions ------------------------------------------------------------ */

static BpPlanBitmapRef *
bp_plan_bitmap_ref_new(const char *node, const char *name)
{
    BpPlanBitmapRef *ref = g_new0(BpPlanBitmapRef, 1);

    ref->node = g_strdup(node);
    ref->name = g_strdup(name);
    return ref;
}


static void
bp_plan_bitmap_ref_free(BpPlanBitmapRef *ref)
{
    if (!ref)
        return;
    g_free(ref->node);
    g_free(ref->name);
    g_free(ref);
}


static BpPlanAction *
bp_plan_action_new(BpPlanActionType type, const char *node, const char *name)
{
    BpPlanAction *action = g_new0(BpPlanAction, 1);

    action->type = type;
    action->node = g_strdup(node);
    action->name = g_strdup(name);
    return action;
}


BpPlanAction *
bp_plan_action_bitmap_add(const char *node, const char *name,
                          gboolean persistent, gboolean disabled,
                          guint64 granularity)
{
    BpPlanAction *action = bp_plan_action_new(BP_PLAN_ACTION_BITMAP_ADD, node, name);

    action->persistent = persistent;
    action->disabled = disabled;
    action->granularity = granularity;
    return action;
}


BpPlanAction *
bp_plan_action_bitmap_remove(const char *node, const char *name)
{
    return bp_plan_action_new(BP_PLAN_ACTION_BITMAP_REMOVE, node, name);
}


BpPlanAction *
bp_plan_action_bitmap_merge(const char *node, const char *target)
{
    BpPlanAction *action = bp_plan_action_new(BP_PLAN_ACTION_BITMAP_MERGE, node, target);

    action->sources = g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_bitmap_ref_free);
    return action;
}


void
bp_plan_action_add_source(BpPlanAction *merge, const char *node, const char *name)
{
    g_return_if_fail(merge->type == BP_PLAN_ACTION_BITMAP_MERGE);
    g_ptr_array_add(merge->sources, bp_plan_bitmap_ref_new(node, name));
}


BpPlanAction *
bp_plan_action_blockdev_snapshot(const char *node, const char *overlay)
{
    BpPlanAction *action = bp_plan_action_new(BP_PLAN_ACTION_BLOCKDEV_SNAPSHOT, node, NULL);

    action->overlay = g_strdup(overlay);
    return action;
}


BpPlanAction *
bp_plan_action_copy(const BpPlanAction *action)
{
    BpPlanAction *copy = bp_plan_action_new(action->type, action->node, action->name);

    copy->persistent = action->persistent;
    copy->disabled = action->disabled;
    copy->granularity = action->granularity;
    copy->overlay = g_strdup(action->overlay);
    if (action->sources) {
        copy->sources = g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_bitmap_ref_free);
        for (guint i = 0; i < action->sources->len; i++) {
            const BpPlanBitmapRef *ref = g_ptr_array_index(action->sources, i);

            g_ptr_array_add(copy->sources, bp_plan_bitmap_ref_new(ref->node, ref->name));
        }
    }
    return copy;
}


void
bp_plan_action_free(BpPlanAction *action)
{
    if (!action)
        return;
    g_free(action->node);
    g_free(action->name);
    if (action->sources)
        g_ptr_array_unref(action->sources);
    g_free(action->overlay);
    g_free(action);
}


JsonObject *
bp_plan_action_to_json(const BpPlanAction *action)
{
    JsonObject *data = NULL;

    switch (action->type) {
    case BP_PLAN_ACTION_BITMAP_ADD:
        data = json_object_new();
        json_object_set_string_member(data, "node", action->node);
        json_object_set_string_member(data, "name", action->name);
        json_object_set_boolean_member(data, "persistent", action->persistent);
        json_object_set_boolean_member(data, "disabled", action->disabled);
        if (action->granularity)
            json_object_set_int_member(data, "granularity", action->granularity);
        break;

    case BP_PLAN_ACTION_BITMAP_REMOVE:
        data = bp_qmp_args_bitmap(action->node, action->name);
        break;

    case BP_PLAN_ACTION_BITMAP_MERGE: {
        JsonArray *bitmaps = json_array_new();

        for (guint i = 0; i < action->sources->len; i++) {
            const BpPlanBitmapRef *ref = g_ptr_array_index(action->sources, i);

            json_array_add_object_element(bitmaps, bp_qmp_args_bitmap(ref->node, ref->name));
        }
        data = json_object_new();
        json_object_set_string_member(data, "node", action->node);
        json_object_set_string_member(data, "target", action->name);
        json_object_set_array_member(data, "bitmaps", bitmaps);
        break;
    }

    case BP_PLAN_ACTION_BLOCKDEV_SNAPSHOT:
        data = bp_qmp_args_blockdev_snapshot(action->node, action->overlay);
        break;

    case BP_PLAN_ACTION_LAST:
    default:
        g_return_val_if_reached(NULL);
    }
    return bp_qmp_action_new(bp_plan_action_type_to_string(action->type), data);
}


JsonArray *
bp_plan_actions_to_json(const GPtrArray *actions)
{
    JsonArray *array = json_array_new();

    for (guint i = 0; actions && i < actions->len; i++)
        json_array_add_object_element(array,
                                      bp_plan_action_to_json(g_ptr_array_index(actions, i)));
    return array;
}


/* ---- plans -------------------------------------------------------------- */

static void
bp_plan_tmp_bitmap_free(BpPlanTmpBitmap *tmp)
{
    if (!tmp)
        return;
    g_free(tmp->target);
    g_free(tmp->node);
    g_free(tmp->name);
    g_free(tmp);
}


BpPlan *
bp_plan_new(void)
{
    BpPlan *plan = g_new0(BpPlan, 1);

    plan->reopen = g_ptr_array_new_with_free_func(g_free);
    plan->before = g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_action_free);
    plan->actions = g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_action_free);
    plan->after = g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_action_free);
    plan->tmp_bitmaps = g_ptr_array_new_with_free_func((GDestroyNotify) bp_plan_tmp_bitmap_free);
    return plan;
}


void
bp_plan_free(BpPlan *plan)
{
    if (!plan)
        return;
    g_ptr_array_unref(plan->reopen);
    g_ptr_array_unref(plan->before);
    g_ptr_array_unref(plan->actions);
    g_ptr_array_unref(plan->after);
    g_ptr_array_unref(plan->tmp_bitmaps);
    g_free(plan);
}


gboolean
bp_plan_is_empty(const BpPlan *plan)
{
    return plan->reopen->len == 0 && plan->before->len == 0 &&
        plan->actions->len == 0 && plan->after->len == 0;
}


/* Moves the elements of @from to the end of @to; @from ends up empty. */
static void
bp_plan_move(GPtrArray *to, GPtrArray *from)
{
    for (guint i = 0; i < from->len; i++)
        g_ptr_array_add(to, g_ptr_array_index(from, i));
    g_ptr_array_set_free_func(from, NULL);
    g_ptr_array_set_size(from, 0);
}


void
bp_plan_append(BpPlan *plan, BpPlan *part)
{
    for (guint i = 0; i < part->reopen->len; i++) {
        const char *node = g_ptr_array_index(part->reopen, i);

        if (!g_ptr_array_find_with_equal_func(plan->reopen, node, g_str_equal, NULL))
            g_ptr_array_add(plan->reopen, g_strdup(node));
    }
    bp_plan_move(plan->before, part->before);
    bp_plan_move(plan->actions, part->actions);
    bp_plan_move(plan->after, part->after);
    bp_plan_move(plan->tmp_bitmaps, part->tmp_bitmaps);
    bp_plan_free(part);
}


JsonNode *
bp_plan_to_json(const BpPlan *plan)
{
    JsonObject *obj = json_object_new();
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);

    if (plan->reopen->len) {
        JsonArray *reopen = json_array_new();

        for (guint i = 0; i < plan->reopen->len; i++)
            json_array_add_string_element(reopen, g_ptr_array_index(plan->reopen, i));
        json_object_set_array_member(obj, "reopen", reopen);
    }
    if (plan->before->len)
        json_object_set_array_member(obj, "before", bp_plan_actions_to_json(plan->before));
    json_object_set_array_member(obj, "transaction", bp_plan_actions_to_json(plan->actions));
    if (plan->after->len)
        json_object_set_array_member(obj, "after", bp_plan_actions_to_json(plan->after));
    if (plan->tmp_bitmaps->len) {
        JsonArray *tmps = json_array_new();

        for (guint i = 0; i < plan->tmp_bitmaps->len; i++) {
            const BpPlanTmpBitmap *tmp = g_ptr_array_index(plan->tmp_bitmaps, i);
            JsonObject *t = json_object_new();

            json_object_set_string_member(t, "target", tmp->target);
            json_object_set_string_member(t, "node", tmp->node);
            json_object_set_string_member(t, "name", tmp->name);
            json_array_add_object_element(tmps, t);
        }
        json_object_set_array_member(obj, "temporary-bitmaps", tmps);
    }
    json_node_take_object(node, obj);
    return node;
}


/* ---- printing ----------------------------------------------------------- */

static void
bp_json_escape(GString *out, const char *str)
{
    const char *p;

    g_string_append_c(out, '"');
    for (p = str; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        switch (c) {
        case '"': g_string_append(out, "\\\""); break;
        case '\\': g_string_append(out, "\\\\"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        case '\b': g_string_append(out, "\\b"); break;
        case '\f': g_string_append(out, "\\f"); break;
        default:
            if (c < 0x20 || (c >= 0x7f && c < 0x10000)) {
                g_string_append_printf(out, "\\u%04x", c);
            } else if (c >= 0x10000) {
                gunichar v = c - 0x10000;

                g_string_append_printf(out, "\\u%04x\\u%04x",
                                       0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
            } else {
                g_string_append_c(out, (char) c);
            }
        }
    }
    g_string_append_c(out, '"');
}


static void
bp_json_indent(GString *out, guint level)
{
    g_string_append_c(out, '\n');
    for (guint i = 0; i < level; i++)
        g_string_append(out, "  ");
}


static void
bp_json_print(GString *out, JsonNode *node, guint level)
{
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT: {
        JsonObject *obj = json_node_get_object(node);
        g_autoptr(GList) members = json_object_get_members(obj);

        if (!members) {
            g_string_append(out, "{}");
            return;
        }
        g_string_append_c(out, '{');
        for (GList *l = members; l; l = l->next) {
            bp_json_indent(out, level + 1);
            bp_json_escape(out, l->data);
            g_string_append(out, ": ");
            bp_json_print(out, json_object_get_member(obj, l->data), level + 1);
            if (l->next)
                g_string_append_c(out, ',');
        }
        bp_json_indent(out, level);
        g_string_append_c(out, '}');
        return;
    }

    case JSON_NODE_ARRAY: {
        JsonArray *array = json_node_get_array(node);
        guint len = json_array_get_length(array);

        if (len == 0) {
            g_string_append(out, "[]");
            return;
        }
        g_string_append_c(out, '[');
        for (guint i = 0; i < len; i++) {
            bp_json_indent(out, level + 1);
            bp_json_print(out, json_array_get_element(array, i), level + 1);
            if (i + 1 < len)
                g_string_append_c(out, ',');
        }
        bp_json_indent(out, level);
        g_string_append_c(out, ']');
        return;
    }

    case JSON_NODE_NULL:
        g_string_append(out, "null");
        return;

    case JSON_NODE_VALUE:
        switch (json_node_get_value_type(node)) {
        case G_TYPE_STRING:
            bp_json_escape(out, json_node_get_string(node));
            return;
        case G_TYPE_BOOLEAN:
            g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
            return;
        case G_TYPE_DOUBLE: {
            char buf[G_ASCII_DTOSTR_BUF_SIZE];

            g_string_append(out, g_ascii_dtostr(buf, sizeof(buf), json_node_get_double(node)));
            return;
        }
        default:
            g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
            return;
        }
    }
}


char *
bp_plan_json_pretty(JsonNode *node)
{
    GString *out = g_string_new(NULL);

    bp_json_print(out, node, 0);
    return g_string_free(out, FALSE);
}
