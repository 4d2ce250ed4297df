/*
 * Tests of src/service/audit.c: audit LogEntries, their storage in a
 * real SQLite store, POST /v2/entries:list (the request parsed by
 * src/api/logging.c; filtering, ordering, paging) and the JSON-lines
 * sink, written after the commit by the unit of work's hooks.
 *
 * Sections:
 *   run entries        vouch_audit_run_entry, vouch_audit_run_wanted
 *   admin entries      vouch_audit_admin_entry
 *   request parsing    api_log_query_parse
 *   store and list     vouch_audit_store, vouch_audit_list
 *   sink and hooks     vouch_audit_sink_*, vsvc_uow_audit
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "decision.h"
#include "logging.h"
#include "vsvc_uow.h"
#include "vutil_time.h"

#define IMAGE "us-docker.pkg.dev/p/r/app@sha256:" \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define TS1 "2026-11-29T12:00:00.000001Z"

static char tmpdir[64];

/* A one-image decision: denied unless `allowed`. */
static vouch_decision *decision(bool allowed, bool dry_run, bool breakglass)
{
    vouch_decision *d = vouch__decision_new(1);

    assert_non_null(d);
    vouch__decision_set_image(d, 0,
        vouch__decision_printf(d, "%s", IMAGE),
        allowed ? VOUCH_VERDICT_ALLOWED : VOUCH_VERDICT_DENIED,
        vouch__decision_printf(d, "%s", allowed ? "attested"
                               : "no attestation by a trusted key"));
    assert_int_equal(vouch__decision_finish(d, dry_run, breakglass), 0);
    return d;
}

static const char *path_str(const json_t *v, const char *path)
{
    char buf[256];
    char *save = NULL;
    char *seg;

    snprintf(buf, sizeof(buf), "%s", path);
    for (seg = strtok_r(buf, ".", &save); seg != NULL && v != NULL;
         seg = strtok_r(NULL, ".", &save)) {
        if (json_is_array(v)) {
            v = json_array_get(v, (size_t)atoi(seg));
        } else {
            v = json_object_get(v, seg);
        }
    }
    return json_string_value(v);
}

static bool filter_matches(const json_t *entry, const char *text)
{
    vouch_logfilter *f = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    bool r;

    assert_int_equal(vouch_logfilter_parse(&f, text, strlen(text), &err),
                     0);
    r = vouch_logfilter_match(f, entry);
    vouch_logfilter_free(f);
    return r;
}

static json_t *run_entry(vouch_decision *d, const char *breakglass,
                         const char *ts, const char *id)
{
    vouch_audit_run_event ev;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *e = NULL;

    memset(&ev, 0, sizeof(ev));
    ev.project = "p";
    ev.location = "us-central1";
    ev.service = "app";
    ev.revision = "app-00002-xyz";
    ev.method_name = "google.cloud.run.v2.Services.CreateService";
    ev.decision = d;
    ev.breakglass = breakglass;
    ev.timestamp = ts;
    ev.insert_id = id;
    if (vouch_audit_run_entry(&e, &ev, &err) != 0) {
        fail_msg("run entry: %s", err.message);
    }
    return e;
}

/* ---- run entries ---- */

static void test_audit_deny_entry_shape(void **state)
{
    vouch_decision *d = decision(false, false, false);
    json_t *e = run_entry(d, NULL, TS1, "deny1");
    const json_t *cond;

    (void)state;
    assert_string_equal(path_str(e, "insertId"), "deny1");
    assert_string_equal(path_str(e, "timestamp"), TS1);
    assert_string_equal(path_str(e, "receiveTimestamp"), TS1);
    assert_string_equal(path_str(e, "logName"),
        "projects/p/logs/cloudaudit.googleapis.com%2Fsystem_event");
    assert_string_equal(path_str(e, "severity"), "ERROR");
    assert_string_equal(path_str(e, "resource.type"), "cloud_run_revision");
    assert_string_equal(path_str(e, "resource.labels.project_id"), "p");
    assert_string_equal(path_str(e, "resource.labels.location"),
                        "us-central1");
    assert_string_equal(path_str(e, "resource.labels.service_name"), "app");
    assert_string_equal(path_str(e, "resource.labels.revision_name"),
                        "app-00002-xyz");
    assert_string_equal(path_str(e, "resource.labels.configuration_name"),
                        "app");
    assert_string_equal(path_str(e, "protoPayload.@type"),
                        "type.googleapis.com/google.cloud.audit.AuditLog");
    assert_string_equal(path_str(e, "protoPayload.serviceName"),
                        "run.googleapis.com");
    assert_string_equal(path_str(e, "protoPayload.methodName"),
                        "google.cloud.run.v2.Services.CreateService");
    assert_string_equal(path_str(e, "protoPayload.resourceName"),
                        "projects/p/locations/us-central1/services/app/"
                        "revisions/app-00002-xyz");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(
        json_object_get(e, "protoPayload"), "status"), "code")), 9);
    cond = json_array_get(json_object_get(json_object_get(json_object_get(
        json_object_get(e, "protoPayload"), "response"), "status"),
        "conditions"), 0);
    assert_string_equal(path_str(cond, "type"), "Ready");
    assert_string_equal(path_str(cond, "status"), "False");
    assert_string_equal(path_str(cond, "reason"),
                        "ContainerImageUnauthorized");
    assert_non_null(strstr(path_str(cond, "message"),
                           "Revision 'app-00002-xyz' uses an unauthorized "
                           "container image. Container image '" IMAGE
                           "' is not authorized by policy"));
    assert_string_equal(path_str(e, "protoPayload.metadata.decision."
                                    "decision"), "DENY");
    assert_string_equal(path_str(e, "protoPayload.metadata.decision.images."
                                    "0.image"), IMAGE);
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(e, "labels"),
        "binaryauthorization.googleapis.com/decision")), "DENY");
    /* the documented Cloud Run audit filters (docs/audit.md) find it */
    assert_true(filter_matches(e, "protoPayload.response.status.conditions."
                                  "reason=\"ContainerImageUnauthorized\""));
    assert_true(filter_matches(e, "resource.type=\"cloud_run_revision\" "
                                  "logName=\"projects/p/logs/cloudaudit."
                                  "googleapis.com%2Fsystem_event\" "
                                  "severity=ERROR"));
    assert_false(filter_matches(e, "breakglass"));
    assert_false(filter_matches(e, "\"dry run\""));
    json_decref(e);
    vouch_decision_free(d);
}

static void test_audit_dry_run_entry(void **state)
{
    vouch_decision *d = decision(false, true, false);
    json_t *e = run_entry(d, NULL, TS1, "dry1");

    (void)state;
    assert_string_equal(path_str(e, "severity"), "WARNING");
    assert_string_equal(path_str(e, "protoPayload.response.status."
                                    "conditions.0.status"), "True");
    assert_null(path_str(e, "protoPayload.response.status.conditions.0."
                            "reason"));
    assert_string_equal(path_str(e, "protoPayload.metadata.decision."
                                    "decision"), "ALLOW_DRYRUN");
    assert_true(filter_matches(e, "\"dry run\""));
    assert_true(filter_matches(e, "labels.\"binaryauthorization.googleapis."
                                  "com/dry-run\"=true"));
    assert_false(filter_matches(e, "protoPayload.response.status.conditions."
                                   "reason=\"ContainerImageUnauthorized\""));
    assert_false(filter_matches(e, "breakglass"));
    json_decref(e);
    vouch_decision_free(d);
}

static void test_audit_breakglass_entry(void **state)
{
    vouch_decision *d = decision(false, false, true);
    json_t *e = run_entry(d, "INC-42 hotfix", TS1, "bg1");

    (void)state;
    assert_string_equal(path_str(e, "severity"), "WARNING");
    assert_string_equal(json_string_value(json_object_get(json_object_get(
        json_object_get(json_object_get(json_object_get(e, "protoPayload"),
        "response"), "metadata"), "annotations"),
        "run.googleapis.com/binary-authorization-breakglass")),
        "INC-42 hotfix");
    assert_true(filter_matches(e, "breakglass"));
    assert_true(filter_matches(e, "\"INC-42\""));
    assert_true(filter_matches(e, "labels.\"binaryauthorization.googleapis."
                                  "com/break-glass\"=true"));
    assert_true(filter_matches(e, "protoPayload.response.metadata."
                                  "annotations.\"run.googleapis.com/"
                                  "binary-authorization-breakglass\":*"));
    json_decref(e);
    vouch_decision_free(d);

    /* breakglass is logged even when every image is authorized */
    d = decision(true, false, true);
    assert_true(vouch_audit_run_wanted(d, "why"));
    e = run_entry(d, "why", NULL, NULL);
    assert_string_equal(path_str(e, "protoPayload.metadata.decision."
                                    "decision"), "ALLOW_BREAKGLASS");
    assert_true(filter_matches(e, "breakglass"));
    json_decref(e);
    vouch_decision_free(d);
}

static void test_audit_job_entry(void **state)
{
    vouch_decision *d = decision(false, false, false);
    vouch_audit_run_event ev;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *e = NULL;

    (void)state;
    memset(&ev, 0, sizeof(ev));
    ev.project = "p";
    ev.location = "europe-west1";
    ev.job = "nightly";
    ev.execution = "nightly-abc12";
    ev.method_name = "google.cloud.run.v2.Jobs.RunJob";
    ev.decision = d;
    assert_int_equal(vouch_audit_run_entry(&e, &ev, &err), 0);
    assert_string_equal(path_str(e, "resource.type"), "cloud_run_job");
    assert_string_equal(path_str(e, "resource.labels.job_name"), "nightly");
    assert_string_equal(path_str(e, "resource.labels.location"),
                        "europe-west1");
    assert_null(path_str(e, "resource.labels.service_name"));
    assert_string_equal(path_str(e, "protoPayload.resourceName"),
                        "projects/p/locations/europe-west1/jobs/nightly/"
                        "executions/nightly-abc12");
    assert_non_null(strstr(path_str(e, "protoPayload.status.message"),
                           "Execution 'nightly-abc12' of job 'nightly' "
                           "uses an unauthorized container image"));
    json_decref(e);
    vouch_decision_free(d);
}

static void test_audit_generated_ids(void **state)
{
    vouch_decision *d = decision(false, false, false);
    json_t *a = run_entry(d, NULL, NULL, NULL);
    json_t *b = run_entry(d, NULL, NULL, NULL);
    long long s;
    long ns;
    const char *ts = path_str(a, "timestamp");

    (void)state;
    assert_int_equal(strlen(ts), 27);
    assert_true(vutil_rfc3339_parse(ts, 27, &s, &ns));
    assert_int_equal(ts[26], 'Z');
    assert_int_equal(strlen(path_str(a, "insertId")), 20);
    assert_string_not_equal(path_str(a, "insertId"), path_str(b, "insertId"));
    json_decref(a);
    json_decref(b);
    vouch_decision_free(d);
}

static void expect_run_error(const vouch_audit_run_event *ev,
                             const char *text)
{
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *e = (json_t *)1;

    assert_int_equal(vouch_audit_run_entry(&e, ev, &err), VOUCH_EINVAL);
    assert_null(e);
    if (strstr(err.message, text) == NULL) {
        fail_msg("'%s' does not contain '%s'", err.message, text);
    }
}

static void test_audit_run_entry_rejects_bad_events(void **state)
{
    vouch_decision *deny = decision(false, false, false);
    vouch_decision *allow = decision(true, false, false);
    vouch_decision *bg = decision(false, false, true);
    vouch_audit_run_event ev;
    vouch_audit_run_event good;

    (void)state;
    memset(&good, 0, sizeof(good));
    good.project = "p";
    good.location = "l";
    good.service = "s";
    good.revision = "r";
    good.method_name = "m";
    good.decision = deny;

    expect_run_error(NULL, "event: required");
    ev = good; ev.project = NULL;
    expect_run_error(&ev, "project: required");
    ev = good; ev.project = "a/b";
    expect_run_error(&ev, "project: required");
    ev = good; ev.location = "";
    expect_run_error(&ev, "location: required");
    ev = good; ev.method_name = NULL;
    expect_run_error(&ev, "methodName: required");
    ev = good; ev.decision = NULL;
    expect_run_error(&ev, "decision: required");
    ev = good; ev.service = NULL;
    expect_run_error(&ev, "service (or job): required");
    ev = good; ev.revision = "";
    expect_run_error(&ev, "revision: required");
    ev = good; ev.job = "j";
    expect_run_error(&ev, "a job or a revision, not both");
    ev = good; ev.service = NULL; ev.revision = NULL; ev.job = "";
    expect_run_error(&ev, "job: required");
    ev = good; ev.timestamp = "2026-11-29T12:00:00Z";
    expect_run_error(&ev, "timestamp: expected RFC 3339 UTC");
    ev = good; ev.timestamp = "2026-02-30T12:00:00.000000Z";
    expect_run_error(&ev, "timestamp: expected RFC 3339 UTC");
    ev = good; ev.insert_id = "a b";
    expect_run_error(&ev, "insertId: expected 1 to 128 characters");
    ev = good; ev.insert_id = "";
    expect_run_error(&ev, "insertId: expected");
    ev = good; ev.decision = allow;
    assert_false(vouch_audit_run_wanted(allow, NULL));
    assert_false(vouch_audit_run_wanted(allow, ""));
    assert_false(vouch_audit_run_wanted(NULL, "x"));
    assert_true(vouch_audit_run_wanted(deny, NULL));
    expect_run_error(&ev, "ALLOW without breakglass needs no audit entry");
    ev = good; ev.decision = bg;
    expect_run_error(&ev, "justification of an ALLOW_BREAKGLASS decision");
    vouch_decision_free(deny);
    vouch_decision_free(allow);
    vouch_decision_free(bg);
}

/* ---- admin entries ---- */

static void test_audit_admin_entry(void **state)
{
    vouch_audit_admin_event ev;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *request = json_pack("{s:s}", "name", "projects/p/policy");
    json_t *e = NULL;

    (void)state;
    memset(&ev, 0, sizeof(ev));
    ev.project = "p";
    ev.method_name = VOUCH_AUDIT_METHOD_UPDATE_POLICY;
    ev.resource_name = "projects/p/policy";
    ev.request = request;
    ev.principal = "admin@example.com";
    ev.timestamp = TS1;
    assert_int_equal(vouch_audit_admin_entry(&e, &ev, &err), 0);
    assert_string_equal(path_str(e, "logName"),
        "projects/p/logs/cloudaudit.googleapis.com%2Factivity");
    assert_string_equal(path_str(e, "severity"), "NOTICE");
    assert_string_equal(path_str(e, "resource.type"), "audited_resource");
    assert_string_equal(path_str(e, "resource.labels.service"),
                        "binaryauthorization.googleapis.com");
    assert_string_equal(path_str(e, "resource.labels.project_id"), "p");
    assert_string_equal(path_str(e, "protoPayload.serviceName"),
                        "binaryauthorization.googleapis.com");
    assert_string_equal(path_str(e, "protoPayload.methodName"),
                        "google.cloud.binaryauthorization.v1."
                        "BinauthzManagementServiceV1.UpdatePolicy");
    assert_string_equal(path_str(e, "protoPayload.request.name"),
                        "projects/p/policy");
    assert_string_equal(path_str(e, "protoPayload.authenticationInfo."
                                    "principalEmail"), "admin@example.com");
    assert_null(json_object_get(json_object_get(e, "protoPayload"),
                                "response"));
    /* a copy: changing the request afterwards does not change the entry */
    json_object_set_new(request, "name", json_string("changed"));
    assert_string_equal(path_str(e, "protoPayload.request.name"),
                        "projects/p/policy");
    assert_true(filter_matches(e, "protoPayload.methodName:UpdatePolicy "
                                  "protoPayload.serviceName="
                                  "\"binaryauthorization.googleapis.com\""));
    json_decref(e);

    ev.service_name = VOUCH_AUDIT_SERVICE_ORGPOLICY;
    ev.method_name = VOUCH_AUDIT_METHOD_ORG_UPDATE_POLICY;
    ev.request = NULL;
    ev.principal = NULL;
    ev.response = request;
    assert_int_equal(vouch_audit_admin_entry(&e, &ev, &err), 0);
    assert_string_equal(path_str(e, "protoPayload.serviceName"),
                        "orgpolicy.googleapis.com");
    assert_string_equal(path_str(e, "protoPayload.response.name"),
                        "changed");
    json_decref(e);

    ev.resource_name = NULL;
    assert_int_equal(vouch_audit_admin_entry(&e, &ev, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "resourceName: required"));
    ev.resource_name = "x";
    ev.method_name = "";
    assert_int_equal(vouch_audit_admin_entry(&e, &ev, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "methodName: required"));
    ev.method_name = "m";
    ev.project = "";
    assert_int_equal(vouch_audit_admin_entry(&e, &ev, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "project: required"));
    assert_int_equal(vouch_audit_admin_entry(&e, NULL, &err), VOUCH_EINVAL);
    assert_null(e);
    json_decref(request);
}

/* ---- request parsing ---- */

static int qparse(vouch_audit_query *q, const char *body, vouch_error *err)
{
    return api_log_query_parse(q, body, strlen(body), err);
}

static void expect_query_error(const char *body, int code,
                               const char *source, const char *text)
{
    vouch_audit_query q;
    vouch_error err = VOUCH_ERROR_INIT;

    if (qparse(&q, body, &err) != code || strstr(err.message, text) == NULL ||
        strcmp(err.source, source) != 0) {
        fail_msg("%s: got %d %s '%s'; want %d %s '%s'", body, err.code,
                 err.source, err.message, code, source, text);
    }
    assert_int_equal(q.project_count, 0);
    assert_null(q.filter);
}

static void test_audit_query_parse(void **state)
{
    vouch_audit_query q;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(qparse(&q, "{\"resourceNames\": [\"projects/a\", "
                     "\"projects/b\", \"projects/a\"], \"filter\": "
                     "\"severity>=WARNING\", \"orderBy\": \"timestamp desc\","
                     " \"pageSize\": 7}", &err), 0);
    assert_int_equal(q.project_count, 2);
    assert_string_equal(q.projects[0], "a");
    assert_string_equal(q.projects[1], "b");
    assert_non_null(q.filter);
    assert_int_equal(q.order, VOUCH_AUDIT_DESC);
    assert_int_equal(q.page_size, 7);
    assert_string_equal(q.filter_text, "severity>=WARNING");
    assert_null(q.page_token);
    vouch_audit_query_clear(&q);

    /* defaults; the older projectIds; pageSize as a string; limits */
    assert_int_equal(qparse(&q, "{\"projectIds\": [\"p\"], \"pageSize\": "
                     "\"5000\", \"orderBy\": \" timestamp  asc \", "
                     "\"pageToken\": \"\"}", &err), 0);
    assert_string_equal(q.projects[0], "p");
    assert_null(q.filter);
    assert_int_equal(q.order, VOUCH_AUDIT_ASC);
    assert_int_equal(q.page_size, VOUCH_AUDIT_PAGE_MAX);
    vouch_audit_query_clear(&q);
    assert_int_equal(qparse(&q, "{\"resourceNames\": [\"projects/p\"], "
                     "\"pageSize\": 0, \"orderBy\": \"timestamp\"}", &err),
                     0);
    assert_int_equal(q.page_size, VOUCH_AUDIT_PAGE_DEFAULT);
    vouch_audit_query_clear(&q);
    vouch_audit_query_clear(NULL);
}

static void test_audit_query_parse_errors(void **state)
{
    char big[120 * 16 + 64];
    size_t n;
    size_t i;

    (void)state;
    expect_query_error("{\"resourceNames\": [", VOUCH_EPARSE,
                       "request body", "");
    expect_query_error("", VOUCH_EPARSE, "request body", "");
    expect_query_error("[]", VOUCH_EINVAL, "request body",
                       "expected a JSON object");
    expect_query_error("{}", VOUCH_EINVAL, "request body",
                       "resourceNames: required");
    expect_query_error("{\"resourceNames\": []}", VOUCH_EINVAL,
                       "request body", "resourceNames: required");
    expect_query_error("{\"resourceNames\": \"projects/p\"}", VOUCH_EINVAL,
                       "request body", "resourceNames: expected an array");
    expect_query_error("{\"resourceNames\": [1]}", VOUCH_EINVAL,
                       "request body", "resourceNames[0]: expected a string");
    expect_query_error("{\"resourceNames\": [\"projects/p\", "
                       "\"organizations/1\"]}", VOUCH_EINVAL, "request body",
                       "resourceNames[1]: expected \"projects/PROJECT_ID\"");
    expect_query_error("{\"resourceNames\": [\"projects/\"]}", VOUCH_EINVAL,
                       "request body", "resourceNames[0]: the project id");
    expect_query_error("{\"resourceNames\": [\"projects/p/logs/x\"]}",
                       VOUCH_EINVAL, "request body",
                       "resourceNames[0]: the project id");
    expect_query_error("{\"projectIds\": [\"a/b\"]}", VOUCH_EINVAL,
                       "request body", "projectIds[0]: the project id");
    expect_query_error("{\"resourceNames\": [\"projects/p\"], \"x\": 1}",
                       VOUCH_EINVAL, "request body", "unknown field \"x\"");
    expect_query_error("{\"resourceNames\": [\"projects/p\"], "
                       "\"resourceNames\": [\"projects/q\"]}", VOUCH_EPARSE,
                       "request body", "duplicate");
    expect_query_error("{\"resourceNames\": [\"projects/p\"], \"filter\": 1}",
                       VOUCH_EINVAL, "request body",
                       "filter: expected a string");
    expect_query_error("{\"resourceNames\": [\"projects/p\"], \"filter\": "
                       "\"resource.type= \"}", VOUCH_EINVAL, "filter",
                       "expected a value after '='");
    expect_query_error("{\"resourceNames\": [\"projects/p\"], \"orderBy\": "
                       "\"severity\"}", VOUCH_EINVAL, "request body",
                       "orderBy: expected \"timestamp asc\"");
    expect_query_error("{\"resourceNames\": [\"projects/p\"], \"orderBy\": "
                       "\"timestampdesc\"}", VOUCH_EINVAL, "request body",
                       "orderBy: expected");
    expect_query_error("{\"resourceNames\": [\"projects/p\"], \"orderBy\": "
                       "\"timestamp sideways\"}", VOUCH_EINVAL,
                       "request body", "orderBy: expected");
    expect_query_error("{\"resourceNames\": [\"projects/p\"], \"orderBy\": "
                       "true}", VOUCH_EINVAL, "request body",
                       "orderBy: expected a string");
    expect_query_error("{\"resourceNames\": [\"projects/p\"], \"pageSize\": "
                       "-1}", VOUCH_EINVAL, "request body",
                       "pageSize: must not be negative");
    expect_query_error("{\"resourceNames\": [\"projects/p\"], \"pageSize\": "
                       "1.5}", VOUCH_EINVAL, "request body",
                       "pageSize: expected a whole number");
    expect_query_error("{\"resourceNames\": [\"projects/p\"], \"pageSize\": "
                       "\"1x\"}", VOUCH_EINVAL, "request body",
                       "pageSize: expected a whole number");
    expect_query_error("{\"resourceNames\": [\"projects/p\"], \"pageToken\": "
                       "5}", VOUCH_EINVAL, "request body",
                       "pageToken: expected a string");
    n = (size_t)snprintf(big, sizeof(big), "{\"resourceNames\": [");
    for (i = 0; i <= VOUCH_AUDIT_RESOURCE_NAMES_MAX; i++) {
        n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"projects/p%zu\"",
                              i > 0 ? "," : "", i);
    }
    snprintf(big + n, sizeof(big) - n, "]}");
    expect_query_error(big, VOUCH_EINVAL, "request body",
                       "resourceNames: 101 names; the limit is 100");
}

static void test_audit_query_parse_size_limit(void **state)
{
    vouch_audit_query q;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t len = VOUCH_AUDIT_QUERY_MAX_BYTES + 1;
    char *body = malloc(len);

    (void)state;
    assert_non_null(body);
    memset(body, ' ', len);
    assert_int_equal(api_log_query_parse(&q, body, len, &err),
                     VOUCH_ETOOBIG);
    free(body);
}

/* ---- store and list ---- */

static vouch_store *store;

static int store_setup(void **state)
{
    char url[128];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/vouch-audit-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        return -1;
    }
    snprintf(url, sizeof(url), "sqlite:%s/store.db", tmpdir);
    if (vouch_store_open(&store, url, 2, &err) != 0) {
        fprintf(stderr, "store: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int store_teardown(void **state)
{
    char cmd[128];

    (void)state;
    vouch_store_close(store);
    store = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Store entries in one write transaction. */
static void store_entries(json_t **entries, size_t n, bool commit)
{
    vouch_store_conn *conn = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t i;

    assert_int_equal(vouch_store_acquire(store, &conn, &err), 0);
    assert_int_equal(vouch_store_begin(conn, true, &err), 0);
    for (i = 0; i < n; i++) {
        if (vouch_audit_store(conn, entries[i], &err) != 0) {
            fail_msg("store: %s", err.message);
        }
    }
    if (commit) {
        assert_int_equal(vouch_store_commit(conn, &err), 0);
    } else {
        vouch_store_rollback(conn);
    }
    vouch_store_release(conn);
}

/* List with a request body; the insertIds, in order, joined by ','. */
static int list(const char *body, char *ids, size_t size, char *token,
                size_t token_size, vouch_error *err)
{
    vouch_store_conn *conn = NULL;
    vouch_audit_query q;
    json_t *page = NULL;
    json_t *item;
    size_t i;
    size_t n = 0;
    int rc;

    ids[0] = '\0';
    if (token != NULL) {
        token[0] = '\0';
    }
    rc = api_log_query_parse(&q, body, strlen(body), err);
    if (rc < 0) {
        return rc;
    }
    assert_int_equal(vouch_store_acquire(store, &conn, err), 0);
    assert_int_equal(vouch_store_begin(conn, false, err), 0);
    rc = vouch_audit_list(conn, &q, &page, err);
    vouch_store_rollback(conn);
    vouch_store_release(conn);
    vouch_audit_query_clear(&q);
    if (rc < 0) {
        return rc;
    }
    json_array_foreach(json_object_get(page, "entries"), i, item) {
        n += (size_t)snprintf(ids + n, size - n, "%s%s", i > 0 ? "," : "",
                              json_string_value(json_object_get(item,
                                                                "insertId")));
    }
    if (json_object_get(page, "entries") != NULL) {
        assert_true(json_array_size(json_object_get(page, "entries")) > 0);
    }
    if (token != NULL && json_object_get(page, "nextPageToken") != NULL) {
        snprintf(token, token_size, "%s", json_string_value(
            json_object_get(page, "nextPageToken")));
    }
    json_decref(page);
    return 0;
}

static json_t *admin_entry(const char *project, const char *ts,
                           const char *id)
{
    vouch_audit_admin_event ev;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *e = NULL;

    memset(&ev, 0, sizeof(ev));
    ev.project = project;
    ev.method_name = VOUCH_AUDIT_METHOD_CREATE_ATTESTOR;
    ev.resource_name = "projects/x/attestors/a";
    ev.timestamp = ts;
    ev.insert_id = id;
    assert_int_equal(vouch_audit_admin_entry(&e, &ev, &err), 0);
    return e;
}

static void test_audit_store_list_order_and_pages(void **state)
{
    vouch_decision *deny = decision(false, false, false);
    vouch_decision *dry = decision(false, true, false);
    json_t *e[6];
    char ids[512];
    char token[256];
    char body[512];
    vouch_error err = VOUCH_ERROR_INIT;
    size_t i;

    (void)state;
    /* stored out of time order, in two projects and two logs */
    e[0] = run_entry(deny, NULL, "2026-11-29T12:00:03.000000Z", "e3");
    e[1] = run_entry(dry, NULL, "2026-11-29T12:00:01.000000Z", "e1");
    e[2] = admin_entry("p", "2026-11-29T12:00:02.000000Z", "e2");
    e[3] = admin_entry("q", "2026-11-29T12:00:04.000000Z", "e4");
    e[4] = run_entry(deny, NULL, "2026-11-29T12:00:05.000000Z", "e5");
    e[5] = admin_entry("other", "2026-11-29T12:00:00.000000Z", "e0");
    store_entries(e, 6, true);

    assert_int_equal(list("{\"resourceNames\": [\"projects/p\"]}", ids,
                          sizeof(ids), token, sizeof(token), &err), 0);
    assert_string_equal(ids, "e1,e2,e3,e5");
    assert_string_equal(token, "");
    assert_int_equal(list("{\"resourceNames\": [\"projects/p\", "
                          "\"projects/q\"], \"orderBy\": \"timestamp desc\"}",
                          ids, sizeof(ids), token, sizeof(token), &err), 0);
    assert_string_equal(ids, "e5,e4,e3,e2,e1");

    /* filtered */
    assert_int_equal(list("{\"resourceNames\": [\"projects/p\", "
                          "\"projects/q\"], \"filter\": \"severity=ERROR\"}",
                          ids, sizeof(ids), NULL, 0, &err), 0);
    assert_string_equal(ids, "e3,e5");
    assert_int_equal(list("{\"resourceNames\": [\"projects/p\"], \"filter\": "
                          "\"logName=\\\"projects/p/logs/cloudaudit."
                          "googleapis.com%2Factivity\\\"\"}",
                          ids, sizeof(ids), NULL, 0, &err), 0);
    assert_string_equal(ids, "e2");
    assert_int_equal(list("{\"resourceNames\": [\"projects/q\"], \"filter\": "
                          "\"logName=\\\"projects/p/logs/cloudaudit."
                          "googleapis.com%2Factivity\\\"\"}",
                          ids, sizeof(ids), NULL, 0, &err), 0);
    assert_string_equal(ids, "");
    assert_int_equal(list("{\"resourceNames\": [\"projects/p\"], \"filter\": "
                          "\"timestamp>=\\\"2026-11-29T12:00:02Z\\\" AND "
                          "timestamp<\\\"2026-11-29T12:00:05Z\\\"\"}",
                          ids, sizeof(ids), NULL, 0, &err), 0);
    assert_string_equal(ids, "e2,e3");
    assert_int_equal(list("{\"resourceNames\": [\"projects/p\"], \"filter\": "
                          "\"\\\"dry run\\\"\"}", ids, sizeof(ids), NULL, 0,
                          &err), 0);
    assert_string_equal(ids, "e1");
    assert_int_equal(list("{\"resourceNames\": [\"projects/none\"]}", ids,
                          sizeof(ids), token, sizeof(token), &err), 0);
    assert_string_equal(ids, "");
    assert_string_equal(token, "");

    /* pages of 2, ascending, across two projects */
    assert_int_equal(list("{\"resourceNames\": [\"projects/p\", "
                          "\"projects/q\"], \"pageSize\": 2}", ids,
                          sizeof(ids), token, sizeof(token), &err), 0);
    assert_string_equal(ids, "e1,e2");
    assert_string_not_equal(token, "");
    snprintf(body, sizeof(body), "{\"resourceNames\": [\"projects/p\", "
             "\"projects/q\"], \"pageSize\": 2, \"pageToken\": \"%s\"}",
             token);
    assert_int_equal(list(body, ids, sizeof(ids), token, sizeof(token),
                          &err), 0);
    assert_string_equal(ids, "e3,e4");
    snprintf(body, sizeof(body), "{\"resourceNames\": [\"projects/p\", "
             "\"projects/q\"], \"pageSize\": 2, \"pageToken\": \"%s\"}",
             token);
    assert_int_equal(list(body, ids, sizeof(ids), token, sizeof(token),
                          &err), 0);
    assert_string_equal(ids, "e5");
    assert_string_equal(token, "");

    /* pages of 2, descending, with a filter */
    assert_int_equal(list("{\"resourceNames\": [\"projects/p\"], "
                          "\"orderBy\": \"timestamp desc\", \"pageSize\": 2, "
                          "\"filter\": \"NOT severity=NOTICE\"}", ids,
                          sizeof(ids), token, sizeof(token), &err), 0);
    assert_string_equal(ids, "e5,e3");
    snprintf(body, sizeof(body), "{\"resourceNames\": [\"projects/p\"], "
             "\"orderBy\": \"timestamp desc\", \"pageSize\": 2, "
             "\"filter\": \"NOT severity=NOTICE\", \"pageToken\": \"%s\"}",
             token);
    assert_int_equal(list(body, ids, sizeof(ids), token, sizeof(token),
                          &err), 0);
    assert_string_equal(ids, "e1");
    assert_string_equal(token, "");

    /* a token of another list: other projects, another filter */
    assert_int_equal(list("{\"resourceNames\": [\"projects/p\"], "
                          "\"pageSize\": 1}", ids, sizeof(ids), token,
                          sizeof(token), &err), 0);
    assert_string_equal(ids, "e1");
    snprintf(body, sizeof(body), "{\"resourceNames\": [\"projects/q\"], "
             "\"pageToken\": \"%s\"}", token);
    assert_int_equal(list(body, ids, sizeof(ids), NULL, 0, &err),
                     VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "pageToken: "));
    assert_non_null(strstr(err.message, "does not belong to this list"));
    snprintf(body, sizeof(body), "{\"resourceNames\": [\"projects/p\"], "
             "\"filter\": \"severity>=ERROR\", \"pageToken\": \"%s\"}",
             token);
    assert_int_equal(list(body, ids, sizeof(ids), NULL, 0, &err),
                     VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "does not belong to this list"));
    /* the same list resumes */
    snprintf(body, sizeof(body), "{\"resourceNames\": [\"projects/p\"], "
             "\"pageSize\": 1, \"pageToken\": \"%s\"}", token);
    assert_int_equal(list(body, ids, sizeof(ids), NULL, 0, &err), 0);
    assert_string_equal(ids, "e2");
    /* forged: the old unsigned format, "a:" and a key; and garbage */
    snprintf(body, sizeof(body), "{\"resourceNames\": [\"projects/p\"], "
             "\"pageToken\": \"%s\"}",
             "YToyMDI2LTExLTI5VDEyOjAwOjAxLjAwMDAwMFovZTE");
    assert_int_equal(list(body, ids, sizeof(ids), NULL, 0, &err),
                     VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "does not belong to this list"));
    assert_int_equal(list("{\"resourceNames\": [\"projects/p\"], "
                          "\"pageToken\": \"garbage!\"}", ids, sizeof(ids),
                          NULL, 0, &err), VOUCH_EINVAL);
    assert_string_equal(err.source, "request body");
    assert_non_null(strstr(err.message, "pageToken: "));

    /* a token from a descending list, used ascending */
    assert_int_equal(list("{\"resourceNames\": [\"projects/p\"], "
                          "\"orderBy\": \"timestamp desc\", \"pageSize\": 1}",
                          ids, sizeof(ids), token, sizeof(token), &err), 0);
    assert_string_equal(ids, "e5");
    snprintf(body, sizeof(body), "{\"resourceNames\": [\"projects/p\"], "
             "\"pageToken\": \"%s\"}", token);
    assert_int_equal(list(body, ids, sizeof(ids), NULL, 0, &err),
                     VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "use the same orderBy"));

    /* a token no list made: base64url of "a:nonsense", unsealed */
    assert_int_equal(list("{\"resourceNames\": [\"projects/p\"], "
                          "\"pageToken\": \"YTpub25zZW5zZQ\"}", ids,
                          sizeof(ids), NULL, 0, &err),
                     VOUCH_EINVAL);
    assert_string_equal(err.source, "request body");
    assert_non_null(strstr(err.message, "pageToken: "));
    assert_non_null(strstr(err.message, "does not belong to this list"));

    for (i = 0; i < 6; i++) {
        json_decref(e[i]);
    }
    vouch_decision_free(deny);
    vouch_decision_free(dry);
}

static void test_audit_store_many_pages(void **state)
{
    json_t *e[250];
    char *ids = malloc(8192);
    char token[256];
    char body[512];
    char ts[32];
    char id[16];
    char want[16];
    vouch_error err = VOUCH_ERROR_INIT;
    size_t seen = 0;
    size_t i;
    int pages = 0;

    (void)state;
    assert_non_null(ids);
    for (i = 0; i < 250; i++) {
        snprintf(ts, sizeof(ts), "2026-11-30T10:%02zu:%02zu.000000Z",
                 (i * 7 % 250) / 60, (i * 7 % 250) % 60);
        snprintf(id, sizeof(id), "m%03zu", i * 7 % 250);
        e[i] = admin_entry("many", ts, id);
    }
    store_entries(e, 250, true);
    token[0] = '\0';
    do {
        char *save = NULL;
        char *tok;

        snprintf(body, sizeof(body), "{\"resourceNames\": [\"projects/many\"],"
                 " \"orderBy\": \"timestamp desc\", \"pageSize\": 40%s%s%s}",
                 token[0] ? ", \"pageToken\": \"" : "", token,
                 token[0] ? "\"" : "");
        assert_int_equal(list(body, ids, 8192, token, sizeof(token), &err),
                         0);
        pages++;
        for (tok = strtok_r(ids, ",", &save); tok != NULL;
             tok = strtok_r(NULL, ",", &save)) {
            snprintf(want, sizeof(want), "m%03zu", 249 - seen);
            assert_string_equal(tok, want);
            seen++;
        }
    } while (token[0] != '\0');
    assert_int_equal(seen, 250);
    assert_int_equal(pages, 7);
    for (i = 0; i < 250; i++) {
        json_decref(e[i]);
    }
    free(ids);
}

/* An admin entry of `project` with its resource.type set to `type`. */
static json_t *typed_entry(const char *project, const char *type,
                           const char *ts, const char *id)
{
    json_t *e = admin_entry(project, ts, id);

    json_object_set_new(json_object_get(e, "resource"), "type",
                        json_string(type));
    return e;
}

/* Follow nextPageToken from `body` (a JSON object without its closing
 * '}') to the end: every insertId in `ids`, the number of requests. */
static int list_to_end(const char *body, char *ids, size_t size)
{
    size_t blen = strlen(body) + 1024;
    char *req = malloc(blen);
    char *page = malloc(size);
    char token[512];
    vouch_error err = VOUCH_ERROR_INIT;
    int pages = 0;

    assert_non_null(req);
    assert_non_null(page);
    ids[0] = '\0';
    token[0] = '\0';
    do {
        snprintf(req, blen, "%s%s%s%s}", body,
                 token[0] ? ", \"pageToken\": \"" : "", token,
                 token[0] ? "\"" : "");
        if (list(req, page, size, token, sizeof(token), &err) != 0) {
            fail_msg("list: %s", err.message);
        }
        pages++;
        if (page[0] != '\0') {
            snprintf(ids + strlen(ids), size - strlen(ids), "%s%s",
                     ids[0] ? "," : "", page);
        }
    } while (token[0] != '\0');
    free(req);
    free(page);
    return pages;
}

/* A filter of nearly `size` bytes: global-search words, OR'd, that
 * match nothing, then `last` OR'd too. The request body's "filter". */
static char *long_filter(const char *last, size_t size)
{
    char *f = malloc(size + 1);
    size_t n = 0;
    unsigned i = 0;

    assert_non_null(f);
    while (n + 32 + strlen(last) < size) {
        n += (size_t)snprintf(f + n, size + 1 - n, "zq%05u OR ", i++);
    }
    snprintf(f + n, size + 1 - n, "%s", last);
    assert_true(strlen(f) > size - 64);
    return f;
}

/*
 * The attack of issue 9, finding 5: a 20 KB filter of OR'd global-search
 * words over 201 entries. Each request reads at most the scan budget's
 * worth of entries (the filter's terms each), and says where to resume;
 * the pages together hold exactly the one match. Without the bound, one
 * request read all 201 entries against every word.
 */
static void test_audit_list_long_filter_is_bounded(void **state)
{
    json_t *e[201];
    char *filter = long_filter("hit150", VOUCH_LOGFILTER_MAX_BYTES);
    char *shorter = long_filter("hit150", VOUCH_LOGFILTER_MAX_BYTES - 64);
    char *body = malloc(strlen(filter) + 256);
    char *ids = malloc(4096);
    vouch_logfilter *parsed = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char ts[32];
    char id[16];
    size_t per_request;
    size_t want;
    size_t i;
    int pages;

    (void)state;
    assert_non_null(body);
    assert_non_null(ids);
    for (i = 0; i < 201; i++) {
        snprintf(ts, sizeof(ts), "2026-12-01T10:%02zu:%02zu.000000Z",
                 i / 60, i % 60);
        snprintf(id, sizeof(id), i == 150 ? "hit%03zu" : "a%03zu", i);
        e[i] = typed_entry(i % 2 ? "atk2" : "atk",
                           i % 3 ? "cloud_run_job" : "k8s_cluster", ts, id);
    }
    store_entries(e, 201, true);
    assert_int_equal(vouch_logfilter_parse(&parsed, filter, strlen(filter),
                                           &err), 0);
    per_request = VOUCH_AUDIT_SCAN_BUDGET /
                  (VOUCH_AUDIT_ENTRY_TERMS + vouch_logfilter_terms(parsed));
    vouch_logfilter_free(parsed);
    want = (201 + per_request - 1) / per_request;

    /* two projects' entries, merged in time order */
    snprintf(body, strlen(filter) + 256, "{\"resourceNames\": "
             "[\"projects/atk2\", \"projects/atk\"], \"filter\": \"%s\"",
             filter);
    pages = list_to_end(body, ids, 4096);
    assert_string_equal(ids, "hit150");
    /* Not one request reading all 201 entries: 16 of at most 13. */
    assert_true(pages > 1);
    assert_int_equal(pages, (int)want);
    assert_true(per_request >= 1 && per_request < 30);
    snprintf(body, strlen(filter) + 256, "{\"resourceNames\": "
             "[\"projects/atk\"], \"orderBy\": \"timestamp desc\", "
             "\"filter\": \"%s\"", filter);
    assert_int_equal(list_to_end(body, ids, 4096),
                     (int)((101 + per_request - 1) / per_request));
    assert_string_equal(ids, "hit150");

    /* Narrowed by an index first, the same words read only what the
     * index gives: the 5 entries of atk in ten seconds, one request. */
    snprintf(body, strlen(filter) + 256, "{\"resourceNames\": "
             "[\"projects/atk\"], \"filter\": \"timestamp>="
             "\\\"2026-12-01T10:02:25Z\\\" timestamp<"
             "\\\"2026-12-01T10:02:35Z\\\" (%s)\"", shorter);
    assert_int_equal(list_to_end(body, ids, 4096), 1);
    assert_string_equal(ids, "hit150");

    /* A usual filter reads the whole log in one request. */
    assert_int_equal(list_to_end("{\"resourceNames\": [\"projects/atk\", "
                                 "\"projects/atk2\"], "
                                 "\"pageSize\": 1000, \"filter\": "
                                 "\"severity>=NOTICE hit150\"",
                                 ids, 4096), 1);
    assert_string_equal(ids, "hit150");
    for (i = 0; i < 201; i++) {
        json_decref(e[i]);
    }
    free(filter);
    free(shorter);
    free(body);
    free(ids);
}

/*
 * The filters an index serves (logName=, resource.type=, timestamp
 * bounds, at the top level) give what the same filter gives without the
 * index: wrapped in NOT NOT, it is tested on every entry. Both orders,
 * pages of 2, two projects.
 */
static void test_audit_list_indexed_filters_match_the_filter(void **state)
{
    static const char *const filters[] = {
        "resource.type=\\\"cloud_run_job\\\"",
        "resource.type=cloud_run_job timestamp>=\\\"2026-12-02T10:00:03Z\\\"",
        "logName=\\\"projects/ix1/logs/cloudaudit.googleapis.com"
            "%2Factivity\\\"",
        "logName=\\\"projects/ix2/logs/cloudaudit.googleapis.com"
            "%2Factivity\\\" timestamp<=\\\"2026-12-02T10:00:05Z\\\"",
        "logName=\\\"projects/elsewhere/logs/x\\\"",
        "timestamp>\\\"2026-12-02T10:00:02.000000Z\\\"",
        "timestamp<\\\"2026-12-02T11:00:06+01:00\\\"",
        "timestamp=\\\"2026-12-02T10:00:04Z\\\"",
        "timestamp>=\\\"2026-12-02T10:00:04.0000001Z\\\"",
        "timestamp>=\\\"2026-12-02T10:00:09Z\\\" "
            "timestamp<\\\"2026-12-02T10:00:01Z\\\"",
        "timestamp>=\\\"0001-01-01T00:00:00Z\\\" "
            "timestamp<=\\\"9999-12-31T23:59:59Z\\\"",
        "resource.type=k8s_cluster resource.type=cloud_run_job",
        "resource.type:job",
    };
    json_t *e[12];
    char body[1024];
    char got[512];
    char want[512];
    char ts[32];
    char id[16];
    size_t i;
    int order;

    (void)state;
    for (i = 0; i < 12; i++) {
        snprintf(ts, sizeof(ts), "2026-12-02T10:00:%02zu.%06zuZ", i / 2,
                 i % 2 * 5);
        snprintf(id, sizeof(id), "ix%02zu", i);
        e[i] = typed_entry(i % 3 ? "ix1" : "ix2",
                           i % 4 ? "cloud_run_job" : "k8s_cluster", ts, id);
    }
    store_entries(e, 12, true);
    for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        for (order = 0; order < 2; order++) {
            const char *ob = order ? "\"orderBy\": \"timestamp desc\", "
                                   : "";

            snprintf(body, sizeof(body), "{\"resourceNames\": "
                     "[\"projects/ix1\", \"projects/ix2\"], %s"
                     "\"pageSize\": 2, \"filter\": \"NOT NOT (%s)\"", ob,
                     filters[i]);
            list_to_end(body, want, sizeof(want));
            snprintf(body, sizeof(body), "{\"resourceNames\": "
                     "[\"projects/ix1\", \"projects/ix2\"], %s"
                     "\"pageSize\": 2, \"filter\": \"%s\"", ob, filters[i]);
            list_to_end(body, got, sizeof(got));
            if (strcmp(got, want) != 0) {
                fail_msg("filter %s (%s): got [%s], want [%s]", filters[i],
                         order ? "desc" : "asc", got, want);
            }
        }
    }
    /* and the expected answers of two of them, spelled out */
    list_to_end("{\"resourceNames\": [\"projects/ix1\", \"projects/ix2\"], "
                "\"filter\": \"resource.type=cloud_run_job "
                "timestamp>=\\\"2026-12-02T10:00:03Z\\\"\"", got,
                sizeof(got));
    assert_string_equal(got, "ix06,ix07,ix09,ix10,ix11");
    list_to_end("{\"resourceNames\": [\"projects/ix1\", \"projects/ix2\"], "
                "\"orderBy\": \"timestamp desc\", \"filter\": "
                "\"timestamp=\\\"2026-12-02T10:00:04Z\\\"\"", got,
                sizeof(got));
    assert_string_equal(got, "ix08");
    for (i = 0; i < 12; i++) {
        json_decref(e[i]);
    }
}

static void test_audit_store_rolls_back_with_the_transaction(void **state)
{
    json_t *e = admin_entry("rb", TS1, "gone");
    char ids[64];
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_store_conn *conn = NULL;

    (void)state;
    store_entries(&e, 1, false);
    assert_int_equal(list("{\"resourceNames\": [\"projects/rb\"]}", ids,
                          sizeof(ids), NULL, 0, &err), 0);
    assert_string_equal(ids, "");
    store_entries(&e, 1, true);
    assert_int_equal(list("{\"resourceNames\": [\"projects/rb\"]}", ids,
                          sizeof(ids), NULL, 0, &err), 0);
    assert_string_equal(ids, "gone");

    /* the same insertId at the same time is a conflict */
    assert_int_equal(vouch_store_acquire(store, &conn, &err), 0);
    assert_int_equal(vouch_store_begin(conn, true, &err), 0);
    assert_int_equal(vouch_audit_store(conn, e, &err),
                     VOUCH_ECONFLICT);
    vouch_store_rollback(conn);
    vouch_store_release(conn);
    json_decref(e);
}

static void test_audit_store_rejects_foreign_entries(void **state)
{
    vouch_store_conn *conn = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *e = admin_entry("p", TS1, "x1");

    (void)state;
    assert_int_equal(vouch_store_acquire(store, &conn, &err), 0);
    assert_int_equal(vouch_store_begin(conn, true, &err), 0);
    json_object_set_new(e, "logName", json_string("organizations/1/logs/x"));
    assert_int_equal(vouch_audit_store(conn, e, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "logName"));
    json_object_set_new(e, "logName", json_string("projects/p/logs/"));
    assert_int_equal(vouch_audit_store(conn, e, &err), VOUCH_EINVAL);
    json_object_set_new(e, "logName", json_string("projects/p/logs/x"));
    json_object_set_new(e, "timestamp", json_string("yesterday"));
    assert_int_equal(vouch_audit_store(conn, e, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "timestamp"));
    json_object_set_new(e, "timestamp", json_string(TS1));
    json_object_del(e, "insertId");
    assert_int_equal(vouch_audit_store(conn, e, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "insertId"));
    assert_int_equal(vouch_audit_store(conn, json_array_get(NULL, 0), &err),
                     VOUCH_EINVAL);
    vouch_store_rollback(conn);
    vouch_store_release(conn);
    json_decref(e);
}

/* ---- sink and queue ---- */

static size_t count_lines(const char *path, const char *must_contain)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    size_t n = 0;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        json_error_t jerr;
        json_t *v = json_loads(line, 0, &jerr);

        assert_non_null(v);
        assert_non_null(strchr(line, '\n'));
        if (must_contain != NULL) {
            assert_non_null(strstr(line, must_contain));
        }
        json_decref(v);
        n++;
    }
    fclose(f);
    return n;
}

/* A unit of work's function: store `payload`'s entries (a NULL-ended
 * array); the last one's failure (a duplicate) rolls the unit back. */
static int record_entries(vsvc_uow *uow, void *payload, vouch_error *err)
{
    json_t **entries = payload;
    int rc = 0;

    for (size_t i = 0; rc == 0 && entries[i] != NULL; i++) {
        rc = vsvc_uow_audit(uow, entries[i], err);
    }
    return rc;
}

static void test_audit_sink_written_after_commit(void **state)
{
    vouch_audit_sink *sink = NULL;
    vouch_store_conn *conn = NULL;
    vsvc_uow *uow = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *a = admin_entry("sink", TS1, "s1");
    json_t *b = admin_entry("sink", TS1, "s2");
    json_t *dup[] = { a, a, NULL };
    json_t *both[] = { a, b, NULL };
    char path[128];

    (void)state;
    snprintf(path, sizeof(path), "%s/audit.jsonl", tmpdir);
    assert_int_equal(vouch_audit_sink_open(&sink, path, &err), 0);
    assert_int_equal(vouch_store_acquire(store, &conn, &err), 0);

    /* rolled back (the second is a duplicate): nothing written */
    assert_int_equal(vsvc_uow_new(&uow, conn, NULL, sink, &err), 0);
    assert_int_equal(vsvc_uow_run(uow, record_entries, dup, &err),
                     VOUCH_ECONFLICT);
    vsvc_uow_free(uow);
    assert_int_equal(count_lines(path, NULL), 0);

    /* committed: written in order, after the commit */
    assert_int_equal(vsvc_uow_new(&uow, conn, NULL, sink, &err), 0);
    assert_int_equal(vsvc_uow_run(uow, record_entries, both, &err), 0);
    vsvc_uow_free(uow);
    assert_int_equal(count_lines(path, "\"insertId\":\"s"), 2);

    /* a unit refuses a connection with a transaction open */
    assert_int_equal(vouch_store_begin(conn, true, &err), 0);
    assert_int_equal(vsvc_uow_new(&uow, conn, NULL, sink, &err),
                     VOUCH_EINVAL);
    assert_null(uow);
    vouch_store_rollback(conn);
    vouch_store_release(conn);
    vouch_audit_sink_close(sink);

    /* reopening appends */
    assert_int_equal(vouch_audit_sink_open(&sink, path, &err), 0);
    assert_int_equal(vouch_audit_sink_write(sink, a, &err), 0);
    assert_int_equal(count_lines(path, NULL), 3);
    assert_int_equal(vouch_audit_sink_write(sink, NULL, &err), VOUCH_EINVAL);
    vouch_audit_sink_close(sink);
    vouch_audit_sink_close(NULL);
    json_decref(a);
    json_decref(b);
}

static void test_audit_sink_open_errors(void **state)
{
    vouch_audit_sink *sink = (vouch_audit_sink *)1;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_audit_sink_open(&sink, "/nonexistent/dir/a.log",
                                           &err), VOUCH_EIO);
    assert_null(sink);
    assert_non_null(strstr(err.message, "cannot open the audit log"));
    assert_string_equal(err.source, "/nonexistent/dir/a.log");
    assert_int_equal(vouch_audit_sink_open(&sink, "", &err), VOUCH_EINVAL);
}

typedef struct writer_arg {
    vouch_audit_sink *sink;
    json_t *entry;
} writer_arg;

static void *writer(void *p)
{
    writer_arg *w = p;
    int i;

    for (i = 0; i < 200; i++) {
        if (vouch_audit_sink_write(w->sink, w->entry, NULL) != 0) {
            return p;
        }
    }
    return NULL;
}

static void test_audit_sink_is_thread_safe(void **state)
{
    vouch_audit_sink *sink = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_decision *d = decision(false, false, false);
    pthread_t threads[4];
    writer_arg args[4];
    char path[128];
    size_t i;
    void *result;

    (void)state;
    snprintf(path, sizeof(path), "%s/threads.jsonl", tmpdir);
    assert_int_equal(vouch_audit_sink_open(&sink, path, &err), 0);
    for (i = 0; i < 4; i++) {
        args[i].sink = sink;
        args[i].entry = run_entry(d, NULL, NULL, NULL);
        assert_int_equal(pthread_create(&threads[i], NULL, writer, &args[i]),
                         0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(threads[i], &result), 0);
        assert_null(result);
        json_decref(args[i].entry);
    }
    vouch_audit_sink_close(sink);
    /* every line whole and valid JSON */
    assert_int_equal(count_lines(path, "ContainerImageUnauthorized"), 800);
    vouch_decision_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_deny_entry_shape),
        cmocka_unit_test(test_audit_dry_run_entry),
        cmocka_unit_test(test_audit_breakglass_entry),
        cmocka_unit_test(test_audit_job_entry),
        cmocka_unit_test(test_audit_generated_ids),
        cmocka_unit_test(test_audit_run_entry_rejects_bad_events),
        cmocka_unit_test(test_audit_admin_entry),
        cmocka_unit_test(test_audit_query_parse),
        cmocka_unit_test(test_audit_query_parse_errors),
        cmocka_unit_test(test_audit_query_parse_size_limit),
        cmocka_unit_test(test_audit_store_list_order_and_pages),
        cmocka_unit_test(test_audit_store_many_pages),
        cmocka_unit_test(test_audit_list_long_filter_is_bounded),
        cmocka_unit_test(test_audit_list_indexed_filters_match_the_filter),
        cmocka_unit_test(test_audit_store_rolls_back_with_the_transaction),
        cmocka_unit_test(test_audit_store_rejects_foreign_entries),
        cmocka_unit_test(test_audit_sink_written_after_commit),
        cmocka_unit_test(test_audit_sink_open_errors),
        cmocka_unit_test(test_audit_sink_is_thread_safe),
    };

    return cmocka_run_group_tests(tests, store_setup, store_teardown);
}
