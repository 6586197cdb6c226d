/* shard.c - FNV-1a 64 of the id, mod N (see shard.h). */
#include "shard.h"

#include <errno.h>
#include <stdlib.h>

uint64_t batch_hash_id(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    return h;
}

static int parse_u32(const char *s, char **end, uint32_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, end, 10);
    if (errno || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int batch_shard_parse(const char *s, uint32_t *index, uint32_t *count)
{
    char *end;
    uint32_t i, n;
    if (!s || parse_u32(s, &end, &i) < 0 || *end != '/')
        return -1;
    if (parse_u32(end + 1, &end, &n) < 0 || *end != '\0')
        return -1;
    if (n == 0 || i >= n)
        return -1;
    *index = i;
    *count = n;
    return 0;
}

int batch_in_shard(const char *id, uint32_t index, uint32_t count)
{
    return count <= 1 || batch_hash_id(id) % count == index;
}
