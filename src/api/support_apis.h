/*
 * vouchd — the small Google APIs gcloud asks besides the ones it drives
 * (docs/gcloud.md): IAM methods of Cloud Run services and jobs (iam.c),
 * a Resource Manager project (resourcemanager.c), Service Usage
 * (serviceusage.c), the
 * Org Policy v2 constraints and policy collection (orgpolicy_v2.c), and
 * the occurrences of a note (containeranalysis.c).
 */
#ifndef VOUCH_API_SUPPORT_APIS_H
#define VOUCH_API_SUPPORT_APIS_H

struct api_request;

/* iam.c: …/services|jobs/{id}:testIamPermissions | :getIamPolicy |
 * :setIamPolicy, v1 and v2. */
int api_iam_test_permissions(struct api_request *req);
int api_iam_get_policy(struct api_request *req);
int api_iam_set_policy(struct api_request *req);

/* resourcemanager.c: Resource Manager v1 GET /v1/projects/{p}. */
int api_get_project(struct api_request *req);
/* The number vouchd gives project `project` (12 digits) into `buf`. */
void api_project_number(const char *project, char *buf, size_t size);

/* serviceusage.c: GET /v1/projects/{p}/services/{s}. */
int api_get_service_usage(struct api_request *req);

/* orgpolicy_v2.c: GET /v2/projects/{p}/constraints, GET and POST
 * /v2/projects/{p}/policies. */
int api_list_constraints(struct api_request *req);
int api_list_orgpolicies(struct api_request *req);
int api_create_orgpolicy(struct api_request *req);

/* containeranalysis.c: GET /v1/projects/{p}/notes/{n}/occurrences, the
 * note's occurrences from any project. */
int api_list_note_occurrences(struct api_request *req);

#endif /* VOUCH_API_SUPPORT_APIS_H */
