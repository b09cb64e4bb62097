/*
 * bp-error.h: the BP_ERROR GError domain.
 *
 * Every error blkpoint reports to a caller carries one of these codes.
 * Each code has exactly one D-Bus error name (org.blkpoint.Blkpoint1.Error.*)
 * in the table in bp-error.c, so a D-Bus client can branch on the name and a
 * C caller on the code.  Messages are translated, say what went wrong,
 * which value, and where.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BP_ERROR (bp_error_quark())
GQuark bp_error_quark(void);

typedef enum {
    BP_ERROR_FAILED,                  /* Error.Failed: anything not listed below */
    BP_ERROR_INVALID_ARGUMENT,        /* Error.InvalidArgument: bad name, option, flag combination */
    BP_ERROR_XML_SYNTAX,              /* Error.XmlSyntax: not well-formed XML */
    BP_ERROR_XML_INVALID,             /* Error.XmlInvalid: schema violation */
    BP_ERROR_CONFIG_UNSUPPORTED,      /* Error.ConfigUnsupported: valid XML we cannot honour */
    BP_ERROR_NO_DOMAIN,               /* Error.NoDomain: unknown domain */
    BP_ERROR_NO_CHECKPOINT,           /* Error.NoCheckpoint: unknown checkpoint */
    BP_ERROR_NO_BACKUP,               /* Error.NoBackup: unknown backup or job */
    BP_ERROR_EXISTS,                  /* Error.Exists: name or file already taken */
    BP_ERROR_OPERATION_INVALID,       /* Error.OperationInvalid: not allowed in the current state */
    BP_ERROR_OPERATION_UNSUPPORTED,   /* Error.OperationUnsupported: never allowed here */
    BP_ERROR_CHECKPOINT_INCONSISTENT, /* Error.CheckpointInconsistent: bitmap chain broken */
    BP_ERROR_BUSY,                    /* Error.Busy: another job holds the domain */
    BP_ERROR_ACCESS_DENIED,           /* Error.AccessDenied: polkit or uid check refused */
    BP_ERROR_QEMU,                    /* Error.Qemu: QEMU refused or died */
    BP_ERROR_TIMEOUT,                 /* Error.Timeout: no answer in time */
    BP_ERROR_CANCELLED,               /* Error.Cancelled: job aborted */
    BP_ERROR_CATALOGUE,               /* Error.Catalogue: SQLite failure, nothing was changed */
    BP_ERROR_CATALOGUE_PARTIAL,       /* Error.CataloguePartial: committed, but a later step failed */
    BP_ERROR_IO,                      /* Error.Io: file system or image I/O */
    BP_ERROR_NO_SNAPSHOT,             /* Error.NoSnapshot: unknown snapshot */

    BP_ERROR_NUM_ENTRIES  /* must be last */
} BpErrorCode;

const char *bp_error_dbus_name(BpErrorCode code);
void bp_error_register_dbus(void);

G_END_DECLS
