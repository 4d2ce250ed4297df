/*
 * The HTTP client of the online commands: libcurl to vouchd, JSON bodies
 * through jansson, Google error bodies turned into "vouch: <message>"
 * (client.h has the contract).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "client.h"
#include "vutil_yaml.h"

#define ID_MAX 200

struct client {
    CURL *curl;
    char *base;             /* scheme://host[:port][/prefix], no final '/' */
    char *shown;            /* `base` without user:password@, for errors */
    char *token;            /* "Authorization: Bearer …"; never printed */
    long timeout;
    char errbuf[CURL_ERROR_SIZE];
};

typedef struct response {
    char *data;
    size_t len;
    size_t cap;
    int too_big;
} response;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *payload)
{
    response *r = payload;
    size_t n = size * nmemb;

    if (n > CLIENT_MAX_RESPONSE_BYTES - r->len) {
        r->too_big = 1;
        return 0;
    }
    if (r->len + n + 1 > r->cap) {
        size_t want = r->cap == 0 ? 16384 : r->cap;
        char *grown;

        while (want < r->len + n + 1) {
            want *= 2;
        }
        grown = realloc(r->data, want);
        if (grown == NULL) {
            return 0;
        }
        r->data = grown;
        r->cap = want;
    }
    memcpy(r->data + r->len, ptr, n);
    r->len += n;
    r->data[r->len] = '\0';
    return n;
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
    if (token != NULL && token[0] != '\0') {
        if (strpbrk(token, "\r\n") != NULL) {
            cli_fail("VOUCH_ACCESS_TOKEN: contains a line break");
            goto cleanup;
        }
        n = strlen(token) + sizeof("Authorization: Bearer ");
        c->token = malloc(n);
        if (c->token == NULL) {
            cli_fail("out of memory");
            goto cleanup;
        }
        snprintf(c->token, n, "Authorization: Bearer %s", token);
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
        memset(c->token, 0, strlen(c->token));
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
static int report_error(const client *c, long status, const response *r)
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
        char clean[1024];
        size_t k;

        /* The server's words, but no terminal control sequences. */
        for (k = 0; message[k] != '\0' && k < sizeof(clean) - 1; k++) {
            unsigned char ch = (unsigned char)message[k];

            clean[k] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
        }
        clean[k] = '\0';
        cli_fail("%s", clean);
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
    struct curl_slist *more;
    response r = {NULL, 0, 0, 0};
    char *url = NULL;
    char *text = NULL;
    json_error_t jerr;
    long status = 0;
    size_t n;
    CURLcode cc;
    int rc = CLI_USAGE;

    *out = NULL;
    n = strlen(c->base) + strlen(path) +
        (query != NULL ? strlen(query) + 1 : 0) + 1;
    url = malloc(n);
    if (url == NULL) {
        cli_fail("out of memory");
        goto cleanup;
    }
    snprintf(url, n, "%s%s%s%s", c->base, path, query != NULL ? "?" : "",
             query != NULL ? query : "");
    static const char *const fixed[] = {
        "Accept: application/json",
        "Content-Type: application/json",
        "Expect:",
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        more = curl_slist_append(headers, fixed[i]);
        if (more == NULL) {
            cli_fail("out of memory");
            goto cleanup;
        }
        headers = more;
    }
    if (c->token != NULL) {
        more = curl_slist_append(headers, c->token);
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
    cc = curl_easy_perform(c->curl);
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
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        rc = report_error(c, status, &r);
        goto cleanup;
    }
    if (r.len == 0) {
        *out = json_object();
    } else {
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

static bool valid_segment(const char *s, size_t len)
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
        if (slash == NULL || !valid_segment(p, (size_t)(slash - p)) ||
            strncmp(slash + 1, collection, clen) != 0 ||
            slash[1 + clen] != '/' ||
            !valid_segment(slash + 2 + clen, strlen(slash + 2 + clen))) {
            goto bad;
        }
        if ((size_t)snprintf(buf, size, "%s", arg) >= size) {
            goto bad;
        }
        return CLI_OK;
    }
    if (!valid_segment(arg, strlen(arg))) {
        return cli_fail("%s: '%s' is not a valid id: use 1 to %d of "
                        "A-Z a-z 0-9 - _ . ~", what, arg, ID_MAX);
    }
    if (g->project == NULL || g->project[0] == '\0') {
        return cli_fail("%s: the short id '%s' needs --project (or "
                        "VOUCH_PROJECT), or give the full name "
                        "projects/PROJECT/%s/%s", what, arg, collection,
                        arg);
    }
    if (!valid_segment(g->project, strlen(g->project))) {
        return cli_fail("--project: '%s' is not a valid project id",
                        g->project);
    }
    snprintf(buf, size, "projects/%s/%s/%s", g->project, collection, arg);
    return CLI_OK;

bad:
    return cli_fail("%s: '%s' is neither an id nor a name of the form "
                    "projects/PROJECT/%s/ID", what, arg, collection);
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
    if (!valid_segment(p, (size_t)(slash - p)) ||
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

/*
 * YAML for resources libvouch has no model of (notes, lists, operations):
 * the util layer's printer with its simple quoting (vutil_yaml.h): a
 * string is plain only when obviously one, otherwise a JSON string
 * literal. Keys are sorted, as gcloud prints them.
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
        rc = cli_write(json, strlen(json));
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

int client_list_all(client *c, const char *path, const char *query,
                    const char *key, json_t **out)
{
    json_t *all = json_array();
    char *token = NULL;
    int rc = CLI_OK;

    *out = NULL;
    if (all == NULL) {
        return cli_fail("out of memory");
    }
    for (int pages = 0; pages < 100000; pages++) {
        json_t *page = NULL;
        char *full = NULL;
        const char *next;

        if (token != NULL || query != NULL) {
            char *escaped = token != NULL ? client_escape(c, token) : NULL;
            size_t n = (query != NULL ? strlen(query) : 0) +
                       (escaped != NULL ? strlen(escaped) : 0) +
                       sizeof("&pageToken=");

            full = (token == NULL || escaped != NULL) ? malloc(n) : NULL;
            if (full == NULL) {
                free(escaped);
                rc = cli_fail("out of memory");
                break;
            }
            snprintf(full, n, "%s%s%s%s", query != NULL ? query : "",
                     query != NULL && escaped != NULL ? "&" : "",
                     escaped != NULL ? "pageToken=" : "",
                     escaped != NULL ? escaped : "");
            free(escaped);
        }
        rc = client_call(c, "GET", path, full, NULL, &page);
        free(full);
        if (rc != CLI_OK) {
            break;
        }
        if (json_object_get(page, key) != NULL &&
            json_array_extend(all, json_object_get(page, key)) != 0) {
            json_decref(page);
            rc = cli_fail("%s: the answer's '%s' is not a list", path, key);
            break;
        }
        next = json_string_value(json_object_get(page, "nextPageToken"));
        free(token);
        token = next != NULL && next[0] != '\0' ? strdup(next) : NULL;
        json_decref(page);
        if (token == NULL) {
            break;
        }
    }
    free(token);
    if (rc != CLI_OK) {
        json_decref(all);
        return rc;
    }
    *out = all;
    return CLI_OK;
}
