/*
 * vouchd — Google's error shape and the canonical codes (DESIGN.md
 * "Server vouchd"): {"error": {"code": 400, "message": "...",
 * "status": "INVALID_ARGUMENT"}}.
 */
#ifndef VOUCH_API_ERRORS_H
#define VOUCH_API_ERRORS_H

#include "vouch/common.h"

/* The canonical codes vouchd uses, and two transport-level statuses. */
typedef enum api_status {
    API_OK = 0,
    API_INVALID_ARGUMENT,     /* 400 */
    API_FAILED_PRECONDITION,  /* 400 */
    API_UNAUTHENTICATED,      /* 401 */
    API_PERMISSION_DENIED,    /* 403 */
    API_NOT_FOUND,            /* 404 */
    API_ALREADY_EXISTS,       /* 409 */
    API_ABORTED,              /* 409: etag mismatch */
    API_INTERNAL,             /* 500 */
    API_UNAVAILABLE,          /* 503 */
    API_METHOD_NOT_ALLOWED,   /* 405, status "UNIMPLEMENTED" */
    API_TOO_LARGE,            /* 413, status "INVALID_ARGUMENT" */
    API_STATUS_COUNT
} api_status;

/* HTTP status code of `s` (200 for API_OK). */
unsigned api_status_http(api_status s);

/* Canonical name printed in "status", e.g. "INVALID_ARGUMENT". */
const char *api_status_name(api_status s);

/*
 * The canonical code for a libvouch or store result code (EPARSE/EINVAL:
 * INVALID_ARGUMENT; ENOTFOUND: NOT_FOUND; ETOOBIG: TOO_LARGE; EIO:
 * UNAVAILABLE; store ECONFLICT: ALREADY_EXISTS; store EABORTED: ABORTED;
 * ECRYPTO: INVALID_ARGUMENT; anything else: INTERNAL).
 */
api_status api_status_from_code(int code);

/*
 * The JSON body of an error, one line with a trailing newline. malloc'd;
 * the caller frees it with free(). NULL only when out of memory.
 */
char *api_error_body(api_status s, const char *message);

/* The same for an HTTP status and a status name given as they are. */
char *api_error_body_status(unsigned http, const char *status,
                            const char *message);

/*
 * Fill `err` (when not NULL) with `code` and a message; returns `code`.
 * The vouchd counterpart of libvouch's internal error setter.
 */
int api_error_fill(vouch_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* VOUCH_API_ERRORS_H */
