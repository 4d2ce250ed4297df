/*
 * Checks shared by the resource readers (policy_read.c, attestor.c):
 * resource names, RFC 3339 timestamps, quoting values for messages, and
 * reading a validated string field (resource.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "internal.h"
#include "resource.h"
#include "vutil_time.h"

bool vouch__project_id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' ||
           c == ':' || c == '-';
}

bool vouch__resource_name_ok(const char *s, size_t n,
                             const char *const *collections,
                             bool last_is_literal)
{
    size_t pos = 0;
    size_t i;

    for (i = 0; collections[i] != NULL; i++) {
        size_t clen = strlen(collections[i]);
        size_t start;
        bool last = collections[i + 1] == NULL;

        if (i > 0) {
            if (pos >= n || s[pos] != '/') {
                return false;
            }
            pos++;
        }
        if (n - pos < clen || memcmp(s + pos, collections[i], clen) != 0) {
            return false;
        }
        pos += clen;
        if (last && last_is_literal) {
            break;
        }
        if (pos >= n || s[pos] != '/') {
            return false;
        }
        pos++;
        start = pos;
        while (pos < n && s[pos] != '/') {
            if (!vouch__project_id_char(s[pos])) {
                return false;
            }
            pos++;
        }
        if (pos == start || pos - start > 128) {
            return false;
        }
    }
    return pos == n;
}

bool vouch__timestamp_ok(const char *s, size_t n)
{
    long long sec;
    long nsec;

    /* RFC 3339 (the util layer reads it), in the strict form the API
     * prints: UTC with an upper-case 'T' and 'Z', no offset, 1 to 9
     * fraction digits, no leap second, a year from 0001. */
    if (n < 20 || n > 30 || s[10] != 'T' || s[n - 1] != 'Z' ||
        (n > 20 && s[19] != '.') ||
        !vutil_rfc3339_parse(s, n, &sec, &nsec)) {
        return false;
    }
    return memcmp(s + 17, "60", 2) != 0 && memcmp(s, "0000", 4) != 0;
}

void vouch__quote_for_message(const char *s, size_t n, char *buf,
                              size_t size)
{
    size_t max = size > 8 ? size - 5 : 0;
    size_t j = 0;
    size_t i;

    if (size == 0) {
        return;
    }
    for (i = 0; i < n && j < max; i++) {
        unsigned char c = (unsigned char)s[i];

        buf[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (i < n && size > 4) {
        memcpy(buf + j, "...", 3);
        j += 3;
    }
    buf[j] = '\0';
}

int vouch__doc_field_string(const vouch__doc *doc, vouch__node *parent,
                            vouch__path *path, const char *key,
                            bool (*check)(const char *, size_t),
                            const char *what, char **out, vouch_error *err)
{
    vouch__node *node = vouch__doc_get(doc, parent, key);
    size_t saved = vouch__path_push_key(path, key);
    const char *s = NULL;
    size_t n = 0;
    int rc = 0;

    *out = NULL;
    if (node == NULL) {
        goto cleanup;
    }
    rc = vouch__doc_string(doc, node, path, &s, &n, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (check != NULL && !check(s, n)) {
        char shown[96];

        vouch__quote_for_message(s, n, shown, sizeof(shown));
        rc = vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                             "'%s' is not %s", shown, what);
        goto cleanup;
    }
    *out = vouch__strndup(s, n);
    if (*out == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                              "out of memory");
    }

cleanup:
    vouch__path_pop(path, saved);
    return rc;
}

/* The readers of occurrences and attestors name a missing member, and a
 * choice of two, in the same words. */
int vouch__doc_required(const vouch__doc *doc, vouch__node *map,
                        const vouch__path *path, const char *key,
                        vouch__node **out, vouch_error *err)
{
    *out = vouch__doc_get(doc, map, key);
    if (*out == NULL) {
        return vouch__doc_fail(doc, map, path, err, VOUCH_EINVAL,
                               "missing required field '%s'", key);
    }
    return VOUCH_OK;
}

int vouch__doc_one_of(const vouch__doc *doc, vouch__node *map,
                      const vouch__path *path, const char *a,
                      const char *b, vouch__node **a_out,
                      vouch__node **b_out, vouch_error *err)
{
    *a_out = vouch__doc_get(doc, map, a);
    *b_out = vouch__doc_get(doc, map, b);
    if ((*a_out == NULL) == (*b_out == NULL)) {
        return vouch__doc_fail(doc, map, path, err, VOUCH_EINVAL,
                               "exactly one of %s and %s is required", a, b);
    }
    return VOUCH_OK;
}
