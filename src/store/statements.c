/*
 * vouch — the store operations whose logic is the same for every backend
 * (backend.h): their arguments, checks and errors are written once here,
 * and only the SQL text comes from the backend (its vouch__store_sql). A
 * write that changes no row is explained by a second look (does the name
 * exist?), so a caller learns whether the resource is absent or carries
 * another etag, in the same words whatever the database.
 */
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "migrations.h"
#include "vutil_error.h"

int vouch__store_bump(const vouch__store_backend *be, void *conn,
                      const char *kind, vouch_error *err)
{
    const char *args[1] = { kind };
    bool changed;

    return be->change(conn, be->sql->bump, 1, args, &changed,
                      "update generation", err);
}

static int insert(const vouch__store_backend *be, void *conn,
                  const vouch_resource *r, bool *inserted, const char *step,
                  vouch_error *err)
{
    const char *args[9];

    vouch__store_row_values(r, args);
    return be->change(conn, be->sql->insert, 9, args, inserted, step, err);
}

int vouch__store_create(const vouch__store_backend *be, void *conn,
                        const vouch_resource *r, vouch_error *err)
{
    bool inserted;
    int rc;

    rc = insert(be, conn, r, &inserted, "create", err);
    if (rc < 0) {
        return rc;
    }
    if (!inserted) {
        return vouch__store_error(err, VOUCH_ECONFLICT, be->name,
                                  "create: %s already exists", r->name);
    }
    return vouch__store_bump(be, conn, r->kind, err);
}

/* After an UPDATE/DELETE changed nothing: absent, or another etag? */
static int explain_miss(const vouch__store_backend *be, void *conn,
                        const char *kind, const char *name,
                        const char *expected_etag, bool upsert,
                        const char *step, vouch_error *err)
{
    const char *args[2] = { kind, name };
    int64_t n = 0;
    int rc;

    rc = be->int_query(conn, be->sql->exists, 2, args, &n, step, err);
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
    const char *args[8] = {
        r->kind, r->name, r->json, r->etag, r->update_time, r->attr1,
        r->attr2, expected_etag
    };
    bool changed = false;
    int rc;

    rc = be->change(conn, expected_etag != NULL ? be->sql->update_etag
                                                : be->sql->update,
                    expected_etag != NULL ? 8 : 7, args, &changed,
                    "replace", err);
    if (rc < 0) {
        return rc;
    }
    if (!changed && upsert && expected_etag == NULL) {
        rc = insert(be, conn, r, &changed, "replace (insert)", err);
        if (rc < 0) {
            return rc;
        }
    }
    if (!changed) {
        return explain_miss(be, conn, r->kind, r->name, expected_etag,
                            upsert, "replace", err);
    }
    return vouch__store_bump(be, conn, r->kind, err);
}

int vouch__store_remove(const vouch__store_backend *be, void *conn,
                        const char *kind, const char *name,
                        const char *expected_etag, vouch_error *err)
{
    const char *args[3] = { kind, name, expected_etag };
    bool changed = false;
    int rc;

    rc = be->change(conn, expected_etag != NULL ? be->sql->erase_etag
                                                : be->sql->erase,
                    expected_etag != NULL ? 3 : 2, args, &changed, "delete",
                    err);
    if (rc < 0) {
        return rc;
    }
    if (!changed) {
        return explain_miss(be, conn, kind, name, expected_etag, false,
                            "delete", err);
    }
    return vouch__store_bump(be, conn, kind, err);
}

int vouch__store_count(const vouch__store_backend *be, void *conn,
                       const char *kind, const char *attr1, uint64_t *out,
                       vouch_error *err)
{
    const char *args[2] = { kind, attr1 };
    int64_t n = 0;
    int rc;

    rc = be->int_query(conn, attr1 != NULL ? be->sql->count_attr1
                                           : be->sql->count,
                       attr1 != NULL ? 2 : 1, args, &n, "count", err);
    *out = (uint64_t)n;
    return rc;
}

int vouch__store_generation(const vouch__store_backend *be, void *conn,
                            const char *kind, uint64_t *out,
                            vouch_error *err)
{
    const char *args[1] = { kind };
    int64_t n = 0;
    int rc;

    if (be->generation != NULL) {
        return be->generation(conn, kind, out, err);
    }
    rc = be->int_query(conn, be->sql->generation, 1, args, &n,
                       "read generation", err);
    *out = (uint64_t)n;
    return rc;
}

int vouch__store_schema_version(const vouch__store_backend *be, void *conn,
                                int *out, vouch_error *err)
{
    int64_t v = 0;
    int rc;

    rc = be->int_query(conn, be->sql->schema_version, 0, NULL, &v,
                       "read schema_version", err);
    *out = (int)v;
    return rc;
}

int vouch__store_migrations_pending(const vouch__store_backend *be,
                                    void *conn, const char *source,
                                    size_t *first, vouch_error *err)
{
    const int last =
        vouch__store_migrations[VOUCH__STORE_MIGRATION_COUNT - 1].version;
    int current = 0;
    size_t i = 0;
    int rc;

    *first = VOUCH__STORE_MIGRATION_COUNT;
    rc = vouch__store_schema_version(be, conn, &current, err);
    if (rc < 0) {
        return rc;
    }
    if (current > last) {
        return vutil_error_set(err, VOUCH_EIO, source, 0, 0,
                               "migrate: database schema version %d is "
                               "newer than this vouch knows (%d)", current,
                               last);
    }
    /* The list is in ascending order of version. */
    while (i < VOUCH__STORE_MIGRATION_COUNT &&
           vouch__store_migrations[i].version <= current) {
        i++;
    }
    *first = i;
    return 0;
}
