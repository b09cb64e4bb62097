/*
 * bp-backup-object.h: the backup methods of a domain object and the Job
 * object of its running backup (see bp-backup-object.c).
 */
#pragma once

#include "bp-domain-object.h"

G_BEGIN_DECLS

/* Connects BackupBegin, BackupGetXMLDesc, GetJobInfo, AbortJob and
 * ListBackups of @iface, the interface of @dom. */
void bp_backup_connect_domain_methods(BpDaemonDomain *dom, BpDomain *iface);

G_END_DECLS
