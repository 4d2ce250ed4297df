/*
 * Unit tests for vouch_store_bulk_create (store.h), against BOTH backends
 * as test_store.c does: a "sqlite" group (a new file per test) and a
 * "postgres" group (a fresh schema per test on VOUCH_TEST_PG_URL, or on a
 * private cluster started with tests/store/pg_harness.sh; it fails, never
 * skips, when it cannot start one).
 *
 * What a caller sees: every row stored with every field (text COPY must
 * escape tabs, newlines and backslashes; a field longer than COPY's send
 * buffer), one generation step per kind, and bad input (a missing field,
 * a taken name, a name twice in the batch, a read transaction) refused
 * with a message naming the item, the store left as it was, and a
 * caller's transaction still usable after a failed bulk call.
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
#include <libpq-fe.h>

#include "store.h"

typedef struct fixture {
    bool postgres;
    char url[512];
    char dir[512];     /* sqlite: temp dir; postgres: harness dir */
    int serial;
    vouch_store *store;
    vouch_store_conn *conn;
} fixture;

#define STAMP "2026-12-07T12:00:00.000000Z"

/* n rows "projects/p/occurrences/o<i>" of `kind`, attr2 img<i mod 3>;
 * names[] keeps their text. */
typedef struct batch {
    vouch_resource *rows;
    char (*names)[64];
    char (*imgs)[32];
    size_t n;
} batch;

static batch make_batch(const char *kind, size_t n, const char *prefix)
{
    batch b;
    size_t i;

    b.rows = calloc(n, sizeof(*b.rows));
    b.names = calloc(n, sizeof(*b.names));
    b.imgs = calloc(n, sizeof(*b.imgs));
    assert_non_null(b.rows);
    assert_non_null(b.names);
    assert_non_null(b.imgs);
    b.n = n;
    for (i = 0; i < n; i++) {
        snprintf(b.names[i], sizeof(b.names[i]), "projects/p/%s/o%05zu",
                 prefix, i);
        snprintf(b.imgs[i], sizeof(b.imgs[i]), "img%zu", i % 3);
        b.rows[i] = (vouch_resource){
            (char *)kind, b.names[i], (char *)"projects/p",
            (char *)"{\"a\":1}", (char *)"e1", (char *)STAMP,
            (char *)STAMP, (char *)"projects/p/notes/n", b.imgs[i]
        };
    }
    return b;
}

static void free_batch(batch *b)
{
    free(b->rows);
    free(b->names);
    free(b->imgs);
}

static uint64_t count(fixture *f, const char *kind)
{
    vouch_error err = VOUCH_ERROR_INIT;
    uint64_t n = 0;

    assert_int_equal(vouch_store_count(f->conn, kind, NULL, &n, &err), 0);
    return n;
}

static uint64_t generation(fixture *f, const char *kind)
{
    vouch_error err = VOUCH_ERROR_INIT;
    uint64_t g = 0;

    assert_int_equal(vouch_store_generation(f->conn, kind, &g, &err), 0);
    return g;
}

/* ---- fixture ------------------------------------------------------------ */

static void pg_exec(const char *url, const char *sql)
{
    PGconn *pg = PQconnectdb(url);
    PGresult *r;

    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fail_msg("%s: %s", sql, PQerrorMessage(pg));
    }
    PQclear(r);
    PQfinish(pg);
}

static int group_setup_sqlite(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");

    if (f == NULL) {
        return -1;
    }
    snprintf(f->dir, sizeof(f->dir), "%s/vouch-bulk-test.XXXXXX",
             tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int group_setup_postgres(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    const char *url = getenv("VOUCH_TEST_PG_URL");
    const char *harness = getenv("VOUCH_PG_HARNESS");
    char cmd[1100];
    FILE *p;

    if (f == NULL) {
        return -1;
    }
    f->postgres = true;
    if (url != NULL && url[0] != '\0') {
        snprintf(f->url, sizeof(f->url), "%s", url);
        *state = f;
        return 0;
    }
    snprintf(cmd, sizeof(cmd), "sh '%s' start",
             harness != NULL ? harness : "tests/store/pg_harness.sh");
    p = popen(cmd, "r");
    if (p == NULL || fgets(f->url, sizeof(f->url), p) == NULL ||
        fgets(f->dir, sizeof(f->dir), p) == NULL) {
        fprintf(stderr, "FATAL: VOUCH_TEST_PG_URL is unset and %s could "
                "not start PostgreSQL\n", cmd);
        if (p != NULL) {
            pclose(p);
        }
        free(f);
        return -1;
    }
    pclose(p);
    f->url[strcspn(f->url, "\n")] = '\0';
    f->dir[strcspn(f->dir, "\n")] = '\0';
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    const char *harness = getenv("VOUCH_PG_HARNESS");
    char cmd[1100];

    if (f->postgres && f->dir[0] != '\0') {
        snprintf(cmd, sizeof(cmd), "sh '%s' stop '%s'",
                 harness != NULL ? harness : "tests/store/pg_harness.sh",
                 f->dir);
    } else {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->postgres ? "" : f->dir);
    }
    if (system(cmd) != 0) {
        fprintf(stderr, "warning: %s failed\n", cmd);
    }
    free(f);
    return 0;
}

static int setup(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    char url[600];

    f->serial++;
    if (f->postgres) {
        pg_exec(f->url, "SET client_min_messages = warning; "
                "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
        snprintf(url, sizeof(url), "%s", f->url);
    } else {
        snprintf(url, sizeof(url), "sqlite:%s/t%d/vouch.db", f->dir,
                 f->serial);
    }
    if (vouch_store_open(&f->store, url, 2, &err) != 0 ||
        vouch_store_acquire(f->store, &f->conn, &err) != 0) {
        fprintf(stderr, "open %s: %s\n", url, err.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    vouch_store_release(f->conn);
    f->conn = NULL;
    vouch_store_close(f->store);
    f->store = NULL;
    return 0;
}

/* ---- tests -------------------------------------------------------------- */

/* 20,000 rows (some MB of COPY text: many send buffers), every field
 * kept, NULL attributes, bytes COPY treats specially, a field longer
 * than one send buffer; one generation step per kind. */
static void test_bulk_stores_every_row_and_field(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    batch b = make_batch("occurrence", 20000, "occurrences");
    vouch_resource_query q;
    vouch_resource_page page;
    vouch_resource got;
    size_t big_len = 300 * 1024;
    char *big = malloc(big_len + 1);
    uint64_t before = generation(f, "occurrence");

    assert_non_null(big);
    memset(big, 'x', big_len);
    memcpy(big, "{\"k\":\"", 6);
    memcpy(big + big_len - 2, "\"}", 2);
    big[big_len] = '\0';
    b.rows[7].json = (char *)"{\"t\":\"a\tb\nc\r\\\\d \\\\N\"}";
    b.rows[7].attr1 = NULL;
    b.rows[7].attr2 = NULL;
    b.rows[8].json = big;
    b.rows[19999].kind = (char *)"note";
    assert_int_equal(vouch_store_bulk_create(f->conn, b.rows, b.n, &err), 0);

    assert_int_equal(count(f, "occurrence"), 19999);
    assert_int_equal(count(f, "note"), 1);
    assert_int_equal(generation(f, "occurrence"), before + 1);
    assert_int_equal(generation(f, "note"), 1);
    assert_int_equal(vouch_store_get(f->conn, "occurrence", b.names[7], &got,
                                     &err), 0);
    assert_string_equal(got.json, "{\"t\":\"a\tb\nc\r\\\\d \\\\N\"}");
    assert_null(got.attr1);
    assert_null(got.attr2);
    assert_string_equal(got.parent, "projects/p");
    assert_string_equal(got.etag, "e1");
    assert_string_equal(got.create_time, STAMP);
    vouch_resource_clear(&got);
    assert_int_equal(vouch_store_get(f->conn, "occurrence", b.names[8], &got,
                                     &err), 0);
    assert_string_equal(got.json, big);
    assert_string_equal(got.attr1, "projects/p/notes/n");
    assert_string_equal(got.attr2, "img2");
    vouch_resource_clear(&got);

    /* The indexed attribute lists like any created row. */
    memset(&q, 0, sizeof(q));
    q.kind = "occurrence";
    q.attr2 = "img1";
    q.page_size = 3;
    assert_int_equal(vouch_store_list(f->conn, &q, &page, &err), 0);
    assert_int_equal(page.count, 3);
    assert_string_equal(page.items[0].name, b.names[1]);
    assert_string_equal(page.items[2].name, b.names[10]);
    vouch_resource_page_clear(&page);
    free(big);
    free_batch(&b);
}

/* A missing field anywhere: EINVAL naming the item and field; nothing
 * written, generation unchanged. */
static void test_bulk_missing_field_writes_nothing(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    batch b = make_batch("occurrence", 50, "occurrences");

    b.rows[31].etag = (char *)"";
    assert_int_equal(vouch_store_bulk_create(f->conn, b.rows, b.n, &err),
                     VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "items[31]"));
    assert_non_null(strstr(err.message, "etag is required"));
    assert_int_equal(count(f, "occurrence"), 0);
    assert_int_equal(generation(f, "occurrence"), 0);

    assert_int_equal(vouch_store_bulk_create(f->conn, NULL, 3, &err),
                     VOUCH_EINVAL);
    assert_int_equal(vouch_store_bulk_create(f->conn, NULL, 0, &err), 0);
    assert_int_equal(generation(f, "occurrence"), 0);
    free_batch(&b);
}

/* A name that exists, or one given twice: ECONFLICT naming it; none of
 * the batch's rows is kept, the existing row is unchanged. */
static void test_bulk_conflict_writes_nothing(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    batch b = make_batch("occurrence", 3000, "occurrences");
    vouch_resource one = b.rows[2500];
    vouch_resource got;
    uint64_t gen;

    one.json = (char *)"{\"first\":true}";
    assert_int_equal(vouch_store_create(f->conn, &one, &err), 0);
    gen = generation(f, "occurrence");
    assert_int_equal(vouch_store_bulk_create(f->conn, b.rows, b.n, &err),
                     VOUCH_ECONFLICT);
    assert_non_null(strstr(err.message, b.names[2500]));
    assert_int_equal(count(f, "occurrence"), 1);
    assert_int_equal(generation(f, "occurrence"), gen);
    assert_int_equal(vouch_store_get(f->conn, "occurrence", b.names[2500],
                                     &got, &err), 0);
    assert_string_equal(got.json, "{\"first\":true}");
    vouch_resource_clear(&got);

    /* Twice in one batch. */
    b.rows[2500].name = b.names[10];
    b.rows[2500].attr2 = (char *)"other";
    assert_int_equal(vouch_store_bulk_create(f->conn, b.rows, b.n, &err),
                     VOUCH_ECONFLICT);
    assert_non_null(strstr(err.message, b.names[10]));
    assert_int_equal(count(f, "occurrence"), 1);
    assert_int_equal(generation(f, "occurrence"), gen);
    free_batch(&b);
}

/* In the caller's write transaction: a failed bulk call undoes only its
 * own rows, the transaction goes on; a rollback drops a successful one.
 * In a read transaction it is refused. */
static void test_bulk_inside_a_transaction(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    batch b = make_batch("occurrence", 100, "occurrences");
    batch mine = make_batch("policy", 2, "policies");

    assert_int_equal(vouch_store_begin(f->conn, true, &err), 0);
    assert_int_equal(vouch_store_create(f->conn, &mine.rows[0], &err), 0);
    b.rows[99].name = b.names[0];
    assert_int_equal(vouch_store_bulk_create(f->conn, b.rows, b.n, &err),
                     VOUCH_ECONFLICT);
    assert_int_equal(vouch_store_create(f->conn, &mine.rows[1], &err), 0);
    assert_int_equal(vouch_store_commit(f->conn, &err), 0);
    assert_int_equal(count(f, "policy"), 2);
    assert_int_equal(count(f, "occurrence"), 0);

    b.rows[99].name = b.names[99];
    assert_int_equal(vouch_store_begin(f->conn, true, &err), 0);
    assert_int_equal(vouch_store_bulk_create(f->conn, b.rows, b.n, &err), 0);
    assert_int_equal(count(f, "occurrence"), 100);
    vouch_store_rollback(f->conn);
    assert_int_equal(count(f, "occurrence"), 0);
    assert_int_equal(generation(f, "occurrence"), 0);

    assert_int_equal(vouch_store_begin(f->conn, false, &err), 0);
    assert_int_equal(vouch_store_bulk_create(f->conn, b.rows, b.n, &err),
                     VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "write transaction"));
    vouch_store_rollback(f->conn);
    assert_int_equal(count(f, "occurrence"), 0);
    free_batch(&b);
    free_batch(&mine);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_bulk_stores_every_row_and_field),
        T(test_bulk_missing_field_writes_nothing),
        T(test_bulk_conflict_writes_nothing),
        T(test_bulk_inside_a_transaction),
    };
    const char *only = getenv("VOUCH_STORE_BACKEND");
    int failed = 0;

    if (only == NULL || strcmp(only, "sqlite") == 0) {
        failed += cmocka_run_group_tests_name("sqlite", tests,
                                              group_setup_sqlite,
                                              group_teardown);
    }
    if (only == NULL || strcmp(only, "postgres") == 0) {
        failed += cmocka_run_group_tests_name("postgres", tests,
                                              group_setup_postgres,
                                              group_teardown);
    }
    return failed == 0 ? 0 : 1;
}
