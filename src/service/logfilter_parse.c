/*
 * vouch service — the Cloud Logging filter language, part two: the
 * grammar (logfilter.h) over the lexer of logfilter.c, and the public
 * parse, free and logName functions.
 */
#include <stdlib.h>
#include <string.h>

#include "logfilter_internal.h"
#include "vutil_error.h"

#define SRC VOUCH__LF_SRC

/* ------------------------------------------------------------------ */
/* The grammar                                                        */

static int parse_and(parser *p, node **out);

static int parse_primary(parser *p, node **out)
{
    node *n = NULL;
    term t = { NULL, 0 };
    size_t open;
    size_t after;
    size_t oplen = 0;
    cmp_op op = OP_EQ;
    int rc;

    *out = NULL;
    vouch__lf_skip_ws(p);
    if (vouch__lf_at_end(p)) {
        return vouch__lf_perr(p, p->pos, VOUCH_EINVAL,
                              "expected an expression");
    }
    if (p->s[p->pos] == '(') {
        open = p->pos;
        if (++p->depth > VOUCH_LOGFILTER_MAX_DEPTH) {
            return vouch__lf_perr(p, p->pos, VOUCH_ETOOBIG,
                                  "nested deeper than %u levels",
                                  VOUCH_LOGFILTER_MAX_DEPTH);
        }
        p->pos++;
        vouch__lf_skip_ws(p);
        if (!vouch__lf_at_end(p) && p->s[p->pos] == ')') {
            return vouch__lf_perr(p, p->pos, VOUCH_EINVAL,
                                  "expected an expression inside '()'");
        }
        rc = parse_and(p, &n);
        if (rc < 0) {
            return rc;
        }
        vouch__lf_skip_ws(p);
        if (vouch__lf_at_end(p) || p->s[p->pos] != ')') {
            vouch__lf_node_free(n);
            return vouch__lf_perr(p, p->pos, VOUCH_EINVAL,
                                  "expected ')' to close the '(' at column %zu",
                                  open + 1);
        }
        p->pos++;
        p->depth--;
        *out = n;
        return 0;
    }
    if (p->s[p->pos] == ')') {
        return vouch__lf_perr(p, p->pos, VOUCH_EINVAL, "unexpected ')'");
    }
    if (vouch__lf_at_keyword(p, "AND") || vouch__lf_at_keyword(p, "OR")) {
        return vouch__lf_perr(p, p->pos, VOUCH_EINVAL,
                              "expected an expression before '%s'",
                              vouch__lf_at_keyword(p, "OR") ? "OR" : "AND");
    }
    rc = vouch__lf_peek_op(p, &op, &oplen);
    if (rc < 0) {
        return rc;
    }
    if (oplen > 0) {
        return vouch__lf_perr(p, p->pos, VOUCH_EINVAL,
                              "expected a field path before '%s'",
                              vouch__lf_op_text(op));
    }
    rc = vouch__lf_lex_term(p, &t);
    if (rc < 0) {
        goto cleanup;
    }
    after = p->pos;
    vouch__lf_skip_ws(p);
    rc = vouch__lf_peek_op(p, &op, &oplen);
    if (rc < 0) {
        goto cleanup;
    }
    if (oplen == 0) {
        p->pos = after;
        n = vouch__lf_node_new(NODE_TEXT);
        if (n == NULL) {
            rc = vouch__lf_nomem(p);
            goto cleanup;
        }
        rc = vouch__lf_term_to_text(p, &t, n);
        if (rc < 0) {
            goto cleanup;
        }
    } else {
        n = vouch__lf_node_new(NODE_CMP);
        if (n == NULL) {
            rc = vouch__lf_nomem(p);
            goto cleanup;
        }
        n->op = op;
        rc = vouch__lf_term_to_path(p, &t, n);
        if (rc < 0) {
            goto cleanup;
        }
        p->pos += oplen;
        if (op == OP_HAS && p->pos < p->len && p->s[p->pos] == '*' &&
            (p->pos + 1 == p->len || vouch__lf_is_ws(p->s[p->pos + 1]) ||
             p->s[p->pos + 1] == ')')) {
            p->pos++;
            n->op = OP_EXISTS;
        } else {
            rc = vouch__lf_parse_values(p, n);
            if (rc < 0) {
                goto cleanup;
            }
        }
    }
    *out = n;
    n = NULL;

cleanup:
    vouch__lf_node_free(n);
    vouch__lf_term_clear(&t);
    return rc;
}

static int parse_unary(parser *p, node **out)
{
    node *n = NULL;
    node *kid = NULL;
    size_t at;
    int rc;

    *out = NULL;
    vouch__lf_skip_ws(p);
    at = p->pos;
    if (vouch__lf_at_keyword(p, "NOT") ||
        (p->pos + 1 < p->len && p->s[p->pos] == '-' &&
         !vouch__lf_is_ws(p->s[p->pos + 1]))) {
        bool word = p->s[p->pos] == 'N';

        p->pos += word ? 3 : 1;
        if (++p->depth > VOUCH_LOGFILTER_MAX_DEPTH) {
            return vouch__lf_perr(p, at, VOUCH_ETOOBIG,
                                  "nested deeper than %u levels",
                                  VOUCH_LOGFILTER_MAX_DEPTH);
        }
        vouch__lf_skip_ws(p);
        if (vouch__lf_at_end(p) || p->s[p->pos] == ')' ||
            vouch__lf_at_keyword(p, "AND") || vouch__lf_at_keyword(p, "OR")) {
            return vouch__lf_perr(p, p->pos, VOUCH_EINVAL,
                                  "expected an expression after '%s'",
                                  word ? "NOT" : "-");
        }
        rc = parse_unary(p, &kid);
        if (rc < 0) {
            return rc;
        }
        p->depth--;
        n = vouch__lf_node_new(NODE_NOT);
        if (n == NULL) {
            vouch__lf_node_free(kid);
            return vouch__lf_nomem(p);
        }
        if (vouch__lf_node_add(n, kid) < 0) {
            vouch__lf_node_free(n);
            return vouch__lf_nomem(p);
        }
        *out = n;
        return 0;
    }
    return parse_primary(p, out);
}

/* Does the input at the current position end an AND/OR chain? */
static bool at_chain_end(parser *p)
{
    vouch__lf_skip_ws(p);
    return vouch__lf_at_end(p) || p->s[p->pos] == ')';
}

/*
 * Add `*kid` (taken, even on failure) to the chain `*chain` of `kind`,
 * which the first call makes. 0, or nomem's code.
 */
static int chain_add(parser *p, node **chain, node_kind kind, node **kid)
{
    int rc;

    if (*chain == NULL && (*chain = vouch__lf_node_new(kind)) == NULL) {
        vouch__lf_node_free(*kid);
        *kid = NULL;
        return vouch__lf_nomem(p);
    }
    rc = vouch__lf_node_add(*chain, *kid);
    *kid = NULL;
    return rc < 0 ? vouch__lf_nomem(p) : 0;
}

/*
 * A chain of `kind` joined by `kw`: operands parsed by `next`. OR needs
 * the keyword between operands; AND may leave it out (adjacent terms).
 * A lone operand needs no chain node.
 */
static int parse_chain(parser *p, node **out, node_kind kind,
                       const char *kw, int (*next)(parser *, node **))
{
    size_t kwlen = strlen(kw);
    node *n = NULL;
    node *kid = NULL;
    int rc;

    *out = NULL;
    rc = next(p, &kid);
    if (rc < 0) {
        return rc;
    }
    while (!at_chain_end(p)) {
        bool said = vouch__lf_at_keyword(p, kw);

        if (!said && kind == NODE_OR) {
            break;
        }
        if (said) {
            p->pos += kwlen;
            if (at_chain_end(p) || vouch__lf_at_keyword(p, "AND") ||
                vouch__lf_at_keyword(p, "OR")) {
                rc = vouch__lf_perr(p, p->pos, VOUCH_EINVAL,
                                    "expected an expression after %s", kw);
                goto cleanup;
            }
        }
        if (n == NULL && (rc = chain_add(p, &n, kind, &kid)) < 0) {
            goto cleanup;
        }
        if ((rc = next(p, &kid)) < 0 ||
            (rc = chain_add(p, &n, kind, &kid)) < 0) {
            goto cleanup;
        }
    }
    *out = n != NULL ? n : kid;
    return 0;

cleanup:
    vouch__lf_node_free(n);
    vouch__lf_node_free(kid);
    return rc;
}

static int parse_or(parser *p, node **out)
{
    return parse_chain(p, out, NODE_OR, "OR", parse_unary);
}

static int parse_and(parser *p, node **out)
{
    return parse_chain(p, out, NODE_AND, "AND", parse_or);
}

int vouch_logfilter_parse(vouch_logfilter **out, const char *text,
                          size_t len, vouch_error *err)
{
    vouch_logfilter *f = NULL;
    int rc;

    *out = NULL;
    if (len > VOUCH_LOGFILTER_MAX_BYTES) {
        return vutil_error_set(err, VOUCH_ETOOBIG, SRC, 0, 0,
                               "the filter is %zu bytes; the limit is %u",
                               len, VOUCH_LOGFILTER_MAX_BYTES);
    }
    if (text == NULL && len > 0) {
        return vutil_error_set(err, VOUCH_EINVAL, SRC, 0, 0,
                               "no filter text");
    }
    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, SRC, 0, 0,
                               "out of memory");
    }
    parser p = { .s = text, .len = len, .err = err };
    vouch__lf_skip_ws(&p);
    if (!vouch__lf_at_end(&p)) {
        rc = parse_and(&p, &f->root);
        if (rc < 0) {
            vouch_logfilter_free(f);
            return rc;
        }
        vouch__lf_skip_ws(&p);
        if (!vouch__lf_at_end(&p)) {
            /* Only a stray ')' stops a top-level chain early. */
            vouch_logfilter_free(f);
            return vouch__lf_perr(&p, p.pos, VOUCH_EINVAL,
                                  "unexpected ')' without a matching '('");
        }
    }
    *out = f;
    return 0;
}

void vouch_logfilter_free(vouch_logfilter *filter)
{
    if (filter == NULL) {
        return;
    }
    vouch__lf_node_free(filter->root);
    free(filter);
}

const char *vouch_logfilter_log_name(const vouch_logfilter *filter)
{
    const node *n;
    size_t i;
    size_t count;

    if (filter == NULL || filter->root == NULL) {
        return NULL;
    }
    n = filter->root;
    count = n->kind == NODE_AND ? n->nkids : 1;
    for (i = 0; i < count; i++) {
        const node *k = n->kind == NODE_AND ? n->kids[i] : n;

        if (k->kind == NODE_CMP && k->op == OP_EQ && k->nsegs == 1 &&
            k->nvals == 1 && k->segs[0].len == 7 &&
            memcmp(k->segs[0].name, "logName", 7) == 0 &&
            memchr(k->vals[0].text, '\0', k->vals[0].len) == NULL) {
            return k->vals[0].text;
        }
    }
    return NULL;
}
