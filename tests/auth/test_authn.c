/*
 * Tests of bearer authentication (src/auth/authn.c) with real keys (openssl
 * genpkey), tokens signed by PyJWT and JWKS read from files; run by
 * harness.py (authn_fixture.h). The authenticator's clock is moved by hand.
 *
 *   static:     static tokens, the Authorization header's form
 *   algorithms: RS256, ES256, EdDSA; alg none; HS256 with the public key
 *               as secret; other algorithms; a kid of another key type
 *   keys:       kid not in the JWKS; no kid; wrong key; tampering
 *   claims:     another issuer; audience (string, list); exp, nbf and
 *               the leeway; a token signed for another issuer
 *   principal:  serviceAccount: from a verified e-mail; principal://
 * Every refusal is also checked not to quote the token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "authn_fixture.h"

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
    };
    int rc;

    fx_init();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    fx_done();
    return rc;
}
