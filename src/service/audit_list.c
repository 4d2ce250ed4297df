/*
 * vouch service — audit log entries, part two: storing them with the
 * change they record, and the entries:list request's page tokens and
 * bounds; audit_scan.c reads the entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"
#include "vutil_random.h"
#include "vutil_str.h"
#include "vutil_time.h"

/* ------------------------------------------------------------------ */
/* Storing                                                            */

/* "projects/P/logs/..." -> P (borrowed range). */
static bool log_name_project(const char *log_name, const char **p,
                             size_t *plen)
{
    const char *slash;

    if (log_name == NULL || strncmp(log_name, "projects/", 9) != 0) {
        return false;
    }
    slash = strchr(log_name + 9, '/');
    if (slash == NULL || strncmp(slash, "/logs/", 6) != 0 ||
        slash[6] == '\0') {
        return false;
    }
    *p = log_name + 9;
    *plen = (size_t)(slash - *p);
    return vouch__audit_id_slice(*p, *plen, VOUCH_AUDIT_PROJECT_MAX, true);
}

static const char *get_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

int vouch_audit_store(vouch_store_conn *conn, const json_t *entry,
                      vouch_error *err)
{
    vouch_resource r;
    const char *insert_id = get_str(entry, "insertId");
    const char *ts = get_str(entry, "timestamp");
    const char *receive = get_str(entry, "receiveTimestamp");
    const char *log_name = get_str(entry, "logName");
    const char *project = NULL;
    size_t plen = 0;
    char *name = NULL;
    char *parent = NULL;
    char *text = NULL;
    char etag[17];
    int rc;

    if (!json_is_object(entry)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "the log entry is not a JSON object");
    }
    if (!vouch__audit_id(insert_id, VOUCH_AUDIT_INSERT_ID_MAX, false)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "insertId: missing or malformed");
    }
    if (!vouch__audit_time_ok(ts)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "timestamp: missing, or not RFC 3339 UTC "
                               "with microseconds");
    }
    if (!log_name_project(log_name, &project, &plen)) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "logName: expected projects/PROJECT/logs/"
                               "LOG_ID");
    }
    if (!vouch__audit_time_ok(receive)) {
        receive = ts;
    }
    rc = vutil_new_etag(etag, sizeof(etag), err);
    if (rc < 0) {
        return rc;
    }
    name = vutil_aprintf("projects/%.*s/logEntries/%s/%s", (int)plen,
                         project, ts, insert_id);
    parent = vutil_aprintf("projects/%.*s", (int)plen, project);
    text = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
    if (name == NULL || parent == NULL || text == NULL) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                             "out of memory");
        goto cleanup;
    }
    memset(&r, 0, sizeof(r));
    r.kind = (char *)VOUCH_AUDIT_KIND;
    r.name = name;
    r.parent = parent;
    r.json = text;
    r.etag = etag;
    r.create_time = (char *)receive;
    r.update_time = (char *)receive;
    r.attr1 = (char *)log_name;
    /* resource.type, for the index (kind, attr2, name) that serves a
     * filter on it (store migration 4). */
    r.attr2 = (char *)json_string_value(
        json_object_get(json_object_get(entry, "resource"), "type"));
    rc = vouch_store_create(conn, &r, err);

cleanup:
    free(name);
    free(parent);
    free(text);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The entries:list request                                           */

void vouch_audit_query_clear(vouch_audit_query *q)
{
    size_t i;

    if (q == NULL) {
        return;
    }
    for (i = 0; i < q->project_count; i++) {
        free(q->projects[i]);
    }
    free(q->projects);
    vouch_logfilter_free(q->filter);
    free(q->filter_text);
    free(q->page_token);
    memset(q, 0, sizeof(*q));
}

/* A sort key: TIMESTAMP "/" INSERT_ID. */
static bool valid_key(const char *s, size_t len)
{
    long long sec;
    long nsec;

    return len > TS_LEN + 1 && s[TS_LEN] == '/' && s[10] == 'T' &&
           s[19] == '.' && s[26] == 'Z' &&
           vutil_rfc3339_parse(s, TS_LEN, &sec, &nsec) &&
           vouch__audit_id_slice(s + TS_LEN + 1, len - TS_LEN - 1,
                                 VOUCH_AUDIT_INSERT_ID_MAX, false);
}

/*
 * Page tokens are store page tokens (vouch_store_page_token_seal) of
 * "a:KEY" (ascending) or "d:KEY" (descending), KEY being the sort key of
 * the last entry returned, bound to the projects and the filter's text:
 * a token resumes only the list that issued it.
 */
static int token_scope(const vouch_audit_query *q, const char ***out,
                       size_t *count, vouch_error *err)
{
    const char **scope = calloc(q->project_count + 2, sizeof(*scope));
    size_t i;

    if (scope == NULL) {
        return vutil_enomem(err);
    }
    scope[0] = "entries:list";
    scope[1] = q->filter_text;
    for (i = 0; i < q->project_count; i++) {
        scope[2 + i] = q->projects[i];
    }
    *out = scope;
    *count = q->project_count + 2;
    return 0;
}

static int token_open(vouch_store_conn *conn, const vouch_audit_query *q,
                      char **out, vouch_error *err)
{
    const char **scope = NULL;
    char *raw = NULL;
    size_t count = 0;
    size_t len;
    char want = q->order == VOUCH_AUDIT_DESC ? 'd' : 'a';
    int rc;

    *out = NULL;
    rc = token_scope(q, &scope, &count, err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch_store_page_token_open(conn, scope, count, q->page_token, &raw,
                                     err);
    free(scope);
    if (rc < 0) {
        if (rc == VOUCH_EINVAL) {
            char why[sizeof(err->message)];
            snprintf(why, sizeof(why), "%s", err->message);
            rc = vutil_error_set(err, VOUCH_EINVAL, SRC_BODY, 0, 0,
                                 "pageToken: %s", why);
        }
        return rc;
    }
    len = strlen(raw);
    if (len < 2 || (raw[0] != 'a' && raw[0] != 'd') || raw[1] != ':' ||
        !valid_key(raw + 2, len - 2)) {
        free(raw);
        return vutil_error_set(err, VOUCH_EINVAL, SRC_BODY, 0, 0,
                               "pageToken: not a token from a previous "
                               "response");
    }
    if (raw[0] != want) {
        free(raw);
        return vutil_error_set(err, VOUCH_EINVAL, SRC_BODY, 0, 0,
                               "pageToken: comes from a list in the other "
                               "order; use the same orderBy");
    }
    memmove(raw, raw + 2, len - 1);
    *out = raw;
    return 0;
}

static int token_seal(vouch_store_conn *conn, const vouch_audit_query *q,
                      const char *key, char **out, vouch_error *err)
{
    const char **scope = NULL;
    char *raw = NULL;
    size_t count = 0;
    int rc;

    *out = NULL;
    rc = token_scope(q, &scope, &count, err);
    if (rc < 0) {
        return rc;
    }
    raw = vutil_aprintf("%c:%s", q->order == VOUCH_AUDIT_DESC ? 'd' : 'a',
                        key);
    if (raw == NULL) {
        rc = vutil_enomem(err);
    } else {
        rc = vouch_store_page_token_seal(conn, scope, count, raw, out, err);
    }
    free(raw);
    free(scope);
    return rc;
}


/* ------------------------------------------------------------------ */
/* Listing                                                            */

int vouch_audit_list(vouch_store_conn *conn, const vouch_audit_query *q,
                     json_t **out, vouch_error *err)
{
    vouch__audit_scan scan;
    json_t *result = NULL;
    char *after = NULL;
    char *token = NULL;
    int rc = 0;

    *out = NULL;
    memset(&scan, 0, sizeof(scan));
    if (q == NULL || q->project_count == 0) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "resourceNames: required");
    }
    scan.q = q;
    scan.page_size = q->page_size == 0 ? VOUCH_AUDIT_PAGE_DEFAULT
                                       : q->page_size;
    if (scan.page_size > VOUCH_AUDIT_PAGE_MAX) {
        scan.page_size = VOUCH_AUDIT_PAGE_MAX;
    }
    if (q->page_token != NULL && q->page_token[0] != '\0') {
        rc = token_open(conn, q, &after, err);
        if (rc < 0) {
            return rc;
        }
    }
    scan.resume = after;
    rc = vouch__audit_scan_run(conn, &scan, err);
    if (rc < 0) {
        goto cleanup;
    }
    result = json_object();
    if (result == NULL ||
        (json_array_size(scan.entries) > 0 &&
         json_object_set(result, "entries", scan.entries) < 0)) {
        rc = vutil_enomem(err);
        goto cleanup;
    }
    if (scan.next_key != NULL) {
        rc = token_seal(conn, q, scan.next_key, &token, err);
        if (rc < 0) {
            goto cleanup;
        }
        if (json_object_set_new(result, "nextPageToken",
                                json_string(token)) < 0) {
            rc = vutil_enomem(err);
            goto cleanup;
        }
    }
    *out = result;
    result = NULL;
    rc = 0;

cleanup:
    json_decref(result);
    json_decref(scan.entries);
    free(scan.next_key);
    free(after);
    free(token);
    return rc;
}
