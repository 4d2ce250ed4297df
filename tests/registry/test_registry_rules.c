/*
 * Offline tests for what the registry client may reach and what it repeats
 * (src/registry/address.c, answer.c, flight.c). No network.
 *
 * Sections:
 *   addresses    vouch__address_is_public: every range refused, the
 *                IPv4-mapped / compatible / NAT64 / 6to4 forms of them
 *   host lists   vouch__host_split, vouch__host_rules_parse / _match,
 *                vouch__registry_is_insecure
 *   error codes  vouch__registry_error_code: known codes only, never text
 *   retry-after  vouch__retry_after_ms: seconds, HTTP-date, junk, the cap
 *   flights      vouch__flight_*: followers get the leader's answer
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "registry.h"
#include "registry_internal.h"

#define S(lit) lit, sizeof(lit) - 1

/* ---- addresses ---- */

static bool is_public(const char *text)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof(ss));
    if (strchr(text, ':') != NULL) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
    }
    return vouch__address_is_public((struct sockaddr *)&ss);
}

/* Every address of the NULL-terminated `list` is (not) public. */
static void expect_classified(const char *const *list, bool public)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (is_public(list[i]) != public) {
            fail_msg("%s counted as %s", list[i],
                     public ? "private" : "public");
        }
    }
}

static void test_registry_rules_ipv4_ranges(void **state)
{
    static const char *const refused[] = {
        "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1",
        "100.127.255.255", "127.0.0.1", "127.9.9.9", "169.254.169.254",
        "169.254.0.1", "172.16.0.1", "172.31.255.255", "192.0.0.8",
        "192.168.1.1", "198.18.0.1", "198.19.255.255", "224.0.0.1",
        "239.255.255.250", "240.0.0.1", "255.255.255.255", NULL };
    static const char *const public[] = {
        "8.8.8.8", "1.1.1.1", "9.255.255.255", "11.0.0.0", "100.63.255.255",
        "100.128.0.0", "126.255.255.255", "128.0.0.1", "169.253.255.255",
        "169.255.0.0", "172.15.255.255", "172.32.0.0", "192.0.1.1",
        "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0",
        "223.255.255.255", NULL };

    (void)state;
    expect_classified(refused, false);
    expect_classified(public, true);
}

static void test_registry_rules_ipv6_ranges(void **state)
{
    static const char *const refused[] = {
        "::", "::1", "fe80::1", "febf::1", "fc00::1", "fd12:3456::1",
        "fec0::1", "ff02::1",
        /* IPv4-mapped, -compatible, NAT64 and 6to4 forms of refused v4 */
        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.1.2.3",
        "::ffff:0.0.0.0", "::127.0.0.1", "::10.0.0.1", "64:ff9b::a9fe:a9fe",
        "64:ff9b::7f00:1", "64:ff9b:1::1", "2002:7f00:1::1",
        "2002:a9fe:a9fe::", NULL };
    static const char *const public[] = {
        "2001:4860:4860::8888", "2606:4700::1111", "fe7f::1", "fe00::1",
        "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", NULL };

    (void)state;
    expect_classified(refused, false);
    expect_classified(public, true);
}

static void test_registry_rules_other_families_refused(void **state)
{
    struct sockaddr sa;

    (void)state;
    memset(&sa, 0, sizeof(sa));
    sa.sa_family = AF_UNIX;
    assert_false(vouch__address_is_public(&sa));
}

/* ---- host lists ---- */

static void expect_split(const char *text, const char *host, long port)
{
    char out[VOUCH__HOST_MAX + 1];
    long p = -1;

    if (vouch__host_split(text, strlen(text), out, sizeof(out), &p) != 0) {
        fail_msg("'%s' refused", text);
    }
    assert_string_equal(out, host);
    assert_int_equal(p, port);
}

static void test_registry_rules_host_split(void **state)
{
    static const char *const bad[] = {
        "", ":5000", "host:", "host:0", "host:65536", "host:123456",
        "host:5x", "::1", "fe80::1:443", "[::1", "[::1]x", "[::1]:",
        "[notv6]:443", "[1.2.3.4]:80", "a b", "a/b:80", "host:80:80", NULL };
    char out[VOUCH__HOST_MAX + 1];
    long port;

    (void)state;
    expect_split("Registry.Example.COM", "registry.example.com", 0);
    expect_split("registry.example.com:5000", "registry.example.com", 5000);
    expect_split("10.0.0.7:443", "10.0.0.7", 443);
    expect_split("[::1]:5000", "::1", 5000);
    expect_split("[0:0::1]", "::1", 0);
    expect_split("[FE80::1]:65535", "fe80::1", 65535);
    for (size_t i = 0; bad[i] != NULL; i++) {
        if (vouch__host_split(bad[i], strlen(bad[i]), out, sizeof(out),
                              &port) == 0) {
            fail_msg("'%s' accepted as %s port %ld", bad[i], out, port);
        }
    }
    /* reads exactly len bytes */
    assert_int_equal(vouch__host_split("reg:80ZZZ", 6, out, sizeof(out),
                                       &port), 0);
    assert_int_equal(port, 80);
}

static void test_registry_rules_match(void **state)
{
    static const char *const list[] = {
        "reg.internal", "other.internal:5000", "[::1]:5001", NULL };
    vouch__host_rules *rules = NULL;

    (void)state;
    assert_int_equal(vouch__host_rules_parse(&rules, list, "insecure_hosts",
                                             NULL), 0);
    assert_true(vouch__host_rules_match(rules, "reg.internal", 443));
    assert_true(vouch__host_rules_match(rules, "REG.internal", 80));
    assert_true(vouch__host_rules_match(rules, "other.internal", 5000));
    assert_false(vouch__host_rules_match(rules, "other.internal", 5001));
    assert_false(vouch__host_rules_match(rules, "other.internal", 443));
    assert_true(vouch__host_rules_match(rules, "[::1]", 5001));
    assert_true(vouch__host_rules_match(rules, "0::1", 5001));
    assert_false(vouch__host_rules_match(rules, "[::1]", 5002));
    assert_false(vouch__host_rules_match(rules, "127.0.0.1", 5001));
    assert_false(vouch__host_rules_match(rules, "reg.internal.evil", 80));
    assert_false(vouch__host_rules_match(NULL, "reg.internal", 80));
    vouch__host_rules_free(rules);
    vouch__host_rules_free(NULL);

    assert_int_equal(vouch__host_rules_parse(&rules, NULL, "x", NULL), 0);
    assert_int_equal(rules->count, 0);
    assert_false(vouch__host_rules_match(rules, "127.0.0.1", 80));
    vouch__host_rules_free(rules);
}

static void test_registry_rules_insecure_is_explicit(void **state)
{
    static const char *const list[] = { "reg.internal",
                                        "127.0.0.1:5000", NULL };
    vouch_registry_options opts = VOUCH_REGISTRY_OPTIONS_INIT;
    vouch_registry *reg = NULL;

    (void)state;
    /* no blanket rule for loopback any more */
    assert_int_equal(vouch_registry_new(&reg, NULL, NULL), 0);
    assert_false(vouch__registry_is_insecure(reg, "127.0.0.1:5000"));
    assert_false(vouch__registry_is_insecure(reg, "localhost"));
    assert_false(vouch__registry_is_insecure(reg, "[::1]:5000"));
    vouch_registry_free(reg);

    opts.insecure_hosts = list;
    assert_int_equal(vouch_registry_new(&reg, &opts, NULL), 0);
    assert_true(vouch__registry_is_insecure(reg, "127.0.0.1:5000"));
    assert_false(vouch__registry_is_insecure(reg, "127.0.0.1:5001"));
    assert_true(vouch__registry_is_insecure(reg, "reg.internal"));
    assert_true(vouch__registry_is_insecure(reg, "reg.internal:8080"));
    assert_false(vouch__registry_is_insecure(reg, "gcr.io"));
    vouch_registry_free(reg);
}

/* ---- error codes ---- */

static void test_registry_rules_error_code_never_text(void **state)
{
    (void)state;
    assert_string_equal(vouch__registry_error_code(S(
        "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\","
        "\"message\":\"manifest unknown\"},{\"code\":\"DENIED\"}]}")),
        "MANIFEST_UNKNOWN");
    assert_string_equal(vouch__registry_error_code(S(
        "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\"}]}")), "TOOMANYREQUESTS");
    /* a code vouch does not know could carry anything: not repeated */
    assert_null(vouch__registry_error_code(S(
        "{\"errors\":[{\"code\":\"SECRET_INTERNAL_DATA\"}]}")));
    assert_null(vouch__registry_error_code(S(
        "{\"errors\":[{\"code\":\"DENIED\\u0000x\"}]}")));
    assert_null(vouch__registry_error_code(S(
        "{\"errors\":[{\"message\":\"SECRET\"}]}")));
    assert_null(vouch__registry_error_code(S("<html>502</html>")));
    assert_null(vouch__registry_error_code(S("{\"errors\":[]}")));
    assert_null(vouch__registry_error_code(S("{\"errors\":{}}")));
    assert_null(vouch__registry_error_code(NULL, 0));
    /* reads exactly len bytes */
    assert_null(vouch__registry_error_code(
        "{\"errors\":[{\"code\":\"DENIED\"}]}", 10));
}

/* ---- retry-after ---- */

static void test_registry_rules_retry_after(void **state)
{
    const time_t now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */

    (void)state;
    assert_int_equal(vouch__retry_after_ms(S("0"), now), 0);
    assert_int_equal(vouch__retry_after_ms(S("2"), now), 2000);
    assert_int_equal(vouch__retry_after_ms(S("120"), now), 120000);
    assert_int_equal(vouch__retry_after_ms(S("99999999999999999999"), now),
                     VOUCH__RETRY_AFTER_MAX_S * 1000L);
    assert_int_equal(vouch__retry_after_ms(S("Wed, 21 Oct 2015 07:28:30 GMT"),
                                           now), 30000);
    assert_int_equal(vouch__retry_after_ms(S("Wed, 21 Oct 2015 07:00:00 GMT"),
                                           now), 0);
    assert_int_equal(vouch__retry_after_ms(S("Fri, 31 Dec 2100 00:00:00 GMT"),
                                           now),
                     VOUCH__RETRY_AFTER_MAX_S * 1000L);
    assert_int_equal(vouch__retry_after_ms(S(""), now), -1);
    assert_int_equal(vouch__retry_after_ms(S("-1"), now), -1);
    assert_int_equal(vouch__retry_after_ms(S("1.5"), now), -1);
    assert_int_equal(vouch__retry_after_ms(S("soon"), now), -1);
    assert_int_equal(vouch__retry_after_ms("5\0" "5", 3, now), -1);
    /* reads exactly len bytes */
    assert_int_equal(vouch__retry_after_ms("12345", 2, now), 12000);
}

/* ---- flights ---- */

typedef struct follower {
    vouch__flights *fs;
    vouch__flight *f;
    int rc;
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err;
} follower;

static void *follow_flight(void *arg)
{
    follower *w = arg;

    w->rc = vouch__flight_wait(w->fs, w->f, w->digest, &w->err);
    return NULL;
}

static void test_registry_rules_flight_shares_answer(void **state)
{
    vouch__flights *fs = NULL;
    vouch__flight *lead = NULL;
    vouch__flight *other = NULL;
    follower w[3];
    pthread_t t[3];
    bool leader = false;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch__flights_new(&fs), 0);
    assert_int_equal(vouch__flight_join(fs, "k", &lead, &leader), 0);
    assert_true(leader);
    /* another key flies on its own */
    assert_int_equal(vouch__flight_join(fs, "k2", &other, &leader), 0);
    assert_true(leader);
    for (int i = 0; i < 3; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].fs = fs;
        assert_int_equal(vouch__flight_join(fs, "k", &w[i].f, &leader), 0);
        assert_false(leader);
        assert_ptr_equal(w[i].f, lead);
        assert_int_equal(pthread_create(&t[i], NULL, follow_flight, &w[i]),
                         0);
    }
    assert_int_equal(vouch__flights_waiting(fs), 3);
    err.code = VOUCH_EIO;
    snprintf(err.message, sizeof(err.message), "registry r unreachable");
    vouch__flight_land(fs, lead, VOUCH_EIO, "", &err);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].rc, VOUCH_EIO);
        assert_string_equal(w[i].digest, "");
        assert_string_equal(w[i].err.message, "registry r unreachable");
    }
    assert_int_equal(vouch__flights_waiting(fs), 0);
    /* landed: the next join starts a new flight */
    assert_int_equal(vouch__flight_join(fs, "k", &lead, &leader), 0);
    assert_true(leader);
    vouch__flight_land(fs, lead, 0, "sha256:x", NULL);
    vouch__flight_land(fs, other, 0, "sha256:y", NULL);
    vouch__flights_free(fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_rules_ipv4_ranges),
        cmocka_unit_test(test_registry_rules_ipv6_ranges),
        cmocka_unit_test(test_registry_rules_other_families_refused),
        cmocka_unit_test(test_registry_rules_host_split),
        cmocka_unit_test(test_registry_rules_match),
        cmocka_unit_test(test_registry_rules_insecure_is_explicit),
        cmocka_unit_test(test_registry_rules_error_code_never_text),
        cmocka_unit_test(test_registry_rules_retry_after),
        cmocka_unit_test(test_registry_rules_flight_shares_answer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
