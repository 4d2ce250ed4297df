/*
 * vouch service — what the files of the service layer share, and what
 * the platform (src/platform, the Cloud Run part of the service layer)
 * uses of it. Not for adapters: they use vsvc.h.
 */
#ifndef VSVC_INTERNAL_H
#define VSVC_INTERNAL_H

#include "store.h"
#include "vsvc.h"
#include "vsvc_compiled.h"
#include "vsvc_names.h"
#include "vsvc_uow.h"
#include "vutil_error.h"
#include "vutil_random.h"
#include "vutil_str.h"
#include "vutil_time.h"

#define VSVC_BODY "request body"

struct vsvc {
    vouch_store *store;
    vouch_registry *registry;
    const vouch_policy *system_policy;
    vouch_audit_sink *sink;
    vsvc_compiled *compiled;
    char **k8s_trust;             /* "LOCATION.NAME=DOMAIN" (vsvc_k8s.c) */
    size_t k8s_trust_count;
    vsvc_change_fn on_change;     /* vsvc_on_change() */
    void *on_change_payload;
};

struct vsvc_session {
    vsvc *svc;
    vouch_store_conn *conn;
    const char *outcome;
    char *caller_email;        /* vsvc_session_set_caller */
    char *caller_subject;
    vsvc_binauthz_api binauthz_api;
};

/* The session's connection (no transaction open between calls). */
vouch_store_conn *vsvc__conn(vsvc_session *s);

/* The service of a session. */
vsvc *vsvc__service(vsvc_session *s);

/* The compiled-object cache of a service (NULL for a NULL service). */
vsvc_compiled *vsvc__compiled(vsvc *svc);

/* The audit sink of a service (NULL for a NULL service, or none). */
vouch_audit_sink *vsvc__sink(vsvc *svc);

/* A unit of work on the session's connection, with the service's
 * registry and sink. */
int vsvc__uow_new(vsvc_session *s, vsvc_uow **out, vouch_error *err);

/* Note the outcome of a decision on the session (static string). */
void vsvc__set_outcome(vsvc_session *s, const char *outcome);

/*
 * A store failure as the caller sees it: `err` (filled by the store)
 * becomes "WHAT: SOURCE: message" with source WHAT ("store",
 * "pageToken"), code kept. Returns the code.
 */
int vsvc__error_wrap(vouch_error *err, const char *what);

/*
 * A resource to store, from its fields; every string is borrowed, attrs
 * NULL. `kind` is a store kind.
 */
vouch_resource vsvc__resource(const char *kind, const char *name,
                              const char *parent, char *json, char *etag,
                              const char *create_time,
                              const char *update_time);

/* An occurrence's indexed attributes (vsvc_names.h); borrowed. */
void vsvc__occurrence_index(vouch_resource *r, const char *note_name,
                            const char *resource_uri);

/* A query for the occurrences of `note_name` and/or about `resource_uri`
 * (either may be NULL: any). */
void vsvc__occurrence_query(vouch_resource_query *q, const char *note_name,
                            const char *resource_uri);

/*
 * Run `fn(item, payload)` on every resource `q` matches, page by page
 * (q->page_size and q->page_token are the function's). Stops at the first
 * negative return of `fn`, which it returns.
 */
int vsvc__each(vouch_store_conn *conn, vouch_resource_query *q,
               int (*fn)(const vouch_resource *item, void *payload),
               void *payload, vouch_error *err);

/* A store page as a vsvc_page (stored JSON parsed) into `out` (zeroed
 * by the caller; cleared by the caller on failure too). */
int vsvc__page_from(const vouch_resource_page *page, vsvc_page *out,
                    vouch_error *err);

/* One page of `q` as a vsvc_page (stored JSON parsed). */
int vsvc__list_page(vouch_store_conn *conn, vouch_resource_query *q,
                    const vsvc_page_request *page, vsvc_page *out,
                    vouch_error *err);

/* Get `kind` `name` into `out` (cleared by the caller): ENOTFOUND "KIND
 * NAME not found"; a store failure wrapped as "store: ...". */
int vsvc__get(vouch_store_conn *conn, const char *kind, const char *name,
              vouch_resource *out, vouch_error *err);

/* Get `kind` `name` as JSON text (malloc'd); ENOTFOUND "KIND NAME not
 * found". */
int vsvc__get_text(vouch_store_conn *conn, const char *kind,
                   const char *name, char **out, vouch_error *err);

/*
 * The admin-activity audit entry of a change, stored in the unit's
 * transaction (and written to the sink after its commit). `request` is
 * the request body (`len` bytes; may be NULL), `response` the resource as
 * stored (text; may be NULL). `service_name` NULL: Binary Authorization.
 */
int vsvc__audit_admin(vsvc_uow *uow, const char *project,
                      const char *service_name, const char *method,
                      const char *resource_name, const char *request,
                      size_t len, const char *response, vouch_error *err);

/* The same from JSON values (borrowed; may be NULL), with the entry's
 * serviceData (may be NULL); errors as the entry's builder gives them. */
int vsvc__audit_admin_json(vsvc_uow *uow, const char *project,
                           const char *service_name, const char *method,
                           const char *resource_name, const json_t *request,
                           const json_t *response,
                           const json_t *service_data, vouch_error *err);

/*
 * The evidence of a decision (vsvc_evidence.c): the project's policy and
 * the attestors one rule requires, compiled and shared, and the
 * attestations stored for the images. Zero it before the first call;
 * clear it with vsvc__evidence_clear() in every case.
 */
typedef struct vsvc_evidence {
    vsvc_object *policy;
    vsvc_object **attestors;
    const vouch_attestor **attestor_list;   /* for the engine */
    size_t attestor_count;
    vouch_attestation **atts;
    size_t att_count;
    size_t att_cap;
} vsvc_evidence;

void vsvc__evidence_clear(vsvc_evidence *e);

/* The project's policy, compiled (or the default one): e->policy. */
int vsvc__evidence_policy(vsvc *svc, vouch_store_conn *conn,
                          const char *project, vsvc_evidence *e,
                          vouch_error *err);

/* The attestors `rule` requires. One that does not exist or does not
 * parse is left out (the engine denies, naming it); a store fault is an
 * error (the caller fails closed). */
int vsvc__evidence_attestors(vsvc *svc, vouch_store_conn *conn,
                             const vouch_admission_rule *rule,
                             vsvc_evidence *e, vouch_error *err);

/* Every stored attestation about `image` (occurrences by resourceUri);
 * an occurrence that is not an attestation is no evidence. */
int vsvc__evidence_attestations(vouch_store_conn *conn, const char *image,
                                vsvc_evidence *e, vouch_error *err);

/*
 * After the unit commits, tell the listener of vsvc_on_change() that
 * `project`'s policy or attestors changed (nothing when none listens).
 */
int vsvc__changed(vsvc_uow *uow, vsvc_session *s, const char *project,
                  vouch_error *err);

/* Run `fn` as one unit of work on the session (vsvc_uow_run). */
int vsvc__run(vsvc_session *s, vsvc_uow_fn fn, void *payload,
              vouch_error *err);

/*
 * Forget the IAM policy of `resource` in the open transaction of `conn`,
 * when the resource itself is deleted (vsvc_iam.c): a new resource of the
 * same name starts with no grants of its own, as at Google. 0 also when
 * none was set.
 */
int vsvc__iam_forget(vouch_store_conn *conn, const char *resource,
                     vouch_error *err);

/* An id given by the caller in the query parameter `param` of a create
 * (POST /v1/projects/PROJECT/COLLECTION?PARAM=ID): required, and the
 * characters of a path segment; VOUCH_EINVAL naming `param` otherwise. */
int vsvc__check_new_id(const char *id, const char *param,
                       const char *project, const char *collection,
                       vouch_error *err);

/* A new etag and the time now, for a write. */
int vsvc__stamp_write(char etag[VUTIL_ETAG_SIZE],
                      char now[VUTIL_RFC3339_SIZE], vouch_error *err);

#endif /* VSVC_INTERNAL_H */
