/*
 * vouch — the store's public functions (store.h): URL dispatch, the
 * connection pool, argument checks, transaction bookkeeping, implicit
 * transactions (with retries of serialization failures), page tokens.
 * The SQL lives in the backends (sqlite.c, postgres.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "backend.h"
#include "cache.h"
#include "pagetoken.h"
#include "vutil_error.h"
#include "vutil_str.h"

#define STORE_SRC "store"
#define POOL_DEFAULT 8u
#define POOL_MAX 1024u
#define RETRIES 8

struct vouch_store_conn {
    vouch_store *store;
    void *impl;
    bool in_tx;
    bool tx_write;
    bool tx_wrote;      /* the open transaction has written something */
    unsigned touched;   /* cached kinds written in the open transaction */
    vouch_store_conn *next_idle;
};

struct vouch_store {
    const vouch__store_backend *be;
    void *db;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    size_t size;     /* most connections */
    size_t opened;   /* connections that exist (idle or taken) */
    vouch_store_conn *idle;
    vouch__cache *cache;   /* NULL for backends that cannot watch */
    unsigned char page_key[VOUCH__PAGE_KEY_BYTES];   /* the database's */
};

int vouch__store_error(vouch_error *err, int code, const char *source,
                       const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return code;
    }
    va_start(ap, fmt);
    vutil_error_setv(err, code == VOUCH_ERETRY ? VOUCH_EABORTED : code,
                     source, 0, 0, fmt, ap);
    va_end(ap);
    return code;
}

void vouch_resource_clear(vouch_resource *r)
{
    if (r == NULL) {
        return;
    }
    free(r->kind);
    free(r->name);
    free(r->parent);
    free(r->json);
    free(r->etag);
    free(r->create_time);
    free(r->update_time);
    free(r->attr1);
    free(r->attr2);
    memset(r, 0, sizeof(*r));
}

void vouch_resource_page_clear(vouch_resource_page *page)
{
    size_t i;

    if (page == NULL) {
        return;
    }
    for (i = 0; i < page->count; i++) {
        vouch_resource_clear(&page->items[i]);
    }
    free(page->items);
    free(page->next_page_token);
    memset(page, 0, sizeof(*page));
}

static void conn_destroy(vouch_store *store, vouch_store_conn *conn)
{
    if (conn == NULL) {
        return;
    }
    store->be->conn_close(conn->impl);
    free(conn);
}

static int conn_new(vouch_store *store, vouch_store_conn **out,
                    vouch_error *err)
{
    vouch_store_conn *conn;
    int rc;

    *out = NULL;
    conn = calloc(1, sizeof(*conn));
    if (conn == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, STORE_SRC, 0, 0,
                               "out of memory for a connection");
    }
    conn->store = store;
    rc = store->be->conn_open(store->db, &conn->impl, err);
    if (rc < 0) {
        free(conn);
        return rc;
    }
    *out = conn;
    return 0;
}

/*
 * The database's page-token key: a fresh random one is offered, and the
 * one stored first (by this process or another) wins.
 */
static int load_page_key(vouch_store *store, vouch_store_conn *conn,
                         vouch_error *err)
{
    unsigned char fresh[VOUCH__PAGE_KEY_BYTES];
    char fresh_hex[2 * VOUCH__PAGE_KEY_BYTES + 1];
    char *stored = NULL;
    long len = 0;
    unsigned char *bin = NULL;
    int rc;

    if (RAND_bytes(fresh, sizeof(fresh)) != 1) {
        return vutil_error_set(err, VOUCH_ECRYPTO, STORE_SRC, 0, 0,
                               "page token key: no random bytes");
    }
    vutil_hex(fresh, sizeof(fresh), fresh_hex);
    OPENSSL_cleanse(fresh, sizeof(fresh));
    rc = store->be->page_key(conn->impl, fresh_hex, &stored, err);
    OPENSSL_cleanse(fresh_hex, sizeof(fresh_hex));
    if (rc < 0) {
        return rc;
    }
    bin = OPENSSL_hexstr2buf(stored, &len);
    if (bin == NULL || len != (long)VOUCH__PAGE_KEY_BYTES) {
        rc = vutil_error_set(err, VOUCH_EIO, STORE_SRC, 0, 0,
                             "page token key: the stored key is not %u "
                             "bytes of hex", VOUCH__PAGE_KEY_BYTES);
    } else {
        memcpy(store->page_key, bin, VOUCH__PAGE_KEY_BYTES);
    }
    if (bin != NULL) {
        OPENSSL_clear_free(bin, (size_t)len);
    }
    OPENSSL_cleanse(stored, strlen(stored));
    free(stored);
    return rc;
}

int vouch_store_open(vouch_store **out, const char *url,
                     size_t pool_size, vouch_error *err)
{
    vouch_store *store = NULL;
    vouch_store_conn *first = NULL;
    bool locks = false;
    int rc;

    *out = NULL;
    if (url == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, STORE_SRC, 0, 0,
                               "store URL is missing");
    }
    if (pool_size > POOL_MAX) {
        return vutil_error_set(err, VOUCH_EINVAL, STORE_SRC, 0, 0,
                               "pool size %zu is over the limit of %u",
                               pool_size, POOL_MAX);
    }
    store = calloc(1, sizeof(*store));
    if (store == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, STORE_SRC, 0, 0,
                               "out of memory for the store");
    }
    if (vutil_has_prefix(url, "sqlite:")) {
        store->be = &vouch__store_sqlite;
    } else if (vutil_has_prefix(url, "postgres://") ||
               vutil_has_prefix(url, "postgresql://")) {
        store->be = &vouch__store_postgres;
    } else {
        rc = vutil_error_set(err, VOUCH_EINVAL, STORE_SRC, 0, 0,
                             "unknown store URL scheme (want sqlite:PATH "
                             "or postgres://...)");
        goto cleanup;
    }
    store->size = pool_size == 0 ? POOL_DEFAULT : pool_size;
    if (pthread_mutex_init(&store->lock, NULL) != 0) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, STORE_SRC, 0, 0,
                             "cannot create the pool mutex");
        goto cleanup;
    }
    if (pthread_cond_init(&store->freed, NULL) != 0) {
        pthread_mutex_destroy(&store->lock);
        rc = vutil_error_set(err, VOUCH_ENOMEM, STORE_SRC, 0, 0,
                             "cannot create the pool condition");
        goto cleanup;
    }
    locks = true;
    rc = store->be->open(&store->db, url, store->size, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = conn_new(store, &first, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = store->be->migrate(first->impl, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = load_page_key(store, first, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = vouch__cache_start(&store->cache, store->be, store->db, err);
    if (rc < 0) {
        goto cleanup;
    }
    store->idle = first;
    store->opened = 1;
    first = NULL;
    *out = store;
    store = NULL;

cleanup:
    if (store != NULL) {
        conn_destroy(store, first);
        if (store->db != NULL) {
            store->be->close(store->db);
        }
        if (locks) {
            pthread_cond_destroy(&store->freed);
            pthread_mutex_destroy(&store->lock);
        }
        free(store);
    }
    return rc;
}

void vouch_store_close(vouch_store *store)
{
    vouch_store_conn *conn;

    if (store == NULL) {
        return;
    }
    while (store->idle != NULL) {
        conn = store->idle;
        store->idle = conn->next_idle;
        conn_destroy(store, conn);
    }
    vouch__cache_stop(store->cache);
    store->be->close(store->db);
    pthread_cond_destroy(&store->freed);
    pthread_mutex_destroy(&store->lock);
    OPENSSL_cleanse(store->page_key, sizeof(store->page_key));
    free(store);
}

const char *vouch_store_backend(const vouch_store *store)
{
    return store->be->name;
}

void vouch_store_cache_stats(vouch_store *store, uint64_t *hits,
                             uint64_t *misses)
{
    vouch__cache_stats(store->cache, hits, misses);
}

/*
 * After a commit that wrote cached kinds: tell the cache, with the
 * generations the kinds now stand at, read outside any transaction.
 */
static void committed(vouch_store_conn *conn, unsigned touched)
{
    uint64_t generation[sizeof(unsigned) * 8];
    vouch_error ignored = VOUCH_ERROR_INIT;
    const char *const *names;
    uint64_t watchers = 0;
    unsigned count;
    unsigned i;

    if (touched == 0) {
        return;
    }
    if (conn->store->be->watchers(conn->impl, &watchers, &ignored) < 0) {
        watchers = 0;
    }
    names = vouch__cache_kinds(&count);
    for (i = 0; i < count; i++) {
        generation[i] = 0;
        if ((touched & (1u << i)) != 0 &&
            vouch__store_generation(conn->store->be, conn->impl, names[i],
                                    &generation[i], &ignored) < 0) {
            generation[i] = 0;   /* unknown: invalidate, do not wait */
        }
    }
    vouch__cache_committed(conn->store->cache, touched, generation,
                           watchers);
}

int vouch_store_acquire(vouch_store *store, vouch_store_conn **out,
                        vouch_error *err)
{
    vouch_store_conn *conn = NULL;
    int rc;

    *out = NULL;
    pthread_mutex_lock(&store->lock);
    while (store->idle == NULL && store->opened >= store->size) {
        pthread_cond_wait(&store->freed, &store->lock);
    }
    if (store->idle != NULL) {
        conn = store->idle;
        store->idle = conn->next_idle;
        conn->next_idle = NULL;
        pthread_mutex_unlock(&store->lock);
        *out = conn;
        return 0;
    }
    /* Reserve a slot, then connect without holding the lock. */
    store->opened++;
    pthread_mutex_unlock(&store->lock);
    rc = conn_new(store, &conn, err);
    if (rc < 0) {
        pthread_mutex_lock(&store->lock);
        store->opened--;
        pthread_cond_signal(&store->freed);
        pthread_mutex_unlock(&store->lock);
        return rc;
    }
    *out = conn;
    return 0;
}

void vouch_store_release(vouch_store_conn *conn)
{
    vouch_store *store;

    if (conn == NULL) {
        return;
    }
    store = conn->store;
    if (conn->in_tx) {
        store->be->rollback(conn->impl);
        conn->in_tx = false;
    }
    conn->touched = 0;
    if (!store->be->conn_healthy(conn->impl)) {
        conn_destroy(store, conn);
        pthread_mutex_lock(&store->lock);
        store->opened--;
        pthread_cond_signal(&store->freed);
        pthread_mutex_unlock(&store->lock);
        return;
    }
    pthread_mutex_lock(&store->lock);
    conn->next_idle = store->idle;
    store->idle = conn;
    pthread_cond_signal(&store->freed);
    pthread_mutex_unlock(&store->lock);
}

int vouch_store_ping(vouch_store_conn *conn, vouch_error *err)
{
    return conn->store->be->ping(conn->impl, err);
}

int vouch_store_schema_version(vouch_store *store, int *out,
                               vouch_error *err)
{
    vouch_store_conn *conn = NULL;
    int rc;

    *out = 0;
    rc = vouch_store_acquire(store, &conn, err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch__store_schema_version(store->be, conn->impl, out, err);
    vouch_store_release(conn);
    return rc;
}

/* A retry inside an explicit transaction is the caller's to make. */
static int no_retry(int rc, vouch_error *err)
{
    if (rc == VOUCH_ERETRY) {
        if (err != NULL) {
            err->code = (vouch_code)VOUCH_EABORTED;
        }
        return VOUCH_EABORTED;
    }
    return rc;
}

int vouch_store_begin(vouch_store_conn *conn, bool write,
                      vouch_error *err)
{
    int rc;

    if (conn->in_tx) {
        return vutil_error_set(err, VOUCH_EINVAL, STORE_SRC, 0, 0,
                               "begin: a transaction is already open on "
                               "this connection");
    }
    rc = conn->store->be->begin(conn->impl, write, err);
    if (rc < 0) {
        return no_retry(rc, err);
    }
    conn->in_tx = true;
    conn->tx_write = write;
    conn->tx_wrote = false;
    conn->touched = 0;
    return 0;
}

int vouch_store_commit(vouch_store_conn *conn, vouch_error *err)
{
    int rc;

    if (!conn->in_tx) {
        return vutil_error_set(err, VOUCH_EINVAL, STORE_SRC, 0, 0,
                               "commit: no transaction is open");
    }
    rc = conn->store->be->commit(conn->impl, err);
    /* Whatever happened, the transaction is over: a failed COMMIT is
     * rolled back by the backend. */
    conn->in_tx = false;
    if (rc == 0) {
        committed(conn, conn->touched);
    }
    conn->touched = 0;
    return no_retry(rc, err);
}

void vouch_store_rollback(vouch_store_conn *conn)
{
    if (conn == NULL || !conn->in_tx) {
        return;
    }
    conn->store->be->rollback(conn->impl);
    conn->in_tx = false;
    conn->touched = 0;
}

/*
 * Run one operation: inside the caller's transaction when one is open
 * (then a write needs a write transaction); else a read runs as its one
 * SELECT and a write in a transaction of its own, both retried when the
 * database asks for it.
 */
typedef struct op_args {
    const char *kind;
    const char *name;
    const char *attr1;
    const char *etag;
    const vouch_resource *r;
    bool upsert;
    const vouch_resource_query *q;
    const char *after;
    size_t limit;
    vouch_resource *res_out;
    vouch_resource **items_out;
    size_t *count_out;
    uint64_t *u64_out;
    char **plan_out;
    const vouch_resource *items;       /* OP_BULK */
    size_t nitems;
    const char *const *kinds;          /* OP_BULK: its distinct kinds */
    size_t nkinds;
} op_args;

typedef enum op_kind {
    OP_GET, OP_CREATE, OP_REPLACE, OP_DELETE, OP_LIST, OP_COUNT, OP_GEN,
    OP_PLAN, OP_BULK
} op_kind;

static const char *const op_names[] = {
    "get", "create", "replace", "delete", "list", "count", "generation",
    "list plan", "bulk_create"
};

static int op_call(vouch_store_conn *conn, op_kind op, op_args *a,
                   vouch_error *err)
{
    const vouch__store_backend *be = conn->store->be;

    switch (op) {
    case OP_GET:
        return be->get(conn->impl, a->kind, a->name, a->res_out, err);
    case OP_CREATE:
        return vouch__store_create(be, conn->impl, a->r, err);
    case OP_REPLACE:
        return vouch__store_replace(be, conn->impl, a->r, a->etag,
                                    a->upsert, err);
    case OP_DELETE:
        return vouch__store_remove(be, conn->impl, a->kind, a->name,
                                   a->etag, err);
    case OP_LIST:
        return be->list(conn->impl, a->q, a->after, a->limit, a->items_out,
                        a->count_out, err);
    case OP_COUNT:
        return vouch__store_count(be, conn->impl, a->kind, a->attr1,
                                  a->u64_out, err);
    case OP_GEN:
        return vouch__store_generation(be, conn->impl, a->kind, a->u64_out,
                                       err);
    case OP_PLAN:
        return be->list_plan(conn->impl, a->q, a->plan_out, err);
    case OP_BULK:
        return be->bulk_create(conn->impl, a->items, a->nitems, a->kinds,
                               a->nkinds, err);
    }
    return VOUCH_EINVAL;
}

static void op_discard(op_kind op, op_args *a)
{
    size_t i;

    if (op == OP_PLAN) {
        free(*a->plan_out);
        *a->plan_out = NULL;
    } else if (op == OP_GET) {
        vouch_resource_clear(a->res_out);
    } else if (op == OP_LIST) {
        for (i = 0; i < *a->count_out; i++) {
            vouch_resource_clear(&(*a->items_out)[i]);
        }
        free(*a->items_out);
        *a->items_out = NULL;
        *a->count_out = 0;
    }
}

static void backoff(int attempt)
{
    struct timespec ts;

    ts.tv_sec = 0;
    ts.tv_nsec = (long)(1000000L << (attempt < 6 ? attempt : 6));
    nanosleep(&ts, NULL);
}

static int run_op(vouch_store_conn *conn, op_kind op, bool write,
                  op_args *a, vouch_error *err)
{
    const vouch__store_backend *be = conn->store->be;
    unsigned bit = 0;
    int attempt;
    int rc = 0;

    if (op == OP_BULK) {
        size_t k;

        for (k = 0; k < a->nkinds; k++) {
            bit |= vouch__cache_kind_bit(conn->store->cache, a->kinds[k]);
        }
    } else if (write) {
        bit = vouch__cache_kind_bit(conn->store->cache,
                                    a->r != NULL ? a->r->kind : a->kind);
    }
    if (conn->in_tx) {
        if (write && !conn->tx_write) {
            return vutil_error_set(err, VOUCH_EINVAL, STORE_SRC, 0, 0,
                                   "%s: a write needs a write transaction "
                                   "(vouch_store_begin with write=true)",
                                   op_names[op]);
        }
        conn->touched |= bit;
        conn->tx_wrote = conn->tx_wrote || write;
        return no_retry(op_call(conn, op, a, err), err);
    }
    for (attempt = 0; attempt < RETRIES; attempt++) {
        if (attempt > 0) {
            backoff(attempt);
        }
        if (!write) {
            /* Every read is one SELECT, atomic on its own: no BEGIN and
             * COMMIT round trips (the per-request generation check). */
            rc = op_call(conn, op, a, err);
            if (rc == VOUCH_ERETRY) {
                op_discard(op, a);
                continue;
            }
            return rc;
        }
        rc = be->begin(conn->impl, write, err);
        if (rc == VOUCH_ERETRY) {
            continue;
        }
        if (rc < 0) {
            return rc;
        }
        rc = op_call(conn, op, a, err);
        if (rc < 0) {
            be->rollback(conn->impl);
            if (rc == VOUCH_ERETRY) {
                continue;
            }
            return rc;
        }
        rc = be->commit(conn->impl, err);
        if (rc == 0) {
            committed(conn, bit);
        }
        if (rc != VOUCH_ERETRY) {
            return rc;
        }
        /* The commit failed and rolled back: drop what the attempt
         * read before running it again. */
        op_discard(op, a);
    }
    return no_retry(rc, err);
}

static int need(const char *value, const char *what, const char *op,
                vouch_error *err)
{
    if (value == NULL || value[0] == '\0') {
        return vutil_error_set(err, VOUCH_EINVAL, STORE_SRC, 0, 0,
                               "%s: %s is required", op, what);
    }
    return 0;
}

int vouch__store_check_resource(const vouch_resource *r, const char *op,
                                vouch_error *err)
{
    const char *values[9];
    /* The first seven columns are required; attr1 and attr2 are not. */
    static const char *const names[7] = {
        "kind", "name", "parent", "json", "etag", "create_time",
        "update_time"
    };
    size_t i;
    int rc;

    if (r == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, STORE_SRC, 0, 0,
                               "%s: resource is missing", op);
    }
    vouch__store_row_values(r, values);
    for (i = 0; i < 7; i++) {
        rc = need(values[i], names[i], op, err);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

/* Both `kind` and `name` are required. */
static int need_key(const char *kind, const char *name, const char *op,
                    vouch_error *err)
{
    int rc = need(kind, "kind", op, err);

    return rc < 0 ? rc : need(name, "name", op, err);
}

int vouch_store_get(vouch_store_conn *conn, const char *kind,
                    const char *name, vouch_resource *out,
                    vouch_error *err)
{
    uint64_t ticket = 0;
    bool cached;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = need_key(kind, name, "get", err);
    if (rc < 0) {
        return rc;
    }
    cached = !conn->in_tx && vouch__cache_holds(conn->store->cache, kind);
    if (cached) {
        bool found = false;

        rc = vouch__cache_get(conn->store->cache, kind, name, out, &found,
                              &ticket);
        if (rc == 1) {
            return found ? 0
                         : vutil_error_set(err, VOUCH_ENOTFOUND, STORE_SRC,
                                           0, 0, "%s not found", name);
        }
    }
    op_args a = { .kind = kind, .name = name, .res_out = out };
    rc = run_op(conn, OP_GET, false, &a, err);
    if (cached && (rc == 0 || rc == VOUCH_ENOTFOUND)) {
        vouch__cache_put(conn->store->cache, kind, name,
                         rc == 0 ? out : NULL, ticket);
    }
    if (rc < 0) {
        vouch_resource_clear(out);
    }
    return rc;
}

int vouch_store_create(vouch_store_conn *conn,
                       const vouch_resource *r, vouch_error *err)
{
    int rc = vouch__store_check_resource(r, "create", err);

    if (rc < 0) {
        return rc;
    }
    op_args a = { .r = r };
    return run_op(conn, OP_CREATE, true, &a, err);
}

int vouch__store_bulk(vouch_store_conn *conn, const vouch_resource *items,
                      size_t count, const char *const *kinds, size_t nkinds,
                      vouch_error *err)
{
    op_args a = {
        .items = items, .nitems = count, .kinds = kinds, .nkinds = nkinds
    };

    return run_op(conn, OP_BULK, true, &a, err);
}

int vouch_store_replace(vouch_store_conn *conn, const vouch_resource *r,
                        const char *expected_etag, bool upsert,
                        vouch_error *err)
{
    int rc = vouch__store_check_resource(r, "replace", err);

    if (rc < 0) {
        return rc;
    }
    op_args a = { .r = r, .etag = expected_etag, .upsert = upsert };
    return run_op(conn, OP_REPLACE, true, &a, err);
}

int vouch_store_delete(vouch_store_conn *conn, const char *kind,
                       const char *name, const char *expected_etag,
                       vouch_error *err)
{
    int rc = need_key(kind, name, "delete", err);

    if (rc < 0) {
        return rc;
    }
    op_args a = { .kind = kind, .name = name, .etag = expected_etag };
    return run_op(conn, OP_DELETE, true, &a, err);
}

/*
 * Page tokens (pagetoken.h): the last name returned, bound to the query's
 * kind, parent, attr1 and attr2, so that a token resumes only the list
 * that issued it.
 */
#define LIST_SCOPE_COUNT 5

static void list_scope(const vouch_resource_query *q,
                       const char *scope[LIST_SCOPE_COUNT])
{
    /* A descending list's token resumes below its position: never an
     * ascending one's. */
    scope[0] = q->descending ? "store list desc" : "store list";
    scope[1] = q->kind;
    scope[2] = q->parent;
    scope[3] = q->attr1;
    scope[4] = q->attr2;
}

static int token_error(vouch_error *err, int rc)
{
    if (rc == VOUCH_ENOMEM || rc == VOUCH_ECRYPTO) {
        return vutil_error_set(err, rc, STORE_SRC, 0, 0,
                               "list: page token: %s",
                               rc == VOUCH_ENOMEM ? "out of memory"
                                                   : "HMAC failed");
    }
    return vutil_error_set(err, VOUCH_EINVAL, STORE_SRC, 0, 0,
                           "list: page token %s",
                           rc == VOUCH_ETOOBIG
                                ? "is too long"
                                : "does not belong to this list");
}

int vouch_store_page_token_seal(vouch_store_conn *conn,
                                const char *const *scope, size_t count,
                                const char *position, char **out,
                                vouch_error *err)
{
    int rc = vouch__page_token_seal(conn->store->page_key, scope, count,
                                    position, strlen(position), out);

    return rc < 0 ? token_error(err, rc) : 0;
}

int vouch_store_page_token_open(vouch_store_conn *conn,
                                const char *const *scope, size_t count,
                                const char *token, char **out,
                                vouch_error *err)
{
    size_t len = strnlen(token, 4 * VOUCH__PAGE_POSITION_MAX);
    int rc;

    if (len == 0) {
        *out = NULL;
        return vutil_error_set(err, VOUCH_EINVAL, STORE_SRC, 0, 0,
                               "list: page token is empty");
    }
    rc = vouch__page_token_open(conn->store->page_key, scope, count, token,
                                len, out);
    return rc < 0 ? token_error(err, rc) : 0;
}

int vouch_store_list(vouch_store_conn *conn,
                     const vouch_resource_query *q,
                     vouch_resource_page *out, vouch_error *err)
{
    const char *scope[LIST_SCOPE_COUNT];
    vouch_resource *items = NULL;
    size_t count = 0;
    char *after = NULL;
    char *token = NULL;
    size_t size;
    size_t i;
    int rc;

    memset(out, 0, sizeof(*out));
    if (q == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, STORE_SRC, 0, 0,
                               "list: query is missing");
    }
    list_scope(q, scope);
    size = q->page_size == 0 ? VOUCH__STORE_PAGE_DEFAULT : q->page_size;
    if (size > VOUCH__STORE_PAGE_MAX) {
        size = VOUCH__STORE_PAGE_MAX;
    }
    if (q->page_token != NULL && q->page_token[0] != '\0') {
        rc = vouch_store_page_token_open(conn, scope, LIST_SCOPE_COUNT,
                                         q->page_token,
                                         &after, err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    op_args a = {
        .q = q,
        .after = after,
        .limit = size + 1,   /* one more tells whether a next page exists */
        .items_out = &items,
        .count_out = &count,
    };
    rc = run_op(conn, OP_LIST, false, &a, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (count > size) {
        for (i = size; i < count; i++) {
            vouch_resource_clear(&items[i]);
        }
        count = size;
        rc = vouch_store_page_token_seal(conn, scope, LIST_SCOPE_COUNT,
                                         items[size - 1].name, &token, err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    out->items = items;
    out->count = count;
    out->next_page_token = token;
    items = NULL;
    count = 0;
    token = NULL;

cleanup:
    for (i = 0; i < count; i++) {
        vouch_resource_clear(&items[i]);
    }
    free(items);
    free(after);
    free(token);
    return rc;
}

int vouch_store_list_plan(vouch_store_conn *conn,
                          const vouch_resource_query *q, char **out,
                          vouch_error *err)
{
    *out = NULL;
    if (q == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, STORE_SRC, 0, 0,
                               "list plan: query is missing");
    }
    op_args a = { .q = q, .plan_out = out };
    return run_op(conn, OP_PLAN, false, &a, err);
}

/* A count or a generation: one number for `kind` (op_names names it). */
static int number_op(vouch_store_conn *conn, op_kind op, const char *kind,
                     const char *attr1, uint64_t *out, vouch_error *err)
{
    int rc;

    *out = 0;
    rc = need(kind, "kind", op_names[op], err);
    if (rc < 0) {
        return rc;
    }
    op_args a = { .kind = kind, .attr1 = attr1, .u64_out = out };
    return run_op(conn, op, false, &a, err);
}

int vouch_store_count(vouch_store_conn *conn, const char *kind,
                      const char *attr1, uint64_t *out,
                      vouch_error *err)
{
    return number_op(conn, OP_COUNT, kind, attr1, out, err);
}

int vouch_store_generation(vouch_store_conn *conn,
                           const char *kind, uint64_t *out,
                           vouch_error *err)
{
    return number_op(conn, OP_GEN, kind, NULL, out, err);
}

bool vouch_store_in_transaction(const vouch_store_conn *conn)
{
    return conn->in_tx;
}

bool vouch_store_reads_committed(const vouch_store_conn *conn)
{
    return !conn->in_tx || !conn->tx_wrote;
}

int vouch_store_change_stamp(vouch_store_conn *conn, const char *kind,
                             uint64_t *out, vouch_error *err)
{
    uint64_t value = 0;
    int rc;

    *out = 0;
    if (!conn->in_tx &&
        vouch__cache_epoch(conn->store->cache, kind, &value) == 1) {
        *out = value << 1 | 1u;   /* odd: an epoch */
        return 0;
    }
    rc = vouch_store_generation(conn, kind, &value, err);
    *out = value << 1;            /* even: a generation */
    return rc;
}
