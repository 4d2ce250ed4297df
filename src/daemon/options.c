/*
 * vouchd's flag table: every flag, its --config key (the flag's name),
 * its default and its help, once. A new setting is one entry here and
 * one field in vouchd_options (options.h); parsing, the config file and
 * --help follow from the entry.
 */
#include <stddef.h>
#include <string.h>

#include "options.h"
#include "server.h"

#define OPT(f) offsetof(vouchd_options, f)

/* One entry per kind; the --config key is the flag's name. */
#define OPT_STRING(name, meta, f, def, help) \
    {name, FLAG_STRING, name, meta, OPT(f), def, NULL, 0, 0, 0, help}
#define OPT_PATH(name, meta, f, help) \
    {name, FLAG_PATH, name, meta, OPT(f), NULL, NULL, 0, 0, 0, help}
#define OPT_CHOICE(name, f, choices, def, help) \
    {name, FLAG_CHOICE, name, choices, OPT(f), def, choices, 0, 0, 0, help}
#define OPT_COUNT(name, meta, f, def, min, max, help) \
    {name, FLAG_COUNT, name, meta, OPT(f), NULL, NULL, def, min, max, help}
#define OPT_SIZE(name, f, def, min, max, help) \
    {name, FLAG_SIZE, name, "BYTES", OPT(f), NULL, NULL, def, min, max, help}
#define OPT_DURATION(name, f, def, min, max, help) \
    {name, FLAG_DURATION, name, "SECONDS", OPT(f), NULL, NULL, def, min, \
     max, help}
#define OPT_BOOL(name, f, help) \
    {name, FLAG_BOOL, name, NULL, OPT(f), NULL, NULL, 0, 0, 0, help}
#define OPT_LIST(name, meta, f, max, help) \
    {name, FLAG_LIST, name, meta, OPT(f), NULL, NULL, 0, 0, max, help}

static const flag_spec vouchd_flags[] = {
    OPT_STRING("listen", "ADDR:PORT", listen, "127.0.0.1:8080",
               "address to listen on: 127.0.0.1:PORT, [::1]:PORT, "
               "localhost:PORT, or any address with --auth-config and "
               "--tls-cert; port 0 picks a free port"),
    OPT_STRING("store", "URL", store, "sqlite:./var/vouch.db",
               "sqlite:PATH or postgres://..."),
    OPT_COUNT("threads", "N", threads, API_DEFAULT_THREADS, 1,
              API_MAX_THREADS, "request threads and store connections"),
    OPT_PATH("access-log", "FILE", access_log,
             "one JSON line per request, appended to FILE ('-' or no "
             "flag: standard error)"),
    OPT_PATH("system-policy", "FILE", system_policy,
             "policy served at /v1/locations/global/policy (default: a "
             "built-in one)"),
    OPT_SIZE("max-body", max_body, API_DEFAULT_BODY_LIMIT, 1,
             VOUCH_OCCURRENCES_MAX_BYTES, "largest request body"),
    OPT_SIZE("max-header", max_header, API_DEFAULT_HEADER_LIMIT, 4096,
             16u * 1024u * 1024u,
             "memory per connection for the request line and headers"),
    OPT_DURATION("timeout", timeout_s, API_DEFAULT_TIMEOUT_S, 1, 3600,
                 "idle connection timeout, and the longest wait for "
                 "requests in flight at shutdown"),
    OPT_COUNT("max-connections", "N", max_connections,
              API_DEFAULT_MAX_CONNECTIONS, 1, API_MAX_CONNECTIONS,
              "connections open at once; more wait in the listen queue"),
    OPT_SIZE("body-budget", body_budget, API_DEFAULT_BODY_BUDGET, 1,
             API_MAX_BODY_BUDGET,
             "request bodies held in memory at once, all requests "
             "together (at least --max-body); past it 503 with "
             "Retry-After"),
    OPT_DURATION("request-timeout", request_timeout_s,
                 API_DEFAULT_REQUEST_TIMEOUT_S, 1, 3600,
                 "a request, headers and body, must arrive within it; "
                 "past it the connection is closed"),
    OPT_LIST("public-host", "NAME[:PORT]", public_host, API_GUARD_MAX_NAMES,
             "a name the Host header may give besides vouchd's address "
             "and localhost (without a port: any port), e.g. a proxy's"),
    OPT_LIST("allowed-origin", "ORIGIN", allowed_origin,
             API_GUARD_MAX_NAMES,
             "a web origin (http[s]://HOST[:PORT]) whose pages may change "
             "things and read answers (CORS); others may only read"),
    OPT_PATH("audit-log", "FILE", audit_log,
             "also append every audit entry to FILE as JSON lines"),
    OPT_LIST("registry-insecure", "HOST[:PORT]", registry_insecure, 32,
             "a registry reached over plain http, on any address (loopback "
             "and private included)"),
    OPT_LIST("registry-allow", "HOST[:PORT]", registry_allow, 32,
             "a registry reached over https on a loopback, link-local or "
             "private address (refused otherwise)"),
    OPT_PATH("registry-credentials", "FILE", registry_credentials,
             "registry logins, Docker's {\"auths\":{...}} JSON"),
    OPT_DURATION("registry-timeout", registry_timeout_s, 30, 1, 600,
                 "the most one image's resolve takes, retries and waits "
                 "included; past it the deploy or execution fails closed "
                 "(UNAVAILABLE)"),
    OPT_CHOICE("runtime", runtime, "none|exec", "none",
               "what runs an admitted revision or execution"),
    OPT_STRING("runtime-command", "TEMPLATE", runtime_command, NULL,
               "exec runtime: the command of an execution, e.g. "
               "'podman run --rm {image}'"),
    OPT_STRING("default-location", "REGION", default_location,
               "us-central1",
               "the Cloud Run v1 location of a request whose Host names "
               "none (REGION-run.HOST names REGION; docs/gcloud.md)"),
    OPT_PATH("auth-config", "FILE", auth_config,
             "who may call vouchd: static tokens, trusted OIDC issuers, "
             "groups and owners (JSON; re-read on SIGHUP; docs/security.md)"),
    OPT_PATH("tls-cert", "FILE", tls_cert,
             "serve HTTPS (TLS 1.2 and 1.3) with this PEM certificate "
             "chain, the server's certificate first; re-read on SIGHUP"),
    OPT_PATH("tls-key", "FILE", tls_key,
             "the PEM private key of --tls-cert (unencrypted); re-read on "
             "SIGHUP"),
    OPT_COUNT("rate-limit", "N", rate_limit, 0, 0, 1000000,
              "requests per second each principal may make (0: no "
              "limit); past it 429 RESOURCE_EXHAUSTED with Retry-After"),
    OPT_STRING("metrics-listen", "ADDR:PORT", metrics_listen, NULL,
               "also serve GET /metrics, alone and without "
               "authentication, on this loopback address"),
    OPT_LIST("k8s-trust-domain", "CLUSTER=DOMAIN", k8s_trust_domain, 256,
             "the Istio trust domain of a Kubernetes cluster's workloads, "
             "for istioServiceIdentityAdmissionRules (CLUSTER is "
             "LOCATION.NAME; default cluster.local; docs/kubernetes.md)"),
    {"config", FLAG_CONFIG, NULL, "FILE", OPT(config), NULL, NULL, 0, 0, 0,
     "read settings from FILE, one 'name value' a line (the names of "
     "these flags without --; '#' starts a comment); flags given here "
     "win"},
    {"help", FLAG_HELP, NULL, NULL, 0, NULL, NULL, 0, 0, 0,
     "print this help"},
    {"version", FLAG_VERSION, NULL, NULL, 0, NULL, NULL, 0, 0, 0,
     "print the version"},
    {NULL, FLAG_STRING, NULL, NULL, 0, NULL, NULL, 0, 0, 0, NULL},
};

void vouchd_options_init(vouchd_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->parse = (flags){
        .program = "vouchd",
        .summary = "vouchd serves Binary Authorization, Container Analysis, "
                   "the run platform and the audit log over HTTP "
                   "(vouchd(8)).",
        .epilogue = "Exit status: 0 after a clean shutdown (SIGTERM or "
                    "SIGINT), 1 when start-up fails, 2 for a usage or "
                    "configuration error.",
        .table = vouchd_flags,
        .settings = opts,
        .config_text = NULL,
    };
}

int vouchd_options_parse(vouchd_options *opts, int argc, char **argv)
{
    vouchd_options_init(opts);
    return flags_parse(&opts->parse, argc, argv);
}

void vouchd_options_free(vouchd_options *opts)
{
    flags_free(&opts->parse);
}
