/*
 * Internals of the registry client shared between registry.c, auth.c and
 * cache.c (and reached by tests/registry/). Nothing here is public.
 */
#ifndef VOUCH_REGISTRY_INTERNAL_H
#define VOUCH_REGISTRY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"
#include "vouch/common.h"
#include "vouch/image_ref.h"

/* ---- cache.c: bounded, thread-safe map key -> value with an expiry ---- */

typedef struct vouch__registry_cache vouch__registry_cache;

/*
 * A cache of at most `max_entries` entries (0: a cache that never hits).
 * When full, expired entries go first, then the oldest insertion.
 * Values are wiped when dropped (the token cache holds secrets).
 */
int vouch__registry_cache_new(vouch__registry_cache **out,
                              size_t max_entries);
void vouch__registry_cache_free(vouch__registry_cache *cache);

/*
 * Look `key` up at time `now_ms`. On a live hit, *out is a malloc'd copy of
 * the value (caller frees) and 1 is returned; 0 on a miss (or an expired
 * entry, which is dropped); VOUCH_ENOMEM. Thread-safe.
 */
int vouch__registry_cache_get(vouch__registry_cache *cache, const char *key,
                              int64_t now_ms, char **out);

/* Insert or replace `key`; the entry lives until `expires_ms`. When the
 * cache is full, entries expired at `now_ms` are dropped first.
 * 0 or VOUCH_ENOMEM. Thread-safe. */
int vouch__registry_cache_put(vouch__registry_cache *cache, const char *key,
                              const char *value, int64_t now_ms,
                              int64_t expires_ms);

/* Drop `key` if present. Thread-safe. */
void vouch__registry_cache_remove(vouch__registry_cache *cache,
                                  const char *key);

/* Number of entries held (live or not yet swept). Thread-safe. */
size_t vouch__registry_cache_count(vouch__registry_cache *cache);

/* ---- auth.c: WWW-Authenticate, credentials file, token responses ---- */

typedef enum vouch__auth_scheme {
    VOUCH__AUTH_OTHER = 0,
    VOUCH__AUTH_BASIC = 1,
    VOUCH__AUTH_BEARER = 2
} vouch__auth_scheme;

typedef struct vouch__auth_challenge {
    vouch__auth_scheme scheme;
    char *realm;   /* NULL when absent */
    char *service; /* NULL when absent */
    char *scope;   /* NULL when absent */
} vouch__auth_challenge;

/*
 * Parse the first challenge of a WWW-Authenticate value (RFC 7235:
 * `scheme param=token, param="quoted \" string"`). Reads exactly `len`
 * bytes. On failure the struct is left cleared. 0; VOUCH_EPARSE (column
 * set); VOUCH_ETOOBIG (over VOUCH_REGISTRY_CHALLENGE_MAX_BYTES);
 * VOUCH_ENOMEM. Free the strings with vouch__auth_challenge_clear().
 */
int vouch__auth_challenge_parse(vouch__auth_challenge *out, const char *data,
                                size_t len, vouch_error *err);
void vouch__auth_challenge_clear(vouch__auth_challenge *c);

typedef struct vouch__credential {
    char *registry; /* normalised key: "host[:port]", docker.io for Hub */
    char *username;
    char *password;
} vouch__credential;

typedef struct vouch__credentials {
    vouch__credential *items;
    size_t count;
} vouch__credentials;

/*
 * Parse a credentials document (docs/registry.md):
 *   {"auths": {"HOST[:PORT]": {"username": "u", "password": "p"}
 *                             | {"auth": "base64(u:p)"}}}
 * Keys may carry a scheme and a path ("https://index.docker.io/v1/");
 * index.docker.io and registry-1.docker.io mean docker.io.
 * 0; VOUCH_EPARSE (line/column); VOUCH_EINVAL (names the field);
 * VOUCH_ETOOBIG; VOUCH_ENOMEM. Messages never contain a secret.
 */
int vouch__credentials_parse(vouch__credentials **out, const char *data,
                             size_t len, const char *source,
                             vouch_error *err);
/* Wipes the secrets. NULL is a no-op. */
void vouch__credentials_free(vouch__credentials *creds);
/* Credentials for `registry` (as vouch_image_ref_registry gives it), or
 * NULL. Borrowed from `creds`. */
const vouch__credential *vouch__credentials_find(
    const vouch__credentials *creds, const char *registry);

/*
 * Parse a token server answer: {"token": T} or {"access_token": T}, with an
 * optional "expires_in" (seconds; default 60). The token must be 1..8192
 * visible ASCII characters (it goes into a header). *token_out is malloc'd;
 * the caller wipes and frees it. 0; VOUCH_EPARSE; VOUCH_EINVAL;
 * VOUCH_ETOOBIG; VOUCH_ENOMEM. Messages never contain the token.
 */
int vouch__token_parse(const char *data, size_t len, char **token_out,
                       long *expires_in_out, vouch_error *err);

/* ---- shared state of the client (registry.c, http.c, auth.c) ---- */

#define VOUCH__REGMSG_SIZE 160

struct vouch_registry {
    long connect_timeout_ms;
    long total_timeout_ms;
    unsigned max_retries;
    long retry_base_ms;
    long retry_max_ms;
    long cache_ttl_ms;
    char **insecure;           /* NULL-terminated copy */
    char *ca_file;
    vouch__credentials *creds;
    vouch__registry_cache *tags;
    vouch__registry_cache *tokens;
};

/* What one HTTP exchange brought back (http.c). */
typedef struct vouch__http_response {
    long status;
    char digest[VOUCH_REGISTRY_DIGEST_SIZE]; /* Docker-Content-Digest */
    char *challenge;           /* WWW-Authenticate, malloc'd */
    long retry_after_s;        /* -1: none */
    char *body;
    size_t body_len;
    size_t body_cap;
    size_t body_max;
    bool too_big;
    bool header_too_big;
} vouch__http_response;

/* State of one vouch_registry_resolve() call. */
typedef struct vouch__resolve_ctx {
    vouch_registry *reg;
    const char *image;         /* normalised reference, for err->source */
    const char *registry;      /* "host[:port]" as in the reference */
    const char *path;
    const char *reference;     /* tag or digest */
    char what[VOUCH_IMAGE_REF_MAX_BYTES + 16]; /* "manifests/<reference>",
                                                  for messages */
    const char *scheme;        /* "http" or "https" */
    char token_key[VOUCH_IMAGE_REF_MAX_BYTES + 64];
    char *token;               /* bearer token in use; wiped */
    const vouch__credential *cred;
    bool basic;                /* send the basic credentials */
    int64_t deadline_ms;
} vouch__resolve_ctx;

/* Authentication to use for one exchange. */
typedef struct vouch__http_auth {
    const char *bearer;                /* token, or NULL */
    const vouch__credential *basic;    /* or NULL */
} vouch__http_auth;

/* ---- http.c ---- */

/* CLOCK_MONOTONIC in milliseconds. */
int64_t vouch__registry_now_ms(void);

/* err->source = image (when err is not NULL). */
void vouch__registry_set_source(vouch_error *err, const char *image);

/*
 * One request with retries on 429/503 and connection failures, within
 * ctx->deadline_ms. `peer` names the far end in messages ("registry
 * 127.0.0.1:5000", "token server auth.example.com"). `insecure` allows
 * plain http for `url` itself; redirects must always be https. On 0, resp->status is the final status,
 * whatever it is; otherwise err names the cause. Free resp with
 * vouch__http_response_clear() in both cases.
 */
int vouch__http_exchange(vouch__resolve_ctx *ctx, const char *url, bool head,
                         const vouch__http_auth *auth, size_t body_max,
                         bool insecure, const char *peer,
                         vouch__http_response *resp, vouch_error *err);
void vouch__http_response_clear(vouch__http_response *r);

/* ---- auth.c: the bearer dance ---- */

/*
 * Fetch a pull token for ctx->path from the challenge's realm (https unless
 * the realm host is loopback or insecure), cache it in reg->tokens under
 * ctx->token_key, and make it ctx->token. 0; VOUCH_EINVAL (realm breaks
 * the https rule); VOUCH_EIO; VOUCH_EPARSE/VOUCH_ETOOBIG (answer);
 * VOUCH_ENOMEM.
 */
int vouch__registry_token_fetch(vouch__resolve_ctx *ctx,
                                const vouch__auth_challenge *ch,
                                vouch_error *err);

/* ---- registry.c ---- */

/*
 * Copy `errors[0].message` (or, failing that, `errors[0].code`) of a
 * registry error body into `buf`, with control characters replaced by
 * '?'. Leaves "" when the body has neither. Reads exactly `len` bytes.
 */
void vouch__registry_error_message(const char *data, size_t len, char *buf,
                                   size_t size);

/* True for localhost, 127.0.0.0/8 and ::1, with or without a port. */
bool vouch__registry_host_is_loopback(const char *registry);

/*
 * "http" or "https" for `registry` ("host[:port]") given the configured
 * insecure list (NULL-terminated; may be NULL): http only for loopback and
 * listed hosts ("host" matches every port, "host:port" only that one).
 */
bool vouch__registry_host_is_insecure(const char *registry,
                                      const char *const *insecure);

/* The host to connect to: registry-1.docker.io for docker.io, else the
 * registry itself. Static or borrowed from `registry`. */
const char *vouch__registry_endpoint(const char *registry);

#endif /* VOUCH_REGISTRY_INTERNAL_H */
