/*
 * A program's flag table: one entry per setting, from which the command
 * line, the `--config FILE` keys and `--help` all come. vouchd's table is
 * in options.c; adding a setting is one entry there and one field in its
 * settings struct.
 *
 * Values are written into the caller's settings struct at each entry's
 * offset, with the C type of the entry's kind (below). Strings point into
 * argv or into the config text the `flags` object owns, so they live until
 * flags_free().
 *
 * The command line wins over the file: defaults first, then the file's
 * lines in order, then the flags in order; a later value of a single
 * setting replaces an earlier one, and every value of a repeated setting
 * (FLAG_LIST) is kept, the file's first.
 *
 * Thread safety: not thread-safe; meant for main() before threads start.
 */
#ifndef VOUCH_DAEMON_FLAGS_H
#define VOUCH_DAEMON_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

/* Largest --config file, and most settings it may hold. */
#define FLAGS_CONFIG_MAX_BYTES (64u * 1024u)
#define FLAGS_CONFIG_MAX_SETTINGS 256u

typedef enum flag_kind {
    FLAG_STRING,    /* const char *: any text, even empty */
    FLAG_PATH,      /* const char *: a file name, not empty */
    FLAG_CHOICE,    /* const char *: one of `choices` ("none|exec") */
    FLAG_COUNT,     /* unsigned: a whole number, min..max */
    FLAG_SIZE,      /* size_t: bytes, min..max: 65536, 64KiB, 4MiB, 1GiB */
    FLAG_DURATION,  /* unsigned: seconds, min..max: 30, 30s, 5m, 1h */
    FLAG_BOOL,      /* bool: "--name" alone, or --name=true|false */
    FLAG_LIST,      /* flag_list: repeatable, at most `max` values */
    FLAG_CONFIG,    /* --config FILE: read before the other flags */
    FLAG_HELP,      /* --help, -h: print the help, stop */
    FLAG_VERSION    /* --version: stop with FLAGS_VERSION */
} flag_kind;

/* The values of a FLAG_LIST setting, in the order given. */
typedef struct flag_list {
    const char **items;     /* NULL-terminated; NULL when count is 0 */
    size_t count;
} flag_list;

typedef struct flag_spec {
    const char *name;       /* "listen" for --listen */
    flag_kind kind;
    const char *config;     /* key in --config FILE; NULL: flag only */
    const char *metavar;    /* "ADDR:PORT" in --help; NULL: no value */
    size_t offset;          /* of the value in the settings struct */
    const char *def;        /* STRING/PATH/CHOICE default; may be NULL */
    const char *choices;    /* CHOICE: "none|exec" */
    unsigned long long def_number;  /* COUNT/SIZE/DURATION default */
    unsigned long long min; /* COUNT/SIZE/DURATION */
    unsigned long long max; /* COUNT/SIZE/DURATION; LIST: most values */
    const char *help;       /* one sentence, no final period */
} flag_spec;

/* A parse in progress: the table, where values go, what it owns. */
typedef struct flags {
    const char *program;    /* "vouchd", the prefix of every message */
    const char *summary;    /* --help's first paragraph */
    const char *epilogue;   /* --help's last paragraph; may be NULL */
    const flag_spec *table; /* ends with an entry whose name is NULL */
    void *settings;
    char *config_text;      /* owned; config values point into it */
} flags;

/* flags_parse() results besides 0 (go on). */
#define FLAGS_DONE 1        /* --help printed: exit 0 */
#define FLAGS_VERSION 3     /* --version asked: print it, exit 0 */
#define FLAGS_USAGE 2       /* a usage error, printed: exit 2 */

/*
 * Fill f->settings from the defaults, the --config file and argv, in that
 * order. Errors are printed to standard error as "PROGRAM: --flag: ..."
 * or "PROGRAM: FILE:LINE: ...". Returns 0, FLAGS_DONE, FLAGS_VERSION or
 * FLAGS_USAGE. Call flags_free() whatever it returns.
 */
int flags_parse(flags *f, int argc, char **argv);

/*
 * Apply the settings of a --config file: `len` bytes of `data` (no NUL
 * needed), named `source` in errors. One setting a line, "key value" or
 * "key = value"; '#' starts a comment. The values are copied into memory
 * `f` owns. Returns 0, or FLAGS_USAGE with "SOURCE:LINE: message" in
 * `err` (`size` bytes, always NUL-terminated).
 */
int flags_read_config(flags *f, const char *data, size_t len,
                      const char *source, char *err, size_t size);

/* Print the --help text of the table to standard output. */
void flags_print_help(const flags *f);

/* Free what the parse allocated (config text, list arrays). NULL-safe. */
void flags_free(flags *f);

#endif /* VOUCH_DAEMON_FLAGS_H */
