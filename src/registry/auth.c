/*
 * Authentication for the registry client: the untrusted inputs (the
 * WWW-Authenticate challenge a registry sends, the token server's answer,
 * the credentials file) and the bearer-token dance. No message written
 * here contains a secret.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "vutil_error.h"
#include "vutil_str.h"
#include "registry.h"
#include "registry_internal.h"

#define PARAM_MAX_BYTES 2048u
#define TOKEN_MAX_CHARS 8192u
#define DEFAULT_EXPIRES_IN 60L

/* ---- WWW-Authenticate (RFC 7235 section 2.1, RFC 9110 section 11) ---- */

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c != '\0' &&
           strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void skip_ows(const char *data, size_t len, size_t *i)
{
    while (*i < len && (data[*i] == ' ' || data[*i] == '\t')) {
        (*i)++;
    }
}

static int challenge_fail(vouch_error *err, size_t pos, const char *what)
{
    return vutil_error_set(err, VOUCH_EPARSE, "WWW-Authenticate", 1,
                           (int)pos + 1, "%s", what);
}

/* Read a token or a quoted-string at *i into a malloc'd string. */
static int read_value(const char *data, size_t len, size_t *i, char **out,
                      vouch_error *err)
{
    size_t start = *i;
    char *buf = NULL;
    size_t n = 0;

    *out = NULL;
    if (*i < len && data[*i] == '"') {
        (*i)++;
        buf = malloc(len - *i + 1);
        if (buf == NULL) {
            return VOUCH_ENOMEM;
        }
        while (*i < len && data[*i] != '"') {
            unsigned char c = (unsigned char)data[*i];
            if (c == '\\') {
                (*i)++;
                if (*i >= len) {
                    break;
                }
                c = (unsigned char)data[*i];
            }
            if (c < 0x20 || c == 0x7f) {
                free(buf);
                return challenge_fail(err, *i, "control character in a "
                                      "quoted parameter value");
            }
            buf[n++] = (char)c;
            (*i)++;
        }
        if (*i >= len) {
            free(buf);
            return challenge_fail(err, start, "unterminated quoted "
                                  "parameter value");
        }
        (*i)++; /* closing quote */
        buf[n] = '\0';
    } else {
        while (*i < len && (is_tchar((unsigned char)data[*i]) ||
                            data[*i] == '/' || data[*i] == ':')) {
            (*i)++;
        }
        if (*i == start) {
            return challenge_fail(err, start, "expected a parameter value "
                                  "(token or quoted string)");
        }
        buf = vutil_strndup(data + start, *i - start);
        if (buf == NULL) {
            return VOUCH_ENOMEM;
        }
        n = *i - start;
    }
    if (n > PARAM_MAX_BYTES) {
        free(buf);
        return vutil_error_set(err, VOUCH_ETOOBIG, "WWW-Authenticate", 1,
                               (int)start + 1, "parameter value longer "
                               "than %u bytes", PARAM_MAX_BYTES);
    }
    *out = buf;
    return 0;
}

void vouch__auth_challenge_clear(vouch__auth_challenge *c)
{
    free(c->realm);
    free(c->service);
    free(c->scope);
    memset(c, 0, sizeof(*c));
}

int vouch__auth_challenge_parse(vouch__auth_challenge *out, const char *data,
                                size_t len, vouch_error *err)
{
    size_t i = 0;
    size_t start;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (len > VOUCH_REGISTRY_CHALLENGE_MAX_BYTES) {
        return vutil_error_set(err, VOUCH_ETOOBIG, "WWW-Authenticate", 0, 0,
                               "challenge of %zu bytes is over the limit "
                               "of %u", len,
                               VOUCH_REGISTRY_CHALLENGE_MAX_BYTES);
    }
    skip_ows(data, len, &i);
    start = i;
    while (i < len && is_tchar((unsigned char)data[i])) {
        i++;
    }
    if (i == start) {
        return challenge_fail(err, i, "expected an authentication scheme "
                              "(Basic or Bearer)");
    }
    if (vutil_slice_eq(data + start, i - start, "Basic") ||
        vutil_slice_eq(data + start, i - start, "basic") ||
        vutil_slice_eq(data + start, i - start, "BASIC")) {
        out->scheme = VOUCH__AUTH_BASIC;
    } else if (vutil_slice_eq(data + start, i - start, "Bearer") ||
               vutil_slice_eq(data + start, i - start, "bearer") ||
               vutil_slice_eq(data + start, i - start, "BEARER")) {
        out->scheme = VOUCH__AUTH_BEARER;
    } else {
        out->scheme = VOUCH__AUTH_OTHER;
    }
    if (i < len && data[i] != ' ' && data[i] != '\t' && data[i] != ',') {
        return challenge_fail(err, i, "expected a space after the "
                              "authentication scheme");
    }
    for (;;) {
        size_t name_start;
        size_t name_len;
        char *value = NULL;
        char **slot = NULL;

        skip_ows(data, len, &i);
        while (i < len && data[i] == ',') {
            i++;
            skip_ows(data, len, &i);
        }
        if (i >= len) {
            break;
        }
        name_start = i;
        while (i < len && is_tchar((unsigned char)data[i])) {
            i++;
        }
        name_len = i - name_start;
        if (name_len == 0) {
            rc = challenge_fail(err, i, "expected a parameter name");
            goto cleanup;
        }
        skip_ows(data, len, &i);
        if (i >= len || data[i] != '=') {
            /* a second challenge begins here: only the first is used */
            break;
        }
        i++;
        skip_ows(data, len, &i);
        rc = read_value(data, len, &i, &value, err);
        if (rc < 0) {
            goto cleanup;
        }
        if (vutil_slice_eq(data + name_start, name_len, "realm")) {
            slot = &out->realm;
        } else if (vutil_slice_eq(data + name_start, name_len, "service")) {
            slot = &out->service;
        } else if (vutil_slice_eq(data + name_start, name_len, "scope")) {
            slot = &out->scope;
        }
        if (slot != NULL && *slot != NULL) {
            free(value);
            rc = challenge_fail(err, name_start, "parameter given twice");
            goto cleanup;
        }
        if (slot != NULL) {
            *slot = value;
        } else {
            free(value);
        }
        skip_ows(data, len, &i);
        if (i < len && data[i] != ',') {
            rc = challenge_fail(err, i, "expected ',' between parameters");
            goto cleanup;
        }
    }

cleanup:
    if (rc < 0) {
        vouch__auth_challenge_clear(out);
    }
    return rc;
}

/* ---- credentials file ---- */

static void wipe_free(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void vouch__credentials_free(vouch__credentials *creds)
{
    if (creds == NULL) {
        return;
    }
    for (size_t i = 0; i < creds->count; i++) {
        free(creds->items[i].registry);
        wipe_free(creds->items[i].username);
        wipe_free(creds->items[i].password);
    }
    free(creds->items);
    free(creds);
}

/* "https://index.docker.io/v1/" -> "docker.io"; "Host:5000/" ->
 * "host:5000". NULL when nothing is left. */
static char *normalise_key(const char *key)
{
    const char *p = key;
    size_t n;
    char *out;

    if (strncmp(p, "https://", 8) == 0) {
        p += 8;
    } else if (strncmp(p, "http://", 7) == 0) {
        p += 7;
    }
    n = strcspn(p, "/");
    if (n == 0) {
        return NULL;
    }
    out = vutil_strndup(p, n);
    if (out == NULL) {
        return NULL;
    }
    for (char *c = out; *c; c++) {
        if (*c >= 'A' && *c <= 'Z') {
            *c = (char)(*c - 'A' + 'a');
        }
    }
    if (strcmp(out, "index.docker.io") == 0 ||
        strcmp(out, "registry-1.docker.io") == 0) {
        free(out);
        out = vutil_strdup("docker.io");
    }
    return out;
}

static int credential_from_json(vouch__credential *cred, const char *key,
                                json_t *entry, const char *source,
                                vouch_error *err)
{
    json_t *auth = json_object_get(entry, "auth");
    json_t *user = json_object_get(entry, "username");
    json_t *pass = json_object_get(entry, "password");
    unsigned char *decoded = NULL;
    size_t decoded_len = 0;
    int rc = 0;

    if (!json_is_object(entry)) {
        return vutil_error_set(err, VOUCH_EINVAL, source, 0, 0,
                               "auths.\"%s\" must be an object", key);
    }
    cred->registry = normalise_key(key);
    if (cred->registry == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, source, 0, 0,
                               "auths.\"%s\": not a registry host", key);
    }
    if (user != NULL || pass != NULL) {
        if (!json_is_string(user) || !json_is_string(pass)) {
            return vutil_error_set(err, VOUCH_EINVAL, source, 0, 0,
                                   "auths.\"%s\": username and password "
                                   "must both be strings", key);
        }
        cred->username = vutil_strndup(json_string_value(user),
                                         json_string_length(user));
        cred->password = vutil_strndup(json_string_value(pass),
                                         json_string_length(pass));
    } else if (json_is_string(auth)) {
        const char *colon;
        if (vutil_base64_decode(json_string_value(auth),
                                json_string_length(auth), &decoded,
                                &decoded_len) < 0) {
            return vutil_error_set(err, VOUCH_EINVAL, source, 0, 0,
                                   "auths.\"%s\".auth is not base64",
                                   key);
        }
        colon = memchr(decoded, ':', decoded_len);
        if (colon == NULL) {
            rc = vutil_error_set(err, VOUCH_EINVAL, source, 0, 0,
                                 "auths.\"%s\".auth must decode to "
                                 "\"username:password\"", key);
            goto cleanup;
        }
        cred->username = vutil_strndup((const char *)decoded,
                                         (size_t)(colon -
                                                  (const char *)decoded));
        cred->password = vutil_strndup(colon + 1, decoded_len -
                                         (size_t)(colon -
                                                  (const char *)decoded) -
                                         1);
    } else {
        return vutil_error_set(err, VOUCH_EINVAL, source, 0, 0,
                               "auths.\"%s\" needs \"username\" and "
                               "\"password\", or \"auth\"", key);
    }
    if (cred->username == NULL || cred->password == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    if ((decoded != NULL && memchr(decoded, '\0', decoded_len) != NULL) ||
        cred->username[0] == '\0' || strchr(cred->username, ':') != NULL) {
        rc = vutil_error_set(err, VOUCH_EINVAL, source, 0, 0,
                             "auths.\"%s\": the username must be non-empty "
                             "and neither part may contain ':' (username) "
                             "or NUL", key);
        goto cleanup;
    }

cleanup:
    if (decoded != NULL) {
        OPENSSL_cleanse(decoded, decoded_len);
        free(decoded);
    }
    return rc;
}

int vouch__credentials_parse(vouch__credentials **out, const char *data,
                             size_t len, const char *source,
                             vouch_error *err)
{
    vouch__credentials *creds = NULL;
    json_t *root = NULL;
    json_t *auths;
    json_error_t jerr;
    const char *key;
    json_t *entry;
    int rc = 0;

    *out = NULL;
    if (len > VOUCH_REGISTRY_CREDENTIALS_MAX_BYTES) {
        return vutil_error_set(err, VOUCH_ETOOBIG, source, 0, 0,
                               "credentials of %zu bytes are over the "
                               "limit of %u", len,
                               VOUCH_REGISTRY_CREDENTIALS_MAX_BYTES);
    }
    root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return vutil_error_set(err, VOUCH_EPARSE, source, jerr.line,
                               jerr.column, "%s", jerr.text);
    }
    auths = json_object_get(root, "auths");
    if (!json_is_object(root) || !json_is_object(auths)) {
        rc = vutil_error_set(err, VOUCH_EINVAL, source, 0, 0,
                             "expected {\"auths\": {\"HOST\": {...}}}");
        goto cleanup;
    }
    creds = calloc(1, sizeof(*creds));
    if (creds == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    if (json_object_size(auths) > 0) {
        creds->items = calloc(json_object_size(auths),
                              sizeof(*creds->items));
        if (creds->items == NULL) {
            rc = VOUCH_ENOMEM;
            goto cleanup;
        }
    }
    json_object_foreach(auths, key, entry) {
        vouch__credential *cred = &creds->items[creds->count++];
        rc = credential_from_json(cred, key, entry, source, err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    *out = creds;
    creds = NULL;

cleanup:
    vouch__credentials_free(creds);
    json_decref(root);
    return rc;
}

const vouch__credential *vouch__credentials_find(
    const vouch__credentials *creds, const char *registry)
{
    if (creds == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < creds->count; i++) {
        if (strcmp(creds->items[i].registry, registry) == 0) {
            return &creds->items[i];
        }
    }
    return NULL;
}

/* ---- token server answer ---- */

int vouch__token_parse(const char *data, size_t len, char **token_out,
                       long *expires_in_out, vouch_error *err)
{
    json_t *root = NULL;
    json_t *tok;
    json_t *exp;
    json_error_t jerr;
    const char *t;
    size_t tlen;
    int rc = 0;

    *token_out = NULL;
    *expires_in_out = DEFAULT_EXPIRES_IN;
    if (len > VOUCH_REGISTRY_TOKEN_MAX_BYTES) {
        return vutil_error_set(err, VOUCH_ETOOBIG, "token response", 0, 0,
                               "token response of %zu bytes is over the "
                               "limit of %u", len,
                               VOUCH_REGISTRY_TOKEN_MAX_BYTES);
    }
    root = json_loadb(data, len, 0, &jerr);
    if (root == NULL) {
        return vutil_error_set(err, VOUCH_EPARSE, "token response",
                               jerr.line, jerr.column, "%s", jerr.text);
    }
    tok = json_object_get(root, "token");
    if (!json_is_string(tok) || json_string_length(tok) == 0) {
        tok = json_object_get(root, "access_token");
    }
    if (!json_is_string(tok) || json_string_length(tok) == 0) {
        rc = vutil_error_set(err, VOUCH_EINVAL, "token response", 0, 0,
                             "no \"token\" or \"access_token\" string");
        goto cleanup;
    }
    t = json_string_value(tok);
    tlen = json_string_length(tok);
    if (tlen > TOKEN_MAX_CHARS) {
        rc = vutil_error_set(err, VOUCH_ETOOBIG, "token response", 0, 0,
                             "token longer than %u characters",
                             TOKEN_MAX_CHARS);
        goto cleanup;
    }
    for (size_t i = 0; i < tlen; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c <= 0x20 || c >= 0x7f) {
            rc = vutil_error_set(err, VOUCH_EINVAL, "token response", 0, 0,
                                 "the token holds a character that cannot "
                                 "go into an HTTP header (offset %zu)", i);
            goto cleanup;
        }
    }
    exp = json_object_get(root, "expires_in");
    if (exp != NULL) {
        if (!json_is_integer(exp) || json_integer_value(exp) < 1) {
            rc = vutil_error_set(err, VOUCH_EINVAL, "token response", 0, 0,
                                 "\"expires_in\" must be a positive "
                                 "integer (seconds)");
            goto cleanup;
        }
        *expires_in_out = json_integer_value(exp) > 86400 * 365
                              ? 86400L * 365
                              : (long)json_integer_value(exp);
    }
    *token_out = vutil_strndup(t, tlen);
    if (*token_out == NULL) {
        rc = VOUCH_ENOMEM;
    }

cleanup:
    json_decref(root);
    return rc;
}

/* ---- bearer tokens ---- */

/* Where a realm points: enough to judge it and to name it. */
typedef struct realm {
    bool https;
    char host[VOUCH__HOST_MAX + 3];
    long port;                  /* explicit, or the scheme's default */
    char authority[VOUCH__HOST_MAX + 10]; /* "host[:port]" as written */
    char *url;                  /* with scope and service; curl_free */
} realm;

/* Parse the realm and add the query. 0; VOUCH_EIO (not an http(s) URL);
 * VOUCH_ENOMEM. */
static int realm_read(vouch__resolve_ctx *ctx, const vouch__auth_challenge *ch,
                      realm *r, vouch_error *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    char *host = NULL;
    char *port = NULL;
    char *explicit_port = NULL;
    char *query = NULL;
    int rc = 0;

    memset(r, 0, sizeof(*r));
    if (u == NULL) {
        return VOUCH_ENOMEM;
    }
    if (curl_url_set(u, CURLUPART_URL, ch->realm, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
            CURLUE_OK ||
        strlen(host) >= sizeof(r->host) ||
        (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)) {
        rc = vutil_error_set(err, VOUCH_EIO, ctx->image, 0, 0,
                             "registry %s named a token realm that is not "
                             "an http(s) URL", ctx->registry);
        goto cleanup;
    }
    r->https = strcmp(scheme, "https") == 0;
    snprintf(r->host, sizeof(r->host), "%s", host);
    r->port = strtol(port, NULL, 10);
    if (curl_url_get(u, CURLUPART_PORT, &explicit_port, 0) == CURLUE_OK) {
        snprintf(r->authority, sizeof(r->authority), "%s:%s", host,
                 explicit_port);
    } else {
        snprintf(r->authority, sizeof(r->authority), "%s", host);
    }
    /* scope=repository:<path>:pull[&service=<service>] */
    size_t qlen = strlen(ctx->path) + 32 +
                  (ch->service != NULL ? strlen(ch->service) : 0);
    query = malloc(qlen);
    if (query == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    snprintf(query, qlen, "scope=repository:%s:pull", ctx->path);
    if (curl_url_set(u, CURLUPART_QUERY, query,
                     CURLU_APPENDQUERY | CURLU_URLENCODE) != CURLUE_OK) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    if (ch->service != NULL) {
        snprintf(query, qlen, "service=%s", ch->service);
        if (curl_url_set(u, CURLUPART_QUERY, query,
                         CURLU_APPENDQUERY | CURLU_URLENCODE) != CURLUE_OK) {
            rc = VOUCH_ENOMEM;
            goto cleanup;
        }
    }
    if (curl_url_get(u, CURLUPART_URL, &r->url, 0) != CURLUE_OK) {
        rc = VOUCH_ENOMEM;
    }

cleanup:
    free(query);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(explicit_port);
    curl_url_cleanup(u);
    return rc;
}

/*
 * Is the realm the registry itself (same scheme, host and port)? Basic
 * credentials configured for a registry may go there over plain http too:
 * the registry is already trusted with them.
 */
static bool realm_is_registry(const vouch__resolve_ctx *ctx, const realm *r)
{
    char host[VOUCH__HOST_MAX + 1];
    char realm_host[VOUCH__HOST_MAX + 1];
    long port = 0;
    long realm_port = 0;
    const char *endpoint = vouch__registry_endpoint(ctx->registry);
    bool https = strcmp(ctx->scheme, "https") == 0;

    if (vouch__host_split(endpoint, strlen(endpoint), host, sizeof(host),
                          &port) < 0 ||
        vouch__host_split(r->host, strlen(r->host), realm_host,
                          sizeof(realm_host), &realm_port) < 0) {
        return false;
    }
    if (port == 0) {
        port = https ? 443 : 80;
    }
    return https == r->https && port == r->port &&
           strcmp(host, realm_host) == 0;
}

int vouch__registry_token_fetch(vouch__resolve_ctx *ctx,
                                const vouch__auth_challenge *ch,
                                vouch_error *err)
{
    vouch_registry *reg = ctx->reg;
    realm r;
    char *token = NULL;
    char peer[VOUCH__HOST_MAX + 24];
    vouch__http_response resp = { 0 };
    vouch__http_auth auth = { NULL, NULL };
    long expires_in = 0;
    int rc = 0;

    if (ch->realm == NULL || ch->realm[0] == '\0') {
        return vutil_error_set(err, VOUCH_EIO, ctx->image, 0, 0,
                               "registry %s asked for a bearer token but "
                               "named no realm", ctx->registry);
    }
    rc = realm_read(ctx, ch, &r, err);
    if (rc < 0) {
        goto cleanup;
    }
    snprintf(peer, sizeof(peer), "token server %s", r.authority);
    if (!r.https && !vouch__host_rules_match(reg->insecure, r.host, r.port)) {
        rc = vutil_error_set(err, VOUCH_EINVAL, ctx->image, 0, 0,
                             "registry %s named a token realm on %s over "
                             "http: only https is allowed for a host not "
                             "listed with --registry-insecure",
                             ctx->registry, r.authority);
        goto cleanup;
    }
    /* Docker sends the registry's credentials to any realm; vouch only
     * over https, or back to the registry itself (docs/registry.md) */
    if (r.https || realm_is_registry(ctx, &r)) {
        auth.basic = ctx->cred;
    } else if (ctx->cred != NULL) {
        vouch__registry_log(reg, "registry %s: token realm %s is plain http "
                            "on another host or port: no credentials sent",
                            ctx->registry, r.authority);
    }
    rc = vouch__http_exchange(ctx, r.url, false, &auth,
                              VOUCH_REGISTRY_TOKEN_MAX_BYTES, peer, &resp,
                              err);
    if (rc < 0) {
        goto cleanup;
    }
    if (resp.status != 200) {
        const char *code = vouch__registry_error_code(resp.body.data,
                                                      resp.body.len);
        rc = vutil_error_set(err, VOUCH_EIO, ctx->image, 0, 0,
                             "%s answered %ld%s%s for a pull token for %s "
                             "on registry %s%s", peer, resp.status,
                             code != NULL ? " " : "",
                             code != NULL ? code : "", ctx->path,
                             ctx->registry,
                             auth.basic == NULL
                                  ? " (no credentials sent)" : "");
        goto cleanup;
    }
    rc = vouch__token_parse(resp.body.data, resp.body.len, &token, &expires_in,
                            err);
    if (rc < 0) {
        vutil_error_prefix(err, "%s for registry %s", peer, ctx->registry);
        vouch__registry_set_source(err, ctx->image);
        goto cleanup;
    }
    /* keep a margin so a token is not used in its last seconds */
    if (expires_in > 10) {
        expires_in -= expires_in > 60 ? 10 : 2;
    }
    rc = vouch__registry_cache_put(reg->tokens, ctx->token_key, token,
                                   vouch__registry_now_ms(),
                                   vouch__registry_now_ms() +
                                       expires_in * 1000);
    if (rc < 0) {
        goto cleanup;
    }
    wipe_free(ctx->token);
    ctx->token = token;
    token = NULL;

cleanup:
    if (resp.body.data != NULL) {
        OPENSSL_cleanse(resp.body.data, resp.body.len);
    }
    vouch__http_response_clear(&resp);
    wipe_free(token);
    curl_free(r.url);
    return rc;
}
