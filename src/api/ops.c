/*
 * vouchd — operations endpoints: GET /healthz (the process answers),
 * GET /readyz (the store answers), GET /metrics (Prometheus text).
 */
#include <stdlib.h>

#include "handlers.h"
#include "platform.h"
#include "server.h"

int api_healthz(api_request *req)
{
    return api_respond(req, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

int api_readyz(api_request *req)
{
    vouch_error err = VOUCH_ERROR_INIT;

    if (vsvc_ping(req->session, &err) < 0) {
        char text[400];
        vouch_error_format(&err, text, sizeof(text));
        return api_respond_error(req, VOUCH_EIO,
                                 "store not reachable: %s", text);
    }
    return api_respond(req, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

char *api_metrics_text(api_server *server, size_t *len)
{
    api_cache_counts caches;
    api_gauges gauges;
    vsvc_counts counts;

    vsvc_counts_read(server->service, &counts);
    caches.verify_hits = counts.verify_hits;
    caches.verify_misses = counts.verify_misses;
    caches.store_hits = counts.store_hits;
    caches.store_misses = counts.store_misses;
    vouch_platform_conformance_counts(server->platform,
                                      &gauges.nonconforming_revisions,
                                      &gauges.nonconforming_jobs);
    return api_metrics_render(server->metrics, &caches, &gauges, len);
}

int api_metrics_handler(api_request *req)
{
    size_t len = 0;
    char *text = api_metrics_text(req->server, &len);
    int rc;

    if (text == NULL) {
        return api_respond_error(req, VOUCH_ENOMEM, "out of memory");
    }
    rc = api_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8",
                     text, len);
    free(text);
    return rc;
}
