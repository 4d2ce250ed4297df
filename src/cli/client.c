/*
 * The HTTP client of the online commands: libcurl to vouchd, JSON bodies
 * through jansson, Google error bodies turned into "vouch: <message>"
 * (client.h has the contract).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include "client.h"
#include "vutil_str.h"

#define ID_MAX 200

struct client {
    CURL *curl;
    char *base;             /* scheme://host[:port][/prefix], no final '/' */
    char *shown;            /* `base` without user:password@, for errors */
    char *token;            /* "Authorization: Bearer …"; never printed */
    const char *cacert;     /* --cacert: CURLOPT_CAINFO, or NULL */
    long timeout;
    size_t received;        /* bytes of every answer so far */
    char errbuf[CURL_ERROR_SIZE];
};

/* A libcurl write callback into a vutil_buf (`payload`). */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *payload)
{
    size_t n = size * nmemb;

    return vutil_buf_append(payload, ptr, n) ? n : 0;
}

/* The base URL without "user:password@", so errors never show secrets. */
static char *redact(const char *base)
{
    const char *host = strstr(base, "://");
    const char *at;
    const char *slash;
    char *out;

    if (host == NULL) {
        return strdup(base);
    }
    host += 3;
    slash = strchr(host, '/');
    at = strchr(host, '@');
    if (at == NULL || (slash != NULL && at > slash)) {
        return strdup(base);
    }
    out = malloc(strlen(base) + 1);
    if (out == NULL) {
        return NULL;
    }
    memcpy(out, base, (size_t)(host - base));
    strcpy(out + (host - base), at + 1);
    return out;
}

/* The header line "Authorization: Bearer TOKEN", or NULL when out of
 * memory. */
static char *bearer_header(const char *token, size_t len)
{
    size_t n = len + sizeof("Authorization: Bearer ");
    char *line = malloc(n);

    if (line != NULL) {
        snprintf(line, n, "Authorization: Bearer %.*s", (int)len, token);
    }
    return line;
}

/*
 * The token of --access-token-file (gcloud's flag): the file's text
 * without the line break and blanks around it, which must be one word of
 * printable ASCII. The token is never printed, not even in part.
 */
static int token_from_file(const char *path, char **header)
{
    char *data = NULL;
    size_t len = 0;
    size_t start = 0;
    int rc;

    *header = NULL;
    rc = cli_read_file(path, CLIENT_TOKEN_MAX_BYTES, &data, &len);
    if (rc != CLI_OK) {
        return rc;
    }
    while (len > 0 && strchr(" \t\r\n", data[len - 1]) != NULL) {
        len--;
    }
    while (start < len && strchr(" \t\r\n", data[start]) != NULL) {
        start++;
    }
    rc = CLI_USAGE;
    if (start == len) {
        cli_fail("--access-token-file %s: the file holds no token", path);
        goto cleanup;
    }
    for (size_t i = start; i < len; i++) {
        unsigned char ch = (unsigned char)data[i];

        if (ch <= 0x20 || ch >= 0x7f) {
            cli_fail("--access-token-file %s: the token must be one word "
                     "of printable ASCII (byte %zu is not)", path,
                     i - start + 1);
            goto cleanup;
        }
    }
    *header = bearer_header(data + start, len - start);
    rc = *header != NULL ? CLI_OK : cli_fail("out of memory");

cleanup:
    OPENSSL_cleanse(data, len);
    free(data);
    return rc;
}

int client_new(client **out, const cli_globals *g)
{
    client *c = NULL;
    const char *server = g->server;
    const char *token = getenv("VOUCH_ACCESS_TOKEN");
    const char *timeout = getenv("VOUCH_TIMEOUT");
    size_t n;
    int rc = CLI_USAGE;

    *out = NULL;
    if (server == NULL || server[0] == '\0') {
        server = "http://127.0.0.1:8080";
    }
    if (strncmp(server, "http://", 7) != 0 &&
        strncmp(server, "https://", 8) != 0) {
        return cli_fail("--server: '%s' is not an http:// or https:// URL",
                        server);
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return cli_fail("out of memory");
    }
    c->timeout = CLIENT_TIMEOUT;
    if (timeout != NULL && timeout[0] != '\0') {
        char *end = NULL;
        long v = strtol(timeout, &end, 10);

        if (end == NULL || *end != '\0' || v < 1 || v > 3600) {
            cli_fail("VOUCH_TIMEOUT: '%s' is not a number of seconds "
                     "(1-3600)", timeout);
            goto cleanup;
        }
        c->timeout = v;
    }
    c->base = strdup(server);
    if (c->base == NULL) {
        cli_fail("out of memory");
        goto cleanup;
    }
    n = strlen(c->base);
    while (n > 0 && c->base[n - 1] == '/') {
        c->base[--n] = '\0';
    }
    c->shown = redact(c->base);
    if (c->shown == NULL) {
        cli_fail("out of memory");
        goto cleanup;
    }
    if (g->access_token_file != NULL) {
        if (token_from_file(g->access_token_file, &c->token) != CLI_OK) {
            goto cleanup;
        }
    } else if (token != NULL && token[0] != '\0') {
        if (strpbrk(token, "\r\n") != NULL) {
            cli_fail("VOUCH_ACCESS_TOKEN: contains a line break");
            goto cleanup;
        }
        c->token = bearer_header(token, strlen(token));
        if (c->token == NULL) {
            cli_fail("out of memory");
            goto cleanup;
        }
    }
    if (g->cacert != NULL && g->cacert[0] != '\0') {
        /* Named now, so that a missing file is not reported as a TLS
         * failure of the server. */
        if (access(g->cacert, R_OK) != 0) {
            cli_fail("--cacert %s: %s", g->cacert, strerror(errno));
            goto cleanup;
        }
        c->cacert = g->cacert;
    }
    c->curl = curl_easy_init();
    if (c->curl == NULL) {
        cli_fail("cannot start libcurl");
        goto cleanup;
    }
    *out = c;
    c = NULL;
    rc = CLI_OK;

cleanup:
    client_free(c);
    return rc;
}

void client_free(client *c)
{
    if (c == NULL) {
        return;
    }
    curl_easy_cleanup(c->curl);
    if (c->token != NULL) {
        OPENSSL_cleanse(c->token, strlen(c->token));
    }
    free(c->token);
    free(c->base);
    free(c->shown);
    free(c);
}

char *client_escape(client *c, const char *text)
{
    char *e = curl_easy_escape(c->curl, text, (int)strlen(text));
    char *copy;

    if (e == NULL) {
        return NULL;
    }
    copy = strdup(e);
    curl_free(e);
    return copy;
}

/* Print an error answer: the Google `error.message`, else a summary. */
static int report_error(const client *c, long status, const vutil_buf *r)
{
    json_error_t jerr;
    json_t *root = NULL;
    const char *message = NULL;
    char snippet[161];
    size_t n = 0;

    if (r->data != NULL) {
        root = json_loadb(r->data, r->len, 0, &jerr);
    }
    if (json_is_object(root)) {
        json_t *error = json_object_get(root, "error");

        message = json_string_value(json_object_get(error, "message"));
    }
    if (message != NULL && message[0] != '\0') {
        /* The server's words, escaped by cli_fail(). */
        cli_fail("%.1000s", message);
        json_decref(root);
        return CLI_USAGE;
    }
    json_decref(root);
    for (size_t i = 0; r->data != NULL && i < r->len &&
                       n < sizeof(snippet) - 1; i++) {
        unsigned char ch = (unsigned char)r->data[i];

        snippet[n++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : ' ';
    }
    snippet[n] = '\0';
    return cli_fail("%s answered HTTP %ld%s%s", c->shown, status,
                    n > 0 ? ": " : "", snippet);
}

int client_call(client *c, const char *method, const char *path,
                const char *query, const json_t *body, json_t **out)
{
    struct curl_slist *headers = NULL;
    vutil_buf r = VUTIL_BUF_INIT(CLIENT_MAX_RESPONSE_BYTES);
    char *url = NULL;
    char *text = NULL;
    int rc = CLI_USAGE;

    *out = NULL;
    size_t n = strlen(c->base) + strlen(path) +
               (query != NULL ? strlen(query) + 1 : 0) + 1;
    url = malloc(n);
    if (url == NULL) {
        cli_fail("out of memory");
        goto cleanup;
    }
    snprintf(url, n, "%s%s%s%s", c->base, path, query != NULL ? "?" : "",
             query != NULL ? query : "");
    /* The fixed headers, then the token's, if any. */
    const char *const lines[] = {
        "Accept: application/json",
        "Content-Type: application/json",
        "Expect:",
        c->token,
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        if (lines[i] == NULL) {
            continue;
        }
        struct curl_slist *more = curl_slist_append(headers, lines[i]);
        if (more == NULL) {
            cli_fail("out of memory");
            goto cleanup;
        }
        headers = more;
    }
    curl_easy_reset(c->curl);
    c->errbuf[0] = '\0';
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, CLIENT_CONNECT_TIMEOUT);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, c->timeout);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "vouch/" VOUCH_VERSION);
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
    if (c->cacert != NULL) {
        curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->cacert);
    }
    if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    }
    if (body != NULL) {
        text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
        if (text == NULL) {
            cli_fail("out of memory");
            goto cleanup;
        }
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)strlen(text));
    } else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)0);
    }
    CURLcode cc = curl_easy_perform(c->curl);
    if (r.too_big) {
        cli_fail("%s: the answer is over the limit of %u bytes", c->shown,
                 (unsigned)CLIENT_MAX_RESPONSE_BYTES);
        goto cleanup;
    }
    if (cc != CURLE_OK) {
        cli_fail("cannot reach vouchd at %s: %s (set --server or "
                 "VOUCH_SERVER)", c->shown,
                 c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(cc));
        goto cleanup;
    }
    c->received += r.len;
    long status = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        rc = report_error(c, status, &r);
        goto cleanup;
    }
    if (r.len == 0) {
        *out = json_object();
    } else {
        json_error_t jerr;

        *out = json_loadb(r.data, r.len, JSON_REJECT_DUPLICATES, &jerr);
        if (*out == NULL) {
            cli_fail("%s answered with invalid JSON at %d:%d: %s", c->shown,
                     jerr.line, jerr.column, jerr.text);
            goto cleanup;
        }
    }
    if (*out == NULL) {
        cli_fail("out of memory");
        goto cleanup;
    }
    rc = CLI_OK;

cleanup:
    curl_slist_free_all(headers);
    free(url);
    free(text);
    free(r.data);
    return rc;
}

int client_call_name(client *c, const char *method, const char *name,
                     const json_t *body, json_t **out)
{
    char path[CLIENT_NAME_MAX + 8];

    if ((size_t)snprintf(path, sizeof(path), "/v1/%s", name) >=
        sizeof(path)) {
        *out = NULL;
        return cli_fail("'%.40s...': the name is too long", name);
    }
    return client_call(c, method, path, NULL, body, out);
}

int client_create(client *c, const char *path, const char *id_param,
                  const char *id, const json_t *body, json_t **out)
{
    char *escaped = client_escape(c, id);
    size_t n = escaped != NULL ? strlen(id_param) + strlen(escaped) + 2 : 0;
    char *query = n > 0 ? malloc(n) : NULL;
    int rc;

    *out = NULL;
    if (query == NULL) {
        free(escaped);
        return cli_fail("out of memory");
    }
    snprintf(query, n, "%s=%s", id_param, escaped);
    rc = client_call(c, "POST", path, query, body, out);
    free(query);
    free(escaped);
    return rc;
}

bool client_segment_ok(const char *s, size_t len)
{
    if (len == 0 || len > ID_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.' &&
            ch != '~') {
            return false;
        }
    }
    return !(len == 1 && s[0] == '.') && !(len == 2 && s[0] == '.' &&
                                           s[1] == '.');
}

int client_resource_name(const cli_globals *g, const char *collection,
                         const char *arg, const char *what, char *buf,
                         size_t size)
{
    if (arg == NULL || arg[0] == '\0') {
        return cli_fail("%s: needs a value", what);
    }
    if (strchr(arg, '/') != NULL) {
        /* projects/P/<collection>/ID */
        const char *p;
        const char *slash;
        size_t clen = strlen(collection);

        if (strncmp(arg, "projects/", 9) != 0) {
            goto bad;
        }
        p = arg + 9;
        slash = strchr(p, '/');
        if (slash == NULL || !client_segment_ok(p, (size_t)(slash - p)) ||
            strncmp(slash + 1, collection, clen) != 0 ||
            slash[1 + clen] != '/' ||
            !client_segment_ok(slash + 2 + clen, strlen(slash + 2 + clen))) {
            goto bad;
        }
        if ((size_t)snprintf(buf, size, "%s", arg) >= size) {
            goto bad;
        }
        return CLI_OK;
    }
    if (!client_segment_ok(arg, strlen(arg))) {
        return cli_fail("%s: '%s' is not a valid id: use 1 to %d of "
                        "A-Z a-z 0-9 - _ . ~", what, arg, ID_MAX);
    }
    if (g->project == NULL || g->project[0] == '\0') {
        return cli_fail("%s: the short id '%s' needs --project (or "
                        "VOUCH_PROJECT), or give the full name "
                        "projects/PROJECT/%s/%s", what, arg, collection,
                        arg);
    }
    if (!client_segment_ok(g->project, strlen(g->project))) {
        return cli_fail("--project: '%s' is not a valid project id",
                        g->project);
    }
    snprintf(buf, size, "projects/%s/%s/%s", g->project, collection, arg);
    return CLI_OK;

bad:
    return cli_fail("%s: '%s' is neither an id nor a name of the form "
                    "projects/PROJECT/%s/ID", what, arg, collection);
}

int client_parse_name(const cli_spec *spec, int argc, char **argv,
                      cli_globals *g, void *opts, const char *collection,
                      char *buf, size_t size)
{
    cli_list id;
    int rc = cli_parse(spec, argc, argv, g, opts, &id);

    if (rc != CLI_OK) {
        return rc;
    }
    return client_resource_name(g, collection, id.items[0], spec->args, buf,
                                size);
}

int client_create_named(const cli_globals *g, const char *collection,
                        const char *id_param, const char *name,
                        const json_t *body, const char *word,
                        client_kind kind)
{
    char project[ID_MAX + 1];
    char path[ID_MAX * 2 + 32];
    client *c = NULL;
    json_t *result = NULL;
    int rc = client_name_project(name, project, sizeof(project));

    if (rc == CLI_OK) {
        snprintf(path, sizeof(path), "/v1/projects/%s/%s", project,
                 collection);
        rc = client_new(&c, g);
    }
    if (rc == CLI_OK) {
        rc = client_create(c, path, id_param, client_name_id(name), body,
                           &result);
    }
    if (rc == CLI_OK) {
        cli_note("Created %s [%s].", word, name);
        rc = client_print(g, result, VOUCH_FORMAT_YAML, kind);
    }
    json_decref(result);
    client_free(c);
    return rc;
}

int client_set_string(json_t *obj, const char *key, const char *value,
                      const char *what)
{
    if (value != NULL &&
        json_object_set_new(obj, key, json_string(value)) != 0) {
        return cli_fail("%s: not valid UTF-8", what);
    }
    return CLI_OK;
}

int client_describe_or_delete(const cli_spec specs[2], int argc,
                              char **argv, cli_globals *g,
                              const char *collection, const char *word,
                              client_kind kind)
{
    bool del = g->variant == 1;
    char name[ID_MAX * 2 + 64];
    client *c = NULL;
    json_t *result = NULL;
    int rc;

    rc = client_parse_name(&specs[g->variant], argc, argv, g, NULL,
                           collection, name, sizeof(name));
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    rc = client_new(&c, g);
    if (rc == CLI_OK) {
        rc = client_call_name(c, del ? "DELETE" : "GET", name, NULL,
                              &result);
    }
    if (rc == CLI_OK && del) {
        cli_note("Deleted %s [%s].", word, name);
    } else if (rc == CLI_OK) {
        rc = client_print(g, result, VOUCH_FORMAT_YAML, kind);
    }
    json_decref(result);
    client_free(c);
    return rc;
}

int client_list_format(const cli_globals *g, bool *text)
{
    int format = cli_output_format(g, VOUCH_FORMAT_JSON, true, text);

    *text = *text || g->format == NULL;
    return format;
}

/* The start of a list: --format, the path of the collection, a client. */
static int list_begin(const cli_globals *g, const char *collection,
                      int *format, bool *text, char *path, size_t size,
                      client **c)
{
    char project[ID_MAX + 1];
    bool given;

    *c = NULL;
    *format = client_list_format(g, text);
    if (*format < 0) {
        return CLI_USAGE;
    }
    if (client_project_flag(g, project, sizeof(project), &given) != CLI_OK) {
        return CLI_USAGE;
    }
    if (!given) {
        return cli_fail("needs --project (or VOUCH_PROJECT)");
    }
    snprintf(path, size, "/v1/projects/%s/%s", project, collection);
    return client_new(c, g);
}

/* Commands that default the project from a name (an attestor's, a
 * policy file's) take --project first, checked as every name checks it. */
int client_project_flag(const cli_globals *g, char *buf, size_t size,
                        bool *given)
{
    *given = g->project != NULL && g->project[0] != '\0';
    if (!*given) {
        return CLI_OK;
    }
    if (!client_segment_ok(g->project, strlen(g->project))) {
        return cli_fail("--project: '%s' is not a valid project id",
                        g->project);
    }
    snprintf(buf, size, "%s", g->project);
    return CLI_OK;
}

/* Every list command had the same parse-fetch-print body; only how the
 * text form looks differs between collections. */
int client_list_project(const cli_spec *spec, int argc, char **argv,
                        cli_globals *g, const char *collection,
                        client_list_text_fn text_fn)
{
    char path[ID_MAX * 2 + 32];
    client *c = NULL;
    json_t *all = NULL;
    bool text = false;
    int format;
    int rc;

    rc = cli_parse(spec, argc, argv, g, NULL, NULL);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    rc = list_begin(g, collection, &format, &text, path, sizeof(path), &c);
    if (rc == CLI_OK) {
        rc = client_list_all(c, path, NULL, collection, &all);
    }
    if (rc == CLI_OK) {
        rc = text ? text_fn(all) : client_print_as(all, (vouch_format)format);
    }
    json_decref(all);
    client_free(c);
    return rc;
}

int client_project_of(const cli_globals *g, const char *name, char *buf,
                      size_t size)
{
    bool given;
    int rc = client_project_flag(g, buf, size, &given);

    if (rc != CLI_OK || given) {
        return rc;
    }
    if (name == NULL || name[0] == '\0') {
        buf[0] = '\0';
        return CLI_OK;
    }
    return client_name_project(name, buf, size);
}

int client_name_project(const char *name, char *buf, size_t size)
{
    const char *p;
    const char *slash;

    if (strncmp(name, "projects/", 9) != 0) {
        return cli_fail("'%s' is not a name of the form projects/P/...",
                        name);
    }
    p = name + 9;
    slash = strchr(p, '/');
    if (slash == NULL) {
        slash = p + strlen(p);
    }
    if (!client_segment_ok(p, (size_t)(slash - p)) ||
        (size_t)(slash - p) >= size) {
        return cli_fail("'%s' does not name a valid project", name);
    }
    memcpy(buf, p, (size_t)(slash - p));
    buf[slash - p] = '\0';
    return CLI_OK;
}

const char *client_name_id(const char *name)
{
    const char *slash = strrchr(name, '/');

    return slash != NULL ? slash + 1 : name;
}

void client_pages_init(client_pages *p, client *c)
{
    p->c = c;
    p->seen = NULL;
    p->pages = 0;
    p->items = 0;
    p->start = c->received;
}

void client_pages_clear(client_pages *p)
{
    json_decref(p->seen);
    p->seen = NULL;
}

int client_pages_next(client_pages *p, const json_t *page, size_t items,
                      const char **next)
{
    const char *token = json_string_value(
        json_object_get(page, "nextPageToken"));

    *next = NULL;
    p->pages++;
    p->items += items;
    if (p->items > CLIENT_LIST_MAX_ITEMS) {
        return cli_fail("%s: the list goes on past %u items; stopping "
                        "(a server that never ends its list?)",
                        p->c->shown, CLIENT_LIST_MAX_ITEMS);
    }
    if (p->c->received - p->start > CLIENT_LIST_MAX_BYTES) {
        return cli_fail("%s: the list's pages are over %u bytes together; "
                        "stopping", p->c->shown, CLIENT_LIST_MAX_BYTES);
    }
    if (token == NULL || token[0] == '\0') {
        return CLI_OK;
    }
    /* A token seen before would loop forever. */
    if (p->seen == NULL) {
        p->seen = json_object();
    }
    if (p->seen == NULL) {
        return cli_fail("out of memory");
    }
    if (json_object_get(p->seen, token) != NULL) {
        return cli_fail("%s repeated the page token '%.40s%s' after %zu "
                        "pages: its list would never end; stopping",
                        p->c->shown, token, strlen(token) > 40 ? "..." : "",
                        p->pages);
    }
    if (json_object_set_new(p->seen, token, json_true()) != 0) {
        return cli_fail("%s: a page token that is not UTF-8", p->c->shown);
    }
    *next = token;
    return CLI_OK;
}

/* `query` and "pageToken=TOKEN" (escaped) as one query string. */
static char *page_query(client *c, const char *query, const char *token)
{
    char *escaped = token != NULL ? client_escape(c, token) : NULL;
    size_t n = (query != NULL ? strlen(query) : 0) +
               (escaped != NULL ? strlen(escaped) : 0) +
               sizeof("&pageToken=");
    char *full = (token == NULL || escaped != NULL) ? malloc(n) : NULL;

    if (full != NULL) {
        snprintf(full, n, "%s%s%s%s", query != NULL ? query : "",
                 query != NULL && escaped != NULL ? "&" : "",
                 escaped != NULL ? "pageToken=" : "",
                 escaped != NULL ? escaped : "");
    }
    free(escaped);
    return full;
}

int client_list_all(client *c, const char *path, const char *query,
                    const char *key, json_t **out)
{
    client_pages pages;
    json_t *all = json_array();
    json_t *page = NULL;
    char *full = NULL;
    int rc = CLI_OK;

    *out = NULL;
    client_pages_init(&pages, c);
    if (all == NULL) {
        return cli_fail("out of memory");
    }
    for (const char *token = NULL;;) {
        json_t *items;

        full = query != NULL || token != NULL ? page_query(c, query, token)
                                              : NULL;
        if ((query != NULL || token != NULL) && full == NULL) {
            rc = cli_fail("out of memory");
            break;
        }
        json_decref(page);      /* `token` pointed into it */
        page = NULL;
        rc = client_call(c, "GET", path, full, NULL, &page);
        free(full);
        full = NULL;
        if (rc != CLI_OK) {
            break;
        }
        items = json_object_get(page, key);
        if (items != NULL && json_array_extend(all, items) != 0) {
            rc = cli_fail("%s: the answer's '%s' is not a list", path, key);
            break;
        }
        rc = client_pages_next(&pages, page, json_array_size(items),
                               &token);
        if (rc != CLI_OK || token == NULL) {
            break;
        }
    }
    json_decref(page);
    client_pages_clear(&pages);
    if (rc != CLI_OK) {
        json_decref(all);
        return rc;
    }
    *out = all;
    return CLI_OK;
}
