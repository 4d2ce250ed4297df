/*
 * vouch util — the code table and the error setters (vutil_error.h).
 */
#include "vutil_error.h"

#include <stdio.h>
#include <string.h>

#define ROW(c, h, g) { VOUCH_##c, #c, h, VUTIL_GRPC_##g, #g }

/* Indexed by -code. ETOOBIG is a bad argument like any other (400): the
 * one 413, a body over --max-body, is the HTTP server's, not a code's. */
static const vutil_code_info table[] = {
    { VOUCH_OK, "OK", 200, VUTIL_GRPC_OK, "OK" },
    ROW(ENOMEM, 500, INTERNAL),
    ROW(EPARSE, 400, INVALID_ARGUMENT),
    ROW(EINVAL, 400, INVALID_ARGUMENT),
    ROW(ETOOBIG, 400, INVALID_ARGUMENT),
    ROW(ENOTFOUND, 404, NOT_FOUND),
    ROW(EIO, 503, UNAVAILABLE),
    ROW(ECRYPTO, 400, INVALID_ARGUMENT),
    ROW(ECONFLICT, 409, ALREADY_EXISTS),
    ROW(EABORTED, 409, ABORTED),
    ROW(EPRECONDITION, 400, FAILED_PRECONDITION),
    ROW(EUNAUTHENTICATED, 401, UNAUTHENTICATED),
    ROW(EPERMISSION, 403, PERMISSION_DENIED),
    ROW(EEXHAUSTED, 429, RESOURCE_EXHAUSTED),
    /* Never returned by the store; should one escape, it is an aborted
     * transaction. */
    ROW(ERETRY, 409, ABORTED),
};

static const vutil_code_info unknown = {
    1, "EUNKNOWN", 500, VUTIL_GRPC_INTERNAL, "INTERNAL"
};

static const char *const grpc_names[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
};

const vutil_code_info *vutil_code_info_of(int code)
{
    if (code > 0 || (size_t)-(long)code >= sizeof(table) / sizeof(table[0])) {
        return &unknown;
    }
    return &table[-code];
}

const char *vutil_code_name(int code)
{
    return vutil_code_info_of(code)->name;
}

unsigned vutil_code_http(int code)
{
    return vutil_code_info_of(code)->http;
}

vutil_grpc vutil_code_grpc(int code)
{
    return vutil_code_info_of(code)->grpc;
}

const char *vutil_code_status(int code)
{
    return vutil_code_info_of(code)->status;
}

const char *vutil_grpc_name(vutil_grpc grpc)
{
    if ((unsigned)grpc >= sizeof(grpc_names) / sizeof(grpc_names[0])) {
        return "UNKNOWN";
    }
    return grpc_names[grpc];
}

int vutil_error_setv(vouch_error *err, int code, const char *source,
                     int line, int column, const char *fmt, va_list ap)
{
    if (err == NULL) {
        return code;
    }
    err->code = (vouch_code)code;
    err->line = line > 0 ? (uint32_t)line : 0;
    err->column = column > 0 ? (uint32_t)column : 0;
    snprintf(err->source, sizeof(err->source), "%s",
             source != NULL ? source : "");
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    return code;
}

int vutil_error_set(vouch_error *err, int code, const char *source,
                    int line, int column, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vutil_error_setv(err, code, source, line, column, fmt, ap);
    va_end(ap);
    return code;
}

int vutil_error_prefix(vouch_error *err, const char *fmt, ...)
{
    char prefix[sizeof(err->message)];
    char old[sizeof(err->message)];
    size_t plen;
    size_t olen;
    size_t room;
    va_list ap;

    if (err == NULL) {
        return VOUCH_EINVAL;
    }
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof(old));
    /* Truncation is fine here: the message is for people, and the
     * prefix (the field path) matters most. */
    plen = strlen(prefix);
    olen = strlen(old);
    room = sizeof(err->message) - 1;
    if (plen > room) {
        plen = room;
    }
    memcpy(err->message, prefix, plen);
    if (room - plen >= 2) {
        memcpy(err->message + plen, ": ", 2);
        plen += 2;
        if (olen > room - plen) {
            olen = room - plen;
        }
        memcpy(err->message + plen, old, olen);
        plen += olen;
    }
    err->message[plen] = '\0';
    return err->code;
}

int vutil_enomem(vouch_error *err)
{
    return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0, "out of memory");
}
