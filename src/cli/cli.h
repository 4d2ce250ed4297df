/*
 * Shared pieces of the `vouch` command: argument scanning, file reading,
 * error printing and exit statuses (DESIGN.md "CLI vouch").
 */
#ifndef VOUCH_CLI_H
#define VOUCH_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "vouch/vouch.h"

/* Exit statuses of the contract. */
#define CLI_OK 0        /* success, or allowed */
#define CLI_DENIED 1    /* evaluate: denied */
#define CLI_USAGE 2     /* usage or input error */

/* Global options, from flags or the environment. */
typedef struct cli_globals {
    const char *format;     /* --format json|yaml|text; NULL = default */
    const char *server;     /* --server / VOUCH_SERVER */
    const char *project;    /* --project / VOUCH_PROJECT */
    const char *region;     /* --region / VOUCH_REGION */
} cli_globals;

typedef int (*cli_command_fn)(int argc, char **argv, cli_globals *g);

/* One subcommand of a group. */
typedef struct cli_command {
    const char *name;
    cli_command_fn run;
    const char *summary;
} cli_command;

/*
 * Does argv[*i] name `flag` ("--flag value" or "--flag=value")? Returns 1
 * and sets *value (advancing *i past a separate value), 0 when it is some
 * other argument, -1 (message printed) when the value is missing.
 */
int cli_flag(int argc, char **argv, int *i, const char *flag,
             const char **value);

/* Does argv[i] equal `flag` exactly (a flag without value)? */
bool cli_switch(char **argv, int i, const char *flag);

/* Is argv[i] --help or -h? */
bool cli_is_help(const char *arg);

/* Handle a global flag at argv[*i] (--format, --server, --project,
 * --region). Returns 1 handled, 0 not global, -1 error (printed). */
int cli_global_flag(int argc, char **argv, int *i, cli_globals *g);

/* "vouch: unknown flag '--x' for 'vouch policy validate'; see --help". */
int cli_unknown(const char *command, const char *arg);

/* Print "vouch: " + message to stderr; returns CLI_USAGE. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print a vouch_error as "vouch: FILE:LINE:COL: message"; returns
 * CLI_USAGE. */
int cli_fail_error(const vouch_error *err);

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
 * input) and hand the bytes to `parse` with `source` as the input's name.
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

#endif /* VOUCH_CLI_H */
