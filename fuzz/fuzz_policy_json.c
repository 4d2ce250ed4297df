/*
 * Fuzz vouch_policy_parse() on JSON input. Its two trees and
 * vouch_policy_from_json_value() must agree (fuzz_trees.h). On success the
 * policy is printed in both formats and each print re-parsed: that must
 * succeed and print identically, or the target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/jansson.h"
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
    vouch_policy_free(policy);
    return 0;
}
