/*
 * vouch run platform — audit log entries: building them (enforcement and
 * admin activity), storing them with the change they record, listing
 * them for POST /v2/entries:list, and the JSON-lines file sink.
 * docs/audit.md describes the entries and the choices made here.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vutil_error.h"
#include "vutil_random.h"
#include "vutil_str.h"
#include "vutil_time.h"

#define SRC_AUDIT "audit"
#define SRC_BODY "request body"
#define TS_LEN 27               /* 2026-11-29T12:00:00.123456Z */
#define AUDIT_TYPE "type.googleapis.com/google.cloud.audit.AuditLog"
#define LABEL_DECISION "binaryauthorization.googleapis.com/decision"
#define LABEL_DRY_RUN "binaryauthorization.googleapis.com/dry-run"
#define LABEL_BREAK_GLASS "binaryauthorization.googleapis.com/break-glass"

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

/* Exactly "YYYY-MM-DDTHH:MM:SS.uuuuuuZ", a valid instant. */
static bool canonical_time(const char *s)
{
    long long sec;
    long nsec;
    size_t len;

    if (s == NULL) {
        return false;
    }
    len = strnlen(s, TS_LEN + 1);
    return len == TS_LEN && s[10] == 'T' && s[19] == '.' &&
           s[26] == 'Z' && vouch_logfilter_parse_time(s, len, &sec, &nsec);
}

static bool id_char(char c, bool tilde)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           (tilde && c == '~');
}

/* 1..max characters of [A-Za-z0-9._-] (and '~' when `tilde`). */
static bool valid_id(const char *s, size_t len, size_t max, bool tilde)
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

static bool valid_cstr_id(const char *s, size_t max, bool tilde)
{
    return s != NULL && valid_id(s, strnlen(s, max + 1), max, tilde);
}

/* Timestamp and insertId of a new entry, checked or made up. */
static int entry_ids(const char *timestamp, const char *insert_id,
                     char *ts, char *id, vouch_error *err)
{
    if (timestamp != NULL) {
        if (!canonical_time(timestamp)) {
            return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                                   "timestamp: expected RFC 3339 UTC with "
                                   "microseconds "
                                   "(2026-11-29T12:00:00.000000Z)");
        }
        memcpy(ts, timestamp, TS_LEN + 1);
    } else {
        vutil_now_rfc3339(ts, TS_LEN + 1);
    }
    if (insert_id != NULL) {
        if (!valid_cstr_id(insert_id, VOUCH_AUDIT_INSERT_ID_MAX, false)) {
            return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                                   "insertId: expected 1 to %u characters "
                                   "of A-Z a-z 0-9 . _ -",
                                   VOUCH_AUDIT_INSERT_ID_MAX);
        }
        memcpy(id, insert_id, strlen(insert_id) + 1);
    } else if (vutil_random_hex(id, 10, err) < 0) {
        vutil_error_prefix(err, "insertId");
        return VOUCH_EIO;
    }
    return 0;
}

static int build_failed(vouch_error *err)
{
    return vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                           "cannot build the log entry: out of memory, or "
                           "a field is not valid UTF-8");
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

static int check_run_event(const vouch_audit_run_event *ev,
                           vouch_error *err)
{
    if (ev == NULL) {
        return missing(err, "event");
    }
    if (!valid_cstr_id(ev->project, VOUCH_AUDIT_PROJECT_MAX, true)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "project: required, 1 to %u characters of "
                               "A-Z a-z 0-9 . _ ~ -",
                               VOUCH_AUDIT_PROJECT_MAX);
    }
    if (!valid_cstr_id(ev->location, VOUCH_AUDIT_PROJECT_MAX, true)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "location: required, 1 to %u characters "
                               "of A-Z a-z 0-9 . _ ~ -",
                               VOUCH_AUDIT_PROJECT_MAX);
    }
    if (ev->method_name == NULL || ev->method_name[0] == '\0') {
        return missing(err, "methodName");
    }
    if (ev->decision == NULL) {
        return missing(err, "decision");
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

int vouch_audit_run_entry(json_t **out, const vouch_audit_run_event *ev,
                          vouch_error *err)
{
    json_t *entry = NULL;
    json_t *resource = NULL;
    json_t *labels = NULL;
    json_t *annotations = NULL;
    json_t *condition = NULL;
    json_t *decision = NULL;
    char *decision_text = NULL;
    char *message = NULL;
    char *resource_name = NULL;
    char ts[TS_LEN + 1];
    char id[VOUCH_AUDIT_INSERT_ID_MAX + 1];
    char log_name[256];
    vouch_outcome outcome;
    json_error_t jerr;
    bool breakglass;
    bool deny;
    int rc;

    *out = NULL;
    rc = check_run_event(ev, err);
    if (rc < 0) {
        return rc;
    }
    rc = entry_ids(ev->timestamp, ev->insert_id, ts, id, err);
    if (rc < 0) {
        return rc;
    }
    outcome = vouch_decision_outcome(ev->decision);
    deny = outcome == VOUCH_OUTCOME_DENY;
    breakglass = ev->breakglass != NULL && ev->breakglass[0] != '\0';
    snprintf(log_name, sizeof(log_name), "projects/%s/logs/%s", ev->project,
             VOUCH_AUDIT_LOG_SYSTEM_EVENT);

    rc = vouch_decision_to_json(ev->decision, 0, &decision_text, err);
    if (rc < 0) {
        goto cleanup;
    }
    decision = json_loads(decision_text, 0, &jerr);
    message = run_message(ev, outcome, breakglass);
    if (ev->resource_name != NULL) {
        resource_name = vutil_strdup(ev->resource_name);
    } else if (ev->job == NULL) {
        resource_name = vutil_aprintf("projects/%s/locations/%s/services/%s/"
                                "revisions/%s", ev->project, ev->location,
                                ev->service, ev->revision);
    } else if (ev->execution != NULL) {
        resource_name = vutil_aprintf("projects/%s/locations/%s/jobs/%s/"
                                "executions/%s", ev->project, ev->location,
                                ev->job, ev->execution);
    } else {
        resource_name = vutil_aprintf("projects/%s/locations/%s/jobs/%s",
                                ev->project, ev->location, ev->job);
    }
    if (decision == NULL || message == NULL || resource_name == NULL) {
        rc = build_failed(err);
        goto cleanup;
    }

    if (ev->job == NULL) {
        resource = json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:s}}",
                             "type", "cloud_run_revision", "labels",
                             "project_id", ev->project,
                             "location", ev->location,
                             "service_name", ev->service,
                             "revision_name", ev->revision,
                             "configuration_name", ev->service);
    } else {
        resource = json_pack("{s:s,s:{s:s,s:s,s:s}}",
                             "type", "cloud_run_job", "labels",
                             "project_id", ev->project,
                             "location", ev->location,
                             "job_name", ev->job);
    }
    labels = json_pack("{s:s}", LABEL_DECISION, vouch_outcome_name(outcome));
    annotations = json_pack("{s:s}", "run.googleapis.com/binary-authorization",
                            "default");
    condition = json_pack("{s:s,s:s,s:s}", "type", "Ready", "status",
                          deny ? "False" : "True", "message", message);
    if (resource == NULL || labels == NULL || annotations == NULL ||
        condition == NULL) {
        rc = build_failed(err);
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
        rc = build_failed(err);
        goto cleanup;
    }

    entry = json_pack(
        "{s:s,s:s,s:s,s:s,s:O,s:s,s:O,"
        "s:{s:s,s:s,s:s,s:s,s:{s:i,s:s},"
        "s:{s:s,s:s,s:{s:s,s:s,s:O},s:{s:[O]}},"
        "s:{s:O}}}",
        "insertId", id, "timestamp", ts, "receiveTimestamp", ts,
        "logName", log_name, "resource", resource,
        "severity", deny ? "ERROR" : "WARNING", "labels", labels,
        "protoPayload",
        "@type", AUDIT_TYPE, "serviceName", VOUCH_AUDIT_SERVICE_RUN,
        "methodName", ev->method_name, "resourceName", resource_name,
        "status", "code", deny ? 9 : 0, "message", message,
        "response",
        "apiVersion", ev->job == NULL ? "serving.knative.dev/v1"
                                      : "run.googleapis.com/v1",
        "kind", ev->job == NULL ? "Revision"
                : ev->execution != NULL ? "Execution" : "Job",
        "metadata",
        "name", ev->job == NULL ? ev->revision
                : ev->execution != NULL ? ev->execution : ev->job,
        "namespace", ev->project, "annotations", annotations,
        "status", "conditions", condition,
        "metadata", "decision", decision);
    if (entry == NULL) {
        rc = build_failed(err);
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
    char ts[TS_LEN + 1];
    char id[VOUCH_AUDIT_INSERT_ID_MAX + 1];
    char log_name[256];
    int rc;

    *out = NULL;
    if (ev == NULL) {
        return missing(err, "event");
    }
    if (!valid_cstr_id(ev->project, VOUCH_AUDIT_PROJECT_MAX, true)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "project: required, 1 to %u characters of "
                               "A-Z a-z 0-9 . _ ~ -",
                               VOUCH_AUDIT_PROJECT_MAX);
    }
    if (ev->method_name == NULL || ev->method_name[0] == '\0') {
        return missing(err, "methodName");
    }
    if (ev->resource_name == NULL || ev->resource_name[0] == '\0') {
        return missing(err, "resourceName");
    }
    rc = entry_ids(ev->timestamp, ev->insert_id, ts, id, err);
    if (rc < 0) {
        return rc;
    }
    service = ev->service_name != NULL ? ev->service_name
                                       : VOUCH_AUDIT_SERVICE_BINAUTHZ;
    snprintf(log_name, sizeof(log_name), "projects/%s/logs/%s", ev->project,
             VOUCH_AUDIT_LOG_ACTIVITY);
    entry = json_pack("{s:s,s:s,s:s,s:s,s:s,"
                      "s:{s:s,s:{s:s,s:s,s:s}},"
                      "s:{s:s,s:s,s:s,s:s,s:{}}}",
                      "insertId", id, "timestamp", ts,
                      "receiveTimestamp", ts, "logName", log_name,
                      "severity", "NOTICE",
                      "resource", "type", "audited_resource", "labels",
                      "service", service, "method", ev->method_name,
                      "project_id", ev->project,
                      "protoPayload", "@type", AUDIT_TYPE,
                      "serviceName", service,
                      "methodName", ev->method_name,
                      "resourceName", ev->resource_name, "status");
    if (entry == NULL) {
        return build_failed(err);
    }
    payload = json_object_get(entry, "protoPayload");
    if ((ev->request != NULL &&
         json_object_set_new(payload, "request",
                             json_deep_copy(ev->request)) < 0) ||
        (ev->response != NULL &&
         json_object_set_new(payload, "response",
                             json_deep_copy(ev->response)) < 0) ||
        (ev->principal != NULL &&
         json_object_set_new(payload, "authenticationInfo",
                             json_pack("{s:s}", "principalEmail",
                                       ev->principal)) < 0)) {
        json_decref(entry);
        return build_failed(err);
    }
    *out = entry;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Storing                                                            */

/* "projects/P/logs/..." -> P (borrowed range). */
static bool log_name_project(const char *log_name, const char **p,
                             size_t *plen)
{
    const char *slash;

    if (log_name == NULL || strncmp(log_name, "projects/", 9) != 0) {
        return false;
    }
    slash = strchr(log_name + 9, '/');
    if (slash == NULL || strncmp(slash, "/logs/", 6) != 0 ||
        slash[6] == '\0') {
        return false;
    }
    *p = log_name + 9;
    *plen = (size_t)(slash - *p);
    return valid_id(*p, *plen, VOUCH_AUDIT_PROJECT_MAX, true);
}

static const char *get_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

int vouch_audit_store(vouch_store_conn *conn, const json_t *entry,
                      vouch_error *err)
{
    vouch_resource r;
    const char *insert_id = get_str(entry, "insertId");
    const char *ts = get_str(entry, "timestamp");
    const char *receive = get_str(entry, "receiveTimestamp");
    const char *log_name = get_str(entry, "logName");
    const char *project = NULL;
    size_t plen = 0;
    char *name = NULL;
    char *parent = NULL;
    char *text = NULL;
    char etag[17];
    int rc;

    if (!json_is_object(entry)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "the log entry is not a JSON object");
    }
    if (!valid_cstr_id(insert_id, VOUCH_AUDIT_INSERT_ID_MAX, false)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "insertId: missing or malformed");
    }
    if (!canonical_time(ts)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "timestamp: missing, or not RFC 3339 UTC "
                               "with microseconds");
    }
    if (!log_name_project(log_name, &project, &plen)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "logName: expected projects/PROJECT/logs/"
                               "LOG_ID");
    }
    if (!canonical_time(receive)) {
        receive = ts;
    }
    rc = vutil_new_etag(etag, sizeof(etag), err);
    if (rc < 0) {
        return rc;
    }
    name = vutil_aprintf("projects/%.*s/logEntries/%s/%s", (int)plen,
                         project, ts, insert_id);
    parent = vutil_aprintf("projects/%.*s", (int)plen, project);
    text = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
    if (name == NULL || parent == NULL || text == NULL) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                             "out of memory");
        goto cleanup;
    }
    memset(&r, 0, sizeof(r));
    r.kind = (char *)VOUCH_AUDIT_KIND;
    r.name = name;
    r.parent = parent;
    r.json = text;
    r.etag = etag;
    r.create_time = (char *)receive;
    r.update_time = (char *)receive;
    r.attr1 = (char *)log_name;
    r.attr2 = (char *)ts;
    rc = vouch_store_create(conn, &r, err);

cleanup:
    free(name);
    free(parent);
    free(text);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The entries:list request                                           */

void vouch_audit_query_clear(vouch_audit_query *q)
{
    size_t i;

    if (q == NULL) {
        return;
    }
    for (i = 0; i < q->project_count; i++) {
        free(q->projects[i]);
    }
    free(q->projects);
    vouch_logfilter_free(q->filter);
    free(q->after);
    memset(q, 0, sizeof(*q));
}

static int body_err(vouch_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int body_err(vouch_error *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vutil_error_setv(err, VOUCH_EINVAL, SRC_BODY, 0, 0, fmt, ap);
    va_end(ap);
    return VOUCH_EINVAL;
}

/* A sort key: TIMESTAMP "/" INSERT_ID. */
static bool valid_key(const char *s, size_t len)
{
    long long sec;
    long nsec;

    return len > TS_LEN + 1 && s[TS_LEN] == '/' && s[10] == 'T' &&
           s[19] == '.' && s[26] == 'Z' &&
           vouch_logfilter_parse_time(s, TS_LEN, &sec, &nsec) &&
           valid_id(s + TS_LEN + 1, len - TS_LEN - 1,
                    VOUCH_AUDIT_INSERT_ID_MAX, false);
}

/*
 * Page tokens are base64url of "a:KEY" (ascending) or "d:KEY"
 * (descending), KEY being the sort key of the last entry returned.
 */
static int token_decode(const char *token, size_t tlen,
                        vouch_audit_order order, char **out,
                        vouch_error *err)
{
    unsigned char *bin = NULL;
    size_t len = 0;
    char want = order == VOUCH_AUDIT_DESC ? 'd' : 'a';

    *out = NULL;
    if (tlen > 4 * (TS_LEN + VOUCH_AUDIT_INSERT_ID_MAX + 4) / 3 + 4 ||
        vutil_base64_decode(token, tlen, &bin, &len) < 0 || len < 2 ||
        (bin[0] != 'a' && bin[0] != 'd') || bin[1] != ':' ||
        !valid_key((const char *)bin + 2, len - 2)) {
        free(bin);
        return body_err(err, "pageToken: not a token from a previous "
                        "response");
    }
    if ((char)bin[0] != want) {
        free(bin);
        return body_err(err, "pageToken: comes from a list in the other "
                        "order; use the same orderBy");
    }
    *out = vutil_strndup((const char *)bin + 2, len - 2);
    free(bin);
    if (*out == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, SRC_BODY, 0, 0,
                               "out of memory");
    }
    return 0;
}

static int add_project(vouch_audit_query *q, const char *p, size_t len,
                       vouch_error *err)
{
    char **more;
    size_t i;

    for (i = 0; i < q->project_count; i++) {
        if (strlen(q->projects[i]) == len &&
            memcmp(q->projects[i], p, len) == 0) {
            return 0;
        }
    }
    more = realloc(q->projects, (q->project_count + 1) * sizeof(*more));
    if (more == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, SRC_BODY, 0, 0,
                               "out of memory");
    }
    q->projects = more;
    q->projects[q->project_count] = vutil_strndup(p, len);
    if (q->projects[q->project_count] == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, SRC_BODY, 0, 0,
                               "out of memory");
    }
    q->project_count++;
    return 0;
}

static int parse_resource_names(vouch_audit_query *q, const json_t *v,
                                const char *field, bool bare,
                                vouch_error *err)
{
    json_t *item;
    size_t i;
    int rc;

    if (!json_is_array(v)) {
        return body_err(err, "%s: expected an array of strings", field);
    }
    if (json_array_size(v) > VOUCH_AUDIT_RESOURCE_NAMES_MAX) {
        return body_err(err, "%s: %zu names; the limit is %u", field,
                        json_array_size(v), VOUCH_AUDIT_RESOURCE_NAMES_MAX);
    }
    json_array_foreach(v, i, item) {
        const char *s = json_string_value(item);
        size_t len = json_string_length(item);

        if (s == NULL) {
            return body_err(err, "%s[%zu]: expected a string", field, i);
        }
        if (!bare) {
            if (len < 9 || memcmp(s, "projects/", 9) != 0) {
                return body_err(err, "%s[%zu]: expected \"projects/"
                                "PROJECT_ID\" (organizations, folders, "
                                "billing accounts and log views are not "
                                "supported)", field, i);
            }
            s += 9;
            len -= 9;
        }
        if (!valid_id(s, len, VOUCH_AUDIT_PROJECT_MAX, true)) {
            return body_err(err, "%s[%zu]: the project id must be 1 to %u "
                            "characters of A-Z a-z 0-9 . _ ~ -", field, i,
                            VOUCH_AUDIT_PROJECT_MAX);
        }
        rc = add_project(q, s, len, err);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static int parse_order(vouch_audit_query *q, const json_t *v,
                       vouch_error *err)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    size_t i = 0;
    size_t end;

    if (s == NULL) {
        return body_err(err, "orderBy: expected a string");
    }
    while (i < len && (s[i] == ' ' || s[i] == '\t')) {
        i++;
    }
    end = len;
    while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t')) {
        end--;
    }
    if (end == i) {
        q->order = VOUCH_AUDIT_ASC;
        return 0;
    }
    if (end - i >= 9 && memcmp(s + i, "timestamp", 9) == 0) {
        size_t j = i + 9;

        while (j < end && (s[j] == ' ' || s[j] == '\t')) {
            j++;
        }
        if (j == i + 9 && j < end) {
            j = end + 1;            /* "timestampasc" */
        }
        if (j == end || vutil_slice_eq(s + j, end - j, "asc")) {
            q->order = VOUCH_AUDIT_ASC;
            return 0;
        }
        if (vutil_slice_eq(s + j, end - j, "desc")) {
            q->order = VOUCH_AUDIT_DESC;
            return 0;
        }
    }
    return body_err(err, "orderBy: expected \"timestamp asc\" or "
                    "\"timestamp desc\"");
}

static int parse_page_size(vouch_audit_query *q, const json_t *v,
                           vouch_error *err)
{
    json_int_t n;

    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (json_is_string(v)) {
        /* proto3 JSON also allows an int32 as a decimal string. */
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        size_t i;

        if (len == 0 || len > 10) {
            return body_err(err, "pageSize: expected a whole number");
        }
        n = 0;
        for (i = 0; i < len; i++) {
            if (s[i] < '0' || s[i] > '9') {
                return body_err(err, "pageSize: expected a whole number");
            }
            n = n * 10 + (s[i] - '0');
        }
    } else {
        return body_err(err, "pageSize: expected a whole number");
    }
    if (n < 0) {
        return body_err(err, "pageSize: must not be negative");
    }
    if (n == 0) {
        q->page_size = VOUCH_AUDIT_PAGE_DEFAULT;
    } else if (n > (json_int_t)VOUCH_AUDIT_PAGE_MAX) {
        q->page_size = VOUCH_AUDIT_PAGE_MAX;
    } else {
        q->page_size = (size_t)n;
    }
    return 0;
}

int vouch_audit_query_parse(vouch_audit_query *out, const char *body,
                            size_t len, vouch_error *err)
{
    vouch_audit_query q;
    json_t *root = NULL;
    json_t *token = NULL;
    json_t *value;
    const char *key;
    json_error_t jerr;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    memset(&q, 0, sizeof(q));
    q.page_size = VOUCH_AUDIT_PAGE_DEFAULT;
    if (len > VOUCH_AUDIT_QUERY_MAX_BYTES) {
        return vutil_error_set(err, VOUCH_ETOOBIG, SRC_BODY, 0, 0,
                               "the request is %zu bytes; the limit is %u",
                               len, VOUCH_AUDIT_QUERY_MAX_BYTES);
    }
    root = json_loadb(body != NULL ? body : "", len,
                      JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return vutil_error_set(err, VOUCH_EPARSE, SRC_BODY, jerr.line,
                               jerr.column, "%s", jerr.text);
    }
    if (!json_is_object(root)) {
        rc = body_err(err, "expected a JSON object");
        goto cleanup;
    }
    json_object_foreach(root, key, value) {
        if (strcmp(key, "resourceNames") == 0) {
            rc = parse_resource_names(&q, value, key, false, err);
        } else if (strcmp(key, "projectIds") == 0) {
            rc = parse_resource_names(&q, value, key, true, err);
        } else if (strcmp(key, "filter") == 0) {
            if (!json_is_string(value)) {
                rc = body_err(err, "filter: expected a string");
            } else {
                rc = vouch_logfilter_parse(&q.filter,
                                           json_string_value(value),
                                           json_string_length(value), err);
            }
        } else if (strcmp(key, "orderBy") == 0) {
            rc = parse_order(&q, value, err);
        } else if (strcmp(key, "pageSize") == 0) {
            rc = parse_page_size(&q, value, err);
        } else if (strcmp(key, "pageToken") == 0) {
            if (!json_is_string(value)) {
                rc = body_err(err, "pageToken: expected a string");
            }
            token = value;
        } else {
            rc = body_err(err, "unknown field \"%s\"", key);
        }
        if (rc < 0) {
            goto cleanup;
        }
    }
    if (q.project_count == 0) {
        rc = body_err(err, "resourceNames: required, e.g. "
                      "[\"projects/my-project\"]");
        goto cleanup;
    }
    /* After orderBy is known, whatever the order of the fields. */
    if (token != NULL && json_string_length(token) > 0) {
        rc = token_decode(json_string_value(token), json_string_length(token),
                          q.order, &q.after, err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    *out = q;
    memset(&q, 0, sizeof(q));

cleanup:
    vouch_audit_query_clear(&q);
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Listing                                                            */

typedef struct cand {
    char *key;           /* TIMESTAMP/INSERT_ID */
    json_t *entry;
} cand;

typedef struct cand_list {
    cand *items;
    size_t count;
    size_t cap;
} cand_list;

static void cand_list_clear(cand_list *l)
{
    size_t i;

    for (i = 0; i < l->count; i++) {
        free(l->items[i].key);
        json_decref(l->items[i].entry);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

/* Takes `key` and `entry` (freed on failure). */
static int cand_push(cand_list *l, char *key, json_t *entry)
{
    if (l->count == l->cap) {
        size_t cap = l->cap == 0 ? 16 : 2 * l->cap;
        cand *items = realloc(l->items, cap * sizeof(*items));

        if (items == NULL) {
            free(key);
            json_decref(entry);
            return VOUCH_ENOMEM;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count].key = key;
    l->items[l->count].entry = entry;
    l->count++;
    return 0;
}

/* Keep only the last `keep` candidates. */
static void cand_keep_last(cand_list *l, size_t keep)
{
    size_t drop;
    size_t i;

    if (l->count <= keep) {
        return;
    }
    drop = l->count - keep;
    for (i = 0; i < drop; i++) {
        free(l->items[i].key);
        json_decref(l->items[i].entry);
    }
    memmove(l->items, l->items + drop, keep * sizeof(*l->items));
    l->count = keep;
}

static int cand_cmp(const void *a, const void *b)
{
    return strcmp(((const cand *)a)->key, ((const cand *)b)->key);
}

/*
 * The matching entries of one project after (asc) or before (desc) the
 * query's key: at most `limit` of them, the first ones (asc) or the last
 * ones (desc) in key order.
 */
static int collect(vouch_store_conn *conn, const vouch_audit_query *q,
                   const char *project, size_t limit, cand_list *out,
                   vouch_error *err)
{
    cand_list mine = { NULL, 0, 0 };
    vouch_resource_query sq;
    vouch_resource_page page;
    char *parent = NULL;
    char *prefix = NULL;
    char *token = NULL;
    char *start = NULL;
    size_t plen;
    size_t found = 0;
    size_t i;
    bool done = false;
    int rc = 0;

    memset(&page, 0, sizeof(page));
    parent = vutil_aprintf("projects/%s", project);
    prefix = vutil_aprintf("projects/%s/logEntries/", project);
    if (parent == NULL || prefix == NULL) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                             "out of memory");
        goto cleanup;
    }
    plen = strlen(prefix);
    if (q->order == VOUCH_AUDIT_ASC && q->after != NULL) {
        start = vutil_aprintf("%s%s", prefix, q->after);
        if (start == NULL || vutil_base64_encode((unsigned char *)start,
                                                 strlen(start), true,
                                                 &token) < 0) {
            rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                                 "out of memory");
            goto cleanup;
        }
    }
    while (!done) {
        memset(&sq, 0, sizeof(sq));
        sq.kind = VOUCH_AUDIT_KIND;
        sq.parent = parent;
        sq.attr1 = vouch_logfilter_log_name(q->filter);
        sq.page_size = VOUCH_AUDIT_PAGE_MAX;
        sq.page_token = token;
        rc = vouch_store_list(conn, &sq, &page, err);
        if (rc < 0) {
            goto cleanup;
        }
        for (i = 0; i < page.count && !done; i++) {
            const vouch_resource *r = &page.items[i];
            const char *key;
            json_error_t jerr;
            json_t *entry;
            char *kcopy;

            if (strncmp(r->name, prefix, plen) != 0) {
                continue;
            }
            key = r->name + plen;
            if (q->order == VOUCH_AUDIT_DESC && q->after != NULL &&
                strcmp(key, q->after) >= 0) {
                done = true;
                break;
            }
            entry = json_loads(r->json, 0, &jerr);
            if (entry == NULL) {
                rc = vutil_error_set(err, VOUCH_EIO, SRC_AUDIT, 0, 0,
                                     "stored log entry %s is not JSON: "
                                     "%s", r->name, jerr.text);
                goto cleanup;
            }
            if (!vouch_logfilter_match(q->filter, entry)) {
                json_decref(entry);
                continue;
            }
            kcopy = vutil_strdup(key);
            if (kcopy == NULL) {
                json_decref(entry);
                rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                                     "out of memory");
                goto cleanup;
            }
            if (cand_push(&mine, kcopy, entry) < 0) {
                rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                                     "out of memory");
                goto cleanup;
            }
            found++;
            if (q->order == VOUCH_AUDIT_ASC && found == limit) {
                done = true;
            }
        }
        if (q->order == VOUCH_AUDIT_DESC && mine.count > 2 * limit) {
            /* Only the last `limit` can be on the page; bound memory. */
            cand_keep_last(&mine, limit);
        }
        free(token);
        token = NULL;
        if (page.next_page_token == NULL) {
            done = true;
        } else {
            token = page.next_page_token;
            page.next_page_token = NULL;
        }
        vouch_resource_page_clear(&page);
    }
    if (q->order == VOUCH_AUDIT_DESC) {
        cand_keep_last(&mine, limit);
    }
    for (i = 0; i < mine.count; i++) {
        rc = cand_push(out, mine.items[i].key, mine.items[i].entry);
        mine.items[i].key = NULL;
        mine.items[i].entry = NULL;
        if (rc < 0) {
            rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                                 "out of memory");
            goto cleanup;
        }
    }
    rc = 0;

cleanup:
    cand_list_clear(&mine);
    vouch_resource_page_clear(&page);
    free(parent);
    free(prefix);
    free(token);
    free(start);
    return rc;
}

int vouch_audit_list(vouch_store_conn *conn, const vouch_audit_query *q,
                     json_t **out, vouch_error *err)
{
    cand_list all = { NULL, 0, 0 };
    json_t *result = NULL;
    json_t *entries = NULL;
    char *raw = NULL;
    char *token = NULL;
    size_t page_size;
    size_t n;
    size_t i;
    int rc = 0;

    *out = NULL;
    if (q == NULL || q->project_count == 0) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "resourceNames: required");
    }
    page_size = q->page_size == 0 ? VOUCH_AUDIT_PAGE_DEFAULT : q->page_size;
    if (page_size > VOUCH_AUDIT_PAGE_MAX) {
        page_size = VOUCH_AUDIT_PAGE_MAX;
    }
    for (i = 0; i < q->project_count; i++) {
        rc = collect(conn, q, q->projects[i], page_size + 1, &all, err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    if (all.count > 1) {
        qsort(all.items, all.count, sizeof(*all.items), cand_cmp);
    }
    if (q->order == VOUCH_AUDIT_DESC) {
        for (i = 0; i < all.count / 2; i++) {
            cand t = all.items[i];

            all.items[i] = all.items[all.count - 1 - i];
            all.items[all.count - 1 - i] = t;
        }
    }
    n = all.count < page_size ? all.count : page_size;
    result = json_object();
    entries = json_array();
    if (result == NULL || entries == NULL) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                             "out of memory");
        goto cleanup;
    }
    for (i = 0; i < n; i++) {
        if (json_array_append(entries, all.items[i].entry) < 0) {
            rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                                 "out of memory");
            goto cleanup;
        }
    }
    if (n > 0 && json_object_set(result, "entries", entries) < 0) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                             "out of memory");
        goto cleanup;
    }
    if (all.count > page_size) {
        raw = vutil_aprintf("%c:%s", q->order == VOUCH_AUDIT_DESC ? 'd' : 'a',
                      all.items[page_size - 1].key);
        if (raw == NULL ||
            vutil_base64_encode((unsigned char *)raw, strlen(raw), true,
                                &token) < 0 ||
            json_object_set_new(result, "nextPageToken",
                                json_string(token)) < 0) {
            rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                                 "out of memory");
            goto cleanup;
        }
    }
    *out = result;
    result = NULL;
    rc = 0;

cleanup:
    cand_list_clear(&all);
    json_decref(result);
    json_decref(entries);
    free(raw);
    free(token);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The sink and the queue                                             */

struct vouch_audit_sink {
    int fd;
    pthread_mutex_t lock;
};

int vouch_audit_sink_open(vouch_audit_sink **out, const char *path,
                          vouch_error *err)
{
    vouch_audit_sink *sink;
    int fd;

    *out = NULL;
    if (path == NULL || path[0] == '\0') {
        return vutil_error_set(err, VOUCH_EINVAL, "audit log", 0, 0,
                               "no file name");
    }
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        return vutil_error_set(err, VOUCH_EIO, path, 0, 0,
                               "cannot open the audit log: %s",
                               strerror(errno));
    }
    sink = calloc(1, sizeof(*sink));
    if (sink == NULL) {
        close(fd);
        return vutil_error_set(err, VOUCH_ENOMEM, path, 0, 0,
                               "out of memory");
    }
    sink->fd = fd;
    pthread_mutex_init(&sink->lock, NULL);
    *out = sink;
    return 0;
}

int vouch_audit_sink_write(vouch_audit_sink *sink, const json_t *entry,
                           vouch_error *err)
{
    char *text;
    size_t len;
    size_t done = 0;
    int rc = 0;

    if (sink == NULL || entry == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, "audit log", 0, 0,
                               "no sink or no entry");
    }
    text = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, "audit log", 0, 0,
                               "cannot serialize the entry");
    }
    len = strlen(text);
    text[len] = '\n';           /* json_dumps leaves room for the NUL */
    len++;
    pthread_mutex_lock(&sink->lock);
    while (done < len) {
        ssize_t n = write(sink->fd, text + done, len - done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            rc = vutil_error_set(err, VOUCH_EIO, "audit log", 0, 0,
                                 "cannot write: %s",
                                 n < 0 ? strerror(errno) : "no progress");
            break;
        }
        done += (size_t)n;
    }
    pthread_mutex_unlock(&sink->lock);
    free(text);
    return rc;
}

void vouch_audit_sink_close(vouch_audit_sink *sink)
{
    if (sink == NULL) {
        return;
    }
    close(sink->fd);
    pthread_mutex_destroy(&sink->lock);
    free(sink);
}

int vouch_audit_record(vouch_store_conn *conn, vouch_audit_queue *queue,
                       const json_t *entry, vouch_error *err)
{
    int rc = vouch_audit_store(conn, entry, err);

    if (rc < 0 || queue == NULL) {
        return rc;
    }
    if (queue->count == queue->cap) {
        size_t cap = queue->cap == 0 ? 4 : 2 * queue->cap;
        json_t **more = realloc(queue->entries, cap * sizeof(*more));

        if (more == NULL) {
            return vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                                   "out of memory");
        }
        queue->entries = more;
        queue->cap = cap;
    }
    queue->entries[queue->count++] = json_incref((json_t *)entry);
    return 0;
}

int vouch_audit_queue_flush(vouch_audit_queue *queue,
                            vouch_audit_sink *sink, vouch_error *err)
{
    vouch_error first = VOUCH_ERROR_INIT;
    size_t i;
    int rc = 0;

    if (queue == NULL) {
        return 0;
    }
    for (i = 0; i < queue->count; i++) {
        if (sink != NULL && rc == 0) {
            rc = vouch_audit_sink_write(sink, queue->entries[i], &first);
        } else if (sink != NULL) {
            vouch_error later = VOUCH_ERROR_INIT;

            (void)vouch_audit_sink_write(sink, queue->entries[i], &later);
        }
    }
    vouch_audit_queue_clear(queue);
    if (rc < 0 && err != NULL) {
        *err = first;
    }
    return rc;
}

void vouch_audit_queue_clear(vouch_audit_queue *queue)
{
    size_t i;

    if (queue == NULL) {
        return;
    }
    for (i = 0; i < queue->count; i++) {
        json_decref(queue->entries[i]);
    }
    free(queue->entries);
    queue->entries = NULL;
    queue->count = 0;
    queue->cap = 0;
}
