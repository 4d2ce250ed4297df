/*
 * Tests of IAM (src/auth/iam_*.c).
 *
 *   roles:    the table: order, known permissions, owner ⊇ editor ⊇
 *             viewer, every role of issue 11, facts from Google's pages
 *   policy:   parse, normalise, etag, print; mistakes with positions
 *   allowed:  members, groups, allUsers, allAuthenticatedUsers, the
 *             project's grants, owners
 *   test:     testIamPermissions request and response
 *   set:      etag checks, updateMask, policyDelta.bindingDeltas
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "authconfig.h"
#include "iam.h"

static vouch_iam_policy *policy_ok(const char *doc)
{
    vouch_iam_policy *p = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char buf[512];

    if (vouch_iam_policy_parse(&p, doc, strlen(doc), "policy.json",
                               &err) != 0) {
        vouch_error_format(&err, buf, sizeof(buf));
        fail_msg("unexpected error: %s", buf);
    }
    return p;
}

static void expect_policy_error(const char *doc, int code, const char *want)
{
    vouch_iam_policy *p = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char buf[512];

    assert_int_equal(vouch_iam_policy_parse(&p, doc, strlen(doc),
                                            "policy.json", &err),
                     code);
    assert_null(p);
    vouch_error_format(&err, buf, sizeof(buf));
    if (strstr(buf, want) == NULL) {
        fail_msg("\"%s\" does not contain \"%s\"", buf, want);
    }
}

static char *print(const vouch_iam_policy *p)
{
    char *out = NULL;

    assert_int_equal(vouch_iam_policy_print(p, &out, NULL, NULL), 0);
    return out;
}

/* ---- roles -------------------------------------------------------------- */

static const char *const issue_roles[] = {
    "roles/owner", "roles/editor", "roles/viewer",
    "roles/binaryauthorization.policyAdmin",
    "roles/binaryauthorization.policyEditor",
    "roles/binaryauthorization.policyViewer",
    "roles/binaryauthorization.attestorsAdmin",
    "roles/binaryauthorization.attestorsEditor",
    "roles/binaryauthorization.attestorsViewer",
    "roles/binaryauthorization.attestorsVerifier",
    "roles/containeranalysis.admin",
    "roles/containeranalysis.notes.editor",
    "roles/containeranalysis.notes.viewer",
    "roles/containeranalysis.notes.attacher",
    "roles/containeranalysis.occurrences.editor",
    "roles/containeranalysis.occurrences.viewer",
    "roles/run.admin", "roles/run.developer", "roles/run.viewer",
    "roles/logging.viewer", "roles/orgpolicy.policyAdmin",
    "roles/monitoring.viewer",
};

static void assert_superset(const char *big, const char *small)
{
    size_t n = 0;
    size_t i;
    const char *const *perms = vouch_iam_role_permissions(small, &n);

    assert_non_null(perms);
    for (i = 0; i < n; i++) {
        if (!vouch_iam_role_grants(big, perms[i])) {
            fail_msg("%s lacks %s of %s", big, perms[i], small);
        }
    }
}

static void test_roles_table(void **state)
{
    size_t i;
    size_t j;

    (void)state;
    for (i = 0; i < sizeof(issue_roles) / sizeof(issue_roles[0]); i++) {
        if (!vouch_iam_role_exists(issue_roles[i])) {
            fail_msg("missing role %s", issue_roles[i]);
        }
    }
    for (i = 0; i < vouch_iam_permission_count(); i++) {
        bool granted = false;

        if (i > 0) {
            assert_true(strcmp(vouch_iam_permission_name(i - 1),
                               vouch_iam_permission_name(i)) < 0);
        }
        for (j = 0; j < vouch_iam_role_count() && !granted; j++) {
            granted = vouch_iam_role_grants(vouch_iam_role_name(j),
                                            vouch_iam_permission_name(i));
        }
        if (!granted) {
            fail_msg("no role grants %s", vouch_iam_permission_name(i));
        }
    }
    for (i = 0; i < vouch_iam_role_count(); i++) {
        const char *name = vouch_iam_role_name(i);
        size_t n = 0;
        const char *const *perms = vouch_iam_role_permissions(name, &n);

        assert_non_null(vouch_iam_role_title(i));
        assert_true(strncmp(name, "roles/", 6) == 0);
        if (i > 0) {
            assert_true(strcmp(vouch_iam_role_name(i - 1), name) < 0);
        }
        assert_true(n > 0);
        for (j = 0; j < n; j++) {
            if (!vouch_iam_permission_known(perms[j])) {
                fail_msg("%s: %s is not in the permission list", name,
                         perms[j]);
            }
            if (j > 0 && strcmp(perms[j - 1], perms[j]) >= 0) {
                fail_msg("%s: %s is out of order", name, perms[j]);
            }
        }
    }
    assert_superset("roles/owner", "roles/editor");
    assert_superset("roles/editor", "roles/viewer");
    assert_false(vouch_iam_role_exists("roles/nonsense"));
    assert_false(vouch_iam_role_exists(NULL));
    assert_null(vouch_iam_role_permissions("roles/nonsense", NULL));
    assert_false(vouch_iam_permission_known("binaryauthorization.*"));
}

static void test_roles_google_facts(void **state)
{
    const char *set_project = "resourcemanager.projects.setIamPolicy";
    const char *set_policy = "binaryauthorization.policy.setIamPolicy";
    const char *get_policy = "binaryauthorization.policy.getIamPolicy";

    (void)state;
    /* Only owners manage access; editors and viewers do not. */

    assert_true(vouch_iam_role_grants("roles/owner", set_project));
    assert_false(vouch_iam_role_grants("roles/editor", set_project));
    assert_false(vouch_iam_role_grants("roles/editor", set_policy));
    assert_true(vouch_iam_role_grants("roles/viewer", get_policy));
    assert_false(vouch_iam_role_grants("roles/viewer",
                                       "binaryauthorization.policy.update"));
    /* Org policy changes are not in the basic roles at all. */
    assert_false(vouch_iam_role_grants("roles/owner",
                                       "orgpolicy.policies.update"));
    assert_true(vouch_iam_role_grants("roles/orgpolicy.policyAdmin",
                                      "orgpolicy.policies.update"));
    assert_true(vouch_iam_role_grants(
        "roles/binaryauthorization.attestorsVerifier",
        "binaryauthorization.attestors.verifyImageAttested"));
    assert_false(vouch_iam_role_grants(
        "roles/binaryauthorization.attestorsViewer",
        "binaryauthorization.attestors.verifyImageAttested"));
    assert_true(vouch_iam_role_grants(
        "roles/containeranalysis.notes.attacher",
        "containeranalysis.notes.attachOccurrence"));
    assert_false(vouch_iam_role_grants(
        "roles/containeranalysis.notes.attacher",
        "containeranalysis.occurrences.create"));
    assert_true(vouch_iam_role_grants("roles/run.admin",
                                      "run.services.setIamPolicy"));
    assert_false(vouch_iam_role_grants("roles/run.developer",
                                       "run.services.setIamPolicy"));
    assert_true(vouch_iam_role_grants("roles/run.developer",
                                      "run.jobs.runWithOverrides"));
    assert_false(vouch_iam_role_grants("roles/run.viewer", "run.jobs.run"));
    assert_true(vouch_iam_role_grants("roles/logging.viewer",
                                      "logging.logEntries.list"));
    assert_true(vouch_iam_role_grants("roles/monitoring.viewer",
                                      "monitoring.timeSeries.list"));
}

/* ---- policy ------------------------------------------------------------- */

static void test_policy_normalise_and_print(void **state)
{
    vouch_iam_policy *p = policy_ok(
        "{\"version\": 1, \"etag\": \"BwX=\", \"bindings\": [\n"
        "  {\"role\": \"roles/viewer\", \"members\": [\"user:B@x.io\", "
        "\"allUsers\"]},\n"
        "  {\"role\": \"roles/editor\", \"members\": []},\n"
        "  {\"role\": \"roles/viewer\", \"members\": [\"user:b@x.io\", "
        "\"group:g@x.io\"], \"condition\": null}]}");
    char *text = print(p);
    char want[512];

    (void)state;
    /* sorted and merged by role, members sorted and unique, e-mail
     * addresses in lower case, empty bindings gone, the etag computed */
    snprintf(want, sizeof(want),
             "{\n"
             "  \"bindings\": [\n"
             "    {\n"
             "      \"members\": [\n"
             "        \"allUsers\",\n"
             "        \"group:g@x.io\",\n"
             "        \"user:b@x.io\"\n"
             "      ],\n"
             "      \"role\": \"roles/viewer\"\n"
             "    }\n"
             "  ],\n"
             "  \"etag\": \"%s\",\n"
             "  \"version\": 1\n"
             "}\n", vouch_iam_policy_etag(p));
    assert_string_equal(text, want);
    assert_int_equal(vouch_iam_policy_binding_count(p), 1);
    assert_string_equal(vouch_iam_policy_binding_role(p, 0), "roles/viewer");
    assert_int_equal(vouch_iam_policy_member_count(p, 0), 3);
    assert_string_equal(vouch_iam_policy_member(p, 0, 2), "user:b@x.io");
    assert_null(vouch_iam_policy_member(p, 0, 3));
    assert_null(vouch_iam_policy_binding_role(p, 1));
    assert_string_equal(vouch_iam_policy_request_etag(p), "BwX=");
    vouch_free(text);
    vouch_iam_policy_free(p);
}

static void test_policy_etag(void **state)
{
    vouch_iam_policy *empty = NULL;
    vouch_iam_policy *a = policy_ok(
        "{\"bindings\": [{\"role\": \"roles/viewer\", \"members\": "
        "[\"user:a@x.io\", \"user:b@x.io\"]}]}");
    vouch_iam_policy *b = policy_ok(
        "{\"bindings\": [{\"role\": \"roles/viewer\", \"members\": "
        "[\"user:B@x.io\"]}, {\"role\": \"roles/viewer\", \"members\": "
        "[\"user:a@x.io\"]}], \"etag\": \"ignored\"}");
    vouch_iam_policy *c = policy_ok(
        "{\"bindings\": [{\"role\": \"roles/viewer\", \"members\": "
        "[\"user:a@x.io\"]}]}");
    vouch_iam_policy *d = policy_ok("{\"bindings\": []}");
    char *text;

    (void)state;
    assert_int_equal(vouch_iam_policy_new(&empty, NULL), 0);
    assert_string_equal(vouch_iam_policy_etag(empty), VOUCH_IAM_EMPTY_ETAG);
    assert_string_equal(vouch_iam_policy_etag(d), VOUCH_IAM_EMPTY_ETAG);
    /* the same content, however written, has the same etag */
    assert_string_equal(vouch_iam_policy_etag(a), vouch_iam_policy_etag(b));
    assert_string_not_equal(vouch_iam_policy_etag(a),
                            vouch_iam_policy_etag(c));
    assert_int_equal(strlen(vouch_iam_policy_etag(a)), 12);
    text = print(empty);
    assert_string_equal(text,
                        "{\n  \"etag\": \"ACAB\",\n  \"version\": 1\n}\n");
    vouch_free(text);
    vouch_iam_policy_free(empty);
    vouch_iam_policy_free(a);
    vouch_iam_policy_free(b);
    vouch_iam_policy_free(c);
    vouch_iam_policy_free(d);
}

static void test_policy_errors(void **state)
{
    (void)state;
    expect_policy_error("{\"bindings\": [\n  {\"role\": \"roles/nonsense\", "
                        "\"members\": [\"user:a@x.io\"]}]}",
                        VOUCH_EINVAL,
                        "policy.json:2:13: bindings[0].role: roles/nonsense "
                        "is not a predefined role vouch knows");
    expect_policy_error("{\"bindings\": [{\"role\": \"roles/viewer\",\n"
                        "  \"members\": [\"user:a@x.io\", \"alice\"]}]}",
                        VOUCH_EINVAL,
                        "policy.json:2:31: bindings[0].members[1]: not a "
                        "member; expected user:EMAIL, serviceAccount:EMAIL, "
                        "group:EMAIL, principal://HOST/subject/SUBJECT, "
                        "allUsers or allAuthenticatedUsers");
    expect_policy_error("{\"bindings\": [{\"role\": \"roles/viewer\", "
                        "\"members\": [\"user:a@x.io\"],\n  \"condition\": "
                        "{\"expression\": \"true\"}}]}",
                        VOUCH_EINVAL,
                        "policy.json:2:18: bindings[0].condition: IAM "
                        "conditions are not supported");
    expect_policy_error("{\"bindings\": [{\"members\": []}]}", VOUCH_EINVAL,
                        "bindings[0]: role is required");
    expect_policy_error("{\"version\": 2}", VOUCH_EINVAL,
                        "policy.json:1:13: version: expected 1 or 3");
    expect_policy_error("{\"version\": 4}", VOUCH_EINVAL,
                        "version: number is over the maximum of 3");
    expect_policy_error("{\"auditConfigs\": [{}]}", VOUCH_EINVAL,
                        "auditConfigs: audit configs are not supported");
    expect_policy_error("{\"bindings\": [], \"owner\": 1}", VOUCH_EINVAL,
                        "policy.json:1:19: owner: unknown field");
    expect_policy_error("{\"bindings\": [{\"role\": \"roles/viewer\", "
                        "\"members\": [], \"members\": []}]}",
                        VOUCH_EPARSE, "policy.json:1:");
    expect_policy_error("[]", VOUCH_EINVAL, "expected an IAM policy object");
    expect_policy_error("bindings: []", VOUCH_EPARSE, "policy.json:1:8");
}

static void test_policy_member_limit(void **state)
{
    size_t n = VOUCH_IAM_POLICY_MAX_MEMBERS + 1;
    size_t cap = 128 + n * 32;
    char *doc = malloc(cap);
    size_t len;
    size_t i;

    (void)state;
    assert_non_null(doc);
    len = (size_t)snprintf(doc, cap, "{\"bindings\": [{\"role\": "
                           "\"roles/viewer\", \"members\": [");
    for (i = 0; i < n; i++) {
        len += (size_t)snprintf(doc + len, cap - len, "%s\"user:u%zu@x.io\"",
                                i ? "," : "", i);
    }
    snprintf(doc + len, cap - len, "]}]}");
    expect_policy_error(doc, VOUCH_EINVAL,
                        "bindings[0].members[1500]: a policy holds at most "
                        "1500 members");
    free(doc);
}

/* ---- allowed ------------------------------------------------------------ */

static vouch_auth_config *config(void)
{
    static const char doc[] =
        "{\"groups\": {\"group:sre@x.io\": [\"user:carol@x.io\"],\n"
        "              \"group:admins@x.io\": [\"user:dave@x.io\"]},\n"
        " \"owners\": [\"user:root@x.io\", \"group:admins@x.io\"]}";
    vouch_auth_config *cfg = NULL;

    assert_int_equal(vouch_auth_config_parse(&cfg, doc, strlen(doc), NULL,
                                             NULL),
                     0);
    return cfg;
}

static void test_allowed_members(void **state)
{
    vouch_auth_config *cfg = config();
    vouch_iam_policy *attestor = policy_ok(
        "{\"bindings\": [{\"role\": "
        "\"roles/binaryauthorization.attestorsVerifier\", \"members\": "
        "[\"user:alice@x.io\", \"group:sre@x.io\", "
        "\"principal://ci.x.io/subject/repo:a/b\"]}]}");
    vouch_iam_policy *project = policy_ok(
        "{\"bindings\": [{\"role\": "
        "\"roles/binaryauthorization.attestorsAdmin\", \"members\": "
        "[\"user:bob@x.io\"]}]}");
    vouch_iam_caller alice = { "user:alice@x.io", cfg };
    vouch_iam_caller bob = { "user:bob@x.io", cfg };
    vouch_iam_caller carol = { "user:carol@x.io", cfg };
    vouch_iam_caller ci = { "principal://ci.x.io/subject/repo:a/b", cfg };
    vouch_iam_caller eve = { "user:eve@x.io", cfg };
    const char *verify = "binaryauthorization.attestors.verifyImageAttested";
    const char *update = "binaryauthorization.attestors.update";

    (void)state;
    assert_true(vouch_iam_allowed(&alice, attestor, project, verify));
    assert_false(vouch_iam_allowed(&alice, attestor, project, update));
    assert_true(vouch_iam_allowed(&carol, attestor, project, verify));
    assert_true(vouch_iam_allowed(&ci, attestor, project, verify));
    assert_false(vouch_iam_allowed(&eve, attestor, project, verify));
    /* a grant on the project holds on the project's resources */
    assert_true(vouch_iam_allowed(&bob, attestor, project, update));
    assert_true(vouch_iam_allowed(&bob, NULL, project, update));
    assert_false(vouch_iam_allowed(&bob, attestor, NULL, update));
    /* unknown permissions are never held, not even by owners */
    assert_false(vouch_iam_allowed(&bob, attestor, project,
                                   "binaryauthorization.attestors.frob"));
    assert_false(vouch_iam_allowed(NULL, attestor, project, verify));
    vouch_iam_policy_free(attestor);
    vouch_iam_policy_free(project);
    vouch_auth_config_free(cfg);
}

static void test_allowed_public(void **state)
{
    vouch_iam_policy *pub = policy_ok(
        "{\"bindings\": [{\"role\": \"roles/binaryauthorization.policyViewer\","
        " \"members\": [\"allUsers\"]}, {\"role\": \"roles/viewer\", "
        "\"members\": [\"allAuthenticatedUsers\"]}]}");
    vouch_iam_caller anon = { NULL, NULL };
    vouch_iam_caller someone = { "user:x@y.io", NULL };

    (void)state;
    /* allUsers admits a caller without a token, for what it is granted */
    assert_true(vouch_iam_allowed(&anon, NULL, pub,
                                  "binaryauthorization.policy.get"));
    assert_false(vouch_iam_allowed(&anon, NULL, pub,
                                   "binaryauthorization.attestors.get"));
    /* allAuthenticatedUsers does not */
    assert_true(vouch_iam_allowed(&someone, NULL, pub,
                                  "binaryauthorization.attestors.get"));
    assert_false(vouch_iam_allowed(&someone, NULL, pub,
                                   "binaryauthorization.policy.update"));
    vouch_iam_policy_free(pub);
}

static void test_allowed_owners(void **state)
{
    vouch_auth_config *cfg = config();
    vouch_iam_caller root = { "user:root@x.io", cfg };
    vouch_iam_caller dave = { "user:dave@x.io", cfg };
    vouch_iam_caller anon = { NULL, cfg };

    (void)state;
    /* owners hold roles/owner everywhere, with no policy at all */
    assert_true(vouch_iam_allowed(&root, NULL, NULL,
                                  "resourcemanager.projects.setIamPolicy"));
    assert_true(vouch_iam_allowed(&dave, NULL, NULL,
                                  "run.services.create"));
    /* but only what roles/owner has */
    assert_false(vouch_iam_allowed(&root, NULL, NULL,
                                   "orgpolicy.policies.update"));
    assert_false(vouch_iam_allowed(&anon, NULL, NULL, "run.services.get"));
    vouch_auth_config_free(cfg);
}

/* ---- testIamPermissions ----------------------------------------------- */

static char *test_json(const vouch_iam_caller *caller,
                       const vouch_iam_policy *res, const char *body,
                       int code)
{
    json_t *resp = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char *text;
    char buf[512];

    assert_int_equal(vouch_iam_test_permissions_json(caller, res, NULL, body,
                                                     strlen(body), &resp,
                                                     &err),
                     code);
    if (code != 0) {
        assert_null(resp);
        vouch_error_format(&err, buf, sizeof(buf));
        return strdup(buf);
    }
    text = json_dumps(resp, JSON_COMPACT);
    json_decref(resp);
    return text;
}

static void test_test_permissions(void **state)
{
    vouch_iam_policy *p = policy_ok(
        "{\"bindings\": [{\"role\": \"roles/run.developer\", \"members\": "
        "[\"user:a@x.io\"]}]}");
    vouch_iam_caller a = { "user:a@x.io", NULL };
    vouch_iam_caller b = { "user:b@x.io", NULL };
    const char *perms[] = { "run.services.setIamPolicy", "run.services.get",
                            "run.jobs.run" };
    bool held[3];
    char *text;

    (void)state;
    vouch_iam_test_permissions(&a, p, NULL, perms, 3, held);
    assert_false(held[0]);
    assert_true(held[1]);
    assert_true(held[2]);

    text = test_json(&a, p,
                     "{\"permissions\": [\"run.services.setIamPolicy\", "
                     "\"run.jobs.run\", \"run.services.get\", "
                     "\"foo.bar.baz\"]}",
                     0);
    assert_string_equal(text,
                        "{\"permissions\":[\"run.jobs.run\","
                        "\"run.services.get\"]}");
    free(text);
    text = test_json(&b, p, "{\"permissions\": [\"run.services.get\"]}", 0);
    assert_string_equal(text, "{}");
    free(text);
    text = test_json(&a, p, "{\"permissions\": [\n  \"run.services.*\"]}",
                     VOUCH_EINVAL);
    assert_string_equal(text, "request body:2:4: permissions[0]: invalid "
                              "permission (wildcards are not allowed)");
    free(text);
    text = test_json(&a, p, "{\"permission\": []}", VOUCH_EINVAL);
    assert_non_null(strstr(text, "permission: unknown field"));
    free(text);
    vouch_iam_policy_free(p);
}

/* ---- setIamPolicy ----------------------------------------------------- */

static void set_request(vouch_iam_set_request *req, const char *body)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char buf[512];

    if (vouch_iam_set_request_parse(req, body, strlen(body), "request body",
                                    &err) != 0) {
        vouch_error_format(&err, buf, sizeof(buf));
        fail_msg("unexpected error: %s", buf);
    }
}

static void test_set_policy_delta(void **state)
{
    vouch_iam_policy *current = policy_ok(
        "{\"bindings\": [{\"role\": \"roles/viewer\", \"members\": "
        "[\"user:a@x.io\", \"user:b@x.io\"]}, {\"role\": \"roles/editor\", "
        "\"members\": [\"user:c@x.io\"]}]}");
    vouch_iam_set_request req;
    vouch_iam_policy *next = NULL;
    vouch_iam_delta *delta = NULL;
    char body[1024];
    json_t *j;
    char *text;

    (void)state;
    snprintf(body, sizeof(body),
             "{\"policy\": {\"etag\": \"%s\", \"bindings\": ["
             "{\"role\": \"roles/viewer\", \"members\": [\"user:b@x.io\", "
             "\"user:d@x.io\"]}, {\"role\": \"roles/owner\", \"members\": "
             "[\"user:e@x.io\"]}]}, \"updateMask\": \"bindings,etag\"}",
             vouch_iam_policy_etag(current));
    set_request(&req, body);
    assert_true(req.check_etag);
    assert_int_equal(vouch_iam_policy_set(current, &req, &next, &delta, NULL),
                     0);
    assert_int_equal(vouch_iam_policy_binding_count(next), 2);
    assert_string_not_equal(vouch_iam_policy_etag(next),
                            vouch_iam_policy_etag(current));
    j = vouch_iam_delta_to_json(delta);
    text = json_dumps(j, JSON_COMPACT);
    assert_string_equal(
        text,
        "{\"bindingDeltas\":["
        "{\"action\":\"REMOVE\",\"role\":\"roles/editor\","
        "\"member\":\"user:c@x.io\"},"
        "{\"action\":\"ADD\",\"role\":\"roles/owner\","
        "\"member\":\"user:e@x.io\"},"
        "{\"action\":\"REMOVE\",\"role\":\"roles/viewer\","
        "\"member\":\"user:a@x.io\"},"
        "{\"action\":\"ADD\",\"role\":\"roles/viewer\","
        "\"member\":\"user:d@x.io\"}]}");
    assert_int_equal(vouch_iam_delta_count(delta), 4);
    assert_string_equal(vouch_iam_delta_action(delta, 1), "ADD");
    assert_string_equal(vouch_iam_delta_role(delta, 1), "roles/owner");
    assert_string_equal(vouch_iam_delta_member(delta, 1), "user:e@x.io");
    free(text);
    json_decref(j);
    vouch_iam_delta_free(delta);
    vouch_iam_set_request_clear(&req);

    /* the same request again: its etag is now stale */
    set_request(&req, body);
    {
        vouch_iam_policy *again = NULL;
        vouch_error err = VOUCH_ERROR_INIT;

        assert_int_equal(vouch_iam_policy_set(next, &req, &again, NULL, &err),
                         VOUCH_EABORTED);
        assert_null(again);
        assert_string_equal(err.message,
                            "There were concurrent policy changes. Please "
                            "retry the whole read-modify-write with "
                            "exponential backoff.");
    }
    vouch_iam_set_request_clear(&req);
    vouch_iam_policy_free(next);
    vouch_iam_policy_free(current);
}

static void test_set_policy_unconditional_and_mask(void **state)
{
    vouch_iam_policy *current = policy_ok(
        "{\"bindings\": [{\"role\": \"roles/viewer\", \"members\": "
        "[\"user:a@x.io\"]}]}");
    vouch_iam_set_request req;
    vouch_iam_policy *next = NULL;
    vouch_iam_delta *delta = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    const char *body;
    json_t *j;
    char *text;

    (void)state;
    /* no etag: an unconditional write; a NULL current is the empty policy */
    set_request(&req, "{\"policy\": {\"bindings\": [{\"role\": "
                      "\"roles/viewer\", \"members\": [\"user:z@x.io\"]}]}}");
    assert_false(req.check_etag);
    assert_int_equal(vouch_iam_policy_set(NULL, &req, &next, &delta, NULL), 0);
    assert_int_equal(vouch_iam_delta_count(delta), 1);
    vouch_iam_policy_free(next);
    vouch_iam_delta_free(delta);
    vouch_iam_set_request_clear(&req);

    /* an updateMask without "bindings" keeps the bindings */
    set_request(&req, "{\"policy\": {\"etag\": \"stale\", \"bindings\": []},"
                      " \"updateMask\": \"version\"}");
    assert_false(req.update_bindings);
    assert_false(req.check_etag);
    assert_int_equal(vouch_iam_policy_set(current, &req, &next, &delta, NULL),
                     0);
    assert_string_equal(vouch_iam_policy_etag(next),
                        vouch_iam_policy_etag(current));
    j = vouch_iam_delta_to_json(delta);
    text = json_dumps(j, JSON_COMPACT);
    assert_string_equal(text, "{\"bindingDeltas\":[]}");
    free(text);
    json_decref(j);
    vouch_iam_delta_free(delta);
    vouch_iam_policy_free(next);
    vouch_iam_set_request_clear(&req);

    /* request mistakes, with positions */
    body = "{\"policy\": {}, \"updateMask\": \"bindings,auditConfigs\"}";
    assert_int_equal(vouch_iam_set_request_parse(&req, body, strlen(body),
                                                 "request body", &err),
                     VOUCH_EINVAL);
    assert_string_equal(err.message, "updateMask: only bindings, etag and "
                                     "version can be updated");
    assert_null(req.policy);
    body = "{\"policy\": {\"bindings\": [{\"role\": \"roles/x\", "
           "\"members\": []}]}}";
    assert_int_equal(vouch_iam_set_request_parse(&req, body, strlen(body),
                                                 "request body", &err),
                     VOUCH_EINVAL);
    assert_int_equal(err.column, 36);
    assert_non_null(strstr(err.message, "policy.bindings[0].role: roles/x is "
                                        "not a predefined role"));
    assert_int_equal(vouch_iam_set_request_parse(&req, "{}", 2, NULL, &err),
                     VOUCH_EINVAL);
    assert_string_equal(err.message, "policy: an IAM policy object is "
                                     "required");
    vouch_iam_policy_free(current);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_table),
        cmocka_unit_test(test_roles_google_facts),
        cmocka_unit_test(test_policy_normalise_and_print),
        cmocka_unit_test(test_policy_etag),
        cmocka_unit_test(test_policy_errors),
        cmocka_unit_test(test_policy_member_limit),
        cmocka_unit_test(test_allowed_members),
        cmocka_unit_test(test_allowed_public),
        cmocka_unit_test(test_allowed_owners),
        cmocka_unit_test(test_test_permissions),
        cmocka_unit_test(test_set_policy_delta),
        cmocka_unit_test(test_set_policy_unconditional_and_mask),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
