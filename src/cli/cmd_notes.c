/*
 * `vouch notes create|describe|list|delete`: the ATTESTATION notes of
 * Container Analysis v1 that attestors point at (docs/api.md). gcloud has
 * no such command (it is a curl call in Google's docs); vouch adds one so
 * that the whole setup is possible from the CLI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define NAME_MAX_LEN 512

typedef struct note_opts {
    const char *description;
    const char *hint;
} note_opts;

static const cli_flag create_flags[] = {
    CLI_STRING("--description", "TEXT", note_opts, description, 0,
               "shortDescription of the note"),
    CLI_STRING("--hint", "NAME", note_opts, hint, 0,
               "attestation.hint.humanReadableName (default: the note id)"),
    CLI_END,
};

static const cli_spec create_spec = {
    "vouch notes create", "NOTE", 1, 1, false, create_flags,
    "Create an ATTESTATION note (Container Analysis v1) for an attestor to "
    "use. NOTE is an id (with --project) or projects/P/notes/N.",
};

static int notes_create(int argc, char **argv, cli_globals *g)
{
    note_opts o = {0};
    char name[NAME_MAX_LEN];
    json_t *body = NULL;
    int rc;

    rc = client_parse_name(&create_spec, argc, argv, g, &o, "notes", name,
                           sizeof(name));
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    body = json_pack("{s:{s:{s:s}}}", "attestation", "hint",
                     "humanReadableName",
                     o.hint != NULL ? o.hint : client_name_id(name));
    rc = body == NULL ? cli_fail("--hint: not valid UTF-8")
                      : client_set_string(body, "shortDescription",
                                          o.description, "--description");
    if (rc == CLI_OK) {
        rc = client_create_named(g, "notes", "noteId", name, body, "note",
                                 CLIENT_GENERIC);
    }
    json_decref(body);
    return rc;
}

/* describe (variant 0) and delete (variant 1) of one note. */
static int notes_one(int argc, char **argv, cli_globals *g)
{
    static const cli_spec specs[] = {
        {
            "vouch notes describe", "NOTE", 1, 1, false, NULL,
            "Print a note (default YAML).",
        },
        {
            "vouch notes delete", "NOTE", 1, 1, false, NULL,
            "Delete a note. vouchd refuses while an attestor or an "
            "occurrence uses it.",
        },
    };

    return client_describe_or_delete(specs, argc, argv, g, "notes", "note",
                                     CLIENT_GENERIC);
}

static const cli_spec list_spec = {
    "vouch notes list", NULL, 0, 0, false, NULL,
    "List the notes of a project (default: their names, one a line; json "
    "and yaml print the resources as an array).",
};

/* The text form: the notes' names, one a line. */
static int print_names(const json_t *all)
{
    size_t i;
    json_t *n;

    json_array_foreach(all, i, n) {
        const char *name = json_string_value(json_object_get(n, "name"));

        cli_out("%s", name != NULL ? name : "");
    }
    return CLI_OK;
}

static int notes_list(int argc, char **argv, cli_globals *g)
{
    return client_list_project(&list_spec, argc, argv, g, "notes",
                               print_names);
}

int cmd_notes(int argc, char **argv, cli_globals *g)
{
    static const cli_command commands[] = {
        {"create", notes_create, "create an ATTESTATION note", 0},
        {"describe", notes_one, "print a note", 0},
        {"list", notes_list, "list the notes of a project", 0},
        {"delete", notes_one, "delete a note", 1},
        {NULL, NULL, NULL, 0},
    };

    return cli_dispatch("notes", commands, argc, argv, g);
}
