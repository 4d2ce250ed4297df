/*
 * vouchd — the request guard (guard.h): Host, Origin and Content-Type.
 */
#include "guard.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "server.h"

/* Longest Host or Origin looked at: a DNS name is at most 253 bytes. */
#define AUTHORITY_MAX 300u

/* A parsed HOST[:PORT] or SCHEME://HOST[:PORT]; `host` keeps the
 * brackets of an IPv6 address. Borrowed from the parsed text. */
typedef struct authority {
    const char *host;
    size_t host_len;
    int port;          /* -1 when absent */
    bool https;        /* origins only */
} authority;

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

static bool ipv6_char(char c)
{
    return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
           (c >= '0' && c <= '9') || c == ':' || c == '.';
}

/* HOST[:PORT] in `s` (`len` bytes): a DNS name or IPv4 address, or an
 * IPv6 address in brackets; PORT 1 to 5 digits, at most 65535. */
static bool parse_authority(const char *s, size_t len, authority *out)
{
    size_t i = 0;

    out->host = s;
    out->port = -1;
    if (len == 0 || len > AUTHORITY_MAX) {
        return false;
    }
    if (s[0] == '[') {
        for (i = 1; i < len && ipv6_char(s[i]); i++) {
        }
        if (i == 1 || i >= len || s[i] != ']') {
            return false;
        }
        i++;
    } else {
        while (i < len && name_char(s[i])) {
            i++;
        }
        if (i == 0) {
            return false;
        }
    }
    out->host_len = i;
    if (i == len) {
        return true;
    }
    if (s[i] != ':' || len - i - 1 == 0 || len - i - 1 > 5) {
        return false;
    }
    long port = 0;
    for (i++; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        port = port * 10 + (s[i] - '0');
    }
    if (port == 0 || port > 65535) {
        return false;
    }
    out->port = (int)port;
    return true;
}

/* SCHEME://HOST[:PORT], scheme http or https, nothing after. */
static bool parse_origin(const char *s, authority *out)
{
    size_t len = strnlen(s, AUTHORITY_MAX + 16);
    size_t skip;

    if (strncasecmp(s, "http://", 7) == 0) {
        skip = 7;
        out->https = false;
    } else if (strncasecmp(s, "https://", 8) == 0) {
        skip = 8;
        out->https = true;
    } else {
        return false;
    }
    return parse_authority(s + skip, len - skip, out);
}

static bool host_is(const authority *a, const char *name)
{
    size_t n = strlen(name);

    return a->host_len == n && strncasecmp(a->host, name, n) == 0;
}

static bool same_host(const authority *a, const authority *b)
{
    return a->host_len == b->host_len &&
           strncasecmp(a->host, b->host, a->host_len) == 0;
}

/* "localhost", "127.0.0.1", "[::1]", or a name under .localhost (which
 * resolvers must answer with loopback, RFC 6761). */
static bool loopback_name(const authority *a)
{
    static const char sub[] = ".localhost";
    size_t n = sizeof(sub) - 1;

    if (host_is(a, "localhost") || host_is(a, "127.0.0.1") ||
        host_is(a, "[::1]")) {
        return true;
    }
    return a->host_len > n &&
           strncasecmp(a->host + a->host_len - n, sub, n) == 0;
}

/* The port a Host without one means: 80, plain http's. */
static int host_port(const authority *a)
{
    return a->port >= 0 ? a->port : 80;
}

static int origin_port(const authority *a)
{
    return a->port >= 0 ? a->port : (a->https ? 443 : 80);
}

/* Host names this server: bound address or a loopback name with the
 * bound port, or a public name (any port when configured without one). */
static bool host_allowed(const api_guard_config *cfg, const authority *h)
{
    authority bound;
    size_t i;

    if (parse_authority(cfg->listen_text, strlen(cfg->listen_text),
                        &bound) &&
        same_host(h, &bound) && host_port(h) == cfg->port) {
        return true;
    }
    if (loopback_name(h) && host_port(h) == cfg->port) {
        return true;
    }
    for (i = 0; i < cfg->public_host_count; i++) {
        authority p;
        const char *name = cfg->public_hosts[i];

        if (parse_authority(name, strlen(name), &p) && same_host(h, &p) &&
            (p.port < 0 || host_port(h) == p.port)) {
            return true;
        }
    }
    return false;
}

/* The origin a page served by this server under `host` has: same host,
 * and the port the Host names (or the scheme's default when it names
 * none); on a TLS port, https only (a page cannot be served there over
 * plain http). */
static bool own_origin(const api_guard_config *cfg, const authority *o,
                       const authority *host)
{
    int want = host->port >= 0 ? host->port : origin_port(o);

    return same_host(o, host) && origin_port(o) == want &&
           (!cfg->tls || o->https);
}

static bool origin_listed(const api_guard_config *cfg, const authority *o)
{
    size_t i;

    for (i = 0; i < cfg->allowed_origin_count; i++) {
        authority a;

        if (parse_origin(cfg->allowed_origins[i], &a) &&
            a.https == o->https && same_host(&a, o) &&
            origin_port(&a) == origin_port(o)) {
            return true;
        }
    }
    return false;
}

static bool safe_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
           strcmp(m, "OPTIONS") == 0;
}

/* application/json, any case, then the end or parameters. */
static bool json_media_type(const char *ct)
{
    static const char want[] = "application/json";
    size_t n = sizeof(want) - 1;

    ct += strspn(ct, " \t");
    if (strncasecmp(ct, want, n) != 0) {
        return false;
    }
    ct += n;
    ct += strspn(ct, " \t");
    return *ct == '\0' || *ct == ';';
}

static bool has_body(const api_guard_request *req)
{
    if (req->transfer_encoding != NULL) {
        return true;
    }
    return req->content_length != NULL &&
           strspn(req->content_length, "0") !=
               strlen(req->content_length);
}

/* A header value for a message: at most 80 bytes, printable ASCII only
 * (anything else becomes '?'), so the answer is valid UTF-8 and safe in
 * a terminal. */
static void quoted(char *out, size_t size, const char *value)
{
    size_t i;

    for (i = 0; i + 1 < size && i < 80 && value[i] != '\0'; i++) {
        unsigned char c = (unsigned char)value[i];
        out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[i] = '\0';
}

static api_guard_verdict refuse(api_guard_result *out, unsigned http,
                                const char *status)
{
    out->verdict = API_GUARD_REFUSE;
    out->http = http;
    out->status = status;
    out->cors = false;
    return out->verdict;
}

api_guard_verdict api_guard_check(const api_guard_config *cfg,
                                  const api_guard_request *req,
                                  api_guard_result *out)
{
    authority host;
    authority origin;
    char shown[96];
    bool listed = false;

    memset(out, 0, sizeof(*out));
    if (req->host == NULL || req->host[0] == '\0') {
        snprintf(out->message, sizeof(out->message),
                 "the Host header is missing: name this server, e.g. "
                 "Host: %s", cfg->listen_text);
        return refuse(out, 400, "INVALID_ARGUMENT");
    }
    if (!parse_authority(req->host, strnlen(req->host, AUTHORITY_MAX + 1),
                         &host) ||
        !host_allowed(cfg, &host)) {
        quoted(shown, sizeof(shown), req->host);
        snprintf(out->message, sizeof(out->message),
                 "Host '%s' is not a name of this server: use %s or "
                 "localhost:%u, or start vouchd with --public-host NAME",
                 shown, cfg->listen_text, (unsigned)cfg->port);
        return refuse(out, 421, "INVALID_ARGUMENT");
    }
    if (req->origin != NULL) {
        bool parsed = parse_origin(req->origin, &origin);
        listed = parsed && origin_listed(cfg, &origin);
        if (!safe_method(req->method) && !listed &&
            !(parsed && own_origin(cfg, &origin, &host))) {
            quoted(shown, sizeof(shown), req->origin);
            snprintf(out->message, sizeof(out->message),
                     "Origin '%s' may not change anything here: only pages "
                     "of this server and origins given with "
                     "--allowed-origin may",
                     shown);
            return refuse(out, 403, "PERMISSION_DENIED");
        }
    }
    if (has_body(req) && (req->content_type == NULL ||
                          !json_media_type(req->content_type))) {
        quoted(shown, sizeof(shown),
               req->content_type != NULL ? req->content_type : "");
        snprintf(out->message, sizeof(out->message),
                 "Content-Type '%s' is not supported: send the request "
                 "body as application/json",
                 shown);
        return refuse(out, 415, "INVALID_ARGUMENT");
    }
    out->cors = listed;
    if (listed && strcmp(req->method, "OPTIONS") == 0 &&
        req->preflight_method != NULL) {
        out->verdict = API_GUARD_PREFLIGHT;
        out->http = 204;
        return out->verdict;
    }
    out->verdict = API_GUARD_PASS;
    return out->verdict;
}

int api_guard_apply(struct api_request *req, const char *method)
{
    struct MHD_Connection *c = req->connection;
    api_guard_request g;
    api_guard_result r;

    g.method = method;
    g.host = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_HOST);
    g.origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    g.content_type = MHD_lookup_connection_value(
        c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    g.content_length = MHD_lookup_connection_value(
        c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    g.transfer_encoding = MHD_lookup_connection_value(
        c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    g.preflight_method = MHD_lookup_connection_value(
        c, MHD_HEADER_KIND, "Access-Control-Request-Method");
    switch (api_guard_check(&req->server->guard, &g, &r)) {
    case API_GUARD_REFUSE:
        api_respond_status(req, r.http, r.status, "%s", r.message);
        return 1;
    case API_GUARD_PREFLIGHT:
        req->preflight = true;
        api_respond(req, r.http, NULL, "", 0);
        break;
    default:
        break;
    }
    if (r.cors) {
        req->cors_origin = strdup(g.origin);
    }
    return req->status != 0;
}

void api_guard_cors_headers(struct MHD_Response *resp, const char *origin,
                            bool preflight, const char *request_headers)
{
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
    MHD_add_response_header(resp, "Vary", "Origin");
    if (!preflight) {
        return;
    }
    MHD_add_response_header(resp, "Access-Control-Allow-Methods",
                            "GET, POST, PUT, PATCH, DELETE");
    /* The origin is the operator's choice: it may send what it asks. */
    MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                            request_headers != NULL
                                ? request_headers
                                : "authorization, content-type");
    MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
}

int api_guard_config_check(const api_guard_config *cfg, vouch_error *err)
{
    size_t i;

    if (cfg->public_host_count > API_GUARD_MAX_NAMES ||
        cfg->allowed_origin_count > API_GUARD_MAX_NAMES) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "--public-host, --allowed-origin: at most %u "
                               "of each",
                               API_GUARD_MAX_NAMES);
    }
    for (i = 0; i < cfg->public_host_count; i++) {
        const char *v = cfg->public_hosts[i];
        authority a;

        if (!parse_authority(v, strlen(v), &a)) {
            return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                   "--public-host '%s': expected NAME or "
                                   "NAME:PORT, e.g. vouch.example.com or "
                                   "vouch.example.com:8443",
                                   v);
        }
    }
    for (i = 0; i < cfg->allowed_origin_count; i++) {
        const char *v = cfg->allowed_origins[i];
        authority a;

        if (!parse_origin(v, &a)) {
            return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                   "--allowed-origin '%s': expected "
                                   "http[s]://HOST[:PORT] with no path, e.g. "
                                   "https://console.example.com",
                                   v);
        }
    }
    return 0;
}
