/*
 * vouchd — which projects and locations exist: Resource Manager v1
 * `GET /v1/projects` and Cloud Run v1 `GET /v1/projects/{p}/locations`
 * (what `gcloud projects list` and `gcloud run regions list` call). vouch
 * has no project registry: a project exists while it holds a resource,
 * a location while it holds a service or a job (docs/api.md).
 */
#ifndef VOUCH_API_PROJECTS_H
#define VOUCH_API_PROJECTS_H

struct api_request;

/* GET /v1/projects: {"projects": [{"projectId", "name",
 * "lifecycleState": "ACTIVE"}]}, one page, ordered by id. */
int api_list_projects(struct api_request *req);

/* GET /v1/projects/{p}/locations: {"locations": [{"name", "locationId"}]},
 * the locations of the project's services and jobs, ordered by id. */
int api_list_locations(struct api_request *req);

#endif /* VOUCH_API_PROJECTS_H */
