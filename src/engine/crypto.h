/*
 * Library-internal: PKIX keys and signatures over OpenSSL 3 EVP
 * (docs/keys.md). Every function here is reentrant; an EVP_PKEY that has
 * been checked is only read afterwards, so one key may be used from many
 * threads at once (each call makes its own EVP_MD_CTX).
 */
#ifndef VOUCH_CRYPTO_H
#define VOUCH_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "internal.h"
#include "vouch/key.h"

/* What a PKIX signature algorithm needs from a key, and how it signs. */
typedef struct vouch__alg_info {
    vouch_signature_algorithm alg;
    const char *name;        /* canonical enum name */
    bool is_rsa;             /* RSA (rsaEncryption) or EC */
    bool pss;                /* RSASSA-PSS rather than PKCS#1 v1.5 */
    int rsa_bits;            /* required modulus size; 0 for EC */
    const char *curve;       /* OpenSSL group name; NULL for RSA */
    const char *curve_label; /* "P-256" ...; NULL for RSA */
    size_t ec_size;          /* bytes of r (and of s); 0 for RSA */
    const char *digest;      /* OpenSSL digest name: "SHA256" ... */
    const char *jws;         /* RFC 7518 "alg": "PS256" ... */
} vouch__alg_info;

/* Table entry for `alg`; NULL for UNSPECIFIED or an unknown value. */
const vouch__alg_info *vouch__alg_info_get(vouch_signature_algorithm alg);

/*
 * Parse exactly one "PUBLIC KEY" PEM block (SubjectPublicKeyInfo), with
 * nothing but whitespace around it. `len` must already be within
 * VOUCH_KEY_MAX_BYTES. On success *pkey_out is the key and *der_out (may
 * be NULL if not wanted) the malloc'd DER of the block. Errors: EPARSE with
 * line/column where there is one.
 */
int vouch__pkix_parse_public_pem(const char *pem, size_t len,
                                 EVP_PKEY **pkey_out, unsigned char **der_out,
                                 size_t *der_len_out, vouch_error *err);

/*
 * Check that `pkey` suits `alg`, or infer the algorithm when `alg` is
 * UNSPECIFIED (EC: the curve's ECDSA; RSA: RSA_SIGN_PKCS1_<bits>_SHA256).
 * EINVAL names what the key is and what the algorithm needs.
 */
int vouch__pkix_check_alg(const EVP_PKEY *pkey, vouch_signature_algorithm alg,
                          vouch_signature_algorithm *out, vouch_error *err);

/* "ni:///sha-256;" + base64url-nopad(SHA-256(der)); malloc'd into *out. */
int vouch__pkix_default_id(const unsigned char *der, size_t der_len,
                           char **out, vouch_error *err);

/* Same, from the public half of `pkey` (re-encoded as DER SPKI). */
int vouch__pkix_key_default_id(const EVP_PKEY *pkey, char **out,
                               vouch_error *err);

/*
 * Verify `sig` over `payload` with `alg` (already checked against the key).
 * ECDSA: DER only (OpenSSL's strict DER: it re-encodes and compares, so
 * BER, non-minimal integers and trailing bytes fail); raw r||s is rejected
 * with a message that says so. PSS: MGF1 of the same hash, any salt length.
 * 0 or ECRYPTO with the reason.
 */
int vouch__pkix_verify(const EVP_PKEY *pkey, vouch_signature_algorithm alg,
                       const unsigned char *payload, size_t payload_len,
                       const unsigned char *sig, size_t sig_len,
                       vouch_error *err);

/* The same, with a context of `pool` (verify_pool.h) for an ECDSA key;
 * `pool` NULL is vouch__pkix_verify. Same results and messages. */
struct vouch__verify_pool;
int vouch__pkix_verify_pooled(const EVP_PKEY *pkey,
                              vouch_signature_algorithm alg,
                              struct vouch__verify_pool *pool,
                              const unsigned char *payload,
                              size_t payload_len, const unsigned char *sig,
                              size_t sig_len, vouch_error *err);

/*
 * Verify a JWS signature (RFC 7515/7518): `alg` must be the JOSE name that
 * matches `key_alg`; ES* signatures are raw r||s of the curve's size.
 */
int vouch__pkix_verify_jws(const EVP_PKEY *pkey,
                           vouch_signature_algorithm key_alg,
                           const char *alg, size_t alg_len,
                           const unsigned char *input, size_t input_len,
                           const unsigned char *sig, size_t sig_len,
                           vouch_error *err);

/*
 * Load an unencrypted PEM private key (PKCS#8 or traditional RSA/EC).
 * `len` must already be within VOUCH_KEY_MAX_BYTES.
 */
int vouch__pkix_parse_private_pem(const char *pem, size_t len,
                                  EVP_PKEY **out, vouch_error *err);

/* Sign (ECDSA: DER; PSS: salt = digest length). *sig_out is malloc'd. */
int vouch__pkix_sign(const EVP_PKEY *pkey, vouch_signature_algorithm alg,
                     const unsigned char *payload, size_t payload_len,
                     unsigned char **sig_out, size_t *sig_len_out,
                     vouch_error *err);

#endif /* VOUCH_CRYPTO_H */
