/*
 * vouch service — the Cloud Logging filter language, part four: what a
 * list learns from a parsed filter before reading any entry (the
 * conditions an index can serve, and the work of testing one entry),
 * so that entries:list neither scans the log for the usual filters nor
 * lets a long filter cost without bound (src/service/audit_list.c).
 */
#include <string.h>

#include "logfilter_internal.h"

static bool seg_is(const segment *s, const char *name)
{
    size_t len = strlen(name);

    return s->len == len && memcmp(s->name, name, len) == 0;
}

/* One plain text value without NULs, compared with `=`, neither a
 * number nor an instant (those compare by value, not by text, so an
 * index of the text could miss a match). */
static const char *plain_eq(const node *k)
{
    const fvalue *v = &k->vals[0];

    if (k->op != OP_EQ || k->nvals != 1 || v->is_num || v->is_time ||
        memchr(v->text, '\0', v->len) != NULL) {
        return NULL;
    }
    return v->text;
}

static void tighten(vouch_logfilter_bounds *b, const node *k)
{
    const fvalue *v;
    bool lower;
    bool upper;

    if (k->nvals != 1 || !k->vals[0].is_time) {
        return;
    }
    v = &k->vals[0];
    lower = k->op == OP_GE || k->op == OP_GT || k->op == OP_EQ;
    upper = k->op == OP_LE || k->op == OP_LT || k->op == OP_EQ;
    if (lower && (!b->has_min ||
                  vouch__lf_cmp_time(v->sec, v->nsec, b->min_sec,
                                     b->min_nsec) > 0)) {
        b->has_min = true;
        b->min_sec = v->sec;
        b->min_nsec = v->nsec;
    }
    if (upper && (!b->has_max ||
                  vouch__lf_cmp_time(v->sec, v->nsec, b->max_sec,
                                     b->max_nsec) < 0)) {
        b->has_max = true;
        b->max_sec = v->sec;
        b->max_nsec = v->nsec;
    }
}

void vouch_logfilter_bounds_get(const vouch_logfilter *filter,
                                vouch_logfilter_bounds *out)
{
    const node *n;
    size_t count;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (filter == NULL || filter->root == NULL) {
        return;
    }
    out->log_name = vouch_logfilter_log_name(filter);
    n = filter->root;
    count = n->kind == NODE_AND ? n->nkids : 1;
    for (i = 0; i < count; i++) {
        const node *k = n->kind == NODE_AND ? n->kids[i] : n;

        if (k->kind != NODE_CMP || k->nvals == 0) {
            continue;
        }
        if (k->nsegs == 1 && seg_is(&k->segs[0], "timestamp")) {
            tighten(out, k);
        } else if (k->nsegs == 2 && seg_is(&k->segs[0], "resource") &&
                   seg_is(&k->segs[1], "type") &&
                   out->resource_type == NULL) {
            out->resource_type = plain_eq(k);
        }
    }
}

static size_t node_terms(const node *n)
{
    size_t sum = 0;
    size_t i;

    switch (n->kind) {
    case NODE_AND:
    case NODE_OR:
    case NODE_NOT:
        for (i = 0; i < n->nkids; i++) {
            sum += node_terms(n->kids[i]);
        }
        return sum;
    case NODE_CMP:
    case NODE_TEXT:
        /* A search (global, or ':') reads every string under it; a
         * comparison follows one path. */
        for (i = 0; i < n->nvals; i++) {
            sum += (n->kind == NODE_TEXT || n->op == OP_HAS ? 2 : 1) +
                   n->vals[i].len / VOUCH_LOGFILTER_TERM_BYTES;
        }
        return sum > 0 ? sum : 1;
    }
    return 1;
}

size_t vouch_logfilter_terms(const vouch_logfilter *filter)
{
    if (filter == NULL || filter->root == NULL) {
        return 0;
    }
    return node_terms(filter->root);
}
