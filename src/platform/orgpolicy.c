/*
 * vouch run platform — the org-policy constraint
 * constraints/run.allowedBinaryAuthorizationPolicies at project level
 * (docs/run.md), in the Org Policy v2 shape:
 *   {"name": "projects/P/policies/run.allowedBinaryAuthorizationPolicies",
 *    "spec": {"rules": [{"values": {"allowedValues": ["default"]}}]}}
 * and the check every Service and Job create or update goes through.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform_internal.h"

#define ORG_DELETE_METHOD "google.cloud.orgpolicy.v2.OrgPolicy.DeletePolicy"

static void policy_name(char *buf, size_t size, const char *project)
{
    (void)vsvc_name(buf, size, VSVC_ORGPOLICY, &project, 1, NULL);
}

static int bad(vouch_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int bad(vouch_error *err, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0, "%s",
                           msg);
}

static int check_values(const json_t *values, size_t i, vouch_error *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(values)) {
        return bad(err, "spec.rules[%zu].values: expected an object", i);
    }
    json_object_foreach((json_t *)values, key, v) {
        size_t k;
        json_t *e;
        if (strcmp(key, "allowedValues") != 0 &&
            strcmp(key, "deniedValues") != 0) {
            return bad(err, "spec.rules[%zu].values.%.100s: unknown field "
                       "(expected allowedValues, deniedValues)", i, key);
        }
        if (!json_is_array(v)) {
            return bad(err, "spec.rules[%zu].values.%s: expected an array "
                       "of strings", i, key);
        }
        json_array_foreach(v, k, e) {
            if (!json_is_string(e) || json_string_length(e) == 0) {
                return bad(err, "spec.rules[%zu].values.%s[%zu]: expected "
                           "a non-empty string such as \"default\"", i, key,
                           k);
            }
        }
    }
    return 0;
}

static int check_rule(const json_t *rule, size_t i, vouch_error *err)
{
    const char *key;
    json_t *v;
    int kinds = 0;
    int rc;

    if (!json_is_object(rule)) {
        return bad(err, "spec.rules[%zu]: expected an object", i);
    }
    json_object_foreach((json_t *)rule, key, v) {
        if (strcmp(key, "values") == 0) {
            rc = check_values(v, i, err);
            if (rc < 0) {
                return rc;
            }
            kinds++;
        } else if (strcmp(key, "allowAll") == 0 ||
                   strcmp(key, "denyAll") == 0) {
            if (!json_is_boolean(v)) {
                return bad(err, "spec.rules[%zu].%s: expected true or "
                           "false", i, key);
            }
            kinds++;
        } else if (strcmp(key, "enforce") == 0) {
            return bad(err, "spec.rules[%zu].enforce: only for boolean "
                       "constraints; " VOUCH_PLATFORM_CONSTRAINT " is a "
                       "list constraint (use values.allowedValues)", i);
        } else if (strcmp(key, "condition") == 0) {
            return bad(err, "spec.rules[%zu].condition: conditional rules "
                       "are not supported", i);
        } else {
            return bad(err, "spec.rules[%zu].%.100s: unknown field "
                       "(expected values, allowAll, denyAll)", i, key);
        }
    }
    if (kinds != 1) {
        return bad(err, "spec.rules[%zu]: set exactly one of values, "
                   "allowAll, denyAll", i);
    }
    return 0;
}

/* Validate the body; *reset says whether it resets the policy. */
static int check_body(const json_t *body, const char *name, bool *reset,
                      vouch_error *err)
{
    const char *key;
    json_t *v;
    int rc;

    *reset = false;
    json_object_foreach((json_t *)body, key, v) {
        if (strcmp(key, "name") == 0) {
            if (!json_is_string(v) || strcmp(json_string_value(v),
                                             name) != 0) {
                return bad(err, "name: must be %s (the policy of this URL)",
                           name);
            }
        } else if (strcmp(key, "etag") == 0) {
            if (!json_is_string(v)) {
                return bad(err, "etag: expected a string");
            }
        } else if (strcmp(key, "dryRunSpec") == 0) {
            return bad(err, "dryRunSpec: dry-run org policies are not "
                       "supported");
        } else if (strcmp(key, "spec") != 0) {
            return bad(err, "%.100s: unknown field (expected name, spec, "
                       "etag)", key);
        }
    }
    json_t *spec = json_object_get(body, "spec");
    if (!json_is_object(spec)) {
        return bad(err, "spec: required, an object with rules or "
                   "\"reset\": true");
    }
    json_object_foreach(spec, key, v) {
        if (strcmp(key, "rules") == 0) {
            size_t i;
            json_t *rule;
            if (!json_is_array(v)) {
                return bad(err, "spec.rules: expected an array");
            }
            json_array_foreach(v, i, rule) {
                rc = check_rule(rule, i, err);
                if (rc < 0) {
                    return rc;
                }
            }
        } else if (strcmp(key, "reset") == 0 ||
                   strcmp(key, "inheritFromParent") == 0) {
            if (!json_is_boolean(v)) {
                return bad(err, "spec.%s: expected true or false", key);
            }
        } else if (strcmp(key, "etag") != 0 &&
                   strcmp(key, "updateTime") != 0) {
            return bad(err, "spec.%.100s: unknown field (expected rules, "
                       "reset, inheritFromParent)", key);
        }
    }
    *reset = json_is_true(json_object_get(spec, "reset"));
    if (*reset && json_array_size(json_object_get(spec, "rules")) > 0) {
        return bad(err, "spec.reset: true cannot be combined with rules");
    }
    return 0;
}

static int admin_entry(vouch_platform_ctx *ctx, const char *project,
                       const char *method, const char *name,
                       const json_t *request, const json_t *response,
                       vouch_error *err)
{
    return vsvc__audit_admin_json(ctx->uow, project,
                                  VOUCH_AUDIT_SERVICE_ORGPOLICY, method, name,
                                  request, response, NULL, err);
}

int vouch_platform_orgpolicy_get(vouch_platform_ctx *ctx,
                                 const char *project, json_t **out,
                                 vouch_error *err)
{
    char name[VSVC_NAME_MAX];

    policy_name(name, sizeof(name), project);
    return plat_load(ctx->conn, VOUCH_PLATFORM_KIND_ORGPOLICY, name, out,
                     err);
}

/* A set or reset of the policy. */
typedef struct orgpolicy_call {
    const char *project;
    char name[VSVC_NAME_MAX];
    json_t *req;
    bool reset;
    bool create;     /* ECONFLICT when a policy is set */
} orgpolicy_call;

/* The policy to store (rules) or to answer (reset). */
static json_t *policy_of(const orgpolicy_call *c, const char *etag,
                         const char *now)
{
    json_t *rules;
    json_t *copy;

    if (c->reset) {
        return json_pack("{s:s,s:{s:b,s:s,s:s}}", "name", c->name, "spec",
                         "reset", 1, "etag", etag, "updateTime", now);
    }
    rules = json_object_get(json_object_get(c->req, "spec"), "rules");
    copy = rules != NULL ? json_deep_copy(rules) : json_array();
    return copy != NULL
               ? json_pack("{s:s,s:s,s:{s:o,s:s,s:s}}", "name", c->name,
                           "etag", etag, "spec", "rules", copy, "etag",
                           etag, "updateTime", now)
               : NULL;
}

/* Store the rules, or (a reset) delete what is stored. */
static int write_policy(vouch_platform_ctx *ctx, const orgpolicy_call *c,
                        const json_t *current, const json_t *stored,
                        char *etag, const char *now, vouch_error *err)
{
    char parent[VSVC_NAME_MAX];
    vouch_resource r;
    char *text;
    int rc;

    if (c->reset) {
        return current == NULL
                   ? 0
                   : vouch_store_delete(ctx->conn,
                                        VOUCH_PLATFORM_KIND_ORGPOLICY,
                                        c->name, NULL, err);
    }
    text = json_dumps(stored, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        return plat_enomem(err);
    }
    vsvc_project_name(parent, sizeof(parent), c->project);
    r = vsvc__resource(VOUCH_PLATFORM_KIND_ORGPOLICY, c->name, parent, text,
                       etag, now, now);
    rc = vouch_store_replace(ctx->conn, &r, NULL, true, err);
    free(text);
    return rc;
}

static int set_unit(vouch_platform_ctx *ctx, void *payload, json_t **out,
                    vouch_error *err)
{
    orgpolicy_call *c = payload;
    json_t *current = NULL;
    json_t *stored = NULL;
    char etag[VUTIL_ETAG_SIZE];
    char now[VUTIL_RFC3339_SIZE];
    int rc;

    rc = plat_load(ctx->conn, VOUCH_PLATFORM_KIND_ORGPOLICY, c->name,
                   &current, err);
    if (rc < 0 && rc != VOUCH_ENOTFOUND) {
        return rc;
    }
    if (c->create && current != NULL) {
        json_decref(current);
        return vutil_error_set(err, VOUCH_ECONFLICT, NULL, 0, 0,
                               "policy %s already exists; update it with "
                               "PATCH",
                               c->name);
    }
    rc = plat_etag_check(json_string_value(json_object_get(c->req, "etag")),
                         current, "policy", c->name, err);
    if (rc == 0) {
        rc = vsvc__stamp_write(etag, now, err);
    }
    if (rc == 0) {
        stored = policy_of(c, etag, now);
        rc = stored != NULL ? 0 : plat_enomem(err);
    }
    if (rc == 0) {
        rc = write_policy(ctx, c, current, stored, etag, now, err);
    }
    if (rc == 0) {
        rc = admin_entry(ctx, c->project,
                         VOUCH_AUDIT_METHOD_ORG_UPDATE_POLICY, c->name,
                         c->req, stored, err);
    }
    if (rc == 0) {
        *out = stored;
        stored = NULL;
    }
    json_decref(stored);
    json_decref(current);
    return rc;
}

/* Set (or create) the policy from `body`: its checks, then one unit. */
static int orgpolicy_write(vouch_platform_ctx *ctx, const char *project,
                           const char *body, size_t len, bool create,
                           json_t **out, vouch_error *err)
{
    orgpolicy_call c;
    int rc;

    *out = NULL;
    memset(&c, 0, sizeof(c));
    c.project = project;
    c.create = create;
    policy_name(c.name, sizeof(c.name), project);
    rc = plat_parse_body(body, len, false, &c.req, err);
    if (rc == 0) {
        rc = check_body(c.req, c.name, &c.reset, err);
    }
    if (rc == 0) {
        rc = plat_unit_run(ctx, NULL, set_unit, &c, out, err);
    }
    json_decref(c.req);
    return rc;
}

int vouch_platform_orgpolicy_set(vouch_platform_ctx *ctx,
                                 const char *project, const char *body,
                                 size_t len, json_t **out, vouch_error *err)
{
    return orgpolicy_write(ctx, project, body, len, false, out, err);
}

int vouch_platform_orgpolicy_create(vouch_platform_ctx *ctx,
                                    const char *project, const char *body,
                                    size_t len, json_t **out,
                                    vouch_error *err)
{
    return orgpolicy_write(ctx, project, body, len, true, out, err);
}

static int delete_unit(vouch_platform_ctx *ctx, void *payload, json_t **out,
                       vouch_error *err)
{
    orgpolicy_call *c = payload;
    int rc;

    rc = vouch_store_delete(ctx->conn, VOUCH_PLATFORM_KIND_ORGPOLICY,
                            c->name, NULL, err);
    if (rc == VOUCH_ENOTFOUND) {
        return vutil_error_set(err, VOUCH_ENOTFOUND, NULL, 0, 0,
                               "policy %s not found", c->name);
    }
    if (rc == 0) {
        rc = admin_entry(ctx, c->project, ORG_DELETE_METHOD, c->name, NULL,
                         NULL, err);
    }
    if (rc == 0) {
        *out = json_object();
        rc = *out != NULL ? 0 : plat_enomem(err);
    }
    return rc;
}

int vouch_platform_orgpolicy_delete(vouch_platform_ctx *ctx,
                                    const char *project, vouch_error *err)
{
    orgpolicy_call c = { .project = project };
    json_t *done = NULL;

    policy_name(c.name, sizeof(c.name), project);
    int rc = plat_unit_run(ctx, NULL, delete_unit, &c, &done, err);
    json_decref(done);
    return rc;
}

static bool in_values(const json_t *rules, const char *list,
                      const char *value)
{
    size_t i;
    json_t *rule;

    json_array_foreach(rules, i, rule) {
        json_t *vals = json_object_get(json_object_get(rule, "values"),
                                       list);
        size_t k;
        json_t *e;
        json_array_foreach(vals, k, e) {
            const char *s = json_string_value(e);
            if (strncmp(s, "is:", 3) == 0) {
                s += 3;
            }
            if (value != NULL && strcmp(s, value) == 0) {
                return true;
            }
        }
    }
    return false;
}

static bool any_values(const json_t *rules, const char *list)
{
    size_t i;
    json_t *rule;

    json_array_foreach(rules, i, rule) {
        if (json_array_size(json_object_get(json_object_get(rule, "values"),
                                            list)) > 0) {
            return true;
        }
    }
    return false;
}

static bool any_flag(const json_t *rules, const char *flag)
{
    size_t i;
    json_t *rule;

    json_array_foreach(rules, i, rule) {
        if (json_is_true(json_object_get(rule, flag))) {
            return true;
        }
    }
    return false;
}

int plat_orgpolicy_check(vouch_platform_ctx *ctx, const char *project,
                         const plat_binauthz *ba, const char *method,
                         vouch_error *err)
{
    json_t *pol = NULL;
    bool allowed;
    int rc;

    rc = vouch_platform_orgpolicy_get(ctx, project, &pol, err);
    if (rc == VOUCH_ENOTFOUND) {
        return 0;
    }
    if (rc < 0) {
        return rc;
    }
    json_t *rules = json_object_get(json_object_get(pol, "spec"), "rules");
    const char *value = ba->value;
    if (any_flag(rules, "allowAll")) {
        allowed = true;
    } else if (any_flag(rules, "denyAll")) {
        allowed = false;
    } else if (in_values(rules, "deniedValues", value)) {
        allowed = false;
    } else if (any_values(rules, "allowedValues")) {
        allowed = in_values(rules, "allowedValues", value);
    } else {
        allowed = true;
    }
    json_decref(pol);
    if (allowed) {
        return 0;
    }
    return vutil_error_set(err, VOUCH_EPRECONDITION, NULL, 0, 0,
                           "Constraint constraints/"
                           VOUCH_PLATFORM_CONSTRAINT " violated for "
                           "attempting %s with annotation \""
                           VOUCH_PLATFORM_BINAUTHZ_ANNOTATION "\" set to "
                           "%s.",
                           method, value != NULL ? value : "null");
}
