/*
 * bench_audit_list — what one POST /v2/entries:list costs as the audit
 * log grows (issue 9, finding 5), on a real SQLite store.
 *
 *   bench_audit_list [N ...]      (default: 201 5000)
 *
 * Times are CPU time (the store is SQLite, in the process). For each N
 * it stores N entries of one project (a quarter ERROR on
 * cloud_run_revision, the rest NOTICE on audited_resource, one second
 * apart, in two logs) and times, as the median of several runs, one
 * request of:
 *
 *   typical   "severity>=ERROR", the first page of 50 (the reference:
 *             about 200 entries read)
 *   rare      "severity>=CRITICAL", which nothing matches: one request
 *             reads as many entries as the budget allows (all of them
 *             up to 5,000)
 *   indexed   logName="…system_event" timestamp>=(the last tenth)
 *   worst     about 20,000 bytes of OR'd global-search words that match
 *             nothing: one request (bounded by VOUCH_AUDIT_SCAN_BUDGET)
 *   worst_all the same filter followed through every nextPageToken
 *
 * and prints "bench_audit_list: <figure> <value> <unit>" lines, with the
 * ratios to `typical` measured in the same run. What matters: `worst`
 * stays the same whatever N (bounded) and near `rare` at 5,000 entries
 * (the budget weighs a long filter's terms as the entries a short one
 * reads), `indexed` stays small (the index reads only what it returns);
 * only `worst_all`, the whole walk a client makes one page at a time,
 * grows with N (one run of it, not a median).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "logging.h"
#include "vutil_time.h"

#define PROJECT "b"
#define MIN_RUNS 5
#define MIN_SECONDS 0.5

/* CPU time of the process: SQLite runs in it, so this is the whole work
 * of a request, and it holds while other jobs load the machine (the wall
 * clock does not). */
static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const vouch_error *err)
{
    fprintf(stderr, "bench_audit_list: %s: %s\n", what, err->message);
    exit(1);
}

static void timestamp(size_t i, char *out, size_t size)
{
    snprintf(out, size, "2026-12-01T%02zu:%02zu:%02zu.000000Z",
             i / 3600 % 24, i / 60 % 60, i % 60);
}

static void fill(vouch_store *store, size_t n)
{
    vouch_store_conn *conn = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t i;

    if (vouch_store_acquire(store, &conn, &err) != 0 ||
        vouch_store_begin(conn, true, &err) != 0) {
        die("store", &err);
    }
    for (i = 0; i < n; i++) {
        vouch_audit_admin_event ev;
        char ts[32];
        char id[32];
        char log[160];
        json_t *e = NULL;

        timestamp(i, ts, sizeof(ts));
        snprintf(id, sizeof(id), "e%06zu", i);
        memset(&ev, 0, sizeof(ev));
        ev.project = PROJECT;
        ev.method_name = VOUCH_AUDIT_METHOD_CREATE_ATTESTOR;
        ev.resource_name = "projects/" PROJECT "/attestors/a";
        ev.timestamp = ts;
        ev.insert_id = id;
        if (vouch_audit_admin_entry(&e, &ev, &err) != 0) {
            die("entry", &err);
        }
        if (i % 4 == 0) {
            snprintf(log, sizeof(log), "projects/%s/logs/%s", PROJECT,
                     VOUCH_AUDIT_LOG_SYSTEM_EVENT);
            json_object_set_new(e, "severity", json_string("ERROR"));
            json_object_set_new(e, "logName", json_string(log));
            json_object_set_new(json_object_get(e, "resource"), "type",
                                json_string("cloud_run_revision"));
        }
        if (vouch_audit_store(conn, e, &err) != 0) {
            die("store entry", &err);
        }
        json_decref(e);
    }
    if (vouch_store_commit(conn, &err) != 0) {
        die("commit", &err);
    }
    vouch_store_release(conn);
}

/* One request: its nextPageToken into `token` ("" when none). */
static void one(vouch_store *store, const char *body, char *token,
                size_t size)
{
    vouch_store_conn *conn = NULL;
    vouch_audit_query q;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *page = NULL;
    const char *next;

    if (api_log_query_parse(&q, body, strlen(body), &err) != 0) {
        die("request", &err);
    }
    if (vouch_store_acquire(store, &conn, &err) != 0 ||
        vouch_audit_list(conn, &q, &page, &err) != 0) {
        die("list", &err);
    }
    vouch_store_release(conn);
    vouch_audit_query_clear(&q);
    next = json_string_value(json_object_get(page, "nextPageToken"));
    snprintf(token, size, "%s", next != NULL ? next : "");
    json_decref(page);
}

/* `prefix` + "}" once, or through every page when `all`; requests made
 * in *pages. */
static double run(vouch_store *store, const char *prefix, bool all,
                  int *pages)
{
    size_t blen = strlen(prefix) + 1024;
    char *body = malloc(blen);
    char token[512] = "";
    double start = now_s();

    if (body == NULL) {
        exit(1);
    }
    *pages = 0;
    do {
        snprintf(body, blen, "%s%s%s%s}", prefix,
                 token[0] ? ", \"pageToken\": \"" : "", token,
                 token[0] ? "\"" : "");
        one(store, body, token, sizeof(token));
        (*pages)++;
    } while (all && token[0] != '\0');
    free(body);
    return now_s() - start;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* The median of runs, at least `runs` and MIN_SECONDS of them. */
static double median(vouch_store *store, const char *prefix, bool all,
                     int runs, int *pages)
{
    double t[64];
    double spent = 0;
    int n = 0;

    while (n < 64 && (n < runs || (runs > 1 && spent < MIN_SECONDS))) {
        t[n] = run(store, prefix, all, pages);
        spent += t[n++];
    }
    qsort(t, (size_t)n, sizeof(t[0]), cmp_double);
    return t[n / 2];
}

static char *worst_filter(void)
{
    size_t size = VOUCH_LOGFILTER_MAX_BYTES - 64;
    char *f = malloc(size + 1);
    size_t n = 0;
    unsigned i = 0;

    if (f == NULL) {
        exit(1);
    }
    while (n + 16 < size) {
        n += (size_t)snprintf(f + n, size + 1 - n, "zq%05u OR ", i++);
    }
    snprintf(f + n, size + 1 - n, "zq%05u", i);
    return f;
}

static void bench(size_t n, const char *dir)
{
    char url[256];
    char ts[32];
    char *words = worst_filter();
    size_t blen = strlen(words) + 512;
    char *worst = malloc(blen);
    char indexed[512];
    vouch_store *store = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    double typical_s;
    double rare_s;
    double indexed_s;
    double worst_s;
    double all_s;
    int pages;
    int all_pages;

    snprintf(url, sizeof(url), "sqlite:%s/bench-%zu.db", dir, n);
    if (worst == NULL || vouch_store_open(&store, url, 1, &err) != 0) {
        die("open", &err);
    }
    fill(store, n);
    timestamp(n - n / 10, ts, sizeof(ts));
    snprintf(indexed, sizeof(indexed), "{\"resourceNames\": [\"projects/"
             PROJECT "\"], \"filter\": \"logName=\\\"projects/" PROJECT
             "/logs/%s\\\" timestamp>=\\\"%s\\\"\"",
             VOUCH_AUDIT_LOG_SYSTEM_EVENT, ts);
    snprintf(worst, blen, "{\"resourceNames\": [\"projects/" PROJECT
             "\"], \"filter\": \"%s\"", words);

    typical_s = median(store, "{\"resourceNames\": [\"projects/" PROJECT
                       "\"], \"filter\": \"severity>=ERROR\"", false,
                       MIN_RUNS, &pages);
    rare_s = median(store, "{\"resourceNames\": [\"projects/" PROJECT
                    "\"], \"filter\": \"severity>=CRITICAL\"", false,
                    MIN_RUNS, &pages);
    indexed_s = median(store, indexed, false, MIN_RUNS, &pages);
    worst_s = median(store, worst, false, MIN_RUNS, &pages);
    all_s = median(store, worst, true, 1, &all_pages);

    printf("bench_audit_list: n%zu_typical_request %.3f ms\n", n,
           typical_s * 1e3);
    printf("bench_audit_list: n%zu_rare_request %.3f ms (x%.2f of "
           "typical)\n", n, rare_s * 1e3, rare_s / typical_s);
    printf("bench_audit_list: n%zu_indexed_request %.3f ms (x%.2f of "
           "typical)\n", n, indexed_s * 1e3, indexed_s / typical_s);
    printf("bench_audit_list: n%zu_worst_request %.3f ms (x%.2f of "
           "typical, x%.2f of rare)\n", n, worst_s * 1e3,
           worst_s / typical_s, worst_s / rare_s);
    printf("bench_audit_list: n%zu_worst_all_pages %.3f ms (x%.2f of "
           "typical, %d requests)\n", n, all_s * 1e3, all_s / typical_s,
           all_pages);
    vouch_store_close(store);
    free(words);
    free(worst);
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/vouch-bench-audit-XXXXXX";
    char cmd[128];
    int i;

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    if (argc < 2) {
        bench(201, dir);
        bench(5000, dir);
    }
    for (i = 1; i < argc; i++) {
        long n = strtol(argv[i], NULL, 10);

        if (n < 10) {
            fprintf(stderr, "bench_audit_list: N must be 10 or more\n");
            return 2;
        }
        bench((size_t)n, dir);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
