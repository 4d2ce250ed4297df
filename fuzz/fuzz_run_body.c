/*
 * Fuzz the run platform's request bodies: a Service (create), a Job
 * (create) and a job run request (also against a fixed job with two
 * containers, so that overrides meet real ones), each validated and,
 * when valid, admitted against a real SQLite store in a temporary
 * directory. The transaction is rolled back after every input, so inputs
 * do not build on each other. There is no registry: a tag cannot be resolved and must
 * fail closed, never crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"

static const char fixed_job[] =
    "{\"template\":{\"taskCount\":2,\"template\":{\"containers\":["
    "{\"name\":\"main\",\"image\":\"gcr.io/p/app@sha256:"
    "0000000000000000000000000000000000000000000000000000000000000000\","
    "\"args\":[\"a\"],\"env\":[{\"name\":\"A\",\"value\":\"1\"}]},"
    "{\"name\":\"side\",\"image\":\"gcr.io/p/side@sha256:"
    "1111111111111111111111111111111111111111111111111111111111111111\"}"
    "]}}}";

static vouch_store *store;
static vouch_platform *platform;

static void teardown(void)
{
    vouch_platform_free(platform);
    vouch_store_close(store);
}

static int setup(void)
{
    vouch_platform_options opts = VOUCH_PLATFORM_OPTIONS_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    char dir[] = "/tmp/vouch-fuzz-run-XXXXXX";
    char url[128];

    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    snprintf(url, sizeof(url), "sqlite:%s/fuzz.db", dir);
    if (vouch_store_open(&store, url, 1, &err) < 0) {
        fprintf(stderr, "store: %s\n", err.message);
        return -1;
    }
    opts.store = store;
    if (vouch_platform_new(&platform, &opts, &err) < 0) {
        fprintf(stderr, "platform: %s\n", err.message);
        return -1;
    }
    atexit(teardown);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready = 0;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_store_conn *conn = NULL;
    vouch_platform_ctx ctx;
    json_t *out = NULL;
    const char *body = (const char *)data;

    if (ready == 0) {
        ready = setup() == 0 ? 1 : -1;
    }
    if (ready < 0) {
        abort();
    }
    if (vouch_store_acquire(store, &conn, &err) < 0 ||
        vouch_store_begin(conn, true, &err) < 0) {
        abort();
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.platform = platform;
    ctx.conn = conn;
    (void)vouch_platform_service_create(&ctx, "p", "us-central1", "svc",
                                        body, size, false, &out, &err);
    json_decref(out);
    out = NULL;
    (void)vouch_platform_job_create(&ctx, "p", "us-central1", "job", body,
                                    size, false, &out, &err);
    json_decref(out);
    out = NULL;
    (void)vouch_platform_job_run(&ctx, "p", "us-central1", "job", body, size,
                                 &out, &err);
    json_decref(out);
    out = NULL;
    /* A run request against a job that exists, so that its overrides
     * are applied to real containers. */
    if (vouch_platform_job_create(&ctx, "p", "us-central1", "fixed",
                                  fixed_job, strlen(fixed_job), false, &out,
                                  &err) == 0) {
        json_decref(out);
        out = NULL;
        (void)vouch_platform_job_run(&ctx, "p", "us-central1", "fixed", body,
                                     size, &out, &err);
    }
    json_decref(out);
    vouch_store_rollback(conn);
    vouch_store_release(conn);
    return 0;
}
