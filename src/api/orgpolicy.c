/*
 * vouchd — Org Policy v2, the one constraint vouch serves at project
 * level: GET/PATCH/DELETE
 * /v2/projects/{p}/policies/run.allowedBinaryAuthorizationPolicies
 * (docs/run.md). PATCH with "spec": {"reset": true}, or DELETE, resets
 * it. An adapter: the platform (src/platform/orgpolicy.c) owns the rules
 * and the admin-activity audit entries.
 */
#include <string.h>

#include "handlers.h"
#include "platform.h"
#include "run.h"
#include "server.h"

int api_get_orgpolicy(api_request *req)
{
    api_platform_call c;
    int rc;

    api_platform_call_begin(req, &c);
    rc = vouch_platform_orgpolicy_get(&c.ctx, req->params[0], &c.out,
                                      &c.err);
    return api_platform_call_finish(req, &c, rc);
}

int api_patch_orgpolicy(api_request *req)
{
    api_platform_call c;
    int rc;

    api_platform_call_begin(req, &c);
    rc = vouch_platform_orgpolicy_set(&c.ctx, req->params[0], api_body(req),
                                      req->body_len, &c.out, &c.err);
    return api_platform_call_finish(req, &c, rc);
}

int api_delete_orgpolicy(api_request *req)
{
    api_platform_call c;
    int rc;

    api_platform_call_begin(req, &c);
    rc = vouch_platform_orgpolicy_delete(&c.ctx, req->params[0], &c.err);
    c.out = rc == 0 ? json_object() : NULL;
    return api_platform_call_finish(req, &c, rc);
}
