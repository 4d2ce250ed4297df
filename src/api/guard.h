/*
 * vouchd — the request guard: what every request must show before any
 * handler runs, so that a web page in the user's browser cannot drive
 * vouchd (docs/security.md, "A web page in the user's browser"):
 *
 *   1. Host names vouchd: the address it is bound to, a loopback name
 *      (localhost, *.localhost, 127.0.0.1, [::1]) with the bound port, or
 *      a configured public name (--public-host). Else 421: this ends DNS
 *      rebinding, where an attacker's name resolves to 127.0.0.1.
 *   2. On a method that may change state (anything but GET, HEAD and
 *      OPTIONS), an Origin header, when present, is vouchd's own origin
 *      (http or https, and the Host that passed 1.; https only on a TLS
 *      port) or a configured
 *      --allowed-origin. Else 403: a cross-site form or fetch is refused.
 *   3. A request with a body says Content-Type: application/json
 *      (parameters allowed). Else 415: a page can send text/plain,
 *      form-urlencoded or multipart without a CORS preflight; JSON it
 *      cannot.
 *
 * An --allowed-origin also gets CORS answers (Access-Control-Allow-Origin,
 * and a preflight answer for OPTIONS). Any other origin gets none, so a
 * page elsewhere cannot read what vouchd answers.
 *
 * Reentrant: the checks are pure functions of their arguments.
 */
#ifndef VOUCH_API_GUARD_H
#define VOUCH_API_GUARD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vouch/common.h"

/* Most --public-host and --allowed-origin values. */
#define API_GUARD_MAX_NAMES 32u

typedef struct api_guard_config {
    const char *listen_text;   /* the bound address, "127.0.0.1:8080" or
                                  "[::1]:8080" (borrowed) */
    uint16_t port;             /* the bound port */
    const char *const *public_hosts;     /* --public-host NAME[:PORT] */
    size_t public_host_count;
    const char *const *allowed_origins;  /* --allowed-origin ORIGIN */
    size_t allowed_origin_count;
    bool tls;                  /* served over TLS: vouchd's own origin is
                                  https://HOST, never http:// */
} api_guard_config;

/* What the guard reads of a request; every header may be NULL (absent). */
typedef struct api_guard_request {
    const char *method;              /* as sent, e.g. "POST" */
    const char *host;
    const char *origin;
    const char *content_type;
    const char *content_length;
    const char *transfer_encoding;
    const char *preflight_method;    /* Access-Control-Request-Method */
} api_guard_request;

typedef enum api_guard_verdict {
    API_GUARD_PASS = 0,        /* let it through */
    API_GUARD_REFUSE,          /* answer `http`, `status`, `message` */
    API_GUARD_PREFLIGHT        /* a CORS preflight of an allowed origin:
                                  answer 204 with the CORS headers */
} api_guard_verdict;

typedef struct api_guard_result {
    api_guard_verdict verdict;
    unsigned http;             /* 400, 403, 415 or 421 when refused */
    const char *status;        /* Google's status name when refused */
    char message[384];         /* names the header and what was expected */
    bool cors;                 /* Origin is an --allowed-origin: name it
                                  in Access-Control-Allow-Origin */
} api_guard_result;

/*
 * Check the values of --public-host (NAME or NAME:PORT; NAME a DNS name
 * or an IP address, IPv6 in brackets) and --allowed-origin
 * (http[s]://HOST[:PORT], no path). VOUCH_EINVAL names the flag and the
 * value; 0 when all are well-formed.
 */
int api_guard_config_check(const api_guard_config *cfg, vouch_error *err);

/* Judge one request. Always fills `out`; returns out->verdict. */
api_guard_verdict api_guard_check(const api_guard_config *cfg,
                                  const api_guard_request *req,
                                  api_guard_result *out);

struct api_request;

/*
 * api_guard_check on a request of the server (its headers, the server's
 * guard configuration). When refused, or a preflight, the answer is set
 * on `req` and 1 returned; otherwise 0. An --allowed-origin is recorded
 * in req->cors_origin for the answer's CORS headers. Called once, by the
 * first access-handler call of each request.
 */
int api_guard_apply(struct api_request *req, const char *method);

/*
 * Add the CORS headers for an --allowed-origin `origin` (a request that
 * passed with out->cors) to `resp`; with `preflight`, also the methods,
 * the headers asked for in `request_headers` (may be NULL) and how long
 * the browser may keep the answer.
 */
void api_guard_cors_headers(struct MHD_Response *resp, const char *origin,
                            bool preflight, const char *request_headers);

#endif /* VOUCH_API_GUARD_H */
