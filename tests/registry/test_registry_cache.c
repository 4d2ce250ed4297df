/*
 * Offline tests for src/registry/cache.c: the bounded TTL cache behind the
 * tag -> digest and token caches. The clock is passed in, so nothing
 * sleeps.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry_internal.h"

static char *get(vouch__registry_cache *c, const char *key, int64_t now)
{
    char *v = NULL;
    int rc = vouch__registry_cache_get(c, key, now, &v);

    assert_true(rc == 0 || rc == 1);
    assert_true((rc == 1) == (v != NULL));
    return v;
}

static void expect(vouch__registry_cache *c, const char *key, int64_t now,
                   const char *want)
{
    char *v = get(c, key, now);

    if (want == NULL) {
        assert_null(v);
    } else {
        assert_non_null(v);
        assert_string_equal(v, want);
    }
    free(v);
}

static void test_registry_cache_hit_until_expiry(void **state)
{
    vouch__registry_cache *c = NULL;

    (void)state;
    assert_int_equal(vouch__registry_cache_new(&c, 4), 0);
    expect(c, "r/p:1", 0, NULL);
    assert_int_equal(vouch__registry_cache_put(c, "r/p:1", "sha256:a", 0,
                                               1000), 0);
    expect(c, "r/p:1", 0, "sha256:a");
    expect(c, "r/p:1", 999, "sha256:a");
    expect(c, "r/p:2", 10, NULL);
    /* expired at 1000: dropped */
    expect(c, "r/p:1", 1000, NULL);
    assert_int_equal(vouch__registry_cache_count(c), 0);
    vouch__registry_cache_free(c);
}

static void test_registry_cache_replace_and_remove(void **state)
{
    vouch__registry_cache *c = NULL;

    (void)state;
    assert_int_equal(vouch__registry_cache_new(&c, 4), 0);
    assert_int_equal(vouch__registry_cache_put(c, "k", "old", 0, 100), 0);
    assert_int_equal(vouch__registry_cache_put(c, "k", "new", 50, 5000), 0);
    assert_int_equal(vouch__registry_cache_count(c), 1);
    expect(c, "k", 200, "new");
    vouch__registry_cache_remove(c, "k");
    vouch__registry_cache_remove(c, "absent");
    expect(c, "k", 200, NULL);
    vouch__registry_cache_free(c);
}

static void test_registry_cache_bounded_evicts_expired_then_oldest(
    void **state)
{
    vouch__registry_cache *c = NULL;

    (void)state;
    assert_int_equal(vouch__registry_cache_new(&c, 3), 0);
    assert_int_equal(vouch__registry_cache_put(c, "a", "1", 0, 100), 0);
    assert_int_equal(vouch__registry_cache_put(c, "b", "2", 0, 10000), 0);
    assert_int_equal(vouch__registry_cache_put(c, "c", "3", 0, 10000), 0);
    /* full; at t=200 "a" has expired and goes first */
    assert_int_equal(vouch__registry_cache_put(c, "d", "4", 200, 10000), 0);
    assert_int_equal(vouch__registry_cache_count(c), 3);
    expect(c, "b", 300, "2");
    expect(c, "c", 300, "3");
    expect(c, "d", 300, "4");
    /* full, nothing expired: the oldest insertion ("b") goes */
    assert_int_equal(vouch__registry_cache_put(c, "e", "5", 300, 10000), 0);
    assert_int_equal(vouch__registry_cache_count(c), 3);
    expect(c, "b", 300, NULL);
    expect(c, "c", 300, "3");
    expect(c, "e", 300, "5");
    vouch__registry_cache_free(c);
}

static void test_registry_cache_zero_size_never_hits(void **state)
{
    vouch__registry_cache *c = NULL;

    (void)state;
    assert_int_equal(vouch__registry_cache_new(&c, 0), 0);
    assert_int_equal(vouch__registry_cache_put(c, "k", "v", 0, 1000), 0);
    expect(c, "k", 1, NULL);
    vouch__registry_cache_remove(c, "k");
    vouch__registry_cache_free(c);
    vouch__registry_cache_free(NULL);
}

typedef struct worker {
    vouch__registry_cache *cache;
    int id;
} worker;

static void *hammer(void *arg)
{
    worker *w = arg;
    char key[32];
    char val[32];

    for (int i = 0; i < 2000; i++) {
        char *v = NULL;
        snprintf(key, sizeof(key), "k%d", i % 50);
        snprintf(val, sizeof(val), "v%d", i % 50);
        if (vouch__registry_cache_put(w->cache, key, val, i, i + 100) < 0) {
            return (void *)1;
        }
        if (vouch__registry_cache_get(w->cache, key, i, &v) < 0) {
            return (void *)1;
        }
        /* whoever wrote the key last, the value belongs to the key */
        if (v != NULL && strcmp(v, val) != 0) {
            free(v);
            return (void *)1;
        }
        free(v);
    }
    return NULL;
}

static void test_registry_cache_is_thread_safe(void **state)
{
    vouch__registry_cache *c = NULL;
    pthread_t t[4];
    worker w[4];

    (void)state;
    assert_int_equal(vouch__registry_cache_new(&c, 16), 0);
    for (int i = 0; i < 4; i++) {
        w[i].cache = c;
        w[i].id = i;
        assert_int_equal(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *res = (void *)1;
        assert_int_equal(pthread_join(t[i], &res), 0);
        assert_null(res);
    }
    assert_true(vouch__registry_cache_count(c) <= 16);
    vouch__registry_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_cache_hit_until_expiry),
        cmocka_unit_test(test_registry_cache_replace_and_remove),
        cmocka_unit_test(
            test_registry_cache_bounded_evicts_expired_then_oldest),
        cmocka_unit_test(test_registry_cache_zero_size_never_hits),
        cmocka_unit_test(test_registry_cache_is_thread_safe),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
