/*
 * Tests of src/util (vutil_*).
 *
 * Sections:
 *   code table     vutil_code_info_of and its shorthands, vouch_code_name
 *   errors         vutil_error_set, vutil_error_prefix
 *   strings        ids, base64
 *   time           vutil_now_rfc3339, vutil_rfc3339_parse
 *   random         vutil_new_etag, vutil_new_uuid, vutil_random_text
 *   yaml           vutil_yaml_from_json, both quoting styles
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "vouch/vouch.h"
#include "vutil_error.h"
#include "vutil_random.h"
#include "vutil_str.h"
#include "vutil_time.h"
#include "vutil_yaml.h"

/* ---- code table ---- */

static void test_util_code_table_rows(void **state)
{
    static const struct {
        int code;
        const char *name;
        unsigned http;
        vutil_grpc grpc;
        const char *status;
    } want[] = {
        { VOUCH_OK, "OK", 200, VUTIL_GRPC_OK, "OK" },
        { VOUCH_EINVAL, "EINVAL", 400, VUTIL_GRPC_INVALID_ARGUMENT,
          "INVALID_ARGUMENT" },
        { VOUCH_ETOOBIG, "ETOOBIG", 400, VUTIL_GRPC_INVALID_ARGUMENT,
          "INVALID_ARGUMENT" },
        { VOUCH_ENOTFOUND, "ENOTFOUND", 404, VUTIL_GRPC_NOT_FOUND,
          "NOT_FOUND" },
        { VOUCH_EIO, "EIO", 503, VUTIL_GRPC_UNAVAILABLE, "UNAVAILABLE" },
        { VOUCH_ECONFLICT, "ECONFLICT", 409, VUTIL_GRPC_ALREADY_EXISTS,
          "ALREADY_EXISTS" },
        { VOUCH_EABORTED, "EABORTED", 409, VUTIL_GRPC_ABORTED, "ABORTED" },
        { VOUCH_EPRECONDITION, "EPRECONDITION", 400,
          VUTIL_GRPC_FAILED_PRECONDITION, "FAILED_PRECONDITION" },
        { VOUCH_EUNAUTHENTICATED, "EUNAUTHENTICATED", 401,
          VUTIL_GRPC_UNAUTHENTICATED, "UNAUTHENTICATED" },
        { VOUCH_EPERMISSION, "EPERMISSION", 403,
          VUTIL_GRPC_PERMISSION_DENIED, "PERMISSION_DENIED" },
        { VOUCH_EEXHAUSTED, "EEXHAUSTED", 429,
          VUTIL_GRPC_RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED" },
        { VOUCH_ENOMEM, "ENOMEM", 500, VUTIL_GRPC_INTERNAL, "INTERNAL" },
        { -1000, "EUNKNOWN", 500, VUTIL_GRPC_INTERNAL, "INTERNAL" },
        { 5, "EUNKNOWN", 500, VUTIL_GRPC_INTERNAL, "INTERNAL" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const vutil_code_info *info = vutil_code_info_of(want[i].code);

        assert_string_equal(info->name, want[i].name);
        assert_string_equal(vouch_code_name(want[i].code), want[i].name);
        assert_int_equal(vutil_code_http(want[i].code), want[i].http);
        assert_int_equal(vutil_code_grpc(want[i].code), want[i].grpc);
        assert_string_equal(vutil_code_status(want[i].code),
                            want[i].status);
        assert_string_equal(vutil_grpc_name(want[i].grpc), want[i].status);
    }
    /* every code of the enum has a row of its own */
    for (int c = VOUCH_OK; c >= VOUCH_ERETRY; c--) {
        assert_string_not_equal(vutil_code_name(c), "EUNKNOWN");
        assert_int_equal(vutil_code_info_of(c)->code, c);
    }
}

/* ---- errors ---- */

static void test_util_error_set_and_prefix(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vutil_error_set(&err, VOUCH_EPARSE, "body", -1, 7,
                                     "bad %s", "thing"),
                     VOUCH_EPARSE);
    assert_int_equal(err.line, 0);
    assert_int_equal(err.column, 7);
    assert_string_equal(err.source, "body");
    assert_string_equal(err.message, "bad thing");
    assert_int_equal(vutil_error_prefix(&err, "field[%d]", 2), VOUCH_EPARSE);
    assert_string_equal(err.message, "field[2]: bad thing");
    assert_int_equal(vutil_error_set(NULL, VOUCH_EIO, NULL, 0, 0, "x"),
                     VOUCH_EIO);
    assert_int_equal(vutil_enomem(&err), VOUCH_ENOMEM);
    assert_string_equal(err.message, "out of memory");
}

/* ---- strings ---- */

static void test_util_ids_and_base64(void **state)
{
    char long_id[VUTIL_ID_MAX + 2];
    unsigned char *bin = NULL;
    char *text = NULL;
    size_t len = 0;

    (void)state;
    assert_true(vutil_id_valid("a-Z_0.~"));
    assert_false(vutil_id_valid(""));
    assert_false(vutil_id_valid(NULL));
    assert_false(vutil_id_valid("a/b"));
    memset(long_id, 'x', sizeof(long_id));
    long_id[VUTIL_ID_MAX] = '\0';
    assert_true(vutil_id_valid(long_id));
    long_id[VUTIL_ID_MAX] = 'x';
    long_id[VUTIL_ID_MAX + 1] = '\0';
    assert_false(vutil_id_valid(long_id));

    assert_int_equal(vutil_base64_encode((const unsigned char *)"\xfb\xff",
                                         2, true, &text),
                     0);
    assert_string_equal(text, "-_8");
    assert_int_equal(vutil_base64_decode(text, strlen(text), &bin, &len), 0);
    assert_int_equal(len, 2);
    assert_memory_equal(bin, "\xfb\xff", 2);
    free(bin);
    free(text);
    assert_int_equal(vutil_base64_decode("a b", 3, &bin, &len),
                     VOUCH_EPARSE);
    assert_null(bin);
}

/* ---- time ---- */

/* vutil_grow: the first size, then doubling, keeping what was stored; a
 * size that would overflow is refused with the array left as it was. */
static void test_util_grow_array(void **state)
{
    int *items = NULL;
    size_t cap = 0;
    size_t n;

    (void)state;
    for (n = 0; n < 20; n++) {
        assert_true(vutil_grow(&items, &cap, n, sizeof(*items), 4));
        items[n] = (int)n * 3;
        assert_int_equal(cap, n < 4 ? 4 : n < 8 ? 8 : n < 16 ? 16 : 32);
    }
    for (n = 0; n < 20; n++) {
        assert_int_equal(items[n], (int)n * 3);
    }
    assert_true(vutil_grow(&items, &cap, 20, sizeof(*items), 4));
    assert_int_equal(cap, 32);   /* room left: nothing to do */
    cap = 20;
    assert_false(vutil_grow(&items, &cap, 20, SIZE_MAX / 8, 4));
    assert_int_equal(cap, 20);
    assert_int_equal(items[19], 57);
    free(items);
}

/* vutil_listed: exact matches in a NULL-terminated table; none in an
 * empty or absent one. */
/* vutil_buf: reserve makes room to write in place without moving len;
 * past `max` both reserve and append refuse and set too_big. */
static void test_util_buf_reserve_and_limit(void **state)
{
    vutil_buf b = VUTIL_BUF_INIT(8);

    (void)state;
    assert_true(vutil_buf_reserve(&b, 5));
    assert_true(b.cap >= 6);
    assert_int_equal(b.len, 0);
    memcpy(b.data, "abcde", 5);
    b.len = 5;
    assert_true(vutil_buf_append(&b, "fgh", 3));
    assert_string_equal(b.data, "abcdefgh");
    assert_false(b.too_big);
    assert_false(vutil_buf_reserve(&b, 1));
    assert_true(b.too_big);
    assert_false(vutil_buf_append(&b, "i", 1));
    assert_int_equal(b.len, 8);
    free(b.data);
}

static void test_util_listed(void **state)
{
    static const char *const fields[] = { "name", "labels", NULL };
    static const char *const none[] = { NULL };

    (void)state;
    assert_true(vutil_listed(fields, "name"));
    assert_true(vutil_listed(fields, "labels"));
    assert_false(vutil_listed(fields, "label"));
    assert_false(vutil_listed(fields, "names"));
    assert_false(vutil_listed(none, "name"));
    assert_false(vutil_listed(NULL, "name"));
}

static void test_util_rfc3339(void **state)
{
    char now[VUTIL_RFC3339_SIZE];
    long long s = 0;
    long ns = 0;

    (void)state;
    vutil_now_rfc3339(now, sizeof(now));
    assert_int_equal(strlen(now), VUTIL_RFC3339_SIZE - 1);
    assert_true(vutil_rfc3339_parse(now, strlen(now), &s, &ns));
    assert_true(vutil_rfc3339_parse("1970-01-01T01:00:00.5+01:00", 27, &s,
                                    &ns));
    assert_int_equal(s, 0);
    assert_int_equal(ns, 500000000);
    assert_false(vutil_rfc3339_parse("2026-02-29T00:00:00Z", 20, &s, &ns));
    assert_false(vutil_rfc3339_parse("2026-01-01 00:00:00Z", 20, &s, &ns));
}

/* ---- random ---- */

static void test_util_random_ids(void **state)
{
    char a[VUTIL_ETAG_SIZE];
    char b[VUTIL_ETAG_SIZE];
    char uuid[VUTIL_UUID_SIZE];
    char text[8];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vutil_new_etag(a, sizeof(a), &err), 0);
    assert_int_equal(vutil_new_etag(b, sizeof(b), &err), 0);
    assert_int_equal(strlen(a), 16);
    assert_int_equal(strspn(a, "0123456789abcdef"), 16);
    assert_string_not_equal(a, b);
    assert_int_equal(vutil_new_uuid(uuid, sizeof(uuid), &err), 0);
    assert_int_equal(strlen(uuid), 36);
    assert_int_equal(uuid[14], '4');
    assert_non_null(strchr("89ab", uuid[19]));
    assert_int_equal(vutil_random_text(text, 5, "ab", &err), 0);
    assert_int_equal(strspn(text, "ab"), 5);
    assert_int_equal(vutil_random_text(text, 65, "ab", &err), VOUCH_EINVAL);
    assert_string_equal(text, "");
}

/* ---- yaml ---- */

static void expect_yaml(const char *json, vutil_yaml_style style,
                        const char *want)
{
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
    char *text = NULL;
    size_t len = 0;

    assert_non_null(v);
    assert_int_equal(vutil_yaml_from_json(v, style, &text, &len, &err), 0);
    assert_string_equal(text, want);
    assert_int_equal(len, strlen(want));
    free(text);
    json_decref(v);
}

static void test_util_yaml_styles(void **state)
{
    (void)state;
    /* gcloud's quoting: plain unless it would read back otherwise */
    expect_yaml("{\"b\": \"yes\", \"a\": \"x: y\", \"c\": \"1.5\"}",
                VUTIL_YAML_GCLOUD, "a: 'x: y'\nb: 'yes'\nc: '1.5'\n");
    expect_yaml("{\"k\": [\"a b\", 2, true, null]}", VUTIL_YAML_GCLOUD,
                "k:\n- a b\n- 2\n- true\n- null\n");
    /* the CLI's: plain only when obviously a word, else a JSON literal */
    expect_yaml("{\"b\": \"yes\", \"a\": \"x: y\", \"c\": \"p/n@1\"}",
                VUTIL_YAML_SIMPLE, "a: \"x: y\"\nb: \"yes\"\nc: p/n@1\n");
    expect_yaml("{\"k\": \"a b\"}", VUTIL_YAML_SIMPLE, "k: \"a b\"\n");
    /* U+FFFE and U+FFFF are outside YAML's printable set: escaped, or
     * vouch's reader would refuse the print (fuzz_policy_json). */
    expect_yaml("{\"k\": \"a\\ufffe b\\uffff\"}", VUTIL_YAML_GCLOUD,
                "k: \"a\\uFFFE b\\uFFFF\"\n");
}

static void test_util_yaml_too_deep(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *v = json_array();
    char *text = NULL;

    (void)state;
    for (int i = 0; i < VUTIL_YAML_MAX_DEPTH + 2; i++) {
        json_t *outer = json_array();

        json_array_append_new(outer, v);
        v = outer;
    }
    assert_int_equal(vutil_yaml_from_json(v, VUTIL_YAML_SIMPLE, &text, NULL,
                                          &err),
                     VOUCH_ETOOBIG);
    assert_null(text);
    assert_non_null(strstr(err.message, "nested over 64 levels"));
    json_decref(v);
}

/* {KEY: 1} with KEY `first` (may be "") then `n` copies of `c`. */
static json_t *object_with_key(const char *first, char c, size_t n)
{
    size_t lead = strlen(first);
    char *key = malloc(lead + n + 1);
    json_t *v = json_object();

    assert_non_null(key);
    memcpy(key, first, lead);
    memset(key + lead, c, n);
    key[lead + n] = '\0';
    assert_int_equal(json_object_set_new(v, key, json_integer(1)), 0);
    free(key);
    return v;
}

/* Print `v` (taken) in gcloud's style; its text must start with the
 * `n` bytes of `want` and be `len` bytes long (0: any length). */
static void expect_yaml_start(json_t *v, const char *want, size_t n,
                              size_t len)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char *text = NULL;

    assert_int_equal(vutil_yaml_from_json(v, VUTIL_YAML_GCLOUD, &text, NULL,
                                          &err), 0);
    assert_memory_equal(text, want, n);
    if (len > 0) {
        assert_int_equal(strlen(text), len);
    }
    free(text);
    json_decref(v);
}

/* YAML reads no implicit key ("key: value") over 1,024 characters: a
 * longer one is written explicit, as a literal block ("? |-"); one
 * with a control character, which no literal block can hold, is refused
 * with the reason. */
static void test_util_yaml_long_keys(void **state)
{
    const size_t max = VUTIL_YAML_IMPLICIT_KEY_MAX;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *v;
    char *text = NULL;
    char want[1200];

    (void)state;
    /* The longest implicit key, then one byte more. */
    memset(want, 'a', max);
    memcpy(want + max, ": 1\n", 4);
    expect_yaml_start(object_with_key("", 'a', max), want, max + 4, max + 4);
    memcpy(want, "? |-\n  ", 7);
    memset(want + 7, 'a', max + 1);
    memcpy(want + 7 + max + 1, "\n: 1\n", 5);
    expect_yaml_start(object_with_key("", 'a', max + 1), want, max + 13,
                      max + 13);

    /* What the quotes add counts: 1,001 characters, 1,503 single-quoted
     * ('#' first asks for quotes, and each ' is written twice). */
    memset(want, 0, sizeof(want));
    want[0] = '#';
    for (size_t i = 0; i < 500; i++) {
        memcpy(want + 1 + 2 * i, "'a", 2);
    }
    v = json_object();
    assert_int_equal(json_object_set_new(v, want, json_integer(1)), 0);
    expect_yaml_start(v, "? |-\n  #'a'a", 12, 0);

    /* A leading space needs the indentation said: "|2-". */
    expect_yaml_start(object_with_key(" ", 'a', max), "? |2-\n   aa", 11, 0);

    v = object_with_key("\x01", 'a', max);
    assert_int_equal(vutil_yaml_from_json(v, VUTIL_YAML_SIMPLE, &text, NULL,
                                          &err),
                     VOUCH_EINVAL);
    assert_null(text);
    assert_non_null(strstr(err.message, "a key of over 1024 bytes with "
                                        "control characters cannot be "
                                        "written as YAML"));
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util_code_table_rows),
        cmocka_unit_test(test_util_error_set_and_prefix),
        cmocka_unit_test(test_util_ids_and_base64),
        cmocka_unit_test(test_util_grow_array),
        cmocka_unit_test(test_util_buf_reserve_and_limit),
        cmocka_unit_test(test_util_listed),
        cmocka_unit_test(test_util_rfc3339),
        cmocka_unit_test(test_util_random_ids),
        cmocka_unit_test(test_util_yaml_styles),
        cmocka_unit_test(test_util_yaml_too_deep),
        cmocka_unit_test(test_util_yaml_long_keys),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
