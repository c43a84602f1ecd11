/* What the entity files of schema/entities/ share: the flag sets, the permission lists (defined
 * in schema/entities.c) and GC_SCHEMA_REGISTER, the marker by which a file puts its entity,
 * enum and complex types into the registry (gc_schema_types, gc_schema_enums,
 * gc_schema_complex) that src/schema/registry.cmake generates at build time. */
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

/* GC_SCHEMA_REGISTER(kind, key, symbol); on a line of its own, just before the definition of
 * symbol (a const gc_entity_type, gc_enum_type or gc_complex_type with external linkage), puts
 * it into the registry of its kind: entity (gc_schema_types: the order of $metadata, the
 * service document and the DDL), enum (gc_schema_enums) or complex (gc_schema_complex, nested
 * types before those that use them). Each registry is sorted by key, a whole number 1..999999
 * unique within its kind; the keys in use leave gaps so that a new file can slot in anywhere.
 * The build reads these lines as text: a malformed marker or a key used twice fails it, naming
 * the file. Here the marker declares the symbol, so the compiler checks its kind and that its
 * definition is not static. */
#define GC_SCHEMA_REGISTER(kind, key, symbol) GC_SCHEMA_REGISTER_##kind(key, symbol)
#define GC_SCHEMA_REGISTER_entity(key, symbol) GC_SCHEMA_REGISTER_AS(gc_entity_type, key, symbol)
#define GC_SCHEMA_REGISTER_enum(key, symbol) GC_SCHEMA_REGISTER_AS(gc_enum_type, key, symbol)
#define GC_SCHEMA_REGISTER_complex(key, symbol) GC_SCHEMA_REGISTER_AS(gc_complex_type, key, symbol)
#define GC_SCHEMA_REGISTER_AS(ctype, key, symbol)                                                  \
    extern const ctype symbol;                                                                     \
    _Static_assert((key) >= 1 && (key) <= 999999, "GC_SCHEMA_REGISTER: key outside 1..999999")

#endif
