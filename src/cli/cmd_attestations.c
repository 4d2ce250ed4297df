/*
 * `vouch attestations create-signature-payload|sign`: the offline half of
 * gcloud's `container binauthz attestations` / `create-signature-payload`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"

static int create_signature_payload(int argc, char **argv, cli_globals *g)
{
    vouch_error err = VOUCH_ERROR_INIT;
    const char *url = NULL;
    char *payload = NULL;
    size_t len = 0;
    int rc;
    int i;

    for (i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch attestations create-signature-payload "
                   "--artifact-url IMAGE@sha256:DIGEST\n\n"
                   "Print the exact bytes that 'gcloud container binauthz "
                   "create-signature-payload'\nprints: the JSON to sign "
                   "for an attestation of that image digest.\n");
            return CLI_OK;
        }
        rc = cli_flag(argc, argv, &i, "--artifact-url", &url);
        if (rc < 0) {
            return CLI_USAGE;
        }
        if (rc > 0) {
            continue;
        }
        rc = cli_global_flag(argc, argv, &i, g);
        if (rc < 0) {
            return CLI_USAGE;
        }
        if (rc == 0) {
            return cli_unknown("vouch attestations create-signature-payload",
                               argv[i]);
        }
    }
    if (url == NULL) {
        return cli_fail("--artifact-url is required");
    }
    if (vouch_signature_payload_create(url, strlen(url), &payload, &len,
                                       &err) < 0) {
        return cli_fail_error(&err);
    }
    rc = cli_write(payload, len);
    vouch_free(payload);
    return rc;
}

static int sign(int argc, char **argv, cli_globals *g)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_private_key *key = NULL;
    vouch_attestation *att = NULL;
    vouch_signature_algorithm alg = VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED;
    const char *url = NULL;
    const char *note = NULL;
    const char *key_path = NULL;
    const char *alg_name = NULL;
    const char *key_id = NULL;
    char *pem = NULL;
    size_t pem_len = 0;
    char *json = NULL;
    char *text = NULL;
    size_t text_len = 0;
    int format;
    int rc;
    int i;

    for (i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch attestations sign --artifact-url "
                   "IMAGE@sha256:DIGEST\n"
                   "         --note projects/P/notes/N --private-key "
                   "KEY.pem\n"
                   "         [--algorithm ALG] [--public-key-id ID] "
                   "[--format json|yaml]\n\n"
                   "Sign the gcloud signature payload of the image with a "
                   "local PEM private key\nand print the attestation "
                   "occurrence (Grafeas v1). ALG is the enum name\n"
                   "(ECDSA_P256_SHA256) or gcloud's spelling "
                   "(ecdsa-p256-sha256); by default it\nis inferred from "
                   "the key. The key id defaults to the public key's\n"
                   "ni:///sha-256;... id.\n");
            return CLI_OK;
        }
        if ((rc = cli_flag(argc, argv, &i, "--artifact-url", &url)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--note", &note)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--private-key", &key_path)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--algorithm", &alg_name)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--public-key-id", &key_id)) != 0 ||
            (rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        return cli_unknown("vouch attestations sign", argv[i]);
    }
    if (url == NULL || note == NULL || key_path == NULL) {
        return cli_fail("--artifact-url, --note and --private-key are "
                        "required");
    }
    format = cli_output_format(g, VOUCH_FORMAT_JSON, false, NULL);
    if (format < 0) {
        return CLI_USAGE;
    }
    if (alg_name != NULL &&
        vouch_signature_algorithm_parse(alg_name, strlen(alg_name), &alg,
                                        &err) < 0) {
        snprintf(err.source, sizeof(err.source), "--algorithm");
        return cli_fail_error(&err);
    }
    rc = cli_read_file(key_path, VOUCH_KEY_MAX_BYTES, &pem, &pem_len);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    if (vouch_private_key_new(&key, pem, pem_len, alg, &err) < 0 ||
        vouch_attestation_sign(key, url, note, key_id, &json, &err) < 0) {
        rc = cli_fail_error_in(&err, key_path);
        goto cleanup;
    }
    if (format == VOUCH_FORMAT_JSON) {
        rc = cli_write(json, strlen(json));
        goto cleanup;
    }
    if (vouch_attestation_parse(&att, json, strlen(json), VOUCH_FORMAT_JSON,
                                "signed occurrence", &err) < 0 ||
        vouch_attestation_print(att, (vouch_format)format, &text, &text_len,
                                &err) < 0) {
        rc = cli_fail_error(&err);
        goto cleanup;
    }
    rc = cli_write(text, text_len);

cleanup:
    if (pem != NULL) {
        memset(pem, 0, pem_len); /* private key material */
    }
    free(pem);
    vouch_free(json);
    vouch_free(text);
    vouch_attestation_free(att);
    vouch_private_key_free(key);
    return rc;
}

int cmd_attestations(int argc, char **argv, cli_globals *g)
{
    static const cli_command commands[] = {
        {"create-signature-payload", create_signature_payload,
         "print the payload to sign for an image digest"},
        {"sign", sign, "sign with a local PEM key, print the occurrence"},
        {"create", cmd_attestations_create,
         "store an attestation from a signature file on vouchd"},
        {"sign-and-create", cmd_attestations_sign_and_create,
         "sign with a local key and store the attestation on vouchd"},
        {"list", cmd_attestations_list,
         "list the attestations of an attestor"},
        {NULL, NULL, NULL},
    };

    return cli_dispatch("attestations", commands, argc, argv, g);
}
