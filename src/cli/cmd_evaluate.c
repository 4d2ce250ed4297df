/*
 * `vouch evaluate`: decide offline whether images may run, from a policy
 * file, attestor files and attestation files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "client.h"

typedef struct evaluate_files {
    const char **attestors;
    size_t attestor_count;
    const char **attestations;
    size_t attestation_count;
    const char **images;
    size_t image_count;
} evaluate_files;

static int parse_attestor(const char *data, size_t len, const char *source,
                          void *payload, vouch_error *err)
{
    return vouch_attestor_parse(payload, data, len, VOUCH_FORMAT_AUTO, source,
                                err);
}

static int parse_attestations(const char *data, size_t len,
                              const char *source, void *payload,
                              vouch_error *err)
{
    return vouch_attestation_list_parse(payload, data, len,
                                        VOUCH_FORMAT_AUTO, source, err);
}

static int load_attestor(const char *path, vouch_attestor **out)
{
    int rc = cli_parse_file(path, VOUCH_ATTESTOR_MAX_BYTES, path,
                            parse_attestor, out);

    if (rc != CLI_OK) {
        return rc;
    }
    if (vouch_attestor_name(*out) == NULL) {
        vouch_attestor_free(*out);
        *out = NULL;
        return cli_fail("%s: the attestor has no 'name'; the policy names "
                        "attestors as projects/P/attestors/A", path);
    }
    return CLI_OK;
}

static void print_text(const vouch_decision *d)
{
    size_t i;
    size_t j;

    printf("decision: %s\n", vouch_outcome_name(vouch_decision_outcome(d)));
    for (i = 0; i < vouch_decision_image_count(d); i++) {
        printf("%s: %s: %s\n", vouch_decision_image(d, i),
               vouch_verdict_name(vouch_decision_verdict(d, i)),
               vouch_decision_reason(d, i));
        for (j = 0; j < vouch_decision_attestor_count(d, i); j++) {
            printf("  %s %s: %s\n",
                   vouch_decision_attestor_satisfied(d, i, j) ? "+" : "-",
                   vouch_decision_attestor_name(d, i, j),
                   vouch_decision_attestor_reason(d, i, j));
        }
    }
}

static void usage(void)
{
    printf("usage: vouch evaluate --policy FILE [--attestor FILE]... "
           "[--attestation FILE]...\n"
           "         [--system-policy FILE] [--breakglass TEXT] "
           "[--format json|yaml|text] IMAGE...\n\n"
           "Decide offline whether IMAGEs may run under the policy, as "
           "Binary Authorization\ndoes at deploy time. Attestor files are "
           "Attestor resources (YAML/JSON);\nattestation files hold one "
           "occurrence, an array, or {\"occurrences\":[...]}.\n"
           "Prints the decision (JSON by default). Exit 0 allowed "
           "(ALLOW, ALLOW_DRYRUN,\nALLOW_BREAKGLASS), 1 denied, 2 usage "
           "or input error.\n");
}

int cmd_evaluate(int argc, char **argv, cli_globals *g)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_evaluation_input in = VOUCH_EVALUATION_INPUT_INIT;
    evaluate_files f = {NULL, 0, NULL, 0, NULL, 0};
    vouch_policy *policy = NULL;
    vouch_policy *system_policy = NULL;
    vouch_attestor **attestors = NULL;
    vouch_attestation_list **lists = NULL;
    const vouch_attestation **atts = NULL;
    vouch_decision *d = NULL;
    const char *policy_path = NULL;
    const char *system_path = NULL;
    const char *breakglass = NULL;
    size_t att_total = 0;
    size_t i;
    size_t j;
    bool text = false;
    char *out = NULL;
    int format;
    int rc = CLI_USAGE;
    int k;

    f.attestors = calloc((size_t)argc + 1, sizeof(char *));
    f.attestations = calloc((size_t)argc + 1, sizeof(char *));
    f.images = calloc((size_t)argc + 1, sizeof(char *));
    if (f.attestors == NULL || f.attestations == NULL || f.images == NULL) {
        cli_fail("out of memory");
        goto cleanup;
    }
    for (k = 0; k < argc; k++) {
        const char *v = NULL;
        int r;

        if (cli_is_help(argv[k])) {
            usage();
            rc = CLI_OK;
            goto cleanup;
        }
        if ((r = cli_flag(argc, argv, &k, "--policy", &policy_path)) != 0 ||
            (r = cli_flag(argc, argv, &k, "--system-policy",
                          &system_path)) != 0 ||
            (r = cli_flag(argc, argv, &k, "--breakglass", &breakglass)) != 0 ||
            (r = cli_global_flag(argc, argv, &k, g)) != 0) {
            if (r < 0) {
                goto cleanup;
            }
            continue;
        }
        if ((r = cli_flag(argc, argv, &k, "--attestor", &v)) != 0) {
            if (r < 0) {
                goto cleanup;
            }
            f.attestors[f.attestor_count++] = v;
            continue;
        }
        if ((r = cli_flag(argc, argv, &k, "--attestation", &v)) != 0) {
            if (r < 0) {
                goto cleanup;
            }
            f.attestations[f.attestation_count++] = v;
            continue;
        }
        if (argv[k][0] == '-') {
            cli_unknown("vouch evaluate", argv[k]);
            goto cleanup;
        }
        f.images[f.image_count++] = argv[k];
    }
    if (policy_path == NULL) {
        cli_fail("--policy is required");
        goto cleanup;
    }
    if (f.image_count == 0) {
        cli_fail("give at least one IMAGE to evaluate");
        goto cleanup;
    }
    format = cli_output_format(g, VOUCH_FORMAT_JSON, true, &text);
    if (format < 0) {
        goto cleanup;
    }
    if (cli_load_policy(policy_path, policy_path, &policy) != CLI_OK ||
        (system_path != NULL &&
         cli_load_policy(system_path, system_path, &system_policy) !=
             CLI_OK)) {
        goto cleanup;
    }
    attestors = calloc(f.attestor_count + 1, sizeof(*attestors));
    lists = calloc(f.attestation_count + 1, sizeof(*lists));
    if (attestors == NULL || lists == NULL) {
        cli_fail("out of memory");
        goto cleanup;
    }
    for (i = 0; i < f.attestor_count; i++) {
        if (load_attestor(f.attestors[i], &attestors[i]) != CLI_OK) {
            goto cleanup;
        }
    }
    for (i = 0; i < f.attestation_count; i++) {
        if (cli_parse_file(f.attestations[i], VOUCH_OCCURRENCES_MAX_BYTES,
                           f.attestations[i], parse_attestations,
                           &lists[i]) != CLI_OK) {
            goto cleanup;
        }
        att_total += vouch_attestation_list_count(lists[i]);
    }
    atts = calloc(att_total + 1, sizeof(*atts));
    if (atts == NULL) {
        cli_fail("out of memory");
        goto cleanup;
    }
    att_total = 0;
    for (i = 0; i < f.attestation_count; i++) {
        for (j = 0; j < vouch_attestation_list_count(lists[i]); j++) {
            atts[att_total++] = vouch_attestation_list_get(lists[i], j);
        }
    }

    in.policy = policy;
    in.system_policy = system_policy;
    in.images = f.images;
    in.image_count = f.image_count;
    in.attestors = (const vouch_attestor *const *)attestors;
    in.attestor_count = f.attestor_count;
    in.attestations = atts;
    in.attestation_count = att_total;
    in.breakglass = breakglass;
    if (vouch_evaluate(&d, &in, &err) < 0) {
        cli_fail_error(&err);
        goto cleanup;
    }
    if (text) {
        print_text(d);
    } else if (vouch_decision_to_json(d, 2, &out, &err) < 0) {
        cli_fail_error(&err);
        goto cleanup;
    } else if (format == VOUCH_FORMAT_YAML) {
        json_t *doc = json_loads(out, 0, NULL);

        /* The same fields as the JSON, as block YAML. */
        if (doc == NULL || client_print_as(doc, VOUCH_FORMAT_YAML) != 0) {
            json_decref(doc);
            fprintf(stderr, "vouch: cannot print the decision as YAML\n");
            rc = CLI_USAGE;
            goto cleanup;
        }
        json_decref(doc);
    } else {
        printf("%s\n", out);
    }
    if (vouch_decision_outcome(d) != VOUCH_OUTCOME_ALLOW) {
        fprintf(stderr, "vouch: %s\n", vouch_decision_message(d));
    }
    rc = vouch_decision_outcome(d) == VOUCH_OUTCOME_DENY ? CLI_DENIED
                                                         : CLI_OK;

cleanup:
    vouch_free(out);
    vouch_decision_free(d);
    free(atts);
    if (lists != NULL) {
        for (i = 0; i < f.attestation_count; i++) {
            vouch_attestation_list_free(lists[i]);
        }
    }
    free(lists);
    if (attestors != NULL) {
        for (i = 0; i < f.attestor_count; i++) {
            vouch_attestor_free(attestors[i]);
        }
    }
    free(attestors);
    vouch_policy_free(system_policy);
    vouch_policy_free(policy);
    free(f.attestors);
    free(f.attestations);
    free(f.images);
    return rc;
}
