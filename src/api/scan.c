/*
 * vouchd — the query-argument cursor (scan.h).
 */
#include "scan.h"

#include <stdarg.h>

#include "vutil_error.h"

int api_scan_fail(api_scan *s, int code, size_t pos, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vutil_error_setv(s->err, code, s->source, 1, (int)(pos + 1), fmt, ap);
    va_end(ap);
    return code;
}

void api_scan_skip_blank(api_scan *s)
{
    while (s->pos < s->len && (s->p[s->pos] == ' ' || s->p[s->pos] == '\t')) {
        s->pos++;
    }
}
