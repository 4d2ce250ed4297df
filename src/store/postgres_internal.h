/*
 * vouch — what the PostgreSQL backend's two files share: postgres.c (the
 * connections, transactions, migrations and resources) and
 * postgres_watch.c (LISTEN/NOTIFY for the read cache).
 */
#ifndef VOUCH_STORE_POSTGRES_H
#define VOUCH_STORE_POSTGRES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "backend.h"

#define PG_SRC "postgres"

/* The channel that generation changes are announced on, the one that
 * watches confirm hearing them on, and the name of a watch connection. */
#define PG_CHANNEL "vouch_changes"
#define PG_ACK_CHANNEL "vouch_acks"
#define PG_WATCH_NAME "vouch-watch"

typedef struct pg_db {
    char *url;
    char *redacted;
} pg_db;

typedef struct pg_conn {
    PGconn *pg;
    pg_db *db;
} pg_conn;

/* The message of `res` (or of the connection) without the newline. */
void vouch__pg_message(pg_conn *c, const PGresult *res, char *buf,
                       size_t size);

/*
 * Run `sql` with text parameters (NULL values are SQL NULL). On success
 * `*out` holds the result (caller PQclear()s it); on failure it is NULL.
 */
int vouch__pg_run(pg_conn *c, const char *sql, int n,
                  const char *const *values, PGresult **out,
                  const char *step, vouch_error *err);

/* Fill `err` from `res` (or the connection), naming the step; a
 * serialization failure or deadlock is VOUCH_ERETRY. */
int vouch__pg_fail(pg_conn *c, const PGresult *res, const char *step,
                   vouch_error *err);

/* Run `sql` without parameters, for its effect. */
int vouch__pg_cmd(pg_conn *c, const char *sql, const char *step,
                  vouch_error *err);

/* One integer from a one-row, one-column query. */
int vouch__pg_int_query(void *c, const char *sql, int n,
                        const char *const *values, int64_t *out,
                        const char *step, vouch_error *err);

/* A connection of the database `vdb` (pg_db), and its end. */
int vouch__pg_conn_open(void *vdb, void **out, vouch_error *err);
void vouch__pg_conn_close(void *vc);

/* The watch functions of the backend (postgres_watch.c; backend.h says
 * what each does). */
int vouch__pg_watch_open(void *vdb, void **out, vouch_error *err);
int vouch__pg_watch_ready(void *vw, int timeout_ms);
bool vouch__pg_watch_pending(void *vw);
int vouch__pg_watch_read(void *vw, vouch__store_changed changed, void *arg,
                         vouch_error *err);
int vouch__pg_watch_ack(void *vw, const char *kind, uint64_t value,
                        vouch_error *err);
int vouch__pg_watchers(void *vc, uint64_t *out, vouch_error *err);
void vouch__pg_watch_close(void *vw);

#endif /* VOUCH_STORE_POSTGRES_H */
