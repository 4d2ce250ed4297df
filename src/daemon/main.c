/*
 * vouchd — the vouch server: flags, signals, start-up and shutdown.
 *
 *   vouchd [--listen ADDR:PORT] [--store sqlite:PATH | postgres://...]
 *          [--threads N] [--access-log FILE] [--system-policy FILE]
 *          [--max-body BYTES] [--max-header BYTES] [--timeout SECONDS]
 *          [--audit-log FILE] [--registry-insecure HOST]...
 *          [--registry-credentials FILE] [--runtime none|exec]
 *          [--runtime-command TEMPLATE] [--config FILE]
 *
 * --config FILE holds the same settings, one per line, as "name value"
 * (the flag's name without "--"); '#' starts a comment. Flags on the
 * command line come after the file's, so they win.
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
#include "platform.h"
#include "registry.h"
#include "server.h"
#include "vsvc.h"

/* Most --registry-insecure hosts accepted. */
#define MAX_INSECURE_HOSTS 32

#define EXIT_USAGE 2
#define EXIT_START 1

/* The one piece of mutable global state: set by the signal handler. */
static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
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

static const char usage_text[] =
    "usage: vouchd [--listen ADDR:PORT] [--store URL] [--threads N]\n"
    "              [--access-log FILE] [--system-policy FILE]\n"
    "              [--max-body BYTES] [--max-header BYTES]\n"
    "              [--timeout SECONDS] [--audit-log FILE]\n"
    "              [--registry-insecure HOST]... "
    "[--registry-credentials FILE]\n"
    "              [--runtime none|exec] [--runtime-command TEMPLATE]\n"
    "              [--config FILE]\n"
    "\n"
    "  --listen ADDR:PORT     127.0.0.1:8080 (default), [::1]:8080; "
    "loopback only\n"
    "  --store URL            sqlite:PATH (default sqlite:./var/vouch.db) "
    "or postgres://...\n"
    "  --threads N            request threads and store connections "
    "(default 4)\n"
    "  --access-log FILE      one JSON line per request (default: "
    "standard error)\n"
    "  --system-policy FILE   policy served at /v1/locations/global/policy\n"
    "  --max-body BYTES       largest request body (default 4194304)\n"
    "  --max-header BYTES     memory per connection for the request line "
    "and headers (default 65536)\n"
    "  --timeout SECONDS      idle connection timeout (default 30)\n"
    "  --audit-log FILE       also append every audit entry to FILE as "
    "JSON lines\n"
    "  --registry-insecure HOST  allow plain http to HOST[:PORT] "
    "(loopback always is)\n"
    "  --registry-credentials FILE  registry logins, Docker's "
    "{\"auths\":{...}} JSON\n"
    "  --runtime none|exec    what runs an admitted revision or execution "
    "(default none)\n"
    "  --runtime-command T    exec: command per execution, e.g. "
    "'podman run --rm {image}'\n"
    "  --config FILE          settings, one 'name value' per line (names "
    "as the flags,\n"
    "                         without --); flags given here win\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "vouchd: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see vouchd --help)\n");
    return EXIT_USAGE;
}

/* "--flag value" or "--flag=value" at argv[*i]. 1 handled, 0 not this
 * flag, -1 value missing. */
static int flag(int argc, char **argv, int *i, const char *name,
                const char **value)
{
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n) != 0) {
        return 0;
    }
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0') {
        return 0;
    }
    if (*i + 1 >= argc) {
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

static int parse_count(const char *text, unsigned long long max,
                       unsigned long long *out)
{
    char *end = NULL;
    unsigned long long v;

    if (text[0] < '0' || text[0] > '9') {
        return -1;
    }
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0 || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

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

static int serve(int argc, char **argv)
{
    api_config cfg;
    const char *store_url = "sqlite:./var/vouch.db";
    const char *access_log_path = NULL;
    const char *system_policy_path = NULL;
    const char *audit_log_path = NULL;
    const char *credentials_path = NULL;
    const char *runtime_name = "none";
    const char *runtime_command = NULL;
    const char *insecure[MAX_INSECURE_HOSTS + 1] = {NULL};
    size_t insecure_count = 0;
    vouch_registry *registry = NULL;
    vouch_platform *platform = NULL;
    vouch_audit_sink *audit_sink = NULL;
    vsvc *service = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_store *store = NULL;
    api_server *server = NULL;
    FILE *access_log = NULL;
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    sigset_t block;
    sigset_t old;
    struct sigaction sa;
    char message[512];
    int status = EXIT_START;

    memset(&cfg, 0, sizeof(cfg));
    cfg.listen = "127.0.0.1:8080";
    cfg.threads = API_DEFAULT_THREADS;
    cfg.body_limit = API_DEFAULT_BODY_LIMIT;
    cfg.header_limit = API_DEFAULT_HEADER_LIMIT;
    cfg.timeout_s = API_DEFAULT_TIMEOUT_S;

    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        unsigned long long n = 0;
        int r;

        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("vouchd %s (libvouch %s)\n", VOUCH_VERSION,
                   vouch_version());
            return 0;
        }
        r = flag(argc, argv, &i, "--listen", &v);
        if (r != 0) {
            if (r < 0) {
                return usage_error("%s needs a value", "--listen");
            }
            cfg.listen = v;
            continue;
        }
        r = flag(argc, argv, &i, "--store", &v);
        if (r != 0) {
            if (r < 0) {
                return usage_error("%s needs a value", "--store");
            }
            store_url = v;
            continue;
        }
        r = flag(argc, argv, &i, "--threads", &v);
        if (r != 0) {
            if (r < 0 || parse_count(v, API_MAX_THREADS, &n) < 0) {
                return usage_error("--threads: expected 1 to 256, got '%s'",
                                   r < 0 ? "" : v);
            }
            cfg.threads = (unsigned)n;
            continue;
        }
        r = flag(argc, argv, &i, "--access-log", &v);
        if (r != 0) {
            if (r < 0) {
                return usage_error("%s needs a value", "--access-log");
            }
            access_log_path = v;
            continue;
        }
        r = flag(argc, argv, &i, "--audit-log", &v);
        if (r != 0) {
            if (r < 0) {
                return usage_error("%s needs a value", "--audit-log");
            }
            audit_log_path = v;
            continue;
        }
        r = flag(argc, argv, &i, "--registry-credentials", &v);
        if (r != 0) {
            if (r < 0) {
                return usage_error("%s needs a value",
                                   "--registry-credentials");
            }
            credentials_path = v;
            continue;
        }
        r = flag(argc, argv, &i, "--registry-insecure", &v);
        if (r != 0) {
            if (r < 0 || insecure_count == MAX_INSECURE_HOSTS) {
                return usage_error("%s needs a HOST[:PORT] (at most 32 of "
                                   "them)", "--registry-insecure");
            }
            insecure[insecure_count++] = v;
            continue;
        }
        r = flag(argc, argv, &i, "--runtime-command", &v);
        if (r != 0) {
            if (r < 0) {
                return usage_error("%s needs a value", "--runtime-command");
            }
            runtime_command = v;
            continue;
        }
        r = flag(argc, argv, &i, "--runtime", &v);
        if (r != 0) {
            if (r < 0 || (strcmp(v, "none") != 0 && strcmp(v, "exec") != 0)) {
                return usage_error("%s must be none or exec", "--runtime");
            }
            runtime_name = v;
            continue;
        }
        r = flag(argc, argv, &i, "--system-policy", &v);
        if (r != 0) {
            if (r < 0) {
                return usage_error("%s needs a value", "--system-policy");
            }
            system_policy_path = v;
            continue;
        }
        r = flag(argc, argv, &i, "--max-body", &v);
        if (r != 0) {
            if (r < 0 ||
                parse_count(v, VOUCH_OCCURRENCES_MAX_BYTES, &n) < 0) {
                return usage_error("--max-body: expected 1 to 67108864 "
                                   "bytes, got '%s'",
                                   r < 0 ? "" : v);
            }
            cfg.body_limit = (size_t)n;
            continue;
        }
        r = flag(argc, argv, &i, "--max-header", &v);
        if (r != 0) {
            if (r < 0 || parse_count(v, 16u * 1024u * 1024u, &n) < 0 ||
                n < 4096) {
                return usage_error("--max-header: expected 4096 to "
                                   "16777216 bytes, got '%s'",
                                   r < 0 ? "" : v);
            }
            cfg.header_limit = (size_t)n;
            continue;
        }
        r = flag(argc, argv, &i, "--timeout", &v);
        if (r != 0) {
            if (r < 0 || parse_count(v, 3600, &n) < 0) {
                return usage_error("--timeout: expected 1 to 3600 "
                                   "seconds, got '%s'",
                                   r < 0 ? "" : v);
            }
            cfg.timeout_s = (unsigned)n;
            continue;
        }
        return usage_error("unknown argument '%s'", argv[i]);
    }

    if (api_parse_listen(cfg.listen, &addr, &addr_len, &err) < 0) {
        fprintf(stderr, "vouchd: %s\n", err.message);
        return EXIT_USAGE;
    }
    if (!api_addr_is_loopback(&addr)) {
        fprintf(stderr,
                "vouchd: refusing to listen on %s: authentication is not "
                "configured yet, and vouchd only listens beyond loopback "
                "(127.0.0.0/8, ::1) when it is\n",
                cfg.listen);
        return EXIT_USAGE;
    }
    if (load_system_policy(system_policy_path, &cfg.system_policy) < 0) {
        return EXIT_USAGE;
    }
    if (access_log_path != NULL && strcmp(access_log_path, "-") != 0) {
        access_log = fopen(access_log_path, "a");
        if (access_log == NULL) {
            fprintf(stderr, "vouchd: --access-log %s: %s\n",
                    access_log_path, strerror(errno));
            vouch_policy_free(cfg.system_policy);
            return EXIT_USAGE;
        }
    }
    cfg.access_log = access_log != NULL ? access_log : stderr;

    if (vouch_store_open(&store, store_url, cfg.threads, &err) < 0) {
        vouch_error_format(&err, message, sizeof(message));
        fprintf(stderr, "vouchd: --store: %s\n", message);
        vouch_policy_free(cfg.system_policy);
        status = err.code == VOUCH_EINVAL ? EXIT_USAGE : EXIT_START;
        goto cleanup;
    }

    /* libcurl's global state, once, before any thread starts. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "vouchd: cannot initialise libcurl\n");
        vouch_policy_free(cfg.system_policy);
        goto cleanup;
    }
    if (audit_log_path != NULL &&
        vouch_audit_sink_open(&audit_sink, audit_log_path, &err) < 0) {
        vouch_error_format(&err, message, sizeof(message));
        fprintf(stderr, "vouchd: --audit-log: %s\n", message);
        vouch_policy_free(cfg.system_policy);
        status = EXIT_USAGE;
        goto cleanup;
    }
    {
        vouch_registry_options ropts = VOUCH_REGISTRY_OPTIONS_INIT;
        vouch_platform_options popts = VOUCH_PLATFORM_OPTIONS_INIT;
        vsvc_options sopts = VSVC_OPTIONS_INIT;

        ropts.credentials_file = credentials_path;
        ropts.insecure_hosts = insecure_count > 0 ? insecure : NULL;
        if (vouch_registry_new(&registry, &ropts, &err) < 0) {
            vouch_error_format(&err, message, sizeof(message));
            fprintf(stderr, "vouchd: registry: %s\n", message);
            vouch_policy_free(cfg.system_policy);
            status = EXIT_USAGE;
            goto cleanup;
        }
        sopts.store = store;
        sopts.registry = registry;
        sopts.system_policy = cfg.system_policy;
        sopts.audit_sink = audit_sink;
        if (vsvc_new(&service, &sopts, &err) < 0) {
            vouch_error_format(&err, message, sizeof(message));
            fprintf(stderr, "vouchd: %s\n", message);
            vouch_policy_free(cfg.system_policy);
            goto cleanup;
        }
        popts.service = service;
        popts.store = store;
        popts.registry = registry;
        popts.system_policy = cfg.system_policy;
        popts.runtime = strcmp(runtime_name, "exec") == 0
                            ? VOUCH_RUNTIME_EXEC : VOUCH_RUNTIME_NONE;
        popts.runtime_command = runtime_command;
        if (vouch_platform_new(&platform, &popts, &err) < 0) {
            vouch_error_format(&err, message, sizeof(message));
            fprintf(stderr, "vouchd: --runtime: %s\n", message);
            vouch_policy_free(cfg.system_policy);
            status = EXIT_USAGE;
            goto cleanup;
        }
    }
    cfg.platform = platform;
    cfg.service = service;

    /* Signals: blocked in every thread, taken only in sigsuspend below. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);

    if (api_server_start(&server, &cfg, &err) < 0) {
        fprintf(stderr, "vouchd: %s\n", err.message);
        status = err.code == VOUCH_EINVAL ? EXIT_USAGE : EXIT_START;
        goto cleanup;
    }
    fprintf(stderr, "vouchd: listening on http://%s (store %s, %u threads)\n",
            server->listen_text, vouch_store_backend(store), cfg.threads);
    fflush(stderr);

    while (!stop_requested) {
        sigsuspend(&old);
    }
    fprintf(stderr, "vouchd: shutting down: finishing requests in flight\n");
    fflush(stderr);
    api_server_stop(server, cfg.timeout_s);
    server = NULL;
    status = 0;

cleanup:
    api_server_stop(server, 0);
    /* The platform's exec runtime may still write executions: free it
     * before the store. */
    vouch_platform_free(platform);
    vsvc_free(service);
    vouch_registry_free(registry);
    vouch_audit_sink_close(audit_sink);
    vouch_store_close(store);
    curl_global_cleanup();
    if (access_log != NULL) {
        fclose(access_log);
    }
    if (status == 0) {
        fprintf(stderr, "vouchd: stopped\n");
    }
    return status;
}

/* ---- --config FILE ---- */

#define CONFIG_MAX_BYTES (64u * 1024u)
#define CONFIG_MAX_SETTINGS 256

static const char *const config_names[] = {
    "listen", "store", "threads", "access-log", "system-policy", "max-body",
    "max-header", "timeout", "audit-log", "registry-insecure",
    "registry-credentials", "runtime", "runtime-command", NULL,
};

/*
 * Read FILE into `buf` (NUL-terminated, owned by the caller) and append
 * "--name" "value" pairs to `args`. Returns 0, or EXIT_USAGE with the
 * fault printed as "vouchd: FILE:LINE: ...".
 */
static int read_config(const char *path, char **buf, char **args,
                       int *count)
{
    FILE *f = fopen(path, "r");
    size_t len;
    char *line;
    char *next;
    unsigned lineno = 0;

    if (f == NULL) {
        fprintf(stderr, "vouchd: --config %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    *buf = malloc(CONFIG_MAX_BYTES + 2);
    if (*buf == NULL) {
        fclose(f);
        fprintf(stderr, "vouchd: --config %s: out of memory\n", path);
        return EXIT_USAGE;
    }
    len = fread(*buf, 1, CONFIG_MAX_BYTES + 1, f);
    fclose(f);
    if (len > CONFIG_MAX_BYTES) {
        fprintf(stderr, "vouchd: --config %s: over the limit of %u bytes\n",
                path, CONFIG_MAX_BYTES);
        return EXIT_USAGE;
    }
    (*buf)[len] = '\0';
    for (line = *buf; line != NULL && *line != '\0'; line = next) {
        char *name;
        char *value;
        char *end;
        size_t k;

        lineno++;
        next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        end = strchr(line, '#');
        if (end != NULL) {
            *end = '\0';
        }
        name = line + strspn(line, " \t\r");
        end = name + strlen(name);
        while (end > name && (end[-1] == ' ' || end[-1] == '\t' ||
                              end[-1] == '\r')) {
            *--end = '\0';
        }
        if (*name == '\0') {
            continue;
        }
        value = name + strcspn(name, " \t=");
        if (*value != '\0') {
            *value++ = '\0';
            value += strspn(value, " \t=");
        }
        for (k = 0; config_names[k] != NULL; k++) {
            if (strcmp(config_names[k], name) == 0) {
                break;
            }
        }
        if (config_names[k] == NULL) {
            fprintf(stderr, "vouchd: %s:%u: unknown setting '%s' (the "
                    "settings are vouchd's flags without '--')\n", path,
                    lineno, name);
            return EXIT_USAGE;
        }
        if (*value == '\0') {
            fprintf(stderr, "vouchd: %s:%u: '%s' needs a value\n", path,
                    lineno, name);
            return EXIT_USAGE;
        }
        if (*count + 2 > CONFIG_MAX_SETTINGS * 2) {
            fprintf(stderr, "vouchd: %s:%u: more than %d settings\n", path,
                    lineno, CONFIG_MAX_SETTINGS);
            return EXIT_USAGE;
        }
        args[(*count)++] = name;
        args[(*count)++] = value;
    }
    return 0;
}

int main(int argc, char **argv)
{
    char *config_buf = NULL;
    char **args = NULL;
    char *flags = NULL;
    const char *config = NULL;
    int count = 0;
    int rc;
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[i + 1];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            config = argv[i] + 9;
        }
    }
    if (config == NULL) {
        return serve(argc, argv);
    }
    args = calloc((size_t)argc + CONFIG_MAX_SETTINGS * 2 + 1, sizeof(*args));
    flags = calloc(CONFIG_MAX_SETTINGS, 32);
    if (args == NULL || flags == NULL) {
        fprintf(stderr, "vouchd: out of memory\n");
        rc = EXIT_USAGE;
        goto cleanup;
    }
    args[count++] = argv[0];
    rc = read_config(config, &config_buf, args, &count);
    if (rc != 0) {
        goto cleanup;
    }
    /* Settings become "--name" flags, before the command line's. */
    for (i = 1; i < count; i += 2) {
        char *flag = flags + (size_t)(i / 2) * 32;

        snprintf(flag, 32, "--%s", args[i]);
        args[i] = flag;
    }
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--config=", 9) == 0) {
            continue;
        }
        args[count++] = argv[i];
    }
    rc = serve(count, args);

cleanup:
    free(flags);
    free(args);
    free(config_buf);
    return rc;
}
