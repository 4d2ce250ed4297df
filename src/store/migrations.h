/*
 * vouch — the store schema, as numbered migrations shared by both
 * backends. Migration N has the same meaning in SQLite and PostgreSQL;
 * only the dialect differs (PostgreSQL compares names with COLLATE "C" so
 * that list order and page tokens are byte order, as in SQLite).
 *
 * Each migration runs in one transaction together with the INSERT of its
 * number into schema_version, so a crash leaves the schema at N or N-1,
 * never in between. Never edit a released migration: append a new one.
 */
#ifndef VOUCH_STORE_MIGRATIONS_H
#define VOUCH_STORE_MIGRATIONS_H

typedef struct vouch__store_migration {
    int version;
    const char *sqlite;
    const char *postgres;
} vouch__store_migration;

/* The kinds the PostgreSQL read cache holds (cache.c's list, as SQL):
 * only their changes are announced. */
#define VOUCH__CACHED_KINDS "('policy', 'attestor')"

/* Created before anything else, outside the numbered list. */
#define VOUCH__SCHEMA_VERSION_DDL \
    "CREATE TABLE IF NOT EXISTS schema_version (" \
    " version INTEGER PRIMARY KEY," \
    " applied_at TEXT NOT NULL)"

/* Migration 1's indexes of resources, the same in both dialects. */
#define VOUCH__RESOURCES_INDEXES \
    "CREATE INDEX resources_name ON resources (name);" \
    "CREATE INDEX resources_parent ON resources (kind, parent, name);" \
    "CREATE INDEX resources_attr1 ON resources (kind, attr1, name);" \
    "CREATE INDEX resources_attr2 ON resources (kind, attr2, name);"

static const vouch__store_migration vouch__store_migrations[] = {
    {
        1,
        /* SQLite */
        "CREATE TABLE resources ("
        " kind TEXT NOT NULL,"
        " name TEXT NOT NULL,"
        " parent TEXT NOT NULL,"
        " json TEXT NOT NULL,"
        " etag TEXT NOT NULL,"
        " create_time TEXT NOT NULL,"
        " update_time TEXT NOT NULL,"
        " attr1 TEXT,"
        " attr2 TEXT,"
        " PRIMARY KEY (kind, name));"
        VOUCH__RESOURCES_INDEXES
        "CREATE TABLE generations ("
        " kind TEXT PRIMARY KEY,"
        " value INTEGER NOT NULL);",
        /* PostgreSQL */
        "CREATE TABLE resources ("
        " kind TEXT COLLATE \"C\" NOT NULL,"
        " name TEXT COLLATE \"C\" NOT NULL,"
        " parent TEXT COLLATE \"C\" NOT NULL,"
        " json TEXT NOT NULL,"
        " etag TEXT NOT NULL,"
        " create_time TEXT NOT NULL,"
        " update_time TEXT NOT NULL,"
        " attr1 TEXT COLLATE \"C\","
        " attr2 TEXT COLLATE \"C\","
        " PRIMARY KEY (kind, name));"
        VOUCH__RESOURCES_INDEXES
        "CREATE TABLE generations ("
        " kind TEXT COLLATE \"C\" PRIMARY KEY,"
        " value BIGINT NOT NULL);",
    },
    {
        2,
        /* SQLite: nothing. No other process could hear a notification,
         * so the SQLite store keeps no read cache. */
        "/* change notifications: PostgreSQL only */",
        /* PostgreSQL: every row of a cached kind (VOUCH__CACHED_KINDS)
         * written to resources, by vouch or by anyone else (a restore,
         * an operator's UPDATE), announces its kind on vouch_changes when
         * the transaction commits; TRUNCATE announces "*" (every kind).
         * Other kinds, written by every deploy, announce nothing. The read
         * cache (cache.h) listens. */
        "CREATE FUNCTION vouch_notify_change() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN"
        " IF TG_OP = 'TRUNCATE' THEN"
        "  PERFORM pg_notify('vouch_changes', '*');"
        " ELSIF TG_OP = 'DELETE' THEN"
        "  PERFORM pg_notify('vouch_changes', OLD.kind);"
        " ELSE"
        "  PERFORM pg_notify('vouch_changes', NEW.kind);"
        "  IF TG_OP = 'UPDATE' AND OLD.kind <> NEW.kind THEN"
        "   PERFORM pg_notify('vouch_changes', OLD.kind);"
        "  END IF;"
        " END IF;"
        " RETURN NULL;"
        " END $$;"
        "CREATE TRIGGER resources_notify_insert AFTER INSERT ON resources"
        " FOR EACH ROW WHEN (NEW.kind IN " VOUCH__CACHED_KINDS ")"
        " EXECUTE FUNCTION vouch_notify_change();"
        "CREATE TRIGGER resources_notify_update AFTER UPDATE ON resources"
        " FOR EACH ROW WHEN (NEW.kind IN " VOUCH__CACHED_KINDS
        " OR OLD.kind IN " VOUCH__CACHED_KINDS ")"
        " EXECUTE FUNCTION vouch_notify_change();"
        "CREATE TRIGGER resources_notify_delete AFTER DELETE ON resources"
        " FOR EACH ROW WHEN (OLD.kind IN " VOUCH__CACHED_KINDS ")"
        " EXECUTE FUNCTION vouch_notify_change();"
        "CREATE TRIGGER resources_notify_truncate AFTER TRUNCATE"
        " ON resources FOR EACH STATEMENT"
        " EXECUTE FUNCTION vouch_notify_change();",
    },
    {
        3,
        /* The key of page tokens (pagetoken.h): one row, created with a
         * random key by the first process that opens the store after
         * this migration (backend page_key), then shared by every
         * process on the database. */
        "CREATE TABLE page_token_key ("
        " id INTEGER PRIMARY KEY CHECK (id = 1),"
        " key TEXT NOT NULL);",
        "CREATE TABLE page_token_key ("
        " id INTEGER PRIMARY KEY CHECK (id = 1),"
        " key TEXT NOT NULL);",
    },
    {
        4,
        /* Audit log entries keep their resource.type in attr2 (it held
         * the timestamp, which the name already orders by), so that
         * entries:list reads a filter on resource.type from the index
         * (kind, attr2, name) instead of scanning the log; the entries
         * written before are filled in here. A non-string type is left
         * NULL: no filter on it can use the index. */
        "UPDATE resources SET attr2 ="
        " CASE WHEN json_type(json, '$.resource.type') = 'text'"
        " THEN json_extract(json, '$.resource.type') END"
        " WHERE kind = 'logentry';",
        /* PostgreSQL's JSON functions refuse a \u0000 anywhere in the
         * text; as an escape it only ever stands inside a string, so
         * reading it as U+FFFD changes no structure. */
        "UPDATE resources SET attr2 = (SELECT CASE"
        " WHEN json_typeof(j -> 'resource' -> 'type') = 'string'"
        " THEN j -> 'resource' ->> 'type' END"
        " FROM (SELECT replace(json, '\\u0000', '\\ufffd')::json AS j) t)"
        " WHERE kind = 'logentry';",
    },
};

#define VOUCH__STORE_MIGRATION_COUNT \
    (sizeof(vouch__store_migrations) / sizeof(vouch__store_migrations[0]))

#endif /* VOUCH_STORE_MIGRATIONS_H */
