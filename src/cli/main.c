/*
 * `vouch`: the command-line front end of libvouch (vouch(1)).
 * Exit status: 0 success or allowed, 1 denied, 2 usage or input error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli.h"
#include "client.h"

static const cli_command groups[] = {
    {"policy", cmd_policy, "validate and format policy files", 0},
    {"keys", cmd_keys, "compute the key id of a public key file", 0},
    {"attestations", cmd_attestations,
     "create signature payloads, sign attestations", 0},
    {"evaluate", cmd_evaluate, "decide offline whether images may run", 0},
    {"attestors", cmd_attestors, "manage attestors and their public keys", 0},
    {"notes", cmd_notes, "create attestation notes (Container Analysis)", 0},
    {"run", cmd_run, "deploy services and run jobs on vouchd (Cloud Run v2)",
     0},
    {"logs", cmd_logs, "read vouchd's audit log entries", 0},
    {"org-policies", cmd_orgpolicies,
     "require Binary Authorization (org policy)", 0},
    {"auth", cmd_auth, "make access tokens; ask vouchd who you are", 0},
    {NULL, NULL, NULL, 0},
};

static void usage(FILE *out)
{
    const cli_command *c;

    fprintf(out,
            "usage: vouch [GLOBAL FLAGS] GROUP COMMAND [FLAGS] [ARGS]\n\n"
            "vouch decides which container images may run, as Google's "
            "Binary\nAuthorization does.\n\ngroups:\n");
    for (c = groups; c->name != NULL; c++) {
        fprintf(out, "  %-14s %s\n", c->name, c->summary);
    }
    fprintf(out, "\nglobal flags:\n");
    cli_print_global_flags(out);
    fprintf(out,
            "  %-25s %s\n\n"
            "exit status: 0 success/allowed, 1 denied, 2 usage or input "
            "error.\nSee vouch(1) and 'vouch GROUP --help'.\n",
            "--version", "print the version");
}

/* The group and its command from argv, after the global flags. */
static int run(int argc, char **argv, cli_globals *g)
{
    const cli_command *c;
    int i = 1;

    /* Global flags may come before the group; commands accept them too. */
    while (i < argc && argv[i][0] == '-') {
        int rc;

        if (cli_is_help(argv[i])) {
            usage(stdout);
            return CLI_OK;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("vouch %s\n", vouch_version());
            return CLI_OK;
        }
        rc = cli_global_flag(argc, argv, &i, g);
        if (rc < 0) {
            return CLI_USAGE;
        }
        if (rc == 0) {
            return cli_unknown("vouch", argv[i]);
        }
        i++;
    }
    if (i >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    for (c = groups; c->name != NULL; c++) {
        if (strcmp(argv[i], c->name) == 0) {
            g->variant = c->variant;
            return c->run(argc - i - 1, argv + i + 1, g);
        }
    }
    return cli_fail("unknown command group '%s'; see 'vouch --help'",
                    argv[i]);
}

int main(int argc, char **argv)
{
    cli_globals g = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0};
    int rc;

    /* Before anything else, as libcurl asks; the CLI has one thread. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return cli_fail("cannot initialise libcurl");
    }
    g.server = getenv("VOUCH_SERVER");
    g.project = getenv("VOUCH_PROJECT");
    g.region = getenv("VOUCH_REGION");
    g.cacert = getenv("VOUCH_CACERT");
    if (g.server == NULL) {
        g.server = "http://127.0.0.1:8080";
    }
    rc = run(argc, argv, &g);
    cli_pool_free(&g);
    curl_global_cleanup();
    return rc;
}
