/* RFC 3339 date-times as ticks: 100-nanosecond units since 0001-01-01T00:00:00Z. */
#ifndef GC_CORE_DATETIME_H
#define GC_CORE_DATETIME_H

#include <stddef.h>
#include <stdint.h>

/* Parses RFC 3339 / ISO 8601 as OData uses it: YYYY-MM-DDTHH:MM[:SS[.f{1,7}]](Z|±HH:MM).
 * Also accepts a lower-case 't'/'z'. On success stores the instant as 100-nanosecond ticks
 * since 0001-01-01T00:00:00Z (always >= 0 for valid input) and returns 0; -1 otherwise. */
int gc_datetime_parse(const char *s, size_t len, int64_t *ticks);
/* Formats ticks as UTC "YYYY-MM-DDTHH:MM:SS.fffffffZ" with trailing zero digits (and the dot)
 * dropped; out needs 32 bytes. */
void gc_datetime_format(int64_t ticks, char out[32]);
/* The same with all seven fraction digits always written ("...:05.1200000Z"), as Graph writes
 * the times it sets itself (created, modified, uploaded). */
void gc_datetime_format_stamp(int64_t ticks, char out[32]);
/* Current time as ticks. */
int64_t gc_now_ticks(void);
/* Unix seconds <-> ticks. */
int64_t gc_ticks_from_unix(int64_t seconds);

#endif
