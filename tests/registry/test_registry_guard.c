/*
 * The attacks of the security review, performed against the registry
 * client (vouch_registry_resolve) with the servers of live.h; each test
 * fails on the client as it was before the fix.
 *
 * Sections:
 *   addresses   a default client dials no loopback, link-local or private
 *               address: not by IP, not by a name resolving there, not
 *               through a redirect; the lists open exactly what they name
 *   answers     a registry's error text never reaches the caller; every
 *               transport failure reads the same (no port scanner)
 *   realms      basic credentials never go over plain http to a realm on
 *               another host or port
 *
 * The fake registry (fake_registry.py) serves the redirects, the secrets
 * in error bodies and the realms on other ports: docker-registry does none
 * of these on purpose. Names resolving to chosen addresses come from
 * vouch__registry_test_resolve (curl's CURLOPT_RESOLVE), as no DNS server
 * can run here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "live.h"
#include "registry.h"
#include "registry_internal.h"

#define NOT_LISTED \
    "a loopback, link-local or private address, which vouchd reaches " \
    "only for hosts listed with --registry-allow or --registry-insecure"

/* Resolve `image` with `reg`: must be refused as NOT_LISTED for `peer`. */
static void expect_refused(vouch_registry *reg, const char *image,
                           const char *peer)
{
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char want[300];
    vouch_error err = VOUCH_ERROR_INIT;

    assert_int_equal(vouch_registry_resolve(reg, image, strlen(image), 0,
                                            digest, &err), VOUCH_EINVAL);
    snprintf(want, sizeof(want), "registry %s is on " NOT_LISTED, peer);
    assert_string_equal(err.message, want);
    assert_string_equal(digest, "");
}

/* ---- addresses ---- */

static void test_guard_loopback_ports_closed_by_default(void **state)
{
    vouch_registry *reg = bare_client();
    char image[256];
    json_int_t before = fake_count("/v2/nodigest/app/manifests/1.0");
    json_int_t probes = fake_probe();

    (void)state;
    /* the attack: make vouchd talk to any loopback port */
    snprintf(image, sizeof(image), "%s/nodigest/app:1.0",
             env("VOUCH_REG_FAKE"));
    expect_refused(reg, image, env("VOUCH_REG_FAKE"));
    snprintf(image, sizeof(image), "%s/team/app:1.0", env("VOUCH_REG_PROBE"));
    expect_refused(reg, image, env("VOUCH_REG_PROBE"));
    assert_int_equal(fake_count("/v2/nodigest/app/manifests/1.0"), before);
    assert_int_equal(fake_probe(), probes);
    /* and plain http is for listed hosts only */
    {
        char digest[VOUCH_REGISTRY_DIGEST_SIZE];
        vouch_error err = VOUCH_ERROR_INIT;
        snprintf(image, sizeof(image), "http://%s/nodigest/app:1.0",
                 env("VOUCH_REG_FAKE"));
        assert_int_equal(vouch_registry_resolve(reg, image, strlen(image), 0,
                                                digest, &err), VOUCH_EINVAL);
        assert_non_null(strstr(err.message, "refusing plain http for "
                               "registry "));
    }
    vouch_registry_free(reg);
}

static void test_guard_private_addresses_by_ip(void **state)
{
    vouch_registry *reg = bare_client();

    (void)state;
    /* not dialled at all: none of these would answer within the test */
    expect_refused(reg, "169.254.169.254/latest/meta:data",
                   "169.254.169.254");
    expect_refused(reg, "10.1.2.3/team/app:1.0", "10.1.2.3");
    expect_refused(reg, "192.168.0.1:5000/team/app:1.0", "192.168.0.1:5000");
    expect_refused(reg, "0.0.0.0:5000/team/app:1.0", "0.0.0.0:5000");
    vouch_registry_free(reg);
}

static void test_guard_names_resolving_inside(void **state)
{
    vouch_registry *reg = bare_client();
    char entry[128];
    char image[256];
    char peer[128];
    const char *probe_port = strrchr(env("VOUCH_REG_PROBE"), ':') + 1;
    json_int_t probes = fake_probe();
    static const char *const inside[][2] = {
        { "metadata.test", "169.254.169.254" },
        { "intranet.test", "10.20.30.40" },
        { "cgnat.test", "100.64.1.1" },
        { "linklocal6.test", "[fe80::1]" },
        { "ula.test", "[fd00::1]" },
        { "mapped.test", "[::ffff:127.0.0.1]" },
    };

    (void)state;
    /* a public-looking name that resolves to the probe on loopback */
    snprintf(entry, sizeof(entry), "evil.test:%s:127.0.0.1", probe_port);
    assert_int_equal(vouch__registry_test_resolve(reg, entry), 0);
    for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
        snprintf(entry, sizeof(entry), "%s:%s:%s", inside[i][0], probe_port,
                 inside[i][1]);
        assert_int_equal(vouch__registry_test_resolve(reg, entry), 0);
    }
    snprintf(peer, sizeof(peer), "evil.test:%s", probe_port);
    snprintf(image, sizeof(image), "%s/team/app:1.0", peer);
    expect_refused(reg, image, peer);
    for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
        snprintf(peer, sizeof(peer), "%s:%s", inside[i][0], probe_port);
        snprintf(image, sizeof(image), "%s/team/app:1.0", peer);
        expect_refused(reg, image, peer);
    }
    /* localhost, through the system's own resolver */
    snprintf(peer, sizeof(peer), "localhost:%s", probe_port);
    snprintf(image, sizeof(image), "%s/team/app:1.0", peer);
    expect_refused(reg, image, peer);
    assert_int_equal(fake_probe(), probes);
    vouch_registry_free(reg);
}

static void test_guard_lists_open_what_they_name(void **state)
{
    vouch_registry *reg = client(NULL, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char image[256];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* --registry-allow: https to a loopback address */
    assert_int_equal(resolve(reg, "VOUCH_REG_TLS", "tls/app:1.0", 0, digest,
                             &err), 0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_FAKE"));
    /* ...but not plain http to it */
    snprintf(image, sizeof(image), "http://%s/tls/app:1.0",
             env("VOUCH_REG_TLS"));
    assert_int_equal(vouch_registry_resolve(reg, image, strlen(image), 0,
                                            digest, &err), VOUCH_EINVAL);
    assert_non_null(strstr(err.message, "refusing plain http"));
    /* a port not listed stays closed */
    snprintf(image, sizeof(image), "%s/team/app:1.0", env("VOUCH_REG_PROBE"));
    expect_refused(reg, image, env("VOUCH_REG_PROBE"));
    vouch_registry_free(reg);
}

static void test_guard_redirect_inside_refused(void **state)
{
    vouch_registry *reg = client(NULL, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char want[300];
    vouch_error err = VOUCH_ERROR_INIT;
    json_int_t probes = fake_probe();

    (void)state;
    /* an allowed registry redirects to https://127.0.0.1:PROBE/... */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "redirect-probe/app:1.0",
                             0, digest, &err), VOUCH_EINVAL);
    snprintf(want, sizeof(want), "registry %s redirected manifests/1.0 of "
             "redirect-probe/app to %s, which is on " NOT_LISTED,
             env("VOUCH_REG_FAKE"), env("VOUCH_REG_PROBE"));
    assert_string_equal(err.message, want);
    assert_int_equal(fake_probe(), probes);
    vouch_registry_free(reg);
}

static void test_guard_redirect_keeps_credentials_home(void **state)
{
    vouch_registry *reg = client(env("VOUCH_REG_CREDS"), 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* basic credentials to the registry, then a redirect to another
     * (listed) origin: followed, without the credentials */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "redirect-tls/app:1.0",
                             0, digest, &err), 0);
    assert_string_equal(digest, env("VOUCH_REG_DIGEST_FAKE"));
    assert_string_equal(fake_auth("/v2/redirect-tls/app/manifests/1.0"),
                        "none,basic");
    assert_non_null(strstr(fake_auth("/v2/tls/app/manifests/1.0"), "none"));
    assert_null(strstr(fake_auth("/v2/tls/app/manifests/1.0"), "basic"));
    vouch_registry_free(reg);
}

/* ---- answers ---- */

static void test_guard_error_text_never_repeated(void **state)
{
    vouch_registry *reg = client(NULL, 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char want[300];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* 500 whose message, detail and (unknown) code hold a secret */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "leak/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    snprintf(want, sizeof(want), "registry %s unavailable: answered 500 for "
             "manifests/1.0 of leak/app after 1 attempt",
             env("VOUCH_REG_FAKE"));
    assert_string_equal(err.message, want);
    /* 403 with a known code: the code, not the message */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "denied/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    snprintf(want, sizeof(want), "registry %s answered 403 DENIED for "
             "manifests/1.0 of denied/app", env("VOUCH_REG_FAKE"));
    assert_string_equal(err.message, want);
    assert_null(strstr(err.message, "SECRET"));
    vouch_registry_free(reg);
}

static void test_guard_transport_failures_read_alike(void **state)
{
    vouch_registry *reg = client(NULL, 1, 1500);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    char refused[256];
    char timed_out[256];
    char image[256];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* nothing listens */
    assert_int_equal(resolve(reg, "VOUCH_REG_DEAD", "slow/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    snprintf(refused, sizeof(refused), "%s",
             without_host(err.message, env("VOUCH_REG_DEAD")));
    assert_string_equal(refused, "registry HOST unreachable for "
                        "manifests/1.0 of slow/app");
    /* accepts, never answers */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "slow/app:1.0", 0,
                             digest, &err), VOUCH_EIO);
    snprintf(timed_out, sizeof(timed_out), "%s",
             without_host(err.message, env("VOUCH_REG_FAKE")));
    assert_string_equal(timed_out, refused);
    /* not TLS: the handshake fails */
    snprintf(image, sizeof(image), "https://%s/slow/app:1.0",
             env("VOUCH_REG_FAKE"));
    assert_int_equal(vouch_registry_resolve(reg, image, strlen(image), 0,
                                            digest, &err), VOUCH_EIO);
    assert_string_equal(without_host(err.message, env("VOUCH_REG_FAKE")),
                        refused);
    vouch_registry_free(reg);
}

/* ---- realms ---- */

static void test_guard_realm_on_other_port_gets_no_credentials(void **state)
{
    vouch_registry *reg = client(env("VOUCH_REG_CREDS"), 0, 10000);
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* realm http://127.0.0.1:ALT/othertoken: another port, plain http */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "otherrealm/app:1.0", 0,
                             digest, &err), 0);
    assert_string_equal(fake_auth("/othertoken"), "none");
    /* the registry's own origin over http still gets them */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "private/app:1.0", 0,
                             digest, &err), 0);
    assert_non_null(strstr(fake_auth("/token"), "basic"));
    /* and so does a realm on another port over https */
    assert_int_equal(resolve(reg, "VOUCH_REG_FAKE", "tlsrealm/app:1.0", 0,
                             digest, &err), 0);
    assert_string_equal(fake_auth("/tlstoken"), "basic");
    vouch_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guard_loopback_ports_closed_by_default),
        cmocka_unit_test(test_guard_private_addresses_by_ip),
        cmocka_unit_test(test_guard_names_resolving_inside),
        cmocka_unit_test(test_guard_lists_open_what_they_name),
        cmocka_unit_test(test_guard_redirect_inside_refused),
        cmocka_unit_test(test_guard_redirect_keeps_credentials_home),
        cmocka_unit_test(test_guard_error_text_never_repeated),
        cmocka_unit_test(test_guard_transport_failures_read_alike),
        cmocka_unit_test(test_guard_realm_on_other_port_gets_no_credentials),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
