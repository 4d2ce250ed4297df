/*
 * Authentication of a bearer token (authn.h): static tokens by SHA-256 in
 * constant time, then OIDC JWTs (jwt.h, jwks.h, jwks_cache.h), then the
 * principal. Messages are for the server log and never hold the token.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth_internal.h"
#include "authn.h"
#include "jwks_cache.h"
#include "jwt.h"
#include "member.h"

struct vouch_identity {
    char *principal;
    const char *email;      /* within `principal`, or NULL */
    const char *subject;    /* `principal` itself, or NULL */
    char *issuer;
    vouch_authn_method method;
    int64_t expires;
};

struct vouch_authn {
    vouch_auth_clock clock;
    vouch__jwks_cache *cache;
};

const char *vouch_authn_result_name(vouch_authn_result result)
{
    static const char *const names[] = {
        "OK", "NO_TOKEN", "MALFORMED", "UNKNOWN_TOKEN", "UNKNOWN_ISSUER",
        "BAD_ALGORITHM", "UNKNOWN_KEY", "BAD_SIGNATURE", "WRONG_AUDIENCE",
        "EXPIRED", "NOT_YET_VALID", "BAD_CLAIMS", "KEYS_UNAVAILABLE",
    };

    if ((unsigned)result < sizeof(names) / sizeof(names[0])) {
        return names[result];
    }
    return "UNKNOWN";
}

/* ---- identities ------------------------------------------------------- */

VUTIL_GETTER(const char *, vouch_identity_principal, vouch_identity, principal)
VUTIL_GETTER(const char *, vouch_identity_email, vouch_identity, email)
VUTIL_GETTER(const char *, vouch_identity_subject, vouch_identity, subject)
VUTIL_GETTER(vouch_authn_method, vouch_identity_method, vouch_identity, method)
VUTIL_GETTER(const char *, vouch_identity_issuer, vouch_identity, issuer)
VUTIL_GETTER(int64_t, vouch_identity_expires, vouch_identity, expires)

void vouch_identity_free(vouch_identity *id)
{
    if (id == NULL) {
        return;
    }
    free(id->principal);
    free(id->issuer);
    free(id);
}

/* An identity for the member `principal` (normalised already). */
static vouch_identity *identity_new(const char *principal,
                                    vouch_authn_method method,
                                    const char *issuer, int64_t expires)
{
    vouch_identity *id = calloc(1, sizeof(*id));
    const char *colon;

    if (id == NULL) {
        return NULL;
    }
    id->method = method;
    id->expires = expires;
    id->principal = vutil_strdup(principal);
    id->issuer = vutil_strdup(issuer);
    if (id->principal == NULL || (issuer != NULL && id->issuer == NULL)) {
        vouch_identity_free(id);
        return NULL;
    }
    /* The e-mail or the subject is the principal's, seen in part or whole. */
    colon = strchr(id->principal, ':');
    if (strncmp(id->principal, "principal://", 12) == 0) {
        id->subject = id->principal;
    } else if (colon != NULL) {
        id->email = colon + 1;
    }
    if (id->subject == NULL && id->email == NULL) {
        vouch_identity_free(id);
        return NULL;
    }
    return id;
}

/* ---- the authenticator ---------------------------------------------- */

int vouch_authn_new(vouch_authn **out, const vouch_authn_options *opts,
                    vouch_error *err)
{
    vouch_authn_options defaults = VOUCH_AUTHN_OPTIONS_INIT;
    vouch_authn *a;
    long timeout;

    *out = NULL;
    if (opts == NULL) {
        opts = &defaults;
    }
    if (opts->version != VOUCH_AUTHN_OPTIONS_VERSION) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "unknown authenticator options version %u",
                               opts->version);
    }
    a = calloc(1, sizeof(*a));
    timeout = opts->fetch_timeout_ms > 0 ? opts->fetch_timeout_ms : 10000;
    if (a == NULL ||
        vouch__jwks_cache_new(&a->cache, &opts->clock, timeout) < 0) {
        free(a);
        return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                               "out of memory creating the authenticator");
    }
    a->clock = opts->clock;
    *out = a;
    return 0;
}

void vouch_authn_free(vouch_authn *authn)
{
    if (authn == NULL) {
        return;
    }
    vouch__jwks_cache_free(authn->cache);
    free(authn);
}

/* ---- helpers ---------------------------------------------------------- */

typedef struct authn_call {
    vouch_authn_result result;
    vouch_error *err;
} authn_call;

static int refuse(authn_call *call, vouch_authn_result result,
                  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int refuse(authn_call *call, vouch_authn_result result,
                  const char *fmt, ...)
{
    va_list ap;

    call->result = result;
    va_start(ap, fmt);
    vutil_error_setv(call->err, VOUCH_EUNAUTHENTICATED, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return VOUCH_EUNAUTHENTICATED;
}

static int out_of_memory(authn_call *call)
{
    call->result = VOUCH_AUTHN_BAD_CLAIMS;
    return vutil_error_set(call->err, VOUCH_ENOMEM, NULL, 0, 0,
                           "out of memory authenticating a request");
}

/* Printable, bounded copy of untrusted text (an iss, kid or aud). */
static void shown(const char *s, char *buf, size_t size)
{
    size_t i;

    for (i = 0; s != NULL && s[i] != '\0' && i + 1 < size; i++) {
        unsigned char c = (unsigned char)s[i];

        buf[i] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
    }
    buf[i] = '\0';
    if (s != NULL && s[i] != '\0' && size > 4) {
        memcpy(buf + size - 4, "...", 4);
    }
}

/* The token of "Bearer TOKEN"; NULL (and *len 0) when malformed. */
static const char *bearer_token(const char *header, size_t len,
                                size_t *token_len)
{
    size_t i = 6;
    size_t end = len;

    *token_len = 0;
    if (len < 7 || strncasecmp(header, "Bearer", 6) != 0 ||
        (header[6] != ' ' && header[6] != '\t')) {
        return NULL;
    }
    while (i < len && (header[i] == ' ' || header[i] == '\t')) {
        i++;
    }
    while (end > i && (header[end - 1] == ' ' || header[end - 1] == '\t')) {
        end--;
    }
    if (end == i) {
        return NULL;
    }
    for (size_t j = i; j < end; j++) {
        unsigned char c = (unsigned char)header[j];

        if (c <= 0x20 || c >= 0x7f) {
            return NULL;
        }
    }
    *token_len = end - i;
    return header + i;
}

/* The configured token whose hash matches, compared with every one. */
static const vouch__auth_token *static_token(const vouch_auth_config *cfg,
                                             const char *token, size_t len)
{
    unsigned char md[VOUCH_SHA256_BYTES];
    unsigned int mdlen = 0;
    const vouch__auth_token *match = NULL;
    size_t i;

    if (cfg == NULL || cfg->token_count == 0 ||
        EVP_Digest(token, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
        return NULL;
    }
    for (i = 0; i < cfg->token_count; i++) {
        int diff = CRYPTO_memcmp(md, cfg->tokens[i].sha256, sizeof(md));

        /* No early exit: every hash is compared whatever matched. */
        if (diff == 0 && match == NULL) {
            match = &cfg->tokens[i];
        }
    }
    OPENSSL_cleanse(md, sizeof(md));
    return match;
}

/* ---- claims ----------------------------------------------------------- */

/* A NumericDate claim: absent (0), a number (1), or not a number (-1). */
static int numeric_date(const json_t *claims, const char *name, int64_t *out)
{
    const json_t *v = json_object_get(claims, name);
    double d;

    if (v == NULL) {
        return 0;
    }
    if (!json_is_number(v)) {
        return -1;
    }
    d = json_number_value(v);
    if (!isfinite(d) || d < 0 || d > 1e15) {
        return -1;
    }
    *out = (int64_t)floor(d);
    return 1;
}

static bool audience_ok(const json_t *aud, const char *want)
{
    size_t i;
    const json_t *v;

    if (json_is_string(aud)) {
        return strcmp(json_string_value(aud), want) == 0;
    }
    if (!json_is_array(aud)) {
        return false;
    }
    json_array_foreach(aud, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), want) == 0) {
            return true;
        }
    }
    return false;
}

static int check_claims(authn_call *call, const vouch__auth_issuer *iss,
                        const json_t *claims, int64_t now, int64_t *exp)
{
    int64_t nbf = 0;
    int has_exp = numeric_date(claims, "exp", exp);
    int has_nbf = numeric_date(claims, "nbf", &nbf);
    const json_t *aud_claim = json_object_get(claims, "aud");
    char aud[80];

    if (!audience_ok(aud_claim, iss->audience)) {
        if (aud_claim == NULL) {
            return refuse(call, VOUCH_AUTHN_WRONG_AUDIENCE,
                          "token of %s has no audience; \"%s\" is needed",
                          iss->issuer, iss->audience);
        }
        shown(json_string_value(aud_claim), aud, sizeof(aud));
        return refuse(call, VOUCH_AUTHN_WRONG_AUDIENCE,
                      "token of %s is for audience \"%s\", not \"%s\"",
                      iss->issuer,
                      json_is_string(aud_claim) ? aud : "(a list without it)",
                      iss->audience);
    }
    if (has_exp <= 0) {
        return refuse(call, VOUCH_AUTHN_BAD_CLAIMS,
                      "token of %s has %s \"exp\"", iss->issuer,
                      has_exp == 0 ? "no" : "a non-numeric");
    }
    if (has_nbf < 0) {
        return refuse(call, VOUCH_AUTHN_BAD_CLAIMS,
                      "token of %s has a non-numeric \"nbf\"", iss->issuer);
    }
    if (now > *exp + VOUCH_AUTHN_LEEWAY_S) {
        return refuse(call, VOUCH_AUTHN_EXPIRED,
                      "token of %s expired %lld s ago (leeway %d s)",
                      iss->issuer, (long long)(now - *exp),
                      VOUCH_AUTHN_LEEWAY_S);
    }
    if (has_nbf > 0 && now + VOUCH_AUTHN_LEEWAY_S < nbf) {
        return refuse(call, VOUCH_AUTHN_NOT_YET_VALID,
                      "token of %s is not valid for another %lld s "
                      "(leeway %d s)", iss->issuer, (long long)(nbf - now),
                      VOUCH_AUTHN_LEEWAY_S);
    }
    return 0;
}

/* serviceAccount:EMAIL, or principal://HOST/subject/SUB (malloc'd). */
static int jwt_principal(authn_call *call, const vouch__auth_issuer *iss,
                         const json_t *claims, char **out)
{
    const json_t *email = json_object_get(claims, "email");
    const json_t *sub = json_object_get(claims, "sub");
    bool oom = false;

    *out = NULL;
    if (json_is_string(email) &&
        json_is_true(json_object_get(claims, "email_verified"))) {
        char why[160];
        char *member = NULL;
        size_t need = strlen("serviceAccount:") + json_string_length(email);
        int rc;

        member = malloc(need + 1);
        if (member == NULL) {
            return out_of_memory(call);
        }
        snprintf(member, need + 1, "serviceAccount:%s",
                 json_string_value(email));
        rc = vouch__member_parse(member, need,
                                 VOUCH_MEMBER_BIT(
                                     VOUCH_MEMBER_SERVICE_ACCOUNT),
                                 out, NULL, why, sizeof(why));
        free(member);
        if (rc == VOUCH_ENOMEM) {
            return out_of_memory(call);
        }
        if (rc < 0) {
            return refuse(call, VOUCH_AUTHN_BAD_CLAIMS,
                          "token of %s has a verified \"email\" that is "
                          "not an e-mail address", iss->issuer);
        }
        return 0;
    }
    if (json_is_string(sub)) {
        *out = vouch__member_principal(iss->host, json_string_value(sub),
                                       json_string_length(sub), &oom);
    }
    if (*out == NULL) {
        return oom ? out_of_memory(call)
                   : refuse(call, VOUCH_AUTHN_BAD_CLAIMS,
                            "token of %s has no verified \"email\" and no "
                            "usable \"sub\" (printable, at most 512 "
                            "bytes)", iss->issuer);
    }
    return 0;
}

/* ---- JWTs --------------------------------------------------------------- */

static int keys_and_signature(vouch_authn *a, authn_call *call,
                              const vouch__auth_issuer *iss,
                              const vouch_jwt *jwt)
{
    vouch_jwks *keys = NULL;
    vouch_error kerr = VOUCH_ERROR_INIT;
    char kid[80];
    int rc;

    shown(vouch_jwt_kid(jwt), kid, sizeof(kid));
    if (vouch_jwt_kid(jwt) == NULL) {
        return refuse(call, VOUCH_AUTHN_UNKNOWN_KEY,
                      "token of %s has no \"kid\"", iss->issuer);
    }
    rc = vouch__jwks_cache_get(a->cache, iss, vouch_jwt_kid(jwt),
                               vouch_jwt_alg(jwt), &keys, &kerr);
    if (rc == VOUCH_ENOMEM) {
        vouch_jwks_free(keys);
        return out_of_memory(call);
    }
    if (rc == VOUCH_EIO) {
        char why[512];

        vouch_error_format(&kerr, why, sizeof(why));
        return refuse(call, VOUCH_AUTHN_KEYS_UNAVAILABLE,
                      "no keys of %s: %s", iss->issuer, why);
    }
    if (rc == VOUCH_ENOTFOUND) {
        vouch_jwks_free(keys);
        return refuse(call, VOUCH_AUTHN_UNKNOWN_KEY,
                      "token of %s names key \"%s\" (%s), which is not in "
                      "its JWKS", iss->issuer, kid, vouch_jwt_alg(jwt));
    }
    rc = vouch_jwks_verify(keys, jwt, &kerr);
    vouch_jwks_free(keys);
    if (rc == VOUCH_ENOMEM) {
        return out_of_memory(call);
    }
    if (rc < 0) {
        return refuse(call, VOUCH_AUTHN_BAD_SIGNATURE,
                      "token of %s, key \"%s\": %s", iss->issuer, kid,
                      kerr.message);
    }
    return 0;
}

static int authenticate_jwt(vouch_authn *a, authn_call *call,
                            const vouch_auth_config *cfg, const char *token,
                            size_t len, vouch_identity **out)
{
    vouch_jwt *jwt = NULL;
    vouch_error perr = VOUCH_ERROR_INIT;
    const vouch__auth_issuer *iss;
    const json_t *claims;
    const json_t *iss_claim;
    char *principal = NULL;
    char shown_iss[120];
    int64_t exp = 0;
    int64_t now;
    int rc;

    rc = vouch_jwt_parse(&jwt, token, len, &perr);
    if (rc == VOUCH_ENOMEM) {
        return out_of_memory(call);
    }
    if (rc < 0) {
        return refuse(call, VOUCH_AUTHN_UNKNOWN_TOKEN,
                      "not a configured token, and %s", perr.message);
    }
    if (!vouch_jwks_alg_supported(vouch_jwt_alg(jwt))) {
        char alg[40];

        shown(vouch_jwt_alg(jwt), alg, sizeof(alg));
        rc = refuse(call, VOUCH_AUTHN_BAD_ALGORITHM,
                    "token algorithm \"%s\" is refused; vouch accepts "
                    "RS256, ES256 and EdDSA", alg);
        goto cleanup;
    }
    claims = vouch_jwt_claims(jwt);
    iss_claim = json_object_get(claims, "iss");
    iss = json_is_string(iss_claim)
              ? vouch__auth_config_issuer(cfg, json_string_value(iss_claim),
                                          json_string_length(iss_claim))
              : NULL;
    if (iss == NULL) {
        shown(json_string_value(iss_claim), shown_iss, sizeof(shown_iss));
        rc = refuse(call, VOUCH_AUTHN_UNKNOWN_ISSUER,
                    "token issuer \"%s\" is not configured", shown_iss);
        goto cleanup;
    }
    rc = keys_and_signature(a, call, iss, jwt);
    if (rc < 0) {
        goto cleanup;
    }
    now = vouch__clock_now_ms(&a->clock, false) / 1000;
    rc = check_claims(call, iss, claims, now, &exp);
    if (rc == 0) {
        rc = jwt_principal(call, iss, claims, &principal);
    }
    if (rc < 0) {
        goto cleanup;
    }
    *out = identity_new(principal, VOUCH_AUTHN_OIDC, iss->issuer, exp);
    if (*out == NULL) {
        rc = out_of_memory(call);
    }

cleanup:
    free(principal);
    vouch_jwt_free(jwt);
    return rc;
}

int vouch_authn_authenticate(vouch_authn *authn, const vouch_auth_config *cfg,
                             const char *header, size_t len,
                             vouch_identity **out, vouch_authn_result *result,
                             vouch_error *err)
{
    authn_call call = { VOUCH_AUTHN_OK, err };
    const vouch__auth_token *tok;
    const char *token;
    size_t token_len = 0;
    int rc;

    *out = NULL;
    if (header == NULL || len == 0) {
        rc = refuse(&call, VOUCH_AUTHN_NO_TOKEN, "no Authorization header");
        goto done;
    }
    token = bearer_token(header, len, &token_len);
    if (token == NULL) {
        rc = refuse(&call, VOUCH_AUTHN_MALFORMED,
                    "Authorization header is not \"Bearer TOKEN\"");
        goto done;
    }
    if (token_len > VOUCH_JWT_MAX_BYTES) {
        rc = refuse(&call, VOUCH_AUTHN_MALFORMED,
                    "bearer token is %zu bytes, over the limit of %u",
                    token_len, VOUCH_JWT_MAX_BYTES);
        goto done;
    }
    tok = static_token(cfg, token, token_len);
    if (tok != NULL) {
        *out = identity_new(tok->principal, VOUCH_AUTHN_STATIC_TOKEN, NULL,
                            0);
        rc = *out == NULL ? out_of_memory(&call) : 0;
        goto done;
    }
    if (cfg == NULL || cfg->issuer_count == 0) {
        rc = refuse(&call, VOUCH_AUTHN_UNKNOWN_TOKEN,
                    "not a configured token (and no OIDC issuer is "
                    "configured)");
        goto done;
    }
    rc = authenticate_jwt(authn, &call, cfg, token, token_len, out);

done:
    if (result != NULL) {
        *result = rc == 0 ? VOUCH_AUTHN_OK : call.result;
    }
    return rc;
}

int vouch_authn_prefetch(vouch_authn *authn, const vouch_auth_config *cfg,
                         vouch_error *err)
{
    size_t i;
    int first = 0;

    for (i = 0; cfg != NULL && i < cfg->issuer_count; i++) {
        vouch_jwks *keys = NULL;
        vouch_error kerr = VOUCH_ERROR_INIT;
        int rc;

        rc = vouch__jwks_cache_get(authn->cache, &cfg->issuers[i], NULL,
                                   NULL, &keys, &kerr);
        vouch_jwks_free(keys);
        if (rc == VOUCH_EIO && first == 0) {
            first = rc;
            if (err != NULL) {
                *err = kerr;
                vutil_error_prefix(err, "issuer %s",
                                   cfg->issuers[i].issuer);
            }
        }
    }
    return first;
}
