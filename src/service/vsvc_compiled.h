/*
 * vouch service — compiled stored objects: a project's policy and the
 * attestors, parsed, validated and compiled (keys decoded, the pattern
 * trie built) once per stored version and shared read-only by every
 * request thread, reference-counted.
 *
 * How it stays exact (never an old version, two replicas on one database
 * included): every lookup first reads the kind's change stamp
 * (vouch_store_change_stamp: the SQLite generation, or, outside a
 * transaction, the PostgreSQL read cache's epoch that LISTEN/NOTIFY
 * moves). An entry is served only for the stamp it was checked at. On any
 * other stamp the stored resource is read again (the store's read cache
 * may answer it), and the stamp once more: only when it has not moved is
 * the read exactly the version at that stamp, and only then is the stamp
 * recorded in the entry (if the etag and text are those of the entry, the
 * compiled object is kept, else it is compiled again and the entry
 * replaced). So an entry found current at a stamp is exactly the stored
 * version at that stamp. An entry is only kept from reads of committed
 * data (vouch_store_reads_committed), never from a transaction that
 * wrote.
 *
 * The verify cache (verified signatures) is kept beside them and replaced
 * whenever the attestors' stamp moves: a changed key under a reused key id
 * must never hit an old result. Every result in the cache kept for a stamp
 * comes from attestors exactly at that stamp, so a request whose attestor
 * is exactly at the stamp the cache is kept for may use it without reading
 * the stamp again (vsvc_verify_cache_acquire_kept): attestor and results
 * are one version, current when the request read the stamp.
 *
 * Thread safety: every function may be called from any thread; objects
 * are immutable and may be used by any number of threads until released.
 */
#ifndef VSVC_COMPILED_H
#define VSVC_COMPILED_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "vouch/vouch.h"

/* Default number of objects kept; a full cache is emptied and fills
 * again. */
#define VSVC_COMPILED_ENTRIES 4096u
/* Entries of each verify cache. */
#define VSVC_VERIFY_ENTRIES 4096u

typedef struct vsvc_compiled vsvc_compiled;
typedef struct vsvc_object vsvc_object;

/** @return 0; VOUCH_ENOMEM. `entries` 0 means VSVC_COMPILED_ENTRIES. */
int vsvc_compiled_new(vsvc_compiled **out, size_t entries, vouch_error *err);

/** Free the cache; objects still held stay valid until released. NULL is
 * a no-op. */
void vsvc_compiled_free(vsvc_compiled *cache);

/**
 * The project's policy, compiled: the stored one, or the default policy
 * (vsvc_object_stored() false) when the project never wrote one. With a
 * NULL `cache` the policy is compiled for this call only.
 *
 * @param[out] out    Caller releases it with vsvc_object_release().
 * @param[out] stamp  May be NULL. The kind's change stamp the object was
 *                    found current at (read before the object), for
 *                    vsvc_verify_cache_acquire(); UINT64_MAX, never a
 *                    stamp, when it could not be read.
 * @return 0; VOUCH_EIO (store; or a stored policy that no longer parses:
 *         the message names it); VOUCH_ENOMEM.
 */
int vsvc_compiled_policy(vsvc_compiled *cache, vouch_store_conn *conn,
                         const char *project, vsvc_object **out,
                         uint64_t *stamp, vouch_error *err);

/**
 * The attestor `name` ("projects/p/attestors/a"), compiled.
 *
 * @return 0; VOUCH_ENOTFOUND ("attestor NAME not found"); VOUCH_EIO (store,
 *         or a stored attestor that no longer parses); VOUCH_ENOMEM.
 */
int vsvc_compiled_attestor(vsvc_compiled *cache, vouch_store_conn *conn,
                           const char *name, vsvc_object **out,
                           uint64_t *stamp, vouch_error *err);

/**
 * vsvc_compiled_attestor(), and whether the object is exactly the stored
 * version at `*stamp` (`*exact`: found current at it, or read with the
 * stamp unchanged before and after), for vsvc_verify_cache_acquire_kept().
 */
int vsvc_compiled_attestor_exact(vsvc_compiled *cache,
                                 vouch_store_conn *conn, const char *name,
                                 vsvc_object **out, uint64_t *stamp,
                                 bool *exact, vouch_error *err);

/* The compiled policy / attestor of an object (the other is NULL).
 * Borrowed: valid until the object is released. */
const vouch_policy *vsvc_object_policy(const vsvc_object *o);
const vouch_attestor *vsvc_object_attestor(const vsvc_object *o);
/* Is it a stored resource (false: the default policy)? */
bool vsvc_object_stored(const vsvc_object *o);
/* Release a reference. NULL is a no-op. */
void vsvc_object_release(vsvc_object *o);

/* Hits (no compile) and misses (a compile) so far. */
void vsvc_compiled_stats(vsvc_compiled *cache, uint64_t *hits,
                         uint64_t *misses);

/**
 * Borrow the verify cache for one decision, reconciled with the
 * attestors' change stamp read on `conn`. Pair with
 * vsvc_verify_cache_release(). `*out` is NULL (verify without a cache)
 * when the stamp could not be read, or when `before` is not NULL and the
 * stamp moved since *before was taken (the attestor the request read may
 * not match the cache then: not worth the risk).
 */
void vsvc_verify_cache_acquire(vsvc_compiled *cache, vouch_store_conn *conn,
                               const uint64_t *before,
                               vouch_verify_cache **out);
/**
 * Borrow the verify cache kept for `stamp` without reading the store, for
 * a decision whose attestors are exactly at `stamp`
 * (vsvc_compiled_attestor_exact). True: borrowed, pair with
 * vsvc_verify_cache_release(). False (nothing borrowed): the cache is not
 * the one kept for `stamp`; use vsvc_verify_cache_acquire().
 */
bool vsvc_verify_cache_acquire_kept(vsvc_compiled *cache, uint64_t stamp,
                                    vouch_verify_cache **out);
void vsvc_verify_cache_release(vsvc_compiled *cache);

/* Hits and misses of the verify caches, replaced ones included. */
void vsvc_verify_cache_stats(vsvc_compiled *cache, uint64_t *hits,
                             uint64_t *misses);

#endif /* VSVC_COMPILED_H */
