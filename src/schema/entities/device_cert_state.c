/* managedAllDeviceCertificateState (contract §1.2): the type, its enum and its hook. */
#include "schema/entities/entities.h"

#include <jansson.h>
#include <string.h>

#include "cert/x509.h"
#include "core/util.h"

static const gc_enum_member revocation_members[] = {
    {"none", 0}, {"pending", 1}, {"issued", 2}, {"failed", 3}, {"revoked", 4},
};
GC_SCHEMA_REGISTER(enum, 200, gc_enum_revocation_status);
const gc_enum_type gc_enum_revocation_status = {"certificateRevocationStatus", revocation_members,
                                               N(revocation_members), false};

/* ---- managedAllDeviceCertificateState (§1.2) ---- */

static int revoke_status_hook(const gc_entity_type *t, const struct json_t *old,
                              const struct json_t *body, struct json_t *next, int64_t now_ticks,
                              gc_arena *a, gc_err *err);

static const gc_prop device_cert_state_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = KEY},
    {.name = "certificateRevokeStatus", .column = "certificate_revoke_status",
     .type = GC_EDM_ENUM, .enum_type = &gc_enum_revocation_status, .flags = QRY | GC_P_INDEX,
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

GC_SCHEMA_REGISTER(entity, 200, gc_type_device_cert_state);
const gc_entity_type gc_type_device_cert_state = {
    .name = "managedAllDeviceCertificateState",
    .set_path = "deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates",
    .container = "deviceManagement",
    .set_name = "deviceConfigurationsAllManagedDeviceCertificateStates",
    .table = "managed_all_device_certificate_states",
    .versions = GC_V_BETA,
    .props = device_cert_state_props,
    .n_props = N(device_cert_state_props),
    .read_perms = gc_perm_config_read,
    .write_perms = gc_perm_config_write,
    .hook = revoke_status_hook,
    .audit_category = "DeviceConfiguration",
    .audit_name = &device_cert_state_props[3], /* managedDeviceDisplayName */
    .expiry = "certificateExpirationDateTime",
};


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
