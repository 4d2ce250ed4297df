/*
 * `vouch org-policies allow|deny|reset|describe`: the org-policy
 * constraint run.allowedBinaryAuthorizationPolicies of a project (Org
 * Policy v2, docs/run.md "Org policy"), with the verbs of `gcloud
 * resource-manager org-policies`. While it allows only `default`, vouchd
 * refuses services and jobs without Binary Authorization.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define ORG_CONSTRAINT "run.allowedBinaryAuthorizationPolicies"
#define ORG_MAX_VALUES 32

/* The project's policy path, after checking CONSTRAINT. */
static int org_path(const cli_globals *g, const char *constraint,
                    char *path, size_t size)
{
    if (strncmp(constraint, "constraints/", 12) == 0) {
        constraint += 12;
    }
    if (strcmp(constraint, ORG_CONSTRAINT) != 0) {
        return cli_fail("constraint '%s' is not served by vouchd; the one "
                        "constraint is %s", constraint, ORG_CONSTRAINT);
    }
    if (g->project == NULL || g->project[0] == '\0') {
        return cli_fail("needs --project (or VOUCH_PROJECT)");
    }
    for (const char *p = g->project; *p != '\0'; p++) {
        if (strchr("/?#%& ", *p) != NULL) {
            return cli_fail("--project: '%s' is not a valid project id",
                            g->project);
        }
    }
    if ((size_t)snprintf(path, size, "/v2/projects/%s/policies/%s",
                         g->project, ORG_CONSTRAINT) >= size) {
        return cli_fail("--project: too long");
    }
    return CLI_OK;
}

static const cli_spec allow_spec = {
    "vouch org-policies allow", "CONSTRAINT VALUE...", 1, CLI_ANY, false,
    NULL,
    "Set the project's org policy to one rule that allows exactly these "
    "values (Binary Authorization policies: 'default'). CONSTRAINT is "
    ORG_CONSTRAINT ".",
};

static const cli_spec deny_spec = {
    "vouch org-policies deny", "CONSTRAINT VALUE...", 1, CLI_ANY, false,
    NULL,
    "Set the project's org policy to one rule that denies exactly these "
    "values. CONSTRAINT is " ORG_CONSTRAINT ".",
};

static const cli_spec reset_spec = {
    "vouch org-policies reset", "CONSTRAINT", 1, 1, false, NULL,
    "Reset the project's org policy: no restriction.",
};

static const cli_spec describe_spec = {
    "vouch org-policies describe", "CONSTRAINT", 1, 1, false, NULL,
    "Print the project's org policy (default YAML).",
};

/*
 * allow / deny: the policy becomes one rule listing exactly the values
 * given (vouchd serves one constraint, whose one meaningful value is
 * "default", so there is nothing to merge with).
 */
static int org_change(int argc, char **argv, cli_globals *g, bool allow)
{
    const char *key = allow ? "allowedValues" : "deniedValues";
    cli_list args;
    char path[400];
    client *c = NULL;
    json_t *body = NULL;
    json_t *result = NULL;
    json_t *list = NULL;
    int rc;

    rc = cli_parse(allow ? &allow_spec : &deny_spec, argc, argv, g, NULL,
                   &args);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if (args.count < 2) {
        return cli_fail("%s needs at least one VALUE (e.g. default)",
                        allow ? allow_spec.command : deny_spec.command);
    }
    if (args.count - 1 > ORG_MAX_VALUES) {
        return cli_fail("%s: at most %d values",
                        allow ? allow_spec.command : deny_spec.command,
                        ORG_MAX_VALUES);
    }
    if ((rc = org_path(g, args.items[0], path, sizeof(path))) != CLI_OK) {
        return rc;
    }
    list = json_array();
    if (list == NULL) {
        return cli_fail("out of memory");
    }
    for (size_t k = 1; k < args.count; k++) {
        if (json_array_append_new(list, json_string(args.items[k])) != 0) {
            rc = cli_fail("VALUE '%s': not valid UTF-8", args.items[k]);
            goto cleanup;
        }
    }
    body = json_pack("{s:s,s:{s:[{s:{s:O}}]}}", "name",
                     path + strlen("/v2/"), "spec", "rules", "values", key,
                     list);
    if (body == NULL) {
        rc = cli_fail("out of memory");
        goto cleanup;
    }
    if ((rc = client_new(&c, g)) != CLI_OK) {
        goto cleanup;
    }
    rc = client_call(c, "PATCH", path, NULL, body, &result);
    if (rc == CLI_OK) {
        cli_note("Updated policy [%s].", path + strlen("/v2/"));
        rc = client_print(g, result, VOUCH_FORMAT_YAML, CLIENT_GENERIC);
    }

cleanup:
    json_decref(body);
    json_decref(result);
    json_decref(list);
    client_free(c);
    return rc;
}

static int org_allow(int argc, char **argv, cli_globals *g)
{
    return org_change(argc, argv, g, true);
}

static int org_deny(int argc, char **argv, cli_globals *g)
{
    return org_change(argc, argv, g, false);
}

/* reset (PATCH with spec.reset) and describe (GET). */
static int org_one(int argc, char **argv, cli_globals *g, bool reset)
{
    cli_list args;
    char path[400];
    client *c = NULL;
    json_t *body = NULL;
    json_t *result = NULL;
    int rc;

    rc = cli_parse(reset ? &reset_spec : &describe_spec, argc, argv, g,
                   NULL, &args);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if ((rc = org_path(g, args.items[0], path, sizeof(path))) != CLI_OK ||
        (rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    if (reset) {
        body = json_pack("{s:{s:b}}", "spec", "reset", 1);
        rc = body != NULL
                 ? client_call(c, "PATCH", path, NULL, body, &result)
                 : cli_fail("out of memory");
    } else {
        rc = client_call(c, "GET", path, NULL, NULL, &result);
    }
    if (rc == CLI_OK && reset) {
        cli_note("Reset policy [%s].", path + strlen("/v2/"));
    }
    if (rc == CLI_OK) {
        rc = client_print(g, result, VOUCH_FORMAT_YAML, CLIENT_GENERIC);
    }
    json_decref(body);
    json_decref(result);
    client_free(c);
    return rc;
}

static int org_reset(int argc, char **argv, cli_globals *g)
{
    return org_one(argc, argv, g, true);
}

static int org_describe(int argc, char **argv, cli_globals *g)
{
    return org_one(argc, argv, g, false);
}

static const cli_command org_commands[] = {
    {"allow", org_allow, "allow values of " ORG_CONSTRAINT},
    {"deny", org_deny, "deny values of " ORG_CONSTRAINT},
    {"reset", org_reset, "remove the restriction"},
    {"describe", org_describe, "print the project's org policy"},
    {NULL, NULL, NULL},
};

int cmd_orgpolicies(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("org-policies", org_commands, argc, argv, g);
}
