/*
 * vouchd — Cloud Logging v2 entries:list (logging.h). The request body is
 * parsed and the entries listed by src/platform/audit.c; this file only
 * maps them to HTTP.
 */
#include "logging.h"

#include "audit.h"
#include "server.h"

int api_list_log_entries(api_request *req)
{
    vouch_audit_query q;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *page = NULL;
    int rc;

    rc = vouch_audit_query_parse(&q, req->body, req->body_len, &err);
    if (rc == VOUCH_ETOOBIG) {
        /* A filter or body over its limit is a bad argument, not 413. */
        char text[512];

        vouch_error_format(&err, text, sizeof(text));
        return api_respond_error(req, VOUCH_EINVAL, "%s", text);
    }
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, NULL);
    }
    rc = vouch_audit_list(req->conn, &q, &page, &err);
    vouch_audit_query_clear(&q);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, "listing log entries");
    }
    rc = api_respond_json(req, 200, page);
    json_decref(page);
    return rc;
}
