/*
 * vouch — vouch_store_bulk_create (store.h): the checks before any row is
 * written, and the distinct kinds whose generations move. The rows go in
 * through the backend's bulk_create (sqlite_bulk.c: one prepared INSERT;
 * postgres_bulk.c: COPY), run as one write operation by store.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "vutil_error.h"
#include "vutil_str.h"

#define BULK_SRC "store"

/* Every required field of every item, before anything is written. */
static int check_items(const vouch_resource *items, size_t count,
                       vouch_error *err)
{
    char op[64];
    size_t i;
    int rc;

    for (i = 0; i < count; i++) {
        snprintf(op, sizeof(op), "bulk_create: items[%zu]", i);
        rc = vouch__store_check_resource(&items[i], op, err);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

/* The distinct kinds of `items` (few: a batch is usually one kind), in
 * first-seen order; `*out` is malloc'd, its strings are the items'. */
static int distinct_kinds(const vouch_resource *items, size_t count,
                          const char ***out, size_t *n, vouch_error *err)
{
    const char **kinds = NULL;
    size_t cap = 0;
    size_t i;
    size_t k;

    *out = NULL;
    *n = 0;
    for (i = 0; i < count; i++) {
        /* Consecutive items of one kind cost one comparison. */
        if (*n > 0 && strcmp(kinds[*n - 1], items[i].kind) == 0) {
            continue;
        }
        for (k = 0; k < *n && strcmp(kinds[k], items[i].kind) != 0; k++) {
        }
        if (k < *n) {
            continue;
        }
        if (!vutil_grow(&kinds, &cap, *n, sizeof(*kinds), 4)) {
            free(kinds);
            return vutil_error_set(err, VOUCH_ENOMEM, BULK_SRC, 0, 0,
                                   "bulk_create: out of memory");
        }
        kinds[(*n)++] = items[i].kind;
    }
    *out = kinds;
    return 0;
}

int vouch_store_bulk_create(vouch_store_conn *conn,
                            const vouch_resource *items, size_t count,
                            vouch_error *err)
{
    const char **kinds = NULL;
    size_t nkinds = 0;
    int rc;

    if (count == 0) {
        return 0;
    }
    if (items == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, BULK_SRC, 0, 0,
                               "bulk_create: items is missing");
    }
    rc = check_items(items, count, err);
    if (rc == 0) {
        rc = distinct_kinds(items, count, &kinds, &nkinds, err);
    }
    if (rc == 0) {
        rc = vouch__store_bulk(conn, items, count, kinds, nkinds, err);
    }
    free(kinds);
    return rc;
}
