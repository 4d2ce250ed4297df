/*
 * vouch service — audit log entries, part three: reading one page of
 * POST /v2/entries:list (audit_internal.h, vouch__audit_scan).
 *
 * A project's entries are one range of store names,
 * projects/P/logEntries/TIMESTAMP/INSERT_ID, in time order. The range is
 * narrowed before anything is read: by the page token's key, and by the
 * filter's top-level timestamp bounds; a top-level logName="…" or
 * resource.type="…" makes the store read it from the index (kind, attr1,
 * name) or (kind, attr2, name) rather than from every entry of the
 * project. So the usual filters read only what they may return.
 *
 * What the indexes cannot decide, the filter does, entry by entry; that
 * costs the filter's terms for each entry read, and a request spends at
 * most VOUCH_AUDIT_SCAN_BUDGET. The projects' ranges are read in small
 * chunks and merged in key order, so whenever reading stops (the page is
 * full, or the budget is spent) one key says where the next page
 * resumes for every project.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_internal.h"
#include "vutil_str.h"

/* Most rows one store read fetches for one project, and for all the
 * projects of a request together (rows fetched but not read yet are
 * outside the budget, so they are kept few); at least CHUNK_MIN. */
#define CHUNK_MAX 256u
#define CHUNK_TOTAL 1024u
#define CHUNK_MIN 8u

typedef struct cursor {
    char *prefix;            /* projects/P/logEntries/ */
    size_t plen;
    char *low;               /* only names > low */
    char *high;              /* only names < high */
    char *pos;               /* the last name read from the store */
    vouch_resource_page page;
    size_t at;               /* next row of `page` */
    bool done;               /* the store has nothing more */
} cursor;

typedef struct scan_state {
    vouch__audit_scan *s;
    vouch_store_conn *conn;
    vouch_logfilter_bounds b;
    bool desc;
    cursor *cur;
    size_t ncur;
    size_t cost;             /* of reading one entry, in terms */
    size_t spent;
} scan_state;

/* The start of the keys of an instant: "YYYY-MM-DDTHH:MM:SS.uuuuuuZ",
 * to the microsecond below it; false outside the years 0000..9999. */
static bool key_time(long long sec, long nsec, char *out, size_t size)
{
    time_t t = (time_t)sec;
    struct tm tm;

    if ((long long)t != sec || gmtime_r(&t, &tm) == NULL ||
        tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
        return false;
    }
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, nsec / 1000);
    return true;
}

/* Replace *bound by `cand` (taken) when it is tighter: larger for a low
 * bound, smaller for a high one. */
static int tighten(char **bound, char *cand, bool low)
{
    int c;

    if (cand == NULL) {
        return VOUCH_ENOMEM;
    }
    c = strcmp(cand, *bound);
    if ((low && c > 0) || (!low && c < 0)) {
        free(*bound);
        *bound = cand;
    } else {
        free(cand);
    }
    return 0;
}

static int cursor_init(scan_state *st, cursor *c, const char *project)
{
    const char *resume = st->s->resume;
    char t[64];
    int rc = 0;

    c->prefix = vutil_aprintf("projects/%s/logEntries/", project);
    /* '0' follows '/': every name of the project is below it. */
    c->high = vutil_aprintf("projects/%s/logEntries0", project);
    c->low = vutil_strdup(c->prefix);
    if (c->prefix == NULL || c->high == NULL || c->low == NULL) {
        return VOUCH_ENOMEM;
    }
    c->plen = strlen(c->prefix);
    if (st->b.has_min &&
        key_time(st->b.min_sec, st->b.min_nsec, t, sizeof(t))) {
        rc = tighten(&c->low, vutil_aprintf("%s%s", c->prefix, t), true);
    }
    if (rc == 0 && st->b.has_max &&
        key_time(st->b.max_sec, st->b.max_nsec, t, sizeof(t))) {
        /* Up to every insertId at that microsecond. */
        rc = tighten(&c->high, vutil_aprintf("%s%s0", c->prefix, t),
                     false);
    }
    if (rc == 0 && resume != NULL) {
        rc = tighten(st->desc ? &c->high : &c->low,
                     vutil_aprintf("%s%s", c->prefix, resume), !st->desc);
    }
    if (rc < 0) {
        return rc;
    }
    if (st->b.log_name != NULL) {
        /* Every entry of P has a logName "projects/P/logs/…". */
        size_t len = strlen(project);

        if (strncmp(st->b.log_name, "projects/", 9) != 0 ||
            strncmp(st->b.log_name + 9, project, len) != 0 ||
            strncmp(st->b.log_name + 9 + len, "/logs/", 6) != 0) {
            c->done = true;
        }
    }
    if (strcmp(c->low, c->high) >= 0) {
        c->done = true;
    }
    return 0;
}

static void cursor_clear(cursor *c)
{
    free(c->prefix);
    free(c->low);
    free(c->high);
    free(c->pos);
    vouch_resource_page_clear(&c->page);
}

/* Read the next chunk of `c`'s range. */
static int fetch(scan_state *st, cursor *c, vouch_error *err)
{
    vouch_resource_query sq;
    size_t left = st->spent < VOUCH_AUDIT_SCAN_BUDGET
                      ? (VOUCH_AUDIT_SCAN_BUDGET - st->spent) / st->cost
                      : 0;
    size_t chunk = st->s->page_size + 1;
    int rc;

    if (chunk > left + 1) {
        chunk = left + 1;
    }
    if (chunk > CHUNK_MAX) {
        chunk = CHUNK_MAX;
    }
    if (chunk > CHUNK_MIN && chunk > CHUNK_TOTAL / st->ncur) {
        chunk = CHUNK_TOTAL / st->ncur > CHUNK_MIN ? CHUNK_TOTAL / st->ncur
                                                   : CHUNK_MIN;
    }
    memset(&sq, 0, sizeof(sq));
    sq.kind = VOUCH_AUDIT_KIND;
    sq.attr1 = st->b.log_name;
    sq.attr2 = st->b.resource_type;
    sq.after = c->low;
    sq.before = c->high;
    if (c->pos != NULL) {
        *(st->desc ? &sq.before : &sq.after) = c->pos;
    }
    sq.descending = st->desc;
    sq.page_size = chunk;
    vouch_resource_page_clear(&c->page);
    c->at = 0;
    rc = vouch_store_list(st->conn, &sq, &c->page, err);
    if (rc < 0) {
        return rc;
    }
    if (c->page.next_page_token == NULL) {
        c->done = true;
    }
    if (c->page.count > 0) {
        free(c->pos);
        c->pos = vutil_strdup(c->page.items[c->page.count - 1].name);
        if (c->pos == NULL) {
            return vutil_enomem(err);
        }
    }
    return 0;
}

/* The next row of `c`, fetching when needed; NULL when none is left. */
static int head(scan_state *st, cursor *c, const vouch_resource **out,
                vouch_error *err)
{
    int rc;

    *out = NULL;
    while (c->at == c->page.count) {
        if (c->done) {
            return 0;
        }
        rc = fetch(st, c, err);
        if (rc < 0) {
            return rc;
        }
    }
    *out = &c->page.items[c->at];
    return 0;
}

/* The cursor whose next row comes first in the list's order, or NULL. */
static int next_cursor(scan_state *st, cursor **out, vouch_error *err)
{
    const char *best_key = NULL;
    size_t i;
    int rc;

    *out = NULL;
    for (i = 0; i < st->ncur; i++) {
        const vouch_resource *r;
        const char *key;
        int c;

        rc = head(st, &st->cur[i], &r, err);
        if (rc < 0) {
            return rc;
        }
        if (r == NULL) {
            continue;
        }
        key = r->name + st->cur[i].plen;
        c = best_key == NULL ? 0 : strcmp(key, best_key);
        if (best_key == NULL || (st->desc ? c > 0 : c < 0)) {
            best_key = key;
            *out = &st->cur[i];
        }
    }
    return 0;
}

static int set_key(char **slot, const char *key, vouch_error *err)
{
    free(*slot);
    *slot = vutil_strdup(key);
    return *slot != NULL ? 0 : vutil_enomem(err);
}

/* Read and filter entries until the page is full, the budget is spent
 * or nothing is left. */
static int read_entries(scan_state *st, vouch_error *err)
{
    vouch__audit_scan *s = st->s;
    char *read_key = NULL;       /* the last entry read */
    char *page_key = NULL;       /* the last entry returned */
    size_t scanned = 0;
    int rc = 0;

    for (;;) {
        const vouch_resource *r;
        json_error_t jerr;
        json_t *entry;
        cursor *c;

        rc = next_cursor(st, &c, err);
        if (rc < 0 || c == NULL) {
            break;
        }
        if (scanned > 0 && st->spent + st->cost > VOUCH_AUDIT_SCAN_BUDGET) {
            /* Spent: resume after the last entry read. */
            rc = set_key(&s->next_key, read_key, err);
            break;
        }
        r = &c->page.items[c->at++];
        scanned++;
        st->spent += st->cost;
        entry = json_loads(r->json, 0, &jerr);
        if (entry == NULL) {
            rc = vutil_error_set(err, VOUCH_EIO, SRC_AUDIT, 0, 0,
                                 "stored log entry %s is not JSON: %s",
                                 r->name, jerr.text);
            break;
        }
        rc = set_key(&read_key, r->name + c->plen, err);
        if (rc < 0 || !vouch_logfilter_match(s->q->filter, entry)) {
            json_decref(entry);
            if (rc < 0) {
                break;
            }
            continue;
        }
        if (json_array_size(s->entries) == s->page_size) {
            /* One more match: the next page starts after this page. */
            json_decref(entry);
            rc = set_key(&s->next_key, page_key, err);
            break;
        }
        if (json_array_append_new(s->entries, entry) < 0) {
            rc = vutil_enomem(err);
            break;
        }
        rc = set_key(&page_key, read_key, err);
        if (rc < 0) {
            break;
        }
    }
    free(read_key);
    free(page_key);
    return rc;
}

int vouch__audit_scan_run(vouch_store_conn *conn, vouch__audit_scan *s,
                          vouch_error *err)
{
    scan_state st;
    size_t i;
    int rc = 0;

    memset(&st, 0, sizeof(st));
    st.s = s;
    st.conn = conn;
    st.desc = s->q->order == VOUCH_AUDIT_DESC;
    st.cost = VOUCH_AUDIT_ENTRY_TERMS + vouch_logfilter_terms(s->q->filter);
    vouch_logfilter_bounds_get(s->q->filter, &st.b);
    s->entries = json_array();
    st.cur = calloc(s->q->project_count, sizeof(*st.cur));
    if (s->entries == NULL || st.cur == NULL) {
        free(st.cur);
        return vutil_enomem(err);
    }
    st.ncur = s->q->project_count;
    for (i = 0; i < st.ncur && rc == 0; i++) {
        rc = cursor_init(&st, &st.cur[i], s->q->projects[i]);
    }
    if (rc < 0) {
        rc = vutil_enomem(err);
    } else {
        rc = read_entries(&st, err);
    }
    for (i = 0; i < st.ncur; i++) {
        cursor_clear(&st.cur[i]);
    }
    free(st.cur);
    return rc;
}
