/* shard.h - stable assignment of manifest items to shards, by id.
 *
 * An item belongs to shard i of N when FNV-1a 64 of its id, mod N, is i:
 * the same on every machine and run, independent of the manifest's order,
 * so `--shard 0/N` ... `--shard N-1/N` cover every id exactly once. */
#ifndef CELEB_BATCH_SHARD_H
#define CELEB_BATCH_SHARD_H

#include <stdint.h>

/* FNV-1a 64-bit of the NUL-terminated string s. */
uint64_t batch_hash_id(const char *s);

/* Parses "i/N" (decimal, 0 <= i < N, N >= 1, nothing else). Returns 0, or
 * -1 if s is malformed or out of range. */
int batch_shard_parse(const char *s, uint32_t *index, uint32_t *count);

/* 1 if id belongs to shard index of count. */
int batch_in_shard(const char *id, uint32_t index, uint32_t count);

#endif
