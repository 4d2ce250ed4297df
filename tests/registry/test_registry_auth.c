/*
 * Offline tests for src/registry/auth.c and the pure parts of
 * src/registry/registry.c. No network.
 *
 * Sections:
 *   challenge     vouch__auth_challenge_parse (WWW-Authenticate)
 *   credentials   vouch__credentials_parse / _find, vouch_registry_new
 *   token         vouch__token_parse
 *   hosts         vouch__registry_endpoint
 * (host lists, addresses, error codes, Retry-After: test_registry_rules.c)
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

#include "registry.h"
#include "registry_internal.h"

#define S(lit) lit, sizeof(lit) - 1

/* ---- challenge ---- */

static void test_registry_auth_challenge_bearer(void **state)
{
    vouch__auth_challenge ch;

    (void)state;
    assert_int_equal(vouch__auth_challenge_parse(&ch, S(
        "Bearer realm=\"https://auth.docker.io/token\","
        "service=\"registry.docker.io\",scope=\"repository:lib/x:pull\""),
        NULL), 0);
    assert_int_equal(ch.scheme, VOUCH__AUTH_BEARER);
    assert_string_equal(ch.realm, "https://auth.docker.io/token");
    assert_string_equal(ch.service, "registry.docker.io");
    assert_string_equal(ch.scope, "repository:lib/x:pull");
    vouch__auth_challenge_clear(&ch);
}

static void test_registry_auth_challenge_tokens_spaces_escapes(void **state)
{
    vouch__auth_challenge ch;

    (void)state;
    assert_int_equal(vouch__auth_challenge_parse(&ch, S(
        "  bearer  realm = \"a\\\"b\" , error=insufficient_scope ,"
        " service=svc.example"), NULL), 0);
    assert_int_equal(ch.scheme, VOUCH__AUTH_BEARER);
    assert_string_equal(ch.realm, "a\"b");
    assert_string_equal(ch.service, "svc.example");
    assert_null(ch.scope);
    vouch__auth_challenge_clear(&ch);
}

static void test_registry_auth_challenge_basic_and_other(void **state)
{
    vouch__auth_challenge ch;

    (void)state;
    assert_int_equal(vouch__auth_challenge_parse(&ch, S(
        "Basic realm=\"basic-realm\""), NULL), 0);
    assert_int_equal(ch.scheme, VOUCH__AUTH_BASIC);
    assert_string_equal(ch.realm, "basic-realm");
    vouch__auth_challenge_clear(&ch);

    assert_int_equal(vouch__auth_challenge_parse(&ch, S("Negotiate"), NULL),
                     0);
    assert_int_equal(ch.scheme, VOUCH__AUTH_OTHER);
    vouch__auth_challenge_clear(&ch);

    /* only the first of two challenges counts */
    assert_int_equal(vouch__auth_challenge_parse(&ch, S(
        "Bearer realm=\"r1\", Basic realm=\"r2\""), NULL), 0);
    assert_int_equal(ch.scheme, VOUCH__AUTH_BEARER);
    assert_string_equal(ch.realm, "r1");
    vouch__auth_challenge_clear(&ch);
}

static void test_registry_auth_challenge_rejects_malformed(void **state)
{
    vouch__auth_challenge ch;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch__auth_challenge_parse(&ch, S(
        "Bearer realm=\"never closed"), &err), VOUCH_EPARSE);
    assert_int_equal(err.column, 14);
    assert_string_equal(err.message, "unterminated quoted parameter value");
    assert_null(ch.realm);

    assert_int_equal(vouch__auth_challenge_parse(&ch, S(""), &err),
                     VOUCH_EPARSE);
    assert_non_null(strstr(err.message, "authentication scheme"));

    assert_int_equal(vouch__auth_challenge_parse(&ch, S(
        "Bearer realm=\"a\" service=\"b\""), &err), VOUCH_EPARSE);
    assert_string_equal(err.message, "expected ',' between parameters");
    assert_int_equal(err.column, 18);

    assert_int_equal(vouch__auth_challenge_parse(&ch, S(
        "Bearer realm=a,realm=b"), &err), VOUCH_EPARSE);
    assert_string_equal(err.message, "parameter given twice");

    assert_int_equal(vouch__auth_challenge_parse(&ch, S(
        "Bearer realm="), &err), VOUCH_EPARSE);
    assert_non_null(strstr(err.message, "expected a parameter value"));

    assert_int_equal(vouch__auth_challenge_parse(&ch, S(
        "Bearer realm=\"a\nb\""), &err), VOUCH_EPARSE);
    assert_non_null(strstr(err.message, "control character"));

    assert_int_equal(vouch__auth_challenge_parse(&ch, S(
        "Bearer\"realm"), &err), VOUCH_EPARSE);
    assert_non_null(strstr(err.message, "space after the authentication"));
}

static void test_registry_auth_challenge_limits(void **state)
{
    vouch__auth_challenge ch;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t n = VOUCH_REGISTRY_CHALLENGE_MAX_BYTES + 1;
    char *big = malloc(n);
    char param[4000];

    (void)state;
    assert_non_null(big);
    memset(big, 'a', n);
    assert_int_equal(vouch__auth_challenge_parse(&ch, big, n, &err),
                     VOUCH_ETOOBIG);
    free(big);

    memcpy(param, "Bearer realm=", 13);
    memset(param + 13, 'x', 2100);
    assert_int_equal(vouch__auth_challenge_parse(&ch, param, 13 + 2100,
                                                 &err), VOUCH_ETOOBIG);
    assert_int_equal(err.column, 14);
}

static void test_registry_auth_challenge_reads_only_len(void **state)
{
    vouch__auth_challenge ch;
    /* the quote closing the value lies past `len` */
    static const char text[] = "Bearer realm=\"abc\"";

    (void)state;
    assert_int_equal(vouch__auth_challenge_parse(&ch, text, sizeof(text) - 2,
                                                 NULL), VOUCH_EPARSE);
    assert_int_equal(vouch__auth_challenge_parse(&ch, text, 16, NULL),
                     VOUCH_EPARSE);
}

/* ---- credentials ---- */

static void test_registry_auth_credentials_both_forms(void **state)
{
    vouch__credentials *c = NULL;
    const vouch__credential *one;
    /* "dXNlcjpwYTpzcw==" is base64 of "user:pa:ss" */
    static const char doc[] =
        "{\"auths\": {"
        "\"127.0.0.1:5000\": {\"username\": \"alice\", \"password\": \"s3\"},"
        "\"https://index.docker.io/v1/\": {\"auth\": \"dXNlcjpwYTpzcw==\"},"
        "\"Quay.IO\": {\"auth\": \"dXNlcjpwYTpzcw\"}}}";

    (void)state;
    assert_int_equal(vouch__credentials_parse(&c, S(doc), "c.json", NULL), 0);
    assert_int_equal(c->count, 3);
    one = vouch__credentials_find(c, "127.0.0.1:5000");
    assert_non_null(one);
    assert_string_equal(one->username, "alice");
    assert_string_equal(one->password, "s3");
    one = vouch__credentials_find(c, "docker.io");
    assert_non_null(one);
    assert_string_equal(one->username, "user");
    assert_string_equal(one->password, "pa:ss");
    assert_non_null(vouch__credentials_find(c, "quay.io"));
    assert_null(vouch__credentials_find(c, "127.0.0.1:5001"));
    assert_null(vouch__credentials_find(NULL, "docker.io"));
    vouch__credentials_free(c);
}

static void test_registry_auth_credentials_rejects_bad_files(void **state)
{
    vouch__credentials *c = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch__credentials_parse(&c, S("{\n \"auths\": {,}}"),
                                              "c.json", &err), VOUCH_EPARSE);
    assert_int_equal(err.line, 2);
    assert_string_equal(err.source, "c.json");
    assert_null(c);

    assert_int_equal(vouch__credentials_parse(&c, S("{\"auth\": {}}"),
                                              "c.json", &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "auths"));

    assert_int_equal(vouch__credentials_parse(&c, S(
        "{\"auths\": {\"h\": {\"username\": \"u\"}}}"), "c.json", &err),
        VOUCH_EINVAL);
    assert_string_equal(err.message, "auths.\"h\": username and password "
                        "must both be strings");

    assert_int_equal(vouch__credentials_parse(&c, S(
        "{\"auths\": {\"h\": {\"auth\": \"!!!\"}}}"), "c.json", &err),
        VOUCH_EINVAL);
    assert_string_equal(err.message, "auths.\"h\".auth is not base64");

    /* base64 of "nocolon" */
    assert_int_equal(vouch__credentials_parse(&c, S(
        "{\"auths\": {\"h\": {\"auth\": \"bm9jb2xvbg==\"}}}"), "c.json",
        &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "username:password"));

    assert_int_equal(vouch__credentials_parse(&c, S(
        "{\"auths\": {\"h\": {}}}"), "c.json", &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "\"auth\""));

    assert_int_equal(vouch__credentials_parse(&c, S(
        "{\"auths\": {\"h\": 7}}"), "c.json", &err), VOUCH_EINVAL);
    assert_string_equal(err.message, "auths.\"h\" must be an object");

    assert_int_equal(vouch__credentials_parse(&c, S(
        "{\"auths\": {\"https:///x\": {\"auth\": \"dTpw\"}}}"), "c.json",
        &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "not a registry host"));

    assert_int_equal(vouch__credentials_parse(&c, S(
        "{\"auths\": {\"h\": {\"username\": \"\", \"password\": \"p\"}}}"),
        "c.json", &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "non-empty"));

    /* the secret never appears in a message */
    assert_int_equal(vouch__credentials_parse(&c, S(
        "{\"auths\": {\"h\": {\"username\": \"a:b\", \"password\": "
        "\"hunter2\"}}}"), "c.json", &err), VOUCH_EINVAL);
    assert_null(strstr(err.message, "hunter2"));
}

static void test_registry_auth_credentials_limit(void **state)
{
    vouch__credentials *c = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    /* the limit is checked before the bytes are read */
    size_t over = VOUCH_REGISTRY_CREDENTIALS_MAX_BYTES + 1;

    (void)state;
    assert_int_equal(vouch__credentials_parse(&c, "{", over, "c.json", &err),
                     VOUCH_ETOOBIG);
}

static void test_registry_auth_new_reads_credentials_file(void **state)
{
    char path[] = "/tmp/vouch-creds-XXXXXX";
    int fd = mkstemp(path);
    static const char bad[] = "{\"auths\": {\"h\": {\"auth\": 1}}}";
    vouch_registry_options opts = VOUCH_REGISTRY_OPTIONS_INIT;
    vouch_registry *reg = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)sizeof(bad) - 1);
    close(fd);
    opts.credentials_file = path;
    assert_int_equal(vouch_registry_new(&reg, &opts, &err), VOUCH_EINVAL);
    assert_null(reg);
    assert_string_equal(err.source, path);
    unlink(path);

    assert_int_equal(vouch_registry_new(&reg, &opts, &err), VOUCH_EIO);
    assert_non_null(strstr(err.message, "cannot open the registry "
                           "credentials"));

    opts.credentials_file = NULL;
    assert_int_equal(vouch_registry_new(&reg, &opts, &err), 0);
    vouch_registry_free(reg);
    assert_int_equal(vouch_registry_new(&reg, NULL, &err), 0);
    vouch_registry_free(reg);
    vouch_registry_free(NULL);
}

static void test_registry_auth_new_validates_options(void **state)
{
    vouch_registry_options opts = VOUCH_REGISTRY_OPTIONS_INIT;
    vouch_registry *reg = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    opts.version = 99;
    assert_int_equal(vouch_registry_new(&reg, &opts, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "options version 99"));
    opts.version = VOUCH_REGISTRY_OPTIONS_VERSION;
    opts.total_timeout_ms = 0;
    assert_int_equal(vouch_registry_new(&reg, &opts, &err), VOUCH_EINVAL);
    opts.total_timeout_ms = 1000;
    opts.max_retries = 11;
    assert_int_equal(vouch_registry_new(&reg, &opts, &err), VOUCH_EINVAL);
    opts.max_retries = 1;
    opts.cache_ttl_ms = -1;
    assert_int_equal(vouch_registry_new(&reg, &opts, &err), VOUCH_EINVAL);
    assert_null(reg);
    opts.cache_ttl_ms = 0;
    {
        static const char *const bad[] = { "ok.example:5000", "::1", NULL };
        opts.allowed_hosts = bad;
        assert_int_equal(vouch_registry_new(&reg, &opts, &err),
                         VOUCH_EINVAL);
        assert_string_equal(err.message, "allowed_hosts[1] '::1' is not "
                            "HOST, HOST:PORT or [IPV6]:PORT");
        assert_null(reg);
    }
}

/* ---- token ---- */

static void test_registry_auth_token_forms(void **state)
{
    char *tok = NULL;
    long exp = 0;

    (void)state;
    assert_int_equal(vouch__token_parse(S("{\"token\": \"abc.def\", "
                                          "\"expires_in\": 300}"),
                                        &tok, &exp, NULL), 0);
    assert_string_equal(tok, "abc.def");
    assert_int_equal(exp, 300);
    free(tok);
    assert_int_equal(vouch__token_parse(S("{\"access_token\": \"xyz\"}"),
                                        &tok, &exp, NULL), 0);
    assert_string_equal(tok, "xyz");
    assert_int_equal(exp, 60);
    free(tok);
    /* an empty "token" falls back to "access_token" */
    assert_int_equal(vouch__token_parse(S("{\"token\": \"\", "
                                          "\"access_token\": \"q\"}"),
                                        &tok, &exp, NULL), 0);
    assert_string_equal(tok, "q");
    free(tok);
}

static void test_registry_auth_token_rejects_bad_answers(void **state)
{
    char *tok = NULL;
    long exp = 0;
    vouch_error err = VOUCH_ERROR_INIT;
    char big[VOUCH_REGISTRY_TOKEN_MAX_BYTES + 2];

    (void)state;
    assert_int_equal(vouch__token_parse(S("not json"), &tok, &exp, &err),
                     VOUCH_EPARSE);
    assert_int_equal(err.line, 1);
    assert_int_equal(vouch__token_parse(S("{}"), &tok, &exp, &err),
                     VOUCH_EINVAL);
    assert_string_equal(err.message,
                        "no \"token\" or \"access_token\" string");
    assert_int_equal(vouch__token_parse(S("{\"token\": \"a b\"}"), &tok,
                                        &exp, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "offset 1"));
    assert_int_equal(vouch__token_parse(S("{\"token\": \"a\\r\\nX: y\"}"),
                                        &tok, &exp, &err), VOUCH_EINVAL);
    assert_null(strstr(err.message, "X: y"));
    assert_int_equal(vouch__token_parse(S("{\"token\": \"t\", "
                                          "\"expires_in\": 0}"),
                                        &tok, &exp, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "expires_in"));
    assert_int_equal(vouch__token_parse(S("{\"token\": \"t\", "
                                          "\"expires_in\": \"9\"}"),
                                        &tok, &exp, &err), VOUCH_EINVAL);
    assert_null(tok);
    memset(big, ' ', sizeof(big));
    assert_int_equal(vouch__token_parse(big, sizeof(big), &tok, &exp, &err),
                     VOUCH_ETOOBIG);
}

/* ---- hosts ---- */

static void test_registry_auth_endpoint(void **state)
{
    (void)state;
    assert_string_equal(vouch__registry_endpoint("docker.io"),
                        "registry-1.docker.io");
    assert_string_equal(vouch__registry_endpoint("gcr.io"), "gcr.io");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_auth_challenge_bearer),
        cmocka_unit_test(test_registry_auth_challenge_tokens_spaces_escapes),
        cmocka_unit_test(test_registry_auth_challenge_basic_and_other),
        cmocka_unit_test(test_registry_auth_challenge_rejects_malformed),
        cmocka_unit_test(test_registry_auth_challenge_limits),
        cmocka_unit_test(test_registry_auth_challenge_reads_only_len),
        cmocka_unit_test(test_registry_auth_credentials_both_forms),
        cmocka_unit_test(test_registry_auth_credentials_rejects_bad_files),
        cmocka_unit_test(test_registry_auth_credentials_limit),
        cmocka_unit_test(test_registry_auth_new_reads_credentials_file),
        cmocka_unit_test(test_registry_auth_new_validates_options),
        cmocka_unit_test(test_registry_auth_token_forms),
        cmocka_unit_test(test_registry_auth_token_rejects_bad_answers),
        cmocka_unit_test(test_registry_auth_endpoint),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
