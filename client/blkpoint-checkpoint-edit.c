/*
 * blkpoint-checkpoint-edit.c: checkpoint-edit, as virsh's: the
 * checkpoint's XML (with secrets, embedded domain included) goes to a
 * temporary file, the user's editor runs on it, and a changed document
 * is sent back with CheckpointCreate() and "redefine".  Renaming is
 * refused with virsh's messages; unlike virsh, the client reads the new
 * name before sending the document, since redefining under the name of
 * another checkpoint would replace that checkpoint's definition (should
 * the daemon still return another name, that definition is removed
 * again, metadata only, as virsh does).
 *
 * Unlike virsh, a failed redefinition does not offer to edit again on a
 * terminal; the command fails with the daemon's message.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "blkpoint-checkpoint.h"
#include "util/bp-error.h"
#include "util/bp-i18n.h"
#include "util/bp-xml.h"

const BpCmdOptDef bp_opts_checkpoint_edit[] = {
    { "domain", BP_OPT_DATA, TRUE, N_("domain name or uuid") },
    { "checkpointname", BP_OPT_DATA, TRUE, N_("checkpoint name") },
    { NULL, 0, FALSE, NULL }
};


/* The editor command: $VISUAL, else $EDITOR, else vi. */
static const char *
bp_editor(void)
{
    const char *e;

    if ((e = g_getenv("VISUAL")) && *e)
        return e;
    if ((e = g_getenv("EDITOR")) && *e)
        return e;
    return "vi";
}


/*
 * Runs the editor on @file, on the client's terminal, and waits for it.
 * The editor setting is a shell command ("emacs -nw", "sed -i s/a/b/")
 * to which the file's name is added as one more argument, as git and
 * virsh run theirs.  Fails with BP_ERROR_FAILED when it cannot be run or
 * does not exit with status 0.
 */
static gboolean
bp_edit_run(const char *file, GError **error)
{
    const char *editor = bp_editor();
    g_autofree char *script = g_strdup_printf("%s \"$1\"", editor);
    const char *argv[] = { "/bin/sh", "-c", script, "sh", file, NULL };
    g_autoptr(GError) err = NULL;
    gint status = 0;

    fflush(stdout);
    fflush(stderr);
    if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN,
                      NULL, NULL, NULL, NULL, &status, &err) ||
        !g_spawn_check_wait_status(status, &err)) {
        g_set_error(error, BP_ERROR, BP_ERROR_FAILED,
                    _("the editor '%s' failed: %s"), editor, err->message);
        return FALSE;
    }
    return TRUE;
}


/*
 * Lets the user edit @doc: writes it to a new temporary file, runs the
 * editor on it, and returns what the file holds afterwards in @edited
 * (newly allocated).  The file is removed in every case.
 */
static gboolean
bp_edit_string(const char *doc, char **edited, GError **error)
{
    g_autofree char *file = NULL;
    g_autoptr(GError) err = NULL;
    gboolean ok;
    int fd;

    if ((fd = g_file_open_tmp("blkpointXXXXXX.xml", &file, &err)) < 0) {
        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("cannot create a temporary file: %s"), err->message);
        return FALSE;
    }
    close(fd);
    if (!g_file_set_contents_full(file, doc, -1, G_FILE_SET_CONTENTS_NONE,
                                  0600, &err)) {
        g_set_error(error, BP_ERROR, BP_ERROR_IO,
                    _("cannot write the temporary file '%s': %s"), file,
                    err->message);
        unlink(file);
        return FALSE;
    }
    ok = bp_edit_run(file, error) && bp_read_file(file, edited, error);
    unlink(file);
    return ok;
}


/* The checkpoint's XML as checkpoint-edit shows it: with secrets. */
static char *
bp_edit_get_xml(BpCtl *ctl, BpCheckpoint *chk, GError **error)
{
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);
    char *xml = NULL;

    g_variant_dict_insert(&opts, "security-info", "b", TRUE);
    if (!bp_checkpoint_call_get_xml_desc_sync(chk, bp_ctl_options(ctl, &opts),
                                              bp_ctl_call_flags(ctl),
                                              BP_CALL_TIMEOUT_READ, &xml,
                                              NULL, error))
        return NULL;
    return xml;
}


static void
bp_edit_print_json(BpCtl *ctl, const char *name, gboolean changed)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, name);
    json_builder_set_member_name(b, "changed");
    json_builder_add_boolean_value(b, changed);
    json_builder_end_object(b);
    bp_ctl_print_json(ctl, json_builder_get_root(b));
}


/*
 * The <name> of the <domaincheckpoint> document @xml, newly allocated;
 * NULL when it has none or is not well-formed (the daemon will say
 * what is wrong with it).
 */
static char *
bp_edit_doc_name(const char *xml)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    xmlNode *root;

    if (!(doc = xmlReadMemory(xml, (int) strlen(xml), NULL, NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR |
                              XML_PARSE_NOWARNING)) ||
        !(root = xmlDocGetRootElement(doc)))
        return NULL;
    ctxt = xmlXPathNewContext(doc);
    ctxt->node = root;
    return bp_xpath_string("string(/domaincheckpoint/name)", ctxt);
}


/* Fails as virsh does when an edit renames the checkpoint. */
static gboolean
bp_edit_rename_error(BpCtl *ctl, const char *name, const char *edited_name,
                     GError **error)
{
    bp_ctl_context(ctl, _("Cannot rename checkpoint %s to %s"), name,
                   edited_name);
    g_set_error(error, BP_ERROR, BP_ERROR_INVALID_ARGUMENT,
                _("Failed to update %s"), name);
    return FALSE;
}


/*
 * Undoes the redefinition of @path (a checkpoint the edit renamed to
 * @edited_name) by deleting its metadata, and fails as virsh does.
 */
static gboolean
bp_edit_refuse_rename(BpCtl *ctl, const char *path, const char *name,
                      const char *edited_name, GError **error)
{
    g_autoptr(BpCheckpoint) edited = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);

    g_variant_dict_insert(&opts, "metadata", "b", TRUE);
    if (!(edited = bp_ctl_checkpoint_proxy(ctl, path, error)) ||
        !bp_checkpoint_call_delete_sync(edited, bp_ctl_options(ctl, &opts),
                                        bp_ctl_call_flags(ctl),
                                        BP_CALL_TIMEOUT_LONG, NULL, error)) {
        bp_ctl_context(ctl, _("Failed to clean up %s"), edited_name);
        return FALSE;
    }
    return bp_edit_rename_error(ctl, name, edited_name, error);
}


gboolean
bp_cmd_checkpoint_edit(BpCtl *ctl, const BpCmd *cmd, GError **error)
{
    g_autoptr(BpDomain) dom = NULL;
    g_autoptr(BpCheckpoint) chk = NULL;
    g_autofree char *name = NULL;
    g_autofree char *doc = NULL;
    g_autofree char *edited = NULL;
    g_autofree char *reread = NULL;
    g_autofree char *path = NULL;
    g_autofree char *edited_name = NULL;
    g_autofree char *doc_name = NULL;
    g_auto(GVariantDict) opts = G_VARIANT_DICT_INIT(NULL);

    if (!(dom = bp_ctl_lookup_domain(ctl, bp_cmd_opt_string(cmd, "domain"),
                                     NULL, error)) ||
        !(chk = bp_checkpoint_lookup(ctl, dom, cmd, "checkpointname", NULL,
                                     &name, error)))
        return FALSE;

    if (!(doc = bp_edit_get_xml(ctl, chk, error)) ||
        !bp_edit_string(doc, &edited, error)) {
        bp_ctl_context(ctl, _("Failed to update %s"), name);
        return FALSE;
    }

    if (g_str_equal(doc, edited)) {
        if (ctl->json)
            bp_edit_print_json(ctl, name, FALSE);
        bp_ctl_print_extra(ctl, _("Checkpoint %s XML configuration not changed.\n"),
                           name);
        return TRUE;
    }

    /* Somebody else may have changed it while it was being edited. */
    if (!(reread = bp_edit_get_xml(ctl, chk, error))) {
        bp_ctl_context(ctl, _("Failed to update %s"), name);
        return FALSE;
    }
    if (!g_str_equal(doc, reread)) {
        bp_ctl_context(ctl, _("Failed to update %s"), name);
        g_set_error(error, BP_ERROR, BP_ERROR_OPERATION_INVALID,
                    _("The XML configuration was changed by another user."));
        return FALSE;
    }

    /* A rename is refused before it is sent: redefining under the name
     * of another checkpoint would replace that one. */
    doc_name = bp_edit_doc_name(edited);
    if (doc_name && !g_str_equal(doc_name, name))
        return bp_edit_rename_error(ctl, name, doc_name, error);

    g_variant_dict_insert(&opts, "redefine", "b", TRUE);
    if (!bp_domain_call_checkpoint_create_sync(dom, edited,
                                               bp_ctl_options(ctl, &opts),
                                               bp_ctl_call_flags(ctl),
                                               BP_CALL_TIMEOUT_LONG, &path,
                                               NULL, error) ||
        !(edited_name = bp_checkpoint_name_of(ctl, path, error))) {
        bp_ctl_context(ctl, _("Failed to update %s"), name);
        return FALSE;
    }
    if (!g_str_equal(name, edited_name))
        return bp_edit_refuse_rename(ctl, path, name, edited_name, error);

    if (ctl->json)
        bp_edit_print_json(ctl, name, TRUE);
    bp_ctl_print_extra(ctl, _("Checkpoint %s edited.\n"), name);
    return TRUE;
}
