/*
 * PKIX keys and signatures over OpenSSL 3 EVP (docs/keys.md).
 *
 * Sections:
 *   algorithm table ............ vouch__alg_info_get
 *   PEM public keys ............ vouch__pkix_parse_public_pem
 *   key <-> algorithm .......... vouch__pkix_check_alg
 *   key ids .................... vouch__pkix_default_id, _key_default_id
 *   verification ............... vouch__pkix_verify, vouch__pkix_verify_jws
 *   private keys and signing ... vouch__pkix_parse_private_pem, _sign
 *
 * Nothing here keeps state between calls but a key's pool of verification
 * contexts (verify_pool.h), each used by one thread at a time: otherwise
 * every verification makes its own EVP_MD_CTX, which is what makes a
 * shared, read-only EVP_PKEY safe to use from many threads at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "verify_pool.h"

/* ---------------------------------------------------------------------- */
/* algorithm table                                                         */

static const vouch__alg_info alg_table[] = {
    { VOUCH_RSA_PSS_2048_SHA256, "RSA_PSS_2048_SHA256", true, true, 2048,
      NULL, NULL, 0, "SHA256", "PS256" },
    { VOUCH_RSA_PSS_3072_SHA256, "RSA_PSS_3072_SHA256", true, true, 3072,
      NULL, NULL, 0, "SHA256", "PS256" },
    { VOUCH_RSA_PSS_4096_SHA256, "RSA_PSS_4096_SHA256", true, true, 4096,
      NULL, NULL, 0, "SHA256", "PS256" },
    { VOUCH_RSA_PSS_4096_SHA512, "RSA_PSS_4096_SHA512", true, true, 4096,
      NULL, NULL, 0, "SHA512", "PS512" },
    { VOUCH_RSA_SIGN_PKCS1_2048_SHA256, "RSA_SIGN_PKCS1_2048_SHA256", true,
      false, 2048, NULL, NULL, 0, "SHA256", "RS256" },
    { VOUCH_RSA_SIGN_PKCS1_3072_SHA256, "RSA_SIGN_PKCS1_3072_SHA256", true,
      false, 3072, NULL, NULL, 0, "SHA256", "RS256" },
    { VOUCH_RSA_SIGN_PKCS1_4096_SHA256, "RSA_SIGN_PKCS1_4096_SHA256", true,
      false, 4096, NULL, NULL, 0, "SHA256", "RS256" },
    { VOUCH_RSA_SIGN_PKCS1_4096_SHA512, "RSA_SIGN_PKCS1_4096_SHA512", true,
      false, 4096, NULL, NULL, 0, "SHA512", "RS512" },
    { VOUCH_ECDSA_P256_SHA256, "ECDSA_P256_SHA256", false, false, 0,
      "prime256v1", "P-256", 32, "SHA256", "ES256" },
    { VOUCH_ECDSA_P384_SHA384, "ECDSA_P384_SHA384", false, false, 0,
      "secp384r1", "P-384", 48, "SHA384", "ES384" },
    { VOUCH_ECDSA_P521_SHA512, "ECDSA_P521_SHA512", false, false, 0,
      "secp521r1", "P-521", 66, "SHA512", "ES512" },
};

const vouch__alg_info *vouch__alg_info_get(vouch_signature_algorithm alg)
{
    size_t i;

    for (i = 0; i < sizeof(alg_table) / sizeof(alg_table[0]); i++) {
        if (alg_table[i].alg == alg) {
            return &alg_table[i];
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* PEM public keys                                                         */

/* First occurrence of `lit` in text[from, len), or len when absent. */
static size_t find_lit(const char *text, size_t from, size_t len,
                       const char *lit)
{
    size_t n = strlen(lit);
    size_t i;

    if (n > len) {
        return len;
    }
    for (i = from; i + n <= len; i++) {
        if (memcmp(text + i, lit, n) == 0) {
            return i;
        }
    }
    return len;
}

static int pem_label_error(const char *pem, size_t begin, size_t len,
                           vouch_error *err)
{
    static const char marker[] = "-----BEGIN ";
    size_t start = begin + sizeof(marker) - 1;
    size_t end = find_lit(pem, start, len, "-----");
    size_t label_len;
    const char *label = pem + start;
    int line;
    int col;

    vouch__text_position(pem, begin, &line, &col);
    if (end == len || end - start > 64) {
        return vouch__error_set(err, VOUCH_EPARSE, NULL, line, col,
                                "malformed PEM header line");
    }
    label_len = end - start;
    if (find_lit(label, 0, label_len, "PRIVATE KEY") < label_len) {
        return vouch__error_set(err, VOUCH_EPARSE, NULL, line, col,
                                "this is a private key (%.*s); give the "
                                "public key (openssl pkey -pubout)",
                                (int)label_len, label);
    }
    if (vouch__slice_eq(label, label_len, "RSA PUBLIC KEY")) {
        return vouch__error_set(err, VOUCH_EPARSE, NULL, line, col,
                                "this is a PKCS#1 RSA PUBLIC KEY; give a "
                                "SubjectPublicKeyInfo (-----BEGIN PUBLIC "
                                "KEY-----, openssl rsa -RSAPublicKey_in "
                                "-pubout)");
    }
    if (vouch__slice_eq(label, label_len, "CERTIFICATE")) {
        return vouch__error_set(err, VOUCH_EPARSE, NULL, line, col,
                                "this is a certificate; give its public key "
                                "(openssl x509 -pubkey -noout)");
    }
    return vouch__error_set(err, VOUCH_EPARSE, NULL, line, col,
                            "PEM block is \"%.*s\"; expected PUBLIC KEY",
                            (int)label_len, label);
}

int vouch__pkix_parse_public_pem(const char *pem, size_t len,
                                 EVP_PKEY **pkey_out, unsigned char **der_out,
                                 size_t *der_len_out, vouch_error *err)
{
    static const char begin_marker[] = "-----BEGIN PUBLIC KEY-----";
    static const char end_marker[] = "-----END PUBLIC KEY-----";
    BIO *bio = NULL;
    char *name = NULL;
    char *header = NULL;
    unsigned char *data = NULL;
    unsigned char *copy = NULL;
    EVP_PKEY *pkey = NULL;
    const unsigned char *p;
    long data_len = 0;
    size_t begin = 0;
    size_t end;
    size_t after;
    int line;
    int col;
    int rc;

    *pkey_out = NULL;
    if (der_out != NULL) {
        *der_out = NULL;
        *der_len_out = 0;
    }
    while (begin < len && vouch__is_space(pem[begin])) {
        begin++;
    }
    if (begin == len) {
        return vouch__error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                                "key is empty; expected a PEM block "
                                "-----BEGIN PUBLIC KEY-----");
    }
    if (!vouch__slice_has_prefix(pem + begin, len - begin, begin_marker)) {
        if (vouch__slice_has_prefix(pem + begin, len - begin,
                                    "-----BEGIN ")) {
            return pem_label_error(pem, begin, len, err);
        }
        vouch__text_position(pem, begin, &line, &col);
        return vouch__error_set(err, VOUCH_EPARSE, NULL, line, col,
                                "not a PEM public key: expected "
                                "-----BEGIN PUBLIC KEY-----");
    }
    end = find_lit(pem, begin + sizeof(begin_marker) - 1, len, end_marker);
    if (end == len) {
        vouch__text_position(pem, len, &line, &col);
        return vouch__error_set(err, VOUCH_EPARSE, NULL, line, col,
                                "PEM block is not terminated: no "
                                "-----END PUBLIC KEY-----");
    }
    after = end + sizeof(end_marker) - 1;
    {
        size_t rest = after;

        while (rest < len && vouch__is_space(pem[rest])) {
            rest++;
        }
        if (rest < len) {
            vouch__text_position(pem, rest, &line, &col);
            if (vouch__slice_has_prefix(pem + rest, len - rest,
                                        "-----BEGIN")) {
                return vouch__error_set(err, VOUCH_EPARSE, NULL, line, col,
                                        "a second PEM block; exactly one "
                                        "PUBLIC KEY block is allowed");
            }
            return vouch__error_set(err, VOUCH_EPARSE, NULL, line, col,
                                    "unexpected data after the PEM block");
        }
    }

    bio = BIO_new_mem_buf(pem + begin, (int)(after - begin));
    if (bio == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory reading the PEM block");
        goto cleanup;
    }
    if (PEM_read_bio_ex(bio, &name, &header, &data, &data_len,
                        PEM_FLAG_ONLY_B64) != 1 ||
        header == NULL || header[0] != '\0' || data_len <= 0) {
        vouch__text_position(pem, begin, &line, &col);
        rc = vouch__error_set(err, VOUCH_EPARSE, NULL, line, col,
                              "PEM block is malformed (bad base64, a "
                              "header line, or an empty body)");
        goto cleanup;
    }
    p = data;
    pkey = d2i_PUBKEY(NULL, &p, data_len);
    if (pkey == NULL) {
        vouch__text_position(pem, begin, &line, &col);
        rc = vouch__error_set(err, VOUCH_EPARSE, NULL, line, col,
                              "PEM block does not hold a valid "
                              "SubjectPublicKeyInfo");
        goto cleanup;
    }
    if (p != data + data_len) {
        vouch__text_position(pem, begin, &line, &col);
        rc = vouch__error_set(err, VOUCH_EPARSE, NULL, line, col,
                              "%ld extra bytes after the "
                              "SubjectPublicKeyInfo in the PEM block",
                              (long)(data + data_len - p));
        goto cleanup;
    }
    if (der_out != NULL) {
        copy = malloc((size_t)data_len);
        if (copy == NULL) {
            rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                  "out of memory copying the key");
            goto cleanup;
        }
        memcpy(copy, data, (size_t)data_len);
        *der_out = copy;
        *der_len_out = (size_t)data_len;
        copy = NULL;
    }
    *pkey_out = pkey;
    pkey = NULL;
    rc = VOUCH_OK;

cleanup:
    ERR_clear_error();
    EVP_PKEY_free(pkey);
    free(copy);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    BIO_free(bio);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* key <-> algorithm                                                       */

typedef struct key_shape {
    bool is_rsa;
    bool is_ec;
    int bits;
    const char *curve_label;  /* "P-256"...; NULL when not a NIST curve */
    char desc[96];            /* "RSA 3072 bits", "EC P-256", ... */
} key_shape;

static void describe_key(const EVP_PKEY *pkey, key_shape *shape)
{
    int id = EVP_PKEY_get_base_id(pkey);
    char group[64];
    size_t glen = 0;

    memset(shape, 0, sizeof(*shape));
    shape->bits = EVP_PKEY_get_bits(pkey);
    if (id == EVP_PKEY_RSA) {
        shape->is_rsa = true;
        snprintf(shape->desc, sizeof(shape->desc), "RSA %d bits",
                 shape->bits);
    } else if (id == EVP_PKEY_RSA_PSS) {
        snprintf(shape->desc, sizeof(shape->desc),
                 "an RSASSA-PSS-restricted RSA key (id-RSASSA-PSS, %d bits;"
                 " use an rsaEncryption key)", shape->bits);
    } else if (id == EVP_PKEY_EC) {
        shape->is_ec = true;
        if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) != 1) {
            snprintf(group, sizeof(group), "explicit parameters");
        }
        if (strcmp(group, "prime256v1") == 0) {
            shape->curve_label = "P-256";
        } else if (strcmp(group, "secp384r1") == 0) {
            shape->curve_label = "P-384";
        } else if (strcmp(group, "secp521r1") == 0) {
            shape->curve_label = "P-521";
        }
        snprintf(shape->desc, sizeof(shape->desc), "EC %s",
                 shape->curve_label != NULL ? shape->curve_label : group);
    } else {
        const char *type = EVP_PKEY_get0_type_name(pkey);

        snprintf(shape->desc, sizeof(shape->desc), "%s",
                 type != NULL ? type : "of an unknown type");
    }
    ERR_clear_error();
}

int vouch__pkix_check_alg(const EVP_PKEY *pkey, vouch_signature_algorithm alg,
                          vouch_signature_algorithm *out, vouch_error *err)
{
    const vouch__alg_info *info;
    key_shape shape;
    size_t i;

    describe_key(pkey, &shape);
    if (alg == VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED) {
        for (i = 0; i < sizeof(alg_table) / sizeof(alg_table[0]); i++) {
            info = &alg_table[i];
            /* First match wins: PKCS#1 SHA-256 for RSA; the curve's ECDSA. */
            if (shape.is_rsa && info->is_rsa && !info->pss &&
                info->rsa_bits == shape.bits &&
                strcmp(info->digest, "SHA256") == 0) {
                *out = info->alg;
                return VOUCH_OK;
            }
            if (shape.is_ec && !info->is_rsa && shape.curve_label != NULL &&
                strcmp(info->curve_label, shape.curve_label) == 0) {
                *out = info->alg;
                return VOUCH_OK;
            }
        }
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "key is %s; no signature algorithm fits it "
                                "(RSA 2048, 3072 or 4096 bits, or EC P-256,"
                                " P-384 or P-521)", shape.desc);
    }
    info = vouch__alg_info_get(alg);
    if (info == NULL) {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "unknown signature algorithm %d", (int)alg);
    }
    if (info->is_rsa) {
        if (!shape.is_rsa || shape.bits != info->rsa_bits) {
            return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                    "key is %s but %s needs a %d-bit RSA "
                                    "key", shape.desc, info->name,
                                    info->rsa_bits);
        }
    } else if (!shape.is_ec || shape.curve_label == NULL ||
               strcmp(shape.curve_label, info->curve_label) != 0) {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "key is %s but %s needs an EC %s key",
                                shape.desc, info->name, info->curve_label);
    }
    *out = alg;
    return VOUCH_OK;
}

/* ---------------------------------------------------------------------- */
/* key ids                                                                 */

int vouch__pkix_default_id(const unsigned char *der, size_t der_len,
                           char **out, vouch_error *err)
{
    static const char prefix[] = "ni:///sha-256;";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char *b64 = NULL;
    char *id = NULL;
    size_t n;
    int rc;

    *out = NULL;
    if (EVP_Digest(der, der_len, md, &md_len, EVP_sha256(), NULL) != 1) {
        ERR_clear_error();
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "SHA-256 of the key failed");
    }
    rc = vouch__base64_encode(md, md_len, true, &b64);
    if (rc < 0) {
        return vouch__error_set(err, rc, NULL, 0, 0,
                                "out of memory encoding the key id");
    }
    n = strlen(b64);
    id = malloc(sizeof(prefix) + n);
    if (id == NULL) {
        free(b64);
        return vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                "out of memory encoding the key id");
    }
    memcpy(id, prefix, sizeof(prefix) - 1);
    memcpy(id + sizeof(prefix) - 1, b64, n + 1);
    free(b64);
    *out = id;
    return VOUCH_OK;
}

int vouch__pkix_key_default_id(const EVP_PKEY *pkey, char **out,
                               vouch_error *err)
{
    unsigned char *der = NULL;
    int der_len;
    int rc;

    *out = NULL;
    der_len = i2d_PUBKEY(pkey, &der);
    if (der_len <= 0) {
        ERR_clear_error();
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "cannot encode the public key as DER");
    }
    rc = vouch__pkix_default_id(der, (size_t)der_len, out, err);
    OPENSSL_free(der);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* verification                                                            */

/*
 * Check an ECDSA signature's encoding before handing it to OpenSSL, so the
 * error can say what is wrong. OpenSSL itself is strict: it re-encodes the
 * parsed SEQUENCE and compares, so BER, non-minimal INTEGERs and trailing
 * bytes never verify. We do the same check here to name it.
 */
static int check_ecdsa_der(const vouch__alg_info *info,
                           const unsigned char *sig, size_t sig_len,
                           vouch_error *err)
{
    const unsigned char *p = sig;
    unsigned char *again = NULL;
    ECDSA_SIG *parsed;
    int again_len;
    bool same;

    parsed = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
    if (parsed == NULL || p != sig + sig_len) {
        ECDSA_SIG_free(parsed);
        ERR_clear_error();
        if (sig_len == 2 * info->ec_size) {
            return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                    "ECDSA signature is not DER: its %zu "
                                    "bytes look like raw r||s (IEEE P1363);"
                                    " %s signatures must be ASN.1 DER "
                                    "SEQUENCE { r, s }", sig_len,
                                    info->name);
        }
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "ECDSA signature is not valid ASN.1 DER "
                                "SEQUENCE { r, s } (%zu bytes)", sig_len);
    }
    again_len = i2d_ECDSA_SIG(parsed, &again);
    same = again_len > 0 && (size_t)again_len == sig_len &&
           memcmp(again, sig, sig_len) == 0;
    OPENSSL_free(again);
    ECDSA_SIG_free(parsed);
    ERR_clear_error();
    if (!same) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "ECDSA signature is BER, not strict DER "
                                "(non-minimal lengths or integers)");
    }
    return VOUCH_OK;
}

static int set_pss(EVP_PKEY_CTX *pctx, const vouch__alg_info *info,
                   int saltlen)
{
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, info->digest, NULL) != 1) {
        return -1;
    }
    return 0;
}

/* The checks every verification makes before OpenSSL sees the signature;
 * *payload is never NULL afterwards. */
static int verify_checks(const EVP_PKEY *pkey, const vouch__alg_info *info,
                         const unsigned char **payload, size_t *payload_len,
                         size_t sig_len, vouch_error *err)
{
    static const unsigned char empty[1] = { 0 };

    if (info == NULL) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "key has no signature algorithm");
    }
    if (sig_len == 0) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "signature is empty");
    }
    if (sig_len > VOUCH_SIGNATURE_MAX_BYTES) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "signature is %zu bytes, over the limit of "
                                "%u", sig_len, VOUCH_SIGNATURE_MAX_BYTES);
    }
    if (*payload == NULL) {
        *payload = empty;
        *payload_len = 0;
    }
    if (info->is_rsa) {
        size_t want = (size_t)(EVP_PKEY_get_bits(pkey) + 7) / 8;

        if (sig_len != want) {
            return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                    "RSA signature is %zu bytes; a %d-bit "
                                    "key makes %zu-byte signatures",
                                    sig_len, info->rsa_bits, want);
        }
    }
    return VOUCH_OK;
}

static int does_not_verify(const vouch__alg_info *info, size_t payload_len,
                           vouch_error *err)
{
    return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                            "%s signature does not verify over the %zu "
                            "payload bytes with this key", info->name,
                            payload_len);
}

/* Hash and verify in one EVP_DigestVerify, with a context made for it. */
static int verify_digest_verify(const EVP_PKEY *pkey,
                                const vouch__alg_info *info,
                                const unsigned char *payload,
                                size_t payload_len, const unsigned char *sig,
                                size_t sig_len, vouch_error *err)
{
    EVP_MD_CTX *ctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    int rc;

    if (!info->is_rsa) {
        rc = check_ecdsa_der(info, sig, sig_len, err);
        if (rc < 0) {
            return rc;
        }
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory verifying a signature");
        goto cleanup;
    }
    if (EVP_DigestVerifyInit_ex(ctx, &pctx, info->digest, NULL, NULL,
                                (EVP_PKEY *)pkey, NULL) != 1 ||
        (info->pss && set_pss(pctx, info, RSA_PSS_SALTLEN_AUTO) != 0)) {
        rc = vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                              "cannot set up %s verification", info->name);
        goto cleanup;
    }
    rc = EVP_DigestVerify(ctx, sig, sig_len, payload, payload_len) == 1
             ? VOUCH_OK
             : does_not_verify(info, payload_len, err);

cleanup:
    ERR_clear_error();
    EVP_MD_CTX_free(ctx);
    return rc;
}

/*
 * ECDSA with a context of the key's pool (verify_pool.h): the payload
 * hashed with a digest fetched once, then EVP_PKEY_verify. OpenSSL's
 * ECDSA verification is strict DER either way; the encoding is looked at
 * only to explain a failure.
 */
static int verify_prehashed(const EVP_PKEY *pkey, const vouch__alg_info *info,
                            vouch__verify_pool *pool,
                            const unsigned char *payload, size_t payload_len,
                            const unsigned char *sig, size_t sig_len,
                            vouch_error *err)
{
    EVP_MD *md = vouch__verify_digest(info);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    EVP_PKEY_CTX *ctx = NULL;
    int ok;
    int rc;

    if (md == NULL ||
        EVP_Digest(payload, payload_len, digest, &digest_len, md, NULL) !=
            1 ||
        (ctx = vouch__verify_pool_take(pool, pkey, md)) == NULL) {
        ERR_clear_error();
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "cannot set up %s verification", info->name);
    }
    ok = EVP_PKEY_verify(ctx, sig, sig_len, digest, digest_len);
    /* Peeking is cheaper than clearing an empty queue, the usual case. */
    if (ERR_peek_error() != 0) {
        ERR_clear_error();
    }
    if (ok == 1) {
        vouch__verify_pool_give(pool, ctx);
        return VOUCH_OK;
    }
    EVP_PKEY_CTX_free(ctx);
    rc = check_ecdsa_der(info, sig, sig_len, err);
    return rc < 0 ? rc : does_not_verify(info, payload_len, err);
}

int vouch__pkix_verify_pooled(const EVP_PKEY *pkey,
                              vouch_signature_algorithm alg,
                              vouch__verify_pool *pool,
                              const unsigned char *payload,
                              size_t payload_len, const unsigned char *sig,
                              size_t sig_len, vouch_error *err)
{
    const vouch__alg_info *info = vouch__alg_info_get(alg);
    int rc;

    rc = verify_checks(pkey, info, &payload, &payload_len,
                       sig != NULL ? sig_len : 0, err);
    if (rc < 0) {
        return rc;
    }
    if (pool != NULL && !info->is_rsa) {
        return verify_prehashed(pkey, info, pool, payload, payload_len, sig,
                                sig_len, err);
    }
    return verify_digest_verify(pkey, info, payload, payload_len, sig,
                                sig_len, err);
}

int vouch__pkix_verify(const EVP_PKEY *pkey, vouch_signature_algorithm alg,
                       const unsigned char *payload, size_t payload_len,
                       const unsigned char *sig, size_t sig_len,
                       vouch_error *err)
{
    return vouch__pkix_verify_pooled(pkey, alg, NULL, payload, payload_len,
                                     sig, sig_len, err);
}

/* Printable copy of untrusted text for an error message. */
static void printable(const char *in, size_t len, char *out, size_t size)
{
    size_t i;
    size_t n = len < size - 1 ? len : size - 1;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];

        out[i] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
    }
    out[n] = '\0';
}

int vouch__pkix_verify_jws(const EVP_PKEY *pkey,
                           vouch_signature_algorithm key_alg,
                           const char *alg, size_t alg_len,
                           const unsigned char *input, size_t input_len,
                           const unsigned char *sig, size_t sig_len,
                           vouch_error *err)
{
    const vouch__alg_info *info = vouch__alg_info_get(key_alg);
    ECDSA_SIG *esig = NULL;
    BIGNUM *r = NULL;
    BIGNUM *s = NULL;
    unsigned char *der = NULL;
    int der_len;
    char shown[33];
    int rc;

    if (info == NULL) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "key has no signature algorithm");
    }
    if (alg == NULL || !vouch__slice_eq(alg, alg_len, info->jws)) {
        printable(alg != NULL ? alg : "", alg != NULL ? alg_len : 0, shown,
                  sizeof(shown));
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "JWS alg \"%s\" does not match the key: %s "
                                "needs \"%s\"", shown, info->name,
                                info->jws);
    }
    if (info->is_rsa) {
        return vouch__pkix_verify(pkey, key_alg, input, input_len, sig,
                                  sig_len, err);
    }
    if (sig == NULL || sig_len != 2 * info->ec_size) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "%s JWS signature is %zu bytes; RFC 7518 "
                                "needs raw r||s of %zu bytes", info->jws,
                                sig == NULL ? (size_t)0 : sig_len,
                                2 * info->ec_size);
    }
    esig = ECDSA_SIG_new();
    r = BN_bin2bn(sig, (int)info->ec_size, NULL);
    s = BN_bin2bn(sig + info->ec_size, (int)info->ec_size, NULL);
    if (esig == NULL || r == NULL || s == NULL ||
        ECDSA_SIG_set0(esig, r, s) != 1) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory converting a JWS signature");
        goto cleanup;
    }
    r = NULL; /* owned by esig now */
    s = NULL;
    der_len = i2d_ECDSA_SIG(esig, &der);
    if (der_len <= 0) {
        rc = vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                              "cannot encode the JWS signature as DER");
        goto cleanup;
    }
    rc = vouch__pkix_verify(pkey, key_alg, input, input_len, der,
                            (size_t)der_len, err);

cleanup:
    ERR_clear_error();
    OPENSSL_free(der);
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(esig);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* private keys and signing                                                */

/* Never prompt: an encrypted key fails to load. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

int vouch__pkix_parse_private_pem(const char *pem, size_t len,
                                  EVP_PKEY **out, vouch_error *err)
{
    BIO *bio = NULL;
    EVP_PKEY *pkey = NULL;
    int rc;

    *out = NULL;
    if (find_lit(pem, 0, len, "ENCRYPTED") < len) {
        return vouch__error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                                "the private key is encrypted; decrypt it "
                                "first (openssl pkey -in KEY -out PLAIN)");
    }
    if (find_lit(pem, 0, len, "-----BEGIN PUBLIC KEY-----") < len) {
        return vouch__error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                                "this is a public key; signing needs the "
                                "private key");
    }
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        return vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                "out of memory reading the private key");
    }
    pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    if (pkey == NULL) {
        rc = vouch__error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                              "not a PEM private key (PKCS#8 PRIVATE KEY, "
                              "RSA PRIVATE KEY or EC PRIVATE KEY)");
        goto cleanup;
    }
    *out = pkey;
    rc = VOUCH_OK;

cleanup:
    ERR_clear_error();
    BIO_free(bio);
    return rc;
}

int vouch__pkix_sign(const EVP_PKEY *pkey, vouch_signature_algorithm alg,
                     const unsigned char *payload, size_t payload_len,
                     unsigned char **sig_out, size_t *sig_len_out,
                     vouch_error *err)
{
    static const unsigned char empty[1] = { 0 };
    const vouch__alg_info *info = vouch__alg_info_get(alg);
    EVP_MD_CTX *ctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    int rc;

    *sig_out = NULL;
    *sig_len_out = 0;
    if (info == NULL) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "key has no signature algorithm");
    }
    if (payload == NULL) {
        payload = empty;
        payload_len = 0;
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory signing");
        goto cleanup;
    }
    if (EVP_DigestSignInit_ex(ctx, &pctx, info->digest, NULL, NULL,
                              (EVP_PKEY *)pkey, NULL) != 1 ||
        (info->pss && set_pss(pctx, info, RSA_PSS_SALTLEN_DIGEST) != 0) ||
        EVP_PKEY_get_size(pkey) <= 0) {
        rc = vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                              "cannot set up %s signing", info->name);
        goto cleanup;
    }
    sig_len = (size_t)EVP_PKEY_get_size(pkey);
    sig = malloc(sig_len);
    if (sig == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory signing");
        goto cleanup;
    }
    if (EVP_DigestSign(ctx, sig, &sig_len, payload, payload_len) != 1) {
        rc = vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                              "%s signing failed", info->name);
        goto cleanup;
    }
    *sig_out = sig;
    *sig_len_out = sig_len;
    sig = NULL;
    rc = VOUCH_OK;

cleanup:
    ERR_clear_error();
    free(sig);
    EVP_MD_CTX_free(ctx);
    return rc;
}
