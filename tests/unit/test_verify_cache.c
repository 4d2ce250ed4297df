/*
 * Tests for src/engine/verify_cache.c: vouch_verify_cache_new/free/stats
 * and how vouch_attestation_verify uses the cache (hits, misses, eviction,
 * failures never cached, concurrent use).
 *
 * Fixtures: tests/data/core (attestors) and tests/data/attestations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include "vouch/vouch.h"
#include "testutil.h"

#define DIGEST_A \
    "sha256:527584eb3a3ee27717e6cced437e86c83cee6c6be183a8d109fbddf9b875faf7"
#define DIGEST_B \
    "sha256:f319bc3f1193c2734b23913d6fed7248015f39ffc877bffd441dc120f9b7cb1c"

static void assert_stats(const vouch_verify_cache *cache, uint64_t hits,
                         uint64_t misses)
{
    uint64_t h = 99;
    uint64_t m = 99;

    vouch_verify_cache_stats(cache, &h, &m);
    if (h != hits || m != misses) {
        fail_msg("cache stats: %llu hits, %llu misses; want %llu, %llu",
                 (unsigned long long)h, (unsigned long long)m,
                 (unsigned long long)hits, (unsigned long long)misses);
    }
}

static void test_verify_cache_new_rejects_zero_capacity(void **state)
{
    vouch_verify_cache *cache = (vouch_verify_cache *)1;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_verify_cache_new(&cache, 0, &err), VOUCH_EINVAL);
    assert_null(cache);
    assert_non_null(strstr(err.message, "capacity"));
    assert_int_equal(vouch_verify_cache_new(&cache, SIZE_MAX, NULL),
                     VOUCH_EINVAL);
    assert_null(cache);
    vouch_verify_cache_free(NULL);
}

static void test_verify_cache_starts_empty(void **state)
{
    vouch_verify_cache *cache = NULL;

    (void)state;
    assert_int_equal(vouch_verify_cache_new(&cache, 1, NULL), 0);
    assert_stats(cache, 0, 0);
    /* Either output may be NULL. */
    vouch_verify_cache_stats(cache, NULL, NULL);
    vouch_verify_cache_free(cache);
}

static void test_verify_cache_second_verification_is_a_hit(void **state)
{
    static const char *const files[] = {
        "a-good.json", "jwt-es256.json", "v1beta1-generic.json"};
    vouch_attestor *attestor = testutil_attestor("attestor-a.json");
    size_t i;

    (void)state;
    for (i = 0; i < 3; i++) {
        vouch_attestation *att = testutil_attestation(files[i]);
        vouch_verify_cache *cache = NULL;
        int round;

        assert_int_equal(vouch_verify_cache_new(&cache, 8, NULL), 0);
        for (round = 0; round < 5; round++) {
            vouch_error err = VOUCH_ERROR_INIT;

            if (vouch_attestation_verify(att, attestor, DIGEST_A, cache,
                                         &err) != 0) {
                fail_msg("%s round %d: %s", files[i], round, err.message);
            }
        }
        /* One real verification, then four hits. */
        assert_stats(cache, 4, 1);
        vouch_verify_cache_free(cache);
        vouch_attestation_free(att);
    }
    vouch_attestor_free(attestor);
}

static void test_verify_cache_pgp_hit(void **state)
{
    vouch_attestor *attestor = testutil_attestor("attestor-pgp.json");
    vouch_attestation *att = testutil_attestation("pgp-attached.json");
    vouch_verify_cache *cache = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_verify_cache_new(&cache, 8, NULL), 0);
    assert_int_equal(vouch_attestation_verify(att, attestor, DIGEST_A, cache,
                                              &err), 0);
    assert_int_equal(vouch_attestation_verify(att, attestor, DIGEST_A, cache,
                                              &err), 0);
    assert_stats(cache, 1, 1);
    /* A hit still checks the digest the payload names. */
    assert_int_equal(vouch_attestation_verify(att, attestor, DIGEST_B, cache,
                                              &err), VOUCH_ECRYPTO);
    assert_non_null(strstr(err.message, DIGEST_B));
    assert_stats(cache, 2, 1);
    vouch_verify_cache_free(cache);
    vouch_attestation_free(att);
    vouch_attestor_free(attestor);
}

static void test_verify_cache_hit_checks_digest(void **state)
{
    vouch_attestor *attestor = testutil_attestor("attestor-a.json");
    vouch_attestation *att = testutil_attestation("a-other-digest.json");
    vouch_verify_cache *cache = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    int round;

    (void)state;
    assert_int_equal(vouch_verify_cache_new(&cache, 8, NULL), 0);
    /* The signature is good (so it is cached), its payload is for B. */
    for (round = 0; round < 2; round++) {
        assert_int_equal(vouch_attestation_verify(att, attestor, DIGEST_A,
                                                  cache, &err),
                         VOUCH_ECRYPTO);
        assert_non_null(strstr(err.message, DIGEST_B));
    }
    assert_stats(cache, 1, 1);
    assert_int_equal(vouch_attestation_verify(att, attestor, DIGEST_B, cache,
                                              &err), 0);
    assert_stats(cache, 2, 1);
    vouch_verify_cache_free(cache);
    vouch_attestation_free(att);
    vouch_attestor_free(attestor);
}

static void test_verify_cache_failures_not_cached(void **state)
{
    vouch_attestor *attestor = testutil_attestor("attestor-a.json");
    vouch_attestation *tampered = testutil_attestation("a-tampered.json");
    vouch_attestation *wrong = testutil_attestation("a-wrong-key.json");
    vouch_attestation *jwt = testutil_attestation("jwt-der.json");
    vouch_verify_cache *cache = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    int round;

    (void)state;
    assert_int_equal(vouch_verify_cache_new(&cache, 8, NULL), 0);
    for (round = 0; round < 3; round++) {
        assert_int_equal(vouch_attestation_verify(tampered, attestor,
                                                  DIGEST_A, cache, &err),
                         VOUCH_ECRYPTO);
        assert_int_equal(vouch_attestation_verify(wrong, attestor, DIGEST_A,
                                                  cache, &err),
                         VOUCH_ECRYPTO);
        assert_int_equal(vouch_attestation_verify(jwt, attestor, DIGEST_A,
                                                  cache, &err),
                         VOUCH_ECRYPTO);
    }
    /* Every attempt looked and missed: nothing was stored. */
    assert_stats(cache, 0, 9);
    vouch_verify_cache_free(cache);
    vouch_attestation_free(tampered);
    vouch_attestation_free(wrong);
    vouch_attestation_free(jwt);
    vouch_attestor_free(attestor);
}

static void test_verify_cache_keyed_by_key_id(void **state)
{
    vouch_attestor *a = testutil_attestor("attestor-a.json");
    vouch_attestor *ab = testutil_attestor("attestor-ab.json");
    vouch_attestation *att = testutil_attestation("a-good.json");
    vouch_verify_cache *cache = NULL;

    (void)state;
    assert_int_equal(vouch_verify_cache_new(&cache, 8, NULL), 0);
    assert_int_equal(vouch_attestation_verify(att, a, DIGEST_A, cache, NULL),
                     0);
    /* Another attestor trusting the same key id: the same entry. */
    assert_int_equal(vouch_attestation_verify(att, ab, DIGEST_A, cache, NULL),
                     0);
    assert_stats(cache, 1, 1);
    vouch_verify_cache_free(cache);
    vouch_attestation_free(att);
    vouch_attestor_free(a);
    vouch_attestor_free(ab);
}

static void test_verify_cache_evicts_at_capacity(void **state)
{
    vouch_attestor *attestor = testutil_attestor("attestor-a.json");
    vouch_attestation *good = testutil_attestation("a-good.json");
    vouch_attestation *compact = testutil_attestation("a-compact.json");
    vouch_attestation *atomic = testutil_attestation("a-atomic.json");
    vouch_verify_cache *cache = NULL;

    (void)state;
    /* Capacity 2: good, compact fill it; atomic evicts good (oldest). */
    assert_int_equal(vouch_verify_cache_new(&cache, 2, NULL), 0);
    assert_int_equal(vouch_attestation_verify(good, attestor, DIGEST_A,
                                              cache, NULL), 0);
    assert_int_equal(vouch_attestation_verify(compact, attestor, DIGEST_A,
                                              cache, NULL), 0);
    assert_stats(cache, 0, 2);
    assert_int_equal(vouch_attestation_verify(good, attestor, DIGEST_A,
                                              cache, NULL), 0);
    assert_stats(cache, 1, 2);
    assert_int_equal(vouch_attestation_verify(atomic, attestor, DIGEST_A,
                                              cache, NULL), 0);
    assert_stats(cache, 1, 3);
    /* compact is still there, good is gone. */
    assert_int_equal(vouch_attestation_verify(compact, attestor, DIGEST_A,
                                              cache, NULL), 0);
    assert_stats(cache, 2, 3);
    assert_int_equal(vouch_attestation_verify(good, attestor, DIGEST_A,
                                              cache, NULL), 0);
    assert_stats(cache, 2, 4);
    /* Capacity 1: each new entry replaces the last. */
    vouch_verify_cache_free(cache);
    assert_int_equal(vouch_verify_cache_new(&cache, 1, NULL), 0);
    assert_int_equal(vouch_attestation_verify(good, attestor, DIGEST_A,
                                              cache, NULL), 0);
    assert_int_equal(vouch_attestation_verify(compact, attestor, DIGEST_A,
                                              cache, NULL), 0);
    assert_int_equal(vouch_attestation_verify(compact, attestor, DIGEST_A,
                                              cache, NULL), 0);
    assert_int_equal(vouch_attestation_verify(good, attestor, DIGEST_A,
                                              cache, NULL), 0);
    assert_stats(cache, 1, 3);
    vouch_verify_cache_free(cache);
    vouch_attestation_free(good);
    vouch_attestation_free(compact);
    vouch_attestation_free(atomic);
    vouch_attestor_free(attestor);
}

/* ---- concurrency ------------------------------------------------------ */

#define THREADS 8
#define ROUNDS 60

typedef struct thread_arg {
    const vouch_attestor *attestor;
    vouch_attestation *const *atts;
    size_t att_count;
    vouch_verify_cache *cache;
    int failures;
} thread_arg;

static void *verify_thread(void *p)
{
    thread_arg *arg = p;
    int i;

    for (i = 0; i < ROUNDS; i++) {
        size_t k = (size_t)i % arg->att_count;
        int want = k == arg->att_count - 1 ? VOUCH_ECRYPTO : 0;

        if (vouch_attestation_verify(arg->atts[k], arg->attestor, DIGEST_A,
                                     arg->cache, NULL) != want) {
            arg->failures++;
        }
    }
    return NULL;
}

static void test_verify_cache_concurrent_use(void **state)
{
    vouch_attestor *attestor = testutil_attestor("attestor-a.json");
    vouch_attestation *atts[4];
    vouch_verify_cache *cache = NULL;
    pthread_t threads[THREADS];
    thread_arg args[THREADS];
    uint64_t hits = 0;
    uint64_t misses = 0;
    int i;

    (void)state;
    atts[0] = testutil_attestation("a-good.json");
    atts[1] = testutil_attestation("a-compact.json");
    atts[2] = testutil_attestation("jwt-es256.json");
    atts[3] = testutil_attestation("a-tampered.json");   /* always fails */
    /* Capacity 2 < 3 good signatures: eviction under contention. */
    assert_int_equal(vouch_verify_cache_new(&cache, 2, NULL), 0);
    for (i = 0; i < THREADS; i++) {
        args[i].attestor = attestor;
        args[i].atts = atts;
        args[i].att_count = 4;
        args[i].cache = cache;
        args[i].failures = 0;
        assert_int_equal(pthread_create(&threads[i], NULL, verify_thread,
                                        &args[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(args[i].failures, 0);
    }
    /* One lookup per verification, none lost to a race. */
    vouch_verify_cache_stats(cache, &hits, &misses);
    assert_int_equal(hits + misses, (uint64_t)THREADS * ROUNDS);
    assert_true(misses >= (uint64_t)THREADS * ROUNDS / 4);
    vouch_verify_cache_free(cache);
    for (i = 0; i < 4; i++) {
        vouch_attestation_free(atts[i]);
    }
    vouch_attestor_free(attestor);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_cache_new_rejects_zero_capacity),
        cmocka_unit_test(test_verify_cache_starts_empty),
        cmocka_unit_test(test_verify_cache_second_verification_is_a_hit),
        cmocka_unit_test(test_verify_cache_pgp_hit),
        cmocka_unit_test(test_verify_cache_hit_checks_digest),
        cmocka_unit_test(test_verify_cache_failures_not_cached),
        cmocka_unit_test(test_verify_cache_keyed_by_key_id),
        cmocka_unit_test(test_verify_cache_evicts_at_capacity),
        cmocka_unit_test(test_verify_cache_concurrent_use),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
