/*
 * vouchd — the HTTP server core: a libmicrohttpd daemon with a thread pool
 * (epoll), the request lifetime (one api_request per HTTP request, freed in
 * the completion callback, docs/style.md), the request guard (guard.h:
 * Host, Origin, Content-Type, once per request), body accumulation under
 * a documented limit and the server's body budget (conn_limits.h), one
 * service session per request, response helpers, and the JSON access
 * log (access_log.h).
 *
 * The files of src/api are adapters: HTTP and a JSON shape on one side,
 * calls of the service layer (src/service/vsvc.h, src/platform/
 * platform.h) on the other. None touches the store; transactions,
 * names, references and audit entries are the service's.
 */
#ifndef VOUCH_API_SERVER_H
#define VOUCH_API_SERVER_H

#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "authconfig.h"
#include "authn.h"
#include "conn_limits.h"
#include "errors.h"
#include "guard.h"
#include "metrics.h"
#include "ratelimit.h"
#include "router.h"
#include "tls.h"
#include "vouch/vouch.h"
#include "vsvc.h"

/* Documented defaults (docs/operator.md). */
#define API_DEFAULT_BODY_LIMIT    (4u * 1024u * 1024u)  /* 413 past it */
#define API_DEFAULT_HEADER_LIMIT  (64u * 1024u)  /* per-connection memory */
#define API_DEFAULT_TIMEOUT_S     30u            /* idle connection */
#define API_DEFAULT_MAX_CONNECTIONS 512u         /* MHD_OPTION_CONNECTION_LIMIT */
#define API_MAX_CONNECTIONS       65536u
#define API_DEFAULT_BODY_BUDGET   (64u * 1024u * 1024u)  /* all bodies */
#define API_MAX_BODY_BUDGET       (16ull * 1024u * 1024u * 1024u)
#define API_DEFAULT_REQUEST_TIMEOUT_S 60u        /* a request's arrival */
#define API_DEFAULT_THREADS       4u
#define API_MAX_THREADS           256u

typedef struct api_config {
    const char *listen;        /* "127.0.0.1:8080" or "[::1]:8080" */
    unsigned threads;          /* thread pool size; also store connections */
    size_t body_limit;         /* bytes of request body */
    size_t header_limit;       /* MHD_OPTION_CONNECTION_MEMORY_LIMIT */
    unsigned timeout_s;        /* MHD_OPTION_CONNECTION_TIMEOUT */
    unsigned max_connections;  /* MHD_OPTION_CONNECTION_LIMIT */
    size_t body_budget;        /* request bodies held at once, in all */
    unsigned request_timeout_s;  /* a request must arrive within it */
    const char *const *public_hosts;     /* --public-host (borrowed) */
    size_t public_host_count;
    const char *const *allowed_origins;  /* --allowed-origin (borrowed) */
    size_t allowed_origin_count;
    FILE *access_log;          /* borrowed; one JSON line per request */
    vsvc *service;             /* borrowed; must outlive the server */
    vouch_policy *system_policy; /* taken over by the server (the service
                                    and the platform borrow it) */
    struct vouch_platform *platform;  /* borrowed; NULL: no run routes */
    const char *default_location;     /* borrowed; NULL: us-central1 */
    /* Authentication and IAM (authz.h); all borrowed. auth_slot NULL: no
     * auth config, every caller an anonymous owner. */
    vouch_auth_slot *auth_slot;
    vouch_authn *authn;               /* required with auth_slot */
    vouch_ratelimit *ratelimit;       /* NULL: no --rate-limit */
    unsigned rate_limit;              /* its rate, for messages */
    api_tls *tls;                     /* borrowed; NULL: plain HTTP */
    const char *metrics_listen;       /* a loopback ADDR:PORT serving
                                         /metrics alone, without
                                         authentication; NULL: none */
} api_config;

typedef struct api_server {
    struct MHD_Daemon *daemon;
    vsvc *service;                    /* borrowed */
    vouch_policy *system_policy;
    struct vouch_platform *platform;  /* borrowed */
    const char *default_location;     /* borrowed: the location of a Cloud
                                         Run v1 request whose Host names
                                         none (run_v1_request.c) */
    api_metrics *metrics;
    FILE *access_log;
    bool log_writes_whole;            /* api_access_log_writes_whole */
    size_t body_limit;
    size_t body_budget;
    uint16_t port;
    char listen_text[80];      /* "127.0.0.1:8080" as bound */
    api_guard_config guard;    /* Host, Origin, Content-Type (guard.h) */
    api_limits *limits;        /* body budget, request deadline */
    vouch_auth_slot *auth_slot;       /* borrowed; see api_config */
    vouch_authn *authn;
    vouch_ratelimit *ratelimit;
    unsigned rate_limit;
    api_tls *tls;
    struct MHD_Daemon *metrics_daemon;  /* --metrics-listen, or NULL */
    char metrics_text[80];              /* its address as bound */

    /* Requests between their first callback and completion. */
    pthread_mutex_t flight_lock;
    pthread_cond_t flight_cond;
    size_t in_flight;
} api_server;

#define API_MAX_PARAMS 4

/* The WWW-Authenticate challenge of a 401 (authz.c). */
typedef enum api_challenge {
    API_CHALLENGE_NONE = 0,
    API_CHALLENGE,             /* Bearer realm="vouchd" */
    API_CHALLENGE_INVALID      /* ..., error="invalid_token" */
} api_challenge;

typedef struct api_request {
    api_server *server;
    struct MHD_Connection *connection;
    api_method method;
    char method_text[64];      /* as sent, bytes outside printable ASCII
                                  escaped as \xNN (may be cut short) */
    bool begun;                /* the access handler has seen it */
    char *path;                /* the request's path; before the handler
                                  saw it, the URI as sent */
    const api_route *route;
    char *params[API_MAX_PARAMS];
    char *body;
    size_t body_len;
    size_t body_cap;
    bool body_too_big;
    size_t body_expected;      /* Content-Length, when given */
    size_t body_reserved;      /* bytes of the server's body budget */
    char *cors_origin;         /* an --allowed-origin to name in the
                                  answer's CORS headers, or NULL */
    bool preflight;            /* the answer is a CORS preflight's */
    unsigned retry_after_s;    /* Retry-After of a 503, or 0 */
    vsvc_session *session;     /* API_ROUTE_SESSION routes, and any route
                                  whose permission check read IAM */
    vouch_auth_config *auth;   /* the auth config in force when the request
                                  began (a reference), or NULL */
    vouch_identity *identity;  /* the caller; NULL: anonymous */
    api_challenge challenge;   /* WWW-Authenticate on the answer */
    bool checked;              /* a permission check passed or refused */
    unsigned status;           /* HTTP status; 0 until a response is set */
    char *response;            /* malloc'd, unless response_constant */
    size_t response_len;
    bool response_constant;    /* response is a constant, never freed */
    const char *content_type;
    char allow[64];            /* Allow header for 405 */
    struct timespec start;
} api_request;

/*
 * Start the daemon. Parses cfg->listen (IPv4 "A.B.C.D:PORT" or
 * "[IPv6]:PORT"; port 0 picks a free one) but does not judge it: the
 * loopback rule is the caller's (src/daemon/main.c).
 *
 * @return 0; VOUCH_EINVAL (bad listen address, threads); VOUCH_EIO
 *         (cannot bind); VOUCH_ENOMEM. On failure cfg->system_policy is
 *         freed too.
 */
int api_server_start(api_server **out, const api_config *cfg,
                     vouch_error *err);

/*
 * The --metrics-listen daemon (metrics_listen.c): GET /metrics of `s`,
 * alone, without authentication, on `listen` (loopback; the caller checks).
 * @return 0; VOUCH_EINVAL; VOUCH_EIO (cannot bind).
 */
/* The /metrics exposition of `server` (its counters, caches and gauges),
 * malloc'd (free()); NULL when out of memory. */
char *api_metrics_text(api_server *server, size_t *len);

int api_metrics_listen_start(api_server *s, const char *listen,
                             vouch_error *err);
void api_metrics_listen_stop(api_server *s);

/* Parse --listen text; VOUCH_EINVAL with a message when malformed. */
int api_parse_listen(const char *text, struct sockaddr_storage *addr,
                     socklen_t *addr_len, vouch_error *err);

/* 127.0.0.0/8, ::1 or ::ffff:127.x.y.z. */
bool api_addr_is_loopback(const struct sockaddr_storage *addr);

/*
 * Graceful shutdown: stop accepting, let in-flight requests finish (at
 * most `grace_s` seconds), stop the daemon, free the server. NULL is a
 * no-op. The store is the caller's to close afterwards.
 */
void api_server_stop(api_server *server, unsigned grace_s);

/* The value of a query argument (decoded), or NULL. Borrowed. */
const char *api_query(const api_request *req, const char *name);

/* Forget the response set so far (freed unless a constant). */
void api_response_drop(api_request *req);

/* Set the response: `body` (`len` bytes) is copied. */
int api_respond(api_request *req, unsigned http, const char *content_type,
                const char *body, size_t len);

/* Set the response to `body`, a constant that outlives the request:
 * sent as it is, never copied or freed. */
int api_respond_constant(api_request *req, unsigned http,
                         const char *content_type, const char *body,
                         size_t len);

/* Set a JSON response from a jansson value (keys sorted, 2-space indent,
 * trailing newline). Does not take `value`. */
int api_respond_json(api_request *req, unsigned http, const json_t *value);

/* Set an error response in Google's shape, with the HTTP status and the
 * status name of `code` (a vouch_code; the util layer's table). Always
 * returns 0. */
int api_respond_error(api_request *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same with an explicit HTTP status and status name, for those the
 * HTTP server itself answers (405, 413, and the transport's refusals
 * 415, 421, 403, 503: guard.h, conn_limits.h). Always returns 0. */
int api_respond_status(api_request *req, unsigned http, const char *status,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Error response from a libvouch/store error; the message is
 * "[PREFIX: ]SOURCE:LINE:COL: message". Always returns 0. */
int api_respond_vouch_error(api_request *req, const vouch_error *err,
                            const char *prefix);

/* The request body (never NULL; "" when there is none). */
const char *api_body(const api_request *req);

/*
 * The body as a JSON object (duplicate keys refused) into `*out`
 * (json_decref). When it is not JSON, or not an object, the
 * INVALID_ARGUMENT response is set ("request body:LINE:COL: ...", or
 * "request body: " `expected`) and -1 returned.
 */
int api_body_object(api_request *req, const char *expected, json_t **out);

/*
 * pageSize and pageToken from the query (docs/api.md: default
 * VSVC_PAGE_DEFAULT, larger values are lowered to VSVC_PAGE_MAX). On a
 * bad value the INVALID_ARGUMENT response is set and -1 returned.
 */
int api_page_query(api_request *req, vsvc_page_request *page);

/*
 * Respond 200 with {"<key>": [items], "nextPageToken": "..."} (both left
 * out when empty, as proto3 JSON does).
 */
int api_respond_page(api_request *req, const char *key,
                     const vsvc_page *page);

/* Respond 200 with `text` (JSON) and free it; a negative `rc` responds
 * with `err` instead. The common end of a handler. */
int api_respond_text(api_request *req, int rc, char *text,
                     const vouch_error *err);

/* Respond 200 with `value` and release it: the common end of a handler
 * that has just built its answer. NULL (the build ran out of memory) is
 * VOUCH_ENOMEM, for the server's 500. */
int api_respond_built(api_request *req, json_t *value);

/* Respond 200 {} or with `err` when `rc` is negative. */
int api_respond_empty(api_request *req, int rc, const vouch_error *err);

/* Respond with the stored `kind` the route's path parameters name (in
 * order: project, [location,] ids). */
int api_respond_get(api_request *req, vsvc_kind kind);

/* Respond with one page (pageSize, pageToken) of the `kind` listed under
 * the parent the route's path parameters name, items under `key`. */
int api_respond_list(api_request *req, vsvc_kind kind, const char *key);

/* Define GET_NAME and LIST_NAME, the route handlers that answer a get and
 * a list of the stored `KIND` (api_respond_get, api_respond_list with
 * `KEY`). */
#define API_READ_HANDLERS(GET_NAME, LIST_NAME, KIND, KEY)                  \
    int GET_NAME(api_request *req)                                         \
    {                                                                      \
        return api_respond_get(req, KIND);                                 \
    }                                                                      \
                                                                           \
    int LIST_NAME(api_request *req)                                        \
    {                                                                      \
        return api_respond_list(req, KIND, KEY);                           \
    }

/* A service call that writes a resource named by a project and an id
 * from a body, answering it as stored (vsvc_attestor_create, _update,
 * vsvc_note_create). */
typedef int (*api_write_fn)(vsvc_session *s, const char *project,
                            const char *id, const char *body, size_t len,
                            char **out, vouch_error *err);
/* A service call that deletes one (vsvc_attestor_delete, ...). */
typedef int (*api_delete_fn)(vsvc_session *s, const char *project,
                             const char *id, vouch_error *err);

/* Call `fn` for project params[0], `id`, the body; respond with it. */
int api_respond_write(api_request *req, api_write_fn fn, const char *id);

/* Call `fn` for params[0] and params[1]; respond {} or the error. */
int api_respond_delete(api_request *req, api_delete_fn fn);

/* The decision counter of a service call's outcome, if it made one. */
void api_count_decision(api_request *req);

#endif /* VOUCH_API_SERVER_H */
