/*
 * vouch service — the unit of work (vsvc_uow.h).
 */
#include "vsvc_uow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/image_ref.h"
#include "vutil_error.h"
#include "vutil_str.h"

#define UOW_SRC "unit of work"

/* One image asked for, and what resolving it gave. */
typedef struct resolution {
    char *image;          /* as asked */
    bool done;            /* resolved (or failed) */
    int rc;               /* 0, or the failure */
    char *pinned;         /* NAME@DIGEST when rc == 0 */
    vouch_error err;      /* the failure */
} resolution;

typedef struct hook {
    vsvc_hook_fn fn;
    vsvc_hook_free_fn free_fn;
    void *payload;
} hook;

struct vsvc_uow {
    vouch_store_conn *conn;
    vouch_registry *registry;
    vouch_audit_sink *sink;
    resolution images[VSVC_UOW_IMAGES];
    size_t image_count;
    hook *hooks;
    size_t hook_count;
    size_t hook_cap;
    json_t *caller;       /* authenticationInfo of the unit's entries */
};

int vsvc_uow_new(vsvc_uow **out, vouch_store_conn *conn,
                 vouch_registry *registry, vouch_audit_sink *sink,
                 vouch_error *err)
{
    vsvc_uow *uow;

    *out = NULL;
    if (vouch_store_in_transaction(conn)) {
        return vutil_error_set(err, VOUCH_EINVAL, UOW_SRC, 0, 0,
                               "a transaction is already open on the "
                               "connection: a unit of work opens its own "
                               "(resolve first, then write)");
    }
    uow = calloc(1, sizeof(*uow));
    if (uow == NULL) {
        return vutil_enomem(err);
    }
    uow->conn = conn;
    uow->registry = registry;
    uow->sink = sink;
    *out = uow;
    return 0;
}

static void hooks_drop(vsvc_uow *uow)
{
    for (size_t i = 0; i < uow->hook_count; i++) {
        if (uow->hooks[i].free_fn != NULL) {
            uow->hooks[i].free_fn(uow->hooks[i].payload);
        }
    }
    uow->hook_count = 0;
}

void vsvc_uow_free(vsvc_uow *uow)
{
    if (uow == NULL) {
        return;
    }
    hooks_drop(uow);
    free(uow->hooks);
    for (size_t i = 0; i < uow->image_count; i++) {
        free(uow->images[i].image);
        free(uow->images[i].pinned);
    }
    json_decref(uow->caller);
    free(uow);
}

static resolution *find_image(vsvc_uow *uow, const char *image, size_t len)
{
    for (size_t i = 0; i < uow->image_count; i++) {
        if (vutil_slice_eq(image, len, uow->images[i].image)) {
            return &uow->images[i];
        }
    }
    return NULL;
}

int vsvc_uow_want(vsvc_uow *uow, const char *image, size_t len,
                  vouch_error *err)
{
    resolution *r;

    if (find_image(uow, image, len) != NULL) {
        return 0;
    }
    if (uow->image_count == VSVC_UOW_IMAGES) {
        return vutil_error_set(err, VOUCH_ETOOBIG, UOW_SRC, 0, 0,
                               "more than %u images in one request",
                               VSVC_UOW_IMAGES);
    }
    r = &uow->images[uow->image_count];
    memset(r, 0, sizeof(*r));
    r->image = vutil_strndup(image, len);
    if (r->image == NULL) {
        return vutil_enomem(err);
    }
    uow->image_count++;
    return 0;
}

/* NAME@DIGEST of `ref`, malloc'd. */
static int pin(const vouch_image_ref *ref, const char *digest, char **out)
{
    *out = vutil_aprintf("%s@%s", vouch_image_ref_name(ref), digest);
    return *out != NULL ? 0 : VOUCH_ENOMEM;
}

/* Resolve one image now: the network I/O of the unit, outside any
 * transaction. A failure is kept as the image's answer. */
static void resolve_now(vsvc_uow *uow, resolution *r)
{
    vouch_image_ref *ref = NULL;
    char digest[VOUCH_REGISTRY_DIGEST_SIZE];
    size_t len = strlen(r->image);

    r->err = (vouch_error)VOUCH_ERROR_INIT;
    r->rc = vouch_image_ref_parse(&ref, r->image, len, &r->err);
    if (r->rc == 0 && uow->registry == NULL) {
        if (vouch_image_ref_digest(ref) == NULL) {
            r->rc = vutil_error_set(&r->err, VOUCH_EIO, NULL, 0, 0,
                                    "no registry is configured to resolve "
                                    "the tag; give the image by digest");
        } else {
            r->rc = pin(ref, vouch_image_ref_digest(ref), &r->pinned);
        }
    } else if (r->rc == 0) {
        r->rc = vouch_registry_resolve(uow->registry, r->image, len,
                                       VOUCH_REGISTRY_DEFAULT, digest,
                                       &r->err);
        if (r->rc == 0) {
            r->rc = pin(ref, digest, &r->pinned);
        }
    }
    if (r->rc == VOUCH_ENOMEM) {
        vutil_enomem(&r->err);
    }
    vouch_image_ref_free(ref);
    r->done = true;
}

int vsvc_uow_resolve(vsvc_uow *uow, const char *image, size_t len,
                     char **out, vouch_error *rerr)
{
    resolution *r = find_image(uow, image, len);
    int rc;

    *out = NULL;
    if (r == NULL) {
        rc = vsvc_uow_want(uow, image, len, rerr);
        return rc < 0 ? rc : VOUCH_ERETRY;
    }
    if (!r->done) {
        return VOUCH_ERETRY;
    }
    if (r->rc < 0) {
        if (rerr != NULL) {
            *rerr = r->err;
        }
        return r->rc;
    }
    *out = vutil_strdup(r->pinned);
    return *out != NULL ? 0 : vutil_enomem(rerr);
}

vouch_store_conn *vsvc_uow_conn(vsvc_uow *uow)
{
    return uow->conn;
}

int vsvc_uow_after_commit(vsvc_uow *uow, vsvc_hook_fn fn,
                          vsvc_hook_free_fn free_fn, void *payload,
                          vouch_error *err)
{
    if (!vutil_grow(&uow->hooks, &uow->hook_cap, uow->hook_count,
                    sizeof(*uow->hooks), 4)) {
        if (free_fn != NULL) {
            free_fn(payload);
        }
        return vutil_enomem(err);
    }
    uow->hooks[uow->hook_count].fn = fn;
    uow->hooks[uow->hook_count].free_fn = free_fn;
    uow->hooks[uow->hook_count].payload = payload;
    uow->hook_count++;
    return 0;
}

/* The post-commit hook of an audit entry: its line in the file sink. */
typedef struct sink_line {
    vouch_audit_sink *sink;
    json_t *entry;
} sink_line;

static void sink_write(void *payload)
{
    sink_line *line = payload;

    /* A line that cannot be written is lost from the file only: the entry
     * is in the store, which entries:list reads. */
    (void)vouch_audit_sink_write(line->sink, line->entry, NULL);
}

static void sink_free(void *payload)
{
    sink_line *line = payload;

    json_decref(line->entry);
    free(line);
}

int vsvc_uow_set_caller(vsvc_uow *uow, const char *email,
                        const char *subject, vouch_error *err)
{
    json_t *info = email != NULL ? json_pack("{s:s}", "principalEmail", email)
                   : subject != NULL
                       ? json_pack("{s:s}", "principalSubject", subject)
                       : json_object();

    if (info == NULL) {
        return vutil_enomem(err);
    }
    json_decref(uow->caller);
    uow->caller = info;
    return 0;
}

/* Every entry says who caused it (docs/audit.md): the unit's caller. */
static int add_caller(vsvc_uow *uow, json_t *entry, vouch_error *err)
{
    json_t *payload = json_object_get(entry, "protoPayload");
    json_t *info;

    if (!json_is_object(payload) ||
        json_object_get(payload, "authenticationInfo") != NULL) {
        return 0;
    }
    info = uow->caller != NULL ? json_deep_copy(uow->caller)
                               : json_object();
    if (info == NULL ||
        json_object_set_new(payload, "authenticationInfo", info) < 0) {
        return vutil_enomem(err);
    }
    return 0;
}

int vsvc_uow_audit(vsvc_uow *uow, const json_t *entry, vouch_error *err)
{
    sink_line *line;
    int rc;

    /* The entry is the caller's, built for this call: completing it in
     * place saves a copy of every entry. */
    rc = add_caller(uow, (json_t *)entry, err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch_audit_store(uow->conn, entry, err);
    if (rc < 0 || uow->sink == NULL) {
        return rc;
    }
    line = calloc(1, sizeof(*line));
    if (line == NULL) {
        return vutil_enomem(err);
    }
    line->sink = uow->sink;
    line->entry = json_incref((json_t *)entry);
    return vsvc_uow_after_commit(uow, sink_write, sink_free, line, err);
}

/* Resolve every image asked for and not yet resolved; true if any. */
static bool resolve_pending(vsvc_uow *uow)
{
    bool any = false;

    for (size_t i = 0; i < uow->image_count; i++) {
        if (!uow->images[i].done) {
            resolve_now(uow, &uow->images[i]);
            any = true;
        }
    }
    return any;
}

static void run_hooks(vsvc_uow *uow)
{
    for (size_t i = 0; i < uow->hook_count; i++) {
        uow->hooks[i].fn(uow->hooks[i].payload);
    }
    hooks_drop(uow);
}

int vsvc_uow_run(vsvc_uow *uow, vsvc_uow_fn fn, void *payload,
                 vouch_error *err)
{
    int rc = 0;

    for (int attempt = 0; attempt < VSVC_UOW_ATTEMPTS; attempt++) {
        (void)resolve_pending(uow);
        hooks_drop(uow);
        rc = vouch_store_begin(uow->conn, true, err);
        if (rc < 0) {
            return rc;
        }
        rc = fn(uow, payload, err);
        if (rc < 0) {
            vouch_store_rollback(uow->conn);
            hooks_drop(uow);
            /* Again only when the function asked for images this round
             * did not have: resolve them now, outside the transaction. */
            if (rc == VOUCH_ERETRY && resolve_pending(uow)) {
                continue;
            }
            if (rc == VOUCH_ERETRY) {
                break;
            }
            return rc;
        }
        rc = vouch_store_commit(uow->conn, err);
        if (rc < 0) {
            hooks_drop(uow);
            return rc;
        }
        run_hooks(uow);
        return 0;
    }
    hooks_drop(uow);
    return vutil_error_set(err, VOUCH_EABORTED, UOW_SRC, 0, 0,
                           "the request needed new images at every "
                           "attempt; send it again");
}
