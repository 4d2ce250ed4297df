/*
 * Compact JWT parsing (jwt.h). base64url goes through libvouch's decoder
 * (OpenSSL's EVP_DecodeBlock after translating the alphabet); this file only
 * checks that each part uses the url alphabet without padding first.
 */
#include <stdlib.h>
#include <string.h>

#include "auth_internal.h"
#include "vutil_error.h"
#include "vutil_str.h"
#include "jwt.h"

struct vouch_jwt {
    char *input;              /* "HEADER.PAYLOAD", NUL-terminated copy */
    size_t input_len;
    unsigned char *sig;
    size_t sig_len;
    json_t *header;
    json_t *claims;
    const char *alg;          /* borrowed from header */
    const char *kid;          /* borrowed from header, or NULL */
};

static bool b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Decode one part; `what` names it in errors. */
static int decode_part(const char *s, size_t len, const char *what,
                       unsigned char **out, size_t *out_len,
                       vouch_error *err)
{
    size_t i;
    int rc;

    for (i = 0; i < len; i++) {
        if (!b64url_char(s[i])) {
            return vutil_error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                                   "JWT %s is not base64url without "
                                   "padding (byte %zu)", what, i + 1);
        }
    }
    if (len % 4 == 1) {
        return vutil_error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                               "JWT %s has an impossible base64url length",
                               what);
    }
    rc = vutil_base64_decode(s, len, out, out_len);
    if (rc == VOUCH_ENOMEM) {
        return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                               "out of memory decoding a JWT");
    }
    if (rc < 0) {
        return vutil_error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                               "JWT %s is not valid base64url", what);
    }
    return 0;
}

/* Decode and parse one JSON object part. jansson's text is left out of
 * the message on purpose: it quotes the input. */
static int json_part(const char *s, size_t len, const char *what,
                     json_t **out, vouch_error *err)
{
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    json_error_t jerr;
    int rc;

    *out = NULL;
    rc = decode_part(s, len, what, &raw, &raw_len, err);
    if (rc < 0) {
        return rc;
    }
    *out = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES,
                      &jerr);
    free(raw);
    if (*out == NULL) {
        return vutil_error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                               "JWT %s is not JSON (or repeats a member "
                               "name) at its line %d, column %d", what,
                               jerr.line, jerr.column);
    }
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return vutil_error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                               "JWT %s is not a JSON object", what);
    }
    return 0;
}

static int check_header(vouch_jwt *jwt, vouch_error *err)
{
    json_t *alg = json_object_get(jwt->header, "alg");
    json_t *kid = json_object_get(jwt->header, "kid");

    if (!json_is_string(alg)) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "JWT header has no string \"alg\"");
    }
    if (kid != NULL && !json_is_string(kid)) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "JWT header \"kid\" is not a string");
    }
    if (json_object_get(jwt->header, "crit") != NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "JWT header has \"crit\": no extension is "
                               "supported");
    }
    jwt->alg = json_string_value(alg);
    jwt->kid = kid != NULL ? json_string_value(kid) : NULL;
    return 0;
}

int vouch_jwt_parse(vouch_jwt **out, const char *token, size_t len,
                    vouch_error *err)
{
    vouch_jwt *jwt = NULL;
    int rc;

    *out = NULL;
    if (len > VOUCH_JWT_MAX_BYTES) {
        return vouch__auth_too_big(err, NULL, "token", len,
                                   VOUCH_JWT_MAX_BYTES);
    }
    const char *dot1 = token != NULL ? memchr(token, '.', len) : NULL;
    const char *dot2 = dot1 != NULL
               ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token))
               : NULL;
    if (dot2 == NULL ||
        memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL) {
        return vutil_error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                               "not a JWT: expected three base64url parts "
                               "separated by '.'");
    }
    size_t hlen = (size_t)(dot1 - token);
    size_t plen = (size_t)(dot2 - dot1 - 1);
    if (hlen == 0 || plen == 0) {
        return vutil_error_set(err, VOUCH_EPARSE, NULL, 0, 0,
                               "not a JWT: the header or the payload is "
                               "empty");
    }
    jwt = calloc(1, sizeof(*jwt));
    if (jwt == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                               "out of memory parsing a JWT");
    }
    rc = json_part(token, hlen, "header", &jwt->header, err);
    if (rc == 0) {
        rc = json_part(dot1 + 1, plen, "payload", &jwt->claims, err);
    }
    if (rc == 0) {
        rc = decode_part(dot2 + 1, len - (size_t)(dot2 + 1 - token),
                         "signature", &jwt->sig, &jwt->sig_len, err);
    }
    if (rc == 0) {
        rc = check_header(jwt, err);
    }
    if (rc < 0) {
        goto cleanup;
    }
    jwt->input_len = (size_t)(dot2 - token);
    jwt->input = vutil_strndup(token, jwt->input_len);
    if (jwt->input == NULL) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                             "out of memory parsing a JWT");
        goto cleanup;
    }
    *out = jwt;
    jwt = NULL;

cleanup:
    vouch_jwt_free(jwt);
    return rc;
}

const char *vouch_jwt_alg(const vouch_jwt *jwt)
{
    return jwt->alg;
}

const char *vouch_jwt_kid(const vouch_jwt *jwt)
{
    return jwt->kid;
}

const json_t *vouch_jwt_header(const vouch_jwt *jwt)
{
    return jwt->header;
}

const json_t *vouch_jwt_claims(const vouch_jwt *jwt)
{
    return jwt->claims;
}

vouch_slice vouch_jwt_signing_input(const vouch_jwt *jwt)
{
    vouch_slice s = { jwt->input, jwt->input_len };

    return s;
}

const unsigned char *vouch_jwt_signature(const vouch_jwt *jwt, size_t *len)
{
    *len = jwt->sig_len;
    return jwt->sig;
}

void vouch_jwt_free(vouch_jwt *jwt)
{
    if (jwt == NULL) {
        return;
    }
    free(jwt->input);
    free(jwt->sig);
    json_decref(jwt->header);
    json_decref(jwt->claims);
    free(jwt);
}
