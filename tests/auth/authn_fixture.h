/*
 * Fixtures shared by the live tests of authentication (test_authn.c) and
 * of the JWKS cache (test_jwks_cache.c), which tests/auth/harness.py runs
 * with real keys made by openssl, tokens signed by PyJWT, and a local
 * HTTPS server with a test CA. Every helper fails the running cmocka test
 * rather than returning an error.
 */
#ifndef VOUCH_TEST_AUTHN_FIXTURE_H
#define VOUCH_TEST_AUTHN_FIXTURE_H

#include <stdint.h>

#include "authconfig.h"
#include "authn.h"

/* The authenticator's clock stands at T0 unless a test moves it. */
#define T0 1700000000LL
#define ALICE_TOKEN "alice-token"

/* Standard claims of issuer ISS for audience "vouch", valid at T0. */
#define CLAIMS(iss) \
    "{\"iss\": \"" iss "\", \"aud\": \"vouch\", \"sub\": \"ci-runner\", " \
    "\"iat\": %lld, \"exp\": %lld}", T0, T0 + 600

/* From the harness: the work directory, the servers' base URLs, the CA. */
extern const char *fx_dir;
extern const char *fx_https;   /* "https://127.0.0.1:PORT" */
extern const char *fx_http;    /* "http://127.0.0.1:PORT" */
extern const char *fx_ca;

/* Read the harness's environment (exit 2 without it) and initialise
 * libcurl, as vouchd's main does before any thread; fx_done() undoes it. */
void fx_init(void);
void fx_done(void);

/* Move the authenticator's clock to `seconds` since the epoch. */
void set_now(int64_t seconds);

/*
 * Serve www/NAME.json = {"keys": [the JWKs of `keys`, comma-separated key
 * names]} with Cache-Control `cc` (NULL: none); unserve() removes it (the
 * server then answers 404). fetches() counts the requests for NAME.
 */
void serve(const char *name, const char *cc, const char *keys);
void unserve(const char *name);
int fetches(const char *name);

/* A JWT signed by key KEY with ALG, with the extra header members
 * `header` (a JSON object) and the claims of the printf format. */
char *mint(const char *key, const char *alg, const char *header,
           const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* oidc entries: www/NAME.json read from disk; BASE/PATH over https, with
 * the test CA when `with_ca`. malloc'd; config() takes them. */
char *oidc_file(const char *issuer, const char *name);
char *oidc_url(const char *issuer, const char *base, const char *path,
               bool with_ca);

/* A config with alice's static token and up to two oidc entries. */
vouch_auth_config *config(char *oidc1, char *oidc2);

/* An authenticator on the test clock. */
vouch_authn *authn_new(void);

typedef struct outcome {
    int rc;
    vouch_authn_result result;
    char principal[512];
    char email[256];
    char subject[512];
    char message[512];
} outcome;

/* Authenticate the Authorization header `header` (NULL: none). */
outcome authenticate(vouch_authn *a, const vouch_auth_config *cfg,
                     const char *header);

/* Authenticate "Bearer TOKEN", expect `want`, and check that the message
 * quotes no part of the token. */
outcome expect(vouch_authn *a, const vouch_auth_config *cfg,
               const char *token, vouch_authn_result want);

#endif /* VOUCH_TEST_AUTHN_FIXTURE_H */
