/*
 * vouchd — the route table: every route's method, path template, handler,
 * and the IAM permission it needs on which resource (docs/security.md
 * "IAM", docs/api.md). A route without a permission must say why (PUB: no
 * authentication at all; ANY_CALLER: any caller, the methods Google also
 * leaves open); api_router_check() refuses anything else at start-up, and
 * tests/api/test_routes.c checks the table the same way.
 */
#include "handlers.h"
#include "router.h"
#include "k8s.h"
#include "logging.h"
#include "projects.h"

/* Every route but the operations endpoints calls the service layer,
 * which runs each call as one read or one unit of work (src/service). */
#define S API_ROUTE_SESSION
#define PUB API_ROUTE_PUBLIC
#define ANY_CALLER API_ROUTE_ANY_CALLER

/* What the permission is checked on (router.h, api_resource). */
#define NONE API_RES_NONE
#define PRJ API_RES_PROJECT
#define POL API_RES_POLICY
#define ATT API_RES_ATTESTOR
#define NOTE API_RES_NOTE
#define SVC API_RES_SERVICE
#define JOB API_RES_JOB
#define V1SVC API_RES_V1_SERVICE
#define V1JOB API_RES_V1_JOB
#define ANY API_RES_ANY_PROJECT
#define BODY API_RES_BODY

/*
 * Every resource with an IAM policy answers the same three methods on
 * PATH (src/api/iam.c): :getIamPolicy needs PERM.getIamPolicy,
 * :setIamPolicy needs PERM.setIamPolicy, :testIamPermissions any caller.
 * Only getIamPolicy's method differs between APIs (GET_METHOD: POST for
 * Container Analysis and Resource Manager, GET elsewhere, as Google's).
 */
#define IAM_ROUTES(GET_METHOD, PATH, PERM, RES)                             \
    { GET_METHOD, PATH ":getIamPolicy",                                     \
      api_iam_get_policy, S, PERM ".getIamPolicy", RES },                   \
    { API_POST, PATH ":setIamPolicy",                                       \
      api_iam_set_policy, S, PERM ".setIamPolicy", RES },                   \
    { API_POST, PATH ":testIamPermissions",                                 \
      api_iam_test_permissions, S | ANY_CALLER, NULL, RES }

/*
 * Binary Authorization's older APIs, v1beta1 and v1alpha2 (gcloud's beta
 * and alpha tracks), under PREFIX: v1's routes, permissions and handlers,
 * but the attestors' answers in the older shape and v1beta1's writes
 * audited under its method names (binauthz_beta.c).
 */
#define BINAUTHZ_OLD_ROUTES(PREFIX)                                         \
    { API_GET, PREFIX "/projects/{p}/policy",                               \
      api_get_policy, S, "binaryauthorization.policy.get", POL },           \
    { API_PUT, PREFIX "/projects/{p}/policy",                               \
      api_old_put_policy, S, "binaryauthorization.policy.update", POL },    \
    { API_GET, PREFIX "/locations/{l}/policy",                              \
      api_get_system_policy, 0, "binaryauthorization.policy.get", ANY },    \
    { API_POST, PREFIX "/projects/{p}/attestors",                           \
      api_old_create_attestor, S, "binaryauthorization.attestors.create",   \
      PRJ },                                                                \
    { API_GET, PREFIX "/projects/{p}/attestors",                            \
      api_old_list_attestors, S, "binaryauthorization.attestors.list",      \
      PRJ },                                                                \
    { API_GET, PREFIX "/projects/{p}/attestors/{a}",                        \
      api_old_get_attestor, S, "binaryauthorization.attestors.get", ATT },  \
    { API_PUT, PREFIX "/projects/{p}/attestors/{a}",                        \
      api_old_update_attestor, S, "binaryauthorization.attestors.update",   \
      ATT },                                                                \
    { API_DELETE, PREFIX "/projects/{p}/attestors/{a}",                     \
      api_old_delete_attestor, S, "binaryauthorization.attestors.delete",   \
      ATT },                                                                \
    { API_POST,                                                             \
      PREFIX "/projects/{p}/attestors/{a}:validateAttestationOccurrence",   \
      api_validate_attestation, S,                                          \
      "binaryauthorization.attestors.verifyImageAttested", ATT },           \
    IAM_ROUTES(API_GET, PREFIX "/projects/{p}/policy",                      \
               "binaryauthorization.policy", POL),                          \
    IAM_ROUTES(API_GET, PREFIX "/projects/{p}/attestors/{a}",               \
               "binaryauthorization.attestors", ATT)

/*
 * Cloud Run Admin v1's Knative serving API answers the same routes under
 * two URL forms: /apis/serving.knative.dev/v1/namespaces/{p}/... takes the
 * location from the Host (so a service is checked as SVC_RES = V1SVC),
 * /v1/projects/{p}/locations/{l}/... names it (SVC).
 */
#define RUN_V1_SERVING_ROUTES(PREFIX, SVC_RES)                              \
    { API_POST, PREFIX "/services",                                         \
      api_v1_create_service, S, "run.services.create", PRJ },               \
    { API_GET, PREFIX "/services",                                          \
      api_v1_list_services, S, "run.services.list", PRJ },                  \
    { API_GET, PREFIX "/services/{s}",                                      \
      api_v1_get_service, S, "run.services.get", SVC_RES },                 \
    { API_PUT, PREFIX "/services/{s}",                                      \
      api_v1_replace_service, S, "run.services.update", SVC_RES },          \
    { API_DELETE, PREFIX "/services/{s}",                                   \
      api_v1_delete_service, S, "run.services.delete", SVC_RES },           \
    { API_GET, PREFIX "/revisions",                                         \
      api_v1_list_revisions, S, "run.revisions.list", PRJ },                \
    { API_GET, PREFIX "/revisions/{r}",                                     \
      api_v1_get_revision, S, "run.revisions.get", PRJ },                   \
    { API_DELETE, PREFIX "/revisions/{r}",                                  \
      api_v1_delete_revision, S, "run.revisions.delete", PRJ },             \
    { API_GET, PREFIX "/configurations",                                    \
      api_v1_list_configurations, S, "run.configurations.list", PRJ },      \
    { API_GET, PREFIX "/configurations/{c}",                                \
      api_v1_get_configuration, S, "run.configurations.get", PRJ },         \
    { API_GET, PREFIX "/routes",                                            \
      api_v1_list_routes, S, "run.routes.list", PRJ },                      \
    { API_GET, PREFIX "/routes/{r}",                                        \
      api_v1_get_route, S, "run.routes.get", PRJ }

const api_route api_routes[] = {
    /* Operations: /healthz and /readyz answer anyone (load balancers);
     * /metrics needs monitoring.timeSeries.list on some project unless
     * served on --metrics-listen. whoami needs no permission. */
    { API_GET, "/healthz", api_healthz, PUB, NULL, NONE },
    { API_GET, "/readyz", api_readyz, S | PUB, NULL, NONE },
    { API_GET, "/metrics",
      api_metrics_handler, 0, "monitoring.timeSeries.list", ANY },
    { API_GET, "/v1/vouch:whoami", api_whoami, S | ANY_CALLER, NULL, NONE },

    /* Binary Authorization v1, and the IAM of policies and attestors */
    { API_GET, "/v1/projects/{p}/policy",
      api_get_policy, S, "binaryauthorization.policy.get", POL },
    { API_PUT, "/v1/projects/{p}/policy",
      api_put_policy, S, "binaryauthorization.policy.update", POL },
    { API_GET, "/v1/locations/{l}/policy",
      api_get_system_policy, 0, "binaryauthorization.policy.get", ANY },
    { API_POST, "/v1/projects/{p}/attestors",
      api_create_attestor, S, "binaryauthorization.attestors.create", PRJ },
    { API_GET, "/v1/projects/{p}/attestors",
      api_list_attestors, S, "binaryauthorization.attestors.list", PRJ },
    { API_GET, "/v1/projects/{p}/attestors/{a}",
      api_get_attestor, S, "binaryauthorization.attestors.get", ATT },
    { API_PUT, "/v1/projects/{p}/attestors/{a}",
      api_update_attestor, S, "binaryauthorization.attestors.update", ATT },
    { API_DELETE, "/v1/projects/{p}/attestors/{a}",
      api_delete_attestor, S, "binaryauthorization.attestors.delete", ATT },
    { API_POST, "/v1/projects/{p}/attestors/{a}:validateAttestationOccurrence",
      api_validate_attestation, S,
      "binaryauthorization.attestors.verifyImageAttested", ATT },
    IAM_ROUTES(API_GET, "/v1/projects/{p}/policy",
               "binaryauthorization.policy", POL),
    IAM_ROUTES(API_GET, "/v1/projects/{p}/attestors/{a}",
               "binaryauthorization.attestors", ATT),
    /* v1beta1 and v1alpha2: gcloud's beta and alpha tracks (the GA track
     * too sends attestor IAM to v1alpha2) */
    BINAUTHZ_OLD_ROUTES("/v1beta1"),
    BINAUTHZ_OLD_ROUTES("/v1alpha2"),

    /* Container Analysis v1. Creating an occurrence also needs
     * containeranalysis.notes.attachOccurrence on its note (checked by
     * the handler, which reads the note from the body). */
    { API_POST, "/v1/projects/{p}/notes",
      api_create_note, S, "containeranalysis.notes.create", PRJ },
    { API_GET, "/v1/projects/{p}/notes",
      api_list_notes, S, "containeranalysis.notes.list", PRJ },
    { API_GET, "/v1/projects/{p}/notes/{n}",
      api_get_note, S, "containeranalysis.notes.get", NOTE },
    { API_GET, "/v1/projects/{p}/notes/{n}/occurrences",
      api_list_note_occurrences, S,
      "containeranalysis.notes.listOccurrences", NOTE },
    { API_DELETE, "/v1/projects/{p}/notes/{n}",
      api_delete_note, S, "containeranalysis.notes.delete", NOTE },
    IAM_ROUTES(API_POST, "/v1/projects/{p}/notes/{n}",
               "containeranalysis.notes", NOTE),
    { API_POST, "/v1/projects/{p}/occurrences",
      api_create_occurrence, S, "containeranalysis.occurrences.create", PRJ },
    { API_GET, "/v1/projects/{p}/occurrences",
      api_list_occurrences, S, "containeranalysis.occurrences.list", PRJ },
    { API_POST, "/v1/projects/{p}/occurrences:batchCreate",
      api_batch_create_occurrences, S,
      "containeranalysis.occurrences.create", PRJ },
    { API_GET, "/v1/projects/{p}/occurrences/{o}",
      api_get_occurrence, S, "containeranalysis.occurrences.get", PRJ },
    { API_DELETE, "/v1/projects/{p}/occurrences/{o}",
      api_delete_occurrence, S, "containeranalysis.occurrences.delete", PRJ },
    /* Cloud Run Admin v2 (src/api/run.c): revisions and executions are
     * checked on their service or job */
    { API_POST, "/v2/projects/{p}/locations/{l}/services",
      api_create_service, S, "run.services.create", PRJ },
    { API_GET, "/v2/projects/{p}/locations/{l}/services",
      api_list_services, S, "run.services.list", PRJ },
    { API_GET, "/v2/projects/{p}/locations/{l}/services/{s}",
      api_get_service, S, "run.services.get", SVC },
    { API_PATCH, "/v2/projects/{p}/locations/{l}/services/{s}",
      api_update_service, S, "run.services.update", SVC },
    { API_DELETE, "/v2/projects/{p}/locations/{l}/services/{s}",
      api_delete_service, S, "run.services.delete", SVC },
    { API_GET, "/v2/projects/{p}/locations/{l}/services/{s}/revisions",
      api_list_revisions, S, "run.revisions.list", SVC },
    { API_GET, "/v2/projects/{p}/locations/{l}/services/{s}/revisions/{r}",
      api_get_revision, S, "run.revisions.get", SVC },
    { API_POST, "/v2/projects/{p}/locations/{l}/jobs",
      api_create_job, S, "run.jobs.create", PRJ },
    { API_GET, "/v2/projects/{p}/locations/{l}/jobs",
      api_list_jobs, S, "run.jobs.list", PRJ },
    { API_GET, "/v2/projects/{p}/locations/{l}/jobs/{j}",
      api_get_job, S, "run.jobs.get", JOB },
    { API_PATCH, "/v2/projects/{p}/locations/{l}/jobs/{j}",
      api_update_job, S, "run.jobs.update", JOB },
    { API_DELETE, "/v2/projects/{p}/locations/{l}/jobs/{j}",
      api_delete_job, S, "run.jobs.delete", JOB },
    { API_POST, "/v2/projects/{p}/locations/{l}/jobs/{j}:run",
      api_run_job, S, "run.jobs.run", JOB },
    { API_GET, "/v2/projects/{p}/locations/{l}/jobs/{j}/executions",
      api_list_executions, S, "run.executions.list", JOB },
    { API_GET, "/v2/projects/{p}/locations/{l}/jobs/{j}/executions/{e}",
      api_get_execution, S, "run.executions.get", JOB },
    { API_DELETE, "/v2/projects/{p}/locations/{l}/jobs/{j}/executions/{e}",
      api_delete_execution, S, "run.executions.delete", JOB },
    { API_POST, "/v2/projects/{p}/locations/{l}/jobs/{j}/executions/{e}:cancel",
      api_cancel_execution, S, "run.executions.cancel", JOB },
    { API_GET, "/v2/projects/{p}/locations/{l}/operations",
      api_list_operations, S, "run.operations.list", PRJ },
    { API_GET, "/v2/projects/{p}/locations/{l}/operations/{o}",
      api_get_operation, S, "run.operations.get", PRJ },

    /* Cloud Run Admin v1, the Knative shape: the location comes from the
     * Host on /apis/... (src/api/run_v1_services.c, run_v1_jobs.c) */
    RUN_V1_SERVING_ROUTES("/apis/serving.knative.dev/v1/namespaces/{p}", V1SVC),
    RUN_V1_SERVING_ROUTES("/v1/projects/{p}/locations/{l}", SVC),
    { API_POST, "/apis/run.googleapis.com/v1/namespaces/{p}/jobs",
      api_v1_create_job, S, "run.jobs.create", PRJ },
    { API_GET, "/apis/run.googleapis.com/v1/namespaces/{p}/jobs",
      api_v1_list_jobs, S, "run.jobs.list", PRJ },
    { API_GET, "/apis/run.googleapis.com/v1/namespaces/{p}/jobs/{j}",
      api_v1_get_job, S, "run.jobs.get", V1JOB },
    { API_PUT, "/apis/run.googleapis.com/v1/namespaces/{p}/jobs/{j}",
      api_v1_replace_job, S, "run.jobs.update", V1JOB },
    { API_DELETE, "/apis/run.googleapis.com/v1/namespaces/{p}/jobs/{j}",
      api_v1_delete_job, S, "run.jobs.delete", V1JOB },
    { API_POST, "/apis/run.googleapis.com/v1/namespaces/{p}/jobs/{j}:run",
      api_v1_run_job, S, "run.jobs.run", V1JOB },
    { API_GET, "/apis/run.googleapis.com/v1/namespaces/{p}/executions",
      api_v1_list_executions, S, "run.executions.list", PRJ },
    { API_GET, "/apis/run.googleapis.com/v1/namespaces/{p}/executions/{e}",
      api_v1_get_execution, S, "run.executions.get", PRJ },
    { API_DELETE, "/apis/run.googleapis.com/v1/namespaces/{p}/executions/{e}",
      api_v1_delete_execution, S, "run.executions.delete", PRJ },
    { API_POST, "/apis/run.googleapis.com/v1/namespaces/{p}/executions/{e}:cancel",
      api_v1_cancel_execution, S, "run.executions.cancel", PRJ },
    { API_GET, "/apis/run.googleapis.com/v1/namespaces/{p}/tasks",
      api_v1_list_tasks, S, "run.tasks.list", PRJ },
    { API_GET, "/apis/run.googleapis.com/v1/namespaces/{p}/tasks/{t}",
      api_v1_get_task, S, "run.tasks.get", PRJ },

    /* IAM of services and jobs, v1 and v2 (src/api/iam.c) */
    IAM_ROUTES(API_GET, "/v1/projects/{p}/locations/{l}/services/{s}",
               "run.services", SVC),
    IAM_ROUTES(API_GET, "/v1/projects/{p}/locations/{l}/jobs/{j}",
               "run.jobs", JOB),
    IAM_ROUTES(API_GET, "/v2/projects/{p}/locations/{l}/services/{s}",
               "run.services", SVC),
    IAM_ROUTES(API_GET, "/v2/projects/{p}/locations/{l}/jobs/{j}",
               "run.jobs", JOB),
    /* What gcloud asks besides (resourcemanager.c, serviceusage.c), and
     * the IAM of projects (Resource Manager v1) */
    { API_GET, "/v1/projects/{p}",
      api_get_project, 0, "resourcemanager.projects.get", PRJ },
    { API_GET, "/v1/projects/{p}/services/{s}",
      api_get_service_usage, 0, "serviceusage.services.get", PRJ },
    IAM_ROUTES(API_POST, "/v1/projects/{p}",
               "resourcemanager.projects", PRJ),

    /* Org Policy v2 (src/api/orgpolicy.c) */
    { API_GET, "/v2/projects/{p}/policies/run.allowedBinaryAuthorizationPolicies",
      api_get_orgpolicy, S, "orgpolicy.policy.get", PRJ },
    { API_PATCH, "/v2/projects/{p}/policies/run.allowedBinaryAuthorizationPolicies",
      api_patch_orgpolicy, S, "orgpolicy.policies.update", PRJ },
    { API_DELETE, "/v2/projects/{p}/policies/run.allowedBinaryAuthorizationPolicies",
      api_delete_orgpolicy, S, "orgpolicy.policies.delete", PRJ },
    { API_GET, "/v2/projects/{p}/constraints",
      api_list_constraints, 0, "orgpolicy.constraints.list", PRJ },
    { API_GET, "/v2/projects/{p}/policies",
      api_list_orgpolicies, S, "orgpolicy.policies.list", PRJ },
    { API_POST, "/v2/projects/{p}/policies",
      api_create_orgpolicy, S, "orgpolicy.policies.create", PRJ },

    /* Resource Manager v1 (the projects the caller may get), Cloud Run v1
     * locations (src/api/projects.c) */
    { API_GET, "/v1/projects",
      api_list_projects, S, "resourcemanager.projects.get", ANY },
    { API_GET, "/v1/projects/{p}/locations",
      api_list_locations, S, "run.locations.list", PRJ },

    /* The Kubernetes admission webhook (src/api/k8s.c): kube-apiserver
     * reads the project's policy through it (docs/kubernetes.md) */
    { API_POST, "/k8s/v1/projects/{p}/locations/{l}/clusters/{c}:admit",
      api_k8s_admit, S, "binaryauthorization.policy.get", POL },

    /* Cloud Logging v2 (src/api/logging.c): logging.logEntries.list on
     * every project the body names, checked by the handler */
    { API_POST, "/v2/entries:list",
      api_list_log_entries, S, "logging.logEntries.list", BODY },

};

const size_t api_route_count = sizeof(api_routes) / sizeof(api_routes[0]);
