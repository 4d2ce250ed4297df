/*
 * The GKE rule maps' keys (rule_map.h): their grammar, checked when a
 * policy is read, and the lookup of a Kubernetes workload's key when a
 * decision is made. Both read a key the same way, so every key that
 * validates can be selected.
 */
#include <string.h>

#include "rule_map.h"

/*
 * Lengths the names behind the keys have where they come from: a GKE
 * cluster name (GKE), a Kubernetes namespace (an RFC 1123 label) and
 * service account (a DNS subdomain), a SPIFFE trust domain. Besides
 * refusing what no cluster can hold, they keep every key of a valid
 * policy within the 1,024 characters YAML reads as a key, so any policy
 * vouch accepts prints as YAML and reads back (vutil_yaml.h).
 */
#define GKE_CLUSTER_NAME_MAX 40
#define GCP_LOCATION_MAX 63
#define K8S_NAMESPACE_MAX 63
#define K8S_NAME_MAX 253
#define SPIFFE_TRUST_DOMAIN_MAX 255

static bool lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Every byte in [a-z0-9] or in `extra`; at least one byte. */
static bool lower_set(const char *s, size_t n, const char *extra)
{
    size_t i;

    if (n == 0) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (!lower_alnum(s[i]) &&
            (s[i] == '\0' || strchr(extra, s[i]) == NULL)) {
            return false;
        }
    }
    return true;
}

/* [a-z][a-z0-9-]*[a-z0-9]: a zone ("us-central1-a"), a region
 * ("us-central1"), or a GKE cluster name. */
static bool gke_name(const char *s, size_t n)
{
    return n > 0 && s[0] >= 'a' && s[0] <= 'z' && lower_set(s, n, "-") &&
           lower_alnum(s[n - 1]);
}

/* The offset of the first `c` in the `n` bytes of `s`; `n` when absent. */
static size_t offset_of(const char *s, size_t n, char c)
{
    const char *found = memchr(s, c, n);

    return found != NULL ? (size_t)(found - s) : n;
}

/* LOCATION.CLUSTER (rule_map.h) */
static bool cluster_key_ok(const char *s, size_t n)
{
    size_t loc = offset_of(s, n, '.');

    return loc < n && loc <= GCP_LOCATION_MAX && gke_name(s, loc) &&
           n - loc - 1 <= GKE_CLUSTER_NAME_MAX &&
           gke_name(s + loc + 1, n - loc - 1);
}

static bool namespace_key_ok(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '.' || s[i] == '-')) {
            return false;
        }
    }
    return n > 0 && n <= K8S_NAMESPACE_MAX;
}

/* NAMESPACE:NAME (rule_map.h) */
static bool service_account_key_ok(const char *s, size_t n)
{
    size_t colon = offset_of(s, n, ':');

    return colon < n && colon <= K8S_NAMESPACE_MAX &&
           lower_set(s, colon, ".-") && n - colon - 1 <= K8S_NAME_MAX &&
           lower_set(s + colon + 1, n - colon - 1, ".-");
}

/* A SPIFFE ID's segment: letters, digits, '.', '_' and '-', at least one
 * and at most `max`. */
static bool spiffe_segment(const char *s, size_t n, size_t max)
{
    size_t i;

    if (n == 0 || n > max) {
        return false;
    }
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

/*
 * Split an Istio identity "[spiffe://]DOMAIN/ns/NS/sa/SA" into its three
 * segments, each a SPIFFE ID segment no longer than a trust domain, a
 * Kubernetes namespace and a service account name may be.
 */
static bool istio_split(const char *s, size_t n, const char *parts[3],
                        size_t lens[3])
{
    static const char scheme[] = "spiffe://";
    static const size_t max[3] = { SPIFFE_TRUST_DOMAIN_MAX,
                                   K8S_NAMESPACE_MAX, K8S_NAME_MAX };
    size_t pos = 0;
    size_t k;

    if (n >= sizeof(scheme) - 1 &&
        memcmp(s, scheme, sizeof(scheme) - 1) == 0) {
        pos = sizeof(scheme) - 1;
    }
    for (k = 0; k < 3; k++) {
        size_t start = pos;

        while (pos < n && s[pos] != '/') {
            pos++;
        }
        parts[k] = s + start;
        lens[k] = pos - start;
        if (!spiffe_segment(parts[k], lens[k], max[k])) {
            return false;
        }
        if (k == 2) {
            break;
        }
        if (n - pos < 4 ||
            memcmp(s + pos, k == 0 ? "/ns/" : "/sa/", 4) != 0) {
            return false;
        }
        pos += 4;
    }
    return pos == n;
}

bool vouch__rule_map_key_ok(vouch_rule_map map, const char *s, size_t n)
{
    const char *parts[3];
    size_t lens[3];

    switch (map) {
    case VOUCH_CLUSTER_ADMISSION_RULES:
        return cluster_key_ok(s, n);
    case VOUCH_KUBERNETES_NAMESPACE_ADMISSION_RULES:
        return namespace_key_ok(s, n);
    case VOUCH_KUBERNETES_SERVICE_ACCOUNT_ADMISSION_RULES:
        return service_account_key_ok(s, n);
    case VOUCH_ISTIO_SERVICE_IDENTITY_ADMISSION_RULES:
        return istio_split(s, n, parts, lens);
    case VOUCH_RULE_MAP_COUNT:
        break;
    }
    return false;
}

/* The `n` bytes of `s` equal the NUL-terminated `t`. */
static bool same(const char *s, size_t n, const char *t)
{
    return strlen(t) == n && memcmp(s, t, n) == 0;
}

static const char *or_default(const char *s, const char *fallback)
{
    return s != NULL && s[0] != '\0' ? s : fallback;
}

bool vouch__rule_map_key_matches(vouch_rule_map map, const char *key,
                                 const vouch_kubernetes_context *ctx)
{
    const char *sa = or_default(ctx->service_account, "default");
    const char *ns = ctx->namespace_name;
    size_t n = strlen(key);
    const char *parts[3];
    size_t lens[3];
    const char *colon;

    switch (map) {
    case VOUCH_CLUSTER_ADMISSION_RULES:
        return ctx->cluster != NULL && strcmp(key, ctx->cluster) == 0;
    case VOUCH_KUBERNETES_NAMESPACE_ADMISSION_RULES:
        return ns != NULL && strcmp(key, ns) == 0;
    case VOUCH_KUBERNETES_SERVICE_ACCOUNT_ADMISSION_RULES:
        colon = strchr(key, ':');
        return ns != NULL && colon != NULL &&
               same(key, (size_t)(colon - key), ns) && strcmp(colon + 1,
                                                              sa) == 0;
    case VOUCH_ISTIO_SERVICE_IDENTITY_ADMISSION_RULES:
        return ns != NULL && istio_split(key, n, parts, lens) &&
               same(parts[0], lens[0],
                    or_default(ctx->trust_domain, "cluster.local")) &&
               same(parts[1], lens[1], ns) && same(parts[2], lens[2], sa);
    case VOUCH_RULE_MAP_COUNT:
        break;
    }
    return false;
}

VOUCH_API bool vouch_rule_map_key_valid(vouch_rule_map map, const char *s,
                                        size_t len)
{
    return s != NULL && vouch__rule_map_key_ok(map, s, len);
}
