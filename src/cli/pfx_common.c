/* Helpers shared by the `graphcerts pfx` verbs (see pfx_common.h). */
#include "cli/pfx_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* none means "the default", which Microsoft's tool turns into OaepSha512. */
static const gc_pfx_padding paddings[] = {
    {"none", "OaepSha512", 512},       {"pkcs1", NULL, 0},
    {"oaepSha1", NULL, 0},             {"oaepSha256", "OaepSha256", 256},
    {"oaepSha384", "OaepSha384", 384}, {"oaepSha512", "OaepSha512", 512},
};

static const struct {
    const char *name, *wire;
} purposes[] = {
    {"unassigned", "Unassigned"}, {"smimeEncryption", "SmimeEncryption"},
    {"smimeSigning", "SmimeSigning"}, {"vpn", "VPN"}, {"wifi", "Wifi"},
};

const gc_pfx_padding *gc_pfx_padding_find(const char *who, const char *name)
{
    for (size_t i = 0; i < sizeof paddings / sizeof paddings[0]; i++) {
        if (strcasecmp(paddings[i].name, name) != 0)
            continue;
        if (!paddings[i].wire) {
            fprintf(stderr,
                    "%s: padding %s is no longer supported by Intune; use oaepSha256, oaepSha384 "
                    "or oaepSha512\n", who, paddings[i].name);
            return NULL;
        }
        return &paddings[i];
    }
    fprintf(stderr, "%s: unknown padding '%s' (oaepSha256, oaepSha384 or oaepSha512)\n", who, name);
    return NULL;
}

const char *gc_pfx_purpose_find(const char *who, const char *name)
{
    for (size_t i = 0; i < sizeof purposes / sizeof purposes[0]; i++)
        if (strcasecmp(purposes[i].name, name) == 0)
            return purposes[i].wire;
    fprintf(stderr,
            "%s: unknown purpose '%s' (unassigned, smimeEncryption, smimeSigning, vpn or wifi)\n",
            who, name);
    return NULL;
}

int gc_pfx_read_file(const char *who, const char *what, const char *path, size_t max, gc_arena *a,
                     unsigned char **out, size_t *len)
{
    int rc = -1;
    const char *why = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        why = strerror(errno);
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        why = "not a regular file";
        goto done;
    }
    if ((size_t)st.st_size > max) {
        why = "too large";
        goto done;
    }
    size_t cap = (size_t)st.st_size, n = 0;
    unsigned char *buf = gc_arena_alloc(a, cap + 1);
    while (n < cap) {
        ssize_t k = read(fd, buf + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            why = strerror(errno);
            goto done;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    rc = 0;
done:
    if (rc < 0)
        fprintf(stderr, "%s: cannot read %s '%s': %s\n", who, what, path, why);
    if (fd >= 0)
        close(fd);
    return rc;
}

int gc_pfx_password_bytes(const char *who, const char *text, size_t len, gc_arena *a,
                          unsigned char **out, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned char *b = gc_arena_alloc(a, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        if (c < 0x80) {
            b[n++] = (unsigned char)c;
            i++;
        } else if ((c == 0xc2 || c == 0xc3) && i + 1 < len && (s[i + 1] & 0xc0) == 0x80) {
            b[n++] = (unsigned char)((c & 0x03) << 6 | (s[i + 1] & 0x3f));
            i += 2;
        } else {
            explicit_bzero(b, len + 1);
            fprintf(stderr,
                    "%s: the password holds a character above U+00FF or is not UTF-8; Microsoft's "
                    "PFX connector takes one byte per character, so it cannot be sent\n", who);
            return -1;
        }
    }
    *out = b;
    *out_len = n;
    return 0;
}

char *gc_pfx_password_text(const unsigned char *bytes, size_t len, gc_arena *a)
{
    char *t = gc_arena_alloc(a, 2 * len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (bytes[i] < 0x80) {
            t[n++] = (char)bytes[i];
        } else {
            t[n++] = (char)(0xc0 | bytes[i] >> 6);
            t[n++] = (char)(0x80 | (bytes[i] & 0x3f));
        }
    }
    t[n] = '\0';
    return t;
}
