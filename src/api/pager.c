/*
 * vouchd — paging a store list through a predicate (pager.h).
 */
#include "pager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

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
        return api_error_fill(err, VOUCH_EINVAL, "page token: too long");
    }
    for (; token[i] >= '0' && token[i] <= '9' && i < 6; i++) {
        n = n * 10 + (size_t)(token[i] - '0');
    }
    if (i == 0 || token[i] != '.' || n >= API_PAGER_BATCH) {
        return api_error_fill(err, VOUCH_EINVAL, "page token: not one this "
                              "list returned");
    }
    *skip = n;
    if (token[i + 1] != '\0') {
        *store = strdup(token + i + 1);
        if (*store == NULL) {
            return api_error_fill(err, VOUCH_ENOMEM, "out of memory");
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

int api_pager_list(vouch_store_conn *conn, const vouch_resource_query *q,
                   const char *token, size_t limit, api_pager_match match,
                   void *payload, vouch_resource_page *out,
                   vouch_error *err)
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
        rc = api_error_fill(err, VOUCH_ENOMEM, "out of memory");
        goto cleanup;
    }
    for (;;) {
        vouch_resource_query batch = *q;

        batch.page_size = API_PAGER_BATCH;
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
                rc = api_error_fill(err, VOUCH_ENOMEM, "out of memory");
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
