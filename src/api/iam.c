/*
 * vouchd — the IAM methods, at Google's paths and verbs (routes.c;
 * docs/security.md "IAM"): getIamPolicy, setIamPolicy and
 * testIamPermissions of projects (Resource Manager v1), Binary
 * Authorization policies and attestors (v1, and v1alpha2 where gcloud
 * sends them), Container Analysis notes (v1), and Cloud Run services and
 * jobs (v1 and v2). The route names the resource; the permission check
 * (getIamPolicy, setIamPolicy) ran before the handler; the service layer
 * stores the policy (vsvc_iam.c).
 */
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "handlers.h"
#include "server.h"

static vsvc_iam_target target_of(const api_route *r)
{
    switch (r->resource) {
    case API_RES_POLICY:
        return VSVC_IAM_POLICY;
    case API_RES_ATTESTOR:
        return VSVC_IAM_ATTESTOR;
    case API_RES_NOTE:
        return VSVC_IAM_NOTE;
    case API_RES_SERVICE:
    case API_RES_V1_SERVICE:
        return VSVC_IAM_SERVICE;
    case API_RES_JOB:
    case API_RES_V1_JOB:
        return VSVC_IAM_JOB;
    default:
        return VSVC_IAM_PROJECT;
    }
}

/* Respond with `policy`, or with `err` when `rc` is negative; frees
 * `policy`. The end of getIamPolicy and setIamPolicy. */
static int respond_policy(api_request *req, int rc, vouch_iam_policy *policy,
                          const vouch_error *err)
{
    json_t *json = NULL;

    if (rc < 0) {
        rc = api_respond_vouch_error(req, err, NULL);
    } else {
        json = vouch_iam_policy_to_json(policy);
        rc = json != NULL ? api_respond_json(req, 200, json)
                          : api_respond_error(req, VOUCH_ENOMEM,
                                              "out of memory");
    }
    json_decref(json);
    vouch_iam_policy_free(policy);
    return rc;
}

int api_iam_get_policy(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_iam_policy *policy = NULL;
    char name[API_AUTHZ_RESOURCE_MAX];
    int rc;

    /* options.requestedPolicyVersion (query or body) may ask for 1 or 3:
     * vouch's policies have no conditions, so version 1 answers both. */
    api_route_resource_name(req, name, sizeof(name));
    rc = vsvc_iam_target_exists(req->session, target_of(req->route), name,
                                &err);
    if (rc == 0) {
        rc = vsvc_iam_get(req->session, name, &policy, &err);
    }
    return respond_policy(req, rc, policy, &err);
}

int api_iam_set_policy(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_iam_set_request set;
    vouch_iam_policy *policy = NULL;
    char name[API_AUTHZ_RESOURCE_MAX];
    int rc;

    memset(&set, 0, sizeof(set));
    api_route_resource_name(req, name, sizeof(name));
    rc = vouch_iam_set_request_parse(&set, api_body(req), req->body_len,
                                     "request body", &err);
    if (rc == 0) {
        rc = vsvc_iam_set(req->session, target_of(req->route), name, &set,
                          &policy, &err);
    }
    vouch_iam_set_request_clear(&set);
    return respond_policy(req, rc, policy, &err);
}

/* A policy that grants every predefined role to everyone: what a caller
 * holds when vouchd runs without an auth config (an anonymous owner of
 * everything). */
static int everything(vouch_iam_policy **out, vouch_error *err)
{
    json_t *bindings = json_array();
    json_t *doc = NULL;
    char *text = NULL;
    int rc = VOUCH_ENOMEM;

    *out = NULL;
    for (size_t i = 0; bindings != NULL && i < vouch_iam_role_count(); i++) {
        json_array_append_new(bindings,
                              json_pack("{s:s,s:[s]}", "role",
                                        vouch_iam_role_name(i), "members",
                                        "allUsers"));
    }
    doc = bindings != NULL ? json_pack("{s:O}", "bindings", bindings)
                           : NULL;
    text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    if (text != NULL) {
        rc = vouch_iam_policy_parse(out, text, strlen(text), NULL, err);
    } else {
        vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    free(text);
    json_decref(doc);
    json_decref(bindings);
    return rc;
}

int api_iam_test_permissions(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_iam_caller caller;
    vouch_iam_policy *own = NULL;
    vouch_iam_policy *project = NULL;
    json_t *answer = NULL;
    char name[API_AUTHZ_RESOURCE_MAX];
    bool all = false;
    int rc;

    /* Needs no permission, as at Google; and says nothing about whether
     * the resource exists. */
    api_route_resource_name(req, name, sizeof(name));
    api_authz_caller(req, &caller, &all);
    rc = all ? everything(&project, &err)
             : vsvc_iam_grants(req->session, name, &own, &project, &err);
    if (rc == 0) {
        rc = vouch_iam_test_permissions_json(&caller, own, project,
                                             api_body(req), req->body_len,
                                             &answer, &err);
    }
    rc = rc < 0 ? api_respond_vouch_error(req, &err, NULL)
                : api_respond_json(req, 200, answer);
    json_decref(answer);
    vouch_iam_policy_free(own);
    vouch_iam_policy_free(project);
    return rc;
}
