/*
 * JSON Web Key Sets and JWT signature checks (jwks.h). Keys come from their
 * JWK members through EVP_PKEY_fromdata() and OSSL_PARAM (no deprecated
 * RSA_/EC_KEY APIs); the three algorithms verify through one
 * EVP_DigestVerify() call (RFC 7518: RS256 is PKCS#1 v1.5 with SHA-256,
 * ES256 a raw r||s turned into the DER OpenSSL reads, EdDSA Ed25519 over
 * the whole input). The auth module does this itself rather than through
 * the engine: it is three algorithms of OpenSSL, and the engine's private
 * helpers stay the engine's (scripts/check-layers.sh).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "auth_internal.h"
#include "vutil_error.h"
#include "vutil_str.h"
#include "jwks.h"

typedef enum key_type {
    KEY_RSA = 1,      /* RS256 */
    KEY_P256 = 2,     /* ES256 */
    KEY_ED25519 = 3   /* EdDSA */
} key_type;

typedef struct jwk {
    char *kid;
    key_type type;
    EVP_PKEY *pkey;
} jwk;

struct vouch_jwks {
    atomic_long refs;
    jwk *keys;
    size_t count;
};

/* Members that only a private key has (RFC 7518 §6.2.2, §6.3.2, RFC 8037). */
static const char *const private_members[] = { "d", "p", "q", "dp", "dq",
                                               "qi", "oth", "k", NULL };

static key_type alg_type(const char *alg)
{
    if (alg == NULL) {
        return (key_type)0;
    }
    if (strcmp(alg, "RS256") == 0) {
        return KEY_RSA;
    }
    if (strcmp(alg, "ES256") == 0) {
        return KEY_P256;
    }
    if (strcmp(alg, "EdDSA") == 0) {
        return KEY_ED25519;
    }
    return (key_type)0;
}

bool vouch_jwks_alg_supported(const char *alg)
{
    return alg_type(alg) != 0;
}

/* ---- building keys --------------------------------------------------- */

typedef struct key_ctx {
    const char *source;
    char path[64];          /* "keys[3]" */
    vouch_error *err;
} key_ctx;

static int key_fail(key_ctx *kc, const char *member, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int key_fail(key_ctx *kc, const char *member, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (member != NULL) {
        return vutil_error_set(kc->err, VOUCH_EINVAL, kc->source, 0, 0,
                               "%s.%s: %s", kc->path, member, msg);
    }
    return vutil_error_set(kc->err, VOUCH_EINVAL, kc->source, 0, 0, "%s: %s",
                           kc->path, msg);
}

static int key_oom(key_ctx *kc)
{
    return vutil_error_set(kc->err, VOUCH_ENOMEM, kc->source, 0, 0,
                           "out of memory reading a JWKS");
}

/* The bytes of a decoded member (malloc'd). */
typedef struct raw_bytes {
    unsigned char *data;
    size_t len;
} raw_bytes;

/* A required base64url member, decoded; `want` > 0 demands that size. */
static int b64_member(key_ctx *kc, const json_t *key, const char *member,
                      size_t want, raw_bytes *raw)
{
    const json_t *v = json_object_get(key, member);
    const char *s;
    size_t n;
    size_t i;
    int rc;

    raw->data = NULL;
    if (!json_is_string(v)) {
        return key_fail(kc, member, "expected a base64url string");
    }
    s = json_string_value(v);
    n = json_string_length(v);
    for (i = 0; i < n; i++) {
        if (s[i] == '=' || s[i] == '+' || s[i] == '/') {
            return key_fail(kc, member, "not base64url without padding");
        }
    }
    rc = vutil_base64_decode(s, n, &raw->data, &raw->len);
    if (rc == VOUCH_ENOMEM) {
        return key_oom(kc);
    }
    if (rc < 0 || raw->len == 0) {
        free(raw->data);
        raw->data = NULL;
        return key_fail(kc, member, "not valid base64url");
    }
    if (want > 0 && raw->len != want) {
        free(raw->data);
        raw->data = NULL;
        return key_fail(kc, member, "expected %zu bytes, found %zu", want,
                        raw->len);
    }
    return 0;
}

/* Two required base64url members (RSA's n and e, EC's x and y). */
static int b64_members(key_ctx *kc, const json_t *key, const char *first,
                       const char *second, size_t want, raw_bytes *a,
                       raw_bytes *b)
{
    int rc = b64_member(kc, key, first, want, a);

    return rc < 0 ? rc : b64_member(kc, key, second, want, b);
}

static int from_params(const char *name, OSSL_PARAM *params, EVP_PKEY **out)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
    int ok;

    *out = NULL;
    ok = ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
         EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return ok ? 0 : -1;
}

static bool public_check(EVP_PKEY *pkey)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    bool ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;

    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

/* 1 = built, 0 = skipped (unsupported size), < 0 = error. */
static int build_rsa(key_ctx *kc, const json_t *key, jwk *k)
{
    raw_bytes n_raw = { NULL, 0 };
    raw_bytes e_raw = { NULL, 0 };
    BIGNUM *n = NULL;
    BIGNUM *e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    int bits;
    int rc;

    rc = b64_members(kc, key, "n", "e", 0, &n_raw, &e_raw);
    if (rc < 0) {
        goto cleanup;
    }
    n = BN_bin2bn(n_raw.data, (int)n_raw.len, NULL);
    e = BN_bin2bn(e_raw.data, (int)e_raw.len, NULL);
    if (n == NULL || e == NULL) {
        rc = key_oom(kc);
        goto cleanup;
    }
    if (!BN_is_odd(e) || BN_is_one(e) || BN_num_bits(e) > 64) {
        rc = key_fail(kc, "e", "not a usable RSA public exponent");
        goto cleanup;
    }
    bits = BN_num_bits(n);
    if (bits != 2048 && bits != 3072 && bits != 4096) {
        rc = 0; /* a modulus size vouch does not verify: skip the key */
        goto cleanup;
    }
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
        rc = key_oom(kc);
        goto cleanup;
    }
    if (from_params("RSA", params, &k->pkey) < 0) {
        rc = key_fail(kc, NULL, "OpenSSL refuses this RSA public key");
        goto cleanup;
    }
    k->type = KEY_RSA;
    rc = 1;

cleanup:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    free(n_raw.data);
    free(e_raw.data);
    return rc;
}

static int build_p256(key_ctx *kc, const json_t *key, jwk *k)
{
    raw_bytes x = { NULL, 0 };
    raw_bytes y = { NULL, 0 };
    unsigned char point[65];
    char group[] = "prime256v1";
    OSSL_PARAM params[3];
    int rc;

    rc = b64_members(kc, key, "x", "y", 32, &x, &y);
    if (rc < 0) {
        goto cleanup;
    }
    point[0] = 0x04; /* uncompressed SEC 1 point */
    memcpy(point + 1, x.data, 32);
    memcpy(point + 33, y.data, 32);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  point, sizeof(point));
    params[2] = OSSL_PARAM_construct_end();
    if (from_params("EC", params, &k->pkey) < 0 || !public_check(k->pkey)) {
        rc = key_fail(kc, NULL, "x and y are not a point on P-256");
        goto cleanup;
    }
    k->type = KEY_P256;
    rc = 1;

cleanup:
    free(x.data);
    free(y.data);
    return rc;
}

static int build_ed25519(key_ctx *kc, const json_t *key, jwk *k)
{
    raw_bytes x = { NULL, 0 };
    OSSL_PARAM params[2];
    int rc;

    rc = b64_member(kc, key, "x", 32, &x);
    if (rc < 0) {
        return rc;
    }
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  x.data, x.len);
    params[1] = OSSL_PARAM_construct_end();
    rc = from_params("ED25519", params, &k->pkey);
    free(x.data);
    if (rc < 0) {
        return key_fail(kc, "x", "OpenSSL refuses this Ed25519 key");
    }
    k->type = KEY_ED25519;
    return 1;
}

/* Would the key's "use", "key_ops" and "alg" let it verify `type`? */
static bool usable_for_signing(const json_t *key, key_type type)
{
    const json_t *use = json_object_get(key, "use");
    const json_t *ops = json_object_get(key, "key_ops");
    const json_t *alg = json_object_get(key, "alg");

    if (use != NULL &&
        (!json_is_string(use) || strcmp(json_string_value(use), "sig") != 0)) {
        return false;
    }
    if (ops != NULL) {
        size_t i;
        const json_t *op;
        bool verify = false;

        if (!json_is_array(ops)) {
            return false;
        }
        json_array_foreach(ops, i, op) {
            verify = verify || (json_is_string(op) &&
                                strcmp(json_string_value(op), "verify") == 0);
        }
        if (!verify) {
            return false;
        }
    }
    return alg == NULL ||
           (json_is_string(alg) && alg_type(json_string_value(alg)) == type);
}

static bool member_is(const json_t *key, const char *member, const char *val)
{
    const json_t *v = json_object_get(key, member);

    return json_is_string(v) && strcmp(json_string_value(v), val) == 0;
}

/* 1 = key added to `k`, 0 = skipped, < 0 = error. */
static int build_key(key_ctx *kc, const json_t *key, jwk *k)
{
    const json_t *kty = json_object_get(key, "kty");
    const json_t *kid = json_object_get(key, "kid");
    key_type type = (key_type)0;
    size_t i;
    int rc;

    if (!json_is_object(key)) {
        return key_fail(kc, NULL, "expected a JSON object");
    }
    if (!json_is_string(kty)) {
        return key_fail(kc, "kty", "expected a string");
    }
    if (kid != NULL && !json_is_string(kid)) {
        return key_fail(kc, "kid", "expected a string");
    }
    for (i = 0; private_members[i] != NULL; i++) {
        if (json_object_get(key, private_members[i]) != NULL &&
            !member_is(key, "kty", "oct")) {
            return key_fail(kc, private_members[i],
                            "private key material in a JWKS; publish the "
                            "public key only");
        }
    }
    if (member_is(key, "kty", "RSA")) {
        type = KEY_RSA;
    } else if (member_is(key, "kty", "EC") && member_is(key, "crv", "P-256")) {
        type = KEY_P256;
    } else if (member_is(key, "kty", "OKP") &&
               member_is(key, "crv", "Ed25519")) {
        type = KEY_ED25519;
    }
    if (type == 0 || kid == NULL || !usable_for_signing(key, type)) {
        return 0;
    }
    rc = type == KEY_RSA    ? build_rsa(kc, key, k)
         : type == KEY_P256 ? build_p256(kc, key, k)
                            : build_ed25519(kc, key, k);
    if (rc <= 0) {
        EVP_PKEY_free(k->pkey);
        k->pkey = NULL;
        return rc;
    }
    k->kid = vutil_strdup(json_string_value(kid));
    if (k->kid == NULL) {
        EVP_PKEY_free(k->pkey);
        k->pkey = NULL;
        return key_oom(kc);
    }
    return 1;
}

/* ---- the set --------------------------------------------------------- */

static void jwks_destroy(vouch_jwks *ks)
{
    size_t i;

    for (i = 0; i < ks->count; i++) {
        free(ks->keys[i].kid);
        EVP_PKEY_free(ks->keys[i].pkey);
    }
    free(ks->keys);
    free(ks);
}

int vouch_jwks_parse(vouch_jwks **out, const char *data, size_t len,
                     const char *source, vouch_error *err)
{
    vouch_jwks *ks = NULL;
    json_t *root = NULL;
    int rc;

    *out = NULL;
    if (len > VOUCH_JWKS_MAX_BYTES) {
        return vouch__auth_too_big(err, source, "JWKS", len,
                                   VOUCH_JWKS_MAX_BYTES);
    }
    json_error_t jerr;
    root = json_loadb(data != NULL ? data : "", len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (root == NULL) {
        return vutil_error_set(err, VOUCH_EPARSE, source, jerr.line,
                               jerr.column, "JWKS is not JSON: %s",
                               jerr.text);
    }
    json_t *keys = json_object_get(root, "keys");
    if (!json_is_array(keys)) {
        rc = vutil_error_set(err, VOUCH_EINVAL, source, 0, 0,
                             "JWKS has no \"keys\" list");
        goto cleanup;
    }
    size_t n = json_array_size(keys);
    if (n > VOUCH_JWKS_MAX_KEYS) {
        rc = vutil_error_set(err, VOUCH_ETOOBIG, source, 0, 0,
                             "JWKS has %zu keys, over the limit of %u", n,
                             VOUCH_JWKS_MAX_KEYS);
        goto cleanup;
    }
    ks = calloc(1, sizeof(*ks));
    if (ks == NULL || (n > 0 && (ks->keys = calloc(n, sizeof(jwk))) == NULL)) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, source, 0, 0,
                             "out of memory reading a JWKS");
        goto cleanup;
    }
    atomic_init(&ks->refs, 1);
    key_ctx kc = { .source = source, .err = err };
    for (size_t i = 0; i < n; i++) {
        snprintf(kc.path, sizeof(kc.path), "keys[%zu]", i);
        rc = build_key(&kc, json_array_get(keys, i), &ks->keys[ks->count]);
        if (rc < 0) {
            goto cleanup;
        }
        ks->count += (size_t)rc;
    }
    *out = ks;
    ks = NULL;
    rc = 0;

cleanup:
    if (ks != NULL) {
        jwks_destroy(ks);
    }
    json_decref(root);
    return rc;
}

vouch_jwks *vouch_jwks_ref(vouch_jwks *ks)
{
    if (ks != NULL) {
        atomic_fetch_add_explicit(&ks->refs, 1, memory_order_relaxed);
    }
    return ks;
}

void vouch_jwks_free(vouch_jwks *ks)
{
    if (ks != NULL &&
        atomic_fetch_sub_explicit(&ks->refs, 1, memory_order_acq_rel) == 1) {
        jwks_destroy(ks);
    }
}

size_t vouch_jwks_count(const vouch_jwks *ks)
{
    return ks != NULL ? ks->count : 0;
}

static const jwk *find_key(const vouch_jwks *ks, const char *kid,
                           key_type type)
{
    size_t i;

    for (i = 0; ks != NULL && kid != NULL && i < ks->count; i++) {
        if (ks->keys[i].type == type && strcmp(ks->keys[i].kid, kid) == 0) {
            return &ks->keys[i];
        }
    }
    return NULL;
}

bool vouch_jwks_has_key(const vouch_jwks *ks, const char *kid,
                        const char *alg)
{
    key_type type = alg_type(alg);

    return type != 0 && find_key(ks, kid, type) != NULL;
}

/* An ES256 signature (raw r||s, 32 bytes each) as DER; NULL when out of
 * memory. */
static unsigned char *es256_der(const unsigned char *sig, int *der_len)
{
    ECDSA_SIG *esig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL);
    BIGNUM *s = BN_bin2bn(sig + 32, 32, NULL);
    unsigned char *der = NULL;

    *der_len = 0;
    if (esig != NULL && r != NULL && s != NULL &&
        ECDSA_SIG_set0(esig, r, s) == 1) {
        r = NULL;             /* owned by esig now */
        s = NULL;
        *der_len = i2d_ECDSA_SIG(esig, &der);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(esig);
    return *der_len > 0 ? der : NULL;
}

static int verify_signature(const jwk *k, vouch_slice input,
                            const unsigned char *sig, size_t sig_len,
                            vouch_error *err)
{
    static const char *const names[] = { "", "RS256", "ES256", "EdDSA" };
    /* RFC 7518 3.4 and RFC 8037 3.1: the signature's size is fixed. */
    size_t want = k->type == KEY_P256      ? 64
                  : k->type == KEY_ED25519 ? 64
                                           : (size_t)EVP_PKEY_get_size(k->pkey);
    EVP_MD_CTX *ctx = NULL;
    unsigned char *der = NULL;
    int der_len = 0;
    int rc;

    if (sig_len != want) {
        return vutil_error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                               "%s signature is %zu bytes; this key's are "
                               "%zu", names[k->type], sig_len, want);
    }
    if (k->type == KEY_P256) {
        der = es256_der(sig, &der_len);
        if (der == NULL) {
            return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                   "out of memory verifying a JWT");
        }
        sig = der;
        sig_len = (size_t)der_len;
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        OPENSSL_free(der);
        return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                               "out of memory verifying a JWT");
    }
    /* Ed25519 hashes internally: no digest name. */
    if (EVP_DigestVerifyInit_ex(ctx, NULL,
                                k->type == KEY_ED25519 ? NULL : "SHA256",
                                NULL, NULL, k->pkey, NULL) != 1 ||
        EVP_DigestVerify(ctx, sig, sig_len,
                         (const unsigned char *)input.ptr, input.len) != 1) {
        rc = vutil_error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                             "%s signature does not verify with key "
                             "\"%s\"", names[k->type], k->kid);
    } else {
        rc = 0;
    }
    ERR_clear_error();
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return rc;
}

int vouch_jwks_verify(const vouch_jwks *ks, const vouch_jwt *jwt,
                      vouch_error *err)
{
    const char *alg = vouch_jwt_alg(jwt);
    const char *kid = vouch_jwt_kid(jwt);
    key_type type = alg_type(alg);
    vouch_slice input = vouch_jwt_signing_input(jwt);
    const unsigned char *sig;
    size_t sig_len = 0;
    const jwk *k;

    if (type == 0) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "JWT algorithm is not RS256, ES256 or "
                               "EdDSA");
    }
    if (kid == NULL) {
        return vutil_error_set(err, VOUCH_ENOTFOUND, NULL, 0, 0,
                               "JWT header has no \"kid\"");
    }
    k = find_key(ks, kid, type);
    if (k == NULL) {
        return vutil_error_set(err, VOUCH_ENOTFOUND, NULL, 0, 0,
                               "no %s key with this kid in the JWKS", alg);
    }
    sig = vouch_jwt_signature(jwt, &sig_len);
    return verify_signature(k, input, sig, sig_len, err);
}
