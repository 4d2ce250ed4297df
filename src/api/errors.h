/*
 * vouchd — Google's error shape (docs/api.md "Errors"):
 * {"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT"}}.
 * The HTTP status and the status name of a vouch_code come from the util
 * layer's one table (src/util/vutil_error.h); the two statuses no code
 * has (405 for a method a path does not take, 413 for a body over
 * --max-body) belong to the HTTP server, not to any handler.
 */
#ifndef VOUCH_API_ERRORS_H
#define VOUCH_API_ERRORS_H

#include "vouch/common.h"
#include "vutil_error.h"

/*
 * The JSON body of an error, one line with a trailing newline. malloc'd;
 * the caller frees it with free(). NULL only when out of memory.
 */
char *api_error_body(unsigned http, const char *status, const char *message);

#endif /* VOUCH_API_ERRORS_H */
