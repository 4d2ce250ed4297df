/*
 * Tests of src/platform/ (platform.h) against a real SQLite store and a
 * real docker-registry started by tests/registry/harness.py
 * (VOUCH_REG_ANON holds team/app:1.0; VOUCH_REG_PUSH re-pushes a tag;
 * VOUCH_REG_DEAD is a port where nothing listens).
 *
 * Sections:
 *   services     create/update/delete, revisions, digests pinned, traffic
 *   enforcement  deny, dry run, breakglass, off, named policy, registry
 *                failure, re-check on a traffic change, tag re-push
 *   jobs         create succeeds whatever the images; executions checked
 *   org policy   run.allowedBinaryAuthorizationPolicies
 *   runtime      exec driver: exit status, cancel
 *   invalid      every refused request names the field
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "platform.h"

#define P "p1"
#define L "us-central1"

typedef struct fixture {
    char dir[64];
    vouch_store *store;
    vouch_registry *registry;
    vouch_platform *platform;
    vouch_store_conn *conn;
    vouch_platform_ctx ctx;
    char image[256];        /* ANON/team/app:1.0 */
} fixture;

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v != NULL ? v : "";
}

/* A connection for the next calls. The platform runs each change as one
 * unit of work with its own transaction (resolve first, then write), so
 * none is open here. */
static void begin(fixture *f)
{
    vouch_error err = VOUCH_ERROR_INIT;
    assert_int_equal(vouch_store_acquire(f->store, &f->conn, &err), 0);
    memset(&f->ctx, 0, sizeof(f->ctx));
    f->ctx.platform = f->platform;
    f->ctx.conn = f->conn;
}

static void commit(fixture *f)
{
    vouch_store_release(f->conn);
    f->conn = NULL;
}

static int setup_with(void **state, vouch_runtime_kind kind,
                      const char *command)
{
    fixture *f = calloc(1, sizeof(*f));
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_platform_options po = VOUCH_PLATFORM_OPTIONS_INIT;
    char url[128];

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/vouch-platform-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(url, sizeof(url), "sqlite:%s/store.db", f->dir);
    assert_int_equal(vouch_store_open(&f->store, url, 4, &err), 0);
    {
        /* the harness's registries are on loopback: listed, as an
         * operator lists them with --registry-insecure */
        vouch_registry_options ro = VOUCH_REGISTRY_OPTIONS_INIT;
        const char *insecure[] = { env("VOUCH_REG_ANON"),
                                   env("VOUCH_REG_DEAD"), NULL };
        ro.insecure_hosts = insecure;
        assert_int_equal(vouch_registry_new(&f->registry, &ro, &err), 0);
    }
    po.store = f->store;
    po.registry = f->registry;
    po.runtime = kind;
    po.runtime_command = command;
    assert_int_equal(vouch_platform_new(&f->platform, &po, &err), 0);
    snprintf(f->image, sizeof(f->image), "%s/team/app:1.0",
             env("VOUCH_REG_ANON"));
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, VOUCH_RUNTIME_NONE, NULL);
}

static int setup_exec(void **state)
{
    return setup_with(state, VOUCH_RUNTIME_EXEC,
                      "sleep 1; echo {image} >/dev/null; exit 3");
}

static int setup_exec_long(void **state)
{
    return setup_with(state, VOUCH_RUNTIME_EXEC, "sleep 30 # {execution}");
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];

    vouch_platform_free(f->platform);
    vouch_registry_free(f->registry);
    vouch_store_close(f->store);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void set_policy(fixture *f, const char *mode, const char *enforce)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r;
    char json[512];

    snprintf(json, sizeof(json),
             "{\"name\":\"projects/" P "/policy\","
             "\"globalPolicyEvaluationMode\":\"DISABLE\","
             "\"defaultAdmissionRule\":{\"evaluationMode\":\"%s\","
             "\"enforcementMode\":\"%s\"}}",
             mode, enforce);
    memset(&r, 0, sizeof(r));
    r.kind = "policy";
    r.name = "projects/" P "/policy";
    r.parent = "projects/" P;
    r.json = json;
    r.etag = "e1";
    r.create_time = "2026-01-01T00:00:00.000000Z";
    r.update_time = r.create_time;
    begin(f);
    assert_int_equal(vouch_store_replace(f->conn, &r, NULL, true, &err), 0);
    commit(f);
}

static size_t count_kind(fixture *f, const char *kind)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource_query q;
    vouch_resource_page page;
    size_t n;

    memset(&q, 0, sizeof(q));
    memset(&page, 0, sizeof(page));
    q.kind = kind;
    q.page_size = 1000;
    begin(f);
    assert_int_equal(vouch_store_list(f->conn, &q, &page, &err), 0);
    n = page.count;
    vouch_resource_page_clear(&page);
    commit(f);
    return n;
}

/* The id at the end of a resource name ("web-00001-abc"). */
static const char *rev_id(const char *name)
{
    const char *slash = name != NULL ? strrchr(name, '/') : NULL;

    return slash != NULL ? slash + 1 : name;
}

static json_t *load(fixture *f, const char *kind, const char *name)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r;
    json_t *j;

    begin(f);
    assert_int_equal(vouch_platform_get(&f->ctx, kind, name, &r, &err), 0);
    j = json_loads(r.json, 0, NULL);
    assert_non_null(j);
    vouch_resource_clear(&r);
    commit(f);
    return j;
}

/* A Service body with one container image and a binaryAuthorization. */
/* noinline: gcc 12 reports a false -Wdangling-pointer when inlined. */
static __attribute__((noinline)) char *service_body(const char *image, const char *ba)
{
    char *out = NULL;
    int n = asprintf(&out,
                     "{\"template\":{\"containers\":[{\"image\":\"%s\","
                     "\"args\":[\"-v\"],\"env\":[{\"name\":\"A\","
                     "\"value\":\"1\"}]}]}%s%s}",
                     image, ba != NULL ? ",\"binaryAuthorization\":" : "",
                     ba != NULL ? ba : "");
    assert_true(n > 0);
    return out;
}

static json_t *create_service(fixture *f, const char *id, const char *image,
                              const char *ba, int expect_rc,
                              vouch_error *err)
{
    char *body = service_body(image, ba);
    json_t *op = NULL;

    begin(f);
    assert_int_equal(vouch_platform_service_create(&f->ctx, P, L, id, body,
                                                   strlen(body), false, &op,
                                                   err),
                     expect_rc);
    commit(f);
    free(body);
    return op;
}

static const char *op_error(const json_t *op)
{
    return json_string_value(json_object_get(json_object_get(op, "error"),
                                             "message"));
}

static json_t *latest_revision(fixture *f, const char *service)
{
    char name[256];
    json_t *svc;
    json_t *rev;

    snprintf(name, sizeof(name), "projects/" P "/locations/" L
             "/services/%s", service);
    svc = load(f, VOUCH_PLATFORM_KIND_SERVICE, name);
    snprintf(name, sizeof(name), "%s",
             json_string_value(json_object_get(svc,
                                               "latestCreatedRevision")));
    json_decref(svc);
    rev = load(f, VOUCH_PLATFORM_KIND_REVISION, name);
    return rev;
}

static const char *rev_image(const json_t *rev)
{
    return json_string_value(json_object_get(
        json_array_get(json_object_get(rev, "containers"), 0), "image"));
}

static const json_t *ready(const json_t *rev)
{
    return json_array_get(json_object_get(rev, "conditions"), 0);
}

/* ---- services ---- */

static void test_platform_service_create_pins_digest(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = create_service(f, "web", f->image, "{\"useDefault\":true}",
                                0, &err);
    json_t *rev;

    assert_true(json_is_true(json_object_get(op, "done")));
    assert_null(json_object_get(op, "error"));
    assert_non_null(strstr(json_string_value(json_object_get(op, "name")),
                           "projects/" P "/locations/" L "/operations/"));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(op, "metadata"), "@type")),
                        "type.googleapis.com/google.cloud.run.v2.Service");
    json_t *svc = json_object_get(op, "response");
    const char *lr_name = json_string_value(
        json_object_get(svc, "latestReadyRevision"));
    assert_non_null(lr_name);
    /* A full resource name, as Cloud Run v2 gives it. */
    assert_memory_equal(lr_name,
                        "projects/" P "/locations/" L "/services/web/"
                        "revisions/",
                        strlen("projects/" P "/locations/" L
                               "/services/web/revisions/"));
    const char *lr = rev_id(lr_name);
    /* {service}-{5 digits}-{3 letters} */
    assert_int_equal(strlen(lr), strlen("web-00001-abc"));
    assert_memory_equal(lr, "web-00001-", 10);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(svc,
                                                           "trafficStatuses"),
                                           0),
                            "revision")),
                        lr);
    rev = latest_revision(f, "web");
    assert_non_null(strstr(rev_image(rev), "/team/app@sha256:"));
    assert_string_equal(json_string_value(json_object_get(ready(rev),
                                                          "state")),
                        "CONDITION_SUCCEEDED");
    /* The decision is recorded; a compliant ALLOW writes no audit entry. */
    const char *d = json_string_value(json_object_get(
        json_object_get(rev, "annotations"),
        VOUCH_PLATFORM_DECISION_ANNOTATION));
    assert_non_null(d);
    assert_non_null(strstr(d, "\"ALLOW\""));
    assert_int_equal(count_kind(f, "logentry"), 0);
    /* The operation is stored and readable. */
    json_t *stored = load(f, VOUCH_PLATFORM_KIND_OPERATION,
                          json_string_value(json_object_get(op, "name")));
    assert_true(json_is_true(json_object_get(stored, "done")));
    json_decref(stored);
    json_decref(rev);
    json_decref(op);
}

static void test_platform_service_update_makes_revision(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = create_service(f, "web", f->image, NULL, 0, &err);
    json_t *op2 = NULL;
    char *body = service_body(f->image, NULL);
    json_t *list_svc;

    json_decref(op);
    /* The same template: no new revision. */
    begin(f);
    assert_int_equal(vouch_platform_service_update(&f->ctx, P, L, "web",
                                                   body, strlen(body), false,
                                                   false, &op2, &err),
                     0);
    commit(f);
    json_decref(op2);
    assert_int_equal(count_kind(f, VOUCH_PLATFORM_KIND_REVISION), 1);
    free(body);
    /* A changed template: revision 2. */
    body = service_body(f->image, NULL);
    char *changed = NULL;
    assert_true(asprintf(&changed, "%.*s,\"labels\":{\"v\":\"2\"}}",
                         (int)strlen(body) - 1, body) > 0);
    /* labels are on the service, not the template: still no revision */
    begin(f);
    assert_int_equal(vouch_platform_service_update(&f->ctx, P, L, "web",
                                                   changed, strlen(changed),
                                                   false, false, &op2, &err),
                     0);
    commit(f);
    json_decref(op2);
    assert_int_equal(count_kind(f, VOUCH_PLATFORM_KIND_REVISION), 1);
    free(changed);
    free(body);
    body = service_body(f->image, NULL);
    char *p = strstr(body, "\"-v\"");
    p[2] = 'x';
    begin(f);
    assert_int_equal(vouch_platform_service_update(&f->ctx, P, L, "web",
                                                   body, strlen(body), false,
                                                   false, &op2, &err),
                     0);
    commit(f);
    assert_int_equal(count_kind(f, VOUCH_PLATFORM_KIND_REVISION), 2);
    list_svc = json_object_get(op2, "response");
    assert_memory_equal(rev_id(json_string_value(json_object_get(
                            list_svc, "latestReadyRevision"))),
                        "web-00002-", 10);
    assert_int_equal(json_integer_value(json_object_get(list_svc,
                                                        "generation")),
                     4);
    json_decref(op2);
    free(body);
    /* Update of a missing service: NOT_FOUND, unless allowMissing. */
    body = service_body(f->image, NULL);
    begin(f);
    assert_int_equal(vouch_platform_service_update(&f->ctx, P, L, "nope",
                                                   body, strlen(body), false,
                                                   false, &op2, &err),
                     VOUCH_ENOTFOUND);
    assert_int_equal(vouch_platform_service_update(&f->ctx, P, L, "nope",
                                                   body, strlen(body), false,
                                                   true, &op2, &err),
                     0);
    commit(f);
    json_decref(op2);
    free(body);
}

static void test_platform_service_list_and_delete(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource_page page;
    json_t *op;

    json_decref(create_service(f, "a", f->image, NULL, 0, &err));
    json_decref(create_service(f, "b", f->image, NULL, 0, &err));
    json_decref(create_service(f, "a", f->image, NULL,
                               VOUCH_ECONFLICT, &err));
    assert_non_null(strstr(err.message, "already exists"));
    begin(f);
    assert_int_equal(vouch_platform_list(&f->ctx, VOUCH_PLATFORM_KIND_SERVICE,
                                         "projects/" P "/locations/" L, 1,
                                         NULL, &page, &err),
                     0);
    assert_int_equal(page.count, 1);
    assert_non_null(page.next_page_token);
    vouch_resource_page_clear(&page);
    assert_int_equal(vouch_platform_service_delete(&f->ctx, P, L, "a",
                                                   "wrong-etag", &op, &err),
                     VOUCH_EABORTED);
    assert_int_equal(vouch_platform_service_delete(&f->ctx, P, L, "a", NULL,
                                                   &op, &err),
                     0);
    assert_non_null(json_object_get(json_object_get(op, "response"),
                                    "deleteTime"));
    json_decref(op);
    assert_int_equal(vouch_platform_service_delete(&f->ctx, P, L, "a", NULL,
                                                   &op, &err),
                     VOUCH_ENOTFOUND);
    commit(f);
    assert_int_equal(count_kind(f, VOUCH_PLATFORM_KIND_SERVICE), 1);
    assert_int_equal(count_kind(f, VOUCH_PLATFORM_KIND_REVISION), 1);
}

/* ---- enforcement ---- */

static void test_platform_deny_enforced(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = create_service(f, "web", f->image, "{\"useDefault\":true}",
                                0, &err);
    json_t *op2 = NULL;
    char *body;
    json_t *rev;

    json_decref(op);
    set_policy(f, "ALWAYS_DENY", "ENFORCED_BLOCK_AND_AUDIT_LOG");
    body = service_body(f->image, "{\"useDefault\":true}");
    strstr(body, "\"-v\"")[2] = 'q';
    begin(f);
    assert_int_equal(vouch_platform_service_update(&f->ctx, P, L, "web",
                                                   body, strlen(body), false,
                                                   false, &op2, &err),
                     0);
    commit(f);
    free(body);
    /* The operation failed with FAILED_PRECONDITION and the org-policy constraint's text (docs/run.md). */
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(op2, "error"), "code")),
                     9);
    const char *m = op_error(op2);
    assert_non_null(strstr(m, "Revision 'web-00002-"));
    assert_non_null(strstr(m, "' uses an unauthorized container image. "
                              "Container image '"));
    assert_non_null(strstr(m, "/team/app@sha256:"));
    assert_non_null(strstr(m, "' is not authorized by policy."));
    /* The revision exists, not ready; traffic stays on revision 1. */
    rev = latest_revision(f, "web");
    assert_string_equal(json_string_value(json_object_get(ready(rev),
                                                          "state")),
                        "CONDITION_FAILED");
    assert_string_equal(json_string_value(json_object_get(ready(rev),
                                                          "reason")),
                        "CONTAINER_IMAGE_UNAUTHORIZED");
    json_t *svc = load(f, VOUCH_PLATFORM_KIND_SERVICE,
                       "projects/" P "/locations/" L "/services/web");
    assert_memory_equal(rev_id(json_string_value(json_object_get(
                            svc, "latestReadyRevision"))),
                        "web-00001-", 10);
    assert_memory_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(svc,
                                                           "trafficStatuses"),
                                           0),
                            "revision")),
                        "web-00001-", 10);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(svc, "terminalCondition"),
                            "reason")),
                        "CONTAINER_IMAGE_UNAUTHORIZED");
    /* One audit entry (system_event). */
    assert_int_equal(count_kind(f, "logentry"), 1);
    json_decref(svc);
    json_decref(rev);
    json_decref(op2);
}

static void test_platform_dry_run_admits_and_logs(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op;
    json_t *rev;

    set_policy(f, "ALWAYS_DENY", "DRYRUN_AUDIT_LOG_ONLY");
    op = create_service(f, "web", f->image, "{\"useDefault\":true}", 0,
                        &err);
    assert_null(json_object_get(op, "error"));
    rev = latest_revision(f, "web");
    assert_string_equal(json_string_value(json_object_get(ready(rev),
                                                          "state")),
                        "CONDITION_SUCCEEDED");
    assert_non_null(strstr(json_string_value(json_object_get(
                               json_object_get(rev, "annotations"),
                               VOUCH_PLATFORM_DECISION_ANNOTATION)),
                           "ALLOW_DRYRUN"));
    assert_int_equal(count_kind(f, "logentry"), 1);
    json_decref(rev);
    json_decref(op);
}

static void test_platform_breakglass_logged_even_when_compliant(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op;
    json_t *rev;

    set_policy(f, "ALWAYS_ALLOW", "ENFORCED_BLOCK_AND_AUDIT_LOG");
    op = create_service(f, "web", f->image,
                        "{\"useDefault\":true,"
                        "\"breakglassJustification\":\"INC-1\"}",
                        0, &err);
    assert_null(json_object_get(op, "error"));
    assert_int_equal(count_kind(f, "logentry"), 1);
    json_decref(op);
    /* And with a denying policy: admitted, logged. */
    set_policy(f, "ALWAYS_DENY", "ENFORCED_BLOCK_AND_AUDIT_LOG");
    op = create_service(f, "web2", f->image,
                        "{\"useDefault\":true,"
                        "\"breakglassJustification\":\"INC-2\"}",
                        0, &err);
    assert_null(json_object_get(op, "error"));
    rev = latest_revision(f, "web2");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(rev, "annotations"),
                            "run.googleapis.com/"
                            "binary-authorization-breakglass")),
                        "INC-2");
    assert_int_equal(count_kind(f, "logentry"), 2);
    json_decref(rev);
    json_decref(op);
}

static void test_platform_off_no_check_no_log(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op;
    json_t *rev;

    set_policy(f, "ALWAYS_DENY", "ENFORCED_BLOCK_AND_AUDIT_LOG");
    op = create_service(f, "web", f->image, NULL, 0, &err);
    assert_null(json_object_get(op, "error"));
    json_decref(op);
    op = create_service(f, "web2", f->image, "{\"useDefault\":false}", 0,
                        &err);
    assert_null(json_object_get(op, "error"));
    rev = latest_revision(f, "web2");
    /* tags still resolved and the digest recorded */
    assert_non_null(strstr(rev_image(rev), "@sha256:"));
    assert_int_equal(count_kind(f, "logentry"), 0);
    json_decref(rev);
    json_decref(op);
}

static void test_platform_named_policy_rejected(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;

    assert_null(create_service(f, "web", f->image,
                               "{\"policy\":\"projects/x/platforms/cloudRun/"
                               "policies/p\"}",
                               VOUCH_EINVAL, &err));
    assert_non_null(strstr(err.message, "binaryAuthorization.policy"));
    assert_non_null(strstr(err.message, "named platform policies are not "
                                        "supported yet"));
    assert_null(create_service(f, "web", f->image,
                               "{\"useDefault\":false,"
                               "\"breakglassJustification\":\"x\"}",
                               VOUCH_EINVAL, &err));
    assert_non_null(strstr(err.message, "breakglassJustification"));
    assert_null(create_service(f, "web", f->image,
                               "{\"useDefault\":true,\"bogus\":1}",
                               VOUCH_EINVAL, &err));
    assert_non_null(strstr(err.message, "binaryAuthorization.bogus"));
    /* The project's own policy by name is the default. */
    json_decref(create_service(f, "web", f->image,
                               "{\"policy\":\"projects/" P "/policy\"}", 0,
                               &err));
    assert_int_equal(count_kind(f, VOUCH_PLATFORM_KIND_SERVICE), 1);
}

static void test_platform_registry_failure_fails_closed(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    char image[256];
    json_t *op;
    json_t *rev;

    snprintf(image, sizeof(image), "%s/team/app:1.0", env("VOUCH_REG_DEAD"));
    op = create_service(f, "web", image, "{\"useDefault\":true}", 0, &err);
    assert_non_null(op_error(op));
    assert_non_null(strstr(op_error(op), "could not be resolved"));
    /* Unreachable: UNAVAILABLE (retry later), and the check is audited. */
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(op, "error"), "code")), 14);
    assert_int_equal(count_kind(f, "logentry"), 1);
    rev = latest_revision(f, "web");
    assert_string_equal(json_string_value(json_object_get(ready(rev),
                                                          "reason")),
                        "CONTAINER_IMAGE_AUTHORIZATION_CHECK_FAILED");
    json_decref(rev);
    json_decref(op);
    /* Unknown tag, Binary Authorization off: CONTAINER_MISSING, not
     * UNAVAILABLE (the registry answered), and no check to audit. */
    snprintf(image, sizeof(image), "%s/team/app:nope", env("VOUCH_REG_ANON"));
    op = create_service(f, "web2", image, NULL, 0, &err);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(op, "error"), "code")), 9);
    assert_int_equal(count_kind(f, "logentry"), 1);
    rev = latest_revision(f, "web2");
    assert_string_equal(json_string_value(json_object_get(ready(rev),
                                                          "reason")),
                        "CONTAINER_MISSING");
    json_decref(rev);
    json_decref(op);
}

static void test_platform_sidecars_all_checked(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    char body[1024];
    json_t *op = NULL;

    set_policy(f, "ALWAYS_DENY", "ENFORCED_BLOCK_AND_AUDIT_LOG");
    snprintf(body, sizeof(body),
             "{\"binaryAuthorization\":{\"useDefault\":true},"
             "\"template\":{\"containers\":[{\"name\":\"main\","
             "\"image\":\"%s\"},{\"name\":\"side\",\"image\":"
             "\"%s/team/app:oci\"}]}}",
             f->image, env("VOUCH_REG_ANON"));
    begin(f);
    assert_int_equal(vouch_platform_service_create(&f->ctx, P, L, "web",
                                                   body, strlen(body), false,
                                                   &op, &err),
                     0);
    commit(f);
    const char *m = op_error(op);
    const char *first = strstr(m, "Container image '");
    assert_non_null(first);
    assert_non_null(strstr(first + 1, "Container image '"));
    json_t *rev = latest_revision(f, "web");
    const char *d = json_string_value(json_object_get(
        json_object_get(rev, "annotations"),
        VOUCH_PLATFORM_DECISION_ANNOTATION));
    json_t *dj = json_loads(d, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(dj, "images")), 2);
    json_decref(dj);
    json_decref(rev);
    json_decref(op);
}

static void test_platform_traffic_to_old_revision_rechecked(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = create_service(f, "web", f->image, "{\"useDefault\":true}",
                                0, &err);
    const char *r1 = rev_id(json_string_value(json_object_get(
        json_object_get(op, "response"), "latestReadyRevision")));
    char rev1[64];
    char *body;
    char *traffic = NULL;
    json_t *op2 = NULL;

    snprintf(rev1, sizeof(rev1), "%s", r1);
    json_decref(op);
    body = service_body(f->image, "{\"useDefault\":true}");
    strstr(body, "\"-v\"")[2] = 'z';
    begin(f);
    assert_int_equal(vouch_platform_service_update(&f->ctx, P, L, "web",
                                                   body, strlen(body), false,
                                                   false, &op2, &err),
                     0);
    commit(f);
    json_decref(op2);
    set_policy(f, "ALWAYS_DENY", "ENFORCED_BLOCK_AND_AUDIT_LOG");
    assert_true(asprintf(&traffic,
                         "%.*s,\"traffic\":[{\"type\":"
                         "\"TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION\","
                         "\"revision\":\"%s\",\"percent\":100}]}",
                         (int)strlen(body) - 1, body, rev1) > 0);
    begin(f);
    assert_int_equal(vouch_platform_service_update(&f->ctx, P, L, "web",
                                                   traffic, strlen(traffic),
                                                   false, false, &op2, &err),
                     0);
    commit(f);
    assert_non_null(op_error(op2));
    assert_non_null(strstr(op_error(op2), rev1));
    assert_non_null(strstr(op_error(op2), "unauthorized container image"));
    json_decref(op2);
    json_t *svc = load(f, VOUCH_PLATFORM_KIND_SERVICE,
                       "projects/" P "/locations/" L "/services/web");
    assert_memory_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(svc,
                                                           "trafficStatuses"),
                                           0),
                            "revision")),
                        "web-00002-", 10);
    json_decref(svc);
    assert_int_equal(count_kind(f, "logentry"), 1);
    /* With the policy allowing again, the traffic change goes through. */
    set_policy(f, "ALWAYS_ALLOW", "ENFORCED_BLOCK_AND_AUDIT_LOG");
    begin(f);
    assert_int_equal(vouch_platform_service_update(&f->ctx, P, L, "web",
                                                   traffic, strlen(traffic),
                                                   false, false, &op2, &err),
                     0);
    commit(f);
    assert_null(json_object_get(op2, "error"));
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(
                                               json_object_get(op2,
                                                               "response"),
                                               "trafficStatuses"),
                                           0),
                            "revision")),
                        rev1);
    json_decref(op2);
    free(traffic);
    free(body);
}

static void test_platform_tag_repush_changes_nothing(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    char image[256];
    char cmd[512];
    char before[256];
    json_t *op;
    json_t *rev;

    snprintf(image, sizeof(image), "%s/team/repush:v1",
             env("VOUCH_REG_ANON"));
    snprintf(cmd, sizeof(cmd), "%s team/repush v1 oci 101 >/dev/null",
             env("VOUCH_REG_PUSH"));
    assert_int_equal(system(cmd), 0);
    op = create_service(f, "web", image, NULL, 0, &err);
    json_decref(op);
    rev = latest_revision(f, "web");
    snprintf(before, sizeof(before), "%s", rev_image(rev));
    json_decref(rev);
    snprintf(cmd, sizeof(cmd), "%s team/repush v1 oci 102 >/dev/null",
             env("VOUCH_REG_PUSH"));
    assert_int_equal(system(cmd), 0);
    rev = latest_revision(f, "web");
    assert_string_equal(rev_image(rev), before);
    json_decref(rev);
}

/* ---- jobs ---- */

static char *job_body(const char *image, const char *ba)
{
    char *out = NULL;
    assert_true(asprintf(&out,
                         "{\"template\":{\"taskCount\":2,\"template\":"
                         "{\"containers\":[{\"image\":\"%s\"}]}}%s%s}",
                         image,
                         ba != NULL ? ",\"binaryAuthorization\":" : "",
                         ba != NULL ? ba : "") > 0);
    return out;
}

static json_t *run_job(fixture *f, const char *job)
{
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = NULL;

    begin(f);
    assert_int_equal(vouch_platform_job_run(&f->ctx, P, L, job, "", 0, &op,
                                            &err),
                     0);
    commit(f);
    return op;
}

static void test_platform_job_run_overrides(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    char *body = NULL;
    json_t *op = NULL;
    static const char ov[] =
        "{\"overrides\":{\"taskCount\":3,\"timeout\":\"60s\","
        "\"containerOverrides\":[{\"args\":[\"--once\"],"
        "\"env\":[{\"name\":\"MODE\",\"value\":\"fast\"},"
        "{\"name\":\"NEW\",\"value\":\"1\"}]}]}}";

    assert_true(asprintf(&body,
                         "{\"template\":{\"taskCount\":2,\"template\":"
                         "{\"containers\":[{\"image\":\"%s\","
                         "\"args\":[\"--loop\"],\"env\":[{\"name\":"
                         "\"MODE\",\"value\":\"slow\"}]}]}}}",
                         f->image) > 0);
    set_policy(f, "ALWAYS_ALLOW", "ENFORCED_BLOCK_AND_AUDIT_LOG");
    begin(f);
    assert_int_equal(vouch_platform_job_create(&f->ctx, P, L, "ov", body,
                                               strlen(body), false, &op,
                                               &err),
                     0);
    json_decref(op);
    assert_int_equal(vouch_platform_job_run(&f->ctx, P, L, "ov", ov,
                                            sizeof(ov) - 1, &op, &err),
                     0);
    commit(f);
    assert_null(json_object_get(op, "error"));
    json_t *ex = json_object_get(op, "response");
    json_t *tpl = json_object_get(ex, "template");
    json_t *c = json_array_get(json_object_get(tpl, "containers"), 0);
    char *got = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
    /* args replaced, MODE replaced in place, NEW appended; the image is
     * the job's, pinned to its digest. */
    assert_non_null(strstr(got, "\"args\":[\"--once\"]"));
    assert_non_null(strstr(got, "\"env\":[{\"name\":\"MODE\",\"value\":"
                                "\"fast\"},{\"name\":\"NEW\",\"value\":"
                                "\"1\"}]"));
    assert_non_null(strstr(got, "@sha256:"));
    free(got);
    assert_int_equal(json_integer_value(json_object_get(ex, "taskCount")), 3);
    assert_int_equal(json_integer_value(json_object_get(ex,
                                                        "succeededCount")),
                     3);
    assert_string_equal(json_string_value(json_object_get(tpl, "timeout")),
                        "60s");
    json_decref(op);
    /* The job itself is unchanged, and the next plain run uses it. */
    json_t *job = load(f, VOUCH_PLATFORM_KIND_JOB,
                       "projects/" P "/locations/" L "/jobs/ov");
    json_t *jt = json_object_get(job, "template");
    assert_int_equal(json_integer_value(json_object_get(jt, "taskCount")), 2);
    got = json_dumps(json_object_get(jt, "template"),
                     JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(strstr(got, "\"args\":[\"--loop\"]"));
    assert_null(strstr(got, "NEW"));
    assert_null(strstr(got, "timeout"));
    free(got);
    json_decref(job);
    op = run_job(f, "ov");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(op, "response"), "taskCount")),
                     2);
    json_decref(op);
    free(body);
}

static void test_platform_job_denied_at_execution(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    char *body = job_body(f->image, "{\"useDefault\":true}");
    json_t *op = NULL;

    set_policy(f, "ALWAYS_DENY", "ENFORCED_BLOCK_AND_AUDIT_LOG");
    begin(f);
    assert_int_equal(vouch_platform_job_create(&f->ctx, P, L, "batch", body,
                                               strlen(body), false, &op,
                                               &err),
                     0);
    commit(f);
    assert_null(json_object_get(op, "error"));
    json_decref(op);
    op = run_job(f, "batch");
    assert_non_null(op_error(op));
    assert_non_null(strstr(op_error(op), "Execution 'batch-"));
    json_t *ex = json_object_get(op, "metadata");
    assert_int_equal(json_integer_value(json_object_get(ex, "failedCount")),
                     2);
    assert_non_null(json_object_get(ex, "completionTime"));
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(ex, "conditions"),
                                           1),
                            "reason")),
                        "CONTAINER_IMAGE_UNAUTHORIZED");
    assert_int_equal(count_kind(f, "logentry"), 1);
    json_decref(op);
    /* The policy allows again: the next execution succeeds at once. */
    set_policy(f, "ALWAYS_ALLOW", "ENFORCED_BLOCK_AND_AUDIT_LOG");
    op = run_job(f, "batch");
    assert_null(json_object_get(op, "error"));
    ex = json_object_get(op, "response");
    assert_int_equal(json_integer_value(json_object_get(ex,
                                                        "succeededCount")),
                     2);
    assert_non_null(strstr(json_string_value(json_object_get(
                               json_array_get(json_object_get(
                                                  json_object_get(ex,
                                                                  "template"),
                                                  "containers"),
                                              0),
                               "image")),
                           "@sha256:"));
    json_decref(op);
    json_t *job = load(f, VOUCH_PLATFORM_KIND_JOB,
                       "projects/" P "/locations/" L "/jobs/batch");
    assert_int_equal(json_integer_value(json_object_get(job,
                                                        "executionCount")),
                     2);
    json_decref(job);
    assert_int_equal(count_kind(f, VOUCH_PLATFORM_KIND_EXECUTION), 2);
    free(body);
}

static void test_platform_job_update_delete(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    char *body = job_body(f->image, NULL);
    json_t *op = NULL;

    begin(f);
    assert_int_equal(vouch_platform_job_update(&f->ctx, P, L, "j", body,
                                               strlen(body), false, false,
                                               &op, &err),
                     VOUCH_ENOTFOUND);
    assert_int_equal(vouch_platform_job_create(&f->ctx, P, L, "j", body,
                                               strlen(body), false, &op,
                                               &err),
                     0);
    json_decref(op);
    assert_int_equal(vouch_platform_job_create(&f->ctx, P, L, "j", body,
                                               strlen(body), false, &op,
                                               &err),
                     VOUCH_ECONFLICT);
    assert_int_equal(vouch_platform_job_update(&f->ctx, P, L, "j", body,
                                               strlen(body), false, false,
                                               &op, &err),
                     0);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(op, "response"), "generation")),
                     2);
    json_decref(op);
    commit(f);
    json_decref(run_job(f, "j"));
    begin(f);
    assert_int_equal(vouch_platform_job_delete(&f->ctx, P, L, "j", NULL,
                                               &op, &err),
                     0);
    commit(f);
    json_decref(op);
    assert_int_equal(count_kind(f, VOUCH_PLATFORM_KIND_JOB), 0);
    assert_int_equal(count_kind(f, VOUCH_PLATFORM_KIND_EXECUTION), 0);
    free(body);
}

/* ---- org policy ---- */

static void test_platform_orgpolicy_requires_default(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    static const char pol[] =
        "{\"spec\":{\"rules\":[{\"values\":{\"allowedValues\":"
        "[\"default\"]}}]}}";
    json_t *out = NULL;

    begin(f);
    assert_int_equal(vouch_platform_orgpolicy_get(&f->ctx, P, &out, &err),
                     VOUCH_ENOTFOUND);
    assert_int_equal(vouch_platform_orgpolicy_set(&f->ctx, P, pol,
                                                  sizeof(pol) - 1, &out,
                                                  &err),
                     0);
    assert_string_equal(json_string_value(json_object_get(out, "name")),
                        "projects/" P "/policies/"
                        "run.allowedBinaryAuthorizationPolicies");
    json_decref(out);
    out = NULL;
    /* A create while one is set: ALREADY_EXISTS, nothing written. */
    assert_int_equal(vouch_platform_orgpolicy_create(&f->ctx, P, pol,
                                                     sizeof(pol) - 1, &out,
                                                     &err),
                     VOUCH_ECONFLICT);
    assert_non_null(strstr(err.message, "already exists"));
    assert_null(out);
    commit(f);
    assert_int_equal(count_kind(f, "logentry"), 1);
    assert_null(create_service(f, "web", f->image, NULL,
                               VOUCH_EPRECONDITION, &err));
    assert_string_equal(err.message,
                        "Constraint constraints/"
                        "run.allowedBinaryAuthorizationPolicies violated "
                        "for attempting CreateService with annotation "
                        "\"run.googleapis.com/binary-authorization\" set "
                        "to null.");
    json_decref(create_service(f, "web", f->image, "{\"useDefault\":true}",
                               0, &err));
    /* Jobs too; and an update that drops it. */
    char *jb = job_body(f->image, "{\"useDefault\":false}");
    json_t *op = NULL;
    begin(f);
    assert_int_equal(vouch_platform_job_create(&f->ctx, P, L, "j", jb,
                                               strlen(jb), false, &op, &err),
                     VOUCH_EPRECONDITION);
    assert_non_null(strstr(err.message, "attempting CreateJob"));
    char *sb = service_body(f->image, NULL);
    assert_int_equal(vouch_platform_service_update(&f->ctx, P, L, "web", sb,
                                                   strlen(sb), false, false,
                                                   &op, &err),
                     VOUCH_EPRECONDITION);
    assert_non_null(strstr(err.message, "attempting UpdateService"));
    /* reset */
    static const char reset[] = "{\"spec\":{\"reset\":true}}";
    assert_int_equal(vouch_platform_orgpolicy_set(&f->ctx, P, reset,
                                                  sizeof(reset) - 1, &out,
                                                  &err),
                     0);
    json_decref(out);
    assert_int_equal(vouch_platform_job_create(&f->ctx, P, L, "j", jb,
                                               strlen(jb), false, &op, &err),
                     0);
    json_decref(op);
    assert_int_equal(vouch_platform_orgpolicy_delete(&f->ctx, P, &err),
                     VOUCH_ENOTFOUND);
    /* With none set, a create sets it. */
    assert_int_equal(vouch_platform_orgpolicy_create(&f->ctx, P, pol,
                                                     sizeof(pol) - 1, &out,
                                                     &err),
                     0);
    json_decref(out);
    assert_int_equal(vouch_platform_orgpolicy_delete(&f->ctx, P, &err), 0);
    commit(f);
    free(jb);
    free(sb);
}

static void test_platform_orgpolicy_invalid(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *body;
        const char *msg;
    } cases[] = {
        { "", "empty" },
        { "[]", "expected a JSON object" },
        { "{", "expected near end of file" },
        { "{}", "spec: required" },
        { "{\"spec\":{\"rules\":[{\"enforce\":true}]}}",
          "spec.rules[0].enforce" },
        { "{\"spec\":{\"rules\":[{\"values\":{\"allowedValues\":[1]}}]}}",
          "spec.rules[0].values.allowedValues[0]" },
        { "{\"spec\":{\"rules\":[{}]}}", "exactly one" },
        { "{\"spec\":{\"reset\":true,\"rules\":[{\"allowAll\":true}]}}",
          "spec.reset" },
        { "{\"name\":\"projects/other/policies/x\",\"spec\":{}}", "name" },
        { "{\"spec\":{\"bogus\":1}}", "spec.bogus" },
        { "{\"spec\":{\"rules\":[{\"condition\":{}}]}}", "condition" },
    };

    begin(f);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vouch_error err = VOUCH_ERROR_INIT;
        json_t *out = NULL;
        int rc = vouch_platform_orgpolicy_set(&f->ctx, P, cases[i].body,
                                              strlen(cases[i].body), &out,
                                              &err);
        if (rc >= 0 || strstr(err.message, cases[i].msg) == NULL) {
            fail_msg("case %zu: rc %d, message '%s'", i, rc, err.message);
        }
        assert_null(out);
    }
    commit(f);
}

/* ---- runtime ---- */

static json_t *wait_done(fixture *f, const char *name, int seconds)
{
    for (int i = 0; i < seconds * 10; i++) {
        json_t *ex = load(f, VOUCH_PLATFORM_KIND_EXECUTION, name);
        if (json_object_get(ex, "completionTime") != NULL) {
            return ex;
        }
        json_decref(ex);
        usleep(100000);
    }
    fail_msg("execution %s did not complete", name);
    return NULL;
}

static void test_platform_exec_runtime_records_exit(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    char *body = job_body(f->image, NULL);
    json_t *op = NULL;

    begin(f);
    assert_int_equal(vouch_platform_job_create(&f->ctx, P, L, "j", body,
                                               strlen(body), false, &op,
                                               &err),
                     0);
    commit(f);
    json_decref(op);
    op = run_job(f, "j");
    assert_false(json_is_true(json_object_get(op, "done")));
    json_t *meta = json_object_get(op, "metadata");
    assert_int_equal(json_integer_value(json_object_get(meta,
                                                        "runningCount")),
                     2);
    char name[256];
    char opname[256];
    snprintf(name, sizeof(name), "%s",
             json_string_value(json_object_get(meta, "name")));
    snprintf(opname, sizeof(opname), "%s",
             json_string_value(json_object_get(op, "name")));
    json_decref(op);
    json_t *ex = wait_done(f, name, 15);
    assert_int_equal(json_integer_value(json_object_get(ex, "failedCount")),
                     2);
    assert_int_equal(json_integer_value(json_object_get(ex, "runningCount")),
                     0);
    json_t *conds = json_object_get(ex, "conditions");
    json_t *last = json_array_get(conds, json_array_size(conds) - 1);
    assert_non_null(strstr(json_string_value(json_object_get(last,
                                                             "message")),
                           "status 3"));
    json_decref(ex);
    json_t *sop = load(f, VOUCH_PLATFORM_KIND_OPERATION, opname);
    assert_true(json_is_true(json_object_get(sop, "done")));
    assert_non_null(json_object_get(sop, "error"));
    json_decref(sop);
    json_t *job = load(f, VOUCH_PLATFORM_KIND_JOB,
                       "projects/" P "/locations/" L "/jobs/j");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(job, "latestCreatedExecution"),
                            "completionStatus")),
                        "EXECUTION_FAILED");
    json_decref(job);
    free(body);
}

static void test_platform_exec_runtime_cancel(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    char *body = job_body(f->image, NULL);
    json_t *op = NULL;
    struct timespec t0;
    struct timespec t1;

    begin(f);
    assert_int_equal(vouch_platform_job_create(&f->ctx, P, L, "j", body,
                                               strlen(body), false, &op,
                                               &err),
                     0);
    commit(f);
    json_decref(op);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    op = run_job(f, "j");
    const char *name = json_string_value(json_object_get(
        json_object_get(op, "metadata"), "name"));
    const char *eid = strrchr(name, '/') + 1;
    json_t *cop = NULL;
    begin(f);
    assert_int_equal(vouch_platform_execution_cancel(&f->ctx, P, L, "j", eid,
                                                     &cop, &err),
                     0);
    commit(f);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(cop, "response"),
                         "cancelledCount")),
                     2);
    json_decref(cop);
    begin(f);
    assert_int_equal(vouch_platform_execution_cancel(&f->ctx, P, L, "j", eid,
                                                     &cop, &err),
                     VOUCH_EPRECONDITION);
    commit(f);
    /* The process group is gone long before its 30 s sleep. */
    json_t *sop = NULL;
    for (int i = 0; i < 50; i++) {
        sop = load(f, VOUCH_PLATFORM_KIND_OPERATION,
                   json_string_value(json_object_get(op, "name")));
        if (json_is_true(json_object_get(sop, "done"))) {
            break;
        }
        json_decref(sop);
        sop = NULL;
        usleep(100000);
    }
    assert_non_null(sop);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 10);
    json_decref(sop);
    json_decref(op);
    free(body);
}

/* ---- invalid ---- */

static void test_platform_service_invalid_requests(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *id;
        const char *body;
        const char *msg;
    } cases[] = {
        { "Web", "{}", "serviceId" },
        { "-x", "{}", "serviceId" },
        { "", "{}", "serviceId: required" },
        { "web", "{}", "template: required" },
        { "web", "{\"template\":{}}", "template.containers: required" },
        { "web", "{\"template\":{\"containers\":[{}]}}",
          "template.containers[0].image: required" },
        { "web", "{\"template\":{\"containers\":[{\"image\":\"a b\"}]}}",
          "template.containers[0].image" },
        { "web", "{\"template\":{\"containers\":[{\"image\":\"x/y\","
                 "\"cpu\":1}]}}",
          "template.containers[0].cpu: unknown field" },
        { "web", "{\"template\":{\"containers\":[{\"image\":\"x/y\","
                 "\"args\":[1]}]}}",
          "template.containers[0].args[0]" },
        { "web", "{\"template\":{\"containers\":[{\"image\":\"x/y\","
                 "\"env\":[{\"value\":\"v\"}]}]}}",
          "template.containers[0].env[0].name" },
        { "web", "{\"template\":{\"containers\":[{\"image\":\"x/y\"}]},"
                 "\"bogus\":1}",
          "bogus: unknown field" },
        { "web", "{\"template\":{\"containers\":[{\"image\":\"x/y\"}],"
                 "\"bogus\":1}}",
          "template.bogus" },
        { "web", "{\"template\":{\"containers\":[{\"image\":\"x/y\"}]},"
                 "\"traffic\":[{\"percent\":50}]}",
          "add up to 50" },
        { "web", "{\"template\":{\"containers\":[{\"image\":\"x/y\"}]},"
                 "\"traffic\":[{\"type\":"
                 "\"TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION\","
                 "\"revision\":\"web-9\",\"percent\":100}]}",
          "traffic[0].revision" },
        { "web", "{\"template\":{\"containers\":[{\"image\":\"x/y\"}]},"
                 "\"traffic\":[{\"percent\":101}]}",
          "traffic[0].percent" },
        { "web", "{\"name\":\"projects/x/locations/y/services/z\","
                 "\"template\":{\"containers\":[{\"image\":\"x/y\"}]}}",
          "name" },
        { "web", "{\"template\":{\"revision\":\"other-1\",\"containers\":"
                 "[{\"image\":\"x/y\"}]}}",
          "template.revision" },
        { "web", "not json", "expected near 'not'" },
    };

    begin(f);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vouch_error err = VOUCH_ERROR_INIT;
        json_t *op = NULL;
        int rc = vouch_platform_service_create(&f->ctx, P, L, cases[i].id,
                                               cases[i].body,
                                               strlen(cases[i].body), false,
                                               &op, &err);
        if (rc >= 0 || strstr(err.message, cases[i].msg) == NULL) {
            fail_msg("case %zu: rc %d, message '%s'", i, rc, err.message);
        }
        assert_null(op);
    }
    commit(f);
    assert_int_equal(count_kind(f, VOUCH_PLATFORM_KIND_SERVICE), 0);
}

static void test_platform_job_invalid_requests(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *body;
        const char *msg;
    } cases[] = {
        { "{}", "template: required" },
        { "{\"template\":{}}", "template.template: required" },
        { "{\"template\":{\"template\":{}}}",
          "template.template.containers: required" },
        { "{\"template\":{\"taskCount\":-1,\"template\":{\"containers\":"
          "[{\"image\":\"x/y\"}]}}}",
          "template.taskCount" },
        { "{\"template\":{\"template\":{\"containers\":[{\"image\":"
          "\"x/y\"}],\"bogus\":1}}}",
          "template.template.bogus" },
    };
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *op = NULL;

    begin(f);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = vouch_platform_job_create(&f->ctx, P, L, "j", cases[i].body,
                                           strlen(cases[i].body), false, &op,
                                           &err);
        if (rc >= 0 || strstr(err.message, cases[i].msg) == NULL) {
            fail_msg("case %zu: rc %d, message '%s'", i, rc, err.message);
        }
    }
    assert_int_equal(vouch_platform_job_run(&f->ctx, P, L, "missing", "", 0,
                                            &op, &err),
                     VOUCH_ENOTFOUND);
    char *body = job_body("x/y@sha256:"
                          "0000000000000000000000000000000000000000000000000"
                          "000000000000000",
                          NULL);
    assert_int_equal(vouch_platform_job_create(&f->ctx, P, L, "j", body,
                                               strlen(body), false, &op,
                                               &err),
                     0);
    json_decref(op);
    /* Bad overrides are refused with their field path, before the
     * registry is asked anything. */
    static const struct {
        const char *body;
        const char *msg;
    } bad[] = {
        { "{\"overrides\":{\"taskCount\":0}}",
          "overrides.taskCount: expected an integer from 1 to 10000" },
        { "{\"overrides\":{\"timeout\":\"10m\"}}",
          "overrides.timeout: expected a duration" },
        { "{\"overrides\":{\"image\":\"x\"}}",
          "overrides.image: unknown field" },
        { "{\"overrides\":{\"containerOverrides\":[{\"image\":\"x\"}]}}",
          "overrides.containerOverrides[0].image: unknown field" },
        { "{\"overrides\":{\"containerOverrides\":[{\"name\":\"nope\"}]}}",
          "overrides.containerOverrides[0].name: the job has no container "
          "named 'nope'" },
        { "{\"overrides\":{\"containerOverrides\":[{\"args\":[1]}]}}",
          "overrides.containerOverrides[0].args[0]: expected a string" },
        { "{\"overrides\":{\"containerOverrides\":[{\"args\":[\"a\"],"
          "\"clearArgs\":true}]}}",
          "overrides.containerOverrides[0].clearArgs: true together with "
          "args" },
        { "{\"overrides\":{\"containerOverrides\":[{\"env\":[{}]}]}}",
          "overrides.containerOverrides[0].env[0].name: required" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = vouch_platform_job_run(&f->ctx, P, L, "j", bad[i].body,
                                        strlen(bad[i].body), &op, &err);
        if (rc != VOUCH_EINVAL || strstr(err.message, bad[i].msg) == NULL) {
            fail_msg("overrides case %zu: rc %d, message '%s'", i, rc,
                     err.message);
        }
    }
    assert_int_equal(vouch_platform_execution_cancel(&f->ctx, P, L, "j",
                                                     "j-nope", &op, &err),
                     VOUCH_ENOTFOUND);
    commit(f);
    free(body);
}

static void test_platform_runtime_command_checked(void **state)
{
    vouch_platform_options po = VOUCH_PLATFORM_OPTIONS_INIT;
    vouch_platform *p = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    fixture *f = *state;

    po.store = f->store;
    po.runtime = VOUCH_RUNTIME_EXEC;
    assert_int_equal(vouch_platform_new(&p, &po, &err), VOUCH_EINVAL);
    po.runtime_command = "run {imag}";
    assert_int_equal(vouch_platform_new(&p, &po, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "{imag}"));
    po.runtime_command = "echo ${HOME} {image}";
    assert_int_equal(vouch_platform_new(&p, &po, &err), 0);
    vouch_platform_free(p);
    po.store = NULL;
    assert_int_equal(vouch_platform_new(&p, &po, &err), VOUCH_EINVAL);
    assert_null(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_platform_service_create_pins_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_platform_service_update_makes_revision, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_platform_service_list_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_platform_deny_enforced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_platform_dry_run_admits_and_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_platform_breakglass_logged_even_when_compliant, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_platform_off_no_check_no_log,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_platform_named_policy_rejected,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_platform_registry_failure_fails_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_platform_sidecars_all_checked,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_platform_traffic_to_old_revision_rechecked, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_platform_tag_repush_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_platform_job_denied_at_execution, setup, teardown),
        cmocka_unit_test_setup_teardown(test_platform_job_run_overrides,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_platform_job_update_delete,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_platform_orgpolicy_requires_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_platform_orgpolicy_invalid,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_platform_exec_runtime_records_exit, setup_exec, teardown),
        cmocka_unit_test_setup_teardown(test_platform_exec_runtime_cancel,
                                        setup_exec_long, teardown),
        cmocka_unit_test_setup_teardown(
            test_platform_service_invalid_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_platform_job_invalid_requests,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_platform_runtime_command_checked, setup, teardown),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
