/*
 * Benchmark of compiled exempt-pattern sets (src/engine/pattern.c).
 *
 * 1. Compile 100,000 realistic patterns (exact names, trailing '*' and
 *    '**', over several registries).
 * 2. ns per vouch_pattern_set_match() of a fixed list of image names
 *    against sets of 10, 1,000 and 100,000 of those patterns.
 * 3. In-run reference: ns per match of a naive linear scan (one prefix
 *    compare per pattern, docs/patterns.md's rule) over the 1,000-pattern
 *    set.
 *
 * Output: one line per figure, "bench_pattern: <name> <value> <unit>",
 * then the ratios match(100k)/match(10) and linear(1k)/trie(1k).
 * Run: build/bench/bench_pattern (about 5 s).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vouch/pattern.h"

#define N_PATTERNS 100000u
#define MIN_SECONDS 0.4

static const char *const registries[] = {
    "gcr.io",
    "us-docker.pkg.dev",
    "europe-west1-docker.pkg.dev",
    "us-central1-docker.pkg.dev",
    "quay.io",
    "ghcr.io",
    "registry.example.com:5000",
    "docker.io",
};

#define N_REGISTRIES (sizeof(registries) / sizeof(registries[0]))

static volatile long sink;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Pattern i, already in normalised form (the naive scan compares bytes). */
static char *make_pattern(unsigned i)
{
    char buf[160];
    unsigned r = i * 2654435761u;
    const char *reg = registries[(r >> 7) % N_REGISTRIES];

    switch (i % 4) {
    case 0:
        snprintf(buf, sizeof(buf), "%s/project-%u/services/service-%u", reg,
                 i / 4, r % 1000);
        break;
    case 1:
        snprintf(buf, sizeof(buf), "%s/project-%u/team-%u/*", reg, i / 4,
                 r % 100);
        break;
    case 2:
        snprintf(buf, sizeof(buf), "%s/project-%u/repository-%u/**", reg,
                 i / 4, r % 100);
        break;
    default:
        snprintf(buf, sizeof(buf), "%s/project-%u/build/app-%u*", reg,
                 i / 4, r % 1000);
        break;
    }
    return strdup(buf);
}

/* Image names to match: hits on early and late patterns, and misses. */
static char **make_names(char **pats, size_t *count)
{
    static const unsigned picks[] = { 0, 1, 2, 3, 4, 7, 9, 400, 999,
                                      5001, 50002, 99999 };
    static const char *const fixed[] = {
        "docker.io/library/nginx",
        "evil.io/gcr.io/project-1/team-5/x",
        "gcr.io/project-0/services/service-0/sub",
        "us-docker.pkg.dev/unknown-project/repo/image",
    };
    size_t n = sizeof(picks) / sizeof(picks[0]);
    size_t total = n + sizeof(fixed) / sizeof(fixed[0]);
    char **names = calloc(total, sizeof(*names));
    size_t i;

    if (names == NULL) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        char buf[200];
        const char *p = pats[picks[i]];
        size_t len = strlen(p);

        while (len > 0 && p[len - 1] == '*') {
            len--;
        }
        snprintf(buf, sizeof(buf), "%.*s%s", (int)len, p,
                 len == strlen(p) ? "" : "image/x");
        names[i] = strdup(buf);
    }
    for (i = 0; i < total - n; i++) {
        names[n + i] = strdup(fixed[i]);
    }
    *count = total;
    return names;
}

static long naive_match(char **pats, size_t n, const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const char *p = pats[i];
        size_t pl = strlen(p);

        if (pl >= 2 && p[pl - 1] == '*' && p[pl - 2] == '*') {
            if (len >= pl - 2 && memcmp(name, p, pl - 2) == 0) {
                return (long)i;
            }
        } else if (pl >= 1 && p[pl - 1] == '*') {
            if (len >= pl - 1 && memcmp(name, p, pl - 1) == 0 &&
                memchr(name + pl - 1, '/', len - (pl - 1)) == NULL) {
                return (long)i;
            }
        } else if (len == pl && memcmp(name, p, pl) == 0) {
            return (long)i;
        }
    }
    return -1;
}

/* ns per match of the trie over `names`. */
static double time_trie(const vouch_pattern_set *set, char **names,
                        const size_t *lens, size_t n)
{
    double start = now();
    double elapsed;
    size_t reps = 0;
    size_t i;
    long acc = 0;

    do {
        for (i = 0; i < n; i++) {
            acc += vouch_pattern_set_match(set, names[i], lens[i]);
        }
        reps++;
        elapsed = now() - start;
    } while (elapsed < MIN_SECONDS);
    sink = acc;
    return elapsed * 1e9 / (double)(reps * n);
}

static double time_linear(char **pats, size_t count, char **names,
                          const size_t *lens, size_t n)
{
    double start = now();
    double elapsed;
    size_t reps = 0;
    size_t i;
    long acc = 0;

    do {
        for (i = 0; i < n; i++) {
            acc += naive_match(pats, count, names[i], lens[i]);
        }
        reps++;
        elapsed = now() - start;
    } while (elapsed < MIN_SECONDS);
    sink = acc;
    return elapsed * 1e9 / (double)(reps * n);
}

static vouch_pattern_set *compile(const vouch_slice *slices, size_t n)
{
    vouch_pattern_set *set = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (vouch_pattern_set_new(&set, slices, n, &err) != 0) {
        fprintf(stderr, "bench_pattern: %s\n", err.message);
        exit(1);
    }
    return set;
}

int main(void)
{
    static const size_t sizes[] = { 10, 1000, N_PATTERNS };
    char **pats = calloc(N_PATTERNS, sizeof(*pats));
    vouch_slice *slices = calloc(N_PATTERNS, sizeof(*slices));
    vouch_pattern_set *sets[3] = { NULL, NULL, NULL };
    double ns[3];
    double linear;
    double start;
    char **names = NULL;
    size_t *lens = NULL;
    size_t n_names = 0;
    size_t bytes = 0;
    size_t i;
    int rc = 1;

    if (pats == NULL || slices == NULL) {
        goto cleanup;
    }
    for (i = 0; i < N_PATTERNS; i++) {
        pats[i] = make_pattern((unsigned)i);
        if (pats[i] == NULL) {
            goto cleanup;
        }
        slices[i].ptr = pats[i];
        slices[i].len = strlen(pats[i]);
        bytes += slices[i].len;
    }
    names = make_names(pats, &n_names);
    lens = calloc(n_names, sizeof(*lens));
    if (names == NULL || lens == NULL) {
        goto cleanup;
    }
    for (i = 0; i < n_names; i++) {
        if (names[i] == NULL) {
            goto cleanup;
        }
        lens[i] = strlen(names[i]);
    }

    start = now();
    sets[2] = compile(slices, N_PATTERNS);
    printf("bench_pattern: compile_100k %.1f ms\n", (now() - start) * 1e3);
    printf("bench_pattern: pattern_bytes_100k %zu bytes\n", bytes);
    sets[0] = compile(slices, sizes[0]);
    sets[1] = compile(slices, sizes[1]);

    /* The sets must agree with the reference before they are timed. */
    for (i = 0; i < n_names; i++) {
        size_t s;

        for (s = 0; s < 3; s++) {
            long want = naive_match(pats, sizes[s], names[i], lens[i]);
            long got = vouch_pattern_set_match(sets[s], names[i], lens[i]);

            if (want != got) {
                fprintf(stderr, "bench_pattern: '%s' in %zu: %ld != %ld\n",
                        names[i], sizes[s], got, want);
                goto cleanup;
            }
        }
    }

    ns[0] = time_trie(sets[0], names, lens, n_names);
    ns[1] = time_trie(sets[1], names, lens, n_names);
    ns[2] = time_trie(sets[2], names, lens, n_names);
    linear = time_linear(pats, sizes[1], names, lens, n_names);
    printf("bench_pattern: match_10 %.1f ns\n", ns[0]);
    printf("bench_pattern: match_1k %.1f ns\n", ns[1]);
    printf("bench_pattern: match_100k %.1f ns\n", ns[2]);
    printf("bench_pattern: linear_1k %.1f ns\n", linear);
    printf("bench_pattern: ratio_match_100k_over_match_10 %.2f x\n",
           ns[2] / ns[0]);
    printf("bench_pattern: ratio_linear_1k_over_trie_1k %.1f x\n",
           linear / ns[1]);
    rc = 0;

cleanup:
    for (i = 0; i < 3; i++) {
        vouch_pattern_set_free(sets[i]);
    }
    if (names != NULL) {
        for (i = 0; i < n_names; i++) {
            free(names[i]);
        }
    }
    free(names);
    free(lens);
    if (pats != NULL) {
        for (i = 0; i < N_PATTERNS; i++) {
            free(pats[i]);
        }
    }
    free(pats);
    free(slices);
    return rc;
}
