/*
 * Print vouchd's route table and the predefined roles as JSON, for
 * tests/authz/test_matrix.py: the authorization matrix is generated from
 * the same table vouchd enforces, so a route added without its check (or
 * with the wrong one) fails it.
 *
 *   {"routes": [{"method": "GET", "template": "/v1/...", "permission":
 *                "..." | null, "resource": "PROJECT", "public": false,
 *                "anyCaller": false}, ...],
 *    "roles": {"roles/viewer": ["perm", ...], ...}}
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "iam.h"
#include "router.h"

static const char *const resources[] = {
    [API_RES_NONE] = "NONE",
    [API_RES_PROJECT] = "PROJECT",
    [API_RES_POLICY] = "POLICY",
    [API_RES_ATTESTOR] = "ATTESTOR",
    [API_RES_NOTE] = "NOTE",
    [API_RES_SERVICE] = "SERVICE",
    [API_RES_JOB] = "JOB",
    [API_RES_V1_SERVICE] = "V1_SERVICE",
    [API_RES_V1_JOB] = "V1_JOB",
    [API_RES_ANY_PROJECT] = "ANY_PROJECT",
    [API_RES_BODY] = "BODY",
};

int main(void)
{
    json_t *routes = json_array();
    json_t *roles = json_object();
    json_t *out;
    char *text;

    for (size_t i = 0; i < api_route_count; i++) {
        const api_route *r = &api_routes[i];

        json_array_append_new(
            routes,
            json_pack("{s:s,s:s,s:s?,s:s,s:b,s:b}", "method",
                      api_method_name(r->method), "template", r->template,
                      "permission", r->permission, "resource",
                      resources[r->resource], "public",
                      (r->flags & API_ROUTE_PUBLIC) != 0, "anyCaller",
                      (r->flags & API_ROUTE_ANY_CALLER) != 0));
    }
    for (size_t i = 0; i < vouch_iam_role_count(); i++) {
        const char *name = vouch_iam_role_name(i);
        size_t n = 0;
        const char *const *perms = vouch_iam_role_permissions(name, &n);
        json_t *list = json_array();

        for (size_t k = 0; k < n; k++) {
            json_array_append_new(list, json_string(perms[k]));
        }
        json_object_set_new(roles, name, list);
    }
    out = json_pack("{s:o,s:o}", "routes", routes, "roles", roles);
    text = out != NULL ? json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS)
                       : NULL;
    if (text == NULL) {
        return 1;
    }
    puts(text);
    free(text);
    json_decref(out);
    return 0;
}
