/* test_batch.c - the batch runner's pure parts: the manifest reader (plain
 * and JSON lines, comments, malformed lines, repeated ids), the shard
 * function (stable, covering, validated), the id set, the resume scan
 * (complete lines kept, an incomplete or unparsable tail cut off, the file
 * truncated) and the output records (id first, one whole line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch/idset.h"
#include "batch/manifest.h"
#include "batch/output.h"
#include "batch/resume.h"
#include "batch/shard.h"

static void test_manifest_plain_and_json(void **state)
{
    const char *text = "  a.gif  \n"
                       "\n"
                       "# a comment\n"
                       "https://x.test/b.gif\r\n"
                       "{\"id\": \"c\", \"source\": \"c.gif\"}\n"
                       "{\"source\": \"d.gif\"}\n"
                       "{\"id\": 42, \"source\": \"e.gif\"}\n"
                       "a.gif\n"
                       "{\"id\": \"c\", \"source\": \"other.gif\"}\n"
                       "last.gif";   /* no final newline */
    batch_manifest m;
    celeb_error err = {0};
    assert_int_equal(batch_manifest_parse(text, strlen(text), &m, &err), 0);
    assert_int_equal(m.count, 6);
    assert_int_equal(m.duplicates, 2);
    const char *ids[] = {"a.gif", "https://x.test/b.gif", "c", "d.gif", "42", "last.gif"};
    const char *srcs[] = {"a.gif", "https://x.test/b.gif", "c.gif", "d.gif", "e.gif", "last.gif"};
    const int lines[] = {1, 4, 5, 6, 7, 10};
    for (size_t i = 0; i < m.count; i++) {
        assert_string_equal(m.items[i].id, ids[i]);
        assert_string_equal(m.items[i].source, srcs[i]);
        assert_int_equal(m.items[i].line, lines[i]);
        assert_null(m.items[i].error);
    }
    batch_manifest_free(&m);
    assert_int_equal(m.count, 0);
}

static void test_manifest_malformed_lines(void **state)
{
    const char *text = "ok.gif\n"
                       "{\"id\": \"x\", \"source\": \n"
                       "{\"id\": \"y\"}\n"
                       "{\"id\": [1], \"source\": \"z.gif\"}\n"
                       "after.gif\n";
    batch_manifest m;
    celeb_error err = {0};
    assert_int_equal(batch_manifest_parse(text, strlen(text), &m, &err), 0);
    assert_int_equal(m.count, 5);
    assert_null(m.items[0].error);
    assert_string_equal(m.items[1].id, "line:2");
    assert_string_equal(m.items[1].source, "{\"id\": \"x\", \"source\":");
    assert_string_equal(m.items[1].error, "manifest line 2: not a JSON object");
    assert_string_equal(m.items[2].id, "line:3");
    assert_string_equal(m.items[2].error, "manifest line 3: no \"source\" string");
    assert_string_equal(m.items[3].id, "line:4");
    assert_non_null(strstr(m.items[3].error, "neither a string nor a number"));
    assert_string_equal(m.items[4].id, "after.gif");
    assert_null(m.items[4].error);
    batch_manifest_free(&m);

    assert_int_equal(batch_manifest_parse("", 0, &m, &err), 0);
    assert_int_equal(m.count, 0);
    batch_manifest_free(&m);
}

static void test_shard(void **state)
{
    /* FNV-1a 64 reference values */
    assert_true(batch_hash_id("") == 0xcbf29ce484222325ull);
    assert_true(batch_hash_id("a") == 0xaf63dc4c8601ec8cull);
    assert_true(batch_hash_id("foobar") == 0x85944171f73967e8ull);

    uint32_t i, n;
    assert_int_equal(batch_shard_parse("1/3", &i, &n), 0);
    assert_int_equal(i, 1);
    assert_int_equal(n, 3);
    assert_int_equal(batch_shard_parse("0/1", &i, &n), 0);
    const char *bad[] = {"3/3", "4/3", "0/0", "1", "/3", "1/", "-1/3", "1/3x", "a/b", " 1/3", "1/+3", ""};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        assert_int_equal(batch_shard_parse(bad[k], &i, &n), -1);

    /* every id in exactly one of 3 shards; the split is roughly even */
    int per[3] = {0};
    char id[32];
    for (int k = 0; k < 3000; k++) {
        snprintf(id, sizeof id, "item-%d.gif", k);
        int hits = 0;
        for (uint32_t s = 0; s < 3; s++)
            if (batch_in_shard(id, s, 3)) {
                hits++;
                per[s]++;
            }
        assert_int_equal(hits, 1);
        assert_int_equal(batch_in_shard(id, 0, 1), 1);
    }
    for (int s = 0; s < 3; s++)
        assert_in_range(per[s], 900, 1100);
}

static void test_idset(void **state)
{
    batch_idset s = {0};
    char id[32];
    for (int k = 0; k < 1000; k++) {
        snprintf(id, sizeof id, "id%d", k);
        assert_int_equal(batch_idset_add(&s, id), 1);
    }
    assert_int_equal(batch_idset_add(&s, "id7"), 0);
    assert_int_equal(s.count, 1000);
    assert_true(batch_idset_has(&s, "id999"));
    assert_false(batch_idset_has(&s, "id1000"));
    batch_idset_free(&s);
    assert_false(batch_idset_has(&s, "id1"));
}

static void test_resume_scan(void **state)
{
    const char *l1 = "{\"id\":\"a\",\"schema\":\"celeb.detect/1\"}\n";
    const char *l2 = "{\"id\":\"b\",\"error\":{\"code\":\"io\"}}\n";
    char buf[512];
    batch_resume r;
    celeb_error err = {0};

    /* all complete */
    snprintf(buf, sizeof buf, "%s%s", l1, l2);
    assert_int_equal(batch_resume_scan(buf, strlen(buf), &r, &err), 0);
    assert_int_equal(r.lines, 2);
    assert_int_equal(r.keep_bytes, strlen(buf));
    assert_int_equal(r.dropped_bytes, 0);
    assert_true(batch_idset_has(&r.done, "a") && batch_idset_has(&r.done, "b"));
    batch_resume_free(&r);

    /* a last line cut short, without its newline */
    snprintf(buf, sizeof buf, "%s%s{\"id\":\"c\",\"sch", l1, l2);
    assert_int_equal(batch_resume_scan(buf, strlen(buf), &r, &err), 0);
    assert_int_equal(r.lines, 2);
    assert_int_equal(r.keep_bytes, strlen(l1) + strlen(l2));
    assert_int_equal(r.dropped_bytes, strlen("{\"id\":\"c\",\"sch"));
    assert_false(batch_idset_has(&r.done, "c"));
    batch_resume_free(&r);

    /* a last line with a newline that does not parse: cut off too */
    snprintf(buf, sizeof buf, "%s{\"id\":\"c\",\n", l1);
    assert_int_equal(batch_resume_scan(buf, strlen(buf), &r, &err), 0);
    assert_int_equal(r.lines, 1);
    assert_int_equal(r.keep_bytes, strlen(l1));
    batch_resume_free(&r);

    /* empty */
    assert_int_equal(batch_resume_scan("", 0, &r, &err), 0);
    assert_int_equal(r.lines, 0);
    assert_int_equal(r.keep_bytes, 0);
    batch_resume_free(&r);

    /* on a file: truncated to the complete lines */
    char path[] = "/tmp/test_batch_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    snprintf(buf, sizeof buf, "%s%s{\"id\":\"c\"", l1, l2);
    assert_int_equal(write(fd, buf, strlen(buf)), (ssize_t)strlen(buf));
    assert_int_equal(batch_resume_fd(fd, &r, &err), 0);
    assert_int_equal(r.lines, 2);
    assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)(strlen(l1) + strlen(l2)));
    batch_resume_free(&r);
    close(fd);
    unlink(path);
}

static void test_output_records(void **state)
{
    cJSON *doc = cJSON_Parse("{\"schema\":\"celeb.detect/1\",\"persons\":[],\"id\":\"theirs\"}");
    cJSON *rec = batch_result_record("mine", doc);
    char *s = cJSON_PrintUnformatted(rec);
    assert_string_equal(s, "{\"id\":\"mine\",\"schema\":\"celeb.detect/1\",\"persons\":[]}");
    free(s);

    char path[] = "/tmp/test_batch_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    celeb_error err = {0};
    assert_int_equal(batch_write_record(fd, rec, &err), 0);
    cJSON_Delete(rec);
    rec = batch_error_record("x", "x.gif", CELEB_ECORRUPT, "cut short");
    assert_int_equal(batch_write_record(fd, rec, &err), 0);
    cJSON_Delete(rec);
    char buf[256] = {0};
    assert_true(pread(fd, buf, sizeof buf - 1, 0) > 0);
    assert_string_equal(buf, "{\"id\":\"mine\",\"schema\":\"celeb.detect/1\",\"persons\":[]}\n"
                             "{\"id\":\"x\",\"source\":\"x.gif\",\"error\":{\"code\":\"corrupt\",\"message\":\"cut short\"}}\n");
    close(fd);
    unlink(path);
    /* a closed fd: an io error, not a crash */
    rec = batch_error_record("y", "y.gif", CELEB_EIO, "m");
    assert_int_equal(batch_write_record(fd, rec, &err), CELEB_EIO);
    cJSON_Delete(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_plain_and_json), cmocka_unit_test(test_manifest_malformed_lines),
        cmocka_unit_test(test_shard),                   cmocka_unit_test(test_idset),
        cmocka_unit_test(test_resume_scan),             cmocka_unit_test(test_output_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
