/* $filter AST → SQL WHERE expression with bound values. `not` is pushed down to the leaves
 * (De Morgan), so every leaf is written in its positive form and gives OData's answers for null
 * columns; and/or chains are flattened and written deepest operand first, which keeps the SQL
 * within SQLite's parser stack for any filter the parser accepts (see sql_filter.h). */
#include "store/sql_filter.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

/* Choices gc_sql_dialect does not describe: how to match a pattern case-sensitively. SQLite's
 * LIKE ignores ASCII case (unless a connection-wide pragma says otherwise), its GLOB does not;
 * standard SQL's LIKE (PostgreSQL's) is case-sensitive. Unlisted dialects use LIKE. */
typedef struct match_dialect {
    const gc_sql_dialect *d;
    bool glob;
} match_dialect;

static const match_dialect match_dialects[] = {{&gc_sql_dialect_sqlite, true}};

static bool uses_glob(const gc_sql_dialect *d)
{
    for (size_t i = 0; i < sizeof match_dialects / sizeof match_dialects[0]; i++)
        if (match_dialects[i].d == d)
            return match_dialects[i].glob;
    return false;
}

typedef struct fw {
    gc_sqlw *sw;    /* the text, placeholders and values */
    const gc_entity_type *t;
    gc_arena *a;
    bool glob;
    bool foreign;   /* a property not of t */
} fw;

static void w_str(fw *w, const char *s)
{
    gc_sqlw_str(w->sw, s);
}

static void w_ident(fw *w, const gc_prop *p)
{
    gc_sqlw_ident(w->sw, p->column, p->type == GC_EDM_DATETIME ? GC_SQL_TICKS_SUFFIX : NULL);
}

static void w_param(fw *w, gc_sql_value v)
{
    gc_sqlw_bind(w->sw, v);
}

static void w_value(fw *w, const gc_value *v)
{
    switch (v->kind) {
    case GC_VALUE_TEXT:
    case GC_VALUE_BLOB:
    case GC_VALUE_INT:
        w_param(w, *v);
        return;
    case GC_VALUE_BOOL: /* stored as 0/1 */
        w_param(w, (gc_sql_value){.kind = GC_SQL_INT, .i = v->i});
        return;
    case GC_VALUE_NULL:
        break;
    }
    assert(!"null is written as IS NULL");
}

static bool prop_of(const gc_entity_type *t, const gc_prop *p)
{
    return p >= t->props && p < t->props + t->n_props;
}

/* E: the operand's column inside its case functions. A chain of tolower/toupper is written as
 * its outermost function, over the opposite one when the chain holds it anywhere below:
 * lower(lower(x)) is lower(x) and lower(upper(lower(x))) is lower(upper(x)) (exact for
 * SQLite's ASCII case mapping), so 64 nested calls cost two levels of SQL. */
static void w_operand(fw *w, const gc_filter *f)
{
    const gc_filter *col = f;
    bool opposite = false;
    while (col->kind == GC_FILTER_TOLOWER || col->kind == GC_FILTER_TOUPPER) {
        opposite = opposite || col->kind != f->kind;
        col = col->left;
    }
    if (col->kind != GC_FILTER_PROP || !prop_of(w->t, col->prop)) {
        w->foreign = true;
        return;
    }
    if (f != col)
        w_str(w, f->kind == GC_FILTER_TOLOWER ? "lower(" : "upper(");
    if (opposite)
        w_str(w, f->kind == GC_FILTER_TOLOWER ? "upper(" : "lower(");
    w_ident(w, col->prop);
    if (opposite)
        w_str(w, ")");
    if (f != col)
        w_str(w, ")");
}

/* The pattern for a string-function value: wildcards around, the value's own wildcard and
 * escape characters neutralised. */
static const char *pattern(fw *w, gc_filter_kind kind, const gc_value *v, size_t *len)
{
    char *out = gc_arena_alloc(w->a, v->len * 3 + 3);
    const char *any = w->glob ? "*" : "%";
    size_t n = 0;
    if (kind != GC_FILTER_STARTSWITH)
        out[n++] = any[0];
    for (size_t i = 0; i < v->len; i++) {
        char c = v->s[i];
        if (w->glob && (c == '*' || c == '?' || c == '[')) {
            out[n++] = '[';
            out[n++] = c;
            out[n++] = ']';
            continue;
        }
        if (!w->glob && (c == '\\' || c == '%' || c == '_'))
            out[n++] = '\\';
        out[n++] = c;
    }
    if (kind != GC_FILTER_ENDSWITH)
        out[n++] = any[0];
    out[n] = '\0';
    *len = n;
    return out;
}

/* ---- predicates, with `not` pushed down ----
 * A predicate is written for a polarity: negated means an odd number of `not`s enclose it.
 * Under `not`, and/or swap (De Morgan) and each leaf is written as its complement, so no NOT
 * remains above a leaf, and a leaf's SQL NULL (a null column) always just means "no match". */

/* Skips `not` nodes, flipping *neg for each. */
static const gc_filter *strip_not(const gc_filter *f, bool *neg)
{
    while (f->kind == GC_FILTER_NOT) {
        f = f->left;
        *neg = !*neg;
    }
    return f;
}

/* AND or OR as written for this polarity, or NOT for a leaf (no chain). */
static gc_filter_kind chain_kind(const gc_filter *f, bool neg)
{
    if (f->kind == GC_FILTER_AND)
        return neg ? GC_FILTER_OR : GC_FILTER_AND;
    if (f->kind == GC_FILTER_OR)
        return neg ? GC_FILTER_AND : GC_FILTER_OR;
    return GC_FILTER_NOT;
}

typedef struct member {
    const gc_filter *f; /* not a NOT node */
    bool neg;
} member;

/* The operands of the chain of kind k rooted at f, flattened, into out (or just counted). */
static size_t chain_members(const gc_filter *f, bool neg, gc_filter_kind k, member *out, size_t n)
{
    f = strip_not(f, &neg);
    if (chain_kind(f, neg) != k) {
        if (out)
            out[n] = (member){f, neg};
        return n + 1;
    }
    n = chain_members(f->left, neg, k, out, n);
    return chain_members(f->right, neg, k, out, n);
}

static int sql_depth(const gc_filter *f, bool neg);

/* The deepest operand of the chain of kind k rooted at f. */
static int member_depth(const gc_filter *f, bool neg, gc_filter_kind k)
{
    f = strip_not(f, &neg);
    if (chain_kind(f, neg) != k)
        return sql_depth(f, neg);
    int l = member_depth(f->left, neg, k), r = member_depth(f->right, neg, k);
    return l > r ? l : r;
}

/* Levels of parentheses f's SQL opens (a leaf counts as one). */
static int sql_depth(const gc_filter *f, bool neg)
{
    f = strip_not(f, &neg);
    gc_filter_kind k = chain_kind(f, neg);
    if (k == GC_FILTER_NOT)
        return 1;
    int l = member_depth(f->left, neg, k), r = member_depth(f->right, neg, k);
    return 1 + (l > r ? l : r);
}

/* `E IS NULL OR ` before a comparison that must also hold for null columns. */
static void w_or_null(fw *w, const gc_filter *f)
{
    w_str(w, "(");
    w_operand(w, f->left);
    w_str(w, " IS NULL OR ");
}

static const char *sql_op(gc_filter_op op)
{
    switch (op) {
    case GC_FILTER_EQ: return " = ";
    case GC_FILTER_NE: return " <> ";
    case GC_FILTER_GT: return " > ";
    case GC_FILTER_GE: return " >= ";
    case GC_FILTER_LT: return " < ";
    case GC_FILTER_LE: return " <= ";
    }
    return " = ";
}

static gc_filter_op complement(gc_filter_op op)
{
    switch (op) {
    case GC_FILTER_EQ: return GC_FILTER_NE;
    case GC_FILTER_NE: return GC_FILTER_EQ;
    case GC_FILTER_GT: return GC_FILTER_LE;
    case GC_FILTER_GE: return GC_FILTER_LT;
    case GC_FILTER_LT: return GC_FILTER_GE;
    case GC_FILTER_LE: return GC_FILTER_GT;
    }
    return op;
}

/* Whether a leaf's SQL is one parenthesised unit. */
static bool leaf_wrapped(const gc_filter *f, bool neg)
{
    if (f->kind == GC_FILTER_IN)
        return neg;
    if (f->kind != GC_FILTER_CMP || f->vals[0].kind == GC_VALUE_NULL)
        return false;
    /* ne, and the complements of eq gt ge lt le, must hold for null columns too */
    return f->op == GC_FILTER_NE ? !neg : neg;
}

static void w_leaf(fw *w, const gc_filter *f, bool neg)
{
    switch (f->kind) {
    case GC_FILTER_CMP: {
        bool is_null = f->vals[0].kind == GC_VALUE_NULL;
        gc_filter_op op = neg ? complement(f->op) : f->op;
        if (is_null) {
            w_operand(w, f->left);
            w_str(w, op == GC_FILTER_EQ ? " IS NULL" : " IS NOT NULL");
            return;
        }
        bool or_null = leaf_wrapped(f, neg);
        if (or_null)
            w_or_null(w, f);
        w_operand(w, f->left);
        w_str(w, sql_op(op));
        w_value(w, &f->vals[0]);
        if (or_null)
            w_str(w, ")");
        return;
    }
    case GC_FILTER_IN:
        if (neg)
            w_or_null(w, f);
        w_operand(w, f->left);
        w_str(w, neg ? " NOT IN (" : " IN (");
        for (size_t i = 0; i < f->n_vals; i++) {
            if (i > 0)
                w_str(w, ", ");
            w_value(w, &f->vals[i]);
        }
        w_str(w, neg ? "))" : ")");
        return;
    case GC_FILTER_STARTSWITH:
    case GC_FILTER_ENDSWITH:
    case GC_FILTER_CONTAINS: {
        /* a function of a null column is null, and so is its negation: no match either way */
        size_t len;
        const char *pat = pattern(w, f->kind, &f->vals[0], &len);
        w_operand(w, f->left);
        if (neg)
            w_str(w, " NOT");
        w_str(w, w->glob ? " GLOB " : " LIKE ");
        w_param(w, (gc_sql_value){.kind = GC_SQL_TEXT, .p = pat, .len = len});
        if (!w->glob)
            w_str(w, " ESCAPE '\\'");
        return;
    }
    default:
        break;
    }
    assert(!"not a predicate");
    w->foreign = true;
}

/* One predicate. SQLite's parser (a fixed stack of 100 entries in 3.40) holds about one entry
 * per pending parenthesis at the start of an operand, but three per level of a chain nested on
 * the right: `((a OR b) AND c)` can nest ~80 deep where `c AND (a OR b)` stops at ~29. So a
 * chain's most deeply nested operand goes first, and AND chains (which bind tighter than OR)
 * go unparenthesised: only an OR chain inside an AND chain opens a level, and in the filter
 * text that takes a parenthesis (or `not (`) too, so the SQL never nests deeper than the
 * filter's limit allows. */
static void w_pred(fw *w, const gc_filter *f, bool neg)
{
    f = strip_not(f, &neg);
    gc_filter_kind k = chain_kind(f, neg);
    if (k == GC_FILTER_NOT) {
        w_leaf(w, f, neg);
        return;
    }
    size_t n = chain_members(f, neg, k, NULL, 0);
    member *m = gc_arena_alloc(w->a, n * sizeof *m);
    chain_members(f, neg, k, m, 0);
    size_t first = 0;
    int best = sql_depth(m[0].f, m[0].neg);
    for (size_t i = 1; i < n; i++) {
        int d = sql_depth(m[i].f, m[i].neg);
        if (d > best) {
            best = d;
            first = i;
        }
    }
    if (k == GC_FILTER_OR)
        w_str(w, "(");
    w_pred(w, m[first].f, m[first].neg);
    for (size_t i = 0; i < n; i++) {
        if (i == first)
            continue;
        w_str(w, k == GC_FILTER_AND ? " AND " : " OR ");
        w_pred(w, m[i].f, m[i].neg);
    }
    if (k == GC_FILTER_OR)
        w_str(w, ")");
}

int gc_sql_filter_write(gc_sqlw *sw, const gc_entity_type *t, const gc_filter *f, gc_arena *a,
                        gc_err *err)
{
    int rc = -1;
    assert(sw && t && f && a);
    size_t room = sw->max_params - sw->n_bound;
    fw w = {.sw = sw, .t = t, .a = a, .glob = uses_glob(sw->d)};
    bool neg = false;
    const gc_filter *root = strip_not(f, &neg);
    gc_filter_kind k = chain_kind(root, neg);
    bool unit = k == GC_FILTER_OR || (k == GC_FILTER_NOT && leaf_wrapped(root, neg));
    if (!unit)
        w_str(&w, "(");
    w_pred(&w, f, false);
    if (!unit)
        w_str(&w, ")");
    if (w.foreign) {
        gc_err_set(err, GC_E_INTERNAL, "$filter", "The filter was not bound against type %s.",
                   t->name);
        goto done;
    }
    if (sw->too_many) {
        gc_err_set(err, GC_E_INTERNAL, "$filter", "The filter needs more than %zu parameters.",
                   room);
        goto done;
    }
    if (sw->b->overflow) {
        gc_err_set(err, GC_E_BAD_REQUEST, "$filter",
                   "The $filter expression is too large to translate.");
        goto done;
    }
    rc = 0;
done:
    return rc;
}

int gc_sql_filter_where(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                        const gc_filter *f, gc_sql_value *params, size_t max_params,
                        int first_param, size_t *n_params, gc_arena *a, gc_err *err)
{
    assert(b && d && n_params && (params || max_params == 0));
    gc_sqlw sw = gc_sqlw_start(b, d, false, params, max_params);
    sw.n_params = first_param - 1;
    int rc = gc_sql_filter_write(&sw, t, f, a, err);
    *n_params = sw.n_bound;
    return rc;
}
