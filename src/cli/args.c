/*
 * The flag tables of `vouch` (cli.h): one parser for every command, and
 * --help made from the same table, so a flag exists, parses and is
 * documented in one place. The man pages in docs/man stay the reference;
 * tests/e2e/test_cli.py checks that every flag a command's help lists is
 * in the man page of its group.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vutil_help.h"
#include "vutil_str.h"

/* Most flags one command has (a bit each for "was it given"). */
#define MAX_FLAGS 32

static const cli_flag global_flags[] = {
    CLI_STRING("--format", "json|yaml|text", cli_globals, format, 0,
               "output format of printed resources"),
    CLI_STRING("--server", "URL", cli_globals, server, 0,
               "vouchd address (VOUCH_SERVER)"),
    CLI_STRING("--project", "ID", cli_globals, project, 0,
               "project (VOUCH_PROJECT)"),
    CLI_STRING("--region", "R", cli_globals, region, 0,
               "region (VOUCH_REGION)"),
    CLI_STRING("--access-token-file", "FILE", cli_globals,
               access_token_file, CLI_NONEMPTY,
               "bearer token file (else VOUCH_ACCESS_TOKEN)"),
    CLI_STRING("--cacert", "FILE", cli_globals, cacert, CLI_NONEMPTY,
               "CA certificates for https (VOUCH_CACERT)"),
    CLI_END,
};

/* ---- the pool ---- */

struct cli_block {
    cli_block *next;
    max_align_t data[];
};

void *cli_alloc(cli_globals *g, size_t size)
{
    cli_block *b;

    if (size > SIZE_MAX - sizeof(*b)) {
        return NULL;
    }
    b = calloc(1, sizeof(*b) + size);
    if (b == NULL) {
        return NULL;
    }
    b->next = g->pool;
    g->pool = b;
    return b->data;
}

void cli_pool_free(cli_globals *g)
{
    while (g->pool != NULL) {
        cli_block *next = g->pool->next;

        free(g->pool);
        g->pool = next;
    }
}

/* ---- parsing ---- */

bool cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cli_unknown(const char *command, const char *arg)
{
    if (arg[0] == '-') {
        return cli_fail("unknown flag '%s' for '%s'; see '%s --help'", arg,
                        command, command);
    }
    return cli_fail("unexpected argument '%s' for '%s'; see '%s --help'",
                    arg, command, command);
}

/* The entry of `table` that `arg` names ("--name" or "--name=value"), or
 * NULL; *value is the text after '=' or NULL. */
static const cli_flag *match(const cli_flag *table, const char *arg,
                             const char **value)
{
    *value = NULL;
    for (const cli_flag *f = table; f != NULL && f->name != NULL; f++) {
        if (vutil_flag_matches(arg, f->name, value)) {
            return f;
        }
    }
    return NULL;
}

/* Append `value` to `list`, whose room is `capacity` items (from the
 * pool on first use). */
static int append(cli_globals *g, cli_list *list, size_t capacity,
                  const char *value)
{
    if (list->items == NULL) {
        list->items = cli_alloc(g, (capacity + 1) * sizeof(*list->items));
        if (list->items == NULL) {
            return cli_fail("out of memory");
        }
    }
    list->items[list->count++] = value;
    return CLI_OK;
}

static int set_number(const cli_flag *f, const char *value, long *out)
{
    char *end = NULL;
    long n;

    errno = 0;
    n = strtol(value, &end, 10);
    if (end == value || *end != '\0' || errno != 0 || n < f->min ||
        n > f->max) {
        return cli_fail("%s: '%s' is not a number from %ld to %ld", f->name,
                        value, f->min, f->max);
    }
    *out = n;
    return CLI_OK;
}

/* The flag at argv[*i] (value after '=' or in the next word). */
static int take_flag(const cli_spec *spec, int argc, char **argv, int *i,
                     cli_globals *g, void *opts, uint32_t *given)
{
    const char *value = NULL;
    const cli_flag *f = match(spec->flags, argv[*i], &value);
    char *base = opts;

    if (f != NULL) {
        if (f - spec->flags < MAX_FLAGS) {
            *given |= 1u << (f - spec->flags);
        }
    } else {
        f = match(global_flags, argv[*i], &value);
        base = (char *)g;
    }
    if (f == NULL) {
        return cli_unknown(spec->command, argv[*i]);
    }
    if (f->kind == CLI_FLAG_SWITCH) {
        if (value != NULL) {
            return cli_fail("%s takes no value", f->name);
        }
        *(bool *)(base + f->offset) = true;
        return CLI_OK;
    }
    if (value == NULL) {
        if (*i + 1 >= argc) {
            return cli_fail("%s needs a value", f->name);
        }
        value = argv[++*i];
    }
    if ((f->flags & CLI_NONEMPTY) != 0 && value[0] == '\0') {
        return cli_fail("%s needs a value", f->name);
    }
    switch (f->kind) {
    case CLI_FLAG_LIST: {
        cli_list *list = (cli_list *)(base + f->offset);

        if (f->max > 0 && list->count >= (size_t)f->max) {
            return cli_fail("%s: at most %ld values", f->name, f->max);
        }
        return append(g, list, (size_t)argc, value);
    }
    case CLI_FLAG_NUMBER:
        return set_number(f, value, (long *)(base + f->offset));
    case CLI_FLAG_STRING:
    case CLI_FLAG_SWITCH:
        break;
    }
    *(const char **)(base + f->offset) = value;
    return CLI_OK;
}

/* The name of argument `index` in "CONSTRAINT VALUE...": "VALUE"; *many
 * when it is a list ("VALUE..."). */
static void arg_name(const char *args, size_t index, char *buf, size_t size,
                     bool *many)
{
    const char *p = args != NULL ? args : "ARGUMENT";
    size_t n;

    for (size_t k = 0; k < index && strchr(p, ' ') != NULL; k++) {
        p = strchr(p, ' ') + 1;
    }
    p += strspn(p, "[");
    n = strcspn(p, " .]");
    *many = strncmp(p + n, "...", 3) == 0;
    snprintf(buf, size, "%.*s", (int)n, p);
}

/* Every required flag, when one of them was not given. */
static int check_required(const cli_spec *spec, uint32_t given)
{
    const char *names[MAX_FLAGS];
    size_t count = 0;
    bool missing = false;
    char text[512];
    size_t used = 0;

    for (size_t k = 0; spec->flags != NULL && spec->flags[k].name != NULL &&
                       k < MAX_FLAGS; k++) {
        if ((spec->flags[k].flags & CLI_REQUIRED) != 0) {
            names[count++] = spec->flags[k].name;
            missing = missing || (given & (1u << k)) == 0;
        }
    }
    if (!missing) {
        return CLI_OK;
    }
    text[0] = '\0';
    for (size_t k = 0; k < count && used < sizeof(text); k++) {
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s",
                                 k == 0 ? ""
                                 : k + 1 == count ? " and "
                                                  : ", ",
                                 names[k]);
    }
    return cli_fail("%s %s required", text, count == 1 ? "is" : "are");
}

int cli_parse(const cli_spec *spec, int argc, char **argv, cli_globals *g,
              void *opts, cli_list *args)
{
    cli_list none = {NULL, 0};
    uint32_t given = 0;
    bool only_args = false;
    char name[64];
    int rc;

    if (args == NULL) {
        args = &none;
    }
    args->items = NULL;
    args->count = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        bool flag = arg[0] == '-' && arg[1] != '\0' &&
                    (arg[1] == '-' || !spec->dash_args);

        if (!only_args && cli_is_help(arg)) {
            cli_print_help(spec);
            return CLI_HELP;
        }
        if (!only_args && strcmp(arg, "--") == 0) {
            only_args = true;
            continue;
        }
        if (!only_args && flag) {
            rc = take_flag(spec, argc, argv, &i, g, opts, &given);
            if (rc != CLI_OK) {
                return rc;
            }
            continue;
        }
        if (args->count >= spec->max_args) {
            return cli_unknown(spec->command, arg);
        }
        rc = append(g, args, (size_t)argc, arg);
        if (rc != CLI_OK) {
            return rc;
        }
    }
    if (args->count < spec->min_args) {
        bool many = false;

        arg_name(spec->args, args->count, name, sizeof(name), &many);
        return cli_fail("%s%s is required", many ? "at least one " : "",
                        name);
    }
    return check_required(spec, given);
}

int cli_global_flag(int argc, char **argv, int *i, cli_globals *g)
{
    const char *value = NULL;
    const cli_flag *f = match(global_flags, argv[*i], &value);

    if (f == NULL) {
        return 0;
    }
    if (value == NULL) {
        if (*i + 1 >= argc) {
            cli_fail("%s needs a value", f->name);
            return -1;
        }
        value = argv[++*i];
    }
    if ((f->flags & CLI_NONEMPTY) != 0 && value[0] == '\0') {
        cli_fail("%s needs a value", f->name);
        return -1;
    }
    *(const char **)((char *)g + f->offset) = value;
    return 1;
}

/* ---- --help ---- */

/* The about text: its lines wrapped, except those that start with two
 * blanks (examples), which are printed as they are. */
static void put_about(const char *about)
{
    const char *p = about;

    while (*p != '\0') {
        size_t n = strcspn(p, "\n");

        if (n >= 2 && p[0] == ' ' && p[1] == ' ') {
            printf("%.*s", (int)n, p);
        } else {
            vutil_help_words(p, n, 0, 0, false);
        }
        putchar('\n');
        p += n;
        p += *p == '\n';
    }
}

/* "[--image IMAGE]...", "--note NOTE", "[--wait]". */
static void synopsis_item(const cli_flag *f, char *buf, size_t size)
{
    bool required = (f->flags & CLI_REQUIRED) != 0;

    snprintf(buf, size, "%s%s%s%s%s%s", required ? "" : "[", f->name,
             f->metavar != NULL ? " " : "",
             f->metavar != NULL ? f->metavar : "", required ? "" : "]",
             f->kind == CLI_FLAG_LIST ? "..." : "");
}

static void put_flags(const char *title, const cli_flag *table)
{
    char text[160];

    if (table == NULL || table->name == NULL) {
        return;
    }
    printf("\n%s:\n", title);
    for (const cli_flag *f = table; f->name != NULL; f++) {
        size_t col;

        snprintf(text, sizeof(text), "%s%s%s", f->name,
                 f->metavar != NULL ? " " : "",
                 f->metavar != NULL ? f->metavar : "");
        vutil_help_flag(text);
        col = vutil_help_words(f->help, strlen(f->help), VUTIL_HELP_COLUMN,
                               VUTIL_HELP_COLUMN, false);
        text[0] = '\0';
        if ((f->flags & CLI_REQUIRED) != 0) {
            snprintf(text, sizeof(text), "(required)");
        } else if (f->kind == CLI_FLAG_LIST) {
            snprintf(text, sizeof(text), "(repeatable)");
        } else if (f->kind == CLI_FLAG_NUMBER) {
            snprintf(text, sizeof(text), "(%ld to %ld)", f->min, f->max);
        }
        vutil_help_words(text, strlen(text), col, VUTIL_HELP_COLUMN, true);
        printf("\n");
    }
}

void cli_print_help(const cli_spec *spec)
{
    size_t indent = strlen("usage: ") + strlen(spec->command) + 1;
    size_t col = (size_t)printf("usage: %s", spec->command);
    char item[160];

    if (spec->args != NULL) {
        col += (size_t)printf(" %s", spec->args);
    }
    for (const cli_flag *f = spec->flags; f != NULL && f->name != NULL;
         f++) {
        synopsis_item(f, item, sizeof(item));
        col = vutil_help_item(item, col, indent - 1);
    }
    printf("\n\n");
    put_about(spec->about);
    put_flags("flags", spec->flags);
    put_flags("global flags (see 'vouch --help')", global_flags);
}

void cli_print_global_flags(FILE *out)
{
    for (const cli_flag *f = global_flags; f->name != NULL; f++) {
        char text[64];

        snprintf(text, sizeof(text), "%s %s", f->name, f->metavar);
        fprintf(out, "  %-25s %s\n", text, f->help);
    }
}
