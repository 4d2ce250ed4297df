/*
 * vouchd — a request's response and body (server.h): setting the answer
 * (copied, constant, JSON, errors), reading the JSON body, the shapes of
 * get, list, write and delete answers, and page queries. server.c runs
 * the request's life around them.
 */
#include "server.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *api_query(const api_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection,
                                       MHD_GET_ARGUMENT_KIND, name);
}

void api_response_drop(api_request *req)
{
    if (!req->response_constant) {
        free(req->response);
    }
    req->response = NULL;
    req->response_constant = false;
}

int api_respond(api_request *req, unsigned http, const char *content_type,
                const char *body, size_t len)
{
    char *copy = malloc(len + 1);

    if (copy == NULL) {
        return VOUCH_ENOMEM;
    }
    memcpy(copy, body, len);
    copy[len] = '\0';
    api_response_drop(req);
    req->response = copy;
    req->response_len = len;
    req->status = http;
    req->content_type = content_type;
    return 0;
}

int api_respond_constant(api_request *req, unsigned http,
                         const char *content_type, const char *body,
                         size_t len)
{
    api_response_drop(req);
    req->response = (char *)body;
    req->response_constant = true;
    req->response_len = len;
    req->status = http;
    req->content_type = content_type;
    return 0;
}

int api_respond_json(api_request *req, unsigned http, const json_t *value)
{
    char *text = json_dumps(value, JSON_SORT_KEYS | JSON_INDENT(2));

    if (text == NULL) {
        return api_respond_error(req, VOUCH_ENOMEM,
                                 "cannot serialise the response");
    }
    size_t len = strlen(text);
    char *with_nl = realloc(text, len + 2);
    if (with_nl == NULL) {
        free(text);
        return api_respond_error(req, VOUCH_ENOMEM, "out of memory");
    }
    with_nl[len] = '\n';
    with_nl[len + 1] = '\0';
    api_response_drop(req);
    req->response = with_nl;
    req->response_len = len + 1;
    req->status = http;
    req->content_type = "application/json";
    return 0;
}

static void respond_status_v(api_request *req, unsigned http,
                             const char *status, const char *fmt,
                             va_list ap)
{
    char message[1024];
    char *body;

    vsnprintf(message, sizeof(message), fmt, ap);
    body = api_error_body(http, status, message);
    api_response_drop(req);
    req->response = body;
    req->response_len = body != NULL ? strlen(body) : 0;
    req->status = http;
    req->content_type = "application/json";
}

int api_respond_error(api_request *req, int code, const char *fmt, ...)
{
    const vutil_code_info *info = vutil_code_info_of(code);
    va_list ap;

    va_start(ap, fmt);
    respond_status_v(req, info->http, info->status, fmt, ap);
    va_end(ap);
    return 0;
}

int api_respond_status(api_request *req, unsigned http, const char *status,
                       const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    respond_status_v(req, http, status, fmt, ap);
    va_end(ap);
    return 0;
}

int api_respond_vouch_error(api_request *req, const vouch_error *err,
                            const char *prefix)
{
    char text[512];

    vouch_error_format(err, text, sizeof(text));
    if (prefix != NULL) {
        return api_respond_error(req, err->code, "%s: %s", prefix, text);
    }
    return api_respond_error(req, err->code, "%s", text);
}

const char *api_body(const api_request *req)
{
    return req->body != NULL ? req->body : "";
}

int api_body_object(api_request *req, const char *expected, json_t **out)
{
    json_error_t jerr;

    *out = json_loadb(api_body(req), req->body_len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (*out == NULL) {
        api_respond_error(req, VOUCH_EINVAL, "request body:%d:%d: %s",
                          jerr.line, jerr.column, jerr.text);
        return -1;
    }
    if (!json_is_object(*out)) {
        api_respond_error(req, VOUCH_EINVAL, "request body: %s", expected);
        return -1;
    }
    return 0;
}

int api_respond_text(api_request *req, int rc, char *text,
                     const vouch_error *err)
{
    int out;

    if (rc < 0) {
        out = api_respond_vouch_error(req, err, NULL);
    } else {
        out = api_respond(req, 200, "application/json", text, strlen(text));
    }
    free(text);
    return out;
}

int api_respond_built(api_request *req, json_t *value)
{
    int rc;

    if (value == NULL) {
        return VOUCH_ENOMEM;
    }
    rc = api_respond_json(req, 200, value);
    json_decref(value);
    return rc;
}

int api_respond_empty(api_request *req, int rc, const vouch_error *err)
{
    if (rc < 0) {
        return api_respond_vouch_error(req, err, NULL);
    }
    return api_respond(req, 200, "application/json", "{}\n", 3);
}

int api_respond_get(api_request *req, vsvc_kind kind)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char *text = NULL;
    int rc;

    rc = vsvc_get(req->session, kind, (const char *const *)req->params,
                  vsvc_kind_ids(kind), &text, &err);
    return api_respond_text(req, rc, text, &err);
}

int api_respond_list(api_request *req, vsvc_kind kind, const char *key)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vsvc_page_request page;
    vsvc_page got;
    int rc;

    memset(&got, 0, sizeof(got));
    if (api_page_query(req, &page) < 0) {
        return 0;
    }
    rc = vsvc_list(req->session, kind, (const char *const *)req->params,
                   vsvc_kind_ids(kind) - 1, &page, &got, &err);
    rc = rc < 0 ? api_respond_vouch_error(req, &err, NULL)
                : api_respond_page(req, key, &got);
    vsvc_page_clear(&got);
    return rc;
}

int api_respond_write(api_request *req, api_write_fn fn, const char *id)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char *text = NULL;
    int rc;

    rc = fn(req->session, req->params[0], id, api_body(req), req->body_len,
            &text, &err);
    return api_respond_text(req, rc, text, &err);
}

int api_respond_delete(api_request *req, api_delete_fn fn)
{
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    rc = fn(req->session, req->params[0], req->params[1], &err);
    return api_respond_empty(req, rc, &err);
}

void api_count_decision(api_request *req)
{
    const char *outcome = req->session != NULL
                              ? vsvc_session_outcome(req->session)
                              : NULL;

    if (outcome != NULL) {
        api_metrics_decision(req->server->metrics, outcome);
    }
}

/* ---- lists ---- */

int api_page_query(api_request *req, vsvc_page_request *page)
{
    const char *size = api_query(req, "pageSize");
    const char *token = api_query(req, "pageToken");

    page->size = VSVC_PAGE_DEFAULT;
    if (size != NULL && size[0] != '\0') {
        unsigned long long n = 0;
        size_t i;
        for (i = 0; size[i] != '\0'; i++) {
            if (size[i] < '0' || size[i] > '9' || i >= 9) {
                api_respond_error(req, VOUCH_EINVAL,
                                  "pageSize: '%.40s' is not a whole number "
                                  "from 0 to 999999999 (above %u means "
                                  "%u)",
                                  size, VSVC_PAGE_MAX, VSVC_PAGE_MAX);
                return -1;
            }
            n = n * 10 + (unsigned long long)(size[i] - '0');
        }
        if (n > 0) {
            page->size = n > VSVC_PAGE_MAX ? VSVC_PAGE_MAX : (size_t)n;
        }
    }
    page->token = (token != NULL && token[0] != '\0') ? token : NULL;
    return 0;
}

int api_respond_page(api_request *req, const char *key,
                     const vsvc_page *page)
{
    json_t *root = json_object();
    int rc;

    if (root == NULL) {
        return api_respond_error(req, VOUCH_ENOMEM, "out of memory");
    }
    if (json_array_size(page->items) > 0) {
        json_object_set(root, key, page->items);
    }
    if (page->next_page_token != NULL && page->next_page_token[0] != '\0') {
        json_object_set_new(root, "nextPageToken",
                            json_string(page->next_page_token));
    }
    rc = api_respond_json(req, 200, root);
    json_decref(root);
    return rc;
}

