/*
 * vouch — the SQLite store's generations, remembered between commits
 * (sqlite_stamp.h).
 *
 * Every request that validates or decides reads a generation first (the
 * change stamp of the compiled-object cache), and under SQLite that read
 * was a read transaction: two lock calls on the -shm file and a query,
 * a tenth of a warm validate. Whether anything was committed since the
 * last read is told for the price of a memory read by the WAL-index
 * header, which every process on the file maps (docs/store.md, "Change
 * stamps under SQLite"): SQLite rewrites it at each commit, and its
 * change counter (iChange) moves with every write transaction.
 */
#include "sqlite_stamp.h"

#include <string.h>

/* The WAL-index is mapped in regions of 32 KiB; its header is in the
 * first, twice (48 bytes each), and is valid when both copies agree and
 * it says it is initialised (SQLite's own readers check the same). */
#define WAL_REGION_BYTES 32768
#define WAL_HDR_VERSION 3007000u
#define WAL_HDR_INIT_OFFSET 12

bool vouch__sq_wal_header(sqlite3 *db, unsigned char out[VOUCH__SQ_WAL_HDR])
{
    sqlite3_file *file = NULL;
    volatile void *region = NULL;
    unsigned char second[VOUCH__SQ_WAL_HDR];
    uint32_t version;

    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER,
                             &file) != SQLITE_OK ||
        file == NULL || file->pMethods == NULL ||
        file->pMethods->iVersion < 2 || file->pMethods->xShmMap == NULL) {
        return false;
    }
    /* Not extending: an unmapped region (no WAL yet) answers NULL. */
    if (file->pMethods->xShmMap(file, 0, WAL_REGION_BYTES, 0, &region) !=
            SQLITE_OK ||
        region == NULL) {
        return false;
    }
    /* A writer stores the second copy, then the first: reading the first,
     * then the second, two equal copies are one header. */
    memcpy(out, (const void *)region, VOUCH__SQ_WAL_HDR);
    file->pMethods->xShmBarrier(file);
    memcpy(second, (const unsigned char *)region + VOUCH__SQ_WAL_HDR,
           VOUCH__SQ_WAL_HDR);
    if (memcmp(out, second, VOUCH__SQ_WAL_HDR) != 0) {
        return false;
    }
    memcpy(&version, out, sizeof(version));
    return version == WAL_HDR_VERSION && out[WAL_HDR_INIT_OFFSET] != 0;
}

bool vouch__sq_stamp_get(const vouch__sq_stamps *s,
                         const unsigned char now[VOUCH__SQ_WAL_HDR],
                         const char *kind, int64_t *out)
{
    if (!s->valid || memcmp(s->header, now, VOUCH__SQ_WAL_HDR) != 0) {
        return false;
    }
    for (unsigned i = 0; i < s->count; i++) {
        if (strcmp(s->kinds[i], kind) == 0) {
            *out = s->values[i];
            return true;
        }
    }
    return false;
}

void vouch__sq_stamp_put(vouch__sq_stamps *s,
                         const unsigned char header[VOUCH__SQ_WAL_HDR],
                         const char *kind, int64_t value)
{
    size_t len = strlen(kind);

    if (len >= sizeof(s->kinds[0])) {
        return;   /* not remembered: read again next time */
    }
    if (!s->valid || memcmp(s->header, header, VOUCH__SQ_WAL_HDR) != 0) {
        memcpy(s->header, header, VOUCH__SQ_WAL_HDR);
        s->valid = true;
        s->count = 0;
    }
    for (unsigned i = 0; i < s->count; i++) {
        if (strcmp(s->kinds[i], kind) == 0) {
            s->values[i] = value;
            return;
        }
    }
    if (s->count == VOUCH__SQ_STAMP_KINDS) {
        s->count = 0;   /* full: start again */
    }
    memcpy(s->kinds[s->count], kind, len + 1);
    s->values[s->count++] = value;
}
