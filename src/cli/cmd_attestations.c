/*
 * `vouch attestations create-signature-payload|sign`: the offline half of
 * gcloud's `container binauthz attestations` / `create-signature-payload`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"

typedef struct sign_opts {
    const char *url;
    const char *note;
    const char *key;
    const char *algorithm;
    const char *key_id;
} sign_opts;

static const cli_flag payload_flags[] = {
    CLI_STRING("--artifact-url", "IMAGE@sha256:DIGEST", sign_opts, url,
               CLI_REQUIRED, "the image the attestation is about"),
    CLI_END,
};

static const cli_spec payload_spec = {
    "vouch attestations create-signature-payload", NULL, 0, 0, false,
    payload_flags,
    "Print the exact bytes that 'gcloud container binauthz "
    "create-signature-payload' prints: the JSON to sign for an attestation "
    "of that image digest.",
};

static int create_signature_payload(int argc, char **argv, cli_globals *g)
{
    vouch_error err = VOUCH_ERROR_INIT;
    sign_opts o = {0};
    char *payload = NULL;
    size_t len = 0;
    int rc;

    rc = cli_parse(&payload_spec, argc, argv, g, &o, NULL);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if (vouch_signature_payload_create(o.url, strlen(o.url), &payload, &len,
                                       &err) < 0) {
        return cli_fail_error(&err);
    }
    /* The bytes to sign, exactly: no escaping. */
    rc = cli_write(payload, len);
    vouch_free(payload);
    return rc;
}

static const cli_flag sign_flags[] = {
    CLI_STRING("--artifact-url", "IMAGE@sha256:DIGEST", sign_opts, url,
               CLI_REQUIRED, "the image to attest"),
    CLI_STRING("--note", "projects/P/notes/N", sign_opts, note,
               CLI_REQUIRED, "the attestor's note"),
    CLI_SIGNING_FLAGS(sign_opts),
    CLI_END,
};

static const cli_spec sign_spec = {
    "vouch attestations sign", NULL, 0, 0, false, sign_flags,
    "Sign the gcloud signature payload of the image with a local PEM "
    "private key and print the attestation occurrence (Grafeas v1; --format "
    "json, the default, or yaml). ALG is the enum name (ECDSA_P256_SHA256) "
    "or gcloud's spelling (ecdsa-p256-sha256); by default it is inferred "
    "from the key. The key id defaults to the public key's ni:///sha-256;... "
    "id.",
};

static int sign(int argc, char **argv, cli_globals *g)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_private_key *key = NULL;
    vouch_signature_algorithm alg = VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED;
    sign_opts o = {0};
    char *json = NULL;
    char *text = NULL;
    size_t text_len = 0;
    int format;
    int rc;

    rc = cli_parse(&sign_spec, argc, argv, g, &o, NULL);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    format = cli_output_format(g, VOUCH_FORMAT_JSON, false, NULL);
    if (format < 0) {
        return CLI_USAGE;
    }
    if ((rc = cli_parse_algorithm(o.algorithm, "--algorithm", &alg)) !=
            CLI_OK ||
        (rc = cli_load_private_key(o.key, alg, &key)) != CLI_OK) {
        goto cleanup;
    }
    if (vouch_attestation_sign(key, o.url, o.note, o.key_id, &json,
                               &err) < 0) {
        rc = cli_fail_error_in(&err, o.key);
        goto cleanup;
    }
    if (format == VOUCH_FORMAT_JSON) {
        rc = cli_write_json(json, strlen(json));
        goto cleanup;
    }
    if (client_reprint(CLIENT_OCCURRENCE, json, "signed occurrence",
                       (vouch_format)format, &text, &text_len, &err) < 0) {
        rc = cli_fail_error(&err);
        goto cleanup;
    }
    rc = cli_write(text, text_len);

cleanup:
    vouch_free(json);
    vouch_free(text);
    vouch_private_key_free(key);
    return rc;
}

int cmd_attestations(int argc, char **argv, cli_globals *g)
{
    static const cli_command commands[] = {
        {"create-signature-payload", create_signature_payload,
         "print the payload to sign for an image digest", 0},
        {"sign", sign, "sign with a local PEM key, print the occurrence", 0},
        {"create", cmd_attestations_create,
         "store an attestation from a signature file on vouchd", 0},
        {"sign-and-create", cmd_attestations_sign_and_create,
         "sign with a local key and store the attestation on vouchd", 0},
        {"list", cmd_attestations_list,
         "list the attestations of an attestor", 0},
        {NULL, NULL, NULL, 0},
    };

    return cli_dispatch("attestations", commands, argc, argv, g);
}
