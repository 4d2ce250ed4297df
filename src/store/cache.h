/*
 * vouch — the store's read cache (private to src/store/).
 *
 * Resources of the kinds every request reads (the policy, attestors) are
 * kept in memory after a read outside a transaction, and served from
 * there without a database round trip for as long as no process can have
 * changed them. Only a backend that hears about commits of other
 * processes has one (PostgreSQL, by LISTEN/NOTIFY); reads inside a
 * transaction always go to the database.
 *
 * How "never stale" holds:
 * - a watcher thread owns one LISTEN connection; each notification moves
 *   the epoch of its kind. Reading and handling notifications happen under
 *   the cache lock, and a lookup treats news still unread on the socket as
 *   a miss, so a notification that has reached this host invalidates at
 *   once;
 * - an entry keeps the epoch read *before* the SELECT that filled it: a
 *   change committed during the SELECT makes the entry stale at once;
 * - every watcher acknowledges each generation change it heard (NOTIFY
 *   on a second channel), after moving the epoch. A commit of this
 *   process moves the epoch itself, counts the watchers listening on the
 *   database, and waits (at most VOUCH__CACHE_SYNC_MS) until that many
 *   acknowledged the generation it wrote: by the time a write is answered,
 *   no vouchd on the database serves what it replaced;
 * - a change made behind vouch's back (an operator's SQL) has no
 *   generation and no one waits for it: it is seen as soon as the
 *   notification of the trigger arrives;
 * - while the watcher is not listening (start-up, connection lost,
 *   reconnecting), nothing is served from the cache.
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef VOUCH_STORE_CACHE_H
#define VOUCH_STORE_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"

/* Most entries kept; a full cache is emptied and fills again. */
#define VOUCH__CACHE_ENTRIES 4096u
/* Longest a committing writer waits for its own notification. */
#define VOUCH__CACHE_SYNC_MS 1000

typedef struct vouch__cache vouch__cache;

/*
 * Start the cache and its watcher thread, for a backend with watch_open;
 * `*out` is NULL (no cache, not an error) for one without. The first
 * LISTEN is made before this returns, so a healthy database gives a
 * cache that works from the first request. `db` must outlive the cache.
 */
int vouch__cache_start(vouch__cache **out, const vouch__store_backend *be,
                       void *db, vouch_error *err);
/* Stop the watcher (within ~100 ms) and free everything. NULL: no-op. */
void vouch__cache_stop(vouch__cache *cache);

/* Does `kind` go through the cache? False for a NULL cache. */
bool vouch__cache_holds(const vouch__cache *cache, const char *kind);

/*
 * Look `kind`/`name` up. On a hit returns 1 and sets `*found`: true with a
 * copy in `out` (the caller clears it), false when the resource is known
 * to be absent. On a miss returns 0 and sets `*ticket` for
 * vouch__cache_put (0 means "do not put"). VOUCH_ENOMEM on a failed copy.
 */
int vouch__cache_get(vouch__cache *cache, const char *kind,
                     const char *name, vouch_resource *out, bool *found,
                     uint64_t *ticket);
/* Remember what a read with `ticket` found (`r`, or NULL: absent). Does
 * nothing when anything changed since the ticket was taken. */
void vouch__cache_put(vouch__cache *cache, const char *kind,
                      const char *name, const vouch_resource *r,
                      uint64_t ticket);

/* Bit of `kind` for vouch__cache_committed, 0 when it is not cached. */
unsigned vouch__cache_kind_bit(const vouch__cache *cache, const char *kind);
/*
 * This process committed writes to the kinds in `kinds` (bits), which now
 * stand at the given generations (`generation[i]` for bit i; 0: unknown).
 * Invalidates at once, then waits until `watchers` watches (0: unknown,
 * taken as 1) acknowledged those generations (see above).
 */
void vouch__cache_committed(vouch__cache *cache, unsigned kinds,
                            const uint64_t *generation, uint64_t watchers);

/*
 * The epoch of `kind` while the cache is serving (listening, no news
 * unread): 1 and `*epoch` set; else 0. An unchanged epoch means no change
 * of `kind` since, under the same guarantee as the entries.
 */
int vouch__cache_epoch(vouch__cache *cache, const char *kind,
                       uint64_t *epoch);

/* Counters for /metrics. */
void vouch__cache_stats(vouch__cache *cache, uint64_t *hits,
                        uint64_t *misses);

/* The kinds the cache holds, in bit order; `*count` of them. */
const char *const *vouch__cache_kinds(unsigned *count);

#endif /* VOUCH_STORE_CACHE_H */
