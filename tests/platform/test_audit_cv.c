/*
 * Tests of src/service/audit_cv.c: the entry of a continuous-validation
 * finding takes its head (timestamp, insertId, logName) and its resource
 * and name (a revision's or a job's) from the helpers the enforcement
 * entries use (audit.c); these pin what a finding's entry says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "audit.h"

#define TS1 "2026-11-29T12:00:00.000001Z"

/* The text of entry[key] or, with `sub`, of entry[key][sub]. */
static const char *text_of(const json_t *entry, const char *key,
                           const char *sub)
{
    const json_t *v = json_object_get(entry, key);

    return json_string_value(sub != NULL ? json_object_get(v, sub) : v);
}

static void test_cv_entry_names_its_revision_or_job(void **state)
{
    vouch_audit_cv_event ev = {
        .project = "p", .location = "us-central1", .service = "web",
        .revision = "web-00002-abc", .description = "could not be resolved",
        .timestamp = TS1, .insert_id = "cv1",
    };
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *e = NULL;
    const json_t *labels;

    (void)state;
    assert_int_equal(vouch_audit_cv_entry(&e, &ev, &err), 0);
    assert_string_equal(text_of(e, "insertId", NULL), "cv1");
    assert_string_equal(text_of(e, "timestamp", NULL), TS1);
    assert_string_equal(text_of(e, "receiveTimestamp", NULL), TS1);
    assert_string_equal(text_of(e, "logName", NULL), "projects/p/logs/"
                        VOUCH_AUDIT_LOG_CONTINUOUS_VALIDATION);
    assert_string_equal(text_of(e, "resource", "type"),
                        "cloud_run_revision");
    labels = json_object_get(json_object_get(e, "resource"), "labels");
    assert_int_equal(json_object_size(labels), 5);
    assert_string_equal(text_of(labels, "service_name", NULL), "web");
    assert_string_equal(text_of(labels, "revision_name", NULL),
                        "web-00002-abc");
    assert_string_equal(text_of(labels, "configuration_name", NULL), "web");
    assert_string_equal(text_of(json_object_get(e, "jsonPayload"),
                                "runEvent", "resource"),
                        "projects/p/locations/us-central1/services/web/"
                        "revisions/web-00002-abc");
    json_decref(e);

    ev.service = NULL;
    ev.revision = NULL;
    ev.job = "nightly";
    assert_int_equal(vouch_audit_cv_entry(&e, &ev, &err), 0);
    assert_string_equal(text_of(e, "resource", "type"), "cloud_run_job");
    labels = json_object_get(json_object_get(e, "resource"), "labels");
    assert_int_equal(json_object_size(labels), 3);
    assert_string_equal(text_of(labels, "job_name", NULL), "nightly");
    assert_string_equal(text_of(json_object_get(e, "jsonPayload"),
                                "runEvent", "resource"),
                        "projects/p/locations/us-central1/jobs/nightly");
    json_decref(e);

    ev.timestamp = "2026-11-29T12:00:00Z";
    assert_int_equal(vouch_audit_cv_entry(&e, &ev, &err), VOUCH_EINVAL);
    assert_null(e);
    assert_non_null(strstr(err.message, "timestamp: expected RFC 3339"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cv_entry_names_its_revision_or_job),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
