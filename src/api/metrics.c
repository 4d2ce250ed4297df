/*
 * vouchd — counters for GET /metrics.
 */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vutil_str.h"

/* Upper bounds of the latency buckets, in microseconds. */
static const uint64_t bucket_us[] = {
    250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
    500000, 1000000, 2500000, 5000000, 10000000,
};
#define BUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

typedef struct request_count {
    const char *route;
    const char *method;
    unsigned code;
    uint64_t count;
} request_count;

typedef struct decision_count {
    const char *outcome;
    uint64_t count;
} decision_count;

struct api_metrics {
    pthread_mutex_t lock;
    request_count *requests;
    size_t request_count;
    size_t request_cap;
    decision_count decisions[8];
    size_t decision_count;
    uint64_t buckets[BUCKETS];
    uint64_t latency_count;
    uint64_t latency_sum_us;
};

int api_metrics_new(api_metrics **out)
{
    api_metrics *m = calloc(1, sizeof(*m));

    *out = NULL;
    if (m == NULL) {
        return -1;
    }
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return -1;
    }
    *out = m;
    return 0;
}

void api_metrics_free(api_metrics *m)
{
    if (m == NULL) {
        return;
    }
    pthread_mutex_destroy(&m->lock);
    free(m->requests);
    free(m);
}

/* The counter for (route, method, code), added when new; NULL when out
 * of memory. Called with the lock held. */
static request_count *find_request(api_metrics *m, const char *route,
                                   const char *method, unsigned code)
{
    size_t i;

    for (i = 0; i < m->request_count; i++) {
        request_count *r = &m->requests[i];
        if (r->code == code && strcmp(r->route, route) == 0 &&
            strcmp(r->method, method) == 0) {
            return r;
        }
    }
    if (!vutil_grow(&m->requests, &m->request_cap, m->request_count,
                    sizeof(*m->requests), 32)) {
        return NULL;
    }
    request_count *r = &m->requests[m->request_count++];
    r->route = route;
    r->method = method;
    r->code = code;
    r->count = 0;
    return r;
}

void api_metrics_request(api_metrics *m, const char *route,
                         const char *method, unsigned code,
                         uint64_t latency_us)
{
    request_count *r;
    size_t i;

    pthread_mutex_lock(&m->lock);
    r = find_request(m, route, method, code);
    if (r != NULL) {
        r->count++;   /* out of memory: lose one count rather than fail */
    }
    for (i = 0; i < BUCKETS; i++) {
        if (latency_us <= bucket_us[i]) {
            m->buckets[i]++;
        }
    }
    m->latency_count++;
    m->latency_sum_us += latency_us;
    pthread_mutex_unlock(&m->lock);
}

void api_metrics_decision(api_metrics *m, const char *outcome)
{
    size_t i;

    pthread_mutex_lock(&m->lock);
    for (i = 0; i < m->decision_count; i++) {
        if (strcmp(m->decisions[i].outcome, outcome) == 0) {
            m->decisions[i].count++;
            break;
        }
    }
    if (i == m->decision_count &&
        m->decision_count <
            sizeof(m->decisions) / sizeof(m->decisions[0])) {
        m->decisions[i].outcome = outcome;
        m->decisions[i].count = 1;
        m->decision_count++;
    }
    pthread_mutex_unlock(&m->lock);
}

typedef struct text {
    char *p;
    size_t len;
    size_t cap;
    bool failed;
} text;

static void emit(text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void emit(text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->failed) {
        return;
    }
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n;
        char *grown = realloc(t->p, cap);
        if (grown == NULL) {
            t->failed = true;
            return;
        }
        t->p = grown;
        t->cap = cap;
    }
}

char *api_metrics_render(api_metrics *m, const api_cache_counts *caches,
                         const api_gauges *gauges, size_t *len)
{
    text t = { NULL, 0, 4096, false };
    size_t i;

    t.p = malloc(t.cap);
    if (t.p == NULL) {
        return NULL;
    }
    t.p[0] = '\0';
    pthread_mutex_lock(&m->lock);
    emit(&t, "# HELP vouchd_requests_total HTTP requests by route "
             "template, method and status code.\n"
             "# TYPE vouchd_requests_total counter\n");
    for (i = 0; i < m->request_count; i++) {
        const request_count *r = &m->requests[i];
        emit(&t,
             "vouchd_requests_total{route=\"%s\",method=\"%s\","
             "code=\"%u\"} %llu\n",
             r->route, r->method, r->code, (unsigned long long)r->count);
    }
    emit(&t, "# HELP vouchd_request_duration_seconds Time from the first "
             "byte of a request to its completion.\n"
             "# TYPE vouchd_request_duration_seconds histogram\n");
    for (i = 0; i < BUCKETS; i++) {
        emit(&t,
             "vouchd_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
             (double)bucket_us[i] / 1e6,
             (unsigned long long)m->buckets[i]);
    }
    emit(&t,
         "vouchd_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
         "vouchd_request_duration_seconds_sum %.6f\n"
         "vouchd_request_duration_seconds_count %llu\n",
         (unsigned long long)m->latency_count,
         (double)m->latency_sum_us / 1e6,
         (unsigned long long)m->latency_count);
    emit(&t, "# HELP vouchd_decisions_total Decisions by outcome "
             "(validateAttestationOccurrence counts as one).\n"
             "# TYPE vouchd_decisions_total counter\n");
    for (i = 0; i < m->decision_count; i++) {
        emit(&t, "vouchd_decisions_total{outcome=\"%s\"} %llu\n",
             m->decisions[i].outcome,
             (unsigned long long)m->decisions[i].count);
    }
    pthread_mutex_unlock(&m->lock);
    emit(&t, "# HELP vouchd_verify_cache_hits_total Signature "
             "verifications answered by the cache.\n"
             "# TYPE vouchd_verify_cache_hits_total counter\n"
             "vouchd_verify_cache_hits_total %llu\n"
             "# HELP vouchd_verify_cache_misses_total Signature "
             "verifications not in the cache.\n"
             "# TYPE vouchd_verify_cache_misses_total counter\n"
             "vouchd_verify_cache_misses_total %llu\n"
             "# HELP vouchd_store_cache_hits_total Policy and attestor "
             "reads answered from memory (PostgreSQL store).\n"
             "# TYPE vouchd_store_cache_hits_total counter\n"
             "vouchd_store_cache_hits_total %llu\n"
             "# HELP vouchd_store_cache_misses_total Policy and attestor "
             "reads that went to the database (PostgreSQL store).\n"
             "# TYPE vouchd_store_cache_misses_total counter\n"
             "vouchd_store_cache_misses_total %llu\n",
             (unsigned long long)caches->verify_hits,
             (unsigned long long)caches->verify_misses,
             (unsigned long long)caches->store_hits,
             (unsigned long long)caches->store_misses);
    emit(&t, "# HELP vouchd_nonconforming Serving revisions and job "
             "templates that do not conform to the current policy, as of "
             "the last continuous validation of their project.\n"
             "# TYPE vouchd_nonconforming gauge\n"
             "vouchd_nonconforming{kind=\"revision\"} %llu\n"
             "vouchd_nonconforming{kind=\"job\"} %llu\n",
             (unsigned long long)gauges->nonconforming_revisions,
             (unsigned long long)gauges->nonconforming_jobs);
    if (t.failed) {
        free(t.p);
        return NULL;
    }
    *len = t.len;
    return t.p;
}
