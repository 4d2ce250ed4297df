/*
 * OCI distribution v2 client: tag -> manifest digest. This file holds the
 * public API, the scheme of a registry (insecure list, Docker Hub) and the
 * resolve flow (single flight, HEAD then GET, answering a 401 challenge,
 * digest checks). HTTP exchanges are in http.c, where the client may
 * connect in address.c, authentication in auth.c, the TTL cache (tokens,
 * pinned digests) in cache.c. See registry.h for the contract.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "vutil_error.h"
#include "vutil_str.h"
#include "registry.h"
#include "registry_internal.h"
#include "vouch/image_ref.h"

#define MAX_RETRIES_LIMIT 10u
#define TOKEN_CACHE_ENTRIES 64u

static void wipe_free(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* ---- hosts ---- */

bool vouch__registry_is_insecure(const vouch_registry *reg,
                                 const char *registry)
{
    char host[VOUCH__HOST_MAX + 1];
    long port = 0;

    if (vouch__host_split(registry, strlen(registry), host, sizeof(host),
                          &port) < 0) {
        return false;
    }
    return vouch__host_rules_match(reg->insecure, host, port > 0 ? port : 80);
}

const char *vouch__registry_endpoint(const char *registry)
{
    if (strcmp(registry, "docker.io") == 0) {
        return "registry-1.docker.io";
    }
    return registry;
}

static bool is_sha256_digest(const char *d)
{
    if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + 64) {
        return false;
    }
    for (const char *p = d + 7; *p; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return false;
        }
    }
    return true;
}

/*
 * One request to the registry, answering a 401 challenge once: Basic with
 * the configured credentials, or Bearer with a token from the realm.
 */
static int registry_request(vouch__resolve_ctx *ctx, bool head,
                            vouch__http_response *resp,
                            vouch_error *err)
{
    char url[VOUCH_IMAGE_REF_MAX_BYTES + 400];
    char peer[300];
    vouch__auth_challenge ch = { 0 };
    bool answered = false;
    int rc;

    snprintf(url, sizeof(url), "%s://%s/v2/%s/manifests/%s", ctx->scheme,
             vouch__registry_endpoint(ctx->registry), ctx->path,
             ctx->reference);
    snprintf(peer, sizeof(peer), "registry %s", ctx->registry);
    for (;;) {
        vouch__http_auth auth = { ctx->token, ctx->basic ? ctx->cred : NULL };

        rc = vouch__http_exchange(ctx, url, head, &auth,
                                  VOUCH_REGISTRY_MANIFEST_MAX_BYTES, peer,
                                  resp, err);
        if (rc < 0 || resp->status != 401 || answered) {
            break;
        }
        answered = true;
        if (ctx->token != NULL) {
            /* the cached token was refused: forget it, ask for a new one */
            vouch__registry_cache_remove(ctx->reg->tokens, ctx->token_key);
            wipe_free(ctx->token);
            ctx->token = NULL;
        }
        if (resp->challenge == NULL) {
            break; /* reported by the caller as a plain 401 */
        }
        rc = vouch__auth_challenge_parse(&ch, resp->challenge,
                                         strlen(resp->challenge), err);
        if (rc < 0) {
            vutil_error_prefix(err, "registry %s sent an unreadable "
                               "challenge for %s of %s", ctx->registry,
                               ctx->what, ctx->path);
            vouch__registry_set_source(err, ctx->image);
            break;
        }
        if (ch.scheme == VOUCH__AUTH_BEARER) {
            rc = vouch__registry_token_fetch(ctx, &ch, err);
        } else if (ch.scheme == VOUCH__AUTH_BASIC && ctx->cred != NULL) {
            ctx->basic = true;
        } else {
            rc = vutil_error_set(err, VOUCH_EIO, ctx->image, 0, 0,
                                 "registry %s requires %s authentication "
                                 "for %s of %s and %s", ctx->registry,
                                 ch.scheme == VOUCH__AUTH_BASIC
                                      ? "basic" : "an unsupported",
                                 ctx->what, ctx->path,
                                 ch.scheme == VOUCH__AUTH_BASIC
                                      ? "no credentials are configured for "
                                        "it"
                                      : "vouch knows only Basic and Bearer");
        }
        vouch__auth_challenge_clear(&ch);
        if (rc < 0) {
            break;
        }
    }
    vouch__auth_challenge_clear(&ch);
    return rc;
}

static int digest_of_body(const vouch__http_response *resp, char *out)
{
    unsigned char md[32];
    unsigned int mdlen = 0;

    if (EVP_Digest(resp->body.data != NULL ? resp->body.data : "",
                   resp->body.len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
        mdlen != 32) {
        return VOUCH_ENOMEM;
    }
    memcpy(out, "sha256:", 7);
    vutil_hex(md, 32, out + 7);
    return 0;
}

/*
 * The registry's final answer was not a 200: its status and error code,
 * never its text. 404 is VOUCH_ENOTFOUND (the platform reports a missing
 * image); 5xx reads "unavailable"; everything else is VOUCH_EIO.
 */
static int status_error(const vouch__resolve_ctx *ctx,
                        const vouch__http_response *resp, vouch_error *err)
{
    const char *code = vouch__registry_error_code(resp->body.data,
                                                  resp->body.len);

    return vutil_error_set(err, resp->status == 404 ? VOUCH_ENOTFOUND
                                                     : VOUCH_EIO,
                           ctx->image, 0, 0,
                           "registry %s %sanswered %ld%s%s for %s of %s%s",
                           ctx->registry,
                           resp->status >= 500 ? "unavailable: " : "",
                           resp->status, code != NULL ? " " : "",
                           code != NULL ? code : "", ctx->what, ctx->path,
                           resp->status == 401 && ctx->basic
                                ? " (the configured basic credentials "
                                  "were refused)"
                                : resp->status == 401 && ctx->token != NULL
                                      ? " (the bearer token was refused)"
                                      : "");
}

/* Ask the registry; fills out with the digest. */
static int fetch_digest(vouch__resolve_ctx *ctx, bool pinned, char *out,
                        vouch_error *err)
{
    vouch__http_response resp = { 0 };
    char computed[VOUCH_REGISTRY_DIGEST_SIZE];
    int rc;

    rc = registry_request(ctx, true, &resp, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (resp.status == 200 && pinned &&
        (resp.digest[0] == '\0' || strcmp(resp.digest, ctx->reference) == 0)) {
        snprintf(out, VOUCH_REGISTRY_DIGEST_SIZE, "%s", ctx->reference);
        goto cleanup;
    }
    if (resp.status == 200 && !pinned && is_sha256_digest(resp.digest)) {
        snprintf(out, VOUCH_REGISTRY_DIGEST_SIZE, "%s", resp.digest);
        goto cleanup;
    }
    /* no usable digest, or an error status (HEAD has no body to explain
       it): GET the manifest */
    rc = registry_request(ctx, false, &resp, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (resp.status != 200) {
        rc = status_error(ctx, &resp, err);
        goto cleanup;
    }
    rc = digest_of_body(&resp, computed);
    if (rc < 0) {
        goto cleanup;
    }
    if (pinned && strncmp(ctx->reference, "sha256:", 7) != 0) {
        /* a sha512 pin: the registry found it; nothing to hash against */
        snprintf(out, VOUCH_REGISTRY_DIGEST_SIZE, "%s", ctx->reference);
        goto cleanup;
    }
    if ((resp.digest[0] != '\0' && is_sha256_digest(resp.digest) &&
         strcmp(resp.digest, computed) != 0) ||
        (pinned && strcmp(ctx->reference, computed) != 0)) {
        rc = vutil_error_set(err, VOUCH_EIO, ctx->image, 0, 0,
                             "registry %s sent a manifest for %s of %s "
                             "whose SHA-256 is %.19s... but announced "
                             "%.19s...", ctx->registry,
                             ctx->what, ctx->path, computed,
                             pinned ? ctx->reference : resp.digest);
        goto cleanup;
    }
    snprintf(out, VOUCH_REGISTRY_DIGEST_SIZE, "%s", computed);

cleanup:
    vouch__http_response_clear(&resp);
    return rc;
}

/* ---- public API ---- */

void vouch_registry_free(vouch_registry *reg)
{
    if (reg == NULL) {
        return;
    }
    vouch__host_rules_free(reg->insecure);
    vouch__host_rules_free(reg->allowed);
    free(reg->ca_file);
    vouch__credentials_free(reg->creds);
    vouch__registry_cache_free(reg->digests);
    vouch__registry_cache_free(reg->tokens);
    vouch__flights_free(reg->flights);
    curl_slist_free_all(reg->resolve);
    free(reg);
}

int vouch__registry_test_resolve(vouch_registry *reg, const char *entry)
{
    struct curl_slist *l = curl_slist_append(reg->resolve, entry);

    if (l == NULL) {
        return VOUCH_ENOMEM;
    }
    reg->resolve = l;
    return 0;
}

size_t vouch__registry_waiting(vouch_registry *reg)
{
    return vouch__flights_waiting(reg->flights);
}

static int load_credentials(vouch_registry *reg, const char *path,
                            vouch_error *err)
{
    FILE *f = NULL;
    char *data = NULL;
    size_t len = 0;
    int rc = 0;

    f = fopen(path, "rb");
    if (f == NULL) {
        return vutil_error_set(err, VOUCH_EIO, path, 0, 0,
                               "cannot open the registry credentials: %s",
                               strerror(errno));
    }
    data = malloc(VOUCH_REGISTRY_CREDENTIALS_MAX_BYTES + 1);
    if (data == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    len = fread(data, 1, VOUCH_REGISTRY_CREDENTIALS_MAX_BYTES + 1, f);
    if (ferror(f)) {
        rc = vutil_error_set(err, VOUCH_EIO, path, 0, 0,
                             "cannot read the registry credentials");
        goto cleanup;
    }
    rc = vouch__credentials_parse(&reg->creds, data, len, path, err);

cleanup:
    if (data != NULL) {
        OPENSSL_cleanse(data, len);
    }
    free(data);
    fclose(f);
    return rc;
}

int vouch_registry_new(vouch_registry **out,
                       const vouch_registry_options *opts, vouch_error *err)
{
    static const vouch_registry_options defaults =
        VOUCH_REGISTRY_OPTIONS_INIT;
    vouch_registry *reg = NULL;
    int rc = 0;

    *out = NULL;
    if (opts == NULL) {
        opts = &defaults;
    }
    if (opts->version != VOUCH_REGISTRY_OPTIONS_VERSION) {
        return vutil_error_set(err, VOUCH_EINVAL, "registry options", 0, 0,
                               "unknown options version %u (expected %u)",
                               opts->version,
                               VOUCH_REGISTRY_OPTIONS_VERSION);
    }
    if (opts->connect_timeout_ms <= 0 || opts->total_timeout_ms <= 0 ||
        opts->retry_base_ms < 0 || opts->retry_max_ms < 0 ||
        opts->cache_ttl_ms < 0 || opts->max_retries > MAX_RETRIES_LIMIT) {
        return vutil_error_set(err, VOUCH_EINVAL, "registry options", 0, 0,
                               "timeouts must be positive, waits and the "
                               "cache TTL not negative, and max_retries at "
                               "most %u", MAX_RETRIES_LIMIT);
    }
    reg = calloc(1, sizeof(*reg));
    if (reg == NULL) {
        return VOUCH_ENOMEM;
    }
    reg->connect_timeout_ms = opts->connect_timeout_ms;
    reg->total_timeout_ms = opts->total_timeout_ms;
    reg->max_retries = opts->max_retries;
    reg->retry_base_ms = opts->retry_base_ms > 0 ? opts->retry_base_ms : 1;
    reg->retry_max_ms = opts->retry_max_ms;
    reg->cache_ttl_ms = opts->cache_ttl_ms;
    reg->log = opts->log;
    reg->log_payload = opts->log_payload;
    rc = vouch__host_rules_parse(&reg->insecure, opts->insecure_hosts,
                                 "insecure_hosts", err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = vouch__host_rules_parse(&reg->allowed, opts->allowed_hosts,
                                 "allowed_hosts", err);
    if (rc < 0) {
        goto cleanup;
    }
    if (opts->ca_file != NULL) {
        reg->ca_file = vutil_strdup(opts->ca_file);
        if (reg->ca_file == NULL) {
            rc = VOUCH_ENOMEM;
            goto cleanup;
        }
    }
    rc = vouch__registry_cache_new(&reg->digests,
                                   opts->cache_ttl_ms > 0
                                       ? opts->cache_max_entries : 0);
    if (rc < 0) {
        goto cleanup;
    }
    rc = vouch__flights_new(&reg->flights);
    if (rc < 0) {
        goto cleanup;
    }
    rc = vouch__registry_cache_new(&reg->tokens, TOKEN_CACHE_ENTRIES);
    if (rc < 0) {
        goto cleanup;
    }
    if (opts->credentials_file != NULL) {
        rc = load_credentials(reg, opts->credentials_file, err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    *out = reg;
    reg = NULL;

cleanup:
    vouch_registry_free(reg);
    return rc;
}

/* Does `image` start with "http://" (any case)? */
static bool asks_plain_http(const char *image, size_t len)
{
    return len >= 7 && strncasecmp(image, "http://", 7) == 0;
}

static bool asks_https(const char *image, size_t len)
{
    return len >= 8 && strncasecmp(image, "https://", 8) == 0;
}

/*
 * Fill ctx from the reference and decide the scheme. `key` names the
 * question (scheme, registry, repository, tag or digest) for the single
 * flight and the digest cache.
 */
static int prepare(vouch__resolve_ctx *ctx, vouch_registry *reg,
                   const vouch_image_ref *ref, const char *image,
                   size_t len, char *key, size_t key_size,
                   vouch_error *err)
{
    bool pinned = vouch_image_ref_digest(ref) != NULL;
    bool insecure;

    ctx->reg = reg;
    ctx->image = vouch_image_ref_string(ref);
    ctx->registry = vouch_image_ref_registry(ref);
    ctx->path = vouch_image_ref_path(ref);
    ctx->reference = pinned ? vouch_image_ref_digest(ref)
                            : vouch_image_ref_tag(ref) != NULL
                                  ? vouch_image_ref_tag(ref) : "latest";
    insecure = vouch__registry_is_insecure(reg, ctx->registry);
    if (asks_plain_http(image, len) && !insecure) {
        return vutil_error_set(err, VOUCH_EINVAL, ctx->image, 0, 0,
                               "refusing plain http for registry %s: only "
                               "hosts listed with --registry-insecure may "
                               "be reached without https", ctx->registry);
    }
    ctx->scheme = asks_https(image, len) ? "https"
                  : insecure            ? "http"
                                        : "https";
    ctx->cred = vouch__credentials_find(reg->creds, ctx->registry);
    snprintf(ctx->what, sizeof(ctx->what), "manifests/%s", ctx->reference);
    snprintf(ctx->token_key, sizeof(ctx->token_key),
             "%s repository:%s:pull", ctx->registry, ctx->path);
    snprintf(key, key_size, "%s://%s/%s%c%s", ctx->scheme, ctx->registry,
             ctx->path, pinned ? '@' : ':', ctx->reference);
    return 0;
}

/* Ask the registry (the leader of a flight, or alone). */
static int ask(vouch__resolve_ctx *ctx, bool pinned, const char *key,
               char *digest, vouch_error *err)
{
    vouch_registry *reg = ctx->reg;
    int64_t now;
    int rc;

    ctx->deadline_ms = vouch__registry_now_ms() + reg->total_timeout_ms;
    rc = vouch__registry_cache_get(reg->tokens, ctx->token_key,
                                   vouch__registry_now_ms(), &ctx->token);
    if (rc < 0) {
        return rc;
    }
    rc = fetch_digest(ctx, pinned, digest, err);
    if (rc < 0 || !pinned) {
        return rc;
    }
    /* a manifest's digest is its content: that it exists may be cached */
    now = vouch__registry_now_ms();
    return vouch__registry_cache_put(reg->digests, key, digest, now,
                                     now + reg->cache_ttl_ms);
}

int vouch_registry_resolve(vouch_registry *reg, const char *image,
                           size_t len, unsigned flags,
                           char out[VOUCH_REGISTRY_DIGEST_SIZE],
                           vouch_error *err)
{
    vouch_image_ref *ref = NULL;
    vouch__resolve_ctx ctx;
    vouch__flight *flight = NULL;
    vouch_error lerr = VOUCH_ERROR_INIT;
    char key[VOUCH_IMAGE_REF_MAX_BYTES + 200];
    char digest[VOUCH_REGISTRY_DIGEST_SIZE] = "";
    char *cached = NULL;
    bool pinned = false;
    bool leader = true;
    int rc;

    out[0] = '\0';
    memset(&ctx, 0, sizeof(ctx));
    rc = vouch_image_ref_parse(&ref, image, len, err);
    if (rc < 0) {
        vouch_image_ref_free(ref);
        return rc;
    }
    pinned = vouch_image_ref_digest(ref) != NULL;
    rc = prepare(&ctx, reg, ref, image, len, key, sizeof(key), &lerr);
    if (rc < 0) {
        goto cleanup;
    }
    if (pinned && (flags & VOUCH_REGISTRY_NO_CACHE) == 0) {
        rc = vouch__registry_cache_get(reg->digests, key,
                                       vouch__registry_now_ms(), &cached);
        if (rc != 0) {
            if (rc == 1) {
                snprintf(digest, sizeof(digest), "%s", cached);
                rc = 0;
            }
            goto cleanup;
        }
    }
    /* a tag is never answered from memory: every resolve asks, but
     * resolves of one reference at the same time share the question */
    if (vouch__flight_join(reg->flights, key, &flight, &leader) < 0) {
        flight = NULL;
        leader = true;
    }
    if (leader) {
        rc = ask(&ctx, pinned, key, digest, &lerr);
        if (rc == VOUCH_ENOMEM) {
            vutil_error_set(&lerr, VOUCH_ENOMEM, ctx.image, 0, 0,
                            "out of memory while resolving the image");
        }
        if (flight != NULL) {
            vouch__flight_land(reg->flights, flight, rc, digest, &lerr);
        }
    } else {
        rc = vouch__flight_wait(reg->flights, flight, digest, &lerr);
        vouch__registry_set_source(&lerr, ctx.image);
    }

cleanup:
    if (rc == 0) {
        snprintf(out, VOUCH_REGISTRY_DIGEST_SIZE, "%s", digest);
    } else if (err != NULL) {
        *err = lerr;
    }
    wipe_free(ctx.token);
    free(cached);
    vouch_image_ref_free(ref);
    return rc;
}
