/*
 * vouchd — IAM methods of Cloud Run services and jobs, v1 and v2:
 * :testIamPermissions, :getIamPolicy, :setIamPolicy (docs/gcloud.md
 * "IAM").
 *
 * vouchd has no authentication yet, so every caller is an anonymous owner:
 * testIamPermissions grants every permission asked, getIamPolicy answers
 * an empty policy, and setIamPolicy checks the policy's shape and answers
 * it without storing it. The authentication issue makes these real; they
 * are all here so that it changes one file.
 *
 * Routes: /v1|v2/projects/{p}/locations/{l}/services|jobs/{id}:METHOD.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "support_apis.h"
#include "vutil_random.h"

/* Most permissions one test may name (Google's limit is 100). */
#define IAM_MAX_PERMISSIONS 100u
/* The etag Google gives a policy that was never set. */
#define IAM_EMPTY_ETAG "ACAB"

static int parse_body(api_request *req, json_t **out)
{
    json_error_t jerr;

    *out = json_loadb(req->body != NULL ? req->body : "", req->body_len,
                      JSON_REJECT_DUPLICATES, &jerr);
    if (*out == NULL || !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        api_respond_error(req, VOUCH_EINVAL, "request body: "
                          "expected a JSON object (%s)", jerr.text);
        return -1;
    }
    return 0;
}

int api_iam_test_permissions(api_request *req)
{
    json_t *body = NULL;
    json_t *granted = NULL;
    size_t i;
    json_t *p;
    int rc;

    if (parse_body(req, &body) < 0) {
        return 0;
    }
    json_t *asked = json_object_get(body, "permissions");
    if (asked != NULL && (!json_is_array(asked) ||
                          json_array_size(asked) > IAM_MAX_PERMISSIONS)) {
        json_decref(body);
        return api_respond_error(req, VOUCH_EINVAL, "permissions: "
                                 "expected an array of at most %u "
                                 "permission names",
                                 IAM_MAX_PERMISSIONS);
    }
    granted = json_array();
    json_array_foreach(asked, i, p) {
        if (!json_is_string(p)) {
            json_decref(body);
            json_decref(granted);
            return api_respond_error(req, VOUCH_EINVAL,
                                     "permissions[%zu]: expected a "
                                     "string such as "
                                     "\"run.services.get\"", i);
        }
        /* No authentication yet: the caller may do everything. */
        json_array_append(granted, p);
    }
    json_t *out = json_object();
    if (json_array_size(granted) > 0) {
        json_object_set(out, "permissions", granted);
    }
    rc = api_respond_json(req, 200, out);
    json_decref(out);
    json_decref(granted);
    json_decref(body);
    return rc;
}

/* The service or job a route names must exist; responds NOT_FOUND. */
static int resource_exists(api_request *req)
{
    bool job = strstr(req->path, "/jobs/") != NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char *text = NULL;
    int rc;

    rc = vsvc_get(req->session, job ? VSVC_JOB : VSVC_SERVICE,
                  (const char *const *)req->params, 3, &text, &err);
    free(text);
    if (rc < 0) {
        api_respond_vouch_error(req, &err, NULL);
        return -1;
    }
    return 0;
}

int api_iam_get_policy(api_request *req)
{
    json_t *policy;
    int rc;

    if (resource_exists(req) < 0) {
        return 0;
    }
    policy = json_pack("{s:i,s:s}", "version", 1, "etag", IAM_EMPTY_ETAG);
    if (policy == NULL) {
        return VOUCH_ENOMEM;
    }
    rc = api_respond_json(req, 200, policy);
    json_decref(policy);
    return rc;
}

/* A Policy's shape: bindings [{role, members [strings]}], etag, version. */
static int check_policy(api_request *req, const json_t *policy)
{
    size_t i;
    json_t *b;

    if (!json_is_object(policy)) {
        return api_respond_error(req, VOUCH_EINVAL, "policy: "
                                 "required, an IAM Policy");
    }
    json_t *bindings = json_object_get(policy, "bindings");
    if (bindings != NULL && !json_is_array(bindings)) {
        return api_respond_error(req, VOUCH_EINVAL, "policy."
                                 "bindings: expected an array");
    }
    json_array_foreach(bindings, i, b) {
        json_t *members = json_object_get(b, "members");
        if (!json_is_string(json_object_get(b, "role")) ||
            (members != NULL && !json_is_array(members))) {
            return api_respond_error(req, VOUCH_EINVAL, "policy."
                                     "bindings[%zu]: expected {role, "
                                     "members: [...]}", i);
        }
        size_t k;
        json_t *m;
        json_array_foreach(members, k, m) {
            if (!json_is_string(m)) {
                return api_respond_error(req, VOUCH_EINVAL,
                                         "policy.bindings[%zu].members[%zu]"
                                         ": expected a string such as "
                                         "\"allUsers\"", i, k);
            }
        }
    }
    return 1;
}

int api_iam_set_policy(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *body = NULL;
    json_t *policy = NULL;
    char etag[VUTIL_ETAG_SIZE];
    int rc;

    if (resource_exists(req) < 0 || parse_body(req, &body) < 0) {
        return 0;
    }
    rc = check_policy(req, json_object_get(body, "policy"));
    if (rc != 1) {
        json_decref(body);
        return rc;
    }
    /* Nothing is enforced yet, so nothing is stored: the answer is the
     * policy as it would be, with a fresh etag. */
    policy = json_deep_copy(json_object_get(body, "policy"));
    if (vutil_new_etag(etag, sizeof(etag), &err) < 0) {
        json_decref(body);
        json_decref(policy);
        return api_respond_vouch_error(req, &err, NULL);
    }
    json_object_set_new(policy, "etag", json_string(etag));
    if (json_object_get(policy, "version") == NULL) {
        json_object_set_new(policy, "version", json_integer(1));
    }
    rc = api_respond_json(req, 200, policy);
    json_decref(policy);
    json_decref(body);
    return rc;
}
