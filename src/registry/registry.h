/*
 * vouch — OCI distribution v2 client: resolve an image tag to the digest
 * of its manifest (the run platform pins images at deploy time).
 *
 * Not part of libvouch (the engine touches no sockets): this is the static
 * library `vouchregistry`, used by vouchd and the CLI. It talks HTTP through
 * libcurl, which the program must initialise once with
 * curl_global_init(CURL_GLOBAL_DEFAULT) in main(), before any thread starts.
 *
 * Where it connects (docs/registry.md, "Transport" and "Which addresses"):
 * https, except to hosts listed in vouch_registry_options.insecure_hosts
 * (plain http allowed). Every address dialled, after name resolution and
 * on every redirect hop, must be a public one: loopback, link-local and
 * private addresses (and their IPv4-mapped forms) are refused unless the
 * host and port are listed in insecure_hosts or allowed_hosts. Redirects
 * are followed by hand (at most 5, https only, credentials only to the
 * first origin). Proxies from the environment are not used: a proxy would
 * connect where the address check cannot see.
 *
 * Docker Hub references (docker.io/...) are fetched from
 * registry-1.docker.io. Credentials and tokens are never written into error
 * messages or logs.
 */
#ifndef VOUCH_REGISTRY_H
#define VOUCH_REGISTRY_H

#include <stddef.h>

#include "vouch/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vouch_registry vouch_registry;

/**
 * Size of the buffer that receives a digest: "sha512:" + 128 hex + NUL.
 * Resolving a tag always yields "sha256:<64 hex>"; a reference that is
 * already pinned to a sha512 digest is returned as it is.
 */
#define VOUCH_REGISTRY_DIGEST_SIZE 136

/** Largest manifest (or error body) accepted from a registry: 4 MiB. */
#define VOUCH_REGISTRY_MANIFEST_MAX_BYTES (4u * 1024u * 1024u)
/** Largest token-server response accepted: 64 KiB. */
#define VOUCH_REGISTRY_TOKEN_MAX_BYTES (64u * 1024u)
/** Largest credentials file accepted: 1 MiB. */
#define VOUCH_REGISTRY_CREDENTIALS_MAX_BYTES (1024u * 1024u)
/** Largest WWW-Authenticate header accepted: 8 KiB. */
#define VOUCH_REGISTRY_CHALLENGE_MAX_BYTES (8u * 1024u)

/**
 * Options for vouch_registry_new(). Start from
 * VOUCH_REGISTRY_OPTIONS_INIT and change what you need.
 */
typedef struct vouch_registry_options {
    unsigned version;             /* VOUCH_REGISTRY_OPTIONS_VERSION */
    long connect_timeout_ms;      /* per connection attempt; > 0 */
    long total_timeout_ms;        /* whole vouch_registry_resolve() call,
                                     retries and waits included; > 0 */
    unsigned max_retries;         /* extra attempts after a 429, 500, 502,
                                     503, 504 or a transport failure; at
                                     most 10 */
    long retry_base_ms;           /* first backoff wait; doubled each time */
    long retry_max_ms;            /* cap on one wait; a Retry-After asking
                                     for more ends the resolve at once */
    long cache_ttl_ms;            /* lifetime of "this pinned digest
                                     exists" (a digest names immutable
                                     content); 0 = no cache. Tags are never
                                     cached. */
    size_t cache_max_entries;     /* bound of that cache; 0 = no cache */
    const char *credentials_file; /* see docs/registry.md; NULL = none */
    const char *const *insecure_hosts; /* NULL-terminated list of "host",
                                          "host:port" or "[v6]:port"
                                          allowed plain http and any
                                          address; NULL = none */
    const char *ca_file;          /* PEM bundle for https; NULL = system */
    const char *const *allowed_hosts; /* NULL-terminated list, same forms:
                                         https to these may reach a
                                         loopback, link-local or private
                                         address; NULL = none */
    /* Called with one line of detail a caller is not told (the cause of a
     * transport failure, an address not dialled). Never a secret. From
     * any thread that resolves; NULL = no log. */
    void (*log)(const char *line, void *payload);
    void *log_payload;
} vouch_registry_options;

#define VOUCH_REGISTRY_OPTIONS_VERSION 2
#define VOUCH_REGISTRY_OPTIONS_INIT \
    { VOUCH_REGISTRY_OPTIONS_VERSION, 5000, 30000, 3, 250, 10000, 60000, \
      1024, NULL, NULL, NULL, NULL, NULL, NULL }

/** Flags for vouch_registry_resolve(). */
typedef enum vouch_registry_flags {
    VOUCH_REGISTRY_DEFAULT = 0,
    /* Ask the registry even when a pinned digest is known to exist (tags
       are always asked). */
    VOUCH_REGISTRY_NO_CACHE = 1u << 0
} vouch_registry_flags;

/**
 * Create a registry client.
 *
 * @param[out] out  On success the client; caller owns it, free with
 *                  vouch_registry_free(). NULL on failure.
 * @param opts      Options; NULL means VOUCH_REGISTRY_OPTIONS_INIT. Copied
 *                  (strings and the host lists too); caller may free
 *                  them after return. `log` is kept and called. The credentials file is read here,
 *                  once.
 * @param[out] err  Filled on failure; may be NULL.
 * @return 0; VOUCH_EINVAL (an option out of range, a host list entry that
 *         is not HOST[:PORT], or an unknown options version); VOUCH_EIO (credentials file unreadable);
 *         VOUCH_ETOOBIG (credentials file over
 *         VOUCH_REGISTRY_CREDENTIALS_MAX_BYTES); VOUCH_EPARSE (credentials
 *         file is not JSON; line and column set) or VOUCH_EINVAL (it is
 *         JSON of the wrong shape; the message names the field);
 *         VOUCH_ENOMEM.
 *
 * Thread safety: reentrant.
 */
int vouch_registry_new(vouch_registry **out,
                       const vouch_registry_options *opts, vouch_error *err);

/**
 * Free a client, wiping the credentials and tokens it holds. NULL is a
 * no-op. No call on `reg` may be running.
 */
void vouch_registry_free(vouch_registry *reg);

/**
 * Resolve an image reference to the digest of its manifest.
 *
 * `registry/path:tag` (no tag means "latest"): the registry is asked every
 * time (a tag can move at any moment; resolves of the same reference
 * running at the same time in one client share one request):
 * `HEAD /v2/<path>/manifests/<tag>` with an Accept header listing the OCI
 * index, OCI manifest, Docker manifest list and Docker v2 manifest types.
 * The digest is the `Docker-Content-Digest` header; when the HEAD answer
 * has none (or is not a success) a GET follows, and the digest is the
 * SHA-256 of the body, which must equal the header when one is sent.
 *
 * `registry/path[:tag]@sha256:...` (already pinned): the tag is ignored,
 * the registry is asked whether that manifest exists (HEAD by digest; a
 * positive answer is cached for cache_ttl_ms unless
 * VOUCH_REGISTRY_NO_CACHE), and the digest is returned as it was given.
 *
 * Authentication: anonymous first; on a 401 the `WWW-Authenticate`
 * challenge is followed: Basic with the credentials configured for the
 * registry, or Bearer: a token is fetched from the realm with the service
 * and scope `repository:<path>:pull` (with the basic credentials when
 * configured, and only when the realm is https or the registry itself),
 * and cached per registry and scope until it expires.
 * 429, 500, 502, 503, 504 and transport failures are retried up to
 * max_retries times, waiting Retry-After when given (more than
 * retry_max_ms: no retry), else retry_base_ms doubled each time, always
 * within total_timeout_ms.
 *
 * Every failure is closed: no digest is written, and the message names the
 * image, the registry, the HTTP status and the registry's error code (one
 * of the distribution spec's), never the registry's own text, e.g.
 * "registry 127.0.0.1:5000 answered 404 MANIFEST_UNKNOWN for manifests/1.0
 * of team/app". Every transport failure reads "registry HOST unreachable
 * for ..." whatever its cause; the cause goes to opts.log. err->source is
 * the normalised image reference.
 *
 * @param reg       The client.
 * @param image     Image reference text; borrowed, need not be
 *                  NUL-terminated.
 * @param len       Length of `image`; at most VOUCH_IMAGE_REF_MAX_BYTES.
 * @param flags     VOUCH_REGISTRY_DEFAULT or VOUCH_REGISTRY_NO_CACHE.
 * @param[out] out  On success "sha256:<64 hex>" (or the pinned digest),
 *                  NUL-terminated; set to "" on failure.
 * @param[out] err  Filled on failure; may be NULL.
 * @return 0; VOUCH_EPARSE (not an image reference; column set);
 *         VOUCH_ETOOBIG (reference too long, or a manifest, token or
 *         challenge over its limit); VOUCH_EINVAL (plain http asked for a
 *         host not listed insecure, a token realm or redirect that breaks
 *         the https rule, or an address that is not public and not
 *         listed: "... is on a loopback, link-local or private address
 *         ..."); VOUCH_ENOTFOUND (the registry answered 404: unknown
 *         repository, tag or digest); VOUCH_EIO: the registry is
 *         unavailable ("registry HOST unreachable for ...", or "registry
 *         HOST unavailable: answered 503 ..." once the retries or the
 *         deadline are spent), authentication refused or impossible, any
 *         other status, or a digest that does not match the manifest;
 *         VOUCH_ENOMEM.
 *
 * Thread safety: a client may be shared by any number of threads; its
 * caches and flights are protected by locks and every call uses its own
 * connection.
 */
int vouch_registry_resolve(vouch_registry *reg, const char *image,
                           size_t len, unsigned flags,
                           char out[VOUCH_REGISTRY_DIGEST_SIZE],
                           vouch_error *err);

#ifdef __cplusplus
}
#endif

#endif /* VOUCH_REGISTRY_H */
