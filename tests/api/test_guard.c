/*
 * Unit tests for src/api/guard.c (the request guard: docs/security.md,
 * "A web page in the user's browser"). The same checks are performed
 * against a running vouchd by tests/api/test_security.py and, with the
 * exec runtime, by tests/e2e/test_browser_attack.py.
 *
 *   test_guard_host_*     which Host headers name this server
 *   test_guard_origin_*   Origin on methods that change state, CORS
 *   test_guard_type_*     Content-Type of requests with a body
 *   test_guard_config_*   --public-host and --allowed-origin values
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"

static const char *const public_hosts[] = { "vouch.example.com",
                                            "proxy.example:8443" };
static const char *const origins[] = { "https://console.example.com",
                                       "http://localhost:3000" };

static const api_guard_config cfg = {
    "127.0.0.1:8080", 8080, public_hosts, 2, origins, 2, false,
};

/* A GET with this Host and nothing else. */
static api_guard_request get(const char *host)
{
    api_guard_request r;

    memset(&r, 0, sizeof(r));
    r.method = "GET";
    r.host = host;
    return r;
}

/* A POST with a JSON body from `origin` (may be NULL). */
static api_guard_request post(const char *host, const char *origin)
{
    api_guard_request r = get(host);

    r.method = "POST";
    r.origin = origin;
    r.content_type = "application/json";
    r.content_length = "2";
    return r;
}

static api_guard_verdict check(const api_guard_request *r,
                               api_guard_result *out)
{
    return api_guard_check(&cfg, r, out);
}

static void expect_refused(const api_guard_request *r, unsigned http,
                           const char *status, const char *in_message)
{
    api_guard_result out;

    assert_int_equal(check(r, &out), API_GUARD_REFUSE);
    assert_int_equal(out.http, http);
    assert_string_equal(out.status, status);
    if (strstr(out.message, in_message) == NULL) {
        fail_msg("message '%s' does not say '%s'", out.message, in_message);
    }
}

static void expect_pass(const api_guard_request *r)
{
    api_guard_result out;

    if (check(r, &out) != API_GUARD_PASS) {
        fail_msg("refused %s Host %s Origin %s: %s", r->method,
                 r->host != NULL ? r->host : "(none)",
                 r->origin != NULL ? r->origin : "(none)", out.message);
    }
}

static void test_guard_host_names_of_this_server(void **state)
{
    static const char *const ok[] = {
        "127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080",
        "us-central1-run.localhost:8080", "a.b.localhost:8080",
        "[::1]:8080", "vouch.example.com", "vouch.example.com:9999",
        "Vouch.Example.COM:8080", "proxy.example:8443",
    };
    api_guard_request r;

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        r = get(ok[i]);
        expect_pass(&r);
        r = post(ok[i], NULL);
        expect_pass(&r);
    }
}

static void test_guard_host_others_are_misdirected(void **state)
{
    static const char *const bad[] = {
        "evil.example:8080",          /* DNS rebinding: the page's name */
        "evil.example",
        "127.0.0.1:8081",             /* another port */
        "localhost",                  /* port 80, not the bound one */
        "localhost:80",
        "localhost.:8080",
        "xlocalhost:8080",            /* not under .localhost */
        ".localhost:8080",
        "127.0.0.2:8080",
        "[::2]:8080",
        "proxy.example",              /* configured with a port */
        "proxy.example:8444",
        "vouch.example.com.evil:80",
        "127.0.0.1:8080:8080",
        "127.0.0.1:08080x",
        "127.0.0.1:",
        "127.0.0.1:0",
        "127.0.0.1:99999",
        "a b:8080",
        "user@127.0.0.1:8080",
        "[::1:8080",
        "[]:8080",
        "127.0.0.1:8080/",
    };
    api_guard_request r;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = get(bad[i]);
        expect_refused(&r, 421, "INVALID_ARGUMENT",
                       "is not a name of this server");
    }
}

static void test_guard_host_missing_is_400(void **state)
{
    api_guard_request r = get(NULL);

    (void)state;
    expect_refused(&r, 400, "INVALID_ARGUMENT", "Host header is missing");
    r = get("");
    expect_refused(&r, 400, "INVALID_ARGUMENT", "Host header is missing");
}

static void test_guard_host_message_is_printable(void **state)
{
    api_guard_request r = get("\x1b]0;x\x07\xff:8080");
    api_guard_result out;

    (void)state;
    assert_int_equal(check(&r, &out), API_GUARD_REFUSE);
    for (size_t i = 0; out.message[i] != '\0'; i++) {
        assert_true(out.message[i] >= 0x20 && out.message[i] < 0x7f);
    }
}

static void test_guard_host_ipv6_listen(void **state)
{
    api_guard_config six = { "[::1]:9000", 9000, NULL, 0, NULL, 0,
                             false };
    api_guard_request r = get("[::1]:9000");
    api_guard_result out;

    (void)state;
    assert_int_equal(api_guard_check(&six, &r, &out), API_GUARD_PASS);
    r = get("localhost:9000");
    assert_int_equal(api_guard_check(&six, &r, &out), API_GUARD_PASS);
    r = get("127.0.0.1:8080");
    assert_int_equal(api_guard_check(&six, &r, &out), API_GUARD_REFUSE);
    assert_int_equal(out.http, 421);
}

static void test_guard_origin_foreign_cannot_change_state(void **state)
{
    static const char *const methods[] = { "POST", "PUT", "PATCH",
                                           "DELETE", "PROPFIND" };
    static const char *const foreign[] = {
        "http://evil.example", "http://evil.example:8080",
        "null", "http://127.0.0.1:8081", "https://localhost:3000",
        "http://console.example.com", "file://", "http://127.0.0.1:8080/x",
        "",
    };
    api_guard_request r;

    (void)state;
    for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
        for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
            r = post("127.0.0.1:8080", foreign[i]);
            r.method = methods[m];
            expect_refused(&r, 403, "PERMISSION_DENIED", "Origin '");
        }
    }
}

static void test_guard_origin_foreign_may_read_without_cors(void **state)
{
    api_guard_request r = get("127.0.0.1:8080");
    api_guard_result out;

    (void)state;
    r.origin = "http://evil.example";
    assert_int_equal(check(&r, &out), API_GUARD_PASS);
    assert_false(out.cors);
    r.method = "HEAD";
    assert_int_equal(check(&r, &out), API_GUARD_PASS);
    assert_false(out.cors);
    /* Its preflight gets no CORS answer: the router answers it (405). */
    r.method = "OPTIONS";
    r.preflight_method = "POST";
    assert_int_equal(check(&r, &out), API_GUARD_PASS);
    assert_false(out.cors);
}

static void test_guard_origin_own_and_allowed(void **state)
{
    static const struct {
        const char *host;
        const char *origin;
        bool cors;
    } ok[] = {
        { "127.0.0.1:8080", "http://127.0.0.1:8080", false },
        { "localhost:8080", "http://localhost:8080", false },
        { "localhost:8080", "HTTP://LocalHost:8080", false },
        { "[::1]:8080", "http://[::1]:8080", false },
        /* behind a proxy: https on the default port */
        { "vouch.example.com", "https://vouch.example.com", false },
        { "vouch.example.com", "http://vouch.example.com", false },
        { "proxy.example:8443", "https://proxy.example:8443", false },
        { "127.0.0.1:8080", "https://console.example.com", true },
        { "127.0.0.1:8080", "https://console.example.com:443", true },
        { "127.0.0.1:8080", "http://localhost:3000", true },
    };
    api_guard_request r;
    api_guard_result out;

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        r = post(ok[i].host, ok[i].origin);
        r.method = "DELETE";
        if (check(&r, &out) != API_GUARD_PASS) {
            fail_msg("%s from %s: %s", ok[i].host, ok[i].origin,
                     out.message);
        }
        assert_int_equal(out.cors, ok[i].cors);
    }
    /* The own origin is the Host's: another host of this server is not. */
    r = post("localhost:8080", "http://127.0.0.1:8080");
    expect_refused(&r, 403, "PERMISSION_DENIED", "Origin");
}

/* On a TLS port a page of vouchd's own is https: an http:// page of the
 * same host and port is another origin (a plain-HTTP page could only come
 * from somewhere else). */
static void test_guard_origin_own_is_https_on_a_tls_port(void **state)
{
    api_guard_config tls = cfg;
    api_guard_request r;
    api_guard_result out;

    (void)state;
    tls.tls = true;
    r = post("localhost:8080", "https://localhost:8080");
    assert_int_equal(api_guard_check(&tls, &r, &out), API_GUARD_PASS);
    r = post("vouch.example.com", "https://vouch.example.com");
    assert_int_equal(api_guard_check(&tls, &r, &out), API_GUARD_PASS);
    r = post("localhost:8080", "http://localhost:8080");
    assert_int_equal(api_guard_check(&tls, &r, &out), API_GUARD_REFUSE);
    assert_int_equal(out.http, 403);
    assert_non_null(strstr(out.message, "Origin"));
    /* A listed http origin stays listed. */
    r = post("127.0.0.1:8080", "http://localhost:3000");
    assert_int_equal(api_guard_check(&tls, &r, &out), API_GUARD_PASS);
}

static void test_guard_origin_preflight_of_allowed(void **state)
{
    api_guard_request r = get("127.0.0.1:8080");
    api_guard_result out;

    (void)state;
    r.method = "OPTIONS";
    r.origin = "https://console.example.com";
    r.preflight_method = "PATCH";
    assert_int_equal(check(&r, &out), API_GUARD_PREFLIGHT);
    assert_int_equal(out.http, 204);
    assert_true(out.cors);
    /* An OPTIONS that is not a preflight goes on to the router. */
    r.preflight_method = NULL;
    assert_int_equal(check(&r, &out), API_GUARD_PASS);
}

static void test_guard_type_body_must_be_json(void **state)
{
    static const char *const bad[] = {
        "text/plain", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/jsonp",
        "application/json-patch+json", "application", "", " ",
        "text/plain; x=application/json",
    };
    api_guard_request r;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = post("127.0.0.1:8080", NULL);
        r.content_type = bad[i];
        expect_refused(&r, 415, "INVALID_ARGUMENT", "application/json");
    }
    r = post("127.0.0.1:8080", NULL);
    r.content_type = NULL;
    expect_refused(&r, 415, "INVALID_ARGUMENT", "Content-Type ''");
    /* A chunked body counts, on any method. */
    r = get("127.0.0.1:8080");
    r.transfer_encoding = "chunked";
    r.content_type = "text/plain";
    expect_refused(&r, 415, "INVALID_ARGUMENT", "text/plain");
}

static void test_guard_type_json_with_parameters(void **state)
{
    static const char *const ok[] = {
        "application/json", "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8", " application/json ",
        "application/json ; charset=utf-8",
    };
    api_guard_request r;

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        r = post("127.0.0.1:8080", NULL);
        r.content_type = ok[i];
        expect_pass(&r);
    }
    /* No body: no type needed (a POST of nothing, Content-Length 0). */
    r = post("127.0.0.1:8080", NULL);
    r.content_type = NULL;
    r.content_length = "0";
    expect_pass(&r);
    r.content_length = NULL;
    expect_pass(&r);
}

/* What a page in a browser sends, after DNS rebinding or not: the Host
 * check comes first. */
static void test_guard_attack_request_is_refused(void **state)
{
    api_guard_request r = post("evil.example:8080", "http://evil.example");

    (void)state;
    r.content_type = "text/plain";
    expect_refused(&r, 421, "INVALID_ARGUMENT", "evil.example:8080");
    r.origin = "http://evil.example:8080";   /* rebinding: same origin */
    expect_refused(&r, 421, "INVALID_ARGUMENT", "evil.example:8080");
    r.host = "127.0.0.1:8080";
    expect_refused(&r, 403, "PERMISSION_DENIED", "http://evil.example");
    r.origin = NULL;
    expect_refused(&r, 415, "INVALID_ARGUMENT", "text/plain");
}

static void test_guard_config_values(void **state)
{
    static const char *const bad_hosts[] = { "https://x.example", "a b",
                                             "x:0", "", "x:", "x/y" };
    static const char *const bad_origins[] = {
        "console.example.com", "https://console.example.com/",
        "https://x/path", "ftp://x", "null", "https://",
    };
    api_guard_config c = { "127.0.0.1:8080", 8080, NULL, 0, NULL, 0,
                           false };
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(api_guard_config_check(&cfg, &err), 0);
    for (size_t i = 0; i < sizeof(bad_hosts) / sizeof(bad_hosts[0]); i++) {
        c.public_hosts = &bad_hosts[i];
        c.public_host_count = 1;
        assert_int_equal(api_guard_config_check(&c, &err), VOUCH_EINVAL);
        assert_non_null(strstr(err.message, "--public-host"));
    }
    c.public_host_count = 0;
    for (size_t i = 0; i < sizeof(bad_origins) / sizeof(bad_origins[0]);
         i++) {
        c.allowed_origins = &bad_origins[i];
        c.allowed_origin_count = 1;
        assert_int_equal(api_guard_config_check(&c, &err), VOUCH_EINVAL);
        assert_non_null(strstr(err.message, "--allowed-origin"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guard_host_names_of_this_server),
        cmocka_unit_test(test_guard_host_others_are_misdirected),
        cmocka_unit_test(test_guard_host_missing_is_400),
        cmocka_unit_test(test_guard_host_message_is_printable),
        cmocka_unit_test(test_guard_host_ipv6_listen),
        cmocka_unit_test(test_guard_origin_foreign_cannot_change_state),
        cmocka_unit_test(test_guard_origin_foreign_may_read_without_cors),
        cmocka_unit_test(test_guard_origin_own_and_allowed),
        cmocka_unit_test(test_guard_origin_own_is_https_on_a_tls_port),
        cmocka_unit_test(test_guard_origin_preflight_of_allowed),
        cmocka_unit_test(test_guard_type_body_must_be_json),
        cmocka_unit_test(test_guard_type_json_with_parameters),
        cmocka_unit_test(test_guard_attack_request_is_refused),
        cmocka_unit_test(test_guard_config_values),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
