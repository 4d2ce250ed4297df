/*
 * vouch — the store's read cache and its watcher thread (cache.h says
 * why it is never stale).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "vutil_error.h"
#include "vutil_str.h"

#define CACHE_SRC "store cache"
#define BUCKETS 1024u
#define WATCH_POLL_MS 100
#define RECONNECT_MS 1000

/* The kinds read by nearly every request; bit i is kinds[i]. Keep
 * VOUCH__CACHED_KINDS (migrations.h: only these are announced) the same;
 * test_store.c checks it. */
static const char *const kinds[] = { "policy", "attestor" };
#define KIND_COUNT (sizeof(kinds) / sizeof(kinds[0]))

typedef struct entry {
    struct entry *next;
    unsigned kind;
    uint64_t epoch;      /* the kind's epoch before the SELECT */
    bool found;
    char *name;
    vouch_resource r;    /* empty when !found */
} entry;

/* Acknowledgements of one generation of one kind, counted. */
typedef struct ack_slot {
    unsigned kind;
    uint64_t value;
    uint64_t count;
} ack_slot;

typedef struct change {
    unsigned kind;
    uint64_t value;
} change;

#define ACK_SLOTS 64u
#define TO_ACK 64u

struct vouch__cache {
    const vouch__store_backend *be;
    void *db;

    pthread_mutex_t lock;
    pthread_cond_t heard;        /* epochs or `listening` moved */
    void *watch;                 /* replaced by the watcher, under lock */
    bool listening;
    uint64_t reconnects;
    uint64_t epoch[KIND_COUNT];  /* never 0: 0 is "no ticket" */
    ack_slot acks[ACK_SLOTS];    /* acknowledgements heard, newest kept */
    unsigned ack_next;
    change to_ack[TO_ACK];       /* heard, to acknowledge after unlock */
    size_t to_ack_count;
    entry *buckets[BUCKETS];
    size_t count;
    uint64_t hits;
    uint64_t misses;

    pthread_t thread;
    atomic_bool stop;
};

const char *const *vouch__cache_kinds(unsigned *count)
{
    *count = (unsigned)KIND_COUNT;
    return kinds;
}

static int kind_index(const char *kind)
{
    size_t i;

    for (i = 0; kind != NULL && i < KIND_COUNT; i++) {
        if (strcmp(kind, kinds[i]) == 0) {
            return (int)i;
        }
    }
    return -1;
}

bool vouch__cache_holds(const vouch__cache *cache, const char *kind)
{
    return cache != NULL && kind_index(kind) >= 0;
}

unsigned vouch__cache_kind_bit(const vouch__cache *cache, const char *kind)
{
    int k = cache != NULL ? kind_index(kind) : -1;

    return k < 0 ? 0u : 1u << k;
}

static size_t bucket_of(unsigned kind, const char *name)
{
    uint32_t h = 2166136261u ^ kind;   /* FNV-1a */

    for (; *name != '\0'; name++) {
        h = (h ^ (unsigned char)*name) * 16777619u;
    }
    return h % BUCKETS;
}

static void entry_free(entry *e)
{
    vouch_resource_clear(&e->r);
    free(e->name);
    free(e);
}

static void clear_entries(vouch__cache *c)
{
    size_t i;

    for (i = 0; i < BUCKETS; i++) {
        while (c->buckets[i] != NULL) {
            entry *e = c->buckets[i];

            c->buckets[i] = e->next;
            entry_free(e);
        }
    }
    c->count = 0;
}

static int copy_field(const char *src, char **dst)
{
    *dst = NULL;
    if (src == NULL) {
        return 0;
    }
    *dst = vutil_strdup(src);
    return *dst == NULL ? VOUCH_ENOMEM : 0;
}

static int resource_copy(vouch_resource *dst, const vouch_resource *src)
{
    const char *from[9];
    char **to[9];
    size_t i;

    memset(dst, 0, sizeof(*dst));
    vouch__store_row_values(src, from);
    vouch__store_row_fields(dst, to);
    for (i = 0; i < 9; i++) {
        if (copy_field(from[i], to[i]) < 0) {
            vouch_resource_clear(dst);
            return VOUCH_ENOMEM;
        }
    }
    return 0;
}

/* ---- the watcher ---- */

static void bump_all(vouch__cache *c)
{
    size_t i;

    for (i = 0; i < KIND_COUNT; i++) {
        c->epoch[i]++;
    }
}

static ack_slot *ack_find(vouch__cache *c, unsigned k, uint64_t value)
{
    size_t i;

    for (i = 0; i < ACK_SLOTS; i++) {
        if (c->acks[i].kind == k && c->acks[i].value == value &&
            c->acks[i].count > 0) {
            return &c->acks[i];
        }
    }
    return NULL;
}

/* Called by the backend under c->lock, for each notification. */
static void on_news(void *arg, bool ack, const char *kind, uint64_t value)
{
    vouch__cache *c = arg;
    int k = kind_index(kind);
    ack_slot *slot;

    if (ack) {
        if (k < 0) {
            return;
        }
        slot = ack_find(c, (unsigned)k, value);
        if (slot == NULL) {
            slot = &c->acks[c->ack_next++ % ACK_SLOTS];
            slot->kind = (unsigned)k;
            slot->value = value;
            slot->count = 0;
        }
        slot->count++;
    } else if (kind == NULL) {
        bump_all(c);
    } else if (k >= 0) {
        c->epoch[k]++;
        /* A writer waits for every watch to say it heard this. */
        if (value > 0 && c->to_ack_count < TO_ACK) {
            c->to_ack[c->to_ack_count].kind = (unsigned)k;
            c->to_ack[c->to_ack_count].value = value;
            c->to_ack_count++;
        }
    }
    pthread_cond_broadcast(&c->heard);
}

/* Deaf from now on: serve nothing until the next LISTEN. Under lock. */
static void deafen(vouch__cache *c)
{
    c->listening = false;
    bump_all(c);
    c->be->watch_close(c->watch);
    c->watch = NULL;
    pthread_cond_broadcast(&c->heard);
}

static int listen_now(vouch__cache *c, vouch_error *err)
{
    void *w = NULL;
    int rc = c->be->watch_open(c->db, &w, err);

    if (rc < 0) {
        return rc;
    }
    pthread_mutex_lock(&c->lock);
    c->watch = w;
    c->listening = true;
    c->reconnects++;
    bump_all(c);   /* anything may have changed while nobody listened */
    pthread_cond_broadcast(&c->heard);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

static void nap(vouch__cache *c, int ms)
{
    struct timespec ts = { 0, WATCH_POLL_MS * 1000000L };
    int slept;

    for (slept = 0; slept < ms && !atomic_load(&c->stop);
         slept += WATCH_POLL_MS) {
        nanosleep(&ts, NULL);
    }
}

static void *watcher_main(void *arg)
{
    vouch__cache *c = arg;
    change pending[TO_ACK];
    vouch_error err;
    size_t count;
    size_t i;
    int n;

    while (!atomic_load(&c->stop)) {
        if (c->watch == NULL) {
            err = (vouch_error)VOUCH_ERROR_INIT;
            if (listen_now(c, &err) < 0) {
                nap(c, RECONNECT_MS);
            }
            continue;
        }
        /* Only this thread replaces c->watch: no lock needed to poll. */
        n = c->be->watch_ready(c->watch, WATCH_POLL_MS);
        if (n == 0) {
            continue;
        }
        pthread_mutex_lock(&c->lock);
        err = (vouch_error)VOUCH_ERROR_INIT;
        if (n < 0 || c->be->watch_read(c->watch, on_news, c, &err) < 0) {
            deafen(c);
        }
        count = c->to_ack_count;
        memcpy(pending, c->to_ack, count * sizeof(pending[0]));
        c->to_ack_count = 0;
        pthread_mutex_unlock(&c->lock);
        /* After the epochs moved, never before: an acknowledgement
         * promises that this process will not serve what came before. */
        for (i = 0; i < count && c->watch != NULL; i++) {
            err = (vouch_error)VOUCH_ERROR_INIT;
            if (c->be->watch_ack(c->watch, kinds[pending[i].kind],
                                 pending[i].value, &err) < 0) {
                pthread_mutex_lock(&c->lock);
                deafen(c);
                pthread_mutex_unlock(&c->lock);
            }
        }
    }
    return NULL;
}

int vouch__cache_start(vouch__cache **out, const vouch__store_backend *be,
                       void *db, vouch_error *err)
{
    vouch__cache *c;
    vouch_error ignored = VOUCH_ERROR_INIT;
    size_t i;

    *out = NULL;
    if (be->watch_open == NULL) {
        return 0;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, CACHE_SRC, 0, 0,
                               "out of memory for the read cache");
    }
    c->be = be;
    c->db = db;
    for (i = 0; i < KIND_COUNT; i++) {
        c->epoch[i] = 1;
    }
    atomic_init(&c->stop, false);
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return vutil_error_set(err, VOUCH_ENOMEM, CACHE_SRC, 0, 0,
                               "cannot create the cache mutex");
    }
    if (pthread_cond_init(&c->heard, NULL) != 0) {
        pthread_mutex_destroy(&c->lock);
        free(c);
        return vutil_error_set(err, VOUCH_ENOMEM, CACHE_SRC, 0, 0,
                               "cannot create the cache condition");
    }
    /* A failure here is retried by the watcher; meanwhile: no cache. */
    (void)listen_now(c, &ignored);
    if (pthread_create(&c->thread, NULL, watcher_main, c) != 0) {
        if (c->watch != NULL) {
            be->watch_close(c->watch);
        }
        pthread_cond_destroy(&c->heard);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return vutil_error_set(err, VOUCH_ENOMEM, CACHE_SRC, 0, 0,
                               "cannot start the cache watcher thread");
    }
    *out = c;
    return 0;
}

void vouch__cache_stop(vouch__cache *c)
{
    if (c == NULL) {
        return;
    }
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    if (c->watch != NULL) {
        c->be->watch_close(c->watch);
    }
    clear_entries(c);
    pthread_cond_destroy(&c->heard);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* ---- lookups ---- */

static entry *find(vouch__cache *c, unsigned k, const char *name)
{
    entry *e;

    for (e = c->buckets[bucket_of(k, name)]; e != NULL; e = e->next) {
        if (e->kind == k && strcmp(e->name, name) == 0) {
            return e;
        }
    }
    return NULL;
}

/* Can anything be served now? Under lock. */
static bool serving(vouch__cache *c)
{
    return c->listening && !c->be->watch_pending(c->watch);
}

int vouch__cache_get(vouch__cache *c, const char *kind, const char *name,
                     vouch_resource *out, bool *found, uint64_t *ticket)
{
    int k = kind_index(kind);
    entry *e;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    *found = false;
    *ticket = 0;
    if (c == NULL || k < 0) {
        return 0;
    }
    pthread_mutex_lock(&c->lock);
    if (!serving(c)) {
        c->misses++;
    } else if ((e = find(c, (unsigned)k, name)) != NULL &&
               e->epoch == c->epoch[k]) {
        c->hits++;
        *found = e->found;
        rc = e->found ? resource_copy(out, &e->r) : 0;
        rc = rc < 0 ? rc : 1;
    } else {
        c->misses++;
        *ticket = c->epoch[k];
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void vouch__cache_put(vouch__cache *c, const char *kind, const char *name,
                      const vouch_resource *r, uint64_t ticket)
{
    int k = kind_index(kind);
    entry *e;
    entry *fresh;

    if (c == NULL || k < 0 || ticket == 0) {
        return;
    }
    fresh = calloc(1, sizeof(*fresh));
    if (fresh == NULL) {
        return;
    }
    fresh->kind = (unsigned)k;
    fresh->epoch = ticket;
    fresh->found = r != NULL;
    fresh->name = vutil_strdup(name);
    if (fresh->name == NULL || (r != NULL && resource_copy(&fresh->r, r) < 0)) {
        entry_free(fresh);
        return;
    }
    pthread_mutex_lock(&c->lock);
    if (!c->listening || c->epoch[k] != ticket) {
        pthread_mutex_unlock(&c->lock);
        entry_free(fresh);
        return;
    }
    e = find(c, (unsigned)k, name);
    if (e != NULL) {
        /* Swap contents, keep the chain. */
        entry tmp = *e;

        e->epoch = fresh->epoch;
        e->found = fresh->found;
        e->r = fresh->r;
        fresh->r = tmp.r;
        pthread_mutex_unlock(&c->lock);
        entry_free(fresh);
        return;
    }
    if (c->count >= VOUCH__CACHE_ENTRIES) {
        clear_entries(c);
    }
    {
        size_t b = bucket_of((unsigned)k, name);

        fresh->next = c->buckets[b];
        c->buckets[b] = fresh;
        c->count++;
    }
    pthread_mutex_unlock(&c->lock);
}

static bool all_acknowledged(vouch__cache *c, unsigned bits,
                             const uint64_t *generation, uint64_t watchers)
{
    ack_slot *slot;
    unsigned i;

    for (i = 0; i < KIND_COUNT; i++) {
        if ((bits & (1u << i)) == 0 || generation[i] == 0) {
            continue;
        }
        slot = ack_find(c, i, generation[i]);
        if (slot == NULL || slot->count < watchers) {
            return false;
        }
    }
    return true;
}

void vouch__cache_committed(vouch__cache *c, unsigned bits,
                            const uint64_t *generation, uint64_t watchers)
{
    struct timespec deadline;
    uint64_t reconnects;
    size_t i;

    if (c == NULL || bits == 0) {
        return;
    }
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += VOUCH__CACHE_SYNC_MS / 1000;
    deadline.tv_nsec += (long)(VOUCH__CACHE_SYNC_MS % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->lock);
    for (i = 0; i < KIND_COUNT; i++) {
        if ((bits & (1u << i)) != 0) {
            c->epoch[i]++;
        }
    }
    /* A reconnect may have missed the notification: then stop waiting,
     * the reconnect invalidated everything anyway. */
    reconnects = c->reconnects;
    if (watchers == 0) {
        watchers = 1;   /* unknown: at least this process's own */
    }
    while (c->listening && c->reconnects == reconnects &&
           !all_acknowledged(c, bits, generation, watchers)) {
        if (pthread_cond_timedwait(&c->heard, &c->lock, &deadline) ==
            ETIMEDOUT) {
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
}

int vouch__cache_epoch(vouch__cache *c, const char *kind, uint64_t *epoch)
{
    int k = kind_index(kind);
    int rc = 0;

    if (c == NULL || k < 0) {
        return 0;
    }
    pthread_mutex_lock(&c->lock);
    if (serving(c)) {
        *epoch = c->epoch[k];
        rc = 1;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void vouch__cache_stats(vouch__cache *c, uint64_t *hits, uint64_t *misses)
{
    *hits = 0;
    *misses = 0;
    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&c->lock);
    *hits = c->hits;
    *misses = c->misses;
    pthread_mutex_unlock(&c->lock);
}
