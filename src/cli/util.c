/*
 * File reading, output formats and group dispatch shared by every command
 * of `vouch`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_parse_file(const char *path, size_t max, const char *source,
                   cli_parse_fn parse, void *payload)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char *data = NULL;
    size_t len = 0;
    int rc;

    rc = cli_read_file(path, max, &data, &len);
    if (rc != CLI_OK) {
        return rc;
    }
    rc = parse(data, len, source, payload, &err);
    memset(data, 0, len); /* the file may be private key material */
    free(data);
    return rc < 0 ? cli_fail_error(&err) : CLI_OK;
}

static int parse_policy(const char *data, size_t len, const char *source,
                        void *payload, vouch_error *err)
{
    return vouch_policy_parse(payload, data, len, VOUCH_FORMAT_AUTO, source,
                              err);
}

int cli_load_policy(const char *path, const char *source,
                    vouch_policy **out)
{
    *out = NULL;
    if (source == NULL) {
        source = strcmp(path, "-") == 0 ? "<stdin>" : path;
    }
    return cli_parse_file(path, VOUCH_POLICY_MAX_BYTES, source, parse_policy,
                          out);
}

/* Every signing command takes an optional algorithm flag; its error is
 * reported under the flag's name the same way in each. */
int cli_parse_algorithm(const char *text, const char *flag,
                        vouch_signature_algorithm *out)
{
    vouch_error err = VOUCH_ERROR_INIT;

    *out = VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED;
    if (text != NULL &&
        vouch_signature_algorithm_parse(text, strlen(text), out, &err) < 0) {
        snprintf(err.source, sizeof(err.source), "%s", flag);
        return cli_fail_error(&err);
    }
    return CLI_OK;
}

/* What parse_private_key() needs besides the bytes. */
typedef struct private_key_load {
    vouch_signature_algorithm alg;
    vouch_private_key **out;
} private_key_load;

/* The key parser names no input, so its errors are put on the file. */
static int parse_private_key(const char *data, size_t len, const char *source,
                             void *payload, vouch_error *err)
{
    const private_key_load *load = payload;
    int rc = vouch_private_key_new(load->out, data, len, load->alg, err);

    if (rc < 0 && err->source[0] == '\0') {
        snprintf(err->source, sizeof(err->source), "%s", source);
    }
    return rc;
}

int cli_load_private_key(const char *path, vouch_signature_algorithm alg,
                         vouch_private_key **out)
{
    private_key_load load = {alg, out};

    *out = NULL;
    return cli_parse_file(path, VOUCH_KEY_MAX_BYTES, path, parse_private_key,
                          &load);
}

int cli_read_file(const char *path, size_t max, char **out, size_t *out_len)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t len = 0;
    size_t cap = 0;
    int rc = CLI_USAGE;

    *out = NULL;
    *out_len = 0;
    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        cli_fail("%s: %s", path, strerror(errno));
        goto cleanup;
    }
    for (;;) {
        size_t got;

        if (len == cap) {
            size_t want = cap == 0 ? 65536 : cap * 2;
            char *grown;

            if (want > max + 2) {
                want = max + 2;
            }
            if (want <= len) {
                cli_fail("%s: over the limit of %zu bytes for this kind of "
                         "file", path, max);
                goto cleanup;
            }
            grown = realloc(buf, want);
            if (grown == NULL) {
                cli_fail("%s: out of memory", path);
                goto cleanup;
            }
            buf = grown;
            cap = want;
        }
        got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        cli_fail("%s: read error: %s", path, strerror(errno));
        goto cleanup;
    }
    if (len > max) {
        cli_fail("%s: over the limit of %zu bytes for this kind of file",
                 path, max);
        goto cleanup;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    buf = NULL;
    rc = CLI_OK;

cleanup:
    if (f != NULL && f != stdin) {
        fclose(f);
    }
    free(buf);
    return rc;
}

int cli_output_format(const cli_globals *g, vouch_format fallback,
                      bool allow_text, bool *text)
{
    if (text != NULL) {
        *text = false;
    }
    if (g->format == NULL) {
        return (int)fallback;
    }
    if (strcmp(g->format, "json") == 0) {
        return VOUCH_FORMAT_JSON;
    }
    if (strcmp(g->format, "yaml") == 0) {
        return VOUCH_FORMAT_YAML;
    }
    if (strcmp(g->format, "text") == 0 && allow_text && text != NULL) {
        *text = true;
        return (int)fallback;
    }
    cli_fail("--format must be %s, not '%s'",
             allow_text ? "json, yaml or text" : "json or yaml", g->format);
    return -1;
}

int cli_dispatch(const char *group, const cli_command *commands, int argc,
                 char **argv, cli_globals *g)
{
    const cli_command *c;

    if (argc < 1 || cli_is_help(argv[0])) {
        printf("usage: vouch %s COMMAND [FLAGS]\n\ncommands:\n", group);
        for (c = commands; c->name != NULL; c++) {
            printf("  %-26s %s\n", c->name, c->summary);
        }
        printf("\nRun 'vouch %s COMMAND --help' for a command's flags.\n",
               group);
        return argc < 1 ? CLI_USAGE : CLI_OK;
    }
    for (c = commands; c->name != NULL; c++) {
        if (strcmp(argv[0], c->name) == 0) {
            g->variant = c->variant;
            return c->run(argc - 1, argv + 1, g);
        }
    }
    return cli_fail("unknown command 'vouch %s %s'; see 'vouch %s --help'",
                    group, argv[0], group);
}
