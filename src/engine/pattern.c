/*
 * Exempt-image patterns (admissionWhitelistPatterns[].namePattern) and
 * compiled pattern sets. Rules: pattern.h and docs/patterns.md.
 *
 * A compiled set holds
 * - a radix tree (path-compressed byte trie) over the normalised literal
 *   parts of the name patterns, each node carrying the lowest pattern index
 *   of each kind ending there: exact (gcr.io/p/app), star (the literal
 *   "gcr.io/p/" followed by '*') and star-star (followed by "**").
 *   Children are stored contiguously and sorted by their first byte,
 *   so a match walks the name once, with a binary search per node: time
 *   proportional to the name's length, independent of the number of
 *   patterns. A node exists only where a
 *   literal ends or two literals part, so there are at most 2n+1 nodes;
 *   labels point into the literal text.
 * - a hash table (open addressing) of the exact patterns that carry a tag
 *   or digest, keyed by the normalised "name:tag", "name@digest" or
 *   "name:tag@digest".
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/pattern.h"
#include "image_ref_internal.h"
#include "pattern_internal.h"

enum {
    KIND_EXACT = 0,
    KIND_STAR = 1,
    KIND_STARSTAR = 2,
    KIND_TAGGED = 3
};

/* Longest key: name, ':' tag, '@' "sha512:" 128 hex. */
#define KEY_MAX (VOUCH__IMAGE_NAME_MAX + 1 + 128 + 1 + 7 + 128)

typedef struct pnode {
    uint32_t label_off;    /* in set->text */
    uint32_t label_len;
    uint32_t child_first;  /* index in set->nodes; children contiguous */
    uint32_t child_count;
    int32_t idx[3];        /* lowest index per KIND_*, -1 for none */
} pnode;

typedef struct hentry {
    uint64_t hash;
    uint32_t key_off;      /* in set->text */
    uint32_t key_len;
    int32_t index;         /* -1: empty slot */
} hentry;

struct vouch_pattern_set {
    size_t count;
    char *text;
    pnode *nodes;
    size_t node_count;
    hentry *table;         /* NULL when no pattern has a tag or digest */
    size_t table_mask;
};

/* One pattern's normalised text while compiling. */
typedef struct lit {
    const char *ptr;       /* into the text arena, set once it is final */
    uint32_t off;
    uint32_t len;
    int32_t kind;
    int32_t index;
} lit;

typedef struct builder {
    vutil_buf text;        /* at most UINT32_MAX bytes, as lit offsets */
    lit *lits;
    size_t lit_count;
    size_t tagged_count;
} builder;

/*
 * Check one pattern and scan its literal part. On success `*kind` is one of
 * KIND_* and `parts` describes the literal (the whole pattern when exact).
 */
static int analyse(const char *data, size_t len, int *kind,
                   vouch__ref_parts *parts, vouch_error *err)
{
    size_t s;
    size_t k;
    size_t end;
    int rc;

    if (len > VOUCH_PATTERN_MAX_BYTES) {
        return vouch__position_fail(err, VOUCH_ETOOBIG,
                                    VOUCH_PATTERN_MAX_BYTES,
                                    "a pattern may be at most %u bytes long",
                                    VOUCH_PATTERN_MAX_BYTES);
    }
    if (len == 0 || data == NULL) {
        return vouch__position_fail(err, VOUCH_EINVAL, 0,
                                    "empty pattern (expected registry/path, "
                                    "optionally ending in '*' or '**')");
    }
    s = vouch__image_ref_scheme_len(data, len);
    k = s;
    while (k < len && data[k] != '*') {
        k++;
    }
    if (k == len) {
        rc = vouch__image_ref_scan(data, len, 0, parts, err);
        if (rc == 0) {
            *kind = (parts->tag != NULL || parts->digest != NULL)
                        ? KIND_TAGGED : KIND_EXACT;
        }
    } else {
        if (memchr(data + s, '/', k - s) == NULL) {
            return vouch__position_fail(err, VOUCH_EINVAL, k,
                                        "a wildcard may only follow the "
                                        "registry part, e.g. "
                                        "gcr.io/project/*");
        }
        end = k;
        while (end < len && data[end] == '*') {
            end++;
        }
        if (end < len) {
            return vouch__position_fail(err, VOUCH_EINVAL, k,
                                        "'*' may only end a pattern, as '*' "
                                        "(within one path segment) or '**' "
                                        "(any depth)");
        }
        if (end - k > 2) {
            return vouch__position_fail(err, VOUCH_EINVAL, k + 2,
                                        "'%.*s' is not a wildcard; end the "
                                        "pattern with '*' (within one path "
                                        "segment) or '**' (any depth)",
                                        (int)(end - k > 8 ? 8 : end - k),
                                        data + k);
        }
        rc = vouch__image_ref_scan(data, k, VOUCH__REF_PREFIX, parts, err);
        if (rc == 0) {
            *kind = end - k == 1 ? KIND_STAR : KIND_STARSTAR;
        }
    }
    if (rc == VOUCH_EPARSE) {
        /* The text is a pattern, not a document: a broken rule. */
        rc = VOUCH_EINVAL;
        if (err != NULL) {
            err->code = VOUCH_EINVAL;
        }
    }
    return rc;
}

VOUCH_API int vouch_pattern_validate(const char *data, size_t len,
                                     vouch_error *err)
{
    vouch__ref_parts parts;
    int kind;

    return analyse(data, len, &kind, &parts, err);
}

/* Append the normalised literal or key of one pattern to the builder. */
static int builder_add(builder *b, const vouch__ref_parts *parts, int kind,
                       size_t index)
{
    size_t need = parts->name_len + 1;
    lit *l;
    char *p;

    if (kind == KIND_TAGGED) {
        need += 1 + parts->tag_len + 1 + parts->digest_len;
    }
    if (!vutil_buf_reserve(&b->text, need)) {
        return b->text.too_big ? VOUCH_ETOOBIG : VOUCH_ENOMEM;
    }
    p = b->text.data + b->text.len;
    vouch__image_ref_write_name(parts, p);
    p += parts->name_len;
    if (kind == KIND_TAGGED) {
        if (parts->tag != NULL) {
            *p++ = ':';
            memcpy(p, parts->tag, parts->tag_len);
            p += parts->tag_len;
        }
        if (parts->digest != NULL) {
            *p++ = '@';
            memcpy(p, parts->digest, parts->digest_len);
            p += parts->digest_len;
        }
        b->tagged_count++;
    }
    l = &b->lits[b->lit_count++];
    l->ptr = NULL;
    l->off = (uint32_t)b->text.len;
    l->len = (uint32_t)(p - (b->text.data + b->text.len));
    l->kind = kind;
    l->index = (int32_t)index;
    b->text.len += l->len;
    return 0;
}

static int lit_compare(const void *a, const void *b)
{
    const lit *x = a;
    const lit *y = b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = n > 0 ? memcmp(x->ptr, y->ptr, n) : 0;

    if (c != 0) {
        return c;
    }
    if (x->len != y->len) {
        return x->len < y->len ? -1 : 1;
    }
    if (x->kind != y->kind) {
        return x->kind < y->kind ? -1 : 1;
    }
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* A distinct literal with the lowest index of each kind ending on it. */
typedef struct ulit {
    const char *ptr;
    uint32_t off;
    uint32_t len;
    int32_t idx[3];
} ulit;

/*
 * Fill node `id`, whose label ends at byte `depth` of every literal in
 * u[lo, hi) (which all share those bytes), and its subtree.
 */
static void build_node(vouch_pattern_set *set, const ulit *u, size_t lo,
                       size_t hi, uint32_t depth, size_t id)
{
    size_t i = lo;
    size_t j;
    size_t groups = 0;
    size_t first;
    size_t c = 0;

    if (i < hi && u[i].len == depth) {
        memcpy(set->nodes[id].idx, u[i].idx, sizeof(u[i].idx));
        i++;
    }
    for (j = i; j < hi;) {
        char byte = u[j].ptr[depth];

        while (j < hi && u[j].ptr[depth] == byte) {
            j++;
        }
        groups++;
    }
    first = set->node_count;
    set->node_count += groups;
    set->nodes[id].child_first = (uint32_t)first;
    set->nodes[id].child_count = (uint32_t)groups;
    for (j = i; j < hi;) {
        size_t k = j;
        char byte = u[j].ptr[depth];
        const ulit *a;
        const ulit *z;
        uint32_t lcp = depth + 1;
        pnode *node = &set->nodes[first + c];

        while (k < hi && u[k].ptr[depth] == byte) {
            k++;
        }
        a = &u[j];
        z = &u[k - 1];
        while (lcp < a->len && lcp < z->len && a->ptr[lcp] == z->ptr[lcp]) {
            lcp++;
        }
        node->label_off = a->off + depth;
        node->label_len = lcp - depth;
        node->child_first = 0;
        node->child_count = 0;
        node->idx[0] = node->idx[1] = node->idx[2] = -1;
        build_node(set, u, j, k, lcp, first + c);
        c++;
        j = k;
    }
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int build_table(vouch_pattern_set *set, const builder *b)
{
    size_t cap = 8;
    size_t i;

    while (cap < 2 * b->tagged_count) {
        cap *= 2;
    }
    set->table = malloc(cap * sizeof(*set->table));
    if (set->table == NULL) {
        return VOUCH_ENOMEM;
    }
    set->table_mask = cap - 1;
    for (i = 0; i < cap; i++) {
        set->table[i].index = -1;
    }
    for (i = 0; i < b->lit_count; i++) {
        const lit *l = &b->lits[i];
        uint64_t h;
        size_t slot;

        if (l->kind != KIND_TAGGED) {
            continue;
        }
        h = hash_bytes(set->text + l->off, l->len);
        slot = (size_t)h & set->table_mask;
        for (;;) {
            hentry *e = &set->table[slot];

            if (e->index < 0) {
                e->hash = h;
                e->key_off = l->off;
                e->key_len = l->len;
                e->index = l->index;
                break;
            }
            if (e->hash == h && e->key_len == l->len &&
                memcmp(set->text + e->key_off, set->text + l->off,
                       l->len) == 0) {
                if (l->index < e->index) {
                    e->index = l->index;
                }
                break;
            }
            slot = (slot + 1) & set->table_mask;
        }
    }
    return 0;
}

static int build_trie(vouch_pattern_set *set, builder *b)
{
    ulit *u = NULL;
    size_t n = 0;
    size_t m = 0;
    size_t i;
    int rc = 0;

    /* Name literals first, sorted; tagged keys are not in the trie. */
    for (i = 0; i < b->lit_count; i++) {
        b->lits[i].ptr = set->text + b->lits[i].off;
        if (b->lits[i].kind != KIND_TAGGED) {
            b->lits[n++] = b->lits[i];
        }
    }
    qsort(b->lits, n, sizeof(*b->lits), lit_compare);
    u = malloc((n > 0 ? n : 1) * sizeof(*u));
    set->nodes = malloc((2 * n + 1) * sizeof(*set->nodes));
    if (u == NULL || set->nodes == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    for (i = 0; i < n; i++) {
        const lit *l = &b->lits[i];

        if (m == 0 || u[m - 1].len != l->len ||
            memcmp(u[m - 1].ptr, l->ptr, l->len) != 0) {
            u[m].ptr = l->ptr;
            u[m].off = l->off;
            u[m].len = l->len;
            u[m].idx[0] = u[m].idx[1] = u[m].idx[2] = -1;
            m++;
        }
        /* Sorted by index within a kind: the first one is the lowest. */
        if (u[m - 1].idx[l->kind] < 0) {
            u[m - 1].idx[l->kind] = l->index;
        }
    }
    memset(&set->nodes[0], 0, sizeof(set->nodes[0]));
    set->nodes[0].idx[0] = set->nodes[0].idx[1] = set->nodes[0].idx[2] = -1;
    set->node_count = 1;
    build_node(set, u, 0, m, 0, 0);

cleanup:
    free(u);
    return rc;
}

VOUCH_API int vouch_pattern_set_new(vouch_pattern_set **out,
                                    const vouch_slice *patterns, size_t count,
                                    vouch_error *err)
{
    vouch_pattern_set *set = NULL;
    builder b = {VUTIL_BUF_INIT(UINT32_MAX), NULL, 0, 0};
    size_t i;
    int rc = 0;

    *out = NULL;
    if (count > VOUCH_POLICY_MAX_PATTERNS) {
        return vouch__error_set(err, VOUCH_ETOOBIG, NULL, 0, 0,
                                "%zu patterns, more than the %u allowed",
                                count, VOUCH_POLICY_MAX_PATTERNS);
    }
    if (count > 0 && patterns == NULL) {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "no patterns given for a count of %zu",
                                count);
    }
    set = calloc(1, sizeof(*set));
    b.lits = malloc((count > 0 ? count : 1) * sizeof(*b.lits));
    if (set == NULL || b.lits == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    set->count = count;
    for (i = 0; i < count; i++) {
        vouch__ref_parts parts;
        int kind;

        rc = analyse(patterns[i].ptr, patterns[i].len, &kind, &parts, err);
        if (rc < 0) {
            vouch__error_prefix(err, "pattern %zu", i);
            goto cleanup;
        }
        rc = builder_add(&b, &parts, kind, i);
        if (rc == VOUCH_ETOOBIG) {
            vouch__error_set(err, rc, NULL, 0, 0, "pattern %zu: the "
                             "patterns are too large to compile together",
                             i);
            goto cleanup;
        }
        if (rc < 0) {
            goto cleanup;
        }
    }
    set->text = b.text.data;
    b.text.data = NULL;
    if (b.tagged_count > 0) {
        rc = build_table(set, &b);
        if (rc < 0) {
            goto cleanup;
        }
    }
    /* Reuses b.lits, so it comes after the table. */
    rc = build_trie(set, &b);
    if (rc < 0) {
        goto cleanup;
    }

    *out = set;
    set = NULL;

cleanup:
    if (rc == VOUCH_ENOMEM) {
        vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                         "out of memory compiling %zu patterns", count);
    }
    vouch_pattern_set_free(set);
    free(b.text.data);
    free(b.lits);
    return rc;
}

VOUCH_API void vouch_pattern_set_free(vouch_pattern_set *set)
{
    if (set == NULL) {
        return;
    }
    free(set->text);
    free(set->nodes);
    free(set->table);
    free(set);
}

static void keep_lowest(long *best, int32_t index)
{
    if (index >= 0 && (*best < 0 || (long)index < *best)) {
        *best = index;
    }
}

VOUCH_API long vouch_pattern_set_match(const vouch_pattern_set *set,
                                       const char *name, size_t len)
{
    const pnode *node;
    size_t after_slash = 0;
    size_t d = 0;
    size_t i;
    long best = -1;

    if (set == NULL || set->nodes == NULL || (name == NULL && len > 0)) {
        return -1;
    }
    for (i = len; i > 0; i--) {
        if (name[i - 1] == '/') {
            after_slash = i;
            break;
        }
    }
    node = &set->nodes[0];
    for (;;) {
        const pnode *kids;
        size_t lo;
        size_t hi;
        const pnode *next = NULL;

        keep_lowest(&best, node->idx[KIND_STARSTAR]);
        if (d >= after_slash) {
            keep_lowest(&best, node->idx[KIND_STAR]);
        }
        if (d == len) {
            keep_lowest(&best, node->idx[KIND_EXACT]);
            break;
        }
        kids = &set->nodes[node->child_first];
        lo = 0;
        hi = node->child_count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            unsigned char c =
                (unsigned char)set->text[kids[mid].label_off];

            if (c == (unsigned char)name[d]) {
                next = &kids[mid];
                break;
            }
            if (c < (unsigned char)name[d]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (next == NULL || next->label_len > len - d ||
            memcmp(set->text + next->label_off, name + d,
                   next->label_len) != 0) {
            break;
        }
        d += next->label_len;
        node = next;
    }
    return best;
}

static void lookup_key(const vouch_pattern_set *set, const char *key,
                       size_t len, long *best)
{
    uint64_t h = hash_bytes(key, len);
    size_t slot = (size_t)h & set->table_mask;

    for (;;) {
        const hentry *e = &set->table[slot];

        if (e->index < 0) {
            return;
        }
        if (e->hash == h && e->key_len == len &&
            memcmp(set->text + e->key_off, key, len) == 0) {
            keep_lowest(best, e->index);
            return;
        }
        slot = (slot + 1) & set->table_mask;
    }
}

long vouch__pattern_set_match_parts(const vouch_pattern_set *set,
                                    const char *name, size_t name_len,
                                    const char *tag, size_t tag_len,
                                    const char *digest, size_t digest_len)
{
    char key[KEY_MAX + 1];
    long best;

    if (set == NULL) {
        return -1;
    }
    best = vouch_pattern_set_match(set, name, name_len);
    if (set->table == NULL) {
        return best;
    }
    if (tag == NULL) {
        tag_len = 0;
    }
    if (digest == NULL) {
        digest_len = 0;
    }
    if (name_len + 1 + tag_len + 1 + digest_len > KEY_MAX) {
        return best;    /* longer than any key a pattern can have */
    }
    memcpy(key, name, name_len);
    if (tag != NULL) {
        key[name_len] = ':';
        memcpy(key + name_len + 1, tag, tag_len);
        lookup_key(set, key, name_len + 1 + tag_len, &best);
    }
    if (digest != NULL) {
        key[name_len] = '@';
        memcpy(key + name_len + 1, digest, digest_len);
        lookup_key(set, key, name_len + 1 + digest_len, &best);
    }
    if (tag != NULL && digest != NULL) {
        size_t n = name_len;

        key[n++] = ':';
        memcpy(key + n, tag, tag_len);
        n += tag_len;
        key[n++] = '@';
        memcpy(key + n, digest, digest_len);
        n += digest_len;
        lookup_key(set, key, n, &best);
    }
    return best;
}

VOUCH_API long vouch_pattern_set_match_ref(const vouch_pattern_set *set,
                                           const vouch_image_ref *ref)
{
    const char *tag;
    const char *digest;

    if (set == NULL || ref == NULL) {
        return -1;
    }
    tag = vouch_image_ref_tag(ref);
    digest = vouch_image_ref_digest(ref);
    return vouch__pattern_set_match_parts(
        set, vouch_image_ref_name(ref), vouch_image_ref_name_len(ref), tag,
        tag != NULL ? strlen(tag) : 0, digest,
        digest != NULL ? strlen(digest) : 0);
}

VOUCH_API size_t vouch_pattern_set_count(const vouch_pattern_set *set)
{
    return set != NULL ? set->count : 0;
}
