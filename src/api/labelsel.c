/*
 * vouchd — Kubernetes label selectors (labelsel.h).
 */
#include "labelsel.h"
#include "scan.h"

#include <stdlib.h>
#include <string.h>

#define KEY_MAX 253u
#define VALUE_MAX 63u

typedef enum req_op {
    OP_EQ,        /* = or == */
    OP_NE,        /* != */
    OP_IN,
    OP_NOTIN,
    OP_EXISTS,    /* key */
    OP_ABSENT     /* !key */
} req_op;

typedef struct requirement {
    req_op op;
    char *key;
    size_t nvalues;
    char *values[API_LABELSEL_MAX_VALUES];
} requirement;

struct api_labelsel {
    size_t count;
    requirement reqs[API_LABELSEL_MAX_REQS];
};

static bool value_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static bool key_char(char c)
{
    return value_char(c) || c == '/';
}

/* A run of `ok` characters at s->pos into a malloc'd string (may be
 * empty when `empty_ok`). */
static int scan_word(api_scan *s, bool (*ok)(char), size_t max,
                     bool empty_ok, const char *what, char **out)
{
    size_t start = s->pos;

    *out = NULL;
    while (s->pos < s->len && ok(s->p[s->pos])) {
        s->pos++;
    }
    size_t n = s->pos - start;
    if (n == 0 && !empty_ok) {
        return api_scan_fail(s, VOUCH_EINVAL, start, "expected %s", what);
    }
    if (n > max) {
        return api_scan_fail(s, VOUCH_EINVAL, start,
                             "%s is %zu characters; at most %zu", what, n,
                             max);
    }
    *out = malloc(n + 1);
    if (*out == NULL) {
        return VOUCH_ENOMEM;
    }
    memcpy(*out, s->p + start, n);
    (*out)[n] = '\0';
    return 0;
}

/* Is the word at s->pos `word`, followed by a non-key character? */
static bool at_word(const api_scan *s, const char *word)
{
    size_t n = strlen(word);

    return s->len - s->pos >= n && memcmp(s->p + s->pos, word, n) == 0 &&
           (s->pos + n == s->len || !key_char(s->p[s->pos + n]));
}

static int add_value(api_scan *s, requirement *r, char *v)
{
    if (r->nvalues == API_LABELSEL_MAX_VALUES) {
        free(v);
        return api_scan_fail(s, VOUCH_ETOOBIG, s->pos,
                             "more than %u values in one set",
                             API_LABELSEL_MAX_VALUES);
    }
    r->values[r->nvalues++] = v;
    return 0;
}

/* "(" value { "," value } ")" */
static int scan_set(api_scan *s, requirement *r)
{
    char *v = NULL;
    int rc;

    api_scan_skip_blank(s);
    if (s->pos >= s->len || s->p[s->pos] != '(') {
        return api_scan_fail(s, VOUCH_EINVAL, s->pos,
                             "expected '(' to open the set of values");
    }
    s->pos++;
    for (;;) {
        api_scan_skip_blank(s);
        rc = scan_word(s, value_char, VALUE_MAX, false, "a value", &v);
        if (rc == 0) {
            rc = add_value(s, r, v);
        }
        if (rc < 0) {
            return rc;
        }
        api_scan_skip_blank(s);
        if (s->pos < s->len && s->p[s->pos] == ',') {
            s->pos++;
            continue;
        }
        if (s->pos < s->len && s->p[s->pos] == ')') {
            s->pos++;
            return 0;
        }
        return api_scan_fail(s, VOUCH_EINVAL, s->pos,
                             "expected ',' or ')' in the set of values");
    }
}

static int scan_requirement(api_scan *s, requirement *r)
{
    char *v = NULL;
    int rc;

    api_scan_skip_blank(s);
    if (s->pos < s->len && s->p[s->pos] == '!') {
        s->pos++;
        api_scan_skip_blank(s);
        r->op = OP_ABSENT;
        return scan_word(s, key_char, KEY_MAX, false, "a label key",
                         &r->key);
    }
    rc = scan_word(s, key_char, KEY_MAX, false, "a label key", &r->key);
    if (rc < 0) {
        return rc;
    }
    api_scan_skip_blank(s);
    if (s->pos == s->len || s->p[s->pos] == ',') {
        r->op = OP_EXISTS;
        return 0;
    }
    if (at_word(s, "in") || at_word(s, "notin")) {
        r->op = s->p[s->pos] == 'i' ? OP_IN : OP_NOTIN;
        s->pos += r->op == OP_IN ? 2 : 5;
        return scan_set(s, r);
    }
    if (s->len - s->pos >= 2 && memcmp(s->p + s->pos, "!=", 2) == 0) {
        r->op = OP_NE;
        s->pos += 2;
    } else if (s->len - s->pos >= 2 && memcmp(s->p + s->pos, "==", 2) == 0) {
        r->op = OP_EQ;
        s->pos += 2;
    } else if (s->p[s->pos] == '=') {
        r->op = OP_EQ;
        s->pos++;
    } else {
        return api_scan_fail(s, VOUCH_EINVAL, s->pos,
                             "expected =, ==, !=, in, notin, ',' or the "
                             "end after the key '%s'", r->key);
    }
    api_scan_skip_blank(s);
    rc = scan_word(s, value_char, VALUE_MAX, true, "a value", &v);
    if (rc == 0) {
        rc = add_value(s, r, v);
    }
    return rc;
}

int api_labelsel_parse(const char *text, size_t len, api_labelsel **out,
                       vouch_error *err)
{
    api_scan s = { text, len, 0, "labelSelector", err };
    api_labelsel *sel = NULL;
    int rc;

    *out = NULL;
    if (len > API_LABELSEL_MAX_BYTES) {
        return api_scan_fail(&s, VOUCH_ETOOBIG, 0,
                             "the selector is %zu bytes; at most %u are "
                             "accepted", len, API_LABELSEL_MAX_BYTES);
    }
    sel = calloc(1, sizeof(*sel));
    if (sel == NULL) {
        return VOUCH_ENOMEM;
    }
    api_scan_skip_blank(&s);
    while (s.pos < s.len) {
        if (sel->count == API_LABELSEL_MAX_REQS) {
            rc = api_scan_fail(&s, VOUCH_ETOOBIG, s.pos,
                               "more than %u requirements",
                               API_LABELSEL_MAX_REQS);
            goto cleanup;
        }
        rc = scan_requirement(&s, &sel->reqs[sel->count++]);
        if (rc < 0) {
            goto cleanup;
        }
        api_scan_skip_blank(&s);
        if (s.pos == s.len) {
            break;
        }
        if (s.p[s.pos] != ',') {
            rc = api_scan_fail(&s, VOUCH_EINVAL, s.pos,
                               "expected ',' or the end of the selector");
            goto cleanup;
        }
        s.pos++;
        api_scan_skip_blank(&s);
        if (s.pos == s.len) {
            rc = api_scan_fail(&s, VOUCH_EINVAL, s.pos,
                               "expected a requirement after ','");
            goto cleanup;
        }
    }
    *out = sel;
    sel = NULL;
    rc = 0;

cleanup:
    api_labelsel_free(sel);
    return rc;
}

static bool in_values(const requirement *r, const char *v)
{
    for (size_t i = 0; i < r->nvalues; i++) {
        if (strcmp(r->values[i], v) == 0) {
            return true;
        }
    }
    return false;
}

bool api_labelsel_match(const api_labelsel *sel, const json_t *labels)
{
    for (size_t i = 0; i < sel->count; i++) {
        const requirement *r = &sel->reqs[i];
        const char *v = json_string_value(json_object_get(labels, r->key));
        bool ok;

        switch (r->op) {
        case OP_EQ:
        case OP_IN:
            ok = v != NULL && in_values(r, v);
            break;
        case OP_NE:
        case OP_NOTIN:
            ok = v == NULL || !in_values(r, v);
            break;
        case OP_EXISTS:
            ok = v != NULL;
            break;
        default:
            ok = v == NULL;
            break;
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

const char *api_labelsel_pinned(const api_labelsel *sel, const char *key)
{
    for (size_t i = 0; i < sel->count; i++) {
        const requirement *r = &sel->reqs[i];
        if ((r->op == OP_EQ || r->op == OP_IN) && r->nvalues == 1 &&
            strcmp(r->key, key) == 0) {
            return r->values[0];
        }
    }
    return NULL;
}

void api_labelsel_free(api_labelsel *sel)
{
    if (sel == NULL) {
        return;
    }
    for (size_t i = 0; i < sel->count; i++) {
        free(sel->reqs[i].key);
        for (size_t k = 0; k < sel->reqs[i].nvalues; k++) {
            free(sel->reqs[i].values[k]);
        }
    }
    free(sel);
}
