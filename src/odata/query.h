/* OData system query options of a collection request ($filter, $select, $orderby, $top, $skip,
 * $count, $skiptoken), read from the raw query string and bound against one entity type.
 * $filter comes back bound (a filter tree, schema/expr.h, made by the filter parser) along with
 * its decoded text; $select and $orderby become schema properties. Option names match case-insensitively; on beta the '$' is optional. */
#ifndef GC_ODATA_QUERY_H
#define GC_ODATA_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "schema/expr.h"
#include "schema/schema.h"

#define GC_ODATA_QUERY_MAX 32768u   /* bytes of raw query string */
#define GC_ODATA_MAX_ORDERBY 8      /* sort keys in $orderby */
#define GC_ODATA_TOP_MAX 2147483647 /* $top and $skip are at most this (Int32) */

/* The supported options, in the order their canonical names are listed in gc_odata_opt_name. */
typedef enum gc_odata_opt {
    GC_ODATA_OPT_FILTER,
    GC_ODATA_OPT_SELECT,
    GC_ODATA_OPT_ORDERBY,
    GC_ODATA_OPT_TOP,
    GC_ODATA_OPT_SKIP,
    GC_ODATA_OPT_COUNT,
    GC_ODATA_OPT_SKIPTOKEN,
    GC_ODATA_OPT__COUNT
} gc_odata_opt;

/* One supported option as the client gave it: the canonical name and the decoded value. */
typedef struct gc_odata_param {
    gc_odata_opt opt;
    const char *value; /* percent-decoded, NUL-terminated (never holds a NUL), arena-owned */
    size_t value_len;
} gc_odata_param;

/* Everything arena-owned; a field is meaningful only when its option is present. */
typedef struct gc_odata_query {
    unsigned present; /* bit (1u << gc_odata_opt) for each option given */

    /* $filter: the tree bound against the type (NULL when absent), and its decoded text. */
    const gc_filter *filter;
    const char *filter_text;
    size_t filter_text_len;
    /* set (with the error) when the parse failed on binding $filter's expression */
    bool filter_invalid;

    /* $select: the properties of the type, in the client's order, duplicates dropped; with
     * '*' every property of the type (select_all set). NULL/0 when absent. */
    const gc_prop **select;
    size_t n_select;
    bool select_all;

    /* $orderby: 1..GC_ODATA_MAX_ORDERBY keys, each a distinct GC_P_SORT property. */
    gc_order orderby[GC_ODATA_MAX_ORDERBY];
    size_t n_orderby;

    uint32_t top;   /* 1..GC_ODATA_TOP_MAX; the api clamps it to its page size */
    uint32_t skip;  /* 0..GC_ODATA_TOP_MAX; 0 when absent */
    bool count;     /* $count=true */
    const char *skiptoken; /* decoded, opaque to this module */

    /* The supported options in the order given (at most one each), so that a nextLink can
     * repeat them: gc_odata_opt_name(p->opt) "=" gc_odata_query_encode_value(p->value). */
    gc_odata_param params[GC_ODATA_OPT__COUNT];
    size_t n_params;
} gc_odata_query;

static inline bool gc_odata_query_has(const gc_odata_query *q, gc_odata_opt opt)
{
    return (q->present & (1u << opt)) != 0;
}

/* The canonical name with its '$', e.g. "$filter". */
const char *gc_odata_opt_name(gc_odata_opt opt);

/* Reads raw_query (the undecoded text after '?', NULL or "" for none) for a collection of
 * type t, leaving $filter as text (filter NULL, filter_text set): the first half of
 * gc_odata_query_parse, for tests of the option syntax. Parameters are split on '&' and each
 * on its first '='; names and values are percent-decoded ('+' stays '+'; a '%' not followed
 * by two hex digits stays as it is; raw spaces and quotes are accepted). On beta (beta true) the options are also recognised
 * without their '$'; on v1.0 such names are custom query options and ignored, as is any
 * other name without '$'. Property names in $select and $orderby match case-insensitively.
 * Fills *out (zeroed first) and returns 0, or returns -1 with err set:
 *   GC_E_URI_TOO_LONG  raw_query longer than GC_ODATA_QUERY_MAX;
 *   GC_E_BAD_REQUEST   an option given twice, with an empty or invalid value, an unknown or
 *                      unsortable property, more than GC_ODATA_MAX_ORDERBY keys, an encoded
 *                      NUL, $search or $expand ("... is not supported on this resource."),
 *                      or any other '$' option ("The query option '$x' is not supported.").
 * err->target names the option ("$top", ...). Messages quote client text truncated and with
 * bytes outside printable ASCII replaced by '?'. */
int gc_odata_query_split(gc_arena *a, const gc_entity_type *t, const char *raw_query, bool beta,
                         gc_odata_query *out, gc_err *err);

/* gc_odata_query_split, then: for one entity (entity true) any option but $select is a
 * GC_E_BAD_REQUEST ("The query option '$x' applies to collections, not to one entity."); and
 * $filter is bound against t by gc_odata_filter_parse (its errors as documented there, with
 * out->filter_invalid set), so out->filter is the tree the store reads. */
int gc_odata_query_parse(gc_arena *a, const gc_entity_type *t, const char *raw_query, bool beta,
                         bool entity, gc_odata_query *out, gc_err *err);

/* Percent-encodes s[0..n) for use as a query option value in a URL (a nextLink). Left as they
 * are: the unreserved characters A-Z a-z 0-9 - . _ ~ and , $ ( ) ' : / * @ (all legal in a
 * query and meaningful in OData values); every other byte, including space, '+', '&', '=',
 * ';', '#', '%' and non-ASCII bytes, becomes %XX (upper-case hex). *out is NUL-terminated and
 * arena-owned. Returns 0, or -1 when n is too large to encode. */
int gc_odata_query_encode_value(gc_arena *a, const char *s, size_t n, char **out);

#endif
