/*
 * Unit tests for src/store/ (store.h), run against BOTH backends: the
 * same tests form a "sqlite" group (a new file per test in a temp
 * directory) and a "postgres" group (a fresh schema per test on the
 * cluster named by VOUCH_TEST_PG_URL; when that is unset the group starts
 * a private cluster with tests/store/pg_harness.sh and fails loudly if it
 * cannot; it never skips).
 *
 * Sections:
 *   open          vouch_store_open: schemes, directories, migrations and
 *                 schema_version, a newer schema, an unreachable server
 *                 (password redacted), ping
 *   crud          vouch_store_get/create/replace/delete: fields, conflict,
 *                 not found, etags, upsert, missing fields
 *   list          vouch_store_list: filters, order, many pages, page size
 *                 default and cap, malformed and foreign page tokens,
 *                 tokens between two stores on one database, q.after,
 *                 q.before and descending lists; the plans of the audit
 *                 log's lists (an index range, no scan, no sort);
 *                 vouch_store_page_token_seal/open; vouch_store_count
 *   generation    vouch_store_generation: moves on writes only; under
 *                 SQLite, remembered between commits yet moved at once
 *                 by another process's commit
 *   transactions  begin/commit/rollback/release, misuse, read-only
 *   visibility    two connections of one store, two stores on one database
 *   read cache    (PostgreSQL) reads served from memory; two stores
 *                 interleaving writes and reads; writes made behind the
 *                 store's back; a lost watch connection
 *   concurrency   threads doing etag read-modify-write and creates
 *   pool, locks   acquire blocks on a used-up pool; write transactions
 *                 queue on the write lock, for at most 5 s; a killed
 *                 PostgreSQL connection is replaced; a PostgreSQL
 *                 deadlock is retried (own transaction) or EABORTED
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "cache.h"
#include "migrations.h"
#include "store.h"

typedef struct fixture {
    bool postgres;
    char url[512];        /* per test */
    char base_url[512];   /* postgres: the cluster; sqlite: unused */
    char dir[512];        /* sqlite: temp dir; postgres: harness dir */
    int serial;
    vouch_store *store;
} fixture;

/* ---- helpers ---------------------------------------------------------- */

#define LAST_MIGRATION \
    (vouch__store_migrations[VOUCH__STORE_MIGRATION_COUNT - 1].version)

static vouch_resource res(const char *kind, const char *name,
                          const char *parent, const char *json,
                          const char *etag, const char *attr1,
                          const char *attr2)
{
    vouch_resource r;

    r.kind = (char *)kind;
    r.name = (char *)name;
    r.parent = (char *)parent;
    r.json = (char *)json;
    r.etag = (char *)etag;
    r.create_time = (char *)"2026-11-29T12:00:00.000000Z";
    r.update_time = (char *)"2026-11-29T12:00:00.000000Z";
    r.attr1 = (char *)attr1;
    r.attr2 = (char *)attr2;
    return r;
}

static vouch_store_conn *acquire(fixture *f)
{
    vouch_store_conn *conn = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    assert_int_equal(vouch_store_acquire(f->store, &conn, &err), 0);
    assert_non_null(conn);
    return conn;
}

static void create_ok(vouch_store_conn *conn, const char *kind,
                      const char *name, const char *parent,
                      const char *attr1, const char *attr2)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r = res(kind, name, parent, "{}", "e1", attr1, attr2);
    int rc = vouch_store_create(conn, &r, &err);

    if (rc != 0) {
        fail_msg("create %s: %d %s", name, rc, err.message);
    }
}

static uint64_t generation(vouch_store_conn *conn, const char *kind)
{
    vouch_error err = VOUCH_ERROR_INIT;
    uint64_t g = 12345;

    assert_int_equal(vouch_store_generation(conn, kind, &g, &err), 0);
    return g;
}

static bool exists(vouch_store_conn *conn, const char *kind,
                   const char *name)
{
    vouch_resource out;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc = vouch_store_get(conn, kind, name, &out, &err);

    if (rc == 0) {
        vouch_resource_clear(&out);
        return true;
    }
    assert_int_equal(rc, VOUCH_ENOTFOUND);
    return false;
}

/* Run SQL on the test database outside the store (setup only). */
static void raw_sql(fixture *f, const char *sql)
{
    if (f->postgres) {
        PGconn *pg = PQconnectdb(f->base_url);
        PGresult *r;

        assert_int_equal(PQstatus(pg), CONNECTION_OK);
        r = PQexec(pg, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK &&
            PQresultStatus(r) != PGRES_TUPLES_OK) {
            fail_msg("%s: %s", sql, PQerrorMessage(pg));
        }
        PQclear(r);
        PQfinish(pg);
    } else {
        sqlite3 *db = NULL;
        char *msg = NULL;

        assert_int_equal(sqlite3_open(f->url + strlen("sqlite:"), &db),
                         SQLITE_OK);
        if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
            fail_msg("%s: %s", sql, msg);
        }
        sqlite3_close(db);
    }
}

static void pg_harness_path(char *buf, size_t size)
{
    const char *h = getenv("VOUCH_PG_HARNESS");
    const char *root = getenv("VOUCH_SOURCE_ROOT");

    if (h != NULL) {
        snprintf(buf, size, "%s", h);
    } else {
        snprintf(buf, size, "%s/tests/store/pg_harness.sh",
                 root != NULL ? root : ".");
    }
}

/* ---- group and test setup --------------------------------------------- */

static int group_setup_sqlite(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");

    if (f == NULL) {
        return -1;
    }
    snprintf(f->dir, sizeof(f->dir), "%s/vouch-store-test.XXXXXX",
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
    char cmd[1100];
    char harness[512];
    FILE *p;

    if (f == NULL) {
        return -1;
    }
    f->postgres = true;
    if (url != NULL && url[0] != '\0') {
        snprintf(f->base_url, sizeof(f->base_url), "%s", url);
        *state = f;
        return 0;
    }
    pg_harness_path(harness, sizeof(harness));
    snprintf(cmd, sizeof(cmd), "sh '%s' start", harness);
    p = popen(cmd, "r");
    if (p == NULL || fgets(f->base_url, sizeof(f->base_url), p) == NULL ||
        fgets(f->dir, sizeof(f->dir), p) == NULL) {
        fprintf(stderr, "FATAL: VOUCH_TEST_PG_URL is unset and %s could "
                "not start PostgreSQL; the postgres tests cannot run\n",
                harness);
        if (p != NULL) {
            pclose(p);
        }
        free(f);
        return -1;
    }
    pclose(p);
    f->base_url[strcspn(f->base_url, "\n")] = '\0';
    f->dir[strcspn(f->dir, "\n")] = '\0';
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    char cmd[1100];
    char harness[512];

    if (f->postgres && f->dir[0] != '\0') {
        pg_harness_path(harness, sizeof(harness));
        snprintf(cmd, sizeof(cmd), "sh '%s' stop '%s'", harness, f->dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "warning: %s failed\n", cmd);
        }
    } else if (!f->postgres) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "warning: %s failed\n", cmd);
        }
    }
    free(f);
    return 0;
}

/* A fresh, empty database for each test, opened with a pool of 4. */
static int setup(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;

    f->serial++;
    if (f->postgres) {
        snprintf(f->url, sizeof(f->url), "%s", f->base_url);
        raw_sql(f, "SET client_min_messages = warning; "
                "DROP SCHEMA IF EXISTS public CASCADE; "
                "CREATE SCHEMA public");
    } else {
        snprintf(f->url, sizeof(f->url), "sqlite:%s/t%d/vouch.db", f->dir,
                 f->serial);
    }
    if (vouch_store_open(&f->store, f->url, 4, &err) != 0) {
        fprintf(stderr, "open %s: %s\n", f->url, err.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    vouch_store_close(f->store);
    f->store = NULL;
    return 0;
}

/* ---- open ------------------------------------------------------------- */

static void test_store_open_reports_backend_and_schema(void **state)
{
    fixture *f = *state;
    vouch_store *again = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_store_conn *conn = acquire(f);
    int version = 0;

    assert_string_equal(vouch_store_backend(f->store),
                        f->postgres ? "postgres" : "sqlite");
    assert_int_equal(vouch_store_schema_version(f->store, &version, &err),
                     0);
    assert_int_equal(version, LAST_MIGRATION);
    assert_int_equal(vouch_store_ping(conn, &err), 0);
    create_ok(conn, "policy", "projects/p/policy", "projects/p", NULL,
              NULL);
    vouch_store_release(conn);

    /* Opening again migrates nothing and keeps the data. */
    assert_int_equal(vouch_store_open(&again, f->url, 1, &err), 0);
    assert_int_equal(vouch_store_schema_version(again, &version, &err), 0);
    assert_int_equal(version, LAST_MIGRATION);
    assert_int_equal(vouch_store_acquire(again, &conn, &err), 0);
    assert_true(exists(conn, "policy", "projects/p/policy"));
    vouch_store_release(conn);
    vouch_store_close(again);
}

static void test_store_open_refuses_newer_schema(void **state)
{
    fixture *f = *state;
    vouch_store *again = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    raw_sql(f, "INSERT INTO schema_version (version, applied_at) "
            "VALUES (99, 'x')");
    assert_int_equal(vouch_store_open(&again, f->url, 1, &err), VOUCH_EIO);
    assert_null(again);
    assert_non_null(strstr(err.message, "schema version 99 is newer"));
}

/* attr2 of `name` (kind logentry, or `kind`), "(null)" when NULL. */
static void attr2_is(vouch_store_conn *conn, const char *kind,
                     const char *name, const char *want)
{
    vouch_resource r;
    vouch_error err = VOUCH_ERROR_INIT;

    assert_int_equal(vouch_store_get(conn, kind, name, &r, &err), 0);
    assert_string_equal(r.attr2 != NULL ? r.attr2 : "(null)", want);
    vouch_resource_clear(&r);
}

/* Migration 4 on a database that has audit log entries: each entry's
 * attr2 becomes its resource.type (a string), other kinds keep theirs. */
static void test_store_migration_4_fills_log_entry_types(void **state)
{
    fixture *f = *state;
    vouch_store *again = NULL;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    static const char *const rows[][2] = {
        { "projects/p/logEntries/a",
          "{\"resource\":{\"type\":\"cloud_run_job\"}}" },
        { "projects/p/logEntries/b",
          "{\"x\":\"nul \\u0000 here\",\"resource\":{\"type\":\"k8s\"}}" },
        { "projects/p/logEntries/c", "{\"resource\":{\"type\":5}}" },
        { "projects/p/logEntries/d", "{\"resource\":[]}" },
        { "projects/p/logEntries/e", "{}" },
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        vouch_resource r = res("logentry", rows[i][0], "projects/p",
                               rows[i][1], "e1", "projects/p/logs/x",
                               "2026-11-29T12:00:00.000000Z");

        assert_int_equal(vouch_store_create(conn, &r, &err), 0);
    }
    create_ok(conn, "occurrence", "projects/p/occurrences/o", "projects/p",
              "n", "keep");
    vouch_store_release(conn);
    raw_sql(f, "DELETE FROM schema_version WHERE version = 4");

    if (vouch_store_open(&again, f->url, 1, &err) != 0) {
        fail_msg("migration 4: %s", err.message);
    }
    assert_int_equal(vouch_store_acquire(again, &conn, &err), 0);
    attr2_is(conn, "logentry", rows[0][0], "cloud_run_job");
    attr2_is(conn, "logentry", rows[1][0], "k8s");
    attr2_is(conn, "logentry", rows[2][0], "(null)");
    attr2_is(conn, "logentry", rows[3][0], "(null)");
    attr2_is(conn, "logentry", rows[4][0], "(null)");
    attr2_is(conn, "occurrence", "projects/p/occurrences/o", "keep");
    vouch_store_release(conn);
    vouch_store_close(again);
}

static void test_store_open_rejects_bad_urls(void **state)
{
    static char sentinel;
    vouch_store *store = (vouch_store *)&sentinel;   /* must become NULL */
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;

    assert_int_equal(vouch_store_open(&store, "mysql://h/db", 1, &err),
                     VOUCH_EINVAL);
    assert_null(store);
    assert_non_null(strstr(err.message, "scheme"));
    assert_int_equal(vouch_store_open(&store, NULL, 1, &err), VOUCH_EINVAL);
    assert_int_equal(vouch_store_open(&store, "sqlite::memory:", 1, &err),
                     VOUCH_EINVAL);
    assert_non_null(strstr(err.message, ":memory:"));
    assert_int_equal(vouch_store_open(&store, "sqlite:/tmp/x.db", 5000,
                                      &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "pool size"));
    assert_null(store);
}

static void test_store_open_unreachable_postgres_redacts_password(
    void **state)
{
    vouch_store *store = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* Port 1 on loopback: nothing listens there. */
    assert_int_equal(vouch_store_open(&store,
                                      "postgres://alice:s3cr3tpw@127.0.0.1:1"
                                      "/db?connect_timeout=5", 1, &err),
                     VOUCH_EIO);
    assert_null(store);
    assert_non_null(strstr(err.message, "connect to"));
    assert_non_null(strstr(err.message, "alice:***@127.0.0.1:1"));
    assert_null(strstr(err.message, "s3cr3tpw"));
    assert_int_equal(vouch_store_open(&store,
                                      "postgresql://127.0.0.1:1/db?"
                                      "password=hunter2&connect_timeout=5",
                                      1, &err), VOUCH_EIO);
    assert_null(strstr(err.message, "hunter2"));
    assert_non_null(strstr(err.message, "password=***"));
}

static void test_store_open_sqlite_creates_directories(void **state)
{
    fixture *f = *state;
    vouch_store *store = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char url[700];
    struct stat sb;

    snprintf(url, sizeof(url), "sqlite:%s/deep/er/vouch.db", f->dir);
    assert_int_equal(vouch_store_open(&store, url, 1, &err), 0);
    assert_int_equal(stat(url + strlen("sqlite:"), &sb), 0);
    vouch_store_close(store);
    /* A path under a regular file cannot be created. */
    snprintf(url, sizeof(url), "sqlite:%s/deep/er/vouch.db/x/y.db", f->dir);
    assert_int_equal(vouch_store_open(&store, url, 1, &err), VOUCH_EIO);
    assert_null(store);
    assert_non_null(strstr(err.message, "vouch.db"));
}

/* ---- crud ------------------------------------------------------------- */

static void test_store_create_get_round_trips_every_field(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r = res("occurrence", "projects/p/occurrences/o1",
                           "projects/p", "{\"kind\":\"ATTESTATION\"}",
                           "etag-1", "projects/p/notes/n",
                           "https://gcr.io/p/i@sha256:00");
    vouch_resource out;

    r.create_time = (char *)"2026-01-02T03:04:05.000006Z";
    r.update_time = (char *)"2026-01-02T03:04:06.000007Z";
    assert_int_equal(vouch_store_create(conn, &r, &err), 0);
    assert_int_equal(vouch_store_get(conn, "occurrence",
                                     "projects/p/occurrences/o1", &out,
                                     &err), 0);
    assert_string_equal(out.kind, "occurrence");
    assert_string_equal(out.name, "projects/p/occurrences/o1");
    assert_string_equal(out.parent, "projects/p");
    assert_string_equal(out.json, "{\"kind\":\"ATTESTATION\"}");
    assert_string_equal(out.etag, "etag-1");
    assert_string_equal(out.create_time, "2026-01-02T03:04:05.000006Z");
    assert_string_equal(out.update_time, "2026-01-02T03:04:06.000007Z");
    assert_string_equal(out.attr1, "projects/p/notes/n");
    assert_string_equal(out.attr2, "https://gcr.io/p/i@sha256:00");
    vouch_resource_clear(&out);
    assert_null(out.name);

    /* NULL attributes stay NULL; same name under another kind is not
     * the same resource. */
    create_ok(conn, "note", "projects/p/notes/n", "projects/p", NULL, NULL);
    assert_int_equal(vouch_store_get(conn, "note", "projects/p/notes/n",
                                     &out, &err), 0);
    assert_null(out.attr1);
    assert_null(out.attr2);
    vouch_resource_clear(&out);
    assert_false(exists(conn, "attestor", "projects/p/notes/n"));
    vouch_resource_clear(NULL);
    vouch_store_release(conn);
}

static void test_store_create_conflict_when_name_exists(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r = res("attestor", "projects/p/attestors/a",
                           "projects/p", "{\"v\":2}", "e2", NULL, NULL);
    vouch_resource out;

    create_ok(conn, "attestor", "projects/p/attestors/a", "projects/p",
              NULL, NULL);
    assert_int_equal(vouch_store_create(conn, &r, &err),
                     VOUCH_ECONFLICT);
    assert_int_equal(err.code, VOUCH_ECONFLICT);
    assert_non_null(strstr(err.message, "projects/p/attestors/a"));
    assert_non_null(strstr(err.message, "already exists"));
    assert_int_equal(vouch_store_get(conn, "attestor",
                                     "projects/p/attestors/a", &out, &err),
                     0);
    assert_string_equal(out.json, "{}");
    vouch_resource_clear(&out);
    vouch_store_release(conn);
}

static void test_store_get_not_found_names_resource(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource out;

    assert_int_equal(vouch_store_get(conn, "attestor",
                                     "projects/p/attestors/nope", &out,
                                     &err), VOUCH_ENOTFOUND);
    assert_null(out.name);
    assert_non_null(strstr(err.message, "projects/p/attestors/nope"));
    vouch_store_release(conn);
}

static void test_store_rejects_missing_fields(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r = res("attestor", "projects/p/attestors/a",
                           "projects/p", "{}", "e", NULL, NULL);
    vouch_resource out;
    vouch_resource_page page;
    uint64_t n;

    r.parent = NULL;
    assert_int_equal(vouch_store_create(conn, &r, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "create: parent is required"));
    r.parent = (char *)"projects/p";
    r.etag = (char *)"";
    assert_int_equal(vouch_store_replace(conn, &r, NULL, true, &err),
                     VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "replace: etag is required"));
    r.etag = (char *)"e";
    r.update_time = NULL;
    assert_int_equal(vouch_store_create(conn, &r, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "update_time"));
    assert_int_equal(vouch_store_create(conn, NULL, &err), VOUCH_EINVAL);
    assert_int_equal(vouch_store_get(conn, NULL, "x", &out, &err),
                     VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "get: kind is required"));
    assert_int_equal(vouch_store_delete(conn, "attestor", "", NULL, &err),
                     VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "delete: name is required"));
    assert_int_equal(vouch_store_count(conn, NULL, NULL, &n, &err),
                     VOUCH_EINVAL);
    assert_int_equal(vouch_store_generation(conn, NULL, &n, &err),
                     VOUCH_EINVAL);
    assert_int_equal(vouch_store_list(conn, NULL, &page, &err),
                     VOUCH_EINVAL);
    assert_null(page.items);
    assert_false(exists(conn, "attestor", "projects/p/attestors/a"));
    vouch_store_release(conn);
}

static void test_store_replace_with_and_without_etag(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r = res("attestor", "projects/p/attestors/a",
                           "projects/other", "{\"v\":2}", "e2", "x", NULL);
    vouch_resource out;

    create_ok(conn, "attestor", "projects/p/attestors/a", "projects/p",
              NULL, "y");
    r.create_time = (char *)"2030-01-01T00:00:00Z";
    r.update_time = (char *)"2026-12-01T00:00:00.000000Z";

    /* Wrong etag: aborted, nothing changes. */
    assert_int_equal(vouch_store_replace(conn, &r, "stale", false, &err),
                     VOUCH_EABORTED);
    assert_int_equal(err.code, VOUCH_EABORTED);
    assert_non_null(strstr(err.message, "etag"));
    assert_int_equal(vouch_store_get(conn, "attestor",
                                     "projects/p/attestors/a", &out, &err),
                     0);
    assert_string_equal(out.json, "{}");
    assert_string_equal(out.etag, "e1");
    vouch_resource_clear(&out);

    /* Right etag: json, etag, update_time and attrs change; name,
     * parent and create_time do not. */
    assert_int_equal(vouch_store_replace(conn, &r, "e1", false, &err), 0);
    assert_int_equal(vouch_store_get(conn, "attestor",
                                     "projects/p/attestors/a", &out, &err),
                     0);
    assert_string_equal(out.json, "{\"v\":2}");
    assert_string_equal(out.etag, "e2");
    assert_string_equal(out.update_time, "2026-12-01T00:00:00.000000Z");
    assert_string_equal(out.create_time, "2026-11-29T12:00:00.000000Z");
    assert_string_equal(out.parent, "projects/p");
    assert_string_equal(out.attr1, "x");
    assert_null(out.attr2);
    vouch_resource_clear(&out);

    /* No etag: unconditional. */
    r.json = (char *)"{\"v\":3}";
    r.etag = (char *)"e3";
    assert_int_equal(vouch_store_replace(conn, &r, NULL, false, &err), 0);
    assert_int_equal(vouch_store_get(conn, "attestor",
                                     "projects/p/attestors/a", &out, &err),
                     0);
    assert_string_equal(out.json, "{\"v\":3}");
    vouch_resource_clear(&out);
    vouch_store_release(conn);
}

static void test_store_replace_absent_and_upsert(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r = res("policy", "projects/p/policy", "projects/p",
                           "{\"a\":1}", "e1", NULL, NULL);
    vouch_resource out;

    assert_int_equal(vouch_store_replace(conn, &r, NULL, false, &err),
                     VOUCH_ENOTFOUND);
    assert_non_null(strstr(err.message, "projects/p/policy"));
    assert_int_equal(vouch_store_replace(conn, &r, "e0", false, &err),
                     VOUCH_ENOTFOUND);
    /* Upsert with an etag on an absent resource cannot match it. */
    assert_int_equal(vouch_store_replace(conn, &r, "e0", true, &err),
                     VOUCH_EABORTED);
    assert_false(exists(conn, "policy", "projects/p/policy"));
    assert_int_equal(generation(conn, "policy"), 0);

    assert_int_equal(vouch_store_replace(conn, &r, NULL, true, &err), 0);
    assert_int_equal(vouch_store_get(conn, "policy", "projects/p/policy",
                                     &out, &err), 0);
    assert_string_equal(out.json, "{\"a\":1}");
    assert_string_equal(out.parent, "projects/p");
    vouch_resource_clear(&out);

    /* Upsert of an existing one replaces it, with or without etag. */
    r.json = (char *)"{\"a\":2}";
    r.etag = (char *)"e2";
    assert_int_equal(vouch_store_replace(conn, &r, "e1", true, &err), 0);
    r.json = (char *)"{\"a\":3}";
    assert_int_equal(vouch_store_replace(conn, &r, NULL, true, &err), 0);
    assert_int_equal(vouch_store_get(conn, "policy", "projects/p/policy",
                                     &out, &err), 0);
    assert_string_equal(out.json, "{\"a\":3}");
    vouch_resource_clear(&out);
    assert_int_equal(generation(conn, "policy"), 3);
    vouch_store_release(conn);
}

static void test_store_delete_with_and_without_etag(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;

    create_ok(conn, "note", "projects/p/notes/a", "projects/p", NULL, NULL);
    create_ok(conn, "note", "projects/p/notes/b", "projects/p", NULL, NULL);
    assert_int_equal(vouch_store_delete(conn, "note", "projects/p/notes/a",
                                        "wrong", &err),
                     VOUCH_EABORTED);
    assert_true(exists(conn, "note", "projects/p/notes/a"));
    assert_int_equal(vouch_store_delete(conn, "note", "projects/p/notes/a",
                                        "e1", &err), 0);
    assert_false(exists(conn, "note", "projects/p/notes/a"));
    assert_int_equal(vouch_store_delete(conn, "note", "projects/p/notes/a",
                                        NULL, &err), VOUCH_ENOTFOUND);
    assert_non_null(strstr(err.message, "projects/p/notes/a"));
    assert_int_equal(vouch_store_delete(conn, "note", "projects/p/notes/a",
                                        "e1", &err), VOUCH_ENOTFOUND);
    assert_int_equal(vouch_store_delete(conn, "note", "projects/p/notes/b",
                                        NULL, &err), 0);
    assert_false(exists(conn, "note", "projects/p/notes/b"));
    vouch_store_release(conn);
}

/* ---- list ------------------------------------------------------------- */

static void list_names(vouch_store_conn *conn, vouch_resource_query q,
                       char *buf, size_t size)
{
    vouch_resource_page page;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t i;

    buf[0] = '\0';
    assert_int_equal(vouch_store_list(conn, &q, &page, &err), 0);
    for (i = 0; i < page.count; i++) {
        strncat(buf, page.items[i].name, size - strlen(buf) - 2);
        strcat(buf, " ");
    }
    assert_null(page.next_page_token);
    vouch_resource_page_clear(&page);
}

static void test_store_list_filters_and_orders_by_name(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_resource_query q = { 0 };
    char names[1024];

    create_ok(conn, "occurrence", "projects/p/occurrences/c", "projects/p",
              "n1", "img1");
    create_ok(conn, "occurrence", "projects/p/occurrences/a", "projects/p",
              "n1", "img2");
    create_ok(conn, "occurrence", "projects/p/occurrences/b", "projects/p",
              "n2", "img1");
    create_ok(conn, "occurrence", "projects/q/occurrences/d", "projects/q",
              "n1", "img1");
    create_ok(conn, "note", "projects/p/notes/n1", "projects/p", NULL,
              NULL);
    /* Byte order: upper case before lower case, '-' before '/'. */
    create_ok(conn, "occurrence", "projects/p/occurrences/B", "projects/p",
              NULL, NULL);

    q.kind = "occurrence";
    list_names(conn, q, names, sizeof(names));
    assert_string_equal(names, "projects/p/occurrences/B "
                        "projects/p/occurrences/a projects/p/occurrences/b "
                        "projects/p/occurrences/c projects/q/occurrences/d ");
    q.parent = "projects/p";
    q.attr1 = "n1";
    list_names(conn, q, names, sizeof(names));
    assert_string_equal(names, "projects/p/occurrences/a "
                        "projects/p/occurrences/c ");
    q.attr1 = NULL;
    q.attr2 = "img1";
    list_names(conn, q, names, sizeof(names));
    assert_string_equal(names, "projects/p/occurrences/b "
                        "projects/p/occurrences/c ");
    q.parent = NULL;
    q.attr1 = "n1";
    list_names(conn, q, names, sizeof(names));
    assert_string_equal(names, "projects/p/occurrences/c "
                        "projects/q/occurrences/d ");
    memset(&q, 0, sizeof(q));
    q.parent = "projects/p";
    q.attr2 = "nothing";
    list_names(conn, q, names, sizeof(names));
    assert_string_equal(names, "");
    q.attr2 = NULL;
    q.kind = "note";
    list_names(conn, q, names, sizeof(names));
    assert_string_equal(names, "projects/p/notes/n1 ");
    vouch_store_release(conn);
}

static void fill(vouch_store_conn *conn, const char *kind, int n)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char name[64];
    int i;

    assert_int_equal(vouch_store_begin(conn, true, &err), 0);
    for (i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "projects/p/things/%05d", i);
        create_ok(conn, kind, name, "projects/p", NULL, NULL);
    }
    assert_int_equal(vouch_store_commit(conn, &err), 0);
}

static void test_store_list_paginates_many_pages(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource_query q = { 0 };
    vouch_resource_page page;
    char *token = NULL;
    char expect[64];
    int seen = 0;
    int pages = 0;
    size_t i;

    fill(conn, "thing", 250);
    q.kind = "thing";
    q.page_size = 7;
    do {
        q.page_token = token;
        assert_int_equal(vouch_store_list(conn, &q, &page, &err), 0);
        pages++;
        for (i = 0; i < page.count; i++) {
            snprintf(expect, sizeof(expect), "projects/p/things/%05d",
                     seen++);
            assert_string_equal(page.items[i].name, expect);
        }
        free(token);
        token = page.next_page_token;
        if (token != NULL) {
            assert_int_equal(page.count, 7);
            /* base64url, no padding */
            assert_null(strpbrk(token, "+/="));
        }
        page.next_page_token = NULL;
        vouch_resource_page_clear(&page);
    } while (token != NULL);
    assert_int_equal(seen, 250);
    assert_int_equal(pages, 36);   /* 35 full pages and one of 5 */

    /* Exactly a page's worth: no next page. */
    q.page_token = NULL;
    q.page_size = 250;
    assert_int_equal(vouch_store_list(conn, &q, &page, &err), 0);
    assert_int_equal(page.count, 250);
    assert_null(page.next_page_token);
    vouch_resource_page_clear(&page);
    vouch_store_release(conn);
}

static void test_store_list_page_size_default_and_cap(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource_query q = { 0 };
    vouch_resource_page page;

    fill(conn, "thing", 1005);
    q.kind = "thing";
    assert_int_equal(vouch_store_list(conn, &q, &page, &err), 0);
    assert_int_equal(page.count, 100);
    assert_non_null(page.next_page_token);
    vouch_resource_page_clear(&page);
    q.page_size = 5000;
    assert_int_equal(vouch_store_list(conn, &q, &page, &err), 0);
    assert_int_equal(page.count, 1000);
    assert_string_equal(page.items[999].name, "projects/p/things/00999");
    assert_non_null(page.next_page_token);
    vouch_resource_page_clear(&page);
    assert_null(page.items);
    vouch_resource_page_clear(NULL);
    vouch_store_release(conn);
}

static void test_store_list_rejects_bad_page_token(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource_query q = { 0 };
    vouch_resource_page page;
    static const char *const bad[] = {
        "!!!",        /* not base64 */
        "a",          /* impossible length */
        "AAAA",       /* decodes to NUL bytes */
        "cHJvamVjdHMgcA",   /* "projects p": a space */
        "YWJj=YWJj",  /* data after padding */
        /* the old unsigned format: base64url of a name */
        "cHJvamVjdHMvcC90aGluZ3MvYQ",
        /* a name and 32 bytes that are not its tag */
        "cHJvamVjdHMvcC90aGluZ3MvYQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    char big[8192];
    size_t i;

    create_ok(conn, "thing", "projects/p/things/a", "projects/p", NULL,
              NULL);
    q.kind = "thing";
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        q.page_token = bad[i];
        assert_int_equal(vouch_store_list(conn, &q, &page, &err),
                         VOUCH_EINVAL);
        assert_null(page.items);
        assert_non_null(strstr(err.message, "page token"));
    }
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    q.page_token = big;
    assert_int_equal(vouch_store_list(conn, &q, &page, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "too long"));

    vouch_store_release(conn);
}

/* A token resumes only the list (kind, parent, attr1, attr2) that issued
 * it, in any store on the same database; an edited one resumes nothing. */
static void test_store_list_page_token_belongs_to_its_list(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_store *other = NULL;
    vouch_store_conn *b = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource_query q = { 0 };
    vouch_resource_query q2;
    vouch_resource_page page;
    char *token = NULL;
    static const char *const scope[] = { "mine", NULL, "x" };
    static const char *const scope2[] = { "mine", "x", NULL };
    char *sealed = NULL;
    char *pos = NULL;

    create_ok(conn, "thing", "projects/p/things/a", "projects/p", "n1", NULL);
    create_ok(conn, "thing", "projects/p/things/b", "projects/p", "n1", NULL);
    create_ok(conn, "thing", "projects/p/things/c", "projects/p", "n2", NULL);
    create_ok(conn, "thing", "projects/q/things/a", "projects/q", "n1", NULL);
    create_ok(conn, "thing", "projects/q/things/b", "projects/q", "n1", NULL);
    q.kind = "thing";
    q.parent = "projects/p";
    q.page_size = 1;
    assert_int_equal(vouch_store_list(conn, &q, &page, &err), 0);
    assert_string_equal(page.items[0].name, "projects/p/things/a");
    token = page.next_page_token;
    page.next_page_token = NULL;
    vouch_resource_page_clear(&page);
    assert_non_null(token);

    /* Another parent, another attr, another kind: refused. */
    q2 = q;
    q2.page_token = token;
    q2.parent = "projects/q";
    assert_int_equal(vouch_store_list(conn, &q2, &page, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message,
                           "page token does not belong to this list"));
    assert_null(page.items);
    q2.parent = "projects/p";
    q2.attr1 = "n1";
    assert_int_equal(vouch_store_list(conn, &q2, &page, &err), VOUCH_EINVAL);
    q2.attr1 = NULL;
    q2.kind = "other";
    assert_int_equal(vouch_store_list(conn, &q2, &page, &err), VOUCH_EINVAL);

    /* The same list, from a second store on the database (a replica). */
    assert_int_equal(vouch_store_open(&other, f->url, 1, &err), 0);
    assert_int_equal(vouch_store_acquire(other, &b, &err), 0);
    q2 = q;
    q2.page_token = token;
    assert_int_equal(vouch_store_list(b, &q2, &page, &err), 0);
    assert_int_equal(page.count, 1);
    assert_string_equal(page.items[0].name, "projects/p/things/b");
    vouch_resource_page_clear(&page);

    /* One changed character: refused. */
    token[3] = token[3] == 'A' ? 'B' : 'A';
    assert_int_equal(vouch_store_list(conn, &q2, &page, &err), VOUCH_EINVAL);

    /* Sealed positions: NULL and "" scope strings differ; a caller's own
     * start (q.after) needs no token. */
    assert_int_equal(vouch_store_page_token_seal(conn, scope, 3, "zzz",
                                                 &sealed, &err), 0);
    assert_int_equal(vouch_store_page_token_open(b, scope, 3, sealed, &pos,
                                                 &err), 0);
    assert_string_equal(pos, "zzz");
    free(pos);
    assert_int_equal(vouch_store_page_token_open(b, scope2, 3, sealed, &pos,
                                                 &err), VOUCH_EINVAL);
    assert_null(pos);
    assert_int_equal(vouch_store_page_token_open(b, scope, 2, sealed, &pos,
                                                 &err), VOUCH_EINVAL);
    assert_int_equal(vouch_store_page_token_open(b, scope, 3, "", &pos,
                                                 &err), VOUCH_EINVAL);
    q2 = q;
    q2.page_size = 10;
    q2.after = "projects/p/things/b";
    assert_int_equal(vouch_store_list(conn, &q2, &page, &err), 0);
    assert_int_equal(page.count, 1);
    assert_string_equal(page.items[0].name, "projects/p/things/c");
    vouch_resource_page_clear(&page);
    q2.after = "zzz";
    assert_int_equal(vouch_store_list(conn, &q2, &page, &err), 0);
    assert_int_equal(page.count, 0);
    vouch_resource_page_clear(&page);

    free(sealed);
    free(token);
    vouch_store_release(b);
    vouch_store_close(other);
    vouch_store_release(conn);
}

/* Pages of `q` (size 3) through tokens, names joined by ' '. */
static void list_all_pages(vouch_store_conn *conn, vouch_resource_query q,
                           char *buf, size_t size)
{
    vouch_resource_page page;
    vouch_error err = VOUCH_ERROR_INIT;
    char *token = NULL;
    size_t i;

    buf[0] = '\0';
    q.page_size = 3;
    do {
        q.page_token = token;
        assert_int_equal(vouch_store_list(conn, &q, &page, &err), 0);
        for (i = 0; i < page.count; i++) {
            strncat(buf, page.items[i].name, size - strlen(buf) - 2);
            strcat(buf, " ");
        }
        free(token);
        token = page.next_page_token;
        page.next_page_token = NULL;
        vouch_resource_page_clear(&page);
    } while (token != NULL);
}

static void test_store_list_bounds_and_descending(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource_query q = { 0 };
    vouch_resource_query q2;
    vouch_resource_page page;
    char names[1024];
    char *token;

    fill(conn, "thing", 8);
    q.kind = "thing";
    q.after = "projects/p/things/00001";
    q.before = "projects/p/things/00006";
    list_all_pages(conn, q, names, sizeof(names));
    assert_string_equal(names, "projects/p/things/00002 "
                        "projects/p/things/00003 projects/p/things/00004 "
                        "projects/p/things/00005 ");
    q.descending = true;
    list_all_pages(conn, q, names, sizeof(names));
    assert_string_equal(names, "projects/p/things/00005 "
                        "projects/p/things/00004 projects/p/things/00003 "
                        "projects/p/things/00002 ");
    q.after = NULL;
    q.before = NULL;
    list_all_pages(conn, q, names, sizeof(names));
    assert_string_equal(names, "projects/p/things/00007 "
                        "projects/p/things/00006 projects/p/things/00005 "
                        "projects/p/things/00004 projects/p/things/00003 "
                        "projects/p/things/00002 projects/p/things/00001 "
                        "projects/p/things/00000 ");

    /* A descending list's token resumes below it, and only there. */
    q.page_size = 2;
    assert_int_equal(vouch_store_list(conn, &q, &page, &err), 0);
    token = page.next_page_token;
    page.next_page_token = NULL;
    vouch_resource_page_clear(&page);
    assert_non_null(token);
    q2 = q;
    q2.page_token = token;
    q2.descending = false;
    assert_int_equal(vouch_store_list(conn, &q2, &page, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message,
                           "page token does not belong to this list"));
    free(token);
    vouch_store_release(conn);
}

/* The plan of `q`, which must read a range of `index` (or of `alt`
 * when not NULL) and nothing else. */
static void assert_plan_uses(fixture *f, vouch_store_conn *conn,
                             vouch_resource_query q, const char *index,
                             const char *alt)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char *plan = NULL;

    assert_int_equal(vouch_store_list_plan(conn, &q, &plan, &err), 0);
    if ((strstr(plan, index) == NULL &&
         (alt == NULL || strstr(plan, alt) == NULL)) ||
        strstr(plan, f->postgres ? "Seq Scan" : "SCAN") != NULL ||
        strstr(plan, f->postgres ? "Sort" : "TEMP B-TREE") != NULL) {
        fail_msg("expected a range of %s in order, got:\n%s", index, plan);
    }
    free(plan);
}

/*
 * The lists of the audit log (src/service/audit_scan.c): one project's
 * entries, between two timestamps, optionally with one logName or one
 * resource.type, in either order, are each a range of one index read in
 * order; no table scan, no sort. Shown with the database's own plan
 * (SQLite EXPLAIN QUERY PLAN, PostgreSQL EXPLAIN on analyzed tables).
 */
static void test_store_list_plan_uses_an_index(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource_query q = { 0 };
    static const char *const types[] = { "cloud_run_revision",
                                         "cloud_run_job", "k8s_cluster" };
    char name[128];
    char log[64];
    int i;

    assert_int_equal(vouch_store_begin(conn, true, &err), 0);
    for (i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "projects/p%d/logEntries/"
                 "2026-11-29T12:%02d:%02d.000000Z/id%d", i % 10,
                 i / 60 % 60, i % 60, i);
        snprintf(log, sizeof(log), "projects/p%d/logs/l%d", i % 10, i % 2);
        create_ok(conn, "logentry", name, "projects/p", log, types[i % 3]);
    }
    assert_int_equal(vouch_store_commit(conn, &err), 0);
    if (f->postgres) {
        raw_sql(f, "ANALYZE resources");
    }
    q.kind = "logentry";
    q.after = "projects/p3/logEntries/2026-11-29T12:10:00.000000Z";
    q.before = "projects/p3/logEntries/2026-11-29T12:12:00.000000Z0";
    assert_plan_uses(f, conn, q, f->postgres ? "resources_pkey"
                     : "USING INDEX sqlite_autoindex_resources_1 "
                       "(kind=? AND name>? AND name<?)",
                     f->postgres ? "using resources_name" : NULL);
    q.attr1 = "projects/p3/logs/l1";
    assert_plan_uses(f, conn, q, f->postgres ? "resources_attr1"
                     : "USING INDEX resources_attr1 "
                       "(kind=? AND attr1=? AND name>? AND name<?)", NULL);
    q.attr1 = NULL;
    q.attr2 = "cloud_run_job";
    assert_plan_uses(f, conn, q, f->postgres ? "resources_attr2"
                     : "USING INDEX resources_attr2 "
                       "(kind=? AND attr2=? AND name>? AND name<?)", NULL);
    q.descending = true;
    assert_plan_uses(f, conn, q, f->postgres ? "resources_attr2"
                     : "USING INDEX resources_attr2 "
                       "(kind=? AND attr2=? AND name>? AND name<?)", NULL);
    q.attr2 = NULL;
    assert_plan_uses(f, conn, q, f->postgres ? "resources_pkey"
                     : "USING INDEX sqlite_autoindex_resources_1 "
                       "(kind=? AND name>? AND name<?)",
                     f->postgres ? "using resources_name" : NULL);
    vouch_store_release(conn);
}

static void test_store_count_by_kind_and_attr1(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    uint64_t n = 99;

    assert_int_equal(vouch_store_count(conn, "occurrence", "n1", &n, &err),
                     0);
    assert_int_equal(n, 0);
    create_ok(conn, "occurrence", "projects/p/occurrences/1", "projects/p",
              "n1", NULL);
    create_ok(conn, "occurrence", "projects/p/occurrences/2", "projects/p",
              "n1", NULL);
    create_ok(conn, "occurrence", "projects/p/occurrences/3", "projects/p",
              "n2", NULL);
    create_ok(conn, "note", "projects/p/notes/x", "projects/p", "n1", NULL);
    assert_int_equal(vouch_store_count(conn, "occurrence", "n1", &n, &err),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(vouch_store_count(conn, "occurrence", NULL, &n, &err),
                     0);
    assert_int_equal(n, 3);
    vouch_store_release(conn);
}

/* ---- generation ------------------------------------------------------- */

static void test_store_generation_moves_on_writes_only(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r = res("attestor", "projects/p/attestors/a",
                           "projects/p", "{}", "e2", NULL, NULL);
    vouch_resource out;
    vouch_resource_query q = { 0 };
    vouch_resource_page page;
    uint64_t n;

    assert_int_equal(generation(conn, "attestor"), 0);
    create_ok(conn, "attestor", "projects/p/attestors/a", "projects/p",
              NULL, NULL);
    assert_int_equal(generation(conn, "attestor"), 1);
    /* Reads and failed writes leave it alone. */
    assert_int_equal(vouch_store_get(conn, "attestor",
                                     "projects/p/attestors/a", &out, &err),
                     0);
    vouch_resource_clear(&out);
    q.kind = "attestor";
    assert_int_equal(vouch_store_list(conn, &q, &page, &err), 0);
    vouch_resource_page_clear(&page);
    assert_int_equal(vouch_store_count(conn, "attestor", NULL, &n, &err), 0);
    assert_int_equal(vouch_store_create(conn, &r, &err),
                     VOUCH_ECONFLICT);
    assert_int_equal(vouch_store_replace(conn, &r, "nope", false, &err),
                     VOUCH_EABORTED);
    assert_int_equal(vouch_store_delete(conn, "attestor", "projects/p/x",
                                        NULL, &err), VOUCH_ENOTFOUND);
    assert_int_equal(generation(conn, "attestor"), 1);
    /* Each write of the kind moves it by one; other kinds are apart. */
    assert_int_equal(vouch_store_replace(conn, &r, "e1", false, &err), 0);
    assert_int_equal(generation(conn, "attestor"), 2);
    assert_int_equal(vouch_store_delete(conn, "attestor",
                                        "projects/p/attestors/a", NULL,
                                        &err), 0);
    assert_int_equal(generation(conn, "attestor"), 3);
    assert_int_equal(generation(conn, "policy"), 0);
    create_ok(conn, "policy", "projects/p/policy", "projects/p", NULL,
              NULL);
    assert_int_equal(generation(conn, "policy"), 1);
    assert_int_equal(generation(conn, "attestor"), 3);
    vouch_store_release(conn);
}

/* ---- transactions ----------------------------------------------------- */

static void test_store_rollback_discards_writes(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r = res("policy", "projects/p/policy", "projects/p",
                           "{\"changed\":1}", "e9", NULL, NULL);
    vouch_resource out;

    create_ok(conn, "policy", "projects/p/policy", "projects/p", NULL,
              NULL);
    assert_int_equal(vouch_store_begin(conn, true, &err), 0);
    create_ok(conn, "attestor", "projects/p/attestors/a", "projects/p",
              NULL, NULL);
    assert_int_equal(vouch_store_replace(conn, &r, NULL, false, &err), 0);
    assert_int_equal(generation(conn, "attestor"), 1);   /* own writes */
    vouch_store_rollback(conn);
    assert_false(exists(conn, "attestor", "projects/p/attestors/a"));
    assert_int_equal(vouch_store_get(conn, "policy", "projects/p/policy",
                                     &out, &err), 0);
    assert_string_equal(out.json, "{}");
    vouch_resource_clear(&out);
    assert_int_equal(generation(conn, "attestor"), 0);
    assert_int_equal(generation(conn, "policy"), 1);
    vouch_store_rollback(conn);   /* no transaction: no-op */
    vouch_store_rollback(NULL);

    /* Releasing with an open transaction rolls it back. */
    assert_int_equal(vouch_store_begin(conn, true, &err), 0);
    create_ok(conn, "attestor", "projects/p/attestors/b", "projects/p",
              NULL, NULL);
    vouch_store_release(conn);
    conn = acquire(f);
    assert_false(exists(conn, "attestor", "projects/p/attestors/b"));
    vouch_store_release(conn);
    vouch_store_release(NULL);
}

static void test_store_transaction_misuse_is_einval(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r = res("policy", "projects/p/policy", "projects/p",
                           "{}", "e1", NULL, NULL);

    assert_int_equal(vouch_store_commit(conn, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "no transaction"));
    assert_int_equal(vouch_store_begin(conn, false, &err), 0);
    assert_int_equal(vouch_store_begin(conn, true, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "already open"));
    /* A read transaction refuses writes (it took no write lock). */
    assert_int_equal(vouch_store_create(conn, &r, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "write transaction"));
    assert_int_equal(vouch_store_delete(conn, "policy", "projects/p/policy",
                                        NULL, &err), VOUCH_EINVAL);
    assert_false(exists(conn, "policy", "projects/p/policy"));
    assert_int_equal(vouch_store_commit(conn, &err), 0);
    assert_int_equal(vouch_store_create(conn, &r, &err), 0);
    vouch_store_release(conn);
}

/* ---- visibility ------------------------------------------------------- */

static void test_store_two_connections_see_commits_at_once(void **state)
{
    fixture *f = *state;
    vouch_store_conn *a = acquire(f);
    vouch_store_conn *b = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;

    assert_ptr_not_equal(a, b);
    assert_int_equal(vouch_store_begin(a, true, &err), 0);
    create_ok(a, "attestor", "projects/p/attestors/a", "projects/p", NULL,
              NULL);
    /* Not committed: b does not see it (and is not blocked). */
    assert_false(exists(b, "attestor", "projects/p/attestors/a"));
    assert_int_equal(generation(b, "attestor"), 0);
    assert_int_equal(vouch_store_commit(a, &err), 0);
    assert_true(exists(b, "attestor", "projects/p/attestors/a"));
    assert_int_equal(generation(b, "attestor"), 1);
    vouch_store_release(a);
    vouch_store_release(b);
}

static void test_store_two_stores_share_one_database(void **state)
{
    fixture *f = *state;
    vouch_store *other = NULL;
    vouch_store_conn *a = acquire(f);
    vouch_store_conn *b = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r = res("policy", "projects/p/policy", "projects/p",
                           "{\"from\":\"b\"}", "e2", NULL, NULL);
    vouch_resource out;

    /* A second vouchd on the same database. */
    assert_int_equal(vouch_store_open(&other, f->url, 2, &err), 0);
    assert_int_equal(vouch_store_acquire(other, &b, &err), 0);
    assert_int_equal(generation(b, "policy"), 0);
    create_ok(a, "policy", "projects/p/policy", "projects/p", NULL, NULL);
    assert_int_equal(generation(b, "policy"), 1);
    assert_int_equal(vouch_store_replace(b, &r, "e1", false, &err), 0);
    assert_int_equal(generation(a, "policy"), 2);
    assert_int_equal(vouch_store_get(a, "policy", "projects/p/policy", &out,
                                     &err), 0);
    assert_string_equal(out.json, "{\"from\":\"b\"}");
    vouch_resource_clear(&out);
    /* The stale etag from a is refused by b's store. */
    assert_int_equal(vouch_store_replace(a, &r, "e1", false, &err),
                     VOUCH_EABORTED);
    vouch_store_release(b);
    vouch_store_release(a);
    vouch_store_close(other);
}

/* ---- concurrency ------------------------------------------------------ */

#define THREADS 8
#define ROUNDS 25

typedef struct worker {
    vouch_store *store;
    int id;
    int failures;
    char last_error[256];
} worker;

/* Increment the counter resource by read-modify-write with its etag,
 * retrying on EABORTED; also create one resource of its own per round. */
static void *work(void *arg)
{
    worker *w = arg;
    vouch_error err = VOUCH_ERROR_INIT;
    int i;

    for (i = 0; i < ROUNDS; i++) {
        vouch_store_conn *conn = NULL;
        vouch_resource cur;
        char json[32];
        char etag[32];
        char name[64];
        int rc;

        if (vouch_store_acquire(w->store, &conn, &err) != 0) {
            goto fail;
        }
        for (;;) {
            rc = vouch_store_get(conn, "counter", "projects/p/counters/c",
                                 &cur, &err);
            if (rc != 0) {
                vouch_store_release(conn);
                goto fail;
            }
            snprintf(json, sizeof(json), "%ld",
                     strtol(cur.json, NULL, 10) + 1);
            snprintf(etag, sizeof(etag), "%d-%d", w->id, i);
            {
                vouch_resource next = res("counter",
                                          "projects/p/counters/c",
                                          "projects/p", json, etag, NULL,
                                          NULL);

                rc = vouch_store_replace(conn, &next, cur.etag, false,
                                         &err);
            }
            vouch_resource_clear(&cur);
            if (rc == VOUCH_EABORTED) {
                continue;
            }
            break;
        }
        if (rc == 0) {
            snprintf(name, sizeof(name), "projects/p/things/%d-%d", w->id,
                     i);
            {
                vouch_resource r = res("thing", name, "projects/p", "{}",
                                       "e", NULL, NULL);

                rc = vouch_store_create(conn, &r, &err);
            }
        }
        vouch_store_release(conn);
        if (rc != 0) {
            goto fail;
        }
    }
    return NULL;

fail:
    w->failures++;
    snprintf(w->last_error, sizeof(w->last_error), "%s", err.message);
    return NULL;
}

static void test_store_threads_do_not_lose_updates(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r = res("counter", "projects/p/counters/c", "projects/p",
                           "0", "e0", NULL, NULL);
    vouch_resource out;
    pthread_t th[THREADS];
    worker w[THREADS];
    uint64_t n = 0;
    int i;

    assert_int_equal(vouch_store_create(conn, &r, &err), 0);
    vouch_store_release(conn);
    /* 8 threads on a pool of 4: acquire must block, not fail. */
    for (i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].store = f->store;
        w[i].id = i;
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        if (w[i].failures != 0) {
            fail_msg("thread %d: %s", i, w[i].last_error);
        }
    }
    conn = acquire(f);
    assert_int_equal(vouch_store_get(conn, "counter",
                                     "projects/p/counters/c", &out, &err),
                     0);
    assert_int_equal(strtol(out.json, NULL, 10), THREADS * ROUNDS);
    vouch_resource_clear(&out);
    assert_int_equal(vouch_store_count(conn, "thing", NULL, &n, &err), 0);
    assert_int_equal(n, THREADS * ROUNDS);
    assert_int_equal(generation(conn, "counter"), 1 + THREADS * ROUNDS);
    vouch_store_release(conn);
}

/* ---- pool and locks --------------------------------------------------- */

typedef struct waiter {
    vouch_store *store;
    bool write_tx;          /* begin a write transaction after acquiring */
    volatile int done;      /* set once acquire (and begin) returned */
    int rc;
} waiter;

static void *acquire_and_wait(void *arg)
{
    waiter *w = arg;
    vouch_store_conn *conn = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    w->rc = vouch_store_acquire(w->store, &conn, &err);
    if (w->rc == 0 && w->write_tx) {
        w->rc = vouch_store_begin(conn, true, &err);
    }
    __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
    if (w->rc == 0 && w->write_tx) {
        vouch_resource r = res("thing", "projects/p/things/second",
                               "projects/p", "{}", "e", NULL, NULL);

        w->rc = vouch_store_create(conn, &r, &err);
        if (w->rc == 0) {
            w->rc = vouch_store_commit(conn, &err);
        }
    }
    vouch_store_release(conn);
    return NULL;
}

static void test_store_acquire_blocks_when_pool_is_used_up(void **state)
{
    fixture *f = *state;
    vouch_store *small = NULL;
    vouch_store_conn *conn = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    waiter w;
    pthread_t th;

    assert_int_equal(vouch_store_open(&small, f->url, 1, &err), 0);
    assert_int_equal(vouch_store_acquire(small, &conn, &err), 0);
    memset(&w, 0, sizeof(w));
    w.store = small;
    assert_int_equal(pthread_create(&th, NULL, acquire_and_wait, &w), 0);
    usleep(200 * 1000);
    assert_int_equal(__atomic_load_n(&w.done, __ATOMIC_SEQ_CST), 0);
    vouch_store_release(conn);
    pthread_join(th, NULL);
    assert_int_equal(w.done, 1);
    assert_int_equal(w.rc, 0);
    vouch_store_close(small);
}

static void test_store_write_transactions_queue(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    vouch_error err = VOUCH_ERROR_INIT;
    waiter w;
    pthread_t th;

    assert_int_equal(vouch_store_begin(conn, true, &err), 0);
    memset(&w, 0, sizeof(w));
    w.store = f->store;
    w.write_tx = true;
    assert_int_equal(pthread_create(&th, NULL, acquire_and_wait, &w), 0);
    /* The second writer waits for the write lock in its begin... */
    usleep(300 * 1000);
    assert_int_equal(__atomic_load_n(&w.done, __ATOMIC_SEQ_CST), 0);
    create_ok(conn, "thing", "projects/p/things/first", "projects/p", NULL,
              NULL);
    assert_int_equal(vouch_store_commit(conn, &err), 0);
    /* ...and goes on once the first one committed. */
    pthread_join(th, NULL);
    assert_int_equal(w.rc, 0);
    assert_true(exists(conn, "thing", "projects/p/things/first"));
    assert_true(exists(conn, "thing", "projects/p/things/second"));
    assert_int_equal(generation(conn, "thing"), 2);
    vouch_store_release(conn);
}

static void test_store_write_lock_wait_is_bounded(void **state)
{
    fixture *f = *state;
    vouch_store *other = NULL;
    vouch_store_conn *a = acquire(f);
    vouch_store_conn *b = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    /* Another process holds the write lock and never lets go. */
    assert_int_equal(vouch_store_open(&other, f->url, 1, &err), 0);
    assert_int_equal(vouch_store_acquire(other, &b, &err), 0);
    assert_int_equal(vouch_store_begin(a, true, &err), 0);
    assert_int_equal(vouch_store_begin(b, true, &err), VOUCH_EIO);
    assert_non_null(strstr(err.message, "BEGIN"));
    assert_non_null(strstr(err.message, f->postgres ? "lock timeout"
                                                    : "locked"));
    vouch_store_rollback(a);
    assert_int_equal(vouch_store_begin(b, true, &err), 0);
    assert_int_equal(vouch_store_commit(b, &err), 0);
    vouch_store_release(b);
    vouch_store_release(a);
    vouch_store_close(other);
}

typedef struct replacer {
    vouch_store *store;
    bool explicit_tx;
    int rc;
    char message[256];
} replacer;

static void *replace_policy(void *arg)
{
    replacer *rp = arg;
    vouch_store_conn *conn = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r = res("policy", "projects/p/policy", "projects/p",
                           "{\"by\":\"store\"}", "e2", NULL, NULL);

    rp->rc = vouch_store_acquire(rp->store, &conn, &err);
    if (rp->rc == 0 && rp->explicit_tx) {
        rp->rc = vouch_store_begin(conn, true, &err);
    }
    if (rp->rc == 0) {
        rp->rc = vouch_store_replace(conn, &r, NULL, false, &err);
    }
    if (rp->rc == 0 && rp->explicit_tx) {
        rp->rc = vouch_store_commit(conn, &err);
    }
    snprintf(rp->message, sizeof(rp->message), "%s", err.message);
    vouch_store_release(conn);
    return NULL;
}

static void pg_ok(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);

    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fail_msg("%s: %s", sql, PQerrorMessage(pg));
    }
    PQclear(r);
}

/* Wait (up to 10 s, however loaded the machine) until a store connection
 * of this database waits for a row lock. */
static void await_lock_wait(PGconn *pg)
{
    int i;

    for (i = 0; i < 1000; i++) {
        PGresult *r = PQexec(pg, "SELECT count(*) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND "
                             "application_name = 'vouch' AND "
                             "wait_event_type = 'Lock'");
        bool waiting = PQresultStatus(r) == PGRES_TUPLES_OK &&
                       strcmp(PQgetvalue(r, 0, 0), "0") != 0;

        PQclear(r);
        if (waiting) {
            return;
        }
        usleep(10 * 1000);
    }
    fail_msg("the store's replace never waited for the row lock");
}

/*
 * Another client locks the policy's generation row, the store's replace
 * updates the policy row and waits for the generation row, then the
 * client waits for the policy row: PostgreSQL breaks the deadlock by
 * failing the store's statement (SQLSTATE 40P01). A call in a
 * transaction of its own is retried and succeeds; inside the caller's
 * transaction it is VOUCH_EABORTED.
 */
static void deadlock_round(fixture *f, bool explicit_tx)
{
    PGconn *pg = PQconnectdb(f->base_url);
    vouch_store_conn *conn;
    vouch_resource out;
    vouch_error err = VOUCH_ERROR_INIT;
    replacer rp;
    pthread_t th;
    PGresult *r;

    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    pg_ok(pg, "SET deadlock_timeout = '20s'");   /* the store's 1 s wins */
    pg_ok(pg, "BEGIN");
    pg_ok(pg, "UPDATE generations SET value = value WHERE kind = 'policy'");
    memset(&rp, 0, sizeof(rp));
    rp.store = f->store;
    rp.explicit_tx = explicit_tx;
    assert_int_equal(pthread_create(&th, NULL, replace_policy, &rp), 0);
    await_lock_wait(pg);   /* the store now waits for the generation row */
    r = PQexec(pg, "UPDATE resources SET json = '{\"by\":\"client\"}' "
               "WHERE kind = 'policy'");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        /* This side lost the deadlock instead: still a valid outcome
         * for PostgreSQL, but then it tests nothing of ours. */
        fail_msg("client lost the deadlock: %s", PQerrorMessage(pg));
    }
    PQclear(r);
    pg_ok(pg, "COMMIT");
    pthread_join(th, NULL);
    PQfinish(pg);

    conn = acquire(f);
    /* In a transaction: what the database holds, not the read cache,
     * which hears of the client's write only a moment later. */
    assert_int_equal(vouch_store_begin(conn, false, &err), 0);
    assert_int_equal(vouch_store_get(conn, "policy", "projects/p/policy",
                                     &out, &err), 0);
    vouch_store_rollback(conn);
    if (explicit_tx) {
        assert_int_equal(rp.rc, VOUCH_EABORTED);
        assert_non_null(strstr(rp.message, "40P01"));
        assert_string_equal(out.json, "{\"by\":\"client\"}");
    } else {
        if (rp.rc != 0) {
            fail_msg("replace was not retried: %d %s", rp.rc, rp.message);
        }
        assert_string_equal(out.json, "{\"by\":\"store\"}");
    }
    vouch_resource_clear(&out);
    vouch_store_release(conn);
}

static void test_store_retries_postgres_deadlock(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);

    create_ok(conn, "policy", "projects/p/policy", "projects/p", NULL,
              NULL);
    vouch_store_release(conn);
    deadlock_round(f, false);
    deadlock_round(f, true);
}

static void test_store_replaces_broken_postgres_connection(void **state)
{
    fixture *f = *state;
    vouch_store *one = NULL;
    vouch_store_conn *conn = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    assert_int_equal(vouch_store_open(&one, f->url, 1, &err), 0);
    assert_int_equal(vouch_store_acquire(one, &conn, &err), 0);
    assert_int_equal(vouch_store_ping(conn, &err), 0);
    raw_sql(f, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'vouch' AND pid <> "
            "pg_backend_pid() AND datname = current_database()");
    assert_int_equal(vouch_store_ping(conn, &err), VOUCH_EIO);
    assert_non_null(strstr(err.message, "ping"));
    vouch_store_release(conn);
    /* The broken connection was dropped; a new one works. */
    assert_int_equal(vouch_store_acquire(one, &conn, &err), 0);
    assert_int_equal(vouch_store_ping(conn, &err), 0);
    vouch_store_release(conn);
    vouch_store_close(one);
}

/* ---- read cache (PostgreSQL) ------------------------------------------ */

static void put_policy(vouch_store *store, const char *json)
{
    vouch_store_conn *conn = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r = res("policy", "projects/p/policy", "projects/p",
                           json, "e", NULL, NULL);
    int rc;

    assert_int_equal(vouch_store_acquire(store, &conn, &err), 0);
    rc = vouch_store_replace(conn, &r, NULL, true, &err);
    if (rc != 0) {
        fail_msg("replace: %d %s", rc, err.message);
    }
    vouch_store_release(conn);
}

/* The policy's JSON as `store` reads it outside a transaction (the
 * cached path), or "" when absent. */
static void read_policy(vouch_store *store, char *buf, size_t size)
{
    vouch_store_conn *conn = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource out;
    int rc;

    assert_int_equal(vouch_store_acquire(store, &conn, &err), 0);
    rc = vouch_store_get(conn, "policy", "projects/p/policy", &out, &err);
    if (rc == VOUCH_ENOTFOUND) {
        buf[0] = '\0';
    } else {
        assert_int_equal(rc, 0);
        snprintf(buf, size, "%s", out.json);
        vouch_resource_clear(&out);
    }
    vouch_store_release(conn);
}

static uint64_t cache_hits(vouch_store *store)
{
    uint64_t hits = 0;
    uint64_t misses = 0;

    vouch_store_cache_stats(store, &hits, &misses);
    return hits;
}

static void test_store_cache_serves_repeated_reads(void **state)
{
    fixture *f = *state;
    char got[128];
    uint64_t before;

    read_policy(f->store, got, sizeof(got));   /* absent: remembered */
    assert_string_equal(got, "");
    before = cache_hits(f->store);
    read_policy(f->store, got, sizeof(got));
    assert_string_equal(got, "");
    assert_int_equal(cache_hits(f->store), before + 1);

    put_policy(f->store, "{\"v\":1}");
    read_policy(f->store, got, sizeof(got));   /* own write: a miss */
    assert_string_equal(got, "{\"v\":1}");
    assert_int_equal(cache_hits(f->store), before + 1);
    read_policy(f->store, got, sizeof(got));
    assert_string_equal(got, "{\"v\":1}");
    assert_int_equal(cache_hits(f->store), before + 2);
}

static void test_store_cache_two_stores_interleave(void **state)
{
    fixture *f = *state;
    vouch_store *other = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char want[64];
    char got[128];
    int i;

    /* A second vouchd on the same database, with its own cache. */
    assert_int_equal(vouch_store_open(&other, f->url, 2, &err), 0);
    for (i = 0; i < 200; i++) {
        vouch_store *writer = i % 2 == 0 ? f->store : other;
        vouch_store *reader = i % 2 == 0 ? other : f->store;

        snprintf(want, sizeof(want), "{\"round\":%d}", i);
        read_policy(reader, got, sizeof(got));   /* the old one, kept */
        put_policy(writer, want);
        read_policy(reader, got, sizeof(got));
        if (strcmp(got, want) != 0) {
            fail_msg("round %d: read %s after the other store wrote %s", i,
                     got, want);
        }
        read_policy(reader, got, sizeof(got));   /* now from memory */
        assert_string_equal(got, want);
    }
    /* Each store read twice per round it did not write: 100 second
     * reads could come from memory; a notification that lands after the
     * first read's SELECT costs one of them, so ask for half. */
    if (cache_hits(f->store) < 50 || cache_hits(other) < 50) {
        fail_msg("reads from memory: %llu and %llu of 100",
                 (unsigned long long)cache_hits(f->store),
                 (unsigned long long)cache_hits(other));
    }
    vouch_store_close(other);
}

/* Poll `store` until the policy reads `want` (NULL: absent); fail after
 * 2 s. */
static void await_policy(vouch_store *store, const char *want)
{
    char got[128];
    int i;

    for (i = 0; i < 200; i++) {
        read_policy(store, got, sizeof(got));
        if (strcmp(got, want != NULL ? want : "") == 0) {
            return;
        }
        usleep(10 * 1000);
    }
    fail_msg("policy still reads %s, not %s, 2 s after the write", got,
             want != NULL ? want : "(absent)");
}

static void test_store_cache_hears_writes_behind_its_back(void **state)
{
    fixture *f = *state;
    char got[128];

    put_policy(f->store, "{\"v\":1}");
    read_policy(f->store, got, sizeof(got));
    read_policy(f->store, got, sizeof(got));
    assert_string_equal(got, "{\"v\":1}");
    /* An operator's SQL, not through vouch: the trigger tells. */
    raw_sql(f, "UPDATE resources SET json = '{\"v\":2}' "
            "WHERE kind = 'policy'");
    await_policy(f->store, "{\"v\":2}");
    raw_sql(f, "DELETE FROM resources WHERE kind = 'policy'");
    await_policy(f->store, NULL);
    put_policy(f->store, "{\"v\":3}");
    read_policy(f->store, got, sizeof(got));
    read_policy(f->store, got, sizeof(got));
    raw_sql(f, "TRUNCATE resources");
    await_policy(f->store, NULL);
}

static void test_store_cache_off_while_watch_is_lost(void **state)
{
    fixture *f = *state;
    char got[128];
    uint64_t hits;
    int i;

    put_policy(f->store, "{\"v\":1}");
    read_policy(f->store, got, sizeof(got));
    read_policy(f->store, got, sizeof(got));
    raw_sql(f, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'vouch-watch' AND "
            "datname = current_database()");
    usleep(50 * 1000);
    /* Deaf, or listening again from an empty slate: either way the entry
     * from before is not served, and this change is read. */
    raw_sql(f, "UPDATE resources SET json = '{\"v\":2}' "
            "WHERE kind = 'policy'");
    read_policy(f->store, got, sizeof(got));
    assert_string_equal(got, "{\"v\":2}");
    /* Listening again within a few seconds: reads come from memory. */
    for (i = 0; i < 300; i++) {
        read_policy(f->store, got, sizeof(got));
        hits = cache_hits(f->store);
        read_policy(f->store, got, sizeof(got));
        if (cache_hits(f->store) > hits) {
            break;
        }
        usleep(10 * 1000);
    }
    assert_true(i < 300);
    assert_string_equal(got, "{\"v\":2}");
}

/* The trigger announces only VOUCH__CACHED_KINDS: it must be the list
 * the cache holds, or a change would go unheard. */
static void test_store_cache_kinds_match_the_trigger(void **state)
{
    const char *const *kinds;
    unsigned count;
    char sql[256] = "(";
    unsigned i;

    (void)state;
    kinds = vouch__cache_kinds(&count);
    for (i = 0; i < count; i++) {
        snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), "%s'%s'",
                 i > 0 ? ", " : "", kinds[i]);
    }
    snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), ")");
    assert_string_equal(sql, VOUCH__CACHED_KINDS);
}

static void test_store_sqlite_has_no_cache(void **state)
{
    fixture *f = *state;
    char got[128];
    uint64_t hits = 1;
    uint64_t misses = 1;

    put_policy(f->store, "{\"v\":1}");
    read_policy(f->store, got, sizeof(got));
    read_policy(f->store, got, sizeof(got));
    vouch_store_cache_stats(f->store, &hits, &misses);
    assert_int_equal(hits, 0);
    assert_int_equal(misses, 0);
}

/* Run SQL on the test database from another process, as a second vouchd
 * or an operator's sqlite3 would (SQLite only). */
static void sqlite_from_another_process(fixture *f, const char *sql)
{
    pid_t pid = fork();
    int status = 0;

    assert_true(pid >= 0);
    if (pid == 0) {
        sqlite3 *db = NULL;
        int ok = sqlite3_open(f->url + strlen("sqlite:"), &db) ==
                     SQLITE_OK &&
                 sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
                 sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;

        sqlite3_close(db);
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * A generation read outside a transaction is remembered while no commit
 * moves the WAL-index header (sqlite_stamp.h): every commit of another
 * process must still be read at once, also after a checkpoint has
 * truncated the WAL and the next commit starts it again.
 */
static void test_store_sqlite_generation_hears_other_processes(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);

    create_ok(conn, "policy", "projects/p/policy", "projects/p", NULL, NULL);
    assert_int_equal(generation(conn, "policy"), 1);
    assert_int_equal(generation(conn, "policy"), 1);
    assert_int_equal(generation(conn, "attestor"), 0);
    sqlite_from_another_process(
        f, "UPDATE generations SET value = 41 WHERE kind = 'policy'");
    assert_int_equal(generation(conn, "policy"), 41);
    assert_int_equal(generation(conn, "attestor"), 0);
    sqlite_from_another_process(f, "PRAGMA wal_checkpoint(TRUNCATE)");
    assert_int_equal(generation(conn, "policy"), 41);
    sqlite_from_another_process(
        f, "UPDATE generations SET value = 42 WHERE kind = 'policy'");
    assert_int_equal(generation(conn, "policy"), 42);
    for (int i = 43; i < 48; i++) {
        char sql[96];

        snprintf(sql, sizeof(sql),
                 "UPDATE generations SET value = %d WHERE kind = 'policy'",
                 i);
        sqlite_from_another_process(f, sql);
        assert_int_equal(generation(conn, "policy"), i);
    }
    vouch_store_release(conn);
}

/*
 * SQLite's page cache comes from the budget the first SQLite store
 * allocated up front (sqlite.c), not from each thread's malloc arena:
 * pages read are counted in that budget.
 */
static void test_store_sqlite_pages_come_from_the_budget(void **state)
{
    fixture *f = *state;
    vouch_store_conn *conn = acquire(f);
    sqlite3_int64 used = 0;
    sqlite3_int64 high = 0;

    create_ok(conn, "policy", "projects/p/policy", "projects/p", NULL, NULL);
    assert_true(exists(conn, "policy", "projects/p/policy"));
    assert_int_equal(sqlite3_status64(SQLITE_STATUS_PAGECACHE_USED, &used,
                                      &high, 0),
                     SQLITE_OK);
    assert_true(used > 0);
    vouch_store_release(conn);
}

/* ---- main ------------------------------------------------------------- */

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

#define COMMON_TESTS \
    T(test_store_open_reports_backend_and_schema), \
    T(test_store_open_refuses_newer_schema), \
    T(test_store_migration_4_fills_log_entry_types), \
    T(test_store_create_get_round_trips_every_field), \
    T(test_store_create_conflict_when_name_exists), \
    T(test_store_get_not_found_names_resource), \
    T(test_store_rejects_missing_fields), \
    T(test_store_replace_with_and_without_etag), \
    T(test_store_replace_absent_and_upsert), \
    T(test_store_delete_with_and_without_etag), \
    T(test_store_list_filters_and_orders_by_name), \
    T(test_store_list_paginates_many_pages), \
    T(test_store_list_page_size_default_and_cap), \
    T(test_store_list_rejects_bad_page_token), \
    T(test_store_list_page_token_belongs_to_its_list), \
    T(test_store_list_bounds_and_descending), \
    T(test_store_list_plan_uses_an_index), \
    T(test_store_count_by_kind_and_attr1), \
    T(test_store_generation_moves_on_writes_only), \
    T(test_store_rollback_discards_writes), \
    T(test_store_transaction_misuse_is_einval), \
    T(test_store_two_connections_see_commits_at_once), \
    T(test_store_two_stores_share_one_database), \
    T(test_store_threads_do_not_lose_updates), \
    T(test_store_acquire_blocks_when_pool_is_used_up), \
    T(test_store_write_transactions_queue), \
    T(test_store_write_lock_wait_is_bounded)

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        COMMON_TESTS,
        cmocka_unit_test(test_store_open_rejects_bad_urls),
        cmocka_unit_test(test_store_open_sqlite_creates_directories),
        T(test_store_sqlite_has_no_cache),
        T(test_store_sqlite_generation_hears_other_processes),
        T(test_store_sqlite_pages_come_from_the_budget),
        cmocka_unit_test(test_store_cache_kinds_match_the_trigger),
    };
    const struct CMUnitTest postgres_tests[] = {
        COMMON_TESTS,
        cmocka_unit_test(test_store_open_unreachable_postgres_redacts_password),
        T(test_store_replaces_broken_postgres_connection),
        T(test_store_retries_postgres_deadlock),
        T(test_store_cache_serves_repeated_reads),
        T(test_store_cache_two_stores_interleave),
        T(test_store_cache_hears_writes_behind_its_back),
        T(test_store_cache_off_while_watch_is_lost),
    };
    const char *only = getenv("VOUCH_STORE_BACKEND");
    int failed = 0;

    if (only == NULL || strcmp(only, "sqlite") == 0) {
        failed += cmocka_run_group_tests_name("sqlite", sqlite_tests,
                                              group_setup_sqlite,
                                              group_teardown);
    }
    if (only == NULL || strcmp(only, "postgres") == 0) {
        failed += cmocka_run_group_tests_name("postgres", postgres_tests,
                                              group_setup_postgres,
                                              group_teardown);
    }
    return failed == 0 ? 0 : 1;
}
