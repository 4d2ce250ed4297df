/*
 * Tests of src/service against real SQLite stores.
 *
 * Sections:
 *   compiled objects   vsvc_compiled_policy, vsvc_compiled_attestor: one
 *                      compile per stored version, shared; replaced when
 *                      the version changes, also by another process on
 *                      the same database; nothing kept from a
 *                      transaction that rolls back; the verify cache
 *                      borrowed without a second stamp read only for an
 *                      attestor exactly at its stamp
 *   unit of work       vsvc_uow: images resolved between attempts, never
 *                      inside one; hooks only after a commit
 *   names              vsvc_name, vsvc_parent
 *   filtered lists     vsvc_note_occurrence_list, vsvc_occurrence_list
 *                      with a suffix, vsvc_list_matching: full pages
 *                      through a predicate, tokens bound to their list
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "store.h"
#include "vsvc.h"
#include "vsvc_compiled.h"
#include "vsvc_names.h"
#include "vsvc_uow.h"
#include "vutil_error.h"

#define PROJECT "p1"
#define POLICY_NAME "projects/" PROJECT "/policy"
#define DIGEST "sha256:" \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

typedef struct fixture {
    char dir[64];
    char url[128];
    vouch_store *store;
    vouch_store *replica;    /* a second "process" on the same file */
    vsvc_compiled *cache;
    vsvc_compiled *replica_cache;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    vouch_error err = VOUCH_ERROR_INIT;

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/vouch-service-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->url, sizeof(f->url), "sqlite:%s/store.db", f->dir);
    assert_int_equal(vouch_store_open(&f->store, f->url, 2, &err), 0);
    assert_int_equal(vouch_store_open(&f->replica, f->url, 2, &err), 0);
    assert_int_equal(vsvc_compiled_new(&f->cache, 0, &err), 0);
    assert_int_equal(vsvc_compiled_new(&f->replica_cache, 0, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];

    vsvc_compiled_free(f->cache);
    vsvc_compiled_free(f->replica_cache);
    vouch_store_close(f->store);
    vouch_store_close(f->replica);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Store the project's policy with `mode` as the default evaluation mode,
 * through `conn` (in its open transaction, if any). */
static void put_policy(vouch_store_conn *conn, const char *mode,
                       const char *etag)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r;
    char json[512];

    snprintf(json, sizeof(json),
             "{\"name\":\"" POLICY_NAME "\","
             "\"globalPolicyEvaluationMode\":\"DISABLE\","
             "\"defaultAdmissionRule\":{\"evaluationMode\":\"%s\","
             "\"enforcementMode\":\"ENFORCED_BLOCK_AND_AUDIT_LOG\"}}",
             mode);
    memset(&r, 0, sizeof(r));
    r.kind = VSVC_KIND_POLICY;
    r.name = POLICY_NAME;
    r.parent = "projects/" PROJECT;
    r.json = json;
    r.etag = (char *)etag;
    r.create_time = "2026-01-01T00:00:00.000000Z";
    r.update_time = r.create_time;
    if (vouch_store_replace(conn, &r, NULL, true, &err) != 0) {
        fail_msg("store: %s", err.message);
    }
}

static vouch_evaluation_mode mode_of(const vsvc_object *o)
{
    return vouch_admission_rule_evaluation_mode(
        vouch_policy_default_rule(vsvc_object_policy(o)));
}

static vsvc_object *policy(vsvc_compiled *cache, vouch_store_conn *conn)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vsvc_object *o = NULL;

    if (vsvc_compiled_policy(cache, conn, PROJECT, &o, NULL, &err) != 0) {
        fail_msg("policy: %s", err.message);
    }
    return o;
}

/* ---- compiled objects ---- */

static void test_service_compiled_policy_versions(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_store_conn *conn = NULL;
    vsvc_object *a;
    vsvc_object *b;
    uint64_t hits = 0;
    uint64_t misses = 0;

    assert_int_equal(vouch_store_acquire(f->store, &conn, &err), 0);
    /* never written: the default policy */
    a = policy(f->cache, conn);
    assert_false(vsvc_object_stored(a));
    assert_int_equal(mode_of(a), VOUCH_ALWAYS_ALLOW);
    vsvc_object_release(a);

    put_policy(conn, "ALWAYS_DENY", "e1");
    a = policy(f->cache, conn);
    b = policy(f->cache, conn);
    assert_true(vsvc_object_stored(a));
    assert_int_equal(mode_of(a), VOUCH_ALWAYS_DENY);
    assert_ptr_equal(a, b);          /* compiled once, shared */
    vsvc_object_release(b);

    put_policy(conn, "ALWAYS_ALLOW", "e2");
    b = policy(f->cache, conn);
    assert_ptr_not_equal(a, b);      /* a new version: compiled again */
    assert_int_equal(mode_of(b), VOUCH_ALWAYS_ALLOW);
    /* the old object stays valid while it is held */
    assert_int_equal(mode_of(a), VOUCH_ALWAYS_DENY);
    vsvc_object_release(a);
    vsvc_object_release(b);
    vsvc_compiled_stats(f->cache, &hits, &misses);
    assert_int_equal(hits, 1);
    assert_int_equal(misses, 3);
    vouch_store_release(conn);
}

static void test_service_compiled_sees_the_other_process(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_store_conn *mine = NULL;
    vouch_store_conn *theirs = NULL;
    vsvc_object *o;

    assert_int_equal(vouch_store_acquire(f->store, &mine, &err), 0);
    assert_int_equal(vouch_store_acquire(f->replica, &theirs, &err), 0);
    put_policy(mine, "ALWAYS_DENY", "e1");
    o = policy(f->replica_cache, theirs);
    assert_int_equal(mode_of(o), VOUCH_ALWAYS_DENY);
    vsvc_object_release(o);
    /* the other process changes it: never served stale here */
    put_policy(mine, "ALWAYS_ALLOW", "e2");
    o = policy(f->replica_cache, theirs);
    assert_int_equal(mode_of(o), VOUCH_ALWAYS_ALLOW);
    vsvc_object_release(o);
    vouch_store_release(mine);
    vouch_store_release(theirs);
}

static void test_service_compiled_keeps_nothing_rolled_back(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_store_conn *conn = NULL;
    vsvc_object *o;

    assert_int_equal(vouch_store_acquire(f->store, &conn, &err), 0);
    put_policy(conn, "ALWAYS_ALLOW", "e1");
    assert_int_equal(vouch_store_begin(conn, true, &err), 0);
    put_policy(conn, "ALWAYS_DENY", "e2");
    o = policy(f->cache, conn);          /* the transaction's own view */
    assert_int_equal(mode_of(o), VOUCH_ALWAYS_DENY);
    vsvc_object_release(o);
    vouch_store_rollback(conn);
    /* The change never happened. The next write reuses the generation it
     * was read at: its compiled object must not be served for it. */
    put_policy(conn, "ALWAYS_ALLOW", "e3");
    o = policy(f->cache, conn);
    assert_int_equal(mode_of(o), VOUCH_ALWAYS_ALLOW);
    vsvc_object_release(o);
    vouch_store_release(conn);
}

static void test_service_compiled_attestor_absent(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_store_conn *conn = NULL;
    vsvc_object *o = (vsvc_object *)1;

    assert_int_equal(vouch_store_acquire(f->store, &conn, &err), 0);
    assert_int_equal(vsvc_compiled_attestor(f->cache, conn,
                                            "projects/p1/attestors/a", &o,
                                            NULL, &err),
                     VOUCH_ENOTFOUND);
    assert_null(o);
    assert_string_equal(err.message,
                        "attestor projects/p1/attestors/a not found");
    vouch_store_release(conn);
}

/* Store attestor projects/p1/attestors/a (no keys) with `etag`. */
static void put_attestor(vouch_store_conn *conn, const char *etag)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_resource r;

    memset(&r, 0, sizeof(r));
    r.kind = VSVC_KIND_ATTESTOR;
    r.name = "projects/" PROJECT "/attestors/a";
    r.parent = "projects/" PROJECT;
    r.json = "{\"name\":\"projects/" PROJECT "/attestors/a\","
             "\"userOwnedGrafeasNote\":{\"noteReference\":"
             "\"projects/" PROJECT "/notes/n\"}}";
    r.etag = (char *)etag;
    r.create_time = "2026-01-01T00:00:00.000000Z";
    r.update_time = r.create_time;
    if (vouch_store_replace(conn, &r, NULL, true, &err) != 0) {
        fail_msg("store: %s", err.message);
    }
}

/* The attestor, its stamp and whether it is exactly at that stamp. */
static uint64_t attestor_at(vsvc_compiled *cache, vouch_store_conn *conn,
                            bool *exact)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vsvc_object *o = NULL;
    uint64_t stamp = 0;

    if (vsvc_compiled_attestor_exact(cache, conn,
                                     "projects/" PROJECT "/attestors/a", &o,
                                     &stamp, exact, &err) != 0) {
        fail_msg("attestor: %s", err.message);
    }
    vsvc_object_release(o);
    return stamp;
}

/* The verify cache is used without a second stamp read only for an
 * attestor exactly at the stamp it is kept for. */
static void test_service_verify_cache_kept_for_exact(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_store_conn *mine = NULL;
    vouch_store_conn *theirs = NULL;
    vouch_verify_cache *vc = NULL;
    uint64_t stamp;
    uint64_t moved;
    bool exact = false;

    assert_int_equal(vouch_store_acquire(f->store, &mine, &err), 0);
    assert_int_equal(vouch_store_acquire(f->replica, &theirs, &err), 0);
    put_attestor(mine, "e1");
    stamp = attestor_at(f->cache, mine, &exact);   /* read */
    assert_true(exact);
    /* no cache kept for it yet */
    assert_false(vsvc_verify_cache_acquire_kept(f->cache, stamp, &vc));
    assert_null(vc);
    vsvc_verify_cache_acquire(f->cache, mine, &stamp, &vc);
    assert_non_null(vc);
    vsvc_verify_cache_release(f->cache);
    assert_int_equal(attestor_at(f->cache, mine, &exact), stamp);   /* hit */
    assert_true(exact);
    assert_true(vsvc_verify_cache_acquire_kept(f->cache, stamp, &vc));
    assert_non_null(vc);
    vsvc_verify_cache_release(f->cache);
    /* the other process changes the attestors: the cache is not the one
     * of the new stamp */
    put_attestor(theirs, "e2");
    moved = attestor_at(f->cache, mine, &exact);
    assert_true(exact);
    assert_true(moved != stamp);
    assert_false(vsvc_verify_cache_acquire_kept(f->cache, moved, &vc));
    assert_null(vc);
    /* a transaction's own writes are never exact */
    assert_int_equal(vouch_store_begin(mine, true, &err), 0);
    put_attestor(mine, "e3");
    (void)attestor_at(f->cache, mine, &exact);
    assert_false(exact);
    vouch_store_rollback(mine);
    vouch_store_release(mine);
    vouch_store_release(theirs);
}

/* ---- unit of work ---- */

typedef struct attempts {
    int calls;
    int rc[4];
    char *pinned[4];
    vouch_error rerr[4];
    bool in_tx[4];
    int hooks;
} attempts;

static int resolve_fn(vsvc_uow *uow, void *payload, vouch_error *err)
{
    static const char pinned[] = "reg.example/app@" DIGEST;
    static const char tag[] = "reg.example/app:1.0";
    attempts *a = payload;
    int i = a->calls++;
    int rc;

    (void)err;
    a->in_tx[i] = vouch_store_in_transaction(vsvc_uow_conn(uow));
    a->rc[i] = vsvc_uow_resolve(uow, pinned, strlen(pinned), &a->pinned[i],
                                &a->rerr[i]);
    /* ask for every image before answering VOUCH_ERETRY */
    free(a->pinned[3]);
    a->pinned[3] = NULL;
    rc = vsvc_uow_resolve(uow, tag, strlen(tag), &a->pinned[3], &a->rerr[3]);
    return a->rc[i] == VOUCH_ERETRY || rc == VOUCH_ERETRY ? VOUCH_ERETRY : 0;
}

static void test_service_uow_resolves_between_attempts(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_store_conn *conn = NULL;
    vsvc_uow *uow = NULL;
    attempts a;

    memset(&a, 0, sizeof(a));
    assert_int_equal(vouch_store_acquire(f->store, &conn, &err), 0);
    /* no registry: a digest passes as it is, a tag cannot be resolved */
    assert_int_equal(vsvc_uow_new(&uow, conn, NULL, NULL, &err), 0);
    assert_int_equal(vsvc_uow_run(uow, resolve_fn, &a, &err), 0);
    assert_int_equal(a.calls, 2);       /* asked, resolved, again */
    assert_true(a.in_tx[0]);
    assert_int_equal(a.rc[0], VOUCH_ERETRY);
    assert_int_equal(a.rc[1], 0);
    assert_string_equal(a.pinned[1], "reg.example/app@" DIGEST);
    assert_non_null(strstr(a.rerr[3].message, "no registry is configured"));
    assert_false(vouch_store_in_transaction(conn));
    for (int i = 0; i < 4; i++) {
        free(a.pinned[i]);
    }
    vsvc_uow_free(uow);
    vouch_store_release(conn);
}

static void count_hook(void *payload)
{
    ((attempts *)payload)->hooks++;
}

static int hook_fn(vsvc_uow *uow, void *payload, vouch_error *err)
{
    attempts *a = payload;
    int rc = vsvc_uow_after_commit(uow, count_hook, NULL, a, err);

    if (rc == 0 && a->calls++ == 0) {
        /* the first run fails: its hook must never run */
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0, "refused");
    }
    return rc;
}

static void test_service_uow_hooks_after_commit_only(void **state)
{
    fixture *f = *state;
    vouch_error err = VOUCH_ERROR_INIT;
    vouch_store_conn *conn = NULL;
    vsvc_uow *uow = NULL;
    attempts a;

    memset(&a, 0, sizeof(a));
    assert_int_equal(vouch_store_acquire(f->store, &conn, &err), 0);
    assert_int_equal(vsvc_uow_new(&uow, conn, NULL, NULL, &err), 0);
    assert_int_equal(vsvc_uow_run(uow, hook_fn, &a, &err), VOUCH_EINVAL);
    assert_int_equal(a.hooks, 0);
    assert_int_equal(vsvc_uow_run(uow, hook_fn, &a, &err), 0);
    assert_int_equal(a.hooks, 1);
    vsvc_uow_free(uow);
    vouch_store_release(conn);
}

/* ---- names ---- */

static void test_service_names(void **state)
{
    const char *ids[] = { "p", "us-east1", "web", "web-00001-abc" };
    vouch_error err = VOUCH_ERROR_INIT;
    char buf[VSVC_NAME_MAX];

    (void)state;
    assert_int_equal(vsvc_name(buf, sizeof(buf), VSVC_REVISION, ids, 4,
                               &err),
                     0);
    assert_string_equal(buf, "projects/p/locations/us-east1/services/web/"
                             "revisions/web-00001-abc");
    assert_int_equal(vsvc_parent(buf, sizeof(buf), VSVC_REVISION, ids, 4,
                                 &err),
                     0);
    assert_string_equal(buf, "projects/p/locations/us-east1/services/web");
    assert_int_equal(vsvc_name(buf, sizeof(buf), VSVC_ATTESTOR, ids, 1,
                               &err),
                     VOUCH_EINVAL);
    assert_int_equal(vsvc_name(buf, 10, VSVC_ATTESTOR, ids, 2, &err),
                     VOUCH_EINVAL);
    assert_string_equal(buf, "");
    vsvc_policy_name(buf, sizeof(buf), "p");
    assert_string_equal(buf, "projects/p/policy");
    assert_string_equal(vsvc_short_id("projects/p/notes/n"), "n");
    assert_string_equal(vsvc_resource_uri_normal("https://x/y@sha256:1"),
                        "x/y@sha256:1");
    assert_int_equal(vsvc_kind_ids(VSVC_ORGPOLICY), 1);
}

/* ---- filtered lists ---- */

/* Store an occurrence of projects/p1/notes/n in `project` about
 * gcr.io/x/app@sha256:<64 hex digits of `n`>. */
static void put_occurrence(vsvc_session *s, const char *project, int n)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char path[512];
    char uri[128];
    json_error_t jerr;
    json_t *occ;
    char *body;
    char *out = NULL;

    snprintf(path, sizeof(path), "%s/attestations/a-good.json",
             getenv("VOUCH_TEST_DATA"));
    occ = json_load_file(path, 0, &jerr);
    assert_non_null(occ);
    snprintf(uri, sizeof(uri), "gcr.io/x/app@sha256:%064x", n);
    json_object_del(occ, "name");
    json_object_set_new(occ, "noteName", json_string("projects/p1/notes/n"));
    json_object_set_new(occ, "resourceUri", json_string(uri));
    body = json_dumps(occ, JSON_COMPACT);
    assert_int_equal(vsvc_occurrence_create(s, project, body, strlen(body),
                                            &out, &err),
                     0);
    free(out);
    free(body);
    json_decref(occ);
}

/* Every item of a list read page by page (`size` each); returns the
 * number of items, checking that no page is short but the last. */
static size_t count_pages(vsvc_session *s, const char *project,
                          const char *note, const vsvc_occurrence_filter *f,
                          size_t size)
{
    vouch_error err = VOUCH_ERROR_INIT;
    vsvc_page_request page = { size, NULL };
    char *token = NULL;
    size_t total = 0;

    do {
        vsvc_page got;
        int rc = note != NULL
                     ? vsvc_note_occurrence_list(s, project, note, f, &page,
                                                 &got, &err)
                     : vsvc_occurrence_list(s, project, f, &page, &got,
                                            &err);
        assert_int_equal(rc, 0);
        total += json_array_size(got.items);
        free(token);
        token = got.next_page_token != NULL ? strdup(got.next_page_token)
                                            : NULL;
        if (token != NULL) {
            assert_int_equal(json_array_size(got.items), size);
        }
        page.token = token;
        vsvc_page_clear(&got);
    } while (token != NULL);
    return total;
}

static int name_in_p2(const char *name, const json_t *item, void *payload,
                      vouch_error *err)
{
    (void)item;
    (void)payload;
    (void)err;
    return strstr(name, "projects/p2/") == name;
}

static void test_service_filtered_lists(void **state)
{
    fixture *f = *state;
    vsvc_options opts = VSVC_OPTIONS_INIT;
    vouch_error err = VOUCH_ERROR_INIT;
    vsvc_occurrence_filter suffix = { NULL, NULL, NULL, NULL };
    vsvc_page_request page = { 1, NULL };
    vsvc_page got;
    vsvc *svc = NULL;
    vsvc_session *s = NULL;
    char *out = NULL;

    opts.store = f->store;
    assert_int_equal(vsvc_new(&svc, &opts, &err), 0);
    assert_int_equal(vsvc_session_open(svc, &s, &err), 0);
    assert_int_equal(vsvc_note_create(s, "p1", "n", "{}", 2, &out, &err), 0);
    free(out);
    /* Six occurrences of p1's note: 0..3 in p1, 4..5 in p2; the digests
     * of the odd ones end in 1, of the even ones in 0. */
    for (int i = 0; i < 6; i++) {
        put_occurrence(s, i < 4 ? "p1" : "p2", (i << 4) | (i % 2));
    }
    /* The note's occurrences come from every project, in full pages. */
    assert_int_equal(count_pages(s, "p1", "n", NULL, 4), 6);
    assert_int_equal(count_pages(s, "p1", "n", NULL, 1), 6);
    /* has_suffix: pages stay full although the store cannot index it. */
    suffix.resource_uri_suffix = "1";
    assert_int_equal(count_pages(s, "p1", "n", &suffix, 1), 3);
    assert_int_equal(count_pages(s, "p1", NULL, &suffix, 1), 2);
    assert_int_equal(count_pages(s, "p2", NULL, &suffix, 1), 1);
    suffix.resource_uri_suffix = "0";
    assert_int_equal(count_pages(s, "p1", "n", &suffix, 2), 3);
    /* A note filter naming another note selects nothing. */
    suffix.note_name = "projects/p1/notes/other";
    assert_int_equal(count_pages(s, "p1", "n", &suffix, 5), 0);
    suffix.note_name = NULL;
    /* A missing note is NOT_FOUND; a token no list made is refused. */
    assert_int_equal(vsvc_note_occurrence_list(s, "p1", "missing", NULL,
                                               &page, &got, &err),
                     VOUCH_ENOTFOUND);
    page.token = "x";
    assert_int_equal(vsvc_occurrence_list(s, "p1", &suffix, &page, &got,
                                          &err),
                     VOUCH_EINVAL);
    assert_string_equal(err.source, "pageToken");
    /* A generic predicate, and names under a prefix. */
    page.token = NULL;
    page.size = 10;
    assert_int_equal(vsvc_list_matching(s, VSVC_OCCURRENCE, NULL, NULL,
                                        name_in_p2, NULL, &page, &got,
                                        &err),
                     0);
    assert_int_equal(json_array_size(got.items), 2);
    vsvc_page_clear(&got);
    assert_int_equal(vsvc_list_matching(s, VSVC_OCCURRENCE, NULL,
                                        "projects/p1/", NULL, NULL, &page,
                                        &got, &err),
                     0);
    assert_int_equal(json_array_size(got.items), 4);
    vsvc_page_clear(&got);
    vsvc_session_close(s);
    vsvc_free(svc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_service_compiled_policy_versions,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_service_compiled_sees_the_other_process, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_service_compiled_keeps_nothing_rolled_back, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_service_verify_cache_kept_for_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_compiled_attestor_absent,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_service_uow_resolves_between_attempts, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_service_uow_hooks_after_commit_only, setup, teardown),
        cmocka_unit_test(test_service_names),
        cmocka_unit_test_setup_teardown(test_service_filtered_lists, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
