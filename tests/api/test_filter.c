/*
 * Unit tests of src/api/filter.c (the occurrence list filter) and
 * src/api/router.c (route matching).
 *
 *   test_filter_*  api_filter_parse, api_filter_clear,
 *                  vsvc_resource_uri_normal
 *   test_router_*  api_router_match, api_method_parse
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "filter.h"
#include "handlers.h"
#include "vsvc_names.h"
#include "router.h"

#define LIT(s) (s), (sizeof(s) - 1)

static void test_filter_empty_matches_everything(void **state)
{
    api_filter f;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(api_filter_parse(LIT(""), &f, &err), 0);
    assert_null(f.resource_url);
    assert_null(f.kind);
    assert_null(f.note_name);
    assert_int_equal(api_filter_parse(LIT("  \t "), &f, &err), 0);
    assert_null(f.kind);
}

static void test_filter_three_terms_joined_by_and(void **state)
{
    api_filter f;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(
        api_filter_parse(LIT("resourceUrl=\"https://gcr.io/a@sha256:00\" "
                             "AND kind = \"ATTESTATION\"\tAND "
                             "noteName=\"projects/p/notes/n\""),
                         &f, &err),
        0);
    assert_string_equal(f.resource_url, "gcr.io/a@sha256:00");
    assert_string_equal(f.kind, "ATTESTATION");
    assert_string_equal(f.note_name, "projects/p/notes/n");
    api_filter_clear(&f);
    assert_null(f.kind);
    api_filter_clear(&f);   /* twice is harmless */
    api_filter_clear(NULL);
}

static void test_filter_escapes_in_strings(void **state)
{
    api_filter f;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(api_filter_parse(LIT("noteName=\"a\\\"b\\\\c\""), &f,
                                      &err),
                     0);
    assert_string_equal(f.note_name, "a\"b\\c");
    api_filter_clear(&f);
}

static void test_filter_has_suffix(void **state)
{
    api_filter f;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* What gcloud's attestations list --artifact-url sends. */
    assert_int_equal(api_filter_parse(LIT("has_suffix(resourceUrl, "
                                          "\"sha256:ab\")"),
                                      &f, &err),
                     0);
    assert_string_equal(f.resource_url_suffix, "sha256:ab");
    assert_null(f.resource_url);
    api_filter_clear(&f);
    assert_int_equal(api_filter_parse(LIT("kind=\"ATTESTATION\" AND "
                                          "has_suffix ( resourceUrl ,"
                                          "\"x\" )"),
                                      &f, &err),
                     0);
    assert_string_equal(f.resource_url_suffix, "x");
    assert_string_equal(f.kind, "ATTESTATION");
    api_filter_clear(&f);
    assert_int_equal(api_filter_parse(LIT("has_suffix(kind, \"x\")"), &f,
                                      &err),
                     VOUCH_EINVAL);
    assert_int_equal(err.column, 12);
    assert_non_null(strstr(err.message, "only resourceUrl"));
    assert_int_equal(api_filter_parse(LIT("has_suffix(resourceUrl \"x\")"),
                                      &f, &err),
                     VOUCH_EINVAL);
    assert_int_equal(err.column, 24);
    assert_int_equal(api_filter_parse(LIT("has_suffix(resourceUrl, \"x\""),
                                      &f, &err),
                     VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "')'"));
    assert_null(f.resource_url_suffix);
}

static void test_filter_reads_only_len_bytes(void **state)
{
    /* The term is cut before its closing quote: must not read on. */
    static const char text[] = "kind=\"ATTESTATION\"";
    api_filter f;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(api_filter_parse(text, sizeof(text) - 2, &f, &err),
                     VOUCH_EINVAL);
    assert_int_equal(err.column, 6);
    assert_non_null(strstr(err.message, "not closed"));
}

typedef struct bad_case {
    const char *text;
    uint32_t column;
    const char *words;
} bad_case;

static void test_filter_errors_name_the_column(void **state)
{
    static const bad_case cases[] = {
        { "resourceUrl=", 13, "quoted string" },
        { "resourceUrl=\"a\" OR kind=\"x\"", 17, "AND or the end" },
        { "color=\"red\"", 1, "unknown field 'color'" },
        { "kind \"x\"", 6, "expected '='" },
        { "kind=\"x\" AND", 13, "after AND" },
        { "kind=\"x\" AND ", 14, "after AND" },
        { "kind=\"x\" ANDnoteName=\"y\"", 10, "AND or the end" },
        { "kind=\"x\" and noteName=\"y\"", 10, "AND or the end" },
        { "noteName=\"open", 10, "not closed" },
        { "kind=\"a\" AND kind=\"b\"", 14, "twice" },
        { "kind=\"a\\n\"", 8, "escaped" },
        { "kind=\"a\\", 8, "escaped" },
        { "=\"x\"", 1, "expected a field" },
        { "kind=x", 6, "quoted string" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        api_filter f;
        vouch_error err = VOUCH_ERROR_INIT;
        int rc = api_filter_parse(cases[i].text, strlen(cases[i].text), &f,
                                  &err);
        if (rc != VOUCH_EINVAL || err.column != cases[i].column ||
            strstr(err.message, cases[i].words) == NULL) {
            fail_msg("%s: rc %d column %u message '%s'", cases[i].text, rc,
                     err.column, err.message);
        }
        assert_null(f.kind);
        assert_null(f.note_name);
        assert_null(f.resource_url);
        assert_string_equal(err.source, "filter");
    }
}

static void test_filter_over_limit_is_too_big(void **state)
{
    char *text = malloc(API_FILTER_MAX_BYTES + 1);
    api_filter f;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_non_null(text);
    memset(text, ' ', API_FILTER_MAX_BYTES + 1);
    assert_int_equal(api_filter_parse(text, API_FILTER_MAX_BYTES + 1, &f,
                                      &err),
                     VOUCH_ETOOBIG);
    assert_non_null(strstr(err.message, "4096"));
    /* Exactly the limit is fine. */
    assert_int_equal(api_filter_parse(text, API_FILTER_MAX_BYTES, &f, &err),
                     0);
    free(text);
}

static void test_filter_err_may_be_null(void **state)
{
    api_filter f;

    (void)state;
    assert_int_equal(api_filter_parse(LIT("nope"), &f, NULL), VOUCH_EINVAL);
}

static void test_filter_uri_normal_strips_https_only(void **state)
{
    (void)state;
    assert_string_equal(vsvc_resource_uri_normal("https://gcr.io/a"),
                        "gcr.io/a");
    assert_string_equal(vsvc_resource_uri_normal("gcr.io/a"), "gcr.io/a");
    assert_string_equal(vsvc_resource_uri_normal("http://gcr.io/a"),
                        "http://gcr.io/a");
    assert_string_equal(vsvc_resource_uri_normal("https:/"), "https:/");
}

/* ---- router ---- */

static int match(const char *path, api_method m, const api_route **route,
                 char **params, char *allow)
{
    return api_router_match(path, strlen(path), m, route, params, 3, allow,
                            64);
}

static void free_params(char **params)
{
    for (size_t i = 0; i < 3; i++) {
        free(params[i]);
        params[i] = NULL;
    }
}

static void test_router_matches_templates_and_captures(void **state)
{
    const api_route *route = NULL;
    char *params[3] = { NULL, NULL, NULL };
    char allow[64];

    (void)state;
    assert_int_equal(match("/v1/projects/p1/attestors/a.b-c_d~e", API_PUT,
                           &route, params, allow),
                     API_MATCH_OK);
    assert_string_equal(route->template, "/v1/projects/{p}/attestors/{a}");
    assert_ptr_equal(route->handler, api_update_attestor);
    assert_string_equal(params[0], "p1");
    assert_string_equal(params[1], "a.b-c_d~e");
    free_params(params);

    assert_int_equal(match("/v1/projects/p/attestors/"
                           "x:validateAttestationOccurrence",
                           API_POST, &route, params, allow),
                     API_MATCH_OK);
    assert_ptr_equal(route->handler, api_validate_attestation);
    assert_string_equal(params[1], "x");
    free_params(params);

    assert_int_equal(match("/v1/projects/p/occurrences:batchCreate",
                           API_POST, &route, params, allow),
                     API_MATCH_OK);
    assert_ptr_equal(route->handler, api_batch_create_occurrences);
    free_params(params);

    assert_int_equal(match("/healthz", API_GET, &route, params, allow),
                     API_MATCH_OK);
    assert_ptr_equal(route->handler, api_healthz);
    assert_int_equal(match("/healthz", API_HEAD, &route, params, allow),
                     API_MATCH_OK);
}

static void test_router_not_found(void **state)
{
    static const char *const paths[] = {
        "/", "", "/v1", "/v1/project/p", "/v1/projects/p/policy/",
        "/v1/projects//policy", "/v1/projects/p/attestors/a/b",
        "/v1/projects/p/attestors/:validateAttestationOccurrence",
        "/v1/projects/p/attestors/a:other", "/v1/projects/p/policyx",
        "/healthzz", "//healthz",
    };
    const api_route *route = NULL;
    char *params[3] = { NULL, NULL, NULL };
    char allow[64];

    (void)state;
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        int m = match(paths[i], API_GET, &route, params, allow);
        if (m != API_MATCH_NOT_FOUND) {
            fail_msg("%s: %d", paths[i], m);
        }
        assert_null(route);
        assert_null(params[0]);
    }
}

static void test_router_method_not_allowed_lists_methods(void **state)
{
    const api_route *route = NULL;
    char *params[3] = { NULL, NULL, NULL };
    char allow[64];

    (void)state;
    assert_int_equal(match("/v1/projects/p/attestors/a", API_POST, &route,
                           params, allow),
                     API_MATCH_METHOD);
    assert_string_equal(allow, "GET, PUT, DELETE");
    assert_null(params[0]);
    assert_int_equal(match("/metrics", API_DELETE, &route, params, allow),
                     API_MATCH_METHOD);
    assert_string_equal(allow, "GET");
}

static void test_router_bad_id_names_segment(void **state)
{
    const api_route *route = NULL;
    char *params[3] = { NULL, NULL, NULL };
    char allow[64];
    char long_id[API_ID_MAX + 40];

    (void)state;
    assert_int_equal(match("/v1/projects/a b/policy", API_GET, &route,
                           params, allow),
                     API_MATCH_BAD_ID);
    assert_string_equal(allow, "a b");
    assert_null(params[0]);

    /* "." and "..": id characters, but path steps, never ids. */
    assert_int_equal(match("/v1/projects/../attestors", API_GET, &route,
                           params, allow),
                     API_MATCH_BAD_ID);
    assert_string_equal(allow, "..");
    assert_int_equal(match("/v1/projects/p/attestors/.", API_DELETE, &route,
                           params, allow),
                     API_MATCH_BAD_ID);
    assert_string_equal(allow, ".");
    assert_null(params[0]);
    /* Dots inside an id are fine. */
    assert_int_equal(match("/v1/projects/.../attestors/a.b", API_GET, &route,
                           params, allow),
                     API_MATCH_OK);
    assert_string_equal(params[0], "...");
    assert_string_equal(params[1], "a.b");
    free_params(params);

    memset(long_id, 0, sizeof(long_id));
    strcpy(long_id, "/v1/projects/");
    memset(long_id + 13, 'x', API_ID_MAX + 1);
    strcat(long_id, "/policy");
    assert_int_equal(match(long_id, API_GET, &route, params, allow),
                     API_MATCH_BAD_ID);
    /* Exactly API_ID_MAX is fine. */
    memset(long_id, 0, sizeof(long_id));
    strcpy(long_id, "/v1/projects/");
    memset(long_id + 13, 'x', API_ID_MAX);
    strcat(long_id, "/policy");
    assert_int_equal(match(long_id, API_GET, &route, params, allow),
                     API_MATCH_OK);
    assert_int_equal(strlen(params[0]), API_ID_MAX);
    free_params(params);
}

static void test_router_reads_only_len_bytes(void **state)
{
    static const char path[] = "/healthzXYZ";
    const api_route *route = NULL;
    char *params[3] = { NULL, NULL, NULL };
    char allow[64];

    (void)state;
    assert_int_equal(api_router_match(path, 8, API_GET, &route, params, 3,
                                      allow, sizeof(allow)),
                     API_MATCH_OK);
    assert_ptr_equal(route->handler, api_healthz);
}

static void test_router_method_names(void **state)
{
    (void)state;
    assert_int_equal(api_method_parse("GET"), API_GET);
    assert_int_equal(api_method_parse("DELETE"), API_DELETE);
    assert_int_equal(api_method_parse("get"), API_OTHER);
    assert_int_equal(api_method_parse("BREW"), API_OTHER);
    assert_string_equal(api_method_name(API_PUT), "PUT");
    assert_string_equal(api_method_name(API_OTHER), "OTHER");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_empty_matches_everything),
        cmocka_unit_test(test_filter_three_terms_joined_by_and),
        cmocka_unit_test(test_filter_escapes_in_strings),
        cmocka_unit_test(test_filter_has_suffix),
        cmocka_unit_test(test_filter_reads_only_len_bytes),
        cmocka_unit_test(test_filter_errors_name_the_column),
        cmocka_unit_test(test_filter_over_limit_is_too_big),
        cmocka_unit_test(test_filter_err_may_be_null),
        cmocka_unit_test(test_filter_uri_normal_strips_https_only),
        cmocka_unit_test(test_router_matches_templates_and_captures),
        cmocka_unit_test(test_router_not_found),
        cmocka_unit_test(test_router_method_not_allowed_lists_methods),
        cmocka_unit_test(test_router_bad_id_names_segment),
        cmocka_unit_test(test_router_reads_only_len_bytes),
        cmocka_unit_test(test_router_method_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
