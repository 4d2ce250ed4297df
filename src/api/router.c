/*
 * vouchd — the matcher of the route table (routes.c), and the check that
 * every route declares its permission.
 */
#include "router.h"
#include "iam.h"
#include "vutil_error.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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
    size_t n = api_route_count;
    const api_route *routes = api_routes;
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

int api_router_check(vouch_error *err)
{
    return api_router_check_table(api_routes, api_route_count, err);
}

int api_router_check_table(const api_route *routes, size_t count,
                           vouch_error *err)
{
    for (size_t i = 0; i < count; i++) {
        const api_route *r = &routes[i];
        bool open = (r->flags & (API_ROUTE_PUBLIC | API_ROUTE_ANY_CALLER)) !=
                    0;

        if (r->permission == NULL && !open) {
            return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                   "route %s %s declares no permission",
                                   api_method_name(r->method), r->template);
        }
        if (r->permission != NULL &&
            (open || r->resource == API_RES_NONE ||
             !vouch_iam_permission_known(r->permission))) {
            return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                   "route %s %s: permission '%s' is not a "
                                   "permission vouchd knows on a resource",
                                   api_method_name(r->method), r->template,
                                   r->permission);
        }
    }
    return 0;
}
