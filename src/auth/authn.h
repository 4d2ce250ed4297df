/*
 * vouch auth — authentication of a request's bearer token
 * (docs/security.md "Identity").
 *
 * A static token matches by the SHA-256 of its bytes, compared in constant
 * time with every configured hash (CRYPTO_memcmp); the config never holds a
 * token. Any other bearer must be a JWT of a configured OIDC issuer:
 * alg RS256, ES256 or EdDSA (never "none", never HMAC); "iss" equal to the
 * issuer; "aud" equal to, or a list containing, the audience; "exp"
 * required; "exp" and "nbf" checked with VOUCH_AUTHN_LEEWAY_S of leeway;
 * the key named by "kid" from the issuer's JWKS.
 *
 * JWKS: a file:// path or an https:// URL (libcurl; https only, also for
 * redirects; the issuer's "ca" when given). A fetched set is kept as long
 * as its Cache-Control max-age says, between VOUCH_JWKS_MIN_TTL_S and
 * VOUCH_JWKS_MAX_TTL_S (VOUCH_JWKS_DEFAULT_TTL_S without one). A token with
 * an unknown "kid" causes one refetch; but a JWKS is never fetched more
 * than once per VOUCH_JWKS_REFETCH_INTERVAL_S, for any reason. When a
 * refetch fails, the keys already held stay in use.
 *
 * Principal: "serviceAccount:EMAIL" when the token has "email" and
 * "email_verified": true, otherwise "principal://ISSUER-HOST/subject/SUB".
 * A static token's principal is the one configured for it.
 */
#ifndef VOUCH_AUTH_AUTHN_H
#define VOUCH_AUTH_AUTHN_H

#include <stdint.h>

#include "authconfig.h"
#include "clock.h"
#include "vouch/common.h"

#define VOUCH_AUTHN_LEEWAY_S 60
#define VOUCH_JWKS_MIN_TTL_S 60
#define VOUCH_JWKS_DEFAULT_TTL_S 300
#define VOUCH_JWKS_MAX_TTL_S 86400
#define VOUCH_JWKS_REFETCH_INTERVAL_S 60

/** Why a request is not authenticated: for logs and metrics. */
typedef enum vouch_authn_result {
    VOUCH_AUTHN_OK = 0,
    VOUCH_AUTHN_NO_TOKEN = 1,        /* no Authorization header: anonymous */
    VOUCH_AUTHN_MALFORMED = 2,       /* not "Bearer TOKEN" */
    VOUCH_AUTHN_UNKNOWN_TOKEN = 3,   /* not a configured token, not a JWT */
    VOUCH_AUTHN_UNKNOWN_ISSUER = 4,  /* a JWT of an issuer not configured */
    VOUCH_AUTHN_BAD_ALGORITHM = 5,   /* "none", HS256, anything unsupported */
    VOUCH_AUTHN_UNKNOWN_KEY = 6,     /* no "kid", or not in the JWKS */
    VOUCH_AUTHN_BAD_SIGNATURE = 7,
    VOUCH_AUTHN_WRONG_AUDIENCE = 8,
    VOUCH_AUTHN_EXPIRED = 9,
    VOUCH_AUTHN_NOT_YET_VALID = 10,  /* "nbf" in the future */
    VOUCH_AUTHN_BAD_CLAIMS = 11,     /* no "exp", no subject, bad types */
    VOUCH_AUTHN_KEYS_UNAVAILABLE = 12 /* the JWKS could not be had */
} vouch_authn_result;

/** "OK", "NO_TOKEN", "EXPIRED", … (static strings). Reentrant. */
const char *vouch_authn_result_name(vouch_authn_result result);

typedef enum vouch_authn_method {
    VOUCH_AUTHN_STATIC_TOKEN = 1,
    VOUCH_AUTHN_OIDC = 2
} vouch_authn_method;

/* ------------------------------------------------------------------ */
/* Identities                                                         */

typedef struct vouch_identity vouch_identity;

/** The member form: "user:a@b", "serviceAccount:…", "principal://…". */
const char *vouch_identity_principal(const vouch_identity *id);

/**
 * The bare e-mail address of a user: or serviceAccount: principal (the
 * audit log's authenticationInfo.principalEmail), or NULL.
 */
const char *vouch_identity_email(const vouch_identity *id);

/**
 * The principal:// form of a principal that has no e-mail address (the
 * audit log's authenticationInfo.principalSubject), or NULL.
 */
const char *vouch_identity_subject(const vouch_identity *id);

/** How the caller authenticated. */
vouch_authn_method vouch_identity_method(const vouch_identity *id);

/** The issuer of an OIDC token, or NULL for a static token. */
const char *vouch_identity_issuer(const vouch_identity *id);

/** "exp" of an OIDC token in seconds since the epoch; 0 for static. */
int64_t vouch_identity_expires(const vouch_identity *id);

/** Free an identity. NULL is a no-op. */
void vouch_identity_free(vouch_identity *id);

/* ------------------------------------------------------------------ */
/* The authenticator                                                  */

typedef struct vouch_authn_options {
    unsigned version;
    vouch_auth_clock clock;     /* { NULL, NULL }: the system clock */
    long fetch_timeout_ms;      /* per JWKS fetch; 0: 10,000 */
} vouch_authn_options;

#define VOUCH_AUTHN_OPTIONS_VERSION 1
#define VOUCH_AUTHN_OPTIONS_INIT \
    { VOUCH_AUTHN_OPTIONS_VERSION, { NULL, NULL }, 0 }

typedef struct vouch_authn vouch_authn;

/**
 * Make an authenticator: it holds the JWKS cache, which outlives config
 * reloads (a JWKS is cached by its URL and CA file, so a reload that keeps
 * an issuer keeps its keys). libcurl must have been initialised
 * (curl_global_init) before any thread starts, as for every vouch client.
 *
 * @param opts  May be NULL (defaults). Copied.
 * @param[out] out  Caller owns it; free with vouch_authn_free().
 * @return 0; VOUCH_EINVAL (unknown options version); VOUCH_ENOMEM.
 */
int vouch_authn_new(vouch_authn **out, const vouch_authn_options *opts,
                    vouch_error *err);

/** Free an authenticator and its cache. NULL-safe. */
void vouch_authn_free(vouch_authn *authn);

/**
 * Authenticate the value of an Authorization header.
 *
 * @param cfg            The config in force (borrowed; may be NULL: then
 *                       every token is UNKNOWN_TOKEN).
 * @param header, len    The header value ("Bearer TOKEN"; the scheme is
 *                       case-insensitive), or NULL / 0 when absent.
 * @param[out] out       On success the caller's identity; caller owns it,
 *                       free with vouch_identity_free(). NULL otherwise.
 * @param[out] result    Why (VOUCH_AUTHN_OK on success). May be NULL.
 * @param[out] err       On failure, a message for the server log naming
 *                       the reason (issuer, kid, audience, times) and never
 *                       the token or any part of it. May be NULL.
 * @return 0; VOUCH_EUNAUTHENTICATED (*result says why; NO_TOKEN means an
 *         anonymous caller, for whom allUsers grants still apply);
 *         VOUCH_ENOMEM.
 *
 * Thread safety: safe from any thread; JWKS fetches are serialised per
 * JWKS, and a thread that needs a fetch another thread is making waits for
 * it rather than fetching again. The fetch happens on the calling thread.
 */
int vouch_authn_authenticate(vouch_authn *authn, const vouch_auth_config *cfg,
                             const char *header, size_t len,
                             vouch_identity **out, vouch_authn_result *result,
                             vouch_error *err);

/**
 * Fetch every issuer's JWKS of `cfg` now that is not already cached (at
 * start-up and after a reload, so that problems show in the log at once).
 * Obeys the once-a-minute rule.
 *
 * @return 0 when every issuer has keys; otherwise VOUCH_EIO, with `err`
 *         naming the issuer of the first failure and its cause (cannot
 *         connect, TLS, HTTP status, not a JWKS). Every issuer is tried.
 * Thread safety: as vouch_authn_authenticate().
 */
int vouch_authn_prefetch(vouch_authn *authn, const vouch_auth_config *cfg,
                         vouch_error *err);

#endif /* VOUCH_AUTH_AUTHN_H */
