/* enterpriseCodeSigningCertificate (contract §1.3): the type, its enum and its hook (the
 * fields derived from the uploaded certificate). */
#include "schema/entities/entities.h"

#include <jansson.h>
#include <string.h>

#include "cert/x509.h"
#include "core/util.h"

static const gc_enum_member cert_status_members[] = {{"notProvisioned", 0}, {"provisioned", 1}};
GC_SCHEMA_REGISTER(enum, 300, gc_enum_cert_status);
const gc_enum_type gc_enum_cert_status = {"certificateStatus", cert_status_members,
                                         N(cert_status_members), false};

/* ---- enterpriseCodeSigningCertificate (§1.3) ---- */

static int code_signing_hook(const gc_entity_type *t, const struct json_t *old,
                             const struct json_t *body, struct json_t *next, int64_t now_ticks,
                             gc_arena *a, gc_err *err);

static const gc_prop code_signing_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = KEY},
    {.name = "content", .column = "content", .type = GC_EDM_BINARY, .flags = GC_P_NULLABLE},
    {.name = "status", .column = "status", .type = GC_EDM_ENUM, .enum_type = &gc_enum_cert_status,
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

GC_SCHEMA_REGISTER(entity, 300, gc_type_code_signing);
const gc_entity_type gc_type_code_signing = {
    .name = "enterpriseCodeSigningCertificate",
    .set_path = "deviceAppManagement/enterpriseCodeSigningCertificates",
    .container = "deviceAppManagement",
    .set_name = "enterpriseCodeSigningCertificates",
    .table = "enterprise_code_signing_certificates",
    .versions = GC_V_BETA | GC_V_V1,
    .props = code_signing_props,
    .n_props = N(code_signing_props),
    .read_perms = gc_perm_apps_read,
    .write_perms = gc_perm_apps_write,
    .hook = code_signing_hook,
    .audit_category = "Application",
    .audit_name = &code_signing_props[3], /* subjectName */
    .expiry = "expirationDateTime",
};


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
