/*
 * vouch service — audit log entries, part two: storing them with the
 * change they record, and listing them for POST /v2/entries:list
 * (ordered by timestamp, across projects, filtered, paged).
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
    r.attr2 = (char *)ts;
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

typedef struct cand {
    char *key;           /* TIMESTAMP/INSERT_ID */
    json_t *entry;
} cand;

typedef struct cand_list {
    cand *items;
    size_t count;
    size_t cap;
} cand_list;

static void cand_list_clear(cand_list *l)
{
    size_t i;

    for (i = 0; i < l->count; i++) {
        free(l->items[i].key);
        json_decref(l->items[i].entry);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

/* Takes `key` and `entry` (freed on failure). */
static int cand_push(cand_list *l, char *key, json_t *entry)
{
    if (l->count == l->cap) {
        size_t cap = l->cap == 0 ? 16 : 2 * l->cap;
        cand *items = realloc(l->items, cap * sizeof(*items));

        if (items == NULL) {
            free(key);
            json_decref(entry);
            return VOUCH_ENOMEM;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count].key = key;
    l->items[l->count].entry = entry;
    l->count++;
    return 0;
}

/* Keep only the last `keep` candidates. */
static void cand_keep_last(cand_list *l, size_t keep)
{
    size_t drop;
    size_t i;

    if (l->count <= keep) {
        return;
    }
    drop = l->count - keep;
    for (i = 0; i < drop; i++) {
        free(l->items[i].key);
        json_decref(l->items[i].entry);
    }
    memmove(l->items, l->items + drop, keep * sizeof(*l->items));
    l->count = keep;
}

static int cand_cmp(const void *a, const void *b)
{
    return strcmp(((const cand *)a)->key, ((const cand *)b)->key);
}

/*
 * The matching entries of one project after (asc) or before (desc) the
 * query's key: at most `limit` of them, the first ones (asc) or the last
 * ones (desc) in key order.
 */
static int collect(vouch_store_conn *conn, const vouch_audit_query *q,
                   const char *after, const char *project, size_t limit,
                   cand_list *out, vouch_error *err)
{
    cand_list mine = { NULL, 0, 0 };
    vouch_resource_query sq;
    vouch_resource_page page;
    char *parent = NULL;
    char *prefix = NULL;
    char *token = NULL;
    char *start = NULL;
    size_t plen;
    size_t found = 0;
    size_t i;
    bool done = false;
    int rc = 0;

    memset(&page, 0, sizeof(page));
    parent = vutil_aprintf("projects/%s", project);
    prefix = vutil_aprintf("projects/%s/logEntries/", project);
    if (parent == NULL || prefix == NULL) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                             "out of memory");
        goto cleanup;
    }
    plen = strlen(prefix);
    if (q->order == VOUCH_AUDIT_ASC && after != NULL) {
        start = vutil_aprintf("%s%s", prefix, after);
        if (start == NULL) {
            rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                                 "out of memory");
            goto cleanup;
        }
    }
    while (!done) {
        memset(&sq, 0, sizeof(sq));
        sq.kind = VOUCH_AUDIT_KIND;
        sq.parent = parent;
        sq.after = token == NULL ? start : NULL;
        sq.attr1 = vouch_logfilter_log_name(q->filter);
        sq.page_size = VOUCH_AUDIT_PAGE_MAX;
        sq.page_token = token;
        rc = vouch_store_list(conn, &sq, &page, err);
        if (rc < 0) {
            goto cleanup;
        }
        for (i = 0; i < page.count && !done; i++) {
            const vouch_resource *r = &page.items[i];
            const char *key;
            json_error_t jerr;
            json_t *entry;
            char *kcopy;

            if (strncmp(r->name, prefix, plen) != 0) {
                continue;
            }
            key = r->name + plen;
            if (q->order == VOUCH_AUDIT_DESC && after != NULL &&
                strcmp(key, after) >= 0) {
                done = true;
                break;
            }
            entry = json_loads(r->json, 0, &jerr);
            if (entry == NULL) {
                rc = vutil_error_set(err, VOUCH_EIO, SRC_AUDIT, 0, 0,
                                     "stored log entry %s is not JSON: "
                                     "%s", r->name, jerr.text);
                goto cleanup;
            }
            if (!vouch_logfilter_match(q->filter, entry)) {
                json_decref(entry);
                continue;
            }
            kcopy = vutil_strdup(key);
            if (kcopy == NULL) {
                json_decref(entry);
                rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                                     "out of memory");
                goto cleanup;
            }
            if (cand_push(&mine, kcopy, entry) < 0) {
                rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                                     "out of memory");
                goto cleanup;
            }
            found++;
            if (q->order == VOUCH_AUDIT_ASC && found == limit) {
                done = true;
            }
        }
        if (q->order == VOUCH_AUDIT_DESC && mine.count > 2 * limit) {
            /* Only the last `limit` can be on the page; bound memory. */
            cand_keep_last(&mine, limit);
        }
        free(token);
        token = NULL;
        if (page.next_page_token == NULL) {
            done = true;
        } else {
            token = page.next_page_token;
            page.next_page_token = NULL;
        }
        vouch_resource_page_clear(&page);
    }
    if (q->order == VOUCH_AUDIT_DESC) {
        cand_keep_last(&mine, limit);
    }
    for (i = 0; i < mine.count; i++) {
        rc = cand_push(out, mine.items[i].key, mine.items[i].entry);
        mine.items[i].key = NULL;
        mine.items[i].entry = NULL;
        if (rc < 0) {
            rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                                 "out of memory");
            goto cleanup;
        }
    }
    rc = 0;

cleanup:
    cand_list_clear(&mine);
    vouch_resource_page_clear(&page);
    free(parent);
    free(prefix);
    free(token);
    free(start);
    return rc;
}

int vouch_audit_list(vouch_store_conn *conn, const vouch_audit_query *q,
                     json_t **out, vouch_error *err)
{
    cand_list all = { NULL, 0, 0 };
    json_t *result = NULL;
    json_t *entries = NULL;
    char *after = NULL;
    char *token = NULL;
    size_t page_size;
    size_t n;
    size_t i;
    int rc = 0;

    *out = NULL;
    if (q == NULL || q->project_count == 0) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC_AUDIT, 0, 0,
                               "resourceNames: required");
    }
    page_size = q->page_size == 0 ? VOUCH_AUDIT_PAGE_DEFAULT : q->page_size;
    if (page_size > VOUCH_AUDIT_PAGE_MAX) {
        page_size = VOUCH_AUDIT_PAGE_MAX;
    }
    if (q->page_token != NULL && q->page_token[0] != '\0') {
        rc = token_open(conn, q, &after, err);
        if (rc < 0) {
            return rc;
        }
    }
    for (i = 0; i < q->project_count; i++) {
        rc = collect(conn, q, after, q->projects[i], page_size + 1, &all,
                     err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    if (all.count > 1) {
        qsort(all.items, all.count, sizeof(*all.items), cand_cmp);
    }
    if (q->order == VOUCH_AUDIT_DESC) {
        for (i = 0; i < all.count / 2; i++) {
            cand t = all.items[i];

            all.items[i] = all.items[all.count - 1 - i];
            all.items[all.count - 1 - i] = t;
        }
    }
    n = all.count < page_size ? all.count : page_size;
    result = json_object();
    entries = json_array();
    if (result == NULL || entries == NULL) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                             "out of memory");
        goto cleanup;
    }
    for (i = 0; i < n; i++) {
        if (json_array_append(entries, all.items[i].entry) < 0) {
            rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                                 "out of memory");
            goto cleanup;
        }
    }
    if (n > 0 && json_object_set(result, "entries", entries) < 0) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                             "out of memory");
        goto cleanup;
    }
    if (all.count > page_size) {
        rc = token_seal(conn, q, all.items[page_size - 1].key, &token, err);
        if (rc < 0) {
            goto cleanup;
        }
        if (json_object_set_new(result, "nextPageToken",
                                json_string(token)) < 0) {
            rc = vutil_error_set(err, VOUCH_ENOMEM, SRC_AUDIT, 0, 0,
                                 "out of memory");
            goto cleanup;
        }
    }
    *out = result;
    result = NULL;
    rc = 0;

cleanup:
    cand_list_clear(&all);
    json_decref(result);
    json_decref(entries);
    free(after);
    free(token);
    return rc;
}
