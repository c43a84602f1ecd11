/* The four certificate entity types of the contract (§1) and the audit log, as data. Property order is the order
 * of the wire (and of the doc pages' examples). Everything else — DDL, validation, responses,
 * $metadata, permissions — is derived from these tables. */
#include "schema/schema.h"

#include <jansson.h>
#include <stddef.h>
#include <string.h>

#include "cert/x509.h"
#include "core/util.h"

#define N(arr) (sizeof(arr) / sizeof((arr)[0]))
#define MIN_DATE "\"0001-01-01T00:00:00Z\""

/* ---- enums ---- */

static const gc_enum_member pfx_purpose_members[] = {
    {"unassigned", 0}, {"smimeEncryption", 1}, {"smimeSigning", 2}, {"vpn", 4}, {"wifi", 8},
};
static const gc_enum_type pfx_purpose = {"userPfxIntendedPurpose", pfx_purpose_members,
                                         N(pfx_purpose_members)};

static const gc_enum_member pfx_padding_members[] = {
    {"none", 0},       {"pkcs1", 1},      {"oaepSha1", 2},
    {"oaepSha256", 3}, {"oaepSha384", 4}, {"oaepSha512", 5},
};
static const gc_enum_type pfx_padding = {"userPfxPaddingScheme", pfx_padding_members,
                                         N(pfx_padding_members)};
static const int pfx_padding_refused[] = {1, 2, -1};

static const gc_enum_member revocation_members[] = {
    {"none", 0}, {"pending", 1}, {"issued", 2}, {"failed", 3}, {"revoked", 4},
};
static const gc_enum_type revocation_status = {"certificateRevocationStatus", revocation_members,
                                               N(revocation_members)};

static const gc_enum_member cert_status_members[] = {{"notProvisioned", 0}, {"provisioned", 1}};
static const gc_enum_type cert_status = {"certificateStatus", cert_status_members,
                                         N(cert_status_members)};

const gc_enum_type *const gc_schema_enums[] = {&pfx_purpose, &pfx_padding, &revocation_status,
                                               &cert_status};
const size_t gc_schema_n_enums = N(gc_schema_enums);

/* ---- permissions ---- */

static const char *const config_read[] = {"DeviceManagementConfiguration.Read.All",
                                          "DeviceManagementConfiguration.ReadWrite.All", NULL};
static const char *const config_write[] = {"DeviceManagementConfiguration.ReadWrite.All", NULL};
static const char *const apps_read[] = {"DeviceManagementApps.Read.All",
                                        "DeviceManagementApps.ReadWrite.All",
                                        "DeviceManagementConfiguration.Read.All",
                                        "DeviceManagementConfiguration.ReadWrite.All", NULL};
static const char *const apps_write[] = {"DeviceManagementApps.ReadWrite.All", NULL};

/* Flag sets used below. */
#define QRY (GC_P_FILTER | GC_P_SORT)
#define KEY (GC_P_KEY | GC_P_SERVER | QRY)
#define OPT_STR (GC_P_NULLABLE | QRY)

/* ---- userPFXCertificate (§1.1) ---- */

static const gc_prop user_pfx_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = KEY},
    {.name = "thumbprint", .column = "thumbprint", .type = GC_EDM_STRING,
     .flags = GC_P_REQUIRED | OPT_STR | GC_P_INDEX | GC_P_LOWER | GC_P_THUMBPRINT | GC_P_IMMUTABLE},
    {.name = "intendedPurpose", .column = "intended_purpose", .type = GC_EDM_ENUM,
     .enum_type = &pfx_purpose, .flags = QRY, .deflt = "\"unassigned\""},
    {.name = "userPrincipalName", .column = "user_principal_name", .type = GC_EDM_STRING,
     .flags = GC_P_REQUIRED | OPT_STR | GC_P_INDEX | GC_P_IMMUTABLE},
    {.name = "startDateTime", .column = "start_date_time", .type = GC_EDM_DATETIME,
     .flags = QRY, .deflt = MIN_DATE},
    {.name = "expirationDateTime", .column = "expiration_date_time", .type = GC_EDM_DATETIME,
     .flags = QRY | GC_P_INDEX, .deflt = MIN_DATE},
    {.name = "providerName", .column = "provider_name", .type = GC_EDM_STRING, .flags = OPT_STR},
    {.name = "keyName", .column = "key_name", .type = GC_EDM_STRING, .flags = OPT_STR},
    {.name = "paddingScheme", .column = "padding_scheme", .type = GC_EDM_ENUM,
     .enum_type = &pfx_padding, .flags = QRY, .deflt = "\"none\"", .refused = pfx_padding_refused,
     .refused_why = "is no longer supported; use oaepSha256, oaepSha384, oaepSha512 or none"},
    {.name = "encryptedPfxBlob", .column = "encrypted_pfx_blob", .type = GC_EDM_BINARY,
     .flags = GC_P_REQUIRED | GC_P_NULLABLE | GC_P_SECRET, .masked = "\"AA==\""},
    {.name = "encryptedPfxPassword", .column = "encrypted_pfx_password", .type = GC_EDM_STRING,
     .flags = GC_P_REQUIRED | GC_P_NULLABLE | GC_P_SECRET, .masked = "\"\""},
    {.name = "createdDateTime", .column = "created_date_time", .type = GC_EDM_DATETIME,
     .flags = GC_P_SERVER | GC_P_STAMP_CREATE | QRY | GC_P_INDEX},
    {.name = "lastModifiedDateTime", .column = "last_modified_date_time", .type = GC_EDM_DATETIME,
     .flags = GC_P_SERVER | GC_P_STAMP_WRITE | QRY | GC_P_INDEX},
};

/* {v5 user id without dashes}-{lowercase thumbprint} */
static int user_thumb_id(const gc_entity_type *t, const struct json_t *rec, const char *tenant,
                         gc_arena *a, char **id, gc_err *err)
{
    const char *upn = json_string_value(json_object_get(rec, "userPrincipalName"));
    const char *thumb = json_string_value(json_object_get(rec, "thumbprint"));
    if (!upn || !thumb)
        return gc_err_set(err, GC_E_INTERNAL, "", "The id cannot be made without user and thumbprint.");
    char *compact;
    if (gc_schema_user_id(tenant, upn, strlen(upn), true, a, &compact, err) < 0)
        return -1;
    *id = gc_arena_printf(a, "%s-%s", compact, thumb);
    return 0;
}

static const gc_entity_type user_pfx = {
    .name = "userPFXCertificate",
    .set_path = "deviceManagement/userPfxCertificates",
    .container = "deviceManagement",
    .set_name = "userPfxCertificates",
    .table = "user_pfx_certificates",
    .versions = GC_V_BETA,
    .props = user_pfx_props,
    .n_props = N(user_pfx_props),
    .make_id = user_thumb_id,
    .read_perms = config_read,
    .write_perms = config_write,
    .type_alias = "microsoft.management.services.api.userPFXCertificate",
    .audit_category = "DeviceConfiguration",
    .audit_name = &user_pfx_props[3], /* userPrincipalName */
    .expiry = "expirationDateTime",
};

/* ---- managedAllDeviceCertificateState (§1.2) ---- */

static int revoke_status_hook(const gc_entity_type *t, const struct json_t *old,
                              const struct json_t *body, struct json_t *next, int64_t now_ticks,
                              gc_arena *a, gc_err *err);

static const gc_prop device_cert_state_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = KEY},
    {.name = "certificateRevokeStatus", .column = "certificate_revoke_status",
     .type = GC_EDM_ENUM, .enum_type = &revocation_status, .flags = QRY | GC_P_INDEX,
     .deflt = "\"none\""},
    {.name = "certificateRevokeStatusLastChangeDateTime",
     .column = "certificate_revoke_status_last_change_date_time", .type = GC_EDM_DATETIME,
     .flags = QRY, .deflt = MIN_DATE},
    {.name = "managedDeviceDisplayName", .column = "managed_device_display_name",
     .type = GC_EDM_STRING, .flags = OPT_STR},
    {.name = "userPrincipalName", .column = "user_principal_name", .type = GC_EDM_STRING,
     .flags = OPT_STR | GC_P_INDEX},
    {.name = "certificateExpirationDateTime", .column = "certificate_expiration_date_time",
     .type = GC_EDM_DATETIME, .flags = QRY | GC_P_INDEX, .deflt = MIN_DATE},
    {.name = "certificateIssuerName", .column = "certificate_issuer_name", .type = GC_EDM_STRING,
     .flags = OPT_STR},
    {.name = "certificateThumbprint", .column = "certificate_thumbprint", .type = GC_EDM_STRING,
     .flags = OPT_STR | GC_P_INDEX},
    {.name = "certificateSerialNumber", .column = "certificate_serial_number",
     .type = GC_EDM_STRING, .flags = OPT_STR},
    {.name = "certificateSubjectName", .column = "certificate_subject_name",
     .type = GC_EDM_STRING, .flags = OPT_STR},
    {.name = "certificateKeyUsages", .column = "certificate_key_usages", .type = GC_EDM_INT32,
     .flags = GC_P_NULLABLE | QRY},
    {.name = "certificateExtendedKeyUsages", .column = "certificate_extended_key_usages",
     .type = GC_EDM_STRING, .flags = OPT_STR},
    {.name = "certificateIssuanceDateTime", .column = "certificate_issuance_date_time",
     .type = GC_EDM_DATETIME, .flags = QRY, .deflt = MIN_DATE},
};

static const gc_entity_type device_cert_state = {
    .name = "managedAllDeviceCertificateState",
    .set_path = "deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates",
    .container = "deviceManagement",
    .set_name = "deviceConfigurationsAllManagedDeviceCertificateStates",
    .table = "managed_all_device_certificate_states",
    .versions = GC_V_BETA,
    .props = device_cert_state_props,
    .n_props = N(device_cert_state_props),
    .read_perms = config_read,
    .write_perms = config_write,
    .hook = revoke_status_hook,
    .audit_category = "DeviceConfiguration",
    .audit_name = &device_cert_state_props[3], /* managedDeviceDisplayName */
    .expiry = "certificateExpirationDateTime",
};

/* ---- enterpriseCodeSigningCertificate (§1.3) ---- */

static int code_signing_hook(const gc_entity_type *t, const struct json_t *old,
                             const struct json_t *body, struct json_t *next, int64_t now_ticks,
                             gc_arena *a, gc_err *err);

static const gc_prop code_signing_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = KEY},
    {.name = "content", .column = "content", .type = GC_EDM_BINARY, .flags = GC_P_NULLABLE},
    {.name = "status", .column = "status", .type = GC_EDM_ENUM, .enum_type = &cert_status,
     .flags = QRY | GC_P_INDEX, .deflt = "\"notProvisioned\""},
    {.name = "subjectName", .column = "subject_name", .type = GC_EDM_STRING, .flags = OPT_STR},
    {.name = "subject", .column = "subject", .type = GC_EDM_STRING, .flags = OPT_STR},
    {.name = "issuerName", .column = "issuer_name", .type = GC_EDM_STRING, .flags = OPT_STR},
    {.name = "issuer", .column = "issuer", .type = GC_EDM_STRING, .flags = OPT_STR},
    {.name = "expirationDateTime", .column = "expiration_date_time", .type = GC_EDM_DATETIME,
     .flags = QRY | GC_P_INDEX, .deflt = MIN_DATE},
    {.name = "uploadDateTime", .column = "upload_date_time", .type = GC_EDM_DATETIME,
     .flags = QRY, .deflt = MIN_DATE},
};

static const gc_entity_type code_signing = {
    .name = "enterpriseCodeSigningCertificate",
    .set_path = "deviceAppManagement/enterpriseCodeSigningCertificates",
    .container = "deviceAppManagement",
    .set_name = "enterpriseCodeSigningCertificates",
    .table = "enterprise_code_signing_certificates",
    .versions = GC_V_BETA | GC_V_V1,
    .props = code_signing_props,
    .n_props = N(code_signing_props),
    .read_perms = apps_read,
    .write_perms = apps_write,
    .hook = code_signing_hook,
    .audit_category = "Application",
    .audit_name = &code_signing_props[3], /* subjectName */
    .expiry = "expirationDateTime",
};

/* ---- pfxUserCertificate (§1.4, the older form at the version root) ---- */

static const gc_prop pfx_user_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = KEY},
    {.name = "tenantId", .column = "tenant_id", .type = GC_EDM_GUID, .flags = QRY,
     .deflt = "\"00000000-0000-0000-0000-000000000000\""},
    {.name = "userId", .column = "user_id", .type = GC_EDM_GUID, .flags = QRY | GC_P_INDEX,
     .deflt = "\"00000000-0000-0000-0000-000000000000\""},
    {.name = "thumbprint", .column = "thumbprint", .type = GC_EDM_STRING, .flags = OPT_STR | GC_P_INDEX},
    {.name = "userUpn", .column = "user_upn", .type = GC_EDM_STRING, .flags = OPT_STR | GC_P_INDEX},
    {.name = "encryptedPfxBlob", .column = "encrypted_pfx_blob", .type = GC_EDM_STRING,
     .flags = GC_P_NULLABLE},
    {.name = "encryptedPfxPassword", .column = "encrypted_pfx_password", .type = GC_EDM_STRING,
     .flags = GC_P_NULLABLE},
    {.name = "certStartDate", .column = "cert_start_date", .type = GC_EDM_DATETIME, .flags = QRY,
     .deflt = MIN_DATE},
    {.name = "certExpirationDate", .column = "cert_expiration_date", .type = GC_EDM_DATETIME,
     .flags = QRY | GC_P_INDEX, .deflt = MIN_DATE},
    {.name = "providerName", .column = "provider_name", .type = GC_EDM_STRING, .flags = OPT_STR},
    {.name = "encryptionKeyName", .column = "encryption_key_name", .type = GC_EDM_STRING,
     .flags = OPT_STR},
    {.name = "paddingScheme", .column = "padding_scheme", .type = GC_EDM_INT32, .flags = QRY,
     .deflt = "0"},
    {.name = "status", .column = "status", .type = GC_EDM_INT32, .flags = QRY, .deflt = "0"},
    {.name = "intendedPurpose", .column = "intended_purpose", .type = GC_EDM_INT32, .flags = QRY,
     .deflt = "0"},
    {.name = "createdTime", .column = "created_time", .type = GC_EDM_DATETIME,
     .flags = GC_P_SERVER | GC_P_STAMP_CREATE | QRY},
    {.name = "isDeleted", .column = "is_deleted", .type = GC_EDM_BOOLEAN, .flags = QRY,
     .deflt = "false"},
    {.name = "lastModifiedTime", .column = "last_modified_time", .type = GC_EDM_DATETIME,
     .flags = GC_P_SERVER | GC_P_STAMP_WRITE | QRY},
    {.name = "eTag", .column = "e_tag", .type = GC_EDM_STRING,
     .flags = GC_P_SERVER | GC_P_NULLABLE | GC_P_VERSION},
};

static const gc_entity_type pfx_user = {
    .name = "pfxUserCertificate",
    .set_path = "pfxUserCertificates",
    .container = NULL,
    .set_name = "pfxUserCertificates",
    .table = "pfx_user_certificates",
    .versions = GC_V_BETA,
    .props = pfx_user_props,
    .n_props = N(pfx_user_props),
    .read_perms = config_read,
    .write_perms = config_write,
    .audit_category = "DeviceConfiguration",
    .audit_name = &pfx_user_props[4], /* userUpn */
    .expiry = "certExpirationDate",
};

/* ---- auditEvent: the audit log (Intune's auditEvent, auditActor, auditResource) ---- */

static const gc_prop audit_property_props[] = {
    {.name = "displayName", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "oldValue", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "newValue", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
};
static const gc_complex_type audit_property = {"auditProperty", audit_property_props,
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
static const gc_complex_type audit_actor = {"auditActor", audit_actor_props,
                                            N(audit_actor_props)};

static const gc_prop audit_resource_props[] = {
    {.name = "displayName", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "modifiedProperties", .type = GC_EDM_COMPLEX, .complex = &audit_property,
     .flags = GC_P_COLLECTION},
    {.name = "type", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "auditResourceType", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "resourceId", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
};
static const gc_complex_type audit_resource = {"auditResource", audit_resource_props,
                                               N(audit_resource_props)};

const gc_complex_type *const gc_schema_complex[] = {&audit_property, &audit_actor, &audit_resource};
const size_t gc_schema_n_complex = N(gc_schema_complex);

#define AUDIT_STR (GC_P_SERVER | OPT_STR)

static const gc_prop audit_event_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = KEY},
    {.name = "displayName", .column = "display_name", .type = GC_EDM_STRING, .flags = AUDIT_STR},
    {.name = "componentName", .column = "component_name", .type = GC_EDM_STRING, .flags = AUDIT_STR},
    {.name = "actor", .column = "actor", .type = GC_EDM_COMPLEX, .complex = &audit_actor,
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
    {.name = "resources", .column = "resources", .type = GC_EDM_COMPLEX, .complex = &audit_resource,
     .flags = GC_P_SERVER | GC_P_COLLECTION},
    {.name = "category", .column = "category", .type = GC_EDM_STRING, .flags = AUDIT_STR},
};

/* Graph's docs for auditEvents name only the DeviceManagementApps permissions. */
static const char *const audit_read[] = {"DeviceManagementApps.Read.All",
                                         "DeviceManagementApps.ReadWrite.All", NULL};
static const char *const nobody[] = {NULL};

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

const gc_entity_type *const gc_schema_types[] = {&user_pfx, &device_cert_state, &code_signing,
                                                 &pfx_user, &gc_schema_audit_event};
const size_t gc_schema_n_types = N(gc_schema_types);

/* ---- user: the directory lookup the PFX import tool makes (§1.1) ---- */

static const gc_prop user_props[] = {
    /* derived from the UPN, so not something to look a user up by */
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = GC_P_KEY | GC_P_SERVER},
    {.name = "userPrincipalName", .column = "user_principal_name", .type = GC_EDM_STRING,
     .flags = GC_P_FILTER},
};
static const char *const user_read[] = {"User.Read.All", "User.ReadBasic.All", "Directory.Read.All",
                                        "DeviceManagementConfiguration.Read.All",
                                        "DeviceManagementConfiguration.ReadWrite.All", NULL};

const gc_entity_type gc_schema_user = {
    .name = "user",
    .set_path = "users",
    .set_name = "users",
    .table = "users",
    .versions = GC_V_BETA | GC_V_V1,
    .props = user_props,
    .n_props = N(user_props),
    .read_perms = user_read,
    .write_perms = user_read,
};

/* ---- hooks ---- */


/* The revoke status's change time is the server's "now" when the status changes and the
 * client did not send a time of its own. */
static int revoke_status_hook(const gc_entity_type *t, const struct json_t *old,
                              const struct json_t *body, struct json_t *next, int64_t now_ticks,
                              gc_arena *a, gc_err *err)
{
    (void)t, (void)a, (void)err;
    const char *status = json_string_value(json_object_get(next, "certificateRevokeStatus"));
    const char *was = old ? json_string_value(json_object_get(old, "certificateRevokeStatus")) : "none";
    bool client_sent_time = json_object_get(body, "certificateRevokeStatusLastChangeDateTime") != NULL;
    if (status && was && strcmp(status, was) != 0 && !client_sent_time) {
        char buf[32];
        gc_datetime_format_stamp(now_ticks, buf);
        json_object_set_new(next, "certificateRevokeStatusLastChangeDateTime", json_string(buf));
    }
    return 0;
}

/* Takes v (which may be NULL when jansson could not make it). */
static int set_derived(json_t *next, const char *name, json_t *v, gc_err *err)
{
    if (!v || json_object_set_new(next, name, v) < 0)
        return gc_err_set(err, GC_E_INTERNAL, name, "The certificate's %s could not be stored.", name);
    return 0;
}

/* Content that parses as an X.509 certificate (DER or PEM text) provisions the entity: subject,
 * issuer and expiry come from the certificate, the upload time is now, and the content itself
 * is dropped (§1.3). A certificate whose extended key usage leaves out code signing, and content
 * that looks like a certificate but does not parse, are refused. Anything else stays as the
 * client sent it. */
static int code_signing_hook(const gc_entity_type *t, const struct json_t *old,
                             const struct json_t *body, struct json_t *next, int64_t now_ticks,
                             gc_arena *a, gc_err *err)
{
    (void)t, (void)old;
    const json_t *given = json_object_get(body, "content");
    const json_t *content = json_object_get(next, "content");
    if (!given || json_is_null(given) || !json_is_string(content))
        return 0;
    unsigned char *bytes;
    size_t n;
    gc_cert_info ci;
    char why[256];
    if (gc_base64_decode(a, json_string_value(content), json_string_length(content), &bytes, &n) < 0)
        return 0;
    switch (gc_cert_x509_read(bytes, n, a, &ci, why, sizeof why)) {
    case GC_CERT_NOT_CERT:
        return 0;
    case GC_CERT_BROKEN:
        return gc_err_set(err, GC_E_BAD_REQUEST, "content",
                          "The content looks like an X.509 certificate but does not parse: %s.", why);
    case GC_CERT_OK:
        break;
    }
    if (ci.has_eku && !ci.eku_code_signing)
        return gc_err_set(err, GC_E_BAD_REQUEST, "content",
                          "The certificate cannot sign code: its extended key usage (%s) does not "
                          "include codeSigning (1.3.6.1.5.5.7.3.3).",
                          ci.eku[0] ? ci.eku : "empty");
    char expires[32], uploaded[32];
    gc_datetime_format_stamp(ci.not_after, expires);
    gc_datetime_format_stamp(now_ticks, uploaded);
    if (set_derived(next, "subject", json_string(ci.subject), err) < 0 ||
        set_derived(next, "subjectName", json_string(ci.subject_name), err) < 0 ||
        set_derived(next, "issuer", json_string(ci.issuer), err) < 0 ||
        set_derived(next, "issuerName", json_string(ci.issuer_name), err) < 0 ||
        set_derived(next, "expirationDateTime", json_string(expires), err) < 0 ||
        set_derived(next, "uploadDateTime", json_string(uploaded), err) < 0 ||
        set_derived(next, "status", json_string("provisioned"), err) < 0 ||
        set_derived(next, "content", json_null(), err) < 0)
        return -1;
    return 0;
}
