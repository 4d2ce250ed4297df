/*
 * `vouch run …`: the run platform of vouchd (Cloud Run Admin API v2,
 * docs/run.md) from the command line, with gcloud's command and flag
 * names: `run deploy`, `run services|revisions|jobs|executions …`.
 *
 * Exit status: 0 success; 1 when the platform refused the revision or the
 * execution (Binary Authorization denied it, or it could not be checked,
 * or an execution waited for with --wait failed): the operation's message
 * is printed as "vouch: <message>"; 2 for a usage error, an error answered
 * by the server (its message is printed), or a server that cannot be
 * reached.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "client.h"

#define RUN_NAME_MAX 700
#define RUN_MAX_IMAGES 10
#define RUN_DEFAULT_REGION "us-central1"
#define RUN_NONCE_ANNOTATION "client.knative.dev/nonce"

/* Where a command works: --project, --region and the location prefix. */
typedef struct run_loc {
    char prefix[RUN_NAME_MAX];  /* projects/P/locations/R */
} run_loc;

/* Flags of deploy, jobs create and jobs update. */
typedef struct run_spec {
    const char *images[RUN_MAX_IMAGES];
    size_t n_images;
    const char *binauthz;       /* --binary-authorization (only "default") */
    const char *breakglass;     /* --breakglass TEXT */
    const char *tasks;          /* jobs: --tasks N */
    bool clear_binauthz;        /* --clear-binary-authorization */
} run_spec;

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

/* SERVICE, JOB, REVISION or EXECUTION: an id safe in a URL path. */
static int check_id(const char *what, const char *id)
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

static int run_loc_init(const cli_globals *g, run_loc *loc)
{
    const char *region = g->region;

    if (region == NULL || region[0] == '\0') {
        region = RUN_DEFAULT_REGION;
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
    if (!id_ok(region)) {
        return cli_fail("--region: '%s' is not a valid region (e.g. %s)",
                        region, RUN_DEFAULT_REGION);
    }
    if ((size_t)snprintf(loc->prefix, sizeof(loc->prefix),
                         "projects/%s/locations/%s", g->project, region) >=
        sizeof(loc->prefix)) {
        return cli_fail("--project: too long");
    }
    return CLI_OK;
}

/*
 * The parent id of a revision ("web-00002-abc" → "web") or an execution
 * ("job-x7k2p" → "job"): the name without its last `drop` segments.
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

/* ---- shared helpers ---- */

static const char *state_word(const json_t *cond)
{
    const char *state = json_string_value(json_object_get(cond, "state"));

    if (state == NULL) {
        return "Unknown";
    }
    if (strcmp(state, "CONDITION_SUCCEEDED") == 0) {
        return "True";
    }
    if (strcmp(state, "CONDITION_FAILED") == 0) {
        return "False";
    }
    return "Unknown";
}

/* The condition of `type` in conditions[], or NULL. */
static const json_t *condition(const json_t *resource, const char *type)
{
    const json_t *conds = json_object_get(resource, "conditions");
    size_t i;
    json_t *c;

    json_array_foreach(conds, i, c) {
        const char *t = json_string_value(json_object_get(c, "type"));

        if (t != NULL && strcmp(t, type) == 0) {
            return c;
        }
    }
    return NULL;
}

static const char *str_or(const json_t *v, const char *fallback)
{
    const char *s = json_string_value(v);

    return s != NULL ? s : fallback;
}

/* Is `name` among the `key` resources listed at `path`? (A GET of a
 * missing resource would print the server's NOT_FOUND.) */
static int find_named(client *c, const char *path, const char *key,
                      const char *name, json_t **out)
{
    json_t *all = NULL;
    size_t i;
    json_t *item;
    int rc;

    *out = NULL;
    rc = client_list_all(c, path, NULL, key, &all);
    if (rc != CLI_OK) {
        return rc;
    }
    json_array_foreach(all, i, item) {
        const char *n = json_string_value(json_object_get(item, "name"));

        if (n != NULL && strcmp(n, name) == 0) {
            *out = json_incref(item);
            break;
        }
    }
    json_decref(all);
    return CLI_OK;
}

/*
 * Wait for a long-running operation (GET /v2/NAME every 200 ms) until it
 * is done. The deadline is VOUCH_TIMEOUT seconds, else 600.
 */
static int wait_operation(client *c, json_t **op)
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

/*
 * The end of an operation: an `error` is printed ("vouch: <message>") and
 * makes the result CLI_DENIED (a refused revision or execution).
 */
static int operation_result(const json_t *op)
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

/* Print `resource` in --format when one was asked for. */
static int print_if_asked(const cli_globals *g, const json_t *resource)
{
    if (g->format == NULL || resource == NULL) {
        return CLI_OK;
    }
    return client_print(g, resource, VOUCH_FORMAT_YAML, CLIENT_GENERIC);
}

/* A table row: columns separated by blanks, padded. */
static void row(const char *const *cols, const int *widths, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n) {
            printf("%-*s ", widths[i], cols[i]);
        } else {
            printf("%s\n", cols[i]);
        }
    }
}

/* ---- spec flags: --image, --binary-authorization, --breakglass ---- */

/* Returns 1 when argv[*i] was a spec flag, 0 if not, -1 on error. */
static int spec_flag(int argc, char **argv, int *i, run_spec *s,
                     bool job)
{
    const char *v = NULL;
    int rc;

    if ((rc = cli_flag(argc, argv, i, "--image", &v)) != 0) {
        if (rc < 0) {
            return -1;
        }
        if (s->n_images == RUN_MAX_IMAGES) {
            cli_fail("--image: at most %d containers", RUN_MAX_IMAGES);
            return -1;
        }
        if (v[0] == '\0') {
            cli_fail("--image needs a value");
            return -1;
        }
        s->images[s->n_images++] = v;
        return 1;
    }
    if ((rc = cli_flag(argc, argv, i, "--binary-authorization",
                       &s->binauthz)) != 0) {
        if (rc > 0 && strcmp(s->binauthz, "default") != 0) {
            cli_fail("--binary-authorization: only 'default' is supported, "
                     "not '%s'", s->binauthz);
            return -1;
        }
        return rc;
    }
    if (cli_switch(argv, *i, "--clear-binary-authorization")) {
        s->clear_binauthz = true;
        return 1;
    }
    if ((rc = cli_flag(argc, argv, i, "--breakglass", &s->breakglass)) != 0) {
        if (rc > 0 && s->breakglass[0] == '\0') {
            cli_fail("--breakglass needs a justification");
            return -1;
        }
        return rc;
    }
    if (job && (rc = cli_flag(argc, argv, i, "--tasks", &s->tasks)) != 0) {
        if (rc > 0) {
            char *end = NULL;
            long n = strtol(s->tasks, &end, 10);

            if (end == s->tasks || *end != '\0' || n < 1 || n > 10000) {
                cli_fail("--tasks: '%s' is not a number from 1 to 10000",
                         s->tasks);
                return -1;
            }
        }
        return rc;
    }
    return 0;
}

static int spec_check(const run_spec *s)
{
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

/*
 * Apply the flags to `owner` (a Service or a Job): binaryAuthorization
 * and the containers of `tpl` (template, or template.template of a job).
 * A breakglass justification holds for this change only: one that is not
 * given again is removed.
 */
static int spec_apply(const run_spec *s, json_t *owner, json_t *tpl)
{
    json_t *ba = json_object_get(owner, "binaryAuthorization");
    json_t *containers;

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
            ba = NULL;
        }
    }
    if (s->breakglass != NULL) {
        if (ba == NULL) {
            ba = json_object();
            if (ba == NULL ||
                json_object_set_new(owner, "binaryAuthorization", ba) != 0) {
                return cli_fail("out of memory");
            }
        }
        if (json_object_set_new(ba, "breakglassJustification",
                                json_string(s->breakglass)) != 0) {
            return cli_fail("--breakglass: not valid UTF-8");
        }
    }
    if (s->n_images == 0) {
        return CLI_OK;
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
    while (json_array_size(containers) > s->n_images) {
        json_array_remove(containers, json_array_size(containers) - 1);
    }
    for (size_t i = 0; i < s->n_images; i++) {
        json_t *ctr = json_array_get(containers, i);

        if (!json_is_object(ctr)) {
            ctr = json_object();
            if (ctr == NULL || json_array_append_new(containers, ctr) != 0) {
                return cli_fail("out of memory");
            }
        }
        if (json_object_set_new(ctr, "image", json_string(s->images[i])) !=
            0) {
            return cli_fail("--image '%s': not valid UTF-8", s->images[i]);
        }
    }
    return CLI_OK;
}

/* The object at `key` of `parent`, created when absent. */
static json_t *child_object(json_t *parent, const char *key)
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

/* gcloud's nonce: every deploy makes a new revision, even of the same
 * image (so that a deploy re-checks the image against today's policy). */
static int set_nonce(json_t *tpl)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char raw[10];
    char nonce[sizeof(raw) + 1];
    json_t *ann = child_object(tpl, "annotations");

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

/* ---- run deploy ---- */

static int run_deploy(int argc, char **argv, cli_globals *g)
{
    run_spec spec;
    const char *id = NULL;
    run_loc loc;
    char name[RUN_NAME_MAX + 64];
    char path[RUN_NAME_MAX + 80];
    char *query = NULL;
    client *c = NULL;
    json_t *svc = NULL;
    json_t *op = NULL;
    json_t *tpl;
    bool exists;
    int rc;

    memset(&spec, 0, sizeof(spec));
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf(
                "usage: vouch run deploy SERVICE [--image IMAGE]... "
                "[--binary-authorization default]\n"
                "       [--clear-binary-authorization] [--breakglass TEXT] "
                "[--region R]\n\n"
                "Create the service, or update it with a new revision. "
                "Each --image is one\ncontainer (the first the ingress "
                "container, the others sidecars); a new\nservice needs at "
                "least one. --binary-authorization default turns Binary\n"
                "Authorization on (it stays on until "
                "--clear-binary-authorization).\n--breakglass TEXT deploys "
                "whatever the policy says, with an audit entry;\nit holds "
                "for this deploy only. Every deploy makes a new revision, "
                "checked\nagainst the current policy.\n\n"
                "Exit status: 0 deployed; 1 the revision was refused "
                "(the reason is printed);\n2 usage or server error.\n");
            return CLI_OK;
        }
        if ((rc = spec_flag(argc, argv, &i, &spec, false)) != 0 ||
            (rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        if (argv[i][0] == '-' || id != NULL) {
            return cli_unknown("vouch run deploy", argv[i]);
        }
        id = argv[i];
    }
    if ((rc = check_id("SERVICE", id)) != CLI_OK ||
        (rc = spec_check(&spec)) != CLI_OK ||
        (rc = run_loc_init(g, &loc)) != CLI_OK ||
        (rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    snprintf(name, sizeof(name), "%s/services/%s", loc.prefix, id);
    snprintf(path, sizeof(path), "/v2/%s/services", loc.prefix);
    rc = find_named(c, path, "services", name, &svc);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    exists = svc != NULL;
    if (!exists) {
        if (spec.n_images == 0) {
            rc = cli_fail("service '%s' does not exist yet: deploying it "
                          "needs --image", id);
            goto cleanup;
        }
        svc = json_object();
    }
    tpl = svc != NULL ? child_object(svc, "template") : NULL;
    if (tpl == NULL) {
        rc = cli_fail("out of memory");
        goto cleanup;
    }
    /* A fixed revision name would collide with the one it made before. */
    json_object_del(tpl, "revision");
    rc = spec_apply(&spec, svc, tpl);
    if (rc == CLI_OK) {
        rc = set_nonce(tpl);
    }
    if (rc != CLI_OK) {
        goto cleanup;
    }
    fprintf(stderr, "Deploying %sservice [%s] in project [%s] region "
            "[%s]\n", exists ? "" : "new ", id, g->project,
            loc.prefix + strlen("projects/") + strlen(g->project) +
                strlen("/locations/"));
    if (exists) {
        snprintf(path, sizeof(path), "/v2/%s", name);
        rc = client_call(c, "PATCH", path, NULL, svc, &op);
    } else {
        query = malloc(strlen(id) + sizeof("serviceId="));
        if (query == NULL) {
            rc = cli_fail("out of memory");
            goto cleanup;
        }
        sprintf(query, "serviceId=%s", id);
        rc = client_call(c, "POST", path, query, svc, &op);
    }
    if (rc == CLI_OK) {
        rc = wait_operation(c, &op);
    }
    if (rc != CLI_OK) {
        goto cleanup;
    }
    rc = operation_result(op);
    if (rc == CLI_OK) {
        const json_t *done = json_object_get(op, "response");
        const char *rev = json_string_value(
            json_object_get(done, "latestReadyRevision"));
        const char *uri = json_string_value(json_object_get(done, "uri"));

        fprintf(stderr, "Service [%s] revision [%s] has been deployed.\n",
                id, rev != NULL ? client_name_id(rev) : "?");
        if (uri != NULL) {
            fprintf(stderr, "Service URL: %s\n", uri);
        }
        rc = print_if_asked(g, done);
    }

cleanup:
    free(query);
    json_decref(svc);
    json_decref(op);
    client_free(c);
    return rc;
}

/* ---- describe and list of services, revisions, jobs, executions ---- */

typedef enum run_kind {
    RUN_SERVICE,
    RUN_REVISION,
    RUN_JOB,
    RUN_EXECUTION
} run_kind;

static const char *const kind_word[] = {
    "service", "revision", "job", "execution",
};
static const char *const kind_collection[] = {
    "services", "revisions", "jobs", "executions",
};
/* The flag naming the parent of a revision or execution. */
static const char *const kind_parent_flag[] = {
    NULL, "--service", NULL, "--job",
};

/* The full name of `id` of `kind`; `parent` is --service / --job or
 * NULL (then it comes from the id). */
static int kind_name(run_kind kind, const run_loc *loc, const char *id,
                     const char *parent, char *buf, size_t size)
{
    char derived[128];
    int rc;

    rc = check_id(kind == RUN_SERVICE     ? "SERVICE"
                  : kind == RUN_JOB       ? "JOB"
                  : kind == RUN_REVISION  ? "REVISION"
                                          : "EXECUTION",
                  id);
    if (rc != CLI_OK) {
        return rc;
    }
    if (kind == RUN_SERVICE || kind == RUN_JOB) {
        snprintf(buf, size, "%s/%s/%s", loc->prefix, kind_collection[kind],
                 id);
        return CLI_OK;
    }
    if (parent == NULL) {
        if (parent_of(id, kind == RUN_REVISION ? 2 : 1, derived,
                      sizeof(derived)) != 0) {
            return cli_fail("cannot tell the %s of %s '%s'; give %s",
                            kind == RUN_REVISION ? "service" : "job",
                            kind_word[kind], id,
                            kind == RUN_REVISION ? "--service" : "--job");
        }
        parent = derived;
    }
    rc = check_id(kind == RUN_REVISION ? "--service" : "--job", parent);
    if (rc != CLI_OK) {
        return rc;
    }
    snprintf(buf, size, "%s/%s/%s/%s/%s", loc->prefix,
             kind == RUN_REVISION ? "services" : "jobs", parent,
             kind_collection[kind], id);
    return CLI_OK;
}

static int describe(int argc, char **argv, cli_globals *g, run_kind kind)
{
    const char *id = NULL;
    const char *parent = NULL;
    const char *pflag = kind == RUN_REVISION  ? "--service"
                        : kind == RUN_EXECUTION ? "--job"
                                                : NULL;
    run_loc loc;
    char name[RUN_NAME_MAX];
    char path[RUN_NAME_MAX + 8];
    client *c = NULL;
    json_t *res = NULL;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch run %s describe %s%s [--region R]\n\n"
                   "Print the %s (default YAML; --format json).\n",
                   kind_collection[kind],
                   kind == RUN_SERVICE     ? "SERVICE"
                   : kind == RUN_JOB       ? "JOB"
                   : kind == RUN_REVISION  ? "REVISION"
                                           : "EXECUTION",
                   pflag != NULL ? (kind == RUN_REVISION
                                        ? " [--service SERVICE]"
                                        : " [--job JOB]")
                                 : "",
                   kind_word[kind]);
            return CLI_OK;
        }
        if ((pflag != NULL &&
             (rc = cli_flag(argc, argv, &i, pflag, &parent)) != 0) ||
            (rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        if (argv[i][0] == '-' || id != NULL) {
            char cmd[64];

            snprintf(cmd, sizeof(cmd), "vouch run %s describe",
                     kind_collection[kind]);
            return cli_unknown(cmd, argv[i]);
        }
        id = argv[i];
    }
    if ((rc = run_loc_init(g, &loc)) != CLI_OK ||
        (rc = kind_name(kind, &loc, id, parent, name, sizeof(name))) !=
            CLI_OK ||
        (rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    snprintf(path, sizeof(path), "/v2/%s", name);
    rc = client_call(c, "GET", path, NULL, NULL, &res);
    if (rc == CLI_OK) {
        rc = client_print(g, res, VOUCH_FORMAT_YAML, CLIENT_GENERIC);
    }
    json_decref(res);
    client_free(c);
    return rc;
}

/* The image of the first container of a template. */
static const char *first_image(const json_t *tpl)
{
    return str_or(json_object_get(
                      json_array_get(json_object_get(tpl, "containers"), 0),
                      "image"),
                  "");
}

static const char *execution_status(const json_t *ex)
{
    const json_t *done = condition(ex, "Completed");
    const char *state = json_string_value(json_object_get(done, "state"));

    if (json_integer_value(json_object_get(ex, "cancelledCount")) > 0) {
        return "Cancelled";
    }
    if (state != NULL && strcmp(state, "CONDITION_SUCCEEDED") == 0) {
        return "Succeeded";
    }
    if (state != NULL && strcmp(state, "CONDITION_FAILED") == 0) {
        return "Failed";
    }
    return "Running";
}

/* The table columns of one resource. */
static void table_cols(run_kind kind, const json_t *it, const char **cols)
{
    cols[0] = client_name_id(str_or(json_object_get(it, "name"), "?"));
    switch (kind) {
    case RUN_SERVICE:
        cols[1] = state_word(json_object_get(it, "terminalCondition"));
        cols[2] = client_name_id(
            str_or(json_object_get(it, "latestReadyRevision"), "-"));
        cols[3] = str_or(json_object_get(it, "uri"), "");
        break;
    case RUN_REVISION:
        cols[1] = state_word(condition(it, "Ready"));
        cols[2] = str_or(json_object_get(it, "service"), "");
        cols[3] = first_image(it);
        break;
    case RUN_JOB:
        cols[1] = state_word(json_object_get(it, "terminalCondition"));
        cols[2] = client_name_id(str_or(
            json_object_get(json_object_get(it, "latestCreatedExecution"),
                            "name"),
            "-"));
        cols[3] = first_image(
            json_object_get(json_object_get(it, "template"), "template"));
        break;
    case RUN_EXECUTION:
        cols[1] = str_or(json_object_get(it, "job"), "");
        cols[2] = execution_status(it);
        cols[3] = first_image(json_object_get(it, "template"));
        break;
    }
}

static void print_table(run_kind kind, const json_t *items)
{
    static const char *const heads[][4] = {
        {"SERVICE", "READY", "LATEST_REVISION", "URL"},
        {"REVISION", "READY", "SERVICE", "IMAGE"},
        {"JOB", "READY", "LAST_EXECUTION", "IMAGE"},
        {"EXECUTION", "JOB", "STATUS", "IMAGE"},
    };
    int widths[4];
    const char *cols[4];
    size_t i;
    json_t *it;

    for (int k = 0; k < 4; k++) {
        widths[k] = (int)strlen(heads[kind][k]);
    }
    json_array_foreach(items, i, it) {
        table_cols(kind, it, cols);
        for (int k = 0; k < 4; k++) {
            int n = (int)strlen(cols[k]);

            widths[k] = n > widths[k] ? n : widths[k];
        }
    }
    row(heads[kind], widths, 4);
    json_array_foreach(items, i, it) {
        table_cols(kind, it, cols);
        row(cols, widths, 4);
    }
}

static int list(int argc, char **argv, cli_globals *g, run_kind kind)
{
    const char *parent = NULL;
    const char *pflag = kind_parent_flag[kind];
    run_loc loc;
    char path[RUN_NAME_MAX + 80];
    client *c = NULL;
    json_t *items = NULL;
    json_t *parents = NULL;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch run %s list%s [--region R]\n\n"
                   "List the %s (a table; --format json|yaml prints the "
                   "resources).\n",
                   kind_collection[kind],
                   kind == RUN_REVISION    ? " [--service SERVICE]"
                   : kind == RUN_EXECUTION ? " [--job JOB]"
                                           : "",
                   kind_collection[kind]);
            return CLI_OK;
        }
        if ((pflag != NULL &&
             (rc = cli_flag(argc, argv, &i, pflag, &parent)) != 0) ||
            (rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        {
            char cmd[64];

            snprintf(cmd, sizeof(cmd), "vouch run %s list",
                     kind_collection[kind]);
            return cli_unknown(cmd, argv[i]);
        }
    }
    if ((rc = run_loc_init(g, &loc)) != CLI_OK) {
        return rc;
    }
    if (parent != NULL &&
        (rc = check_id(kind == RUN_REVISION ? "--service" : "--job",
                       parent)) != CLI_OK) {
        return rc;
    }
    if ((rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    if (kind == RUN_SERVICE || kind == RUN_JOB) {
        snprintf(path, sizeof(path), "/v2/%s/%s", loc.prefix,
                 kind_collection[kind]);
        rc = client_list_all(c, path, NULL, kind_collection[kind],
                             &items);
    } else if (parent != NULL) {
        snprintf(path, sizeof(path), "/v2/%s/%s/%s/%s", loc.prefix,
                 kind == RUN_REVISION ? "services" : "jobs", parent,
                 kind_collection[kind]);
        rc = client_list_all(c, path, NULL, kind_collection[kind],
                             &items);
    } else {
        /* Every service's revisions, every job's executions. */
        const char *pcoll = kind == RUN_REVISION ? "services" : "jobs";
        size_t i;
        json_t *p;

        snprintf(path, sizeof(path), "/v2/%s/%s", loc.prefix, pcoll);
        rc = client_list_all(c, path, NULL, pcoll, &parents);
        items = rc == CLI_OK ? json_array() : NULL;
        json_array_foreach(parents, i, p) {
            const char *pname = json_string_value(json_object_get(p, "name"));
            json_t *some = NULL;

            if (rc != CLI_OK || pname == NULL ||
                strlen(pname) > RUN_NAME_MAX) {
                continue;
            }
            snprintf(path, sizeof(path), "/v2/%s/%s", pname,
                     kind_collection[kind]);
            rc = client_list_all(c, path, NULL, kind_collection[kind],
                                 &some);
            if (rc == CLI_OK) {
                json_array_extend(items, some);
            }
            json_decref(some);
        }
    }
    if (rc == CLI_OK && items == NULL) {
        rc = cli_fail("out of memory");
    }
    if (rc == CLI_OK) {
        if (g->format != NULL && strcmp(g->format, "text") != 0) {
            rc = client_print(g, items, VOUCH_FORMAT_YAML, CLIENT_GENERIC);
        } else {
            print_table(kind, items);
            if (fflush(stdout) != 0) {
                rc = cli_fail("cannot write to standard output");
            }
        }
    }
    json_decref(items);
    json_decref(parents);
    client_free(c);
    return rc;
}

static int services_list(int argc, char **argv, cli_globals *g)
{
    return list(argc, argv, g, RUN_SERVICE);
}

static int services_describe(int argc, char **argv, cli_globals *g)
{
    return describe(argc, argv, g, RUN_SERVICE);
}

static int revisions_list(int argc, char **argv, cli_globals *g)
{
    return list(argc, argv, g, RUN_REVISION);
}

static int revisions_describe(int argc, char **argv, cli_globals *g)
{
    return describe(argc, argv, g, RUN_REVISION);
}

static int jobs_list(int argc, char **argv, cli_globals *g)
{
    return list(argc, argv, g, RUN_JOB);
}

static int jobs_describe(int argc, char **argv, cli_globals *g)
{
    return describe(argc, argv, g, RUN_JOB);
}

static int executions_list(int argc, char **argv, cli_globals *g)
{
    return list(argc, argv, g, RUN_EXECUTION);
}

static int executions_describe(int argc, char **argv, cli_globals *g)
{
    return describe(argc, argv, g, RUN_EXECUTION);
}

/* ---- jobs create / update ---- */

static int job_write(int argc, char **argv, cli_globals *g, bool create)
{
    run_spec spec;
    const char *id = NULL;
    const char *verb = create ? "create" : "update";
    run_loc loc;
    char name[RUN_NAME_MAX + 64];
    char path[RUN_NAME_MAX + 80];
    char *query = NULL;
    client *c = NULL;
    json_t *job = NULL;
    json_t *op = NULL;
    json_t *exec_tpl;
    json_t *task_tpl;
    int rc;

    memset(&spec, 0, sizeof(spec));
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch run jobs %s JOB %s... [--tasks N]\n"
                   "       [--binary-authorization default] "
                   "[--clear-binary-authorization]\n"
                   "       [--breakglass TEXT] [--region R]\n\n"
                   "%s a job. Creating and updating succeed whatever the "
                   "images; each\nexecution is checked against the policy "
                   "when it starts ('vouch run jobs\nexecute'). "
                   "--breakglass TEXT lets the executions of this version "
                   "of the job\nrun whatever the policy says (audited); it "
                   "is removed by the next update\nthat does not repeat "
                   "it.\n",
                   verb, create ? "--image IMAGE" : "[--image IMAGE]",
                   create ? "Create" : "Update");
            return CLI_OK;
        }
        if ((rc = spec_flag(argc, argv, &i, &spec, true)) != 0 ||
            (rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        if (argv[i][0] == '-' || id != NULL) {
            return cli_unknown(create ? "vouch run jobs create"
                                      : "vouch run jobs update",
                               argv[i]);
        }
        id = argv[i];
    }
    if ((rc = check_id("JOB", id)) != CLI_OK ||
        (rc = spec_check(&spec)) != CLI_OK) {
        return rc;
    }
    if (create && spec.n_images == 0) {
        return cli_fail("jobs create needs --image");
    }
    if ((rc = run_loc_init(g, &loc)) != CLI_OK ||
        (rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    snprintf(name, sizeof(name), "%s/jobs/%s", loc.prefix, id);
    if (create) {
        job = json_object();
    } else {
        snprintf(path, sizeof(path), "/v2/%s", name);
        rc = client_call(c, "GET", path, NULL, NULL, &job);
        if (rc != CLI_OK) {
            goto cleanup;
        }
    }
    exec_tpl = job != NULL ? child_object(job, "template") : NULL;
    task_tpl = exec_tpl != NULL ? child_object(exec_tpl, "template") : NULL;
    if (task_tpl == NULL) {
        rc = cli_fail("out of memory");
        goto cleanup;
    }
    if (spec.tasks != NULL &&
        json_object_set_new(exec_tpl, "taskCount",
                            json_integer(strtol(spec.tasks, NULL, 10))) !=
            0) {
        rc = cli_fail("out of memory");
        goto cleanup;
    }
    rc = spec_apply(&spec, job, task_tpl);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    if (create) {
        snprintf(path, sizeof(path), "/v2/%s/jobs", loc.prefix);
        query = malloc(strlen(id) + sizeof("jobId="));
        if (query == NULL) {
            rc = cli_fail("out of memory");
            goto cleanup;
        }
        sprintf(query, "jobId=%s", id);
        rc = client_call(c, "POST", path, query, job, &op);
    } else {
        rc = client_call(c, "PATCH", path, NULL, job, &op);
    }
    if (rc == CLI_OK) {
        rc = wait_operation(c, &op);
    }
    if (rc == CLI_OK) {
        rc = operation_result(op);
    }
    if (rc == CLI_OK) {
        fprintf(stderr, "Job [%s] has been %s.\n", id,
                create ? "created" : "updated");
        rc = print_if_asked(g, json_object_get(op, "response"));
    }

cleanup:
    free(query);
    json_decref(job);
    json_decref(op);
    client_free(c);
    return rc;
}

static int jobs_create(int argc, char **argv, cli_globals *g)
{
    return job_write(argc, argv, g, true);
}

static int jobs_update(int argc, char **argv, cli_globals *g)
{
    return job_write(argc, argv, g, false);
}

/* ---- jobs execute, executions cancel ---- */

/* Split "a,b,c" into a JSON array of strings (empty items kept). */
static json_t *comma_list(const char *text)
{
    json_t *out = json_array();
    const char *p = text;

    while (out != NULL) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);

        if (json_array_append_new(out, json_stringn(p, n)) < 0) {
            json_decref(out);
            return NULL;
        }
        if (comma == NULL) {
            break;
        }
        p = comma + 1;
    }
    return out;
}

/*
 * RunJobRequest.overrides from the execute flags, into `body` (nothing
 * when none was given). --update-env-vars items must be NAME=VALUE;
 * --tasks and --task-timeout are checked by the server, which names the
 * field.
 */
static int execute_overrides(json_t *body, const char *args,
                             const char *env, const char *tasks,
                             const char *timeout)
{
    json_t *ov;
    json_t *co;
    char *end = NULL;

    if (args == NULL && env == NULL && tasks == NULL && timeout == NULL) {
        return CLI_OK;
    }
    ov = json_object();
    co = json_object();
    if (ov == NULL || co == NULL || json_object_set_new(body, "overrides",
                                                        ov) < 0) {
        json_decref(co);
        return cli_fail("out of memory");
    }
    if (args != NULL) {
        json_object_set_new(co, "args", comma_list(args));
    }
    if (env != NULL) {
        json_t *items = comma_list(env);
        json_t *vars = json_array();
        size_t i;
        json_t *it;

        json_array_foreach(items, i, it) {
            const char *kv = json_string_value(it);
            const char *eq = strchr(kv, '=');

            if (eq == NULL || eq == kv) {
                int rc = cli_fail("--update-env-vars: '%s' is not "
                                  "NAME=VALUE", kv);

                json_decref(items);   /* kv lives in it: after printing */
                json_decref(vars);
                json_decref(co);
                return rc;
            }
            json_array_append_new(vars,
                                  json_pack("{s:s%,s:s}", "name", kv,
                                            (size_t)(eq - kv), "value",
                                            eq + 1));
        }
        json_decref(items);
        json_object_set_new(co, "env", vars);
    }
    if (json_object_size(co) > 0) {
        json_object_set_new(ov, "containerOverrides", json_pack("[o]", co));
    } else {
        json_decref(co);
    }
    if (tasks != NULL) {
        long n = strtol(tasks, &end, 10);

        if (end == tasks || *end != '\0') {
            return cli_fail("--tasks: '%s' is not a number", tasks);
        }
        json_object_set_new(ov, "taskCount", json_integer(n));
    }
    if (timeout != NULL) {
        /* Seconds, with or without the "s" of a Duration. */
        size_t n = strlen(timeout);

        json_object_set_new(ov, "timeout",
                            n > 0 && timeout[n - 1] == 's'
                                ? json_string(timeout)
                                : json_sprintf("%ss", timeout));
    }
    return CLI_OK;
}

static int job_execute(int argc, char **argv, cli_globals *g)
{
    const char *id = NULL;
    const char *args = NULL;
    const char *env = NULL;
    const char *tasks = NULL;
    const char *timeout = NULL;
    bool wait = false;
    run_loc loc;
    char path[RUN_NAME_MAX + 80];
    client *c = NULL;
    json_t *body = NULL;
    json_t *op = NULL;
    const json_t *ex;
    const char *exname;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch run jobs execute JOB [--wait] "
                   "[--args A,B] [--update-env-vars K=V,...]\n"
                   "         [--tasks N] [--task-timeout SECONDS] "
                   "[--region R]\n\n"
                   "Start an execution of the job. Its images are checked "
                   "against the\ncurrent policy now; a refused execution "
                   "prints the reason and exits 1.\n--wait waits until the "
                   "execution has finished (exit 1 if it failed).\n"
                   "--args, --update-env-vars, --tasks and --task-timeout "
                   "change this execution\nonly (its first container), "
                   "never the job.\n");
            return CLI_OK;
        }
        if (cli_switch(argv, i, "--wait")) {
            wait = true;
            continue;
        }
        if ((rc = cli_flag(argc, argv, &i, "--args", &args)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--update-env-vars", &env)) !=
                0 ||
            (rc = cli_flag(argc, argv, &i, "--tasks", &tasks)) != 0 ||
            (rc = cli_flag(argc, argv, &i, "--task-timeout", &timeout)) !=
                0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        if ((rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        if (argv[i][0] == '-' || id != NULL) {
            return cli_unknown("vouch run jobs execute", argv[i]);
        }
        id = argv[i];
    }
    if ((rc = check_id("JOB", id)) != CLI_OK ||
        (rc = run_loc_init(g, &loc)) != CLI_OK ||
        (rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    body = json_object();
    if (body == NULL) {
        rc = cli_fail("out of memory");
        goto cleanup;
    }
    rc = execute_overrides(body, args, env, tasks, timeout);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    snprintf(path, sizeof(path), "/v2/%s/jobs/%s:run", loc.prefix, id);
    rc = client_call(c, "POST", path, NULL, body, &op);
    if (rc == CLI_OK && wait) {
        rc = wait_operation(c, &op);
    }
    if (rc != CLI_OK) {
        goto cleanup;
    }
    ex = json_object_get(op, "response");
    if (ex == NULL) {
        ex = json_object_get(op, "metadata");
    }
    exname = client_name_id(str_or(json_object_get(ex, "name"), "?"));
    rc = operation_result(op);
    if (rc == CLI_OK) {
        fprintf(stderr, "Execution [%s] has %s.\n", exname,
                json_is_true(json_object_get(op, "done"))
                    ? "successfully completed"
                    : "successfully started running");
        rc = print_if_asked(g, ex);
    }

cleanup:
    json_decref(body);
    json_decref(op);
    client_free(c);
    return rc;
}

static int executions_cancel(int argc, char **argv, cli_globals *g)
{
    const char *id = NULL;
    const char *job = NULL;
    run_loc loc;
    char name[RUN_NAME_MAX];
    char path[RUN_NAME_MAX + 16];
    client *c = NULL;
    json_t *body = NULL;
    json_t *op = NULL;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vouch run executions cancel EXECUTION "
                   "[--job JOB] [--region R]\n\n"
                   "Cancel a running execution (its process group is "
                   "killed).\n");
            return CLI_OK;
        }
        if ((rc = cli_flag(argc, argv, &i, "--job", &job)) != 0 ||
            (rc = cli_global_flag(argc, argv, &i, g)) != 0) {
            if (rc < 0) {
                return CLI_USAGE;
            }
            continue;
        }
        if (argv[i][0] == '-' || id != NULL) {
            return cli_unknown("vouch run executions cancel", argv[i]);
        }
        id = argv[i];
    }
    if ((rc = run_loc_init(g, &loc)) != CLI_OK ||
        (rc = kind_name(RUN_EXECUTION, &loc, id, job, name, sizeof(name))) !=
            CLI_OK ||
        (rc = client_new(&c, g)) != CLI_OK) {
        return rc;
    }
    body = json_object();
    snprintf(path, sizeof(path), "/v2/%s:cancel", name);
    rc = body != NULL ? client_call(c, "POST", path, NULL, body, &op)
                      : cli_fail("out of memory");
    if (rc == CLI_OK) {
        rc = wait_operation(c, &op);
    }
    if (rc == CLI_OK) {
        rc = operation_result(op);
        if (rc != CLI_OK) {
            rc = CLI_USAGE;
        }
    }
    if (rc == CLI_OK) {
        fprintf(stderr, "Execution [%s] has been cancelled.\n", id);
        rc = print_if_asked(g, json_object_get(op, "response"));
    }
    json_decref(body);
    json_decref(op);
    client_free(c);
    return rc;
}

/* ---- groups ---- */

static const cli_command services_commands[] = {
    {"list", services_list, "list the services of the region"},
    {"describe", services_describe, "print a service"},
    {NULL, NULL, NULL},
};

static const cli_command revisions_commands[] = {
    {"list", revisions_list, "list revisions (--service S)"},
    {"describe", revisions_describe, "print a revision"},
    {NULL, NULL, NULL},
};

static const cli_command jobs_commands[] = {
    {"create", jobs_create, "create a job"},
    {"update", jobs_update, "change a job's images or Binary "
                            "Authorization"},
    {"execute", job_execute, "start an execution (checked by policy)"},
    {"list", jobs_list, "list the jobs of the region"},
    {"describe", jobs_describe, "print a job"},
    {NULL, NULL, NULL},
};

static const cli_command executions_commands[] = {
    {"list", executions_list, "list executions (--job J)"},
    {"describe", executions_describe, "print an execution"},
    {"cancel", executions_cancel, "cancel a running execution"},
    {NULL, NULL, NULL},
};

static int run_services(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("run services", services_commands, argc, argv, g);
}

static int run_revisions(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("run revisions", revisions_commands, argc, argv, g);
}

static int run_jobs(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("run jobs", jobs_commands, argc, argv, g);
}

static int run_executions(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("run executions", executions_commands, argc, argv,
                        g);
}

static const cli_command run_commands[] = {
    {"deploy", run_deploy, "create or update a service (new revision)"},
    {"services", run_services, "list, describe"},
    {"revisions", run_revisions, "list, describe"},
    {"jobs", run_jobs, "create, update, execute, list, describe"},
    {"executions", run_executions, "list, describe, cancel"},
    {NULL, NULL, NULL},
};

int cmd_run(int argc, char **argv, cli_globals *g)
{
    return cli_dispatch("run", run_commands, argc, argv, g);
}
