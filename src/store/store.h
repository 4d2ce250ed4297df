/*
 * vouch — the store: one interface for the API server and the run
 * platform, implemented by SQLite (sqlite.c, the default, embedded) and
 * PostgreSQL (postgres.c, for several vouchd replicas on one database).
 * No SQL exists outside src/store/.
 *
 * The store keeps *resources*: a kind ("policy", "attestor", "note",
 * "occurrence", and later the run platform's kinds), a full resource name
 * ("projects/p/attestors/a"), the parent collection it is listed under
 * ("projects/p"), the resource's canonical JSON, an etag, create and
 * update times, and up to two indexed attributes used by list filters
 * (occurrences: attr1 = noteName, attr2 = resourceUri). The API layer owns
 * the JSON; the store never parses it.
 *
 * Every request runs in one transaction (vouch_store_begin ... commit or
 * rollback). Writes inside it are atomic and durable once commit returns
 * 0 (SQLite WAL with synchronous=FULL; PostgreSQL's default).
 *
 * Each kind has a change counter ("generation") that every write of that
 * kind increments in the same transaction; a process that caches a
 * compiled policy or attestors checks it (cheap, one row) and reloads when
 * it moved, so two vouchd processes on one database never serve each other
 * stale data.
 *
 * With PostgreSQL, vouch_store_get of a policy or an attestor outside a
 * transaction is answered from an in-memory cache that LISTEN/NOTIFY
 * keeps exact (cache.h tells how); reads inside a transaction always go
 * to the database.
 *
 * Thread safety: a vouch_store is a pool; vouch_store_acquire() gives a
 * connection (vouch_store_conn) to one thread for one request. Connections
 * are not thread-safe; the store is.
 */
#ifndef VOUCH_STORE_H
#define VOUCH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vouch/common.h"

typedef struct vouch_store vouch_store;
typedef struct vouch_store_conn vouch_store_conn;

typedef struct vouch_resource {
    char *kind;
    char *name;
    char *parent;
    char *json;          /* canonical JSON text of the resource */
    char *etag;
    char *create_time;   /* RFC 3339 UTC, e.g. 2026-11-29T12:00:00.123456Z */
    char *update_time;
    char *attr1;         /* may be NULL */
    char *attr2;         /* may be NULL */
} vouch_resource;

typedef struct vouch_resource_page {
    vouch_resource *items;
    size_t count;
    char *next_page_token;  /* NULL when this is the last page */
} vouch_resource_page;

/* A list query. NULL fields do not filter. Results are ordered by name. */
typedef struct vouch_resource_query {
    const char *kind;
    const char *parent;
    const char *attr1;       /* exact match */
    const char *attr2;       /* exact match */
    size_t page_size;        /* 0: the store's default (100); larger
                                than 1000 is lowered to 1000 */
    const char *page_token;  /* from a previous page of this same query
                                (kind, parent, attr1, attr2), or NULL */
    const char *after;       /* only names > after (the caller's own
                                position, never a client's); NULL: from
                                the start */
    const char *before;      /* only names < before (the caller's own
                                bound); NULL: to the end */
    bool descending;         /* ordered by name from the last; a page
                                token then resumes below its position */
} vouch_resource_query;

/**
 * Open a store from a URL: "sqlite:PATH" (the file and its directory are
 * created; schema migrated) or "postgres://..." / "postgresql://..."
 * (libpq connection URI; schema migrated under an advisory lock).
 *
 * @param pool_size  connections for PostgreSQL (SQLite: one per thread,
 *                   opened lazily, same limit).
 * @return 0; VOUCH_EINVAL (unknown scheme); VOUCH_EIO (cannot open or
 *         migrate: the message says why); VOUCH_ENOMEM.
 */
int vouch_store_open(vouch_store **out, const char *url, size_t pool_size,
                     vouch_error *err);
/* Close every connection. NULL is a no-op. Call after all releases. */
void vouch_store_close(vouch_store *store);
/* "sqlite" or "postgres". */
const char *vouch_store_backend(const vouch_store *store);
/* Reads answered by the read cache, and reads it could not answer (both
 * 0 for a store without one). Any thread. */
void vouch_store_cache_stats(vouch_store *store, uint64_t *hits,
                             uint64_t *misses);
/* The schema version after migration. */
int vouch_store_schema_version(vouch_store *store, int *out,
                               vouch_error *err);

/* Take a connection for one request (blocks while all are in use). */
int vouch_store_acquire(vouch_store *store, vouch_store_conn **out,
                        vouch_error *err);
/* Give it back; rolls back an open transaction. NULL is a no-op. */
void vouch_store_release(vouch_store_conn *conn);
/* Is the database reachable (for /readyz)? 0 or VOUCH_EIO. */
int vouch_store_ping(vouch_store_conn *conn, vouch_error *err);

/* Transactions. `write` takes the write lock up front (SQLite BEGIN
 * IMMEDIATE), so a read-modify-write never fails half-way. */
int vouch_store_begin(vouch_store_conn *conn, bool write, vouch_error *err);
int vouch_store_commit(vouch_store_conn *conn, vouch_error *err);
void vouch_store_rollback(vouch_store_conn *conn);

/* Get one resource by kind and name. VOUCH_ENOTFOUND when absent.
 * Caller frees `out` fields with vouch_resource_clear(). */
int vouch_store_get(vouch_store_conn *conn, const char *kind,
                    const char *name, vouch_resource *out, vouch_error *err);

/*
 * Insert `count` resources in one go (loading a database, restoring a
 * dump, a benchmark's fill): SQLite runs one prepared INSERT for every
 * row, PostgreSQL one COPY ... FROM STDIN (PQputCopyData). All or
 * nothing: every item is checked first (each field as for create;
 * VOUCH_EINVAL names "items[i]" and the field), and a name that exists
 * or that two items share is VOUCH_ECONFLICT naming it; then nothing was
 * written. The generation of each distinct kind in `items` goes up by
 * one (not by one per row: it only tells caches that the kind changed).
 *
 * Inside the caller's write transaction it is part of that transaction
 * (a failure undoes only its own rows); outside one it runs in a
 * transaction of its own. The whole batch is one transaction: a caller
 * loading millions of rows calls it once per batch (10,000 to 100,000
 * rows each keep memory and the database's transaction modest).
 * count 0 writes nothing and returns 0.
 *
 * Ownership: `items` and its strings stay the caller's; nothing is kept
 * after the call returns. Thread safety: as the connection (one thread
 * at a time per vouch_store_conn; other connections of the store may
 * write meanwhile, queued on the write lock).
 */
int vouch_store_bulk_create(vouch_store_conn *conn,
                            const vouch_resource *items, size_t count,
                            vouch_error *err);

/* Insert; VOUCH_ECONFLICT when the name exists. Every field of `r`
 * but attr1/attr2 is required. Increments the kind's generation. */
int vouch_store_create(vouch_store_conn *conn, const vouch_resource *r,
                       vouch_error *err);

/* Replace json/etag/update_time/attrs of an existing resource. When
 * `expected_etag` is not NULL the stored etag must equal it, else
 * VOUCH_EABORTED and nothing changes. VOUCH_ENOTFOUND when absent.
 * With `upsert`, an absent resource is created instead (but an absent one
 * with an `expected_etag` is VOUCH_EABORTED). A write inside a read
 * transaction is VOUCH_EINVAL; waiting over 5 s for the write lock is
 * VOUCH_EIO. */
int vouch_store_replace(vouch_store_conn *conn, const vouch_resource *r,
                        const char *expected_etag, bool upsert,
                        vouch_error *err);

/* Delete; VOUCH_ENOTFOUND when absent; etag as for replace. */
int vouch_store_delete(vouch_store_conn *conn, const char *kind,
                       const char *name, const char *expected_etag,
                       vouch_error *err);

/* List one page. A page token that is not one this database issued for
 * this query ("page token does not belong to this list") is
 * VOUCH_EINVAL. */
int vouch_store_list(vouch_store_conn *conn, const vouch_resource_query *q,
                     vouch_resource_page *out, vouch_error *err);

/*
 * The database's plan for the query vouch_store_list runs for `q` (SQLite
 * EXPLAIN QUERY PLAN, PostgreSQL EXPLAIN), one line per step, in *out
 * (caller frees with free()): for tests that show which index serves a
 * list. 0, or the error of vouch_store_list.
 */
int vouch_store_list_plan(vouch_store_conn *conn,
                          const vouch_resource_query *q, char **out,
                          vouch_error *err);

/*
 * Page tokens for lists kept outside vouch_store_list (the audit log's
 * entries:list): `position` (a NUL-terminated resume point, at most 4096
 * bytes) sealed with the database's key and bound to `scope` (`count`
 * strings naming the list, each may be NULL; start with a string naming
 * the kind of list, so two kinds of list never share a scope). Any
 * process on the same database opens the token; any other scope, or a
 * changed token, does not.
 *
 * seal: *out is the token (caller frees with free()). 0; VOUCH_EINVAL
 *       (position empty or too long); VOUCH_ECRYPTO; VOUCH_ENOMEM.
 * open: *out is the position (caller frees with free()). 0; VOUCH_EINVAL
 *       ("page token does not belong to this list", "... is too long",
 *       "... is empty"); VOUCH_ECRYPTO; VOUCH_ENOMEM.
 * Thread safety: as the connection.
 */
int vouch_store_page_token_seal(vouch_store_conn *conn,
                                const char *const *scope, size_t count,
                                const char *position, char **out,
                                vouch_error *err);
int vouch_store_page_token_open(vouch_store_conn *conn,
                                const char *const *scope, size_t count,
                                const char *token, char **out,
                                vouch_error *err);

/* Count resources of `kind` whose attr1 equals `attr1` (e.g. occurrences
 * of a note, to refuse deleting a note that has them); a NULL `attr1`
 * counts every resource of the kind. */
int vouch_store_count(vouch_store_conn *conn, const char *kind,
                      const char *attr1, uint64_t *out, vouch_error *err);

/* The change counter of a kind (0 before the first write). */
int vouch_store_generation(vouch_store_conn *conn, const char *kind,
                           uint64_t *out, vouch_error *err);

/*
 * A stamp of `kind`: two equal stamps mean that `kind` did not change in
 * between, as far as this process may know (for keeping derived data,
 * such as verified signatures). Outside a transaction, with PostgreSQL's
 * read cache listening, it costs no round trip (the cache's epoch);
 * otherwise it is the generation. The two never compare equal.
 */
int vouch_store_change_stamp(vouch_store_conn *conn, const char *kind,
                             uint64_t *out, vouch_error *err);

/* Is a transaction open on `conn`? */
bool vouch_store_in_transaction(const vouch_store_conn *conn);

/*
 * Does what `conn` reads now come from committed data only: true outside
 * a transaction, and inside one that has written nothing yet. A cache of
 * derived data (compiled policies) may keep what it read only then: a
 * transaction's own writes may still roll back.
 */
bool vouch_store_reads_committed(const vouch_store_conn *conn);

void vouch_resource_clear(vouch_resource *r);
void vouch_resource_page_clear(vouch_resource_page *page);

#endif /* VOUCH_STORE_H */
