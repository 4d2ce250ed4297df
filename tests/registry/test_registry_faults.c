/*
 * Tags resolve at every deploy, and a registry in trouble fails the
 * resolve closed, naming the registry: live tests of
 * vouch_registry_resolve with the servers of live.h.
 *
 * The retries happen on the first request, a HEAD, whose answers have no
 * body: a message names the status alone there.
 *
 * Sections:
 *   fresh tags   a re-pushed tag is seen at once (real docker-registry);
 *                a registry that went down is not answered from memory;
 *                concurrent resolves of one tag send one request
 *   faults       refused, slow past the deadline, 429 and 503 with
 *                Retry-After (honoured, bounded, capped), 500, dropped
 *                connections (before the answer and mid-body)
 *
 * The faults come from fake_registry.py: docker-registry cannot be made to
 * stall, rate-limit, fail or drop a connection on demand, nor to hold
 * answers until every concurrent resolve has joined one request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "live.h"
#include "registry.h"
#include "registry_internal.h"

/* "registry $VAR <rest>" */
static const char *msg(const char *var, const char *rest)
{
    static char buf[300];

    snprintf(buf, sizeof(buf), "registry %s %s", env(var), rest);
    return buf;
}

/* ---- fresh tags ---- */

static void test_faults_repushed_tag_seen_at_once(void **state)
{
    vouch_registry *reg = client(NULL, 0, 10000);
    char d1[VOUCH_REGISTRY_DIGEST_SIZE];
    char d2[VOUCH_REGISTRY_DIGEST_SIZE];
    char pushed[128];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    repush("moving", pushed, sizeof(pushed));
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/app:moving", 0, d1,
                             &err), 0);
    assert_string_equal(d1, pushed);
    /* `docker push app:moving` again, then deploy at once */
    repush("moving", pushed, sizeof(pushed));
    assert_string_not_equal(pushed, d1);
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/app:moving", 0, d2,
                             &err), 0);
    assert_string_equal(d2, pushed);
    vouch_registry_free(reg);
}

static void test_faults_registry_down_not_answered_from_memory(void **state)
{
    vouch_registry *reg = client(NULL, 1, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "toggle/app:1.0", 0,
                             digest, &err), 0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_FAKE"));
    fake_get("/down");
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "toggle/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    assert_string_equal(err.message, msg("VOUCH_REG_FAKE", "unreachable for "
                                         "manifests/1.0 of toggle/app"));
    assert_string_equal(digest, "");
    vouch_registry_free(reg);
}

#define FLIGHT_THREADS 8

typedef struct flight_job {
    vouch_registry *reg;
    int rc;
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
} flight_job;

static void *resolve_gate(void *arg)
{
    flight_job *job = arg;
    char image[256];
    vouch_error err = VOUCH_ERROR_INIT;

    snprintf(image, sizeof(image), "%s/gate/app:1.0",
             getenv("VOUCH_REG_FAKE"));
    job->rc = vouch_registry_resolve(job->reg, image, strlen(image), 0,
                                     job->digest, &err);
    return NULL;
}

static void test_faults_concurrent_resolves_share_one_request(void **state)
{
    vouch_registry *reg = client(NULL, 0, 60000);
    pthread_t t[FLIGHT_THREADS];
    flight_job jobs[FLIGHT_THREADS];
    int64_t give_up = ms_now() + 30000;

    (void)state;
    env("VOUCH_REG_FAKE");
    for (int i = 0; i < FLIGHT_THREADS; i++) {
        memset(&jobs[i], 0, sizeof(jobs[i]));
        jobs[i].reg = reg;
        assert_int_equal(pthread_create(&t[i], NULL, resolve_gate, &jobs[i]),
                         0);
    }
    /* the fake holds its answer: wait until one request has arrived and
     * every other resolve has joined it (each would otherwise have sent
     * its own, which the fake would count) */
    while (!(fake_count("/v2/gate/app/manifests/1.0") >= 1 &&
             vouch__registry_waiting(reg) == FLIGHT_THREADS - 1)) {
        struct timespec ts = { 0, 20 * 1000000L };
        if (ms_now() > give_up) {
            fake_get("/release");
            fail_msg("%lld requests, %zu waiting",
                     (long long)fake_count("/v2/gate/app/manifests/1.0"),
                     vouch__registry_waiting(reg));
        }
        nanosleep(&ts, NULL);
    }
    fake_get("/release");
    for (int i = 0; i < FLIGHT_THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(jobs[i].rc, 0);
        assert_string_equal(jobs[i].digest, env("VOUCH_REG_DIGEST_FAKE"));
    }
    assert_int_equal(fake_count("/v2/gate/app/manifests/1.0"), 1);
    /* the flight has landed: the next resolve asks again */
    resolve_gate(&jobs[0]);
    assert_int_equal(jobs[0].rc, 0);
    assert_int_equal(fake_count("/v2/gate/app/manifests/1.0"), 2);
    vouch_registry_free(reg);
}

/* ---- faults ---- */

static void test_faults_connection_refused(void **state)
{
    vouch_registry *reg = client(NULL, 2, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_DEAD", "team/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    assert_string_equal(err.message, msg("VOUCH_REG_DEAD", "unreachable for "
                                         "manifests/1.0 of team/app"));
    assert_string_equal(digest, "");
    vouch_registry_free(reg);
}

static void test_faults_slow_past_the_deadline(void **state)
{
    vouch_registry *reg = client(NULL, 3, 1500);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;
    int64_t t0 = ms_now();

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "slow/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    /* the deadline holds: not sooner, and no retry after it */
    assert_true(ms_now() - t0 >= 1400);
    assert_true(ms_now() - t0 < 15000);
    assert_string_equal(err.message, msg("VOUCH_REG_FAKE", "unreachable for "
                                         "manifests/1.0 of slow/app"));
    assert_int_equal(fake_count("/v2/slow/app/manifests/1.0"), 1);
    assert_string_equal(digest, "");
    vouch_registry_free(reg);
}

static void test_faults_retry_after_honoured(void **state)
{
    vouch_registry *reg = client(NULL, 3, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;
    int64_t t0 = ms_now();

    (void)state;
    /* fake: 429 Retry-After: 1, then 503 Retry-After: 0, then 200 */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "flaky/app:1.0", 0,
                             digest, &err), 0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_FAKE"));
    assert_true(ms_now() - t0 >= 1000);
    assert_int_equal(fake_count("/v2/flaky/app/manifests/1.0"), 3);
    vouch_registry_free(reg);
}

static void test_faults_429_past_the_retries(void **state)
{
    vouch_registry *reg = client(NULL, 2, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "limited/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    assert_string_equal(err.message, msg("VOUCH_REG_FAKE",
                                         "unavailable: answered 429 for "
                                         "manifests/1.0 of limited/app after "
                                         "3 attempts"));
    assert_int_equal(fake_count("/v2/limited/app/manifests/1.0"), 3);
    assert_string_equal(digest, "");
    vouch_registry_free(reg);
}

static void test_faults_retry_after_over_the_cap(void **state)
{
    vouch_registry *reg = client(NULL, 3, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* Retry-After: 3600, far over retry_max_ms: give up at once rather
     * than ask again before the registry said to */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "longwait/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    assert_string_equal(err.message, msg("VOUCH_REG_FAKE",
                                         "unavailable: answered 429 for "
                                         "manifests/1.0 of longwait/app and "
                                         "asked for a wait of 3600 s, longer "
                                         "than vouch waits"));
    assert_int_equal(fake_count("/v2/longwait/app/manifests/1.0"), 1);
    vouch_registry_free(reg);
}

static void test_faults_503_past_the_retries(void **state)
{
    vouch_registry *reg = client(NULL, 2, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "busy/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    assert_string_equal(err.message, msg("VOUCH_REG_FAKE",
                                         "unavailable: answered 503 for "
                                         "manifests/1.0 of busy/app after 3 "
                                         "attempts"));
    assert_int_equal(fake_count("/v2/busy/app/manifests/1.0"), 3);
    vouch_registry_free(reg);
}

static void test_faults_500_retried_then_unavailable(void **state)
{
    vouch_registry *reg = client(NULL, 1, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "leak/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    assert_string_equal(err.message, msg("VOUCH_REG_FAKE",
                                         "unavailable: answered 500 for "
                                         "manifests/1.0 of leak/app after 2 "
                                         "attempts"));
    assert_int_equal(fake_count("/v2/leak/app/manifests/1.0"), 2);
    vouch_registry_free(reg);
}

static void test_faults_dropped_connections(void **state)
{
    vouch_registry *reg = client(NULL, 2, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* closed before any answer: retried, then unreachable */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "drop/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    assert_string_equal(err.message, msg("VOUCH_REG_FAKE", "unreachable for "
                                         "manifests/1.0 of drop/app"));
    assert_int_equal(fake_count("/v2/drop/app/manifests/1.0"), 3);
    /* closed halfway through the manifest: never hashed, never used */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "partial/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    assert_string_equal(err.message, msg("VOUCH_REG_FAKE", "unreachable for "
                                         "manifests/1.0 of partial/app"));
    assert_int_equal(fake_count("/v2/partial/app/manifests/1.0"), 1 + 3);
    assert_string_equal(digest, "");
    vouch_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faults_repushed_tag_seen_at_once),
        cmocka_unit_test(test_faults_registry_down_not_answered_from_memory),
        cmocka_unit_test(test_faults_concurrent_resolves_share_one_request),
        cmocka_unit_test(test_faults_connection_refused),
        cmocka_unit_test(test_faults_slow_past_the_deadline),
        cmocka_unit_test(test_faults_retry_after_honoured),
        cmocka_unit_test(test_faults_429_past_the_retries),
        cmocka_unit_test(test_faults_retry_after_over_the_cap),
        cmocka_unit_test(test_faults_503_past_the_retries),
        cmocka_unit_test(test_faults_500_retried_then_unavailable),
        cmocka_unit_test(test_faults_dropped_connections),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
