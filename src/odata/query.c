/* System query options (see query.h): split the raw query string, recognise the options by a
 * table, decode their values and bind $select/$orderby to the entity type's properties.
 * $filter is bound last, by the filter parser, which owns its grammar. */
#include "odata/query.h"

#include "core/util.h"
#include "odata/filter.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define SHOW_MAX 100 /* bytes of client text quoted in an error message */

typedef enum opt_kind {
    KIND_SUPPORTED,   /* one of gc_odata_opt */
    KIND_NOT_HERE,    /* a known option these sets do not support ($search, $expand) */
    KIND_UNSUPPORTED, /* a known option graphcerts does not support at all */
} opt_kind;

/* Every option name recognised without its '$' on beta; any other '$' name is unsupported. */
static const struct {
    const char *name; /* canonical, without '$' */
    opt_kind kind;
    gc_odata_opt opt; /* for KIND_SUPPORTED */
} opt_table[] = {
    {"filter", KIND_SUPPORTED, GC_ODATA_OPT_FILTER},
    {"select", KIND_SUPPORTED, GC_ODATA_OPT_SELECT},
    {"orderby", KIND_SUPPORTED, GC_ODATA_OPT_ORDERBY},
    {"top", KIND_SUPPORTED, GC_ODATA_OPT_TOP},
    {"skip", KIND_SUPPORTED, GC_ODATA_OPT_SKIP},
    {"count", KIND_SUPPORTED, GC_ODATA_OPT_COUNT},
    {"skiptoken", KIND_SUPPORTED, GC_ODATA_OPT_SKIPTOKEN},
    {"search", KIND_NOT_HERE, 0},
    {"expand", KIND_NOT_HERE, 0},
    {"format", KIND_UNSUPPORTED, 0},
    {"apply", KIND_UNSUPPORTED, 0},
    {"compute", KIND_UNSUPPORTED, 0},
    {"levels", KIND_UNSUPPORTED, 0},
    {"deltatoken", KIND_UNSUPPORTED, 0},
};
#define N_OPTS (sizeof opt_table / sizeof opt_table[0])

static const char *const opt_names[GC_ODATA_OPT__COUNT] = {
    [GC_ODATA_OPT_FILTER] = "$filter",   [GC_ODATA_OPT_SELECT] = "$select",
    [GC_ODATA_OPT_ORDERBY] = "$orderby", [GC_ODATA_OPT_TOP] = "$top",
    [GC_ODATA_OPT_SKIP] = "$skip",       [GC_ODATA_OPT_COUNT] = "$count",
    [GC_ODATA_OPT_SKIPTOKEN] = "$skiptoken",
};

const char *gc_odata_opt_name(gc_odata_opt opt)
{
    return opt < GC_ODATA_OPT__COUNT ? opt_names[opt] : "";
}

/* Client text fit for a message: at most SHOW_MAX bytes, anything outside printable ASCII
 * replaced by '?' (so the message is valid UTF-8 and holds no control characters). */
static const char *show(gc_arena *a, const char *s, size_t n)
{
    return gc_show_text(gc_arena_alloc(a, SHOW_MAX + 4), s, n, SHOW_MAX);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* s[*i..n) → the next comma-separated item with surrounding blanks trimmed. */
static void next_item(const char *s, size_t n, size_t *i, const char **item, size_t *item_len)
{
    size_t start = *i, end = start;
    while (end < n && s[end] != ',')
        end++;
    *i = end < n ? end + 1 : end;
    while (start < end && is_space(s[start]))
        start++;
    while (end > start && is_space(s[end - 1]))
        end--;
    *item = s + start;
    *item_len = end - start;
}

/* Exact spelling first, then case-insensitively (Graph resolves property names both ways). */
static const gc_prop *find_prop(const gc_entity_type *t, const char *name, size_t len)
{
    for (size_t i = 0; i < t->n_props; i++)
        if (strlen(t->props[i].name) == len && memcmp(t->props[i].name, name, len) == 0)
            return &t->props[i];
    for (size_t i = 0; i < t->n_props; i++)
        if (strlen(t->props[i].name) == len && strncasecmp(t->props[i].name, name, len) == 0)
            return &t->props[i];
    return NULL;
}

static int no_such_prop(gc_arena *a, const gc_entity_type *t, const char *opt, const char *name,
                        size_t len, gc_err *err)
{
    return gc_err_set(err, GC_E_BAD_REQUEST, opt,
                      "Could not find a property named '%s' on type 'microsoft.graph.%s'.",
                      show(a, name, len), t->name);
}

static int empty_item(const char *opt, gc_err *err)
{
    return gc_err_set(err, GC_E_BAD_REQUEST, opt,
                      "Syntax error: the query option '%s' has an empty item.", opt);
}

static int parse_select(gc_arena *a, const gc_entity_type *t, const char *v, size_t n,
                        gc_odata_query *q, gc_err *err)
{
    const char *opt = opt_names[GC_ODATA_OPT_SELECT];
    const gc_prop **sel = gc_arena_alloc(a, t->n_props * sizeof *sel);
    size_t n_sel = 0;
    bool all = false;
    for (size_t i = 0; i < n;) {
        const char *item;
        size_t len;
        bool trailing_comma = false;
        next_item(v, n, &i, &item, &len);
        trailing_comma = i == n && v[n - 1] == ',';
        if (len == 0 || trailing_comma)
            return empty_item(opt, err);
        if (len == 1 && item[0] == '*') {
            all = true;
            continue;
        }
        const gc_prop *p = find_prop(t, item, len);
        if (!p)
            return no_such_prop(a, t, opt, item, len, err);
        bool dup = false;
        for (size_t j = 0; j < n_sel && !dup; j++)
            dup = sel[j] == p;
        if (!dup)
            sel[n_sel++] = p;
    }
    if (all) {
        for (size_t i = 0; i < t->n_props; i++)
            sel[i] = &t->props[i];
        n_sel = t->n_props;
    }
    q->select = sel;
    q->n_select = n_sel;
    q->select_all = all;
    return 0;
}

/* One "prop [asc|desc]" item (already trimmed). */
static int parse_orderby_item(gc_arena *a, const gc_entity_type *t, const char *item, size_t len,
                              gc_order *out, gc_err *err)
{
    const char *opt = opt_names[GC_ODATA_OPT_ORDERBY];
    size_t name_len = 0;
    while (name_len < len && !is_space(item[name_len]))
        name_len++;
    size_t d = name_len;
    while (d < len && is_space(item[d]))
        d++;
    const char *dir = item + d;
    size_t dir_len = len - d;

    const gc_prop *p = find_prop(t, item, name_len);
    if (!p)
        return no_such_prop(a, t, opt, item, name_len, err);
    if (!(p->flags & GC_P_SORT))
        return gc_err_set(err, GC_E_BAD_REQUEST, opt,
                          "The property '%s' cannot be used in the $orderby query option.",
                          p->name);
    bool desc = false;
    if (dir_len == 4 && strncasecmp(dir, "desc", 4) == 0)
        desc = true;
    else if (!(dir_len == 0 || (dir_len == 3 && strncasecmp(dir, "asc", 3) == 0)))
        return gc_err_set(err, GC_E_BAD_REQUEST, opt,
                          "Syntax error in the query option '$orderby' at '%s': expected 'asc' "
                          "or 'desc' after the property name.",
                          show(a, dir, dir_len));
    out->prop = p;
    out->desc = desc;
    return 0;
}

static int parse_orderby(gc_arena *a, const gc_entity_type *t, const char *v, size_t n,
                         gc_odata_query *q, gc_err *err)
{
    const char *opt = opt_names[GC_ODATA_OPT_ORDERBY];
    for (size_t i = 0; i < n;) {
        const char *item;
        size_t len;
        next_item(v, n, &i, &item, &len);
        if (len == 0 || (i == n && v[n - 1] == ','))
            return empty_item(opt, err);
        if (q->n_orderby == GC_ODATA_MAX_ORDERBY)
            return gc_err_set(err, GC_E_BAD_REQUEST, opt,
                              "The query option '$orderby' allows at most %d sort keys.",
                              GC_ODATA_MAX_ORDERBY);
        gc_order key;
        if (parse_orderby_item(a, t, item, len, &key, err) != 0)
            return -1;
        for (size_t j = 0; j < q->n_orderby; j++)
            if (q->orderby[j].prop == key.prop)
                return gc_err_set(err, GC_E_BAD_REQUEST, opt,
                                  "The property '%s' appears more than once in the $orderby "
                                  "query option.",
                                  key.prop->name);
        q->orderby[q->n_orderby++] = key;
    }
    return 0;
}

/* Decimal digits only, min..GC_ODATA_TOP_MAX. */
static int parse_int(gc_arena *a, gc_odata_opt o, const char *v, size_t n, uint32_t min,
                     uint32_t *out, gc_err *err)
{
    uint64_t x = 0;
    bool ok = n > 0 && n <= 10;
    for (size_t i = 0; ok && i < n; i++) {
        ok = v[i] >= '0' && v[i] <= '9';
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    if (!ok || x < min || x > GC_ODATA_TOP_MAX)
        return gc_err_set(err, GC_E_BAD_REQUEST, opt_names[o],
                          "Invalid value '%s' for the query option '%s'. It must be an integer "
                          "between %u and %d.",
                          show(a, v, n), opt_names[o], (unsigned)min, GC_ODATA_TOP_MAX);
    *out = (uint32_t)x;
    return 0;
}

static int parse_value(gc_arena *a, const gc_entity_type *t, gc_odata_opt o, const char *v,
                       size_t n, gc_odata_query *q, gc_err *err)
{
    switch (o) {
    case GC_ODATA_OPT_FILTER:
        q->filter_text = v;
        q->filter_text_len = n;
        return 0;
    case GC_ODATA_OPT_SELECT:
        return parse_select(a, t, v, n, q, err);
    case GC_ODATA_OPT_ORDERBY:
        return parse_orderby(a, t, v, n, q, err);
    case GC_ODATA_OPT_TOP:
        return parse_int(a, o, v, n, 1, &q->top, err);
    case GC_ODATA_OPT_SKIP:
        return parse_int(a, o, v, n, 0, &q->skip, err);
    case GC_ODATA_OPT_COUNT:
        if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
            q->count = v[0] == 't';
            return 0;
        }
        return gc_err_set(err, GC_E_BAD_REQUEST, opt_names[o],
                          "Invalid value '%s' for the query option '$count'. It must be 'true' "
                          "or 'false'.",
                          show(a, v, n));
    case GC_ODATA_OPT_SKIPTOKEN:
        q->skiptoken = v;
        return 0;
    case GC_ODATA_OPT__COUNT:
        break;
    }
    return gc_err_set(err, GC_E_INTERNAL, "", "Unknown query option.");
}

static int encoded_nul(gc_err *err)
{
    return gc_err_set(err, GC_E_BAD_REQUEST, "",
                      "The query string contains an encoded NUL character (%%00).");
}

/* One "name[=value]" parameter. */
static int parse_param(gc_arena *a, const gc_entity_type *t, const char *s, size_t n, bool beta,
                       gc_odata_query *q, gc_err *err)
{
    const char *eq = memchr(s, '=', n);
    size_t raw_name_len = eq ? (size_t)(eq - s) : n;
    char *name;
    size_t name_len;
    if (gc_percent_decode(a, s, raw_name_len, false, &name, &name_len) != 0)
        return encoded_nul(err);

    bool dollar = name[0] == '$';
    const char *bare = dollar ? name + 1 : name;
    size_t k = 0;
    while (k < N_OPTS && strcasecmp(opt_table[k].name, bare) != 0)
        k++;
    if (!dollar && (!beta || k == N_OPTS))
        return 0; /* a custom query option */
    if (k == N_OPTS) {
        const char *shown = show(a, name, name_len);
        return gc_err_set(err, GC_E_BAD_REQUEST, shown, "The query option '%s' is not supported.",
                          shown);
    }
    if (opt_table[k].kind != KIND_SUPPORTED) {
        const char *canon = gc_arena_printf(a, "$%s", opt_table[k].name);
        return gc_err_set(err, GC_E_BAD_REQUEST, canon, "The query option '%s' is not supported%s.",
                          canon, opt_table[k].kind == KIND_NOT_HERE ? " on this resource" : "");
    }

    gc_odata_opt o = opt_table[k].opt;
    const char *canon = opt_names[o];
    if (q->present & (1u << o))
        return gc_err_set(err, GC_E_BAD_REQUEST, canon,
                          "Query option '%s' was specified more than once, but it must be "
                          "specified at most once.",
                          canon);
    char *value = NULL;
    size_t value_len = 0;
    if (eq && gc_percent_decode(a, eq + 1, n - raw_name_len - 1, false, &value, &value_len) != 0)
        return encoded_nul(err);
    if (value_len == 0)
        return gc_err_set(err, GC_E_BAD_REQUEST, canon, "The query option '%s' requires a value.",
                          canon);
    if (parse_value(a, t, o, value, value_len, q, err) != 0)
        return -1;
    q->present |= 1u << o;
    q->params[q->n_params++] = (gc_odata_param){.opt = o, .value = value, .value_len = value_len};
    return 0;
}

int gc_odata_query_split(gc_arena *a, const gc_entity_type *t, const char *raw_query, bool beta,
                         gc_odata_query *out, gc_err *err)
{
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (!raw_query)
        return 0;
    size_t len = strnlen(raw_query, GC_ODATA_QUERY_MAX + 1);
    if (len > GC_ODATA_QUERY_MAX) {
        gc_err_set(err, GC_E_URI_TOO_LONG, "", "The query string is longer than %u bytes.",
                   GC_ODATA_QUERY_MAX);
        goto done;
    }
    for (size_t i = 0; i < len;) {
        const char *amp = memchr(raw_query + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - raw_query) : len;
        if (end > i && parse_param(a, t, raw_query + i, end - i, beta, out, err) != 0)
            goto done;
        i = end + 1;
    }
    rc = 0;
done:
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

int gc_odata_query_parse(gc_arena *a, const gc_entity_type *t, const char *raw_query, bool beta,
                         bool entity, gc_odata_query *out, gc_err *err)
{
    int rc = -1;
    bool filter_invalid = false;
    if (gc_odata_query_split(a, t, raw_query, beta, out, err) != 0)
        return -1;
    if (entity)
        for (int o = 0; o < GC_ODATA_OPT__COUNT; o++)
            if (o != GC_ODATA_OPT_SELECT && gc_odata_query_has(out, (gc_odata_opt)o)) {
                gc_err_set(err, GC_E_BAD_REQUEST, opt_names[o],
                           "The query option '%s' applies to collections, not to one entity.",
                           opt_names[o]);
                goto done;
            }
    if (out->filter_text) {
        gc_filter *f;
        if (gc_odata_filter_parse(a, t, out->filter_text, out->filter_text_len, &f, err) != 0) {
            filter_invalid = true;
            goto done;
        }
        out->filter = f;
    }
    rc = 0;
done:
    if (rc != 0) {
        memset(out, 0, sizeof *out);
        out->filter_invalid = filter_invalid;
    }
    return rc;
}

int gc_odata_query_encode_value(gc_arena *a, const char *s, size_t n, char **out)
{
    *out = gc_percent_encode(a, s, n, ",$()':/*@");
    return *out ? 0 : -1;
}
