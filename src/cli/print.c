/*
 * How the online commands print what vouchd answered: the resource in
 * --format (libvouch's own YAML for the resources it models, a generic
 * YAML or JSON printer for the rest) and text tables (client.h). The
 * model's printer (client_reprint) also serves `attestations sign`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "vutil_yaml.h"

/*
 * YAML for resources libvouch has no model of (notes, lists, operations):
 * the util layer's printer with its simple quoting (vutil_yaml.h): a
 * string is plain only when obviously one (a letter, then letters, digits
 * and _ . / @ -, and not a YAML 1.1 boolean or null), otherwise a JSON
 * string literal. Keys are sorted, as gcloud prints them.
 */
int client_print_as(const json_t *value, vouch_format format)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char *json = NULL;
    char *yaml = NULL;
    size_t len = 0;
    int rc;

    if (format != VOUCH_FORMAT_YAML) {
        json = json_dumps(value, JSON_SORT_KEYS | JSON_INDENT(2) |
                                     JSON_ENCODE_ANY);
        if (json == NULL) {
            return cli_fail("out of memory");
        }
        rc = cli_write_json(json, strlen(json));
        if (rc == CLI_OK) {
            rc = cli_write("\n", 1);
        }
        free(json);
        return rc;
    }
    if (vutil_yaml_from_json(value, VUTIL_YAML_SIMPLE, &yaml, &len,
                             &err) < 0) {
        return cli_fail("cannot print the answer as YAML (%s); try "
                        "--format json",
                        err.message);
    }
    rc = cli_write(yaml, len);
    free(yaml);
    return rc;
}

int client_reprint(client_kind kind, const char *json, const char *source,
                   vouch_format format, char **text, size_t *len,
                   vouch_error *err)
{
    vouch_attestor *attestor = NULL;
    vouch_policy *policy = NULL;
    vouch_attestation *att = NULL;
    size_t n = strlen(json);
    int rc = VOUCH_EINVAL;

    *text = NULL;
    if (kind == CLIENT_ATTESTOR) {
        rc = vouch_attestor_parse(&attestor, json, n, VOUCH_FORMAT_JSON,
                                  source, err);
        if (rc == 0) {
            rc = vouch_attestor_print(attestor, format, text, len, err);
        }
    } else if (kind == CLIENT_POLICY) {
        rc = vouch_policy_parse(&policy, json, n, VOUCH_FORMAT_JSON, source,
                                err);
        if (rc == 0) {
            rc = vouch_policy_print(policy, format, text, len, err);
        }
    } else if (kind == CLIENT_OCCURRENCE) {
        rc = vouch_attestation_parse(&att, json, n, VOUCH_FORMAT_JSON,
                                     source, err);
        if (rc == 0) {
            rc = vouch_attestation_print(att, format, text, len, err);
        }
    }
    vouch_attestor_free(attestor);
    vouch_policy_free(policy);
    vouch_attestation_free(att);
    return rc;
}

/*
 * YAML through libvouch's own printer for the resources it models, so
 * that `describe` prints what `vouch policy format` would (gcloud's
 * quoting). Returns 1 when printed, 0 to fall back, or CLI_USAGE.
 */
static int print_model(const json_t *resource, client_kind kind, int *rc)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char *json = NULL;
    char *text = NULL;
    size_t len = 0;
    int done;

    if (kind == CLIENT_GENERIC) {
        return 0;
    }
    json = json_dumps(resource, JSON_COMPACT);
    if (json == NULL) {
        return 0;
    }
    done = client_reprint(kind, json, "answer", VOUCH_FORMAT_YAML, &text,
                          &len, &err) == 0;
    if (done) {
        *rc = cli_write(text, len);
    }
    vouch_free(text);
    free(json);
    return done;
}

int client_print(const cli_globals *g, const json_t *resource,
                 vouch_format fallback, client_kind kind)
{
    bool text = false;
    int format = cli_output_format(g, fallback, true, &text);
    int rc = CLI_OK;

    if (format < 0) {
        return CLI_USAGE;
    }
    if (text) {
        format = VOUCH_FORMAT_YAML;
    }
    if (format == VOUCH_FORMAT_YAML && print_model(resource, kind, &rc)) {
        return rc;
    }
    return client_print_as(resource, (vouch_format)format);
}


/* Longest cell the table shows; a longer one is cut short. */
#define TABLE_CELL_MAX 4096
#define TABLE_MAX_COLUMNS 8

/* Print one row: each cell escaped and padded to its column's width. */
static void table_row(const char *const *cells, size_t n,
                      const size_t *widths, char *buf)
{
    for (size_t k = 0; k < n; k++) {
        size_t w = cli_escape(cells[k], buf, TABLE_CELL_MAX);

        if (k + 1 < n) {
            printf("%s%*s ", buf, (int)(widths[k] - w), "");
        } else {
            printf("%s\n", buf);
        }
    }
}

int client_table(const char *const *heads, size_t n, const int *min_width,
                 const json_t *items, client_cells_fn cells)
{
    const char *row[TABLE_MAX_COLUMNS];
    size_t widths[TABLE_MAX_COLUMNS];
    char scratch[TABLE_CELL_MAX];
    char *buf = malloc(TABLE_CELL_MAX);
    size_t i;
    json_t *item;

    if (buf == NULL || n > TABLE_MAX_COLUMNS) {
        free(buf);
        return cli_fail("out of memory");
    }
    for (size_t k = 0; k < n; k++) {
        widths[k] = strlen(heads[k]);
        if (min_width != NULL && (size_t)min_width[k] > widths[k]) {
            widths[k] = (size_t)min_width[k];
        }
    }
    /* Two passes: the widths first, from the escaped cells. */
    json_array_foreach(items, i, item) {
        cells(item, row, scratch, sizeof(scratch));
        for (size_t k = 0; k < n; k++) {
            size_t w = cli_escape(row[k], buf, TABLE_CELL_MAX);

            widths[k] = w > widths[k] ? w : widths[k];
        }
    }
    table_row(heads, n, widths, buf);
    json_array_foreach(items, i, item) {
        cells(item, row, scratch, sizeof(scratch));
        table_row(row, n, widths, buf);
    }
    free(buf);
    return fflush(stdout) == 0 ? CLI_OK
                               : cli_fail("cannot write to standard output");
}
