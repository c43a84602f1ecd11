/* The SQL text writer (see sql_writer.h): identifiers, placeholders, bound values. */
#include "store/sql_writer.h"

#include <string.h>

const gc_sql_dialect gc_sql_dialect_sqlite = {
    .text_type = "TEXT",
    .int32_type = "INTEGER",
    .int64_type = "INTEGER",
    .blob_type = "BLOB",
    .numbered_params = false,
};

const gc_sql_dialect gc_sql_dialect_postgres = {
    .text_type = "TEXT COLLATE \"C\"",
    .int32_type = "INTEGER",
    .int64_type = "BIGINT",
    .blob_type = "BYTEA",
    .numbered_params = true,
    .max_ident = 63,
};

int gc_sql_ident(gc_buf *b, const char *name, const char *suffix)
{
    const char *parts[2] = {name, suffix ? suffix : ""};
    if (gc_buf_append(b, "\"", 1) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        for (const char *c = parts[i]; *c;) {
            size_t run = strcspn(c, "\""); /* up to the next quote, appended at once */
            if (gc_buf_append(b, c, run) != 0)
                return -1;
            c += run;
            if (*c == '"') {
                if (gc_buf_append(b, "\"\"", 2) != 0)
                    return -1;
                c++;
            }
        }
    return gc_buf_append(b, "\"", 1);
}

gc_sqlw gc_sqlw_start(gc_buf *b, const gc_sql_dialect *d, bool fresh, gc_sql_value *params,
                      size_t max_params)
{
    if (fresh) {
        b->len = 0;
        b->overflow = false;
        if (b->data)
            b->data[0] = '\0';
    }
    return (gc_sqlw){.b = b, .d = d, .params = params, .max_params = max_params};
}

void gc_sqlw_str(gc_sqlw *w, const char *s)
{
    if (!w->b->overflow)
        gc_buf_append(w->b, s, strlen(s));
}

void gc_sqlw_ident(gc_sqlw *w, const char *name, const char *suffix)
{
    if (!w->b->overflow)
        gc_sql_ident(w->b, name, suffix);
}

void gc_sqlw_placeholder(gc_sqlw *w)
{
    w->n_params++;
    if (w->d->numbered_params) {
        if (!w->b->overflow)
            gc_buf_appendf(w->b, "$%d", w->n_params);
    } else {
        gc_sqlw_str(w, "?");
    }
}

void gc_sqlw_bind(gc_sqlw *w, gc_sql_value v)
{
    if (w->n_bound >= w->max_params) {
        w->too_many = true;
        return;
    }
    w->params[w->n_bound++] = v;
    gc_sqlw_placeholder(w);
}

bool gc_sqlw_failed(const gc_sqlw *w)
{
    return w->b->overflow || w->too_many;
}
