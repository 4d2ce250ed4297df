/*
 * `vouch policy validate|format`: offline checks and canonical printing of
 * policy files (YAML or JSON, gcloud export format).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"

static const cli_spec validate_spec = {
    "vouch policy validate", "FILE...", 1, CLI_ANY, false, NULL,
    "Check policy files (YAML or JSON, as gcloud exports them; '-' reads "
    "standard input). Prints 'FILE: valid' for each good file; errors go "
    "to stderr as FILE:LINE:COL: message. Exit 0 when every file is valid, "
    "else 2.",
};

static int policy_validate(int argc, char **argv, cli_globals *g)
{
    cli_list files;
    int failed = 0;
    int rc;

    rc = cli_parse(&validate_spec, argc, argv, g, NULL, &files);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    for (size_t i = 0; i < files.count; i++) {
        vouch_policy *policy = NULL;

        if (cli_load_policy(files.items[i], NULL, &policy) != CLI_OK) {
            failed++;
            continue;
        }
        cli_out("%s: valid", files.items[i]);
        vouch_policy_free(policy);
    }
    return failed > 0 ? CLI_USAGE : CLI_OK;
}

static const cli_spec format_spec = {
    "vouch policy format", "FILE", 1, 1, false, NULL,
    "Print a policy in canonical form: gcloud's export YAML (keys sorted, "
    "the default) or the REST JSON (--format json).",
};

static int policy_format(int argc, char **argv, cli_globals *g)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_policy *policy = NULL;
    cli_list file;
    char *text = NULL;
    size_t len = 0;
    int format;
    int rc;

    rc = cli_parse(&format_spec, argc, argv, g, NULL, &file);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    format = cli_output_format(g, VOUCH_FORMAT_YAML, false, NULL);
    if (format < 0) {
        return CLI_USAGE;
    }
    rc = cli_load_policy(file.items[0], NULL, &policy);
    if (rc != CLI_OK) {
        return rc;
    }
    if (vouch_policy_print(policy, (vouch_format)format, &text, &len,
                           &err) < 0) {
        rc = cli_fail_error(&err);
    } else {
        rc = cli_write_doc(text, len, (vouch_format)format);
    }
    vouch_free(text);
    vouch_policy_free(policy);
    return rc;
}

int cmd_policy(int argc, char **argv, cli_globals *g)
{
    static const cli_command commands[] = {
        {"validate", policy_validate, "check policy files", 0},
        {"format", policy_format, "print a policy in canonical form", 0},
        {"import", cmd_policy_import,
         "replace the policy on vouchd with a file", 0},
        {"export", cmd_policy_export, "print the policy stored on vouchd", 0},
        {NULL, NULL, NULL, 0},
    };

    return cli_dispatch("policy", commands, argc, argv, g);
}
