/*
 * `vouch run deploy SERVICE`: create the service, or update it with a new
 * revision that is checked against the policy as it is now (run.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "run.h"

#define RUN_NONCE_ANNOTATION "client.knative.dev/nonce"

static const cli_flag deploy_flags[] = {
    RUN_IMAGE_FLAG("one container each: the first the ingress container, "
                   "the others sidecars"),
    RUN_BINAUTHZ_FLAGS,
    CLI_END,
};

static const cli_spec deploy_spec = {
    "vouch run deploy", "SERVICE", 1, 1, false, deploy_flags,
    "Create the service, or update it with a new revision; a new service "
    "needs at least one --image. --binary-authorization default turns "
    "Binary Authorization on (it stays on until "
    "--clear-binary-authorization). --breakglass TEXT deploys whatever the "
    "policy says, with an audit entry; it holds for this deploy only. Every "
    "deploy makes a new revision, checked against the current policy.\n"
    "\n"
    "Exit status: 0 deployed; 1 the revision was refused (the reason is "
    "printed); 2 usage or server error.",
};

/* gcloud's nonce: every deploy makes a new revision, even of the same
 * image (so that a deploy re-checks the image against today's policy). */
static int set_nonce(json_t *tpl)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char raw[10];
    char nonce[sizeof(raw) + 1];
    json_t *ann = run_child_object(tpl, "annotations");

    if (ann == NULL || RAND_bytes(raw, (int)sizeof(raw)) != 1) {
        return cli_fail("cannot make a revision nonce");
    }
    for (size_t i = 0; i < sizeof(raw); i++) {
        nonce[i] = letters[raw[i] % (sizeof(letters) - 1)];
    }
    nonce[sizeof(raw)] = '\0';
    if (json_object_set_new(ann, RUN_NONCE_ANNOTATION, json_string(nonce)) !=
        0) {
        return cli_fail("out of memory");
    }
    return CLI_OK;
}

/* Is `name` among the services listed at `path`? (A GET of a missing
 * service would print the server's NOT_FOUND.) */
static int find_service(client *c, const char *path, const char *name,
                        json_t **out)
{
    json_t *all = NULL;
    size_t i;
    json_t *item;
    int rc;

    *out = NULL;
    rc = client_list_all(c, path, NULL, "services", &all);
    json_array_foreach(all, i, item) {
        if (strcmp(run_str(item, "name", ""), name) == 0) {
            *out = json_incref(item);
            break;
        }
    }
    json_decref(all);
    return rc;
}

/* The service to send: the one that exists with the flags applied, or a
 * new one. */
static int deploy_body(const run_spec *spec, const char *id, json_t **svc)
{
    json_t *tpl;
    int rc;

    if (*svc == NULL && spec->images.count == 0) {
        return cli_fail("service '%s' does not exist yet: deploying it "
                        "needs --image", id);
    }
    if (*svc == NULL) {
        *svc = json_object();
    }
    tpl = *svc != NULL ? run_child_object(*svc, "template") : NULL;
    if (tpl == NULL) {
        return cli_fail("out of memory");
    }
    /* A fixed revision name would collide with the one it made before. */
    json_object_del(tpl, "revision");
    rc = run_spec_apply(spec, *svc, tpl);
    return rc == CLI_OK ? set_nonce(tpl) : rc;
}

static void deployed(const cli_globals *g, const char *id, const json_t *op,
                     int *rc)
{
    const json_t *done = json_object_get(op, "response");
    const char *uri = run_str(done, "uri", NULL);

    cli_note("Service [%s] revision [%s] has been deployed.", id,
             client_name_id(run_str(done, "latestReadyRevision", "?")));
    if (uri != NULL) {
        cli_note("Service URL: %s", uri);
    }
    *rc = run_print_if_asked(g, done);
}

int run_deploy(int argc, char **argv, cli_globals *g)
{
    run_spec spec = RUN_SPEC_INIT;
    cli_list id;
    run_loc loc;
    char name[RUN_NAME_MAX + 64];
    char path[RUN_NAME_MAX + 80];
    client *c = NULL;
    json_t *svc = NULL;
    json_t *op = NULL;
    bool exists;
    int rc;

    rc = cli_parse(&deploy_spec, argc, argv, g, &spec, &id);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if ((rc = run_check_id("SERVICE", id.items[0])) != CLI_OK ||
        (rc = run_spec_check(&spec)) != CLI_OK ||
        (rc = run_loc_init(g, &loc)) != CLI_OK ||
        (rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    snprintf(name, sizeof(name), "%s/services/%s", loc.prefix, id.items[0]);
    snprintf(path, sizeof(path), "/v2/%s/services", loc.prefix);
    rc = find_service(c, path, name, &svc);
    exists = svc != NULL;
    if (rc == CLI_OK) {
        rc = deploy_body(&spec, id.items[0], &svc);
    }
    if (rc != CLI_OK) {
        goto cleanup;
    }
    cli_note("Deploying %sservice [%s] in project [%s] region [%s]",
             exists ? "" : "new ", id.items[0], g->project, loc.region);
    if (exists) {
        snprintf(path, sizeof(path), "/v2/%s", name);
    }
    rc = run_change(c, "PATCH", path, exists ? NULL : "serviceId",
                    id.items[0], svc, &op);
    if (rc == CLI_OK) {
        deployed(g, id.items[0], op, &rc);
    }

cleanup:
    json_decref(svc);
    json_decref(op);
    client_free(c);
    return rc;
}
