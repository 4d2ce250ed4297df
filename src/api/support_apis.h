/*
 * vouchd — what the small Google APIs gcloud asks besides the ones it
 * drives share with the rest (docs/gcloud.md): the number of a project,
 * which Resource Manager (resourcemanager.c) answers and Cloud Run v1
 * metadata carries (run_v1_common.c). Their handlers: handlers.h.
 */
#ifndef VOUCH_API_SUPPORT_APIS_H
#define VOUCH_API_SUPPORT_APIS_H

#include <stddef.h>

/* The number vouchd gives project `project` (12 digits) into `buf`. */
void api_project_number(const char *project, char *buf, size_t size);

#endif /* VOUCH_API_SUPPORT_APIS_H */
