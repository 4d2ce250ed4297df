/*
 * vouch service — the audit entry of a Kubernetes admission event
 * (audit.h, vouch_audit_k8s_entry; docs/kubernetes.md, "Audit entries"):
 * GKE's shape, a k8s_cluster resource and the object's API path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

/* The longest method and resource name kept. */
#define K8S_NAME_MAX 1024u

static int check_k8s_event(const vouch_audit_k8s_event *ev, vouch_error *err)
{
    if (ev == NULL || ev->decision == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "decision: required");
    }
    if (!vouch__audit_id(ev->project, VOUCH_AUDIT_PROJECT_MAX, true) ||
        !vouch__audit_id(ev->location, VOUCH_AUDIT_PROJECT_MAX, true) ||
        !vouch__audit_id(ev->cluster, VOUCH_AUDIT_PROJECT_MAX, true)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "project, location and cluster: required, "
                               "1 to %u characters of A-Z a-z 0-9 . _ ~ -",
                               VOUCH_AUDIT_PROJECT_MAX);
    }
    if (ev->method_name == NULL || ev->method_name[0] == '\0' ||
        strlen(ev->method_name) > K8S_NAME_MAX ||
        ev->resource_name == NULL || ev->resource_name[0] == '\0' ||
        strlen(ev->resource_name) > K8S_NAME_MAX) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "methodName and resourceName: required, at "
                               "most %u bytes", K8S_NAME_MAX);
    }
    if (vouch_decision_outcome(ev->decision) == VOUCH_OUTCOME_ALLOW) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "decision: ALLOW needs no audit entry");
    }
    return 0;
}

static int add_labels(json_t *labels, vouch_outcome outcome)
{
    if (outcome == VOUCH_OUTCOME_ALLOW_DRYRUN &&
        json_object_set_new(labels, LABEL_DRY_RUN, json_string("true")) < 0) {
        return -1;
    }
    if (outcome == VOUCH_OUTCOME_ALLOW_BREAKGLASS &&
        json_object_set_new(labels, LABEL_BREAK_GLASS,
                            json_string("true")) < 0) {
        return -1;
    }
    return 0;
}

/* The API server's answer: a Failure Status on a deny, Success else. */
static json_t *k8s_response(bool deny, const char *message)
{
    if (!deny) {
        return json_pack("{s:s,s:s,s:s}", "apiVersion", "meta.k8s.io/v1",
                         "kind", "Status", "status", "Success");
    }
    return json_pack("{s:s,s:s,s:s,s:s,s:i,s:s}", "apiVersion",
                     "meta.k8s.io/v1", "kind", "Status", "status",
                     "Failure", "reason", "VIOLATES_POLICY", "code", 403,
                     "message", message);
}

int vouch_audit_k8s_entry(json_t **out, const vouch_audit_k8s_event *ev,
                          vouch_error *err)
{
    json_t *labels = NULL;
    json_t *decision = NULL;
    json_t *response = NULL;
    json_t *auth = NULL;
    json_t *metadata = NULL;
    char *decision_text = NULL;
    vouch__audit_head head;
    int rc;

    *out = NULL;
    rc = check_k8s_event(ev, err);
    if (rc == 0) {
        rc = vouch__audit_head_set(&head, ev->timestamp, ev->insert_id,
                                   ev->project, VOUCH_AUDIT_LOG_ACTIVITY,
                                   err);
    }
    if (rc == 0) {
        rc = vouch_decision_to_json(ev->decision, 0, &decision_text, err);
    }
    if (rc < 0) {
        return rc;
    }
    vouch_outcome outcome = vouch_decision_outcome(ev->decision);
    bool deny = outcome == VOUCH_OUTCOME_DENY;
    const char *message = ev->message != NULL ? ev->message
                                  : vouch_decision_message(ev->decision);
    decision = json_loads(decision_text, 0, NULL);
    labels = json_pack("{s:s}", LABEL_DECISION, vouch_outcome_name(outcome));
    response = k8s_response(deny, message);
    auth = ev->principal != NULL && ev->principal[0] != '\0'
               ? json_pack("{s:s}", "principalEmail", ev->principal)
               : json_object();
    metadata = decision != NULL ? json_pack("{s:O}", "decision", decision)
                                : NULL;
    if (metadata == NULL || labels == NULL || response == NULL ||
        auth == NULL || add_labels(labels, outcome) < 0 ||
        (ev->uid != NULL &&
         json_object_set_new(metadata, "admissionReviewUid",
                             json_string(ev->uid)) < 0)) {
        rc = vouch__audit_build_failed(err);
        goto cleanup;
    }
    json_t *entry = json_pack(
        "{s:s,s:s,s:s,s:s,s:{s:s,s:{s:s,s:s,s:s}},s:s,s:O,"
        "s:{s:s,s:s,s:s,s:s,s:O,s:{s:i,s:s},s:O,s:O}}",
        "insertId", head.id, "timestamp", head.ts,
        "receiveTimestamp", head.ts, "logName", head.log_name,
        "resource", "type", "k8s_cluster", "labels",
        "project_id", ev->project, "location", ev->location,
        "cluster_name", ev->cluster,
        "severity", deny ? "ERROR" : "WARNING", "labels", labels,
        "protoPayload",
        "@type", AUDIT_TYPE, "serviceName", "k8s.io",
        "methodName", ev->method_name, "resourceName", ev->resource_name,
        "authenticationInfo", auth,
        "status", "code", deny ? 7 : 0, "message", message,
        "response", response, "metadata", metadata);
    if (entry == NULL) {
        rc = vouch__audit_build_failed(err);
        goto cleanup;
    }
    *out = entry;

cleanup:
    json_decref(labels);
    json_decref(decision);
    json_decref(response);
    json_decref(auth);
    json_decref(metadata);
    vouch_free(decision_text);
    return rc;
}
