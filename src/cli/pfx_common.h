/* Shared by the `graphcerts pfx` verbs (cmd_pfx_*.c): bounded file reading, the padding and
 * purpose names of Microsoft's PFX import tool, and the password's byte form. Exit codes:
 * 2 for a bad command line, 1 for a bad input file or key, 3 when the service refuses. */
#ifndef GC_CLI_PFX_COMMON_H
#define GC_CLI_PFX_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

enum { GC_PFX_EXIT_USAGE = 2, GC_PFX_EXIT_INPUT = 1, GC_PFX_EXIT_SERVICE = 3 };

typedef struct gc_pfx_padding {
    const char *name; /* as given on the command line (contract enum member) */
    const char *wire; /* as Microsoft's tool serialises it, NULL when refused */
    int sha_bits;
} gc_pfx_padding;

/* The padding named name (case-insensitive), or NULL after printing why to stderr (unknown,
 * or pkcs1/oaepSha1, which Intune no longer accepts). who prefixes the message. */
const gc_pfx_padding *gc_pfx_padding_find(const char *who, const char *name);

/* The tool's spelling of the intended purpose named name (case-insensitive), or NULL after
 * printing why to stderr. */
const char *gc_pfx_purpose_find(const char *who, const char *name);

/* Reads the whole file at path (at most max bytes) into the arena, NUL-terminated. -1 after
 * printing "who: cannot read WHAT 'path': reason" to stderr. */
int gc_pfx_read_file(const char *who, const char *what, const char *path, size_t max, gc_arena *a,
                     unsigned char **out, size_t *len);

/* The password as Microsoft's tool encrypts it: one byte per character (the low byte of its
 * UTF-16 code unit). text is UTF-8; characters above U+00FF cannot be sent that way and are
 * refused (-1 after printing why, never the password). */
int gc_pfx_password_bytes(const char *who, const char *text, size_t len, gc_arena *a,
                          unsigned char **out, size_t *out_len);

/* The inverse: bytes as Latin-1 characters, in UTF-8, NUL-terminated, in the arena. */
char *gc_pfx_password_text(const unsigned char *bytes, size_t len, gc_arena *a);

#endif
