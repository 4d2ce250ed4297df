/*
 * Fuzz vouch_attestor_parse() on JSON and YAML (AUTO: the first byte
 * decides). On success the attestor is printed in both formats and each
 * print re-parsed: that must succeed and print identically, or the target
 * aborts. Keys inside are parsed by key.c (PEM through OpenSSL, armored
 * OpenPGP through RNP), so this also fuzzes them in context. For JSON, the
 * two trees and vouch_attestor_from_json_value() must agree
 * (fuzz_trees.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/jansson.h"
#include "vouch/attestor.h"

#include "fuzz_trees.h"

static void check_round_trip(const vouch_attestor *attestor,
                             vouch_format format)
{
    vouch_attestor *again = NULL;
    char *text = NULL;
    char *text2 = NULL;
    size_t len = 0;
    size_t len2 = 0;

    if (vouch_attestor_print(attestor, format, &text, &len, NULL) != 0) {
        abort();
    }
    if (vouch_attestor_parse(&again, text, len, format, "print",
                             NULL) != 0) {
        abort();
    }
    if (vouch_attestor_print(again, format, &text2, &len2, NULL) != 0 ||
        len != len2 || memcmp(text, text2, len) != 0) {
        abort();
    }
    vouch_free(text);
    vouch_free(text2);
    vouch_attestor_free(again);
}

static int print_model(const void *model, char **out)
{
    return vouch_attestor_print(model, VOUCH_FORMAT_JSON, out, NULL, NULL);
}

static void release_model(void *model)
{
    vouch_attestor_free(model);
}

static int model_from_value(void **out, const json_t *value)
{
    vouch_attestor **model = (vouch_attestor **)out;

    return vouch_attestor_from_json_value(model, value, "fuzz", NULL);
}

static const fuzz_model_ops model_ops = {
    vouch__attestor_reader, print_model, release_model, model_from_value
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vouch_attestor *attestor = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    fuzz_check_trees(&model_ops, data, size, VOUCH_ATTESTOR_MAX_BYTES);

    if (vouch_attestor_parse(&attestor, (const char *)data, size,
                             VOUCH_FORMAT_AUTO, "fuzz", &err) != 0) {
        return 0;
    }
    check_round_trip(attestor, VOUCH_FORMAT_JSON);
    check_round_trip(attestor, VOUCH_FORMAT_YAML);
    vouch_attestor_free(attestor);
    return 0;
}
