/*
 * What the `vouch run` commands share (run.h): names and ids, the flags
 * that change a service's or a job's spec, and long-running operations.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run.h"

const char *const run_kind_word[] = {
    "service", "revision", "job", "execution",
};
const char *const run_kind_collection[] = {
    "services", "revisions", "jobs", "executions",
};
const char *const run_kind_arg[] = {
    "SERVICE", "REVISION", "JOB", "EXECUTION",
};
const char *const run_kind_parent_flag[] = {
    NULL, "--service", NULL, "--job",
};

/* ---- names ---- */

static bool id_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 63 || !islower((unsigned char)s[0])) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (!islower(ch) && !isdigit(ch) && ch != '-') {
            return false;
        }
    }
    return s[n - 1] != '-';
}

int run_check_id(const char *what, const char *id)
{
    if (id == NULL) {
        return cli_fail("%s is required", what);
    }
    if (!id_ok(id)) {
        return cli_fail("%s: '%s' is not a valid id: 1 to 63 of a-z 0-9 -, "
                        "starting with a letter, not ending with '-'",
                        what, id);
    }
    return CLI_OK;
}

int run_loc_init(const cli_globals *g, run_loc *loc)
{
    loc->region = g->region;
    if (loc->region == NULL || loc->region[0] == '\0') {
        loc->region = RUN_DEFAULT_REGION;
    }
    if (g->project == NULL || g->project[0] == '\0') {
        return cli_fail("needs --project (or VOUCH_PROJECT)");
    }
    for (const char *p = g->project; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
            *p != '.' && *p != '~') {
            return cli_fail("--project: '%s' is not a valid project id",
                            g->project);
        }
    }
    if (!id_ok(loc->region)) {
        return cli_fail("--region: '%s' is not a valid region (e.g. %s)",
                        loc->region, RUN_DEFAULT_REGION);
    }
    if ((size_t)snprintf(loc->prefix, sizeof(loc->prefix),
                         "projects/%s/locations/%s", g->project,
                         loc->region) >= sizeof(loc->prefix)) {
        return cli_fail("--project: too long");
    }
    return CLI_OK;
}

/*
 * The parent id of a revision ("web-00002-abc" -> "web") or an execution
 * ("job-x7k2p" -> "job"): the name without its last `drop` segments.
 */
static int parent_of(const char *id, int drop, char *buf, size_t size)
{
    size_t n = strlen(id);

    while (drop-- > 0) {
        while (n > 0 && id[n - 1] != '-') {
            n--;
        }
        if (n == 0) {
            return -1;
        }
        n--;
    }
    if (n == 0 || n >= size) {
        return -1;
    }
    memcpy(buf, id, n);
    buf[n] = '\0';
    return 0;
}

int run_kind_name(run_kind kind, const run_loc *loc, const char *id,
                  const char *parent, char *buf, size_t size)
{
    const char *pflag = run_kind_parent_flag[kind];
    char derived[128];
    int rc;

    rc = run_check_id(run_kind_arg[kind], id);
    if (rc != CLI_OK) {
        return rc;
    }
    if (pflag == NULL) {
        snprintf(buf, size, "%s/%s/%s", loc->prefix,
                 run_kind_collection[kind], id);
        return CLI_OK;
    }
    if (parent == NULL) {
        if (parent_of(id, kind == RUN_REVISION ? 2 : 1, derived,
                      sizeof(derived)) != 0) {
            return cli_fail("cannot tell the %s of %s '%s'; give %s",
                            pflag + 2, run_kind_word[kind], id, pflag);
        }
        parent = derived;
    }
    rc = run_check_id(pflag, parent);
    if (rc != CLI_OK) {
        return rc;
    }
    snprintf(buf, size, "%s/%s/%s/%s/%s", loc->prefix,
             kind == RUN_REVISION ? "services" : "jobs", parent,
             run_kind_collection[kind], id);
    return CLI_OK;
}

const char *run_str(const json_t *object, const char *key,
                    const char *fallback)
{
    const char *s = json_string_value(json_object_get(object, key));

    return s != NULL ? s : fallback;
}

/* ---- spec flags: --image, --binary-authorization, --breakglass ---- */

int run_spec_check(const run_spec *s)
{
    if (s->binauthz != NULL && strcmp(s->binauthz, "default") != 0) {
        return cli_fail("--binary-authorization: only 'default' is "
                        "supported, not '%s'", s->binauthz);
    }
    if (s->breakglass != NULL && s->breakglass[0] == '\0') {
        return cli_fail("--breakglass needs a justification");
    }
    if (s->clear_binauthz && s->binauthz != NULL) {
        return cli_fail("--binary-authorization and "
                        "--clear-binary-authorization cannot be combined");
    }
    if (s->clear_binauthz && s->breakglass != NULL) {
        return cli_fail("--breakglass needs Binary Authorization; it cannot "
                        "be combined with --clear-binary-authorization");
    }
    return CLI_OK;
}

json_t *run_child_object(json_t *parent, const char *key)
{
    json_t *v = json_object_get(parent, key);

    if (json_is_object(v)) {
        return v;
    }
    v = json_object();
    if (v == NULL || json_object_set_new(parent, key, v) != 0) {
        return NULL;
    }
    return v;
}

/* binaryAuthorization of `owner` from the flags. */
static int apply_binauthz(const run_spec *s, json_t *owner)
{
    json_t *ba = json_object_get(owner, "binaryAuthorization");

    if (s->clear_binauthz) {
        json_object_del(owner, "binaryAuthorization");
        ba = NULL;
    } else if (s->binauthz != NULL) {
        ba = json_pack("{s:b}", "useDefault", 1);
        if (ba == NULL ||
            json_object_set_new(owner, "binaryAuthorization", ba) != 0) {
            return cli_fail("out of memory");
        }
    }
    if (ba != NULL) {
        json_object_del(ba, "breakglassJustification");
        if (json_object_size(ba) == 0) {
            json_object_del(owner, "binaryAuthorization");
        }
    }
    if (s->breakglass == NULL) {
        return CLI_OK;
    }
    ba = run_child_object(owner, "binaryAuthorization");
    if (ba == NULL) {
        return cli_fail("out of memory");
    }
    if (json_object_set_new(ba, "breakglassJustification",
                            json_string(s->breakglass)) != 0) {
        return cli_fail("--breakglass: not valid UTF-8");
    }
    return CLI_OK;
}

int run_spec_apply(const run_spec *s, json_t *owner, json_t *tpl)
{
    json_t *containers;
    int rc = apply_binauthz(s, owner);

    if (rc != CLI_OK || s->images.count == 0) {
        return rc;
    }
    containers = json_object_get(tpl, "containers");
    if (!json_is_array(containers)) {
        containers = json_array();
        if (containers == NULL ||
            json_object_set_new(tpl, "containers", containers) != 0) {
            return cli_fail("out of memory");
        }
    }
    /* Container i keeps its other settings; extra ones are dropped. */
    while (json_array_size(containers) > s->images.count) {
        json_array_remove(containers, json_array_size(containers) - 1);
    }
    for (size_t i = 0; i < s->images.count; i++) {
        json_t *ctr = json_array_get(containers, i);

        if (!json_is_object(ctr)) {
            ctr = json_object();
            if (ctr == NULL || json_array_append_new(containers, ctr) != 0) {
                return cli_fail("out of memory");
            }
        }
        if (json_object_set_new(ctr, "image",
                                json_string(s->images.items[i])) != 0) {
            return cli_fail("--image '%s': not valid UTF-8",
                            s->images.items[i]);
        }
    }
    return CLI_OK;
}

/* ---- operations ---- */

int run_wait_operation(client *c, json_t **op)
{
    const char *timeout = getenv("VOUCH_TIMEOUT");
    long limit = 600;
    struct timespec pause = {0, 200000000L};
    time_t start = time(NULL);

    if (timeout != NULL && timeout[0] != '\0') {
        long v = strtol(timeout, NULL, 10);

        if (v > 0) {
            limit = v;
        }
    }
    while (!json_is_true(json_object_get(*op, "done"))) {
        const char *name = json_string_value(json_object_get(*op, "name"));
        char path[RUN_NAME_MAX + 8];
        json_t *next = NULL;
        int rc;

        if (name == NULL || strncmp(name, "projects/", 9) != 0 ||
            strlen(name) > RUN_NAME_MAX) {
            return cli_fail("the server answered an operation without a "
                            "name");
        }
        if (time(NULL) - start > limit) {
            return cli_fail("operation %s is still running after %ld "
                            "seconds (VOUCH_TIMEOUT)", name, limit);
        }
        nanosleep(&pause, NULL);
        snprintf(path, sizeof(path), "/v2/%s", name);
        rc = client_call(c, "GET", path, NULL, NULL, &next);
        if (rc != CLI_OK) {
            return rc;
        }
        json_decref(*op);
        *op = next;
    }
    return CLI_OK;
}

int run_operation_result(const json_t *op)
{
    const json_t *error = json_object_get(op, "error");
    const char *message;

    if (error == NULL) {
        return CLI_OK;
    }
    message = json_string_value(json_object_get(error, "message"));
    cli_fail("%s", message != NULL && message[0] != '\0'
                       ? message
                       : "the operation failed without a message");
    return CLI_DENIED;
}

int run_change(client *c, const char *method, const char *path,
               const char *id_param, const char *id, const json_t *body,
               json_t **op)
{
    int rc = id_param != NULL
                 ? client_create(c, path, id_param, id, body, op)
                 : client_call(c, method, path, NULL, body, op);

    if (rc == CLI_OK) {
        rc = run_wait_operation(c, op);
    }
    return rc == CLI_OK ? run_operation_result(*op) : rc;
}

int run_print_if_asked(const cli_globals *g, const json_t *resource)
{
    if (g->format == NULL || resource == NULL) {
        return CLI_OK;
    }
    return client_print(g, resource, VOUCH_FORMAT_YAML, CLIENT_GENERIC);
}
