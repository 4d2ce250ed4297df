/*
 * Error reporting, small string helpers and base64 (through OpenSSL) used by
 * every file of libvouch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"

VOUCH_API const char *vouch_code_name(int code)
{
    switch (code) {
    case VOUCH_OK: return "OK";
    case VOUCH_ENOMEM: return "ENOMEM";
    case VOUCH_EPARSE: return "EPARSE";
    case VOUCH_EINVAL: return "EINVAL";
    case VOUCH_ETOOBIG: return "ETOOBIG";
    case VOUCH_ENOTFOUND: return "ENOTFOUND";
    case VOUCH_EIO: return "EIO";
    case VOUCH_ECRYPTO: return "ECRYPTO";
    case VOUCH_ECONFLICT: return "ECONFLICT";
    case VOUCH_EABORTED: return "EABORTED";
    case VOUCH_EPRECONDITION: return "EPRECONDITION";
    case VOUCH_EUNAUTHENTICATED: return "EUNAUTHENTICATED";
    case VOUCH_EPERMISSION: return "EPERMISSION";
    case VOUCH_EEXHAUSTED: return "EEXHAUSTED";
    case VOUCH_ERETRY: return "ERETRY";
    default: return "EUNKNOWN";
    }
}

VOUCH_API const char *vouch_version(void)
{
    return VOUCH_VERSION;
}

VOUCH_API void vouch_free(void *ptr)
{
    free(ptr);
}

VOUCH_API int vouch_error_format(const vouch_error *err, char *buf,
                                 size_t size)
{
    const char *src = err->source;

    if (src[0] != '\0' && err->line > 0 && err->column > 0) {
        return snprintf(buf, size, "%s:%u:%u: %s", src, err->line,
                        err->column, err->message);
    }
    if (src[0] != '\0' && err->line > 0) {
        return snprintf(buf, size, "%s:%u: %s", src, err->line,
                        err->message);
    }
    if (src[0] != '\0') {
        return snprintf(buf, size, "%s: %s", src, err->message);
    }
    if (err->line > 0) {
        return snprintf(buf, size, "%u:%u: %s", err->line, err->column,
                        err->message);
    }
    return snprintf(buf, size, "%s", err->message);
}

int vouch__error_setv(vouch_error *err, vouch_code code, const char *source,
                      int line, int column, const char *fmt, va_list ap)
{
    if (err == NULL) {
        return code;
    }
    err->code = code;
    err->line = line > 0 ? (uint32_t)line : 0;
    err->column = column > 0 ? (uint32_t)column : 0;
    snprintf(err->source, sizeof(err->source), "%s",
             source != NULL ? source : "");
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    return code;
}

int vouch__error_set(vouch_error *err, vouch_code code, const char *source,
                     int line, int column, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vouch__error_setv(err, code, source, line, column, fmt, ap);
    va_end(ap);
    return code;
}

int vouch__error_prefix(vouch_error *err, const char *fmt, ...)
{
    char prefix[sizeof(err->message)];
    char old[sizeof(err->message)];
    va_list ap;

    if (err == NULL) {
        return VOUCH_EINVAL;
    }
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof(old));
    /* Truncation is fine here: the message is for people, and the
     * prefix (the field path) matters most. */
    {
        size_t plen = strlen(prefix);
        size_t olen = strlen(old);
        size_t room = sizeof(err->message) - 1;

        if (plen > room) {
            plen = room;
        }
        memcpy(err->message, prefix, plen);
        if (room - plen >= 2) {
            memcpy(err->message + plen, ": ", 2);
            plen += 2;
            if (olen > room - plen) {
                olen = room - plen;
            }
            memcpy(err->message + plen, old, olen);
            plen += olen;
        }
        err->message[plen] = '\0';
    }
    return err->code;
}

char *vouch__strndup(const char *s, size_t len)
{
    char *copy;

    if (len == SIZE_MAX) {
        return NULL;
    }
    copy = malloc(len + 1);
    if (copy == NULL) {
        return NULL;
    }
    if (len > 0) {
        memcpy(copy, s, len);
    }
    copy[len] = '\0';
    return copy;
}

char *vouch__strdup(const char *s)
{
    return s == NULL ? NULL : vouch__strndup(s, strlen(s));
}

bool vouch__slice_eq(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);

    return n == len && (len == 0 || memcmp(s, lit, len) == 0);
}

void vouch__hex(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

int vouch__base64_encode(const unsigned char *in, size_t len, bool url_nopad,
                         char **out)
{
    size_t cap;
    char *text;
    int n;
    int i;

    *out = NULL;
    if (len > (size_t)(INT32_MAX / 4 * 3 - 3)) {
        return VOUCH_ETOOBIG;
    }
    cap = 4 * ((len + 2) / 3) + 1;
    text = malloc(cap);
    if (text == NULL) {
        return VOUCH_ENOMEM;
    }
    n = EVP_EncodeBlock((unsigned char *)text, in, (int)len);
    if (url_nopad) {
        while (n > 0 && text[n - 1] == '=') {
            n--;
        }
        for (i = 0; i < n; i++) {
            if (text[i] == '+') {
                text[i] = '-';
            } else if (text[i] == '/') {
                text[i] = '_';
            }
        }
    }
    text[n] = '\0';
    *out = text;
    return VOUCH_OK;
}

int vouch__base64_decode(const char *in, size_t len, unsigned char **out,
                         size_t *out_len)
{
    char *norm = NULL;
    unsigned char *bin = NULL;
    size_t n = 0;
    size_t padded;
    size_t i;
    size_t pad = 0;
    int got;
    int rc = VOUCH_EPARSE;

    *out = NULL;
    *out_len = 0;
    if (len > (size_t)INT32_MAX / 2) {
        return VOUCH_ETOOBIG;
    }
    /* Normalise to the standard alphabet with padding, which is what
     * EVP_DecodeBlock understands; reject whitespace and stray bytes. */
    padded = len + 4;
    norm = malloc(padded + 1);
    if (norm == NULL) {
        return VOUCH_ENOMEM;
    }
    for (i = 0; i < len; i++) {
        char c = in[i];

        if (c == '-') {
            c = '+';
        } else if (c == '_') {
            c = '/';
        } else if (c == '=') {
            pad++;
            if (pad > 2) {
                goto cleanup;
            }
            norm[n++] = c;
            continue;
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     (c >= '0' && c <= '9') || c == '+' || c == '/')) {
            goto cleanup;
        }
        if (pad > 0) {
            goto cleanup; /* data after padding */
        }
        norm[n++] = c;
    }
    if (pad > 0 && n % 4 != 0) {
        goto cleanup;
    }
    if (n % 4 == 1) {
        goto cleanup;
    }
    while (n % 4 != 0) {
        norm[n++] = '=';
        pad++;
    }
    bin = malloc(n / 4 * 3 + 1);
    if (bin == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    got = EVP_DecodeBlock(bin, (const unsigned char *)norm, (int)n);
    if (got < 0) {
        goto cleanup;
    }
    /* EVP_DecodeBlock counts padding bytes as zero output bytes. */
    {
        size_t count = 0;

        for (i = n; i > 0 && norm[i - 1] == '='; i--) {
            count++;
        }
        *out_len = (size_t)got - count;
    }
    bin[*out_len] = '\0';
    *out = bin;
    bin = NULL;
    rc = VOUCH_OK;

cleanup:
    free(norm);
    free(bin);
    return rc;
}
