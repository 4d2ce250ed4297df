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
#include "evaluate.h"

static const cli_flag evaluate_flags[] = {
    CLI_STRING("--policy", "FILE", evaluate_opts, policy, 0,
               "the project policy (YAML or JSON); without it, --manifest "
               "asks the server"),
    CLI_LIST("--attestor", "FILE", evaluate_opts, attestors, 0,
             "an Attestor resource (YAML or JSON)"),
    CLI_LIST("--attestation", "FILE", evaluate_opts, attestations, 0,
             "one occurrence, an array, or {\"occurrences\":[...]}"),
    CLI_STRING("--system-policy", "FILE", evaluate_opts, system_policy, 0,
               "the system policy, applied first"),
    CLI_STRING("--breakglass", "TEXT", evaluate_opts, breakglass, 0,
               "run whatever the policy says, and say so"),
    CLI_STRING("--manifest", "FILE", evaluate_opts, manifest, CLI_NONEMPTY,
               "Kubernetes objects (YAML stream or JSON; - for stdin) "
               "instead of IMAGEs"),
    CLI_STRING("--cluster", "LOCATION.NAME", evaluate_opts, cluster,
               CLI_NONEMPTY, "--manifest: the cluster, for "
               "clusterAdmissionRules"),
    CLI_STRING("--namespace", "NS", evaluate_opts, namespace_name,
               CLI_NONEMPTY, "--manifest: the namespace of objects that "
               "name none (default: default)"),
    CLI_STRING("--trust-domain", "DOMAIN", evaluate_opts, trust_domain,
               CLI_NONEMPTY, "--manifest: the cluster's Istio trust domain "
               "(default: cluster.local)"),
    CLI_END,
};

static const cli_spec evaluate_spec = {
    "vouch evaluate", "IMAGE...", 0, CLI_ANY, false, evaluate_flags,
    "Decide offline whether IMAGEs may run under the policy, as Binary "
    "Authorization does at deploy time. Prints the decision (JSON by "
    "default; --format yaml or text). Exit 0 allowed (ALLOW, ALLOW_DRYRUN, "
    "ALLOW_BREAKGLASS), 1 denied, 2 usage or input error.\n\n"
    "With --manifest FILE, decides every image of every Kubernetes object "
    "in FILE as the admission webhook does (GKE's rules: --cluster, the "
    "object's namespace or --namespace, its service account), offline "
    "with --policy, or, without --policy, by asking the server's webhook "
    "(--server, --project, --cluster). Prints one verdict per object. "
    "Exit 0 all allowed, 1 any denied, 2 bad input (FILE:LINE:COL).",
};

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
    cli_out("decision: %s", vouch_outcome_name(vouch_decision_outcome(d)));
    for (size_t i = 0; i < vouch_decision_image_count(d); i++) {
        cli_out("%s: %s: %s", vouch_decision_image(d, i),
                vouch_verdict_name(vouch_decision_verdict(d, i)),
                vouch_decision_reason(d, i));
        for (size_t j = 0; j < vouch_decision_attestor_count(d, i); j++) {
            cli_out("  %s %s: %s",
                    vouch_decision_attestor_satisfied(d, i, j) ? "+" : "-",
                    vouch_decision_attestor_name(d, i, j),
                    vouch_decision_attestor_reason(d, i, j));
        }
    }
}

void evaluate_inputs_free(evaluate_inputs *in)
{
    for (size_t i = 0; in->lists != NULL && i < in->list_count; i++) {
        vouch_attestation_list_free(in->lists[i]);
    }
    for (size_t i = 0; in->attestors != NULL && i < in->attestor_count;
         i++) {
        vouch_attestor_free(in->attestors[i]);
    }
    free(in->atts);
    free(in->lists);
    free(in->attestors);
    vouch_policy_free(in->system_policy);
    vouch_policy_free(in->policy);
}

int evaluate_load_inputs(const evaluate_opts *o, evaluate_inputs *in)
{
    size_t total = 0;

    if (cli_load_policy(o->policy, o->policy, &in->policy) != CLI_OK ||
        (o->system_policy != NULL &&
         cli_load_policy(o->system_policy, o->system_policy,
                         &in->system_policy) != CLI_OK)) {
        return CLI_USAGE;
    }
    in->attestors = calloc(o->attestors.count + 1, sizeof(*in->attestors));
    in->lists = calloc(o->attestations.count + 1, sizeof(*in->lists));
    if (in->attestors == NULL || in->lists == NULL) {
        return cli_fail("out of memory");
    }
    for (; in->attestor_count < o->attestors.count; in->attestor_count++) {
        if (load_attestor(o->attestors.items[in->attestor_count],
                          &in->attestors[in->attestor_count]) != CLI_OK) {
            return CLI_USAGE;
        }
    }
    for (; in->list_count < o->attestations.count; in->list_count++) {
        const char *path = o->attestations.items[in->list_count];

        if (cli_parse_file(path, VOUCH_OCCURRENCES_MAX_BYTES, path,
                           parse_attestations,
                           &in->lists[in->list_count]) != CLI_OK) {
            return CLI_USAGE;
        }
        total += vouch_attestation_list_count(in->lists[in->list_count]);
    }
    in->atts = calloc(total + 1, sizeof(*in->atts));
    if (in->atts == NULL) {
        return cli_fail("out of memory");
    }
    for (size_t i = 0; i < in->list_count; i++) {
        for (size_t j = 0; j < vouch_attestation_list_count(in->lists[i]);
             j++) {
            in->atts[in->att_count++] =
                vouch_attestation_list_get(in->lists[i], j);
        }
    }
    return CLI_OK;
}

/* The decision in --format: text, YAML (the JSON's fields) or JSON. */
static int print_decision(const vouch_decision *d, int format, bool text)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char *out = NULL;
    json_t *doc = NULL;
    int rc = CLI_OK;

    if (text) {
        print_text(d);
        return CLI_OK;
    }
    if (vouch_decision_to_json(d, 2, &out, &err) < 0) {
        return cli_fail_error(&err);
    }
    if (format == VOUCH_FORMAT_YAML) {
        doc = json_loads(out, 0, NULL);
        if (doc == NULL || client_print_as(doc, VOUCH_FORMAT_YAML) != 0) {
            rc = cli_fail("cannot print the decision as YAML");
        }
    } else {
        rc = cli_write_json(out, strlen(out));
        if (rc == CLI_OK) {
            rc = cli_write("\n", 1);
        }
    }
    json_decref(doc);
    vouch_free(out);
    return rc;
}

int cmd_evaluate(int argc, char **argv, cli_globals *g)
{
    evaluate_opts o = {0};
    evaluate_inputs files = {0};
    cli_list images;
    vouch_decision *d = NULL;
    int rc;

    rc = cli_parse(&evaluate_spec, argc, argv, g, &o, &images);
    if (rc != CLI_OK) {
        return cli_parse_exit(rc);
    }
    if (o.manifest != NULL) {
        if (images.count > 0) {
            return cli_fail("give IMAGEs or --manifest FILE, not both");
        }
        return evaluate_manifest(&o, g);
    }
    if (images.count == 0) {
        return cli_fail("IMAGE is required (or --manifest FILE)");
    }
    if (o.policy == NULL) {
        return cli_fail("--policy is required");
    }
    if (o.cluster != NULL || o.namespace_name != NULL ||
        o.trust_domain != NULL) {
        return cli_fail("--cluster, --namespace and --trust-domain go with "
                        "--manifest");
    }
    bool text = false;
    int format = cli_output_format(g, VOUCH_FORMAT_JSON, true, &text);
    if (format < 0) {
        return CLI_USAGE;
    }
    rc = evaluate_load_inputs(&o, &files);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    vouch_evaluation_input in = VOUCH_EVALUATION_INPUT_INIT;
    in.policy = files.policy;
    in.system_policy = files.system_policy;
    in.images = images.items;
    in.image_count = images.count;
    in.attestors = (const vouch_attestor *const *)files.attestors;
    in.attestor_count = files.attestor_count;
    in.attestations = files.atts;
    in.attestation_count = files.att_count;
    in.breakglass = o.breakglass;
    vouch_error err = VOUCH_ERROR_INIT;
    if (vouch_evaluate(&d, &in, &err) < 0) {
        rc = cli_fail_error(&err);
        goto cleanup;
    }
    rc = print_decision(d, format, text);
    if (rc != CLI_OK) {
        goto cleanup;
    }
    if (vouch_decision_outcome(d) != VOUCH_OUTCOME_ALLOW) {
        cli_fail("%s", vouch_decision_message(d));
    }
    rc = vouch_decision_outcome(d) == VOUCH_OUTCOME_DENY ? CLI_DENIED
                                                         : CLI_OK;

cleanup:
    vouch_decision_free(d);
    evaluate_inputs_free(&files);
    return rc;
}
