/*
 * Unit tests of the route table (src/api/routes.c) and its check
 * (api_router_check, src/api/router.c): every route maps to exactly one
 * permission vouchd knows, checked on a resource, or says why it needs
 * none; a table that breaks the rule is refused, as vouchd refuses to
 * start with one. tests/authz/test_matrix.py asks a running vouchd the
 * same of every route, with real callers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "iam.h"
#include "router.h"

static int noop(struct api_request *req)
{
    (void)req;
    return 0;
}

static void test_routes_every_route_declares_a_known_permission(void **s)
{
    size_t open = 0;

    (void)s;
    assert_true(api_route_count > 100);
    for (size_t i = 0; i < api_route_count; i++) {
        const api_route *r = &api_routes[i];
        unsigned exempt = r->flags & (API_ROUTE_PUBLIC |
                                      API_ROUTE_ANY_CALLER);

        if (r->permission == NULL) {
            /* Only the probes, whoami and testIamPermissions. */
            if (exempt == 0) {
                fail_msg("%s declares no permission", r->template);
            }
            open++;
            assert_true((r->flags & API_ROUTE_PUBLIC) != 0 ||
                        strcmp(r->template, "/v1/vouch:whoami") == 0 ||
                        strstr(r->template, ":testIamPermissions") != NULL);
            continue;
        }
        if (!vouch_iam_permission_known(r->permission)) {
            fail_msg("%s: unknown permission %s", r->template,
                     r->permission);
        }
        assert_int_equal(exempt, 0);
        assert_int_not_equal(r->resource, API_RES_NONE);
    }
    assert_true(open >= 3);
    assert_int_equal(api_router_check(NULL), 0);
}

static void test_routes_method_and_template_are_unique(void **s)
{
    (void)s;
    for (size_t i = 0; i < api_route_count; i++) {
        for (size_t j = i + 1; j < api_route_count; j++) {
            if (api_routes[i].method == api_routes[j].method &&
                strcmp(api_routes[i].template, api_routes[j].template) ==
                    0) {
                fail_msg("%s twice", api_routes[i].template);
            }
        }
    }
}

static void test_routes_check_refuses_a_route_without_permission(void **s)
{
    static const api_route bad[] = {
        { API_GET, "/healthz", noop, API_ROUTE_PUBLIC, NULL, API_RES_NONE },
        { API_GET, "/v1/projects/{p}/secret", noop, 0, NULL,
          API_RES_PROJECT },
    };
    static const api_route unknown[] = {
        { API_GET, "/v1/projects/{p}/x", noop, 0, "binaryauthorization.x.y",
          API_RES_PROJECT },
    };
    static const api_route nowhere[] = {
        { API_GET, "/v1/x", noop, 0, "binaryauthorization.policy.get",
          API_RES_NONE },
    };
    vouch_error err = VOUCH_ERROR_INIT;

    (void)s;
    assert_int_equal(api_router_check_table(bad, 2, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "/v1/projects/{p}/secret"));
    assert_non_null(strstr(err.message, "declares no permission"));
    assert_int_equal(api_router_check_table(unknown, 1, &err),
                     VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "binaryauthorization.x.y"));
    assert_int_equal(api_router_check_table(nowhere, 1, &err),
                     VOUCH_EINVAL);
    assert_int_equal(api_router_check_table(bad, 1, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes_every_route_declares_a_known_permission),
        cmocka_unit_test(test_routes_method_and_template_are_unique),
        cmocka_unit_test(test_routes_check_refuses_a_route_without_permission),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
