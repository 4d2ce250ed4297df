/*
 * Live tests for src/registry/ (vouch_registry_resolve), run by harness.py
 * against servers on 127.0.0.1 only:
 *   VOUCH_REG_ANON  a REAL docker-registry, anonymous, with team/app tags
 *                   oci, docker, index, list and 1.0 pushed by the harness
 *   VOUCH_REG_AUTH  a REAL docker-registry with htpasswd (bcrypt) basic auth
 *   VOUCH_REG_FAKE  fake_registry.py: a FAKE registry for the bearer flow
 *                   (docker-registry's token auth needs a JWT-signing token
 *                   service we cannot run here), 429/503 with Retry-After,
 *                   a server that never answers, missing or lying digests
 *   VOUCH_REG_DEAD  a port where nothing listens
 *
 * Sections:
 *   manifest types   tag -> digest for OCI manifest, Docker v2, OCI index,
 *                    Docker manifest list; pinned digests
 *   cache            re-pushed tag seen with NO_CACHE and after the TTL
 *   errors           unknown tag/repo, connection refused, timeout, 429/503,
 *                    digest checks, bad references, the https rule
 *   auth             basic (real registry), bearer (fake)
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
#include <jansson.h>

#include "registry.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);

    if (v == NULL) {
        fail_msg("%s is not set: run this test through harness.py", name);
    }
    return v;
}

static int64_t ms_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static vouch_registry *client(const char *creds, long ttl_ms,
                              unsigned retries, long total_ms)
{
    vouch_registry_options opts = VOUCH_REGISTRY_OPTIONS_INIT;
    vouch_registry *reg = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    opts.credentials_file = creds;
    opts.cache_ttl_ms = ttl_ms;
    opts.max_retries = retries;
    opts.retry_base_ms = 50;
    opts.total_timeout_ms = total_ms;
    opts.connect_timeout_ms = 2000;
    if (vouch_registry_new(&reg, &opts, &err) != 0) {
        fail_msg("vouch_registry_new: %s", err.message);
    }
    return reg;
}

/* Resolve "HOSTVAR/rest"; returns the code, digest and error. */
static int resolve(vouch_registry *reg, const char *hostvar,
                   const char *rest, unsigned flags, char *digest,
                   vouch_error *err)
{
    char image[512];

    snprintf(image, sizeof(image), "%s/%s", env(hostvar), rest);
    return vouch_registry_resolve(reg, image, strlen(image), flags, digest,
                                  err);
}

static void expect_tag(const char *tag, const char *digest_var)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char rest[64];
    vouch_error err = VOUCH_ERROR_INIT;

    snprintf(rest, sizeof(rest), "team/app:%s", tag);
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", rest, 0, digest, &err),
                     0);
    assert_string_equal(digest, env(digest_var));
    vouch_registry_free(reg);
}

/* Count of requests the fake registry saw for `path` (its /stats). */
static size_t write_cb(char *p, size_t s, size_t n, void *u)
{
    size_t len = s * n;
    char **buf = u;
    size_t old = *buf != NULL ? strlen(*buf) : 0;
    char *nb = realloc(*buf, old + len + 1);

    assert_non_null(nb);
    memcpy(nb + old, p, len);
    nb[old + len] = '\0';
    *buf = nb;
    return len;
}

static json_int_t fake_stat(const char *path)
{
    char url[256];
    char *body = NULL;
    CURL *c = curl_easy_init();
    json_t *root;
    json_int_t n;

    snprintf(url, sizeof(url), "http://%s/stats", env("VOUCH_REG_FAKE"));
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    root = json_loads(body, 0, NULL);
    assert_non_null(root);
    if (path == NULL) {
        n = json_integer_value(json_object_get(root, "tokens"));
    } else {
        n = json_integer_value(json_object_get(json_object_get(root,
                                                               "counts"),
                                               path));
    }
    json_decref(root);
    free(body);
    return n;
}

/* Re-push team/app:TAG on the anonymous registry; returns its digest. */
static void repush(const char *tag, char *digest, size_t size)
{
    char cmd[1024];
    FILE *p;
    static unsigned seed = 100;

    snprintf(cmd, sizeof(cmd), "%s team/app %s oci %u-%ld",
             env("VOUCH_REG_PUSH"), tag, seed++, (long)ms_now());
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(digest, (int)size, p));
    assert_int_equal(pclose(p), 0);
    digest[strcspn(digest, "\n")] = '\0';
    assert_int_equal(strlen(digest), 71);
}

/* ---- manifest types ---- */

static void test_registry_resolve_oci_manifest(void **state)
{
    (void)state;
    expect_tag("oci", "VOUCH_REG_DIGEST_OCI");
}

static void test_registry_resolve_docker_v2_manifest(void **state)
{
    (void)state;
    expect_tag("docker", "VOUCH_REG_DIGEST_DOCKER");
}

static void test_registry_resolve_oci_index(void **state)
{
    (void)state;
    expect_tag("index", "VOUCH_REG_DIGEST_INDEX");
}

static void test_registry_resolve_docker_manifest_list(void **state)
{
    (void)state;
    expect_tag("list", "VOUCH_REG_DIGEST_LIST");
}

static void test_registry_resolve_pinned_digest_verified(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char rest[160];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* the tag is ignored once a digest pins the image */
    snprintf(rest, sizeof(rest), "team/app:whatever@%s",
             env("VOUCH_REG_DIGEST_DOCKER"));
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", rest, 0, digest, &err),
                     0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_DOCKER"));

    snprintf(rest, sizeof(rest), "team/app@sha256:%064d", 7);
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", rest, 0, digest, &err),
                     VOUCH_ENOTFOUND);
    assert_string_equal(digest, "");
    assert_non_null(strstr(err.message, "answered 404 for manifests/sha256:"));
    assert_non_null(strstr(err.message, "manifest unknown"));
    vouch_registry_free(reg);
}

static void test_registry_resolve_default_tag_is_latest(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/app", 0, digest,
                             &err), VOUCH_ENOTFOUND);
    assert_non_null(strstr(err.message, "for manifests/latest of team/app"));
    vouch_registry_free(reg);
}

/* ---- cache ---- */

static void test_registry_repush_seen_with_bypass(void **state)
{
    vouch_registry *reg = client(NULL, 600000, 0, 10000);
    char d1[VOUCH_REGISTRY_DIGEST_SIZE];
    char d2[VOUCH_REGISTRY_DIGEST_SIZE];
    char pushed[128];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    repush("moving", pushed, sizeof(pushed));
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/app:moving", 0, d1,
                             &err), 0);
    assert_string_equal(d1, pushed);
    repush("moving", pushed, sizeof(pushed));
    assert_string_not_equal(pushed, d1);
    /* cached: the old digest until the TTL (10 minutes here) */
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/app:moving", 0, d2,
                             &err), 0);
    assert_string_equal(d2, d1);
    /* bypass: the new one, which then replaces the cached entry */
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/app:moving",
                             VOUCH_REGISTRY_NO_CACHE, d2, &err), 0);
    assert_string_equal(d2, pushed);
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/app:moving", 0, d2,
                             &err), 0);
    assert_string_equal(d2, pushed);
    vouch_registry_free(reg);
}

static void test_registry_repush_seen_after_ttl(void **state)
{
    vouch_registry *reg = client(NULL, 800, 0, 10000);
    char d1[VOUCH_REGISTRY_DIGEST_SIZE];
    char d2[VOUCH_REGISTRY_DIGEST_SIZE];
    char pushed[128];
    vouch_error err = VOUCH_ERROR_INIT;
    int64_t t0;

    (void)state;
    repush("ttl", pushed, sizeof(pushed));
    t0 = ms_now();
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/app:ttl", 0, d1,
                             &err), 0);
    assert_string_equal(d1, pushed);
    repush("ttl", pushed, sizeof(pushed));
    if (ms_now() - t0 < 700) {
        assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/app:ttl", 0,
                                 d2, &err), 0);
        assert_string_equal(d2, d1); /* still within the TTL */
    }
    while (ms_now() - t0 < 900) {
        struct timespec ts = { 0, 50 * 1000000L };
        nanosleep(&ts, NULL);
    }
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/app:ttl", 0, d2,
                             &err), 0);
    assert_string_equal(d2, pushed);
    vouch_registry_free(reg);
}

/* ---- errors ---- */

static void test_registry_unknown_tag_names_everything(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char want[256];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/app:1.9", 0,
                             digest, &err), VOUCH_ENOTFOUND);
    snprintf(want, sizeof(want), "registry %s answered 404 for manifests/1.9 "
             "of team/app: manifest unknown", env("VOUCH_REG_ANON"));
    assert_string_equal(err.message, want);
    snprintf(want, sizeof(want), "%s/team/app:1.9", env("VOUCH_REG_ANON"));
    assert_string_equal(err.source, want);
    assert_string_equal(digest, "");
    vouch_registry_free(reg);
}

static void test_registry_unknown_repository(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/nothing:1.0", 0,
                             digest, &err), VOUCH_ENOTFOUND);
    /* docker-registry answers MANIFEST_UNKNOWN, not NAME_UNKNOWN, here */
    assert_non_null(strstr(err.message, "answered 404 for manifests/1.0 of "
                           "team/nothing: manifest unknown"));
    vouch_registry_free(reg);
}

static void test_registry_connection_refused_fails_closed(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 2, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char want[128];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_DEAD", "team/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    snprintf(want, sizeof(want), "registry %s unreachable for manifests/1.0 "
             "of team/app: ", env("VOUCH_REG_DEAD"));
    assert_non_null(strstr(err.message, want));
    assert_non_null(strstr(err.message, "(3 attempts)"));
    assert_string_equal(digest, "");
    vouch_registry_free(reg);
}

static void test_registry_timeout_is_bounded(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 3, 1500);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;
    int64_t t0 = ms_now();
    int64_t took;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "slow/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    took = ms_now() - t0;
    assert_true(took >= 1400);
    assert_true(took < 4000);
    assert_non_null(strstr(err.message, "did not answer within 1500 ms for "
                           "manifests/1.0 of slow/app"));
    vouch_registry_free(reg);
}

static void test_registry_retries_429_and_503_with_retry_after(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 3, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;
    int64_t t0 = ms_now();

    (void)state;
    /* fake: 429 Retry-After: 1, then 503 Retry-After: 0, then 200 */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "flaky/app:1.0", 0,
                             digest, &err), 0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_FAKE"));
    assert_true(ms_now() - t0 >= 1000);
    assert_int_equal(fake_stat("/v2/flaky/app/manifests/1.0"), 3);
    vouch_registry_free(reg);
}

static void test_registry_retries_are_bounded(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 2, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "busy/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    assert_non_null(strstr(err.message, "answered 503 for manifests/1.0 of "
                           "busy/app after 3 attempts"));
    assert_int_equal(fake_stat("/v2/busy/app/manifests/1.0"), 3);
    vouch_registry_free(reg);
}

static void test_registry_digest_from_body_without_header(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "nodigest/app:1.0", 0,
                             digest, &err), 0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_FAKE"));
    /* HEAD had no digest, so a GET followed */
    assert_int_equal(fake_stat("/v2/nodigest/app/manifests/1.0"), 2);
    vouch_registry_free(reg);
}

static void test_registry_lying_digest_fails_closed(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "baddigest/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    assert_non_null(strstr(err.message,
                           "whose SHA-256 is sha256:1df02de25bd4"));
    assert_non_null(strstr(err.message, "but announced sha256:000000000000"));
    assert_string_equal(digest, "");
    vouch_registry_free(reg);
}

static void test_registry_plain_http_refused_for_remote_host(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;
    static const char image[] = "http://registry.example.com/team/app:1.0";
    int64_t t0 = ms_now();

    (void)state;
    /* refused before any traffic: no DNS, no connection */
    assert_int_equal(vouch_registry_resolve(reg, image, sizeof(image) - 1, 0,
                                            digest, &err), VOUCH_EINVAL);
    assert_string_equal(err.message, "refusing plain http for registry "
                        "registry.example.com: only loopback hosts and hosts "
                        "listed as insecure may be reached without https");
    assert_true(ms_now() - t0 < 100);
    vouch_registry_free(reg);
}

static void test_registry_plain_http_allowed_for_loopback(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char image[256];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    snprintf(image, sizeof(image), "http://%s/team/app:oci",
             env("VOUCH_REG_ANON"));
    assert_int_equal(vouch_registry_resolve(reg, image, strlen(image), 0,
                                            digest, &err), 0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_OCI"));
    vouch_registry_free(reg);
}

static void test_registry_redirect_to_plain_http_refused(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char want[200];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* even a loopback registry may not redirect to plain http */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "redirect/app:1.0", 0,
                             digest, &err), VOUCH_EINVAL);
    snprintf(want, sizeof(want), "registry %s redirected manifests/1.0 of "
             "redirect/app to a URL that is not https; redirects must be "
             "https", env("VOUCH_REG_FAKE"));
    assert_string_equal(err.message, want);
    /* the redirect was not followed */
    assert_int_equal(fake_stat("/v2/redirected/app/manifests/1.0"), 0);
    vouch_registry_free(reg);
}

static void test_registry_bad_reference_is_a_parse_error(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;
    static const char image[] = "127.0.0.1:1/Team/App:1.0";

    (void)state;
    assert_int_equal(vouch_registry_resolve(reg, image, sizeof(image) - 1, 0,
                                            digest, &err), VOUCH_EPARSE);
    assert_true(err.column > 0);
    assert_string_equal(digest, "");
    vouch_registry_free(reg);
}

/* ---- auth ---- */

static void test_registry_basic_auth_real_registry(void **state)
{
    vouch_registry *reg = client(env("VOUCH_REG_CREDS"), 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_AUTH", "team/private:1.0", 0,
                             digest, &err), 0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_PRIVATE"));
    vouch_registry_free(reg);
}

static void test_registry_basic_auth_without_credentials(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char want[200];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_AUTH", "team/private:1.0", 0,
                             digest, &err), VOUCH_EIO);
    snprintf(want, sizeof(want), "registry %s requires basic authentication "
             "for manifests/1.0 of team/private and no credentials are "
             "configured for it", env("VOUCH_REG_AUTH"));
    assert_string_equal(err.message, want);
    vouch_registry_free(reg);
}

static void test_registry_basic_auth_wrong_password(void **state)
{
    vouch_registry *reg = client(env("VOUCH_REG_BADCREDS"), 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_AUTH", "team/private:1.0", 0,
                             digest, &err), VOUCH_EIO);
    assert_non_null(strstr(err.message, "answered 401 for manifests/1.0 of "
                           "team/private: authentication required (the "
                           "configured basic credentials were refused)"));
    assert_null(strstr(err.message, "wrong"));
    vouch_registry_free(reg);
}

static void test_registry_bearer_token_fetched_once(void **state)
{
    vouch_registry *reg = client(env("VOUCH_REG_CREDS"), 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;
    json_int_t before = fake_stat(NULL);

    (void)state;
    /* FAKE registry + token server (see fake_registry.py) */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "private/app:1.0", 0,
                             digest, &err), 0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_FAKE"));
    assert_int_equal(fake_stat(NULL), before + 1);
    /* bypassing the tag cache still reuses the cached token */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "private/app:1.0",
                             VOUCH_REGISTRY_NO_CACHE, digest, &err), 0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_FAKE"));
    assert_int_equal(fake_stat(NULL), before + 1);
    vouch_registry_free(reg);
}

static void test_registry_bearer_anonymous_access_token(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "public-bearer/app:1.0",
                             0, digest, &err), 0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_FAKE"));
    vouch_registry_free(reg);
}

static void test_registry_bearer_wrong_credentials(void **state)
{
    vouch_registry *reg = client(env("VOUCH_REG_BADCREDS"), 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char want[200];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "private/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    snprintf(want, sizeof(want), "token server %s answered 401 for a pull "
             "token for private/app on registry %s: bad credentials",
             env("VOUCH_REG_FAKE"), env("VOUCH_REG_FAKE"));
    assert_string_equal(err.message, want);
    assert_null(strstr(err.message, "wrong"));
    vouch_registry_free(reg);
}

static void test_registry_bearer_realm_must_be_https(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "evilrealm/app:1.0", 0,
                             digest, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "token realm on registry.example.com "
                           "over http: only https is allowed"));
    vouch_registry_free(reg);
}

/* ---- threads ---- */

typedef struct shared_job {
    vouch_registry *reg;
    int id;
    int failures;
} shared_job;

static void *resolve_many(void *arg)
{
    shared_job *job = arg;
    static const char *const tags[] = { "oci", "docker", "index", "list" };
    static const char *const vars[] = {
        "VOUCH_REG_DIGEST_OCI", "VOUCH_REG_DIGEST_DOCKER",
        "VOUCH_REG_DIGEST_INDEX", "VOUCH_REG_DIGEST_LIST" };

    for (int i = 0; i < 12; i++) {
        int k = (i + job->id) % 4;
        char image[256];
        char digest[VOUCH_REGISTRY_DIGEST_SIZE];
        vouch_error err = VOUCH_ERROR_INIT;

        snprintf(image, sizeof(image), "%s/team/app:%s",
                 getenv("VOUCH_REG_ANON"), tags[k]);
        if (vouch_registry_resolve(job->reg, image, strlen(image),
                                   i % 3 == 0 ? VOUCH_REGISTRY_NO_CACHE : 0,
                                   digest, &err) != 0 ||
            strcmp(digest, getenv(vars[k])) != 0) {
            job->failures++;
        }
    }
    return NULL;
}

static void test_registry_shared_between_threads(void **state)
{
    vouch_registry *reg = client(NULL, 60000, 0, 10000);
    pthread_t t[4];
    shared_job jobs[4];

    (void)state;
    env("VOUCH_REG_ANON");
    for (int i = 0; i < 4; i++) {
        jobs[i].reg = reg;
        jobs[i].id = i;
        jobs[i].failures = 0;
        assert_int_equal(pthread_create(&t[i], NULL, resolve_many, &jobs[i]),
                         0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(jobs[i].failures, 0);
    }
    vouch_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_resolve_oci_manifest),
        cmocka_unit_test(test_registry_resolve_docker_v2_manifest),
        cmocka_unit_test(test_registry_resolve_oci_index),
        cmocka_unit_test(test_registry_resolve_docker_manifest_list),
        cmocka_unit_test(test_registry_resolve_pinned_digest_verified),
        cmocka_unit_test(test_registry_resolve_default_tag_is_latest),
        cmocka_unit_test(test_registry_repush_seen_with_bypass),
        cmocka_unit_test(test_registry_repush_seen_after_ttl),
        cmocka_unit_test(test_registry_unknown_tag_names_everything),
        cmocka_unit_test(test_registry_unknown_repository),
        cmocka_unit_test(test_registry_connection_refused_fails_closed),
        cmocka_unit_test(test_registry_timeout_is_bounded),
        cmocka_unit_test(test_registry_retries_429_and_503_with_retry_after),
        cmocka_unit_test(test_registry_retries_are_bounded),
        cmocka_unit_test(test_registry_digest_from_body_without_header),
        cmocka_unit_test(test_registry_lying_digest_fails_closed),
        cmocka_unit_test(test_registry_plain_http_refused_for_remote_host),
        cmocka_unit_test(test_registry_plain_http_allowed_for_loopback),
        cmocka_unit_test(test_registry_redirect_to_plain_http_refused),
        cmocka_unit_test(test_registry_bad_reference_is_a_parse_error),
        cmocka_unit_test(test_registry_basic_auth_real_registry),
        cmocka_unit_test(test_registry_basic_auth_without_credentials),
        cmocka_unit_test(test_registry_basic_auth_wrong_password),
        cmocka_unit_test(test_registry_bearer_token_fetched_once),
        cmocka_unit_test(test_registry_bearer_anonymous_access_token),
        cmocka_unit_test(test_registry_bearer_wrong_credentials),
        cmocka_unit_test(test_registry_bearer_realm_must_be_https),
        cmocka_unit_test(test_registry_shared_between_threads),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
