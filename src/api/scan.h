/*
 * vouchd — a cursor over the bytes of one query argument, shared by the
 * parsers of the occurrence filter (filter.c) and of label selectors
 * (labelsel.c): both report a fault as a vouch_error at its byte column.
 */
#ifndef VOUCH_API_SCAN_H
#define VOUCH_API_SCAN_H

#include <stddef.h>

#include "vouch/common.h"

typedef struct api_scan {
    const char *p;        /* borrowed; `len` bytes, not NUL-ended */
    size_t len;
    size_t pos;
    const char *source;   /* what errors name ("filter") */
    vouch_error *err;     /* may be NULL */
} api_scan;

/*
 * Fill s->err (when not NULL) with `code`, line 1, column `pos` + 1,
 * s->source and the message; return `code`.
 */
int api_scan_fail(api_scan *s, int code, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Step over spaces and tabs. */
void api_scan_skip_blank(api_scan *s);

#endif /* VOUCH_API_SCAN_H */
