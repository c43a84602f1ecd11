/* The registry of the schema: every entity type, enum type and complex type, each defined in its
 * own file of schema/entities/ with its hooks, listed here in their stable order (the order of
 * $metadata, the service document and the DDL), and the permission lists the types share.
 * Adding an entity type: its file in schema/entities/, and its line in gc_schema_types. */
#include "schema/schema.h"
#include "schema/entities/entities.h"

/* ---- permissions ---- */

const char *const gc_perm_config_read[] = {"DeviceManagementConfiguration.Read.All",
                                          "DeviceManagementConfiguration.ReadWrite.All", NULL};
const char *const gc_perm_config_write[] = {"DeviceManagementConfiguration.ReadWrite.All", NULL};
const char *const gc_perm_apps_read[] = {"DeviceManagementApps.Read.All",
                                        "DeviceManagementApps.ReadWrite.All",
                                        "DeviceManagementConfiguration.Read.All",
                                        "DeviceManagementConfiguration.ReadWrite.All", NULL};
const char *const gc_perm_apps_write[] = {"DeviceManagementApps.ReadWrite.All", NULL};

/* ---- the registry ---- */

extern const gc_entity_type gc_type_user_pfx, gc_type_device_cert_state, gc_type_code_signing,
    gc_type_pfx_user;
extern const gc_enum_type gc_enum_pfx_purpose, gc_enum_pfx_padding, gc_enum_revocation_status,
    gc_enum_cert_status;
extern const gc_complex_type gc_complex_audit_property, gc_complex_audit_actor,
    gc_complex_audit_resource;

const gc_entity_type *const gc_schema_types[] = {&gc_type_user_pfx, &gc_type_device_cert_state,
                                                 &gc_type_code_signing, &gc_type_pfx_user,
                                                 &gc_schema_audit_event};
const size_t gc_schema_n_types = N(gc_schema_types);

const gc_enum_type *const gc_schema_enums[] = {&gc_enum_pfx_purpose, &gc_enum_pfx_padding,
                                               &gc_enum_revocation_status, &gc_enum_cert_status};
const size_t gc_schema_n_enums = N(gc_schema_enums);

const gc_complex_type *const gc_schema_complex[] = {
    &gc_complex_audit_property, &gc_complex_audit_actor, &gc_complex_audit_resource};
const size_t gc_schema_n_complex = N(gc_schema_complex);
