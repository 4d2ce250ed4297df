/*
 * vouch auth — internal: the JWKS cache of an authenticator, and one JWKS
 * fetch (file:// or https:// through libcurl). The rules are in authn.h.
 */
#ifndef VOUCH_AUTH_JWKS_CACHE_H
#define VOUCH_AUTH_JWKS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "auth_internal.h"
#include "clock.h"
#include "jwks.h"

typedef struct vouch__jwks_cache vouch__jwks_cache;

int vouch__jwks_cache_new(vouch__jwks_cache **out,
                          const vouch_auth_clock *clock, long timeout_ms);
void vouch__jwks_cache_free(vouch__jwks_cache *cache);

/*
 * The key set of `iss` holding a key `kid` for `alg`, fetching as the rules
 * allow. `kid` NULL asks for any fresh key set (a prefetch). `*out` gets
 * a reference (vouch_jwks_free) whenever keys are held, also on
 * VOUCH_ENOTFOUND.
 * Returns 0; VOUCH_ENOTFOUND (keys held, but not that one); VOUCH_EIO
 * (no keys: never fetched successfully; `err` has the last fetch error);
 * VOUCH_ENOMEM.
 */
int vouch__jwks_cache_get(vouch__jwks_cache *cache,
                          const vouch__auth_issuer *iss, const char *kid,
                          const char *alg, vouch_jwks **out,
                          vouch_error *err);

/*
 * Fetch one JWKS: `url` "file:///PATH" or "https://…" (`ca`: a PEM file, or
 * NULL for the system's CAs). `*ttl_s` gets the cache lifetime (clamped
 * max-age, or the default). Errors name `url`: VOUCH_EIO (cannot read or
 * connect, TLS failure, HTTP status other than 200, a redirect to
 * non-https), VOUCH_EPARSE / VOUCH_EINVAL / VOUCH_ETOOBIG (the document),
 * VOUCH_ENOMEM.
 */
int vouch__jwks_fetch(const char *url, const char *ca, long timeout_ms,
                      vouch_jwks **out, int64_t *ttl_s, vouch_error *err);

/*
 * Cache lifetime from a Cache-Control header value (`len` bytes): max-age
 * clamped to [VOUCH_JWKS_MIN_TTL_S, VOUCH_JWKS_MAX_TTL_S]; no-store or
 * no-cache give the minimum; nothing usable gives the default.
 */
int64_t vouch__jwks_ttl_from_cache_control(const char *value, size_t len);

#endif /* VOUCH_AUTH_JWKS_CACHE_H */
