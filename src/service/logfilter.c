/*
 * vouch service — the Cloud Logging filter language, part one:
 * severities, the AST, and the lexer (values, terms) of the recursive
 * descent parser over (ptr, len) that logfilter_parse.c drives. See
 * logfilter.h for the grammar and docs/audit.md for the semantics.
 */
#include "logfilter_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vutil_error.h"
#include "vutil_str.h"
#include "vutil_time.h"

#define SRC VOUCH__LF_SRC

/* ------------------------------------------------------------------ */
/* Severities, timestamps                                             */

static const struct {
    const char *name;
    int rank;
} severities[] = {
    { "DEFAULT", 0 },   { "DEBUG", 100 },    { "INFO", 200 },
    { "NOTICE", 300 },  { "WARNING", 400 },  { "ERROR", 500 },
    { "CRITICAL", 600 }, { "ALERT", 700 },   { "EMERGENCY", 800 },
};

int vouch__lf_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static bool ci_equal(const char *a, size_t alen, const char *b)
{
    size_t i;

    for (i = 0; i < alen; i++) {
        if (b[i] == '\0' || vouch__lf_lower((unsigned char)a[i]) !=
                                vouch__lf_lower((unsigned char)b[i])) {
            return false;
        }
    }
    return b[alen] == '\0';
}

int vouch__lf_severity_rank(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(severities) / sizeof(severities[0]); i++) {
        if (ci_equal(s, len, severities[i].name)) {
            return severities[i].rank;
        }
    }
    return -1;
}

int vouch__lf_cmp_time(long long s1, long n1, long long s2, long n2)
{
    if (s1 != s2) {
        return s1 < s2 ? -1 : 1;
    }
    if (n1 != n2) {
        return n1 < n2 ? -1 : 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The AST                                                            */

void vouch__lf_node_free(node *n)
{
    size_t i;

    if (n == NULL) {
        return;
    }
    for (i = 0; i < n->nkids; i++) {
        vouch__lf_node_free(n->kids[i]);
    }
    free(n->kids);
    for (i = 0; i < n->nsegs; i++) {
        free(n->segs[i].name);
    }
    free(n->segs);
    for (i = 0; i < n->nvals; i++) {
        free(n->vals[i].text);
    }
    free(n->vals);
    free(n);
}

node *vouch__lf_node_new(node_kind kind)
{
    node *n = calloc(1, sizeof(*n));

    if (n != NULL) {
        n->kind = kind;
    }
    return n;
}

/* Append `kid` to `n`; frees `kid` on failure. */
int vouch__lf_node_add(node *n, node *kid)
{
    if (!vutil_grow(&n->kids, &n->kids_cap, n->nkids, sizeof(*n->kids), 2)) {
        vouch__lf_node_free(kid);
        return VOUCH_ENOMEM;
    }
    n->kids[n->nkids++] = kid;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Lexing                                                             */

int vouch__lf_perr(parser *p, size_t pos, vouch_code code, const char *fmt,
                ...)
{
    va_list ap;
    size_t i;
    int line = 1;
    int col = 1;

    for (i = 0; i < pos && i < p->len; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    va_start(ap, fmt);
    vutil_error_setv(p->err, code, SRC, line, col, fmt, ap);
    va_end(ap);
    return code;
}

int vouch__lf_nomem(parser *p)
{
    return vutil_error_set(p->err, VOUCH_ENOMEM, SRC, 0, 0,
                           "out of memory");
}

bool vouch__lf_is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_word(char c)
{
    return !vouch__lf_is_ws(c) && c != '(' && c != ')' && c != '"' &&
           c != '=' && c != '!' && c != ':' && c != '<' && c != '>';
}

void vouch__lf_skip_ws(parser *p)
{
    while (p->pos < p->len && vouch__lf_is_ws(p->s[p->pos])) {
        p->pos++;
    }
}

bool vouch__lf_at_end(const parser *p)
{
    return p->pos >= p->len;
}

/* Is the keyword `kw` at the current position (a whole word)? */
bool vouch__lf_at_keyword(const parser *p, const char *kw)
{
    size_t n = strlen(kw);

    if (p->len - p->pos < n || memcmp(p->s + p->pos, kw, n) != 0) {
        return false;
    }
    return p->pos + n == p->len || !is_word(p->s[p->pos + n]);
}

static bool at_any_keyword(const parser *p)
{
    return vouch__lf_at_keyword(p, "AND") || vouch__lf_at_keyword(p, "OR") ||
           vouch__lf_at_keyword(p, "NOT");
}

/* The comparison operator at the current position, without consuming
 * it; its length in *oplen (0: none). */
int vouch__lf_peek_op(parser *p, cmp_op *op, size_t *oplen)
{
    const char *s = p->s + p->pos;
    size_t left = p->len - p->pos;

    *oplen = 0;
    if (left == 0) {
        return 0;
    }
    if (left >= 2 && (memcmp(s, "=~", 2) == 0 || memcmp(s, "!~", 2) == 0)) {
        return vouch__lf_perr(p, p->pos, VOUCH_EINVAL,
                              "regular expressions ('%.2s') are not supported; "
                              "use ':' for a substring", s);
    }
    if (left >= 2 && s[1] == '=' && (s[0] == '!' || s[0] == '>' ||
                                     s[0] == '<')) {
        *op = s[0] == '!' ? OP_NE : s[0] == '>' ? OP_GE : OP_LE;
        *oplen = 2;
        return 0;
    }
    switch (s[0]) {
    case '=':
        *op = OP_EQ;
        break;
    case ':':
        *op = OP_HAS;
        break;
    case '>':
        *op = OP_GT;
        break;
    case '<':
        *op = OP_LT;
        break;
    case '!':
        return vouch__lf_perr(p, p->pos, VOUCH_EINVAL,
                              "expected '=' after '!' (the operator is '!=')");
    default:
        return 0;
    }
    *oplen = 1;
    return 0;
}

static void put_utf8(char *out, size_t *n, unsigned long cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xc0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xe0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        out[(*n)++] = (char)(0xf0 | (cp >> 18));
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    }
}

static bool hex4(const parser *p, size_t at, unsigned long *out)
{
    unsigned long v = 0;
    size_t i;

    if (p->len - at < 4) {
        return false;
    }
    for (i = at; i < at + 4; i++) {
        char c = p->s[i];

        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (unsigned long)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= (unsigned long)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v |= (unsigned long)(c - 'A' + 10);
        } else {
            return false;
        }
    }
    *out = v;
    return true;
}

/*
 * A quoted string at the current position ('"'), unescaped into a
 * malloc'd buffer. Escapes: \" \\ \/ \b \f \n \r \t \uXXXX (surrogate
 * pairs joined).
 */
static int lex_string(parser *p, char **out, size_t *out_len)
{
    size_t open = p->pos;
    size_t n = 0;
    size_t end = p->pos + 1;
    char *buf;

    *out = NULL;
    /* Find the end first: the unescaped text is never longer than the
     * raw bytes between the quotes. */
    while (end < p->len && p->s[end] != '"') {
        end += p->s[end] == '\\' ? 2 : 1;
    }
    buf = malloc((end < p->len ? end : p->len) - open + 1);
    if (buf == NULL) {
        return vouch__lf_nomem(p);
    }
    p->pos++;
    for (;;) {
        char c;
        unsigned long cp;
        unsigned long lo;
        size_t esc;

        if (vouch__lf_at_end(p)) {
            free(buf);
            return vouch__lf_perr(p, open, VOUCH_EINVAL,
                                  "unterminated string: no closing '\"'");
        }
        c = p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c != '\\') {
            buf[n++] = c;
            p->pos++;
            continue;
        }
        esc = p->pos;
        if (p->pos + 1 >= p->len) {
            free(buf);
            return vouch__lf_perr(p, open, VOUCH_EINVAL,
                                  "unterminated string: no closing '\"'");
        }
        c = p->s[p->pos + 1];
        p->pos += 2;
        switch (c) {
        case '"': buf[n++] = '"'; break;
        case '\\': buf[n++] = '\\'; break;
        case '/': buf[n++] = '/'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u':
            if (!hex4(p, p->pos, &cp)) {
                free(buf);
                return vouch__lf_perr(p, esc, VOUCH_EINVAL,
                                      "expected 4 hex digits after '\\u'");
            }
            p->pos += 4;
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                free(buf);
                return vouch__lf_perr(p, esc, VOUCH_EINVAL,
                                      "unpaired low surrogate in '\\u' escape");
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (p->len - p->pos < 6 || p->s[p->pos] != '\\' ||
                    p->s[p->pos + 1] != 'u' ||
                    !hex4(p, p->pos + 2, &lo) || lo < 0xdc00 ||
                    lo > 0xdfff) {
                    free(buf);
                    return vouch__lf_perr(p, esc, VOUCH_EINVAL,
                                          "high surrogate in '\\u' escape "
                                          "without a low surrogate after "
                                          "it");
                }
                p->pos += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            /* At most 4 bytes out for at least 6 bytes in. */
            put_utf8(buf, &n, cp);
            break;
        default:
            free(buf);
            if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f) {
                return vouch__lf_perr(p, esc, VOUCH_EINVAL,
                                      "unknown escape '\\%c' in string", c);
            }
            return vouch__lf_perr(p, esc, VOUCH_EINVAL,
                                  "unknown escape in string");
        }
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Values                                                             */

static bool parse_number(const char *s, size_t len, double *out)
{
    char *end = NULL;
    double v;
    size_t i;

    if (len == 0 || memchr(s, '\0', len) != NULL) {
        return false;
    }
    /* Plain decimal numbers only: no hex, inf or nan spellings. */
    for (i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
              c == 'e' || c == 'E')) {
            return false;
        }
    }
    v = strtod(s, &end);
    if (end != s + len || !isfinite(v)) {
        return false;
    }
    *out = v;
    return true;
}

/* Fill `v` from its text (takes `text`). */
static void value_prepare(fvalue *v, char *text, size_t len)
{
    memset(v, 0, sizeof(*v));
    v->text = text;
    v->len = len;
    v->is_num = parse_number(text, len, &v->num);
    v->is_time = vutil_rfc3339_parse(text, len, &v->sec, &v->nsec);
    v->sev = vouch__lf_severity_rank(text, len);
    if (v->sev < 0 && v->is_num && v->num >= 0 && v->num <= 800) {
        v->sev = (int)v->num;
    }
}

const char *vouch__lf_op_text(cmp_op op)
{
    switch (op) {
    case OP_EQ: return "=";
    case OP_NE: return "!=";
    case OP_HAS: return ":";
    case OP_GE: return ">=";
    case OP_LE: return "<=";
    case OP_GT: return ">";
    case OP_LT: return "<";
    case OP_EXISTS: return ":*";
    }
    return "?";
}

/* One value: a quoted string or a bare word (up to blank or paren). */
static int parse_one_value(parser *p, node *n)
{
    fvalue *vals;
    char *text = NULL;
    size_t len = 0;
    size_t start;
    int rc;

    vouch__lf_skip_ws(p);
    start = p->pos;
    if (vouch__lf_at_end(p) || p->s[p->pos] == ')' || p->s[p->pos] == '(') {
        return vouch__lf_perr(p, p->pos, VOUCH_EINVAL,
                              "expected a value after '%s'",
                              vouch__lf_op_text(n->op));
    }
    if (at_any_keyword(p)) {
        return vouch__lf_perr(p, p->pos, VOUCH_EINVAL,
                              "expected a value after '%s', found the operator "
                              "'%s' (quote it to compare with the word)",
                              vouch__lf_op_text(n->op),
                              vouch__lf_at_keyword(p, "AND")  ? "AND"
                              : vouch__lf_at_keyword(p, "OR") ? "OR"
                                                               : "NOT");
    }
    if (p->s[p->pos] == '"') {
        rc = lex_string(p, &text, &len);
        if (rc < 0) {
            return rc;
        }
    } else {
        while (p->pos < p->len && !vouch__lf_is_ws(p->s[p->pos]) &&
               p->s[p->pos] != '(' && p->s[p->pos] != ')') {
            p->pos++;
        }
        len = p->pos - start;
        text = vutil_strndup(p->s + start, len);
        if (text == NULL) {
            return vouch__lf_nomem(p);
        }
    }
    if (n->severity && n->op != OP_HAS) {
        int rank = vouch__lf_severity_rank(text, len);
        double num;

        if (rank < 0 && !parse_number(text, len, &num)) {
            free(text);
            return vouch__lf_perr(p, start, VOUCH_EINVAL,
                                  "unknown severity (expected DEFAULT, "
                                  "DEBUG, INFO, NOTICE, WARNING, ERROR, "
                                  "CRITICAL, ALERT or EMERGENCY)");
        }
    }
    vals = realloc(n->vals, (n->nvals + 1) * sizeof(*vals));
    if (vals == NULL) {
        free(text);
        return vouch__lf_nomem(p);
    }
    n->vals = vals;
    value_prepare(&n->vals[n->nvals++], text, len);
    return 0;
}

/* After the operator: a value, or "(" value { "OR" value } ")". */
int vouch__lf_parse_values(parser *p, node *n)
{
    size_t open;
    int rc;

    vouch__lf_skip_ws(p);
    if (vouch__lf_at_end(p) || p->s[p->pos] != '(') {
        return parse_one_value(p, n);
    }
    open = p->pos;
    p->pos++;
    for (;;) {
        rc = parse_one_value(p, n);
        if (rc < 0) {
            return rc;
        }
        vouch__lf_skip_ws(p);
        if (vouch__lf_at_end(p)) {
            return vouch__lf_perr(p, p->pos, VOUCH_EINVAL,
                                  "expected ')' to close the value list "
                                  "opened at column %zu",
                                  open + 1);
        }
        if (p->s[p->pos] == ')') {
            p->pos++;
            return 0;
        }
        if (!vouch__lf_at_keyword(p, "OR")) {
            return vouch__lf_perr(p, p->pos, VOUCH_EINVAL,
                                  "expected OR or ')' in the value list");
        }
        p->pos += 2;
    }
}

/* ------------------------------------------------------------------ */
/* Terms: field paths and search text                                 */

void vouch__lf_term_clear(term *t)
{
    size_t i;

    for (i = 0; i < t->count; i++) {
        free(t->pieces[i].text);
    }
    free(t->pieces);
    t->pieces = NULL;
    t->count = 0;
}

/* Adjacent bare words and quoted strings, e.g. labels."a/b".c */
int vouch__lf_lex_term(parser *p, term *t)
{
    while (!vouch__lf_at_end(p)) {
        piece pc;
        piece *more;
        int rc;

        memset(&pc, 0, sizeof(pc));
        pc.start = p->pos;
        if (p->s[p->pos] == '"') {
            pc.quoted = true;
            rc = lex_string(p, &pc.text, &pc.len);
            if (rc < 0) {
                return rc;
            }
        } else if (is_word(p->s[p->pos])) {
            while (p->pos < p->len && is_word(p->s[p->pos])) {
                p->pos++;
            }
            pc.len = p->pos - pc.start;
        } else {
            break;
        }
        more = realloc(t->pieces, (t->count + 1) * sizeof(*more));
        if (more == NULL) {
            free(pc.text);
            return vouch__lf_nomem(p);
        }
        t->pieces = more;
        t->pieces[t->count++] = pc;
    }
    return 0;
}

static int seg_push(parser *p, node *n, const char *s, size_t len)
{
    segment *segs;
    char *copy;

    copy = vutil_strndup(s, len);
    if (copy == NULL) {
        return vouch__lf_nomem(p);
    }
    segs = realloc(n->segs, (n->nsegs + 1) * sizeof(*segs));
    if (segs == NULL) {
        free(copy);
        return vouch__lf_nomem(p);
    }
    n->segs = segs;
    n->segs[n->nsegs].name = copy;
    n->segs[n->nsegs].len = len;
    n->nsegs++;
    return 0;
}

/* Split the term into path segments at '.' (outside quotes). */
int vouch__lf_term_to_path(parser *p, const term *t, node *n)
{
    size_t i;
    size_t j;
    /* The segment being built: bare text [seg_start, j) or a quoted one. */
    bool has = false;
    bool quoted = false;
    size_t seg_start = 0;
    size_t last = 0;
    int rc;

    for (i = 0; i < t->count; i++) {
        const piece *pc = &t->pieces[i];

        if (pc->quoted) {
            if (has) {
                return vouch__lf_perr(p, pc->start, VOUCH_EINVAL,
                                      "expected '.' before a quoted path "
                                      "segment");
            }
            rc = seg_push(p, n, pc->text, pc->len);
            if (rc < 0) {
                return rc;
            }
            has = true;
            quoted = true;
            last = pc->start;
            continue;
        }
        for (j = pc->start; j < pc->start + pc->len; j++) {
            if (p->s[j] == '.') {
                if (!has) {
                    return vouch__lf_perr(p, j, VOUCH_EINVAL,
                                          "empty segment in the field path");
                }
                if (!quoted) {
                    rc = seg_push(p, n, p->s + seg_start, j - seg_start);
                    if (rc < 0) {
                        return rc;
                    }
                }
                has = false;
                quoted = false;
                last = j;
                continue;
            }
            if (quoted) {
                return vouch__lf_perr(p, j, VOUCH_EINVAL,
                                      "expected '.' after a quoted path "
                                      "segment");
            }
            if (!has) {
                seg_start = j;
                has = true;
            }
        }
        if (has && !quoted) {
            /* A bare segment may not continue into a quoted piece. */
            if (i + 1 < t->count) {
                return vouch__lf_perr(p, t->pieces[i + 1].start,
                                      VOUCH_EINVAL,
                                      "expected '.' before a quoted path "
                                      "segment");
            }
            rc = seg_push(p, n, p->s + seg_start,
                          pc->start + pc->len - seg_start);
            if (rc < 0) {
                return rc;
            }
        }
    }
    if (!has) {
        return vouch__lf_perr(p, last, VOUCH_EINVAL,
                              "the field path ends with '.'");
    }
    n->severity = n->nsegs == 1 && n->segs[0].len == 8 &&
                  memcmp(n->segs[0].name, "severity", 8) == 0;
    return 0;
}

/* Global search text: the unescaped pieces, concatenated. */
int vouch__lf_term_to_text(parser *p, const term *t, node *n)
{
    size_t total = 0;
    size_t i;
    char *text;

    for (i = 0; i < t->count; i++) {
        total += t->pieces[i].len;
    }
    text = malloc(total + 1);
    n->vals = calloc(1, sizeof(*n->vals));
    if (text == NULL || n->vals == NULL) {
        free(text);
        return vouch__lf_nomem(p);
    }
    total = 0;
    for (i = 0; i < t->count; i++) {
        const piece *pc = &t->pieces[i];

        memcpy(text + total, pc->quoted ? pc->text : p->s + pc->start,
               pc->len);
        total += pc->len;
    }
    text[total] = '\0';
    value_prepare(&n->vals[0], text, total);
    n->nvals = 1;
    return 0;
}
