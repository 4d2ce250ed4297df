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
    free(q->page_token);
    memset(q, 0, sizeof(*q));
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
        return vutil_error_set(err, VOUCH_EINVAL, SRC_BODY, 0, 0,
                               "pageToken: not a token from a previous "
                               "response");
    }
    if ((char)bin[0] != want) {
        free(bin);
        return vutil_error_set(err, VOUCH_EINVAL, SRC_BODY, 0, 0,
                               "pageToken: comes from a list in the other "
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
                   const char *after, const char *project, size_t limit,
                   cand_list *out, vouch_error *err)
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
    if (q->order == VOUCH_AUDIT_ASC && after != NULL) {
        start = vutil_aprintf("%s%s", prefix, after);
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
            if (q->order == VOUCH_AUDIT_DESC && after != NULL &&
                strcmp(key, after) >= 0) {
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
    char *after = NULL;
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
    if (q->page_token != NULL && q->page_token[0] != '\0') {
        rc = token_decode(q->page_token, strlen(q->page_token), q->order,
                          &after, err);
        if (rc < 0) {
            return rc;
        }
    }
    for (i = 0; i < q->project_count; i++) {
        rc = collect(conn, q, after, q->projects[i], page_size + 1, &all,
                     err);
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
        raw = vutil_aprintf("%c:%s",
                            q->order == VOUCH_AUDIT_DESC ? 'd' : 'a',
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
    free(after);
    free(raw);
    free(token);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The sink                                                           */

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
