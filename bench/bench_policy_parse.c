/*
 * Benchmark of policy parsing (src/engine/policy.c, doc.c, codec_*.c).
 *
 * Set-up, in memory: one policy with 10,000 admissionWhitelistPatterns
 * (and a default rule), written once as YAML and once as JSON.
 *
 * 1. parse_yaml / parse_json: best-of-N ms of vouch_policy_parse() (load,
 *    validate every field and compile every pattern) of each text.
 * 2. jansson_loadb: in-run reference, best ms of a bare json_loadb() of the
 *    same JSON text (what any JSON reader must do).
 * 3. libfyaml_parse: in-run reference, best ms of a bare libfyaml parse of
 *    the same YAML text into a document (what any YAML reader must do).
 * 4. The ratios parse_json / jansson_loadb and parse_yaml / libfyaml_parse.
 *
 * Output: "bench_policy_parse: <name> <value> <unit>" lines.
 * Run: build/bench/bench_policy_parse (a few seconds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libfyaml.h>

#include "vouch/vouch.h"

#define PATTERNS 10000
#define RUNS 7

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_policy_parse: %s\n", what);
    exit(1);
}

/* Append to a growing buffer; dies on allocation failure. */
typedef struct text {
    char *ptr;
    size_t len;
    size_t cap;
} text;

static void add(text *t, const char *s)
{
    size_t n = strlen(s);

    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap == 0 ? 4096 : t->cap;
        char *grown;

        while (t->len + n + 1 > cap) {
            cap *= 2;
        }
        grown = realloc(t->ptr, cap);
        if (grown == NULL) {
            die("out of memory");
        }
        t->ptr = grown;
        t->cap = cap;
    }
    memcpy(t->ptr + t->len, s, n + 1);
    t->len += n;
}

/* A varied, valid pattern: exact names, '*' and '**' globs, tags. */
static void pattern(char *buf, size_t size, unsigned i)
{
    switch (i % 4) {
    case 0:
        snprintf(buf, size, "us-docker.pkg.dev/proj-%u/repo/app-%u", i % 97,
                 i);
        break;
    case 1:
        snprintf(buf, size, "gcr.io/team-%u/service-%u/*", i % 53, i);
        break;
    case 2:
        snprintf(buf, size, "europe-docker.pkg.dev/p%u/r%u/**", i % 31, i);
        break;
    default:
        snprintf(buf, size, "docker.io/library/image-%u:v%u", i, i % 10);
        break;
    }
}

static void make_docs(text *yaml, text *json)
{
    char pat[256];
    char line[400];
    unsigned i;

    add(yaml, "name: projects/bench/policy\n"
              "globalPolicyEvaluationMode: ENABLE\n"
              "defaultAdmissionRule:\n"
              "  evaluationMode: ALWAYS_DENY\n"
              "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
              "admissionWhitelistPatterns:\n");
    add(json, "{\n  \"name\": \"projects/bench/policy\",\n"
              "  \"globalPolicyEvaluationMode\": \"ENABLE\",\n"
              "  \"defaultAdmissionRule\": {\n"
              "    \"evaluationMode\": \"ALWAYS_DENY\",\n"
              "    \"enforcementMode\": \"ENFORCED_BLOCK_AND_AUDIT_LOG\"\n"
              "  },\n  \"admissionWhitelistPatterns\": [\n");
    for (i = 0; i < PATTERNS; i++) {
        pattern(pat, sizeof(pat), i);
        snprintf(line, sizeof(line), "- namePattern: %s\n", pat);
        add(yaml, line);
        snprintf(line, sizeof(line), "    {\"namePattern\": \"%s\"}%s\n",
                 pat, i + 1 < PATTERNS ? "," : "");
        add(json, line);
    }
    add(json, "  ]\n}\n");
}

static double best_vouch(const text *t, vouch_format format)
{
    double best = 1e9;
    int r;

    for (r = 0; r < RUNS; r++) {
        vouch_policy *policy = NULL;
        vouch_error err = VOUCH_ERROR_INIT;
        double t0 = now();
        double dt;

        if (vouch_policy_parse(&policy, t->ptr, t->len, format, "bench",
                               &err) != 0) {
            fprintf(stderr, "bench_policy_parse: %u:%u %s\n", err.line,
                    err.column, err.message);
            exit(1);
        }
        dt = now() - t0;
        if (vouch_policy_pattern_count(policy) != PATTERNS) {
            die("wrong pattern count");
        }
        vouch_policy_free(policy);
        if (dt < best) {
            best = dt;
        }
    }
    return best * 1e3;
}

static double best_jansson(const text *t)
{
    double best = 1e9;
    int r;

    for (r = 0; r < RUNS; r++) {
        json_error_t jerr;
        double t0 = now();
        json_t *root = json_loadb(t->ptr, t->len, JSON_REJECT_DUPLICATES,
                                  &jerr);
        double dt = now() - t0;

        if (root == NULL) {
            die(jerr.text);
        }
        json_decref(root);
        if (dt < best) {
            best = dt;
        }
    }
    return best * 1e3;
}

static double best_libfyaml(const text *t)
{
    double best = 1e9;
    int r;

    for (r = 0; r < RUNS; r++) {
        struct fy_parse_cfg cfg;
        struct fy_document *fyd;
        double t0;
        double dt;

        memset(&cfg, 0, sizeof(cfg));
        cfg.flags = FYPCF_QUIET;
        t0 = now();
        fyd = fy_document_build_from_string(&cfg, t->ptr, t->len);
        dt = now() - t0;
        if (fyd == NULL) {
            die("libfyaml could not parse the YAML");
        }
        fy_document_destroy(fyd);
        if (dt < best) {
            best = dt;
        }
    }
    return best * 1e3;
}

int main(void)
{
    text yaml = { NULL, 0, 0 };
    text json = { NULL, 0, 0 };
    double parse_yaml;
    double parse_json;
    double jansson;
    double fyaml;

    make_docs(&yaml, &json);
    printf("bench_policy_parse: patterns %u count\n", PATTERNS);
    printf("bench_policy_parse: yaml_bytes %zu bytes\n", yaml.len);
    printf("bench_policy_parse: json_bytes %zu bytes\n", json.len);
    parse_yaml = best_vouch(&yaml, VOUCH_FORMAT_YAML);
    parse_json = best_vouch(&json, VOUCH_FORMAT_JSON);
    jansson = best_jansson(&json);
    fyaml = best_libfyaml(&yaml);
    printf("bench_policy_parse: parse_yaml %.2f ms\n", parse_yaml);
    printf("bench_policy_parse: parse_json %.2f ms\n", parse_json);
    printf("bench_policy_parse: jansson_loadb %.2f ms\n", jansson);
    printf("bench_policy_parse: libfyaml_parse %.2f ms\n", fyaml);
    printf("bench_policy_parse: json_ratio %.2f x\n", parse_json / jansson);
    printf("bench_policy_parse: yaml_ratio %.2f x\n", parse_yaml / fyaml);
    free(yaml.ptr);
    free(json.ptr);
    return 0;
}
