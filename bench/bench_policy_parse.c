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
 * 5. parse_json_positioned: best ms of the same JSON read the way every
 *    JSON document was read before jansson fed the models directly (a
 *    jansson syntax check, then libfyaml's position-keeping tree, then the
 *    model reader over it), and json_direct_speedup = that / parse_json.
 *    vouch_policy_parse() still takes that path, but only to place the
 *    error of a document that fails validation.
 * 6. The same for one signed attestation occurrence (the body of
 *    validateAttestationOccurrence and of occurrence creation): best-of-N
 *    mean us of
 *    vouch_attestation_parse() (occurrence_json), of the old path
 *    (occurrence_positioned), of vouch_attestation_from_json_value() on a
 *    json_t the caller already holds (occurrence_value), and the ratios
 *    occurrence_direct_speedup = positioned / json and
 *    occurrence_value_speedup = positioned / value.
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

#include "vouch/jansson.h"
#include "vouch/vouch.h"

#include "readers.h"

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

/* The path every JSON document took before: libfyaml's tree for all. */
static double best_positioned(const text *t)
{
    double best = 1e9;
    int r;

    for (r = 0; r < RUNS; r++) {
        vouch_policy *policy = NULL;
        vouch_error err = VOUCH_ERROR_INIT;
        vouch__doc doc;
        double t0 = now();
        double dt;

        if (vouch__doc_load(&doc, t->ptr, t->len, VOUCH_FORMAT_JSON,
                            VOUCH_POLICY_MAX_BYTES, "bench", &err) != 0 ||
            vouch__policy_reader(&doc, &policy, &err) != 0) {
            die(err.message);
        }
        vouch__doc_close(&doc);
        dt = now() - t0;
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

#define OCC_IMAGE \
    "us-docker.pkg.dev/bench-proj/repo/app@sha256:" \
    "527584eb3a3ee27717e6cced437e86c83cee6c6be183a8d109fbddf9b875faf7"
#define OCC_BATCH 3000

/* A Grafeas v1 occurrence as gcloud writes one: the gcloud payload for
 * OCC_IMAGE, one 72-byte ECDSA-sized signature with a PKIX key id. */
static char *make_occurrence(void)
{
    unsigned char sig[72];
    char *payload = NULL;
    size_t payload_len = 0;
    json_t *root;
    char *out;
    size_t i;

    for (i = 0; i < sizeof(sig); i++) {
        sig[i] = (unsigned char)(i * 37 + 11);
    }
    if (vouch_signature_payload_create(OCC_IMAGE, strlen(OCC_IMAGE),
                                       &payload, &payload_len, NULL) != 0) {
        die("payload");
    }
    root = json_pack(
        "{s:s, s:s, s:s, s:{s:s, s:[{s:s, s:s}]}}",
        "resourceUri", OCC_IMAGE,
        "noteName", "projects/bench-proj/notes/built",
        "kind", "ATTESTATION",
        "attestation",
        "serializedPayload", "PLACEHOLDER",
        "signatures",
        "publicKeyId",
        "ni:///sha-256;7BW_mqV1a9JRp2HoZJbNmWvx-hr2iwzAqWbnKjZ0wsg",
        "signature", "PLACEHOLDER");
    if (root == NULL) {
        die("json_pack");
    }
    {
        /* base64 through OpenSSL would do; a small encoder keeps the
         * bench free of another dependency. */
        static const char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            "0123456789+/";
        const unsigned char *src[2] = {(const unsigned char *)payload, sig};
        size_t lens[2] = {payload_len, sizeof(sig)};
        json_t *targets[2];
        int k;

        targets[0] = json_object_get(root, "attestation");
        targets[1] = json_array_get(json_object_get(targets[0],
                                                    "signatures"), 0);
        for (k = 0; k < 2; k++) {
            size_t n = lens[k];
            char *b64 = malloc((n + 2) / 3 * 4 + 1);
            size_t o = 0;

            if (b64 == NULL) {
                die("out of memory");
            }
            for (i = 0; i < n; i += 3) {
                unsigned v = (unsigned)src[k][i] << 16;

                v |= i + 1 < n ? (unsigned)src[k][i + 1] << 8 : 0;
                v |= i + 2 < n ? (unsigned)src[k][i + 2] : 0;
                b64[o++] = alphabet[(v >> 18) & 63];
                b64[o++] = alphabet[(v >> 12) & 63];
                b64[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
                b64[o++] = i + 2 < n ? alphabet[v & 63] : '=';
            }
            b64[o] = '\0';
            json_object_set_new(targets[k], k == 0 ? "serializedPayload"
                                                   : "signature",
                                json_string(b64));
            free(b64);
        }
    }
    out = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    vouch_free(payload);
    if (out == NULL) {
        die("json_dumps");
    }
    return out;
}

/* One read of `text` (0), through the old path (1), or of `value` (2). */
static void read_occurrence(const char *text, size_t len, json_t *value,
                            int how)
{
    vouch_attestation *att = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    if (how == 0) {
        rc = vouch_attestation_parse(&att, text, len, VOUCH_FORMAT_JSON,
                                     "bench", &err);
    } else if (how == 1) {
        vouch__doc doc;

        rc = vouch__doc_load(&doc, text, len, VOUCH_FORMAT_JSON,
                             VOUCH_OCCURRENCE_MAX_BYTES, "bench", &err);
        if (rc == 0) {
            rc = vouch__occurrence_reader(&doc, &att, &err);
            vouch__doc_close(&doc);
        }
    } else {
        rc = vouch_attestation_from_json_value(&att, value, "bench", &err);
    }
    if (rc != 0) {
        die(err.message);
    }
    vouch_attestation_free(att);
}

/* Best-of-RUNS mean us of one occurrence read (see read_occurrence). */
static double occurrence_us(const char *text, int how)
{
    size_t len = strlen(text);
    json_t *value = json_loads(text, 0, NULL);
    double best = 1e9;
    int r;
    int i;

    if (value == NULL) {
        die("occurrence JSON");
    }
    for (r = 0; r < RUNS; r++) {
        double t0 = now();
        double dt;

        for (i = 0; i < OCC_BATCH; i++) {
            read_occurrence(text, len, value, how);
        }
        dt = (now() - t0) * 1e6 / OCC_BATCH;
        if (dt < best) {
            best = dt;
        }
    }
    json_decref(value);
    return best;
}

int main(void)
{
    text yaml = { NULL, 0, 0 };
    text json = { NULL, 0, 0 };
    double parse_yaml;
    double parse_json;
    double jansson;
    double fyaml;
    double positioned;
    double occ[3];
    char *occurrence;

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
    positioned = best_positioned(&json);
    printf("bench_policy_parse: parse_json_positioned %.2f ms\n",
           positioned);
    printf("bench_policy_parse: json_direct_speedup %.2f x\n",
           positioned / parse_json);

    occurrence = make_occurrence();
    occ[0] = occurrence_us(occurrence, 0);
    occ[1] = occurrence_us(occurrence, 1);
    occ[2] = occurrence_us(occurrence, 2);
    printf("bench_policy_parse: occurrence_bytes %zu bytes\n",
           strlen(occurrence));
    printf("bench_policy_parse: occurrence_json %.2f us\n", occ[0]);
    printf("bench_policy_parse: occurrence_positioned %.2f us\n", occ[1]);
    printf("bench_policy_parse: occurrence_value %.2f us\n", occ[2]);
    printf("bench_policy_parse: occurrence_direct_speedup %.2f x\n",
           occ[1] / occ[0]);
    printf("bench_policy_parse: occurrence_value_speedup %.2f x\n",
           occ[1] / occ[2]);
    free(occurrence);
    free(yaml.ptr);
    free(json.ptr);
    return 0;
}
