/* Fuzz target for PKCS#12 reading (src/cert/pfx.c): any input, opened with the password the
 * seed corpus was made with ("fuzz"), is either refused with a message or yields a 40-digit
 * lower-case thumbprint and dates in range; the message never holds the password. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "cert/pfx.h"

/* 9999-12-31T23:59:59Z as ticks */
#define MAX_TICKS INT64_C(3155378975990000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gc_arena *a = gc_arena_new();
    gc_pfx_info info;
    gc_err err;
    gc_err_clear(&err);
    if (gc_cert_pfx_read(data, size, "fuzz", a, &info, &err) == 0) {
        CHECK(info.thumbprint && strlen(info.thumbprint) == 40 &&
              strspn(info.thumbprint, "0123456789abcdef") == 40);
        CHECK(info.not_before >= 0 && info.not_before <= MAX_TICKS);
        CHECK(info.not_after >= 0 && info.not_after <= MAX_TICKS);
        CHECK(info.subject != NULL);
    } else {
        CHECK(err.message[0] != '\0');
        CHECK(strstr(err.message, "fuzz") == NULL);
    }
    gc_arena_free(a);
    return 0;
}
