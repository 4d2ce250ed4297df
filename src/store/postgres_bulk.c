/*
 * vouch — the PostgreSQL backend's bulk insert (backend.h, bulk_create):
 * COPY resources FROM STDIN in text format, the rows streamed with
 * PQputCopyData in buffers of BULK_CHUNK bytes, inside a savepoint of the
 * open write transaction (a failed COPY would otherwise abort the
 * caller's whole transaction). COPY parses and inserts without a round
 * trip per row: tens of thousands of rows per second where one INSERT per
 * statement gives a few thousand (docs/store.md, Figures).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "postgres_internal.h"
#include "vutil_error.h"

#define BULK_CHUNK (256u * 1024u)

#define BULK_COPY \
    "COPY resources (kind, name, parent, json, etag, create_time," \
    " update_time, attr1, attr2) FROM STDIN"

typedef struct copy_buf {
    pg_conn *c;
    char *data;
    size_t used;
} copy_buf;

static int flush(copy_buf *b, vouch_error *err)
{
    if (b->used > 0 &&
        PQputCopyData(b->c->pg, b->data, (int)b->used) != 1) {
        return vouch__pg_fail(b->c, NULL, "bulk_create: COPY data", err);
    }
    b->used = 0;
    return 0;
}

/* Append `len` bytes, flushing first when they would not fit (a field
 * longer than the buffer is sent in pieces: COPY reads a stream). */
static int put(copy_buf *b, const char *s, size_t len, vouch_error *err)
{
    while (len > 0) {
        size_t room = BULK_CHUNK - b->used;
        size_t n = len < room ? len : room;
        int rc;

        memcpy(b->data + b->used, s, n);
        b->used += n;
        s += n;
        len -= n;
        if (b->used == BULK_CHUNK && (rc = flush(b, err)) < 0) {
            return rc;
        }
    }
    return 0;
}

/* One field in COPY's text format: NULL is \N; backslash, tab, newline
 * and carriage return are escaped (the only bytes COPY treats
 * specially). */
static int put_field(copy_buf *b, const char *v, vouch_error *err)
{
    const char *run;
    const char *p;
    char esc[2] = { '\\', 0 };
    int rc = 0;

    if (v == NULL) {
        return put(b, "\\N", 2, err);
    }
    for (run = p = v; *p != '\0' && rc == 0; p++) {
        char e = *p == '\\' ? '\\' : *p == '\t' ? 't' : *p == '\n' ? 'n'
               : *p == '\r' ? 'r' : 0;

        if (e == 0) {
            continue;
        }
        rc = put(b, run, (size_t)(p - run), err);
        esc[1] = e;
        if (rc == 0) {
            rc = put(b, esc, 2, err);
        }
        run = p + 1;
    }
    return rc == 0 ? put(b, run, (size_t)(p - run), err) : rc;
}

static int put_row(copy_buf *b, const vouch_resource *r, vouch_error *err)
{
    const char *v[9];
    int i;
    int rc = 0;

    vouch__store_row_values(r, v);
    for (i = 0; i < 9 && rc == 0; i++) {
        rc = put_field(b, v[i], err);
        if (rc == 0) {
            rc = put(b, i < 8 ? "\t" : "\n", 1, err);
        }
    }
    return rc;
}

/* The COPY's outcome; a taken name (SQLSTATE 23505) is VOUCH_ECONFLICT
 * with PostgreSQL's detail, which names the key. */
static int copy_result(pg_conn *c, vouch_error *err)
{
    PGresult *res;
    int rc = 0;

    while ((res = PQgetResult(c->pg)) != NULL) {
        if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK) {
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            const char *detail =
                PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);

            if (state != NULL && strcmp(state, "23505") == 0) {
                rc = vouch__store_error(err, VOUCH_ECONFLICT, PG_SRC,
                                        "bulk_create: a name already "
                                        "exists: %s",
                                        detail != NULL ? detail
                                                       : "(no detail)");
            } else {
                rc = vouch__pg_fail(c, res, "bulk_create: COPY", err);
            }
        }
        PQclear(res);
    }
    return rc;
}

static int copy_rows(pg_conn *c, const vouch_resource *items, size_t count,
                     vouch_error *err)
{
    copy_buf b = { c, NULL, 0 };
    PGresult *res;
    size_t i;
    int rc = 0;

    b.data = malloc(BULK_CHUNK);
    if (b.data == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, PG_SRC, 0, 0,
                               "bulk_create: out of memory");
    }
    res = PQexec(c->pg, BULK_COPY);
    if (res == NULL || PQresultStatus(res) != PGRES_COPY_IN) {
        rc = vouch__pg_fail(c, res, "bulk_create: COPY", err);
        PQclear(res);
        free(b.data);
        return rc;
    }
    PQclear(res);
    for (i = 0; i < count && rc == 0; i++) {
        rc = put_row(&b, &items[i], err);
    }
    if (rc == 0) {
        rc = flush(&b, err);
    }
    free(b.data);
    /* On a local failure, end the COPY with an error so that nothing of
     * it is kept; the server's answer is then read and dropped. */
    if (PQputCopyEnd(c->pg, rc == 0 ? NULL : "bulk_create failed") != 1 &&
        rc == 0) {
        rc = vouch__pg_fail(c, NULL, "bulk_create: COPY end", err);
    }
    if (rc < 0) {
        vouch_error ignored = VOUCH_ERROR_INIT;

        copy_result(c, &ignored);
        return rc;
    }
    return copy_result(c, err);
}

int vouch__pg_bulk_create(void *vc, const vouch_resource *items,
                          size_t count, const char *const *kinds,
                          size_t nkinds, vouch_error *err)
{
    pg_conn *c = vc;
    vouch_error ignored = VOUCH_ERROR_INIT;
    size_t k;
    int released;
    int rc;

    rc = vouch__pg_cmd(c, "SAVEPOINT vouch_bulk", "bulk_create: SAVEPOINT",
                       err);
    if (rc < 0) {
        return rc;
    }
    rc = copy_rows(c, items, count, err);
    for (k = 0; k < nkinds && rc == 0; k++) {
        rc = vouch__store_bump(&vouch__store_postgres, c, kinds[k],
                               err);
    }
    if (rc < 0) {
        /* Undo this call's rows only; keep the caller's transaction. */
        vouch__pg_cmd(c, "ROLLBACK TO SAVEPOINT vouch_bulk",
                      "bulk_create: ROLLBACK TO SAVEPOINT", &ignored);
    }
    released = vouch__pg_cmd(c, "RELEASE SAVEPOINT vouch_bulk",
                             "bulk_create: RELEASE",
                             rc < 0 ? &ignored : err);
    return rc < 0 ? rc : released;
}
