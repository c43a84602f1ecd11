/* $filter parser: a hand-written lexer and recursive-descent parser for the OData subset of
 * contract §3, binding as it goes: properties are resolved on the entity type, and each
 * literal is type-checked against the property it meets and converted to its storage domain.
 * Recursion is bounded by GC_FILTER_MAX_DEPTH (and/or chains are loops, not recursion). */
#include "odata/filter.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

#define TARGET "$filter"
#define ECHO_MAX 40 /* bytes of client text quoted in a message */

/* ---- tokens ---- */

typedef enum tok_kind {
    T_END,
    T_LPAREN,
    T_RPAREN,
    T_COMMA,
    T_IDENT,    /* [A-Za-z_][A-Za-z0-9_.]* */
    T_STRING,   /* 'text': s/slen unescaped */
    T_ENUM,     /* qualified.type'member': type name in the raw text, member in s/slen */
    T_INT,      /* i */
    T_DATETIME, /* i = ticks */
    T_GUID,     /* s = lower case */
} tok_kind;

typedef struct tok {
    tok_kind kind;
    size_t pos, len; /* raw extent in the text */
    const char *s;   /* T_STRING, T_ENUM (member), T_GUID: arena copy, NUL-terminated */
    size_t slen;
    size_t type_len; /* T_ENUM: length of the type name at text + pos */
    int64_t i;
} tok;

typedef struct parser {
    gc_arena *a;
    const gc_entity_type *t;
    const char *text;
    size_t len;
    size_t p;  /* lexer position */
    tok cur;   /* the current (lookahead) token */
    int depth;
    size_t nodes;
    gc_err *err;
} parser;

/* One side of a comparison: an operand node (property, tolower/toupper) or a raw literal. */
typedef struct operand {
    gc_filter *node; /* NULL for a literal */
    gc_literal_kind rk;
    tok lit;         /* the literal's token (GC_LIT_BOOL: i is 0/1) */
    size_t pos;
} operand;

/* ---- messages ---- */

/* Client text for a message: at most ECHO_MAX bytes, bytes outside printable ASCII as '?'. */
static const char *echo(const char *s, size_t n, char out[ECHO_MAX + 4])
{
    return gc_show_text(out, s, n, ECHO_MAX);
}

static int fail_at(parser *ps, size_t pos, const char *what)
{
    return gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET, "%s at position %zu.", what, pos);
}

/* "Syntax error: expected X but found Y at position N." */
static int expected(parser *ps, const char *what)
{
    char buf[ECHO_MAX + 4];
    if (ps->cur.kind == T_END)
        return gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET,
                          "Syntax error: expected %s but found the end of the expression at "
                          "position %zu.", what, ps->cur.pos);
    return gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET,
                      "Syntax error: expected %s but found '%s' at position %zu.", what,
                      echo(ps->text + ps->cur.pos, ps->cur.len, buf), ps->cur.pos);
}

static const char *raw_name(gc_literal_kind k)
{
    switch (k) {
    case GC_LIT_NULL: return "null";
    case GC_LIT_BOOL: return "a Boolean";
    case GC_LIT_INT: return "an integer";
    case GC_LIT_STRING: return "a string";
    case GC_LIT_ENUM: return "an enum member";
    case GC_LIT_DATETIME: return "a date-time";
    case GC_LIT_GUID: return "a GUID";
    }
    return "?";
}

/* "Property 'p' expects an Edm.String value, not an integer, at position N." */
static int type_mismatch(parser *ps, const gc_prop *p, gc_literal_kind k, size_t pos)
{
    return gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET,
                      "Property '%s' expects %s%s value, not %s, at position %zu.", p->name,
                      p->type == GC_EDM_ENUM ? "a microsoft.graph." : "an ", gc_value_edm_name(p),
                      raw_name(k), pos);
}

/* ---- lexer ---- */

static bool is_ws(char c) { return c == ' ' || c == '\t'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static bool is_ident_char(char c) { return is_alpha(c) || is_digit(c) || c == '_' || c == '.'; }
/* Characters of an unquoted date-time, GUID or number. */
static bool is_word_char(char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == ':' || c == '.' || c == '+' || c == '_';
}

/* A quoted string starting at the quote at ps->p; a doubled quote stands for one. */
static int lex_string(parser *ps, tok *k)
{
    size_t start = ps->p, i = start + 1, n = 0;
    for (;;) {
        if (i >= ps->len)
            return fail_at(ps, start, "Unterminated string literal");
        if (ps->text[i] == '\'') {
            if (i + 1 < ps->len && ps->text[i + 1] == '\'') {
                i += 2, n++;
                continue;
            }
            break;
        }
        i++, n++;
    }
    char *s = gc_arena_alloc(ps->a, n + 1);
    size_t o = 0;
    for (size_t j = start + 1; j < i; j++) {
        s[o++] = ps->text[j];
        if (ps->text[j] == '\'')
            j++;
    }
    s[o] = '\0';
    if (!gc_utf8_valid((const unsigned char *)s, o))
        return fail_at(ps, start, "String literal is not valid UTF-8 text");
    k->s = s;
    k->slen = o;
    ps->p = i + 1;
    return 0;
}

static int lex_guid(parser *ps, tok *k, size_t start)
{
    char *s = gc_arena_strndup(ps->a, ps->text + start, GC_GUID_LEN);
    gc_str_lower(s);
    k->kind = T_GUID;
    k->s = s;
    k->slen = GC_GUID_LEN;
    ps->p = start + GC_GUID_LEN;
    return 0;
}

/* An unquoted literal starting with a digit or '-': GUID, date-time or integer. */
static int lex_word(parser *ps, tok *k)
{
    char buf[ECHO_MAX + 4], msg[128];
    size_t start = ps->p, end = start + 1;
    while (end < ps->len && is_word_char(ps->text[end]))
        end++;
    const char *w = ps->text + start;
    size_t n = end - start;
    if (n == GC_GUID_LEN && gc_guid_valid(w, n))
        return lex_guid(ps, k, start);
    ps->p = end;
    if (n >= 5 && is_digit(w[0]) && is_digit(w[1]) && is_digit(w[2]) && is_digit(w[3]) &&
        w[4] == '-') {
        if (gc_datetime_parse(w, n, &k->i) != 0) {
            snprintf(msg, sizeof msg, "Invalid DateTimeOffset literal '%s'", echo(w, n, buf));
            return fail_at(ps, start, msg);
        }
        k->kind = T_DATETIME;
        return 0;
    }
    if (memchr(w + 1, '-', n - 1)) {
        snprintf(msg, sizeof msg, "Invalid Guid literal '%s'", echo(w, n, buf));
        return fail_at(ps, start, msg);
    }
    size_t i = w[0] == '-' ? 1 : 0;
    bool neg = i == 1;
    if (i == n) {
        snprintf(msg, sizeof msg, "Invalid number '%s'", echo(w, n, buf));
        return fail_at(ps, start, msg);
    }
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (!is_digit(w[i])) {
            snprintf(msg, sizeof msg, "Invalid number '%s'", echo(w, n, buf));
            return fail_at(ps, start, msg);
        }
        unsigned d = (unsigned)(w[i] - '0');
        if (v > (limit - d) / 10) {
            snprintf(msg, sizeof msg, "Number '%s' is out of range", echo(w, n, buf));
            return fail_at(ps, start, msg);
        }
        v = v * 10 + d;
    }
    k->kind = T_INT;
    k->i = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return 0;
}

/* An identifier, a GUID that starts with a letter, or a qualified enum literal. */
static int lex_name(parser *ps, tok *k)
{
    char buf[ECHO_MAX + 4], msg[128];
    size_t start = ps->p, end = start;
    while (end < ps->len && (is_alpha(ps->text[end]) || is_digit(ps->text[end]) ||
                             ps->text[end] == '-'))
        end++;
    if (end - start == GC_GUID_LEN && gc_guid_valid(ps->text + start, GC_GUID_LEN))
        return lex_guid(ps, k, start);
    if (end - start > 8 && ps->text[start + 8] == '-') {
        bool hex8 = true;
        for (size_t i = start; i < start + 8; i++)
            hex8 = hex8 && is_hex(ps->text[i]);
        if (hex8) {
            ps->p = end;
            snprintf(msg, sizeof msg, "Invalid Guid literal '%s'",
                     echo(ps->text + start, end - start, buf));
            return fail_at(ps, start, msg);
        }
    }
    end = start;
    while (end < ps->len && is_ident_char(ps->text[end]))
        end++;
    ps->p = end;
    k->kind = T_IDENT;
    if (end < ps->len && ps->text[end] == '\'' && memchr(ps->text + start, '.', end - start)) {
        k->kind = T_ENUM;
        k->type_len = end - start;
        return lex_string(ps, k);
    }
    return 0;
}

/* Reads the next token into ps->cur. */
static int next(parser *ps)
{
    char buf[ECHO_MAX + 4], msg[128];
    while (ps->p < ps->len && is_ws(ps->text[ps->p]))
        ps->p++;
    tok *k = &ps->cur;
    memset(k, 0, sizeof *k);
    k->pos = ps->p;
    int rc = 0;
    if (ps->p >= ps->len) {
        k->kind = T_END;
        return 0;
    }
    char c = ps->text[ps->p];
    if (c == '(' || c == ')' || c == ',') {
        k->kind = c == '(' ? T_LPAREN : c == ')' ? T_RPAREN : T_COMMA;
        ps->p++;
    } else if (c == '\'') {
        k->kind = T_STRING;
        rc = lex_string(ps, k);
    } else if (is_digit(c) || (c == '-' && ps->p + 1 < ps->len && is_digit(ps->text[ps->p + 1]))) {
        rc = lex_word(ps, k);
    } else if (is_alpha(c) || c == '_') {
        rc = lex_name(ps, k);
    } else {
        snprintf(msg, sizeof msg, "Syntax error: unexpected character '%s'", echo(&c, 1, buf));
        return fail_at(ps, ps->p, msg);
    }
    k->len = ps->p - k->pos;
    return rc;
}

/* True when the current token is the keyword kw (lower case), spelled in lower or upper case. */
static bool is_kw(const parser *ps, const char *kw)
{
    const tok *k = &ps->cur;
    size_t n = strlen(kw);
    if (k->kind != T_IDENT || k->len != n)
        return false;
    const char *s = ps->text + k->pos;
    if (memcmp(s, kw, n) == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (s[i] != kw[i] - ('a' - 'A'))
            return false;
    return true;
}

/* The next non-blank character after the current token, or '\0'. */
static char peek_char(const parser *ps)
{
    size_t i = ps->p;
    while (i < ps->len && is_ws(ps->text[i]))
        i++;
    return i < ps->len ? ps->text[i] : '\0';
}

/* ---- nodes ---- */

static int count_node(parser *ps, size_t pos)
{
    if (++ps->nodes > GC_FILTER_MAX_NODES) {
        char msg[96];
        snprintf(msg, sizeof msg, "The $filter expression has more than %d nodes",
                 GC_FILTER_MAX_NODES);
        return fail_at(ps, pos, msg);
    }
    return 0;
}

static gc_filter *new_node(parser *ps, gc_filter_kind kind, size_t pos)
{
    if (count_node(ps, pos) != 0)
        return NULL;
    gc_filter *f = gc_arena_alloc(ps->a, sizeof *f);
    f->kind = kind;
    f->pos = pos;
    return f;
}

static int enter(parser *ps, size_t pos)
{
    if (++ps->depth > GC_FILTER_MAX_DEPTH) {
        char msg[96];
        snprintf(msg, sizeof msg, "The $filter expression is nested more than %d levels deep",
                 GC_FILTER_MAX_DEPTH);
        return fail_at(ps, pos, msg);
    }
    return 0;
}

static int expect(parser *ps, tok_kind kind, const char *what)
{
    if (ps->cur.kind != kind)
        return expected(ps, what);
    return next(ps);
}

/* ---- binding ---- */

static int bad_member(parser *ps, const gc_prop *p, const char *what, size_t pos)
{
    return gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET,
                      "%s is not a member of microsoft.graph.%s (property '%s') at position %zu.",
                      what, p->enum_type->name, p->name, pos);
}

/* The literal l as a value of property p (schema/value.h decides; this says why not, where);
 * null only when allow_null. */
static int bind_value(parser *ps, const gc_prop *p, const operand *l, bool allow_null,
                      gc_value *out)
{
    char buf[ECHO_MAX + 4], what[ECHO_MAX + 32];
    const tok *k = &l->lit;
    if (count_node(ps, l->pos) != 0)
        return -1;
    if (l->rk == GC_LIT_NULL) {
        if (!allow_null)
            return fail_at(ps, l->pos, "null can only be compared with eq or ne");
        out->kind = GC_VALUE_NULL;
        return 0;
    }
    gc_literal lit = {.kind = l->rk, .s = k->s, .len = k->slen, .i = k->i,
                      .type = ps->text + k->pos, .type_len = k->type_len};
    switch (gc_value_from_literal(p, &lit, ps->a, out)) {
    case GC_LIT_FITS:
        return 0;
    case GC_LIT_WRONG_TYPE:
        break;
    case GC_LIT_OUT_OF_RANGE:
        return gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET,
                          "Value %lld is out of range for Edm.Int32 property '%s' at "
                          "position %zu.", (long long)k->i, p->name, l->pos);
    case GC_LIT_OTHER_ENUM:
        return gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET,
                          "Property '%s' expects a microsoft.graph.%s value, not a "
                          "member of %s, at position %zu.", p->name, p->enum_type->name,
                          echo(ps->text + k->pos, k->type_len, buf), l->pos);
    case GC_LIT_NOT_MEMBER:
        if (l->rk == GC_LIT_INT)
            snprintf(what, sizeof what, "%lld", (long long)k->i);
        else
            snprintf(what, sizeof what, "'%s'", echo(k->s, k->slen, buf));
        return bad_member(ps, p, what, l->pos);
    }
    return type_mismatch(ps, p, l->rk, l->pos);
}

/* ---- grammar ---- */

static gc_filter *parse_or(parser *ps);

static bool is_reserved(const parser *ps)
{
    static const char *const words[] = {"and", "or", "not", "eq", "ne", "gt", "ge", "lt",
                                        "le", "in", "startswith", "endswith", "contains"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (is_kw(ps, words[i]))
            return true;
    return false;
}

static int resolve_prop(parser *ps, gc_filter **out)
{
    char buf[ECHO_MAX + 4];
    const tok *k = &ps->cur;
    const char *name = ps->text + k->pos;
    const gc_prop *p = NULL;
    for (size_t i = 0; i < ps->t->n_props && !p; i++)
        if (strlen(ps->t->props[i].name) == k->len &&
            memcmp(ps->t->props[i].name, name, k->len) == 0)
            p = &ps->t->props[i];
    if (!p)
        return gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET,
                          "Could not find a property named '%s' on type 'microsoft.graph.%s' at "
                          "position %zu.", echo(name, k->len, buf), ps->t->name, k->pos);
    if (!(p->flags & GC_P_FILTER) || (p->flags & GC_P_SECRET) || p->type == GC_EDM_BINARY ||
        gc_schema_is_json(p))
        return gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET,
                          "The property '%s' cannot be used in $filter at position %zu.", p->name,
                          k->pos);
    gc_filter *f = new_node(ps, GC_FILTER_PROP, k->pos);
    if (!f)
        return -1;
    f->prop = p;
    *out = f;
    return next(ps);
}

static int parse_operand(parser *ps, operand *o);

/* tolower(x) / toupper(x) at the current token (the function name). */
static int parse_case_fn(parser *ps, gc_filter_kind kind, operand *o)
{
    const char *fname = kind == GC_FILTER_TOLOWER ? "tolower" : "toupper";
    size_t pos = ps->cur.pos;
    operand arg;
    if (enter(ps, pos) != 0 || next(ps) != 0 || expect(ps, T_LPAREN, "'('") != 0)
        return -1;
    size_t arg_pos = ps->cur.pos;
    if (parse_operand(ps, &arg) != 0)
        return -1;
    if (!arg.node)
        return gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET,
                          "The function '%s' needs a property argument at position %zu.", fname,
                          arg_pos);
    if (arg.node->prop->type != GC_EDM_STRING)
        return gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET,
                          "The function '%s' needs an Edm.String argument; property '%s' is %s "
                          "at position %zu.", fname, arg.node->prop->name,
                          gc_value_edm_name(arg.node->prop), arg_pos);
    if (expect(ps, T_RPAREN, "')'") != 0)
        return -1;
    ps->depth--;
    gc_filter *f = new_node(ps, kind, pos);
    if (!f)
        return -1;
    f->left = arg.node;
    f->prop = arg.node->prop;
    o->node = f;
    return 0;
}

/* A property, tolower/toupper of an operand, or a literal. */
static int parse_operand(parser *ps, operand *o)
{
    char buf[ECHO_MAX + 4];
    memset(o, 0, sizeof *o);
    o->pos = ps->cur.pos;
    o->lit = ps->cur;
    switch (ps->cur.kind) {
    case T_STRING: o->rk = GC_LIT_STRING; return next(ps);
    case T_ENUM: o->rk = GC_LIT_ENUM; return next(ps);
    case T_INT: o->rk = GC_LIT_INT; return next(ps);
    case T_DATETIME: o->rk = GC_LIT_DATETIME; return next(ps);
    case T_GUID: o->rk = GC_LIT_GUID; return next(ps);
    case T_IDENT:
        break;
    default:
        return expected(ps, "a property or a literal");
    }
    if (is_kw(ps, "null")) {
        o->rk = GC_LIT_NULL;
        return next(ps);
    }
    if (is_kw(ps, "true") || is_kw(ps, "false")) {
        o->rk = GC_LIT_BOOL;
        o->lit.i = is_kw(ps, "true");
        return next(ps);
    }
    if (is_kw(ps, "tolower"))
        return parse_case_fn(ps, GC_FILTER_TOLOWER, o);
    if (is_kw(ps, "toupper"))
        return parse_case_fn(ps, GC_FILTER_TOUPPER, o);
    if (is_reserved(ps))
        return expected(ps, "a property or a literal");
    if (peek_char(ps) == '(')
        return gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET,
                          "The function '%s' is not supported at position %zu.",
                          echo(ps->text + ps->cur.pos, ps->cur.len, buf), ps->cur.pos);
    return resolve_prop(ps, &o->node);
}

static bool parse_cmp_op(parser *ps, gc_filter_op *op)
{
    static const struct {
        const char *kw;
        gc_filter_op op;
    } ops[] = {{"eq", GC_FILTER_EQ}, {"ne", GC_FILTER_NE}, {"gt", GC_FILTER_GT},
               {"ge", GC_FILTER_GE}, {"lt", GC_FILTER_LT}, {"le", GC_FILTER_LE}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (is_kw(ps, ops[i].kw)) {
            *op = ops[i].op;
            return true;
        }
    return false;
}

static gc_filter_op mirror(gc_filter_op op)
{
    switch (op) {
    case GC_FILTER_GT: return GC_FILTER_LT;
    case GC_FILTER_GE: return GC_FILTER_LE;
    case GC_FILTER_LT: return GC_FILTER_GT;
    case GC_FILTER_LE: return GC_FILTER_GE;
    default: return op;
    }
}

/* l op r, with exactly one side a property operand. */
static gc_filter *bind_cmp(parser *ps, operand *l, gc_filter_op op, operand *r, size_t op_pos)
{
    if (l->node && r->node) {
        fail_at(ps, r->pos, "Comparing two properties is not supported");
        return NULL;
    }
    if (!l->node && !r->node) {
        fail_at(ps, op_pos, "A comparison needs a property on one side");
        return NULL;
    }
    if (!l->node) {
        operand tmp = *l;
        *l = *r;
        *r = tmp;
        op = mirror(op);
    }
    gc_filter *f = new_node(ps, GC_FILTER_CMP, l->pos < r->pos ? l->pos : r->pos);
    if (!f)
        return NULL;
    f->op = op;
    f->left = l->node;
    f->prop = l->node->prop;
    f->vals = gc_arena_alloc(ps->a, sizeof *f->vals);
    f->n_vals = 1;
    if (bind_value(ps, f->prop, r, op == GC_FILTER_EQ || op == GC_FILTER_NE, f->vals) != 0)
        return NULL;
    return f;
}

/* `in (v1, v2, ...)` after operand l; the current token is `in`. Values are bound as they are
 * read (bind_value counts each against GC_FILTER_MAX_NODES, which bounds the list). */
static gc_filter *parse_in(parser *ps, operand *l)
{
    if (!l->node) {
        fail_at(ps, l->pos, "The left side of 'in' must be a property");
        return NULL;
    }
    gc_filter *f = new_node(ps, GC_FILTER_IN, l->pos);
    if (!f || next(ps) != 0 || expect(ps, T_LPAREN, "'('") != 0)
        return NULL;
    f->left = l->node;
    f->prop = l->node->prop;
    size_t cap = 0;
    for (;;) {
        operand it;
        if (parse_operand(ps, &it) != 0)
            return NULL;
        if (it.node) {
            fail_at(ps, it.pos, "The list after 'in' may hold only literals");
            return NULL;
        }
        if (f->n_vals == cap) {
            cap = cap ? cap * 2 : 4;
            gc_value *v = gc_arena_alloc(ps->a, cap * sizeof *v);
            if (f->n_vals)
                memcpy(v, f->vals, f->n_vals * sizeof *v);
            f->vals = v;
        }
        if (bind_value(ps, f->prop, &it, false, &f->vals[f->n_vals]) != 0)
            return NULL;
        f->n_vals++;
        if (ps->cur.kind == T_RPAREN)
            break;
        if (expect(ps, T_COMMA, "',' or ')'") != 0)
            return NULL;
    }
    return next(ps) == 0 ? f : NULL;
}

/* startswith / endswith / contains at the current token (the function name). */
static gc_filter *parse_match_fn(parser *ps, gc_filter_kind kind, const char *fname)
{
    size_t pos = ps->cur.pos;
    operand subject, pattern;
    if (enter(ps, pos) != 0 || next(ps) != 0 || expect(ps, T_LPAREN, "'('") != 0)
        return NULL;
    if (parse_operand(ps, &subject) != 0)
        return NULL;
    if (!subject.node) {
        gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET,
                   "The first argument of '%s' must be a property at position %zu.", fname,
                   subject.pos);
        return NULL;
    }
    if (subject.node->prop->type != GC_EDM_STRING) {
        gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET,
                   "The function '%s' needs an Edm.String argument; property '%s' is %s at "
                   "position %zu.", fname, subject.node->prop->name,
                   gc_value_edm_name(subject.node->prop), subject.pos);
        return NULL;
    }
    if (expect(ps, T_COMMA, "','") != 0 || parse_operand(ps, &pattern) != 0)
        return NULL;
    if (pattern.node) {
        gc_err_set(ps->err, GC_E_BAD_REQUEST, TARGET,
                   "The second argument of '%s' must be a string literal at position %zu.", fname,
                   pattern.pos);
        return NULL;
    }
    if (expect(ps, T_RPAREN, "')'") != 0)
        return NULL;
    ps->depth--;
    gc_filter *f = new_node(ps, kind, pos);
    if (!f)
        return NULL;
    f->left = subject.node;
    f->prop = subject.node->prop;
    f->vals = gc_arena_alloc(ps->a, sizeof *f->vals);
    f->n_vals = 1;
    if (bind_value(ps, f->prop, &pattern, false, f->vals) != 0)
        return NULL;
    return f;
}

/* ( expr ) | startswith(..) | endswith(..) | contains(..) | comparison | Boolean property */
static gc_filter *parse_primary(parser *ps)
{
    if (ps->cur.kind == T_LPAREN) {
        if (enter(ps, ps->cur.pos) != 0 || next(ps) != 0)
            return NULL;
        gc_filter *f = parse_or(ps);
        if (!f || expect(ps, T_RPAREN, "')'") != 0)
            return NULL;
        ps->depth--;
        return f;
    }
    if (is_kw(ps, "startswith"))
        return parse_match_fn(ps, GC_FILTER_STARTSWITH, "startswith");
    if (is_kw(ps, "endswith"))
        return parse_match_fn(ps, GC_FILTER_ENDSWITH, "endswith");
    if (is_kw(ps, "contains"))
        return parse_match_fn(ps, GC_FILTER_CONTAINS, "contains");

    operand l, r;
    if (parse_operand(ps, &l) != 0)
        return NULL;
    gc_filter_op op;
    size_t op_pos = ps->cur.pos;
    if (parse_cmp_op(ps, &op)) {
        if (next(ps) != 0 || parse_operand(ps, &r) != 0)
            return NULL;
        return bind_cmp(ps, &l, op, &r, op_pos);
    }
    if (is_kw(ps, "in"))
        return parse_in(ps, &l);
    if (l.node && l.node->kind == GC_FILTER_PROP && l.node->prop->type == GC_EDM_BOOLEAN) {
        r = (operand){.rk = GC_LIT_BOOL, .lit = {.i = 1}, .pos = l.pos};
        return bind_cmp(ps, &l, GC_FILTER_EQ, &r, l.pos);
    }
    expected(ps, "a comparison operator");
    return NULL;
}

static gc_filter *parse_unary(parser *ps)
{
    if (!is_kw(ps, "not"))
        return parse_primary(ps);
    size_t pos = ps->cur.pos;
    if (enter(ps, pos) != 0 || next(ps) != 0)
        return NULL;
    gc_filter *child = parse_unary(ps);
    if (!child)
        return NULL;
    ps->depth--;
    gc_filter *f = new_node(ps, GC_FILTER_NOT, pos);
    if (f)
        f->left = child;
    return f;
}

/* Left-associative chains of `kw`-separated operands parsed by sub. */
static gc_filter *parse_chain(parser *ps, const char *kw, gc_filter_kind kind,
                              gc_filter *(*sub)(parser *))
{
    gc_filter *l = sub(ps);
    while (l && is_kw(ps, kw)) {
        if (next(ps) != 0)
            return NULL;
        gc_filter *r = sub(ps);
        if (!r)
            return NULL;
        gc_filter *f = new_node(ps, kind, l->pos);
        if (!f)
            return NULL;
        f->left = l;
        f->right = r;
        l = f;
    }
    return l;
}

static gc_filter *parse_and(parser *ps)
{
    return parse_chain(ps, "and", GC_FILTER_AND, parse_unary);
}

static gc_filter *parse_or(parser *ps)
{
    return parse_chain(ps, "or", GC_FILTER_OR, parse_and);
}

int gc_odata_filter_parse(gc_arena *a, const gc_entity_type *t, const char *text, size_t len,
                          gc_filter **out, gc_err *err)
{
    int rc = -1;
    char buf[ECHO_MAX + 4];
    parser ps = {.a = a, .t = t, .text = text, .len = len, .err = err};
    assert(a && t && out && (text || len == 0));
    if (len > GC_FILTER_MAX_LEN) {
        gc_err_set(err, GC_E_BAD_REQUEST, TARGET,
                   "The $filter expression is longer than %d bytes.", GC_FILTER_MAX_LEN);
        goto done;
    }
    if (next(&ps) != 0)
        goto done;
    if (ps.cur.kind == T_END) {
        gc_err_set(err, GC_E_BAD_REQUEST, TARGET, "The $filter expression is empty.");
        goto done;
    }
    gc_filter *f = parse_or(&ps);
    if (!f)
        goto done;
    if (ps.cur.kind != T_END) {
        gc_err_set(err, GC_E_BAD_REQUEST, TARGET, "Syntax error: unexpected '%s' at position %zu.",
                   echo(text + ps.cur.pos, ps.cur.len, buf), ps.cur.pos);
        goto done;
    }
    assert(ps.depth == 0);
    *out = f;
    rc = 0;
done:
    return rc;
}
