/*
 * Internals of the registry client shared between registry.c, auth.c and
 * cache.c (and reached by tests/registry/). Nothing here is public.
 */
#ifndef VOUCH_REGISTRY_INTERNAL_H
#define VOUCH_REGISTRY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "registry.h"
#include "vouch/common.h"
#include "vouch/image_ref.h"
#include "vutil_str.h"

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

/* ---- address.c: where the client may connect ---- */

#define VOUCH__HOST_MAX 255

/* One entry of insecure_hosts or allowed_hosts: a canonical host (lower
 * case; an IPv6 address as inet_ntop writes it, no brackets) and a port,
 * 0 for every port. */
typedef struct vouch__host_rule {
    char host[VOUCH__HOST_MAX + 1];
    long port;
} vouch__host_rule;

typedef struct vouch__host_rules {
    vouch__host_rule *items;
    size_t count;
} vouch__host_rules;

/*
 * Split "host", "host:port", "[v6]" or "[v6]:port" (exactly `len` bytes)
 * into a canonical host and a port (0 when absent). 0, or -1 when the text
 * is none of these (a bare IPv6 address, a port out of 1..65535, a
 * character no host name has).
 */
int vouch__host_split(const char *text, size_t len, char *host,
                      size_t host_size, long *port);

/* Parse a NULL-terminated list (may be NULL: an empty list). `what` names
 * the option in messages. 0; VOUCH_EINVAL naming the entry; VOUCH_ENOMEM.
 * Free with vouch__host_rules_free (NULL is a no-op). */
int vouch__host_rules_parse(vouch__host_rules **out,
                            const char *const *list, const char *what,
                            vouch_error *err);
void vouch__host_rules_free(vouch__host_rules *rules);

/* Does `host` ("name", "1.2.3.4", "::1" or "[::1]") with `port` match a
 * rule? A rule without a port matches every port. NULL rules: false. */
bool vouch__host_rules_match(const vouch__host_rules *rules,
                             const char *host, long port);

/*
 * False for every address a registry on the public Internet does not
 * have: loopback, link-local, private, carrier-grade NAT, "this network",
 * multicast, reserved, IPv6 unique-local, site-local, and the IPv4-mapped,
 * -compatible, NAT64 and 6to4 forms of any of those. Also false for a
 * family other than AF_INET and AF_INET6.
 */
struct sockaddr;
bool vouch__address_is_public(const struct sockaddr *sa);

/* ---- flight.c: concurrent resolves of one reference share a request ---- */

typedef struct vouch__flights vouch__flights;
typedef struct vouch__flight vouch__flight;

int vouch__flights_new(vouch__flights **out);
/* No flight may be in progress. NULL is a no-op. */
void vouch__flights_free(vouch__flights *fs);

/*
 * Join the flight for `key`, or start it. *leader_out true: the caller
 * asks the registry and must call vouch__flight_land() exactly once.
 * False: the caller must call vouch__flight_wait(). VOUCH_ENOMEM (then
 * the caller asks the registry alone). Thread-safe.
 */
int vouch__flight_join(vouch__flights *fs, const char *key,
                       vouch__flight **out, bool *leader_out);

/* The leader's answer: rc, the digest on success, the error on failure
 * (copied). Wakes every follower. */
void vouch__flight_land(vouch__flights *fs, vouch__flight *f, int rc,
                        const char *digest, const vouch_error *err);

/* Block until the leader lands; then its rc, digest ("" on failure) and
 * error are copied out. Returns rc. */
int vouch__flight_wait(vouch__flights *fs, vouch__flight *f,
                       char digest[VOUCH_REGISTRY_DIGEST_SIZE],
                       vouch_error *err);

/* Followers waiting right now, over every flight (for tests). */
size_t vouch__flights_waiting(vouch__flights *fs);

/* ---- shared state of the client (registry.c, http.c, auth.c) ---- */

#define VOUCH__REGMSG_SIZE 160

struct curl_slist;

struct vouch_registry {
    long connect_timeout_ms;
    long total_timeout_ms;
    unsigned max_retries;
    long retry_base_ms;
    long retry_max_ms;
    long cache_ttl_ms;
    vouch__host_rules *insecure;   /* plain http and private addresses */
    vouch__host_rules *allowed;    /* private addresses, https only */
    char *ca_file;
    vouch__credentials *creds;
    vouch__registry_cache *digests; /* pinned digest -> exists */
    vouch__registry_cache *tokens;
    vouch__flights *flights;
    void (*log)(const char *line, void *payload);
    void *log_payload;
    /* Test hook: CURLOPT_RESOLVE entries ("name:port:address"), so a test
     * can make a name resolve to an address without a DNS server. NULL in
     * production; set only by vouch__registry_test_resolve(). */
    struct curl_slist *resolve;
};

/* What one HTTP exchange brought back (http.c). */
typedef struct vouch__http_response {
    long status;
    char digest[VOUCH_REGISTRY_DIGEST_SIZE]; /* Docker-Content-Digest */
    char *challenge;           /* WWW-Authenticate, malloc'd */
    long retry_after_ms;       /* -1: none */
    vutil_buf body;            /* the answer's bytes, up to a ceiling */
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

/* ---- answer.c: what a registry's answer may contribute ---- */

/* Longest Retry-After honoured as such (a day); longer reads as this. */
#define VOUCH__RETRY_AFTER_MAX_S 86400L

/*
 * `errors[0].code` of a distribution-spec error body, when it is one of the
 * codes the spec (or Docker's registry) defines: a static string such as
 * "MANIFEST_UNKNOWN"; NULL for anything else. The registry's `message` and
 * `detail` are never read. Reads exactly `len` bytes.
 */
const char *vouch__registry_error_code(const char *data, size_t len);

/*
 * A Retry-After value (exactly `len` bytes): delay-seconds, or an
 * HTTP-date compared with `now`. Milliseconds, at most
 * VOUCH__RETRY_AFTER_MAX_S seconds' worth (a date in the past is 0), or -1
 * when the value is neither form.
 */
long vouch__retry_after_ms(const char *value, size_t len, time_t now);

/* ---- http.c ---- */

/* CLOCK_MONOTONIC in milliseconds. */
int64_t vouch__registry_now_ms(void);

/* err->source = image (when err is not NULL). */
void vouch__registry_set_source(vouch_error *err, const char *image);

/* A line for the client's log callback (none: nothing), control characters
 * replaced by '?'. Never give it a secret. */
void vouch__registry_log(const vouch_registry *reg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * One request within ctx->deadline_ms. Redirects are followed by hand (at
 * most 5, https only, credentials only to the first URL's origin), and
 * every address dialled, on every hop, must be public unless its host and
 * port are listed (insecure or allowed). Plain http only to hosts listed
 * insecure. 429, 500, 502, 503, 504 and transport failures are retried
 * (Retry-After honoured up to retry_max_ms). `peer` names the far end in
 * messages ("registry 127.0.0.1:5000", "token server auth.example.com").
 *
 * On 0, resp->status is the final status, whatever it is. Otherwise:
 * VOUCH_EIO "PEER unreachable for ..." for every transport failure alike
 * (the cause goes to the log), "PEER unavailable: answered ..." for
 * retries spent; VOUCH_EINVAL for a refused address, plain http or a
 * redirect that is not https; VOUCH_ETOOBIG; VOUCH_ENOMEM. Free resp with
 * vouch__http_response_clear() in both cases.
 */
int vouch__http_exchange(vouch__resolve_ctx *ctx, const char *url, bool head,
                         const vouch__http_auth *auth, size_t body_max,
                         const char *peer, vouch__http_response *resp,
                         vouch_error *err);
void vouch__http_response_clear(vouch__http_response *r);

/* ---- auth.c: the bearer dance ---- */

/*
 * Fetch a pull token for ctx->path from the challenge's realm (https unless
 * the realm's host and port are listed insecure), cache it in reg->tokens
 * under ctx->token_key, and make it ctx->token. The registry's basic
 * credentials go with the request only over https, or to the registry's
 * own origin. 0; VOUCH_EINVAL (realm breaks the https rule); VOUCH_EIO;
 * VOUCH_EPARSE/VOUCH_ETOOBIG (answer); VOUCH_ENOMEM.
 */
int vouch__registry_token_fetch(vouch__resolve_ctx *ctx,
                                const vouch__auth_challenge *ch,
                                vouch_error *err);

/* ---- registry.c ---- */

/*
 * Is `registry` ("host[:port]", as in an image reference) listed with
 * insecure_hosts? A registry without a port is matched as port 80, the
 * port plain http would use.
 */
bool vouch__registry_is_insecure(const vouch_registry *reg,
                                 const char *registry);

/* The host to connect to: registry-1.docker.io for docker.io, else the
 * registry itself. Static or borrowed from `registry`. */
const char *vouch__registry_endpoint(const char *registry);

/* Test hook: make `name:port` resolve to `address` for this client
 * (CURLOPT_RESOLVE), as a test cannot run a DNS server. Not thread-safe:
 * call before the client is used. 0 or VOUCH_ENOMEM. */
int vouch__registry_test_resolve(vouch_registry *reg, const char *entry);

/* Followers waiting on a single flight right now (for tests). */
size_t vouch__registry_waiting(vouch_registry *reg);

#endif /* VOUCH_REGISTRY_INTERNAL_H */
