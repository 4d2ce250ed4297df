/*
 * `vouch keys id FILE`: the id Binary Authorization gives a public key.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static int keys_id(int argc, char **argv, cli_globals *g)
{
    vouch_error err = VOUCH_ERROR_INIT;
    const char *path = NULL;
    char *data = NULL;
    char *id = NULL;
    size_t len = 0;
    int rc;
    int i;

    for (i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch keys id FILE\n\n"
                   "Print the default key id of a public key file:\n"
                   "  PEM SubjectPublicKeyInfo  ni:///sha-256;<base64url of "
                   "SHA-256(DER)>\n"
                   "  armored OpenPGP key       upper-case V4 fingerprint\n");
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
            return cli_unknown("vouch keys id", argv[i]);
        }
        path = argv[i];
    }
    if (path == NULL) {
        return cli_fail("keys id needs a FILE");
    }
    rc = cli_read_file(path, VOUCH_KEY_MAX_BYTES, &data, &len);
    if (rc != CLI_OK) {
        return rc;
    }
    if (vouch_key_default_id(data, len, &id, &err) < 0) {
        rc = cli_fail_error_in(&err, path);
    } else {
        printf("%s\n", id);
    }
    vouch_free(id);
    free(data);
    return rc;
}

int cmd_keys(int argc, char **argv, cli_globals *g)
{
    static const cli_command commands[] = {
        {"id", keys_id, "print the default key id of a public key file"},
        {NULL, NULL, NULL},
    };

    return cli_dispatch("keys", commands, argc, argv, g);
}
