/* rstream.c - Redis Streams for the worker queue (see rstream.h). */
#include "rstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* Finishing with a result: KEYS S, S:results, S:deadidx, S:dead, S:attempts;
 * ARGV group, entry id, item id, result line. */
static const char COMPLETE_LUA[] =
    "redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])\n"
    "local d = redis.call('HGET', KEYS[3], ARGV[3])\n"
    "if d then redis.call('XDEL', KEYS[4], d) redis.call('HDEL', KEYS[3], ARGV[3]) end\n"
    "redis.call('HDEL', KEYS[5], ARGV[3])\n"
    "return redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])\n";

/* Finishing with a dead letter: same KEYS; ARGV group, entry id, item id,
 * source, error JSON, attempts. */
static const char DEAD_LUA[] =
    "if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 0 and redis.call('HEXISTS', KEYS[3], ARGV[3]) == 0 then\n"
    "  local d = redis.call('XADD', KEYS[4], '*', 'id', ARGV[3], 'source', ARGV[4], 'error', ARGV[5],"
    " 'attempts', ARGV[6])\n"
    "  redis.call('HSET', KEYS[3], ARGV[3], d)\n"
    "end\n"
    "redis.call('HDEL', KEYS[5], ARGV[3])\n"
    "return redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])\n";

int rs_url_parse(const char *url, char *host, size_t hostsz, int *port, int *db, celeb_error *err)
{
    static const char scheme[] = "redis://";
    if (!url || strncmp(url, scheme, sizeof scheme - 1))
        return celeb_fail(err, CELEB_EINVAL, "redis URL must be redis://HOST[:PORT][/DB]: '%s'", url ? url : "");
    const char *h = url + sizeof scheme - 1;
    size_t hl = strcspn(h, ":/");
    if (hl == 0 || hl >= hostsz)
        return celeb_fail(err, CELEB_EINVAL, "redis URL has no host (or one too long): '%s'", url);
    memcpy(host, h, hl);
    host[hl] = '\0';
    const char *p = h + hl;
    *port = 6379;
    *db = 0;
    char *end;
    if (*p == ':') {
        long v = strtol(p + 1, &end, 10);
        if (end == p + 1 || v < 1 || v > 65535 || (*end && *end != '/'))
            return celeb_fail(err, CELEB_EINVAL, "redis URL has a bad port: '%s'", url);
        *port = (int)v;
        p = end;
    }
    if (*p == '/' && p[1]) {
        long v = strtol(p + 1, &end, 10);
        if (end == p + 1 || *end || v < 0 || v > 1000000)
            return celeb_fail(err, CELEB_EINVAL, "redis URL has a bad database number: '%s'", url);
        *db = (int)v;
    } else if (*p && strcmp(p, "/")) {
        return celeb_fail(err, CELEB_EINVAL, "redis URL must be redis://HOST[:PORT][/DB]: '%s'", url);
    }
    return 0;
}

/* Runs one command; a NULL reply (connection lost) or an error reply is
 * CELEB_EIO with Redis' message. *out: freeReplyObject. */
static int cmd(redisContext *c, int argc, const char **argv, redisReply **out, celeb_error *err)
{
    *out = NULL;
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    if (!r)
        return celeb_fail(err, CELEB_EIO, "redis: %s", c->errstr[0] ? c->errstr : "connection lost");
    if (r->type == REDIS_REPLY_ERROR) {
        celeb_fail(err, CELEB_EIO, "redis %s: %s", argv[0], r->str);
        freeReplyObject(r);
        return CELEB_EIO;
    }
    *out = r;
    return 0;
}

int rs_connect(const char *url, redisContext **out, celeb_error *err)
{
    *out = NULL;
    char host[256];
    int port, db;
    if (rs_url_parse(url, host, sizeof host, &port, &db, err) < 0)
        return CELEB_EINVAL;
    redisContext *c = redisConnectWithTimeout(host, port, (struct timeval){5, 0});
    if (!c)
        return celeb_fail(err, CELEB_ENOMEM, "redis: out of memory");
    if (c->err) {
        celeb_fail(err, CELEB_EIO, "cannot connect to %s: %s", url, c->errstr);
        redisFree(c);
        return CELEB_EIO;
    }
    if (db) {
        char dbs[16];
        snprintf(dbs, sizeof dbs, "%d", db);
        redisReply *r;
        if (cmd(c, 2, (const char *[]){"SELECT", dbs}, &r, err) < 0) {
            redisFree(c);
            return CELEB_EIO;
        }
        freeReplyObject(r);
    }
    *out = c;
    return 0;
}

/* "S" + suffix into buf. */
static const char *key(char *buf, size_t sz, const char *stream, const char *suffix)
{
    snprintf(buf, sz, "%s%s", stream, suffix);
    return buf;
}

int rs_enqueue(redisContext *c, const char *stream, const batch_manifest *m, size_t *added, celeb_error *err)
{
    *added = 0;
    size_t sent = 0;
    int rc = 0;
    /* Pipelined in chunks of 512 so the replies never pile up. */
    for (size_t i = 0; i < m->count && rc == 0; i = sent) {
        size_t end = i + 512 < m->count ? i + 512 : m->count;
        for (sent = i; sent < end; sent++) {
            const batch_item *it = &m->items[sent];
            const char *argv[9] = {"XADD", stream, "*", "id", it->id, "source", it->source, "error", it->error};
            if (redisAppendCommandArgv(c, it->error ? 9 : 7, argv, NULL) != REDIS_OK)
                return celeb_fail(err, CELEB_EIO, "redis: %s", c->errstr);
        }
        for (size_t k = i; k < end; k++) {
            void *reply = NULL;
            if (redisGetReply(c, &reply) != REDIS_OK || !reply)
                return celeb_fail(err, CELEB_EIO, "redis: %s", c->errstr[0] ? c->errstr : "connection lost");
            redisReply *r = reply;
            if (r->type == REDIS_REPLY_ERROR && rc == 0)
                rc = celeb_fail(err, CELEB_EIO, "redis XADD: %s", r->str);
            else if (r->type != REDIS_REPLY_ERROR)
                (*added)++;
            freeReplyObject(r);
        }
    }
    return rc;
}

int rs_group_create(redisContext *c, const char *stream, const char *group, celeb_error *err)
{
    redisReply *r = redisCommandArgv(c, 6, (const char *[]){"XGROUP", "CREATE", stream, group, "0", "MKSTREAM"},
                                     NULL);
    if (!r)
        return celeb_fail(err, CELEB_EIO, "redis: %s", c->errstr[0] ? c->errstr : "connection lost");
    int rc = 0;
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9))
        rc = celeb_fail(err, CELEB_EIO, "redis XGROUP CREATE: %s", r->str);
    freeReplyObject(r);
    return rc;
}

void rs_entry_free(rs_entry *e)
{
    free(e->id);
    free(e->source);
    free(e->error);
    memset(e, 0, sizeof *e);
}

static char *dup_str(const redisReply *r)
{
    if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS))
        return NULL;
    char *s = malloc(r->len + 1);
    if (s) {
        memcpy(s, r->str, r->len);
        s[r->len] = '\0';
    }
    return s;
}

/* Fills e from one [entry-id, [field, value, ...]] reply. 0, or -1 if it is
 * not such an entry (a deleted one is a nil). */
static int parse_entry(const redisReply *r, rs_entry *e)
{
    memset(e, 0, sizeof *e);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[0]->len >= sizeof e->eid)
        return -1;
    memcpy(e->eid, r->element[0]->str, r->element[0]->len);
    e->eid[r->element[0]->len] = '\0';
    const redisReply *f = r->element[1];
    if (f->type != REDIS_REPLY_ARRAY)
        return 0;   /* entry deleted while pending: no fields */
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        const redisReply *k = f->element[i];
        if (k->type != REDIS_REPLY_STRING)
            continue;
        char **dst = !strcmp(k->str, "id") ? &e->id : !strcmp(k->str, "source") ? &e->source
                   : !strcmp(k->str, "error") ? &e->error : NULL;
        if (dst && !*dst)
            *dst = dup_str(f->element[i + 1]);
    }
    return 0;
}

int rs_next(redisContext *c, const char *stream, const char *group, const char *consumer, long claim_idle_ms,
            int block_ms, char cursor[64], rs_entry *e, int *got, celeb_error *err)
{
    *got = 0;
    memset(e, 0, sizeof *e);
    char idle[32], block[32];
    snprintf(idle, sizeof idle, "%ld", claim_idle_ms);
    snprintf(block, sizeof block, "%d", block_ms);
    redisReply *r;
    /* Reclaimed entries first: walk the pending list with the cursor until it wraps. */
    for (int pass = 0; pass < 2 && !*got; pass++) {
        const char *argv[] = {"XAUTOCLAIM", stream, group, consumer, idle, cursor, "COUNT", "1"};
        if (cmd(c, 8, argv, &r, err) < 0)
            return CELEB_EIO;
        if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2) {
            const redisReply *next = r->element[0], *list = r->element[1];
            if (next->type == REDIS_REPLY_STRING && next->len < 64) {
                memcpy(cursor, next->str, next->len);
                cursor[next->len] = '\0';
            }
            if (list->type == REDIS_REPLY_ARRAY && list->elements > 0 && parse_entry(list->element[0], e) == 0) {
                e->claimed = 1;
                *got = 1;
            }
        }
        freeReplyObject(r);
        if (!strcmp(cursor, "0-0"))
            break;   /* walked the whole list */
    }
    if (*got)
        return 0;
    const char *argv[] = {"XREADGROUP", "GROUP", group, consumer, "COUNT", "1", "BLOCK", block, "STREAMS", stream, ">"};
    const char *noblock[] = {"XREADGROUP", "GROUP", group, consumer, "COUNT", "1", "STREAMS", stream, ">"};
    if (block_ms > 0 ? cmd(c, 11, argv, &r, err) < 0 : cmd(c, 9, noblock, &r, err) < 0)
        return CELEB_EIO;
    /* [[stream, [[entry-id, fields]]]] or nil on timeout */
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
        const redisReply *s = r->element[0];
        if (s->type == REDIS_REPLY_ARRAY && s->elements == 2 && s->element[1]->type == REDIS_REPLY_ARRAY &&
            s->element[1]->elements > 0 && parse_entry(s->element[1]->element[0], e) == 0)
            *got = 1;
    }
    freeReplyObject(r);
    return 0;
}

int rs_attempt(redisContext *c, const char *stream, const char *id, long long *n, celeb_error *err)
{
    char k[512];
    redisReply *r;
    if (cmd(c, 4, (const char *[]){"HINCRBY", key(k, sizeof k, stream, ":attempts"), id, "1"}, &r, err) < 0)
        return CELEB_EIO;
    *n = r->type == REDIS_REPLY_INTEGER ? r->integer : 1;
    freeReplyObject(r);
    return 0;
}

/* EVAL script with the five keys of stream and args. */
static int run_script(redisContext *c, const char *script, const char *stream, int nargs, const char **args,
                      celeb_error *err)
{
    char k[4][512];
    const char *argv[16] = {"EVAL", script, "5", stream, key(k[0], sizeof k[0], stream, ":results"),
                            key(k[1], sizeof k[1], stream, ":deadidx"), key(k[2], sizeof k[2], stream, ":dead"),
                            key(k[3], sizeof k[3], stream, ":attempts")};
    for (int i = 0; i < nargs; i++)
        argv[8 + i] = args[i];
    redisReply *r;
    if (cmd(c, 8 + nargs, argv, &r, err) < 0)
        return CELEB_EIO;
    freeReplyObject(r);
    return 0;
}

int rs_complete(redisContext *c, const char *stream, const char *group, const char *eid, const char *id,
                const cJSON *rec, celeb_error *err)
{
    char *line = cJSON_PrintUnformatted(rec);
    if (!line)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    int rc = run_script(c, COMPLETE_LUA, stream, 4, (const char *[]){group, eid, id, line}, err);
    free(line);
    return rc;
}

int rs_dead_letter(redisContext *c, const char *stream, const char *group, const char *eid, const char *id,
                   const char *source, const cJSON *error_obj, long long attempts, celeb_error *err)
{
    char *ej = cJSON_PrintUnformatted(error_obj);
    if (!ej)
        return celeb_fail(err, CELEB_ENOMEM, "out of memory");
    char at[32];
    snprintf(at, sizeof at, "%lld", attempts);
    int rc = run_script(c, DEAD_LUA, stream, 6, (const char *[]){group, eid, id, source ? source : "", ej, at}, err);
    free(ej);
    return rc;
}

int rs_pending(redisContext *c, const char *stream, const char *group, long long *n, celeb_error *err)
{
    redisReply *r;
    if (cmd(c, 3, (const char *[]){"XPENDING", stream, group}, &r, err) < 0)
        return CELEB_EIO;
    *n = r->type == REDIS_REPLY_ARRAY && r->elements > 0 && r->element[0]->type == REDIS_REPLY_INTEGER
             ? r->element[0]->integer
             : 0;
    freeReplyObject(r);
    return 0;
}

/* An integer reply of a one-key command, e.g. XLEN S. */
static int int_cmd(redisContext *c, const char *name, const char *k, long long *n, celeb_error *err)
{
    redisReply *r;
    if (cmd(c, 2, (const char *[]){name, k}, &r, err) < 0)
        return CELEB_EIO;
    *n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
    freeReplyObject(r);
    return 0;
}

/* The group's entry of XINFO GROUPS: *lag (entries not yet delivered to it;
 * Redis 7 says nil when it cannot tell after deletions, then length minus
 * entries-read). CELEB_EINVAL when there is no such group. */
static int group_lag(redisContext *c, const char *stream, const char *group, long long len, long long *lag,
                     celeb_error *err)
{
    redisReply *r;
    if (cmd(c, 3, (const char *[]){"XINFO", "GROUPS", stream}, &r, err) < 0)
        return CELEB_EIO;
    int found = 0;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements && !found; i++) {
        const redisReply *g = r->element[i];
        long long read = -1, l = -1;
        int mine = 0;
        for (size_t k = 0; g->type == REDIS_REPLY_ARRAY && k + 1 < g->elements; k += 2) {
            const redisReply *name = g->element[k], *v = g->element[k + 1];
            if (name->type != REDIS_REPLY_STRING)
                continue;
            if (!strcmp(name->str, "name"))
                mine = v->type == REDIS_REPLY_STRING && !strcmp(v->str, group);
            else if (!strcmp(name->str, "entries-read") && v->type == REDIS_REPLY_INTEGER)
                read = v->integer;
            else if (!strcmp(name->str, "lag") && v->type == REDIS_REPLY_INTEGER)
                l = v->integer;
        }
        if (mine) {
            found = 1;
            *lag = l >= 0 ? l : read >= 0 && len > read ? len - read : 0;
        }
    }
    freeReplyObject(r);
    return found ? 0 : celeb_fail(err, CELEB_EINVAL, "stream %s has no consumer group %s", stream, group);
}

cJSON *rs_stats(redisContext *c, const char *stream, const char *group, celeb_error *err)
{
    char k[512];
    long long len, done, dead, waiting = 0;
    if (int_cmd(c, "XLEN", stream, &len, err) < 0 || int_cmd(c, "HLEN", key(k, sizeof k, stream, ":results"), &done, err) < 0 ||
        int_cmd(c, "XLEN", key(k, sizeof k, stream, ":dead"), &dead, err) < 0 ||
        group_lag(c, stream, group, len, &waiting, err) < 0)
        return NULL;
    redisReply *r;
    if (cmd(c, 3, (const char *[]){"XPENDING", stream, group}, &r, err) < 0)
        return NULL;
    cJSON *o = cJSON_CreateObject(), *cons = cJSON_CreateObject();
    long long in_flight = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 4) {
        if (r->element[0]->type == REDIS_REPLY_INTEGER)
            in_flight = r->element[0]->integer;
        const redisReply *l = r->element[3];
        for (size_t i = 0; l->type == REDIS_REPLY_ARRAY && i < l->elements; i++) {
            const redisReply *p = l->element[i];
            if (p->type == REDIS_REPLY_ARRAY && p->elements == 2 && p->element[0]->type == REDIS_REPLY_STRING &&
                p->element[1]->type == REDIS_REPLY_STRING)
                cJSON_AddNumberToObject(cons, p->element[0]->str, (double)strtoll(p->element[1]->str, NULL, 10));
        }
    }
    freeReplyObject(r);
    cJSON_AddStringToObject(o, "stream", stream);
    cJSON_AddStringToObject(o, "group", group);
    cJSON_AddNumberToObject(o, "length", (double)len);
    cJSON_AddNumberToObject(o, "waiting", (double)waiting);
    cJSON_AddNumberToObject(o, "in_flight", (double)in_flight);
    cJSON_AddItemToObject(o, "consumers", cons);
    cJSON_AddNumberToObject(o, "done", (double)done);
    cJSON_AddNumberToObject(o, "dead", (double)dead);
    if (!cJSON_GetObjectItemCaseSensitive(o, "dead")) {
        cJSON_Delete(o);
        celeb_fail(err, CELEB_ENOMEM, "out of memory");
        return NULL;
    }
    return o;
}
