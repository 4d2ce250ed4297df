/*
 * vouchd — Google's error shape and the canonical codes.
 */
#include "errors.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

typedef struct status_info {
    unsigned http;
    const char *name;
} status_info;

static const status_info statuses[API_STATUS_COUNT] = {
    [API_OK] = { 200, "OK" },
    [API_INVALID_ARGUMENT] = { 400, "INVALID_ARGUMENT" },
    [API_FAILED_PRECONDITION] = { 400, "FAILED_PRECONDITION" },
    [API_UNAUTHENTICATED] = { 401, "UNAUTHENTICATED" },
    [API_PERMISSION_DENIED] = { 403, "PERMISSION_DENIED" },
    [API_NOT_FOUND] = { 404, "NOT_FOUND" },
    [API_ALREADY_EXISTS] = { 409, "ALREADY_EXISTS" },
    [API_ABORTED] = { 409, "ABORTED" },
    [API_INTERNAL] = { 500, "INTERNAL" },
    [API_UNAVAILABLE] = { 503, "UNAVAILABLE" },
    [API_METHOD_NOT_ALLOWED] = { 405, "UNIMPLEMENTED" },
    [API_TOO_LARGE] = { 413, "INVALID_ARGUMENT" },
};

unsigned api_status_http(api_status s)
{
    if ((unsigned)s >= API_STATUS_COUNT) {
        return 500;
    }
    return statuses[s].http;
}

const char *api_status_name(api_status s)
{
    if ((unsigned)s >= API_STATUS_COUNT) {
        return "INTERNAL";
    }
    return statuses[s].name;
}

api_status api_status_from_code(int code)
{
    switch (code) {
    case VOUCH_OK:
        return API_OK;
    case VOUCH_EPARSE:
    case VOUCH_EINVAL:
    case VOUCH_ECRYPTO:
        return API_INVALID_ARGUMENT;
    case VOUCH_ETOOBIG:
        return API_TOO_LARGE;
    case VOUCH_ENOTFOUND:
        return API_NOT_FOUND;
    case VOUCH_EIO:
        return API_UNAVAILABLE;
    case VOUCH_ECONFLICT:
        return API_ALREADY_EXISTS;
    case VOUCH_EABORTED:
        return API_ABORTED;
    case VOUCH_EPRECONDITION:
        return API_FAILED_PRECONDITION;
    case VOUCH_EUNAUTHENTICATED:
        return API_UNAUTHENTICATED;
    case VOUCH_EPERMISSION:
        return API_PERMISSION_DENIED;
    default:
        return API_INTERNAL;
    }
}

char *api_error_body(api_status s, const char *message)
{
    return api_error_body_status(api_status_http(s), api_status_name(s),
                                 message);
}

char *api_error_body_status(unsigned http, const char *status,
                            const char *message)
{
    json_t *root = NULL;
    char *text = NULL;
    char *out = NULL;
    size_t len;

    root = json_pack("{s:{s:I,s:s,s:s}}", "error", "code", (json_int_t)http,
                     "message", message != NULL ? message : "", "status",
                     status);
    if (root == NULL) {
        /* Not valid UTF-8 (it quoted the input): say so instead. */
        root = json_pack("{s:{s:I,s:s,s:s}}", "error", "code",
                         (json_int_t)http, "message",
                         "(error message is not valid UTF-8)", "status",
                         status);
    }
    if (root == NULL) {
        goto cleanup;
    }
    text = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (text == NULL) {
        goto cleanup;
    }
    len = strlen(text);
    out = malloc(len + 2);
    if (out == NULL) {
        goto cleanup;
    }
    memcpy(out, text, len);
    out[len] = '\n';
    out[len + 1] = '\0';

cleanup:
    free(text);
    json_decref(root);
    return out;
}

int api_error_fill(vouch_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return code;
    }
    memset(err, 0, sizeof(*err));
    err->code = (vouch_code)code;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}
