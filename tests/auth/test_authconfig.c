/*
 * Tests of the auth config (src/auth/authconfig.c, authconfig_load.c,
 * authslot.c, member.c).
 *
 *   parse: a full config; every kind of mistake with FILE:LINE:COL and the
 *          field path; member forms and their normalisation
 *   load:  files named by the config (CA file, file:// JWKS)
 *   slot:  swapping while readers hold the old config, from many threads
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "authconfig.h"
#include "member.h"

#define HASH_A \
    "9c220f200955d76c0a38d308225e0ef10c5f971acaf2f8d1d8f732affa5bd1dc"
#define HASH_B \
    "948b8c2427cd29047839b8e4a27a08763f8befbafa86be5cce8e46217d75e58a"

static const char good[] =
    "{\n"
    "  \"tokens\": [{\"principal\": \"user:Alice@Example.com\",\n"
    "              \"sha256\": \"" HASH_A "\"},\n"
    "             {\"principal\": \"serviceAccount:ci@example.com\",\n"
    "              \"sha256\": \"" HASH_B "\"}],\n"
    "  \"oidc\": [{\"issuer\": \"https://ci.example.com\",\n"
    "            \"audience\": \"vouch\",\n"
    "            \"jwks\": \"file:///etc/vouch/ci-jwks.json\"},\n"
    "           {\"issuer\": \"https://k8s.example.com:6443/realm\",\n"
    "            \"audience\": \"vouch\",\n"
    "            \"jwks\": {\"url\": \"https://k8s.example.com/jwks\",\n"
    "                     \"ca\": \"/etc/vouch/k8s-ca.pem\"}}],\n"
    "  \"groups\": {\"group:sre@example.com\": [\"user:alice@example.com\",\n"
    "              \"principal://ci.example.com/subject/repo:a/b\"]},\n"
    "  \"owners\": [\"user:bob@example.com\", \"group:sre@example.com\"]\n"
    "}\n";

static vouch_auth_config *parse_ok(const char *doc)
{
    vouch_auth_config *cfg = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char buf[512];

    if (vouch_auth_config_parse(&cfg, doc, strlen(doc), "auth.json",
                                &err) != 0) {
        vouch_error_format(&err, buf, sizeof(buf));
        fail_msg("unexpected error: %s", buf);
    }
    return cfg;
}

/* Parse `doc`, expect `code`, and the formatted error to be `want`. */
static void expect_error(const char *doc, int code, const char *want)
{
    vouch_auth_config *cfg = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char buf[512];

    assert_int_equal(vouch_auth_config_parse(&cfg, doc, strlen(doc),
                                             "auth.json", &err),
                     code);
    assert_null(cfg);
    vouch_error_format(&err, buf, sizeof(buf));
    if (strstr(buf, want) == NULL) {
        fail_msg("error \"%s\" does not contain \"%s\"", buf, want);
    }
}

/* ---- parse ------------------------------------------------------------ */

static void test_authconfig_parse_full(void **state)
{
    vouch_auth_config *cfg = parse_ok(good);

    (void)state;
    assert_int_equal(vouch_auth_config_token_count(cfg), 2);
    assert_int_equal(vouch_auth_config_issuer_count(cfg), 2);
    assert_int_equal(vouch_auth_config_group_count(cfg), 1);
    assert_int_equal(vouch_auth_config_owner_count(cfg), 2);
    /* e-mail addresses are compared in lower case */
    assert_true(vouch_auth_config_in_group(cfg, "group:sre@example.com",
                                           "user:alice@example.com"));
    assert_true(vouch_auth_config_in_group(
        cfg, "group:sre@example.com",
        "principal://ci.example.com/subject/repo:a/b"));
    assert_false(vouch_auth_config_in_group(cfg, "group:sre@example.com",
                                            "user:bob@example.com"));
    assert_false(vouch_auth_config_in_group(cfg, "group:none@example.com",
                                            "user:alice@example.com"));
    /* owners: directly, and through a group */
    assert_true(vouch_auth_config_is_owner(cfg, "user:bob@example.com"));
    assert_true(vouch_auth_config_is_owner(cfg, "user:alice@example.com"));
    assert_false(vouch_auth_config_is_owner(cfg, "user:eve@example.com"));
    assert_false(vouch_auth_config_is_owner(cfg, NULL));
    vouch_auth_config_free(cfg);
}

static void test_authconfig_parse_empty_parts(void **state)
{
    vouch_auth_config *cfg = parse_ok("{\"tokens\": [], \"oidc\": []}");

    (void)state;
    assert_int_equal(vouch_auth_config_token_count(cfg), 0);
    assert_false(vouch_auth_config_is_owner(cfg, "user:a@b.c"));
    vouch_auth_config_free(cfg);
    expect_error("", VOUCH_EPARSE, "auth.json: the document is empty");
    expect_error("[]", VOUCH_EINVAL, "auth.json: expected a mapping");
}

static void test_authconfig_parse_syntax_error(void **state)
{
    (void)state;
    expect_error("{\n  \"tokens\": [\n}\n", VOUCH_EPARSE, "auth.json:3:1:");
    expect_error("{\"owners\": [], \"owners\": []}", VOUCH_EPARSE,
                 "auth.json:1:");
}

static void test_authconfig_parse_unknown_fields(void **state)
{
    (void)state;
    expect_error("{\n  \"token\": []\n}", VOUCH_EINVAL,
                 "auth.json:2:4: token: unknown field");
    expect_error("{\"tokens\": [{\"principal\": \"user:a@b.c\",\n"
                 "  \"sha256\": \"" HASH_A "\", \"secret\": \"x\"}]}",
                 VOUCH_EINVAL, "auth.json:2:82: tokens[0].secret: unknown "
                               "field");
    expect_error("{\"oidc\": [{\"issuer\": \"https://a.example\",\n"
                 "  \"audiences\": [\"x\"]}]}",
                 VOUCH_EINVAL, "auth.json:2:4: oidc[0].audiences: unknown "
                               "field");
    expect_error("{\"oidc\": [{\"issuer\": \"https://a.example\", "
                 "\"audience\": \"v\",\n \"jwks\": {\"url\": "
                 "\"https://a.example/k\", \"cafile\": \"/x\"}}]}",
                 VOUCH_EINVAL,
                 "auth.json:2:42: oidc[0].jwks.cafile: unknown field");
}

static void test_authconfig_parse_bad_sha256(void **state)
{
    (void)state;
    expect_error("{\"tokens\": [{\"principal\": \"user:a@b.c\",\n"
                 "  \"sha256\": \"abc\"}]}",
                 VOUCH_EINVAL,
                 "auth.json:2:14: tokens[0].sha256: expected 64 hex digits "
                 "(the SHA-256 of the token), found 3 characters");
    expect_error("{\"tokens\": [{\"principal\": \"user:a@b.c\",\n"
                 "  \"sha256\": \"" "9c220f200955d76c0a38d308225e0ef10c5f"
                 "971acaf2f8d1d8f732affa5bd1zz\"}]}",
                 VOUCH_EINVAL, "tokens[0].sha256: expected 64 hex digits "
                               "(the SHA-256 of the token); character 63 is "
                               "not hex");
    expect_error("{\"tokens\": [{\"principal\": \"user:a@b.c\",\n"
                 "  \"sha256\": 5}]}",
                 VOUCH_EINVAL, "auth.json:2:13: tokens[0].sha256: expected "
                               "a string");
    expect_error("{\"tokens\": [{\"principal\": \"user:a@b.c\", \"sha256\": \""
                 HASH_A "\"},\n {\"principal\": \"user:b@b.c\", \"sha256\": \""
                 HASH_A "\"}]}",
                 VOUCH_EINVAL, "auth.json:2:41: tokens[1].sha256: the same "
                               "token hash as tokens[0]");
    expect_error("{\"tokens\": [{\"principal\": \"user:a@b.c\"}]}",
                 VOUCH_EINVAL, "auth.json:1:15: tokens[0]: sha256 is "
                               "required");
}

static void test_authconfig_parse_bad_principal(void **state)
{
    (void)state;
    expect_error("{\"tokens\": [{\n  \"principal\": \"alice@example.com\", "
                 "\"sha256\": \"" HASH_A "\"}]}",
                 VOUCH_EINVAL,
                 "auth.json:2:17: tokens[0].principal: not a member; "
                 "expected user:EMAIL, serviceAccount:EMAIL or "
                 "principal://HOST/subject/SUBJECT");
    expect_error("{\"tokens\": [{\n  \"principal\": \"group:sre@example.com\","
                 " \"sha256\": \"" HASH_A "\"}]}",
                 VOUCH_EINVAL,
                 "tokens[0].principal: group:EMAIL is not allowed here");
    expect_error("{\"tokens\": [{\n  \"principal\": \"user:not an email\", "
                 "\"sha256\": \"" HASH_A "\"}]}",
                 VOUCH_EINVAL,
                 "tokens[0].principal: user:EMAIL needs a valid e-mail "
                 "address");
    expect_error("{\"groups\": {\"group:g@x.io\": [\"allUsers\"]}}",
                 VOUCH_EINVAL,
                 "auth.json:1:31: groups.group:g@x.io[0]: allUsers is not "
                 "allowed here");
    expect_error("{\"groups\": {\"sre\": []}}", VOUCH_EINVAL,
                 "auth.json:1:14: groups.sre: not a member; expected "
                 "group:EMAIL");
    expect_error("{\"owners\": [\"allAuthenticatedUsers\"]}", VOUCH_EINVAL,
                 "auth.json:1:14: owners[0]: allAuthenticatedUsers is not "
                 "allowed here");
    expect_error("{\"owners\": [\"group:nobody@x.io\"]}", VOUCH_EINVAL,
                 "owners: group:nobody@x.io is not defined in \"groups\"");
    expect_error("{\"groups\": {\"group:G@x.io\": [], \"group:g@x.io\": []}}",
                 VOUCH_EINVAL,
                 "auth.json:1:34: groups.group:g@x.io: the same group as an "
                 "earlier key");
}

static void test_authconfig_parse_bad_oidc(void **state)
{
    (void)state;
    expect_error("{\"oidc\": [\n  {\"audience\": \"vouch\", \"jwks\": "
                 "\"file:///k.json\"}]}",
                 VOUCH_EINVAL, "auth.json:2:5: oidc[0]: issuer is required");
    expect_error("{\"oidc\": [\n  {\"issuer\": \"https://a.example\", "
                 "\"jwks\": \"file:///k.json\"}]}",
                 VOUCH_EINVAL, "auth.json:2:5: oidc[0]: audience is "
                               "required");
    expect_error("{\"oidc\": [\n  {\"issuer\": \"https://a.example\", "
                 "\"audience\": \"v\"}]}",
                 VOUCH_EINVAL, "auth.json:2:5: oidc[0]: jwks is required");
    expect_error("{\"oidc\": [{\"issuer\": \"http://a.example\", "
                 "\"audience\": \"v\", \"jwks\": \"file:///k\"}]}",
                 VOUCH_EINVAL, "auth.json:1:23: oidc[0].issuer: expected an "
                               "https://HOST URL");
    expect_error("{\"oidc\": [{\"issuer\": \"https://a.example\", "
                 "\"audience\": \"\", \"jwks\": \"file:///k\"}]}",
                 VOUCH_EINVAL, "oidc[0].audience: expected a non-empty");
    expect_error("{\"oidc\": [{\"issuer\": \"https://a.example/a b\", "
                 "\"audience\": \"v\", \"jwks\": \"file:///k\"}]}",
                 VOUCH_EINVAL, "auth.json:1:23: oidc[0].issuer: expected an "
                               "https:// URL without spaces");
    expect_error("{\"oidc\": [{\"issuer\": \"https://a.example\", "
                 "\"audience\": \"v\", \"jwks\": \"file:///k l\"}]}",
                 VOUCH_EINVAL, "oidc[0].jwks: expected a file:///PATH or "
                               "https:// URL without spaces");
}

static void test_authconfig_parse_duplicate_issuer(void **state)
{
    (void)state;
    expect_error("{\"oidc\": [\n"
                 "  {\"issuer\": \"https://a.example\", \"audience\": \"v\", "
                 "\"jwks\": \"file:///k\"},\n"
                 "  {\"issuer\": \"https://a.example\", \"audience\": \"w\", "
                 "\"jwks\": \"file:///l\"}]}",
                 VOUCH_EINVAL,
                 "auth.json:3:15: oidc[1].issuer: duplicate issuer: oidc[0] "
                 "has the same issuer");
    /* two issuers on one host would give the same principal:// names */
    expect_error("{\"oidc\": [\n"
                 "  {\"issuer\": \"https://a.example/one\", \"audience\": "
                 "\"v\", \"jwks\": \"file:///k\"},\n"
                 "  {\"issuer\": \"https://A.example/two\", \"audience\": "
                 "\"v\", \"jwks\": \"file:///l\"}]}",
                 VOUCH_EINVAL,
                 "auth.json:3:15: oidc[1].issuer: oidc[0] has an issuer on "
                 "the same host a.example");
}

static void test_authconfig_parse_jwks_forms(void **state)
{
    (void)state;
    expect_error("{\"oidc\": [{\"issuer\": \"https://a.example\", "
                 "\"audience\": \"v\",\n  \"jwks\": "
                 "\"http://a.example/jwks\"}]}",
                 VOUCH_EINVAL,
                 "auth.json:2:12: oidc[0].jwks: plain http is refused");
    expect_error("{\"oidc\": [{\"issuer\": \"https://a.example\", "
                 "\"audience\": \"v\",\n  \"jwks\": {\"url\": "
                 "\"http://a.example/jwks\"}}]}",
                 VOUCH_EINVAL,
                 "auth.json:2:20: oidc[0].jwks.url: plain http is refused");
    expect_error("{\"oidc\": [{\"issuer\": \"https://a.example\", "
                 "\"audience\": \"v\", \"jwks\": \"file://rel/k.json\"}]}",
                 VOUCH_EINVAL, "oidc[0].jwks: a file:// JWKS needs an "
                               "absolute path");
    expect_error("{\"oidc\": [{\"issuer\": \"https://a.example\", "
                 "\"audience\": \"v\", \"jwks\": \"ftp://a.example/k\"}]}",
                 VOUCH_EINVAL, "oidc[0].jwks: expected a file:///PATH or "
                               "https://HOST/");
    expect_error("{\"oidc\": [{\"issuer\": \"https://a.example\", "
                 "\"audience\": \"v\", \"jwks\": {\"url\": "
                 "\"https://a.example/k\", \"ca\": \"ca.pem\"}}]}",
                 VOUCH_EINVAL, "oidc[0].jwks.ca: expected an absolute path");
    expect_error("{\"oidc\": [{\"issuer\": \"https://a.example\", "
                 "\"audience\": \"v\", \"jwks\": {\"url\": "
                 "\"file:///k.json\", \"ca\": \"/ca.pem\"}}]}",
                 VOUCH_EINVAL, "oidc[0].jwks.ca: \"ca\" only applies to an "
                               "https:// JWKS");
    expect_error("{\"oidc\": [{\"issuer\": \"https://a.example\", "
                 "\"audience\": \"v\", \"jwks\": {\"ca\": \"/ca.pem\"}}]}",
                 VOUCH_EINVAL, "oidc[0].jwks: url is required");
}

/* ---- member forms ------------------------------------------------------- */

static void expect_member(const char *in, unsigned allowed, const char *want)
{
    char *out = NULL;
    char why[256] = "";
    int rc = vouch__member_parse(in, strlen(in), allowed, &out, NULL, why,
                                 sizeof(why));

    if (want == NULL) {
        assert_int_equal(rc, VOUCH_EINVAL);
        assert_null(out);
        assert_true(why[0] != '\0');
        return;
    }
    if (rc != 0) {
        fail_msg("%s: %s", in, why);
    }
    assert_string_equal(out, want);
    free(out);
}

static void test_member_forms(void **state)
{
    (void)state;
    expect_member("user:Alice@Example.COM", VOUCH_MEMBERS_ALL,
                  "user:alice@example.com");
    expect_member("serviceAccount:ci@p.iam.gserviceaccount.com",
                  VOUCH_MEMBERS_ALL,
                  "serviceAccount:ci@p.iam.gserviceaccount.com");
    expect_member("group:SRE@x.io", VOUCH_MEMBERS_ALL, "group:sre@x.io");
    expect_member("principal://CI.example.com:8443/subject/Repo:A/b",
                  VOUCH_MEMBERS_ALL,
                  "principal://ci.example.com:8443/subject/Repo:A/b");
    expect_member("allUsers", VOUCH_MEMBERS_ALL, "allUsers");
    expect_member("allAuthenticatedUsers", VOUCH_MEMBERS_ALL,
                  "allAuthenticatedUsers");
    expect_member("User:a@b.c", VOUCH_MEMBERS_ALL, NULL);
    expect_member("user:", VOUCH_MEMBERS_ALL, NULL);
    expect_member("user:a@", VOUCH_MEMBERS_ALL, NULL);
    expect_member("user:a b@c.d", VOUCH_MEMBERS_ALL, NULL);
    expect_member("user:a..b@c.d", VOUCH_MEMBERS_ALL, NULL);
    expect_member("domain:example.com", VOUCH_MEMBERS_ALL, NULL);
    expect_member("deleted:user:a@b.c", VOUCH_MEMBERS_ALL, NULL);
    expect_member("principal://h/subject/", VOUCH_MEMBERS_ALL, NULL);
    expect_member("principal://h/sub/x", VOUCH_MEMBERS_ALL, NULL);
    expect_member("principal://h/subject/a b", VOUCH_MEMBERS_ALL, NULL);
    expect_member("principal:///subject/a", VOUCH_MEMBERS_ALL, NULL);
    expect_member("allusers", VOUCH_MEMBERS_ALL, NULL);
    expect_member("allUsers", VOUCH_MEMBERS_IDENTITIES, NULL);
}

/* ---- load --------------------------------------------------------------- */

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int load(const char *name, vouch_auth_config **cfg, char *msg,
                size_t size)
{
    char path[256];
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    rc = vouch_auth_config_load(cfg, path, &err);
    vouch_error_format(&err, msg, size);
    return rc;
}

static void test_authconfig_load_files(void **state)
{
    vouch_auth_config *cfg = NULL;
    char doc[1024];
    char msg[600];
    char want[300];

    (void)state;
    write_file("jwks.json", "{\"keys\": []}");
    snprintf(doc, sizeof(doc),
             "{\"oidc\": [{\"issuer\": \"https://a.example\", "
             "\"audience\": \"v\",\n  \"jwks\": \"file://%s/jwks.json\"}]}",
             tmpdir);
    write_file("good.json", doc);
    assert_int_equal(load("good.json", &cfg, msg, sizeof(msg)), 0);
    assert_int_equal(vouch_auth_config_issuer_count(cfg), 1);
    vouch_auth_config_free(cfg);

    /* a missing file:// JWKS fails the load, at the "jwks" field */
    snprintf(doc, sizeof(doc),
             "{\"oidc\": [{\"issuer\": \"https://a.example\", "
             "\"audience\": \"v\",\n  \"jwks\": \"file://%s/none.json\"}]}",
             tmpdir);
    write_file("missing.json", doc);
    assert_int_equal(load("missing.json", &cfg, msg, sizeof(msg)),
                     VOUCH_EIO);
    assert_null(cfg);
    snprintf(want, sizeof(want), "%s/missing.json:2:12: oidc[0].jwks: "
             "%s/none.json: cannot open: No such file", tmpdir, tmpdir);
    if (strstr(msg, want) == NULL) {
        fail_msg("%s does not contain %s", msg, want);
    }

    /* a JWKS that does not parse fails too */
    write_file("bad-jwks.json", "{\"keys\": [{\"kty\": \"EC\", \"kid\": "
                                "\"k\", \"crv\": \"P-256\", \"x\": \"AA\", "
                                "\"y\": \"AA\"}]}");
    snprintf(doc, sizeof(doc),
             "{\"oidc\": [{\"issuer\": \"https://a.example\", "
             "\"audience\": \"v\",\n  \"jwks\": \"file://%s/bad-jwks.json\""
             "}]}", tmpdir);
    write_file("badjwks.json", doc);
    assert_int_equal(load("badjwks.json", &cfg, msg, sizeof(msg)),
                     VOUCH_EIO);
    assert_non_null(strstr(msg, "oidc[0].jwks: "));
    assert_non_null(strstr(msg, "keys[0].x: expected 32 bytes, found 1"));

    /* an unreadable CA file */
    write_file("ca.json", "{\"oidc\": [{\"issuer\": \"https://a.example\", "
                          "\"audience\": \"v\",\n  \"jwks\": {\"url\": "
                          "\"https://a.example/k\", \"ca\": "
                          "\"/nonexistent/ca.pem\"}}]}");
    assert_int_equal(load("ca.json", &cfg, msg, sizeof(msg)), VOUCH_EIO);
    assert_non_null(strstr(msg, "ca.json:2:13: oidc[0].jwks: "
                                "/nonexistent/ca.pem: cannot open"));

    /* the config file itself; errors name it */
    assert_int_equal(load("nothere.json", &cfg, msg, sizeof(msg)),
                     VOUCH_EIO);
    assert_non_null(strstr(msg, "nothere.json: cannot open"));
    write_file("syntax.json", "{\n\"owners\": [1]\n}");
    assert_int_equal(load("syntax.json", &cfg, msg, sizeof(msg)),
                     VOUCH_EINVAL);
    snprintf(want, sizeof(want), "%s/syntax.json:2:12: owners[0]: expected "
             "a string, found a number", tmpdir);
    assert_string_equal(msg, want);
}

static void test_authconfig_token_hash(void **state)
{
    char hex[65];

    (void)state;
    /* printf 'alice-token' | sha256sum */
    vouch_auth_token_hash_hex("alice-token", 11, hex);
    assert_string_equal(hex, HASH_A);
}

/* ---- slot --------------------------------------------------------------- */

static void test_authconfig_slot_swap(void **state)
{
    vouch_auth_slot *slot = NULL;
    vouch_auth_config *a = parse_ok("{\"owners\": [\"user:a@x.io\"]}");
    vouch_auth_config *b = parse_ok("{\"owners\": [\"user:b@x.io\"]}");
    vouch_auth_config *held;
    vouch_auth_config *now;

    (void)state;
    assert_int_equal(vouch_auth_slot_new(&slot, NULL, NULL), 0);
    assert_null(vouch_auth_slot_get(slot));
    vouch_auth_slot_swap(slot, a);
    held = vouch_auth_slot_get(slot);            /* a request starts */
    assert_true(vouch_auth_config_is_owner(held, "user:a@x.io"));
    vouch_auth_slot_swap(slot, b);               /* SIGHUP */
    /* the request still sees the config it started with */
    assert_true(vouch_auth_config_is_owner(held, "user:a@x.io"));
    now = vouch_auth_slot_get(slot);
    assert_true(vouch_auth_config_is_owner(now, "user:b@x.io"));
    assert_false(vouch_auth_config_is_owner(now, "user:a@x.io"));
    vouch_auth_config_free(held);                /* frees a */
    vouch_auth_config_free(now);
    vouch_auth_slot_free(slot);                  /* frees b */
}

typedef struct swap_state {
    vouch_auth_slot *slot;
    int iterations;
    int bad;
} swap_state;

static void *reader(void *arg)
{
    swap_state *s = arg;
    int i;

    for (i = 0; i < s->iterations; i++) {
        vouch_auth_config *cfg = vouch_auth_slot_get(s->slot);

        /* every config ever put in the slot has exactly one owner */
        if (cfg == NULL || vouch_auth_config_owner_count(cfg) != 1) {
            __atomic_add_fetch(&s->bad, 1, __ATOMIC_RELAXED);
        }
        vouch_auth_config_free(cfg);
    }
    return NULL;
}

static void test_authconfig_slot_threads(void **state)
{
    static const char owner_a[] = "{\"owners\": [\"user:a@x.io\"]}";
    static const char owner_b[] = "{\"owners\": [\"user:b@x.io\"]}";
    swap_state s = { NULL, 20000, 0 };
    pthread_t threads[4];
    int i;

    (void)state;
    assert_int_equal(vouch_auth_slot_new(&s.slot,
                                         parse_ok("{\"owners\": "
                                                  "[\"user:a@x.io\"]}"),
                                         NULL),
                     0);
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, reader, &s), 0);
    }
    for (i = 0; i < 2000; i++) {
        vouch_auth_slot_swap(s.slot, parse_ok(i % 2 ? owner_a : owner_b));
    }
    for (i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
    }
    assert_int_equal(s.bad, 0);
    vouch_auth_slot_free(s.slot);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/vouch-authconfig-XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authconfig_parse_full),
        cmocka_unit_test(test_authconfig_parse_empty_parts),
        cmocka_unit_test(test_authconfig_parse_syntax_error),
        cmocka_unit_test(test_authconfig_parse_unknown_fields),
        cmocka_unit_test(test_authconfig_parse_bad_sha256),
        cmocka_unit_test(test_authconfig_parse_bad_principal),
        cmocka_unit_test(test_authconfig_parse_bad_oidc),
        cmocka_unit_test(test_authconfig_parse_duplicate_issuer),
        cmocka_unit_test(test_authconfig_parse_jwks_forms),
        cmocka_unit_test(test_member_forms),
        cmocka_unit_test(test_authconfig_load_files),
        cmocka_unit_test(test_authconfig_token_hash),
        cmocka_unit_test(test_authconfig_slot_swap),
        cmocka_unit_test(test_authconfig_slot_threads),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
