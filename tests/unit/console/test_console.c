/* The embedded console files (src/console/console.c and the table embed.cmake generates): every
 * file is there byte for byte, typed by its extension, and the markup and code keep to the
 * console's rules: no inline script or event-handler attribute (the CSP allows none), and no
 * API that parses text as HTML, so every value reaches the page as text. */
#include "console/console.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#ifndef GC_CONSOLE_ASSET_DIR
#error "GC_CONSOLE_ASSET_DIR must name src/console/assets"
#endif

static char *read_file(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", GC_CONSOLE_ASSET_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void test_index_and_lookup(void **state)
{
    (void)state;
    const gc_console_asset *a = gc_console_find("");
    assert_non_null(a);
    assert_string_equal(a->name, "index.html");
    assert_ptr_equal(gc_console_find("index.html"), a);
    assert_non_null(gc_console_find("app.js"));
    assert_non_null(gc_console_find("console.css"));
    assert_null(gc_console_find("../index.html"));
    assert_null(gc_console_find("app.js/"));
    assert_null(gc_console_find("APP.JS"));
    assert_null(gc_console_find("nope.js"));
    assert_string_equal(gc_console_content_type("app.js"), "text/javascript; charset=utf-8");
    assert_string_equal(gc_console_content_type("index.html"), "text/html; charset=utf-8");
    assert_string_equal(gc_console_content_type("console.css"), "text/css; charset=utf-8");
    assert_string_equal(gc_console_content_type("icon.svg"), "image/svg+xml");
    assert_string_equal(gc_console_content_type("x"), "application/octet-stream");
}

static void test_assets_match_their_files(void **state)
{
    (void)state;
    assert_true(gc_console_n_assets >= 8);
    for (size_t i = 0; i < gc_console_n_assets; i++) {
        const gc_console_asset *a = &gc_console_assets[i];
        size_t len;
        char *want = read_file(a->name, &len);
        assert_int_equal(a->len, len);
        assert_memory_equal(a->data, want, len);
        assert_int_equal(a->data[a->len], 0);
        assert_int_equal(strlen(a->etag), 18);
        assert_int_equal(a->etag[0], '"');
        free(want);
    }
}

static bool has(const gc_console_asset *a, const char *needle)
{
    return strstr((const char *)a->data, needle) != NULL;
}

static void test_no_inline_script_no_html_parsing(void **state)
{
    (void)state;
    const gc_console_asset *idx = gc_console_find("index.html");
    /* every <script> loads a file */
    for (const char *p = (const char *)idx->data; (p = strstr(p, "<script")) != NULL; p++) {
        const char *end = strchr(p, '>');
        assert_non_null(end);
        assert_non_null(memmem(p, (size_t)(end - p), " src=", 5));
        assert_int_equal(strncmp(end + 1, "</script>", 9), 0);
    }
    assert_false(has(idx, " style="));
    for (size_t i = 0; i < gc_console_n_assets; i++) {
        const gc_console_asset *a = &gc_console_assets[i];
        const char *bad[] = {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                             "eval(", "new Function", "javascript:", " onclick=", " onload=",
                             " onerror=", "http://", "https://"};
        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            /* icon.svg names the SVG namespace; nothing else may name another origin */
            if (strcmp(a->name, "icon.svg") == 0 && strcmp(bad[k], "http://") == 0)
                continue;
            if (strcmp(a->name, "dom.js") == 0 && strcmp(bad[k], "http://") == 0)
                continue;
            if (has(a, bad[k]))
                fail_msg("%s uses %s", a->name, bad[k]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_and_lookup),
        cmocka_unit_test(test_assets_match_their_files),
        cmocka_unit_test(test_no_inline_script_no_html_parsing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
