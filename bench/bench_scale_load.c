/*
 * vouch — the loader of bench/scale.sh: adds attestation occurrences to a
 * store through vouch_store_bulk_create until it holds TARGET of them.
 *
 *   bench_scale_load STORE_URL TEMPLATE.json FROM TARGET [BATCH]
 *
 * TEMPLATE.json is one occurrence as vouchd stored it (scale.sh reads it
 * back from the API), so every loaded row is what the API would have
 * written: the same fields and size, a name of its own, its note and
 * its image. Occurrence i (FROM <= i < TARGET) is of note
 * projects/p/notes/n(i mod 10) and of image
 * us-docker.pkg.dev/p/scale/app<i / 10>@sha256:<64 hex of i / 10>, so
 * TARGET occurrences cover TARGET / 10 images and 10 notes. Names count
 * up (00000000-0000-7000-8000-<i in hex>, a time-ordered UUID as v7
 * would give) and so do image URIs: the rows arrive in index order and
 * the load appends to every index. The reads scale.sh measures are
 * index lookups and cost the same whatever order the rows came in.
 *
 * Prints "loaded N rows in S s (R rows/s)" on stderr; exit 0 or 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "store.h"

#define NOTES 10
#define NAME_MAX_LEN 128
#define URI_MAX_LEN 160

typedef struct row_text {
    char name[NAME_MAX_LEN];
    char note[NAME_MAX_LEN];
    char uri[URI_MAX_LEN];
    char *json;
} row_text;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The image of occurrence i: its URI as stored (attr2, no https://). */
static void image_uri(char *out, size_t size, unsigned long long image)
{
    snprintf(out, size,
             "us-docker.pkg.dev/p/scale/app%llu@sha256:%064llx", image,
             image);
}

static int make_row(json_t *tmpl, unsigned long long i, row_text *t)
{
    snprintf(t->name, sizeof(t->name),
             "projects/p/occurrences/00000000-0000-7000-8000-%012llx", i);
    snprintf(t->note, sizeof(t->note), "projects/p/notes/n%llu",
             i % NOTES);
    image_uri(t->uri, sizeof(t->uri), i / NOTES);
    if (json_object_set_new(tmpl, "name", json_string(t->name)) < 0 ||
        json_object_set_new(tmpl, "noteName", json_string(t->note)) < 0 ||
        json_object_set_new(tmpl, "resourceUri", json_string(t->uri)) < 0) {
        return -1;
    }
    t->json = json_dumps(tmpl, JSON_COMPACT | JSON_PRESERVE_ORDER);
    return t->json != NULL ? 0 : -1;
}

static int load_batch(vouch_store_conn *conn, json_t *tmpl,
                      unsigned long long from, size_t n, const char *stamp,
                      row_text *texts, vouch_resource *rows)
{
    vouch_error err = VOUCH_ERROR_INIT;
    size_t k;
    int rc = 0;

    for (k = 0; k < n; k++) {
        if (make_row(tmpl, from + k, &texts[k]) < 0) {
            fprintf(stderr, "bench_scale_load: out of memory\n");
            n = k;
            rc = -1;
            break;
        }
        rows[k] = (vouch_resource){
            "occurrence", texts[k].name, "projects/p", texts[k].json,
            (char *)stamp, (char *)stamp, (char *)stamp, texts[k].note,
            texts[k].uri
        };
    }
    if (rc == 0) {
        rc = vouch_store_bulk_create(conn, rows, n, &err);
        if (rc < 0) {
            fprintf(stderr, "bench_scale_load: %s\n", err.message);
        }
    }
    for (k = 0; k < n; k++) {
        free(texts[k].json);
    }
    return rc;
}

int main(int argc, char **argv)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_store *store = NULL;
    vouch_store_conn *conn = NULL;
    json_error_t jerr;
    json_t *tmpl;
    unsigned long long from;
    unsigned long long target;
    unsigned long long i;
    size_t batch = 50000;
    row_text *texts;
    vouch_resource *rows;
    double t0;
    int rc = 0;

    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: bench_scale_load STORE_URL TEMPLATE.json "
                        "FROM TARGET [BATCH]\n");
        return 2;
    }
    from = strtoull(argv[3], NULL, 10);
    target = strtoull(argv[4], NULL, 10);
    if (argc == 6) {
        batch = (size_t)strtoull(argv[5], NULL, 10);
    }
    tmpl = json_load_file(argv[2], 0, &jerr);
    if (tmpl == NULL || !json_is_object(tmpl) || batch == 0) {
        fprintf(stderr, "bench_scale_load: %s: %s\n", argv[2],
                tmpl == NULL ? jerr.text : "not an object, or BATCH 0");
        return 2;
    }
    texts = calloc(batch, sizeof(*texts));
    rows = calloc(batch, sizeof(*rows));
    if (texts == NULL || rows == NULL ||
        vouch_store_open(&store, argv[1], 1, &err) < 0 ||
        vouch_store_acquire(store, &conn, &err) < 0) {
        fprintf(stderr, "bench_scale_load: %s\n",
                err.message[0] != '\0' ? err.message : "out of memory");
        rc = 1;
        goto done;
    }
    t0 = now_s();
    for (i = from; i < target && rc == 0; i += batch) {
        size_t n = target - i < batch ? (size_t)(target - i) : batch;
        const char *stamp = "2026-12-07T00:00:00.000000Z";

        rc = load_batch(conn, tmpl, i, n, stamp, texts, rows);
    }
    if (rc == 0) {
        double s = now_s() - t0;

        fprintf(stderr, "loaded %llu rows in %.1f s (%.0f rows/s)\n",
                target > from ? target - from : 0, s,
                s > 0 ? (double)(target - from) / s : 0.0);
    }

done:
    vouch_store_release(conn);
    vouch_store_close(store);
    json_decref(tmpl);
    free(texts);
    free(rows);
    return rc == 0 ? 0 : 1;
}
