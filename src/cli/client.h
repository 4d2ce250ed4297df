/*
 * The online half of `vouch`: a small HTTP client for vouchd (libcurl,
 * JSON through jansson) and the commands that use it. docs/cli-online.md
 * describes the behaviour.
 *
 * Errors: every failure prints one line "vouch: message" to stderr and
 * returns CLI_USAGE (2): a usage or input error, an error answered by the
 * server (its Google-shaped `error.message`, control characters escaped),
 * a server that cannot be reached, or one whose paging cannot be trusted
 * (client_list_all()). The one exception is
 * `attestations create|sign-and-create --validate`, which exits 1
 * (CLI_DENIED) when the server says the attestation is not verifiable.
 *
 * Credentials: the token in the file --access-token-file names, or else
 * the value of VOUCH_ACCESS_TOKEN, is sent as "Authorization: Bearer …"
 * and never printed, not even in errors. --cacert (VOUCH_CACERT) names
 * the CA certificates an https:// server's certificate is checked
 * against instead of the system's.
 */
#ifndef VOUCH_CLI_CLIENT_H
#define VOUCH_CLI_CLIENT_H

#include <jansson.h>

#include "cli.h"

/* Largest response accepted from the server (a page of occurrences). */
#define CLIENT_MAX_RESPONSE_BYTES VOUCH_OCCURRENCES_MAX_BYTES

/* Largest token --access-token-file may hold (vouchd's limit too). */
#define CLIENT_TOKEN_MAX_BYTES (16u * 1024u)

/* Default timeouts, in seconds; VOUCH_TIMEOUT overrides the total one. */
#define CLIENT_CONNECT_TIMEOUT 10L
#define CLIENT_TIMEOUT 60L

typedef struct client client;

/*
 * A client for the server of `g` (--server / VOUCH_SERVER). Returns
 * CLI_OK, or CLI_USAGE with the reason printed (bad URL, out of memory).
 * Free with client_free(); NULL is a no-op.
 */
int client_new(client **out, const cli_globals *g);
void client_free(client *c);

/*
 * Send `method` to `path` (starting with "/v1/", already escaped) with an
 * optional query string (`query`, already escaped, without '?'; may be
 * NULL) and an optional JSON body (borrowed). On a 2xx answer *out is the
 * parsed JSON body (caller frees with json_decref()). Otherwise the
 * server's error message (or the transport error) is printed and the
 * result is CLI_USAGE; *out is NULL.
 */
int client_call(client *c, const char *method, const char *path,
                const char *query, const json_t *body, json_t **out);

/* Longest resource name client_call_name() takes. */
#define CLIENT_NAME_MAX 1000

/*
 * client_call() of the resource `name` ("projects/P/attestors/A"):
 * `method` to /v1/NAME, without a query. A name over CLIENT_NAME_MAX
 * bytes is refused (CLI_USAGE, printed).
 */
int client_call_name(client *c, const char *method, const char *name,
                     const json_t *body, json_t **out);

/* What a printed resource is, so YAML can come from libvouch's printer. */
typedef enum client_kind {
    CLIENT_GENERIC = 0,     /* notes, keys, lists */
    CLIENT_ATTESTOR,
    CLIENT_POLICY,
    CLIENT_OCCURRENCE
} client_kind;

/*
 * POST `body` to `path` with "?ID_PARAM=ID" (`id` escaped here), the way
 * Google's create calls name the new resource: "attestorId=a". As
 * client_call() otherwise.
 */
int client_create(client *c, const char *path, const char *id_param,
                  const char *id, const json_t *body, json_t **out);

/*
 * Create the resource `name` (projects/P/COLLECTION/ID): POST `body` to
 * /v1/projects/P/COLLECTION?ID_PARAM=ID, then print "Created WORD
 * [NAME]." and the stored resource in --format (default YAML).
 */
int client_create_named(const cli_globals *g, const char *collection,
                        const char *id_param, const char *name,
                        const json_t *body, const char *word,
                        client_kind kind);

/* Set `key` of `obj` to `value` (nothing when NULL). CLI_OK, or
 * CLI_USAGE "WHAT: not valid UTF-8". */
int client_set_string(json_t *obj, const char *key, const char *value,
                      const char *what);

/*
 * `describe` (g->variant 0: GET, then print in --format, default YAML) or
 * `delete` (g->variant 1: DELETE, then "Deleted WORD [NAME].") of the one
 * resource of `collection` that the command's argument names. specs[0]
 * is describe's, specs[1] delete's (one argument each). `word` is
 * "attestor" or "note". Returns CLI_OK or CLI_USAGE.
 */
int client_describe_or_delete(const cli_spec specs[2], int argc,
                              char **argv, cli_globals *g,
                              const char *collection, const char *word,
                              client_kind kind);

/*
 * The --format of a list command: json or yaml (returned), or the text
 * form (*text), which is also what no --format means. -1 (printed) for
 * an unknown format.
 */
int client_list_format(const cli_globals *g, bool *text);

/* Prints the default (text) form of a list: the array of resources. */
typedef int (*client_list_text_fn)(const json_t *all);

/*
 * A whole `list` command of a project's `collection` ("attestors",
 * "notes"): parse the command line of `spec`, check --project (which must
 * be set and valid), fetch every page of /v1/projects/P/COLLECTION, then
 * print the array with `text` when --format is text or not given, else in
 * --format (json, yaml). Returns the exit status (CLI_OK or CLI_USAGE).
 */
int client_list_project(const cli_spec *spec, int argc, char **argv,
                        cli_globals *g, const char *collection,
                        client_list_text_fn text);

/*
 * The full name of a resource from a command-line argument: a full name
 * ("projects/P/attestors/A") is checked and copied, a short id ("A") is
 * put under --project. `collection` is "attestors", "notes" or
 * "occurrences". `what` names the argument in errors ("--attestor").
 * Every segment must be 1-200 of A-Z a-z 0-9 - _ . ~ so that it is safe
 * in a URL path. Returns CLI_OK or CLI_USAGE (printed).
 */
int client_resource_name(const cli_globals *g, const char *collection,
                         const char *arg, const char *what, char *buf,
                         size_t size);

/*
 * cli_parse() of a command whose one argument names a resource of
 * `collection` (`spec->args`, "ATTESTOR", names it in errors), then its
 * full name into `buf` as client_resource_name() makes it. Returns
 * CLI_OK, or what cli_parse() or client_resource_name() returned (exit
 * with cli_parse_exit()).
 */
int client_parse_name(const cli_spec *spec, int argc, char **argv,
                      cli_globals *g, void *opts, const char *collection,
                      char *buf, size_t size);

/* Is `len` bytes of `s` a name segment safe in a URL path: 1-200 of
 * A-Z a-z 0-9 - _ . ~, and not "." or ".."? */
bool client_segment_ok(const char *s, size_t len);

/*
 * --project (VOUCH_PROJECT) into buf when it is given (*given); a given
 * one must be a valid id: "--project: 'P' is not a valid project id".
 * Returns CLI_OK or CLI_USAGE (printed).
 */
int client_project_flag(const cli_globals *g, char *buf, size_t size,
                        bool *given);

/*
 * The project a command works in, into buf: --project (VOUCH_PROJECT)
 * when given, checked as client_project_flag() checks it, else the
 * project of the full name `name` (an attestor's, a policy's). With
 * neither (`name` NULL or ""), buf is "" for the caller to refuse.
 * Returns CLI_OK or CLI_USAGE (printed).
 */
int client_project_of(const cli_globals *g, const char *name, char *buf,
                      size_t size);

/* The project of "projects/P/..." into buf. Returns CLI_OK or CLI_USAGE. */
int client_name_project(const char *name, char *buf, size_t size);

/* The last segment of a full name (borrowed, points into `name`). */
const char *client_name_id(const char *name);


/*
 * Print a resource (a JSON object) in the --format of `g`: json, yaml,
 * or text (`text` = YAML for a single resource). `fallback` is used when
 * --format is not given. YAML of an attestor, policy or occurrence is
 * libvouch's (as `vouch policy format` prints); other YAML, or a resource
 * libvouch does not accept, is printed generically. Returns CLI_OK or
 * CLI_USAGE.
 */
int client_print(const cli_globals *g, const json_t *resource,
                 vouch_format fallback, client_kind kind);

/*
 * The JSON text of a resource libvouch models (`kind`: CLIENT_ATTESTOR,
 * CLIENT_POLICY or CLIENT_OCCURRENCE), read by libvouch's parser (errors
 * name `source`) and printed by its printer in `format` into *text (free
 * with vouch_free()), `*len` bytes. Returns 0, or a negative vouch_code
 * with `err` filled (VOUCH_EINVAL, `err` untouched, for CLIENT_GENERIC).
 */
int client_reprint(client_kind kind, const char *json, const char *source,
                   vouch_format format, char **text, size_t *len,
                   vouch_error *err);

/* Print the JSON value as YAML (block style) or JSON. */
int client_print_as(const json_t *value, vouch_format format);

/*
 * A text table: a header row and one row per element of the JSON array
 * `items`, columns separated by a blank and padded to the widest cell (at
 * least `min_width[k]`; may be NULL). `cells` fills the `n` cells of an
 * item (borrowed strings; `scratch` has `scratch_size` bytes for a cell
 * it builds). Every cell is escaped (cli_escape()). Returns CLI_OK or
 * CLI_USAGE (printed).
 */
typedef void (*client_cells_fn)(const json_t *item, const char **cells,
                                char *scratch, size_t scratch_size);
int client_table(const char *const *heads, size_t n, const int *min_width,
                 const json_t *items, client_cells_fn cells);

/* Escape `text` for a URL query value; malloc'd (free()) or NULL. */
char *client_escape(client *c, const char *text);

/*
 * A server's paging is not trusted: a list ends with an error when it
 * passes CLIENT_LIST_MAX_ITEMS items or CLIENT_LIST_MAX_BYTES bytes of
 * answers, or when a nextPageToken comes back a second time (the list
 * would never end). Memory stays within those limits.
 */
#define CLIENT_LIST_MAX_ITEMS 100000u
#define CLIENT_LIST_MAX_BYTES (128u * 1024u * 1024u)

/* The pages of one list so far (client_pages_next()). */
typedef struct client_pages {
    client *c;
    json_t *seen;           /* the tokens seen, as keys */
    size_t pages;
    size_t items;
    size_t start;           /* bytes the client had received before */
} client_pages;

void client_pages_init(client_pages *p, client *c);
void client_pages_clear(client_pages *p);

/*
 * Account for `page` (holding `items` items) and set *next to its
 * nextPageToken (borrowed from `page`), or NULL at the end. Returns
 * CLI_OK, or CLI_USAGE (printed) past a limit or on a repeated token.
 */
int client_pages_next(client_pages *p, const json_t *page, size_t items,
                      const char **next);

/*
 * Every element of a list call (the `key` array of each page), following
 * nextPageToken within the limits above. `query` (already escaped,
 * without '?'; may be NULL) is sent with every page, e.g. "filter=...".
 * *out is a new array (caller frees with json_decref()). Returns CLI_OK or
 * CLI_USAGE (printed).
 */
int client_list_all(client *c, const char *path, const char *query,
                    const char *key, json_t **out);

/* Online commands, dispatched from main.c, cmd_policy.c and
 * cmd_attestations.c. */
int cmd_attestors(int argc, char **argv, cli_globals *g);
int cmd_notes(int argc, char **argv, cli_globals *g);
int cmd_policy_import(int argc, char **argv, cli_globals *g);
int cmd_policy_export(int argc, char **argv, cli_globals *g);
int cmd_attestations_create(int argc, char **argv, cli_globals *g);
int cmd_attestations_list(int argc, char **argv, cli_globals *g);
int cmd_attestations_sign_and_create(int argc, char **argv, cli_globals *g);
int cmd_run(int argc, char **argv, cli_globals *g);
int cmd_logs(int argc, char **argv, cli_globals *g);
int cmd_orgpolicies(int argc, char **argv, cli_globals *g);

#endif /* VOUCH_CLI_CLIENT_H */
