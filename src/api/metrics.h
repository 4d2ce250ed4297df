/*
 * vouchd — counters for GET /metrics (Prometheus text format 0.0.4):
 * requests by route template, method and code; a latency histogram;
 * decisions by outcome. Every function is thread-safe.
 */
#ifndef VOUCH_API_METRICS_H
#define VOUCH_API_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct api_metrics api_metrics;

int api_metrics_new(api_metrics **out);
void api_metrics_free(api_metrics *m);

/* `route` is a static template string (or "unmatched"). */
void api_metrics_request(api_metrics *m, const char *route,
                         const char *method, unsigned code,
                         uint64_t latency_us);

/* `outcome` is a static string ("VERIFIED", ...). */
void api_metrics_decision(api_metrics *m, const char *outcome);

/* Hits and misses of the caches, read by the caller when rendering. */
typedef struct api_cache_counts {
    uint64_t verify_hits;    /* signature verifications */
    uint64_t verify_misses;
    uint64_t store_hits;     /* policy and attestor reads (PostgreSQL) */
    uint64_t store_misses;
} api_cache_counts;

/* Gauges read by the caller when rendering. */
typedef struct api_gauges {
    uint64_t nonconforming_revisions;  /* continuous validation: serving */
    uint64_t nonconforming_jobs;       /* revisions and job templates */
} api_gauges;

/* The whole exposition, malloc'd (free()); NULL when out of memory. */
char *api_metrics_render(api_metrics *m, const api_cache_counts *caches,
                         const api_gauges *gauges, size_t *len);

#endif /* VOUCH_API_METRICS_H */
