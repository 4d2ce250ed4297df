/*
 * `vouch attestors create|describe|list|update|delete` and
 * `vouch attestors public-keys add|remove`: gcloud's
 * `container binauthz attestors` against vouchd (Binary Authorization v1,
 * docs/api.md). Keys are added and removed client-side: get the attestor,
 * change its key list, PUT it back with its etag, so a concurrent change
 * is refused by the server (ABORTED) instead of lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define NAME_MAX_LEN 512

/* The options of every attestors command. */
typedef struct attestor_opts {
    const char *note;           /* create */
    const char *note_project;   /* create */
    const char *description;    /* create, update */
    const char *attestor;       /* public-keys */
    const char *pkix;
    const char *algorithm;
    const char *pgp;
    const char *key_id;
    const char *comment;
} attestor_opts;

#define DESCRIPTION_FLAG(help) \
    CLI_STRING("--description", "TEXT", attestor_opts, description, 0, help)
#define ATTESTOR_FLAG \
    CLI_STRING("--attestor", "A", attestor_opts, attestor, CLI_REQUIRED, \
               "the attestor, an id or projects/P/attestors/A")

/* A change to the attestor `att` (named `name`) as the server has it;
 * CLI_OK to write it back. */
typedef int (*attestor_edit_fn)(json_t *att, const char *name,
                                void *payload);

/*
 * update, public-keys add and remove: GET the attestor, change it with
 * `edit`, PUT it back with the etag it came with, so that a concurrent
 * change is refused (ABORTED) instead of lost. *result is the stored
 * attestor (caller frees), or NULL.
 */
static int edit_attestor(const cli_globals *g, const char *name,
                         attestor_edit_fn edit, void *payload,
                         json_t **result)
{
    client *c = NULL;
    json_t *att = NULL;
    int rc = client_new(&c, g);

    *result = NULL;
    if (rc == CLI_OK) {
        rc = client_call_name(c, "GET", name, NULL, &att);
    }
    if (rc == CLI_OK) {
        rc = edit(att, name, payload);
    }
    if (rc == CLI_OK) {
        rc = client_call_name(c, "PUT", name, att, result);
    }
    json_decref(att);
    client_free(c);
    return rc;
}

/* The note of a new attestor: an id in the attestor's project (or
 * --attestation-authority-note-project), or a full name. */
static int note_name(const cli_globals *g, const attestor_opts *o,
                     const char *project, char *buf, size_t size)
{
    cli_globals ng = *g;

    if (strchr(o->note, '/') != NULL && o->note_project != NULL) {
        return cli_fail("--attestation-authority-note-project goes with a "
                        "note id, not with the full name '%s'", o->note);
    }
    if (strchr(o->note, '/') == NULL) {
        ng.project = o->note_project != NULL ? o->note_project : project;
    }
    return client_resource_name(&ng, "notes", o->note,
                                "--attestation-authority-note", buf, size);
}

static const cli_flag create_flags[] = {
    CLI_STRING("--attestation-authority-note", "NOTE", attestor_opts, note,
               CLI_REQUIRED, "the ATTESTATION note, an id or a full name"),
    CLI_STRING("--attestation-authority-note-project", "P", attestor_opts,
               note_project, 0, "the project of a note given by id"),
    DESCRIPTION_FLAG("what the attestor vouches for"),
    CLI_END,
};

static const cli_spec create_spec = {
    "vouch attestors create", "ATTESTOR", 1, 1, false, create_flags,
    "Create an attestor whose attestations are occurrences of NOTE (an "
    "ATTESTATION note that must exist: see 'vouch notes create'). ATTESTOR "
    "and NOTE are ids (with --project) or full names. Keys are added with "
    "'vouch attestors public-keys add'.",
};

static int attestors_create(int argc, char **argv, cli_globals *g)
{
    attestor_opts o = {0};
    char name[NAME_MAX_LEN];
    char note[NAME_MAX_LEN];
    char project[256];
    json_t *body = NULL;
    int rc;

    rc = client_parse_name(&create_spec, argc, argv, g, &o, "attestors",
                           name, sizeof(name));
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if ((rc = client_name_project(name, project, sizeof(project))) !=
            CLI_OK ||
        (rc = note_name(g, &o, project, note, sizeof(note))) != CLI_OK) {
        return rc;
    }
    body = json_pack("{s:s,s:{s:s}}", "name", name, "userOwnedGrafeasNote",
                     "noteReference", note);
    rc = body == NULL ? cli_fail("out of memory")
                      : client_set_string(body, "description", o.description,
                                          "--description");
    if (rc == CLI_OK) {
        rc = client_create_named(g, "attestors", "attestorId", name, body,
                                 "attestor", CLIENT_ATTESTOR);
    }
    json_decref(body);
    return rc;
}

/* describe (variant 0) and delete (variant 1) of one attestor. */
static int attestors_one(int argc, char **argv, cli_globals *g)
{
    static const cli_spec specs[] = {
        {
            "vouch attestors describe", "ATTESTOR", 1, 1, false, NULL,
            "Print an attestor (default YAML, as gcloud).",
        },
        {
            "vouch attestors delete", "ATTESTOR", 1, 1, false, NULL,
            "Delete an attestor. vouchd refuses while a policy requires it.",
        },
    };

    return client_describe_or_delete(specs, argc, argv, g, "attestors",
                                     "attestor", CLIENT_ATTESTOR);
}

static void attestor_cells(const json_t *a, const char **cells,
                           char *scratch, size_t size)
{
    const json_t *note = json_object_get(a, "userOwnedGrafeasNote");
    const char *name = json_string_value(json_object_get(a, "name"));
    const char *ref =
        json_string_value(json_object_get(note, "noteReference"));

    snprintf(scratch, size, "%zu",
             json_array_size(json_object_get(note, "publicKeys")));
    cells[0] = name != NULL ? client_name_id(name) : "";
    cells[1] = ref != NULL ? ref : "";
    cells[2] = scratch;
}

static const cli_spec list_spec = {
    "vouch attestors list", NULL, 0, 0, false, NULL,
    "List the attestors of a project (default: a table of NAME, NOTE, "
    "NUM_PUBLIC_KEYS; json and yaml print the resources as an array).",
};

/* The text form: a table of NAME, NOTE, NUM_PUBLIC_KEYS. */
static int print_table(const json_t *all)
{
    static const char *const heads[] = {"NAME", "NOTE", "NUM_PUBLIC_KEYS"};
    static const int widths[] = {40, 40, 0};

    return client_table(heads, 3, widths, all, attestor_cells);
}

static int attestors_list(int argc, char **argv, cli_globals *g)
{
    return client_list_project(&list_spec, argc, argv, g, "attestors",
                               print_table);
}

static const cli_flag update_flags[] = {
    DESCRIPTION_FLAG("the new description ('' removes it)"),
    CLI_END,
};

static const cli_spec update_spec = {
    "vouch attestors update", "ATTESTOR", 1, 1, false, update_flags,
    "Change what an attestor allows to change (its description; keys "
    "through 'vouch attestors public-keys'). The attestor is read, changed "
    "and written back with its etag.",
};

/* update's change (payload: the attestor_opts): --description. */
static int set_description(json_t *att, const char *name, void *payload)
{
    const attestor_opts *o = payload;

    (void)name;
    if (o->description != NULL && o->description[0] == '\0') {
        json_object_del(att, "description");
        return CLI_OK;
    }
    return client_set_string(att, "description", o->description,
                             "--description");
}

static int attestors_update(int argc, char **argv, cli_globals *g)
{
    attestor_opts o = {0};
    char name[NAME_MAX_LEN];
    json_t *result = NULL;
    int rc;

    rc = client_parse_name(&update_spec, argc, argv, g, &o, "attestors",
                           name, sizeof(name));
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    rc = edit_attestor(g, name, set_description, &o, &result);
    if (rc == CLI_OK) {
        cli_note("Updated attestor [%s].", name);
        rc = client_print(g, result, VOUCH_FORMAT_YAML, CLIENT_ATTESTOR);
    }
    json_decref(result);
    return rc;
}

/* The publicKeys array of the attestor `name` into *out, created when
 * missing. */
static int keys_of(json_t *att, const char *name, json_t **out)
{
    json_t *note = json_object_get(att, "userOwnedGrafeasNote");
    json_t *keys = json_object_get(note, "publicKeys");

    if (json_is_object(note) && keys == NULL) {
        keys = json_array();
        if (keys != NULL &&
            json_object_set_new(note, "publicKeys", keys) != 0) {
            keys = NULL;    /* the _new call has freed it */
        }
    }
    *out = json_is_array(keys) ? keys : NULL;
    return *out != NULL
               ? CLI_OK
               : cli_fail("attestor %s has no userOwnedGrafeasNote", name);
}

/*
 * The AttestorPublicKey for a key file, checked locally (so a bad file is
 * reported with its own name and position, not as a server error).
 */
static int key_json(const attestor_opts *o, json_t **out)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_signature_algorithm alg = VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED;
    vouch_public_key *key = NULL;
    const char *file = o->pkix != NULL ? o->pkix : o->pgp;
    char *text = NULL;
    size_t len = 0;
    json_t *k = NULL;
    int rc;

    *out = NULL;
    rc = cli_parse_algorithm(o->algorithm, "--pkix-public-key-algorithm",
                             &alg);
    if (rc != CLI_OK) {
        return rc;
    }
    rc = cli_read_file(file, VOUCH_KEY_MAX_BYTES, &text, &len);
    if (rc != CLI_OK) {
        return rc;
    }
    if (o->pkix != NULL) {
        rc = vouch_public_key_new_pkix(&key, text, len, alg, o->key_id,
                                       o->comment, &err);
    } else {
        rc = vouch_public_key_new_pgp(&key, text, len, o->comment, &err);
    }
    if (rc < 0) {
        rc = cli_fail_error_in(&err, file);
        goto cleanup;
    }
    if (o->pkix != NULL) {
        k = json_pack("{s:s,s:{s:s,s:s}}", "id", vouch_public_key_id(key),
                      "pkixPublicKey", "publicKeyPem", text,
                      "signatureAlgorithm",
                      vouch_signature_algorithm_name(
                          vouch_public_key_algorithm(key)));
    } else {
        k = json_pack("{s:s,s:s}", "id", vouch_public_key_id(key),
                      "asciiArmoredPgpPublicKey", text);
    }
    if (k != NULL && o->comment != NULL &&
        json_object_set_new(k, "comment", json_string(o->comment)) != 0) {
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

/* The position of the key `id` in `keys`, or -1; the other ids into
 * `known` ("a, b") for the error that names them. */
static long find_key(const json_t *keys, const char *id, char *known,
                     size_t size)
{
    size_t used = 0;
    long found = -1;
    size_t i;
    json_t *k;

    known[0] = '\0';
    json_array_foreach(keys, i, k) {
        const char *kid = json_string_value(json_object_get(k, "id"));

        if (kid != NULL && strcmp(kid, id) == 0) {
            found = (long)i;
        } else if (kid != NULL && used < size) {
            int w = snprintf(known + used, size - used, "%s%s",
                             used > 0 ? ", " : "", kid);
            used += w > 0 ? (size_t)w : 0;
        }
    }
    return found;
}

static const cli_flag add_flags[] = {
    ATTESTOR_FLAG,
    CLI_STRING("--pkix-public-key-file", "PEM", attestor_opts, pkix, 0,
               "a PEM SubjectPublicKeyInfo file"),
    CLI_STRING("--pkix-public-key-algorithm", "ALG", attestor_opts,
               algorithm, 0, "its algorithm (default: from the key)"),
    CLI_STRING("--pgp-public-key-file", "ASC", attestor_opts, pgp, 0,
               "an ASCII-armored OpenPGP public key"),
    CLI_STRING("--public-key-id-override", "ID", attestor_opts, key_id, 0,
               "the PKIX key's id (default: ni:///sha-256;...)"),
    CLI_STRING("--comment", "TEXT", attestor_opts, comment, 0,
               "a comment stored with the key"),
    CLI_END,
};

static const cli_spec add_spec = {
    "vouch attestors public-keys add", NULL, 0, 0, false, add_flags,
    "Add a trusted key to an attestor: exactly one of "
    "--pkix-public-key-file and --pgp-public-key-file. A PKIX key's id "
    "defaults to ni:///sha-256;... and its algorithm is inferred from the "
    "key when not given; a PGP key's id is its fingerprint. Prints the "
    "added key.",
};

/* add's change (payload: the new key): append it, unless its id is
 * taken. */
static int add_key(json_t *att, const char *name, void *payload)
{
    json_t *key = payload;
    const char *id = json_string_value(json_object_get(key, "id"));
    char known[300];
    json_t *keys;
    int rc = keys_of(att, name, &keys);

    if (rc != CLI_OK) {
        return rc;
    }
    if (find_key(keys, id, known, sizeof(known)) >= 0) {
        return cli_fail("attestor %s already has a public key with id '%s'",
                        name, id);
    }
    return json_array_append(keys, key) == 0 ? CLI_OK
                                             : cli_fail("out of memory");
}

/* The flags of `add` that go together. */
static int add_check(const attestor_opts *o)
{
    if ((o->pkix == NULL) == (o->pgp == NULL)) {
        return cli_fail("give exactly one of --pkix-public-key-file and "
                        "--pgp-public-key-file");
    }
    if (o->pgp != NULL && (o->algorithm != NULL || o->key_id != NULL)) {
        return cli_fail("%s applies to PKIX keys only (a PGP key's id is "
                        "its fingerprint)",
                        o->algorithm != NULL ? "--pkix-public-key-algorithm"
                                             : "--public-key-id-override");
    }
    return CLI_OK;
}

static int public_keys_add(int argc, char **argv, cli_globals *g)
{
    attestor_opts o = {0};
    char name[NAME_MAX_LEN];
    json_t *key = NULL;
    json_t *result = NULL;
    int rc;

    rc = cli_parse(&add_spec, argc, argv, g, &o, NULL);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if ((rc = add_check(&o)) != CLI_OK ||
        (rc = client_resource_name(g, "attestors", o.attestor, "--attestor",
                                   name, sizeof(name))) != CLI_OK ||
        (rc = key_json(&o, &key)) != CLI_OK) {
        return rc;
    }
    rc = edit_attestor(g, name, add_key, key, &result);
    if (rc == CLI_OK) {
        cli_note("Added public key %s to attestor [%s].",
                 json_string_value(json_object_get(key, "id")), name);
        rc = client_print(g, key, VOUCH_FORMAT_YAML, CLIENT_GENERIC);
    }
    json_decref(key);
    json_decref(result);
    return rc;
}

/* remove's change (payload: the cli_list of the KEY_ID argument): take
 * the key out; an unknown id is refused with the ids there are. */
static int remove_key(json_t *att, const char *name, void *payload)
{
    const char *id = ((const cli_list *)payload)->items[0];
    char known[300];
    json_t *keys;
    long found;
    int rc = keys_of(att, name, &keys);

    if (rc != CLI_OK) {
        return rc;
    }
    found = find_key(keys, id, known, sizeof(known));
    if (found < 0) {
        return cli_fail("attestor %s has no public key with id '%s' (it "
                        "has: %s)", name, id,
                        known[0] != '\0' ? known : "no keys");
    }
    json_array_remove(keys, (size_t)found);
    return CLI_OK;
}

static const cli_flag remove_flags[] = {
    ATTESTOR_FLAG,
    CLI_END,
};

static const cli_spec remove_spec = {
    "vouch attestors public-keys remove", "KEY_ID", 1, 1, true,
    remove_flags,
    "Remove the key whose id is KEY_ID (exactly, as 'vouch attestors "
    "describe' shows it) from an attestor.",
};

static int public_keys_remove(int argc, char **argv, cli_globals *g)
{
    attestor_opts o = {0};
    cli_list key_id;
    char name[NAME_MAX_LEN];
    json_t *result = NULL;
    int rc;

    rc = cli_parse(&remove_spec, argc, argv, g, &o, &key_id);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    rc = client_resource_name(g, "attestors", o.attestor, "--attestor", name,
                              sizeof(name));
    if (rc == CLI_OK) {
        rc = edit_attestor(g, name, remove_key, &key_id, &result);
    }
    if (rc == CLI_OK) {
        cli_note("Removed public key %s from attestor [%s].",
                 key_id.items[0], name);
    }
    json_decref(result);
    return rc;
}

static int public_keys(int argc, char **argv, cli_globals *g)
{
    static const cli_command commands[] = {
        {"add", public_keys_add, "add a trusted public key to an attestor", 0},
        {"remove", public_keys_remove, "remove a public key by its id", 0},
        {NULL, NULL, NULL, 0},
    };

    return cli_dispatch("attestors public-keys", commands, argc, argv, g);
}

int cmd_attestors(int argc, char **argv, cli_globals *g)
{
    static const cli_command commands[] = {
        {"create", attestors_create, "create an attestor for a note", 0},
        {"describe", attestors_one, "print an attestor", 0},
        {"list", attestors_list, "list the attestors of a project", 0},
        {"update", attestors_update, "change an attestor's description", 0},
        {"delete", attestors_one, "delete an attestor", 1},
        {"public-keys", public_keys, "add or remove trusted public keys", 0},
        {NULL, NULL, NULL, 0},
    };

    return cli_dispatch("attestors", commands, argc, argv, g);
}
