/*
 * vouchd — the route table and the matcher: method + path against
 * templates such as "/v1/projects/{p}/attestors/{a}", with Google's custom
 * verbs ("{a}:validateAttestationOccurrence", "occurrences:batchCreate").
 */
#ifndef VOUCH_API_ROUTER_H
#define VOUCH_API_ROUTER_H

#include <stddef.h>

typedef enum api_method {
    API_GET = 1,
    API_POST = 2,
    API_PUT = 4,
    API_DELETE = 8,
    API_PATCH = 16,
    API_HEAD = 32,
    API_OTHER = 64
} api_method;

struct api_request;
typedef int (*api_handler)(struct api_request *req);

/* Route flags. */
#define API_ROUTE_SESSION 1u  /* the handler calls the service: a session
                                 (a store connection) for the request */
/* Older names of the same flag: transactions (read or write), the verify
 * cache and the connection are the service layer's to manage now. */
#define API_ROUTE_TXN   API_ROUTE_SESSION
#define API_ROUTE_WRITE API_ROUTE_SESSION
#define API_ROUTE_CONN  API_ROUTE_SESSION
#define API_ROUTE_CACHE API_ROUTE_SESSION

typedef struct api_route {
    api_method method;
    const char *template;   /* also the metrics label */
    api_handler handler;
    unsigned flags;
} api_route;

typedef enum api_match {
    API_MATCH_OK = 0,
    API_MATCH_NOT_FOUND,    /* no template matches the path */
    API_MATCH_METHOD,       /* the path matches, the method does not */
    API_MATCH_BAD_ID        /* a {param} holds characters ids may not */
} api_match;

/* Longest id a path segment may carry, and its characters:
 * A-Z a-z 0-9 - _ . ~ ("." and ".." alone are not ids) */
#define API_ID_MAX 128u

/*
 * Match `path` (`len` bytes; no query string) for `method`. On
 * API_MATCH_OK, *route_out is set and params[0..] hold malloc'd copies of
 * the captured segments in template order (the caller frees them). On
 * API_MATCH_METHOD, `allow` gets the allowed methods ("GET, PUT"). On
 * API_MATCH_BAD_ID, `allow` gets the offending segment. Returns -1 when
 * out of memory.
 */
int api_router_match(const char *path, size_t len, api_method method,
                     const api_route **route_out, char **params,
                     size_t max_params, char *allow, size_t allow_size);

/* The method enum for an HTTP method name. */
api_method api_method_parse(const char *name);
const char *api_method_name(api_method m);

/* Handlers (binauthz.c, containeranalysis.c, ops.c). */
int api_get_policy(struct api_request *req);
int api_put_policy(struct api_request *req);
int api_get_system_policy(struct api_request *req);
int api_create_attestor(struct api_request *req);
int api_get_attestor(struct api_request *req);
int api_list_attestors(struct api_request *req);
int api_update_attestor(struct api_request *req);
int api_delete_attestor(struct api_request *req);
int api_validate_attestation(struct api_request *req);
int api_create_note(struct api_request *req);
int api_get_note(struct api_request *req);
int api_list_notes(struct api_request *req);
int api_delete_note(struct api_request *req);
int api_create_occurrence(struct api_request *req);
int api_batch_create_occurrences(struct api_request *req);
int api_get_occurrence(struct api_request *req);
int api_list_occurrences(struct api_request *req);
int api_delete_occurrence(struct api_request *req);
int api_healthz(struct api_request *req);
int api_readyz(struct api_request *req);
int api_metrics_handler(struct api_request *req);

#endif /* VOUCH_API_ROUTER_H */
