/*
 * Tests of the JWKS cache and fetches (src/auth/jwks_cache.c,
 * jwks_fetch.c) through the authenticator, against the harness's local
 * HTTPS server with a test CA and its plain-HTTP twin (authn_fixture.h).
 * The clock is moved by hand; the server counts requests.
 *
 *   https:  the JWKS over https with the test CA; without it; a redirect
 *           to plain http; plain http on the https scheme; HTTP errors;
 *           an oversized JWKS
 *   cache:  Cache-Control max-age, its floor and ceiling; the refetch on
 *           an unknown kid, at most once a minute; stale keys kept when a
 *           refetch fails; prefetch; many threads, one fetch
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

#include "authn_fixture.h"

/* ---- https ------------------------------------------------------------- */

static void test_jwks_cache_https(void **state)
{
    vouch_auth_config *cfg = config(oidc_url("https://ci.example.com",
                                             fx_https, "jwks/web", true),
                                    oidc_url("https://noca.example.com",
                                             fx_https, "jwks/noca", false));
    vouch_authn *a = authn_new();
    char *tok;
    outcome o;

    (void)state;
    set_now(T0);
    serve("web", "max-age=300", "ec1");
    serve("noca", NULL, "ec1");
    tok = mint("ec1", "ES256", "{\"kid\": \"ec1\"}",
               CLAIMS("https://ci.example.com"));
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("web"), 1);
    free(tok);
    /* without "ca" the system's CAs do not know the test CA */
    tok = mint("ec1", "ES256", "{\"kid\": \"ec1\"}",
               CLAIMS("https://noca.example.com"));
    o = expect(a, cfg, tok, VOUCH_AUTHN_KEYS_UNAVAILABLE);
    assert_non_null(strstr(o.message, "no keys of https://noca.example.com"));
    assert_non_null(strstr(o.message, "certificate"));
    free(tok);
    vouch_authn_free(a);
    vouch_auth_config_free(cfg);
}

static void test_jwks_cache_plain_http_refused(void **state)
{
    char doc[1024];
    char mixed[256];
    vouch_auth_config *cfg = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_authn *a = authn_new();
    char *tok;
    outcome o;

    (void)state;
    set_now(T0);
    /* an http:// JWKS is refused when the config is read */
    snprintf(doc, sizeof(doc),
             "{\"oidc\": [{\"issuer\": \"https://ci.example.com\", "
             "\"audience\": \"vouch\",\n \"jwks\": \"%s/jwks/plain\"}]}",
             fx_http);
    assert_int_equal(vouch_auth_config_parse(&cfg, doc, strlen(doc),
                                             "auth.json", &err),
                     VOUCH_EINVAL);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "plain http is refused"));

    /* an https JWKS that redirects to http is not followed; https to a
     * port that speaks plain HTTP fails in the handshake */
    serve("plain", NULL, "rsa1");
    snprintf(mixed, sizeof(mixed), "https://%s", fx_http + strlen("http://"));
    cfg = config(oidc_url("https://ci.example.com", fx_https,
                          "redirect/plain", true),
                 oidc_url("https://mixed.example.com", mixed, "jwks/plain",
                          true));
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               CLAIMS("https://ci.example.com"));
    o = expect(a, cfg, tok, VOUCH_AUTHN_KEYS_UNAVAILABLE);
    assert_non_null(strstr(o.message, "cannot fetch the JWKS"));
    assert_int_equal(fetches("plain"), 1); /* the redirect, nothing more */
    free(tok);
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               CLAIMS("https://mixed.example.com"));
    o = expect(a, cfg, tok, VOUCH_AUTHN_KEYS_UNAVAILABLE);
    free(tok);
    vouch_authn_free(a);
    vouch_auth_config_free(cfg);
}

static void test_jwks_cache_http_errors(void **state)
{
    vouch_auth_config *cfg = config(oidc_url("https://ci.example.com",
                                             fx_https, "jwks/absent", true),
                                    oidc_url("https://big.example.com",
                                             fx_https, "big/large", true));
    vouch_authn *a = authn_new();
    char *tok;
    outcome o;

    (void)state;
    set_now(T0);
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               CLAIMS("https://ci.example.com"));
    o = expect(a, cfg, tok, VOUCH_AUTHN_KEYS_UNAVAILABLE);
    assert_non_null(strstr(o.message, "HTTP status 404"));
    free(tok);
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               CLAIMS("https://big.example.com"));
    o = expect(a, cfg, tok, VOUCH_AUTHN_KEYS_UNAVAILABLE);
    assert_non_null(strstr(o.message, "over the limit"));
    free(tok);
    vouch_authn_free(a);
    vouch_auth_config_free(cfg);
}

/* ---- the cache ---------------------------------------------------------- */

static void test_jwks_cache_cache_control(void **state)
{
    vouch_auth_config *cfg = config(oidc_url("https://ci.example.com",
                                             fx_https, "jwks/cc", true),
                                    NULL);
    vouch_authn *a = authn_new();
    char *tok;

    (void)state;
    serve("cc", "public, max-age=300", "rsa1");
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               "{\"iss\": \"https://ci.example.com\", \"aud\": \"vouch\", "
               "\"sub\": \"x\", \"exp\": %lld}", T0 + 3 * 86400);
    set_now(T0);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("cc"), 1);
    set_now(T0 + 299);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("cc"), 1);
    set_now(T0 + 300);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("cc"), 2);
    /* a max-age below the floor counts as the floor, 60 s */
    serve("cc", "max-age=5", "rsa1");
    set_now(T0 + 600);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("cc"), 3);
    set_now(T0 + 659);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("cc"), 3);
    set_now(T0 + 660);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("cc"), 4);
    /* and one above the ceiling as the ceiling, a day */
    serve("cc", "max-age=31536000", "rsa1");
    set_now(T0 + 1000);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("cc"), 5);
    set_now(T0 + 1000 + 86399);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("cc"), 5);
    set_now(T0 + 1000 + 86400);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("cc"), 6);
    free(tok);
    vouch_authn_free(a);
    vouch_auth_config_free(cfg);
}

static void test_jwks_cache_refetch_once_a_minute(void **state)
{
    vouch_auth_config *cfg = config(oidc_url("https://ci.example.com",
                                             fx_https, "jwks/rot", true),
                                    NULL);
    vouch_authn *a = authn_new();
    char *old_key;
    char *new_key;
    char *unknown;

    (void)state;
    old_key = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
                   CLAIMS("https://ci.example.com"));
    new_key = mint("rsa2", "RS256", "{\"kid\": \"rsa2\"}",
                   CLAIMS("https://ci.example.com"));
    unknown = mint("rsa2", "RS256", "{\"kid\": \"zzz\"}",
                   CLAIMS("https://ci.example.com"));
    serve("rot", "max-age=3600", "rsa1");
    set_now(T0);
    expect(a, cfg, old_key, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("rot"), 1);
    /* the issuer rotates in a new key; within the minute no refetch */
    serve("rot", "max-age=3600", "rsa1,rsa2");
    set_now(T0 + 10);
    expect(a, cfg, new_key, VOUCH_AUTHN_UNKNOWN_KEY);
    expect(a, cfg, new_key, VOUCH_AUTHN_UNKNOWN_KEY);
    assert_int_equal(fetches("rot"), 1);
    set_now(T0 + 59);
    expect(a, cfg, new_key, VOUCH_AUTHN_UNKNOWN_KEY);
    assert_int_equal(fetches("rot"), 1);
    /* a minute after the last fetch, an unknown kid refetches once */
    set_now(T0 + 60);
    expect(a, cfg, new_key, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("rot"), 2);
    expect(a, cfg, old_key, VOUCH_AUTHN_OK);
    /* a kid that is nowhere: no refetch within the minute... */
    set_now(T0 + 70);
    expect(a, cfg, unknown, VOUCH_AUTHN_UNKNOWN_KEY);
    expect(a, cfg, unknown, VOUCH_AUTHN_UNKNOWN_KEY);
    assert_int_equal(fetches("rot"), 2);
    set_now(T0 + 119);
    expect(a, cfg, unknown, VOUCH_AUTHN_UNKNOWN_KEY);
    assert_int_equal(fetches("rot"), 2);
    /* ...then exactly one, however many such tokens arrive */
    set_now(T0 + 120);
    expect(a, cfg, unknown, VOUCH_AUTHN_UNKNOWN_KEY);
    expect(a, cfg, unknown, VOUCH_AUTHN_UNKNOWN_KEY);
    expect(a, cfg, unknown, VOUCH_AUTHN_UNKNOWN_KEY);
    assert_int_equal(fetches("rot"), 3);
    expect(a, cfg, new_key, VOUCH_AUTHN_OK);
    free(old_key);
    free(new_key);
    free(unknown);
    vouch_authn_free(a);
    vouch_auth_config_free(cfg);
}

static void test_jwks_cache_fetch_failures(void **state)
{
    vouch_auth_config *cfg = config(oidc_url("https://ci.example.com",
                                             fx_https, "jwks/flaky", true),
                                    oidc_url("https://late.example.com",
                                             fx_https, "jwks/late", true));
    vouch_authn *a = authn_new();
    char *tok;
    char *late;
    outcome o;

    (void)state;
    tok = mint("ec1", "ES256", "{\"kid\": \"ec1\"}",
               "{\"iss\": \"https://ci.example.com\", \"aud\": \"vouch\", "
               "\"sub\": \"x\", \"exp\": %lld}", T0 + 86400);
    late = mint("ec1", "ES256", "{\"kid\": \"ec1\"}",
                "{\"iss\": \"https://late.example.com\", \"aud\": \"vouch\","
                " \"sub\": \"x\", \"exp\": %lld}", T0 + 86400);
    /* keys held stay in use while the issuer's JWKS is unavailable */
    serve("flaky", "max-age=60", "ec1");
    set_now(T0);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    unserve("flaky");
    set_now(T0 + 61);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("flaky"), 2);
    set_now(T0 + 62);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("flaky"), 2);
    set_now(T0 + 121);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("flaky"), 3);
    /* no keys yet: a failed first fetch is not retried within a minute */
    set_now(T0);
    o = expect(a, cfg, late, VOUCH_AUTHN_KEYS_UNAVAILABLE);
    assert_non_null(strstr(o.message, "HTTP status 404"));
    serve("late", NULL, "ec1");
    set_now(T0 + 30);
    o = expect(a, cfg, late, VOUCH_AUTHN_KEYS_UNAVAILABLE);
    assert_non_null(strstr(o.message, "HTTP status 404"));
    assert_int_equal(fetches("late"), 1);
    set_now(T0 + 60);
    expect(a, cfg, late, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("late"), 2);
    free(tok);
    free(late);
    vouch_authn_free(a);
    vouch_auth_config_free(cfg);
}

static void test_jwks_cache_prefetch(void **state)
{
    vouch_auth_config *cfg = config(oidc_url("https://ci.example.com",
                                             fx_https, "jwks/pre", true),
                                    oidc_url("https://down.example.com",
                                             fx_https, "jwks/down", true));
    vouch_authn *a = authn_new();
    vouch_error err = VOUCH_ERROR_INIT;
    char *tok;

    (void)state;
    set_now(T0);
    serve("pre", "max-age=600", "ed1");
    assert_int_equal(vouch_authn_prefetch(a, cfg, &err), VOUCH_EIO);
    assert_non_null(strstr(err.message, "issuer https://down.example.com"));
    assert_non_null(strstr(err.message, "HTTP status 404"));
    assert_int_equal(fetches("pre"), 1);
    assert_int_equal(fetches("down"), 1);
    /* fresh keys are not fetched again */
    set_now(T0 + 120);
    vouch_authn_prefetch(a, cfg, NULL);
    assert_int_equal(fetches("pre"), 1);
    assert_int_equal(fetches("down"), 2);
    tok = mint("ed1", "EdDSA", "{\"kid\": \"ed1\"}",
               CLAIMS("https://ci.example.com"));
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_int_equal(fetches("pre"), 1);
    free(tok);
    vouch_authn_free(a);
    vouch_auth_config_free(cfg);
}

typedef struct crowd {
    vouch_authn *authn;
    const vouch_auth_config *cfg;
    const char *header;
    int ok;
} crowd;

static void *crowd_thread(void *arg)
{
    crowd *c = arg;
    int i;

    for (i = 0; i < 25; i++) {
        vouch_identity *id = NULL;

        if (vouch_authn_authenticate(c->authn, c->cfg, c->header,
                                     strlen(c->header), &id, NULL,
                                     NULL) == 0) {
            __atomic_add_fetch(&c->ok, 1, __ATOMIC_RELAXED);
        }
        vouch_identity_free(id);
    }
    return NULL;
}

static void test_jwks_cache_threads(void **state)
{
    vouch_auth_config *cfg = config(oidc_url("https://ci.example.com",
                                             fx_https, "jwks/crowd", true),
                                    NULL);
    char header[8300];
    char *tok;
    crowd c;
    pthread_t threads[8];
    int i;

    (void)state;
    set_now(T0);
    serve("crowd", "max-age=600", "rsa1,ec1,ed1");
    tok = mint("ec1", "ES256", "{\"kid\": \"ec1\"}",
               CLAIMS("https://ci.example.com"));
    snprintf(header, sizeof(header), "Bearer %s", tok);
    c.authn = authn_new();
    c.cfg = cfg;
    c.header = header;
    c.ok = 0;
    /* all threads start cold: one of them fetches, the others wait */
    for (i = 0; i < 8; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, crowd_thread, &c),
                         0);
    }
    for (i = 0; i < 8; i++) {
        pthread_join(threads[i], NULL);
    }
    assert_int_equal(c.ok, 8 * 25);
    assert_int_equal(fetches("crowd"), 1);
    free(tok);
    vouch_authn_free(c.authn);
    vouch_auth_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwks_cache_https),
        cmocka_unit_test(test_jwks_cache_plain_http_refused),
        cmocka_unit_test(test_jwks_cache_http_errors),
        cmocka_unit_test(test_jwks_cache_cache_control),
        cmocka_unit_test(test_jwks_cache_refetch_once_a_minute),
        cmocka_unit_test(test_jwks_cache_fetch_failures),
        cmocka_unit_test(test_jwks_cache_prefetch),
        cmocka_unit_test(test_jwks_cache_threads),
    };
    int rc;

    fx_init();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    fx_done();
    return rc;
}
