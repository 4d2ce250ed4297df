/*
 * The two parsers under vutil_doc_load() (vutil_doc.h): the strict JSON
 * check through jansson, and one YAML (or JSON) document into libfyaml's
 * position-keeping tree, with the checks libfyaml needs before it sees
 * untrusted text.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vutil_doc.h"
#include "vutil_error.h"

int vutil_json_check(const char *data, size_t len, const char *source,
                     vouch_error *err)
{
    json_error_t jerr;
    json_t *root;

    memset(&jerr, 0, sizeof(jerr));
    root = json_loadb(data != NULL ? data : "", len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (root == NULL) {
        return vutil_error_set(err, VOUCH_EPARSE, source, jerr.line,
                               jerr.column, "%s", jerr.text);
    }
    json_decref(root);
    return 0;
}

/* ---- loading -------------------------------------------------------- */

static int first_diag_error(struct fy_diag *diag, const char *source,
                            const char *fallback, vouch_error *err)
{
    void *iter = NULL;
    struct fy_diag_error *de;

    if (diag != NULL) {
        de = fy_diag_errors_iterate(diag, &iter);
        if (de != NULL) {
            return vutil_error_set(err, VOUCH_EPARSE, source, de->line,
                                   de->column, "%s",
                                   de->msg != NULL ? de->msg : fallback);
        }
    }
    return vutil_error_set(err, VOUCH_EPARSE, source, 0, 0, "%s", fallback);
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
            return vutil_error_set(err, VOUCH_EPARSE, source, line, 1,
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
                return vutil_error_set(err, VOUCH_EPARSE, source, line,
                                       (int)(k - line_start + 1),
                                       "explicit YAML keys ('? ') are not "
                                       "accepted");
            }
        }
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
            c == 0x7f) {
            return vutil_error_set(err, VOUCH_EPARSE, source, line,
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
        if (rc == 0) {
            rc = vutil_yaml_check(data, len, source, err);
        }
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
        return vutil_error_set(err, VOUCH_ENOMEM, source, 0, 0,
                               "out of memory");
    }
    fy_diag_set_collect_errors(*diag_out, true);
    memset(&cfg, 0, sizeof(cfg));
    cfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG |
                (json ? FYPCF_JSON_FORCE : FYPCF_JSON_NONE);
    cfg.diag = *diag_out;
    *fyp_out = fy_parser_create(&cfg);
    if (*fyp_out == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, source, 0, 0,
                               "out of memory");
    }
    if (fy_parser_set_string(*fyp_out, len > 0 ? data : "", len) != 0) {
        return vutil_error_set(err, VOUCH_ENOMEM, source, 0, 0,
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

int vutil_yaml_load(struct fy_document **out, const char *data, size_t len,
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
        rc = vutil_error_set(err, VOUCH_EPARSE, source, line, column,
                             "expected exactly one document, found more");
        goto cleanup;
    }
    if (fy_parser_get_stream_error(fyp)) {
        rc = first_diag_error(diag, source, "malformed document", err);
        goto cleanup;
    }
    if (fy_document_root(fyd) == NULL) {
        rc = vutil_error_set(err, VOUCH_EPARSE, source, 0, 0,
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

void vutil_yaml_stream_free(struct fy_document **docs, size_t count)
{
    for (size_t i = 0; docs != NULL && i < count; i++) {
        fy_document_destroy(docs[i]);
    }
    free(docs);
}

int vutil_yaml_load_stream(struct fy_document ***out, size_t *count,
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
        rc = vutil_error_set(err, VOUCH_ENOMEM, source, 0, 0,
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
            rc = vutil_error_set(err, VOUCH_ETOOBIG, source, 0, 0,
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
    vutil_yaml_stream_free(docs, n);
    parser_close(diag, fyp);
    return rc;
}
