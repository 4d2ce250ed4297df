/*
 * vouch run platform — enforcement (spec/binauthz.md §4.1, §5.3): the
 * binaryAuthorization field, container checks, and admission: resolve
 * every container image to a digest through the registry, gather the
 * project's current policy, the attestors it requires and the
 * attestations stored for each digest, evaluate, and say what the caller
 * must do (admit, deny, check failed), with the §4.4 texts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vutil_error.h"
#include "vutil_str.h"
#include "platform_internal.h"

/* ---- binaryAuthorization ---- */

void plat_binauthz_clear(plat_binauthz *b)
{
    if (b == NULL) {
        return;
    }
    free(b->breakglass);
    free(b->value);
    memset(b, 0, sizeof(*b));
}

int plat_binauthz_parse(const json_t *ba, const char *project,
                        plat_binauthz *out, vouch_error *err)
{
    const char *key;
    json_t *value;
    char own[300];

    memset(out, 0, sizeof(*out));
    if (ba == NULL || json_is_null(ba)) {
        return 0;
    }
    if (!json_is_object(ba)) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "binaryAuthorization: expected an object "
                               "({\"useDefault\": true})");
    }
    out->present = true;
    json_object_foreach((json_t *)ba, key, value) {
        if (strcmp(key, "useDefault") == 0) {
            if (!json_is_boolean(value)) {
                return vutil_error_set(err, VOUCH_EINVAL, "request body",
                                       0, 0,
                                       "binaryAuthorization.useDefault: "
                                       "expected true or false");
            }
        } else if (strcmp(key, "policy") == 0 ||
                   strcmp(key, "breakglassJustification") == 0) {
            if (!json_is_string(value)) {
                return vutil_error_set(err, VOUCH_EINVAL, "request body",
                                       0, 0,
                                       "binaryAuthorization.%s: expected "
                                       "a string",
                                       key);
            }
        } else {
            return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                                   "binaryAuthorization.%.100s: unknown "
                                   "field (expected useDefault, policy, "
                                   "breakglassJustification)",
                                   key);
        }
    }
    json_t *use = json_object_get(ba, "useDefault");
    json_t *pol = json_object_get(ba, "policy");
    const char *bg = json_string_value(
        json_object_get(ba, "breakglassJustification"));
    if (use != NULL && pol != NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "binaryAuthorization: useDefault and "
                               "policy are mutually exclusive; set one");
    }
    if (pol != NULL) {
        snprintf(own, sizeof(own), "projects/%s/policy", project);
        if (strcmp(json_string_value(pol), own) != 0) {
            return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                                   "binaryAuthorization.policy: '%.200s': "
                                   "named platform policies are not "
                                   "supported yet; use \"useDefault\": "
                                   "true (the project's policy %s)",
                                   json_string_value(pol), own);
        }
        out->enabled = true;
    } else if (use != NULL) {
        out->enabled = json_is_true(use);
    }
    if (bg != NULL && bg[0] != '\0') {
        if (!out->enabled) {
            return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                                   "binaryAuthorization."
                                   "breakglassJustification: must be "
                                   "empty unless Binary Authorization is "
                                   "on (useDefault: true)");
        }
        out->breakglass = vutil_strdup(bg);
        if (out->breakglass == NULL) {
            return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                   "out of memory");
        }
    }
    if (out->enabled) {
        out->value = vutil_strdup("default");
        if (out->value == NULL) {
            plat_binauthz_clear(out);
            return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                   "out of memory");
        }
    }
    return 0;
}

/* ---- containers ---- */

static bool known_container_field(const char *k)
{
    static const char *const known[] = {
        "name", "image", "command", "args", "env", "resources", "ports",
        "volumeMounts", "workingDir", "livenessProbe", "startupProbe",
        "dependsOn", "baseImageUri",
    };

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcmp(k, known[i]) == 0) {
            return true;
        }
    }
    return false;
}

int plat_string_array_check(const json_t *v, const char *path, size_t i,
                            const char *field, vouch_error *err)
{
    size_t k;
    json_t *e;

    if (!json_is_array(v)) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "%s[%zu].%s: expected an array of strings",
                               path, i, field);
    }
    json_array_foreach(v, k, e) {
        if (!json_is_string(e)) {
            return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                                   "%s[%zu].%s[%zu]: expected a string",
                                   path, i, field, k);
        }
    }
    return 0;
}

int plat_env_check(const json_t *env, const char *path, size_t i,
                   vouch_error *err)
{
    size_t k;
    json_t *e;

    if (!json_is_array(env)) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "%s[%zu].env: expected an array of "
                               "{name, value}",
                               path, i);
    }
    json_array_foreach(env, k, e) {
        const char *key;
        json_t *v;
        if (!json_is_object(e) ||
            !json_is_string(json_object_get(e, "name")) ||
            json_string_length(json_object_get(e, "name")) == 0) {
            return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                                   "%s[%zu].env[%zu].name: required, a "
                                   "non-empty string",
                                   path, i, k);
        }
        json_object_foreach(e, key, v) {
            if (strcmp(key, "name") == 0) {
                continue;
            }
            if (strcmp(key, "value") == 0 && json_is_string(v)) {
                continue;
            }
            return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                                   "%s[%zu].env[%zu].%.100s: %s", path, i,
                                   k, key,
                                   strcmp(key, "value") == 0
                                        ? "expected a string"
                                        : "unknown or unsupported field "
                                          "(expected name, value)");
        }
    }
    return 0;
}

int plat_containers_check(const json_t *containers, const char *path,
                          vouch_error *err)
{
    size_t i;
    json_t *c;
    int rc;

    if (!json_is_array(containers) || json_array_size(containers) == 0) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "%s: required, at least one container "
                               "with an image",
                               path);
    }
    if (json_array_size(containers) > VOUCH_PLATFORM_MAX_CONTAINERS) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "%s: %zu containers; at most %u", path,
                               json_array_size(containers),
                               VOUCH_PLATFORM_MAX_CONTAINERS);
    }
    json_array_foreach(containers, i, c) {
        const char *key;
        json_t *v;
        if (!json_is_object(c)) {
            return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                                   "%s[%zu]: expected an object", path, i);
        }
        json_object_foreach(c, key, v) {
            if (!known_container_field(key)) {
                return vutil_error_set(err, VOUCH_EINVAL, "request body",
                                       0, 0,
                                       "%s[%zu].%.100s: unknown field",
                                       path, i, key);
            }
        }
        json_t *image = json_object_get(c, "image");
        if (!json_is_string(image) || json_string_length(image) == 0) {
            return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                                   "%s[%zu].image: required, a container "
                                   "image reference",
                                   path, i);
        }
        vouch_image_ref *ref = NULL;
        vouch_error rerr = VOUCH_ERROR_INIT;
        rc = vouch_image_ref_parse(&ref, json_string_value(image),
                                   json_string_length(image), &rerr);
        vouch_image_ref_free(ref);
        if (rc < 0) {
            return vutil_error_set(err, rc == VOUCH_ETOOBIG ? VOUCH_EINVAL
                                                           : VOUCH_EINVAL,
                                   "request body", 0, 0,
                                   "%s[%zu].image: column %u: %s", path, i,
                                   rerr.column, rerr.message);
        }
        v = json_object_get(c, "name");
        if (v != NULL && !json_is_string(v)) {
            return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                                   "%s[%zu].name: expected a string", path,
                                   i);
        }
        v = json_object_get(c, "args");
        if (v != NULL &&
            (rc = plat_string_array_check(v, path, i, "args", err)) < 0) {
            return rc;
        }
        v = json_object_get(c, "command");
        if (v != NULL &&
            (rc = plat_string_array_check(v, path, i, "command", err)) < 0) {
            return rc;
        }
        v = json_object_get(c, "env");
        if (v != NULL && (rc = plat_env_check(v, path, i, err)) < 0) {
            return rc;
        }
    }
    return 0;
}

/* ---- admission ---- */

const char *plat_verdict_reason(plat_verdict v)
{
    switch (v) {
    case PLAT_DENY:
        return "CONTAINER_IMAGE_UNAUTHORIZED";
    case PLAT_CHECK_FAILED:
        return "CONTAINER_IMAGE_AUTHORIZATION_CHECK_FAILED";
    case PLAT_MISSING:
        return "CONTAINER_MISSING";
    case PLAT_ADMIT:
        break;
    }
    return NULL;
}

void plat_admission_clear(plat_admission *a)
{
    if (a == NULL) {
        return;
    }
    for (size_t i = 0; i < a->count && a->pinned != NULL; i++) {
        free(a->pinned[i]);
    }
    free(a->pinned);
    vouch_decision_free(a->decision);
    vouch_free(a->decision_json);
    memset(a, 0, sizeof(*a));
}

static void why_append(plat_admission *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void why_append(plat_admission *a, const char *fmt, ...)
{
    size_t used = strlen(a->why);
    va_list ap;

    if (used > 0 && used + 1 < sizeof(a->why)) {
        a->why[used++] = ' ';
        a->why[used] = '\0';
    }
    va_start(ap, fmt);
    vsnprintf(a->why + used, sizeof(a->why) - used, fmt, ap);
    va_end(ap);
}

/* Resolve one image to "name@digest" (malloc'd into *out). */
static int resolve_one(vouch_platform *p, const char *image,
                       size_t len, char **out, vouch_error *rerr)
{
    vouch_image_ref *ref = NULL;
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    int rc;

    *out = NULL;
    rc = vouch_image_ref_parse(&ref, image, len, rerr);
    if (rc < 0) {
        return rc;
    }
    if (p->registry == NULL) {
        if (vouch_image_ref_digest(ref) == NULL) {
            rc = vutil_error_set(rerr, VOUCH_EIO, NULL, 0, 0,
                                 "no registry is configured to resolve "
                                 "the tag; give the image by digest");
            goto cleanup;
        }
        snprintf(digest, sizeof(digest), "%s", vouch_image_ref_digest(ref));
    } else {
        rc = vouch_registry_resolve(p->registry, image, len,
                                    VOUCH_REGISTRY_DEFAULT, digest, rerr);
        if (rc < 0) {
            goto cleanup;
        }
    }
    size_t n = strlen(vouch_image_ref_name(ref)) + 1 + strlen(digest) + 1;
    *out = malloc(n);
    if (*out == NULL) {
        rc = vutil_error_set(rerr, VOUCH_ENOMEM, NULL, 0, 0,
                             "out of memory");
        goto cleanup;
    }
    snprintf(*out, n, "%s@%s", vouch_image_ref_name(ref), digest);
    rc = 0;

cleanup:
    vouch_image_ref_free(ref);
    return rc;
}

typedef struct evidence {
    vouch_policy *policy;
    vouch_attestor **attestors;
    size_t attestor_count;
    vouch_attestation **atts;
    size_t att_count;
    size_t att_cap;
} evidence;

static void evidence_clear(evidence *e)
{
    vouch_policy_free(e->policy);
    for (size_t i = 0; i < e->attestor_count; i++) {
        vouch_attestor_free(e->attestors[i]);
    }
    free(e->attestors);
    for (size_t i = 0; i < e->att_count; i++) {
        vouch_attestation_free(e->atts[i]);
    }
    free(e->atts);
    memset(e, 0, sizeof(*e));
}

static int load_policy(vouch_store_conn *conn, const char *project,
                       vouch_policy **out, vouch_error *err)
{
    vouch_resource r;
    char name[300];
    int rc;

    memset(&r, 0, sizeof(r));
    snprintf(name, sizeof(name), "projects/%s/policy", project);
    rc = vouch_store_get(conn, "policy", name, &r, err);
    if (rc == VOUCH_ENOTFOUND) {
        return vouch_policy_new_default(out, project, err);
    }
    if (rc < 0) {
        return rc;
    }
    rc = vouch_policy_parse(out, r.json, strlen(r.json), VOUCH_FORMAT_JSON,
                            name, err);
    vouch_resource_clear(&r);
    return rc;
}

static int load_attestors(vouch_store_conn *conn, evidence *e,
                          vouch_error *err)
{
    const vouch_admission_rule *rule = vouch_policy_default_rule(e->policy);
    size_t n = rule != NULL ? vouch_admission_rule_attestor_count(rule) : 0;

    if (n == 0) {
        return 0;
    }
    e->attestors = calloc(n, sizeof(*e->attestors));
    if (e->attestors == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                               "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = vouch_admission_rule_attestor(rule, i);
        vouch_resource r;
        vouch_attestor *a = NULL;
        int rc;

        memset(&r, 0, sizeof(r));
        rc = vouch_store_get(conn, "attestor", name, &r, err);
        if (rc == VOUCH_ENOTFOUND) {
            continue;   /* the engine denies, naming the missing attestor */
        }
        if (rc < 0) {
            return rc;
        }
        rc = vouch_attestor_parse(&a, r.json, strlen(r.json),
                                  VOUCH_FORMAT_JSON, name, NULL);
        vouch_resource_clear(&r);
        if (rc == VOUCH_ENOMEM) {
            return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                   "out of memory");
        }
        if (rc == 0) {
            e->attestors[e->attestor_count++] = a;
        }
    }
    return 0;
}

static int add_attestation(evidence *e, vouch_attestation *a,
                           vouch_error *err)
{
    if (e->att_count == e->att_cap) {
        size_t cap = e->att_cap == 0 ? 8 : e->att_cap * 2;
        vouch_attestation **grown = realloc(e->atts, cap * sizeof(*grown));
        if (grown == NULL) {
            vouch_attestation_free(a);
            return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                   "out of memory");
        }
        e->atts = grown;
        e->att_cap = cap;
    }
    e->atts[e->att_count++] = a;
    return 0;
}

/* Every stored occurrence whose resource is `pinned`. */
static int load_attestations(vouch_store_conn *conn, const char *pinned,
                             evidence *e, vouch_error *err)
{
    vouch_resource_query q;
    vouch_resource_page page;
    char *token = NULL;
    int rc = 0;

    memset(&q, 0, sizeof(q));
    q.kind = "occurrence";
    q.attr2 = pinned;
    q.page_size = 1000;
    do {
        memset(&page, 0, sizeof(page));
        q.page_token = token;
        rc = vouch_store_list(conn, &q, &page, err);
        if (rc < 0) {
            goto cleanup;
        }
        for (size_t i = 0; i < page.count; i++) {
            vouch_attestation *a = NULL;
            const char *json = page.items[i].json;
            if (vouch_attestation_parse(&a, json, strlen(json),
                                        VOUCH_FORMAT_JSON,
                                        page.items[i].name, NULL) < 0) {
                continue;   /* not an attestation: no evidence */
            }
            rc = add_attestation(e, a, err);
            if (rc < 0) {
                vouch_resource_page_clear(&page);
                goto cleanup;
            }
        }
        free(token);
        token = NULL;
        if (page.next_page_token != NULL) {
            token = vutil_strdup(page.next_page_token);
            if (token == NULL) {
                rc = vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                     "out of memory");
            }
        }
        vouch_resource_page_clear(&page);
    } while (token != NULL);

cleanup:
    free(token);
    return rc;
}

int plat_admit(vouch_platform_ctx *ctx, const char *project,
               const json_t *containers, const plat_binauthz *ba,
               bool pinned, plat_admission *out, vouch_error *err)
{
    vouch_platform *p = ctx->platform;
    vouch_evaluation_input in = VOUCH_EVALUATION_INPUT_INIT;
    evidence ev;
    vouch_error lerr = VOUCH_ERROR_INIT;
    size_t n = json_array_size(containers);
    bool failed = false;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    memset(&ev, 0, sizeof(ev));
    out->pinned = calloc(n > 0 ? n : 1, sizeof(char *));
    if (out->pinned == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                               "out of memory");
    }
    out->count = n;
    for (size_t i = 0; i < n; i++) {
        json_t *image = json_object_get(json_array_get(containers, i),
                                        "image");
        const char *text = json_string_value(image);
        vouch_error rerr = VOUCH_ERROR_INIT;

        if (pinned) {
            out->pinned[i] = vutil_strdup(text);
            rc = out->pinned[i] != NULL ? 0 : VOUCH_ENOMEM;
        } else {
            rc = resolve_one(p, text, json_string_length(image),
                             &out->pinned[i], &rerr);
        }
        if (rc == VOUCH_ENOMEM) {
            rc = vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                 "out of memory");
            goto cleanup;
        }
        if (rc < 0) {
            failed = true;
            why_append(out, "Container image '%s' could not be resolved "
                       "to a digest: %s.", text, rerr.message);
            out->pinned[i] = vutil_strdup("");
            if (out->pinned[i] == NULL) {
                rc = vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                     "out of memory");
                goto cleanup;
            }
        }
    }
    rc = 0;
    if (!ba->enabled) {
        out->verdict = failed ? PLAT_MISSING : PLAT_ADMIT;
        goto cleanup;
    }
    if (failed) {
        out->verdict = PLAT_CHECK_FAILED;
        goto cleanup;
    }
    /* Gather the evidence; a store fault fails closed. */
    rc = load_policy(ctx->conn, project, &ev.policy, &lerr);
    if (rc == 0) {
        rc = load_attestors(ctx->conn, &ev, &lerr);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = load_attestations(ctx->conn, out->pinned[i], &ev, &lerr);
    }
    if (rc == VOUCH_ENOMEM) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                             "out of memory");
        goto cleanup;
    }
    if (rc < 0) {
        out->verdict = PLAT_CHECK_FAILED;
        why_append(out, "The policy of project %s could not be read: %s.",
                   project, lerr.message);
        rc = 0;
        goto cleanup;
    }
    in.policy = ev.policy;
    in.system_policy = p->system_policy;
    in.images = (const char *const *)out->pinned;
    in.image_count = n;
    in.attestors = (const vouch_attestor *const *)ev.attestors;
    in.attestor_count = ev.attestor_count;
    in.attestations = (const vouch_attestation *const *)ev.atts;
    in.attestation_count = ev.att_count;
    in.breakglass = ba->breakglass;
    in.cache = ctx->cache != NULL ? ctx->cache : p->cache;
    rc = vouch_evaluate(&out->decision, &in, err);
    if (rc < 0) {
        goto cleanup;
    }
    ctx->outcome = vouch_outcome_name(vouch_decision_outcome(out->decision));
    rc = vouch_decision_to_json(out->decision, 0, &out->decision_json, err);
    if (rc < 0) {
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        if (vouch_decision_verdict(out->decision, i) ==
            VOUCH_VERDICT_DENIED) {
            why_append(out, "Container image '%s' is not authorized by "
                       "policy. %s",
                       vouch_decision_image(out->decision, i),
                       vouch_decision_reason(out->decision, i));
        }
    }
    out->verdict = vouch_decision_outcome(out->decision) ==
                           VOUCH_OUTCOME_DENY
                       ? PLAT_DENY
                       : PLAT_ADMIT;

cleanup:
    evidence_clear(&ev);
    if (rc < 0) {
        plat_admission_clear(out);
    }
    return rc;
}

int plat_audit_admission(vouch_platform_ctx *ctx, const plat_admission *a,
                         const plat_binauthz *ba, const char *project,
                         const char *location, const char *service,
                         const char *revision, const char *job,
                         const char *execution, const char *method,
                         vouch_error *err)
{
    vouch_audit_run_event ev;
    json_t *entry = NULL;
    int rc;

    if (a->decision == NULL ||
        !vouch_audit_run_wanted(a->decision, ba->breakglass)) {
        return 0;
    }
    memset(&ev, 0, sizeof(ev));
    ev.project = project;
    ev.location = location;
    ev.service = service;
    ev.revision = revision;
    ev.job = job;
    ev.execution = execution;
    ev.method_name = method;
    ev.decision = a->decision;
    ev.breakglass = ba->breakglass;
    rc = vouch_audit_run_entry(&entry, &ev, err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch_audit_record(ctx->conn, ctx->queue, entry, err);
    json_decref(entry);
    return rc;
}
