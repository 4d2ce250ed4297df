/*
 * vouchd — what one client may hold of the server (docs/security.md,
 * "Memory and time"):
 *
 *   - a budget of request-body memory shared by every request
 *     (--body-budget): a request whose body would take the total past it
 *     is answered 503 UNAVAILABLE with Retry-After, and its body is not
 *     kept;
 *   - a deadline for a request to arrive (--request-timeout): from the
 *     moment a connection opens, or the previous answer on it completed,
 *     until it arrived whole (or is answered without its body). libmicrohttpd's own timeout
 *     (--timeout) is an idle timeout, which a client sending one byte
 *     every few seconds never meets; a watchdog thread shuts down the
 *     socket of a connection past the deadline, which libmicrohttpd then
 *     closes as it would any connection the client dropped.
 *
 * (The connection limit is libmicrohttpd's MHD_OPTION_CONNECTION_LIMIT,
 * set by server.c.)
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef VOUCH_API_CONN_LIMITS_H
#define VOUCH_API_CONN_LIMITS_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "vouch/common.h"

typedef struct api_limits api_limits;

/*
 * Create the limits and start the watchdog.
 *
 * @param body_budget  bytes of request bodies held at once, all requests.
 * @param request_timeout_s  seconds a request may take to arrive (> 0).
 * @return 0; VOUCH_EINVAL (a zero limit); VOUCH_ENOMEM; VOUCH_EIO (the
 *         thread could not start). Caller owns *out: api_limits_free().
 */
int api_limits_new(api_limits **out, size_t body_budget,
                   unsigned request_timeout_s, vouch_error *err);

/* Stop the watchdog and free. Call after the daemon stopped (every
 * connection closed). NULL is a no-op. */
void api_limits_free(api_limits *l);

/* MHD_OPTION_NOTIFY_CONNECTION's callback; `cls` is the api_limits.
 * Tracks each connection in the watchdog's list. */
void api_limits_notify_connection(void *cls, struct MHD_Connection *c,
                                  void **socket_context,
                                  enum MHD_ConnectionNotificationCode code);

/* Take `n` bytes of the budget: true when they fit (then give them back
 * with api_limits_release), false when they would take it past it. */
bool api_limits_reserve(api_limits *l, size_t n);
void api_limits_release(api_limits *l, size_t n);

struct api_request;

/*
 * Grow the share of the budget `req` holds for its body to `bytes`.
 * False when the budget cannot spare it: then the body buffered so far is
 * freed, the share given back, and the answer set to 503 UNAVAILABLE
 * with Retry-After (the rest of the body is read and dropped).
 */
bool api_limits_take(struct api_request *req, size_t bytes);

/* The request on `c` arrived whole, or is answered without the rest of
 * its body: the deadline no longer applies (handling has its own bounds,
 * sending the answer the idle timeout). */
void api_limits_arrived(struct MHD_Connection *c);

/*
 * The request on `c` completed: the deadline starts again for the next
 * request on the connection. Returns true when the watchdog closed the
 * connection because the request did not arrive in time.
 */
bool api_limits_completed(struct MHD_Connection *c);

#endif /* VOUCH_API_CONN_LIMITS_H */
