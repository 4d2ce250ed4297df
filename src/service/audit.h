/*
 * vouch service — audit log entries (docs/audit.md): building Cloud
 * Audit Logs LogEntries for enforcement events (deny, dry run,
 * breakglass) and for admin activity (policy, attestor and org-policy
 * changes), storing them in the caller's store transaction, listing them
 * for POST /v2/entries:list, and appending them as JSON lines to a file
 * (the audit sink).
 *
 * Entries are jansson objects. Every entry has insertId, timestamp and
 * receiveTimestamp (RFC 3339 UTC with microseconds), logName, resource,
 * severity, labels and protoPayload (type.googleapis.com/
 * google.cloud.audit.AuditLog).
 *
 * Stored as kind "logentry", name
 * "projects/P/logEntries/TIMESTAMP/INSERT_ID" (so the store's name order
 * is timestamp order), parent "projects/P", attr1 = logName, attr2 =
 * resource.type (store migration 4; it was the timestamp before).
 *
 * Thread safety: the builders and the list are reentrant (the list uses
 * the caller's connection, which is not thread-safe); a sink is
 * thread-safe.
 */
#ifndef VOUCH_PLATFORM_AUDIT_H
#define VOUCH_PLATFORM_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "logfilter.h"
#include "store.h"
#include "vouch/common.h"
#include "vouch/evaluate.h"

#define VOUCH_AUDIT_KIND "logentry"

/* Log ids (the part of logName after "projects/P/logs/"). */
#define VOUCH_AUDIT_LOG_SYSTEM_EVENT "cloudaudit.googleapis.com%2Fsystem_event"
#define VOUCH_AUDIT_LOG_ACTIVITY     "cloudaudit.googleapis.com%2Factivity"
#define VOUCH_AUDIT_LOG_CONTINUOUS_VALIDATION \
    "binaryauthorization.googleapis.com%2Fcontinuous_validation"

/* protoPayload.serviceName values. */
#define VOUCH_AUDIT_SERVICE_RUN       "run.googleapis.com"
#define VOUCH_AUDIT_SERVICE_BINAUTHZ  "binaryauthorization.googleapis.com"
#define VOUCH_AUDIT_SERVICE_ORGPOLICY "orgpolicy.googleapis.com"

/* protoPayload.methodName of the admin-activity entries. */
#define VOUCH_AUDIT_BINAUTHZ_V1 \
    "google.cloud.binaryauthorization.v1.BinauthzManagementServiceV1."
#define VOUCH_AUDIT_BINAUTHZ_V1BETA1                                  \
    "google.cloud.binaryauthorization.v1beta1."                       \
    "BinauthzManagementServiceV1Beta1."
#define VOUCH_AUDIT_METHOD_UPDATE_POLICY \
    VOUCH_AUDIT_BINAUTHZ_V1 "UpdatePolicy"
#define VOUCH_AUDIT_METHOD_CREATE_ATTESTOR \
    VOUCH_AUDIT_BINAUTHZ_V1 "CreateAttestor"
#define VOUCH_AUDIT_METHOD_UPDATE_ATTESTOR \
    VOUCH_AUDIT_BINAUTHZ_V1 "UpdateAttestor"
#define VOUCH_AUDIT_METHOD_DELETE_ATTESTOR \
    VOUCH_AUDIT_BINAUTHZ_V1 "DeleteAttestor"
#define VOUCH_AUDIT_METHOD_ORG_UPDATE_POLICY \
    "google.cloud.orgpolicy.v2.OrgPolicy.UpdatePolicy"

/* The condition reason of a denied revision or execution (v1 spelling). */
#define VOUCH_AUDIT_REASON_UNAUTHORIZED "ContainerImageUnauthorized"
/* The annotation that carries a breakglass justification. */
#define VOUCH_AUDIT_BREAKGLASS_ANNOTATION \
    "run.googleapis.com/binary-authorization-breakglass"

/* Limits of POST /v2/entries:list (docs/audit.md). */
#define VOUCH_AUDIT_PAGE_DEFAULT          50u
#define VOUCH_AUDIT_PAGE_MAX              1000u
#define VOUCH_AUDIT_RESOURCE_NAMES_MAX    100u
#define VOUCH_AUDIT_QUERY_MAX_BYTES       (256u * 1024u)
/*
 * The work one entries:list request may do, in terms (the filter's
 * vouch_logfilter_terms) times entries read, each entry counting
 * VOUCH_AUDIT_ENTRY_TERMS more for reading and parsing it (about what
 * five global-search words cost on it). Past it the request answers with
 * the entries found so far (maybe none) and a nextPageToken that resumes
 * after the last entry read; at least one entry is read. That is 5,000
 * entries without a filter, 4,545 with one comparison, 13 with 20,000
 * bytes of OR'd global-search words (bench/README.md measures them).
 */
#define VOUCH_AUDIT_SCAN_BUDGET           50000u
#define VOUCH_AUDIT_ENTRY_TERMS           10u
/* Longest insertId accepted from a caller: [A-Za-z0-9._-]. */
#define VOUCH_AUDIT_INSERT_ID_MAX         128u
/* Longest project id in a resource name: [A-Za-z0-9._~-]. */
#define VOUCH_AUDIT_PROJECT_MAX           128u

/* ------------------------------------------------------------------ */
/* Building entries                                                   */

/**
 * An enforcement event on Cloud Run: a revision of a service (service +
 * revision set) or an execution of a job (job set, execution optional).
 * Strings are borrowed for the call.
 */
typedef struct vouch_audit_run_event {
    const char *project;        /* required */
    const char *location;       /* required */
    const char *service;        /* revision events: the service */
    const char *revision;       /* revision events: the revision id */
    const char *job;            /* job events: the job */
    const char *execution;      /* job events: the execution id, or NULL */
    const char *method_name;    /* required, e.g. "google.cloud.run.v2."
                                   "Services.CreateService" */
    const char *resource_name;  /* NULL: the v2 name of the revision,
                                   execution or job */
    const vouch_decision *decision;  /* required */
    const char *breakglass;     /* the justification, or NULL */
    const char *timestamp;      /* NULL: now; else exactly
                                   "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" */
    const char *insert_id;      /* NULL: a random one */
} vouch_audit_run_event;

/**
 * Does this decision need an enforcement entry? True for DENY,
 * ALLOW_DRYRUN, ALLOW_BREAKGLASS, and for any decision made with a
 * breakglass justification (breakglass is always logged).
 */
bool vouch_audit_run_wanted(const vouch_decision *decision,
                            const char *breakglass);

/**
 * Build the system_event entry of an enforcement event (docs/audit.md
 * shows one of each kind). Severity ERROR for a deny, WARNING for dry run
 * and breakglass. The decision JSON is at protoPayload.metadata.decision.
 *
 * @param[out] out  Caller owns it; json_decref(). NULL on failure.
 * @return 0; VOUCH_EINVAL (a required field is missing or malformed, or
 *         the decision needs no entry: the message names the field);
 *         VOUCH_ENOMEM.
 */
int vouch_audit_run_entry(json_t **out, const vouch_audit_run_event *ev,
                          vouch_error *err);

/**
 * A Kubernetes admission event (docs/kubernetes.md, "Audit entries"): a
 * Pod or workload the webhook denied, let through on a dry-run rule, or
 * admitted by break-glass. Strings are borrowed for the call.
 */
typedef struct vouch_audit_k8s_event {
    const char *project;        /* required */
    const char *location;       /* required: the cluster's location */
    const char *cluster;        /* required: the cluster's name */
    const char *method_name;    /* required: "io.k8s.core.v1.pods.create" */
    const char *resource_name;  /* required:
                                   "core/v1/namespaces/NS/pods/NAME" */
    const char *principal;      /* the review's userInfo.username, or
                                   NULL */
    const char *uid;            /* the review's uid, or NULL */
    const vouch_decision *decision;  /* required; not a plain ALLOW */
    const char *message;        /* the deny message (GKE's form), or NULL:
                                   the decision's */
    const char *timestamp;      /* as for vouch_audit_run_event */
    const char *insert_id;
} vouch_audit_k8s_event;

/**
 * Build the entry of a Kubernetes admission event: log
 * cloudaudit.googleapis.com%2Factivity, resource type "k8s_cluster" with
 * labels project_id, location and cluster_name, protoPayload.serviceName
 * "k8s.io", the object in protoPayload.resourceName, on a deny a
 * protoPayload.response {status Failure, reason VIOLATES_POLICY, code
 * 403}, the decision JSON at protoPayload.metadata.decision (and the
 * review's uid at protoPayload.metadata.admissionReviewUid). Severity
 * ERROR for a deny, WARNING for a dry run and break-glass; the labels of
 * vouch_audit_run_entry().
 *
 * @param[out] out  Caller owns it; json_decref(). NULL on failure.
 * @return 0; VOUCH_EINVAL (a required field is missing or malformed, or
 *         the decision is a plain ALLOW: the message names the field);
 *         VOUCH_ENOMEM.
 */
int vouch_audit_k8s_entry(json_t **out, const vouch_audit_k8s_event *ev,
                          vouch_error *err);

/**
 * A continuous-validation finding (docs/run.md, "Continuous validation"):
 * a serving revision (service + revision) or a job's template (job) that
 * no longer conforms to the current policy. Strings borrowed.
 */
typedef struct vouch_audit_cv_event {
    const char *project;        /* required */
    const char *location;       /* required */
    const char *service;        /* a revision: its service */
    const char *revision;       /* a revision: its id */
    const char *job;            /* or a job */
    const vouch_decision *decision;  /* NULL when the check could not be
                                        made (an image not resolved) */
    const char *const *containers;   /* the container of each image of
                                        the decision (may be NULL) */
    const char *description;    /* required: why, in the words of a
                                   deploy's refusal */
    const char *timestamp;      /* as for vouch_audit_run_event */
    const char *insert_id;
} vouch_audit_cv_event;

/**
 * Build the entry of a finding: log
 * binaryauthorization.googleapis.com%2Fcontinuous_validation, severity
 * WARNING, resource cloud_run_revision or cloud_run_job as for
 * enforcement entries, and a jsonPayload of @type
 * google.cloud.binaryauthorization.v1beta1.ContinuousValidationEvent whose
 * runEvent names the resource, the policy, the verdict VIOLATES_POLICY
 * and each image with its container, result (ALLOW or DENY) and reason;
 * the label binaryauthorization.googleapis.com/continuous-validation
 * holds the decision's outcome (DENY, ALLOW_DRYRUN) or CHECK_FAILED.
 *
 * @param[out] out  Caller owns it; json_decref(). NULL on failure.
 * @return 0; VOUCH_EINVAL (the message names the missing field);
 *         VOUCH_ENOMEM.
 */
int vouch_audit_cv_entry(json_t **out, const vouch_audit_cv_event *ev,
                         vouch_error *err);

/* The label value of an entry whose check could not be made. */
#define VOUCH_AUDIT_CHECK_FAILED "CHECK_FAILED"

/**
 * Build the system_event entry of a deploy or execution refused because
 * its check could not be made (an image not resolved: the registry
 * unreachable, slow past the deadline, or answering 5xx/429 past the
 * retries; or the policy not read). `ev` as for vouch_audit_run_entry()
 * without a decision (ev->decision and ev->breakglass are not read);
 * `code` is the failure's vouch code (VOUCH_EIO: protoPayload.status
 * code 14, UNAVAILABLE) and `message` the refusal as the operation tells
 * it (it names the image and the registry). Severity ERROR; the label
 * binaryauthorization.googleapis.com/decision is "CHECK_FAILED"; the
 * response's Ready condition has reason
 * ContainerImageAuthorizationCheckFailed.
 *
 * @param[out] out  Caller owns it; json_decref(). NULL on failure.
 * @return 0; VOUCH_EINVAL (the message names the missing field);
 *         VOUCH_ENOMEM.
 */
int vouch_audit_run_failed_entry(json_t **out,
                                 const vouch_audit_run_event *ev,
                                 int code, const char *message,
                                 vouch_error *err);

/** A change made through a management API. Strings borrowed. */
typedef struct vouch_audit_admin_event {
    const char *project;        /* required */
    const char *service_name;   /* NULL: binaryauthorization.googleapis.com */
    const char *method_name;    /* required, VOUCH_AUDIT_METHOD_* */
    const char *resource_name;  /* required, "projects/p/attestors/a" */
    const json_t *request;      /* the request body, or NULL; copied */
    const json_t *response;     /* the response, or NULL; copied */
    const json_t *service_data; /* protoPayload.serviceData (setIamPolicy's
                                   policyDelta), or NULL; copied */
    const char *principal;      /* authenticationInfo.principalEmail, or
                                   NULL */
    const char *timestamp;      /* as for vouch_audit_run_event */
    const char *insert_id;
} vouch_audit_admin_event;

/**
 * Build the admin-activity entry (log cloudaudit.googleapis.com%2Factivity,
 * severity NOTICE, resource type "audited_resource" with labels service,
 * method and project_id) of a policy, attestor or org-policy change.
 *
 * @param[out] out  Caller owns it; json_decref(). NULL on failure.
 * @return 0; VOUCH_EINVAL (the message names the missing field);
 *         VOUCH_ENOMEM.
 */
int vouch_audit_admin_entry(json_t **out, const vouch_audit_admin_event *ev,
                            vouch_error *err);

/* ------------------------------------------------------------------ */
/* Storing and listing                                                */

/**
 * Store `entry` (borrowed) in the open write transaction of `conn`, so it
 * commits or rolls back with the change it records.
 *
 * @return 0; VOUCH_EINVAL (not an entry built here: logName, timestamp or
 *         insertId missing or malformed); VOUCH_ECONFLICT (the
 *         insertId exists at that timestamp); VOUCH_EIO; VOUCH_ENOMEM.
 */
int vouch_audit_store(vouch_store_conn *conn, const json_t *entry,
                      vouch_error *err);

typedef enum vouch_audit_order {
    VOUCH_AUDIT_ASC = 0,        /* "timestamp asc", the default */
    VOUCH_AUDIT_DESC = 1        /* "timestamp desc" */
} vouch_audit_order;

/** A parsed entries:list request (src/api/logging.c parses the Logging
 * v2 body into it). Clear with vouch_audit_query_clear(). */
typedef struct vouch_audit_query {
    char **projects;            /* project ids, without duplicates */
    size_t project_count;
    vouch_logfilter *filter;    /* NULL: every entry */
    vouch_audit_order order;
    size_t page_size;           /* 1..VOUCH_AUDIT_PAGE_MAX; 0: default */
    char *filter_text;          /* the filter as given; NULL: none
                                   (malloc'd) */
    char *page_token;           /* as given (malloc'd); opened by
                                   vouch_audit_list, which resumes only
                                   the list (projects, filter, order) that
                                   issued it; or NULL */
} vouch_audit_query;

/** Free what `q` holds and zero it. NULL is a no-op. */
void vouch_audit_query_clear(vouch_audit_query *q);

/**
 * List one page of entries: {"entries": [...], "nextPageToken": "..."}
 * (each left out when empty, as proto3 JSON does), ordered by timestamp
 * (then insertId), across every project of the query. A request reads at
 * most VOUCH_AUDIT_SCAN_BUDGET's worth of entries: past it the page is
 * short (maybe empty) and has a nextPageToken. logName=, resource.type=
 * and timestamp bounds at the top level of the filter are read from the
 * store's indexes (docs/audit.md).
 *
 * @param[out] out  Caller owns it; json_decref(). NULL on failure.
 * @return 0; VOUCH_EINVAL (a page token of another list: other projects,
 *         another filter, or another orderBy; or not a token at all:
 *         source "request body", the message starts "pageToken: ");
 *         VOUCH_EIO (store; or a stored entry that is not JSON);
 *         VOUCH_ENOMEM.
 */
int vouch_audit_list(vouch_store_conn *conn, const vouch_audit_query *q,
                     json_t **out, vouch_error *err);

/* ------------------------------------------------------------------ */
/* The file sink (written after commit: vsvc_uow_audit)               */

typedef struct vouch_audit_sink vouch_audit_sink;

/**
 * Open (create, mode 0640, or append to) a JSON-lines file.
 *
 * @param[out] out  Caller owns it; vouch_audit_sink_close().
 * @return 0; VOUCH_EIO (cannot open; the message says why); VOUCH_ENOMEM.
 */
int vouch_audit_sink_open(vouch_audit_sink **out, const char *path,
                          vouch_error *err);

/**
 * Append `entry` as one compact line (keys sorted) and flush it.
 * Thread-safe: lines from several threads never interleave.
 *
 * @return 0; VOUCH_EIO; VOUCH_ENOMEM.
 */
int vouch_audit_sink_write(vouch_audit_sink *sink, const json_t *entry,
                           vouch_error *err);

/** Close the file. NULL is a no-op. */
void vouch_audit_sink_close(vouch_audit_sink *sink);

#endif /* VOUCH_PLATFORM_AUDIT_H */
