/*
 * libFuzzer target for the IAM request parsers (src/auth/iam_*.c). The
 * first byte picks one:
 *   0  a Policy: a parsed policy prints, and the print parses back to the
 *      same bindings (the same etag);
 *   1  a setIamPolicy body, applied to a fixed current policy: the deltas
 *      turn the current policy into the new one;
 *   2  a testIamPermissions body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char current_doc[] =
    "{\"bindings\": [{\"role\": \"roles/viewer\", \"members\": "
    "[\"user:a@x.io\", \"allUsers\"]}, {\"role\": \"roles/run.admin\", "
    "\"members\": [\"group:g@x.io\"]}]}";

static void roundtrip(const char *in, size_t len)
{
    vouch_iam_policy *p = NULL;
    vouch_iam_policy *again = NULL;
    char *text = NULL;
    size_t text_len = 0;

    if (vouch_iam_policy_parse(&p, in, len, "fuzz", NULL) != 0) {
        return;
    }
    if (vouch_iam_policy_print(p, &text, &text_len, NULL) != 0 ||
        vouch_iam_policy_parse(&again, text, text_len, "print", NULL) != 0 ||
        strcmp(vouch_iam_policy_etag(p), vouch_iam_policy_etag(again)) != 0) {
        abort();
    }
    vouch_free(text);
    vouch_iam_policy_free(again);
    vouch_iam_policy_free(p);
}

/* Count of (role, member) pairs. */
static size_t pairs(const vouch_iam_policy *p)
{
    size_t i;
    size_t n = 0;

    for (i = 0; i < vouch_iam_policy_binding_count(p); i++) {
        n += vouch_iam_policy_member_count(p, i);
    }
    return n;
}

static void set(const char *in, size_t len)
{
    vouch_iam_policy *current = NULL;
    vouch_iam_policy *next = NULL;
    vouch_iam_delta *delta = NULL;
    vouch_iam_set_request req;
    size_t adds = 0;
    size_t i;

    if (vouch_iam_policy_parse(&current, current_doc,
                               sizeof(current_doc) - 1, NULL, NULL) != 0) {
        abort();
    }
    if (vouch_iam_set_request_parse(&req, in, len, "fuzz", NULL) == 0) {
        if (vouch_iam_policy_set(current, &req, &next, &delta, NULL) == 0) {
            json_t *j = vouch_iam_delta_to_json(delta);

            for (i = 0; i < vouch_iam_delta_count(delta); i++) {
                adds += strcmp(vouch_iam_delta_action(delta, i), "ADD") == 0;
            }
            /* new = current - removes + adds */
            if (j == NULL ||
                pairs(next) != pairs(current) + 2 * adds -
                                   vouch_iam_delta_count(delta)) {
                abort();
            }
            json_decref(j);
        }
        vouch_iam_set_request_clear(&req);
    }
    vouch_iam_delta_free(delta);
    vouch_iam_policy_free(next);
    vouch_iam_policy_free(current);
}

static void test_permissions(const char *in, size_t len)
{
    vouch_iam_caller caller = { "user:a@x.io", NULL };
    json_t *resp = NULL;

    if (vouch_iam_test_permissions_json(&caller, NULL, NULL, in, len, &resp,
                                        NULL) == 0) {
        json_decref(resp);
    } else if (resp != NULL) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data + 1;
    size_t len = size > 0 ? size - 1 : 0;

    if (size == 0) {
        return 0;
    }
    switch (data[0] % 3) {
    case 0:
        roundtrip(in, len);
        break;
    case 1:
        set(in, len);
        break;
    default:
        test_permissions(in, len);
        break;
    }
    return 0;
}
