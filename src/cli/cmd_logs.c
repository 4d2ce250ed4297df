/*
 * `vouch logs read`: the audit entries vouchd keeps (Cloud Logging v2
 * `POST /v2/entries:list`, docs/audit.md), as `gcloud logging read` reads
 * them: newest first by default, YAML documents separated by "---", or a
 * JSON array with --format json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* Cloud Logging's longest filter (docs/audit.md). */
#define LOGS_FILTER_MAX 20000u
/* Largest page vouchd serves. */
#define LOGS_PAGE_MAX 1000L

static int logs_read(int argc, char **argv, cli_globals *g)
{
    const char *filter = NULL;
    const char *limit_text = NULL;
    const char *order = "desc";
    long limit = -1;
    long got = 0;
    char project_name[300];
    client *c = NULL;
    json_t *body = NULL;
    json_t *all = NULL;
    char *token = NULL;
    bool text = false;
    int format;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch logs read [FILTER | --filter FILTER] "
                   "[--limit N] [--order desc|asc]\n\n"
                   "Print the audit log entries of --project that match "
                   "FILTER (Cloud\nLogging's filter language, "
                   "docs/audit.md), newest first unless --order\nasc. "
                   "--limit N prints at most N entries (default: all). "
                   "Output: YAML\ndocuments separated by '---', or a JSON "
                   "array with --format json.\n\nExample:\n  vouch logs "
                   "read --filter 'protoPayload.response.status.conditions."
                   "reason=\"ContainerImageUnauthorized\"'\n");
            return CLI_OK;
        }
        if ((rc = cli_flag(argc, argv, &i, "--filter", &filter)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--limit", &limit_text)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--order", &order)) != 0 ||
            (rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        if (argv[i][0] == '-' || filter != NULL) {
            return cli_unknown("vouch logs read", argv[i]);
        }
        filter = argv[i];
    }
    if (strcmp(order, "desc") != 0 && strcmp(order, "asc") != 0) {
        return cli_fail("--order must be desc or asc, not '%s'", order);
    }
    if (limit_text != NULL) {
        char *end = NULL;

        limit = strtol(limit_text, &end, 10);
        if (end == limit_text || *end != '\0' || limit < 1 ||
            limit > 1000000) {
            return cli_fail("--limit: '%s' is not a number from 1 to "
                            "1000000", limit_text);
        }
    }
    if (filter != NULL && strlen(filter) > LOGS_FILTER_MAX) {
        return cli_fail("--filter: over Cloud Logging's limit of %u bytes",
                        LOGS_FILTER_MAX);
    }
    if (g->project == NULL || g->project[0] == '\0') {
        return cli_fail("needs --project (or VOUCH_PROJECT)");
    }
    if (strchr(g->project, '/') != NULL ||
        (size_t)snprintf(project_name, sizeof(project_name), "projects/%s",
                         g->project) >= sizeof(project_name)) {
        return cli_fail("--project: '%s' is not a valid project id",
                        g->project);
    }
    format = cli_output_format(g, VOUCH_FORMAT_YAML, true, &text);
    if (format < 0) {
        return CLI_USAGE;
    }
    if (text) {
        format = VOUCH_FORMAT_YAML;
    }
    rc = client_new(&c, g);
    if (rc != CLI_OK) {
        return rc;
    }
    all = json_array();
    if (all == NULL) {
        rc = cli_fail("out of memory");
        goto cleanup;
    }
    for (;;) {
        long want = limit < 0 ? LOGS_PAGE_MAX : limit - got;
        json_t *page = NULL;
        json_t *entries;
        const char *next;
        size_t i;
        json_t *e;

        if (want > LOGS_PAGE_MAX) {
            want = LOGS_PAGE_MAX;
        }
        json_decref(body);
        body = json_pack("{s:[s],s:s,s:I}", "resourceNames", project_name,
                         "orderBy",
                         strcmp(order, "asc") == 0 ? "timestamp asc"
                                                   : "timestamp desc",
                         "pageSize", (json_int_t)want);
        if (body == NULL ||
            (filter != NULL &&
             json_object_set_new(body, "filter", json_string(filter)) !=
                 0) ||
            (token != NULL &&
             json_object_set_new(body, "pageToken", json_string(token)) !=
                 0)) {
            rc = cli_fail("--filter: not valid UTF-8");
            goto cleanup;
        }
        rc = client_call(c, "POST", "/v2/entries:list", NULL, body, &page);
        if (rc != CLI_OK) {
            goto cleanup;
        }
        entries = json_object_get(page, "entries");
        json_array_foreach(entries, i, e) {
            if (limit >= 0 && got >= limit) {
                break;
            }
            json_array_append(all, e);
            got++;
        }
        next = json_string_value(json_object_get(page, "nextPageToken"));
        free(token);
        token = next != NULL && next[0] != '\0' ? strdup(next) : NULL;
        json_decref(page);
        if (token == NULL || (limit >= 0 && got >= limit)) {
            break;
        }
    }
    if (format == VOUCH_FORMAT_JSON) {
        rc = client_print_as(all, VOUCH_FORMAT_JSON);
    } else {
        size_t i;
        json_t *e;

        json_array_foreach(all, i, e) {
            if (i > 0 && (rc = cli_write("---\n", 4)) != CLI_OK) {
                break;
            }
            if ((rc = client_print_as(e, VOUCH_FORMAT_YAML)) != CLI_OK) {
                break;
            }
        }
    }

cleanup:
    free(token);
    json_decref(body);
    json_decref(all);
    client_free(c);
    return rc;
}

static const cli_command logs_commands[] = {
    {"read", logs_read, "print audit log entries (Cloud Logging filter)"},
    {NULL, NULL, NULL},
};

int cmd_logs(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("logs", logs_commands, argc, argv, g);
}
