/*
 * libFuzzer target for the Kubernetes admission path of src/k8s: the bytes
 * are an AdmissionReview request. Whatever reads must be decided (under a
 * fixed policy with a namespace rule and a tag-refusing default rule),
 * turned into a verdict and answered as a response that is valid JSON
 * with the request's uid; whatever is refused must say why. Seed corpus:
 * fuzz/corpus/k8s_review/ (reviews of objects kubectl made).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_yaml[] =
    "kubernetesNamespaceAdmissionRules:\n"
    "  prod:\n"
    "    evaluationMode: ALWAYS_DENY\n"
    "    enforcementMode: DRYRUN_AUDIT_LOG_ONLY\n"
    "defaultAdmissionRule:\n"
    "  evaluationMode: REQUIRE_ATTESTATION\n"
    "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
    "  requireAttestationsBy: [projects/p/attestors/a]\n";

static void answer(const vk8s_review *r, const vk8s_workload *w,
                   const vouch_policy *policy, const char *skip)
{
    vouch_evaluation_input in = VOUCH_EVALUATION_INPUT_INIT;
    vouch_decision *d = NULL;
    vk8s_verdict v;
    vouch_error err = VOUCH_ERROR_INIT;
    char *out = NULL;
    json_t *doc;

    in.policy = policy;
    if (w != NULL &&
        vk8s_evaluate(&d, w, "us-central1-a.prod", NULL, &in, &err) < 0) {
        fprintf(stderr, "a read workload was not decided: %s\n",
                err.message);
        abort();
    }
    if (vk8s_verdict_make(&v, d, policy, skip) == 0 &&
        vk8s_response_build(&out, NULL, r, &v, &err) == 0) {
        doc = json_loads(out, 0, NULL);
        if (doc == NULL ||
            strcmp(json_string_value(json_object_get(
                       json_object_get(doc, "response"), "uid")),
                   r->uid) != 0 ||
            (!v.allowed && v.message == NULL)) {
            abort(); /* a response that is not JSON, or lost the uid */
        }
        json_decref(doc);
    }
    free(out);
    vk8s_verdict_clear(&v);
    vouch_decision_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vouch_policy *policy;
    vk8s_review *r = NULL;
    vk8s_workload *w = NULL;
    const char *skip = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    if (policy == NULL &&
        vouch_policy_parse(&policy, policy_yaml, sizeof(policy_yaml) - 1,
                           VOUCH_FORMAT_YAML, NULL, NULL) < 0) {
        abort();
    }
    rc = vk8s_review_parse(&r, (const char *)data, size, &err);
    if (rc < 0) {
        if (err.message[0] == '\0' || r != NULL) {
            abort(); /* refused without a reason */
        }
        return 0;
    }
    rc = vk8s_review_workload(&w, &skip, r, &err);
    if (rc < 0 && err.message[0] == '\0') {
        abort();
    }
    if (rc == 0 && (w != NULL) == (skip != NULL)) {
        abort(); /* exactly one of: something to decide, a reason not to */
    }
    if (rc == 0) {
        answer(r, w, policy, skip);
    }
    vk8s_workload_free(w);
    vk8s_review_free(r);
    return 0;
}
