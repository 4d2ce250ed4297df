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
    if (constraint == NULL) {
        return cli_fail("CONSTRAINT is required (%s)", ORG_CONSTRAINT);
    }
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

/* Scan `CONSTRAINT [VALUE...]`; `want_values` says whether values are
 * taken (allow, deny) and required. */
static int org_args(int argc, char **argv, cli_globals *g, const char *verb,
                    const char **constraint, const char **values,
                    size_t *n_values, bool want_values)
{
    char cmd[64];
    int rc;

    snprintf(cmd, sizeof(cmd), "vouch org-policies %s", verb);
    *constraint = NULL;
    *n_values = 0;
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            if (want_values) {
                printf("usage: %s %s VALUE...\n\nSet the project's org "
                       "policy to one rule that %ss exactly these\nvalues "
                       "(Binary Authorization policies: 'default').\n",
                       cmd, ORG_CONSTRAINT, verb);
            } else {
                printf("usage: %s %s\n\n%s\n", cmd, ORG_CONSTRAINT,
                       strcmp(verb, "reset") == 0
                           ? "Reset the project's org policy: no "
                             "restriction."
                           : "Print the project's org policy (default "
                             "YAML).");
            }
            return 1;
        }
        if ((rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return -1;
            }
            continue;
        }
        if (argv[i][0] == '-') {
            cli_unknown(cmd, argv[i]);
            return -1;
        }
        if (*constraint == NULL) {
            *constraint = argv[i];
        } else if (!want_values) {
            cli_unknown(cmd, argv[i]);
            return -1;
        } else if (*n_values == ORG_MAX_VALUES) {
            cli_fail("%s: at most %d values", cmd, ORG_MAX_VALUES);
            return -1;
        } else {
            values[(*n_values)++] = argv[i];
        }
    }
    if (want_values && *constraint != NULL && *n_values == 0) {
        cli_fail("%s needs at least one VALUE (e.g. default)", cmd);
        return -1;
    }
    return 0;
}

/*
 * allow / deny: the policy becomes one rule listing exactly the values
 * given (vouchd serves one constraint, whose one meaningful value is
 * "default", so there is nothing to merge with).
 */
static int org_change(int argc, char **argv, cli_globals *g, bool allow)
{
    const char *key = allow ? "allowedValues" : "deniedValues";
    const char *values[ORG_MAX_VALUES];
    const char *constraint;
    size_t n_values;
    char path[400];
    client *c = NULL;
    json_t *body = NULL;
    json_t *result = NULL;
    json_t *list = NULL;
    int rc;

    rc = org_args(argc, argv, g, allow ? "allow" : "deny", &constraint,
                  values, &n_values, true);
    if (rc != 0) {
        return rc > 0 ? CLI_OK : CLI_USAGE;
    }
    if ((rc = org_path(g, constraint, path, sizeof(path))) != CLI_OK) {
        return rc;
    }
    list = json_array();
    if (list == NULL) {
        return cli_fail("out of memory");
    }
    for (size_t k = 0; k < n_values; k++) {
        if (json_array_append_new(list, json_string(values[k])) != 0) {
            rc = cli_fail("VALUE '%s': not valid UTF-8", values[k]);
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
        fprintf(stderr, "Updated policy [%s].\n", path + strlen("/v2/"));
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

static int org_reset(int argc, char **argv, cli_globals *g)
{
    const char *constraint;
    size_t n_values;
    char path[400];
    client *c = NULL;
    json_t *body = NULL;
    json_t *result = NULL;
    int rc;

    rc = org_args(argc, argv, g, "reset", &constraint, NULL, &n_values,
                  false);
    if (rc != 0) {
        return rc > 0 ? CLI_OK : CLI_USAGE;
    }
    if ((rc = org_path(g, constraint, path, sizeof(path))) != CLI_OK ||
        (rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    body = json_pack("{s:{s:b}}", "spec", "reset", 1);
    rc = body != NULL ? client_call(c, "PATCH", path, NULL, body, &result)
                      : cli_fail("out of memory");
    if (rc == CLI_OK) {
        fprintf(stderr, "Reset policy [%s].\n", path + strlen("/v2/"));
        rc = client_print(g, result, VOUCH_FORMAT_YAML, CLIENT_GENERIC);
    }
    json_decref(body);
    json_decref(result);
    client_free(c);
    return rc;
}

static int org_describe(int argc, char **argv, cli_globals *g)
{
    const char *constraint;
    size_t n_values;
    char path[400];
    client *c = NULL;
    json_t *result = NULL;
    int rc;

    rc = org_args(argc, argv, g, "describe", &constraint, NULL, &n_values,
                  false);
    if (rc != 0) {
        return rc > 0 ? CLI_OK : CLI_USAGE;
    }
    if ((rc = org_path(g, constraint, path, sizeof(path))) != CLI_OK ||
        (rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    rc = client_call(c, "GET", path, NULL, NULL, &result);
    if (rc == CLI_OK) {
        rc = client_print(g, result, VOUCH_FORMAT_YAML, CLIENT_GENERIC);
    }
    json_decref(result);
    client_free(c);
    return rc;
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
