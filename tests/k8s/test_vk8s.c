/*
 * Tests for src/k8s (vk8s.h) on objects the real kubectl printed
 * (tests/k8s/kubectl_objects.py puts them in $VK8S_OBJECTS), wrapped in
 * AdmissionReview requests as kube-apiserver sends them.
 *
 * Sections:
 *   workloads   vk8s_workload_read on every kind kubectl made: images and
 *               their paths, service account, namespace, break-glass;
 *               kinds without pods; malformed objects and their paths
 *   reviews     vk8s_review_parse (v1, v1beta1) and its refusals;
 *               vk8s_review_workload: DELETE, UPDATE without image change;
 *               the limit; vk8s_review_synthesize
 *   verdicts    vk8s_evaluate + vk8s_verdict_make: the GKE message for
 *               each rule kind, tags, dry run, break-glass, precedence
 *   responses   vk8s_response_build: uid, apiVersion, status, warnings,
 *               auditAnnotations
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "vk8s.h"

#define ATTESTED_IMAGE                                                    \
    "gcr.io/core-proj/app@sha256:"                                        \
    "527584eb3a3ee27717e6cced437e86c83cee6c6be183a8d109fbddf9b875faf7"

/* $VK8S_OBJECTS/NAME.json, as kubectl printed it. */
static json_t *object(const char *name)
{
    const char *dir = getenv("VK8S_OBJECTS");
    char path[1024];
    json_error_t jerr;
    json_t *obj;

    if (dir == NULL) {
        fail_msg("VK8S_OBJECTS is not set (run through kubectl_objects.py)");
    }
    snprintf(path, sizeof(path), "%s/%s.json", dir, name);
    obj = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (obj == NULL) {
        fail_msg("%s: %s", path, jerr.text);
    }
    return obj;
}

static vk8s_workload *workload(const char *name)
{
    json_t *obj = object(name);
    vk8s_workload *w = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (vk8s_workload_read(&w, obj, NULL, NULL, NULL, NULL, NULL, &err) <
        0) {
        fail_msg("%s: %s", name, err.message);
    }
    json_decref(obj);
    return w;
}

static void assert_image(const vk8s_workload *w, size_t i, const char *path,
                         const char *image_prefix)
{
    char buf[256];

    assert_true(i < w->image_count);
    vk8s_image_path(w, i, buf, sizeof(buf));
    assert_string_equal(buf, path);
    assert_true(strncmp(w->images[i].image, image_prefix,
                        strlen(image_prefix)) == 0);
    assert_ptr_equal(w->refs[i], w->images[i].image);
}

/* ---- workloads ------------------------------------------------------ */

static void test_vk8s_reads_every_kind_kubectl_makes(void **state)
{
    vk8s_workload *w;

    (void)state;
    w = workload("deployment");
    assert_string_equal(w->kind, "Deployment");
    assert_string_equal(w->name, "web");
    assert_string_equal(w->namespace_name, "prod");
    assert_string_equal(w->service_account, "default");
    assert_false(w->breakglass);
    assert_int_equal(w->image_count, 2);
    assert_image(w, 0, "spec.template.spec.containers[0].image",
                 "registry.example/team/app@");
    assert_image(w, 1, "spec.template.spec.containers[1].image",
                 "registry.example/team/sidecar@");
    vk8s_workload_free(w);

    w = workload("cronjob");
    assert_string_equal(w->kind, "CronJob");
    assert_string_equal(w->namespace_name, "batch");
    assert_image(w, 0, "spec.jobTemplate.spec.template.spec.containers[0]"
                       ".image", "registry.example/team/sidecar@");
    vk8s_workload_free(w);

    w = workload("job");
    assert_string_equal(w->kind, "Job");
    assert_string_equal(w->namespace_name, "");
    assert_image(w, 0, "spec.template.spec.containers[0].image",
                 "registry.example/team/app@");
    vk8s_workload_free(w);

    w = workload("pod-init-sa");
    assert_string_equal(w->kind, "Pod");
    assert_string_equal(w->service_account, "builder");
    assert_int_equal(w->image_count, 2);
    assert_image(w, 0, "spec.containers[0].image",
                 "registry.example/team/app@");
    assert_image(w, 1, "spec.initContainers[0].image",
                 "registry.example/team/app:1.0");
    assert_int_equal(w->images[1].type, VK8S_INIT_CONTAINER);
    assert_string_equal(w->images[1].container, "init");
    vk8s_workload_free(w);

    w = workload("pod-ephemeral");
    assert_image(w, 1, "spec.ephemeralContainers[0].image",
                 "registry.example/tools/debug@");
    assert_string_equal(vk8s_container_type_name(w->images[1].type),
                        "EPHEMERAL_CONTAINER");
    vk8s_workload_free(w);

    w = workload("pod-breakglass");
    assert_true(w->breakglass);
    vk8s_workload_free(w);

    w = workload("knative-service");
    assert_string_equal(w->kind, "Service");
    assert_string_equal(w->namespace_name, "web");
    assert_string_equal(w->service_account, "runner");
    assert_true(w->breakglass);
    assert_image(w, 0, "spec.template.spec.containers[0].image",
                 "registry.example/team/app@");
    vk8s_workload_free(w);
}

static void test_vk8s_kinds_without_pods_run_nothing(void **state)
{
    vk8s_workload *w = workload("namespace");

    (void)state;
    assert_false(w->has_pod_spec);
    assert_int_equal(w->image_count, 0);
    assert_string_equal(w->kind, "Namespace");
    vk8s_workload_free(w);
}

/* Read `obj` (JSON text) and expect `code` with `needle` in the message
 * and `path` as the failing location. */
static void workload_fails(const char *text, int code, const char *needle,
                           const char *path)
{
    json_t *obj = json_loads(text, JSON_ALLOW_NUL, NULL);
    vk8s_workload *w = NULL;
    vk8s_where where = VK8S_WHERE_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    char buf[256];

    assert_non_null(obj);
    assert_int_equal(vk8s_workload_read(&w, obj, NULL, NULL, NULL,
                                        "request.object", &where, &err),
                     code);
    assert_null(w);
    assert_contains(err.message, needle);
    vk8s_where_text(&where, buf, sizeof(buf));
    assert_string_equal(buf, path);
    json_decref(obj);
}

static void test_vk8s_names_the_field_at_fault(void **state)
{
    (void)state;
    workload_fails("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                   "\"spec\":{\"template\":{\"spec\":{\"containers\":"
                   "[{\"name\":\"a\",\"image\":7}]}}}}",
                   VOUCH_EINVAL,
                   "request.object.spec.template.spec.containers[0].image: "
                   "expected a string, found a number",
                   "spec.template.spec.containers[0].image");
    workload_fails("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":"
                   "{\"containers\":[{\"name\":\"a\"}]}}",
                   VOUCH_EINVAL, "containers[0].image: required",
                   "spec.containers[0].image");
    workload_fails("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":"
                   "{\"containers\":{}}}",
                   VOUCH_EINVAL, "expected an array", "spec.containers");
    workload_fails("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\"}",
                   VOUCH_EINVAL, "spec.template.spec: required",
                   "spec.template.spec");
    workload_fails("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
                   "{\"annotations\":{\"alpha.image-policy.k8s.io/"
                   "break-glass\":true}},\"spec\":{\"containers\":"
                   "[{\"image\":\"a\"}]}}",
                   VOUCH_EINVAL, "expected a string",
                   "metadata.annotations[\"alpha.image-policy.k8s.io/"
                   "break-glass\"]");
    workload_fails("{\"kind\":\"Pod\"}", VOUCH_EINVAL, "apiVersion",
                   "apiVersion");
    workload_fails("[1]", VOUCH_EINVAL, "expected an object", "");
    workload_fails("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":"
                   "{\"containers\":[{\"image\":\"a\\u0000b\"}]}}",
                   VOUCH_EINVAL, "NUL", "spec.containers[0].image");
}

static void test_vk8s_limits_images(void **state)
{
    json_t *obj = json_pack("{s:s,s:s,s:{s:[]}}", "apiVersion", "v1",
                            "kind", "Pod", "spec", "containers");
    json_t *list = json_object_get(json_object_get(obj, "spec"),
                                   "containers");
    vk8s_workload *w = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    for (unsigned i = 0; i <= VK8S_MAX_IMAGES; i++) {
        json_array_append_new(list, json_pack("{s:s}", "image", "a"));
    }
    assert_int_equal(vk8s_workload_read(&w, obj, NULL, NULL, NULL, NULL,
                                        NULL, &err),
                     VOUCH_ETOOBIG);
    assert_contains(err.message, "more than 256 images");
    json_decref(obj);
}

/* ---- reviews -------------------------------------------------------- */

/* A review of `obj` (and `old`, may be NULL) as kube-apiserver sends it. */
static char *review_of(const char *api_version, const char *op,
                       const json_t *obj, const json_t *old, bool dry_run)
{
    const char *api = json_string_value(json_object_get(obj, "apiVersion"));
    const char *slash = strchr(api, '/');
    json_t *review = json_pack(
        "{s:s,s:s,s:{s:s,s:{s:s#,s:s,s:O},s:s,s:s,s:s,s:{s:s,s:[s]},"
        "s:O,s:O,s:b}}",
        "apiVersion", api_version, "kind", "AdmissionReview", "request",
        "uid", "705ab4f5-6393-11e8-b7cc-42010a800002", "kind", "group", api,
        (int)(slash != NULL ? slash - api : 0), "version",
        slash != NULL ? slash + 1 : api, "kind",
        json_object_get(obj, "kind"), "name", "x", "namespace", "prod",
        "operation", op, "userInfo", "username", "admin", "groups",
        "system:authenticated", "object", obj, "oldObject",
        old != NULL ? old : json_null(), "dryRun", dry_run);
    char *text = json_dumps(review, JSON_COMPACT);

    json_decref(review);
    return text;
}

static vk8s_review *parse_review(const char *text)
{
    vk8s_review *r = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (vk8s_review_parse(&r, text, strlen(text), &err) < 0) {
        fail_msg("review refused: %s", err.message);
    }
    return r;
}

static void test_vk8s_reads_reviews(void **state)
{
    json_t *obj = object("pod-init-sa");
    char *text = review_of("admission.k8s.io/v1beta1", "CREATE", obj, NULL,
                           true);
    vk8s_review *r = parse_review(text);
    vk8s_workload *w = NULL;
    const char *skip = "unset";
    char resource[200];
    char method[100];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_string_equal(r->api_version, "admission.k8s.io/v1beta1");
    assert_string_equal(r->uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_string_equal(r->group, "");
    assert_string_equal(r->version, "v1");
    assert_string_equal(r->kind, "Pod");
    assert_string_equal(r->operation_name, "CREATE");
    assert_true(r->dry_run);
    assert_string_equal(r->username, "admin");
    assert_int_equal(vk8s_review_workload(&w, &skip, r, &err), 0);
    assert_null(skip);
    assert_non_null(w);
    assert_int_equal(w->image_count, 2);
    vk8s_review_names(r, w, resource, sizeof(resource), method,
                      sizeof(method));
    assert_string_equal(resource, "core/v1/namespaces/prod/pods/x");
    assert_string_equal(method, "io.k8s.core.v1.pods.create");
    vk8s_workload_free(w);
    vk8s_review_free(r);
    free(text);
    json_decref(obj);
}

static void review_fails(const char *text, int code, const char *needle)
{
    vk8s_review *r = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc = vk8s_review_parse(&r, text, strlen(text), &err);

    if (rc != code || strstr(err.message, needle) == NULL) {
        fail_msg("for %.80s\n got %s '%s'\n want %s '%s'", text,
                 vouch_code_name(rc), err.message, vouch_code_name(code),
                 needle);
    }
    assert_null(r);
}

#define REQ(fields)                                                       \
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"," \
    "\"request\":{" fields "}}"
#define BASE "\"uid\":\"u1\",\"kind\":{\"group\":\"\",\"version\":\"v1\"," \
             "\"kind\":\"Pod\"}"

static void test_vk8s_refuses_malformed_reviews(void **state)
{
    (void)state;
    review_fails("", VOUCH_EPARSE, "not JSON");
    review_fails("{\"a\":1,\"a\":2}", VOUCH_EPARSE, "duplicate");
    review_fails("[]", VOUCH_EINVAL, "expected an AdmissionReview object");
    review_fails("{\"kind\":\"AdmissionReview\"}", VOUCH_EINVAL,
                 "apiVersion: required");
    review_fails("{\"apiVersion\":\"admission.k8s.io/v2\",\"kind\":"
                 "\"AdmissionReview\"}",
                 VOUCH_EINVAL, "not admission.k8s.io/v1 or v1beta1");
    review_fails("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":"
                 "\"TokenReview\"}",
                 VOUCH_EINVAL, "kind: 'TokenReview' is not AdmissionReview");
    review_fails("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":"
                 "\"AdmissionReview\"}",
                 VOUCH_EINVAL, "request: required");
    review_fails(REQ("\"uid\":\"\""), VOUCH_EINVAL, "request.uid: required");
    review_fails(REQ("\"uid\":5"), VOUCH_EINVAL,
                 "request.uid: expected a string, found a number");
    review_fails(REQ("\"uid\":\"u1\""), VOUCH_EINVAL,
                 "request.kind: required");
    review_fails(REQ("\"uid\":\"u1\",\"kind\":{\"group\":\"\"}"),
                 VOUCH_EINVAL, "request.kind.kind: required");
    review_fails(REQ(BASE), VOUCH_EINVAL, "request.operation: required");
    review_fails(REQ(BASE ",\"operation\":\"PATCH\""), VOUCH_EINVAL,
                 "'PATCH' is not CREATE, UPDATE, DELETE or CONNECT");
    review_fails(REQ(BASE ",\"operation\":\"CREATE\""), VOUCH_EINVAL,
                 "request.object: required for CREATE");
    review_fails(REQ(BASE ",\"operation\":\"CREATE\",\"object\":[]"),
                 VOUCH_EINVAL, "request.object: expected an object");
    review_fails(REQ(BASE ",\"operation\":\"CREATE\",\"dryRun\":\"yes\","
                     "\"object\":{}"),
                 VOUCH_EINVAL, "request.dryRun: expected a boolean");
    review_fails(REQ(BASE ",\"operation\":\"CREATE\",\"userInfo\":"
                     "{\"username\":[]},\"object\":{}"),
                 VOUCH_EINVAL, "request.userInfo.username: expected a "
                               "string");
}

static void test_vk8s_refuses_huge_reviews(void **state)
{
    size_t len = VK8S_REVIEW_MAX_BYTES + 1;
    char *big = malloc(len);
    vk8s_review *r = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_non_null(big);
    memset(big, ' ', len);
    assert_int_equal(vk8s_review_parse(&r, big, len, &err), VOUCH_ETOOBIG);
    assert_contains(err.message, "over the limit of 4194304");
    assert_null(r);
    free(big);
}

/* The workload a review asks to decide, or the skip reason. */
static const char *plan(const char *op, const char *name,
                        const char *old_name, vk8s_workload **w)
{
    json_t *obj = object(name);
    json_t *old = old_name != NULL ? object(old_name) : NULL;
    char *text = review_of("admission.k8s.io/v1", op, obj, old, false);
    vk8s_review *r = parse_review(text);
    const char *skip = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (vk8s_review_workload(w, &skip, r, &err) < 0) {
        fail_msg("%s", err.message);
    }
    vk8s_review_free(r);
    free(text);
    json_decref(old);
    json_decref(obj);
    return skip;
}

static void test_vk8s_decides_only_what_runs_new_images(void **state)
{
    vk8s_workload *w = NULL;

    (void)state;
    assert_string_equal(plan("DELETE", "deployment", NULL, &w),
                        "only CREATE and UPDATE run images");
    assert_null(w);
    assert_string_equal(plan("CONNECT", "pod", NULL, &w),
                        "only CREATE and UPDATE run images");
    assert_string_equal(plan("CREATE", "namespace", NULL, &w),
                        "the object runs no pod vouch checks");
    assert_null(w);
    /* Scaling from 1 to 3 replicas changes no image. */
    assert_string_equal(plan("UPDATE", "deployment-scaled", "deployment",
                             &w),
                        "the update changes no image");
    assert_null(w);
    /* A new tag does. */
    assert_null(plan("UPDATE", "deployment-tagged", "deployment", &w));
    assert_non_null(w);
    assert_int_equal(w->image_count, 1);
    vk8s_workload_free(w);
    /* An ephemeral container added to a running pod does too. */
    assert_null(plan("UPDATE", "pod-ephemeral", "pod", &w));
    assert_int_equal(w->image_count, 2);
    vk8s_workload_free(w);
}

static void test_vk8s_synthesizes_a_review(void **state)
{
    json_t *obj = object("cronjob");
    char *text = NULL;
    vk8s_review *r;
    vk8s_workload *w = NULL;
    const char *skip = NULL;
    char resource[200];
    char method[100];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vk8s_review_synthesize(&text, obj, "batch", "uid-7",
                                            &err),
                     0);
    r = parse_review(text);
    assert_string_equal(r->group, "batch");
    assert_string_equal(r->version, "v1");
    assert_string_equal(r->kind, "CronJob");
    assert_string_equal(r->namespace_name, "batch");
    assert_string_equal(r->name, "nightly");
    assert_true(r->dry_run);
    assert_int_equal(vk8s_review_workload(&w, &skip, r, &err), 0);
    assert_int_equal(w->image_count, 1);
    vk8s_review_names(r, w, resource, sizeof(resource), method,
                      sizeof(method));
    assert_string_equal(resource,
                        "batch/v1/namespaces/batch/cronjobs/nightly");
    assert_string_equal(method, "io.k8s.batch.v1.cronjobs.create");
    vk8s_workload_free(w);
    vk8s_review_free(r);
    free(text);
    json_decref(obj);
}

/* ---- verdicts ------------------------------------------------------- */

static vouch_policy *policy_of(const char *yaml)
{
    vouch_policy *p = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (vouch_policy_parse(&p, yaml, strlen(yaml), VOUCH_FORMAT_YAML,
                           "policy.yaml", &err) < 0) {
        fail_msg("policy: %u:%u %s", err.line, err.column, err.message);
    }
    return p;
}

#define RULE(mode) \
    "  evaluationMode: " mode "\n" \
    "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
#define REQUIRE_A \
    "  evaluationMode: REQUIRE_ATTESTATION\n" \
    "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n" \
    "  requireAttestationsBy: [projects/core-proj/attestors/att-a]\n"

/* Decide object `name` under `policy_yaml` in `cluster`, with attestor a
 * and its good attestation, into `v`. */
static void decide(const char *policy_yaml, const char *name,
                   const char *cluster, const char *trust_domain,
                   vk8s_verdict *v)
{
    vouch_policy *policy = policy_of(policy_yaml);
    vouch_attestor *att = testutil_attestor("attestor-a.json");
    vouch_attestation *occ = testutil_attestation("a-good.json");
    const vouch_attestor *atts[] = {att};
    const vouch_attestation *occs[] = {occ};
    vouch_evaluation_input in = VOUCH_EVALUATION_INPUT_INIT;
    vk8s_workload *w = workload(name);
    vouch_decision *d = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    in.policy = policy;
    in.attestors = atts;
    in.attestor_count = 1;
    in.attestations = occs;
    in.attestation_count = 1;
    if (vk8s_evaluate(&d, w, cluster, trust_domain, &in, &err) < 0) {
        fail_msg("evaluate: %s", err.message);
    }
    assert_int_equal(vk8s_verdict_make(v, d, policy, NULL), 0);
    vouch_decision_free(d);
    vk8s_workload_free(w);
    vouch_attestation_free(occ);
    vouch_attestor_free(att);
    vouch_policy_free(policy);
}

static void test_vk8s_verdict_allows_attested_digests(void **state)
{
    vk8s_verdict v;

    (void)state;
    decide("defaultAdmissionRule:\n" REQUIRE_A, "deployment-attested", NULL,
           NULL, &v);
    assert_true(v.allowed);
    assert_string_equal(v.outcome, "ALLOW");
    assert_string_equal(v.rule, "defaultAdmissionRule");
    assert_null(v.message);
    assert_int_equal(v.warning_count, 0);
    vk8s_verdict_clear(&v);
}

static void test_vk8s_verdict_says_what_gke_says(void **state)
{
    vk8s_verdict v;

    (void)state;
    decide("defaultAdmissionRule:\n" REQUIRE_A, "deployment", NULL, NULL,
           &v);
    assert_false(v.allowed);
    assert_string_equal(v.outcome, "DENY");
    assert_contains(v.message,
                    "image policy webhook backend denied one or more "
                    "images: Denied by default admission rule. Denied by "
                    "Attestor. Image registry.example/team/app@sha256:aaaa");
    assert_contains(v.message, " denied by projects/core-proj/attestors/"
                               "att-a: no attestation on note");
    assert_contains(v.message, ". Image registry.example/team/sidecar@");
    vk8s_verdict_clear(&v);

    /* By tag, under a cluster rule: GKE's own words. */
    decide("clusterAdmissionRules:\n  us-central1-a.prod:\n"
           "    evaluationMode: REQUIRE_ATTESTATION\n"
           "    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
           "    requireAttestationsBy: [projects/core-proj/attestors/att-a]\n"
           "defaultAdmissionRule:\n" RULE("ALWAYS_ALLOW"),
           "deployment-tagged", "us-central1-a.prod", NULL, &v);
    assert_false(v.allowed);
    assert_string_equal(v.rule, "clusterAdmissionRules[\"us-central1-a.prod\"]");
    assert_string_equal(v.message,
                        "image policy webhook backend denied one or more "
                        "images: Denied by cluster admission rule for "
                        "us-central1-a.prod. Denied by Attestor. Image "
                        "registry.example/team/app:1.0 denied by "
                        "projects/core-proj/attestors/att-a: Attestor "
                        "cannot attest to an image deployed by tag; deploy "
                        "registry.example/team/app@sha256:...");
    vk8s_verdict_clear(&v);
}

static void test_vk8s_verdict_follows_each_rule_map(void **state)
{
    vk8s_verdict v;

    (void)state;
    /* The namespace rule names the pod's namespace... */
    decide("kubernetesNamespaceAdmissionRules:\n  prod:\n"
           "    evaluationMode: ALWAYS_DENY\n"
           "    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
           "defaultAdmissionRule:\n" RULE("ALWAYS_ALLOW"),
           "pod", NULL, NULL, &v);
    assert_false(v.allowed);
    assert_contains(v.message, "Denied by Kubernetes namespace admission "
                               "rule for prod. Image registry.example/"
                               "team/app@sha256:");
    assert_contains(v.message, " denied by always_deny admission rule");
    vk8s_verdict_clear(&v);
    /* ...and not a job elsewhere: the default rule. */
    decide("kubernetesNamespaceAdmissionRules:\n  prod:\n"
           "    evaluationMode: ALWAYS_DENY\n"
           "    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
           "defaultAdmissionRule:\n" RULE("ALWAYS_ALLOW"),
           "cronjob", NULL, NULL, &v);
    assert_true(v.allowed);
    assert_string_equal(v.rule, "defaultAdmissionRule");
    vk8s_verdict_clear(&v);
    /* The service account rule: NAMESPACE:SA. */
    decide("kubernetesServiceAccountAdmissionRules:\n  prod:builder:\n"
           "    evaluationMode: ALWAYS_DENY\n"
           "    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
           "defaultAdmissionRule:\n" RULE("ALWAYS_ALLOW"),
           "pod-init-sa", NULL, NULL, &v);
    assert_false(v.allowed);
    assert_contains(v.message, "Denied by Kubernetes service account "
                               "admission rule for prod:builder.");
    vk8s_verdict_clear(&v);
    /* The Istio identity, in the cluster's trust domain. */
    decide("istioServiceIdentityAdmissionRules:\n"
           "  spiffe://corp.example/ns/prod/sa/builder:\n"
           "    evaluationMode: ALWAYS_DENY\n"
           "    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
           "defaultAdmissionRule:\n" RULE("ALWAYS_ALLOW"),
           "pod-init-sa", "us-east1.c1", "corp.example", &v);
    assert_false(v.allowed);
    assert_contains(v.message, "Denied by Istio service identity admission "
                               "rule for spiffe://corp.example/ns/prod/sa/"
                               "builder.");
    vk8s_verdict_clear(&v);
    decide("istioServiceIdentityAdmissionRules:\n"
           "  spiffe://corp.example/ns/prod/sa/builder:\n"
           "    evaluationMode: ALWAYS_DENY\n"
           "    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
           "defaultAdmissionRule:\n" RULE("ALWAYS_ALLOW"),
           "pod-init-sa", "us-east1.c1", NULL, &v);
    assert_true(v.allowed);   /* cluster.local is another identity */
    vk8s_verdict_clear(&v);
}

static void test_vk8s_verdict_exempts_before_rules(void **state)
{
    vk8s_verdict v;

    (void)state;
    decide("admissionWhitelistPatterns:\n"
           "- namePattern: registry.example/team/*\n"
           "clusterAdmissionRules:\n  us-central1-a.prod:\n"
           "    evaluationMode: ALWAYS_DENY\n"
           "    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
           "defaultAdmissionRule:\n" RULE("ALWAYS_DENY"),
           "deployment", "us-central1-a.prod", NULL, &v);
    assert_true(v.allowed);
    vk8s_verdict_clear(&v);
}

static void test_vk8s_verdict_dry_run_and_breakglass(void **state)
{
    vk8s_verdict v;

    (void)state;
    decide("defaultAdmissionRule:\n"
           "  evaluationMode: ALWAYS_DENY\n"
           "  enforcementMode: DRYRUN_AUDIT_LOG_ONLY\n",
           "job", NULL, NULL, &v);
    assert_true(v.allowed);
    assert_string_equal(v.outcome, "ALLOW_DRYRUN");
    assert_int_equal(v.warning_count, 2);
    assert_contains(v.warnings[0], "dry run (DRYRUN_AUDIT_LOG_ONLY)");
    assert_contains(v.warnings[1], "denied by always_deny admission rule");
    vk8s_verdict_clear(&v);

    /* Init containers are decided too: the tag makes it a deny... */
    decide("defaultAdmissionRule:\n" REQUIRE_A, "pod-init-sa", NULL, NULL,
           &v);
    assert_false(v.allowed);
    assert_contains(v.message, "Image registry.example/team/app:1.0 denied "
                               "by projects/core-proj/attestors/att-a: "
                               "Attestor cannot attest");
    vk8s_verdict_clear(&v);
    /* ...which the break-glass annotation admits, saying so. */
    decide("defaultAdmissionRule:\n" REQUIRE_A, "pod-breakglass", NULL, NULL,
           &v);
    assert_true(v.allowed);
    assert_string_equal(v.outcome, "ALLOW_BREAKGLASS");
    assert_contains(v.warnings[0], "break-glass");
    assert_non_null(v.message);
    vk8s_verdict_clear(&v);
}

/* ---- responses ------------------------------------------------------ */

static json_t *respond(const char *api_version, const vk8s_verdict *v)
{
    json_t *obj = object("pod");
    char *text = review_of(api_version, "CREATE", obj, NULL, false);
    vk8s_review *r = parse_review(text);
    char *out = NULL;
    size_t len = 0;
    json_t *doc;
    vouch_error err = VOUCH_ERROR_INIT;

    assert_int_equal(vk8s_response_build(&out, &len, r, v, &err), 0);
    assert_int_equal(len, strlen(out));
    doc = json_loads(out, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(doc);
    free(out);
    vk8s_review_free(r);
    free(text);
    json_decref(obj);
    return doc;
}

static void test_vk8s_response_denies_with_403(void **state)
{
    vk8s_verdict v;
    json_t *doc;
    json_t *resp;

    (void)state;
    decide("defaultAdmissionRule:\n" REQUIRE_A, "deployment-tagged", NULL,
           NULL, &v);
    doc = respond("admission.k8s.io/v1", &v);
    assert_string_equal(json_string_value(json_object_get(doc,
                                                          "apiVersion")),
                        "admission.k8s.io/v1");
    assert_string_equal(json_string_value(json_object_get(doc, "kind")),
                        "AdmissionReview");
    resp = json_object_get(doc, "response");
    assert_string_equal(json_string_value(json_object_get(resp, "uid")),
                        "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_true(json_is_false(json_object_get(resp, "allowed")));
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(resp, "status"), "code")),
                     403);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(resp, "status"), "message")),
                        v.message);
    assert_null(json_object_get(resp, "warnings"));
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(resp, "auditAnnotations"), "decision")),
        "DENY");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(resp, "auditAnnotations"), "rule")),
        "defaultAdmissionRule");
    json_decref(doc);
    vk8s_verdict_clear(&v);
}

static void test_vk8s_response_echoes_v1beta1_and_warns(void **state)
{
    vk8s_verdict v;
    json_t *doc;
    json_t *resp;

    (void)state;
    decide("defaultAdmissionRule:\n"
           "  evaluationMode: ALWAYS_DENY\n"
           "  enforcementMode: DRYRUN_AUDIT_LOG_ONLY\n",
           "job", NULL, NULL, &v);
    doc = respond("admission.k8s.io/v1beta1", &v);
    resp = json_object_get(doc, "response");
    assert_string_equal(json_string_value(json_object_get(doc,
                                                          "apiVersion")),
                        "admission.k8s.io/v1beta1");
    assert_true(json_is_true(json_object_get(resp, "allowed")));
    assert_null(json_object_get(resp, "status"));
    assert_int_equal(json_array_size(json_object_get(resp, "warnings")), 2);
    json_decref(doc);
    vk8s_verdict_clear(&v);

    /* Not decided: allowed, and the annotation says why. */
    assert_int_equal(vk8s_verdict_make(&v, NULL, NULL,
                                       "the update changes no image"),
                     0);
    doc = respond("admission.k8s.io/v1", &v);
    resp = json_object_get(doc, "response");
    assert_true(json_is_true(json_object_get(resp, "allowed")));
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(resp, "auditAnnotations"), "not-evaluated")),
        "the update changes no image");
    json_decref(doc);
    vk8s_verdict_clear(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vk8s_reads_every_kind_kubectl_makes),
        cmocka_unit_test(test_vk8s_kinds_without_pods_run_nothing),
        cmocka_unit_test(test_vk8s_names_the_field_at_fault),
        cmocka_unit_test(test_vk8s_limits_images),
        cmocka_unit_test(test_vk8s_reads_reviews),
        cmocka_unit_test(test_vk8s_refuses_malformed_reviews),
        cmocka_unit_test(test_vk8s_refuses_huge_reviews),
        cmocka_unit_test(test_vk8s_decides_only_what_runs_new_images),
        cmocka_unit_test(test_vk8s_synthesizes_a_review),
        cmocka_unit_test(test_vk8s_verdict_allows_attested_digests),
        cmocka_unit_test(test_vk8s_verdict_says_what_gke_says),
        cmocka_unit_test(test_vk8s_verdict_follows_each_rule_map),
        cmocka_unit_test(test_vk8s_verdict_exempts_before_rules),
        cmocka_unit_test(test_vk8s_verdict_dry_run_and_breakglass),
        cmocka_unit_test(test_vk8s_response_denies_with_403),
        cmocka_unit_test(test_vk8s_response_echoes_v1beta1_and_warns),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
