/* The service's $metadata: an OData v4 CSDL (XML) document made from the schema tables alone —
 * the enum types used, every entity type served in a version, one entity type per container
 * singleton (deviceManagement, deviceAppManagement) with a containment navigation property per
 * set, and the GraphService entity container with its singletons and root entity sets. */
#ifndef GC_ODATA_METADATA_H
#define GC_ODATA_METADATA_H

#include <stddef.h>

#include "core/arena.h"

/* The CSDL document for version (GC_V_BETA or GC_V_V1), NUL-terminated, owned by the arena;
 * *len (may be NULL) receives its length. Lists only what that version serves. Returns NULL
 * only if the document would pass an internal 1 MiB bound (a schema bug, not a request error). */
char *gc_odata_metadata_xml(gc_arena *a, unsigned version, size_t *len);

#endif
