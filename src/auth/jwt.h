/*
 * vouch auth — compact JWTs (RFC 7519 over RFC 7515 compact JWS): split,
 * decode and parse the header and the claims. Signatures are checked
 * against a key set in jwks.h; claims are judged by the authenticator
 * (authn.h). docs/security.md ("Identity") lists the rules.
 *
 * Error messages never quote the token or any part of it: a bearer token
 * is a credential, and these messages end up in logs.
 */
#ifndef VOUCH_AUTH_JWT_H
#define VOUCH_AUTH_JWT_H

#include <stddef.h>

#include <jansson.h>

#include "vouch/common.h"

/** Longest token accepted (Kubernetes and CI tokens are 1-2 KiB). */
#define VOUCH_JWT_MAX_BYTES (16u * 1024u)

typedef struct vouch_jwt vouch_jwt;

/**
 * Parse a compact JWS: exactly three parts separated by '.', each strict
 * base64url without padding ([A-Za-z0-9_-] only); the first two decode to
 * JSON objects (duplicate member names refused). The header must have a
 * string "alg"; "kid", when present, must be a string; "crit" is refused
 * (no extension is understood). An empty signature is accepted here so that
 * an unsigned token (alg "none") is reported as such by the caller; the
 * signature is judged by vouch_jwks_verify().
 *
 * @param[out] out  Caller owns it; free with vouch_jwt_free(). NULL on
 *                  failure.
 * @param token,len The token; borrowed. At most VOUCH_JWT_MAX_BYTES.
 * @return 0; VOUCH_EPARSE (not a compact JWS, or not JSON: the message says
 *         which part); VOUCH_EINVAL (a header rule above); VOUCH_ETOOBIG;
 *         VOUCH_ENOMEM.
 * Thread safety: reentrant. A parsed JWT is immutable.
 */
int vouch_jwt_parse(vouch_jwt **out, const char *token, size_t len,
                    vouch_error *err);

/** Header "alg" (never NULL) and "kid" (NULL when absent). Borrowed. */
const char *vouch_jwt_alg(const vouch_jwt *jwt);
const char *vouch_jwt_kid(const vouch_jwt *jwt);

/** Decoded header and claims objects. Borrowed; valid until freed. */
const json_t *vouch_jwt_header(const vouch_jwt *jwt);
const json_t *vouch_jwt_claims(const vouch_jwt *jwt);

/** The bytes the signature covers: "HEADER.PAYLOAD" as received. */
vouch_slice vouch_jwt_signing_input(const vouch_jwt *jwt);

/** The decoded signature (`*len` may be 0). Borrowed. */
const unsigned char *vouch_jwt_signature(const vouch_jwt *jwt, size_t *len);

/** Free a JWT. NULL is a no-op. */
void vouch_jwt_free(vouch_jwt *jwt);

#endif /* VOUCH_AUTH_JWT_H */
