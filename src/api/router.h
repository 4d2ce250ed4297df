/*
 * vouchd — the route table and the matcher: method + path against
 * templates such as "/v1/projects/{p}/attestors/{a}", with Google's custom
 * verbs ("{a}:validateAttestationOccurrence", "occurrences:batchCreate").
 */
#ifndef VOUCH_API_ROUTER_H
#define VOUCH_API_ROUTER_H

#include <stddef.h>

#include "vouch/common.h"

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
#define API_ROUTE_PUBLIC 2u   /* no authentication, no permission: /healthz
                                 and /readyz */
#define API_ROUTE_ANY_CALLER 4u  /* authenticated (or anonymous), no
                                    permission: testIamPermissions and
                                    whoami, as at Google */

/*
 * What a route's permission is checked on: the resource whose IAM policy
 * (with its project's) grants it, and that a 403 names.
 */
typedef enum api_resource {
    API_RES_NONE = 0,        /* no check (PUBLIC, ANY_CALLER w/o one) */
    API_RES_PROJECT,         /* projects/{p} (params[0]) */
    API_RES_POLICY,          /* projects/{p}/policy */
    API_RES_ATTESTOR,        /* projects/{p}/attestors/{a} */
    API_RES_NOTE,            /* projects/{p}/notes/{n} */
    API_RES_SERVICE,         /* projects/{p}/locations/{l}/services/{s} */
    API_RES_JOB,             /* projects/{p}/locations/{l}/jobs/{j} */
    API_RES_V1_SERVICE,      /* Knative namespaces/{p}/services/{s}: the
                                location comes from the Host */
    API_RES_V1_JOB,          /* Knative namespaces/{p}/jobs/{j} */
    API_RES_ANY_PROJECT,     /* held on some project (or by an owner):
                                /metrics, the system policy, the list of
                                projects */
    API_RES_BODY             /* the handler checks, on the projects its
                                body names (entries:list) */
} api_resource;

typedef struct api_route {
    api_method method;
    const char *template;   /* also the metrics label */
    api_handler handler;
    unsigned flags;
    const char *permission; /* "binaryauthorization.policy.update"; NULL
                               only with PUBLIC or ANY_CALLER */
    api_resource resource;
} api_route;

/* The route table (routes.c), in match order. */
extern const api_route api_routes[];
extern const size_t api_route_count;

/*
 * Refuse a table where a route declares no permission (unless PUBLIC or
 * ANY_CALLER), or one vouchd does not know (iam.h), or a permission
 * without a resource. vouchd calls it before it serves anything.
 * @return 0; VOUCH_EINVAL naming the route.
 */
int api_router_check(vouch_error *err);

/* The same check of any table (`count` routes), for tests. */
int api_router_check_table(const api_route *routes, size_t count,
                           vouch_error *err);

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

#endif /* VOUCH_API_ROUTER_H */
