/*
 * One HTTP exchange with a registry or a token server over libcurl: the
 * https rule for redirects, the deadline, retries with backoff on 429/503
 * and connection failures (honouring Retry-After), bounded bodies, and the
 * headers the client needs (Docker-Content-Digest, WWW-Authenticate,
 * Retry-After). Also reads registry error bodies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "vutil_error.h"
#include "vutil_str.h"
#include "registry.h"
#include "registry_internal.h"

#define ACCEPT_HEADER \
    "Accept: application/vnd.oci.image.index.v1+json, " \
    "application/vnd.oci.image.manifest.v1+json, " \
    "application/vnd.docker.distribution.manifest.list.v2+json, " \
    "application/vnd.docker.distribution.manifest.v2+json"

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

/* ---- error bodies ---- */

static void sanitise(char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            *s = '?';
        }
    }
}

void vouch__registry_error_message(const char *data, size_t len, char *buf,
                                   size_t size)
{
    json_t *root = NULL;
    json_t *first;
    json_t *text;
    json_error_t jerr;

    if (size == 0) {
        return;
    }
    buf[0] = '\0';
    if (data == NULL || len == 0) {
        return;
    }
    root = json_loadb(data, len, 0, &jerr);
    first = json_array_get(json_object_get(root, "errors"), 0);
    text = json_object_get(first, "message");
    if (!json_is_string(text) || json_string_length(text) == 0) {
        text = json_object_get(first, "code");
    }
    if (json_is_string(text)) {
        snprintf(buf, size, "%s", json_string_value(text));
        sanitise(buf);
    }
    json_decref(root);
}

/* ---- one HTTP exchange ---- */

static void response_reset(vouch__http_response *r, size_t body_max)
{
    free(r->challenge);
    free(r->body);
    memset(r, 0, sizeof(*r));
    r->retry_after_s = -1;
    r->body_max = body_max;
}

void vouch__http_response_clear(vouch__http_response *r)
{
    free(r->challenge);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    vouch__http_response *r = userp;
    size_t n = size * nmemb;

    if (n > r->body_max - r->body_len) {
        r->too_big = true;
        return 0; /* abort the transfer */
    }
    if (r->body_len + n + 1 > r->body_cap) {
        size_t cap = r->body_cap == 0 ? 4096 : r->body_cap;
        char *p;
        while (cap < r->body_len + n + 1) {
            cap *= 2;
        }
        p = realloc(r->body, cap);
        if (p == NULL) {
            return 0;
        }
        r->body = p;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return n;
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
        /* a new response (after a redirect or 100): forget the last one */
        free(r->challenge);
        r->challenge = NULL;
        r->digest[0] = '\0';
        r->retry_after_s = -1;
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
        long s = 0;
        size_t i = 0;
        for (; i < vlen && i < 9 && v[i] >= '0' && v[i] <= '9'; i++) {
            s = s * 10 + (v[i] - '0');
        }
        /* an HTTP-date (or junk) falls back to the backoff schedule */
        r->retry_after_s = (i == vlen && vlen > 0) ? s : -1;
    }
    return len;
}

/*
 * Perform one request with retries on 429/503 and connection failures.
 * `peer` names the far end in messages ("registry 127.0.0.1:5000" or
 * "token server 127.0.0.1:5001"). On 0, resp->status is the final status
 * (which may be any code); on failure err names the cause.
 */
int vouch__http_exchange(vouch__resolve_ctx *ctx, const char *url, bool head,
                         const vouch__http_auth *auth, size_t body_max,
                         bool insecure, const char *peer,
                         vouch__http_response *resp, vouch_error *err)
{
    vouch_registry *reg = ctx->reg;
    CURL *curl = NULL;
    struct curl_slist *headers = NULL;
    char errbuf[CURL_ERROR_SIZE];
    unsigned attempt = 0;
    int64_t backoff = reg->retry_base_ms;
    int rc = 0;

    curl = curl_easy_init();
    headers = curl_slist_append(NULL, ACCEPT_HEADER);
    if (curl == NULL || headers == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    for (;;) {
        int64_t left = ctx->deadline_ms - vouch__registry_now_ms();
        CURLcode cc;
        int64_t wait = -1;

        response_reset(resp, body_max);
        if (left <= 0) {
            rc = vutil_error_set(err, VOUCH_EIO, ctx->image, 0, 0,
                                 "%s did not answer within %ld ms for %s "
                                 "of %s", peer, reg->total_timeout_ms,
                                 ctx->what, ctx->path);
            goto cleanup;
        }
        curl_easy_reset(curl);
        errbuf[0] = '\0';
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR,
                         insecure ? "http,https" : "https");
        /* a redirect may lead anywhere: only https, whatever the start */
        curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                         reg->connect_timeout_ms < left
                             ? reg->connect_timeout_ms : (long)left);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)left);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "vouch/" VOUCH_VERSION);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, resp);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, resp);
        curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                         (curl_off_t)body_max);
        if (head) {
            curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
        }
        if (reg->ca_file != NULL) {
            curl_easy_setopt(curl, CURLOPT_CAINFO, reg->ca_file);
        }
        if (auth != NULL && auth->bearer != NULL) {
            curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
            curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, auth->bearer);
        } else if (auth != NULL && auth->basic != NULL) {
            curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
            curl_easy_setopt(curl, CURLOPT_USERNAME, auth->basic->username);
            curl_easy_setopt(curl, CURLOPT_PASSWORD, auth->basic->password);
        }

        cc = curl_easy_perform(curl);
        attempt++;
        if (resp->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
            rc = vutil_error_set(err, VOUCH_ETOOBIG, ctx->image, 0, 0,
                                 "%s sent more than %zu bytes for %s of "
                                 "%s", peer, body_max,
                                 ctx->what, ctx->path);
            goto cleanup;
        }
        if (resp->header_too_big) {
            rc = vutil_error_set(err, VOUCH_ETOOBIG, ctx->image, 0, 0,
                                 "%s sent a WWW-Authenticate header over "
                                 "%u bytes for %s of %s", peer,
                                 VOUCH_REGISTRY_CHALLENGE_MAX_BYTES,
                                 ctx->what, ctx->path);
            goto cleanup;
        }
        if (cc == CURLE_OPERATION_TIMEDOUT) {
            rc = vutil_error_set(err, VOUCH_EIO, ctx->image, 0, 0,
                                 "%s did not answer within %ld ms for %s "
                                 "of %s", peer, reg->total_timeout_ms,
                                 ctx->what, ctx->path);
            goto cleanup;
        }
        if (cc == CURLE_UNSUPPORTED_PROTOCOL) {
            /* the first URL's scheme is always allowed: a redirect it was */
            rc = vutil_error_set(err, VOUCH_EINVAL, ctx->image, 0, 0,
                                 "%s redirected %s of %s to a URL that is "
                                 "not https; redirects must be https", peer,
                                 ctx->what, ctx->path);
            goto cleanup;
        }
        if (cc == CURLE_OUT_OF_MEMORY || cc == CURLE_WRITE_ERROR) {
            rc = VOUCH_ENOMEM;
            goto cleanup;
        }
        if (cc != CURLE_OK) {
            bool transient = cc == CURLE_COULDNT_CONNECT ||
                             cc == CURLE_GOT_NOTHING ||
                             cc == CURLE_RECV_ERROR ||
                             cc == CURLE_SEND_ERROR ||
                             cc == CURLE_PARTIAL_FILE;
            if (!transient || attempt > reg->max_retries) {
                rc = vutil_error_set(err, VOUCH_EIO, ctx->image, 0, 0,
                                     "%s unreachable for %s of %s: %s "
                                     "(%u attempt%s)", peer,
                                     ctx->what, ctx->path,
                                     errbuf[0] != '\0'
                                          ? errbuf : curl_easy_strerror(cc),
                                     attempt, attempt == 1 ? "" : "s");
                goto cleanup;
            }
            wait = backoff;
        } else {
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
            if (resp->status != 429 && resp->status != 503) {
                break;
            }
            if (attempt > reg->max_retries) {
                char msg[VOUCH__REGMSG_SIZE];
                vouch__registry_error_message(resp->body, resp->body_len,
                                              msg, sizeof(msg));
                rc = vutil_error_set(err, VOUCH_EIO, ctx->image, 0, 0,
                                     "%s answered %ld for %s of %s after "
                                     "%u attempts%s%s", peer, resp->status,
                                     ctx->what, ctx->path,
                                     attempt, msg[0] != '\0' ? ": " : "",
                                     msg);
                goto cleanup;
            }
            wait = resp->retry_after_s >= 0 ? resp->retry_after_s * 1000
                                            : backoff;
        }
        if (wait > reg->retry_max_ms) {
            wait = reg->retry_max_ms;
        }
        if (wait >= ctx->deadline_ms - vouch__registry_now_ms()) {
            rc = vutil_error_set(err, VOUCH_EIO, ctx->image, 0, 0,
                                 "%s is busy or unreachable for %s of %s "
                                 "(status %ld, %u attempt%s) and the next "
                                 "try would be past the %ld ms timeout",
                                 peer, ctx->what, ctx->path,
                                 resp->status, attempt,
                                 attempt == 1 ? "" : "s",
                                 reg->total_timeout_ms);
            goto cleanup;
        }
        sleep_ms(wait);
        backoff = backoff > reg->retry_max_ms / 2 ? reg->retry_max_ms
                                                  : backoff * 2;
    }

cleanup:
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return rc;
}
