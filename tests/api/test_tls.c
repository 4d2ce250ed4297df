/*
 * Unit tests of the first-record check of the TLS port
 * (api_tls_judge_first_record, src/api/tls.c): what a client's first bytes
 * get before GnuTLS reads them. tests/authz/test_tls.py sends the same
 * bytes to a running vouchd; fuzz/fuzz_tls_record.c feeds it anything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tls.h"

/* A ClientHello's first 11 bytes: record, handshake header, version. */
static const unsigned char hello12[] = { 0x16, 0x03, 0x01, 0x02, 0x00,
                                         0x01, 0x00, 0x01, 0xfc, 0x03,
                                         0x03 };

static void test_tls_judge_a_tls12_or_tls13_hello_passes(void **s)
{
    bool more = true;

    (void)s;
    assert_int_equal(api_tls_judge_first_record(hello12, sizeof(hello12),
                                                &more), 0);
    assert_false(more);
}

static void test_tls_judge_old_versions_get_protocol_version(void **s)
{
    unsigned char hello[sizeof(hello12)];
    bool more;

    (void)s;
    for (int minor = 0; minor < 3; minor++) {   /* SSL 3, TLS 1.0, 1.1 */
        memcpy(hello, hello12, sizeof(hello));
        hello[10] = (unsigned char)minor;
        assert_int_equal(api_tls_judge_first_record(hello, sizeof(hello),
                                                    &more), 70);
    }
    hello[9] = 2;                                  /* SSL 2 */
    assert_int_equal(api_tls_judge_first_record(hello, sizeof(hello),
                                                &more), 70);
}

static void test_tls_judge_plain_http_gets_unexpected_message(void **s)
{
    static const char http[] = "GET /healthz HTTP/1.1\r\n";
    unsigned char alert_first[sizeof(hello12)];
    bool more;

    (void)s;
    assert_int_equal(api_tls_judge_first_record(
                         (const unsigned char *)http, 1, &more), 10);
    assert_false(more);
    assert_int_equal(api_tls_judge_first_record(
                         (const unsigned char *)http, sizeof(http) - 1,
                         &more), 10);
    /* A handshake record that is not a ClientHello. */
    memcpy(alert_first, hello12, sizeof(alert_first));
    alert_first[5] = 0x02;
    assert_int_equal(api_tls_judge_first_record(alert_first,
                                                sizeof(alert_first), &more),
                     10);
}

static void test_tls_judge_waits_for_the_version(void **s)
{
    bool more = false;

    (void)s;
    for (size_t n = 0; n < sizeof(hello12); n++) {
        assert_int_equal(api_tls_judge_first_record(hello12, n, &more), 0);
        assert_true(more);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_judge_a_tls12_or_tls13_hello_passes),
        cmocka_unit_test(test_tls_judge_old_versions_get_protocol_version),
        cmocka_unit_test(test_tls_judge_plain_http_gets_unexpected_message),
        cmocka_unit_test(test_tls_judge_waits_for_the_version),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
