/* idset.c - open-addressing string set (see idset.h). */
#include "idset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"

static size_t find_slot(char *const *slots, size_t cap, const char *id)
{
    size_t i = (size_t)batch_hash_id(id) & (cap - 1);
    while (slots[i] && strcmp(slots[i], id))
        i = (i + 1) & (cap - 1);
    return i;
}

static int grow(batch_idset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 64;
    char **slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i])
            slots[find_slot(slots, cap, s->slots[i])] = s->slots[i];
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return 0;
}

int batch_idset_add(batch_idset *s, const char *id)
{
    if (batch_idset_has(s, id))
        return 0;
    if ((s->count + 1) * 2 > s->cap && grow(s) < 0)
        return -1;
    char *copy = strdup(id);
    if (!copy)
        return -1;
    s->slots[find_slot(s->slots, s->cap, id)] = copy;
    s->count++;
    return 1;
}

int batch_idset_has(const batch_idset *s, const char *id)
{
    return s->cap && s->slots[find_slot(s->slots, s->cap, id)] != NULL;
}

void batch_idset_free(batch_idset *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->slots[i]);
    free(s->slots);
    *s = (batch_idset){0};
}
