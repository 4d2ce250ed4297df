/*
 * vouchd — the vouch server: start-up, signals and shutdown. Its flags,
 * their --config FILE keys and --help come from the table in options.c;
 * the security flags' objects from security.c. SIGHUP re-reads the auth
 * config and the TLS certificate.
 * Exit status: 0 after a clean shutdown (SIGTERM or SIGINT), 2 for a usage
 * or configuration error, 1 when start-up fails (store, socket).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "audit.h"
#include "options.h"
#include "platform.h"
#include "registry.h"
#include "run_v1.h"
#include "security.h"
#include "server.h"
#include "vsvc.h"
#include "vsvc_k8s.h"

#define EXIT_USAGE 2
#define EXIT_START 1

/* The only mutable global state: set by the signal handlers. */
static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t reload_requested = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_hangup(int sig)
{
    (void)sig;
    reload_requested = 1;
}

/* What the registry client does not tell a deployer (why a registry was
 * unreachable, which address was not dialled) goes to the server's log. */
static void registry_log(const char *line, void *payload)
{
    (void)payload;
    fprintf(stderr, "vouchd: registry: %s\n", line);
}

/* Built in, served when --system-policy is not given (docs/operator.md). */
static const char builtin_system_policy[] =
    "admissionWhitelistPatterns:\n"
    "- namePattern: gcr.io/gke-release/**\n"
    "- namePattern: gke.gcr.io/**\n"
    "- namePattern: gcr.io/stackdriver-agents/**\n"
    "- namePattern: k8s.gcr.io/**\n"
    "- namePattern: registry.k8s.io/**\n"
    "defaultAdmissionRule:\n"
    "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
    "  evaluationMode: ALWAYS_DENY\n";

static int read_file(const char *path, size_t max, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t used = 0;
    size_t cap = 0;

    *out = NULL;
    if (f == NULL) {
        fprintf(stderr, "vouchd: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (used == cap) {
            cap = cap == 0 ? 8192 : cap * 2;
            char *grown = realloc(buf, cap + 1);
            if (grown == NULL) {
                fprintf(stderr, "vouchd: %s: out of memory\n", path);
                free(buf);
                fclose(f);
                return -1;
            }
            buf = grown;
        }
        size_t n = fread(buf + used, 1, cap - used, f);
        used += n;
        if (used > max) {
            fprintf(stderr, "vouchd: %s: larger than %zu bytes\n", path,
                    max);
            free(buf);
            fclose(f);
            return -1;
        }
        if (n == 0) {
            break;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "vouchd: %s: %s\n", path, strerror(errno));
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    buf[used] = '\0';
    *out = buf;
    *len = used;
    return 0;
}

static int load_system_policy(const char *path, vouch_policy **out)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char message[512];
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (path == NULL) {
        rc = vouch_policy_parse(out, builtin_system_policy,
                                sizeof(builtin_system_policy) - 1,
                                VOUCH_FORMAT_YAML, "built-in system policy",
                                &err);
    } else {
        if (read_file(path, VOUCH_POLICY_MAX_BYTES, &text, &len) < 0) {
            return -1;
        }
        rc = vouch_policy_parse(out, text, len, VOUCH_FORMAT_AUTO, path,
                                &err);
        free(text);
    }
    if (rc == 0) {
        rc = vouch_policy_set_output_fields(*out, "locations/global/policy",
                                            NULL, NULL, &err);
    }
    if (rc < 0) {
        vouch_error_format(&err, message, sizeof(message));
        fprintf(stderr, "vouchd: --system-policy: %s\n", message);
        vouch_policy_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* What vouchd serves with, above the store: made in this order, freed in
 * the reverse (the platform's exec runtime may still write executions:
 * it goes before the service and the store). */
typedef struct layers {
    vouch_registry *registry;
    vouch_audit_sink *audit_sink;
    vsvc *service;
    vouch_platform *platform;
} layers;

static void layers_free(layers *l)
{
    vouch_platform_free(l->platform);
    vsvc_free(l->service);
    vouch_audit_sink_close(l->audit_sink);
    vouch_registry_free(l->registry);
    memset(l, 0, sizeof(*l));
}

/* The registry client, the audit sink, the service layer and the run
 * platform. 0, or EXIT_USAGE / EXIT_START with the fault printed. */
static int layers_new(layers *l, const vouchd_options *opts,
                      vouch_store *store, const vouch_policy *system_policy)
{
    vouch_registry_options ropts = VOUCH_REGISTRY_OPTIONS_INIT;
    vouch_platform_options popts = VOUCH_PLATFORM_OPTIONS_INIT;
    vsvc_options sopts = VSVC_OPTIONS_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    char message[512];
    const char *what;
    int status = EXIT_USAGE;

    memset(l, 0, sizeof(*l));
    ropts.credentials_file = opts->registry_credentials;
    ropts.insecure_hosts = opts->registry_insecure.items;
    ropts.allowed_hosts = opts->registry_allow.items;
    ropts.log = registry_log;
    ropts.total_timeout_ms = (long)opts->registry_timeout_s * 1000;
    if (ropts.connect_timeout_ms > ropts.total_timeout_ms) {
        ropts.connect_timeout_ms = ropts.total_timeout_ms;
    }
    what = "registry";
    if (vouch_registry_new(&l->registry, &ropts, &err) < 0) {
        goto fail;
    }
    what = "--audit-log";
    if (opts->audit_log != NULL &&
        vouch_audit_sink_open(&l->audit_sink, opts->audit_log, &err) < 0) {
        goto fail;
    }
    sopts.store = store;
    sopts.registry = l->registry;
    sopts.system_policy = system_policy;
    sopts.audit_sink = l->audit_sink;
    sopts.k8s_trust_domains = opts->k8s_trust_domain.items;
    sopts.k8s_trust_domain_count = opts->k8s_trust_domain.count;
    what = "--k8s-trust-domain";
    for (size_t i = 0; i < sopts.k8s_trust_domain_count; i++) {
        if (vsvc_k8s_trust_domain_check(sopts.k8s_trust_domains[i],
                                        &err) < 0) {
            goto fail;
        }
    }
    what = "service";
    if (vsvc_new(&l->service, &sopts, &err) < 0) {
        status = EXIT_START;
        goto fail;
    }
    popts.store = store;
    popts.registry = l->registry;
    popts.system_policy = system_policy;
    popts.service = l->service;
    popts.runtime = strcmp(opts->runtime, "exec") == 0 ? VOUCH_RUNTIME_EXEC
                                                       : VOUCH_RUNTIME_NONE;
    popts.runtime_command = opts->runtime_command;
    what = "--runtime";
    if (vouch_platform_new(&l->platform, &popts, &err) < 0) {
        goto fail;
    }
    return 0;

fail:
    vouch_error_format(&err, message, sizeof(message));
    fprintf(stderr, "vouchd: %s: %s\n", what, message);
    layers_free(l);
    return status;
}

static void config_from_options(api_config *cfg, const vouchd_options *opts)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->listen = opts->listen;
    cfg->threads = opts->threads;
    cfg->body_limit = opts->max_body;
    cfg->header_limit = opts->max_header;
    cfg->timeout_s = opts->timeout_s;
    cfg->max_connections = opts->max_connections;
    cfg->body_budget = opts->body_budget;
    cfg->request_timeout_s = opts->request_timeout_s;
    cfg->public_hosts = opts->public_host.items;
    cfg->public_host_count = opts->public_host.count;
    cfg->allowed_origins = opts->allowed_origin.items;
    cfg->allowed_origin_count = opts->allowed_origin.count;
    cfg->default_location = opts->default_location;
}

/*
 * SIGTERM, SIGINT and SIGHUP are blocked in every thread (the server's
 * threads inherit the mask) and taken only in serve's sigsuspend, which
 * restores *old while it waits.
 */
static void block_signals(sigset_t *old)
{
    struct sigaction sa;
    sigset_t block;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hangup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, old);
}

static int serve(const vouchd_options *opts)
{
    api_config cfg;
    layers l;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_store *store = NULL;
    api_server *server = NULL;
    vouchd_security sec;
    char described[512];
    FILE *access_log = NULL;
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    sigset_t old;
    char message[512];
    int status = EXIT_START;

    memset(&l, 0, sizeof(l));
    memset(&sec, 0, sizeof(sec));
    config_from_options(&cfg, opts);
    if (!run_v1_region_ok(cfg.default_location,
                          strlen(cfg.default_location))) {
        fprintf(stderr, "vouchd: --default-location: expected a region "
                "such as us-central1 (1 to 63 of a-z 0-9 -, starting with "
                "a letter), got '%s'\n", cfg.default_location);
        return EXIT_USAGE;
    }

    if (api_parse_listen(cfg.listen, &addr, &addr_len, &err) < 0) {
        fprintf(stderr, "vouchd: %s\n", err.message);
        return EXIT_USAGE;
    }
    /* libcurl's global state, once, before any thread starts (the JWKS
     * fetches of the auth config use it). */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "vouchd: cannot initialise libcurl\n");
        return EXIT_START;
    }
    status = vouchd_security_open(&sec, opts, &addr);
    if (status != 0) {
        curl_global_cleanup();
        return status;
    }
    status = EXIT_START;
    vouchd_security_apply(&sec, &cfg);
    cfg.metrics_listen = opts->metrics_listen;
    if (load_system_policy(opts->system_policy, &cfg.system_policy) < 0) {
        vouchd_security_close(&sec);
        curl_global_cleanup();
        return EXIT_USAGE;
    }
    if (opts->access_log != NULL && strcmp(opts->access_log, "-") != 0) {
        access_log = fopen(opts->access_log, "a");
        if (access_log == NULL) {
            fprintf(stderr, "vouchd: --access-log %s: %s\n",
                    opts->access_log, strerror(errno));
            vouch_policy_free(cfg.system_policy);
            vouchd_security_close(&sec);
            curl_global_cleanup();
            return EXIT_USAGE;
        }
    }
    cfg.access_log = access_log != NULL ? access_log : stderr;

    if (vouch_store_open(&store, opts->store, cfg.threads, &err) < 0) {
        vouch_error_format(&err, message, sizeof(message));
        fprintf(stderr, "vouchd: --store: %s\n", message);
        vouch_policy_free(cfg.system_policy);
        status = err.code == VOUCH_EINVAL ? EXIT_USAGE : EXIT_START;
        goto cleanup;
    }

    status = layers_new(&l, opts, store, cfg.system_policy);
    if (status != 0) {
        vouch_policy_free(cfg.system_policy);
        goto cleanup;
    }
    status = EXIT_START;
    cfg.platform = l.platform;
    cfg.service = l.service;

    block_signals(&old);

    if (api_server_start(&server, &cfg, &err) < 0) {
        fprintf(stderr, "vouchd: %s\n", err.message);
        status = err.code == VOUCH_EINVAL ? EXIT_USAGE : EXIT_START;
        goto cleanup;
    }
    vouchd_security_describe(&sec, described, sizeof(described));
    fprintf(stderr, "vouchd: listening on %s://%s (store %s, %u threads)\n"
            "vouchd: %s\n", sec.tls != NULL ? "https" : "http",
            server->listen_text, vouch_store_backend(store), cfg.threads,
            described);
    if (server->metrics_daemon != NULL) {
        fprintf(stderr, "vouchd: serving /metrics on http://%s\n",
                server->metrics_text);
    }
    fflush(stderr);

    while (!stop_requested) {
        sigsuspend(&old);
        if (reload_requested && !stop_requested) {
            reload_requested = 0;
            vouchd_security_reload(&sec);
        }
    }
    fprintf(stderr, "vouchd: shutting down: finishing requests in flight\n");
    fflush(stderr);
    api_server_stop(server, cfg.timeout_s);
    server = NULL;
    status = 0;

cleanup:
    api_server_stop(server, 0);
    layers_free(&l);
    vouch_store_close(store);
    vouchd_security_close(&sec);
    curl_global_cleanup();
    if (access_log != NULL) {
        fclose(access_log);
    }
    if (status == 0) {
        fprintf(stderr, "vouchd: stopped\n");
    }
    return status;
}

int main(int argc, char **argv)
{
    vouchd_options opts;
    int rc = vouchd_options_parse(&opts, argc, argv);

    if (rc == 0) {
        rc = serve(&opts);
    } else if (rc == FLAGS_VERSION) {
        printf("vouchd %s (libvouch %s)\n", VOUCH_VERSION, vouch_version());
        rc = 0;
    } else if (rc == FLAGS_DONE) {
        rc = 0;
    }
    vouchd_options_free(&opts);
    return rc;
}
