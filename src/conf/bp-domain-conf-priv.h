/*
 * bp-domain-conf-priv.h: helpers shared by the <domain> parser
 * (bp-domain-conf.c) and formatter (bp-domain-format.c); not for other
 * layers.
 */
#pragma once

#include "bp-domain-conf.h"

/* The first element child of @parent named @name, or NULL. */
xmlNode *bp_domain_xml_child(xmlNode *parent, const char *name);

/* The storage type a <disk> or <backingStore> element declares
 * (type= absent means file). */
BpStorageType bp_domain_xml_storage_type(xmlNode *node);

/* TRUE for a <backingStore> that marks the end of a chain. */
gboolean bp_domain_xml_is_chain_end(xmlNode *node);
