/*
 * `vouch evaluate`: what cmd_evaluate.c (images) and evaluate_manifest.c
 * (Kubernetes objects) share.
 */
#ifndef VOUCH_CLI_EVALUATE_H
#define VOUCH_CLI_EVALUATE_H

#include "cli.h"

/* The command's flags. */
typedef struct evaluate_opts {
    const char *policy;
    const char *system_policy;
    const char *breakglass;
    cli_list attestors;
    cli_list attestations;
    const char *manifest;       /* --manifest FILE ("-" = stdin) */
    const char *cluster;        /* --cluster LOCATION.NAME */
    const char *namespace_name; /* --namespace NS */
    const char *trust_domain;   /* --trust-domain DOMAIN */
} evaluate_opts;

/* What the files given say, loaded. */
typedef struct evaluate_inputs {
    vouch_policy *policy;
    vouch_policy *system_policy;
    vouch_attestor **attestors;
    size_t attestor_count;
    vouch_attestation_list **lists;
    size_t list_count;
    const vouch_attestation **atts;     /* borrowed from `lists` */
    size_t att_count;
} evaluate_inputs;

/* Load --policy (required), --system-policy, --attestor and --attestation
 * into `in` (zeroed by the caller). CLI_OK or CLI_USAGE (printed); free
 * `in` with evaluate_inputs_free() either way. */
int evaluate_load_inputs(const evaluate_opts *o, evaluate_inputs *in);
void evaluate_inputs_free(evaluate_inputs *in);

/* `vouch evaluate --manifest FILE`: exit status 0, 1 or 2. */
int evaluate_manifest(const evaluate_opts *o, cli_globals *g);

#endif /* VOUCH_CLI_EVALUATE_H */
