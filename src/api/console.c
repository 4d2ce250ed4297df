/*
 * vouchd — serving the web console (console.h, docs/console.md).
 *
 * Every answer carries a strict Content-Security-Policy: scripts and
 * style sheets only from vouchd itself, no inline script at all, and
 * <style> elements only with the nonce of the response. The editor in the
 * page injects such elements; it reads the nonce from a <meta> element of
 * index.html, which is why index.html is rewritten for each response and
 * never cached.
 */
#include "console.h"
#include "vutil_random.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "/console/"
#define PREFIX_LEN (sizeof(PREFIX) - 1)

/* 16 random bytes in base64: 24 characters. */
#define NONCE_BYTES 16
#define NONCE_SIZE 32

/* Static files: they hold no data, and answer anyone (authz.c). */
static const api_route console_route = { API_GET, "/console/", NULL,
                                         API_ROUTE_PUBLIC, NULL,
                                         API_RES_NONE };

bool api_console_owns(const char *path)
{
    return strcmp(path, "/") == 0 || strcmp(path, "/console") == 0 ||
           strncmp(path, PREFIX, PREFIX_LEN) == 0;
}

/* A fresh nonce into `out` (NONCE_SIZE); -1 when the RNG fails. */
static int new_nonce(char *out)
{
    unsigned char raw[NONCE_BYTES];

    if (vutil_random_bytes(raw, sizeof(raw), NULL) < 0) {
        return -1;
    }
    EVP_EncodeBlock((unsigned char *)out, raw, (int)sizeof(raw));
    return 0;
}

static const api_console_asset *find_asset(const char *name)
{
    for (size_t i = 0; i < api_console_asset_count; i++) {
        if (strcmp(api_console_assets[i].name, name) == 0) {
            return &api_console_assets[i];
        }
    }
    return NULL;
}

/*
 * index.html with every API_CONSOLE_NONCE_MARK replaced by `nonce`;
 * malloc'd, its length in *len. NULL when out of memory.
 */
static char *index_with_nonce(const api_console_asset *a, const char *nonce,
                              size_t *len)
{
    static const char mark[] = API_CONSOLE_NONCE_MARK;
    const size_t mark_len = sizeof(mark) - 1;
    size_t nonce_len = strlen(nonce);
    size_t cap = a->len + 1;
    const char *src = (const char *)a->data;
    char *out;
    size_t o = 0;

    if (nonce_len > mark_len) {
        /* Room for a nonce in place of every mark the file could hold. */
        cap += (a->len / mark_len + 1) * (nonce_len - mark_len);
    }
    out = malloc(cap);
    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < a->len;) {
        if (a->len - i >= mark_len && memcmp(src + i, mark, mark_len) == 0) {
            memcpy(out + o, nonce, nonce_len);
            o += nonce_len;
            i += mark_len;
        } else {
            out[o++] = src[i++];
        }
    }
    *len = o;
    return out;
}

static void add_security_headers(struct MHD_Response *resp,
                                 const char *nonce)
{
    char csp[512];

    snprintf(csp, sizeof(csp),
             "default-src 'self'; script-src 'self'; "
             "style-src 'self' 'nonce-%s'; img-src 'self'; "
             "connect-src 'self'; object-src 'none'; base-uri 'none'; "
             "form-action 'self'; frame-ancestors 'none'",
             nonce);
    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy",
                            "same-origin");
    MHD_add_response_header(resp, "Cross-Origin-Resource-Policy",
                            "same-origin");
}

/* An error in Google's shape, as the API answers them. */
static struct MHD_Response *error_response(api_request *req, unsigned http,
                                           const char *status,
                                           const char *message)
{
    char *body = api_error_body(http, status, message);
    struct MHD_Response *resp;

    if (body == NULL) {
        return NULL;
    }
    resp = MHD_create_response_from_buffer(strlen(body), body,
                                           MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(body);
        return NULL;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    req->status = http;
    return resp;
}

static struct MHD_Response *redirect_response(api_request *req,
                                              unsigned status)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        0, (void *)"", MHD_RESPMEM_PERSISTENT);

    if (resp != NULL) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, PREFIX);
        req->status = status;
    }
    return resp;
}

static struct MHD_Response *asset_response(api_request *req,
                                           const char *nonce)
{
    const char *name = req->path + PREFIX_LEN;
    const api_console_asset *a;
    struct MHD_Response *resp;
    bool index = name[0] == '\0' || strcmp(name, "index.html") == 0;

    a = find_asset(index ? "index.html" : name);
    if (a == NULL) {
        return error_response(req, vutil_code_http(VOUCH_ENOTFOUND),
                              vutil_code_status(VOUCH_ENOTFOUND),
                              "no such console file; the console is at "
                              "/console/");
    }
    if (index) {
        size_t len = 0;
        char *text = index_with_nonce(a, nonce, &len);
        if (text == NULL) {
            return NULL;
        }
        resp = MHD_create_response_from_buffer(len, text,
                                               MHD_RESPMEM_MUST_FREE);
        if (resp == NULL) {
            free(text);
            return NULL;
        }
    } else {
        resp = MHD_create_response_from_buffer(a->len, (void *)a->data,
                                               MHD_RESPMEM_PERSISTENT);
        if (resp == NULL) {
            return NULL;
        }
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            a->content_type);
    /* The page changes with each nonce; the other files with vouchd. */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            index ? "no-store" : "no-cache");
    req->status = 200;
    return resp;
}

enum MHD_Result api_console_queue(api_request *req)
{
    struct MHD_Response *resp;
    char nonce[NONCE_SIZE];
    enum MHD_Result ret;

    req->route = &console_route;
    if (new_nonce(nonce) < 0) {
        return MHD_NO;   /* no nonce, no page: the connection is closed */
    }
    if (req->method != API_GET && req->method != API_HEAD) {
        resp = error_response(req, 405, "UNIMPLEMENTED",
                              "the console is read with GET");
        if (resp != NULL) {
            MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
                                    "GET, HEAD");
        }
    } else if (strcmp(req->path, "/") == 0) {
        resp = redirect_response(req, 302);
    } else if (strcmp(req->path, "/console") == 0) {
        resp = redirect_response(req, 301);
    } else {
        resp = asset_response(req, nonce);
    }
    if (resp == NULL) {
        req->status = 500;
        return MHD_NO;
    }
    add_security_headers(resp, nonce);
    ret = MHD_queue_response(req->connection, req->status, resp);
    MHD_destroy_response(resp);
    return ret;
}
