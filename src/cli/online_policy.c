/*
 * `vouch policy import FILE` and `vouch policy export`: gcloud's
 * `container binauthz policy import|export` against vouchd (GetPolicy and
 * UpdatePolicy, docs/api.md). The file is
 * checked locally first, so its errors carry FILE:LINE:COL; the policy is
 * then sent as a whole (UpdatePolicy replaces it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* The project whose policy is meant: --project, else the file's name. */
static int target_project(const cli_globals *g, const vouch_policy *policy,
                          const char *path, char *buf, size_t size)
{
    const char *name = policy != NULL ? vouch_policy_name(policy) : NULL;
    int rc = client_project_of(g, name, buf, size);

    if (rc == CLI_OK && buf[0] == '\0') {
        return cli_fail("%s: the policy has no name; give --project (or "
                        "VOUCH_PROJECT)", path != NULL ? path : "policy");
    }
    return rc;
}

static const cli_spec import_spec = {
    "vouch policy import", "FILE", 1, 1, false, NULL,
    "Replace the policy on vouchd with FILE (YAML or JSON, as 'gcloud "
    "container binauthz policy export' writes it; '-' reads standard "
    "input). The file is validated first. The project is --project, else "
    "the one in the file's name. An etag in the file makes the import fail "
    "if the policy changed since it was exported. Prints the stored "
    "policy.",
};

int cmd_policy_import(int argc, char **argv, cli_globals *g)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_policy *policy = NULL;
    const char *path;
    cli_list file;
    char project[256];
    char name[300];
    char *text = NULL;
    size_t text_len = 0;
    json_error_t jerr;
    json_t *body = NULL;
    json_t *result = NULL;
    client *c = NULL;
    int rc;

    rc = cli_parse(&import_spec, argc, argv, g, NULL, &file);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    path = file.items[0];
    rc = cli_load_policy(path, NULL, &policy);
    if (rc != CLI_OK) {
        return rc;
    }
    rc = target_project(g, policy, path, project, sizeof(project));
    if (rc != CLI_OK) {
        goto cleanup;
    }
    snprintf(name, sizeof(name), "projects/%s/policy", project);
    {
        const char *old = vouch_policy_name(policy);
        bool other = old != NULL && strcmp(old, name) != 0;

        /* Another project's export: its etag means nothing here. */
        if (vouch_policy_set_output_fields(policy, name, other ? "" : NULL,
                                           NULL, &err) < 0) {
            rc = cli_fail_error(&err);
            goto cleanup;
        }
    }
    if (vouch_policy_print(policy, VOUCH_FORMAT_JSON, &text, &text_len,
                           &err) < 0) {
        rc = cli_fail_error(&err);
        goto cleanup;
    }
    body = json_loadb(text, text_len, 0, &jerr);
    if (body == NULL) {
        rc = cli_fail("cannot re-read the policy: %s", jerr.text);
        goto cleanup;
    }
    rc = client_new(&c, g);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    rc = client_call_name(c, "PUT", name, body, &result);
    if (rc == CLI_OK) {
        cli_note("Imported the policy of project [%s].", project);
        rc = client_print(g, result, VOUCH_FORMAT_YAML,
                          CLIENT_POLICY);
    }

cleanup:
    json_decref(body);
    json_decref(result);
    client_free(c);
    vouch_free(text);
    vouch_policy_free(policy);
    return rc;
}

static const cli_spec export_spec = {
    "vouch policy export", NULL, 0, 0, false, NULL,
    "Print the policy stored on vouchd as 'gcloud container binauthz policy "
    "export' does (YAML, keys sorted; --format json for the REST JSON). A "
    "project that never wrote one has the default policy. The output can be "
    "edited and given to 'vouch policy import'.",
};

int cmd_policy_export(int argc, char **argv, cli_globals *g)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char project[256];
    char name[300];
    char *json = NULL;
    char *text = NULL;
    size_t len = 0;
    json_t *result = NULL;
    client *c = NULL;
    bool as_text = false;
    int format;
    int rc;

    rc = cli_parse(&export_spec, argc, argv, g, NULL, NULL);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    format = cli_output_format(g, VOUCH_FORMAT_YAML, true, &as_text);
    if (format < 0) {
        return CLI_USAGE;
    }
    if (g->project == NULL || g->project[0] == '\0') {
        return cli_fail("policy export needs --project (or VOUCH_PROJECT)");
    }
    rc = target_project(g, NULL, NULL, project, sizeof(project));
    if (rc == CLI_OK) {
        rc = client_new(&c, g);
    }
    if (rc != CLI_OK) {
        goto cleanup;
    }
    snprintf(name, sizeof(name), "projects/%s/policy", project);
    rc = client_call_name(c, "GET", name, NULL, &result);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    json = json_dumps(result, JSON_COMPACT);
    if (json == NULL) {
        rc = cli_fail("out of memory");
        goto cleanup;
    }
    if (client_reprint(CLIENT_POLICY, json, "server policy",
                       (vouch_format)format, &text, &len, &err) < 0) {
        rc = cli_fail_error(&err);
        goto cleanup;
    }
    rc = cli_write_doc(text, len, (vouch_format)format);

cleanup:
    vouch_free(text);
    free(json);
    json_decref(result);
    client_free(c);
    return rc;
}
