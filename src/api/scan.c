/*
 * vouchd — the query-argument cursor (scan.h).
 */
#include "scan.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int api_scan_fail(api_scan *s, int code, size_t pos, const char *fmt, ...)
{
    va_list ap;

    if (s->err != NULL) {
        memset(s->err, 0, sizeof(*s->err));
        s->err->code = (vouch_code)code;
        s->err->line = 1;
        s->err->column = (uint32_t)(pos + 1);
        snprintf(s->err->source, sizeof(s->err->source), "%s", s->source);
        va_start(ap, fmt);
        vsnprintf(s->err->message, sizeof(s->err->message), fmt, ap);
        va_end(ap);
    }
    return code;
}

void api_scan_skip_blank(api_scan *s)
{
    while (s->pos < s->len && (s->p[s->pos] == ' ' || s->p[s->pos] == '\t')) {
        s->pos++;
    }
}
