/*
 * vouchd — who is calling and what they may do (docs/security.md
 * "Identity", "IAM"): the bearer token of every request is authenticated
 * (api_authn_begin, before the body is read), the caller is rate-limited,
 * and the permission its route declares (routes.c) is checked before the
 * handler touches any data (api_authz_route). Handlers whose resources
 * come from the body check them with api_authorize().
 *
 * Without an auth config (api_config.auth_slot NULL) nothing is checked:
 * every caller is an anonymous owner, as `make run` starts vouchd on
 * loopback.
 *
 * Refusals are Google's: 401 UNAUTHENTICATED with WWW-Authenticate: Bearer
 * (no token where one is needed, or one vouchd does not accept: the reason
 * goes to the server log, never the token); 403 PERMISSION_DENIED
 * "Permission 'P' denied on resource 'R' (or it may not exist)." whether
 * or not R exists; 429 RESOURCE_EXHAUSTED with Retry-After past
 * --rate-limit.
 *
 * Thread safety: every function works on one request (its thread).
 */
#ifndef VOUCH_API_AUTHZ_H
#define VOUCH_API_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>

#include "iam.h"

struct api_request;

/* Longest resource name a check names. */
#define API_AUTHZ_RESOURCE_MAX 700u

/*
 * The first access-handler call, after the request guard: authenticate
 * the Authorization header (not for /healthz, /readyz and the console's
 * static files) and take a token from the caller's rate-limit bucket.
 * Returns 1 when the request is answered (401, 429, 500), else 0.
 */
int api_authn_begin(struct api_request *req);

/*
 * Before the handler: the route's permission on its resource. Opens the
 * request's service session when the check needs one (and gives every
 * session the caller, for its audit entries). Returns 1 when answered
 * (401, 403, or a store failure: fail closed), else 0.
 */
int api_authz_route(struct api_request *req);

/*
 * Check `permission` on `resource` (a full name, "projects/p/notes/n") for
 * a handler, before it reads or writes data. Returns 0 when held; 1 when
 * the refusal has been answered. Marks the request as checked (a
 * BODY route that answers 2xx without one is a bug: answered 500).
 */
int api_authorize(struct api_request *req, const char *permission,
                  const char *resource);

/* Does the caller hold `permission` on `resource`? No answer is set; a
 * store failure counts as "no" (fail closed). For filtering lists. */
bool api_authz_holds(struct api_request *req, const char *permission,
                     const char *resource);

/* The caller for IAM decisions (testIamPermissions); `owner_all` is set
 * when every permission is held (no auth config). */
void api_authz_caller(const struct api_request *req, vouch_iam_caller *out,
                      bool *owner_all);

/* The resource name a route's check uses, into `buf`; "" for NONE, ANY
 * and BODY routes. */
void api_route_resource_name(struct api_request *req, char *buf,
                             size_t size);

/* The caller as the access log and messages name it: the principal, or
 * NULL for an anonymous one. Borrowed. */
const char *api_caller_name(const struct api_request *req);

/* Open the request's service session if it has none, with the caller set
 * on it. 0, or 1 when a failure has been answered. */
int api_session_open(struct api_request *req);

/* Drop what authentication left on the request (request_free). */
void api_authn_free(struct api_request *req);

#endif /* VOUCH_API_AUTHZ_H */
