/*
 * vouchd — the route handlers: the functions the route table (routes.c)
 * names, by the file that defines it; the API surfaces with a header of
 * their own (k8s.h, logging.h, projects.h) declare theirs there. A handler answers the request the
 * router matched, whose params hold the path's {segments} in order; the
 * route's permission was checked before it runs (authz.c).
 */
#ifndef VOUCH_API_HANDLERS_H
#define VOUCH_API_HANDLERS_H

struct api_request;

/* ops.c, whoami.c: /healthz, /readyz, /metrics and /v1/vouch:whoami. */
int api_healthz(struct api_request *req);
int api_readyz(struct api_request *req);
int api_metrics_handler(struct api_request *req);
int api_whoami(struct api_request *req);

/* binauthz.c: Binary Authorization v1 policies and attestors. */
int api_get_policy(struct api_request *req);
int api_put_policy(struct api_request *req);
int api_get_system_policy(struct api_request *req);
int api_create_attestor(struct api_request *req);
int api_get_attestor(struct api_request *req);
int api_list_attestors(struct api_request *req);
int api_update_attestor(struct api_request *req);
int api_delete_attestor(struct api_request *req);
int api_validate_attestation(struct api_request *req);

/* binauthz_beta.c: the policy writes and attestors of v1beta1 and
 * v1alpha2 (their other routes are v1's handlers). */
int api_old_put_policy(struct api_request *req);
int api_old_create_attestor(struct api_request *req);
int api_old_get_attestor(struct api_request *req);
int api_old_list_attestors(struct api_request *req);
int api_old_update_attestor(struct api_request *req);
int api_old_delete_attestor(struct api_request *req);

/* containeranalysis.c: Container Analysis v1 notes and occurrences; GET
 * /v1/projects/{p}/notes/{n}/occurrences lists the note's occurrences
 * from any project. */
int api_create_note(struct api_request *req);
int api_get_note(struct api_request *req);
int api_list_notes(struct api_request *req);
int api_delete_note(struct api_request *req);
int api_list_note_occurrences(struct api_request *req);
int api_create_occurrence(struct api_request *req);
int api_batch_create_occurrences(struct api_request *req);
int api_get_occurrence(struct api_request *req);
int api_list_occurrences(struct api_request *req);
int api_delete_occurrence(struct api_request *req);

/* iam.c: …:getIamPolicy, :setIamPolicy and :testIamPermissions of every
 * resource with an IAM policy. */
int api_iam_get_policy(struct api_request *req);
int api_iam_set_policy(struct api_request *req);
int api_iam_test_permissions(struct api_request *req);

/* run.c: Cloud Run Admin v2 (docs/run.md "HTTP routes"). */
int api_create_service(struct api_request *req);
int api_get_service(struct api_request *req);
int api_list_services(struct api_request *req);
int api_update_service(struct api_request *req);
int api_delete_service(struct api_request *req);
int api_get_revision(struct api_request *req);
int api_list_revisions(struct api_request *req);
int api_create_job(struct api_request *req);
int api_get_job(struct api_request *req);
int api_list_jobs(struct api_request *req);
int api_update_job(struct api_request *req);
int api_delete_job(struct api_request *req);
int api_run_job(struct api_request *req);
int api_get_execution(struct api_request *req);
int api_list_executions(struct api_request *req);
int api_cancel_execution(struct api_request *req);
int api_delete_execution(struct api_request *req);
int api_get_operation(struct api_request *req);
int api_list_operations(struct api_request *req);

/* orgpolicy.c: the Org Policy v2 constraint
 * run.allowedBinaryAuthorizationPolicies of a project. */
int api_get_orgpolicy(struct api_request *req);
int api_patch_orgpolicy(struct api_request *req);
int api_delete_orgpolicy(struct api_request *req);

/* orgpolicy_v2.c: GET /v2/projects/{p}/constraints, GET and POST
 * /v2/projects/{p}/policies. */
int api_list_constraints(struct api_request *req);
int api_list_orgpolicies(struct api_request *req);
int api_create_orgpolicy(struct api_request *req);

/* run_v1_services.c: Cloud Run Admin v1 (Knative serving) services and
 * their revisions, configurations and routes. */
int api_v1_create_service(struct api_request *req);
int api_v1_get_service(struct api_request *req);
int api_v1_list_services(struct api_request *req);
int api_v1_replace_service(struct api_request *req);
int api_v1_delete_service(struct api_request *req);
int api_v1_get_revision(struct api_request *req);
int api_v1_list_revisions(struct api_request *req);
int api_v1_delete_revision(struct api_request *req);
int api_v1_get_configuration(struct api_request *req);
int api_v1_list_configurations(struct api_request *req);
int api_v1_get_route(struct api_request *req);
int api_v1_list_routes(struct api_request *req);

/* run_v1_jobs.c: Cloud Run Admin v1 jobs, executions and tasks. */
int api_v1_create_job(struct api_request *req);
int api_v1_get_job(struct api_request *req);
int api_v1_list_jobs(struct api_request *req);
int api_v1_replace_job(struct api_request *req);
int api_v1_delete_job(struct api_request *req);
int api_v1_run_job(struct api_request *req);
int api_v1_get_execution(struct api_request *req);
int api_v1_list_executions(struct api_request *req);
int api_v1_delete_execution(struct api_request *req);
int api_v1_cancel_execution(struct api_request *req);
int api_v1_get_task(struct api_request *req);
int api_v1_list_tasks(struct api_request *req);

/* resourcemanager.c: Resource Manager v1 GET /v1/projects/{p}. */
int api_get_project(struct api_request *req);

/* serviceusage.c: GET /v1/projects/{p}/services/{s}. */
int api_get_service_usage(struct api_request *req);

#endif /* VOUCH_API_HANDLERS_H */
