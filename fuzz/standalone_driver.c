/* Replays fuzz inputs without libFuzzer: feeds each file named on the command line (or each
 * regular file in a named directory) to LLVMFuzzerTestOneInput once, so that every corpus runs
 * as an ordinary test under the sanitizer build. A crash or abort fails the run. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Runs one file; 0, or -1 when it cannot be read. */
static int run_file(const char *path)
{
    int rc = -1;
    unsigned char *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        goto done;
    }
    if (fseek(f, 0, SEEK_END) != 0)
        goto done;
    long len = ftell(f);
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto done;
    /* exactly len bytes, so that the sanitizers catch any read past the input */
    data = malloc(len > 0 ? (size_t)len : 1);
    if (!data || (len > 0 && fread(data, 1, (size_t)len, f) != (size_t)len)) {
        fprintf(stderr, "cannot read %s\n", path);
        goto done;
    }
    LLVMFuzzerTestOneInput(data, (size_t)len);
    rc = 0;
done:
    free(data);
    if (f)
        fclose(f);
    return rc;
}

static int run_path(const char *path, size_t *n)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "cannot stat %s\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*n)++;
        return run_file(path);
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "cannot open directory %s\n", path);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t need = strlen(path) + strlen(e->d_name) + 2;
        char *child = malloc(need);
        if (!child) {
            rc = -1;
            break;
        }
        snprintf(child, need, "%s/%s", path, e->d_name);
        if (stat(child, &st) == 0 && S_ISREG(st.st_mode)) {
            (*n)++;
            rc = run_file(child);
        }
        free(child);
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    size_t n = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i], &n) != 0)
            return 1;
    if (n == 0) {
        fprintf(stderr, "no inputs found\n");
        return 1;
    }
    printf("%zu inputs replayed\n", n);
    return 0;
}
