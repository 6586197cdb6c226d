/* rstream.h - the Redis Streams side of `celeb enqueue` / `celeb worker`
 * (hiredis): the connection, adding manifest items, taking entries for a
 * consumer group (reclaimed ones first), recording a result or a dead letter
 * atomically with the XACK, and the queue's numbers.
 *
 * Keys, for a stream S:
 *   S            the items: entries with fields id, source (and error when
 *                the manifest line could not be read)
 *   S:results    hash  id -> the result line (celeb.detect/1 + "id")
 *   S:dead       stream of dead letters: id, source, error (JSON
 *                {"code","message"}), attempts
 *   S:deadidx    hash  id -> the S:dead entry id (so an id is dead-lettered once)
 *   S:attempts   hash  id -> deliveries so far (HINCRBY at each delivery;
 *                removed when the item is finished)
 * Finishing an item is one Lua script (atomic): the result (or the dead
 * letter) and the XACK happen together or not at all, a redelivered item
 * overwrites its result, and an id is never in both S:results and S:dead. */
#ifndef CELEB_QUEUE_RSTREAM_H
#define CELEB_QUEUE_RSTREAM_H

#include <cJSON.h>
#include <hiredis/hiredis.h>
#include <stddef.h>

#include "batch/manifest.h"
#include "core/error.h"

/* Parses redis://HOST[:PORT][/DB] (PORT default 6379, DB default 0). host
 * gets at most hostsz-1 chars. Returns 0 or CELEB_EINVAL. */
int rs_url_parse(const char *url, char *host, size_t hostsz, int *port, int *db, celeb_error *err);

/* Connects (5 s timeout) and SELECTs the database when not 0. CELEB_EIO
 * when Redis cannot be reached. *out: redisFree. */
int rs_connect(const char *url, redisContext **out, celeb_error *err);

/* XADDs every item of m to stream (pipelined); *added gets the number added. */
int rs_enqueue(redisContext *c, const char *stream, const batch_manifest *m, size_t *added, celeb_error *err);

/* XGROUP CREATE stream group 0 MKSTREAM; an existing group is fine. */
int rs_group_create(redisContext *c, const char *stream, const char *group, celeb_error *err);

/* One delivered entry. Fields missing from the entry are NULL. */
typedef struct rs_entry {
    char eid[64];       /* the stream entry id, e.g. 1700000000000-0 */
    char *id;           /* the item id */
    char *source;
    char *error;        /* the manifest's error for this line, or NULL */
    int claimed;        /* 1 if taken over from another (or an earlier) delivery */
} rs_entry;

void rs_entry_free(rs_entry *e);

/* The next entry for consumer: first an entry pending for longer than
 * claim_idle_ms (XAUTOCLAIM from *cursor, which is kept between calls;
 * start it at "0-0"), else a new one (XREADGROUP ... COUNT 1 BLOCK
 * block_ms ... >; without BLOCK when block_ms <= 0). *got is 0 when there
 * was none. */
int rs_next(redisContext *c, const char *stream, const char *group, const char *consumer, long claim_idle_ms,
            int block_ms, char cursor[64], rs_entry *e, int *got, celeb_error *err);

/* HINCRBY S:attempts id 1: this delivery's number (1 for the first). */
int rs_attempt(redisContext *c, const char *stream, const char *id, long long *n, celeb_error *err);

/* Stores rec (unformatted) as S:results[id], drops a dead letter of id if
 * any, forgets its attempts, XACKs eid: atomically. */
int rs_complete(redisContext *c, const char *stream, const char *group, const char *eid, const char *id,
                const cJSON *rec, celeb_error *err);

/* Adds {id, source, error (JSON of error_obj), attempts} to S:dead unless
 * id already has a result or a dead letter, forgets its attempts, XACKs
 * eid: atomically. */
int rs_dead_letter(redisContext *c, const char *stream, const char *group, const char *eid, const char *id,
                   const char *source, const cJSON *error_obj, long long attempts, celeb_error *err);

/* Entries of the group delivered and not yet acked (XPENDING count). */
int rs_pending(redisContext *c, const char *stream, const char *group, long long *n, celeb_error *err);

/* {"stream", "group", "length", "waiting" (not yet delivered to the group),
 *  "in_flight" (delivered, not acked), "consumers": {name: in flight},
 *  "done" (ids with a result), "dead" (dead letters)}; NULL on error (err
 *  says why, e.g. no such group). */
cJSON *rs_stats(redisContext *c, const char *stream, const char *group, celeb_error *err);

#endif
