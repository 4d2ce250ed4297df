/*
 * `vouch attestors create|describe|list|update|delete` and
 * `vouch attestors public-keys add|remove`: gcloud's
 * `container binauthz attestors` against vouchd (Binary Authorization v1,
 * spec/binauthz.md §2, §2.6). Keys are added and removed client-side:
 * get the attestor, change its key list, PUT it back with its etag, so a
 * concurrent change is refused by the server (ABORTED) instead of lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define NAME_MAX_LEN 512

/* Handle a global flag; 1 handled, 0 not global, -1 error printed. */
static int attestor_path(const char *name, char *path, size_t size)
{
    snprintf(path, size, "/v1/%s", name);
    return CLI_OK;
}

/* GET the attestor `name` into *out. */
static int get_attestor(client *c, const char *name, json_t **out)
{
    char path[NAME_MAX_LEN + 8];

    attestor_path(name, path, sizeof(path));
    return client_call(c, "GET", path, NULL, NULL, out);
}

/* Connect, and resolve the attestor argument. */
static int begin(const cli_globals *g, const char *arg, const char *what,
                 char *name, size_t size, client **c)
{
    int rc = client_resource_name(g, "attestors", arg, what, name, size);

    if (rc != CLI_OK) {
        return rc;
    }
    return client_new(c, g);
}

static int attestors_create(int argc, char **argv, cli_globals *g)
{
    const char *id = NULL;
    const char *note = NULL;
    const char *note_project = NULL;
    const char *description = NULL;
    char name[NAME_MAX_LEN];
    char note_name[NAME_MAX_LEN];
    char project[256];
    char path[NAME_MAX_LEN];
    char *query = NULL;
    char *escaped = NULL;
    client *c = NULL;
    json_t *body = NULL;
    json_t *result = NULL;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch attestors create ATTESTOR\n"
                   "         --attestation-authority-note NOTE\n"
                   "         [--attestation-authority-note-project P] "
                   "[--description TEXT]\n\n"
                   "Create an attestor whose attestations are occurrences "
                   "of NOTE (an\nATTESTATION note that must exist: see "
                   "'vouch notes create'). ATTESTOR\nand NOTE are ids "
                   "(with --project) or full names. Keys are added with\n"
                   "'vouch attestors public-keys add'.\n");
            return CLI_OK;
        }
        if ((rc = cli_flag(argc, argv, &i, "--attestation-authority-note",
                           &note)) != 0 ||
            (rc = cli_flag(argc, argv, &i,
                           "--attestation-authority-note-project",
                           &note_project)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--description",
                           &description)) != 0 ||
            (rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        if (argv[i][0] == '-' || id != NULL) {
            return cli_unknown("vouch attestors create", argv[i]);
        }
        id = argv[i];
    }
    if (id == NULL) {
        return cli_fail("attestors create needs an ATTESTOR");
    }
    if (note == NULL) {
        return cli_fail("--attestation-authority-note is required");
    }
    rc = client_resource_name(g, "attestors", id, "ATTESTOR", name,
                              sizeof(name));
    if (rc != CLI_OK) {
        return rc;
    }
    rc = client_name_project(name, project, sizeof(project));
    if (rc != CLI_OK) {
        return rc;
    }
    if (strchr(note, '/') == NULL) {
        cli_globals ng = *g;

        ng.project = note_project != NULL ? note_project : project;
        rc = client_resource_name(&ng, "notes", note,
                                  "--attestation-authority-note", note_name,
                                  sizeof(note_name));
    } else if (note_project != NULL) {
        return cli_fail("--attestation-authority-note-project goes with a "
                        "note id, not with the full name '%s'", note);
    } else {
        rc = client_resource_name(g, "notes", note,
                                  "--attestation-authority-note", note_name,
                                  sizeof(note_name));
    }
    if (rc != CLI_OK) {
        return rc;
    }
    body = json_pack("{s:s,s:{s:s}}", "name", name, "userOwnedGrafeasNote",
                     "noteReference", note_name);
    if (body == NULL ||
        (description != NULL &&
         json_object_set_new(body, "description",
                             json_string(description)) != 0)) {
        rc = cli_fail("--description: not valid UTF-8");
        goto cleanup;
    }
    rc = client_new(&c, g);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    escaped = client_escape(c, client_name_id(name));
    if (escaped == NULL) {
        rc = cli_fail("out of memory");
        goto cleanup;
    }
    query = malloc(strlen(escaped) + sizeof("attestorId="));
    if (query == NULL) {
        rc = cli_fail("out of memory");
        goto cleanup;
    }
    sprintf(query, "attestorId=%s", escaped);
    snprintf(path, sizeof(path), "/v1/projects/%s/attestors", project);
    rc = client_call(c, "POST", path, query, body, &result);
    if (rc == CLI_OK) {
        fprintf(stderr, "Created attestor [%s].\n", name);
        rc = client_print(g, result, VOUCH_FORMAT_YAML,
                          CLIENT_ATTESTOR);
    }

cleanup:
    free(query);
    free(escaped);
    json_decref(body);
    json_decref(result);
    client_free(c);
    return rc;
}

/* Commands that take one ATTESTOR and no other flag. */
static int one_attestor_args(int argc, char **argv, cli_globals *g,
                             const char *command, const char *help,
                             const char **id)
{
    *id = NULL;
    for (int i = 0; i < argc; i++) {
        int rc;

        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return -1;
        }
        rc = cli_global_flag(argc, argv, &i, g);
        if (rc < 0) {
            return CLI_USAGE;
        }
        if (rc > 0) {
            continue;
        }
        if (argv[i][0] == '-' || *id != NULL) {
            return cli_unknown(command, argv[i]);
        }
        *id = argv[i];
    }
    if (*id == NULL) {
        return cli_fail("%s needs an ATTESTOR", command + 6);
    }
    return CLI_OK;
}

static int attestors_describe(int argc, char **argv, cli_globals *g)
{
    const char *id;
    char name[NAME_MAX_LEN];
    client *c = NULL;
    json_t *result = NULL;
    int rc;

    rc = one_attestor_args(argc, argv, g, "vouch attestors describe",
                           "usage: vouch attestors describe ATTESTOR "
                           "[--format json|yaml|text]\n\n"
                           "Print an attestor (default YAML, as gcloud).\n",
                           &id);
    if (rc != CLI_OK) {
        return rc < 0 ? CLI_OK : rc;
    }
    rc = begin(g, id, "ATTESTOR", name, sizeof(name), &c);
    if (rc == CLI_OK) {
        rc = get_attestor(c, name, &result);
    }
    if (rc == CLI_OK) {
        rc = client_print(g, result, VOUCH_FORMAT_YAML,
                          CLIENT_ATTESTOR);
    }
    json_decref(result);
    client_free(c);
    return rc;
}

static int attestors_delete(int argc, char **argv, cli_globals *g)
{
    const char *id;
    char name[NAME_MAX_LEN];
    char path[NAME_MAX_LEN + 8];
    client *c = NULL;
    json_t *result = NULL;
    int rc;

    rc = one_attestor_args(argc, argv, g, "vouch attestors delete",
                           "usage: vouch attestors delete ATTESTOR\n\n"
                           "Delete an attestor. vouchd refuses while a "
                           "policy requires it.\n",
                           &id);
    if (rc != CLI_OK) {
        return rc < 0 ? CLI_OK : rc;
    }
    rc = begin(g, id, "ATTESTOR", name, sizeof(name), &c);
    if (rc == CLI_OK) {
        attestor_path(name, path, sizeof(path));
        rc = client_call(c, "DELETE", path, NULL, NULL, &result);
    }
    if (rc == CLI_OK) {
        fprintf(stderr, "Deleted attestor [%s].\n", name);
    }
    json_decref(result);
    client_free(c);
    return rc;
}

static int print_attestor_table(const json_t *list)
{
    size_t i;
    json_t *a;

    printf("%-40s %-40s %s\n", "NAME", "NOTE", "NUM_PUBLIC_KEYS");
    json_array_foreach(list, i, a) {
        const json_t *note = json_object_get(a, "userOwnedGrafeasNote");
        const char *name = json_string_value(json_object_get(a, "name"));
        const char *ref =
            json_string_value(json_object_get(note, "noteReference"));

        printf("%-40s %-40s %zu\n", name != NULL ? client_name_id(name) : "",
               ref != NULL ? ref : "",
               json_array_size(json_object_get(note, "publicKeys")));
    }
    return fflush(stdout) == 0 ? CLI_OK : cli_fail("cannot write output");
}

static int attestors_list(int argc, char **argv, cli_globals *g)
{
    char path[512];
    client *c = NULL;
    json_t *all = NULL;
    bool text = false;
    int format;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch attestors list [--project P] "
                   "[--format json|yaml|text]\n\n"
                   "List the attestors of a project (default: a table of "
                   "NAME, NOTE,\nNUM_PUBLIC_KEYS; json and yaml print the "
                   "resources as an array).\n");
            return CLI_OK;
        }
        rc = cli_global_flag(argc, argv, &i, g);
        if (rc < 0) {
            return CLI_USAGE;
        }
        if (rc == 0) {
            return cli_unknown("vouch attestors list", argv[i]);
        }
    }
    format = cli_output_format(g, VOUCH_FORMAT_JSON, true, &text);
    if (format < 0) {
        return CLI_USAGE;
    }
    if (g->format == NULL) {
        text = true;
    }
    if (g->project == NULL || g->project[0] == '\0') {
        return cli_fail("attestors list needs --project (or "
                        "VOUCH_PROJECT)");
    }
    /* Validates the project id as a path segment. */
    rc = client_resource_name(g, "attestors", "x", "--project", path,
                              sizeof(path));
    if (rc != CLI_OK) {
        return rc;
    }
    snprintf(path, sizeof(path), "/v1/projects/%s/attestors", g->project);
    rc = client_new(&c, g);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    rc = client_list_all(c, path, NULL, "attestors", &all);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    rc = text ? print_attestor_table(all)
              : client_print_as(all, (vouch_format)format);

cleanup:
    json_decref(all);
    client_free(c);
    return rc;
}

/* PUT the attestor back (with the etag it was read with). */
static int put_attestor(client *c, const char *name, const json_t *attestor,
                        json_t **out)
{
    char path[NAME_MAX_LEN + 8];

    attestor_path(name, path, sizeof(path));
    return client_call(c, "PUT", path, NULL, attestor, out);
}

static int attestors_update(int argc, char **argv, cli_globals *g)
{
    const char *id = NULL;
    const char *description = NULL;
    char name[NAME_MAX_LEN];
    client *c = NULL;
    json_t *att = NULL;
    json_t *result = NULL;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch attestors update ATTESTOR "
                   "[--description TEXT]\n\n"
                   "Change what an attestor allows to change (its "
                   "description; keys through\n'vouch attestors "
                   "public-keys'). The attestor is read, changed and "
                   "written\nback with its etag.\n");
            return CLI_OK;
        }
        if ((rc = cli_flag(argc, argv, &i, "--description",
                           &description)) != 0 ||
            (rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        if (argv[i][0] == '-' || id != NULL) {
            return cli_unknown("vouch attestors update", argv[i]);
        }
        id = argv[i];
    }
    if (id == NULL) {
        return cli_fail("attestors update needs an ATTESTOR");
    }
    rc = begin(g, id, "ATTESTOR", name, sizeof(name), &c);
    if (rc == CLI_OK) {
        rc = get_attestor(c, name, &att);
    }
    if (rc != CLI_OK) {
        goto cleanup;
    }
    if (description != NULL) {
        if (description[0] == '\0') {
            json_object_del(att, "description");
        } else if (json_object_set_new(att, "description",
                                       json_string(description)) != 0) {
            rc = cli_fail("--description: not valid UTF-8");
            goto cleanup;
        }
    }
    rc = put_attestor(c, name, att, &result);
    if (rc == CLI_OK) {
        fprintf(stderr, "Updated attestor [%s].\n", name);
        rc = client_print(g, result, VOUCH_FORMAT_YAML,
                          CLIENT_ATTESTOR);
    }

cleanup:
    json_decref(att);
    json_decref(result);
    client_free(c);
    return rc;
}

/* The publicKeys array of an attestor, created when missing. */
static json_t *keys_of(json_t *att)
{
    json_t *note = json_object_get(att, "userOwnedGrafeasNote");
    json_t *keys;

    if (!json_is_object(note)) {
        return NULL;
    }
    keys = json_object_get(note, "publicKeys");
    if (keys == NULL) {
        keys = json_array();
        if (keys == NULL || json_object_set_new(note, "publicKeys", keys)) {
            return NULL;
        }
    }
    return json_is_array(keys) ? keys : NULL;
}

/*
 * The AttestorPublicKey for a key file, checked locally (so a bad file is
 * reported with its own name and position, not as a server error).
 */
static int key_json(const char *pkix_file, const char *alg_name,
                    const char *pgp_file, const char *id,
                    const char *comment, json_t **out)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_signature_algorithm alg = VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED;
    vouch_public_key *key = NULL;
    const char *file = pkix_file != NULL ? pkix_file : pgp_file;
    char *text = NULL;
    size_t len = 0;
    json_t *k = NULL;
    int rc;

    *out = NULL;
    if (alg_name != NULL &&
        vouch_signature_algorithm_parse(alg_name, strlen(alg_name), &alg,
                                        &err) < 0) {
        snprintf(err.source, sizeof(err.source),
                 "--pkix-public-key-algorithm");
        return cli_fail_error(&err);
    }
    rc = cli_read_file(file, VOUCH_KEY_MAX_BYTES, &text, &len);
    if (rc != CLI_OK) {
        return rc;
    }
    if (pkix_file != NULL) {
        rc = vouch_public_key_new_pkix(&key, text, len, alg, id, comment,
                                       &err);
    } else {
        rc = vouch_public_key_new_pgp(&key, text, len, comment, &err);
    }
    if (rc < 0) {
        rc = cli_fail_error_in(&err, file);
        goto cleanup;
    }
    if (pkix_file != NULL) {
        k = json_pack("{s:s,s:{s:s,s:s}}", "id", vouch_public_key_id(key),
                      "pkixPublicKey", "publicKeyPem", text,
                      "signatureAlgorithm",
                      vouch_signature_algorithm_name(
                          vouch_public_key_algorithm(key)));
    } else {
        k = json_pack("{s:s,s:s}", "id", vouch_public_key_id(key),
                      "asciiArmoredPgpPublicKey", text);
    }
    if (k != NULL && comment != NULL &&
        json_object_set_new(k, "comment", json_string(comment)) != 0) {
        json_decref(k);
        k = NULL;
    }
    if (k == NULL) {
        rc = cli_fail("%s: not valid UTF-8 text (or out of memory)", file);
        goto cleanup;
    }
    *out = k;
    rc = CLI_OK;

cleanup:
    vouch_public_key_free(key);
    free(text);
    return rc;
}

static int public_keys_add(int argc, char **argv, cli_globals *g)
{
    const char *attestor = NULL;
    const char *pkix = NULL;
    const char *alg = NULL;
    const char *pgp = NULL;
    const char *id = NULL;
    const char *comment = NULL;
    char name[NAME_MAX_LEN];
    client *c = NULL;
    json_t *key = NULL;
    json_t *att = NULL;
    json_t *keys;
    json_t *result = NULL;
    const char *new_id;
    size_t i;
    json_t *k;
    int rc;

    for (int a = 0; a < argc; a++) {
        if (cli_is_help(argv[a])) {
            printf("usage: vouch attestors public-keys add --attestor A\n"
                   "         (--pkix-public-key-file PEM "
                   "[--pkix-public-key-algorithm ALG]\n"
                   "          | --pgp-public-key-file ASC)\n"
                   "         [--public-key-id-override ID] "
                   "[--comment TEXT]\n\n"
                   "Add a trusted key to an attestor. A PKIX key's id "
                   "defaults to\nni:///sha-256;... and its algorithm is "
                   "inferred from the key when not\ngiven; a PGP key's id "
                   "is its fingerprint. Prints the added key.\n");
            return CLI_OK;
        }
        if ((rc = cli_flag(argc, argv, &a, "--attestor", &attestor)) != 0 ||
            (rc = cli_flag(argc, argv, &a, "--pkix-public-key-file",
                           &pkix)) != 0 ||
            (rc = cli_flag(argc, argv, &a, "--pkix-public-key-algorithm",
                           &alg)) != 0 ||
            (rc = cli_flag(argc, argv, &a, "--pgp-public-key-file",
                           &pgp)) != 0 ||
            (rc = cli_flag(argc, argv, &a, "--public-key-id-override",
                           &id)) != 0 ||
            (rc = cli_flag(argc, argv, &a, "--comment", &comment)) != 0 ||
            (rc = cli_global_flag(argc, argv, &a, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        return cli_unknown("vouch attestors public-keys add", argv[a]);
    }
    if (attestor == NULL) {
        return cli_fail("--attestor is required");
    }
    if ((pkix == NULL) == (pgp == NULL)) {
        return cli_fail("give exactly one of --pkix-public-key-file and "
                        "--pgp-public-key-file");
    }
    if (pgp != NULL && (alg != NULL || id != NULL)) {
        return cli_fail("%s applies to PKIX keys only (a PGP key's id is "
                        "its fingerprint)",
                        alg != NULL ? "--pkix-public-key-algorithm"
                                    : "--public-key-id-override");
    }
    rc = client_resource_name(g, "attestors", attestor, "--attestor", name,
                              sizeof(name));
    if (rc != CLI_OK) {
        return rc;
    }
    rc = key_json(pkix, alg, pgp, id, comment, &key);
    if (rc != CLI_OK) {
        return rc;
    }
    rc = client_new(&c, g);
    if (rc == CLI_OK) {
        rc = get_attestor(c, name, &att);
    }
    if (rc != CLI_OK) {
        goto cleanup;
    }
    keys = keys_of(att);
    if (keys == NULL) {
        rc = cli_fail("attestor %s has no userOwnedGrafeasNote", name);
        goto cleanup;
    }
    new_id = json_string_value(json_object_get(key, "id"));
    json_array_foreach(keys, i, k) {
        const char *old = json_string_value(json_object_get(k, "id"));

        if (old != NULL && strcmp(old, new_id) == 0) {
            rc = cli_fail("attestor %s already has a public key with id "
                          "'%s'", name, new_id);
            goto cleanup;
        }
    }
    if (json_array_append(keys, key) != 0) {
        rc = cli_fail("out of memory");
        goto cleanup;
    }
    rc = put_attestor(c, name, att, &result);
    if (rc == CLI_OK) {
        fprintf(stderr, "Added public key %s to attestor [%s].\n", new_id,
                name);
        rc = client_print(g, key, VOUCH_FORMAT_YAML,
                          CLIENT_GENERIC);
    }

cleanup:
    json_decref(key);
    json_decref(att);
    json_decref(result);
    client_free(c);
    return rc;
}

static int public_keys_remove(int argc, char **argv, cli_globals *g)
{
    const char *attestor = NULL;
    const char *key_id = NULL;
    char name[NAME_MAX_LEN];
    char known[300];
    size_t used = 0;
    client *c = NULL;
    json_t *att = NULL;
    json_t *keys;
    json_t *result = NULL;
    size_t i;
    size_t found = (size_t)-1;
    json_t *k;
    int rc;

    for (int a = 0; a < argc; a++) {
        if (cli_is_help(argv[a])) {
            printf("usage: vouch attestors public-keys remove KEY_ID "
                   "--attestor A\n\n"
                   "Remove the key whose id is KEY_ID (exactly, as "
                   "'vouch attestors describe'\nshows it) from an "
                   "attestor.\n");
            return CLI_OK;
        }
        if ((rc = cli_flag(argc, argv, &a, "--attestor", &attestor)) != 0 ||
            (rc = cli_global_flag(argc, argv, &a, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        if ((argv[a][0] == '-' && argv[a][1] == '-') || key_id != NULL) {
            return cli_unknown("vouch attestors public-keys remove",
                               argv[a]);
        }
        key_id = argv[a];
    }
    if (key_id == NULL || attestor == NULL) {
        return cli_fail("public-keys remove needs a KEY_ID and --attestor");
    }
    rc = begin(g, attestor, "--attestor", name, sizeof(name), &c);
    if (rc == CLI_OK) {
        rc = get_attestor(c, name, &att);
    }
    if (rc != CLI_OK) {
        goto cleanup;
    }
    keys = keys_of(att);
    if (keys == NULL) {
        rc = cli_fail("attestor %s has no userOwnedGrafeasNote", name);
        goto cleanup;
    }
    known[0] = '\0';
    json_array_foreach(keys, i, k) {
        const char *id = json_string_value(json_object_get(k, "id"));

        if (id != NULL && strcmp(id, key_id) == 0) {
            found = i;
        } else if (id != NULL && used < sizeof(known)) {
            int w = snprintf(known + used, sizeof(known) - used, "%s%s",
                             used > 0 ? ", " : "", id);
            used += w > 0 ? (size_t)w : 0;
        }
    }
    if (found == (size_t)-1) {
        rc = cli_fail("attestor %s has no public key with id '%s' (it has: "
                      "%s)", name, key_id,
                      known[0] != '\0' ? known : "no keys");
        goto cleanup;
    }
    json_array_remove(keys, found);
    rc = put_attestor(c, name, att, &result);
    if (rc == CLI_OK) {
        fprintf(stderr, "Removed public key %s from attestor [%s].\n",
                key_id, name);
    }

cleanup:
    json_decref(att);
    json_decref(result);
    client_free(c);
    return rc;
}

static int public_keys(int argc, char **argv, cli_globals *g)
{
    static const cli_command commands[] = {
        {"add", public_keys_add, "add a trusted public key to an attestor"},
        {"remove", public_keys_remove, "remove a public key by its id"},
        {NULL, NULL, NULL},
    };

    return cli_dispatch("attestors public-keys", commands, argc, argv, g);
}

int cmd_attestors(int argc, char **argv, cli_globals *g)
{
    static const cli_command commands[] = {
        {"create", attestors_create, "create an attestor for a note"},
        {"describe", attestors_describe, "print an attestor"},
        {"list", attestors_list, "list the attestors of a project"},
        {"update", attestors_update, "change an attestor's description"},
        {"delete", attestors_delete, "delete an attestor"},
        {"public-keys", public_keys, "add or remove trusted public keys"},
        {NULL, NULL, NULL},
    };

    return cli_dispatch("attestors", commands, argc, argv, g);
}
