/*
 * Unit tests of src/service/vsvc_pager.c (paging a store list through a
 * predicate) over a real SQLite store in a temporary directory.
 *
 *   test_pager_*  vsvc__pager_list
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vsvc_pager.h"

/* More than two store batches, so pages cross batch boundaries. */
#define ITEMS ((int)(2 * VSVC_PAGER_BATCH + 57))

typedef struct fixture {
    char dir[64];
    vouch_store *store;
    vouch_store_conn *conn;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    vouch_error err = VOUCH_ERROR_INIT;
    char url[128];

    snprintf(f->dir, sizeof(f->dir), "/tmp/vouch-pager-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    snprintf(url, sizeof(url), "sqlite:%s/t.db", f->dir);
    if (vouch_store_open(&f->store, url, 1, &err) < 0 ||
        vouch_store_acquire(f->store, &f->conn, &err) < 0 ||
        vouch_store_begin(f->conn, true, &err) < 0) {
        fprintf(stderr, "store: %s\n", err.message);
        return -1;
    }
    for (int i = 0; i < ITEMS; i++) {
        char name[64];
        char json[64];
        vouch_resource r;
        memset(&r, 0, sizeof(r));
        snprintf(name, sizeof(name), "p/things/%04d", i);
        snprintf(json, sizeof(json), "{\"n\":%d}", i);
        r.kind = "thing";
        r.name = name;
        r.parent = "p";
        r.json = json;
        r.etag = "e";
        r.create_time = "2026-01-01T00:00:00Z";
        r.update_time = "2026-01-01T00:00:00Z";
        if (vouch_store_create(f->conn, &r, &err) < 0) {
            fprintf(stderr, "create: %s\n", err.message);
            return -1;
        }
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char path[128];

    vouch_store_release(f->conn);
    vouch_store_close(f->store);
    snprintf(path, sizeof(path), "%s/t.db", f->dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/t.db-wal", f->dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/t.db-shm", f->dir);
    unlink(path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Every third item, counted by its number. */
static int every_third(const vouch_resource *r, void *payload,
                       vouch_error *err)
{
    int *calls = payload;

    (void)err;
    (*calls)++;
    return atoi(strrchr(r->name, '/') + 1) % 3 == 0;
}

static int refuse(const vouch_resource *r, void *payload, vouch_error *err)
{
    (void)r;
    (void)payload;
    err->code = VOUCH_EIO;
    snprintf(err->message, sizeof(err->message), "predicate failed");
    return VOUCH_EIO;
}

static void test_pager_pages_resume_exactly(void **state)
{
    fixture *f = *state;
    vouch_resource_query q;
    vouch_error err = VOUCH_ERROR_INIT;
    char *token = NULL;
    int seen = 0;
    int calls = 0;
    int pages = 0;

    memset(&q, 0, sizeof(q));
    q.kind = "thing";
    q.parent = "p";
    do {
        vouch_resource_page page;
        assert_int_equal(vsvc__pager_list(f->conn, &q, token, 7, every_third,
                                           &calls, &page, &err),
                         0);
        assert_true(page.count <= 7);
        for (size_t i = 0; i < page.count; i++) {
            int n = atoi(strrchr(page.items[i].name, '/') + 1);
            assert_int_equal(n, seen);   /* in order, none skipped twice */
            seen += 3;
        }
        free(token);
        token = page.next_page_token != NULL
                    ? strdup(page.next_page_token) : NULL;
        vouch_resource_page_clear(&page);
        pages++;
    } while (token != NULL);
    assert_int_equal(seen, ((ITEMS - 1) / 3 + 1) * 3);
    assert_int_equal(pages, ((ITEMS - 1) / 3) / 7 + 1);
    /* Each item is looked at once (no batch read twice from the start). */
    assert_true(calls < ITEMS + (int)VSVC_PAGER_BATCH);
}

static void test_pager_last_page_has_no_token(void **state)
{
    fixture *f = *state;
    vouch_resource_query q;
    vouch_resource_page page;
    vouch_error err = VOUCH_ERROR_INIT;
    int calls = 0;

    memset(&q, 0, sizeof(q));
    q.kind = "thing";
    q.parent = "p";
    assert_int_equal(vsvc__pager_list(f->conn, &q, NULL, 1000, every_third,
                                      &calls, &page, &err),
                     0);
    assert_int_equal(page.count, (ITEMS - 1) / 3 + 1);
    assert_null(page.next_page_token);
    vouch_resource_page_clear(&page);
    /* A list nothing matches: empty, no token. */
    q.parent = "nobody";
    assert_int_equal(vsvc__pager_list(f->conn, &q, "", 5, every_third, &calls,
                                      &page, &err),
                     0);
    assert_int_equal(page.count, 0);
    assert_null(page.next_page_token);
    vouch_resource_page_clear(&page);
}

static void test_pager_bad_token_and_predicate_error(void **state)
{
    fixture *f = *state;
    vouch_resource_query q;
    vouch_resource_page page;
    vouch_error err = VOUCH_ERROR_INIT;
    int calls = 0;
    static const char *const bad[] = { "x", "12", ".abc", "9999.", "-1." };

    memset(&q, 0, sizeof(q));
    q.kind = "thing";
    q.parent = "p";
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(vsvc__pager_list(f->conn, &q, bad[i], 5, every_third,
                                           &calls, &page, &err),
                         VOUCH_EINVAL);
        assert_int_equal(page.count, 0);
    }
    assert_int_equal(vsvc__pager_list(f->conn, &q, NULL, 5, refuse, NULL,
                                      &page, &err),
                     VOUCH_EIO);
    assert_string_equal(err.message, "predicate failed");
    assert_int_equal(page.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pager_pages_resume_exactly),
        cmocka_unit_test(test_pager_last_page_has_no_token),
        cmocka_unit_test(test_pager_bad_token_and_predicate_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
