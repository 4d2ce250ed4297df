/*
 * vouch — the SQLite store backend (the default; "sqlite:PATH").
 *
 * Every connection runs with WAL, synchronous=FULL (a commit is on disk
 * when COMMIT returns, so kill -9 or power loss keeps it), foreign keys on
 * and a 5 s busy timeout. Write transactions are BEGIN IMMEDIATE: the
 * write lock is taken up front, so two writers queue instead of failing
 * half-way. Readers never block writers (WAL).
 *
 * Writers of one process also queue on a mutex before BEGIN IMMEDIATE:
 * SQLite's busy handler waits by sleeping in growing steps, which under
 * many concurrent deploys gave a p99 near a second; a mutex hands the
 * lock over at once. Other processes on the same file still meet the
 * busy timeout.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "backend.h"
#include "vutil_error.h"
#include "vutil_str.h"
#include "listsql.h"
#include "migrations.h"
#include "sqlite_internal.h"
#include "sqlite_stamp.h"

#define SQ_SRC "sqlite"
#define SQ_DEFAULT_PATH "./var/vouch.db"
#define SQ_BUSY_MS 5000

#define SQ_COLUMNS \
    "kind, name, parent, json, etag, create_time, update_time, attr1, attr2"

typedef struct sq_db {
    char *path;
    pthread_mutex_t write_lock;   /* held by this process's writer */
} sq_db;

#define SQ_CACHE 16

/* Prepared statements of the fixed SQL texts, keyed by the address of the
 * string literal; reset after each use, finalized on close. */
typedef struct sq_cached {
    const char *sql;
    sqlite3_stmt *st;
} sq_cached;

typedef struct sq_conn {
    sqlite3 *db;
    sq_db *owner;
    bool holds_write_lock;
    sq_cached cache[SQ_CACHE];
    int ncache;
    vouch__sq_stamps stamps;   /* generations read outside transactions */
} sq_conn;

/* Fill `err` from the connection's last error, naming the step. */
static int sq_fail(sqlite3 *db, int src, const char *step, vouch_error *err)
{
    const char *generic = sqlite3_errstr(src);
    const char *msg = db != NULL ? sqlite3_errmsg(db) : generic;
    bool same = strcmp(msg, generic) == 0;
    int code = VOUCH_EIO;

    if (src == SQLITE_NOMEM) {
        code = VOUCH_ENOMEM;
    } else if (src == SQLITE_BUSY_SNAPSHOT) {
        code = VOUCH_ERETRY;
    } else if ((src & 0xff) == SQLITE_FULL) {
        /* ENOSPC: a write cannot go on until space is freed (reads can:
         * the transaction rolled back, the file is intact).
         * RESOURCE_EXHAUSTED, the gRPC code for "the file system is out
         * of space". The path stays out of a message a client reads. */
        return vouch__store_error(err, VOUCH_EEXHAUSTED, SQ_SRC,
                                  "%s: the disk holding the database is "
                                  "full; free space, then retry (%s)",
                                  step, msg);
    }
    return vouch__store_error(err, code, SQ_SRC, "%s: %s%s%s%s", step, msg,
                              same ? "" : " (", same ? "" : generic,
                              same ? "" : ")");
}

static int sq_prepare(sq_conn *c, const char *sql, sqlite3_stmt **out,
                      const char *step, vouch_error *err)
{
    int src;

    *out = NULL;
    src = sqlite3_prepare_v2(c->db, sql, -1, out, NULL);
    if (src != SQLITE_OK) {
        return sq_fail(c->db, src, step, err);
    }
    return 0;
}

/* sq_prepare for a string literal, kept prepared on the connection.
 * Give it back with sq_finish(). */
static int sq_stmt(sq_conn *c, const char *sql, sqlite3_stmt **out,
                   const char *step, vouch_error *err)
{
    int src;
    int i;

    *out = NULL;
    for (i = 0; i < c->ncache; i++) {
        if (c->cache[i].sql == sql) {
            *out = c->cache[i].st;
            return 0;
        }
    }
    src = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out,
                             NULL);
    if (src != SQLITE_OK) {
        return sq_fail(c->db, src, step, err);
    }
    if (c->ncache < SQ_CACHE) {
        c->cache[c->ncache].sql = sql;
        c->cache[c->ncache].st = *out;
        c->ncache++;
    }
    return 0;
}

/* Reset a cached statement (ending its read), finalize any other. */
static void sq_finish(sq_conn *c, sqlite3_stmt *st)
{
    int i;

    if (st == NULL) {
        return;
    }
    for (i = 0; i < c->ncache; i++) {
        if (c->cache[i].st == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return;
        }
    }
    sqlite3_finalize(st);
}

static int sq_bind(sq_conn *c, sqlite3_stmt *st, int idx, const char *v,
                   const char *step, vouch_error *err)
{
    int src;

    if (v == NULL) {
        src = sqlite3_bind_null(st, idx);
    } else {
        src = sqlite3_bind_text(st, idx, v, -1, SQLITE_STATIC);
    }
    if (src != SQLITE_OK) {
        return sq_fail(c->db, src, step, err);
    }
    return 0;
}

/* Run a statement that returns no rows. */
static int sq_done(sq_conn *c, sqlite3_stmt *st, const char *step,
                   vouch_error *err)
{
    int src = sqlite3_step(st);

    if (src != SQLITE_DONE) {
        return sq_fail(c->db, src, step, err);
    }
    return 0;
}

static int sq_exec(sq_conn *c, const char *sql, const char *step,
                   vouch_error *err)
{
    int src = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

    if (src != SQLITE_OK) {
        return sq_fail(c->db, src, step, err);
    }
    return 0;
}

/* mkdir -p of the directory part of `path`. */
static int make_parent_dirs(const char *path, vouch_error *err)
{
    char *copy = vutil_strdup(path);
    char *p;
    int rc = 0;

    if (copy == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, SQ_SRC, 0, 0,
                               "out of memory");
    }
    for (p = copy + 1; *p != '\0'; p++) {
        if (*p != '/') {
            continue;
        }
        *p = '\0';
        if (mkdir(copy, 0750) != 0 && errno != EEXIST) {
            rc = vutil_error_set(err, VOUCH_EIO, SQ_SRC, 0, 0,
                                 "cannot create directory %s: %s", copy,
                                 strerror(errno));
            break;
        }
        *p = '/';
    }
    free(copy);
    return rc;
}

/*
 * SQLite's page cache is one budget for the process, allocated and
 * touched when the first SQLite store opens: each connection's cache
 * (SQLite's default, about 2 MB) for as many connections as that store
 * may open. Taken from malloc instead, the pages of a connection come
 * from the arena of whichever thread reads through it, and every
 * thread's arena grows towards the cache's size as the database grows:
 * resident memory rose by half in a 10-minute soak (bench/README.md).
 * sqlite3_config works only before SQLite initialises, so a later store
 * of the same process, or a process that used SQLite first, shares the
 * budget or falls back to malloc past it.
 */
#define SQ_PAGE_BYTES 4096           /* SQLite's default page size */
#define SQ_CACHE_PAGES 500           /* = the default cache_size -2000 */

static pthread_once_t page_cache_once = PTHREAD_ONCE_INIT;
static atomic_uint page_cache_connections;   /* the first store's */
static void *page_cache;             /* for the life of the process */

static void page_cache_configure(void)
{
    int header = 0;
    size_t slot;
    size_t slots;

    if (sqlite3_config(SQLITE_CONFIG_PCACHE_HDRSZ, &header) != SQLITE_OK ||
        header < 0) {
        return;
    }
    slot = SQ_PAGE_BYTES + (size_t)header;
    slots = (size_t)atomic_load(&page_cache_connections) * SQ_CACHE_PAGES;
    page_cache = malloc(slot * slots);
    if (page_cache == NULL) {
        return;
    }
    memset(page_cache, 0, slot * slots);
    if (sqlite3_config(SQLITE_CONFIG_PAGECACHE, page_cache, (int)slot,
                       (int)slots) != SQLITE_OK) {
        free(page_cache);
        page_cache = NULL;
    }
}

static int sq_open(void **out, const char *url, unsigned connections,
                   vouch_error *err)
{
    const char *path = url + strlen("sqlite:");
    sq_db *db;
    int rc;

    *out = NULL;
    atomic_store(&page_cache_connections, connections);
    pthread_once(&page_cache_once, page_cache_configure);
    if (strncmp(path, "//", 2) == 0) {
        path += 2;   /* sqlite:///var/x.db is /var/x.db */
    }
    if (path[0] == '\0') {
        path = SQ_DEFAULT_PATH;
    }
    if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0) {
        return vutil_error_set(err, VOUCH_EINVAL, SQ_SRC, 0, 0,
                               "sqlite store needs a file path, not %s "
                               "(each connection must see one database)",
                               path);
    }
    rc = make_parent_dirs(path, err);
    if (rc < 0) {
        return rc;
    }
    db = calloc(1, sizeof(*db));
    if (db == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, SQ_SRC, 0, 0,
                               "out of memory");
    }
    db->path = vutil_strdup(path);
    if (db->path == NULL || pthread_mutex_init(&db->write_lock, NULL) != 0) {
        free(db->path);
        free(db);
        return vutil_error_set(err, VOUCH_ENOMEM, SQ_SRC, 0, 0,
                               "out of memory");
    }
    *out = db;
    return 0;
}

static void sq_close(void *vdb)
{
    sq_db *db = vdb;

    if (db == NULL) {
        return;
    }
    pthread_mutex_destroy(&db->write_lock);
    free(db->path);
    free(db);
}

static void write_unlock(sq_conn *c)
{
    if (c->holds_write_lock) {
        c->holds_write_lock = false;
        pthread_mutex_unlock(&c->owner->write_lock);
    }
}

static void sq_conn_close(void *vc)
{
    sq_conn *c = vc;

    int i;

    if (c == NULL) {
        return;
    }
    write_unlock(c);
    for (i = 0; i < c->ncache; i++) {
        sqlite3_finalize(c->cache[i].st);
    }
    sqlite3_close(c->db);
    free(c);
}

static int sq_conn_open(void *vdb, void **out, vouch_error *err)
{
    sq_db *db = vdb;
    sq_conn *c = NULL;
    sqlite3_stmt *st = NULL;
    const unsigned char *mode;
    int src;
    int rc;

    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, SQ_SRC, 0, 0,
                               "out of memory");
    }
    c->owner = db;
    src = sqlite3_open_v2(db->path, &c->db,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                          SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        rc = vutil_error_set(err, VOUCH_EIO, SQ_SRC, 0, 0,
                             "open %s: %s", db->path,
                             c->db != NULL ? sqlite3_errmsg(c->db)
                                            : sqlite3_errstr(src));
        goto cleanup;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, SQ_BUSY_MS);
    rc = sq_prepare(c, "PRAGMA journal_mode=WAL", &st,
                    "PRAGMA journal_mode=WAL", err);
    if (rc < 0) {
        goto cleanup;
    }
    src = sqlite3_step(st);
    if (src != SQLITE_ROW) {
        rc = sq_fail(c->db, src, "PRAGMA journal_mode=WAL", err);
        goto cleanup;
    }
    mode = sqlite3_column_text(st, 0);
    if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
        rc = vutil_error_set(err, VOUCH_EIO, SQ_SRC, 0, 0,
                             "PRAGMA journal_mode=WAL: %s stays in %s "
                             "mode", db->path,
                             mode != NULL ? (const char *)mode : "?");
        goto cleanup;
    }
    rc = sq_exec(c, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
                 "PRAGMA synchronous/foreign_keys", err);
    if (rc < 0) {
        goto cleanup;
    }
    *out = c;
    c = NULL;

cleanup:
    sqlite3_finalize(st);
    sq_conn_close(c);
    return rc;
}

static bool sq_conn_healthy(void *vc)
{
    sq_conn *c = vc;

    /* A connection stuck inside a transaction must not be reused. */
    return sqlite3_get_autocommit(c->db) != 0;
}

static int sq_begin(void *vc, bool write, vouch_error *err)
{
    sq_conn *c = vc;
    int rc;

    if (write && !c->holds_write_lock) {
        pthread_mutex_lock(&c->owner->write_lock);
        c->holds_write_lock = true;
    }
    rc = sq_exec(vc, write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED",
                 write ? "BEGIN IMMEDIATE" : "BEGIN", err);
    if (rc < 0) {
        write_unlock(c);
    }
    return rc;
}

static void sq_rollback(void *vc)
{
    sq_conn *c = vc;

    if (sqlite3_get_autocommit(c->db) == 0) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
    write_unlock(c);
}

static int sq_commit(void *vc, vouch_error *err)
{
    int rc = sq_exec(vc, "COMMIT", "COMMIT", err);

    if (rc < 0) {
        sq_rollback(vc);
    }
    write_unlock(vc);
    return rc;
}

/* sq_stmt with `n` text `values` bound to ?1..?n (NULL: SQL NULL). On
 * failure `*out` is still given back to sq_finish(). */
static int sq_stmt_bound(sq_conn *c, const char *sql, int n,
                         const char *const *values, sqlite3_stmt **out,
                         const char *step, vouch_error *err)
{
    int i;
    int rc = sq_stmt(c, sql, out, step, err);

    for (i = 0; i < n && rc == 0; i++) {
        rc = sq_bind(c, *out, i + 1, values[i], step, err);
    }
    return rc;
}

/* The backend's int_query and change (backend.h). */
static int sq_int_query(void *vc, const char *sql, int n,
                        const char *const *values, int64_t *out,
                        const char *step, vouch_error *err)
{
    sq_conn *c = vc;
    sqlite3_stmt *st = NULL;
    int src;
    int rc;

    *out = 0;
    rc = sq_stmt_bound(c, sql, n, values, &st, step, err);
    if (rc < 0) {
        goto cleanup;
    }
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
    } else if (src != SQLITE_DONE) {
        rc = sq_fail(c->db, src, step, err);
    }

cleanup:
    sq_finish(c, st);
    return rc;
}

static int sq_change(void *vc, const char *sql, int n,
                     const char *const *values, bool *changed,
                     const char *step, vouch_error *err)
{
    sq_conn *c = vc;
    sqlite3_stmt *st = NULL;
    int rc;

    *changed = false;
    rc = sq_stmt_bound(c, sql, n, values, &st, step, err);
    if (rc == 0) {
        rc = sq_done(c, st, step, err);
    }
    if (rc == 0) {
        *changed = sqlite3_changes(c->db) > 0;
    }
    sq_finish(c, st);
    return rc;
}

static int sq_migrate(void *vc, vouch_error *err)
{
    sq_conn *c = vc;
    sqlite3_stmt *st = NULL;
    char step[64];
    size_t i;
    int rc;

    rc = sq_exec(c, "BEGIN IMMEDIATE", "migrate: BEGIN IMMEDIATE", err);
    if (rc < 0) {
        return rc;
    }
    rc = sq_exec(c, VOUCH__SCHEMA_VERSION_DDL,
                 "migrate: create schema_version", err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = vouch__store_migrations_pending(&vouch__store_sqlite, c, SQ_SRC, &i,
                                         err);
    if (rc < 0) {
        goto cleanup;
    }
    for (; i < VOUCH__STORE_MIGRATION_COUNT; i++) {
        const vouch__store_migration *m = &vouch__store_migrations[i];

        snprintf(step, sizeof(step), "migrate: migration %d", m->version);
        rc = sq_exec(c, m->sqlite, step, err);
        if (rc < 0) {
            goto cleanup;
        }
        rc = sq_prepare(c, "INSERT INTO schema_version (version, "
                        "applied_at) VALUES (?1, strftime("
                        "'%Y-%m-%dT%H:%M:%fZ', 'now'))", &st, step, err);
        if (rc < 0) {
            goto cleanup;
        }
        sqlite3_bind_int(st, 1, m->version);
        rc = sq_done(c, st, step, err);
        sqlite3_finalize(st);
        st = NULL;
        if (rc < 0) {
            goto cleanup;
        }
    }
    rc = sq_exec(c, "COMMIT", "migrate: COMMIT", err);

cleanup:
    sqlite3_finalize(st);
    if (rc < 0) {
        sq_rollback(c);
    }
    return rc;
}

static int sq_ping(void *vc, vouch_error *err)
{
    int64_t one = 0;

    return sq_int_query(vc, "SELECT 1", 0, NULL, &one, "ping", err);
}

static int col_dup(sqlite3_stmt *st, int i, char **out)
{
    const unsigned char *text;

    *out = NULL;
    if (sqlite3_column_type(st, i) == SQLITE_NULL) {
        return 0;
    }
    text = sqlite3_column_text(st, i);
    if (text == NULL) {
        return VOUCH_ENOMEM;
    }
    *out = vutil_strndup((const char *)text,
                         (size_t)sqlite3_column_bytes(st, i));
    return *out == NULL ? VOUCH_ENOMEM : 0;
}

/* Copy the SQ_COLUMNS of the current row into `r`. */
static int row_to_resource(sqlite3_stmt *st, vouch_resource *r,
                           vouch_error *err)
{
    char **fields[9];
    int i;

    vouch__store_row_fields(r, fields);
    for (i = 0; i < 9; i++) {
        if (col_dup(st, i, fields[i]) < 0) {
            vouch_resource_clear(r);
            return vutil_error_set(err, VOUCH_ENOMEM, SQ_SRC, 0, 0,
                                   "out of memory reading a row");
        }
    }
    return 0;
}

static int sq_get(void *vc, const char *kind, const char *name,
                  vouch_resource *out, vouch_error *err)
{
    sq_conn *c = vc;
    sqlite3_stmt *st = NULL;
    int src;
    int rc;

    rc = sq_stmt(c, "SELECT " SQ_COLUMNS " FROM resources "
                    "WHERE kind = ?1 AND name = ?2", &st, "get", err);
    if (rc < 0) {
        goto cleanup;
    }
    sq_bind(c, st, 1, kind, "get", err);
    sq_bind(c, st, 2, name, "get", err);
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        rc = row_to_resource(st, out, err);
    } else if (src == SQLITE_DONE) {
        rc = vutil_error_set(err, VOUCH_ENOTFOUND, SQ_SRC, 0, 0,
                             "%s not found", name);
    } else {
        rc = sq_fail(c->db, src, "get", err);
    }

cleanup:
    sq_finish(c, st);
    return rc;
}

static int sq_list(void *vc, const vouch_resource_query *q,
                   const char *pos, size_t limit, vouch_resource **items,
                   size_t *count, vouch_error *err)
{
    sq_conn *c = vc;
    sqlite3_stmt *st = NULL;
    vouch_resource *rows = NULL;
    vouch__list_sql sql;
    size_t n = 0;
    int i;
    int src;
    int rc;

    *items = NULL;
    *count = 0;
    vouch__list_sql_build(&sql, SQ_COLUMNS, q, pos, '?', true);
    rc = sq_prepare(c, sql.text, &st, "list", err);
    if (rc < 0) {
        goto cleanup;
    }
    for (i = 0; i < sql.nargs; i++) {
        sq_bind(c, st, i + 1, sql.args[i], "list", err);
    }
    sqlite3_bind_int64(st, sql.nargs + 1, (sqlite3_int64)limit);
    rows = calloc(limit, sizeof(*rows));
    if (rows == NULL) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, SQ_SRC, 0, 0,
                             "out of memory for %zu rows", limit);
        goto cleanup;
    }
    for (;;) {
        src = sqlite3_step(st);
        if (src == SQLITE_DONE) {
            break;
        }
        if (src != SQLITE_ROW) {
            rc = sq_fail(c->db, src, "list", err);
            goto cleanup;
        }
        if (n == limit) {
            break;
        }
        rc = row_to_resource(st, &rows[n], err);
        if (rc < 0) {
            goto cleanup;
        }
        n++;
    }
    *items = rows;
    *count = n;
    rows = NULL;
    n = 0;

cleanup:
    for (; n > 0; n--) {
        vouch_resource_clear(&rows[n - 1]);
    }
    free(rows);
    sqlite3_finalize(st);
    return rc;
}

/* EXPLAIN QUERY PLAN of the list: each step's detail, one a line. */
static int sq_list_plan(void *vc, const vouch_resource_query *q,
                        char **out, vouch_error *err)
{
    sq_conn *c = vc;
    sqlite3_stmt *st = NULL;
    vouch__list_sql sql;
    char text[sizeof(sql.text) + 32];
    char *plan = NULL;
    int i;
    int src = SQLITE_DONE;
    int rc;

    *out = NULL;
    vouch__list_sql_build(&sql, SQ_COLUMNS, q, NULL, '?', false);
    snprintf(text, sizeof(text), "EXPLAIN QUERY PLAN %s", sql.text);
    rc = sq_prepare(c, text, &st, "list plan", err);
    for (i = 0; rc == 0 && i < sql.nargs; i++) {
        rc = sq_bind(c, st, i + 1, sql.args[i], "list plan", err);
    }
    while (rc == 0 && (src = sqlite3_step(st)) == SQLITE_ROW) {
        char *more = vutil_aprintf("%s%s\n", plan != NULL ? plan : "",
                                   (const char *)sqlite3_column_text(st, 3));

        free(plan);
        plan = more;
        if (plan == NULL) {
            rc = vutil_error_set(err, VOUCH_ENOMEM, SQ_SRC, 0, 0,
                                 "out of memory");
        }
    }
    if (rc == 0 && src != SQLITE_DONE) {
        rc = sq_fail(c->db, src, "list plan", err);
    }
    sqlite3_finalize(st);
    if (rc < 0) {
        free(plan);
        return rc;
    }
    *out = plan != NULL ? plan : vutil_strdup("");
    return *out != NULL ? 0 : vutil_error_set(err, VOUCH_ENOMEM, SQ_SRC, 0,
                                              0, "out of memory");
}

static int sq_page_key(void *vc, const char *fresh, char **out,
                       vouch_error *err)
{
    sq_conn *c = vc;
    sqlite3_stmt *st = NULL;
    int src;
    int rc;

    *out = NULL;
    rc = sq_prepare(c, "INSERT INTO page_token_key (id, key) VALUES (1, ?1) "
                    "ON CONFLICT (id) DO NOTHING", &st, "page token key",
                    err);
    if (rc == 0) {
        rc = sq_bind(c, st, 1, fresh, "page token key", err);
    }
    if (rc == 0) {
        rc = sq_done(c, st, "page token key", err);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc < 0) {
        return rc;
    }
    rc = sq_prepare(c, "SELECT key FROM page_token_key WHERE id = 1", &st,
                    "page token key", err);
    if (rc < 0) {
        return rc;
    }
    src = sqlite3_step(st);
    if (src != SQLITE_ROW) {
        rc = sq_fail(c->db, src, "page token key", err);
    } else if (col_dup(st, 0, out) < 0 || *out == NULL) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, SQ_SRC, 0, 0,
                             "page token key: out of memory");
    }
    sqlite3_finalize(st);
    return rc;
}

/* For sqlite_bulk.c. */
sqlite3 *vouch__sq_handle(void *vc)
{
    return ((sq_conn *)vc)->db;
}

int vouch__sq_fail(void *vc, int src, const char *step, vouch_error *err)
{
    return sq_fail(((sq_conn *)vc)->db, src, step, err);
}

static const vouch__store_sql sq_sql = {
    "INSERT INTO resources (" SQ_COLUMNS ") VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
    "ON CONFLICT (kind, name) DO NOTHING",
    "UPDATE resources SET json = ?3, etag = ?4, "
    "update_time = ?5, attr1 = ?6, attr2 = ?7 "
    "WHERE kind = ?1 AND name = ?2",
    "UPDATE resources SET json = ?3, etag = ?4, "
    "update_time = ?5, attr1 = ?6, attr2 = ?7 "
    "WHERE kind = ?1 AND name = ?2 AND etag = ?8",
    "DELETE FROM resources WHERE kind = ?1 AND name = ?2",
    "DELETE FROM resources WHERE kind = ?1 AND name = ?2 AND etag = ?3",
    "SELECT count(*) FROM resources WHERE kind = ?1 AND name = ?2",
    "INSERT INTO generations (kind, value) VALUES "
    "(?1, 1) ON CONFLICT (kind) DO UPDATE SET "
    "value = generations.value + 1",
    "SELECT count(*) FROM resources WHERE kind = ?1",
    "SELECT count(*) FROM resources WHERE kind = ?1 AND attr1 = ?2",
    "SELECT value FROM generations WHERE kind = ?1",
    "SELECT coalesce(max(version), 0) FROM schema_version",
};

/*
 * Outside a transaction, a generation read under the same WAL-index
 * header as now is still the current one (sqlite_stamp.h); it is
 * remembered only when the header was the same before and after the
 * read, so that the value belongs to that header.
 */
static int sq_generation(void *vc, const char *kind, uint64_t *out,
                         vouch_error *err)
{
    sq_conn *c = vc;
    unsigned char before[VOUCH__SQ_WAL_HDR];
    unsigned char after[VOUCH__SQ_WAL_HDR];
    bool outside = sqlite3_get_autocommit(c->db) != 0;
    bool known = outside && vouch__sq_wal_header(c->db, before);
    int64_t n = 0;
    int rc;

    if (known && vouch__sq_stamp_get(&c->stamps, before, kind, &n)) {
        *out = (uint64_t)n;
        return 0;
    }
    rc = sq_int_query(c, sq_sql.generation, 1, &kind, &n, "read generation",
                      err);
    if (rc == 0 && known && vouch__sq_wal_header(c->db, after) &&
        memcmp(before, after, sizeof(before)) == 0) {
        vouch__sq_stamp_put(&c->stamps, before, kind, n);
    }
    *out = (uint64_t)n;
    return rc;
}

const vouch__store_backend vouch__store_sqlite = {
    "sqlite",
    sq_open,
    sq_close,
    sq_conn_open,
    sq_conn_close,
    sq_conn_healthy,
    sq_migrate,
    sq_ping,
    sq_begin,
    sq_commit,
    sq_rollback,
    sq_get,
    sq_change,
    sq_int_query,
    &sq_sql,
    sq_generation,
    sq_list,
    sq_list_plan,
    /* No way to hear another process's commits: no read cache. */
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    sq_page_key,
    vouch__sq_bulk_create,
};
