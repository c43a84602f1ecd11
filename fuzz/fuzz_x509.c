/* Fuzz target for certificate reading (src/cert/x509.c). Any input is either refused cleanly or
 * yields fields that the code-signing hook can store as they are: JSON-safe strings, a 40-digit
 * lower-case thumbprint, an even-length upper-case hex serial and dates in range. An accepted
 * DER certificate must read the same when wrapped as PEM text. gc_cert_x509_read agrees with
 * the parse, and its reason for broken input is a non-empty JSON-safe line. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "cert/x509.h"
#include "core/util.h"

/* 9999-12-31T23:59:59Z as ticks */
#define MAX_TICKS INT64_C(3155378975990000000)

static void check_json_string(const char *s)
{
    CHECK(s != NULL);
    json_t *j = json_string(s);
    CHECK(j != NULL);
    json_decref(j);
}

static bool all_of(const char *s, const char *set)
{
    return strspn(s, set) == strlen(s);
}

static void check_info(const gc_cert_info *ci)
{
    check_json_string(ci->subject);
    check_json_string(ci->subject_name);
    check_json_string(ci->issuer);
    check_json_string(ci->issuer_name);
    CHECK(ci->thumbprint && strlen(ci->thumbprint) == 40 && all_of(ci->thumbprint, "0123456789abcdef"));
    CHECK(ci->serial && strlen(ci->serial) >= 2 && strlen(ci->serial) % 2 == 0 &&
          all_of(ci->serial, "0123456789ABCDEF"));
    CHECK(ci->not_before >= 0 && ci->not_before <= MAX_TICKS);
    CHECK(ci->not_after >= 0 && ci->not_after <= MAX_TICKS);
}

static void check_same(const gc_cert_info *a, const gc_cert_info *b)
{
    CHECK(strcmp(a->subject, b->subject) == 0);
    CHECK(strcmp(a->subject_name, b->subject_name) == 0);
    CHECK(strcmp(a->issuer, b->issuer) == 0);
    CHECK(strcmp(a->issuer_name, b->issuer_name) == 0);
    CHECK(strcmp(a->thumbprint, b->thumbprint) == 0);
    CHECK(strcmp(a->serial, b->serial) == 0);
    CHECK(a->not_before == b->not_before && a->not_after == b->not_after);
}

/* data as a PEM CERTIFICATE block, 64 base64 characters a line. */
static char *as_pem(gc_arena *a, const uint8_t *data, size_t size)
{
    const char *b64 = gc_base64_encode(a, data, size);
    size_t n = strlen(b64);
    gc_buf b;
    gc_buf_init(&b, 2 * n + 128);
    CHECK(gc_buf_append(&b, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
    for (size_t i = 0; i < n; i += 64) {
        size_t k = n - i < 64 ? n - i : 64;
        CHECK(gc_buf_append(&b, b64 + i, k) == 0 && gc_buf_append(&b, "\n", 1) == 0);
    }
    CHECK(gc_buf_append(&b, "-----END CERTIFICATE-----\n", 26) == 0);
    char *out = gc_arena_strndup(a, b.data, b.len);
    gc_buf_free(&b);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gc_arena *a = gc_arena_new();
    gc_cert_info ci, read_ci;
    char why[256];
    int parsed = gc_cert_x509_parse(data, size, a, &ci);
    gc_cert_verdict v = gc_cert_x509_read(data, size, a, &read_ci, why, sizeof why);
    CHECK((parsed == 0) == (v == GC_CERT_OK));
    if (v == GC_CERT_BROKEN) {
        CHECK(why[0] != '\0' && strchr(why, '\n') == NULL);
        check_json_string(why);
    } else {
        CHECK(why[0] == '\0');
    }
    if (v == GC_CERT_OK) {
        check_same(&ci, &read_ci);
        CHECK(!read_ci.has_eku || read_ci.eku != NULL);
    }
    if (parsed == 0) {
        check_info(&ci);
        if (data[0] == 0x30 && size <= GC_CERT_MAX_INPUT / 2) {
            const char *pem = as_pem(a, data, size);
            gc_cert_info again;
            CHECK(gc_cert_x509_parse((const unsigned char *)pem, strlen(pem), a, &again) == 0);
            check_same(&ci, &again);
        }
    }
    gc_arena_free(a);
    return 0;
}
