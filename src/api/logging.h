/*
 * vouchd — Cloud Logging v2: POST /v2/entries:list over the audit entries
 * the run platform and the management APIs write (src/platform/audit.h,
 * docs/audit.md).
 */
#ifndef VOUCH_API_LOGGING_H
#define VOUCH_API_LOGGING_H

#include <stddef.h>

#include "audit.h"
#include "vouch/common.h"

struct api_request;

/**
 * Parse the body of POST /v2/entries:list: resourceNames (or the older
 * projectIds), filter, orderBy, pageSize, pageToken. Unknown fields are
 * rejected, as proto3 JSON parsing does. pageSize 0 or absent means
 * VOUCH_AUDIT_PAGE_DEFAULT; larger than VOUCH_AUDIT_PAGE_MAX is lowered.
 *
 * @param out  Filled on success; zeroed on failure; clear it with
 *             vouch_audit_query_clear().
 * @return 0; VOUCH_EPARSE (not JSON; line and column); VOUCH_EINVAL (the
 *         message names the field; a bad filter has source "filter" and
 *         its line and column); VOUCH_ETOOBIG (body over
 *         VOUCH_AUDIT_QUERY_MAX_BYTES, filter over its limit);
 *         VOUCH_ENOMEM.
 */
int api_log_query_parse(vouch_audit_query *out, const char *body,
                        size_t len, vouch_error *err);

/*
 * POST /v2/entries:list. Body: {"resourceNames": ["projects/P", ...],
 * "filter": "...", "orderBy": "timestamp asc" | "timestamp desc",
 * "pageSize": N, "pageToken": "..."}. Response: {"entries": [...],
 * "nextPageToken": "..."}. A bad body, filter or page token is
 * INVALID_ARGUMENT with the position ("filter:1:17: expected a value
 * after '='").
 */
int api_list_log_entries(struct api_request *req);

#endif /* VOUCH_API_LOGGING_H */
