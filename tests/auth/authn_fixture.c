/*
 * Fixtures of the live authentication tests (authn_fixture.h).
 */
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

#include "authn_fixture.h"

const char *fx_dir;
const char *fx_https;
const char *fx_http;
const char *fx_ca;
static const char *mint_cmd;
static int64_t now_ms;

static int64_t fake_clock(void *payload)
{
    (void)payload;
    return __atomic_load_n(&now_ms, __ATOMIC_RELAXED);
}

void set_now(int64_t seconds)
{
    __atomic_store_n(&now_ms, seconds * 1000, __ATOMIC_RELAXED);
}

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
void serve(const char *name, const char *cc, const char *keys)
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

        snprintf(path, sizeof(path), "%s/keys/%s.jwk.json", fx_dir, k);
        jwk = json_load_file(path, 0, &jerr);
        assert_non_null(jwk);
        json_array_append_new(set, jwk);
    }
    doc = json_pack("{s:o}", "keys", set);
    text = json_dumps(doc, 0);
    snprintf(path, sizeof(path), "%s/www/%s.json", fx_dir, name);
    write_text(path, text);
    snprintf(path, sizeof(path), "%s/www/%s.cc", fx_dir, name);
    if (cc != NULL) {
        write_text(path, cc);
    } else {
        unlink(path);
    }
    free(text);
    json_decref(doc);
}

void unserve(const char *name)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/www/%s.json", fx_dir, name);
    unlink(path);
}

int fetches(const char *name)
{
    char path[512];
    char *text;
    int n;

    snprintf(path, sizeof(path), "%s/www/%s.count", fx_dir, name);
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
char *mint(const char *key, const char *alg, const char *header,
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
    snprintf(hpath, sizeof(hpath), "%s/header.json", fx_dir);
    snprintf(cpath, sizeof(cpath), "%s/claims.json", fx_dir);
    write_text(hpath, header);
    write_text(cpath, claims);
    snprintf(cmd, sizeof(cmd), "%s %s %s %s %s %s", mint_cmd, fx_dir, key, alg,
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

/* An oidc entry reading www/NAME.json from disk. */
char *oidc_file(const char *issuer, const char *name)
{
    char buf[1024];

    snprintf(buf, sizeof(buf),
             "{\"issuer\": \"%s\", \"audience\": \"vouch\", "
             "\"jwks\": \"file://%s/www/%s.json\"}", issuer, fx_dir, name);
    return strdup(buf);
}

/* An oidc entry fetching BASE/PATH over https, with the test CA when
 * `with_ca`. */
char *oidc_url(const char *issuer, const char *base, const char *path,
                      bool with_ca)
{
    char buf[1024];

    if (with_ca) {
        snprintf(buf, sizeof(buf),
                 "{\"issuer\": \"%s\", \"audience\": \"vouch\", \"jwks\": "
                 "{\"url\": \"%s/%s\", \"ca\": \"%s\"}}", issuer, base, path,
                 fx_ca);
    } else {
        snprintf(buf, sizeof(buf),
                 "{\"issuer\": \"%s\", \"audience\": \"vouch\", \"jwks\": "
                 "\"%s/%s\"}", issuer, base, path);
    }
    return strdup(buf);
}

/* A config with alice's static token and the oidc entries (taken). */
vouch_auth_config *config(char *oidc1, char *oidc2)
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

vouch_authn *authn_new(void)
{
    vouch_authn_options opts = VOUCH_AUTHN_OPTIONS_INIT;
    vouch_authn *a = NULL;

    opts.clock.now_ms = fake_clock;
    opts.fetch_timeout_ms = 20000;
    assert_int_equal(vouch_authn_new(&a, &opts, NULL), 0);
    return a;
}

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

outcome authenticate(vouch_authn *a, const vouch_auth_config *cfg,
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
outcome expect(vouch_authn *a, const vouch_auth_config *cfg,
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


void fx_init(void)
{
    fx_dir = need("VOUCH_AUTH_DIR");
    fx_https = need("VOUCH_AUTH_HTTPS");
    fx_http = need("VOUCH_AUTH_HTTP");
    fx_ca = need("VOUCH_AUTH_CA");
    mint_cmd = need("VOUCH_AUTH_MINT");
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void fx_done(void)
{
    curl_global_cleanup();
}
