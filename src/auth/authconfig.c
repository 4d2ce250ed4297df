/*
 * The auth config (authconfig.h): parsing through the position-keeping
 * document layer of libvouch (src/engine/doc.h), so that every mistake is
 * reported as SOURCE:LINE:COL with its field path, and the read-only
 * accessors. Loading from a file is in authconfig_load.c, the slot in
 * authslot.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth_internal.h"
#include "vutil_doc.h"
#include "member.h"

#define ISSUER_MAX_BYTES 1024u
#define AUDIENCE_MAX_BYTES 1024u
#define PATH_MAX_BYTES 4096u

typedef struct parse_ctx {
    vutil_doc doc;
    vouch_auth_config *cfg;
    vouch_error *err;
} parse_ctx;

static const char *const top_fields[] = { "tokens", "oidc", "groups",
                                          "owners", NULL };
static const char *const token_fields[] = { "principal", "sha256", NULL };
static const char *const oidc_fields[] = { "issuer", "audience", "jwks",
                                           NULL };
static const char *const jwks_fields[] = { "url", "ca", NULL };

/* ---- small helpers ------------------------------------------------- */

static int fail(parse_ctx *ctx, vutil_node *node, const vutil_path *path,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(parse_ctx *ctx, vutil_node *node, const vutil_path *path,
                const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return vutil_doc_fail(&ctx->doc, node, path, ctx->err, VOUCH_EINVAL,
                          "%s", msg);
}

static int oom(parse_ctx *ctx)
{
    return vutil_error_set(ctx->err, VOUCH_ENOMEM, ctx->doc.source, 0, 0,
                           "out of memory reading the auth config");
}

/* A required field of mapping `node`: missing fails at the mapping. */
static int required(parse_ctx *ctx, vutil_node *node,
                    const vutil_path *path, const char *key,
                    vutil_node **out)
{
    *out = vutil_doc_get(&ctx->doc, node, key);
    if (*out == NULL) {
        return fail(ctx, node, path, "%s is required", key);
    }
    return 0;
}

/* Line and column of `node` (the document layer's notion of it). */
static void node_position(parse_ctx *ctx, vutil_node *node,
                          uint32_t *line, uint32_t *column)
{
    vouch_error scratch = VOUCH_ERROR_INIT;

    vutil_doc_fail(&ctx->doc, node, NULL, &scratch, VOUCH_EINVAL, "-");
    *line = scratch.line;
    *column = scratch.column;
}

/* A member of the kinds `allowed`, normalised, into `*out`. */
static int member_field(parse_ctx *ctx, vutil_node *node,
                        const vutil_path *path, unsigned allowed,
                        char **out)
{
    const char *s = NULL;
    size_t n = 0;
    char why[256];
    int rc;

    rc = vutil_doc_string(&ctx->doc, node, path, &s, &n, ctx->err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch__member_parse(s, n, allowed, out, NULL, why, sizeof(why));
    if (rc == VOUCH_ENOMEM) {
        return oom(ctx);
    }
    if (rc < 0) {
        return fail(ctx, node, path, "%s", why);
    }
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static bool no_space(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] == 0x7f) {
            return false;
        }
    }
    return true;
}

/* ---- tokens ---------------------------------------------------------- */

static int parse_sha256(parse_ctx *ctx, vutil_node *node,
                        const vutil_path *path, unsigned char *out)
{
    const char *s = NULL;
    size_t n = 0;
    size_t i;
    int rc;

    rc = vutil_doc_string(&ctx->doc, node, path, &s, &n, ctx->err);
    if (rc < 0) {
        return rc;
    }
    if (n != 2 * VOUCH_SHA256_BYTES) {
        return fail(ctx, node, path,
                    "expected 64 hex digits (the SHA-256 of the token), "
                    "found %zu characters", n);
    }
    for (i = 0; i < VOUCH_SHA256_BYTES; i++) {
        int hi = hex_value(s[2 * i]);
        int lo = hex_value(s[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            return fail(ctx, node, path,
                        "expected 64 hex digits (the SHA-256 of the "
                        "token); character %zu is not hex",
                        2 * i + (hi < 0 ? 1 : 2));
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

static int parse_token(parse_ctx *ctx, vutil_node *item,
                       vutil_path *path, void *items, size_t index)
{
    vouch__auth_token *tok = (vouch__auth_token *)items + index;
    vutil_node *node = NULL;
    size_t saved;
    size_t i;
    int rc;

    rc = vutil_doc_expect_mapping(&ctx->doc, item, path, token_fields,
                                  ctx->err);
    if (rc < 0) {
        return rc;
    }
    rc = required(ctx, item, path, "principal", &node);
    if (rc < 0) {
        return rc;
    }
    saved = vutil_path_push_key(path, "principal");
    rc = member_field(ctx, node, path, VOUCH_MEMBERS_IDENTITIES,
                      &tok->principal);
    vutil_path_pop(path, saved);
    if (rc < 0) {
        return rc;
    }
    rc = required(ctx, item, path, "sha256", &node);
    if (rc < 0) {
        return rc;
    }
    saved = vutil_path_push_key(path, "sha256");
    rc = parse_sha256(ctx, node, path, tok->sha256);
    const vouch__auth_token *tokens = items;
    for (i = 0; rc == 0 && i < index; i++) {
        if (memcmp(tokens[i].sha256, tok->sha256,
                   VOUCH_SHA256_BYTES) == 0) {
            rc = fail(ctx, node, path, "the same token hash as tokens[%zu]",
                      i);
        }
    }
    vutil_path_pop(path, saved);
    return rc;
}

/* ---- oidc ------------------------------------------------------------ */

/* A URL string of at most `max` bytes without spaces (`what` it is). */
static int url_field(parse_ctx *ctx, vutil_node *node, const vutil_path *path,
                     size_t max, const char *what, const char **s, size_t *n)
{
    int rc = vutil_doc_string(&ctx->doc, node, path, s, n, ctx->err);

    if (rc == 0 && (*n > max || !no_space(*s, *n))) {
        rc = fail(ctx, node, path, "expected %s without spaces", what);
    }
    return rc;
}

/* The host[:port] of an https:// URL (`s`, `n` bytes), or NULL. */
static char *https_host(const char *s, size_t n, bool *oom_out)
{
    const char *p = s + strlen("https://");
    size_t rest;
    size_t h = 0;
    char *host;

    *oom_out = false;
    if (n <= strlen("https://") || strncmp(s, "https://", 8) != 0) {
        return NULL;
    }
    rest = n - strlen("https://");
    while (h < rest && p[h] != '/' && p[h] != '?' && p[h] != '#') {
        h++;
    }
    if (!vouch__host_valid(p, h)) {
        return NULL;
    }
    host = vutil_strndup(p, h);
    if (host == NULL) {
        *oom_out = true;
        return NULL;
    }
    for (size_t i = 0; i < h; i++) {
        if (host[i] >= 'A' && host[i] <= 'Z') {
            host[i] = (char)(host[i] - 'A' + 'a');
        }
    }
    return host;
}

static int parse_jwks_url(parse_ctx *ctx, vutil_node *node,
                          const vutil_path *path, vouch__auth_issuer *iss)
{
    const char *s = NULL;
    size_t n = 0;
    bool no_mem = false;
    char *host;
    int rc;

    rc = url_field(ctx, node, path, PATH_MAX_BYTES,
                   "a file:///PATH or https:// URL", &s, &n);
    if (rc < 0) {
        return rc;
    }
    if (n >= 7 && strncmp(s, "http://", 7) == 0) {
        return fail(ctx, node, path,
                    "plain http is refused: serve the JWKS over https "
                    "(with \"ca\" for a private CA) or use file://");
    }
    if (n >= 8 && strncmp(s, "file:///", 8) == 0) {
        iss->jwks_url = vutil_strndup(s, n);
        return iss->jwks_url == NULL ? oom(ctx) : 0;
    }
    if (n >= 7 && strncmp(s, "file://", 7) == 0) {
        return fail(ctx, node, path, "a file:// JWKS needs an absolute "
                    "path: file:///PATH");
    }
    host = https_host(s, n, &no_mem);
    if (host == NULL) {
        return no_mem ? oom(ctx)
                      : fail(ctx, node, path, "expected a file:///PATH or "
                             "https://HOST/… URL");
    }
    free(host);
    iss->jwks_url = vutil_strndup(s, n);
    return iss->jwks_url == NULL ? oom(ctx) : 0;
}

static int parse_jwks(parse_ctx *ctx, vutil_node *node,
                      vutil_path *path, vouch__auth_issuer *iss)
{
    vutil_node *url = NULL;
    vutil_node *ca;
    size_t saved;
    int rc;

    node_position(ctx, node, &iss->jwks_line, &iss->jwks_column);
    if (!vutil_doc_is_mapping(&ctx->doc, node)) {
        return parse_jwks_url(ctx, node, path, iss);
    }
    rc = vutil_doc_expect_mapping(&ctx->doc, node, path, jwks_fields,
                                  ctx->err);
    if (rc == 0) {
        rc = required(ctx, node, path, "url", &url);
    }
    if (rc < 0) {
        return rc;
    }
    saved = vutil_path_push_key(path, "url");
    rc = parse_jwks_url(ctx, url, path, iss);
    vutil_path_pop(path, saved);
    ca = vutil_doc_get(&ctx->doc, node, "ca");
    if (rc < 0 || ca == NULL) {
        return rc;
    }
    saved = vutil_path_push_key(path, "ca");
    rc = vutil_doc_string_dup(&ctx->doc, ca, path, &iss->ca_file, ctx->err);
    if (rc == 0 && strncmp(iss->jwks_url, "https://", 8) != 0) {
        rc = fail(ctx, ca, path, "\"ca\" only applies to an https:// JWKS");
    } else if (rc == 0 && (iss->ca_file[0] != '/' ||
                           strlen(iss->ca_file) > PATH_MAX_BYTES)) {
        rc = fail(ctx, ca, path, "expected an absolute path to a PEM file");
    }
    vutil_path_pop(path, saved);
    return rc;
}

static int parse_issuer_name(parse_ctx *ctx, vutil_node *node,
                             const vutil_path *path,
                             vouch__auth_issuer *issuers, size_t index)
{
    vouch__auth_issuer *iss = &issuers[index];
    const char *s = NULL;
    size_t n = 0;
    bool no_mem = false;
    size_t i;
    int rc;

    rc = url_field(ctx, node, path, ISSUER_MAX_BYTES, "an https:// URL", &s,
                   &n);
    if (rc < 0) {
        return rc;
    }
    iss->host = https_host(s, n, &no_mem);
    if (iss->host == NULL) {
        return no_mem ? oom(ctx)
                      : fail(ctx, node, path, "expected an https://HOST URL "
                             "(the \"iss\" of the issuer's tokens)");
    }
    iss->issuer = vutil_strndup(s, n);
    if (iss->issuer == NULL) {
        return oom(ctx);
    }
    for (i = 0; i < index; i++) {
        if (strcmp(issuers[i].issuer, iss->issuer) == 0) {
            return fail(ctx, node, path, "duplicate issuer: oidc[%zu] has "
                        "the same issuer", i);
        }
        if (strcmp(issuers[i].host, iss->host) == 0) {
            return fail(ctx, node, path, "oidc[%zu] has an issuer on the "
                        "same host %s; their principal://%s/subject/… "
                        "identities would be the same", i, iss->host,
                        iss->host);
        }
    }
    return 0;
}

static int parse_issuer(parse_ctx *ctx, vutil_node *item,
                        vutil_path *path, void *items, size_t index)
{
    vouch__auth_issuer *iss = (vouch__auth_issuer *)items + index;
    vutil_node *issuer = NULL;
    vutil_node *audience = NULL;
    vutil_node *jwks = NULL;
    size_t saved;
    int rc;

    rc = vutil_doc_expect_mapping(&ctx->doc, item, path, oidc_fields,
                                  ctx->err);
    if (rc == 0) {
        rc = required(ctx, item, path, "issuer", &issuer);
    }
    if (rc == 0) {
        rc = required(ctx, item, path, "audience", &audience);
    }
    if (rc == 0) {
        rc = required(ctx, item, path, "jwks", &jwks);
    }
    if (rc < 0) {
        return rc;
    }
    saved = vutil_path_push_key(path, "issuer");
    rc = parse_issuer_name(ctx, issuer, path, items, index);
    vutil_path_pop(path, saved);
    if (rc < 0) {
        return rc;
    }
    saved = vutil_path_push_key(path, "audience");
    rc = vutil_doc_string_dup(&ctx->doc, audience, path, &iss->audience,
                              ctx->err);
    if (rc == 0 && (iss->audience[0] == '\0' ||
                    strlen(iss->audience) > AUDIENCE_MAX_BYTES)) {
        rc = fail(ctx, audience, path, "expected a non-empty audience of "
                  "at most %u bytes", AUDIENCE_MAX_BYTES);
    }
    vutil_path_pop(path, saved);
    if (rc < 0) {
        return rc;
    }
    saved = vutil_path_push_key(path, "jwks");
    rc = parse_jwks(ctx, jwks, path, iss);
    vutil_path_pop(path, saved);
    return rc;
}

/* ---- sequences, groups and owners ------------------------------------ */

/* Reads item `index` of the sequence into `items` (the array of them). */
typedef int (*item_fn)(parse_ctx *ctx, vutil_node *item,
                       vutil_path *path, void *items, size_t index);

/* The sequence at `key` of `root` (NULL when absent) and its length. */
static int sequence_at(parse_ctx *ctx, vutil_node *root, const char *key,
                       vutil_node **seq, size_t *count)
{
    vutil_path path = VUTIL_PATH_INIT;
    int rc;

    *seq = vutil_doc_get(&ctx->doc, root, key);
    *count = 0;
    vutil_path_push_key(&path, key);
    rc = vutil_doc_expect_sequence(&ctx->doc, *seq, &path, ctx->err);
    if (rc < 0 || *seq == NULL || !vutil_doc_is_sequence(&ctx->doc, *seq)) {
        *seq = NULL;
        return rc;
    }
    *count = vutil_doc_count(&ctx->doc, *seq);
    return 0;
}

/*
 * The sequence at `key` of `root` (absent or empty: nothing) into a new
 * array of `count` items of `size` bytes, each read by `fn`. The array is
 * stored in `*items` even when an item fails, so that the config frees it.
 */
static int parse_list(parse_ctx *ctx, vutil_node *root, const char *key,
                      size_t size, item_fn fn, void **items, size_t *count)
{
    vutil_path path = VUTIL_PATH_INIT;
    vutil_node *seq = NULL;
    vutil_node *item;
    vutil_iter iter = VUTIL_ITER_INIT;
    size_t n = 0;
    int rc;

    rc = sequence_at(ctx, root, key, &seq, &n);
    if (rc < 0 || n == 0) {
        return rc;
    }
    *items = calloc(n, size);
    if (*items == NULL) {
        return oom(ctx);
    }
    *count = n;
    n = 0;
    vutil_path_push_key(&path, key);
    while ((item = vutil_doc_next(&ctx->doc, seq, &iter)) != NULL) {
        size_t saved = vutil_path_push_index(&path, n);

        rc = fn(ctx, item, &path, *items, n);
        vutil_path_pop(&path, saved);
        if (rc < 0) {
            return rc;
        }
        n++;
    }
    return 0;
}

/* A list of members of the kinds `allowed` into a sorted unique array. */
static int parse_members(parse_ctx *ctx, vutil_node *seq,
                         vutil_path *path, unsigned allowed, char ***out,
                         size_t *count)
{
    vutil_node *item;
    vutil_iter iter = VUTIL_ITER_INIT;
    size_t n;
    int rc;

    rc = vutil_doc_expect_sequence(&ctx->doc, seq, path, ctx->err);
    if (rc < 0 || seq == NULL || !vutil_doc_is_sequence(&ctx->doc, seq)) {
        return rc;
    }
    n = vutil_doc_count(&ctx->doc, seq);
    if (n == 0) {
        return 0;
    }
    *out = calloc(n, sizeof(char *));
    if (*out == NULL) {
        return oom(ctx);
    }
    n = 0;
    while ((item = vutil_doc_next(&ctx->doc, seq, &iter)) != NULL) {
        size_t saved = vutil_path_push_index(path, n);

        rc = member_field(ctx, item, path, allowed, &(*out)[n]);
        vutil_path_pop(path, saved);
        if (rc < 0) {
            *count = n;
            return rc;
        }
        n++;
    }
    *count = n;
    vouch__auth_sort_unique(*out, count);
    return 0;
}

static int group_cmp(const void *a, const void *b)
{
    return strcmp(((const vouch__auth_group *)a)->name,
                  ((const vouch__auth_group *)b)->name);
}

static int parse_groups(parse_ctx *ctx, vutil_node *root)
{
    vouch_auth_config *cfg = ctx->cfg;
    vutil_path path = VUTIL_PATH_INIT;
    vutil_node *map = vutil_doc_get(&ctx->doc, root, "groups");
    vutil_iter iter = VUTIL_ITER_INIT;
    vutil_node *key_node = NULL;
    vutil_node *value = NULL;
    const char *s = NULL;
    size_t len = 0;
    size_t n;
    size_t i;
    int rc;

    vutil_path_push_key(&path, "groups");
    rc = vutil_doc_expect_mapping(&ctx->doc, map, &path, NULL, ctx->err);
    if (rc < 0 || map == NULL || !vutil_doc_is_mapping(&ctx->doc, map)) {
        return rc;
    }
    n = vutil_doc_count(&ctx->doc, map);
    if (n == 0) {
        return 0;
    }
    cfg->groups = calloc(n, sizeof(*cfg->groups));
    if (cfg->groups == NULL) {
        return oom(ctx);
    }
    while ((rc = vutil_doc_next_entry(&ctx->doc, map, &iter, &path, &s,
                                      &len, &key_node, &value,
                                      ctx->err)) == 1) {
        vouch__auth_group *g = &cfg->groups[cfg->group_count];
        char name[80];
        size_t saved;

        snprintf(name, sizeof(name), "%.*s", (int)(len < 60 ? len : 60),
                 s != NULL ? s : "");
        saved = vutil_path_push_key(&path, name);
        cfg->group_count++;
        rc = member_field(ctx, key_node, &path,
                          VOUCH_MEMBER_BIT(VOUCH_MEMBER_GROUP), &g->name);
        for (i = 0; rc == 0 && i + 1 < cfg->group_count; i++) {
            if (strcmp(cfg->groups[i].name, g->name) == 0) {
                rc = fail(ctx, key_node, &path, "the same group as an "
                          "earlier key (e-mail addresses are compared in "
                          "lower case)");
            }
        }
        if (rc == 0) {
            rc = parse_members(ctx, value, &path, VOUCH_MEMBERS_IDENTITIES,
                               &g->members, &g->member_count);
        }
        vutil_path_pop(&path, saved);
        if (rc < 0) {
            return rc;
        }
    }
    if (rc < 0) {
        return rc;
    }
    qsort(cfg->groups, cfg->group_count, sizeof(*cfg->groups), group_cmp);
    return 0;
}

static const vouch__auth_group *find_group(const vouch_auth_config *cfg,
                                           const char *name)
{
    vouch__auth_group key;

    if (cfg->group_count == 0) {
        return NULL;
    }
    key.name = (char *)name;
    return bsearch(&key, cfg->groups, cfg->group_count, sizeof(key),
                   group_cmp);
}

static int parse_owners(parse_ctx *ctx, vutil_node *root)
{
    vouch_auth_config *cfg = ctx->cfg;
    vutil_path path = VUTIL_PATH_INIT;
    vutil_node *seq = vutil_doc_get(&ctx->doc, root, "owners");
    size_t i;
    int rc;

    vutil_path_push_key(&path, "owners");
    rc = parse_members(ctx, seq, &path,
                       VOUCH_MEMBERS_IDENTITIES |
                           VOUCH_MEMBER_BIT(VOUCH_MEMBER_GROUP),
                       &cfg->owners, &cfg->owner_count);
    for (i = 0; rc == 0 && i < cfg->owner_count; i++) {
        if (strncmp(cfg->owners[i], "group:", 6) == 0 &&
            find_group(cfg, cfg->owners[i]) == NULL) {
            rc = fail(ctx, seq, &path, "%s is not defined in \"groups\"",
                      cfg->owners[i]);
        }
    }
    return rc;
}

/* ---- parse ----------------------------------------------------------- */

static void config_destroy(vouch_auth_config *cfg)
{
    size_t i;
    size_t j;

    for (i = 0; i < cfg->token_count; i++) {
        free(cfg->tokens[i].principal);
    }
    free(cfg->tokens);
    for (i = 0; i < cfg->issuer_count; i++) {
        free(cfg->issuers[i].issuer);
        free(cfg->issuers[i].audience);
        free(cfg->issuers[i].host);
        free(cfg->issuers[i].jwks_url);
        free(cfg->issuers[i].ca_file);
    }
    free(cfg->issuers);
    for (i = 0; i < cfg->group_count; i++) {
        free(cfg->groups[i].name);
        for (j = 0; j < cfg->groups[i].member_count; j++) {
            free(cfg->groups[i].members[j]);
        }
        free(cfg->groups[i].members);
    }
    free(cfg->groups);
    for (i = 0; i < cfg->owner_count; i++) {
        free(cfg->owners[i]);
    }
    free(cfg->owners);
    free(cfg->source);
    free(cfg);
}

int vouch_auth_config_parse(vouch_auth_config **out, const char *data,
                            size_t len, const char *source,
                            vouch_error *err)
{
    parse_ctx ctx;
    vutil_node *root;
    vutil_path path = VUTIL_PATH_INIT;
    void *tokens = NULL;
    void *issuers = NULL;
    int rc;

    *out = NULL;
    memset(&ctx, 0, sizeof(ctx));
    ctx.err = err;
    rc = vutil_doc_load(&ctx.doc, data, len, VOUCH_FORMAT_AUTO,
                        VOUCH_AUTH_CONFIG_MAX_BYTES, source, err);
    if (rc < 0) {
        return rc;
    }
    ctx.cfg = calloc(1, sizeof(*ctx.cfg));
    if (ctx.cfg == NULL ||
        (source != NULL &&
         (ctx.cfg->source = vutil_strdup(source)) == NULL)) {
        rc = oom(&ctx);
        goto cleanup;
    }
    atomic_init(&ctx.cfg->refs, 1);
    root = vutil_doc_root(&ctx.doc);
    if (root == NULL || !vutil_doc_is_mapping(&ctx.doc, root)) {
        rc = root == NULL
                 ? vutil_error_set(err, VOUCH_EINVAL, source, 0, 0,
                                   "the auth config is empty")
                 : fail(&ctx, root, &path, "expected a mapping with tokens, "
                        "oidc, groups and owners");
        goto cleanup;
    }
    rc = vutil_doc_expect_mapping(&ctx.doc, root, &path, top_fields, err);
    if (rc == 0) {
        rc = parse_list(&ctx, root, "tokens", sizeof(*ctx.cfg->tokens),
                        parse_token, &tokens, &ctx.cfg->token_count);
        ctx.cfg->tokens = tokens;
    }
    if (rc == 0) {
        rc = parse_list(&ctx, root, "oidc", sizeof(*ctx.cfg->issuers),
                        parse_issuer, &issuers, &ctx.cfg->issuer_count);
        ctx.cfg->issuers = issuers;
    }
    if (rc == 0) {
        rc = parse_groups(&ctx, root);
    }
    if (rc == 0) {
        rc = parse_owners(&ctx, root);
    }
    if (rc < 0) {
        goto cleanup;
    }
    *out = ctx.cfg;
    ctx.cfg = NULL;

cleanup:
    if (ctx.cfg != NULL) {
        config_destroy(ctx.cfg);
    }
    vutil_doc_close(&ctx.doc);
    return rc;
}

/* ---- references and accessors ---------------------------------------- */

vouch_auth_config *vouch_auth_config_ref(vouch_auth_config *cfg)
{
    if (cfg != NULL) {
        atomic_fetch_add_explicit(&cfg->refs, 1, memory_order_relaxed);
    }
    return cfg;
}

void vouch_auth_config_free(vouch_auth_config *cfg)
{
    if (cfg != NULL &&
        atomic_fetch_sub_explicit(&cfg->refs, 1, memory_order_acq_rel) == 1) {
        config_destroy(cfg);
    }
}

size_t vouch_auth_config_token_count(const vouch_auth_config *cfg)
{
    return cfg != NULL ? cfg->token_count : 0;
}

size_t vouch_auth_config_issuer_count(const vouch_auth_config *cfg)
{
    return cfg != NULL ? cfg->issuer_count : 0;
}

size_t vouch_auth_config_group_count(const vouch_auth_config *cfg)
{
    return cfg != NULL ? cfg->group_count : 0;
}

size_t vouch_auth_config_owner_count(const vouch_auth_config *cfg)
{
    return cfg != NULL ? cfg->owner_count : 0;
}

const vouch__auth_issuer *vouch__auth_config_issuer(
    const vouch_auth_config *cfg, const char *iss, size_t len)
{
    size_t i;

    for (i = 0; cfg != NULL && i < cfg->issuer_count; i++) {
        if (vutil_slice_eq(iss, len, cfg->issuers[i].issuer)) {
            return &cfg->issuers[i];
        }
    }
    return NULL;
}

bool vouch_auth_config_in_group(const vouch_auth_config *cfg,
                                const char *group, const char *member)
{
    const vouch__auth_group *g;

    if (cfg == NULL || group == NULL || member == NULL) {
        return false;
    }
    g = find_group(cfg, group);
    return g != NULL &&
           vouch__auth_sorted_has(g->members, g->member_count, member);
}

bool vouch_auth_config_is_owner(const vouch_auth_config *cfg,
                                const char *principal)
{
    size_t i;

    if (cfg == NULL || principal == NULL) {
        return false;
    }
    if (vouch__auth_sorted_has(cfg->owners, cfg->owner_count, principal)) {
        return true;
    }
    for (i = 0; i < cfg->owner_count; i++) {
        if (strncmp(cfg->owners[i], "group:", 6) == 0 &&
            vouch_auth_config_in_group(cfg, cfg->owners[i], principal)) {
            return true;
        }
    }
    return false;
}

void vouch_auth_token_hash_hex(const char *token, size_t len, char hex[65])
{
    unsigned char md[VOUCH_SHA256_BYTES];
    unsigned int mdlen = 0;

    if (EVP_Digest(token, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
        mdlen != sizeof(md)) {
        hex[0] = '\0';
        return;
    }
    vutil_hex(md, sizeof(md), hex);
}

/* ---- sorted string arrays -------------------------------------------- */

int vouch__auth_strcmp_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

bool vouch__auth_sorted_has(char *const *v, size_t n, const char *s)
{
    return n > 0 && bsearch(&s, v, n, sizeof(char *),
                            vouch__auth_strcmp_ptr) != NULL;
}

void vouch__auth_sort_unique(char **v, size_t *n)
{
    size_t i;
    size_t kept = 0;

    if (*n == 0) {
        return;
    }
    qsort(v, *n, sizeof(char *), vouch__auth_strcmp_ptr);
    for (i = 0; i < *n; i++) {
        if (kept > 0 && strcmp(v[kept - 1], v[i]) == 0) {
            free(v[i]);
            continue;
        }
        v[kept++] = v[i];
    }
    *n = kept;
}
