/*
 * vouchd — the route table and the matcher.
 */
#include "router.h"
#include "logging.h"
#include "projects.h"
#include "run.h"
#include "run_v1.h"
#include "support_apis.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every route but the operations endpoints calls the service layer,
 * which runs each call as one read or one unit of work (src/service). */
#define S API_ROUTE_SESSION

static const api_route routes[] = {
    { API_GET, "/healthz", api_healthz, 0 },
    { API_GET, "/readyz", api_readyz, S },
    { API_GET, "/metrics", api_metrics_handler, 0 },

    /* Binary Authorization v1 */
    { API_GET, "/v1/projects/{p}/policy", api_get_policy, S },
    { API_PUT, "/v1/projects/{p}/policy", api_put_policy, S },
    { API_GET, "/v1/locations/{l}/policy", api_get_system_policy, 0 },
    { API_POST, "/v1/projects/{p}/attestors", api_create_attestor, S },
    { API_GET, "/v1/projects/{p}/attestors", api_list_attestors, S },
    { API_GET, "/v1/projects/{p}/attestors/{a}", api_get_attestor, S },
    { API_PUT, "/v1/projects/{p}/attestors/{a}", api_update_attestor, S },
    { API_DELETE, "/v1/projects/{p}/attestors/{a}", api_delete_attestor, S },
    { API_POST, "/v1/projects/{p}/attestors/{a}:validateAttestationOccurrence",
      api_validate_attestation, S },

    /* Container Analysis v1 */
    { API_POST, "/v1/projects/{p}/notes", api_create_note, S },
    { API_GET, "/v1/projects/{p}/notes", api_list_notes, S },
    { API_GET, "/v1/projects/{p}/notes/{n}", api_get_note, S },
    { API_GET, "/v1/projects/{p}/notes/{n}/occurrences", api_list_note_occurrences, S },
    { API_DELETE, "/v1/projects/{p}/notes/{n}", api_delete_note, S },
    { API_POST, "/v1/projects/{p}/occurrences", api_create_occurrence, S },
    { API_GET, "/v1/projects/{p}/occurrences", api_list_occurrences, S },
    { API_POST, "/v1/projects/{p}/occurrences:batchCreate",
      api_batch_create_occurrences, S },
    { API_GET, "/v1/projects/{p}/occurrences/{o}", api_get_occurrence, S },
    { API_DELETE, "/v1/projects/{p}/occurrences/{o}", api_delete_occurrence,
      S },
    /* Cloud Run Admin v2 (src/api/run.c) */
    { API_POST, "/v2/projects/{p}/locations/{l}/services", api_create_service, S },
    { API_GET, "/v2/projects/{p}/locations/{l}/services", api_list_services, S },
    { API_GET, "/v2/projects/{p}/locations/{l}/services/{s}", api_get_service, S },
    { API_PATCH, "/v2/projects/{p}/locations/{l}/services/{s}", api_update_service, S },
    { API_DELETE, "/v2/projects/{p}/locations/{l}/services/{s}", api_delete_service, S },
    { API_GET, "/v2/projects/{p}/locations/{l}/services/{s}/revisions", api_list_revisions, S },
    { API_GET, "/v2/projects/{p}/locations/{l}/services/{s}/revisions/{r}", api_get_revision, S },
    { API_POST, "/v2/projects/{p}/locations/{l}/jobs", api_create_job, S },
    { API_GET, "/v2/projects/{p}/locations/{l}/jobs", api_list_jobs, S },
    { API_GET, "/v2/projects/{p}/locations/{l}/jobs/{j}", api_get_job, S },
    { API_PATCH, "/v2/projects/{p}/locations/{l}/jobs/{j}", api_update_job, S },
    { API_DELETE, "/v2/projects/{p}/locations/{l}/jobs/{j}", api_delete_job, S },
    { API_POST, "/v2/projects/{p}/locations/{l}/jobs/{j}:run", api_run_job, S },
    { API_GET, "/v2/projects/{p}/locations/{l}/jobs/{j}/executions", api_list_executions, S },
    { API_GET, "/v2/projects/{p}/locations/{l}/jobs/{j}/executions/{e}", api_get_execution, S },
    { API_DELETE, "/v2/projects/{p}/locations/{l}/jobs/{j}/executions/{e}", api_delete_execution, S },
    { API_POST, "/v2/projects/{p}/locations/{l}/jobs/{j}/executions/{e}:cancel", api_cancel_execution, S },
    { API_GET, "/v2/projects/{p}/locations/{l}/operations", api_list_operations, S },
    { API_GET, "/v2/projects/{p}/locations/{l}/operations/{o}", api_get_operation, S },

    /* Cloud Run Admin v1, the Knative shape: the location comes from the
     * Host on /apis/... (src/api/run_v1_services.c, run_v1_jobs.c) */
    { API_POST, "/apis/serving.knative.dev/v1/namespaces/{p}/services", api_v1_create_service, S },
    { API_GET, "/apis/serving.knative.dev/v1/namespaces/{p}/services", api_v1_list_services, S },
    { API_GET, "/apis/serving.knative.dev/v1/namespaces/{p}/services/{s}", api_v1_get_service, S },
    { API_PUT, "/apis/serving.knative.dev/v1/namespaces/{p}/services/{s}", api_v1_replace_service, S },
    { API_DELETE, "/apis/serving.knative.dev/v1/namespaces/{p}/services/{s}", api_v1_delete_service, S },
    { API_GET, "/apis/serving.knative.dev/v1/namespaces/{p}/revisions", api_v1_list_revisions, S },
    { API_GET, "/apis/serving.knative.dev/v1/namespaces/{p}/revisions/{r}", api_v1_get_revision, S },
    { API_DELETE, "/apis/serving.knative.dev/v1/namespaces/{p}/revisions/{r}", api_v1_delete_revision, S },
    { API_GET, "/apis/serving.knative.dev/v1/namespaces/{p}/configurations", api_v1_list_configurations, S },
    { API_GET, "/apis/serving.knative.dev/v1/namespaces/{p}/configurations/{c}", api_v1_get_configuration, S },
    { API_GET, "/apis/serving.knative.dev/v1/namespaces/{p}/routes", api_v1_list_routes, S },
    { API_GET, "/apis/serving.knative.dev/v1/namespaces/{p}/routes/{r}", api_v1_get_route, S },
    { API_POST, "/v1/projects/{p}/locations/{l}/services", api_v1_create_service, S },
    { API_GET, "/v1/projects/{p}/locations/{l}/services", api_v1_list_services, S },
    { API_GET, "/v1/projects/{p}/locations/{l}/services/{s}", api_v1_get_service, S },
    { API_PUT, "/v1/projects/{p}/locations/{l}/services/{s}", api_v1_replace_service, S },
    { API_DELETE, "/v1/projects/{p}/locations/{l}/services/{s}", api_v1_delete_service, S },
    { API_GET, "/v1/projects/{p}/locations/{l}/revisions", api_v1_list_revisions, S },
    { API_GET, "/v1/projects/{p}/locations/{l}/revisions/{r}", api_v1_get_revision, S },
    { API_DELETE, "/v1/projects/{p}/locations/{l}/revisions/{r}", api_v1_delete_revision, S },
    { API_GET, "/v1/projects/{p}/locations/{l}/configurations", api_v1_list_configurations, S },
    { API_GET, "/v1/projects/{p}/locations/{l}/configurations/{c}", api_v1_get_configuration, S },
    { API_GET, "/v1/projects/{p}/locations/{l}/routes", api_v1_list_routes, S },
    { API_GET, "/v1/projects/{p}/locations/{l}/routes/{r}", api_v1_get_route, S },
    { API_POST, "/apis/run.googleapis.com/v1/namespaces/{p}/jobs", api_v1_create_job, S },
    { API_GET, "/apis/run.googleapis.com/v1/namespaces/{p}/jobs", api_v1_list_jobs, S },
    { API_GET, "/apis/run.googleapis.com/v1/namespaces/{p}/jobs/{j}", api_v1_get_job, S },
    { API_PUT, "/apis/run.googleapis.com/v1/namespaces/{p}/jobs/{j}", api_v1_replace_job, S },
    { API_DELETE, "/apis/run.googleapis.com/v1/namespaces/{p}/jobs/{j}", api_v1_delete_job, S },
    { API_POST, "/apis/run.googleapis.com/v1/namespaces/{p}/jobs/{j}:run", api_v1_run_job, S },
    { API_GET, "/apis/run.googleapis.com/v1/namespaces/{p}/executions", api_v1_list_executions, S },
    { API_GET, "/apis/run.googleapis.com/v1/namespaces/{p}/executions/{e}", api_v1_get_execution, S },
    { API_DELETE, "/apis/run.googleapis.com/v1/namespaces/{p}/executions/{e}", api_v1_delete_execution, S },
    { API_POST, "/apis/run.googleapis.com/v1/namespaces/{p}/executions/{e}:cancel", api_v1_cancel_execution, S },
    { API_GET, "/apis/run.googleapis.com/v1/namespaces/{p}/tasks", api_v1_list_tasks, S },
    { API_GET, "/apis/run.googleapis.com/v1/namespaces/{p}/tasks/{t}", api_v1_get_task, S },

    /* IAM of services and jobs, v1 and v2 (src/api/iam.c) */
    { API_POST, "/v1/projects/{p}/locations/{l}/services/{s}:testIamPermissions", api_iam_test_permissions, 0 },
    { API_GET, "/v1/projects/{p}/locations/{l}/services/{s}:getIamPolicy", api_iam_get_policy, S },
    { API_POST, "/v1/projects/{p}/locations/{l}/services/{s}:setIamPolicy", api_iam_set_policy, S },
    { API_POST, "/v1/projects/{p}/locations/{l}/jobs/{j}:testIamPermissions", api_iam_test_permissions, 0 },
    { API_GET, "/v1/projects/{p}/locations/{l}/jobs/{j}:getIamPolicy", api_iam_get_policy, S },
    { API_POST, "/v1/projects/{p}/locations/{l}/jobs/{j}:setIamPolicy", api_iam_set_policy, S },
    { API_POST, "/v2/projects/{p}/locations/{l}/services/{s}:testIamPermissions", api_iam_test_permissions, 0 },
    { API_GET, "/v2/projects/{p}/locations/{l}/services/{s}:getIamPolicy", api_iam_get_policy, S },
    { API_POST, "/v2/projects/{p}/locations/{l}/services/{s}:setIamPolicy", api_iam_set_policy, S },
    { API_POST, "/v2/projects/{p}/locations/{l}/jobs/{j}:testIamPermissions", api_iam_test_permissions, 0 },
    { API_GET, "/v2/projects/{p}/locations/{l}/jobs/{j}:getIamPolicy", api_iam_get_policy, S },
    { API_POST, "/v2/projects/{p}/locations/{l}/jobs/{j}:setIamPolicy", api_iam_set_policy, S },
    /* What gcloud asks besides (resourcemanager.c, serviceusage.c) */
    { API_GET, "/v1/projects/{p}", api_get_project, 0 },
    { API_GET, "/v1/projects/{p}/services/{s}", api_get_service_usage, 0 },

    /* Org Policy v2 (src/api/orgpolicy.c) */
    { API_GET, "/v2/projects/{p}/policies/run.allowedBinaryAuthorizationPolicies", api_get_orgpolicy, S },
    { API_PATCH, "/v2/projects/{p}/policies/run.allowedBinaryAuthorizationPolicies", api_patch_orgpolicy, S },
    { API_DELETE, "/v2/projects/{p}/policies/run.allowedBinaryAuthorizationPolicies", api_delete_orgpolicy, S },
    { API_GET, "/v2/projects/{p}/constraints", api_list_constraints, 0 },
    { API_GET, "/v2/projects/{p}/policies", api_list_orgpolicies, S },
    { API_POST, "/v2/projects/{p}/policies", api_create_orgpolicy, S },

    /* Resource Manager v1, Cloud Run v1 locations (src/api/projects.c) */
    { API_GET, "/v1/projects", api_list_projects, S },
    { API_GET, "/v1/projects/{p}/locations", api_list_locations, S },

    /* Cloud Logging v2 (src/api/logging.c) */
    { API_POST, "/v2/entries:list", api_list_log_entries, S },
};

static const struct {
    api_method m;
    const char *name;
} method_names[] = {
    { API_GET, "GET" },
    { API_POST, "POST" },
    { API_PUT, "PUT" },
    { API_DELETE, "DELETE" },
    { API_PATCH, "PATCH" },
    { API_HEAD, "HEAD" },
};

api_method api_method_parse(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
        if (strcmp(name, method_names[i].name) == 0) {
            return method_names[i].m;
        }
    }
    return API_OTHER;
}

const char *api_method_name(api_method m)
{
    size_t i;

    for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
        if (method_names[i].m == m) {
            return method_names[i].name;
        }
    }
    return "OTHER";
}

static bool id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '~';
}

/* "." and ".." are made of id characters but name no resource: a proxy,
 * a client library or a log reader may resolve them as path steps. */
static bool dot_segment(const char *seg, size_t len)
{
    return (len == 1 && seg[0] == '.') ||
           (len == 2 && seg[0] == '.' && seg[1] == '.');
}

typedef struct span {
    size_t off;
    size_t len;
} span;

/*
 * Match one template against the path, segment by segment. Returns 1
 * (match; the params' spans in `spans`), 0 (no match), 2 (the shape
 * matches but a param is not a valid id; its span in *bad).
 */
static int match_template(const char *tpl, const char *path, size_t len,
                          span *spans, size_t max, size_t *count, span *bad)
{
    size_t ti = 0;
    size_t pi = 0;
    size_t tlen = strlen(tpl);
    bool bad_id = false;

    *count = 0;
    while (ti < tlen && pi <= len) {
        /* Both are at the start of a segment, just after a '/'. */
        if (tpl[ti] != '/' || pi >= len || path[pi] != '/') {
            return 0;
        }
        ti++;
        pi++;
        size_t tend = ti;
        while (tend < tlen && tpl[tend] != '/') {
            tend++;
        }
        size_t pend = pi;
        while (pend < len && path[pend] != '/') {
            pend++;
        }
        if (tpl[ti] == '{') {
            const char *close = memchr(tpl + ti, '}', tend - ti);
            if (close == NULL) {
                return 0;
            }
            size_t suffix_off = (size_t)(close - tpl) + 1;
            size_t suffix_len = tend - suffix_off;
            size_t seg_len = pend - pi;
            if (seg_len <= suffix_len ||
                memcmp(path + pend - suffix_len, tpl + suffix_off,
                       suffix_len) != 0) {
                return 0;
            }
            size_t plen = seg_len - suffix_len;
            if (memchr(path + pi, ':', plen) != NULL) {
                return 0;
            }
            if (*count >= max) {
                return 0;
            }
            spans[*count].off = pi;
            spans[*count].len = plen;
            (*count)++;
            if (!bad_id) {
                bool ok = plen <= API_ID_MAX && !dot_segment(path + pi, plen);
                for (size_t k = 0; ok && k < plen; k++) {
                    ok = id_char(path[pi + k]);
                }
                if (!ok) {
                    bad_id = true;
                    bad->off = pi;
                    bad->len = plen;
                }
            }
        } else {
            if (pend - pi != tend - ti ||
                memcmp(path + pi, tpl + ti, tend - ti) != 0) {
                return 0;
            }
        }
        ti = tend;
        pi = pend;
    }
    if (ti != tlen || pi != len) {
        return 0;
    }
    return bad_id ? 2 : 1;
}

int api_router_match(const char *path, size_t len, api_method method,
                     const api_route **route_out, char **params,
                     size_t max_params, char *allow, size_t allow_size)
{
    size_t n = sizeof(routes) / sizeof(routes[0]);
    span spans[8];
    span bad = { 0, 0 };
    size_t count = 0;
    unsigned allowed = 0;
    bool any_bad = false;
    size_t i;

    *route_out = NULL;
    if (allow_size > 0) {
        allow[0] = '\0';
    }
    if (max_params > 8) {
        max_params = 8;
    }
    for (i = 0; i < n; i++) {
        int m = match_template(routes[i].template, path, len, spans,
                               max_params, &count, &bad);
        if (m == 0) {
            continue;
        }
        if (m == 2) {
            any_bad = true;
            continue;
        }
        if (routes[i].method != method &&
            !(method == API_HEAD && routes[i].method == API_GET)) {
            allowed |= (unsigned)routes[i].method;
            continue;
        }
        for (size_t k = 0; k < count; k++) {
            params[k] = malloc(spans[k].len + 1);
            if (params[k] == NULL) {
                for (size_t j = 0; j < k; j++) {
                    free(params[j]);
                    params[j] = NULL;
                }
                return -1;
            }
            memcpy(params[k], path + spans[k].off, spans[k].len);
            params[k][spans[k].len] = '\0';
        }
        *route_out = &routes[i];
        return API_MATCH_OK;
    }
    if (any_bad) {
        snprintf(allow, allow_size, "%.*s", (int)bad.len, path + bad.off);
        return API_MATCH_BAD_ID;
    }
    if (allowed != 0) {
        size_t used = 0;
        for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]);
             i++) {
            if ((allowed & (unsigned)method_names[i].m) == 0) {
                continue;
            }
            int w = snprintf(allow + used, allow_size - used, "%s%s",
                             used > 0 ? ", " : "", method_names[i].name);
            if (w < 0 || (size_t)w >= allow_size - used) {
                break;
            }
            used += (size_t)w;
        }
        return API_MATCH_METHOD;
    }
    return API_MATCH_NOT_FOUND;
}
