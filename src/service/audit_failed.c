/*
 * vouch service — audit log entries for a check that could not be made:
 * a deploy or an execution refused because an image could not be
 * resolved to a digest (the registry unreachable, too slow, or answering
 * 5xx/429 past the retries) or the policy could not be read. There is no
 * decision to log, only the failure; the entry has the shape of a deny
 * (docs/audit.md, "Failed checks") so the filters that find refused
 * deploys find these too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"
#include "vutil_str.h"

/* The v1 spelling of CONTAINER_IMAGE_AUTHORIZATION_CHECK_FAILED. */
#define REASON_CHECK_FAILED "ContainerImageAuthorizationCheckFailed"

int vouch_audit_run_failed_entry(json_t **out,
                                 const vouch_audit_run_event *ev,
                                 int code, const char *message,
                                 vouch_error *err)
{
    json_t *entry = NULL;

    *out = NULL;
    int rc = vouch__audit_check_run_target(ev, err);
    if (rc < 0) {
        return rc;
    }
    if (message == NULL || message[0] == '\0') {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "message: required");
    }
    if (code >= 0) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "code: a failure's vouch code is required");
    }
    vouch__audit_head head;
    rc = vouch__audit_head_set(&head, ev->timestamp, ev->insert_id,
                               ev->project, VOUCH_AUDIT_LOG_SYSTEM_EVENT, err);
    if (rc < 0) {
        return rc;
    }
    json_t *resource = vouch__audit_run_resource(ev);
    char *resource_name = vouch__audit_run_resource_name(ev);
    vouch__audit_run_object object = vouch__audit_run_object_of(ev);
    if (resource != NULL && resource_name != NULL) {
        entry = json_pack(
            "{s:s,s:s,s:s,s:s,s:O,s:s,s:{s:s},"
            "s:{s:s,s:s,s:s,s:s,s:{s:i,s:s},"
            "s:{s:s,s:s,s:{s:s,s:s,s:{s:s}},"
            "s:{s:[{s:s,s:s,s:s,s:s}]}}}}",
            "insertId", head.id, "timestamp", head.ts,
            "receiveTimestamp", head.ts, "logName", head.log_name,
            "resource", resource,
            "severity", "ERROR",
            "labels", LABEL_DECISION,
            VOUCH_AUDIT_CHECK_FAILED,
            "protoPayload",
            "@type", AUDIT_TYPE, "serviceName", VOUCH_AUDIT_SERVICE_RUN,
            "methodName", ev->method_name, "resourceName", resource_name,
            "status", "code", (int)vutil_code_grpc(code),
            "message", message,
            "response",
            "apiVersion", object.api_version, "kind", object.kind,
            "metadata", "name", object.name,
            "namespace", ev->project,
            "annotations", "run.googleapis.com/binary-authorization",
            "default",
            "status", "conditions", "type", "Ready", "status", "False",
            "reason", REASON_CHECK_FAILED, "message", message);
    }
    json_decref(resource);
    free(resource_name);
    if (entry == NULL) {
        return vouch__audit_build_failed(err);
    }
    *out = entry;
    return 0;
}
