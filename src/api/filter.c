/*
 * vouchd — the occurrence list filter.
 */
#include "filter.h"
#include "scan.h"
#include "vsvc_names.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '.';
}

/* A quoted string at s->pos into a malloc'd *out. */
static int scan_string(api_scan *s, char **out)
{
    size_t start = s->pos;
    size_t n = 0;
    char *buf;

    *out = NULL;
    if (s->pos >= s->len || s->p[s->pos] != '"') {
        return api_scan_fail(s, VOUCH_EINVAL, s->pos,
                             "expected a quoted string (\"...\")");
    }
    buf = malloc(s->len - s->pos + 1);
    if (buf == NULL) {
        return VOUCH_ENOMEM;
    }
    s->pos++;
    for (;;) {
        if (s->pos >= s->len) {
            free(buf);
            return api_scan_fail(s, VOUCH_EINVAL, start,
                                 "string is not closed (missing '\"')");
        }
        char c = s->p[s->pos];
        if (c == '"') {
            s->pos++;
            break;
        }
        if (c == '\\') {
            if (s->pos + 1 >= s->len ||
                (s->p[s->pos + 1] != '"' && s->p[s->pos + 1] != '\\')) {
                free(buf);
                return api_scan_fail(s, VOUCH_EINVAL, s->pos,
                                     "only \\\" and \\\\ may be escaped in "
                                     "a string");
            }
            c = s->p[s->pos + 1];
            s->pos++;
        } else if (c == '\0') {
            free(buf);
            return api_scan_fail(s, VOUCH_EINVAL, s->pos,
                                 "NUL byte in a string");
        }
        buf[n++] = c;
        s->pos++;
    }
    buf[n] = '\0';
    *out = buf;
    return 0;
}

/* Expect byte `c` (after blanks) at s->pos. */
static int expect(api_scan *s, char c, const char *what)
{
    api_scan_skip_blank(s);
    if (s->pos >= s->len || s->p[s->pos] != c) {
        return api_scan_fail(s, VOUCH_EINVAL, s->pos, "expected %s", what);
    }
    s->pos++;
    api_scan_skip_blank(s);
    return 0;
}

/* The rest of `has_suffix(resourceUrl, "...")` after its name: the
 * quoted suffix into *out. gcloud's `attestations list --artifact-url`
 * sends it with the image's digest. */
static int scan_has_suffix(api_scan *s, char **out)
{
    int rc = expect(s, '(', "'(' after has_suffix");

    if (rc < 0) {
        return rc;
    }
    if (s->len - s->pos < 11 || memcmp(s->p + s->pos, "resourceUrl", 11) != 0 ||
        (s->pos + 11 < s->len && ident_char(s->p[s->pos + 11]))) {
        return api_scan_fail(s, VOUCH_EINVAL, s->pos,
                             "has_suffix: only resourceUrl can be "
                             "matched by suffix");
    }
    s->pos += 11;
    rc = expect(s, ',', "',' after has_suffix(resourceUrl");
    if (rc == 0) {
        rc = scan_string(s, out);
    }
    if (rc == 0) {
        rc = expect(s, ')', "')' to close has_suffix(");
    }
    if (rc < 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int api_filter_parse(const char *text, size_t len, api_filter *out,
                     vouch_error *err)
{
    api_scan s = { text, len, 0, "filter", err };
    api_filter f = { NULL, NULL, NULL, NULL };
    char *value = NULL;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (len > API_FILTER_MAX_BYTES) {
        return api_scan_fail(&s, VOUCH_ETOOBIG, 0,
                             "filter is %zu bytes; at most %u are accepted",
                             len, API_FILTER_MAX_BYTES);
    }
    api_scan_skip_blank(&s);
    while (s.pos < s.len) {   /* an empty filter matches everything */
        size_t field_pos;
        size_t field_len;
        char **slot;

        api_scan_skip_blank(&s);
        field_pos = s.pos;
        while (s.pos < s.len && ident_char(s.p[s.pos])) {
            s.pos++;
        }
        field_len = s.pos - field_pos;
        if (field_len == 0) {
            rc = api_scan_fail(&s, VOUCH_EINVAL, field_pos,
                               "expected a field: resourceUrl, kind, "
                               "noteName or has_suffix(resourceUrl, "
                               "\"...\")");
            goto cleanup;
        }
        if (field_len == 10 &&
            memcmp(s.p + field_pos, "has_suffix", 10) == 0) {
            if (f.resource_url_suffix != NULL) {
                rc = api_scan_fail(&s, VOUCH_EINVAL, field_pos,
                                   "has_suffix appears twice");
                goto cleanup;
            }
            rc = scan_has_suffix(&s, &f.resource_url_suffix);
            if (rc < 0) {
                goto cleanup;
            }
            goto next_term;
        }
        if (field_len == 11 &&
            memcmp(s.p + field_pos, "resourceUrl", 11) == 0) {
            slot = &f.resource_url;
        } else if (field_len == 4 && memcmp(s.p + field_pos, "kind", 4) == 0) {
            slot = &f.kind;
        } else if (field_len == 8 &&
                   memcmp(s.p + field_pos, "noteName", 8) == 0) {
            slot = &f.note_name;
        } else {
            rc = api_scan_fail(&s, VOUCH_EINVAL, field_pos,
                               "unknown field '%.*s': only resourceUrl, "
                               "kind and noteName can be filtered on",
                               (int)(field_len > 64 ? 64 : field_len),
                               s.p + field_pos);
            goto cleanup;
        }
        if (*slot != NULL) {
            rc = api_scan_fail(&s, VOUCH_EINVAL, field_pos,
                               "field '%.*s' appears twice",
                               (int)field_len, s.p + field_pos);
            goto cleanup;
        }
        api_scan_skip_blank(&s);
        if (s.pos >= s.len || s.p[s.pos] != '=') {
            rc = api_scan_fail(&s, VOUCH_EINVAL, s.pos,
                               "expected '=' after '%.*s'",
                               (int)field_len, s.p + field_pos);
            goto cleanup;
        }
        s.pos++;
        api_scan_skip_blank(&s);
        rc = scan_string(&s, &value);
        if (rc < 0) {
            goto cleanup;
        }
        if (slot == &f.resource_url) {
            const char *normal = vsvc_resource_uri_normal(value);
            memmove(value, normal, strlen(normal) + 1);
        }
        *slot = value;
        value = NULL;
next_term:
        api_scan_skip_blank(&s);
        if (s.pos == s.len) {
            break;
        }
        if (s.len - s.pos >= 3 && memcmp(s.p + s.pos, "AND", 3) == 0 &&
            (s.len - s.pos == 3 || s.p[s.pos + 3] == ' ' ||
             s.p[s.pos + 3] == '\t')) {
            s.pos += 3;
            api_scan_skip_blank(&s);
            if (s.pos == s.len) {
                rc = api_scan_fail(&s, VOUCH_EINVAL, s.pos,
                                   "expected a term after AND");
                goto cleanup;
            }
            continue;
        }
        rc = api_scan_fail(&s, VOUCH_EINVAL, s.pos,
                           "expected AND or the end of the filter");
        goto cleanup;
    }
    *out = f;
    memset(&f, 0, sizeof(f));
    rc = 0;

cleanup:
    free(value);
    api_filter_clear(&f);
    return rc;
}

void api_filter_clear(api_filter *f)
{
    if (f == NULL) {
        return;
    }
    free(f->resource_url);
    free(f->kind);
    free(f->note_name);
    free(f->resource_url_suffix);
    memset(f, 0, sizeof(*f));
}
