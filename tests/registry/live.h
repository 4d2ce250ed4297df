/*
 * Helpers shared by the live registry tests (test_registry.c,
 * test_registry_guard.c, test_registry_faults.c), which harness.py runs
 * with these servers on 127.0.0.1 named in the environment:
 *   VOUCH_REG_ANON   a REAL docker-registry, anonymous, team/app tags oci,
 *                    docker, index, list and 1.0 pushed by the harness
 *   VOUCH_REG_AUTH   a REAL docker-registry with htpasswd (bcrypt) basic auth
 *   VOUCH_REG_FAKE   fake_registry.py (see its docstring for what it fakes
 *   VOUCH_REG_ALT    and why), on plain http twice and on https (TLS, with
 *   VOUCH_REG_TLS    the certificate VOUCH_REG_CA)
 *   VOUCH_REG_PROBE  a port that counts the connections made to it
 *   VOUCH_REG_DEAD   a port where nothing listens
 * Every helper fails the running test (cmocka) on a broken harness.
 */
#ifndef VOUCH_TESTS_REGISTRY_LIVE_H
#define VOUCH_TESTS_REGISTRY_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "registry.h"

/* getenv, or fail: the test runs only through harness.py. */
const char *env(const char *name);

int64_t ms_now(void);

/*
 * A client as vouchd would be configured for the test servers: ANON, AUTH,
 * FAKE, ALT and DEAD listed insecure (plain http), TLS listed allowed
 * (https to a loopback address) with VOUCH_REG_CA trusted. retry_base_ms
 * 50, connect timeout 2 s.
 */
vouch_registry *client(const char *creds, unsigned retries, long total_ms);

/* A client with nothing listed: what a default vouchd does. */
vouch_registry *bare_client(void);

/* Resolve "$HOSTVAR/rest"; returns the code, digest and error. */
int resolve(vouch_registry *reg, const char *hostvar, const char *rest,
            unsigned flags, char *digest, vouch_error *err);

/* The fake registry's /stats; json_decref it. */
json_t *fake_stats(void);
/* Requests the fake saw for `path` (0 when none). */
json_int_t fake_count(const char *path);
/* Token requests the fake answered. */
json_int_t fake_tokens(void);
/* Connections made to VOUCH_REG_PROBE. */
json_int_t fake_probe(void);
/* The Authorization schemes `path` received, joined by ',' ("none,basic");
 * "" when the path saw no request. Static buffer. */
const char *fake_auth(const char *path);
/* GET http://$VOUCH_REG_FAKE/path (e.g. "/release"). */
void fake_get(const char *path);

/* Push a fresh image as team/app:TAG on the anonymous registry; its digest
 * goes to `digest`. */
void repush(const char *tag, char *digest, size_t size);

/* `text` with every occurrence of `host` replaced by "HOST". Static
 * buffer. */
const char *without_host(const char *text, const char *host);

#endif /* VOUCH_TESTS_REGISTRY_LIVE_H */
