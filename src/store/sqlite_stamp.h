/*
 * vouch — the SQLite store's generations, remembered between commits.
 *
 * A generation read outside a transaction is remembered with the
 * WAL-index header it was read under; while the header is the same, no
 * transaction has committed in any process, and the remembered value is
 * the current one. Each vouch__sq_stamps belongs to one connection
 * (sqlite.c's sq_conn) and is used only by the thread holding it: no
 * locking.
 */
#ifndef VOUCH_STORE_SQLITE_STAMP_H
#define VOUCH_STORE_SQLITE_STAMP_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#define VOUCH__SQ_WAL_HDR 48
#define VOUCH__SQ_STAMP_KINDS 8

typedef struct vouch__sq_stamps {
    bool valid;
    unsigned char header[VOUCH__SQ_WAL_HDR];
    unsigned count;
    char kinds[VOUCH__SQ_STAMP_KINDS][32];
    int64_t values[VOUCH__SQ_STAMP_KINDS];
} vouch__sq_stamps;

/* Copy the database's WAL-index header into `out`. False when there is
 * none to read (no WAL index mapped yet, a VFS without shared memory) or
 * a commit was rewriting it: the caller then reads the database. */
bool vouch__sq_wal_header(sqlite3 *db, unsigned char out[VOUCH__SQ_WAL_HDR]);

/* The value of `kind` remembered under header `now`, if any. */
bool vouch__sq_stamp_get(const vouch__sq_stamps *s,
                         const unsigned char now[VOUCH__SQ_WAL_HDR],
                         const char *kind, int64_t *out);

/* Remember `value` for `kind` under `header` (forgetting what was
 * remembered under another header). */
void vouch__sq_stamp_put(vouch__sq_stamps *s,
                         const unsigned char header[VOUCH__SQ_WAL_HDR],
                         const char *kind, int64_t value);

#endif /* VOUCH_STORE_SQLITE_STAMP_H */
