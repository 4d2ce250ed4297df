/*
 * One JWKS fetch (jwks_cache.h): a file:// path read from disk, or an
 * https:// URL through libcurl with https-only redirects, the issuer's CA
 * file, a deadline and a size bound; and the Cache-Control lifetime.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "authn.h"
#include "jwks_cache.h"
#include "vutil_str.h"

typedef struct fetch_buf {
    vutil_buf body;            /* up to VOUCH_JWKS_MAX_BYTES */
    char cache_control[256];
} fetch_buf;

/* ---- Cache-Control ---------------------------------------------------- */

static int64_t clamp_ttl(int64_t s)
{
    if (s < VOUCH_JWKS_MIN_TTL_S) {
        return VOUCH_JWKS_MIN_TTL_S;
    }
    return s > VOUCH_JWKS_MAX_TTL_S ? VOUCH_JWKS_MAX_TTL_S : s;
}

int64_t vouch__jwks_ttl_from_cache_control(const char *value, size_t len)
{
    size_t i = 0;
    int64_t max_age = -1;

    while (i < len) {
        size_t start;
        size_t end;

        while (i < len && (value[i] == ' ' || value[i] == '\t' ||
                           value[i] == ',')) {
            i++;
        }
        start = i;
        while (i < len && value[i] != ',') {
            i++;
        }
        end = i;
        while (end > start && (value[end - 1] == ' ' ||
                               value[end - 1] == '\t')) {
            end--;
        }
        if (end - start == 8 &&
            (strncasecmp(value + start, "no-store", 8) == 0 ||
             strncasecmp(value + start, "no-cache", 8) == 0)) {
            return VOUCH_JWKS_MIN_TTL_S;
        }
        if (end - start > 8 && strncasecmp(value + start, "max-age=", 8) == 0) {
            size_t j = start + 8;
            int64_t v = 0;
            bool quoted = j < end && value[j] == '"';

            j += quoted;
            if (j >= end || value[j] < '0' || value[j] > '9') {
                continue;
            }
            while (j < end && value[j] >= '0' && value[j] <= '9') {
                if (v < VOUCH_JWKS_MAX_TTL_S) {
                    v = v * 10 + (value[j] - '0');
                }
                j++;
            }
            if (j + quoted == end) {
                max_age = v;
            }
        }
    }
    return max_age < 0 ? VOUCH_JWKS_DEFAULT_TTL_S : clamp_ttl(max_age);
}

/* ---- https ------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    fetch_buf *b = userp;
    size_t n = size * nmemb;

    /* Over the limit or out of memory: 0 aborts the transfer. */
    return vutil_buf_append(&b->body, data, n) ? n : 0;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userp)
{
    fetch_buf *b = userp;
    size_t len = size * nmemb;
    static const char name[] = "cache-control:";
    size_t n = sizeof(name) - 1;

    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        b->cache_control[0] = '\0'; /* a new response after a redirect */
    } else if (len > n && strncasecmp(line, name, n) == 0) {
        size_t v = len - n;

        while (v > 0 && (line[n + v - 1] == '\r' || line[n + v - 1] == '\n')) {
            v--;
        }
        if (v >= sizeof(b->cache_control)) {
            v = sizeof(b->cache_control) - 1;
        }
        memcpy(b->cache_control, line + n, v);
        b->cache_control[v] = '\0';
    }
    return len;
}

static int fetch_https(const char *url, const char *ca, long timeout_ms,
                       fetch_buf *b, vouch_error *err)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    CURL *curl = curl_easy_init();
    CURLcode cc;
    long status = 0;
    int rc;

    headers = curl_slist_append(NULL, "Accept: application/jwk-set+json, "
                                      "application/json");
    if (curl == NULL || headers == NULL) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, url, 0, 0,
                             "out of memory fetching the JWKS");
        goto cleanup;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(curl, CURLOPT_SSLVERSION,
                     (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "vouchd/" VOUCH_VERSION);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, b);
    if (ca != NULL) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
    }
    cc = curl_easy_perform(curl);
    if (b->body.too_big) {
        rc = vutil_error_set(err, VOUCH_ETOOBIG, url, 0, 0,
                             "JWKS is over the limit of %u bytes",
                             VOUCH_JWKS_MAX_BYTES);
        goto cleanup;
    }
    if (cc != CURLE_OK) {
        rc = vutil_error_set(err, VOUCH_EIO, url, 0, 0,
                             "cannot fetch the JWKS: %s%s%s",
                             curl_easy_strerror(cc), errbuf[0] ? ": " : "",
                             errbuf);
        goto cleanup;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        rc = vutil_error_set(err, VOUCH_EIO, url, 0, 0,
                             "cannot fetch the JWKS: HTTP status %ld",
                             status);
        goto cleanup;
    }
    rc = 0;

cleanup:
    curl_slist_free_all(headers);
    if (curl != NULL) {
        curl_easy_cleanup(curl);
    }
    return rc;
}

int vouch__jwks_fetch(const char *url, const char *ca, long timeout_ms,
                      vouch_jwks **out, int64_t *ttl_s, vouch_error *err)
{
    fetch_buf b = { VUTIL_BUF_INIT(VOUCH_JWKS_MAX_BYTES), "" };
    int rc;

    *out = NULL;
    *ttl_s = VOUCH_JWKS_DEFAULT_TTL_S;
    if (strncmp(url, "file://", 7) == 0) {
        rc = vouch__auth_read_file(url + 7, VOUCH_JWKS_MAX_BYTES,
                                   &b.body.data, &b.body.len, err);
    } else if (strncmp(url, "https://", 8) == 0) {
        rc = fetch_https(url, ca, timeout_ms, &b, err);
        *ttl_s = vouch__jwks_ttl_from_cache_control(
            b.cache_control, strlen(b.cache_control));
    } else {
        rc = vutil_error_set(err, VOUCH_EIO, url, 0, 0,
                             "a JWKS is fetched from file:// or https:// "
                             "only");
    }
    if (rc == 0) {
        rc = vouch_jwks_parse(out, b.body.data, b.body.len, url, err);
    }
    free(b.body.data);
    return rc;
}
