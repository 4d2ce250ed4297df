/*
 * Fuzz vouch_policy_parse() on JSON input. Its two trees and
 * vouch_policy_from_json_value() must agree (fuzz_trees.h). On success the
 * policy is printed in both formats and each print re-parsed: that must
 * succeed and print identically, or the target aborts. At most one GKE
 * rule map is set, and a Kubernetes workload named by any of its keys is
 * decided by an entry of that map.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/jansson.h"
#include "vouch/evaluate.h"
#include "vouch/policy.h"

#include "fuzz_trees.h"

static void check_round_trip(const vouch_policy *policy, vouch_format format)
{
    vouch_policy *again = NULL;
    char *text = NULL;
    char *text2 = NULL;
    size_t len = 0;
    size_t len2 = 0;

    if (vouch_policy_print(policy, format, &text, &len, NULL) != 0) {
        abort();
    }
    if (vouch_policy_parse(&again, text, len, format, "print", NULL) != 0) {
        abort();
    }
    if (vouch_policy_print(again, format, &text2, &len2, NULL) != 0 ||
        len != len2 || memcmp(text, text2, len) != 0) {
        abort();
    }
    vouch_free(text);
    vouch_free(text2);
    vouch_policy_free(again);
}

static int print_model(const void *model, char **out)
{
    return vouch_policy_print(model, VOUCH_FORMAT_JSON, out, NULL, NULL);
}

static void release_model(void *model)
{
    vouch_policy_free(model);
}

static int model_from_value(void **out, const json_t *value)
{
    vouch_policy **model = (vouch_policy **)out;

    return vouch_policy_from_json_value(model, value, "fuzz", NULL);
}

static const fuzz_model_ops model_ops = {
    vouch__policy_reader, print_model, release_model, model_from_value
};

/* Split a copy of `key` of `map` into the context that names it. */
static void context_of(vouch_rule_map map, const char *key, char *buf,
                       size_t size, vouch_kubernetes_context *ctx)
{
    char *p;

    snprintf(buf, size, "%s", key);
    switch (map) {
    case VOUCH_CLUSTER_ADMISSION_RULES:
        ctx->cluster = buf;
        break;
    case VOUCH_KUBERNETES_NAMESPACE_ADMISSION_RULES:
        ctx->namespace_name = buf;
        break;
    case VOUCH_KUBERNETES_SERVICE_ACCOUNT_ADMISSION_RULES:
        p = strchr(buf, ':');
        *p = '\0';
        ctx->namespace_name = buf;
        ctx->service_account = p + 1;
        break;
    default:    /* [spiffe://]DOMAIN/ns/NS/sa/SA, checked when parsed */
        p = strncmp(buf, "spiffe://", 9) == 0 ? buf + 9 : buf;
        ctx->trust_domain = p;
        p = strstr(p, "/ns/");
        *p = '\0';
        ctx->namespace_name = p + 4;
        p = strstr(p + 4, "/sa/");
        *p = '\0';
        ctx->service_account = p + 4;
        break;
    }
}

static void check_kubernetes(const vouch_policy *policy)
{
    static const char *const images[] = {
        "gcr.io/fuzz/app@sha256:"
        "527584eb3a3ee27717e6cced437e86c83cee6c6be183a8d109fbddf9b875faf7"};
    size_t filled = 0;
    size_t m;
    size_t i;

    for (m = 0; m < VOUCH_RULE_MAP_COUNT; m++) {
        const char *field = vouch_rule_map_field((vouch_rule_map)m);
        size_t count = vouch_policy_rule_map_count(policy, (vouch_rule_map)m);

        filled += count > 0;
        for (i = 0; i < count; i++) {
            vouch_kubernetes_context ctx = VOUCH_KUBERNETES_CONTEXT_INIT;
            vouch_evaluation_input in = VOUCH_EVALUATION_INPUT_INIT;
            vouch_decision *d = NULL;
            char buf[1024];

            context_of((vouch_rule_map)m,
                       vouch_policy_rule_map_key(policy, (vouch_rule_map)m,
                                                 i),
                       buf, sizeof(buf), &ctx);
            in.policy = policy;
            in.images = images;
            in.image_count = 1;
            in.kubernetes = &ctx;
            if (vouch_evaluate(&d, &in, NULL) != 0 ||
                strncmp(vouch_decision_rule(d), field, strlen(field)) != 0) {
                abort();
            }
            vouch_decision_free(d);
        }
    }
    if (filled > 1) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vouch_policy *policy = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    fuzz_check_trees(&model_ops, data, size, VOUCH_POLICY_MAX_BYTES);

    if (vouch_policy_parse(&policy, (const char *)data, size,
                           VOUCH_FORMAT_JSON, "fuzz", &err) != 0) {
        return 0;
    }
    check_round_trip(policy, VOUCH_FORMAT_JSON);
    check_round_trip(policy, VOUCH_FORMAT_YAML);
    check_kubernetes(policy);
    vouch_policy_free(policy);
    return 0;
}
