/*
 * vouch — the PostgreSQL backend's watch (backend.h): hearing the
 * changes other processes commit, for the read cache (cache.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "postgres_internal.h"
#include "vutil_error.h"
#include "vutil_str.h"

/*
 * Watching for changes: one connection that LISTENs. `fd` is a dup() of
 * its socket, so that other threads may poll it (watch_pending) while
 * libpq reads on the original, and even after libpq closed that one.
 * Acknowledgements go out on a second connection: a query on the first
 * would pull news into libpq's buffer, where watch_pending cannot see it.
 */
typedef struct pg_watch {
    pg_conn *c;     /* LISTENs, and runs nothing else */
    pg_conn *ack;   /* sends acknowledgements */
    int fd;
} pg_watch;

void vouch__pg_watch_close(void *vw)
{
    pg_watch *w = vw;

    if (w == NULL) {
        return;
    }
    if (w->fd >= 0) {
        close(w->fd);
    }
    vouch__pg_conn_close(w->c);
    vouch__pg_conn_close(w->ack);
    free(w);
}

int vouch__pg_watch_open(void *vdb, void **out, vouch_error *err)
{
    pg_watch *w;
    int rc;

    *out = NULL;
    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, PG_SRC, 0, 0,
                               "out of memory");
    }
    w->fd = -1;
    rc = vouch__pg_conn_open(vdb, (void **)&w->c, err);
    if (rc < 0) {
        free(w);
        return rc;
    }
    rc = vouch__pg_conn_open(vdb, (void **)&w->ack, err);
    if (rc < 0) {
        vouch__pg_watch_close(w);
        return rc;
    }
    rc = vouch__pg_cmd(w->c, "SET application_name = '" PG_WATCH_NAME "'",
                       "watch: name the connection", err);
    if (rc == 0) {
        rc = vouch__pg_cmd(w->c, "LISTEN " PG_CHANNEL, "watch: LISTEN", err);
    }
    if (rc == 0) {
        rc = vouch__pg_cmd(w->c, "LISTEN " PG_ACK_CHANNEL, "watch: LISTEN",
                           err);
    }
    if (rc == 0) {
        /* Close-on-exec, like libpq's own: the run platform's exec
         * runtime starts processes that must not inherit it. */
        w->fd = fcntl(PQsocket(w->c->pg), F_DUPFD_CLOEXEC, 0);
        if (w->fd < 0) {
            rc = vutil_error_set(err, VOUCH_EIO, PG_SRC, 0, 0,
                                 "watch: F_DUPFD_CLOEXEC: %s",
                                 strerror(errno));
        }
    }
    if (rc == 0 && PQsetnonblocking(w->c->pg, 1) != 0) {
        rc = vutil_error_set(err, VOUCH_EIO, PG_SRC, 0, 0,
                             "watch: cannot make the connection "
                             "non-blocking");
    }
    if (rc < 0) {
        vouch__pg_watch_close(w);
        return rc;
    }
    *out = w;
    return 0;
}

int vouch__pg_watch_ready(void *vw, int timeout_ms)
{
    pg_watch *w = vw;
    struct pollfd p;
    int n;

    p.fd = w->fd;
    p.events = POLLIN;
    p.revents = 0;
    n = poll(&p, 1, timeout_ms);
    return n < 0 && errno == EINTR ? 0 : n;
}

bool vouch__pg_watch_pending(void *vw)
{
    return vouch__pg_watch_ready(vw, 0) != 0;
}

int vouch__pg_watch_read(void *vw, vouch__store_changed changed, void *arg,
                         vouch_error *err)
{
    pg_watch *w = vw;
    PGnotify *n;
    char msg[200];

    if (PQconsumeInput(w->c->pg) == 0 ||
        PQstatus(w->c->pg) != CONNECTION_OK) {
        vouch__pg_message(w->c, NULL, msg, sizeof(msg));
        return vutil_error_set(err, VOUCH_EIO, PG_SRC, 0, 0,
                               "watch: connection to %s lost: %s",
                               w->c->db->redacted, msg);
    }
    while ((n = PQnotifies(w->c->pg)) != NULL) {
        char kind[64];
        unsigned long long value = 0;

        int fields = sscanf(n->extra, "%63s %llu", kind, &value);

        if (strcmp(n->relname, PG_ACK_CHANNEL) == 0) {
            if (fields == 2) {
                changed(arg, true, kind, (uint64_t)value);
            }
        } else if (fields >= 1 && strcmp(kind, "*") != 0) {
            /* "KIND VALUE" from a generation bump, "KIND" from the
             * trigger on resources. */
            changed(arg, false, kind, fields == 2 ? (uint64_t)value : 0);
        } else {
            changed(arg, false, NULL, 0);   /* "*": every kind */
        }
        PQfreemem(n);
    }
    return 0;
}

int vouch__pg_watch_ack(void *vw, const char *kind, uint64_t value,
                        vouch_error *err)
{
    pg_watch *w = vw;
    char payload[96];
    const char *args[1] = { payload };
    PGresult *res = NULL;
    int rc;

    snprintf(payload, sizeof(payload), "%s %llu", kind,
             (unsigned long long)value);
    rc = vouch__pg_run(w->ack, "SELECT pg_notify('" PG_ACK_CHANNEL "', $1)",
                       1, args, &res, "watch: acknowledge", err);
    PQclear(res);
    return rc;
}

int vouch__pg_watchers(void *vc, uint64_t *out, vouch_error *err)
{
    int64_t n = 0;
    int rc;

    rc = vouch__pg_int_query(vc, "SELECT count(*) FROM pg_stat_activity WHERE "
                             "application_name = '" PG_WATCH_NAME "' AND "
                             "datname = current_database()", 0, NULL, &n,
                             "count watches", err);
    *out = (uint64_t)n;
    return rc;
}
