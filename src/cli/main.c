/*
 * `vouch`: the command-line front end of libvouch (DESIGN.md "CLI vouch").
 * Exit status: 0 success or allowed, 1 denied, 2 usage or input error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_command groups[] = {
    {"policy", cmd_policy, "validate and format policy files"},
    {"keys", cmd_keys, "compute the key id of a public key file"},
    {"attestations", cmd_attestations,
     "create signature payloads, sign attestations"},
    {"evaluate", cmd_evaluate, "decide offline whether images may run"},
    {NULL, NULL, NULL},
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
    fprintf(out,
            "\nglobal flags:\n"
            "  --format json|yaml|text   output format of printed resources\n"
            "  --server URL              vouchd address (VOUCH_SERVER)\n"
            "  --project ID              project (VOUCH_PROJECT)\n"
            "  --region R                region (VOUCH_REGION)\n"
            "  --version                 print the version\n\n"
            "exit status: 0 success/allowed, 1 denied, 2 usage or input "
            "error.\nSee vouch(1) and 'vouch GROUP --help'.\n");
}

int main(int argc, char **argv)
{
    cli_globals g = {NULL, NULL, NULL, NULL};
    const cli_command *c;
    int i = 1;

    g.server = getenv("VOUCH_SERVER");
    g.project = getenv("VOUCH_PROJECT");
    g.region = getenv("VOUCH_REGION");
    if (g.server == NULL) {
        g.server = "http://127.0.0.1:8080";
    }
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
        rc = cli_global_flag(argc, argv, &i, &g);
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
            return c->run(argc - i - 1, argv + i + 1, &g);
        }
    }
    return cli_fail("unknown command group '%s'; see 'vouch --help'",
                    argv[i]);
}
