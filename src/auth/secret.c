/* Bounded reading of the auth module's input files: the HS256 shared secret and the JWKS.
 * Messages name the file and the reason, never its content. */
#include "auth/auth_int.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gc_auth_read_file(const char *path, const char *what, size_t limit, unsigned char **out,
                      size_t *len, gc_err *err)
{
    int result = -1;
    unsigned char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        gc_err_set(err, GC_E_INTERNAL, "", "cannot open %s file '%s': %s", what, path,
                   strerror(errno));
        goto done;
    }
    buf = malloc(limit + 1);
    if (!buf) {
        gc_err_set(err, GC_E_INTERNAL, "", "out of memory reading %s file '%s'", what, path);
        goto done;
    }
    size_t n = fread(buf, 1, limit + 1, f);
    if (ferror(f)) {
        gc_err_set(err, GC_E_INTERNAL, "", "cannot read %s file '%s': %s", what, path,
                   strerror(errno));
        goto done;
    }
    if (n > limit) {
        gc_err_set(err, GC_E_INTERNAL, "", "%s file '%s' is larger than %zu bytes", what, path,
                   limit);
        goto done;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
    result = 0;
done:
    if (buf) {
        OPENSSL_cleanse(buf, limit + 1);
        free(buf);
    }
    if (f)
        fclose(f);
    return result;
}

int gc_auth_read_secret(const char *path, unsigned char **out, size_t *len, gc_err *err)
{
    unsigned char *buf = NULL;
    size_t n = 0;
    if (!path || !*path)
        return gc_err_set(err, GC_E_INTERNAL, "", "no secret file given");
    if (gc_auth_read_file(path, "secret", GC_AUTH_MAX_SECRET, &buf, &n, err) < 0)
        return -1;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (n == 0) {
        free(buf);
        return gc_err_set(err, GC_E_INTERNAL, "", "secret file '%s' is empty", path);
    }
    *out = buf;
    *len = n;
    return 0;
}
