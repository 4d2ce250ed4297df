/*
 * vouch util — the one table of result codes (include/vouch/common.h's
 * vouch_code): each code's name, HTTP status, gRPC code and canonical
 * status name; and the functions that fill a caller's vouch_error.
 *
 * Every layer (engine, store, registry, service, platform, API) reports
 * through these, so a code means the same thing everywhere and maps to
 * the same HTTP status and gRPC code wherever it leaves the process.
 * docs/api.md lists the mapping for people.
 *
 * Thread safety: every function is reentrant; the table is immutable.
 */
#ifndef VUTIL_ERROR_H
#define VUTIL_ERROR_H

#include <stdarg.h>

#include "vouch/common.h"

/* gRPC / google.rpc.Code values (the "code" of a long-running
 * operation's error, and the canonical codes behind the status names). */
typedef enum vutil_grpc {
    VUTIL_GRPC_OK = 0,
    VUTIL_GRPC_CANCELLED = 1,
    VUTIL_GRPC_UNKNOWN = 2,
    VUTIL_GRPC_INVALID_ARGUMENT = 3,
    VUTIL_GRPC_DEADLINE_EXCEEDED = 4,
    VUTIL_GRPC_NOT_FOUND = 5,
    VUTIL_GRPC_ALREADY_EXISTS = 6,
    VUTIL_GRPC_PERMISSION_DENIED = 7,
    VUTIL_GRPC_RESOURCE_EXHAUSTED = 8,
    VUTIL_GRPC_FAILED_PRECONDITION = 9,
    VUTIL_GRPC_ABORTED = 10,
    VUTIL_GRPC_OUT_OF_RANGE = 11,
    VUTIL_GRPC_UNIMPLEMENTED = 12,
    VUTIL_GRPC_INTERNAL = 13,
    VUTIL_GRPC_UNAVAILABLE = 14,
    VUTIL_GRPC_DATA_LOSS = 15,
    VUTIL_GRPC_UNAUTHENTICATED = 16
} vutil_grpc;

/** One row of the table. */
typedef struct vutil_code_info {
    int code;              /* a vouch_code */
    const char *name;      /* "EINVAL" */
    unsigned http;         /* 400 */
    vutil_grpc grpc;       /* VUTIL_GRPC_INVALID_ARGUMENT */
    const char *status;    /* "INVALID_ARGUMENT" */
} vutil_code_info;

/**
 * The row of `code`. A value outside vouch_code gets the row of an
 * unknown code ("EUNKNOWN", 500, INTERNAL). Never NULL; static.
 */
const vutil_code_info *vutil_code_info_of(int code);

/** Shorthands for the fields of vutil_code_info_of(code). */
const char *vutil_code_name(int code);
unsigned vutil_code_http(int code);
vutil_grpc vutil_code_grpc(int code);
const char *vutil_code_status(int code);

/** The canonical status name of a gRPC code ("FAILED_PRECONDITION"). */
const char *vutil_grpc_name(vutil_grpc grpc);

/*
 * Fill `err` (when not NULL) and return `code`, so callers can write
 * `return vutil_error_set(...)`. Line and column below 1 are stored as 0
 * (jansson reports -1 when it has no position). `source` may be NULL.
 */
int vutil_error_set(vouch_error *err, int code, const char *source,
                    int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* As vutil_error_set, with a va_list. */
int vutil_error_setv(vouch_error *err, int code, const char *source,
                     int line, int column, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

/* Prefix the message already in `err` with "PREFIX: ". Returns
 * err->code (VOUCH_EINVAL for a NULL `err`). */
int vutil_error_prefix(vouch_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* VOUCH_ENOMEM with the message "out of memory"; returns VOUCH_ENOMEM. */
int vutil_enomem(vouch_error *err);

#endif /* VUTIL_ERROR_H */
