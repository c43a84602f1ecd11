/* What the entity files of schema/entities/ share: the flag sets and the permission lists
 * (defined in entities.c, the registry). */
#ifndef GC_SCHEMA_ENTITIES_ENTITIES_H
#define GC_SCHEMA_ENTITIES_ENTITIES_H

#include "schema/schema.h"

#define N(arr) (sizeof(arr) / sizeof((arr)[0]))
#define MIN_DATE "\"0001-01-01T00:00:00Z\""

/* Flag sets used below. */
#define QRY (GC_P_FILTER | GC_P_SORT)
#define KEY (GC_P_KEY | GC_P_SERVER | QRY)
#define OPT_STR (GC_P_NULLABLE | QRY)

extern const char *const gc_perm_config_read[];
extern const char *const gc_perm_config_write[];
extern const char *const gc_perm_apps_read[];
extern const char *const gc_perm_apps_write[];

#endif
