/*
 * How the online commands print what vouchd answered: the resource in
 * --format (libvouch's own YAML for the resources it models, a generic
 * YAML or JSON printer for the rest) and text tables (client.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libfyaml.h>

#include "client.h"

/*
 * YAML for resources libvouch has no model of (notes, lists): a string is
 * written plain only when it is obviously a plain string (a letter, then
 * letters, digits and _ . / @ -, and not a YAML 1.1 boolean or null),
 * otherwise as a JSON string literal, which is a valid YAML double-quoted
 * scalar. Keys are sorted, as gcloud prints them.
 */
static bool plain_ok(const char *s, size_t n)
{
    static const char *const words[] = {
        "y", "n", "yes", "no", "true", "false", "on", "off", "null",
    };

    if (n == 0 || n > 200 || !isalpha((unsigned char)s[0])) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (!isalnum(ch) && ch != '_' && ch != '.' && ch != '/' &&
            ch != '@' && ch != '-') {
            return false;
        }
    }
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i]) == n && strncasecmp(words[i], s, n) == 0) {
            return false;
        }
    }
    return true;
}

static struct fy_node *yaml_node(struct fy_document *fyd, const json_t *v,
                                 int depth);

static struct fy_node *yaml_string(struct fy_document *fyd, const char *s,
                                   size_t n)
{
    json_t *str;
    char *lit;

    if (plain_ok(s, n)) {
        return fy_node_create_scalar_copy(fyd, s, n);
    }
    str = json_stringn(s, n);
    lit = str != NULL ? json_dumps(str, JSON_ENCODE_ANY) : NULL;
    json_decref(str);
    if (lit == NULL) {
        return NULL;
    }
    /* The document keeps (and later frees) the malloc'd source text. */
    return fy_node_build_from_malloc_string(fyd, lit, strlen(lit));
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct fy_node *yaml_mapping(struct fy_document *fyd,
                                    const json_t *v, int depth)
{
    struct fy_node *node = fy_node_create_mapping(fyd);
    size_t count = json_object_size(v);
    const char **keys = NULL;
    const char *key;
    json_t *val;
    size_t i = 0;

    if (node == NULL || count == 0) {
        return node;
    }
    keys = calloc(count, sizeof(*keys));
    if (keys == NULL) {
        fy_node_free(node);
        return NULL;
    }
    json_object_foreach((json_t *)v, key, val) {
        if (i < count) {
            keys[i++] = key;
        }
    }
    qsort(keys, i, sizeof(*keys), cmp_keys);
    for (size_t k = 0; k < i; k++) {
        struct fy_node *kn = yaml_string(fyd, keys[k], strlen(keys[k]));
        struct fy_node *vn =
            yaml_node(fyd, json_object_get(v, keys[k]), depth + 1);

        if (kn == NULL || vn == NULL ||
            fy_node_mapping_append(node, kn, vn) != 0) {
            fy_node_free(kn);
            fy_node_free(vn);
            fy_node_free(node);
            node = NULL;
            break;
        }
    }
    free(keys);
    return node;
}

static struct fy_node *yaml_node(struct fy_document *fyd, const json_t *v,
                                 int depth)
{
    struct fy_node *node;
    size_t i;
    json_t *item;

    if (depth > 64) {
        return NULL;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return yaml_mapping(fyd, v, depth);
    case JSON_ARRAY:
        node = fy_node_create_sequence(fyd);
        json_array_foreach(v, i, item) {
            struct fy_node *child = node != NULL
                                        ? yaml_node(fyd, item, depth + 1)
                                        : NULL;

            if (child == NULL || fy_node_sequence_append(node, child) != 0) {
                fy_node_free(child);
                fy_node_free(node);
                return NULL;
            }
        }
        return node;
    case JSON_STRING:
        return yaml_string(fyd, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return fy_node_create_scalarf(fyd, "%" JSON_INTEGER_FORMAT,
                                      json_integer_value(v));
    case JSON_REAL:
        return fy_node_create_scalarf(fyd, "%.17g", json_real_value(v));
    case JSON_TRUE:
        return fy_node_create_scalar(fyd, "true", 4);
    case JSON_FALSE:
        return fy_node_create_scalar(fyd, "false", 5);
    case JSON_NULL:
        return fy_node_create_scalar(fyd, "null", 4);
    }
    return NULL;
}

int client_print_as(const json_t *value, vouch_format format)
{
    struct fy_document *fyd = NULL;
    struct fy_node *root = NULL;
    char *json = NULL;
    char *yaml = NULL;
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
    fyd = fy_document_create(NULL);
    root = fyd != NULL ? yaml_node(fyd, value, 0) : NULL;
    if (root == NULL || fy_document_set_root(fyd, root) != 0) {
        fy_node_free(root);
        rc = cli_fail("cannot print the answer as YAML (nested over 64 "
                      "levels, or out of memory); try --format json");
        goto cleanup;
    }
    yaml = fy_emit_document_to_string(
        fyd, FYECF_MODE_BLOCK | FYECF_INDENT_2 | FYECF_WIDTH_INF |
                 FYECF_DOC_START_MARK_OFF | FYECF_DOC_END_MARK_OFF |
                 FYECF_VERSION_DIR_OFF | FYECF_TAG_DIR_OFF);
    if (yaml == NULL) {
        rc = cli_fail("out of memory printing YAML");
        goto cleanup;
    }
    rc = cli_write(yaml, strlen(yaml));
    if (rc == CLI_OK && (yaml[0] == '\0' ||
                         yaml[strlen(yaml) - 1] != '\n')) {
        rc = cli_write("\n", 1);
    }

cleanup:
    free(yaml);
    fy_document_destroy(fyd);
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
    vouch_attestor *attestor = NULL;
    vouch_policy *policy = NULL;
    vouch_attestation *att = NULL;
    char *json = NULL;
    char *text = NULL;
    size_t len = 0;
    int done = 0;

    if (kind == CLIENT_GENERIC) {
        return 0;
    }
    json = json_dumps(resource, JSON_COMPACT);
    if (json == NULL) {
        return 0;
    }
    if (kind == CLIENT_ATTESTOR &&
        vouch_attestor_parse(&attestor, json, strlen(json),
                             VOUCH_FORMAT_JSON, "answer", &err) == 0) {
        done = vouch_attestor_print(attestor, VOUCH_FORMAT_YAML, &text,
                                    &len, &err) == 0;
    } else if (kind == CLIENT_POLICY &&
               vouch_policy_parse(&policy, json, strlen(json),
                                  VOUCH_FORMAT_JSON, "answer", &err) == 0) {
        done = vouch_policy_print(policy, VOUCH_FORMAT_YAML, &text, &len,
                                  &err) == 0;
    } else if (kind == CLIENT_OCCURRENCE &&
               vouch_attestation_parse(&att, json, strlen(json),
                                       VOUCH_FORMAT_JSON, "answer",
                                       &err) == 0) {
        done = vouch_attestation_print(att, VOUCH_FORMAT_YAML, &text, &len,
                                       &err) == 0;
    }
    if (done) {
        *rc = cli_write(text, len);
    }
    vouch_free(text);
    vouch_attestor_free(attestor);
    vouch_policy_free(policy);
    vouch_attestation_free(att);
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
