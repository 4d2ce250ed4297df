/*
 * vouch — trusted public keys (PKIX and OpenPGP), signature algorithms and
 * local private keys for signing (docs/keys.md).
 */
#ifndef VOUCH_KEY_H
#define VOUCH_KEY_H

#include "vouch/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** PkixPublicKey.signatureAlgorithm, numbered as in the v1 proto. */
typedef enum vouch_signature_algorithm {
    VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED = 0,
    VOUCH_RSA_PSS_2048_SHA256 = 1,
    VOUCH_RSA_PSS_3072_SHA256 = 2,
    VOUCH_RSA_PSS_4096_SHA256 = 3,
    VOUCH_RSA_PSS_4096_SHA512 = 4,
    VOUCH_RSA_SIGN_PKCS1_2048_SHA256 = 5,
    VOUCH_RSA_SIGN_PKCS1_3072_SHA256 = 6,
    VOUCH_RSA_SIGN_PKCS1_4096_SHA256 = 7,
    VOUCH_RSA_SIGN_PKCS1_4096_SHA512 = 8,
    VOUCH_ECDSA_P256_SHA256 = 9,
    VOUCH_ECDSA_P384_SHA384 = 10,
    VOUCH_ECDSA_P521_SHA512 = 11
} vouch_signature_algorithm;

#define VOUCH_SIGNATURE_ALGORITHM_COUNT 12

typedef enum vouch_key_kind {
    VOUCH_KEY_PKIX = 1,
    VOUCH_KEY_PGP = 2
} vouch_key_kind;

typedef struct vouch_public_key vouch_public_key;
typedef struct vouch_private_key vouch_private_key;

/**
 * Parse an algorithm name: the enum name, any alias (EC_SIGN_P256_SHA256,
 * RSA_SIGN_PSS_2048_SHA256, ...) or gcloud's spelling (ecdsa-p256-sha256).
 *
 * @return 0 and *out set; VOUCH_EINVAL (unknown name; UNSPECIFIED is
 *         rejected too). Reentrant.
 */
VOUCH_API int vouch_signature_algorithm_parse(const char *data, size_t len,
                                              vouch_signature_algorithm *out,
                                              vouch_error *err);

/** Canonical enum name ("ECDSA_P256_SHA256"); static; reentrant. */
VOUCH_API const char *
vouch_signature_algorithm_name(vouch_signature_algorithm alg);

/**
 * Make a PKIX public key from one PEM SubjectPublicKeyInfo block.
 *
 * @param pem, pem_len  Borrowed; at most VOUCH_KEY_MAX_BYTES; exactly one
 *                      "PUBLIC KEY" block, nothing but whitespace around it.
 * @param alg           The declared algorithm, or UNSPECIFIED to infer it
 *                      (EC: the curve's ECDSA algorithm; RSA:
 *                      RSA_SIGN_PKCS1_<bits>_SHA256).
 * @param id            NULL or "" for the default
 *                      "ni:///sha-256;<base64url(SHA-256(DER))>"; otherwise
 *                      it must be a URI (a scheme followed by ':').
 * @param comment       May be NULL.
 * @param[out] out      Caller owns it; free with vouch_public_key_free().
 * @return 0; VOUCH_EPARSE (not PEM / not an SPKI); VOUCH_EINVAL (key type,
 *         curve or modulus size disagrees with `alg`, or `id` is not a
 *         URI: the message says which and what was expected);
 *         VOUCH_ETOOBIG; VOUCH_ENOMEM.
 * Thread safety: reentrant; the key is immutable and may be shared.
 */
VOUCH_API int vouch_public_key_new_pkix(vouch_public_key **out,
                                        const char *pem, size_t pem_len,
                                        vouch_signature_algorithm alg,
                                        const char *id, const char *comment,
                                        vouch_error *err);

/**
 * Make an OpenPGP public key from the ASCII-armored output of
 * `gpg --export --armor` (LF or CRLF) through RNP. The armor must hold
 * exactly one primary key. Its id is the upper-case V4 fingerprint (40 hex);
 * any id the caller had is overwritten, as the API does.
 *
 * @return 0; VOUCH_EPARSE (no key in the armor); VOUCH_EINVAL (more than
 *         one primary key, or not V4); VOUCH_ETOOBIG; VOUCH_ENOMEM.
 * Ownership and thread safety as vouch_public_key_new_pkix().
 */
VOUCH_API int vouch_public_key_new_pgp(vouch_public_key **out,
                                       const char *armored, size_t len,
                                       const char *comment, vouch_error *err);

/** Free a key. NULL is a no-op. */
VOUCH_API void vouch_public_key_free(vouch_public_key *key);

/*
 * Getters; strings borrowed, valid until the key is freed. Safe to call
 * concurrently.
 */
VOUCH_API vouch_key_kind vouch_public_key_kind(const vouch_public_key *key);
VOUCH_API const char *vouch_public_key_id(const vouch_public_key *key);
VOUCH_API const char *vouch_public_key_comment(const vouch_public_key *key);
/** PEM text (PKIX) or armored text (PGP), exactly as given. */
VOUCH_API const char *vouch_public_key_text(const vouch_public_key *key);
/** UNSPECIFIED for PGP keys. */
VOUCH_API vouch_signature_algorithm
vouch_public_key_algorithm(const vouch_public_key *key);

/**
 * Verify a detached signature over exactly `payload`.
 *
 * PKIX: ECDSA signatures must be ASN.1 DER (SEQUENCE{r,s}); RSA PKCS#1 v1.5;
 * RSA-PSS with MGF1 of the same hash and any salt length. PGP: a detached
 * signature, armored or binary.
 *
 * @return 0 when the signature verifies; VOUCH_ECRYPTO otherwise (the
 *         message says why: wrong key, malformed signature, bad length).
 * Thread safety: safe to call concurrently on one key.
 */
VOUCH_API int vouch_public_key_verify(const vouch_public_key *key,
                                      const unsigned char *payload,
                                      size_t payload_len,
                                      const unsigned char *sig, size_t sig_len,
                                      vouch_error *err);

/**
 * Verify an OpenPGP attached (signed) message, armored or binary, with a
 * PGP key, and return the payload it carries.
 *
 * @param[out] payload_out      malloc'd payload; caller frees with
 *                              vouch_free(). NULL on failure.
 * @param[out] payload_len_out  Its length.
 * @return 0; VOUCH_ECRYPTO (not a signed message, no valid signature by
 *         this key, expired signature or revoked signing subkey);
 *         VOUCH_EINVAL (`key` is not a PGP key); VOUCH_ENOMEM.
 * Thread safety: safe to call concurrently on one key.
 */
VOUCH_API int vouch_public_key_verify_attached(const vouch_public_key *key,
                                               const unsigned char *msg,
                                               size_t msg_len,
                                               unsigned char **payload_out,
                                               size_t *payload_len_out,
                                               vouch_error *err);

/**
 * The default id of a key file: "ni:///sha-256;…" for a PEM public key,
 * the upper-case V4 fingerprint for an armored PGP public key.
 *
 * @param[out] out  malloc'd; caller frees with vouch_free().
 * @return 0; VOUCH_EPARSE; VOUCH_ETOOBIG; VOUCH_ENOMEM. Reentrant.
 */
VOUCH_API int vouch_key_default_id(const char *data, size_t len, char **out,
                                   vouch_error *err);

/**
 * Load a PEM private key (PKCS#8 or traditional RSA/EC, unencrypted) for
 * signing. `alg` may be UNSPECIFIED to infer it as for public keys.
 *
 * @return 0; VOUCH_EPARSE; VOUCH_EINVAL (disagrees with `alg`);
 *         VOUCH_ETOOBIG; VOUCH_ENOMEM. Key material is wiped on free.
 * Thread safety: reentrant; not safe to sign concurrently with one key.
 */
VOUCH_API int vouch_private_key_new(vouch_private_key **out, const char *pem,
                                    size_t len, vouch_signature_algorithm alg,
                                    vouch_error *err);

/** Free (and wipe) a private key. NULL is a no-op. */
VOUCH_API void vouch_private_key_free(vouch_private_key *key);

VOUCH_API vouch_signature_algorithm
vouch_private_key_algorithm(const vouch_private_key *key);

/**
 * The default id ("ni:///sha-256;…") of the key's public half.
 * @param[out] out  malloc'd; caller frees with vouch_free().
 */
VOUCH_API int vouch_private_key_public_id(const vouch_private_key *key,
                                          char **out, vouch_error *err);

/**
 * Sign `payload` (ECDSA: DER; PSS: salt length = digest length).
 *
 * @param[out] sig_out  malloc'd signature; caller frees with vouch_free().
 * @return 0; VOUCH_ECRYPTO; VOUCH_ENOMEM.
 */
VOUCH_API int vouch_private_key_sign(const vouch_private_key *key,
                                     const unsigned char *payload,
                                     size_t payload_len,
                                     unsigned char **sig_out,
                                     size_t *sig_len_out, vouch_error *err);

#ifdef __cplusplus
}
#endif

#endif /* VOUCH_KEY_H */
