/*
 * vouchd — the body budget and the request deadline (conn_limits.h).
 *
 * The deadline is kept per connection, in a list the watchdog thread
 * walks. Entries are added and removed by libmicrohttpd's connection
 * notifications, under the list's lock; libmicrohttpd closes a socket
 * only after the "closed" notification returned, so while the lock is
 * held every listed descriptor is the connection's own, and shutdown()
 * on it can never hit another file.
 */
#include "conn_limits.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "errors.h"
#include "server.h"

/* The watchdog looks at least this often (a connection opened while it
 * sleeps cannot be due sooner than a full timeout later). */
#define WATCHDOG_MAX_SLEEP_MS 1000u

typedef struct conn_watch {
    api_limits *owner;
    MHD_socket fd;
    uint64_t phase_start_ms;   /* connection opened, or last answer done */
    bool arrived;              /* the request arrived (or is answered) */
    bool expired;              /* the watchdog shut it down */
    struct conn_watch *prev;
    struct conn_watch *next;
} conn_watch;

struct api_limits {
    size_t budget;
    atomic_size_t used;
    uint64_t timeout_ms;

    pthread_mutex_t lock;      /* the list, every conn_watch, stopping */
    pthread_cond_t wake;
    conn_watch *head;
    bool stopping;
    pthread_t thread;
};

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *watchdog(void *arg)
{
    api_limits *l = arg;

    pthread_mutex_lock(&l->lock);
    while (!l->stopping) {
        uint64_t now = now_ms();
        uint64_t next = now + WATCHDOG_MAX_SLEEP_MS;
        struct timespec until;

        for (conn_watch *w = l->head; w != NULL; w = w->next) {
            uint64_t due = w->phase_start_ms + l->timeout_ms;

            if (w->arrived || w->expired) {
                continue;
            }
            if (due <= now) {
                /* libmicrohttpd reads end-of-file and closes it. */
                shutdown(w->fd, SHUT_RDWR);
                w->expired = true;
            } else if (due < next) {
                next = due;
            }
        }
        until.tv_sec = (time_t)(next / 1000u);
        until.tv_nsec = (long)(next % 1000u) * 1000000L;
        pthread_cond_timedwait(&l->wake, &l->lock, &until);
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

int api_limits_new(api_limits **out, size_t body_budget,
                   unsigned request_timeout_s, vouch_error *err)
{
    api_limits *l;
    pthread_condattr_t attr;
    int rc;

    *out = NULL;
    if (body_budget == 0 || request_timeout_s == 0) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "--body-budget and --request-timeout must "
                               "be more than 0");
    }
    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return vutil_enomem(err);
    }
    l->budget = body_budget;
    atomic_init(&l->used, 0);
    l->timeout_ms = (uint64_t)request_timeout_s * 1000u;
    pthread_mutex_init(&l->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&l->wake, &attr);
    pthread_condattr_destroy(&attr);
    rc = pthread_create(&l->thread, NULL, watchdog, l);
    if (rc != 0) {
        pthread_cond_destroy(&l->wake);
        pthread_mutex_destroy(&l->lock);
        free(l);
        return vutil_error_set(err, VOUCH_EIO, NULL, 0, 0,
                               "cannot start the request watchdog: %s",
                               strerror(rc));
    }
    *out = l;
    return 0;
}

void api_limits_free(api_limits *l)
{
    if (l == NULL) {
        return;
    }
    pthread_mutex_lock(&l->lock);
    l->stopping = true;
    pthread_cond_signal(&l->wake);
    pthread_mutex_unlock(&l->lock);
    pthread_join(l->thread, NULL);
    /* The daemon stopped first: every connection was closed, and its
     * entry freed, already. */
    while (l->head != NULL) {
        conn_watch *w = l->head;
        l->head = w->next;
        free(w);
    }
    pthread_cond_destroy(&l->wake);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

void api_limits_notify_connection(void *cls, struct MHD_Connection *c,
                                  void **socket_context,
                                  enum MHD_ConnectionNotificationCode code)
{
    api_limits *l = cls;
    conn_watch *w;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

        *socket_context = NULL;
        w = calloc(1, sizeof(*w));
        if (w == NULL || info == NULL) {
            free(w);   /* no deadline for this one: out of memory */
            return;
        }
        w->owner = l;
        w->fd = info->connect_fd;
        w->phase_start_ms = now_ms();
        pthread_mutex_lock(&l->lock);
        w->next = l->head;
        if (l->head != NULL) {
            l->head->prev = w;
        }
        l->head = w;
        pthread_mutex_unlock(&l->lock);
        *socket_context = w;
        return;
    }
    w = *socket_context;
    if (w == NULL) {
        return;
    }
    pthread_mutex_lock(&l->lock);
    if (w->prev != NULL) {
        w->prev->next = w->next;
    } else {
        l->head = w->next;
    }
    if (w->next != NULL) {
        w->next->prev = w->prev;
    }
    pthread_mutex_unlock(&l->lock);
    *socket_context = NULL;
    free(w);
}

static conn_watch *watch_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return info != NULL ? info->socket_context : NULL;
}

void api_limits_arrived(struct MHD_Connection *c)
{
    conn_watch *w = watch_of(c);

    if (w == NULL) {
        return;
    }
    pthread_mutex_lock(&w->owner->lock);
    w->arrived = true;
    pthread_mutex_unlock(&w->owner->lock);
}

bool api_limits_completed(struct MHD_Connection *c)
{
    conn_watch *w = watch_of(c);
    bool expired;

    if (w == NULL) {
        return false;
    }
    pthread_mutex_lock(&w->owner->lock);
    expired = w->expired;
    w->arrived = false;
    w->phase_start_ms = now_ms();
    pthread_mutex_unlock(&w->owner->lock);
    return expired;
}

bool api_limits_reserve(api_limits *l, size_t n)
{
    size_t used = atomic_load(&l->used);

    do {
        if (n > l->budget - used) {
            return false;
        }
    } while (!atomic_compare_exchange_weak(&l->used, &used, used + n));
    return true;
}

void api_limits_release(api_limits *l, size_t n)
{
    atomic_fetch_sub(&l->used, n);
}

bool api_limits_take(struct api_request *req, size_t bytes)
{
    api_server *s = req->server;

    if (bytes <= req->body_reserved) {
        return true;
    }
    if (api_limits_reserve(s->limits, bytes - req->body_reserved)) {
        req->body_reserved = bytes;
        return true;
    }
    free(req->body);
    req->body = NULL;
    req->body_len = 0;
    req->body_cap = 0;
    api_limits_release(s->limits, req->body_reserved);
    req->body_reserved = 0;
    req->retry_after_s = 1;
    api_respond_error(req, VOUCH_EIO,
                      "request body: vouchd holds as many request bodies "
                      "as --body-budget allows (%zu bytes in all); retry "
                      "shortly",
                      s->body_budget);
    return false;
}
