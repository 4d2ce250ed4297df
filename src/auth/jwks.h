/*
 * vouch auth — JSON Web Key Sets (RFC 7517) of trusted OIDC issuers, and
 * JWT signature checks against them (RFC 7518 RS256 and ES256, RFC 8037
 * EdDSA with Ed25519), all through OpenSSL 3 EVP: keys are built from their
 * JWK members with EVP_PKEY_fromdata().
 *
 * Which keys are used: "kty" RSA (2048, 3072 or 4096 bits), EC with "crv"
 * P-256, OKP with "crv" Ed25519, each with a "kid". Keys of other types,
 * curves or sizes, keys whose "use" is not "sig", whose "key_ops" lack
 * "verify", or whose "alg" is not one vouch verifies are skipped; a key
 * of a used type with a malformed member fails the whole set, as does any
 * private-key member ("d", "p", …).
 */
#ifndef VOUCH_AUTH_JWKS_H
#define VOUCH_AUTH_JWKS_H

#include <stdbool.h>
#include <stddef.h>

#include "jwt.h"
#include "vouch/common.h"

/** Largest JWKS document, and most keys, accepted. */
#define VOUCH_JWKS_MAX_BYTES (1024u * 1024u)
#define VOUCH_JWKS_MAX_KEYS 256u

typedef struct vouch_jwks vouch_jwks;

/**
 * Parse a JWKS ({"keys": [JWK, …]}; other top-level members ignored).
 *
 * @param[out] out  A set with one reference; free with vouch_jwks_free().
 *                  NULL on failure. A set may hold no usable key.
 * @param source    Name for errors (the URL or path); may be NULL.
 * @return 0; VOUCH_EPARSE (not JSON: line and column); VOUCH_EINVAL (names
 *         the key and member, e.g. "keys[1].x: expected 32 bytes");
 *         VOUCH_ETOOBIG; VOUCH_ENOMEM.
 * Thread safety: reentrant; the set is immutable and may be shared.
 */
int vouch_jwks_parse(vouch_jwks **out, const char *data, size_t len,
                     const char *source, vouch_error *err);

/** One more reference (NULL gives NULL). Safe from any thread. */
vouch_jwks *vouch_jwks_ref(vouch_jwks *ks);

/** Drop a reference; the last frees the set. NULL-safe, any thread. */
void vouch_jwks_free(vouch_jwks *ks);

/** Number of usable keys. Reentrant. */
size_t vouch_jwks_count(const vouch_jwks *ks);

/**
 * Is `alg` one that vouch verifies: "RS256", "ES256" or "EdDSA"? (So never
 * "none", nor any HMAC algorithm: a public key is never used as a shared
 * secret.) Reentrant.
 */
bool vouch_jwks_alg_supported(const char *alg);

/**
 * Does the set hold a key with this "kid" that suits `alg`? Reentrant.
 */
bool vouch_jwks_has_key(const vouch_jwks *ks, const char *kid,
                        const char *alg);

/**
 * Verify the signature of `jwt` with the key of the set named by its "kid"
 * that suits its "alg".
 *
 * @return 0; VOUCH_EINVAL (alg not supported); VOUCH_ENOTFOUND (no "kid",
 *         or no such key for that alg); VOUCH_ECRYPTO (the signature does
 *         not verify, or has the wrong length); VOUCH_ENOMEM.
 * Thread safety: reentrant, also on one shared set.
 */
int vouch_jwks_verify(const vouch_jwks *ks, const vouch_jwt *jwt,
                      vouch_error *err);

#endif /* VOUCH_AUTH_JWKS_H */
