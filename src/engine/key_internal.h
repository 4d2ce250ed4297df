/*
 * Library-internal access to vouch_public_key for other engine files
 * (attestation_verify.c: JWT attestations; attestor.c: key lookup).
 */
#ifndef VOUCH_KEY_INTERNAL_H
#define VOUCH_KEY_INTERNAL_H

#include <stddef.h>

#include "internal.h"
#include "vouch/key.h"

/*
 * Verify a JWS signature (RFC 7515 §5.2, RFC 7518 §3) with a PKIX key.
 *
 * `alg` is the JOSE header's "alg" (`alg_len` bytes, not NUL-terminated);
 * it must be the one that matches the key's algorithm: PS256
 * (RSA_PSS_*_SHA256), PS512 (RSA_PSS_4096_SHA512), RS256
 * (RSA_SIGN_PKCS1_*_SHA256), RS512 (RSA_SIGN_PKCS1_4096_SHA512), ES256,
 * ES384, ES512 (the ECDSA curves). `input` is the JWS signing input
 * (base64url(header) "." base64url(payload)); `sig` the decoded signature:
 * for ES* the raw r||s of twice the curve's size (RFC 7518 §3.4), for RSA
 * the modulus-sized integer.
 *
 * @return 0 when it verifies; VOUCH_ECRYPTO (alg mismatch, PGP key, bad
 *         length, does not verify; the message says which); VOUCH_ENOMEM.
 * Thread safety: safe to call concurrently on one key.
 */
int vouch__public_key_verify_jws(const vouch_public_key *key, const char *alg,
                                 size_t alg_len, const unsigned char *input,
                                 size_t input_len, const unsigned char *sig,
                                 size_t sig_len, vouch_error *err);

/* strlen(vouch_public_key_id(key)), kept with the key. Reentrant. */
size_t vouch__public_key_id_len(const vouch_public_key *key);

#endif /* VOUCH_KEY_INTERNAL_H */
