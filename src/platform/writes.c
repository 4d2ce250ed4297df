/*
 * vouch run platform — the writes services and jobs share: create and
 * update (names, body, then one unit of work that finds the stored one
 * and saves), and delete (the children with it, an operation for it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform_internal.h"

/* A write's request and what its unit works on. */
typedef struct write_unit {
    const plat_write *how;
    const plat_write_call *call;
    plat_names n;
    json_t *req;
} write_unit;

/* Start `w` for one call; `what` names the id in a malformed id's
 * message (a create's is its id parameter). */
static int write_unit_init(write_unit *w, const plat_write *how,
                           const plat_write_call *call, const char *what,
                           vouch_error *err)
{
    memset(w, 0, sizeof(*w));
    w->how = how;
    w->call = call;
    return plat_names_set(&w->n, call->project, call->location,
                          how->collection, call->id, what, err);
}

static int save_unit(vouch_platform_ctx *ctx, void *payload, json_t **out,
                     vouch_error *err)
{
    write_unit *w = payload;
    json_t *old = NULL;
    int rc;

    if (w->call->create) {
        rc = plat_absent(ctx->conn, w->how->kind, w->n.name, w->how->what,
                         err);
    } else {
        rc = plat_load(ctx->conn, w->how->kind, w->n.name, &old, err);
        if (rc == VOUCH_ENOTFOUND && w->call->allow_missing) {
            rc = 0;   /* an update that creates */
        }
    }
    if (rc == 0) {
        rc = w->how->save(ctx, &w->n, w->req, old, w->call->validate_only,
                          out, err);
    }
    json_decref(old);
    return rc;
}

int plat_write_run(vouch_platform_ctx *ctx, const plat_write *how,
                   const plat_write_call *call, json_t **out,
                   vouch_error *err)
{
    write_unit w;
    int rc;

    *out = NULL;
    rc = write_unit_init(&w, how, call,
                         call->create ? how->id_param : how->what, err);
    if (rc == 0) {
        rc = plat_parse_body(call->body, call->len, false, &w.req, err);
    }
    if (rc == 0) {
        const json_t *images = how->prefetch
            ? json_object_get(json_object_get(w.req, "template"),
                              "containers")
            : NULL;

        rc = plat_unit_run(ctx, images, save_unit, &w, out, err);
    }
    json_decref(w.req);
    return rc;
}

int plat_put_named(vouch_store_conn *conn, const char *kind,
                   const char *what, const plat_names *n, json_t *obj,
                   bool create, vouch_error *err)
{
    int rc = plat_put(conn, kind, n->name, n->parent, obj, create, err);

    if (rc == VOUCH_ECONFLICT) {
        rc = vutil_error_set(err, VOUCH_ECONFLICT, NULL, 0, 0,
                             "%s %s already exists", what, n->name);
    }
    return rc;
}

/* Delete every resource of `kind` under `parent`. */
int plat_delete_children(vouch_store_conn *conn, const char *kind,
                         const char *parent, vouch_error *err)
{
    for (;;) {
        vouch_resource_query q;
        vouch_resource_page page;
        int rc;

        memset(&q, 0, sizeof(q));
        memset(&page, 0, sizeof(page));
        q.kind = kind;
        q.parent = parent;
        q.page_size = VSVC_PAGE_MAX;
        rc = vouch_store_list(conn, &q, &page, err);
        if (rc < 0) {
            return rc;
        }
        if (page.count == 0) {
            vouch_resource_page_clear(&page);
            return 0;
        }
        for (size_t i = 0; i < page.count && rc == 0; i++) {
            rc = vouch_store_delete(conn, kind, page.items[i].name, NULL,
                                    err);
        }
        vouch_resource_page_clear(&page);
        if (rc < 0) {
            return rc;
        }
    }
}

static int delete_unit(vouch_platform_ctx *ctx, void *payload, json_t **out,
                       vouch_error *err)
{
    write_unit *w = payload;
    json_t *old = NULL;
    char now[VUTIL_RFC3339_SIZE];
    int rc;

    rc = plat_load(ctx->conn, w->how->kind, w->n.name, &old, err);
    if (rc == 0) {
        rc = plat_etag_check(w->call->etag, old, w->how->what, w->n.name,
                             err);
    }
    if (rc == 0 && w->how->before_delete != NULL) {
        rc = w->how->before_delete(ctx, w->n.name, err);
    }
    if (rc == 0) {
        rc = plat_delete_children(ctx->conn, w->how->child_kind, w->n.name,
                                  err);
    }
    if (rc == 0) {
        rc = vouch_store_delete(ctx->conn, w->how->kind, w->n.name, NULL,
                                err);
    }
    if (rc == 0) {
        rc = vsvc__iam_forget(ctx->conn, w->n.name, err);
    }
    if (rc == 0) {
        vutil_now_rfc3339(now, sizeof(now));
        json_object_set_new(old, "deleteTime", json_string(now));
        rc = plat_operation(ctx->conn, w->n.project, w->n.location,
                            w->how->op_type, old, true, VOUCH_OK, NULL, true,
                            out, err);
    }
    json_decref(old);
    return rc;
}

int plat_delete_run(vouch_platform_ctx *ctx, const plat_write *how,
                    const plat_write_call *call, json_t **out,
                    vouch_error *err)
{
    write_unit w;

    *out = NULL;
    int rc = write_unit_init(&w, how, call, how->what, err);
    return rc < 0 ? rc : plat_unit_run(ctx, NULL, delete_unit, &w, out, err);
}
