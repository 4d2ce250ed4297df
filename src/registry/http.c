/*
 * One HTTP exchange with a registry or a token server over libcurl:
 * redirects followed by hand so that every hop is checked (https only, its
 * address, no credentials to another origin), the deadline, retries with
 * backoff on 429/5xx and transport failures (honouring Retry-After up to a
 * cap), bounded bodies, and the headers the client needs
 * (Docker-Content-Digest, WWW-Authenticate, Retry-After).
 *
 * What a caller sees of a failure is deliberately coarse: every transport
 * failure (refused, reset, timed out, DNS, TLS) reads "PEER unreachable",
 * and a registry's own error text is never repeated, so a deploy cannot be
 * used to scan ports or read what a server answered. The detail goes to
 * the client's log callback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "vutil_error.h"
#include "vutil_str.h"
#include "registry.h"
#include "registry_internal.h"

#define ACCEPT_HEADER \
    "Accept: application/vnd.oci.image.index.v1+json, " \
    "application/vnd.oci.image.manifest.v1+json, " \
    "application/vnd.docker.distribution.manifest.list.v2+json, " \
    "application/vnd.docker.distribution.manifest.v2+json"

#define MAX_REDIRECTS 5

/* The end of every message about an address that was not dialled. */
#define NOT_LISTED \
    "a loopback, link-local or private address, which vouchd reaches " \
    "only for hosts listed with --registry-allow or --registry-insecure"

int64_t vouch__registry_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        /* keep sleeping the remainder */
    }
}

/* Point err->source at the image (after vutil_error_prefix on an error
 * that a parser filled with its own source). */
void vouch__registry_set_source(vouch_error *err, const char *image)
{
    if (err != NULL) {
        snprintf(err->source, sizeof(err->source), "%s", image);
    }
}

void vouch__registry_log(const vouch_registry *reg, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (reg->log == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *p = '?';
        }
    }
    reg->log(line, reg->log_payload);
}

/* ---- one response ---- */

static void response_reset(vouch__http_response *r, size_t body_max)
{
    free(r->challenge);
    free(r->body.data);
    memset(r, 0, sizeof(*r));
    r->retry_after_ms = -1;
    r->body.max = body_max;
}

void vouch__http_response_clear(vouch__http_response *r)
{
    free(r->challenge);
    free(r->body.data);
    memset(r, 0, sizeof(*r));
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    vouch__http_response *r = userp;
    size_t n = size * nmemb;

    /* 0 (too big, or out of memory) aborts the transfer. */
    return vutil_buf_append(&r->body, data, n) ? n : 0;
}

/* Header `line` (len bytes) named `name`? Then (value, vlen) is its value,
 * trimmed. */
static bool header_is(const char *line, size_t len, const char *name,
                      const char **value, size_t *vlen)
{
    size_t n = strlen(name);

    if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0) {
        return false;
    }
    *value = line + n + 1;
    *vlen = len - n - 1;
    while (*vlen > 0 && (**value == ' ' || **value == '\t')) {
        (*value)++;
        (*vlen)--;
    }
    while (*vlen > 0 && ((*value)[*vlen - 1] == '\r' ||
                         (*value)[*vlen - 1] == '\n' ||
                         (*value)[*vlen - 1] == ' ')) {
        (*vlen)--;
    }
    return true;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userp)
{
    vouch__http_response *r = userp;
    size_t len = size * nmemb;
    const char *v;
    size_t vlen;

    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* a new response (after a 100): forget the last one */
        free(r->challenge);
        r->challenge = NULL;
        r->digest[0] = '\0';
        r->retry_after_ms = -1;
        return len;
    }
    if (header_is(line, len, "Docker-Content-Digest", &v, &vlen)) {
        if (vlen < sizeof(r->digest)) {
            memcpy(r->digest, v, vlen);
            r->digest[vlen] = '\0';
        }
    } else if (header_is(line, len, "WWW-Authenticate", &v, &vlen)) {
        if (r->challenge == NULL) {
            if (vlen > VOUCH_REGISTRY_CHALLENGE_MAX_BYTES) {
                r->header_too_big = true;
            } else {
                r->challenge = vutil_strndup(v, vlen);
            }
        }
    } else if (header_is(line, len, "Retry-After", &v, &vlen)) {
        r->retry_after_ms = vouch__retry_after_ms(v, vlen, time(NULL));
    }
    return len;
}

/* ---- one hop: where it goes, and whether it may go there ---- */

typedef struct hop {
    const vouch_registry *reg;
    char host[VOUCH__HOST_MAX + 3]; /* as in the URL ("[::1]" for IPv6) */
    long port;
    bool https;
    bool allow_private;  /* host:port listed: any address is fine */
    bool refused;        /* an address was not dialled */
    char refused_addr[INET6_ADDRSTRLEN];
} hop;

/* Fill `h` from an absolute URL. 0, or -1 when curl cannot read it. */
static int hop_from_url(const vouch_registry *reg, const char *url, hop *h)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    char *host = NULL;
    char *port = NULL;
    int rc = -1;

    memset(h, 0, sizeof(*h));
    h->reg = reg;
    if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
            CURLUE_OK &&
        strlen(host) < sizeof(h->host)) {
        snprintf(h->host, sizeof(h->host), "%s", host);
        h->port = strtol(port, NULL, 10);
        h->https = strcasecmp(scheme, "https") == 0;
        h->allow_private =
            vouch__host_rules_match(reg->insecure, h->host, h->port) ||
            vouch__host_rules_match(reg->allowed, h->host, h->port);
        rc = strcasecmp(scheme, "https") == 0 ||
                     strcasecmp(scheme, "http") == 0
                 ? 0 : -1;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

/* Same scheme, host and port? */
static bool same_origin(const hop *a, const hop *b)
{
    return a->https == b->https && a->port == b->port &&
           strcasecmp(a->host, b->host) == 0;
}

/*
 * Every socket libcurl opens comes through here, after name resolution and
 * for each address it tries: the address checked is the address dialled,
 * so a name that resolves differently the second time (DNS rebinding)
 * gains nothing.
 */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose,
                                 struct curl_sockaddr *a)
{
    hop *h = clientp;

    (void)purpose;
    if (!h->allow_private && !vouch__address_is_public(&a->addr)) {
        const void *bytes = a->family == AF_INET6
            ? (const void *)&((struct sockaddr_in6 *)&a->addr)->sin6_addr
            : (const void *)&((struct sockaddr_in *)&a->addr)->sin_addr;
        h->refused = true;
        if (a->family != AF_INET && a->family != AF_INET6) {
            snprintf(h->refused_addr, sizeof(h->refused_addr), "family %d",
                     a->family);
        } else if (inet_ntop(a->family, bytes, h->refused_addr,
                             sizeof(h->refused_addr)) == NULL) {
            h->refused_addr[0] = '\0';
        }
        return CURL_SOCKET_BAD;
    }
    /* CLOEXEC: vouchd's runtime starts processes, which must not inherit
     * a registry connection */
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Everything one request needs; shared by its hops and attempts. */
typedef struct exchange {
    vouch__resolve_ctx *ctx;
    CURL *curl;
    struct curl_slist *headers;
    bool head;
    size_t body_max;
    const char *peer;
    char errbuf[CURL_ERROR_SIZE];
} exchange;

static void set_auth(CURL *curl, const vouch__http_auth *auth)
{
    if (auth != NULL && auth->bearer != NULL) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, auth->bearer);
    } else if (auth != NULL && auth->basic != NULL) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERNAME, auth->basic->username);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, auth->basic->password);
    }
}

/* One HTTP request to `url`, nothing followed. */
static CURLcode perform(exchange *x, const char *url, hop *h,
                        const vouch__http_auth *auth, int64_t left,
                        vouch__http_response *resp)
{
    const vouch_registry *reg = x->ctx->reg;
    CURL *curl = x->curl;

    response_reset(resp, x->body_max);
    curl_easy_reset(curl);
    x->errbuf[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, h->https ? "https"
                                                           : "http");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    /* A proxy would resolve and connect on vouch's behalf, out of reach of
     * the address check: none, whatever the environment says. */
    curl_easy_setopt(curl, CURLOPT_PROXY, "");
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, h);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     reg->connect_timeout_ms < left
                         ? reg->connect_timeout_ms : (long)left);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)left);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "vouch/" VOUCH_VERSION);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                     (curl_off_t)x->body_max);
    if (x->head) {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    }
    if (reg->ca_file != NULL) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, reg->ca_file);
    }
    if (reg->resolve != NULL) {
        curl_easy_setopt(curl, CURLOPT_RESOLVE, reg->resolve);
    }
    set_auth(curl, auth);
    return curl_easy_perform(curl);
}

static long status_of(CURL *curl)
{
    long status = 0;

    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static bool is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 ||
           status == 307 || status == 308;
}

/* The message for an address that was not dialled. */
static int refused(exchange *x, const hop *h, unsigned hops,
                   vouch_error *err)
{
    vouch__resolve_ctx *ctx = x->ctx;

    vouch__registry_log(ctx->reg, "%s: did not dial %s for %s port %ld "
                        "(%s of %s): not a public address, and the host is "
                        "not listed", x->peer, h->refused_addr, h->host,
                        h->port, ctx->what, ctx->path);
    if (hops == 0) {
        return vutil_error_set(err, VOUCH_EINVAL, ctx->image, 0, 0,
                               "%s is on " NOT_LISTED, x->peer);
    }
    return vutil_error_set(err, VOUCH_EINVAL, ctx->image, 0, 0,
                           "%s redirected %s of %s to %s:%ld, which is on "
                           NOT_LISTED, x->peer, ctx->what, ctx->path,
                           h->host, h->port);
}

/*
 * Send the request and follow its redirects (at most MAX_REDIRECTS, each
 * to https, each hop's address checked; credentials go only to the first
 * hop's origin). 0 with *cc the last transfer's result and resp the last
 * answer; < 0 for a refusal that retrying cannot change.
 */
static int follow(exchange *x, const char *url,
                  const vouch__http_auth *auth, int64_t left,
                  vouch__http_response *resp, CURLcode *cc,
                  vouch_error *err)
{
    vouch__resolve_ctx *ctx = x->ctx;
    hop first;
    hop h;
    char *cur = vutil_strdup(url);
    char *next = NULL;
    int rc = 0;

    if (cur == NULL) {
        return VOUCH_ENOMEM;
    }
    if (hop_from_url(ctx->reg, url, &first) < 0) {
        free(cur);
        return vutil_error_set(err, VOUCH_EINVAL, ctx->image, 0, 0,
                               "%s: not a URL vouch can reach", x->peer);
    }
    for (unsigned hops = 0;; hops++) {
        h = first;
        if (hops > 0 && (hop_from_url(ctx->reg, cur, &h) < 0 || !h.https)) {
            rc = vutil_error_set(err, VOUCH_EINVAL, ctx->image, 0, 0,
                                 "%s redirected %s of %s to a URL that is "
                                 "not https; redirects must be https",
                                 x->peer, ctx->what, ctx->path);
            break;
        }
        if (!h.https && !vouch__host_rules_match(ctx->reg->insecure, h.host,
                                                 h.port)) {
            rc = vutil_error_set(err, VOUCH_EINVAL, ctx->image, 0, 0,
                                 "refusing plain http for %s: only hosts "
                                 "listed with --registry-insecure may be "
                                 "reached without https", x->peer);
            break;
        }
        *cc = perform(x, cur, &h, same_origin(&first, &h) ? auth : NULL,
                      left, resp);
        if (*cc != CURLE_OK && h.refused) {
            rc = refused(x, &h, hops, err);
            break;
        }
        if (*cc != CURLE_OK) {
            break;
        }
        resp->status = status_of(x->curl);
        if (!is_redirect(resp->status)) {
            break;
        }
        if (curl_easy_getinfo(x->curl, CURLINFO_REDIRECT_URL, &next) !=
                CURLE_OK || next == NULL) {
            break; /* a 3xx without a Location: the caller reports it */
        }
        if (hops == MAX_REDIRECTS) {
            rc = vutil_error_set(err, VOUCH_EIO, ctx->image, 0, 0,
                                 "%s redirected %s of %s more than %d "
                                 "times", x->peer, ctx->what, ctx->path,
                                 MAX_REDIRECTS);
            break;
        }
        free(cur);
        cur = vutil_strdup(next);
        if (cur == NULL) {
            return VOUCH_ENOMEM;
        }
        left = ctx->deadline_ms - vouch__registry_now_ms();
        if (left <= 0) {
            *cc = CURLE_OPERATION_TIMEDOUT;
            break;
        }
    }
    free(cur);
    return rc;
}

/* Answers worth another try: rate limits and a server in trouble. */
static bool retryable(long status)
{
    return status == 429 || status == 500 || status == 502 ||
           status == 503 || status == 504;
}

/* The one message for every transport failure, whatever its cause. */
static int unreachable(exchange *x, vouch_error *err)
{
    return vutil_error_set(err, VOUCH_EIO, x->ctx->image, 0, 0,
                           "%s unreachable for %s of %s", x->peer,
                           x->ctx->what, x->ctx->path);
}

/* A 429 or 5xx that vouch stops waiting out; `fmt` ends the message. */
static int unavailable(exchange *x, const vouch__http_response *resp,
                       vouch_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int unavailable(exchange *x, const vouch__http_response *resp,
                       vouch_error *err, const char *fmt, ...)
{
    const char *code = vouch__registry_error_code(resp->body.data,
                                                  resp->body.len);
    char why[96];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return vutil_error_set(err, VOUCH_EIO, x->ctx->image, 0, 0,
                           "%s unavailable: answered %ld%s%s for %s of %s%s",
                           x->peer, resp->status, code != NULL ? " " : "",
                           code != NULL ? code : "", x->ctx->what,
                           x->ctx->path, why);
}

/* A transfer that ended without a usable answer: log what happened. */
static int transfer_failed(exchange *x, CURLcode cc,
                           const vouch__http_response *resp,
                           unsigned attempt, vouch_error *err)
{
    if (resp->body.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        return vutil_error_set(err, VOUCH_ETOOBIG, x->ctx->image, 0, 0,
                               "%s sent more than %zu bytes for %s of %s",
                               x->peer, x->body_max, x->ctx->what,
                               x->ctx->path);
    }
    if (resp->header_too_big) {
        return vutil_error_set(err, VOUCH_ETOOBIG, x->ctx->image, 0, 0,
                               "%s sent a WWW-Authenticate header over %u "
                               "bytes for %s of %s", x->peer,
                               VOUCH_REGISTRY_CHALLENGE_MAX_BYTES,
                               x->ctx->what, x->ctx->path);
    }
    if (cc == CURLE_OUT_OF_MEMORY) {
        return VOUCH_ENOMEM;
    }
    vouch__registry_log(x->ctx->reg, "%s: %s of %s: attempt %u: %s",
                        x->peer, x->ctx->what, x->ctx->path, attempt,
                        x->errbuf[0] != '\0' ? x->errbuf
                                             : curl_easy_strerror(cc));
    return 0;
}

int vouch__http_exchange(vouch__resolve_ctx *ctx, const char *url, bool head,
                         const vouch__http_auth *auth, size_t body_max,
                         const char *peer, vouch__http_response *resp,
                         vouch_error *err)
{
    vouch_registry *reg = ctx->reg;
    exchange x;
    unsigned attempt = 0;
    int64_t backoff = reg->retry_base_ms;
    int rc = 0;

    memset(&x, 0, sizeof(x));
    x.ctx = ctx;
    x.head = head;
    x.body_max = body_max;
    x.peer = peer;
    x.curl = curl_easy_init();
    x.headers = curl_slist_append(NULL, ACCEPT_HEADER);
    if (x.curl == NULL || x.headers == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    for (;;) {
        int64_t left = ctx->deadline_ms - vouch__registry_now_ms();
        CURLcode cc = CURLE_OK;
        int64_t wait;

        if (left <= 0) {
            rc = unreachable(&x, err);
            goto cleanup;
        }
        rc = follow(&x, url, auth, left, resp, &cc, err);
        attempt++;
        if (rc < 0) {
            goto cleanup;
        }
        if (cc != CURLE_OK) {
            rc = transfer_failed(&x, cc, resp, attempt, err);
            if (rc < 0) {
                goto cleanup;
            }
            /* a timeout spent the deadline: no retry */
            if (cc == CURLE_OPERATION_TIMEDOUT ||
                attempt > reg->max_retries) {
                rc = unreachable(&x, err);
                goto cleanup;
            }
            wait = backoff;
        } else {
            if (!retryable(resp->status)) {
                break;
            }
            if (attempt > reg->max_retries) {
                rc = unavailable(&x, resp, err, " after %u attempt%s",
                                 attempt, attempt == 1 ? "" : "s");
                goto cleanup;
            }
            if (resp->retry_after_ms > reg->retry_max_ms) {
                rc = unavailable(&x, resp, err,
                                 " and asked for a wait of %ld s, longer "
                                 "than vouch waits",
                                 resp->retry_after_ms / 1000);
                goto cleanup;
            }
            wait = resp->retry_after_ms >= 0 ? resp->retry_after_ms
                                             : backoff;
        }
        if (wait > reg->retry_max_ms) {
            wait = reg->retry_max_ms;
        }
        if (wait >= ctx->deadline_ms - vouch__registry_now_ms()) {
            rc = cc != CURLE_OK
                     ? unreachable(&x, err)
                     : unavailable(&x, resp, err, "; the next try would "
                                   "be past the %ld ms deadline",
                                   reg->total_timeout_ms);
            goto cleanup;
        }
        sleep_ms(wait);
        backoff = backoff > reg->retry_max_ms / 2 ? reg->retry_max_ms
                                                  : backoff * 2;
    }

cleanup:
    curl_slist_free_all(x.headers);
    curl_easy_cleanup(x.curl);
    return rc;
}
