/*
 * vouch run platform — the Cloud Logging filter language: a recursive
 * descent parser over (ptr, len) that builds a small AST, and its
 * evaluation on a jansson LogEntry. See logfilter.h for the grammar and
 * docs/audit.md for the semantics.
 */
#include "logfilter.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vutil_error.h"
#include "vutil_str.h"

#define SRC "filter"

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

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static bool ci_equal(const char *a, size_t alen, const char *b)
{
    size_t i;

    for (i = 0; i < alen; i++) {
        if (b[i] == '\0' || lower((unsigned char)a[i]) !=
                                lower((unsigned char)b[i])) {
            return false;
        }
    }
    return b[alen] == '\0';
}

static int severity_rank(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(severities) / sizeof(severities[0]); i++) {
        if (ci_equal(s, len, severities[i].name)) {
            return severities[i].rank;
        }
    }
    return -1;
}

static bool digits(const char *s, size_t n, int *out)
{
    size_t i;
    int v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long days_from_civil(int y, int m, int d)
{
    long long era;
    unsigned yoe;
    unsigned doy;
    unsigned doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static int month_days(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

bool vouch_logfilter_parse_time(const char *s, size_t len,
                                long long *seconds, long *nanos)
{
    int y, mo, d, h, mi, sec, oh, om;
    long ns = 0;
    long scale = 100000000;
    size_t i;
    long long off = 0;

    if (len < 20 || !digits(s, 4, &y) || s[4] != '-' ||
        !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &sec)) {
        return false;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
        mi > 59 || sec > 60) {
        return false;
    }
    i = 19;
    if (s[i] == '.') {
        i++;
        if (i >= len || s[i] < '0' || s[i] > '9') {
            return false;
        }
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            ns += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
    }
    if (i >= len) {
        return false;
    }
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        off = 0;
    } else if ((s[i] == '+' || s[i] == '-') && i + 6 == len &&
               digits(s + i + 1, 2, &oh) && s[i + 3] == ':' &&
               digits(s + i + 4, 2, &om) && oh <= 23 && om <= 59) {
        off = (long long)(oh * 3600 + om * 60);
        if (s[i] == '-') {
            off = -off;
        }
    } else {
        return false;
    }
    *seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
               sec - off;
    *nanos = ns;
    return true;
}

static int cmp_time(long long s1, long n1, long long s2, long n2)
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

static void node_free(node *n)
{
    size_t i;

    if (n == NULL) {
        return;
    }
    for (i = 0; i < n->nkids; i++) {
        node_free(n->kids[i]);
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

static node *node_new(node_kind kind)
{
    node *n = calloc(1, sizeof(*n));

    if (n != NULL) {
        n->kind = kind;
    }
    return n;
}

/* Append `kid` to `n`; frees `kid` on failure. */
static int node_add(node *n, node *kid)
{
    node **kids;

    kids = realloc(n->kids, (n->nkids + 1) * sizeof(*kids));
    if (kids == NULL) {
        node_free(kid);
        return VOUCH_ENOMEM;
    }
    n->kids = kids;
    n->kids[n->nkids++] = kid;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Lexing                                                             */

static int perr(parser *p, size_t pos, vouch_code code, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

static int perr(parser *p, size_t pos, vouch_code code, const char *fmt,
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

static int nomem(parser *p)
{
    return vutil_error_set(p->err, VOUCH_ENOMEM, SRC, 0, 0,
                           "out of memory");
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_word(char c)
{
    return !is_ws(c) && c != '(' && c != ')' && c != '"' && c != '=' &&
           c != '!' && c != ':' && c != '<' && c != '>';
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len && is_ws(p->s[p->pos])) {
        p->pos++;
    }
}

static bool at_end(const parser *p)
{
    return p->pos >= p->len;
}

/* Is the keyword `kw` at the current position (a whole word)? */
static bool at_keyword(const parser *p, const char *kw)
{
    size_t n = strlen(kw);

    if (p->len - p->pos < n || memcmp(p->s + p->pos, kw, n) != 0) {
        return false;
    }
    return p->pos + n == p->len || !is_word(p->s[p->pos + n]);
}

static bool at_any_keyword(const parser *p)
{
    return at_keyword(p, "AND") || at_keyword(p, "OR") ||
           at_keyword(p, "NOT");
}

/* The comparison operator at the current position, without consuming
 * it; its length in *oplen (0: none). */
static int peek_op(parser *p, cmp_op *op, size_t *oplen)
{
    const char *s = p->s + p->pos;
    size_t left = p->len - p->pos;

    *oplen = 0;
    if (left == 0) {
        return 0;
    }
    if (left >= 2 && (memcmp(s, "=~", 2) == 0 || memcmp(s, "!~", 2) == 0)) {
        return perr(p, p->pos, VOUCH_EINVAL,
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
        return perr(p, p->pos, VOUCH_EINVAL,
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
        return nomem(p);
    }
    p->pos++;
    for (;;) {
        char c;
        unsigned long cp;
        unsigned long lo;
        size_t esc;

        if (at_end(p)) {
            free(buf);
            return perr(p, open, VOUCH_EINVAL,
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
            return perr(p, open, VOUCH_EINVAL,
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
                return perr(p, esc, VOUCH_EINVAL,
                            "expected 4 hex digits after '\\u'");
            }
            p->pos += 4;
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                free(buf);
                return perr(p, esc, VOUCH_EINVAL,
                            "unpaired low surrogate in '\\u' escape");
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (p->len - p->pos < 6 || p->s[p->pos] != '\\' ||
                    p->s[p->pos + 1] != 'u' ||
                    !hex4(p, p->pos + 2, &lo) || lo < 0xdc00 ||
                    lo > 0xdfff) {
                    free(buf);
                    return perr(p, esc, VOUCH_EINVAL,
                                "high surrogate in '\\u' escape without "
                                "a low surrogate after it");
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
                return perr(p, esc, VOUCH_EINVAL,
                            "unknown escape '\\%c' in string", c);
            }
            return perr(p, esc, VOUCH_EINVAL, "unknown escape in string");
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
    v->is_time = vouch_logfilter_parse_time(text, len, &v->sec, &v->nsec);
    v->sev = severity_rank(text, len);
    if (v->sev < 0 && v->is_num && v->num >= 0 && v->num <= 800) {
        v->sev = (int)v->num;
    }
}

static const char *op_text(cmp_op op)
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

    skip_ws(p);
    start = p->pos;
    if (at_end(p) || p->s[p->pos] == ')' || p->s[p->pos] == '(') {
        return perr(p, p->pos, VOUCH_EINVAL, "expected a value after '%s'",
                    op_text(n->op));
    }
    if (at_any_keyword(p)) {
        return perr(p, p->pos, VOUCH_EINVAL,
                    "expected a value after '%s', found the operator "
                    "'%s' (quote it to compare with the word)",
                    op_text(n->op), at_keyword(p, "AND") ? "AND"
                    : at_keyword(p, "OR") ? "OR" : "NOT");
    }
    if (p->s[p->pos] == '"') {
        rc = lex_string(p, &text, &len);
        if (rc < 0) {
            return rc;
        }
    } else {
        while (p->pos < p->len && !is_ws(p->s[p->pos]) &&
               p->s[p->pos] != '(' && p->s[p->pos] != ')') {
            p->pos++;
        }
        len = p->pos - start;
        text = vutil_strndup(p->s + start, len);
        if (text == NULL) {
            return nomem(p);
        }
    }
    if (n->severity && n->op != OP_HAS) {
        int rank = severity_rank(text, len);
        double num;

        if (rank < 0 && !parse_number(text, len, &num)) {
            free(text);
            return perr(p, start, VOUCH_EINVAL,
                        "unknown severity (expected DEFAULT, DEBUG, INFO, "
                        "NOTICE, WARNING, ERROR, CRITICAL, ALERT or "
                        "EMERGENCY)");
        }
    }
    vals = realloc(n->vals, (n->nvals + 1) * sizeof(*vals));
    if (vals == NULL) {
        free(text);
        return nomem(p);
    }
    n->vals = vals;
    value_prepare(&n->vals[n->nvals++], text, len);
    return 0;
}

/* After the operator: a value, or "(" value { "OR" value } ")". */
static int parse_values(parser *p, node *n)
{
    size_t open;
    int rc;

    skip_ws(p);
    if (at_end(p) || p->s[p->pos] != '(') {
        return parse_one_value(p, n);
    }
    open = p->pos;
    p->pos++;
    for (;;) {
        rc = parse_one_value(p, n);
        if (rc < 0) {
            return rc;
        }
        skip_ws(p);
        if (at_end(p)) {
            return perr(p, p->pos, VOUCH_EINVAL,
                        "expected ')' to close the value list opened at "
                        "column %zu", open + 1);
        }
        if (p->s[p->pos] == ')') {
            p->pos++;
            return 0;
        }
        if (!at_keyword(p, "OR")) {
            return perr(p, p->pos, VOUCH_EINVAL,
                        "expected OR or ')' in the value list");
        }
        p->pos += 2;
    }
}

/* ------------------------------------------------------------------ */
/* Terms: field paths and search text                                 */

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

static void term_clear(term *t)
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
static int lex_term(parser *p, term *t)
{
    while (!at_end(p)) {
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
            return nomem(p);
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
        return nomem(p);
    }
    segs = realloc(n->segs, (n->nsegs + 1) * sizeof(*segs));
    if (segs == NULL) {
        free(copy);
        return nomem(p);
    }
    n->segs = segs;
    n->segs[n->nsegs].name = copy;
    n->segs[n->nsegs].len = len;
    n->nsegs++;
    return 0;
}

/* Split the term into path segments at '.' (outside quotes). */
static int term_to_path(parser *p, const term *t, node *n)
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
                return perr(p, pc->start, VOUCH_EINVAL,
                            "expected '.' before a quoted path segment");
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
                    return perr(p, j, VOUCH_EINVAL,
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
                return perr(p, j, VOUCH_EINVAL,
                            "expected '.' after a quoted path segment");
            }
            if (!has) {
                seg_start = j;
                has = true;
            }
        }
        if (has && !quoted) {
            /* A bare segment may not continue into a quoted piece. */
            if (i + 1 < t->count) {
                return perr(p, t->pieces[i + 1].start, VOUCH_EINVAL,
                            "expected '.' before a quoted path segment");
            }
            rc = seg_push(p, n, p->s + seg_start,
                          pc->start + pc->len - seg_start);
            if (rc < 0) {
                return rc;
            }
        }
    }
    if (!has) {
        return perr(p, last, VOUCH_EINVAL, "the field path ends with '.'");
    }
    n->severity = n->nsegs == 1 && n->segs[0].len == 8 &&
                  memcmp(n->segs[0].name, "severity", 8) == 0;
    return 0;
}

/* Global search text: the unescaped pieces, concatenated. */
static int term_to_text(parser *p, const term *t, node *n)
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
        return nomem(p);
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
    skip_ws(p);
    if (at_end(p)) {
        return perr(p, p->pos, VOUCH_EINVAL, "expected an expression");
    }
    if (p->s[p->pos] == '(') {
        open = p->pos;
        if (++p->depth > VOUCH_LOGFILTER_MAX_DEPTH) {
            return perr(p, p->pos, VOUCH_ETOOBIG,
                        "nested deeper than %u levels",
                        VOUCH_LOGFILTER_MAX_DEPTH);
        }
        p->pos++;
        skip_ws(p);
        if (!at_end(p) && p->s[p->pos] == ')') {
            return perr(p, p->pos, VOUCH_EINVAL,
                        "expected an expression inside '()'");
        }
        rc = parse_and(p, &n);
        if (rc < 0) {
            return rc;
        }
        skip_ws(p);
        if (at_end(p) || p->s[p->pos] != ')') {
            node_free(n);
            return perr(p, p->pos, VOUCH_EINVAL,
                        "expected ')' to close the '(' at column %zu",
                        open + 1);
        }
        p->pos++;
        p->depth--;
        *out = n;
        return 0;
    }
    if (p->s[p->pos] == ')') {
        return perr(p, p->pos, VOUCH_EINVAL, "unexpected ')'");
    }
    if (at_keyword(p, "AND") || at_keyword(p, "OR")) {
        return perr(p, p->pos, VOUCH_EINVAL,
                    "expected an expression before '%s'",
                    at_keyword(p, "OR") ? "OR" : "AND");
    }
    rc = peek_op(p, &op, &oplen);
    if (rc < 0) {
        return rc;
    }
    if (oplen > 0) {
        return perr(p, p->pos, VOUCH_EINVAL,
                    "expected a field path before '%s'", op_text(op));
    }
    rc = lex_term(p, &t);
    if (rc < 0) {
        goto cleanup;
    }
    after = p->pos;
    skip_ws(p);
    rc = peek_op(p, &op, &oplen);
    if (rc < 0) {
        goto cleanup;
    }
    if (oplen == 0) {
        p->pos = after;
        n = node_new(NODE_TEXT);
        if (n == NULL) {
            rc = nomem(p);
            goto cleanup;
        }
        rc = term_to_text(p, &t, n);
        if (rc < 0) {
            goto cleanup;
        }
    } else {
        n = node_new(NODE_CMP);
        if (n == NULL) {
            rc = nomem(p);
            goto cleanup;
        }
        n->op = op;
        rc = term_to_path(p, &t, n);
        if (rc < 0) {
            goto cleanup;
        }
        p->pos += oplen;
        if (op == OP_HAS && p->pos < p->len && p->s[p->pos] == '*' &&
            (p->pos + 1 == p->len || is_ws(p->s[p->pos + 1]) ||
             p->s[p->pos + 1] == ')')) {
            p->pos++;
            n->op = OP_EXISTS;
        } else {
            rc = parse_values(p, n);
            if (rc < 0) {
                goto cleanup;
            }
        }
    }
    *out = n;
    n = NULL;

cleanup:
    node_free(n);
    term_clear(&t);
    return rc;
}

static int parse_unary(parser *p, node **out)
{
    node *n = NULL;
    node *kid = NULL;
    size_t at;
    int rc;

    *out = NULL;
    skip_ws(p);
    at = p->pos;
    if (at_keyword(p, "NOT") ||
        (p->pos + 1 < p->len && p->s[p->pos] == '-' &&
         !is_ws(p->s[p->pos + 1]))) {
        bool word = p->s[p->pos] == 'N';

        p->pos += word ? 3 : 1;
        if (++p->depth > VOUCH_LOGFILTER_MAX_DEPTH) {
            return perr(p, at, VOUCH_ETOOBIG,
                        "nested deeper than %u levels",
                        VOUCH_LOGFILTER_MAX_DEPTH);
        }
        skip_ws(p);
        if (at_end(p) || p->s[p->pos] == ')' || at_keyword(p, "AND") ||
            at_keyword(p, "OR")) {
            return perr(p, p->pos, VOUCH_EINVAL,
                        "expected an expression after '%s'",
                        word ? "NOT" : "-");
        }
        rc = parse_unary(p, &kid);
        if (rc < 0) {
            return rc;
        }
        p->depth--;
        n = node_new(NODE_NOT);
        if (n == NULL) {
            node_free(kid);
            return nomem(p);
        }
        if (node_add(n, kid) < 0) {
            node_free(n);
            return nomem(p);
        }
        *out = n;
        return 0;
    }
    return parse_primary(p, out);
}

/* Does the input at the current position end an AND/OR chain? */
static bool at_chain_end(parser *p)
{
    skip_ws(p);
    return at_end(p) || p->s[p->pos] == ')';
}

/*
 * Add `*kid` (taken, even on failure) to the chain `*chain` of `kind`,
 * which the first call makes. 0, or nomem's code.
 */
static int chain_add(parser *p, node **chain, node_kind kind, node **kid)
{
    int rc;

    if (*chain == NULL && (*chain = node_new(kind)) == NULL) {
        node_free(*kid);
        *kid = NULL;
        return nomem(p);
    }
    rc = node_add(*chain, *kid);
    *kid = NULL;
    return rc < 0 ? nomem(p) : 0;
}

static int parse_or(parser *p, node **out)
{
    node *n = NULL;
    node *kid = NULL;
    int rc;

    *out = NULL;
    rc = parse_unary(p, &kid);
    if (rc < 0) {
        return rc;
    }
    for (;;) {
        skip_ws(p);
        if (!at_keyword(p, "OR")) {
            break;
        }
        p->pos += 2;
        if (at_chain_end(p) || at_keyword(p, "AND") || at_keyword(p, "OR")) {
            rc = perr(p, p->pos, VOUCH_EINVAL,
                      "expected an expression after OR");
            goto cleanup;
        }
        if (n == NULL && (rc = chain_add(p, &n, NODE_OR, &kid)) < 0) {
            goto cleanup;
        }
        if ((rc = parse_unary(p, &kid)) < 0 ||
            (rc = chain_add(p, &n, NODE_OR, &kid)) < 0) {
            goto cleanup;
        }
    }
    *out = n != NULL ? n : kid;   /* a lone operand needs no chain */
    return 0;

cleanup:
    node_free(n);
    node_free(kid);
    return rc;
}

static int parse_and(parser *p, node **out)
{
    node *n = NULL;
    node *kid = NULL;
    int rc;

    *out = NULL;
    rc = parse_or(p, &kid);
    if (rc < 0) {
        return rc;
    }
    while (!at_chain_end(p)) {
        if (at_keyword(p, "AND")) {
            p->pos += 3;
            if (at_chain_end(p) || at_keyword(p, "AND") ||
                at_keyword(p, "OR")) {
                rc = perr(p, p->pos, VOUCH_EINVAL,
                          "expected an expression after AND");
                goto cleanup;
            }
        }
        if (n == NULL && (rc = chain_add(p, &n, NODE_AND, &kid)) < 0) {
            goto cleanup;
        }
        if ((rc = parse_or(p, &kid)) < 0 ||
            (rc = chain_add(p, &n, NODE_AND, &kid)) < 0) {
            goto cleanup;
        }
    }
    *out = n != NULL ? n : kid;   /* a lone operand needs no chain */
    return 0;

cleanup:
    node_free(n);
    node_free(kid);
    return rc;
}

int vouch_logfilter_parse(vouch_logfilter **out, const char *text,
                          size_t len, vouch_error *err)
{
    vouch_logfilter *f = NULL;
    parser p;
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
    memset(&p, 0, sizeof(p));
    p.s = text;
    p.len = len;
    p.err = err;
    skip_ws(&p);
    if (!at_end(&p)) {
        rc = parse_and(&p, &f->root);
        if (rc < 0) {
            vouch_logfilter_free(f);
            return rc;
        }
        skip_ws(&p);
        if (!at_end(&p)) {
            /* Only a stray ')' stops a top-level chain early. */
            vouch_logfilter_free(f);
            return perr(&p, p.pos, VOUCH_EINVAL,
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
    node_free(filter->root);
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
            if (lower((unsigned char)hay[i + j]) !=
                lower((unsigned char)needle[j])) {
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
            rank = severity_rank(json_string_value(v), json_string_length(v));
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
    if (lit->is_time && vouch_logfilter_parse_time(s, len, &sec, &nsec)) {
        *out = cmp_time(sec, nsec, lit->sec, lit->nsec);
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
