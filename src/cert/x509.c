/* X.509 certificate reading for uploaded content (DER or PEM): subject and issuer as Windows
 * shows them, validity as ticks, thumbprint and serial. The only file that handles OpenSSL's
 * X509 types; everything it returns is copied into the caller's arena, and every OpenSSL object
 * is freed before returning. Garbage input is answered with -1, never a crash. */
#include "cert/x509.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/util.h"

/* Room for a DN string built from a bounded input: hex doubles a value, quoting at most
 * doubles it, keys and separators add less than the DER overhead they replace. */
#define DN_LIMIT (4 * GC_CERT_MAX_INPUT + 64)

/* ---- text helpers ---- */

static void hex_upper(const unsigned char *data, size_t len, char *out /* 2*len+1 */)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

/* ---- distinguished names ---- */

/* Windows' X.500 keys (CertNameToStr, CERT_X500_NAME_STR) for the attributes it names. */
static const struct {
    int nid;
    const char *key;
} dn_keys[] = {
    {NID_commonName, "CN"},
    {NID_localityName, "L"},
    {NID_organizationName, "O"},
    {NID_organizationalUnitName, "OU"},
    {NID_pkcs9_emailAddress, "E"},
    {NID_countryName, "C"},
    {NID_stateOrProvinceName, "S"},
    {NID_streetAddress, "STREET"},
    {NID_title, "T"},
    {NID_givenName, "G"},
    {NID_initials, "I"},
    {NID_surname, "SN"},
    {NID_domainComponent, "DC"},
    {NID_serialNumber, "SERIALNUMBER"},
    {NID_postalCode, "PostalCode"},
    {NID_description, "Description"},
    {NID_postOfficeBox, "POBox"},
    {NID_telephoneNumber, "Phone"},
};

static int append_key(gc_buf *b, const ASN1_OBJECT *obj)
{
    int nid = OBJ_obj2nid(obj);
    for (size_t i = 0; nid != NID_undef && i < sizeof dn_keys / sizeof dn_keys[0]; i++)
        if (dn_keys[i].nid == nid)
            return gc_buf_append(b, dn_keys[i].key, strlen(dn_keys[i].key));
    char oid[128];
    int n = OBJ_obj2txt(oid, sizeof oid, obj, 1);
    if (n <= 0 || (size_t)n >= sizeof oid)
        return -1;
    return gc_buf_appendf(b, "OID.%s", oid);
}

static bool needs_quotes(const unsigned char *v, size_t len)
{
    if (len == 0 || v[0] == ' ' || v[len - 1] == ' ')
        return true;
    for (size_t i = 0; i < len; i++)
        if (v[i] != '\0' && strchr(",+=\"<>#;\r\n", v[i]))
            return true;
    return false;
}

static int append_hex_value(gc_buf *b, const ASN1_STRING *s)
{
    int rc = -1;
    size_t n = (size_t)ASN1_STRING_length(s);
    char *hex = OPENSSL_malloc(2 * n + 1);
    if (!hex)
        goto done;
    hex_upper(ASN1_STRING_get0_data(s), n, hex);
    gc_buf_append(b, "#", 1);
    gc_buf_append(b, hex, 2 * n);
    rc = 0;
done:
    OPENSSL_free(hex);
    return rc;
}

/* The value as text, quoted the Windows way when it needs it, or '#' + hex when it is not
 * text that can be shown. *text and *text_len receive the unquoted UTF-8 (owned by the caller,
 * OPENSSL_free) when the value is text, else NULL. */
static int append_value(gc_buf *b, const ASN1_STRING *s, unsigned char **text, int *text_len)
{
    unsigned char *u = NULL;
    int n = ASN1_STRING_to_UTF8(&u, s);
    *text = NULL;
    *text_len = 0;
    if (n < 0 || !gc_utf8_valid(u, (size_t)n)) {
        OPENSSL_free(u);
        return append_hex_value(b, s);
    }
    size_t len = (size_t)n;
    if (!needs_quotes(u, len)) {
        gc_buf_append(b, u, len);
    } else {
        gc_buf_append(b, "\"", 1);
        size_t from = 0;
        for (size_t i = 0; i < len; i++) {
            if (u[i] != '"')
                continue;
            /* the quote itself is written twice: once with the run before it, once alone */
            gc_buf_append(b, u + from, i + 1 - from);
            gc_buf_append(b, "\"", 1);
            from = i + 1;
        }
        gc_buf_append(b, u + from, len - from);
        gc_buf_append(b, "\"", 1);
    }
    *text = u;
    *text_len = n;
    return 0;
}

/* Formats name (see x509.h) into *dn and its most specific CN into *cn (the DN when none). */
static int format_name(const X509_NAME *name, gc_arena *a, const char **dn, const char **cn)
{
    int rc = -1;
    gc_buf b;
    gc_buf_init(&b, DN_LIMIT);
    unsigned char *cn_text = NULL;
    int cn_len = 0, cn_index = -1;

    int count = X509_NAME_entry_count(name);
    int i = count - 1;
    while (i >= 0) {
        /* the RDN holding entry i spans entries first..i */
        int set = X509_NAME_ENTRY_set(X509_NAME_get_entry(name, i));
        int first = i;
        while (first > 0 && X509_NAME_ENTRY_set(X509_NAME_get_entry(name, first - 1)) == set)
            first--;
        if (i != count - 1)
            gc_buf_append(&b, ", ", 2);
        for (int k = first; k <= i; k++) {
            const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, k);
            const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
            unsigned char *text;
            int text_len;
            if (k != first)
                gc_buf_append(&b, " + ", 3);
            if (append_key(&b, obj) < 0)
                goto done; /* an OID without a text form, or past the limit */
            gc_buf_append(&b, "=", 1);
            if (append_value(&b, X509_NAME_ENTRY_get_data(e), &text, &text_len) < 0)
                goto done; /* out of memory */
            if (text && k > cn_index && OBJ_obj2nid(obj) == NID_commonName) {
                OPENSSL_free(cn_text);
                cn_text = text;
                cn_len = text_len;
                cn_index = k;
            } else {
                OPENSSL_free(text);
            }
        }
        i = first - 1;
    }
    if (b.overflow) /* an append past DN_LIMIT was refused: checked once, here */
        goto done;
    *dn = gc_arena_strndup(a, b.data ? b.data : "", b.len);
    *cn = cn_index >= 0 ? gc_arena_strndup(a, (const char *)cn_text, (size_t)cn_len) : *dn;
    rc = 0;
done:
    OPENSSL_free(cn_text);
    gc_buf_free(&b);
    return rc;
}

/* ---- the other fields ---- */

static int time_ticks(const ASN1_TIME *t, int64_t *ticks)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return -1;
    int year = tm.tm_year + 1900;
    if (year < 1 || year > 9999)
        return -1;
    char s[32];
    int n = snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n < 0 || (size_t)n >= sizeof s)
        return -1;
    return gc_datetime_parse(s, (size_t)n, ticks);
}

/* The INTEGER's content octets (after tag and length) as upper-case hex. */
static int serial_hex(const ASN1_INTEGER *serial, gc_arena *a, const char **out)
{
    int rc = -1;
    unsigned char *der = NULL;
    int n = serial ? i2d_ASN1_INTEGER(serial, &der) : -1;
    if (n < 2)
        goto done;
    size_t len = (size_t)n, hdr = 2;
    if (der[1] & 0x80)
        hdr += der[1] & 0x7f;
    if (hdr >= len)
        goto done;
    char *hex = gc_arena_alloc(a, 2 * (len - hdr) + 1);
    hex_upper(der + hdr, len - hdr, hex);
    *out = hex;
    rc = 0;
done:
    OPENSSL_free(der);
    return rc;
}

/* The purposes of the extended key usage extension into ci (see x509.h). -1 with why filled when
 * the extension is there but does not parse, or is there twice. */
static int read_eku(X509 *x, gc_cert_info *ci, gc_arena *a, char *why, size_t why_len)
{
    int rc = -1, crit = 0;
    gc_buf b;
    gc_buf_init(&b, 64 * 1024);
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
    if (!eku) {
        if (crit == -1) {
            rc = 0; /* no such extension: every use allowed */
            goto done;
        }
        snprintf(why, why_len, "%s", crit == -2 ? "it has two extended key usage extensions"
                                                : "its extended key usage extension does not parse");
        goto done;
    }
    ci->has_eku = true;
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
        const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
        int nid = OBJ_obj2nid(o);
        if (nid == NID_code_sign || nid == NID_anyExtendedKeyUsage)
            ci->eku_code_signing = true;
        const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
        char oid[128];
        if (!sn) {
            int n = OBJ_obj2txt(oid, sizeof oid, o, 1);
            sn = n > 0 && (size_t)n < sizeof oid ? oid : "?";
        }
        if ((i > 0 && gc_buf_append(&b, ", ", 2) < 0) || gc_buf_append(&b, sn, strlen(sn)) < 0) {
            snprintf(why, why_len, "its extended key usage extension is too long");
            goto done;
        }
    }
    ci->eku = gc_arena_strndup(a, b.data ? b.data : "", b.len);
    rc = 0;
done:
    EXTENDED_KEY_USAGE_free(eku);
    gc_buf_free(&b);
    return rc;
}

static int fill_info(X509 *x, const unsigned char *der, size_t der_len, gc_arena *a,
                     gc_cert_info *out, char *why, size_t why_len)
{
    gc_cert_info ci = {0};
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (format_name(X509_get_subject_name(x), a, &ci.subject, &ci.subject_name) < 0 ||
        format_name(X509_get_issuer_name(x), a, &ci.issuer, &ci.issuer_name) < 0) {
        snprintf(why, why_len, "its subject or issuer name cannot be read");
        return -1;
    }
    if (time_ticks(X509_get0_notBefore(x), &ci.not_before) < 0 ||
        time_ticks(X509_get0_notAfter(x), &ci.not_after) < 0) {
        snprintf(why, why_len, "its validity dates are not dates from year 1 to 9999");
        return -1;
    }
    if (serial_hex(X509_get0_serialNumber(x), a, &ci.serial) < 0 ||
        EVP_Digest(der, der_len, md, &md_len, EVP_sha1(), NULL) != 1 || md_len != 20) {
        snprintf(why, why_len, "its serial number or thumbprint cannot be read");
        return -1;
    }
    if (read_eku(x, &ci, a, why, why_len) < 0)
        return -1;
    char *thumb = gc_arena_alloc(a, 41);
    gc_hex_lower(md, 20, thumb);
    ci.thumbprint = thumb;
    *out = ci;
    return 0;
}

/* OpenSSL's reason for the failure just seen, as "form: reason (where)". clean: the queue held
 * nothing of the caller's, so every entry is ours and the oldest (the root cause) can be taken;
 * otherwise only the newest is looked at. Entries stay for the caller's ERR_pop_to_mark. */
static void openssl_why(bool clean, const char *form, char *why, size_t why_len)
{
    const char *reason = NULL, *where = NULL;
    char where_buf[128] = "";
    const char *data = NULL;
    int flags = 0;
    unsigned long e;
    if (clean) {
        /* oldest first: the root cause, then "nested asn1 error" entries naming the field */
        while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
            if (!reason)
                reason = ERR_reason_error_string(e);
            if (!where && (flags & ERR_TXT_STRING) && data && *data) {
                snprintf(where_buf, sizeof where_buf, "%s", data);
                where = where_buf;
            }
        }
    } else if ((e = ERR_peek_last_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        reason = ERR_reason_error_string(e);
        if ((flags & ERR_TXT_STRING) && data && *data)
            where = data;
    }
    if (!reason)
        reason = "not a certificate";
    if (where)
        snprintf(why, why_len, "%s: %s (%s)", form, reason, where);
    else
        snprintf(why, why_len, "%s: %s", form, reason);
}

/* Exactly one DER certificate filling der[0..len). */
static int parse_der(const unsigned char *der, size_t len, bool clean, gc_arena *a,
                     gc_cert_info *out, char *why, size_t why_len)
{
    int rc = -1;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x) {
        openssl_why(clean, "DER", why, why_len);
        goto done;
    }
    if ((size_t)(p - der) != len) {
        snprintf(why, why_len, "DER: %zu bytes follow the certificate", len - (size_t)(p - der));
        goto done;
    }
    rc = fill_info(x, der, len, a, out, why, why_len);
done:
    X509_free(x);
    return rc;
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e)
            return false;
    return true;
}

static int parse_pem(const unsigned char *data, size_t len, bool clean, gc_arena *a,
                     gc_cert_info *out, char *why, size_t why_len)
{
    int rc = -1;
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long der_len = 0;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (!bio) {
        snprintf(why, why_len, "PEM: out of memory");
        goto done;
    }
    if (PEM_read_bio(bio, &name, &header, &der, &der_len) != 1) {
        openssl_why(clean, "PEM", why, why_len);
        goto done;
    }
    if (strcmp(name, PEM_STRING_X509) != 0) {
        bool show = strlen(name) <= 40 && printable(name);
        snprintf(why, why_len, "PEM: the first block is labelled '%s', not 'CERTIFICATE'",
                 show ? name : "(something else)");
        goto done;
    }
    if ((header && *header) || der_len <= 0) {
        snprintf(why, why_len, "PEM: %s", der_len <= 0 ? "the CERTIFICATE block is empty"
                                                       : "the CERTIFICATE block has headers");
        goto done;
    }
    rc = parse_der(der, (size_t)der_len, clean, a, out, why, why_len);
done:
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    BIO_free(bio);
    return rc;
}

/* PEM armour anywhere, or a DER SEQUENCE header at the start (see x509.h). */
static bool looks_pem(const unsigned char *data, size_t len)
{
    return memmem(data, len, "-----BEGIN ", 11) != NULL;
}

static bool looks_der(const unsigned char *data, size_t len)
{
    if (len < 2 || data[0] != 0x30)
        return false;
    if (data[1] >= 0x80)
        return data[1] <= 0x84; /* indefinite or long form: never text after '0' */
    return data[1] == len - 2;
}

gc_cert_verdict gc_cert_x509_read(const unsigned char *data, size_t len, gc_arena *a,
                                  gc_cert_info *out, char *why, size_t why_len)
{
    why[0] = '\0';
    if (!data || len == 0)
        return GC_CERT_NOT_CERT;
    bool der = looks_der(data, len);
    if (!der && !looks_pem(data, len))
        return GC_CERT_NOT_CERT;
    if (len > GC_CERT_MAX_INPUT) {
        snprintf(why, why_len, "it is larger than %zu bytes", (size_t)GC_CERT_MAX_INPUT);
        return GC_CERT_BROKEN;
    }
    bool clean = ERR_peek_error() == 0;
    ERR_set_mark();
    int rc = der ? parse_der(data, len, clean, a, out, why, why_len)
                 : parse_pem(data, len, clean, a, out, why, why_len);
    ERR_pop_to_mark();
    if (clean)
        ERR_clear_error();
    return rc == 0 ? GC_CERT_OK : GC_CERT_BROKEN;
}

int gc_cert_x509_parse(const unsigned char *data, size_t len, gc_arena *a, gc_cert_info *out)
{
    char why[256];
    return gc_cert_x509_read(data, len, a, out, why, sizeof why) == GC_CERT_OK ? 0 : -1;
}
