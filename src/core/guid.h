/* GUIDs: random (v4), name-based (v5) and the 8-4-4-4-12 check. */
#ifndef GC_CORE_GUID_H
#define GC_CORE_GUID_H

#include <stdbool.h>
#include <stddef.h>

#define GC_GUID_LEN 36
/* A random (v4) GUID, lower case 8-4-4-4-12, into out[37]. */
void gc_guid_v4(char out[GC_GUID_LEN + 1]);
/* A v4 GUID from a fast per-thread generator (xoshiro256**) seeded from the OS: unique but not
 * unpredictable. For request ids; ids a client must not guess use gc_guid_v4. */
void gc_guid_v4_fast(char out[GC_GUID_LEN + 1]);
/* RFC 9562 v5 (SHA-1, name-based) GUID of name in namespace ns (a GUID string); -1 if ns is
 * not a GUID. */
int gc_guid_v5(const char *ns, const char *name, size_t name_len, char out[GC_GUID_LEN + 1]);
/* True for the 8-4-4-4-12 hex form (either case). */
bool gc_guid_valid(const char *s, size_t len);

#endif
