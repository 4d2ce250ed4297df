/*
 * vouch service — the one place that defines what the store keeps: the
 * kind of each resource, the shape of its name and of its parent, and
 * what its two indexed attributes hold. Every layer above the store
 * (service, platform, API adapters) builds names here, so
 * "projects/P/attestors/A" is written down once.
 *
 *   kind         name (parent)
 *   policy       projects/P/policy (projects/P)
 *   attestor     projects/P/attestors/A (projects/P)
 *   note         projects/P/notes/N (projects/P)
 *   occurrence   projects/P/occurrences/UUID (projects/P)
 *   logentry     projects/P/logEntries/TIMESTAMP/INSERT_ID (projects/P)
 *   service      projects/P/locations/L/services/S
 *                (projects/P/locations/L)
 *   revision     …/services/S/revisions/R (the service)
 *   job          projects/P/locations/L/jobs/J (projects/P/locations/L)
 *   execution    …/jobs/J/executions/E (the job)
 *   operation    projects/P/locations/L/operations/ID
 *                (projects/P/locations/L)
 *   orgpolicy    projects/P/policies/run.allowedBinaryAuthorizationPolicies
 *                (projects/P)
 *   iampolicy    the name of the resource it is set on: projects/P,
 *                projects/P/policy, projects/P/attestors/A,
 *                projects/P/notes/N, projects/P/locations/L/services/S,
 *                projects/P/locations/L/jobs/J (projects/P); built from
 *                two ids, the project and the rest of the name ("" for
 *                the project itself, "/attestors/a" for an attestor)
 *
 * Indexed attributes (vouch_resource attr1 / attr2):
 *   occurrence   attr1 = noteName, attr2 = the resource URI without a
 *                leading "https://" (so the list filter and the evidence
 *                of a deploy are one indexed lookup)
 *   logentry     attr1 = logName, attr2 = resource.type (store migration 4)
 *   iampolicy    attr1 = "project" on a project's own policy (the
 *                policies of every project are one indexed lookup)
 *   service, revision, job, execution
 *                attr1 = parent (children are counted without listing)
 *   others       none
 *
 * Thread safety: reentrant.
 */
#ifndef VSVC_NAMES_H
#define VSVC_NAMES_H

#include <stddef.h>

#include "vouch/common.h"

typedef enum vsvc_kind {
    VSVC_POLICY = 0,
    VSVC_ATTESTOR,
    VSVC_NOTE,
    VSVC_OCCURRENCE,
    VSVC_LOGENTRY,
    VSVC_SERVICE,
    VSVC_REVISION,
    VSVC_JOB,
    VSVC_EXECUTION,
    VSVC_OPERATION,
    VSVC_ORGPOLICY,
    VSVC_IAMPOLICY,
    VSVC_KIND_COUNT
} vsvc_kind;

/* Store kinds, as strings (the store's `kind` column). */
#define VSVC_KIND_POLICY     "policy"
#define VSVC_KIND_ATTESTOR   "attestor"
#define VSVC_KIND_NOTE       "note"
#define VSVC_KIND_OCCURRENCE "occurrence"
#define VSVC_KIND_LOGENTRY   "logentry"
#define VSVC_KIND_SERVICE    "service"
#define VSVC_KIND_REVISION   "revision"
#define VSVC_KIND_JOB        "job"
#define VSVC_KIND_EXECUTION  "execution"
#define VSVC_KIND_OPERATION  "operation"
#define VSVC_KIND_ORGPOLICY  "orgpolicy"
#define VSVC_KIND_IAMPOLICY  "iampolicy"
/* A continuous-validation finding of a serving revision or a job
 * (src/platform/conformance.c), named as the resource it is about. */
#define VSVC_KIND_CONFORMANCE "conformance"

/* The one org-policy constraint served (the last part of its name). */
#define VSVC_CONSTRAINT "run.allowedBinaryAuthorizationPolicies"

/* Longest name built here. */
#define VSVC_NAME_MAX 700u

/* The store kind of `k` ("attestor"); NULL for an unknown value. */
const char *vsvc_kind_text(vsvc_kind k);

/* How many ids the name of `k` is built from (attestor: 2, project and
 * attestor id; revision: 4). */
size_t vsvc_kind_ids(vsvc_kind k);

/*
 * The name of a `k` from its ids, outermost first ({"p", "a"} gives
 * "projects/p/attestors/a"), into `buf`. The ids are not checked here
 * (the router and the service check them).
 *
 * @return 0; VOUCH_EINVAL (wrong number of ids, a NULL id, or the name
 *         does not fit in `size`).
 */
int vsvc_name(char *buf, size_t size, vsvc_kind k, const char *const *ids,
              size_t count, vouch_error *err);

/* The parent a `k` is listed under, from the same ids (the last one
 * unused). */
int vsvc_parent(char *buf, size_t size, vsvc_kind k, const char *const *ids,
                size_t count, vouch_error *err);

/* Shorthands for the names every Binary Authorization and Container
 * Analysis call builds: "projects/P", "projects/P/policy",
 * "projects/P/attestors/A", "projects/P/notes/N",
 * "projects/P/occurrences/O". Cut short (never overflowing) past `size`;
 * callers size their buffers with VSVC_NAME_MAX. */
void vsvc_project_name(char *buf, size_t size, const char *project);
void vsvc_policy_name(char *buf, size_t size, const char *project);
void vsvc_child_name(char *buf, size_t size, vsvc_kind k,
                     const char *project, const char *id);

/* The id at the end of a resource name ("projects/p/attestors/a" → "a");
 * a bare id as it is; NULL stays NULL. Borrowed: points into `name`. */
const char *vsvc_short_id(const char *name);

/* The resource URI as stored and matched: without a leading "https://".
 * Borrowed: points into `uri`. */
const char *vsvc_resource_uri_normal(const char *uri);

#endif /* VSVC_NAMES_H */
