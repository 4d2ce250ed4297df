/*
 * vouch — the store's private backend interface. store.c owns the public
 * functions: URL dispatch, the connection pool (mutex + condition
 * variable), argument checks, transaction bookkeeping, implicit
 * transactions with retries, and page tokens. A backend (sqlite.c,
 * postgres.c) only runs SQL on one connection.
 *
 * Every backend function that can fail returns 0 or a negative code and
 * fills `err` with the SQL step that failed and the driver's message.
 * VOUCH_ERETRY means "the transaction was rolled back by the
 * database (serialization failure, deadlock, busy snapshot); running it
 * again may succeed"; store.c never returns it to callers.
 */
#ifndef VOUCH_STORE_BACKEND_H
#define VOUCH_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Default and largest page sizes of vouch_store_list. */
#define VOUCH__STORE_PAGE_DEFAULT 100u
#define VOUCH__STORE_PAGE_MAX     1000u

/* Longest resource name a page token may carry. */
#define VOUCH__STORE_NAME_MAX     4096u

/* News heard by a watch. Not `ack`: `kind` changed, and its generation
 * is now `value` (0: not told); a NULL kind means "could be anything".
 * `ack`: a watch (any process's, this one's included) confirms it has
 * heard `kind` reach generation `value`. */
typedef void (*vouch__store_changed)(void *arg, bool ack, const char *kind,
                                     uint64_t value);

/* One backend's SQL for the statements whose logic is the same for both
 * (statements.c); the parameters are numbered as listed. */
typedef struct vouch__store_sql {
    /* 1-9: the row (vouch__store_row_values); a taken name does nothing */
    const char *insert;
    /* 1 kind, 2 name, 3 json, 4 etag, 5 update_time, 6 attr1, 7 attr2;
     * update_etag: only where the etag is 8 */
    const char *update;
    const char *update_etag;
    /* 1 kind, 2 name; erase_etag: only where the etag is 3 */
    const char *erase;
    const char *erase_etag;
    /* count(*) of 1 kind, 2 name */
    const char *exists;
    /* add one to the generation of 1 kind (a write changed it) */
    const char *bump;
    /* count(*) of 1 kind; count_attr1: and 2 attr1 */
    const char *count;
    const char *count_attr1;
    /* the generation of 1 kind */
    const char *generation;
    /* the highest migration applied */
    const char *schema_version;
} vouch__store_sql;

typedef struct vouch__store_backend {
    const char *name;   /* "sqlite" or "postgres" */

    /* Parse the URL (scheme already checked) into backend state `*out`
     * shared by all connections (at most `connections` at once); create
     * directories. No connection. */
    int (*open)(void **out, const char *url, unsigned connections,
                vouch_error *err);
    void (*close)(void *db);

    /* One connection; the first one opened is passed to migrate(). */
    int (*conn_open)(void *db, void **out, vouch_error *err);
    void (*conn_close)(void *conn);
    /* False when the connection is broken and must not be reused. */
    bool (*conn_healthy)(void *conn);

    int (*migrate)(void *conn, vouch_error *err);
    int (*ping)(void *conn, vouch_error *err);

    int (*begin)(void *conn, bool write, vouch_error *err);
    int (*commit)(void *conn, vouch_error *err);
    void (*rollback)(void *conn);

    int (*get)(void *conn, const char *kind, const char *name,
               vouch_resource *out, vouch_error *err);
    /* Run `sql` (of this backend's `sql` table, or another literal that
     * outlives the connection: SQLite keeps statements prepared by
     * address) with `n` text `values` ($1.., ?1..; NULL is SQL NULL).
     * change: `*changed` tells whether it changed a row. int_query: the
     * first column of the first row, 0 when there is none. `step` names
     * the statement in errors. */
    int (*change)(void *conn, const char *sql, int n,
                  const char *const *values, bool *changed,
                  const char *step, vouch_error *err);
    int (*int_query)(void *conn, const char *sql, int n,
                     const char *const *values, int64_t *out,
                     const char *step, vouch_error *err);
    /* The statements store.c runs through them (statements.c), in this
     * backend's dialect. */
    const struct vouch__store_sql *sql;
    /* The generation of `kind`, where the backend knows a cheaper way
     * than sql->generation (SQLite: remembered between commits); NULL:
     * that statement. */
    int (*generation)(void *conn, const char *kind, uint64_t *out,
                      vouch_error *err);
    /* Up to `limit` rows matching `q`'s filters and bounds (after,
     * before) past the resume position `pos` (NULL: from the first),
     * ordered by name (q->descending: from the last, and past `pos`
     * means below it). `*items` is calloc'd. */
    int (*list)(void *conn, const vouch_resource_query *q,
                const char *pos, size_t limit, vouch_resource **items,
                size_t *count, vouch_error *err);
    /* The plan of the same query (without `pos`), one step a line, in
     * `*out` (malloc'd). */
    int (*list_plan)(void *conn, const vouch_resource_query *q, char **out,
                     vouch_error *err);

    /* Hearing about changes committed by any process, for the read
     * cache (cache.c). All NULL when the database cannot tell (SQLite):
     * then nothing is cached. A watch is one connection owned by one
     * thread, except watch_pending, which any thread may call while the
     * watch is open. */
    int (*watch_open)(void *db, void **out, vouch_error *err);
    /* Wait up to `timeout_ms` for news: > 0 when there are some to read,
     * 0 on timeout, < 0 on a poll failure. */
    int (*watch_ready)(void *watch, int timeout_ms);
    /* True while news wait on the connection, not yet read. */
    bool (*watch_pending)(void *watch);
    /* Read what arrived without blocking and call `changed` for each
     * change. 0, or VOUCH_EIO when the connection is lost. */
    int (*watch_read)(void *watch, vouch__store_changed changed, void *arg,
                      vouch_error *err);
    /* Tell every watch that this one heard `kind` reach `value`. */
    int (*watch_ack)(void *watch, const char *kind, uint64_t value,
                     vouch_error *err);
    /* How many watches listen on the database now (on a pool
     * connection, outside a transaction). */
    int (*watchers)(void *conn, uint64_t *out, vouch_error *err);
    void (*watch_close)(void *watch);

    /* The page-token key (migration 3), outside any transaction: store
     * `fresh` (hex) unless a key exists, then read the stored one into
     * `*out` (malloc'd hex). Two processes opening one new database at
     * once read the same key. */
    int (*page_key)(void *conn, const char *fresh, char **out,
                    vouch_error *err);

    /* Insert `count` checked resources (store.c checked every field) in
     * the open write transaction, then add one to the generation of each
     * of the `nkinds` distinct `kinds`. All or nothing: on any failure
     * the backend undoes its own rows (a savepoint), so the caller's
     * transaction stays usable. A name that exists, or that two items
     * share, is VOUCH_ECONFLICT naming it. */
    int (*bulk_create)(void *conn, const vouch_resource *items,
                       size_t count, const char *const *kinds,
                       size_t nkinds, vouch_error *err);
} vouch__store_backend;

/*
 * As vutil_error_set without a position, but VOUCH_ERETRY (which never
 * leaves the store) is stored in err->code as VOUCH_EABORTED. Returns
 * `code`.
 */
int vouch__store_error(vouch_error *err, int code, const char *source,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Every required field of `r` is set: VOUCH_EINVAL "OP: FIELD is
 * required" otherwise (OP names the operation, and the item of a bulk
 * create). */
int vouch__store_check_resource(const vouch_resource *r, const char *op,
                                vouch_error *err);

/* The nine columns of a resources row, in the table's order (kind,
 * name, parent, json, etag, create_time, update_time, attr1, attr2): what
 * the backends' INSERTs bind, and where their row readers copy to. Inline
 * because reading rows is on the request path. */
static inline void vouch__store_row_values(const vouch_resource *r,
                                           const char *v[9])
{
    v[0] = r->kind;
    v[1] = r->name;
    v[2] = r->parent;
    v[3] = r->json;
    v[4] = r->etag;
    v[5] = r->create_time;
    v[6] = r->update_time;
    v[7] = r->attr1;
    v[8] = r->attr2;
}

static inline void vouch__store_row_fields(vouch_resource *r, char **f[9])
{
    f[0] = &r->kind;
    f[1] = &r->name;
    f[2] = &r->parent;
    f[3] = &r->json;
    f[4] = &r->etag;
    f[5] = &r->create_time;
    f[6] = &r->update_time;
    f[7] = &r->attr1;
    f[8] = &r->attr2;
}

/* The operations built once over a backend's change and int_query
 * (statements.c): the same arguments, checks and errors whatever the
 * database; only the SQL text is the backend's. A write that changes no
 * row is told apart (absent, or another etag) in the same words. */
int vouch__store_create(const vouch__store_backend *be, void *conn,
                        const vouch_resource *r, vouch_error *err);
int vouch__store_replace(const vouch__store_backend *be, void *conn,
                         const vouch_resource *r, const char *expected_etag,
                         bool upsert, vouch_error *err);
int vouch__store_remove(const vouch__store_backend *be, void *conn,
                        const char *kind, const char *name,
                        const char *expected_etag, vouch_error *err);
/* Add one to the generation of `kind` (also after a bulk insert). */
int vouch__store_bump(const vouch__store_backend *be, void *conn,
                      const char *kind, vouch_error *err);
int vouch__store_count(const vouch__store_backend *be, void *conn,
                       const char *kind, const char *attr1, uint64_t *out,
                       vouch_error *err);
int vouch__store_generation(const vouch__store_backend *be, void *conn,
                            const char *kind, uint64_t *out,
                            vouch_error *err);
int vouch__store_schema_version(const vouch__store_backend *be, void *conn,
                                int *out, vouch_error *err);
/* A migration's start, in its transaction once schema_version exists:
 * `*first`, the index in vouch__store_migrations of the first migration
 * the database lacks (VOUCH__STORE_MIGRATION_COUNT when none); a database
 * newer than this vouch knows fails with VOUCH_EIO from `source`. */
int vouch__store_migrations_pending(const vouch__store_backend *be,
                                    void *conn, const char *source,
                                    size_t *first, vouch_error *err);

/* vouch_store_bulk_create (bulk.c) after its checks: the backend's
 * bulk_create as one write operation (store.c's run_op: in the caller's
 * transaction, or in one of its own with retries). */
int vouch__store_bulk(vouch_store_conn *conn, const vouch_resource *items,
                      size_t count, const char *const *kinds, size_t nkinds,
                      vouch_error *err);

/* The backends' bulk_create (sqlite_bulk.c, postgres_bulk.c). */
int vouch__sq_bulk_create(void *conn, const vouch_resource *items,
                          size_t count, const char *const *kinds,
                          size_t nkinds, vouch_error *err);
int vouch__pg_bulk_create(void *conn, const vouch_resource *items,
                          size_t count, const char *const *kinds,
                          size_t nkinds, vouch_error *err);

extern const vouch__store_backend vouch__store_sqlite;
extern const vouch__store_backend vouch__store_postgres;

#endif /* VOUCH_STORE_BACKEND_H */
