/*
 * vouch — page tokens: a list position and an HMAC-SHA256 tag binding it
 * to its list (pagetoken.h).
 */
#include "pagetoken.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "vutil_str.h"

static const char domain[] = "vouch page token 1";

static void put_u32(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* The tag of `position` in `scope` into `tag` (VOUCH__PAGE_TAG_BYTES).
 * Scope strings are the caller's own (names, a filter already parsed),
 * never raw input, so they are NUL-terminated. */
static int tag_of(const unsigned char *key, const char *const *scope,
                  size_t count, const char *position, size_t len,
                  unsigned char *tag)
{
    unsigned char *buf = NULL;
    size_t need = sizeof(domain) - 1 + 4 + len;
    size_t used = 0;
    size_t tag_len = 0;
    size_t i;
    int rc = 0;

    for (i = 0; i < count; i++) {
        size_t n = scope[i] != NULL ? strlen(scope[i]) : 0;
        need += 1 + (scope[i] != NULL ? 4 + n : 0);
    }
    buf = malloc(need);
    if (buf == NULL) {
        return VOUCH_ENOMEM;
    }
    memcpy(buf, domain, sizeof(domain) - 1);
    used = sizeof(domain) - 1;
    for (i = 0; i < count; i++) {
        if (scope[i] == NULL) {
            buf[used++] = 0;
            continue;
        }
        size_t n = strlen(scope[i]);
        buf[used++] = 1;
        put_u32(buf + used, n);
        memcpy(buf + used + 4, scope[i], n);
        used += 4 + n;
    }
    put_u32(buf + used, len);
    memcpy(buf + used + 4, position, len);
    used += 4 + len;
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key,
                  VOUCH__PAGE_KEY_BYTES, buf, used, tag,
                  VOUCH__PAGE_TAG_BYTES, &tag_len) == NULL ||
        tag_len != VOUCH__PAGE_TAG_BYTES) {
        rc = VOUCH_ECRYPTO;
    }
    free(buf);
    return rc;
}

int vouch__page_token_seal(const unsigned char *key,
                           const char *const *scope, size_t count,
                           const char *position, size_t len, char **out)
{
    unsigned char *raw = NULL;
    int rc;

    *out = NULL;
    if (len == 0 || len > VOUCH__PAGE_POSITION_MAX ||
        memchr(position, '\0', len) != NULL) {
        return VOUCH_EINVAL;
    }
    raw = malloc(len + VOUCH__PAGE_TAG_BYTES);
    if (raw == NULL) {
        return VOUCH_ENOMEM;
    }
    memcpy(raw, position, len);
    rc = tag_of(key, scope, count, position, len, raw + len);
    if (rc == 0) {
        rc = vutil_base64_encode(raw, len + VOUCH__PAGE_TAG_BYTES, true,
                                 out);
    }
    free(raw);
    return rc;
}

int vouch__page_token_open(const unsigned char *key,
                           const char *const *scope, size_t count,
                           const char *token, size_t token_len, char **out)
{
    unsigned char tag[VOUCH__PAGE_TAG_BYTES];
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    size_t len;
    int rc;

    *out = NULL;
    if (token_len >
        4 * (VOUCH__PAGE_POSITION_MAX + VOUCH__PAGE_TAG_BYTES) / 3 + 4) {
        return VOUCH_ETOOBIG;
    }
    if (vutil_base64_decode(token, token_len, &raw, &raw_len) < 0) {
        return VOUCH_EINVAL;
    }
    if (raw_len <= VOUCH__PAGE_TAG_BYTES) {
        rc = VOUCH_EINVAL;
        goto cleanup;
    }
    len = raw_len - VOUCH__PAGE_TAG_BYTES;
    rc = tag_of(key, scope, count, (const char *)raw, len, tag);
    if (rc < 0) {
        goto cleanup;
    }
    if (CRYPTO_memcmp(tag, raw + len, VOUCH__PAGE_TAG_BYTES) != 0 ||
        memchr(raw, '\0', len) != NULL) {
        rc = VOUCH_EINVAL;
        goto cleanup;
    }
    raw[len] = '\0';   /* the tag's first byte: no longer needed */
    *out = (char *)raw;
    raw = NULL;

cleanup:
    free(raw);
    return rc;
}
