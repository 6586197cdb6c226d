/* test_queue.c - the Redis queue's pure parts: the redis:// URL parser
 * (host, port, database, every malformed form) and which item errors the
 * worker retries (transient) rather than dead-letters at once. The Redis
 * side runs against a real redis-server in tests/cli_queue.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "queue/rstream.h"
#include "queue/rworker.h"

static void test_url_parse(void **state)
{
    char host[64];
    int port, db;
    celeb_error err = {0};
    assert_int_equal(rs_url_parse("redis://127.0.0.1:6380/2", host, sizeof host, &port, &db, &err), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 6380);
    assert_int_equal(db, 2);
    assert_int_equal(rs_url_parse("redis://cache.local", host, sizeof host, &port, &db, &err), 0);
    assert_string_equal(host, "cache.local");
    assert_int_equal(port, 6379);
    assert_int_equal(db, 0);
    assert_int_equal(rs_url_parse("redis://h:1/", host, sizeof host, &port, &db, &err), 0);
    assert_int_equal(port, 1);
    assert_int_equal(db, 0);
    const char *bad[] = {NULL, "", "http://h:6379", "redis://", "redis://:6379", "redis://h:", "redis://h:0",
                         "redis://h:65536", "redis://h:12x", "redis://h/x", "redis://h/-1", "redis://h:1/2/3",
                         "redis://averyveryveryveryveryveryveryveryveryveryveryveryveryverylonghostname"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err.code = 0;
        assert_int_equal(rs_url_parse(bad[i], host, sizeof host, &port, &db, &err), CELEB_EINVAL);
        assert_int_equal(err.code, CELEB_EINVAL);
        assert_non_null(strstr(err.message, "redis"));
    }
}

static void test_transient_errors(void **state)
{
    assert_true(rw_error_is_transient("io", "https://x.test/a.gif"));
    assert_true(rw_error_is_transient("nomem", "a.gif"));
    assert_true(rw_error_is_transient("internal", "a.gif"));
    assert_false(rw_error_is_transient("io", "/data/missing.gif"));   /* a missing file stays missing */
    assert_false(rw_error_is_transient("corrupt", "https://x.test/a.gif"));
    assert_false(rw_error_is_transient("format", "a.gif"));
    assert_false(rw_error_is_transient("limit", "a.gif"));
    assert_false(rw_error_is_transient(NULL, "a.gif"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_transient_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
