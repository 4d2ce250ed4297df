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

typedef enum org_verb {
    ORG_ALLOW,
    ORG_DENY,
    ORG_RESET,
    ORG_DESCRIBE
} org_verb;

static const cli_spec org_specs[] = {
    {"vouch org-policies allow", "CONSTRAINT VALUE...", 1, CLI_ANY, false,
     NULL,
     "Set the project's org policy to one rule that allows exactly these "
     "values (Binary Authorization policies: 'default'). CONSTRAINT is "
     ORG_CONSTRAINT "."},
    {"vouch org-policies deny", "CONSTRAINT VALUE...", 1, CLI_ANY, false,
     NULL,
     "Set the project's org policy to one rule that denies exactly these "
     "values. CONSTRAINT is " ORG_CONSTRAINT "."},
    {"vouch org-policies reset", "CONSTRAINT", 1, 1, false, NULL,
     "Reset the project's org policy: no restriction."},
    {"vouch org-policies describe", "CONSTRAINT", 1, 1, false, NULL,
     "Print the project's org policy (default YAML)."},
};

/*
 * The PATCH body of allow / deny (one rule listing exactly the values
 * given: vouchd serves one constraint, whose one meaningful value is
 * "default", so there is nothing to merge with) and reset.
 */
static int org_body(org_verb verb, const cli_list *args, const char *name,
                    json_t **out)
{
    json_t *list;

    if (verb == ORG_RESET) {
        *out = json_pack("{s:{s:b}}", "spec", "reset", 1);
        return *out != NULL ? CLI_OK : cli_fail("out of memory");
    }
    if (args->count < 2) {
        return cli_fail("%s needs at least one VALUE (e.g. default)",
                        org_specs[verb].command);
    }
    if (args->count - 1 > ORG_MAX_VALUES) {
        return cli_fail("%s: at most %d values", org_specs[verb].command,
                        ORG_MAX_VALUES);
    }
    list = json_array();
    for (size_t k = 1; list != NULL && k < args->count; k++) {
        if (json_array_append_new(list, json_string(args->items[k])) != 0) {
            json_decref(list);
            return cli_fail("VALUE '%s': not valid UTF-8", args->items[k]);
        }
    }
    *out = list == NULL ? NULL
                        : json_pack("{s:s,s:{s:[{s:{s:o}}]}}", "name", name,
                                    "spec", "rules", "values",
                                    verb == ORG_ALLOW ? "allowedValues"
                                                      : "deniedValues",
                                    list);
    return *out != NULL ? CLI_OK : cli_fail("out of memory");
}

/* Every verb; g->variant is the org_verb. */
static int org_run(int argc, char **argv, cli_globals *g)
{
    static const char *const done[] = {"Updated", "Updated", "Reset", NULL};
    org_verb verb = (org_verb)g->variant;
    cli_list args;
    char path[400];
    client *c = NULL;
    json_t *body = NULL;
    json_t *result = NULL;
    int rc;

    rc = cli_parse(&org_specs[verb], argc, argv, g, NULL, &args);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if ((rc = org_path(g, args.items[0], path, sizeof(path))) != CLI_OK ||
        (verb != ORG_DESCRIBE &&
         (rc = org_body(verb, &args, path + strlen("/v2/"), &body)) !=
             CLI_OK) ||
        (rc = client_new(&c, g)) != CLI_OK) {
        goto cleanup;
    }
    rc = client_call(c, body != NULL ? "PATCH" : "GET", path, NULL, body,
                     &result);
    if (rc == CLI_OK && done[verb] != NULL) {
        cli_note("%s policy [%s].", done[verb], path + strlen("/v2/"));
    }
    if (rc == CLI_OK) {
        rc = client_print(g, result, VOUCH_FORMAT_YAML, CLIENT_GENERIC);
    }

cleanup:
    json_decref(body);
    json_decref(result);
    client_free(c);
    return rc;
}

static const cli_command org_commands[] = {
    {"allow", org_run, "allow values of " ORG_CONSTRAINT, ORG_ALLOW},
    {"deny", org_run, "deny values of " ORG_CONSTRAINT, ORG_DENY},
    {"reset", org_run, "remove the restriction", ORG_RESET},
    {"describe", org_run, "print the project's org policy", ORG_DESCRIBE},
    {NULL, NULL, NULL, 0},
};

int cmd_orgpolicies(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("org-policies", org_commands, argc, argv, g);
}
