/*
 * `vouch attestations create|sign-and-create|list`: gcloud's
 * `container binauthz attestations` against vouchd (spec/binauthz.md
 * §3.1-3.2, §3.7-3.8). An attestation is a Container Analysis occurrence
 * of the attestor's note; it is stored in the project of --project, else
 * in the attestor's project, and listed from there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "client.h"

#define NAME_MAX_LEN 512

/* base64 (standard alphabet, padded) of `len` bytes as a JSON string. */
static json_t *base64_json(const void *data, size_t len)
{
    size_t n = 4 * ((len + 2) / 3) + 1;
    unsigned char *out;
    json_t *s;

    if (len > (size_t)INT32_MAX / 2) {
        return NULL;
    }
    out = malloc(n);
    if (out == NULL) {
        return NULL;
    }
    EVP_EncodeBlock(out, data, (int)len);
    s = json_string((const char *)out);
    free(out);
    return s;
}

/* The project an occurrence goes to / is listed from. */
static int occurrence_project(const cli_globals *g, const char *attestor,
                              char *buf, size_t size)
{
    if (g->project != NULL && g->project[0] != '\0') {
        char check[300];

        if (client_resource_name(g, "occurrences", "x", "--project", check,
                                 sizeof(check)) != CLI_OK) {
            return CLI_USAGE;
        }
        snprintf(buf, size, "%s", g->project);
        return CLI_OK;
    }
    return client_name_project(attestor, buf, size);
}

/* GET the attestor; *note = its noteReference (malloc'd). */
static int attestor_note(client *c, const char *name, char **note)
{
    char path[NAME_MAX_LEN + 8];
    json_t *att = NULL;
    const char *ref;
    int rc;

    *note = NULL;
    snprintf(path, sizeof(path), "/v1/%s", name);
    rc = client_call(c, "GET", path, NULL, NULL, &att);
    if (rc != CLI_OK) {
        return rc;
    }
    ref = json_string_value(json_object_get(
        json_object_get(att, "userOwnedGrafeasNote"), "noteReference"));
    if (ref == NULL) {
        rc = cli_fail("attestor %s has no userOwnedGrafeasNote."
                      "noteReference", name);
    } else {
        *note = strdup(ref);
        rc = *note != NULL ? CLI_OK : cli_fail("out of memory");
    }
    json_decref(att);
    return rc;
}

/*
 * Check the occurrence locally, validate it on the server when asked
 * (refusing with CLI_DENIED unless VERIFIED), then create it and print it.
 */
static int store_occurrence(client *c, const cli_globals *g,
                            const char *attestor, const char *note,
                            json_t *occ, bool validate)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_attestation *att = NULL;
    char project[256];
    char path[NAME_MAX_LEN + 64];
    char *text = NULL;
    json_t *req = NULL;
    json_t *result = NULL;
    int rc;

    text = json_dumps(occ, JSON_COMPACT);
    if (text == NULL) {
        return cli_fail("out of memory");
    }
    if (vouch_attestation_parse(&att, text, strlen(text), VOUCH_FORMAT_JSON,
                                "attestation", &err) < 0) {
        rc = cli_fail_error(&err);
        goto cleanup;
    }
    rc = occurrence_project(g, attestor, project, sizeof(project));
    if (rc != CLI_OK) {
        goto cleanup;
    }
    if (validate) {
        const char *verdict;
        const char *reason;

        req = json_pack("{s:O,s:s,s:O}", "attestation",
                        json_object_get(occ, "attestation"),
                        "occurrenceNote", note, "occurrenceResourceUri",
                        json_object_get(occ, "resourceUri"));
        if (req == NULL) {
            rc = cli_fail("out of memory");
            goto cleanup;
        }
        snprintf(path, sizeof(path), "/v1/%s:validateAttestationOccurrence",
                 attestor);
        rc = client_call(c, "POST", path, NULL, req, &result);
        if (rc != CLI_OK) {
            goto cleanup;
        }
        verdict = json_string_value(json_object_get(result, "result"));
        reason = json_string_value(json_object_get(result, "denialReason"));
        if (verdict == NULL || strcmp(verdict, "VERIFIED") != 0) {
            cli_fail("attestation not created: %s says it is %s: %s",
                     attestor, verdict != NULL ? verdict : "not verified",
                     reason != NULL ? reason : "(no reason given)");
            rc = CLI_DENIED;
            goto cleanup;
        }
        json_decref(result);
        result = NULL;
    }
    snprintf(path, sizeof(path), "/v1/projects/%s/occurrences", project);
    rc = client_call(c, "POST", path, NULL, occ, &result);
    if (rc == CLI_OK) {
        const char *name = json_string_value(json_object_get(result,
                                                             "name"));

        fprintf(stderr, "Created attestation [%s].\n",
                name != NULL ? name : "?");
        rc = client_print(g, result, VOUCH_FORMAT_YAML,
                          CLIENT_OCCURRENCE);
    }

cleanup:
    vouch_attestation_free(att);
    json_decref(req);
    json_decref(result);
    free(text);
    return rc;
}

int cmd_attestations_create(int argc, char **argv, cli_globals *g)
{
    vouch_error err = VOUCH_ERROR_INIT;
    const char *url = NULL;
    const char *attestor = NULL;
    const char *sig_file = NULL;
    const char *key_id = NULL;
    const char *fpr = NULL;
    const char *payload_file = NULL;
    bool validate = false;
    char name[NAME_MAX_LEN];
    char *sig = NULL;
    size_t sig_len = 0;
    char *payload = NULL;
    size_t payload_len = 0;
    bool payload_ours = false;
    char *note = NULL;
    client *c = NULL;
    json_t *occ = NULL;
    json_t *p64 = NULL;
    json_t *s64 = NULL;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch attestations create --artifact-url "
                   "IMAGE@sha256:DIGEST\n"
                   "         --attestor A --signature-file SIG\n"
                   "         (--public-key-id ID | --pgp-key-fingerprint "
                   "FPR)\n"
                   "         [--payload-file PAYLOAD] [--validate]\n\n"
                   "Store an attestation (an occurrence of the attestor's "
                   "note) made from a\nsignature over PAYLOAD (default: the "
                   "payload 'vouch attestations\ncreate-signature-payload' "
                   "prints for the URL). With --validate the server\nchecks "
                   "it first (validateAttestationOccurrence) and nothing is "
                   "stored\nunless it is VERIFIED: exit 1 with the denial "
                   "reason.\n");
            return CLI_OK;
        }
        if (cli_switch(argv, i, "--validate")) {
            validate = true;
            continue;
        }
        if ((rc = cli_flag(argc, argv, &i, "--artifact-url", &url)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--attestor", &attestor)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--signature-file",
                           &sig_file)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--public-key-id",
                           &key_id)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--pgp-key-fingerprint",
                           &fpr)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--payload-file",
                           &payload_file)) != 0 ||
            (rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        return cli_unknown("vouch attestations create", argv[i]);
    }
    if (url == NULL || attestor == NULL || sig_file == NULL) {
        return cli_fail("--artifact-url, --attestor and --signature-file "
                        "are required");
    }
    if ((key_id == NULL) == (fpr == NULL)) {
        return cli_fail("give exactly one of --public-key-id and "
                        "--pgp-key-fingerprint");
    }
    if (key_id == NULL) {
        key_id = fpr;
    }
    rc = client_resource_name(g, "attestors", attestor, "--attestor", name,
                              sizeof(name));
    if (rc != CLI_OK) {
        return rc;
    }
    rc = cli_read_file(sig_file, VOUCH_SIGNATURE_MAX_BYTES, &sig, &sig_len);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    if (sig_len == 0) {
        rc = cli_fail("%s: the signature file is empty", sig_file);
        goto cleanup;
    }
    if (payload_file != NULL) {
        rc = cli_read_file(payload_file, VOUCH_PAYLOAD_MAX_BYTES, &payload,
                           &payload_len);
        if (rc != CLI_OK) {
            goto cleanup;
        }
    } else {
        if (vouch_signature_payload_create(url, strlen(url), &payload,
                                           &payload_len, &err) < 0) {
            snprintf(err.source, sizeof(err.source), "--artifact-url");
            rc = cli_fail_error(&err);
            goto cleanup;
        }
        payload_ours = true;
    }
    p64 = base64_json(payload, payload_len);
    s64 = base64_json(sig, sig_len);
    if (p64 == NULL || s64 == NULL) {
        rc = cli_fail("out of memory");
        goto cleanup;
    }
    rc = client_new(&c, g);
    if (rc == CLI_OK) {
        rc = attestor_note(c, name, &note);
    }
    if (rc != CLI_OK) {
        goto cleanup;
    }
    occ = json_pack("{s:s,s:s,s:s,s:{s:O,s:[{s:O,s:s}]}}", "kind",
                    "ATTESTATION", "noteName", note, "resourceUri", url,
                    "attestation", "serializedPayload", p64, "signatures",
                    "signature", s64, "publicKeyId", key_id);
    if (occ == NULL) {
        rc = cli_fail("--artifact-url or --public-key-id: not valid UTF-8");
        goto cleanup;
    }
    rc = store_occurrence(c, g, name, note, occ, validate);

cleanup:
    json_decref(occ);
    json_decref(p64);
    json_decref(s64);
    client_free(c);
    free(note);
    if (payload_ours) {
        vouch_free(payload);
    } else {
        free(payload);
    }
    free(sig);
    return rc;
}

int cmd_attestations_sign_and_create(int argc, char **argv, cli_globals *g)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_signature_algorithm alg = VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED;
    vouch_private_key *key = NULL;
    const char *url = NULL;
    const char *attestor = NULL;
    const char *key_path = NULL;
    const char *alg_name = NULL;
    const char *key_id = NULL;
    bool validate = false;
    char name[NAME_MAX_LEN];
    char *pem = NULL;
    size_t pem_len = 0;
    char *note = NULL;
    char *json = NULL;
    json_error_t jerr;
    json_t *occ = NULL;
    client *c = NULL;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch attestations sign-and-create "
                   "--artifact-url IMAGE@sha256:DIGEST\n"
                   "         --attestor A --private-key KEY.pem "
                   "[--algorithm ALG]\n"
                   "         [--public-key-id ID] [--validate]\n\n"
                   "Sign the gcloud payload of the image with a local PEM "
                   "private key (as\n'vouch attestations sign') and store "
                   "the attestation as an occurrence of\nthe attestor's "
                   "note. The key id defaults to the public key's\n"
                   "ni:///sha-256;... id. --validate as for 'vouch "
                   "attestations create'.\n");
            return CLI_OK;
        }
        if (cli_switch(argv, i, "--validate")) {
            validate = true;
            continue;
        }
        if ((rc = cli_flag(argc, argv, &i, "--artifact-url", &url)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--attestor", &attestor)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--private-key",
                           &key_path)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--algorithm", &alg_name)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--public-key-id",
                           &key_id)) != 0 ||
            (rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        return cli_unknown("vouch attestations sign-and-create", argv[i]);
    }
    if (url == NULL || attestor == NULL || key_path == NULL) {
        return cli_fail("--artifact-url, --attestor and --private-key are "
                        "required");
    }
    if (alg_name != NULL &&
        vouch_signature_algorithm_parse(alg_name, strlen(alg_name), &alg,
                                        &err) < 0) {
        snprintf(err.source, sizeof(err.source), "--algorithm");
        return cli_fail_error(&err);
    }
    rc = client_resource_name(g, "attestors", attestor, "--attestor", name,
                              sizeof(name));
    if (rc != CLI_OK) {
        return rc;
    }
    rc = cli_read_file(key_path, VOUCH_KEY_MAX_BYTES, &pem, &pem_len);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    if (vouch_private_key_new(&key, pem, pem_len, alg, &err) < 0) {
        rc = cli_fail_error_in(&err, key_path);
        goto cleanup;
    }
    rc = client_new(&c, g);
    if (rc == CLI_OK) {
        rc = attestor_note(c, name, &note);
    }
    if (rc != CLI_OK) {
        goto cleanup;
    }
    if (vouch_attestation_sign(key, url, note, key_id, &json, &err) < 0) {
        rc = cli_fail_error_in(&err, "--artifact-url");
        goto cleanup;
    }
    occ = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (occ == NULL) {
        rc = cli_fail("cannot re-read the signed occurrence: %s", jerr.text);
        goto cleanup;
    }
    rc = store_occurrence(c, g, name, note, occ, validate);

cleanup:
    if (pem != NULL) {
        memset(pem, 0, pem_len); /* private key material */
    }
    free(pem);
    vouch_private_key_free(key);
    vouch_free(json);
    json_decref(occ);
    free(note);
    client_free(c);
    return rc;
}

/* Append `"value"` to the filter, escaping '"' and '\'. */
static int filter_term(char *buf, size_t size, size_t *used,
                       const char *field, const char *value)
{
    int w = snprintf(buf + *used, size - *used, "%s%s=\"",
                     *used > 0 ? " AND " : "", field);

    if (w < 0 || (size_t)w >= size - *used) {
        return -1;
    }
    *used += (size_t)w;
    for (const char *p = value; *p != '\0'; p++) {
        if (*used + 3 >= size) {
            return -1;
        }
        if (*p == '"' || *p == '\\') {
            buf[(*used)++] = '\\';
        }
        buf[(*used)++] = *p;
    }
    if (*used + 2 >= size) {
        return -1;
    }
    buf[(*used)++] = '"';
    buf[*used] = '\0';
    return 0;
}

static int print_occurrence_table(const json_t *list)
{
    size_t i;
    json_t *o;

    printf("%-48s %-60s %s\n", "NAME", "RESOURCE_URI", "PUBLIC_KEY_IDS");
    json_array_foreach(list, i, o) {
        const char *name = json_string_value(json_object_get(o, "name"));
        const char *uri =
            json_string_value(json_object_get(o, "resourceUri"));
        json_t *sigs = json_object_get(json_object_get(o, "attestation"),
                                       "signatures");
        size_t k;
        json_t *s;

        printf("%-48s %-60s ", name != NULL ? name : "",
               uri != NULL ? uri : "");
        json_array_foreach(sigs, k, s) {
            const char *id =
                json_string_value(json_object_get(s, "publicKeyId"));

            printf("%s%s", k > 0 ? "," : "", id != NULL ? id : "");
        }
        printf("\n");
    }
    return fflush(stdout) == 0 ? CLI_OK : cli_fail("cannot write output");
}

int cmd_attestations_list(int argc, char **argv, cli_globals *g)
{
    const char *attestor = NULL;
    const char *url = NULL;
    char name[NAME_MAX_LEN];
    char project[256];
    char path[320];
    char filter[4096];
    size_t used = 0;
    char *note = NULL;
    char *escaped = NULL;
    char *query = NULL;
    client *c = NULL;
    json_t *all = NULL;
    bool text = false;
    int format;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch attestations list --attestor A "
                   "[--artifact-url IMAGE@sha256:DIGEST]\n"
                   "         [--format json|yaml|text]\n\n"
                   "List the attestations (occurrences of the attestor's "
                   "note), optionally\nonly those for one image. Default: a "
                   "table of NAME, RESOURCE_URI and\nPUBLIC_KEY_IDS; json "
                   "and yaml print the occurrences as an array.\n");
            return CLI_OK;
        }
        if ((rc = cli_flag(argc, argv, &i, "--attestor", &attestor)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--artifact-url", &url)) != 0 ||
            (rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        return cli_unknown("vouch attestations list", argv[i]);
    }
    if (attestor == NULL) {
        return cli_fail("--attestor is required");
    }
    format = cli_output_format(g, VOUCH_FORMAT_JSON, true, &text);
    if (format < 0) {
        return CLI_USAGE;
    }
    text = text || g->format == NULL;
    rc = client_resource_name(g, "attestors", attestor, "--attestor", name,
                              sizeof(name));
    if (rc == CLI_OK) {
        rc = occurrence_project(g, name, project, sizeof(project));
    }
    if (rc == CLI_OK) {
        rc = client_new(&c, g);
    }
    if (rc == CLI_OK) {
        rc = attestor_note(c, name, &note);
    }
    if (rc != CLI_OK) {
        goto cleanup;
    }
    if (filter_term(filter, sizeof(filter), &used, "noteName", note) < 0 ||
        (url != NULL && filter_term(filter, sizeof(filter), &used,
                                    "resourceUrl", url) < 0)) {
        rc = cli_fail("--artifact-url: too long");
        goto cleanup;
    }
    escaped = client_escape(c, filter);
    query = escaped != NULL ? malloc(strlen(escaped) + sizeof("filter="))
                            : NULL;
    if (query == NULL) {
        rc = cli_fail("out of memory");
        goto cleanup;
    }
    sprintf(query, "filter=%s", escaped);
    snprintf(path, sizeof(path), "/v1/projects/%s/occurrences", project);
    rc = client_list_all(c, path, query, "occurrences", &all);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    rc = text ? print_occurrence_table(all)
              : client_print_as(all, (vouch_format)format);

cleanup:
    free(query);
    free(escaped);
    free(note);
    json_decref(all);
    client_free(c);
    return rc;
}
