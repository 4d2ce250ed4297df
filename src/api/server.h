/*
 * vouchd — the HTTP server core: a libmicrohttpd daemon with a thread pool
 * (epoll), the request lifetime (one api_request per HTTP request, freed in
 * the completion callback, STYLE.md 2.12), body accumulation under a
 * documented limit, one store transaction per request, response helpers,
 * and the JSON access log.
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

#include "audit.h"
#include "errors.h"
#include "metrics.h"
#include "router.h"
#include "store.h"
#include "vouch/vouch.h"
#include "vutil_random.h"
#include "vutil_time.h"

/* Documented defaults (docs/operator.md). */
#define API_DEFAULT_BODY_LIMIT    (4u * 1024u * 1024u)  /* 413 past it */
#define API_DEFAULT_HEADER_LIMIT  (64u * 1024u)  /* per-connection memory */
#define API_DEFAULT_TIMEOUT_S     30u            /* idle connection */
#define API_DEFAULT_THREADS       4u
#define API_MAX_THREADS           256u
#define API_VERIFY_CACHE_ENTRIES  4096u

/* List page sizes (docs/api.md): default and maximum. */
#define API_PAGE_SIZE_DEFAULT 100u
#define API_PAGE_SIZE_MAX     1000u

/* At most this many occurrences in one batchCreate (Google's limit). */
#define API_BATCH_MAX 1000u

typedef struct api_config {
    const char *listen;        /* "127.0.0.1:8080" or "[::1]:8080" */
    unsigned threads;          /* thread pool size; also store connections */
    size_t body_limit;         /* bytes of request body */
    size_t header_limit;       /* MHD_OPTION_CONNECTION_MEMORY_LIMIT */
    unsigned timeout_s;        /* MHD_OPTION_CONNECTION_TIMEOUT */
    FILE *access_log;          /* borrowed; one JSON line per request */
    vouch_store *store;        /* borrowed; must outlive the server */
    vouch_policy *system_policy; /* taken over by the server */
    struct vouch_platform *platform;  /* borrowed; NULL: no run routes */
    vouch_audit_sink *audit_sink;     /* borrowed; NULL: no file sink */
} api_config;

typedef struct api_server {
    struct MHD_Daemon *daemon;
    vouch_store *store;
    vouch_policy *system_policy;
    struct vouch_platform *platform;  /* borrowed */
    vouch_audit_sink *audit_sink;     /* borrowed; may be NULL */
    api_metrics *metrics;
    FILE *access_log;
    pthread_mutex_t log_lock;
    size_t body_limit;
    uint16_t port;
    char listen_text[80];      /* "127.0.0.1:8080" as bound */

    /* Requests between their first callback and completion. */
    pthread_mutex_t flight_lock;
    pthread_cond_t flight_cond;
    size_t in_flight;

    /*
     * The verify cache, replaced whenever the attestor generation moves
     * (a changed key under a reused id must not hit an old result).
     */
    pthread_rwlock_t cache_lock;
    vouch_verify_cache *cache;
    uint64_t cache_generation;
    bool cache_generation_known;
    uint64_t retired_hits;
    uint64_t retired_misses;
} api_server;

#define API_MAX_PARAMS 4

typedef struct api_request {
    api_server *server;
    struct MHD_Connection *connection;
    api_method method;
    char method_text[16];
    char *path;
    const api_route *route;
    char *params[API_MAX_PARAMS];
    char *body;
    size_t body_len;
    size_t body_cap;
    bool body_too_big;
    vouch_store_conn *conn;
    vouch_verify_cache *cache;  /* API_ROUTE_CACHE routes: borrowed for the
                                   request (api_verify_cache_acquire) */
    bool cache_held;
    vouch_audit_queue audit;    /* audit entries of this request, written
                                   to the sink after the commit */
    unsigned status;           /* HTTP status; 0 until a response is set */
    char *response;            /* malloc'd */
    size_t response_len;
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

/* Set the response: `body` (`len` bytes) is copied. */
int api_respond(api_request *req, unsigned http, const char *content_type,
                const char *body, size_t len);

/* Set a JSON response from a jansson value (keys sorted, 2-space indent,
 * trailing newline). Does not take `value`. */
int api_respond_json(api_request *req, unsigned http, const json_t *value);

/* Set an error response in Google's shape, with the HTTP status and the
 * status name of `code` (a vouch_code; the util layer's table). Always
 * returns 0. */
int api_respond_error(api_request *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same with an explicit HTTP status and status name, for the two the
 * HTTP server itself answers (405, 413). Always returns 0. */
int api_respond_status(api_request *req, unsigned http, const char *status,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Error response from a libvouch/store error; the message is
 * "[PREFIX: ]SOURCE:LINE:COL: message". Always returns 0. */
int api_respond_vouch_error(api_request *req, const vouch_error *err,
                            const char *prefix);

/* Current time as RFC 3339 UTC with microseconds into `buf` (>= 32). */
void api_now_rfc3339(char *buf, size_t size);

/* A fresh random etag (hex, 16 characters) into `buf` (>= 17). */
void api_new_etag(char *buf, size_t size);

/* A random UUID v4 (36 characters) into `buf` (>= 37). */
void api_new_uuid(char *buf, size_t size);

/*
 * Borrow the server's verify cache for one request, reconciled with the
 * attestors' change stamp read through req->conn. Pair with
 * api_verify_cache_release(). *out may be NULL (verify without a cache)
 * when the stamp could not be read, or when `before` is not NULL and the
 * stamp moved since *before was taken (outside a transaction, the
 * attestor the request read may not match the cache: not worth the risk).
 */
void api_verify_cache_acquire(api_request *req, const uint64_t *before,
                              vouch_verify_cache **out);
void api_verify_cache_release(api_request *req);

/*
 * pageSize and pageToken from the query into `q` (docs/api.md: default
 * API_PAGE_SIZE_DEFAULT, larger values are lowered to API_PAGE_SIZE_MAX).
 * On a bad value the INVALID_ARGUMENT response is set and -1 returned.
 */
int api_page_query(api_request *req, vouch_resource_query *q);

/*
 * Respond 200 with {"<key>": [the stored JSON of each item],
 * "nextPageToken": "..."} (both left out when empty, as proto3 JSON does).
 */
int api_respond_page(api_request *req, const char *key,
                     const vouch_resource_page *page);

/* Respond `http` with the stored JSON text of a resource. */
int api_respond_stored(api_request *req, unsigned http,
                       const vouch_resource *r);

/* A resource to store, from its fields; every string is borrowed. */
vouch_resource api_resource_of(const char *kind, const char *name,
                               const char *parent, char *json, char *etag,
                               char *create_time, char *update_time);

/*
 * Get the stored `kind` `name` into `*out` (zeroed first). When it is not
 * there, responds NOT_FOUND "KIND NAME not found"; on a store error,
 * responds with it ("store: ..."). Returns 0 when found, 1 otherwise.
 */
int api_get_or_respond(api_request *req, const char *kind,
                       const char *name, vouch_resource *out);

/* Hits and misses of the verify cache, including replaced caches. */
void api_verify_cache_stats(api_server *server, uint64_t *hits,
                            uint64_t *misses);

#endif /* VOUCH_API_SERVER_H */
