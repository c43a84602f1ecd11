/* pfxUserCertificate (contract §1.4, the older form at the version root). */
#include "schema/entities/entities.h"

#include <jansson.h>
#include <string.h>

#include "cert/x509.h"
#include "core/util.h"

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

GC_SCHEMA_REGISTER(entity, 400, gc_type_pfx_user);
const gc_entity_type gc_type_pfx_user = {
    .name = "pfxUserCertificate",
    .set_path = "pfxUserCertificates",
    .container = NULL,
    .set_name = "pfxUserCertificates",
    .table = "pfx_user_certificates",
    .versions = GC_V_BETA,
    .props = pfx_user_props,
    .n_props = N(pfx_user_props),
    .read_perms = gc_perm_config_read,
    .write_perms = gc_perm_config_write,
    .audit_category = "DeviceConfiguration",
    .audit_name = &pfx_user_props[4], /* userUpn */
    .expiry = "certExpirationDate",
};
