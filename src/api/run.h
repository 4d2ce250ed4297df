/*
 * vouchd — what the handlers of the Cloud Run Admin API v2 (run.c), of
 * the Org Policy v2 constraint run.allowedBinaryAuthorizationPolicies
 * (orgpolicy.c, orgpolicy_v2.c) and of the v1 adapter (run_v1*.c) share:
 * the platform context and one platform call per request. The handlers
 * themselves: handlers.h. Route-table lines: docs/run.md "HTTP routes".
 */
#ifndef VOUCH_API_RUN_H
#define VOUCH_API_RUN_H

#include <jansson.h>

#include "platform.h"
#include "vouch/common.h"

struct api_request;

/* A platform context for the request's session, the v2 API shape (the
 * v1 adapter, run_v1*.c, sets ctx->api after it). */
void api_platform_ctx(struct api_request *req, struct vouch_platform_ctx *ctx);

/* Respond 200 with `value` (taken) or the platform error; count the
 * decision the call made. Shared by run.c, orgpolicy.c, orgpolicy_v2.c
 * and run_v1*.c. */
int api_run_finish(struct api_request *req, int rc, json_t *value,
                   struct vouch_platform_ctx *ctx, const vouch_error *err);

/*
 * One call of the platform for a request, as the v2 handlers (run.c,
 * orgpolicy.c, orgpolicy_v2.c) make it: the context begin() sets up, the
 * call's error and the JSON it answers with (`out`, taken by finish()).
 */
typedef struct api_platform_call {
    vouch_platform_ctx ctx;
    vouch_error err;
    json_t *out;
} api_platform_call;

void api_platform_call_begin(struct api_request *req, api_platform_call *c);

/* api_run_finish() with the call's `out`, context and error; `rc` is what
 * the platform function returned. */
int api_platform_call_finish(struct api_request *req, api_platform_call *c,
                             int rc);

#endif /* VOUCH_API_RUN_H */
