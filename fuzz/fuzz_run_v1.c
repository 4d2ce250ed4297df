/*
 * libFuzzer target for the Cloud Run v1 (Knative) request shapes
 * (src/api/run_v1_service.c, run_v1_job.c, run_v1_common.c): the bytes
 * are a v1 Service, Job or RunJobRequest. What converts must convert back
 * to the same v2 fields (gcloud reads a service, changes one thing and
 * sends the whole object back: a lossy round trip would make a new
 * revision out of a metadata-only change). Output converters also meet
 * arbitrary JSON as if it were stored. Seed corpus: fuzz/corpus/run_v1/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_v1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const run_v1_where where = {
    "p", "us-central1", "projects/p/locations/us-central1", NULL,
};

static void same(const json_t *a, const json_t *b, const char *key)
{
    json_t *x0 = json_object_get(a, key);
    json_t *y0 = json_object_get(b, key);

    if ((x0 != NULL || y0 != NULL) && !json_equal(x0, y0)) {
        char *x = json_dumps(json_object_get(a, key), JSON_COMPACT);
        char *y = json_dumps(json_object_get(b, key), JSON_COMPACT);
        fprintf(stderr, "round trip changed %s:\n  %s\n  %s\n", key,
                x != NULL ? x : "(absent)", y != NULL ? y : "(absent)");
        abort();   /* the round trip lost or changed `key` */
    }
}

/* v2 -> v1 -> v2 keeps what the v1 shape can say. */
static void round_trip(json_t *v2, const char *id, bool job)
{
    char name[300];
    char id2[160];
    json_t *v1;
    json_t *back = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    snprintf(name, sizeof(name), "%s/%s/%s", where.parent,
             job ? "jobs" : "services", id);
    json_object_set_new(v2, "name", json_string(name));
    v1 = job ? run_v1_job_of(v2, &where) : run_v1_service_of(v2, &where);
    if (v1 == NULL) {
        return;
    }
    int rc = job ? run_v1_job_to_v2(v1, &where, id, id2, sizeof(id2), &back,
                                    &err)
                 : run_v1_service_to_v2(v1, &where, id, id2, sizeof(id2),
                                        &back, &err);
    if (rc < 0) {
        abort();   /* what vouchd answers, it must accept back */
    }
    static const char *const keys[] = {
        "template", "binaryAuthorization", "labels", "annotations",
        "traffic", "client", "clientVersion", "launchStage", "ingress",
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        same(v2, back, keys[i]);
    }
    json_decref(back);
    json_decref(v1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
                            NULL);
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *out = NULL;
    char id[160];

    if (in == NULL) {
        return 0;
    }
    if (run_v1_service_to_v2(in, &where, NULL, id, sizeof(id), &out,
                             &err) == 0) {
        round_trip(out, id, false);
        json_decref(out);
    }
    if (run_v1_job_to_v2(in, &where, NULL, id, sizeof(id), &out, &err) ==
        0) {
        round_trip(out, id, true);
        json_decref(out);
    }
    if (run_v1_run_to_v2(in, &out, &err) == 0) {
        json_decref(out);
    }
    /* Stored JSON is vouchd's own, but never trust a shape blindly. */
    json_t *views[] = {
        run_v1_service_of(in, &where), run_v1_revision_of(in, in, &where),
        run_v1_configuration_of(in, &where), run_v1_route_of(in, &where),
        run_v1_job_of(in, &where), run_v1_execution_of(in, &where),
        run_v1_task_of(in, 0, &where),
    };
    for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
        json_decref(views[i]);
    }
    json_decref(in);
    return 0;
}
