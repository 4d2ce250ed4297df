/*
 * Library-internal: the four GKE rule maps of a policy (docs/policy.md,
 * "Kubernetes rule maps"): the form of their keys, and which key a
 * Kubernetes workload's context selects.
 */
#ifndef VOUCH_RULE_MAP_H
#define VOUCH_RULE_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "vouch/evaluate.h"
#include "vouch/policy.h"

/*
 * Is the `n` bytes of `s` a key of `map`, as Google defines them?
 *   cluster          LOCATION.CLUSTER: a zone or region (at most 63
 *                    bytes), then a GKE cluster name ([a-z][a-z0-9-]*,
 *                    not ending in '-', at most 40 bytes)
 *   namespace        [a-z.-]+, at most 63 bytes
 *   service account  NAMESPACE:NAME, each [a-z0-9.-]+, at most 63 and
 *                    253 bytes
 *   Istio identity   spiffe://DOMAIN/ns/NAMESPACE/sa/NAME, or the same
 *                    without "spiffe://"; each segment [A-Za-z0-9._-]+,
 *                    at most 255, 63 and 253 bytes
 */
bool vouch__rule_map_key_ok(vouch_rule_map map, const char *s, size_t n);

/*
 * Does `key` (a valid key of `map`) name the workload of `ctx`? An unset
 * service account is "default", an unset trust domain "cluster.local";
 * an Istio key matches in either of its forms. A context that lacks what
 * the map is keyed by (no cluster, no namespace) matches no key.
 */
bool vouch__rule_map_key_matches(vouch_rule_map map, const char *key,
                                 const vouch_kubernetes_context *ctx);

#endif /* VOUCH_RULE_MAP_H */
