/*
 * `vouch keys id FILE`: the id Binary Authorization gives a public key.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const cli_spec id_spec = {
    "vouch keys id", "FILE", 1, 1, false, NULL,
    "Print the default key id of a public key file ('-' reads standard "
    "input):\n"
    "  PEM SubjectPublicKeyInfo  ni:///sha-256;<base64url of SHA-256(DER)>\n"
    "  armored OpenPGP key       upper-case V4 fingerprint",
};

static int keys_id(int argc, char **argv, cli_globals *g)
{
    vouch_error err = VOUCH_ERROR_INIT;
    cli_list file;
    char *data = NULL;
    char *id = NULL;
    size_t len = 0;
    int rc;

    rc = cli_parse(&id_spec, argc, argv, g, NULL, &file);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    rc = cli_read_file(file.items[0], VOUCH_KEY_MAX_BYTES, &data, &len);
    if (rc != CLI_OK) {
        return rc;
    }
    if (vouch_key_default_id(data, len, &id, &err) < 0) {
        rc = cli_fail_error_in(&err, file.items[0]);
    } else {
        cli_out("%s", id);
    }
    vouch_free(id);
    free(data);
    return rc;
}

int cmd_keys(int argc, char **argv, cli_globals *g)
{
    static const cli_command commands[] = {
        {"id", keys_id, "print the default key id of a public key file", 0},
        {NULL, NULL, NULL, 0},
    };

    return cli_dispatch("keys", commands, argc, argv, g);
}
