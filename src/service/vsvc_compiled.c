/*
 * vouch service — compiled stored objects and the verify cache
 * (vsvc_compiled.h says why they are never stale).
 */
#include "vsvc_compiled.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "vsvc_internal.h"

#define BUCKETS 1024u
#define NO_STAMP UINT64_MAX

struct vsvc_object {
    atomic_uint refs;
    vouch_policy *policy;
    vouch_attestor *attestor;
    bool stored;
};

typedef enum obj_kind { OBJ_POLICY = 0, OBJ_ATTESTOR = 1 } obj_kind;

static const char *const kind_text[2] = {
    VSVC_KIND_POLICY, VSVC_KIND_ATTESTOR
};
static const char *const stored_what[2] = {
    "stored policy", "stored attestor"
};

/* One stored resource: what version it is, its object (NULL: absent
 * attestor), and the stamps it was found current at: [0] a generation
 * (even), [1] an epoch (odd), NO_STAMP when none. */
typedef struct entry {
    struct entry *next;
    obj_kind kind;
    char *name;
    bool found;
    char *etag;
    unsigned char hash[32];
    vsvc_object *obj;
    uint64_t stamp[2];
} entry;

struct vsvc_compiled {
    pthread_mutex_t lock;
    entry *buckets[BUCKETS];
    size_t count;
    size_t max;
    uint64_t hits;
    uint64_t misses;

    /* The verify cache, replaced whenever the attestors' stamp moves. */
    pthread_rwlock_t verify_lock;
    vouch_verify_cache *verify;
    uint64_t verify_stamp;
    bool verify_stamp_known;
    uint64_t retired_hits;
    uint64_t retired_misses;
};

/* ---- objects ---- */

static vsvc_object *object_new(vouch_policy *policy, vouch_attestor *att,
                               bool stored)
{
    vsvc_object *o = calloc(1, sizeof(*o));

    if (o == NULL) {
        vouch_policy_free(policy);
        vouch_attestor_free(att);
        return NULL;
    }
    atomic_init(&o->refs, 1);
    o->policy = policy;
    o->attestor = att;
    o->stored = stored;
    return o;
}

static vsvc_object *object_ref(vsvc_object *o)
{
    if (o != NULL) {
        atomic_fetch_add(&o->refs, 1);
    }
    return o;
}

void vsvc_object_release(vsvc_object *o)
{
    if (o == NULL || atomic_fetch_sub(&o->refs, 1) != 1) {
        return;
    }
    vouch_policy_free(o->policy);
    vouch_attestor_free(o->attestor);
    free(o);
}

const vouch_policy *vsvc_object_policy(const vsvc_object *o)
{
    return o->policy;
}

const vouch_attestor *vsvc_object_attestor(const vsvc_object *o)
{
    return o->attestor;
}

bool vsvc_object_stored(const vsvc_object *o)
{
    return o->stored;
}

/* ---- the cache ---- */

int vsvc_compiled_new(vsvc_compiled **out, size_t entries, vouch_error *err)
{
    vsvc_compiled *c = calloc(1, sizeof(*c));
    int rc;

    *out = NULL;
    if (c == NULL) {
        return vutil_enomem(err);
    }
    c->max = entries > 0 ? entries : VSVC_COMPILED_ENTRIES;
    rc = vouch_verify_cache_new(&c->verify, VSVC_VERIFY_ENTRIES, err);
    if (rc < 0) {
        free(c);
        return rc;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_rwlock_init(&c->verify_lock, NULL);
    *out = c;
    return 0;
}

static void entry_free(entry *e)
{
    vsvc_object_release(e->obj);
    free(e->name);
    free(e->etag);
    free(e);
}

static void clear_entries(vsvc_compiled *c)
{
    for (size_t i = 0; i < BUCKETS; i++) {
        while (c->buckets[i] != NULL) {
            entry *e = c->buckets[i];

            c->buckets[i] = e->next;
            entry_free(e);
        }
    }
    c->count = 0;
}

void vsvc_compiled_free(vsvc_compiled *c)
{
    if (c == NULL) {
        return;
    }
    clear_entries(c);
    vouch_verify_cache_free(c->verify);
    pthread_rwlock_destroy(&c->verify_lock);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static size_t bucket_of(obj_kind k, const char *name)
{
    uint32_t h = 2166136261u ^ (uint32_t)k;   /* FNV-1a */

    for (; *name != '\0'; name++) {
        h = (h ^ (unsigned char)*name) * 16777619u;
    }
    return h % BUCKETS;
}

static entry *find(vsvc_compiled *c, obj_kind k, const char *name)
{
    for (entry *e = c->buckets[bucket_of(k, name)]; e != NULL;
         e = e->next) {
        if (e->kind == k && strcmp(e->name, name) == 0) {
            return e;
        }
    }
    return NULL;
}

/* The entry current at `stamp`: its object, referenced, into *out. An
 * entry is only marked current at a stamp that was read both before and
 * after the resource (load): its object is exactly the version at that
 * stamp. */
static bool lookup(vsvc_compiled *c, obj_kind k, const char *name,
                   uint64_t stamp, vsvc_object **out)
{
    bool hit = false;
    entry *e;

    if (c == NULL || stamp == NO_STAMP) {
        return false;
    }
    pthread_mutex_lock(&c->lock);
    e = find(c, k, name);
    if (e != NULL && e->stamp[stamp & 1] == stamp) {
        *out = object_ref(e->obj);
        c->hits++;
        hit = true;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

/* SHA-256 of the stored text: a version is its etag and its bytes (an
 * operator's UPDATE may keep the etag). */
static void text_hash(const char *text, unsigned char hash[32])
{
    unsigned int n = 0;

    if (text == NULL ||
        EVP_Digest(text, strlen(text), hash, &n, EVP_sha256(), NULL) != 1) {
        memset(hash, 0, 32);
    }
}

/* The same version as the entry? Then keep its object and note the stamp
 * it is current at now. */
static bool reuse(vsvc_compiled *c, obj_kind k, const char *name,
                  const vouch_resource *r, const unsigned char hash[32],
                  uint64_t stamp, vsvc_object **out)
{
    bool same = false;
    entry *e;

    if (c == NULL) {
        return false;
    }
    pthread_mutex_lock(&c->lock);
    e = find(c, k, name);
    if (e != NULL && e->found == (r != NULL) &&
        (r == NULL || (vutil_same_text(e->etag, r->etag) &&
                       memcmp(e->hash, hash, 32) == 0))) {
        *out = object_ref(e->obj);
        if (stamp != NO_STAMP) {
            e->stamp[stamp & 1] = stamp;
        }
        c->hits++;
        same = true;
    }
    pthread_mutex_unlock(&c->lock);
    return same;
}

/* Keep a freshly compiled version (when it was read from committed
 * data). */
static void keep(vsvc_compiled *c, vouch_store_conn *conn, obj_kind k,
                 const char *name, const vouch_resource *r,
                 const unsigned char hash[32], uint64_t stamp,
                 vsvc_object *obj)
{
    entry *e;
    entry *fresh;

    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&c->lock);
    c->misses++;
    pthread_mutex_unlock(&c->lock);
    if (stamp == NO_STAMP || !vouch_store_reads_committed(conn)) {
        return;
    }
    fresh = calloc(1, sizeof(*fresh));
    if (fresh == NULL) {
        return;
    }
    fresh->kind = k;
    fresh->name = vutil_strdup(name);
    fresh->found = r != NULL;
    fresh->etag = r != NULL ? vutil_strdup(r->etag) : NULL;
    memcpy(fresh->hash, hash, 32);
    fresh->obj = object_ref(obj);
    fresh->stamp[0] = NO_STAMP;
    fresh->stamp[1] = NO_STAMP;
    fresh->stamp[stamp & 1] = stamp;
    if (fresh->name == NULL || (r != NULL && fresh->etag == NULL)) {
        entry_free(fresh);
        return;
    }
    pthread_mutex_lock(&c->lock);
    e = find(c, k, name);
    if (e != NULL) {
        entry tmp = *e;

        /* Swap contents, keep the chain. */
        fresh->next = e->next;
        *e = *fresh;
        *fresh = tmp;
        fresh->next = NULL;
    } else {
        size_t b = bucket_of(k, name);

        if (c->count >= c->max) {
            clear_entries(c);
        }
        fresh->next = c->buckets[b];
        c->buckets[b] = fresh;
        c->count++;
        fresh = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    if (fresh != NULL) {
        entry_free(fresh);
    }
}

/* Compile a stored resource (or, absent, the default policy). */
static int compile(obj_kind k, const char *project, const char *name,
                   const vouch_resource *r, vsvc_object **out,
                   vouch_error *err)
{
    vouch_policy *policy = NULL;
    vouch_attestor *att = NULL;
    int rc = 0;

    *out = NULL;
    if (k == OBJ_POLICY && r == NULL) {
        rc = vouch_policy_new_default(&policy, project, err);
    } else if (k == OBJ_POLICY) {
        rc = vouch_policy_parse(&policy, r->json, strlen(r->json),
                                VOUCH_FORMAT_JSON, name, err);
    } else if (r != NULL) {
        rc = vouch_attestor_parse(&att, r->json, strlen(r->json),
                                  VOUCH_FORMAT_JSON, name, err);
    }
    if (rc < 0) {
        return rc;
    }
    if (k == OBJ_ATTESTOR && r == NULL) {
        return 0;   /* absent: no object */
    }
    *out = object_new(policy, att, r != NULL);
    return *out != NULL ? 0 : vutil_enomem(err);
}

/* The kind's change stamp again, after a resource was read at `stamp`:
 * `stamp` if nothing of the kind was committed in between (the read is
 * then exactly the version at `stamp`), else NO_STAMP. */
static uint64_t stamp_still(vouch_store_conn *conn, obj_kind k,
                            uint64_t stamp)
{
    vouch_error serr = VOUCH_ERROR_INIT;
    uint64_t now = NO_STAMP;

    if (stamp == NO_STAMP ||
        vouch_store_change_stamp(conn, kind_text[k], &now, &serr) < 0) {
        return NO_STAMP;
    }
    return now == stamp ? stamp : NO_STAMP;
}

static int load(vsvc_compiled *c, vouch_store_conn *conn, obj_kind k,
                const char *project, const char *name, vsvc_object **out,
                uint64_t *stamp_out, bool *exact_out, vouch_error *err)
{
    vouch_error serr = VOUCH_ERROR_INIT;
    vouch_resource r;
    unsigned char hash[32];
    uint64_t stamp = NO_STAMP;
    uint64_t exact_at;
    bool found;
    int rc;

    *out = NULL;
    if (exact_out != NULL) {
        *exact_out = false;
    }
    memset(&r, 0, sizeof(r));
    if (vouch_store_change_stamp(conn, kind_text[k], &stamp, &serr) < 0) {
        stamp = NO_STAMP;   /* unknown: compile, keep nothing */
    }
    if (stamp_out != NULL) {
        *stamp_out = stamp;
    }
    if (lookup(c, k, name, stamp, out)) {
        if (exact_out != NULL) {
            *exact_out = vouch_store_reads_committed(conn);
        }
        goto found;
    }
    rc = vouch_store_get(conn, kind_text[k], name, &r, err);
    if (rc < 0 && rc != VOUCH_ENOTFOUND) {
        return vsvc__error_wrap(err, "store");
    }
    /* A change committed since the stamp was read: the version read may be
     * newer than the stamp says; used, but not marked current at it. */
    exact_at = stamp_still(conn, k, stamp);
    if (exact_out != NULL) {
        *exact_out = exact_at != NO_STAMP && vouch_store_reads_committed(conn);
    }
    found = rc == 0;
    text_hash(found ? r.json : NULL, hash);
    if (!reuse(c, k, name, found ? &r : NULL, hash, exact_at, out)) {
        rc = compile(k, project, name, found ? &r : NULL, out, err);
        if (rc < 0) {
            vouch_resource_clear(&r);
            return rc == VOUCH_ENOMEM ? rc
                                      : vsvc__error_wrap(err, stored_what[k]);
        }
        keep(c, conn, k, name, found ? &r : NULL, hash, exact_at, *out);
    }
    vouch_resource_clear(&r);

found:
    if (*out == NULL) {
        return vutil_error_set(err, VOUCH_ENOTFOUND, NULL, 0, 0,
                               "%s %s not found", kind_text[k], name);
    }
    return 0;
}

int vsvc_compiled_policy(vsvc_compiled *cache, vouch_store_conn *conn,
                         const char *project, vsvc_object **out,
                         uint64_t *stamp, vouch_error *err)
{
    char name[VSVC_NAME_MAX];

    vsvc_policy_name(name, sizeof(name), project);
    return load(cache, conn, OBJ_POLICY, project, name, out, stamp, NULL,
                err);
}

int vsvc_compiled_attestor(vsvc_compiled *cache, vouch_store_conn *conn,
                           const char *name, vsvc_object **out,
                           uint64_t *stamp, vouch_error *err)
{
    return load(cache, conn, OBJ_ATTESTOR, NULL, name, out, stamp, NULL,
                err);
}

int vsvc_compiled_attestor_exact(vsvc_compiled *cache,
                                 vouch_store_conn *conn, const char *name,
                                 vsvc_object **out, uint64_t *stamp,
                                 bool *exact, vouch_error *err)
{
    return load(cache, conn, OBJ_ATTESTOR, NULL, name, out, stamp, exact,
                err);
}

void vsvc_compiled_stats(vsvc_compiled *c, uint64_t *hits,
                         uint64_t *misses)
{
    pthread_mutex_lock(&c->lock);
    *hits = c->hits;
    *misses = c->misses;
    pthread_mutex_unlock(&c->lock);
}

/* ---- the verify cache ---- */

/* Replace the verify cache for `stamp`. Write lock held. */
static void verify_renew(vsvc_compiled *c, uint64_t stamp)
{
    vouch_verify_cache *fresh = NULL;
    uint64_t h = 0;
    uint64_t m = 0;

    if (vouch_verify_cache_new(&fresh, VSVC_VERIFY_ENTRIES, NULL) < 0) {
        return;
    }
    if (c->verify != NULL) {
        vouch_verify_cache_stats(c->verify, &h, &m);
    }
    c->retired_hits += h;
    c->retired_misses += m;
    vouch_verify_cache_free(c->verify);
    c->verify = fresh;
    c->verify_stamp = stamp;
    c->verify_stamp_known = true;
}

static bool verify_current(const vsvc_compiled *c, uint64_t stamp)
{
    return c->verify_stamp_known && c->verify_stamp == stamp;
}

void vsvc_verify_cache_acquire(vsvc_compiled *c, vouch_store_conn *conn,
                               const uint64_t *before,
                               vouch_verify_cache **out)
{
    vouch_error err = VOUCH_ERROR_INIT;
    uint64_t stamp = 0;

    *out = NULL;
    pthread_rwlock_rdlock(&c->verify_lock);   /* released as usual */
    if (vouch_store_change_stamp(conn, VSVC_KIND_ATTESTOR, &stamp, &err) <
            0 ||
        (before != NULL && *before != stamp)) {
        return;
    }
    if (!verify_current(c, stamp)) {
        pthread_rwlock_unlock(&c->verify_lock);
        pthread_rwlock_wrlock(&c->verify_lock);
        if (!verify_current(c, stamp)) {
            verify_renew(c, stamp);
        }
        pthread_rwlock_unlock(&c->verify_lock);
        pthread_rwlock_rdlock(&c->verify_lock);
        if (!verify_current(c, stamp)) {
            return;   /* moved again meanwhile: verify without a cache */
        }
    }
    *out = c->verify;
}

bool vsvc_verify_cache_acquire_kept(vsvc_compiled *c, uint64_t stamp,
                                    vouch_verify_cache **out)
{
    *out = NULL;
    if (stamp == NO_STAMP) {
        return false;
    }
    pthread_rwlock_rdlock(&c->verify_lock);
    if (!verify_current(c, stamp)) {
        pthread_rwlock_unlock(&c->verify_lock);
        return false;
    }
    *out = c->verify;
    return true;
}

void vsvc_verify_cache_release(vsvc_compiled *c)
{
    pthread_rwlock_unlock(&c->verify_lock);
}

void vsvc_verify_cache_stats(vsvc_compiled *c, uint64_t *hits,
                             uint64_t *misses)
{
    uint64_t h = 0;
    uint64_t m = 0;

    pthread_rwlock_rdlock(&c->verify_lock);
    if (c->verify != NULL) {
        vouch_verify_cache_stats(c->verify, &h, &m);
    }
    *hits = h + c->retired_hits;
    *misses = m + c->retired_misses;
    pthread_rwlock_unlock(&c->verify_lock);
}
