/*
 * vouchd — the HTTP server core (libmicrohttpd, thread pool + epoll).
 *
 * Request lifetime: the request line creates an api_request (counted in
 * flight); the first access-handler call passes it through the guard and
 * the size limits, later calls accumulate the body under the limit and
 * the body budget, the last call dispatches it (route, service session,
 * handler) and queues the response; the completion callback writes the
 * access-log line, counts the metrics and frees the request.
 */
#include "server.h"
#include "authz.h"
#include "access_log.h"
#include "console.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vutil_time.h"

#define MHD_RESULT enum MHD_Result

/* ---- request lifetime ---- */

static void request_free(api_request *req)
{
    if (req == NULL) {
        return;
    }
    vsvc_session_close(req->session);
    api_authn_free(req);
    for (size_t i = 0; i < API_MAX_PARAMS; i++) {
        free(req->params[i]);
    }
    free(req->path);
    free(req->body);
    api_limits_release(req->server->limits, req->body_reserved);
    free(req->cors_origin);
    api_response_drop(req);
    free(req);
}

static void flight_enter(api_server *s)
{
    pthread_mutex_lock(&s->flight_lock);
    s->in_flight++;
    pthread_mutex_unlock(&s->flight_lock);
}

static void flight_leave(api_server *s)
{
    pthread_mutex_lock(&s->flight_lock);
    s->in_flight--;
    pthread_cond_broadcast(&s->flight_cond);
    pthread_mutex_unlock(&s->flight_lock);
}

static int body_append(api_request *req, const char *data, size_t len)
{
    size_t limit = req->server->body_limit;

    if (req->body_too_big || len > limit - req->body_len) {
        req->body_too_big = true;
        return 0;
    }
    if (req->body_len + len + 1 > req->body_cap) {
        size_t cap = req->body_cap == 0 ? 4096 : req->body_cap;
        while (cap < req->body_len + len + 1) {
            cap *= 2;
        }
        if (req->body_expected >= req->body_len + len) {
            cap = req->body_expected + 1;   /* reserved at the start */
        }
        if (cap > limit + 1) {
            cap = limit + 1;
        }
        /* Without a Content-Length, the budget is taken as it grows. */
        if (!api_limits_take(req, cap)) {
            return 0;
        }
        char *grown = realloc(req->body, cap);
        if (grown == NULL) {
            return VOUCH_ENOMEM;
        }
        req->body = grown;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, len);
    req->body_len += len;
    req->body[req->body_len] = '\0';
    return 0;
}

static void run_route(api_request *req)
{
    const api_route *route = req->route;

    /* The permission first: nothing is read for a caller without it. */
    if (api_authz_route(req) != 0) {
        return;
    }
    if (route->handler(req) < 0 && req->status == 0) {
        api_respond_error(req, VOUCH_ENOMEM, "out of memory");
    }
    if (req->status == 0) {
        api_respond_status(req, 500, "INTERNAL",
                           "no response was produced");
    }
    /* A route that checks in its handler must have checked: fail closed
     * when one forgot (its answer is dropped). */
    if (route->resource == API_RES_BODY && !req->checked &&
        req->server->auth_slot != NULL && req->status < 400) {
        api_respond_status(req, 500, "INTERNAL",
                           "route %s made no permission check",
                           route->template);
    }
}

static void dispatch(api_request *req)
{
    char allow[sizeof(req->allow)];
    int m;

    if (req->body_too_big) {
        api_respond_status(req, 413, "INVALID_ARGUMENT",
                           "request body: more than %zu bytes (the limit "
                           "set by --max-body)",
                           req->server->body_limit);
        return;
    }
    m = api_router_match(req->path, strlen(req->path), req->method,
                         &req->route, req->params, API_MAX_PARAMS, allow,
                         sizeof(allow));
    switch (m) {
    case API_MATCH_OK:
        run_route(req);
        return;
    case API_MATCH_METHOD:
        snprintf(req->allow, sizeof(req->allow), "%s", allow);
        api_respond_status(req, 405, "UNIMPLEMENTED",
                           "method %s is not allowed on %s (allowed: %s)",
                           req->method_text, req->path, allow);
        return;
    case API_MATCH_BAD_ID:
        api_respond_error(req, VOUCH_EINVAL,
                          "path segment '%s' is not a valid id: use 1 to %u "
                          "of A-Z a-z 0-9 - _ . ~ (but not '.' or '..')",
                          allow, API_ID_MAX);
        return;
    case API_MATCH_NOT_FOUND:
        api_respond_error(req, VOUCH_ENOTFOUND, "no such route: %s %s",
                          req->method_text, req->path);
        return;
    default:
        api_respond_error(req, VOUCH_ENOMEM, "out of memory");
        return;
    }
}

static MHD_RESULT queue(api_request *req)
{
    struct MHD_Response *resp;
    MHD_RESULT ret;

    /* Answered: no longer waiting for the request to arrive. */
    api_limits_arrived(req->connection);
    if (req->response == NULL) {
        /* Out of memory even for the error body. */
        req->status = 500;
        resp = MHD_create_response_from_buffer(0, (void *)"",
                                               MHD_RESPMEM_PERSISTENT);
    } else if (req->response_constant) {
        resp = MHD_create_response_from_buffer(
            req->response_len, req->response, MHD_RESPMEM_PERSISTENT);
    } else {
        /* Handed over: libmicrohttpd frees it with the response. */
        resp = MHD_create_response_from_buffer(
            req->response_len, req->response, MHD_RESPMEM_MUST_FREE);
        if (resp != NULL) {
            req->response = NULL;
        }
    }
    if (resp == NULL) {
        return MHD_NO;
    }
    if (req->content_type != NULL) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                req->content_type);
    }
    if (req->allow[0] != '\0') {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, req->allow);
    }
    if (req->challenge != API_CHALLENGE_NONE) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                req->challenge == API_CHALLENGE_INVALID
                                    ? "Bearer realm=\"vouchd\", "
                                      "error=\"invalid_token\""
                                    : "Bearer realm=\"vouchd\"");
    }
    if (req->retry_after_s > 0) {
        char secs[16];
        snprintf(secs, sizeof(secs), "%u", req->retry_after_s);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    if (req->cors_origin != NULL) {
        api_guard_cors_headers(resp, req->cors_origin, req->preflight,
                               MHD_lookup_connection_value(
                                   req->connection, MHD_HEADER_KIND,
                                   "Access-Control-Request-Headers"));
    }
    ret = MHD_queue_response(req->connection, req->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static api_request *request_new(api_server *s,
                                struct MHD_Connection *connection,
                                const char *uri)
{
    api_request *req = calloc(1, sizeof(*req));

    if (req == NULL) {
        return NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &req->start);
    req->server = s;
    req->connection = connection;
    req->path = strdup(uri);
    flight_enter(s);
    return req;
}

/*
 * Called by libmicrohttpd as soon as the request line is read, before the
 * headers: every request then gets a completion callback, and an access
 * log line, even one libmicrohttpd refuses itself.
 */
static void *uri_logged(void *cls, const char *uri,
                        struct MHD_Connection *connection)
{
    return request_new(cls, connection, uri);
}

/*
 * The first access-handler call: the request line and headers are in.
 * Returns 1 when the request is answered at once (refused, or too big
 * for the limit or the budget): the body is then never read.
 */
static int begin(api_request *req, const char *url, const char *method)
{
    api_server *s = req->server;
    const char *cl;

    req->begun = true;
    req->method = api_method_parse(method);
    api_log_escape(req->method_text, sizeof(req->method_text), method);
    free(req->path);
    req->path = strdup(url);
    if (req->path == NULL) {
        return -1;
    }
    if (api_guard_apply(req, method) != 0) {
        return 1;
    }
    /* Who is calling, before the body is read: a caller without a valid
     * token (or past its rate) costs no body buffer. */
    if (api_authn_begin(req) != 0) {
        return 1;
    }
    cl = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno != 0 || end == cl || n > s->body_limit) {
            req->body_too_big = true;
            dispatch(req);
            return 1;
        }
        if (n > 0 && !api_limits_take(req, (size_t)n + 1)) {
            return 1;
        }
        req->body_expected = (size_t)n;
    }
    return 0;
}

static MHD_RESULT access_handler(void *cls, struct MHD_Connection *connection,
                                 const char *url, const char *method,
                                 const char *version,
                                 const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    api_server *s = cls;
    api_request *req = *con_cls;

    (void)version;
    if (req == NULL) {
        req = request_new(s, connection, url);
        if (req == NULL) {
            return MHD_NO;
        }
        *con_cls = req;
    }
    if (!req->begun) {
        int r = begin(req, url, method);
        if (r < 0) {
            return MHD_NO;
        }
        /* Refuse before reading the body; MHD then closes. */
        return r > 0 ? queue(req) : MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (req->status == 0 &&
            body_append(req, upload_data, *upload_data_size) < 0) {
            api_respond_error(req, VOUCH_ENOMEM, "out of memory");
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    api_limits_arrived(connection);
    if (req->status == 0 && api_console_owns(req->path)) {
        return api_console_queue(req);   /* static files, own headers */
    }
    if (req->status == 0) {
        dispatch(req);
    }
    return queue(req);
}

static void completed(void *cls, struct MHD_Connection *connection,
                      void **con_cls, enum MHD_RequestTerminationCode toe)
{
    api_server *s = cls;
    api_request *req = *con_cls;
    uint64_t latency;
    bool expired;

    expired = api_limits_completed(connection);
    if (req == NULL) {
        return;
    }
    *con_cls = NULL;
    latency = vutil_elapsed_us(&req->start);
    if (req->status == 0) {
        req->status = api_log_unanswered_status(connection, expired, toe);
    }
    if (s->access_log != NULL) {
        api_access_log_write(s->access_log, s->log_writes_whole,
                             req->begun ? req->method_text : NULL,
                             req->path, req->status, latency,
                             api_caller_name(req));
    }
    api_metrics_request(s->metrics,
                        req->route != NULL ? req->route->template
                                           : "unmatched",
                        api_method_name(req->method), req->status, latency);
    request_free(req);
    flight_leave(s);
}

/* ---- start and stop ---- */

/* MHD_OPTION_NOTIFY_CONNECTION: the request deadline's watchdog, and on
 * a TLS port the first record's check (tls.h). */
static void notify_connection(void *cls, struct MHD_Connection *c,
                              void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    api_server *s = cls;

    if (s->tls != NULL && code == MHD_CONNECTION_NOTIFY_STARTED) {
        api_tls_connection_started(c);
    }
    api_limits_notify_connection(s->limits, c, socket_context, code);
    if (s->tls != NULL && code == MHD_CONNECTION_NOTIFY_CLOSED) {
        api_tls_connection_closed(c);
    }
}

static int listen_error(vouch_error *err, const char *text)
{
    return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                           "--listen '%s': expected ADDRESS:PORT, e.g. "
                           "127.0.0.1:8080 or [::1]:8080",
                           text);
}

/*
 * Parse "A.B.C.D:PORT", "[IPv6]:PORT" or "localhost:PORT" into `addr`.
 */
int api_parse_listen(const char *text, struct sockaddr_storage *addr,
                     socklen_t *addr_len, vouch_error *err)
{
    char host[64];
    const char *port_text;
    size_t host_len;
    char *end = NULL;
    unsigned long port;
    bool ipv6;

    memset(addr, 0, sizeof(*addr));
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':') {
            return listen_error(err, text);
        }
        host_len = (size_t)(close - text - 1);
        port_text = close + 2;
        ipv6 = true;
    } else {
        const char *colon = strrchr(text, ':');
        if (colon == NULL) {
            return listen_error(err, text);
        }
        host_len = (size_t)(colon - text);
        port_text = colon + 1;
        ipv6 = false;
    }
    if (host_len == 0 || host_len >= sizeof(host)) {
        return listen_error(err, text);
    }
    memcpy(host, text + (ipv6 ? 1 : 0), host_len);
    host[host_len] = '\0';
    if (!ipv6 && strcmp(host, "localhost") == 0) {
        snprintf(host, sizeof(host), "127.0.0.1");
    }
    errno = 0;
    port = strtoul(port_text, &end, 10);
    if (errno != 0 || end == port_text || *end != '\0' || port > 65535 ||
        port_text[0] == '-' || port_text[0] == '+') {
        return listen_error(err, text);
    }
    if (ipv6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1) {
            return listen_error(err, text);
        }
        /* The socket is IPv6-only, so it cannot bind an IPv4 address
         * written the IPv6 way; say so instead of failing at bind. */
        if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
            char v4[INET_ADDRSTRLEN] = "";

            inet_ntop(AF_INET, &a6->sin6_addr.s6_addr[12], v4, sizeof(v4));
            return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                   "--listen '%s': an IPv4-mapped IPv6 "
                                   "address cannot be listened on; give "
                                   "the IPv4 address itself: %s:%lu",
                                   text, v4, port);
        }
        *addr_len = sizeof(*a6);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
            return listen_error(err, text);
        }
        *addr_len = sizeof(*a4);
    }
    return 0;
}

bool api_addr_is_loopback(const struct sockaddr_storage *addr)
{
    if (addr->ss_family == AF_INET) {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)addr;
        return (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
    }
    if (addr->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)addr;
        static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0,
                                                  0, 0, 0, 0, 0xff, 0xff };
        if (IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr)) {
            return true;
        }
        return memcmp(a6->sin6_addr.s6_addr, mapped, 12) == 0 &&
               a6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

static void server_free(api_server *s)
{
    if (s == NULL) {
        return;
    }
    api_metrics_listen_stop(s);
    if (s->daemon != NULL) {
        MHD_stop_daemon(s->daemon);   /* a start that failed after it */
    }
    vouch_policy_free(s->system_policy);
    api_metrics_free(s->metrics);
    api_limits_free(s->limits);
    pthread_cond_destroy(&s->flight_cond);
    pthread_mutex_destroy(&s->flight_lock);
    free(s);
}

/* The settings api_server_start refuses, each with the flag to fix. */
static int config_check(const api_config *cfg, struct sockaddr_storage *addr,
                        socklen_t *addr_len, vouch_error *err)
{
    int rc;

    if (cfg->auth_slot != NULL && cfg->authn == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "an auth config needs an authenticator");
    }
    if (cfg->threads == 0 || cfg->threads > API_MAX_THREADS) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "--threads %u: use 1 to %u", cfg->threads,
                               API_MAX_THREADS);
    }
    rc = api_parse_listen(cfg->listen, addr, addr_len, err);
    if (rc < 0) {
        return rc;
    }
    if (cfg->service == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "no service layer to serve");
    }
    if (cfg->max_connections == 0 ||
        cfg->max_connections > API_MAX_CONNECTIONS) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "--max-connections %u: use 1 to %u",
                               cfg->max_connections, API_MAX_CONNECTIONS);
    }
    if (cfg->body_budget < cfg->body_limit) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "--body-budget %zu is less than --max-body "
                               "%zu: a body of the largest size could never "
                               "be read",
                               cfg->body_budget, cfg->body_limit);
    }
    return 0;
}

/* "127.0.0.1:8080" or "[::1]:8080", with the port the daemon bound. */
static void write_listen_text(api_server *s,
                              const struct sockaddr_storage *addr)
{
    if (addr->ss_family == AF_INET6) {
        char host[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr,
                  host, sizeof(host));
        snprintf(s->listen_text, sizeof(s->listen_text), "[%s]:%u", host,
                 (unsigned)s->port);
    } else {
        char host[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr,
                  host, sizeof(host));
        snprintf(s->listen_text, sizeof(s->listen_text), "%s:%u", host,
                 (unsigned)s->port);
    }
}

int api_server_start(api_server **out, const api_config *cfg,
                     vouch_error *err)
{
    api_server *s = NULL;
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    unsigned flags;
    int rc;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        vouch_policy_free(cfg->system_policy);
        return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    s->system_policy = cfg->system_policy;
    s->platform = cfg->platform;
    s->service = cfg->service;
    s->default_location = cfg->default_location != NULL
                              ? cfg->default_location
                              : "us-central1";
    pthread_mutex_init(&s->flight_lock, NULL);
    pthread_cond_init(&s->flight_cond, NULL);

    s->access_log = cfg->access_log;
    s->log_writes_whole = s->access_log != NULL &&
                          api_access_log_writes_whole(s->access_log);
    s->body_limit = cfg->body_limit;
    s->body_budget = cfg->body_budget;
    s->guard.public_hosts = cfg->public_hosts;
    s->guard.public_host_count = cfg->public_host_count;
    s->guard.allowed_origins = cfg->allowed_origins;
    s->guard.allowed_origin_count = cfg->allowed_origin_count;
    s->guard.listen_text = s->listen_text;
    s->guard.tls = cfg->tls != NULL;
    s->auth_slot = cfg->auth_slot;
    s->authn = cfg->authn;
    s->ratelimit = cfg->ratelimit;
    s->rate_limit = cfg->rate_limit;
    s->tls = cfg->tls;
    /* Every route declares its permission, or vouchd does not start. */
    rc = api_router_check(err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = config_check(cfg, &addr, &addr_len, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = api_guard_config_check(&s->guard, err);
    if (rc < 0) {
        goto cleanup;
    }
    rc = api_limits_new(&s->limits, cfg->body_budget,
                        cfg->request_timeout_s, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (api_metrics_new(&s->metrics) < 0) {
        rc = vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
            MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    if (s->tls != NULL) {
        rc = api_tls_install(s->tls, err);
        if (rc < 0) {
            goto cleanup;
        }
        flags |= MHD_USE_TLS;
    }
    /* Without TLS the two TLS options are ignored: an empty option list
     * (MHD_OPTION_ARRAY) takes their place. */
    struct MHD_OptionItem tls_opts[] = {
        { MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)API_TLS_PRIORITIES },
        { MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
          (void *)(intptr_t)api_tls_cert_callback },
        { MHD_OPTION_END, 0, NULL },
    };
    struct MHD_OptionItem no_opts[] = { { MHD_OPTION_END, 0, NULL } };
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, access_handler, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, cfg->threads,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->header_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
        MHD_OPTION_NOTIFY_CONNECTION, notify_connection, s,
        MHD_OPTION_URI_LOG_CALLBACK, uri_logged, s,
        MHD_OPTION_NOTIFY_COMPLETED, completed, s,
        MHD_OPTION_ARRAY, s->tls != NULL ? tls_opts : no_opts,
        MHD_OPTION_END);
    if (s->daemon == NULL) {
        rc = vutil_error_set(err, VOUCH_EIO, NULL, 0, 0,
                             "cannot listen on %s (in use, or not an "
                             "address of this machine)",
                             cfg->listen);
        goto cleanup;
    }
    if (cfg->metrics_listen != NULL) {
        rc = api_metrics_listen_start(s, cfg->metrics_listen, err);
        if (rc < 0) {
            goto cleanup;
        }
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info != NULL ? info->port : 0;
    s->guard.port = s->port;
    write_listen_text(s, &addr);
    *out = s;
    s = NULL;
    rc = 0;

cleanup:
    server_free(s);
    return rc;
}

void api_server_stop(api_server *server, unsigned grace_s)
{
    struct timespec deadline;
    MHD_socket fd;

    if (server == NULL) {
        return;
    }
    /* Stop accepting: new connections are refused from here on. */
    fd = MHD_quiesce_daemon(server->daemon);
    if (fd != MHD_INVALID_SOCKET) {
        close(fd);
    }
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)grace_s;
    pthread_mutex_lock(&server->flight_lock);
    while (server->in_flight > 0) {
        if (pthread_cond_timedwait(&server->flight_cond,
                                   &server->flight_lock, &deadline) != 0) {
            break;
        }
    }
    pthread_mutex_unlock(&server->flight_lock);
    MHD_stop_daemon(server->daemon);
    server->daemon = NULL;
    server_free(server);
}
