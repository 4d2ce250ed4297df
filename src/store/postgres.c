/*
 * vouch — the PostgreSQL store backend ("postgres://..." or
 * "postgresql://...", a libpq connection URI), for several vouchd
 * replicas sharing one database.
 *
 * Semantics match the SQLite backend:
 * - a write transaction takes one transaction-scoped advisory lock first
 *   (pg_advisory_xact_lock), the counterpart of SQLite's BEGIN IMMEDIATE:
 *   writers queue, and a read-check-write (count occurrences, then delete
 *   the note) cannot interleave with another writer;
 * - a read transaction is REPEATABLE READ READ ONLY: one snapshot, like a
 *   SQLite read transaction;
 * - etag checks are atomic (UPDATE/DELETE ... WHERE etag = $n);
 * - serialization failures and deadlocks (SQLSTATE 40001, 40P01) are
 *   reported as VOUCH_ERETRY, which store.c retries for implicit
 *   transactions and turns into VOUCH_EABORTED otherwise;
 * - a writer waits at most 5 s for the lock (lock_timeout, as SQLite's
 *   busy_timeout), then gets VOUCH_EIO;
 * - migrations run under a session advisory lock, so replicas starting
 *   together migrate once;
 * - every generation bump also sends NOTIFY vouch_changes, "KIND VALUE",
 *   and a trigger on resources (migration 2) sends "KIND" for any row
 *   written by anyone; both are delivered when the transaction commits
 *   to every process that LISTENs (the watch functions of
 *   postgres_watch.c, for the read cache of cache.c).
 * Error messages quote the URL with its password replaced by "***".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "listsql.h"
#include "migrations.h"
#include "postgres_internal.h"
#include "vutil_error.h"
#include "vutil_str.h"

/* Advisory lock keys: "vouchmig" and "vouchwrt" as ASCII. */
#define PG_MIGRATE_LOCK "8534168888704592231"
#define PG_WRITE_LOCK   "8534168888705249908"

/* How long a writer waits for the write lock (SQLite's busy timeout). */
#define PG_LOCK_TIMEOUT_MS "5000"

#define PG_COLUMNS \
    "kind, name, parent, json, etag, create_time, update_time, attr1, attr2"

/*
 * Copy of `url` with the password (userinfo after ':' and any
 * password= parameter) replaced by "***". NULL on allocation failure.
 */
static char *redact_url(const char *url)
{
    size_t len = strlen(url);
    char *out = malloc(len + 4 * 8 + 1);
    const char *p = url;
    const char *auth;
    const char *end;
    const char *at = NULL;
    const char *colon = NULL;
    size_t n = 0;

    if (out == NULL) {
        return NULL;
    }
    auth = strstr(url, "://");
    auth = auth != NULL ? auth + 3 : url;
    end = auth + strcspn(auth, "/?");
    for (p = auth; p < end; p++) {
        if (*p == '@') {
            at = p;
        }
    }
    if (at != NULL) {
        for (p = auth; p < at; p++) {
            if (*p == ':') {
                colon = p;
                break;
            }
        }
    }
    p = url;
    if (colon != NULL) {
        memcpy(out, url, (size_t)(colon + 1 - url));
        n = (size_t)(colon + 1 - url);
        memcpy(out + n, "***", 3);
        n += 3;
        p = at;
    }
    while (*p != '\0') {
        if ((p == url || p[-1] == '?' || p[-1] == '&') &&
            strncmp(p, "password=", 9) == 0) {
            memcpy(out + n, "password=***", 12);
            n += 12;
            p += 9;
            while (*p != '\0' && *p != '&') {
                p++;
            }
            continue;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
    return out;
}

void vouch__pg_message(pg_conn *c, const PGresult *res, char *buf,
                       size_t size)
{
    const char *msg = NULL;
    size_t len;
    size_t r;
    size_t w;

    if (res != NULL) {
        /* The primary message alone, without "ERROR:  " and context. */
        msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        if (msg == NULL) {
            msg = PQresultErrorMessage(res);
        }
    }

    if (msg == NULL || msg[0] == '\0') {
        msg = PQerrorMessage(c->pg);
    }
    snprintf(buf, size, "%s", msg != NULL ? msg : "unknown error");
    /* One line: libpq's hints come after "\n\t"; keep them, joined by
     * single spaces. */
    for (r = 0, w = 0; buf[r] != '\0'; r++) {
        char ch = buf[r] == '\n' || buf[r] == '\t' ? ' ' : buf[r];

        if (ch == ' ' && (w == 0 || buf[w - 1] == ' ')) {
            continue;
        }
        buf[w++] = ch;
    }
    buf[w] = '\0';
    len = w;
    while (len > 0 && buf[len - 1] == ' ') {
        buf[--len] = '\0';
    }
}

static int pg_fail(pg_conn *c, const PGresult *res, const char *step,
                   vouch_error *err)
{
    const char *state = NULL;
    char msg[200];
    int code = VOUCH_EIO;

    if (res != NULL) {
        state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    }
    if (state != NULL && (strcmp(state, "40001") == 0 ||
                          strcmp(state, "40P01") == 0)) {
        code = VOUCH_ERETRY;
    }
    vouch__pg_message(c, res, msg, sizeof(msg));
    return vouch__store_error(err, code, PG_SRC, "%s: %s%s%s%s", step, msg,
                              state != NULL ? " (SQLSTATE " : "",
                              state != NULL ? state : "",
                              state != NULL ? ")" : "");
}

/*
 * Run `sql` with text parameters (NULL values are SQL NULL). On success
 * `*out` holds the result (caller PQclear()s it); on failure it is NULL.
 */
int vouch__pg_run(pg_conn *c, const char *sql, int n,
                  const char *const *values, PGresult **out,
                  const char *step, vouch_error *err)
{
    PGresult *res;
    ExecStatusType st;
    int rc;

    *out = NULL;
    res = PQexecParams(c->pg, sql, n, NULL, values, NULL, NULL, 0);
    if (res == NULL) {
        return pg_fail(c, NULL, step, err);
    }
    st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = pg_fail(c, res, step, err);
        PQclear(res);
        return rc;
    }
    *out = res;
    return 0;
}

int vouch__pg_cmd(pg_conn *c, const char *sql, const char *step,
                  vouch_error *err)
{
    PGresult *res = NULL;
    int rc = vouch__pg_run(c, sql, 0, NULL, &res, step, err);

    PQclear(res);
    return rc;
}

static int pg_open(void **out, const char *url, unsigned connections,
                   vouch_error *err)
{
    pg_db *db;

    (void)connections;   /* PostgreSQL's memory is the server's */
    *out = NULL;
    db = calloc(1, sizeof(*db));
    if (db == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, PG_SRC, 0, 0,
                               "out of memory");
    }
    db->url = vutil_strdup(url);
    db->redacted = redact_url(url);
    if (db->url == NULL || db->redacted == NULL) {
        free(db->url);
        free(db->redacted);
        free(db);
        return vutil_error_set(err, VOUCH_ENOMEM, PG_SRC, 0, 0,
                               "out of memory");
    }
    *out = db;
    return 0;
}

static void pg_close(void *vdb)
{
    pg_db *db = vdb;

    if (db == NULL) {
        return;
    }
    if (db->url != NULL) {
        memset(db->url, 0, strlen(db->url));   /* may hold a password */
    }
    free(db->url);
    free(db->redacted);
    free(db);
}

static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

void vouch__pg_conn_close(void *vc)
{
    pg_conn *c = vc;

    if (c == NULL) {
        return;
    }
    PQfinish(c->pg);
    free(c);
}

int vouch__pg_conn_open(void *vdb, void **out, vouch_error *err)
{
    pg_db *db = vdb;
    pg_conn *c;
    char msg[200];

    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, PG_SRC, 0, 0,
                               "out of memory");
    }
    c->db = db;
    /* Defaults first: the URL (expanded in place of dbname) overrides
     * them, e.g. with its own ?connect_timeout=. */
    {
        const char *const keys[] = {
            "connect_timeout", "application_name", "options", "dbname",
            NULL
        };
        const char *const values[] = {
            "10", "vouch", "-c lock_timeout=" PG_LOCK_TIMEOUT_MS, db->url,
            NULL
        };

        c->pg = PQconnectdbParams(keys, values, 1);
    }
    if (c->pg == NULL) {
        free(c);
        return vutil_error_set(err, VOUCH_ENOMEM, PG_SRC, 0, 0,
                               "connect to %s: out of memory",
                               db->redacted);
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        vouch__pg_message(c, NULL, msg, sizeof(msg));
        vutil_error_set(err, VOUCH_EIO, PG_SRC, 0, 0, "connect to %s: %s",
                        db->redacted, msg);
        vouch__pg_conn_close(c);
        return VOUCH_EIO;
    }
    PQsetNoticeProcessor(c->pg, quiet_notices, NULL);
    *out = c;
    return 0;
}

static bool pg_conn_healthy(void *vc)
{
    pg_conn *c = vc;

    return PQstatus(c->pg) == CONNECTION_OK &&
           PQtransactionStatus(c->pg) == PQTRANS_IDLE;
}

static void pg_rollback(void *vc)
{
    pg_conn *c = vc;
    PGresult *res;

    if (PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
        return;
    }
    res = PQexec(c->pg, "ROLLBACK");
    PQclear(res);
}

static int pg_begin(void *vc, bool write, vouch_error *err)
{
    pg_conn *c = vc;
    int rc;

    if (!write) {
        return vouch__pg_cmd(c,
                             "BEGIN ISOLATION LEVEL REPEATABLE READ, "
                             "READ ONLY",
                             "BEGIN READ ONLY", err);
    }
    rc = vouch__pg_cmd(c, "BEGIN ISOLATION LEVEL READ COMMITTED", "BEGIN", err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch__pg_cmd(c, "SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK ")",
                       "BEGIN: take the write lock", err);
    if (rc < 0) {
        pg_rollback(c);
    }
    return rc;
}

static int pg_commit(void *vc, vouch_error *err)
{
    pg_conn *c = vc;
    PGresult *res = NULL;
    int rc;

    rc = vouch__pg_run(c, "COMMIT", 0, NULL, &res, "COMMIT", err);
    if (rc < 0) {
        pg_rollback(c);
        return rc;
    }
    /* COMMIT of a failed transaction "succeeds" as a ROLLBACK. */
    if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
        rc = vutil_error_set(err, VOUCH_EIO, PG_SRC, 0, 0,
                             "COMMIT: a statement of the transaction had "
                             "failed, so it was rolled back");
    }
    PQclear(res);
    return rc;
}

int vouch__pg_int_query(void *c, const char *sql, int n,
                        const char *const *values, int64_t *out,
                        const char *step, vouch_error *err)
{
    PGresult *res = NULL;
    int rc;

    *out = 0;
    rc = vouch__pg_run(c, sql, n, values, &res, step, err);
    if (rc < 0) {
        return rc;
    }
    if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
        *out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    }
    PQclear(res);
    return 0;
}

static int pg_migrate(void *vc, vouch_error *err)
{
    pg_conn *c = vc;
    bool locked = false;
    char step[64];
    char num[16];
    const char *args[1];
    PGresult *res = NULL;
    size_t i;
    int rc;

    rc = vouch__pg_cmd(c, "SELECT pg_advisory_lock(" PG_MIGRATE_LOCK ")",
                       "migrate: take the migration lock", err);
    if (rc < 0) {
        goto cleanup;
    }
    locked = true;
    rc = vouch__pg_cmd(c, "BEGIN", "migrate: BEGIN", err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = vouch__pg_cmd(c, VOUCH__SCHEMA_VERSION_DDL,
                       "migrate: create schema_version", err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = vouch__store_migrations_pending(&vouch__store_postgres, c, PG_SRC,
                                         &i, err);
    if (rc < 0) {
        goto cleanup;
    }
    for (; i < VOUCH__STORE_MIGRATION_COUNT; i++) {
        const vouch__store_migration *m = &vouch__store_migrations[i];

        snprintf(step, sizeof(step), "migrate: migration %d", m->version);
        /* Several statements: PQexec (the simple protocol) runs them. */
        res = PQexec(c->pg, m->postgres);
        if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
            rc = pg_fail(c, res, step, err);
            goto cleanup;
        }
        PQclear(res);
        res = NULL;
        snprintf(num, sizeof(num), "%d", m->version);
        args[0] = num;
        rc = vouch__pg_run(c, "INSERT INTO schema_version (version, "
                           "applied_at) VALUES ($1, to_char(now() AT TIME "
                           "ZONE 'UTC', "
                           "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))",
                           1, args, &res, step, err);
        if (rc < 0) {
            goto cleanup;
        }
        PQclear(res);
        res = NULL;
    }
    rc = pg_commit(c, err);

cleanup:
    PQclear(res);
    pg_rollback(c);
    if (locked) {
        res = PQexec(c->pg, "SELECT pg_advisory_unlock(" PG_MIGRATE_LOCK
                     ")");
        PQclear(res);
    }
    return rc;
}

static int pg_ping(void *vc, vouch_error *err)
{
    int64_t one = 0;

    return vouch__pg_int_query(vc, "SELECT 1", 0, NULL, &one, "ping", err);
}

static int field_dup(const PGresult *res, int row, int col, char **out)
{
    *out = NULL;
    if (PQgetisnull(res, row, col)) {
        return 0;
    }
    *out = vutil_strndup(PQgetvalue(res, row, col),
                         (size_t)PQgetlength(res, row, col));
    return *out == NULL ? VOUCH_ENOMEM : 0;
}

static int row_to_resource(const PGresult *res, int row, vouch_resource *r,
                           vouch_error *err)
{
    char **fields[9];
    int i;

    vouch__store_row_fields(r, fields);
    for (i = 0; i < 9; i++) {
        if (field_dup(res, row, i, fields[i]) < 0) {
            vouch_resource_clear(r);
            return vutil_error_set(err, VOUCH_ENOMEM, PG_SRC, 0, 0,
                                   "out of memory reading a row");
        }
    }
    return 0;
}

static int pg_get(void *vc, const char *kind, const char *name,
                  vouch_resource *out, vouch_error *err)
{
    const char *args[2] = { kind, name };
    PGresult *res = NULL;
    int rc;

    rc = vouch__pg_run(vc, "SELECT " PG_COLUMNS " FROM resources "
                       "WHERE kind = $1 AND name = $2", 2, args, &res, "get",
                       err);
    if (rc < 0) {
        return rc;
    }
    if (PQntuples(res) == 0) {
        rc = vutil_error_set(err, VOUCH_ENOTFOUND, PG_SRC, 0, 0,
                             "%s not found", name);
    } else {
        rc = row_to_resource(res, 0, out, err);
    }
    PQclear(res);
    return rc;
}

/* Rows changed by the command of `res`. */
static long changes(const PGresult *res)
{
    return strtol(PQcmdTuples((PGresult *)res), NULL, 10);
}

static int pg_change(void *c, const char *sql, int n,
                     const char *const *values, bool *changed,
                     const char *step, vouch_error *err)
{
    PGresult *res = NULL;
    int rc;

    *changed = false;
    rc = vouch__pg_run(c, sql, n, values, &res, step, err);
    if (rc == 0) {
        *changed = changes(res) > 0;
    }
    PQclear(res);
    return rc;
}

int vouch__pg_fail(pg_conn *c, const PGresult *res, const char *step,
                   vouch_error *err)
{
    return pg_fail(c, res, step, err);
}

static int pg_list(void *vc, const vouch_resource_query *q,
                   const char *pos, size_t limit, vouch_resource **items,
                   size_t *count, vouch_error *err)
{
    pg_conn *c = vc;
    vouch__list_sql sql;
    const char *args[VOUCH__LIST_ARGS_MAX + 1];
    char limit_text[24];
    vouch_resource *rows = NULL;
    PGresult *res = NULL;
    int nargs;
    int ntuples;
    int i;
    int rc;

    *items = NULL;
    *count = 0;
    vouch__list_sql_build(&sql, PG_COLUMNS, q, pos, '$', true);
    for (nargs = 0; nargs < sql.nargs; nargs++) {
        args[nargs] = sql.args[nargs];
    }
    snprintf(limit_text, sizeof(limit_text), "%zu", limit);
    args[nargs++] = limit_text;
    rc = vouch__pg_run(c, sql.text, nargs, args, &res, "list", err);
    if (rc < 0) {
        return rc;
    }
    ntuples = PQntuples(res);
    if (ntuples > 0) {
        rows = calloc((size_t)ntuples, sizeof(*rows));
        if (rows == NULL) {
            rc = vutil_error_set(err, VOUCH_ENOMEM, PG_SRC, 0, 0,
                                 "out of memory for %d rows", ntuples);
            goto cleanup;
        }
    }
    for (i = 0; i < ntuples; i++) {
        rc = row_to_resource(res, i, &rows[i], err);
        if (rc < 0) {
            for (; i > 0; i--) {
                vouch_resource_clear(&rows[i - 1]);
            }
            free(rows);
            rows = NULL;
            goto cleanup;
        }
    }
    *items = rows;
    *count = (size_t)ntuples;
    rows = NULL;

cleanup:
    PQclear(res);
    return rc;
}

/* EXPLAIN of the list: the plan's lines. */
static int pg_list_plan(void *vc, const vouch_resource_query *q,
                        char **out, vouch_error *err)
{
    pg_conn *c = vc;
    vouch__list_sql sql;
    char text[sizeof(sql.text) + 16];
    PGresult *res = NULL;
    size_t used = 0;
    size_t size = 1;
    char *plan;
    int i;
    int rc;

    *out = NULL;
    vouch__list_sql_build(&sql, PG_COLUMNS, q, NULL, '$', false);
    snprintf(text, sizeof(text), "EXPLAIN %s", sql.text);
    rc = vouch__pg_run(c, text, sql.nargs, sql.args, &res, "list plan",
                       err);
    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < PQntuples(res); i++) {
        size += strlen(PQgetvalue(res, i, 0)) + 1;
    }
    plan = malloc(size);
    if (plan == NULL) {
        PQclear(res);
        return vutil_error_set(err, VOUCH_ENOMEM, PG_SRC, 0, 0,
                               "out of memory");
    }
    plan[0] = '\0';
    for (i = 0; i < PQntuples(res); i++) {
        used += (size_t)snprintf(plan + used, size - used, "%s\n",
                                 PQgetvalue(res, i, 0));
    }
    PQclear(res);
    *out = plan;
    return 0;
}

static int pg_page_key(void *vc, const char *fresh, char **out,
                       vouch_error *err)
{
    PGresult *res = NULL;
    int rc;

    *out = NULL;
    rc = vouch__pg_run(vc, "INSERT INTO page_token_key (id, key) "
                       "VALUES (1, $1) ON CONFLICT (id) DO NOTHING", 1,
                       &fresh, &res, "page token key", err);
    PQclear(res);
    res = NULL;
    if (rc < 0) {
        return rc;
    }
    rc = vouch__pg_run(vc, "SELECT key FROM page_token_key WHERE id = 1", 0,
                       NULL, &res, "page token key", err);
    if (rc < 0) {
        return rc;
    }
    if (PQntuples(res) != 1 || field_dup(res, 0, 0, out) < 0 ||
        *out == NULL) {
        rc = vutil_error_set(err, VOUCH_EIO, PG_SRC, 0, 0,
                             "page token key: cannot read it back");
    }
    PQclear(res);
    return rc;
}

/* The generation bump also tells every watch (postgres_watch.c) of a
 * cached kind's new generation. */
static const vouch__store_sql pg_sql = {
    "INSERT INTO resources (" PG_COLUMNS ") VALUES "
    "($1, $2, $3, $4, $5, $6, $7, $8, $9) "
    "ON CONFLICT (kind, name) DO NOTHING",
    "UPDATE resources SET json = $3, etag = $4, "
    "update_time = $5, attr1 = $6, attr2 = $7 "
    "WHERE kind = $1 AND name = $2",
    "UPDATE resources SET json = $3, etag = $4, "
    "update_time = $5, attr1 = $6, attr2 = $7 "
    "WHERE kind = $1 AND name = $2 AND etag = $8",
    "DELETE FROM resources WHERE kind = $1 AND name = $2",
    "DELETE FROM resources WHERE kind = $1 AND name = $2 AND etag = $3",
    "SELECT count(*) FROM resources WHERE kind = $1 AND name = $2",
    "WITH bumped AS (INSERT INTO generations "
    "(kind, value) VALUES ($1, 1) ON CONFLICT (kind) DO "
    "UPDATE SET value = generations.value + 1 "
    "RETURNING kind, value) "
    "SELECT pg_notify('" PG_CHANNEL "', "
    "kind || ' ' || value) FROM bumped "
    "WHERE kind IN " VOUCH__CACHED_KINDS,
    "SELECT count(*) FROM resources WHERE kind = $1",
    "SELECT count(*) FROM resources WHERE kind = $1 AND attr1 = $2",
    "SELECT value FROM generations WHERE kind = $1",
    "SELECT coalesce(max(version), 0) FROM schema_version",
};

const vouch__store_backend vouch__store_postgres = {
    "postgres",
    pg_open,
    pg_close,
    vouch__pg_conn_open,
    vouch__pg_conn_close,
    pg_conn_healthy,
    pg_migrate,
    pg_ping,
    pg_begin,
    pg_commit,
    pg_rollback,
    pg_get,
    pg_change,
    vouch__pg_int_query,
    &pg_sql,
    NULL,   /* the generation: the statement (the read cache holds epochs) */
    pg_list,
    pg_list_plan,
    vouch__pg_watch_open,
    vouch__pg_watch_ready,
    vouch__pg_watch_pending,
    vouch__pg_watch_read,
    vouch__pg_watch_ack,
    vouch__pg_watchers,
    vouch__pg_watch_close,
    pg_page_key,
    vouch__pg_bulk_create,
};
