/*
 * vouchd — Org Policy v2 collections of a project, as `gcloud
 * org-policies set-policy` uses them: GET /v2/projects/{p}/constraints
 * (the one constraint served, run.allowedBinaryAuthorizationPolicies),
 * GET /v2/projects/{p}/policies (its policy, when set) and POST
 * /v2/projects/{p}/policies (create it; ALREADY_EXISTS when set). The
 * policy itself is the platform's (orgpolicy.c, src/platform/orgpolicy.c).
 */
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "platform.h"
#include "run.h"
#include "server.h"

int api_list_constraints(api_request *req)
{
    json_t *out;

    out = json_pack(
        "{s:[{s:s+++,s:s,s:s,s:s,s:{s:b,s:b}}]}", "constraints", "name",
        "projects/", req->params[0], "/constraints/",
        VOUCH_PLATFORM_CONSTRAINT, "displayName",
        "Allowed Binary Authorization Policies (Cloud Run)", "description",
        "The Binary Authorization policies a Cloud Run service or job may "
        "name in its run.googleapis.com/binary-authorization annotation "
        "(the value 'default': the project's policy).",
        "constraintDefault", "ALLOW", "listConstraint", "supportsIn", 0,
        "supportsUnder", 0);
    return api_respond_built(req, out);
}

int api_list_orgpolicies(api_request *req)
{
    api_platform_call c;
    json_t *out;
    int rc;

    api_platform_call_begin(req, &c);
    rc = vouch_platform_orgpolicy_get(&c.ctx, req->params[0], &c.out,
                                      &c.err);
    if (rc < 0 && rc != VOUCH_ENOTFOUND) {
        return api_respond_vouch_error(req, &c.err, NULL);
    }
    out = c.out != NULL ? json_pack("{s:[o]}", "policies", c.out)
                        : json_object();
    return api_respond_built(req, out);
}

int api_create_orgpolicy(api_request *req)
{
    api_platform_call c;
    json_error_t jerr;
    json_t *body = NULL;
    char name[300];
    int rc;

    api_platform_call_begin(req, &c);
    snprintf(name, sizeof(name), "projects/%s/policies/"
             VOUCH_PLATFORM_CONSTRAINT, req->params[0]);
    body = json_loadb(api_body(req), req->body_len, 0, &jerr);
    if (body == NULL) {
        return api_respond_error(req, VOUCH_EINVAL, "request "
                                 "body:%d:%d: %s", jerr.line, jerr.column,
                                 jerr.text);
    }
    const char *given = json_string_value(json_object_get(body, "name"));
    if (given == NULL || strcmp(given, name) != 0) {
        json_decref(body);
        return api_respond_error(req, VOUCH_EINVAL, "name: '%.200s' "
                                 "is not served; the one policy of this "
                                 "project is %s",
                                 given != NULL ? given : "", name);
    }
    json_decref(body);
    rc = vouch_platform_orgpolicy_create(&c.ctx, req->params[0],
                                         api_body(req), req->body_len,
                                         &c.out, &c.err);
    return api_platform_call_finish(req, &c, rc);
}
