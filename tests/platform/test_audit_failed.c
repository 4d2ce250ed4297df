/*
 * Tests of src/service/audit_failed.c: the audit entry of a deploy or an
 * execution whose check could not be made (an image not resolved), its
 * shape, the filters that find it, and the events it refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit.h"
#include "logfilter.h"

#define MSG "Revision 'web-00002-abc' could not be checked against the " \
    "Binary Authorization policy. Container image " \
    "'127.0.0.1:5000/team/app:v2' could not be resolved to a digest: " \
    "registry 127.0.0.1:5000 unreachable for manifests/v2 of team/app."

static const json_t *at(const json_t *v, const char *path)
{
    char buf[256];
    char *save = NULL;
    char *seg;

    snprintf(buf, sizeof(buf), "%s", path);
    for (seg = strtok_r(buf, ".", &save); seg != NULL && v != NULL;
         seg = strtok_r(NULL, ".", &save)) {
        v = json_is_array(v) ? json_array_get(v, (size_t)atoi(seg))
                             : json_object_get(v, seg);
    }
    return v;
}

static const char *str(const json_t *v, const char *path)
{
    return json_string_value(at(v, path));
}

static bool matches(const json_t *entry, const char *text)
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

static vouch_audit_run_event revision_event(void)
{
    vouch_audit_run_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.project = "p";
    ev.location = "us-central1";
    ev.service = "web";
    ev.revision = "web-00002-abc";
    ev.method_name = "google.cloud.run.v2.Services.UpdateService";
    return ev;
}

static void test_failed_entry_shape(void **state)
{
    vouch_audit_run_event ev = revision_event();
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *e = NULL;

    (void)state;
    assert_int_equal(vouch_audit_run_failed_entry(&e, &ev, VOUCH_EIO, MSG,
                                                  &err), 0);
    assert_string_equal(str(e, "logName"), "projects/p/logs/"
                        "cloudaudit.googleapis.com%2Fsystem_event");
    assert_string_equal(str(e, "severity"), "ERROR");
    assert_string_equal(str(e, "resource.type"), "cloud_run_revision");
    assert_string_equal(str(e, "resource.labels.revision_name"),
                        "web-00002-abc");
    assert_string_equal(str(e, "protoPayload.resourceName"),
                        "projects/p/locations/us-central1/services/web/"
                        "revisions/web-00002-abc");
    assert_int_equal(json_integer_value(at(e, "protoPayload.status.code")),
                     14);
    assert_string_equal(str(e, "protoPayload.status.message"), MSG);
    assert_string_equal(str(e, "protoPayload.response.status.conditions.0."
                               "reason"),
                        "ContainerImageAuthorizationCheckFailed");
    assert_string_equal(str(e, "protoPayload.response.status.conditions.0."
                               "status"), "False");
    assert_null(at(e, "protoPayload.metadata"));
    assert_true(matches(e, "labels.\"binaryauthorization.googleapis.com/"
                           "decision\"=\"CHECK_FAILED\""));
    assert_true(matches(e, "protoPayload.response.status.conditions.reason="
                           "\"ContainerImageAuthorizationCheckFailed\""));
    assert_true(matches(e, "\"registry 127.0.0.1:5000\""));
    /* Not a deny: the "blocked" filter of denied deploys does not list
     * it. */
    assert_false(matches(e, "protoPayload.response.status.conditions.reason="
                            "\"ContainerImageUnauthorized\""));
    json_decref(e);

    /* A tag the registry does not know: FAILED_PRECONDITION. */
    assert_int_equal(vouch_audit_run_failed_entry(&e, &ev,
                                                  VOUCH_EPRECONDITION, MSG,
                                                  &err), 0);
    assert_int_equal(json_integer_value(at(e, "protoPayload.status.code")),
                     9);
    json_decref(e);
}

static void test_failed_entry_of_an_execution(void **state)
{
    vouch_audit_run_event ev;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *e = NULL;

    (void)state;
    memset(&ev, 0, sizeof(ev));
    ev.project = "p";
    ev.location = "l";
    ev.job = "nightly";
    ev.execution = "nightly-abc12";
    ev.method_name = "google.cloud.run.v2.Jobs.RunJob";
    assert_int_equal(vouch_audit_run_failed_entry(&e, &ev, VOUCH_EIO, "x",
                                                  &err), 0);
    assert_string_equal(str(e, "resource.type"), "cloud_run_job");
    assert_string_equal(str(e, "protoPayload.response.kind"), "Execution");
    assert_string_equal(str(e, "protoPayload.resourceName"),
                        "projects/p/locations/l/jobs/nightly/executions/"
                        "nightly-abc12");
    json_decref(e);
}

static void expect_error(const vouch_audit_run_event *ev, int code,
                         const char *msg, const char *want)
{
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *e = NULL;

    assert_int_equal(vouch_audit_run_failed_entry(&e, ev, code, msg, &err),
                     VOUCH_EINVAL);
    assert_null(e);
    assert_non_null(strstr(err.message, want));
}

static void test_failed_entry_rejects_bad_events(void **state)
{
    vouch_audit_run_event good = revision_event();
    vouch_audit_run_event ev;

    (void)state;
    expect_error(NULL, VOUCH_EIO, MSG, "event: required");
    ev = good; ev.project = NULL;
    expect_error(&ev, VOUCH_EIO, MSG, "project: required");
    ev = good; ev.revision = NULL;
    expect_error(&ev, VOUCH_EIO, MSG, "revision: required");
    ev = good; ev.job = "j";
    expect_error(&ev, VOUCH_EIO, MSG, "a job or a revision, not both");
    expect_error(&good, VOUCH_EIO, NULL, "message: required");
    expect_error(&good, VOUCH_EIO, "", "message: required");
    expect_error(&good, 0, MSG, "code: a failure's vouch code");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failed_entry_shape),
        cmocka_unit_test(test_failed_entry_of_an_execution),
        cmocka_unit_test(test_failed_entry_rejects_bad_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
