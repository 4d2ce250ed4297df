/*
 * vouchd — Cloud Logging v2 entries:list (logging.h): the request body is
 * parsed here into the service's typed query (src/service/audit.h); the
 * service lists the entries in one read transaction.
 */
#include "authz.h"
#include "logging.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "vutil_str.h"

#define BODY "request body"

static int body_err(vouch_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int body_err(vouch_error *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vutil_error_setv(err, VOUCH_EINVAL, BODY, 0, 0, fmt, ap);
    va_end(ap);
    return VOUCH_EINVAL;
}

static int add_project(vouch_audit_query *q, const char *p, size_t len,
                       vouch_error *err)
{
    char **more;
    size_t i;

    for (i = 0; i < q->project_count; i++) {
        if (strlen(q->projects[i]) == len &&
            memcmp(q->projects[i], p, len) == 0) {
            return 0;
        }
    }
    more = realloc(q->projects, (q->project_count + 1) * sizeof(*more));
    if (more == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, BODY, 0, 0,
                               "out of memory");
    }
    q->projects = more;
    q->projects[q->project_count] = vutil_strndup(p, len);
    if (q->projects[q->project_count] == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, BODY, 0, 0,
                               "out of memory");
    }
    q->project_count++;
    return 0;
}

static int parse_resource_names(vouch_audit_query *q, const json_t *v,
                                const char *field, bool bare,
                                vouch_error *err)
{
    json_t *item;
    size_t i;
    int rc;

    if (!json_is_array(v)) {
        return body_err(err, "%s: expected an array of strings", field);
    }
    if (json_array_size(v) > VOUCH_AUDIT_RESOURCE_NAMES_MAX) {
        return body_err(err, "%s: %zu names; the limit is %u", field,
                        json_array_size(v), VOUCH_AUDIT_RESOURCE_NAMES_MAX);
    }
    json_array_foreach(v, i, item) {
        const char *s = json_string_value(item);
        size_t len = json_string_length(item);

        if (s == NULL) {
            return body_err(err, "%s[%zu]: expected a string", field, i);
        }
        if (!bare) {
            if (len < 9 || memcmp(s, "projects/", 9) != 0) {
                return body_err(err, "%s[%zu]: expected \"projects/"
                                "PROJECT_ID\" (organizations, folders, "
                                "billing accounts and log views are not "
                                "supported)", field, i);
            }
            s += 9;
            len -= 9;
        }
        if (len == 0 || len > VOUCH_AUDIT_PROJECT_MAX ||
            !vutil_id_valid_slice(s, len)) {
            return body_err(err, "%s[%zu]: the project id must be 1 to %u "
                            "characters of A-Z a-z 0-9 . _ ~ -", field, i,
                            VOUCH_AUDIT_PROJECT_MAX);
        }
        rc = add_project(q, s, len, err);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static int parse_order(vouch_audit_query *q, const json_t *v,
                       vouch_error *err)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    size_t i = 0;
    size_t end;

    if (s == NULL) {
        return body_err(err, "orderBy: expected a string");
    }
    while (i < len && (s[i] == ' ' || s[i] == '\t')) {
        i++;
    }
    end = len;
    while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t')) {
        end--;
    }
    if (end == i) {
        q->order = VOUCH_AUDIT_ASC;
        return 0;
    }
    if (end - i >= 9 && memcmp(s + i, "timestamp", 9) == 0) {
        size_t j = i + 9;

        while (j < end && (s[j] == ' ' || s[j] == '\t')) {
            j++;
        }
        if (j == i + 9 && j < end) {
            j = end + 1;            /* "timestampasc" */
        }
        if (j == end || vutil_slice_eq(s + j, end - j, "asc")) {
            q->order = VOUCH_AUDIT_ASC;
            return 0;
        }
        if (vutil_slice_eq(s + j, end - j, "desc")) {
            q->order = VOUCH_AUDIT_DESC;
            return 0;
        }
    }
    return body_err(err, "orderBy: expected \"timestamp asc\" or "
                    "\"timestamp desc\"");
}

/* A copy of a JSON string into `*out` (jansson refuses \u0000 unless
 * told otherwise: the check only keeps the copy's length honest). */
static int copy_text(char **out, const json_t *value, vouch_error *err)
{
    const char *text = json_string_value(value);
    size_t len = json_string_length(value);

    free(*out);
    *out = NULL;
    if (memchr(text, '\0', len) != NULL) {
        return body_err(err, "a string holds a NUL character");
    }
    *out = vutil_strndup(text, len);
    return *out != NULL ? 0 : vutil_enomem(err);
}

/* The page token, opened by the list (the service sealed it for the
 * list's projects, filter and order). */
static int take_token(vouch_audit_query *q, const json_t *v,
                      vouch_error *err)
{
    if (!json_is_string(v)) {
        return body_err(err, "pageToken: expected a string");
    }
    if (json_string_length(v) == 0) {
        return 0;
    }
    return copy_text(&q->page_token, v, err);
}

static int parse_page_size(vouch_audit_query *q, const json_t *v,
                           vouch_error *err)
{
    json_int_t n;

    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (json_is_string(v)) {
        /* proto3 JSON also allows an int32 as a decimal string. */
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        size_t i;

        if (len == 0 || len > 10) {
            return body_err(err, "pageSize: expected a whole number");
        }
        n = 0;
        for (i = 0; i < len; i++) {
            if (s[i] < '0' || s[i] > '9') {
                return body_err(err, "pageSize: expected a whole number");
            }
            n = n * 10 + (s[i] - '0');
        }
    } else {
        return body_err(err, "pageSize: expected a whole number");
    }
    if (n < 0) {
        return body_err(err, "pageSize: must not be negative");
    }
    if (n == 0) {
        q->page_size = VOUCH_AUDIT_PAGE_DEFAULT;
    } else if (n > (json_int_t)VOUCH_AUDIT_PAGE_MAX) {
        q->page_size = VOUCH_AUDIT_PAGE_MAX;
    } else {
        q->page_size = (size_t)n;
    }
    return 0;
}

int api_log_query_parse(vouch_audit_query *out, const char *body,
                        size_t len, vouch_error *err)
{
    vouch_audit_query q;
    json_t *root = NULL;
    json_t *value;
    const char *key;
    json_error_t jerr;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    memset(&q, 0, sizeof(q));
    q.page_size = VOUCH_AUDIT_PAGE_DEFAULT;
    if (len > VOUCH_AUDIT_QUERY_MAX_BYTES) {
        return vutil_error_set(err, VOUCH_ETOOBIG, BODY, 0, 0,
                               "the request is %zu bytes; the limit is %u",
                               len, VOUCH_AUDIT_QUERY_MAX_BYTES);
    }
    root = json_loadb(body != NULL ? body : "", len,
                      JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return vutil_error_set(err, VOUCH_EPARSE, BODY, jerr.line,
                               jerr.column, "%s", jerr.text);
    }
    if (!json_is_object(root)) {
        rc = body_err(err, "expected a JSON object");
        goto cleanup;
    }
    json_object_foreach(root, key, value) {
        if (strcmp(key, "resourceNames") == 0) {
            rc = parse_resource_names(&q, value, key, false, err);
        } else if (strcmp(key, "projectIds") == 0) {
            rc = parse_resource_names(&q, value, key, true, err);
        } else if (strcmp(key, "filter") == 0) {
            if (!json_is_string(value)) {
                rc = body_err(err, "filter: expected a string");
            } else {
                rc = vouch_logfilter_parse(&q.filter,
                                           json_string_value(value),
                                           json_string_length(value), err);
                if (rc == 0) {
                    rc = copy_text(&q.filter_text, value, err);
                }
            }
        } else if (strcmp(key, "orderBy") == 0) {
            rc = parse_order(&q, value, err);
        } else if (strcmp(key, "pageSize") == 0) {
            rc = parse_page_size(&q, value, err);
        } else if (strcmp(key, "pageToken") == 0) {
            rc = take_token(&q, value, err);
        } else {
            rc = body_err(err, "unknown field \"%s\"", key);
        }
        if (rc < 0) {
            goto cleanup;
        }
    }
    if (q.project_count == 0) {
        rc = body_err(err, "resourceNames: required, e.g. "
                      "[\"projects/my-project\"]");
        goto cleanup;
    }
    *out = q;
    memset(&q, 0, sizeof(q));

cleanup:
    vouch_audit_query_clear(&q);
    json_decref(root);
    return rc;
}

int api_list_log_entries(api_request *req)
{
    vouch_audit_query q;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *page = NULL;
    int rc;

    rc = api_log_query_parse(&q, req->body, req->body_len, &err);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, NULL);
    }
    /* logging.logEntries.list on every project the body names, before
     * anything is read (the route declares it; the body says where). */
    for (size_t i = 0; i < q.project_count; i++) {
        char project[API_AUTHZ_RESOURCE_MAX];

        snprintf(project, sizeof(project), "projects/%s", q.projects[i]);
        if (api_authorize(req, req->route->permission, project) != 0) {
            vouch_audit_query_clear(&q);
            return 0;
        }
    }
    rc = vsvc_log_entries_list(req->session, &q, &page, &err);
    vouch_audit_query_clear(&q);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, NULL);
    }
    rc = api_respond_json(req, 200, page);
    json_decref(page);
    return rc;
}
