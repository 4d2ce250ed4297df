/*
 * vouch service — paging a store list through a predicate
 * (vsvc_pager.h), and the filtered lists adapters call through it
 * (vsvc_list_matching, vsvc.h).
 */
#include "vsvc_pager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsvc_internal.h"

#define TOKEN_MAX 2048u

/* "<skip>.<store token>" into *skip and a malloc'd *store (NULL: start). */
static int token_parse(const char *token, size_t *skip, char **store,
                       vouch_error *err)
{
    size_t n = 0;
    size_t i = 0;

    *skip = 0;
    *store = NULL;
    if (token == NULL || token[0] == '\0') {
        return 0;
    }
    if (strnlen(token, TOKEN_MAX + 1) > TOKEN_MAX) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "page token: too long");
    }
    for (; token[i] >= '0' && token[i] <= '9' && i < 6; i++) {
        n = n * 10 + (size_t)(token[i] - '0');
    }
    if (i == 0 || token[i] != '.' || n >= VSVC_PAGER_BATCH) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "page token: not one this list returned");
    }
    *skip = n;
    if (token[i + 1] != '\0') {
        *store = strdup(token + i + 1);
        if (*store == NULL) {
            return vutil_enomem(err);
        }
    }
    return 0;
}

static char *token_make(size_t skip, const char *store)
{
    size_t len = strlen(store != NULL ? store : "") + 24;
    char *t = malloc(len);

    if (t != NULL) {
        snprintf(t, len, "%zu.%s", skip, store != NULL ? store : "");
    }
    return t;
}

/* Move item `i` of `from` to the end of `to` (whose items has room). */
static void take(vouch_resource_page *to, vouch_resource_page *from,
                 size_t i)
{
    to->items[to->count++] = from->items[i];
    memset(&from->items[i], 0, sizeof(from->items[i]));
}

int vsvc__pager_list(vouch_store_conn *conn, const vouch_resource_query *q,
                     const char *token, size_t limit,
                     vsvc__pager_match match, void *payload,
                     vouch_resource_page *out, vouch_error *err)
{
    vouch_resource_page page;
    char *at = NULL;       /* store token of the current batch */
    size_t skip = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&page, 0, sizeof(page));
    if (limit == 0) {
        limit = 1;
    }
    rc = token_parse(token, &skip, &at, err);
    if (rc < 0) {
        return rc;
    }
    out->items = calloc(limit, sizeof(out->items[0]));
    if (out->items == NULL) {
        rc = vutil_enomem(err);
        goto cleanup;
    }
    for (;;) {
        vouch_resource_query batch = *q;

        batch.page_size = VSVC_PAGER_BATCH;
        batch.page_token = at;
        rc = vouch_store_list(conn, &batch, &page, err);
        if (rc < 0) {
            goto cleanup;
        }
        for (size_t i = skip; i < page.count; i++) {
            rc = match(&page.items[i], payload, err);
            if (rc < 0) {
                goto cleanup;
            }
            if (rc == 0) {
                continue;
            }
            take(out, &page, i);
            if (out->count < limit) {
                continue;
            }
            /* Full: resume after item i of this batch, or at the next. */
            if (i + 1 < page.count) {
                out->next_page_token = token_make(i + 1, at);
            } else if (page.next_page_token != NULL) {
                out->next_page_token = token_make(0, page.next_page_token);
            }
            if ((i + 1 < page.count || page.next_page_token != NULL) &&
                out->next_page_token == NULL) {
                rc = vutil_enomem(err);
                goto cleanup;
            }
            rc = 0;
            goto cleanup;
        }
        skip = 0;
        if (page.next_page_token == NULL) {
            rc = 0;
            goto cleanup;
        }
        free(at);
        at = page.next_page_token;
        page.next_page_token = NULL;
        vouch_resource_page_clear(&page);
    }

cleanup:
    vouch_resource_page_clear(&page);
    free(at);
    if (rc < 0) {
        vouch_resource_page_clear(out);
    }
    return rc;
}

/* ---- filtered lists (vsvc.h) ---- */

typedef struct matching {
    const char *name_prefix;
    vsvc_match_fn match;
    void *payload;
} matching;

static int match_stored(const vouch_resource *r, void *payload,
                        vouch_error *err)
{
    const matching *m = payload;
    json_error_t jerr;
    json_t *item;
    int rc;

    if (m->name_prefix != NULL && !vutil_has_prefix(r->name, m->name_prefix)) {
        return 0;
    }
    if (m->match == NULL) {
        return 1;
    }
    item = json_loads(r->json, 0, &jerr);
    if (item == NULL) {
        return vutil_error_set(err, VOUCH_EIO, "store", 0, 0,
                               "stored %s %s is not JSON: %s", r->kind,
                               r->name, jerr.text);
    }
    rc = m->match(r->name, item, m->payload, err);
    json_decref(item);
    return rc;
}

/* One page of `q` through `match`, as a vsvc_page. */
int vsvc__pager_page(vouch_store_conn *conn, const vouch_resource_query *q,
                     const vsvc_page_request *page, vsvc__pager_match match,
                     void *payload, vsvc_page *out, vouch_error *err)
{
    vouch_resource_page got;
    size_t limit = page != NULL && page->size > 0 ? page->size
                                                  : VSVC_PAGE_DEFAULT;
    int rc;

    memset(out, 0, sizeof(*out));
    if (limit > VSVC_PAGE_MAX) {
        limit = VSVC_PAGE_MAX;
    }
    rc = vsvc__pager_list(conn, q, page != NULL ? page->token : NULL, limit,
                          match, payload, &got, err);
    if (rc < 0) {
        return rc == VOUCH_EIO ? vsvc__error_wrap(err, "store") : rc;
    }
    rc = vsvc__page_from(&got, out, err);
    vouch_resource_page_clear(&got);
    if (rc < 0) {
        vsvc_page_clear(out);
    }
    return rc;
}

int vsvc_list_matching(vsvc_session *s, vsvc_kind kind, const char *parent,
                       const char *name_prefix, vsvc_match_fn match,
                       void *payload, const vsvc_page_request *page,
                       vsvc_page *out, vouch_error *err)
{
    matching m = { name_prefix, match, payload };
    vouch_resource_query q;

    memset(&q, 0, sizeof(q));
    q.kind = vsvc_kind_text(kind);
    q.parent = parent;
    if (q.kind == NULL) {
        memset(out, 0, sizeof(*out));
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "list: unknown kind %d", (int)kind);
    }
    return vsvc__pager_page(vsvc__conn(s), &q, page, match_stored, &m, out,
                            err);
}

int vsvc_get_named(vsvc_session *s, vsvc_kind kind, const char *name,
                   char **out, vouch_error *err)
{
    const char *text = vsvc_kind_text(kind);

    *out = NULL;
    if (text == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "get: unknown kind %d", (int)kind);
    }
    return vsvc__get_text(vsvc__conn(s), text, name, out, err);
}
