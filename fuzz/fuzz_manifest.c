/* fuzz_manifest.c - libFuzzer target: the batch manifest reader (plain lines
 * and JSON lines) on arbitrary text. */
#include <stddef.h>
#include <stdint.h>

#include "batch/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    batch_manifest m;
    celeb_error err = {0};
    if (batch_manifest_parse((const char *)data, size, &m, &err) == 0)
        batch_manifest_free(&m);
    return 0;
}
