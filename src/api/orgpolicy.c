/*
 * vouchd — Org Policy v2, the one constraint vouch serves at project
 * level: GET/PATCH/DELETE
 * /v2/projects/{p}/policies/run.allowedBinaryAuthorizationPolicies
 * (spec/binauthz.md §5.3). PATCH with "spec": {"reset": true}, or DELETE,
 * resets it. Changes write admin-activity audit entries.
 */
#include <string.h>

#include "platform.h"
#include "run.h"
#include "server.h"

int api_get_orgpolicy(api_request *req)
{
    vouch_platform_ctx ctx = { req->server->platform, req->conn, NULL,
                               NULL, NULL, VOUCH_PLATFORM_API_V2 };
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *pol = NULL;
    int rc;

    rc = vouch_platform_orgpolicy_get(&ctx, req->params[0], &pol, &err);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, NULL);
    }
    rc = api_respond_json(req, 200, pol);
    json_decref(pol);
    return rc;
}

int api_patch_orgpolicy(api_request *req)
{
    vouch_audit_queue queue = VOUCH_AUDIT_QUEUE_INIT;
    vouch_platform_ctx ctx = { req->server->platform, req->conn, &queue,
                               NULL, NULL, VOUCH_PLATFORM_API_V2 };
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *pol = NULL;
    int rc;

    rc = vouch_platform_orgpolicy_set(&ctx, req->params[0],
                                      req->body != NULL ? req->body : "",
                                      req->body_len, &pol, &err);
    return api_run_finish(req, rc, pol, &ctx, &err);
}

int api_delete_orgpolicy(api_request *req)
{
    vouch_audit_queue queue = VOUCH_AUDIT_QUEUE_INIT;
    vouch_platform_ctx ctx = { req->server->platform, req->conn, &queue,
                               NULL, NULL, VOUCH_PLATFORM_API_V2 };
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    rc = vouch_platform_orgpolicy_delete(&ctx, req->params[0], &err);
    return api_run_finish(req, rc, rc == 0 ? json_object() : NULL, &ctx,
                          &err);
}
