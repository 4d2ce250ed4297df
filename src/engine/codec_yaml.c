/*
 * YAML through libfyaml: loading one document with positions (JSON mode
 * too), and printing a json_t in the style of `gcloud ... export`
 * (PyYAML safe_dump: block style, sorted keys, 2-space indent, sequences
 * not indented under their key, strings quoted only when needed).
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "doc.h"

/* ---- loading -------------------------------------------------------- */

static int first_diag_error(struct fy_diag *diag, const char *source,
                            const char *fallback, vouch_error *err)
{
    void *iter = NULL;
    struct fy_diag_error *de;

    if (diag != NULL) {
        de = fy_diag_errors_iterate(diag, &iter);
        if (de != NULL) {
            return vouch__error_set(err, VOUCH_EPARSE, source, de->line,
                                    de->column, "%s",
                                    de->msg != NULL ? de->msg : fallback);
        }
    }
    return vouch__error_set(err, VOUCH_EPARSE, source, 0, 0, "%s", fallback);
}

/*
 * Checks on the raw YAML text before libfyaml sees it, each for a defect
 * of libfyaml 0.7.12 found by fuzz_policy_yaml:
 *
 * - It can loop forever scanning a malformed directive: a '%' at the start
 *   of a line (after "\n", and after a bare "\r"). vouch needs no %YAML or
 *   %TAG directive, so any '%' that starts a line is refused. A line starts
 *   at the beginning of the input and after any YAML line break ("\n",
 *   "\r", and the YAML 1.1 breaks NEL, LS and PS), past an optional byte
 *   order mark.
 * - fy_parser_destroy() crashes (fy_indent_vacuum_internal) after a failed
 *   parse of an explicit key holding a compact mapping followed by a tab
 *   and a block indicator ("? e:\t? v:", "? e: \t- v"). vouch documents
 *   never need explicit keys, so a '?' followed by a blank is refused
 *   where it would open one: first on a line, after block sequence
 *   indicators ("- - ? a"), or as a value after ": " (also when it is
 *   inside a block or quoted scalar; quote such text differently).
 * - The first crash found had a NUL ("? e:\t\0 v:"). A YAML stream may
 *   not hold C0 control characters other than tab, line feed and carriage
 *   return, nor DEL (YAML 1.2 §5.1, c-printable), so they are refused up
 *   front too.
 *
 * Lines are counted on "\n", "\r\n" and a lone "\r", as libfyaml does;
 * the column is a byte count.
 */
static int prescan(const char *data, size_t len, const char *source,
                   vouch_error *err)
{
    size_t i;
    size_t line_start = 0;
    int line = 1;
    bool start = true;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];

        if (start && len - i >= 3 &&
            memcmp(data + i, "\xef\xbb\xbf", 3) == 0) {
            i += 2; /* a byte order mark may open any document */
            continue;
        }
        if (c == '%' && start) {
            return vouch__error_set(err, VOUCH_EPARSE, source, line, 1,
                                    "YAML directives are not accepted");
        }
        if (start || (c == ':' && i + 1 < len &&
                      (data[i + 1] == ' ' || data[i + 1] == '\t'))) {
            size_t k = start ? i : i + 1;

            /* Past indentation, block sequence indicators ("- - ") and,
             * after a ':', the blanks before a value: a '?' there opens
             * an explicit key. */
            for (;;) {
                while (k < len && (data[k] == ' ' || data[k] == '\t')) {
                    k++;
                }
                if (start && k + 1 < len && data[k] == '-' &&
                    (data[k + 1] == ' ' || data[k + 1] == '\t')) {
                    k++;
                    continue;
                }
                break;
            }
            if (k < len && data[k] == '?' &&
                (k + 1 == len || data[k + 1] == ' ' || data[k + 1] == '\t' ||
                 data[k + 1] == '\n' || data[k + 1] == '\r')) {
                return vouch__error_set(err, VOUCH_EPARSE, source, line,
                                        (int)(k - line_start + 1),
                                        "explicit YAML keys ('? ') are not "
                                        "accepted");
            }
        }
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
            c == 0x7f) {
            return vouch__error_set(err, VOUCH_EPARSE, source, line,
                                    (int)(i - line_start + 1),
                                    "control character 0x%02x is not "
                                    "allowed in YAML", c);
        }
        start = false;
        if (c == '\n' || (c == '\r' && (i + 1 == len || data[i + 1] != '\n'))) {
            line++;
            line_start = i + 1;
            start = true;
        } else if (c == '\r') {
            start = true; /* "\r\n": the "\n" counts the line */
        } else if (c == 0xc2 && i + 1 < len &&
                   (unsigned char)data[i + 1] == 0x85) {
            start = true;
            i++;
        } else if (c == 0xe2 && i + 2 < len &&
                   (unsigned char)data[i + 1] == 0x80 &&
                   ((unsigned char)data[i + 2] == 0xa8 ||
                    (unsigned char)data[i + 2] == 0xa9)) {
            start = true;
            i += 2;
        }
    }
    return 0;
}

/*
 * The parser every load uses, over `len` bytes (YAML prescanned first):
 * quiet, its errors collected in `*diag_out` for first_diag_error().
 */
static int parser_open(struct fy_diag **diag_out, struct fy_parser **fyp_out,
                       const char *data, size_t len, bool json,
                       const char *source, vouch_error *err)
{
    struct fy_diag_cfg dcfg;
    struct fy_parse_cfg cfg;
    int rc;

    *diag_out = NULL;
    *fyp_out = NULL;
    if (!json) {
        rc = prescan(data, len, source, err);
        if (rc < 0) {
            return rc;
        }
    }
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = NULL;
    dcfg.colorize = false;
    *diag_out = fy_diag_create(&dcfg);
    if (*diag_out == NULL) {
        return vouch__error_set(err, VOUCH_ENOMEM, source, 0, 0,
                                "out of memory");
    }
    fy_diag_set_collect_errors(*diag_out, true);
    memset(&cfg, 0, sizeof(cfg));
    cfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG |
                (json ? FYPCF_JSON_FORCE : FYPCF_JSON_NONE);
    cfg.diag = *diag_out;
    *fyp_out = fy_parser_create(&cfg);
    if (*fyp_out == NULL) {
        return vouch__error_set(err, VOUCH_ENOMEM, source, 0, 0,
                                "out of memory");
    }
    if (fy_parser_set_string(*fyp_out, len > 0 ? data : "", len) != 0) {
        return vouch__error_set(err, VOUCH_ENOMEM, source, 0, 0,
                                "cannot read the document");
    }
    return 0;
}

static void parser_close(struct fy_diag *diag, struct fy_parser *fyp)
{
    if (fyp != NULL) {
        fy_parser_destroy(fyp);
    }
    if (diag != NULL) {
        fy_diag_destroy(diag);
    }
}

int vouch__yaml_load(struct fy_document **out, const char *data, size_t len,
                     bool json, const char *source, vouch_error *err)
{
    struct fy_diag *diag = NULL;
    struct fy_parser *fyp = NULL;
    struct fy_document *fyd = NULL;
    struct fy_document *next = NULL;
    int line = 0;
    int rc = 0;

    *out = NULL;
    rc = parser_open(&diag, &fyp, data, len, json, source, err);
    if (rc < 0) {
        goto cleanup;
    }
    fyd = fy_parse_load_document(fyp);
    if (fyd == NULL) {
        rc = first_diag_error(diag, source, "the document is empty", err);
        goto cleanup;
    }
    next = fy_parse_load_document(fyp);
    if (next != NULL) {
        int column = 0;
        struct fy_node *root = fy_document_root(next);
        struct fy_token *tok = NULL;

        line = 0;

        if (root != NULL && fy_node_is_scalar(root)) {
            tok = fy_node_get_scalar_token(root);
        }
        if (tok != NULL) {
            line = fy_token_start_mark(tok)->line + 1;
            column = fy_token_start_mark(tok)->column + 1;
        }
        rc = vouch__error_set(err, VOUCH_EPARSE, source, line, column,
                              "expected exactly one document, found more");
        goto cleanup;
    }
    if (fy_parser_get_stream_error(fyp)) {
        rc = first_diag_error(diag, source, "malformed document", err);
        goto cleanup;
    }
    if (fy_document_root(fyd) == NULL) {
        rc = vouch__error_set(err, VOUCH_EPARSE, source, 0, 0,
                              "the document is empty");
        goto cleanup;
    }
    *out = fyd;
    fyd = NULL;

cleanup:
    if (next != NULL) {
        fy_parse_document_destroy(fyp, next);
    }
    if (fyd != NULL) {
        fy_parse_document_destroy(fyp, fyd);
    }
    parser_close(diag, fyp);
    return rc;
}

void vouch__yaml_stream_free(struct fy_document **docs, size_t count)
{
    for (size_t i = 0; docs != NULL && i < count; i++) {
        fy_document_destroy(docs[i]);
    }
    free(docs);
}

int vouch__yaml_load_stream(struct fy_document ***out, size_t *count,
                            const char *data, size_t len, bool json,
                            size_t max_docs, const char *source,
                            vouch_error *err)
{
    struct fy_diag *diag = NULL;
    struct fy_parser *fyp = NULL;
    struct fy_document *fyd = NULL;
    struct fy_document **docs = NULL;
    size_t n = 0;
    int rc = 0;

    *out = NULL;
    *count = 0;
    rc = parser_open(&diag, &fyp, data, len, json, source, err);
    if (rc < 0) {
        goto cleanup;
    }
    docs = calloc(max_docs + 1, sizeof(*docs));
    if (docs == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, source, 0, 0,
                              "out of memory");
        goto cleanup;
    }
    while ((fyd = fy_parse_load_document(fyp)) != NULL) {
        if (fy_document_root(fyd) == NULL) {
            /* An empty document ("---" at the end, "--- ---") says
             * nothing; kubectl skips it too. */
            fy_parse_document_destroy(fyp, fyd);
            fyd = NULL;
            continue;
        }
        if (n == max_docs) {
            rc = vouch__error_set(err, VOUCH_ETOOBIG, source, 0, 0,
                                  "more than %zu documents", max_docs);
            goto cleanup;
        }
        docs[n++] = fyd;
        fyd = NULL;
    }
    if (fy_parser_get_stream_error(fyp)) {
        rc = first_diag_error(diag, source, "malformed document", err);
        goto cleanup;
    }
    *out = docs;
    *count = n;
    docs = NULL;

cleanup:
    if (fyd != NULL) {
        fy_parse_document_destroy(fyp, fyd);
    }
    vouch__yaml_stream_free(docs, n);
    parser_close(diag, fyp);
    return rc;
}

/* ---- printing ------------------------------------------------------- */

/* PyYAML's YAML 1.1 implicit resolvers: a plain scalar that matches one of
 * these would not read back as a string, so it is single-quoted. */
static const char *const implicit_patterns[] = {
    "^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON"
    "|off|Off|OFF)$",
    "^([-+]?([0-9][0-9_]*)\\.[0-9_]*([eE][-+][0-9]+)?"
    "|\\.[0-9][0-9_]*([eE][-+][0-9]+)?"
    "|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
    "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
    "^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)"
    "|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$",
    "^(<<|=|~|null|Null|NULL)$",
    /* YAML 1.2 core-schema numbers, which vouch's reader (doc.c) refuses
     * as strings although PyYAML would write some plain ("-.1", "089",
     * "0o17"; found by fuzz_policy_json). */
    "^(0o[0-7]+|0x[0-9a-fA-F]+"
    "|[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"
    "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
    "^([0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
    "([Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](\\.[0-9]*)?"
    "([ \t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?))?"
    "|[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9])$",
};

#define IMPLICIT_COUNT \
    (sizeof(implicit_patterns) / sizeof(implicit_patterns[0]))

typedef struct printer {
    struct fy_document *fyd;
    regex_t re[IMPLICIT_COUNT];
    size_t re_count;
} printer;

enum quoting { QUOTE_NONE, QUOTE_SINGLE, QUOTE_DOUBLE };

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The length of the UTF-8 sequence at `s` (of `n` bytes) that YAML does
 * not allow raw and libfyaml 0.7.12's emitter would drop or turn into a
 * line break from a double-quoted scalar: DEL, the C1 controls U+0080 to
 * U+009F, LS U+2028, PS U+2029 and BOM U+FEFF. 0 for anything else.
 */
static size_t unsafe_len(const unsigned char *s, size_t n,
                         unsigned *code)
{
    if (s[0] == 0x7f) {
        *code = 0x7f;
        return 1;
    }
    if (n >= 2 && s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
        *code = s[1];
        return 2;
    }
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
        (s[2] == 0xa8 || s[2] == 0xa9)) {
        *code = 0x2000u + (s[2] - 0x80u);
        return 3;
    }
    if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
        *code = 0xfeff;
        return 3;
    }
    return 0;
}

/* PyYAML's analyze_scalar + choose_scalar_style, for block context. */
static enum quoting choose_quoting(const printer *p, const char *s, size_t n)
{
    size_t i;
    bool plain = true;

    if (n == 0) {
        return QUOTE_SINGLE;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        unsigned code;

        if (c == '\n' || c == '\r' || c < 0x20 ||
            unsafe_len((const unsigned char *)s + i, n - i, &code) > 0) {
            return QUOTE_DOUBLE;
        }
    }
    if (n >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0)) {
        plain = false;
    }
    if (s[0] == ' ' || s[n - 1] == ' ') {
        plain = false;
    }
    for (i = 0; i < n && plain; i++) {
        char c = s[i];
        bool followed_ws = i + 1 >= n || is_ws(s[i + 1]);

        if (i == 0) {
            if (strchr("#,[]{}&*!|>'\"%@`", c) != NULL) {
                plain = false;
            } else if ((c == '?' || c == ':' || c == '-') && followed_ws) {
                plain = false;
            }
        } else {
            if (c == ':' && followed_ws) {
                plain = false;
            } else if (c == '#' && s[i - 1] == ' ') {
                plain = false;
            }
        }
    }
    if (plain) {
        for (i = 0; i < p->re_count; i++) {
            if (regexec(&p->re[i], s, 0, NULL, 0) == 0) {
                plain = false;
                break;
            }
        }
    }
    return plain ? QUOTE_NONE : QUOTE_SINGLE;
}

/*
 * Two quotes in a row, single-quoted, would be written 'a''''b', which
 * libfyaml 0.7.12 emits and reads wrongly (see single_quoted_misread() in
 * doc.c); such a string is double-quoted instead. (Plain, a''b is fine.)
 */
static bool has_quote_pair(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i + 1 < n; i++) {
        if (s[i] == '\'' && s[i + 1] == '\'') {
            return true;
        }
    }
    return false;
}

/*
 * jansson writes those characters raw in a string literal; write them as
 * \uXXXX, which YAML reads back and libfyaml re-escapes faithfully.
 * Takes ownership of `json`; returns a malloc'd string or NULL.
 */
static char *escape_unsafe(char *json)
{
    const unsigned char *u = (const unsigned char *)json;
    size_t n = strlen(json);
    size_t count = 0;
    size_t i;
    size_t j = 0;
    unsigned code;
    char *out;

    for (i = 0; i < n; i++) {
        count += unsafe_len(u + i, n - i, &code) > 0;
    }
    if (count == 0) {
        return json;
    }
    out = malloc(n + 6 * count + 1);
    if (out != NULL) {
        for (i = 0; i < n; i++) {
            size_t k = unsafe_len(u + i, n - i, &code);

            if (k > 0) {
                snprintf(out + j, 7, "\\u%04x", code);
                j += 6;
                i += k - 1;
            } else {
                out[j++] = json[i];
            }
        }
        out[j] = '\0';
    }
    free(json);
    return out;
}

static struct fy_node *make_string(printer *p, const char *s, size_t n)
{
    enum quoting q;
    char *buf = NULL;
    size_t i;
    size_t j = 0;

    if (memchr(s, '\0', n) != NULL) {
        q = QUOTE_DOUBLE;
    } else {
        q = choose_quoting(p, s, n);
        if (q == QUOTE_SINGLE && has_quote_pair(s, n)) {
            q = QUOTE_DOUBLE;
        }
    }
    if (q == QUOTE_NONE) {
        return fy_node_create_scalar_copy(p->fyd, s, n);
    }
    if (q == QUOTE_SINGLE) {
        size_t cap;

        if (n > (SIZE_MAX - 3) / 2) {
            return NULL;
        }
        cap = 2 * n + 3;
        buf = malloc(cap);
        if (buf == NULL) {
            return NULL;
        }
        buf[j++] = '\'';
        for (i = 0; i < n; i++) {
            if (s[i] == '\'') {
                buf[j++] = '\'';
            }
            buf[j++] = s[i];
        }
        buf[j++] = '\'';
        /* The document keeps (and later frees) the source text. */
        return fy_node_build_from_malloc_string(p->fyd, buf, j);
    } else {
        /* A JSON string literal is a valid YAML double-quoted scalar. */
        json_t *str = json_stringn(s, n);

        if (str == NULL) {
            return NULL;
        }
        buf = json_dumps(str, JSON_ENCODE_ANY);
        json_decref(str);
        if (buf == NULL) {
            return NULL;
        }
        buf = escape_unsafe(buf);
        if (buf == NULL) {
            return NULL;
        }
        return fy_node_build_from_malloc_string(p->fyd, buf, strlen(buf));
    }
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct fy_node *build(printer *p, const json_t *v, int depth)
{
    struct fy_node *node = NULL;

    if (depth > 64) {
        return NULL;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t count = json_object_size(v);
        const char **keys = NULL;
        const char *key;
        json_t *val;
        size_t i = 0;

        node = fy_node_create_mapping(p->fyd);
        if (node == NULL || count == 0) {
            return node;
        }
        keys = calloc(count, sizeof(*keys));
        if (keys == NULL) {
            fy_node_free(node);
            return NULL;
        }
        json_object_foreach((json_t *)v, key, val) {
            if (i < count) {
                keys[i++] = key;
            }
        }
        qsort(keys, i, sizeof(*keys), cmp_keys);
        count = i;
        for (i = 0; i < count; i++) {
            struct fy_node *k = make_string(p, keys[i], strlen(keys[i]));
            struct fy_node *child =
                build(p, json_object_get(v, keys[i]), depth + 1);

            if (k == NULL || child == NULL ||
                fy_node_mapping_append(node, k, child) != 0) {
                fy_node_free(k);
                fy_node_free(child);
                fy_node_free(node);
                node = NULL;
                break;
            }
        }
        free(keys);
        return node;
    }
    case JSON_ARRAY: {
        size_t i;

        node = fy_node_create_sequence(p->fyd);
        if (node == NULL) {
            return NULL;
        }
        for (i = 0; i < json_array_size(v); i++) {
            struct fy_node *child =
                build(p, json_array_get(v, i), depth + 1);

            if (child == NULL || fy_node_sequence_append(node, child) != 0) {
                fy_node_free(child);
                fy_node_free(node);
                return NULL;
            }
        }
        return node;
    }
    case JSON_STRING:
        return make_string(p, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return fy_node_create_scalarf(p->fyd, "%" JSON_INTEGER_FORMAT,
                                      json_integer_value(v));
    case JSON_REAL:
        return fy_node_create_scalarf(p->fyd, "%.17g", json_real_value(v));
    case JSON_TRUE:
        return fy_node_create_scalar(p->fyd, "true", 4);
    case JSON_FALSE:
        return fy_node_create_scalar(p->fyd, "false", 5);
    case JSON_NULL:
        return fy_node_create_scalar(p->fyd, "null", 4);
    }
    return NULL;
}

int vouch__yaml_from_json(const json_t *root, char **out, size_t *out_len,
                          vouch_error *err)
{
    printer p;
    struct fy_node *node = NULL;
    char *text = NULL;
    size_t n;
    size_t i;
    int rc = 0;

    *out = NULL;
    if (out_len != NULL) {
        *out_len = 0;
    }
    memset(&p, 0, sizeof(p));
    for (i = 0; i < IMPLICIT_COUNT; i++) {
        if (regcomp(&p.re[i], implicit_patterns[i],
                    REG_EXTENDED | REG_NOSUB) != 0) {
            rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                  "cannot prepare the YAML printer");
            goto cleanup;
        }
        p.re_count++;
    }
    p.fyd = fy_document_create(NULL);
    if (p.fyd == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory printing YAML");
        goto cleanup;
    }
    node = build(&p, root, 0);
    if (node == NULL || fy_document_set_root(p.fyd, node) != 0) {
        fy_node_free(node);
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory printing YAML");
        goto cleanup;
    }
    text = fy_emit_document_to_string(
        p.fyd, FYECF_MODE_BLOCK | FYECF_INDENT_2 | FYECF_WIDTH_INF |
                   FYECF_DOC_START_MARK_OFF | FYECF_DOC_END_MARK_OFF |
                   FYECF_VERSION_DIR_OFF | FYECF_TAG_DIR_OFF);
    if (text == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                              "out of memory printing YAML");
        goto cleanup;
    }
    n = strlen(text);
    if (n == 0 || text[n - 1] != '\n') {
        char *grown = realloc(text, n + 2);

        if (grown == NULL) {
            rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                  "out of memory printing YAML");
            goto cleanup;
        }
        text = grown;
        text[n++] = '\n';
        text[n] = '\0';
    }
    *out = text;
    text = NULL;
    if (out_len != NULL) {
        *out_len = n;
    }

cleanup:
    free(text);
    if (p.fyd != NULL) {
        fy_document_destroy(p.fyd);
    }
    for (i = 0; i < p.re_count; i++) {
        regfree(&p.re[i]);
    }
    return rc;
}
