/*
 * vouchd — Org Policy v2, the one constraint vouch serves at project
 * level: GET/PATCH/DELETE
 * /v2/projects/{p}/policies/run.allowedBinaryAuthorizationPolicies
 * (docs/run.md). PATCH with "spec": {"reset": true}, or DELETE, resets
 * it. An adapter: the platform (src/platform/orgpolicy.c) owns the rules
 * and the admin-activity audit entries.
 */
#include <string.h>

#include "platform.h"
#include "run.h"
#include "server.h"

int api_get_orgpolicy(api_request *req)
{
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *pol = NULL;
    int rc;

    api_platform_ctx(req, &ctx);
    rc = vouch_platform_orgpolicy_get(&ctx, req->params[0], &pol, &err);
    return api_run_finish(req, rc, pol, &ctx, &err);
}

int api_patch_orgpolicy(api_request *req)
{
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *pol = NULL;
    int rc;

    api_platform_ctx(req, &ctx);
    rc = vouch_platform_orgpolicy_set(&ctx, req->params[0], api_body(req),
                                      req->body_len, &pol, &err);
    return api_run_finish(req, rc, pol, &ctx, &err);
}

int api_delete_orgpolicy(api_request *req)
{
    vouch_platform_ctx ctx;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    api_platform_ctx(req, &ctx);
    rc = vouch_platform_orgpolicy_delete(&ctx, req->params[0], &err);
    return api_run_finish(req, rc, rc == 0 ? json_object() : NULL, &ctx,
                          &err);
}
