/*
 * Live tests for src/registry/ (vouch_registry_resolve), run by harness.py
 * against servers on 127.0.0.1 only (live.h names them): manifest types,
 * pinned digests, errors, the https rule, basic and bearer authentication,
 * a client shared by threads. The attacks of the security review are in
 * test_registry_guard.c, the registry's faults and fresh tags in
 * test_registry_faults.c.
 *
 * Sections:
 *   manifest types   tag -> digest for OCI manifest, Docker v2, OCI index,
 *                    Docker manifest list; pinned digests
 *   errors           unknown tag/repo, digest checks, bad references, the
 *                    https rule
 *   auth             basic (real registry), bearer (fake)
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
#include <curl/curl.h>

#include "live.h"
#include "registry.h"

static void expect_tag(const char *tag, const char *digest_var)
{
    vouch_registry *reg = client(NULL, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char rest[64];
    vouch_error err = VOUCH_ERROR_INIT;

    snprintf(rest, sizeof(rest), "team/app:%s", tag);
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", rest, 0, digest, &err),
                     0);
    assert_string_equal(digest, env(digest_var));
    vouch_registry_free(reg);
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
    vouch_registry *reg = client(NULL, 0, 10000);
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
    assert_non_null(strstr(err.message, "answered 404 MANIFEST_UNKNOWN for "
                           "manifests/sha256:"));
    vouch_registry_free(reg);
}

static void test_registry_resolve_default_tag_is_latest(void **state)
{
    vouch_registry *reg = client(NULL, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/app", 0, digest,
                             &err), VOUCH_ENOTFOUND);
    assert_non_null(strstr(err.message, "for manifests/latest of team/app"));
    vouch_registry_free(reg);
}

/* ---- errors ---- */

static void test_registry_unknown_tag_names_everything(void **state)
{
    vouch_registry *reg = client(NULL, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char want[256];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/app:1.9", 0,
                             digest, &err), VOUCH_ENOTFOUND);
    snprintf(want, sizeof(want), "registry %s answered 404 MANIFEST_UNKNOWN "
             "for manifests/1.9 of team/app", env("VOUCH_REG_ANON"));
    assert_string_equal(err.message, want);
    snprintf(want, sizeof(want), "%s/team/app:1.9", env("VOUCH_REG_ANON"));
    assert_string_equal(err.source, want);
    assert_string_equal(digest, "");
    vouch_registry_free(reg);
}

static void test_registry_unknown_repository(void **state)
{
    vouch_registry *reg = client(NULL, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_ANON", "team/nothing:1.0", 0,
                             digest, &err), VOUCH_ENOTFOUND);
    /* docker-registry answers MANIFEST_UNKNOWN, not NAME_UNKNOWN, here */
    assert_non_null(strstr(err.message, "answered 404 MANIFEST_UNKNOWN for "
                           "manifests/1.0 of team/nothing"));
    vouch_registry_free(reg);
}

static void test_registry_digest_from_body_without_header(void **state)
{
    vouch_registry *reg = client(NULL, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "nodigest/app:1.0", 0,
                             digest, &err), 0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_FAKE"));
    /* HEAD had no digest, so a GET followed */
    assert_int_equal(fake_count("/v2/nodigest/app/manifests/1.0"), 2);
    vouch_registry_free(reg);
}

static void test_registry_lying_digest_fails_closed(void **state)
{
    vouch_registry *reg = client(NULL, 0, 10000);
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
    vouch_registry *reg = client(NULL, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;
    static const char image[] = "http://registry.example.com/team/app:1.0";
    int64_t t0 = ms_now();

    (void)state;
    /* refused before any traffic: no DNS, no connection */
    assert_int_equal(vouch_registry_resolve(reg, image, sizeof(image) - 1, 0,
                                            digest, &err), VOUCH_EINVAL);
    assert_string_equal(err.message, "refusing plain http for registry "
                        "registry.example.com: only hosts listed with "
                        "--registry-insecure may be reached without https");
    assert_true(ms_now() - t0 < 100);
    vouch_registry_free(reg);
}

static void test_registry_plain_http_allowed_for_listed_host(void **state)
{
    vouch_registry *reg = client(NULL, 0, 10000);
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
    vouch_registry *reg = client(NULL, 0, 10000);
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
    assert_int_equal(fake_count("/v2/redirected/app/manifests/1.0"), 0);
    vouch_registry_free(reg);
}

static void test_registry_bad_reference_is_a_parse_error(void **state)
{
    vouch_registry *reg = client(NULL, 0, 10000);
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
    vouch_registry *reg = client(env("VOUCH_REG_CREDS"), 0, 10000);
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
    vouch_registry *reg = client(NULL, 0, 10000);
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
    vouch_registry *reg = client(env("VOUCH_REG_BADCREDS"), 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_AUTH", "team/private:1.0", 0,
                             digest, &err), VOUCH_EIO);
    assert_non_null(strstr(err.message, "answered 401 UNAUTHORIZED for "
                           "manifests/1.0 of team/private (the configured "
                           "basic credentials were refused)"));
    assert_null(strstr(err.message, "wrong"));
    vouch_registry_free(reg);
}

static void test_registry_bearer_token_fetched_once(void **state)
{
    vouch_registry *reg = client(env("VOUCH_REG_CREDS"), 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;
    json_int_t before = fake_tokens();

    (void)state;
    /* FAKE registry + token server (see fake_registry.py) */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "private/app:1.0", 0,
                             digest, &err), 0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_FAKE"));
    assert_int_equal(fake_tokens(), before + 1);
    /* bypassing the tag cache still reuses the cached token */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "private/app:1.0",
                             VOUCH_REGISTRY_NO_CACHE, digest, &err), 0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_FAKE"));
    assert_int_equal(fake_tokens(), before + 1);
    vouch_registry_free(reg);
}

static void test_registry_bearer_anonymous_access_token(void **state)
{
    vouch_registry *reg = client(NULL, 0, 10000);
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
    vouch_registry *reg = client(env("VOUCH_REG_BADCREDS"), 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char want[200];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "private/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    snprintf(want, sizeof(want), "token server %s answered 401 UNAUTHORIZED "
             "for a pull token for private/app on registry %s",
             env("VOUCH_REG_FAKE"), env("VOUCH_REG_FAKE"));
    assert_string_equal(err.message, want);
    assert_null(strstr(err.message, "wrong"));
    vouch_registry_free(reg);
}

static void test_registry_bearer_realm_must_be_https(void **state)
{
    vouch_registry *reg = client(NULL, 0, 10000);
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
    vouch_registry *reg = client(NULL, 0, 10000);
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
        cmocka_unit_test(test_registry_unknown_tag_names_everything),
        cmocka_unit_test(test_registry_unknown_repository),
        cmocka_unit_test(test_registry_digest_from_body_without_header),
        cmocka_unit_test(test_registry_lying_digest_fails_closed),
        cmocka_unit_test(test_registry_plain_http_refused_for_remote_host),
        cmocka_unit_test(test_registry_plain_http_allowed_for_listed_host),
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
