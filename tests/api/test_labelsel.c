/*
 * Unit tests of src/api/labelsel.c (Kubernetes label selectors of the
 * Cloud Run v1 lists).
 *
 *   test_labelsel_*  api_labelsel_parse, api_labelsel_match,
 *                    api_labelsel_pinned, api_labelsel_free
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "labelsel.h"

static api_labelsel *parse_ok(const char *text)
{
    api_labelsel *sel = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (api_labelsel_parse(text, strlen(text), &sel, &err) != 0) {
        fail_msg("'%s': %s (column %u)", text, err.message, err.column);
    }
    return sel;
}

static bool matches(const char *text, const json_t *labels)
{
    api_labelsel *sel = parse_ok(text);
    bool m = api_labelsel_match(sel, labels);

    api_labelsel_free(sel);
    return m;
}

static void test_labelsel_what_gcloud_sends(void **state)
{
    json_t *rev = json_pack("{s:s,s:s}", "serving.knative.dev/service",
                            "web", "client.knative.dev/nonce", "abc");
    api_labelsel *sel;

    (void)state;
    sel = parse_ok("serving.knative.dev/service = web");
    assert_true(api_labelsel_match(sel, rev));
    assert_string_equal(api_labelsel_pinned(sel,
                                            "serving.knative.dev/service"),
                        "web");
    assert_null(api_labelsel_pinned(sel, "client.knative.dev/nonce"));
    api_labelsel_free(sel);
    assert_false(matches("serving.knative.dev/service = api", rev));
    assert_true(matches("client.knative.dev/nonce = abc", rev));
    assert_false(matches("serving.knative.dev/service = web,"
                         "client.knative.dev/nonce = other", rev));
    json_decref(rev);
}

static void test_labelsel_every_operator(void **state)
{
    json_t *task = json_pack("{s:s,s:s,s:s}", "run.googleapis.com/execution",
                             "e1", "run.googleapis.com/runningState",
                             "Failed", "empty", "");

    (void)state;
    assert_true(matches("", task));
    assert_true(matches("  ", task));
    assert_true(matches("run.googleapis.com/runningState in "
                        "(Running,Failed)", task));
    assert_false(matches("run.googleapis.com/runningState in (Running)",
                         task));
    assert_true(matches("run.googleapis.com/runningState notin (Running)",
                        task));
    assert_false(matches("run.googleapis.com/runningState notin ( Failed )",
                         task));
    assert_true(matches("run.googleapis.com/execution==e1", task));
    assert_true(matches("run.googleapis.com/execution != e2", task));
    assert_false(matches("run.googleapis.com/execution != e1", task));
    assert_true(matches("run.googleapis.com/execution", task));
    assert_false(matches("!run.googleapis.com/execution", task));
    assert_true(matches("! missing", task));
    assert_true(matches("missing != x", task));   /* absent: not x */
    assert_false(matches("missing in (x)", task));
    assert_true(matches("empty=", task));
    assert_false(matches("present", NULL));
    json_decref(task);
}

static void test_labelsel_in_of_one_value_is_pinned(void **state)
{
    api_labelsel *sel = parse_ok("job in (batch), other notin (x)");

    (void)state;
    assert_string_equal(api_labelsel_pinned(sel, "job"), "batch");
    assert_null(api_labelsel_pinned(sel, "other"));
    api_labelsel_free(sel);
    sel = parse_ok("job in (a,b)");
    assert_null(api_labelsel_pinned(sel, "job"));
    api_labelsel_free(sel);
    api_labelsel_free(NULL);
}

typedef struct bad_case {
    const char *text;
    int code;
    uint32_t column;
    const char *words;
} bad_case;

static void test_labelsel_errors_name_the_column(void **state)
{
    static const bad_case cases[] = {
        { "a in (b", VOUCH_EINVAL, 8, "',' or ')'" },
        { "a in b", VOUCH_EINVAL, 6, "'('" },
        { "a ~ b", VOUCH_EINVAL, 3, "after the key 'a'" },
        { "a,,b", VOUCH_EINVAL, 3, "a label key" },
        { "a,", VOUCH_EINVAL, 3, "after ','" },
        { "a=b c", VOUCH_EINVAL, 5, "',' or the end" },
        { "!", VOUCH_EINVAL, 2, "a label key" },
        { "a in ()", VOUCH_EINVAL, 7, "a value" },
        { "a=b=c", VOUCH_EINVAL, 4, "',' or the end" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        api_labelsel *sel = NULL;
        vouch_error err = VOUCH_ERROR_INIT;
        int rc = api_labelsel_parse(cases[i].text, strlen(cases[i].text),
                                    &sel, &err);
        if (rc != cases[i].code || err.column != cases[i].column ||
            strstr(err.message, cases[i].words) == NULL) {
            fail_msg("%s: rc %d column %u message '%s'", cases[i].text, rc,
                     err.column, err.message);
        }
        assert_null(sel);
        assert_string_equal(err.source, "labelSelector");
    }
}

static void test_labelsel_limits(void **state)
{
    char text[API_LABELSEL_MAX_BYTES + 2];
    char value[80];
    api_labelsel *sel = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t n = 0;

    (void)state;
    memset(text, 'a', sizeof(text));
    assert_int_equal(api_labelsel_parse(text, API_LABELSEL_MAX_BYTES + 1,
                                        &sel, &err),
                     VOUCH_ETOOBIG);
    /* One requirement more than allowed. */
    for (unsigned i = 0; i <= API_LABELSEL_MAX_REQS; i++) {
        n += (size_t)snprintf(text + n, sizeof(text) - n, "%sk%u",
                              i > 0 ? "," : "", i);
    }
    assert_int_equal(api_labelsel_parse(text, n, &sel, &err),
                     VOUCH_ETOOBIG);
    assert_null(sel);
    /* A value is at most 63 characters. */
    memset(value, 'v', 64);
    value[64] = '\0';
    n = (size_t)snprintf(text, sizeof(text), "k=%s", value);
    assert_int_equal(api_labelsel_parse(text, n, &sel, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "at most 63"));
    /* Reads exactly len bytes: "k=vv" cut to "k=v". */
    assert_int_equal(api_labelsel_parse("k=vv", 3, &sel, &err), 0);
    json_t *labels = json_pack("{s:s}", "k", "v");
    assert_true(api_labelsel_match(sel, labels));
    json_decref(labels);
    api_labelsel_free(sel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labelsel_what_gcloud_sends),
        cmocka_unit_test(test_labelsel_every_operator),
        cmocka_unit_test(test_labelsel_in_of_one_value_is_pinned),
        cmocka_unit_test(test_labelsel_errors_name_the_column),
        cmocka_unit_test(test_labelsel_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
