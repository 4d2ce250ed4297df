/*
 * Tests of bearer authentication (src/auth/authn.c, jwks_cache.c,
 * jwks_fetch.c) with real keys (openssl genpkey), tokens signed by PyJWT,
 * and JWKS served by a local HTTPS server with a test CA; run by
 * harness.py, which passes VOUCH_AUTH_DIR, _HTTPS, _HTTP, _CA and _MINT.
 * The authenticator's clock is moved by hand.
 *
 *   static:     static tokens, the Authorization header's form
 *   algorithms: RS256, ES256, EdDSA; alg none; HS256 with the public key
 *               as secret; other algorithms; a kid of another key type
 *   keys:       kid not in the JWKS; no kid; wrong key; tampering
 *   claims:     another issuer; audience (string, list); exp, nbf and
 *               the leeway; a token signed for another issuer
 *   principal:  serviceAccount: from a verified e-mail; principal://
 *   https:      the JWKS over https with the test CA; without it; a
 *               redirect to plain http; plain http on the https scheme;
 *               HTTP errors; an oversized JWKS
 *   cache:      Cache-Control max-age, its floor and ceiling; the refetch
 *               on an unknown kid, at most once a minute; stale keys kept
 *               when a refetch fails; prefetch; many threads, one fetch
 * Every refusal is also checked not to quote the token.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "authconfig.h"
#include "authn.h"

#define T0 1700000000LL
#define ALICE_TOKEN "alice-token"

static const char *dir;
static const char *https_base;
static const char *http_base;
static const char *ca_file;
static const char *mint_cmd;
static int64_t now_ms;

static int64_t fake_clock(void *payload)
{
    (void)payload;
    return __atomic_load_n(&now_ms, __ATOMIC_RELAXED);
}

static void set_now(int64_t seconds)
{
    __atomic_store_n(&now_ms, seconds * 1000, __ATOMIC_RELAXED);
}

/* ---- fixtures ------------------------------------------------------------ */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc(1, (size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Serve www/NAME.json = {"keys": [the JWKs of `keys`, comma-separated]},
 * with Cache-Control `cc` (NULL: none). */
static void serve(const char *name, const char *cc, const char *keys)
{
    char path[512];
    char list[128];
    json_t *set = json_array();
    json_t *doc;
    char *text;
    char *save = NULL;
    char *k;

    snprintf(list, sizeof(list), "%s", keys);
    for (k = strtok_r(list, ",", &save); k != NULL;
         k = strtok_r(NULL, ",", &save)) {
        json_error_t jerr;
        json_t *jwk;

        snprintf(path, sizeof(path), "%s/keys/%s.jwk.json", dir, k);
        jwk = json_load_file(path, 0, &jerr);
        assert_non_null(jwk);
        json_array_append_new(set, jwk);
    }
    doc = json_pack("{s:o}", "keys", set);
    text = json_dumps(doc, 0);
    snprintf(path, sizeof(path), "%s/www/%s.json", dir, name);
    write_text(path, text);
    snprintf(path, sizeof(path), "%s/www/%s.cc", dir, name);
    if (cc != NULL) {
        write_text(path, cc);
    } else {
        unlink(path);
    }
    free(text);
    json_decref(doc);
}

static void unserve(const char *name)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/www/%s.json", dir, name);
    unlink(path);
}

/* How many times the servers were asked for NAME. */
static int fetches(const char *name)
{
    char path[512];
    char *text;
    int n;

    snprintf(path, sizeof(path), "%s/www/%s.count", dir, name);
    if (access(path, F_OK) != 0) {
        return 0;
    }
    text = read_text(path);
    n = atoi(text);
    free(text);
    return n;
}

/* A JWT signed by KEY with ALG, extra header members `header` (a JSON
 * object), claims from the printf format. */
static char *mint(const char *key, const char *alg, const char *header,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static char *mint(const char *key, const char *alg, const char *header,
                  const char *fmt, ...)
{
    char claims[2048];
    char hpath[512];
    char cpath[512];
    char cmd[2048];
    char token[8192];
    va_list ap;
    FILE *p;
    size_t n;

    va_start(ap, fmt);
    vsnprintf(claims, sizeof(claims), fmt, ap);
    va_end(ap);
    snprintf(hpath, sizeof(hpath), "%s/header.json", dir);
    snprintf(cpath, sizeof(cpath), "%s/claims.json", dir);
    write_text(hpath, header);
    write_text(cpath, claims);
    snprintf(cmd, sizeof(cmd), "%s %s %s %s %s %s", mint_cmd, dir, key, alg,
             hpath, cpath);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(token, 1, sizeof(token) - 1, p);
    assert_int_equal(pclose(p), 0);
    while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r')) {
        n--;
    }
    token[n] = '\0';
    assert_true(n > 10);
    return strdup(token);
}

/* Standard claims of issuer ISS for audience "vouch", valid at T0. */
#define CLAIMS(iss) \
    "{\"iss\": \"" iss "\", \"aud\": \"vouch\", \"sub\": \"ci-runner\", " \
    "\"iat\": %lld, \"exp\": %lld}", T0, T0 + 600

/* An oidc entry reading www/NAME.json from disk. */
static char *oidc_file(const char *issuer, const char *name)
{
    char buf[1024];

    snprintf(buf, sizeof(buf),
             "{\"issuer\": \"%s\", \"audience\": \"vouch\", "
             "\"jwks\": \"file://%s/www/%s.json\"}", issuer, dir, name);
    return strdup(buf);
}

/* An oidc entry fetching BASE/PATH over https, with the test CA when
 * `with_ca`. */
static char *oidc_url(const char *issuer, const char *base, const char *path,
                      bool with_ca)
{
    char buf[1024];

    if (with_ca) {
        snprintf(buf, sizeof(buf),
                 "{\"issuer\": \"%s\", \"audience\": \"vouch\", \"jwks\": "
                 "{\"url\": \"%s/%s\", \"ca\": \"%s\"}}", issuer, base, path,
                 ca_file);
    } else {
        snprintf(buf, sizeof(buf),
                 "{\"issuer\": \"%s\", \"audience\": \"vouch\", \"jwks\": "
                 "\"%s/%s\"}", issuer, base, path);
    }
    return strdup(buf);
}

/* A config with alice's static token and the oidc entries (taken). */
static vouch_auth_config *config(char *oidc1, char *oidc2)
{
    char doc[4096];
    char hash[65];
    vouch_auth_config *cfg = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    vouch_auth_token_hash_hex(ALICE_TOKEN, strlen(ALICE_TOKEN), hash);
    snprintf(doc, sizeof(doc),
             "{\"tokens\": [{\"principal\": \"user:alice@example.com\", "
             "\"sha256\": \"%s\"}], \"oidc\": [%s%s%s]}", hash,
             oidc1 != NULL ? oidc1 : "", oidc2 != NULL ? ", " : "",
             oidc2 != NULL ? oidc2 : "");
    free(oidc1);
    free(oidc2);
    if (vouch_auth_config_parse(&cfg, doc, strlen(doc), "auth.json",
                                &err) != 0) {
        fail_msg("config: %s", err.message);
    }
    return cfg;
}

static vouch_authn *authn_new(void)
{
    vouch_authn_options opts = VOUCH_AUTHN_OPTIONS_INIT;
    vouch_authn *a = NULL;

    opts.clock.now_ms = fake_clock;
    opts.fetch_timeout_ms = 20000;
    assert_int_equal(vouch_authn_new(&a, &opts, NULL), 0);
    return a;
}

typedef struct outcome {
    int rc;
    vouch_authn_result result;
    char principal[512];
    char email[256];
    char subject[512];
    char message[512];
} outcome;

/* No part of a token longer than 6 bytes may appear in a message. */
static void assert_not_quoted(const char *message, const char *token)
{
    char part[8192];
    char *save = NULL;
    char *p;

    snprintf(part, sizeof(part), "%s", token);
    if (strstr(message, token) != NULL) {
        fail_msg("message quotes the token: %s", message);
    }
    for (p = strtok_r(part, ".", &save); p != NULL;
         p = strtok_r(NULL, ".", &save)) {
        if (strlen(p) > 6 && strstr(message, p) != NULL) {
            fail_msg("message quotes part of the token: %s", message);
        }
    }
}

static outcome authenticate(vouch_authn *a, const vouch_auth_config *cfg,
                            const char *header)
{
    outcome o;
    vouch_identity *id = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    memset(&o, 0, sizeof(o));
    o.rc = vouch_authn_authenticate(a, cfg, header,
                                    header != NULL ? strlen(header) : 0, &id,
                                    &o.result, &err);
    snprintf(o.message, sizeof(o.message), "%s", err.message);
    if (id != NULL) {
        snprintf(o.principal, sizeof(o.principal), "%s",
                 vouch_identity_principal(id));
        if (vouch_identity_email(id) != NULL) {
            snprintf(o.email, sizeof(o.email), "%s",
                     vouch_identity_email(id));
        }
        if (vouch_identity_subject(id) != NULL) {
            snprintf(o.subject, sizeof(o.subject), "%s",
                     vouch_identity_subject(id));
        }
        vouch_identity_free(id);
    }
    if (o.rc == 0) {
        assert_int_equal(o.result, VOUCH_AUTHN_OK);
        assert_true(o.principal[0] != '\0');
    } else {
        assert_int_equal(o.rc, VOUCH_EUNAUTHENTICATED);
        assert_true(o.principal[0] == '\0');
        assert_true(o.message[0] != '\0');
    }
    return o;
}

/* Authenticate "Bearer TOKEN" and expect `want`. */
static outcome expect(vouch_authn *a, const vouch_auth_config *cfg,
                      const char *token, vouch_authn_result want)
{
    char header[8300];
    outcome o;

    snprintf(header, sizeof(header), "Bearer %s", token);
    o = authenticate(a, cfg, header);
    if (o.result != want) {
        fail_msg("expected %s, got %s: %s", vouch_authn_result_name(want),
                 vouch_authn_result_name(o.result), o.message);
    }
    assert_not_quoted(o.message, token);
    return o;
}

/* ---- static tokens --------------------------------------------------- */

static void test_authn_static_tokens(void **state)
{
    vouch_auth_config *cfg = config(oidc_file("https://ci.example.com",
                                              "static"), NULL);
    vouch_authn *a = authn_new();
    vouch_identity *id = NULL;
    outcome o;

    (void)state;
    set_now(T0);
    o = expect(a, cfg, ALICE_TOKEN, VOUCH_AUTHN_OK);
    assert_string_equal(o.principal, "user:alice@example.com");
    assert_string_equal(o.email, "alice@example.com");
    assert_string_equal(o.subject, "");
    assert_int_equal(vouch_authn_authenticate(a, cfg, "Bearer alice-token",
                                              18, &id, NULL, NULL),
                     0);
    assert_int_equal(vouch_identity_method(id), VOUCH_AUTHN_STATIC_TOKEN);
    assert_null(vouch_identity_issuer(id));
    assert_int_equal(vouch_identity_expires(id), 0);
    vouch_identity_free(id);
    /* the scheme is case-insensitive; blanks around the token are fine */
    o = authenticate(a, cfg, "bearer   alice-token  ");
    assert_string_equal(o.principal, "user:alice@example.com");
    /* a near miss is just an unknown token */
    o = expect(a, cfg, "alice-token2", VOUCH_AUTHN_UNKNOWN_TOKEN);
    o = expect(a, cfg, "Alice-token", VOUCH_AUTHN_UNKNOWN_TOKEN);
    /* the header's form */
    o = authenticate(a, cfg, NULL);
    assert_int_equal(o.result, VOUCH_AUTHN_NO_TOKEN);
    o = authenticate(a, cfg, "");
    assert_int_equal(o.result, VOUCH_AUTHN_NO_TOKEN);
    o = authenticate(a, cfg, "Basic YWxpY2U6cHc=");
    assert_int_equal(o.result, VOUCH_AUTHN_MALFORMED);
    o = authenticate(a, cfg, "Bearer ");
    assert_int_equal(o.result, VOUCH_AUTHN_MALFORMED);
    o = authenticate(a, cfg, "Bearer alice token");
    assert_int_equal(o.result, VOUCH_AUTHN_MALFORMED);
    o = authenticate(a, cfg, "Beareralice-token");
    assert_int_equal(o.result, VOUCH_AUTHN_MALFORMED);
    /* no config: nobody */
    o = authenticate(a, NULL, "Bearer alice-token");
    assert_int_equal(o.result, VOUCH_AUTHN_UNKNOWN_TOKEN);
    assert_string_equal(vouch_authn_result_name(VOUCH_AUTHN_EXPIRED),
                        "EXPIRED");
    vouch_authn_free(a);
    vouch_auth_config_free(cfg);
}

/* ---- algorithms ---------------------------------------------------------- */

static void test_authn_algorithms(void **state)
{
    vouch_auth_config *cfg = config(oidc_file("https://ci.example.com",
                                              "algs"), NULL);
    vouch_authn *a = authn_new();
    vouch_identity *id = NULL;
    char header[8300];
    char *tok;
    outcome o;

    (void)state;
    set_now(T0);
    serve("algs", NULL, "rsa1,ec1,ed1");
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               CLAIMS("https://ci.example.com"));
    o = expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_string_equal(o.principal,
                        "principal://ci.example.com/subject/ci-runner");
    assert_string_equal(o.subject, o.principal);
    assert_string_equal(o.email, "");
    snprintf(header, sizeof(header), "Bearer %s", tok);
    assert_int_equal(vouch_authn_authenticate(a, cfg, header, strlen(header),
                                              &id, NULL, NULL),
                     0);
    assert_int_equal(vouch_identity_method(id), VOUCH_AUTHN_OIDC);
    assert_string_equal(vouch_identity_issuer(id), "https://ci.example.com");
    assert_int_equal(vouch_identity_expires(id), T0 + 600);
    vouch_identity_free(id);
    free(tok);
    tok = mint("ec1", "ES256", "{\"kid\": \"ec1\"}",
               CLAIMS("https://ci.example.com"));
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    free(tok);
    tok = mint("ed1", "EdDSA", "{\"kid\": \"ed1\"}",
               CLAIMS("https://ci.example.com"));
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    free(tok);
    vouch_authn_free(a);
    vouch_auth_config_free(cfg);
}

static void test_authn_refused_algorithms(void **state)
{
    vouch_auth_config *cfg = config(oidc_file("https://ci.example.com",
                                              "refused"), NULL);
    vouch_authn *a = authn_new();
    char *tok;
    outcome o;

    (void)state;
    set_now(T0);
    serve("refused", NULL, "rsa1,ec1");
    /* alg none: no signature at all */
    tok = mint("rsa1", "none", "{\"kid\": \"rsa1\"}",
               CLAIMS("https://ci.example.com"));
    o = expect(a, cfg, tok, VOUCH_AUTHN_BAD_ALGORITHM);
    assert_non_null(strstr(o.message, "\"none\" is refused"));
    free(tok);
    /* HS256 keyed with the bytes of the issuer's public key */
    tok = mint("rsa1", "HS256-pubkey", "{\"kid\": \"rsa1\"}",
               CLAIMS("https://ci.example.com"));
    o = expect(a, cfg, tok, VOUCH_AUTHN_BAD_ALGORITHM);
    assert_non_null(strstr(o.message, "\"HS256\" is refused"));
    free(tok);
    /* a real signature with an algorithm vouch does not accept */
    tok = mint("rsa1", "RS512", "{\"kid\": \"rsa1\"}",
               CLAIMS("https://ci.example.com"));
    expect(a, cfg, tok, VOUCH_AUTHN_BAD_ALGORITHM);
    free(tok);
    tok = mint("rsa1", "PS256", "{\"kid\": \"rsa1\"}",
               CLAIMS("https://ci.example.com"));
    expect(a, cfg, tok, VOUCH_AUTHN_BAD_ALGORITHM);
    free(tok);
    /* ES256 naming the RSA key: no ES256 key has that kid */
    tok = mint("ec1", "ES256", "{\"kid\": \"rsa1\"}",
               CLAIMS("https://ci.example.com"));
    o = expect(a, cfg, tok, VOUCH_AUTHN_UNKNOWN_KEY);
    assert_non_null(strstr(o.message, "names key \"rsa1\" (ES256)"));
    free(tok);
    vouch_authn_free(a);
    vouch_auth_config_free(cfg);
}

/* ---- keys and signatures ----------------------------------------------- */

static void test_authn_keys(void **state)
{
    vouch_auth_config *cfg = config(oidc_file("https://ci.example.com",
                                              "keys"), NULL);
    vouch_authn *a = authn_new();
    char spliced[8192];
    char *other;
    char *tok;
    char *dot;
    outcome o;

    (void)state;
    set_now(T0);
    serve("keys", NULL, "rsa1,ec1");
    tok = mint("rsa1", "RS256", "{\"kid\": \"nope\"}",
               CLAIMS("https://ci.example.com"));
    o = expect(a, cfg, tok, VOUCH_AUTHN_UNKNOWN_KEY);
    assert_non_null(strstr(o.message, "https://ci.example.com"));
    free(tok);
    tok = mint("rsa1", "RS256", "{}", CLAIMS("https://ci.example.com"));
    o = expect(a, cfg, tok, VOUCH_AUTHN_UNKNOWN_KEY);
    assert_non_null(strstr(o.message, "no \"kid\""));
    free(tok);
    /* signed by another key under a trusted kid */
    tok = mint("rsa2", "RS256", "{\"kid\": \"rsa1\"}",
               CLAIMS("https://ci.example.com"));
    o = expect(a, cfg, tok, VOUCH_AUTHN_BAD_SIGNATURE);
    free(tok);
    /* the claims of one token under the signature of another */
    tok = mint("ec1", "ES256", "{\"kid\": \"ec1\"}",
               CLAIMS("https://ci.example.com"));
    other = mint("ec1", "ES256", "{\"kid\": \"ec1\"}",
                 "{\"iss\": \"https://ci.example.com\", \"aud\": \"vouch\", "
                 "\"sub\": \"root\", \"exp\": %lld}", T0 + 600);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    snprintf(spliced, sizeof(spliced), "%.*s%s",
             (int)(strrchr(other, '.') - other), other, strrchr(tok, '.'));
    expect(a, cfg, spliced, VOUCH_AUTHN_BAD_SIGNATURE);
    /* a changed signature */
    dot = strrchr(tok, '.') + 5;
    *dot = *dot == 'A' ? 'B' : 'A';
    expect(a, cfg, tok, VOUCH_AUTHN_BAD_SIGNATURE);
    free(tok);
    free(other);
    /* garbage that is not a JWT */
    expect(a, cfg, "eyJhbGciOiJSUzI1NiJ9.e30", VOUCH_AUTHN_UNKNOWN_TOKEN);
    expect(a, cfg, "eyJhbGci.eyJzdWIi.c2lnbmF0dXJl", VOUCH_AUTHN_UNKNOWN_TOKEN);
    vouch_authn_free(a);
    vouch_auth_config_free(cfg);
}

/* ---- claims ------------------------------------------------------------ */

static void test_authn_issuer_and_audience(void **state)
{
    vouch_auth_config *cfg = config(oidc_file("https://ci.example.com",
                                              "aud"),
                                    oidc_file("https://other.example.com",
                                              "aud-other"));
    vouch_authn *a = authn_new();
    char *tok;
    outcome o;

    (void)state;
    set_now(T0);
    serve("aud", NULL, "rsa1");
    serve("aud-other", NULL, "ec1");
    /* an issuer that is not configured */
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               CLAIMS("https://evil.example.com"));
    o = expect(a, cfg, tok, VOUCH_AUTHN_UNKNOWN_ISSUER);
    assert_non_null(strstr(o.message, "\"https://evil.example.com\" is not "
                                      "configured"));
    free(tok);
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               "{\"aud\": \"vouch\", \"sub\": \"x\", \"exp\": %lld}",
               T0 + 60);
    expect(a, cfg, tok, VOUCH_AUTHN_UNKNOWN_ISSUER);
    free(tok);
    /* a token claiming the other issuer, signed with this issuer's key:
     * the other issuer's JWKS does not have it */
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               CLAIMS("https://other.example.com"));
    expect(a, cfg, tok, VOUCH_AUTHN_UNKNOWN_KEY);
    free(tok);
    tok = mint("ec1", "ES256", "{\"kid\": \"ec1\"}",
               CLAIMS("https://other.example.com"));
    o = expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_string_equal(o.principal,
                        "principal://other.example.com/subject/ci-runner");
    free(tok);
    /* audience: a string, a list that holds it, a list that does not */
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               "{\"iss\": \"https://ci.example.com\", \"aud\": \"other\", "
               "\"sub\": \"x\", \"exp\": %lld}", T0 + 60);
    o = expect(a, cfg, tok, VOUCH_AUTHN_WRONG_AUDIENCE);
    assert_non_null(strstr(o.message, "audience \"other\", not \"vouch\""));
    free(tok);
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               "{\"iss\": \"https://ci.example.com\", \"aud\": [\"https://"
               "kubernetes.default.svc\", \"vouch\"], \"sub\": "
               "\"system:serviceaccount:ci:deployer\", \"exp\": %lld}",
               T0 + 60);
    o = expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_string_equal(o.principal, "principal://ci.example.com/subject/"
                                     "system:serviceaccount:ci:deployer");
    free(tok);
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               "{\"iss\": \"https://ci.example.com\", \"aud\": [\"a\", "
               "\"vouchx\"], \"sub\": \"x\", \"exp\": %lld}", T0 + 60);
    expect(a, cfg, tok, VOUCH_AUTHN_WRONG_AUDIENCE);
    free(tok);
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               "{\"iss\": \"https://ci.example.com\", \"sub\": \"x\", "
               "\"exp\": %lld}", T0 + 60);
    expect(a, cfg, tok, VOUCH_AUTHN_WRONG_AUDIENCE);
    free(tok);
    vouch_authn_free(a);
    vouch_auth_config_free(cfg);
}

static void test_authn_times(void **state)
{
    vouch_auth_config *cfg = config(oidc_file("https://ci.example.com",
                                              "times"), NULL);
    vouch_authn *a = authn_new();
    char *tok;
    outcome o;

    (void)state;
    serve("times", NULL, "ed1");
    tok = mint("ed1", "EdDSA", "{\"kid\": \"ed1\"}",
               "{\"iss\": \"https://ci.example.com\", \"aud\": \"vouch\", "
               "\"sub\": \"x\", \"nbf\": %lld, \"exp\": %lld}", T0, T0 + 600);
    /* clock skew within the 60 s leeway on both sides */
    set_now(T0 - 59);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    set_now(T0 + 600 + 59);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    /* past the leeway */
    set_now(T0 - 61);
    o = expect(a, cfg, tok, VOUCH_AUTHN_NOT_YET_VALID);
    assert_non_null(strstr(o.message, "not valid for another 61 s"));
    set_now(T0 + 600 + 61);
    o = expect(a, cfg, tok, VOUCH_AUTHN_EXPIRED);
    assert_non_null(strstr(o.message, "expired 61 s ago"));
    free(tok);
    set_now(T0);
    /* exp is required, and must be a number */
    tok = mint("ed1", "EdDSA", "{\"kid\": \"ed1\"}",
               "{\"iss\": \"https://ci.example.com\", \"aud\": \"vouch\", "
               "\"sub\": \"x\"}");
    o = expect(a, cfg, tok, VOUCH_AUTHN_BAD_CLAIMS);
    assert_non_null(strstr(o.message, "no \"exp\""));
    free(tok);
    tok = mint("ed1", "EdDSA", "{\"kid\": \"ed1\"}",
               "{\"iss\": \"https://ci.example.com\", \"aud\": \"vouch\", "
               "\"sub\": \"x\", \"exp\": \"%lld\"}", T0 + 60);
    expect(a, cfg, tok, VOUCH_AUTHN_BAD_CLAIMS);
    free(tok);
    tok = mint("ed1", "EdDSA", "{\"kid\": \"ed1\"}",
               "{\"iss\": \"https://ci.example.com\", \"aud\": \"vouch\", "
               "\"sub\": \"x\", \"exp\": %lld.75}", T0 + 60);
    expect(a, cfg, tok, VOUCH_AUTHN_OK);
    free(tok);
    vouch_authn_free(a);
    vouch_auth_config_free(cfg);
}

static void test_authn_principals(void **state)
{
    vouch_auth_config *cfg = config(oidc_file("https://CI.example.com:8443",
                                              "who"), NULL);
    vouch_authn *a = authn_new();
    char *tok;
    outcome o;

    (void)state;
    set_now(T0);
    serve("who", NULL, "rsa1");
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               "{\"iss\": \"https://CI.example.com:8443\", \"aud\": "
               "\"vouch\", \"sub\": \"1234\", \"email\": "
               "\"Deployer@Example.com\", \"email_verified\": true, "
               "\"exp\": %lld}", T0 + 60);
    o = expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_string_equal(o.principal, "serviceAccount:deployer@example.com");
    assert_string_equal(o.email, "deployer@example.com");
    assert_string_equal(o.subject, "");
    free(tok);
    /* an e-mail that is not verified does not name the caller */
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               "{\"iss\": \"https://CI.example.com:8443\", \"aud\": "
               "\"vouch\", \"sub\": \"1234\", \"email\": \"d@example.com\", "
               "\"email_verified\": \"true\", \"exp\": %lld}", T0 + 60);
    o = expect(a, cfg, tok, VOUCH_AUTHN_OK);
    assert_string_equal(o.principal,
                        "principal://ci.example.com:8443/subject/1234");
    free(tok);
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               "{\"iss\": \"https://CI.example.com:8443\", \"aud\": "
               "\"vouch\", \"email\": \"d@example.com\", \"exp\": %lld}",
               T0 + 60);
    o = expect(a, cfg, tok, VOUCH_AUTHN_BAD_CLAIMS);
    assert_non_null(strstr(o.message, "no verified \"email\" and no usable "
                                      "\"sub\""));
    free(tok);
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               "{\"iss\": \"https://CI.example.com:8443\", \"aud\": "
               "\"vouch\", \"sub\": \"a b\", \"exp\": %lld}", T0 + 60);
    expect(a, cfg, tok, VOUCH_AUTHN_BAD_CLAIMS);
    free(tok);
    tok = mint("rsa1", "RS256", "{\"kid\": \"rsa1\"}",
               "{\"iss\": \"https://CI.example.com:8443\", \"aud\": "
               "\"vouch\", \"email\": \"not an email\", \"email_verified\": "
               "true, \"exp\": %lld}", T0 + 60);
    expect(a, cfg, tok, VOUCH_AUTHN_BAD_CLAIMS);
    free(tok);
    vouch_authn_free(a);
    vouch_auth_config_free(cfg);
}

/* ---- https -------------------------------------------------------------- */

static void test_authn_https_jwks(void **state)
{
    vouch_auth_config *cfg = config(oidc_url("https://ci.example.com",
                                             https_base, "jwks/web", true),
                                    oidc_url("https://noca.example.com",
                                             https_base, "jwks/noca", false));
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

static void test_authn_plain_http_refused(void **state)
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
             http_base);
    assert_int_equal(vouch_auth_config_parse(&cfg, doc, strlen(doc),
                                             "auth.json", &err),
                     VOUCH_EINVAL);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "plain http is refused"));

    /* an https JWKS that redirects to http is not followed; https to a
     * port that speaks plain HTTP fails in the handshake */
    serve("plain", NULL, "rsa1");
    snprintf(mixed, sizeof(mixed), "https://%s", http_base + strlen("http://"));
    cfg = config(oidc_url("https://ci.example.com", https_base,
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

static void test_authn_http_errors(void **state)
{
    vouch_auth_config *cfg = config(oidc_url("https://ci.example.com",
                                             https_base, "jwks/absent", true),
                                    oidc_url("https://big.example.com",
                                             https_base, "big/large", true));
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

static void test_authn_cache_control(void **state)
{
    vouch_auth_config *cfg = config(oidc_url("https://ci.example.com",
                                             https_base, "jwks/cc", true),
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

static void test_authn_refetch_once_a_minute(void **state)
{
    vouch_auth_config *cfg = config(oidc_url("https://ci.example.com",
                                             https_base, "jwks/rot", true),
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

static void test_authn_fetch_failures(void **state)
{
    vouch_auth_config *cfg = config(oidc_url("https://ci.example.com",
                                             https_base, "jwks/flaky", true),
                                    oidc_url("https://late.example.com",
                                             https_base, "jwks/late", true));
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

static void test_authn_prefetch(void **state)
{
    vouch_auth_config *cfg = config(oidc_url("https://ci.example.com",
                                             https_base, "jwks/pre", true),
                                    oidc_url("https://down.example.com",
                                             https_base, "jwks/down", true));
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

static void test_authn_threads(void **state)
{
    vouch_auth_config *cfg = config(oidc_url("https://ci.example.com",
                                             https_base, "jwks/crowd", true),
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

static const char *need(const char *name)
{
    const char *v = getenv(name);

    if (v == NULL || v[0] == '\0') {
        fprintf(stderr, "test_authn: %s is not set; run it through "
                        "tests/auth/harness.py\n", name);
        exit(2);
    }
    return v;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authn_static_tokens),
        cmocka_unit_test(test_authn_algorithms),
        cmocka_unit_test(test_authn_refused_algorithms),
        cmocka_unit_test(test_authn_keys),
        cmocka_unit_test(test_authn_issuer_and_audience),
        cmocka_unit_test(test_authn_times),
        cmocka_unit_test(test_authn_principals),
        cmocka_unit_test(test_authn_https_jwks),
        cmocka_unit_test(test_authn_plain_http_refused),
        cmocka_unit_test(test_authn_http_errors),
        cmocka_unit_test(test_authn_cache_control),
        cmocka_unit_test(test_authn_refetch_once_a_minute),
        cmocka_unit_test(test_authn_fetch_failures),
        cmocka_unit_test(test_authn_prefetch),
        cmocka_unit_test(test_authn_threads),
    };
    int rc;

    dir = need("VOUCH_AUTH_DIR");
    https_base = need("VOUCH_AUTH_HTTPS");
    http_base = need("VOUCH_AUTH_HTTP");
    ca_file = need("VOUCH_AUTH_CA");
    mint_cmd = need("VOUCH_AUTH_MINT");
    /* as vouchd's main does, before any thread */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
