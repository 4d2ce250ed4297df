/*
 * vouchd — what its security flags make (docs/security.md): the auth
 * config in force (--auth-config, in a slot a SIGHUP swaps), the
 * authenticator and its JWKS cache, the rate limiter (--rate-limit), the
 * TLS certificate (--tls-cert, --tls-key), and the rule that vouchd
 * listens beyond loopback only with both an auth config and TLS.
 *
 * Every message goes to standard error as "vouchd: ...".
 * Thread safety: open, reload and close run on the main thread; the
 * objects they make are shared with the request threads (each documents
 * how).
 */
#ifndef VOUCH_DAEMON_SECURITY_H
#define VOUCH_DAEMON_SECURITY_H

#include <sys/socket.h>

#include "options.h"
#include "server.h"

typedef struct vouchd_security {
    const vouchd_options *opts;   /* borrowed */
    vouch_auth_slot *slot;        /* NULL without --auth-config */
    vouch_authn *authn;           /* with --auth-config */
    vouch_ratelimit *ratelimit;   /* NULL without --rate-limit */
    api_tls *tls;                 /* NULL without --tls-cert */
} vouchd_security;

/*
 * Check the listen rule for `addr` (the parsed --listen) and make what the
 * flags ask for. Returns 0, or 2 (usage: the message printed says what is
 * wrong or missing, with FILE:LINE:COL for the auth config). On failure
 * `sec` holds nothing.
 */
int vouchd_security_open(vouchd_security *sec, const vouchd_options *opts,
                         const struct sockaddr_storage *addr);

/* Fill the security fields of `cfg` from `sec` (borrowed). */
void vouchd_security_apply(const vouchd_security *sec, api_config *cfg);

/*
 * SIGHUP: read the auth config and the certificate again. What fails to
 * load is logged and the previous one stays in force; ends with the line
 * "vouchd: reload done".
 */
void vouchd_security_reload(vouchd_security *sec);

/* One line for the start-up message: "auth: 2 tokens, 1 OIDC issuer, 1
 * owner; TLS: CN=…" (or "no auth config: loopback, anonymous owner"). */
void vouchd_security_describe(const vouchd_security *sec, char *buf,
                              size_t size);

/* Free everything; only after the server stopped. */
void vouchd_security_close(vouchd_security *sec);

#endif /* VOUCH_DAEMON_SECURITY_H */
