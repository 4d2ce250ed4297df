/*
 * Shared pieces of the `vouch` command: argument scanning, file reading,
 * error printing and exit statuses (vouch(1), docs/man/vouch.1).
 */
#ifndef VOUCH_CLI_H
#define VOUCH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "vouch/vouch.h"

/* Exit statuses of the contract. */
#define CLI_OK 0        /* success, or allowed */
#define CLI_DENIED 1    /* evaluate: denied */
#define CLI_USAGE 2     /* usage or input error */

/* One allocation of the command's pool (cli_alloc). */
typedef struct cli_block cli_block;

/* Global options, from flags or the environment. */
typedef struct cli_globals {
    const char *format;     /* --format json|yaml|text; NULL = default */
    const char *server;     /* --server / VOUCH_SERVER */
    const char *project;    /* --project / VOUCH_PROJECT */
    const char *region;     /* --region / VOUCH_REGION */
    const char *access_token_file;  /* --access-token-file; wins over
                                       VOUCH_ACCESS_TOKEN */
    const char *cacert;     /* --cacert / VOUCH_CACERT: CA file (PEM) */
    cli_block *pool;        /* what cli_alloc() gave; freed by main() */
    int variant;            /* cli_command.variant of the command run */
} cli_globals;

typedef int (*cli_command_fn)(int argc, char **argv, cli_globals *g);

/*
 * One subcommand of a group. Commands that share one function (list of
 * services, of jobs, ...) tell themselves apart by `variant`, which
 * cli_dispatch() puts in cli_globals.variant before it calls `run`.
 */
typedef struct cli_command {
    const char *name;
    cli_command_fn run;
    const char *summary;
    int variant;
} cli_command;

/*
 * Memory that lives until the command returns: main() frees it with
 * cli_pool_free(). Zeroed. NULL when out of memory.
 */
void *cli_alloc(cli_globals *g, size_t size);
void cli_pool_free(cli_globals *g);

/* ---- flag tables (args.c) ---- */

/* The values of a repeated flag, or the arguments, in the order given. */
typedef struct cli_list {
    const char **items;
    size_t count;
} cli_list;

typedef enum cli_flag_kind {
    CLI_FLAG_STRING,    /* const char *: the last value given */
    CLI_FLAG_LIST,      /* cli_list: every value, in order */
    CLI_FLAG_SWITCH,    /* bool: given without a value */
    CLI_FLAG_NUMBER     /* long: a whole number from min to max */
} cli_flag_kind;

/* cli_flag.flags */
#define CLI_REQUIRED 1u     /* the command needs it */
#define CLI_NONEMPTY 2u     /* "" is refused ("--x needs a value") */

/* One flag of a command: where its value goes and what --help says. */
typedef struct cli_flag {
    const char *name;       /* "--image" */
    cli_flag_kind kind;
    const char *metavar;    /* "IMAGE"; NULL for a switch */
    size_t offset;          /* of the value in the command's options */
    unsigned flags;         /* CLI_REQUIRED, CLI_NONEMPTY */
    long min;               /* NUMBER */
    long max;               /* NUMBER; LIST: most values, 0 any */
    const char *help;       /* one phrase for --help */
} cli_flag;

/* Table entries; `type` is the command's options struct. */
#define CLI_STRING(name, meta, type, field, flags, help) \
    {name, CLI_FLAG_STRING, meta, offsetof(type, field), flags, 0, 0, help}
#define CLI_LIST(name, meta, type, field, max, help) \
    {name, CLI_FLAG_LIST, meta, offsetof(type, field), CLI_NONEMPTY, 0, \
     max, help}
#define CLI_SWITCH(name, type, field, help) \
    {name, CLI_FLAG_SWITCH, NULL, offsetof(type, field), 0, 0, 0, help}
#define CLI_NUMBER(name, meta, type, field, min, max, help) \
    {name, CLI_FLAG_NUMBER, meta, offsetof(type, field), 0, min, max, help}
#define CLI_END {NULL, CLI_FLAG_STRING, NULL, 0, 0, 0, 0, NULL}

/* The signing flags of `attestations sign` and `sign-and-create`, into
 * the fields key, algorithm and key_id of `type`. */
#define CLI_SIGNING_FLAGS(type) \
    CLI_STRING("--private-key", "KEY.pem", type, key, CLI_REQUIRED, \
               "PEM private key to sign with"), \
    CLI_STRING("--algorithm", "ALG", type, algorithm, 0, \
               "signature algorithm (default: from the key)"), \
    CLI_STRING("--public-key-id", "ID", type, key_id, 0, \
               "key id in the signature (default: ni:///sha-256;...)")

/* Any number of arguments (cli_spec.max_args). */
#define CLI_ANY ((size_t)-1)

/* A command: its name, arguments, flags and --help text. */
typedef struct cli_spec {
    const char *command;    /* "vouch run deploy" */
    const char *args;       /* "SERVICE", "FILE...", "[FILTER]"; or NULL */
    size_t min_args;
    size_t max_args;        /* CLI_ANY: no limit */
    bool dash_args;         /* "-x" is an argument, not a flag */
    const cli_flag *flags;  /* ends with CLI_END, at most 32; or NULL */
    const char *about;      /* --help's description; "\n\n" paragraphs */
} cli_spec;

/* cli_parse(): --help was printed; the command exits 0. */
#define CLI_HELP 3

/*
 * Parse argv (the words after the command's name) by `spec` into `opts`
 * (the struct the table's offsets point into; its defaults set by the
 * caller) and the arguments into `args` (may be NULL when the command
 * takes none). Every command also takes the global flags (--format,
 * --server, --project, --region) into `g`, --help and -h, and "--" before
 * arguments that start with '-'. Flags take "--flag value" or
 * "--flag=value". Returns CLI_OK, CLI_HELP (help printed), or CLI_USAGE
 * (message printed: unknown flag, missing value or argument, bad number,
 * a required flag not given).
 */
int cli_parse(const cli_spec *spec, int argc, char **argv, cli_globals *g,
              void *opts, cli_list *args);

/* Exit status of a command whose cli_parse() did not return CLI_OK. */
#define cli_parse_exit(rc) ((rc) == CLI_HELP ? CLI_OK : (rc))

/* Print the --help of `spec` to standard output. */
void cli_print_help(const cli_spec *spec);

/* The global flags, one a line, for `vouch --help`. */
void cli_print_global_flags(FILE *out);

/* Handle a global flag at argv[*i] (--format, --server, --project,
 * --region, --access-token-file, --cacert). Returns 1 handled, 0 not
 * global, -1 error (printed). */
int cli_global_flag(int argc, char **argv, int *i, cli_globals *g);

/* Is argv[i] --help or -h? */
bool cli_is_help(const char *arg);

/* "vouch: unknown flag '--x' for 'vouch policy validate'; see --help". */
int cli_unknown(const char *command, const char *arg);

/* ---- output (output.c) ----
 *
 * Everything a person reads goes through these, so that text from a server
 * or a file (a name, a description, an error message) cannot drive the
 * terminal: control characters (C0, DEL, C1, ESC) and bytes that are not
 * UTF-8 are written as visible escapes (\n, \x1b, \u009b). Machine output
 * (--format json|yaml) keeps its own escaping (cli_write_json()).
 */

/* Print "vouch: " + message (escaped) to stderr; returns CLI_USAGE. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print a progress line (escaped) to stderr: "Created note [...]." */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print one line (escaped, then a newline) to standard output. */
void cli_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * `text` with control characters and non-UTF-8 bytes escaped, into `buf`
 * (`size` bytes, NUL-terminated, cut short when it does not fit). Returns
 * the number of characters it shows as (its width in a table).
 */
size_t cli_escape(const char *text, char *buf, size_t size);

/* Print a vouch_error as "vouch: FILE:LINE:COL: message"; returns
 * CLI_USAGE. */
int cli_fail_error(const vouch_error *err);

/*
 * Write JSON text to standard output with the control characters a JSON
 * printer leaves raw (DEL and the C1 range) written as \u escapes: the same
 * JSON value, nothing for a terminal to act on.
 */
int cli_write_json(const char *text, size_t len);

/* A document libvouch printed in `format`: JSON through cli_write_json(),
 * YAML (whose printer escapes control characters itself) as it is. */
int cli_write_doc(const char *text, size_t len, vouch_format format);

/*
 * Read a whole file ("-" = standard input) into a malloc'd buffer with a
 * NUL after it. More than `max` bytes is refused (the parser's documented
 * limit). Returns 0, or CLI_USAGE with the reason printed.
 */
int cli_read_file(const char *path, size_t max, char **out, size_t *out_len);

/*
 * The parse step of cli_parse_file(): parse `len` bytes (NUL after them)
 * named `source` into `payload`; 0 or a negative vouch_code with `err`
 * filled, as libvouch's parsers do.
 */
typedef int (*cli_parse_fn)(const char *data, size_t len, const char *source,
                            void *payload, vouch_error *err);

/*
 * Read `path` with cli_read_file() (at most `max` bytes; "-" = standard
 * input) and hand the bytes to `parse` with `source` as the input's name;
 * the bytes are wiped before they are freed (a key file's are secret).
 * A parse error is printed by cli_fail_error(). Returns CLI_OK, or
 * CLI_USAGE with the reason printed.
 */
int cli_parse_file(const char *path, size_t max, const char *source,
                   cli_parse_fn parse, void *payload);

/*
 * cli_parse_file() of a policy file (JSON or YAML, at most
 * VOUCH_POLICY_MAX_BYTES) into `*out`, which is NULL on failure. `source`
 * NULL names the input by its path ("<stdin>" for "-").
 */
int cli_load_policy(const char *path, const char *source,
                    vouch_policy **out);

/*
 * The signature algorithm `text` names (NULL: *out is UNSPECIFIED, to be
 * inferred from the key), for the flag `flag` ("--algorithm"). Returns
 * CLI_OK, or CLI_USAGE with the parse error printed under the flag's name.
 */
int cli_parse_algorithm(const char *text, const char *flag,
                        vouch_signature_algorithm *out);

/*
 * The PEM private key in the file `path` ("-" = standard input), of `alg`
 * (UNSPECIFIED: from the key), into *out (NULL on failure). The file's
 * bytes are wiped before they are freed. Returns CLI_OK, or CLI_USAGE with
 * the reason printed (naming `path`).
 */
int cli_load_private_key(const char *path, vouch_signature_algorithm alg,
                         vouch_private_key **out);

/*
 * cli_fail_error(), naming `source` (a file, a flag) when the error names
 * no input of its own. Returns CLI_USAGE.
 */
int cli_fail_error_in(vouch_error *err, const char *source);

/* Write `len` bytes to standard output; CLI_OK or CLI_USAGE on error. */
int cli_write(const char *data, size_t len);

/* The output format from --format (default `fallback`); -1 if unknown. */
int cli_output_format(const cli_globals *g, vouch_format fallback,
                      bool allow_text, bool *text);

/* Run a subcommand of a group from a table; prints the group's help. */
int cli_dispatch(const char *group, const cli_command *commands, int argc,
                 char **argv, cli_globals *g);

/* Command groups (cmd_*.c). */
int cmd_policy(int argc, char **argv, cli_globals *g);
int cmd_keys(int argc, char **argv, cli_globals *g);
int cmd_attestations(int argc, char **argv, cli_globals *g);
int cmd_evaluate(int argc, char **argv, cli_globals *g);
int cmd_auth(int argc, char **argv, cli_globals *g);

#endif /* VOUCH_CLI_H */
