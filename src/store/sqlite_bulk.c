/*
 * vouch — the SQLite backend's bulk insert (backend.h, bulk_create): one
 * INSERT prepared once and stepped for every row, inside a savepoint of
 * the open write transaction, so a failure half-way undoes exactly the
 * rows of this call. One transaction for the whole batch is what makes
 * it fast: an INSERT per transaction pays one fsync each (docs/store.md,
 * Figures).
 */
#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "sqlite_internal.h"

#define SQ_SRC "sqlite"

/* ON CONFLICT DO NOTHING plus sqlite3_changes() tells a taken name from
 * any other failure without reading extended result codes. */
#define SQ_BULK_INSERT \
    "INSERT INTO resources (kind, name, parent, json, etag, create_time," \
    " update_time, attr1, attr2) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8," \
    " ?9) ON CONFLICT (kind, name) DO NOTHING"

static int bind_row(sqlite3_stmt *st, const vouch_resource *r)
{
    const char *v[9];
    int i;
    int src = SQLITE_OK;

    vouch__store_row_values(r, v);
    for (i = 0; i < 9 && src == SQLITE_OK; i++) {
        src = v[i] == NULL ? sqlite3_bind_null(st, i + 1)
                           : sqlite3_bind_text(st, i + 1, v[i], -1,
                                               SQLITE_STATIC);
    }
    return src;
}

static int insert_rows(void *vc, sqlite3 *db, const vouch_resource *items,
                       size_t count, vouch_error *err)
{
    sqlite3_stmt *st = NULL;
    size_t i;
    int src;
    int rc = 0;

    src = sqlite3_prepare_v2(db, SQ_BULK_INSERT, -1, &st, NULL);
    if (src != SQLITE_OK) {
        return vouch__sq_fail(vc, src, "bulk_create: prepare", err);
    }
    for (i = 0; i < count && rc == 0; i++) {
        src = bind_row(st, &items[i]);
        if (src == SQLITE_OK) {
            src = sqlite3_step(st);
        }
        if (src != SQLITE_DONE) {
            rc = vouch__sq_fail(vc, src, "bulk_create", err);
        } else if (sqlite3_changes(db) == 0) {
            rc = vouch__store_error(err, VOUCH_ECONFLICT, SQ_SRC,
                                    "bulk_create: items[%zu]: %s already "
                                    "exists", i, items[i].name);
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int vouch__sq_bulk_create(void *vc, const vouch_resource *items,
                          size_t count, const char *const *kinds,
                          size_t nkinds, vouch_error *err)
{
    sqlite3 *db = vouch__sq_handle(vc);
    size_t k;
    int src;
    int rc;

    src = sqlite3_exec(db, "SAVEPOINT vouch_bulk", NULL, NULL, NULL);
    if (src != SQLITE_OK) {
        return vouch__sq_fail(vc, src, "bulk_create: SAVEPOINT", err);
    }
    rc = insert_rows(vc, db, items, count, err);
    for (k = 0; k < nkinds && rc == 0; k++) {
        rc = vouch__store_bump(&vouch__store_sqlite, vc, kinds[k],
                               err);
    }
    if (rc < 0) {
        /* Undo this call's rows only; keep the caller's transaction. */
        sqlite3_exec(db, "ROLLBACK TO vouch_bulk", NULL, NULL, NULL);
    }
    src = sqlite3_exec(db, "RELEASE vouch_bulk", NULL, NULL, NULL);
    if (rc == 0 && src != SQLITE_OK) {
        rc = vouch__sq_fail(vc, src, "bulk_create: RELEASE", err);
    }
    return rc;
}
