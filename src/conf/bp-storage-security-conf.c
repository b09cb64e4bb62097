/*
 * bp-storage-security-conf.c: <seclabel> and <encryption> of an image
 * (see bp-storage-security-conf.h).
 */
#include <config.h>

#include <string.h>

#include "util/bp-error.h"
#include "util/bp-i18n.h"
#include "util/bp-xml.h"
#include "bp-domain-conf.h"
#include "bp-storage-security-conf.h"

/* Longest security label accepted (libvirt's buffer size less the NUL). */
#define BP_SECLABEL_MAX_LEN 4096

BP_ENUM_IMPL(bp_encryption_format, BP_ENCRYPTION_FORMAT_LAST,
             "default", "qcow", "luks", "luks2")

BP_ENUM_IMPL(bp_encryption_engine, BP_ENCRYPTION_ENGINE_LAST,
             "default", "qemu", "librbd")


void
bp_seclabel_free(BpSeclabel *seclabel)
{
    if (!seclabel)
        return;
    g_free(seclabel->model);
    g_free(seclabel->label);
    g_free(seclabel);
}


void
bp_seclabels_free(BpSeclabel **list, size_t nlist)
{
    for (size_t i = 0; i < nlist; i++)
        bp_seclabel_free(list[i]);
    g_free(list);
}


/* Parses one <seclabel> @node; @prev are the ones already parsed from the
 * same parent, to refuse a second label for the same model. */
static BpSeclabel *
bp_seclabel_parse_one(xmlNode *node,
                      xmlXPathContext *ctxt,
                      BpSeclabel *const *prev,
                      size_t nprev,
                      GError **error)
{
    BP_XPATH_NODE_AUTORESTORE(ctxt);
    g_autofree char *relabel = NULL;
    g_autofree char *labelskip = NULL;
    BpSeclabel *seclabel = g_new0(BpSeclabel, 1);

    ctxt->node = node;
    seclabel->model = bp_xml_prop(node, "model");
    if (seclabel->model) {
        for (size_t j = 0; j < nprev; j++) {
            if (g_strcmp0(prev[j]->model, seclabel->model) == 0) {
                bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                                 _("a second <seclabel> for security model '%s'"),
                                 seclabel->model);
                goto error;
            }
        }
    }

    seclabel->relabel = TRUE;
    if ((relabel = bp_xml_prop(node, "relabel"))) {
        if (g_str_equal(relabel, "no")) {
            seclabel->relabel = FALSE;
        } else if (!g_str_equal(relabel, "yes")) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("invalid value '%s' for attribute 'relabel' of <seclabel>: expected 'yes' or 'no'"),
                             relabel);
            goto error;
        }
    }

    /* Like libvirt: a malformed labelskip is read as 'no'. */
    labelskip = bp_xml_prop(node, "labelskip");
    seclabel->labelskip = g_strcmp0(labelskip, "yes") == 0;

    seclabel->label = bp_xpath_string("./label", ctxt);
    if (seclabel->label && strlen(seclabel->label) > BP_SECLABEL_MAX_LEN) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("security label is longer than %d bytes"),
                         BP_SECLABEL_MAX_LEN);
        goto error;
    }
    if (seclabel->label && !seclabel->relabel) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("<seclabel> for model '%s' has a <label> although relabel='no'"),
                         seclabel->model ? seclabel->model : "");
        goto error;
    }
    return seclabel;

 error:
    bp_seclabel_free(seclabel);
    return NULL;
}


gboolean
bp_seclabels_parse(xmlXPathContext *ctxt,
                   BpSeclabel ***list,
                   size_t *nlist,
                   GError **error)
{
    g_autofree xmlNode **nodes = NULL;
    BpSeclabel **ret;
    int n;

    *list = NULL;
    *nlist = 0;
    if ((n = bp_xpath_nodes("./seclabel", ctxt, &nodes)) <= 0)
        return TRUE;

    ret = g_new0(BpSeclabel *, n);
    for (int i = 0; i < n; i++) {
        if (!(ret[i] = bp_seclabel_parse_one(nodes[i], ctxt, ret, i, error))) {
            bp_seclabels_free(ret, i);
            return FALSE;
        }
    }
    *list = ret;
    *nlist = n;
    return TRUE;
}


void
bp_seclabels_format(BpBuf *buf, BpSeclabel *const *list, size_t nlist)
{
    for (size_t i = 0; i < nlist; i++) {
        const BpSeclabel *seclabel = list[i];
        g_auto(BpBuf) attr = BP_BUF_INIT;
        g_auto(BpBuf) child = BP_BUF_INIT;

        bp_buf_init_child(&child, buf);
        bp_buf_escape(&attr, " model='%s'", seclabel->model);
        /* A skipped label says so instead of repeating relabel. */
        if (seclabel->labelskip)
            bp_buf_add(&attr, " labelskip='yes'");
        else
            bp_buf_addf(&attr, " relabel='%s'", seclabel->relabel ? "yes" : "no");
        bp_buf_escape(&child, "<label>%s</label>\n", seclabel->label);
        bp_xml_format_element(buf, "seclabel", &attr, &child);
    }
}


void
bp_encryption_free(BpEncryption *enc)
{
    if (!enc)
        return;
    for (size_t i = 0; i < enc->nsecrets; i++) {
        g_free(enc->secrets[i].uuid);
        g_free(enc->secrets[i].usage);
    }
    g_free(enc->secrets);
    g_free(enc->cipher_name);
    g_free(enc->cipher_mode);
    g_free(enc->cipher_hash);
    g_free(enc->ivgen_name);
    g_free(enc->ivgen_hash);
    g_free(enc);
}


static gboolean
bp_encryption_secret_parse(xmlNode *node,
                           BpEncryptionSecret *secret,
                           GError **error)
{
    g_autofree char *type = bp_xml_prop(node, "type");
    g_autofree char *uuid = bp_xml_prop(node, "uuid");
    g_autofree char *usage = bp_xml_prop(node, "usage");

    if (!type) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("encryption <secret> has no type"));
        return FALSE;
    }
    if (!g_str_equal(type, "passphrase")) {
        bp_xml_set_error(error, BP_ERROR_CONFIG_UNSUPPORTED, node,
                         _("unsupported encryption secret type '%s': expected 'passphrase'"),
                         type);
        return FALSE;
    }
    if (uuid && usage) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("encryption <secret> has both uuid '%s' and usage '%s': give only one"),
                         uuid, usage);
        return FALSE;
    }
    if (!uuid && !usage) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("encryption <secret> needs a uuid or a usage attribute"));
        return FALSE;
    }
    if (uuid) {
        if (!(secret->uuid = bp_uuid_canonicalize(uuid))) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("invalid secret uuid '%s'"), uuid);
            return FALSE;
        }
    } else {
        secret->usage = g_steal_pointer(&usage);
    }
    return TRUE;
}


/* Unsigned decimal with no sign, blanks or overflow. */
static gboolean
bp_parse_uint(const char *str, unsigned int *value)
{
    guint64 v;

    if (!str || !g_ascii_isdigit(*str))
        return FALSE;
    if (!g_ascii_string_to_unsigned(str, 10, 0, G_MAXUINT, &v, NULL))
        return FALSE;
    *value = (unsigned int) v;
    return TRUE;
}


static gboolean
bp_encryption_parse_luks_info(BpEncryption *enc,
                              xmlXPathContext *ctxt,
                              GError **error)
{
    xmlNode *cipher = bp_xpath_node("./cipher[1]", ctxt);
    xmlNode *ivgen = bp_xpath_node("./ivgen[1]", ctxt);

    if (cipher) {
        g_autofree char *size = bp_xml_prop(cipher, "size");

        if (!(enc->cipher_name = bp_xml_prop(cipher, "name"))) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, cipher,
                             _("encryption <cipher> has no name"));
            return FALSE;
        }
        if (!size) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, cipher,
                             _("encryption <cipher> '%s' has no size"),
                             enc->cipher_name);
            return FALSE;
        }
        if (!bp_parse_uint(size, &enc->cipher_size)) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, cipher,
                             _("invalid size '%s' of encryption <cipher> '%s'"),
                             size, enc->cipher_name);
            return FALSE;
        }
        enc->cipher_mode = bp_xml_prop(cipher, "mode");
        enc->cipher_hash = bp_xml_prop(cipher, "hash");
    }

    if (ivgen) {
        if (!enc->cipher_name) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, ivgen,
                             _("encryption <ivgen> needs a <cipher>"));
            return FALSE;
        }
        if (!(enc->ivgen_name = bp_xml_prop(ivgen, "name"))) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, ivgen,
                             _("encryption <ivgen> has no name"));
            return FALSE;
        }
        enc->ivgen_hash = bp_xml_prop(ivgen, "hash");
    }
    return TRUE;
}


BpEncryption *
bp_encryption_parse(xmlNode *node,
                    xmlXPathContext *ctxt,
                    GError **error)
{
    BP_XPATH_NODE_AUTORESTORE(ctxt);
    g_autoptr(BpEncryption) enc = g_new0(BpEncryption, 1);
    g_autofree char *format = bp_xml_prop(node, "format");
    g_autofree char *engine = bp_xml_prop(node, "engine");
    g_autofree xmlNode **secrets = NULL;
    int val;
    int n;

    ctxt->node = node;
    if (!format) {
        bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                         _("<encryption> has no format"));
        return NULL;
    }
    if ((val = bp_encryption_format_from_string(format)) < 0) {
        bp_xml_set_error(error, BP_ERROR_CONFIG_UNSUPPORTED, node,
                         _("unknown encryption format '%s'"), format);
        return NULL;
    }
    enc->format = val;

    if (engine) {
        if ((val = bp_encryption_engine_from_string(engine)) <= 0) {
            bp_xml_set_error(error, BP_ERROR_XML_INVALID, node,
                             _("invalid encryption engine '%s': expected 'qemu' or 'librbd'"),
                             engine);
            return NULL;
        }
        enc->engine = val;
    }

    if ((n = bp_xpath_nodes("./secret", ctxt, &secrets)) > 0) {
        enc->secrets = g_new0(BpEncryptionSecret, n);
        for (int i = 0; i < n; i++) {
            /* counted first so that a failure frees what was parsed */
            enc->nsecrets++;
            if (!bp_encryption_secret_parse(secrets[i], &enc->secrets[i], error))
                return NULL;
        }
    }

    if (enc->format == BP_ENCRYPTION_FORMAT_LUKS &&
        !bp_encryption_parse_luks_info(enc, ctxt, error))
        return NULL;

    return g_steal_pointer(&enc);
}


void
bp_encryption_format(BpBuf *buf, const BpEncryption *enc)
{
    if (enc->engine == BP_ENCRYPTION_ENGINE_DEFAULT)
        bp_buf_addf(buf, "<encryption format='%s'>\n",
                    bp_encryption_format_to_string(enc->format));
    else
        bp_buf_addf(buf, "<encryption format='%s' engine='%s'>\n",
                    bp_encryption_format_to_string(enc->format),
                    bp_encryption_engine_to_string(enc->engine));
    bp_buf_adjust_indent(buf, 2);

    for (size_t i = 0; i < enc->nsecrets; i++) {
        if (enc->secrets[i].uuid) {
            bp_buf_addf(buf, "<secret type='passphrase' uuid='%s'/>\n",
                        enc->secrets[i].uuid);
        } else {
            bp_buf_add(buf, "<secret type='passphrase'");
            bp_buf_escape(buf, " usage='%s'/>\n", enc->secrets[i].usage);
        }
    }

    if (enc->format == BP_ENCRYPTION_FORMAT_LUKS && enc->cipher_name) {
        bp_buf_escape(buf, "<cipher name='%s'", enc->cipher_name);
        bp_buf_addf(buf, " size='%u'", enc->cipher_size);
        bp_buf_escape(buf, " mode='%s'", enc->cipher_mode);
        bp_buf_escape(buf, " hash='%s'", enc->cipher_hash);
        bp_buf_add(buf, "/>\n");
        if (enc->ivgen_name) {
            bp_buf_escape(buf, "<ivgen name='%s'", enc->ivgen_name);
            bp_buf_escape(buf, " hash='%s'", enc->ivgen_hash);
            bp_buf_add(buf, "/>\n");
        }
    }

    bp_buf_adjust_indent(buf, -2);
    bp_buf_add(buf, "</encryption>\n");
}
