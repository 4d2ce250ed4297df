/*
 * vouch run platform — enforcement (docs/run.md, "Enforcement"): the
 * binaryAuthorization field, container checks, and admission: resolve
 * every container image to a digest through the registry, gather the
 * project's current policy, the attestors it requires and the
 * attestations stored for each digest, evaluate, and say what the caller
 * must do (admit, deny, check failed), with Cloud Run's texts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        vsvc_policy_name(own, sizeof(own), project);
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
            return plat_enomem(err);
        }
    }
    if (out->enabled) {
        out->value = vutil_strdup("default");
        if (out->value == NULL) {
            plat_binauthz_clear(out);
            return plat_enomem(err);
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

int plat_containers_binauthz_check(const json_t *body,
                                   const json_t *containers,
                                   const char *path, const char *project,
                                   plat_binauthz *ba, vouch_error *err)
{
    int rc = plat_containers_check(containers, path, err);

    if (rc < 0) {
        return rc;
    }
    return plat_binauthz_parse(json_object_get(body, "binaryAuthorization"),
                               project, ba, err);
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

int plat_admission_code(const plat_admission *a)
{
    return (a->verdict == PLAT_CHECK_FAILED || a->verdict == PLAT_MISSING) &&
                   a->fail_code == VOUCH_EIO
               ? VOUCH_EIO
               : VOUCH_EPRECONDITION;
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

/* Gather the evidence (vsvc__evidence_*): the policy, the attestors of its
 * default rule (Cloud Run consults no other), the attestations of each
 * pinned image. A store fault fails closed (the caller's CHECK_FAILED). */
static int gather(vouch_platform_ctx *ctx, const char *project,
                  const plat_admission *a, vsvc_evidence *ev,
                  vouch_error *err)
{
    vsvc *svc = ctx->platform->service;
    int rc;

    rc = vsvc__evidence_policy(svc, ctx->conn, project, ev, err);
    if (rc == 0) {
        rc = vsvc__evidence_attestors(
            svc, ctx->conn,
            vouch_policy_default_rule(vsvc_object_policy(ev->policy)), ev,
            err);
    }
    for (size_t i = 0; rc == 0 && i < a->count; i++) {
        rc = vsvc__evidence_attestations(ctx->conn, a->pinned[i], ev, err);
    }
    return rc;
}

/*
 * Pin each container image of `containers` to its digest: as recorded
 * (`pinned`), or as the unit of work resolved it before the transaction.
 * VOUCH_ERETRY when some were not resolved yet (the unit resolves them
 * and runs again); a failed resolution is a reason in `out->why`.
 */
static int pin_images(vouch_platform_ctx *ctx, const json_t *containers,
                      bool pinned, plat_admission *out, bool *failed,
                      vouch_error *err)
{
    bool pending = false;

    for (size_t i = 0; i < out->count; i++) {
        json_t *image = json_object_get(json_array_get(containers, i),
                                        "image");
        const char *text = json_string_value(image);
        vouch_error rerr = VOUCH_ERROR_INIT;
        int rc;

        if (pinned) {
            out->pinned[i] = vutil_strdup(text);
            rc = out->pinned[i] != NULL ? 0 : VOUCH_ENOMEM;
        } else {
            rc = vsvc_uow_resolve(ctx->uow, text, json_string_length(image),
                                  &out->pinned[i], &rerr);
        }
        if (rc == VOUCH_ERETRY) {
            pending = true;   /* ask for every image before retrying */
            rc = 0;
        } else if (rc < 0 && rc != VOUCH_ENOMEM) {
            *failed = true;
            if (out->fail_code == 0) {
                out->fail_code = rc;
            }
            why_append(out, "Container image '%s' could not be resolved "
                       "to a digest: %s.", text, rerr.message);
            rc = 0;
        }
        if (rc == 0 && out->pinned[i] == NULL) {
            out->pinned[i] = vutil_strdup("");
            rc = out->pinned[i] != NULL ? 0 : VOUCH_ENOMEM;
        }
        if (rc < 0) {
            return plat_enomem(err);
        }
    }
    return pending ? VOUCH_ERETRY : 0;
}

/* Evaluate the pinned images against the evidence; fills the decision,
 * its JSON, the reasons and the verdict. */
static int decide(vouch_platform_ctx *ctx, const plat_binauthz *ba,
                  const vsvc_evidence *ev, plat_admission *out,
                  vouch_error *err)
{
    vouch_platform *p = ctx->platform;
    vsvc_compiled *cache = vsvc__compiled(p->service);
    vouch_evaluation_input in = VOUCH_EVALUATION_INPUT_INIT;
    bool borrowed = ctx->cache == NULL && cache != NULL;
    int rc;

    in.policy = vsvc_object_policy(ev->policy);
    in.system_policy = p->system_policy;
    in.images = (const char *const *)out->pinned;
    in.image_count = out->count;
    in.attestors = (const vouch_attestor *const *)ev->attestor_list;
    in.attestor_count = ev->attestor_count;
    in.attestations = (const vouch_attestation *const *)ev->atts;
    in.attestation_count = ev->att_count;
    in.breakglass = ba->breakglass;
    in.cache = ctx->cache != NULL ? ctx->cache : p->cache;
    if (borrowed) {
        vsvc_verify_cache_acquire(cache, ctx->conn, NULL, &in.cache);
    }
    rc = vouch_evaluate(&out->decision, &in, err);
    if (borrowed) {
        vsvc_verify_cache_release(cache);
    }
    if (rc < 0) {
        return rc;
    }
    ctx->outcome = vouch_outcome_name(vouch_decision_outcome(out->decision));
    rc = vouch_decision_to_json(out->decision, 0, &out->decision_json, err);
    if (rc < 0) {
        return rc;
    }
    for (size_t i = 0; i < out->count; i++) {
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
    return 0;
}

int plat_admit(vouch_platform_ctx *ctx, const char *project,
               const json_t *containers, const plat_binauthz *ba,
               bool pinned, plat_admission *out, vouch_error *err)
{
    vouch_error lerr = VOUCH_ERROR_INIT;
    size_t n = json_array_size(containers);
    bool failed = false;
    vsvc_evidence ev;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&ev, 0, sizeof(ev));
    out->pinned = calloc(n > 0 ? n : 1, sizeof(char *));
    if (out->pinned == NULL) {
        return plat_enomem(err);
    }
    out->count = n;
    rc = pin_images(ctx, containers, pinned, out, &failed, err);
    if (rc < 0 || !ba->enabled || failed) {
        out->verdict = !failed          ? PLAT_ADMIT
                       : !ba->enabled ? PLAT_MISSING
                                      : PLAT_CHECK_FAILED;
        goto cleanup;
    }
    rc = gather(ctx, project, out, &ev, &lerr);
    if (rc == VOUCH_ENOMEM) {
        rc = plat_enomem(err);
        goto cleanup;
    }
    if (rc < 0) {
        out->verdict = PLAT_CHECK_FAILED;
        out->fail_code = rc;
        why_append(out, "The policy of project %s could not be read: %s.",
                   project, lerr.message);
        rc = 0;
        goto cleanup;
    }
    rc = decide(ctx, ba, &ev, out, err);

cleanup:
    vsvc__evidence_clear(&ev);
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
    bool failed = a->verdict == PLAT_CHECK_FAILED;
    int rc;

    if (!failed && (a->decision == NULL ||
                    !vouch_audit_run_wanted(a->decision, ba->breakglass))) {
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
    if (failed) {
        /* No decision to log, only why there is none: the refusal as the
         * operation tells it. */
        char msg[1400];
        snprintf(msg, sizeof(msg), "%s '%s' could not be checked against "
                 "the Binary Authorization policy. %s",
                 job == NULL ? "Revision" : "Execution",
                 job == NULL ? revision : execution, a->why);
        rc = vouch_audit_run_failed_entry(&entry, &ev,
                                          plat_admission_code(a), msg, err);
    } else {
        rc = vouch_audit_run_entry(&entry, &ev, err);
    }
    if (rc < 0) {
        return rc;
    }
    rc = vsvc_uow_audit(ctx->uow, entry, err);
    json_decref(entry);
    return rc;
}
