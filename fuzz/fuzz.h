/* Shared by the fuzz targets: the libFuzzer entry point and an always-on check that aborts
 * (so both libFuzzer and the corpus replay report it) with the failed condition. */
#ifndef GC_FUZZ_FUZZ_H
#define GC_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
