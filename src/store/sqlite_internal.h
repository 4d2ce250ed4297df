/*
 * vouch — what sqlite.c shares with sqlite_bulk.c (the bulk insert), so
 * that sqlite.c stays one file of connections and single-row SQL.
 */
#ifndef VOUCH_STORE_SQLITE_H
#define VOUCH_STORE_SQLITE_H

#include <sqlite3.h>

#include "vouch/common.h"
#include "store.h"

/* The database handle of a connection (sq_conn). */
sqlite3 *vouch__sq_handle(void *conn);

/* Fill `err` from the connection's last error (result code `src`),
 * naming the step. */
int vouch__sq_fail(void *conn, int src, const char *step, vouch_error *err);

#endif /* VOUCH_STORE_SQLITE_H */
