/*
 * vouch run platform — continuous validation (docs/run.md, "Continuous
 * validation"): every serving revision and every job template of a
 * project re-evaluated against the current policy, by the same admission
 * as a deploy (plat_admit, the same engine and the same reasons). A
 * resource that no longer conforms keeps running; it gets one entry in
 * the continuous_validation log when it starts not to conform, or when
 * the reasons change, and never again while they stay the same: what was
 * found is remembered in the store (kind "conformance", one per checked
 * resource, under its location), which is also what lists show.
 *
 * A check is one unit of work: job templates' tags are resolved through
 * the registry before the transaction, then the findings are written and
 * the entries stored together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform_internal.h"

#define KIND_CONFORMANCE VSVC_KIND_CONFORMANCE

/* One resource checked in this attempt. */
typedef struct finding {
    char name[600];           /* the revision's or job's full name */
    bool job;
    bool conforming;
} finding;

/* A check of one project (or one of its locations). */
typedef struct check {
    const char *project;
    const char *location;     /* NULL: every location */
    char prefix[300];         /* "projects/P/" or "projects/P/locations/L/" */
    json_t *services;         /* the services and jobs to check, copied */
    json_t *jobs;
    finding *found;
    size_t found_count;
    size_t found_cap;
    vouch_platform_conformance counts;
} check;

/* ---- the gauge: non-conforming findings of each project ---- */

typedef struct tally {
    const char *prefix;       /* "projects/P/" */
    uint64_t revisions;
    uint64_t jobs;
} tally;

static int count_finding(const vouch_resource *item, void *payload)
{
    tally *t = payload;
    json_t *state;

    if (strncmp(item->name, t->prefix, strlen(t->prefix)) != 0) {
        return 0;
    }
    state = json_loads(item->json, 0, NULL);
    if (state != NULL && !json_is_true(json_object_get(state, "conforming"))) {
        if (strstr(item->name, "/jobs/") != NULL) {
            t->jobs++;
        } else {
            t->revisions++;
        }
    }
    json_decref(state);
    return 0;
}

/* Set the gauge of `project` from its stored findings (after a check). */
static void gauge_set(vouch_platform_ctx *ctx, const char *project)
{
    vouch_platform *p = ctx->platform;
    char prefix[300];
    tally t = { prefix, 0, 0 };
    vouch_resource_query q;
    plat_cv_row *row = NULL;

    snprintf(prefix, sizeof(prefix), "projects/%s/", project);
    memset(&q, 0, sizeof(q));
    q.kind = KIND_CONFORMANCE;
    if (vsvc__each(ctx->conn, &q, count_finding, &t, NULL) < 0) {
        return; /* the gauge keeps the last count it had */
    }
    pthread_mutex_lock(&p->cv_lock);
    for (size_t i = 0; i < p->cv_count && row == NULL; i++) {
        if (strcmp(p->cv_rows[i].project, project) == 0) {
            row = &p->cv_rows[i];
        }
    }
    if (row == NULL) {
        plat_cv_row *grown = realloc(p->cv_rows,
                                     (p->cv_count + 1) * sizeof(*grown));

        if (grown != NULL) {
            p->cv_rows = grown;
            row = &p->cv_rows[p->cv_count++];
            snprintf(row->project, sizeof(row->project), "%s", project);
        }
    }
    if (row != NULL) {
        row->revisions = t.revisions;
        row->jobs = t.jobs;
    }
    pthread_mutex_unlock(&p->cv_lock);
}

void vouch_platform_conformance_counts(vouch_platform *p,
                                       uint64_t *revisions, uint64_t *jobs)
{
    *revisions = 0;
    *jobs = 0;
    if (p == NULL) {
        return;
    }
    pthread_mutex_lock(&p->cv_lock);
    for (size_t i = 0; i < p->cv_count; i++) {
        *revisions += p->cv_rows[i].revisions;
        *jobs += p->cv_rows[i].jobs;
    }
    pthread_mutex_unlock(&p->cv_lock);
}

/* ---- gathering what to check ---- */

static int collect_item(const vouch_resource *item, void *payload)
{
    check *c = payload;
    json_t *obj;
    json_t *list;

    if (strncmp(item->name, c->prefix, strlen(c->prefix)) != 0) {
        return 0;
    }
    obj = json_loads(item->json, 0, NULL);
    list = strcmp(item->kind, VOUCH_PLATFORM_KIND_JOB) == 0 ? c->jobs
                                                            : c->services;
    if (obj == NULL || json_array_append_new(list, obj) < 0) {
        return VOUCH_ENOMEM;
    }
    return 0;
}

static int collect(vouch_store_conn *conn, check *c, vouch_error *err)
{
    static const char *const kinds[] = {VOUCH_PLATFORM_KIND_SERVICE,
                                        VOUCH_PLATFORM_KIND_JOB};
    int rc = 0;

    json_array_clear(c->services);
    json_array_clear(c->jobs);
    for (size_t k = 0; rc == 0 && k < 2; k++) {
        vouch_resource_query q;

        memset(&q, 0, sizeof(q));
        q.kind = kinds[k];
        rc = vsvc__each(conn, &q, collect_item, c, err);
    }
    return rc == VOUCH_ENOMEM ? plat_enomem(err) : rc;
}

/* ---- one resource ---- */

static int remember(check *c, const char *name, bool job, bool conforming)
{
    if (!vutil_grow(&c->found, &c->found_cap, c->found_count,
                    sizeof(*c->found), 16)) {
        return VOUCH_ENOMEM;
    }
    snprintf(c->found[c->found_count].name,
             sizeof(c->found[c->found_count].name), "%s", name);
    c->found[c->found_count].job = job;
    c->found[c->found_count].conforming = conforming;
    c->found_count++;
    return 0;
}

/* The container names of `containers`, for the finding's entry. */
static const char **container_names(const json_t *containers)
{
    size_t n = json_array_size(containers);
    const char **names = calloc(n + 1, sizeof(*names));

    for (size_t i = 0; names != NULL && i < n; i++) {
        names[i] = json_string_value(
            json_object_get(json_array_get(containers, i), "name"));
    }
    return names;
}

/* "projects/P/locations/L/…": L into `buf`. */
static void location_of(const char *name, char *buf, size_t size)
{
    const char *l = strstr(name, "/locations/");
    size_t n = 0;

    if (l != NULL) {
        l += strlen("/locations/");
        n = strcspn(l, "/");
    }
    snprintf(buf, size, "%.*s", (int)n, l != NULL ? l : "");
}

/* Write the finding of `name`, and its entry when it is news. */
static int record(vouch_platform_ctx *ctx, check *c, const char *name,
                  const char *service, const char *id,
                  const json_t *containers, const plat_admission *a,
                  bool conforming, vouch_error *err)
{
    json_t *old = NULL;
    json_t *state = NULL;
    json_t *entry = NULL;
    const char **names = NULL;
    char location[VUTIL_ID_MAX + 1];
    char parent[300];
    char now[VUTIL_RFC3339_SIZE];
    const char *reasons = conforming ? "" : a->why;
    bool news;
    int rc;

    location_of(name, location, sizeof(location));
    snprintf(parent, sizeof(parent), "projects/%s/locations/%s", c->project,
             location);
    rc = plat_load(ctx->conn, KIND_CONFORMANCE, name, &old, err);
    if (rc < 0 && rc != VOUCH_ENOTFOUND) {
        return rc;
    }
    if (old != NULL &&
        json_is_true(json_object_get(old, "conforming")) == conforming &&
        vutil_same_text(json_string_value(json_object_get(old, "reasons")),
                        reasons)) {
        json_decref(old);
        return 0;   /* nothing new: already known, already reported */
    }
    news = !conforming;
    vutil_now_rfc3339(now, sizeof(now));
    state = json_pack("{s:s,s:s,s:b,s:s,s:s}", "name", name, "resourceKind",
                      service != NULL ? "Revision" : "Job", "conforming",
                      conforming, "reasons", reasons, "since", now);
    if (state != NULL && service != NULL) {
        json_object_set_new(state, "service", json_string(service));
    }
    rc = state != NULL ? plat_put(ctx->conn, KIND_CONFORMANCE, name, parent,
                                  state, old == NULL, err)
                       : plat_enomem(err);
    if (rc == 0 && news) {
        vouch_audit_cv_event ev;
        char sname[200];

        memset(&ev, 0, sizeof(ev));
        names = container_names(containers);
        ev.project = c->project;
        ev.location = location;
        if (service != NULL) {
            snprintf(sname, sizeof(sname), "%s", strrchr(service, '/') + 1);
            ev.service = sname;
            ev.revision = id;
        } else {
            ev.job = id;
        }
        ev.decision = a->decision;
        ev.containers = names;
        ev.description = reasons;
        rc = vouch_audit_cv_entry(&entry, &ev, err);
        if (rc == 0) {
            rc = vsvc_uow_audit(ctx->uow, entry, err);
        }
        c->counts.reported++;
    }
    free(names);
    json_decref(entry);
    json_decref(state);
    json_decref(old);
    return rc;
}

/* Admit `containers` as a deploy would, without breakglass: continuous
 * validation looks at what runs, whatever let it in. */
static int evaluate(vouch_platform_ctx *ctx, check *c, const char *name,
                    const char *service, const char *id,
                    const json_t *containers, const plat_binauthz *ba,
                    bool pinned, bool *conforming, vouch_error *err)
{
    plat_binauthz plain = *ba;
    plat_admission a;
    int rc;

    plain.breakglass = NULL;
    rc = plat_admit(ctx, c->project, containers, &plain, pinned, &a, err);
    if (rc < 0) {
        return rc;
    }
    *conforming = a.verdict == PLAT_ADMIT && a.decision != NULL &&
                  vouch_decision_outcome(a.decision) == VOUCH_OUTCOME_ALLOW;
    rc = record(ctx, c, name, service, id, containers, &a, *conforming, err);
    if (rc == 0) {
        rc = remember(c, name, service == NULL, *conforming);
        rc = rc < 0 ? plat_enomem(err) : 0;
    }
    plat_admission_clear(&a);
    return rc;
}

/*
 * The name of `obj` (a Service or Job) when it has one and is enforced,
 * with its binaryAuthorization in `ba`; else NULL and `ba` cleared. One
 * not enforced (or not readable as enforced) has nothing to conform to,
 * as its deploys were not checked either.
 */
static const char *enforced_name(const json_t *obj, const char *project,
                                 plat_binauthz *ba)
{
    const char *name = json_string_value(json_object_get(obj, "name"));

    if (plat_binauthz_parse(json_object_get(obj, "binaryAuthorization"),
                            project, ba, NULL) < 0 ||
        !ba->enabled || name == NULL) {
        plat_binauthz_clear(ba);
        return NULL;
    }
    return name;
}

static int check_service(vouch_platform_ctx *ctx, check *c,
                         const json_t *svc, vouch_error *err)
{
    plat_binauthz ba;
    const char *name = enforced_name(svc, c->project, &ba);
    size_t i;
    json_t *t;
    int rc;

    if (name == NULL) {
        return 0;
    }
    rc = 0;
    json_array_foreach(json_object_get(svc, "trafficStatuses"), i, t) {
        const char *rev = json_string_value(json_object_get(t, "revision"));
        const char *id = rev != NULL && strrchr(rev, '/') != NULL
                             ? strrchr(rev, '/') + 1
                             : rev;
        char rname[600];
        json_t *r = NULL;
        bool ok = true;

        if (id == NULL ||
            json_integer_value(json_object_get(t, "percent")) <= 0) {
            continue;
        }
        snprintf(rname, sizeof(rname), "%s/revisions/%s", name, id);
        rc = plat_load(ctx->conn, VOUCH_PLATFORM_KIND_REVISION, rname, &r,
                       err);
        if (rc == VOUCH_ENOTFOUND) {
            continue;
        }
        if (rc == 0) {
            rc = evaluate(ctx, c, rname, name, id,
                          json_object_get(r, "containers"), &ba, true, &ok,
                          err);
        }
        json_decref(r);
        if (rc < 0) {
            break;
        }
        c->counts.revisions_checked++;
        c->counts.revisions_nonconforming += ok ? 0 : 1;
    }
    plat_binauthz_clear(&ba);
    return rc;
}

static int check_job(vouch_platform_ctx *ctx, check *c, const json_t *job,
                     vouch_error *err)
{
    const json_t *task = json_object_get(json_object_get(job, "template"),
                                         "template");
    plat_binauthz ba;
    const char *name = enforced_name(job, c->project, &ba);
    bool ok = true;
    int rc;

    if (name == NULL) {
        return 0;
    }
    rc = evaluate(ctx, c, name, NULL, strrchr(name, '/') + 1,
                  json_object_get(task, "containers"), &ba, false, &ok, err);
    plat_binauthz_clear(&ba);
    if (rc == 0) {
        c->counts.jobs_checked++;
        c->counts.jobs_nonconforming += ok ? 0 : 1;
    }
    return rc;
}

/* Findings of resources that no longer serve or exist: forgotten. */
static int forget(const vouch_resource *item, void *payload)
{
    check *c = payload;

    if (strncmp(item->name, c->prefix, strlen(c->prefix)) != 0) {
        return 0;
    }
    for (size_t i = 0; i < c->found_count; i++) {
        if (strcmp(c->found[i].name, item->name) == 0) {
            return 0;
        }
    }
    return remember(c, item->name, false, true) < 0 ? VOUCH_ENOMEM : 0;
}

static int forget_stale(vouch_platform_ctx *ctx, check *c, vouch_error *err)
{
    size_t checked = c->found_count;
    vouch_resource_query q;
    int rc;

    /* forget() appends the stale names after the checked ones. */
    memset(&q, 0, sizeof(q));
    q.kind = KIND_CONFORMANCE;
    rc = vsvc__each(ctx->conn, &q, forget, c, err);
    if (rc == VOUCH_ENOMEM) {
        return plat_enomem(err);
    }
    if (rc < 0) {
        return rc;
    }
    for (size_t i = checked; i < c->found_count; i++) {
        rc = vouch_store_delete(ctx->conn, KIND_CONFORMANCE,
                                c->found[i].name, NULL, err);
        if (rc < 0 && rc != VOUCH_ENOTFOUND) {
            return rc;
        }
    }
    c->found_count = checked;
    return 0;
}

static int check_unit(vouch_platform_ctx *ctx, void *payload, json_t **out,
                      vouch_error *err)
{
    check *c = payload;
    size_t i;
    json_t *item;
    int rc;

    (void)out;
    memset(&c->counts, 0, sizeof(c->counts));
    c->found_count = 0;
    rc = collect(ctx->conn, c, err);
    json_array_foreach(c->services, i, item) {
        if (rc == 0) {
            rc = check_service(ctx, c, item, err);
        }
    }
    json_array_foreach(c->jobs, i, item) {
        if (rc == 0) {
            rc = check_job(ctx, c, item, err);
        }
    }
    return rc == 0 ? forget_stale(ctx, c, err) : rc;
}

int vouch_platform_conformance_check(vouch_platform_ctx *ctx,
                                     const char *project,
                                     const char *location,
                                     vouch_platform_conformance *out,
                                     vouch_error *err)
{
    check c;
    json_t *none = NULL;
    int rc;

    memset(&c, 0, sizeof(c));
    memset(out, 0, sizeof(*out));
    if (!plat_valid_segment(project) ||
        (location != NULL && !plat_valid_segment(location))) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "project and location must be ids");
    }
    c.project = project;
    c.location = location;
    if (location != NULL) {
        snprintf(c.prefix, sizeof(c.prefix), "projects/%s/locations/%s/",
                 project, location);
    } else {
        snprintf(c.prefix, sizeof(c.prefix), "projects/%s/", project);
    }
    c.services = json_array();
    c.jobs = json_array();
    rc = c.services != NULL && c.jobs != NULL ? 0 : plat_enomem(err);
    if (rc == 0) {
        rc = plat_unit_run(ctx, NULL, check_unit, &c, &none, err);
    }
    if (rc == 0) {
        *out = c.counts;
        gauge_set(ctx, project);
    }
    json_decref(none);
    json_decref(c.services);
    json_decref(c.jobs);
    free(c.found);
    return rc;
}

/* ---- showing the findings ---- */

typedef struct attach_job {
    json_t *states;           /* name -> stored finding */
} attach_job;

static int take_state(const vouch_resource *item, void *payload)
{
    attach_job *j = payload;
    json_t *state = json_loads(item->json, 0, NULL);

    if (state == NULL ||
        json_object_set_new(j->states, item->name, state) < 0) {
        return VOUCH_ENOMEM;
    }
    return 0;
}

/* The conformance of a service: its serving revisions' findings. */
static json_t *service_conformance(const attach_job *j, const char *name)
{
    json_t *bad = json_array();
    bool any = false;
    const char *key;
    json_t *state;

    json_object_foreach(j->states, key, state) {
        const char *svc = json_string_value(json_object_get(state,
                                                            "service"));

        if (svc == NULL || strcmp(svc, name) != 0) {
            continue;
        }
        any = true;
        if (!json_is_true(json_object_get(state, "conforming"))) {
            json_array_append_new(bad, json_pack(
                "{s:s,s:O,s:O}", "revision", key, "reasons",
                json_object_get(state, "reasons"), "since",
                json_object_get(state, "since")));
        }
    }
    if (!any) {
        json_decref(bad);
        return NULL;
    }
    return json_pack("{s:b,s:o}", "conforming", json_array_size(bad) == 0,
                     "nonConformingRevisions", bad);
}

static json_t *job_conformance(const attach_job *j, const char *name)
{
    json_t *state = json_object_get(j->states, name);

    if (state == NULL) {
        return NULL;
    }
    return json_pack("{s:O,s:O,s:O}", "conforming",
                     json_object_get(state, "conforming"), "reasons",
                     json_object_get(state, "reasons"), "since",
                     json_object_get(state, "since"));
}

int vouch_platform_conformance_attach(vouch_platform_ctx *ctx,
                                      json_t *items, vouch_error *err)
{
    attach_job j = { json_object() };
    vouch_resource_query q;
    size_t i;
    json_t *item;
    int rc;

    if (j.states == NULL) {
        return plat_enomem(err);
    }
    memset(&q, 0, sizeof(q));
    q.kind = KIND_CONFORMANCE;
    rc = vsvc__each(ctx->conn, &q, take_state, &j, err);
    if (rc == VOUCH_ENOMEM) {
        rc = plat_enomem(err);
    }
    json_array_foreach(items, i, item) {
        const char *name = json_string_value(json_object_get(item, "name"));
        json_t *conf;

        if (rc < 0 || name == NULL) {
            continue;
        }
        conf = strstr(name, "/jobs/") != NULL ? job_conformance(&j, name)
                                              : service_conformance(&j,
                                                                    name);
        if (conf != NULL) {
            json_object_set_new(item, "conformance", conf);
        }
    }
    json_decref(j.states);
    return rc;
}

/* The listener of policy and attestor changes (vsvc_on_change). */
void plat_conformance_on_change(vsvc_session *s, const char *project,
                                void *payload)
{
    vouch_platform_ctx ctx;
    vouch_platform_conformance counts;
    vouch_error err = VOUCH_ERROR_INIT;
    char text[512];

    vouch_platform_ctx_init(&ctx, payload, s);
    if (vouch_platform_conformance_check(&ctx, project, NULL, &counts,
                                         &err) < 0) {
        vouch_error_format(&err, text, sizeof(text));
        fprintf(stderr, "vouchd: continuous validation of project %s: %s\n",
                project, text);
    }
}
