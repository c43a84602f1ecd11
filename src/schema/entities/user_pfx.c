/* userPFXCertificate (contract §1.1): the type, its enums and its id maker. */
#include "schema/entities/entities.h"

#include <jansson.h>
#include <string.h>

#include "cert/x509.h"
#include "core/util.h"

static const gc_enum_member pfx_purpose_members[] = {
    {"unassigned", 0}, {"smimeEncryption", 1}, {"smimeSigning", 2}, {"vpn", 4}, {"wifi", 8},
};
GC_SCHEMA_REGISTER(enum, 100, gc_enum_pfx_purpose);
const gc_enum_type gc_enum_pfx_purpose = {"userPfxIntendedPurpose", pfx_purpose_members,
                                         N(pfx_purpose_members), false};

static const gc_enum_member pfx_padding_members[] = {
    {"none", 0},       {"pkcs1", 1},      {"oaepSha1", 2},
    {"oaepSha256", 3}, {"oaepSha384", 4}, {"oaepSha512", 5},
};
GC_SCHEMA_REGISTER(enum, 110, gc_enum_pfx_padding);
const gc_enum_type gc_enum_pfx_padding = {"userPfxPaddingScheme", pfx_padding_members,
                                         N(pfx_padding_members), false};
static const int pfx_padding_refused[] = {1, 2, -1};

/* ---- userPFXCertificate (§1.1) ---- */

static const gc_prop user_pfx_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = KEY},
    {.name = "thumbprint", .column = "thumbprint", .type = GC_EDM_STRING,
     .flags = GC_P_REQUIRED | OPT_STR | GC_P_INDEX | GC_P_LOWER | GC_P_THUMBPRINT | GC_P_IMMUTABLE},
    {.name = "intendedPurpose", .column = "intended_purpose", .type = GC_EDM_ENUM,
     .enum_type = &gc_enum_pfx_purpose, .flags = QRY, .deflt = "\"unassigned\""},
    {.name = "userPrincipalName", .column = "user_principal_name", .type = GC_EDM_STRING,
     .flags = GC_P_REQUIRED | OPT_STR | GC_P_INDEX | GC_P_IMMUTABLE},
    {.name = "startDateTime", .column = "start_date_time", .type = GC_EDM_DATETIME,
     .flags = QRY, .deflt = MIN_DATE},
    {.name = "expirationDateTime", .column = "expiration_date_time", .type = GC_EDM_DATETIME,
     .flags = QRY | GC_P_INDEX, .deflt = MIN_DATE},
    {.name = "providerName", .column = "provider_name", .type = GC_EDM_STRING, .flags = OPT_STR},
    {.name = "keyName", .column = "key_name", .type = GC_EDM_STRING, .flags = OPT_STR},
    {.name = "paddingScheme", .column = "padding_scheme", .type = GC_EDM_ENUM,
     .enum_type = &gc_enum_pfx_padding, .flags = QRY, .deflt = "\"none\"", .refused = pfx_padding_refused,
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

GC_SCHEMA_REGISTER(entity, 100, gc_type_user_pfx);
const gc_entity_type gc_type_user_pfx = {
    .name = "userPFXCertificate",
    .set_path = "deviceManagement/userPfxCertificates",
    .container = "deviceManagement",
    .set_name = "userPfxCertificates",
    .table = "user_pfx_certificates",
    .versions = GC_V_BETA,
    .props = user_pfx_props,
    .n_props = N(user_pfx_props),
    .make_id = user_thumb_id,
    .read_perms = gc_perm_config_read,
    .write_perms = gc_perm_config_write,
    .type_alias = "microsoft.management.services.api.userPFXCertificate",
    .audit_category = "DeviceConfiguration",
    .audit_name = &user_pfx_props[3], /* userPrincipalName */
    .expiry = "expirationDateTime",
};
