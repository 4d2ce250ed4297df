/*
 * Tests for src/engine/error.c: error formatting and codes, base64 and hex
 * helpers shared by the engine.
 *
 *   vouch_error_format ........ test_error_format_*
 *   vouch__error_set/prefix ... test_error_set_*, test_error_prefix_*
 *   vouch_code_name ........... test_error_code_names
 *   vouch__base64_* ........... test_error_base64_*
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void test_error_format_with_position(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char buf[300];

    (void)state;
    assert_int_equal(vouch__error_set(&err, VOUCH_EINVAL, "p.yaml", 3, 7,
                                      "bad %s", "value"),
                     VOUCH_EINVAL);
    vouch_error_format(&err, buf, sizeof(buf));
    assert_string_equal(buf, "p.yaml:3:7: bad value");
}

static void test_error_format_without_position(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char buf[300];

    (void)state;
    vouch__error_set(&err, VOUCH_EIO, "store", -1, -1, "down");
    assert_int_equal(err.line, 0);
    assert_int_equal(err.column, 0);
    vouch_error_format(&err, buf, sizeof(buf));
    assert_string_equal(buf, "store: down");
    vouch__error_set(&err, VOUCH_EIO, NULL, 0, 0, "plain");
    vouch_error_format(&err, buf, sizeof(buf));
    assert_string_equal(buf, "plain");
    vouch__error_set(&err, VOUCH_EIO, NULL, 2, 4, "where");
    vouch_error_format(&err, buf, sizeof(buf));
    assert_string_equal(buf, "2:4: where");
}

static void test_error_format_truncates_safely(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char small[8];
    int need;

    (void)state;
    vouch__error_set(&err, VOUCH_EINVAL, "f", 1, 1, "long message");
    need = vouch_error_format(&err, small, sizeof(small));
    assert_true(need > (int)sizeof(small));
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_error_set_accepts_null(void **state)
{
    (void)state;
    assert_int_equal(vouch__error_set(NULL, VOUCH_ENOMEM, NULL, 0, 0, "x"),
                     VOUCH_ENOMEM);
}

static void test_error_set_truncates_long_message(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char big[1000];

    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    vouch__error_set(&err, VOUCH_EINVAL, big, 0, 0, "%s", big);
    assert_int_equal(strlen(err.message), sizeof(err.message) - 1);
    assert_int_equal(strlen(err.source), sizeof(err.source) - 1);
}

static void test_error_prefix_adds_path(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    vouch__error_set(&err, VOUCH_EINVAL, NULL, 0, 0, "not a URI");
    assert_int_equal(vouch__error_prefix(&err, "publicKeys[%d].id", 2),
                     VOUCH_EINVAL);
    assert_string_equal(err.message, "publicKeys[2].id: not a URI");
}

static void test_error_code_names(void **state)
{
    (void)state;
    assert_string_equal(vouch_code_name(VOUCH_OK), "OK");
    assert_string_equal(vouch_code_name(VOUCH_ECRYPTO), "ECRYPTO");
    assert_string_equal(vouch_code_name(VOUCH_ETOOBIG), "ETOOBIG");
    assert_string_equal(vouch_code_name(-999), "EUNKNOWN");
    assert_non_null(vouch_version());
}

static void test_error_base64_round_trip(void **state)
{
    static const unsigned char bytes[] = {0xfb, 0xff, 0x00, 0x10, 0x3e};
    unsigned char *back = NULL;
    size_t back_len = 0;
    char *text = NULL;

    (void)state;
    assert_int_equal(vouch__base64_encode(bytes, sizeof(bytes), false,
                                          &text), 0);
    assert_string_equal(text, "+/8AED4=");
    assert_int_equal(vouch__base64_decode(text, strlen(text), &back,
                                          &back_len), 0);
    assert_int_equal(back_len, sizeof(bytes));
    assert_memory_equal(back, bytes, sizeof(bytes));
    free(text);
    free(back);
    assert_int_equal(vouch__base64_encode(bytes, sizeof(bytes), true,
                                          &text), 0);
    assert_string_equal(text, "-_8AED4");
    assert_int_equal(vouch__base64_decode(text, strlen(text), &back,
                                          &back_len), 0);
    assert_memory_equal(back, bytes, sizeof(bytes));
    free(text);
    free(back);
}

static void test_error_base64_rejects_garbage(void **state)
{
    static const char *const bad[] = {"a", "ab=c", "ab===", "a b=",
                                      "abc!", "ab==ab"};
    unsigned char *out = NULL;
    size_t len = 0;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(vouch__base64_decode(bad[i], strlen(bad[i]), &out,
                                              &len), VOUCH_EPARSE);
        assert_null(out);
    }
    assert_int_equal(vouch__base64_decode("", 0, &out, &len), 0);
    assert_int_equal(len, 0);
    free(out);
}

static void test_error_hex(void **state)
{
    static const unsigned char in[] = {0x00, 0xab, 0x7f};
    char out[7];

    (void)state;
    vouch__hex(in, sizeof(in), out);
    assert_string_equal(out, "00ab7f");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_format_with_position),
        cmocka_unit_test(test_error_format_without_position),
        cmocka_unit_test(test_error_format_truncates_safely),
        cmocka_unit_test(test_error_set_accepts_null),
        cmocka_unit_test(test_error_set_truncates_long_message),
        cmocka_unit_test(test_error_prefix_adds_path),
        cmocka_unit_test(test_error_code_names),
        cmocka_unit_test(test_error_base64_round_trip),
        cmocka_unit_test(test_error_base64_rejects_garbage),
        cmocka_unit_test(test_error_hex),
    };

    return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
