/*
 * `vouch policy validate|format`: offline checks and canonical printing of
 * policy files (YAML or JSON, gcloud export format).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"

static int policy_validate(int argc, char **argv, cli_globals *g)
{
    char **files = NULL;
    int count = 0;
    int failed = 0;
    int rc = CLI_OK;
    int i;

    files = calloc((size_t)argc + 1, sizeof(*files));
    if (files == NULL) {
        return cli_fail("out of memory");
    }
    for (i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch policy validate FILE...\n\n"
                   "Check policy files (YAML or JSON, as gcloud exports "
                   "them).\nPrints 'FILE: valid' for each good file; errors "
                   "go to stderr as\nFILE:LINE:COL: message. Exit 0 when "
                   "every file is valid, else 2.\n");
            goto cleanup;
        }
        rc = cli_global_flag(argc, argv, &i, g);
        if (rc < 0) {
            rc = CLI_USAGE;
            goto cleanup;
        }
        if (rc > 0) {
            rc = CLI_OK;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = cli_unknown("vouch policy validate", argv[i]);
            goto cleanup;
        }
        files[count++] = argv[i];
    }
    if (count == 0) {
        rc = cli_fail("policy validate needs at least one FILE");
        goto cleanup;
    }
    for (i = 0; i < count; i++) {
        vouch_policy *policy = NULL;

        if (cli_load_policy(files[i], NULL, &policy) != CLI_OK) {
            failed++;
            continue;
        }
        printf("%s: valid\n", files[i]);
        vouch_policy_free(policy);
    }
    rc = failed > 0 ? CLI_USAGE : CLI_OK;

cleanup:
    free(files);
    return rc;
}

static int policy_format(int argc, char **argv, cli_globals *g)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_policy *policy = NULL;
    const char *path = NULL;
    char *text = NULL;
    size_t len = 0;
    int format;
    int rc;
    int i;

    for (i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch policy format [--format yaml|json] FILE\n\n"
                   "Print a policy in canonical form: gcloud's export YAML "
                   "(keys sorted,\nthe default) or the REST JSON.\n");
            return CLI_OK;
        }
        rc = cli_global_flag(argc, argv, &i, g);
        if (rc < 0) {
            return CLI_USAGE;
        }
        if (rc > 0) {
            continue;
        }
        if ((argv[i][0] == '-' && argv[i][1] != '\0') || path != NULL) {
            return cli_unknown("vouch policy format", argv[i]);
        }
        path = argv[i];
    }
    if (path == NULL) {
        return cli_fail("policy format needs a FILE");
    }
    format = cli_output_format(g, VOUCH_FORMAT_YAML, false, NULL);
    if (format < 0) {
        return CLI_USAGE;
    }
    rc = cli_load_policy(path, NULL, &policy);
    if (rc != CLI_OK) {
        return rc;
    }
    if (vouch_policy_print(policy, (vouch_format)format, &text, &len,
                           &err) < 0) {
        rc = cli_fail_error(&err);
    } else {
        rc = cli_write(text, len);
    }
    vouch_free(text);
    vouch_policy_free(policy);
    return rc;
}

int cmd_policy(int argc, char **argv, cli_globals *g)
{
    static const cli_command commands[] = {
        {"validate", policy_validate, "check policy files"},
        {"format", policy_format, "print a policy in canonical form"},
        {"import", cmd_policy_import,
         "replace the policy on vouchd with a file"},
        {"export", cmd_policy_export, "print the policy stored on vouchd"},
        {NULL, NULL, NULL},
    };

    return cli_dispatch("policy", commands, argc, argv, g);
}
