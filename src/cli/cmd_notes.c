/*
 * `vouch notes create|describe|list|delete`: the ATTESTATION notes of
 * Container Analysis v1 that attestors point at (spec/binauthz.md §2.2,
 * §3.1). gcloud has no such command (it is a curl call in Google's docs);
 * vouch adds one so that the whole setup is possible from the CLI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define NAME_MAX_LEN 512

static int notes_create(int argc, char **argv, cli_globals *g)
{
    const char *id = NULL;
    const char *description = NULL;
    const char *hint = NULL;
    char name[NAME_MAX_LEN];
    char project[256];
    char path[NAME_MAX_LEN];
    char *escaped = NULL;
    char *query = NULL;
    client *c = NULL;
    json_t *body = NULL;
    json_t *result = NULL;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch notes create NOTE [--description TEXT] "
                   "[--hint NAME]\n\n"
                   "Create an ATTESTATION note (Container Analysis v1) for "
                   "an attestor to\nuse. NOTE is an id (with --project) or "
                   "projects/P/notes/N. --hint sets\nattestation.hint."
                   "humanReadableName (default: the note id); "
                   "--description\nsets shortDescription.\n");
            return CLI_OK;
        }
        if ((rc = cli_flag(argc, argv, &i, "--description",
                           &description)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--hint", &hint)) != 0 ||
            (rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        if (argv[i][0] == '-' || id != NULL) {
            return cli_unknown("vouch notes create", argv[i]);
        }
        id = argv[i];
    }
    if (id == NULL) {
        return cli_fail("notes create needs a NOTE");
    }
    rc = client_resource_name(g, "notes", id, "NOTE", name, sizeof(name));
    if (rc == CLI_OK) {
        rc = client_name_project(name, project, sizeof(project));
    }
    if (rc != CLI_OK) {
        return rc;
    }
    body = json_pack("{s:{s:{s:s}}}", "attestation", "hint",
                     "humanReadableName",
                     hint != NULL ? hint : client_name_id(name));
    if (body == NULL ||
        (description != NULL &&
         json_object_set_new(body, "shortDescription",
                             json_string(description)) != 0)) {
        rc = cli_fail("--hint or --description: not valid UTF-8");
        goto cleanup;
    }
    rc = client_new(&c, g);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    escaped = client_escape(c, client_name_id(name));
    query = escaped != NULL ? malloc(strlen(escaped) + sizeof("noteId="))
                            : NULL;
    if (query == NULL) {
        rc = cli_fail("out of memory");
        goto cleanup;
    }
    sprintf(query, "noteId=%s", escaped);
    snprintf(path, sizeof(path), "/v1/projects/%s/notes", project);
    rc = client_call(c, "POST", path, query, body, &result);
    if (rc == CLI_OK) {
        fprintf(stderr, "Created note [%s].\n", name);
        rc = client_print(g, result, VOUCH_FORMAT_YAML,
                          CLIENT_GENERIC);
    }

cleanup:
    free(query);
    free(escaped);
    json_decref(body);
    json_decref(result);
    client_free(c);
    return rc;
}

/* describe and delete: one NOTE argument. */
static int one_note(int argc, char **argv, cli_globals *g, const char *verb)
{
    const char *id = NULL;
    char name[NAME_MAX_LEN];
    char path[NAME_MAX_LEN + 8];
    client *c = NULL;
    json_t *result = NULL;
    bool del = strcmp(verb, "delete") == 0;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch notes %s NOTE\n\n%s\n", verb,
                   del ? "Delete a note. vouchd refuses while an attestor "
                         "or an occurrence uses it."
                       : "Print a note (default YAML).");
            return CLI_OK;
        }
        rc = cli_global_flag(argc, argv, &i, g);
        if (rc < 0) {
            return CLI_USAGE;
        }
        if (rc > 0) {
            continue;
        }
        if (argv[i][0] == '-' || id != NULL) {
            return cli_fail("unexpected argument '%s' for 'vouch notes %s'; "
                            "see 'vouch notes %s --help'", argv[i], verb,
                            verb);
        }
        id = argv[i];
    }
    if (id == NULL) {
        return cli_fail("notes %s needs a NOTE", verb);
    }
    rc = client_resource_name(g, "notes", id, "NOTE", name, sizeof(name));
    if (rc == CLI_OK) {
        rc = client_new(&c, g);
    }
    if (rc == CLI_OK) {
        snprintf(path, sizeof(path), "/v1/%s", name);
        rc = client_call(c, del ? "DELETE" : "GET", path, NULL, NULL,
                         &result);
    }
    if (rc == CLI_OK) {
        if (del) {
            fprintf(stderr, "Deleted note [%s].\n", name);
        } else {
            rc = client_print(g, result, VOUCH_FORMAT_YAML,
                              CLIENT_GENERIC);
        }
    }
    json_decref(result);
    client_free(c);
    return rc;
}

static int notes_describe(int argc, char **argv, cli_globals *g)
{
    return one_note(argc, argv, g, "describe");
}

static int notes_delete(int argc, char **argv, cli_globals *g)
{
    return one_note(argc, argv, g, "delete");
}

static int notes_list(int argc, char **argv, cli_globals *g)
{
    char path[NAME_MAX_LEN];
    client *c = NULL;
    json_t *all = NULL;
    bool text = false;
    int format;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch notes list [--project P] "
                   "[--format json|yaml|text]\n\n"
                   "List the notes of a project (default: their names, one "
                   "a line).\n");
            return CLI_OK;
        }
        rc = cli_global_flag(argc, argv, &i, g);
        if (rc < 0) {
            return CLI_USAGE;
        }
        if (rc == 0) {
            return cli_unknown("vouch notes list", argv[i]);
        }
    }
    format = cli_output_format(g, VOUCH_FORMAT_JSON, true, &text);
    if (format < 0) {
        return CLI_USAGE;
    }
    text = text || g->format == NULL;
    rc = client_resource_name(g, "notes", "x", "--project", path,
                              sizeof(path));
    if (rc != CLI_OK) {
        return rc;
    }
    snprintf(path, sizeof(path), "/v1/projects/%s/notes", g->project);
    rc = client_new(&c, g);
    if (rc == CLI_OK) {
        rc = client_list_all(c, path, NULL, "notes", &all);
    }
    if (rc == CLI_OK && text) {
        size_t i;
        json_t *n;

        json_array_foreach(all, i, n) {
            const char *name = json_string_value(json_object_get(n, "name"));

            printf("%s\n", name != NULL ? name : "");
        }
    } else if (rc == CLI_OK) {
        rc = client_print_as(all, (vouch_format)format);
    }
    json_decref(all);
    client_free(c);
    return rc;
}

int cmd_notes(int argc, char **argv, cli_globals *g)
{
    static const cli_command commands[] = {
        {"create", notes_create, "create an ATTESTATION note"},
        {"describe", notes_describe, "print a note"},
        {"list", notes_list, "list the notes of a project"},
        {"delete", notes_delete, "delete a note"},
        {NULL, NULL, NULL},
    };

    return cli_dispatch("notes", commands, argc, argv, g);
}
