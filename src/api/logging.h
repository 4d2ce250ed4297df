/*
 * vouchd — Cloud Logging v2: POST /v2/entries:list over the audit entries
 * the run platform and the management APIs write (src/platform/audit.h,
 * docs/audit.md).
 */
#ifndef VOUCH_API_LOGGING_H
#define VOUCH_API_LOGGING_H

struct api_request;

/*
 * POST /v2/entries:list. Body: {"resourceNames": ["projects/P", ...],
 * "filter": "...", "orderBy": "timestamp asc" | "timestamp desc",
 * "pageSize": N, "pageToken": "..."}. Response: {"entries": [...],
 * "nextPageToken": "..."}. A bad body, filter or page token is
 * INVALID_ARGUMENT with the position ("filter:1:17: expected a value
 * after '='"). Route flags: a read transaction (API_ROUTE_TXN).
 */
int api_list_log_entries(struct api_request *req);

#endif /* VOUCH_API_LOGGING_H */
