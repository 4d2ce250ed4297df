/*
 * vouch service — what the four files of the Cloud Logging filter share
 * (logfilter.h is the interface): the AST, the parser state, and the
 * lexer's functions the grammar calls.
 *
 *   logfilter.c        severities, the AST, lexing, values, terms
 *   logfilter_parse.c  the grammar; vouch_logfilter_parse/_free/_log_name
 *   logfilter_eval.c   evaluation on a LogEntry (vouch_logfilter_match)
 *   logfilter_index.c  what a list can use: bounds and terms
 */
#ifndef VOUCH_LOGFILTER_INTERNAL_H
#define VOUCH_LOGFILTER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "logfilter.h"
#include "vouch/common.h"

#define VOUCH__LF_SRC "filter"

typedef enum node_kind {
    NODE_AND,
    NODE_OR,
    NODE_NOT,
    NODE_CMP,
    NODE_TEXT
} node_kind;

typedef enum cmp_op {
    OP_EQ,
    OP_NE,
    OP_HAS,
    OP_GE,
    OP_LE,
    OP_GT,
    OP_LT,
    OP_EXISTS
} cmp_op;

/* A literal, with the interpretations prepared once at parse time. */
typedef struct fvalue {
    char *text;          /* malloc'd, NUL-terminated; may hold NULs */
    size_t len;
    bool is_num;
    double num;
    bool is_time;
    long long sec;
    long nsec;
    int sev;             /* severity rank, or -1 */
} fvalue;

typedef struct segment {
    char *name;          /* malloc'd; may hold NULs */
    size_t len;
} segment;

typedef struct node {
    node_kind kind;
    struct node **kids;  /* AND, OR, NOT */
    size_t nkids;
    size_t kids_cap;
    segment *segs;       /* CMP */
    size_t nsegs;
    cmp_op op;
    bool severity;       /* the path is exactly `severity` */
    fvalue *vals;        /* CMP: any of them; TEXT: exactly one */
    size_t nvals;
} node;

struct vouch_logfilter {
    node *root;          /* NULL: match everything */
};

typedef struct parser {
    const char *s;
    size_t len;
    size_t pos;
    unsigned depth;
    vouch_error *err;
} parser;

typedef struct piece {
    size_t start;        /* offset of the piece in the filter */
    bool quoted;
    char *text;          /* quoted: unescaped, malloc'd; bare: NULL */
    size_t len;          /* quoted: unescaped length; bare: raw length */
} piece;

typedef struct term {
    piece *pieces;
    size_t count;
} term;


/* ASCII lower case (locale-free). */
int vouch__lf_lower(int c);
/* Rank of a severity name (any case: DEFAULT 0 ... EMERGENCY 800), or
 * -1. */
int vouch__lf_severity_rank(const char *s, size_t len);
/* Compare two instants: -1, 0, 1. */
int vouch__lf_cmp_time(long long s1, long n1, long long s2, long n2);

/* The AST. */
void vouch__lf_node_free(node *n);
node *vouch__lf_node_new(node_kind kind);
/* Append `kid` to `n`; frees `kid` on failure. */
int vouch__lf_node_add(node *n, node *kid);

/* The parser's error at byte `pos` ("filter:LINE:COL: ..."); returns
 * `code`. */
int vouch__lf_perr(parser *p, size_t pos, vouch_code code, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));
int vouch__lf_nomem(parser *p);

/* Lexing. */
bool vouch__lf_is_ws(char c);
void vouch__lf_skip_ws(parser *p);
bool vouch__lf_at_end(const parser *p);
/* Is the keyword `kw` at the current position (a whole word)? */
bool vouch__lf_at_keyword(const parser *p, const char *kw);
/* The comparison operator at the current position, without consuming
 * it: 1 and *op, *oplen; 0 when none; < 0 on a malformed one. */
int vouch__lf_peek_op(parser *p, cmp_op *op, size_t *oplen);
const char *vouch__lf_op_text(cmp_op op);
/* After the operator: a value, or "(" value { "OR" value } ")". */
int vouch__lf_parse_values(parser *p, node *n);

/* Terms: field paths and search text. */
void vouch__lf_term_clear(term *t);
/* Adjacent bare words and quoted strings, e.g. labels."a/b".c */
int vouch__lf_lex_term(parser *p, term *t);
/* Split the term into path segments at '.' (outside quotes). */
int vouch__lf_term_to_path(parser *p, const term *t, node *n);
/* Global search text: the unescaped pieces, concatenated. */
int vouch__lf_term_to_text(parser *p, const term *t, node *n);

#endif /* VOUCH_LOGFILTER_INTERNAL_H */
