/*
 * Tests of JWT and JWKS parsing (src/auth/jwt.c, jwks.c, and the
 * Cache-Control lifetime of jwks_fetch.c), offline. Signature checks with
 * real keys and real signers are in test_authn.c.
 *
 *   jwt:   the compact form, base64url strictness, header rules, limits,
 *          and that no error message quotes the token
 *   jwks:  RSA, P-256 and Ed25519 keys; skipped keys;
 *          malformed keys; limits
 *   ttl:   Cache-Control max-age, its floor and ceiling
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "authn.h"
#include "vutil_str.h"
#include "jwks.h"
#include "jwks_cache.h"
#include "jwt.h"

/* Public keys made for these tests (python3-cryptography): RSA 2048,
 * P-256 and Ed25519. */
#define RSA_N                                                             \
    "s-r0BtgRFfZOTgS7RG65gRv2qttDwTedZxIEczuz9OrjxWdDPPIZYK7tEnVpDwebZL" \
    "4g91eB5EBEPPj6548KbBpK8jbTdkWOkfPwCJeMTmeB86E4o-8kVuv3JuceNHBrOM9q" \
    "XGwMUD7UdEtM8RuWDaIv1fMm9IhELiK1Suu5no4hTh8ctyXQrj2su9F0nX5UAcWzGe" \
    "H76RZynppdNo_jPTW3GaDlEPzjIoQfkPB_-XkLgm8l85Xr3JoZvpXB5oZSWHo5RytO" \
    "WRj3PzfIfmDBZTuNmTxqncUbhNYt6_Wc_aT2l_JUsB7dx_n-Srua-MrvkkhqmxppDK" \
    "egVGlLEeyk0w"
#define EC_X "EcvvPbQfZ9D3nLJr-oK-DkqTen1ZYM5rpWAhDkxA-NU"
#define EC_Y "sfpGDYOILrPQUx_O-JNGv4Y8KtYqJb68tsDC8Pem1q4"
#define ED_X "D0Qpf-2jk0k72CX_zTq0LuVGvk27Cpuo1N0Ud8wCWxc"

#define RSA_JWK \
    "{\"kty\":\"RSA\",\"kid\":\"r\",\"n\":\"" RSA_N "\",\"e\":\"AQAB\"}"
#define EC_JWK "{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-256\",\"x\":\"" EC_X \
               "\",\"y\":\"" EC_Y "\"}"
#define ED_JWK "{\"kty\":\"OKP\",\"kid\":\"d\",\"crv\":\"Ed25519\",\"x\":\"" \
               ED_X "\"}"

/* base64url(header) "." base64url(payload) "." sig */
static char *make_token(const char *header, const char *payload,
                        const char *sig)
{
    char *h = NULL;
    char *p = NULL;
    char *out;
    size_t n;

    assert_int_equal(vutil_base64_encode((const unsigned char *)header,
                                         strlen(header), true, &h), 0);
    assert_int_equal(vutil_base64_encode((const unsigned char *)payload,
                                         strlen(payload), true, &p), 0);
    n = strlen(h) + strlen(p) + strlen(sig) + 3;
    out = malloc(n);
    assert_non_null(out);
    snprintf(out, n, "%s.%s.%s", h, p, sig);
    free(h);
    free(p);
    return out;
}

/* Parse `token`; expect `code`; the message must contain `want` and never
 * any part of the token. */
static void expect_jwt_error(const char *token, int code, const char *want)
{
    vouch_jwt *jwt = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    const char *dot = strchr(token, '.');

    assert_int_equal(vouch_jwt_parse(&jwt, token, strlen(token), &err), code);
    assert_null(jwt);
    if (strstr(err.message, want) == NULL) {
        fail_msg("\"%s\" does not contain \"%s\"", err.message, want);
    }
    if (dot != NULL && dot - token > 8) {
        char head[9];

        memcpy(head, token, 8);
        head[8] = '\0';
        assert_null(strstr(err.message, head));
    }
}

/* ---- jwt ---------------------------------------------------------------- */

static void test_jwt_parse_ok(void **state)
{
    char *tok = make_token("{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":\"JWT\"}",
                           "{\"iss\":\"https://a.example\",\"exp\":5}",
                           "AAECAw");
    vouch_jwt *jwt = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    const unsigned char *sig;
    size_t sig_len = 0;
    vouch_slice input;

    (void)state;
    assert_int_equal(vouch_jwt_parse(&jwt, tok, strlen(tok), &err), 0);
    assert_string_equal(vouch_jwt_alg(jwt), "ES256");
    assert_string_equal(vouch_jwt_kid(jwt), "k1");
    assert_int_equal(json_integer_value(json_object_get(
                         vouch_jwt_claims(jwt), "exp")),
                     5);
    input = vouch_jwt_signing_input(jwt);
    assert_int_equal(input.len, (size_t)(strrchr(tok, '.') - tok));
    assert_memory_equal(input.ptr, tok, input.len);
    sig = vouch_jwt_signature(jwt, &sig_len);
    assert_int_equal(sig_len, 4);
    assert_int_equal(sig[3], 3);
    vouch_jwt_free(jwt);
    free(tok);

    /* an unsigned token parses (the caller refuses its alg) */
    tok = make_token("{\"alg\":\"none\"}", "{}", "");
    assert_int_equal(vouch_jwt_parse(&jwt, tok, strlen(tok), &err), 0);
    assert_null(vouch_jwt_kid(jwt));
    vouch_jwt_signature(jwt, &sig_len);
    assert_int_equal(sig_len, 0);
    vouch_jwt_free(jwt);
    free(tok);
}

static void test_jwt_parse_shape(void **state)
{
    char *tok = make_token("{\"alg\":\"RS256\"}", "{}", "AAAA");
    char buf[256];

    (void)state;
    expect_jwt_error("", VOUCH_EPARSE, "expected three base64url parts");
    expect_jwt_error("abc", VOUCH_EPARSE, "expected three base64url parts");
    expect_jwt_error("a.b", VOUCH_EPARSE, "expected three base64url parts");
    snprintf(buf, sizeof(buf), "%s.AAAA", tok);
    expect_jwt_error(buf, VOUCH_EPARSE, "expected three base64url parts");
    expect_jwt_error("..AAAA", VOUCH_EPARSE, "empty");
    /* strict base64url: no padding, no '+' or '/' */
    snprintf(buf, sizeof(buf), "%s=", tok);
    expect_jwt_error(buf, VOUCH_EPARSE, "JWT signature is not base64url");
    snprintf(buf, sizeof(buf), "%s", tok);
    buf[2] = '+';
    expect_jwt_error(buf, VOUCH_EPARSE, "JWT header is not base64url");
    snprintf(buf, sizeof(buf), "%s", tok);
    *strrchr(buf, '.') = '\0';
    strcat(buf, ".A");
    expect_jwt_error(buf, VOUCH_EPARSE, "impossible base64url length");
    free(tok);
}

static void test_jwt_parse_json(void **state)
{
    char *tok;

    (void)state;
    tok = make_token("{\"alg\":", "{}", "AA");
    expect_jwt_error(tok, VOUCH_EPARSE, "JWT header is not JSON");
    free(tok);
    tok = make_token("[\"alg\"]", "{}", "AA");
    expect_jwt_error(tok, VOUCH_EPARSE, "JWT header is not a JSON object");
    free(tok);
    tok = make_token("{\"alg\":\"RS256\"}", "\"just a string\"", "AA");
    expect_jwt_error(tok, VOUCH_EPARSE, "JWT payload is not JSON");
    free(tok);
    /* a repeated claim is refused: which one would count? */
    tok = make_token("{\"alg\":\"RS256\"}",
                     "{\"iss\":\"https://a.example\",\"iss\":\"https://b\"}",
                     "AA");
    expect_jwt_error(tok, VOUCH_EPARSE, "repeats a member name");
    free(tok);
}

static void test_jwt_parse_header_rules(void **state)
{
    char *tok;

    (void)state;
    tok = make_token("{\"typ\":\"JWT\"}", "{}", "AA");
    expect_jwt_error(tok, VOUCH_EINVAL, "no string \"alg\"");
    free(tok);
    tok = make_token("{\"alg\":256}", "{}", "AA");
    expect_jwt_error(tok, VOUCH_EINVAL, "no string \"alg\"");
    free(tok);
    tok = make_token("{\"alg\":\"RS256\",\"kid\":7}", "{}", "AA");
    expect_jwt_error(tok, VOUCH_EINVAL, "\"kid\" is not a string");
    free(tok);
    tok = make_token("{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}", "{}",
                     "AA");
    expect_jwt_error(tok, VOUCH_EINVAL, "\"crit\"");
    free(tok);
}

static void test_jwt_parse_limit(void **state)
{
    size_t n = VOUCH_JWT_MAX_BYTES + 1;
    char *big = malloc(n + 1);
    vouch_jwt *jwt = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char want[128];

    (void)state;
    assert_non_null(big);
    memset(big, 'A', n);
    big[10] = '.';
    big[20] = '.';
    big[n] = '\0';
    assert_int_equal(vouch_jwt_parse(&jwt, big, n, &err), VOUCH_ETOOBIG);
    assert_null(jwt);
    snprintf(want, sizeof(want), "token is %zu bytes, over the limit of %u",
             n, VOUCH_JWT_MAX_BYTES);
    assert_string_equal(err.message, want);
    free(big);
}

/* ---- jwks --------------------------------------------------------------- */

static vouch_jwks *jwks_ok(const char *doc)
{
    vouch_jwks *ks = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (vouch_jwks_parse(&ks, doc, strlen(doc), "jwks.json", &err) != 0) {
        fail_msg("unexpected error: %s", err.message);
    }
    return ks;
}

static void expect_jwks_error(const char *doc, int code, const char *want)
{
    vouch_jwks *ks = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char buf[512];

    assert_int_equal(vouch_jwks_parse(&ks, doc, strlen(doc), "jwks.json",
                                      &err),
                     code);
    assert_null(ks);
    vouch_error_format(&err, buf, sizeof(buf));
    if (strstr(buf, want) == NULL) {
        fail_msg("\"%s\" does not contain \"%s\"", buf, want);
    }
}

static void test_jwks_parse_rfc_keys(void **state)
{
    vouch_jwks *ks = jwks_ok("{\"keys\": [" RSA_JWK "," EC_JWK "," ED_JWK "],"
                             " \"issuer\": \"ignored\"}");

    (void)state;
    assert_int_equal(vouch_jwks_count(ks), 3);
    assert_true(vouch_jwks_has_key(ks, "r", "RS256"));
    assert_true(vouch_jwks_has_key(ks, "e", "ES256"));
    assert_true(vouch_jwks_has_key(ks, "d", "EdDSA"));
    /* a kid only counts with a key of the token's algorithm */
    assert_false(vouch_jwks_has_key(ks, "r", "ES256"));
    assert_false(vouch_jwks_has_key(ks, "e", "RS256"));
    assert_false(vouch_jwks_has_key(ks, "r", "HS256"));
    assert_false(vouch_jwks_has_key(ks, "r", "none"));
    assert_false(vouch_jwks_has_key(ks, "x", "RS256"));
    assert_false(vouch_jwks_has_key(ks, NULL, "RS256"));
    assert_ptr_equal(vouch_jwks_ref(ks), ks);
    vouch_jwks_free(ks);
    vouch_jwks_free(ks);
}

static void test_jwks_parse_skips(void **state)
{
    /* Each of these is skipped, not an error: another issuer's JWKS may
     * well hold keys vouch does not use. */
    vouch_jwks *ks = jwks_ok(
        "{\"keys\": ["
        "{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"},"
        "{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\",\"n\":\"" RSA_N
        "\",\"e\":\"AQAB\"},"
        "{\"kty\":\"RSA\",\"kid\":\"ops\",\"key_ops\":[\"encrypt\"],\"n\":\""
        RSA_N "\",\"e\":\"AQAB\"},"
        "{\"kty\":\"RSA\",\"kid\":\"rs384\",\"alg\":\"RS384\",\"n\":\"" RSA_N
        "\",\"e\":\"AQAB\"},"
        "{\"kty\":\"RSA\",\"n\":\"" RSA_N "\",\"e\":\"AQAB\"},"
        "{\"kty\":\"RSA\",\"kid\":\"small\",\"n\":\""
        "s-r0BtgRFfZOTgS7RG65gRv2qttDwTedZxIEczuz9OrjxWdDPPIZYK7tEnVp"
        "DwebZL4g91eB5EBEPPj6548KbBpK8jbTdkWOkfPwCJeMTmeB86E4o-8kVuv3"
        "JuceNHBrOM9qXGwMUD7UdEtM8RuWDaIv1fMm9IhELiK1Suu5no4\",\"e\":\"AQAB\"},"
        "{\"kty\":\"EC\",\"kid\":\"p384\",\"crv\":\"P-384\",\"x\":\"AA\","
        "\"y\":\"AA\"},"
        "{\"kty\":\"OKP\",\"kid\":\"x\",\"crv\":\"X25519\",\"x\":\"" ED_X "\"},"
        "{\"kty\":\"RSA\",\"kid\":\"ok\",\"use\":\"sig\",\"alg\":\"RS256\","
        "\"key_ops\":[\"verify\"],\"n\":\"" RSA_N "\",\"e\":\"AQAB\"}"
        "]}");

    (void)state;
    assert_int_equal(vouch_jwks_count(ks), 1);
    assert_true(vouch_jwks_has_key(ks, "ok", "RS256"));
    vouch_jwks_free(ks);
}

static void test_jwks_parse_errors(void **state)
{
    (void)state;
    expect_jwks_error("{\"keys\": [\n  {\"kty\": ", VOUCH_EPARSE,
                      "jwks.json:2:");
    expect_jwks_error("{\"key\": []}", VOUCH_EINVAL, "no \"keys\" list");
    expect_jwks_error("{\"keys\": [7]}", VOUCH_EINVAL,
                      "keys[0]: expected a JSON object");
    expect_jwks_error("{\"keys\": [{\"kid\":\"a\"}]}", VOUCH_EINVAL,
                      "keys[0].kty: expected a string");
    expect_jwks_error("{\"keys\": [" EC_JWK ", {\"kty\":\"EC\",\"kid\":\"a\","
                      "\"crv\":\"P-256\",\"x\":\"" EC_X "\",\"y\":\"" EC_Y
                      "\",\"d\":\"" EC_X "\"}]}",
                      VOUCH_EINVAL, "keys[1].d: private key material");
    expect_jwks_error("{\"keys\": [{\"kty\":\"EC\",\"kid\":\"a\",\"crv\":"
                      "\"P-256\",\"x\":\"AAAA\",\"y\":\"" EC_Y "\"}]}",
                      VOUCH_EINVAL, "keys[0].x: expected 32 bytes, found 3");
    /* 32 bytes each, but not a point on the curve */
    expect_jwks_error("{\"keys\": [{\"kty\":\"EC\",\"kid\":\"a\",\"crv\":"
                      "\"P-256\",\"x\":\"" EC_X "\",\"y\":\"" EC_X "\"}]}",
                      VOUCH_EINVAL, "keys[0]: x and y are not a point on "
                                    "P-256");
    expect_jwks_error("{\"keys\": [{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\""
                      RSA_N "==\",\"e\":\"AQAB\"}]}",
                      VOUCH_EINVAL, "keys[0].n: not base64url");
    expect_jwks_error("{\"keys\": [{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\""
                      RSA_N "\",\"e\":\"AQAA\"}]}",
                      VOUCH_EINVAL, "keys[0].e: not a usable RSA public "
                                    "exponent");
    expect_jwks_error("{\"keys\": [{\"kty\":\"OKP\",\"kid\":\"a\",\"crv\":"
                      "\"Ed25519\"}]}",
                      VOUCH_EINVAL, "keys[0].x: expected a base64url string");
}

static void test_jwks_parse_limits(void **state)
{
    size_t i;
    size_t n = VOUCH_JWKS_MAX_KEYS + 1;
    size_t cap = 16 + n * 4;
    char *doc = malloc(cap);
    vouch_jwks *ks = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char want[128];
    char *big;

    (void)state;
    assert_non_null(doc);
    strcpy(doc, "{\"keys\":[");
    for (i = 0; i < n; i++) {
        strcat(doc, i ? ",{}" : "{}");
    }
    strcat(doc, "]}");
    assert_int_equal(vouch_jwks_parse(&ks, doc, strlen(doc), NULL, NULL),
                     VOUCH_ETOOBIG);
    free(doc);
    big = calloc(1, VOUCH_JWKS_MAX_BYTES + 2);
    assert_non_null(big);
    memset(big, ' ', VOUCH_JWKS_MAX_BYTES + 1);
    assert_int_equal(vouch_jwks_parse(&ks, big, VOUCH_JWKS_MAX_BYTES + 1,
                                      "jwks.json", &err),
                     VOUCH_ETOOBIG);
    assert_null(ks);
    snprintf(want, sizeof(want), "JWKS is %u bytes, over the limit of %u",
             VOUCH_JWKS_MAX_BYTES + 1, VOUCH_JWKS_MAX_BYTES);
    assert_string_equal(err.message, want);
    assert_string_equal(err.source, "jwks.json");
    free(big);
}

static void test_jwks_verify_refusals(void **state)
{
    vouch_jwks *ks = jwks_ok("{\"keys\": [" RSA_JWK "," EC_JWK "," ED_JWK
                             "]}");
    vouch_jwt *jwt = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char *tok;

    (void)state;
    /* HS256 is never verified, whatever key the kid names */
    tok = make_token("{\"alg\":\"HS256\",\"kid\":\"r\"}", "{}", "AAAA");
    assert_int_equal(vouch_jwt_parse(&jwt, tok, strlen(tok), NULL), 0);
    assert_int_equal(vouch_jwks_verify(ks, jwt, &err), VOUCH_EINVAL);
    vouch_jwt_free(jwt);
    free(tok);
    /* no kid */
    tok = make_token("{\"alg\":\"RS256\"}", "{}", "AAAA");
    assert_int_equal(vouch_jwt_parse(&jwt, tok, strlen(tok), NULL), 0);
    assert_int_equal(vouch_jwks_verify(ks, jwt, &err), VOUCH_ENOTFOUND);
    vouch_jwt_free(jwt);
    free(tok);
    /* wrong signature lengths: refused before any maths */
    tok = make_token("{\"alg\":\"ES256\",\"kid\":\"e\"}", "{}", "AAAA");
    assert_int_equal(vouch_jwt_parse(&jwt, tok, strlen(tok), NULL), 0);
    assert_int_equal(vouch_jwks_verify(ks, jwt, &err), VOUCH_ECRYPTO);
    vouch_jwt_free(jwt);
    free(tok);
    tok = make_token("{\"alg\":\"EdDSA\",\"kid\":\"d\"}", "{}", "AAAA");
    assert_int_equal(vouch_jwt_parse(&jwt, tok, strlen(tok), NULL), 0);
    assert_int_equal(vouch_jwks_verify(ks, jwt, &err), VOUCH_ECRYPTO);
    assert_non_null(strstr(err.message, "64"));
    vouch_jwt_free(jwt);
    free(tok);
    vouch_jwks_free(ks);
}

/* ---- ttl ---------------------------------------------------------------- */

static int64_t ttl(const char *cc)
{
    return vouch__jwks_ttl_from_cache_control(cc, strlen(cc));
}

static void test_jwks_ttl(void **state)
{
    (void)state;
    assert_int_equal(ttl(""), VOUCH_JWKS_DEFAULT_TTL_S);
    assert_int_equal(ttl("public, max-age=3600"), 3600);
    assert_int_equal(ttl("Max-Age=600, must-revalidate"), 600);
    assert_int_equal(ttl("max-age=\"900\""), 900);
    assert_int_equal(ttl("max-age=5"), VOUCH_JWKS_MIN_TTL_S);
    assert_int_equal(ttl("max-age=0"), VOUCH_JWKS_MIN_TTL_S);
    assert_int_equal(ttl("max-age=99999999999999999999"),
                     VOUCH_JWKS_MAX_TTL_S);
    assert_int_equal(ttl("no-store"), VOUCH_JWKS_MIN_TTL_S);
    assert_int_equal(ttl("max-age=600, no-cache"), VOUCH_JWKS_MIN_TTL_S);
    assert_int_equal(ttl("max-age=abc"), VOUCH_JWKS_DEFAULT_TTL_S);
    assert_int_equal(ttl("s-maxage=600"), VOUCH_JWKS_DEFAULT_TTL_S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt_parse_ok),
        cmocka_unit_test(test_jwt_parse_shape),
        cmocka_unit_test(test_jwt_parse_json),
        cmocka_unit_test(test_jwt_parse_header_rules),
        cmocka_unit_test(test_jwt_parse_limit),
        cmocka_unit_test(test_jwks_parse_rfc_keys),
        cmocka_unit_test(test_jwks_parse_skips),
        cmocka_unit_test(test_jwks_parse_errors),
        cmocka_unit_test(test_jwks_parse_limits),
        cmocka_unit_test(test_jwks_verify_refusals),
        cmocka_unit_test(test_jwks_ttl),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
