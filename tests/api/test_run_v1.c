/*
 * Unit tests of the Cloud Run v1 (Knative) shapes: src/api/run_v1_common.c,
 * run_v1_service.c and run_v1_job.c. The handlers are driven end to end
 * by tests/gcloud (the real gcloud) and tests/compat/run_v1.test.mjs.
 *
 *   test_run_v1_host_*     run_v1_location_of_host
 *   test_run_v1_reason     run_v1_reason, run_v1_condition
 *   test_run_v1_service_*  run_v1_service_to_v2, run_v1_service_of
 *   test_run_v1_job_*      run_v1_job_to_v2, run_v1_run_to_v2,
 *                          run_v1_execution_of, run_v1_task_of
 *   test_run_v1_spec_*     run_v1_spec_to_v2, run_v1_spec_of
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "run_v1.h"

static const run_v1_where where = {
    "p", "us-central1", "projects/p/locations/us-central1", NULL,
};

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);

    if (v == NULL) {
        fail_msg("test JSON: %s at %d:%d", jerr.text, jerr.line,
                 jerr.column);
    }
    return v;
}

static void assert_json(const json_t *got, const char *want_text)
{
    json_t *want = load(want_text);

    if (!json_equal((json_t *)got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
        fail_msg("got  %s\nwant %s", g, want_text);
    }
    json_decref(want);
}

static void test_run_v1_host_names_the_location(void **state)
{
    static const char *const cases[][2] = {
        { "us-central1-run.localhost:8080", "us-central1" },
        { "europe-west1-run.example.com", "europe-west1" },
        { "run.localhost:8080", "dflt" },
        { "127.0.0.1:8080", "dflt" },
        { "[::1]:8080", "dflt" },
        { "-run.localhost", "dflt" },
        { "Europe-run.localhost", "dflt" },
        { "us_1-run.localhost", "dflt" },
        { "us-central1-runx.localhost", "dflt" },
        { "", "dflt" },
    };
    char out[64];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_v1_location_of_host(cases[i][0], "dflt", out, sizeof(out));
        assert_string_equal(out, cases[i][1]);
    }
    run_v1_location_of_host(NULL, NULL, out, sizeof(out));
    assert_string_equal(out, "us-central1");
}

static void test_run_v1_reason(void **state)
{
    char out[64];
    json_t *c;

    (void)state;
    run_v1_reason("CONTAINER_IMAGE_UNAUTHORIZED", out, sizeof(out));
    assert_string_equal(out, "ContainerImageUnauthorized");
    run_v1_reason("ERROR", out, sizeof(out));
    assert_string_equal(out, "Error");
    json_t *c2 = load("{\"type\":\"Ready\",\"state\":"
                      "\"CONDITION_FAILED\",\"revisionReason\":"
                      "\"CONTAINER_MISSING\",\"message\":\"m\","
                      "\"severity\":\"ERROR\","
                      "\"lastTransitionTime\":\"t\"}");
    c = run_v1_condition(c2, "RoutesReady");
    json_decref(c2);
    assert_json(c, "{\"type\":\"RoutesReady\",\"status\":\"False\","
                   "\"reason\":\"ContainerMissing\",\"message\":\"m\","
                   "\"severity\":\"Error\",\"lastTransitionTime\":\"t\"}");
    json_decref(c);
}

/* What gcloud 528 sends to create a service (observed). */
static const char gcloud_create[] =
    "{\"apiVersion\": \"serving.knative.dev/v1\", \"kind\": \"Service\","
    " \"metadata\": {\"annotations\": {"
    "\"run.googleapis.com/binary-authorization\": \"default\","
    " \"run.googleapis.com/binary-authorization-breakglass\": \"i 42\","
    " \"run.googleapis.com/client-name\": \"gcloud\","
    " \"run.googleapis.com/client-version\": \"528.0.0\"},"
    " \"labels\": {}, \"name\": \"web\", \"namespace\": \"p\"},"
    " \"spec\": {\"template\": {\"metadata\": {\"annotations\": {"
    "\"run.googleapis.com/client-name\": \"gcloud\","
    " \"run.googleapis.com/startup-cpu-boost\": \"True\"},"
    " \"labels\": {\"client.knative.dev/nonce\": \"abcdefghij\"}},"
    " \"spec\": {\"containers\": [{\"image\": \"gcr.io/p/app:v1\","
    " \"name\": \"\"}], \"nodeSelector\": {}}}},"
    " \"status\": {\"address\": {}}}";

static void test_run_v1_service_from_gcloud(void **state)
{
    json_t *in = load(gcloud_create);
    json_t *out = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char id[64];

    (void)state;
    assert_int_equal(run_v1_service_to_v2(in, &where, NULL, id, sizeof(id),
                                          &out, &err),
                     0);
    assert_string_equal(id, "web");
    assert_json(out,
                "{\"binaryAuthorization\":{\"useDefault\":true,"
                "\"breakglassJustification\":\"i 42\"},"
                "\"client\":\"gcloud\",\"clientVersion\":\"528.0.0\","
                "\"template\":{\"labels\":{\"client.knative.dev/nonce\":"
                "\"abcdefghij\"},\"annotations\":{"
                "\"run.googleapis.com/client-name\":\"gcloud\","
                "\"run.googleapis.com/startup-cpu-boost\":\"True\"},"
                "\"containers\":[{\"image\":\"gcr.io/p/app:v1\"}]}}");
    json_decref(out);
    json_decref(in);
}

/* The stored v2 service of a denied second deploy, as the platform keeps
 * it. */
static const char stored_denied[] =
    "{\"name\":\"projects/p/locations/us-central1/services/web\","
    "\"uid\":\"u1\",\"generation\":2,\"observedGeneration\":2,"
    "\"etag\":\"e2\",\"createTime\":\"c\",\"labels\":{\"team\":\"a\"},"
    "\"binaryAuthorization\":{\"useDefault\":true},"
    "\"ingress\":\"INGRESS_TRAFFIC_INTERNAL_ONLY\","
    "\"template\":{\"revision\":\"web-00002-abc\","
    "\"scaling\":{\"maxInstanceCount\":5},\"timeout\":\"300s\","
    "\"containers\":[{\"image\":\"gcr.io/p/app:v2\"}]},"
    "\"traffic\":[{\"type\":\"TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST\","
    "\"percent\":90},{\"type\":"
    "\"TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION\",\"revision\":"
    "\"web-00001-xyz\",\"percent\":10,\"tag\":\"old\"}],"
    "\"trafficStatuses\":[{\"type\":"
    "\"TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST\",\"revision\":"
    "\"web-00001-xyz\",\"percent\":90}],"
    "\"latestReadyRevision\":"
    "\"projects/p/locations/us-central1/services/web/revisions/"
    "web-00001-xyz\",\"latestCreatedRevision\":"
    "\"projects/p/locations/us-central1/services/web/revisions/"
    "web-00002-abc\",\"uri\":\"https://web-x.run\","
    "\"terminalCondition\":{\"type\":\"Ready\",\"state\":"
    "\"CONDITION_FAILED\",\"reason\":\"CONTAINER_IMAGE_UNAUTHORIZED\","
    "\"message\":\"Revision 'web-00002-abc' uses an unauthorized "
    "container image.\",\"severity\":\"ERROR\"}}";

static void test_run_v1_service_of_a_denial(void **state)
{
    json_t *svc = load(stored_denied);
    json_t *v1 = run_v1_service_of(svc, &where);
    json_t *back = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char id[64];

    (void)state;
    assert_non_null(v1);
    json_t *meta = json_object_get(v1, "metadata");
    assert_json(meta, "{\"name\":\"web\",\"namespace\":\"p\",\"uid\":\"u1\","
                      "\"generation\":2,\"resourceVersion\":\"e2\","
                      "\"creationTimestamp\":\"c\",\"labels\":{\"team\":"
                      "\"a\",\"cloud.googleapis.com/location\":"
                      "\"us-central1\"},\"annotations\":{"
                      "\"run.googleapis.com/binary-authorization\":"
                      "\"default\",\"run.googleapis.com/ingress\":"
                      "\"internal\",\"run.googleapis.com/ingress-status\":"
                      "\"internal\"}}");
    json_t *status = json_object_get(v1, "status");
    assert_int_equal(json_integer_value(json_object_get(
                         status, "observedGeneration")),
                     2);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(status, "conditions"), i, c) {
        /* Every condition carries the full reason gcloud prints. */
        assert_string_equal(json_string_value(json_object_get(c, "status")),
                            "False");
        assert_string_equal(json_string_value(json_object_get(c, "reason")),
                            "ContainerImageUnauthorized");
        assert_non_null(strstr(json_string_value(json_object_get(
                                   c, "message")),
                               "unauthorized container image"));
    }
    assert_int_equal(i, 3);
    assert_json(json_object_get(status, "traffic"),
                "[{\"revisionName\":\"web-00001-xyz\",\"percent\":90,"
                "\"latestRevision\":true}]");
    assert_string_equal(json_string_value(json_object_get(
                            status, "latestCreatedRevisionName")),
                        "web-00002-abc");
    assert_json(json_object_get(json_object_get(v1, "spec"), "traffic"),
                "[{\"percent\":90,\"latestRevision\":true},"
                "{\"percent\":10,\"latestRevision\":false,\"revisionName\":"
                "\"web-00001-xyz\",\"tag\":\"old\",\"url\":"
                "\"https://old---web-x.run\"}]");

    /* gcloud sends it all back: the same v2 fields, the etag as sent. */
    assert_int_equal(run_v1_service_to_v2(v1, &where, "web", id, sizeof(id),
                                          &back, &err),
                     0);
    static const char *const keys[] = {
        "template", "traffic", "labels", "binaryAuthorization", "ingress",
    };
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        assert_true(json_equal(json_object_get(svc, keys[k]),
                               json_object_get(back, keys[k])));
    }
    assert_string_equal(json_string_value(json_object_get(back, "etag")),
                        "e2");
    assert_null(json_object_get(back, "annotations"));
    json_decref(back);
    json_decref(v1);
    json_decref(svc);
}

typedef struct bad_body {
    const char *body;
    const char *url_id;
    const char *words;
} bad_body;

static void test_run_v1_service_errors_name_the_v1_field(void **state)
{
    static const bad_body cases[] = {
        { "{\"metadata\":{\"name\":\"w\",\"annotations\":{"
          "\"run.googleapis.com/binary-authorization-breakglass\":\"x\"}},"
          "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"image\":"
          "\"a\"}]}}}}",
          NULL, "metadata.annotations['run.googleapis.com/"
                "binary-authorization-breakglass']: breakglass needs" },
        { "{\"metadata\":{\"name\":\"w\",\"annotations\":{"
          "\"run.googleapis.com/binary-authorization\":\"projects/p/x\"}},"
          "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"image\":"
          "\"a\"}]}}}}",
          NULL, "only 'default'" },
        { "{\"metadata\":{\"name\":\"other\"},\"spec\":{\"template\":{"
          "\"spec\":{\"containers\":[{\"image\":\"a\"}]}}}}",
          "w", "metadata.name: 'other' does not match the name in the URL" },
        { "{\"metadata\":{\"name\":\"w\",\"namespace\":\"q\"},\"spec\":{"
          "\"template\":{\"spec\":{\"containers\":[{\"image\":\"a\"}]}}}}",
          NULL, "metadata.namespace: 'q' is not the project" },
        { "{\"metadata\":{\"name\":\"w\",\"labels\":{"
          "\"cloud.googleapis.com/location\":\"asia-east1\"}},\"spec\":{"
          "\"template\":{\"spec\":{\"containers\":[{\"image\":\"a\"}]}}}}",
          NULL, "is not the location of this request (us-central1)" },
        { "{\"metadata\":{\"name\":\"w\"},\"spec\":{\"template\":{\"spec\":"
          "{\"containers\":[{\"image\":\"a\",\"env\":[{\"name\":\"S\","
          "\"valueFrom\":{}}]}]}}}}",
          NULL, "spec.template.spec.containers[0].env[0].valueFrom" },
        { "{\"metadata\":{\"name\":\"w\"},\"spec\":{\"template\":{\"spec\":"
          "{\"containers\":[]}}}}",
          NULL, "spec.template.spec.containers: required" },
        { "{\"metadata\":{\"name\":\"w\"},\"spec\":{\"template\":{\"spec\":"
          "{\"containers\":[{\"image\":\"a\"}],\"timeoutSeconds\":\"9x\"}}}}",
          NULL, "spec.template.spec.timeoutSeconds: expected a whole" },
        { "{\"metadata\":{\"name\":\"w\"},\"spec\":{\"template\":{\"spec\":"
          "{\"containers\":[{\"image\":\"a\"}]}},\"traffic\":[{\"percent\":"
          "100}]}}",
          NULL, "spec.traffic[0]: set exactly one of revisionName" },
        { "{\"metadata\":{\"name\":\"w\"},\"spec\":{\"template\":{},"
          "\"foo\":1}}",
          NULL, "spec.foo: unknown field" },
        { "{\"kind\":\"Job\",\"metadata\":{\"name\":\"w\"},\"spec\":{}}",
          NULL, "kind: expected Service" },
        { "{\"metadata\":{\"name\":\"w\"},\"spec\":{}}",
          NULL, "spec.template: required, a RevisionTemplate with containers" },
        { "{\"metadata\":{\"name\":\"w\"},\"spec\":{\"template\":{\"spec\":"
          "{\"containers\":[{\"image\":\"a\"}]},\"foo\":1}}}",
          NULL, "spec.template.foo: unknown field" },
        { "{\"bogus\":1,\"metadata\":{\"name\":\"w\"},\"spec\":{}}",
          NULL, "bogus: unknown field" },
        { "{\"metadata\":{},\"spec\":{\"template\":{\"spec\":{"
          "\"containers\":[{\"image\":\"a\"}]}}}}",
          NULL, "metadata.name: required" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *in = load(cases[i].body);
        json_t *out = NULL;
        vouch_error err = VOUCH_ERROR_INIT;
        char id[64];
        int rc = run_v1_service_to_v2(in, &where, cases[i].url_id, id,
                                      sizeof(id), &out, &err);
        if (rc != VOUCH_EINVAL || strstr(err.message, cases[i].words) ==
                                      NULL) {
            fail_msg("case %zu: rc %d '%s'", i, rc, err.message);
        }
        assert_null(out);
        json_decref(in);
    }
}

/* What a RevisionSpec and a TaskSpec share, each under its own path and
 * bounds: a spec in, its v2 template (and the same spec back) or the
 * error message. */
static void test_run_v1_spec_fields_both_ways(void **state)
{
    static const run_v1_spec_kind revision = {
        "spec.template.spec", "containerConcurrency",
        "maxInstanceRequestConcurrency", 1000, 3600,
    };
    static const run_v1_spec_kind task = {
        "spec.template.spec.template.spec", "maxRetries", "maxRetries", 10,
        7 * 24 * 3600,
    };
    static const struct {
        const run_v1_spec_kind *kind;
        const char *spec;
        const char *want;
    } cases[] = {
        { &revision,
          "{\"containers\":[{\"image\":\"a\"}],\"containerConcurrency\":80,"
          "\"timeoutSeconds\":600,\"serviceAccountName\":\"sa@p.iam\","
          "\"volumes\":[{\"name\":\"v\"}]}",
          "{\"containers\":[{\"image\":\"a\"}],"
          "\"maxInstanceRequestConcurrency\":80,\"timeout\":\"600s\","
          "\"serviceAccount\":\"sa@p.iam\",\"volumes\":[{\"name\":\"v\"}]}" },
        { &revision,
          "{\"containers\":[{\"image\":\"a\"}],\"timeoutSeconds\":7200}",
          "spec.template.spec.timeoutSeconds: expected a whole number "
          "from 1 to 3600" },
        { &task,
          "{\"containers\":[{\"image\":\"a\"}],\"timeoutSeconds\":7200}",
          "{\"containers\":[{\"image\":\"a\"}],\"timeout\":\"7200s\"}" },
        { &task, "{\"containers\":[{\"image\":\"a\"}],\"maxRetries\":11}",
          "spec.template.spec.template.spec.maxRetries: expected a whole "
          "number from 0 to 10" },
        { &task,
          "{\"containers\":[{\"image\":\"a\"}],\"serviceAccountName\":7}",
          "spec.template.spec.template.spec.serviceAccountName: expected "
          "a string" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *spec = load(cases[i].spec);
        json_t *t2 = json_object();
        vouch_error err = VOUCH_ERROR_INIT;
        int rc = run_v1_spec_to_v2(spec, cases[i].kind, t2, &err);

        if (cases[i].want[0] == '{') {
            assert_int_equal(rc, 0);
            assert_json(t2, cases[i].want);
            json_t *back = run_v1_spec_of(t2, cases[i].kind);
            assert_json(back, cases[i].spec);
            json_decref(back);
        } else {
            assert_int_equal(rc, VOUCH_EINVAL);
            assert_string_equal(err.message, cases[i].want);
        }
        json_decref(t2);
        json_decref(spec);
    }
}

static void test_run_v1_job_and_run_bodies(void **state)
{
    json_t *in = load(
        "{\"apiVersion\":\"run.googleapis.com/v1\",\"kind\":\"Job\","
        "\"metadata\":{\"name\":\"batch\",\"namespace\":\"p\","
        "\"annotations\":{\"run.googleapis.com/binary-authorization\":"
        "\"default\"}},\"spec\":{\"template\":{\"metadata\":{\"labels\":{"
        "\"client.knative.dev/nonce\":\"xxx_xxx_xxx\"}},\"spec\":{"
        "\"taskCount\":\"2\",\"template\":{\"spec\":{\"containers\":[{"
        "\"image\":\"gcr.io/p/j:v1\",\"name\":\"\"}],\"timeoutSeconds\":"
        "\"600\",\"maxRetries\":3,\"nodeSelector\":{}}}}}},\"status\":{}}");
    json_t *out = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char id[64];

    (void)state;
    assert_int_equal(run_v1_job_to_v2(in, &where, "batch", id, sizeof(id),
                                      &out, &err),
                     0);
    assert_json(out, "{\"binaryAuthorization\":{\"useDefault\":true},"
                     "\"template\":{\"labels\":{\"client.knative.dev/nonce\":"
                     "\"xxx_xxx_xxx\"},\"taskCount\":2,\"template\":{"
                     "\"containers\":[{\"image\":\"gcr.io/p/j:v1\"}],"
                     "\"maxRetries\":3,\"timeout\":\"600s\"}}}");
    json_decref(out);
    json_decref(in);

    in = load("{\"overrides\":{\"containerOverrides\":[{\"args\":[\"x\"]}],"
              "\"taskCount\":3,\"timeoutSeconds\":\"30\"}}");
    assert_int_equal(run_v1_run_to_v2(in, &out, &err), 0);
    assert_json(out, "{\"overrides\":{\"containerOverrides\":[{\"args\":"
                     "[\"x\"]}],\"taskCount\":3,\"timeout\":\"30s\"}}");
    json_decref(out);
    json_decref(in);
    in = load("{\"overrides\":{\"image\":\"x\"}}");
    assert_int_equal(run_v1_run_to_v2(in, &out, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "overrides.image: unknown field"));
    json_decref(in);
    in = load("{\"metadata\":{\"name\":\"batch\"},\"spec\":{}}");
    assert_int_equal(run_v1_job_to_v2(in, &where, "batch", id, sizeof(id),
                                      &out, &err),
                     VOUCH_EINVAL);
    assert_string_equal(err.message,
                        "spec.template: required, an ExecutionTemplateSpec");
    json_decref(in);
}

static void test_run_v1_execution_and_tasks(void **state)
{
    json_t *ex = load(
        "{\"name\":\"projects/p/locations/us-central1/jobs/batch/"
        "executions/batch-abc12\",\"job\":\"batch\",\"generation\":1,"
        "\"observedGeneration\":1,\"taskCount\":4,\"succeededCount\":1,"
        "\"failedCount\":1,\"runningCount\":1,\"startTime\":\"s\","
        "\"template\":{\"containers\":[{\"image\":\"i@sha256:00\"}],"
        "\"timeout\":\"60s\"},\"conditions\":[{\"type\":\"Completed\","
        "\"state\":\"CONDITION_PENDING\"}]}");
    static const char *const states[] = {
        "Succeeded", "Failed", "Running", "Pending",
    };
    json_t *v1 = run_v1_execution_of(ex, &where);

    (void)state;
    assert_string_equal(json_string_value(json_object_get(json_object_get(
                            json_object_get(v1, "metadata"), "labels"),
                            "run.googleapis.com/job")),
                        "batch");
    assert_json(json_object_get(json_object_get(v1, "status"),
                                "conditions"),
                "[{\"type\":\"Completed\",\"status\":\"Unknown\"}]");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(json_object_get(
                                             v1, "spec"), "template"),
                                         "spec"), "timeoutSeconds")),
                     60);
    json_decref(v1);
    for (int i = 0; i < 4; i++) {
        json_t *t = run_v1_task_of(ex, i, &where);
        json_t *labels = json_object_get(json_object_get(t, "metadata"),
                                         "labels");
        assert_string_equal(json_string_value(json_object_get(
                                labels, "run.googleapis.com/runningState")),
                            states[i]);
        assert_int_equal(json_integer_value(json_object_get(
                             json_object_get(t, "status"), "index")),
                         i);
        json_decref(t);
    }
    json_decref(ex);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_v1_host_names_the_location),
        cmocka_unit_test(test_run_v1_reason),
        cmocka_unit_test(test_run_v1_service_from_gcloud),
        cmocka_unit_test(test_run_v1_service_of_a_denial),
        cmocka_unit_test(test_run_v1_service_errors_name_the_v1_field),
        cmocka_unit_test(test_run_v1_spec_fields_both_ways),
        cmocka_unit_test(test_run_v1_job_and_run_bodies),
        cmocka_unit_test(test_run_v1_execution_and_tasks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
