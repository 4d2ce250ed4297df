/*
 * vouch — the SQL of a list (vouch_store_list), shared by both backends:
 * they differ only in how parameters are written (SQLite "?N",
 * PostgreSQL "$N").
 */
#ifndef VOUCH_STORE_LISTSQL_H
#define VOUCH_STORE_LISTSQL_H

#include <stdbool.h>

#include "store.h"

/* kind, parent, attr1, attr2, after, before, pos. */
#define VOUCH__LIST_ARGS_MAX 7

typedef struct vouch__list_sql {
    char text[768];
    const char *args[VOUCH__LIST_ARGS_MAX];
    int nargs;      /* parameters; a LIMIT, when asked for, is nargs + 1 */
} vouch__list_sql;

/*
 * "SELECT `columns` FROM resources WHERE … ORDER BY name[ DESC], kind
 * [LIMIT ?N]" for `q` resumed past `pos` (NULL: from the first), with
 * parameters written as `mark` ('?' or '$') and their number.
 */
void vouch__list_sql_build(vouch__list_sql *out, const char *columns,
                           const vouch_resource_query *q, const char *pos,
                           char mark, bool limit);

#endif /* VOUCH_STORE_LISTSQL_H */
