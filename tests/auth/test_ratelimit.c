/*
 * Tests of the per-principal rate limiter (src/auth/ratelimit.c), with a
 * hand-moved clock: buckets, refills, Retry-After, independence of keys,
 * the bounded table, and many threads on one limiter.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ratelimit.h"

static int64_t now_ms;

static int64_t fake_clock(void *payload)
{
    (void)payload;
    return __atomic_load_n(&now_ms, __ATOMIC_RELAXED);
}

static const vouch_auth_clock clock_ = { fake_clock, NULL };

static bool take(vouch_ratelimit *rl, const char *key, unsigned *retry)
{
    return vouch_ratelimit_take(rl, key, strlen(key), retry);
}

static void test_ratelimit_bucket(void **state)
{
    vouch_ratelimit *rl = NULL;
    unsigned retry = 0;

    (void)state;
    now_ms = 1000000;
    assert_int_equal(vouch_ratelimit_new(&rl, 2, 0, &clock_, NULL), 0);
    /* a burst of `rate` requests, then refusal */
    assert_true(take(rl, "user:a@x.io", &retry));
    assert_true(take(rl, "user:a@x.io", &retry));
    assert_false(take(rl, "user:a@x.io", &retry));
    assert_int_equal(retry, 1);
    /* another principal has its own bucket */
    assert_true(take(rl, "user:b@x.io", &retry));
    /* half a second at 2/s gives one token back */
    now_ms += 499;
    assert_false(take(rl, "user:a@x.io", &retry));
    now_ms += 1;
    assert_true(take(rl, "user:a@x.io", &retry));
    assert_false(take(rl, "user:a@x.io", &retry));
    /* idle for long: the bucket holds no more than the burst */
    now_ms += 3600 * 1000;
    assert_true(take(rl, "user:a@x.io", NULL));
    assert_true(take(rl, "user:a@x.io", NULL));
    assert_false(take(rl, "user:a@x.io", NULL));
    vouch_ratelimit_free(rl);
}

static void test_ratelimit_retry_after(void **state)
{
    vouch_ratelimit *rl = NULL;
    unsigned retry = 0;

    (void)state;
    now_ms = 0;
    /* 1 per second, burst 5: after the burst, wait a whole second */
    assert_int_equal(vouch_ratelimit_new(&rl, 1, 5, &clock_, NULL), 0);
    for (int i = 0; i < 5; i++) {
        assert_true(take(rl, "k", &retry));
    }
    assert_false(take(rl, "k", &retry));
    assert_int_equal(retry, 1);
    now_ms += 200;
    assert_false(take(rl, "k", &retry));
    assert_int_equal(retry, 1);   /* 800 ms, rounded up */
    now_ms += 800;
    assert_true(take(rl, "k", &retry));
    vouch_ratelimit_free(rl);

    /* the clock going backwards never adds tokens */
    assert_int_equal(vouch_ratelimit_new(&rl, 1, 1, &clock_, NULL), 0);
    now_ms = 50000;
    assert_true(take(rl, "k", NULL));
    now_ms = 10000;
    assert_false(take(rl, "k", &retry));
    assert_int_equal(retry, 1);
    vouch_ratelimit_free(rl);
}

static void test_ratelimit_arguments(void **state)
{
    vouch_ratelimit *rl = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_ratelimit_new(&rl, 0, 0, NULL, &err),
                     VOUCH_EINVAL);
    assert_null(rl);
    assert_non_null(strstr(err.message, "1 to 1,000,000"));
    assert_int_equal(vouch_ratelimit_new(&rl, 1000001, 0, NULL, NULL),
                     VOUCH_EINVAL);
    /* the system clock: a fresh bucket always admits the first request */
    assert_int_equal(vouch_ratelimit_new(&rl, 1000000, 0, NULL, NULL), 0);
    assert_true(take(rl, "", NULL));
    vouch_ratelimit_free(rl);
    vouch_ratelimit_free(NULL);
}

static void test_ratelimit_bounded(void **state)
{
    vouch_ratelimit *rl = NULL;
    char key[32];
    unsigned i;

    (void)state;
    now_ms = 0;
    assert_int_equal(vouch_ratelimit_new(&rl, 1, 1, &clock_, NULL), 0);
    /* fill the table with keys that have spent their token */
    for (i = 0; i < VOUCH_RATELIMIT_MAX_KEYS; i++) {
        snprintf(key, sizeof(key), "user:u%u@x.io", i);
        assert_true(take(rl, key, NULL));
    }
    /* new keys now share the overflow bucket: one token between them */
    assert_true(take(rl, "user:new1@x.io", NULL));
    assert_false(take(rl, "user:new2@x.io", NULL));
    /* known keys keep their own bucket */
    assert_false(take(rl, "user:u7@x.io", NULL));
    /* once the old keys are idle (full again) they make room */
    now_ms += 1000;
    assert_true(take(rl, "user:new3@x.io", NULL));
    assert_true(take(rl, "user:new4@x.io", NULL));
    vouch_ratelimit_free(rl);
}

typedef struct hammer {
    vouch_ratelimit *rl;
    int allowed;
} hammer;

static void *hammer_thread(void *arg)
{
    hammer *h = arg;
    int i;

    for (i = 0; i < 5000; i++) {
        if (vouch_ratelimit_take(h->rl, "user:a@x.io", 11, NULL)) {
            __atomic_add_fetch(&h->allowed, 1, __ATOMIC_RELAXED);
        }
    }
    return NULL;
}

static void test_ratelimit_threads(void **state)
{
    hammer h = { NULL, 0 };
    pthread_t threads[4];
    int i;

    (void)state;
    now_ms = 0;
    /* the clock stands still: exactly the burst gets through */
    assert_int_equal(vouch_ratelimit_new(&h.rl, 100, 0, &clock_, NULL), 0);
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, hammer_thread, &h),
                         0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
    }
    assert_int_equal(h.allowed, 100);
    vouch_ratelimit_free(h.rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratelimit_bucket),
        cmocka_unit_test(test_ratelimit_retry_after),
        cmocka_unit_test(test_ratelimit_arguments),
        cmocka_unit_test(test_ratelimit_bounded),
        cmocka_unit_test(test_ratelimit_threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
