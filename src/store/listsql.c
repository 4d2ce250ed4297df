/*
 * vouch — the SQL of a list, shared by both backends (listsql.h).
 *
 * Every condition is an equality on an indexed column or a range on
 * `name`, so a list is a range scan of one index: (kind, name) (the
 * primary key), (kind, parent, name), (kind, attr1, name) or
 * (kind, attr2, name) (store migration 1), in either direction.
 */
#include <stdio.h>
#include <string.h>

#include "listsql.h"

static void add(vouch__list_sql *out, size_t *used, const char *cond,
                const char *value, char mark)
{
    if (value == NULL) {
        return;
    }
    out->args[out->nargs++] = value;
    *used += (size_t)snprintf(out->text + *used, sizeof(out->text) - *used,
                              " AND %s %c%d", cond, mark, out->nargs);
}

void vouch__list_sql_build(vouch__list_sql *out, const char *columns,
                           const vouch_resource_query *q, const char *pos,
                           char mark, bool limit)
{
    size_t used;

    memset(out, 0, sizeof(*out));
    used = (size_t)snprintf(out->text, sizeof(out->text),
                            "SELECT %s FROM resources WHERE 1 = 1", columns);
    add(out, &used, "kind =", q->kind, mark);
    add(out, &used, "parent =", q->parent, mark);
    add(out, &used, "attr1 =", q->attr1, mark);
    add(out, &used, "attr2 =", q->attr2, mark);
    add(out, &used, "name >", q->after, mark);
    add(out, &used, "name <", q->before, mark);
    add(out, &used, q->descending ? "name <" : "name >", pos, mark);
    used += (size_t)snprintf(out->text + used, sizeof(out->text) - used,
                             q->descending
                                 ? " ORDER BY name DESC, kind DESC"
                                 : " ORDER BY name, kind");
    if (limit) {
        snprintf(out->text + used, sizeof(out->text) - used, " LIMIT %c%d",
                 mark, out->nargs + 1);
    }
}
