/*
 * vouch util — string helpers (vutil_str.h).
 */
#include "vutil_str.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "vouch/common.h"

char *vutil_strndup(const char *s, size_t len)
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

char *vutil_strdup(const char *s)
{
    return s == NULL ? NULL : vutil_strndup(s, strlen(s));
}

bool vutil_slice_eq(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);

    return n == len && (len == 0 || memcmp(s, lit, len) == 0);
}

bool vutil_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool vutil_slice_has_prefix(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);

    return len >= n && memcmp(s, prefix, n) == 0;
}

bool vutil_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
}

void vutil_text_position(const char *text, size_t off, int *line, int *col)
{
    size_t i;
    int l = 1;
    int c = 1;

    for (i = 0; i < off; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

bool vutil_flag_matches(const char *arg, const char *name,
                        const char **value)
{
    size_t n = strlen(name);

    *value = NULL;
    if (strncmp(arg, name, n) != 0) {
        return false;
    }
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return true;
    }
    return arg[n] == '\0';
}

bool vutil_buf_reserve(vutil_buf *b, size_t n)
{
    if (n > b->max - b->len) {
        b->too_big = true;
        return false;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap == 0 ? 4096 : b->cap;
        char *p;

        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        p = realloc(b->data, cap);
        if (p == NULL) {
            return false;
        }
        b->data = p;
        b->cap = cap;
    }
    return true;
}

bool vutil_buf_append(vutil_buf *b, const void *data, size_t n)
{
    if (!vutil_buf_reserve(b, n)) {
        return false;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

bool vutil_grow(void *items, size_t *cap, size_t count, size_t size,
                size_t first)
{
    size_t n = *cap == 0 ? first : *cap * 2;
    void *old;
    void *grown;

    if (count < *cap) {
        return true;
    }
    if (n > SIZE_MAX / size) {
        return false;
    }
    /* memcpy, not a cast to void **: `items` is the address of a T *. */
    memcpy(&old, items, sizeof(old));
    grown = realloc(old, n * size);
    if (grown == NULL) {
        return false;
    }
    memcpy(items, &grown, sizeof(grown));
    *cap = n;
    return true;
}

bool vutil_listed(const char *const *list, const char *s)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
        if (strcmp(list[i], s) == 0) {
            return true;
        }
    }
    return false;
}

bool vutil_same_text(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

char *vutil_aprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return NULL;
    }
    s = malloc((size_t)n + 1);
    if (s == NULL) {
        return NULL;
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void vutil_hex(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

int vutil_base64_encode(const unsigned char *in, size_t len, bool url_nopad,
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

static bool b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Normalise `len` bytes of base64 or base64url, with or without padding,
 * to the padded standard alphabet EVP_DecodeBlock understands, into
 * `norm` (len + 5 bytes). Whitespace and stray bytes are refused.
 */
static int b64_normalise(const char *in, size_t len, char *norm,
                         size_t *out_n)
{
    size_t n = 0;
    size_t pad = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        char c = in[i];

        if (c == '-') {
            c = '+';
        } else if (c == '_') {
            c = '/';
        } else if (c == '=') {
            if (++pad > 2) {
                return VOUCH_EPARSE;
            }
            norm[n++] = c;
            continue;
        } else if (!b64_char(c)) {
            return VOUCH_EPARSE;
        }
        if (pad > 0) {
            return VOUCH_EPARSE;   /* data after padding */
        }
        norm[n++] = c;
    }
    if ((pad > 0 && n % 4 != 0) || n % 4 == 1) {
        return VOUCH_EPARSE;
    }
    while (n % 4 != 0) {
        norm[n++] = '=';
    }
    *out_n = n;
    return 0;
}

int vutil_base64_decode(const char *in, size_t len, unsigned char **out,
                        size_t *out_len)
{
    char *norm = NULL;
    unsigned char *bin = NULL;
    size_t n = 0;
    size_t count = 0;
    size_t i;
    int got;
    int rc;

    *out = NULL;
    *out_len = 0;
    if (len > (size_t)INT32_MAX / 2) {
        return VOUCH_ETOOBIG;
    }
    norm = malloc(len + 5);
    if (norm == NULL) {
        return VOUCH_ENOMEM;
    }
    rc = b64_normalise(in, len, norm, &n);
    if (rc < 0) {
        goto cleanup;
    }
    bin = malloc(n / 4 * 3 + 1);
    if (bin == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    got = EVP_DecodeBlock(bin, (const unsigned char *)norm, (int)n);
    if (got < 0) {
        rc = VOUCH_EPARSE;
        goto cleanup;
    }
    /* EVP_DecodeBlock counts padding bytes as zero output bytes. */
    for (i = n; i > 0 && norm[i - 1] == '='; i--) {
        count++;
    }
    *out_len = (size_t)got - count;
    bin[*out_len] = '\0';
    *out = bin;
    bin = NULL;
    rc = VOUCH_OK;

cleanup:
    free(norm);
    free(bin);
    return rc;
}

bool vutil_id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '~';
}

bool vutil_id_valid(const char *id)
{
    return id != NULL &&
           vutil_id_valid_slice(id, strnlen(id, VUTIL_ID_MAX + 1));
}

bool vutil_id_valid_slice(const char *s, size_t len)
{
    if (len == 0 || len > VUTIL_ID_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!vutil_id_char(s[i])) {
            return false;
        }
    }
    return true;
}
