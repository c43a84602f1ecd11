/* Entities as data. Each entity type is one table of properties with their EDM type, JSON name,
 * storage column and flags; $metadata, DDL, validation and serialization are all derived from
 * these tables. Each type lives in its own file of schema/entities/ with its hooks and its
 * enums, and registers them there with GC_SCHEMA_REGISTER (schema/entities/entities.h); the
 * build generates the registry below from those lines, so adding a type is adding one file. */
#ifndef GC_SCHEMA_SCHEMA_H
#define GC_SCHEMA_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

typedef enum gc_edm {
    GC_EDM_STRING,
    GC_EDM_INT32,
    GC_EDM_BOOLEAN,
    GC_EDM_GUID,
    GC_EDM_DATETIME, /* DateTimeOffset: stored as given (TEXT) plus its instant (ticks) */
    GC_EDM_BINARY,   /* base64 on the wire, bytes in storage */
    GC_EDM_ENUM,     /* member name on the wire, member value in storage */
    GC_EDM_COMPLEX,  /* a JSON object of prop->complex's properties; stored as JSON text */
    GC_EDM__COUNT    /* what each type does is its row in schema/value.c */
} gc_edm;

typedef struct gc_enum_member {
    const char *name;
    int value;
} gc_enum_member;

typedef struct gc_enum_type {
    const char *name; /* e.g. "userPfxPaddingScheme" */
    const gc_enum_member *members;
    size_t n_members;
    /* OData IsFlags: a value is any combination of the members' bits, written on the wire as
     * their names joined by ',' ("companyPortal,email"); a member of value 0 names the empty
     * combination */
    bool is_flags;
} gc_enum_type;

enum gc_prop_flags {
    GC_P_KEY = 1u << 0,        /* the entity key ("id") */
    GC_P_REQUIRED = 1u << 1,   /* must be present (non-null) on create */
    GC_P_SERVER = 1u << 2,     /* server-set: client values are ignored */
    GC_P_SECRET = 1u << 3,     /* write-only: responses carry prop->masked instead */
    GC_P_NULLABLE = 1u << 4,   /* JSON null allowed */
    GC_P_FILTER = 1u << 5,     /* usable in $filter */
    GC_P_SORT = 1u << 6,       /* usable in $orderby */
    GC_P_INDEX = 1u << 7,      /* gets a (tenant, column) index */
    GC_P_LOWER = 1u << 8,      /* stored lower case (thumbprints) */
    GC_P_THUMBPRINT = 1u << 9, /* must be 40 hex digits */
    GC_P_IMMUTABLE = 1u << 10, /* part of the server-made id: a PATCH may not change it */
    GC_P_STAMP_CREATE = 1u << 11, /* server sets it to the current time on create */
    GC_P_STAMP_WRITE = 1u << 12,  /* server sets it to the current time on every write */
    GC_P_VERSION = 1u << 13,      /* server-managed; answered as the record's ETag */
    GC_P_COLLECTION = 1u << 14,   /* a JSON array of the type's values (Collection(...) in
                                   * $metadata); stored as JSON text, never filtered or sorted */
};

struct gc_prop;

/* A structured value without a key (OData ComplexType), e.g. auditActor. Its properties use
 * only name, type (any gc_edm, a nested complex included), enum_type, complex and the
 * GC_P_NULLABLE and GC_P_COLLECTION flags; on the wire they appear in this order. */
typedef struct gc_complex_type {
    const char *name; /* e.g. "auditActor" */
    const struct gc_prop *props;
    size_t n_props;
} gc_complex_type;

typedef struct gc_prop {
    const char *name;   /* JSON name */
    const char *column; /* SQL column (quoted by the store) */
    gc_edm type;
    const gc_enum_type *enum_type; /* for GC_EDM_ENUM */
    const gc_complex_type *complex; /* for GC_EDM_COMPLEX */
    unsigned flags;
    const char *masked;  /* GC_P_SECRET: the JSON text answered instead, e.g. "\"AA==\"" */
    const char *deflt;   /* JSON text of the default on create when omitted, or NULL */
    const int *refused;  /* GC_EDM_ENUM: -1-terminated member values refused on input */
    const char *refused_why; /* message tail for refused members */
} gc_prop;

struct json_t;
struct gc_entity_type;

/* Hooks run by the api layer inside a create or update, after validation and before the
 * write. old is NULL on create; body is the client's JSON as sent. next is the full record
 * about to be stored (canonical wire form); a hook may change it (derive fields) or refuse
 * with an error. */
typedef int (*gc_entity_hook)(const struct gc_entity_type *t, const struct json_t *old,
                              const struct json_t *body, struct json_t *next, int64_t now_ticks,
                              gc_arena *a, gc_err *err);

/* Makes the id of a record about to be created (rec is the full record without its key, in
 * canonical wire form) for the tenant's set: *id is arena-owned. A type without one gets a
 * random GUID. */
typedef int (*gc_id_maker)(const struct gc_entity_type *t, const struct json_t *rec,
                           const char *tenant, gc_arena *a, char **id, gc_err *err);

enum gc_version_bits { GC_V_BETA = 1u << 0, GC_V_V1 = 1u << 1 };

typedef struct gc_entity_type {
    const char *name;        /* type name, e.g. "userPFXCertificate" */
    const char *set_path;    /* path under the version, e.g. "deviceManagement/userPfxCertificates" */
    const char *container;   /* "deviceManagement", "deviceAppManagement", or NULL (root set) */
    const char *set_name;    /* last path segment, e.g. "userPfxCertificates" */
    const char *table;       /* SQL table */
    unsigned versions;       /* GC_V_* */
    const gc_prop *props;    /* props[0] is the key */
    size_t n_props;
    gc_id_maker make_id;            /* NULL: a random GUID */
    const char *const *read_perms;  /* NULL-terminated: any one grants read */
    const char *const *write_perms; /* NULL-terminated: any one grants write */
    gc_entity_hook hook;            /* may be NULL */
    const char *type_alias;         /* also accepted as @odata.type, e.g. the internal namespace */
    bool read_only;                 /* the set only answers GET: POST/PATCH/DELETE are 405 */
    /* what an audit event of a write to this set says (see gc_schema_audit_event) */
    const char *audit_category;     /* e.g. "DeviceConfiguration"; NULL: writes are not audited */
    const gc_prop *audit_name;      /* the property naming a record in its event, or NULL; never
                                     * a write-only secret */
    const char *expiry; /* name of the DATETIME property holding the certificate's expiry (what
                         * the expiring-certificates metrics count), or NULL */
} gc_entity_type;

/* The registry, generated at build time (src/schema/registry.cmake) from the
 * GC_SCHEMA_REGISTER(kind, key, symbol) lines of the files of schema/entities/, each list sorted
 * by key. */
/* All stored entity types, in a stable order (of $metadata, the service document and the DDL). */
extern const gc_entity_type *const gc_schema_types[];
extern const size_t gc_schema_n_types;
/* All complex types (for $metadata), nested ones before those that use them. */
extern const gc_complex_type *const gc_schema_complex[];
extern const size_t gc_schema_n_complex;
/* The audit log (GET /{version}/deviceManagement/auditEvents): a read-only set of
 * Intune-style auditEvent records, one per write and per refused authorisation; the last of
 * gc_schema_types. */
extern const gc_entity_type gc_schema_audit_event;
/* All enum types (for $metadata). */
extern const gc_enum_type *const gc_schema_enums[];
extern const size_t gc_schema_n_enums;

/* The directory's user as graphcerts serves it (GET /beta/users?$filter=userPrincipalName eq
 * '...'): not stored, derived per tenant and UPN, so it is not among gc_schema_types. */
extern const gc_entity_type gc_schema_user;

/* The user id graphcerts derives for a UPN (upn[0..len)): RFC 9562 v5 of the lower-cased UPN
 * in the tenant's namespace; compact drops the dashes (the form inside userPFXCertificate
 * ids). *out is arena-owned. GC_E_INTERNAL when the tenant is not a GUID. */
int gc_schema_user_id(const char *tenant, const char *upn, size_t len, bool compact, gc_arena *a,
                      char **out, gc_err *err);

/* The type whose set is container/set_name (container NULL for a root set), or NULL. */
const gc_entity_type *gc_schema_find_set(const char *container, const char *set_name);
const gc_prop *gc_schema_find_prop(const gc_entity_type *t, const char *name);
const gc_prop *gc_schema_key(const gc_entity_type *t);
/* True when p is stored as JSON text (a complex value or a collection). */
bool gc_schema_is_json(const gc_prop *p);

/* Enum lookups: by member name (case-insensitive) or value. NULL when not a member. */
const gc_enum_member *gc_enum_by_name(const gc_enum_type *e, const char *name, size_t len);
const gc_enum_member *gc_enum_by_value(const gc_enum_type *e, long value);
/* A value of e from its wire text s[0..len): a member's name, or for a flags enum member names
 * joined by ',' (spaces around them allowed). 0, or -1 when not a value of e. */
int gc_enum_parse(const gc_enum_type *e, const char *s, size_t len, long *value);
/* The wire text of value (a member's name; for a flags enum the names of its bits in member
 * order, joined by ','), in a or static; NULL when value is not a value of e. */
const char *gc_enum_format(const gc_enum_type *e, long value, gc_arena *a);
/* True when value is a value of e (a member, or for a flags enum a combination of them). */
bool gc_enum_valid(const gc_enum_type *e, long value);

#endif
