/* $filter AST → SQL WHERE expression with bound values. Each predicate is written in a form
 * that gives OData's two-valued answers for comparisons with null columns (see sql_filter.h),
 * and the string functions are case-sensitive in every dialect. */
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
    gc_buf *b;
    const gc_sql_dialect *d;
    const gc_entity_type *t;
    gc_arena *a;
    bool glob;
    int next_no; /* the next $N */
    gc_sql_value *params;
    size_t max_params, n_params;
    bool full;      /* b's limit reached */
    bool too_many;  /* more than max_params values */
    bool foreign;   /* a property not of t */
} fw;

static void w_str(fw *w, const char *s)
{
    if (!w->full && gc_buf_append(w->b, s, strlen(s)) != 0)
        w->full = true;
}

static void w_ident(fw *w, const gc_prop *p)
{
    if (!w->full && gc_sql_ident(w->b, p->column,
                                 p->type == GC_EDM_DATETIME ? GC_SQL_TICKS_SUFFIX : NULL) != 0)
        w->full = true;
}

static void w_param(fw *w, gc_sql_value v)
{
    if (w->n_params == w->max_params) {
        w->too_many = true;
        return;
    }
    w->params[w->n_params++] = v;
    if (!w->d->numbered_params)
        w_str(w, "?");
    else if (!w->full && gc_buf_appendf(w->b, "$%d", w->next_no++) != 0)
        w->full = true;
}

static void w_value(fw *w, const gc_filter_value *v)
{
    switch (v->kind) {
    case GC_FILTER_LIT_STRING:
        w_param(w, (gc_sql_value){.kind = GC_SQL_TEXT, .p = v->s, .len = v->len});
        return;
    case GC_FILTER_LIT_INT:
    case GC_FILTER_LIT_BOOL:
        w_param(w, (gc_sql_value){.kind = GC_SQL_INT, .i = v->i});
        return;
    case GC_FILTER_LIT_NULL:
        break;
    }
    assert(!"null is written as IS NULL");
}

static bool prop_of(const gc_entity_type *t, const gc_prop *p)
{
    return p >= t->props && p < t->props + t->n_props;
}

/* E: the operand's column, inside lower()/upper() as the AST says. */
static void w_operand(fw *w, const gc_filter *f)
{
    switch (f->kind) {
    case GC_FILTER_PROP:
        if (!prop_of(w->t, f->prop))
            w->foreign = true;
        else
            w_ident(w, f->prop);
        return;
    case GC_FILTER_TOLOWER:
    case GC_FILTER_TOUPPER:
        w_str(w, f->kind == GC_FILTER_TOLOWER ? "lower(" : "upper(");
        w_operand(w, f->left);
        w_str(w, ")");
        return;
    default:
        break;
    }
    assert(!"not an operand");
    w->foreign = true;
}

/* The pattern for a string-function value: wildcards around, the value's own wildcard and
 * escape characters neutralised. */
static const char *pattern(fw *w, gc_filter_kind kind, const gc_filter_value *v, size_t *len)
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

/* Whether the predicate's SQL is already one parenthesised unit. */
static bool wrapped(const gc_filter *f, bool negated)
{
    switch (f->kind) {
    case GC_FILTER_AND:
    case GC_FILTER_OR:
        return true;
    case GC_FILTER_CMP:
        if (f->vals[0].kind == GC_FILTER_LIT_NULL)
            return false;
        return f->op == GC_FILTER_NE || negated;
    case GC_FILTER_IN:
        return negated;
    default:
        return false;
    }
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

static void w_pred(fw *w, const gc_filter *f, bool negated);

/* The operands of a same-operator chain, without the chain's own parentheses. */
static void w_chain(fw *w, const gc_filter *f, gc_filter_kind kind, bool negated)
{
    for (int side = 0; side < 2; side++) {
        const gc_filter *c = side == 0 ? f->left : f->right;
        if (side == 1)
            w_str(w, kind == GC_FILTER_AND ? " AND " : " OR ");
        if (c->kind == kind)
            w_chain(w, c, kind, negated);
        else
            w_pred(w, c, negated);
    }
}

/* One predicate; negated says whether an odd number of NOTs encloses it. */
static void w_pred(fw *w, const gc_filter *f, bool negated)
{
    switch (f->kind) {
    case GC_FILTER_AND:
    case GC_FILTER_OR:
        w_str(w, "(");
        w_chain(w, f, f->kind, negated);
        w_str(w, ")");
        return;
    case GC_FILTER_NOT: {
        bool unit = wrapped(f->left, !negated);
        w_str(w, unit ? "NOT " : "NOT (");
        w_pred(w, f->left, !negated);
        if (!unit)
            w_str(w, ")");
        return;
    }
    case GC_FILTER_CMP:
        if (f->vals[0].kind == GC_FILTER_LIT_NULL) {
            w_operand(w, f->left);
            w_str(w, f->op == GC_FILTER_EQ ? " IS NULL" : " IS NOT NULL");
        } else if (f->op == GC_FILTER_NE) {
            w_str(w, "(");
            w_operand(w, f->left);
            w_str(w, " IS NULL OR ");
            w_operand(w, f->left);
            w_str(w, " <> ");
            w_value(w, &f->vals[0]);
            w_str(w, ")");
        } else {
            if (negated) {
                w_str(w, "(");
                w_operand(w, f->left);
                w_str(w, " IS NOT NULL AND ");
            }
            w_operand(w, f->left);
            w_str(w, sql_op(f->op));
            w_value(w, &f->vals[0]);
            if (negated)
                w_str(w, ")");
        }
        return;
    case GC_FILTER_IN:
        if (negated) {
            w_str(w, "(");
            w_operand(w, f->left);
            w_str(w, " IS NOT NULL AND ");
        }
        w_operand(w, f->left);
        w_str(w, " IN (");
        for (size_t i = 0; i < f->n_vals; i++) {
            if (i > 0)
                w_str(w, ", ");
            w_value(w, &f->vals[i]);
        }
        w_str(w, negated ? "))" : ")");
        return;
    case GC_FILTER_STARTSWITH:
    case GC_FILTER_ENDSWITH:
    case GC_FILTER_CONTAINS: {
        size_t len;
        const char *pat = pattern(w, f->kind, &f->vals[0], &len);
        w_operand(w, f->left);
        w_str(w, w->glob ? " GLOB " : " LIKE ");
        w_param(w, (gc_sql_value){.kind = GC_SQL_TEXT, .p = pat, .len = len});
        if (!w->glob)
            w_str(w, " ESCAPE '\\'");
        return;
    }
    case GC_FILTER_PROP:
    case GC_FILTER_TOLOWER:
    case GC_FILTER_TOUPPER:
        break;
    }
    assert(!"not a predicate");
    w->foreign = true;
}

int gc_sql_filter_where(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                        const gc_filter *f, gc_sql_value *params, size_t max_params,
                        int first_param, size_t *n_params, gc_arena *a, gc_err *err)
{
    int rc = -1;
    assert(b && d && t && f && n_params && a && (params || max_params == 0));
    fw w = {.b = b, .d = d, .t = t, .a = a, .glob = uses_glob(d), .next_no = first_param,
            .params = params, .max_params = max_params};
    bool unit = wrapped(f, false);
    if (!unit)
        w_str(&w, "(");
    w_pred(&w, f, false);
    if (!unit)
        w_str(&w, ")");
    *n_params = w.n_params;
    if (w.foreign) {
        gc_err_set(err, GC_E_INTERNAL, "$filter", "The filter was not bound against type %s.",
                   t->name);
        goto done;
    }
    if (w.too_many) {
        gc_err_set(err, GC_E_INTERNAL, "$filter", "The filter needs more than %zu parameters.",
                   max_params);
        goto done;
    }
    if (w.full) {
        gc_err_set(err, GC_E_BAD_REQUEST, "$filter",
                   "The $filter expression is too large to translate.");
        goto done;
    }
    rc = 0;
done:
    return rc;
}
