/*
 * vouch service — the Cloud Logging filter language, part three:
 * evaluation of a parsed filter on a LogEntry (docs/audit.md).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "logfilter_internal.h"
#include "vutil_time.h"

/* ------------------------------------------------------------------ */
/* Evaluation                                                         */

/* Case-insensitive (ASCII) substring test; binary-safe. */
static bool ci_contains(const char *hay, size_t hlen, const char *needle,
                        size_t nlen)
{
    size_t i;
    size_t j;

    if (nlen == 0) {
        return true;
    }
    if (nlen > hlen) {
        return false;
    }
    for (i = 0; i + nlen <= hlen; i++) {
        for (j = 0; j < nlen; j++) {
            if (vouch__lf_lower((unsigned char)hay[i + j]) !=
                vouch__lf_lower((unsigned char)needle[j])) {
                break;
            }
        }
        if (j == nlen) {
            return true;
        }
    }
    return false;
}

/* Does any string value in `v` (recursively) contain `needle`? */
static bool search(const json_t *v, const fvalue *needle)
{
    const char *key;
    json_t *item;
    size_t i;

    switch (json_typeof(v)) {
    case JSON_STRING:
        return ci_contains(json_string_value(v), json_string_length(v),
                           needle->text, needle->len);
    case JSON_OBJECT:
        json_object_foreach((json_t *)v, key, item) {
            if (search(item, needle)) {
                return true;
            }
        }
        return false;
    case JSON_ARRAY:
        json_array_foreach(v, i, item) {
            if (search(item, needle)) {
                return true;
            }
        }
        return false;
    default:
        return false;
    }
}

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = memcmp(a, b, n);

    if (c != 0) {
        return c < 0 ? -1 : 1;
    }
    if (alen != blen) {
        return alen < blen ? -1 : 1;
    }
    return 0;
}

/*
 * Compare a leaf with a literal: *out is <0, 0 or >0; false when the two
 * cannot be compared (an object against a word, say).
 */
static bool leaf_compare(const node *n, const json_t *v, const fvalue *lit,
                         int *out)
{
    const char *s;
    size_t len;
    long long sec;
    long nsec;

    if (n->severity) {
        int rank = -1;

        if (json_is_string(v)) {
            rank = vouch__lf_severity_rank(json_string_value(v),
                                           json_string_length(v));
        } else if (json_is_integer(v)) {
            rank = (int)json_integer_value(v);
        }
        if (rank < 0 || lit->sev < 0) {
            return false;
        }
        *out = rank < lit->sev ? -1 : rank > lit->sev;
        return true;
    }
    if (json_is_number(v)) {
        double d = json_number_value(v);

        if (!lit->is_num) {
            return false;
        }
        *out = d < lit->num ? -1 : d > lit->num;
        return true;
    }
    if (json_is_boolean(v)) {
        bool b = json_is_true(v);

        if (!(lit->len == 4 && memcmp(lit->text, "true", 4) == 0) &&
            !(lit->len == 5 && memcmp(lit->text, "false", 5) == 0)) {
            return false;
        }
        *out = b == (lit->text[0] == 't') ? 0 : b ? 1 : -1;
        return true;
    }
    if (!json_is_string(v)) {
        return false;
    }
    s = json_string_value(v);
    len = json_string_length(v);
    if (lit->is_time && vutil_rfc3339_parse(s, len, &sec, &nsec)) {
        *out = vouch__lf_cmp_time(sec, nsec, lit->sec, lit->nsec);
        return true;
    }
    *out = cmp_bytes(s, len, lit->text, lit->len);
    return true;
}

static bool leaf_match(const node *n, const json_t *v)
{
    size_t i;
    int c;

    if (n->op == OP_EXISTS) {
        return !json_is_null(v);
    }
    for (i = 0; i < n->nvals; i++) {
        const fvalue *lit = &n->vals[i];

        if (n->op == OP_HAS) {
            char num[64];

            if (json_is_string(v) || json_is_object(v)) {
                if (search(v, lit)) {
                    return true;
                }
            } else if (json_is_integer(v) || json_is_real(v) ||
                       json_is_boolean(v)) {
                if (json_is_integer(v)) {
                    snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                             json_integer_value(v));
                } else if (json_is_real(v)) {
                    snprintf(num, sizeof(num), "%.17g", json_real_value(v));
                } else {
                    snprintf(num, sizeof(num), "%s",
                             json_is_true(v) ? "true" : "false");
                }
                if (ci_contains(num, strlen(num), lit->text, lit->len)) {
                    return true;
                }
            }
            continue;
        }
        if (!leaf_compare(n, v, lit, &c)) {
            continue;
        }
        switch (n->op) {
        case OP_EQ:
        case OP_NE:     /* evaluated as NOT (=) by the caller */
            if (c == 0) {
                return true;
            }
            break;
        case OP_GE:
            if (c >= 0) {
                return true;
            }
            break;
        case OP_LE:
            if (c <= 0) {
                return true;
            }
            break;
        case OP_GT:
            if (c > 0) {
                return true;
            }
            break;
        case OP_LT:
            if (c < 0) {
                return true;
            }
            break;
        default:
            break;
        }
    }
    return false;
}

/* Follow the path from segment `at`; arrays match through any element. */
static bool walk(const node *n, const json_t *v, size_t at)
{
    json_t *item;
    size_t i;

    if (v == NULL) {
        return false;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, item) {
            if (walk(n, item, at)) {
                return true;
            }
        }
        return false;
    }
    if (at == n->nsegs) {
        return leaf_match(n, v);
    }
    if (!json_is_object(v)) {
        return false;
    }
    return walk(n, json_object_getn(v, n->segs[at].name, n->segs[at].len),
                at + 1);
}

static bool eval(const node *n, const json_t *entry)
{
    size_t i;

    switch (n->kind) {
    case NODE_AND:
        for (i = 0; i < n->nkids; i++) {
            if (!eval(n->kids[i], entry)) {
                return false;
            }
        }
        return true;
    case NODE_OR:
        for (i = 0; i < n->nkids; i++) {
            if (eval(n->kids[i], entry)) {
                return true;
            }
        }
        return false;
    case NODE_NOT:
        return !eval(n->kids[0], entry);
    case NODE_TEXT:
        return search(entry, &n->vals[0]);
    case NODE_CMP:
        if (n->op == OP_NE) {
            return !walk(n, entry, 0);
        }
        return walk(n, entry, 0);
    }
    return false;
}

bool vouch_logfilter_match(const vouch_logfilter *filter,
                           const json_t *entry)
{
    if (filter == NULL || filter->root == NULL) {
        return true;
    }
    if (entry == NULL) {
        return false;
    }
    return eval(filter->root, entry);
}
