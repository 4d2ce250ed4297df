/*
 * The AdmissionReview response (docs/kubernetes.md, "The response"): the
 * request's apiVersion and uid, allowed, a 403 status with the deny
 * message, warnings, and the decision in auditAnnotations (kube-apiserver
 * prefixes each key with the webhook's name in its audit log).
 */
#include <stdlib.h>
#include <string.h>

#include "vk8s_internal.h"

static int set_new(json_t *obj, const char *key, json_t *value)
{
    return value == NULL || json_object_set_new(obj, key, value) != 0
               ? VOUCH_ENOMEM
               : 0;
}

static int add_annotations(json_t *response, const vk8s_verdict *v)
{
    json_t *ann = json_object();
    int rc;

    if (ann == NULL) {
        return VOUCH_ENOMEM;
    }
    rc = set_new(ann, "decision", json_string(v->outcome));
    if (rc == 0 && v->rule != NULL && v->rule[0] != '\0') {
        rc = set_new(ann, "rule", json_string(v->rule));
    }
    if (rc == 0 && v->skip != NULL) {
        rc = set_new(ann, "not-evaluated", json_string(v->skip));
    }
    if (rc < 0) {
        json_decref(ann);
        return rc;
    }
    return set_new(response, "auditAnnotations", ann);
}

static int add_status(json_t *response, const vk8s_verdict *v)
{
    /* A metav1.Status: kube-apiserver shows `reason` in kubectl's
     * "Error from server (VIOLATES_POLICY)" and the message after
     * "admission webhook ... denied the request: ". */
    return set_new(response, "status",
                   json_pack("{s:s,s:s,s:s,s:i}", "status", "Failure",
                             "reason", "VIOLATES_POLICY", "message",
                             v->message != NULL
                                 ? v->message
                                 : "image policy webhook backend denied "
                                   "one or more images",
                             "code", 403));
}

static int add_warnings(json_t *response, const vk8s_verdict *v)
{
    json_t *list;

    if (v->warning_count == 0) {
        return 0;
    }
    list = json_array();
    if (list == NULL) {
        return VOUCH_ENOMEM;
    }
    for (size_t i = 0; i < v->warning_count; i++) {
        if (json_array_append_new(list, json_string(v->warnings[i])) != 0) {
            json_decref(list);
            return VOUCH_ENOMEM;
        }
    }
    return set_new(response, "warnings", list);
}

int vk8s_response_build(char **out, size_t *out_len, const vk8s_review *r,
                        const vk8s_verdict *v, vouch_error *err)
{
    json_t *root = NULL;
    json_t *response = json_pack("{s:s,s:b}", "uid", r->uid, "allowed",
                                 v->allowed ? 1 : 0);
    int rc = response == NULL ? VOUCH_ENOMEM : 0;

    *out = NULL;
    if (rc == 0 && !v->allowed) {
        rc = add_status(response, v);
    }
    if (rc == 0) {
        rc = add_warnings(response, v);
    }
    if (rc == 0) {
        rc = add_annotations(response, v);
    }
    if (rc == 0) {
        root = json_pack("{s:s,s:s,s:O}", "apiVersion", r->api_version,
                         "kind", "AdmissionReview", "response", response);
        *out = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
        rc = *out == NULL ? VOUCH_ENOMEM : 0;
    }
    json_decref(root);
    json_decref(response);
    if (rc < 0) {
        return vk8s__error(err, rc, "out of memory");
    }
    if (out_len != NULL) {
        *out_len = strlen(*out);
    }
    return 0;
}
