/*
 * The GKE rule maps' keys (rule_map.h): their grammar, checked when a
 * policy is read, and the lookup of a Kubernetes workload's key when a
 * decision is made. Both read a key the same way, so every key that
 * validates can be selected.
 */
#include <string.h>

#include "rule_map.h"

#define GKE_CLUSTER_NAME_MAX 40

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

    return loc < n && gke_name(s, loc) &&
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
    return n > 0;
}

/* NAMESPACE:NAME (rule_map.h) */
static bool service_account_key_ok(const char *s, size_t n)
{
    size_t colon = offset_of(s, n, ':');

    return colon < n && lower_set(s, colon, ".-") &&
           lower_set(s + colon + 1, n - colon - 1, ".-");
}

static bool no_slash_segment(const char *s, size_t n)
{
    size_t i;

    if (n == 0) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (s[i] == '/' || (unsigned char)s[i] <= 0x20 || s[i] == 0x7f) {
            return false;
        }
    }
    return true;
}

/*
 * Split an Istio identity "[spiffe://]DOMAIN/ns/NS/sa/SA" into its three
 * segments (none empty, none holding '/', a space or a control byte).
 */
static bool istio_split(const char *s, size_t n, const char *parts[3],
                        size_t lens[3])
{
    static const char scheme[] = "spiffe://";
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
        if (!no_slash_segment(parts[k], lens[k])) {
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
