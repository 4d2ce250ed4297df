/*
 * vouch service — the unit of work every change goes through:
 *
 *   1. resolve outside: image tags are resolved to digests through the
 *      registry before any transaction is open (network I/O never holds
 *      SQLite's write lock or PostgreSQL's row locks);
 *   2. begin a write transaction;
 *   3. decide and write (the caller's function);
 *   4. commit, or roll back when the function failed;
 *   5. after a commit only, run the post-commit hooks in the order they
 *      were added (audit lines to the file sink, an execution's runtime
 *      process): a rolled-back change never reaches the sink and never
 *      starts a process.
 *
 * The function may find an image it needs that was not resolved before
 * BEGIN (a job's images are known only once the job is read): it asks
 * vsvc_uow_resolve(), which remembers the image and answers VOUCH_ERETRY;
 * the function returns that (after asking for every image it needs), the
 * unit rolls back, resolves what was asked outside the transaction, and
 * runs the function again. A resolution (digest or failure) is made once
 * per unit: every attempt sees the same answers.
 *
 * Thread safety: a unit belongs to one thread.
 */
#ifndef VSVC_UOW_H
#define VSVC_UOW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "audit.h"
#include "registry.h"
#include "store.h"
#include "vouch/common.h"

/* Most attempts of one unit (a first one, then one per round of images
 * to resolve or store retry); past them VOUCH_EABORTED. */
#define VSVC_UOW_ATTEMPTS 4
/* Most distinct images one unit resolves. */
#define VSVC_UOW_IMAGES 64u

typedef struct vsvc_uow vsvc_uow;

/* Decide and write in the open transaction (vsvc_uow_conn). 0 commits;
 * a negative code rolls back (VOUCH_ERETRY: resolve, then again). */
typedef int (*vsvc_uow_fn)(vsvc_uow *uow, void *payload, vouch_error *err);

/* A post-commit action, and how its payload is freed (may be NULL). The
 * hook's own failure is its to report (it cannot undo the commit). */
typedef void (*vsvc_hook_fn)(void *payload);
typedef void (*vsvc_hook_free_fn)(void *payload);

/**
 * A unit on `conn` (a connection with no transaction open; borrowed).
 * `registry` (may be NULL: a tag cannot be resolved, only digests pass)
 * and `sink` (may be NULL: no file sink) are borrowed.
 *
 * @return 0; VOUCH_EINVAL (a transaction is open on `conn`: the unit owns
 *         its transaction); VOUCH_ENOMEM.
 */
int vsvc_uow_new(vsvc_uow **out, vouch_store_conn *conn,
                 vouch_registry *registry, vouch_audit_sink *sink,
                 vouch_error *err);

/** Free the unit: unrun hooks are dropped (their payloads freed). */
void vsvc_uow_free(vsvc_uow *uow);

/**
 * Ask for `image` (`len` bytes) to be resolved before the first attempt,
 * when the caller knows it already (a service's template). Optional: an
 * image not asked for costs one more attempt.
 */
int vsvc_uow_want(vsvc_uow *uow, const char *image, size_t len,
                  vouch_error *err);

/**
 * Run `fn` as described above. Returns its result, or the store's error
 * on BEGIN/COMMIT (nothing committed), or VOUCH_EABORTED after
 * VSVC_UOW_ATTEMPTS attempts. Hooks run only when 0 is returned.
 */
int vsvc_uow_run(vsvc_uow *uow, vsvc_uow_fn fn, void *payload,
                 vouch_error *err);

/** The connection, in the unit's transaction while `fn` runs. */
vouch_store_conn *vsvc_uow_conn(vsvc_uow *uow);

/**
 * `image` (`len` bytes) as "NAME@DIGEST" into `out` (malloc'd; caller
 * frees). An image already by digest is kept as it is, without asking the
 * registry.
 *
 * @return 0; VOUCH_ERETRY (not resolved yet: return it from `fn`); the
 *         resolution's failure (`rerr` filled: VOUCH_EIO registry
 *         unreachable, VOUCH_ENOTFOUND, VOUCH_EPARSE...), the same in
 *         every attempt; VOUCH_ENOMEM.
 */
int vsvc_uow_resolve(vsvc_uow *uow, const char *image, size_t len,
                     char **out, vouch_error *rerr);

/**
 * Run `fn(payload)` after the commit. Takes ownership of `payload` even on
 * failure (freed with `free_fn` after the hook ran, or when the unit rolls
 * back or is freed). Hooks added by an attempt that rolls back are
 * dropped with it.
 *
 * @return 0; VOUCH_ENOMEM.
 */
int vsvc_uow_after_commit(vsvc_uow *uow, vsvc_hook_fn fn,
                          vsvc_hook_free_fn free_fn, void *payload,
                          vouch_error *err);

/**
 * Who asked for the change: the audit entries of the unit carry it as
 * protoPayload.authenticationInfo, {"principalEmail": EMAIL} or
 * {"principalSubject": SUBJECT} ({} for an anonymous caller, the default).
 * Both strings are copied; at most one should be set.
 *
 * @return 0; VOUCH_ENOMEM.
 */
int vsvc_uow_set_caller(vsvc_uow *uow, const char *email,
                        const char *subject, vouch_error *err);

/**
 * Store an audit `entry` (borrowed) in the unit's transaction and write it
 * to the file sink after the commit. An entry without
 * protoPayload.authenticationInfo gets the unit's caller's (the entry is
 * changed in place).
 *
 * @return as vouch_audit_store(); VOUCH_ENOMEM.
 */
int vsvc_uow_audit(vsvc_uow *uow, const json_t *entry, vouch_error *err);

#endif /* VSVC_UOW_H */
