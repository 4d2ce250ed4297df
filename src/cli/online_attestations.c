/*
 * `vouch attestations create|sign-and-create|list`: gcloud's
 * `container binauthz attestations` against vouchd (docs/api.md). An
 * attestation is a Container Analysis occurrence
 * of the attestor's note; it is stored in the project of --project, else
 * in the attestor's project, and listed from there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "client.h"

#define NAME_MAX_LEN 512

/* The options of create, sign-and-create and list. */
typedef struct occ_opts {
    const char *url;
    const char *attestor;
    const char *sig_file;
    const char *key_id;
    const char *fpr;
    const char *payload_file;
    const char *key;
    const char *algorithm;
    bool validate;
} occ_opts;

#define URL_FLAG(req) \
    CLI_STRING("--artifact-url", "IMAGE@sha256:DIGEST", occ_opts, url, req, \
               "the image the attestation is about")
#define ATTESTOR_FLAG \
    CLI_STRING("--attestor", "A", occ_opts, attestor, CLI_REQUIRED, \
               "the attestor, an id or projects/P/attestors/A")
#define VALIDATE_FLAG \
    CLI_SWITCH("--validate", occ_opts, validate, \
               "store it only if the server verifies it")

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

/* GET the attestor; *note = its noteReference (malloc'd). */
static int attestor_note(client *c, const char *name, char **note)
{
    json_t *att = NULL;
    const char *ref;
    int rc;

    *note = NULL;
    rc = client_call_name(c, "GET", name, NULL, &att);
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

/* A client, and the note of the attestor `name` (*note, malloc'd): every
 * attestations command starts from the attestor's note. */
static int attestor_client(const cli_globals *g, const char *name,
                           client **c, char **note)
{
    int rc = client_new(c, g);

    *note = NULL;
    return rc == CLI_OK ? attestor_note(*c, name, note) : rc;
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
    rc = client_project_of(g, attestor, project, sizeof(project));
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

        cli_note("Created attestation [%s].", name != NULL ? name : "?");
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

static const cli_flag create_flags[] = {
    URL_FLAG(CLI_REQUIRED),
    ATTESTOR_FLAG,
    CLI_STRING("--signature-file", "SIG", occ_opts, sig_file, CLI_REQUIRED,
               "the signature over the payload"),
    CLI_STRING("--public-key-id", "ID", occ_opts, key_id, 0,
               "the id of the PKIX key that signed"),
    CLI_STRING("--pgp-key-fingerprint", "FPR", occ_opts, fpr, 0,
               "the fingerprint of the PGP key that signed"),
    CLI_STRING("--payload-file", "PAYLOAD", occ_opts, payload_file, 0,
               "the signed payload (default: the image's gcloud payload)"),
    VALIDATE_FLAG,
    CLI_END,
};

static const cli_spec create_spec = {
    "vouch attestations create", NULL, 0, 0, false, create_flags,
    "Store an attestation (an occurrence of the attestor's note) made from "
    "a signature over PAYLOAD (default: the payload 'vouch attestations "
    "create-signature-payload' prints for the URL); give exactly one of "
    "--public-key-id and --pgp-key-fingerprint. With --validate the server "
    "checks it first (validateAttestationOccurrence) and nothing is stored "
    "unless it is VERIFIED: exit 1 with the denial reason.",
};

/*
 * The payload create signs over: --payload-file, else the image's gcloud
 * payload, which libvouch allocates (*ours: free it with vouch_free()).
 */
static int create_payload(const occ_opts *o, char **payload, size_t *len,
                          bool *ours)
{
    vouch_error err = VOUCH_ERROR_INIT;

    if (o->payload_file != NULL) {
        return cli_read_file(o->payload_file, VOUCH_PAYLOAD_MAX_BYTES,
                             payload, len);
    }
    if (vouch_signature_payload_create(o->url, strlen(o->url), payload, len,
                                       &err) < 0) {
        snprintf(err.source, sizeof(err.source), "--artifact-url");
        return cli_fail_error(&err);
    }
    *ours = true;
    return CLI_OK;
}

/* What create attests: the payload and the signature over it, each as
 * the base64 JSON string the occurrence carries. */
typedef struct signed_payload {
    json_t *payload;
    json_t *signature;
} signed_payload;

/* Read --signature-file and the payload into *out, in base64. */
static int read_signed(const occ_opts *o, signed_payload *out)
{
    char *sig = NULL;
    size_t sig_len = 0;
    char *payload = NULL;
    size_t payload_len = 0;
    bool payload_ours = false;
    int rc = cli_read_file(o->sig_file, VOUCH_SIGNATURE_MAX_BYTES, &sig,
                           &sig_len);

    if (rc == CLI_OK && sig_len == 0) {
        rc = cli_fail("%s: the signature file is empty", o->sig_file);
    }
    if (rc == CLI_OK) {
        rc = create_payload(o, &payload, &payload_len, &payload_ours);
    }
    if (rc == CLI_OK) {
        out->payload = base64_json(payload, payload_len);
        out->signature = base64_json(sig, sig_len);
        if (out->payload == NULL || out->signature == NULL) {
            rc = cli_fail("out of memory");
        }
    }
    if (payload_ours) {
        vouch_free(payload);
    } else {
        free(payload);
    }
    free(sig);
    return rc;
}

int cmd_attestations_create(int argc, char **argv, cli_globals *g)
{
    occ_opts o = {0};
    char name[NAME_MAX_LEN];
    signed_payload in = {NULL, NULL};
    char *note = NULL;
    client *c = NULL;
    json_t *occ = NULL;
    int rc;

    rc = cli_parse(&create_spec, argc, argv, g, &o, NULL);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if ((o.key_id == NULL) == (o.fpr == NULL)) {
        return cli_fail("give exactly one of --public-key-id and "
                        "--pgp-key-fingerprint");
    }
    rc = client_resource_name(g, "attestors", o.attestor, "--attestor", name,
                              sizeof(name));
    if (rc != CLI_OK) {
        return rc;
    }
    if ((rc = read_signed(&o, &in)) != CLI_OK ||
        (rc = attestor_client(g, name, &c, &note)) != CLI_OK) {
        goto cleanup;
    }
    occ = json_pack("{s:s,s:s,s:s,s:{s:O,s:[{s:O,s:s}]}}", "kind",
                    "ATTESTATION", "noteName", note, "resourceUri", o.url,
                    "attestation", "serializedPayload", in.payload,
                    "signatures", "signature", in.signature, "publicKeyId",
                    o.key_id != NULL ? o.key_id : o.fpr);
    if (occ == NULL) {
        rc = cli_fail("--artifact-url or --public-key-id: not valid UTF-8");
        goto cleanup;
    }
    rc = store_occurrence(c, g, name, note, occ, o.validate);

cleanup:
    json_decref(occ);
    json_decref(in.payload);
    json_decref(in.signature);
    client_free(c);
    free(note);
    return rc;
}

static const cli_flag sign_flags[] = {
    URL_FLAG(CLI_REQUIRED),
    ATTESTOR_FLAG,
    CLI_SIGNING_FLAGS(occ_opts),
    VALIDATE_FLAG,
    CLI_END,
};

static const cli_spec sign_spec = {
    "vouch attestations sign-and-create", NULL, 0, 0, false, sign_flags,
    "Sign the gcloud payload of the image with a local PEM private key (as "
    "'vouch attestations sign') and store the attestation as an occurrence "
    "of the attestor's note. The key id defaults to the public key's "
    "ni:///sha-256;... id. --validate as for 'vouch attestations create'.",
};

int cmd_attestations_sign_and_create(int argc, char **argv, cli_globals *g)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_signature_algorithm alg = VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED;
    vouch_private_key *key = NULL;
    occ_opts o = {0};
    char name[NAME_MAX_LEN];
    char *note = NULL;
    char *json = NULL;
    json_error_t jerr;
    json_t *occ = NULL;
    client *c = NULL;
    int rc;

    rc = cli_parse(&sign_spec, argc, argv, g, &o, NULL);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if ((rc = cli_parse_algorithm(o.algorithm, "--algorithm", &alg)) !=
            CLI_OK ||
        (rc = client_resource_name(g, "attestors", o.attestor, "--attestor",
                                   name, sizeof(name))) != CLI_OK) {
        return rc;
    }
    if ((rc = cli_load_private_key(o.key, alg, &key)) != CLI_OK ||
        (rc = attestor_client(g, name, &c, &note)) != CLI_OK) {
        goto cleanup;
    }
    if (vouch_attestation_sign(key, o.url, note, o.key_id, &json,
                               &err) < 0) {
        rc = cli_fail_error_in(&err, "--artifact-url");
        goto cleanup;
    }
    occ = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (occ == NULL) {
        rc = cli_fail("cannot re-read the signed occurrence: %s", jerr.text);
        goto cleanup;
    }
    rc = store_occurrence(c, g, name, note, occ, o.validate);

cleanup:
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

/* NAME, RESOURCE_URI and the signatures' key ids, joined by ','. */
static void occurrence_cells(const json_t *o, const char **cells,
                             char *scratch, size_t size)
{
    json_t *sigs = json_object_get(json_object_get(o, "attestation"),
                                   "signatures");
    size_t used = 0;
    size_t k;
    json_t *s;

    scratch[0] = '\0';
    json_array_foreach(sigs, k, s) {
        const char *id = json_string_value(json_object_get(s, "publicKeyId"));
        int w = snprintf(scratch + used, size - used, "%s%s",
                         k > 0 ? "," : "", id != NULL ? id : "");

        used += w > 0 ? (size_t)w : 0;
        if (used >= size) {
            break;
        }
    }
    cells[0] = json_string_value(json_object_get(o, "name"));
    cells[1] = json_string_value(json_object_get(o, "resourceUri"));
    cells[0] = cells[0] != NULL ? cells[0] : "";
    cells[1] = cells[1] != NULL ? cells[1] : "";
    cells[2] = scratch;
}

static const cli_flag list_flags[] = {
    ATTESTOR_FLAG,
    URL_FLAG(0),
    CLI_END,
};

static const cli_spec list_spec = {
    "vouch attestations list", NULL, 0, 0, false, list_flags,
    "List the attestations (occurrences of the attestor's note), "
    "optionally only those for one image. Default: a table of NAME, "
    "RESOURCE_URI and PUBLIC_KEY_IDS; json and yaml print the occurrences "
    "as an array.",
};

int cmd_attestations_list(int argc, char **argv, cli_globals *g)
{
    static const char *const heads[] = {"NAME", "RESOURCE_URI",
                                        "PUBLIC_KEY_IDS"};
    static const int widths[] = {48, 60, 0};
    occ_opts o = {0};
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

    rc = cli_parse(&list_spec, argc, argv, g, &o, NULL);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    format = client_list_format(g, &text);
    if (format < 0) {
        return CLI_USAGE;
    }
    rc = client_resource_name(g, "attestors", o.attestor, "--attestor", name,
                              sizeof(name));
    if (rc == CLI_OK) {
        rc = client_project_of(g, name, project, sizeof(project));
    }
    if (rc == CLI_OK) {
        rc = attestor_client(g, name, &c, &note);
    }
    if (rc != CLI_OK) {
        goto cleanup;
    }
    if (filter_term(filter, sizeof(filter), &used, "noteName", note) < 0 ||
        (o.url != NULL && filter_term(filter, sizeof(filter), &used,
                                      "resourceUrl", o.url) < 0)) {
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
    rc = text ? client_table(heads, 3, widths, all, occurrence_cells)
              : client_print_as(all, (vouch_format)format);

cleanup:
    free(query);
    free(escaped);
    free(note);
    json_decref(all);
    client_free(c);
    return rc;
}
