/*
 * bp-error.c: the BP_ERROR domain and its D-Bus error names.
 */
#include <config.h>

#include <gio/gio.h>

#include "bp-error.h"
#include "bp-i18n.h"

G_DEFINE_QUARK(bp-error-quark, bp_error)

#define BP_DBUS_ERROR_PREFIX "org.blkpoint.Blkpoint1.Error."

/* The one table mapping codes to names.  Order must follow BpErrorCode. */
static const GDBusErrorEntry bp_dbus_error_entries[] = {
    { BP_ERROR_FAILED, BP_DBUS_ERROR_PREFIX "Failed" },
    { BP_ERROR_INVALID_ARGUMENT, BP_DBUS_ERROR_PREFIX "InvalidArgument" },
    { BP_ERROR_XML_SYNTAX, BP_DBUS_ERROR_PREFIX "XmlSyntax" },
    { BP_ERROR_XML_INVALID, BP_DBUS_ERROR_PREFIX "XmlInvalid" },
    { BP_ERROR_CONFIG_UNSUPPORTED, BP_DBUS_ERROR_PREFIX "ConfigUnsupported" },
    { BP_ERROR_NO_DOMAIN, BP_DBUS_ERROR_PREFIX "NoDomain" },
    { BP_ERROR_NO_CHECKPOINT, BP_DBUS_ERROR_PREFIX "NoCheckpoint" },
    { BP_ERROR_NO_BACKUP, BP_DBUS_ERROR_PREFIX "NoBackup" },
    { BP_ERROR_EXISTS, BP_DBUS_ERROR_PREFIX "Exists" },
    { BP_ERROR_OPERATION_INVALID, BP_DBUS_ERROR_PREFIX "OperationInvalid" },
    { BP_ERROR_OPERATION_UNSUPPORTED, BP_DBUS_ERROR_PREFIX "OperationUnsupported" },
    { BP_ERROR_CHECKPOINT_INCONSISTENT, BP_DBUS_ERROR_PREFIX "CheckpointInconsistent" },
    { BP_ERROR_BUSY, BP_DBUS_ERROR_PREFIX "Busy" },
    { BP_ERROR_ACCESS_DENIED, BP_DBUS_ERROR_PREFIX "AccessDenied" },
    { BP_ERROR_QEMU, BP_DBUS_ERROR_PREFIX "Qemu" },
    { BP_ERROR_TIMEOUT, BP_DBUS_ERROR_PREFIX "Timeout" },
    { BP_ERROR_CANCELLED, BP_DBUS_ERROR_PREFIX "Cancelled" },
    { BP_ERROR_CATALOGUE, BP_DBUS_ERROR_PREFIX "Catalogue" },
    { BP_ERROR_CATALOGUE_PARTIAL, BP_DBUS_ERROR_PREFIX "CataloguePartial" },
    { BP_ERROR_IO, BP_DBUS_ERROR_PREFIX "Io" },
    { BP_ERROR_NO_SNAPSHOT, BP_DBUS_ERROR_PREFIX "NoSnapshot" },
};

G_STATIC_ASSERT(G_N_ELEMENTS(bp_dbus_error_entries) == BP_ERROR_NUM_ENTRIES);


/* Returns the D-Bus error name for @code, or NULL if out of range. */
const char *
bp_error_dbus_name(BpErrorCode code)
{
    if ((int) code < 0 || code >= BP_ERROR_NUM_ENTRIES)
        return NULL;
    g_assert(bp_dbus_error_entries[code].error_code == (gint) code);
    return bp_dbus_error_entries[code].dbus_error_name;
}


/* Registers the table with GDBus so that GErrors in the BP_ERROR domain
 * cross the bus as named errors and come back as BP_ERROR on the other
 * side.  Idempotent. */
void
bp_error_register_dbus(void)
{
    static gsize quark_volatile = 0;

    g_dbus_error_register_error_domain("bp-error-quark",
                                       &quark_volatile,
                                       bp_dbus_error_entries,
                                       G_N_ELEMENTS(bp_dbus_error_entries));
}


/* Binds the text domain; call once from main() of every program. */
void
bp_i18n_init(void)
{
    const char *localedir = g_getenv("BP_LOCALEDIR");

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, localedir ? localedir : LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
}
