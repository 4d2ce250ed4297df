/*
 * vouch run platform — runtime drivers: what happens to an admitted
 * execution (docs/run.md "Runtime drivers").
 *
 * `none`: nothing runs; the platform records the execution as succeeded
 * at once (admission only).
 * `exec`: a command template (e.g. "podman run --rm {image}") is expanded
 * for each execution ({image} = the admitted digest reference of the first
 * container, {job}, {execution}; each value single-quoted for the shell)
 * and run as `/bin/sh -c COMMAND` in its own process group. A thread waits
 * for it and records the result in its own store transaction: exit status
 * 0 → succeeded, anything else → failed (the status in the Completed
 * condition); the execution's operation becomes done. Cancelling kills
 * the process group (SIGKILL).
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef VOUCH_PLATFORM_RUNTIME_H
#define VOUCH_PLATFORM_RUNTIME_H

#include <stdbool.h>

#include "store.h"
#include "vouch/common.h"

typedef struct vouch_runtime vouch_runtime;

/**
 * @param command  exec: the template (copied); checked for unknown
 *                 placeholders. Ignored when `exec` is false.
 * @param store    borrowed; the waiting threads' transactions.
 * @return 0; VOUCH_EINVAL; VOUCH_ETOOBIG; VOUCH_ENOMEM.
 */
int vouch_runtime_new(vouch_runtime **out, bool exec, const char *command,
                      vouch_store *store, vouch_error *err);

/** Kill every running process group, join the threads, free. NULL ok. */
void vouch_runtime_free(vouch_runtime *rt);

/** Does this runtime run anything (exec)? */
bool vouch_runtime_runs(const vouch_runtime *rt);

/**
 * Start the command for an execution. The execution (store name
 * `execution_name`) must be stored as running by the caller's transaction;
 * the waiting thread updates it (and `operation_name`) when the process
 * ends.
 *
 * @return 0; VOUCH_EIO (cannot start: the message says why); VOUCH_ENOMEM.
 */
int vouch_runtime_start(vouch_runtime *rt, const char *execution_name,
                        const char *job_id, const char *execution_id,
                        const char *image, const char *operation_name,
                        vouch_error *err);

/** Kill the execution's process group. True when it was running. */
bool vouch_runtime_cancel(vouch_runtime *rt, const char *execution_name);

/*
 * Record the end of an execution in `conn`'s open write transaction:
 * state from `exit_status` (0 succeeded; > 0 failed; < 0 cancelled),
 * completionTime, conditions, and the operation (when not NULL) done.
 * Does nothing when the execution already completed. Shared by the
 * runtime thread and the platform (none runtime, cancel).
 */
int vouch_runtime_record_end(vouch_store_conn *conn,
                             const char *execution_name,
                             const char *operation_name, int exit_status,
                             vouch_error *err);

#endif /* VOUCH_PLATFORM_RUNTIME_H */
