/*
 * Tests for src/engine/doc.c, codec_json.c and codec_yaml.c (doc.h,
 * codec.h): the position-keeping document reader behind every resource.
 *
 * Sections:
 *   load        vouch__doc_load: formats, AUTO detection, limits, syntax
 *               errors with positions, refused YAML features, libfyaml
 *               workarounds (directives, single-quoted escapes)
 *   paths       vouch__path_push_key/push_index/pop, vouch__doc_fail
 *   shape       vouch__doc_expect_mapping/expect_sequence, vouch__doc_get
 *   scalars     vouch__doc_string/string_dup/bool/uint in JSON and YAML
 *   json tree   vouch__doc_load_json and every accessor over jansson's
 *               tree; vouch__doc_parse (jansson first, libfyaml to place
 *               an error) and vouch__doc_parse_value; both trees read
 *               every JSON fixture of tests/data alike
 *   print       vouch__json_print in both formats
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vouch/jansson.h"

#include "doc.h"
#include "readers.h"
#include "testutil.h"

/* Load `text` (NUL-terminated for the test's convenience only). */
static void load_ok(vouch__doc *doc, const char *text, vouch_format format)
{
    vouch_error err = VOUCH_ERROR_INIT;
    int rc = vouch__doc_load(doc, text, strlen(text), format, 1u << 20,
                             "t.doc", &err);

    if (rc != 0) {
        fail_msg("load failed for %s: %u:%u %s", text, err.line, err.column,
                 err.message);
    }
}

static void load_fails(const char *text, vouch_format format, int code,
                       unsigned line, unsigned column, const char *needle)
{
    vouch__doc doc;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc = vouch__doc_load(&doc, text, strlen(text), format, 1u << 20,
                             "t.doc", &err);

    if (rc != code || err.line != line || err.column != column ||
        strstr(err.message, needle) == NULL) {
        fail_msg("for %.60s\n got %s %u:%u '%s'\n want %s %u:%u '%s'", text,
                 vouch_code_name(rc), err.line, err.column, err.message,
                 vouch_code_name(code), line, column, needle);
    }
    assert_null(doc.fyd);
    assert_string_equal(err.source, "t.doc");
}

/* The node at "/key" of the root mapping. */
static vouch__node *at(const vouch__doc *doc, const char *key)
{
    return vouch__doc_get(doc, vouch__doc_root(doc), key);
}

static void check_err(const vouch_error *err, int rc, int code,
                      unsigned line, unsigned column, const char *message)
{
    if (rc != code || err->line != line || err->column != column ||
        strcmp(err->message, message) != 0) {
        fail_msg("got %s %u:%u '%s'\nwant %s %u:%u '%s'",
                 vouch_code_name(rc), err->line, err->column, err->message,
                 vouch_code_name(code), line, column, message);
    }
}

/* ---- load ------------------------------------------------------------- */

static void test_doc_load_json_and_yaml(void **state)
{
    vouch__doc doc;

    (void)state;
    load_ok(&doc, "{\"a\": \"b\"}", VOUCH_FORMAT_JSON);
    assert_int_equal(doc.format, VOUCH_FORMAT_JSON);
    assert_string_equal(doc.source, "t.doc");
    assert_true(vouch__doc_is_mapping(&doc, vouch__doc_root(&doc)));
    vouch__doc_close(&doc);
    assert_null(doc.fyd);
    vouch__doc_close(&doc); /* twice is harmless */

    load_ok(&doc, "a: b\n", VOUCH_FORMAT_YAML);
    assert_int_equal(doc.format, VOUCH_FORMAT_YAML);
    assert_non_null(at(&doc, "a"));
    vouch__doc_close(&doc);
}

static void test_doc_load_auto_detects_format(void **state)
{
    vouch__doc doc;

    (void)state;
    load_ok(&doc, " \n\t{\"a\": 1}", VOUCH_FORMAT_AUTO);
    assert_int_equal(doc.format, VOUCH_FORMAT_JSON);
    vouch__doc_close(&doc);
    load_ok(&doc, "[1]", VOUCH_FORMAT_AUTO);
    assert_int_equal(doc.format, VOUCH_FORMAT_JSON);
    vouch__doc_close(&doc);
    load_ok(&doc, "# c\na: 1\n", VOUCH_FORMAT_AUTO);
    assert_int_equal(doc.format, VOUCH_FORMAT_YAML);
    vouch__doc_close(&doc);
    /* Detected as JSON, so checked strictly: a trailing comma fails. */
    load_fails("{\"a\": 1,}", VOUCH_FORMAT_AUTO, VOUCH_EPARSE, 1, 9,
               "string or '}' expected");
}

static void test_doc_load_enforces_limit_first(void **state)
{
    vouch__doc doc;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* Over the limit fails before the (malformed) bytes are looked at. */
    assert_int_equal(vouch__doc_load(&doc, "{{{{{", 5, VOUCH_FORMAT_JSON, 4,
                                     "t.doc", &err),
                     VOUCH_ETOOBIG);
    assert_string_equal(err.message,
                        "document is 5 bytes, over the limit of 4");
    assert_null(doc.fyd);
    /* Exactly at the limit is accepted. */
    assert_int_equal(vouch__doc_load(&doc, "a: 1", 4, VOUCH_FORMAT_YAML, 4,
                                     "t.doc", &err),
                     0);
    vouch__doc_close(&doc);
}

static void test_doc_load_rejects_bad_arguments(void **state)
{
    vouch__doc doc;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch__doc_load(&doc, NULL, 3, VOUCH_FORMAT_YAML, 10,
                                     NULL, &err),
                     VOUCH_EINVAL);
    assert_string_equal(err.message, "no document given");
    assert_int_equal(vouch__doc_load(&doc, "a", 1, (vouch_format)42, 10,
                                     NULL, &err),
                     VOUCH_EINVAL);
    assert_string_equal(err.message, "unknown document format 42");
    /* An empty document is a parse error in both formats. */
    assert_int_equal(vouch__doc_load(&doc, NULL, 0, VOUCH_FORMAT_YAML, 10,
                                     NULL, &err),
                     VOUCH_EPARSE);
    assert_int_equal(vouch__doc_load(&doc, "", 0, VOUCH_FORMAT_JSON, 10,
                                     NULL, &err),
                     VOUCH_EPARSE);
    load_fails("# only a comment\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 0, 0,
               "empty");
}

static void test_doc_load_reads_only_len_bytes(void **state)
{
    static const char text[] = "a: 1\nb: [";
    vouch__doc doc;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* The bytes after len (a broken flow sequence) are never read. */
    assert_int_equal(vouch__doc_load(&doc, text, 5, VOUCH_FORMAT_YAML, 100,
                                     NULL, &err),
                     0);
    assert_null(at(&doc, "b"));
    vouch__doc_close(&doc);
    assert_int_equal(vouch__doc_load(&doc, "{}xx", 2, VOUCH_FORMAT_JSON, 100,
                                     NULL, &err),
                     0);
    vouch__doc_close(&doc);
}

static void test_doc_load_reports_syntax_positions(void **state)
{
    (void)state;
    /* JSON syntax goes through jansson: strict RFC 8259. */
    load_fails("{\n  \"a\": tru\n}", VOUCH_FORMAT_JSON, VOUCH_EPARSE, 2, 10,
               "invalid token");
    load_fails("{\"a\": 1, \"a\": 2}", VOUCH_FORMAT_JSON, VOUCH_EPARSE, 1,
               12, "duplicate object key");
    load_fails("{'a': 1}", VOUCH_FORMAT_JSON, VOUCH_EPARSE, 1, 2,
               "string or '}' expected");
    /* YAML syntax through libfyaml. */
    load_fails("a: [1, 2\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 2, 1,
               "flow sequence");
    load_fails("a: 1\na: 2\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 2, 1,
               "duplicate key");
    load_fails("a: 1\n---\nb: 2\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 0, 0,
               "expected exactly one document");
    load_fails("a: 1\n--- x\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 2, 5,
               "expected exactly one document");
}

static void test_doc_load_refuses_yaml_features(void **state)
{
    (void)state;
    load_fails("a: &x 1\nb: 2\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 1, 7,
               "YAML anchors are not accepted");
    load_fails("a: !!str 1\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 1, 10,
               "YAML tags are not accepted");
    load_fails("a:\n  <<: {b: 1}\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 2, 3,
               "YAML merge keys are not accepted");
    /* "<<" quoted is an ordinary key. */
    {
        vouch__doc doc;

        load_ok(&doc, "'<<': 1\n", VOUCH_FORMAT_YAML);
        assert_non_null(at(&doc, "<<"));
        vouch__doc_close(&doc);
    }
}

/* libfyaml 0.7.12 loops forever on some malformed directives. */
static void test_doc_load_refuses_directives(void **state)
{
    (void)state;
    load_fails("%YAML 1.2\n---\na: 1\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 1,
               1, "YAML directives are not accepted");
    load_fails("a: 1\n%\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 2, 1,
               "YAML directives are not accepted");
    /* Found by fuzz_policy_yaml: a bare "\r" is a line break too (this
     * input hung libfyaml). */
    load_fails("\r\r\r\r\r\r\r\r\r\r\r%b\xff\xff" "0\xe6\x80\xa6\"'\n",
               VOUCH_FORMAT_YAML, VOUCH_EPARSE, 12, 1,
               "YAML directives are not accepted");
    load_fails("a: 1\r\n%x\r\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 2, 1,
               "YAML directives are not accepted");
    load_fails("\xef\xbb\xbf%YAML 1.2\n---\na: 1\n", VOUCH_FORMAT_YAML,
               VOUCH_EPARSE, 1, 1, "YAML directives are not accepted");
    load_fails("a: 1\n...\n\xef\xbb\xbf%TAG ! x\n", VOUCH_FORMAT_YAML,
               VOUCH_EPARSE, 3, 1, "YAML directives are not accepted");
    /* YAML 1.1 line breaks: NEL, LS, PS. */
    load_fails("a: 1\xc2\x85%x\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 1, 1,
               "YAML directives are not accepted");
    load_fails("a: 1\xe2\x80\xa8%x\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 1,
               1, "YAML directives are not accepted");
    load_fails("a: 1\xe2\x80\xa9%x\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 1,
               1, "YAML directives are not accepted");
    /* A '%' inside a line is plain text. */
    {
        vouch__doc doc;

        load_ok(&doc, "a: 50%\n", VOUCH_FORMAT_YAML);
        vouch__doc_close(&doc);
    }
}

/*
 * YAML 1.2 §5.1 allows no C0 control but tab, LF and CR, and no DEL, in a
 * stream. Found by fuzz_policy_yaml: libfyaml 0.7.12 crashed in
 * fy_parser_destroy() after failing on "? e:\t\0 v:".
 */
static void test_doc_load_refuses_control_characters(void **state)
{
    static const char crash[] = "? e:\t\0 v:";
    vouch__doc doc;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch__doc_load(&doc, crash, sizeof(crash) - 1,
                                     VOUCH_FORMAT_YAML, 100, "t.doc", &err),
                     VOUCH_EPARSE);
    check_err(&err, VOUCH_EPARSE, VOUCH_EPARSE, 1, 1,
              "explicit YAML keys ('? ') are not accepted");
    assert_null(doc.fyd);
    assert_int_equal(vouch__doc_load(&doc, crash + 2, sizeof(crash) - 3,
                                     VOUCH_FORMAT_YAML, 100, "t.doc", &err),
                     VOUCH_EPARSE);
    check_err(&err, VOUCH_EPARSE, VOUCH_EPARSE, 1, 4,
              "control character 0x00 is not allowed in YAML");
    load_fails("a: 1\nb: x\x01y\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 2, 5,
               "control character 0x01 is not allowed in YAML");
    load_fails("a: \x7f\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 1, 4,
               "control character 0x7f is not allowed in YAML");
    load_fails("a: 1\r\nb: \x1b\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 2, 4,
               "control character 0x1b");
    /* Tab, CR and LF are fine; escaped controls are fine. */
    load_ok(&doc, "a:\t\"\\x01\\x7f\\0\"\r\nb: 2\r", VOUCH_FORMAT_YAML);
    vouch__doc_close(&doc);
}

/*
 * Found by fuzz_policy_yaml: libfyaml 0.7.12 crashes in fy_parser_destroy()
 * after failing on an explicit key with a compact mapping, a tab and a
 * block indicator. Explicit keys are refused before libfyaml runs.
 */
static void test_doc_load_refuses_explicit_keys(void **state)
{
    vouch__doc doc;

    (void)state;
    load_fails("? e:\t? v:", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 1, 1,
               "explicit YAML keys ('? ') are not accepted");
    load_fails("? e: \t- v", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 1, 1,
               "explicit YAML keys");
    load_fails("k:\n  ? e:\t? v:\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 2, 3,
               "explicit YAML keys");
    load_fails("a: 1\r?\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 2, 1,
               "explicit YAML keys");
    load_fails("? a\n: b\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 1, 1,
               "explicit YAML keys");
    /* '?' as text is fine. */
    load_ok(&doc, "a: ?x\nb: '? y'\nc: x ? y\n", VOUCH_FORMAT_YAML);
    vouch__doc_close(&doc);
}

/*
 * Found by fuzz_occurrence in a clean-clone CI run: libfyaml 0.7.12 crashes
 * in fy_parser_destroy() after failing on an explicit key after ": - "
 * (with recycling off: a double free in fy_fetch_value()). No scan of the
 * text foresees every such shape, so libyaml reads the text first and
 * only a well-formed stream reaches libfyaml; its error is libyaml's.
 */
static void test_doc_load_checks_yaml_with_libyaml_first(void **state)
{
    vouch__doc doc;

    (void)state;
    load_fails(":     - ? ?`?  : \t  ?\"1 10", VOUCH_FORMAT_YAML,
               VOUCH_EPARSE, 1, 1,
               "did not find expected key while parsing a block mapping");
    load_fails(":     - ? ?`?  : \t  ?\"1 \xff" "10", VOUCH_FORMAT_YAML,
               VOUCH_EPARSE, 1, 25,
               "invalid leading UTF-8 octet (byte 0xff)");
    /* Its position counts a lone "\r" as a line break, as libfyaml's do. */
    load_fails("a: 1\rb: \xff", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 2, 4,
               "invalid leading UTF-8 octet (byte 0xff)");
    load_fails("k: - ? a:\t- b", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 1, 4,
               "block sequence entries are not allowed in this context");
    /* Well-formed YAML is read as before. */
    load_ok(&doc, "a:\n  - b: 'c'\n    d: \"e\"\n", VOUCH_FORMAT_YAML);
    vouch__doc_close(&doc);
}

static void test_doc_load_limits_depth(void **state)
{
    char text[4096];
    size_t n = 0;
    size_t i;

    (void)state;
    /* Flow collections: libfyaml's own limit of 64 stops the parse. */
    for (i = 0; i < 70; i++) {
        text[n++] = '[';
    }
    for (i = 0; i < 70; i++) {
        text[n++] = ']';
    }
    text[n] = '\0';
    load_fails(text, VOUCH_FORMAT_YAML, VOUCH_EPARSE, 1, 64,
               "Max depth (64) exceeded");
    load_fails(text, VOUCH_FORMAT_JSON, VOUCH_EPARSE, 1, 64,
               "Max depth (64) exceeded");
    /* Block collections too (vouch's own check of 64 levels in
     * check_tree() is a second line that libfyaml 0.7 never lets through). */
    n = 0;
    for (i = 0; i < 70; i++) {
        size_t j;

        for (j = 0; j < i; j++) {
            text[n++] = ' ';
        }
        memcpy(text + n, "k:\n", 3);
        n += 3;
    }
    text[n] = '\0';
    load_fails(text, VOUCH_FORMAT_YAML, VOUCH_EPARSE, 64, 64,
               "Max depth (64) exceeded");
}

/*
 * Regression (fuzz_policy_yaml): libfyaml 0.7.12 reads two escaped quotes
 * in a row, or an escaped quote in a multi-line single-quoted scalar,
 * wrongly, and leaked 4096 bytes doing so. Such scalars are refused before
 * their text is read; ASan/LSan in the test build checks nothing leaks.
 */
static void test_doc_load_refuses_misread_single_quotes(void **state)
{
    static const char *const refused[] = {
        "a: 'x'''''\n",
        "a: ''''''\n",
        "updateTime: '2024-01-01T00:00:00" "''''''''''" "''''''''''"
        "''''''''''" "''''''''''" ".000Z'\n",
        "a: 'one ''\n  two'\n",
        "'k''''': 1\n",
        "- 'a\r\n  b'''\n",
    };
    static const char *const accepted[][2] = {
        { "a: 'it''s'\n", "it's" },
        { "a: '''x'''\n", "'x'" },
        { "a: 'a''b''c''d''e''f''g''h''i'\n", "a'b'c'd'e'f'g'h'i" },
        { "a: 'one\n  two'\n", "one two" },
        { "a: ''''\n", "'" },
        { "a: \"x''\"\n", "x''" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        /* Placed at the first character inside the quote. */
        static const unsigned column[] = { 5, 5, 14, 5, 2, 4 };

        load_fails(refused[i], VOUCH_FORMAT_YAML, VOUCH_EPARSE, 1,
                   column[i], "use a double-quoted string");
    }
    for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
        vouch__doc doc;
        vouch__path path = VOUCH__PATH_INIT;
        char *s = NULL;

        load_ok(&doc, accepted[i][0], VOUCH_FORMAT_YAML);
        assert_int_equal(vouch__doc_string_dup(&doc, at(&doc, "a"), &path,
                                               &s, NULL),
                         0);
        assert_string_equal(s, accepted[i][1]);
        free(s);
        vouch__doc_close(&doc);
    }
}

/* ---- paths ------------------------------------------------------------ */

static void test_doc_path_push_and_pop(void **state)
{
    vouch__path path = VOUCH__PATH_INIT;
    size_t a;
    size_t b;
    size_t i;

    (void)state;
    a = vouch__path_push_key(&path, "userOwnedGrafeasNote");
    assert_int_equal(a, 0);
    b = vouch__path_push_key(&path, "publicKeys");
    vouch__path_push_index(&path, 12);
    vouch__path_push_key(&path, "id");
    assert_string_equal(path.text, "userOwnedGrafeasNote.publicKeys[12].id");
    assert_int_equal(path.len, strlen(path.text));
    vouch__path_pop(&path, b);
    assert_string_equal(path.text, "userOwnedGrafeasNote");
    vouch__path_pop(&path, a);
    assert_string_equal(path.text, "");
    /* Popping to a length past the end leaves the path alone. */
    vouch__path_push_key(&path, "x");
    vouch__path_pop(&path, 100);
    assert_string_equal(path.text, "x");
    /* A path that would overflow is cut, never overrun. */
    for (i = 0; i < 100; i++) {
        vouch__path_push_key(&path, "abcdefgh");
    }
    assert_int_equal(path.len, sizeof(path.text) - 1);
    assert_int_equal(strlen(path.text), sizeof(path.text) - 1);
}

static void test_doc_fail_formats_path_and_position(void **state)
{
    vouch__doc doc;
    vouch__path path = VOUCH__PATH_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    (void)state;
    load_ok(&doc, "a:\n  b: \"xyz\"\n  e: {}\n  s: []\n", VOUCH_FORMAT_YAML);
    vouch__path_push_key(&path, "a");
    vouch__path_push_key(&path, "b");
    rc = vouch__doc_fail(&doc, vouch__doc_get(&doc, at(&doc, "a"), "b"), &path,
                         &err, VOUCH_EINVAL, "bad %d", 7);
    /* A quoted scalar is placed at its first character inside the quote. */
    check_err(&err, rc, VOUCH_EINVAL, 2, 7, "a.b: bad 7");
    assert_string_equal(err.source, "t.doc");
    /* A mapping is placed at its first key. */
    rc = vouch__doc_fail(&doc, at(&doc, "a"), NULL, &err, VOUCH_EINVAL,
                         "m");
    check_err(&err, rc, VOUCH_EINVAL, 2, 3, "m");
    /* An empty collection is placed at the key that holds it. */
    rc = vouch__doc_fail(&doc, vouch__doc_get(&doc, at(&doc, "a"), "e"), NULL,
                         &err, VOUCH_EINVAL, "e");
    check_err(&err, rc, VOUCH_EINVAL, 3, 3, "e");
    rc = vouch__doc_fail(&doc, vouch__doc_get(&doc, at(&doc, "a"), "s"), NULL,
                         &err, VOUCH_EINVAL, "s");
    check_err(&err, rc, VOUCH_EINVAL, 4, 3, "s");
    /* No node: no position. */
    rc = vouch__doc_fail(&doc, NULL, &path, &err, VOUCH_ENOTFOUND, "gone");
    check_err(&err, rc, VOUCH_ENOTFOUND, 0, 0, "a.b: gone");
    /* err may be NULL. */
    assert_int_equal(vouch__doc_fail(&doc, NULL, NULL, NULL, VOUCH_EINVAL,
                                     "x"),
                     VOUCH_EINVAL);
    vouch__doc_close(&doc);
}

/* ---- shape ------------------------------------------------------------ */

static const char *const allowed[] = { "name", "list", "n", NULL };

static void test_doc_expect_mapping(void **state)
{
    vouch__doc doc;
    vouch__path path = VOUCH__PATH_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    (void)state;
    vouch__path_push_key(&path, "top");
    load_ok(&doc, "top:\n  name: x\n  list: [1]\n  extra: 2\n",
            VOUCH_FORMAT_YAML);
    rc = vouch__doc_expect_mapping(&doc, at(&doc, "top"), &path, allowed,
                                   &err);
    check_err(&err, rc, VOUCH_EINVAL, 4, 3, "top.extra: unknown field");
    /* allowed == NULL accepts any string keys. */
    assert_int_equal(vouch__doc_expect_mapping(&doc, at(&doc, "top"), &path,
                                               NULL, &err),
                     0);
    /* A list is not a mapping. */
    rc = vouch__doc_expect_mapping(
        &doc, vouch__doc_get(&doc, at(&doc, "top"), "list"), &path, allowed,
        &err);
    check_err(&err, rc, VOUCH_EINVAL, 3, 10,
              "top: expected a mapping, found a list");
    vouch__doc_close(&doc);

    /* null (and absent) count as an empty mapping. */
    load_ok(&doc, "top: ~\n", VOUCH_FORMAT_YAML);
    assert_int_equal(vouch__doc_expect_mapping(&doc, at(&doc, "top"), &path,
                                               allowed, &err),
                     0);
    assert_int_equal(vouch__doc_expect_mapping(&doc, NULL, &path, allowed,
                                               &err),
                     0);
    vouch__doc_close(&doc);

    /* Keys must be strings: a null or a collection key is refused. */
    load_ok(&doc, "top: {~: 1}\n", VOUCH_FORMAT_YAML);
    rc = vouch__doc_expect_mapping(&doc, at(&doc, "top"), &path, allowed,
                                   &err);
    check_err(&err, rc, VOUCH_EINVAL, 1, 7,
              "top: mapping keys must be strings");
    vouch__doc_close(&doc);
    load_ok(&doc, "top: {[a]: 1}\n", VOUCH_FORMAT_YAML);
    rc = vouch__doc_expect_mapping(&doc, at(&doc, "top"), &path, allowed,
                                   &err);
    check_err(&err, rc, VOUCH_EINVAL, 1, 8,
              "top: mapping keys must be strings");
    vouch__doc_close(&doc);

    /* JSON: the unknown key's position is its first character. */
    load_ok(&doc, "{\"top\": {\"name\": \"x\",\n \"nope\": 1}}",
            VOUCH_FORMAT_JSON);
    rc = vouch__doc_expect_mapping(&doc, at(&doc, "top"), &path, allowed,
                                   &err);
    check_err(&err, rc, VOUCH_EINVAL, 2, 3, "top.nope: unknown field");
    vouch__doc_close(&doc);

    /* A long or control-character key is shortened and masked. */
    load_ok(&doc,
            "top: {\"\\x01aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": 1}\n",
            VOUCH_FORMAT_YAML);
    rc = vouch__doc_expect_mapping(&doc, at(&doc, "top"), &path, allowed,
                                   &err);
    assert_int_equal(rc, VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "top.?aaaa"));
    assert_non_null(strstr(err.message, "...: unknown field"));
    vouch__doc_close(&doc);
}

static void test_doc_expect_sequence(void **state)
{
    vouch__doc doc;
    vouch__path path = VOUCH__PATH_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    (void)state;
    vouch__path_push_key(&path, "s");
    load_ok(&doc, "s: [a]\nm: {a: 1}\nn: null\nx: 12\nb: true\nq: 'q'\n",
            VOUCH_FORMAT_YAML);
    assert_int_equal(vouch__doc_expect_sequence(&doc, at(&doc, "s"), &path,
                                                &err),
                     0);
    assert_int_equal(vouch__doc_expect_sequence(&doc, at(&doc, "n"), &path,
                                                &err),
                     0);
    rc = vouch__doc_expect_sequence(&doc, at(&doc, "m"), &path, &err);
    check_err(&err, rc, VOUCH_EINVAL, 2, 5, "s: expected a list, found a "
                                            "mapping");
    rc = vouch__doc_expect_sequence(&doc, at(&doc, "x"), &path, &err);
    check_err(&err, rc, VOUCH_EINVAL, 4, 4, "s: expected a list, found a "
                                            "number");
    rc = vouch__doc_expect_sequence(&doc, at(&doc, "b"), &path, &err);
    check_err(&err, rc, VOUCH_EINVAL, 5, 4, "s: expected a list, found a "
                                            "boolean");
    rc = vouch__doc_expect_sequence(&doc, at(&doc, "q"), &path, &err);
    check_err(&err, rc, VOUCH_EINVAL, 6, 5, "s: expected a list, found a "
                                            "string");
    /* vouch__doc_get: absent key and a non-mapping give NULL. */
    assert_null(at(&doc, "absent"));
    assert_null(vouch__doc_get(&doc, at(&doc, "s"), "a"));
    assert_null(vouch__doc_get(&doc, NULL, "a"));
    vouch__doc_close(&doc);
}

/* ---- scalars ---------------------------------------------------------- */

static void test_doc_string_in_yaml(void **state)
{
    static const char *const strings[][2] = {
        { "plain", "text" },
        { "single", "quoted" },
        { "double", "d\nq" },
        { "empty", "" },
        { "quoted_true", "true" },
        { "quoted_num", "12" },
        { "yes", "yes" }, /* YAML 1.1 boolean, a string under 1.2 */
        { "date", "2024-01-01" },
        { "utf8", "caf\xc3\xa9" },
    };
    static const char *const refused[][2] = {
        { "t", "a boolean" },
        { "f", "a boolean" },
        { "i", "a number" },
        { "x", "a number" },
        { "e", "a number" },
        { "n", "null" },
        { "tilde", "null" },
        { "nothing", "null" },
        { "m", "a mapping" },
        { "s", "a list" },
    };
    vouch__doc doc;
    vouch__path path = VOUCH__PATH_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t i;

    (void)state;
    load_ok(&doc,
            "plain: text\nsingle: 'quoted'\ndouble: \"d\\nq\"\nempty: ''\n"
            "quoted_true: 'true'\nquoted_num: \"12\"\nyes: yes\n"
            "date: 2024-01-01\nutf8: caf\xc3\xa9\n"
            "t: true\nf: False\ni: -12\nx: 0x1F\ne: 1.5e3\nn: null\n"
            "tilde: ~\nnothing:\nm: {a: b}\ns: [a]\nnul: \"a\\0b\"\n",
            VOUCH_FORMAT_YAML);
    for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        const char *p = NULL;
        size_t n = 0;
        char *dup = NULL;

        assert_int_equal(vouch__doc_string(&doc, at(&doc, strings[i][0]),
                                           &path, &p, &n, &err),
                         0);
        assert_int_equal(n, strlen(strings[i][1]));
        assert_memory_equal(p, strings[i][1], n);
        assert_int_equal(vouch__doc_string_dup(&doc,
                                               at(&doc, strings[i][0]),
                                               &path, &dup, &err),
                         0);
        assert_string_equal(dup, strings[i][1]);
        free(dup);
    }
    vouch__path_push_key(&path, "f");
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        const char *p = NULL;
        size_t n = 0;
        char *dup = (char *)1;
        char want[64];
        int rc = vouch__doc_string(&doc, at(&doc, refused[i][0]), &path, &p,
                                   &n, &err);

        snprintf(want, sizeof(want), "f: expected a string, found %s",
                 refused[i][1]);
        assert_int_equal(rc, VOUCH_EINVAL);
        assert_string_equal(err.message, want);
        assert_int_equal(vouch__doc_string_dup(&doc, at(&doc, refused[i][0]),
                                               &path, &dup, &err),
                         VOUCH_EINVAL);
        assert_null(dup);
    }
    /* Positions: the scalar itself (plain: its first character). */
    {
        const char *p;
        size_t n;
        int rc = vouch__doc_string(&doc, at(&doc, "i"), &path, &p, &n, &err);

        check_err(&err, rc, VOUCH_EINVAL, 12, 4,
                  "f: expected a string, found a number");
        rc = vouch__doc_string(&doc, at(&doc, "nul"), &path, &p, &n, &err);
        check_err(&err, rc, VOUCH_EINVAL, 20, 7,
                  "f: contains a NUL character");
        rc = vouch__doc_string(&doc, NULL, &path, &p, &n, &err);
        check_err(&err, rc, VOUCH_EINVAL, 0, 0,
                  "f: expected a string, found null");
    }
    vouch__doc_close(&doc);
}

static void test_doc_string_in_json(void **state)
{
    vouch__doc doc;
    vouch__path path = VOUCH__PATH_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    const char *p = NULL;
    size_t n = 0;
    int rc;

    (void)state;
    load_ok(&doc,
            "{\"s\": \"x\\u00e9\\n\", \"t\": true, \"i\": 12, \"n\": null,\n"
            " \"e\": \"\", \"ts\": \"true\"}",
            VOUCH_FORMAT_JSON);
    assert_int_equal(vouch__doc_string(&doc, at(&doc, "s"), &path, &p, &n,
                                       &err),
                     0);
    assert_int_equal(n, 4);
    assert_memory_equal(p, "x\xc3\xa9\n", 4);
    assert_int_equal(vouch__doc_string(&doc, at(&doc, "e"), &path, &p, &n,
                                       &err),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(vouch__doc_string(&doc, at(&doc, "ts"), &path, &p, &n,
                                       &err),
                     0);
    assert_int_equal(n, 4);
    /* In JSON only a quoted string is a string. */
    rc = vouch__doc_string(&doc, at(&doc, "t"), &path, &p, &n, &err);
    check_err(&err, rc, VOUCH_EINVAL, 1, 25,
              "expected a string, found a boolean");
    rc = vouch__doc_string(&doc, at(&doc, "i"), &path, &p, &n, &err);
    check_err(&err, rc, VOUCH_EINVAL, 1, 36,
              "expected a string, found a number");
    rc = vouch__doc_string(&doc, at(&doc, "n"), &path, &p, &n, &err);
    check_err(&err, rc, VOUCH_EINVAL, 1, 45,
              "expected a string, found null");
    vouch__doc_close(&doc);
}

static void test_doc_bool(void **state)
{
    vouch__doc doc;
    vouch__path path = VOUCH__PATH_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    bool b = false;
    int rc;

    (void)state;
    vouch__path_push_key(&path, "b");
    load_ok(&doc, "t: true\nf: FALSE\nq: 'true'\ny: yes\nn: 1\nz: ~\n",
            VOUCH_FORMAT_YAML);
    assert_int_equal(vouch__doc_bool(&doc, at(&doc, "t"), &path, &b, &err),
                     0);
    assert_true(b);
    assert_int_equal(vouch__doc_bool(&doc, at(&doc, "f"), &path, &b, &err),
                     0);
    assert_false(b);
    rc = vouch__doc_bool(&doc, at(&doc, "q"), &path, &b, &err);
    check_err(&err, rc, VOUCH_EINVAL, 3, 5,
              "b: expected true or false, found a string");
    /* YAML 1.2: "yes" is not a boolean. */
    rc = vouch__doc_bool(&doc, at(&doc, "y"), &path, &b, &err);
    check_err(&err, rc, VOUCH_EINVAL, 4, 4,
              "b: expected true or false, found a string");
    rc = vouch__doc_bool(&doc, at(&doc, "n"), &path, &b, &err);
    check_err(&err, rc, VOUCH_EINVAL, 5, 4,
              "b: expected true or false, found a number");
    rc = vouch__doc_bool(&doc, at(&doc, "z"), &path, &b, &err);
    check_err(&err, rc, VOUCH_EINVAL, 6, 4,
              "b: expected true or false, found null");
    rc = vouch__doc_bool(&doc, NULL, &path, &b, &err);
    check_err(&err, rc, VOUCH_EINVAL, 0, 0,
              "b: expected true or false, found null");
    vouch__doc_close(&doc);

    load_ok(&doc, "{\"t\": true, \"f\": false, \"T\": \"true\"}",
            VOUCH_FORMAT_JSON);
    assert_int_equal(vouch__doc_bool(&doc, at(&doc, "t"), &path, &b, &err),
                     0);
    assert_true(b);
    assert_int_equal(vouch__doc_bool(&doc, at(&doc, "f"), &path, &b, &err),
                     0);
    assert_false(b);
    rc = vouch__doc_bool(&doc, at(&doc, "T"), &path, &b, &err);
    check_err(&err, rc, VOUCH_EINVAL, 1, 31,
              "b: expected true or false, found a string");
    vouch__doc_close(&doc);
}

static void test_doc_uint(void **state)
{
    vouch__doc doc;
    vouch__path path = VOUCH__PATH_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    unsigned long long v = 0;
    int rc;

    (void)state;
    vouch__path_push_key(&path, "u");
    load_ok(&doc, "{\"a\": 42, \"s\": \"100\", \"m\": 1000, \"o\": 1001,\n"
                  "\"neg\": -1, \"f\": 1.5, \"b\": true, \"e\": \"\","
                  " \"big\": \"99999999999999999999999\"}",
            VOUCH_FORMAT_JSON);
    assert_int_equal(vouch__doc_uint(&doc, at(&doc, "a"), &path, 1000, &v,
                                     &err),
                     0);
    assert_int_equal(v, 42);
    /* proto3 JSON: an int64 may be written as a decimal string. */
    assert_int_equal(vouch__doc_uint(&doc, at(&doc, "s"), &path, 1000, &v,
                                     &err),
                     0);
    assert_int_equal(v, 100);
    assert_int_equal(vouch__doc_uint(&doc, at(&doc, "m"), &path, 1000, &v,
                                     &err),
                     0);
    assert_int_equal(v, 1000);
    rc = vouch__doc_uint(&doc, at(&doc, "o"), &path, 1000, &v, &err);
    check_err(&err, rc, VOUCH_EINVAL, 1, 39,
              "u: number is over the maximum of 1000");
    rc = vouch__doc_uint(&doc, at(&doc, "neg"), &path, 1000, &v, &err);
    check_err(&err, rc, VOUCH_EINVAL, 2, 8,
              "u: expected a non-negative integer, found a number");
    rc = vouch__doc_uint(&doc, at(&doc, "f"), &path, 1000, &v, &err);
    check_err(&err, rc, VOUCH_EINVAL, 2, 17,
              "u: expected a non-negative integer, found a number");
    rc = vouch__doc_uint(&doc, at(&doc, "b"), &path, 1000, &v, &err);
    check_err(&err, rc, VOUCH_EINVAL, 2, 27,
              "u: expected a non-negative integer, found a boolean");
    rc = vouch__doc_uint(&doc, at(&doc, "e"), &path, 1000, &v, &err);
    check_err(&err, rc, VOUCH_EINVAL, 2, 39,
              "u: expected a non-negative integer, found a string");
    rc = vouch__doc_uint(&doc, at(&doc, "big"), &path, ~0ULL, &v, &err);
    check_err(&err, rc, VOUCH_EINVAL, 2, 50,
              "u: number is over the maximum of 18446744073709551615");
    rc = vouch__doc_uint(&doc, NULL, &path, 10, &v, &err);
    check_err(&err, rc, VOUCH_EINVAL, 0, 0,
              "u: expected a non-negative integer, found null");
    assert_int_equal(v, 1000); /* unchanged by the failures */
    vouch__doc_close(&doc);

    load_ok(&doc, "a: 7\nb: '8'\nc: 0x10\n", VOUCH_FORMAT_YAML);
    assert_int_equal(vouch__doc_uint(&doc, at(&doc, "a"), &path, 10, &v,
                                     &err),
                     0);
    assert_int_equal(v, 7);
    assert_int_equal(vouch__doc_uint(&doc, at(&doc, "b"), &path, 10, &v,
                                     &err),
                     0);
    assert_int_equal(v, 8);
    rc = vouch__doc_uint(&doc, at(&doc, "c"), &path, 100, &v, &err);
    check_err(&err, rc, VOUCH_EINVAL, 3, 4,
              "u: expected a non-negative integer, found a number");
    vouch__doc_close(&doc);
}

/* ---- json tree -------------------------------------------------------- */

static void load_json_ok(vouch__doc *doc, const char *text)
{
    vouch_error err = VOUCH_ERROR_INIT;
    int rc = vouch__doc_load_json(doc, text, strlen(text), 1u << 20,
                                  "t.doc", &err);

    if (rc != 0) {
        fail_msg("jansson load failed for %s: %s", text, err.message);
    }
    assert_int_equal(doc->tree, VOUCH__TREE_JSON);
    assert_null(doc->fyd);
}

static void test_doc_json_tree_scalars(void **state)
{
    vouch__doc doc;
    vouch__path path = VOUCH__PATH_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    unsigned long long v = 0;
    const char *p = NULL;
    size_t n = 0;
    bool b = false;
    int rc;

    (void)state;
    vouch__path_push_key(&path, "f");
    load_json_ok(&doc, "{\"s\": \"x\\u00e9\", \"t\": true, \"i\": 12,"
                       " \"n\": null, \"z\": 0, \"neg\": -1, \"r\": 1.5,"
                       " \"d\": \"100\", \"o\": 1001}");
    assert_int_equal(vouch__doc_string(&doc, at(&doc, "s"), &path, &p, &n,
                                       &err), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(p, "x\xc3\xa9", 3);
    /* The same messages as over libfyaml's tree, without a position. */
    rc = vouch__doc_string(&doc, at(&doc, "t"), &path, &p, &n, &err);
    check_err(&err, rc, VOUCH_EINVAL, 0, 0,
              "f: expected a string, found a boolean");
    rc = vouch__doc_string(&doc, at(&doc, "i"), &path, &p, &n, &err);
    check_err(&err, rc, VOUCH_EINVAL, 0, 0,
              "f: expected a string, found a number");
    rc = vouch__doc_string(&doc, at(&doc, "n"), &path, &p, &n, &err);
    check_err(&err, rc, VOUCH_EINVAL, 0, 0, "f: expected a string, found "
                                            "null");
    assert_int_equal(vouch__doc_bool(&doc, at(&doc, "t"), &path, &b, &err),
                     0);
    assert_true(b);
    rc = vouch__doc_bool(&doc, at(&doc, "s"), &path, &b, &err);
    check_err(&err, rc, VOUCH_EINVAL, 0, 0,
              "f: expected true or false, found a string");
    assert_true(vouch__doc_is_json_number(&doc, at(&doc, "i")));
    assert_true(vouch__doc_is_json_number(&doc, at(&doc, "r")));
    assert_false(vouch__doc_is_json_number(&doc, at(&doc, "d")));
    assert_int_equal(vouch__doc_uint(&doc, at(&doc, "i"), &path, 100, &v,
                                     &err), 0);
    assert_int_equal(v, 12);
    assert_int_equal(vouch__doc_uint(&doc, at(&doc, "d"), &path, 100, &v,
                                     &err), 0);
    assert_int_equal(v, 100);
    rc = vouch__doc_uint(&doc, at(&doc, "o"), &path, 1000, &v, &err);
    check_err(&err, rc, VOUCH_EINVAL, 0, 0,
              "f: number is over the maximum of 1000");
    rc = vouch__doc_uint(&doc, at(&doc, "neg"), &path, 1000, &v, &err);
    check_err(&err, rc, VOUCH_EINVAL, 0, 0,
              "f: expected a non-negative integer, found a number");
    rc = vouch__doc_uint(&doc, at(&doc, "r"), &path, 1000, &v, &err);
    check_err(&err, rc, VOUCH_EINVAL, 0, 0,
              "f: expected a non-negative integer, found a number");
    /* 0 may have been written "-0", which the libfyaml reading refuses:
     * from text, it is left to that reading. */
    rc = vouch__doc_uint(&doc, at(&doc, "z"), &path, 1000, &v, &err);
    assert_int_equal(rc, VOUCH_EINVAL);
    vouch__doc_close(&doc);
    assert_null(doc.json);
    vouch__doc_close(&doc); /* twice is harmless */
}

static void test_doc_json_tree_shapes(void **state)
{
    static const char *const allowed[] = { "a", "l", NULL };
    vouch__doc doc;
    vouch__path path = VOUCH__PATH_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch__iter iter = VOUCH__ITER_INIT;
    vouch__node *key = NULL;
    vouch__node *value = NULL;
    const char *k = NULL;
    size_t n = 0;
    int rc;

    (void)state;
    load_json_ok(&doc, "{\"m\": {\"z\": 1, \"a\": [1, 2]}, \"l\": [\"x\", "
                       "\"y\"], \"n\": null}");
    assert_true(vouch__doc_is_mapping(&doc, vouch__doc_root(&doc)));
    assert_true(vouch__doc_is_sequence(&doc, at(&doc, "l")));
    assert_false(vouch__doc_is_sequence(&doc, NULL));
    assert_int_equal(vouch__doc_count(&doc, at(&doc, "l")), 2);
    assert_int_equal(vouch__doc_count(&doc, at(&doc, "m")), 2);
    assert_int_equal(vouch__doc_count(&doc, at(&doc, "n")), 0);
    assert_non_null(vouch__doc_next(&doc, at(&doc, "l"), &iter));
    assert_non_null(vouch__doc_next(&doc, at(&doc, "l"), &iter));
    assert_null(vouch__doc_next(&doc, at(&doc, "l"), &iter));
    /* Entries come in document order. */
    iter = (vouch__iter)VOUCH__ITER_INIT;
    rc = vouch__doc_next_entry(&doc, at(&doc, "m"), &iter, &path, &k, &n,
                               &key, &value, &err);
    assert_int_equal(rc, 1);
    assert_int_equal(n, 1);
    assert_memory_equal(k, "z", 1);
    rc = vouch__doc_next_entry(&doc, at(&doc, "m"), &iter, &path, &k, &n,
                               &key, &value, &err);
    assert_int_equal(rc, 1);
    assert_memory_equal(k, "a", 1);
    assert_true(vouch__doc_is_sequence(&doc, value));
    assert_int_equal(vouch__doc_next_entry(&doc, at(&doc, "m"), &iter,
                                           &path, &k, &n, &key, &value,
                                           &err), 0);
    /* Null is an empty mapping and an empty list. */
    assert_int_equal(vouch__doc_expect_mapping(&doc, at(&doc, "n"), &path,
                                               allowed, &err), 0);
    assert_int_equal(vouch__doc_expect_sequence(&doc, at(&doc, "n"), &path,
                                                &err), 0);
    vouch__path_push_key(&path, "m");
    rc = vouch__doc_expect_mapping(&doc, at(&doc, "m"), &path, allowed,
                                   &err);
    check_err(&err, rc, VOUCH_EINVAL, 0, 0, "m.z: unknown field");
    rc = vouch__doc_expect_mapping(&doc, at(&doc, "l"), &path, allowed,
                                   &err);
    check_err(&err, rc, VOUCH_EINVAL, 0, 0, "m: expected a mapping, found "
                                            "a list");
    rc = vouch__doc_expect_sequence(&doc, at(&doc, "m"), &path, &err);
    check_err(&err, rc, VOUCH_EINVAL, 0, 0, "m: expected a list, found a "
                                            "mapping");
    assert_null(vouch__doc_get(&doc, at(&doc, "l"), "a"));
    assert_null(vouch__doc_get(&doc, NULL, "a"));
    /* No positions in this tree, even for a scalar with an offset. */
    err.column = 3;
    vouch__doc_scalar_column(&doc, at(&doc, "l"), 1, 2, &err);
    assert_int_equal(err.column, 3);
    vouch__doc_close(&doc);
}

static void test_doc_json_tree_load_errors(void **state)
{
    char text[200];
    vouch__doc doc;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t i;

    (void)state;
    /* Syntax errors are jansson's, with its position. */
    assert_int_equal(vouch__doc_load_json(&doc, "{\"a\": 1,}", 9, 100,
                                          "t.doc", &err), VOUCH_EPARSE);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 9);
    assert_string_equal(err.source, "t.doc");
    assert_null(doc.json);
    assert_int_equal(vouch__doc_load_json(&doc, "{}", 2, 1, "t.doc", &err),
                     VOUCH_ETOOBIG);
    assert_int_equal(vouch__doc_load_json(&doc, NULL, 2, 10, "t.doc", &err),
                     VOUCH_EINVAL);
    /* Deeper than libfyaml reads: refused, for libfyaml to say why. */
    for (i = 0; i < 40; i++) {
        text[i] = '[';
        text[80 - 1 - i] = ']';
    }
    assert_int_equal(vouch__doc_load_json(&doc, text, 80, 1000, "t.doc",
                                          &err), VOUCH_EINVAL);
    assert_null(doc.json);
}

/* A reader that says how often it ran, and over which trees. */
typedef struct counting {
    int runs;
    int json_runs;
    bool fail_on_json;
} counting;

static int counting_reader(const vouch__doc *doc, void *out, vouch_error *err)
{
    counting *c = out;
    vouch__path path = VOUCH__PATH_INIT;

    c->runs++;
    if (doc->tree == VOUCH__TREE_JSON) {
        c->json_runs++;
        if (c->fail_on_json) {
            return vouch__doc_fail(doc, vouch__doc_root(doc), &path, err,
                                   VOUCH_EINVAL, "refused");
        }
    }
    return vouch__doc_expect_mapping(doc, vouch__doc_root(doc), &path, NULL,
                                     err);
}

static void test_doc_parse_reads_json_once(void **state)
{
    static const char ok[] = "{\"a\": 1}";
    static const char bad[] = "[\n  1\n]";
    counting c = { 0, 0, false };
    vouch_error err = VOUCH_ERROR_INIT;
    char deep[130];
    size_t i;

    (void)state;
    /* Valid JSON: one run, over jansson's tree. */
    assert_int_equal(vouch__doc_parse(ok, sizeof(ok) - 1, VOUCH_FORMAT_AUTO,
                                      100, "t.doc", counting_reader, &c,
                                      &err), 0);
    assert_int_equal(c.runs, 1);
    assert_int_equal(c.json_runs, 1);
    /* Invalid: again over libfyaml's tree, whose error has a position. */
    c = (counting){ 0, 0, false };
    assert_int_equal(vouch__doc_parse(bad, sizeof(bad) - 1,
                                      VOUCH_FORMAT_JSON, 100, "t.doc",
                                      counting_reader, &c, &err),
                     VOUCH_EINVAL);
    assert_int_equal(c.runs, 2);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 3);
    assert_string_equal(err.message, "expected a mapping, found a list");
    assert_string_equal(err.source, "t.doc");
    /* A reader that succeeds over libfyaml's tree wins (nothing lost). */
    c = (counting){ 0, 0, true };
    assert_int_equal(vouch__doc_parse(ok, sizeof(ok) - 1, VOUCH_FORMAT_JSON,
                                      100, "t.doc", counting_reader, &c,
                                      &err), 0);
    assert_int_equal(c.runs, 2);
    /* Syntax errors and YAML never take the jansson tree twice. */
    c = (counting){ 0, 0, false };
    assert_int_equal(vouch__doc_parse("{]", 2, VOUCH_FORMAT_JSON, 100,
                                      "t.doc", counting_reader, &c, &err),
                     VOUCH_EPARSE);
    assert_int_equal(c.runs, 0);
    assert_int_equal(vouch__doc_parse("a: 1", 4, VOUCH_FORMAT_AUTO, 100,
                                      "t.doc", counting_reader, &c, &err),
                     0);
    assert_int_equal(c.runs, 1);
    assert_int_equal(c.json_runs, 0);
    /* Too deep for jansson's tree: libfyaml's says why, and where. */
    for (i = 0; i < 65; i++) {
        deep[i] = '[';
        deep[130 - 1 - i] = ']';
    }
    c = (counting){ 0, 0, false };
    assert_int_equal(vouch__doc_parse(deep, sizeof(deep), VOUCH_FORMAT_JSON,
                                      1000, "t.doc", counting_reader, &c,
                                      &err), VOUCH_EPARSE);
    assert_int_equal(c.runs, 0);
    assert_int_equal(err.column, 64);
    assert_non_null(strstr(err.message, "Max depth (64) exceeded"));
}

static void test_doc_parse_value(void **state)
{
    counting c = { 0, 0, false };
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *list = json_pack("[i]", 1);
    json_t *zero = json_pack("{s:i}", "u", 0);
    vouch__doc doc;
    vouch__path path = VOUCH__PATH_INIT;
    unsigned long long v = 7;

    (void)state;
    assert_non_null(list);
    assert_int_equal(vouch__doc_parse_value(list, "body", counting_reader,
                                            &c, &err), VOUCH_EINVAL);
    assert_int_equal(c.runs, 1);
    check_err(&err, VOUCH_EINVAL, VOUCH_EINVAL, 0, 0,
              "expected a mapping, found a list");
    assert_string_equal(err.source, "body");
    assert_int_equal(json_array_size(list), 1); /* untouched */
    assert_int_equal(vouch__doc_parse_value(NULL, "body", counting_reader,
                                            &c, &err), VOUCH_EINVAL);
    assert_int_equal(c.runs, 1);
    /* A value has no text that could have said "-0": 0 is 0. */
    memset(&doc, 0, sizeof(doc));
    doc.tree = VOUCH__TREE_JSON;
    doc.format = VOUCH_FORMAT_JSON;
    doc.json = zero;
    assert_int_equal(vouch__doc_uint(&doc, at(&doc, "u"), &path, 5, &v,
                                     &err), 0);
    assert_int_equal(v, 0);
    json_decref(list);
    json_decref(zero);
}

/*
 * Every JSON fixture of tests/data, read through jansson's tree (the
 * public parse), through libfyaml's (as before), and from a json_t: the
 * same verdict and, when valid, the same printed model.
 */
typedef struct fixture_kind {
    const char *const *files;
    vouch__doc_reader reader;
    int (*print)(const void *model, char **out);
    void (*release)(void *model);
    int (*from_value)(void **out, const json_t *value);
} fixture_kind;

static int print_policy(const void *m, char **out)
{
    return vouch_policy_print(m, VOUCH_FORMAT_JSON, out, NULL, NULL);
}

static int print_attestor(const void *m, char **out)
{
    return vouch_attestor_print(m, VOUCH_FORMAT_JSON, out, NULL, NULL);
}

static int print_occurrence(const void *m, char **out)
{
    return vouch_attestation_print(m, VOUCH_FORMAT_JSON, out, NULL, NULL);
}

static void release_policy(void *m)
{
    vouch_policy_free(m);
}

static void release_attestor(void *m)
{
    vouch_attestor_free(m);
}

static void release_occurrence(void *m)
{
    vouch_attestation_free(m);
}

static int policy_value(void **out, const json_t *value)
{
    return vouch_policy_from_json_value((vouch_policy **)out, value, "v",
                                        NULL);
}

static int attestor_value(void **out, const json_t *value)
{
    return vouch_attestor_from_json_value((vouch_attestor **)out, value,
                                          "v", NULL);
}

static int occurrence_value(void **out, const json_t *value)
{
    return vouch_attestation_from_json_value((vouch_attestation **)out,
                                             value, "v", NULL);
}

static char *read_and_print(const fixture_kind *kind, const vouch__doc *doc,
                            int *rc, vouch_error *err)
{
    void *model = NULL;
    char *text = NULL;

    *rc = kind->reader(doc, &model, err);
    if (*rc == 0) {
        assert_int_equal(kind->print(model, &text), 0);
        kind->release(model);
    }
    return text;
}

static void check_fixture(const fixture_kind *kind, const char *rel)
{
    size_t len = 0;
    char *data = testutil_read(rel, &len);
    json_t *value = testutil_read_json(rel);
    vouch_error e1 = VOUCH_ERROR_INIT;
    vouch_error e2 = VOUCH_ERROR_INIT;
    vouch__doc jdoc;
    vouch__doc fdoc;
    void *model = NULL;
    char *t1;
    char *t2;
    char *t3 = NULL;
    int rc1;
    int rc2;
    int rc3;

    assert_int_equal(vouch__doc_load_json(&jdoc, data, len, 1u << 24, rel,
                                          &e1), 0);
    assert_int_equal(vouch__doc_load(&fdoc, data, len, VOUCH_FORMAT_JSON,
                                     1u << 24, rel, &e2), 0);
    t1 = read_and_print(kind, &jdoc, &rc1, &e1);
    t2 = read_and_print(kind, &fdoc, &rc2, &e2);
    if (rc1 != rc2 || (t1 != NULL && strcmp(t1, t2) != 0)) {
        fail_msg("%s: jansson %s '%s', libfyaml %s '%s'", rel,
                 vouch_code_name(rc1), e1.message, vouch_code_name(rc2),
                 e2.message);
    }
    rc3 = kind->from_value(&model, value);
    if (rc3 == 0) {
        assert_int_equal(kind->print(model, &t3), 0);
        kind->release(model);
    }
    if (rc3 != rc1 || (t3 != NULL && strcmp(t1, t3) != 0)) {
        fail_msg("%s: from a json_t %s, from text %s", rel,
                 vouch_code_name(rc3), vouch_code_name(rc1));
    }
    vouch_free(t1);
    vouch_free(t2);
    vouch_free(t3);
    vouch__doc_close(&jdoc);
    vouch__doc_close(&fdoc);
    json_decref(value);
    free(data);
}

static void test_doc_trees_read_fixtures_alike(void **state)
{
    static const char *const policies[] = {
        "policies/cloudrun.json", "policies/default.json", NULL };
    static const char *const attestors[] = {
        "attestors/ci.json", "attestors/no-keys.json",
        "attestors/v1beta1.json", "core/attestor-a.json",
        "core/attestor-ab.json", "core/attestor-pgp.json",
        "core/attestor-empty.json", NULL };
    static const char *const occurrences[] = {
        "attestations/a-good.json", "attestations/a-compact.json",
        "attestations/a-two-sigs.json", "attestations/jwt-es256.json",
        "attestations/pgp-attached.json", "attestations/v1beta1-generic.json",
        "attestations/v1beta1-pgp.json", "attestations/a-tampered.json",
        NULL };
    const fixture_kind kinds[] = {
        { policies, vouch__policy_reader, print_policy, release_policy,
          policy_value },
        { attestors, vouch__attestor_reader, print_attestor,
          release_attestor, attestor_value },
        { occurrences, vouch__occurrence_reader, print_occurrence,
          release_occurrence, occurrence_value },
    };
    size_t k;
    size_t i;

    (void)state;
    for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (i = 0; kinds[k].files[i] != NULL; i++) {
            check_fixture(&kinds[k], kinds[k].files[i]);
        }
    }
}

/* ---- print ------------------------------------------------------------ */

static void test_doc_print_json_and_yaml(void **state)
{
    json_t *root = json_pack("{s:s, s:[{s:s, s:b}], s:s, s:s, s:s, s:{}, "
                             "s:i, s:s, s:s, s:s}",
                             "zeta", "plain", "list", "b", "x", "a", 1,
                             "alpha", "yes", "multi", "l1\nl2", "empty", "",
                             "obj", "int", 3, "quotes", "a''b", "lead",
                             "'a''", "utf8", "caf\xc3\xa9");
    char *out = NULL;
    size_t len = 0;

    (void)state;
    assert_non_null(root);
    assert_int_equal(vouch__json_print(root, VOUCH_FORMAT_JSON, &out, &len,
                                       NULL),
                     0);
    assert_int_equal(len, strlen(out));
    assert_string_equal(out,
                        "{\n"
                        "  \"alpha\": \"yes\",\n"
                        "  \"empty\": \"\",\n"
                        "  \"int\": 3,\n"
                        "  \"lead\": \"'a''\",\n"
                        "  \"list\": [\n"
                        "    {\n"
                        "      \"a\": true,\n"
                        "      \"b\": \"x\"\n"
                        "    }\n"
                        "  ],\n"
                        "  \"multi\": \"l1\\nl2\",\n"
                        "  \"obj\": {},\n"
                        "  \"quotes\": \"a''b\",\n"
                        "  \"utf8\": \"caf\xc3\xa9\",\n"
                        "  \"zeta\": \"plain\"\n"
                        "}\n");
    vouch_free(out);
    assert_int_equal(vouch__json_print(root, VOUCH_FORMAT_YAML, &out, &len,
                                       NULL),
                     0);
    assert_int_equal(len, strlen(out));
    /* As PyYAML safe_dump writes it, except: a string that needs single
     * quotes and holds two quotes in a row is double-quoted (libfyaml
     * 0.7.12 misreads four quotes in a row); multi-line strings are
     * double-quoted; non-ASCII is raw UTF-8 (docs/policy.md, section 4). */
    assert_string_equal(out,
                        "alpha: 'yes'\n"
                        "empty: ''\n"
                        "int: 3\n"
                        "lead: \"'a''\"\n"
                        "list:\n"
                        "- a: true\n"
                        "  b: x\n"
                        "multi: \"l1\\nl2\"\n"
                        "obj: {}\n"
                        "quotes: a''b\n"
                        "utf8: caf\xc3\xa9\n"
                        "zeta: plain\n");
    /* What was printed reads back to the same values. */
    {
        static const char *const keys[][2] = {
            { "quotes", "a''b" }, { "lead", "'a''" }, { "alpha", "yes" },
            { "multi", "l1\nl2" }, { "empty", "" },
        };
        vouch__doc doc;
        vouch__path path = VOUCH__PATH_INIT;
        size_t i;

        load_ok(&doc, out, VOUCH_FORMAT_YAML);
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            char *s = NULL;

            assert_int_equal(vouch__doc_string_dup(&doc,
                                                   at(&doc, keys[i][0]),
                                                   &path, &s, NULL),
                             0);
            assert_string_equal(s, keys[i][1]);
            free(s);
        }
        vouch__doc_close(&doc);
    }
    vouch_free(out);
    {
        vouch_error err = VOUCH_ERROR_INIT;

        assert_int_equal(vouch__json_print(root, VOUCH_FORMAT_AUTO, &out,
                                           &len, &err),
                         VOUCH_EINVAL);
        assert_null(out);
        assert_int_equal(len, 0);
        assert_string_equal(err.message,
                            "output format must be JSON or YAML");
    }
    json_decref(root);
}

/*
 * Characters YAML does not allow raw (DEL, C1 controls, LS, PS, BOM) are
 * printed escaped and read back unchanged. Without vouch's escaping,
 * libfyaml 0.7.12's emitter dropped a raw DEL from a double-quoted scalar.
 */
static void test_doc_print_escapes_unsafe_characters(void **state)
{
    static const char *const values[] = {
        "a\x7f\x7f" "b", "nel\xc2\x85" "x", "c1\xc2\x90", "ls\xe2\x80\xa8",
        "ps\xe2\x80\xa9" "z", "\xef\xbb\xbf" "bom", "\x7f",
        "mixed\xc2\x85\x7f\xe2\x80\xa8\n\t\x01" "caf\xc3\xa9",
        /* YAML 1.2 numbers PyYAML would write plain (fuzz_policy_json). */
        "-.1", "089", "0o17", "+.5e3", "1.", "-.inf",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        json_t *root = json_pack("{s:s}", "d", values[i]);
        char *out = NULL;
        vouch__doc doc;
        vouch__path path = VOUCH__PATH_INIT;
        char *s = NULL;

        assert_non_null(root);
        assert_int_equal(vouch__json_print(root, VOUCH_FORMAT_YAML, &out,
                                           NULL, NULL),
                         0);
        if (i == 0) {
            assert_string_equal(out, "d: \"a\\x7F\\x7Fb\"\n");
        }
        load_ok(&doc, out, VOUCH_FORMAT_YAML);
        assert_int_equal(vouch__doc_string_dup(&doc, at(&doc, "d"), &path,
                                               &s, NULL),
                         0);
        if (strcmp(s, values[i]) != 0) {
            fail_msg("value %zu printed as %s read back wrong", i, out);
        }
        free(s);
        vouch__doc_close(&doc);
        vouch_free(out);
        json_decref(root);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_load_json_and_yaml),
        cmocka_unit_test(test_doc_load_auto_detects_format),
        cmocka_unit_test(test_doc_load_enforces_limit_first),
        cmocka_unit_test(test_doc_load_rejects_bad_arguments),
        cmocka_unit_test(test_doc_load_reads_only_len_bytes),
        cmocka_unit_test(test_doc_load_reports_syntax_positions),
        cmocka_unit_test(test_doc_load_refuses_yaml_features),
        cmocka_unit_test(test_doc_load_refuses_directives),
        cmocka_unit_test(test_doc_load_refuses_control_characters),
        cmocka_unit_test(test_doc_load_refuses_explicit_keys),
        cmocka_unit_test(test_doc_load_checks_yaml_with_libyaml_first),
        cmocka_unit_test(test_doc_load_limits_depth),
        cmocka_unit_test(test_doc_load_refuses_misread_single_quotes),
        cmocka_unit_test(test_doc_path_push_and_pop),
        cmocka_unit_test(test_doc_fail_formats_path_and_position),
        cmocka_unit_test(test_doc_expect_mapping),
        cmocka_unit_test(test_doc_expect_sequence),
        cmocka_unit_test(test_doc_string_in_yaml),
        cmocka_unit_test(test_doc_string_in_json),
        cmocka_unit_test(test_doc_bool),
        cmocka_unit_test(test_doc_uint),
        cmocka_unit_test(test_doc_json_tree_scalars),
        cmocka_unit_test(test_doc_json_tree_shapes),
        cmocka_unit_test(test_doc_json_tree_load_errors),
        cmocka_unit_test(test_doc_parse_reads_json_once),
        cmocka_unit_test(test_doc_parse_value),
        cmocka_unit_test(test_doc_trees_read_fixtures_alike),
        cmocka_unit_test(test_doc_print_json_and_yaml),
        cmocka_unit_test(test_doc_print_escapes_unsafe_characters),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
