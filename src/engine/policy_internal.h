/*
 * Library-internal: the policy model shared by policy.c (model, printing,
 * getters) and policy_read.c (reading and validation), and the enum and
 * field-name tables both use.
 */
#ifndef VOUCH_POLICY_INTERNAL_H
#define VOUCH_POLICY_INTERNAL_H

#include <stddef.h>

#include "vouch/evaluate.h"
#include "vouch/policy.h"

struct vouch_admission_rule {
    vouch_evaluation_mode evaluation;
    vouch_enforcement_mode enforcement;
    char **attestors;
    size_t attestor_count;
};

typedef struct rule_entry {
    char *key;
    vouch_admission_rule rule;
} rule_entry;

struct vouch_policy {
    char *name;
    char *description;
    char *etag;
    char *update_time;
    vouch_global_policy_mode global_mode;
    char **patterns;
    size_t pattern_count;
    vouch_pattern_set *set;
    rule_entry *maps[VOUCH_RULE_MAP_COUNT];
    size_t map_count[VOUCH_RULE_MAP_COUNT];
    vouch_admission_rule default_rule;
};

/* Enum names in enum order, as printed and read ("ALWAYS_ALLOW"). */
#define VOUCH__EVALUATION_NAMES 4
#define VOUCH__ENFORCEMENT_NAMES 3
#define VOUCH__GLOBAL_NAMES 3
extern const char *const vouch__evaluation_names[VOUCH__EVALUATION_NAMES];
extern const char *const vouch__enforcement_names[VOUCH__ENFORCEMENT_NAMES];
extern const char *const vouch__global_names[VOUCH__GLOBAL_NAMES];

/* Field name of each GKE rule map, and the key form it takes (for
 * messages). */
extern const char *const vouch__policy_map_fields[VOUCH_RULE_MAP_COUNT];
extern const char *const vouch__policy_map_key_forms[VOUCH_RULE_MAP_COUNT];

/*
 * The rule the Kubernetes workload of `ctx` is decided by: the entry of
 * the policy's non-empty GKE rule map (a valid policy has at most one)
 * whose key names it, with `*map_out` and `*index_out` saying which; or
 * NULL when no entry does, and the default rule applies. Reentrant.
 */
const vouch_admission_rule *
vouch__policy_rule_for(const vouch_policy *policy,
                       const vouch_kubernetes_context *ctx,
                       vouch_rule_map *map_out, size_t *index_out);

#endif /* VOUCH_POLICY_INTERNAL_H */
