/*
 * The public error, version and free functions of libvouch. The setters,
 * string helpers and base64 the engine's files share are the util
 * layer's (internal.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

VOUCH_API const char *vouch_code_name(int code)
{
    return vutil_code_name(code);
}

VOUCH_API const char *vouch_version(void)
{
    return VOUCH_VERSION;
}

VOUCH_API void vouch_free(void *ptr)
{
    free(ptr);
}

VOUCH_API int vouch_error_format(const vouch_error *err, char *buf,
                                 size_t size)
{
    const char *src = err->source;

    if (src[0] != '\0' && err->line > 0 && err->column > 0) {
        return snprintf(buf, size, "%s:%u:%u: %s", src, err->line,
                        err->column, err->message);
    }
    if (src[0] != '\0' && err->line > 0) {
        return snprintf(buf, size, "%s:%u: %s", src, err->line,
                        err->message);
    }
    if (src[0] != '\0') {
        return snprintf(buf, size, "%s: %s", src, err->message);
    }
    if (err->line > 0) {
        return snprintf(buf, size, "%u:%u: %s", err->line, err->column,
                        err->message);
    }
    return snprintf(buf, size, "%s", err->message);
}
