/*
 * vouch service — the service layer's interface for adapters (src/api):
 * Binary Authorization (policies, the system policy, attestors,
 * validateAttestationOccurrence), Container Analysis (notes,
 * occurrences), the audit log (entries:list) and generic reads of stored
 * resources. The Cloud Run part is src/platform (platform.h), which runs
 * on the same sessions.
 *
 * The service owns the domain rules (what must exist before what may be
 * written, etags, ids), the resource names and kinds (vsvc_names.h), the
 * admin-activity audit entries of every change, and the transactions:
 * each call is one unit of work (vsvc_uow.h), a read without one or a
 * change with its own. Adapters hand over request bodies as bytes and get
 * JSON back; they never see the store.
 *
 * Errors: each call returns 0 or a negative vouch_code with `err` filled;
 * the code maps to an HTTP status and a gRPC code through the util
 * layer's table (vutil_error.h), and the message is ready for the caller
 * ("attestor projects/p/attestors/a not found", "request body:3:7: ...",
 * "store: ..."). A store that cannot be reached is VOUCH_EIO.
 *
 * Thread safety: a vsvc is shared by every request thread; a session
 * belongs to one request (one thread).
 */
#ifndef VSVC_H
#define VSVC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "iam.h"
#include "registry.h"
#include "vouch/vouch.h"
#include "vsvc_names.h"

typedef struct vsvc vsvc;
typedef struct vsvc_session vsvc_session;

typedef struct vsvc_options {
    unsigned version;                   /* VSVC_OPTIONS_VERSION */
    vouch_store *store;                 /* required; borrowed */
    vouch_registry *registry;           /* borrowed; NULL: a tag cannot be
                                           resolved */
    const vouch_policy *system_policy;  /* borrowed; NULL: none */
    vouch_audit_sink *audit_sink;       /* borrowed; NULL: no file sink */
    size_t compiled_entries;            /* 0: VSVC_COMPILED_ENTRIES */
    const char *const *k8s_trust_domains;  /* "LOCATION.NAME=DOMAIN": the
                                           Istio trust domain of a
                                           cluster (default
                                           cluster.local); copied */
    size_t k8s_trust_domain_count;
} vsvc_options;

#define VSVC_OPTIONS_VERSION 1
#define VSVC_OPTIONS_INIT \
    { VSVC_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, NULL, 0 }

/* List page sizes (docs/api.md): default and maximum. */
#define VSVC_PAGE_DEFAULT 100u
#define VSVC_PAGE_MAX     1000u
/* At most this many occurrences in one batchCreate (Google's limit). */
#define VSVC_BATCH_MAX 1000u

/**
 * @param[out] out  Caller owns it; vsvc_free(). Every borrowed object must
 *                  outlive it.
 * @return 0; VOUCH_EINVAL (no store, unknown options version, a trust
 *         domain that is not LOCATION.NAME=DOMAIN); VOUCH_ENOMEM.
 */
int vsvc_new(vsvc **out, const vsvc_options *opts, vouch_error *err);
void vsvc_free(vsvc *svc);

/**
 * What to run after every committed change of a project's policy, or of
 * an attestor (the run platform's continuous validation): `fn(session,
 * project, payload)`, in the request's thread, after the commit, with no
 * transaction open on the session's connection. Its failures are its own
 * to report: the change stands. Set once, before requests are served.
 */
typedef void (*vsvc_change_fn)(vsvc_session *s, const char *project,
                               void *payload);
void vsvc_on_change(vsvc *svc, vsvc_change_fn fn, void *payload);

/** Counters for /metrics. */
typedef struct vsvc_counts {
    uint64_t verify_hits;      /* signature verifications */
    uint64_t verify_misses;
    uint64_t store_hits;       /* the store's read cache (PostgreSQL) */
    uint64_t store_misses;
    uint64_t compiled_hits;    /* policies and attestors not compiled again */
    uint64_t compiled_misses;
} vsvc_counts;

void vsvc_counts_read(vsvc *svc, vsvc_counts *out);

/**
 * A session for one request: a store connection from the pool (blocks
 * while all are in use).
 *
 * @return 0; VOUCH_EIO (the store cannot be reached); VOUCH_ENOMEM.
 */
int vsvc_session_open(vsvc *svc, vsvc_session **out, vouch_error *err);
/** Give the connection back. NULL is a no-op. */
void vsvc_session_close(vsvc_session *s);

/**
 * Who the session's request comes from, for the audit entries of its
 * changes (protoPayload.authenticationInfo): the bare e-mail address of a
 * user or service account, or the principal:// form of a subject without
 * one; both NULL for an anonymous caller. Copied.
 *
 * @return 0; VOUCH_ENOMEM.
 */
int vsvc_session_set_caller(vsvc_session *s, const char *email,
                            const char *subject, vouch_error *err);

/** The caller set on the session (borrowed; either may be NULL). */
void vsvc_session_caller(const vsvc_session *s, const char **email,
                         const char **subject);

/** The version of Binary Authorization's API the session's request came
 * through; its admin-activity entries name that version's methods
 * (docs/audit.md). v1 unless set. */
typedef enum vsvc_binauthz_api {
    VSVC_BINAUTHZ_V1 = 0,
    VSVC_BINAUTHZ_V1BETA1,
} vsvc_binauthz_api;

void vsvc_session_set_binauthz_api(vsvc_session *s, vsvc_binauthz_api api);

/** Is the store reachable (for /readyz)? 0 or VOUCH_EIO. */
int vsvc_ping(vsvc_session *s, vouch_error *err);

/** The outcome name of the last decision a call made ("VERIFIED",
 * "DENY", ...) or NULL; static. For the decision counters. */
const char *vsvc_session_outcome(const vsvc_session *s);

/* ---- reading and listing ---- */

/** One page of a list. Clear with vsvc_page_clear(). */
typedef struct vsvc_page {
    json_t *items;             /* array of the resources; owned */
    char *next_page_token;     /* NULL on the last page */
} vsvc_page;

void vsvc_page_clear(vsvc_page *page);

/** Which page: `size` 0 is VSVC_PAGE_DEFAULT, larger than VSVC_PAGE_MAX
 * is lowered to it; `token` from a previous page, or NULL. */
typedef struct vsvc_page_request {
    size_t size;
    const char *token;
} vsvc_page_request;

/**
 * The stored JSON of the `kind` (vsvc_names.h) named by `ids`, as text
 * into `*out` (malloc'd; free()).
 *
 * @return 0; VOUCH_ENOTFOUND ("KIND NAME not found"); VOUCH_EINVAL (ids);
 *         VOUCH_EIO; VOUCH_ENOMEM.
 */
int vsvc_get(vsvc_session *s, vsvc_kind kind, const char *const *ids,
             size_t count, char **out, vouch_error *err);

/**
 * One page of the `kind` listed under the parent named by `ids` (the ids
 * of the kind's name but the last), ordered by name.
 *
 * @return 0; VOUCH_EINVAL (a page token vouchd did not issue; the message
 *         starts with "pageToken"); VOUCH_EIO; VOUCH_ENOMEM.
 */
int vsvc_list(vsvc_session *s, vsvc_kind kind, const char *const *ids,
              size_t count, const vsvc_page_request *page, vsvc_page *out,
              vouch_error *err);

/**
 * The stored JSON of the `kind` named `name` (a whole resource name, for
 * adapters that find names rather than build them: the Cloud Run v1
 * adapter), as text into `*out` (malloc'd; free()).
 *
 * @return 0; VOUCH_ENOTFOUND ("KIND NAME not found"); VOUCH_EIO;
 *         VOUCH_ENOMEM.
 */
int vsvc_get_named(vsvc_session *s, vsvc_kind kind, const char *name,
                   char **out, vouch_error *err);

/**
 * Does one stored resource belong to a filtered list? `item` is its JSON
 * (borrowed). 1 yes, 0 no, or a negative vouch_code with `err` filled
 * (the list stops with it).
 */
typedef int (*vsvc_match_fn)(const char *name, const json_t *item,
                             void *payload, vouch_error *err);

/**
 * One page of the `kind` under `parent` (NULL: under any parent) whose
 * names start with `name_prefix` (NULL: any) and that `match` (NULL:
 * every one) selects, ordered by name: full pages although the store
 * cannot index the predicate, with a token that resumes exactly after
 * the last item returned (the Cloud Run v1 lists: label selectors, a
 * revision found by its id alone). `page->token` must come from a
 * previous page of the same filtered list.
 *
 * @return 0; VOUCH_EINVAL (a token this list did not issue; the message
 *         starts with "page token" or "list: page token"); the
 *         predicate's error; VOUCH_EIO; VOUCH_ENOMEM.
 */
int vsvc_list_matching(vsvc_session *s, vsvc_kind kind, const char *parent,
                       const char *name_prefix, vsvc_match_fn match,
                       void *payload, const vsvc_page_request *page,
                       vsvc_page *out, vouch_error *err);

/* ---- Binary Authorization ---- */

/**
 * The project's policy as JSON text (malloc'd; free()): the stored one, or
 * the default policy when the project never wrote one.
 */
int vsvc_policy_get(vsvc_session *s, const char *project, char **out,
                    size_t *out_len, vouch_error *err);

/**
 * Replace the project's policy with `body` (`len` bytes of JSON). Every
 * attestor a rule requires must exist (VOUCH_EINVAL naming each missing
 * one by field path); an `etag` in the body must be the stored one
 * (VOUCH_EABORTED). Writes the admin-activity audit entry. `*out` is the
 * stored policy (malloc'd; free()). With `validate_only` every check is
 * made but nothing is written or audited: `*out` is the policy as it
 * would be stored, with the stored version's etag and update time.
 */
int vsvc_policy_put(vsvc_session *s, const char *project, const char *body,
                    size_t len, bool validate_only, char **out,
                    size_t *out_len, vouch_error *err);

/**
 * The system policy (location "global" only: any other is
 * VOUCH_ENOTFOUND), as JSON text (malloc'd; free()).
 */
int vsvc_system_policy_get(vsvc *svc, const char *location, char **out,
                           size_t *out_len, vouch_error *err);

/** Create attestor `id` from `body`. Its note must exist (VOUCH_EINVAL);
 * a taken id is VOUCH_ECONFLICT. Audit entry. `*out` as stored. */
int vsvc_attestor_create(vsvc_session *s, const char *project,
                         const char *id, const char *body, size_t len,
                         char **out, vouch_error *err);

/** Replace attestor `id` (which must exist) with `body`; its note is
 * immutable; an `etag` must be current. Audit entry. */
int vsvc_attestor_update(vsvc_session *s, const char *project,
                         const char *id, const char *body, size_t len,
                         char **out, vouch_error *err);

/** Delete attestor `id`; VOUCH_EPRECONDITION while a stored policy
 * requires it. Audit entry. */
int vsvc_attestor_delete(vsvc_session *s, const char *project,
                         const char *id, vouch_error *err);

/** The result of validateAttestationOccurrence. */
typedef struct vsvc_validation {
    bool verified;
    char reason[700];          /* why not ("" when verified) */
} vsvc_validation;

/**
 * validateAttestationOccurrence: does `attestation` (an
 * AttestationOccurrence object), for the note `note_name` and the image
 * `resource_uri`, verify against attestor `id`? A mismatch of note or a
 * bad signature is a result (not verified, with the reason), not an
 * error.
 *
 * @return 0 with `*out`; VOUCH_ENOTFOUND (no such attestor); VOUCH_EINVAL
 *         or VOUCH_EPARSE (the attestation is malformed; the message names
 *         the request field); VOUCH_EIO; VOUCH_ENOMEM.
 */
int vsvc_validate(vsvc_session *s, const char *project, const char *id,
                  const json_t *attestation, const char *note_name,
                  const char *resource_uri, vsvc_validation *out,
                  vouch_error *err);

/* ---- Container Analysis ---- */

/** Create note `id` (kind ATTESTATION only) from `body`. */
int vsvc_note_create(vsvc_session *s, const char *project, const char *id,
                     const char *body, size_t len, char **out,
                     vouch_error *err);

/** Delete note `id`; VOUCH_EPRECONDITION while it has occurrences. */
int vsvc_note_delete(vsvc_session *s, const char *project, const char *id,
                     vouch_error *err);

/** Create one occurrence from `body`; its note must exist
 * (VOUCH_ENOTFOUND). The name (a UUID) is given here. */
int vsvc_occurrence_create(vsvc_session *s, const char *project,
                           const char *body, size_t len, char **out,
                           vouch_error *err);

/**
 * Create every occurrence of `items` (a JSON array, at most
 * VSVC_BATCH_MAX) in one transaction: all or none. Errors name the item
 * ("occurrences[3]: ..."). `*out` is the array created (json_decref).
 */
int vsvc_occurrences_create(vsvc_session *s, const char *project,
                            const json_t *items, json_t **out,
                            vouch_error *err);

/** Delete occurrence `id`. */
int vsvc_occurrence_delete(vsvc_session *s, const char *project,
                           const char *id, vouch_error *err);

/** Which occurrences to list; NULL fields do not filter. */
typedef struct vsvc_occurrence_filter {
    const char *note_name;
    const char *resource_uri;  /* with or without "https://" */
    const char *kind;          /* only "ATTESTATION" exists here */
    const char *resource_uri_suffix;  /* has_suffix(resourceUrl, "..."):
                                         the stored URI ends with it */
} vsvc_occurrence_filter;

/**
 * One page of the project's occurrences that `f` selects. A suffix
 * cannot be matched by the store's indexes: such a list pages through a
 * predicate (its tokens are not those of the list without the suffix).
 *
 * @return 0; VOUCH_EINVAL (a page token of another list, "pageToken:
 *         ..."); VOUCH_EIO; VOUCH_ENOMEM.
 */
int vsvc_occurrence_list(vsvc_session *s, const char *project,
                         const vsvc_occurrence_filter *f,
                         const vsvc_page_request *page, vsvc_page *out,
                         vouch_error *err);

/**
 * One page of the occurrences of note `note_id` of `project`, from any
 * project (GET …/notes/N/occurrences), that `f` selects (a `note_name`
 * naming another note selects none).
 *
 * @return 0; VOUCH_ENOTFOUND (no such note); as vsvc_occurrence_list
 *         otherwise.
 */
int vsvc_note_occurrence_list(vsvc_session *s, const char *project,
                              const char *note_id,
                              const vsvc_occurrence_filter *f,
                              const vsvc_page_request *page,
                              vsvc_page *out, vouch_error *err);

/* ---- projects and locations ---- */

/**
 * The ids of the projects that hold a policy, an attestor, a note, a
 * service, a job or an org policy: a sorted JSON array of strings
 * (json_decref). vouch keeps no list of projects (docs/api.md).
 */
int vsvc_project_ids(vsvc_session *s, json_t **out, vouch_error *err);

/** The locations of `project`'s services and jobs, the same way. */
int vsvc_location_ids(vsvc_session *s, const char *project, json_t **out,
                      vouch_error *err);

/* ---- IAM policies (vsvc_iam.c; docs/security.md "IAM") ---- */

/** What an IAM policy may be set on. */
typedef enum vsvc_iam_target {
    VSVC_IAM_PROJECT = 0,   /* projects/P (Resource Manager) */
    VSVC_IAM_POLICY,        /* projects/P/policy (Binary Authorization) */
    VSVC_IAM_ATTESTOR,      /* projects/P/attestors/A */
    VSVC_IAM_NOTE,          /* projects/P/notes/N (Container Analysis) */
    VSVC_IAM_SERVICE,       /* projects/P/locations/L/services/S (Run) */
    VSVC_IAM_JOB            /* projects/P/locations/L/jobs/J */
} vsvc_iam_target;

/**
 * The IAM policy stored for `resource` (its full name, "projects/p/
 * attestors/a"), or an empty one (etag "ACAB") when none was set. Does
 * not look at the resource itself (vsvc_iam_target_exists does).
 *
 * @param[out] out  Caller frees it with vouch_iam_policy_free().
 * @return 0; VOUCH_EINVAL (not the name of a project's resource);
 *         VOUCH_EIO (store, or a stored policy that no longer parses);
 *         VOUCH_ENOMEM.
 */
int vsvc_iam_get(vsvc_session *s, const char *resource,
                 vouch_iam_policy **out, vouch_error *err);

/**
 * What a permission check on `resource` reads: its own policy and its
 * project's (each NULL when none is stored; `*own` is always NULL for a
 * project itself). Read now, from the database: never an old version.
 *
 * @return as vsvc_iam_get().
 */
int vsvc_iam_grants(vsvc_session *s, const char *resource,
                    vouch_iam_policy **own, vouch_iam_policy **project,
                    vouch_error *err);

/** Does `resource` exist? 0, VOUCH_ENOTFOUND ("attestor NAME not found"),
 * VOUCH_EIO. Projects and Binary Authorization policies always do. */
int vsvc_iam_target_exists(vsvc_session *s, vsvc_iam_target t,
                           const char *resource, vouch_error *err);

/**
 * setIamPolicy, as one unit of work: the resource must exist
 * (VOUCH_ENOTFOUND), an etag in the request must be the stored policy's
 * (VOUCH_EABORTED, Google's message), then the new policy is stored and
 * the admin-activity entry written, with serviceData.policyDelta.
 *
 * @param[out] out  The policy as stored; vouch_iam_policy_free().
 * @return 0; VOUCH_ENOTFOUND; VOUCH_EABORTED; VOUCH_EINVAL; VOUCH_EIO;
 *         VOUCH_ENOMEM.
 */
int vsvc_iam_set(vsvc_session *s, vsvc_iam_target t, const char *resource,
                 const vouch_iam_set_request *req, vouch_iam_policy **out,
                 vouch_error *err);

/** Called for each project's own IAM policy (borrowed for the call);
 * a negative return stops the walk and is returned. */
typedef int (*vsvc_iam_project_fn)(const char *project,
                                   const vouch_iam_policy *policy,
                                   void *payload);

/** Every project's own stored IAM policy, in name order (for checks of a
 * permission held "on some project": /metrics). */
int vsvc_iam_each_project(vsvc_session *s, vsvc_iam_project_fn fn,
                          void *payload, vouch_error *err);

/* ---- the audit log ---- */

/**
 * One page of audit entries for entries:list (`q` parsed by the adapter),
 * read in one read transaction: {"entries": [...], "nextPageToken"}.
 */
int vsvc_log_entries_list(vsvc_session *s, const vouch_audit_query *q,
                          json_t **out, vouch_error *err);

#endif /* VSVC_H */
