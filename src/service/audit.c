/*
 * vouch service — audit log entries, part one: building them
 * (enforcement and admin activity). audit_list.c stores and lists them,
 * audit_sink.c writes them to the file sink. docs/audit.md describes the
 * entries and the choices made here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"
#include "vutil_random.h"
#include "vutil_str.h"
#include "vutil_time.h"


/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

/* Exactly "YYYY-MM-DDTHH:MM:SS.uuuuuuZ", a valid instant. */
bool vouch__audit_time_ok(const char *s)
{
    long long sec;
    long nsec;
    size_t len;

    if (s == NULL) {
        return false;
    }
    len = strnlen(s, TS_LEN + 1);
    return len == TS_LEN && s[10] == 'T' && s[19] == '.' &&
           s[26] == 'Z' && vutil_rfc3339_parse(s, len, &sec, &nsec);
}

static bool id_char(char c, bool tilde)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           (tilde && c == '~');
}

/* 1..max characters of [A-Za-z0-9._-] (and '~' when `tilde`). */
bool vouch__audit_id_slice(const char *s, size_t len, size_t max,
                           bool tilde)
{
    size_t i;

    if (s == NULL || len == 0 || len > max) {
        return false;
    }
    for (i = 0; i < len; i++) {
        if (!id_char(s[i], tilde)) {
            return false;
        }
    }
    return true;
}

bool vouch__audit_id(const char *s, size_t max, bool tilde)
{
    return s != NULL &&
           vouch__audit_id_slice(s, strnlen(s, max + 1), max, tilde);
}

int vouch__audit_head_set(vouch__audit_head *h, const char *timestamp,
                          const char *insert_id, const char *project,
                          const char *log, vouch_error *err)
{
    if (timestamp != NULL) {
        if (!vouch__audit_time_ok(timestamp)) {
            return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                                   "timestamp: expected RFC 3339 UTC with "
                                   "microseconds "
                                   "(2026-11-29T12:00:00.000000Z)");
        }
        memcpy(h->ts, timestamp, TS_LEN + 1);
    } else {
        vutil_now_rfc3339(h->ts, TS_LEN + 1);
    }
    if (insert_id != NULL) {
        if (!vouch__audit_id(insert_id, VOUCH_AUDIT_INSERT_ID_MAX, false)) {
            return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                                   "insertId: expected 1 to %u characters "
                                   "of A-Z a-z 0-9 . _ -",
                                   VOUCH_AUDIT_INSERT_ID_MAX);
        }
        memcpy(h->id, insert_id, strlen(insert_id) + 1);
    } else if (vutil_random_hex(h->id, 10, err) < 0) {
        vutil_error_prefix(err, "insertId");
        return VOUCH_EIO;
    }
    snprintf(h->log_name, sizeof(h->log_name), "projects/%s/logs/%s",
             project, log);
    return 0;
}

int vouch__audit_build_failed(vouch_error *err)
{
    return vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                           "cannot build the log entry: out of memory, or "
                           "a field is not valid UTF-8");
}

/* A project or location that is not 1 to 128 id characters. */
static int bad_segment(vouch_error *err, const char *field)
{
    return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                           "%s: required, 1 to %u characters of "
                           "A-Z a-z 0-9 . _ ~ -",
                           field, VOUCH_AUDIT_PROJECT_MAX);
}

static int missing(vouch_error *err, const char *field)
{
    return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                           "%s: required", field);
}

/* ------------------------------------------------------------------ */
/* Enforcement entries                                                */

bool vouch_audit_run_wanted(const vouch_decision *decision,
                            const char *breakglass)
{
    if (decision == NULL) {
        return false;
    }
    return vouch_decision_outcome(decision) != VOUCH_OUTCOME_ALLOW ||
           (breakglass != NULL && breakglass[0] != '\0');
}

int vouch__audit_check_run_target(const vouch_audit_run_event *ev,
                                  vouch_error *err)
{
    if (ev == NULL) {
        return missing(err, "event");
    }
    if (!vouch__audit_id(ev->project, VOUCH_AUDIT_PROJECT_MAX, true)) {
        return bad_segment(err, "project");
    }
    if (!vouch__audit_id(ev->location, VOUCH_AUDIT_PROJECT_MAX, true)) {
        return bad_segment(err, "location");
    }
    if (ev->method_name == NULL || ev->method_name[0] == '\0') {
        return missing(err, "methodName");
    }
    if (ev->job != NULL) {
        if (ev->service != NULL || ev->revision != NULL) {
            return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                                   "an event is about a job or a "
                                   "revision, not both");
        }
        if (ev->job[0] == '\0') {
            return missing(err, "job");
        }
    } else if (ev->service == NULL || ev->service[0] == '\0') {
        return missing(err, "service (or job)");
    } else if (ev->revision == NULL || ev->revision[0] == '\0') {
        return missing(err, "revision");
    }
    return 0;
}

static int check_run_event(const vouch_audit_run_event *ev,
                           vouch_error *err)
{
    int rc = vouch__audit_check_run_target(ev, err);

    if (rc < 0) {
        return rc;
    }
    if (ev->decision == NULL) {
        return missing(err, "decision");
    }
    if (!vouch_audit_run_wanted(ev->decision, ev->breakglass)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "decision: ALLOW without breakglass needs "
                               "no audit entry");
    }
    if (vouch_decision_outcome(ev->decision) ==
            VOUCH_OUTCOME_ALLOW_BREAKGLASS &&
        (ev->breakglass == NULL || ev->breakglass[0] == '\0')) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "breakglass: the justification of an "
                               "ALLOW_BREAKGLASS decision is required");
    }
    return 0;
}

/* The condition message, written for the person who reads the log. */
static char *run_message(const vouch_audit_run_event *ev,
                         vouch_outcome outcome, bool breakglass)
{
    const char *dmsg = vouch_decision_message(ev->decision);
    char *subject;
    char *msg;
    const char *verb = ev->job != NULL ? "executed" : "deployed";

    if (ev->job == NULL) {
        subject = vutil_aprintf("Revision '%s'", ev->revision);
    } else if (ev->execution != NULL) {
        subject = vutil_aprintf("Execution '%s' of job '%s'", ev->execution,
                          ev->job);
    } else {
        subject = vutil_aprintf("Job '%s'", ev->job);
    }
    if (subject == NULL) {
        return NULL;
    }
    if (dmsg == NULL) {
        dmsg = "";
    }
    if (outcome == VOUCH_OUTCOME_DENY) {
        msg = vutil_aprintf("%s uses an unauthorized container image. %s",
                      subject, dmsg);
    } else if (outcome == VOUCH_OUTCOME_ALLOW_DRYRUN) {
        msg = vutil_aprintf("%s would have been denied, and was %s because the "
                      "policy is in dry run (DRYRUN_AUDIT_LOG_ONLY). %s",
                      subject, verb, dmsg);
    } else if (breakglass) {
        msg = vutil_aprintf("%s was %s with breakglass, bypassing Binary "
                      "Authorization (justification: \"%s\"). %s",
                      subject, verb, ev->breakglass, dmsg);
    } else {
        msg = vutil_aprintf("%s: %s", subject, dmsg);
    }
    free(subject);
    return msg;
}

/* The v2 name of the event's revision, execution or job (or the
 * caller's). */
char *vouch__audit_run_resource_name(const vouch_audit_run_event *ev)
{
    if (ev->resource_name != NULL) {
        return vutil_strdup(ev->resource_name);
    }
    if (ev->job == NULL) {
        return vutil_aprintf("projects/%s/locations/%s/services/%s/"
                             "revisions/%s", ev->project, ev->location,
                             ev->service, ev->revision);
    }
    if (ev->execution != NULL) {
        return vutil_aprintf("projects/%s/locations/%s/jobs/%s/"
                             "executions/%s", ev->project, ev->location,
                             ev->job, ev->execution);
    }
    return vutil_aprintf("projects/%s/locations/%s/jobs/%s", ev->project,
                         ev->location, ev->job);
}

vouch__audit_run_object vouch__audit_run_object_of(
    const vouch_audit_run_event *ev)
{
    vouch__audit_run_object o;

    if (ev->job == NULL) {
        o.api_version = "serving.knative.dev/v1";
        o.kind = "Revision";
        o.name = ev->revision;
    } else {
        o.api_version = "run.googleapis.com/v1";
        o.kind = ev->execution != NULL ? "Execution" : "Job";
        o.name = ev->execution != NULL ? ev->execution : ev->job;
    }
    return o;
}

json_t *vouch__audit_run_resource(const vouch_audit_run_event *ev)
{
    if (ev->job == NULL) {
        return json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:s}}",
                         "type", "cloud_run_revision", "labels",
                         "project_id", ev->project,
                         "location", ev->location,
                         "service_name", ev->service,
                         "revision_name", ev->revision,
                         "configuration_name", ev->service);
    }
    return json_pack("{s:s,s:{s:s,s:s,s:s}}",
                     "type", "cloud_run_job", "labels",
                     "project_id", ev->project,
                     "location", ev->location,
                     "job_name", ev->job);
}

int vouch_audit_run_entry(json_t **out, const vouch_audit_run_event *ev,
                          vouch_error *err)
{
    json_t *resource = NULL;
    json_t *labels = NULL;
    json_t *annotations = NULL;
    json_t *condition = NULL;
    json_t *decision = NULL;
    char *decision_text = NULL;
    char *message = NULL;
    char *resource_name = NULL;
    int rc;

    *out = NULL;
    rc = check_run_event(ev, err);
    if (rc < 0) {
        return rc;
    }
    vouch__audit_head head;
    rc = vouch__audit_head_set(&head, ev->timestamp, ev->insert_id,
                               ev->project, VOUCH_AUDIT_LOG_SYSTEM_EVENT, err);
    if (rc < 0) {
        return rc;
    }
    vouch_outcome outcome = vouch_decision_outcome(ev->decision);
    bool deny = outcome == VOUCH_OUTCOME_DENY;
    bool breakglass = ev->breakglass != NULL && ev->breakglass[0] != '\0';

    rc = vouch_decision_to_json(ev->decision, 0, &decision_text, err);
    if (rc < 0) {
        goto cleanup;
    }
    json_error_t jerr;
    decision = json_loads(decision_text, 0, &jerr);
    message = run_message(ev, outcome, breakglass);
    resource_name = vouch__audit_run_resource_name(ev);
    if (decision == NULL || message == NULL || resource_name == NULL) {
        rc = vouch__audit_build_failed(err);
        goto cleanup;
    }

    resource = vouch__audit_run_resource(ev);
    labels = json_pack("{s:s}", LABEL_DECISION, vouch_outcome_name(outcome));
    annotations = json_pack("{s:s}", "run.googleapis.com/binary-authorization",
                            "default");
    condition = json_pack("{s:s,s:s,s:s}", "type", "Ready", "status",
                          deny ? "False" : "True", "message", message);
    if (resource == NULL || labels == NULL || annotations == NULL ||
        condition == NULL) {
        rc = vouch__audit_build_failed(err);
        goto cleanup;
    }
    if ((deny && json_object_set_new(condition, "reason",
                     json_string(VOUCH_AUDIT_REASON_UNAUTHORIZED)) < 0) ||
        (outcome == VOUCH_OUTCOME_ALLOW_DRYRUN &&
         json_object_set_new(labels, LABEL_DRY_RUN, json_string("true")) <
             0) ||
        (breakglass &&
         (json_object_set_new(labels, LABEL_BREAK_GLASS,
                              json_string("true")) < 0 ||
          json_object_set_new(annotations, VOUCH_AUDIT_BREAKGLASS_ANNOTATION,
                              json_string(ev->breakglass)) < 0))) {
        rc = vouch__audit_build_failed(err);
        goto cleanup;
    }

    vouch__audit_run_object object = vouch__audit_run_object_of(ev);
    json_t *entry = json_pack(
        "{s:s,s:s,s:s,s:s,s:O,s:s,s:O,"
        "s:{s:s,s:s,s:s,s:s,s:{s:i,s:s},"
        "s:{s:s,s:s,s:{s:s,s:s,s:O},s:{s:[O]}},"
        "s:{s:O}}}",
        "insertId", head.id, "timestamp", head.ts,
        "receiveTimestamp", head.ts, "logName", head.log_name,
        "resource", resource,
        "severity", deny ? "ERROR" : "WARNING", "labels", labels,
        "protoPayload",
        "@type", AUDIT_TYPE, "serviceName", VOUCH_AUDIT_SERVICE_RUN,
        "methodName", ev->method_name, "resourceName", resource_name,
        "status", "code", deny ? 9 : 0, "message", message,
        "response",
        "apiVersion", object.api_version, "kind", object.kind,
        "metadata", "name", object.name,
        "namespace", ev->project, "annotations", annotations,
        "status", "conditions", condition,
        "metadata", "decision", decision);
    if (entry == NULL) {
        rc = vouch__audit_build_failed(err);
        goto cleanup;
    }
    *out = entry;
    rc = 0;

cleanup:
    json_decref(resource);
    json_decref(labels);
    json_decref(annotations);
    json_decref(condition);
    json_decref(decision);
    vouch_free(decision_text);
    free(message);
    free(resource_name);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Admin-activity entries                                             */

int vouch_audit_admin_entry(json_t **out, const vouch_audit_admin_event *ev,
                            vouch_error *err)
{
    json_t *entry = NULL;
    json_t *payload;
    const char *service;
    vouch__audit_head head;
    int rc;

    *out = NULL;
    if (ev == NULL) {
        return missing(err, "event");
    }
    if (!vouch__audit_id(ev->project, VOUCH_AUDIT_PROJECT_MAX, true)) {
        return bad_segment(err, "project");
    }
    if (ev->method_name == NULL || ev->method_name[0] == '\0') {
        return missing(err, "methodName");
    }
    if (ev->resource_name == NULL || ev->resource_name[0] == '\0') {
        return missing(err, "resourceName");
    }
    rc = vouch__audit_head_set(&head, ev->timestamp, ev->insert_id,
                               ev->project, VOUCH_AUDIT_LOG_ACTIVITY, err);
    if (rc < 0) {
        return rc;
    }
    service = ev->service_name != NULL ? ev->service_name
                                       : VOUCH_AUDIT_SERVICE_BINAUTHZ;
    entry = json_pack("{s:s,s:s,s:s,s:s,s:s,"
                      "s:{s:s,s:{s:s,s:s,s:s}},"
                      "s:{s:s,s:s,s:s,s:s,s:{}}}",
                      "insertId", head.id, "timestamp", head.ts,
                      "receiveTimestamp", head.ts, "logName", head.log_name,
                      "severity", "NOTICE",
                      "resource", "type", "audited_resource", "labels",
                      "service", service, "method", ev->method_name,
                      "project_id", ev->project,
                      "protoPayload", "@type", AUDIT_TYPE,
                      "serviceName", service,
                      "methodName", ev->method_name,
                      "resourceName", ev->resource_name, "status");
    if (entry == NULL) {
        return vouch__audit_build_failed(err);
    }
    payload = json_object_get(entry, "protoPayload");
    if ((ev->request != NULL &&
         json_object_set_new(payload, "request",
                             json_deep_copy(ev->request)) < 0) ||
        (ev->response != NULL &&
         json_object_set_new(payload, "response",
                             json_deep_copy(ev->response)) < 0) ||
        (ev->service_data != NULL &&
         json_object_set_new(payload, "serviceData",
                             json_deep_copy(ev->service_data)) < 0) ||
        (ev->principal != NULL &&
         json_object_set_new(payload, "authenticationInfo",
                             json_pack("{s:s}", "principalEmail",
                                       ev->principal)) < 0)) {
        json_decref(entry);
        return vouch__audit_build_failed(err);
    }
    *out = entry;
    return 0;
}
