/*
 * vouch — create, replace and delete of one resource (backend.h), built
 * once from the backend's steps. A write that changes no row is explained
 * by a second look (does the name exist?), so a caller learns whether the
 * resource is absent or carries another etag, in the same words whatever
 * the database.
 */
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "vutil_error.h"

int vouch__store_create(const vouch__store_backend *be, void *conn,
                        const vouch_resource *r, vouch_error *err)
{
    bool inserted;
    int rc;

    rc = be->insert(conn, r, &inserted, "create", err);
    if (rc < 0) {
        return rc;
    }
    if (!inserted) {
        return vouch__store_error(err, VOUCH_ECONFLICT, be->name,
                                  "create: %s already exists", r->name);
    }
    return be->bump(conn, r->kind, err);
}

/* After an UPDATE/DELETE changed nothing: absent, or another etag? */
static int explain_miss(const vouch__store_backend *be, void *conn,
                        const char *kind, const char *name,
                        const char *expected_etag, bool upsert,
                        const char *step, vouch_error *err)
{
    int64_t n = 0;
    int rc;

    rc = be->exists(conn, kind, name, &n, step, err);
    if (rc < 0) {
        return rc;
    }
    if (n > 0 || (upsert && expected_etag != NULL)) {
        return vouch__store_error(err, VOUCH_EABORTED, be->name,
                                  "%s: etag of %s is not %s", step, name,
                                  expected_etag != NULL ? expected_etag
                                                        : "(absent)");
    }
    return vutil_error_set(err, VOUCH_ENOTFOUND, be->name, 0, 0,
                           "%s: %s not found", step, name);
}

int vouch__store_replace(const vouch__store_backend *be, void *conn,
                         const vouch_resource *r, const char *expected_etag,
                         bool upsert, vouch_error *err)
{
    bool changed = false;
    int rc;

    rc = be->update(conn, r, expected_etag, &changed, err);
    if (rc < 0) {
        return rc;
    }
    if (!changed && upsert && expected_etag == NULL) {
        rc = be->insert(conn, r, &changed, "replace (insert)", err);
        if (rc < 0) {
            return rc;
        }
    }
    if (!changed) {
        return explain_miss(be, conn, r->kind, r->name, expected_etag,
                            upsert, "replace", err);
    }
    return be->bump(conn, r->kind, err);
}

int vouch__store_remove(const vouch__store_backend *be, void *conn,
                        const char *kind, const char *name,
                        const char *expected_etag, vouch_error *err)
{
    bool changed = false;
    int rc;

    rc = be->erase(conn, kind, name, expected_etag, &changed, err);
    if (rc < 0) {
        return rc;
    }
    if (!changed) {
        return explain_miss(be, conn, kind, name, expected_etag, false,
                            "delete", err);
    }
    return be->bump(conn, kind, err);
}
