/* auditEvent, the audit log (Intune's auditEvent, auditActor, auditResource): read-only. */
#include "schema/entities/entities.h"

#include <jansson.h>
#include <string.h>

#include "cert/x509.h"
#include "core/util.h"

/* ---- auditEvent: the audit log (Intune's auditEvent, auditActor, auditResource) ---- */

static const gc_prop audit_property_props[] = {
    {.name = "displayName", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "oldValue", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "newValue", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
};
GC_SCHEMA_REGISTER(complex, 900, gc_complex_audit_property);
const gc_complex_type gc_complex_audit_property = {"auditProperty", audit_property_props,
                                               N(audit_property_props)};

static const gc_prop audit_actor_props[] = {
    {.name = "type", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "auditActorType", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "userPermissions", .type = GC_EDM_STRING, .flags = GC_P_COLLECTION},
    {.name = "applicationId", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "applicationDisplayName", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "userPrincipalName", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "servicePrincipalName", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "ipAddress", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "userId", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
};
GC_SCHEMA_REGISTER(complex, 910, gc_complex_audit_actor);
const gc_complex_type gc_complex_audit_actor = {"auditActor", audit_actor_props,
                                            N(audit_actor_props)};

static const gc_prop audit_resource_props[] = {
    {.name = "displayName", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "modifiedProperties", .type = GC_EDM_COMPLEX, .complex = &gc_complex_audit_property,
     .flags = GC_P_COLLECTION},
    {.name = "type", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "auditResourceType", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "resourceId", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
};
GC_SCHEMA_REGISTER(complex, 920, gc_complex_audit_resource);
const gc_complex_type gc_complex_audit_resource = {"auditResource", audit_resource_props,
                                               N(audit_resource_props)};


#define AUDIT_STR (GC_P_SERVER | OPT_STR)

static const gc_prop audit_event_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = KEY},
    {.name = "displayName", .column = "display_name", .type = GC_EDM_STRING, .flags = AUDIT_STR},
    {.name = "componentName", .column = "component_name", .type = GC_EDM_STRING, .flags = AUDIT_STR},
    {.name = "actor", .column = "actor", .type = GC_EDM_COMPLEX, .complex = &gc_complex_audit_actor,
     .flags = GC_P_SERVER | GC_P_NULLABLE},
    {.name = "activity", .column = "activity", .type = GC_EDM_STRING, .flags = AUDIT_STR},
    {.name = "activityDateTime", .column = "activity_date_time", .type = GC_EDM_DATETIME,
     .flags = GC_P_SERVER | QRY | GC_P_INDEX},
    {.name = "activityType", .column = "activity_type", .type = GC_EDM_STRING, .flags = AUDIT_STR},
    {.name = "activityOperationType", .column = "activity_operation_type", .type = GC_EDM_STRING,
     .flags = AUDIT_STR},
    {.name = "activityResult", .column = "activity_result", .type = GC_EDM_STRING, .flags = AUDIT_STR},
    {.name = "correlationId", .column = "correlation_id", .type = GC_EDM_GUID,
     .flags = GC_P_SERVER | QRY},
    {.name = "resources", .column = "resources", .type = GC_EDM_COMPLEX, .complex = &gc_complex_audit_resource,
     .flags = GC_P_SERVER | GC_P_COLLECTION},
    {.name = "category", .column = "category", .type = GC_EDM_STRING, .flags = AUDIT_STR},
};

/* Graph's docs for auditEvents name only the DeviceManagementApps permissions. */
static const char *const audit_read[] = {"DeviceManagementApps.Read.All",
                                         "DeviceManagementApps.ReadWrite.All", NULL};
static const char *const nobody[] = {NULL};

GC_SCHEMA_REGISTER(entity, 900, gc_schema_audit_event);
const gc_entity_type gc_schema_audit_event = {
    .name = "auditEvent",
    .set_path = "deviceManagement/auditEvents",
    .container = "deviceManagement",
    .set_name = "auditEvents",
    .table = "audit_events",
    .versions = GC_V_BETA,
    .props = audit_event_props,
    .n_props = N(audit_event_props),
    .read_perms = audit_read,
    .write_perms = nobody,
    .read_only = true,
};
