/*
 * vouchd's settings: one field per flag of the table in options.c, which
 * is the one place a flag, its --config key, its default and its help are
 * written (flags.h).
 */
#ifndef VOUCH_DAEMON_OPTIONS_H
#define VOUCH_DAEMON_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "flags.h"

typedef struct vouchd_options {
    const char *listen;             /* --listen ADDR:PORT */
    const char *store;              /* --store URL */
    unsigned threads;               /* --threads N */
    const char *access_log;         /* --access-log FILE; NULL: stderr */
    const char *system_policy;      /* --system-policy FILE; NULL: built in */
    size_t max_body;                /* --max-body BYTES */
    size_t max_header;              /* --max-header BYTES */
    unsigned timeout_s;             /* --timeout SECONDS */
    const char *audit_log;          /* --audit-log FILE; NULL: none */
    flag_list registry_insecure;    /* --registry-insecure HOST[:PORT]... */
    flag_list registry_allow;       /* --registry-allow HOST[:PORT]... */
    const char *registry_credentials;   /* --registry-credentials FILE */
    unsigned registry_timeout_s;    /* --registry-timeout SECONDS */
    const char *runtime;            /* --runtime none|exec */
    const char *runtime_command;    /* --runtime-command TEMPLATE */
    unsigned max_connections;       /* --max-connections N */
    size_t body_budget;             /* --body-budget BYTES */
    unsigned request_timeout_s;     /* --request-timeout SECONDS */
    flag_list public_host;          /* --public-host NAME[:PORT]... */
    flag_list allowed_origin;       /* --allowed-origin ORIGIN... */
    const char *default_location;   /* --default-location REGION */
    flag_list k8s_trust_domain;     /* --k8s-trust-domain CLUSTER=DOMAIN */
    const char *auth_config;        /* --auth-config FILE; NULL: none */
    const char *tls_cert;           /* --tls-cert FILE */
    const char *tls_key;            /* --tls-key FILE */
    unsigned rate_limit;            /* --rate-limit N; 0: none */
    const char *metrics_listen;     /* --metrics-listen ADDR:PORT */
    const char *config;             /* --config FILE (read by the parse) */

    flags parse;                    /* owns what the strings point into */
} vouchd_options;

/* Zero `opts` and bind it to the table, without parsing anything (the
 * fuzz target then feeds flags_read_config() directly). */
void vouchd_options_init(vouchd_options *opts);

/*
 * Fill `opts` from argv and --config FILE. Returns 0 (run the server),
 * FLAGS_DONE (--help printed), FLAGS_VERSION (--version asked) or
 * FLAGS_USAGE (printed). Free with vouchd_options_free() in every case.
 */
int vouchd_options_parse(vouchd_options *opts, int argc, char **argv);

/* Free what the parse allocated; `opts` itself is the caller's. */
void vouchd_options_free(vouchd_options *opts);

#endif /* VOUCH_DAEMON_OPTIONS_H */
