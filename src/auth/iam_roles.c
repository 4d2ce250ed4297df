/*
 * The predefined IAM roles and the permissions vouchd knows: THE table
 * (iam.h). Role names, titles and permission names are Google's; each
 * role lists only the permissions of the services vouchd serves (Binary
 * Authorization, Container Analysis, Cloud Run, Cloud Logging, Org Policy,
 * Resource Manager projects, Monitoring time series for /metrics).
 * docs/security.md ("Where the roles come from") says where each role's
 * permissions were read and what was left out.
 *
 * Both arrays are sorted by strcmp() so lookups can use bsearch(); the
 * tests check the order, that every role permission is in `permissions`,
 * and that owner ⊇ editor ⊇ viewer.
 */
#include <stdlib.h>
#include <string.h>

#include "auth_internal.h"
#include "iam.h"
#include "iam_internal.h"

/*
 * Permission lists that several roles hold whole: a resource's admin role
 * and roles/owner hold every permission of that resource (so `permissions`
 * lists them too), roles/viewer holds Cloud Run Viewer's, and the basic
 * roles share the project-wide read permissions. Each is written once so
 * that the roles sharing it cannot drift apart. Every list is sorted, so a
 * group that another role holds with more permissions in its middle is
 * split there (see RUN_DEVELOPER_*).
 */
#define ATTESTORS_ADMIN \
    "binaryauthorization.attestors.create", \
    "binaryauthorization.attestors.delete", \
    "binaryauthorization.attestors.get", \
    "binaryauthorization.attestors.getIamPolicy", \
    "binaryauthorization.attestors.list", \
    "binaryauthorization.attestors.setIamPolicy", \
    "binaryauthorization.attestors.update", \
    "binaryauthorization.attestors.verifyImageAttested"

#define POLICY_ADMIN \
    "binaryauthorization.policy.get", \
    "binaryauthorization.policy.getIamPolicy", \
    "binaryauthorization.policy.setIamPolicy", \
    "binaryauthorization.policy.update"

/* The notes permissions of every role that may change notes. */
#define NOTES_EDIT \
    "containeranalysis.notes.attachOccurrence", \
    "containeranalysis.notes.create", \
    "containeranalysis.notes.delete", \
    "containeranalysis.notes.get"

#define OCCURRENCES_ADMIN \
    "containeranalysis.occurrences.create", \
    "containeranalysis.occurrences.delete", \
    "containeranalysis.occurrences.get", \
    "containeranalysis.occurrences.getIamPolicy", \
    "containeranalysis.occurrences.list", \
    "containeranalysis.occurrences.setIamPolicy", \
    "containeranalysis.occurrences.update"

/* Every Container Analysis permission (roles/containeranalysis.admin
 * lacks notes.listOccurrences). */
#define CONTAINERANALYSIS_ALL \
    NOTES_EDIT, \
    "containeranalysis.notes.getIamPolicy", \
    "containeranalysis.notes.list", \
    "containeranalysis.notes.listOccurrences", \
    "containeranalysis.notes.setIamPolicy", \
    "containeranalysis.notes.update", \
    OCCURRENCES_ADMIN

#define ORGPOLICY_ADMIN \
    "orgpolicy.constraints.list", \
    "orgpolicy.policies.create", \
    "orgpolicy.policies.delete", \
    "orgpolicy.policies.list", \
    "orgpolicy.policies.update", \
    "orgpolicy.policy.get", \
    "orgpolicy.policy.set"

/* The project-wide read permissions of roles/viewer, editor and owner. */
#define BASIC_VIEW \
    "logging.logEntries.list", \
    "logging.logs.list", \
    "monitoring.timeSeries.list", \
    "orgpolicy.constraints.list", \
    "orgpolicy.policies.list", \
    "orgpolicy.policy.get", \
    "resourcemanager.projects.get", \
    "resourcemanager.projects.getIamPolicy"

/*
 * Cloud Run Developer's run.* permissions, in pieces around the three that
 * Cloud Run Admin adds (the lists are sorted): roles/editor holds them too,
 * with run.routes.invoke.
 */
#define RUN_DEVELOPER_1 \
    "run.configurations.get", \
    "run.configurations.list", \
    "run.executions.cancel", \
    "run.executions.delete", \
    "run.executions.get", \
    "run.executions.list", \
    "run.jobs.create", \
    "run.jobs.delete", \
    "run.jobs.get", \
    "run.jobs.getIamPolicy", \
    "run.jobs.list", \
    "run.jobs.run", \
    "run.jobs.runWithOverrides"

#define RUN_DEVELOPER_2 \
    "run.jobs.update", \
    "run.locations.list", \
    "run.operations.delete", \
    "run.operations.get", \
    "run.operations.list", \
    "run.revisions.delete", \
    "run.revisions.get", \
    "run.revisions.list", \
    "run.routes.get"

#define RUN_DEVELOPER_3 \
    "run.routes.list", \
    "run.services.create", \
    "run.services.delete", \
    "run.services.get", \
    "run.services.getIamPolicy", \
    "run.services.list"

#define RUN_DEVELOPER_4 \
    "run.services.update", \
    "run.tasks.get", \
    "run.tasks.list"

#define RUN_ADMIN \
    RUN_DEVELOPER_1, \
    "run.jobs.setIamPolicy", \
    RUN_DEVELOPER_2, \
    "run.routes.invoke", \
    RUN_DEVELOPER_3, \
    "run.services.setIamPolicy", \
    RUN_DEVELOPER_4

#define RUN_VIEWER \
    "run.configurations.get", \
    "run.configurations.list", \
    "run.executions.get", \
    "run.executions.list", \
    "run.jobs.get", \
    "run.jobs.getIamPolicy", \
    "run.jobs.list", \
    "run.locations.list", \
    "run.operations.get", \
    "run.operations.list", \
    "run.revisions.get", \
    "run.revisions.list", \
    "run.routes.get", \
    "run.routes.list", \
    "run.services.get", \
    "run.services.getIamPolicy", \
    "run.services.list", \
    "run.tasks.get", \
    "run.tasks.list"

/* Every permission a route of vouchd may require. */
static const char *const permissions[] = {
    ATTESTORS_ADMIN,
    POLICY_ADMIN,
    CONTAINERANALYSIS_ALL,
    "logging.logEntries.list",
    "logging.logs.list",
    "monitoring.timeSeries.list",
    ORGPOLICY_ADMIN,
    "resourcemanager.projects.get",
    "resourcemanager.projects.getIamPolicy",
    "resourcemanager.projects.setIamPolicy",
    RUN_ADMIN,
    "serviceusage.services.get",
};

typedef struct iam_role {
    const char *name;
    const char *title;
    const char *const *permissions;   /* sorted, NULL-terminated */
} iam_role;

/* Google's predefined roles, restricted to the permissions above. */
static const iam_role roles[] = {
    { "roles/binaryauthorization.attestorsAdmin",
      "Binary Authorization Attestor Admin",
      (const char *const[]){
          ATTESTORS_ADMIN,
          "resourcemanager.projects.get",
          NULL } },
    { "roles/binaryauthorization.attestorsEditor",
      "Binary Authorization Attestor Editor",
      (const char *const[]){
          "binaryauthorization.attestors.create",
          "binaryauthorization.attestors.delete",
          "binaryauthorization.attestors.get",
          "binaryauthorization.attestors.list",
          "binaryauthorization.attestors.update",
          "binaryauthorization.attestors.verifyImageAttested",
          "resourcemanager.projects.get",
          NULL } },
    { "roles/binaryauthorization.attestorsVerifier",
      "Binary Authorization Attestor Image Verifier",
      (const char *const[]){
          "binaryauthorization.attestors.get",
          "binaryauthorization.attestors.list",
          "binaryauthorization.attestors.verifyImageAttested",
          "resourcemanager.projects.get",
          NULL } },
    { "roles/binaryauthorization.attestorsViewer",
      "Binary Authorization Attestor Viewer",
      (const char *const[]){
          "binaryauthorization.attestors.get",
          "binaryauthorization.attestors.list",
          "resourcemanager.projects.get",
          NULL } },
    { "roles/binaryauthorization.policyAdmin",
      "Binary Authorization Policy Administrator",
      (const char *const[]){
          POLICY_ADMIN,
          "resourcemanager.projects.get",
          NULL } },
    { "roles/binaryauthorization.policyEditor",
      "Binary Authorization Policy Editor",
      (const char *const[]){
          "binaryauthorization.policy.get",
          "binaryauthorization.policy.update",
          "resourcemanager.projects.get",
          NULL } },
    { "roles/binaryauthorization.policyViewer",
      "Binary Authorization Policy Viewer",
      (const char *const[]){
          "binaryauthorization.policy.get",
          "resourcemanager.projects.get",
          NULL } },
    { "roles/containeranalysis.admin",
      "Container Analysis Admin",
      (const char *const[]){
          NOTES_EDIT,
          "containeranalysis.notes.getIamPolicy",
          "containeranalysis.notes.list",
          "containeranalysis.notes.setIamPolicy",
          "containeranalysis.notes.update",
          OCCURRENCES_ADMIN,
          "resourcemanager.projects.get",
          NULL } },
    { "roles/containeranalysis.notes.attacher",
      "Container Analysis Notes Attacher",
      (const char *const[]){
          "containeranalysis.notes.attachOccurrence",
          "containeranalysis.notes.get",
          NULL } },
    { "roles/containeranalysis.notes.editor",
      "Container Analysis Notes Editor",
      (const char *const[]){
          NOTES_EDIT,
          "containeranalysis.notes.list",
          "containeranalysis.notes.update",
          "resourcemanager.projects.get",
          NULL } },
    { "roles/containeranalysis.notes.occurrences.viewer",
      "Container Analysis Occurrences for Notes Viewer",
      (const char *const[]){
          "containeranalysis.notes.get",
          "containeranalysis.notes.listOccurrences",
          NULL } },
    { "roles/containeranalysis.notes.viewer",
      "Container Analysis Notes Viewer",
      (const char *const[]){
          "containeranalysis.notes.get",
          "containeranalysis.notes.list",
          "resourcemanager.projects.get",
          NULL } },
    { "roles/containeranalysis.occurrences.editor",
      "Container Analysis Occurrences Editor",
      (const char *const[]){
          "containeranalysis.occurrences.create",
          "containeranalysis.occurrences.delete",
          "containeranalysis.occurrences.get",
          "containeranalysis.occurrences.list",
          "containeranalysis.occurrences.update",
          "resourcemanager.projects.get",
          NULL } },
    { "roles/containeranalysis.occurrences.viewer",
      "Container Analysis Occurrences Viewer",
      (const char *const[]){
          "containeranalysis.occurrences.get",
          "containeranalysis.occurrences.list",
          "resourcemanager.projects.get",
          NULL } },
    { "roles/editor",
      "Editor",
      (const char *const[]){
          "binaryauthorization.attestors.create",
          "binaryauthorization.attestors.delete",
          "binaryauthorization.attestors.get",
          "binaryauthorization.attestors.getIamPolicy",
          "binaryauthorization.attestors.list",
          "binaryauthorization.attestors.update",
          "binaryauthorization.attestors.verifyImageAttested",
          "binaryauthorization.policy.get",
          "binaryauthorization.policy.getIamPolicy",
          "binaryauthorization.policy.update",
          NOTES_EDIT,
          "containeranalysis.notes.getIamPolicy",
          "containeranalysis.notes.list",
          "containeranalysis.notes.listOccurrences",
          "containeranalysis.notes.update",
          "containeranalysis.occurrences.create",
          "containeranalysis.occurrences.delete",
          "containeranalysis.occurrences.get",
          "containeranalysis.occurrences.getIamPolicy",
          "containeranalysis.occurrences.list",
          "containeranalysis.occurrences.update",
          BASIC_VIEW,
          RUN_DEVELOPER_1,
          RUN_DEVELOPER_2,
          "run.routes.invoke",
          RUN_DEVELOPER_3,
          RUN_DEVELOPER_4,
          "serviceusage.services.get",
          NULL } },
    { "roles/logging.viewer",
      "Logs Viewer",
      (const char *const[]){
          "logging.logEntries.list",
          "logging.logs.list",
          "resourcemanager.projects.get",
          NULL } },
    { "roles/monitoring.viewer",
      "Monitoring Viewer",
      (const char *const[]){
          "monitoring.timeSeries.list",
          "resourcemanager.projects.get",
          NULL } },
    { "roles/orgpolicy.policyAdmin",
      "Organization Policy Administrator",
      (const char *const[]){
          ORGPOLICY_ADMIN,
          NULL } },
    { "roles/owner",
      "Owner",
      (const char *const[]){
          ATTESTORS_ADMIN,
          POLICY_ADMIN,
          CONTAINERANALYSIS_ALL,
          BASIC_VIEW,
          "resourcemanager.projects.setIamPolicy",
          RUN_ADMIN,
          "serviceusage.services.get",
          NULL } },
    { "roles/run.admin",
      "Cloud Run Admin",
      (const char *const[]){
          "resourcemanager.projects.get",
          RUN_ADMIN,
          NULL } },
    { "roles/run.developer",
      "Cloud Run Developer",
      (const char *const[]){
          "resourcemanager.projects.get",
          RUN_DEVELOPER_1,
          RUN_DEVELOPER_2,
          RUN_DEVELOPER_3,
          RUN_DEVELOPER_4,
          NULL } },
    { "roles/run.invoker",
      "Cloud Run Invoker",
      (const char *const[]){
          "run.routes.invoke",
          NULL } },
    { "roles/run.viewer",
      "Cloud Run Viewer",
      (const char *const[]){
          "resourcemanager.projects.get",
          RUN_VIEWER,
          NULL } },
    { "roles/viewer",
      "Viewer",
      (const char *const[]){
          "binaryauthorization.attestors.get",
          "binaryauthorization.attestors.getIamPolicy",
          "binaryauthorization.attestors.list",
          "binaryauthorization.attestors.verifyImageAttested",
          "binaryauthorization.policy.get",
          "binaryauthorization.policy.getIamPolicy",
          "containeranalysis.notes.get",
          "containeranalysis.notes.getIamPolicy",
          "containeranalysis.notes.list",
          "containeranalysis.occurrences.get",
          "containeranalysis.occurrences.getIamPolicy",
          "containeranalysis.occurrences.list",
          BASIC_VIEW,
          RUN_VIEWER,
          "serviceusage.services.get",
          NULL } },
};

#define ROLE_COUNT (sizeof(roles) / sizeof(roles[0]))
#define PERMISSION_COUNT (sizeof(permissions) / sizeof(permissions[0]))

static int role_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const iam_role *)elem)->name);
}

static int str_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

static const iam_role *find_role(const char *name)
{
    return name == NULL ? NULL
                        : bsearch(name, roles, ROLE_COUNT, sizeof(roles[0]),
                                  role_cmp);
}

size_t vouch_iam_role_count(void)
{
    return ROLE_COUNT;
}

const char *vouch_iam_role_name(size_t index)
{
    return index < ROLE_COUNT ? roles[index].name : NULL;
}

const char *vouch_iam_role_title(size_t index)
{
    return index < ROLE_COUNT ? roles[index].title : NULL;
}

bool vouch_iam_role_exists(const char *role)
{
    return find_role(role) != NULL;
}

const char *const *vouch_iam_role_permissions(const char *role,
                                              size_t *count)
{
    const iam_role *r = find_role(role);
    size_t n = 0;

    if (r != NULL) {
        while (r->permissions[n] != NULL) {
            n++;
        }
    }
    if (count != NULL) {
        *count = n;
    }
    return r != NULL ? r->permissions : NULL;
}

bool vouch_iam_role_grants(const char *role, const char *permission)
{
    size_t n = 0;
    const char *const *perms = vouch_iam_role_permissions(role, &n);

    return perms != NULL && permission != NULL &&
           bsearch(permission, perms, n, sizeof(perms[0]), str_cmp) != NULL;
}

size_t vouch_iam_permission_count(void)
{
    return PERMISSION_COUNT;
}

const char *vouch_iam_permission_name(size_t index)
{
    return index < PERMISSION_COUNT ? permissions[index] : NULL;
}

bool vouch_iam_permission_known(const char *permission)
{
    return permission != NULL &&
           bsearch(permission, permissions, PERMISSION_COUNT,
                   sizeof(permissions[0]), str_cmp) != NULL;
}
