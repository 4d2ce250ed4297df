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

typedef struct logs_opts {
    const char *filter;
    long limit;
    const char *order;
} logs_opts;

static const cli_flag read_flags[] = {
    CLI_STRING("--filter", "FILTER", logs_opts, filter, 0,
               "Cloud Logging's filter language (docs/audit.md)"),
    CLI_NUMBER("--limit", "N", logs_opts, limit, 1, 1000000,
               "print at most N entries (default: all)"),
    CLI_STRING("--order", "desc|asc", logs_opts, order, 0,
               "newest first (desc, the default) or oldest first"),
    CLI_END,
};

static const cli_spec read_spec = {
    "vouch logs read", "[FILTER]", 0, 1, false, read_flags,
    "Print the audit log entries of --project that match FILTER, given as "
    "an argument or with --filter. Output: YAML documents separated by "
    "'---', or a JSON array with --format json.\n"
    "\n"
    "Example:\n"
    "  vouch logs read --filter 'protoPayload.response.status.conditions."
    "reason=\"ContainerImageUnauthorized\"'",
};

/* The request for one page. */
static json_t *page_request(const char *project_name, const logs_opts *o,
                            long want, const char *token)
{
    json_t *body = json_pack("{s:[s],s:s,s:I}", "resourceNames",
                             project_name, "orderBy",
                             strcmp(o->order, "asc") == 0
                                 ? "timestamp asc"
                                 : "timestamp desc",
                             "pageSize", (json_int_t)want);

    if (body != NULL &&
        ((o->filter != NULL &&
          json_object_set_new(body, "filter", json_string(o->filter)) !=
              0) ||
         (token != NULL &&
          json_object_set_new(body, "pageToken", json_string(token)) !=
              0))) {
        json_decref(body);
        body = NULL;
    }
    return body;
}

/* Every entry (at most --limit), page by page, into `all`. */
static int read_entries(client *c, const char *project_name,
                        const logs_opts *o, json_t *all)
{
    client_pages pages;
    json_t *page = NULL;
    const char *token = NULL;
    long got = 0;
    int rc;

    client_pages_init(&pages, c);
    for (;;) {
        long want = o->limit < 0 || o->limit - got > LOGS_PAGE_MAX
                        ? LOGS_PAGE_MAX
                        : o->limit - got;
        json_t *body = page_request(project_name, o, want, token);
        json_t *entries;
        size_t i;
        json_t *e;

        json_decref(page);      /* `token` pointed into it */
        page = NULL;
        if (body == NULL) {
            rc = cli_fail("--filter: not valid UTF-8");
            break;
        }
        rc = client_call(c, "POST", "/v2/entries:list", NULL, body, &page);
        json_decref(body);
        if (rc != CLI_OK) {
            break;
        }
        entries = json_object_get(page, "entries");
        json_array_foreach(entries, i, e) {
            if (o->limit >= 0 && got >= o->limit) {
                break;
            }
            json_array_append(all, e);
            got++;
        }
        rc = client_pages_next(&pages, page, json_array_size(entries),
                               &token);
        if (rc != CLI_OK || token == NULL ||
            (o->limit >= 0 && got >= o->limit)) {
            break;
        }
    }
    json_decref(page);
    client_pages_clear(&pages);
    return rc;
}

static int print_entries(const json_t *all, int format)
{
    size_t i;
    json_t *e;
    int rc = CLI_OK;

    if (format == VOUCH_FORMAT_JSON) {
        return client_print_as(all, VOUCH_FORMAT_JSON);
    }
    json_array_foreach(all, i, e) {
        if (i > 0 && (rc = cli_write("---\n", 4)) != CLI_OK) {
            break;
        }
        if ((rc = client_print_as(e, VOUCH_FORMAT_YAML)) != CLI_OK) {
            break;
        }
    }
    return rc;
}

static int logs_read(int argc, char **argv, cli_globals *g)
{
    logs_opts o = {NULL, -1, "desc"};
    cli_list args;
    char project_name[300];
    client *c = NULL;
    json_t *all = NULL;
    int rc;

    rc = cli_parse(&read_spec, argc, argv, g, &o, &args);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if (args.count > 0 && o.filter != NULL) {
        return cli_unknown("vouch logs read", args.items[0]);
    }
    if (args.count > 0) {
        o.filter = args.items[0];
    }
    if (strcmp(o.order, "desc") != 0 && strcmp(o.order, "asc") != 0) {
        return cli_fail("--order must be desc or asc, not '%s'", o.order);
    }
    if (o.filter != NULL && strlen(o.filter) > LOGS_FILTER_MAX) {
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
    bool text = false;
    int format = cli_output_format(g, VOUCH_FORMAT_YAML, true, &text);
    if (format < 0) {
        return CLI_USAGE;
    }
    rc = client_new(&c, g);
    if (rc != CLI_OK) {
        return rc;
    }
    all = json_array();
    rc = all != NULL ? read_entries(c, project_name, &o, all)
                     : cli_fail("out of memory");
    if (rc == CLI_OK) {
        rc = print_entries(all, text ? VOUCH_FORMAT_YAML : format);
    }
    json_decref(all);
    client_free(c);
    return rc;
}

static const cli_command logs_commands[] = {
    {"read", logs_read, "print audit log entries (Cloud Logging filter)", 0},
    {NULL, NULL, NULL, 0},
};

int cmd_logs(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("logs", logs_commands, argc, argv, g);
}
