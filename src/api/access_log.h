/*
 * vouchd — the access log: one JSON line per request (docs/operator.md,
 * "Logs"), whatever bytes the request held.
 */
#ifndef VOUCH_API_ACCESS_LOG_H
#define VOUCH_API_ACCESS_LOG_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Copy `in` into `out` (`size` bytes, NUL-terminated) with printable
 * ASCII as it is and every other byte, and the backslash, as \xNN: a
 * method or path that is not UTF-8 is logged all the same, and never
 * reaches a terminal raw. Cut short to fit. Reentrant.
 */
void api_log_escape(char *out, size_t size, const char *in);

/*
 * Does one write(2) of any length reach `f` whole, whatever other threads
 * write meanwhile? True for a regular file (Linux holds the file's
 * position lock for the whole write); false for a pipe or a terminal,
 * where only PIPE_BUF (4 KiB) bytes are written whole. Asked once, at
 * start-up.
 */
bool api_access_log_writes_whole(FILE *f);

/*
 * Append {"time","method","path","status","latency_us","caller"} to `f`
 * in one write(2) of its descriptor, unbuffered. Unless `writes_whole`
 * (api_access_log_writes_whole(f)), the write is made holding `f`'s stdio
 * lock, the one every fprintf to `f` takes, so that no other line, a log
 * line or vouchd's own message, lands inside it. `method` is escaped
 * already (api_log_escape),
 * or NULL (logged as null) when the request was refused before its
 * method was known; `path` is escaped here; `caller` is the principal
 * (an authenticated member form, printable ASCII) or NULL (null: an
 * anonymous caller, or no auth config). A line that cannot be built
 * (out of memory) is dropped. Thread-safe.
 */
void api_access_log_write(FILE *f, bool writes_whole, const char *method,
                          const char *path, unsigned status,
                          uint64_t latency_us, const char *caller);

/*
 * The status to log for a request vouchd did not answer: the one
 * libmicrohttpd answered itself (431, 400...), 408 when it did not arrive
 * in time (`expired`: closed by the request deadline, or libmicrohttpd's
 * idle timeout), else 499 (the client went away first).
 */
unsigned api_log_unanswered_status(struct MHD_Connection *connection,
                                   bool expired,
                                   enum MHD_RequestTerminationCode toe);

#endif /* VOUCH_API_ACCESS_LOG_H */
