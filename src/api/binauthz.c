/*
 * vouchd — Binary Authorization v1 (spec/binauthz.md §1.6, §2, §3.7, §7):
 * the project policy, the system policy, attestors and
 * validateAttestationOccurrence. Bodies are parsed, validated and printed
 * by libvouch; this file adds the server's rules (names from the URL,
 * etags, references between resources).
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "server.h"

#define BODY "request body"

/*
 * Write the admin-activity audit entry of a change (spec §6.1) in the
 * request's transaction, so the change and its record commit together.
 * `response` is the resource as stored (text), or NULL. On failure the
 * error response is set and -1 returned: the change is rolled back.
 */
static int record_admin(api_request *req, const char *method,
                        const char *resource_name, const char *response)
{
    vouch_audit_admin_event ev;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *request = NULL;
    json_t *resp = NULL;
    json_t *entry = NULL;
    int rc;

    memset(&ev, 0, sizeof(ev));
    if (req->body != NULL && req->body_len > 0) {
        request = json_loadb(req->body, req->body_len, 0, NULL);
    }
    if (response != NULL) {
        resp = json_loads(response, 0, NULL);
    }
    ev.project = req->params[0];
    ev.method_name = method;
    ev.resource_name = resource_name;
    ev.request = request;
    ev.response = resp;
    rc = vouch_audit_admin_entry(&entry, &ev, &err);
    if (rc == 0) {
        rc = vouch_audit_record(req->conn, &req->audit, entry, &err);
    }
    json_decref(entry);
    json_decref(request);
    json_decref(resp);
    if (rc < 0) {
        api_respond_vouch_error(req, &err, "audit log");
        return -1;
    }
    return 0;
}

/* ---- policy ---- */

int api_get_policy(api_request *req)
{
    const char *project = req->params[0];
    vouch_resource r;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_policy *policy = NULL;
    char name[256];
    char *text = NULL;
    size_t len = 0;
    int rc;

    memset(&r, 0, sizeof(r));
    snprintf(name, sizeof(name), "projects/%s/policy", project);
    rc = vouch_store_get(req->conn, "policy", name, &r, &err);
    if (rc == 0) {
        rc = api_respond_stored(req, 200, &r);
        goto cleanup;
    }
    if (rc != VOUCH_ENOTFOUND) {
        rc = api_respond_vouch_error(req, &err, "store");
        goto cleanup;
    }
    /* Never written: the default policy of §1.6. */
    rc = vouch_policy_new_default(&policy, project, &err);
    if (rc == 0) {
        rc = vouch_policy_print(policy, VOUCH_FORMAT_JSON, &text, &len,
                                &err);
    }
    if (rc < 0) {
        rc = api_respond_vouch_error(req, &err, "default policy");
        goto cleanup;
    }
    rc = api_respond(req, 200, "application/json", text, len);

cleanup:
    vouch_free(text);
    vouch_policy_free(policy);
    vouch_resource_clear(&r);
    return rc;
}

/* The attestors found missing so far, as "PATH[i] NAME, ...". */
typedef struct missing_list {
    char text[900];
    size_t used;
    size_t count;
} missing_list;

/*
 * Look up each attestor `rule` requires; add the missing ones to `m`,
 * each named by its field path (`path` is the rule's). 0, or -1 after
 * responding to a store error.
 */
static int find_missing(api_request *req, const vouch_admission_rule *rule,
                        const char *path, missing_list *m)
{
    size_t n = rule != NULL ? vouch_admission_rule_attestor_count(rule) : 0;

    for (size_t i = 0; i < n; i++) {
        const char *name = vouch_admission_rule_attestor(rule, i);
        vouch_resource r;
        vouch_error err = VOUCH_ERROR_INIT;
        int rc;

        memset(&r, 0, sizeof(r));
        rc = vouch_store_get(req->conn, "attestor", name, &r, &err);
        vouch_resource_clear(&r);
        if (rc == VOUCH_ENOTFOUND) {
            int w = snprintf(m->text + m->used, sizeof(m->text) - m->used,
                             "%s%s.requireAttestationsBy[%zu] %s",
                             m->count > 0 ? ", " : "", path, i, name);
            if (w > 0 && (size_t)w < sizeof(m->text) - m->used) {
                m->used += (size_t)w;
            }
            m->count++;
        } else if (rc < 0) {
            api_respond_vouch_error(req, &err, "store");
            return -1;
        }
    }
    return 0;
}

/*
 * Every attestor a rule requires must exist (§1.2): the default rule's
 * and those of the GKE-only maps, which are stored even though Cloud Run
 * never consults them. Responds INVALID_ARGUMENT naming each missing one
 * by field path and returns 1; 0 when all exist; -1 after responding to a
 * store error.
 */
static int check_policy_attestors(api_request *req,
                                  const vouch_policy *policy)
{
    missing_list m;
    char path[400];

    memset(&m, 0, sizeof(m));
    if (find_missing(req, vouch_policy_default_rule(policy),
                     "defaultAdmissionRule", &m) < 0) {
        return -1;
    }
    for (int map = 0; map < VOUCH_RULE_MAP_COUNT; map++) {
        size_t n = vouch_policy_rule_map_count(policy, (vouch_rule_map)map);

        for (size_t i = 0; i < n; i++) {
            snprintf(path, sizeof(path), "%s[\"%s\"]",
                     vouch_rule_map_field((vouch_rule_map)map),
                     vouch_policy_rule_map_key(policy, (vouch_rule_map)map,
                                               i));
            if (find_missing(req,
                             vouch_policy_rule_map_rule(
                                 policy, (vouch_rule_map)map, i),
                             path, &m) < 0) {
                return -1;
            }
        }
    }
    if (m.count > 0) {
        api_respond_error(req, VOUCH_EINVAL,
                          "requireAttestationsBy: %s %s not exist: %s",
                          m.count == 1 ? "this attestor" : "these attestors",
                          m.count == 1 ? "does" : "do", m.text);
        return 1;
    }
    return 0;
}

int api_put_policy(api_request *req)
{
    const char *project = req->params[0];
    vouch_resource old;
    vouch_resource r;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_policy *policy = NULL;
    char name[256];
    char parent[256];
    char etag[32];
    char now[40];
    char *text = NULL;
    size_t len = 0;
    bool exists;
    int rc;

    memset(&old, 0, sizeof(old));
    snprintf(name, sizeof(name), "projects/%s/policy", project);
    snprintf(parent, sizeof(parent), "projects/%s", project);
    rc = vouch_policy_parse(&policy, req->body != NULL ? req->body : "",
                            req->body_len, VOUCH_FORMAT_JSON, BODY, &err);
    if (rc < 0) {
        rc = api_respond_vouch_error(req, &err, NULL);
        goto cleanup;
    }
    rc = check_policy_attestors(req, policy);
    if (rc != 0) {
        rc = 0;
        goto cleanup;
    }
    rc = vouch_store_get(req->conn, "policy", name, &old, &err);
    if (rc < 0 && rc != VOUCH_ENOTFOUND) {
        rc = api_respond_vouch_error(req, &err, "store");
        goto cleanup;
    }
    exists = rc == 0;
    const char *sent = vouch_policy_etag(policy);
    if (sent != NULL && sent[0] != '\0' &&
        (!exists || strcmp(sent, old.etag) != 0)) {
        rc = api_respond_error(req, VOUCH_EABORTED,
                               "etag: '%s' does not match the current "
                               "policy %s (%s); read it again and retry",
                               sent, name,
                               exists ? "it has changed"
                                      : "it was never written");
        goto cleanup;
    }
    api_new_etag(etag, sizeof(etag));
    api_now_rfc3339(now, sizeof(now));
    rc = vouch_policy_set_output_fields(policy, name, etag, now, &err);
    if (rc == 0) {
        rc = vouch_policy_print(policy, VOUCH_FORMAT_JSON, &text, &len,
                                &err);
    }
    if (rc < 0) {
        rc = api_respond_vouch_error(req, &err, NULL);
        goto cleanup;
    }
    r = api_resource_of("policy", name, parent, text, etag,
                        exists ? old.create_time : now, now);
    if (exists) {
        rc = vouch_store_replace(req->conn, &r, old.etag, false, &err);
    } else {
        rc = vouch_store_create(req->conn, &r, &err);
    }
    if (rc == VOUCH_ECONFLICT || rc == VOUCH_EABORTED) {
        rc = api_respond_error(req, VOUCH_EABORTED,
                               "policy %s changed while it was being "
                               "written; read it again and retry",
                               name);
        goto cleanup;
    }
    if (rc < 0) {
        rc = api_respond_vouch_error(req, &err, "store");
        goto cleanup;
    }
    if (record_admin(req, VOUCH_AUDIT_METHOD_UPDATE_POLICY, name, text) < 0) {
        rc = 0;
        goto cleanup;
    }
    rc = api_respond(req, 200, "application/json", text, len);

cleanup:
    vouch_free(text);
    vouch_policy_free(policy);
    vouch_resource_clear(&old);
    return rc;
}

int api_get_system_policy(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (strcmp(req->params[0], "global") != 0) {
        return api_respond_error(req, VOUCH_ENOTFOUND,
                                 "locations/%s/policy not found: the "
                                 "system policy is locations/global/policy",
                                 req->params[0]);
    }
    rc = vouch_policy_print(req->server->system_policy, VOUCH_FORMAT_JSON,
                            &text, &len, &err);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, "system policy");
    }
    rc = api_respond(req, 200, "application/json", text, len);
    vouch_free(text);
    return rc;
}

/* ---- attestors ---- */

static bool valid_id(const char *id)
{
    size_t n = 0;

    for (; id[n] != '\0'; n++) {
        char c = id[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
              c == '~') ||
            n >= API_ID_MAX) {
            return false;
        }
    }
    return n > 0;
}

/*
 * The note named by an attestor must exist. Responds and returns 1 when
 * it does not; -1 after a store error; 0 when it exists.
 */
static int check_note_exists(api_request *req, const char *note)
{
    vouch_resource r;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    if (note == NULL) {
        api_respond_error(req, VOUCH_EINVAL,
                          "userOwnedGrafeasNote.noteReference: required");
        return 1;
    }
    memset(&r, 0, sizeof(r));
    rc = vouch_store_get(req->conn, "note", note, &r, &err);
    vouch_resource_clear(&r);
    if (rc == VOUCH_ENOTFOUND) {
        api_respond_error(req, VOUCH_EINVAL,
                          "userOwnedGrafeasNote.noteReference: note %s does "
                          "not exist; create it first (POST /v1/.../notes"
                          "?noteId=...)",
                          note);
        return 1;
    }
    if (rc < 0) {
        api_respond_vouch_error(req, &err, "store");
        return -1;
    }
    return 0;
}

int api_create_attestor(api_request *req)
{
    const char *project = req->params[0];
    const char *id = api_query(req, "attestorId");
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_attestor *attestor = NULL;
    vouch_resource r;
    char name[320];
    char parent[256];
    char etag[32];
    char now[40];
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (id == NULL || id[0] == '\0') {
        return api_respond_error(req, VOUCH_EINVAL,
                                 "attestorId: required (POST "
                                 "/v1/projects/%s/attestors?attestorId=ID)",
                                 project);
    }
    if (!valid_id(id)) {
        return api_respond_error(req, VOUCH_EINVAL,
                                 "attestorId: '%.200s' is not a valid id: "
                                 "use 1 to %u of A-Z a-z 0-9 - _ . ~",
                                 id, API_ID_MAX);
    }
    snprintf(name, sizeof(name), "projects/%s/attestors/%s", project, id);
    snprintf(parent, sizeof(parent), "projects/%s", project);
    rc = vouch_attestor_parse(&attestor, req->body != NULL ? req->body : "",
                              req->body_len, VOUCH_FORMAT_JSON, BODY, &err);
    if (rc < 0) {
        rc = api_respond_vouch_error(req, &err, NULL);
        goto cleanup;
    }
    rc = check_note_exists(req, vouch_attestor_note_reference(attestor));
    if (rc != 0) {
        rc = 0;
        goto cleanup;
    }
    api_new_etag(etag, sizeof(etag));
    api_now_rfc3339(now, sizeof(now));
    rc = vouch_attestor_set_output_fields(attestor, name, etag, now, &err);
    if (rc == 0) {
        rc = vouch_attestor_print(attestor, VOUCH_FORMAT_JSON, &text, &len,
                                  &err);
    }
    if (rc < 0) {
        rc = api_respond_vouch_error(req, &err, NULL);
        goto cleanup;
    }
    r = api_resource_of("attestor", name, parent, text, etag, now, now);
    rc = vouch_store_create(req->conn, &r, &err);
    if (rc == VOUCH_ECONFLICT) {
        rc = api_respond_error(req, VOUCH_ECONFLICT,
                               "attestor %s already exists", name);
        goto cleanup;
    }
    if (rc < 0) {
        rc = api_respond_vouch_error(req, &err, "store");
        goto cleanup;
    }
    if (record_admin(req, VOUCH_AUDIT_METHOD_CREATE_ATTESTOR, name,
                     text) < 0) {
        rc = 0;
        goto cleanup;
    }
    rc = api_respond(req, 200, "application/json", text, len);

cleanup:
    vouch_free(text);
    vouch_attestor_free(attestor);
    return rc;
}

int api_get_attestor(api_request *req)
{
    vouch_resource r;
    char name[320];
    int rc;

    snprintf(name, sizeof(name), "projects/%s/attestors/%s", req->params[0],
             req->params[1]);
    if (api_get_or_respond(req, "attestor", name, &r) != 0) {
        return 0;
    }
    rc = api_respond_stored(req, 200, &r);
    vouch_resource_clear(&r);
    return rc;
}

int api_list_attestors(api_request *req)
{
    vouch_resource_query q;
    vouch_resource_page page;
    vouch_error err = VOUCH_ERROR_INIT;
    char parent[256];
    int rc;

    memset(&q, 0, sizeof(q));
    memset(&page, 0, sizeof(page));
    snprintf(parent, sizeof(parent), "projects/%s", req->params[0]);
    if (api_page_query(req, &q) < 0) {
        return 0;
    }
    q.kind = "attestor";
    q.parent = parent;
    rc = vouch_store_list(req->conn, &q, &page, &err);
    if (rc == VOUCH_EINVAL) {
        return api_respond_vouch_error(req, &err, "pageToken");
    }
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, "store");
    }
    rc = api_respond_page(req, "attestors", &page);
    vouch_resource_page_clear(&page);
    return rc;
}

static bool same_text(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

int api_update_attestor(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_attestor *attestor = NULL;
    vouch_attestor *current = NULL;
    vouch_resource old;
    vouch_resource r;
    char name[320];
    char etag[32];
    char now[40];
    char *text = NULL;
    size_t len = 0;
    int rc;

    memset(&old, 0, sizeof(old));
    snprintf(name, sizeof(name), "projects/%s/attestors/%s", req->params[0],
             req->params[1]);
    rc = vouch_attestor_parse(&attestor, req->body != NULL ? req->body : "",
                              req->body_len, VOUCH_FORMAT_JSON, BODY, &err);
    if (rc < 0) {
        rc = api_respond_vouch_error(req, &err, NULL);
        goto cleanup;
    }
    if (api_get_or_respond(req, "attestor", name, &old) != 0) {
        rc = 0;
        goto cleanup;
    }
    rc = vouch_attestor_parse(&current, old.json, strlen(old.json),
                              VOUCH_FORMAT_JSON, name, &err);
    if (rc < 0) {
        rc = api_respond_vouch_error(req, &err, "stored attestor");
        goto cleanup;
    }
    if (!same_text(vouch_attestor_note_reference(current),
                   vouch_attestor_note_reference(attestor))) {
        const char *want = vouch_attestor_note_reference(attestor);
        rc = api_respond_error(req, VOUCH_EINVAL,
                               "userOwnedGrafeasNote.noteReference: is "
                               "immutable: %s has %s, the request has %s",
                               name, vouch_attestor_note_reference(current),
                               want != NULL ? want : "none");
        goto cleanup;
    }
    const char *sent = vouch_attestor_etag(attestor);
    if (sent != NULL && sent[0] != '\0' && strcmp(sent, old.etag) != 0) {
        rc = api_respond_error(req, VOUCH_EABORTED,
                               "etag: '%s' does not match the current "
                               "attestor %s (it has changed); read it "
                               "again and retry",
                               sent, name);
        goto cleanup;
    }
    api_new_etag(etag, sizeof(etag));
    api_now_rfc3339(now, sizeof(now));
    rc = vouch_attestor_set_output_fields(attestor, name, etag, now, &err);
    if (rc == 0) {
        rc = vouch_attestor_print(attestor, VOUCH_FORMAT_JSON, &text, &len,
                                  &err);
    }
    if (rc < 0) {
        rc = api_respond_vouch_error(req, &err, NULL);
        goto cleanup;
    }
    r = api_resource_of("attestor", name, old.parent, text, etag,
                        old.create_time, now);
    rc = vouch_store_replace(req->conn, &r, old.etag, false, &err);
    if (rc == VOUCH_EABORTED) {
        rc = api_respond_error(req, VOUCH_EABORTED,
                               "attestor %s changed while it was being "
                               "written; read it again and retry",
                               name);
        goto cleanup;
    }
    if (rc < 0) {
        rc = api_respond_vouch_error(req, &err, "store");
        goto cleanup;
    }
    if (record_admin(req, VOUCH_AUDIT_METHOD_UPDATE_ATTESTOR, name,
                     text) < 0) {
        rc = 0;
        goto cleanup;
    }
    rc = api_respond(req, 200, "application/json", text, len);

cleanup:
    vouch_free(text);
    vouch_attestor_free(attestor);
    vouch_attestor_free(current);
    vouch_resource_clear(&old);
    return rc;
}

static bool rule_requires(const vouch_admission_rule *rule,
                          const char *attestor)
{
    size_t n = rule != NULL ? vouch_admission_rule_attestor_count(rule) : 0;

    for (size_t k = 0; k < n; k++) {
        if (strcmp(vouch_admission_rule_attestor(rule, k), attestor) == 0) {
            return true;
        }
    }
    return false;
}

/* Does any rule of `p` (the default one or a GKE-only map's) require
 * `attestor`? */
static bool policy_requires(const vouch_policy *p, const char *attestor)
{
    if (rule_requires(vouch_policy_default_rule(p), attestor)) {
        return true;
    }
    for (int map = 0; map < VOUCH_RULE_MAP_COUNT; map++) {
        size_t n = vouch_policy_rule_map_count(p, (vouch_rule_map)map);

        for (size_t i = 0; i < n; i++) {
            if (rule_requires(vouch_policy_rule_map_rule(
                                  p, (vouch_rule_map)map, i),
                              attestor)) {
                return true;
            }
        }
    }
    return false;
}

/*
 * Names of the stored policies any of whose rules requires `attestor`,
 * into `out` ("" when none). Returns 0, or a store error (err filled).
 */
static int policies_requiring(api_request *req, const char *attestor,
                              char *out, size_t size, vouch_error *err)
{
    vouch_resource_query q;
    vouch_resource_page page;
    char *token = NULL;
    size_t used = 0;
    int rc = 0;

    out[0] = '\0';
    memset(&q, 0, sizeof(q));
    q.kind = "policy";
    q.page_size = API_PAGE_SIZE_MAX;
    do {
        memset(&page, 0, sizeof(page));
        q.page_token = token;
        rc = vouch_store_list(req->conn, &q, &page, err);
        if (rc < 0) {
            goto cleanup;
        }
        for (size_t i = 0; i < page.count; i++) {
            vouch_policy *p = NULL;
            const char *json = page.items[i].json;
            if (vouch_policy_parse(&p, json, strlen(json), VOUCH_FORMAT_JSON,
                                   page.items[i].name, NULL) < 0) {
                continue;
            }
            if (policy_requires(p, attestor)) {
                int w = snprintf(out + used, size - used, "%s%s",
                                 used > 0 ? ", " : "", page.items[i].name);
                if (w > 0 && (size_t)w < size - used) {
                    used += (size_t)w;
                }
            }
            vouch_policy_free(p);
        }
        free(token);
        token = NULL;
        if (page.next_page_token != NULL) {
            token = strdup(page.next_page_token);
            if (token == NULL) {
                rc = VOUCH_ENOMEM;
            }
        }
        vouch_resource_page_clear(&page);
    } while (token != NULL);

cleanup:
    free(token);
    return rc;
}

int api_delete_attestor(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource old;
    char name[320];
    char users[700];
    int rc;

    snprintf(name, sizeof(name), "projects/%s/attestors/%s", req->params[0],
             req->params[1]);
    if (api_get_or_respond(req, "attestor", name, &old) != 0) {
        return 0;
    }
    vouch_resource_clear(&old);
    rc = policies_requiring(req, name, users, sizeof(users), &err);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, "store");
    }
    if (users[0] != '\0') {
        return api_respond_error(req, VOUCH_EPRECONDITION,
                                 "attestor %s is required by the policy "
                                 "%s (defaultAdmissionRule."
                                 "requireAttestationsBy); remove it from "
                                 "the policy first",
                                 name, users);
    }
    rc = vouch_store_delete(req->conn, "attestor", name, NULL, &err);
    if (rc < 0) {
        return api_respond_vouch_error(req, &err, "store");
    }
    if (record_admin(req, VOUCH_AUDIT_METHOD_DELETE_ATTESTOR, name,
                     NULL) < 0) {
        return 0;
    }
    return api_respond(req, 200, "application/json", "{}\n", 3);
}

/* ---- validateAttestationOccurrence (§3.7) ---- */

static int validation_result(api_request *req, const char *result,
                             const char *reason)
{
    json_t *root = json_pack("{s:s}", "result", result);
    int rc;

    if (root == NULL) {
        return api_respond_error(req, VOUCH_ENOMEM, "out of memory");
    }
    if (reason != NULL) {
        json_t *r = json_string(reason);
        if (r == NULL) {
            r = json_string("(reason is not valid UTF-8)");
        }
        json_object_set_new(root, "denialReason", r);
    }
    api_metrics_decision(req->server->metrics,
                         strcmp(result, "VERIFIED") == 0
                             ? "VERIFIED"
                             : "ATTESTATION_NOT_VERIFIABLE");
    rc = api_respond_json(req, 200, root);
    json_decref(root);
    return rc;
}

/*
 * An error from parsing the occurrence rebuilt from the request: its
 * positions mean nothing to the caller, and its top-level field names are
 * the occurrence's, so name the request's fields instead.
 */
static int rebuilt_occurrence_error(api_request *req, const vouch_error *err)
{
    static const struct {
        const char *occurrence;
        const char *request;
    } fields[] = {
        { "resourceUri", "occurrenceResourceUri" },
        { "noteName", "occurrenceNote" },
    };
    const char *msg = err->message;

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        size_t n = strlen(fields[i].occurrence);
        if (strncmp(msg, fields[i].occurrence, n) == 0 && msg[n] == ':') {
            return api_respond_error(req, err->code,
                                     BODY ": %s%s", fields[i].request,
                                     msg + n);
        }
    }
    return api_respond_error(req, err->code,
                             BODY ": %s", msg);
}

int api_validate_attestation(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_attestor *attestor = NULL;
    vouch_attestation *att = NULL;
    vouch_verify_cache *cache = NULL;
    uint64_t before = 0;
    vouch_resource stored;
    json_error_t jerr;
    json_t *body = NULL;
    json_t *occ = NULL;
    char *occ_text = NULL;
    char name[320];
    const char *key;
    json_t *value;
    int rc = 0;

    memset(&stored, 0, sizeof(stored));
    snprintf(name, sizeof(name), "projects/%s/attestors/%s", req->params[0],
             req->params[1]);
    body = json_loadb(req->body != NULL ? req->body : "", req->body_len,
                      JSON_REJECT_DUPLICATES, &jerr);
    if (body == NULL) {
        rc = api_respond_error(req, VOUCH_EINVAL,
                               BODY ":%d:%d: %s", jerr.line, jerr.column,
                               jerr.text);
        goto cleanup;
    }
    if (!json_is_object(body)) {
        rc = api_respond_error(req, VOUCH_EINVAL,
                               BODY ": expected a JSON object with "
                               "attestation, occurrenceNote and "
                               "occurrenceResourceUri");
        goto cleanup;
    }
    json_object_foreach(body, key, value) {
        if (strcmp(key, "attestation") != 0 &&
            strcmp(key, "occurrenceNote") != 0 &&
            strcmp(key, "occurrenceResourceUri") != 0) {
            rc = api_respond_error(req, VOUCH_EINVAL,
                                   "%.100s: unknown field (expected "
                                   "attestation, occurrenceNote, "
                                   "occurrenceResourceUri)",
                                   key);
            goto cleanup;
        }
    }
    json_t *attestation = json_object_get(body, "attestation");
    json_t *note = json_object_get(body, "occurrenceNote");
    json_t *uri = json_object_get(body, "occurrenceResourceUri");
    if (!json_is_object(attestation)) {
        rc = api_respond_error(req, VOUCH_EINVAL,
                               "attestation: required, an "
                               "AttestationOccurrence object");
        goto cleanup;
    }
    if (!json_is_string(note) || json_string_length(note) == 0) {
        rc = api_respond_error(req, VOUCH_EINVAL,
                               "occurrenceNote: required, "
                               "\"projects/*/notes/*\"");
        goto cleanup;
    }
    if (!json_is_string(uri) || json_string_length(uri) == 0) {
        rc = api_respond_error(req, VOUCH_EINVAL,
                               "occurrenceResourceUri: required, the image "
                               "by digest");
        goto cleanup;
    }
    /* No transaction (two PostgreSQL round trips saved): the attestors'
     * stamp before and after the read tells whether the verify cache
     * still matches the attestor read. */
    if (vouch_store_change_stamp(req->conn, "attestor", &before, &err) < 0) {
        before = UINT64_MAX;   /* never a stamp: verify without a cache */
    }
    if (api_get_or_respond(req, "attestor", name, &stored) != 0) {
        rc = 0;
        goto cleanup;
    }
    rc = vouch_attestor_parse(&attestor, stored.json, strlen(stored.json),
                              VOUCH_FORMAT_JSON, name, &err);
    if (rc < 0) {
        rc = api_respond_vouch_error(req, &err, "stored attestor");
        goto cleanup;
    }
    /* The occurrence the three fields describe, parsed by libvouch. */
    occ = json_pack("{s:s,s:O,s:O,s:O}", "kind", "ATTESTATION", "noteName",
                    note, "resourceUri", uri, "attestation", attestation);
    occ_text = occ != NULL ? json_dumps(occ, JSON_SORT_KEYS | JSON_INDENT(2))
                           : NULL;
    if (occ_text == NULL) {
        rc = api_respond_error(req, VOUCH_ENOMEM, "out of memory");
        goto cleanup;
    }
    rc = vouch_attestation_parse(&att, occ_text, strlen(occ_text),
                                 VOUCH_FORMAT_JSON, NULL, &err);
    if (rc < 0) {
        rc = rebuilt_occurrence_error(req, &err);
        goto cleanup;
    }
    const char *want = vouch_attestor_note_reference(attestor);
    if (!same_text(want, json_string_value(note))) {
        char reason[600];
        snprintf(reason, sizeof(reason),
                 "occurrenceNote %s is not the note of attestor %s (%s)",
                 json_string_value(note), name,
                 want != NULL ? want : "none");
        rc = validation_result(req, "ATTESTATION_NOT_VERIFIABLE", reason);
        goto cleanup;
    }
    const char *digest = vouch_attestation_resource_digest(att);
    if (digest == NULL) {
        char reason[600];
        snprintf(reason, sizeof(reason),
                 "occurrenceResourceUri %s does not name an image by "
                 "digest (IMAGE@sha256:...)",
                 json_string_value(uri));
        rc = validation_result(req, "ATTESTATION_NOT_VERIFIABLE", reason);
        goto cleanup;
    }
    api_verify_cache_acquire(req, &before, &cache);
    rc = vouch_attestation_verify(att, attestor, digest, cache, &err);
    api_verify_cache_release(req);
    if (rc == 0) {
        rc = validation_result(req, "VERIFIED", NULL);
    } else if (rc == VOUCH_ECRYPTO) {
        rc = validation_result(req, "ATTESTATION_NOT_VERIFIABLE",
                               err.message);
    } else {
        rc = api_respond_vouch_error(req, &err, "verify");
    }

cleanup:
    free(occ_text);
    json_decref(occ);
    json_decref(body);
    vouch_attestation_free(att);
    vouch_attestor_free(attestor);
    vouch_resource_clear(&stored);
    return rc;
}
