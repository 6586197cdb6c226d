/* fuzz_weights.c - libFuzzer target: the tfjs weight-manifest loader. The
 * input is the manifest JSON, a NUL byte, then the weight bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t jlen = nul ? (size_t)(nul - data) : size;
    char *json = malloc(jlen + 1);
    if (!json)
        return 0;
    memcpy(json, data, jlen);
    json[jlen] = '\0';
    const unsigned char *bin = nul ? nul + 1 : (const unsigned char *)"";
    long bin_size = nul ? (long)(size - jlen - 1) : 0;
    nn_weights w;
    celeb_error err = {0};
    if (nn_weights_parse(&w, json, bin, bin_size, &err) == 0)
        nn_weights_free(&w);
    free(json);
    return 0;
}
