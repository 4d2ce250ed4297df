/*
 * vouch service — the entry of a continuous-validation finding (audit.h,
 * vouch_audit_cv_entry; docs/audit.md): a serving revision or a job
 * template that no longer conforms to the current policy. GKE writes its
 * findings as ContinuousValidationEvent jsonPayloads (podEvent); vouch's
 * are about Cloud Run resources, in a runEvent of the same form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

/* Not the decision label of enforcement entries: a finding is not a
 * deploy that was denied, and filters on denials must not list it. */
#define LABEL_CV "binaryauthorization.googleapis.com/continuous-validation"

#define CV_TYPE \
    "type.googleapis.com/google.cloud.binaryauthorization.v1beta1." \
    "ContinuousValidationEvent"

static int check_cv_event(const vouch_audit_cv_event *ev, vouch_error *err)
{
    if (ev == NULL || ev->description == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "description: required");
    }
    if (!vouch__audit_id(ev->project, VOUCH_AUDIT_PROJECT_MAX, true) ||
        !vouch__audit_id(ev->location, VOUCH_AUDIT_PROJECT_MAX, true)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "project and location: required, 1 to %u "
                               "characters of A-Z a-z 0-9 . _ ~ -",
                               VOUCH_AUDIT_PROJECT_MAX);
    }
    if ((ev->job == NULL) == (ev->service == NULL || ev->revision == NULL)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "a finding is about a job, or a service's "
                               "revision");
    }
    return 0;
}

/* The images of the decision: {image, containerName, result,
 * description}. */
static json_t *cv_images(const vouch_audit_cv_event *ev)
{
    json_t *images = json_array();

    for (size_t i = 0; images != NULL && ev->decision != NULL &&
                       i < vouch_decision_image_count(ev->decision);
         i++) {
        json_t *img = json_pack(
            "{s:s,s:s,s:s,s:s}", "image",
            vouch_decision_image(ev->decision, i), "containerName",
            ev->containers != NULL && ev->containers[i] != NULL
                ? ev->containers[i]
                : "",
            "result",
            vouch_decision_verdict(ev->decision, i) == VOUCH_VERDICT_DENIED
                ? "DENY"
                : "ALLOW",
            "description", vouch_decision_reason(ev->decision, i));

        if (img == NULL || json_array_append_new(images, img) < 0) {
            json_decref(images);
            return NULL;
        }
    }
    return images;
}

/* A finding's revision or job as an enforcement event holds it: its
 * resource and name are those of the enforcement entries. */
static vouch_audit_run_event cv_target(const vouch_audit_cv_event *ev)
{
    vouch_audit_run_event t = {
        .project = ev->project,
        .location = ev->location,
        .service = ev->service,
        .revision = ev->revision,
        .job = ev->job,
    };

    return t;
}

int vouch_audit_cv_entry(json_t **out, const vouch_audit_cv_event *ev,
                         vouch_error *err)
{
    json_t *resource = NULL;
    json_t *images = NULL;
    json_t *entry = NULL;
    char *name = NULL;
    vouch__audit_head head;
    char policy[256];
    vouch_audit_run_event target;
    int rc;

    *out = NULL;
    rc = check_cv_event(ev, err);
    if (rc == 0) {
        rc = vouch__audit_head_set(&head, ev->timestamp, ev->insert_id,
                                   ev->project,
                                   VOUCH_AUDIT_LOG_CONTINUOUS_VALIDATION,
                                   err);
    }
    if (rc < 0) {
        return rc;
    }
    snprintf(policy, sizeof(policy), "projects/%s/policy", ev->project);
    target = cv_target(ev);
    name = vouch__audit_run_resource_name(&target);
    resource = vouch__audit_run_resource(&target);
    images = cv_images(ev);
    if (name != NULL && resource != NULL && images != NULL) {
        entry = json_pack(
            "{s:s,s:s,s:s,s:s,s:O,s:s,s:{s:s},"
            "s:{s:s,s:{s:s,s:s,s:s,s:s,s:O}}}",
            "insertId", head.id, "timestamp", head.ts,
            "receiveTimestamp", head.ts, "logName", head.log_name,
            "resource", resource, "severity", "WARNING", "labels", LABEL_CV,
            ev->decision != NULL
                ? vouch_outcome_name(vouch_decision_outcome(ev->decision))
                : "CHECK_FAILED",
            "jsonPayload", "@type", CV_TYPE, "runEvent", "resource", name,
            "policyName", policy, "verdict", "VIOLATES_POLICY",
            "description", ev->description, "images", images);
    }
    if (entry == NULL) {
        rc = vouch__audit_build_failed(err);
    } else {
        *out = entry;
    }
    json_decref(resource);
    json_decref(images);
    free(name);
    return rc;
}
