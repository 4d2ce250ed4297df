/*
 * vouchd — --metrics-listen: a second, loopback-only daemon that answers
 * GET /metrics of the server (the same counters) and nothing else, without
 * authentication, for a Prometheus scraper on the same machine
 * (docs/operator.md). The main port keeps /metrics too, behind its
 * permission (monitoring.timeSeries.list on some project).
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "vutil_error.h"

#define MHD_RESULT enum MHD_Result

static MHD_RESULT answer(struct MHD_Connection *c, unsigned status,
                         const char *type, char *body, size_t len,
                         enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, body, mode);
    MHD_RESULT ret;

    if (resp == NULL) {
        if (mode == MHD_RESPMEM_MUST_FREE) {
            free(body);
        }
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static MHD_RESULT on_request(void *cls, struct MHD_Connection *c,
                             const char *url, const char *method,
                             const char *version, const char *upload,
                             size_t *upload_size, void **con_cls)
{
    static const char not_found[] = "only GET /metrics is served here\n";
    api_server *s = cls;
    size_t len = 0;
    char *text;

    (void)version;
    (void)upload;
    if (*con_cls == NULL) {
        *con_cls = (void *)1;   /* headers in: wait for the end */
        return MHD_YES;
    }
    if (*upload_size > 0) {
        *upload_size = 0;       /* a body is ignored */
        return MHD_YES;
    }
    if (strcmp(url, "/metrics") != 0 ||
        (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
        return answer(c, 404, "text/plain; charset=utf-8",
                      (char *)not_found, sizeof(not_found) - 1,
                      MHD_RESPMEM_PERSISTENT);
    }
    text = api_metrics_text(s, &len);
    if (text == NULL) {
        return MHD_NO;
    }
    return answer(c, 200, "text/plain; version=0.0.4; charset=utf-8", text,
                  len, MHD_RESPMEM_MUST_FREE);
}

int api_metrics_listen_start(api_server *s, const char *listen,
                             vouch_error *err)
{
    struct sockaddr_storage addr;
    socklen_t len = 0;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *info;
    char host[INET6_ADDRSTRLEN];
    int rc;

    rc = api_parse_listen(listen, &addr, &len, err);
    if (rc < 0) {
        return rc;
    }
    if (addr.ss_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    s->metrics_daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT, 16u,
        MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (s->metrics_daemon == NULL) {
        return vutil_error_set(err, VOUCH_EIO, NULL, 0, 0,
                               "--metrics-listen: cannot listen on %s",
                               listen);
    }
    info = MHD_get_daemon_info(s->metrics_daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (addr.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&addr)->sin6_addr,
                  host, sizeof(host));
        snprintf(s->metrics_text, sizeof(s->metrics_text), "[%s]:%u", host,
                 info != NULL ? (unsigned)info->port : 0u);
    } else {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&addr)->sin_addr, host,
                  sizeof(host));
        snprintf(s->metrics_text, sizeof(s->metrics_text), "%s:%u", host,
                 info != NULL ? (unsigned)info->port : 0u);
    }
    return 0;
}

void api_metrics_listen_stop(api_server *s)
{
    if (s->metrics_daemon != NULL) {
        MHD_stop_daemon(s->metrics_daemon);
        s->metrics_daemon = NULL;
    }
}
